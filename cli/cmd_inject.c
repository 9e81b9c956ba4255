/* SPDX-License-Identifier: Apache-2.0 */
/* inject BUNDLE: for runc users and tests. precreate: podman's precreate
 * hook stage (config.json on stdin, the new config on stdout). */
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <syslog.h>

#include "commands.h"
#include "families.h"
#include "inject.h"
#include "oci_config.h"

int osl_hook_binary(char **out, osl_error *err)
{
        char buf[PATH_MAX];
        _cleanup_free_ char *hook = NULL;
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n < 0)
                return osl_err(err, -errno, "cannot find our own executable (/proc/self/exe): %m");
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (slash && strcmp(slash + 1, OSL_HOOK_BINARY_NAME) != 0) {
                if (osl_asprintf(&hook, "%.*s/" OSL_HOOK_BINARY_NAME, (int) (slash - buf), buf) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if (access(hook, X_OK) == 0) {
                        *out = TAKE_PTR(hook);
                        return 0;
                }
        }
        if (!(*out = strdup(buf)))
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_parse_missing_profile(const char *s, bool *runs)
{
        if (strcmp(s, "refuse") == 0)
                *runs = false;
        else if (strcmp(s, "run") == 0)
                *runs = true;
        else
                return -EINVAL;
        return 0;
}

void osl_inject_report(const char *command, const char *where, const osl_inject_result *res, char *buf, size_t size)
{
        size_t n = 0;
        buf[0] = '\0';
#define ADD(...) (n += (size_t) snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__))
        if (res->warning[0])
                ADD("oci-seccomp-learn %s: %s: %s\n", command, where, res->warning);
        if (res->mode == OSL_MODE_LEARN && res->learning)
                ADD("oci-seccomp-learn %s: %s: learn mode for image %s: %zu syscalls notified "
                    "(stored profile version %u)\n",
                    command, where, res->image_key, res->notified, res->version);
        else if (res->mode == OSL_MODE_COMPLAIN && res->changed)
                ADD("oci-seccomp-learn %s: %s: complain mode for image %s: profile version %u, %zu syscalls "
                    "outside it reported\n",
                    command, where, res->image_key, res->version, res->notified);
        else if (res->mode == OSL_MODE_ENFORCE && res->changed)
                ADD("oci-seccomp-learn %s: %s: enforce mode for image %s: profile version %u\n", command, where,
                    res->image_key, res->version);
#undef ADD
}

static void report(const char *command, const char *where, const osl_inject_result *res)
{
        char text[3072];
        osl_inject_report(command, where, res, text, sizeof(text));
        fputs(text, stderr);
}

int osl_inject_bundle(const char *command, const char *bundle, const osl_inject_options *opts)
{
        osl_inject_result res = {};
        osl_error err = {};
        char where[2048];
        snprintf(where, sizeof(where), "%s/config.json", bundle);

        int r = osl_inject_bundle_config(bundle, opts, &res, &err);
        if (r < 0 && res.mode == OSL_MODE_LEARN) {
                /* Learning must never stop a container: the config stays as it was. */
                osl_err_prefix(&err, "learning is off for this container");
                osl_print_error(command, &err);
                return 0;
        }
        if (r < 0) {
                osl_print_error(command, &err);
                /* Exit code 3 is for a missing image or version; a missing
                 * config is a plain failure. */
                return res.mode == OSL_MODE_OFF && r == -ENOENT ? -EINVAL : r;
        }
        report(command, where, &res);
        return 0;
}

static const char inject_help[] =
        "Usage: oci-seccomp-learn inject [OPTIONS] BUNDLE\n"
        "\n"
        "Puts the filter for the container's mode into BUNDLE/config.json (atomically).\n"
        "The mode is --mode, else the annotation io.seccomp-learn.mode, else --default-mode.\n"
        "  learn     a learning filter (seccomp user notification to the agent) and our\n"
        "            prestart and poststop hooks; if the agent is not listening, the\n"
        "            config keeps its own filter and a warning says why\n"
        "  complain  the image's stored profile; calls outside it are logged\n"
        "  enforce   the image's stored profile (the annotation io.seccomp-learn.version\n"
        "            pins a version); calls outside it fail with EPERM\n"
        "  off       the config is not touched\n"
        "\n"
        "Options:\n"
        "  --mode MODE            learn, complain, enforce or off\n"
        "  --default-mode MODE    the mode when the config has no annotation (default off)\n"
        "  --default-action ACT   enforce: errno (EPERM, the default) or kill\n"
        "  --missing-profile WHAT complain/enforce for an image with no stored profile:\n"
        "                         refuse (the default: the container does not start)\n"
        "                         or run (with its own seccomp profile, and a warning)\n"
        "  --no-hooks             do not add our prestart and poststop hooks\n"
        "  --generalize POLICY    complain/enforce: families (the default) also allows the\n"
        "                         syscalls of a learned one's family (writev for write,\n"
        "                         doc/profiles.md); none allows only what was learned\n"
        "  --include WHAT         complain/enforce: observed (the default), or predicted:\n"
        "                         also the image's predicted set ('profile predict')\n"
        "  --method METHOD        learn/complain: notify (the default: the agent sees each\n"
        "                         new call) or log (SECCOMP_RET_LOG: the kernel logs it,\n"
        "                         the agent's audit collector attributes it; doc/learning.md)\n"
        "  --trust-image-annotation\n"
        "                         let io.seccomp-learn.image name the image even where the\n"
        "                         engine names another (a node admin's choice: whoever sets\n"
        "                         annotations then chooses whose profile is used)\n"
        "  -h, --help             this text\n";

static const char precreate_help[] =
        "Usage: oci-seccomp-learn precreate [OPTIONS]\n"
        "\n"
        "An OCI precreate hook (podman's hooks.d): reads config.json on stdin and writes\n"
        "the config for its mode to stdout. Same options as inject, except --no-hooks:\n"
        "podman runs our prestart and poststop hooks from hooks.d. In learn mode a\n"
        "failure never stops the container: the config is passed through unchanged.\n";

typedef struct inject_cli {
        osl_inject_options opts;
        bool no_hooks;
} inject_cli;

static int parse_common(int argc, char **argv, inject_cli *cli, const char *help)
{
        enum { OPT_MODE = 256, OPT_DEFAULT_MODE, OPT_DEFAULT_ACTION, OPT_NO_HOOKS, OPT_MISSING_PROFILE, OPT_TRUST_IMAGE,
               OPT_GENERALIZE, OPT_INCLUDE, OPT_METHOD };
        static const struct option options[] = {
                { "mode", required_argument, NULL, OPT_MODE },
                { "default-mode", required_argument, NULL, OPT_DEFAULT_MODE },
                { "default-action", required_argument, NULL, OPT_DEFAULT_ACTION },
                { "no-hooks", no_argument, NULL, OPT_NO_HOOKS },
                { "missing-profile", required_argument, NULL, OPT_MISSING_PROFILE },
                { "trust-image-annotation", no_argument, NULL, OPT_TRUST_IMAGE },
                { "generalize", required_argument, NULL, OPT_GENERALIZE },
                { "include", required_argument, NULL, OPT_INCLUDE },
                { "method", required_argument, NULL, OPT_METHOD },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        osl_mode mode;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
                switch (c) {
                case OPT_MODE:
                case OPT_DEFAULT_MODE:
                        if (osl_mode_parse(optarg, &mode) < 0) {
                                fprintf(stderr, "oci-seccomp-learn %s: unknown mode '%s' (learn, complain, enforce, off)\n",
                                        argv[0], optarg);
                                return -EINVAL;
                        }
                        *(c == OPT_MODE ? &cli->opts.mode : &cli->opts.default_mode) = optarg;
                        break;
                case OPT_DEFAULT_ACTION:
                        if (strcmp(optarg, "errno") == 0)
                                cli->opts.enforce_default_action = "SCMP_ACT_ERRNO";
                        else if (strcmp(optarg, "kill") == 0)
                                cli->opts.enforce_default_action = "SCMP_ACT_KILL_PROCESS";
                        else {
                                fprintf(stderr, "oci-seccomp-learn %s: --default-action takes errno or kill, not '%s'\n",
                                        argv[0], optarg);
                                return -EINVAL;
                        }
                        break;
                case OPT_NO_HOOKS:
                        cli->no_hooks = true;
                        break;
                case OPT_TRUST_IMAGE:
                        cli->opts.trust_image_annotation = true;
                        break;
                case OPT_GENERALIZE: {
                        osl_generalize ignored;
                        if (osl_generalize_parse(optarg, &ignored) < 0) {
                                fprintf(stderr, "oci-seccomp-learn %s: --generalize takes families or none, not '%s'\n",
                                        argv[0], optarg);
                                return -EINVAL;
                        }
                        cli->opts.generalize = optarg;
                        break;
                }
                case OPT_INCLUDE:
                        if (strcmp(optarg, "observed") != 0 && strcmp(optarg, "predicted") != 0) {
                                fprintf(stderr, "oci-seccomp-learn %s: --include takes observed or predicted, not '%s'\n",
                                        argv[0], optarg);
                                return -EINVAL;
                        }
                        cli->opts.include = optarg;
                        break;
                case OPT_METHOD: {
                        bool ignored;
                        if (osl_method_parse(optarg, &ignored) < 0) {
                                fprintf(stderr, "oci-seccomp-learn %s: --method takes notify or log, not '%s'\n",
                                        argv[0], optarg);
                                return -EINVAL;
                        }
                        cli->opts.method = optarg;
                        break;
                }
                case OPT_MISSING_PROFILE:
                        if (osl_parse_missing_profile(optarg, &cli->opts.missing_profile_runs) < 0) {
                                fprintf(stderr, "oci-seccomp-learn %s: --missing-profile takes refuse or run, not '%s'\n",
                                        argv[0], optarg);
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        fputs(help, stdout);
                        return 1;
                default:
                        return -EINVAL;
                }
        }
        return 0;
}

int cmd_inject(int argc, char **argv, const osl_global *g)
{
        inject_cli cli = { .opts = { .store_root = g->store, .run_dir = g->run_dir } };
        _cleanup_free_ char *self = NULL;
        osl_error err = {};

        int r = parse_common(argc, argv, &cli, inject_help);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        if (optind != argc - 1) {
                fprintf(stderr, "oci-seccomp-learn inject: expected one BUNDLE directory (see --help)\n");
                return EXIT_USAGE;
        }
        if (!cli.no_hooks) {
                if (osl_hook_binary(&self, &err) < 0) {
                        osl_print_error("inject", &err);
                        return EXIT_FAILURE_;
                }
                cli.opts.hook_binary = self;
        }
        cli.opts.bundle = argv[optind];
        return osl_exit_code(osl_inject_bundle("inject", argv[optind], &cli.opts));
}

int cmd_precreate(int argc, char **argv, const osl_global *g)
{
        inject_cli cli = { .opts = { .store_root = g->store, .run_dir = g->run_dir } };
        _cleanup_free_ char *input = NULL, *output = NULL;
        _cleanup_jv_ jv *cfg = NULL;
        osl_inject_result res = {};
        osl_error err = {};
        size_t len, out_len = 0;

        int r = parse_common(argc, argv, &cli, precreate_help);
        if (r != 0)
                return r > 0 ? EXIT_OK : EXIT_USAGE;
        if (optind != argc) {
                fprintf(stderr, "oci-seccomp-learn precreate: takes no arguments, the config comes on stdin\n");
                return EXIT_USAGE;
        }
        r = osl_read_fd(STDIN_FILENO, "the config on stdin", OSL_CONFIG_MAX_BYTES, &input, &len, &err);
        if (r >= 0)
                r = osl_config_parse(input, len, "the config on stdin", &cfg, &err);
        if (r >= 0)
                r = osl_inject(cfg, &cli.opts, &res, &err);
        if (r >= 0 && res.changed)
                r = jv_serialize(cfg, false, &output, &out_len, &err);
        if (r < 0 && osl_mode_failure_runs(res.mode, false, NULL)) {
                /* podman drops a precreate hook's stderr, hence the hook
                 * log too. */
                osl_err_prefix(&err, "learning is off for this container");
                osl_hook_log(g->run_dir, LOG_WARNING, "precreate: %s", err.msg);
                free(output);
                output = NULL;
        } else if (r < 0) {
                osl_hook_log(g->run_dir, LOG_ERR, "precreate: %s", err.msg);
                return EXIT_FAILURE_;
        } else if (res.warning[0])
                osl_hook_log(g->run_dir, LOG_WARNING, "precreate: %s", res.warning);
        else
                report("precreate", "config", &res);
        if (!output) {
                output = TAKE_PTR(input);
                out_len = len;
        }
        if (fwrite(output, 1, out_len, stdout) != out_len || fflush(stdout) != 0) {
                fprintf(stderr, "oci-seccomp-learn precreate: cannot write the config to stdout: %m\n");
                return EXIT_FAILURE_;
        }
        return EXIT_OK;
}
