/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's listening socket: created, or passed by systemd (socket
 * activation, with the notify fds a holder stored); see agent.h. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent_internal.h"
#include "rundir.h"
#include "util.h"

/* ---- sockets -------------------------------------------------------- */

int osl_agent_listen(const char *socket_path, int *out_fd, osl_error *err)
{
        struct sockaddr_un sa;
        socklen_t sa_len = 0;
        struct stat st;
        osl_error probe_err = {};
        int r;

        if (!socket_path)
                return osl_err(err, -EINVAL, "no socket path");
        r = osl_agent_sockaddr(socket_path, &sa, &sa_len, err);
        if (r < 0)
                return r;

        _cleanup_free_ char *dir = osl_strdup(socket_path);
        if (!dir)
                return osl_err(err, -ENOMEM, "out of memory");
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                r = osl_mkdir_p(dir, 0700, err);
                if (r < 0)
                        return r;
        }

        if (lstat(socket_path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return osl_err(err, -EEXIST, "%s exists and is not a socket; not replacing it",
                                       socket_path);
                r = osl_agent_probe(socket_path, &probe_err);
                if (r == 0)
                        return osl_err(err, -EADDRINUSE, "an agent already listens on %s", socket_path);
                if (r != -ECONNREFUSED)
                        return osl_err(err, r, "%s", probe_err.msg);
                /* A leftover of an agent that is gone. */
                if (unlink(socket_path) < 0 && errno != ENOENT)
                        return osl_err(err, -errno, "cannot remove the stale socket %s: %m", socket_path);
        } else if (errno != ENOENT) {
                return osl_err(err, -errno, "cannot check %s: %m", socket_path);
        }

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return osl_err(err, -errno, "cannot create a socket: %m");
        if (bind(fd, (struct sockaddr *) &sa, sa_len) < 0)
                return osl_err(err, -errno, "cannot bind to %s: %m", socket_path);
        /* The directory is 0700 already; this is for a directory that was
         * there before us with wider permissions. */
        if (chmod(socket_path, 0600) < 0) {
                r = osl_err(err, -errno, "cannot set the mode of %s: %m", socket_path);
                unlink(socket_path);
                return r;
        }
        if (listen(fd, SOMAXCONN) < 0) {
                r = osl_err(err, -errno, "cannot listen on %s: %m", socket_path);
                unlink(socket_path);
                return r;
        }
        *out_fd = TAKE_FD(fd);
        return 0;
}

/* Whether fd is what the agent listens on: a listening AF_UNIX stream socket. */
static bool is_listening_unix_stream(int fd)
{
        int type = 0, listening = 0;
        socklen_t optlen = sizeof(type);
        struct sockaddr_storage ss;
        socklen_t ss_len = sizeof(ss);

        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen) < 0)
                return false;
        optlen = sizeof(listening);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) < 0)
                return false;
        if (getsockname(fd, (struct sockaddr *) &ss, &ss_len) < 0)
                return false;
        return type == SOCK_STREAM && listening && ss.ss_family == AF_UNIX;
}

/* "osl.SLOT.NAME" as the holder names a stored notify fd (osl_agent_hold). */
static bool parse_stored_name(const char *name, size_t len, osl_agent_stored_fd *out)
{
        char buf[sizeof(out->name) + 32];
        if (len >= sizeof(buf) || len < 4 || strncmp(name, "osl.", 4) != 0)
                return false;
        memcpy(buf, name, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        unsigned long slot = strtoul(buf + 4, &end, 10);
        if (errno || end == buf + 4 || *end != '.' || slot >= OSL_AGENT_SLOTS || strlen(end + 1) >= sizeof(out->name) ||
            !end[1])
                return false;
        out->slot = (unsigned) slot;
        strcpy(out->name, end + 1);
        return true;
}

int osl_agent_socket_from_systemd(int *out_fd, osl_agent_stored_fd *stored, size_t max_stored, size_t *n_stored,
                                  int *slots_fd, osl_error *err)
{
        const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
        const char *names = getenv("LISTEN_FDNAMES");
        char *end;

        *out_fd = -1;
        if (n_stored)
                *n_stored = 0;
        if (slots_fd)
                *slots_fd = -1;
        if (!pid_s || !fds_s)
                return 0;
        errno = 0;
        unsigned long pid = strtoul(pid_s, &end, 10);
        if (errno || *end || pid != (unsigned long) getpid())
                return 0; /* meant for another process */
        errno = 0;
        unsigned long n = strtoul(fds_s, &end, 10);
        bool n_ok = !errno && !*end && n >= 1 && n <= 1 + OSL_AGENT_SLOTS + 1;
        _cleanup_free_ char *names_copy = osl_strdup(names);
        /* Not for children: the variables describe this process only. */
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        if (!n_ok)
                return osl_err(err, -EINVAL, "systemd passed LISTEN_FDS=%s; the agent takes exactly one socket "
                               "and the fds it stored", fds_s);
        if (names && !names_copy)
                return osl_err(err, -ENOMEM, "out of memory");

        /* SD_LISTEN_FDS_START is 3; LISTEN_FDNAMES is ':'-separated, in order. */
        const char *name = names_copy;
        int listener = -1;
        for (int fd = 3; fd < 3 + (int) n; fd++) {
                size_t len = 0;
                if (name) {
                        const char *colon = strchr(name, ':');
                        len = colon ? (size_t) (colon - name) : strlen(name);
                }
                osl_agent_stored_fd sf = { .fd = fd };
                if (name && len == strlen("osl.slots") && strncmp(name, "osl.slots", len) == 0 && slots_fd &&
                    *slots_fd < 0) {
                        *slots_fd = fd;
                } else if (name && stored && parse_stored_name(name, len, &sf)) {
                        if (*n_stored >= max_stored)
                                return osl_err(err, -EINVAL, "systemd passed more than %zu stored fds", max_stored);
                        stored[(*n_stored)++] = sf;
                } else if (listener < 0 && is_listening_unix_stream(fd)) {
                        listener = fd;
                } else {
                        return osl_err(err, -EINVAL,
                                       "systemd passed fd %d, which is neither the one listening AF_UNIX stream "
                                       "socket (use ListenStream=PATH in the .socket unit; the agent takes exactly "
                                       "one socket) nor a notify fd the agent stored", fd);
                }
                if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                        return osl_err(err, -errno, "cannot set flags on the fd systemd passed: %m");
                if (name)
                        name = strchr(name, ':') ? strchr(name, ':') + 1 : NULL;
        }
        if (listener < 0)
                return osl_err(err, -EINVAL, "systemd passed no listening AF_UNIX stream socket "
                               "(use ListenStream=PATH in the .socket unit)");
        int fl = fcntl(listener, F_GETFL);
        if (fl < 0 || fcntl(listener, F_SETFL, fl | O_NONBLOCK) < 0)
                return osl_err(err, -errno, "cannot set flags on the socket systemd passed: %m");
        *out_fd = listener;
        return 0;
}

int osl_agent_socket_create(const osl_agent_options *opts, const char *run_dir, osl_agent_socket *sock, int *fd,
                            osl_error *err)
{
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        if (opts->socket_path)
                path = osl_strdup(opts->socket_path);
        else if (osl_agent_socket_path(run_dir, &path) < 0)
                path = NULL;
        if (!path)
                return osl_err(err, -ENOMEM, "out of memory");
        r = osl_agent_listen(path, fd, err);
        if (r < 0)
                return r;
        if (lstat(path, &st) == 0)
                *sock = (osl_agent_socket) { .path = TAKE_PTR(path), .dev = st.st_dev, .ino = st.st_ino };
        return 0;
}

void osl_agent_socket_remove(osl_agent_socket *sock)
{
        struct stat st;

        if (!sock->path)
                return;
        /* Remove the socket only while it is still ours. */
        if (lstat(sock->path, &st) == 0 && st.st_dev == sock->dev && st.st_ino == sock->ino)
                unlink(sock->path);
        free(sock->path);
        sock->path = NULL;
}
