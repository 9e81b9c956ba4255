/* SPDX-License-Identifier: Apache-2.0 */
/* A container's recording: the syscalls, arches and capabilities its
 * notifications (and SECCOMP_RET_LOG records) show, and the observation
 * made of them (see agent_worker.h, doc/agent.md). */
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "agent_worker.h"
#include "caps.h"
#include "learn_filter.h"
#include "syscalls.h"

/* x32 syscalls arrive with AUDIT_ARCH_X86_64 and this bit in the number. */
#define X32_SYSCALL_BIT 0x40000000

/* ---- recording -------------------------------------------------------- */

/* Wall-clock time, for the observation's firstSeen and lastSeen. */
static uint64_t realtime_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* realtime_ms() as osl_now_rfc3339 writes it: "2026-11-28T16:43:02.123Z". */
static void format_ms(uint64_t ms, char buf[static 32])
{
        time_t sec = (time_t) (ms / 1000);
        struct tm tm;
        gmtime_r(&sec, &tm);
        size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, 32 - n, ".%03uZ", (unsigned) (ms % 1000));
}

static size_t entry_hash(uint32_t arch, int32_t nr, uint8_t origin)
{
        uint64_t h = (uint64_t) (uint32_t) nr * 0x9E3779B97F4A7C15ULL;
        h ^= (uint64_t) arch * 0xC2B2AE3D27D4EB4FULL;
        h ^= origin;
        return (size_t) (h ^ (h >> 29));
}

static syscall_entry *entry_slot(syscall_entry *tab, size_t cap, uint32_t arch, int32_t nr, uint8_t origin)
{
        size_t i = entry_hash(arch, nr, origin) & (cap - 1);
        for (;; i = (i + 1) & (cap - 1)) {
                syscall_entry *e = &tab[i];
                if (!e->used || (e->arch == arch && e->nr == nr && e->origin == origin))
                        return e;
        }
}

/* Returns the entry, creating it (count 0) when new; NULL on ENOMEM. */
static syscall_entry *container_entry(container *c, uint32_t arch, int32_t nr, uint8_t origin, bool *created)
{
        *created = false;
        if (c->cap_entries == 0 || (c->n_entries + 1) * 2 > c->cap_entries) {
                size_t ncap = c->cap_entries ? c->cap_entries * 2 : 64;
                syscall_entry *ntab = calloc(ncap, sizeof(*ntab));
                if (!ntab)
                        return NULL;
                for (size_t i = 0; i < c->cap_entries; i++)
                        if (c->entries[i].used)
                                *entry_slot(ntab, ncap, c->entries[i].arch, c->entries[i].nr,
                                            c->entries[i].origin) = c->entries[i];
                free(c->entries);
                c->entries = ntab;
                c->cap_entries = ncap;
        }
        syscall_entry *e = entry_slot(c->entries, c->cap_entries, arch, nr, origin);
        if (!e->used) {
                *e = (syscall_entry) { .arch = arch, .nr = nr, .origin = origin, .used = true };
                c->n_entries++;
                *created = true;
        }
        return e;
}

static const exec_numbers *notifier_exec_numbers(notifier *n, uint32_t arch)
{
        for (size_t i = 0; i < n->n_exec_cache; i++)
                if (n->exec_cache[i].arch == arch)
                        return &n->exec_cache[i];
        exec_numbers en = { .arch = arch };
        en.has_execve = osl_syscall_number(arch, "execve", &en.execve) == 0;
        en.has_execveat = osl_syscall_number(arch, "execveat", &en.execveat) == 0;
        if (n->n_exec_cache == ELEMENTSOF(n->exec_cache))
                n->n_exec_cache = 0; /* more arches than any kernel runs; start over */
        n->exec_cache[n->n_exec_cache] = en;
        return &n->exec_cache[n->n_exec_cache++];
}

/* The process's command name, "" when it is gone. It is whatever the
 * process wrote to /proc/self/comm (escapes and newlines included): quote
 * it in messages. */
static void read_comm(uint32_t pid, char *comm, size_t size)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%" PRIu32 "/comm", pid);
        comm[0] = '\0';
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t n = read(fd, comm, size - 1);
        if (n <= 0) {
                comm[0] = '\0';
                return;
        }
        /* The kernel ends it with a newline; one inside is the process's. */
        if (comm[n - 1] == '\n')
                n--;
        comm[n] = '\0';
}

static void note_arch(uint32_t *arches, size_t *n, uint32_t arch)
{
        size_t i;
        for (i = 0; i < *n && arches[i] != arch; i++)
                ;
        if (i == *n && i < MAX_APP_ARCHES)
                arches[(*n)++] = arch;
}

/* The syscall's name when it can imply a capability, else NULL (cached). */
static char *capability_relevant_name(notifier *n, uint32_t arch, int32_t nr)
{
        size_t i;
        for (i = 0; i < n->n_relevance && n->relevance[i].arch != arch; i++)
                ;
        if (i == n->n_relevance) {
                if (i == ELEMENTSOF(n->relevance))
                        return NULL;
                n->relevance[i].arch = arch;
                memset(n->relevance[i].relevant, 0, sizeof(n->relevance[i].relevant));
                n->n_relevance++;
        }
        uint8_t *cached = nr >= 0 && nr < RELEVANCE_NR_MAX ? &n->relevance[i].relevant[nr] : NULL;
        if (cached && *cached == 2)
                return NULL;
        char *name = NULL;
        osl_error err = {};
        if (osl_syscall_name(arch, nr, &name, &err) < 0)
                return NULL;
        bool relevant = osl_caps_syscall_relevant(name);
        if (cached)
                *cached = relevant ? 1 : 2;
        if (!relevant) {
                free(name);
                return NULL;
        }
        return name;
}

typedef struct target_memory {
        int notify_fd;
        uint64_t id;
        uint32_t pid;
} target_memory;

/* Reads the notifying task's memory, then checks that the notification is
 * still pending: if it is, the pid still names that task (doc/agent.md). */
static int read_target(void *userdata, uint64_t addr, void *buf, size_t len)
{
        const target_memory *t = userdata;
        char path[64];
        snprintf(path, sizeof(path), "/proc/%u/mem", t->pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = pread(fd, buf, len, (off_t) addr);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EFAULT;
        uint64_t id = t->id;
        if (ioctl(t->notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
                return -ESRCH;
        return 0;
}

/* The application's calls that imply a capability: must run before the
 * answer, while the task still waits and its arguments are in place.
 * Called with s->c->lock held, as agent_source_record is. */
void agent_source_inspect(agent *a, notifier *n, source *s, const struct seccomp_notif *req)
{
        container *c = s->c;
        uint32_t arch = req->data.arch;
        int32_t nr = req->data.nr;

        if (!s->application || (arch == SCMP_ARCH_X86_64 && (nr & X32_SYSCALL_BIT)))
                return;
        _cleanup_free_ char *name = capability_relevant_name(n, arch, nr);
        if (!name)
                return;
        target_memory t = { .notify_fd = s->fd, .id = req->id, .pid = req->pid };
        osl_cap_use use = {};
        if (osl_caps_implied(name, (const uint64_t *) req->data.args, read_target, &t, &use) != 1)
                return;
        for (size_t i = 0; i < c->n_caps; i++)
                if (c->caps[i].cap == use.cap) {
                        c->caps[i].count++;
                        return;
                }
        if (c->n_caps == ELEMENTSOF(c->caps))
                return;
        c->caps[c->n_caps].cap = use.cap;
        c->caps[c->n_caps].count = 1;
        snprintf(c->caps[c->n_caps].evidence, sizeof(c->caps[c->n_caps].evidence), "%s", use.evidence);
        c->n_caps++;
        char cap_name[64] = "?";
        osl_cap_name(use.cap, cap_name);
        agent_log(a, LOG_INFO, "container %s: %s implies %s", c->id, use.evidence, cap_name);
}

/* count calls of (arch, nr) by pid: notified (the caller waits for our
 * answer, so it is still there) or logged (lib/log_collector.h). Called
 * with c's lock held. */
void agent_container_record(agent *a, container *c, uint32_t arch, int32_t nr, uint32_t pid, bool application,
                             uint64_t count)
{
        if (arch == SCMP_ARCH_X86_64 && (nr & X32_SYSCALL_BIT))
                arch = SCMP_ARCH_X32;
        uint8_t origin = application ? OSL_ORIGIN_APPLICATION : OSL_ORIGIN_RUNTIME;
        if (application)
                note_arch(c->app_arches, &c->n_app_arches, arch);
        else
                note_arch(c->runtime_arches, &c->n_runtime_arches, arch);

        bool created;
        syscall_entry *e = container_entry(c, arch, nr, origin, &created);
        if (!e) {
                agent_log(a, LOG_ERR, "container %s: out of memory; syscall %d not recorded", c->id, nr);
                return;
        }
        e->count += count;
        c->dirty = true;
        uint64_t now = realtime_ms();
        if (created) {
                c->fresh_entry = true;
                e->first_ms = now;
                e->sample_pid = pid;
                /* One read per new entry, never per call. */
                read_comm(pid, e->sample_comm, sizeof(e->sample_comm));
        }
        /* Should the clock step back, lastSeen still does not precede firstSeen. */
        if (now > e->last_ms)
                e->last_ms = now;
        if (created && a->log_level >= LOG_DEBUG) {
                _cleanup_free_ char *name = NULL;
                osl_error name_err = {};
                osl_syscall_name(arch, nr, &name, &name_err);
                char q[96];
                agent_log(a, LOG_DEBUG, "container %s: new %s syscall %s (%d) on %s by pid %u %s", c->id,
                          osl_origin_name(origin), name ? name : "?", nr,
                          osl_arch_to_oci(arch) ? osl_arch_to_oci(arch) : "?", pid,
                          osl_quote(e->sample_comm, q, sizeof(q)));
        }
}


/* Called with c's lock held. */
exec_seen agent_source_record(agent *a, notifier *n, source *s, const struct seccomp_notif *req)
{
        container *c = s->c;
        uint32_t arch = req->data.arch;
        int32_t nr = req->data.nr;
        exec_seen seen = EXEC_NONE;

        if (arch == SCMP_ARCH_X86_64 && (nr & X32_SYSCALL_BIT))
                arch = SCMP_ARCH_X32;
        c->notifications++;
        const exec_numbers *en = notifier_exec_numbers(n, arch);
        if ((en->has_execve && nr == en->execve) || (en->has_execveat && nr == en->execveat)) {
                seen = s->application ? EXEC_AGAIN : EXEC_APPLICATION;
                if (seen == EXEC_APPLICATION) {
                        s->application = true;
                        int slot = __atomic_load_n(&s->slot, __ATOMIC_ACQUIRE);
                        if (slot >= 0)
                                __atomic_fetch_or(&a->slots[slot].flags, OSL_AGENT_SLOT_APPLICATION,
                                                  __ATOMIC_RELAXED);
                        agent_log(a, LOG_DEBUG, "container %s: pid %u execs: the application starts",
                                  c->id, req->pid);
                }
        }
        agent_container_record(a, c, arch, nr, req->pid, s->application, 1);
        return seen;
}

/* Before the exec is answered: the collector notes the pid, and hands
 * over what the runtime logged before the application's start (a barrier).
 * Not under c's lock: the records it hands over take it. */
void agent_collector_note_exec(agent *a, source *s, uint32_t pid, exec_seen seen)
{
        if (a->collector && seen != EXEC_NONE)
                osl_log_collector_exec(a->collector, s->c, pid, seen == EXEC_APPLICATION, s->c->log_method);
}

static bool container_has(const container *c, uint32_t arch, int32_t nr, uint8_t origin)
{
        if (c->cap_entries == 0)
                return false;
        const syscall_entry *e = entry_slot(c->entries, c->cap_entries, arch, nr, origin);
        return e->used;
}

/* What was recorded (and what earlier workers learned, c->base) as an
 * observation; c may be a copy of the record handle (the log collector
 * knows the record, not the copy). Only ENOMEM can fail. */
static int container_observation(agent *a, container *c, const container *handle, bool partial,
                                 osl_observation **out)
{
        _cleanup_observation_ osl_observation *o = osl_observation_new();
        char end_time[32];
        int r;

        if (!o)
                return -ENOMEM;
        osl_now_rfc3339(end_time);
        o->container_id = osl_strdup(c->id);
        o->start_time = osl_strdup(c->start_time);
        o->end_time = osl_strdup(end_time);
        o->method = osl_strdup(c->log_method ? OSL_METHOD_NAME_LOG : OSL_METHOD_NAME_NOTIFY);
        if (!o->container_id || !o->start_time || !o->end_time || !o->method)
                return -ENOMEM;
        o->partial = partial;
        o->image_key = osl_strdup(c->image.key);
        o->image_name = osl_strdup(c->image.name);
        o->image_tag = osl_strdup(c->image.tag);
        o->image_digest = osl_strdup(c->image.digest);
        if (!o->image_key || (c->image.name && !o->image_name) || (c->image.tag && !o->image_tag) ||
            (c->image.digest && !o->image_digest))
                return -ENOMEM;
        o->notifications = c->notifications;
        if (a->collector) {
                osl_log_collector_counts(a->collector, handle, &o->unattributed_records, &o->missed_records);
                o->has_record_counts = true;
        }

        for (size_t i = 0; i < c->cap_entries; i++) {
                const syscall_entry *se = &c->entries[i];
                if (!se->used)
                        continue;
                const char *arch = osl_arch_to_oci(se->arch);
                _cleanup_free_ char *name = NULL;
                osl_error name_err = {};
                if (!arch || osl_syscall_name(se->arch, se->nr, &name, &name_err) < 0) {
                        /* A profile can name only what libseccomp knows, so
                         * the number cannot go into the observation. */
                        agent_log(a, LOG_WARNING,
                                  "container %s: syscall number %d on arch 0x%08x (%s), called %" PRIu64
                                  " times, has no name in libseccomp " "%u.%u.%u; not recorded",
                                  c->id, se->nr, se->arch, osl_origin_name(se->origin), se->count,
                                  seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
                        continue;
                }
                r = osl_observation_add(o, arch, name, se->origin, se->count, false);
                if (r < 0)
                        return -ENOMEM;
                char first[32], last[32];
                format_ms(se->first_ms, first);
                format_ms(se->last_ms, last);
                /* Only ENOMEM can fail: the entry exists and the times are ours. */
                r = osl_observation_add_sample(o, arch, name, se->origin, first, last, se->sample_pid,
                                               se->sample_comm[0] ? se->sample_comm : NULL);
                if (r < 0)
                        return -ENOMEM;
        }

        /* Implied for every application (lib/families.h): write, which runc
         * refuses to notify, so the learning filter allows it and the agent
         * never sees it; exit and exit_group, which a run killed by SIGKILL
         * never made. Recorded as implied on each arch the application was
         * seen on, unless really seen (doc/agent.md). */
        for (size_t i = 0; i < c->n_app_arches; i++) {
                const char *arch = osl_arch_to_oci(c->app_arches[i]);
                for (const char *const *name = osl_application_implied; arch && *name; name++) {
                        int nr;
                        if (osl_syscall_number(c->app_arches[i], *name, &nr) < 0)
                                continue;
                        if (container_has(c, c->app_arches[i], nr, OSL_ORIGIN_APPLICATION))
                                continue; /* notified: really seen */
                        r = osl_observation_add(o, arch, *name, OSL_ORIGIN_APPLICATION, 0, true);
                        if (r < 0)
                                return -ENOMEM;
                }
        }

        /* The runtime floor is never notified either: runc's Go runtime may
         * call it before the notify fd reaches us, and a notification then
         * would wait forever. Record it as the runtime's, implied, on the
         * arches the runtime was seen on (doc/learning.md). */
        for (size_t i = 0; i < c->n_runtime_arches; i++) {
                const char *arch = osl_arch_to_oci(c->runtime_arches[i]);
                for (const char *const *f = osl_runtime_floor; arch && *f; f++) {
                        int nr;
                        if (osl_syscall_number(c->runtime_arches[i], *f, &nr) < 0 ||
                            container_has(c, c->runtime_arches[i], nr, OSL_ORIGIN_RUNTIME))
                                continue; /* logged: really seen */
                        r = osl_observation_add(o, arch, *f, OSL_ORIGIN_RUNTIME, 0, true);
                        if (r < 0)
                                return -ENOMEM;
                }
        }

        for (size_t i = 0; i < c->n_caps; i++) {
                char cap_name[64];
                if (osl_cap_name(c->caps[i].cap, cap_name) < 0)
                        continue;
                r = osl_observation_add_capability(o, cap_name, c->caps[i].evidence);
                if (r < 0)
                        return r;
        }
        if (c->base) {
                r = osl_observation_add_all(o, c->base);
                if (r < 0)
                        return r;
        }
        *out = TAKE_PTR(o);
        return 0;
}

/* What c recorded, as an observation: the recording is copied under its
 * lock (the notify threads wait meanwhile), the observation built outside
 * it. Marks c clean. */
int agent_container_snapshot(agent *a, container *c, bool partial, osl_observation **out)
{
        container snap;

        pthread_mutex_lock(&c->lock);
        snap = *c;
        snap.entries = snap.cap_entries ? malloc(snap.cap_entries * sizeof(*snap.entries)) : NULL;
        bool copied = !snap.cap_entries || snap.entries;
        if (copied) {
                if (snap.entries)
                        memcpy(snap.entries, c->entries, snap.cap_entries * sizeof(*snap.entries));
                c->dirty = c->fresh_entry = false;
        }
        pthread_mutex_unlock(&c->lock);
        if (!copied)
                return -ENOMEM;
        int r = container_observation(a, &snap, c, partial, out);
        free(snap.entries);
        return r;
}
