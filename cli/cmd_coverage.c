/* SPDX-License-Identifier: Apache-2.0 */
/* profile predict | coverage | check (doc/prediction.md, doc/ci.md): the
 * syscalls an image's programs can make by their imports, what the learning
 * runs never exercised of them, and a CI gate against an approved version.
 * The analysis is lib/predict.c's; this parses options and prints. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "commands.h"
#include "image.h"
#include "predict.h"
#include "store.h"
#include "syscalls.h"

const char cmd_profile_predict_help[] =
        "Usage: oci-seccomp-learn profile predict IMAGE --rootfs DIR PROGRAM [PROGRAM...] [--json]\n"
        "\n"
        "Predicts the syscalls of IMAGE's programs from its root filesystem DIR (a runc\n"
        "bundle's rootfs, podman's merged directory): for each PROGRAM (its path inside\n"
        "the image; the first is the entrypoint, then every program the application\n"
        "runs: profiles do not record which programs ran, so they are named here)\n"
        "and each shared object it loads, found inside DIR as the dynamic loader\n"
        "would, the functions it imports from the image's own C library (glibc or\n"
        "musl), and the syscalls each can make, found by disassembling that library.\n"
        "The result is stored as predicted.json beside IMAGE's profile. A static,\n"
        "non-C or non-x86_64 program is listed as not analysed, never guessed.\n"
        "When IMAGE names a digest and the stored prediction was made for the same\n"
        "digest and programs, it is kept. The C library's analysis is cached by its\n"
        "build-id in STORE/cache/libc.\n"
        "\n"
        "  --rootfs DIR   the image's root filesystem\n"
        "  --json         print the stored document (schema/predicted.schema.json)\n"
        "\n"
        "Exit codes: 0; 1 failure; 2 bad usage.\n";

const char cmd_profile_coverage_help[] =
        "Usage: oci-seccomp-learn profile coverage IMAGE [--json]\n"
        "\n"
        "Lists, per program and library, the predicted syscalls ('profile predict')\n"
        "that IMAGE's current profile never observed, and the imported functions that\n"
        "imply each: what the learning runs did not exercise. Programs that could not\n"
        "be analysed are listed with the reason.\n"
        "\n"
        "  --json   {image, version, predicted, observed, predictedObserved,\n"
        "            unobserved, binaries: [{path, role, analysed, reason, unobserved}]}\n"
        "\n"
        "Exit codes: 0; 1 failure; 2 bad usage; 3 IMAGE has no prediction.\n";

const char cmd_profile_check_help[] =
        "Usage: oci-seccomp-learn profile check IMAGE --approved N [--observation FILE]\n"
        "                                       [--format text|json|junit]\n"
        "\n"
        "A CI gate: compares IMAGE's newest learned version (or the observation FILE of\n"
        "one learning run) with the approved version N, and lists every syscall and\n"
        "capability it needs that version N lacks, with why: when and by which command\n"
        "it was first seen, the version that added it, the capability's evidence, and\n"
        "the imported functions that predict it (when 'profile predict' ran).\n"
        "\n"
        "  --approved N        the version approved for release\n"
        "  --observation FILE  check one observation (schema/observation.schema.json)\n"
        "  --format FORMAT     text (default), json, or junit (JUnit XML for CI reports)\n"
        "\n"
        "Exit codes: 0 nothing new; 1 something new is needed (or a failure: the\n"
        "message says); 2 bad usage; 3 IMAGE or version N is not stored.\n";

#define CMD "profile"
#define USAGE_ERROR(sub, ...) osl_cli_usage_error(CMD, sub, __VA_ARGS__)

enum { OPT_JSON = 0x100, OPT_ROOTFS, OPT_APPROVED, OPT_OBSERVATION, OPT_FORMAT };
enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_JUNIT };

typedef struct cov_options {
        bool json;
        const char *rootfs;
        bool has_approved;
        uint32_t approved;
        const char *observation;
        int format;
        char **args;
        int n_args;
} cov_options;

static int fail(const osl_error *err, int r)
{
        osl_print_error(CMD, err);
        return osl_exit_code(r);
}

static int oom(void)
{
        return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
}

static int parse(const char *sub, int argc, char **argv, const struct option *allowed, cov_options *o)
{
        optind = 0;
        opterr = 0;
        for (;;) {
                int c = getopt_long(argc, argv, ":", allowed, NULL);
                if (c == -1)
                        break;
                switch (c) {
                case OPT_JSON:
                        o->json = true;
                        break;
                case OPT_ROOTFS:
                        if (!*optarg)
                                return USAGE_ERROR(sub, "--rootfs wants a directory");
                        o->rootfs = optarg;
                        break;
                case OPT_APPROVED: {
                        char *end = NULL;
                        errno = 0;
                        unsigned long long v = strtoull(optarg, &end, 10);
                        if (optarg[0] < '0' || optarg[0] > '9' || *end || errno || v == 0 || v > UINT32_MAX)
                                return USAGE_ERROR(sub, "--approved wants a version number (1, 2, ...), not '%s'",
                                                   optarg);
                        o->approved = (uint32_t) v;
                        o->has_approved = true;
                        break;
                }
                case OPT_OBSERVATION:
                        o->observation = optarg;
                        break;
                case OPT_FORMAT:
                        if (strcmp(optarg, "text") == 0)
                                o->format = FORMAT_TEXT;
                        else if (strcmp(optarg, "json") == 0)
                                o->format = FORMAT_JSON;
                        else if (strcmp(optarg, "junit") == 0)
                                o->format = FORMAT_JUNIT;
                        else
                                return USAGE_ERROR(sub, "--format is text, json or junit, not '%s'", optarg);
                        break;
                case ':':
                        return USAGE_ERROR(sub, "option '%s' needs a value", argv[optind - 1]);
                default:
                        return USAGE_ERROR(sub, "unknown option '%s'", argv[optind - 1]);
                }
        }
        o->args = argv + optind;
        o->n_args = argc - optind;
        return 0;
}

/* The image argument: its key, and its digest when it names one. */
static int parse_image(const char *arg, char **key, char **digest, osl_error *err)
{
        osl_image img = {};
        int r = osl_image_parse_ref(arg, &img, err);
        if (r < 0) {
                osl_image_clear(&img);
                return osl_err_prefix(err, "image \"%.200s\"", arg);
        }
        *key = TAKE_PTR(img.key);
        if (digest)
                *digest = TAKE_PTR(img.digest);
        osl_image_clear(&img);
        return 0;
}

/* ---- predict ---- */

int cmd_profile_predict(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "json", no_argument, NULL, OPT_JSON },
                                                 { "rootfs", required_argument, NULL, OPT_ROOTFS },
                                                 {} };
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_free_ char *key = NULL, *digest = NULL, *cache = NULL;
        _cleanup_jv_ jv *doc = NULL;
        cov_options o = {};
        osl_error err = {};
        bool kept = false;
        int r;

        if ((r = parse("predict", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args < 2)
                return USAGE_ERROR("predict", "%s", o.n_args == 0 ? "which IMAGE?" : "which PROGRAM (the entrypoint)?");
        if (!o.rootfs)
                return USAGE_ERROR("predict", "--rootfs DIR is needed");
        if ((r = parse_image(o.args[0], &key, &digest, &err)) < 0) {
                osl_print_error(CMD, &err);
                return EXIT_USAGE;
        }
        if ((r = osl_store_open(g->store, true, &store, &err)) < 0 || (r = osl_predict_cache_dir(store, &cache, &err)) < 0)
                return fail(&err, r);
        char *const *programs = o.args + 1;
        size_t n_programs = (size_t) o.n_args - 1;
        if (digest && osl_predicted_load(store, key, &doc, &(osl_error) {}) == 0 &&
            osl_predicted_matches(doc, digest, programs, n_programs))
                kept = true;
        else {
                jv_free(TAKE_PTR(doc));
                osl_predict_options po = { .rootfs = o.rootfs, .executables = programs, .n_executables = n_programs,
                                           .image_key = key, .digest = digest, .cache_dir = cache };
                if ((r = osl_predict(&po, &doc, &err)) < 0 || (r = osl_predicted_save(store, key, doc, &err)) < 0)
                        return fail(&err, r == -ENOENT ? -EINVAL : r);
        }
        if (o.json)
                return (r = osl_cli_print_json(doc, &err)) < 0 ? fail(&err, r) : EXIT_OK;

        const jv *bins = jv_obj_get(doc, "binaries"), *libcs = jv_obj_get(doc, "libcs");
        printf("%s: %zu syscalls predicted%s\n", key, jv_arr_len(jv_obj_get(doc, "predicted")),
               kept ? " (kept: the stored prediction is of the same digest and programs)" : "");
        for (size_t i = 0; i < jv_arr_len(libcs); i++) {
                const jv *l = jv_arr_at(libcs, i);
                uint64_t fns = 0, sites = 0, resolved = 0;
                bool cached = false;
                jv_get_uint64(jv_obj_get(l, "functions"), &fns);
                jv_get_uint64(jv_obj_get(l, "syscallSites"), &sites);
                jv_get_uint64(jv_obj_get(l, "resolvedSites"), &resolved);
                jv_get_bool(jv_obj_get(l, "cached"), &cached);
                printf("  C library %s (%s): %" PRIu64 " functions, %" PRIu64 " of %" PRIu64
                       " syscall instructions resolved%s\n",
                       jv_str(jv_obj_get(l, "path")), jv_str(jv_obj_get(l, "flavor")), fns, resolved, sites,
                       cached ? " (cached analysis)" : "");
        }
        for (size_t i = 0; i < jv_arr_len(bins); i++) {
                const jv *b = jv_arr_at(bins, i);
                bool analysed = false;
                char q[256];
                jv_get_bool(jv_obj_get(b, "analysed"), &analysed);
                if (analysed)
                        printf("  %-10s %s: %zu syscalls from its imports\n", jv_str(jv_obj_get(b, "role")),
                               jv_str(jv_obj_get(b, "path")), jv_obj_get(b, "syscalls")->u.object.len);
                else
                        printf("  %-10s %s: not analysed: %s\n", jv_str(jv_obj_get(b, "role")),
                               jv_str(jv_obj_get(b, "path")),
                               osl_quote(jv_str(jv_obj_get(b, "reason")), q, sizeof(q)));
        }
        return EXIT_OK;
}

/* ---- coverage ---- */

static bool observed(const osl_learned *l, const char *arch, const char *name)
{
        return l && osl_learned_has_syscall(l, arch, name);
}

/* "a, b, c" of a JSON array of strings. */
static char *join(const jv *arr)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        for (size_t i = 0; i < jv_arr_len(arr); i++)
                fprintf(f, "%s%s", i ? ", " : "", jv_str(jv_arr_at(arr, i)));
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

int cmd_profile_coverage(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "json", no_argument, NULL, OPT_JSON }, {} };
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_free_ char *key = NULL;
        _cleanup_jv_ jv *doc = NULL, *out = jv_new_object();
        cov_options o = {};
        osl_error err = {};
        int r;

        if ((r = parse("coverage", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args != 1)
                return o.n_args == 0 ? USAGE_ERROR("coverage", "which IMAGE?")
                                     : USAGE_ERROR("coverage", "unexpected argument '%s'", o.args[1]);
        if (!out)
                return oom();
        if ((r = parse_image(o.args[0], &key, NULL, &err)) < 0 || (r = osl_store_open(g->store, false, &store, &err)) < 0 ||
            (r = osl_predicted_load(store, key, &doc, &err)) < 0)
                return fail(&err, r);
        /* No learning run yet: everything predicted is unexercised. */
        r = osl_store_load(store, key, 0, &l, &err);
        if (r < 0 && r != -ENOENT)
                return fail(&err, r);

        const char *arch = jv_str(jv_obj_get(doc, "arch"));
        const jv *pred = jv_obj_get(doc, "predicted"), *bins = jv_obj_get(doc, "binaries");
        size_t n_seen = 0;
        for (size_t i = 0; i < jv_arr_len(pred); i++)
                n_seen += observed(l, arch, jv_str(jv_arr_at(pred, i)));
        size_t n_obs_arch = 0;
        for (size_t i = 0; l && i < l->n_syscalls; i++)
                n_obs_arch += arch && strcmp(l->syscalls[i].arch, arch) == 0;

        jv *jbins = jv_new_array();
        if (jv_obj_set(out, "image", jv_new_string(key)) < 0 ||
            jv_obj_set(out, "version", jv_new_uint(l ? l->version : 0)) < 0 ||
            jv_obj_set(out, "predicted", jv_new_uint(jv_arr_len(pred))) < 0 ||
            jv_obj_set(out, "observed", jv_new_uint(n_obs_arch)) < 0 ||
            jv_obj_set(out, "predictedObserved", jv_new_uint(n_seen)) < 0 ||
            jv_obj_set(out, "unobserved", jv_new_uint(jv_arr_len(pred) - n_seen)) < 0 ||
            jv_obj_set(out, "binaries", jbins) < 0)
                return oom();
        if (!o.json) {
                printf("%s: profile version %" PRIu32 ", prediction of %s\n", key, l ? l->version : 0,
                       jv_str(jv_obj_get(doc, "created")));
                printf("%zu syscalls predicted, %zu of them observed, %zu never observed\n\n", jv_arr_len(pred), n_seen,
                       jv_arr_len(pred) - n_seen);
        }
        /* Column widths for the table. */
        int wb = (int) strlen("BINARY"), ws = (int) strlen("SYSCALL");
        for (size_t i = 0; i < jv_arr_len(bins); i++) {
                const jv *sys = jv_obj_get(jv_arr_at(bins, i), "syscalls");
                for (size_t k = 0; k < sys->u.object.len; k++)
                        if (!observed(l, arch, sys->u.object.keys[k])) {
                                int n = (int) strlen(jv_str(jv_obj_get(jv_arr_at(bins, i), "path")));
                                int m = (int) strlen(sys->u.object.keys[k]);
                                wb = n > wb ? n : wb;
                                ws = m > ws ? m : ws;
                        }
        }
        if (!o.json && n_seen < jv_arr_len(pred))
                printf("%-*s  %-*s  IMPORTED FUNCTIONS\n", wb, "BINARY", ws, "SYSCALL");
        for (size_t i = 0; i < jv_arr_len(bins); i++) {
                const jv *b = jv_arr_at(bins, i), *sys = jv_obj_get(b, "syscalls");
                jv *e = jv_new_object(), *un = jv_new_object();
                bool analysed = false;
                jv_get_bool(jv_obj_get(b, "analysed"), &analysed);
                if (jv_arr_append(jbins, e) < 0 || jv_obj_set(e, "path", jv_dup(jv_obj_get(b, "path"))) < 0 ||
                    jv_obj_set(e, "role", jv_dup(jv_obj_get(b, "role"))) < 0 ||
                    jv_obj_set(e, "analysed", jv_new_bool(analysed)) < 0 ||
                    jv_obj_set(e, "reason", jv_obj_get(b, "reason") ? jv_dup(jv_obj_get(b, "reason")) : jv_new_null()) < 0 ||
                    jv_obj_set(e, "unobserved", un) < 0) {
                        jv_free(un);
                        return oom();
                }
                for (size_t k = 0; k < sys->u.object.len; k++) {
                        const char *name = sys->u.object.keys[k];
                        if (observed(l, arch, name))
                                continue;
                        if (jv_obj_set(un, name, jv_dup(sys->u.object.values[k])) < 0)
                                return oom();
                        if (!o.json) {
                                _cleanup_free_ char *fns = join(sys->u.object.values[k]);
                                if (!fns)
                                        return oom();
                                printf("%-*s  %-*s  %s\n", wb, jv_str(jv_obj_get(b, "path")), ws, name, fns);
                        }
                }
        }
        if (o.json)
                return (r = osl_cli_print_json(out, &err)) < 0 ? fail(&err, r) : EXIT_OK;
        bool header = false;
        for (size_t i = 0; i < jv_arr_len(bins); i++) {
                const jv *b = jv_arr_at(bins, i);
                bool analysed = true;
                char q[256];
                jv_get_bool(jv_obj_get(b, "analysed"), &analysed);
                if (analysed)
                        continue;
                if (!header)
                        printf("\nNot analysed (their syscalls are not predicted):\n");
                header = true;
                printf("  %s: %s\n", jv_str(jv_obj_get(b, "path")), osl_quote(jv_str(jv_obj_get(b, "reason")), q, sizeof(q)));
        }
        return EXIT_OK;
}

/* ---- check ---- */

typedef struct finding {
        bool capability;
        const char *arch, *name, *origin; /* borrowed */
        const char *first_seen, *command, *evidence;
        uint32_t added_in; /* 0: not known (an observation) */
        char *predicted;   /* owned: "BINARY: fn, fn; ..." or NULL */
} finding;

typedef struct findings {
        finding *items;
        size_t n;
} findings;

static void findings_clear(findings *f)
{
        for (size_t i = 0; i < f->n; i++)
                free(f->items[i].predicted);
        free(f->items);
}

static int findings_add(findings *f, finding it)
{
        finding *g = realloc(f->items, (f->n + 1) * sizeof(*g));
        if (!g) {
                free(it.predicted);
                return -ENOMEM;
        }
        f->items = g;
        f->items[f->n++] = it;
        return 0;
}

/* What the prediction says implies name: "/app: fork; /lib/x.so: system". */
static char *predicted_by(const jv *pred, const char *arch, const char *name)
{
        char *text = NULL;
        size_t size = 0;
        bool any = false;
        const char *parch = jv_str(jv_obj_get(pred, "arch"));
        if (!pred || !parch || strcmp(parch, arch) != 0)
                return NULL;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;
        const jv *bins = jv_obj_get(pred, "binaries");
        for (size_t i = 0; i < jv_arr_len(bins); i++) {
                const jv *syms = jv_obj_get(jv_obj_get(jv_arr_at(bins, i), "syscalls"), name);
                if (!syms)
                        continue;
                _cleanup_free_ char *fns = join(syms);
                fprintf(f, "%s%s: %s", any ? "; " : "", jv_str(jv_obj_get(jv_arr_at(bins, i), "path")), fns ? fns : "");
                any = true;
        }
        if (fclose(f) != 0 || !any) {
                free(text);
                return NULL;
        }
        return text;
}

static bool has_capability(const osl_learned *l, const char *name)
{
        for (size_t i = 0; i < l->n_capabilities; i++)
                if (strcmp(l->capabilities[i].name, name) == 0)
                        return true;
        return false;
}

static int collect_learned(const osl_learned *cand, const osl_learned *ok, const jv *pred, findings *out)
{
        for (size_t i = 0; i < cand->n_syscalls; i++) {
                const osl_learned_syscall *s = &cand->syscalls[i];
                if (osl_learned_has_syscall(ok, s->arch, s->name))
                        continue;
                finding f = { .arch = s->arch, .name = s->name, .first_seen = s->first_seen, .command = s->sample_comm,
                              .added_in = s->added_in, .predicted = predicted_by(pred, s->arch, s->name),
                              .origin = s->origin[OSL_ORIGIN_APPLICATION] ? "application" : "runtime" };
                if (findings_add(out, f) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < cand->n_capabilities; i++) {
                const osl_learned_capability *c = &cand->capabilities[i];
                if (!has_capability(ok, c->name) &&
                    findings_add(out, (finding) { .capability = true, .name = c->name, .evidence = c->evidence,
                                                  .added_in = c->added_in }) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int collect_observation(const osl_observation *ob, const osl_learned *ok, const jv *pred, findings *out)
{
        for (size_t i = 0; i < ob->n_syscalls; i++) {
                const osl_obs_syscall *s = &ob->syscalls[i];
                bool dup = false;
                if (osl_learned_has_syscall(ok, s->arch, s->name))
                        continue;
                for (size_t k = 0; k < out->n && !dup; k++)
                        dup = !out->items[k].capability && strcmp(out->items[k].arch, s->arch) == 0 &&
                              strcmp(out->items[k].name, s->name) == 0;
                if (dup)
                        continue; /* seen from both origins: one finding */
                finding f = { .arch = s->arch, .name = s->name, .first_seen = s->first_seen, .command = s->sample_comm,
                              .origin = osl_origin_name(s->origin), .predicted = predicted_by(pred, s->arch, s->name) };
                if (findings_add(out, f) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < ob->n_capabilities; i++) {
                const osl_obs_capability *c = &ob->capabilities[i];
                if (!has_capability(ok, c->name) &&
                    findings_add(out, (finding) { .capability = true, .name = c->name, .evidence = c->evidence }) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* One line of why, for text and JUnit. Untrusted text is quoted. */
static char *why_text(const finding *f)
{
        char q1[128], q2[256];
        char *text = NULL;
        size_t size = 0;
        FILE *m = open_memstream(&text, &size);
        if (!m)
                return NULL;
        if (f->capability)
                fprintf(m, "evidence %s", osl_quote(f->evidence ? f->evidence : "none recorded", q2, sizeof(q2)));
        else {
                fprintf(m, "%s call", f->origin);
                if (f->first_seen)
                        fprintf(m, ", first seen %s", f->first_seen);
                if (f->command)
                        fprintf(m, " by command %s", osl_quote(f->command, q1, sizeof(q1)));
        }
        if (f->added_in)
                fprintf(m, ", added in version %" PRIu32, f->added_in);
        if (f->predicted)
                fprintf(m, "; predicted from %s", f->predicted);
        if (fclose(m) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

/* Text for XML character data and attributes: markup escaped, and every
 * byte outside printable ASCII as '?', so the document is always valid. */
static void xml_put(FILE *f, const char *s)
{
        for (; s && *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '&')
                        fputs("&amp;", f);
                else if (c == '<')
                        fputs("&lt;", f);
                else if (c == '>')
                        fputs("&gt;", f);
                else if (c == '"')
                        fputs("&quot;", f);
                else if (c == '\'')
                        fputs("&apos;", f);
                else
                        fputc(c < 0x20 || c > 0x7e ? '?' : c, f);
        }
}

static int print_junit(const char *key, const char *against, const char *candidate, const findings *fs)
{
        size_t tests = fs->n ? fs->n : 1;
        printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"oci-seccomp-learn profile check\" "
               "tests=\"%zu\" failures=\"%zu\">\n  <testsuite name=\"",
               tests, fs->n);
        xml_put(stdout, key);
        printf("\" tests=\"%zu\" failures=\"%zu\">\n", tests, fs->n);
        if (fs->n == 0) {
                printf("    <testcase classname=\"");
                xml_put(stdout, key);
                printf("\" name=\"");
                xml_put(stdout, candidate);
                printf(" needs nothing beyond %s\"/>\n", against);
        }
        for (size_t i = 0; i < fs->n; i++) {
                const finding *f = &fs->items[i];
                _cleanup_free_ char *why = why_text(f);
                if (!why)
                        return -ENOMEM;
                printf("    <testcase classname=\"");
                xml_put(stdout, key);
                printf("\" name=\"%s ", f->capability ? "capability" : "syscall");
                xml_put(stdout, f->name);
                if (!f->capability) {
                        printf(" (");
                        xml_put(stdout, f->arch);
                        printf(")");
                }
                printf("\">\n      <failure type=\"not-approved\" message=\"");
                xml_put(stdout, candidate);
                printf(" needs %s ", f->capability ? "capability" : "syscall");
                xml_put(stdout, f->name);
                printf(", which %s lacks\">", against);
                xml_put(stdout, why);
                printf("</failure>\n    </testcase>\n");
        }
        printf("  </testsuite>\n</testsuites>\n");
        return 0;
}

static int findings_to_jv(const char *key, uint32_t approved, const char *candidate, const findings *fs, jv **out)
{
        _cleanup_jv_ jv *o = jv_new_object();
        if (!o || jv_obj_set(o, "image", jv_new_string(key)) < 0 || jv_obj_set(o, "approved", jv_new_uint(approved)) < 0 ||
            jv_obj_set(o, "candidate", jv_new_string(candidate)) < 0 || jv_obj_set(o, "ok", jv_new_bool(fs->n == 0)) < 0 ||
            jv_obj_set(o, "syscalls", jv_new_array()) < 0 || jv_obj_set(o, "capabilities", jv_new_array()) < 0)
                return -ENOMEM;
        jv *sys = jv_obj_get(o, "syscalls"), *caps = jv_obj_get(o, "capabilities");
        for (size_t i = 0; i < fs->n; i++) {
                const finding *f = &fs->items[i];
                jv *e = jv_new_object();
                if (jv_arr_append(f->capability ? caps : sys, e) < 0 || jv_obj_set(e, "name", jv_new_string(f->name)) < 0 ||
                    jv_obj_set(e, "addedIn", f->added_in ? jv_new_uint(f->added_in) : jv_new_null()) < 0)
                        return -ENOMEM;
                if (f->capability) {
                        if (jv_obj_set(e, "evidence", f->evidence ? jv_new_string(f->evidence) : jv_new_null()) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (jv_obj_set(e, "arch", jv_new_string(f->arch)) < 0 ||
                    jv_obj_set(e, "origin", jv_new_string(f->origin)) < 0 ||
                    jv_obj_set(e, "firstSeen", f->first_seen ? jv_new_string(f->first_seen) : jv_new_null()) < 0 ||
                    jv_obj_set(e, "command", f->command ? jv_new_string(f->command) : jv_new_null()) < 0 ||
                    jv_obj_set(e, "predictedBy", f->predicted ? jv_new_string(f->predicted) : jv_new_null()) < 0)
                        return -ENOMEM;
        }
        *out = TAKE_PTR(o);
        return 0;
}

int cmd_profile_check(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "approved", required_argument, NULL, OPT_APPROVED },
                                                 { "observation", required_argument, NULL, OPT_OBSERVATION },
                                                 { "format", required_argument, NULL, OPT_FORMAT },
                                                 {} };
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_learned_ osl_learned *ok = NULL, *cand = NULL;
        _cleanup_observation_ osl_observation *ob = NULL;
        _cleanup_free_ char *key = NULL, *candidate = NULL, *against = NULL;
        _cleanup_jv_ jv *pred = NULL, *out = NULL;
        _cleanup_(findings_clear) findings fs = {};
        cov_options o = {};
        osl_error err = {};
        int r;

        if ((r = parse("check", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args != 1)
                return o.n_args == 0 ? USAGE_ERROR("check", "which IMAGE?")
                                     : USAGE_ERROR("check", "unexpected argument '%s'", o.args[1]);
        if (!o.has_approved)
                return USAGE_ERROR("check", "--approved N is needed: the version approved for release");
        if ((r = parse_image(o.args[0], &key, NULL, &err)) < 0) {
                osl_print_error(CMD, &err);
                return EXIT_USAGE;
        }
        if ((r = osl_store_open(g->store, false, &store, &err)) < 0 ||
            (r = osl_store_load(store, key, o.approved, &ok, &err)) < 0)
                return fail(&err, r);
        /* The prediction only adds evidence; without one there is none. */
        if (osl_predicted_load(store, key, &pred, &(osl_error) {}) < 0)
                pred = NULL;
        if (osl_asprintf(&against, "approved version %" PRIu32, o.approved) < 0)
                return oom();
        if (o.observation) {
                if ((r = osl_observation_load(o.observation, &ob, &err)) < 0)
                        return fail(&err, r == -ENOENT ? -EINVAL : r);
                if (ob->image_key && strcmp(ob->image_key, key) != 0) {
                        fprintf(stderr, "oci-seccomp-learn " CMD ": %s: the observation is of image %s, not %s\n",
                                o.observation, ob->image_key, key);
                        return EXIT_FAILURE_;
                }
                if (osl_asprintf(&candidate, "observation %s", o.observation) < 0 ||
                    collect_observation(ob, ok, pred, &fs) < 0)
                        return oom();
        } else {
                if ((r = osl_store_load(store, key, 0, &cand, &err)) < 0)
                        return fail(&err, r);
                if (osl_asprintf(&candidate, "version %" PRIu32, cand->version) < 0 || collect_learned(cand, ok, pred, &fs) < 0)
                        return oom();
        }

        if (o.format == FORMAT_JUNIT) {
                if (print_junit(key, against, candidate, &fs) < 0)
                        return oom();
        } else if (o.format == FORMAT_JSON) {
                if (findings_to_jv(key, o.approved, candidate, &fs, &out) < 0)
                        return oom();
                if ((r = osl_cli_print_json(out, &err)) < 0)
                        return fail(&err, r);
        } else if (fs.n == 0)
                printf("%s: %s needs nothing beyond %s\n", key, candidate, against);
        else {
                printf("%s: %s needs what %s lacks:\n", key, candidate, against);
                for (size_t i = 0; i < fs.n; i++) {
                        _cleanup_free_ char *why = why_text(&fs.items[i]);
                        if (!why)
                                return oom();
                        if (fs.items[i].capability)
                                printf("  capability %s: %s\n", fs.items[i].name, why);
                        else
                                printf("  syscall %s (%s): %s\n", fs.items[i].name, fs.items[i].arch, why);
                }
        }
        return fs.n == 0 ? EXIT_OK : EXIT_FAILURE_;
}
