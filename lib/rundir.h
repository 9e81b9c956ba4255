/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime directory shared by the agent and the hooks:
 *   RUN/agent.sock                  the agent's seccomp-agent socket
 *   RUN/observations/<id>.json      what the agent saw of a container
 *   RUN/containers/<id>.json        the prestart hook's registration
 *   RUN/pending/<id>@<start>.json   observations poststop could not merge (pending.h) */
#pragma once

#include "util.h"

#define OSL_DEFAULT_RUNDIR "/run/oci-seccomp-learn"
#define OSL_RUNDIR_ENV "OCI_SECCOMP_LEARN_RUNDIR"

/* run_dir NULL: $OCI_SECCOMP_LEARN_RUNDIR, else the default. */
const char *osl_rundir(const char *run_dir);
/* Path of a file under the run dir; kind is "observations" or "containers".
 * The container id must be a safe name (osl_container_id_valid). */
int osl_rundir_path(const char *run_dir, const char *kind, const char *container_id, char **out,
                    osl_error *err);
int osl_agent_socket_path(const char *run_dir, char **out);
/* Container ids are used as file names: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. */
bool osl_container_id_valid(const char *id);
