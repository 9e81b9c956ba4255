/* SPDX-License-Identifier: Apache-2.0 */
/* Syscall names, numbers and architectures, always from libseccomp: this
 * project keeps no tables of its own. Architectures are named the OCI way
 * ("SCMP_ARCH_X86_64") everywhere in our files. */
#pragma once

#include "util.h"

/* OCI name <-> libseccomp token (SCMP_ARCH_*, which is the AUDIT_ARCH value
 * the kernel puts in seccomp_data.arch). -EINVAL with a message when unknown. */
int osl_arch_from_oci(const char *oci_name, uint32_t *token, osl_error *err);
const char *osl_arch_to_oci(uint32_t token); /* static string; NULL when unknown */

/* The native architecture and the ones the kernel also runs on it, in OCI
 * names, as Docker's default profile lists them (x86_64: X86_64, X86, X32). */
int osl_arch_native_set(char ***oci_names, size_t *n, osl_error *err);

/* libseccomp's name for syscall nr on arch; -ENOENT when it has none. */
int osl_syscall_name(uint32_t arch_token, int nr, char **name, osl_error *err);
/* -ENOENT when libseccomp does not know name on that arch. */
int osl_syscall_number(uint32_t arch_token, const char *name, int *nr);
/* Known to libseccomp on at least one of its architectures. */
bool osl_syscall_known(const char *name);

/* Sorted, de-duplicated names of every syscall libseccomp knows on any of the
 * given OCI architectures. NULL-terminated; free with strvfreep. */
int osl_syscall_all_names(char *const *oci_arches, size_t n_arches, char ***names, size_t *n_names,
                          osl_error *err);

/* Added by the profile helper. */

/* The native architecture's OCI name (static), NULL when it has none. */
const char *osl_arch_native(void);

/* The architecture a notified call belongs to. The kernel reports x32 calls
 * with the x86_64 audit arch and __X32_SYSCALL_BIT set in the number; this
 * returns the x32 token for those, and arch_token for everything else. */
uint32_t osl_arch_of_call(uint32_t arch_token, int nr);
