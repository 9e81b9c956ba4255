/* SPDX-License-Identifier: Apache-2.0 */
#include "families.h"

#include <string.h>

#include "store.h"
#include "syscalls.h"

#define FAMILY(n, ...) { .name = n, .members = (const char *const[]){ __VA_ARGS__, NULL } }

/* doc/profiles.md says why each row needs no privilege its members do not
 * share. clone3 is in no family: its flags sit in a structure that seccomp
 * cannot read, so it stays as the base decides. */
const osl_family osl_families[] = {
        FAMILY("read", "read", "readv", "pread64", "preadv", "preadv2"),
        FAMILY("write", "write", "writev", "pwrite64", "pwritev", "pwritev2"),
        FAMILY("open", "open", "openat", "creat"),
        FAMILY("stat", "stat", "lstat", "fstat", "newfstatat", "statx", "stat64", "lstat64", "fstat64", "fstatat64"),
        FAMILY("access", "access", "faccessat", "faccessat2"),
        FAMILY("readlink", "readlink", "readlinkat"),
        FAMILY("unlink", "unlink", "unlinkat", "rmdir"),
        FAMILY("mkdir", "mkdir", "mkdirat"),
        FAMILY("mknod", "mknod", "mknodat"),
        FAMILY("rename", "rename", "renameat", "renameat2"),
        FAMILY("link", "link", "linkat"),
        FAMILY("symlink", "symlink", "symlinkat"),
        FAMILY("chmod", "chmod", "fchmod", "fchmodat"),
        FAMILY("chown", "chown", "fchown", "lchown", "fchownat", "chown32", "fchown32", "lchown32"),
        FAMILY("utime", "utime", "utimes", "futimesat", "utimensat"),
        FAMILY("truncate", "truncate", "ftruncate", "truncate64", "ftruncate64"),
        FAMILY("getdents", "getdents", "getdents64"),
        FAMILY("fsync", "fsync", "fdatasync"),
        FAMILY("pipe", "pipe", "pipe2"),
        FAMILY("dup", "dup", "dup2", "dup3"),
        FAMILY("wait", "wait4", "waitid", "waitpid"),
        FAMILY("send", "send", "sendto", "sendmsg", "sendmmsg"),
        FAMILY("recv", "recv", "recvfrom", "recvmsg", "recvmmsg"),
        FAMILY("accept", "accept", "accept4"),
        FAMILY("poll", "poll", "ppoll"),
        FAMILY("select", "select", "_newselect", "pselect6"),
        FAMILY("epoll_wait", "epoll_wait", "epoll_pwait", "epoll_pwait2"),
        FAMILY("epoll_create", "epoll_create", "epoll_create1"),
        FAMILY("eventfd", "eventfd", "eventfd2"),
        FAMILY("signalfd", "signalfd", "signalfd4"),
        FAMILY("inotify_init", "inotify_init", "inotify_init1"),
        FAMILY("sleep", "nanosleep", "clock_nanosleep"),
        FAMILY("process", "fork", "vfork", "clone"),
        { .name = NULL },
};

const osl_family *osl_family_of(const char *syscall)
{
        for (const osl_family *f = osl_families; syscall && f->name; f++)
                for (const char *const *m = f->members; *m; m++)
                        if (strcmp(*m, syscall) == 0)
                                return f;
        return NULL;
}

static const char *const generalize_names[] = {
        [OSL_GENERALIZE_FAMILIES] = "families",
        [OSL_GENERALIZE_NONE] = "none",
};

int osl_generalize_parse(const char *s, osl_generalize *out)
{
        for (size_t i = 0; s && i < ELEMENTSOF(generalize_names); i++)
                if (strcmp(s, generalize_names[i]) == 0) {
                        *out = (osl_generalize) i;
                        return 0;
                }
        return -EINVAL;
}

const char *osl_generalize_name(osl_generalize g)
{
        return (unsigned) g < ELEMENTSOF(generalize_names) ? generalize_names[g] : "unknown";
}

int osl_learned_generalized(const osl_learned *l, osl_generalized **out, size_t *n, osl_error *err)
{
        _cleanup_free_ osl_generalized *list = NULL;
        size_t count = 0, cap = 0;

        /* syscalls are sorted by arch: each architecture is one run. */
        for (size_t i = 0; i < l->n_syscalls; i++) {
                const char *arch = l->syscalls[i].arch;
                uint32_t token;
                if ((i > 0 && strcmp(l->syscalls[i - 1].arch, arch) == 0) || osl_arch_from_oci(arch, &token, NULL) < 0)
                        continue;
                for (const osl_family *f = osl_families; f->name; f++) {
                        const char *from = NULL;
                        for (size_t j = i; j < l->n_syscalls && strcmp(l->syscalls[j].arch, arch) == 0 && !from; j++)
                                if (osl_family_of(l->syscalls[j].name) == f)
                                        from = l->syscalls[j].name;
                        for (const char *const *m = f->members; from && *m; m++) {
                                int nr;
                                if (osl_learned_has_syscall(l, arch, *m) || osl_syscall_number(token, *m, &nr) < 0)
                                        continue;
                                if (count == cap) {
                                        cap = cap ? 2 * cap : 16;
                                        osl_generalized *grown = realloc(list, cap * sizeof(*list));
                                        if (!grown)
                                                return osl_err(err, -ENOMEM, "out of memory");
                                        list = grown;
                                }
                                list[count++] = (osl_generalized){ .arch = arch, .name = *m, .family = f->name, .from = from };
                        }
                }
        }
        *out = TAKE_PTR(list);
        *n = count;
        return 0;
}
