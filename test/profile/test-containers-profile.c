/* SPDX-License-Identifier: Apache-2.0 */
/* The real default profile of podman/CRI-O (containers/common; Debian package
 * golang-github-containers-common): parsed, round-tripped and resolved. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_profile.h"
#include "syscalls.h"
#include "testing.h"

static char *dump(const jv *v)
{
        osl_error err = { 0 };
        char *s = NULL;
        if (jv_serialize(v, true, &s, NULL, &err) < 0)
                abort();
        return s;
}

/* The rule whose names include name and whose action is action. */
static const osl_seccomp_rule *find_rule(const osl_seccomp *s, const char *name, const char *action)
{
        for (size_t i = 0; i < s->n_rules; i++)
                if (strcmp(s->rules[i].action, action) == 0 && osl_strv_contains(s->rules[i].names, name))
                        return &s->rules[i];
        return NULL;
}

int main(int argc, char **argv)
{
        const char *path = argc > 1 ? argv[1] : "/usr/share/containers/seccomp.json";
        osl_error err = { 0 };
        _cleanup_jv_ jv *input = NULL, *docker = NULL, *docker2 = NULL, *oci = NULL;
        _cleanup_seccomp_ osl_seccomp *s = NULL, *again = NULL, *plain = NULL, *admin = NULL;

        if (access(path, R_OK) < 0) {
                printf("SKIP: %s is missing; install golang-github-containers-common\n", path);
                return 77;
        }

        CHECK_OK(jv_parse_file(path, 16 << 20, &input, &err), err);
        CHECK_OK(osl_seccomp_load_file(path, &s, &err), err);
        if (!s)
                return testing_result();
        CHECK_STREQ(s->default_action, "SCMP_ACT_ERRNO");
        CHECK(s->has_default_errno_ret);
        CHECK(s->arch_map != NULL);
        CHECK(s->n_rules == jv_arr_len(jv_obj_get(input, "syscalls")));
        for (size_t i = 0; i < s->n_unknown_names; i++) {
                printf("not known to this libseccomp: %s\n", s->unknown_names[i]);
                CHECK(!osl_syscall_known(s->unknown_names[i]));
        }

        /* Every rule keeps its names, action and conditions. */
        for (size_t i = 0; i < s->n_rules; i++) {
                const jv *rule = jv_arr_at(jv_obj_get(input, "syscalls"), i);
                const jv *names = jv_obj_get(rule, "names");
                CHECK(s->rules[i].n_names == jv_arr_len(names));
                for (size_t j = 0; j < s->rules[i].n_names && j < jv_arr_len(names); j++)
                        CHECK_STREQ(s->rules[i].names[j], jv_str(jv_arr_at(names, j)));
                CHECK_STREQ(s->rules[i].action, jv_str(jv_obj_get(rule, "action")));
                CHECK(jv_equal(s->rules[i].includes, jv_obj_get(rule, "includes")));
                CHECK(jv_equal(s->rules[i].excludes, jv_obj_get(rule, "excludes")));
        }

        /* Docker form -> model -> Docker form is stable. */
        CHECK_OK(osl_seccomp_to_jv(s, OSL_SECCOMP_DOCKER, &docker, &err), err);
        CHECK_OK(osl_seccomp_from_jv(docker, &again, &err), err);
        if (again) {
                CHECK_OK(osl_seccomp_to_jv(again, OSL_SECCOMP_DOCKER, &docker2, &err), err);
                char *a = dump(docker), *b = dump(docker2);
                CHECK_STREQ(a, b);
                free(a);
                free(b);
        }
        CHECK(jv_equal(jv_obj_get(docker, "archMap"), jv_obj_get(input, "archMap")));

        /* runc's default capabilities (`runc spec`). */
        char *runc_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
        CHECK_OK(osl_seccomp_resolve(s, runc_caps, 3, &plain, &err), err);
        if (plain) {
                CHECK(find_rule(plain, "read", "SCMP_ACT_ALLOW") != NULL);
                CHECK(find_rule(plain, "bpf", "SCMP_ACT_ERRNO") != NULL); /* no CAP_SYS_ADMIN */
                CHECK(find_rule(plain, "bpf", "SCMP_ACT_ALLOW") == NULL);
                CHECK(find_rule(plain, "socket", "SCMP_ACT_ALLOW") != NULL); /* CAP_AUDIT_WRITE held */
                if (osl_arch_native() && strcmp(osl_arch_native(), "SCMP_ARCH_X86_64") == 0) {
                        CHECK(find_rule(plain, "arch_prctl", "SCMP_ACT_ALLOW") != NULL);
                        CHECK(find_rule(plain, "cacheflush", "SCMP_ACT_ALLOW") == NULL);
                        CHECK(plain->n_architectures == 3);
                }
                for (size_t i = 0; i < plain->n_rules; i++)
                        CHECK(!plain->rules[i].includes && !plain->rules[i].excludes && !plain->rules[i].comment);
                CHECK_OK(osl_seccomp_to_jv(plain, OSL_SECCOMP_OCI, &oci, &err), err);
                CHECK(jv_obj_get(oci, "archMap") == NULL);
        }
        char *admin_caps[] = { "CAP_SYS_ADMIN", NULL };
        CHECK_OK(osl_seccomp_resolve(s, admin_caps, 1, &admin, &err), err);
        if (admin) {
                CHECK(find_rule(admin, "bpf", "SCMP_ACT_ALLOW") != NULL);
                CHECK(find_rule(admin, "bpf", "SCMP_ACT_ERRNO") == NULL);
        }
        return testing_result();
}
