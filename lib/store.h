/* SPDX-License-Identifier: Apache-2.0 */
/* The versioned per-image profile store (schema/profile.schema.json).
 *
 *   ROOT/images/<encoded key>/profile.json        the current profile
 *   ROOT/images/<encoded key>/versions/<N>.json   what version N changed
 *   ROOT/images/<encoded key>/history.jsonl       one history record per version, appended
 *   ROOT/images/<encoded key>/summary.json        what `profile list` shows (checked against profile.json)
 *   ROOT/images/<encoded key>/lock                flock()ed by writers
 *
 * Merges take the lock (waiting a bounded time), so concurrent merges lose
 * nothing and versions never skip or repeat; every write is atomic; nothing
 * under ROOT is reached through a symlink; directories are 0700 and files
 * 0600. */
#pragma once

#include "export.h" /* the exports of an osl_learned, for callers of the store */
#include "observation.h"
#include "seccomp_profile.h"

#define OSL_DEFAULT_STORE "/var/lib/oci-seccomp-learn"
#define OSL_STORE_ENV "OCI_SECCOMP_LEARN_STORE"

typedef struct osl_store osl_store;

/* root NULL: $OCI_SECCOMP_LEARN_STORE, else OSL_DEFAULT_STORE. create makes
 * the root when missing (writers) and makes it private to its owner (0700);
 * readers pass false. */
int osl_store_open(const char *root, bool create, osl_store **out, osl_error *err);
/* How long writers (merge, drift, accept) wait for an image's lock before
 * failing with -ETIMEDOUT; 0 tries once. Default OSL_LOCK_TIMEOUT_DEFAULT_MS. */
void osl_store_set_lock_timeout(osl_store *s, unsigned timeout_ms);
void osl_store_close(osl_store *s);
static inline void osl_store_closep(osl_store **s) { osl_store_close(*s); }
#define _cleanup_store_ _cleanup_(osl_store_closep)
const char *osl_store_root(const osl_store *s);

/* One learned profile, as stored. */
typedef struct osl_learned_syscall {
        char *arch;
        char *name;
        bool origin[_OSL_ORIGIN_MAX]; /* seen as runtime / application call */
        uint64_t count;
        uint64_t containers;
        char *first_seen;
        char *last_seen;
        uint32_t added_in; /* version that added it */
        /* A process seen making the call, from the latest merged observation
         * that had one (its application's when it had both); all empty when
         * none had. */
        char *sample_container; /* the observation's container id; NULL: no sample */
        int64_t sample_pid;     /* 0: unknown */
        char *sample_comm;      /* NULL: unknown */
} osl_learned_syscall;

typedef struct osl_learned_capability {
        char *name;
        char *evidence;
        uint64_t count;
        uint32_t added_in;
} osl_learned_capability;

/* One version's history record (schema/profile.schema.json "history"). The
 * strings belong to the osl_learned's document. */
typedef struct osl_version_record {
        uint32_t version;
        const char *time;         /* when the version was made */
        const char *container_id; /* the container whose observation made it */
        const char *image_tag;    /* NULL: none */
        const char *image_digest; /* NULL: none */
        size_t added_syscalls;    /* (arch, name) pairs the version added */
        size_t added_capabilities;
        size_t accepted_drift;    /* `profile accept`: containers whose drift it took in; 0: not from drift */
        bool partial;             /* the observation was written while the container still ran */
} osl_version_record;

typedef struct osl_learned {
        char *image_key;
        uint32_t version; /* 0: nothing learned yet */
        char *updated;    /* when the profile last changed (RFC 3339) */
        osl_learned_syscall *syscalls; /* sorted by arch, name */
        size_t n_syscalls;
        osl_learned_capability *capabilities;
        size_t n_capabilities;
        /* The version records, oldest first: one per version, or from the
         * oldest kept after `profile prune`. Loaded with the current
         * profile (osl_store_load of version 0); none otherwise. */
        osl_version_record *records;
        size_t n_records;
        /* The same records as JSON (inside doc), for the store itself. */
        jv *history;
        /* The document in the form of schema/profile.schema.json (owned):
         * the stored file, with the history added from history.jsonl. */
        jv *doc;
        uint32_t schema_version; /* of the file read: 1 (before store v2) or 2 */
} osl_learned;

void osl_learned_free(osl_learned *l);
static inline void osl_learned_freep(osl_learned **l) { osl_learned_free(*l); }
#define _cleanup_learned_ _cleanup_(osl_learned_freep)

/* version 0 = current. -ENOENT (with a message naming the image) when the
 * image or that version is not stored; -EUCLEAN when the image's profile.json
 * is gone but versions/ holds versions (a damaged store, not a missing
 * profile); other errors when a file is unreadable or invalid. */
int osl_store_load(osl_store *s, const char *image_key, uint32_t version, osl_learned **out, osl_error *err);
/* What osl_store_load does with profile.json or versions/N.json once read:
 * parses buf (len bytes) and checks that it is a stored profile of
 * image_key, of version want_version (0: any). what names the file in
 * messages. Either schemaVersion: 1 (the whole document), or 2: a
 * profile.json, or a version file (with its "record" and only what that
 * version changed, no seccomp; osl_store_load lays it over the older ones). */
int osl_learned_parse(const char *buf, size_t len, const char *what, const char *image_key, uint32_t want_version,
                      osl_learned **out, osl_error *err);

bool osl_learned_has_syscall(const osl_learned *l, const char *arch, const char *name);

/* The enforceable seccomp profile of a learned profile: every learned
 * syscall (runtime and application) allowed, default_action for the rest. */
int osl_learned_to_seccomp(const osl_learned *l, const char *default_action, uint32_t default_errno,
                           osl_seccomp **out, osl_error *err);

typedef struct osl_merge_result {
        uint32_t version;     /* version after the merge */
        bool new_version;     /* a version was made */
        size_t added_syscalls;
        size_t added_capabilities;
        bool duplicate;       /* this observation was merged before: nothing changed */
} osl_merge_result;

/* Unions obs into the image's profile under the image lock. A new version
 * is made only when a syscall or capability is new; re-merging the same
 * observation (same container id and start time) changes nothing. */
int osl_store_merge(osl_store *s, const char *image_key, const osl_observation *obs, osl_merge_result *res,
                    osl_error *err);

/* What changed from version *from to version *to of the image's profile
 * (`profile diff`; 0 is the empty profile): to NULL: the current version;
 * from NULL: the one before to. *out: {"image", "from", "to",
 * "addedSyscalls": [{"arch", "name"}], "removedSyscalls", "addedCapabilities":
 * [name], "removedCapabilities"}. Errors as osl_store_load. */
int osl_store_diff(osl_store *s, const char *image_key, const uint32_t *from, const uint32_t *to, jv **out,
                   osl_error *err);

/* Stored image keys, sorted. */
int osl_store_list(osl_store *s, char ***keys, size_t *n, osl_error *err);

/* ---- drift (complain mode) ----
 *
 * ROOT/images/<encoded key>/drift.json (schema/drift.schema.json) holds what
 * containers run in complain mode used that the version they ran under does
 * not hold, until `profile accept` merges it as one new version. Recording
 * drift never makes a version. */

typedef struct osl_drift_result {
        uint32_t version;          /* the version the container ran under */
        size_t added_syscalls;     /* (arch, name) pairs outside that version */
        size_t added_capabilities; /* capabilities outside that version */
        bool duplicate;            /* this observation was recorded (or merged) before: nothing changed;
                                    * the counts are those of the record already kept */
} osl_drift_result;

/* Records, under the image lock and atomically, what obs used that version
 * `version` of the image's profile does not hold (0: the current version).
 * Nothing outside: nothing is written and the counts are 0. The newest
 * OSL_DRIFT_MAX records are kept. Recording the same observation (container
 * id and start time) again changes nothing. -ENOENT when the image has no
 * profile or that version is not stored. */
int osl_store_record_drift(osl_store *s, const char *image_key, uint32_t version, const osl_observation *obs,
                           osl_drift_result *res, osl_error *err);

#define OSL_DRIFT_MAX 1024

typedef struct osl_drift_record {
        char *time;               /* when it was recorded */
        uint32_t version;         /* the version the container ran under */
        osl_observation *outside; /* the container's observation, reduced to what that version lacks */
} osl_drift_record;

typedef struct osl_drift {
        char *image_key;
        uint32_t version;         /* the profile's current version */
        osl_drift_record *records; /* pending (not accepted yet), oldest first */
        size_t n_records;
} osl_drift;

void osl_drift_free(osl_drift *d);
static inline void osl_drift_freep(osl_drift **d) { osl_drift_free(*d); }
#define _cleanup_drift_ _cleanup_(osl_drift_freep)

/* The pending drift of an image (no records when there is none). -ENOENT
 * when the image has no profile. Takes no lock. */
int osl_store_load_drift(osl_store *s, const char *image_key, osl_drift **out, osl_error *err);
/* What osl_store_load_drift does with drift.json once read: parses and
 * checks buf against current (the image's current profile), keeping the
 * records still pending. */
int osl_drift_parse(const char *buf, size_t len, const char *what, const osl_learned *current, osl_drift **out,
                    osl_error *err);
/* The drift.json form of d (schema/drift.schema.json). */
int osl_drift_to_jv(const osl_drift *d, jv **out, osl_error *err);

typedef struct osl_accept_result {
        uint32_t version;          /* version after accepting */
        bool new_version;          /* a version was made */
        size_t records;            /* drift records accepted (0: nothing was pending) */
        size_t added_syscalls;
        size_t added_capabilities;
} osl_accept_result;

/* Merges every pending drift record into the profile under the image lock:
 * one new version when anything is new to the current version (its history
 * record lists the containers in "acceptedDrift"), else only the evidence;
 * then removes drift.json. Nothing pending: nothing changes. */
int osl_store_accept_drift(osl_store *s, const char *image_key, osl_accept_result *res, osl_error *err);

/* ---- what `profile list`, `profile prune` and `profile rm` use ---- */

typedef struct osl_profile_summary {
        uint32_t version;
        uint64_t syscalls;
        uint64_t capabilities;
        char updated[64];
} osl_profile_summary;

/* The current version's counts, from the image's summary.json when it was
 * written with its profile.json (else from profile.json itself, checked).
 * Errors as osl_store_load. */
int osl_store_summary(osl_store *s, const char *image_key, osl_profile_summary *out, osl_error *err);

typedef struct osl_image_summary {
        char *image_key;
        osl_profile_summary summary;
        osl_error error; /* error.code < 0: the summary could not be read, this says why */
} osl_image_summary;

/* The summaries of every stored image (those osl_store_list names), sorted
 * by key, in one pass over the store: what `profile list` shows. An image
 * whose summary cannot be read has its error set; the others are still
 * there. -errno only when the store itself cannot be read. */
int osl_store_summaries(osl_store *s, osl_image_summary **out, size_t *n, osl_error *err);
void osl_image_summaries_free(osl_image_summary *v, size_t n);

typedef struct osl_prune_result {
        uint32_t version;    /* the current version (kept) */
        uint32_t first_kept; /* the oldest version kept */
        size_t removed;      /* version files removed */
} osl_prune_result;

/* Under the image lock: keeps the newest `keep` (at least 1) versions and
 * their history records, and removes the older ones. The current profile
 * does not change. */
int osl_store_prune(osl_store *s, const char *image_key, uint32_t keep, osl_prune_result *res, osl_error *err);

/* Under the image lock: removes the image's directory (profile, versions,
 * history, drift, prediction) with one rename, then its files. */
int osl_store_remove(osl_store *s, const char *image_key, osl_error *err);
