/* SPDX-License-Identifier: Apache-2.0 */
/* An OCI runtime config (config.json, podman's precreate stdin): parsed
 * with osl_config_parse, then every part inject reads (linux.seccomp as a
 * profile, annotations and the image they name, process.capabilities,
 * noNewPrivileges) and the edits it makes; the result must serialize and
 * read back as the same document. */
#include <linux/capability.h>

#include "fuzz.h"
#include "image.h"
#include "oci_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const int keep[] = { CAP_CHOWN, CAP_NET_BIND_SERVICE, CAP_KILL };
        static const char *const annotations[] = {
                OSL_ANNOTATION_IMAGE, OSL_ANNOTATION_MODE, OSL_ANNOTATION_VERSION, OSL_ANNOTATION_KEEP_CAPS,
        };
        _cleanup_jv_ jv *cfg = NULL;
        _cleanup_seccomp_ osl_seccomp *sc = NULL;
        _cleanup_strv_ char **removed = NULL;
        osl_image img = {};
        osl_error err = {};

        if (osl_config_parse((const char *) data, size, "config.json", &cfg, &err) < 0)
                return 0;
        fuzz_config_round_trip(cfg);
        (void) osl_config_check_unambiguous(cfg, &err);

        for (size_t i = 0; i < ELEMENTSOF(annotations); i++)
                (void) osl_config_annotation(cfg, annotations[i]);
        (void) osl_config_no_new_privileges(cfg);
        if (osl_image_resolve_config(cfg, NULL, false, &img, &err) == 0) {
                _cleanup_free_ char *component = NULL;
                (void) osl_key_encode(img.key, &component, &err);
        }
        osl_image_clear(&img);

        if (osl_config_get_seccomp(cfg, &sc, &err) == 0 && sc) {
                _cleanup_jv_ jv *oci = NULL;
                (void) osl_seccomp_to_jv(sc, OSL_SECCOMP_OCI, &oci, &err);
                if (osl_config_set_seccomp(cfg, sc, &err) == 0)
                        fuzz_config_round_trip(cfg);
        }

        if (osl_config_restrict_capabilities(cfg, keep, ELEMENTSOF(keep), &removed, &err) == 0) {
                char *args[] = { (char *) "oci-seccomp-learn", (char *) "poststop", NULL };
                (void) osl_config_set_annotation(cfg, OSL_ANNOTATION_APPLIED_VERSION, "1", &err);
                (void) osl_config_add_hook(cfg, "poststop", "/usr/bin/oci-seccomp-learn", args, 10, &err);
                fuzz_config_round_trip(cfg);
        }
        return 0;
}
