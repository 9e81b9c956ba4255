/* SPDX-License-Identifier: Apache-2.0 */
/* Every filter we put into a container is built here, from the container's
 * own seccomp profile (the base) and the image's stored profile:
 *  - learning: what the base allows and the stored profile does not hold
 *    yet becomes SCMP_ACT_NOTIFY, so the agent sees it once and lets it
 *    continue (doc/learning.md);
 *  - complain and enforce: the base ∩ the stored profile (doc/modes.md).
 * The learning filter is the complain filter against what is stored so far,
 * so both share one set of rules. */
#pragma once

#include "seccomp_profile.h"
#include "vocabulary.h"
#include "families.h"
#include "store.h"

typedef struct osl_learn_filter_input {
        const osl_seccomp *base;      /* the container's linux.seccomp; NULL: none */
        const osl_learned *learned;   /* the image's stored profile; NULL: none yet */
        const char *listener_path;    /* the agent's socket */
        const char *listener_metadata;
        /* The learning method (doc/learning.md, "Methods"). notify: what is
         * not learned yet is notified. log: it is SCMP_ACT_LOG (the agent's
         * audit collector reads the kernel's records), and only execve and
         * execveat stay notified: the synchronous point that splits the
         * runtime's calls from the application's, and how the agent gets
         * the filter's fd and so the container's pid. */
        bool log;
        /* notify: write, which runc refuses to notify, is SCMP_ACT_LOG
         * rather than allowed, so the collector can see it. */
        bool log_write;
} osl_learn_filter_input;

/* *n_notified: how many syscall names the filter notifies. -EEXIST when the
 * base already hands notifications to another agent. With no base it lists
 * the native architecture, and a companion one only when the stored profile
 * holds a call of it (doc/learning.md, "Architectures"). */
int osl_learn_filter_build(const osl_learn_filter_input *in, osl_seccomp **out, size_t *n_notified,
                           osl_error *err);

/* complain and enforce: the container's own profile (the base) intersected
 * with the image's learned profile (doc/modes.md). Every rule of the base
 * that denies stays as it is, and so does its default action; a rule that
 * allows keeps its conditions and allows only the learned syscalls among its
 * names; the calls the base allows and the profile lacks get
 * outside_action: SCMP_ACT_ERRNO (outside_errno) or SCMP_ACT_KILL_PROCESS in
 * enforce, SCMP_ACT_NOTIFY (to listener_path) or SCMP_ACT_LOG in complain.
 * A rule whose action is the default's is copied as it is (runc and crun
 * skip it) and settles nothing. complain keeps TRACE rules and a TRACE
 * default (a tracer decides) and never reports socketcall or ipc by an
 * unconditional rule (libseccomp filters x86's socket and IPC calls through
 * them). A base with SCMP_ACT_NOTIFY rules but no listenerPath is refused
 * (-EINVAL), as runc would not start it.
 * With no base: enforce allows the learned syscalls and nothing else;
 * complain allows everything, reporting what the profile lacks. *n_outside
 * (may be NULL) gets how many syscall names are outside.
 * test/core/test_intersection_bpf.c checks this against runc's BPF. */
typedef struct osl_profile_filter_input {
        const osl_seccomp *base;
        const osl_learned *learned;
        const char *outside_action;
        uint32_t outside_errno;
        const char *listener_path;
        const char *listener_metadata;
        /* The learning filter (osl_learn_filter_build): what cannot be
         * notified is allowed rather than logged, and only what was seen
         * counts as learned. */
        bool learning;
        /* learning through SCMP_ACT_LOG (osl_learn_filter_input.log): the
         * outside action is SCMP_ACT_LOG, exec is notified to listener_path. */
        bool learning_log;
        /* learning through notify: write is logged rather than allowed. */
        bool log_write;
        /* complain and enforce: whether a learned syscall's family is
         * allowed with it (lib/families.h). The application's implied calls
         * (write, exit, exit_group) always are. */
        osl_generalize generalize;
        /* complain and enforce with --include predicted: names also inside
         * the profile (the image's predicted set, doc/prediction.md);
         * NULL-terminated, may be NULL. */
        char *const *predicted;
} osl_profile_filter_input;
int osl_profile_filter_build(const osl_profile_filter_input *in, osl_seccomp **out, size_t *n_outside,
                             osl_error *err);

/* A rule of s hands calls to an agent (SCMP_ACT_NOTIFY). */
bool osl_seccomp_uses_notify(const osl_seccomp *s);

/* An action that can let a call run: ALLOW, LOG, NOTIFY (the agent
 * decides) and TRACE (the tracer decides). */
bool osl_seccomp_action_permits(const char *action);

/* The syscalls whose notification marks the application's start; they stay
 * notified even when learned. */
bool osl_syscall_is_exec(const char *name);

/* osl_syscall_never_notified, osl_runtime_floor: lib/vocabulary.h. */
