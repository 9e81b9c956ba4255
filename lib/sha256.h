/* SPDX-License-Identifier: Apache-2.0 */
/* SHA-256 (FIPS 180-4), for the content addresses of OCI image layouts
 * (doc/artifacts.md). Our own, because the binary links nothing but
 * libseccomp, yajl and libcap at run time. Not constant-time: it hashes
 * public data (blobs), never secrets. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define OSL_SHA256_SIZE 32     /* bytes of a digest */
#define OSL_SHA256_HEX_SIZE 65 /* 64 lower-case hex digits and a NUL */

typedef struct osl_sha256_ctx {
        uint32_t state[8];
        uint64_t length;     /* bytes hashed so far */
        uint8_t block[64];   /* a partial block, block_len bytes of it */
        size_t block_len;
} osl_sha256_ctx;

void osl_sha256_init(osl_sha256_ctx *c);
void osl_sha256_update(osl_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; c must be initialised again before reuse. */
void osl_sha256_final(osl_sha256_ctx *c, uint8_t out[static OSL_SHA256_SIZE]);

/* One call for data in memory. */
void osl_sha256(const void *data, size_t len, uint8_t out[static OSL_SHA256_SIZE]);
/* The digest as 64 lower-case hex digits, NUL-terminated. */
void osl_sha256_hex(const void *data, size_t len, char out[static OSL_SHA256_HEX_SIZE]);
