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
        /* Only the native architecture: runc compiles every name on every
         * architecture listed, in runc init, on every start. */
        CHECK(f->n_architectures == 1);
        CHECK_STREQ(f->architectures[0], osl_arch_native());
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

/* ---- complain and enforce: the base ∩ the learned profile ---- */

static osl_seccomp *parse_profile(const char *text)
{
        _cleanup_jv_ jv *v = NULL;
        osl_seccomp *s = NULL;
        osl_error err = {};
        CHECK_MSG(jv_parse(text, strlen(text), "profile", &v, &err) == 0, "%s", err.msg);
        CHECK_MSG(v && osl_seccomp_from_jv(v, &s, &err) == 0, "%s", err.msg);
        return s;
}

static osl_seccomp *intersect(const osl_seccomp *base, const osl_learned *learned, const char *outside)
{
        osl_seccomp *f = NULL;
        osl_error err = {};
        osl_profile_filter_input in = {
                .base = base, .learned = learned, .outside_action = outside, .outside_errno = 1,
                .listener_path = "/run/x/agent.sock", .listener_metadata = "v1;mode=complain;key=k",
        };
        CHECK_MSG(osl_profile_filter_build(&in, &f, NULL, &err) == 0, "%s", err.msg);
        return f;
}

/* Docker's and containers-common's rule: clone only without namespace flags. */
#define CLONE_RULE                                                                                 \
        "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"           \
        "\"value\":2114060288,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}"

static void test_intersection_keeps_the_base(void)
{
        const char *native = osl_arch_to_oci(seccomp_arch_native());
        osl_learned_syscall s[] = {
                { .arch = (char *) native, .name = (char *) "clone" },
                { .arch = (char *) native, .name = (char *) "execve" },
                { .arch = (char *) native, .name = (char *) "mkdir" },
                { .arch = (char *) native, .name = (char *) "read" },
        };
        osl_learned learned = { .image_key = (char *) "k", .version = 1, .syscalls = s, .n_syscalls = 4 };
        _cleanup_seccomp_ osl_seccomp *base = parse_profile(
                "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
                "\"architectures\":[\"SCMP_ARCH_X86_64\"],\"syscalls\":["
                "{\"names\":[\"read\",\"write\",\"execve\",\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"}," CLONE_RULE ","
                "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}");
        if (!base)
                return;
        const osl_seccomp_rule *rule = NULL;
        for (int mode = 0; mode < 2; mode++) {
                const char *outside = mode == 0 ? "SCMP_ACT_ERRNO" : "SCMP_ACT_NOTIFY";
                _cleanup_seccomp_ osl_seccomp *f = intersect(base, &learned, outside);
                if (!f)
                        return;
                /* The base's default, with its errno, and its architectures. */
                CHECK_STREQ(f->default_action, "SCMP_ACT_ERRNO");
                CHECK(f->has_default_errno_ret && f->default_errno_ret == 38);
                CHECK(f->n_architectures == 1);
                CHECK_STREQ(action_of(f, "read", NULL), "SCMP_ACT_ALLOW");
                /* clone stays allowed only with the base's condition. */
                CHECK_STREQ(action_of(f, "clone", &rule), mode == 0 ? "SCMP_ACT_ALLOW" : "SCMP_ACT_NOTIFY");
                CHECK(rule && rule->n_args == 1 && rule->args[0].value == 2114060288);
                /* Learned, but the base never allowed it: still denied. */
                CHECK_STREQ(action_of(f, "mkdir", NULL), "SCMP_ACT_ERRNO");
                /* The base's own denial, errno and all. */
                CHECK_STREQ(action_of(f, "ptrace", &rule), "SCMP_ACT_ERRNO");
                CHECK(rule && rule->errno_ret == 13);
                /* Allowed by the base, never learned: outside. */
                CHECK_STREQ(action_of(f, "getpid", &rule), mode == 0 ? "SCMP_ACT_ERRNO" : "SCMP_ACT_LOG");
                if (mode == 0)
                        CHECK(rule && rule->has_errno_ret && rule->errno_ret == 1);
                /* Implied for every application (lib/families.h). */
                CHECK_STREQ(action_of(f, "write", NULL), "SCMP_ACT_ALLOW");
                CHECK(mode == 0 || (f->listener_path && strcmp(f->listener_path, "/run/x/agent.sock") == 0));
                /* complain still notifies exec, to see capability use. */
                CHECK_STREQ(action_of(f, "execve", NULL), mode == 0 ? "SCMP_ACT_ALLOW" : "SCMP_ACT_NOTIFY");
        }
}

static void test_intersection_with_an_allowing_default(void)
{
        const char *native = osl_arch_to_oci(seccomp_arch_native());
        osl_learned_syscall s[] = {
                { .arch = (char *) native, .name = (char *) "read" },
                { .arch = (char *) native, .name = (char *) "unshare" },
        };
        osl_learned learned = { .image_key = (char *) "k", .version = 1, .syscalls = s, .n_syscalls = 2 };
        /* A deny list: everything but a conditional unshare and mount. */
        _cleanup_seccomp_ osl_seccomp *base = parse_profile(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                "{\"names\":[\"unshare\",\"setns\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":0,"
                "\"value\":268435456,\"valueTwo\":268435456,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
                "{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}");
        if (!base)
                return;
        const osl_seccomp_rule *rule = NULL;
        _cleanup_seccomp_ osl_seccomp *f = intersect(base, &learned, "SCMP_ACT_ERRNO");
        _cleanup_seccomp_ osl_seccomp *c = intersect(base, &learned, "SCMP_ACT_NOTIFY");
        if (!f || !c)
                return;
        CHECK_STREQ(f->default_action, "SCMP_ACT_ALLOW");
        CHECK_STREQ(action_of(f, "read", NULL), "SCMP_ACT_ALLOW");
        CHECK_STREQ(action_of(f, "openat", NULL), "SCMP_ACT_ERRNO");
        CHECK_STREQ(action_of(f, "mount", NULL), "SCMP_ACT_KILL_PROCESS");
        /* Learned: the base's conditional denial stays, the rest falls to the default. */
        CHECK_STREQ(action_of(f, "unshare", &rule), "SCMP_ACT_ERRNO");
        CHECK(rule && rule->n_args == 1);
        /* Not learned: denied whole, by an unconditional rule after the base's. */
        size_t uncond = 0;
        for (size_t i = 0; i < f->n_rules; i++)
                if (f->rules[i].n_args == 0 && osl_strv_contains(f->rules[i].names, "setns") &&
                    strcmp(f->rules[i].action, "SCMP_ACT_ERRNO") == 0)
                        uncond++;
        CHECK(uncond == 1);
        /* complain: outside calls reported; the conditional denial is kept
         * (an unconditional notify would override it). */
        CHECK_STREQ(action_of(c, "openat", NULL), "SCMP_ACT_NOTIFY");
        CHECK_STREQ(action_of(c, "setns", &rule), "SCMP_ACT_ERRNO");
        size_t fall_through = 0;
        for (size_t i = 0; i < c->n_rules; i++) {
                const osl_seccomp_rule *cr = &c->rules[i];
                if (!osl_strv_contains(cr->names, "setns"))
                        continue;
                CHECK_MSG(cr->n_args == 1, "rule %zu overrides the base's conditional denial of setns", i);
                /* What falls through the denial (bit 28 clear) is reported. */
                if (strcmp(cr->action, "SCMP_ACT_NOTIFY") == 0 && cr->n_args == 1 &&
                    strcmp(cr->args[0].op, "SCMP_CMP_MASKED_EQ") == 0 && cr->args[0].value == 268435456 &&
                    cr->args[0].value_two == 0)
                        fall_through++;
        }
        CHECK(fall_through == 1);
}

/* A deny list: default allow, clone denied only with CLONE_NEWUSER. The
 * calls that fall through are learned through the negated condition. */
static void test_learning_a_deny_list(void)
{
        _cleanup_seccomp_ osl_seccomp *base = parse_profile(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":0,"
                "\"value\":268435456,\"valueTwo\":268435456,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
                "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_NE\"}]}]}");
        if (!base)
                return;
        _cleanup_seccomp_ osl_seccomp *f = build(base, NULL, NULL, 0);
        if (!f)
                return;
        size_t clone_notify = 0, personality_notify = 0;
        for (size_t i = 0; i < f->n_rules; i++) {
                const osl_seccomp_rule *r = &f->rules[i];
                if (osl_strv_contains(r->names, "clone") || osl_strv_contains(r->names, "personality"))
                        CHECK_MSG(r->n_args == 1, "rule %zu is unconditional and would override the denial", i);
                if (strcmp(r->action, "SCMP_ACT_NOTIFY") != 0 || r->n_args != 1)
                        continue;
                if (osl_strv_contains(r->names, "clone"))
                        clone_notify += strcmp(r->args[0].op, "SCMP_CMP_MASKED_EQ") == 0 &&
                                        r->args[0].value == 268435456 && r->args[0].value_two == 0;
                if (osl_strv_contains(r->names, "personality"))
                        personality_notify += strcmp(r->args[0].op, "SCMP_CMP_EQ") == 0 && r->args[0].value == 8;
        }
        CHECK(clone_notify == 1);
        CHECK(personality_notify == 1);
}

/* --generalize: families allows the family of a learned syscall, none does
 * not; the implied calls are allowed either way. */
static void test_generalize(void)
{
        const char *native = osl_arch_to_oci(seccomp_arch_native());
        osl_learned_syscall s[] = { { .arch = (char *) native, .name = (char *) "read" } };
        osl_learned learned = { .image_key = (char *) "k", .version = 1, .syscalls = s, .n_syscalls = 1 };
        for (int with_base = 0; with_base < 2; with_base++) {
                _cleanup_seccomp_ osl_seccomp *base = with_base ? parse_profile("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                        "\"syscalls\":[{\"names\":[\"read\",\"readv\",\"pread64\",\"exit_group\",\"mkdir\",\"clone3\"],"
                        "\"action\":\"SCMP_ACT_ALLOW\"}]}") : NULL;
                for (int g = 0; g < 2; g++) {
                        osl_seccomp *f = NULL;
                        osl_error err = {};
                        osl_profile_filter_input in = { .base = base, .learned = &learned, .outside_action = "SCMP_ACT_ERRNO",
                                                        .outside_errno = 1,
                                                        .generalize = g ? OSL_GENERALIZE_NONE : OSL_GENERALIZE_FAMILIES };
                        CHECK_MSG(osl_profile_filter_build(&in, &f, NULL, &err) == 0, "%s", err.msg);
                        if (!f)
                                continue;
                        CHECK_STREQ(action_of(f, "readv", NULL), g ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW");
                        CHECK_STREQ(action_of(f, "pread64", NULL), g ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW");
                        CHECK_STREQ(action_of(f, "exit_group", NULL), "SCMP_ACT_ALLOW");
                        CHECK_STREQ(action_of(f, "mkdir", NULL), "SCMP_ACT_ERRNO");
                        if (!with_base)
                                CHECK_STREQ(action_of(f, "exit", NULL), "SCMP_ACT_ALLOW");
                        /* clone3 outside the profile: ENOSYS, so that libc falls back to clone. */
                        const osl_seccomp_rule *c3 = NULL;
                        CHECK_STREQ(action_of(f, "clone3", &c3), "SCMP_ACT_ERRNO");
                        CHECK(c3 && c3->has_errno_ret && c3->errno_ret == ENOSYS && c3->n_names == 1);
                        osl_seccomp_free(f);
                }
        }
}

static void test_intersection_without_a_base(void)
{
        const char *native = osl_arch_to_oci(seccomp_arch_native());
        osl_learned_syscall s[] = { { .arch = (char *) native, .name = (char *) "read" } };
        osl_learned learned = { .image_key = (char *) "k", .version = 1, .syscalls = s, .n_syscalls = 1 };
        _cleanup_seccomp_ osl_seccomp *f = intersect(NULL, &learned, "SCMP_ACT_KILL_PROCESS");
        _cleanup_seccomp_ osl_seccomp *c = intersect(NULL, &learned, "SCMP_ACT_NOTIFY");
        if (!f || !c)
                return;
        CHECK_STREQ(f->default_action, "SCMP_ACT_KILL_PROCESS");
        CHECK_STREQ(action_of(f, "read", NULL), "SCMP_ACT_ALLOW");
        CHECK_STREQ(c->default_action, "SCMP_ACT_ALLOW");
        CHECK_STREQ(action_of(c, "read", NULL), "SCMP_ACT_ALLOW");
        CHECK_STREQ(action_of(c, "mkdir", NULL), "SCMP_ACT_NOTIFY");
        CHECK(c->n_architectures >= 1);
        /* complain with a base that has its own agent must log, not notify. */
        _cleanup_seccomp_ osl_seccomp *own = parse_profile(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/own.sock\"}");
        osl_seccomp *g = NULL;
        osl_error err = {};
        osl_profile_filter_input in = { .base = own, .learned = &learned, .outside_action = "SCMP_ACT_NOTIFY",
                                        .listener_path = "/run/x/agent.sock" };
        CHECK_ERR(osl_profile_filter_build(&in, &g, NULL, &err), -EEXIST, err, "/run/own.sock");
        CHECK(g == NULL);
}

/* A companion architecture joins the learning filter once the stored
 * profile holds a call of it, and only that one. */
static void test_companions_from_the_profile(void)
{
        if (seccomp_arch_native() != SCMP_ARCH_X86_64)
                return;
        osl_learned_syscall s[] = {
                { .arch = (char *) "SCMP_ARCH_X86", .name = (char *) "getpid" },
                { .arch = (char *) "SCMP_ARCH_X86_64", .name = (char *) "openat" },
        };
        osl_learned learned = { .image_key = (char *) "k", .version = 1, .syscalls = s, .n_syscalls = 2 };
        size_t notified = 0;
        _cleanup_seccomp_ osl_seccomp *f = build(NULL, &learned, &notified, 0);
        if (!f)
                return;
        CHECK(f->n_architectures == 2);
        CHECK(osl_strv_contains(f->architectures, "SCMP_ARCH_X86_64"));
        CHECK(osl_strv_contains(f->architectures, "SCMP_ARCH_X86"));
        CHECK(!osl_strv_contains(f->architectures, "SCMP_ARCH_X32"));
        /* x86's own calls are notified too (socketcall is left to its
         * multiplexed calls, as before). */
        CHECK_STREQ(action_of(f, "waitpid", NULL), "SCMP_ACT_NOTIFY");
        CHECK_STREQ(action_of(f, "openat", NULL), "SCMP_ACT_ALLOW");
}

/* The methods (doc/learning.md, "Methods"): log logs what notify notifies,
 * the floor and write included, and still notifies exec; notify with the
 * collector logs write. */
static void test_methods(void)
{
        _cleanup_seccomp_ osl_seccomp *logged = NULL, *notified = NULL;
        osl_error err = {};
        osl_learn_filter_input in = { .listener_path = "/run/x/agent.sock", .log = true };
        size_t n = 0;
        CHECK(osl_learn_filter_build(&in, &logged, &n, &err) == 0);
        if (!logged)
                return;
        CHECK_STREQ(logged->listener_path, "/run/x/agent.sock");
        CHECK_STREQ(action_of(logged, "execve", NULL), "SCMP_ACT_NOTIFY");
        CHECK_STREQ(action_of(logged, "execveat", NULL), "SCMP_ACT_NOTIFY");
        CHECK_STREQ(action_of(logged, "openat", NULL), "SCMP_ACT_LOG");
        CHECK_STREQ(action_of(logged, "write", NULL), "SCMP_ACT_LOG");
        for (const char *const *f = osl_runtime_floor; *f; f++)
                CHECK_MSG(strcmp(action_of(logged, *f, NULL), "SCMP_ACT_LOG") == 0, "%s must be logged", *f);
        size_t n_notify = 0;
        for (size_t i = 0; i < logged->n_rules; i++)
                if (strcmp(logged->rules[i].action, "SCMP_ACT_NOTIFY") == 0)
                        n_notify += logged->rules[i].n_names;
        CHECK(n_notify == 2);

        in = (osl_learn_filter_input) { .listener_path = "/run/x/agent.sock", .log_write = true };
        CHECK(osl_learn_filter_build(&in, &notified, &n, &err) == 0);
        if (!notified)
                return;
        CHECK_STREQ(action_of(notified, "write", NULL), "SCMP_ACT_LOG");
        CHECK_STREQ(action_of(notified, "openat", NULL), "SCMP_ACT_NOTIFY");
        CHECK_STREQ(action_of(notified, "futex", NULL), "SCMP_ACT_ALLOW");
}

int main(void)
{
        test_no_base();
        test_methods();
        test_learned_are_allowed();
        test_companions_from_the_profile();
        test_base_rules();
        test_intersection_keeps_the_base();
        test_intersection_with_an_allowing_default();
        test_intersection_without_a_base();
        test_learning_a_deny_list();
        test_generalize();
        return testing_result();
}
