/* SPDX-License-Identifier: Apache-2.0 */
/* profile list | show | diff | export | install | merge | drift | accept:
 * the stored profiles, for people, scripts and other tools (doc/store.md,
 * doc/exports.md). Each subcommand parses its options and
 * asks lib/store for the work. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "commands.h"
#include "export.h"
#include "families.h"
#include "image.h"
#include "pending.h"
#include "rundir.h"
#include "store.h"
#include "syscalls.h"

#define CMD "profile"
#define USAGE_ERROR(sub, ...) osl_cli_usage_error(CMD, sub, __VA_ARGS__)

/* ---- help ---- */

static const char profile_help[] =
        "Usage: oci-seccomp-learn [--store DIR] profile SUBCOMMAND [ARGS...]\n"
        "\n"
        "Lists, shows, compares, exports and merges the learned per-image profiles in\n"
        "the store (--store DIR, else $" OSL_STORE_ENV ", else " OSL_DEFAULT_STORE ").\n"
        "\n"
        "Subcommands:\n"
        "  list                        the stored images and their current versions\n"
        "  show IMAGE [--version N]    what a version holds: syscalls, capabilities, history\n"
        "  diff IMAGE [A [B]]          what changed from version A to B (default: the\n"
        "                              previous version to the current one)\n"
        "  export IMAGE [--version N] [--format FORMAT]\n"
        "                              the profile for a container engine or orchestrator:\n"
        "                              oci, docker, spo, podman-label, docker-caps, kubernetes\n"
        "  install IMAGE [--version N] [--kubelet-dir DIR]\n"
        "                              put the profile where kubelet finds Localhost profiles\n"
        "                              and print the securityContext that uses it\n"
        "  merge IMAGE OBSERVATION.json... | merge --pending\n"
        "                              union observations into the image's profile\n"
        "  drift IMAGE                 what containers in complain mode used outside the\n"
        "                              version they ran under, not accepted yet\n"
        "  accept IMAGE                merge the pending drift as one new version\n"
        "  prune IMAGE --keep N        drop all but the newest N versions and their history\n"
        "  rm IMAGE                    remove the image's profile, versions and history\n"
        "  attach IMAGE --oci-layout DIR\n"
        "                              the profile as an OCI artifact beside its image\n"
        "  fetch --oci-layout DIR IMAGE\n"
        "                              read an attached profile back, digests verified\n"
        "  push | pull IMAGE --registry REF\n"
        "                              the profile as a referrer of the image in a registry;\n"
        "                              pull merges every node's profile\n"
        "  predict IMAGE --rootfs DIR PROGRAM...\n"
        "                              the syscalls the image's programs can make (static)\n"
        "  coverage IMAGE              predicted syscalls the learning runs never observed\n"
        "  check IMAGE --approved N    CI gate: exit 1 when more is needed than version N\n"
        "\n"
        "IMAGE is an image reference (\"docker.io/library/redis:7\"); the tag and digest\n"
        "are ignored, profiles are kept per repository.\n"
        "--json gives machine-readable output for list, show, diff, merge, drift and accept.\n"
        "'oci-seccomp-learn profile SUBCOMMAND --help' describes a subcommand.\n"
        "\n"
        "Exit codes: 0 success, 1 failure, 2 bad usage, 3 image or version not stored.\n";

static const char prune_help[] =
        "Usage: oci-seccomp-learn profile prune IMAGE --keep N [--lock-timeout SECONDS]\n"
        "\n"
        "Keeps the newest N (at least 1) versions of the image's profile and their\n"
        "history records, and removes the older ones; the current profile does not\n"
        "change. Under the image's lock (--lock-timeout: how long to wait, default 30).\n";

static const char rm_help[] =
        "Usage: oci-seccomp-learn profile rm IMAGE [--lock-timeout SECONDS]\n"
        "\n"
        "Removes everything the store keeps of the image: its profile, versions,\n"
        "history, drift and prediction. Under the image's lock (--lock-timeout: how\n"
        "long to wait, default 30); readers see the image gone at once.\n";

static const char list_help[] =
        "Usage: oci-seccomp-learn profile list [--json]\n"
        "\n"
        "Lists the images that have a profile: IMAGE, current VERSION, the number of\n"
        "SYSCALLS (architecture and name pairs) and CAPS (capabilities), and when the\n"
        "profile was last UPDATED.\n"
        "\n"
        "  --json   a JSON array of {image, version, syscalls, capabilities, updated}\n";

static const char show_help[] =
        "Usage: oci-seccomp-learn profile show IMAGE [--version N] [--json]\n"
        "\n"
        "Shows a version of IMAGE's profile (default: the current one): every syscall\n"
        "with its architecture, origin (runtime: the container runtime's own calls before\n"
        "the entrypoint; application: from the entrypoint on), how often and in how many\n"
        "containers it was seen, when, which version added it, and the command name\n"
        "(COMM) of a process seen making it; then capabilities and the version history.\n"
        "\n"
        "  --version N   version N instead of the current one\n"
        "  --json        the stored document as it is (schema/profile.schema.json)\n"
        "\n"
        "Exit code 3 when IMAGE or version N is not stored.\n";

static const char diff_help[] =
        "Usage: oci-seccomp-learn profile diff IMAGE [A [B]] [--json]\n"
        "\n"
        "Lists the syscalls and capabilities that version B has and version A lacks (+),\n"
        "and the other way round (-). B defaults to the current version; A to the one\n"
        "before B. Version 0 is the empty profile.\n"
        "\n"
        "  --json   {image, from, to, addedSyscalls, removedSyscalls,\n"
        "            addedCapabilities, removedCapabilities}\n"
        "\n"
        "Exit code 3 when IMAGE or a version is not stored.\n";

static const char export_help[] =
        "Usage: oci-seccomp-learn profile export IMAGE [--version N] [--format FORMAT]\n"
        "\n"
        "Prints IMAGE's profile (default: the current version) on stdout, in the form\n"
        "one container engine or orchestrator reads (doc/exports.md): every learned\n"
        "syscall allowed, everything else fails with EPERM; only the learned\n"
        "capabilities kept.\n"
        "\n"
        "  --version N            version N instead of the current one\n"
        "  --format oci           seccomp JSON: linux.seccomp of an OCI config.json; also\n"
        "                         loaded by docker/podman --security-opt seccomp=FILE,\n"
        "                         containerd and kubelet (the default)\n"
        "  --format docker        the same JSON, for --security-opt seccomp=FILE\n"
        "  --format spo           a SeccompProfile resource of the security-profiles-operator\n"
        "                         (YAML, for kubectl apply -n NAMESPACE -f -)\n"
        "  --format podman-label  one line of JSON: the value of the image label\n"
        "                         io.containers.seccomp.profile (podman run --seccomp-policy=image)\n"
        "  --format docker-caps   --cap-drop=ALL --cap-add=... for docker or podman run\n"
        "  --format kubernetes    a container securityContext (YAML) with the installed\n"
        "                         Localhost profile and the capabilities\n"
        "\n"
        "Exit code 3 when IMAGE or version N is not stored.\n";

static const char install_help[] =
        "Usage: oci-seccomp-learn profile install IMAGE [--version N] [--kubelet-dir DIR]\n"
        "\n"
        "Writes IMAGE's seccomp profile (default: the current version) atomically to\n"
        "DIR/seccomp/" OSL_KUBELET_SUBDIR "/NAME-vN.json, where kubelet reads Localhost\n"
        "profiles, and prints the container securityContext (YAML) whose\n"
        "seccompProfile.localhostProfile names it. Run it on every node.\n"
        "\n"
        "  --version N        version N instead of the current one\n"
        "  --kubelet-dir DIR  kubelet's root directory (default " OSL_KUBELET_ROOT ")\n"
        "\n"
        "Exit code 3 when IMAGE or version N is not stored.\n";

static const char drift_help[] =
        "Usage: oci-seccomp-learn profile drift IMAGE [--json]\n"
        "\n"
        "Lists the pending drift of IMAGE: for each container that ran in complain mode\n"
        "and used syscalls or capabilities outside the profile version it ran under,\n"
        "when it was recorded, the container, that VERSION, and the SYSCALLS and CAPS\n"
        "outside it. 'profile accept IMAGE' merges it into the profile.\n"
        "\n"
        "  --json   the pending records (schema/drift.schema.json)\n"
        "\n"
        "Exit code 3 when IMAGE is not stored.\n";

static const char accept_help[] =
        "Usage: oci-seccomp-learn profile accept IMAGE [--json]\n"
        "\n"
        "Merges all pending drift of IMAGE into its profile as one new version (its\n"
        "history names the containers), then clears the drift. When the current\n"
        "version already holds all of it, only the evidence is updated. Nothing\n"
        "pending: says so and changes nothing.\n"
        "\n"
        "  --json   {image, version, newVersion, records, addedSyscalls, addedCapabilities}\n"
        "\n"
        "Exit code 3 when IMAGE is not stored.\n";

static const char merge_help[] =
        "Usage: oci-seccomp-learn profile merge IMAGE OBSERVATION.json... [--json] [--lock-timeout SECONDS]\n"
        "       oci-seccomp-learn [--run-dir DIR] profile merge --pending [--json] [--lock-timeout SECONDS]\n"
        "\n"
        "Unions observations (schema/observation.schema.json) into IMAGE's profile. A new\n"
        "version is made only when a syscall or capability is new, with the evidence\n"
        "(counts, containers, last seen); an observation that adds nothing writes\n"
        "nothing. An observation merged before (same container id and start time)\n"
        "changes nothing. Every file is read and\n"
        "checked before anything is merged. Syscall names that libseccomp does not know\n"
        "are kept, with a warning.\n"
        "\n"
        "  --pending               merge the observations that poststop hooks could not\n"
        "                          merge (RUNDIR/pending/), each into the image it names,\n"
        "                          and remove each one merged\n"
        "  --lock-timeout SECONDS  wait at most this long for an image's lock, which\n"
        "                          another writer holds (default 30; 0: try once)\n"
        "  --json                  a JSON array with one result per observation\n";

/* ---- small helpers ---- */

static int fail(const osl_error *err, int r)
{
        osl_print_error(CMD, err);
        return osl_exit_code(r);
}

/* A version number: decimal digits, 1 to UINT32_MAX (0 when allow_zero). */
static bool parse_version(const char *s, bool allow_zero, uint32_t *out)
{
        uint64_t v = 0;
        if (!s || !*s || strlen(s) > 10)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v > UINT32_MAX || (v == 0 && !allow_zero))
                return false;
        *out = (uint32_t) v;
        return true;
}

static int open_store(const osl_global *g, bool create, osl_store **out, osl_error *err)
{
        return osl_store_open(g->store, create, out, err);
}

/* Aligned columns for people: two spaces apart, the last one unpadded. */
typedef struct table {
        size_t n_cols;
        char **cells;
        size_t n_cells;
} table;

static void table_clear(table *t)
{
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        t->cells = NULL;
        t->n_cells = 0;
}

static int table_add(table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int table_add(table *t, const char *fmt, ...)
{
        char *cell;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&cell, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        char **grown = realloc(t->cells, (t->n_cells + 1) * sizeof(char *));
        if (!grown) {
                free(cell);
                return -ENOMEM;
        }
        t->cells = grown;
        t->cells[t->n_cells++] = cell;
        return 0;
}

static void table_print(const table *t)
{
        size_t width[16] = {};
        for (size_t i = 0; i < t->n_cells; i++) {
                size_t c = i % t->n_cols, n = strlen(t->cells[i]);
                if (c < ELEMENTSOF(width) && n > width[c])
                        width[c] = n;
        }
        for (size_t i = 0; i < t->n_cells; i++) {
                size_t c = i % t->n_cols;
                bool last = c + 1 == t->n_cols || i + 1 == t->n_cells;
                if (last)
                        printf("%s\n", t->cells[i]);
                else
                        printf("%-*s  ", (int) width[c], t->cells[i]);
        }
}

/* ---- getopt ---- */

enum { OPT_JSON = 0x100, OPT_VERSION, OPT_FORMAT, OPT_KUBELET_DIR, OPT_LOCK_TIMEOUT, OPT_PENDING, OPT_KEEP };

typedef struct options {
        bool json;
        bool pending;
        unsigned lock_timeout_ms;
        bool has_version;
        uint32_t version;
        uint32_t keep; /* 0: not given */
        osl_export_format format;
        const char *kubelet_dir;
        char **args; /* positional arguments */
        int n_args;
} options;

/* Parses argv (argv[0] = the subcommand) with the options in allowed. */
static int parse_options(const char *sub, int argc, char **argv, const struct option *allowed, options *o)
{
        optind = 0; /* glibc: a full reset, including permutation state */
        opterr = 0;
        for (;;) {
                int c = getopt_long(argc, argv, ":", allowed, NULL);
                if (c == -1)
                        break;
                switch (c) {
                case OPT_JSON:
                        o->json = true;
                        break;
                case OPT_VERSION:
                        if (!parse_version(optarg, false, &o->version))
                                return USAGE_ERROR(sub, "--version wants a version number (1, 2, ...), not '%s'",
                                                   optarg);
                        o->has_version = true;
                        break;
                case OPT_FORMAT:
                        if (osl_export_format_parse(optarg, &o->format) < 0)
                                return USAGE_ERROR(sub,
                                                   "--format is oci, docker, spo, podman-label, docker-caps or "
                                                   "kubernetes, not '%s'",
                                                   optarg);
                        break;
                case OPT_KUBELET_DIR:
                        if (!*optarg)
                                return USAGE_ERROR(sub, "--kubelet-dir wants a directory");
                        o->kubelet_dir = optarg;
                        break;
                case OPT_LOCK_TIMEOUT: {
                        char *end;
                        double sec = strtod(optarg, &end);
                        if (end == optarg || *end || !(sec >= 0 && sec <= 3600))
                                return USAGE_ERROR(sub, "--lock-timeout wants 0 to 3600 seconds, not '%s'", optarg);
                        o->lock_timeout_ms = (unsigned) (sec * 1000);
                        break;
                }
                case OPT_PENDING:
                        o->pending = true;
                        break;
                case OPT_KEEP:
                        if (!parse_version(optarg, false, &o->keep))
                                return USAGE_ERROR(sub, "--keep wants a number of versions (1, 2, ...), not '%s'",
                                                   optarg);
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

/* ---- list ---- */

/* The rows of `profile list`, into t or (--json) out. */
static int print_list(const options *o, const osl_image_summary *sums, size_t n, table *t, jv *out, int *status)
{
        table_add(t, "IMAGE");
        table_add(t, "VERSION");
        table_add(t, "SYSCALLS");
        table_add(t, "CAPS");
        table_add(t, "UPDATED");
        for (size_t i = 0; i < n; i++) {
                const osl_profile_summary sum = sums[i].summary;
                if (sums[i].error.code < 0) {
                        /* One broken profile must not hide the others. */
                        osl_print_error(CMD, &sums[i].error);
                        *status = EXIT_FAILURE_;
                        continue;
                }
                const char *updated = sum.updated;
                if (o->json) {
                        jv *e = jv_new_object();
                        if (jv_arr_append(out, e) < 0 || jv_obj_set(e, "image", jv_new_string(sums[i].image_key)) < 0 ||
                            jv_obj_set(e, "version", jv_new_uint(sum.version)) < 0 ||
                            jv_obj_set(e, "syscalls", jv_new_uint(sum.syscalls)) < 0 ||
                            jv_obj_set(e, "capabilities", jv_new_uint(sum.capabilities)) < 0 ||
                            jv_obj_set(e, "updated", jv_new_string(updated)) < 0)
                                return -ENOMEM;
                } else if (table_add(t, "%s", sums[i].image_key) < 0 || table_add(t, "%" PRIu32, sum.version) < 0 ||
                           table_add(t, "%" PRIu64, sum.syscalls) < 0 || table_add(t, "%" PRIu64, sum.capabilities) < 0 ||
                           table_add(t, "%s", updated) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int profile_list(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "json", no_argument, NULL, OPT_JSON }, {} };
        _cleanup_store_ osl_store *store = NULL;
        osl_image_summary *sums = NULL;
        _cleanup_jv_ jv *out = jv_new_array();
        _cleanup_(table_clear) table t = { .n_cols = 5 };
        options o = {};
        osl_error err = {};
        size_t n = 0;
        int r, status = EXIT_OK;

        if ((r = parse_options("list", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args > 0)
                return USAGE_ERROR("list", "unexpected argument '%s'", o.args[0]);
        if (!out)
                return EXIT_FAILURE_;
        if ((r = open_store(g, false, &store, &err)) < 0 || (r = osl_store_summaries(store, &sums, &n, &err)) < 0)
                return fail(&err, r);
        r = print_list(&o, sums, n, &t, out, &status);
        osl_image_summaries_free(sums, n);
        if (r < 0)
                return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);

        if (o.json) {
                if ((r = osl_cli_print_json(out, &err)) < 0)
                        return fail(&err, r);
        } else if (n == 0)
                fprintf(stderr, "oci-seccomp-learn " CMD ": no profiles in %s\n", osl_store_root(store));
        else
                table_print(&t);
        return status;
}

/* ---- show ---- */

static const char *origins_text(const osl_learned_syscall *e)
{
        if (e->origin[OSL_ORIGIN_RUNTIME] && e->origin[OSL_ORIGIN_APPLICATION])
                return "runtime,application";
        return e->origin[OSL_ORIGIN_RUNTIME] ? "runtime" : "application";
}

static int load_image(const osl_global *g, const char *arg, uint32_t version, char **key_out,
                      osl_learned **out, osl_error *err)
{
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_free_ char *key = NULL;
        int r;

        if ((r = osl_cli_image_key(arg, &key, err)) < 0 || (r = open_store(g, false, &store, err)) < 0 ||
            (r = osl_store_load(store, key, version, out, err)) < 0)
                return r;
        if (key_out)
                *key_out = TAKE_PTR(key);
        return 0;
}

static int print_show(const osl_learned *l, const osl_generalized *gen, size_t n_gen)
{
        _cleanup_(table_clear) table sys = { .n_cols = 9 }, caps = { .n_cols = 4 }, hist = { .n_cols = 6 },
                                     fam = { .n_cols = 4 };
        int r = 0;

        printf("Image:         %s\n", l->image_key);
        printf("Version:       %" PRIu32 "\n", l->version);
        printf("Updated:       %s\n", l->updated);
        printf("Syscalls:      %zu\n", l->n_syscalls);
        printf("Capabilities:  %zu\n\n", l->n_capabilities);

        r |= table_add(&sys, "ARCH") | table_add(&sys, "SYSCALL") | table_add(&sys, "ORIGIN") |
             table_add(&sys, "COUNT") | table_add(&sys, "CONTAINERS") | table_add(&sys, "FIRST SEEN") |
             table_add(&sys, "LAST SEEN") | table_add(&sys, "ADDED IN") | table_add(&sys, "COMM");
        for (size_t i = 0; i < l->n_syscalls; i++) {
                const osl_learned_syscall *e = &l->syscalls[i];
                r |= table_add(&sys, "%s", e->arch) | table_add(&sys, "%s", e->name) |
                     table_add(&sys, "%s", origins_text(e)) | table_add(&sys, "%" PRIu64, e->count) |
                     table_add(&sys, "%" PRIu64, e->containers) | table_add(&sys, "%s", e->first_seen) |
                     table_add(&sys, "%s", e->last_seen) | table_add(&sys, "%" PRIu32, e->added_in) |
                     table_add(&sys, "%s", e->sample_comm ? e->sample_comm : "-");
        }
        r |= table_add(&caps, "CAPABILITY") | table_add(&caps, "COUNT") | table_add(&caps, "ADDED IN") |
             table_add(&caps, "EVIDENCE");
        for (size_t i = 0; i < l->n_capabilities; i++) {
                const osl_learned_capability *c = &l->capabilities[i];
                r |= table_add(&caps, "%s", c->name) | table_add(&caps, "%" PRIu64, c->count) |
                     table_add(&caps, "%" PRIu32, c->added_in) | table_add(&caps, "%s", c->evidence ? c->evidence : "-");
        }
        r |= table_add(&hist, "VERSION") | table_add(&hist, "TIME") | table_add(&hist, "CONTAINER") |
             table_add(&hist, "TAG") | table_add(&hist, "DIGEST") | table_add(&hist, "ADDED");
        for (size_t i = 0; i < l->n_records; i++) {
                const osl_version_record *h = &l->records[i];
                size_t n_sys = h->added_syscalls, n_caps = h->added_capabilities, n_drift = h->accepted_drift;
                char drift_note[64] = "";
                if (n_drift > 0)
                        snprintf(drift_note, sizeof(drift_note), " (accepted drift of %zu container%s)", n_drift,
                                 n_drift == 1 ? "" : "s");
                /* The record's own version: after `profile prune` the oldest are gone. */
                r |= table_add(&hist, "%" PRIu32, h->version) | table_add(&hist, "%s", h->time) |
                     table_add(&hist, "%.12s", h->container_id) |
                     table_add(&hist, "%s", h->image_tag ? h->image_tag : "-") |
                     table_add(&hist, "%.19s", h->image_digest ? h->image_digest : "-") |
                     table_add(&hist, "%zu syscall%s, %zu capabilit%s%s", n_sys, n_sys == 1 ? "" : "s", n_caps,
                               n_caps == 1 ? "y" : "ies", drift_note);
        }
        r |= table_add(&fam, "ARCH") | table_add(&fam, "SYSCALL") | table_add(&fam, "FAMILY") |
             table_add(&fam, "FROM LEARNED");
        for (size_t i = 0; i < n_gen; i++)
                r |= table_add(&fam, "%s", gen[i].arch) | table_add(&fam, "%s", gen[i].name) |
                     table_add(&fam, "%s", gen[i].family) | table_add(&fam, "%s", gen[i].from);
        if (r < 0)
                return -ENOMEM;
        table_print(&sys);
        printf("\n");
        if (n_gen > 0) {
                printf("Generalized (allowed by enforce with --generalize families, not observed):\n");
                table_print(&fam);
                printf("\n");
        }
        if (l->n_capabilities > 0) {
                table_print(&caps);
                printf("\n");
        }
        table_print(&hist);
        return 0;
}

/* The stored document, and the generalized syscalls apart from it. */
static int print_show_json(const osl_learned *l, const osl_generalized *gen, size_t n_gen, osl_error *err)
{
        _cleanup_jv_ jv *doc = jv_dup(l->doc), *list = jv_new_array();
        if (!doc || !list)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n_gen; i++) {
                jv *e = jv_new_object();
                if (jv_arr_append(list, e) < 0 || jv_obj_set(e, "arch", jv_new_string(gen[i].arch)) < 0 ||
                    jv_obj_set(e, "name", jv_new_string(gen[i].name)) < 0 ||
                    jv_obj_set(e, "family", jv_new_string(gen[i].family)) < 0 ||
                    jv_obj_set(e, "from", jv_new_string(gen[i].from)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if (jv_obj_set(doc, "generalized", TAKE_PTR(list)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return osl_cli_print_json(doc, err);
}

static int profile_show(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = {
                { "json", no_argument, NULL, OPT_JSON },
                { "version", required_argument, NULL, OPT_VERSION },
                {},
        };
        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_free_ osl_generalized *gen = NULL;
        size_t n_gen = 0;
        options o = {};
        osl_error err = {};
        int r;

        if ((r = parse_options("show", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args != 1)
                return o.n_args == 0 ? USAGE_ERROR("show", "which IMAGE?")
                                     : USAGE_ERROR("show", "unexpected argument '%s'", o.args[1]);
        if ((r = load_image(g, o.args[0], o.has_version ? o.version : 0, NULL, &l, &err)) < 0 ||
            (r = osl_learned_generalized(l, &gen, &n_gen, &err)) < 0)
                return fail(&err, r);
        r = o.json ? print_show_json(l, gen, n_gen, &err) : print_show(l, gen, n_gen);
        if (r < 0)
                return fail(&err, r == -ENOMEM ? osl_err(&err, r, "out of memory") : r);
        return EXIT_OK;
}

/* ---- diff ---- */

static int profile_diff(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "json", no_argument, NULL, OPT_JSON }, {} };
        _cleanup_free_ char *key = NULL;
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_jv_ jv *out = NULL;
        const jv *added, *removed, *added_caps, *removed_caps;
        uint32_t va = 0, vb = 0;
        options o = {};
        osl_error err = {};
        int r;

        if ((r = parse_options("diff", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args < 1)
                return USAGE_ERROR("diff", "which IMAGE?");
        if (o.n_args > 3)
                return USAGE_ERROR("diff", "unexpected argument '%s'", o.args[3]);
        if (o.n_args >= 2 && !parse_version(o.args[1], true, &va))
                return USAGE_ERROR("diff", "'%s' is not a version number (0 is the empty profile)", o.args[1]);
        if (o.n_args >= 3 && !parse_version(o.args[2], true, &vb))
                return USAGE_ERROR("diff", "'%s' is not a version number (0 is the empty profile)", o.args[2]);

        if ((r = osl_cli_image_key(o.args[0], &key, &err)) < 0 || (r = open_store(g, false, &store, &err)) < 0 ||
            (r = osl_store_diff(store, key, o.n_args >= 2 ? &va : NULL, o.n_args >= 3 ? &vb : NULL, &out, &err)) < 0)
                return fail(&err, r);
        uint64_t from = 0, to = 0;
        (void) jv_get_uint64(jv_obj_get(out, "from"), &from);
        (void) jv_get_uint64(jv_obj_get(out, "to"), &to);
        added = jv_obj_get(out, "addedSyscalls");
        removed = jv_obj_get(out, "removedSyscalls");
        added_caps = jv_obj_get(out, "addedCapabilities");
        removed_caps = jv_obj_get(out, "removedCapabilities");

        if (o.json) {
                if ((r = osl_cli_print_json(out, &err)) < 0)
                        return fail(&err, r);
                return EXIT_OK;
        }
        printf("%s: version %" PRIu64 " -> %" PRIu64 "\n", key, from, to);
        _cleanup_(table_clear) table t = { .n_cols = 3 };
        struct {
                const jv *list;
                const char *sign;
        } syscall_lists[] = { { added, "+" }, { removed, "-" } }, cap_lists[] = { { added_caps, "+" }, { removed_caps, "-" } };
        for (size_t k = 0; k < ELEMENTSOF(syscall_lists); k++)
                for (size_t i = 0; i < jv_arr_len(syscall_lists[k].list); i++) {
                        const jv *e = jv_arr_at(syscall_lists[k].list, i);
                        if (table_add(&t, "%s", syscall_lists[k].sign) < 0 ||
                            table_add(&t, "%s", jv_str(jv_obj_get(e, "arch"))) < 0 ||
                            table_add(&t, "%s", jv_str(jv_obj_get(e, "name"))) < 0)
                                return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
                }
        for (size_t k = 0; k < ELEMENTSOF(cap_lists); k++)
                for (size_t i = 0; i < jv_arr_len(cap_lists[k].list); i++)
                        if (table_add(&t, "%s", cap_lists[k].sign) < 0 || table_add(&t, "capability") < 0 ||
                            table_add(&t, "%s", jv_str(jv_arr_at(cap_lists[k].list, i))) < 0)
                                return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
        if (t.n_cells == 0)
                printf("no differences\n");
        else
                table_print(&t);
        return EXIT_OK;
}

/* ---- export, install ---- */

static void print_text(const char *text, size_t len)
{
        fwrite(text, 1, len, stdout);
}

/* The IMAGE argument and --version of export and install. */
static int load_one_image(const char *sub, const options *o, const osl_global *g, osl_learned **out,
                          osl_error *err, int *exit_code)
{
        int r;

        if (o->n_args != 1) {
                *exit_code = o->n_args == 0 ? USAGE_ERROR(sub, "which IMAGE?")
                                            : USAGE_ERROR(sub, "unexpected argument '%s'", o->args[1]);
                return -EINVAL;
        }
        if ((r = load_image(g, o->args[0], o->has_version ? o->version : 0, NULL, out, err)) < 0) {
                *exit_code = fail(err, r);
                return r;
        }
        return 0;
}

static int profile_export(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = {
                { "version", required_argument, NULL, OPT_VERSION },
                { "format", required_argument, NULL, OPT_FORMAT },
                {},
        };
        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_free_ char *text = NULL;
        options o = { .format = OSL_EXPORT_OCI };
        osl_error err = {};
        size_t len;
        int r, status;

        if ((r = parse_options("export", argc, argv, allowed, &o)) != 0)
                return r;
        if (load_one_image("export", &o, g, &l, &err, &status) < 0)
                return status;
        if ((r = osl_learned_export(l, o.format, &text, &len, &err)) < 0)
                return fail(&err, r);
        print_text(text, len);
        return EXIT_OK;
}

static int profile_install(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = {
                { "version", required_argument, NULL, OPT_VERSION },
                { "kubelet-dir", required_argument, NULL, OPT_KUBELET_DIR },
                {},
        };
        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_free_ char *path = NULL, *snippet = NULL;
        options o = { .kubelet_dir = OSL_KUBELET_ROOT };
        osl_error err = {};
        size_t len;
        int r, status;

        if ((r = parse_options("install", argc, argv, allowed, &o)) != 0)
                return r;
        if (load_one_image("install", &o, g, &l, &err, &status) < 0)
                return status;
        if ((r = osl_learned_export(l, OSL_EXPORT_KUBERNETES, &snippet, &len, &err)) < 0 ||
            (r = osl_learned_install_kubelet(l, o.kubelet_dir, &path, &err)) < 0)
                return fail(&err, r);
        /* A YAML comment, so that the output stays a snippet to paste; a
         * line break in the path would end the comment. */
        for (char *p = path; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = '?';
        printf("# installed as %s\n", path);
        print_text(snippet, len);
        return EXIT_OK;
}

/* ---- drift, accept ---- */

/* "read, sendfile" (names of other architectures as ARCH:name), or "-". */
static char *outside_syscalls_text(const osl_observation *o)
{
        _cleanup_strv_ char **seen = calloc(1, sizeof(char *));
        char *text = NULL;
        size_t n_seen = 0, size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f || !seen) {
                if (f)
                        fclose(f);
                free(text);
                return NULL;
        }
        const char *native = osl_arch_native();
        for (size_t i = 0; i < o->n_syscalls; i++) {
                const osl_obs_syscall *e = &o->syscalls[i];
                _cleanup_free_ char *label = NULL;
                int r = native && strcmp(e->arch, native) == 0 ? osl_asprintf(&label, "%s", e->name)
                                                                : osl_asprintf(&label, "%s:%s", e->arch, e->name);
                if (r < 0 || osl_strv_contains(seen, label))
                        continue;
                if (osl_strv_push(&seen, &n_seen, label) < 0)
                        break;
                fprintf(f, "%s%s", n_seen > 1 ? ", " : "", label);
        }
        if (n_seen == 0)
                fputs("-", f);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

static char *outside_caps_text(const osl_observation *o)
{
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        if (!f)
                return NULL;
        for (size_t i = 0; i < o->n_capabilities; i++)
                fprintf(f, "%s%s", i > 0 ? ", " : "", o->capabilities[i].name);
        if (o->n_capabilities == 0)
                fputs("-", f);
        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

static int print_drift(const osl_drift *d)
{
        _cleanup_(table_clear) table t = { .n_cols = 5 };
        int r = 0;

        if (d->n_records == 0) {
                printf("%s: no drift pending (version %" PRIu32 ")\n", d->image_key, d->version);
                return 0;
        }
        printf("%s: drift of %zu container%s pending (current version %" PRIu32 ")\n\n", d->image_key,
               d->n_records, d->n_records == 1 ? "" : "s", d->version);
        r |= table_add(&t, "TIME") | table_add(&t, "CONTAINER") | table_add(&t, "VERSION") |
             table_add(&t, "SYSCALLS") | table_add(&t, "CAPS");
        for (size_t i = 0; i < d->n_records && r >= 0; i++) {
                const osl_drift_record *rec = &d->records[i];
                _cleanup_free_ char *syscalls = outside_syscalls_text(rec->outside),
                                    *caps = outside_caps_text(rec->outside);
                if (!syscalls || !caps)
                        return -ENOMEM;
                r |= table_add(&t, "%s", rec->time) | table_add(&t, "%.12s", rec->outside->container_id) |
                     table_add(&t, "%" PRIu32, rec->version) | table_add(&t, "%s", syscalls) |
                     table_add(&t, "%s", caps);
        }
        if (r < 0)
                return -ENOMEM;
        table_print(&t);
        printf("\nTo add it to the profile: oci-seccomp-learn profile accept %s\n", d->image_key);
        return 0;
}

static int profile_drift(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "json", no_argument, NULL, OPT_JSON }, {} };
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_drift_ osl_drift *d = NULL;
        _cleanup_free_ char *key = NULL;
        _cleanup_jv_ jv *out = NULL;
        options o = {};
        osl_error err = {};
        int r;

        if ((r = parse_options("drift", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args != 1)
                return o.n_args == 0 ? USAGE_ERROR("drift", "which IMAGE?")
                                     : USAGE_ERROR("drift", "unexpected argument '%s'", o.args[1]);
        if ((r = osl_cli_image_key(o.args[0], &key, &err)) < 0 || (r = open_store(g, false, &store, &err)) < 0 ||
            (r = osl_store_load_drift(store, key, &d, &err)) < 0)
                return fail(&err, r);
        if (o.json) {
                if ((r = osl_drift_to_jv(d, &out, &err)) < 0 || (r = osl_cli_print_json(out, &err)) < 0)
                        return fail(&err, r);
        } else if (print_drift(d) < 0)
                return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
        return EXIT_OK;
}

static int profile_accept(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "json", no_argument, NULL, OPT_JSON }, {} };
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_free_ char *key = NULL;
        _cleanup_jv_ jv *out = jv_new_object();
        osl_accept_result res = {};
        options o = {};
        osl_error err = {};
        int r;

        if ((r = parse_options("accept", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args != 1)
                return o.n_args == 0 ? USAGE_ERROR("accept", "which IMAGE?")
                                     : USAGE_ERROR("accept", "unexpected argument '%s'", o.args[1]);
        if (!out)
                return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
        /* The store is opened as a reader: accepting needs a stored profile,
         * and a missing store must not be created. */
        if ((r = osl_cli_image_key(o.args[0], &key, &err)) < 0 || (r = open_store(g, false, &store, &err)) < 0 ||
            (r = osl_store_accept_drift(store, key, &res, &err)) < 0)
                return fail(&err, r);
        if (o.json) {
                if (jv_obj_set(out, "image", jv_new_string(key)) < 0 ||
                    jv_obj_set(out, "version", jv_new_uint(res.version)) < 0 ||
                    jv_obj_set(out, "newVersion", jv_new_bool(res.new_version)) < 0 ||
                    jv_obj_set(out, "records", jv_new_uint(res.records)) < 0 ||
                    jv_obj_set(out, "addedSyscalls", jv_new_uint(res.added_syscalls)) < 0 ||
                    jv_obj_set(out, "addedCapabilities", jv_new_uint(res.added_capabilities)) < 0)
                        return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
                if ((r = osl_cli_print_json(out, &err)) < 0)
                        return fail(&err, r);
        } else if (res.records == 0)
                printf("%s: no drift pending; nothing accepted (version %" PRIu32 ")\n", key, res.version);
        else if (res.new_version)
                printf("%s: accepted the drift of %zu container%s: new version %" PRIu32
                       " (+%zu syscalls, +%zu capabilities)\n",
                       key, res.records, res.records == 1 ? "" : "s", res.version, res.added_syscalls,
                       res.added_capabilities);
        else
                printf("%s: accepted the drift of %zu container%s: version %" PRIu32
                       " already holds all of it (evidence updated)\n",
                       key, res.records, res.records == 1 ? "" : "s", res.version);
        return EXIT_OK;
}

/* ---- merge ---- */

typedef struct observations {
        osl_observation **items;
        int n;
} observations;

static void observations_clear(observations *list)
{
        for (int i = 0; i < list->n; i++)
                osl_observation_free(list->items[i]);
        free(list->items);
}

/* One merge's outcome: a line for people, or an element of out (--json). */
static int report_merge(jv *out, const char *file, const char *key, const osl_merge_result *res)
{
        if (out) {
                jv *e = jv_new_object();
                if (jv_arr_append(out, e) < 0 || jv_obj_set(e, "file", jv_new_string(file)) < 0 ||
                    jv_obj_set(e, "image", jv_new_string(key)) < 0 ||
                    jv_obj_set(e, "version", jv_new_uint(res->version)) < 0 ||
                    jv_obj_set(e, "newVersion", jv_new_bool(res->new_version)) < 0 ||
                    jv_obj_set(e, "duplicate", jv_new_bool(res->duplicate)) < 0 ||
                    jv_obj_set(e, "addedSyscalls", jv_new_uint(res->added_syscalls)) < 0 ||
                    jv_obj_set(e, "addedCapabilities", jv_new_uint(res->added_capabilities)) < 0)
                        return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
        } else if (res->duplicate)
                printf("%s: already merged into %s; no change (version %" PRIu32 ")\n", file, key, res->version);
        else if (res->new_version)
                printf("%s: %s: new version %" PRIu32 " (+%zu syscalls, +%zu capabilities)\n", file, key, res->version,
                       res->added_syscalls, res->added_capabilities);
        else if (res->version == 0)
                printf("%s: %s: no change (the observation holds no syscalls)\n", file, key);
        else
                printf("%s: %s: no change (version %" PRIu32 ")\n", file, key, res->version);
        return EXIT_OK;
}

typedef struct pending_report {
        jv *out; /* NULL: lines for people */
        int failed; /* observations reported as still pending */
} pending_report;

static void report_pending(void *userdata, const char *path, const char *image_key, int r,
                           const osl_merge_result *res, const osl_error *err)
{
        pending_report *p = userdata;
        if (r < 0) {
                osl_print_error(CMD, err);
                p->failed++;
        } else if (report_merge(p->out, path, image_key, res) != EXIT_OK)
                p->failed++;
}

/* merge --pending: what poststop hooks kept in RUNDIR/pending/. */
static int merge_pending(const options *o, const osl_global *g, jv *out)
{
        pending_report p = { .out = o->json ? out : NULL };
        osl_error err = {};

        if (o->n_args > 0)
                return USAGE_ERROR("merge", "--pending takes no IMAGE or files (each observation names its image)");
        int r = osl_pending_merge_all(g->store, g->run_dir, NULL, o->lock_timeout_ms, 0, report_pending, &p, &err);
        if (r < 0)
                return fail(&err, r);
        /* Each failure said so; the rest of those images' observations wait too. */
        if (r > p.failed)
                fprintf(stderr,
                        "oci-seccomp-learn " CMD ": %d more observation(s) of the same images left in %s/" OSL_PENDING_DIR
                        "\n",
                        r - p.failed, osl_rundir(g->run_dir));
        if (r == 0 && !o->json && jv_arr_len(out) == 0)
                printf("nothing pending in %s/" OSL_PENDING_DIR "\n", osl_rundir(g->run_dir));
        int status = r > 0 ? EXIT_FAILURE_ : EXIT_OK;
        if (o->json && (r = osl_cli_print_json(out, &err)) < 0)
                return fail(&err, r);
        return status;
}

static int profile_merge(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = {
                { "json", no_argument, NULL, OPT_JSON },
                { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
                { "pending", no_argument, NULL, OPT_PENDING },
                {},
        };
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_free_ char *key = NULL;
        _cleanup_(observations_clear) observations list = {};
        _cleanup_jv_ jv *out = jv_new_array();
        options o = { .lock_timeout_ms = OSL_LOCK_TIMEOUT_DEFAULT_MS };
        osl_error err = {};
        int r, status = EXIT_OK;

        if ((r = parse_options("merge", argc, argv, allowed, &o)) != 0)
                return r;
        if (!out)
                return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
        if (o.pending)
                return merge_pending(&o, g, out);
        if (o.n_args < 2)
                return USAGE_ERROR("merge", "%s",
                                   o.n_args == 0 ? "which IMAGE? (or --pending)" : "which OBSERVATION.json files?");
        if (!(list.items = calloc((size_t) o.n_args, sizeof(*list.items))))
                return fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
        if ((r = osl_cli_image_key(o.args[0], &key, &err)) < 0) {
                osl_print_error(CMD, &err);
                return EXIT_USAGE;
        }

        /* All files are read and checked first: bad input merges nothing. */
        for (int i = 1; i < o.n_args && status == EXIT_OK; i++) {
                _cleanup_strv_ char **unknown = NULL;
                if ((r = osl_observation_load(o.args[i], &list.items[list.n], &err)) < 0) {
                        osl_print_error(CMD, &err);
                        status = EXIT_FAILURE_;
                        break;
                }
                const osl_observation *ob = list.items[list.n++];
                if (ob->image_key && strcmp(ob->image_key, key) != 0) {
                        fprintf(stderr, "oci-seccomp-learn " CMD ": %s: the observation is of image %s, not %s\n",
                                o.args[i], ob->image_key, key);
                        status = EXIT_FAILURE_;
                        break;
                }
                if (osl_observation_unknown_syscalls(ob, &unknown, NULL) < 0) {
                        status = fail(&(osl_error) { -ENOMEM, "out of memory" }, -ENOMEM);
                        break;
                }
                for (char **u = unknown; *u; u++)
                        fprintf(stderr,
                                "oci-seccomp-learn " CMD ": warning: %s: syscall \"%s\" is not known to libseccomp; "
                                "kept in the profile\n",
                                o.args[i], *u);
        }

        if (status == EXIT_OK && (r = open_store(g, true, &store, &err)) < 0) {
                osl_print_error(CMD, &err);
                status = EXIT_FAILURE_;
        }
        if (store)
                osl_store_set_lock_timeout(store, o.lock_timeout_ms);
        for (int i = 0; i < list.n && status == EXIT_OK; i++) {
                const char *file = o.args[i + 1];
                osl_merge_result res = {};
                if ((r = osl_store_merge(store, key, list.items[i], &res, &err)) < 0) {
                        osl_err_prefix(&err, "%s", file);
                        osl_print_error(CMD, &err);
                        status = EXIT_FAILURE_;
                        break;
                }
                status = report_merge(o.json ? out : NULL, file, key, &res);
        }
        /* Print what was merged even after a failure: that part is stored. */
        if (o.json && jv_arr_len(out) > 0 && (r = osl_cli_print_json(out, &err)) < 0)
                return fail(&err, r);
        return status;
}

/* ---- prune, rm ---- */

static int profile_prune(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "keep", required_argument, NULL, OPT_KEEP },
                                                  { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
                                                  {} };
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_free_ char *key = NULL;
        options o = { .lock_timeout_ms = OSL_LOCK_TIMEOUT_DEFAULT_MS };
        osl_prune_result res;
        osl_error err = {};
        int r;

        if ((r = parse_options("prune", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args != 1)
                return o.n_args == 0 ? USAGE_ERROR("prune", "which IMAGE?")
                                     : USAGE_ERROR("prune", "unexpected argument '%s'", o.args[1]);
        if (o.keep == 0)
                return USAGE_ERROR("prune", "--keep N: how many versions to keep?");
        if ((r = osl_cli_image_key(o.args[0], &key, &err)) < 0 || (r = open_store(g, false, &store, &err)) < 0)
                return fail(&err, r);
        osl_store_set_lock_timeout(store, o.lock_timeout_ms);
        if ((r = osl_store_prune(store, key, o.keep, &res, &err)) < 0)
                return fail(&err, r);
        printf("%s: kept versions %" PRIu32 " to %" PRIu32 ", removed %zu older version%s\n", key, res.first_kept,
               res.version, res.removed, res.removed == 1 ? "" : "s");
        return EXIT_OK;
}

static int profile_rm(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = { { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT }, {} };
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_free_ char *key = NULL;
        options o = { .lock_timeout_ms = OSL_LOCK_TIMEOUT_DEFAULT_MS };
        osl_error err = {};
        int r;

        if ((r = parse_options("rm", argc, argv, allowed, &o)) != 0)
                return r;
        if (o.n_args != 1)
                return o.n_args == 0 ? USAGE_ERROR("rm", "which IMAGE?")
                                     : USAGE_ERROR("rm", "unexpected argument '%s'", o.args[1]);
        if ((r = osl_cli_image_key(o.args[0], &key, &err)) < 0 || (r = open_store(g, false, &store, &err)) < 0)
                return fail(&err, r);
        osl_store_set_lock_timeout(store, o.lock_timeout_ms);
        if ((r = osl_store_remove(store, key, &err)) < 0)
                return fail(&err, r);
        printf("%s: removed from %s\n", key, osl_store_root(store));
        return EXIT_OK;
}

/* ---- dispatch ---- */

static const struct {
        const char *name;
        int (*fn)(int argc, char **argv, const osl_global *g);
        const char *help;
} subcommands[] = {
        { "list", profile_list, list_help },
        { "show", profile_show, show_help },
        { "diff", profile_diff, diff_help },
        { "export", profile_export, export_help },
        { "install", profile_install, install_help },
        { "merge", profile_merge, merge_help },
        { "drift", profile_drift, drift_help },
        { "accept", profile_accept, accept_help },
        { "prune", profile_prune, prune_help },
        { "rm", profile_rm, rm_help },
        { "attach", cmd_profile_attach, cmd_profile_attach_help },
        { "fetch", cmd_profile_fetch, cmd_profile_fetch_help },
        { "push", cmd_profile_push, cmd_profile_push_help },
        { "pull", cmd_profile_pull, cmd_profile_pull_help },
        { "predict", cmd_profile_predict, cmd_profile_predict_help },
        { "coverage", cmd_profile_coverage, cmd_profile_coverage_help },
        { "check", cmd_profile_check, cmd_profile_check_help },
};

int cmd_profile(int argc, char **argv, const osl_global *g)
{
        int r = -1;

        if (argc < 2) {
                fputs(profile_help, stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                fputs(profile_help, stdout);
                return EXIT_OK;
        }
        for (size_t i = 0; i < ELEMENTSOF(subcommands) && r < 0; i++) {
                if (strcmp(argv[1], subcommands[i].name) != 0)
                        continue;
                if (osl_wants_help(argc - 1, argv + 1)) {
                        fputs(subcommands[i].help, stdout);
                        r = EXIT_OK;
                } else
                        r = subcommands[i].fn(argc - 1, argv + 1, g);
        }
        if (r < 0)
                return USAGE_ERROR(NULL, "unknown subcommand '%s'", argv[1]);
        /* Output that did not reach its reader is a failure, e.g. a full disk. */
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "oci-seccomp-learn " CMD ": cannot write the output: %m\n");
                return EXIT_FAILURE_;
        }
        return r;
}
