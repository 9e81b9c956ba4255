/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp profile model: parsing, errors with JSON paths, round trips,
 * includes/excludes resolution. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seccomp_profile.h"
#include "syscalls.h"
#include "testing.h"

#define SAMPLE "data/docker-sample.json"

static jv *parse(const char *text)
{
        osl_error err = { 0 };
        jv *v = NULL;
        if (jv_parse(text, strlen(text), "test input", &v, &err) < 0) {
                fprintf(stderr, "test input does not parse: %s\n%s\n", err.msg, text);
                abort();
        }
        return v;
}

static char *dump(const jv *v)
{
        osl_error err = { 0 };
        char *s = NULL;
        if (jv_serialize(v, false, &s, NULL, &err) < 0)
                abort();
        return s;
}

/* Compares a result with the expected JSON text, printing both on mismatch. */
#define CHECK_JSON(v, expected_text)                                                                     \
        do {                                                                                             \
                jv *_e = parse(expected_text);                                                           \
                if (!jv_equal((v), _e)) {                                                                \
                        char *_a = dump(v), *_b = dump(_e);                                              \
                        fprintf(stderr, "%s:%d: JSON differs\n got:      %s expected: %s", __FILE__, __LINE__, _a, \
                                _b);                                                                     \
                        free(_a);                                                                        \
                        free(_b);                                                                        \
                        testing_failures++;                                                                \
                }                                                                                        \
                jv_free(_e);                                                                             \
        } while (0)

static void test_sample_round_trip(void)
{
        osl_error err = { 0 };
        _cleanup_jv_ jv *input = NULL, *docker = NULL;
        _cleanup_seccomp_ osl_seccomp *s = NULL;

        CHECK_OK(jv_parse_file(SAMPLE, 1 << 20, &input, &err), err);
        CHECK_OK(osl_seccomp_from_jv(input, &s, &err), err);
        if (!s)
                return;
        CHECK_STREQ(s->default_action, "SCMP_ACT_ERRNO");
        CHECK(s->has_default_errno_ret && s->default_errno_ret == 38);
        CHECK(s->n_architectures == 0 && s->arch_map != NULL);
        CHECK(s->n_flags == 1);
        CHECK_STREQ(s->listener_path, "/run/oci-seccomp-learn/agent.sock");
        CHECK(s->n_rules == 9);
        CHECK(s->rules[1].n_args == 2 && s->rules[1].args[0].value == UINT64_MAX);
        CHECK(s->rules[1].args[1].index == 5 && s->rules[1].args[1].value_two == 255);
        CHECK_STREQ(s->rules[0].comment, "what every program does");
        CHECK(s->rules[3].has_errno_ret && s->rules[3].errno_ret == 1);
        /* Unknown names stay in the rule and are listed. */
        CHECK(s->n_unknown_names == 1);
        CHECK_STREQ(s->unknown_names[0], "frobnicate_2099");
        CHECK_STREQ(s->rules[6].names[0], "frobnicate_2099");

        /* Docker form: everything, in the same order, with the same values. */
        CHECK_OK(osl_seccomp_to_jv(s, OSL_SECCOMP_DOCKER, &docker, &err), err);
        if (docker && !jv_equal(docker, input)) {
                char *a = dump(docker);
                fprintf(stderr, "Docker form round trip differs: %s", a);
                free(a);
                testing_failures++;
        }

        /* A copy serializes the same. */
        _cleanup_seccomp_ osl_seccomp *copy = osl_seccomp_dup(s);
        _cleanup_jv_ jv *copy_jv = NULL;
        CHECK(copy != NULL);
        if (copy) {
                CHECK_OK(osl_seccomp_to_jv(copy, OSL_SECCOMP_DOCKER, &copy_jv, &err), err);
                CHECK(jv_equal(copy_jv, docker));
                CHECK(copy->n_unknown_names == 1);
        }

        /* The OCI form cannot hold conditions: resolve first. */
        _cleanup_jv_ jv *oci = NULL;
        CHECK_ERR(osl_seccomp_to_jv(s, OSL_SECCOMP_OCI, &oci, &err), -EINVAL, err, "syscalls[2] has includes/excludes");
        CHECK(oci == NULL);
}

static void test_resolve(void)
{
        osl_error err = { 0 };
        _cleanup_seccomp_ osl_seccomp *s = NULL;

        CHECK_OK(osl_seccomp_load_file(SAMPLE, &s, &err), err);
        if (!s)
                return;

        /* x86_64, no capabilities, kernel 6.1. */
        {
                _cleanup_seccomp_ osl_seccomp *r = NULL;
                _cleanup_jv_ jv *oci = NULL;
                CHECK_OK(osl_seccomp_resolve_for(s, NULL, 0, "SCMP_ARCH_X86_64", "6.1.0-18-amd64", &r, &err), err);
                if (!r)
                        return;
                CHECK(r->n_unknown_names == 0); /* the rule that named it is gone */
                CHECK(r->arch_map == NULL);
                CHECK_OK(osl_seccomp_to_jv(r, OSL_SECCOMP_OCI, &oci, &err), err);
                CHECK_JSON(oci, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
                                "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
                                "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                                "\"listenerPath\":\"/run/oci-seccomp-learn/agent.sock\","
                                "\"listenerMetadata\":\"image=docker.io/library/redis\","
                                "\"syscalls\":["
                                "{\"names\":[\"read\",\"write\",\"execve\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                                "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
                                "{\"index\":0,\"value\":18446744073709551615,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"},"
                                "{\"index\":5,\"value\":4294967295,\"valueTwo\":255,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
                                "{\"names\":[\"mount\",\"umount2\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
                                "{\"names\":[\"arch_prctl\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                                "{\"names\":[\"bpf\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");
                /* Deterministic: the same input gives the same bytes. */
                _cleanup_jv_ jv *again = NULL;
                CHECK_OK(osl_seccomp_to_jv(r, OSL_SECCOMP_OCI, &again, &err), err);
                char *a = dump(oci), *b = dump(again);
                CHECK_STREQ(a, b);
                free(a);
                free(b);
        }

        /* aarch64 with CAP_SYS_ADMIN on an old kernel. */
        {
                char *caps[] = { "CAP_CHOWN", "CAP_SYS_ADMIN", NULL };
                _cleanup_seccomp_ osl_seccomp *r = NULL;
                _cleanup_jv_ jv *oci = NULL;
                CHECK_OK(osl_seccomp_resolve_for(s, caps, 2, "SCMP_ARCH_AARCH64", "5.2.9", &r, &err), err);
                if (!r)
                        return;
                CHECK_OK(osl_seccomp_to_jv(r, OSL_SECCOMP_OCI, &oci, &err), err);
                CHECK_JSON(jv_obj_get(oci, "architectures"), "[\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\"]");
                CHECK(r->n_rules == 6);
                if (r->n_rules == 6) {
                        CHECK_STREQ(r->rules[2].names[0], "mount");
                        CHECK_STREQ(r->rules[2].action, "SCMP_ACT_ALLOW");
                        CHECK_STREQ(r->rules[3].names[0], "sync_file_range2");
                        CHECK_STREQ(r->rules[4].names[0], "clone3"); /* 5.2 < 5.3: not excluded */
                        CHECK_STREQ(r->rules[5].names[0], "bpf");
                }
        }

        /* An architecture archMap does not list: no architectures at all
         * (the runtime's native only), and a kernel new enough for everything. */
        {
                _cleanup_seccomp_ osl_seccomp *r = NULL;
                CHECK_OK(osl_seccomp_resolve_for(s, NULL, 0, "SCMP_ARCH_S390X", "100.0", &r, &err), err);
                if (r) {
                        CHECK(r->n_architectures == 0);
                        CHECK(r->n_unknown_names == 1); /* frobnicate_2099 is in */
                        bool found = false;
                        for (size_t i = 0; i < r->n_rules; i++)
                                found |= strcmp(r->rules[i].names[0], "frobnicate_2099") == 0;
                        CHECK(found);
                }
        }

        /* The native resolution works and needs no arguments. */
        {
                _cleanup_seccomp_ osl_seccomp *r = NULL;
                CHECK_OK(osl_seccomp_resolve(s, NULL, 0, &r, &err), err);
                if (r && osl_arch_native()) {
                        bool listed = r->n_architectures == 0;
                        for (size_t i = 0; i < r->n_architectures; i++)
                                listed |= strcmp(r->architectures[i], osl_arch_native()) == 0;
                        CHECK(listed);
                }
        }

        /* Every included cap must be held. */
        {
                _cleanup_jv_ jv *v = parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                                           "{\"names\":[\"reboot\"],\"action\":\"SCMP_ACT_ALLOW\","
                                           "\"includes\":{\"caps\":[\"CAP_SYS_BOOT\",\"CAP_SYS_ADMIN\"]}}]}");
                _cleanup_seccomp_ osl_seccomp *p = NULL, *one = NULL, *both = NULL;
                char *caps[] = { "CAP_SYS_BOOT", "CAP_SYS_ADMIN", NULL };
                CHECK_OK(osl_seccomp_from_jv(v, &p, &err), err);
                if (!p)
                        return;
                CHECK_OK(osl_seccomp_resolve_for(p, caps, 1, "SCMP_ARCH_X86_64", "6.1", &one, &err), err);
                CHECK_OK(osl_seccomp_resolve_for(p, caps, 2, "SCMP_ARCH_X86_64", "6.1", &both, &err), err);
                CHECK(one && one->n_rules == 0);
                CHECK(both && both->n_rules == 1);
        }

        _cleanup_seccomp_ osl_seccomp *bad = NULL;
        CHECK_ERR(osl_seccomp_resolve_for(s, NULL, 0, "SCMP_ARCH_VAX", NULL, &bad, &err), -EINVAL, err,
                  "SCMP_ARCH_VAX");
        CHECK_ERR(osl_seccomp_resolve_for(s, NULL, 0, NULL, "linux", &bad, &err), -EINVAL, err, "\"linux\"");
        CHECK(bad == NULL);
}

static void test_oci_forms(void)
{
        osl_error err = { 0 };

        /* The old single "name", nulls as Go reads them, errno names. */
        const char *in = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"ENOSYS\","
                         "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\"],\"flags\":null,"
                         "\"syscalls\":[{\"name\":\"read\",\"action\":\"SCMP_ACT_ALLOW\",\"args\":null,"
                         "\"includes\":null},"
                         "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"errno\":\"EPERM\",\"errnoRet\":1,"
                         "\"args\":[{\"index\":1,\"value\":9,\"op\":\"SCMP_CMP_NE\"}],\"futureField\":true}]}";
        _cleanup_jv_ jv *v = parse(in), *oci = NULL, *docker = NULL;
        _cleanup_seccomp_ osl_seccomp *s = NULL;
        CHECK_OK(osl_seccomp_from_jv(v, &s, &err), err);
        if (!s)
                return;
        CHECK(s->has_default_errno_ret && s->default_errno_ret == 38);
        CHECK(s->rules[1].has_errno_ret && s->rules[1].errno_ret == 1);
        CHECK(s->n_unknown_names == 0);
        CHECK_OK(osl_seccomp_to_jv(s, OSL_SECCOMP_OCI, &oci, &err), err);
        CHECK_JSON(oci, "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
                        "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_AARCH64\"],\"syscalls\":["
                        "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                        "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":"
                        "[{\"index\":1,\"value\":9,\"valueTwo\":0,\"op\":\"SCMP_CMP_NE\"}]}]}");

        /* The OCI form of a Docker profile with archMap lists the native arch's set. */
        _cleanup_seccomp_ osl_seccomp *sample = NULL;
        CHECK_OK(osl_seccomp_load_file(SAMPLE, &sample, &err), err);
        if (sample && osl_arch_native() && strcmp(osl_arch_native(), "SCMP_ARCH_X86_64") == 0) {
                /* Drop the conditional rules by hand: keep rules 0, 1, 8. */
                _cleanup_seccomp_ osl_seccomp *plain = osl_seccomp_new();
                char *names[] = { "read", "write" };
                plain->default_action = strdup("SCMP_ACT_KILL_PROCESS");
                plain->arch_map = jv_dup(sample->arch_map);
                CHECK_OK(osl_seccomp_add_rule(plain, names, 2, "SCMP_ACT_ALLOW", &err), err);
                CHECK_OK(osl_seccomp_to_jv(plain, OSL_SECCOMP_OCI, &docker, &err), err);
                CHECK_JSON(docker, "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\","
                                   "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
                                   "\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
        }
}

static void test_unknown_names_and_add_rule(void)
{
        osl_error err = { 0 };
        _cleanup_jv_ jv *v = parse("{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":["
                                   "{\"names\":[\"read\",\"frobnicate_2099\",\"frobnicate_2099\",\"aaa_new\"],"
                                   "\"action\":\"SCMP_ACT_ALLOW\"}]}");
        _cleanup_seccomp_ osl_seccomp *s = NULL;
        _cleanup_jv_ jv *out = NULL;

        CHECK_OK(osl_seccomp_from_jv(v, &s, &err), err);
        if (!s)
                return;
        CHECK(s->rules[0].n_names == 4);
        CHECK(s->n_unknown_names == 2);
        if (s->n_unknown_names == 2) {
                CHECK_STREQ(s->unknown_names[0], "aaa_new");
                CHECK_STREQ(s->unknown_names[1], "frobnicate_2099");
        }
        CHECK_OK(osl_seccomp_to_jv(s, OSL_SECCOMP_OCI, &out, &err), err);
        CHECK_JSON(out, "{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":[{\"names\":"
                        "[\"read\",\"frobnicate_2099\",\"frobnicate_2099\",\"aaa_new\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");

        char *more[] = { "write", "zzz_later" };
        CHECK_OK(osl_seccomp_add_rule(s, more, 2, "SCMP_ACT_NOTIFY", &err), err);
        CHECK(s->n_rules == 2 && s->rules[1].n_names == 2);
        CHECK(s->n_unknown_names == 3);
        if (s->n_unknown_names == 3)
                CHECK_STREQ(s->unknown_names[2], "zzz_later");
        CHECK_ERR(osl_seccomp_add_rule(s, more, 2, "SCMP_ACT_PERMIT", &err), -EINVAL, err, "SCMP_ACT_PERMIT");
        char *bad[] = { "../etc" };
        CHECK_ERR(osl_seccomp_add_rule(s, bad, 1, "SCMP_ACT_ALLOW", &err), -EINVAL, err, "not a syscall name");
        CHECK_ERR(osl_seccomp_add_rule(s, bad, 0, "SCMP_ACT_ALLOW", &err), -EINVAL, err, "at least one");
        CHECK(s->n_rules == 2);

        CHECK(osl_seccomp_action_valid("SCMP_ACT_KILL_THREAD"));
        CHECK(!osl_seccomp_action_valid("SCMP_ACT_allow"));
        CHECK(!osl_seccomp_action_valid(NULL));
}

static void test_bad_profiles(void)
{
        static const struct {
                const char *json;
                const char *message;
        } cases[] = {
                { "[]", "profile: expected an object, got a JSON array" },
                { "{}", "defaultAction: missing" },
                { "{\"defaultAction\":1}", "defaultAction: expected a string, got 1" },
                { "{\"defaultAction\":\"SCMP_ACT_BOGUS\"}", "defaultAction: unknown action \"SCMP_ACT_BOGUS\"" },
                { "{\"defaultAction\":\"SCMP_ACT_\\u0001\"}", "defaultAction: unknown action \"SCMP_ACT_\\x01\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
                  "defaultErrnoRet: expected an integer from 0 to 65535, got -1" },
                { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"1\"}",
                  "defaultErrnoRet: expected a number, got \"1\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrno\":\"EWHATEVER\"}",
                  "defaultErrno: unknown errno name \"EWHATEVER\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":\"SCMP_ARCH_X86_64\"}",
                  "architectures: expected an array of strings, got \"SCMP_ARCH_X86_64\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
                  "architectures[0]: unknown architecture \"SCMP_ARCH_VAX\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_\\u001b[2J\"]}",
                  "architectures[0]: unknown architecture \"SCMP_ARCH_\\x1b[2J\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\\n\"]}",
                  "architectures[0]: unknown architecture \"x86_64\\x0a\": OCI names start with SCMP_ARCH_" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",5]}",
                  "architectures[1]: expected a string, got 5" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
                  "\"subArchitectures\":[\"SCMP_ARCH_Z80\"]}]}",
                  "archMap[0].subArchitectures[0]: unknown architecture \"SCMP_ARCH_Z80\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":[{}]}", "archMap[0].architecture: missing" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"archMap\":{}}", "archMap: expected an array" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
                  "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
                  "archMap: a profile gives \"architectures\" or \"archMap\", not both" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_BOGUS\"]}",
                  "flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_BOGUS\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/a\\u0000b\"}",
                  "listenerPath: NUL bytes (\\u0000) are not allowed" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":5}", "listenerPath: expected a string, got 5" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
                  "syscalls: expected an array, got a JSON object" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[5]}", "syscalls[0]: expected an object, got 5" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
                  "\"SCMP_ACT_ALLOW\"},{\"action\":\"SCMP_ACT_ALLOW\"}]}",
                  "syscalls[1].names: a rule needs at least one syscall name" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                  "syscalls[0].names: a rule needs at least one syscall name" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"name\":\"read\",\"names\":[\"read\"],"
                  "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                  "syscalls[0]: both \"name\" and \"names\" are given" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
                  "syscalls[0].names[0]: \"\" is not a syscall name" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\",\"rm -rf\"],"
                  "\"action\":\"SCMP_ACT_ALLOW\"}]}",
                  "syscalls[0].names[1]: \"rm -rf\" is not a syscall name" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\",\"action\":\"SCMP_ACT_ALLOW\"}]}",
                  "syscalls[0].names: expected an array of strings, got \"read\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}",
                  "syscalls[0].action: missing" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_PERMIT\"}]}",
                  "syscalls[0].action: unknown action \"SCMP_ACT_PERMIT\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
                  "\"errnoRet\":70000}]}",
                  "syscalls[0].errnoRet: expected an integer from 0 to 65535, got 70000" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
                  "\"errno\":\"EPERM\",\"errnoRet\":2}]}",
                  "syscalls[0].errno: EPERM is 1, but errnoRet says 2" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"args\":{}}]}",
                  "syscalls[0].args: expected an array, got a JSON object" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_BOGUS\"}]}]}",
                  "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_BOGUS\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"args\":[{\"index\":0,\"value\":1}]}]}",
                  "syscalls[0].args[0].op: missing" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  "syscalls[0].args[0].index: missing" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  "syscalls[0].args[0].index: expected an integer from 0 to 5, got 6" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"args\":[{\"index\":0,\"value\":18446744073709551616,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  "syscalls[0].args[0].value: expected an integer from 0 to 18446744073709551615, got "
                  "18446744073709551616" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"args\":[{\"index\":0,\"value\":1.5,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  "syscalls[0].args[0].value: expected an integer from 0 to 18446744073709551615, got 1.5" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"args\":[{\"index\":0,\"value\":1,\"valueTwo\":true,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                  "syscalls[0].args[0].valueTwo: expected a number, got true" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"comment\":5}]}",
                  "syscalls[0].comment: expected a string, got 5" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"includes\":{\"caps\":\"CAP_SYS_ADMIN\"}}]}",
                  "syscalls[0].includes.caps: expected an array of strings, got \"CAP_SYS_ADMIN\"" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"excludes\":{\"minKernel\":\"new\"}}]}",
                  "syscalls[0].excludes.minKernel: \"new\" is not a kernel version" },
                { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
                  "\"excludes\":[]}]}",
                  "syscalls[0].excludes: expected an object, got a JSON array" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                osl_error err = { 0 };
                _cleanup_jv_ jv *v = parse(cases[i].json);
                osl_seccomp *s = NULL;
                int r = osl_seccomp_from_jv(v, &s, &err);
                if (r != -EINVAL || !strstr(err.msg, cases[i].message) || s) {
                        fprintf(stderr, "bad profile case %zu: %s\n  expected -EINVAL with: %s\n  got %d: %s\n", i,
                                cases[i].json, cases[i].message, r, err.msg);
                        testing_failures++;
                }
                /* No raw control character ever reaches a message. */
                for (const char *p = err.msg; *p; p++)
                        CHECK((unsigned char) *p >= 0x20);
                osl_seccomp_free(s);
        }
}

static void test_files(void)
{
        osl_error err = { 0 };
        osl_seccomp *s = NULL;
        char path[] = "/tmp/osl-profile-test-XXXXXX";
        int fd = mkstemp(path);

        CHECK_ERR(osl_seccomp_load_file("/nonexistent/profile.json", &s, &err), -ENOENT, err,
                  "/nonexistent/profile.json");
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        const char *text = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":7}]}";
        CHECK(write(fd, text, strlen(text)) == (ssize_t) strlen(text));
        close(fd);
        CHECK_ERR(osl_seccomp_load_file(path, &s, &err), -EINVAL, err, "syscalls[0].action: expected a string");
        CHECK(strncmp(err.msg, path, strlen(path)) == 0);
        CHECK(s == NULL);

        /* Not JSON at all. */
        fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(fd >= 0 && write(fd, "{\"defaultAction\":", 17) == 17);
        if (fd >= 0)
                close(fd);
        CHECK(osl_seccomp_load_file(path, &s, &err) < 0);
        CHECK(strstr(err.msg, path) != NULL);
        CHECK(s == NULL);
        unlink(path);
}

int main(void)
{
        test_sample_round_trip();
        test_resolve();
        test_oci_forms();
        test_unknown_names_and_add_rule();
        test_bad_profiles();
        test_files();
        return testing_result();
}
