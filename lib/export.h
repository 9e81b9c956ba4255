/* SPDX-License-Identifier: Apache-2.0 */
/* A stored profile (store.h: osl_learned) in the forms that container
 * engines and orchestrators read, and its installation where kubelet
 * finds Localhost profiles (doc/exports.md). */
#pragma once

#include "util.h"

struct osl_learned;

typedef enum osl_export_format {
        OSL_EXPORT_OCI,           /* linux.seccomp JSON; also what docker/podman/containerd/kubelet load */
        OSL_EXPORT_DOCKER,        /* the same JSON, for --security-opt seccomp=FILE */
        OSL_EXPORT_SPO,           /* a security-profiles-operator SeccompProfile resource, YAML */
        OSL_EXPORT_PODMAN_LABEL,  /* one line of JSON for the image label io.containers.seccomp.profile */
        OSL_EXPORT_DOCKER_CAPS,   /* "--cap-drop=ALL --cap-add=NET_BIND_SERVICE ..." */
        OSL_EXPORT_KUBERNETES,    /* a container securityContext snippet, YAML */
        _OSL_EXPORT_MAX,
} osl_export_format;

/* "oci", "docker", "spo", "podman-label", "docker-caps", "kubernetes";
 * -EINVAL for anything else. */
int osl_export_format_parse(const char *s, osl_export_format *out);
const char *osl_export_format_name(osl_export_format f);

/* The text of l in format f (NUL-terminated, ends with a newline). */
int osl_learned_export(const struct osl_learned *l, osl_export_format f, char **out, size_t *len, osl_error *err);

/* A name for version l->version of the profile that is a DNS-1123 subdomain
 * and a file name: the image key lower-cased, every run of characters
 * outside [a-z0-9.] made one '-', then "-v<N>"; a hash of the key is added
 * when two keys could otherwise share the name ("localhost/redis" version
 * 3 is "localhost-redis-v3", "quay.io/my-org/app" version 1 is
 * "quay.io-my-org-app-40bfb5bf-v1"). */
int osl_learned_safe_name(const struct osl_learned *l, char **out, osl_error *err);

/* Where kubelet looks for Localhost profiles: KUBELET_DIR/seccomp/<this>. */
#define OSL_KUBELET_ROOT "/var/lib/kubelet"
#define OSL_KUBELET_SUBDIR "oci-seccomp-learn"
/* "oci-seccomp-learn/<safe name>.json": the securityContext's
 * localhostProfile, relative to KUBELET_DIR/seccomp. */
int osl_learned_localhost_profile(const struct osl_learned *l, char **out, osl_error *err);
/* Writes the profile (OSL_EXPORT_OCI) atomically to
 * kubelet_dir/seccomp/<osl_learned_localhost_profile>, creating the
 * directories; *path_out is the file written. */
int osl_learned_install_kubelet(const struct osl_learned *l, const char *kubelet_dir, char **path_out, osl_error *err);
