/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime directory shared by the agent and the hooks:
 *   RUN/agent.sock                  the agent's seccomp-agent socket
 *   RUN/observations/<key>.json     what the agent saw of a container
 *   RUN/containers/<key>.json       the prestart hook's registration
 *   RUN/pending/<id>@<start>.json   observations poststop could not merge (pending.h)
 * <key> names one container instance (osl_instance_key). */
#pragma once

#include "util.h"

#define OSL_DEFAULT_RUNDIR "/run/oci-seccomp-learn"
#define OSL_RUNDIR_ENV "OCI_SECCOMP_LEARN_RUNDIR"

/* run_dir NULL: $OCI_SECCOMP_LEARN_RUNDIR, else the default. */
const char *osl_rundir(const char *run_dir);

/* Hex digits of the bundle's SHA-256 in an instance key. */
#define OSL_INSTANCE_HASH_LEN 16
/* An instance key with its NUL: a 128-byte id, '-', the hash. */
#define OSL_INSTANCE_KEY_SIZE (128 + 1 + OSL_INSTANCE_HASH_LEN + 1)

/* The name of one container instance in the run dir, the same for the agent
 * (the runtime's message) and the hooks (the state on stdin):
 * "<id>-<first 16 hex digits of the SHA-256 of the bundle path>". Two
 * runtimes (runc roots, containerd namespaces, engines) may reuse an id, but
 * not a bundle directory. An absolute bundle that exists is hashed as
 * realpath() gives it (runc reports a resolved path, podman runs poststop
 * with its own); otherwise, and for NULL (hashed as ""), the string as
 * given. -EINVAL when the id is not a safe name (osl_container_id_valid). */
int osl_instance_key(const char *container_id, const char *bundle, char out[static OSL_INSTANCE_KEY_SIZE],
                     osl_error *err);
/* Path of a container instance's file under the run dir; kind is
 * "observations" or "containers". */
int osl_rundir_path(const char *run_dir, const char *kind, const char *container_id, const char *bundle,
                    char **out, osl_error *err);
int osl_agent_socket_path(const char *run_dir, char **out);
/* Container ids are used in file names: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. */
bool osl_container_id_valid(const char *id);

/* RUNDIR/audit-collector: present while a worker's collector runs (inject
 * checks it before choosing the log method); holds the serial of the last
 * audit record read, rewritten at most every OSL_AGENT_CHECKPOINT_MS. A
 * restarted worker counts the serials between it and the first record it
 * reads as missed by every container it resumes. */
#define OSL_LOG_COLLECTOR_FILE "audit-collector"
/* Whether a worker's collector runs for run_dir (RUNDIR/audit-collector):
 * inject and prestart choose the log method only then. */
bool osl_log_collector_running(const char *run_dir);
