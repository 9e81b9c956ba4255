/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp-notify learning agent (doc/agent.md).
 *
 * runc and crun hand the notify fd of a container's seccomp filter to the
 * process listening on linux.seccomp.listenerPath: one message per process
 * that gets the filter, JSON container-process state plus the fd by
 * SCM_RIGHTS. The agent answers every notification with "continue" at once
 * and writes what it saw to RUNDIR/observations/<id>.json when the filter
 * has no users left. One epoll loop for the sockets, one thread per notify
 * fd, one writer thread for the files (doc/agent.md, "Threads"). */
#pragma once

#include "image.h"

/* ---- listenerMetadata -------------------------------------------------
 * The inject code puts this string into linux.seccomp.listenerMetadata; the
 * runtime passes it through to the agent unchanged. Format (version 1):
 *
 *     v1;mode=learn;key=<pct>[;name=<pct>][;tag=<pct>][;digest=<pct>]
 *
 * Fields after "v1" are key=value, separated by ';', in any order, each at
 * most once. <pct> is the value with '%', ';', '=', and bytes outside
 * 0x21..0x7e written as %XX (upper-case hex); every other byte stands for
 * itself. key (the image key, osl_image.key) is required and non-empty;
 * mode ("learn" or "complain") is required. Unknown fields are ignored so that a newer inject and
 * an older agent still work together; an unknown first field ("v2") is an
 * error. Example:
 *     v1;mode=learn;key=docker.io/library/redis;name=redis:7;tag=7 */
#define OSL_AGENT_METADATA_V1 "v1"
/* The mode is OSL_MODE_NAME_LEARN or OSL_MODE_NAME_COMPLAIN (complain: the
 * stored profile, calls outside it notified). The agent treats both modes
 * alike (continue, record); the mode only shows in its log. */
#define OSL_AGENT_METADATA_MAX 8192 /* bytes; longer strings are refused */

/* Uses img->key (required), name, tag, digest (each may be NULL) and mode
 * ("learn" or "complain"). *out is malloc'd. -EINVAL when the key is missing or a value
 * is empty; -E2BIG when the result exceeds OSL_AGENT_METADATA_MAX. */
int osl_agent_metadata_format(const osl_image *img, const char *mode, char **out, osl_error *err);
/* Fills img (key, name, tag, digest; source = "listenerMetadata") and *mode
 * (malloc'd; may be NULL when the caller does not want it). On failure img
 * is left cleared and the message says what is wrong with which field. */
int osl_agent_metadata_parse(const char *s, osl_image *img, char **mode, osl_error *err);

/* ---- the runtime's message ------------------------------------------
 * What the agent takes from the JSON the runtime sends with the notify fd
 * (runtime spec "containerProcessState"): runc's is one line, crun's is
 * pretty-printed; both are parsed with jv_parse first. */
typedef struct osl_agent_message {
        const char *id;       /* state.id, a safe file name (osl_container_id_valid) */
        size_t seccomp_fd;    /* index of "seccompFd" in "fds": which of the message's fds is the notify fd */
        int64_t pid;          /* "pid", else state.pid; 0 when neither is an integer */
        const char *metadata; /* "metadata" (listenerMetadata); NULL when absent or not a string */
        const jv *state;      /* the "state" object (annotations, bundle) */
} osl_agent_message;

/* Checks msg and fills *out with pointers into it. -EINVAL with a one-line
 * message when msg is not an object, has no "fds" array or "state" object,
 * no safe container id, or no "seccompFd" in "fds". */
int osl_agent_message_from_jv(const jv *msg, osl_agent_message *out, osl_error *err);

/* ---- the agent loop ------------------------------------------------- */

/* Levels are syslog's: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG.
 * msg is one line without a trailing newline. */
typedef void (*osl_agent_log_fn)(int level, const char *msg, void *userdata);

#define OSL_AGENT_MAX_CONTAINERS_DEFAULT 1024
#define OSL_AGENT_MESSAGE_TIMEOUT_MS_DEFAULT 5000
#define OSL_AGENT_MAX_PENDING 64     /* accepted connections still waiting for their message */
#define OSL_AGENT_MESSAGE_MAX (1 << 20) /* bytes of one runtime message */

/* ---- crash safety (lib/agent_holder.c, doc/reliability.md) ----------
 * `oci-seccomp-learn agent` runs as a holder that owns the listening socket
 * and a copy of every notify fd, and runs the recording worker
 * (osl_agent_run) as its child. The worker and holder talk over a
 * SOCK_SEQPACKET pair, one message each:
 *   worker -> holder  "hold SLOT NAME" + the notify fd   keep a copy
 *   worker -> holder  "done SLOT"                        close it
 *   holder -> worker  "adopt SLOT NAME" + the fd          serve it (a restart)
 *   holder -> worker  "adopted"                          no more to adopt
 * NAME is the container's checkpoint, RUNDIR/checkpoints/NAME.json. The
 * slots are a table in memory shared by holder and worker (a memfd, which
 * systemd's fd store can keep too): a restarted worker finds there the
 * notification its predecessor had received and not answered. */
typedef struct osl_agent_slot {
        uint64_t id;  /* the notification received and not yet answered */
        uint32_t pid; /* its caller */
        uint32_t arch;
        int32_t nr;
        uint32_t flags; /* OSL_AGENT_SLOT_* */
} osl_agent_slot;
#define OSL_AGENT_SLOT_HELD 1u        /* the holder has a copy of this slot's fd */
#define OSL_AGENT_SLOT_INFLIGHT 2u    /* id, pid, arch, nr: received, not answered */
#define OSL_AGENT_SLOT_APPLICATION 4u /* the filter's process passed its execve */
#define OSL_AGENT_SLOT_COMPLAIN 8u    /* complain mode (for the log) */
#define OSL_AGENT_SLOTS 1024          /* filters a holder keeps; = the default max_containers */
/* What a container learned is checkpointed at most this often (and right
 * after it makes a syscall new to it, at most every CHECKPOINT_NEW_MS). */
#define OSL_AGENT_CHECKPOINT_MS 1000
#define OSL_AGENT_CHECKPOINT_NEW_MS 100

typedef struct osl_agent_options {
        const char *run_dir;     /* NULL: osl_rundir(NULL) */
        const char *socket_path; /* NULL: osl_agent_socket_path(run_dir); ignored when listen_fd >= 0 */
        int listen_fd;           /* >= 0: an already listening AF_UNIX stream socket (socket
                                  * activation); the agent takes it over and closes it */
        int stop_fd;             /* >= 0: when this fd becomes readable (a signalfd, say), the
                                  * agent writes the observations of the containers it still
                                  * serves (partial) and returns 0. The agent does not read it. */
        unsigned max_containers; /* filters served at once; 0: the default */
        unsigned message_timeout_ms; /* from accept until the message; 0: the default */
        osl_agent_log_fn log;    /* NULL: no logging */
        int log_level;           /* most verbose level passed to log; 0: LOG_INFO */
        void *log_userdata;
        int holder_fd;           /* >= 0: the holder's end (see above; taken over and closed,
                                  * as listen_fd is); the worker hands it every
                                  * notify fd, adopts what it is sent first, and checkpoints */
        osl_agent_slot *slots;   /* with holder_fd: OSL_AGENT_SLOTS shared slots */
} osl_agent_options;

/* Runs until opts->stop_fd is readable (returns 0) or a fatal error
 * (socket cannot be created, epoll fails: returns -errno with a message).
 * Problems with one container or one connection are logged, never fatal. */
int osl_agent_run(const osl_agent_options *opts, osl_error *err);

/* Creates the listening socket: parent directory 0700 (created when
 * missing), socket 0600. A leftover socket nobody listens on is replaced;
 * -EADDRINUSE when an agent listens there already; -EEXIST when path is not
 * a socket (it is left alone). The fd is non-blocking and close-on-exec. */
int osl_agent_listen(const char *socket_path, int *fd, osl_error *err);

/* What systemd passed back from its fd store (FDNAME "osl.SLOT.NAME" for a
 * held notify fd, "osl.slots" for the slot table). */
typedef struct osl_agent_stored_fd {
        int fd;
        unsigned slot;
        char name[256]; /* NAME: the checkpoint */
} osl_agent_stored_fd;

/* systemd socket activation without libsystemd: when LISTEN_PID is our pid,
 * *fd = the one listening AF_UNIX stream socket among the LISTEN_FDS fds
 * from 3 on (made non-blocking and close-on-exec), and the LISTEN_*
 * variables are removed from the environment. Fds named (LISTEN_FDNAMES)
 * as the holder stores them go to stored[] (at most max_stored; *n_stored
 * set) and *slots_fd (-1 when none); stored may be NULL when the caller
 * takes none. *fd = -1 and 0 when not activated; -EINVAL when the passed
 * fds are not what the agent can use. */
int osl_agent_socket_from_systemd(int *fd, osl_agent_stored_fd *stored, size_t max_stored, size_t *n_stored,
                                  int *slots_fd, osl_error *err);

/* The holder (lib/agent_holder.c): sets up the socket as osl_agent_run
 * does (opts->listen_fd or opts->socket_path), then runs osl_agent_run in a
 * child with holder_fd and slots set, and starts a new one when it dies.
 * stored[] (n_stored) and slots_fd (-1: none) are what systemd passed back
 * (osl_agent_socket_from_systemd); when $NOTIFY_SOCKET is set each held fd
 * also goes to systemd's fd store. Returns 0 after opts->stop_fd became
 * readable and the worker stopped, -errno on a fatal error. */
int osl_agent_hold(const osl_agent_options *opts, osl_agent_stored_fd *stored, size_t n_stored, int slots_fd,
                   osl_error *err);

/* sd_notify(3) without libsystemd: sends state (and fd, when >= 0, by
 * SCM_RIGHTS) to $NOTIFY_SOCKET. 0 when sent, 0 also when $NOTIFY_SOCKET is
 * unset (nothing to do: *sent = false), -errno otherwise. */
int osl_sd_notify(const char *state, int fd, bool *sent, osl_error *err);

/* 0 when something accepts connections on socket_path (the connection is
 * closed at once; the agent takes such a connection for a probe and logs it
 * at debug level only). -ENOENT, -ECONNREFUSED, -EACCES, ... with a message
 * otherwise. Inject calls this so that no container gets a notify filter
 * while no agent listens: runc would hang forever. */
int osl_agent_probe(const char *socket_path, osl_error *err);
