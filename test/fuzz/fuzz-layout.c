/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static const char config_text[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                                  "\"diff_ids\":[]}}";
static const char layer_text[] = "fuzz layer";
static const char profile_text[] = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\","
                                   "\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";

const fuzz_layout *fuzz_oci_layout(void)
{
        static fuzz_layout fl;
        static bool made;
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        _cleanup_free_ char *manifest = NULL, *blobs = NULL, *sha = NULL, *marker = NULL, *index = NULL,
                            *index_path = NULL;
        char config[OSL_OCI_DIGEST_SIZE], layer[OSL_OCI_DIGEST_SIZE];
        osl_oci_attach_result res;
        _cleanup_jv_ jv *idx = NULL;
        osl_oci_descriptor *refs = NULL;
        size_t n_refs = 0;
        osl_error err = {};

        if (made)
                return &fl;
        fl.dir = fuzz_tmpdir();
        if (osl_asprintf(&blobs, "%s/blobs", fl.dir) < 0 || osl_asprintf(&sha, "%s/blobs/sha256", fl.dir) < 0 ||
            osl_asprintf(&marker, "%s/oci-layout", fl.dir) < 0 || osl_asprintf(&index_path, "%s/index.json", fl.dir) < 0 ||
            mkdir(blobs, 0755) < 0 || mkdir(sha, 0755) < 0)
                fuzz_fail("cannot make a layout: %m");
        fuzz_write_file(marker, "{\"imageLayoutVersion\": \"1.0.0\"}", 31);
        fuzz_write_file(index_path, "{\"schemaVersion\":2,\"manifests\":[]}", 34);
        if (osl_oci_layout_open(fl.dir, &l, &err) < 0 ||
            osl_oci_write_blob(l, config_text, strlen(config_text), config, &err) < 0 ||
            osl_oci_write_blob(l, layer_text, strlen(layer_text), layer, &err) < 0)
                fuzz_fail("cannot make a layout: %s", err.msg);
        if (osl_asprintf(&manifest,
                         "{\"schemaVersion\":2,\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_MANIFEST "\","
                         "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
                         "\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                         "\"digest\":\"%s\",\"size\":%zu}]}",
                         config, strlen(config_text), layer, strlen(layer_text)) < 0)
                abort();
        if (osl_oci_write_blob(l, manifest, strlen(manifest), fl.image, &err) < 0)
                fuzz_fail("cannot make a layout: %s", err.msg);
        fl.image_size = strlen(manifest);
        if (osl_asprintf(&index,
                         "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_MANIFEST "\","
                         "\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"" OSL_OCI_ANNOTATION_REF_NAME
                         "\":\"latest\"}}]}",
                         fl.image, fl.image_size) < 0)
                abort();
        fuzz_write_file(index_path, index, strlen(index));

        osl_oci_artifact a = {
                .artifact_type = OSL_SECCOMP_ARTIFACT_TYPE,
                .layer_media_type = OSL_SECCOMP_LAYER_MEDIA_TYPE,
                .layer_title = OSL_SECCOMP_LAYER_TITLE,
                .data = profile_text,
                .len = strlen(profile_text),
        };
        if (osl_oci_attach(l, &(osl_oci_selector) { .tag = "latest" }, &a, &res, &err) < 0)
                fuzz_fail("cannot attach to the layout: %s", err.msg);
        memcpy(fl.artifact, res.artifact, sizeof(fl.artifact));
        if (osl_oci_read_index(l, &idx, &err) < 0 ||
            osl_oci_find_referrers(l, idx, fl.image, OSL_SECCOMP_ARTIFACT_TYPE, &refs, &n_refs, &err) < 0)
                fuzz_fail("cannot read the layout back: %s", err.msg);
        if (n_refs != 1)
                fuzz_fail("the layout has %zu artifacts", n_refs);
        fl.artifact_size = refs[0].size;
        osl_oci_descriptor_clear(&refs[0]);
        free(refs);
        if (osl_read_file(index_path, OSL_OCI_MAX_INDEX, &fl.index, &fl.index_len, &err) < 0)
                fuzz_fail("%s", err.msg);
        made = true;
        return &fl;
}

void fuzz_oci_use(osl_oci_layout *l, const jv *index, const osl_oci_selector *sel)
{
        osl_oci_descriptor d = {};
        osl_oci_fetched f = {};
        osl_error err = {};

        if (osl_oci_select_image(l, index, sel, &d, &err) == 0) {
                osl_oci_descriptor *refs = NULL;
                size_t n = 0;
                if (osl_oci_find_referrers(l, index, d.digest, OSL_SECCOMP_ARTIFACT_TYPE, &refs, &n, &err) == 0) {
                        for (size_t j = 0; j < n; j++)
                                osl_oci_descriptor_clear(&refs[j]);
                        free(refs);
                }
        }
        osl_oci_descriptor_clear(&d);
        (void) osl_oci_fetch(l, sel, OSL_SECCOMP_ARTIFACT_TYPE, OSL_OCI_MAX_PROFILE, &f, &err);
        osl_oci_fetched_clear(&f);
}
