/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the store's files (store.c: paths, locks, versions, history,
 * migration; profile_doc.c: the stored profile document; drift.c: drift),
 * observation.c and export.c only; not part of the library's interface. */
#pragma once

#include "store.h"
#include "util.h"

/* What a learned profile does with every call it does not list (the stored
 * "seccomp" and every export). */
#define OSL_LEARNED_DEFAULT_ACTION "SCMP_ACT_ERRNO"
#define OSL_LEARNED_DEFAULT_ERRNO 1 /* EPERM, as Docker's default profile */

/* Syscall names in our files: [A-Za-z0-9_], 1 to OSL_SYSCALL_NAME_MAX bytes.
 * Names libseccomp does not know pass (a newer kernel may have them); names
 * that could not be a syscall's (spaces, slashes, control bytes) do not. */
#define OSL_SYSCALL_NAME_MAX 64
bool osl_syscall_name_valid(const char *name);

/* "CAP_" followed by [A-Z0-9_]. */
bool osl_capability_name_valid(const char *name);

/* A sample command name as stored: 1 to OSL_COMM_MAX (observation.h) bytes
 * of printable ASCII (0x20..0x7e). */
bool osl_comm_valid(const char *comm);
/* The largest sample process id kept: pid_t is a positive int. */
#define OSL_SAMPLE_PID_MAX INT32_MAX

/* RFC 3339 date-time, e.g. "2026-11-28T16:43:02.123Z" or
 * "2026-11-28T17:43:02+01:00". Parsed into nanoseconds since the epoch (UTC),
 * so that times written with different offsets compare correctly. */
bool osl_rfc3339_parse(const char *s, int64_t *sec, uint32_t *nsec);
/* <0, 0, >0 like strcmp. Both must be valid (osl_rfc3339_parse). */
int osl_rfc3339_compare(const char *a, const char *b);
/* Puts a copy of t into *slot when the slot is empty or t is earlier
 * (want_sign < 0) or later (want_sign > 0) than what it holds; t NULL
 * changes nothing. Both valid times. 0 or -ENOMEM. */
int osl_time_widen(char **slot, const char *t, int want_sign);

/* ---- the store's layout (store.c) ---- */

/* 1: every file embeds the whole history and merged list (read, and
 * migrated by the first write); 2: a version file holds its own content,
 * the history is HISTORY_FILE (doc/store.md). */
#define PROFILE_SCHEMA_V1 1
#define PROFILE_SCHEMA_VERSION 2
#define PROFILE_MAX_BYTES (64u * 1024 * 1024)
/* How many observation ids profile.json remembers to make re-merging the
 * same observation a no-op. Older ids drop out first. */
#define MERGED_MAX 4096
#define IMAGES_DIR "images"
#define VERSIONS_DIR "versions"
#define PROFILE_FILE "profile.json"
#define LOCK_FILE "lock"
#define HISTORY_FILE "history.jsonl"
#define SUMMARY_FILE "summary.json"
#define SUMMARY_MAX_BYTES 4096
/* Names in images/ that are not keys: an image `profile rm` is removing. */
#define RM_PREFIX ".tmp-rm-"
#define DRIFT_FILE "drift.json"
#define DRIFT_SCHEMA_VERSION 1
/* Temporary files start with this; any left under a held lock is stale. */
#define TMP_PREFIX ".tmp-"
/* Owner only: another user who could open the lock file could hold it, and
 * the profiles say what every image may do. */
#define STORE_DIR_MODE 0700
#define STORE_FILE_MODE 0600

struct osl_store {
        char *root;
        int root_fd; /* -1: the root does not exist (a reader's view of an empty store) */
        unsigned lock_timeout_ms;
};

/* One image's directory, opened without following symlinks. */
typedef struct image_dir {
        char *path; /* ROOT/images/<encoded key>, for messages */
        int fd;
        char *name;   /* <encoded key> */
        int images_fd; /* ROOT/images */
        char *versions_path;
        int versions_fd; /* -1 until opened */
} image_dir;

#define IMAGE_DIR_INIT ((image_dir) { .fd = -1, .versions_fd = -1, .images_fd = -1 })

/* An image held for writing: its directory, its lock, and the current
 * profile (NULL when none is stored yet), with interrupted merges rolled
 * forward. */
typedef struct locked_image {
        image_dir d;
        int lock_fd;
        osl_learned *current;
} locked_image;

void osl_image_dir_clear(image_dir *d);
/* Reads a regular file under dir_fd, never through a symlink. */
int osl_store_read_at(int dir_fd, const char *dir_path, const char *name, size_t max_bytes, char **path_out,
                      char **buf, size_t *len, osl_error *err);
/* Atomically puts data at dir_fd/name (a temporary file, rename). Only
 * with the image lock held. flags: 0 (store.c has the others). */
int osl_store_write_atomic(int dir_fd, const char *dir_path, const char *name, const char *data, size_t len,
                           unsigned flags, osl_error *err);
int osl_store_open_image(osl_store *s, const char *image_key, bool create, image_dir *out, osl_error *err);
/* Version v, complete, from the version files. */
int osl_store_load_version_at(image_dir *d, const char *image_key, uint32_t v, osl_learned **out, osl_error *err);
/* A reader's current profile of an opened image (errors as osl_store_load). */
int osl_store_load_current(osl_store *s, image_dir *d, const char *image_key, bool with_history, osl_learned **out,
                           osl_error *err);
/* The image locked for writing, its current profile loaded and interrupted
 * merges rolled forward. create: make the image's directories (a merge);
 * otherwise the image must be stored already. */
int osl_store_lock_and_load(osl_store *s, const char *image_key, bool create, locked_image *li, osl_error *err);
void osl_locked_image_clear(locked_image *li);
/* Writes l as the image's profile; record (taken) non-NULL: as a new
 * version with this history record (store.c). */
int osl_store_publish(locked_image *li, const osl_learned *l, jv *record, const char *const *ids, size_t n_ids,
                      const char *updated, osl_error *err);

/* ---- the stored profile document (profile_doc.c) ----
 * Checking: messages name the JSON field at path; the caller puts the file
 * name in front. */

int osl_doc_field_error(osl_error *err, const char *path, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
const char *osl_doc_describe(const jv *v);
int osl_doc_get_field(const jv *obj, const char *path, const char *key, jv_type type, const jv **out, osl_error *err);
int osl_doc_get_u64(const jv *obj, const char *path, const char *key, uint64_t max, uint64_t *out, osl_error *err);
int osl_doc_get_time(const jv *obj, const char *path, const char *key, const char **out, osl_error *err);
int osl_doc_check_fields(const jv *obj, const char *path, const char *const *allowed, size_t n, osl_error *err);
/* The head of profile.json and drift.json: an object of schema version
 * supported, with no field but those in fields, for image image_key. */
int osl_doc_check_head(const jv *doc, int supported, const char *const *fields, size_t n_fields,
                       const char *image_key, osl_error *err);
/* One history record, of version want_version. */
int osl_doc_check_record(const jv *e, const char *path, uint32_t want_version, osl_error *err);
/* The history record of a new version (takes the three lists). */
int osl_doc_history_record(jv **out, uint32_t version, const char *now, const osl_observation *from,
                           jv *added_syscalls, jv *added_caps, jv *accepted_drift, osl_error *err);
/* Version deltas (store v2): reduces new_doc to what differs from old_doc. */
int osl_doc_delta_filter(jv *new_doc, const jv *old_doc, osl_error *err);
/* The version file of a new version: the head of full (the version's
 * complete document), its entries that old_doc (the version before, NULL:
 * none) does not hold unchanged, ids as merged and the history record (both
 * taken). The same document as osl_learned_to_doc with the record, then
 * osl_doc_delta_filter, without building the seccomp twice. */
int osl_doc_version_file(const jv *full, const jv *old_doc, jv *record, jv *ids, jv **out, osl_error *err);
/* Lays delta (a version file) over acc. */
int osl_learned_delta_apply(osl_learned *acc, osl_learned *delta, osl_error *err);
/* Sets l->history (a list inside l->doc, or NULL) and l->records from it. */
int osl_learned_set_history(osl_learned *l, const jv *history, osl_error *err);
/* Gives a v2 profile.json read from disk the form readers know
 * (schema/profile.schema.json): history (taken, from history.jsonl) before
 * merged, no record. */
int osl_learned_attach_history(osl_learned *l, jv *history, osl_error *err);
/* Gives l (assembled from deltas) its full document. */
int osl_learned_rebuild_doc(osl_learned *l, osl_error *err);
/* The stored document of l; record and merged (taken) may be NULL. */
int osl_learned_to_doc(const osl_learned *l, jv *record, jv *merged, const char *updated, jv **out, osl_error *err);
/* Observations a merge or drift takes in: checked, unioned into l (the
 * added entries appended to the two lists), identified for "merged". */
int osl_observation_check_mergeable(const osl_observation *obs, osl_error *err);
int osl_learned_union(osl_learned *l, const osl_observation *obs, jv *added_syscalls, jv *added_caps, osl_error *err);
int osl_observation_id(const osl_observation *obs, char **out, osl_error *err);
/* "merged": l's ids, then ids, the oldest dropped beyond MERGED_MAX. */
int osl_doc_merged_append(const osl_learned *l, jv *merged, const char *const *ids, size_t n_ids, osl_error *err);
bool osl_learned_merged_contains(const osl_learned *l, const char *id);
/* qsort comparator of char * arrays. */
int osl_str_ptr_cmp(const void *a, const void *b);
