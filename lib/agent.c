/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp-notify learning agent: see agent.h and doc/agent.md. */
#include "agent.h"

#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>

#include <linux/seccomp.h>

#include "agent_worker.h"
#include "log_collector.h"
#include "observation.h"
#include "rundir.h"

/* Kernel 6.6 and later; Debian 12's headers predate both names. The flag
 * makes the kernel switch straight to the woken task instead of going
 * through the scheduler: about 20 times less latency per notification. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#define EPOLL_BATCH 64
/* A filter whose users are gone cannot get new notifications; this only
 * bounds the loop that answers the ones still queued. */
#define DRAIN_MAX 4096

/* ---- the loop's objects ---------------------------------------------- */

/* Their types are in agent_worker.h. */
#define LIST_PREPEND(head, item)                 \
        do {                                     \
                (item)->prev = NULL;             \
                (item)->next = (head);           \
                if (head)                        \
                        (head)->prev = (item);   \
                (head) = (item);                 \
        } while (0)
#define LIST_REMOVE(head, item)                              \
        do {                                                 \
                if ((item)->prev)                            \
                        (item)->prev->next = (item)->next;   \
                else                                         \
                        (head) = (item)->next;               \
                if ((item)->next)                            \
                        (item)->next->prev = (item)->prev;   \
                (item)->prev = (item)->next = NULL;          \
        } while (0)

void osl_agent_vlog(const osl_agent_options *opts, int level, const char *fmt, va_list ap)
{
        char msg[2048];
        int max = opts->log_level > 0 ? opts->log_level : LOG_INFO;

        if (!opts->log || level > max)
                return;
        int saved = errno;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        opts->log(level, msg, opts->log_userdata);
        errno = saved;
}

void agent_log(agent *a, int level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        osl_agent_vlog(a->opts, level, fmt, ap);
        va_end(ap);
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void agent_fd_closed(agent *a)
{
        if (!a->listener_paused)
                return;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &a->listener_tag };
        if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->listen_fd, &ev) == 0)
                a->listener_paused = false;
}

static void connection_free(agent *a, connection *c)
{
        if (!c)
                return;
        LIST_REMOVE(a->connections, c);
        a->n_connections--;
        for (size_t i = 0; i < c->n_fds; i++)
                if (c->fds[i] >= 0)
                        close(c->fds[i]);
        close(c->fd); /* also removes it from the epoll set */
        free(c->buf);
        free(c);
        agent_fd_closed(a);
}

/* Frees a record that is in no list. */
static void container_free_unlisted(container *c)
{
        free(c->id);
        free(c->obs_path);
        osl_image_clear(&c->image);
        free(c->entries);
        osl_observation_free(c->base);
        free(c->ckpt_name);
        free(c->ckpt_path);
        pthread_mutex_destroy(&c->lock);
        free(c);
}

static void container_free(agent *a, container *c)
{
        if (a->collector)
                osl_log_collector_unwatch(a->collector, c);
        LIST_REMOVE(a->containers, c);
        container_free_unlisted(c);
}

/* A new record (zeroed, its lock ready); NULL on ENOMEM. */
static container *container_new(agent *a)
{
        container *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        pthread_mutex_init(&c->lock, NULL);
        c->seq = ++a->next_seq;
        return c;
}

static bool same_string(const char *x, const char *y)
{
        return x == y || (x && y && strcmp(x, y) == 0);
}

/* The record of the instance key whose image is image_key; *other gets a
 * record of that key with another image, if any. */
static container *container_find(agent *a, const char *key, const char *image_key, container **other)
{
        *other = NULL;
        for (container *c = a->containers; c; c = c->next) {
                if (strcmp(c->key, key) != 0)
                        continue;
                if (same_string(c->image.key, image_key))
                        return c;
                *other = c;
        }
        return NULL;
}


/* Writes o to path, creating its directory. */
static int write_observation_file(const osl_observation *o, char *path, osl_error *e)
{
        char *slash = strrchr(path, '/');
        *slash = '\0';
        int r = osl_mkdir_p(path, 0700, e);
        *slash = '/';
        if (r < 0)
                return r;
        return osl_observation_write(o, path, e);
}

/* ---- the writer thread's jobs (doc/agent.md) ------------------------ */

typedef enum write_kind {
        WRITE_CHECKPOINT, /* path: the container's checkpoint */
        WRITE_FINAL,      /* path: its observation; unlink_path (its checkpoint) goes after */
        WRITE_NOTHING,    /* writes nothing: a hold that waits for what was queued before it */
} write_kind;

typedef struct write_job {
        osl_writer_job job;
        agent *a;
        write_kind kind;
        osl_observation *o;
        char *path, *unlink_path, *id;
        bool partial;
        uint64_t container_seq; /* WRITE_CHECKPOINT: whose */
        uint64_t hold_seq;      /* the source to hand to the holder once written; 0: none */
        int hold_slot;          /* the slot reserved for it */
        int r;
} write_job;

static void write_job_run(osl_writer_job *job)
{
        write_job *w = (write_job *) job;
        agent *a = w->a;
        osl_error e = {};

        if (w->kind == WRITE_NOTHING)
                return;
        w->r = write_observation_file(w->o, w->path, &e);
        if (w->r < 0) {
                if (w->kind == WRITE_CHECKPOINT)
                        agent_log(a, LOG_WARNING, "container %s: cannot write its checkpoint: %s", w->id, e.msg);
                else
                        agent_log(a, LOG_ERR, "container %s: cannot write its observation: %s", w->id, e.msg);
                return;
        }
        if (w->kind != WRITE_FINAL)
                return;
        /* The final observation holds everything the checkpoint did. */
        if (w->unlink_path)
                unlink(w->unlink_path);
        char records[160] = "";
        if (w->o->has_record_counts)
                snprintf(records, sizeof(records), ", audit records while it ran: %" PRIu64 " unattributed, %" PRIu64
                         " missed", w->o->unattributed_records, w->o->missed_records);
        agent_log(a, LOG_INFO, "container %s: wrote %s: %zu syscalls, %" PRIu64 " notifications%s%s", w->id, w->path,
                  w->o->n_syscalls, w->o->notifications, records,
                  w->partial ? " (partial: the agent stops while the container runs)" : "");
}

static void source_hand_over(agent *a, source *s, int slot);

static container *container_by_seq(agent *a, uint64_t seq)
{
        for (container *c = a->containers; c; c = c->next)
                if (c->seq == seq)
                        return c;
        return NULL;
}

static source *source_by_seq(agent *a, uint64_t seq)
{
        for (source *s = a->sources; s; s = s->next)
                if (s->seq == seq)
                        return s;
        return NULL;
}

/* Back in the loop: what follows a write. The container or source may be
 * gone by now; they are looked up by their sequence number. */
static void write_job_done(osl_writer_job *job, void *userdata)
{
        write_job *w = (write_job *) job;
        agent *a = userdata;

        if (w->kind == WRITE_CHECKPOINT) {
                container *c = container_by_seq(a, w->container_seq);
                if (c) {
                        c->ckpt_queued = false;
                        if (w->r < 0) { /* again at the next occasion */
                                pthread_mutex_lock(&c->lock);
                                c->dirty = true;
                                pthread_mutex_unlock(&c->lock);
                        }
                }
        }
        if (w->hold_seq) {
                a->slot_reserved[w->hold_slot] = false;
                source *s = source_by_seq(a, w->hold_seq);
                /* A checkpoint not written: a restarted worker could not name the container. */
                if (s && w->r == 0)
                        source_hand_over(a, s, w->hold_slot);
        }
        osl_observation_free(w->o);
        free(w->path);
        free(w->unlink_path);
        free(w->id);
        free(w);
}

/* Hands o (taken, may be NULL for WRITE_NOTHING) to the writer thread. */
static int agent_submit(agent *a, write_kind kind, container *c, osl_observation *o, const char *path,
                        const char *unlink_path, bool partial, source *hold, int hold_slot)
{
        write_job *w = calloc(1, sizeof(*w));
        if (!w || !(w->id = osl_strdup(c->id)) || (path && !(w->path = osl_strdup(path))) ||
            (unlink_path && !(w->unlink_path = osl_strdup(unlink_path)))) {
                if (w) {
                        free(w->id);
                        free(w->path);
                }
                free(w);
                osl_observation_free(o);
                agent_log(a, LOG_ERR, "container %s: out of memory; nothing written", c->id);
                return -ENOMEM;
        }
        w->job = (osl_writer_job) { .run = write_job_run, .done = write_job_done };
        w->a = a;
        w->kind = kind;
        w->o = o;
        w->partial = partial;
        w->container_seq = c->seq;
        w->hold_seq = hold ? hold->seq : 0;
        w->hold_slot = hold_slot;
        osl_writer_submit(a->writer, &w->job);
        return 0;
}


/* Hands the container's checkpoint to the writer when one is due. */
static void container_checkpoint(agent *a, container *c)
{
        if (!c->ckpt_path || !c->image.key || c->ckpt_queued)
                return;
        uint64_t now = now_ms();
        pthread_mutex_lock(&c->lock);
        bool due = c->dirty &&
                   now >= c->ckpt_ms + (c->fresh_entry ? OSL_AGENT_CHECKPOINT_NEW_MS : OSL_AGENT_CHECKPOINT_MS);
        pthread_mutex_unlock(&c->lock);
        if (!due)
                return;
        _cleanup_observation_ osl_observation *o = NULL;
        c->ckpt_ms = now;
        if (agent_container_snapshot(a, c, true, &o) < 0) {
                agent_log(a, LOG_WARNING, "container %s: cannot write its checkpoint: out of memory", c->id);
                return;
        }
        if (agent_submit(a, WRITE_CHECKPOINT, c, TAKE_PTR(o), c->ckpt_path, NULL, true, NULL, -1) == 0)
                c->ckpt_queued = true;
}

/* The epoll timeout until the next checkpoint is due (-1: none). A notify
 * thread that makes a container dirty wakes the loop (agent_wake). */
static int agent_checkpoint_due(agent *a)
{
        uint64_t now = now_ms(), next = UINT64_MAX;
        for (container *c = a->containers; c; c = c->next) {
                container_checkpoint(a, c);
                if (!c->ckpt_path || !c->image.key || c->ckpt_queued)
                        continue;
                pthread_mutex_lock(&c->lock);
                bool dirty = c->dirty, fresh = c->fresh_entry;
                pthread_mutex_unlock(&c->lock);
                if (!dirty)
                        continue;
                uint64_t due = c->ckpt_ms + (fresh ? OSL_AGENT_CHECKPOINT_NEW_MS : OSL_AGENT_CHECKPOINT_MS);
                if (due < next)
                        next = due;
        }
        if (next == UINT64_MAX)
                return -1;
        return next <= now ? 0 : (int) (next - now);
}

/* Hands what was recorded to the writer as the observation file. The
 * caller frees c: the job holds all it needs. */
static int container_write(agent *a, container *c, bool partial)
{
        _cleanup_observation_ osl_observation *o = NULL;

        if (!c->image.key) {
                agent_log(a, LOG_ERR, "container %s: no observation written: its image is unknown (no "
                          "listenerMetadata, no %s annotation)", c->id, OSL_ANNOTATION_IMAGE);
                return -ENOENT;
        }
        /* Every logged call it made until now. The log method waits for
         * them (a barrier: a fork and a round trip through the kernel's
         * audit queue, about 10 ms of the container's stop here); notify,
         * which logs only write, reads what has come and does not wait. */
        if (a->collector)
                osl_log_collector_flush(a->collector, c, c->log_method);
        if (agent_container_snapshot(a, c, partial, &o) < 0) {
                agent_log(a, LOG_ERR, "container %s: cannot write its observation: out of memory", c->id);
                return -ENOMEM;
        }
        return agent_submit(a, WRITE_FINAL, c, TAKE_PTR(o), c->obs_path, partial ? NULL : c->ckpt_path, partial,
                            NULL, -1);
}

/* ---- the holder (doc/reliability.md) ------------------------------- */

static source *source_add(agent *a, container *c, int *nfd, int slot, bool application, uint32_t pid);

/* The holder is gone: from now on a crash of this worker breaks learning. */
static void holder_lost(agent *a, const char *why)
{
        if (a->holder_fd < 0)
                return;
        agent_log(a, LOG_WARNING, "the holder is gone (%s); serving on, but the containers' notified syscalls "
                  "will fail with ENOSYS should this process die", why);
        close(a->holder_fd);
        a->holder_fd = -1;
}

/* Hands the holder a copy of s's notify fd, in a free slot; a new container
 * gets its checkpoint first, so that a restarted worker can name it. The
 * checkpoint is written by the writer thread; the fd goes to the holder
 * once it is (source_hand_over), while s is served already. */
static void source_hold(agent *a, source *s)
{
        container *c = s->c;
        _cleanup_observation_ osl_observation *o = NULL;
        write_kind kind = WRITE_NOTHING;
        int slot;

        /* Atomic: the notify threads change the flags of the slots in use. */
        for (slot = 0; slot < OSL_AGENT_SLOTS &&
                       (__atomic_load_n(&a->slots[slot].flags, __ATOMIC_RELAXED) || a->slot_reserved[slot]);
             slot++)
                ;
        if (slot == OSL_AGENT_SLOTS) {
                agent_log(a, LOG_WARNING, "container %s: all %d holder slots are taken; its learning does not "
                          "survive a crash of this process", c->id, OSL_AGENT_SLOTS);
                return;
        }
        if (!c->ckpt_name) {
                if (osl_asprintf(&c->ckpt_name, "%s@%d", c->key, slot) < 0 ||
                    osl_agent_checkpoint_path(a->run_dir, c->ckpt_name, &c->ckpt_path) < 0) {
                        agent_log(a, LOG_ERR, "container %s: out of memory; not held", c->id);
                        return;
                }
                /* Without an image there is nothing to write; the fd is
                 * held all the same, so that the container's calls go on. */
                if (c->image.key) {
                        if (agent_container_snapshot(a, c, true, &o) < 0) {
                                agent_log(a, LOG_ERR, "container %s: out of memory; not held", c->id);
                                return;
                        }
                        kind = WRITE_CHECKPOINT;
                        c->ckpt_ms = now_ms();
                }
        }
        a->slot_reserved[slot] = true;
        if (agent_submit(a, kind, c, TAKE_PTR(o), c->ckpt_path, NULL, true, s, slot) < 0) {
                a->slot_reserved[slot] = false;
                return;
        }
        if (kind == WRITE_CHECKPOINT)
                c->ckpt_queued = true;
}

/* The writer wrote what s's hold waited for: the holder gets the fd. */
static void source_hand_over(agent *a, source *s, int slot)
{
        container *c = s->c;
        char msg[OSL_HOLDER_MSG_MAX];
        osl_error e = {};

        if (a->holder_fd < 0)
                return;
        snprintf(msg, sizeof(msg), "hold %d %s", slot, c->ckpt_name);
        int r = osl_unix_send(a->holder_fd, msg, s->fd, NULL);
        if (r < 0) {
                errno = -r;
                osl_err(&e, r, "%m");
                holder_lost(a, e.msg);
                return;
        }
        /* Under the lock: s's thread notes each notification it receives in
         * the slot from now on. */
        pthread_mutex_lock(&c->lock);
        a->slots[slot] = (osl_agent_slot) {
                .flags = OSL_AGENT_SLOT_HELD |
                         (strcmp(c->mode, OSL_MODE_NAME_COMPLAIN) == 0 ? OSL_AGENT_SLOT_COMPLAIN : 0) |
                         (s->application ? OSL_AGENT_SLOT_APPLICATION : 0),
        };
        __atomic_store_n(&s->slot, slot, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&c->lock);
}

static void holder_release(agent *a, int slot)
{
        char msg[64];
        a->slots[slot] = (osl_agent_slot) {};
        if (a->holder_fd < 0)
                return;
        snprintf(msg, sizeof(msg), "done %d", slot);
        int r = osl_unix_send(a->holder_fd, msg, -1, NULL);
        if (r < 0) {
                osl_error e = {};
                errno = -r;
                osl_err(&e, r, "%m");
                holder_lost(a, e.msg);
        }
}

/* The container a checkpoint names, made from the checkpoint when this
 * worker does not serve it yet. NULL (logged) on failure. */
static container *container_adopt(agent *a, const char *name)
{
        for (container *c = a->containers; c; c = c->next)
                if (c->ckpt_name && strcmp(c->ckpt_name, name) == 0)
                        return c;

        osl_error e = {};
        const char *at = strrchr(name, '@');
        size_t key_len = (size_t) (at - name);
        container *c = container_new(a);
        if (!c || !(c->ckpt_name = osl_strdup(name)) ||
            osl_agent_checkpoint_path(a->run_dir, name, &c->ckpt_path) < 0 ||
            key_len >= sizeof(c->key) ||
            osl_asprintf(&c->obs_path, "%s/observations/%.*s.json", a->run_dir, (int) key_len, name) < 0) {
                agent_log(a, LOG_ERR, "checkpoint %s: out of memory or name too long; not adopted", name);
                if (c)
                        container_free_unlisted(c);
                return NULL;
        }
        memcpy(c->key, name, key_len);
        c->key[key_len] = '\0';
        c->mode = OSL_MODE_NAME_LEARN;
        LIST_PREPEND(a->containers, c);

        osl_observation *o = NULL;
        if (osl_observation_load(c->ckpt_path, &o, &e) < 0 || !osl_container_id_valid(o->container_id)) {
                /* Served all the same, so that its calls go on; no
                 * observation can be written without its image. */
                agent_log(a, LOG_ERR, "checkpoint %s: %s; the container is served, but what it learned is lost",
                          name, o ? "no valid container id" : e.msg);
                osl_observation_free(o);
                /* The id is the instance key without "-<hash>". */
                c->id = strndup(c->key, key_len > OSL_INSTANCE_HASH_LEN + 1 ? key_len - OSL_INSTANCE_HASH_LEN - 1
                                                                                  : key_len);
                osl_now_rfc3339(c->start_time);
                if (!c->id) {
                        container_free(a, c);
                        return NULL;
                }
                return c;
        }
        c->id = osl_strdup(o->container_id);
        c->log_method = strcmp(o->method, OSL_METHOD_NAME_LOG) == 0;
        c->image.key = osl_strdup(o->image_key);
        c->image.name = osl_strdup(o->image_name);
        c->image.tag = osl_strdup(o->image_tag);
        c->image.digest = osl_strdup(o->image_digest);
        c->image.source = "checkpoint";
        snprintf(c->start_time, sizeof(c->start_time), "%s", o->start_time);
        c->base = o;
        if (!c->id || !c->image.key) {
                agent_log(a, LOG_ERR, "checkpoint %s: out of memory; not adopted", name);
                container_free(a, c);
                return NULL;
        }
        agent_log(a, LOG_INFO, "container %s: resumed from %s: %zu syscalls, %" PRIu64 " notifications so far",
                  c->id, c->ckpt_path, o->n_syscalls, o->notifications);
        return c;
}

/* Notification ids count up per filter. A worker killed inside its
 * receive (its thread blocks there, and the kernel hands out a queued
 * notification even with SIGKILL pending) took the notification after the
 * last one noted in the slot without ever seeing it: the kernel will not
 * hand it out again, and its caller would wait for good. It is the first
 * id after the slot's last that is received and not answered
 * (SECCOMP_IOCTL_NOTIF_ID_VALID says so only of those). It is answered, but
 * cannot be recorded: which call it was died with the worker. last == 0:
 * nothing was noted (the slot is fresh). */
#define LOST_ID_PROBES 64
static void source_answer_lost(agent *a, source *s, uint64_t last)
{
        if (last == 0)
                return;
        for (uint64_t k = 1; k <= LOST_ID_PROBES; k++) {
                uint64_t id = last + k;
                if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
                        continue;
                agent_log(a, LOG_WARNING, "container %s: answering a call that the previous worker received as it "
                          "died, before it could note which call it was (not recorded)", s->c->id);
                agent_source_answer(a, &a->loop_notifier, s, -1, last + k, 0);
                return;
        }
}

/* A restarted worker takes over what the holder kept: reads "adopt"
 * messages until "adopted", then answers the notifications its predecessor
 * had received and not answered. */
static int agent_adopt(agent *a, osl_error *err)
{
        bool adopted[OSL_AGENT_SLOTS] = {};
        char msg[OSL_HOLDER_MSG_MAX];
        size_t n = 0;

        for (;;) {
                _cleanup_close_ int fd = -1;
                ssize_t len = osl_unix_recv(a->holder_fd, msg, sizeof(msg), &fd);
                if (len < 0) {
                        errno = (int) -len;
                        return osl_err(err, (int) len, "cannot read from the holder: %m");
                }
                if (len == 0)
                        return osl_err(err, -ECONNRESET, "the holder closed the connection while handing fds over");
                if (strcmp(msg, "adopted") == 0)
                        break;
                int slot = -1, end = 0;
                if (sscanf(msg, "adopt %d %n", &slot, &end) != 1 || end == 0 || slot < 0 ||
                    slot >= OSL_AGENT_SLOTS || adopted[slot] || fd < 0 || !osl_agent_checkpoint_name_valid(msg + end)) {
                        agent_log(a, LOG_ERR, "unexpected message from the holder: %.80s", msg);
                        continue;
                }
                container *c = container_adopt(a, msg + end);
                if (!c)
                        continue;
                if (a->slots[slot].flags & OSL_AGENT_SLOT_COMPLAIN)
                        c->mode = OSL_MODE_NAME_COMPLAIN;
                source *s = source_add(a, c, &fd, slot, a->slots[slot].flags & OSL_AGENT_SLOT_APPLICATION, 0);
                if (!s) {
                        if (c->n_sources == 0)
                                container_free(a, c);
                        continue;
                }
                adopted[slot] = true;
                n++;
        }
        /* Slots the holder does not know were never handed over. */
        for (int i = 0; i < OSL_AGENT_SLOTS; i++)
                if (!adopted[i])
                        a->slots[i] = (osl_agent_slot) {};
        for (source *s = a->sources; s; s = s->next) {
                osl_agent_slot *slot = &a->slots[s->slot];
                uint64_t id = slot->id;
                source_answer_lost(a, s, slot->id);
                if (!(slot->flags & OSL_AGENT_SLOT_INFLIGHT))
                        continue;
                if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0) {
                        slot->flags &= ~OSL_AGENT_SLOT_INFLIGHT; /* answered, or its task died */
                        continue;
                }
                struct seccomp_notif req = { .id = slot->id, .pid = slot->pid,
                                             .data = { .arch = slot->arch, .nr = slot->nr } };
                agent_log(a, LOG_INFO, "container %s: answering the call of pid %u that the previous worker "
                          "received and did not answer", s->c->id, slot->pid);
                pthread_mutex_lock(&s->c->lock);
                exec_seen seen = agent_source_record(a, &a->loop_notifier, s, &req);
                pthread_mutex_unlock(&s->c->lock);
                agent_collector_note_exec(a, s, req.pid, seen);
                agent_source_answer(a, &a->loop_notifier, s, s->slot, req.id, req.pid);
        }
        for (source *s = a->sources; s; s = s->next)
                agent_source_start(a, s);
        if (n > 0)
                agent_log(a, LOG_INFO, "took over %zu notify fds from the holder", n);
        return 0;
}

/* ---- notifications (the notify threads: agent_notify.c) ------------ */

/* Stops s's thread, answers what is still queued, then closes the fd;
 * writes the container's observation when this was its last filter. */
static void source_finish(agent *a, source *s, bool partial)
{
        container *c = s->c;

        agent_source_stop_thread(s);
        for (int i = 0; i < DRAIN_MAX; i++) {
                struct pollfd p = { .fd = s->fd, .events = POLLIN };
                if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
                        break;
                int r = agent_source_handle_one(a, &a->loop_notifier, s);
                if (r < 0 && r != -ENOENT && r != -EINTR)
                        break;
        }
        LIST_REMOVE(a->sources, s);
        a->n_sources--;
        /* Not left to close(): the holder keeps the same open file, and an
         * epoll registration lives as long as the file does. */
        epoll_ctl(a->epfd, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        if (s->slot >= 0)
                holder_release(a, s->slot);
        free(s);
        agent_fd_closed(a);

        if (--c->n_sources > 0) {
                agent_log(a, LOG_DEBUG, "container %s: a filter has no users left; %zu remain", c->id,
                          c->n_sources);
                return;
        }
        container_write(a, c, partial);
        container_free(a, c);
}

/* ---- the runtime's message ------------------------------------------ */

static void set_sync_wakeup(agent *a, int fd)
{
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
                return;
        if (!a->sync_wakeup_warned)
                agent_log(a, LOG_NOTICE,
                          "cannot set SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (needs Linux 6.6): %m; "
                          "each notification will take longer");
        a->sync_wakeup_warned = true;
}

/* Fills img and *mode (a static string) from the metadata, else from the
 * annotations and bundle. */
static void resolve_image(agent *a, const char *id, const char *metadata, const jv *state, osl_image *img,
                          const char **mode)
{
        osl_error e = {};
        _cleanup_free_ char *got_mode = NULL;
        char q[160];

        *mode = OSL_MODE_NAME_LEARN;
        if (metadata && *metadata) {
                if (osl_agent_metadata_parse(metadata, img, &got_mode, &e) == 0) {
                        if (strcmp(got_mode, OSL_MODE_NAME_COMPLAIN) == 0)
                                *mode = OSL_MODE_NAME_COMPLAIN;
                        else if (strcmp(got_mode, OSL_MODE_NAME_LEARN) != 0)
                                agent_log(a, LOG_WARNING, "container %s: unknown listenerMetadata mode %s; "
                                          "recording as in learn mode", id,
                                          osl_quote_len(got_mode, strlen(got_mode), 32, q, sizeof(q)));
                        return;
                }
                agent_log(a, LOG_WARNING, "container %s: %s; looking at the annotations instead", id, e.msg);
        }
        e = (osl_error) {};
        if (osl_image_resolve(jv_obj_get(state, "annotations"), jv_str(jv_obj_get(state, "bundle")), img, &e) < 0)
                agent_log(a, LOG_WARNING, "container %s: image unknown, no observation will be written: %s",
                          id, e.msg);
}

/* An image key for a message: it may come from listenerMetadata, where %0A
 * is a newline. */
static const char *quote_key(const char *key, char *buf, size_t size)
{
        return osl_quote_len(key, key ? strlen(key) : 0, 240, buf, size);
}

/* A new source of c serving *nfd (taken on success), its thread not
 * started yet (agent_source_start). pid: the process the runtime named (0: the
 * registration's), for the log collector. NULL (logged) on failure. */
static source *source_add(agent *a, container *c, int *nfd, int slot, bool application, uint32_t pid)
{
        source *s = calloc(1, sizeof(*s));
        if (!s) {
                agent_log(a, LOG_ERR, "container %s: out of memory; refused", c->id);
                return NULL;
        }
        *s = (source) { .kind = OBJ_SOURCE, .fd = -1, .c = c, .a = a, .seq = ++a->next_seq, .slot = slot,
                        .application = application };
        set_sync_wakeup(a, *nfd);
        /* Its thread receives the notifications (source_thread); the loop
         * only learns here when the filter has no users left (EPOLLHUP is
         * reported without being asked for). */
        struct epoll_event ev = { .events = 0, .data.ptr = s };
        if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, *nfd, &ev) < 0) {
                agent_log(a, LOG_ERR, "container %s: cannot watch its notify fd: %m; refused", c->id);
                free(s);
                return NULL;
        }
        s->fd = TAKE_FD(*nfd);
        /* Its logged calls (pid 0: the registration's). */
        if (a->collector)
                osl_log_collector_watch(a->collector, c, c->key, pid, application);
        LIST_PREPEND(a->sources, s);
        a->n_sources++;
        c->n_sources++;
        return s;
}

int osl_agent_message_from_jv(const jv *msg, osl_agent_message *out, osl_error *err)
{
        const jv *fds = jv_obj_get(msg, "fds");
        const jv *state = jv_obj_get(msg, "state");
        const char *id = jv_str(jv_obj_get(state, "id"));
        char q[128];
        size_t idx;

        *out = (osl_agent_message) {};
        if (!jv_is(msg, JV_OBJECT))
                return osl_err(err, -EINVAL, "not a JSON object");
        if (!jv_is(fds, JV_ARRAY) || !jv_is(state, JV_OBJECT))
                return osl_err(err, -EINVAL, "no \"fds\" array or no \"state\" object");
        if (!osl_container_id_valid(id))
                return osl_err(err, -EINVAL, "container id %s is missing or not a safe file name",
                               osl_quote(id, q, sizeof(q)));
        for (idx = 0; idx < jv_arr_len(fds); idx++) {
                const char *name = jv_str(jv_arr_at(fds, idx));
                if (name && strcmp(name, "seccompFd") == 0)
                        break;
        }
        if (idx == jv_arr_len(fds))
                return osl_err(err, -EINVAL, "container %s: \"fds\" names no \"seccompFd\"", id);
        out->id = id;
        out->seccomp_fd = idx;
        if (!jv_get_int64(jv_obj_get(msg, "pid"), &out->pid))
                jv_get_int64(jv_obj_get(state, "pid"), &out->pid);
        out->metadata = jv_str(jv_obj_get(msg, "metadata"));
        out->state = state;
        return 0;
}

/* Takes a complete message; the connection is freed by the caller. */
static void connection_process(agent *a, connection *conn, const jv *msg)
{
        osl_agent_message m;
        osl_error e = {};

        if (osl_agent_message_from_jv(msg, &m, &e) < 0) {
                agent_log(a, LOG_WARNING, "message from pid %d: %s; refused", (int) conn->peer_pid, e.msg);
                return;
        }
        const char *id = m.id;

        if (m.seccomp_fd >= conn->n_fds) {
                agent_log(a, LOG_WARNING, "container %s: \"seccompFd\" is fd %zu of the message, but %zu fds came%s; "
                          "refused", id, m.seccomp_fd, conn->n_fds, conn->fds_truncated ? " (more were cut off)" : "");
                return;
        }

        _cleanup_close_ int nfd = TAKE_FD(conn->fds[m.seccomp_fd]);
        /* No notification has id 0: a notify fd says ENOENT, any other fd
         * ENOTTY or the like. */
        uint64_t no_id = 0;
        if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_ID_VALID, &no_id) < 0 && errno != ENOENT) {
                agent_log(a, LOG_WARNING, "container %s: \"seccompFd\" is not a seccomp notify fd (%m); refused", id);
                return;
        }
        if (a->n_sources >= a->max_sources) {
                agent_log(a, LOG_ERR, "container %s: already serving %zu filters, the limit; refused (its "
                          "notified syscalls will fail with ENOSYS)", id, a->n_sources);
                return;
        }

        /* The instance: id and bundle (doc/agent.md). A runc exec process
         * sends the same, and joins its container's record; a container of
         * another runc root, containerd namespace or engine that reuses the
         * id does not. */
        const char *bundle = jv_str(jv_obj_get(m.state, "bundle"));
        /* Bundle paths and image keys are longer than osl_quote's 80 bytes. */
        char key[OSL_INSTANCE_KEY_SIZE], qb[1024], qi[1024], qo[1024];
        size_t blen = bundle ? strlen(bundle) : 0;
        if (osl_instance_key(id, bundle, key, &e) < 0) {
                agent_log(a, LOG_WARNING, "container %s: %s; refused", id, e.msg);
                return;
        }
        osl_image img = {};
        const char *mode;
        resolve_image(a, id, m.metadata, m.state, &img, &mode);
        container *other;
        container *c = container_find(a, key, img.key, &other);
        bool new_container = !c;
        if (c) {
                osl_image_clear(&img);
        } else {
                /* Same id and bundle, another image: never mixed into the
                 * record being served (it would teach that image calls it
                 * never made). Both records write the same file name. */
                if (other)
                        agent_log(a, LOG_WARNING, "container %s: bundle %s is served already with image %s; this "
                                  "one (image %s) is recorded apart", id, osl_quote_len(bundle, blen, 240, qb, sizeof(qb)),
                                  quote_key(other->image.key, qo, sizeof(qo)), quote_key(img.key, qi, sizeof(qi)));
                c = container_new(a);
                if (!c || !(c->id = osl_strdup(id)) ||
                    osl_rundir_path(a->run_dir, "observations", id, bundle, &c->obs_path, &e) < 0) {
                        if (c)
                                container_free_unlisted(c);
                        osl_image_clear(&img);
                        agent_log(a, LOG_ERR, "container %s: out of memory; refused", id);
                        return;
                }
                memcpy(c->key, key, sizeof(key));
                c->image = img;
                c->mode = mode;
                osl_now_rfc3339(c->start_time);
                LIST_PREPEND(a->containers, c);
        }

        if (new_container) {
                const char *method = jv_str(jv_obj_get(jv_obj_get(m.state, "annotations"), OSL_ANNOTATION_METHOD));
                c->log_method = method && strcmp(method, OSL_METHOD_NAME_LOG) == 0;
                if (c->log_method && !a->collector)
                        agent_log(a, LOG_WARNING, "container %s: learns through SECCOMP_RET_LOG, but this agent "
                                  "cannot read the kernel's audit records: only its exec calls are learned", id);
        }
        source *s = source_add(a, c, &nfd, -1, false, m.pid > 0 && m.pid <= UINT32_MAX ? (uint32_t) m.pid : 0);
        if (!s) {
                if (new_container)
                        container_free(a, c);
                return;
        }
        agent_source_start(a, s);
        if (a->holder_fd >= 0)
                source_hold(a, s);
        agent_log(a, LOG_INFO, "container %s: recording (%s mode)%s, pid %" PRId64 ", image %s, bundle %s", id,
                  c->mode, new_container ? "" : " for another process", m.pid,
                  c->image.key ? quote_key(c->image.key, qi, sizeof(qi)) : "unknown",
                  osl_quote_len(bundle, blen, 240, qb, sizeof(qb)));
}

static bool looks_complete(const char *buf, size_t len)
{
        while (len > 0 && strchr(" \t\r\n", buf[len - 1]))
                len--;
        return len > 0 && buf[len - 1] == '}';
}

/* Reads what is there. The connection is freed once its message was
 * handled, on EOF, and on errors. */
static void connection_read(agent *a, connection *conn)
{
        bool eof = false;

        for (;;) {
                if (conn->cap - conn->len < 4096) {
                        size_t ncap = conn->cap ? conn->cap * 2 : 8192;
                        if (ncap > OSL_AGENT_MESSAGE_MAX + 1)
                                ncap = OSL_AGENT_MESSAGE_MAX + 1;
                        if (ncap - conn->len <= 1) {
                                agent_log(a, LOG_WARNING, "message from pid %d is larger than %d bytes; closed",
                                          (int) conn->peer_pid, OSL_AGENT_MESSAGE_MAX);
                                connection_free(a, conn);
                                return;
                        }
                        char *nbuf = realloc(conn->buf, ncap);
                        if (!nbuf) {
                                agent_log(a, LOG_ERR, "out of memory reading a message; closed");
                                connection_free(a, conn);
                                return;
                        }
                        conn->buf = nbuf;
                        conn->cap = ncap;
                }

                union {
                        struct cmsghdr align;
                        char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MESSAGE)];
                } control;
                struct iovec iov = { .iov_base = conn->buf + conn->len, .iov_len = conn->cap - conn->len - 1 };
                struct msghdr mh = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf),
                };
                ssize_t n = recvmsg(conn->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        agent_log(a, LOG_WARNING, "cannot read the message from pid %d: %m; closed",
                                  (int) conn->peer_pid);
                        connection_free(a, conn);
                        return;
                }
                bool truncated = false;
                conn->n_fds += osl_unix_take_fds(&mh, conn->fds + conn->n_fds, MAX_FDS_PER_MESSAGE - conn->n_fds,
                                                 &truncated);
                if (truncated)
                        conn->fds_truncated = true;
                if (n == 0) {
                        eof = true;
                        break;
                }
                conn->len += (size_t) n;
        }
        conn->buf[conn->len] = '\0';

        if (eof && conn->len == 0 && conn->n_fds == 0) {
                /* osl_agent_probe, or a runtime that gave up. */
                agent_log(a, LOG_DEBUG, "connection from pid %d closed without a message", (int) conn->peer_pid);
                connection_free(a, conn);
                return;
        }
        if (!eof && !looks_complete(conn->buf, conn->len))
                return; /* wait for the rest */

        _cleanup_jv_ jv *msg = NULL;
        osl_error e = {};
        if (jv_parse(conn->buf, conn->len, "seccomp agent message", &msg, &e) < 0) {
                if (!eof)
                        return; /* a '}' inside, not at the end: wait for more */
                agent_log(a, LOG_WARNING, "message from pid %d: %s; ignored", (int) conn->peer_pid, e.msg);
                connection_free(a, conn);
                return;
        }
        connection_process(a, conn, msg);
        connection_free(a, conn);
}

static void agent_accept(agent *a)
{
        for (;;) {
                _cleanup_close_ int fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno == EAGAIN)
                                return;
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                                agent_log(a, LOG_ERR, "cannot accept a connection: %m; waiting until one closes");
                                if (epoll_ctl(a->epfd, EPOLL_CTL_DEL, a->listen_fd, NULL) == 0)
                                        a->listener_paused = true;
                                return;
                        }
                        agent_log(a, LOG_ERR, "cannot accept a connection: %m");
                        return;
                }

                struct ucred cred;
                socklen_t len = sizeof(cred);
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                        agent_log(a, LOG_WARNING, "cannot get the credentials of a connection: %m; closed");
                        continue;
                }
                /* A notify fd lets its holder let through any call the filter
                 * catches; only the runtime, root (or our own user, for an
                 * agent run by a user for rootless containers) may hand one. */
                if (cred.uid != 0 && cred.uid != geteuid()) {
                        agent_log(a, LOG_WARNING, "refused a connection from pid %d uid %u: not root",
                                  (int) cred.pid, (unsigned) cred.uid);
                        continue;
                }
                if (a->n_connections >= OSL_AGENT_MAX_PENDING) {
                        agent_log(a, LOG_WARNING, "refused a connection from pid %d: %d connections are waiting "
                                  "for their message already", (int) cred.pid, OSL_AGENT_MAX_PENDING);
                        continue;
                }
                connection *conn = calloc(1, sizeof(*conn));
                if (!conn) {
                        agent_log(a, LOG_ERR, "out of memory; connection from pid %d closed", (int) cred.pid);
                        continue;
                }
                *conn = (connection) {
                        .kind = OBJ_CONNECTION,
                        .fd = fd,
                        .peer_pid = cred.pid,
                        .deadline_ms = now_ms() + a->message_timeout_ms,
                };
                struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = conn };
                if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        agent_log(a, LOG_ERR, "cannot watch a connection: %m; closed");
                        free(conn);
                        continue;
                }
                TAKE_FD(fd);
                LIST_PREPEND(a->connections, conn);
                a->n_connections++;
        }
}

/* Closes connections whose message did not come in time; returns the
 * epoll timeout until the next deadline (-1: none). */
static int agent_expire(agent *a)
{
        uint64_t now = now_ms(), next = UINT64_MAX;
        connection *next_conn;

        for (connection *c = a->connections; c; c = next_conn) {
                next_conn = c->next;
                if (c->deadline_ms <= now) {
                        agent_log(a, LOG_WARNING, "connection from pid %d sent no complete message in time; closed",
                                  (int) c->peer_pid);
                        connection_free(a, c);
                } else if (c->deadline_ms < next) {
                        next = c->deadline_ms;
                }
        }
        if (next == UINT64_MAX)
                return -1;
        return next - now > INT_MAX ? INT_MAX : (int) (next - now);
}

/* ---- setup and teardown ------------------------------------------- */

static int agent_alloc_buffers(agent *a, osl_error *err)
{
        struct seccomp_notif_sizes sizes = {};

        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
                return osl_err(err, -errno, "the kernel does not support seccomp user notification: %m");
        /* The kernel may know a larger struct than our headers; it writes
         * its own size. */
        a->loop_notifier.req_size = sizes.seccomp_notif > sizeof(struct seccomp_notif)
                                            ? sizes.seccomp_notif
                                            : sizeof(struct seccomp_notif);
        a->loop_notifier.resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
                                             ? sizes.seccomp_notif_resp
                                             : sizeof(struct seccomp_notif_resp);
        if (agent_notifier_init(&a->loop_notifier, a) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

static void agent_cleanup(agent *a)
{
        while (a->connections)
                connection_free(a, a->connections);
        /* Only sources of containers that were not written remain here on
         * error paths; stop writes them first. */
        while (a->sources)
                source_finish(a, a->sources, true);
        /* Containers with no notify fd (complain through the log method). */
        while (a->containers) {
                container_write(a, a->containers, true);
                container_free(a, a->containers);
        }
        /* Writes what is queued, the partial observations above included. */
        osl_writer_stop(a->writer, a);
        osl_log_collector_close(a->collector, a->stopping);
        a->collector = NULL;
        if (a->listen_fd >= 0)
                close(a->listen_fd);
        osl_agent_socket_remove(&a->sock);
        if (a->epfd >= 0)
                close(a->epfd);
        if (a->holder_fd >= 0)
                close(a->holder_fd);
        if (a->threads_fd >= 0)
                close(a->threads_fd);
        agent_notifier_free(&a->loop_notifier);
}

/* Each source whose thread ended: finished (a filter without users, or an
 * fd that cannot be used). */
static void agent_reap_threads(agent *a)
{
        uint64_t count;
        source *next;

        (void) !read(a->threads_fd, &count, sizeof(count));
        for (source *s = a->sources; s; s = next) {
                next = s->next;
                if (atomic_load(&s->exited))
                        source_finish(a, s, false);
        }
}

/* ---- SECCOMP_RET_LOG records (lib/log_collector.h) -------------------- */

static void collector_record(void *handle, uint32_t arch, int32_t nr, uint32_t pid, bool application, uint64_t count,
                             void *userdata)
{
        agent *a = userdata;
        container *c = handle;
        /* From the loop, or from a notify thread's exec (agent_collector_note_exec). */
        pthread_mutex_lock(&c->lock);
        bool was_dirty = c->dirty, was_fresh = c->fresh_entry;
        agent_container_record(a, c, arch, nr, pid, application, count);
        bool wake = (!was_dirty && c->dirty) || (!was_fresh && c->fresh_entry);
        pthread_mutex_unlock(&c->lock);
        if (wake)
                agent_wake(a);
}

/* A complain-mode container that reports through the log method: no notify
 * fd, its record lives until its init ends (collector_close). */
static void *collector_open(const osl_registration_owned *reg, const char *key, void *userdata)
{
        agent *a = userdata;
        osl_error e = {};
        if (!reg->image_key || strlen(key) >= OSL_INSTANCE_KEY_SIZE || !osl_container_id_valid(reg->container_id)) {
                agent_log(a, LOG_WARNING, "container %s: registered for complain mode through the log method, but its "
                          "image is unknown; not recorded", key);
                return NULL;
        }
        container *c = calloc(1, sizeof(*c));
        _cleanup_free_ char *name = NULL;
        if (!c || !(c->id = osl_strdup(reg->container_id)) || !(c->image.key = osl_strdup(reg->image_key)) ||
            osl_asprintf(&c->obs_path, "%s/observations/%s.json", a->run_dir, key) < 0 ||
            osl_asprintf(&name, "%s@log", key) < 0 || !(c->ckpt_name = osl_strdup(name)) ||
            osl_agent_checkpoint_path(a->run_dir, name, &c->ckpt_path) < 0) {
                agent_log(a, LOG_ERR, "container %s: out of memory; not recorded", key);
                if (c) {
                        LIST_PREPEND(a->containers, c);
                        container_free(a, c);
                }
                return NULL;
        }
        snprintf(c->key, sizeof(c->key), "%s", key);
        c->image.source = "registration";
        c->mode = OSL_MODE_NAME_COMPLAIN;
        c->log_method = true;
        snprintf(c->start_time, sizeof(c->start_time), "%s", reg->start_time ? reg->start_time : "");
        if (!reg->start_time)
                osl_now_rfc3339(c->start_time);
        /* What an earlier worker recorded. */
        osl_observation *o = NULL;
        if (osl_observation_load(c->ckpt_path, &o, &e) == 0)
                c->base = o;
        LIST_PREPEND(a->containers, c);
        agent_log(a, LOG_INFO, "container %s: recording (complain mode, log method)%s, pid %d, image %s", c->id,
                  c->base ? ", resumed from its checkpoint" : "", reg->pid, c->image.key);
        return c;
}

static void collector_close(void *handle, void *userdata)
{
        agent *a = userdata;
        container_write(a, handle, false);
        container_free(a, handle);
}

static const osl_log_collector_ops collector_ops = {
        .record = collector_record,
        .open = collector_open,
        .close = collector_close,
};

/* Without it the agent still works: write is learned as implied. */
static void agent_collector_open(agent *a)
{
        osl_error e = {};
        if (osl_log_collector_open(a->opts, a->run_dir, &collector_ops, a, &a->collector, &e) < 0) {
                agent_log(a, LOG_NOTICE, "cannot read SECCOMP_RET_LOG records: %s; write is learned as implied, "
                          "and the log method learns nothing", e.msg);
                a->collector = NULL;
                return;
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &a->collector_tag };
        if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, osl_log_collector_fd(a->collector), &ev) < 0) {
                agent_log(a, LOG_ERR, "cannot watch the audit collector: %m; write is learned as implied");
                osl_log_collector_close(a->collector, false);
                a->collector = NULL;
        }
}

int osl_agent_run(const osl_agent_options *opts, osl_error *err)
{
        agent a = {
                .opts = opts,
                .run_dir = osl_rundir(opts->run_dir),
                .log_level = LOG_INFO,
                .epfd = -1,
                .listen_fd = -1,
                .holder_fd = -1,
                .holder_tag = OBJ_HOLDER,
                .slots = opts->slots,
                .listener_tag = OBJ_LISTENER,
                .stop_tag = OBJ_STOP,
                .threads_fd = -1,
                .threads_tag = OBJ_THREADS,
                .writer_tag = OBJ_WRITER,
                .collector_tag = OBJ_COLLECTOR,
                .max_sources = opts->max_containers ? opts->max_containers : OSL_AGENT_MAX_CONTAINERS_DEFAULT,
                .message_timeout_ms = opts->message_timeout_ms ? opts->message_timeout_ms
                                                               : OSL_AGENT_MESSAGE_TIMEOUT_MS_DEFAULT,
        };
        struct epoll_event ev;
        struct sigaction stop_action = { .sa_handler = agent_notify_stop_handler }, old_action;
        sigset_t stop_signal, old_mask;
        int r;

        if (opts->log_level > 0)
                a.log_level = opts->log_level;
        /* The notify threads' receive is interrupted by this signal
         * (agent_source_stop_thread); no SA_RESTART. Only they take it: blocked
         * here, and in the writer thread, which inherits this mask. */
        sigemptyset(&stop_signal);
        sigaddset(&stop_signal, NOTIFY_STOP_SIGNAL);
        pthread_sigmask(SIG_BLOCK, &stop_signal, &old_mask);
        sigemptyset(&stop_action.sa_mask);
        sigaction(NOTIFY_STOP_SIGNAL, &stop_action, &old_action);
        r = agent_alloc_buffers(&a, err);
        if (r < 0)
                goto out;

        if (opts->listen_fd >= 0) {
                a.listen_fd = opts->listen_fd;
                if (opts->holder_fd >= 0)
                        agent_log(&a, LOG_INFO, "worker %d started", (int) getpid());
                else
                        agent_log(&a, LOG_INFO, "listening on the socket systemd passed");
        } else {
                r = osl_agent_socket_create(opts, a.run_dir, &a.sock, &a.listen_fd, err);
                if (r < 0)
                        goto out;
                agent_log(&a, LOG_INFO, "listening on %s", a.sock.path ? a.sock.path : "?");
        }

        a.epfd = epoll_create1(EPOLL_CLOEXEC);
        if (a.epfd < 0) {
                r = osl_err(err, -errno, "cannot create an epoll instance: %m");
                goto out;
        }
        ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &a.listener_tag };
        if (epoll_ctl(a.epfd, EPOLL_CTL_ADD, a.listen_fd, &ev) < 0) {
                r = osl_err(err, -errno, "cannot watch the listening socket: %m");
                goto out;
        }
        if (opts->stop_fd >= 0) {
                ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &a.stop_tag };
                if (epoll_ctl(a.epfd, EPOLL_CTL_ADD, opts->stop_fd, &ev) < 0) {
                        r = osl_err(err, -errno, "cannot watch the stop fd: %m");
                        goto out;
                }
        }

        a.threads_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (a.threads_fd < 0) {
                r = osl_err(err, -errno, "cannot create an eventfd: %m");
                goto out;
        }
        ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &a.threads_tag };
        if (epoll_ctl(a.epfd, EPOLL_CTL_ADD, a.threads_fd, &ev) < 0) {
                r = osl_err(err, -errno, "cannot watch an eventfd: %m");
                goto out;
        }
        r = osl_writer_start(&a.writer, err);
        if (r < 0)
                goto out;
        ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &a.writer_tag };
        if (epoll_ctl(a.epfd, EPOLL_CTL_ADD, osl_writer_fd(a.writer), &ev) < 0) {
                r = osl_err(err, -errno, "cannot watch the writer's eventfd: %m");
                goto out;
        }

        agent_collector_open(&a);

        if (opts->holder_fd >= 0 && opts->slots) {
                a.holder_fd = opts->holder_fd;
                ev = (struct epoll_event) { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = &a.holder_tag };
                if (epoll_ctl(a.epfd, EPOLL_CTL_ADD, a.holder_fd, &ev) < 0) {
                        r = osl_err(err, -errno, "cannot watch the holder's socket: %m");
                        goto out;
                }
                r = agent_adopt(&a, err);
                if (r < 0)
                        goto out;
        }

        while (!a.stopping) {
                struct epoll_event events[EPOLL_BATCH];
                int timeout = agent_expire(&a);
                int ckpt_timeout = agent_checkpoint_due(&a);
                if (ckpt_timeout >= 0 && (timeout < 0 || ckpt_timeout < timeout))
                        timeout = ckpt_timeout;
                int n = epoll_wait(a.epfd, events, EPOLL_BATCH, timeout);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = osl_err(err, -errno, "epoll_wait failed: %m");
                        goto out;
                }
                /* Notifications are answered by the sources' threads; the
                 * loop hears of a source only when it has no users left. */
                bool reap_threads = false;
                for (int i = 0; i < n; i++) {
                        object_kind *kind = events[i].data.ptr;
                        switch (*kind) {
                        case OBJ_LISTENER:
                                agent_accept(&a);
                                break;
                        case OBJ_STOP:
                                a.stopping = true;
                                break;
                        case OBJ_COLLECTOR:
                                osl_log_collector_dispatch(a.collector);
                                break;
                        case OBJ_HOLDER:
                                /* The holder sends nothing after "adopted": this is its end. */
                                holder_lost(&a, "its socket closed");
                                break;
                        case OBJ_CONNECTION:
                                connection_read(&a, (connection *) kind);
                                break;
                        case OBJ_SOURCE:
                                source_finish(&a, (source *) kind, false);
                                break;
                        case OBJ_THREADS:
                                /* After the batch: it may finish a source
                                 * that a later event of it names. */
                                reap_threads = true;
                                break;
                        case OBJ_WRITER:
                                osl_writer_reap(a.writer, &a);
                                break;
                        }
                }
                if (reap_threads)
                        agent_reap_threads(&a);
        }

        size_t n_open = 0;
        for (container *c = a.containers; c; c = c->next)
                n_open++;
        if (n_open > 0)
                agent_log(&a, LOG_INFO, "stopping; the %zu containers still running get partial observations",
                          n_open);
        else
                agent_log(&a, LOG_INFO, "stopping");
        r = 0;
out:
        agent_cleanup(&a);
        sigaction(NOTIFY_STOP_SIGNAL, &old_action, NULL);
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
        return r;
}
