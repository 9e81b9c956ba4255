/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper, not installed: reads a Docker/OCI seccomp profile, resolves
 * it for the given capabilities on this machine and prints the OCI form
 * (what config.json's linux.seccomp takes).
 *
 *   profile-tool PROFILE [CAP_NAME...]
 */
#include <stdio.h>

#include "seccomp_profile.h"

int main(int argc, char **argv)
{
        osl_error err = { 0 };
        _cleanup_seccomp_ osl_seccomp *docker = NULL, *resolved = NULL;
        _cleanup_jv_ jv *oci = NULL;
        _cleanup_free_ char *text = NULL;

        if (argc < 2) {
                fprintf(stderr, "usage: %s PROFILE [CAP_NAME...]\n", argv[0]);
                return 2;
        }
        if (osl_seccomp_load_file(argv[1], &docker, &err) < 0 ||
            osl_seccomp_resolve(docker, argv + 2, (size_t) (argc - 2), &resolved, &err) < 0 ||
            osl_seccomp_to_jv(resolved, OSL_SECCOMP_OCI, &oci, &err) < 0 ||
            jv_serialize(oci, true, &text, NULL, &err) < 0) {
                fprintf(stderr, "profile-tool: %s\n", err.msg);
                return 1;
        }
        for (size_t i = 0; i < resolved->n_unknown_names; i++)
                fprintf(stderr, "profile-tool: not known to libseccomp, kept: %s\n", resolved->unknown_names[i]);
        fputs(text, stdout);
        return 0;
}
