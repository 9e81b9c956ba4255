/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the fuzz targets (one per parser in lib/, doc/reliability.md).
 * Each target defines LLVMFuzzerTestOneInput; it is linked either with
 * libFuzzer (-Dfuzzing=true, clang) or with driver.c, which feeds it the
 * seed corpus and the regression inputs in every build. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "oci_layout.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (for parsers that take a C string);
 * aborts on ENOMEM. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/* A property of the parser did not hold: prints why and aborts, so that
 * libFuzzer and the driver count it as a crash. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A fresh directory under $TMPDIR (or /tmp), removed at exit. */
char *fuzz_tmpdir(void);

/* Writes data to path (created or truncated); aborts on failure. */
void fuzz_write_file(const char *path, const void *data, size_t len);

/* A store (fuzz_tmpdir) holding version 1 of the profile of
 * FUZZ_IMAGE_KEY, made by osl_store_merge. Made once. */
#define FUZZ_IMAGE_KEY "docker.io/library/redis"
const char *fuzz_store(void);

/* An OCI layout (fuzz_tmpdir) holding one image tagged "latest" (a config,
 * a layer, a manifest) with a seccomp profile attached as an OCI 1.1
 * artifact (osl_oci_attach), made once. The contents are fixed, so the
 * digests are too: the seed corpora name them. */
typedef struct fuzz_layout {
        const char *dir;
        char image[OSL_OCI_DIGEST_SIZE]; /* the image's manifest */
        size_t image_size;
        char artifact[OSL_OCI_DIGEST_SIZE]; /* the artifact's manifest */
        size_t artifact_size;
        char *index;                        /* index.json as osl_oci_attach wrote it */
        size_t index_len;
} fuzz_layout;
const fuzz_layout *fuzz_oci_layout(void);
/* What reads a layout once index.json is read: the image sel chooses, its
 * seccomp artifacts (osl_oci_find_referrers) and the profile (osl_oci_fetch).
 * Errors are expected and ignored; sanitizers catch the rest. */
void fuzz_oci_use(osl_oci_layout *l, const jv *index, const osl_oci_selector *sel);

/* cfg must serialize and read back (osl_config_parse) as the same
 * document; aborts otherwise. */
void fuzz_config_round_trip(const jv *cfg);
