/* SPDX-License-Identifier: Apache-2.0 */
/* SECCOMP_RET_LOG records from the kernel's audit netlink multicast group
 * (NETLINK_AUDIT, AUDIT_NLGRP_READLOG). The kernel
 * allows a logged call and emits one AUDIT_SECCOMP record for it:
 *   audit(1764480000.123:4567): auid=... uid=0 gid=0 ses=... pid=4242
 *   comm="sh" exe="/bin/busybox" sig=0 arch=c000003e syscall=39 compat=0
 *   ip=0x... code=0x7ffc0000
 * pid is the caller's in the collector's pid namespace; nothing names the
 * container (attribution is the caller's business).
 *
 * Losses are counted, never guessed: every audit record takes the next
 * serial number, so a gap between the serials received is the number of
 * records this socket missed (its receive buffer overflowed: recv reports
 * ENOBUFS); records the kernel itself dropped (its backlog full) take no
 * serial and show in audit_status.lost (AUDIT_GET), which
 * osl_audit_kernel_lost reads. The receive buffer is forced to 64 MiB
 * (SO_RCVBUFFORCE; root), which held 10,000 records in a burst here. */
#pragma once

#include <stdint.h>

#include "util.h"

typedef struct osl_audit_record {
        uint64_t serial;
        uint32_t pid;
        uint32_t arch; /* AUDIT_ARCH_* */
        int32_t nr;    /* as the kernel numbers it on arch (x32: with bit 0x40000000) */
} osl_audit_record;

typedef void (*osl_audit_record_fn)(const osl_audit_record *rec, void *userdata);

typedef struct osl_audit osl_audit;

#define OSL_AUDIT_RCVBUF (64 << 20)

/* Joins the multicast group. -EPERM without CAP_AUDIT_READ, -EPROTONOSUPPORT
 * without audit in the kernel. The socket is non-blocking and close-on-exec
 * (osl_audit_fd, for poll or epoll). */
int osl_audit_open(osl_audit_record_fn fn, void *userdata, osl_audit **out, osl_error *err);
void osl_audit_close(osl_audit *a);
static inline void osl_audit_closep(osl_audit **a) { osl_audit_close(*a); }
#define _cleanup_audit_ _cleanup_(osl_audit_closep)
int osl_audit_fd(const osl_audit *a);

/* Reads what is queued (at most a few thousand SECCOMP records: call again
 * while the fd is readable), without blocking, and calls fn once per SECCOMP
 * record, in serial order. Other record types are skipped. Returns the
 * number of SECCOMP records handed to fn, or -errno (not -ENOBUFS, which is
 * counted: see osl_audit_missed). */
int osl_audit_read(osl_audit *a, osl_error *err);

/* Records this socket missed: the sum of the gaps between the serials it
 * received (any type), since it was opened. A gap shows only once a later
 * record arrives: osl_audit_sync makes one. */
uint64_t osl_audit_missed(const osl_audit *a);

/* The serials of the first and the last record this socket received (any
 * type); 0 when none yet. */
void osl_audit_serials(const osl_audit *a, uint64_t *first, uint64_t *last);

/* A barrier: forks a process that makes one logged call and reads until
 * its record arrives (it is not handed to fn). Every record generated
 * before the call has then been handed to fn or counted by
 * osl_audit_missed (kauditd sends in order). -ETIMEDOUT when the marker
 * does not come within timeout_ms (it may have been dropped itself). */
int osl_audit_sync(osl_audit *a, unsigned timeout_ms, osl_error *err);

/* The kernel's count of audit records it dropped (audit_status.lost) and
 * the records waiting for kauditd (audit_status.backlog), by AUDIT_GET on a
 * socket of its own. Needs CAP_AUDIT_CONTROL. */
int osl_audit_kernel_status(uint32_t *lost, uint32_t *backlog, osl_error *err);
