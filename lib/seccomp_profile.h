/* SPDX-License-Identifier: Apache-2.0 */
/* Seccomp profiles in the JSON form that docker, podman, containerd, kubelet
 * and the OCI runtime spec (linux.seccomp) use. One model for both: the OCI
 * form is the Docker form without archMap/includes/excludes/comment. */
#pragma once

#include "json.h"

typedef struct osl_seccomp_arg {
        uint32_t index;
        uint64_t value;
        uint64_t value_two;
        char *op; /* "SCMP_CMP_EQ", ... */
} osl_seccomp_arg;

typedef struct osl_seccomp_rule {
        char **names; /* NULL-terminated; "name" (singular, old Docker form) is folded in */
        size_t n_names;
        char *action; /* "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", ... */
        bool has_errno_ret;
        uint32_t errno_ret;
        osl_seccomp_arg *args;
        size_t n_args;
        char *comment;
        jv *includes; /* Docker form only, kept as written: {caps, arches, minKernel} */
        jv *excludes;
} osl_seccomp_rule;

typedef struct osl_seccomp {
        char *default_action;
        bool has_default_errno_ret;
        uint32_t default_errno_ret;
        char **architectures; /* NULL-terminated OCI names */
        size_t n_architectures;
        jv *arch_map; /* Docker "archMap", kept as written */
        char **flags; /* NULL-terminated */
        size_t n_flags;
        char *listener_path;
        char *listener_metadata;
        osl_seccomp_rule *rules;
        size_t n_rules;
        /* Names that libseccomp does not know, collected while parsing. They
         * are kept in the rules (a newer kernel may know them) and reported. */
        char **unknown_names;
        size_t n_unknown_names;
} osl_seccomp;

osl_seccomp *osl_seccomp_new(void);
void osl_seccomp_free(osl_seccomp *s);
static inline void osl_seccomp_freep(osl_seccomp **s) { osl_seccomp_free(*s); }
#define _cleanup_seccomp_ _cleanup_(osl_seccomp_freep)

/* Parses a profile (Docker or OCI form). Wrong types, unknown actions or
 * operators and unknown architectures are errors whose message names the
 * JSON path (e.g. "syscalls[3].args[0].op"). */
int osl_seccomp_from_jv(const jv *v, osl_seccomp **out, osl_error *err);
int osl_seccomp_load_file(const char *path, osl_seccomp **out, osl_error *err);

typedef enum osl_seccomp_form {
        OSL_SECCOMP_DOCKER, /* everything, as docker/podman/kubelet read it */
        OSL_SECCOMP_OCI,    /* what linux.seccomp in config.json takes */
} osl_seccomp_form;
int osl_seccomp_to_jv(const osl_seccomp *s, osl_seccomp_form form, jv **out, osl_error *err);

/* Turns a Docker profile into the plain OCI form for one container: rules
 * whose includes/excludes (caps, arches, minKernel) do not match are
 * dropped, archMap becomes architectures. caps are capability names such as
 * "CAP_SYS_ADMIN" (the container's bounding set). */
int osl_seccomp_resolve(const osl_seccomp *docker, char *const *caps, size_t n_caps, osl_seccomp **out,
                        osl_error *err);

/* Adds a rule (copies names). */
int osl_seccomp_add_rule(osl_seccomp *s, char *const *names, size_t n_names, const char *action,
                         osl_error *err);
/* The same, with errnoRet and the argument conditions of like (may be NULL). */
int osl_seccomp_add_rule_like(osl_seccomp *s, char *const *names, size_t n_names, const char *action,
                              const osl_seccomp_rule *like, osl_error *err);
osl_seccomp *osl_seccomp_dup(const osl_seccomp *s);

bool osl_seccomp_action_valid(const char *action);

/* Added by the profile helper. */

/* osl_seccomp_resolve for a given architecture (OCI name) and kernel release
 * ("6.1.0-18-amd64"); NULL means the native architecture / uname's release.
 * includes/excludes "arches" use Docker's short names (amd64, arm64, x86, x32,
 * arm, s390x, ...), minKernel is compared as major.minor.patch.
 * Note: osl_seccomp_to_jv(OSL_SECCOMP_OCI) refuses rules that still carry
 * includes/excludes conditions (they must be resolved first), and turns
 * archMap into the native architecture's "architectures". */
int osl_seccomp_resolve_for(const osl_seccomp *docker, char *const *caps, size_t n_caps, const char *oci_arch,
                            const char *kernel_release, osl_seccomp **out, osl_error *err);
