/* SPDX-License-Identifier: Apache-2.0 */
/* `oci-seccomp-learn agent`: the seccomp-notify learning agent as a
 * daemon. The work is in lib/agent.c (the worker) and lib/agent_holder.c
 * (the holder); this file parses options, sets up signals and logging, and
 * picks the socket (ours or systemd's, with what systemd's fd store passes
 * back). */
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <syslog.h>

#include "agent.h"
#include "commands.h"
#include "rundir.h"

static const char agent_help[] =
        "Usage: oci-seccomp-learn [--run-dir DIR] agent [--socket PATH] [--verbose]\n"
        "\n"
        "The seccomp agent of learning containers. runc and crun hand it the notify\n"
        "fd of a container's learning filter (linux.seccomp.listenerPath); it lets\n"
        "every notified syscall continue at once and records it, and when the\n"
        "container's processes are gone writes RUNDIR/observations/ID-HASH.json\n"
        "(HASH: of the bundle path) for the poststop hook. It serves many\n"
        "containers at once.\n"
        "\n"
        "Options:\n"
        "  --socket PATH  listen on PATH (default RUNDIR/agent.sock); ignored under\n"
        "                 systemd socket activation, which passes the socket\n"
        "  -v, --verbose  also log each new syscall a container makes, and probes\n"
        "\n"
        "Only root may connect. Messages go to stderr (the journal under systemd).\n"
        "The process started is a holder: it keeps the socket and every notify fd,\n"
        "runs the recording worker as its child and restarts it when it dies; the\n"
        "worker checkpoints what each container learned in RUNDIR/checkpoints, so a\n"
        "crash of the worker breaks no container (doc/reliability.md).\n"
        "SIGTERM or SIGINT stops the agent: containers still running get a partial\n"
        "observation, and their notified syscalls fail with ENOSYS from then on, so\n"
        "stop it only when no learning container runs. Exit status 0 after a stop,\n"
        "1 when the socket cannot be set up, 2 on a bad command line.\n";

static void log_to_stderr(int level, const char *msg, void *userdata)
{
        bool journal = *(const bool *) userdata;
        /* journald reads "<N>" at the start of a line as its priority. */
        if (journal)
                fprintf(stderr, "<%d>oci-seccomp-learn agent: %s\n", level, msg);
        else
                fprintf(stderr, "oci-seccomp-learn agent: %s\n", msg);
}

int cmd_agent(int argc, char **argv, const osl_global *g)
{
        static const struct option long_options[] = {
                { "socket", required_argument, NULL, 's' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        const char *socket_path = NULL;
        bool verbose = false;
        osl_error err = {};
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+s:vh", long_options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        socket_path = optarg;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'h':
                        fputs(agent_help, stdout);
                        return EXIT_OK;
                default:
                        fprintf(stderr, "oci-seccomp-learn agent: see 'oci-seccomp-learn agent --help'\n");
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "oci-seccomp-learn agent: unexpected argument '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }

        /* One notify fd per learning container, plus connections. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        /* stderr may be a pipe whose reader went away; that must not kill us. */
        signal(SIGPIPE, SIG_IGN);

        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGTERM);
        sigaddset(&stop_signals, SIGINT);
        if (sigprocmask(SIG_BLOCK, &stop_signals, NULL) < 0) {
                osl_err(&err, -errno, "cannot block SIGTERM and SIGINT: %m");
                osl_print_error("agent", &err);
                return EXIT_FAILURE_;
        }
        _cleanup_close_ int stop_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
        if (stop_fd < 0) {
                osl_err(&err, -errno, "cannot create a signalfd: %m");
                osl_print_error("agent", &err);
                return EXIT_FAILURE_;
        }

        /* What systemd passes back: the socket, and the notify fds of a
         * previous run from its fd store (doc/reliability.md). */
        int listen_fd = -1, slots_fd = -1;
        size_t n_stored = 0;
        _cleanup_free_ osl_agent_stored_fd *stored = calloc(OSL_AGENT_SLOTS, sizeof(*stored));
        if (!stored) {
                osl_err(&err, -ENOMEM, "out of memory");
                osl_print_error("agent", &err);
                return EXIT_FAILURE_;
        }
        r = osl_agent_socket_from_systemd(&listen_fd, stored, OSL_AGENT_SLOTS, &n_stored, &slots_fd, &err);
        if (r < 0) {
                osl_print_error("agent", &err);
                return EXIT_FAILURE_;
        }

        if (listen_fd >= 0 && socket_path)
                fprintf(stderr, "oci-seccomp-learn agent: --socket %s ignored: systemd passed the socket\n",
                        socket_path);

        bool journal = getenv("JOURNAL_STREAM") != NULL;
        osl_agent_options opts = {
                .run_dir = g->run_dir,
                .socket_path = socket_path,
                .listen_fd = listen_fd,
                .stop_fd = stop_fd,
                .log = log_to_stderr,
                .log_level = verbose ? LOG_DEBUG : LOG_INFO,
                .log_userdata = &journal,
                .holder_fd = -1,
        };
        r = osl_agent_hold(&opts, stored, n_stored, slots_fd, &err);
        if (r < 0) {
                osl_print_error("agent", &err);
                return EXIT_FAILURE_;
        }
        return EXIT_OK;
}
