/* SPDX-License-Identifier: Apache-2.0 */
/* index.json of an OCI image layout: the input replaces index.json of a
 * small layout (fuzz_oci_layout: an image "latest" with a seccomp profile
 * attached), then everything that reads it runs: osl_oci_read_index (and
 * the descriptors in it), choosing the image by nothing, tag and digest,
 * finding its referrers and fetching the profile. Blobs are verified on
 * the way, so the index decides only which of them are read. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const fuzz_layout *fl = fuzz_oci_layout();
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        _cleanup_free_ char *index_path = NULL;
        _cleanup_jv_ jv *index = NULL;
        osl_error err = {};

        if (osl_asprintf(&index_path, "%s/index.json", fl->dir) < 0)
                abort();
        fuzz_write_file(index_path, data, size);
        if (osl_oci_layout_open(fl->dir, &l, &err) < 0)
                fuzz_fail("%s", err.msg);
        if (osl_oci_read_index(l, &index, &err) < 0)
                return 0;

        const osl_oci_selector sels[] = { {}, { .tag = "latest" }, { .digest = fl->image } };
        for (size_t i = 0; i < ELEMENTSOF(sels); i++)
                fuzz_oci_use(l, index, &sels[i]);
        return 0;
}
