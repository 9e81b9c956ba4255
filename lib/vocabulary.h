/* SPDX-License-Identifier: Apache-2.0 */
/* The words every part of the project shares, each defined once: the modes
 * and how a container's mode is chosen, the annotations a user or engine
 * sets, and the syscalls that are never notified or always implied
 * (doc/modes.md, doc/learning.md). */
#pragma once

#include <stdbool.h>

/* ---- Modes (doc/modes.md) ----
 * Declared from the least to the most strict: where two readings of a
 * config disagree (a duplicate annotation), the larger value wins. */
typedef enum osl_mode {
        OSL_MODE_OFF,
        OSL_MODE_LEARN,
        OSL_MODE_COMPLAIN,
        OSL_MODE_ENFORCE,
} osl_mode;

#define OSL_MODE_NAME_OFF "off"
#define OSL_MODE_NAME_LEARN "learn"
#define OSL_MODE_NAME_COMPLAIN "complain"
#define OSL_MODE_NAME_ENFORCE "enforce"

int osl_mode_parse(const char *s, osl_mode *out);
const char *osl_mode_name(osl_mode m);

/* A container's mode, in this order: the forced mode (--mode), else the
 * annotation io.seccomp-learn.mode, else the default mode (the wrapper's or
 * hook's --default-mode), else off. *text is the value used and *from
 * (static text) names its source, for messages. -EINVAL when that value
 * names no mode. */
int osl_mode_resolve(const char *forced, const char *annotation, const char *default_mode, osl_mode *out,
                     const char **text, const char **from);

/* ---- Methods (doc/learning.md "Methods") ---- */
#define OSL_METHOD_NAME_NOTIFY "notify"
#define OSL_METHOD_NAME_LOG "log"
/* "notify" (false) or "log" (true); -EINVAL otherwise. */
int osl_method_parse(const char *s, bool *log);

/* Learning never stops a container: whether a container whose filter could
 * not be put in still runs, with its config unchanged. Yes in learn mode
 * (the mode resolved, or OSL_MODE_OFF when setup failed before resolving
 * one). With judge_unresolved, also when no mode was resolved and the
 * default mode (NULL: off) is learn or off: the runtime wrapper, which sees
 * every container, runs one blind unless its default must not run so. */
bool osl_mode_failure_runs(osl_mode mode, bool judge_unresolved, const char *default_mode);

/* ---- Annotations (doc/modes.md, doc/security.md) ---- */
#define OSL_ANNOTATION_IMAGE "io.seccomp-learn.image"
#define OSL_ANNOTATION_MODE "io.seccomp-learn.mode"
/* How learn and complain mode see calls: "notify" (the default) or "log"
 * (SECCOMP_RET_LOG records, doc/learning.md "Methods"). */
#define OSL_ANNOTATION_METHOD "io.seccomp-learn.method"
#define OSL_ANNOTATION_VERSION "io.seccomp-learn.version"
#define OSL_ANNOTATION_KEEP_CAPS "io.seccomp-learn.keep-capabilities"
#define OSL_ANNOTATION_GENERALIZE "io.seccomp-learn.generalize"
#define OSL_ANNOTATION_INCLUDE "io.seccomp-learn.include"
/* Set by inject in complain and enforce mode: the profile version applied. */
#define OSL_ANNOTATION_APPLIED_VERSION "io.seccomp-learn.applied-version"

/* ---- Syscalls never notified, and implied (doc/learning.md) ----
 * The learning filter never notifies:
 *  - write: runc refuses SCMP_ACT_NOTIFY on it;
 *  - the runtime floor: calls that runc's Go runtime makes at any moment
 *    (signal returns, futex, sleeps, memory) and so also between loading the
 *    filter and handing its fd to the runtime's parent process. Notified
 *    there, they would wait forever for an agent that has no fd yet.
 * The agent records them as implied: the application's implied calls once
 * it has started, the floor for the runtime, so enforce allows them. Where
 * the agent's audit collector runs, the learning filter logs write instead
 * (SCMP_ACT_LOG) and the agent records it with evidence (doc/learning.md,
 * "Methods"). */
bool osl_syscall_never_notified(const char *name);
bool osl_syscall_in_runtime_floor(const char *name);
/* NULL-terminated list of the runtime floor, for the agent and the docs. */
extern const char *const osl_runtime_floor[];

/* Every application profile allows these although no run has to show
 * them: write (never notified, above), and the two ways a process ends. A
 * learning run that was killed never called exit_group, and a service that
 * cannot exit dies by SIGSEGV instead (glibc's _exit faults when both exit
 * calls are refused). */
bool osl_syscall_implied_for_application(const char *name);
extern const char *const osl_application_implied[];
