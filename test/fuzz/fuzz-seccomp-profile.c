/* SPDX-License-Identifier: Apache-2.0 */
/* A seccomp profile in the Docker or OCI form (docker/podman's
 * seccomp.json, linux.seccomp, `profile import`): osl_seccomp_from_jv,
 * then resolution for a container (x86_64 and aarch64, two kernels, with
 * and without CAP_SYS_ADMIN) and the written forms. What parses must write
 * in the Docker form and read back as the same profile. */
#include "fuzz.h"
#include "seccomp_profile.h"

static void resolve(const osl_seccomp *s, const char *arch, const char *kernel, char *const *caps, size_t n_caps)
{
        _cleanup_seccomp_ osl_seccomp *r = NULL;
        _cleanup_jv_ jv *oci = NULL;
        osl_error err = {};

        if (osl_seccomp_resolve_for(s, caps, n_caps, arch, kernel, &r, &err) < 0)
                return;
        (void) osl_seccomp_to_jv(r, OSL_SECCOMP_OCI, &oci, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char *const caps[] = { (char *) "CAP_SYS_ADMIN", (char *) "CAP_NET_RAW", NULL };
        _cleanup_jv_ jv *v = NULL, *docker = NULL, *docker2 = NULL;
        _cleanup_seccomp_ osl_seccomp *s = NULL, *again = NULL, *copy = NULL;
        osl_error err = {};

        if (jv_parse((const char *) data, size, "profile", &v, &err) < 0)
                return 0;
        if (osl_seccomp_from_jv(v, &s, &err) < 0)
                return 0;

        resolve(s, "SCMP_ARCH_X86_64", "6.1.0-18-amd64", caps, 2);
        resolve(s, "SCMP_ARCH_AARCH64", "4.14", NULL, 0);

        if (!(copy = osl_seccomp_dup(s)))
                abort();
        if (osl_seccomp_to_jv(s, OSL_SECCOMP_DOCKER, &docker, &err) < 0)
                fuzz_fail("a parsed profile does not write: %s", err.msg);
        if (osl_seccomp_from_jv(docker, &again, &err) < 0)
                fuzz_fail("a written profile does not parse: %s", err.msg);
        if (osl_seccomp_to_jv(again, OSL_SECCOMP_DOCKER, &docker2, &err) < 0)
                fuzz_fail("a re-read profile does not write: %s", err.msg);
        if (!jv_equal(docker, docker2))
                fuzz_fail("a profile changed in a write and read round trip");
        jv_free(TAKE_PTR(docker2));
        if (osl_seccomp_to_jv(copy, OSL_SECCOMP_DOCKER, &docker2, &err) < 0 || !jv_equal(docker, docker2))
                fuzz_fail("osl_seccomp_dup made a different profile");
        return 0;
}
