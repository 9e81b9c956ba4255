/* SPDX-License-Identifier: Apache-2.0 */
/* A small JSON document model on top of yajl's parser and generator.
 *
 * Why not yajl_tree: we must write an OCI config back with every field we do
 * not own unchanged in meaning, so objects keep their key order, duplicate
 * keys survive, and numbers keep the exact text they were written with
 * (a 64-bit value or 1e400 must not pass through a double). */
#pragma once

#include "util.h"

typedef enum jv_type {
        JV_NULL,
        JV_BOOL,
        JV_NUMBER,
        JV_STRING,
        JV_ARRAY,
        JV_OBJECT,
} jv_type;

typedef struct jv jv;
struct jv {
        jv_type type;
        union {
                bool boolean;
                char *number; /* the literal text, e.g. "18446744073709551615" */
                struct {
                        char *s; /* NUL-terminated; may hold embedded NULs (\u0000) */
                        size_t len;
                } string;
                struct {
                        jv **items;
                        size_t len, cap;
                } array;
                struct {
                        char **keys;
                        jv **values;
                        size_t len, cap;
                } object;
        } u;
};

/* Limits applied by the parser. Larger input is refused with a message. */
#define JV_MAX_DEPTH 128

jv *jv_new_null(void);
jv *jv_new_bool(bool b);
jv *jv_new_string(const char *s);
jv *jv_new_string_len(const char *s, size_t len);
jv *jv_new_int(int64_t i);
jv *jv_new_uint(uint64_t u);
jv *jv_new_number_raw(const char *text); /* text must be a valid JSON number */
jv *jv_new_array(void);
jv *jv_new_object(void);
jv *jv_dup(const jv *v);  /* deep copy; NULL on ENOMEM */
void jv_free(jv *v);
static inline void jv_freep(jv **v) { jv_free(*v); }
#define _cleanup_jv_ _cleanup_(jv_freep)

/* Parses exactly one JSON value. On error the message says where
 * (byte offset) and what; `what` names the input, e.g. a file path. */
int jv_parse(const char *buf, size_t len, const char *what, jv **out, osl_error *err);
/* JV_PARSE_KEEP_INVALID_UTF8: strings with bytes that are not UTF-8 are
 * kept as they are (and written back so) instead of refused: runc reads
 * such a config and replaces the bytes with U+FFFD, so a config it accepts
 * must not be refused by us. */
#define JV_PARSE_KEEP_INVALID_UTF8 1u
int jv_parse_flags(const char *buf, size_t len, const char *what, unsigned flags, jv **out, osl_error *err);
/* Reads and parses a file of at most max_bytes. */
int jv_parse_file(const char *path, size_t max_bytes, jv **out, osl_error *err);
/* Serializes; pretty adds newlines and 4-space indentation. *out is
 * NUL-terminated and ends with a newline. */
int jv_serialize(const jv *v, bool pretty, char **out, size_t *len, osl_error *err);
/* Serializes and writes atomically (see osl_write_file_atomic). */
int jv_write_file_atomic(const jv *v, const char *path, mode_t mode, osl_error *err);
/* The same without fsync (osl_write_file_atomic_nosync): for the run dir's
 * temporary files, observations and registrations. */
int jv_write_file_atomic_nosync(const jv *v, const char *path, mode_t mode, osl_error *err);

/* Objects. get returns the first value under key, or NULL when obj is not an
 * object or has no such key. set replaces the first value in place (keeping
 * key order) or appends; it takes ownership of val, also on failure. */
jv *jv_obj_get(const jv *obj, const char *key);
int jv_obj_set(jv *obj, const char *key, jv *val);
/* Removes every value under key; returns how many were removed. */
size_t jv_obj_remove(jv *obj, const char *key);
/* Returns the object under key, creating an empty one when missing.
 * NULL when the existing value is not an object, or on ENOMEM. */
jv *jv_obj_ensure_object(jv *obj, const char *key);
/* Follows a NULL-terminated chain of keys: jv_get_path(cfg, "linux", "seccomp", NULL). */
jv *jv_get_path(const jv *root, ...) __attribute__((sentinel));

/* Arrays. append takes ownership of val, also on failure. */
int jv_arr_append(jv *arr, jv *val);
static inline size_t jv_arr_len(const jv *a) { return a && a->type == JV_ARRAY ? a->u.array.len : 0; }
static inline jv *jv_arr_at(const jv *a, size_t i) { return i < jv_arr_len(a) ? a->u.array.items[i] : NULL; }

/* Typed reads: false when v is NULL or of another type / range. */
const char *jv_str(const jv *v); /* NULL unless a string without embedded NUL */
bool jv_is(const jv *v, jv_type t);
bool jv_get_bool(const jv *v, bool *out);
bool jv_get_int64(const jv *v, int64_t *out);   /* integers only, no fraction/exponent */
bool jv_get_uint64(const jv *v, uint64_t *out);
const char *jv_type_name(jv_type t);   /* "string", "object", ... for messages */

/* Semantic equality: same types, same values (numbers compared by their
 * literal text after normalising integers), objects compared as key->value
 * maps in order. Used by round-trip tests. */
bool jv_equal(const jv *a, const jv *b);
