/* SPDX-License-Identifier: Apache-2.0 */
/* Which image a container runs, and how that becomes a directory name. */
#pragma once

#include "json.h"

#define OSL_ANNOTATION_IMAGE "io.seccomp-learn.image"
#define OSL_ANNOTATION_MODE "io.seccomp-learn.mode"
/* How learn and complain mode see calls: "notify" (the default) or "log"
 * (SECCOMP_RET_LOG records, doc/learning.md "Methods"). */
#define OSL_ANNOTATION_METHOD "io.seccomp-learn.method"
#define OSL_ANNOTATION_VERSION "io.seccomp-learn.version"
#define OSL_ANNOTATION_KEEP_CAPS "io.seccomp-learn.keep-capabilities"
#define OSL_ANNOTATION_GENERALIZE "io.seccomp-learn.generalize"
#define OSL_ANNOTATION_INCLUDE "io.seccomp-learn.include"
/* Set by inject in complain and enforce mode: the profile version applied. */
#define OSL_ANNOTATION_APPLIED_VERSION "io.seccomp-learn.applied-version"

typedef struct osl_image {
        char *key;    /* repository without tag or digest: "docker.io/library/redis" */
        char *name;   /* the reference as found */
        char *tag;    /* NULL when none */
        char *digest; /* "sha256:..." or NULL */
        const char *source; /* static: which rule found it, e.g. "annotation io.seccomp-learn.image" */
        bool annotation_ignored; /* io.seccomp-learn.image named another image: the engine's name won */
} osl_image;

void osl_image_clear(osl_image *img);

/* Splits "host:5000/repo/name:tag@sha256:..." into key, tag, digest. */
int osl_image_parse_ref(const char *ref, osl_image *out, osl_error *err);

/* Resolves the image the engine names: CRI-O's io.kubernetes.cri-o.ImageName
 * (digest from io.kubernetes.cri-o.ImageRef); containerd CRI's
 * io.kubernetes.cri.image-name; podman's containers/storage (bundle =
 * .../overlay-containers/ID/userdata: the container's entry in
 * containers.json gives the name podman created it from and the image id,
 * images.json the image's names and digest). Only when none names it, the
 * annotation io.seccomp-learn.image: whoever can set annotations (a pod's
 * author) must not choose another image's profile (doc/security.md). When
 * the engine's name wins over a different annotation, out->annotation_ignored
 * is set. annotations may be NULL, bundle may be NULL. -ENOENT with a
 * one-line message naming io.seccomp-learn.image when nothing matches. */
int osl_image_resolve(const jv *annotations, const char *bundle, osl_image *out, osl_error *err);

/* osl_image_resolve for a container's whole OCI config (cfg may be NULL):
 * its annotations, then the bundle, then root.path. podman's precreate hook
 * gets the config on stdin and no bundle, and podman names no image in the
 * annotations; root.path is the container's layer as containers/storage
 * mounts it (GRAPHROOT/overlay/LAYER/merged, GRAPHROOT/vfs/dir/LAYER, ...),
 * and GRAPHROOT/DRIVER-containers/containers.json names the container with
 * that layer and its image (the name podman created it from, else the
 * image's first name in images.json). Docker (dockerd's containerd) needs
 * the bundle, .../io.containerd.runtime.v2.task/moby/ID, and root.path, the
 * graph driver's mount under the data root, whose containers/ID/config.v2.json
 * names the image (doc/image-keys.md). trust_annotation (a node admin's
 * choice, off by default) puts io.seccomp-learn.image before the engine's
 * name. Errors as osl_image_resolve. */
int osl_image_resolve_config(const jv *cfg, const char *bundle, bool trust_annotation, osl_image *out,
                             osl_error *err);

/* Encodes a key into one safe path component: bytes outside [A-Za-z0-9._-]
 * and a leading '.' become %XX, so the result never holds '/', NUL, control
 * characters, and is never "." or ".."; distinct keys give distinct
 * components. -ENAMETOOLONG when the result would exceed OSL_KEY_COMPONENT_MAX. */
#define OSL_KEY_COMPONENT_MAX 240
int osl_key_encode(const char *key, char **component, osl_error *err);
int osl_key_decode(const char *component, char **key, osl_error *err);
