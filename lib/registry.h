/* SPDX-License-Identifier: Apache-2.0 */
/* OCI 1.1 artifacts in a registry (OCI distribution-spec 1.1), over
 * libcurl: the artifact `profile attach` builds (lib/oci_layout.h) pushed
 * as a referrer of an image's manifest, and every such referrer pulled back
 * (doc/artifacts.md, "Registries").
 *
 * Referrers are listed with the referrers API (GET
 * /v2/<name>/referrers/<digest>) where the registry has it, and through the
 * referrers tag schema where it does not: the tag sha256-<hex of the
 * subject> holds an image index of the referrers, updated read, modify,
 * write.
 *
 * Every manifest and blob read is checked before it is used: its SHA-256
 * must be its digest and its size its descriptor's. Every response is
 * bounded in size and every request in time. Plain http is spoken only to
 * a registry on the loopback (localhost, 127.0.0.0/8, ::1) or when the
 * caller allows it (plain_http). Credentials come from the containers
 * auth file and are sent only to the registry's host and to the token
 * server its challenge names, never to where a blob download is
 * redirected. */
#pragma once

#include "oci_layout.h"

#define OSL_REGISTRY_TIMEOUT 60 /* seconds per request, by default */
#define OSL_REGISTRY_MAX_REFERRERS 1024

typedef struct osl_registry_options {
        bool plain_http;       /* http:// also to a registry that is not on the loopback */
        const char *auth_file; /* NULL: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
                                * ~/.docker/config.json, the first that exists */
        long timeout;          /* seconds per request; 0: OSL_REGISTRY_TIMEOUT */
} osl_registry_options;

typedef struct osl_registry osl_registry;

/* ref: HOST[:PORT]/REPOSITORY[:TAG][@sha256:...], the image. HOST must
 * look like one (a '.' or a ':' in it, or "localhost"); TAG defaults to
 * "latest". Nothing is sent yet. */
int osl_registry_open(const char *ref, const osl_registry_options *o, osl_registry **out, osl_error *err);
void osl_registry_close(osl_registry *r);
static inline void osl_registry_closep(osl_registry **r) { osl_registry_close(*r); }
#define _cleanup_registry_ _cleanup_(osl_registry_closep)
const char *osl_registry_host(const osl_registry *r);       /* "127.0.0.1:5000" */
const char *osl_registry_repository(const osl_registry *r); /* "library/busybox" */
const char *osl_registry_tag(const osl_registry *r);        /* NULL when ref named a digest */

/* The image's manifest (or index), read and verified: its media type,
 * digest and size. */
int osl_registry_resolve(osl_registry *r, osl_oci_descriptor *subject, osl_error *err);

typedef struct osl_registry_push_result {
        char subject[OSL_OCI_DIGEST_SIZE];
        char artifact[OSL_OCI_DIGEST_SIZE];
        bool referrers_api; /* the registry lists referrers itself; else the tag sha256-<hex> lists it */
        bool listed_before; /* the same artifact was a referrer of the image already */
} osl_registry_push_result;

/* Pushes a (its blobs, then its manifest by digest) with the image's
 * manifest as subject, and makes sure it is listed as a referrer: by the
 * registry (its OCI-Subject answer, or its referrers API) or in the
 * referrers tag, which is re-read after the write and written again when
 * another writer's update took ours away. a->ref_name is not used. */
int osl_registry_push_artifact(osl_registry *r, const osl_oci_artifact *a, osl_registry_push_result *res,
                               osl_error *err);

typedef struct osl_registry_pulled {
        char subject[OSL_OCI_DIGEST_SIZE];
        bool referrers_api;        /* listed by the referrers API; else by the referrers tag */
        osl_oci_fetched *artifacts; /* each one's subject, digest, layer and annotations */
        size_t n;
} osl_registry_pulled;

void osl_registry_pulled_clear(osl_registry_pulled *p);

/* Every referrer of the image whose artifact type is artifact_type, read
 * and verified: each manifest (digest, size, subject = the image, one
 * layer, artifactType and config media type agreeing), its config and its
 * layer (at most max bytes). Any mismatch fails the whole pull: nothing is
 * returned. None: 0 with n = 0. */
int osl_registry_pull_artifacts(osl_registry *r, const char *artifact_type, size_t max, osl_registry_pulled *out,
                                osl_error *err);
