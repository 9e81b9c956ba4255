/* SPDX-License-Identifier: Apache-2.0 */
/* What one container was seen to use (schema/observation.schema.json).
 * Written by the agent when a container's filter has no users left, read by
 * poststop and by `profile merge`. */
#pragma once

#include "json.h"

typedef enum osl_origin {
        OSL_ORIGIN_RUNTIME = 0,     /* the runtime's own calls, before the entrypoint's execve */
        OSL_ORIGIN_APPLICATION = 1, /* from the entrypoint's execve on */
        _OSL_ORIGIN_MAX,
} osl_origin;
const char *osl_origin_name(osl_origin o); /* "runtime", "application" */

typedef struct osl_obs_syscall {
        char *arch; /* OCI name, "SCMP_ARCH_X86_64" */
        char *name;
        osl_origin origin;
        uint64_t count;
        bool implied; /* not notified but implied (see doc/learning.md: write) */
        /* When and by whom it was seen (the agent's notifications). Absent
         * for implied entries and from older observations. */
        char *first_seen;  /* RFC 3339, may be NULL */
        char *last_seen;   /* RFC 3339, may be NULL */
        int64_t sample_pid; /* a process that made the call, in the agent's pid namespace; 0: none */
        char *sample_comm;  /* its command name (/proc/PID/comm), may be NULL */
} osl_obs_syscall;

/* Longest sample command name kept: the kernel's comm is at most 15 bytes
 * (TASK_COMM_LEN 16, with the NUL). */
#define OSL_COMM_MAX 16

typedef struct osl_obs_capability {
        char *name;     /* "CAP_NET_BIND_SERVICE" */
        char *evidence; /* "bind(port 80)" */
        uint64_t count;
} osl_obs_capability;

typedef struct osl_observation {
        char *container_id;
        char *image_key;
        char *image_name;   /* may be NULL */
        char *image_tag;    /* may be NULL */
        char *image_digest; /* may be NULL */
        char *start_time;   /* RFC 3339 */
        char *end_time;
        char *method;       /* "notify", "log", "manual" */
        bool partial;       /* written while the container still ran (the agent was stopping) */
        uint64_t notifications;
        /* The agent's audit collector ran while the container did
         * (lib/log_collector.h): SECCOMP_RET_LOG records it could not give to
         * any container, and records it missed (its socket overflowed, or no
         * worker read them), both over the container's lifetime and for any
         * process: at most this many were the container's. */
        bool has_record_counts;
        uint64_t unattributed_records, missed_records;
        osl_obs_syscall *syscalls;
        size_t n_syscalls;
        osl_obs_capability *capabilities;
        size_t n_capabilities;
} osl_observation;

osl_observation *osl_observation_new(void);
void osl_observation_free(osl_observation *o);
static inline void osl_observation_freep(osl_observation **o) { osl_observation_free(*o); }
#define _cleanup_observation_ _cleanup_(osl_observation_freep)

/* Adds count to (arch, name, origin), creating the entry when new. */
int osl_observation_add(osl_observation *o, const char *arch, const char *name, osl_origin origin,
                        uint64_t count, bool implied);
int osl_observation_add_capability(osl_observation *o, const char *name, const char *evidence);
/* Adds when and by whom the existing entry (arch, name, origin) was seen:
 * first_seen and last_seen (RFC 3339, each may be NULL) widen what the
 * entry holds (the earlier first, the later last); pid (0: none) and comm
 * (NULL: none) are kept only when the entry has no sample yet, so the first
 * caller's stays. comm is what a process chose to call itself: bytes outside
 * 0x20..0x7e are stored as '?', and it is cut to OSL_COMM_MAX bytes; an
 * empty one counts as none. -ENOENT when the entry does not exist, -EINVAL
 * for a time that is not RFC 3339, first_seen later than last_seen, or a
 * negative pid. */
int osl_observation_add_sample(osl_observation *o, const char *arch, const char *name, osl_origin origin,
                               const char *first_seen, const char *last_seen, int64_t pid, const char *comm);

/* Adds everything `from` holds to o: syscalls with their counts, implied
 * flags and samples, capabilities with their counts, the notification
 * count. o's own metadata stays. Only ENOMEM can fail. */
int osl_observation_add_all(osl_observation *o, const osl_observation *from);

int osl_observation_from_jv(const jv *v, osl_observation **out, osl_error *err);
int osl_observation_to_jv(const osl_observation *o, jv **out, osl_error *err);
int osl_observation_load(const char *path, osl_observation **out, osl_error *err);
/* Atomic, without fsync: observations are temporary files in the run dir. */
int osl_observation_write(const osl_observation *o, const char *path, osl_error *err);

/* Waits for the agent's observation of a container at obs_path (under
 * run_dir/observations), at most timeout_ms, with inotify rather than
 * polling (osl_wait_for_file). 1: it is there; 0: it did not come in time;
 * -ENOTCONN at once, with the reason, when it is not there and nothing
 * listens on the agent's socket: no agent serves the container any more,
 * so none will write it. Another -errno when the wait itself fails. */
int osl_observation_wait(const char *run_dir, const char *obs_path, unsigned timeout_ms, osl_error *err);

/* Added with the store (lib/observation.c): the distinct syscall names in o
 * that libseccomp does not know (osl_syscall_known), sorted. They are kept
 * in observations and profiles (a newer kernel may have them); callers warn
 * about them. NULL-terminated; free with strvfreep. -ENOMEM only. */
int osl_observation_unknown_syscalls(const osl_observation *o, char ***names, size_t *n);
