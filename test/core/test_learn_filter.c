/* SPDX-License-Identifier: Apache-2.0 */
/* The rules of the learning filter (doc/learning.md), one check each. */
#include <string.h>

#include <seccomp.h>

#include "learn_filter.h"
#include "syscalls.h"
#include "testing.h"

/* The action the filter gives name (the first rule naming it), or the
 * default action when no rule does. */
static const char *action_of(const osl_seccomp *f, const char *name, const osl_seccomp_rule **rule)
{
        for (size_t i = 0; i < f->n_rules; i++)
                for (size_t j = 0; j < f->rules[i].n_names; j++)
                        if (strcmp(f->rules[i].names[j], name) == 0) {
                                if (rule)
                                        *rule = &f->rules[i];
                                return f->rules[i].action;
                        }
        return f->default_action;
}

static osl_seccomp *build(const osl_seccomp *base, const osl_learned *learned, size_t *notified, int expect)
{
        osl_seccomp *f = NULL;
        osl_error err = {};
        osl_learn_filter_input in = {
                .base = base, .learned = learned, .listener_path = "/run/x/agent.sock", .listener_metadata = "v1;mode=learn;key=k",
        };
        int r = osl_learn_filter_build(&in, &f, notified, &err);
        CHECK_MSG(r == expect, "build returned %d (%s), expected %d", r, err.msg, expect);
        return f;
}

static void test_no_base(void)
{
        size_t notified = 0;
        _cleanup_seccomp_ osl_seccomp *f = build(NULL, NULL, &notified, 0);
        if (!f)
                return;
        CHECK_STREQ(f->default_action, "SCMP_ACT_ALLOW");
        CHECK_STREQ(f->listener_path, "/run/x/agent.sock");
        CHECK_STREQ(f->listener_metadata, "v1;mode=learn;key=k");
        CHECK(f->n_architectures >= 1);
        CHECK_STREQ(action_of(f, "openat", NULL), "SCMP_ACT_NOTIFY");
        CHECK_STREQ(action_of(f, "execve", NULL), "SCMP_ACT_NOTIFY");
        /* runc refuses NOTIFY on write; the floor would deadlock runc init. */
        CHECK_STREQ(action_of(f, "write", NULL), "SCMP_ACT_ALLOW");
        for (const char *const *n = osl_runtime_floor; *n; n++)
                CHECK_MSG(strcmp(action_of(f, *n, NULL), "SCMP_ACT_ALLOW") == 0, "%s must not be notified", *n);
        CHECK(notified > 300);
}

static void test_learned_are_allowed(void)
{
        const char *native = osl_arch_to_oci(seccomp_arch_native());
        /* osl_learned keeps its syscalls sorted by arch, then name. */
        osl_learned_syscall s[] = {
                { .arch = (char *) native, .name = (char *) "bind" },
                { .arch = (char *) native, .name = (char *) "execve" },
                { .arch = (char *) native, .name = (char *) "openat" },
        };
        osl_learned learned = { .image_key = (char *) "k", .version = 1, .syscalls = s, .n_syscalls = 3 };
        size_t n0 = 0, n1 = 0;
        _cleanup_seccomp_ osl_seccomp *f0 = build(NULL, NULL, &n0, 0);
        _cleanup_seccomp_ osl_seccomp *f = build(NULL, &learned, &n1, 0);
        if (!f || !f0)
                return;
        CHECK_STREQ(action_of(f, "openat", NULL), "SCMP_ACT_ALLOW");
        /* execve marks the application's start; bind can imply a capability. */
        CHECK_STREQ(action_of(f, "execve", NULL), "SCMP_ACT_NOTIFY");
        CHECK_STREQ(action_of(f, "bind", NULL), "SCMP_ACT_NOTIFY");
        CHECK(n1 == n0 - 1);
}

static void test_base_rules(void)
{
        static const char profile[] =
                "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
                "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                "\"syscalls\":["
                "{\"names\":[\"read\",\"write\",\"execve\",\"futex\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
                "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}";
        _cleanup_jv_ jv *v = NULL;
        _cleanup_seccomp_ osl_seccomp *base = NULL;
        osl_error err = {};
        CHECK(jv_parse(profile, strlen(profile), "profile", &v, &err) == 0);
        CHECK_MSG(osl_seccomp_from_jv(v, &base, &err) == 0, "%s", err.msg);
        if (!base)
                return;
        size_t notified = 0;
        _cleanup_seccomp_ osl_seccomp *f = build(base, NULL, &notified, 0);
        if (!f)
                return;
        const osl_seccomp_rule *rule = NULL;
        CHECK_STREQ(f->default_action, "SCMP_ACT_ERRNO");
        CHECK(f->n_architectures == 1);
        CHECK_STREQ(action_of(f, "read", NULL), "SCMP_ACT_NOTIFY");
        CHECK_STREQ(action_of(f, "write", NULL), "SCMP_ACT_ALLOW");
        CHECK_STREQ(action_of(f, "futex", NULL), "SCMP_ACT_ALLOW");
        /* A conditional allow stays conditional. */
        CHECK_STREQ(action_of(f, "personality", &rule), "SCMP_ACT_NOTIFY");
        CHECK(rule && rule->n_args == 1 && rule->args[0].value == 8);
        /* Denials stay, with their errno. */
        CHECK_STREQ(action_of(f, "ptrace", &rule), "SCMP_ACT_ERRNO");
        CHECK(rule && rule->has_errno_ret && rule->errno_ret == 38);
        /* The default denies: what no rule names stays denied, not notified. */
        CHECK_STREQ(action_of(f, "mkdir", NULL), "SCMP_ACT_ERRNO");
        CHECK(notified == 3); /* read, execve, personality */

        /* A base that already has an agent is left alone. */
        base->listener_path = strdup("/run/other.sock");
        _cleanup_seccomp_ osl_seccomp *g = build(base, NULL, NULL, -EEXIST);
        CHECK(g == NULL);
}

int main(void)
{
        test_no_base();
        test_learned_are_allowed();
        test_base_rules();
        return testing_result();
}
