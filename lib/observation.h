/* SPDX-License-Identifier: Apache-2.0 */
/* What one container was seen to use (schema/observation.schema.json).
 * Written by the agent when a container's filter has no users left, read by
 * poststop and by `profile merge`. */
#pragma once

#include "json.h"

typedef enum osl_origin {
        OSL_ORIGIN_RUNTIME = 0,     /* the runtime's own calls, before the entrypoint's execve */
        OSL_ORIGIN_APPLICATION = 1, /* from the entrypoint's execve on */
        _OSL_ORIGIN_MAX,
} osl_origin;
const char *osl_origin_name(osl_origin o); /* "runtime", "application" */

typedef struct osl_obs_syscall {
        char *arch; /* OCI name, "SCMP_ARCH_X86_64" */
        char *name;
        osl_origin origin;
        uint64_t count;
        bool implied; /* not notified but implied (see doc/learning.md: write) */
} osl_obs_syscall;

typedef struct osl_obs_capability {
        char *name;     /* "CAP_NET_BIND_SERVICE" */
        char *evidence; /* "bind(port 80)" */
        uint64_t count;
} osl_obs_capability;

typedef struct osl_observation {
        char *container_id;
        char *image_key;
        char *image_name;   /* may be NULL */
        char *image_tag;    /* may be NULL */
        char *image_digest; /* may be NULL */
        char *start_time;   /* RFC 3339 */
        char *end_time;
        char *method;       /* "notify", "log", "manual" */
        uint64_t notifications;
        osl_obs_syscall *syscalls;
        size_t n_syscalls;
        osl_obs_capability *capabilities;
        size_t n_capabilities;
} osl_observation;

osl_observation *osl_observation_new(void);
void osl_observation_free(osl_observation *o);
static inline void osl_observation_freep(osl_observation **o) { osl_observation_free(*o); }
#define _cleanup_observation_ _cleanup_(osl_observation_freep)

/* Adds count to (arch, name, origin), creating the entry when new. */
int osl_observation_add(osl_observation *o, const char *arch, const char *name, osl_origin origin,
                        uint64_t count, bool implied);
int osl_observation_add_capability(osl_observation *o, const char *name, const char *evidence);

int osl_observation_from_jv(const jv *v, osl_observation **out, osl_error *err);
int osl_observation_to_jv(const osl_observation *o, jv **out, osl_error *err);
int osl_observation_load(const char *path, osl_observation **out, osl_error *err);
int osl_observation_write(const osl_observation *o, const char *path, osl_error *err); /* atomic */

/* Added with the store (lib/observation.c): the distinct syscall names in o
 * that libseccomp does not know (osl_syscall_known), sorted. They are kept
 * in observations and profiles (a newer kernel may have them); callers warn
 * about them. NULL-terminated; free with strvfreep. -ENOMEM only. */
int osl_observation_unknown_syscalls(const osl_observation *o, char ***names, size_t *n);
