/* SPDX-License-Identifier: Apache-2.0 */
/* Observations waiting for a merge that failed (doc/store.md, "Pending
 * observations"):
 *
 *   RUN/pending/<name>@<startTime>.json
 *
 * Only a poststop hook that could not merge its container's observation
 * (lock timeout, damaged store, full disk) puts a file here, with the image
 * key filled in; the agent never writes here. So everything here belongs to
 * a container that is gone, and merging it races with nobody: the next
 * poststop hook merges what is pending after its own container's
 * observation, and `profile merge --pending` does it by hand. */
#pragma once

#include "observation.h"
#include "store.h"
#include "vocabulary.h"

#define OSL_PENDING_DIR "pending"

/* Writes obs (whose image key must be set) to RUN/pending/ atomically, 0600,
 * named after obs_path's file name and the observation's start time; then
 * removes obs_path. *path_out (optional): the new file. */
int osl_pending_keep(const char *run_dir, const char *obs_path, const osl_observation *obs, char **path_out,
                     osl_error *err);

/* Called once per pending observation tried: r < 0 with err when it stays
 * pending, else res says what the merge did (the file is removed then).
 * image_key is NULL when the file could not be read. */
typedef void (*osl_pending_report)(void *userdata, const char *path, const char *image_key, int r,
                                   const osl_merge_result *res, const osl_error *err);

/* Merges every pending observation into the store at store_root (NULL: the
 * default), in file name order, removing each one merged (or merged
 * before). Observations of the images in skip_keys, and after a failure the
 * image's other observations, are left for later. Each lock is waited for at most lock_timeout_ms; with budget_ms > 0
 * no lock is waited for beyond budget_ms from the start, and nothing is
 * started after it. The store is opened only when something is pending.
 * Returns how many observations are still pending, not counting those of
 * skip_keys, or -errno when the directory cannot be read. */
int osl_pending_merge_all(const char *store_root, const char *run_dir, char *const *skip_keys, unsigned lock_timeout_ms,
                          unsigned budget_ms, osl_pending_report report, void *userdata, osl_error *err);

/* What the poststop hook does with a container's observation (obs_path, as
 * the agent wrote it; doc/store.md):
 *  - learn: merges it into the image's profile; complain: records what it
 *    used outside version `version` (0: the current one) as drift, never a
 *    new version. Either way obs_path is removed then.
 *  - Learning never stops a container and loses nothing it saw: in learn
 *    mode an observation that cannot be merged (lock timeout, damaged store,
 *    full disk) is kept in RUN/pending/ for the next poststop or `profile
 *    merge --pending`; otherwise it stays where it is.
 * fallback_key: the image when the observation names none (the
 * registration's); each lock is waited for at most lock_timeout_ms.
 * Returns 0 when merged or recorded; else -errno, err saying why and where
 * the observation is now. */
typedef struct osl_take_result {
        char *image_key;            /* the image, once known (owned) */
        bool drift;                 /* complain: drift was recorded (drift_res), else merged (merge) */
        osl_merge_result merge;
        osl_drift_result drift_res;
        bool pending;               /* failed, kept in RUN/pending/ */
} osl_take_result;

void osl_take_result_clear(osl_take_result *res);
int osl_observation_take(const char *store_root, const char *run_dir, const char *obs_path, const char *fallback_key,
                         osl_mode mode, uint32_t version, unsigned lock_timeout_ms, osl_take_result *res,
                         osl_error *err);
