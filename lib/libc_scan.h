/* SPDX-License-Identifier: Apache-2.0 */
/* Which syscalls each function a C library exports can make, found by
 * disassembling that library (capstone) rather than from a table: the
 * `syscall` instructions, the numbers loaded into eax/rax before them
 * (traced back through the blocks that lead there), and the direct calls and
 * jumps between the library's functions (doc/prediction.md). x86_64 only. */
#pragma once

#include "util.h"

typedef struct osl_libc_function {
        char *name;      /* exported name, e.g. "fsync" */
        char **syscalls; /* sorted libseccomp names, NULL-terminated (may be empty) */
} osl_libc_function;

typedef struct osl_libc_map {
        osl_libc_function *functions; /* sorted by name */
        size_t n_functions;
        size_t syscall_sites;   /* syscall instructions found */
        size_t resolved_sites;  /* ... whose number was found */
} osl_libc_map;

void osl_libc_map_free(osl_libc_map *m);
static inline void osl_libc_map_freep(osl_libc_map **m) { osl_libc_map_free(*m); }
#define _cleanup_libc_map_ _cleanup_(osl_libc_map_freep)

/* The map's name for what the object's ELF entry point reaches: for a
 * dynamic loader (ld.so, musl's libc.so), its start-up before the program. */
#define OSL_LIBC_ENTRY "(entry)"

/* The call graph followed from an exported function is cut at this depth. */
#define OSL_LIBC_CALL_DEPTH 6

/* Analyses the x86_64 ELF shared object open on fd (what names it in
 * messages). -ENOTSUP with a message when it is not an x86_64 ELF object. */
int osl_libc_analyse(int fd, const char *what, osl_libc_map **out, osl_error *err);

/* The entry for an exported function, NULL when the library has none. */
const osl_libc_function *osl_libc_map_find(const osl_libc_map *m, const char *name);
