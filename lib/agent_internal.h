/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the agent's worker (agent.c), holder (agent_holder.c) and
 * client side (agent_client.c); not part of the library's interface. */
#pragma once

#include <stdarg.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "agent.h"

/* A sockaddr_un for path (agent_client.c); -ENAMETOOLONG when it does not fit. */
struct sockaddr_un;
int osl_agent_sockaddr(const char *path, struct sockaddr_un *sa, socklen_t *sa_len, osl_error *err);

/* One holder <-> worker message (see agent.h): "hold SLOT NAME" and the like. */
#define OSL_HOLDER_MSG_MAX 512

/* Sends text as one message on sock, with fd (>= 0) by SCM_RIGHTS; to_path
 * NULL for a connected socket, else a datagram's address ('@' at the start:
 * abstract). Returns 0 or -errno. */
int osl_unix_send(int sock, const char *text, int fd, const char *to_path);
/* Receives one message into buf (NUL-terminated; size includes the NUL) and
 * at most one fd (*fd, -1 when none; more are closed). Returns the length,
 * 0 at end of file, -errno on error. */
ssize_t osl_unix_recv(int sock, char *buf, size_t size, int *fd);

/* The fds a received message carries (SCM_RIGHTS): up to max into fds,
 * the rest closed (*truncated then true, as with MSG_CTRUNC). */
struct msghdr;
size_t osl_unix_take_fds(struct msghdr *mh, int *fds, size_t max, bool *truncated);

/* A checkpoint name: "<instance key>@<slot>" (safe file name characters). */
bool osl_agent_checkpoint_name_valid(const char *name);
/* RUNDIR/checkpoints/NAME.json */
int osl_agent_checkpoint_path(const char *run_dir, const char *name, char **out);

/* Logs through opts->log when level is within opts->log_level (errno kept). */
void osl_agent_vlog(const osl_agent_options *opts, int level, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/* The listening socket an agent created itself (not systemd's). */
typedef struct osl_agent_socket {
        char *path; /* NULL: none */
        dev_t dev;
        ino_t ino;
} osl_agent_socket;
/* osl_agent_listen on opts->socket_path or RUNDIR/agent.sock; *sock
 * remembers the file so that only it is removed. */
int osl_agent_socket_create(const osl_agent_options *opts, const char *run_dir, osl_agent_socket *sock, int *fd,
                            osl_error *err);
/* Removes the socket while it is still the one created; frees the path. */
void osl_agent_socket_remove(osl_agent_socket *sock);

/* ---- the worker's writer thread (agent_writer.c) --------------------
 * Checkpoints and observations are written by one thread of their own, in
 * the order they were submitted, so that the event loop never waits for a
 * disk. run() is called in the writer thread; done() later in the thread
 * that calls osl_writer_reap (the loop), which then owns the job again. */
typedef struct osl_writer_job osl_writer_job;
struct osl_writer_job {
        void (*run)(osl_writer_job *job);
        void (*done)(osl_writer_job *job, void *userdata);
        osl_writer_job *next;
};
typedef struct osl_writer osl_writer;
int osl_writer_start(osl_writer **out, osl_error *err);
/* Readable (an eventfd) while jobs wait for osl_writer_reap. */
int osl_writer_fd(const osl_writer *w);
void osl_writer_submit(osl_writer *w, osl_writer_job *job);
/* Calls done() of every job that ran. */
void osl_writer_reap(osl_writer *w, void *userdata);
/* Runs what is queued, reaps it, and frees w (NULL: nothing). */
void osl_writer_stop(osl_writer *w, void *userdata);
