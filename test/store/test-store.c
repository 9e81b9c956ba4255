/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of observations, the profile store and its exports
 * (lib/observation.c, lib/store.c, lib/export.c): round trips, merge
 * semantics, versions, bad files, symlinks. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

#include "export.h"
#include "image.h"
#include "store.h"
#include "testing.h"

static char tmp_root[] = "/tmp/osl-test-store.XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static char *path_join(const char *a, const char *b)
{
        char *p = NULL;
        if (osl_asprintf(&p, "%s/%s", a, b) < 0)
                abort();
        return p;
}

/* ROOT/images/<encoded key>, where the store keeps key. */
static char *image_path(const char *root, const char *key)
{
        _cleanup_free_ char *enc = NULL, *images = path_join(root, "images");
        osl_error err = {};
        if (osl_key_encode(key, &enc, &err) < 0)
                abort();
        return path_join(images, enc);
}

static char *read_text(const char *path)
{
        char *text = NULL;
        osl_error err = {};
        if (osl_read_file(path, 64 << 20, &text, NULL, &err) < 0)
                return NULL;
        return text;
}

static void write_text(const char *path, const char *text)
{
        osl_error err = {};
        if (osl_write_file_atomic(path, text, strlen(text), 0644, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                abort();
        }
}

static bool exists(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0;
}

static osl_observation *make_obs(const char *id, const char *start, const char *end)
{
        osl_observation *o = osl_observation_new();
        if (!o)
                abort();
        o->container_id = strdup(id);
        o->start_time = strdup(start);
        o->end_time = osl_strdup(end);
        o->method = strdup("notify");
        o->image_key = strdup("docker.io/library/redis");
        o->image_tag = strdup("7");
        return o;
}

static void add(osl_observation *o, const char *arch, const char *name, osl_origin origin, uint64_t count)
{
        if (osl_observation_add(o, arch, name, origin, count, false) < 0)
                abort();
}

#define X86_64 "SCMP_ARCH_X86_64"
#define APP OSL_ORIGIN_APPLICATION
#define RUNTIME OSL_ORIGIN_RUNTIME

static const osl_learned_syscall *find(const osl_learned *l, const char *arch, const char *name)
{
        for (size_t i = 0; i < l->n_syscalls; i++)
                if (strcmp(l->syscalls[i].arch, arch) == 0 && strcmp(l->syscalls[i].name, name) == 0)
                        return &l->syscalls[i];
        return NULL;
}

/* ---- observations ---- */

static void test_observation_round_trip(void)
{
        _cleanup_observation_ osl_observation *o = make_obs("c1", "2026-11-28T16:00:00.000Z", "2026-11-28T16:05:00.5Z");
        _cleanup_observation_ osl_observation *back = NULL;
        _cleanup_jv_ jv *v1 = NULL, *v2 = NULL;
        _cleanup_free_ char *path = path_join(tmp_root, "obs.json");
        _cleanup_strv_ char **unknown = NULL;
        osl_error err = {};
        size_t n_unknown = 0;

        o->image_name = strdup("redis:7@sha256:0123");
        o->image_digest = strdup("sha256:0123");
        o->notifications = 42;
        add(o, X86_64, "futex", RUNTIME, 3);
        add(o, X86_64, "read", APP, 12);
        add(o, X86_64, "read", APP, 3);
        add(o, "SCMP_ARCH_X86", "socketcall", APP, 2);
        add(o, X86_64, "frobnicate_v2", APP, 1);
        CHECK(osl_observation_add(o, X86_64, "write", APP, 0, true) == 0);
        CHECK(osl_observation_add(o, X86_64, "close", APP, 0, true) == 0);
        CHECK(osl_observation_add(o, X86_64, "close", APP, 4, false) == 0); /* seen for real: not implied */
        CHECK(osl_observation_add_capability(o, "CAP_NET_BIND_SERVICE", "bind(port 80)") == 0);
        CHECK(osl_observation_add_capability(o, "CAP_NET_BIND_SERVICE", "bind(port 443)") == 0);
        CHECK(osl_observation_add_capability(o, "CAP_CHOWN", NULL) == 0);
        /* Bad input to add is refused, not stored. */
        CHECK(osl_observation_add(o, "SCMP_ARCH_NOPE", "read", APP, 1, false) == -EINVAL);
        CHECK(osl_observation_add(o, X86_64, "no/slash", APP, 1, false) == -EINVAL);
        CHECK(osl_observation_add_capability(o, "NET_ADMIN", NULL) == -EINVAL);
        CHECK(o->n_syscalls == 6);
        CHECK(o->n_capabilities == 2);

        /* When and by whom: later calls widen the times, the first sample stays. */
        CHECK(osl_observation_add_sample(o, X86_64, "read", APP, "2026-11-28T16:00:02Z", "2026-11-28T16:00:03Z", 77,
                                         "redis-server") == 0);
        CHECK(osl_observation_add_sample(o, X86_64, "read", APP, "2026-11-28T16:00:01.5Z", "2026-11-28T16:00:02.5Z", 78,
                                         "other") == 0);
        CHECK(osl_observation_add_sample(o, X86_64, "read", APP, "2026-11-28T17:00:03+01:00", "2026-11-28T16:04:00Z", 0,
                                         NULL) == 0);
        CHECK(osl_observation_add_sample(o, X86_64, "futex", RUNTIME, "2026-11-28T16:00:00.1Z", NULL, 0, NULL) == 0);
        /* A process names itself: what is kept is printable and short. */
        CHECK(osl_observation_add_sample(o, "SCMP_ARCH_X86", "socketcall", APP, NULL, NULL, 9,
                                         "a\tb\xff" "cdefghijklmnopqrstuvwxyz") == 0);
        CHECK(osl_observation_add_sample(o, X86_64, "close", APP, NULL, NULL, 5, "") == 0);
        CHECK(osl_observation_add_sample(o, X86_64, "openat", APP, NULL, NULL, 5, "x") == -ENOENT);
        CHECK(osl_observation_add_sample(o, X86_64, "read", RUNTIME, NULL, NULL, 5, "x") == -ENOENT);
        CHECK(osl_observation_add_sample(o, X86_64, "read", APP, "noon", NULL, 5, "x") == -EINVAL);
        CHECK(osl_observation_add_sample(o, X86_64, "read", APP, "2026-11-28T16:00:02Z", "2026-11-28T16:00:01Z", 0,
                                         NULL) == -EINVAL);
        CHECK(osl_observation_add_sample(o, X86_64, "read", APP, NULL, NULL, -1, NULL) == -EINVAL);
        o->partial = true;

        CHECK_OK(osl_observation_write(o, path, &err), err);
        CHECK_OK(osl_observation_load(path, &back, &err), err);
        if (!back)
                return;
        CHECK_OK(osl_observation_to_jv(o, &v1, &err), err);
        CHECK_OK(osl_observation_to_jv(back, &v2, &err), err);
        CHECK(jv_equal(v1, v2));
        CHECK_STREQ(back->container_id, "c1");
        CHECK_STREQ(back->image_key, "docker.io/library/redis");
        CHECK_STREQ(back->image_tag, "7");
        CHECK_STREQ(back->image_digest, "sha256:0123");
        CHECK_STREQ(back->end_time, "2026-11-28T16:05:00.5Z");
        CHECK_STREQ(back->method, "notify");
        CHECK(back->notifications == 42);
        CHECK(back->n_syscalls == 6);
        CHECK(back->partial);
        for (size_t i = 0; i < back->n_syscalls; i++) {
                const osl_obs_syscall *e = &back->syscalls[i];
                if (strcmp(e->name, "read") == 0) {
                        CHECK(e->count == 15 && e->origin == APP && !e->implied);
                        CHECK_STREQ(e->first_seen, "2026-11-28T16:00:01.5Z");
                        CHECK_STREQ(e->last_seen, "2026-11-28T16:04:00Z");
                        CHECK(e->sample_pid == 77);
                        CHECK_STREQ(e->sample_comm, "redis-server");
                }
                if (strcmp(e->name, "futex") == 0)
                        CHECK(e->first_seen && !e->last_seen && e->sample_pid == 0 && !e->sample_comm);
                if (strcmp(e->name, "socketcall") == 0)
                        CHECK(e->sample_pid == 9 && e->sample_comm && strcmp(e->sample_comm, "a?b?cdefghijklmn") == 0);
                if (strcmp(e->name, "close") == 0)
                        CHECK(e->sample_pid == 5 && !e->sample_comm && !e->first_seen);
                if (strcmp(e->name, "write") == 0)
                        CHECK(e->implied && e->count == 0);
                if (strcmp(e->name, "close") == 0)
                        CHECK(!e->implied && e->count == 4);
                if (strcmp(e->name, "socketcall") == 0)
                        CHECK_STREQ(e->arch, "SCMP_ARCH_X86");
        }
        for (size_t i = 0; i < back->n_capabilities; i++)
                if (strcmp(back->capabilities[i].name, "CAP_NET_BIND_SERVICE") == 0) {
                        CHECK(back->capabilities[i].count == 2);
                        CHECK_STREQ(back->capabilities[i].evidence, "bind(port 80)");
                }
        CHECK(osl_observation_unknown_syscalls(back, &unknown, &n_unknown) == 0);
        CHECK(n_unknown == 1 && unknown && unknown[0] && strcmp(unknown[0], "frobnicate_v2") == 0 && !unknown[1]);

        /* The image may be unknown to the agent: only the key's absence. */
        _cleanup_observation_ osl_observation *anon = make_obs("c2", "2026-11-28T16:00:00Z", NULL), *anon_back = NULL;
        _cleanup_jv_ jv *anon_v = NULL;
        free(anon->image_key);
        anon->image_key = NULL;
        CHECK_OK(osl_observation_to_jv(anon, &anon_v, &err), err);
        CHECK_OK(osl_observation_from_jv(anon_v, &anon_back, &err), err);
        CHECK(anon_back && !anon_back->image_key && !anon_back->end_time && !anon_back->partial);
        /* Without them, no "samples" and no "partial": the file is as before. */
        CHECK(!jv_obj_get(anon_v, "samples") && !jv_obj_get(anon_v, "partial"));
}

#define SAMPLE_BASE "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":1}}}"

static void test_observation_errors(void)
{
        static const struct {
                const char *json;
                const char *message;
        } cases[] = {
                { "[]", "expected a JSON object, got array" },
                { "{\"schemaVersion\":1,\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}",
                  "containerId: missing" },
                { "{\"schemaVersion\":1,\"containerId\":5,\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}",
                  "containerId: expected a string, got number" },
                { "{\"schemaVersion\":2,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}",
                  "schemaVersion: 2 is not supported" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_FOO\":{}}}",
                  "unknown architecture \"SCMP_ARCH_FOO\"" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":\"3\"}}}}",
                  "syscalls.SCMP_ARCH_X86_64.application.read: expected a non-negative integer, got string" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":-1}}}}",
                  "application.read: expected a non-negative integer, got -1" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":1.5}}}}",
                  "got 1.5" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"kernel\":{}}}}",
                  "syscalls.SCMP_ARCH_X86_64: unknown field \"kernel\"" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"foo bar\":1}}}}",
                  "\"foo bar\" is not a syscall name" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":1,\"read\":2}}}}",
                  "\"read\" appears twice" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{},\"implied\":{\"SCMP_ARCH_X86_64\":{\"application\":[\"write\"]}}}",
                  "implied.SCMP_ARCH_X86_64.application[0]: \"write\" is not listed" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"yesterday\",\"method\":\"notify\",\"syscalls\":{}}",
                  "startTime: \"yesterday\" is not an RFC 3339 time" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-02-30T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}",
                  "startTime" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"endTime\":\"2026-11-28T15:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}",
                  "endTime: 2026-11-28T15:00:00Z is before startTime" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"strace\",\"syscalls\":{}}",
                  "method: \"strace\" is not one of notify, log, manual" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"sycalls\":{}}",
                  "unknown field \"sycalls\"" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{\"key\":7},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}",
                  "image.key: expected a string, got number" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{},\"capabilities\":[{\"name\":\"NET_ADMIN\"}]}",
                  "capabilities[0].name: \"NET_ADMIN\" is not a capability name" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{},\"capabilities\":[{\"name\":\"CAP_CHOWN\",\"count\":true}]}",
                  "capabilities[0].count: expected a non-negative integer, got boolean" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":[]}",
                  "syscalls: expected an object, got array" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"write\":{}}}}}",
                  "samples.SCMP_ARCH_X86_64.application: \"write\" is not listed in syscalls.SCMP_ARCH_X86_64.application" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"comm\":\"seventeen-bytes!!\"}}}}}",
                  "samples.SCMP_ARCH_X86_64.application.read.comm: \"seventeen-bytes!!\" is not a command name" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"comm\":\"caf\\u00e9\"}}}}}",
                  "read.comm: \"caf\\xc3\\xa9\" is not a command name" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"comm\":\"a\\nb\"}}}}}",
                  "read.comm: contains a control character" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"pid\":0}}}}}",
                  "read.pid: expected a process id from 1 to 2147483647, got 0" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"pid\":\"7\"}}}}}",
                  "read.pid: expected a process id from 1 to 2147483647, got string" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"comm\":null}}}}}",
                  "read.comm: expected a string, got null" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"tid\":1}}}}}",
                  "read: unknown field \"tid\"" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"firstSeen\":\"2026-11-28T16:00:02Z\",\"lastSeen\":\"2026-11-28T16:00:01Z\"}}}}}",
                  "read.lastSeen: 2026-11-28T16:00:01Z is before firstSeen 2026-11-28T16:00:02Z" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":{\"firstSeen\":\"soon\"}}}}}",
                  "read.firstSeen: \"soon\" is not an RFC 3339 time" },
                { "%s,\"samples\":{\"SCMP_ARCH_X86_64\":{\"kernel\":{}}}}",
                  "samples.SCMP_ARCH_X86_64: unknown field \"kernel\"" },
                { "%s,\"partial\":1}", "partial: expected true or false, got number" },
                { "{\"schemaVersion\":1,\"containerId\":\"c\\u0001\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}",
                  "containerId: contains a control character" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_jv_ jv *v = NULL;
                _cleanup_observation_ osl_observation *o = NULL;
                _cleanup_free_ char *json = NULL;
                osl_error err = {};
                /* "%s" stands for an observation with one syscall, read, left open. */
                if (strncmp(cases[i].json, "%s", 2) == 0) {
                        if (osl_asprintf(&json, "%s%s", SAMPLE_BASE, cases[i].json + 2) < 0)
                                abort();
                } else if (!(json = strdup(cases[i].json)))
                        abort();
                int r = jv_parse(json, strlen(json), "case", &v, &err);
                CHECK_MSG(r == 0, "case %zu: %s", i, err.msg);
                if (r < 0)
                        continue;
                r = osl_observation_from_jv(v, &o, &err);
                CHECK_MSG(r < 0 && !o, "case %zu was accepted", i);
                CHECK_MSG(strstr(err.msg, cases[i].message), "case %zu: \"%s\" lacks \"%s\"", i, err.msg,
                          cases[i].message);
        }

        /* load names the file. */
        _cleanup_free_ char *path = path_join(tmp_root, "bad-obs.json");
        _cleanup_observation_ osl_observation *o = NULL;
        osl_error err = {};
        write_text(path, "{\"schemaVersion\":1,");
        CHECK(osl_observation_load(path, &o, &err) < 0 && !o);
        CHECK_CONTAINS(err.msg, path);
        CHECK_CONTAINS(err.msg, "invalid JSON");
        write_text(path, "{\"schemaVersion\":1,\"containerId\":\"c\",\"image\":{},\"startTime\":\"2026-11-28T16:00:00Z\","
                         "\"method\":\"notify\",\"syscalls\":{\"SCMP_ARCH_PDP11\":{}}}");
        CHECK(osl_observation_load(path, &o, &err) < 0 && !o);
        CHECK_CONTAINS(err.msg, path);
        CHECK_CONTAINS(err.msg, "SCMP_ARCH_PDP11");
}

/* ---- the store ---- */

static int merge(osl_store *s, const char *key, const osl_observation *o, osl_merge_result *res)
{
        osl_error err = {};
        int r = osl_store_merge(s, key, o, res, &err);
        CHECK_MSG(r >= 0, "merge into %s returned %d: %s", key, r, err.msg);
        return r;
}

static void test_merge_union_idempotent_evidence(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "union");
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_observation_ osl_observation *a = make_obs("ca", "2026-11-28T10:00:00Z", "2026-11-28T10:10:00Z");
        _cleanup_observation_ osl_observation *b = make_obs("cb", "2026-11-28T11:00:00Z", "2026-11-28T11:10:00Z");
        _cleanup_observation_ osl_observation *c = make_obs("cc", "2026-11-28T09:00:00+02:00", "2026-11-28T12:00:00Z");
        _cleanup_observation_ osl_observation *d = make_obs("cd", "2026-11-28T13:00:00Z", "2026-11-28T14:00:00Z");
        const char *key = "docker.io/library/redis";
        osl_merge_result res;
        osl_error err = {};

        add(d, X86_64, "read", APP, 2);
        add(d, X86_64, "close", APP, 1);
        add(a, X86_64, "read", APP, 5);
        add(a, X86_64, "write", APP, 7);
        add(a, X86_64, "futex", RUNTIME, 1);
        add(b, X86_64, "write", APP, 1);
        add(b, X86_64, "write", RUNTIME, 2);
        add(b, X86_64, "openat", APP, 3);
        CHECK(osl_observation_add_capability(b, "CAP_NET_BIND_SERVICE", "bind(port 80)") == 0);
        add(c, X86_64, "read", APP, 1);

        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s)
                return;
        if (merge(s, key, a, &res) < 0)
                return;
        CHECK(res.new_version && res.version == 1 && res.added_syscalls == 3 && res.added_capabilities == 0 &&
              !res.duplicate);
        if (merge(s, key, b, &res) < 0)
                return;
        CHECK(res.new_version && res.version == 2 && res.added_syscalls == 1 && res.added_capabilities == 1);

        CHECK_OK(osl_store_load(s, key, 0, &l, &err), err);
        if (!l)
                return;
        CHECK(l->version == 2);
        CHECK(l->n_syscalls == 4);
        CHECK(l->n_capabilities == 1 && l->capabilities[0].added_in == 2 && l->capabilities[0].count == 1);
        CHECK(osl_learned_has_syscall(l, X86_64, "openat") && osl_learned_has_syscall(l, X86_64, "futex"));
        CHECK(!osl_learned_has_syscall(l, "SCMP_ARCH_X86", "read"));
        const osl_learned_syscall *w = find(l, X86_64, "write");
        CHECK(w && w->count == 10 && w->containers == 2 && w->added_in == 1);
        CHECK(w && w->origin[RUNTIME] && w->origin[APP]);
        CHECK(w && strcmp(w->first_seen, "2026-11-28T10:00:00Z") == 0 && strcmp(w->last_seen, "2026-11-28T11:10:00Z") == 0);
        const osl_learned_syscall *op = find(l, X86_64, "openat");
        CHECK(op && op->added_in == 2 && op->containers == 1 && !op->origin[RUNTIME]);
        CHECK(jv_arr_len(l->history) == 2);
        const jv *h2 = jv_arr_at(l->history, 1);
        CHECK_STREQ(jv_str(jv_obj_get(h2, "containerId")), "cb");
        CHECK_STREQ(jv_str(jv_obj_get(h2, "imageTag")), "7");
        CHECK(jv_arr_len(jv_obj_get(h2, "addedSyscalls")) == 1);
        CHECK_STREQ(jv_str(jv_obj_get(jv_arr_at(jv_obj_get(h2, "addedSyscalls"), 0), "name")), "openat");
        CHECK_STREQ(jv_str(jv_arr_at(jv_obj_get(h2, "addedCapabilities"), 0)), "CAP_NET_BIND_SERVICE");
        /* The stored seccomp profile allows exactly what was learned. */
        const jv *names = jv_get_path(l->doc, "seccomp", NULL);
        _cleanup_seccomp_ osl_seccomp *sc = NULL;
        CHECK_OK(osl_seccomp_from_jv(names, &sc, &err), err);
        CHECK(sc && sc->n_rules == 1 && sc->rules[0].n_names == 4 && strcmp(sc->rules[0].action, "SCMP_ACT_ALLOW") == 0);
        CHECK(sc && strcmp(sc->default_action, "SCMP_ACT_ERRNO") == 0 && sc->has_default_errno_ret &&
              sc->default_errno_ret == 1);

        /* Re-merging the same observation changes nothing, to the byte. */
        _cleanup_free_ char *dir = image_path(root, key), *profile = path_join(dir, "profile.json");
        _cleanup_free_ char *v2_path = path_join(dir, "versions/2.json"), *v3_path = path_join(dir, "versions/3.json");
        _cleanup_free_ char *before = read_text(profile), *v2_before = read_text(v2_path);
        CHECK(before && v2_before);
        if (merge(s, key, b, &res) < 0)
                return;
        CHECK(res.duplicate && !res.new_version && res.version == 2 && res.added_syscalls == 0);
        _cleanup_free_ char *after = read_text(profile);
        CHECK(before && after && strcmp(before, after) == 0);
        CHECK(!exists(v3_path));

        /* A new observation with nothing new writes nothing at all: not even
         * its evidence (a converged container costs only the read). */
        struct stat st_before, st_after;
        CHECK(stat(profile, &st_before) == 0);
        if (merge(s, key, c, &res) < 0)
                return;
        CHECK(!res.duplicate && !res.new_version && res.version == 2);
        _cleanup_free_ char *after_c = read_text(profile), *v2_after = read_text(v2_path);
        CHECK(after_c && before && strcmp(before, after_c) == 0);
        CHECK(stat(profile, &st_after) == 0 && st_after.st_ino == st_before.st_ino &&
              st_after.st_mtim.tv_nsec == st_before.st_mtim.tv_nsec);
        CHECK(v2_before && v2_after && strcmp(v2_before, v2_after) == 0);
        CHECK(!exists(v3_path));

        /* One new syscall: a version, and the evidence of the rest with it. */
        if (merge(s, key, d, &res) < 0)
                return;
        CHECK(!res.duplicate && res.new_version && res.version == 3 && res.added_syscalls == 1);
        _cleanup_free_ char *v2_after_d = read_text(v2_path);
        CHECK(v2_before && v2_after_d && strcmp(v2_before, v2_after_d) == 0);
        _cleanup_learned_ osl_learned *l2 = NULL, *old = NULL;
        CHECK_OK(osl_store_load(s, key, 0, &l2, &err), err);
        const osl_learned_syscall *rd = l2 ? find(l2, X86_64, "read") : NULL;
        CHECK(rd && rd->count == 7 && rd->containers == 2);
        CHECK(rd && strcmp(rd->first_seen, "2026-11-28T10:00:00Z") == 0);
        CHECK(rd && strcmp(rd->last_seen, "2026-11-28T14:00:00Z") == 0);
        CHECK(l2 && jv_arr_len(jv_obj_get(l2->doc, "merged")) == 3 && jv_arr_len(l2->history) == 3);
        /* Version 1 is still what it was. */
        CHECK_OK(osl_store_load(s, key, 1, &old, &err), err);
        CHECK(old && old->version == 1 && old->n_syscalls == 3 && old->n_capabilities == 0);
}

/* firstSeen/lastSeen from the samples (the container's life without one),
 * the latest sample kept, partial in the history; also through drift. */
static void test_merge_samples(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "samples");
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_learned_ osl_learned *l1 = NULL, *l2 = NULL, *l3 = NULL, *l4 = NULL;
        _cleanup_drift_ osl_drift *drift = NULL;
        _cleanup_observation_ osl_observation *a = make_obs("ca", "2026-11-28T10:00:00Z", "2026-11-28T10:10:00Z");
        _cleanup_observation_ osl_observation *b = make_obs("cb", "2026-11-28T09:00:00Z", "2026-11-28T11:00:00Z");
        _cleanup_observation_ osl_observation *c = make_obs("cc", "2026-11-28T12:00:00Z", NULL);
        _cleanup_observation_ osl_observation *d = make_obs("cd", "2026-11-28T13:00:00Z", "2026-11-28T13:05:00Z");
        const char *key = "docker.io/library/redis";
        const osl_learned_syscall *e;
        osl_merge_result res;
        osl_drift_result dres;
        osl_accept_result ares;
        osl_error err = {};

        a->partial = true;
        add(a, X86_64, "read", APP, 2);
        add(a, X86_64, "close", APP, 1);
        CHECK(osl_observation_add_sample(a, X86_64, "read", APP, "2026-11-28T10:01:00Z", "2026-11-28T10:05:00Z", 11,
                                         "a-app") == 0);
        /* read by b's runtime and by its application: the application's sample is kept. */
        add(b, X86_64, "read", RUNTIME, 1);
        add(b, X86_64, "read", APP, 1);
        add(b, X86_64, "openat", APP, 1);
        CHECK(osl_observation_add_sample(b, X86_64, "read", APP, "2026-11-28T09:45:00Z", "2026-11-28T10:30:00Z", 22,
                                         "b-app") == 0);
        CHECK(osl_observation_add_sample(b, X86_64, "read", RUNTIME, "2026-11-28T09:30:00Z", "2026-11-28T09:31:00Z", 21,
                                         "runc:[2:INIT]") == 0);
        add(c, X86_64, "read", APP, 1);
        add(c, X86_64, "fstat", APP, 1); /* new: c makes a version, and so its evidence is kept */

        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s || merge(s, key, a, &res) < 0)
                return;
        CHECK_OK(osl_store_load(s, key, 0, &l1, &err), err);
        if (!l1)
                return;
        e = find(l1, X86_64, "read");
        CHECK(e && strcmp(e->first_seen, "2026-11-28T10:01:00Z") == 0 && strcmp(e->last_seen, "2026-11-28T10:05:00Z") == 0);
        CHECK(e && e->sample_pid == 11 && e->sample_comm && strcmp(e->sample_comm, "a-app") == 0 &&
              e->sample_container && strcmp(e->sample_container, "ca") == 0);
        e = find(l1, X86_64, "close");
        CHECK(e && strcmp(e->first_seen, "2026-11-28T10:00:00Z") == 0 && strcmp(e->last_seen, "2026-11-28T10:10:00Z") == 0);
        CHECK(e && !e->sample_container && e->sample_pid == 0 && !e->sample_comm);
        bool partial = false;
        CHECK(jv_get_bool(jv_obj_get(jv_arr_at(l1->history, 0), "partial"), &partial) && partial);

        if (merge(s, key, b, &res) < 0)
                return;
        CHECK(res.new_version && res.version == 2);
        CHECK_OK(osl_store_load(s, key, 0, &l2, &err), err);
        if (!l2)
                return;
        e = find(l2, X86_64, "read");
        /* The earliest sample (b's runtime), not b's start; the latest sample, not b's end. */
        CHECK(e && strcmp(e->first_seen, "2026-11-28T09:30:00Z") == 0 && strcmp(e->last_seen, "2026-11-28T10:30:00Z") == 0);
        CHECK(e && e->sample_pid == 22 && e->sample_comm && strcmp(e->sample_comm, "b-app") == 0 &&
              e->sample_container && strcmp(e->sample_container, "cb") == 0);
        CHECK(!jv_obj_get(jv_arr_at(l2->history, 1), "partial"));

        /* c has no samples: its start is read's last time seen; b's sample stays. */
        if (merge(s, key, c, &res) < 0)
                return;
        CHECK(res.new_version && res.version == 3);
        CHECK_OK(osl_store_load(s, key, 0, &l3, &err), err);
        e = l3 ? find(l3, X86_64, "read") : NULL;
        CHECK(e && strcmp(e->first_seen, "2026-11-28T09:30:00Z") == 0 && strcmp(e->last_seen, "2026-11-28T12:00:00Z") == 0);
        CHECK(e && e->sample_pid == 22 && e->sample_container && strcmp(e->sample_container, "cb") == 0);

        /* Drift keeps the samples and partial until they are accepted. */
        d->partial = true;
        add(d, X86_64, "read", APP, 1);
        add(d, X86_64, "mmap", APP, 4);
        CHECK(osl_observation_add_sample(d, X86_64, "mmap", APP, "2026-11-28T13:01:00Z", "2026-11-28T13:02:00Z", 44,
                                         "d-app") == 0);
        CHECK_OK(osl_store_record_drift(s, key, 0, d, &dres, &err), err);
        CHECK_OK(osl_store_load_drift(s, key, &drift, &err), err);
        CHECK(drift && drift->n_records == 1);
        if (!drift || drift->n_records != 1)
                return;
        const osl_observation *outside = drift->records[0].outside;
        CHECK(outside->partial && outside->n_syscalls == 1);
        CHECK(outside->n_syscalls == 1 && outside->syscalls[0].sample_pid == 44 &&
              outside->syscalls[0].sample_comm && strcmp(outside->syscalls[0].sample_comm, "d-app") == 0 &&
              outside->syscalls[0].first_seen && strcmp(outside->syscalls[0].first_seen, "2026-11-28T13:01:00Z") == 0);
        CHECK_OK(osl_store_accept_drift(s, key, &ares, &err), err);
        CHECK(ares.new_version && ares.version == 4);
        CHECK_OK(osl_store_load(s, key, 0, &l4, &err), err);
        if (!l4)
                return;
        e = find(l4, X86_64, "mmap");
        CHECK(e && strcmp(e->first_seen, "2026-11-28T13:01:00Z") == 0 && strcmp(e->last_seen, "2026-11-28T13:02:00Z") == 0);
        CHECK(e && e->sample_pid == 44 && e->sample_container && strcmp(e->sample_container, "cd") == 0);
        partial = false;
        CHECK(jv_get_bool(jv_obj_get(jv_arr_at(l4->history, 3), "partial"), &partial) && partial);
}

static void test_versions_increment(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "versions");
        _cleanup_store_ osl_store *s = NULL;
        static const char *const names[] = { "read", "write", "openat", "close", "mmap" };
        const char *key = "quay.io/example/app";
        osl_error err = {};

        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s)
                return;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                char id[32];
                osl_merge_result res;
                snprintf(id, sizeof(id), "c%zu", i);
                _cleanup_observation_ osl_observation *o = make_obs(id, "2026-11-28T10:00:00Z", NULL);
                add(o, X86_64, names[i], APP, 1);
                if (merge(s, key, o, &res) < 0)
                        return;
                CHECK_MSG(res.new_version && res.version == i + 1, "merge %zu made version %u", i, res.version);
        }
        for (uint32_t v = 1; v <= ELEMENTSOF(names); v++) {
                _cleanup_learned_ osl_learned *l = NULL;
                CHECK_OK(osl_store_load(s, key, v, &l, &err), err);
                CHECK(l && l->version == v && l->n_syscalls == v && jv_arr_len(l->history) == v);
                CHECK(l && osl_learned_has_syscall(l, X86_64, names[v - 1]));
                CHECK(l && (v == ELEMENTSOF(names) || !osl_learned_has_syscall(l, X86_64, names[v])));
        }
        _cleanup_learned_ osl_learned *none = NULL;
        CHECK(osl_store_load(s, key, ELEMENTSOF(names) + 1, &none, &err) == -ENOENT && !none);
        CHECK_CONTAINS(err.msg, "version 6 of quay.io/example/app is not stored");
        CHECK(osl_store_load(s, "quay.io/example/other", 0, &none, &err) == -ENOENT && !none);
        CHECK_CONTAINS(err.msg, "quay.io/example/other");

        _cleanup_strv_ char **keys = NULL;
        size_t n = 0;
        CHECK_OK(osl_store_list(s, &keys, &n, &err), err);
        CHECK(n == 1 && keys && strcmp(keys[0], key) == 0);
}

/* A merge that died after writing versions/N.json but before profile.json:
 * the next merge publishes that version first, so nothing is lost or repeated. */
static void test_roll_forward(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "rollforward");
        _cleanup_store_ osl_store *s = NULL;
        const char *key = "docker.io/library/nginx";
        _cleanup_free_ char *dir = image_path(root, key), *profile = path_join(dir, "profile.json");
        _cleanup_free_ char *v1_text = NULL;
        _cleanup_observation_ osl_observation *a = make_obs("a", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *b = make_obs("b", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *c = make_obs("c", "2026-11-28T10:00:00Z", NULL);
        osl_merge_result res;
        osl_error err = {};

        add(a, X86_64, "read", APP, 1);
        add(b, X86_64, "write", APP, 1);
        add(c, X86_64, "close", APP, 1);
        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s || merge(s, key, a, &res) < 0)
                return;
        v1_text = read_text(profile);
        if (merge(s, key, b, &res) < 0)
                return;
        write_text(profile, v1_text); /* as if the merge of b died before its last rename */

        _cleanup_learned_ osl_learned *cur = NULL, *v2 = NULL;
        CHECK_OK(osl_store_load(s, key, 0, &cur, &err), err);
        CHECK(cur && cur->version == 1);
        CHECK(osl_store_load(s, key, 2, &v2, &err) == -ENOENT); /* not published */

        if (merge(s, key, c, &res) < 0)
                return;
        CHECK(res.new_version && res.version == 3 && res.added_syscalls == 1);
        _cleanup_learned_ osl_learned *l = NULL;
        CHECK_OK(osl_store_load(s, key, 0, &l, &err), err);
        CHECK(l && l->version == 3 && l->n_syscalls == 3 && osl_learned_has_syscall(l, X86_64, "write"));
        /* b counts as merged: merging it again is a no-op. */
        if (merge(s, key, b, &res) < 0)
                return;
        CHECK(res.duplicate && res.version == 3);
}

static void test_bad_profiles(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "bad");
        _cleanup_store_ osl_store *s = NULL;
        const char *key = "example.com/bad";
        _cleanup_free_ char *dir = image_path(root, key), *profile = path_join(dir, "profile.json");
        _cleanup_free_ char *good = NULL;
        _cleanup_observation_ osl_observation *a = make_obs("a", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *b = make_obs("b", "2026-11-28T10:00:00Z", NULL);
        osl_merge_result res;
        osl_error err = {};

        add(a, X86_64, "read", APP, 1);
        add(b, X86_64, "write", APP, 1);
        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s || merge(s, key, a, &res) < 0 || !(good = read_text(profile)))
                return;

        /* Each: a path in the document, a new value (JSON), the message part. */
        static const struct {
                const char *field, *value, *message;
        } edits[] = {
                { "version", "\"1\"", "version: expected an integer from 0 to 4294967295, got string" },
                { "version", "0", "version: must be at least 1" },
                { "schemaVersion", "3", "schemaVersion: 3 is not supported" },
                { "image", "\"example.com/other\"", "image: is \"example.com/other\"" },
                { "updated", "42", "updated: expected a non-empty string, got 42" },
                { "syscalls", "{}", "syscalls: expected an array, got object" },
                { "syscalls", "[{\"arch\":\"SCMP_ARCH_X86_64\",\"name\":\"read\",\"origins\":[\"application\"],\"count\":\"x\","
                              "\"containers\":1,\"firstSeen\":\"2026-11-28T10:00:00Z\",\"lastSeen\":\"2026-11-28T10:00:00Z\",\"addedIn\":1}]",
                  "syscalls[0].count: expected an integer" },
                { "syscalls", "[{\"arch\":\"SCMP_ARCH_VAX\",\"name\":\"read\",\"origins\":[\"application\"],\"count\":1,"
                              "\"containers\":1,\"firstSeen\":\"2026-11-28T10:00:00Z\",\"lastSeen\":\"2026-11-28T10:00:00Z\",\"addedIn\":1}]",
                  "syscalls[0].arch: unknown architecture \"SCMP_ARCH_VAX\"" },
                { "syscalls", "[{\"arch\":\"SCMP_ARCH_X86_64\",\"name\":\"read\",\"origins\":[\"kernel\"],\"count\":1,"
                              "\"containers\":1,\"firstSeen\":\"2026-11-28T10:00:00Z\",\"lastSeen\":\"2026-11-28T10:00:00Z\",\"addedIn\":1}]",
                  "syscalls[0].origins: item 0 is not" },
                { "syscalls", "[{\"arch\":\"SCMP_ARCH_X86_64\",\"name\":\"read\",\"origins\":[\"application\"],\"count\":1,"
                              "\"containers\":1,\"firstSeen\":\"2026-11-28T10:00:00Z\",\"lastSeen\":\"2026-11-28T10:00:00Z\",\"addedIn\":9}]",
                  "syscalls[0].addedIn: expected an integer from 0 to 1, got 9" },
                { "syscalls", "[1]", "syscalls[0]: expected an object, got 1" },
                { "syscalls", "[{\"arch\":\"SCMP_ARCH_X86_64\",\"name\":\"read\",\"origins\":[\"application\"],\"count\":1,"
                              "\"containers\":1,\"firstSeen\":\"2026-11-28T10:00:00Z\",\"lastSeen\":\"2026-11-28T10:00:00Z\",\"addedIn\":1,"
                              "\"sample\":{\"pid\":3}}]",
                  "syscalls[0].sample.containerId: missing" },
                { "syscalls", "[{\"arch\":\"SCMP_ARCH_X86_64\",\"name\":\"read\",\"origins\":[\"application\"],\"count\":1,"
                              "\"containers\":1,\"firstSeen\":\"2026-11-28T10:00:00Z\",\"lastSeen\":\"2026-11-28T10:00:00Z\",\"addedIn\":1,"
                              "\"sample\":{\"containerId\":\"c\",\"comm\":\"\\u001b[2J\"}}]",
                  "syscalls[0].sample.comm: is not a command name" },
                { "syscalls", "[{\"arch\":\"SCMP_ARCH_X86_64\",\"name\":\"read\",\"origins\":[\"application\"],\"count\":1,"
                              "\"containers\":1,\"firstSeen\":\"2026-11-28T10:00:00Z\",\"lastSeen\":\"2026-11-28T10:00:00Z\",\"addedIn\":1,"
                              "\"sample\":{\"containerId\":\"c\",\"pid\":-4}}]",
                  "syscalls[0].sample.pid: expected a process id from 1 to 2147483647, got -4" },
                /* Only a version file has a record, and then no seccomp (store v2). */
                { "record", "{\"version\":1}", "seccomp: not expected in a version file" },
                { "base", "true", "base: only in a version file" },
                { "capabilities", "[{\"name\":\"CAP_CHOWN\",\"count\":1}]", "capabilities[0].addedIn: missing" },
                /* The history is history.jsonl's (store v2). */
                { "history", "[]", "unknown field \"history\"" },
                { "merged", "[1]", "merged[0]: expected a string, got 1" },
                { "merged", NULL, "merged: missing" },
                { "seccomp", "[]", "seccomp: expected an object, got array" },
                { "extra", "1", "unknown field \"extra\"" },
        };
        static const struct {
                const char *text, *message;
        } texts[] = {
                { "", "invalid JSON" },
                { "{", "invalid JSON" },
                { "[1,2]", "expected a JSON object, got array" },
                { "null", "expected a JSON object, got null" },
        };

        for (size_t i = 0; i < ELEMENTSOF(edits) + ELEMENTSOF(texts) + 1; i++) {
                _cleanup_free_ char *bad = NULL;
                _cleanup_learned_ osl_learned *l = NULL;
                const char *want;
                if (i < ELEMENTSOF(edits)) {
                        _cleanup_jv_ jv *doc = NULL, *value = NULL;
                        if (jv_parse(good, strlen(good), "good", &doc, &err) < 0)
                                abort();
                        if (edits[i].value) {
                                if (jv_parse(edits[i].value, strlen(edits[i].value), "value", &value, &err) < 0)
                                        abort();
                                jv_obj_set(doc, edits[i].field, TAKE_PTR(value));
                        } else
                                jv_obj_remove(doc, edits[i].field);
                        if (jv_serialize(doc, true, &bad, NULL, &err) < 0)
                                abort();
                        want = edits[i].message;
                } else if (i < ELEMENTSOF(edits) + ELEMENTSOF(texts)) {
                        bad = strdup(texts[i - ELEMENTSOF(edits)].text);
                        want = texts[i - ELEMENTSOF(edits)].message;
                } else {
                        bad = strndup(good, strlen(good) / 2); /* truncated */
                        want = "invalid JSON";
                }
                write_text(profile, bad);
                err = (osl_error) {};
                CHECK_MSG(osl_store_load(s, key, 0, &l, &err) < 0 && !l, "edit %zu was accepted", i);
                CHECK_MSG(strstr(err.msg, want) && strstr(err.msg, profile), "edit %zu: \"%s\" lacks \"%s\" or the path",
                          i, err.msg, want);
                /* A merge refuses too, and leaves the file alone. */
                err = (osl_error) {};
                CHECK_MSG(osl_store_merge(s, key, b, &res, &err) < 0, "edit %zu: merge accepted it", i);
                CHECK_MSG(strstr(err.msg, want), "edit %zu: merge said \"%s\"", i, err.msg);
                _cleanup_free_ char *after = read_text(profile);
                CHECK_MSG(after && strcmp(after, bad) == 0, "edit %zu: the bad file was changed", i);
        }

        /* Not a regular file: refused, and a FIFO does not hang the reader. */
        CHECK(unlink(profile) == 0 && mkfifo(profile, 0644) == 0);
        _cleanup_learned_ osl_learned *l = NULL;
        CHECK(osl_store_load(s, key, 0, &l, &err) < 0);
        CHECK_CONTAINS(err.msg, "is not a regular file");
        unlink(profile);
        write_text(profile, good);
}

static void test_symlinks(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "symlinks"), *elsewhere = path_join(tmp_root, "elsewhere");
        const char *key = "docker.io/library/busybox";
        _cleanup_free_ char *images = path_join(root, "images"), *dir = image_path(root, key);
        _cleanup_free_ char *profile = path_join(dir, "profile.json"), *versions = path_join(dir, "versions");
        _cleanup_free_ char *lock = path_join(dir, "lock"), *v2 = path_join(versions, "2.json");
        _cleanup_free_ char *moved = path_join(tmp_root, "moved");
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_observation_ osl_observation *a = make_obs("a", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *b = make_obs("b", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *c = make_obs("c", "2026-11-28T10:00:00Z", NULL);
        osl_merge_result res;
        osl_error err = {};

        add(a, X86_64, "read", APP, 1);
        add(b, X86_64, "write", APP, 1);
        add(c, X86_64, "close", APP, 1);
        CHECK(mkdir(elsewhere, 0755) == 0);
        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s || merge(s, key, a, &res) < 0 || merge(s, key, b, &res) < 0)
                return;

        struct {
                const char *what;
                const char *path; /* replaced by a symlink to elsewhere */
                bool breaks_current_load;
        } cases[] = {
                { "images", images, true },
                { "the image directory", dir, true },
                { "versions", versions, false },
                { "profile.json", profile, true },
                { "lock", lock, false },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_learned_ osl_learned *l = NULL, *l1 = NULL;
                CHECK(rename(cases[i].path, moved) == 0);
                CHECK(symlink(elsewhere, cases[i].path) == 0);

                int r = osl_store_load(s, key, 0, &l, &err);
                if (cases[i].breaks_current_load) {
                        CHECK_MSG(r == -ELOOP, "%s: load returned %d: %s", cases[i].what, r, err.msg);
                        CHECK_CONTAINS(err.msg, "is a symbolic link; refusing to follow it");
                        CHECK_CONTAINS(err.msg, cases[i].path);
                } else
                        CHECK_MSG(r == 0, "%s: load returned %d: %s", cases[i].what, r, err.msg);
                if (strcmp(cases[i].what, "versions") == 0) {
                        CHECK(osl_store_load(s, key, 1, &l1, &err) == -ELOOP);
                        CHECK_CONTAINS(err.msg, versions);
                }
                err = (osl_error) {};
                r = osl_store_merge(s, key, c, &res, &err);
                CHECK_MSG(r == -ELOOP, "%s: merge returned %d: %s", cases[i].what, r, err.msg);
                CHECK_CONTAINS(err.msg, "symbolic link");

                /* Nothing was written through the link. */
                DIR *d = opendir(elsewhere);
                size_t entries = 0;
                for (struct dirent *de; d && (de = readdir(d));)
                        entries += de->d_name[0] != '.';
                if (d)
                        closedir(d);
                CHECK_MSG(entries == 0, "%s: %zu files appeared in the link's target", cases[i].what, entries);

                CHECK(unlink(cases[i].path) == 0);
                CHECK(rename(moved, cases[i].path) == 0);
        }

        /* A planted versions/<next>.json link is never followed either. */
        CHECK(exists(v2));
        _cleanup_free_ char *v3 = path_join(versions, "3.json");
        CHECK(symlink(profile, v3) == 0);
        err = (osl_error) {};
        CHECK(osl_store_merge(s, key, c, &res, &err) == -ELOOP);
        CHECK_CONTAINS(err.msg, v3);
        unlink(v3);

        /* Untouched by all of that: still version 2, and c merges now. */
        if (merge(s, key, c, &res) < 0)
                return;
        CHECK(res.version == 3 && res.new_version);
}

static void test_seccomp_and_list(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "list");
        _cleanup_store_ osl_store *s = NULL, *env_store = NULL, *missing = NULL;
        _cleanup_observation_ osl_observation *a = make_obs("a", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *empty = make_obs("e", "2026-11-28T10:00:00Z", NULL);
        static const char *const keys[] = { "localhost/zeta", "docker.io/library/alpine", "example.com:5000/a/b_c" };
        osl_merge_result res;
        osl_error err = {};

        add(a, X86_64, "read", APP, 1);
        add(a, "SCMP_ARCH_X86", "read", APP, 1);
        add(a, "SCMP_ARCH_X86", "socketcall", APP, 1);
        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s)
                return;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (merge(s, keys[i], a, &res) < 0)
                        return;
        /* An observation with nothing in it makes no profile at all. */
        if (merge(s, "docker.io/library/empty", empty, &res) < 0)
                return;
        CHECK(!res.new_version && res.version == 0 && !res.duplicate);

        _cleanup_strv_ char **list = NULL;
        size_t n = 0;
        CHECK_OK(osl_store_list(s, &list, &n, &err), err);
        CHECK(n == 3 && list && strcmp(list[0], "docker.io/library/alpine") == 0 &&
              strcmp(list[1], "example.com:5000/a/b_c") == 0 && strcmp(list[2], "localhost/zeta") == 0);

        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_seccomp_ osl_seccomp *sc = NULL, *back = NULL;
        _cleanup_jv_ jv *docker = NULL;
        CHECK_OK(osl_store_load(s, keys[0], 0, &l, &err), err);
        if (!l)
                return;
        CHECK_OK(osl_learned_to_seccomp(l, "SCMP_ACT_LOG", 0, &sc, &err), err);
        CHECK(sc && strcmp(sc->default_action, "SCMP_ACT_LOG") == 0 && !sc->has_default_errno_ret);
        CHECK(sc && sc->n_architectures == 2 && strcmp(sc->architectures[0], "SCMP_ARCH_X86") == 0 &&
              strcmp(sc->architectures[1], "SCMP_ARCH_X86_64") == 0);
        CHECK(sc && sc->n_rules == 1 && sc->rules[0].n_names == 2 && strcmp(sc->rules[0].names[0], "read") == 0 &&
              strcmp(sc->rules[0].names[1], "socketcall") == 0);
        CHECK_OK(osl_seccomp_to_jv(sc, OSL_SECCOMP_DOCKER, &docker, &err), err);
        CHECK_OK(osl_seccomp_from_jv(docker, &back, &err), err);

        /* Where the store is when no root is given. */
        CHECK(setenv(OSL_STORE_ENV, root, 1) == 0);
        CHECK_OK(osl_store_open(NULL, false, &env_store, &err), err);
        CHECK(env_store && strcmp(osl_store_root(env_store), root) == 0);
        osl_store_close(TAKE_PTR(env_store));
        CHECK(unsetenv(OSL_STORE_ENV) == 0);
        CHECK_OK(osl_store_open(NULL, false, &env_store, &err), err);
        CHECK(env_store && strcmp(osl_store_root(env_store), OSL_DEFAULT_STORE) == 0);

        /* A store that does not exist is empty to readers. */
        _cleanup_free_ char *nowhere = path_join(tmp_root, "nowhere");
        _cleanup_strv_ char **none = NULL;
        _cleanup_learned_ osl_learned *nl = NULL;
        CHECK_OK(osl_store_open(nowhere, false, &missing, &err), err);
        CHECK(missing && osl_store_list(missing, &none, &n, &err) == 0 && n == 0 && none && !none[0]);
        CHECK(missing && osl_store_load(missing, keys[0], 0, &nl, &err) == -ENOENT);
        CHECK(!exists(nowhere));
}

/* Only the newest MERGED_MAX (4096) observation ids are remembered. */
static void test_merged_cap(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "cap");
        const char *key = "docker.io/library/cap";
        _cleanup_free_ char *dir = image_path(root, key), *profile = path_join(dir, "profile.json");
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_observation_ osl_observation *a = make_obs("a", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *b = make_obs("b", "2026-11-28T10:00:00Z", NULL);
        _cleanup_free_ char *text = NULL, *filled = NULL;
        _cleanup_jv_ jv *doc = NULL, *merged = jv_new_array();
        _cleanup_learned_ osl_learned *l = NULL;
        osl_merge_result res;
        osl_error err = {};

        add(a, X86_64, "read", APP, 1);
        add(b, X86_64, "write", APP, 1); /* new: a merge that adds nothing writes nothing */
        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s || merge(s, key, a, &res) < 0 || !(text = read_text(profile)))
                return;
        if (jv_parse(text, strlen(text), profile, &doc, &err) < 0)
                abort();
        for (int i = 0; i < 4096; i++) {
                char id[64];
                snprintf(id, sizeof(id), "old%d@2026-11-28T10:00:00Z", i);
                jv_arr_append(merged, jv_new_string(id));
        }
        jv_obj_set(doc, "merged", TAKE_PTR(merged));
        if (jv_serialize(doc, true, &filled, NULL, &err) < 0)
                abort();
        write_text(profile, filled);
        if (merge(s, key, b, &res) < 0)
                return;
        CHECK_OK(osl_store_load(s, key, 0, &l, &err), err);
        const jv *m = l ? jv_obj_get(l->doc, "merged") : NULL;
        CHECK(jv_arr_len(m) == 4096);
        CHECK_STREQ(jv_str(jv_arr_at(m, 0)), "old1@2026-11-28T10:00:00Z");
        CHECK_STREQ(jv_str(jv_arr_at(m, 4095)), "b@2026-11-28T10:00:00Z");
}

/* ---- drift and accept ---- */

static int record(osl_store *s, const char *key, uint32_t version, const osl_observation *o, osl_drift_result *res)
{
        osl_error err = {};
        int r = osl_store_record_drift(s, key, version, o, res, &err);
        CHECK_MSG(r >= 0, "record_drift into %s returned %d: %s", key, r, err.msg);
        return r;
}

static size_t count_files(const char *dir)
{
        size_t n = 0;
        DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

static void test_drift_record(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "drift");
        const char *key = "docker.io/library/redis";
        _cleanup_free_ char *dir = image_path(root, key), *profile = path_join(dir, "profile.json"),
                            *drift = path_join(dir, "drift.json"), *versions = path_join(dir, "versions");
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_observation_ osl_observation *v1 = make_obs("v1", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *v2 = make_obs("v2", "2026-11-28T10:05:00Z", NULL);
        _cleanup_observation_ osl_observation *inside = make_obs("in", "2026-11-28T11:00:00Z", NULL);
        _cleanup_observation_ osl_observation *out = make_obs("out", "2026-11-28T11:00:00Z", "2026-11-28T11:30:00Z");
        osl_merge_result mres;
        osl_drift_result res;
        osl_error err = {};

        add(v1, X86_64, "read", APP, 1);
        add(v1, X86_64, "futex", RUNTIME, 1);
        add(v2, X86_64, "openat", APP, 1);
        add(inside, X86_64, "read", APP, 9);
        add(out, X86_64, "read", APP, 9);
        add(out, X86_64, "openat", APP, 2);  /* in version 2, not in version 1 */
        add(out, X86_64, "sendfile", APP, 4);
        add(out, X86_64, "sendfile", RUNTIME, 1);
        add(out, "SCMP_ARCH_X86", "read", APP, 1);
        CHECK(osl_observation_add_capability(out, "CAP_NET_RAW", "socket(AF_PACKET)") == 0);

        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s)
                return;
        /* No profile: nothing to drift from. */
        CHECK(osl_store_record_drift(s, key, 1, out, &res, &err) == -ENOENT);
        CHECK_CONTAINS(err.msg, "no profile is stored for docker.io/library/redis");
        if (merge(s, key, v1, &mres) < 0 || merge(s, key, v2, &mres) < 0)
                return;
        _cleanup_free_ char *profile_before = read_text(profile);

        /* Nothing outside: nothing written. */
        if (record(s, key, 2, inside, &res) < 0)
                return;
        CHECK(res.version == 2 && res.added_syscalls == 0 && res.added_capabilities == 0 && !res.duplicate);
        CHECK(!exists(drift));

        /* Against version 1: openat is outside too; against 2 it is not. */
        if (record(s, key, 1, out, &res) < 0)
                return;
        CHECK_MSG(res.version == 1 && res.added_syscalls == 3 && res.added_capabilities == 1 && !res.duplicate,
                  "version %u, %zu syscalls, %zu capabilities", res.version, res.added_syscalls, res.added_capabilities);
        CHECK(exists(drift));
        _cleanup_free_ char *drift_once = read_text(drift);

        /* The same observation again: nothing changes, the same counts. */
        if (record(s, key, 1, out, &res) < 0)
                return;
        CHECK(res.duplicate && res.version == 1 && res.added_syscalls == 3 && res.added_capabilities == 1);
        _cleanup_free_ char *drift_twice = read_text(drift);
        CHECK(drift_once && drift_twice && strcmp(drift_once, drift_twice) == 0);

        /* Drift never makes a version and leaves the profile alone. */
        _cleanup_free_ char *profile_after = read_text(profile);
        CHECK(profile_before && profile_after && strcmp(profile_before, profile_after) == 0);
        CHECK(count_files(versions) == 2);

        _cleanup_drift_ osl_drift *d = NULL;
        CHECK_OK(osl_store_load_drift(s, key, &d, &err), err);
        CHECK(d && d->n_records == 1 && d->version == 2);
        if (d && d->n_records == 1) {
                const osl_drift_record *rec = &d->records[0];
                const osl_observation *o = rec->outside;
                CHECK(rec->version == 1);
                CHECK_STREQ(o->container_id, "out");
                CHECK_STREQ(o->start_time, "2026-11-28T11:00:00Z");
                CHECK_STREQ(o->end_time, "2026-11-28T11:30:00Z");
                CHECK_STREQ(o->image_key, key);
                CHECK_STREQ(o->image_tag, "7");
                CHECK(o->n_syscalls == 4); /* openat, sendfile of two origins, x86 read: 3 pairs */
                bool has_read_x86_64 = false, has_runtime_sendfile = false;
                for (size_t i = 0; i < o->n_syscalls; i++) {
                        has_read_x86_64 |= strcmp(o->syscalls[i].arch, X86_64) == 0 &&
                                           strcmp(o->syscalls[i].name, "read") == 0;
                        has_runtime_sendfile |= strcmp(o->syscalls[i].name, "sendfile") == 0 &&
                                                o->syscalls[i].origin == RUNTIME && o->syscalls[i].count == 1;
                }
                CHECK(!has_read_x86_64 && has_runtime_sendfile);
                CHECK(o->n_capabilities == 1 && strcmp(o->capabilities[0].name, "CAP_NET_RAW") == 0 &&
                      strcmp(o->capabilities[0].evidence, "socket(AF_PACKET)") == 0);
        }

        /* Versions that are not stored. */
        CHECK(osl_store_record_drift(s, key, 3, out, &res, &err) == -ENOENT);
        CHECK_CONTAINS(err.msg, "version 3 of docker.io/library/redis is not stored");
        _cleanup_observation_ osl_observation *bad = make_obs("", "2026-11-28T11:00:00Z", NULL);
        CHECK(osl_store_record_drift(s, key, 1, bad, &res, &err) == -EINVAL);
        CHECK_CONTAINS(err.msg, "no container id");
        /* Version 0 is the current one. */
        _cleanup_observation_ osl_observation *cur = make_obs("cur", "2026-11-28T12:00:00Z", NULL);
        add(cur, X86_64, "openat", APP, 1);
        add(cur, X86_64, "close", APP, 1);
        if (record(s, key, 0, cur, &res) < 0)
                return;
        CHECK(res.version == 2 && res.added_syscalls == 1);
}

static void test_drift_accept(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "accept");
        const char *key = "docker.io/library/nginx";
        _cleanup_free_ char *dir = image_path(root, key), *drift = path_join(dir, "drift.json"),
                            *profile = path_join(dir, "profile.json"), *v2_path = path_join(dir, "versions/2.json"),
                            *v3_path = path_join(dir, "versions/3.json");
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_observation_ osl_observation *base = make_obs("base", "2026-11-28T10:00:00Z", NULL);
        _cleanup_observation_ osl_observation *a = make_obs("ca", "2026-11-28T11:00:00Z", "2026-11-28T11:10:00Z");
        _cleanup_observation_ osl_observation *b = make_obs("cb", "2026-11-28T12:00:00Z", "2026-11-28T12:10:00Z");
        osl_merge_result mres;
        osl_drift_result dres;
        osl_accept_result res;
        osl_error err = {};

        add(base, X86_64, "read", APP, 1);
        add(a, X86_64, "sendfile", APP, 2);
        add(b, X86_64, "sendfile", APP, 3);
        add(b, X86_64, "splice", RUNTIME, 1);
        CHECK(osl_observation_add_capability(b, "CAP_NET_BIND_SERVICE", "bind(port 80)") == 0);
        free(b->image_tag);
        b->image_tag = strdup("1.27");

        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s || merge(s, key, base, &mres) < 0)
                return;
        /* Nothing pending: nothing happens. */
        CHECK_OK(osl_store_accept_drift(s, key, &res, &err), err);
        CHECK(res.records == 0 && !res.new_version && res.version == 1);
        CHECK(!exists(v2_path));

        if (record(s, key, 1, a, &dres) < 0 || record(s, key, 1, b, &dres) < 0)
                return;
        CHECK_OK(osl_store_accept_drift(s, key, &res, &err), err);
        CHECK_MSG(res.records == 2 && res.new_version && res.version == 2 && res.added_syscalls == 2 &&
                  res.added_capabilities == 1,
                  "records %zu version %u +%zu +%zu", res.records, res.version, res.added_syscalls,
                  res.added_capabilities);
        CHECK(exists(v2_path) && !exists(v3_path) && !exists(drift));

        _cleanup_learned_ osl_learned *l = NULL;
        CHECK_OK(osl_store_load(s, key, 0, &l, &err), err);
        if (!l)
                return;
        const osl_learned_syscall *sf = find(l, X86_64, "sendfile"), *sp = find(l, X86_64, "splice");
        CHECK(sf && sf->count == 5 && sf->containers == 2 && sf->added_in == 2);
        CHECK(sf && strcmp(sf->first_seen, "2026-11-28T11:00:00Z") == 0 && strcmp(sf->last_seen, "2026-11-28T12:10:00Z") == 0);
        CHECK(sp && sp->origin[RUNTIME] && !sp->origin[APP] && sp->added_in == 2);
        CHECK(l->n_capabilities == 1 && l->capabilities[0].added_in == 2);
        const jv *h = jv_arr_at(l->history, 1);
        CHECK_STREQ(jv_str(jv_obj_get(h, "containerId")), "cb");
        CHECK_STREQ(jv_str(jv_obj_get(h, "imageTag")), "1.27");
        const jv *from = jv_obj_get(h, "acceptedDrift");
        CHECK(jv_arr_len(from) == 2 && strcmp(jv_str(jv_arr_at(from, 0)), "ca") == 0 &&
              strcmp(jv_str(jv_arr_at(from, 1)), "cb") == 0);
        CHECK(jv_arr_len(jv_obj_get(h, "addedSyscalls")) == 2);
        CHECK(!jv_obj_get(jv_arr_at(l->history, 0), "acceptedDrift"));

        /* Accepted observations are merged: recording or merging them again changes nothing. */
        _cleanup_free_ char *before = read_text(profile);
        if (record(s, key, 1, a, &dres) < 0)
                return;
        CHECK(dres.duplicate && !exists(drift));
        if (merge(s, key, b, &mres) < 0)
                return;
        CHECK(mres.duplicate);
        _cleanup_free_ char *after = read_text(profile);
        CHECK(before && after && strcmp(before, after) == 0);

        /* A second accept with nothing pending makes no version. */
        CHECK_OK(osl_store_accept_drift(s, key, &res, &err), err);
        CHECK(res.records == 0 && !res.new_version && res.version == 2 && !exists(v3_path));

        /* Drift against version 1 that version 2 already holds: accepted
         * as evidence only, no version. */
        _cleanup_observation_ osl_observation *c = make_obs("cc", "2026-11-28T13:00:00Z", NULL);
        add(c, X86_64, "sendfile", APP, 1);
        if (record(s, key, 1, c, &dres) < 0)
                return;
        CHECK(dres.added_syscalls == 1 && exists(drift));
        CHECK_OK(osl_store_accept_drift(s, key, &res, &err), err);
        CHECK(res.records == 1 && !res.new_version && res.version == 2 && !exists(v3_path) && !exists(drift));
        _cleanup_learned_ osl_learned *l2 = NULL;
        CHECK_OK(osl_store_load(s, key, 0, &l2, &err), err);
        sf = l2 ? find(l2, X86_64, "sendfile") : NULL;
        CHECK(sf && sf->count == 6 && sf->containers == 3);

        /* A crash after the profile was written but before drift.json was
         * removed: the accepted records are no longer pending, and the next
         * accept removes the file without making a version. */
        _cleanup_observation_ osl_observation *e = make_obs("ce", "2026-11-28T14:00:00Z", NULL);
        add(e, X86_64, "tee", APP, 1);
        if (record(s, key, 2, e, &dres) < 0)
                return;
        _cleanup_free_ char *pending = read_text(drift);
        CHECK_OK(osl_store_accept_drift(s, key, &res, &err), err);
        CHECK(res.new_version && res.version == 3);
        if (pending)
                write_text(drift, pending);
        _cleanup_drift_ osl_drift *d = NULL;
        CHECK_OK(osl_store_load_drift(s, key, &d, &err), err);
        CHECK(d && d->n_records == 0 && d->version == 3);
        CHECK_OK(osl_store_accept_drift(s, key, &res, &err), err);
        CHECK(res.records == 0 && !res.new_version && res.version == 3 && !exists(drift));

        /* A broken drift.json is reported, and neither overwritten nor accepted. */
        write_text(drift, "{\"schemaVersion\":1,\"image\":\"docker.io/library/nginx\",\"records\":[{\"time\":\"x\"}]}");
        _cleanup_observation_ osl_observation *f = make_obs("cf", "2026-11-28T15:00:00Z", NULL);
        add(f, X86_64, "vmsplice", APP, 1);
        CHECK(osl_store_record_drift(s, key, 3, f, &dres, &err) == -EINVAL);
        CHECK_CONTAINS(err.msg, "drift.json: records[0].time: \"x\" is not an RFC 3339 time");
        CHECK(osl_store_accept_drift(s, key, &res, &err) == -EINVAL);
        CHECK_CONTAINS(err.msg, "drift.json: records[0]");
        _cleanup_free_ char *broken = read_text(drift);
        CHECK(broken && strstr(broken, "\"x\""));
}

/* The newest OSL_DRIFT_MAX records are kept. */
static void test_drift_bounded(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "drift-max");
        const char *key = "docker.io/library/busy";
        _cleanup_free_ char *drift = NULL, *dir = image_path(root, key), *text = NULL;
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_observation_ osl_observation *base = make_obs("base", "2026-11-28T10:00:00Z", NULL);
        _cleanup_jv_ jv *doc = jv_new_object(), *records = jv_new_array();
        osl_merge_result mres;
        osl_drift_result dres;
        osl_error err = {};

        drift = path_join(dir, "drift.json");
        add(base, X86_64, "read", APP, 1);
        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s || merge(s, key, base, &mres) < 0)
                return;
        /* A full drift.json, written directly: OSL_DRIFT_MAX records. */
        for (int i = 0; i < OSL_DRIFT_MAX; i++) {
                char id[32];
                _cleanup_observation_ osl_observation *o = NULL;
                jv *rec = jv_new_object(), *ov = NULL;
                snprintf(id, sizeof(id), "old%d", i);
                o = make_obs(id, "2026-11-28T10:00:00Z", NULL);
                free(o->image_key);
                o->image_key = strdup(key);
                add(o, X86_64, "write", APP, 1);
                if (osl_observation_to_jv(o, &ov, &err) < 0)
                        abort();
                jv_obj_set(rec, "time", jv_new_string("2026-11-28T10:00:00Z"));
                jv_obj_set(rec, "version", jv_new_uint(1));
                jv_obj_set(rec, "outside", ov);
                jv_arr_append(records, rec);
        }
        jv_obj_set(doc, "schemaVersion", jv_new_int(1));
        jv_obj_set(doc, "image", jv_new_string(key));
        jv_obj_set(doc, "records", TAKE_PTR(records));
        if (jv_serialize(doc, false, &text, NULL, &err) < 0)
                abort();
        write_text(drift, text);

        _cleanup_observation_ osl_observation *n = make_obs("newest", "2026-11-28T11:00:00Z", NULL);
        add(n, X86_64, "close", APP, 1);
        if (record(s, key, 1, n, &dres) < 0)
                return;
        _cleanup_drift_ osl_drift *d = NULL;
        CHECK_OK(osl_store_load_drift(s, key, &d, &err), err);
        CHECK(d && d->n_records == OSL_DRIFT_MAX);
        if (d && d->n_records == OSL_DRIFT_MAX) {
                CHECK_STREQ(d->records[0].outside->container_id, "old1");
                CHECK_STREQ(d->records[OSL_DRIFT_MAX - 1].outside->container_id, "newest");
        }
}

/* ---- exports ---- */

static bool dns1123_subdomain(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 253)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i], prev = i ? s[i - 1] : '.', next = s[i + 1] ? s[i + 1] : '.';
                bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
                if (alnum)
                        continue;
                if (c != '-' && c != '.')
                        return false;
                /* Labels start and end with an alphanumeric. */
                if (c == '.' && (prev == '.' || prev == '-' || next == '.' || next == '-'))
                        return false;
                if (c == '-' && (prev == '.' || next == '.'))
                        return false;
        }
        return true;
}

static char *safe_name(const char *key, uint32_t version)
{
        osl_learned l = { .image_key = (char *) key, .version = version };
        osl_error err = {};
        char *name = NULL;
        CHECK_OK(osl_learned_safe_name(&l, &name, &err), err);
        CHECK_MSG(name && dns1123_subdomain(name), "\"%s\" is not a DNS-1123 subdomain", name ? name : "(null)");
        return name;
}

static void test_safe_names(void)
{
        _cleanup_free_ char *a = safe_name("localhost/redis", 3), *b = safe_name("docker.io/library/redis", 12),
                            *c = safe_name("quay.io/my-org/app", 1), *d = safe_name("quay.io/my/org-app", 1),
                            *e = safe_name("Registry.Example.com:5000/app", 2),
                            *f = safe_name("registry.example.com:5000/app", 2), *g = safe_name("___", 1);
        CHECK_STREQ(a, "localhost-redis-v3");
        CHECK_STREQ(b, "docker.io-library-redis-v12");
        /* '-' and '/' both become '-': a hash keeps such keys apart. */
        CHECK(c && strncmp(c, "quay.io-my-org-app-", strlen("quay.io-my-org-app-")) == 0 && strlen(c) == 30);
        CHECK(c && d && strcmp(c, d) != 0);
        CHECK(e && f && strcmp(e, f) != 0);
        CHECK(e && strncmp(e, "registry.example.com-5000-app-", strlen("registry.example.com-5000-app-")) == 0);
        CHECK(g && strncmp(g, "image-", 6) == 0);

        char long_key[600];
        memset(long_key, 'a', sizeof(long_key) - 1);
        long_key[sizeof(long_key) - 1] = '\0';
        long_key[5] = '/';
        long_key[300] = '.';
        _cleanup_free_ char *l1 = safe_name(long_key, UINT32_MAX);
        long_key[599 - 1] = 'b';
        _cleanup_free_ char *l2 = safe_name(long_key, UINT32_MAX);
        CHECK(l1 && strlen(l1) + strlen(".json") <= 255);
        CHECK(l1 && l2 && strcmp(l1, l2) != 0);
}

static osl_learned *export_fixture(void)
{
        _cleanup_free_ char *root = path_join(tmp_root, "export");
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_observation_ osl_observation *o = make_obs("x", "2026-11-28T10:00:00Z", NULL);
        osl_learned *l = NULL;
        osl_merge_result res;
        osl_error err = {};

        add(o, X86_64, "read", APP, 1);
        add(o, X86_64, "write", APP, 1);
        CHECK(osl_observation_add_capability(o, "CAP_NET_BIND_SERVICE", NULL) == 0);
        CHECK(osl_observation_add_capability(o, "CAP_CHOWN", NULL) == 0);
        CHECK_OK(osl_store_open(root, true, &s, &err), err);
        if (!s || merge(s, "localhost/web", o, &res) < 0)
                return NULL;
        CHECK_OK(osl_store_load(s, "localhost/web", 0, &l, &err), err);
        return l;
}

static char *export_text(const osl_learned *l, osl_export_format f)
{
        char *text = NULL;
        size_t len = 0;
        osl_error err = {};
        CHECK_OK(osl_learned_export(l, f, &text, &len, &err), err);
        CHECK(text && strlen(text) == len && len > 0 && text[len - 1] == '\n');
        return text;
}

static void test_exports(void)
{
        _cleanup_learned_ osl_learned *l = export_fixture();
        osl_export_format f;
        osl_error err = {};

        if (!l)
                return;
        for (unsigned i = 0; i < _OSL_EXPORT_MAX; i++)
                CHECK(osl_export_format_parse(osl_export_format_name((osl_export_format) i), &f) == 0 && f == i);
        CHECK(osl_export_format_parse("yaml", &f) == -EINVAL && osl_export_format_parse(NULL, &f) == -EINVAL);

        _cleanup_free_ char *caps = export_text(l, OSL_EXPORT_DOCKER_CAPS);
        CHECK_STREQ(caps, "--cap-drop=ALL --cap-add=CHOWN --cap-add=NET_BIND_SERVICE\n");
        _cleanup_free_ char *label = export_text(l, OSL_EXPORT_PODMAN_LABEL), *oci = export_text(l, OSL_EXPORT_OCI);
        CHECK(label && strchr(label, '\n') == label + strlen(label) - 1);
        _cleanup_jv_ jv *a = NULL, *b = NULL;
        CHECK_OK(jv_parse(label, strlen(label), "label", &a, &err), err);
        CHECK_OK(jv_parse(oci, strlen(oci), "oci", &b, &err), err);
        CHECK(a && b && jv_equal(a, b));
        _cleanup_free_ char *spo = export_text(l, OSL_EXPORT_SPO);
        CHECK_CONTAINS(spo, "\nkind: SeccompProfile\n");
        CHECK_CONTAINS(spo, "\n  name: \"localhost-web-v1\"\n");
        CHECK_CONTAINS(spo, "\n      names:\n        - \"read\"\n        - \"write\"\n");
        _cleanup_free_ char *k8s = export_text(l, OSL_EXPORT_KUBERNETES);
        CHECK_CONTAINS(k8s, "    localhostProfile: \"oci-seccomp-learn/localhost-web-v1.json\"\n");
        CHECK_CONTAINS(k8s, "    add:\n      - \"CHOWN\"\n      - \"NET_BIND_SERVICE\"\n");

        /* Quoting: whatever an image key holds stays one YAML string. */
        osl_learned odd = *l;
        odd.image_key = (char *) "localhost/a\"b\\c\nd: e";
        odd.n_capabilities = 0;
        _cleanup_free_ char *odd_spo = export_text(&odd, OSL_EXPORT_SPO), *odd_k8s = export_text(&odd, OSL_EXPORT_KUBERNETES);
        CHECK_CONTAINS(odd_spo, "io.seccomp-learn/image: \"localhost/a\\\"b\\\\c\\x0ad: e\"\n");
        CHECK_CONTAINS(odd_k8s, "    add: []\n");
        CHECK(odd_k8s && !strstr(odd_k8s, "\nd: e") && odd_spo && !strstr(odd_spo, "\nd: e"));
}

int main(void)
{
        if (!mkdtemp(tmp_root)) {
                perror("mkdtemp");
                return 1;
        }
        test_observation_round_trip();
        test_observation_errors();
        test_merge_union_idempotent_evidence();
        test_merge_samples();
        test_versions_increment();
        test_roll_forward();
        test_bad_profiles();
        test_symlinks();
        test_seccomp_and_list();
        test_merged_cap();
        test_drift_record();
        test_drift_accept();
        test_drift_bounded();
        test_safe_names();
        test_exports();
        nftw(tmp_root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        return testing_result();
}
