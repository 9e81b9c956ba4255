/* SPDX-License-Identifier: Apache-2.0 */
/* SECCOMP_RET_LOG records from the audit multicast group: see audit_log.h. */
#include "audit_log.h"

#include <auparse.h>
#include <poll.h>
#include <stdio.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/netlink.h>

/* One netlink message: a header and the record's text. */
/* The kernel caps a record at MAX_AUDIT_MESSAGE_LENGTH (8970 bytes). */
#define NL_BUF_SIZE (8970 + NLMSG_HDRLEN + 64)
/* SECCOMP records handed over by one osl_audit_read at most. */
#define READ_BATCH 4096

struct osl_audit {
        int fd;
        osl_audit_record_fn fn;
        void *userdata;
        uint64_t first_serial, last_serial; /* 0: none yet */
        uint64_t missed;
        int handed; /* records given to fn by the current read */
        pid_t marker_pid; /* osl_audit_sync's child: its record is not handed to fn */
        bool marker_seen;
        char buf[NL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
        char line[NL_BUF_SIZE + 32]; /* a record as libauparse reads it */
};

/* One numeric field of the record auparse is on. */
static bool field_u64(auparse_state_t *au, const char *name, int base, uint64_t *out)
{
        auparse_first_field(au);
        const char *v = auparse_find_field(au, name);
        if (!v || !*v)
                return false;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, base);
        if (errno || *end)
                return false;
        *out = n;
        return true;
}

/* A SECCOMP record: "audit(T:S): auid=... pid=4242 comm=... exe=... sig=0
 * arch=c000003e syscall=39 compat=0 ip=... code=...". libauparse parses it
 * as a buffer of its own: fed to one long-lived parser (auparse_feed),
 * records pile up waiting for an end of event that a lone SECCOMP record
 * never has, and a flood slowed it to a few hundred records a second; one
 * buffer per record costs about 5 us here and keeps nothing. */
static void on_seccomp(osl_audit *a, const char *text, size_t len)
{
        int n = snprintf(a->line, sizeof(a->line), "type=SECCOMP msg=%.*s\n", (int) len, text);
        if (n < 0 || (size_t) n >= sizeof(a->line))
                return;
        auparse_state_t *au = auparse_init(AUSOURCE_BUFFER, a->line);
        if (!au)
                return;
        uint64_t pid, arch, nr;
        /* The kernel writes pid and syscall in decimal, arch in hex. */
        bool ok = auparse_next_event(au) > 0 && auparse_get_type(au) == AUDIT_SECCOMP &&
                  field_u64(au, "pid", 10, &pid) && field_u64(au, "arch", 16, &arch) &&
                  field_u64(au, "syscall", 10, &nr);
        osl_audit_record rec = { .serial = ok ? auparse_get_serial(au) : 0 };
        auparse_destroy(au);
        if (!ok)
                return;
        rec.pid = (uint32_t) pid;
        rec.arch = (uint32_t) arch;
        rec.nr = (int32_t) nr;
        if (a->marker_pid > 0 && rec.pid == (uint32_t) a->marker_pid) {
                a->marker_seen = true;
                return;
        }
        a->fn(&rec, a->userdata);
        a->handed++;
}

int osl_audit_open(osl_audit_record_fn fn, void *userdata, osl_audit **out, osl_error *err)
{
        osl_audit *a = calloc(1, sizeof(*a));
        if (!a)
                return osl_err(err, -ENOMEM, "out of memory");
        a->fn = fn;
        a->userdata = userdata;
        a->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
        if (a->fd < 0) {
                int r = osl_err(err, -errno, "cannot open an audit netlink socket: %m");
                free(a);
                return r;
        }
        int size = OSL_AUDIT_RCVBUF;
        if (setsockopt(a->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
                int r = osl_err(err, -errno, "cannot set a %d MiB receive buffer on the audit socket: %m",
                                OSL_AUDIT_RCVBUF >> 20);
                osl_audit_close(a);
                return r;
        }
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1) };
        if (bind(a->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = osl_err(err, -errno, "cannot join the audit log multicast group: %m");
                osl_audit_close(a);
                return r;
        }
        *out = a;
        return 0;
}

void osl_audit_close(osl_audit *a)
{
        if (!a)
                return;
        if (a->fd >= 0)
                close(a->fd);
        free(a);
}

int osl_audit_fd(const osl_audit *a)
{
        return a->fd;
}

uint64_t osl_audit_missed(const osl_audit *a)
{
        return a->missed;
}

/* "audit(SECONDS.MS:SERIAL): ..." */
static bool record_serial(const char *text, size_t len, uint64_t *serial)
{
        const char *colon = memchr(text, ':', len);
        if (len < 8 || strncmp(text, "audit(", 6) != 0 || !colon)
                return false;
        char *end;
        errno = 0;
        unsigned long long n = strtoull(colon + 1, &end, 10);
        if (errno || end == colon + 1 || *end != ')')
                return false;
        *serial = n;
        return true;
}

void osl_audit_serials(const osl_audit *a, uint64_t *first, uint64_t *last)
{
        *first = a->first_serial;
        *last = a->last_serial;
}

int osl_audit_read(osl_audit *a, osl_error *err)
{
        a->handed = 0;
        for (;;) {
                ssize_t n = recv(a->fd, a->buf, sizeof(a->buf) - 1, 0);
                if (n < 0) {
                        if (errno == EINTR || errno == ENOBUFS) /* ENOBUFS: counted by the serials */
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return osl_err(err, -errno, "cannot read from the audit socket: %m");
                }
                /* The kernel does not pad a record to NLMSG_ALIGNTO: NLMSG_NEXT
                 * would step past the end of what recv returned (into an
                 * earlier, longer record) and count below zero. */
                size_t left = (size_t) n;
                for (struct nlmsghdr *nh = (struct nlmsghdr *) a->buf; NLMSG_OK(nh, left);
                     left = left > NLMSG_ALIGN(nh->nlmsg_len) ? left - NLMSG_ALIGN(nh->nlmsg_len) : 0,
                     nh = (struct nlmsghdr *) ((char *) nh + NLMSG_ALIGN(nh->nlmsg_len))) {
                        size_t len = nh->nlmsg_len - NLMSG_HDRLEN;
                        const char *text = NLMSG_DATA(nh);
                        while (len > 0 && (text[len - 1] == '\0' || text[len - 1] == '\n'))
                                len--;
                        uint64_t serial;
                        if (!record_serial(text, len, &serial))
                                continue;
                        if (!a->first_serial)
                                a->first_serial = serial;
                        if (a->last_serial && serial > a->last_serial + 1)
                                a->missed += serial - a->last_serial - 1;
                        if (serial > a->last_serial)
                                a->last_serial = serial;
                        if (nh->nlmsg_type == AUDIT_SECCOMP)
                                on_seccomp(a, text, len);
                }
                /* A flood must not keep the caller from its other work:
                 * the rest waits for the next call (the fd stays readable). */
                if (a->handed >= READ_BATCH)
                        break;
        }
        return a->handed;
}

int osl_audit_kernel_status(uint32_t *lost, uint32_t *backlog, osl_error *err)
{
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
        if (fd < 0)
                return osl_err(err, -errno, "cannot open an audit netlink socket: %m");
        struct {
                struct nlmsghdr nh;
                char pad[64];
        } req = { .nh = { .nlmsg_len = NLMSG_LENGTH(0), .nlmsg_type = AUDIT_GET, .nlmsg_flags = NLM_F_REQUEST,
                          .nlmsg_seq = 1 } };
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return osl_err(err, -errno, "cannot ask the kernel for its audit status: %m");
        char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
        for (int tries = 0; tries < 8; tries++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 1000) <= 0)
                        break;
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                if (n < 0)
                        return osl_err(err, -errno, "cannot read the kernel's audit status: %m");
                for (struct nlmsghdr *nh = (struct nlmsghdr *) buf; NLMSG_OK(nh, (size_t) n); nh = NLMSG_NEXT(nh, n)) {
                        if (nh->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(nh);
                                if (e->error) {
                                        errno = -e->error;
                                        return osl_err(err, e->error, "the kernel refused AUDIT_GET: %m");
                                }
                                continue;
                        }
                        if (nh->nlmsg_type != AUDIT_GET || nh->nlmsg_len < NLMSG_LENGTH(offsetof(struct audit_status, backlog) + sizeof(uint32_t)))
                                continue;
                        struct audit_status st = {};
                        size_t len = nh->nlmsg_len - NLMSG_HDRLEN;
                        memcpy(&st, NLMSG_DATA(nh), len < sizeof(st) ? len : sizeof(st));
                        *lost = st.lost;
                        *backlog = st.backlog;
                        return 0;
                }
        }
        return osl_err(err, -ETIMEDOUT, "the kernel did not answer AUDIT_GET");
}

int osl_audit_sync(osl_audit *a, unsigned timeout_ms, osl_error *err)
{
        pid_t pid = fork();
        if (pid < 0)
                return osl_err(err, -errno, "cannot start the audit marker process: %m");
        if (pid == 0) {
                /* One logged call: the marker record. */
                scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
                if (!ctx || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(getppid), 0) < 0 || seccomp_load(ctx) < 0)
                        _exit(1);
                syscall(SYS_getppid);
                _exit(0);
        }
        a->marker_pid = pid;
        a->marker_seen = false;
        int status = 0, r = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                r = osl_err(err, -ECHILD, "the audit marker process could not load its filter");
                goto out;
        }
        uint64_t deadline = osl_monotonic_ms() + timeout_ms;
        while (!a->marker_seen) {
                uint64_t now = osl_monotonic_ms();
                if (now >= deadline) {
                        r = osl_err(err, -ETIMEDOUT, "the audit marker record did not come within %u ms", timeout_ms);
                        goto out;
                }
                struct pollfd p = { .fd = a->fd, .events = POLLIN };
                poll(&p, 1, (int) (deadline - now));
                int n = osl_audit_read(a, err);
                if (n < 0) {
                        r = n;
                        goto out;
                }
        }
out:
        a->marker_pid = 0;
        return r;
}
