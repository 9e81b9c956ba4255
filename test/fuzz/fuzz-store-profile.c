/* SPDX-License-Identifier: Apache-2.0 */
/* A stored profile (profile.json, versions/N.json): osl_learned_parse, the
 * checks osl_store_load applies to what it read, then the enforceable
 * profile made from it (osl_learned_to_seccomp) in both written forms. The
 * document must name the image docker.io/library/redis, as the store
 * asks. */
#include "fuzz.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_learned_ osl_learned *l = NULL;
        osl_error err = {};

        if (osl_learned_parse((const char *) data, size, "profile.json", FUZZ_IMAGE_KEY, 0, &l, &err) < 0)
                return 0;
        for (size_t i = 0; i < l->n_syscalls; i++)
                if (!osl_learned_has_syscall(l, l->syscalls[i].arch, l->syscalls[i].name))
                        fuzz_fail("a loaded syscall is not found");

        static const struct {
                const char *action;
                uint32_t errno_value;
        } defaults[] = { { "SCMP_ACT_ERRNO", 1 }, { "SCMP_ACT_KILL_PROCESS", 0 } };
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                _cleanup_seccomp_ osl_seccomp *s = NULL;
                _cleanup_jv_ jv *oci = NULL, *docker = NULL;
                if (osl_learned_to_seccomp(l, defaults[i].action, defaults[i].errno_value, &s, &err) < 0)
                        fuzz_fail("a loaded profile gives no seccomp profile: %s", err.msg);
                if (osl_seccomp_to_jv(s, OSL_SECCOMP_OCI, &oci, &err) < 0 ||
                    osl_seccomp_to_jv(s, OSL_SECCOMP_DOCKER, &docker, &err) < 0)
                        fuzz_fail("the seccomp profile of a loaded profile does not write: %s", err.msg);
        }

        /* A version file must hold the version it is named after. */
        osl_learned_free(TAKE_PTR(l));
        if (osl_learned_parse((const char *) data, size, "versions/1.json", FUZZ_IMAGE_KEY, 1, &l, &err) == 0 &&
            l->version != 1)
                fuzz_fail("versions/1.json was taken for version %u", (unsigned) l->version);
        return 0;
}
