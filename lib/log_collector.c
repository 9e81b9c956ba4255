/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's SECCOMP_RET_LOG collector: see log_collector.h. */
#include "log_collector.h"

#include <pthread.h>

#include <dirent.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "agent_internal.h"
#include "audit_log.h"
#include "rundir.h"

/* How long a barrier waits for its marker record. */
#define BARRIER_MS 2000
/* Distinct (arch, nr) kept for a tracked container before it has a handle
 * (runc init's calls between loading the filter and handing its fd over). */
#define PENDING_MAX 512
/* Pids seen to exec in one container, or forked by one of its processes
 * (the proc connector), for records that arrive after their process is
 * gone. */
#define EXEC_PIDS_MAX 4096
#define CGROUP_MAX 16384

typedef struct pending {
        uint32_t arch;
        int32_t nr;
        uint32_t pid;
        uint64_t count;
} pending;

typedef struct tracked {
        char key[OSL_INSTANCE_KEY_SIZE];
        void *handle;
        bool registered;  /* RUNDIR/containers/<key>.json exists */
        bool log_only;    /* opened by ops->open; closed when its init ends */
        bool application; /* its init passed its exec */
        uint32_t pid;
        bool has_ns, has_cg;
        ino_t ns;
        uint64_t cg;
        int pidfd;
        uint32_t *exec_pids;
        size_t n_exec_pids, next_exec_pid;
        pending *pending;
        size_t n_pending;
        uint64_t unattributed0, missed0, missed_extra;
        struct tracked *next;
} tracked;

struct osl_log_collector {
        const osl_agent_options *opts;
        const char *run_dir;
        const osl_log_collector_ops *ops;
        void *userdata;
        osl_audit *audit;
        int epfd, inotify_fd, cn_fd;
        char audit_tag, inotify_tag, cn_tag;
        char *containers_dir, *serial_path;
        tracked *tracked;
        bool has_own_ns, has_own_cg;
        ino_t own_ns;
        uint64_t own_cg;
        uint64_t unattributed;
        bool in_callback;
        bool pending_full_warned;
        uint64_t written_serial, written_ms;
        /* The worker's loop drives the collector; its notify threads call
         * osl_log_collector_exec too. Recursive: a record handed over can
         * make the agent close a container (ops->close), which unwatches it. */
        pthread_mutex_t lock;
};

static void collector_log(osl_log_collector *col, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void collector_log(osl_log_collector *col, int level, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        osl_agent_vlog(col->opts, level, fmt, ap);
        va_end(ap);
}

/* ---- identity ---------------------------------------------------------- */

static bool pid_ns(uint32_t pid, ino_t *ns)
{
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), "/proc/%" PRIu32 "/ns/pid", pid);
        if (stat(path, &st) < 0)
                return false;
        *ns = st.st_ino;
        return true;
}

/* FNV-1a of /proc/PID/cgroup: every hierarchy's path. */
static bool pid_cgroup(uint32_t pid, uint64_t *hash)
{
        char path[64], buf[CGROUP_MAX];
        snprintf(path, sizeof(path), "/proc/%" PRIu32 "/cgroup", pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
                return false;
        uint64_t h = 0xcbf29ce484222325ULL;
        for (ssize_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) buf[i]) * 0x100000001b3ULL;
        *hash = h;
        return true;
}

/* The container's identity, from its init process: its pid namespace
 * unless that is ours (no pid namespace), its cgroups unless they are ours. */
static void identify(osl_log_collector *col, tracked *t, uint32_t pid)
{
        ino_t ns;
        uint64_t cg;
        t->pid = pid;
        if (pid_ns(pid, &ns) && !(col->has_own_ns && ns == col->own_ns)) {
                t->ns = ns;
                t->has_ns = true;
        }
        if (pid_cgroup(pid, &cg) && !(col->has_own_cg && cg == col->own_cg)) {
                t->cg = cg;
                t->has_cg = true;
        }
}

static void note_pid(tracked *t, uint32_t pid)
{
        for (size_t i = 0; i < t->n_exec_pids; i++)
                if (t->exec_pids[i] == pid)
                        return;
        if (!t->exec_pids && !(t->exec_pids = calloc(EXEC_PIDS_MAX, sizeof(*t->exec_pids))))
                return;
        t->exec_pids[t->next_exec_pid] = pid;
        t->next_exec_pid = (t->next_exec_pid + 1) % EXEC_PIDS_MAX;
        if (t->n_exec_pids < EXEC_PIDS_MAX)
                t->n_exec_pids++;
}

static tracked *attribute(osl_log_collector *col, uint32_t pid)
{
        ino_t ns;
        uint64_t cg;
        if (pid_ns(pid, &ns) && !(col->has_own_ns && ns == col->own_ns))
                for (tracked *t = col->tracked; t; t = t->next)
                        if (t->has_ns && t->ns == ns)
                                return t;
        /* No pid namespace of its own, or a zombie (its namespaces are
         * gone, its cgroups stay until it is reaped). */
        if (pid_cgroup(pid, &cg) && !(col->has_own_cg && cg == col->own_cg))
                for (tracked *t = col->tracked; t; t = t->next)
                        if (t->has_cg && t->cg == cg)
                                return t;
        for (tracked *t = col->tracked; t; t = t->next)
                for (size_t i = 0; i < t->n_exec_pids; i++)
                        if (t->exec_pids[i] == pid)
                                return t;
        return NULL;
}

/* ---- forks (the proc connector) ----------------------------------------
 * A child that a container's process forks and that makes its calls and
 * exits before its records are read (busybox sh runs ls, cat, mkdir so)
 * has no /proc left: its fork event, queued before any of its calls, names
 * its parent, which is still there. */

static int cn_open(void)
{
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
        if (fd < 0)
                return -errno;
        int size = 4 << 20;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
        /* nlmsghdr, cn_msg, then the operation (cn_msg ends in a flexible array). */
        char req[NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))]
                __attribute__((aligned(NLMSG_ALIGNTO))) = {};
        struct nlmsghdr *nh = (struct nlmsghdr *) req;
        struct cn_msg *cn = NLMSG_DATA(nh);
        enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
        nh->nlmsg_len = sizeof(req);
        nh->nlmsg_type = NLMSG_DONE;
        cn->id.idx = CN_IDX_PROC;
        cn->id.val = CN_VAL_PROC;
        cn->len = sizeof(op);
        memcpy(cn->data, &op, sizeof(op));
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || send(fd, req, sizeof(req), 0) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static tracked *attribute(osl_log_collector *col, uint32_t pid);

/* Reads the fork events queued; false when there were none. */
static bool read_forks(osl_log_collector *col)
{
        char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
        bool any = false;
        while (col->cn_fd >= 0) {
                ssize_t n = recv(col->cn_fd, buf, sizeof(buf), 0);
                if (n < 0 && errno == ENOBUFS) {
                        collector_log(col, LOG_WARNING, "fork events were lost (the proc connector's buffer overflowed)");
                        continue;
                }
                if (n <= 0)
                        return any;
                any = true;
                size_t left = (size_t) n;
                for (struct nlmsghdr *nh = (struct nlmsghdr *) buf; NLMSG_OK(nh, left); nh = NLMSG_NEXT(nh, left)) {
                        const struct cn_msg *cn = NLMSG_DATA(nh);
                        if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*cn) + sizeof(struct proc_event)) ||
                            cn->id.idx != CN_IDX_PROC)
                                continue;
                        struct proc_event ev;
                        memcpy(&ev, cn->data, sizeof(ev));
                        if (ev.what != PROC_EVENT_FORK || ev.event_data.fork.child_pid != ev.event_data.fork.child_tgid)
                                continue; /* a thread: its calls carry its process's pid */
                        tracked *t = attribute(col, (uint32_t) ev.event_data.fork.parent_tgid);
                        if (t)
                                note_pid(t, (uint32_t) ev.event_data.fork.child_tgid);
                }
        }
        return any;
}

/* ---- tracked containers ------------------------------------------------- */

static uint64_t missed_now(const osl_log_collector *col)
{
        return osl_audit_missed(col->audit);
}

static tracked *tracked_find(osl_log_collector *col, const char *key)
{
        for (tracked *t = col->tracked; t; t = t->next)
                if (strcmp(t->key, key) == 0)
                        return t;
        return NULL;
}

static tracked *tracked_by_handle(const osl_log_collector *col, const void *handle)
{
        for (tracked *t = col->tracked; t; t = t->next)
                if (handle && t->handle == handle)
                        return t;
        return NULL;
}

static tracked *tracked_new(osl_log_collector *col, const char *key)
{
        if (strlen(key) >= OSL_INSTANCE_KEY_SIZE)
                return NULL;
        tracked *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        snprintf(t->key, sizeof(t->key), "%s", key);
        t->pidfd = -1;
        t->unattributed0 = col->unattributed;
        t->missed0 = missed_now(col);
        t->next = col->tracked;
        col->tracked = t;
        return t;
}

static void tracked_free(osl_log_collector *col, tracked *t)
{
        for (tracked **p = &col->tracked; *p; p = &(*p)->next)
                if (*p == t) {
                        *p = t->next;
                        break;
                }
        if (t->pidfd >= 0)
                close(t->pidfd); /* also leaves the epoll set */
        free(t->exec_pids);
        free(t->pending);
        free(t);
}

static void deliver(osl_log_collector *col, tracked *t, uint32_t arch, int32_t nr, uint32_t pid, uint64_t count)
{
        if (t->handle) {
                col->ops->record(t->handle, arch, nr, pid, t->application, count, col->userdata);
                return;
        }
        size_t i;
        for (i = 0; i < t->n_pending; i++)
                if (t->pending[i].arch == arch && t->pending[i].nr == nr)
                        break;
        if (i == t->n_pending) {
                if (!t->pending && !(t->pending = calloc(PENDING_MAX, sizeof(*t->pending))))
                        i = PENDING_MAX;
                if (i == PENDING_MAX) {
                        col->unattributed += count;
                        if (!col->pending_full_warned)
                                collector_log(col, LOG_WARNING, "container %s: too many records before the agent knew it; "
                                     "the rest are counted as unattributed", t->key);
                        col->pending_full_warned = true;
                        return;
                }
                t->pending[i] = (pending) { .arch = arch, .nr = nr, .pid = pid };
                t->n_pending++;
        }
        t->pending[i].count += count;
}

static void on_record(const osl_audit_record *rec, void *userdata);

static void barrier(osl_log_collector *col, const char *why)
{
        osl_error e = {};
        /* Not from inside a record's callback (osl_audit_read). */
        if (col->in_callback)
                return;
        if (osl_audit_sync(col->audit, BARRIER_MS, &e) < 0)
                collector_log(col, LOG_WARNING, "%s: %s; records still in flight may be taken for later ones", why, e.msg);
}

/* A complain-mode container learning through LOG whose init ended: the
 * agent writes its observation (osl_log_collector_flush first) and forgets
 * it (osl_log_collector_unwatch, which may free t). */
static void log_only_close(osl_log_collector *col, tracked *t)
{
        t->log_only = false;
        if (t->pidfd >= 0) {
                close(t->pidfd);
                t->pidfd = -1;
        }
        if (t->handle)
                col->ops->close(t->handle, col->userdata);
        else if (!t->registered)
                tracked_free(col, t);
}

static int pidfd_open_(uint32_t pid)
{
        return (int) syscall(SYS_pidfd_open, (pid_t) pid, 0);
}

/* RUNDIR/containers/NAME, written or removed. */
static void registration_changed(osl_log_collector *col, const char *name, bool removed)
{
        size_t len = strlen(name);
        char key[OSL_INSTANCE_KEY_SIZE];
        if (name[0] == '.' || len < 6 || len - 5 >= sizeof(key) || strcmp(name + len - 5, ".json") != 0)
                return;
        memcpy(key, name, len - 5);
        key[len - 5] = '\0';
        tracked *t = tracked_find(col, key);
        if (removed) {
                if (t && !t->handle)
                        tracked_free(col, t);
                else if (t)
                        t->registered = false;
                return;
        }
        _cleanup_free_ char *path = NULL;
        osl_registration_owned reg = {};
        osl_error e = {};
        if (osl_asprintf(&path, "%s/%s", col->containers_dir, name) < 0 || osl_registration_load_path(path, &reg, &e) < 0)
                return; /* not (yet) a registration */
        bool learn = strcmp(reg.mode, "learn") == 0, complain = strcmp(reg.mode, "complain") == 0;
        if ((!learn && !complain) || reg.pid <= 0) {
                osl_registration_clear(&reg);
                return;
        }
        if (!t && !(t = tracked_new(col, key))) {
                osl_registration_clear(&reg);
                return;
        }
        t->registered = true;
        if (!t->handle || t->pid != (uint32_t) reg.pid)
                identify(col, t, (uint32_t) reg.pid);
        if (complain && reg.log && reg.learning && !t->handle) {
                t->handle = col->ops->open(&reg, key, col->userdata);
                if (t->handle) {
                        t->log_only = true;
                        t->application = true; /* complain: the profile covers the runtime */
                        t->pidfd = pidfd_open_((uint32_t) reg.pid);
                        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = t };
                        if (t->pidfd < 0 || epoll_ctl(col->epfd, EPOLL_CTL_ADD, t->pidfd, &ev) < 0) {
                                osl_registration_clear(&reg);
                                log_only_close(col, t); /* gone already */
                                return;
                        }
                        for (size_t i = 0; i < t->n_pending; i++)
                                deliver(col, t, t->pending[i].arch, t->pending[i].nr, t->pending[i].pid,
                                        t->pending[i].count);
                        t->n_pending = 0;
                }
        }
        osl_registration_clear(&reg);
}

/* Takes what inotify reported; false when there was nothing. */
static bool read_inotify(osl_log_collector *col)
{
        char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool any = false;
        for (;;) {
                ssize_t n = read(col->inotify_fd, buf, sizeof(buf));
                if (n <= 0)
                        return any;
                any = true;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        if (ev->len > 0)
                                registration_changed(col, ev->name, ev->mask & (IN_DELETE | IN_MOVED_FROM));
                        p += sizeof(*ev) + ev->len;
                }
        }
}

static void on_record(const osl_audit_record *rec, void *userdata)
{
        osl_log_collector *col = userdata;
        col->in_callback = true;
        tracked *t = attribute(col, rec->pid);
        /* A registration inotify has not told us of yet, a fork not read yet. */
        if (!t && read_inotify(col))
                t = attribute(col, rec->pid);
        if (!t && read_forks(col))
                t = attribute(col, rec->pid);
        if (t)
                deliver(col, t, rec->arch, rec->nr, rec->pid, 1);
        else
                col->unattributed++;
        col->in_callback = false;
}

static void scan_registrations(osl_log_collector *col)
{
        DIR *dir = opendir(col->containers_dir);
        if (!dir)
                return;
        struct dirent *de;
        while ((de = readdir(dir)))
                registration_changed(col, de->d_name, false);
        closedir(dir);
}

/* ---- the serial file ----------------------------------------------------- */

static void write_serial(osl_log_collector *col, bool force)
{
        uint64_t first, last, now = osl_monotonic_ms();
        osl_audit_serials(col->audit, &first, &last);
        if (!force && (last == col->written_serial || now < col->written_ms + OSL_AGENT_CHECKPOINT_MS))
                return;
        char text[32];
        int n = snprintf(text, sizeof(text), "%" PRIu64 "\n", last);
        osl_error e = {};
        if (osl_write_file_atomic_nosync(col->serial_path, text, (size_t) n, 0600, &e) < 0)
                collector_log(col, LOG_WARNING, "cannot write %s: %s", col->serial_path, e.msg);
        col->written_serial = last;
        col->written_ms = now;
}

static uint64_t read_serial(const char *path)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        osl_error e = {};
        if (osl_read_file(path, 64, &text, &len, &e) < 0)
                return 0;
        return strtoull(text, NULL, 10);
}

/* ---- the interface ------------------------------------------------------ */

int osl_log_collector_open(const osl_agent_options *opts, const char *run_dir, const osl_log_collector_ops *ops,
                           void *userdata, osl_log_collector **out, osl_error *err)
{
        osl_log_collector *col = calloc(1, sizeof(*col));
        int r;
        if (!col)
                return osl_err(err, -ENOMEM, "out of memory");
        *col = (osl_log_collector) { .opts = opts, .run_dir = run_dir, .ops = ops, .userdata = userdata,
                                     .epfd = -1, .inotify_fd = -1, .cn_fd = -1 };
        pthread_mutexattr_t attr;
        pthread_mutexattr_init(&attr);
        pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        pthread_mutex_init(&col->lock, &attr);
        pthread_mutexattr_destroy(&attr);
        if ((r = osl_audit_open(on_record, col, &col->audit, err)) < 0)
                goto fail;
        if (osl_asprintf(&col->containers_dir, "%s/containers", run_dir) < 0 ||
            osl_asprintf(&col->serial_path, "%s/" OSL_LOG_COLLECTOR_FILE, run_dir) < 0) {
                r = osl_err(err, -ENOMEM, "out of memory");
                goto fail;
        }
        if ((r = osl_mkdir_p(col->containers_dir, 0700, err)) < 0)
                goto fail;
        col->epfd = epoll_create1(EPOLL_CLOEXEC);
        col->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (col->epfd < 0 || col->inotify_fd < 0 ||
            inotify_add_watch(col->inotify_fd, col->containers_dir,
                              IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
                r = osl_err(err, -errno, "cannot watch %s: %m", col->containers_dir);
                goto fail;
        }
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &col->audit_tag };
        struct epoll_event iev = { .events = EPOLLIN, .data.ptr = &col->inotify_tag };
        if (epoll_ctl(col->epfd, EPOLL_CTL_ADD, osl_audit_fd(col->audit), &ev) < 0 ||
            epoll_ctl(col->epfd, EPOLL_CTL_ADD, col->inotify_fd, &iev) < 0) {
                r = osl_err(err, -errno, "cannot watch the audit socket: %m");
                goto fail;
        }
        col->cn_fd = cn_open();
        struct epoll_event cev = { .events = EPOLLIN, .data.ptr = &col->cn_tag };
        if (col->cn_fd < 0 || epoll_ctl(col->epfd, EPOLL_CTL_ADD, col->cn_fd, &cev) < 0) {
                errno = col->cn_fd < 0 ? -col->cn_fd : errno;
                collector_log(col, LOG_NOTICE, "cannot follow forks (proc connector): %m; the calls of a process "
                              "forked in a container that ends before its records are read are unattributed");
        }
        col->has_own_ns = pid_ns((uint32_t) getpid(), &col->own_ns);
        col->has_own_cg = pid_cgroup((uint32_t) getpid(), &col->own_cg);

        /* What an earlier worker read last: the serials from there to the
         * first record this one reads were missed by the containers it
         * resumes. */
        uint64_t before = read_serial(col->serial_path);
        scan_registrations(col);
        if ((r = osl_audit_sync(col->audit, BARRIER_MS, err)) < 0)
                goto fail;
        uint64_t first, last;
        osl_audit_serials(col->audit, &first, &last);
        if (before > 0 && first > before + 1) {
                uint64_t down = first - before - 1;
                for (tracked *t = col->tracked; t; t = t->next)
                        t->missed_extra += down;
                collector_log(col, LOG_NOTICE, "%" PRIu64 " audit records (of any process) came while no worker read them; "
                     "counted as missed by the %s containers", down, col->tracked ? "running" : "(no)");
        }
        write_serial(col, true);
        *out = col;
        return 0;
fail:
        osl_log_collector_close(col, false);
        return r;
}

void osl_log_collector_close(osl_log_collector *col, bool stopping)
{
        if (!col)
                return;
        while (col->tracked)
                tracked_free(col, col->tracked);
        if (stopping && col->serial_path)
                unlink(col->serial_path);
        else if (col->audit && col->serial_path)
                write_serial(col, true);
        osl_audit_close(col->audit);
        if (col->epfd >= 0)
                close(col->epfd);
        if (col->inotify_fd >= 0)
                close(col->inotify_fd);
        if (col->cn_fd >= 0)
                close(col->cn_fd);
        free(col->containers_dir);
        free(col->serial_path);
        pthread_mutex_destroy(&col->lock);
        free(col);
}

int osl_log_collector_fd(const osl_log_collector *col)
{
        return col->epfd;
}

static void collector_dispatch(osl_log_collector *col)
{
        struct epoll_event events[16];
        int n = epoll_wait(col->epfd, events, (int) ELEMENTSOF(events), 0);
        for (int i = 0; i < n; i++) {
                if (events[i].data.ptr == &col->inotify_tag) {
                        read_inotify(col);
                } else if (events[i].data.ptr == &col->cn_tag) {
                        read_forks(col);
                } else if (events[i].data.ptr == &col->audit_tag) {
                        osl_error e = {};
                        if (osl_audit_read(col->audit, &e) < 0)
                                collector_log(col, LOG_ERR, "%s", e.msg);
                } else {
                        /* A pidfd: its init ended. */
                        log_only_close(col, events[i].data.ptr);
                }
        }
        write_serial(col, false);
}

void osl_log_collector_dispatch(osl_log_collector *col)
{
        pthread_mutex_lock(&col->lock);
        collector_dispatch(col);
        pthread_mutex_unlock(&col->lock);
}

static void collector_watch(osl_log_collector *col, void *handle, const char *key, uint32_t pid, bool application)
{
        read_inotify(col);
        tracked *t = tracked_find(col, key);
        if (!t && !(t = tracked_new(col, key))) {
                collector_log(col, LOG_ERR, "container %s: out of memory; its records are not attributed", key);
                return;
        }
        t->handle = handle;
        t->application = t->application || application;
        if (pid > 0)
                identify(col, t, pid);
        for (size_t i = 0; i < t->n_pending; i++)
                deliver(col, t, t->pending[i].arch, t->pending[i].nr, t->pending[i].pid, t->pending[i].count);
        t->n_pending = 0;
}

void osl_log_collector_watch(osl_log_collector *col, void *handle, const char *key, uint32_t pid, bool application)
{
        pthread_mutex_lock(&col->lock);
        collector_watch(col, handle, key, pid, application);
        pthread_mutex_unlock(&col->lock);
}

static void collector_exec(osl_log_collector *col, void *handle, uint32_t pid, bool init_exec, bool exact)
{
        tracked *t = tracked_by_handle(col, handle);
        if (!t)
                return;
        note_pid(t, pid);
        if (init_exec && !t->application) {
                if (exact)
                        barrier(col, "the application's start");
                t->application = true;
        }
}

void osl_log_collector_exec(osl_log_collector *col, void *handle, uint32_t pid, bool init_exec, bool exact)
{
        pthread_mutex_lock(&col->lock);
        collector_exec(col, handle, pid, init_exec, exact);
        pthread_mutex_unlock(&col->lock);
}

static void collector_flush(osl_log_collector *col, void *handle, bool exact)
{
        if (!tracked_by_handle(col, handle) || col->in_callback)
                return;
        if (exact) {
                barrier(col, "a container's observation");
                return;
        }
        osl_error e = {};
        if (osl_audit_read(col->audit, &e) < 0)
                collector_log(col, LOG_ERR, "%s", e.msg);
}

void osl_log_collector_flush(osl_log_collector *col, void *handle, bool exact)
{
        pthread_mutex_lock(&col->lock);
        collector_flush(col, handle, exact);
        pthread_mutex_unlock(&col->lock);
}

static void collector_unwatch(osl_log_collector *col, void *handle)
{
        tracked *t = tracked_by_handle(col, handle);
        if (!t)
                return;
        t->handle = NULL;
        if (t->pidfd >= 0) {
                close(t->pidfd);
                t->pidfd = -1;
        }
        t->log_only = false;
        if (!t->registered)
                tracked_free(col, t);
}

void osl_log_collector_unwatch(osl_log_collector *col, void *handle)
{
        pthread_mutex_lock(&col->lock);
        collector_unwatch(col, handle);
        pthread_mutex_unlock(&col->lock);
}

void osl_log_collector_counts(osl_log_collector *col, const void *handle, uint64_t *unattributed, uint64_t *missed)
{
        pthread_mutex_lock(&col->lock);
        const tracked *t = tracked_by_handle(col, handle);
        *unattributed = t ? col->unattributed - t->unattributed0 : 0;
        *missed = t ? missed_now(col) - t->missed0 + t->missed_extra : 0;
        pthread_mutex_unlock(&col->lock);
}
