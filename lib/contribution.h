/* SPDX-License-Identifier: Apache-2.0 */
/* A seccomp profile learned elsewhere (another node's, pulled from a
 * registry) as one contribution to the store: an observation that
 * osl_store_merge unions into the image's profile like any container's
 * (doc/artifacts.md, "Registries"). */
#pragma once

#include "observation.h"
#include "oci_layout.h"
#include "registry.h"
#include "store.h"

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

/* ---- profiles as OCI artifacts (doc/artifacts.md) ---- */

/* Version `version` (0: current) of an image's stored profile as the
 * artifact `profile attach` and `profile push` write: the OCI profile (at
 * most OSL_OCI_MAX_PROFILE bytes, CRI-O's limit, else -EFBIG), annotated
 * with when that version was made (its history record, so that a version's
 * artifact is the same bytes whenever it is made), the image and the
 * version. */
typedef struct osl_profile_artifact {
        osl_learned *learned;
        char *profile;
        char created[32];
        char version[16];
        char *annotations[7];
        osl_oci_artifact artifact; /* points into the above */
} osl_profile_artifact;

int osl_profile_artifact_make(osl_store *s, const char *image_key, uint32_t version, osl_profile_artifact *out,
                              osl_error *err);
void osl_profile_artifact_clear(osl_profile_artifact *p);

/* An artifact that names the image it was learned for must be image_key's:
 * a profile of another image is not taken for it. -EINVAL ("is for X, not
 * Y") otherwise; one that names none passes. */
int osl_profile_artifact_check_image(const osl_oci_fetched *f, const char *image_key, osl_error *err);

/* A pulled artifact of reg as a contribution to image_key's profile
 * (osl_contribution_observation): its source names the registry,
 * repository and artifact digest, its time the artifact's created
 * annotation. */
int osl_registry_contribution(const osl_registry *reg, const osl_oci_fetched *f, const char *image_key,
                              osl_observation **out, osl_error *err);
