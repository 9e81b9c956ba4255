/* SPDX-License-Identifier: Apache-2.0 */
#include "vocabulary.h"

#include <errno.h>
#include <string.h>

#include "util.h"

static const char *const mode_names[] = {
        [OSL_MODE_OFF] = OSL_MODE_NAME_OFF,
        [OSL_MODE_LEARN] = OSL_MODE_NAME_LEARN,
        [OSL_MODE_COMPLAIN] = OSL_MODE_NAME_COMPLAIN,
        [OSL_MODE_ENFORCE] = OSL_MODE_NAME_ENFORCE,
};

int osl_mode_parse(const char *s, osl_mode *out)
{
        for (size_t i = 0; s && i < ELEMENTSOF(mode_names); i++)
                if (strcmp(s, mode_names[i]) == 0) {
                        *out = (osl_mode) i;
                        return 0;
                }
        return -EINVAL;
}

const char *osl_mode_name(osl_mode m)
{
        return (unsigned) m < ELEMENTSOF(mode_names) ? mode_names[m] : "unknown";
}

int osl_mode_resolve(const char *forced, const char *annotation, const char *default_mode, osl_mode *out,
                     const char **text, const char **from)
{
        *text = forced;
        *from = "--mode";
        if (!*text) {
                *text = annotation;
                *from = "annotation " OSL_ANNOTATION_MODE;
        }
        if (!*text) {
                *text = default_mode ? default_mode : OSL_MODE_NAME_OFF;
                *from = "the default mode";
        }
        return osl_mode_parse(*text, out);
}

bool osl_mode_failure_runs(osl_mode mode, bool judge_unresolved, const char *default_mode)
{
        osl_mode fallback = OSL_MODE_OFF;

        if (mode == OSL_MODE_LEARN)
                return true;
        if (mode != OSL_MODE_OFF || !judge_unresolved)
                return false;
        if (default_mode)
                (void) osl_mode_parse(default_mode, &fallback);
        return fallback <= OSL_MODE_LEARN;
}

/* Seen here: runc 1.1.5's init stuck for good in rt_sigreturn, notified
 * after a Go preemption signal, before it had passed the notify fd on. */
const char *const osl_runtime_floor[] = {
        "futex", "rt_sigreturn", "rt_sigprocmask", "sigaltstack", "sched_yield",
        "nanosleep", "clock_nanosleep", "clock_gettime", "gettid", "getpid",
        "tgkill", "mmap", "munmap", "madvise", "epoll_pwait", "restart_syscall",
        NULL,
};

bool osl_syscall_in_runtime_floor(const char *name)
{
        return name && osl_strv_contains((char *const *) osl_runtime_floor, name);
}

bool osl_syscall_never_notified(const char *name)
{
        /* runc refuses SCMP_ACT_NOTIFY on write ("cannot be used for the
         * write syscall"). */
        return (name && strcmp(name, "write") == 0) || osl_syscall_in_runtime_floor(name);
}

const char *const osl_application_implied[] = { "write", "exit", "exit_group", NULL };

bool osl_syscall_implied_for_application(const char *name)
{
        return name && osl_strv_contains((char *const *) osl_application_implied, name);
}

int osl_method_parse(const char *s, bool *log)
{
        if (s && (strcmp(s, OSL_METHOD_NAME_NOTIFY) == 0 || strcmp(s, OSL_METHOD_NAME_LOG) == 0)) {
                *log = strcmp(s, OSL_METHOD_NAME_LOG) == 0;
                return 0;
        }
        return -EINVAL;
}
