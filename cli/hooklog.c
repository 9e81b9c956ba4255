/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "commands.h"
#include "rundir.h"

/* Past this size the log starts again: it is for the last few containers. */
#define HOOK_LOG_MAX (1024 * 1024)

void osl_hook_log(const char *run_dir, int priority, const char *fmt, ...)
{
        char msg[1536];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        fprintf(stderr, "oci-seccomp-learn: %s\n", msg);
        osl_hook_log_quiet(run_dir, priority, msg);
}

void osl_hook_log_quiet(const char *run_dir, int priority, const char *msg)
{
        char stamp[32], line[1600];

        openlog("oci-seccomp-learn", LOG_PID, LOG_DAEMON);
        syslog(priority, "%s", msg);
        closelog();

        _cleanup_free_ char *path = NULL;
        if (osl_asprintf(&path, "%s/hooks.log", osl_rundir(run_dir)) < 0 ||
            osl_mkdir_p(osl_rundir(run_dir), 0700, NULL) < 0)
                return;
        _cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return;
        struct stat st;
        if (fstat(fd, &st) == 0 && st.st_size > HOOK_LOG_MAX && ftruncate(fd, 0) < 0)
                return;
        osl_now_rfc3339(stamp);
        int n = snprintf(line, sizeof(line), "%s %s\n", stamp, msg);
        if (n > 0 && write(fd, line, (size_t) n < sizeof(line) ? (size_t) n : sizeof(line) - 1) < 0)
                return;
}
