/* SPDX-License-Identifier: Apache-2.0 */
/* A seccomp profile learned elsewhere (another node's, pulled from a
 * registry) as one contribution to the store: an observation that
 * osl_store_merge unions into the image's profile like any container's
 * (doc/artifacts.md, "Registries"). */
#pragma once

#include "observation.h"

typedef struct osl_contribution {
        const char *source;       /* who contributed it; the history record's containerId,
                                   * e.g. "registry:127.0.0.1:5000/app@sha256:..." */
        const char *time;         /* RFC 3339, when it was made; NULL or not RFC 3339: the epoch */
        const char *image_tag;    /* may be NULL */
        const char *image_digest; /* may be NULL */
        const char *profile;      /* the JSON of a seccomp profile that allows a list of syscalls */
        size_t len;
} osl_contribution;

/* The observation of c for image_key: every syscall the profile allows,
 * on each of its architectures (the native one when it names none), as
 * the application's, seen once. The same contribution gives the same
 * container id and start time, so merging it twice changes nothing.
 * Refused (-EINVAL): a profile that is not one, or one that does more than
 * allow syscalls (argument conditions, actions other than SCMP_ACT_ALLOW):
 * such a rule cannot be a learned syscall. */
int osl_contribution_observation(const char *image_key, const osl_contribution *c, osl_observation **out,
                                 osl_error *err);
