/* SPDX-License-Identifier: Apache-2.0 */
/* Benchmark helper, not installed: the cost of one cheap syscall under
 * whatever seccomp filter (or tracer) the process runs with.
 *
 *   getppid-loop CALLS [REPS]
 *
 * Makes CALLS/10 warm-up calls, then REPS rounds (default 5) of CALLS calls
 * of getppid(2), each round timed on CLOCK_MONOTONIC. Prints one line:
 *
 *   calls=N reps=R median_ns=X min_ns=Y max_ns=Z start_ns=S end_ns=E
 *
 * X, Y, Z are nanoseconds per call over the rounds; S and E bound all rounds
 * on CLOCK_MONOTONIC, which containers share with the host (runc makes no
 * time namespace), so the calls of concurrent containers can be added up
 * over one window. getppid is made through syscall(2) so that no libc can
 * answer it from a cache; it has no arguments, so every filter's decision
 * for it is the same for every call.
 *
 * Built static when the C library allows, so that it runs in a rootfs that
 * holds nothing else. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPS 1000

static int64_t now_ns(void)
{
        struct timespec ts;

        /* CLOCK_MONOTONIC cannot fail with a valid pointer. */
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int parse_count(const char *text, uint64_t max, uint64_t *ret)
{
        char *end = NULL;
        unsigned long long value;

        errno = 0;
        value = strtoull(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value == 0 || value > max)
                return -EINVAL;
        *ret = value;
        return 0;
}

static int compare_double(const void *a, const void *b)
{
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

/* Returns how many calls failed. getppid never fails by itself; a filter
 * can make it (ENOSYS without a listener, EPERM when denied), and then the
 * numbers would not be the cost of the call. (The result is 0 for the
 * container's init, whose parent is outside its pid namespace.) */
static uint64_t call_getppid(uint64_t calls)
{
        uint64_t failed = 0;

        for (uint64_t i = 0; i < calls; i++)
                if (syscall(SYS_getppid) < 0)
                        failed++;
        return failed;
}

int main(int argc, char **argv)
{
        static double per_call_ns[MAX_REPS];
        uint64_t calls, reps = 5;
        int64_t start_ns, end_ns;
        uint64_t failed;

        if (argc < 2 || argc > 3 || parse_count(argv[1], UINT64_MAX / 2, &calls) < 0 ||
            (argc == 3 && parse_count(argv[2], MAX_REPS, &reps) < 0)) {
                fprintf(stderr, "usage: %s CALLS [REPS]  (CALLS > 0, 0 < REPS <= %d)\n",
                        argc > 0 ? argv[0] : "getppid-loop", MAX_REPS);
                return 2;
        }

        failed = call_getppid(calls / 10 + 1);
        start_ns = now_ns();
        for (uint64_t r = 0; r < reps; r++) {
                int64_t t0 = now_ns();

                failed += call_getppid(calls);
                per_call_ns[r] = (double) (now_ns() - t0) / (double) calls;
        }
        end_ns = now_ns();

        if (failed > 0) {
                fprintf(stderr, "getppid-loop: %" PRIu64 " getppid calls failed, the last with: %m\n", failed);
                return 1;
        }

        qsort(per_call_ns, reps, sizeof(per_call_ns[0]), compare_double);
        printf("calls=%" PRIu64 " reps=%" PRIu64 " median_ns=%.1f min_ns=%.1f max_ns=%.1f"
               " start_ns=%" PRId64 " end_ns=%" PRId64 "\n",
               calls, reps, per_call_ns[reps / 2], per_call_ns[0], per_call_ns[reps - 1],
               start_ns, end_ns);
        return 0;
}
