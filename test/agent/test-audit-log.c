/* SPDX-License-Identifier: Apache-2.0 */
/* lib/audit_log.c against the real kernel: a child under a SECCOMP_RET_LOG
 * filter calls getppid 10,000 times in a burst; the collector must see
 * every record or report how many it missed (issue 11). Needs root
 * (CAP_AUDIT_READ, SO_RCVBUFFORCE); exits 77 (skip) without. */
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit_log.h"
#include "testing.h"

#define CALLS 10000

typedef struct seen {
        pid_t pid;
        uint32_t arch;
        int nr;
        uint64_t ours, others;
        uint64_t last_serial;
        bool ordered;
} seen;

static void on_record(const osl_audit_record *rec, void *userdata)
{
        seen *s = userdata;
        if (rec->pid == (uint32_t) s->pid && rec->arch == s->arch && rec->nr == s->nr) {
                s->ours++;
                if (rec->serial <= s->last_serial)
                        s->ordered = false;
                s->last_serial = rec->serial;
        } else {
                s->others++;
        }
}

static void child(int go_fd)
{
        char c;
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(getppid), 0) < 0 || seccomp_load(ctx) < 0)
                _exit(2);
        if (read(go_fd, &c, 1) != 1)
                _exit(3);
        for (int i = 0; i < CALLS; i++)
                syscall(SYS_getppid);
        _exit(0);
}

int main(void)
{
        _cleanup_audit_ osl_audit *audit = NULL;
        osl_error err = {};
        seen s = { .arch = seccomp_arch_native(), .ordered = true };
        uint32_t lost0 = 0, lost1 = 0, backlog;

        if (geteuid() != 0) {
                fprintf(stderr, "skipped: needs root\n");
                return 77;
        }
        s.nr = SYS_getppid;
        int r = osl_audit_open(on_record, &s, &audit, &err);
        if (r == -EPROTONOSUPPORT || r == -EPERM) {
                fprintf(stderr, "skipped: %s\n", err.msg);
                return 77;
        }
        CHECK_MSG(r == 0, "%s", err.msg);
        if (r < 0)
                return testing_result();
        CHECK_MSG(osl_audit_kernel_status(&lost0, &backlog, &err) == 0, "%s", err.msg);

        int go[2];
        CHECK(pipe(go) == 0);
        s.pid = fork();
        if (s.pid == 0) {
                close(go[1]);
                child(go[0]);
        }
        close(go[0]);
        CHECK(write(go[1], "x", 1) == 1);
        close(go[1]);

        /* Read while the child runs, then what is queued; the barrier below
         * accounts for the rest. */
        bool exited = false;
        int status = 0;
        for (int idle = 0; idle < 600;) {
                struct pollfd p = { .fd = osl_audit_fd(audit), .events = POLLIN };
                int n = poll(&p, 1, 100);
                if (n > 0) {
                        r = osl_audit_read(audit, &err);
                        CHECK_MSG(r >= 0, "%s", err.msg);
                        if (r < 0)
                                break;
                        idle = 0;
                } else if (exited) {
                        idle++;
                }
                if (!exited && waitpid(s.pid, &status, WNOHANG) == s.pid)
                        exited = true;
                if (exited && (s.ours == CALLS || n <= 0))
                        break;
        }
        if (!exited) {
                kill(s.pid, SIGKILL);
                waitpid(s.pid, &status, 0);
        }
        CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
        /* Everything the child logged is in, or counted as missed. */
        CHECK_MSG(osl_audit_sync(audit, 10000, &err) == 0, "%s", err.msg);
        CHECK_MSG(osl_audit_kernel_status(&lost1, &backlog, &err) == 0, "%s", err.msg);

        uint64_t missed = osl_audit_missed(audit), kernel_lost = lost1 - lost0;
        printf("records of the child: %" PRIu64 " of %d; other SECCOMP records: %" PRIu64
               "; missed by the socket: %" PRIu64 "; dropped by the kernel: %" PRIu64 "\n",
               s.ours, CALLS, s.others, missed, kernel_lost);
        CHECK(s.ours <= CALLS);
        CHECK_MSG(s.ordered, "records arrive in serial order");
        /* Every record is seen, or what was not is counted: the socket's
         * gaps and the kernel's drops cover at least the shortfall (they may
         * include other processes' records too). */
        CHECK_MSG(s.ours == CALLS || CALLS - s.ours <= missed + kernel_lost,
                  "%" PRIu64 " records neither seen nor counted as lost", CALLS - s.ours - missed - kernel_lost);
        return testing_result();
}
