/* SPDX-License-Identifier: Apache-2.0 */
/* The agent worker's writer thread (agent_internal.h, doc/agent.md): the
 * worker's event loop hands it the checkpoints and observations to write,
 * so that the loop never waits for a disk. Jobs run one after the other in
 * the order they were submitted. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "agent_internal.h"

struct osl_writer {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        osl_writer_job *queue, **queue_tail; /* to run */
        osl_writer_job *done, **done_tail;   /* run, done() not called yet */
        bool stopping;
        int efd; /* readable while done holds jobs */
};

static void *writer_main(void *userdata)
{
        osl_writer *w = userdata;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                while (!w->queue && !w->stopping)
                        pthread_cond_wait(&w->cond, &w->lock);
                osl_writer_job *job = w->queue;
                if (!job)
                        break; /* stopping, and nothing is left */
                w->queue = job->next;
                if (!w->queue)
                        w->queue_tail = &w->queue;
                pthread_mutex_unlock(&w->lock);

                job->run(job);

                pthread_mutex_lock(&w->lock);
                job->next = NULL;
                *w->done_tail = job;
                w->done_tail = &job->next;
                uint64_t one = 1;
                /* Only EAGAIN can fail (the counter is full): it is readable then. */
                (void) !write(w->efd, &one, sizeof(one));
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

int osl_writer_start(osl_writer **out, osl_error *err)
{
        osl_writer *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return osl_err(err, -ENOMEM, "out of memory");
        w->queue_tail = &w->queue;
        w->done_tail = &w->done;
        w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->efd < 0) {
                r = osl_err(err, -errno, "cannot create an eventfd: %m");
                free(w);
                return r;
        }
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->cond, NULL);
        r = pthread_create(&w->thread, NULL, writer_main, w);
        if (r != 0) {
                errno = r;
                r = osl_err(err, -r, "cannot start the writer thread: %m");
                close(w->efd);
                pthread_mutex_destroy(&w->lock);
                pthread_cond_destroy(&w->cond);
                free(w);
                return r;
        }
        *out = w;
        return 0;
}

int osl_writer_fd(const osl_writer *w)
{
        return w->efd;
}

void osl_writer_submit(osl_writer *w, osl_writer_job *job)
{
        job->next = NULL;
        pthread_mutex_lock(&w->lock);
        *w->queue_tail = job;
        w->queue_tail = &job->next;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
}

void osl_writer_reap(osl_writer *w, void *userdata)
{
        uint64_t count;

        pthread_mutex_lock(&w->lock);
        osl_writer_job *list = w->done;
        w->done = NULL;
        w->done_tail = &w->done;
        (void) !read(w->efd, &count, sizeof(count));
        pthread_mutex_unlock(&w->lock);

        while (list) {
                osl_writer_job *next = list->next;
                list->done(list, userdata); /* frees it */
                list = next;
        }
}

void osl_writer_stop(osl_writer *w, void *userdata)
{
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        osl_writer_reap(w, userdata);
        close(w->efd);
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
}
