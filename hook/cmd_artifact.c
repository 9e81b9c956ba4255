/* SPDX-License-Identifier: Apache-2.0 */
/* profile attach | fetch: a learned profile as an OCI 1.1 artifact that
 * travels with its image in an OCI image layout (doc/artifacts.md). The
 * layout work is lib/oci_layout.c's; this parses options and says what was
 * done. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "commands.h"
#include "image.h"
#include "oci_layout.h"
#include "store.h"

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

enum { OPT_LAYOUT = 0x100, OPT_VERSION, OPT_MANIFEST, OPT_TAG, OPT_ARTIFACT_TAG, OPT_OUTPUT = 'o' };

typedef struct artifact_options {
        const char *layout;
        bool has_version;
        uint32_t version;
        osl_oci_selector image;
        const char *artifact_tag;
        const char *output;
        char **args;
        int n_args;
} artifact_options;

static int usage_error(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *sub, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "oci-seccomp-learn profile %s: %s (see 'oci-seccomp-learn profile %s --help')\n", sub, msg,
                sub);
        return EXIT_USAGE;
}

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
                                return usage_error(sub, "--oci-layout wants a directory");
                        o->layout = optarg;
                        break;
                case OPT_VERSION:
                        if (!parse_version(optarg, &o->version))
                                return usage_error(sub, "--version wants a version number (1, 2, ...), not '%s'",
                                                   optarg);
                        o->has_version = true;
                        break;
                case OPT_MANIFEST:
                        if (!osl_oci_digest_is_sha256(optarg))
                                return usage_error(sub, "--manifest wants a digest sha256:<64 hex digits>, not '%s'",
                                                   optarg);
                        o->image.digest = optarg;
                        break;
                case OPT_TAG:
                        if (!*optarg)
                                return usage_error(sub, "--tag wants a tag");
                        o->image.tag = optarg;
                        break;
                case OPT_ARTIFACT_TAG:
                        if (!osl_oci_ref_name_valid(optarg))
                                return usage_error(sub,
                                                   "--artifact-tag: '%s' cannot be a tag in an OCI image layout "
                                                   "(letters and digits joined by one of -._:@+ or --, parts "
                                                   "separated by /)",
                                                   optarg);
                        o->artifact_tag = optarg;
                        break;
                case OPT_OUTPUT:
                        if (!*optarg)
                                return usage_error(sub, "--output wants a file");
                        o->output = optarg;
                        break;
                case ':':
                        return usage_error(sub, "option '%s' needs a value", argv[optind - 1]);
                default:
                        return usage_error(sub, "unknown option '%s'", argv[optind - 1]);
                }
        }
        o->args = argv + optind;
        o->n_args = argc - optind;
        if (o->image.digest && o->image.tag)
                return usage_error(sub, "--manifest and --tag both choose the image; give one");
        if (!o->layout)
                return usage_error(sub, "which OCI image layout? (--oci-layout DIR)");
        if (o->n_args == 0)
                return usage_error(sub, "which IMAGE?");
        if (o->n_args > 1)
                return usage_error(sub, "unexpected argument '%s'", o->args[1]);
        return 0;
}

static int image_key_of(const char *arg, char **key, osl_error *err)
{
        osl_image img = {};
        int r = osl_image_parse_ref(arg, &img, err);
        if (r >= 0)
                *key = TAKE_PTR(img.key);
        osl_image_clear(&img);
        if (r < 0)
                return osl_err_prefix(err, "image \"%.200s\"", arg);
        return 0;
}

/* When version l->version was made (its history record), so that the
 * artifact of a version is the same bytes whenever it is attached. */
static void version_time(const osl_learned *l, char buf[static 32])
{
        const char *t = jv_str(jv_obj_get(jv_arr_at(l->history, l->version - 1), "time"));
        if (t && strlen(t) < 32)
                snprintf(buf, 32, "%s", t);
        else
                osl_now_rfc3339(buf);
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
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_oci_layout_ osl_oci_layout *layout = NULL;
        _cleanup_free_ char *key = NULL, *profile = NULL;
        artifact_options o = {};
        osl_oci_attach_result res;
        osl_error err = {};
        char created[32], version[16];
        size_t len;
        int r;

        if (osl_wants_help(argc, argv)) {
                fputs(cmd_profile_attach_help, stdout);
                return EXIT_OK;
        }
        if ((r = parse_options("attach", argc, argv, ":", allowed, &o)) != 0)
                return r;
        if ((r = image_key_of(o.args[0], &key, &err)) < 0 || (r = osl_store_open(g->store, false, &store, &err)) < 0 ||
            (r = osl_store_load(store, key, o.has_version ? o.version : 0, &l, &err)) < 0 ||
            (r = osl_learned_export(l, OSL_EXPORT_OCI, &profile, &len, &err)) < 0)
                return fail("attach", &err, r);
        if (len > OSL_OCI_MAX_PROFILE) {
                r = osl_err(&err, -EFBIG, "%s: the profile is %zu bytes, more than the %u CRI-O takes", key, len,
                            OSL_OCI_MAX_PROFILE);
                return fail("attach", &err, r);
        }

        version_time(l, created);
        snprintf(version, sizeof(version), "%" PRIu32, l->version);
        char *const annotations[] = {
                OSL_OCI_ANNOTATION_CREATED, created, OSL_ANNOTATION_IMAGE, key, OSL_ANNOTATION_VERSION, version, NULL,
        };
        const osl_oci_artifact artifact = {
                .artifact_type = OSL_SECCOMP_ARTIFACT_TYPE,
                .layer_media_type = OSL_SECCOMP_LAYER_MEDIA_TYPE,
                .layer_title = OSL_SECCOMP_LAYER_TITLE,
                .data = profile,
                .len = len,
                .annotations = annotations,
                .ref_name = o.artifact_tag,
        };
        if ((r = osl_oci_layout_open(o.layout, &layout, &err)) < 0 ||
            (r = osl_oci_attach(layout, &o.image, &artifact, &res, &err)) < 0)
                return fail("attach", &err, r);

        if (res.unchanged)
                printf("%s: version %" PRIu32 " is attached to %s in %s already (%s); nothing changed\n", key,
                       l->version, res.subject, o.layout, res.artifact);
        else if (res.replaced > 0)
                printf("%s: version %" PRIu32 " attached to %s in %s as %s (replacing %zu earlier)\n", key, l->version,
                       res.subject, o.layout, res.artifact, res.replaced);
        else
                printf("%s: version %" PRIu32 " attached to %s in %s as %s\n", key, l->version, res.subject, o.layout,
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
        if ((r = image_key_of(o.args[0], &key, &err)) < 0 || (r = osl_oci_layout_open(o.layout, &layout, &err)) < 0 ||
            (r = osl_oci_fetch(layout, &o.image, OSL_SECCOMP_ARTIFACT_TYPE, OSL_OCI_MAX_PROFILE, &f, &err)) < 0)
                goto out;

        /* An artifact that says which image it was learned for must be
         * IMAGE's: a profile of another image must not be taken for it. */
        const char *learned_for = jv_str(jv_obj_get(f.annotations, OSL_ANNOTATION_IMAGE));
        if (learned_for && strcmp(learned_for, key) != 0) {
                r = osl_err(&err, -EINVAL, "%s: the profile attached to %.19s (%.19s) is for %.200s, not %s", o.layout,
                            f.subject, f.artifact, learned_for, key);
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
