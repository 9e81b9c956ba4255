/* SPDX-License-Identifier: Apache-2.0 */
/* Every row of the capability table: a call that needs the capability, and
 * where the arguments matter, one that does not. */
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "testing.h"

/* The "target" is this process: pointer arguments point into our memory. */
static int read_self(void *userdata, uint64_t addr, void *buf, size_t len)
{
        if (addr == 0)
                return -EFAULT;
        memcpy(buf, (const void *) (uintptr_t) addr, len);
        return 0;
}

static void expect(const char *syscall, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, int cap,
                   const char *evidence)
{
        const uint64_t args[6] = { a0, a1, a2, a3, 0, 0 };
        osl_cap_use use = {};
        int r = osl_caps_implied(syscall, args, read_self, NULL, &use);
        if (cap < 0) {
                CHECK_MSG(r == 0, "%s: expected no capability, got %d (%s)", syscall, use.cap, use.evidence);
                return;
        }
        char want[64] = "", got[64] = "";
        osl_cap_name(cap, want);
        osl_cap_name(use.cap, got);
        CHECK_MSG(r == 1 && use.cap == cap, "%s: expected %s, got r=%d %s", syscall, want, r, got);
        CHECK_MSG(strstr(use.evidence, evidence) != NULL, "%s: evidence \"%s\" lacks \"%s\"", syscall, use.evidence,
                  evidence);
        CHECK_MSG(osl_caps_syscall_relevant(syscall), "%s is in the table but not relevant", syscall);
}

static uint64_t ptr(const void *p) { return (uint64_t) (uintptr_t) p; }

int main(void)
{
        /* struct sockaddr_in, as the kernel reads it: family (host order), port (network order). */
        unsigned char sin80[16] = { 2, 0, 0, 80 }, sin8080[16] = { 2, 0, 0x1f, 0x90 }, sin6_443[28] = { 10, 0, 0x01, 0xbb },
                      unix_sa[16] = { 1, 0, 0, 80 };
        expect("bind", 3, ptr(sin80), sizeof(sin80), 0, CAP_NET_BIND_SERVICE, "port 80");
        expect("bind", 3, ptr(sin6_443), sizeof(sin6_443), 0, CAP_NET_BIND_SERVICE, "port 443");
        expect("bind", 3, ptr(sin8080), sizeof(sin8080), 0, -1, "");
        expect("bind", 3, ptr(unix_sa), sizeof(unix_sa), 0, -1, "");
        expect("bind", 3, 0, 16, 0, -1, ""); /* unreadable: no evidence, no crash */

        expect("socket", 17 /* AF_PACKET */, 3, 0, 0, CAP_NET_RAW, "AF_PACKET");
        expect("socket", 2, 3 /* SOCK_RAW */, 1, 0, CAP_NET_RAW, "SOCK_RAW");
        expect("socket", 2, 3 | 0x80000 /* SOCK_CLOEXEC */, 1, 0, CAP_NET_RAW, "SOCK_RAW");
        expect("socket", 2, 1 /* SOCK_STREAM */, 0, 0, -1, "");
        expect("socket", 16 /* AF_NETLINK */, 3, 9 /* NETLINK_AUDIT */, 0, CAP_AUDIT_WRITE, "NETLINK_AUDIT");
        expect("socket", 16, 3, 0 /* NETLINK_ROUTE */, 0, -1, "");

        expect("chown", 0, 1000, 1000, 0, CAP_CHOWN, "uid 1000");
        expect("chown", 0, UINT32_MAX, UINT32_MAX, 0, -1, "");
        expect("fchown", 3, 0, 5, 0, CAP_CHOWN, "gid 5");
        expect("lchown", 0, 7, UINT32_MAX, 0, CAP_CHOWN, "uid 7");
        expect("fchownat", 3, 0, 1, 1, CAP_CHOWN, "fchownat");
        expect("fchownat", 3, 0, UINT32_MAX, UINT32_MAX, -1, "");

        const char *setid[][2] = { { "setuid", "setuid" }, { "setreuid", "setreuid" }, { "setresuid", "setresuid" },
                                   { "setfsuid", "setfsuid" } };
        for (size_t i = 0; i < ELEMENTSOF(setid); i++)
                expect(setid[i][0], 1000, 0, 0, 0, CAP_SETUID, setid[i][1]);
        const char *setgid[] = { "setgid", "setregid", "setresgid", "setfsgid", "setgroups" };
        for (size_t i = 0; i < ELEMENTSOF(setgid); i++)
                expect(setgid[i], 1000, 0, 0, 0, CAP_SETGID, setgid[i]);

        expect("mknod", 0, S_IFCHR | 0600, 0, 0, CAP_MKNOD, "character");
        expect("mknod", 0, S_IFIFO | 0600, 0, 0, -1, "");
        expect("mknodat", 3, 0, S_IFBLK | 0600, 0, CAP_MKNOD, "block");
        expect("mknodat", 3, 0, S_IFREG | 0600, 0, -1, "");

        expect("chroot", 0, 0, 0, 0, CAP_SYS_CHROOT, "chroot");
        const char *admin[] = { "mount", "umount2", "pivot_root", "setns", "sethostname", "setdomainname",
                                "swapon", "swapoff", "quotactl" };
        for (size_t i = 0; i < ELEMENTSOF(admin); i++)
                expect(admin[i], 0, 0, 0, 0, CAP_SYS_ADMIN, admin[i]);
        expect("unshare", CLONE_NEWNS, 0, 0, 0, CAP_SYS_ADMIN, "new namespaces");
        expect("unshare", CLONE_NEWUSER, 0, 0, 0, -1, "");
        expect("unshare", CLONE_FILES, 0, 0, 0, -1, "");
        expect("clone", CLONE_NEWPID | 17 /* SIGCHLD */, 0, 0, 0, CAP_SYS_ADMIN, "clone");
        expect("clone", CLONE_VM | CLONE_THREAD, 0, 0, 0, -1, "");
        uint64_t clone3_args[11] = { CLONE_NEWNET };
        expect("clone3", ptr(clone3_args), sizeof(clone3_args), 0, 0, CAP_SYS_ADMIN, "clone3");
        uint64_t clone3_plain[11] = { 0 };
        expect("clone3", ptr(clone3_plain), sizeof(clone3_plain), 0, 0, -1, "");

        const struct { const char *name; int cap; } plain[] = {
                { "ptrace", CAP_SYS_PTRACE }, { "process_vm_readv", CAP_SYS_PTRACE },
                { "process_vm_writev", CAP_SYS_PTRACE }, { "reboot", CAP_SYS_BOOT }, { "kexec_load", CAP_SYS_BOOT },
                { "settimeofday", CAP_SYS_TIME }, { "clock_settime", CAP_SYS_TIME }, { "clock_adjtime", CAP_SYS_TIME },
                { "init_module", CAP_SYS_MODULE }, { "finit_module", CAP_SYS_MODULE },
                { "delete_module", CAP_SYS_MODULE }, { "iopl", CAP_SYS_RAWIO }, { "ioperm", CAP_SYS_RAWIO },
                { "acct", CAP_SYS_PACCT }, { "mlockall", CAP_IPC_LOCK }, { "syslog", CAP_SYSLOG },
                { "open_by_handle_at", CAP_DAC_READ_SEARCH }, { "vhangup", CAP_SYS_TTY_CONFIG },
                { "bpf", CAP_BPF }, { "perf_event_open", CAP_PERFMON },
        };
        for (size_t i = 0; i < ELEMENTSOF(plain); i++)
                expect(plain[i].name, 0, 0, 0, 0, plain[i].cap, plain[i].name);

        expect("setpriority", 0, 0, (uint64_t) -5, 0, CAP_SYS_NICE, "nice -5");
        expect("setpriority", 0, 0, 5, 0, -1, "");
        expect("sched_setscheduler", 0, 1 /* SCHED_FIFO */, 0, 0, CAP_SYS_NICE, "realtime");
        expect("sched_setscheduler", 0, 0 /* SCHED_OTHER */, 0, 0, -1, "");
        expect("prctl", 24 /* PR_CAPBSET_DROP */, 0, 0, 0, CAP_SETPCAP, "PR_CAPBSET_DROP");
        expect("prctl", 15 /* PR_SET_NAME */, 0, 0, 0, -1, "");
        expect("setxattr", 0, ptr("security.capability"), 0, 0, CAP_SETFCAP, "security.capability");
        expect("lsetxattr", 0, ptr("security.capability"), 0, 0, CAP_SETFCAP, "security.capability");
        expect("setxattr", 0, ptr("user.comment\0padding..."), 0, 0, -1, "");

        /* Calls that imply nothing are not in the table. */
        expect("read", 0, 0, 0, 0, -1, "");
        CHECK(!osl_caps_syscall_relevant("read"));

        /* Names through libcap, both spellings. */
        char name[64];
        int cap;
        CHECK(osl_cap_name(CAP_NET_BIND_SERVICE, name) == 0);
        CHECK_STREQ(name, "CAP_NET_BIND_SERVICE");
        CHECK(osl_cap_from_name("CAP_NET_BIND_SERVICE", &cap) == 0 && cap == CAP_NET_BIND_SERVICE);
        CHECK(osl_cap_from_name("net_raw", &cap) == 0 && cap == CAP_NET_RAW);
        CHECK(osl_cap_from_name("cap_chown", &cap) == 0 && cap == CAP_CHOWN);
        CHECK(osl_cap_from_name("CAP_NOT_A_THING", &cap) == -EINVAL);
        CHECK(osl_cap_from_name("", &cap) == -EINVAL);
        CHECK(osl_cap_from_name("12", &cap) == -EINVAL);
        CHECK(osl_cap_name(999, name) == -EINVAL);
        return testing_result();
}
