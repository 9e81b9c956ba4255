/* SPDX-License-Identifier: Apache-2.0 */
/* oci-seccomp-learn: learns which syscalls a container uses and enforces it.
 * This file only dispatches; every command lives in its own cmd_*.c.
 * Built twice: as oci-seccomp-learn with every command, and with
 * OSL_HOOK_BINARY as oci-seccomp-learn-hook, the commands of a container's
 * start path only (hook/meson.build). */
#include "commands.h"

#include <libgen.h>
#include <string.h>

#include "rundir.h"
#include "store.h"

static const struct {
        const char *name;
        osl_command_fn fn;
        const char *summary;
} commands[] = {
        { "inject", cmd_inject, "put the filter for a mode into a bundle's config.json (runc users)" },
        { "precreate", cmd_precreate, "the same as a precreate hook: config.json on stdin, new one on stdout" },
        { "runtime", cmd_runtime, "an OCI runtime wrapper: rewrite the config on create/run, then exec runc" },
#ifndef OSL_HOOK_BINARY
        { "agent", cmd_agent, "the seccomp-notify agent that records what learning containers do" },
#endif
        { "prestart", cmd_prestart, "OCI prestart hook: register a container" },
        { "poststop", cmd_poststop, "OCI poststop hook: merge what was seen into the image's profile" },
#ifndef OSL_HOOK_BINARY
        { "profile", cmd_profile, "list, show, diff, export and merge stored profiles" },
#endif
};

#ifdef OSL_HOOK_BINARY
#define PROGRAM OSL_HOOK_BINARY_NAME
#else
#define PROGRAM "oci-seccomp-learn"
#endif

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: " PROGRAM " [--store DIR] [--run-dir DIR] COMMAND [ARGS...]\n"
                "       " PROGRAM " --help | --version\n"
                "\n"
#ifdef OSL_HOOK_BINARY
                "The commands of oci-seccomp-learn that run when a container starts, in a\n"
                "binary that loads only libseccomp, yajl and libcap. oci-seccomp-learn has\n"
                "them all.\n"
#else
                "Learns the syscalls a container uses and turns them into a least-privilege\n"
                "seccomp profile per image.\n"
#endif
                "\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
        fprintf(f,
                "\nGlobal options:\n"
                "  --store DIR    profile store (default $%s or %s)\n"
                "  --run-dir DIR  runtime directory of the agent and hooks (default $%s or %s)\n"
                "\n'" PROGRAM " COMMAND --help' describes a command.\n"
                "\nExit codes: 0 success, 1 failure (the message says why), 2 bad usage,\n"
                "3 the image or version asked for is not stored.\n",
                OSL_STORE_ENV, OSL_DEFAULT_STORE, OSL_RUNDIR_ENV, OSL_DEFAULT_RUNDIR);
}

void osl_print_error(const char *command, const osl_error *err)
{
        fprintf(stderr, "oci-seccomp-learn %s: %s\n", command, err->msg[0] ? err->msg : strerror(-err->code));
}

int osl_exit_code(int r)
{
        if (r >= 0)
                return EXIT_OK;
        return r == -ENOENT ? EXIT_NOTFOUND : EXIT_FAILURE_;
}

bool osl_wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        return false;
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return true;
        }
        return false;
}

int main(int argc, char **argv)
{
        osl_global g = { .argv0 = argv[0] };
        int i = 1;

        /* Installed as oci-seccomp-learn-runc, we are the runtime wrapper
         * that engines point at (BinaryName, runtime_path, runtimes). */
        _cleanup_free_ char *self = strdup(argv[0] ? argv[0] : "");
        if (self && strncmp(basename(self), "oci-seccomp-learn-", 18) == 0 &&
            strcmp(basename(self), OSL_HOOK_BINARY_NAME) != 0) {
                g.as_runtime = true;
                return cmd_runtime(argc, argv, &g);
        }

        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];
                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        usage(stdout);
                        return EXIT_OK;
                } else if (strcmp(a, "--version") == 0) {
                        printf(PROGRAM " %s\n", OSL_VERSION);
                        return EXIT_OK;
                } else if ((strcmp(a, "--store") == 0 || strcmp(a, "--run-dir") == 0) && i + 1 < argc) {
                        if (a[2] == 's')
                                g.store = argv[++i];
                        else
                                g.run_dir = argv[++i];
                } else if (strncmp(a, "--store=", 8) == 0) {
                        g.store = a + 8;
                } else if (strncmp(a, "--run-dir=", 10) == 0) {
                        g.run_dir = a + 10;
                } else {
                        fprintf(stderr, PROGRAM ": unknown option '%s' (see --help)\n", a);
                        return EXIT_USAGE;
                }
        }
        if (i >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        for (size_t c = 0; c < ELEMENTSOF(commands); c++)
                if (strcmp(argv[i], commands[c].name) == 0)
                        return commands[c].fn(argc - i, argv + i, &g);
        fprintf(stderr, PROGRAM ": unknown command '%s' (see --help)\n", argv[i]);
        return EXIT_USAGE;
}
