/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by every file in lib/ and cli/: cleanup attributes,
 * the error type that carries a message up to the command that prints it,
 * and file primitives (bounded reads, atomic writes). */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) { free(*(void **) p); }
static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
void strvfreep(char ***v);

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_strv_ _cleanup_(strvfreep)

/* Hand an owned pointer or fd over, leaving the cleanup variable empty. */
#define TAKE_PTR(p) ({ __typeof__(p) _taken = (p); (p) = NULL; _taken; })
#define TAKE_FD(fd) ({ int _taken = (fd); (fd) = -1; _taken; })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* An error travels up as a negative errno return value plus this message.
 * lib/ fills it once, where the cause is known; callers may prefix context;
 * only cli/ prints it. */
typedef struct osl_error {
        int code;        /* negative errno, 0 when no error */
        char msg[1024];
} osl_error;

/* Sets the message (printf-style) and returns code, which must be negative. */
int osl_err(osl_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Puts "context: " in front of the message already there; returns err->code. */
int osl_err_prefix(osl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a whole file; fails with -EFBIG and a message naming the file when it
 * is larger than max_bytes. *out is NUL-terminated. */
int osl_read_file(const char *path, size_t max_bytes, char **out, size_t *len, osl_error *err);
/* The same, refusing anything but a regular file (a FIFO, a device) at
 * once instead of blocking on it. */
int osl_read_regular_file(const char *path, size_t max_bytes, char **out, size_t *len, osl_error *err);
int osl_read_fd(int fd, const char *what, size_t max_bytes, char **out, size_t *len, osl_error *err);

/* Writes path atomically: a temporary file in the same directory, fsync,
 * rename over path, fsync of the directory. Readers see the old or the new
 * content, never a mix, even across a crash. */
int osl_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, osl_error *err);
/* The same without the two fsyncs: readers still see the old or the new
 * content, but a crash of the machine may lose the file. For temporary files
 * in the run dir (observations), which do not outlive a boot anyway. */
int osl_write_file_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode, osl_error *err);

/* Waits until path exists, at most timeout_ms, without polling: inotify on
 * its directory (or, while that does not exist yet, on the directory's
 * parent). 1: it exists; 0: it did not appear in time; -errno with a
 * message when neither directory can be watched. */
int osl_wait_for_file(const char *path, unsigned timeout_ms, osl_error *err);

/* mkdir -p; existing directories are fine. */
int osl_mkdir_p(const char *path, mode_t mode, osl_error *err);

/* How long a writer waits for a lock another process holds, unless told
 * otherwise: a lock held forever must not stall a writer forever. */
#define OSL_LOCK_TIMEOUT_DEFAULT_MS 30000u
/* flock(LOCK_EX) on fd, waiting at most timeout_ms (0: one try). -ETIMEDOUT
 * with a one-line message naming what (the locked file) when another process
 * still holds it, else 0 or -errno. */
int osl_lock_fd(int fd, const char *what, unsigned timeout_ms, osl_error *err);
/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
uint64_t osl_monotonic_ms(void);

/* "2026-11-28T16:43:02.123Z" (UTC, milliseconds). buf needs 32 bytes. */
void osl_now_rfc3339(char buf[static 32]);

/* Quotes untrusted text for a one-line message, so that a hostile value
 * cannot put control characters or megabytes on stderr: in double quotes,
 * at most max_chars bytes, bytes below 0x20 or above 0x7e and '"' and '\\'
 * as \xNN, "..." when cut. Returns buf. */
const char *osl_quote_len(const char *s, size_t len, size_t max_chars, char *buf, size_t size);
static inline const char *osl_quote(const char *s, char *buf, size_t size)
{
        return osl_quote_len(s, s ? __builtin_strlen(s) : 0, 80, buf, size);
}

char *osl_strdup(const char *s);      /* NULL in, NULL out; aborts never: returns NULL on ENOMEM */
int osl_asprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t osl_strv_length(char *const *v);
int osl_strv_push(char ***v, size_t *n, const char *s); /* copies s; keeps v NULL-terminated */
bool osl_strv_contains(char *const *v, const char *s);
