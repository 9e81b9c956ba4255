/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by observation.c, store.c and export.c only; not part of the
 * library's interface. */
#pragma once

#include "util.h"

/* What a learned profile does with every call it does not list (the stored
 * "seccomp" and every export). */
#define OSL_LEARNED_DEFAULT_ACTION "SCMP_ACT_ERRNO"
#define OSL_LEARNED_DEFAULT_ERRNO 1 /* EPERM, as Docker's default profile */

/* Syscall names in our files: [A-Za-z0-9_], 1 to OSL_SYSCALL_NAME_MAX bytes.
 * Names libseccomp does not know pass (a newer kernel may have them); names
 * that could not be a syscall's (spaces, slashes, control bytes) do not. */
#define OSL_SYSCALL_NAME_MAX 64
bool osl_syscall_name_valid(const char *name);

/* "CAP_" followed by [A-Z0-9_]. */
bool osl_capability_name_valid(const char *name);

/* A sample command name as stored: 1 to OSL_COMM_MAX (observation.h) bytes
 * of printable ASCII (0x20..0x7e). */
bool osl_comm_valid(const char *comm);
/* The largest sample process id kept: pid_t is a positive int. */
#define OSL_SAMPLE_PID_MAX INT32_MAX

/* RFC 3339 date-time, e.g. "2026-11-28T16:43:02.123Z" or
 * "2026-11-28T17:43:02+01:00". Parsed into nanoseconds since the epoch (UTC),
 * so that times written with different offsets compare correctly. */
bool osl_rfc3339_parse(const char *s, int64_t *sec, uint32_t *nsec);
/* <0, 0, >0 like strcmp. Both must be valid (osl_rfc3339_parse). */
int osl_rfc3339_compare(const char *a, const char *b);
/* Puts a copy of t into *slot when the slot is empty or t is earlier
 * (want_sign < 0) or later (want_sign > 0) than what it holds; t NULL
 * changes nothing. Both valid times. 0 or -ENOMEM. */
int osl_time_widen(char **slot, const char *t, int want_sign);
