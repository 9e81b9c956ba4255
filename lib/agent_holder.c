/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's holder: keeps the listening socket and a copy of every notify
 * fd, runs the recording worker (osl_agent_run) as its child and starts a
 * new one when it dies (agent.h, doc/reliability.md). The kernel answers a
 * filter's notifications with ENOSYS only once the last fd of its listener
 * is closed; while the holder keeps one, a notification that arrives with
 * no worker reading waits in the kernel until the next worker takes it. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent_internal.h"
#include "rundir.h"

/* A worker that dies sooner than this after its start waits this long
 * before the next one starts, so that a worker crashing at once does not
 * spin. */
#define RESTART_QUICK_MS 1000

/* ---- messages ------------------------------------------------------- */

int osl_unix_send(int sock, const char *text, int fd, const char *to_path)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) text, .iov_len = strlen(text) };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (to_path) {
                size_t len = strlen(to_path);
                if (len == 0 || len >= sizeof(sa.sun_path))
                        return -EINVAL;
                memcpy(sa.sun_path, to_path, len);
                if (sa.sun_path[0] == '@')
                        sa.sun_path[0] = '\0'; /* abstract */
                mh.msg_name = &sa;
                mh.msg_namelen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len);
        }
        if (fd >= 0) {
                mh.msg_control = control.buf;
                mh.msg_controllen = sizeof(control.buf);
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        for (;;) {
                if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

ssize_t osl_unix_recv(int sock, char *buf, size_t size, int *fd)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        ssize_t n;

        bool truncated;

        *fd = -1;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        osl_unix_take_fds(&mh, fd, 1, &truncated);
        buf[n] = '\0';
        return n;
}

size_t osl_unix_take_fds(struct msghdr *mh, int *fds, size_t max, bool *truncated)
{
        size_t n = 0;

        *truncated = (mh->msg_flags & MSG_CTRUNC) != 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < nfds; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                        if (n < max) {
                                fds[n++] = fd;
                        } else {
                                close(fd);
                                *truncated = true;
                        }
                }
        }
        return n;
}

bool osl_agent_checkpoint_name_valid(const char *name)
{
        const char *at = strrchr(name, '@');
        if (!at || at == name || !at[1] || strlen(name) > OSL_INSTANCE_KEY_SIZE + 8)
                return false;
        for (const char *p = at + 1; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        /* The instance key: a container id, '-', hex digits. */
        for (const char *p = name; p < at; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '_' || *p == '.' || *p == '-'))
                        return false;
        return name[0] != '.' && name[0] != '-';
}

int osl_agent_checkpoint_path(const char *run_dir, const char *name, char **out)
{
        return osl_asprintf(out, "%s/checkpoints/%s.json", osl_rundir(run_dir), name) < 0 ? -ENOMEM : 0;
}

int osl_sd_notify(const char *state, int fd, bool *sent, osl_error *err)
{
        const char *path = getenv("NOTIFY_SOCKET");

        *sent = false;
        if (!path || !*path)
                return 0;
        if (path[0] != '/' && path[0] != '@')
                return osl_err(err, -EAFNOSUPPORT, "NOTIFY_SOCKET=%s is not an AF_UNIX socket path", path);
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return osl_err(err, -errno, "cannot create a socket: %m");
        int r = osl_unix_send(sock, state, fd, path);
        if (r < 0) {
                errno = -r;
                return osl_err(err, r, "cannot notify systemd at %s: %m", path);
        }
        *sent = true;
        return 0;
}

/* ---- the holder ----------------------------------------------------- */

typedef struct held_fd {
        int fd; /* -1: free */
        char *name; /* the checkpoint */
} held_fd;

typedef struct holder {
        const osl_agent_options *opts;
        const char *run_dir;
        int listen_fd;
        osl_agent_socket sock_file; /* the socket we created, removed on exit */
        int slots_fd;
        osl_agent_slot *slots;
        held_fd held[OSL_AGENT_SLOTS];
        size_t n_held;
        int epfd;
        pid_t worker;
        int sock; /* our end of the worker's socket pair */
        uint64_t worker_started_ms;
        uint64_t restart_at_ms;
        bool systemd; /* $NOTIFY_SOCKET: held fds also go to systemd's fd store */
} holder;

static void holder_log(holder *h, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void holder_log(holder *h, int level, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        osl_agent_vlog(h->opts, level, fmt, ap);
        va_end(ap);
}

/* FDSTORE=1 / FDSTOREREMOVE=1 for a held fd or the slot table. */
static void holder_store(holder *h, bool add, int slot, const char *name, int fd)
{
        char state[OSL_HOLDER_MSG_MAX];
        osl_error e = {};
        bool sent;

        if (!h->systemd)
                return;
        if (slot < 0)
                snprintf(state, sizeof(state), "%s\nFDNAME=osl.slots", add ? "FDSTORE=1" : "FDSTOREREMOVE=1");
        else
                snprintf(state, sizeof(state), "%s\nFDNAME=osl.%d.%s", add ? "FDSTORE=1" : "FDSTOREREMOVE=1", slot,
                         name);
        if (osl_sd_notify(state, add ? fd : -1, &sent, &e) < 0)
                holder_log(h, LOG_WARNING, "%s", e.msg);
}

static void holder_take(holder *h, int slot, const char *name, int fd)
{
        held_fd *hf = &h->held[slot];
        if (hf->fd >= 0) { /* cannot happen with a sane worker; the newer wins */
                holder_store(h, false, slot, hf->name, -1);
                close(hf->fd);
                free(hf->name);
                h->n_held--;
        }
        hf->name = osl_strdup(name);
        if (!hf->name) {
                holder_log(h, LOG_ERR, "out of memory; slot %d not held", slot);
                close(fd);
                hf->fd = -1;
                return;
        }
        hf->fd = fd;
        h->n_held++;
        holder_store(h, true, slot, name, fd);
}

static void holder_release(holder *h, int slot)
{
        held_fd *hf = &h->held[slot];
        if (hf->fd < 0)
                return;
        holder_store(h, false, slot, hf->name, -1);
        close(hf->fd);
        free(hf->name);
        *hf = (held_fd) { .fd = -1 };
        h->n_held--;
}

/* Everything the worker sent. 0 while it lives; -ECONNRESET at its end. */
static int holder_read(holder *h)
{
        char msg[OSL_HOLDER_MSG_MAX];
        for (;;) {
                int fd;
                ssize_t n = osl_unix_recv(h->sock, msg, sizeof(msg), &fd);
                if (n == -EAGAIN)
                        return 0;
                if (n <= 0)
                        return -ECONNRESET;
                int slot = -1, end = 0;
                if (fd >= 0 && sscanf(msg, "hold %d %n", &slot, &end) == 1 && end > 0 && slot >= 0 &&
                    slot < OSL_AGENT_SLOTS && osl_agent_checkpoint_name_valid(msg + end)) {
                        holder_take(h, slot, msg + end, fd);
                        continue;
                }
                if (fd < 0 && sscanf(msg, "done %d", &slot) == 1 && slot >= 0 && slot < OSL_AGENT_SLOTS) {
                        holder_release(h, slot);
                        continue;
                }
                holder_log(h, LOG_ERR, "unexpected message from the worker: %.80s", msg);
                if (fd >= 0)
                        close(fd);
        }
}

static int start_worker(holder *h, osl_error *err)
{
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return osl_err(err, -errno, "cannot create a socket pair: %m");
        pid_t pid = fork();
        if (pid < 0) {
                int r = osl_err(err, -errno, "cannot start the worker: %m");
                close(sp[0]);
                close(sp[1]);
                return r;
        }
        if (pid == 0) {
                /* The worker: it gets the held fds again by message, and a
                 * stop signalfd of its own (one is per process). */
                close(sp[0]);
                close(h->epfd);
                for (int i = 0; i < OSL_AGENT_SLOTS; i++)
                        if (h->held[i].fd >= 0)
                                close(h->held[i].fd);
                if (h->opts->stop_fd >= 0)
                        close(h->opts->stop_fd);
                sigset_t stop;
                sigemptyset(&stop);
                sigaddset(&stop, SIGTERM);
                sigaddset(&stop, SIGINT);
                osl_agent_options w = *h->opts;
                w.socket_path = NULL;
                w.listen_fd = h->listen_fd;
                w.stop_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
                w.holder_fd = sp[1];
                w.slots = h->slots;
                osl_error e = {};
                int r = osl_agent_run(&w, &e);
                if (r < 0)
                        holder_log(h, LOG_ERR, "worker: %s", e.msg);
                /* A forked copy of the holder: it must not run the
                 * holder's own exit path (atexit, its stdio buffers). */
                _exit(r < 0 ? 1 : 0);
        }
        close(sp[1]);
        h->sock = sp[0];
        h->worker = pid;
        h->worker_started_ms = osl_monotonic_ms();
        holder_log(h, LOG_INFO, "started worker %d%s", (int) pid,
                   h->n_held ? ", handing it the notify fds it must serve" : "");

        char msg[OSL_HOLDER_MSG_MAX];
        for (int i = 0; i < OSL_AGENT_SLOTS; i++) {
                if (h->held[i].fd < 0)
                        continue;
                snprintf(msg, sizeof(msg), "adopt %d %s", i, h->held[i].name);
                if (osl_unix_send(h->sock, msg, h->held[i].fd, NULL) < 0)
                        break; /* it died already: seen as its end below */
        }
        osl_unix_send(h->sock, "adopted", -1, NULL);
        int fl = fcntl(h->sock, F_GETFL);
        if (fl < 0 || fcntl(h->sock, F_SETFL, fl | O_NONBLOCK) < 0)
                return osl_err(err, -errno, "cannot set flags on the worker's socket: %m");
        struct epoll_event ev = { .events = EPOLLIN, .data.fd = h->sock };
        if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->sock, &ev) < 0)
                return osl_err(err, -errno, "cannot watch the worker's socket: %m");
        return 0;
}

static void worker_ended(holder *h, bool stopping)
{
        int status = 0;
        while (waitpid(h->worker, &status, 0) < 0 && errno == EINTR)
                ;
        close(h->sock); /* also leaves the epoll set */
        h->sock = -1;
        uint64_t lived = osl_monotonic_ms() - h->worker_started_ms;
        h->restart_at_ms = osl_monotonic_ms() + (lived < RESTART_QUICK_MS ? RESTART_QUICK_MS : 0);
        if (WIFSIGNALED(status))
                holder_log(h, stopping ? LOG_INFO : LOG_ERR, "worker %d was killed by signal %d%s", (int) h->worker,
                           WTERMSIG(status), stopping ? "" : "; starting another, which resumes its containers");
        else if (!stopping || WEXITSTATUS(status) != 0)
                holder_log(h, stopping ? LOG_INFO : LOG_ERR, "worker %d exited with status %d%s", (int) h->worker,
                           WEXITSTATUS(status), stopping ? "" : "; starting another, which resumes its containers");
        h->worker = 0;
}

/* Checkpoints no held fd names are of containers no worker can resume;
 * temporary files are a killed worker's unfinished writes. */
static void remove_stale_checkpoints(holder *h)
{
        _cleanup_free_ char *dir_path = NULL;
        if (osl_asprintf(&dir_path, "%s/checkpoints", h->run_dir) < 0)
                return;
        DIR *dir = opendir(dir_path);
        if (!dir)
                return;
        struct dirent *de;
        while ((de = readdir(dir))) {
                size_t len = strlen(de->d_name);
                /* A worker killed while writing leaves NAME.json.tmp.XXXXXX. */
                if (strstr(de->d_name, ".json.tmp.")) {
                        unlinkat(dirfd(dir), de->d_name, 0);
                        continue;
                }
                /* NAME@log.json: a complain-mode container of the log
                 * method, resumed from its registration (lib/log_collector.h). */
                if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0 ||
                    (len > 9 && strcmp(de->d_name + len - 9, "@log.json") == 0))
                        continue;
                bool held = false;
                for (int i = 0; i < OSL_AGENT_SLOTS && !held; i++)
                        held = h->held[i].fd >= 0 && strlen(h->held[i].name) == len - 5 &&
                               strncmp(h->held[i].name, de->d_name, len - 5) == 0;
                if (!held)
                        unlinkat(dirfd(dir), de->d_name, 0);
        }
        closedir(dir);
}

static int holder_setup(holder *h, const osl_agent_stored_fd *stored, size_t n_stored, int slots_fd, osl_error *err)
{
        const osl_agent_options *opts = h->opts;
        int r;

        if (opts->listen_fd >= 0) {
                h->listen_fd = opts->listen_fd;
                holder_log(h, LOG_INFO, "listening on the socket systemd passed");
        } else {
                r = osl_agent_socket_create(opts, h->run_dir, &h->sock_file, &h->listen_fd, err);
                if (r < 0)
                        return r;
                holder_log(h, LOG_INFO, "listening on %s", h->sock_file.path ? h->sock_file.path : "?");
        }

        size_t size = sizeof(osl_agent_slot) * OSL_AGENT_SLOTS;
        struct stat st;
        if (slots_fd >= 0 && (fstat(slots_fd, &st) < 0 || (size_t) st.st_size != size)) {
                holder_log(h, LOG_WARNING, "the slot table systemd passed is not %zu bytes; starting a new one", size);
                close(slots_fd);
                slots_fd = -1;
        }
        bool fresh = slots_fd < 0;
        if (fresh) {
                slots_fd = memfd_create("oci-seccomp-learn-slots", MFD_CLOEXEC);
                if (slots_fd < 0)
                        return osl_err(err, -errno, "cannot create the slot table: %m");
                if (ftruncate(slots_fd, (off_t) size) < 0) {
                        r = osl_err(err, -errno, "cannot size the slot table: %m");
                        close(slots_fd);
                        return r;
                }
        }
        h->slots_fd = slots_fd;
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, slots_fd, 0);
        if (m == MAP_FAILED)
                return osl_err(err, -errno, "cannot map the slot table: %m");
        h->slots = m;
        if (fresh)
                holder_store(h, true, -1, NULL, slots_fd);

        for (size_t i = 0; i < n_stored; i++) {
                if (h->held[stored[i].slot].fd >= 0 || !osl_agent_checkpoint_name_valid(stored[i].name)) {
                        holder_log(h, LOG_WARNING, "systemd passed stored fd %d twice or with a bad name; closed",
                                   stored[i].fd);
                        close(stored[i].fd);
                        continue;
                }
                h->held[stored[i].slot] = (held_fd) { .fd = stored[i].fd, .name = osl_strdup(stored[i].name) };
                if (!h->held[stored[i].slot].name)
                        return osl_err(err, -ENOMEM, "out of memory");
                h->n_held++;
        }
        if (n_stored > 0)
                holder_log(h, LOG_INFO, "systemd passed back %zu notify fds from its fd store", h->n_held);
        remove_stale_checkpoints(h);

        h->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (h->epfd < 0)
                return osl_err(err, -errno, "cannot create an epoll instance: %m");
        if (opts->stop_fd >= 0) {
                struct epoll_event ev = { .events = EPOLLIN, .data.fd = opts->stop_fd };
                if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, opts->stop_fd, &ev) < 0)
                        return osl_err(err, -errno, "cannot watch the stop fd: %m");
        }
        return 0;
}

static void holder_cleanup(holder *h)
{
        for (int i = 0; i < OSL_AGENT_SLOTS; i++)
                if (h->held[i].fd >= 0) {
                        close(h->held[i].fd);
                        free(h->held[i].name);
                }
        if (h->sock >= 0)
                close(h->sock);
        if (h->epfd >= 0)
                close(h->epfd);
        if (h->slots)
                munmap(h->slots, sizeof(osl_agent_slot) * OSL_AGENT_SLOTS);
        if (h->slots_fd >= 0)
                close(h->slots_fd);
        if (h->listen_fd >= 0)
                close(h->listen_fd);
        osl_agent_socket_remove(&h->sock_file);
}

int osl_agent_hold(const osl_agent_options *opts, osl_agent_stored_fd *stored, size_t n_stored, int slots_fd,
                   osl_error *err)
{
        _cleanup_free_ holder *h = calloc(1, sizeof(*h));
        bool stopping = false;
        int r;

        if (!h) {
                for (size_t i = 0; i < n_stored; i++)
                        close(stored[i].fd);
                if (slots_fd >= 0)
                        close(slots_fd);
                return osl_err(err, -ENOMEM, "out of memory");
        }
        *h = (holder) { .opts = opts, .run_dir = osl_rundir(opts->run_dir), .listen_fd = -1, .slots_fd = -1,
                        .epfd = -1, .sock = -1 };
        const char *ns = getenv("NOTIFY_SOCKET");
        h->systemd = ns && *ns;
        for (int i = 0; i < OSL_AGENT_SLOTS; i++)
                h->held[i].fd = -1;

        r = holder_setup(h, stored, n_stored, slots_fd, err);
        if (r < 0)
                goto out;

        for (;;) {
                if (!h->worker && stopping)
                        break;
                int timeout = -1;
                if (!h->worker) {
                        uint64_t now = osl_monotonic_ms();
                        if (now >= h->restart_at_ms) {
                                r = start_worker(h, err);
                                if (r < 0)
                                        goto out;
                                continue;
                        }
                        timeout = (int) (h->restart_at_ms - now);
                }
                struct epoll_event events[4];
                int n = epoll_wait(h->epfd, events, 4, timeout);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = osl_err(err, -errno, "epoll_wait failed: %m");
                        goto out;
                }
                for (int i = 0; i < n; i++) {
                        if (events[i].data.fd == opts->stop_fd) {
                                /* The worker writes what its containers learned, then exits. */
                                epoll_ctl(h->epfd, EPOLL_CTL_DEL, opts->stop_fd, NULL);
                                stopping = true;
                                if (h->worker)
                                        kill(h->worker, SIGTERM);
                        } else if (h->sock >= 0 && events[i].data.fd == h->sock) {
                                if (holder_read(h) < 0)
                                        worker_ended(h, stopping);
                        }
                }
        }
        r = 0;
out:
        if (h->worker) {
                kill(h->worker, SIGTERM);
                while (waitpid(h->worker, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        holder_cleanup(h);
        return r;
}
