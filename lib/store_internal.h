/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by observation.c and store.c only; not part of the library's
 * interface. */
#pragma once

#include "util.h"

/* Syscall names in our files: [A-Za-z0-9_], 1 to OSL_SYSCALL_NAME_MAX bytes.
 * Names libseccomp does not know pass (a newer kernel may have them); names
 * that could not be a syscall's (spaces, slashes, control bytes) do not. */
#define OSL_SYSCALL_NAME_MAX 64
bool osl_syscall_name_valid(const char *name);

/* "CAP_" followed by [A-Z0-9_]. */
bool osl_capability_name_valid(const char *name);

/* RFC 3339 date-time, e.g. "2026-11-28T16:43:02.123Z" or
 * "2026-11-28T17:43:02+01:00". Parsed into nanoseconds since the epoch (UTC),
 * so that times written with different offsets compare correctly. */
bool osl_rfc3339_parse(const char *s, int64_t *sec, uint32_t *nsec);
/* <0, 0, >0 like strcmp. Both must be valid (osl_rfc3339_parse). */
int osl_rfc3339_compare(const char *a, const char *b);
