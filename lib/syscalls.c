/* SPDX-License-Identifier: Apache-2.0 */
/* Syscall and architecture names, all answered by libseccomp.
 *
 * OCI names an architecture "SCMP_ARCH_" + the upper-cased libseccomp name
 * ("SCMP_ARCH_X86_64" is libseccomp's "x86_64"), which is also the name of
 * libseccomp's own macro for its token. So OCI -> token is a rule, and
 * token -> OCI needs only the list of macros seccomp.h defines. */
#include "syscalls.h"

#include <ctype.h>
#include <seccomp.h>
#include <string.h>

#define OCI_ARCH_PREFIX "SCMP_ARCH_"

/* Every architecture this build's seccomp.h knows; the string is the macro's
 * own name, so nothing here can disagree with libseccomp. */
#define ARCH(suffix) { SCMP_ARCH_##suffix, OCI_ARCH_PREFIX #suffix }
static const struct {
        uint32_t token;
        const char *oci;
} seccomp_h_arches[] = {
        ARCH(X86),    ARCH(X86_64),   ARCH(X32),
        ARCH(ARM),    ARCH(AARCH64),
        ARCH(MIPS),   ARCH(MIPS64),   ARCH(MIPS64N32),
        ARCH(MIPSEL), ARCH(MIPSEL64), ARCH(MIPSEL64N32),
        ARCH(PPC),    ARCH(PPC64),    ARCH(PPC64LE),
        ARCH(S390),   ARCH(S390X),
        ARCH(PARISC), ARCH(PARISC64),
        ARCH(RISCV64),
#ifdef SCMP_ARCH_LOONGARCH64
        ARCH(LOONGARCH64),
#endif
#ifdef SCMP_ARCH_M68K
        ARCH(M68K),
#endif
#ifdef SCMP_ARCH_SHEB
        ARCH(SHEB),
#endif
#ifdef SCMP_ARCH_SH
        ARCH(SH),
#endif
};
#undef ARCH

/* Architectures the kernel of one architecture also runs binaries of. This is
 * not about names or numbers but about the kernel's compat layers, and it is
 * exactly the "archMap" of Docker's and containers/common's default profile,
 * so a profile made here covers what theirs covers. */
static const struct {
        uint32_t arch;
        uint32_t companions[2]; /* 0: none */
} arch_companions[] = {
        { SCMP_ARCH_X86_64, { SCMP_ARCH_X86, SCMP_ARCH_X32 } },
        { SCMP_ARCH_AARCH64, { SCMP_ARCH_ARM, 0 } },
        { SCMP_ARCH_MIPS64, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32 } },
        { SCMP_ARCH_MIPS64N32, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64 } },
        { SCMP_ARCH_MIPSEL64, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32 } },
        { SCMP_ARCH_MIPSEL64N32, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64 } },
        { SCMP_ARCH_S390X, { SCMP_ARCH_S390, 0 } },
};

/* libseccomp's pseudo numbers (seccomp-syscalls.h): __PNR_socket (-101)
 * and on are socket calls, __PNR_semop (-201) and on SysV IPC calls; on an
 * architecture with socketcall(2) or ipc(2) they are reached through that
 * call and so exist there. From -10000 down a __PNR_* number means the call
 * does not exist on that architecture at all. */
#define PNR_ABSENT_FROM (-10000)

static bool has_real_call(uint32_t arch_token, const char *name)
{
        return seccomp_syscall_resolve_name_arch(arch_token, name) >= 0;
}

static bool nr_exists(uint32_t arch_token, int nr)
{
        if (nr >= 0)
                return true;
        if (nr <= __PNR_socket && nr > __PNR_semop)
                return has_real_call(arch_token, "socketcall");
        if (nr <= __PNR_semop && nr > PNR_ABSENT_FROM)
                return has_real_call(arch_token, "ipc");
        return false;
}

/* The kernel reports x32 calls with the x86_64 audit arch and this bit set in
 * the number (arch/x86/include/uapi/asm/unistd.h). */
#define X32_SYSCALL_BIT 0x40000000

/* Number ranges scanned to list every syscall of an architecture:
 * multiplexed pseudo numbers (see above); the ordinary table, which reaches
 * 4000-4999 (MIPS o32), 5000-5999 (n64) and 6000-6999 (n32); and ARM's
 * private calls at __ARM_NR_BASE (0x0f0000). libseccomp masks the x32 bit
 * itself, so x32 needs no range of its own. */
static const struct {
        int first, end;
} scan_ranges[] = {
        { -1000, 0 },
        { 0, 8192 },
        { 0x0f0000, 0x0f0100 },
};

/* The name as it may appear in a message: it comes from a profile, so it is
 * cut and its control characters are escaped. */

int osl_arch_from_oci(const char *oci_name, uint32_t *token, osl_error *err)
{
        char lib_name[32], q[128];
        const char *suffix;
        size_t len;

        if (!oci_name)
                return osl_err(err, -EINVAL, "no architecture name");
        if (strncmp(oci_name, OCI_ARCH_PREFIX, strlen(OCI_ARCH_PREFIX)) != 0)
                return osl_err(err, -EINVAL, "unknown architecture %s: OCI names start with %s",
                               osl_quote(oci_name, q, sizeof(q)), OCI_ARCH_PREFIX);
        suffix = oci_name + strlen(OCI_ARCH_PREFIX);
        len = strlen(suffix);
        if (len == 0 || len >= sizeof(lib_name))
                return osl_err(err, -EINVAL, "unknown architecture %s", osl_quote(oci_name, q, sizeof(q)));
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) suffix[i];
                /* Only the exact upper-case spelling, as runc and crun accept. */
                if (!(isupper(c) || isdigit(c) || c == '_'))
                        return osl_err(err, -EINVAL, "unknown architecture %s",
                                       osl_quote(oci_name, q, sizeof(q)));
                lib_name[i] = (char) tolower(c);
        }
        lib_name[len] = '\0';

        uint32_t t = seccomp_arch_resolve_name(lib_name);
        if (t == 0) /* also "SCMP_ARCH_NATIVE": a placeholder, not an architecture */
                return osl_err(err, -EINVAL, "unknown architecture \"%s\": libseccomp %u.%u.%u does not know \"%s\"",
                               oci_name, seccomp_version()->major, seccomp_version()->minor,
                               seccomp_version()->micro, lib_name);
        *token = t;
        return 0;
}

const char *osl_arch_to_oci(uint32_t token)
{
        for (size_t i = 0; i < ELEMENTSOF(seccomp_h_arches); i++)
                if (seccomp_h_arches[i].token == token)
                        return seccomp_h_arches[i].oci;
        return NULL;
}

const char *osl_arch_native(void)
{
        return osl_arch_to_oci(seccomp_arch_native());
}

uint32_t osl_arch_of_call(uint32_t arch_token, int nr)
{
        if (arch_token == SCMP_ARCH_X86_64 && nr >= 0 && (nr & X32_SYSCALL_BIT))
                return SCMP_ARCH_X32;
        return arch_token;
}

int osl_arch_native_set(char ***oci_names, size_t *n, osl_error *err)
{
        _cleanup_strv_ char **names = NULL;
        size_t count = 0;
        uint32_t native = seccomp_arch_native();
        const char *oci = osl_arch_to_oci(native);

        if (!oci)
                return osl_err(err, -EINVAL, "the native architecture (audit arch 0x%08x) has no OCI name", native);
        if (osl_strv_push(&names, &count, oci) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < ELEMENTSOF(arch_companions); i++) {
                if (arch_companions[i].arch != native)
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(arch_companions[i].companions); j++) {
                        const char *c = osl_arch_to_oci(arch_companions[i].companions[j]);
                        if (c && osl_strv_push(&names, &count, c) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
        }
        *oci_names = TAKE_PTR(names);
        if (n)
                *n = count;
        return 0;
}

int osl_syscall_name(uint32_t arch_token, int nr, char **name, osl_error *err)
{
        const char *oci = osl_arch_to_oci(arch_token);

        /* The kernel never reports a negative number, and libseccomp would
         * answer one with a pseudo name that may not exist on arch_token. */
        if (nr < 0)
                return osl_err(err, -ENOENT, "syscall %d on %s: no such syscall number", nr,
                               oci ? oci : "an unknown architecture");
        char *s = seccomp_syscall_resolve_num_arch(arch_token, nr);
        if (!s)
                return osl_err(err, -ENOENT, "syscall %d on %s is not known to libseccomp", nr,
                               oci ? oci : "an unknown architecture");
        *name = s;
        return 0;
}

int osl_syscall_number(uint32_t arch_token, const char *name, int *nr)
{
        int r = seccomp_syscall_resolve_name_arch(arch_token, name);

        if (!nr_exists(arch_token, r))
                return -ENOENT;
        if (r >= 0) {
                *nr = r;
                return 0;
        }
        /* A multiplexed call (x86's socket is -101 to libseccomp): prefer the
         * direct number the kernel reports when the arch also has one. */
        for (int n = scan_ranges[1].first; n < scan_ranges[1].end; n++) {
                _cleanup_free_ char *s = seccomp_syscall_resolve_num_arch(arch_token, n);
                if (s && strcmp(s, name) == 0) {
                        *nr = n;
                        return 0;
                }
        }
        *nr = r;
        return 0;
}

bool osl_syscall_known(const char *name)
{
        if (!name)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(seccomp_h_arches); i++)
                if (nr_exists(seccomp_h_arches[i].token,
                              seccomp_syscall_resolve_name_arch(seccomp_h_arches[i].token, name)))
                        return true;
        return false;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int osl_syscall_all_names(char *const *oci_arches, size_t n_arches, char ***names, size_t *n_names,
                          osl_error *err)
{
        _cleanup_strv_ char **all = NULL;
        size_t count = 0, cap = 0;
        int r;

        for (size_t a = 0; a < n_arches; a++) {
                uint32_t token;
                r = osl_arch_from_oci(oci_arches[a], &token, err);
                if (r < 0)
                        return r;
                for (size_t s = 0; s < ELEMENTSOF(scan_ranges); s++) {
                        for (int nr = scan_ranges[s].first; nr < scan_ranges[s].end; nr++) {
                                char *name = seccomp_syscall_resolve_num_arch(token, nr);
                                if (!name)
                                        continue;
                                /* Drop pseudo names: resolve back and check the call exists here. */
                                if (!nr_exists(token, seccomp_syscall_resolve_name_arch(token, name))) {
                                        free(name);
                                        continue;
                                }
                                if (count + 1 >= cap) {
                                        size_t ncap = cap ? cap * 2 : 1024;
                                        char **grown = realloc(all, ncap * sizeof(char *));
                                        if (!grown) {
                                                free(name);
                                                return osl_err(err, -ENOMEM, "out of memory");
                                        }
                                        all = grown;
                                        cap = ncap;
                                }
                                all[count++] = name;
                                all[count] = NULL;
                        }
                }
        }
        if (!all) {
                all = calloc(1, sizeof(char *));
                if (!all)
                        return osl_err(err, -ENOMEM, "out of memory");
        }

        qsort(all, count, sizeof(char *), cmp_str);
        size_t unique = 0;
        for (size_t i = 0; i < count; i++) {
                if (unique > 0 && strcmp(all[unique - 1], all[i]) == 0) {
                        free(all[i]);
                        continue;
                }
                all[unique++] = all[i];
        }
        all[unique] = NULL;

        *names = TAKE_PTR(all);
        if (n_names)
                *n_names = unique;
        return 0;
}
