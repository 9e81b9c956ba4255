/* SPDX-License-Identifier: Apache-2.0 */
/* The agent worker's objects, shared by its files (doc/agent.md):
 *   agent.c         the event loop, the runtime's message, the writer's
 *                   jobs, the holder, setup and teardown, SECCOMP_RET_LOG
 *   agent_record.c  a container's recording and the observation made of it
 *   agent_notify.c  the notify threads: receive, record, answer
 *   agent_socket.c  the listening socket (agent_internal.h)
 * Not part of the library's interface: the functions below are named
 * agent_*, not osl_agent_* (agent.h). */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent_internal.h"
#include "image.h"
#include "log_collector.h"
#include "observation.h"

#define MAX_FDS_PER_MESSAGE 8
#define MAX_APP_ARCHES 8
/* Distinct capabilities one container can be seen to use: the kernel's
 * capability sets are 64-bit masks. */
#define MAX_CAPS 64
/* Syscall numbers whose capability relevance is cached per arch. */
#define RELEVANCE_NR_MAX 1024
/* Interrupts a notify thread's blocking receive (see agent_source_stop_thread).
 * Ignored by default, so that one sent from outside does nothing. */
#define NOTIFY_STOP_SIGNAL SIGURG

/* epoll_event.data.ptr points at one of these tags, first member of its
 * object, so the loop knows what became ready. */
typedef enum object_kind {
        OBJ_LISTENER,
        OBJ_STOP,
        OBJ_CONNECTION,
        OBJ_SOURCE,
        OBJ_HOLDER,
        OBJ_THREADS, /* a notify thread ended, or made a container dirty */
        OBJ_WRITER,  /* the writer thread finished jobs */
        OBJ_COLLECTOR,
} object_kind;

/* One (arch, syscall number, origin) seen in a container. Names are looked
 * up only when the observation is written, to keep the answer fast. */
typedef struct syscall_entry {
        uint32_t arch;
        int32_t nr;
        uint8_t origin;
        bool used;
        uint64_t count;
        uint64_t first_ms, last_ms; /* CLOCK_REALTIME: the first and the last notification */
        uint32_t sample_pid;        /* the process of the first notification */
        char sample_comm[OSL_COMM_MAX + 1]; /* its /proc/PID/comm; "" when it could not be read */
} syscall_entry;

/* One container instance: its id and bundle (osl_instance_key) and its
 * image. A `runc exec` process's filter joins its container's record. */
typedef struct container {
        /* The notify threads of its sources record under this lock; the
         * loop takes it to read what was recorded. Everything from
         * notifications to fresh_entry is under it. */
        pthread_mutex_t lock;
        uint64_t seq; /* names it to the writer's done() (the pointer may be reused) */
        char *id;
        char *obs_path; /* RUNDIR/observations/<instance key>.json */
        char key[OSL_INSTANCE_KEY_SIZE];
        osl_image image;
        const char *mode; /* OSL_MODE_NAME_*, for the log */
        bool log_method;  /* learns through SECCOMP_RET_LOG records (lib/log_collector.h) */
        char start_time[32];
        uint64_t notifications;
        syscall_entry *entries; /* open addressing, capacity a power of two */
        size_t n_entries, cap_entries;
        uint32_t app_arches[MAX_APP_ARCHES]; /* arches the application was seen on */
        size_t n_app_arches;
        uint32_t runtime_arches[MAX_APP_ARCHES]; /* arches the runtime was seen on */
        size_t n_runtime_arches;
        /* Capabilities the application's calls implied, with the first
         * evidence of each (lib/caps.c). */
        struct {
                int cap;
                uint64_t count;
                char evidence[96];
        } caps[MAX_CAPS];
        size_t n_caps;
        size_t n_sources;
        /* With a holder: what earlier workers learned (the checkpoint this
         * worker started from), and this container's checkpoint. */
        osl_observation *base;
        char *ckpt_name, *ckpt_path;
        bool dirty, fresh_entry;
        bool ckpt_queued; /* a checkpoint is with the writer thread */
        uint64_t ckpt_ms; /* when it was last written (monotonic) */
        struct container *prev, *next;
} container;

/* One notify fd: a container's init, or a process started by `runc exec`
 * with its own filter. Each has its own runtime/application boundary. */
typedef struct source {
        object_kind kind;
        int fd;
        container *c;
        struct agent *a;
        uint64_t seq; /* names it to the writer's done() */
        bool application; /* under c->lock */
        int slot; /* with a holder: its slot (opts->slots), -1 none; set once (__atomic) under c->lock */
        /* The thread that receives and answers its notifications. */
        pthread_t thread;
        bool thread_started;
        atomic_bool stop, exited;
        struct source *prev, *next;
} source;

/* An accepted connection waiting for the runtime's message. */
typedef struct connection {
        object_kind kind;
        int fd;
        pid_t peer_pid;
        uint64_t deadline_ms;
        char *buf;
        size_t len, cap;
        int fds[MAX_FDS_PER_MESSAGE];
        size_t n_fds;
        bool fds_truncated;
        struct connection *prev, *next;
} connection;

typedef struct exec_numbers {
        uint32_t arch;
        int execve, execveat;
        bool has_execve, has_execveat;
} exec_numbers;

/* What a thread needs to receive, record and answer notifications: its
 * buffers and its caches of syscall numbers. Each notify thread has its
 * own; the loop has one for what it answers itself. */
typedef struct notifier {
        void *req, *resp;
        size_t req_size, resp_size;
        exec_numbers exec_cache[MAX_APP_ARCHES];
        size_t n_exec_cache;
        /* Per arch: whether a syscall number can imply a capability
         * (0 unknown, 1 yes, 2 no), so names are looked up once. */
        struct {
                uint32_t arch;
                uint8_t relevant[RELEVANCE_NR_MAX];
        } relevance[MAX_APP_ARCHES];
        size_t n_relevance;
} notifier;

typedef struct agent {
        const osl_agent_options *opts;
        const char *run_dir;
        int log_level;
        int epfd;
        int listen_fd;
        object_kind listener_tag, stop_tag;
        bool listener_paused; /* out of fds: accept again once one is closed */
        osl_agent_socket sock; /* the socket we created, removed on exit */
        unsigned max_sources;
        unsigned message_timeout_ms;
        size_t n_sources, n_connections;
        connection *connections;
        source *sources;
        container *containers;
        uint64_t next_seq;
        notifier loop_notifier; /* for what the loop answers itself */
        atomic_bool sync_wakeup_warned;
        int holder_fd; /* -1: no holder (or it is gone) */
        object_kind holder_tag;
        osl_agent_slot *slots;
        bool slot_reserved[OSL_AGENT_SLOTS]; /* chosen for a hold the writer has not done yet */
        int threads_fd; /* eventfd: a notify thread ended, or made a container dirty (agent_wake) */
        object_kind threads_tag;
        osl_writer *writer;
        object_kind writer_tag;
        bool stopping;
        /* SECCOMP_RET_LOG records (lib/log_collector.h); NULL when the
         * kernel's audit records cannot be read. Driven by the loop; a
         * notify thread calls it only without a container's lock held. */
        osl_log_collector *collector;
        object_kind collector_tag;
} agent;

/* What a notification tells the log collector (agent_source_handle_one calls it
 * once c's lock is released: the collector takes it to hand records over). */
typedef enum exec_seen {
        EXEC_NONE,
        EXEC_AGAIN,       /* an exec in a container whose application runs */
        EXEC_APPLICATION, /* the exec that starts the application */
} exec_seen;

struct seccomp_notif;

/* ---- agent.c ---- */

/* Logs through a->opts->log (osl_agent_vlog). */
void agent_log(agent *a, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- agent_record.c ---- */

/* The capability an application's call implies, before it is answered; c's lock held. */
void agent_source_inspect(agent *a, notifier *n, source *s, const struct seccomp_notif *req);
/* Counts calls of (arch, nr) by pid in c; c's lock held. */
void agent_container_record(agent *a, container *c, uint32_t arch, int32_t nr, uint32_t pid, bool application,
                            uint64_t count);
/* Records a notification of s; c's lock held. Returns whether it was an exec. */
exec_seen agent_source_record(agent *a, notifier *n, source *s, const struct seccomp_notif *req);
/* Tells the log collector of an exec; without c's lock. */
void agent_collector_note_exec(agent *a, source *s, uint32_t pid, exec_seen seen);
/* What c recorded as an observation (copied under its lock); marks c clean. */
int agent_container_snapshot(agent *a, container *c, bool partial, osl_observation **out);

/* ---- agent_notify.c ---- */

/* Wakes the loop: a notify thread ended, or made a container dirty. */
void agent_wake(agent *a);
/* Lets the notified call continue; slot: s's slot when noted there, else -1. */
void agent_source_answer(agent *a, notifier *n, source *s, int slot, uint64_t id, uint32_t pid);
/* Receives (blocking) and answers one notification: 0, or -errno. */
int agent_source_handle_one(agent *a, notifier *n, source *s);
/* Buffers of the sizes in a->loop_notifier; -ENOMEM. */
int agent_notifier_init(notifier *n, const agent *a);
void agent_notifier_free(notifier *n);
/* The handler of NOTIFY_STOP_SIGNAL: interrupts a notify thread's receive. */
void agent_notify_stop_handler(int sig);
/* Starts s's notify thread (one that cannot start counts as ended). */
void agent_source_start(agent *a, source *s);
/* Stops s's notify thread and waits for it. */
void agent_source_stop_thread(source *s);
