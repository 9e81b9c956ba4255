/* SPDX-License-Identifier: Apache-2.0 */
/* The commands of the oci-seccomp-learn executable. Each lives in its own
 * cmd_*.c file, parses its own options and calls lib/ for the work. */
#pragma once

#include "util.h"

/* Documented exit codes (doc/cli.md, --help). */
enum {
        EXIT_OK = 0,
        EXIT_FAILURE_ = 1, /* the operation failed; the message says why */
        EXIT_USAGE = 2,    /* bad command line */
        EXIT_NOTFOUND = 3, /* the image or version asked for is not stored */
};

/* Options that come before the command and apply to all. */
typedef struct osl_global {
        const char *store;   /* --store or $OCI_SECCOMP_LEARN_STORE; NULL: default */
        const char *run_dir; /* --run-dir or $OCI_SECCOMP_LEARN_RUNDIR; NULL: default */
        const char *argv0;   /* how we were called */
        bool as_runtime;     /* called as oci-seccomp-learn-RUNTIME: argv is the runtime's */
} osl_global;

typedef int (*osl_command_fn)(int argc, char **argv, const osl_global *g);

/* argv[0] is the command name; getopt_long may be used (optind is reset). */
int cmd_profile(int argc, char **argv, const osl_global *g);
int cmd_inject(int argc, char **argv, const osl_global *g);
int cmd_precreate(int argc, char **argv, const osl_global *g);
int cmd_runtime(int argc, char **argv, const osl_global *g);
int cmd_agent(int argc, char **argv, const osl_global *g);
int cmd_prestart(int argc, char **argv, const osl_global *g);
int cmd_poststop(int argc, char **argv, const osl_global *g);

/* cli/cli.c: "oci-seccomp-learn COMMAND SUB: message (see ... --help)" on
 * stderr, returns EXIT_USAGE (sub may be NULL); a JSON value, pretty, on
 * stdout; the store key of an image reference given as an argument. */
struct jv;
int osl_cli_usage_error(const char *command, const char *sub, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int osl_cli_print_json(const struct jv *v, osl_error *err);
int osl_cli_image_key(const char *arg, char **key, osl_error *err);

/* Prints "oci-seccomp-learn COMMAND: message" to stderr once. */
void osl_print_error(const char *command, const osl_error *err);
/* Maps an error code to an exit code (-ENOENT -> EXIT_NOTFOUND, else 1). */
int osl_exit_code(int r);
/* true when argv holds --help or -h anywhere before "--". */
bool osl_wants_help(int argc, char **argv);

/* Rewrites BUNDLE/config.json for the mode (shared by inject and runtime).
 * Prints the outcome, or why learning was skipped, to stderr. */
struct osl_inject_options;
int osl_inject_bundle(const char *command, const char *bundle, const struct osl_inject_options *opts);

/* What inject did, as lines for the user ("... learn mode for image X: N
 * syscalls notified ..."), each ending in a newline; empty for nothing. */
struct osl_inject_result;
void osl_inject_report(const char *command, const char *where, const struct osl_inject_result *res, char *buf,
                       size_t size);

/* "refuse" -> false, "run" -> true (--missing-profile, and the runtime
 * wrapper's $OCI_SECCOMP_LEARN_MISSING_PROFILE). */
int osl_parse_missing_profile(const char *s, bool *runs);

/* The start path's binary (hook/meson.build): no libcurl, libelf, capstone
 * or libauparse, so that it starts fast. */
#define OSL_HOOK_BINARY_NAME "oci-seccomp-learn-hook"

/* The absolute path of the binary the hooks we add to a config run:
 * OSL_HOOK_BINARY_NAME beside our own executable, or our own executable
 * when that is missing (it has the hooks' commands too). */
int osl_hook_binary(char **out, osl_error *err);

/* Hooks' stdout and stderr are dropped by runc unless the hook fails, so
 * hooks report to syslog and to RUNDIR/hooks.log as well as to stderr. */
void osl_hook_log(const char *run_dir, int priority, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same for one line, to syslog and RUNDIR/hooks.log only. */
void osl_hook_log_quiet(const char *run_dir, int priority, const char *msg);

/* `profile attach` and `profile fetch` (cli/cmd_artifact.c, doc/artifacts.md):
 * the profile as an OCI 1.1 artifact in an OCI image layout. argv[0] is the
 * subcommand; the help texts are what `profile attach|fetch --help` print. */
int cmd_profile_attach(int argc, char **argv, const osl_global *g);
int cmd_profile_fetch(int argc, char **argv, const osl_global *g);
extern const char cmd_profile_attach_help[];
extern const char cmd_profile_fetch_help[];
/* `profile push` and `profile pull` (cli/cmd_artifact.c): the same artifact
 * in a registry (lib/registry.c). */
int cmd_profile_push(int argc, char **argv, const osl_global *g);
int cmd_profile_pull(int argc, char **argv, const osl_global *g);
extern const char cmd_profile_push_help[];
extern const char cmd_profile_pull_help[];

/* `profile predict`, `profile coverage` and `profile check` (cli/cmd_coverage.c,
 * doc/prediction.md, doc/ci.md). */
int cmd_profile_predict(int argc, char **argv, const osl_global *g);
int cmd_profile_coverage(int argc, char **argv, const osl_global *g);
int cmd_profile_check(int argc, char **argv, const osl_global *g);
extern const char cmd_profile_predict_help[];
extern const char cmd_profile_coverage_help[];
extern const char cmd_profile_check_help[];
