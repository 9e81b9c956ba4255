/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON model and the OCI config round trip: what we do not own must
 * come back unchanged in meaning. */
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "oci_config.h"
#include "testing.h"

static jv *parse_ok(const char *text)
{
        jv *v = NULL;
        osl_error err = {};
        int r = jv_parse(text, strlen(text), "test input", &v, &err);
        CHECK_MSG(r == 0, "parse of %s: %s", text, err.msg);
        return v;
}

static char *serialize_ok(const jv *v, bool pretty)
{
        char *out = NULL;
        osl_error err = {};
        CHECK(jv_serialize(v, pretty, &out, NULL, &err) == 0);
        return out;
}

static void test_numbers_keep_their_text(void)
{
        _cleanup_jv_ jv *v = parse_ok("[18446744073709551615,-9223372036854775808,1e400,-0,2.50,1.5E-300]");
        _cleanup_free_ char *out = serialize_ok(v, false);
        CHECK_STREQ(out, "[18446744073709551615,-9223372036854775808,1e400,-0,2.50,1.5E-300]\n");
        uint64_t u;
        int64_t i;
        CHECK(jv_get_uint64(jv_arr_at(v, 0), &u) && u == UINT64_MAX);
        CHECK(jv_get_int64(jv_arr_at(v, 1), &i) && i == INT64_MIN);
        CHECK(!jv_get_int64(jv_arr_at(v, 2), &i)); /* not an integer */
        CHECK(!jv_get_uint64(jv_arr_at(v, 1), &u)); /* negative */
}

static void test_strings_unicode_and_nul(void)
{
        _cleanup_jv_ jv *v = parse_ok("[\"h\\u00e9 日本 \\ud83d\\ude00\", \"a\\u0000b\", \"\\/\\\"\\b\\f\\n\\r\\t\"]");
        CHECK_STREQ(jv_str(jv_arr_at(v, 0)), "h\xc3\xa9 日本 \xf0\x9f\x98\x80");
        /* An embedded NUL is kept, but is not handed out as a C string. */
        CHECK(jv_arr_at(v, 1)->u.string.len == 3);
        CHECK(jv_str(jv_arr_at(v, 1)) == NULL);
        _cleanup_free_ char *out = serialize_ok(v, false);
        _cleanup_jv_ jv *again = parse_ok(out);
        CHECK(jv_equal(v, again));
}

static void test_objects_keep_order_and_duplicates(void)
{
        _cleanup_jv_ jv *v = parse_ok("{\"b\":1,\"a\":2,\"dup\":\"first\",\"dup\":\"second\"}");
        _cleanup_free_ char *out = serialize_ok(v, false);
        CHECK_STREQ(out, "{\"b\":1,\"a\":2,\"dup\":\"first\",\"dup\":\"second\"}\n");
        CHECK_STREQ(jv_str(jv_obj_get(v, "dup")), "first");
        CHECK(jv_obj_set(v, "a", jv_new_string("x")) == 0);
        CHECK(jv_obj_set(v, "c", jv_new_bool(true)) == 0);
        free(out);
        out = serialize_ok(v, false);
        CHECK_STREQ(out, "{\"b\":1,\"a\":\"x\",\"dup\":\"first\",\"dup\":\"second\",\"c\":true}\n");
        CHECK(jv_obj_remove(v, "dup") == 2);
        _cleanup_jv_ jv *copy = jv_dup(v);
        CHECK(jv_equal(v, copy));
}

static void expect_parse_error(const char *text, const char *needle)
{
        jv *v = NULL;
        osl_error err = {};
        int r = jv_parse(text, strlen(text), "bad.json", &v, &err);
        CHECK_MSG(r == -EINVAL, "%s: expected -EINVAL, got %d", text, r);
        CHECK(v == NULL);
        CHECK_MSG(strstr(err.msg, needle) != NULL, "message \"%s\" lacks \"%s\"", err.msg, needle);
        CHECK(strchr(err.msg, '\n') == NULL);
}

static void test_bad_input(void)
{
        expect_parse_error("", "bad.json");
        expect_parse_error("{\"a\": [1, 2", "bad.json: invalid JSON");
        expect_parse_error("{\"a\": 1} trailing", "invalid JSON");
        expect_parse_error("{'a': 1}", "invalid JSON");
        expect_parse_error("[\"\xff\xfe\"]", "invalid JSON");
        expect_parse_error("{\"a\": 01}", "invalid JSON");

        char deep[JV_MAX_DEPTH * 2 + 8];
        size_t n = 0;
        for (int i = 0; i < JV_MAX_DEPTH + 1; i++)
                deep[n++] = '[';
        deep[n] = '\0';
        expect_parse_error(deep, "deeper than");
}

static void test_file_size_limit(void)
{
        char path[] = "/tmp/osl-test-json-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        CHECK(ftruncate(fd, 2 * 1024 * 1024) == 0);
        close(fd);
        jv *v = NULL;
        osl_error err = {};
        CHECK(jv_parse_file(path, 1024 * 1024, &v, &err) == -EFBIG);
        CHECK(strstr(err.msg, path) && strstr(err.msg, "larger than"));
        unlink(path);
}

/* Drops the fields a config rewrite may change, for comparing the rest. */
static void drop_owned(jv *cfg)
{
        jv_obj_remove(jv_obj_get(cfg, "linux"), "seccomp");
        jv_obj_remove(cfg, "annotations");
        jv_obj_remove(cfg, "hooks");
        jv_obj_remove(jv_obj_get(cfg, "process"), "capabilities");
}

static void check_config_round_trip(const char *path)
{
        _cleanup_jv_ jv *cfg = NULL, *orig = NULL, *back = NULL;
        _cleanup_seccomp_ osl_seccomp *sec = NULL;
        osl_error err = {};
        char out[] = "/tmp/osl-test-config-XXXXXX";
        int fd = mkstemp(out);
        CHECK(fd >= 0);
        close(fd);

        CHECK_MSG(osl_config_load(path, &cfg, &err) == 0, "%s", err.msg);
        CHECK(osl_config_load(path, &orig, &err) == 0);
        /* Plain write-back: everything equal. */
        CHECK(osl_config_save(cfg, out, &err) == 0);
        CHECK(osl_config_load(out, &back, &err) == 0);
        CHECK_MSG(jv_equal(orig, back), "%s changed in a plain round trip", path);
        jv_free(back);
        back = NULL;

        /* Change what we own; the rest must stay as it was. */
        CHECK_MSG(osl_config_get_seccomp(cfg, &sec, &err) == 0, "%s: %s", path, err.msg);
        if (!sec) {
                sec = osl_seccomp_new();
                sec->default_action = strdup("SCMP_ACT_ALLOW");
        }
        char *names[] = { (char *) "getppid", NULL };
        CHECK(osl_seccomp_add_rule(sec, names, 1, "SCMP_ACT_ERRNO", &err) == 0);
        CHECK(osl_config_set_seccomp(cfg, sec, &err) == 0);
        CHECK(osl_config_set_annotation(cfg, "io.seccomp-learn.mode", "learn", &err) == 0);
        char *args[] = { (char *) "x", (char *) "prestart", NULL };
        CHECK(osl_config_add_hook(cfg, "prestart", "/usr/bin/x", args, 5, &err) == 0);
        CHECK(osl_config_add_hook(cfg, "prestart", "/usr/bin/x", args, 5, &err) == 0);
        CHECK(jv_arr_len(jv_get_path(cfg, "hooks", "prestart", NULL)) >= 1);
        CHECK(osl_config_save(cfg, out, &err) == 0);
        CHECK(osl_config_load(out, &back, &err) == 0);
        CHECK_STREQ(osl_config_annotation(back, "io.seccomp-learn.mode"), "learn");
        drop_owned(back);
        drop_owned(orig);
        CHECK_MSG(jv_equal(orig, back), "%s: a field we do not own changed", path);
        unlink(out);
}

/* Configs runc (Go's encoding/json) would read differently from us. */
static void test_config_ambiguity(void)
{
        static const struct {
                const char *config, *message; /* message NULL: accepted */
        } cases[] = {
                { "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[]}},"
                  "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"}},"
                  "\"annotations\":{\"a\":\"1\",\"A\":\"2\"},\"x-unknown\":{\"y\":1,\"y\":2}}", NULL },
                { "{\"linux\":{\"seccomp\":{},\"SECCOMP\":null}}", "config linux: the key \"SECCOMP\" is the OCI field \"seccomp\"" },
                { "{\"linux\":{\"seccomp\":{},\"seccomp\":null}}", "config linux: the key \"seccomp\" appears twice" },
                { "{\"Linux\":{}}", "config (top level): the key \"Linux\" is the OCI field \"linux\"" },
                /* U+017F LATIN SMALL LETTER LONG S folds to 's' in Go. */
                { "{\"linux\":{\"\\u017feccomp\":null}}", "the OCI field \"seccomp\"" },
                /* U+212A KELVIN SIGN folds to 'k'. */
                { "{\"hoo\\u212as\":{}}", "the OCI field \"hooks\"" },
                { "{\"process\":{\"capabilities\":{\"bounding\":[],\"BOUNDING\":[\"CAP_SYS_ADMIN\"]}}}",
                  "config process.capabilities: the key \"BOUNDING\"" },
                { "{\"process\":{\"noNewPrivileges\":true,\"noNewPrivileges\":false}}", "config process: the key \"noNewPrivileges\" appears twice" },
                { "{\"annotations\":{\"io.seccomp-learn.mode\":\"off\",\"io.seccomp-learn.mode\":\"enforce\"}}",
                  "config annotations: the key \"io.seccomp-learn.mode\" appears twice" },
                { "{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[\"clone\"],\"Action\":\"SCMP_ACT_ALLOW\"}]}}}",
                  "config linux.seccomp.syscalls[0]: the key \"Action\"" },
                { "{\"linux\":{\"seccomp\":{\"syscalls\":[{\"args\":[{\"op\":\"a\",\"op\":\"b\"}]}]}}}",
                  "config linux.seccomp.syscalls[0].args[0]: the key \"op\" appears twice" },
                { "{\"hooks\":{\"prestart\":[{\"path\":\"/a\",\"Path\":\"/b\"}]}}", "config hooks.prestart[0]: the key \"Path\"" },
                { "{\"process\":{\"user\":{\"uid\":0,\"UID\":1000}}}", "config process.user: the key \"UID\"" },
                { "{\"x\":1,\"x\":2}", "the key \"x\" appears twice" },
                /* Docker's profile keys: runc ignores them in linux.seccomp, our parser reads them. */
                { "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[]}}}",
                  "config linux.seccomp: the key \"archMap\" belongs to Docker's profile format" },
                { "{\"linux\":{\"seccomp\":{\"syscalls\":[{\"name\":\"mount\",\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
                  "config linux.seccomp.syscalls[0]: the key \"name\" belongs to Docker's profile format" },
                { "{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[\"mkdir\"],\"errno\":\"EACCES\"}]}}}",
                  "the key \"errno\"" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_jv_ jv *cfg = parse_ok(cases[i].config);
                osl_error err = {};
                int r = osl_config_check_unambiguous(cfg, &err);
                if (!cases[i].message)
                        CHECK_MSG(r == 0, "case %zu: %s", i, err.msg);
                else
                        CHECK_ERR(osl_config_check_unambiguous(cfg, &err), -EINVAL, err, cases[i].message);
        }
}

int main(int argc, char **argv)
{
        test_config_ambiguity();
        test_numbers_keep_their_text();
        test_strings_unicode_and_nul();
        test_objects_keep_order_and_duplicates();
        test_bad_input();
        test_file_size_limit();
        /* argv: config files to round-trip (runc spec's, podman's, unusual). */
        for (int i = 1; i < argc; i++)
                check_config_round_trip(argv[i]);
        return testing_result();
}
