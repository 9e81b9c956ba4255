/* SPDX-License-Identifier: Apache-2.0 */
/* Static prediction (doc/prediction.md): the syscalls an image's programs
 * can make, from the functions they import from the image's own C library.
 *
 *   ROOT/images/<encoded key>/predicted.json   schema/predicted.schema.json
 *   ROOT/cache/libc/<build-id>.json            one C library's analysis
 *
 * Everything in the rootfs is opened with openat2(RESOLVE_IN_ROOT): a
 * symlink never leads out of it, and no host file is read in its place. */
#pragma once

#include "json.h"
#include "store.h"

#define OSL_PREDICTED_FILE "predicted.json"
#define OSL_PREDICTED_SCHEMA_VERSION 1
#define OSL_PREDICTED_MAX_BYTES (64u << 20)
/* The evidence of what a program's dynamic loader does before main. */
#define OSL_PREDICT_LOADER_SYMBOL "(dynamic loader start-up)"

typedef struct osl_predict_options {
        const char *rootfs;               /* the image's root filesystem on this machine */
        char *const *executables;         /* paths inside the rootfs; the first is the entrypoint */
        size_t n_executables;
        const char *image_key;            /* recorded in the document */
        const char *digest;               /* "sha256:...", NULL when unknown */
        const char *cache_dir;            /* C library analyses by build-id; NULL: none */
} osl_predict_options;

/* Builds the predicted.json document. A program that cannot be analysed
 * (static, a script, another architecture, no C library) is listed with
 * analysed false and the reason; only unreadable input fails. */
int osl_predict(const osl_predict_options *o, jv **doc, osl_error *err);

/* predicted.c: the stored prediction, without libelf and capstone. */

/* ROOT/cache/libc of a store. */
int osl_predict_cache_dir(osl_store *s, char **out, osl_error *err);

/* Writes doc as the image's predicted.json (atomically; the image's
 * directory is made when missing; its profile is never touched). */
int osl_predicted_save(osl_store *s, const char *image_key, const jv *doc, osl_error *err);
/* Reads and checks it. -ENOENT with a message when the image has none. */
int osl_predicted_load(osl_store *s, const char *image_key, jv **doc, osl_error *err);

/* true when doc was made for the same digest (not NULL) and the same
 * executables: the image cannot have changed, the prediction stands. */
bool osl_predicted_matches(const jv *doc, const char *digest, char *const *executables, size_t n);
