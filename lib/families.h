/* SPDX-License-Identifier: Apache-2.0 */
/* Syscall families: syscalls that reach the same kernel functionality
 * through another entry point and need no privilege that another member
 * does not need (positional and vectored I/O, the *at forms of path calls,
 * pipe/pipe2, ...). A test run that saw `write` did not exercise `writev`
 * only because the libc or the data happened to differ; enforce with the
 * policy "families" allows every member of a family one of whose members
 * was learned. One row per family, each justified in doc/profiles.md and
 * checked by test/core/test_families.c. Names are libseccomp's. */
#pragma once

#include "util.h"
#include "vocabulary.h"

typedef struct osl_family {
        const char *name;            /* "write", "open", ... */
        const char *const *members;  /* NULL-terminated */
} osl_family;

/* The table, ending with an entry whose name is NULL. */
extern const osl_family osl_families[];

/* The family a syscall belongs to, or NULL. */
const osl_family *osl_family_of(const char *syscall);

/* --generalize and the annotation io.seccomp-learn.generalize. */
typedef enum osl_generalize {
        OSL_GENERALIZE_FAMILIES = 0, /* the default */
        OSL_GENERALIZE_NONE,
} osl_generalize;
int osl_generalize_parse(const char *s, osl_generalize *out);
const char *osl_generalize_name(osl_generalize g);

/* osl_syscall_implied_for_application: lib/vocabulary.h. */

/* The syscalls a profile allows only through a family: for each
 * architecture of the profile, the members of a family one of whose members
 * was learned there, that were not learned there themselves and that the
 * architecture has. Derived when asked, never stored. */
struct osl_learned;
typedef struct osl_generalized {
        const char *arch;   /* points into the profile */
        const char *name;   /* static (the table) */
        const char *family; /* static */
        const char *from;   /* the learned member, points into the profile */
} osl_generalized;
int osl_learned_generalized(const struct osl_learned *l, osl_generalized **out, size_t *n, osl_error *err);
