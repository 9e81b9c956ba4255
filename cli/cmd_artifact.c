/* SPDX-License-Identifier: Apache-2.0 */
/* profile attach | fetch | push | pull: a learned profile as an OCI 1.1
 * artifact that travels with its image, in an OCI image layout or in a
 * registry (doc/artifacts.md). The layout work is lib/oci_layout.c's, the
 * registry's lib/registry.c's; this parses options and says what was
 * done. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "commands.h"
#include "contribution.h"
#include "image.h"
#include "oci_layout.h"
#include "registry.h"
#include "store.h"

#define USAGE_ERROR(sub, ...) osl_cli_usage_error("profile", sub, __VA_ARGS__)

const char cmd_profile_attach_help[] =
        "Usage: oci-seccomp-learn profile attach IMAGE --oci-layout DIR [--version N]\n"
        "                                        [--manifest DIGEST | --tag TAG] [--artifact-tag NAME]\n"
        "\n"
        "Writes the learned seccomp profile of IMAGE (the JSON that 'profile export\n"
        "--format oci' prints) into the OCI image layout DIR as an OCI 1.1 artifact whose\n"
        "subject is the image's manifest, and adds it to DIR/index.json. The artifact is\n"
        "what CRI-O pulls for the annotation seccomp-profile.kubernetes.cri-o.io: artifact\n"
        "type and config media type " OSL_SECCOMP_ARTIFACT_TYPE ",\n"
        "one layer holding the profile. A profile attached to that image before is\n"
        "replaced; attaching the same version again changes nothing.\n"
        "\n"
        "  --oci-layout DIR     the OCI image layout, e.g. written by 'skopeo copy ... oci:DIR:TAG'\n"
        "  --version N          attach version N of the profile (default: the current one)\n"
        "  --manifest DIGEST    the image is the manifest sha256:... listed in DIR/index.json\n"
        "  --tag TAG            the image is the one tagged TAG in DIR/index.json\n"
        "                       (default: the only image in DIR)\n"
        "  --artifact-tag NAME  tag the artifact itself NAME in DIR/index.json, to copy or push it\n"
        "                       by name (skopeo copy oci:DIR:NAME docker://...)\n"
        "\n"
        "Exit codes: 0; 1 failure; 2 bad usage; 3 the image, version, manifest or tag\n"
        "is not there.\n";

const char cmd_profile_fetch_help[] =
        "Usage: oci-seccomp-learn profile fetch --oci-layout DIR IMAGE [--manifest DIGEST | --tag TAG]\n"
        "                                       [-o FILE]\n"
        "\n"
        "Prints the seccomp profile attached to the image in the OCI image layout DIR\n"
        "(by 'profile attach' or another tool): the artifact of type\n"
        OSL_SECCOMP_ARTIFACT_TYPE " whose subject is the image's\n"
        "manifest. The size and SHA-256 of every blob read are checked against its\n"
        "descriptor and its name first: a damaged or tampered layout is an error. When\n"
        "the artifact names the image it was learned for, that must be IMAGE.\n"
        "\n"
        "  --oci-layout DIR     the OCI image layout\n"
        "  --manifest DIGEST    the image is the manifest sha256:... listed in DIR/index.json\n"
        "  --tag TAG            the image is the one tagged TAG in DIR/index.json\n"
        "                       (default: the only image in DIR)\n"
        "  -o, --output FILE    write the profile to FILE (atomically) instead of stdout\n"
        "\n"
        "Exit codes: 0; 1 failure; 2 bad usage; 3 no profile is attached, or the\n"
        "manifest or tag is not there.\n";

const char cmd_profile_push_help[] =
        "Usage: oci-seccomp-learn profile push IMAGE --registry REF [--version N]\n"
        "                                      [--plain-http] [--authfile FILE] [--timeout SECONDS]\n"
        "\n"
        "Pushes the learned seccomp profile of IMAGE to the registry as the OCI 1.1\n"
        "artifact 'profile attach' builds, with the image REF names\n"
        "(HOST[:PORT]/REPOSITORY[:TAG|@DIGEST], already in the registry) as its subject.\n"
        "It is listed as a referrer of the image by the registry's referrers API, or,\n"
        "where the registry has none, in the referrers tag sha256-<hex>. Artifacts that\n"
        "others pushed for the image stay: each node adds its own.\n"
        "\n"
        "  --registry REF       the image in the registry\n"
        "  --version N          push version N of the profile (default: the current one)\n"
        "  --plain-http         speak http, not https, to a registry that is not on this\n"
        "                       machine (one on localhost or 127.0.0.1 always gets http)\n"
        "  --authfile FILE      credentials (default: $REGISTRY_AUTH_FILE,\n"
        "                       $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json)\n"
        "  --timeout SECONDS    per request (default: 60)\n"
        "\n"
        "Exit codes: 0; 1 failure; 2 bad usage; 3 the image or version is not stored, or\n"
        "REF is not in the registry.\n";

const char cmd_profile_pull_help[] =
        "Usage: oci-seccomp-learn profile pull IMAGE --registry REF\n"
        "                                      [--plain-http] [--authfile FILE] [--timeout SECONDS]\n"
        "\n"
        "Fetches every seccomp profile artifact attached to the image REF names in the\n"
        "registry (other nodes' 'profile push') and merges each into IMAGE's profile as\n"
        "one contribution: a new version when it brings a syscall that is new, and a\n"
        "history record that names the registry, repository and artifact digest. Every\n"
        "manifest and blob is checked (size and SHA-256) before anything is merged: a\n"
        "damaged or tampered artifact fails the pull and nothing is stored. Pulling the\n"
        "same artifacts again changes nothing.\n"
        "\n"
        "  --registry REF       the image in the registry\n"
        "  --plain-http, --authfile FILE, --timeout SECONDS   as for 'profile push'\n"
        "\n"
        "Exit codes: 0; 1 failure; 2 bad usage; 3 REF is not in the registry.\n";

enum {
        OPT_LAYOUT = 0x100,
        OPT_VERSION,
        OPT_MANIFEST,
        OPT_TAG,
        OPT_ARTIFACT_TAG,
        OPT_REGISTRY,
        OPT_PLAIN_HTTP,
        OPT_AUTHFILE,
        OPT_TIMEOUT,
        OPT_OUTPUT = 'o',
};

typedef struct artifact_options {
        bool to_registry; /* push, pull: --registry instead of --oci-layout */
        const char *registry;
        osl_registry_options net;
        const char *layout;
        bool has_version;
        uint32_t version;
        osl_oci_selector image;
        const char *artifact_tag;
        const char *output;
        char **args;
        int n_args;
} artifact_options;

static int fail(const char *sub, const osl_error *err, int r)
{
        char command[32];
        snprintf(command, sizeof(command), "profile %s", sub);
        osl_print_error(command, err);
        return osl_exit_code(r);
}

/* 1 to UINT32_MAX, decimal digits only. */
static bool parse_version(const char *s, uint32_t *out)
{
        uint64_t v = 0;
        if (!*s || strlen(s) > 10)
                return false;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v == 0 || v > UINT32_MAX)
                return false;
        *out = (uint32_t) v;
        return true;
}

static int parse_options(const char *sub, int argc, char **argv, const char *shortopts, const struct option *allowed,
                         artifact_options *o)
{
        optind = 0; /* glibc: a full reset, including permutation state */
        opterr = 0;
        for (;;) {
                int c = getopt_long(argc, argv, shortopts, allowed, NULL);
                if (c == -1)
                        break;
                switch (c) {
                case OPT_LAYOUT:
                        if (!*optarg)
                                return USAGE_ERROR(sub, "--oci-layout wants a directory");
                        o->layout = optarg;
                        break;
                case OPT_VERSION:
                        if (!parse_version(optarg, &o->version))
                                return USAGE_ERROR(sub, "--version wants a version number (1, 2, ...), not '%s'",
                                                   optarg);
                        o->has_version = true;
                        break;
                case OPT_MANIFEST:
                        if (!osl_oci_digest_is_sha256(optarg))
                                return USAGE_ERROR(sub, "--manifest wants a digest sha256:<64 hex digits>, not '%s'",
                                                   optarg);
                        o->image.digest = optarg;
                        break;
                case OPT_TAG:
                        if (!*optarg)
                                return USAGE_ERROR(sub, "--tag wants a tag");
                        o->image.tag = optarg;
                        break;
                case OPT_ARTIFACT_TAG:
                        if (!osl_oci_ref_name_valid(optarg))
                                return USAGE_ERROR(sub,
                                                   "--artifact-tag: '%s' cannot be a tag in an OCI image layout "
                                                   "(letters and digits joined by one of -._:@+ or --, parts "
                                                   "separated by /)",
                                                   optarg);
                        o->artifact_tag = optarg;
                        break;
                case OPT_OUTPUT:
                        if (!*optarg)
                                return USAGE_ERROR(sub, "--output wants a file");
                        o->output = optarg;
                        break;
                case OPT_REGISTRY:
                        if (!*optarg)
                                return USAGE_ERROR(sub, "--registry wants HOST[:PORT]/REPOSITORY[:TAG]");
                        o->registry = optarg;
                        break;
                case OPT_PLAIN_HTTP:
                        o->net.plain_http = true;
                        break;
                case OPT_AUTHFILE:
                        if (!*optarg)
                                return USAGE_ERROR(sub, "--authfile wants a file");
                        o->net.auth_file = optarg;
                        break;
                case OPT_TIMEOUT: {
                        uint32_t t;
                        if (!parse_version(optarg, &t) || t > 3600)
                                return USAGE_ERROR(sub, "--timeout wants seconds from 1 to 3600, not '%s'", optarg);
                        o->net.timeout = (long) t;
                        break;
                }
                case ':':
                        return USAGE_ERROR(sub, "option '%s' needs a value", argv[optind - 1]);
                default:
                        return USAGE_ERROR(sub, "unknown option '%s'", argv[optind - 1]);
                }
        }
        o->args = argv + optind;
        o->n_args = argc - optind;
        if (o->image.digest && o->image.tag)
                return USAGE_ERROR(sub, "--manifest and --tag both choose the image; give one");
        if (o->to_registry && !o->registry)
                return USAGE_ERROR(sub, "which image in which registry? (--registry HOST[:PORT]/REPOSITORY[:TAG])");
        if (!o->to_registry && !o->layout)
                return USAGE_ERROR(sub, "which OCI image layout? (--oci-layout DIR)");
        if (o->n_args == 0)
                return USAGE_ERROR(sub, "which IMAGE?");
        if (o->n_args > 1)
                return USAGE_ERROR(sub, "unexpected argument '%s'", o->args[1]);
        return 0;
}

/* Version v (0: current) of IMAGE's profile as an artifact; p->key: IMAGE's key. */
typedef struct profile_artifact {
        char *key;
        osl_profile_artifact a;
} profile_artifact;

static void profile_artifact_clear(profile_artifact *p)
{
        free(p->key);
        osl_profile_artifact_clear(&p->a);
}

static int profile_artifact_load(const osl_global *g, const char *image, uint32_t version, profile_artifact *p,
                                 osl_error *err)
{
        _cleanup_store_ osl_store *store = NULL;
        int r;

        if ((r = osl_cli_image_key(image, &p->key, err)) < 0 || (r = osl_store_open(g->store, false, &store, err)) < 0)
                return r;
        return osl_profile_artifact_make(store, p->key, version, &p->a, err);
}

int cmd_profile_attach(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = {
                { "oci-layout", required_argument, NULL, OPT_LAYOUT },
                { "version", required_argument, NULL, OPT_VERSION },
                { "manifest", required_argument, NULL, OPT_MANIFEST },
                { "tag", required_argument, NULL, OPT_TAG },
                { "artifact-tag", required_argument, NULL, OPT_ARTIFACT_TAG },
                {},
        };
        _cleanup_oci_layout_ osl_oci_layout *layout = NULL;
        _cleanup_(profile_artifact_clear) profile_artifact p = {};
        artifact_options o = {};
        osl_oci_attach_result res;
        osl_error err = {};
        int r;

        if (osl_wants_help(argc, argv)) {
                fputs(cmd_profile_attach_help, stdout);
                return EXIT_OK;
        }
        if ((r = parse_options("attach", argc, argv, ":", allowed, &o)) != 0)
                return r;
        if ((r = profile_artifact_load(g, o.args[0], o.has_version ? o.version : 0, &p, &err)) < 0)
                return fail("attach", &err, r);
        p.a.artifact.ref_name = o.artifact_tag;
        if ((r = osl_oci_layout_open(o.layout, &layout, &err)) < 0 ||
            (r = osl_oci_attach(layout, &o.image, &p.a.artifact, &res, &err)) < 0)
                return fail("attach", &err, r);

        const char *key = p.key;
        uint32_t version = p.a.learned->version;
        if (res.unchanged)
                printf("%s: version %" PRIu32 " is attached to %s in %s already (%s); nothing changed\n", key,
                       version, res.subject, o.layout, res.artifact);
        else if (res.replaced > 0)
                printf("%s: version %" PRIu32 " attached to %s in %s as %s (replacing %zu earlier)\n", key, version,
                       res.subject, o.layout, res.artifact, res.replaced);
        else
                printf("%s: version %" PRIu32 " attached to %s in %s as %s\n", key, version, res.subject, o.layout,
                       res.artifact);
        return EXIT_OK;
}

int cmd_profile_fetch(int argc, char **argv, const osl_global *g)
{
        static const struct option allowed[] = {
                { "oci-layout", required_argument, NULL, OPT_LAYOUT },
                { "manifest", required_argument, NULL, OPT_MANIFEST },
                { "tag", required_argument, NULL, OPT_TAG },
                { "output", required_argument, NULL, OPT_OUTPUT },
                {},
        };
        _cleanup_oci_layout_ osl_oci_layout *layout = NULL;
        _cleanup_seccomp_ osl_seccomp *parsed = NULL;
        _cleanup_jv_ jv *doc = NULL;
        _cleanup_free_ char *key = NULL;
        osl_oci_fetched f = {};
        artifact_options o = {};
        osl_error err = {};
        int r;

        if (osl_wants_help(argc, argv)) {
                fputs(cmd_profile_fetch_help, stdout);
                return EXIT_OK;
        }
        if ((r = parse_options("fetch", argc, argv, ":o:", allowed, &o)) != 0)
                return r;
        if ((r = osl_cli_image_key(o.args[0], &key, &err)) < 0 || (r = osl_oci_layout_open(o.layout, &layout, &err)) < 0 ||
            (r = osl_oci_fetch(layout, &o.image, OSL_SECCOMP_ARTIFACT_TYPE, OSL_OCI_MAX_PROFILE, &f, &err)) < 0)
                goto out;

        /* An artifact that says which image it was learned for must be
         * IMAGE's: a profile of another image must not be taken for it. */
        if ((r = osl_profile_artifact_check_image(&f, key, &err)) < 0) {
                osl_err_prefix(&err, "%s: the profile attached to %.19s (%.19s)", o.layout, f.subject, f.artifact);
                goto out;
        }
        /* Only a profile that engines can load is handed on. */
        if ((r = jv_parse(f.data, f.len, f.artifact, &doc, &err)) < 0 || (r = osl_seccomp_from_jv(doc, &parsed, &err)) < 0) {
                osl_err_prefix(&err, "%s: the artifact attached to %.19s is not a seccomp profile", o.layout, f.subject);
                goto out;
        }

        if (o.output)
                r = osl_write_file_atomic(o.output, f.data, f.len, 0644, &err);
        else if (fwrite(f.data, 1, f.len, stdout) != f.len)
                r = osl_err(&err, -EIO, "cannot write the profile to stdout");
out:
        osl_oci_fetched_clear(&f);
        return r < 0 ? fail("fetch", &err, r) : EXIT_OK;
}

/* ---- registries ---- */

static const struct option registry_options[] = {
        { "registry", required_argument, NULL, OPT_REGISTRY },
        { "plain-http", no_argument, NULL, OPT_PLAIN_HTTP },
        { "authfile", required_argument, NULL, OPT_AUTHFILE },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "version", required_argument, NULL, OPT_VERSION }, /* push only: checked there */
        {},
};

int cmd_profile_push(int argc, char **argv, const osl_global *g)
{
        _cleanup_(profile_artifact_clear) profile_artifact p = {};
        _cleanup_registry_ osl_registry *reg = NULL;
        artifact_options o = { .to_registry = true };
        osl_registry_push_result res;
        osl_error err = {};
        int r;

        if (osl_wants_help(argc, argv)) {
                fputs(cmd_profile_push_help, stdout);
                return EXIT_OK;
        }
        if ((r = parse_options("push", argc, argv, ":", registry_options, &o)) != 0)
                return r;
        if ((r = profile_artifact_load(g, o.args[0], o.has_version ? o.version : 0, &p, &err)) < 0 ||
            (r = osl_registry_open(o.registry, &o.net, &reg, &err)) < 0 ||
            (r = osl_registry_push_artifact(reg, &p.a.artifact, &res, &err)) < 0)
                return fail("push", &err, r);
        printf("%s: version %" PRIu32 " %s %s (%s) as %s, listed by %s%s\n", p.key, p.a.learned->version,
               res.listed_before ? "is in" : "pushed to", o.registry, res.subject, res.artifact,
               res.referrers_api ? "the registry's referrers API" : "the referrers tag sha256-",
               res.referrers_api ? "" : res.subject + strlen("sha256:"));
        return EXIT_OK;
}

int cmd_profile_pull(int argc, char **argv, const osl_global *g)
{
        _cleanup_registry_ osl_registry *reg = NULL;
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_free_ char *key = NULL;
        _cleanup_free_ osl_observation **obs = NULL;
        osl_registry_pulled pulled = {};
        artifact_options o = { .to_registry = true };
        osl_error err = {};
        size_t merged = 0;
        int r;

        if (osl_wants_help(argc, argv)) {
                fputs(cmd_profile_pull_help, stdout);
                return EXIT_OK;
        }
        if ((r = parse_options("pull", argc, argv, ":", registry_options, &o)) != 0)
                return r;
        if (o.has_version)
                return USAGE_ERROR("pull", "--version is for push: pull merges every profile it finds");
        if ((r = osl_cli_image_key(o.args[0], &key, &err)) < 0 || (r = osl_registry_open(o.registry, &o.net, &reg, &err)) < 0 ||
            (r = osl_registry_pull_artifacts(reg, OSL_SECCOMP_ARTIFACT_TYPE, OSL_OCI_MAX_PROFILE, &pulled, &err)) < 0)
                goto out;
        if (pulled.n == 0) {
                printf("%s: no seccomp profile is attached to %s (%s)\n", key, o.registry, pulled.subject);
                goto out;
        }
        if (!(obs = calloc(pulled.n, sizeof(*obs)))) {
                r = osl_err(&err, -ENOMEM, "out of memory");
                goto out;
        }
        /* Every artifact is checked and turned into a contribution first:
         * one that cannot be merged merges nothing. */
        for (size_t i = 0; i < pulled.n; i++) {
                const osl_oci_fetched *f = &pulled.artifacts[i];
                if ((r = osl_profile_artifact_check_image(f, key, &err)) < 0) {
                        osl_err_prefix(&err, "%s: the profile %.19s attached to %.19s", o.registry, f->artifact,
                                       f->subject);
                        goto out;
                }
                if ((r = osl_registry_contribution(reg, f, key, &obs[i], &err)) < 0)
                        goto out;
        }
        if ((r = osl_store_open(g->store, true, &store, &err)) < 0)
                goto out;
        for (size_t i = 0; i < pulled.n; i++, merged++) {
                osl_merge_result res;
                if ((r = osl_store_merge(store, key, obs[i], &res, &err)) < 0) {
                        osl_err_prefix(&err, "%s", pulled.artifacts[i].artifact);
                        goto out;
                }
                if (res.duplicate)
                        printf("%s: %s from %s: merged before; no change (version %" PRIu32 ")\n", key,
                               pulled.artifacts[i].artifact, o.registry, res.version);
                else if (res.new_version)
                        printf("%s: %s from %s: merged as version %" PRIu32 " (%zu syscalls added)\n", key,
                               pulled.artifacts[i].artifact, o.registry, res.version, res.added_syscalls);
                else
                        printf("%s: %s from %s: nothing new (version %" PRIu32 ")\n", key, pulled.artifacts[i].artifact,
                               o.registry, res.version);
        }
out:
        for (size_t i = 0; obs && i < pulled.n; i++)
                osl_observation_free(obs[i]);
        osl_registry_pulled_clear(&pulled);
        if (r < 0 && merged > 0)
                fprintf(stderr, "oci-seccomp-learn profile pull: %zu of the profiles were merged before this failure\n",
                        merged);
        return r < 0 ? fail("pull", &err, r) : EXIT_OK;
}
