/* SPDX-License-Identifier: Apache-2.0 */
/* The notify threads: one per notify fd receives its notifications,
 * records them and answers (see agent_worker.h, doc/agent.md). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "agent_worker.h"

/* A notify thread's stack: its frames are small, sanitizers make them larger. */
#define NOTIFY_THREAD_STACK (1024 * 1024)

/* ---- notifications -------------------------------------------------- */

/* Wakes the loop: a notify thread ended, or made a container dirty (so
 * that the loop sees a checkpoint is due). */
void agent_wake(agent *a)
{
        uint64_t one = 1;
        /* Only EAGAIN can fail (the counter is full): it is readable then. */
        (void) !write(a->threads_fd, &one, sizeof(one));
}

/* Lets the notified call continue; slot: s's slot when the notification
 * was noted there, else -1. */
void agent_source_answer(agent *a, notifier *n, source *s, int slot, uint64_t id, uint32_t pid)
{
        struct seccomp_notif_resp *resp = n->resp;

        /* Answer as soon as we can: the task waits until we do. */
        memset(resp, 0, n->resp_size);
        resp->id = id;
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        while (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0) {
                if (errno == EINTR)
                        continue;
                if (errno != ENOENT) /* ENOENT: the task died while waiting */
                        agent_log(a, LOG_WARNING, "container %s: cannot answer notification for pid %u: %m",
                                  s->c->id, pid);
                break;
        }
        if (slot >= 0)
                __atomic_fetch_and(&a->slots[slot].flags, ~OSL_AGENT_SLOT_INFLIGHT, __ATOMIC_RELEASE);
}

/* Receives (blocking while none is queued) and answers one notification.
 * Returns 0 when one was handled, -EINTR when a signal came first, -ENOENT
 * when its process died meanwhile or no process uses the filter any more,
 * another -errno (logged) when the fd is unusable. */
int agent_source_handle_one(agent *a, notifier *n, source *s)
{
        struct seccomp_notif *req = n->req;
        container *c = s->c;

        /* The kernel refuses a receive buffer that is not zeroed. */
        memset(req, 0, n->req_size);
        if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
                int r = -errno;
                if (r != -EINTR && r != -ENOENT)
                        agent_log(a, LOG_ERR, "container %s: cannot receive a notification: %m", c->id);
                return r;
        }

        /* Should this worker die before it answers, the next one finds the
         * notification here: the kernel will not hand it out again. */
        int slot_index = __atomic_load_n(&s->slot, __ATOMIC_ACQUIRE);
        if (slot_index >= 0) {
                osl_agent_slot *slot = &a->slots[slot_index];
                slot->id = req->id;
                slot->pid = req->pid;
                slot->arch = req->data.arch;
                slot->nr = req->data.nr;
                __atomic_fetch_or(&slot->flags, OSL_AGENT_SLOT_INFLIGHT, __ATOMIC_RELEASE);
        }
        pthread_mutex_lock(&c->lock);
        agent_source_inspect(a, n, s, req);
        /* Before the answer, while /proc/PID is sure to be the caller: a new
         * entry reads its comm (once per entry); otherwise this is a hash
         * lookup and a count. */
        bool was_dirty = c->dirty, was_fresh = c->fresh_entry;
        exec_seen seen = agent_source_record(a, n, s, req);
        bool wake = (!was_dirty && c->dirty) || (!was_fresh && c->fresh_entry);
        pthread_mutex_unlock(&c->lock);
        agent_collector_note_exec(a, s, req->pid, seen);

        agent_source_answer(a, n, s, slot_index, req->id, req->pid);
        if (wake)
                agent_wake(a);
        return 0;
}

int agent_notifier_init(notifier *n, const agent *a)
{
        *n = (notifier) { .req_size = a->loop_notifier.req_size, .resp_size = a->loop_notifier.resp_size };
        n->req = calloc(1, n->req_size);
        n->resp = calloc(1, n->resp_size);
        return n->req && n->resp ? 0 : -ENOMEM;
}

void agent_notifier_free(notifier *n)
{
        free(n->req);
        free(n->resp);
        n->req = n->resp = NULL;
}

void agent_notify_stop_handler(int sig)
{
        (void) sig; /* only there to interrupt the receive */
}

/* One per source: blocks in SECCOMP_IOCTL_NOTIF_RECV, so that the kernel
 * wakes it on the CPU of the calling task (doc/agent.md). */
static void *source_thread(void *userdata)
{
        source *s = userdata;
        agent *a = s->a;
        notifier n;
        sigset_t stop;

        sigemptyset(&stop);
        sigaddset(&stop, NOTIFY_STOP_SIGNAL);
        pthread_sigmask(SIG_UNBLOCK, &stop, NULL);
        if (agent_notifier_init(&n, a) < 0)
                agent_log(a, LOG_ERR, "container %s: out of memory; its filter is not served", s->c->id);
        else
                while (!atomic_load(&s->stop)) {
                        int r = agent_source_handle_one(a, &n, s);
                        if (r == 0 || r == -EINTR)
                                continue;
                        if (r != -ENOENT)
                                break;
                        /* Its caller died meanwhile, or the filter has no
                         * users left: since Linux 6.11 a receive then
                         * returns ENOENT at once, and poll says POLLHUP. */
                        struct pollfd p = { .fd = s->fd, .events = POLLIN };
                        if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
                                break;
                }
        agent_notifier_free(&n);
        atomic_store(&s->exited, true);
        agent_wake(a);
        return NULL;
}

/* Starts s's thread. A thread that cannot start counts as ended: the loop
 * then closes the fd. */
void agent_source_start(agent *a, source *s)
{
        pthread_attr_t attr;
        int r;

        if (s->thread_started || atomic_load(&s->exited))
                return;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, NOTIFY_THREAD_STACK);
        r = pthread_create(&s->thread, &attr, source_thread, s);
        pthread_attr_destroy(&attr);
        if (r == 0) {
                s->thread_started = true;
                return;
        }
        errno = r;
        agent_log(a, LOG_ERR, "container %s: cannot start a thread for its filter: %m; its notified syscalls "
                  "will fail with ENOSYS", s->c->id);
        atomic_store(&s->exited, true);
        agent_wake(a);
}

/* Stops s's thread and waits for it. */
void agent_source_stop_thread(source *s)
{
        if (!s->thread_started)
                return;
        atomic_store(&s->stop, true);
        /* The signal interrupts the receive (EINTR; the handler has no
         * SA_RESTART). It is sent again until the thread is out: it may
         * come just before the thread enters the receive. */
        while (!atomic_load(&s->exited)) {
                pthread_kill(s->thread, NOTIFY_STOP_SIGNAL);
                nanosleep(&(struct timespec) { .tv_nsec = 1000000 }, NULL);
        }
        pthread_join(s->thread, NULL);
        s->thread_started = false;
}
