/* SPDX-License-Identifier: Apache-2.0 */
#include "rundir.h"

#include <string.h>

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

int osl_rundir_path(const char *run_dir, const char *kind, const char *container_id, char **out,
                    osl_error *err)
{
        if (!osl_container_id_valid(container_id))
                return osl_err(err, -EINVAL, "container id \"%.64s\" is not a safe file name", container_id ? container_id : "");
        if (osl_asprintf(out, "%s/%s/%s.json", osl_rundir(run_dir), kind, container_id) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_agent_socket_path(const char *run_dir, char **out)
{
        return osl_asprintf(out, "%s/agent.sock", osl_rundir(run_dir)) < 0 ? -ENOMEM : 0;
}
