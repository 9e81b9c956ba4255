/* SPDX-License-Identifier: Apache-2.0 */
#include "caps.h"

#include <ctype.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/stat.h>

/* Constants from the kernel ABI, spelled out where the libc headers need
 * extra includes that clash (linux/socket.h vs sys/socket.h). */
#define OSL_AF_INET 2
#define OSL_AF_INET6 10
#define OSL_AF_PACKET 17
#define OSL_AF_NETLINK 16
#define OSL_SOCK_RAW 3
#define OSL_SOCK_TYPE_MASK 0xf
#define OSL_NETLINK_AUDIT 9
#define OSL_PR_CAPBSET_DROP 24
#define OSL_SCHED_FIFO 1
#define OSL_SCHED_RR 2
#define OSL_SCHED_DEADLINE 6
/* Below this port binding needs CAP_NET_BIND_SERVICE
 * (net.ipv4.ip_unprivileged_port_start, 1024 unless changed). */
#define PRIVILEGED_PORT_END 1024
/* unshare/clone flags that make a namespace (CLONE_NEWUSER needs none). */
#define NS_FLAGS_NEEDING_ADMIN (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

typedef bool (*cap_check)(const uint64_t args[6], osl_mem_reader read, void *ud, char *evidence, size_t len);

typedef struct cap_row {
        const char *syscall;
        int cap;
        cap_check check; /* NULL: the call alone implies the capability */
        const char *why; /* evidence when check is NULL */
} cap_row;

static bool bind_low_port(const uint64_t args[6], osl_mem_reader read, void *ud, char *ev, size_t len)
{
        unsigned char sa[4];
        if (!read || args[2] < sizeof(sa) || read(ud, args[1], sa, sizeof(sa)) < 0)
                return false;
        unsigned family = sa[0] | (unsigned) sa[1] << 8; /* sa_family_t, host order (x86: little endian) */
        unsigned port = (unsigned) sa[2] << 8 | sa[3];    /* network order */
        if ((family != OSL_AF_INET && family != OSL_AF_INET6) || port == 0 || port >= PRIVILEGED_PORT_END)
                return false;
        snprintf(ev, len, "bind(port %u)", port);
        return true;
}

static bool raw_socket(const uint64_t args[6], osl_mem_reader read, void *ud, char *ev, size_t len)
{
        uint64_t family = args[0], type = args[1] & OSL_SOCK_TYPE_MASK;
        if (family == OSL_AF_PACKET) {
                snprintf(ev, len, "socket(AF_PACKET)");
                return true;
        }
        if ((family == OSL_AF_INET || family == OSL_AF_INET6) && type == OSL_SOCK_RAW) {
                snprintf(ev, len, "socket(%s, SOCK_RAW)", family == OSL_AF_INET ? "AF_INET" : "AF_INET6");
                return true;
        }
        return false;
}

static bool audit_socket(const uint64_t args[6], osl_mem_reader read, void *ud, char *ev, size_t len)
{
        if (args[0] != OSL_AF_NETLINK || args[2] != OSL_NETLINK_AUDIT)
                return false;
        snprintf(ev, len, "socket(AF_NETLINK, NETLINK_AUDIT)");
        return true;
}

/* -1 as a 32-bit id means "leave unchanged". */
static bool id_changes(uint64_t id)
{
        return (uint32_t) id != UINT32_MAX;
}

static bool chown_at(const uint64_t a[6], unsigned uid_arg, const char *name, char *ev, size_t len)
{
        if (!id_changes(a[uid_arg]) && !id_changes(a[uid_arg + 1]))
                return false;
        snprintf(ev, len, "%s(uid %d, gid %d)", name, (int) (uint32_t) a[uid_arg], (int) (uint32_t) a[uid_arg + 1]);
        return true;
}
static bool chown_1(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len) { return chown_at(a, 1, "chown", ev, len); }
static bool fchown_1(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len) { return chown_at(a, 1, "fchown", ev, len); }
static bool lchown_1(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len) { return chown_at(a, 1, "lchown", ev, len); }
static bool fchownat_2(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len) { return chown_at(a, 2, "fchownat", ev, len); }

static bool device_node(uint64_t mode, const char *name, char *ev, size_t len)
{
        if (!S_ISCHR(mode) && !S_ISBLK(mode))
                return false;
        snprintf(ev, len, "%s(%s device)", name, S_ISCHR(mode) ? "character" : "block");
        return true;
}
static bool mknod_1(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len) { return device_node(a[1], "mknod", ev, len); }
static bool mknodat_2(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len) { return device_node(a[2], "mknodat", ev, len); }

static bool ns_flags(uint64_t flags, const char *name, char *ev, size_t len)
{
        if (!(flags & NS_FLAGS_NEEDING_ADMIN))
                return false;
        snprintf(ev, len, "%s(flags 0x%llx: new namespaces)", name, (unsigned long long) (flags & NS_FLAGS_NEEDING_ADMIN));
        return true;
}
static bool unshare_ns(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len) { return ns_flags(a[0], "unshare", ev, len); }
/* x86_64 clone(flags, ...); clone3 has flags first in struct clone_args. */
static bool clone_ns(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len) { return ns_flags(a[0], "clone", ev, len); }
static bool clone3_ns(const uint64_t a[6], osl_mem_reader read, void *ud, char *ev, size_t len)
{
        uint64_t flags;
        if (!read || a[1] < sizeof(flags) || read(ud, a[0], &flags, sizeof(flags)) < 0)
                return false;
        return ns_flags(flags, "clone3", ev, len);
}

static bool nice_raise(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len)
{
        if ((int) (uint32_t) a[2] >= 0)
                return false;
        snprintf(ev, len, "setpriority(nice %d)", (int) (uint32_t) a[2]);
        return true;
}

static bool realtime_policy(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len)
{
        uint64_t policy = a[1] & 0xff; /* without SCHED_RESET_ON_FORK */
        if (policy != OSL_SCHED_FIFO && policy != OSL_SCHED_RR && policy != OSL_SCHED_DEADLINE)
                return false;
        snprintf(ev, len, "sched_setscheduler(realtime policy %llu)", (unsigned long long) policy);
        return true;
}

static bool capbset_drop(const uint64_t a[6], osl_mem_reader r, void *ud, char *ev, size_t len)
{
        if (a[0] != OSL_PR_CAPBSET_DROP)
                return false;
        snprintf(ev, len, "prctl(PR_CAPBSET_DROP)");
        return true;
}

/* setxattr(path, name, ...): writing file capabilities. */
static bool fcaps_xattr(const uint64_t a[6], osl_mem_reader read, void *ud, char *ev, size_t len)
{
        static const char want[] = "security.capability";
        char name[sizeof(want)];
        if (!read || read(ud, a[1], name, sizeof(name)) < 0 || memcmp(name, want, sizeof(want)) != 0)
                return false;
        snprintf(ev, len, "setxattr(security.capability)");
        return true;
}

static const cap_row table[] = {
        { "bind", CAP_NET_BIND_SERVICE, bind_low_port, NULL },
        { "socket", CAP_NET_RAW, raw_socket, NULL },
        { "socket", CAP_AUDIT_WRITE, audit_socket, NULL },
        { "chown", CAP_CHOWN, chown_1, NULL },
        { "fchown", CAP_CHOWN, fchown_1, NULL },
        { "lchown", CAP_CHOWN, lchown_1, NULL },
        { "fchownat", CAP_CHOWN, fchownat_2, NULL },
        { "setuid", CAP_SETUID, NULL, "setuid" },
        { "setreuid", CAP_SETUID, NULL, "setreuid" },
        { "setresuid", CAP_SETUID, NULL, "setresuid" },
        { "setfsuid", CAP_SETUID, NULL, "setfsuid" },
        { "setgid", CAP_SETGID, NULL, "setgid" },
        { "setregid", CAP_SETGID, NULL, "setregid" },
        { "setresgid", CAP_SETGID, NULL, "setresgid" },
        { "setfsgid", CAP_SETGID, NULL, "setfsgid" },
        { "setgroups", CAP_SETGID, NULL, "setgroups" },
        { "mknod", CAP_MKNOD, mknod_1, NULL },
        { "mknodat", CAP_MKNOD, mknodat_2, NULL },
        { "chroot", CAP_SYS_CHROOT, NULL, "chroot" },
        { "mount", CAP_SYS_ADMIN, NULL, "mount" },
        { "umount2", CAP_SYS_ADMIN, NULL, "umount2" },
        { "pivot_root", CAP_SYS_ADMIN, NULL, "pivot_root" },
        { "setns", CAP_SYS_ADMIN, NULL, "setns" },
        { "unshare", CAP_SYS_ADMIN, unshare_ns, NULL },
        { "clone", CAP_SYS_ADMIN, clone_ns, NULL },
        { "clone3", CAP_SYS_ADMIN, clone3_ns, NULL },
        { "sethostname", CAP_SYS_ADMIN, NULL, "sethostname" },
        { "setdomainname", CAP_SYS_ADMIN, NULL, "setdomainname" },
        { "swapon", CAP_SYS_ADMIN, NULL, "swapon" },
        { "swapoff", CAP_SYS_ADMIN, NULL, "swapoff" },
        { "quotactl", CAP_SYS_ADMIN, NULL, "quotactl" },
        { "ptrace", CAP_SYS_PTRACE, NULL, "ptrace" },
        { "process_vm_readv", CAP_SYS_PTRACE, NULL, "process_vm_readv" },
        { "process_vm_writev", CAP_SYS_PTRACE, NULL, "process_vm_writev" },
        { "reboot", CAP_SYS_BOOT, NULL, "reboot" },
        { "kexec_load", CAP_SYS_BOOT, NULL, "kexec_load" },
        { "settimeofday", CAP_SYS_TIME, NULL, "settimeofday" },
        { "clock_settime", CAP_SYS_TIME, NULL, "clock_settime" },
        { "clock_adjtime", CAP_SYS_TIME, NULL, "clock_adjtime" },
        { "init_module", CAP_SYS_MODULE, NULL, "init_module" },
        { "finit_module", CAP_SYS_MODULE, NULL, "finit_module" },
        { "delete_module", CAP_SYS_MODULE, NULL, "delete_module" },
        { "iopl", CAP_SYS_RAWIO, NULL, "iopl" },
        { "ioperm", CAP_SYS_RAWIO, NULL, "ioperm" },
        { "acct", CAP_SYS_PACCT, NULL, "acct" },
        { "setpriority", CAP_SYS_NICE, nice_raise, NULL },
        { "sched_setscheduler", CAP_SYS_NICE, realtime_policy, NULL },
        { "mlockall", CAP_IPC_LOCK, NULL, "mlockall" },
        { "syslog", CAP_SYSLOG, NULL, "syslog" },
        { "prctl", CAP_SETPCAP, capbset_drop, NULL },
        { "setxattr", CAP_SETFCAP, fcaps_xattr, NULL },
        { "lsetxattr", CAP_SETFCAP, fcaps_xattr, NULL },
        { "open_by_handle_at", CAP_DAC_READ_SEARCH, NULL, "open_by_handle_at" },
        { "vhangup", CAP_SYS_TTY_CONFIG, NULL, "vhangup" },
        { "bpf", CAP_BPF, NULL, "bpf" },
        { "perf_event_open", CAP_PERFMON, NULL, "perf_event_open" },
};

int osl_caps_implied(const char *syscall, const uint64_t args[6], osl_mem_reader read, void *userdata,
                     osl_cap_use *use)
{
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                const cap_row *row = &table[i];
                if (strcmp(row->syscall, syscall) != 0)
                        continue;
                if (row->check) {
                        if (!row->check(args, read, userdata, use->evidence, sizeof(use->evidence)))
                                continue;
                } else
                        snprintf(use->evidence, sizeof(use->evidence), "%s", row->why);
                use->cap = row->cap;
                return 1;
        }
        return 0;
}

bool osl_caps_syscall_relevant(const char *syscall)
{
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strcmp(table[i].syscall, syscall) == 0)
                        return true;
        return false;
}

int osl_cap_name(int cap, char buf[static 64])
{
        if (cap < 0 || cap > CAP_LAST_CAP)
                return -EINVAL;
        char *name = cap_to_name((cap_value_t) cap);
        if (!name)
                return -ENOMEM;
        /* libcap spells unknown numbers as digits. */
        bool known = !isdigit((unsigned char) name[0]);
        if (known) {
                size_t n = snprintf(buf, 64, "%s", name);
                for (size_t i = 0; i < n && i < 64; i++)
                        buf[i] = (char) toupper((unsigned char) buf[i]);
        }
        cap_free(name);
        return known ? 0 : -EINVAL;
}

int osl_cap_from_name(const char *name, int *cap)
{
        char lower[64];
        cap_value_t v;
        size_t n;

        if (!name || !*name || isdigit((unsigned char) name[0]))
                return -EINVAL;
        /* libcap knows "cap_chown"; configs say "CAP_CHOWN". */
        bool prefixed = strncasecmp(name, "cap_", 4) == 0;
        n = (size_t) snprintf(lower, sizeof(lower), "%s%s", prefixed ? "" : "cap_", name);
        if (n >= sizeof(lower))
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                lower[i] = (char) tolower((unsigned char) lower[i]);
        if (cap_from_name(lower, &v) < 0 || v < 0 || v > CAP_LAST_CAP)
                return -EINVAL;
        *cap = (int) v;
        return 0;
}
