/* SPDX-License-Identifier: Apache-2.0 */
/* The one code path that puts a mode's filter into a container's config,
 * shared by `inject` (a bundle on disk), `precreate` (podman's precreate
 * hook stage) and `runtime` (the OCI runtime wrapper). */
#pragma once

#include "json.h"
#include "vocabulary.h"


typedef struct osl_inject_options {
        const char *store_root;   /* NULL: $OCI_SECCOMP_LEARN_STORE or the default */
        const char *run_dir;      /* NULL: $OCI_SECCOMP_LEARN_RUNDIR or the default */
        const char *mode;         /* forced mode (--mode); NULL: the annotation, else default_mode */
        const char *default_mode; /* when the config has no mode annotation; NULL: "off" */
        const char *bundle;       /* the bundle directory, when known (podman storage lookup) */
        /* When set, our prestart and poststop hooks (this binary) are added to
         * the config in learn and complain mode: runc has no hooks.d. */
        const char *hook_binary;
        /* enforce: the action for calls outside the profile ("SCMP_ACT_ERRNO"
         * with errno EPERM, or "SCMP_ACT_KILL_PROCESS"). NULL: ERRNO. */
        const char *enforce_default_action;
        /* complain/enforce for an image with no stored profile: false (the
         * default) refuses, so the container does not start; true runs it
         * with its own seccomp profile and says so in result->warning. */
        bool missing_profile_runs;
        /* The node admin lets io.seccomp-learn.image name the image even
         * when the engine names another (doc/security.md). Off by default:
         * whoever sets annotations would choose whose profile they write. */
        bool trust_image_annotation;
        /* complain/enforce: "families" or "none" (lib/families.h); NULL: the
         * annotation io.seccomp-learn.generalize, else families. */
        const char *generalize;
        /* complain/enforce: "observed" (the default) or "predicted", which
         * also allows the image's predicted set (doc/prediction.md); NULL:
         * the annotation io.seccomp-learn.include, else observed. */
        const char *include;
        /* The image when neither the engine nor io.seccomp-learn.image names
         * one (the wrapper's $OCI_SECCOMP_LEARN_DEFAULT_IMAGE, set by the
         * node admin); written into the config as that annotation, so the
         * hooks and the agent key the container the same way. NULL: none. */
        const char *default_image;
        /* learn/complain: "notify" or "log" (doc/learning.md, "Methods");
         * NULL: the annotation io.seccomp-learn.method, else notify. */
        const char *method;
} osl_inject_options;

typedef struct osl_inject_result {
        osl_mode mode;
        bool changed;          /* the config was modified */
        bool learning;         /* a learning filter was put in */
        size_t notified;       /* syscall names the learning filter notifies */
        bool log_method;       /* learn/complain through SCMP_ACT_LOG records */
        uint32_t version;      /* the stored version used (learn: converging from; enforce: enforced) */
        size_t capabilities_removed; /* enforce: capabilities taken away */
        char image_key[512];   /* empty when unknown */
        /* Why learning was skipped (the container still runs), for the
         * caller to report; empty when nothing to say. */
        char warning[1024];
} osl_inject_result;

/* Applies the mode to cfg in memory. Returns 0 also when learning had to be
 * skipped (see result->warning): a learn-mode container always runs.
 * Returns < 0 for a config that cannot be handled, a bad mode, and in
 * enforce and complain mode when there is no profile to enforce. */
int osl_inject(jv *cfg, const osl_inject_options *opts, osl_inject_result *result, osl_error *err);

/* osl_inject on BUNDLE/config.json, written back atomically when changed.
 * A bundle that this function rewrote before (and nobody changed since) is
 * rebuilt from the config it had before, so a bundle run twice gets a
 * fresh filter instead of being taken for another agent's. The config must
 * be a regular file. */
int osl_inject_bundle_config(const char *bundle, const osl_inject_options *opts, osl_inject_result *res,
                             osl_error *err);
