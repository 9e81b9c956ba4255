/* SPDX-License-Identifier: Apache-2.0 */
/* A manifest or image index blob: the input is stored as a blob of a small
 * layout (fuzz_oci_layout) under its own digest and named in index.json
 * twice, as an image manifest tagged "fuzz" and as an image index tagged
 * "fuzz-index", next to the image "latest" and its seccomp artifact. Then
 * the image is chosen each way, its referrers are looked for (the input is
 * read as a possible referrer of "latest") and the profile is fetched. */
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const fuzz_layout *fl = fuzz_oci_layout();
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        _cleanup_free_ char *index_path = NULL, *blob_path = NULL, *index_text = NULL;
        _cleanup_jv_ jv *index = NULL;
        char hex[OSL_SHA256_HEX_SIZE], digest[OSL_OCI_DIGEST_SIZE];
        struct stat st;
        bool written = false;
        osl_error err = {};

        osl_sha256_hex(data, size, hex);
        snprintf(digest, sizeof(digest), "sha256:%s", hex);
        if (osl_asprintf(&index_path, "%s/index.json", fl->dir) < 0 ||
            osl_asprintf(&blob_path, "%s/blobs/sha256/%s", fl->dir, hex) < 0 ||
            osl_asprintf(&index_text,
                         "{\"schemaVersion\":2,\"manifests\":["
                         "{\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
                         "\"annotations\":{\"" OSL_OCI_ANNOTATION_REF_NAME "\":\"latest\"}},"
                         "{\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
                         "\"artifactType\":\"" OSL_SECCOMP_ARTIFACT_TYPE "\"},"
                         "{\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
                         "\"annotations\":{\"" OSL_OCI_ANNOTATION_REF_NAME "\":\"fuzz\"}},"
                         "{\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_INDEX "\",\"digest\":\"%s\",\"size\":%zu,"
                         "\"annotations\":{\"" OSL_OCI_ANNOTATION_REF_NAME "\":\"fuzz-index\"}}]}",
                         fl->image, fl->image_size, fl->artifact, fl->artifact_size, digest, size, digest, size) < 0)
                abort();
        if (lstat(blob_path, &st) < 0) {
                fuzz_write_file(blob_path, data, size);
                written = true;
        }
        fuzz_write_file(index_path, index_text, strlen(index_text));
        if (osl_oci_layout_open(fl->dir, &l, &err) < 0)
                fuzz_fail("%s", err.msg);
        if (osl_oci_read_index(l, &index, &err) < 0)
                fuzz_fail("the index made for the input does not read: %s", err.msg);

        const osl_oci_selector sels[] = {
                {}, { .tag = "latest" }, { .tag = "fuzz" }, { .tag = "fuzz-index" }, { .digest = digest },
        };
        for (size_t i = 0; i < ELEMENTSOF(sels); i++)
                fuzz_oci_use(l, index, &sels[i]);
        if (written)
                unlink(blob_path);
        return 0;
}
