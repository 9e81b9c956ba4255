/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's SECCOMP_RET_LOG collector (doc/learning.md, "Methods"): reads
 * the kernel's audit records (lib/audit_log.h) and gives each to the
 * container it belongs to, or counts it as unattributed. Part of the agent's
 * worker; one instance, driven from its loop.
 *
 * Attribution, while the calling process lives: its pid namespace
 * (/proc/PID/ns/pid) against the namespace of each tracked container's init
 * process, and, where a container shares the host's pid namespace or the
 * namespace link is gone (a zombie), its /proc/PID/cgroup against the init's.
 * A process that is gone altogether is matched by the pids the agent saw
 * exec in a container (learn mode notifies every exec); else the record is
 * counted, never guessed.
 *
 * What is tracked comes from the prestart hook's registrations
 * (RUNDIR/containers/<key>.json, watched with inotify) and from the agent's
 * containers (osl_log_collector_watch). Every call takes the collector's
 * lock (the agent's notify threads report execs). A complain-mode container that uses
 * the log method has no notify fd: the collector asks the agent to open a
 * record for it (ops->open) and closes it (ops->close) when its init process
 * ends (a pidfd). */
#pragma once

#include "agent.h"
#include "registration.h"
#include "rundir.h"

/* RUNDIR/audit-collector (OSL_LOG_COLLECTOR_FILE, lib/rundir.h): the
 * collector's last serial read. */

typedef struct osl_log_collector osl_log_collector;

typedef struct osl_log_collector_ops {
        /* count calls of (arch, nr) by pid in the container whose handle
         * this is; application: after its init's exec. */
        void (*record)(void *handle, uint32_t arch, int32_t nr, uint32_t pid, bool application, uint64_t count,
                       void *userdata);
        /* A complain-mode container registered with the log method: the
         * agent's record of it, or NULL. key: its instance key. */
        void *(*open)(const osl_registration_owned *reg, const char *key, void *userdata);
        /* Its init process ended and every record before that was handed
         * over: the agent writes the observation and frees the record. */
        void (*close)(void *handle, void *userdata);
} osl_log_collector_ops;

/* -EPERM without CAP_AUDIT_READ, -EPROTONOSUPPORT without audit in the
 * kernel (lib/audit_log.h): the agent then learns write as implied. */
int osl_log_collector_open(const osl_agent_options *opts, const char *run_dir, const osl_log_collector_ops *ops,
                           void *userdata, osl_log_collector **out, osl_error *err);
/* Removes RUNDIR/audit-collector only when stopping (stopping: false for an
 * error path of a worker that will be restarted). */
void osl_log_collector_close(osl_log_collector *col, bool stopping);

/* An fd for the agent's epoll set (an epoll fd of its own): readable when
 * there is something for osl_log_collector_dispatch. */
int osl_log_collector_fd(const osl_log_collector *col);
void osl_log_collector_dispatch(osl_log_collector *col);

/* The records of the container with instance key key, whose init (or
 * runc exec) process is pid (0: the registration's), go to handle from now
 * on; those that came before it had a handle are handed over now. */
void osl_log_collector_watch(osl_log_collector *col, void *handle, const char *key, uint32_t pid,
                             bool application);
/* pid of handle's container made an exec (a notification the agent holds,
 * before it answers). The first one of the container's init is its
 * application's start: records read from then on are the application's.
 * exact (the log method, where every call is a record): every record made
 * before it is handed over first, as the runtime's (a barrier,
 * osl_audit_sync: a fork and a round trip through the kernel's audit queue,
 * on the container's start path). Without it (notify, where only write is
 * logged) a runtime write still in flight may count as the application's. */
void osl_log_collector_exec(osl_log_collector *col, void *handle, uint32_t pid, bool init_exec, bool exact);
/* Before the container's observation is written: hands over every record
 * made until now, with exact (the log method) by a barrier (see
 * osl_log_collector_exec), else (notify: only write is logged) what the
 * kernel has delivered so far, without waiting. */
void osl_log_collector_flush(osl_log_collector *col, void *handle, bool exact);
/* handle is freed: forget it. */
void osl_log_collector_unwatch(osl_log_collector *col, void *handle);
/* Records that could not be attributed to any container, and records the
 * collector missed (socket overflow; serials skipped while no worker ran),
 * since handle was watched. */
void osl_log_collector_counts(osl_log_collector *col, const void *handle, uint64_t *unattributed, uint64_t *missed);

