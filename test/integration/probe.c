/* SPDX-License-Identifier: Apache-2.0 */
/* A static probe run inside test containers: it makes one kind of call and
 * prints what the kernel answered, so a test can tell "allowed" from "denied
 * by the filter" without guessing from a shell's message.
 *
 *   probe clone-newuser      clone(CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD)
 *   probe mkdir PATH         mkdir(PATH, 0755)
 *   probe unshare            unshare(CLONE_NEWUSER)
 *   probe scan FIRST LAST    every syscall number FIRST..LAST, each in a child
 *                            that dies within 2 s, with every argument -1:
 *                            one line "NR RESULT" each (errno number, "ok",
 *                            "signal N" or "exit N"); the parent makes only
 *                            fork, pipe, read, write, wait4, close, exit.
 *   probe serve              prints "ready", then waits for signals; its
 *                            SIGTERM handler calls exit(0)
 *   probe write              write(1, "written\n")
 *   probe writev             writev(1, ...) of "written by writev\n" in two
 *                            pieces, then the result
 *   probe getppid N          N calls of getppid(2), then "getppid: N calls"
 *   probe mkdir-until DIR STOP
 *                            every 20 ms mkdir(DIR/N) for N = 0, 1, ..., one
 *                            line each, until the file STOP exists; then
 *                            "mkdir-until: N calls, F failed". One long-lived
 *                            process, so each call's caller is still there
 *                            when its audit record is read. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report(const char *what, long r)
{
        if (r < 0)
                printf("%s: errno %d (%s)\n", what, errno, strerror(errno));
        else
                printf("%s: ok\n", what);
        return 0;
}

static int clone_newuser(void)
{
        long pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
        if (pid == 0)
                _exit(0);
        if (pid > 0)
                waitpid((pid_t) pid, NULL, 0);
        return report("clone-newuser", pid);
}

static int scan(long first, long last)
{
        for (long nr = first; nr <= last; nr++) {
                int fds[2];
                if (pipe(fds) < 0)
                        return perror("pipe"), 1;
                pid_t pid = fork();
                if (pid < 0)
                        return perror("fork"), 1;
                if (pid == 0) {
                        close(fds[0]);
                        alarm(2);
                        long r = syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
                        int e = r < 0 ? errno : 0;
                        (void) !write(fds[1], &e, sizeof(e));
                        _exit(0);
                }
                close(fds[1]);
                int e = -1, status = 0;
                ssize_t n = read(fds[0], &e, sizeof(e));
                close(fds[0]);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                if (n == (ssize_t) sizeof(e) && e == 0)
                        printf("%ld ok\n", nr);
                else if (n == (ssize_t) sizeof(e))
                        printf("%ld %d\n", nr, e);
                else if (WIFSIGNALED(status))
                        printf("%ld signal %d\n", nr, WTERMSIG(status));
                else
                        printf("%ld exit %d\n", nr, WEXITSTATUS(status));
                fflush(stdout);
        }
        return 0;
}

static void exit_on_term(int sig)
{
        (void) sig;
        exit(0);
}

static int serve(void)
{
        struct sigaction sa = { .sa_handler = exit_on_term };
        if (sigaction(SIGTERM, &sa, NULL) < 0)
                return perror("sigaction"), 1;
        printf("ready\n");
        for (;;)
                pause();
}

static int getppid_calls(long n)
{
        for (long i = 0; i < n; i++)
                syscall(SYS_getppid);
        printf("getppid: %ld calls\n", n);
        return 0;
}

static int mkdir_until(const char *dir, const char *stop)
{
        long n = 0, failed = 0;
        struct stat st;
        char path[4096];
        while (stat(stop, &st) < 0) {
                snprintf(path, sizeof(path), "%s/%ld", dir, n);
                long r = mkdir(path, 0755);
                char what[64];
                snprintf(what, sizeof(what), "mkdir %ld", n++);
                report(what, r);
                failed += r < 0;
                struct timespec ts = { 0, 20 * 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
        printf("mkdir-until: %ld calls, %ld failed\n", n, failed);
        return failed > 0;
}

static int write_vector(void)
{
        char a[] = "written ", b[] = "by writev\n";
        struct iovec iov[] = { { a, sizeof(a) - 1 }, { b, sizeof(b) - 1 } };
        return report("writev", writev(STDOUT_FILENO, iov, 2));
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc == 2 && strcmp(argv[1], "clone-newuser") == 0)
                return clone_newuser();
        if (argc == 2 && strcmp(argv[1], "unshare") == 0)
                return report("unshare", unshare(CLONE_NEWUSER));
        if (argc == 3 && strcmp(argv[1], "mkdir") == 0)
                return report("mkdir", mkdir(argv[2], 0755));
        if (argc == 2 && strcmp(argv[1], "serve") == 0)
                return serve();
        if (argc == 2 && strcmp(argv[1], "write") == 0)
                return report("write", write(STDOUT_FILENO, "written\n", 8));
        if (argc == 2 && strcmp(argv[1], "writev") == 0)
                return write_vector();
        if (argc == 4 && strcmp(argv[1], "scan") == 0)
                return scan(atol(argv[2]), atol(argv[3]));
        if (argc == 3 && strcmp(argv[1], "getppid") == 0)
                return getppid_calls(atol(argv[2]));
        if (argc == 4 && strcmp(argv[1], "mkdir-until") == 0)
                return mkdir_until(argv[2], argv[3]);
        fprintf(stderr, "usage: probe clone-newuser | unshare | mkdir PATH | scan FIRST LAST | serve | write | writev |\n"
                        "       getppid N | mkdir-until DIR STOP\n");
        return 2;
}
