/* SPDX-License-Identifier: Apache-2.0 */
/* Plays the OCI runtime's side of the seccomp agent protocol against the
 * real agent, so the agent is tested without runc:
 *
 *   fake-runtime run --socket PATH --id ID [options]
 *       forks a "container": the child loads a real seccomp filter (default
 *       allow, SCMP_ACT_NOTIFY on a few syscalls), hands the notify fd to the
 *       parent, makes some calls (the runtime's part), then execve's
 *       fake-app next to this binary (the application, see fake-app.c).
 *       The parent connects to the agent and sends the state JSON + fd the
 *       way runc or crun does, then waits for the child. Exit status: the
 *       child's.
 *   fake-runtime probe --socket PATH
 *       osl_agent_probe: exit 0 when an agent listens, 3 for ENOENT, 4 for
 *       ECONNREFUSED, 1 otherwise; the message goes to stderr.
 *   fake-runtime connect --socket PATH [--send TEXT] [--hold-ms N]
 *       connects, optionally sends TEXT (no fd), waits, closes.
 *
 * Calls made by the child before its execve, as the agent must see them
 * (origin runtime): getppid 3, uname 1, openat 1 (plus execve itself, which
 * is the application's first). */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "agent.h"
#include "json.h"

#define RUNTIME_GETPPID 3

static void die(const char *what)
{
        fprintf(stderr, "fake-runtime: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void sleep_ms(int ms)
{
        poll(NULL, 0, ms);
}

static int send_fds(int sock, const void *data, size_t len, const int *fds, size_t n_fds)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * 4)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (n_fds > 0) {
                mh.msg_control = control.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
        }
        ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
        return n == (ssize_t) len ? 0 : -1;
}

static int recv_fd(int sock)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof(control.buf) };
        if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
                return -1;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        if (!cm || cm->cmsg_type != SCM_RIGHTS)
                return -1;
        int fd;
        memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
        return fd;
}

static int connect_to(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(sa.sun_path, path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int saved = errno;
                close(fd);
                errno = saved;
                return -1;
        }
        return fd;
}

/* ---- the "container" ------------------------------------------------- */

static void load_filter_and_hand_over(int sync_sock)
{
        static const char *const notified[] = { "getppid", "uname", "getcwd", "openat", "execve", "execveat" };
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                die("seccomp_init");
        for (size_t i = 0; i < ELEMENTSOF(notified); i++)
                if (seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, seccomp_syscall_resolve_name(notified[i]), 0) < 0)
                        die("seccomp_rule_add");
        /* Like runc: unprivileged filters need no_new_privs. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                die("PR_SET_NO_NEW_PRIVS");
        int r = seccomp_load(ctx);
        if (r < 0) {
                errno = -r;
                die("seccomp_load");
        }
        int nfd = seccomp_notify_fd(ctx);
        if (nfd < 0)
                die("seccomp_notify_fd");
        if (send_fds(sync_sock, "F", 1, &nfd, 1) < 0)
                die("sending the notify fd to the parent");
        /* Only the agent may hold the listener. */
        close(nfd);
        close(sync_sock);
}

static void child_main(int sync_sock, const char *app, bool do_exec, const char *app_getppid,
                       const char *wait_file)
{
        load_filter_and_hand_over(sync_sock);

        /* The runtime's own calls, before the entrypoint. */
        for (int i = 0; i < RUNTIME_GETPPID; i++)
                syscall(SYS_getppid);
        struct utsname u;
        syscall(SYS_uname, &u);
        int fd = (int) syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
                close(fd);
        if (!do_exec)
                _exit(0);

        char *argv[8];
        int n = 0;
        argv[n++] = (char *) "fake-app";
        argv[n++] = (char *) "--getppid";
        argv[n++] = (char *) app_getppid;
        if (wait_file) {
                argv[n++] = (char *) "--wait-file";
                argv[n++] = (char *) wait_file;
        }
        argv[n] = NULL;
        execv(app, argv);
        _exit(127);
}

/* ---- the runtime's message ------------------------------------------ */

static jv *build_message(const char *id, const char *bundle, pid_t pid, const char *metadata,
                         const char *image_annotation, bool extra_fd, bool wrong_fd)
{
        jv *msg = jv_new_object(), *state = jv_new_object(), *fds = jv_new_array(), *ann = jv_new_object();
        if (!msg || !state || !fds || !ann)
                die("out of memory");
        if (wrong_fd) {
                jv_arr_append(fds, jv_new_string("seccompFd"));
                jv_arr_append(fds, jv_new_string("otherFd"));
        } else {
                if (extra_fd)
                        jv_arr_append(fds, jv_new_string("otherFd"));
                jv_arr_append(fds, jv_new_string("seccompFd"));
        }
        if (image_annotation)
                jv_obj_set(ann, "io.seccomp-learn.image", jv_new_string(image_annotation));
        jv_obj_set(ann, "org.example.note", jv_new_string("a \"quoted\" value; with=signs"));
        jv_obj_set(state, "ociVersion", jv_new_string("1.0.2-dev"));
        jv_obj_set(state, "id", jv_new_string(id));
        jv_obj_set(state, "status", jv_new_string("creating"));
        jv_obj_set(state, "pid", jv_new_int(pid));
        jv_obj_set(state, "bundle", jv_new_string(bundle));
        jv_obj_set(state, "annotations", ann);
        jv_obj_set(msg, "ociVersion", jv_new_string("1.0.2-dev"));
        jv_obj_set(msg, "fds", fds);
        jv_obj_set(msg, "pid", jv_new_int(pid));
        jv_obj_set(msg, "metadata", jv_new_string(metadata ? metadata : ""));
        jv_obj_set(msg, "state", state);
        return msg;
}

static int cmd_run(int argc, char **argv)
{
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "id", required_argument, NULL, 'i' },
                { "bundle", required_argument, NULL, 'b' },   /* state.bundle; default /nonexistent/bundle */
                { "format", required_argument, NULL, 'f' },   /* runc (compact), crun (pretty), split */
                { "delay-ms", required_argument, NULL, 'd' }, /* between connect and send */
                { "metadata", required_argument, NULL, 'm' },
                { "image-annotation", required_argument, NULL, 'a' },
                { "no-exec", no_argument, NULL, 'n' },
                { "getppid", required_argument, NULL, 'g' }, /* the application's getppid calls */
                { "wait-file", required_argument, NULL, 'w' },
                { "extra-fd", no_argument, NULL, 'x' },  /* fds: [/dev/null, notify fd] */
                { "wrong-fd", no_argument, NULL, 'W' },  /* the same, but "seccompFd" names /dev/null */
                {},
        };
        const char *socket_path = NULL, *id = NULL, *format = "runc", *metadata = NULL, *annotation = NULL;
        const char *bundle = "/nonexistent/bundle";
        const char *app_getppid = "5", *wait_file = NULL;
        int delay_ms = 0, c;
        bool do_exec = true, extra_fd = false, wrong_fd = false;

        optind = 2;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 's': socket_path = optarg; break;
                case 'i': id = optarg; break;
                case 'b': bundle = optarg; break;
                case 'f': format = optarg; break;
                case 'd': delay_ms = atoi(optarg); break;
                case 'm': metadata = optarg; break;
                case 'a': annotation = optarg; break;
                case 'n': do_exec = false; break;
                case 'g': app_getppid = optarg; break;
                case 'w': wait_file = optarg; break;
                case 'x': extra_fd = true; break;
                case 'W': extra_fd = wrong_fd = true; break;
                default: return 2;
                }
        }
        if (!socket_path || !id) {
                fprintf(stderr, "fake-runtime run: --socket and --id are required\n");
                return 2;
        }

        /* fake-app lies next to us. */
        char app[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", app, sizeof(app) - 1);
        if (n < 0)
                die("readlink /proc/self/exe");
        app[n] = '\0';
        char *slash = strrchr(app, '/');
        if (!slash || (size_t) (slash - app) + sizeof("/fake-app") > sizeof(app))
                die("our own path");
        strcpy(slash + 1, "fake-app");

        int sync[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0)
                die("socketpair");
        pid_t pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                close(sync[0]);
                child_main(sync[1], app, do_exec, app_getppid, wait_file);
        }
        close(sync[1]);
        int nfd = recv_fd(sync[0]);
        if (nfd < 0)
                die("receiving the notify fd from the child");
        close(sync[0]);

        jv *msg = build_message(id, bundle, pid, metadata, annotation, extra_fd, wrong_fd);
        char *text;
        size_t len;
        osl_error err = {};
        if (jv_serialize(msg, strcmp(format, "runc") != 0, &text, &len, &err) < 0) {
                fprintf(stderr, "fake-runtime: %s\n", err.msg);
                return 1;
        }
        jv_free(msg);

        int sock = connect_to(socket_path);
        if (sock < 0)
                die("connecting to the agent");
        if (delay_ms > 0)
                sleep_ms(delay_ms);
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int fds[2] = { devnull, nfd };
        size_t n_fds = extra_fd ? 2 : 1;
        const int *fdp = extra_fd ? fds : &nfd;
        int r;
        if (strcmp(format, "split") == 0) {
                /* The fd comes with the first part; the rest follows later. */
                r = send_fds(sock, text, len / 2, fdp, n_fds);
                if (r == 0) {
                        sleep_ms(delay_ms > 0 ? delay_ms : 30);
                        r = send_fds(sock, text + len / 2, len - len / 2, NULL, 0);
                }
        } else {
                r = send_fds(sock, text, len, fdp, n_fds);
        }
        if (r < 0)
                fprintf(stderr, "fake-runtime: sending to the agent: %s\n", strerror(errno));
        free(text);
        close(sock);
        close(nfd);
        close(devnull);

        printf("%d\n", (int) pid);
        fflush(stdout);
        int status;
        if (waitpid(pid, &status, 0) < 0)
                die("waitpid");
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        fprintf(stderr, "fake-runtime: child killed by signal %d\n", WTERMSIG(status));
        return 1;
}

static int cmd_probe(int argc, char **argv)
{
        if (argc != 4 || strcmp(argv[2], "--socket") != 0)
                return 2;
        osl_error err = {};
        int r = osl_agent_probe(argv[3], &err);
        if (r == 0)
                return 0;
        fprintf(stderr, "%s\n", err.msg);
        return r == -ENOENT ? 3 : r == -ECONNREFUSED ? 4 : 1;
}

static int cmd_connect(int argc, char **argv)
{
        const char *socket_path = NULL, *text = NULL;
        int hold_ms = 0;
        for (int i = 2; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--socket") == 0)
                        socket_path = argv[i + 1];
                else if (strcmp(argv[i], "--send") == 0)
                        text = argv[i + 1];
                else if (strcmp(argv[i], "--hold-ms") == 0)
                        hold_ms = atoi(argv[i + 1]);
        }
        if (!socket_path)
                return 2;
        int sock = connect_to(socket_path);
        if (sock < 0)
                die("connecting to the agent");
        if (text && send_fds(sock, text, strlen(text), NULL, 0) < 0)
                die("sending");
        if (hold_ms > 0) {
                /* Returns early when the agent closes its side. */
                struct pollfd p = { .fd = sock, .events = POLLIN };
                poll(&p, 1, hold_ms);
                if (p.revents)
                        printf("closed by the agent\n");
        }
        close(sock);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "run") == 0)
                return cmd_run(argc, argv);
        if (argc >= 2 && strcmp(argv[1], "probe") == 0)
                return cmd_probe(argc, argv);
        if (argc >= 2 && strcmp(argv[1], "connect") == 0)
                return cmd_connect(argc, argv);
        fprintf(stderr, "usage: fake-runtime run|probe|connect ...\n");
        return 2;
}
