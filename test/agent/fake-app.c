/* SPDX-License-Identifier: Apache-2.0 */
/* The "application" fake-runtime's container execs: a fixed set of calls,
 * made with syscall() so that libc adds none of its own. Built without
 * sanitizers, whose runtimes make calls of their own (getppid, uname).
 *
 *   fake-app [--getppid N] [--wait-file PATH]
 * makes N getppid (default 5), 2 uname, 1 getcwd; with --wait-file it first
 * waits (at most 60 s) until PATH exists. */
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        long getppid_calls = 5;
        const char *wait_file = NULL;

        for (int i = 1; i + 1 < argc; i += 2) {
                if (strcmp(argv[i], "--getppid") == 0)
                        getppid_calls = strtol(argv[i + 1], NULL, 10);
                else if (strcmp(argv[i], "--wait-file") == 0)
                        wait_file = argv[i + 1];
        }
        if (wait_file) {
                struct stat st;
                for (int i = 0; i < 60 * 100 && stat(wait_file, &st) < 0; i++)
                        poll(NULL, 0, 10);
        }
        for (long i = 0; i < getppid_calls; i++)
                syscall(SYS_getppid);
        struct utsname u;
        syscall(SYS_uname, &u);
        syscall(SYS_uname, &u);
        char cwd[PATH_MAX];
        syscall(SYS_getcwd, cwd, sizeof(cwd));
        return 0;
}
