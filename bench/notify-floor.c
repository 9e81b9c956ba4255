/* SPDX-License-Identifier: Apache-2.0 */
/* What one notified syscall costs with the smallest possible agent, and how
 * that depends on where the agent waits and runs (doc/performance.md,
 * "Notify cost"). A child loads a 4-instruction filter that notifies
 * getppid and hands the notify fd to its parent, which answers CONTINUE;
 * the child times its getppid calls.
 *
 *   notify-floor CALLS CALLER_CPU AGENT_CPU SYNC recv|epoll
 *
 * CALLER_CPU, AGENT_CPU: the CPU to pin to, -1 for none. SYNC 1 sets
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP. recv: the agent blocks in
 * SECCOMP_IOCTL_NOTIF_RECV; epoll: it waits in epoll_wait first, as a
 * single-threaded event loop does. Prints nanoseconds per call (after
 * CALLS/10 calls of warm-up). Needs Linux 6.6 for SYNC. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static void die(const char *what)
{
        fprintf(stderr, "notify-floor: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void pin(int cpu)
{
        cpu_set_t set;
        if (cpu < 0)
                return;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                die("sched_setaffinity");
}

/* One byte, with room for one fd by SCM_RIGHTS. */
typedef struct fd_message {
        char byte;
        struct iovec iov;
        struct msghdr mh;
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
} fd_message;

static void fd_message_init(fd_message *m)
{
        memset(m, 0, sizeof(*m));
        m->iov = (struct iovec) { .iov_base = &m->byte, .iov_len = 1 };
        m->mh = (struct msghdr) { .msg_iov = &m->iov, .msg_iovlen = 1, .msg_control = m->u.buf,
                                  .msg_controllen = sizeof(m->u.buf) };
}

static void send_fd(int sock, int fd)
{
        fd_message m;
        fd_message_init(&m);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m.mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        if (sendmsg(sock, &m.mh, 0) < 0)
                die("sendmsg");
}

static int recv_fd(int sock)
{
        fd_message m;
        int fd;
        fd_message_init(&m);
        if (recvmsg(sock, &m.mh, 0) <= 0 || !CMSG_FIRSTHDR(&m.mh))
                die("recvmsg");
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m.mh)), sizeof(int));
        return fd;
}

static void caller(int sock, long calls, int cpu)
{
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
        struct timespec a, b;
        char go;

        pin(cpu);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                die("PR_SET_NO_NEW_PRIVS");
        int nfd = (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (nfd < 0)
                die("seccomp");
        send_fd(sock, nfd);
        close(nfd);
        if (read(sock, &go, 1) != 1)
                die("read");
        for (long i = 0; i < calls / 10; i++)
                syscall(SYS_getppid);
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < calls; i++)
                syscall(SYS_getppid);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.1f\n", ((double) (b.tv_sec - a.tv_sec) * 1e9 + (double) (b.tv_nsec - a.tv_nsec)) / (double) calls);
}

int main(int argc, char **argv)
{
        if (argc != 6 || (strcmp(argv[5], "recv") != 0 && strcmp(argv[5], "epoll") != 0)) {
                fprintf(stderr, "usage: notify-floor CALLS CALLER_CPU AGENT_CPU SYNC recv|epoll\n");
                return 2;
        }
        long calls = atol(argv[1]);
        int caller_cpu = atoi(argv[2]), agent_cpu = atoi(argv[3]), sync_wakeup = atoi(argv[4]);
        bool use_epoll = strcmp(argv[5], "epoll") == 0;
        int sv[2];

        if (calls <= 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                die("socketpair");
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                close(sv[0]);
                caller(sv[1], calls, caller_cpu);
                fflush(stdout);
                _exit(0);
        }
        close(sv[1]);
        pin(agent_cpu);
        int nfd = recv_fd(sv[0]);
        if (sync_wakeup && ioctl(nfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 1UL) < 0)
                die("SECCOMP_IOCTL_NOTIF_SET_FLAGS");
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = { .events = EPOLLIN };
        if (ep < 0 || (use_epoll && epoll_ctl(ep, EPOLL_CTL_ADD, nfd, &ev) < 0))
                die("epoll");
        if (write(sv[0], "x", 1) != 1)
                die("write");
        for (;;) {
                struct seccomp_notif req;
                struct seccomp_notif_resp resp;
                if (use_epoll) {
                        struct epoll_event e;
                        if (epoll_wait(ep, &e, 1, -1) < 1)
                                continue;
                        if (e.events & EPOLLHUP)
                                break;
                }
                memset(&req, 0, sizeof(req));
                if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
                        /* ENOENT: since Linux 6.11 also when no process uses the filter */
                        struct pollfd p = { .fd = nfd, .events = POLLIN };
                        if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP))
                                break;
                        continue;
                }
                memset(&resp, 0, sizeof(resp));
                resp.id = req.id;
                resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
        }
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
