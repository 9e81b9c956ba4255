/* SPDX-License-Identifier: Apache-2.0 */
/* A drop-in OCI runtime for containerd, CRI-O and Docker: on create and run
 * it rewrites the bundle's config for the container's mode, then execs the
 * real runtime with the arguments unchanged. Everything else passes through. */
#include <fcntl.h>
#include <string.h>
#include <syslog.h>

#include "commands.h"
#include "inject.h"
#include "json.h"

#define RUNTIME_ENV "OCI_SECCOMP_LEARN_RUNTIME"
#define DEFAULT_MODE_ENV "OCI_SECCOMP_LEARN_DEFAULT_MODE"
#define DEFAULT_IMAGE_ENV "OCI_SECCOMP_LEARN_DEFAULT_IMAGE"
#define MISSING_PROFILE_ENV "OCI_SECCOMP_LEARN_MISSING_PROFILE"
#define TRUST_IMAGE_ANNOTATION_ENV "OCI_SECCOMP_LEARN_TRUST_IMAGE_ANNOTATION"
#define GENERALIZE_ENV "OCI_SECCOMP_LEARN_GENERALIZE"
#define INCLUDE_ENV "OCI_SECCOMP_LEARN_INCLUDE"
#define METHOD_ENV "OCI_SECCOMP_LEARN_METHOD"

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
        "the annotation (default off); " DEFAULT_IMAGE_ENV " names the image of\n"
        "containers whose engine and annotations name none; " RUNTIME_ENV " the\n"
        "real runtime;\n"
        MISSING_PROFILE_ENV "=run lets an enforce-mode container whose image has no\n"
        "stored profile start with its own profile (default refuse);\n"
        TRUST_IMAGE_ANNOTATION_ENV "=1 lets io.seccomp-learn.image name the image\n"
        "even where the engine names another (default: the engine's name wins);\n"
        GENERALIZE_ENV "=none|families the enforce policy for syscall families;\n"
        INCLUDE_ENV "=observed|predicted whether enforce allows the predicted set;\n"
        METHOD_ENV "=notify|log how learn and complain mode see calls (doc/learning.md).\n";

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

/* runc's own log (--log, --log-format): containerd reads a runtime's
 * messages from there, and nothing of ours may go to the runtime's stdout
 * or stderr when it succeeds (doc/engines.md). */
typedef struct runtime_log {
        const char *path;
        bool json;
} runtime_log;

static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
        const char *a = argv[*i];
        size_t n = strlen(name);
        if (a[0] != '-')
                return NULL;
        a += a[1] == '-' ? 2 : 1; /* runc takes -log and --log */
        if (strncmp(a, name, n) != 0)
                return NULL;
        if (a[n] == '=')
                return a + n + 1;
        if (a[n] == '\0' && *i + 1 < argc)
                return argv[++*i];
        return NULL;
}

static void find_runtime_log(int argc, char **argv, int first, int sub, runtime_log *log)
{
        for (int i = first; i < sub; i++) {
                const char *v;
                if ((v = flag_value(argc, argv, &i, "log-format")))
                        log->json = strcmp(v, "json") == 0;
                else if ((v = flag_value(argc, argv, &i, "log")))
                        log->path = v;
        }
}

/* One line into runc's log, in its format (logrus: text or json). */
static void runtime_log_write(const runtime_log *log, const char *level, const char *msg)
{
        char stamp[32];
        _cleanup_free_ char *line = NULL;
        size_t len = 0;

        if (!log->path)
                return;
        osl_now_rfc3339(stamp);
        if (log->json) {
                _cleanup_jv_ jv *o = jv_new_object();
                if (!o || jv_obj_set(o, "level", jv_new_string(level)) < 0 || jv_obj_set(o, "msg", jv_new_string(msg)) < 0 ||
                    jv_obj_set(o, "time", jv_new_string(stamp)) < 0 || jv_serialize(o, false, &line, &len, NULL) < 0)
                        return;
        } else {
                /* logrus quotes msg as Go's %q does: escape '"' and '\'. */
                size_t n = strlen(msg);
                _cleanup_free_ char *quoted = malloc(2 * n + 1);
                size_t q = 0;
                if (!quoted)
                        return;
                for (size_t i = 0; i < n; i++) {
                        if (msg[i] == '"' || msg[i] == '\\')
                                quoted[q++] = '\\';
                        quoted[q++] = msg[i];
                }
                quoted[q] = '\0';
                if (osl_asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"\n", stamp, level, quoted) < 0)
                        return;
                len = strlen(line);
        }
        _cleanup_close_ int fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd >= 0 && write(fd, line, len) < 0)
                return;
}

/* Each line of text to the hooks log, syslog and runc's log. */
static void log_lines(const osl_global *g, const runtime_log *log, int priority, char *text)
{
        const char *level = priority <= LOG_ERR ? "error" : priority == LOG_WARNING ? "warning" : "info";
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                osl_hook_log_quiet(g->run_dir, priority, line);
                runtime_log_write(log, level, line);
        }
}

/* Puts the mode's filter into the bundle. < 0 only when the container must
 * not start (enforce or complain that cannot be applied); then the reason
 * is on stderr too. Otherwise nothing of ours reaches stdout or stderr. */
static int inject(const osl_global *g, const osl_inject_options *opts, runtime_log *log)
{
        osl_inject_result res = {};
        osl_error err = {};
        char text[6000], where[2048];
        int r = osl_inject_bundle_config(opts->bundle, opts, &res, &err);

        snprintf(where, sizeof(where), "%s/config.json", opts->bundle);
        if (r >= 0) {
                osl_inject_report("runtime", where, &res, text, sizeof(text));
                log_lines(g, log, res.warning[0] ? LOG_WARNING : LOG_INFO, text);
                return 0;
        }
        /* A config we could not read: the runtime reports what is wrong
         * with it, unless the default mode must not run blind. */
        if (osl_mode_failure_runs(res.mode, true, opts->default_mode)) {
                snprintf(text, sizeof(text), "oci-seccomp-learn runtime: %s: %s%s", where,
                         res.mode == OSL_MODE_LEARN ? "learning is off for this container: " : "", err.msg);
                log_lines(g, log, LOG_WARNING, text);
                return 0;
        }
        osl_print_error("runtime", &err);
        snprintf(text, sizeof(text), "oci-seccomp-learn runtime: %s: %s", where, err.msg);
        log_lines(g, log, LOG_ERR, text);
        return r;
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
        if (sub < argc && (strcmp(argv[sub], "create") == 0 || strcmp(argv[sub], "run") == 0) &&
            !osl_wants_help(argc - sub, argv + sub)) {
                _cleanup_free_ char *self = NULL;
                osl_error err = {};
                osl_inject_options opts = {
                        .store_root = g->store,
                        .run_dir = g->run_dir,
                        .default_mode = getenv(DEFAULT_MODE_ENV),
                        .default_image = getenv(DEFAULT_IMAGE_ENV),
                        .trust_image_annotation = getenv(TRUST_IMAGE_ANNOTATION_ENV) &&
                                                  strcmp(getenv(TRUST_IMAGE_ANNOTATION_ENV), "1") == 0,
                        .generalize = getenv(GENERALIZE_ENV),
                        .include = getenv(INCLUDE_ENV),
                        .method = getenv(METHOD_ENV),
                };
                bool ignored;
                if (opts.method && osl_method_parse(opts.method, &ignored) < 0) {
                        fprintf(stderr, "oci-seccomp-learn runtime: $%s takes notify or log, not '%s'\n", METHOD_ENV,
                                opts.method);
                        return EXIT_USAGE;
                }
                const char *missing = getenv(MISSING_PROFILE_ENV);
                if (missing && osl_parse_missing_profile(missing, &opts.missing_profile_runs) < 0) {
                        fprintf(stderr, "oci-seccomp-learn runtime: $%s takes refuse or run, not '%s'\n",
                                MISSING_PROFILE_ENV, missing);
                        return EXIT_USAGE;
                }
                if (osl_hook_binary(&self, &err) < 0)
                        osl_print_error("runtime", &err);
                opts.hook_binary = self;
                opts.bundle = find_bundle(argc, argv, sub);
                runtime_log log = {};
                find_runtime_log(argc, argv, first, sub, &log);
                if (inject(g, &opts, &log) < 0)
                        return EXIT_FAILURE_;
        }

        /* argv[first - 1] becomes the runtime's argv[0]. */
        char **rargv = argv + first - 1;
        rargv[0] = (char *) runtime;
        execvp(runtime, rargv);
        fprintf(stderr, "oci-seccomp-learn runtime: cannot run %s: %m\n", runtime);
        return 127;
}
