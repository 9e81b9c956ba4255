/* SPDX-License-Identifier: Apache-2.0 */
#include "oci_config.h"

#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "rundir.h"

/* ---- reading a config the way the runtime reads it ---- */

/* The fields of each object we read or write, from the runtime spec
 * (config.md, config-linux.md). A key that folds to one of these is a field
 * for runc; any other key is ignored by it. */
static const char *const root_fields[] = {
        "ociVersion", "process", "root", "hostname", "domainname", "mounts", "hooks",
        "annotations", "linux", "solaris", "windows", "vm", "zos", NULL,
};
static const char *const process_fields[] = {
        "terminal", "consoleSize", "user", "cwd", "env", "args", "commandLine", "rlimits",
        "apparmorProfile", "capabilities", "noNewPrivileges", "oomScoreAdj", "selinuxLabel",
        "ioPriority", "scheduler", "execCPUAffinity", NULL,
};
static const char *const user_fields[] = { "uid", "gid", "umask", "additionalGids", "username", NULL };
static const char *const capability_fields[] = { "bounding", "effective", "inheritable", "permitted", "ambient", NULL };
static const char *const linux_fields[] = {
        "uidMappings", "gidMappings", "timeOffsets", "sysctl", "resources", "cgroupsPath", "namespaces",
        "devices", "seccomp", "rootfsPropagation", "maskedPaths", "readonlyPaths", "mountLabel",
        "intelRdt", "personality", "memoryPolicy", "netDevices", NULL,
};
static const char *const seccomp_fields[] = {
        "defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath", "listenerMetadata",
        "syscalls", NULL,
};
static const char *const syscall_fields[] = { "names", "action", "errnoRet", "args", NULL };
static const char *const arg_fields[] = { "index", "value", "valueTwo", "op", NULL };
static const char *const hooks_fields[] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};
static const char *const hook_fields[] = { "path", "args", "env", "timeout", NULL };
static const char *const no_fields[] = { NULL }; /* annotations: a map, keys match exactly */
/* Keys of Docker's profile format that lib/seccomp_profile.c reads and
 * runc's linux.seccomp does not: "archMap" would add architectures, "name"
 * a syscall, "errno"/"defaultErrno" an errno, "includes"/"excludes"
 * conditions, all of them for us only. */
static const char *const docker_seccomp_keys[] = { "archMap", "defaultErrno", NULL };
static const char *const docker_syscall_keys[] = { "name", "errno", "includes", "excludes", NULL };

/* Go's encoding/json (1.19, runc 1.1.5's) matches a key to an ASCII field
 * name ignoring ASCII case, and also takes U+017F (long s) for 's' and
 * U+212A (Kelvin sign) for 'k'. */
static bool go_fold_equal(const char *field, const char *key)
{
        const unsigned char *k = (const unsigned char *) key;
        for (const char *f = field; *f; f++) {
                char lower = (char) (*f | 0x20);
                bool letter = lower >= 'a' && lower <= 'z';
                if (*k == 0)
                        return false;
                if (*k < 0x80) {
                        if (letter ? (char) (*k | 0x20) != lower : *k != (unsigned char) *f)
                                return false;
                        k++;
                } else if (lower == 's' && k[0] == 0xc5 && k[1] == 0xbf)
                        k += 2;
                else if (lower == 'k' && k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa)
                        k += 3;
                else
                        return false;
        }
        return *k == 0;
}

/* The field a key selects for the runtime, or NULL for a key it ignores.
 * *exact is false when the key selects it only by folding. */
static const char *field_of(const char *const *fields, const char *key, bool *exact)
{
        for (const char *const *f = fields; *f; f++)
                if (strcmp(*f, key) == 0) {
                        *exact = true;
                        return *f;
                }
        for (const char *const *f = fields; *f; f++)
                if (go_fold_equal(*f, key)) {
                        *exact = false;
                        return *f;
                }
        return NULL;
}

typedef struct named_key {
        const char *name; /* the field, or the key itself */
        const char *key;
} named_key;

static int named_key_cmp(const void *a, const void *b)
{
        return strcmp(((const named_key *) a)->name, ((const named_key *) b)->name);
}

static int check_object(const jv *obj, const char *path, const char *const *fields, osl_error *err)
{
        char q[128], q2[128];
        if (!jv_is(obj, JV_OBJECT) || obj->u.object.len == 0)
                return 0;
        size_t n = obj->u.object.len;
        _cleanup_free_ named_key *keys = calloc(n, sizeof(*keys));
        if (!keys)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const char *key = obj->u.object.keys[i];
                bool exact = true;
                const char *field = field_of(fields, key, &exact);
                if (field && !exact)
                        return osl_err(err, -EINVAL,
                                       "config %s: the key %s is the OCI field \"%s\" in another case; runc would "
                                       "read it as that field, we would not",
                                       path, osl_quote(key, q, sizeof(q)), field);
                keys[i] = (named_key){ .name = field ? field : key, .key = key };
        }
        /* Sorted, a duplicate is next to its twin: no quadratic scan of a
         * map with many annotations. */
        qsort(keys, n, sizeof(*keys), named_key_cmp);
        for (size_t i = 1; i < n; i++)
                if (strcmp(keys[i - 1].name, keys[i].name) == 0)
                        return osl_err(err, -EINVAL,
                                       "config %s: the key %s appears twice; runc takes the last one, crun the "
                                       "first",
                                       path, osl_quote(keys[i].key, q2, sizeof(q2)));
        return 0;
}

static int check_docker_keys(const jv *obj, const char *path, const char *const *keys, osl_error *err)
{
        for (const char *const *k = keys; *k; k++)
                if (jv_obj_get(obj, *k))
                        return osl_err(err, -EINVAL,
                                       "config %s: the key \"%s\" belongs to Docker's profile format; runc ignores it "
                                       "in linux.seccomp, we would not",
                                       path, *k);
        return 0;
}

static int check_each(const jv *arr, const char *path, const char *const *fields, const char *const *sub_fields,
                      const char *sub_key, osl_error *err)
{
        char where[256];
        for (size_t i = 0; i < jv_arr_len(arr); i++) {
                const jv *item = jv_arr_at(arr, i);
                snprintf(where, sizeof(where), "%.200s[%zu]", path, i);
                int r = check_object(item, where, fields, err);
                if (r < 0)
                        return r;
                if (sub_key) {
                        char sub[256];
                        snprintf(sub, sizeof(sub), "%.200s.%.40s", where, sub_key);
                        r = check_each(jv_obj_get(item, sub_key), sub, sub_fields, NULL, NULL, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int osl_config_check_unambiguous(const jv *cfg, osl_error *err)
{
        const jv *process = jv_obj_get(cfg, "process"), *linux_ = jv_obj_get(cfg, "linux");
        const jv *seccomp = jv_obj_get(linux_, "seccomp"), *hooks = jv_obj_get(cfg, "hooks");
        int r;

        if ((r = check_object(cfg, "(top level)", root_fields, err)) < 0 ||
            (r = check_object(process, "process", process_fields, err)) < 0 ||
            (r = check_object(jv_obj_get(process, "user"), "process.user", user_fields, err)) < 0 ||
            (r = check_object(jv_obj_get(process, "capabilities"), "process.capabilities", capability_fields, err)) < 0 ||
            (r = check_object(linux_, "linux", linux_fields, err)) < 0 ||
            (r = check_object(seccomp, "linux.seccomp", seccomp_fields, err)) < 0 ||
            (r = check_docker_keys(seccomp, "linux.seccomp", docker_seccomp_keys, err)) < 0 ||
            (r = check_each(jv_obj_get(seccomp, "syscalls"), "linux.seccomp.syscalls", syscall_fields, arg_fields,
                            "args", err)) < 0 ||
            (r = check_object(jv_obj_get(cfg, "annotations"), "annotations", no_fields, err)) < 0 ||
            (r = check_object(hooks, "hooks", hooks_fields, err)) < 0)
                return r;
        for (size_t i = 0; i < jv_arr_len(jv_obj_get(seccomp, "syscalls")); i++) {
                char path[64];
                snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu]", i);
                if ((r = check_docker_keys(jv_arr_at(jv_obj_get(seccomp, "syscalls"), i), path, docker_syscall_keys,
                                           err)) < 0)
                        return r;
        }
        for (const char *const *stage = hooks_fields; *stage; stage++) {
                char path[64];
                snprintf(path, sizeof(path), "hooks.%s", *stage);
                if ((r = check_each(jv_obj_get(hooks, *stage), path, hook_fields, NULL, NULL, err)) < 0)
                        return r;
        }
        return 0;
}

int osl_config_parse(const char *buf, size_t len, const char *what, jv **out, osl_error *err)
{
        _cleanup_jv_ jv *cfg = NULL;
        int r = jv_parse_flags(buf, len, what, JV_PARSE_KEEP_INVALID_UTF8, &cfg, err);
        if (r < 0)
                return r;
        if (cfg->type != JV_OBJECT)
                return osl_err(err, -EINVAL, "%s: an OCI config must be a JSON object, not %s", what,
                               jv_type_name(cfg->type));
        *out = TAKE_PTR(cfg);
        return 0;
}

int osl_config_load(const char *path, jv **out, osl_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = osl_read_regular_file(path, OSL_CONFIG_MAX_BYTES, &buf, &len, err);
        if (r < 0)
                return r;
        return osl_config_parse(buf, len, path, out, err);
}

int osl_config_save(const jv *cfg, const char *path, osl_error *err)
{
        struct stat st;
        mode_t mode = 0644;
        if (stat(path, &st) == 0)
                mode = st.st_mode & 07777;
        return jv_write_file_atomic(cfg, path, mode, err);
}

const char *osl_config_annotation(const jv *cfg, const char *key)
{
        return jv_str(jv_get_path(cfg, "annotations", key, NULL));
}

int osl_config_set_annotation(jv *cfg, const char *key, const char *value, osl_error *err)
{
        jv *ann = jv_obj_ensure_object(cfg, "annotations");
        if (!ann)
                return osl_err(err, -EINVAL, "config: \"annotations\" is not an object");
        if (jv_obj_set(ann, key, jv_new_string(value)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_config_get_seccomp(const jv *cfg, osl_seccomp **out, osl_error *err)
{
        jv *linux_ = jv_obj_get(cfg, "linux");
        jv *sec = jv_obj_get(linux_, "seccomp");
        *out = NULL;
        if (linux_ && linux_->type != JV_OBJECT)
                return osl_err(err, -EINVAL, "config: \"linux\" must be an object, not %s", jv_type_name(linux_->type));
        if (!sec || sec->type == JV_NULL)
                return 0;
        int r = osl_seccomp_from_jv(sec, out, err);
        if (r < 0)
                return osl_err_prefix(err, "config linux.seccomp");
        return 0;
}

int osl_config_set_seccomp(jv *cfg, const osl_seccomp *s, osl_error *err)
{
        jv *linux_ = jv_obj_ensure_object(cfg, "linux");
        if (!linux_)
                return osl_err(err, -EINVAL, "config: \"linux\" is not an object");
        if (!s) {
                jv_obj_remove(linux_, "seccomp");
                return 0;
        }
        jv *v = NULL;
        int r = osl_seccomp_to_jv(s, OSL_SECCOMP_OCI, &v, err);
        if (r < 0)
                return r;
        if (jv_obj_set(linux_, "seccomp", v) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

bool osl_config_no_new_privileges(const jv *cfg)
{
        bool nnp = false;
        jv_get_bool(jv_get_path(cfg, "process", "noNewPrivileges", NULL), &nnp);
        return nnp;
}

static bool hook_matches(const jv *hook, const char *path, char *const *args)
{
        const jv *hargs = jv_obj_get(hook, "args");
        const char *hpath = jv_str(jv_obj_get(hook, "path"));
        size_t n = osl_strv_length(args), hn = jv_arr_len(hargs);
        if (!hpath || strcmp(hpath, path) != 0)
                return false;
        if (n == 0 || hn == 0)
                return n == hn;
        const char *last = jv_str(jv_arr_at(hargs, hn - 1));
        return last && strcmp(last, args[n - 1]) == 0;
}

int osl_config_add_hook(jv *cfg, const char *stage, const char *path, char *const *args, int timeout_sec,
                        osl_error *err)
{
        jv *hooks = jv_obj_ensure_object(cfg, "hooks");
        if (!hooks)
                return osl_err(err, -EINVAL, "config: \"hooks\" is not an object");
        jv *list = jv_obj_get(hooks, stage);
        if (!list) {
                if (jv_obj_set(hooks, stage, jv_new_array()) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                list = jv_obj_get(hooks, stage);
        }
        if (list->type != JV_ARRAY)
                return osl_err(err, -EINVAL, "config: hooks.%s is not an array", stage);
        for (size_t i = 0; i < jv_arr_len(list); i++)
                if (hook_matches(jv_arr_at(list, i), path, args))
                        return 0;

        _cleanup_jv_ jv *hook = jv_new_object();
        _cleanup_jv_ jv *jargs = jv_new_array();
        if (!hook || !jargs || jv_obj_set(hook, "path", jv_new_string(path)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        for (char *const *a = args; a && *a; a++)
                if (jv_arr_append(jargs, jv_new_string(*a)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        if (jv_obj_set(hook, "args", TAKE_PTR(jargs)) < 0 ||
            (timeout_sec > 0 && jv_obj_set(hook, "timeout", jv_new_int(timeout_sec)) < 0) ||
            jv_arr_append(list, TAKE_PTR(hook)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

void osl_state_clear(osl_state *st)
{
        free(st->id);
        free(st->status);
        free(st->bundle);
        jv_free(st->annotations);
        *st = (osl_state){};
}

int osl_state_from_jv(const jv *v, osl_state *out, osl_error *err)
{
        const char *id = jv_str(jv_obj_get(v, "id"));
        const jv *ann = jv_obj_get(v, "annotations");
        int64_t pid = 0;

        if (!jv_is(v, JV_OBJECT))
                return osl_err(err, -EINVAL, "container state must be a JSON object");
        if (!id)
                return osl_err(err, -EINVAL, "container state has no string \"id\"");
        if (!osl_container_id_valid(id))
                return osl_err(err, -EINVAL, "container id \"%.64s\" is not a safe name", id);
        if (jv_obj_get(v, "pid") && !jv_get_int64(jv_obj_get(v, "pid"), &pid))
                return osl_err(err, -EINVAL, "container state: \"pid\" must be an integer");
        if (ann && ann->type != JV_OBJECT)
                return osl_err(err, -EINVAL, "container state: \"annotations\" must be an object");

        osl_state st = {
                .id = strdup(id),
                .status = osl_strdup(jv_str(jv_obj_get(v, "status"))),
                .pid = (int) pid,
                .bundle = osl_strdup(jv_str(jv_obj_get(v, "bundle"))),
                .annotations = ann ? jv_dup(ann) : NULL,
        };
        if (!st.id || (ann && !st.annotations)) {
                osl_state_clear(&st);
                return osl_err(err, -ENOMEM, "out of memory");
        }
        *out = st;
        return 0;
}

int osl_state_read_fd(int fd, osl_state *out, osl_error *err)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_jv_ jv *v = NULL;
        size_t len;
        int r = osl_read_fd(fd, "the container state on stdin", 1024 * 1024, &buf, &len, err);
        if (r < 0)
                return r;
        r = jv_parse(buf, len, "the container state on stdin", &v, err);
        if (r < 0)
                return r;
        return osl_state_from_jv(v, out, err);
}

static bool cap_kept(const char *name, const int *keep, size_t n_keep)
{
        int cap;
        if (!name || osl_cap_from_name(name, &cap) < 0)
                return false;
        for (size_t i = 0; i < n_keep; i++)
                if (keep[i] == cap)
                        return true;
        return false;
}

int osl_config_restrict_capabilities(jv *cfg, const int *keep, size_t n_keep, char ***removed, osl_error *err)
{
        static const char *const sets[] = { "bounding", "effective", "permitted", "inheritable", "ambient" };
        _cleanup_strv_ char **gone = NULL;
        size_t n_gone = 0;
        jv *caps = jv_get_path(cfg, "process", "capabilities", NULL);

        if (caps && caps->type != JV_OBJECT)
                return osl_err(err, -EINVAL, "config: process.capabilities must be an object");
        for (size_t s = 0; caps && s < ELEMENTSOF(sets); s++) {
                jv *list = jv_obj_get(caps, sets[s]);
                if (!list || list->type == JV_NULL)
                        continue;
                if (list->type != JV_ARRAY)
                        return osl_err(err, -EINVAL, "config: process.capabilities.%s must be an array", sets[s]);
                size_t j = 0;
                for (size_t i = 0; i < list->u.array.len; i++) {
                        jv *item = list->u.array.items[i];
                        const char *name = jv_str(item);
                        if (cap_kept(name, keep, n_keep)) {
                                list->u.array.items[j++] = item;
                                continue;
                        }
                        if (name && !osl_strv_contains(gone, name) && osl_strv_push(&gone, &n_gone, name) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                        jv_free(item);
                }
                list->u.array.len = j;
        }
        if (removed)
                *removed = TAKE_PTR(gone);
        return 0;
}
