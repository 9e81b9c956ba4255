/* SPDX-License-Identifier: Apache-2.0 */
#include "registration.h"

#include <string.h>

#include "json.h"
#include "rundir.h"

int osl_registration_write(const char *run_dir, const osl_registration *reg, osl_error *err)
{
        _cleanup_free_ char *path = NULL, *dir = NULL;
        _cleanup_jv_ jv *v = jv_new_object();
        char now[32];
        int r;

        r = osl_rundir_path(run_dir, "containers", reg->container_id, reg->bundle, &path, err);
        if (r < 0)
                return r;
        if (osl_asprintf(&dir, "%s/containers", osl_rundir(run_dir)) < 0 || !v)
                return osl_err(err, -ENOMEM, "out of memory");
        r = osl_mkdir_p(dir, 0700, err);
        if (r < 0)
                return r;
        osl_now_rfc3339(now);
        if (jv_obj_set(v, "containerId", jv_new_string(reg->container_id)) < 0 ||
            jv_obj_set(v, "imageKey", reg->image_key ? jv_new_string(reg->image_key) : jv_new_null()) < 0 ||
            jv_obj_set(v, "mode", jv_new_string(reg->mode)) < 0 ||
            jv_obj_set(v, "pid", jv_new_int(reg->pid)) < 0 ||
            jv_obj_set(v, "bundle", reg->bundle ? jv_new_string(reg->bundle) : jv_new_null()) < 0 ||
            jv_obj_set(v, "learning", jv_new_bool(reg->learning)) < 0 ||
            jv_obj_set(v, "version", jv_new_uint(reg->version)) < 0 ||
            jv_obj_set(v, "startTime", jv_new_string(reg->start_time ? reg->start_time : now)) < 0 ||
            (reg->method && jv_obj_set(v, "method", jv_new_string(reg->method)) < 0))
                return osl_err(err, -ENOMEM, "out of memory");
        /* The run dir's temporary file: no fsync. */
        return jv_write_file_atomic_nosync(v, path, 0600, err);
}

void osl_registration_clear(osl_registration_owned *reg)
{
        free(reg->container_id);
        free(reg->image_key);
        free(reg->mode);
        free(reg->bundle);
        free(reg->start_time);
        *reg = (osl_registration_owned){};
}

int osl_registration_load(const char *run_dir, const char *container_id, const char *bundle,
                          osl_registration_owned *out, osl_error *err)
{
        _cleanup_free_ char *path = NULL;
        int r = osl_rundir_path(run_dir, "containers", container_id, bundle, &path, err);
        if (r < 0)
                return r;
        return osl_registration_load_path(path, out, err);
}

int osl_registration_load_path(const char *path, osl_registration_owned *out, osl_error *err)
{
        _cleanup_jv_ jv *v = NULL;
        int64_t pid = 0;
        int r = jv_parse_file(path, 64 * 1024, &v, err);
        if (r < 0)
                return r;
        if (!jv_str(jv_obj_get(v, "containerId")) || !jv_str(jv_obj_get(v, "mode")))
                return osl_err(err, -EINVAL, "%s: not a container registration", path);
        jv_get_int64(jv_obj_get(v, "pid"), &pid);
        osl_registration_owned reg = {
                .container_id = strdup(jv_str(jv_obj_get(v, "containerId"))),
                .image_key = osl_strdup(jv_str(jv_obj_get(v, "imageKey"))),
                .mode = strdup(jv_str(jv_obj_get(v, "mode"))),
                .bundle = osl_strdup(jv_str(jv_obj_get(v, "bundle"))),
                .start_time = osl_strdup(jv_str(jv_obj_get(v, "startTime"))),
                .pid = (int) pid,
                .log = jv_str(jv_obj_get(v, "method")) && strcmp(jv_str(jv_obj_get(v, "method")), "log") == 0,
        };
        jv_get_bool(jv_obj_get(v, "learning"), &reg.learning);
        uint64_t version = 0;
        if (jv_get_uint64(jv_obj_get(v, "version"), &version) && version <= UINT32_MAX)
                reg.version = (uint32_t) version;
        if (!reg.container_id || !reg.mode) {
                osl_registration_clear(&reg);
                return osl_err(err, -ENOMEM, "out of memory");
        }
        *out = reg;
        return 0;
}

int osl_registration_remove(const char *run_dir, const char *container_id, const char *bundle)
{
        _cleanup_free_ char *path = NULL;
        osl_error err;
        if (osl_rundir_path(run_dir, "containers", container_id, bundle, &path, &err) < 0)
                return -EINVAL;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}
