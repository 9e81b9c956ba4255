/* SPDX-License-Identifier: Apache-2.0 */
/* Which capability a syscall needs, judged from its arguments: the table
 * the agent applies to the application's notified calls (doc/capabilities.md
 * lists every row and what cannot be learned this way). Capability names
 * and numbers come from libcap. */
#pragma once

#include "util.h"

/* Reads len bytes at addr in the calling process; 0 or -errno. The agent
 * reads /proc/PID/mem and then checks that the notification is still
 * valid, so a pid reused meanwhile cannot lie to it. */
typedef int (*osl_mem_reader)(void *userdata, uint64_t addr, void *buf, size_t len);

typedef struct osl_cap_use {
        int cap;            /* CAP_NET_BIND_SERVICE, ... */
        char evidence[96];  /* "bind(port 80)" */
} osl_cap_use;

/* The capability that call needs, if any: 1 with *use filled, 0 when none
 * (or when the table cannot tell), never an error: an unreadable argument
 * just gives no evidence. read may be NULL (pointer arguments are then not
 * looked at). */
int osl_caps_implied(const char *syscall, const uint64_t args[6], osl_mem_reader read, void *userdata,
                     osl_cap_use *use);

/* Syscalls that can imply a capability: the learning filter keeps them
 * notified even when learned, so that a new use is still seen. */
bool osl_caps_syscall_relevant(const char *syscall);

/* "CAP_NET_BIND_SERVICE" (libcap's name, upper-cased); buf of 64 bytes.
 * -EINVAL for a number libcap does not know. */
int osl_cap_name(int cap, char buf[static 64]);
/* Accepts "CAP_NET_BIND_SERVICE" and "net_bind_service"; -EINVAL otherwise. */
int osl_cap_from_name(const char *name, int *cap);
