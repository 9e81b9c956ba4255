/* SPDX-License-Identifier: Apache-2.0 */
#include "inject.h"

#include <string.h>
#include <sys/stat.h>

#include "agent.h"
#include "caps.h"
#include "image.h"
#include "learn_filter.h"
#include "predict.h"
#include "oci_config.h"
#include "rundir.h"
#include "sha256.h"
#include "store.h"

static void warn(osl_inject_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(osl_inject_result *res, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(res->warning, sizeof(res->warning), fmt, ap);
        va_end(ap);
}

/* --method, else the annotation, else log for complain when a collector
 * runs, else notify. */
static int resolve_method(const jv *cfg, const osl_inject_options *opts, osl_mode mode, bool *log, osl_error *err)
{
        const char *s = opts->method ? opts->method : osl_config_annotation(cfg, OSL_ANNOTATION_METHOD);
        /* Unasked, complain keeps the agent out of the container's syscall
         * path whenever the agent's collector can read what the kernel logs
         * (doc/modes.md); learn notifies. */
        *log = !s && mode == OSL_MODE_COMPLAIN && osl_log_collector_running(opts->run_dir);
        if (s && osl_method_parse(s, log) < 0)
                return osl_err(err, -EINVAL, "%s: unknown method \"%.64s\" (expected notify or log)",
                               opts->method ? "--method" : "annotation " OSL_ANNOTATION_METHOD, s);
        return 0;
}

static int resolve_mode(const jv *cfg, const osl_inject_options *opts, osl_mode *mode, osl_error *err)
{
        const char *s, *from;
        if (osl_mode_resolve(opts->mode, osl_config_annotation(cfg, OSL_ANNOTATION_MODE), opts->default_mode, mode, &s,
                             &from) < 0)
                return osl_err(err, -EINVAL, "%s: unknown mode \"%.64s\" (expected learn, complain, enforce or off)",
                               from, s);
        return 0;
}

/* The hooks that register a container and merge what it was seen to do.
 * The store and run dir are passed explicitly: runc runs hooks with its own
 * environment, which need not be ours. */
static int add_hooks(jv *cfg, const osl_inject_options *opts, osl_error *err)
{
        static const char *const stages[] = { "prestart", "poststop" };
        const char *store = opts->store_root ? opts->store_root : getenv(OSL_STORE_ENV);
        if (!store || !*store)
                store = OSL_DEFAULT_STORE;
        for (size_t i = 0; i < ELEMENTSOF(stages); i++) {
                char *args[] = {
                        (char *) "oci-seccomp-learn", (char *) "--store", (char *) store, (char *) "--run-dir",
                        (char *) osl_rundir(opts->run_dir), (char *) stages[i], NULL,
                };
                int r = osl_config_add_hook(cfg, stages[i], opts->hook_binary, args, i == 0 ? 10 : 30, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int load_learned(const osl_inject_options *opts, const char *key, uint32_t version, osl_learned **out,
                        osl_error *err)
{
        _cleanup_store_ osl_store *store = NULL;
        *out = NULL;
        int r = osl_store_open(opts->store_root, false, &store, err);
        if (r < 0)
                return r;
        return osl_store_load(store, key, version, out, err);
}

static int inject_learn(jv *cfg, const osl_inject_options *opts, const osl_image *img, osl_inject_result *res,
                        osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *base = NULL, *filter = NULL;
        _cleanup_learned_ osl_learned *learned = NULL;
        _cleanup_free_ char *socket = NULL, *metadata = NULL;
        osl_error soft = {};
        int r;

        r = osl_config_get_seccomp(cfg, &base, err);
        if (r < 0)
                return r;
        if (osl_agent_socket_path(opts->run_dir, &socket) < 0)
                return osl_err(err, -ENOMEM, "out of memory");

        /* A notify filter nobody listens to makes runc hang forever. */
        if (osl_agent_probe(socket, &soft) < 0) {
                warn(res, "learning is off for this container: %s", soft.msg);
                return 0;
        }
        r = load_learned(opts, img->key, 0, &learned, &soft);
        if (r < 0 && r != -ENOENT) {
                warn(res, "learning is off for this container: %s", soft.msg);
                return 0;
        }
        if (learned)
                res->version = learned->version;
        r = osl_agent_metadata_format(img, OSL_MODE_NAME_LEARN, &metadata, err);
        if (r < 0)
                return r;
        /* The records are read by the agent's collector, if it runs. */
        bool collector = osl_log_collector_running(opts->run_dir);
        if (res->log_method && !collector) {
                warn(res, "the agent cannot read SECCOMP_RET_LOG records (no audit collector runs): learning "
                          "through notify instead of log");
                res->log_method = false;
        }
        osl_learn_filter_input in = {
                .base = base,
                .learned = learned,
                .listener_path = socket,
                .listener_metadata = metadata,
                .log = res->log_method,
                .log_write = collector,
        };
        r = osl_learn_filter_build(&in, &filter, &res->notified, &soft);
        if (r < 0) {
                warn(res, "learning is off for this container: %s", soft.msg);
                return 0;
        }
        r = osl_config_set_seccomp(cfg, filter, err);
        if (r < 0)
                return r;
        res->learning = true;
        res->changed = true;
        return 0;
}

static int pinned_version(const jv *cfg, uint32_t *version, osl_error *err)
{
        const char *s = osl_config_annotation(cfg, OSL_ANNOTATION_VERSION);
        char *end;
        *version = 0;
        if (!s)
                return 0;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v == 0 || v > UINT32_MAX || s[0] == '-' || s[0] == '+')
                return osl_err(err, -EINVAL, "annotation %s: \"%.32s\" is not a version number", OSL_ANNOTATION_VERSION, s);
        *version = (uint32_t) v;
        return 0;
}

/* The capabilities enforce keeps: the learned ones, and those named in the
 * annotation io.seccomp-learn.keep-capabilities (comma-separated), for what
 * no syscall argument shows (doc/capabilities.md). */
static int kept_capabilities(const jv *cfg, const osl_learned *learned, int **out, size_t *n, osl_error *err)
{
        const char *extra = osl_config_annotation(cfg, OSL_ANNOTATION_KEEP_CAPS);
        _cleanup_free_ int *caps = calloc(learned->n_capabilities + (extra ? strlen(extra) : 0) + 1, sizeof(int));
        _cleanup_free_ char *copy = osl_strdup(extra);
        size_t count = 0;

        if (!caps || (extra && !copy))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < learned->n_capabilities; i++)
                if (osl_cap_from_name(learned->capabilities[i].name, &caps[count]) == 0)
                        count++;
        char *save = NULL;
        for (char *tok = copy ? strtok_r(copy, ", ", &save) : NULL; tok; tok = strtok_r(NULL, ", ", &save)) {
                if (osl_cap_from_name(tok, &caps[count]) < 0)
                        return osl_err(err, -EINVAL, "annotation %s: \"%.64s\" is not a capability",
                                       OSL_ANNOTATION_KEEP_CAPS, tok);
                count++;
        }
        *out = TAKE_PTR(caps);
        *n = count;
        return 0;
}

static int restrict_capabilities(jv *cfg, const osl_learned *learned, osl_inject_result *res, osl_error *err)
{
        _cleanup_free_ int *keep = NULL;
        _cleanup_strv_ char **removed = NULL;
        size_t n_keep = 0;
        int r = kept_capabilities(cfg, learned, &keep, &n_keep, err);
        if (r < 0)
                return r;
        r = osl_config_restrict_capabilities(cfg, keep, n_keep, &removed, err);
        if (r < 0)
                return r;
        res->capabilities_removed = osl_strv_length(removed);
        return 0;
}

/* --include predicted: the image's predicted set, or NULL with a warning
 * when none is stored (enforce then allows what was observed). */
static int predicted_names(const osl_inject_options *opts, const jv *cfg, const osl_image *img, char ***out,
                           osl_inject_result *res, osl_error *err)
{
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_jv_ jv *doc = NULL;
        _cleanup_strv_ char **names = NULL;
        size_t n = 0;
        const char *include = opts->include ? opts->include : osl_config_annotation(cfg, OSL_ANNOTATION_INCLUDE);

        *out = NULL;
        if (!include || strcmp(include, "observed") == 0)
                return 0;
        if (strcmp(include, "predicted") != 0)
                return osl_err(err, -EINVAL, "%s \"%.32s\" is not observed or predicted",
                               opts->include ? "--include" : "annotation " OSL_ANNOTATION_INCLUDE, include);
        int r = osl_store_open(opts->store_root, false, &store, err);
        if (r >= 0)
                r = osl_predicted_load(store, img->key, &doc, err);
        if (r == -ENOENT) {
                warn(res, "--include predicted: %s; only what was observed is allowed", err->msg);
                *err = (osl_error){};
                return 0;
        }
        if (r < 0)
                return r;
        const jv *list = jv_obj_get(doc, "predicted");
        for (size_t i = 0; i < jv_arr_len(list); i++) {
                const char *name = jv_str(jv_arr_at(list, i));
                if (name && osl_strv_push(&names, &n, name) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        *out = TAKE_PTR(names);
        return 0;
}

/* complain and enforce: the container's own profile ∩ the stored one
 * (learn_filter.h). complain reports the calls outside the profile to the
 * agent (allowed and recorded), or has the kernel log them when no agent
 * listens or the container hands notifications to its own agent. */
static int apply_profile_filter(jv *cfg, const osl_inject_options *opts, const osl_image *img, osl_mode mode,
                                const osl_learned *learned, osl_inject_result *res, osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *base = NULL, *filter = NULL;
        _cleanup_free_ char *socket = NULL, *metadata = NULL;
        _cleanup_strv_ char **predicted = NULL;
        osl_profile_filter_input in = { .learned = learned };
        osl_error soft = {};
        int r = osl_config_get_seccomp(cfg, &base, err);
        if (r < 0)
                return r;
        in.base = base;
        const char *generalize = opts->generalize ? opts->generalize : osl_config_annotation(cfg, OSL_ANNOTATION_GENERALIZE);
        if (generalize && osl_generalize_parse(generalize, &in.generalize) < 0)
                return osl_err(err, -EINVAL, "%s mode: %s \"%.32s\" is not families or none", osl_mode_name(mode),
                               opts->generalize ? "--generalize" : "annotation " OSL_ANNOTATION_GENERALIZE, generalize);
        if ((r = predicted_names(opts, cfg, img, &predicted, res, err)) < 0)
                return osl_err_prefix(err, "%s mode", osl_mode_name(mode));
        in.predicted = predicted;

        if (mode == OSL_MODE_ENFORCE) {
                in.outside_action = opts->enforce_default_action ? opts->enforce_default_action : "SCMP_ACT_ERRNO";
                in.outside_errno = EPERM;
        } else if (res->log_method) {
                /* No agent in the syscall path: the kernel logs, the
                 * agent's collector (if any) attributes (doc/modes.md). */
                in.outside_action = "SCMP_ACT_LOG";
                if (!osl_log_collector_running(opts->run_dir))
                        warn(res, "complain mode through the log method, but no agent reads SECCOMP_RET_LOG records: "
                                  "calls outside the profile are only logged by the kernel, no drift is recorded");
        } else if (base && base->listener_path) {
                in.outside_action = "SCMP_ACT_LOG";
                warn(res, "complain mode: the container hands its notifications to %s, so calls outside the profile "
                          "are only logged by the kernel", base->listener_path);
        } else {
                if (osl_agent_socket_path(opts->run_dir, &socket) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if (osl_agent_probe(socket, &soft) == 0) {
                        r = osl_agent_metadata_format(img, OSL_MODE_NAME_COMPLAIN, &metadata, err);
                        if (r < 0)
                                return r;
                        in.outside_action = "SCMP_ACT_NOTIFY";
                        in.listener_path = socket;
                        in.listener_metadata = metadata;
                        res->learning = true;
                } else {
                        in.outside_action = "SCMP_ACT_LOG";
                        warn(res, "complain mode without the agent: calls outside the profile are only logged by the "
                                  "kernel (%s)", soft.msg);
                }
        }
        r = osl_profile_filter_build(&in, &filter, &res->notified, err);
        if (r < 0)
                return osl_err_prefix(err, "%s mode", osl_mode_name(mode));
        return osl_config_set_seccomp(cfg, filter, err);
}

/* complain and enforce: the stored profile, within the container's own. */
static int inject_profile(jv *cfg, const osl_inject_options *opts, const osl_image *img, osl_mode mode,
                          osl_inject_result *res, osl_error *err)
{
        _cleanup_learned_ osl_learned *learned = NULL;
        uint32_t version;
        int r = pinned_version(cfg, &version, err);
        if (r < 0)
                return r;
        r = load_learned(opts, img->key, version, &learned, err);
        if (r == -ENOENT && version == 0 && opts->missing_profile_runs) {
                warn(res, "%s mode, but %s; the container runs with its own seccomp profile", osl_mode_name(mode),
                     err->msg);
                *err = (osl_error){};
                return 0;
        }
        if (r < 0)
                return osl_err_prefix(err, "%s mode", osl_mode_name(mode));
        res->version = learned->version;
        res->changed = true;
        /* The hooks learn from this which version the container ran under
         * (complain mode reports drift against it). */
        char version_text[16];
        snprintf(version_text, sizeof(version_text), "%u", learned->version);
        r = osl_config_set_annotation(cfg, OSL_ANNOTATION_APPLIED_VERSION, version_text, err);
        if (r < 0)
                return r;
        r = apply_profile_filter(cfg, opts, img, mode, learned, res, err);
        if (r < 0 || mode == OSL_MODE_COMPLAIN)
                return r;
        return restrict_capabilities(cfg, learned, res, err);
}

static bool is_sandbox(const jv *cfg)
{
        static const char *const keys[] = { "io.kubernetes.cri.container-type", "io.kubernetes.cri-o.ContainerType" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *v = osl_config_annotation(cfg, keys[i]);
                if (v && strcmp(v, "sandbox") == 0)
                        return true;
        }
        return false;
}

/* The strictest mode any reading of the config selects: with the mode
 * annotation twice, the runtime hands the hooks the last one and we would
 * read the first (osl_mode: from the least to the most strict). */
static osl_mode strictest_mode(const jv *cfg, const osl_inject_options *opts)
{
        const jv *ann = jv_obj_get(cfg, "annotations");
        osl_mode strictest = OSL_MODE_OFF, m;
        bool found = false;

        if (opts->mode && osl_mode_parse(opts->mode, &m) == 0)
                return m;
        for (size_t i = 0; jv_is(ann, JV_OBJECT) && i < ann->u.object.len; i++) {
                if (strcmp(ann->u.object.keys[i], OSL_ANNOTATION_MODE) != 0)
                        continue;
                /* A value that is no mode could be anything: assume the worst. */
                m = OSL_MODE_ENFORCE;
                (void) osl_mode_parse(jv_str(ann->u.object.values[i]), &m);
                if (m > strictest)
                        strictest = m;
                found = true;
        }
        if (!found && opts->default_mode)
                (void) osl_mode_parse(opts->default_mode, &strictest);
        return strictest;
}

int osl_inject(jv *cfg, const osl_inject_options *opts, osl_inject_result *res, osl_error *err)
{
        osl_image img = {};
        osl_error soft = {};
        int r;

        *res = (osl_inject_result){};
        /* A config that runc could read differently from us: enforce and
         * complain refuse it, learning leaves it alone (doc/security.md). */
        if (osl_config_check_unambiguous(cfg, &soft) < 0) {
                res->mode = strictest_mode(cfg, opts);
                if (res->mode == OSL_MODE_LEARN)
                        warn(res, "learning is off for this container: %s", soft.msg);
                if (res->mode <= OSL_MODE_LEARN)
                        return 0;
                *err = soft;
                return osl_err_prefix(err, "%s mode refuses the config", osl_mode_name(res->mode));
        }
        r = resolve_mode(cfg, opts, &res->mode, err);
        if (r < 0)
                return r;
        if ((r = resolve_method(cfg, opts, res->mode, &res->log_method, &soft)) < 0) {
                if (res->mode > OSL_MODE_LEARN) {
                        *err = soft;
                        return r;
                }
                /* learn mode never stops a container: notify. */
                warn(res, "%s; learning through notify", soft.msg);
        }
        /* A Kubernetes pod's sandbox (pause) container carries the pod's
         * annotations but is not the application: leave it alone. */
        if (res->mode != OSL_MODE_OFF && is_sandbox(cfg)) {
                warn(res, "%s mode not applied: the config is a pod's sandbox (pause) container, which is left alone",
                     osl_mode_name(res->mode));
                res->mode = OSL_MODE_OFF;
        }
        if (res->mode == OSL_MODE_OFF)
                return 0;

        r = osl_image_resolve_config(cfg, opts->bundle, opts->trust_image_annotation, &img, &soft);
        /* Neither the engine nor the annotation names it: the node admin's
         * default, if any. */
        bool default_image = r == -ENOENT && opts->default_image && *opts->default_image;
        if (default_image) {
                osl_image_clear(&img);
                r = osl_image_parse_ref(opts->default_image, &img, &soft);
                if (r < 0)
                        osl_err_prefix(&soft, "the default image");
                img.source = "the default image";
        }
        if (r < 0) {
                if (res->mode == OSL_MODE_LEARN) {
                        warn(res, "learning is off for this container: %s", soft.msg);
                        return 0;
                }
                *err = soft;
                return r;
        }
        snprintf(res->image_key, sizeof(res->image_key), "%s", img.key);
        if (img.annotation_ignored)
                warn(res, "the annotation %s is ignored: the engine says the image is %s (%s)", OSL_ANNOTATION_IMAGE,
                     img.key, img.source);

        if (res->mode == OSL_MODE_LEARN)
                r = inject_learn(cfg, opts, &img, res, err);
        else
                r = inject_profile(cfg, opts, &img, res->mode, res, err);
        /* The hooks read the mode from the config: when it came from --mode
         * or a default, write it down. */
        if (r >= 0 && res->changed) {
                const char *written = osl_config_annotation(cfg, OSL_ANNOTATION_MODE);
                if (!written || strcmp(written, osl_mode_name(res->mode)) != 0)
                        r = osl_config_set_annotation(cfg, OSL_ANNOTATION_MODE, osl_mode_name(res->mode), err);
        }
        /* The method, for the hooks and the agent. */
        if (r >= 0 && res->changed && res->mode != OSL_MODE_ENFORCE) {
                const char *written = osl_config_annotation(cfg, OSL_ANNOTATION_METHOD);
                const char *method = res->log_method ? OSL_METHOD_NAME_LOG : OSL_METHOD_NAME_NOTIFY;
                if ((res->log_method || written) && (!written || strcmp(written, method) != 0))
                        r = osl_config_set_annotation(cfg, OSL_ANNOTATION_METHOD, method, err);
        }
        /* And the default image, for the hooks and the agent. */
        if (r >= 0 && res->changed && default_image)
                r = osl_config_set_annotation(cfg, OSL_ANNOTATION_IMAGE, opts->default_image, err);
        if (r >= 0 && opts->hook_binary && res->mode != OSL_MODE_ENFORCE &&
            (res->learning || res->mode == OSL_MODE_COMPLAIN)) {
                r = add_hooks(cfg, opts, err);
                res->changed = true;
        }
        osl_image_clear(&img);
        return r;
}

/* ---- a bundle on disk ---- */

/* Beside a config.json we rewrote: the digest of what we wrote and the
 * config as it was before, so that a bundle run again is rebuilt from its
 * own config rather than from our filter (which would look like another
 * agent's). Trusted only while config.json is byte for byte what we wrote:
 * whoever can change the bundle can change the config anyway. */
#define BUNDLE_RECORD ".oci-seccomp-learn.json"

/* The config recorded before our last rewrite. 0: no record (or not ours);
 * 1: config.json is what we wrote; 2: config.json was changed since. */
static int read_record_original(const char *record_path, const char *config_text, size_t config_len, char **original,
                                size_t *original_len)
{
        _cleanup_free_ char *buf = NULL;
        _cleanup_jv_ jv *record = NULL;
        char digest[OSL_SHA256_HEX_SIZE];
        osl_error ignored = {};
        size_t len;

        *original = NULL;
        if (osl_read_regular_file(record_path, 2 * OSL_CONFIG_MAX_BYTES + 4096, &buf, &len, &ignored) < 0 ||
            jv_parse_flags(buf, len, record_path, JV_PARSE_KEEP_INVALID_UTF8, &record, &ignored) < 0)
                return 0; /* no record, or not ours: the config is the original */
        const char *written = jv_str(jv_obj_get(record, "configSha256"));
        const jv *before = jv_obj_get(record, "original");
        if (!written || !jv_is(before, JV_STRING))
                return 0;
        *original = malloc(before->u.string.len + 1);
        if (!*original)
                return -ENOMEM;
        memcpy(*original, before->u.string.s, before->u.string.len + 1);
        *original_len = before->u.string.len;
        osl_sha256_hex(config_text, config_len, digest);
        return strcmp(written, digest) == 0 ? 1 : 2;
}

/* A config we rewrote and someone edited since (runc's own tests edit a
 * bundle with jq between two runs): their edits stay, but a seccomp profile
 * that hands notifications to our agent is the filter we put in, not the
 * container's. It goes back to what the recorded config had, so the mode is
 * applied afresh (and mode off runs the container's own profile). 1 when
 * cfg was changed. */
static int restore_own_seccomp(jv *cfg, const char *recorded, size_t recorded_len, const osl_inject_options *opts,
                               osl_error *err)
{
        _cleanup_free_ char *socket = NULL;
        _cleanup_jv_ jv *before = NULL;
        osl_error ignored = {};
        const char *listener = jv_str(jv_get_path(cfg, "linux", "seccomp", "listenerPath", NULL));

        if (!listener || osl_config_check_unambiguous(cfg, &ignored) < 0)
                return 0;
        if (osl_agent_socket_path(opts->run_dir, &socket) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (strcmp(listener, socket) != 0 ||
            osl_config_parse(recorded, recorded_len, "the recorded config", &before, &ignored) < 0)
                return 0;
        jv *linux_section = jv_obj_get(cfg, "linux");
        const jv *seccomp = jv_get_path(before, "linux", "seccomp", NULL);
        if (!seccomp) {
                jv_obj_remove(linux_section, "seccomp");
                return 1;
        }
        if (jv_obj_set(linux_section, "seccomp", jv_dup(seccomp)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 1;
}

static int write_bundle(const char *config_path, const char *record_path, const char *config_text, size_t config_len,
                        const char *original, size_t original_len, mode_t mode, osl_error *err)
{
        _cleanup_jv_ jv *record = jv_new_object();
        _cleanup_free_ char *record_text = NULL;
        char digest[OSL_SHA256_HEX_SIZE];
        size_t record_len;
        int r;

        osl_sha256_hex(config_text, config_len, digest);
        if (!record || jv_obj_set(record, "configSha256", jv_new_string(digest)) < 0 ||
            jv_obj_set(record, "original", jv_new_string_len(original, original_len)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        /* The record first: should we die before the config is written, the
         * digest does not match and the config is taken as the original. */
        if ((r = jv_serialize(record, false, &record_text, &record_len, err)) < 0 ||
            (r = osl_write_file_atomic(record_path, record_text, record_len, 0600, err)) < 0)
                return r;
        return osl_write_file_atomic(config_path, config_text, config_len, mode, err);
}

int osl_inject_bundle_config(const char *bundle, const osl_inject_options *opts, osl_inject_result *res,
                             osl_error *err)
{
        _cleanup_free_ char *config_path = NULL, *record_path = NULL, *text = NULL, *original = NULL, *out = NULL,
                            *recorded = NULL;
        _cleanup_jv_ jv *cfg = NULL;
        size_t len, original_len = 0, out_len = 0, recorded_len = 0;
        struct stat st;
        int r;

        *res = (osl_inject_result){};
        if (osl_asprintf(&config_path, "%s/config.json", bundle) < 0 ||
            osl_asprintf(&record_path, "%s/" BUNDLE_RECORD, bundle) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        r = osl_read_regular_file(config_path, OSL_CONFIG_MAX_BYTES, &text, &len, err);
        if (r < 0)
                return r;
        r = read_record_original(record_path, text, len, &original, &original_len);
        if (r < 0)
                return osl_err(err, r, "out of memory");
        bool rebuilt = r == 1, edited = r == 2;
        if (!rebuilt) {
                recorded = original; /* edited: what we had recorded */
                recorded_len = original_len;
                original = TAKE_PTR(text);
                original_len = len;
        }
        r = osl_config_parse(original, original_len, config_path, &cfg, err);
        if (r < 0)
                return r;
        if (edited) {
                r = restore_own_seccomp(cfg, recorded, recorded_len, opts, err);
                if (r < 0)
                        return r;
                /* The edited config without our filter is the original now. */
                if (r > 0) {
                        free(original);
                        original = NULL;
                        r = jv_serialize(cfg, true, &original, &original_len, err);
                        if (r < 0)
                                return r;
                        rebuilt = true;
                }
        }
        r = osl_inject(cfg, opts, res, err);
        if (r < 0)
                return r;
        mode_t mode = stat(config_path, &st) == 0 ? st.st_mode & 07777 : 0644;
        if (!res->changed) {
                /* A bundle we had rewritten, now off or not learning: its
                 * own config again. */
                if (!rebuilt)
                        return 0;
                r = osl_write_file_atomic(config_path, original, original_len, mode, err);
                if (r >= 0)
                        (void) unlink(record_path);
                return r;
        }
        r = jv_serialize(cfg, true, &out, &out_len, err);
        if (r < 0)
                return r;
        return write_bundle(config_path, record_path, out, out_len, original, original_len, mode, err);
}
