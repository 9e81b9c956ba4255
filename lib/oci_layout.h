/* SPDX-License-Identifier: Apache-2.0 */
/* OCI image layouts (image-spec layout.md) and the OCI 1.1 artifacts that
 * travel with an image in one: a manifest whose `subject` is the image's
 * manifest and whose only layer is the payload (doc/artifacts.md).
 *
 *   DIR/oci-layout                  {"imageLayoutVersion": "1.0.0"}
 *   DIR/index.json                  the entry points (an image index)
 *   DIR/blobs/sha256/<hex>          content, named by its SHA-256
 *
 * Everything read is checked: every blob's size against its descriptor and
 * its SHA-256 against its name, before its content is used. Nothing below
 * DIR is reached through a symlink (DIR itself may be one), and every write
 * is a temporary file, fsync, rename, fsync of the directory: blobs first,
 * index.json last, so that a crash leaves at worst a blob nothing names. */
#pragma once

#include "json.h"

#define OSL_OCI_MEDIA_TYPE_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OSL_OCI_MEDIA_TYPE_INDEX "application/vnd.oci.image.index.v1+json"
#define OSL_OCI_MEDIA_TYPE_EMPTY "application/vnd.oci.empty.v1+json"
#define OSL_DOCKER_MEDIA_TYPE_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define OSL_DOCKER_MEDIA_TYPE_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define OSL_OCI_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define OSL_OCI_ANNOTATION_CREATED "org.opencontainers.image.created"
#define OSL_OCI_ANNOTATION_TITLE "org.opencontainers.image.title"

/* A seccomp profile as an artifact, as CRI-O (1.30 and later) pulls it for
 * the annotation seccomp-profile.kubernetes.cri-o.io: the config's media
 * type is this one (CRI-O refuses any other), the artifactType says the same,
 * and the one layer is the profile's JSON, not a tar archive. */
#define OSL_SECCOMP_ARTIFACT_TYPE "application/vnd.cncf.seccomp-profile.config.v1+json"
#define OSL_SECCOMP_LAYER_MEDIA_TYPE "application/json"
#define OSL_SECCOMP_LAYER_TITLE "profile.json"

/* The artifact's config: CRI-O reads only its media type, and image-spec
 * asks for at least "{}" when the config carries nothing. */
#define OSL_OCI_ARTIFACT_CONFIG "{}"

#define OSL_OCI_MAX_INDEX (4u << 20)    /* index.json */
#define OSL_OCI_MAX_MANIFEST (4u << 20) /* a manifest or image index blob, as registries limit them */
#define OSL_OCI_MAX_PROFILE (1u << 20)  /* CRI-O's default limit for an artifact's data */

/* "sha256:" and 64 hex digits, and a NUL. */
#define OSL_OCI_DIGEST_SIZE 72

/* true for "sha256:" followed by 64 lower-case hex digits, the only digests
 * this code reads or writes. */
bool osl_oci_digest_is_sha256(const char *digest);
/* true for a name that image-spec allows in org.opencontainers.image.ref.name:
 * components of [A-Za-z0-9]+ joined by one of -._:@+ or "--", separated by
 * '/', 1 to 255 characters. */
bool osl_oci_ref_name_valid(const char *name);

/* One descriptor (image-spec descriptor.md), as read from JSON. */
typedef struct osl_oci_descriptor {
        char *media_type;
        char *digest;        /* as written: "algorithm:encoded" */
        uint64_t size;
        char *artifact_type; /* NULL when absent */
        char *ref_name;      /* annotation org.opencontainers.image.ref.name; NULL when absent */
} osl_oci_descriptor;

void osl_oci_descriptor_clear(osl_oci_descriptor *d);
/* Checks and copies v. `where` names it in messages, e.g.
 * "DIR/index.json: manifests[2]". */
int osl_oci_descriptor_parse(const jv *v, const char *where, osl_oci_descriptor *out, osl_error *err);

typedef struct osl_oci_layout osl_oci_layout;

/* Opens the layout at dir: oci-layout must say imageLayoutVersion 1.0.0 and
 * blobs/sha256 must be a directory. -ENOENT when dir is missing, -EINVAL
 * when it is not a layout. */
int osl_oci_layout_open(const char *dir, osl_oci_layout **out, osl_error *err);
void osl_oci_layout_close(osl_oci_layout *l);
static inline void osl_oci_layout_closep(osl_oci_layout **l) { osl_oci_layout_close(*l); }
#define _cleanup_oci_layout_ _cleanup_(osl_oci_layout_closep)
const char *osl_oci_layout_path(const osl_oci_layout *l);

/* index.json, checked: an object with schemaVersion 2 and a manifests array
 * of descriptors. */
int osl_oci_read_index(osl_oci_layout *l, jv **out, osl_error *err);
/* Replaces index.json atomically. */
int osl_oci_write_index(osl_oci_layout *l, const jv *index, osl_error *err);

/* Reads the blob `digest` names. Refused: a digest other than sha256, a
 * size above max, a file that is not a regular file (or is a symlink), a
 * file of another size than `size` or whose SHA-256 is not its name, or a
 * missing file (-EBADMSG: the layout is damaged or was tampered with). *out is
 * NUL-terminated. */
int osl_oci_read_blob(osl_oci_layout *l, const char *digest, uint64_t size, size_t max, char **out, size_t *len,
                      osl_error *err);
/* Stores data as blobs/sha256/<its SHA-256> unless a correct copy is there
 * already; digest_out gets "sha256:<hex>". */
int osl_oci_write_blob(osl_oci_layout *l, const void *data, size_t len, char digest_out[static OSL_OCI_DIGEST_SIZE],
                       osl_error *err);

/* "sha256:<hex>" of data. */
void osl_oci_digest_of(const void *data, size_t len, char out[static OSL_OCI_DIGEST_SIZE]);
/* image-spec's media types of an image: OCI or Docker manifest or index. */
bool osl_oci_is_image_media_type(const char *media_type);
/* A manifest's artifact type as image-spec 1.1 defines it: artifactType,
 * else the config's media type. NULL when it has neither. */
const char *osl_oci_manifest_artifact_type(const jv *m);

/* Which entry of index.json is the image: the one with this digest, or the
 * one whose org.opencontainers.image.ref.name is tag, or (both NULL) the only
 * entry that is not an artifact referring to another manifest. */
typedef struct osl_oci_selector {
        const char *digest;
        const char *tag;
} osl_oci_selector;

/* Finds the image's entry in index (an image manifest or image index, OCI or
 * Docker), reads and verifies its blob. -ENOENT when no entry matches,
 * -EINVAL when the choice is ambiguous; the message says which entries
 * there are. */
int osl_oci_select_image(osl_oci_layout *l, const jv *index, const osl_oci_selector *sel, osl_oci_descriptor *out,
                         osl_error *err);

/* The referrers of subject_digest of one artifact type among the entries of
 * index: OCI manifests with that `subject` whose artifactType (or, without
 * one, config media type) is artifact_type. Every manifest looked into is
 * verified. *out has *n descriptors (NULL when none); free each with
 * osl_oci_descriptor_clear, then the array. */
int osl_oci_find_referrers(osl_oci_layout *l, const jv *index, const char *subject_digest, const char *artifact_type,
                           osl_oci_descriptor **out, size_t *n, osl_error *err);

/* An artifact with one layer. */
typedef struct osl_oci_artifact {
        const char *artifact_type;    /* also the config's media type (the config is "{}") */
        const char *layer_media_type;
        const char *layer_title;      /* org.opencontainers.image.title of the layer */
        const void *data;
        size_t len;
        char *const *annotations;     /* the manifest's: key, value, key, value, ..., NULL; may be NULL */
        const char *ref_name;         /* the artifact's own name in index.json, NULL for none */
} osl_oci_artifact;

/* The manifest of artifact a for subject, and its digest: the same inputs
 * give the same bytes. Its config is OSL_OCI_ARTIFACT_CONFIG. */
int osl_oci_artifact_build(const osl_oci_artifact *a, const osl_oci_descriptor *subject, char **manifest,
                           size_t *len, char digest[static OSL_OCI_DIGEST_SIZE], osl_error *err);

/* The config and the one layer of the artifact manifest m (named digest in
 * messages), checked: artifactType and config media type do not disagree,
 * exactly one layer. Clear both with osl_oci_descriptor_clear. */
int osl_oci_artifact_parts(const jv *m, const char *digest, const char *artifact_type, osl_oci_descriptor *config,
                           osl_oci_descriptor *layer, osl_error *err);

typedef struct osl_oci_attach_result {
        char subject[OSL_OCI_DIGEST_SIZE];  /* the image's manifest */
        char artifact[OSL_OCI_DIGEST_SIZE]; /* the artifact's manifest */
        size_t replaced;                    /* earlier artifacts of this type for the image, removed from index.json */
        bool unchanged;                     /* this very artifact was attached already: nothing was written */
} osl_oci_attach_result;

/* Attaches a to the image sel chooses, under flock(LOCK_EX) on DIR: writes
 * the blobs, then index.json with the artifact's entry added and entries of
 * earlier artifacts of the same type for that image removed (their blobs
 * stay), so that the image has one. The manifest depends only on its
 * inputs: attaching the same thing twice writes nothing the second time.
 * -EEXIST when ref_name already names a manifest other than such an
 * artifact. */
int osl_oci_attach(osl_oci_layout *l, const osl_oci_selector *sel, const osl_oci_artifact *a,
                   osl_oci_attach_result *res, osl_error *err);

typedef struct osl_oci_fetched {
        char subject[OSL_OCI_DIGEST_SIZE];
        char artifact[OSL_OCI_DIGEST_SIZE];
        char *data; /* the layer, NUL-terminated */
        size_t len;
        jv *annotations; /* the artifact manifest's annotations object, NULL when it has none */
} osl_oci_fetched;

void osl_oci_fetched_clear(osl_oci_fetched *f);

/* The layer of the artifact of artifact_type attached to the image sel
 * chooses. Verified on the way: the image's manifest, the artifact's
 * manifest, config and layer (each size and digest), that the artifact has
 * exactly one layer of at most max bytes, and that artifactType and config
 * media type do not disagree. -ENOENT when none is attached; -EINVAL when
 * more than one is. */
int osl_oci_fetch(osl_oci_layout *l, const osl_oci_selector *sel, const char *artifact_type, size_t max,
                  osl_oci_fetched *out, osl_error *err);
