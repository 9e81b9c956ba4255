/* SPDX-License-Identifier: Apache-2.0 */
/* Architecture names and syscall names/numbers, as libseccomp answers them. */
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "syscalls.h"
#include "testing.h"

static void test_arch_names(void)
{
        static const struct {
                const char *oci;
                uint32_t token;
        } table[] = {
                { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },       { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
                { "SCMP_ARCH_X32", SCMP_ARCH_X32 },             { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
                { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },             { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
                { "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 }, { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
                { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },         { "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
                { "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                osl_error err = { 0 };
                uint32_t token = 0;
                CHECK_OK(osl_arch_from_oci(table[i].oci, &token, &err), err);
                CHECK(token == table[i].token);
                CHECK_STREQ(osl_arch_to_oci(table[i].token), table[i].oci);
        }

        static const char *const bad[] = {
                "x86_64", "SCMP_ARCH_x86_64", "SCMP_ARCH_NATIVE", "SCMP_ARCH_", "SCMP_ARCH_FOO", "scmp_arch_x86_64",
                "SCMP_ARCH_X86_64 ", "SCMP_ARCH_AMD64",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                osl_error err = { 0 };
                uint32_t token = 0;
                CHECK_ERR(osl_arch_from_oci(bad[i], &token, &err), -EINVAL, err, "unknown architecture");
                CHECK(strstr(err.msg, bad[i]) != NULL);
        }
        CHECK(osl_arch_to_oci(0) == NULL);
        CHECK(osl_arch_to_oci(0x12345) == NULL);
}

static void test_native(void)
{
        osl_error err = { 0 };
        char **set = NULL;
        size_t n = 0;
        const char *native = osl_arch_native();

        CHECK(native != NULL);
        CHECK_OK(osl_arch_native_set(&set, &n, &err), err);
        CHECK(n >= 1 && set && set[n] == NULL);
        if (n >= 1)
                CHECK_STREQ(set[0], native);
        if (native && strcmp(native, "SCMP_ARCH_X86_64") == 0) {
                CHECK(n == 3);
                if (n == 3) {
                        CHECK_STREQ(set[1], "SCMP_ARCH_X86");
                        CHECK_STREQ(set[2], "SCMP_ARCH_X32");
                }
        } else if (native && strcmp(native, "SCMP_ARCH_AARCH64") == 0) {
                CHECK(n == 2);
                if (n == 2)
                        CHECK_STREQ(set[1], "SCMP_ARCH_ARM");
        }
        strvfreep(&set);
}

static void test_numbers(void)
{
        osl_error err = { 0 };
        int nr = -1;
        char *name = NULL;

        CHECK(osl_syscall_number(SCMP_ARCH_X86_64, "read", &nr) == 0 && nr == 0);
        CHECK(osl_syscall_number(SCMP_ARCH_X86_64, "execve", &nr) == 0 && nr == 59);
        CHECK(osl_syscall_number(SCMP_ARCH_X86, "read", &nr) == 0 && nr == 3);
        CHECK(osl_syscall_number(SCMP_ARCH_AARCH64, "read", &nr) == 0 && nr == 63);
        /* x32 numbers carry the x32 bit, as the kernel reports them. */
        CHECK(osl_syscall_number(SCMP_ARCH_X32, "read", &nr) == 0 && nr == 0x40000000);
        /* x86 has socket(2) directly (359) besides socketcall: the direct one. */
        CHECK(osl_syscall_number(SCMP_ARCH_X86, "socket", &nr) == 0 && nr == 359);
        /* accept exists on x86 only through socketcall: libseccomp's pseudo number. */
        CHECK(osl_syscall_number(SCMP_ARCH_X86, "accept", &nr) == 0 && nr < 0);
        CHECK(osl_syscall_number(SCMP_ARCH_X86_64, "no_such_syscall", &nr) == -ENOENT);
        CHECK(osl_syscall_number(SCMP_ARCH_X86_64, "cacheflush", &nr) == -ENOENT); /* not on x86_64 */
        CHECK(osl_syscall_number(SCMP_ARCH_AARCH64, "open", &nr) == -ENOENT);      /* only openat there */
        CHECK(osl_syscall_number(SCMP_ARCH_ARM, "cacheflush", &nr) == 0 && nr == 0x0f0002);

        CHECK_OK(osl_syscall_name(SCMP_ARCH_X86_64, 0, &name, &err), err);
        CHECK_STREQ(name, "read");
        free(name);
        name = NULL;
        CHECK_OK(osl_syscall_name(SCMP_ARCH_X86_64, 59, &name, &err), err);
        CHECK_STREQ(name, "execve");
        free(name);
        name = NULL;
        CHECK_OK(osl_syscall_name(SCMP_ARCH_X32, 0x40000000 | 520, &name, &err), err);
        CHECK_STREQ(name, "execve");
        free(name);
        name = NULL;
        CHECK_ERR(osl_syscall_name(SCMP_ARCH_X86_64, -1, &name, &err), -ENOENT, err, "SCMP_ARCH_X86_64");
        CHECK_ERR(osl_syscall_name(SCMP_ARCH_X86_64, 100000, &name, &err), -ENOENT, err, "100000");
        CHECK(name == NULL);

        CHECK(osl_arch_of_call(SCMP_ARCH_X86_64, 0x40000000 | 1) == SCMP_ARCH_X32);
        CHECK(osl_arch_of_call(SCMP_ARCH_X86_64, 1) == SCMP_ARCH_X86_64);
        CHECK(osl_arch_of_call(SCMP_ARCH_AARCH64, 0x40000000 | 1) == SCMP_ARCH_AARCH64);

        CHECK(osl_syscall_known("read"));
        CHECK(osl_syscall_known("cacheflush")); /* ARM, MIPS */
        CHECK(osl_syscall_known("socketcall"));
        CHECK(!osl_syscall_known("no_such_syscall"));
        CHECK(!osl_syscall_known(""));
        CHECK(!osl_syscall_known(NULL));
}

static bool strv_sorted_unique(char **v, size_t n)
{
        for (size_t i = 1; i < n; i++)
                if (strcmp(v[i - 1], v[i]) >= 0)
                        return false;
        return v[n] == NULL;
}

static bool bsearch_name(char **v, size_t n, const char *name)
{
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(v[mid], name);
                if (c == 0)
                        return true;
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return false;
}

static void test_all_names(void)
{
        osl_error err = { 0 };
        char **names = NULL;
        size_t n = 0;
        char *x86_64[] = { "SCMP_ARCH_X86_64", NULL };
        char *three[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
        char *arm[] = { "SCMP_ARCH_ARM", NULL };
        char *mips[] = { "SCMP_ARCH_MIPS", NULL };
        char *bad[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_VAX", NULL };

        CHECK_OK(osl_syscall_all_names(x86_64, 1, &names, &n, &err), err);
        CHECK(n > 300 && n < 1000);
        CHECK(strv_sorted_unique(names, n));
        CHECK(bsearch_name(names, n, "read"));
        CHECK(bsearch_name(names, n, "write"));
        CHECK(bsearch_name(names, n, "execve"));
        CHECK(bsearch_name(names, n, "arch_prctl"));
        CHECK(!bsearch_name(names, n, "cacheflush"));
        CHECK(!bsearch_name(names, n, "socketcall")); /* a pseudo name on x86_64 */
        /* Every name maps to a number and back. */
        for (size_t i = 0; i < n; i++) {
                int nr;
                char *back = NULL;
                CHECK(osl_syscall_number(SCMP_ARCH_X86_64, names[i], &nr) == 0);
                CHECK(osl_syscall_name(SCMP_ARCH_X86_64, nr, &back, &err) == 0);
                CHECK(back && strcmp(back, names[i]) == 0);
                free(back);
        }
        size_t n_x86_64 = n;
        strvfreep(&names);

        CHECK_OK(osl_syscall_all_names(three, 3, &names, &n, &err), err);
        CHECK(strv_sorted_unique(names, n));
        CHECK(n > n_x86_64);
        CHECK(bsearch_name(names, n, "socketcall")); /* x86 */
        CHECK(bsearch_name(names, n, "accept"));     /* x86 via socketcall, x86_64 directly */
        CHECK(bsearch_name(names, n, "read"));
        strvfreep(&names);

        CHECK_OK(osl_syscall_all_names(arm, 1, &names, &n, &err), err);
        CHECK(bsearch_name(names, n, "cacheflush")); /* ARM's private range */
        CHECK(bsearch_name(names, n, "set_tls"));
        strvfreep(&names);

        CHECK_OK(osl_syscall_all_names(mips, 1, &names, &n, &err), err);
        CHECK(n > 300);
        CHECK(bsearch_name(names, n, "read")); /* 4003 */
        strvfreep(&names);

        CHECK_OK(osl_syscall_all_names(three, 0, &names, &n, &err), err);
        CHECK(n == 0 && names && names[0] == NULL);
        strvfreep(&names);

        CHECK_ERR(osl_syscall_all_names(bad, 2, &names, &n, &err), -EINVAL, err, "SCMP_ARCH_VAX");
        CHECK(names == NULL);
}

int main(void)
{
        test_arch_names();
        test_native();
        test_numbers();
        test_all_names();
        return testing_result();
}
