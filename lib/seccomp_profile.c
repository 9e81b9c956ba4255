/* SPDX-License-Identifier: Apache-2.0 */
/* Seccomp profiles as Docker, podman (containers/common) and the OCI runtime
 * spec write them. See doc/profiles.md for what is kept, dropped and checked. */
#include "seccomp_profile.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <sys/utsname.h>

#include "syscalls.h"

/* Profiles are tens of kilobytes; this only stops a runaway file. */
#define PROFILE_MAX_BYTES (16u * 1024 * 1024)
/* Longest syscall name libseccomp knows is ~25 bytes. */
#define SYSCALL_NAME_MAX 64
/* SECCOMP_RET_DATA: the errno or trace message travels in 16 bits. */
#define ERRNO_RET_MAX 0xffffu
/* Syscalls take at most 6 arguments. */
#define ARG_INDEX_MAX 5

static const char *const seccomp_actions[] = {
        "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY",
};

static const char *const seccomp_operators[] = {
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

/* The runtime spec's linux.seccomp.flags. */
static const char *const seccomp_flags[] = {
        "SECCOMP_FILTER_FLAG_TSYNC",
        "SECCOMP_FILTER_FLAG_LOG",
        "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(list[i], s) == 0)
                        return true;
        return false;
}

bool osl_seccomp_action_valid(const char *action)
{
        return action && in_list(seccomp_actions, ELEMENTSOF(seccomp_actions), action);
}

/* ---- messages ---- */

/* A value as it may appear in a message: strings quoted, escaped and cut, so
 * a hostile profile cannot put control characters or megabytes on stderr. */
static const char *describe(const jv *v, char *buf, size_t size)
{
        if (!v)
                return "nothing";
        switch (v->type) {
        case JV_STRING:
                return osl_quote_len(v->u.string.s, v->u.string.len, 64, buf, size);
        case JV_NUMBER:
                snprintf(buf, size, "%.64s%s", v->u.number, strlen(v->u.number) > 64 ? "..." : "");
                return buf;
        case JV_BOOL:
                return v->u.boolean ? "true" : "false";
        default:
                snprintf(buf, size, "a JSON %s", jv_type_name(v->type));
                return buf;
        }
}

/* JSON paths for messages ("syscalls[3].args[0].op"); a path cut short
 * still says where. A wrapper, so the compiler does not warn about the cut. */
static void subpath(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void subpath(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}

static int type_error(osl_error *err, const char *path, const char *expected, const jv *v)
{
        char d[160];
        return osl_err(err, -EINVAL, "%s: expected %s, got %s", path, expected, describe(v, d, sizeof(d)));
}

/* ---- typed field readers; all treat JSON null like an absent field, as the
 * Go decoders of docker, podman and runc do ---- */

static const jv *field(const jv *obj, const char *key)
{
        const jv *v = jv_obj_get(obj, key);
        return jv_is(v, JV_NULL) ? NULL : v;
}

static int read_string(const jv *v, const char *path, const char **out, osl_error *err)
{
        const char *s = jv_str(v);
        if (!s && jv_is(v, JV_STRING))
                return osl_err(err, -EINVAL, "%s: NUL bytes (\\u0000) are not allowed", path);
        if (!s)
                return type_error(err, path, "a string", v);
        *out = s;
        return 0;
}

static int read_uint(const jv *v, const char *path, uint64_t max, uint64_t *out, osl_error *err)
{
        uint64_t x;
        char d[160];
        if (!jv_get_uint64(v, &x) || x > max) {
                if (jv_is(v, JV_NUMBER))
                        return osl_err(err, -EINVAL, "%s: expected an integer from 0 to %" PRIu64 ", got %s", path,
                                       max, describe(v, d, sizeof(d)));
                return type_error(err, path, "a number", v);
        }
        *out = x;
        return 0;
}

/* An array of strings (or null: empty) into a NULL-terminated strv. check,
 * when given, validates each item and returns an error naming its path. */
typedef int (*item_check_fn)(const char *s, const char *path, osl_error *err);

static int read_strv(const jv *v, const char *path, item_check_fn check, char ***out, size_t *n, osl_error *err)
{
        _cleanup_strv_ char **items = NULL;
        size_t count = 0;

        if (!v) {
                *out = NULL;
                *n = 0;
                return 0;
        }
        if (!jv_is(v, JV_ARRAY))
                return type_error(err, path, "an array of strings", v);
        for (size_t i = 0; i < jv_arr_len(v); i++) {
                char item_path[256];
                const char *s = NULL;
                subpath(item_path, sizeof(item_path), "%s[%zu]", path, i);
                int r = read_string(jv_arr_at(v, i), item_path, &s, err);
                if (r < 0)
                        return r;
                if (check) {
                        r = check(s, item_path, err);
                        if (r < 0)
                                return r;
                }
                if (osl_strv_push(&items, &count, s) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        *out = TAKE_PTR(items);
        *n = count;
        return 0;
}

static int check_arch(const char *s, const char *path, osl_error *err)
{
        uint32_t token;
        int r = osl_arch_from_oci(s, &token, err);
        if (r < 0)
                return osl_err_prefix(err, "%s", path);
        return 0;
}

static int check_flag(const char *s, const char *path, osl_error *err)
{
        jv tmp = { .type = JV_STRING, .u.string = { (char *) s, strlen(s) } };
        char d[160];
        if (!in_list(seccomp_flags, ELEMENTSOF(seccomp_flags), s))
                return osl_err(err, -EINVAL, "%s: unknown seccomp flag %s", path, describe(&tmp, d, sizeof(d)));
        return 0;
}

static int check_syscall_name(const char *s, const char *path, osl_error *err)
{
        size_t len = strlen(s);
        bool ok = len > 0 && len <= SYSCALL_NAME_MAX;
        for (size_t i = 0; ok && i < len; i++)
                ok = isalnum((unsigned char) s[i]) || s[i] == '_';
        if (!ok) {
                jv tmp = { .type = JV_STRING, .u.string = { (char *) s, len } };
                char d[160];
                return osl_err(err, -EINVAL, "%s: %s is not a syscall name", path, describe(&tmp, d, sizeof(d)));
        }
        return 0;
}

static int check_action(const jv *v, const char *path, char **out, osl_error *err)
{
        const char *s = NULL;
        char d[160];
        if (!v)
                return osl_err(err, -EINVAL, "%s: missing", path);
        int r = read_string(v, path, &s, err);
        if (r < 0)
                return r;
        if (!osl_seccomp_action_valid(s))
                return osl_err(err, -EINVAL, "%s: unknown action %s (expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ...)",
                               path, describe(v, d, sizeof(d)));
        *out = strdup(s);
        return *out ? 0 : osl_err(err, -ENOMEM, "out of memory");
}

/* containers/common writes the errno as a name too ("errno": "EPERM" beside
 * "errnoRet": 1; "defaultErrno"). The number is what runtimes use; a name
 * alone is turned into it, a name that disagrees with it is an error. */
static int errno_from_name(const char *name)
{
        for (int e = 1; e < 4096; e++) {
                const char *n = strerrorname_np(e);
                if (n && strcmp(n, name) == 0)
                        return e;
        }
        return -1;
}

static int read_errno(const jv *obj, const char *path, const char *num_key, const char *name_key, bool *has,
                      uint32_t *out, osl_error *err)
{
        char p[256];
        const jv *num = field(obj, num_key), *name = field(obj, name_key);
        uint64_t x = 0;
        int r;

        *has = false;
        if (num) {
                subpath(p, sizeof(p), "%s%s%s", path, *path ? "." : "", num_key);
                r = read_uint(num, p, ERRNO_RET_MAX, &x, err);
                if (r < 0)
                        return r;
                *has = true;
        }
        if (name) {
                const char *s = NULL;
                char d[160];
                subpath(p, sizeof(p), "%s%s%s", path, *path ? "." : "", name_key);
                r = read_string(name, p, &s, err);
                if (r < 0)
                        return r;
                int e = errno_from_name(s);
                if (e < 0)
                        return osl_err(err, -EINVAL, "%s: unknown errno name %s", p, describe(name, d, sizeof(d)));
                if (*has && (uint64_t) e != x)
                        return osl_err(err, -EINVAL, "%s: %s is %d, but %s says %" PRIu64, p, s, e, num_key, x);
                x = (uint64_t) e;
                *has = true;
        }
        *out = (uint32_t) x;
        return 0;
}

/* "4.8" or "5.10.12": at most three numbers, compared as a triple. */
static int parse_kernel_version(const char *s, unsigned v[3])
{
        v[0] = v[1] = v[2] = 0;
        for (int i = 0; i < 3; i++) {
                if (!isdigit((unsigned char) *s))
                        return i >= 2 ? 0 : -EINVAL; /* "4.8-rc1": the rest is a suffix */
                char *end;
                unsigned long x = strtoul(s, &end, 10);
                if (x > 100000)
                        return -EINVAL;
                v[i] = (unsigned) x;
                s = end;
                if (*s != '.')
                        return i >= 1 ? 0 : -EINVAL;
                s++;
        }
        return 0;
}

static int kernel_cmp(const unsigned a[3], const unsigned b[3])
{
        for (int i = 0; i < 3; i++)
                if (a[i] != b[i])
                        return a[i] < b[i] ? -1 : 1;
        return 0;
}

/* includes/excludes: {"caps": [...], "arches": [...], "minKernel": "4.8"}.
 * Checked here, kept as written. */
static int check_condition(const jv *v, const char *path, jv **out, osl_error *err)
{
        char p[256];
        _cleanup_strv_ char **items = NULL;
        size_t n;
        int r;

        *out = NULL;
        if (!v)
                return 0;
        if (!jv_is(v, JV_OBJECT))
                return type_error(err, path, "an object", v);
        subpath(p, sizeof(p), "%s.caps", path);
        r = read_strv(field(v, "caps"), p, NULL, &items, &n, err);
        if (r < 0)
                return r;
        strvfreep(&items);
        subpath(p, sizeof(p), "%s.arches", path);
        r = read_strv(field(v, "arches"), p, NULL, &items, &n, err);
        if (r < 0)
                return r;
        const jv *mk = field(v, "minKernel");
        if (mk) {
                const char *s = NULL;
                unsigned ver[3];
                char d[160];
                subpath(p, sizeof(p), "%s.minKernel", path);
                r = read_string(mk, p, &s, err);
                if (r < 0)
                        return r;
                if (*s && parse_kernel_version(s, ver) < 0)
                        return osl_err(err, -EINVAL, "%s: %s is not a kernel version such as \"4.8\"", p,
                                       describe(mk, d, sizeof(d)));
        }
        *out = jv_dup(v);
        return *out ? 0 : osl_err(err, -ENOMEM, "out of memory");
}

static bool condition_empty(const jv *c)
{
        const char *mk = jv_str(field(c, "minKernel"));
        return jv_arr_len(field(c, "caps")) == 0 && jv_arr_len(field(c, "arches")) == 0 && !(mk && *mk);
}

/* unknown_names is kept sorted and unique, so output does not depend on the
 * order rules were added in. Each name goes in at its place (binary search):
 * a profile of a thousand unknown names is built in n log n, not n² log n. */
static int note_unknown_names(osl_seccomp *s, char *const *names)
{
        for (; names && *names; names++) {
                size_t lo = 0, hi = s->n_unknown_names;
                int c = 1;
                if (osl_syscall_known(*names))
                        continue;
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        c = strcmp(*names, s->unknown_names[mid]);
                        if (c == 0)
                                break;
                        if (c < 0)
                                hi = mid;
                        else
                                lo = mid + 1;
                }
                if (c == 0)
                        continue;
                if (osl_strv_push(&s->unknown_names, &s->n_unknown_names, *names) < 0)
                        return -ENOMEM;
                char *added = s->unknown_names[s->n_unknown_names - 1];
                memmove(&s->unknown_names[lo + 1], &s->unknown_names[lo],
                        (s->n_unknown_names - 1 - lo) * sizeof(char *));
                s->unknown_names[lo] = added;
        }
        return 0;
}

/* ---- life cycle ---- */

static void rule_clear(osl_seccomp_rule *r)
{
        strvfreep(&r->names);
        free(r->action);
        for (size_t i = 0; i < r->n_args; i++)
                free(r->args[i].op);
        free(r->args);
        free(r->comment);
        jv_free(r->includes);
        jv_free(r->excludes);
        memset(r, 0, sizeof(*r));
}

osl_seccomp *osl_seccomp_new(void)
{
        return calloc(1, sizeof(osl_seccomp));
}

void osl_seccomp_free(osl_seccomp *s)
{
        if (!s)
                return;
        free(s->default_action);
        strvfreep(&s->architectures);
        jv_free(s->arch_map);
        strvfreep(&s->flags);
        free(s->listener_path);
        free(s->listener_metadata);
        for (size_t i = 0; i < s->n_rules; i++)
                rule_clear(&s->rules[i]);
        free(s->rules);
        strvfreep(&s->unknown_names);
        free(s);
}

static osl_seccomp_rule *rule_append(osl_seccomp *s)
{
        osl_seccomp_rule *grown = realloc(s->rules, (s->n_rules + 1) * sizeof(*grown));
        if (!grown)
                return NULL;
        s->rules = grown;
        memset(&grown[s->n_rules], 0, sizeof(*grown));
        return &grown[s->n_rules++];
}

static int strv_copy(char *const *src, char ***dst, size_t *n)
{
        _cleanup_strv_ char **v = NULL;
        size_t count = 0;
        for (; src && *src; src++)
                if (osl_strv_push(&v, &count, *src) < 0)
                        return -ENOMEM;
        *dst = TAKE_PTR(v);
        if (n)
                *n = count;
        return 0;
}

/* Copies everything but the rules. */
static int copy_header(const osl_seccomp *src, osl_seccomp *dst, bool with_arch_map)
{
        if ((src->default_action && !(dst->default_action = strdup(src->default_action))) ||
            (src->listener_path && !(dst->listener_path = strdup(src->listener_path))) ||
            (src->listener_metadata && !(dst->listener_metadata = strdup(src->listener_metadata))))
                return -ENOMEM;
        dst->has_default_errno_ret = src->has_default_errno_ret;
        dst->default_errno_ret = src->default_errno_ret;
        if (strv_copy(src->architectures, &dst->architectures, &dst->n_architectures) < 0 ||
            strv_copy(src->flags, &dst->flags, &dst->n_flags) < 0)
                return -ENOMEM;
        if (with_arch_map && src->arch_map && !(dst->arch_map = jv_dup(src->arch_map)))
                return -ENOMEM;
        return 0;
}

/* errnoRet and the argument conditions. */
static int rule_copy_conditions(const osl_seccomp_rule *src, osl_seccomp_rule *dst)
{
        dst->has_errno_ret = src->has_errno_ret;
        dst->errno_ret = src->errno_ret;
        if (src->n_args == 0)
                return 0;
        dst->args = calloc(src->n_args, sizeof(*dst->args));
        if (!dst->args)
                return -ENOMEM;
        for (size_t i = 0; i < src->n_args; i++) {
                dst->args[i] = src->args[i];
                dst->args[i].op = strdup(src->args[i].op);
                if (!dst->args[i].op)
                        return -ENOMEM;
                dst->n_args = i + 1;
        }
        return 0;
}

static int rule_copy(const osl_seccomp_rule *src, osl_seccomp_rule *dst, bool docker_fields)
{
        if (strv_copy(src->names, &dst->names, &dst->n_names) < 0 || !(dst->action = osl_strdup(src->action)))
                return -ENOMEM;
        if (rule_copy_conditions(src, dst) < 0)
                return -ENOMEM;
        if (!docker_fields)
                return 0;
        if ((src->comment && !(dst->comment = strdup(src->comment))) ||
            (src->includes && !(dst->includes = jv_dup(src->includes))) ||
            (src->excludes && !(dst->excludes = jv_dup(src->excludes))))
                return -ENOMEM;
        return 0;
}

osl_seccomp *osl_seccomp_dup(const osl_seccomp *s)
{
        _cleanup_seccomp_ osl_seccomp *d = osl_seccomp_new();
        if (!d || copy_header(s, d, true) < 0)
                return NULL;
        for (size_t i = 0; i < s->n_rules; i++) {
                osl_seccomp_rule *r = rule_append(d);
                if (!r || rule_copy(&s->rules[i], r, true) < 0)
                        return NULL;
        }
        if (strv_copy(s->unknown_names, &d->unknown_names, &d->n_unknown_names) < 0)
                return NULL;
        return TAKE_PTR(d);
}

int osl_seccomp_add_rule(osl_seccomp *s, char *const *names, size_t n_names, const char *action, osl_error *err)
{
        char path[64];
        int r;

        if (!osl_seccomp_action_valid(action))
                return osl_err(err, -EINVAL, "unknown action \"%.64s\"", action ? action : "(null)");
        if (n_names == 0)
                return osl_err(err, -EINVAL, "a rule needs at least one syscall name");
        subpath(path, sizeof(path), "syscalls[%zu].names", s->n_rules);
        for (size_t i = 0; i < n_names; i++) {
                r = check_syscall_name(names[i], path, err);
                if (r < 0)
                        return r;
        }
        osl_seccomp_rule *rule = rule_append(s);
        if (!rule)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n_names; i++)
                if (osl_strv_push(&rule->names, &rule->n_names, names[i]) < 0)
                        goto oom;
        rule->action = strdup(action);
        if (!rule->action || note_unknown_names(s, rule->names) < 0)
                goto oom;
        return 0;
oom:
        rule_clear(rule);
        s->n_rules--;
        return osl_err(err, -ENOMEM, "out of memory");
}

int osl_seccomp_add_rule_like(osl_seccomp *s, char *const *names, size_t n_names, const char *action,
                              const osl_seccomp_rule *like, osl_error *err)
{
        int r = osl_seccomp_add_rule(s, names, n_names, action, err);
        if (r < 0 || !like)
                return r;
        if (rule_copy_conditions(like, &s->rules[s->n_rules - 1]) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

/* ---- parsing ---- */

static int parse_arg(const jv *v, const char *path, osl_seccomp_arg *arg, osl_error *err)
{
        char p[256], d[160];
        uint64_t x;
        const char *op = NULL;
        int r;

        if (!jv_is(v, JV_OBJECT))
                return type_error(err, path, "an object", v);

        subpath(p, sizeof(p), "%s.index", path);
        if (!field(v, "index"))
                return osl_err(err, -EINVAL, "%s: missing", p);
        r = read_uint(field(v, "index"), p, ARG_INDEX_MAX, &x, err);
        if (r < 0)
                return r;
        arg->index = (uint32_t) x;

        subpath(p, sizeof(p), "%s.value", path);
        if (field(v, "value")) {
                r = read_uint(field(v, "value"), p, UINT64_MAX, &arg->value, err);
                if (r < 0)
                        return r;
        }
        subpath(p, sizeof(p), "%s.valueTwo", path);
        if (field(v, "valueTwo")) {
                r = read_uint(field(v, "valueTwo"), p, UINT64_MAX, &arg->value_two, err);
                if (r < 0)
                        return r;
        }

        subpath(p, sizeof(p), "%s.op", path);
        if (!field(v, "op"))
                return osl_err(err, -EINVAL, "%s: missing", p);
        r = read_string(field(v, "op"), p, &op, err);
        if (r < 0)
                return r;
        if (!in_list(seccomp_operators, ELEMENTSOF(seccomp_operators), op))
                return osl_err(err, -EINVAL, "%s: unknown operator %s (expected SCMP_CMP_EQ, SCMP_CMP_NE, ...)", p,
                               describe(field(v, "op"), d, sizeof(d)));
        arg->op = strdup(op);
        return arg->op ? 0 : osl_err(err, -ENOMEM, "out of memory");
}

static int parse_rule(const jv *v, const char *path, osl_seccomp_rule *rule, osl_error *err)
{
        char p[256];
        const jv *names = field(v, "names"), *name = field(v, "name");
        int r;

        if (!jv_is(v, JV_OBJECT))
                return type_error(err, path, "an object", v);

        /* "name" is the old Docker spelling of a one-name rule. */
        if (names && name)
                return osl_err(err, -EINVAL, "%s: both \"name\" and \"names\" are given; use one", path);
        if (name) {
                const char *s = NULL;
                subpath(p, sizeof(p), "%s.name", path);
                r = read_string(name, p, &s, err);
                if (r < 0)
                        return r;
                r = check_syscall_name(s, p, err);
                if (r < 0)
                        return r;
                if (osl_strv_push(&rule->names, &rule->n_names, s) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        } else {
                subpath(p, sizeof(p), "%s.names", path);
                r = read_strv(names, p, check_syscall_name, &rule->names, &rule->n_names, err);
                if (r < 0)
                        return r;
        }
        if (rule->n_names == 0)
                return osl_err(err, -EINVAL, "%s.names: a rule needs at least one syscall name", path);

        subpath(p, sizeof(p), "%s.action", path);
        r = check_action(field(v, "action"), p, &rule->action, err);
        if (r < 0)
                return r;

        r = read_errno(v, path, "errnoRet", "errno", &rule->has_errno_ret, &rule->errno_ret, err);
        if (r < 0)
                return r;

        const jv *args = field(v, "args");
        subpath(p, sizeof(p), "%s.args", path);
        if (args && !jv_is(args, JV_ARRAY))
                return type_error(err, p, "an array", args);
        if (jv_arr_len(args) > 0) {
                rule->args = calloc(jv_arr_len(args), sizeof(*rule->args));
                if (!rule->args)
                        return osl_err(err, -ENOMEM, "out of memory");
                for (size_t i = 0; i < jv_arr_len(args); i++) {
                        char ap[256];
                        subpath(ap, sizeof(ap), "%s.args[%zu]", path, i);
                        r = parse_arg(jv_arr_at(args, i), ap, &rule->args[i], err);
                        rule->n_args = i + 1; /* so rule_clear frees a half-parsed op too */
                        if (r < 0)
                                return r;
                }
        }

        const jv *comment = field(v, "comment");
        if (comment) {
                const char *s = NULL;
                subpath(p, sizeof(p), "%s.comment", path);
                r = read_string(comment, p, &s, err);
                if (r < 0)
                        return r;
                if (!(rule->comment = strdup(s)))
                        return osl_err(err, -ENOMEM, "out of memory");
        }

        subpath(p, sizeof(p), "%s.includes", path);
        r = check_condition(field(v, "includes"), p, &rule->includes, err);
        if (r < 0)
                return r;
        subpath(p, sizeof(p), "%s.excludes", path);
        return check_condition(field(v, "excludes"), p, &rule->excludes, err);
}

static int parse_arch_map(const jv *v, osl_error *err)
{
        char p[128];
        int r;

        if (!jv_is(v, JV_ARRAY))
                return type_error(err, "archMap", "an array", v);
        for (size_t i = 0; i < jv_arr_len(v); i++) {
                const jv *entry = jv_arr_at(v, i);
                const char *arch = NULL;
                _cleanup_strv_ char **subs = NULL;
                size_t n;

                subpath(p, sizeof(p), "archMap[%zu]", i);
                if (!jv_is(entry, JV_OBJECT))
                        return type_error(err, p, "an object", entry);
                subpath(p, sizeof(p), "archMap[%zu].architecture", i);
                if (!field(entry, "architecture"))
                        return osl_err(err, -EINVAL, "%s: missing", p);
                r = read_string(field(entry, "architecture"), p, &arch, err);
                if (r < 0)
                        return r;
                r = check_arch(arch, p, err);
                if (r < 0)
                        return r;
                subpath(p, sizeof(p), "archMap[%zu].subArchitectures", i);
                r = read_strv(field(entry, "subArchitectures"), p, check_arch, &subs, &n, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_optional_string(const jv *obj, const char *key, char **out, osl_error *err)
{
        const jv *v = field(obj, key);
        const char *s = NULL;
        if (!v)
                return 0;
        int r = read_string(v, key, &s, err);
        if (r < 0)
                return r;
        *out = strdup(s);
        return *out ? 0 : osl_err(err, -ENOMEM, "out of memory");
}

int osl_seccomp_from_jv(const jv *v, osl_seccomp **out, osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *s = NULL;
        int r;

        if (!jv_is(v, JV_OBJECT))
                return type_error(err, "profile", "an object", v);
        s = osl_seccomp_new();
        if (!s)
                return osl_err(err, -ENOMEM, "out of memory");

        r = check_action(field(v, "defaultAction"), "defaultAction", &s->default_action, err);
        if (r < 0)
                return r;
        r = read_errno(v, "", "defaultErrnoRet", "defaultErrno", &s->has_default_errno_ret, &s->default_errno_ret,
                       err);
        if (r < 0)
                return r;

        r = read_strv(field(v, "architectures"), "architectures", check_arch, &s->architectures,
                      &s->n_architectures, err);
        if (r < 0)
                return r;
        const jv *arch_map = field(v, "archMap");
        if (arch_map) {
                r = parse_arch_map(arch_map, err);
                if (r < 0)
                        return r;
                /* docker and podman refuse this too: which one would win? */
                if (s->n_architectures > 0 && jv_arr_len(arch_map) > 0)
                        return osl_err(err, -EINVAL,
                                       "archMap: a profile gives \"architectures\" or \"archMap\", not both");
                if (!(s->arch_map = jv_dup(arch_map)))
                        return osl_err(err, -ENOMEM, "out of memory");
        }

        r = read_strv(field(v, "flags"), "flags", check_flag, &s->flags, &s->n_flags, err);
        if (r < 0)
                return r;
        r = parse_optional_string(v, "listenerPath", &s->listener_path, err);
        if (r < 0)
                return r;
        r = parse_optional_string(v, "listenerMetadata", &s->listener_metadata, err);
        if (r < 0)
                return r;

        const jv *syscalls = field(v, "syscalls");
        if (syscalls && !jv_is(syscalls, JV_ARRAY))
                return type_error(err, "syscalls", "an array", syscalls);
        for (size_t i = 0; i < jv_arr_len(syscalls); i++) {
                char p[64];
                subpath(p, sizeof(p), "syscalls[%zu]", i);
                osl_seccomp_rule *rule = rule_append(s);
                if (!rule)
                        return osl_err(err, -ENOMEM, "out of memory");
                r = parse_rule(jv_arr_at(syscalls, i), p, rule, err);
                if (r < 0)
                        return r;
                if (note_unknown_names(s, rule->names) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }

        *out = TAKE_PTR(s);
        return 0;
}

int osl_seccomp_load_file(const char *path, osl_seccomp **out, osl_error *err)
{
        _cleanup_jv_ jv *v = NULL;
        int r = jv_parse_file(path, PROFILE_MAX_BYTES, &v, err);
        if (r < 0)
                return r;
        r = osl_seccomp_from_jv(v, out, err);
        if (r < 0)
                return osl_err_prefix(err, "%s", path);
        return 0;
}

/* ---- architecture resolution ---- */

/* The architecture name Docker and podman compare includes/excludes "arches"
 * with: libseccomp's name, except Go's amd64 and arm64 (what runtime.GOARCH
 * and libseccomp-golang say). */
static int go_arch_name(const char *oci, char *buf, size_t size)
{
        const char *suffix = oci + strlen("SCMP_ARCH_");
        if (strcmp(oci, "SCMP_ARCH_X86_64") == 0)
                suffix = "AMD64";
        else if (strcmp(oci, "SCMP_ARCH_AARCH64") == 0)
                suffix = "ARM64";
        if (strlen(suffix) >= size)
                return -EINVAL;
        size_t i = 0;
        for (; suffix[i]; i++)
                buf[i] = (char) tolower((unsigned char) suffix[i]);
        buf[i] = '\0';
        return 0;
}

/* archMap -> architectures for one architecture: the entry whose
 * "architecture" is arch, followed by its subArchitectures. */
static int arch_map_resolve(const jv *arch_map, const char *arch, char ***out, size_t *n)
{
        for (size_t i = 0; i < jv_arr_len(arch_map); i++) {
                const jv *entry = jv_arr_at(arch_map, i);
                const char *a = jv_str(field(entry, "architecture"));
                if (!a || strcmp(a, arch) != 0)
                        continue;
                if (osl_strv_push(out, n, a) < 0)
                        return -ENOMEM;
                const jv *subs = field(entry, "subArchitectures");
                for (size_t j = 0; j < jv_arr_len(subs); j++) {
                        const char *sa = jv_str(jv_arr_at(subs, j));
                        if (sa && osl_strv_push(out, n, sa) < 0)
                                return -ENOMEM;
                }
                break;
        }
        return 0;
}

static const char *native_oci_arch(osl_error *err)
{
        const char *native = osl_arch_native();
        if (!native)
                osl_err(err, -EINVAL, "the native architecture has no OCI name");
        return native;
}

/* ---- serialization ---- */

static jv *strv_to_jv(char *const *v)
{
        _cleanup_jv_ jv *a = jv_new_array();
        if (!a)
                return NULL;
        for (; v && *v; v++)
                if (jv_arr_append(a, jv_new_string(*v)) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

static int rule_to_jv(const osl_seccomp_rule *rule, osl_seccomp_form form, jv **out)
{
        _cleanup_jv_ jv *o = jv_new_object();
        if (!o)
                return -ENOMEM;
        if (jv_obj_set(o, "names", strv_to_jv(rule->names)) < 0 || jv_obj_set(o, "action", jv_new_string(rule->action)) < 0)
                return -ENOMEM;
        if (rule->has_errno_ret && jv_obj_set(o, "errnoRet", jv_new_uint(rule->errno_ret)) < 0)
                return -ENOMEM;
        if (rule->n_args > 0) {
                jv *args = jv_new_array();
                if (jv_obj_set(o, "args", args) < 0)
                        return -ENOMEM;
                for (size_t i = 0; i < rule->n_args; i++) {
                        jv *a = jv_new_object();
                        if (jv_arr_append(args, a) < 0 || jv_obj_set(a, "index", jv_new_uint(rule->args[i].index)) < 0 ||
                            jv_obj_set(a, "value", jv_new_uint(rule->args[i].value)) < 0 ||
                            jv_obj_set(a, "valueTwo", jv_new_uint(rule->args[i].value_two)) < 0 ||
                            jv_obj_set(a, "op", jv_new_string(rule->args[i].op)) < 0)
                                return -ENOMEM;
                }
        }
        if (form == OSL_SECCOMP_DOCKER) {
                if (rule->comment && jv_obj_set(o, "comment", jv_new_string(rule->comment)) < 0)
                        return -ENOMEM;
                if (rule->includes && jv_obj_set(o, "includes", jv_dup(rule->includes)) < 0)
                        return -ENOMEM;
                if (rule->excludes && jv_obj_set(o, "excludes", jv_dup(rule->excludes)) < 0)
                        return -ENOMEM;
        }
        *out = TAKE_PTR(o);
        return 0;
}

int osl_seccomp_to_jv(const osl_seccomp *s, osl_seccomp_form form, jv **out, osl_error *err)
{
        _cleanup_jv_ jv *o = jv_new_object();
        _cleanup_strv_ char **arches = NULL;
        size_t n_arches = 0;

        if (!o)
                return osl_err(err, -ENOMEM, "out of memory");
        if (!osl_seccomp_action_valid(s->default_action))
                return osl_err(err, -EINVAL, "defaultAction: unknown action \"%.64s\"",
                               s->default_action ? s->default_action : "(none)");

        /* A model built in code may hold what no parser lets through. */
        for (size_t i = 0; i < s->n_rules; i++) {
                const osl_seccomp_rule *rule = &s->rules[i];
                if (!osl_seccomp_action_valid(rule->action))
                        return osl_err(err, -EINVAL, "syscalls[%zu].action: unknown action \"%.64s\"", i,
                                       rule->action ? rule->action : "(none)");
                if (rule->n_names == 0)
                        return osl_err(err, -EINVAL, "syscalls[%zu].names: a rule needs at least one syscall name", i);
                for (size_t j = 0; j < rule->n_args; j++)
                        if (!rule->args[j].op ||
                            !in_list(seccomp_operators, ELEMENTSOF(seccomp_operators), rule->args[j].op))
                                return osl_err(err, -EINVAL, "syscalls[%zu].args[%zu].op: unknown operator", i, j);
        }

        if (form == OSL_SECCOMP_OCI) {
                /* A runtime would apply a conditional rule unconditionally:
                 * refuse rather than widen or narrow the profile silently. */
                for (size_t i = 0; i < s->n_rules; i++)
                        if ((s->rules[i].includes && !condition_empty(s->rules[i].includes)) ||
                            (s->rules[i].excludes && !condition_empty(s->rules[i].excludes)))
                                return osl_err(err, -EINVAL,
                                               "syscalls[%zu] has includes/excludes conditions, which the OCI form "
                                               "cannot express: resolve the profile for a container first",
                                               i);
                if (s->n_architectures == 0 && s->arch_map) {
                        const char *native = native_oci_arch(err);
                        if (!native)
                                return -EINVAL;
                        if (arch_map_resolve(s->arch_map, native, &arches, &n_arches) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
        }

        if (jv_obj_set(o, "defaultAction", jv_new_string(s->default_action)) < 0)
                goto oom;
        if (s->has_default_errno_ret && jv_obj_set(o, "defaultErrnoRet", jv_new_uint(s->default_errno_ret)) < 0)
                goto oom;
        if (s->n_architectures > 0 && jv_obj_set(o, "architectures", strv_to_jv(s->architectures)) < 0)
                goto oom;
        if (n_arches > 0 && jv_obj_set(o, "architectures", strv_to_jv(arches)) < 0)
                goto oom;
        if (form == OSL_SECCOMP_DOCKER && s->arch_map && jv_obj_set(o, "archMap", jv_dup(s->arch_map)) < 0)
                goto oom;
        if (s->n_flags > 0 && jv_obj_set(o, "flags", strv_to_jv(s->flags)) < 0)
                goto oom;
        if (s->listener_path && jv_obj_set(o, "listenerPath", jv_new_string(s->listener_path)) < 0)
                goto oom;
        if (s->listener_metadata && jv_obj_set(o, "listenerMetadata", jv_new_string(s->listener_metadata)) < 0)
                goto oom;

        jv *syscalls = jv_new_array();
        if (jv_obj_set(o, "syscalls", syscalls) < 0)
                goto oom;
        for (size_t i = 0; i < s->n_rules; i++) {
                jv *r = NULL;
                if (rule_to_jv(&s->rules[i], form, &r) < 0 || jv_arr_append(syscalls, r) < 0)
                        goto oom;
        }
        *out = TAKE_PTR(o);
        return 0;
oom:
        return osl_err(err, -ENOMEM, "out of memory");
}

/* ---- includes/excludes ---- */

static bool strv_has_any(const jv *list, char *const *set_, size_t n)
{
        for (size_t i = 0; i < jv_arr_len(list); i++) {
                const char *s = jv_str(jv_arr_at(list, i));
                for (size_t j = 0; s && j < n; j++)
                        if (strcmp(s, set_[j]) == 0)
                                return true;
        }
        return false;
}

static bool strv_has_all(const jv *list, char *const *set_, size_t n)
{
        for (size_t i = 0; i < jv_arr_len(list); i++) {
                const char *s = jv_str(jv_arr_at(list, i));
                bool found = false;
                for (size_t j = 0; s && j < n && !found; j++)
                        found = strcmp(s, set_[j]) == 0;
                if (!found)
                        return false;
        }
        return true;
}

static bool jv_list_contains(const jv *list, const char *s)
{
        for (size_t i = 0; i < jv_arr_len(list); i++) {
                const char *x = jv_str(jv_arr_at(list, i));
                if (x && strcmp(x, s) == 0)
                        return true;
        }
        return false;
}

/* 1: the kernel is at least minKernel, 0: older, 0 also when none is given. */
static int kernel_at_least(const jv *cond, const unsigned kernel[3], const char *path, bool *has, osl_error *err)
{
        const char *mk = jv_str(field(cond, "minKernel"));
        unsigned want[3];

        *has = false;
        if (!mk || !*mk)
                return 0;
        if (parse_kernel_version(mk, want) < 0)
                return osl_err(err, -EINVAL, "%s.minKernel: \"%.32s\" is not a kernel version", path, mk);
        *has = true;
        return kernel_cmp(kernel, want) >= 0;
}

/* Docker's and podman's rule (moby profiles/seccomp): a rule is dropped when
 * an excluded arch is ours, any excluded cap is held, or the kernel is at
 * least excludes.minKernel; and unless our arch is among the included ones,
 * every included cap is held and the kernel is at least includes.minKernel. */
static int rule_applies(const osl_seccomp_rule *rule, const char *path, const char *go_arch, char *const *caps,
                        size_t n_caps, const unsigned kernel[3], osl_error *err)
{
        char p[128];
        bool has;
        int r;

        if (rule->excludes) {
                if (jv_list_contains(field(rule->excludes, "arches"), go_arch) ||
                    strv_has_any(field(rule->excludes, "caps"), caps, n_caps))
                        return 0;
                subpath(p, sizeof(p), "%s.excludes", path);
                r = kernel_at_least(rule->excludes, kernel, p, &has, err);
                if (r < 0)
                        return r;
                if (has && r)
                        return 0;
        }
        if (rule->includes) {
                const jv *arches = field(rule->includes, "arches");
                if (jv_arr_len(arches) > 0 && !jv_list_contains(arches, go_arch))
                        return 0;
                if (!strv_has_all(field(rule->includes, "caps"), caps, n_caps))
                        return 0;
                subpath(p, sizeof(p), "%s.includes", path);
                r = kernel_at_least(rule->includes, kernel, p, &has, err);
                if (r < 0)
                        return r;
                if (has && !r)
                        return 0;
        }
        return 1;
}

int osl_seccomp_resolve_for(const osl_seccomp *docker, char *const *caps, size_t n_caps, const char *oci_arch,
                            const char *kernel_release, osl_seccomp **out, osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *s = osl_seccomp_new();
        char go_arch[32];
        unsigned kernel[3];
        struct utsname uts;
        int r;

        if (!s)
                return osl_err(err, -ENOMEM, "out of memory");
        if (oci_arch) {
                uint32_t token;
                r = osl_arch_from_oci(oci_arch, &token, err);
                if (r < 0)
                        return r;
                oci_arch = osl_arch_to_oci(token);
                if (!oci_arch)
                        return osl_err(err, -EINVAL, "architecture 0x%08x has no OCI name", token);
        } else {
                oci_arch = native_oci_arch(err);
                if (!oci_arch)
                        return -EINVAL;
        }
        if (go_arch_name(oci_arch, go_arch, sizeof(go_arch)) < 0)
                return osl_err(err, -EINVAL, "architecture %s has no short name", oci_arch);
        if (!kernel_release) {
                if (uname(&uts) < 0)
                        return osl_err(err, -errno, "uname: %m");
                kernel_release = uts.release;
        }
        if (parse_kernel_version(kernel_release, kernel) < 0)
                return osl_err(err, -EINVAL, "cannot tell the kernel version from \"%.64s\"", kernel_release);

        if (copy_header(docker, s, false) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (s->n_architectures == 0 && docker->arch_map &&
            arch_map_resolve(docker->arch_map, oci_arch, &s->architectures, &s->n_architectures) < 0)
                return osl_err(err, -ENOMEM, "out of memory");

        for (size_t i = 0; i < docker->n_rules; i++) {
                char p[64];
                subpath(p, sizeof(p), "syscalls[%zu]", i);
                r = rule_applies(&docker->rules[i], p, go_arch, caps, n_caps, kernel, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                osl_seccomp_rule *rule = rule_append(s);
                if (!rule || rule_copy(&docker->rules[i], rule, false) < 0 || note_unknown_names(s, rule->names) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        *out = TAKE_PTR(s);
        return 0;
}

int osl_seccomp_resolve(const osl_seccomp *docker, char *const *caps, size_t n_caps, osl_seccomp **out,
                        osl_error *err)
{
        return osl_seccomp_resolve_for(docker, caps, n_caps, NULL, NULL, out, err);
}
