/* SPDX-License-Identifier: Apache-2.0 */
#include "rundir.h"

#include <limits.h>
#include <string.h>

#include "sha256.h"

const char *osl_rundir(const char *run_dir)
{
        if (run_dir && *run_dir)
                return run_dir;
        const char *env = getenv(OSL_RUNDIR_ENV);
        return env && *env ? env : OSL_DEFAULT_RUNDIR;
}

bool osl_container_id_valid(const char *id)
{
        size_t len = id ? strlen(id) : 0;
        if (len == 0 || len > 128)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = id[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          (i > 0 && (c == '_' || c == '.' || c == '-'));
                if (!ok)
                        return false;
        }
        return true;
}

int osl_instance_key(const char *container_id, const char *bundle, char out[static OSL_INSTANCE_KEY_SIZE],
                     osl_error *err)
{
        char q[96], resolved[PATH_MAX], hex[OSL_SHA256_HEX_SIZE];

        if (!osl_container_id_valid(container_id))
                return osl_err(err, -EINVAL, "container id %s is not a safe file name",
                               osl_quote(container_id, q, sizeof(q)));
        if (!bundle)
                bundle = "";
        else if (bundle[0] == '/' && realpath(bundle, resolved))
                bundle = resolved;
        osl_sha256_hex(bundle, strlen(bundle), hex);
        snprintf(out, OSL_INSTANCE_KEY_SIZE, "%s-%.*s", container_id, OSL_INSTANCE_HASH_LEN, hex);
        return 0;
}

int osl_rundir_path(const char *run_dir, const char *kind, const char *container_id, const char *bundle,
                    char **out, osl_error *err)
{
        char key[OSL_INSTANCE_KEY_SIZE];
        int r = osl_instance_key(container_id, bundle, key, err);
        if (r < 0)
                return r;
        if (osl_asprintf(out, "%s/%s/%s.json", osl_rundir(run_dir), kind, key) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_agent_socket_path(const char *run_dir, char **out)
{
        return osl_asprintf(out, "%s/agent.sock", osl_rundir(run_dir)) < 0 ? -ENOMEM : 0;
}

bool osl_log_collector_running(const char *run_dir)
{
        _cleanup_free_ char *path = NULL;
        if (osl_asprintf(&path, "%s/" OSL_LOG_COLLECTOR_FILE, osl_rundir(run_dir)) < 0)
                return false;
        return access(path, F_OK) == 0;
}
