/* SPDX-License-Identifier: Apache-2.0 */
/* Observations whose merge failed, kept for a later one (pending.h). */
#include "pending.h"

#include <dirent.h>
#include <string.h>

#include "rundir.h"

int osl_pending_keep(const char *run_dir, const char *obs_path, const osl_observation *obs, char **path_out,
                     osl_error *err)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        const char *base = strrchr(obs_path, '/');
        base = base ? base + 1 : obs_path;
        size_t stem = strlen(base);
        if (stem > 5 && strcmp(base + stem - 5, ".json") == 0)
                stem -= 5;
        int r;

        if (!obs->image_key)
                return osl_err(err, -EINVAL, "%s: the observation names no image", obs_path);
        /* The start time keeps a reused container id from replacing an older
         * observation; the reader checked it is RFC 3339 (no '/'). */
        if (stem == 0 || !obs->start_time || strchr(obs->start_time, '/'))
                return osl_err(err, -EINVAL, "%s: cannot name a pending observation after it", obs_path);
        if (osl_asprintf(&dir, "%s/" OSL_PENDING_DIR, osl_rundir(run_dir)) < 0 ||
            osl_asprintf(&path, "%s/%.*s@%s.json", dir, (int) stem, base, obs->start_time) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = osl_mkdir_p(dir, 0700, err)) < 0 || (r = osl_observation_write(obs, path, err)) < 0)
                return r;
        if (unlink(obs_path) < 0 && errno != ENOENT)
                return osl_err(err, -errno, "cannot remove %s (kept as %s too): %m", obs_path, path);
        if (path_out)
                *path_out = TAKE_PTR(path);
        return 0;
}

void osl_take_result_clear(osl_take_result *res)
{
        free(res->image_key);
        *res = (osl_take_result) {};
}

int osl_observation_take(const char *store_root, const char *run_dir, const char *obs_path, const char *fallback_key,
                         osl_mode mode, uint32_t version, unsigned lock_timeout_ms, osl_take_result *res,
                         osl_error *err)
{
        _cleanup_observation_ osl_observation *obs = NULL;
        _cleanup_store_ osl_store *store = NULL;
        _cleanup_free_ char *pending = NULL;
        osl_error cause = {}, keep_err = {};
        int r;

        *res = (osl_take_result) {};
        if (mode != OSL_MODE_LEARN && mode != OSL_MODE_COMPLAIN)
                return osl_err(err, -EINVAL, "%s mode takes no observation", osl_mode_name(mode));
        if ((r = osl_observation_load(obs_path, &obs, err)) < 0)
                return r;
        const char *key = obs->image_key ? obs->image_key : fallback_key;
        if (!key)
                return osl_err(err, -EINVAL, "cannot tell which image it ran; set the annotation %s",
                               OSL_ANNOTATION_IMAGE);
        if (!(res->image_key = strdup(key)))
                return osl_err(err, -ENOMEM, "out of memory");
        r = osl_store_open(store_root, true, &store, &cause);
        if (r >= 0) {
                osl_store_set_lock_timeout(store, lock_timeout_ms);
                res->drift = mode == OSL_MODE_COMPLAIN;
                r = res->drift ? osl_store_record_drift(store, key, version, obs, &res->drift_res, &cause)
                               : osl_store_merge(store, key, obs, &res->merge, &cause);
        }
        if (r >= 0) {
                unlink(obs_path);
                return 0;
        }
        if (mode != OSL_MODE_LEARN)
                /* The observation stays in the run dir, so nothing is lost. */
                return osl_err(err, r, "%s (observation kept in %s)", cause.msg, obs_path);
        if (!obs->image_key && !(obs->image_key = strdup(key)))
                keep_err = (osl_error) { -ENOMEM, "out of memory" };
        else
                (void) osl_pending_keep(run_dir, obs_path, obs, &pending, &keep_err);
        if (!pending)
                return osl_err(err, r, "%s (observation left in %s: %s)", cause.msg, obs_path, keep_err.msg);
        res->pending = true;
        return osl_err(err, r, "%s (observation kept in %s for a later merge)", cause.msg, pending);
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The pending files' paths, sorted; none when the directory is missing. */
static int pending_list(const char *run_dir, char ***out, size_t *n, osl_error *err)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_ char **paths = NULL;
        size_t n_paths = 0;

        if (osl_asprintf(&dir, "%s/" OSL_PENDING_DIR, osl_rundir(run_dir)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        DIR *d = opendir(dir);
        if (!d && errno != ENOENT)
                return osl_err(err, -errno, "cannot read %s: %m", dir);
        for (struct dirent *de; d && (errno = 0, de = readdir(d));) {
                size_t len = strlen(de->d_name);
                _cleanup_free_ char *path = NULL;
                if (de->d_name[0] == '.' || len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
                        continue;
                if (osl_asprintf(&path, "%s/%s", dir, de->d_name) < 0 || osl_strv_push(&paths, &n_paths, path) < 0) {
                        closedir(d);
                        return osl_err(err, -ENOMEM, "out of memory");
                }
        }
        if (d && errno != 0) {
                int r = osl_err(err, -errno, "cannot read %s: %m", dir);
                closedir(d);
                return r;
        }
        if (d)
                closedir(d);
        if (n_paths > 1)
                qsort(paths, n_paths, sizeof(char *), str_cmp);
        *out = TAKE_PTR(paths);
        *n = n_paths;
        return 0;
}

int osl_pending_merge_all(const char *store_root, const char *run_dir, char *const *skip_keys, unsigned lock_timeout_ms,
                          unsigned budget_ms, osl_pending_report report, void *userdata, osl_error *err)
{
        _cleanup_strv_ char **paths = NULL, **failed_keys = NULL;
        _cleanup_store_ osl_store *store = NULL;
        uint64_t start = osl_monotonic_ms();
        size_t n = 0, left = 0;
        int r;

        if ((r = pending_list(run_dir, &paths, &n, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                _cleanup_observation_ osl_observation *obs = NULL;
                osl_merge_result res = {};
                osl_error e = {};
                unsigned wait_ms = lock_timeout_ms;

                if (budget_ms > 0) {
                        uint64_t spent = osl_monotonic_ms() - start;
                        if (spent >= budget_ms) {
                                left += n - i;
                                break;
                        }
                        if (budget_ms - spent < wait_ms)
                                wait_ms = (unsigned) (budget_ms - spent);
                }
                if ((r = osl_observation_load(paths[i], &obs, &e)) >= 0 && !obs->image_key)
                        r = osl_err(&e, -EINVAL, "%s: the observation names no image", paths[i]);
                if (r >= 0 && osl_strv_contains(skip_keys, obs->image_key))
                        continue; /* the caller's to count */
                if (r >= 0 && osl_strv_contains(failed_keys, obs->image_key)) {
                        left++; /* its image failed just now: later */
                        continue;
                }
                if (r >= 0 && !store && (r = osl_store_open(store_root, true, &store, &e)) < 0) {
                        /* No store, no merge: everything stays. */
                        report(userdata, paths[i], obs->image_key, r, NULL, &e);
                        left += n - i;
                        break;
                }
                if (r >= 0) {
                        osl_store_set_lock_timeout(store, wait_ms);
                        if ((r = osl_store_merge(store, obs->image_key, obs, &res, &e)) < 0)
                                osl_err_prefix(&e, "%s", paths[i]);
                }
                if (r >= 0 && unlink(paths[i]) < 0 && errno != ENOENT)
                        r = osl_err(&e, -errno, "merged, but cannot remove %s: %m", paths[i]);
                if (r < 0) {
                        left++;
                        if (obs && obs->image_key && osl_strv_push(&failed_keys, NULL, obs->image_key) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
                report(userdata, paths[i], obs ? obs->image_key : NULL, r, r >= 0 ? &res : NULL, &e);
        }
        return (int) (left > INT32_MAX ? INT32_MAX : left);
}
