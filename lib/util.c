/* SPDX-License-Identifier: Apache-2.0 */
#include "util.h"

#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

void strvfreep(char ***v)
{
        if (!*v)
                return;
        for (char **p = *v; *p; p++)
                free(*p);
        free(*v);
        *v = NULL;
}

int osl_err(osl_error *err, int code, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
                err->code = code;
        }
        return code;
}

int osl_err_prefix(osl_error *err, const char *fmt, ...)
{
        char prefix[512], old[sizeof(err->msg)];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        /* Truncation is fine: the start of a message says the most. */
        size_t n = strlen(prefix); /* < sizeof(prefix), so it fits */
        memcpy(err->msg, prefix, n);
        memcpy(err->msg + n, ": ", 2);
        size_t rest = sizeof(err->msg) - n - 3;
        size_t m = strnlen(old, rest);
        memcpy(err->msg + n + 2, old, m);
        err->msg[n + 2 + m] = '\0';
        return err->code;
}

int osl_read_fd(int fd, const char *what, size_t max_bytes, char **out, size_t *len, osl_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, cap = 0;

        for (;;) {
                if (size == cap) {
                        size_t want = cap ? cap * 2 : 64 * 1024;
                        if (want > max_bytes + 1)
                                want = max_bytes + 1;
                        if (want <= cap)
                                return osl_err(err, -EFBIG, "%s is larger than %zu bytes", what, max_bytes);
                        char *n = realloc(buf, want + 1);
                        if (!n)
                                return osl_err(err, -ENOMEM, "out of memory reading %s", what);
                        buf = n;
                        cap = want;
                }
                ssize_t r = read(fd, buf + size, cap - size);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return osl_err(err, -errno, "cannot read %s: %m", what);
                }
                if (r == 0)
                        break;
                size += (size_t) r;
                if (size > max_bytes)
                        return osl_err(err, -EFBIG, "%s is larger than %zu bytes", what, max_bytes);
        }
        if (!buf) {
                buf = malloc(1);
                if (!buf)
                        return osl_err(err, -ENOMEM, "out of memory reading %s", what);
        }
        buf[size] = '\0';
        *out = TAKE_PTR(buf);
        if (len)
                *len = size;
        return 0;
}

int osl_read_file(const char *path, size_t max_bytes, char **out, size_t *len, osl_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return osl_err(err, -errno, "cannot open %s: %m", path);
        return osl_read_fd(fd, path, max_bytes, out, len, err);
}

int osl_read_regular_file(const char *path, size_t max_bytes, char **out, size_t *len, osl_error *err)
{
        struct stat st;
        /* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return osl_err(err, -errno, "cannot open %s: %m", path);
        if (fstat(fd, &st) < 0)
                return osl_err(err, -errno, "cannot stat %s: %m", path);
        if (!S_ISREG(st.st_mode))
                return osl_err(err, -EINVAL, "%s is not a regular file", path);
        return osl_read_fd(fd, path, max_bytes, out, len, err);
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                len -= (size_t) w;
        }
        return 0;
}

static int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool durable,
                             osl_error *err)
{
        _cleanup_free_ char *tmp = NULL, *dir_copy = NULL;
        _cleanup_close_ int fd = -1, dirfd = -1;
        int r;

        if (osl_asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0 || !(dir_copy = strdup(path)))
                return osl_err(err, -ENOMEM, "out of memory writing %s", path);
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return osl_err(err, -errno, "cannot create a temporary file beside %s: %m", path);
        if (fchmod(fd, mode) < 0) {
                r = osl_err(err, -errno, "cannot set the mode of %s: %m", tmp);
                goto fail;
        }
        r = write_all(fd, data, len);
        if (r < 0) {
                errno = -r;
                r = osl_err(err, r, "cannot write %s: %m", tmp);
                goto fail;
        }
        if (durable && fsync(fd) < 0) {
                r = osl_err(err, -errno, "cannot sync %s: %m", tmp);
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = osl_err(err, -errno, "cannot rename %s to %s: %m", tmp, path);
                goto fail;
        }
        if (!durable)
                return 0;
        /* The rename is durable only once the directory entry is. */
        dirfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0 || fsync(dirfd) < 0)
                return osl_err(err, -errno, "cannot sync the directory of %s: %m", path);
        return 0;
fail:
        unlink(tmp);
        return r;
}

int osl_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, osl_error *err)
{
        return write_file_atomic(path, data, len, mode, true, err);
}

int osl_write_file_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode, osl_error *err)
{
        return write_file_atomic(path, data, len, mode, false, err);
}

/* A watch for files appearing in dir: created, or renamed into it (atomic
 * writes). */
static int watch_dir(int fd, const char *dir)
{
        return inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0 ? -errno : 0;
}

int osl_wait_for_file(const char *path, unsigned timeout_ms, osl_error *err)
{
        _cleanup_free_ char *dir = strdup(path), *parent = strdup(path);
        _cleanup_close_ int fd = -1;
        uint64_t deadline = osl_monotonic_ms() + timeout_ms;
        bool dir_watched = false, parent_watched = false;
        int r;

        if (!dir || !parent)
                return osl_err(err, -ENOMEM, "out of memory");
        /* dirname() works in place (or returns "."). */
        const char *d = dirname(dir), *p = dirname(dirname(parent));
        fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0)
                return osl_err(err, -errno, "cannot wait for %s: inotify: %m", path);
        for (;;) {
                /* The watch first, then the look: a file that appears in
                 * between is seen by one or the other. */
                if (!dir_watched) {
                        r = watch_dir(fd, d);
                        if (r == 0)
                                dir_watched = true;
                        else if (r != -ENOENT)
                                return osl_err(err, r, "cannot watch %s: %s", d, strerror(-r));
                        else if (!parent_watched && (r = watch_dir(fd, p)) < 0)
                                return osl_err(err, r, "cannot watch %s: %s", p, strerror(-r));
                        else
                                parent_watched = true;
                }
                if (access(path, F_OK) == 0)
                        return 1;
                uint64_t now = osl_monotonic_ms();
                if (now >= deadline)
                        return 0;
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                uint64_t left = deadline - now;
                if (poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int) left) < 0 && errno != EINTR)
                        return osl_err(err, -errno, "cannot wait for %s: %m", path);
                /* Drain the events: each one only says "look again". */
                char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                while (read(fd, buf, sizeof(buf)) > 0)
                        ;
        }
}

int osl_mkdir_p(const char *path, mode_t mode, osl_error *err)
{
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return osl_err(err, -ENOMEM, "out of memory");
        for (char *p = copy + 1;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char saved = *p;
                *p = '\0';
                if (mkdir(copy, mode) < 0 && errno != EEXIST)
                        return osl_err(err, -errno, "cannot create directory %s: %m", copy);
                *p = saved;
                if (saved == '\0')
                        break;
        }
        struct stat st;
        if (stat(path, &st) < 0)
                return osl_err(err, -errno, "cannot create directory %s: %m", path);
        if (!S_ISDIR(st.st_mode))
                return osl_err(err, -ENOTDIR, "%s exists and is not a directory", path);
        return 0;
}

void osl_now_rfc3339(char buf[static 32])
{
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

const char *osl_quote_len(const char *s, size_t len, size_t max_chars, char *buf, size_t size)
{
        size_t o = 0;
        if (size < 16) {
                if (size)
                        buf[0] = '\0';
                return buf;
        }
        buf[o++] = '"';
        for (size_t i = 0; s && i < len && o + 8 < size; i++) {
                unsigned char c = (unsigned char) s[i];
                if (i >= max_chars) {
                        o += (size_t) snprintf(buf + o, size - o, "...");
                        break;
                }
                if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
                        o += (size_t) snprintf(buf + o, size - o, "\\x%02x", c);
                else
                        buf[o++] = (char) c;
        }
        buf[o++] = '"';
        buf[o] = '\0';
        return buf;
}

char *osl_strdup(const char *s)
{
        return s ? strdup(s) : NULL;
}

int osl_asprintf(char **out, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(out, fmt, ap);
        va_end(ap);
        if (r < 0) {
                *out = NULL;
                return -ENOMEM;
        }
        return r;
}

size_t osl_strv_length(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

int osl_strv_push(char ***v, size_t *n, const char *s)
{
        size_t len = n ? *n : osl_strv_length(*v);
        char *copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        char **grown = realloc(*v, (len + 2) * sizeof(char *));
        if (!grown) {
                free(copy);
                return -ENOMEM;
        }
        grown[len] = copy;
        grown[len + 1] = NULL;
        *v = grown;
        if (n)
                *n = len + 1;
        return 0;
}

bool osl_strv_contains(char *const *v, const char *s)
{
        for (; v && *v; v++)
                if (strcmp(*v, s) == 0)
                        return true;
        return false;
}

uint64_t osl_monotonic_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int osl_lock_fd(int fd, const char *what, unsigned timeout_ms, osl_error *err)
{
        uint64_t deadline = osl_monotonic_ms() + timeout_ms;
        unsigned step_ms = 1;

        /* LOCK_NB and short sleeps: a plain LOCK_EX has no deadline, and an
         * alarm would disturb the caller's signals. */
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return osl_err(err, -errno, "cannot lock %s: %m", what);
                uint64_t now = osl_monotonic_ms();
                if (now >= deadline)
                        return osl_err(err, -ETIMEDOUT,
                                       "cannot lock %s: another process still holds it after %g s; gave up", what,
                                       (double) timeout_ms / 1000);
                uint64_t left = deadline - now;
                unsigned nap = left < step_ms ? (unsigned) left : step_ms;
                nanosleep(&(struct timespec) { .tv_nsec = (long) nap * 1000000 }, NULL);
                if (step_ms < 50)
                        step_ms *= 2;
        }
}
