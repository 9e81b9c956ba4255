/* SPDX-License-Identifier: Apache-2.0 */
/* A drop-in OCI runtime for containerd, CRI-O and Docker: on create and run
 * it rewrites the bundle's config for the container's mode, then execs the
 * real runtime with the arguments unchanged. Everything else passes through. */
#include <string.h>

#include "commands.h"
#include "inject.h"

#define RUNTIME_ENV "OCI_SECCOMP_LEARN_RUNTIME"
#define DEFAULT_MODE_ENV "OCI_SECCOMP_LEARN_DEFAULT_MODE"
#define MISSING_PROFILE_ENV "OCI_SECCOMP_LEARN_MISSING_PROFILE"
#define TRUST_IMAGE_ANNOTATION_ENV "OCI_SECCOMP_LEARN_TRUST_IMAGE_ANNOTATION"

static const char runtime_help[] =
        "Usage: oci-seccomp-learn runtime [--runtime PATH] RUNTIME-ARGS...\n"
        "       oci-seccomp-learn-runc RUNTIME-ARGS...\n"
        "\n"
        "An OCI runtime wrapper. On 'create' and 'run' it puts the filter for the\n"
        "container's mode (annotation io.seccomp-learn.mode) into the bundle's\n"
        "config.json, found from --bundle/-b or the working directory as runc does,\n"
        "then execs the real runtime with the same arguments. Every other command\n"
        "and flag passes through untouched. In learn mode a failure to inject is\n"
        "reported and the container runs as configured.\n"
        "\n"
        "  --runtime PATH  the real runtime (default $" RUNTIME_ENV " or runc)\n"
        "\n"
        "Environment: " DEFAULT_MODE_ENV " sets the mode for containers without\n"
        "the annotation (default off); " RUNTIME_ENV " the real runtime;\n"
        MISSING_PROFILE_ENV "=run lets an enforce-mode container whose image has no\n"
        "stored profile start with its own profile (default refuse);\n"
        TRUST_IMAGE_ANNOTATION_ENV "=1 lets io.seccomp-learn.image name the image\n"
        "even where the engine names another (default: the engine's name wins).\n";

/* runc's global flags that take a value; needed to find the subcommand. */
static bool global_flag_takes_value(const char *arg)
{
        static const char *const flags[] = { "--root", "--log", "--log-format", "--criu", "--rootless" };
        if (strchr(arg, '='))
                return false;
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (strcmp(arg, flags[i]) == 0 || (arg[1] != '-' && strcmp(arg + 1, flags[i] + 2) == 0))
                        return true;
        return false;
}

/* The bundle of a create/run command line, as runc finds it. */
static const char *find_bundle(int argc, char **argv, int sub)
{
        for (int i = sub + 1; i < argc; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--") == 0)
                        break;
                if ((strcmp(a, "--bundle") == 0 || strcmp(a, "-b") == 0 || strcmp(a, "-bundle") == 0) && i + 1 < argc)
                        return argv[i + 1];
                if (strncmp(a, "--bundle=", 9) == 0)
                        return a + 9;
                if (strncmp(a, "-b=", 3) == 0)
                        return a + 3;
        }
        return ".";
}

int cmd_runtime(int argc, char **argv, const osl_global *g)
{
        const char *runtime = getenv(RUNTIME_ENV);
        int first = 1; /* the first argument that belongs to the runtime */
        if (!g->as_runtime) {
                if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                        fputs(runtime_help, stdout);
                        return EXIT_OK;
                }
                if (argc > 2 && strcmp(argv[1], "--runtime") == 0) {
                        runtime = argv[2];
                        first = 3;
                }
        }
        if (!runtime || !*runtime)
                runtime = "runc";

        int sub = first;
        while (sub < argc && argv[sub][0] == '-') {
                if (global_flag_takes_value(argv[sub]))
                        sub++;
                sub++;
        }
        if (sub < argc && (strcmp(argv[sub], "create") == 0 || strcmp(argv[sub], "run") == 0)) {
                _cleanup_free_ char *self = NULL;
                osl_error err = {};
                osl_inject_options opts = {
                        .store_root = g->store,
                        .run_dir = g->run_dir,
                        .default_mode = getenv(DEFAULT_MODE_ENV),
                        .trust_image_annotation = getenv(TRUST_IMAGE_ANNOTATION_ENV) &&
                                                  strcmp(getenv(TRUST_IMAGE_ANNOTATION_ENV), "1") == 0,
                };
                const char *missing = getenv(MISSING_PROFILE_ENV);
                if (missing && osl_parse_missing_profile(missing, &opts.missing_profile_runs) < 0) {
                        fprintf(stderr, "oci-seccomp-learn runtime: $%s takes refuse or run, not '%s'\n",
                                MISSING_PROFILE_ENV, missing);
                        return EXIT_USAGE;
                }
                if (osl_self_path(&self, &err) < 0)
                        osl_print_error("runtime", &err);
                opts.hook_binary = self;
                opts.bundle = find_bundle(argc, argv, sub);
                /* Fails only outside learn mode: an enforced container
                 * whose profile is missing must not start. */
                if (osl_inject_bundle("runtime", opts.bundle, &opts) < 0)
                        return EXIT_FAILURE_;
        }

        /* argv[first - 1] becomes the runtime's argv[0]. */
        char **rargv = argv + first - 1;
        rargv[0] = (char *) runtime;
        execvp(runtime, rargv);
        fprintf(stderr, "oci-seccomp-learn runtime: cannot run %s: %m\n", runtime);
        return 127;
}
