/* SPDX-License-Identifier: Apache-2.0 */
/* Observations: what one container was seen to use, and their JSON form
 * (schema/observation.schema.json, doc/store.md). */
#include "observation.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "rundir.h"
#include "store_internal.h"
#include "syscalls.h"

/* An observation lists at most a few hundred syscalls per architecture;
 * these limits only keep hostile input from costing much time or memory. */
#define OBSERVATION_MAX_BYTES (16u * 1024 * 1024)
#define OBSERVATION_MAX_NAMES 4096       /* per architecture and origin */
#define OBSERVATION_MAX_CAPABILITIES 1024
#define OBSERVATION_MAX_TEXT 4096        /* ids, times, evidence */
#define OBSERVATION_SCHEMA_VERSION 1

static const char *const origin_names[_OSL_ORIGIN_MAX] = {
        [OSL_ORIGIN_RUNTIME] = "runtime",
        [OSL_ORIGIN_APPLICATION] = "application",
};

static const char *const methods[] = { "notify", "log", "manual" };

const char *osl_origin_name(osl_origin o)
{
        return (unsigned) o < _OSL_ORIGIN_MAX ? origin_names[o] : NULL;
}

static int origin_from_name(const char *s, osl_origin *out)
{
        for (unsigned i = 0; i < _OSL_ORIGIN_MAX; i++)
                if (strcmp(s, origin_names[i]) == 0) {
                        *out = (osl_origin) i;
                        return 0;
                }
        return -EINVAL;
}

/* ---- small validators shared with store.c (store_internal.h) ---- */

bool osl_syscall_name_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > OSL_SYSCALL_NAME_MAX)
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

bool osl_comm_valid(const char *comm)
{
        size_t n = comm ? strlen(comm) : 0;
        if (n == 0 || n > OSL_COMM_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) comm[i] < 0x20 || (unsigned char) comm[i] > 0x7e)
                        return false;
        return true;
}

bool osl_capability_name_valid(const char *name)
{
        if (!name || strncmp(name, "CAP_", 4) != 0 || name[4] == '\0' || strlen(name) > 64)
                return false;
        return strspn(name + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(name + 4);
}

static bool digits(const char *s, size_t n, int *out)
{
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return true;
}

static bool leap_year(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool osl_rfc3339_parse(const char *s, int64_t *sec, uint32_t *nsec)
{
        static const int month_days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int year, month, day, hour, minute, second;
        uint32_t frac = 0;

        if (!s || strlen(s) < 20)
                return false;
        if (!digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &month) || s[7] != '-' ||
            !digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &hour) ||
            s[13] != ':' || !digits(s + 14, 2, &minute) || s[16] != ':' || !digits(s + 17, 2, &second))
                return false;
        if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60)
                return false;
        if (day > month_days[month - 1] + (month == 2 && leap_year(year)))
                return false;

        const char *p = s + 19;
        if (*p == '.') {
                size_t n = 0;
                p++;
                while (p[n] >= '0' && p[n] <= '9')
                        n++;
                if (n == 0 || n > 9)
                        return false;
                for (size_t i = 0; i < 9; i++)
                        frac = frac * 10 + (uint32_t) (i < n ? p[i] - '0' : 0);
                p += n;
        }

        int offset = 0;
        if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
                offset = 0;
        } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
                int oh, om;
                if (!digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
                        return false;
                offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        } else
                return false;

        struct tm tm = {
                .tm_year = year - 1900,
                .tm_mon = month - 1,
                .tm_mday = day,
                .tm_hour = hour,
                .tm_min = minute,
                .tm_sec = second,
        };
        *sec = (int64_t) timegm(&tm) - offset;
        *nsec = frac;
        return true;
}

int osl_rfc3339_compare(const char *a, const char *b)
{
        int64_t sa = 0, sb = 0;
        uint32_t na = 0, nb = 0;
        bool va = osl_rfc3339_parse(a, &sa, &na), vb = osl_rfc3339_parse(b, &sb, &nb);
        if (!va || !vb) /* only valid times reach here; keep the order total anyway */
                return va != vb ? (va ? 1 : -1) : strcmp(a ? a : "", b ? b : "");
        if (sa != sb)
                return sa < sb ? -1 : 1;
        if (na != nb)
                return na < nb ? -1 : 1;
        return 0;
}

/* ---- the in-memory observation ---- */

osl_observation *osl_observation_new(void)
{
        return calloc(1, sizeof(osl_observation));
}

void osl_observation_free(osl_observation *o)
{
        if (!o)
                return;
        free(o->container_id);
        free(o->image_key);
        free(o->image_name);
        free(o->image_tag);
        free(o->image_digest);
        free(o->start_time);
        free(o->end_time);
        free(o->method);
        for (size_t i = 0; i < o->n_syscalls; i++) {
                free(o->syscalls[i].arch);
                free(o->syscalls[i].name);
                free(o->syscalls[i].first_seen);
                free(o->syscalls[i].last_seen);
                free(o->syscalls[i].sample_comm);
        }
        free(o->syscalls);
        for (size_t i = 0; i < o->n_capabilities; i++) {
                free(o->capabilities[i].name);
                free(o->capabilities[i].evidence);
        }
        free(o->capabilities);
        free(o);
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Appends without looking for an existing entry. */
static int append_syscall(osl_observation *o, const char *arch, const char *name, osl_origin origin,
                          uint64_t count, bool implied)
{
        osl_obs_syscall *grown = realloc(o->syscalls, (o->n_syscalls + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        o->syscalls = grown;
        osl_obs_syscall *e = &o->syscalls[o->n_syscalls];
        *e = (osl_obs_syscall) {
                .arch = strdup(arch),
                .name = strdup(name),
                .origin = origin,
                .count = count,
                .implied = implied,
        };
        if (!e->arch || !e->name) {
                free(e->arch);
                free(e->name);
                return -ENOMEM;
        }
        o->n_syscalls++;
        return 0;
}

static osl_obs_syscall *find_syscall(osl_observation *o, const char *arch, const char *name, osl_origin origin)
{
        for (size_t i = 0; i < o->n_syscalls; i++) {
                osl_obs_syscall *e = &o->syscalls[i];
                if (e->origin == origin && strcmp(e->name, name) == 0 && strcmp(e->arch, arch) == 0)
                        return e;
        }
        return NULL;
}

int osl_observation_add(osl_observation *o, const char *arch, const char *name, osl_origin origin,
                        uint64_t count, bool implied)
{
        osl_error ignored = {};
        uint32_t token;

        if (!o || !arch || !osl_syscall_name_valid(name) || (unsigned) origin >= _OSL_ORIGIN_MAX ||
            osl_arch_from_oci(arch, &token, &ignored) < 0)
                return -EINVAL;
        osl_obs_syscall *e = find_syscall(o, arch, name, origin);
        if (e) {
                e->count = add_saturating(e->count, count);
                /* Seen for real once, it is no longer only implied. */
                e->implied = e->implied && implied;
                return 0;
        }
        return append_syscall(o, arch, name, origin, count, implied);
}

int osl_time_widen(char **slot, const char *t, int want_sign)
{
        if (!t)
                return 0;
        if (*slot) {
                int c = osl_rfc3339_compare(t, *slot);
                if (c == 0 || (c < 0) != (want_sign < 0))
                        return 0;
        }
        char *copy = strdup(t);
        if (!copy)
                return -ENOMEM;
        free(*slot);
        *slot = copy;
        return 0;
}

int osl_observation_add_sample(osl_observation *o, const char *arch, const char *name, osl_origin origin,
                               const char *first_seen, const char *last_seen, int64_t pid, const char *comm)
{
        int64_t sec;
        uint32_t nsec;

        if (!o || !arch || !name || (unsigned) origin >= _OSL_ORIGIN_MAX || pid < 0 || pid > OSL_SAMPLE_PID_MAX ||
            (first_seen && !osl_rfc3339_parse(first_seen, &sec, &nsec)) ||
            (last_seen && !osl_rfc3339_parse(last_seen, &sec, &nsec)) ||
            (first_seen && last_seen && osl_rfc3339_compare(first_seen, last_seen) > 0))
                return -EINVAL;
        osl_obs_syscall *e = find_syscall(o, arch, name, origin);
        if (!e)
                return -ENOENT;
        if (osl_time_widen(&e->first_seen, first_seen, -1) < 0 || osl_time_widen(&e->last_seen, last_seen, 1) < 0)
                return -ENOMEM;
        if (e->sample_pid > 0 || e->sample_comm)
                return 0;
        if (comm && *comm) {
                /* What a process calls itself is up to it: keep only what
                 * any terminal and JSON reader shows as it is. */
                size_t n = strnlen(comm, OSL_COMM_MAX);
                char *copy = strndup(comm, n);
                if (!copy)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) copy[i] < 0x20 || (unsigned char) copy[i] > 0x7e)
                                copy[i] = '?';
                e->sample_comm = copy;
        }
        e->sample_pid = pid;
        return 0;
}

int osl_observation_add_all(osl_observation *o, const osl_observation *from)
{
        int r;

        for (size_t i = 0; i < from->n_syscalls; i++) {
                const osl_obs_syscall *e = &from->syscalls[i];
                r = osl_observation_add(o, e->arch, e->name, e->origin, e->count, e->implied);
                if (r < 0)
                        return r;
                r = osl_observation_add_sample(o, e->arch, e->name, e->origin, e->first_seen, e->last_seen,
                                               e->sample_pid, e->sample_comm);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < from->n_capabilities; i++) {
                const osl_obs_capability *c = &from->capabilities[i];
                r = osl_observation_add_capability(o, c->name, c->evidence);
                if (r < 0)
                        return r;
                /* add_capability counted one; the rest of from's count. */
                for (size_t j = 0; j < o->n_capabilities; j++)
                        if (strcmp(o->capabilities[j].name, c->name) == 0 && c->count > 1)
                                o->capabilities[j].count = add_saturating(o->capabilities[j].count, c->count - 1);
        }
        o->notifications = add_saturating(o->notifications, from->notifications);
        if (from->has_record_counts) {
                o->has_record_counts = true;
                o->unattributed_records = add_saturating(o->unattributed_records, from->unattributed_records);
                o->missed_records = add_saturating(o->missed_records, from->missed_records);
        }
        return 0;
}

int osl_observation_add_capability(osl_observation *o, const char *name, const char *evidence)
{
        if (!o || !osl_capability_name_valid(name))
                return -EINVAL;
        for (size_t i = 0; i < o->n_capabilities; i++) {
                osl_obs_capability *c = &o->capabilities[i];
                if (strcmp(c->name, name) == 0) {
                        c->count = add_saturating(c->count, 1);
                        /* The first evidence is kept: it is what made the capability needed. */
                        if (!c->evidence && evidence && !(c->evidence = strdup(evidence)))
                                return -ENOMEM;
                        return 0;
                }
        }
        osl_obs_capability *grown = realloc(o->capabilities, (o->n_capabilities + 1) * sizeof(*grown));
        if (!grown)
                return -ENOMEM;
        o->capabilities = grown;
        osl_obs_capability *c = &o->capabilities[o->n_capabilities];
        *c = (osl_obs_capability) { .name = strdup(name), .evidence = osl_strdup(evidence), .count = 1 };
        if (!c->name || (evidence && !c->evidence)) {
                free(c->name);
                free(c->evidence);
                return -ENOMEM;
        }
        o->n_capabilities++;
        return 0;
}

static int syscall_cmp(const void *a, const void *b)
{
        const osl_obs_syscall *x = a, *y = b;
        int r = strcmp(x->arch, y->arch);
        if (r == 0)
                r = strcmp(x->name, y->name);
        if (r == 0)
                r = (int) x->origin - (int) y->origin;
        return r;
}

static int capability_cmp(const void *a, const void *b)
{
        const osl_obs_capability *x = a, *y = b;
        return strcmp(x->name, y->name);
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int osl_observation_unknown_syscalls(const osl_observation *o, char ***names, size_t *n)
{
        _cleanup_strv_ char **found = NULL;
        size_t n_found = 0;

        for (size_t i = 0; o && i < o->n_syscalls; i++) {
                const char *name = o->syscalls[i].name;
                if (osl_syscall_known(name) || osl_strv_contains(found, name))
                        continue;
                if (osl_strv_push(&found, &n_found, name) < 0)
                        return -ENOMEM;
        }
        if (n_found > 1)
                qsort(found, n_found, sizeof(char *), str_cmp);
        if (!found && !(found = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *names = TAKE_PTR(found);
        if (n)
                *n = n_found;
        return 0;
}

/* ---- from JSON ---- */

/* Reads a text field: a non-empty string without NUL or control bytes, at
 * most OBSERVATION_MAX_TEXT bytes. *out stays NULL when the field is absent
 * (or null) and not required. */
static int get_text(const jv *obj, const char *key, const char *path, bool required, char **out,
                    osl_error *err)
{
        const jv *v = jv_obj_get(obj, key);
        if (!v || v->type == JV_NULL) {
                if (required)
                        return osl_err(err, -EINVAL, "%s: missing", path);
                return 0;
        }
        const char *s = jv_str(v);
        if (!s)
                return osl_err(err, -EINVAL, "%s: expected a string, got %s", path,
                               v->type == JV_STRING ? "a string with a NUL byte" : jv_type_name(v->type));
        if (!*s)
                return osl_err(err, -EINVAL, "%s: must not be empty", path);
        if (strlen(s) > OBSERVATION_MAX_TEXT)
                return osl_err(err, -EINVAL, "%s: longer than %u bytes", path, OBSERVATION_MAX_TEXT);
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return osl_err(err, -EINVAL, "%s: contains a control character", path);
        *out = strdup(s);
        return *out ? 0 : osl_err(err, -ENOMEM, "out of memory");
}

static int get_time_at(const jv *obj, const char *key, const char *path, bool required, char **out,
                       osl_error *err)
{
        int r = get_text(obj, key, path, required, out, err);
        if (r < 0)
                return r;
        int64_t sec;
        uint32_t nsec;
        if (*out && !osl_rfc3339_parse(*out, &sec, &nsec)) {
                char quoted[128];
                return osl_err(err, -EINVAL, "%s: %s is not an RFC 3339 time such as 2026-11-28T16:43:02.123Z",
                               path, osl_quote(*out, quoted, sizeof(quoted)));
        }
        return 0;
}

static int get_time(const jv *obj, const char *key, bool required, char **out, osl_error *err)
{
        return get_time_at(obj, key, key, required, out, err);
}

static int get_count(const jv *v, const char *path, const char *name, uint64_t *out, osl_error *err)
{
        if (jv_get_uint64(v, out))
                return 0;
        return osl_err(err, -EINVAL, "%s%s%s: expected a non-negative integer, got %s%.40s", path, name ? "." : "",
                       name ? name : "", v->type == JV_NUMBER ? "" : jv_type_name(v->type),
                       v->type == JV_NUMBER ? v->u.number : "");
}

static int check_object(const jv *v, const char *path, osl_error *err)
{
        if (!jv_is(v, JV_OBJECT))
                return osl_err(err, -EINVAL, "%s: expected an object, got %s", path,
                               v ? jv_type_name(v->type) : "nothing");
        return 0;
}

static int check_arch(const char *arch, const char *path, osl_error *err)
{
        uint32_t token;
        osl_error inner = {};
        if (osl_arch_from_oci(arch, &token, &inner) < 0)
                return osl_err(err, -EINVAL, "%s: unknown architecture \"%s\" (expected an OCI name such as SCMP_ARCH_X86_64)",
                               path, arch);
        return 0;
}

static int check_keys(const jv *obj, const char *path, const char *const *allowed, size_t n_allowed,
                      osl_error *err)
{
        for (size_t i = 0; i < obj->u.object.len; i++) {
                const char *k = obj->u.object.keys[i];
                bool ok = false;
                for (size_t j = 0; j < n_allowed && !ok; j++)
                        ok = strcmp(k, allowed[j]) == 0;
                if (!ok)
                        return osl_err(err, -EINVAL, "%s%sunknown field \"%s\"", path ? path : "",
                                       path ? ": " : "", k);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(k, obj->u.object.keys[j]) == 0)
                                return osl_err(err, -EINVAL, "%s%sfield \"%s\" appears twice", path ? path : "",
                                               path ? ": " : "", k);
        }
        return 0;
}

/* One architecture's object under section ("syscalls", "implied" or
 * "samples"): a known architecture whose keys are origin names. */
static int check_arch_object(const char *section, const char *arch, const jv *by_origin, osl_error *err)
{
        char path[128];
        int r;

        snprintf(path, sizeof(path), "%s.%.64s", section, arch);
        if ((r = check_arch(arch, path, err)) < 0 || (r = check_object(by_origin, path, err)) < 0 ||
            (r = check_keys(by_origin, path, origin_names, _OSL_ORIGIN_MAX, err)) < 0)
                return r;
        return 0;
}

/* The entry of syscalls for (arch, name, origin), NULL if it is not listed;
 * o->syscalls must be sorted already. */
static osl_obs_syscall *find_listed(const osl_observation *o, const char *arch, const char *name, osl_origin origin)
{
        osl_obs_syscall key = { .arch = (char *) arch, .name = (char *) name, .origin = origin };
        return o->n_syscalls == 0 ? NULL
                                  : bsearch(&key, o->syscalls, o->n_syscalls, sizeof(*o->syscalls), syscall_cmp);
}

static int parse_syscalls(const jv *syscalls, osl_observation *o, osl_error *err)
{
        int r = check_object(syscalls, "syscalls", err);
        if (r < 0)
                return r;
        for (size_t a = 0; a < syscalls->u.object.len; a++) {
                const char *arch = syscalls->u.object.keys[a];
                const jv *by_origin = syscalls->u.object.values[a];
                char path[256];

                if ((r = check_arch_object("syscalls", arch, by_origin, err)) < 0)
                        return r;
                for (size_t g = 0; g < by_origin->u.object.len; g++) {
                        osl_origin origin = OSL_ORIGIN_RUNTIME; /* check_keys allowed only origin names */
                        const jv *names = by_origin->u.object.values[g];

                        origin_from_name(by_origin->u.object.keys[g], &origin);
                        snprintf(path, sizeof(path), "syscalls.%.64s.%s", arch, osl_origin_name(origin));
                        if ((r = check_object(names, path, err)) < 0)
                                return r;
                        if (names->u.object.len > OBSERVATION_MAX_NAMES)
                                return osl_err(err, -E2BIG, "%s: more than %u syscalls", path,
                                               OBSERVATION_MAX_NAMES);
                        for (size_t i = 0; i < names->u.object.len; i++) {
                                const char *name = names->u.object.keys[i];
                                uint64_t count;
                                if (!osl_syscall_name_valid(name))
                                        return osl_err(err, -EINVAL,
                                                       "%s: \"%.80s\" is not a syscall name (expected 1 to %d of [A-Za-z0-9_])",
                                                       path, name, OSL_SYSCALL_NAME_MAX);
                                if ((r = get_count(names->u.object.values[i], path, name, &count, err)) < 0)
                                        return r;
                                if (append_syscall(o, arch, name, origin, count, false) < 0)
                                        return osl_err(err, -ENOMEM, "out of memory");
                        }
                }
        }
        /* Sorted, duplicates (the same key twice in one object) show up as neighbours. */
        if (o->n_syscalls > 1)
                qsort(o->syscalls, o->n_syscalls, sizeof(*o->syscalls), syscall_cmp);
        for (size_t i = 1; i < o->n_syscalls; i++)
                if (syscall_cmp(&o->syscalls[i - 1], &o->syscalls[i]) == 0)
                        return osl_err(err, -EINVAL, "syscalls.%s.%s: \"%s\" appears twice", o->syscalls[i].arch,
                                       osl_origin_name(o->syscalls[i].origin), o->syscalls[i].name);
        return 0;
}

static int parse_implied(const jv *implied, osl_observation *o, osl_error *err)
{
        int r;
        if (!implied)
                return 0;
        if ((r = check_object(implied, "implied", err)) < 0)
                return r;
        for (size_t a = 0; a < implied->u.object.len; a++) {
                const char *arch = implied->u.object.keys[a];
                const jv *by_origin = implied->u.object.values[a];
                char path[256];

                if ((r = check_arch_object("implied", arch, by_origin, err)) < 0)
                        return r;
                for (size_t g = 0; g < by_origin->u.object.len; g++) {
                        osl_origin origin = OSL_ORIGIN_RUNTIME; /* check_keys allowed only origin names */
                        const jv *names = by_origin->u.object.values[g];

                        origin_from_name(by_origin->u.object.keys[g], &origin);
                        snprintf(path, sizeof(path), "implied.%.64s.%s", arch, osl_origin_name(origin));
                        if (!jv_is(names, JV_ARRAY))
                                return osl_err(err, -EINVAL, "%s: expected an array, got %s", path,
                                               jv_type_name(names->type));
                        for (size_t i = 0; i < jv_arr_len(names); i++) {
                                const char *name = jv_str(jv_arr_at(names, i));
                                if (!name)
                                        return osl_err(err, -EINVAL, "%s[%zu]: expected a string, got %s", path, i,
                                                       jv_type_name(jv_arr_at(names, i)->type));
                                osl_obs_syscall *e = find_listed(o, arch, name, origin);
                                if (!e)
                                        return osl_err(err, -EINVAL, "%s[%zu]: \"%.80s\" is not listed in syscalls.%s.%s",
                                                       path, i, name, arch, osl_origin_name(origin));
                                e->implied = true;
                        }
                }
        }
        return 0;
}

static bool has_sample(const osl_obs_syscall *e)
{
        return e->first_seen || e->last_seen || e->sample_pid > 0 || e->sample_comm;
}

/* One entry of "samples": {"firstSeen", "lastSeen", "pid", "comm"}, each
 * optional. path names it ("samples.ARCH.ORIGIN.NAME"). */
static int parse_sample(const jv *sample, const char *path, osl_obs_syscall *e, osl_error *err)
{
        static const char *const fields[] = { "firstSeen", "lastSeen", "pid", "comm" };
        char field[256], quoted[96];
        int r;

        if ((r = check_object(sample, path, err)) < 0 || (r = check_keys(sample, path, fields, ELEMENTSOF(fields), err)) < 0)
                return r;
        /* null is not "absent" here: nothing writes it. */
        for (size_t i = 0; i < sample->u.object.len; i++)
                if (sample->u.object.values[i]->type == JV_NULL)
                        return osl_err(err, -EINVAL, "%s.%s: expected a %s, got null", path, sample->u.object.keys[i],
                                       strcmp(sample->u.object.keys[i], "pid") == 0 ? "process id" : "string");

        snprintf(field, sizeof(field), "%s.firstSeen", path);
        if ((r = get_time_at(sample, "firstSeen", field, false, &e->first_seen, err)) < 0)
                return r;
        snprintf(field, sizeof(field), "%s.lastSeen", path);
        if ((r = get_time_at(sample, "lastSeen", field, false, &e->last_seen, err)) < 0)
                return r;
        if (e->first_seen && e->last_seen && osl_rfc3339_compare(e->last_seen, e->first_seen) < 0)
                return osl_err(err, -EINVAL, "%s: %s is before firstSeen %s", field, e->last_seen, e->first_seen);

        const jv *pid = jv_obj_get(sample, "pid");
        if (pid) {
                int64_t v;
                if (!jv_get_int64(pid, &v) || v < 1 || v > OSL_SAMPLE_PID_MAX)
                        return osl_err(err, -EINVAL, "%s.pid: expected a process id from 1 to %d, got %.40s", path,
                                       OSL_SAMPLE_PID_MAX,
                                       pid->type == JV_NUMBER ? pid->u.number : jv_type_name(pid->type));
                e->sample_pid = v;
        }

        snprintf(field, sizeof(field), "%s.comm", path);
        if ((r = get_text(sample, "comm", field, false, &e->sample_comm, err)) < 0)
                return r;
        if (e->sample_comm && !osl_comm_valid(e->sample_comm))
                return osl_err(err, -EINVAL, "%s: %s is not a command name (1 to %d bytes of printable ASCII)", field,
                               osl_quote(e->sample_comm, quoted, sizeof(quoted)), OSL_COMM_MAX);
        return 0;
}

/* "samples": when and by whom entries of syscalls were seen. */
static int parse_samples(const jv *samples, osl_observation *o, osl_error *err)
{
        int r;
        if (!samples)
                return 0;
        if ((r = check_object(samples, "samples", err)) < 0)
                return r;
        for (size_t a = 0; a < samples->u.object.len; a++) {
                const char *arch = samples->u.object.keys[a];
                const jv *by_origin = samples->u.object.values[a];
                char path[128];

                if ((r = check_arch_object("samples", arch, by_origin, err)) < 0)
                        return r;
                for (size_t g = 0; g < by_origin->u.object.len; g++) {
                        osl_origin origin = OSL_ORIGIN_RUNTIME; /* check_keys allowed only origin names */
                        const jv *names = by_origin->u.object.values[g];

                        origin_from_name(by_origin->u.object.keys[g], &origin);
                        snprintf(path, sizeof(path), "samples.%.64s.%s", arch, osl_origin_name(origin));
                        if ((r = check_object(names, path, err)) < 0)
                                return r;
                        for (size_t i = 0; i < names->u.object.len; i++) {
                                const char *name = names->u.object.keys[i];
                                char entry_path[224];
                                osl_obs_syscall *e = find_listed(o, arch, name, origin);

                                snprintf(entry_path, sizeof(entry_path), "%s.%.64s", path, name);
                                if (!e)
                                        return osl_err(err, -EINVAL, "%s: \"%.80s\" is not listed in syscalls.%s.%s",
                                                       path, name, arch, osl_origin_name(origin));
                                if (has_sample(e))
                                        return osl_err(err, -EINVAL, "%s: appears twice", entry_path);
                                if ((r = parse_sample(names->u.object.values[i], entry_path, e, err)) < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

static int parse_capabilities(const jv *caps, osl_observation *o, osl_error *err)
{
        static const char *const fields[] = { "name", "evidence", "count" };
        int r;

        if (!caps)
                return 0;
        if (!jv_is(caps, JV_ARRAY))
                return osl_err(err, -EINVAL, "capabilities: expected an array, got %s", jv_type_name(caps->type));
        if (jv_arr_len(caps) > OBSERVATION_MAX_CAPABILITIES)
                return osl_err(err, -E2BIG, "capabilities: more than %u entries", OBSERVATION_MAX_CAPABILITIES);
        o->capabilities = calloc(jv_arr_len(caps) + 1, sizeof(*o->capabilities));
        if (!o->capabilities)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < jv_arr_len(caps); i++) {
                const jv *c = jv_arr_at(caps, i);
                osl_obs_capability *cap = &o->capabilities[o->n_capabilities];
                char path[64], field[96];

                snprintf(path, sizeof(path), "capabilities[%zu]", i);
                if ((r = check_object(c, path, err)) < 0 || (r = check_keys(c, path, fields, ELEMENTSOF(fields), err)) < 0)
                        return r;
                /* Counted before filling, so that free() sees every string. */
                o->n_capabilities++;
                snprintf(field, sizeof(field), "%s.name", path);
                if ((r = get_text(c, "name", field, true, &cap->name, err)) < 0)
                        return r;
                if (!osl_capability_name_valid(cap->name))
                        return osl_err(err, -EINVAL, "%s: \"%.80s\" is not a capability name such as CAP_NET_BIND_SERVICE",
                                       field, cap->name);
                snprintf(field, sizeof(field), "%s.evidence", path);
                if ((r = get_text(c, "evidence", field, false, &cap->evidence, err)) < 0)
                        return r;
                cap->count = 1;
                const jv *count = jv_obj_get(c, "count");
                if (count && (r = get_count(count, path, "count", &cap->count, err)) < 0)
                        return r;
        }
        if (o->n_capabilities > 1)
                qsort(o->capabilities, o->n_capabilities, sizeof(*o->capabilities), capability_cmp);
        for (size_t i = 1; i < o->n_capabilities; i++)
                if (capability_cmp(&o->capabilities[i - 1], &o->capabilities[i]) == 0)
                        return osl_err(err, -EINVAL, "capabilities: \"%s\" appears twice", o->capabilities[i].name);
        return 0;
}

int osl_observation_from_jv(const jv *v, osl_observation **out, osl_error *err)
{
        static const char *const fields[] = {
                "schemaVersion", "containerId", "image", "startTime", "endTime", "method",
                "notifications", "syscalls", "implied", "capabilities", "partial", "samples",
                "unattributedRecords", "missedRecords",
        };
        static const char *const image_fields[] = { "key", "name", "tag", "digest" };
        _cleanup_observation_ osl_observation *o = osl_observation_new();
        uint64_t schema_version;
        int r;

        if (!o)
                return osl_err(err, -ENOMEM, "out of memory");
        if (!jv_is(v, JV_OBJECT))
                return osl_err(err, -EINVAL, "expected a JSON object, got %s", v ? jv_type_name(v->type) : "nothing");
        if ((r = check_keys(v, NULL, fields, ELEMENTSOF(fields), err)) < 0)
                return r;

        const jv *sv = jv_obj_get(v, "schemaVersion");
        if (!sv)
                return osl_err(err, -EINVAL, "schemaVersion: missing");
        if (!jv_get_uint64(sv, &schema_version))
                return osl_err(err, -EINVAL, "schemaVersion: expected an integer, got %s",
                               sv->type == JV_NUMBER ? sv->u.number : jv_type_name(sv->type));
        if (schema_version != OBSERVATION_SCHEMA_VERSION)
                return osl_err(err, -EINVAL, "schemaVersion: %" PRIu64 " is not supported (this version reads %d)",
                               schema_version, OBSERVATION_SCHEMA_VERSION);

        if ((r = get_text(v, "containerId", "containerId", true, &o->container_id, err)) < 0)
                return r;

        /* The agent may not know the image (poststop then names it), so
         * even image.key is optional. */
        const jv *image = jv_obj_get(v, "image");
        if (!image)
                return osl_err(err, -EINVAL, "image: missing");
        if ((r = check_object(image, "image", err)) < 0 ||
            (r = check_keys(image, "image", image_fields, ELEMENTSOF(image_fields), err)) < 0 ||
            (r = get_text(image, "key", "image.key", false, &o->image_key, err)) < 0 ||
            (r = get_text(image, "name", "image.name", false, &o->image_name, err)) < 0 ||
            (r = get_text(image, "tag", "image.tag", false, &o->image_tag, err)) < 0 ||
            (r = get_text(image, "digest", "image.digest", false, &o->image_digest, err)) < 0)
                return r;

        if ((r = get_time(v, "startTime", true, &o->start_time, err)) < 0 ||
            (r = get_time(v, "endTime", false, &o->end_time, err)) < 0)
                return r;
        if (o->end_time && osl_rfc3339_compare(o->end_time, o->start_time) < 0)
                return osl_err(err, -EINVAL, "endTime: %s is before startTime %s", o->end_time, o->start_time);

        if ((r = get_text(v, "method", "method", true, &o->method, err)) < 0)
                return r;
        bool method_ok = false;
        for (size_t i = 0; i < ELEMENTSOF(methods) && !method_ok; i++)
                method_ok = strcmp(o->method, methods[i]) == 0;
        if (!method_ok)
                return osl_err(err, -EINVAL, "method: \"%.80s\" is not one of notify, log, manual", o->method);

        const jv *partial = jv_obj_get(v, "partial");
        if (partial && !jv_get_bool(partial, &o->partial))
                return osl_err(err, -EINVAL, "partial: expected true or false, got %s", jv_type_name(partial->type));

        const jv *notifications = jv_obj_get(v, "notifications");
        if (notifications && (r = get_count(notifications, "notifications", NULL, &o->notifications, err)) < 0)
                return r;
        const jv *unattributed = jv_obj_get(v, "unattributedRecords"), *missed = jv_obj_get(v, "missedRecords");
        if (!unattributed != !missed)
                return osl_err(err, -EINVAL, "%s: missing (it comes with %s)", unattributed ? "missedRecords" : "unattributedRecords",
                               unattributed ? "unattributedRecords" : "missedRecords");
        if ((unattributed || missed) &&
            ((r = get_count(unattributed, "unattributedRecords", NULL, &o->unattributed_records, err)) < 0 ||
             (r = get_count(missed, "missedRecords", NULL, &o->missed_records, err)) < 0))
                return r;
        o->has_record_counts = unattributed || missed;

        const jv *syscalls = jv_obj_get(v, "syscalls");
        if (!syscalls)
                return osl_err(err, -EINVAL, "syscalls: missing");
        if ((r = parse_syscalls(syscalls, o, err)) < 0 || (r = parse_implied(jv_obj_get(v, "implied"), o, err)) < 0 ||
            (r = parse_samples(jv_obj_get(v, "samples"), o, err)) < 0 ||
            (r = parse_capabilities(jv_obj_get(v, "capabilities"), o, err)) < 0)
                return r;

        *out = TAKE_PTR(o);
        return 0;
}

/* ---- to JSON ---- */

static int set_optional_string(jv *obj, const char *key, const char *value)
{
        return value ? jv_obj_set(obj, key, jv_new_string(value)) : 0;
}

/* Adds e's sample to samples[arch][origin][name]. */
static int sample_to_jv(jv *samples, const osl_obs_syscall *e)
{
        jv *by_origin = jv_obj_ensure_object(samples, e->arch);
        jv *names = by_origin ? jv_obj_ensure_object(by_origin, osl_origin_name(e->origin)) : NULL;
        jv *sample = names ? jv_new_object() : NULL;

        if (!sample || jv_obj_set(names, e->name, sample) < 0)
                return -ENOMEM;
        if ((e->first_seen && jv_obj_set(sample, "firstSeen", jv_new_string(e->first_seen)) < 0) ||
            (e->last_seen && jv_obj_set(sample, "lastSeen", jv_new_string(e->last_seen)) < 0) ||
            (e->sample_pid > 0 && jv_obj_set(sample, "pid", jv_new_int(e->sample_pid)) < 0) ||
            (e->sample_comm && jv_obj_set(sample, "comm", jv_new_string(e->sample_comm)) < 0))
                return -ENOMEM;
        return 0;
}

int osl_observation_to_jv(const osl_observation *o, jv **out, osl_error *err)
{
        _cleanup_jv_ jv *doc = jv_new_object(), *syscalls = NULL, *implied = NULL, *samples = NULL, *caps = NULL;
        _cleanup_free_ osl_obs_syscall *sorted = NULL;
        _cleanup_free_ osl_obs_capability *sorted_caps = NULL;
        int r = 0;

        if (!doc)
                return osl_err(err, -ENOMEM, "out of memory");
        if (!o->container_id || !o->start_time || !o->method)
                return osl_err(err, -EINVAL, "observation lacks %s",
                               !o->container_id ? "a container id" :
                               !o->start_time   ? "a start time" : "a method");

        /* Whatever filled it, what is written must read back. */
        for (size_t i = 0; i < o->n_syscalls; i++) {
                const osl_obs_syscall *e = &o->syscalls[i];
                if ((e->sample_comm && !osl_comm_valid(e->sample_comm)) || e->sample_pid < 0 ||
                    e->sample_pid > OSL_SAMPLE_PID_MAX)
                        return osl_err(err, -EINVAL, "syscall %s: the sample's process id or command name is not valid",
                                       e->name);
        }

        /* Written sorted, so that equal observations give equal files. */
        if (o->n_syscalls > 0) {
                sorted = malloc(o->n_syscalls * sizeof(*sorted));
                if (!sorted)
                        return osl_err(err, -ENOMEM, "out of memory");
                memcpy(sorted, o->syscalls, o->n_syscalls * sizeof(*sorted));
                qsort(sorted, o->n_syscalls, sizeof(*sorted), syscall_cmp);
        }
        if (o->n_capabilities > 0) {
                sorted_caps = malloc(o->n_capabilities * sizeof(*sorted_caps));
                if (!sorted_caps)
                        return osl_err(err, -ENOMEM, "out of memory");
                memcpy(sorted_caps, o->capabilities, o->n_capabilities * sizeof(*sorted_caps));
                qsort(sorted_caps, o->n_capabilities, sizeof(*sorted_caps), capability_cmp);
        }

        syscalls = jv_new_object();
        implied = jv_new_object();
        samples = jv_new_object();
        caps = jv_new_array();
        if (!syscalls || !implied || !samples || !caps)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < o->n_syscalls && r >= 0; i++) {
                const osl_obs_syscall *e = &sorted[i];
                const char *origin = osl_origin_name(e->origin);
                jv *by_origin = jv_obj_ensure_object(syscalls, e->arch);
                jv *names = by_origin ? jv_obj_ensure_object(by_origin, origin) : NULL;
                if (!names)
                        return osl_err(err, -ENOMEM, "out of memory");
                r = jv_obj_set(names, e->name, jv_new_uint(e->count));
                if (r >= 0 && has_sample(e))
                        r = sample_to_jv(samples, e);
                if (r < 0 || !e->implied)
                        continue;
                by_origin = jv_obj_ensure_object(implied, e->arch);
                if (!by_origin)
                        return osl_err(err, -ENOMEM, "out of memory");
                if (!jv_obj_get(by_origin, origin) && jv_obj_set(by_origin, origin, jv_new_array()) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                r = jv_arr_append(jv_obj_get(by_origin, origin), jv_new_string(e->name));
        }
        for (size_t i = 0; i < o->n_capabilities && r >= 0; i++) {
                const osl_obs_capability *c = &sorted_caps[i];
                jv *entry = jv_new_object();
                if (!entry)
                        return osl_err(err, -ENOMEM, "out of memory");
                r = jv_obj_set(entry, "name", jv_new_string(c->name));
                if (r >= 0)
                        r = set_optional_string(entry, "evidence", c->evidence);
                if (r >= 0)
                        r = jv_obj_set(entry, "count", jv_new_uint(c->count));
                if (r < 0) {
                        jv_free(entry);
                        break;
                }
                r = jv_arr_append(caps, entry);
        }
        if (r < 0)
                return osl_err(err, -ENOMEM, "out of memory");

        _cleanup_jv_ jv *image = jv_new_object();
        if (!image || set_optional_string(image, "key", o->image_key) < 0 ||
            set_optional_string(image, "name", o->image_name) < 0 ||
            set_optional_string(image, "tag", o->image_tag) < 0 ||
            set_optional_string(image, "digest", o->image_digest) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (jv_obj_set(doc, "schemaVersion", jv_new_int(OBSERVATION_SCHEMA_VERSION)) < 0 ||
            jv_obj_set(doc, "containerId", jv_new_string(o->container_id)) < 0 ||
            jv_obj_set(doc, "image", TAKE_PTR(image)) < 0 ||
            jv_obj_set(doc, "startTime", jv_new_string(o->start_time)) < 0 ||
            set_optional_string(doc, "endTime", o->end_time) < 0 ||
            jv_obj_set(doc, "method", jv_new_string(o->method)) < 0 ||
            (o->partial && jv_obj_set(doc, "partial", jv_new_bool(true)) < 0) ||
            jv_obj_set(doc, "notifications", jv_new_uint(o->notifications)) < 0 ||
            (o->has_record_counts &&
             (jv_obj_set(doc, "unattributedRecords", jv_new_uint(o->unattributed_records)) < 0 ||
              jv_obj_set(doc, "missedRecords", jv_new_uint(o->missed_records)) < 0)) ||
            jv_obj_set(doc, "syscalls", TAKE_PTR(syscalls)) < 0 ||
            jv_obj_set(doc, "implied", TAKE_PTR(implied)) < 0 ||
            /* Only when there are any: observations without them stay as they were. */
            (samples->u.object.len > 0 && jv_obj_set(doc, "samples", TAKE_PTR(samples)) < 0) ||
            jv_obj_set(doc, "capabilities", TAKE_PTR(caps)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(doc);
        return 0;
}

int osl_observation_load(const char *path, osl_observation **out, osl_error *err)
{
        _cleanup_jv_ jv *v = NULL;
        int r = jv_parse_file(path, OBSERVATION_MAX_BYTES, &v, err);
        if (r < 0)
                return r;
        r = osl_observation_from_jv(v, out, err);
        if (r < 0)
                return osl_err_prefix(err, "%s", path);
        return 0;
}

int osl_observation_write(const osl_observation *o, const char *path, osl_error *err)
{
        _cleanup_jv_ jv *v = NULL;
        int r = osl_observation_to_jv(o, &v, err);
        if (r < 0)
                return r;
        /* Only the owner: it tells what a container did. In the run dir, a
         * temporary file: no fsync (the store's writes keep theirs). */
        return jv_write_file_atomic_nosync(v, path, 0600, err);
}

int osl_observation_wait(const char *run_dir, const char *obs_path, unsigned timeout_ms, osl_error *err)
{
        _cleanup_free_ char *socket = NULL;
        osl_error why = {};

        if (access(obs_path, F_OK) == 0)
                return 1;
        if (osl_agent_socket_path(run_dir, &socket) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        /* The agent writes the observation once the container's last
         * process is gone, which it is by now: when nothing listens, the
         * agent that held the filter's fd is gone, and a new one never had
         * it. A busy agent (-EAGAIN: its backlog is full) is still there. */
        int r = osl_agent_probe(socket, &why);
        if (r < 0 && r != -EAGAIN && access(obs_path, F_OK) != 0)
                return osl_err(err, -ENOTCONN, "%s", why.msg);
        return osl_wait_for_file(obs_path, timeout_ms, err);
}
