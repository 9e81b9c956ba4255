/* SPDX-License-Identifier: Apache-2.0 */
#include "learn_filter.h"

#include <seccomp.h>
#include <string.h>

#include "caps.h"
#include "syscalls.h"

#define ACT_ALLOW "SCMP_ACT_ALLOW"
#define ACT_NOTIFY "SCMP_ACT_NOTIFY"

bool osl_syscall_is_exec(const char *name)
{
        return strcmp(name, "execve") == 0 || strcmp(name, "execveat") == 0;
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
        for (const char *const *f = osl_runtime_floor; *f; f++)
                if (strcmp(name, *f) == 0)
                        return true;
        return false;
}

bool osl_syscall_never_notified(const char *name)
{
        /* runc refuses SCMP_ACT_NOTIFY on write ("cannot be used for the
         * write syscall"). */
        return strcmp(name, "write") == 0 || osl_syscall_in_runtime_floor(name);
}

static bool can_notify(const char *name)
{
        return !osl_syscall_never_notified(name);
}

static bool wants_notify(const char *name, const osl_learned *learned, const char *native_arch)
{
        if (!can_notify(name))
                return false;
        /* A new use of a capability must still be seen. */
        if (osl_syscall_is_exec(name) || osl_caps_syscall_relevant(name))
                return true;
        return !(learned && native_arch && osl_learned_has_syscall(learned, native_arch, name));
}

static bool action_allows(const char *action)
{
        return strcmp(action, ACT_ALLOW) == 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int osl_learn_filter_build(const osl_learn_filter_input *in, osl_seccomp **out, size_t *n_notified,
                           osl_error *err)
{
        const osl_seccomp *base = in->base;
        _cleanup_seccomp_ osl_seccomp *f = NULL;
        _cleanup_strv_ char **arches = NULL, **all = NULL, **mentioned = NULL, **unmentioned = NULL;
        size_t n_arches = 0, n_all = 0, n_mentioned = 0, n_unmentioned = 0, notified = 0;
        const char *native = osl_arch_to_oci(seccomp_arch_native());
        int r;

        if (base && (base->listener_path || base->listener_metadata))
                return osl_err(err, -EEXIST, "the container's seccomp profile already hands notifications to %s",
                               base->listener_path ? base->listener_path : "another agent");
        for (size_t i = 0; base && i < base->n_rules; i++)
                if (strcmp(base->rules[i].action, ACT_NOTIFY) == 0)
                        return osl_err(err, -EEXIST, "the container's seccomp profile already uses SCMP_ACT_NOTIFY");

        if (base && base->n_architectures > 0) {
                for (size_t i = 0; i < base->n_architectures; i++)
                        if (osl_strv_push(&arches, &n_arches, base->architectures[i]) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
        } else {
                r = osl_arch_native_set(&arches, &n_arches, err);
                if (r < 0)
                        return r;
        }
        r = osl_syscall_all_names(arches, n_arches, &all, &n_all, err);
        if (r < 0)
                return r;

        f = base ? osl_seccomp_dup(base) : osl_seccomp_new();
        if (!f)
                return osl_err(err, -ENOMEM, "out of memory");
        /* The rules are rebuilt below from the base's. */
        if (base) {
                _cleanup_seccomp_ osl_seccomp *empty = osl_seccomp_new();
                if (!empty)
                        return osl_err(err, -ENOMEM, "out of memory");
                osl_seccomp_rule *rules = f->rules;
                size_t n_rules = f->n_rules;
                f->rules = empty->rules;
                f->n_rules = empty->n_rules;
                empty->rules = rules;
                empty->n_rules = n_rules;
        } else if (!(f->default_action = strdup(ACT_ALLOW)))
                return osl_err(err, -ENOMEM, "out of memory");
        if (f->n_architectures == 0) {
                f->architectures = TAKE_PTR(arches);
                f->n_architectures = n_arches;
        }
        free(f->listener_path);
        free(f->listener_metadata);
        f->listener_path = osl_strdup(in->listener_path);
        f->listener_metadata = osl_strdup(in->listener_metadata);
        if (!f->listener_path || (in->listener_metadata && !f->listener_metadata))
                return osl_err(err, -ENOMEM, "out of memory");

        for (size_t i = 0; base && i < base->n_rules; i++) {
                const osl_seccomp_rule *src = &base->rules[i];
                _cleanup_strv_ char **keep = NULL, **notify = NULL;
                size_t n_keep = 0, n_notify = 0;

                for (size_t j = 0; j < src->n_names; j++) {
                        const char *name = src->names[j];
                        bool to_notify = action_allows(src->action) && wants_notify(name, in->learned, native);
                        if (osl_strv_push(to_notify ? &notify : &keep, to_notify ? &n_notify : &n_keep, name) < 0 ||
                            osl_strv_push(&mentioned, &n_mentioned, name) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
                /* A conditional allow stays conditional: only the calls it
                 * allows are notified, the others still fall to the default. */
                if (n_keep > 0 && (r = osl_seccomp_add_rule_like(f, keep, n_keep, src->action, src, err)) < 0)
                        return r;
                if (n_notify > 0 && (r = osl_seccomp_add_rule_like(f, notify, n_notify, ACT_NOTIFY, src, err)) < 0)
                        return r;
                notified += n_notify;
        }

        /* What the default action allows is learned too. */
        if (action_allows(f->default_action) || strcmp(f->default_action, "SCMP_ACT_LOG") == 0) {
                if (mentioned)
                        qsort(mentioned, n_mentioned, sizeof(char *), cmp_str);
                for (size_t i = 0; i < n_all; i++) {
                        if (mentioned && bsearch(&all[i], mentioned, n_mentioned, sizeof(char *), cmp_str))
                                continue;
                        if (!wants_notify(all[i], in->learned, native))
                                continue;
                        if (osl_strv_push(&unmentioned, &n_unmentioned, all[i]) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
                if (n_unmentioned > 0 && (r = osl_seccomp_add_rule(f, unmentioned, n_unmentioned, ACT_NOTIFY, err)) < 0)
                        return r;
                notified += n_unmentioned;
        }

        if (n_notified)
                *n_notified = notified;
        *out = TAKE_PTR(f);
        return 0;
}
