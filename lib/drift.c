/* SPDX-License-Identifier: Apache-2.0 */
/* Drift (complain mode, doc/store.md): IMAGE/drift.json records what
 * containers used outside the version they ran under, until `profile
 * accept` merges it as one new version. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

/* ---- drift ---- */

void osl_drift_free(osl_drift *d)
{
        if (!d)
                return;
        free(d->image_key);
        for (size_t i = 0; i < d->n_records; i++) {
                free(d->records[i].time);
                osl_observation_free(d->records[i].outside);
        }
        free(d->records);
        free(d);
}

/* The distinct (arch, name) pairs of an observation. */
static size_t syscall_pairs(const osl_observation *o)
{
        size_t n = 0;
        for (size_t i = 0; i < o->n_syscalls; i++) {
                bool seen = false;
                for (size_t j = 0; j < i && !seen; j++)
                        seen = strcmp(o->syscalls[i].arch, o->syscalls[j].arch) == 0 &&
                               strcmp(o->syscalls[i].name, o->syscalls[j].name) == 0;
                n += !seen;
        }
        return n;
}

static bool learned_has_capability(const osl_learned *l, const char *name)
{
        for (size_t i = 0; i < l->n_capabilities; i++)
                if (strcmp(l->capabilities[i].name, name) == 0)
                        return true;
        return false;
}

/* Checks drift.json (taking doc) and keeps its records that are still
 * pending: those whose observation is not in current's "merged" (accepted
 * before a crash kept drift.json from being removed). */
static int drift_from_doc(jv *doc_in, const osl_learned *current, osl_drift *d, osl_error *err)
{
        static const char *const fields[] = { "schemaVersion", "image", "records" };
        static const char *const record_fields[] = { "time", "version", "outside" };
        _cleanup_jv_ jv *doc = doc_in;
        const jv *records = NULL;
        int r;

        if ((r = osl_doc_check_head(doc, DRIFT_SCHEMA_VERSION, fields, ELEMENTSOF(fields), current->image_key, err)) < 0)
                return r;
        if ((r = osl_doc_get_field(doc, "", "records", JV_ARRAY, &records, err)) < 0)
                return r;
        if (jv_arr_len(records) > OSL_DRIFT_MAX)
                return osl_err(err, -EINVAL, "records: more than %d entries", OSL_DRIFT_MAX);
        d->records = calloc(jv_arr_len(records) + 1, sizeof(*d->records));
        if (!d->records)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < jv_arr_len(records); i++) {
                const jv *e = jv_arr_at(records, i);
                _cleanup_observation_ osl_observation *outside = NULL;
                _cleanup_free_ char *id = NULL;
                const char *time;
                uint64_t version;
                char path[64];

                snprintf(path, sizeof(path), "records[%zu]", i);
                if (!jv_is(e, JV_OBJECT))
                        return osl_doc_field_error(err, path, NULL, "expected an object, got %.40s", osl_doc_describe(e));
                if ((r = osl_doc_check_fields(e, path, record_fields, ELEMENTSOF(record_fields), err)) < 0 ||
                    (r = osl_doc_get_time(e, path, "time", &time, err)) < 0 ||
                    (r = osl_doc_get_u64(e, path, "version", UINT32_MAX, &version, err)) < 0)
                        return r;
                if (version == 0)
                        return osl_doc_field_error(err, path, "version", "must be at least 1");
                if (version > current->version)
                        return osl_doc_field_error(err, path, "version", "%" PRIu64 " is beyond the profile's version %" PRIu32,
                                           version, current->version);
                if (!jv_obj_get(e, "outside"))
                        return osl_doc_field_error(err, path, "outside", "missing");
                if ((r = osl_observation_from_jv(jv_obj_get(e, "outside"), &outside, err)) < 0)
                        return osl_err_prefix(err, "%s.outside", path);
                if ((r = osl_observation_id(outside, &id, err)) < 0)
                        return r;
                if (osl_learned_merged_contains(current, id))
                        continue;
                osl_drift_record *rec = &d->records[d->n_records];
                if (!(rec->time = strdup(time)))
                        return osl_err(err, -ENOMEM, "out of memory");
                rec->version = (uint32_t) version;
                rec->outside = TAKE_PTR(outside);
                d->n_records++;
        }
        return 0;
}

static int drift_new(const osl_learned *current, osl_drift **out, osl_error *err)
{
        _cleanup_drift_ osl_drift *d = calloc(1, sizeof(*d));

        if (!d || !(d->image_key = strdup(current->image_key)))
                return osl_err(err, -ENOMEM, "out of memory");
        d->version = current->version;
        *out = TAKE_PTR(d);
        return 0;
}

int osl_drift_parse(const char *buf, size_t len, const char *what, const osl_learned *current, osl_drift **out,
                    osl_error *err)
{
        _cleanup_drift_ osl_drift *d = NULL;
        _cleanup_jv_ jv *doc = NULL;
        int r;

        if ((r = drift_new(current, &d, err)) < 0 || (r = jv_parse(buf, len, what, &doc, err)) < 0)
                return r;
        if ((r = drift_from_doc(TAKE_PTR(doc), current, d, err)) < 0)
                return osl_err_prefix(err, "%s", what);
        *out = TAKE_PTR(d);
        return 0;
}

/* Reads the image's drift.json (no records when there is none). *exists
 * tells whether the file is there, pending records or not. */
static int read_drift(image_dir *dir, const osl_learned *current, osl_drift **out, bool *exists, osl_error *err)
{
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len;
        int r;

        r = osl_store_read_at(dir->fd, dir->path, DRIFT_FILE, PROFILE_MAX_BYTES, &path, &text, &len, err);
        if (exists)
                *exists = r != -ENOENT;
        if (r == -ENOENT)
                return drift_new(current, out, err);
        if (r < 0)
                return r;
        return osl_drift_parse(text, len, path, current, out, err);
}

int osl_drift_to_jv(const osl_drift *d, jv **out, osl_error *err)
{
        _cleanup_jv_ jv *doc = jv_new_object(), *records = jv_new_array();
        int r;

        if (!doc || !records)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < d->n_records; i++) {
                const osl_drift_record *rec = &d->records[i];
                _cleanup_jv_ jv *outside = NULL;
                jv *e = jv_new_object();
                if (!e || jv_arr_append(records, e) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if ((r = osl_observation_to_jv(rec->outside, &outside, err)) < 0)
                        return r;
                if (jv_obj_set(e, "time", jv_new_string(rec->time)) < 0 ||
                    jv_obj_set(e, "version", jv_new_uint(rec->version)) < 0 ||
                    jv_obj_set(e, "outside", TAKE_PTR(outside)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if (jv_obj_set(doc, "schemaVersion", jv_new_int(DRIFT_SCHEMA_VERSION)) < 0 ||
            jv_obj_set(doc, "image", jv_new_string(d->image_key)) < 0 ||
            jv_obj_set(doc, "records", TAKE_PTR(records)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(doc);
        return 0;
}

static int write_drift(locked_image *li, const osl_drift *d, osl_error *err)
{
        _cleanup_jv_ jv *doc = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if ((r = osl_drift_to_jv(d, &doc, err)) < 0 || (r = jv_serialize(doc, true, &text, &len, err)) < 0)
                return r;
        return osl_store_write_atomic(li->d.fd, li->d.path, DRIFT_FILE, text, len, 0, err);
}

/* obs reduced to what version `ver` lacks, keeping the observation's
 * identity (container, image, times) so that the record can be merged as it
 * is. NULL in *out when nothing is outside. */
static int drift_outside(const osl_observation *obs, const char *image_key, const osl_learned *ver,
                         osl_observation **out, osl_error *err)
{
        _cleanup_observation_ osl_observation *o = osl_observation_new();

        *out = NULL;
        if (!o)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < obs->n_syscalls; i++) {
                const osl_obs_syscall *e = &obs->syscalls[i];
                if (osl_learned_has_syscall(ver, e->arch, e->name))
                        continue;
                if (osl_observation_add(o, e->arch, e->name, e->origin, e->count, e->implied) < 0 ||
                    osl_observation_add_sample(o, e->arch, e->name, e->origin, e->first_seen, e->last_seen,
                                               e->sample_pid, e->sample_comm) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < obs->n_capabilities; i++) {
                const osl_obs_capability *c = &obs->capabilities[i];
                if (learned_has_capability(ver, c->name))
                        continue;
                if (osl_observation_add_capability(o, c->name, c->evidence) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                /* The entry just added (names are unique in an observation). */
                o->capabilities[o->n_capabilities - 1].count = c->count;
        }
        if (o->n_syscalls == 0 && o->n_capabilities == 0)
                return 0;
        o->notifications = obs->notifications;
        o->partial = obs->partial;
        if (!(o->container_id = strdup(obs->container_id)) || !(o->image_key = strdup(image_key)) ||
            !(o->start_time = strdup(obs->start_time)) || !(o->method = strdup(obs->method ? obs->method : "manual")) ||
            (obs->end_time && !(o->end_time = strdup(obs->end_time))) ||
            (obs->image_name && !(o->image_name = strdup(obs->image_name))) ||
            (obs->image_tag && !(o->image_tag = strdup(obs->image_tag))) ||
            (obs->image_digest && !(o->image_digest = strdup(obs->image_digest))))
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(o);
        return 0;
}

int osl_store_record_drift(osl_store *s, const char *image_key, uint32_t version, const osl_observation *obs,
                           osl_drift_result *res, osl_error *err)
{
        _cleanup_(osl_locked_image_clear) locked_image li = { .d = { .fd = -1, .versions_fd = -1, .images_fd = -1 }, .lock_fd = -1 };
        _cleanup_learned_ osl_learned *older = NULL;
        _cleanup_observation_ osl_observation *outside = NULL;
        _cleanup_drift_ osl_drift *d = NULL;
        _cleanup_free_ char *id = NULL;
        const osl_learned *ver;
        int r;

        *res = (osl_drift_result) {};
        if ((r = osl_observation_check_mergeable(obs, err)) < 0 || (r = osl_observation_id(obs, &id, err)) < 0 ||
            (r = osl_store_lock_and_load(s, image_key, false, &li, err)) < 0)
                return r;

        /* The version the container ran under. */
        if (version == 0 || version == li.current->version)
                ver = li.current;
        else if (version > li.current->version)
                return osl_err(err, -ENOENT, "version %" PRIu32 " of %s is not stored (the newest is %" PRIu32 ")",
                               version, image_key, li.current->version);
        else {
                r = osl_store_load_version_at(&li.d, image_key, version, &older, err);
                if (r == -ENOENT)
                        return osl_err_prefix(err, "version %" PRIu32 " of %s is missing", version, image_key);
                if (r < 0)
                        return r;
                ver = older;
        }
        res->version = ver->version;

        /* Recorded (or accepted, or merged) before: nothing changes. */
        if (osl_learned_merged_contains(li.current, id)) {
                res->duplicate = true;
                return 0;
        }
        if ((r = read_drift(&li.d, li.current, &d, NULL, err)) < 0)
                return r;
        for (size_t i = 0; i < d->n_records; i++) {
                _cleanup_free_ char *rec_id = NULL;
                const osl_drift_record *rec = &d->records[i];
                if ((r = osl_observation_id(rec->outside, &rec_id, err)) < 0)
                        return r;
                if (strcmp(rec_id, id) == 0) {
                        *res = (osl_drift_result) {
                                .version = rec->version,
                                .added_syscalls = syscall_pairs(rec->outside),
                                .added_capabilities = rec->outside->n_capabilities,
                                .duplicate = true,
                        };
                        return 0;
                }
        }

        if ((r = drift_outside(obs, image_key, ver, &outside, err)) < 0)
                return r;
        if (!outside)
                return 0;
        res->added_syscalls = syscall_pairs(outside);
        res->added_capabilities = outside->n_capabilities;

        /* Bounded: the oldest records make room for the newest. */
        if (d->n_records >= OSL_DRIFT_MAX) {
                size_t drop = d->n_records - OSL_DRIFT_MAX + 1;
                for (size_t i = 0; i < drop; i++) {
                        free(d->records[i].time);
                        osl_observation_free(d->records[i].outside);
                }
                memmove(d->records, d->records + drop, (d->n_records - drop) * sizeof(*d->records));
                d->n_records -= drop;
        }
        osl_drift_record *grown = realloc(d->records, (d->n_records + 1) * sizeof(*grown));
        if (!grown)
                return osl_err(err, -ENOMEM, "out of memory");
        d->records = grown;
        osl_drift_record *rec = &d->records[d->n_records];
        char now[32];
        osl_now_rfc3339(now);
        *rec = (osl_drift_record) { .time = strdup(now), .version = ver->version, .outside = TAKE_PTR(outside) };
        d->n_records++;
        if (!rec->time)
                return osl_err(err, -ENOMEM, "out of memory");
        return write_drift(&li, d, err);
}

int osl_store_load_drift(osl_store *s, const char *image_key, osl_drift **out, osl_error *err)
{
        _cleanup_(osl_image_dir_clear) image_dir d = { .fd = -1, .versions_fd = -1, .images_fd = -1 };
        _cleanup_learned_ osl_learned *current = NULL;
        int r;

        if ((r = osl_store_open_image(s, image_key, false, &d, err)) < 0 ||
            (r = osl_store_load_current(s, &d, image_key, false, &current, err)) < 0)
                return r;
        return read_drift(&d, current, out, NULL, err);
}

static int remove_drift(locked_image *li, osl_error *err)
{
        if (unlinkat(li->d.fd, DRIFT_FILE, 0) < 0 && errno != ENOENT)
                return osl_err(err, -errno, "cannot remove %s/%s: %m", li->d.path, DRIFT_FILE);
        if (fsync(li->d.fd) < 0)
                return osl_err(err, -errno, "cannot sync %s: %m", li->d.path);
        return 0;
}

int osl_store_accept_drift(osl_store *s, const char *image_key, osl_accept_result *res, osl_error *err)
{
        _cleanup_(osl_locked_image_clear) locked_image li = { .d = { .fd = -1, .versions_fd = -1, .images_fd = -1 }, .lock_fd = -1 };
        _cleanup_jv_ jv *added_syscalls = jv_new_array(), *added_caps = jv_new_array(), *containers = jv_new_array(),
                        *record = NULL;
        _cleanup_drift_ osl_drift *d = NULL;
        _cleanup_strv_ char **ids = NULL;
        bool exists;
        char now[32];
        int r;

        *res = (osl_accept_result) {};
        if (!added_syscalls || !added_caps || !containers)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = osl_store_lock_and_load(s, image_key, false, &li, err)) < 0 ||
            (r = read_drift(&li.d, li.current, &d, &exists, err)) < 0)
                return r;
        osl_learned *l = li.current;
        res->version = l->version;
        if (d->n_records == 0)
                /* Only records accepted before (a crash between the profile's
                 * write and this file's removal): finish that removal. */
                return exists ? remove_drift(&li, err) : 0;

        ids = calloc(d->n_records + 1, sizeof(char *));
        if (!ids)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < d->n_records; i++) {
                const osl_observation *o = d->records[i].outside;
                bool listed = false;
                if ((r = osl_observation_id(o, &ids[i], err)) < 0 ||
                    (r = osl_learned_union(l, o, added_syscalls, added_caps, err)) < 0)
                        return r;
                for (size_t j = 0; j < jv_arr_len(containers) && !listed; j++)
                        listed = strcmp(jv_str(jv_arr_at(containers, j)), o->container_id) == 0;
                if (!listed && jv_arr_append(containers, jv_new_string(o->container_id)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        res->records = d->n_records;
        res->added_syscalls = jv_arr_len(added_syscalls);
        res->added_capabilities = jv_arr_len(added_caps);
        res->new_version = res->added_syscalls > 0 || res->added_capabilities > 0;

        osl_now_rfc3339(now);
        if (res->new_version) {
                /* Named after the newest container; acceptedDrift lists them all. */
                l->version++;
                if ((r = osl_doc_history_record(&record, l->version, now, d->records[d->n_records - 1].outside,
                                        TAKE_PTR(added_syscalls), TAKE_PTR(added_caps), TAKE_PTR(containers), err)) < 0)
                        return r;
        }
        res->version = l->version;
        /* The profile first: once it lists the records as merged they are no
         * longer pending, even if removing drift.json fails. */
        if ((r = osl_store_publish(&li, l, TAKE_PTR(record), (const char *const *) ids, d->n_records, now, err)) < 0)
                return r;
        return remove_drift(&li, err);
}

/* ---- summaries, prune, rm ---- */
