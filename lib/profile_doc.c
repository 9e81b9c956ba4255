/* SPDX-License-Identifier: Apache-2.0 */
/* The stored profile document (schema/profile.schema.json, doc/store.md):
 * checking a profile.json or version file and filling an osl_learned from
 * it, writing one back, laying version deltas over each other, taking an
 * observation into a profile, and the differences between two versions.
 * No file access of its own: store.c reads and writes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"
#include "syscalls.h"
#include "vocabulary.h"

void osl_learned_free(osl_learned *l)
{
        if (!l)
                return;
        free(l->image_key);
        for (size_t i = 0; i < l->n_syscalls; i++) {
                free(l->syscalls[i].arch);
                free(l->syscalls[i].name);
                free(l->syscalls[i].first_seen);
                free(l->syscalls[i].last_seen);
                free(l->syscalls[i].sample_container);
                free(l->syscalls[i].sample_comm);
        }
        free(l->syscalls);
        for (size_t i = 0; i < l->n_capabilities; i++) {
                free(l->capabilities[i].name);
                free(l->capabilities[i].evidence);
        }
        free(l->capabilities);
        free(l->updated);
        /* history and the records' strings point into doc. */
        free(l->records);
        jv_free(l->doc);
        free(l);
}

static int learned_syscall_cmp(const void *a, const void *b)
{
        const osl_learned_syscall *x = a, *y = b;
        int r = strcmp(x->arch, y->arch);
        return r ? r : strcmp(x->name, y->name);
}

static int learned_capability_cmp(const void *a, const void *b)
{
        const osl_learned_capability *x = a, *y = b;
        return strcmp(x->name, y->name);
}

static osl_learned_syscall *find_syscall(const osl_learned *l, const char *arch, const char *name)
{
        osl_learned_syscall key = { .arch = (char *) arch, .name = (char *) name };
        if (!l || l->n_syscalls == 0)
                return NULL;
        return bsearch(&key, l->syscalls, l->n_syscalls, sizeof(*l->syscalls), learned_syscall_cmp);
}

bool osl_learned_has_syscall(const osl_learned *l, const char *arch, const char *name)
{
        return arch && name && find_syscall(l, arch, name);
}

int osl_str_ptr_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int osl_learned_to_seccomp(const osl_learned *l, const char *default_action, uint32_t default_errno,
                           osl_seccomp **out, osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *sc = osl_seccomp_new();
        _cleanup_strv_ char **names = NULL;
        size_t n_names = 0;
        int r;

        if (!sc)
                return osl_err(err, -ENOMEM, "out of memory");
        if (!default_action || !osl_seccomp_action_valid(default_action))
                return osl_err(err, -EINVAL, "\"%s\" is not a seccomp action", default_action ? default_action : "");
        if (!(sc->default_action = strdup(default_action)))
                return osl_err(err, -ENOMEM, "out of memory");
        if (strcmp(default_action, "SCMP_ACT_ERRNO") == 0 || strcmp(default_action, "SCMP_ACT_TRACE") == 0) {
                sc->has_default_errno_ret = true;
                sc->default_errno_ret = default_errno;
        }
        /* syscalls are sorted by arch, so each architecture is one run. */
        for (size_t i = 0; i < l->n_syscalls; i++) {
                const osl_learned_syscall *e = &l->syscalls[i];
                if ((i == 0 || strcmp(l->syscalls[i - 1].arch, e->arch) != 0) &&
                    !osl_strv_contains(sc->architectures, e->arch) &&
                    osl_strv_push(&sc->architectures, &sc->n_architectures, e->arch) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if (osl_strv_push(&names, &n_names, e->name) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        /* Sorted, then each name once (a name learned on two architectures
         * is one name of the rule). */
        if (n_names > 1)
                qsort(names, n_names, sizeof(char *), osl_str_ptr_cmp);
        size_t kept = 0;
        for (size_t i = 0; i < n_names; i++) {
                char *name = names[i];
                names[i] = NULL;
                if (kept > 0 && strcmp(names[kept - 1], name) == 0)
                        free(name);
                else
                        names[kept++] = name;
        }
        n_names = kept;
        if (n_names > 0 && (r = osl_seccomp_add_rule(sc, names, n_names, "SCMP_ACT_ALLOW", err)) < 0)
                return r;
        *out = TAKE_PTR(sc);
        return 0;
}

/* ---- reading and checking profile.json / versions/<N>.json ---- */

int osl_doc_field_error(osl_error *err, const char *path, const char *key, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!*path && !key)
                return osl_err(err, -EINVAL, "%s", msg);
        return osl_err(err, -EINVAL, "%s%s%s: %s", path, *path && key ? "." : "", key ? key : "", msg);
}

const char *osl_doc_describe(const jv *v)
{
        return v->type == JV_NUMBER ? v->u.number : jv_type_name(v->type);
}

int osl_doc_get_field(const jv *obj, const char *path, const char *key, jv_type type, const jv **out,
                     osl_error *err)
{
        const jv *v = jv_obj_get(obj, key);
        if (!v)
                return osl_doc_field_error(err, path, key, "missing");
        if (v->type != type)
                return osl_doc_field_error(err, path, key, "expected %s %s, got %.40s",
                                   type == JV_ARRAY || type == JV_OBJECT ? "an" : "a", jv_type_name(type), osl_doc_describe(v));
        *out = v;
        return 0;
}

int osl_doc_get_u64(const jv *obj, const char *path, const char *key, uint64_t max, uint64_t *out, osl_error *err)
{
        const jv *v = jv_obj_get(obj, key);
        if (!v)
                return osl_doc_field_error(err, path, key, "missing");
        if (!jv_get_uint64(v, out) || *out > max)
                return osl_doc_field_error(err, path, key, "expected an integer from 0 to %" PRIu64 ", got %.40s", max,
                                   osl_doc_describe(v));
        return 0;
}

/* A non-empty string without NUL bytes. null is accepted when nullable (*out = NULL). */
static int get_string(const jv *obj, const char *path, const char *key, bool nullable, const char **out,
                      osl_error *err)
{
        const jv *v = jv_obj_get(obj, key);
        if (!v)
                return osl_doc_field_error(err, path, key, "missing");
        if (nullable && v->type == JV_NULL) {
                *out = NULL;
                return 0;
        }
        const char *s = jv_str(v);
        if (!s || !*s)
                return osl_doc_field_error(err, path, key, "expected a non-empty string%s, got %.40s",
                                   nullable ? " or null" : "",
                                   s                       ? "\"\""
                                   : v->type == JV_STRING ? "a string with a NUL byte"
                                                          : osl_doc_describe(v));
        *out = s;
        return 0;
}

int osl_doc_get_time(const jv *obj, const char *path, const char *key, const char **out, osl_error *err)
{
        int64_t sec;
        uint32_t nsec;
        int r = get_string(obj, path, key, false, out, err);
        if (r < 0)
                return r;
        if (!osl_rfc3339_parse(*out, &sec, &nsec))
                return osl_doc_field_error(err, path, key, "\"%.60s\" is not an RFC 3339 time", *out);
        return 0;
}

int osl_doc_check_fields(const jv *obj, const char *path, const char *const *allowed, size_t n, osl_error *err)
{
        for (size_t i = 0; i < obj->u.object.len; i++) {
                const char *k = obj->u.object.keys[i];
                bool ok = false;
                for (size_t j = 0; j < n && !ok; j++)
                        ok = strcmp(k, allowed[j]) == 0;
                if (!ok)
                        return osl_doc_field_error(err, path, NULL, "unknown field \"%.60s\"", k);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(k, obj->u.object.keys[j]) == 0)
                                return osl_doc_field_error(err, path, NULL, "field \"%.60s\" appears twice", k);
        }
        return 0;
}

static int check_arch(const char *arch, const char *path, const char *key, osl_error *err)
{
        uint32_t token;
        osl_error inner = {};
        if (osl_arch_from_oci(arch, &token, &inner) < 0)
                return osl_doc_field_error(err, path, key, "unknown architecture \"%.60s\"", arch);
        return 0;
}

/* The "arch" (one libseccomp knows) and "name" (a syscall name) of a syscall entry at path. */
static int get_arch_and_name(const jv *e, const char *path, const char **arch, const char **name, osl_error *err)
{
        int r;
        if ((r = get_string(e, path, "arch", false, arch, err)) < 0 || (r = check_arch(*arch, path, "arch", err)) < 0 ||
            (r = get_string(e, path, "name", false, name, err)) < 0)
                return r;
        if (!osl_syscall_name_valid(*name))
                return osl_doc_field_error(err, path, "name", "\"%.60s\" is not a syscall name", *name);
        return 0;
}

/* The optional "sample" of a syscall entry: {"pid", "comm", "containerId"}. */
static int parse_sample(const jv *e, const char *path, osl_learned_syscall *out, osl_error *err)
{
        static const char *const fields[] = { "pid", "comm", "containerId" };
        const jv *sample = jv_obj_get(e, "sample"), *pid;
        const char *container, *comm = NULL;
        char spath[96];
        int r;

        if (!sample)
                return 0;
        if (!jv_is(sample, JV_OBJECT))
                return osl_doc_field_error(err, path, "sample", "expected an object, got %.40s", osl_doc_describe(sample));
        snprintf(spath, sizeof(spath), "%s.sample", path);
        if ((r = osl_doc_check_fields(sample, spath, fields, ELEMENTSOF(fields), err)) < 0 ||
            (r = get_string(sample, spath, "containerId", false, &container, err)) < 0)
                return r;
        if ((pid = jv_obj_get(sample, "pid"))) {
                int64_t v;
                if (!jv_get_int64(pid, &v) || v < 1 || v > OSL_SAMPLE_PID_MAX)
                        return osl_doc_field_error(err, spath, "pid", "expected a process id from 1 to %d, got %.40s",
                                           OSL_SAMPLE_PID_MAX, osl_doc_describe(pid));
                out->sample_pid = v;
        }
        if (jv_obj_get(sample, "comm")) {
                if ((r = get_string(sample, spath, "comm", false, &comm, err)) < 0)
                        return r;
                if (!osl_comm_valid(comm))
                        return osl_doc_field_error(err, spath, "comm", "is not a command name (1 to %d bytes of printable ASCII)",
                                           OSL_COMM_MAX);
        }
        out->sample_container = strdup(container);
        out->sample_comm = osl_strdup(comm);
        if (!out->sample_container || (comm && !out->sample_comm))
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

static int parse_syscall_entry(const jv *e, const char *path, uint32_t version, osl_learned_syscall *out,
                               osl_error *err)
{
        static const char *const fields[] = {
                "arch", "name", "origins", "count", "containers", "firstSeen", "lastSeen", "addedIn", "sample",
        };
        const char *arch, *name, *first, *last;
        const jv *origins = NULL;
        uint64_t added_in;
        int r;

        if (!jv_is(e, JV_OBJECT))
                return osl_doc_field_error(err, path, NULL, "expected an object, got %.40s", osl_doc_describe(e));
        if ((r = osl_doc_check_fields(e, path, fields, ELEMENTSOF(fields), err)) < 0 ||
            (r = get_arch_and_name(e, path, &arch, &name, err)) < 0)
                return r;
        if ((r = osl_doc_get_field(e, path, "origins", JV_ARRAY, &origins, err)) < 0)
                return r;
        if (jv_arr_len(origins) == 0)
                return osl_doc_field_error(err, path, "origins", "must not be empty");
        for (size_t i = 0; i < jv_arr_len(origins); i++) {
                const char *o = jv_str(jv_arr_at(origins, i));
                bool found = false;
                for (unsigned k = 0; k < _OSL_ORIGIN_MAX && o; k++)
                        if (strcmp(o, osl_origin_name((osl_origin) k)) == 0) {
                                if (out->origin[k])
                                        return osl_doc_field_error(err, path, "origins", "\"%s\" appears twice", o);
                                out->origin[k] = found = true;
                        }
                if (!found)
                        return osl_doc_field_error(err, path, "origins", "item %zu is not \"runtime\" or \"application\"", i);
        }
        if ((r = osl_doc_get_u64(e, path, "count", UINT64_MAX, &out->count, err)) < 0 ||
            (r = osl_doc_get_u64(e, path, "containers", UINT64_MAX, &out->containers, err)) < 0 ||
            (r = osl_doc_get_time(e, path, "firstSeen", &first, err)) < 0 || (r = osl_doc_get_time(e, path, "lastSeen", &last, err)) < 0 ||
            (r = osl_doc_get_u64(e, path, "addedIn", version, &added_in, err)) < 0)
                return r;
        if (added_in == 0)
                return osl_doc_field_error(err, path, "addedIn", "must be at least 1");
        out->added_in = (uint32_t) added_in;
        out->arch = strdup(arch);
        out->name = strdup(name);
        out->first_seen = strdup(first);
        out->last_seen = strdup(last);
        if (!out->arch || !out->name || !out->first_seen || !out->last_seen)
                return osl_err(err, -ENOMEM, "out of memory");
        return parse_sample(e, path, out, err);
}

static int parse_capability_entry(const jv *e, const char *path, uint32_t version, osl_learned_capability *out,
                                  osl_error *err)
{
        static const char *const fields[] = { "name", "evidence", "count", "addedIn" };
        const char *name, *evidence = NULL;
        uint64_t added_in;
        int r;

        if (!jv_is(e, JV_OBJECT))
                return osl_doc_field_error(err, path, NULL, "expected an object, got %.40s", osl_doc_describe(e));
        if ((r = osl_doc_check_fields(e, path, fields, ELEMENTSOF(fields), err)) < 0 ||
            (r = get_string(e, path, "name", false, &name, err)) < 0)
                return r;
        if (!osl_capability_name_valid(name))
                return osl_doc_field_error(err, path, "name", "\"%.60s\" is not a capability name", name);
        if (jv_obj_get(e, "evidence") && (r = get_string(e, path, "evidence", true, &evidence, err)) < 0)
                return r;
        if ((r = osl_doc_get_u64(e, path, "count", UINT64_MAX, &out->count, err)) < 0 ||
            (r = osl_doc_get_u64(e, path, "addedIn", version, &added_in, err)) < 0)
                return r;
        if (added_in == 0)
                return osl_doc_field_error(err, path, "addedIn", "must be at least 1");
        out->added_in = (uint32_t) added_in;
        out->name = strdup(name);
        out->evidence = osl_strdup(evidence);
        if (!out->name || (evidence && !out->evidence))
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_doc_check_record(const jv *e, const char *path, uint32_t want_version, osl_error *err)
{
        static const char *const fields[] = {
                "version",     "time",          "containerId",       "imageTag",
                "imageDigest", "addedSyscalls", "addedCapabilities", "acceptedDrift",
                "partial",     "method",
        };
        const char *s;
        const jv *added = NULL;
        uint64_t version;
        int r;

        if (!jv_is(e, JV_OBJECT))
                return osl_doc_field_error(err, path, NULL, "expected an object, got %.40s", osl_doc_describe(e));
        if ((r = osl_doc_check_fields(e, path, fields, ELEMENTSOF(fields), err)) < 0 ||
            (r = osl_doc_get_u64(e, path, "version", UINT32_MAX, &version, err)) < 0)
                return r;
        if (version != want_version)
                return osl_doc_field_error(err, path, "version", "is %" PRIu64 ", expected %" PRIu32 " (versions count up by one)",
                                   version, want_version);
        if ((r = osl_doc_get_time(e, path, "time", &s, err)) < 0 || (r = get_string(e, path, "containerId", false, &s, err)) < 0 ||
            (r = get_string(e, path, "imageTag", true, &s, err)) < 0 ||
            (r = get_string(e, path, "imageDigest", true, &s, err)) < 0 ||
            (r = osl_doc_get_field(e, path, "addedSyscalls", JV_ARRAY, &added, err)) < 0)
                return r;
        for (size_t i = 0; i < jv_arr_len(added); i++) {
                const jv *a = jv_arr_at(added, i);
                static const char *const afields[] = { "arch", "name" };
                const char *arch, *name;
                char apath[256];
                snprintf(apath, sizeof(apath), "%s.addedSyscalls[%zu]", path, i);
                if (!jv_is(a, JV_OBJECT))
                        return osl_doc_field_error(err, apath, NULL, "expected an object, got %.40s", osl_doc_describe(a));
                if ((r = osl_doc_check_fields(a, apath, afields, ELEMENTSOF(afields), err)) < 0 ||
                    (r = get_arch_and_name(a, apath, &arch, &name, err)) < 0)
                        return r;
        }
        if ((r = osl_doc_get_field(e, path, "addedCapabilities", JV_ARRAY, &added, err)) < 0)
                return r;
        for (size_t i = 0; i < jv_arr_len(added); i++) {
                const char *cap = jv_str(jv_arr_at(added, i));
                if (!osl_capability_name_valid(cap))
                        return osl_doc_field_error(err, path, "addedCapabilities", "item %zu is not a capability name", i);
        }
        /* Optional: the container's observation was written while it still ran. */
        const jv *partial = jv_obj_get(e, "partial");
        bool b;
        if (partial && !jv_get_bool(partial, &b))
                return osl_doc_field_error(err, path, "partial", "expected true or false, got %.40s", osl_doc_describe(partial));
        /* Optional (newer than the record): how its syscalls were seen. */
        const jv *method = jv_obj_get(e, "method");
        if (method && (!jv_str(method) || (strcmp(jv_str(method), OSL_METHOD_NAME_NOTIFY) != 0 &&
                                            strcmp(jv_str(method), OSL_METHOD_NAME_LOG) != 0 &&
                                            strcmp(jv_str(method), "manual") != 0)))
                return osl_doc_field_error(err, path, "method", "expected notify, log or manual, got %.40s",
                                           osl_doc_describe(method));
        /* Optional: the version came from `profile accept`, of these containers' drift. */
        if (jv_obj_get(e, "acceptedDrift")) {
                if ((r = osl_doc_get_field(e, path, "acceptedDrift", JV_ARRAY, &added, err)) < 0)
                        return r;
                if (jv_arr_len(added) == 0)
                        return osl_doc_field_error(err, path, "acceptedDrift", "must not be empty");
                for (size_t i = 0; i < jv_arr_len(added); i++) {
                        const char *id = jv_str(jv_arr_at(added, i));
                        if (!id || !*id)
                                return osl_doc_field_error(err, path, "acceptedDrift", "item %zu is not a container id", i);
                }
        }
        return 0;
}

/* The head of profile.json and drift.json: an object of schema version
 * supported, with no field but those in fields, for image image_key. */
int osl_doc_check_head(const jv *doc, int supported, const char *const *fields, size_t n_fields,
                               const char *image_key, osl_error *err)
{
        const char *image;
        uint64_t schema_version;
        int r;

        if (!jv_is(doc, JV_OBJECT))
                return osl_err(err, -EINVAL, "expected a JSON object, got %s", osl_doc_describe(doc));
        if ((r = osl_doc_get_u64(doc, "", "schemaVersion", UINT32_MAX, &schema_version, err)) < 0)
                return r;
        if (schema_version != (uint64_t) supported)
                return osl_err(err, -EINVAL, "schemaVersion: %" PRIu64 " is not supported (this oci-seccomp-learn reads %d)",
                               schema_version, supported);
        if ((r = osl_doc_check_fields(doc, "", fields, n_fields, err)) < 0 ||
            (r = get_string(doc, "", "image", false, &image, err)) < 0)
                return r;
        if (strcmp(image, image_key) != 0)
                return osl_err(err, -EINVAL, "image: is \"%.200s\", expected \"%.200s\"", image, image_key);
        return 0;
}

/* Checks a whole stored document and fills an osl_learned from it (taking
 * doc). want_version 0: any. Messages name the JSON field; the caller puts
 * the file name in front. */
static int learned_from_doc(jv *doc_in, const char *image_key, uint32_t want_version, osl_learned **out,
                            osl_error *err)
{
        /* v1: history and merged; v2: merged, and a version file's own
         * history record. */
        static const char *const fields_v1[] = {
                "schemaVersion", "image", "version", "updated", "seccomp", "syscalls", "capabilities", "history", "merged",
        };
        static const char *const fields_v2[] = {
                "schemaVersion", "image", "version", "updated", "seccomp",
                "syscalls",      "capabilities", "merged", "record", "base",
        };
        _cleanup_jv_ jv *doc = doc_in;
        _cleanup_learned_ osl_learned *l = calloc(1, sizeof(*l));
        const jv *syscalls = NULL, *caps = NULL, *history = NULL, *merged = NULL, *seccomp = NULL;
        const char *updated;
        uint64_t version, schema = 0;
        int r;

        if (!l)
                return osl_err(err, -ENOMEM, "out of memory");
        if (jv_is(doc, JV_OBJECT) && jv_get_uint64(jv_obj_get(doc, "schemaVersion"), &schema) &&
            schema == PROFILE_SCHEMA_V1)
                r = osl_doc_check_head(doc, PROFILE_SCHEMA_V1, fields_v1, ELEMENTSOF(fields_v1), image_key, err);
        else
                r = osl_doc_check_head(doc, PROFILE_SCHEMA_VERSION, fields_v2, ELEMENTSOF(fields_v2), image_key, err);
        if (r < 0)
                return r;
        l->schema_version = (uint32_t) schema;
        if ((r = osl_doc_get_u64(doc, "", "version", UINT32_MAX, &version, err)) < 0)
                return r;
        if (version == 0)
                return osl_err(err, -EINVAL, "version: must be at least 1");
        if (want_version && version != want_version)
                return osl_err(err, -EINVAL, "version: is %" PRIu64 ", expected %" PRIu32, version, want_version);
        l->version = (uint32_t) version;
        if ((r = osl_doc_get_time(doc, "", "updated", &updated, err)) < 0)
                return r;
        /* A v2 version file (with its record) has no seccomp: it holds what
         * the version changed, not all of it. */
        if (l->schema_version != PROFILE_SCHEMA_V1 && jv_obj_get(doc, "record")) {
                bool base;
                if (jv_obj_get(doc, "seccomp"))
                        return osl_err(err, -EINVAL, "seccomp: not expected in a version file");
                if (jv_obj_get(doc, "base") && !jv_get_bool(jv_obj_get(doc, "base"), &base))
                        return osl_err(err, -EINVAL, "base: expected true or false, got %s",
                                       osl_doc_describe(jv_obj_get(doc, "base")));
        } else if (jv_obj_get(doc, "base"))
                return osl_err(err, -EINVAL, "base: only in a version file");
        else if ((r = osl_doc_get_field(doc, "", "seccomp", JV_OBJECT, &seccomp, err)) < 0)
                return r;
        else {
                _cleanup_seccomp_ osl_seccomp *sc = NULL;
                if ((r = osl_seccomp_from_jv(seccomp, &sc, err)) < 0)
                        return osl_err_prefix(err, "seccomp");
        }

        if ((r = osl_doc_get_field(doc, "", "syscalls", JV_ARRAY, &syscalls, err)) < 0)
                return r;
        l->syscalls = calloc(jv_arr_len(syscalls) + 1, sizeof(*l->syscalls));
        if (!l->syscalls)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < jv_arr_len(syscalls); i++) {
                char path[64];
                snprintf(path, sizeof(path), "syscalls[%zu]", i);
                l->n_syscalls++; /* counted first, so that free() sees what was filled */
                if ((r = parse_syscall_entry(jv_arr_at(syscalls, i), path, l->version, &l->syscalls[i], err)) < 0)
                        return r;
        }
        if (l->n_syscalls > 1)
                qsort(l->syscalls, l->n_syscalls, sizeof(*l->syscalls), learned_syscall_cmp);
        for (size_t i = 1; i < l->n_syscalls; i++)
                if (learned_syscall_cmp(&l->syscalls[i - 1], &l->syscalls[i]) == 0)
                        return osl_err(err, -EINVAL, "syscalls: %s %s appears twice", l->syscalls[i].arch,
                                       l->syscalls[i].name);

        if ((r = osl_doc_get_field(doc, "", "capabilities", JV_ARRAY, &caps, err)) < 0)
                return r;
        l->capabilities = calloc(jv_arr_len(caps) + 1, sizeof(*l->capabilities));
        if (!l->capabilities)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < jv_arr_len(caps); i++) {
                char path[64];
                snprintf(path, sizeof(path), "capabilities[%zu]", i);
                l->n_capabilities++;
                if ((r = parse_capability_entry(jv_arr_at(caps, i), path, l->version, &l->capabilities[i], err)) < 0)
                        return r;
        }
        if (l->n_capabilities > 1)
                qsort(l->capabilities, l->n_capabilities, sizeof(*l->capabilities), learned_capability_cmp);
        for (size_t i = 1; i < l->n_capabilities; i++)
                if (learned_capability_cmp(&l->capabilities[i - 1], &l->capabilities[i]) == 0)
                        return osl_err(err, -EINVAL, "capabilities: %s appears twice", l->capabilities[i].name);

        if (l->schema_version != PROFILE_SCHEMA_V1) {
                /* A version file's own record; profile.json has none. */
                const jv *record = jv_obj_get(doc, "record");
                if (record && (r = osl_doc_check_record(record, "record", l->version, err)) < 0)
                        return r;
        } else if ((r = osl_doc_get_field(doc, "", "history", JV_ARRAY, &history, err)) < 0)
                return r;
        else if (jv_arr_len(history) != l->version)
                return osl_err(err, -EINVAL, "history: has %zu entries, expected one per version (%" PRIu32 ")",
                               jv_arr_len(history), l->version);
        for (size_t i = 0; i < jv_arr_len(history); i++) {
                char path[64];
                snprintf(path, sizeof(path), "history[%zu]", i);
                /* v1 only: v2 keeps its history in HISTORY_FILE. */
                if ((r = osl_doc_check_record(jv_arr_at(history, i), path, (uint32_t) i + 1, err)) < 0)
                        return r;
        }

        if ((r = osl_doc_get_field(doc, "", "merged", JV_ARRAY, &merged, err)) < 0)
                return r;
        if (jv_arr_len(merged) > MERGED_MAX)
                return osl_err(err, -EINVAL, "merged: more than %d entries", MERGED_MAX);
        for (size_t i = 0; i < jv_arr_len(merged); i++)
                if (!jv_str(jv_arr_at(merged, i)))
                        return osl_err(err, -EINVAL, "merged[%zu]: expected a string, got %s", i,
                                       osl_doc_describe(jv_arr_at(merged, i)));

        if (!(l->image_key = strdup(image_key)))
                return osl_err(err, -ENOMEM, "out of memory");
        if (!(l->updated = strdup(updated)))
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = osl_learned_set_history(l, history, err)) < 0)
                return r;
        l->doc = TAKE_PTR(doc);
        *out = TAKE_PTR(l);
        return 0;
}

int osl_learned_set_history(osl_learned *l, const jv *history, osl_error *err)
{
        _cleanup_free_ osl_version_record *records = NULL;
        size_t n = jv_arr_len(history);

        if (n > 0 && !(records = calloc(n, sizeof(*records))))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                /* Checked by osl_doc_check_record when read. */
                const jv *h = jv_arr_at(history, i);
                uint64_t version = 0;
                (void) jv_get_uint64(jv_obj_get(h, "version"), &version);
                records[i] = (osl_version_record) {
                        .version = (uint32_t) version,
                        .time = jv_str(jv_obj_get(h, "time")),
                        .container_id = jv_str(jv_obj_get(h, "containerId")),
                        .image_tag = jv_str(jv_obj_get(h, "imageTag")),
                        .image_digest = jv_str(jv_obj_get(h, "imageDigest")),
                        .added_syscalls = jv_arr_len(jv_obj_get(h, "addedSyscalls")),
                        .added_capabilities = jv_arr_len(jv_obj_get(h, "addedCapabilities")),
                        .accepted_drift = jv_arr_len(jv_obj_get(h, "acceptedDrift")),
                };
                (void) jv_get_bool(jv_obj_get(h, "partial"), &records[i].partial);
        }
        free(l->records);
        l->records = TAKE_PTR(records);
        l->n_records = n;
        l->history = (jv *) history;
        return 0;
}

int osl_learned_attach_history(osl_learned *l, jv *history_in, osl_error *err)
{
        _cleanup_jv_ jv *history = history_in, *merged = jv_dup(jv_obj_get(l->doc, "merged"));

        if (!merged)
                return osl_err(err, -ENOMEM, "out of memory");
        jv_obj_remove(l->doc, "record");
        jv_obj_remove(l->doc, "merged");
        if (jv_obj_set(l->doc, "history", TAKE_PTR(history)) < 0 || jv_obj_set(l->doc, "merged", TAKE_PTR(merged)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return osl_learned_set_history(l, jv_obj_get(l->doc, "history"), err);
}

int osl_learned_parse(const char *buf, size_t len, const char *what, const char *image_key, uint32_t want_version,
                      osl_learned **out, osl_error *err)
{
        _cleanup_jv_ jv *doc = NULL;
        int r;

        if ((r = jv_parse(buf, len, what, &doc, err)) < 0)
                return r;
        if ((r = learned_from_doc(TAKE_PTR(doc), image_key, want_version, out, err)) < 0)
                return osl_err_prefix(err, "%s", what);
        return 0;
}


/* ---- version files as deltas (store v2) ----
 *
 * versions/<N>.json holds what version N changed: the syscall and
 * capability entries it added or whose evidence it changed (as they were
 * then), its history record and the ids it took in; no seccomp (it is made
 * from the entries). Entries are never removed, so version N is the oldest
 * stored version file (complete: version 1, or the base `profile prune`
 * wrote) with every later one up to N laid over it. A file of
 * schemaVersion 1 (a store not migrated yet) is complete too. */

/* The order of the stored lists: syscalls by arch, then name; capabilities
 * by name (an entry without them sorts first). */
static int entry_cmp(const jv *a, const jv *b)
{
        const char *aa = jv_str(jv_obj_get(a, "arch")), *ba = jv_str(jv_obj_get(b, "arch"));
        int c = strcmp(aa ? aa : "", ba ? ba : "");
        if (c != 0)
                return c;
        const char *an = jv_str(jv_obj_get(a, "name")), *bn = jv_str(jv_obj_get(b, "name"));
        return strcmp(an ? an : "", bn ? bn : "");
}

/* Removes from new_doc (a full v2 document) its seccomp and every syscall
 * and capability entry that old_doc (NULL: none) holds unchanged. Both
 * lists are sorted the same way (osl_learned_to_doc); an entry the walk cannot
 * match is kept, which costs bytes, never correctness. */
/* The entries of all (a sorted list of a full document) that old (the
 * same list of the older document, NULL: none) does not hold unchanged. */
static int delta_list(const jv *all, const jv *old, jv **out, osl_error *err)
{
        _cleanup_jv_ jv *kept = jv_new_array();
        size_t j = 0;

        if (!kept)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < jv_arr_len(all); i++) {
                const jv *e = jv_arr_at(all, i);
                int c = 1;
                while (j < jv_arr_len(old) && (c = entry_cmp(jv_arr_at(old, j), e)) < 0)
                        j++;
                bool same = j < jv_arr_len(old) && c == 0 && jv_equal(e, jv_arr_at(old, j));
                if (!same && jv_arr_append(kept, jv_dup(e)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        *out = TAKE_PTR(kept);
        return 0;
}

static const char *const delta_lists[] = { "syscalls", "capabilities" };

/* Sets dst's syscalls and capabilities to those of src that old_doc does
 * not hold unchanged (dst may be src). */
static int put_delta_lists(jv *dst, const jv *src, const jv *old_doc, osl_error *err)
{
        for (size_t k = 0; k < ELEMENTSOF(delta_lists); k++) {
                jv *kept = NULL;
                int r = delta_list(jv_obj_get(src, delta_lists[k]), old_doc ? jv_obj_get(old_doc, delta_lists[k]) : NULL,
                                   &kept, err);
                if (r < 0)
                        return r;
                if (jv_obj_set(dst, delta_lists[k], kept) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        return 0;
}

int osl_doc_delta_filter(jv *new_doc, const jv *old_doc, osl_error *err)
{
        jv_obj_remove(new_doc, "seccomp");
        return put_delta_lists(new_doc, new_doc, old_doc, err);
}

int osl_doc_version_file(const jv *full, const jv *old_doc, jv *record, jv *ids, jv **out, osl_error *err)
{
        static const char *const head[] = { "schemaVersion", "image", "version", "updated" };
        _cleanup_jv_ jv *rec = record, *merged = ids, *doc = jv_new_object();

        if (!doc || !rec || !merged)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t k = 0; k < ELEMENTSOF(head); k++)
                if (jv_obj_set(doc, head[k], jv_dup(jv_obj_get(full, head[k]))) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        int r = put_delta_lists(doc, full, old_doc, err);
        if (r < 0)
                return r;
        if (jv_obj_set(doc, "merged", TAKE_PTR(merged)) < 0 || jv_obj_set(doc, "record", TAKE_PTR(rec)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(doc);
        return 0;
}

/* Lays the entries of delta over acc (sorted), and takes delta's version
 * and document. */
int osl_learned_delta_apply(osl_learned *acc, osl_learned *delta, osl_error *err)
{
        size_t n_before = acc->n_syscalls;
        if (delta->n_syscalls > 0) {
                osl_learned_syscall *g = realloc(acc->syscalls, (acc->n_syscalls + delta->n_syscalls + 1) * sizeof(*g));
                if (!g)
                        return osl_err(err, -ENOMEM, "out of memory");
                acc->syscalls = g;
        }
        for (size_t i = 0; i < delta->n_syscalls; i++) {
                osl_learned_syscall *e = n_before ? bsearch(&delta->syscalls[i], acc->syscalls, n_before,
                                                            sizeof(*e), learned_syscall_cmp)
                                                  : NULL;
                if (!e) {
                        e = &acc->syscalls[acc->n_syscalls++];
                        *e = (osl_learned_syscall) {};
                }
                osl_learned_syscall old = *e;
                *e = delta->syscalls[i];
                delta->syscalls[i] = old; /* freed with delta */
        }
        if (acc->n_syscalls > 1)
                qsort(acc->syscalls, acc->n_syscalls, sizeof(*acc->syscalls), learned_syscall_cmp);
        for (size_t i = 0; i < delta->n_capabilities; i++) {
                osl_learned_capability *c = NULL;
                for (size_t j = 0; j < acc->n_capabilities && !c; j++)
                        if (strcmp(acc->capabilities[j].name, delta->capabilities[i].name) == 0)
                                c = &acc->capabilities[j];
                if (!c) {
                        osl_learned_capability *g = realloc(acc->capabilities, (acc->n_capabilities + 1) * sizeof(*g));
                        if (!g)
                                return osl_err(err, -ENOMEM, "out of memory");
                        acc->capabilities = g;
                        c = &acc->capabilities[acc->n_capabilities++];
                        *c = (osl_learned_capability) {};
                }
                osl_learned_capability old = *c;
                *c = delta->capabilities[i];
                delta->capabilities[i] = old;
        }
        if (acc->n_capabilities > 1)
                qsort(acc->capabilities, acc->n_capabilities, sizeof(*acc->capabilities), learned_capability_cmp);
        acc->version = delta->version;
        acc->schema_version = delta->schema_version;
        jv_free(acc->doc);
        acc->doc = TAKE_PTR(delta->doc);
        free(acc->updated);
        acc->updated = TAKE_PTR(delta->updated);
        return osl_learned_set_history(acc, NULL, err);
}

/* Gives l (a version assembled from deltas) its full document: l's
 * entries and seccomp, updated and merged as its own file has them. */
int osl_learned_rebuild_doc(osl_learned *l, osl_error *err)
{
        _cleanup_jv_ jv *merged = jv_dup(jv_obj_get(l->doc, "merged")), *doc = NULL;
        int r;

        if (!merged && !(merged = jv_new_array()))
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = osl_learned_to_doc(l, NULL, TAKE_PTR(merged), l->updated, &doc, err)) < 0)
                return r;
        jv_free(l->doc);
        l->doc = TAKE_PTR(doc);
        return osl_learned_set_history(l, NULL, err);
}

static jv *string_or_null(const char *s)
{
        return s ? jv_new_string(s) : jv_new_null();
}

/* The stored (v2) document: everything in l, the seccomp profile built
 * from l, merged, and record (a version file's own history record; NULL
 * for profile.json). Takes merged and record. */
int osl_learned_to_doc(const osl_learned *l, jv *record, jv *merged, const char *updated, jv **out,
                          osl_error *err)
{
        _cleanup_jv_ jv *doc = jv_new_object(), *syscalls = jv_new_array(), *caps = jv_new_array(), *sc_jv = NULL;
        _cleanup_jv_ jv *record_owned = record, *merged_owned = merged;
        _cleanup_seccomp_ osl_seccomp *sc = NULL;
        int r;

        if (!doc || !syscalls || !caps || !merged)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = osl_learned_to_seccomp(l, OSL_LEARNED_DEFAULT_ACTION, OSL_LEARNED_DEFAULT_ERRNO, &sc, err)) < 0 ||
            (r = osl_seccomp_to_jv(sc, OSL_SECCOMP_OCI, &sc_jv, err)) < 0)
                return r;
        for (size_t i = 0; i < l->n_syscalls; i++) {
                const osl_learned_syscall *e = &l->syscalls[i];
                jv *entry = jv_new_object(), *origins = NULL;
                if (jv_arr_append(syscalls, entry) < 0 || jv_obj_set(entry, "arch", jv_new_string(e->arch)) < 0 ||
                    jv_obj_set(entry, "name", jv_new_string(e->name)) < 0 ||
                    jv_obj_set(entry, "origins", jv_new_array()) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                origins = jv_obj_get(entry, "origins");
                for (unsigned k = 0; k < _OSL_ORIGIN_MAX; k++)
                        if (e->origin[k] && jv_arr_append(origins, jv_new_string(osl_origin_name((osl_origin) k))) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                if (jv_obj_set(entry, "count", jv_new_uint(e->count)) < 0 ||
                    jv_obj_set(entry, "containers", jv_new_uint(e->containers)) < 0 ||
                    jv_obj_set(entry, "firstSeen", jv_new_string(e->first_seen)) < 0 ||
                    jv_obj_set(entry, "lastSeen", jv_new_string(e->last_seen)) < 0 ||
                    jv_obj_set(entry, "addedIn", jv_new_uint(e->added_in)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if (!e->sample_container)
                        continue;
                jv *sample = jv_new_object();
                if (jv_obj_set(entry, "sample", sample) < 0 ||
                    (e->sample_pid > 0 && jv_obj_set(sample, "pid", jv_new_int(e->sample_pid)) < 0) ||
                    (e->sample_comm && jv_obj_set(sample, "comm", jv_new_string(e->sample_comm)) < 0) ||
                    jv_obj_set(sample, "containerId", jv_new_string(e->sample_container)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < l->n_capabilities; i++) {
                const osl_learned_capability *c = &l->capabilities[i];
                jv *entry = jv_new_object();
                if (jv_arr_append(caps, entry) < 0 || jv_obj_set(entry, "name", jv_new_string(c->name)) < 0 ||
                    (c->evidence && jv_obj_set(entry, "evidence", jv_new_string(c->evidence)) < 0) ||
                    jv_obj_set(entry, "count", jv_new_uint(c->count)) < 0 ||
                    jv_obj_set(entry, "addedIn", jv_new_uint(c->added_in)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if (jv_obj_set(doc, "schemaVersion", jv_new_int(PROFILE_SCHEMA_VERSION)) < 0 ||
            jv_obj_set(doc, "image", jv_new_string(l->image_key)) < 0 ||
            jv_obj_set(doc, "version", jv_new_uint(l->version)) < 0 ||
            jv_obj_set(doc, "updated", jv_new_string(updated)) < 0 || jv_obj_set(doc, "seccomp", TAKE_PTR(sc_jv)) < 0 ||
            jv_obj_set(doc, "syscalls", TAKE_PTR(syscalls)) < 0 || jv_obj_set(doc, "capabilities", TAKE_PTR(caps)) < 0 ||
            jv_obj_set(doc, "merged", TAKE_PTR(merged_owned)) < 0 ||
            (record_owned && jv_obj_set(doc, "record", TAKE_PTR(record_owned)) < 0))
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(doc);
        return 0;
}

int osl_observation_check_mergeable(const osl_observation *obs, osl_error *err)
{
        int64_t sec;
        uint32_t nsec;

        if (!obs->container_id || !*obs->container_id)
                return osl_err(err, -EINVAL, "the observation has no container id");
        if (!osl_rfc3339_parse(obs->start_time, &sec, &nsec))
                return osl_err(err, -EINVAL, "the observation's start time \"%s\" is not an RFC 3339 time",
                               obs->start_time ? obs->start_time : "");
        if (obs->end_time && !osl_rfc3339_parse(obs->end_time, &sec, &nsec))
                return osl_err(err, -EINVAL, "the observation's end time \"%s\" is not an RFC 3339 time", obs->end_time);
        for (size_t i = 0; i < obs->n_syscalls; i++) {
                const osl_obs_syscall *e = &obs->syscalls[i];
                uint32_t token;
                if (!e->arch || osl_arch_from_oci(e->arch, &token, err) < 0)
                        return osl_err(err, -EINVAL, "the observation names an unknown architecture \"%s\"",
                                       e->arch ? e->arch : "");
                if (!osl_syscall_name_valid(e->name) || (unsigned) e->origin >= _OSL_ORIGIN_MAX)
                        return osl_err(err, -EINVAL, "the observation holds an invalid syscall entry \"%s\"",
                                       e->name ? e->name : "");
                if ((e->first_seen && !osl_rfc3339_parse(e->first_seen, &sec, &nsec)) ||
                    (e->last_seen && !osl_rfc3339_parse(e->last_seen, &sec, &nsec)) || e->sample_pid < 0 ||
                    e->sample_pid > OSL_SAMPLE_PID_MAX || (e->sample_comm && !osl_comm_valid(e->sample_comm)) ||
                    (e->first_seen && e->last_seen && osl_rfc3339_compare(e->first_seen, e->last_seen) > 0))
                        return osl_err(err, -EINVAL, "the observation holds an invalid sample of syscall \"%s\"", e->name);
        }
        for (size_t i = 0; i < obs->n_capabilities; i++)
                if (!osl_capability_name_valid(obs->capabilities[i].name))
                        return osl_err(err, -EINVAL, "the observation holds an invalid capability name \"%s\"",
                                       obs->capabilities[i].name ? obs->capabilities[i].name : "");
        return 0;
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Unions obs into l (whose version is the current one). New entries get
 * added_in = l->version + 1 and are listed in added_syscalls/added_caps
 * (JSON arrays for the history record). */
int osl_learned_union(osl_learned *l, const osl_observation *obs, jv *added_syscalls, jv *added_caps,
                             osl_error *err)
{
        const char *obs_first = obs->start_time, *obs_last = obs->end_time ? obs->end_time : obs->start_time;
        uint32_t next = l->version + 1;
        size_t n_before = l->n_syscalls;
        _cleanup_free_ bool *counted = NULL; /* per entry: containers already counted for obs */
        /* per entry: the origin + 1 of obs's entry whose sample it took, 0: none yet */
        _cleanup_free_ uint8_t *sampled = NULL;

        /* At most one new entry per observed syscall. */
        osl_learned_syscall *grown = realloc(l->syscalls, (l->n_syscalls + obs->n_syscalls + 1) * sizeof(*grown));
        if (!grown)
                return osl_err(err, -ENOMEM, "out of memory");
        l->syscalls = grown;
        counted = calloc(l->n_syscalls + obs->n_syscalls + 1, sizeof(bool));
        sampled = calloc(l->n_syscalls + obs->n_syscalls + 1, sizeof(uint8_t));
        if (!counted || !sampled)
                return osl_err(err, -ENOMEM, "out of memory");

        for (size_t i = 0; i < obs->n_syscalls; i++) {
                const osl_obs_syscall *o = &obs->syscalls[i];
                osl_learned_syscall key = { .arch = o->arch, .name = o->name };
                osl_learned_syscall *e = n_before ? bsearch(&key, l->syscalls, n_before, sizeof(*e), learned_syscall_cmp)
                                                  : NULL;
                for (size_t j = n_before; !e && j < l->n_syscalls; j++)
                        if (learned_syscall_cmp(&key, &l->syscalls[j]) == 0)
                                e = &l->syscalls[j];
                if (!e) {
                        e = &l->syscalls[l->n_syscalls];
                        *e = (osl_learned_syscall) { .added_in = next };
                        l->n_syscalls++;
                        if (!(e->arch = strdup(o->arch)) || !(e->name = strdup(o->name)))
                                return osl_err(err, -ENOMEM, "out of memory");
                        jv *a = jv_new_object();
                        if (!a || jv_arr_append(added_syscalls, a) < 0 || jv_obj_set(a, "arch", jv_new_string(o->arch)) < 0 ||
                            jv_obj_set(a, "name", jv_new_string(o->name)) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
                e->origin[o->origin] = true;
                e->count = add_saturating(e->count, o->count);
                size_t idx = (size_t) (e - l->syscalls);
                if (!counted[idx]) {
                        counted[idx] = true;
                        e->containers = add_saturating(e->containers, 1);
                }
                /* When the agent noted it; else the container's life. */
                if (osl_time_widen(&e->first_seen, o->first_seen ? o->first_seen : obs_first, -1) < 0 ||
                    osl_time_widen(&e->last_seen, o->last_seen ? o->last_seen : obs_last, 1) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                /* This observation's sample replaces an older one; of its
                 * own, the application's tells more than the runtime's. */
                if ((o->sample_pid > 0 || o->sample_comm) && (uint8_t) (o->origin + 1) > sampled[idx]) {
                        sampled[idx] = (uint8_t) (o->origin + 1);
                        free(e->sample_container);
                        free(e->sample_comm);
                        e->sample_pid = o->sample_pid;
                        e->sample_container = strdup(obs->container_id);
                        e->sample_comm = osl_strdup(o->sample_comm);
                        if (!e->sample_container || (o->sample_comm && !e->sample_comm))
                                return osl_err(err, -ENOMEM, "out of memory");
                }
        }
        if (l->n_syscalls > 1)
                qsort(l->syscalls, l->n_syscalls, sizeof(*l->syscalls), learned_syscall_cmp);

        for (size_t i = 0; i < obs->n_capabilities; i++) {
                const osl_obs_capability *o = &obs->capabilities[i];
                osl_learned_capability *c = NULL;
                for (size_t j = 0; j < l->n_capabilities && !c; j++)
                        if (strcmp(l->capabilities[j].name, o->name) == 0)
                                c = &l->capabilities[j];
                if (!c) {
                        osl_learned_capability *g = realloc(l->capabilities, (l->n_capabilities + 1) * sizeof(*g));
                        if (!g)
                                return osl_err(err, -ENOMEM, "out of memory");
                        l->capabilities = g;
                        c = &l->capabilities[l->n_capabilities++];
                        *c = (osl_learned_capability) { .added_in = next };
                        if (!(c->name = strdup(o->name)) || jv_arr_append(added_caps, jv_new_string(o->name)) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
                if (!c->evidence && o->evidence && !(c->evidence = strdup(o->evidence)))
                        return osl_err(err, -ENOMEM, "out of memory");
                c->count = add_saturating(c->count, o->count);
        }
        if (l->n_capabilities > 1)
                qsort(l->capabilities, l->n_capabilities, sizeof(*l->capabilities), learned_capability_cmp);
        return 0;
}

/* merged with id appended, the oldest dropped beyond MERGED_MAX. */
int osl_doc_merged_append(const osl_learned *l, jv *merged, const char *const *ids, size_t n_ids, osl_error *err)
{
        const jv *old = l && l->doc ? jv_obj_get(l->doc, "merged") : NULL;
        size_t n_old = jv_arr_len(old), total = n_old + n_ids;
        size_t skip = total > MERGED_MAX ? total - MERGED_MAX : 0;

        for (size_t i = 0; i < total; i++) {
                if (i < skip)
                        continue;
                jv *v = i < n_old ? jv_dup(jv_arr_at(old, i)) : jv_new_string(ids[i - n_old]);
                if (jv_arr_append(merged, v) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        return 0;
}

bool osl_learned_merged_contains(const osl_learned *l, const char *id)
{
        const jv *merged = l ? jv_obj_get(l->doc, "merged") : NULL;
        for (size_t i = 0; i < jv_arr_len(merged); i++) {
                const char *s = jv_str(jv_arr_at(merged, i));
                if (s && strcmp(s, id) == 0)
                        return true;
        }
        return false;
}

int osl_doc_history_record(jv **out, uint32_t version, const char *now, const osl_observation *from,
                          jv *added_syscalls, jv *added_caps, jv *accepted_drift, osl_error *err)
{
        _cleanup_jv_ jv *syscalls = added_syscalls, *caps = added_caps, *drift = accepted_drift;
        _cleanup_jv_ jv *record = jv_new_object();

        if (!record || jv_obj_set(record, "version", jv_new_uint(version)) < 0 ||
            jv_obj_set(record, "time", jv_new_string(now)) < 0 ||
            jv_obj_set(record, "containerId", jv_new_string(from->container_id)) < 0 ||
            jv_obj_set(record, "imageTag", string_or_null(from->image_tag)) < 0 ||
            jv_obj_set(record, "imageDigest", string_or_null(from->image_digest)) < 0 ||
            jv_obj_set(record, "addedSyscalls", TAKE_PTR(syscalls)) < 0 ||
            jv_obj_set(record, "addedCapabilities", TAKE_PTR(caps)) < 0 ||
            (drift && jv_obj_set(record, "acceptedDrift", TAKE_PTR(drift)) < 0) ||
            (from->partial && jv_obj_set(record, "partial", jv_new_bool(true)) < 0) ||
            (from->method && jv_obj_set(record, "method", jv_new_string(from->method)) < 0))
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(record);
        return 0;
}

int osl_observation_id(const osl_observation *obs, char **out, osl_error *err)
{
        if (osl_asprintf(out, "%s@%s", obs->container_id, obs->start_time) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

/* ---- differences between two versions ---- */

/* What `to` has that `from` lacks (either may be NULL: empty). */
static int diff_side(const osl_learned *from, const osl_learned *to, jv *syscalls, jv *caps)
{
        for (size_t i = 0; to && i < to->n_syscalls; i++) {
                const osl_learned_syscall *e = &to->syscalls[i];
                if (osl_learned_has_syscall(from, e->arch, e->name))
                        continue;
                jv *a = jv_new_object();
                if (jv_arr_append(syscalls, a) < 0 || jv_obj_set(a, "arch", jv_new_string(e->arch)) < 0 ||
                    jv_obj_set(a, "name", jv_new_string(e->name)) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; to && i < to->n_capabilities; i++) {
                bool found = false;
                for (size_t j = 0; from && j < from->n_capabilities && !found; j++)
                        found = strcmp(from->capabilities[j].name, to->capabilities[i].name) == 0;
                if (!found && jv_arr_append(caps, jv_new_string(to->capabilities[i].name)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int osl_store_diff(osl_store *s, const char *image_key, const uint32_t *from, const uint32_t *to, jv **out,
                   osl_error *err)
{
        _cleanup_learned_ osl_learned *current = NULL, *a = NULL, *b = NULL;
        _cleanup_jv_ jv *doc = jv_new_object(), *added = jv_new_array(), *removed = jv_new_array(),
                        *added_caps = jv_new_array(), *removed_caps = jv_new_array();
        uint32_t va, vb;
        int r;

        if ((r = osl_store_load(s, image_key, 0, &current, err)) < 0)
                return r;
        vb = to ? *to : current->version;
        va = from ? *from : vb > 0 ? vb - 1 : 0;
        /* Version 0 is the empty profile: nothing to load. */
        if ((va > 0 && (r = osl_store_load(s, image_key, va, &a, err)) < 0) ||
            (vb > 0 && (r = osl_store_load(s, image_key, vb, &b, err)) < 0))
                return r;
        if (!doc || !added || !removed || !added_caps || !removed_caps ||
            diff_side(a, b, added, added_caps) < 0 || diff_side(b, a, removed, removed_caps) < 0 ||
            jv_obj_set(doc, "image", jv_new_string(image_key)) < 0 || jv_obj_set(doc, "from", jv_new_uint(va)) < 0 ||
            jv_obj_set(doc, "to", jv_new_uint(vb)) < 0 || jv_obj_set(doc, "addedSyscalls", TAKE_PTR(added)) < 0 ||
            jv_obj_set(doc, "removedSyscalls", TAKE_PTR(removed)) < 0 ||
            jv_obj_set(doc, "addedCapabilities", TAKE_PTR(added_caps)) < 0 ||
            jv_obj_set(doc, "removedCapabilities", TAKE_PTR(removed_caps)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(doc);
        return 0;
}
