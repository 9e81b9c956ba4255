/* SPDX-License-Identifier: Apache-2.0 */
/* The versioned per-image profile store (store.h, doc/store.md): paths,
 * locks, version files, the history log, summaries and migration. The
 * profile document itself is profile_doc.c's, drift is drift.c's.
 *
 * Everything below the root is reached through directory file descriptors
 * opened with O_NOFOLLOW, so a symlink planted anywhere under the root is
 * refused instead of followed. Writers hold flock(LOCK_EX) on the image's
 * lock file, waiting for it at most the store's lock timeout; every file is
 * replaced by rename of a fully written, fsynced temporary file (the history
 * log is appended to and fsynced), and versions/<N>.json and its history
 * line are written before profile.json, so a crash at any moment leaves the
 * old profile or the new one. Store v2 (doc/store.md): a version file holds
 * what its version changed, the history is history.jsonl; stores written
 * before are read as they are and migrated by their first write. Nothing in the store is open to
 * other users: directories are 0700, files 0600, and writers restrict what
 * an older version left looser. */
#include "store.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "image.h"
#include "store_internal.h"
#include "syscalls.h"

void osl_image_dir_clear(image_dir *d)
{
        free(d->path);
        free(d->versions_path);
        free(d->name);
        if (d->fd >= 0)
                close(d->fd);
        if (d->versions_fd >= 0)
                close(d->versions_fd);
        if (d->images_fd >= 0)
                close(d->images_fd);
        *d = IMAGE_DIR_INIT;
}

/* ---- opening things without following symlinks ---- */

static int refuse_reason(int dir_fd, const char *name, const char *path, int errno_value, osl_error *err)
{
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                return osl_err(err, -ELOOP, "%s is a symbolic link; refusing to follow it", path);
        errno = errno_value;
        if (errno_value == ENOTDIR)
                return osl_err(err, -ENOTDIR, "%s is not a directory", path);
        return osl_err(err, -errno_value, "cannot open %s: %m", path);
}

/* Takes group and other permissions off what fd refers to (a store
 * directory or file), for stores made by older versions. */
static int restrict_mode(int fd, const char *path, osl_error *err)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return osl_err(err, -errno, "cannot stat %s: %m", path);
        if ((st.st_mode & 077) == 0)
                return 0;
        if (fchmod(fd, st.st_mode & 07700) < 0)
                return osl_err(err, -errno, "cannot make %s private to its owner: %m", path);
        return 0;
}

/* Opens (creating when asked) the directory name under dir_fd. A writer
 * (create) also makes it private. */
static int open_dir_at(int dir_fd, const char *dir_path, const char *name, bool create, char **path_out,
                       int *fd_out, osl_error *err)
{
        _cleanup_free_ char *path = NULL;

        if (osl_asprintf(&path, "%s/%s", dir_path, name) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (create) {
                if (mkdirat(dir_fd, name, STORE_DIR_MODE) == 0) {
                        /* The new entry is durable once its directory is. */
                        if (fsync(dir_fd) < 0)
                                return osl_err(err, -errno, "cannot sync %s: %m", dir_path);
                } else if (errno != EEXIST)
                        return osl_err(err, -errno, "cannot create directory %s: %m", path);
        }
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return osl_err(err, -ENOENT, "%s does not exist", path);
                return refuse_reason(dir_fd, name, path, errno, err);
        }
        int r = create ? restrict_mode(fd, path, err) : 0;
        if (r < 0) {
                close(fd);
                return r;
        }
        *fd_out = fd;
        if (path_out)
                *path_out = TAKE_PTR(path);
        return 0;
}

/* Reads a regular file under dir_fd, never through a symlink. */
int osl_store_read_at(int dir_fd, const char *dir_path, const char *name, size_t max_bytes, char **path_out,
                   char **buf, size_t *len, osl_error *err)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (osl_asprintf(&path, "%s/%s", dir_path, name) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        /* O_NONBLOCK: a FIFO planted here must not hang us; fstat refuses it below. */
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT)
                        return osl_err(err, -ENOENT, "%s does not exist", path);
                return refuse_reason(dir_fd, name, path, errno, err);
        }
        if (fstat(fd, &st) < 0)
                return osl_err(err, -errno, "cannot stat %s: %m", path);
        if (!S_ISREG(st.st_mode))
                return osl_err(err, -EINVAL, "%s is not a regular file", path);
        int r = osl_read_fd(fd, path, max_bytes, buf, len, err);
        if (r < 0)
                return r;
        if (path_out)
                *path_out = TAKE_PTR(path);
        return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
        while (len > 0) {
                ssize_t w = write(fd, data, len);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                data += w;
                len -= (size_t) w;
        }
        return 0;
}

enum {
        WRITE_NO_REPLACE = 1 << 0, /* fail with -EEXIST rather than replace (versions are immutable) */
        WRITE_NO_SYNC = 1 << 1,    /* a cache that readers check (SUMMARY_FILE): no fsync */
        /* The file is synced, but not its directory: for a profile.json
         * that a durable version file can roll forward to (osl_store_publish). */
        WRITE_NO_DIR_SYNC = 1 << 2,
};

/* Atomically puts data at dir_fd/name: a temporary file in the same
 * directory, fsync, rename, fsync of the directory (flags: WRITE_*).
 * Only called with the image lock held, so the temporary name is ours. */
int osl_store_write_atomic(int dir_fd, const char *dir_path, const char *name, const char *data, size_t len,
                           unsigned flags, osl_error *err)
{
        bool no_replace = flags & WRITE_NO_REPLACE, sync = !(flags & WRITE_NO_SYNC),
             dir_sync = sync && !(flags & WRITE_NO_DIR_SYNC);
        char tmp[NAME_MAX + 1];
        _cleanup_close_ int fd = -1;
        int r;

        if ((size_t) snprintf(tmp, sizeof(tmp), "%s%s", TMP_PREFIX, name) >= sizeof(tmp))
                return osl_err(err, -ENAMETOOLONG, "%s/%s: name too long", dir_path, name);
        for (int attempt = 0; fd < 0; attempt++) {
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, STORE_FILE_MODE);
                if (fd >= 0)
                        break;
                if (errno != EEXIST || attempt > 0)
                        return osl_err(err, -errno, "cannot create %s/%s: %m", dir_path, tmp);
                /* Left by a writer that died; we hold the lock, so it is stale. */
                (void) unlinkat(dir_fd, tmp, 0);
        }
        /* Exactly the store's mode, whatever the umask. */
        if (fchmod(fd, STORE_FILE_MODE) < 0) {
                r = osl_err(err, -errno, "cannot set the mode of %s/%s: %m", dir_path, tmp);
                goto fail;
        }
        if ((r = write_all(fd, data, len)) < 0) {
                errno = -r;
                r = osl_err(err, r, "cannot write %s/%s: %m", dir_path, tmp);
                goto fail;
        }
        if (sync && fsync(fd) < 0) {
                r = osl_err(err, -errno, "cannot sync %s/%s: %m", dir_path, tmp);
                goto fail;
        }
        if (close(TAKE_FD(fd)) < 0) {
                r = osl_err(err, -errno, "cannot write %s/%s: %m", dir_path, tmp);
                goto fail;
        }
        if (no_replace) {
                r = renameat2(dir_fd, tmp, dir_fd, name, RENAME_NOREPLACE);
                if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
                        /* File systems without RENAME_NOREPLACE: link() never replaces either. */
                        r = linkat(dir_fd, tmp, dir_fd, name, 0);
                        if (r == 0)
                                (void) unlinkat(dir_fd, tmp, 0);
                }
        } else
                r = renameat(dir_fd, tmp, dir_fd, name);
        if (r < 0) {
                if (errno == EEXIST)
                        r = osl_err(err, -EEXIST, "%s/%s already exists and is never overwritten", dir_path, name);
                else
                        r = osl_err(err, -errno, "cannot rename %s/%s to %s: %m", dir_path, tmp, name);
                goto fail;
        }
        if (dir_sync && fsync(dir_fd) < 0)
                return osl_err(err, -errno, "cannot sync %s: %m", dir_path);
        return 0;
fail:
        (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

/* Makes the regular files in a store directory private (restrict_mode), or,
 * with remove_tmp, removes the temporary files that a killed writer left
 * (only with the lock held). */
static int tidy_dir(int dir_fd, const char *dir_path, bool remove_tmp, osl_error *err)
{
        int r = 0, fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return osl_err(err, -errno, "cannot open %s: %m", dir_path);
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return osl_err(err, -ENOMEM, "out of memory");
        }
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                if (remove_tmp) {
                        if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
                                (void) unlinkat(dir_fd, de->d_name, 0);
                        continue;
                }
                if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
                        continue;
                /* Never through a symlink; a FIFO must not block us. */
                _cleanup_close_ int file = openat(dir_fd, de->d_name,
                                                  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                struct stat st;
                if (file < 0 || fstat(file, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                _cleanup_free_ char *path = NULL;
                if (osl_asprintf(&path, "%s/%s", dir_path, de->d_name) < 0)
                        r = osl_err(err, -ENOMEM, "out of memory");
                else
                        r = restrict_mode(file, path, err);
        }
        closedir(d);
        return r;
}

/* ---- the store ---- */

int osl_store_open(const char *root, bool create, osl_store **out, osl_error *err)
{
        _cleanup_store_ osl_store *s = NULL;
        int r;

        if (!root) {
                const char *env = getenv(OSL_STORE_ENV);
                root = env && *env ? env : OSL_DEFAULT_STORE;
        }
        if (!*root)
                return osl_err(err, -EINVAL, "the store directory name is empty");
        s = calloc(1, sizeof(*s));
        if (!s)
                return osl_err(err, -ENOMEM, "out of memory");
        s->root_fd = -1;
        s->lock_timeout_ms = OSL_LOCK_TIMEOUT_DEFAULT_MS;
        if (!(s->root = strdup(root)))
                return osl_err(err, -ENOMEM, "out of memory");
        if (create && (r = osl_mkdir_p(root, STORE_DIR_MODE, err)) < 0)
                return r;
        /* The root itself is the administrator's choice and may be a
         * symlink; below it nothing is followed. */
        s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->root_fd < 0 && !(errno == ENOENT && !create))
                return osl_err(err, -errno, "cannot open the store %s: %m", root);
        /* A root made by an older version may be open to everyone. */
        if (create && (r = restrict_mode(s->root_fd, root, err)) < 0)
                return r;
        *out = TAKE_PTR(s);
        return 0;
}

void osl_store_close(osl_store *s)
{
        if (!s)
                return;
        if (s->root_fd >= 0)
                close(s->root_fd);
        free(s->root);
        free(s);
}

const char *osl_store_root(const osl_store *s)
{
        return s->root;
}

void osl_store_set_lock_timeout(osl_store *s, unsigned timeout_ms)
{
        s->lock_timeout_ms = timeout_ms;
}

int osl_store_open_image(osl_store *s, const char *image_key, bool create, image_dir *out, osl_error *err)
{
        _cleanup_free_ char *encoded = NULL, *images_path = NULL;
        _cleanup_close_ int images_fd = -1;
        image_dir d = { .fd = -1, .versions_fd = -1, .images_fd = -1 };
        int r;

        if (!image_key || !*image_key)
                return osl_err(err, -EINVAL, "the image key is empty");
        if ((r = osl_key_encode(image_key, &encoded, err)) < 0)
                return osl_err_prefix(err, "image %s", image_key);
        if (s->root_fd < 0)
                return osl_err(err, -ENOENT, "no profile is stored for %s (the store %s does not exist)", image_key,
                               s->root);
        r = open_dir_at(s->root_fd, s->root, IMAGES_DIR, create, &images_path, &images_fd, err);
        if (r == -ENOENT)
                return osl_err(err, -ENOENT, "no profile is stored for %s in %s", image_key, s->root);
        if (r < 0)
                return r;
        r = open_dir_at(images_fd, images_path, encoded, create, &d.path, &d.fd, err);
        if (r == -ENOENT)
                return osl_err(err, -ENOENT, "no profile is stored for %s in %s", image_key, s->root);
        if (r < 0)
                return r;
        d.images_fd = TAKE_FD(images_fd);
        d.name = TAKE_PTR(encoded);
        *out = d;
        return 0;
}

static int open_versions(image_dir *d, bool create, osl_error *err)
{
        if (d->versions_fd >= 0)
                return 0;
        return open_dir_at(d->fd, d->path, VERSIONS_DIR, create, &d->versions_path, &d->versions_fd, err);
}

/* ---- learned profiles in memory ---- */

/* Reads dir_fd/name (a profile or a version file) and checks it. */
static int load_file(int dir_fd, const char *dir_path, const char *name, const char *image_key, uint32_t want_version,
                     osl_learned **out, char **text_out, size_t *text_len, osl_error *err)
{
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len;
        int r;

        if ((r = osl_store_read_at(dir_fd, dir_path, name, PROFILE_MAX_BYTES, &path, &text, &len, err)) < 0)
                return r;
        if ((r = osl_learned_parse(text, len, path, image_key, want_version, out, err)) < 0)
                return r;
        if (text_out) {
                *text_out = TAKE_PTR(text);
                *text_len = len;
        }
        return 0;
}

static void version_name(uint32_t version, char buf[static 32])
{
        snprintf(buf, 32, "%" PRIu32 ".json", version);
}

static bool is_version_name(const char *name)
{
        size_t digits = strspn(name, "0123456789");
        return digits > 0 && strcmp(name + digits, ".json") == 0;
}

/* The oldest version file stored (0: none). */
static int oldest_version(image_dir *d, uint32_t *out, osl_error *err)
{
        int fd = openat(d->versions_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        if (!dir) {
                int r = osl_err(err, -errno, "cannot read %s: %m", d->versions_path);
                if (fd >= 0)
                        close(fd);
                return r;
        }
        *out = 0;
        for (struct dirent *de; (de = readdir(dir));) {
                if (!is_version_name(de->d_name))
                        continue;
                unsigned long long v = strtoull(de->d_name, NULL, 10);
                if (v > 0 && v <= UINT32_MAX && (*out == 0 || v < *out))
                        *out = (uint32_t) v;
        }
        closedir(dir);
        return 0;
}

/* Version v, complete, from the version files. */
int osl_store_load_version_at(image_dir *d, const char *image_key, uint32_t v, osl_learned **out, osl_error *err)
{
        _cleanup_learned_ osl_learned *acc = NULL;
        uint32_t first = 0;
        char name[32];
        int r;

        if ((r = open_versions(d, false, err)) < 0)
                return r;
        version_name(v, name);
        if ((r = load_file(d->versions_fd, d->versions_path, name, image_key, v, &acc, NULL, NULL, err)) < 0)
                return r;
        if (acc->schema_version == PROFILE_SCHEMA_V1) {
                *out = TAKE_PTR(acc);
                return 0;
        }
        osl_learned_free(TAKE_PTR(acc));
        if ((r = oldest_version(d, &first, err)) < 0)
                return r;
        for (uint32_t k = first; k <= v; k++) {
                _cleanup_learned_ osl_learned *kl = NULL;
                version_name(k, name);
                if ((r = load_file(d->versions_fd, d->versions_path, name, image_key, k, &kl, NULL, NULL, err)) < 0)
                        return r;
                bool base = false;
                /* Complete: the oldest, a base, or a file before v2. */
                if (!acc || kl->schema_version == PROFILE_SCHEMA_V1 ||
                    (jv_get_bool(jv_obj_get(kl->doc, "base"), &base) && base)) {
                        osl_learned_free(acc);
                        acc = TAKE_PTR(kl);
                } else if ((r = osl_learned_delta_apply(acc, kl, err)) < 0)
                        return r;
        }
        if ((r = osl_learned_rebuild_doc(acc, err)) < 0)
                return r;
        *out = TAKE_PTR(acc);
        return 0;
}

/* ---- the history log (store v2) ----
 *
 * HISTORY_FILE holds one history record per line, in version order, from
 * version 1 (or the oldest `profile prune` kept). A merge appends its line
 * (fsync) after the version file and before profile.json. A last line
 * without its newline is what a crash cut short: readers ignore it and the
 * next writer cuts it off; records beyond the profile's version belong to a
 * merge that died before publishing, and are dropped too. A record missing
 * at the end is taken from its version file, which holds its own. */

#define HISTORY_MAX_BYTES (256u * 1024 * 1024)

/* The history record of version v, from its version file. */
static int version_record(image_dir *d, const char *image_key, uint32_t v, jv **out, osl_error *err)
{
        _cleanup_learned_ osl_learned *vl = NULL;
        char name[32];
        int r;

        if ((r = open_versions(d, false, err)) < 0)
                return r;
        version_name(v, name);
        if ((r = load_file(d->versions_fd, d->versions_path, name, image_key, v, &vl, NULL, NULL, err)) < 0)
                return r;
        const jv *rec = vl->schema_version == PROFILE_SCHEMA_V1 ? jv_arr_at(vl->history, v - 1)
                                                                : jv_obj_get(vl->doc, "record");
        if (!rec)
                return osl_err(err, -EINVAL, "%s/%s: record: missing", d->versions_path, name);
        if (!(*out = jv_dup(rec)))
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

/* The version of the record in line [start, end) of text. */
static int history_line(const char *text, size_t start, size_t end, const char *path, jv **rec_out,
                        uint32_t *version, osl_error *err)
{
        _cleanup_jv_ jv *rec = NULL;
        uint64_t v;
        int r;

        if ((r = jv_parse(text + start, end - start, path, &rec, err)) < 0)
                return osl_err_prefix(err, "%s: the line at byte %zu", path, start);
        if (!jv_is(rec, JV_OBJECT) || !jv_get_uint64(jv_obj_get(rec, "version"), &v) || v == 0 || v > UINT32_MAX)
                return osl_err(err, -EINVAL, "%s: the line at byte %zu: version: expected an integer from 1", path, start);
        *version = (uint32_t) v;
        if (rec_out)
                *rec_out = TAKE_PTR(rec);
        return 0;
}

/* Reads the log. *good_len: the end of the last complete line whose record
 * is at most version `upto`; *last: that record's version (0: none). Lines
 * are only parsed from the end, so that a writer's cost does not grow with
 * the history. */
static int history_tail(image_dir *d, uint32_t upto, char **text_out, size_t *len_out, size_t *good_len,
                        uint32_t *last, osl_error *err)
{
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len = 0;
        int r;

        *good_len = 0;
        *last = 0;
        r = osl_store_read_at(d->fd, d->path, HISTORY_FILE, HISTORY_MAX_BYTES, &path, &text, &len, err);
        if (r == -ENOENT) {
                *text_out = NULL;
                *len_out = 0;
                return 0;
        }
        if (r < 0)
                return r;
        size_t end = len;
        while (end > 0 && text[end - 1] != '\n') /* a torn last line */
                end--;
        while (end > 0) {
                size_t start = end - 1;
                while (start > 0 && text[start - 1] != '\n')
                        start--;
                uint32_t v;
                if ((r = history_line(text, start, end - 1, path, NULL, &v, err)) < 0)
                        return r;
                if (v <= upto) {
                        *good_len = end;
                        *last = v;
                        break;
                }
                end = start;
        }
        *text_out = TAKE_PTR(text);
        *len_out = len;
        return 0;
}

static int history_append(image_dir *d, const jv *rec, osl_error *err)
{
        _cleanup_free_ char *text = NULL, *path = NULL;
        _cleanup_close_ int fd = -1;
        bool created = false;
        struct stat st;
        size_t len;
        int r;

        if (osl_asprintf(&path, "%s/%s", d->path, HISTORY_FILE) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = jv_serialize(rec, false, &text, &len, err)) < 0)
                return r;
        fd = openat(d->fd, HISTORY_FILE, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                fd = openat(d->fd, HISTORY_FILE, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                            STORE_FILE_MODE);
                created = fd >= 0;
        }
        if (fd < 0)
                return refuse_reason(d->fd, HISTORY_FILE, path, errno, err);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return osl_err(err, -EINVAL, "%s is not a regular file", path);
        if (created && fchmod(fd, STORE_FILE_MODE) < 0)
                return osl_err(err, -errno, "cannot set the mode of %s: %m", path);
        /* One line: compact JSON, and jv_serialize ends it with a newline. */
        if ((r = write_all(fd, text, len)) < 0) {
                errno = -r;
                return osl_err(err, r, "cannot write %s: %m", path);
        }
        if (fsync(fd) < 0)
                return osl_err(err, -errno, "cannot sync %s: %m", path);
        if (created && fsync(d->fd) < 0)
                return osl_err(err, -errno, "cannot sync %s: %m", d->path);
        return 0;
}

/* A writer's repair, under the lock: cuts off a torn line and records
 * beyond version `upto`, and appends the records of versions up to `upto`
 * the log lacks (a merge died before appending; a store before v2). */
static int history_repair(image_dir *d, const char *image_key, uint32_t upto, osl_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len, good_len;
        uint32_t last;
        int r;

        if ((r = history_tail(d, upto, &text, &len, &good_len, &last, err)) < 0)
                return r;
        if (good_len < len) {
                _cleanup_close_ int fd = openat(d->fd, HISTORY_FILE, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
                if (fd < 0 || ftruncate(fd, (off_t) good_len) < 0 || fsync(fd) < 0)
                        return osl_err(err, -errno, "cannot cut the torn end off %s/%s: %m", d->path, HISTORY_FILE);
        }
        for (uint32_t v = last + 1; v <= upto && v > last; v++) {
                _cleanup_jv_ jv *rec = NULL;
                r = version_record(d, image_key, v, &rec, err);
                if (r == -ENOENT && last == 0)
                        continue; /* pruned, and the log lost: what is left starts later */
                if (r < 0 || (r = history_append(d, rec, err)) < 0)
                        return r;
        }
        return 0;
}

/* A reader's history of a v2 profile at version `upto`: the log's records
 * up to it, checked, completed from the version files. */
static int history_load(image_dir *d, const char *image_key, uint32_t upto, jv **out, osl_error *err)
{
        _cleanup_free_ char *text = NULL, *path = NULL;
        _cleanup_jv_ jv *history = jv_new_array();
        size_t len = 0;
        uint32_t last = 0;
        int r;

        if (!history)
                return osl_err(err, -ENOMEM, "out of memory");
        r = osl_store_read_at(d->fd, d->path, HISTORY_FILE, HISTORY_MAX_BYTES, &path, &text, &len, err);
        if (r < 0 && r != -ENOENT)
                return r;
        for (size_t start = 0, end; text && start < len; start = end + 1) {
                const char *nl = memchr(text + start, '\n', len - start);
                if (!nl)
                        break; /* torn by a crash */
                end = (size_t) (nl - text);
                _cleanup_jv_ jv *rec = NULL;
                uint32_t v;
                char where[64];
                if ((r = history_line(text, start, end, path, &rec, &v, err)) < 0)
                        return r;
                if (v > upto)
                        break;
                snprintf(where, sizeof(where), "the line at byte %zu", start);
                if ((r = osl_doc_check_record(rec, where, last ? last + 1 : v, err)) < 0)
                        return osl_err_prefix(err, "%s", path);
                last = v;
                if (jv_arr_append(history, TAKE_PTR(rec)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        for (uint32_t v = last + 1; v <= upto && v > last; v++) {
                _cleanup_jv_ jv *rec = NULL;
                r = version_record(d, image_key, v, &rec, err);
                if (r == -ENOENT && last == 0)
                        continue;
                if (r < 0)
                        return r;
                if (jv_arr_append(history, TAKE_PTR(rec)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        *out = TAKE_PTR(history);
        return 0;
}

/* Gives a v2 profile read from disk the form readers know
 * (schema/profile.schema.json): its history, from the log, before merged. */
static int attach_history(image_dir *d, osl_learned *l, osl_error *err)
{
        _cleanup_jv_ jv *history = NULL;
        int r;

        if (l->schema_version == PROFILE_SCHEMA_V1)
                return 0;
        if ((r = history_load(d, l->image_key, l->version, &history, err)) < 0)
                return r;
        return osl_learned_attach_history(l, TAKE_PTR(history), err);
}

/* A reader's current profile of an opened image. -ENOENT only when no
 * profile was ever stored; profile.json gone while versions/ holds versions
 * is a damaged store (-EUCLEAN), which must not pass for a missing one. */
int osl_store_load_current(osl_store *s, image_dir *d, const char *image_key, bool with_history, osl_learned **out,
                        osl_error *err)
{
        int r = load_file(d->fd, d->path, PROFILE_FILE, image_key, 0, out, NULL, NULL, err);
        if (r >= 0 && with_history && (r = attach_history(d, *out, err)) < 0) {
                osl_learned_free(*out);
                *out = NULL;
        }
        if (r != -ENOENT)
                return r;
        r = open_versions(d, false, err);
        if (r == -ENOENT)
                return osl_err(err, -ENOENT, "no profile is stored for %s in %s", image_key, s->root);
        if (r < 0)
                return osl_err_prefix(err, "the store of %s is damaged", image_key);
        int fd = openat(d->versions_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        if (!dir) {
                r = osl_err(err, -errno, "cannot read %s: %m", d->versions_path);
                if (fd >= 0)
                        close(fd);
                return r;
        }
        bool versions = false;
        for (struct dirent *de; !versions && (de = readdir(dir));)
                versions = is_version_name(de->d_name);
        closedir(dir);
        if (versions)
                return osl_err(err, -EUCLEAN,
                               "the store of %s is damaged: %s/%s is missing, but %s holds versions (the next merge of the "
                               "image restores it from there)",
                               image_key, d->path, PROFILE_FILE, d->versions_path);
        return osl_err(err, -ENOENT, "no profile is stored for %s in %s", image_key, s->root);
}

int osl_store_load(osl_store *s, const char *image_key, uint32_t version, osl_learned **out, osl_error *err)
{
        _cleanup_(osl_image_dir_clear) image_dir d = { .fd = -1, .versions_fd = -1, .images_fd = -1 };
        _cleanup_learned_ osl_learned *current = NULL;
        int r;

        if ((r = osl_store_open_image(s, image_key, false, &d, err)) < 0 ||
            (r = osl_store_load_current(s, &d, image_key, true, &current, err)) < 0)
                return r;
        if (version == 0 || version == current->version) {
                *out = TAKE_PTR(current);
                return 0;
        }
        /* A version file beyond the current one is left by a merge that
         * died before publishing it; it does not exist yet. */
        if (version > current->version)
                return osl_err(err, -ENOENT, "version %" PRIu32 " of %s is not stored (the newest is %" PRIu32 ")",
                               version, image_key, current->version);
        r = osl_store_load_version_at(&d, image_key, version, out, err);
        if (r == -ENOENT)
                return osl_err(err, -ENOENT, "version %" PRIu32 " of %s is not stored (removed by profile prune, or missing)",
                               version, image_key);
        if (r >= 0 && (r = attach_history(&d, *out, err)) < 0) {
                osl_learned_free(*out);
                *out = NULL;
        }
        return r;
}

int osl_store_list(osl_store *s, char ***keys, size_t *n, osl_error *err)
{
        _cleanup_strv_ char **found = NULL;
        size_t n_found = 0;
        int images_fd = -1, r;

        if (s->root_fd >= 0) {
                r = open_dir_at(s->root_fd, s->root, IMAGES_DIR, false, NULL, &images_fd, err);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (images_fd >= 0) {
                DIR *dir = fdopendir(images_fd);
                if (!dir) {
                        r = osl_err(err, -errno, "cannot read %s/%s: %m", s->root, IMAGES_DIR);
                        close(images_fd);
                        return r;
                }
                for (struct dirent *de; (errno = 0, de = readdir(dir));) {
                        struct stat st;
                        _cleanup_free_ char *profile = NULL, *key = NULL;
                        osl_error ignored = {};

                        if (de->d_name[0] == '.')
                                continue;
                        /* Only directories that hold a profile, never through a symlink. */
                        if (fstatat(images_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                                continue;
                        if (osl_asprintf(&profile, "%s/%s", de->d_name, PROFILE_FILE) < 0) {
                                closedir(dir);
                                return osl_err(err, -ENOMEM, "out of memory");
                        }
                        if (fstatat(images_fd, profile, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        if (osl_key_decode(de->d_name, &key, &ignored) < 0)
                                continue; /* not a name we made */
                        if (osl_strv_push(&found, &n_found, key) < 0) {
                                closedir(dir);
                                return osl_err(err, -ENOMEM, "out of memory");
                        }
                }
                r = errno;
                closedir(dir);
                if (r != 0) {
                        errno = r;
                        return osl_err(err, -r, "cannot read %s/%s: %m", s->root, IMAGES_DIR);
                }
        }
        if (n_found > 1)
                qsort(found, n_found, sizeof(char *), osl_str_ptr_cmp);
        if (!found && !(found = calloc(1, sizeof(char *))))
                return osl_err(err, -ENOMEM, "out of memory");
        *keys = TAKE_PTR(found);
        if (n)
                *n = n_found;
        return 0;
}

/* ---- writing ---- */

/* Publishes a version file that a merge wrote before dying, before the
 * profile.json that names it: it holds that merge's complete result. */
static int roll_forward(image_dir *d, const char *image_key, osl_learned **current, osl_error *err)
{
        for (;;) {
                _cleanup_learned_ osl_learned *next = NULL;
                _cleanup_free_ char *text = NULL;
                size_t len;
                char name[32];
                uint32_t v = *current ? (*current)->version + 1 : 1;
                int r;

                version_name(v, name);
                r = load_file(d->versions_fd, d->versions_path, name, image_key, v, &next, &text, &len, err);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return osl_err_prefix(err, "cannot complete an interrupted merge");
                if (next->schema_version != PROFILE_SCHEMA_V1) {
                        /* The current profile with the version's changes laid
                         * over it, and merged with the ids it took in. */
                        _cleanup_jv_ jv *merged = jv_new_array(), *doc = NULL;
                        const jv *ids = jv_obj_get(next->doc, "merged");
                        _cleanup_free_ const char **idv = calloc(jv_arr_len(ids) + 1, sizeof(char *));
                        if (!merged || !idv)
                                return osl_err(err, -ENOMEM, "out of memory");
                        for (size_t i = 0; i < jv_arr_len(ids); i++)
                                idv[i] = jv_str(jv_arr_at(ids, i));
                        if ((r = osl_doc_merged_append(*current, merged, idv, jv_arr_len(ids), err)) < 0)
                                return r;
                        if (*current) {
                                if ((r = osl_learned_delta_apply(*current, next, err)) < 0)
                                        return r;
                                osl_learned_free(TAKE_PTR(next));
                                next = TAKE_PTR(*current);
                        }
                        if ((r = osl_learned_to_doc(next, NULL, TAKE_PTR(merged), next->updated,
                                                &doc, err)) < 0)
                                return r;
                        jv_free(next->doc);
                        next->doc = TAKE_PTR(doc);
                        free(TAKE_PTR(text));
                        if ((r = jv_serialize(next->doc, true, &text, &len, err)) < 0)
                                return r;
                }
                if ((r = osl_store_write_atomic(d->fd, d->path, PROFILE_FILE, text, len, 0, err)) < 0)
                        return r;
                osl_learned_free(*current);
                *current = TAKE_PTR(next);
        }
}

static void unlockp(int *fd)
{
        if (*fd >= 0) {
                (void) flock(*fd, LOCK_UN);
                close(*fd);
        }
}

/* The lock file is opened for writing and is private: a user who cannot
 * open it cannot hold it. */
static int lock_image(image_dir *d, unsigned timeout_ms, int *fd_out, osl_error *err)
{
        _cleanup_close_ int fd = openat(d->fd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
                                        STORE_FILE_MODE);
        _cleanup_free_ char *path = NULL;
        struct stat st;
        int r;

        if (osl_asprintf(&path, "%s/%s", d->path, LOCK_FILE) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (fd < 0)
                return refuse_reason(d->fd, LOCK_FILE, path, errno, err);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return osl_err(err, -EINVAL, "%s is not a regular file", path);
        if ((r = restrict_mode(fd, path, err)) < 0 || (r = osl_lock_fd(fd, path, timeout_ms, err)) < 0)
                return r;
        *fd_out = TAKE_FD(fd);
        return 0;
}

/* ---- the locked update that every writer makes ---- */

/* The files of a versions/ directory that is open to others (a store of an
 * older version), made private before the directory is. */
static int tidy_versions_loose(image_dir *d, osl_error *err)
{
        _cleanup_close_ int fd = openat(d->fd, VERSIONS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *path = NULL;
        if (fd < 0)
                return 0; /* open_versions says why */
        if (osl_asprintf(&path, "%s/%s", d->path, VERSIONS_DIR) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return tidy_dir(fd, path, false, err);
}

/* Whether the image's directory is still where it was opened, not renamed
 * away by `profile rm`. */
static bool image_dir_linked(const image_dir *d)
{
        struct stat a, b;
        return fstat(d->fd, &a) == 0 && fstatat(d->images_fd, d->name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

void osl_locked_image_clear(locked_image *li)
{
        osl_learned_free(li->current);
        unlockp(&li->lock_fd);
        osl_image_dir_clear(&li->d);
        li->current = NULL;
        li->lock_fd = -1;
}

/* create: make the image's directories (a merge); otherwise the image must
 * be stored already (drift needs a profile to drift from). */
int osl_store_lock_and_load(osl_store *s, const char *image_key, bool create, locked_image *li, osl_error *err)
{
        int r;

        *li = (locked_image) { .d = { .fd = -1, .versions_fd = -1, .images_fd = -1 }, .lock_fd = -1 };
        if (s->root_fd < 0)
                return create ? osl_err(err, -ENOENT, "the store %s does not exist (open it for writing)", s->root)
                              : osl_err(err, -ENOENT, "no profile is stored for %s (the store %s does not exist)",
                                        image_key, s->root);
        /* `profile rm` may have taken the directory away while we waited
         * for its lock: then open it again (a merge makes a new one). */
        for (int attempt = 0;; attempt++) {
                /* Private before anything else, so that a lock some other user
                 * took through the looser modes of an older version is its last. */
                struct stat vst;
                bool versions_loose = false;
                if ((r = osl_store_open_image(s, image_key, create, &li->d, err)) < 0 ||
                    (r = restrict_mode(li->d.fd, li->d.path, err)) < 0)
                        return r;
                /* The version files of an older store are made private with
                 * their directory (before it), so that a merge does not open
                 * every version file. */
                versions_loose = fstatat(li->d.fd, VERSIONS_DIR, &vst, AT_SYMLINK_NOFOLLOW) == 0 &&
                                 S_ISDIR(vst.st_mode) && (vst.st_mode & 077) != 0;
                if ((r = tidy_dir(li->d.fd, li->d.path, false, err)) < 0 ||
                    (versions_loose && (r = tidy_versions_loose(&li->d, err)) < 0) ||
                    (r = open_versions(&li->d, true, err)) < 0 ||
                    (r = lock_image(&li->d, s->lock_timeout_ms, &li->lock_fd, err)) < 0)
                        return r;
                if (image_dir_linked(&li->d))
                        break;
                unlockp(&li->lock_fd);
                li->lock_fd = -1;
                osl_image_dir_clear(&li->d);
                if (!create || attempt >= 3)
                        return osl_err(err, -ENOENT, "no profile is stored for %s in %s (removed meanwhile)", image_key,
                                       s->root);
        }
        if ((r = tidy_dir(li->d.fd, li->d.path, true, err)) < 0 ||
            (r = tidy_dir(li->d.versions_fd, li->d.versions_path, true, err)) < 0)
                return r;

        r = load_file(li->d.fd, li->d.path, PROFILE_FILE, image_key, 0, &li->current, NULL, NULL, err);
        if (r < 0 && r != -ENOENT)
                return r;
        if ((r = roll_forward(&li->d, image_key, &li->current, err)) < 0)
                return r;
        if (li->current && li->current->schema_version != PROFILE_SCHEMA_V1 &&
            (r = history_repair(&li->d, image_key, li->current->version, err)) < 0)
                return r;
        if (!li->current && !create)
                return osl_err(err, -ENOENT, "no profile is stored for %s in %s", image_key, s->root);
        return 0;
}

/* What identifies one profile.json: replaced by rename, it is a new inode
 * each time. */
static void profile_stamp(const struct stat *st, char buf[static 128])
{
        snprintf(buf, 128, "%ju:%ju:%jd:%jd.%09ld", (uintmax_t) st->st_dev, (uintmax_t) st->st_ino,
                 (intmax_t) st->st_size, (intmax_t) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

/* SUMMARY_FILE: what `profile list` shows of the image, and the stamp of
 * the profile.json it describes, so that a summary that is not of the
 * current profile.json (a crash between the two writes, a hand edit) is
 * never believed. A cache: written without fsync. */
static int write_summary(locked_image *li, const osl_learned *l, const char *updated, osl_error *err)
{
        _cleanup_jv_ jv *doc = jv_new_object();
        _cleanup_free_ char *text = NULL;
        struct stat st;
        char stamp[128];
        size_t len;
        int r;

        if (fstatat(li->d.fd, PROFILE_FILE, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return osl_err(err, -errno, "cannot stat %s/%s: %m", li->d.path, PROFILE_FILE);
        profile_stamp(&st, stamp);
        if (!doc || jv_obj_set(doc, "schemaVersion", jv_new_int(1)) < 0 ||
            jv_obj_set(doc, "image", jv_new_string(l->image_key)) < 0 ||
            jv_obj_set(doc, "version", jv_new_uint(l->version)) < 0 ||
            jv_obj_set(doc, "syscalls", jv_new_uint(l->n_syscalls)) < 0 ||
            jv_obj_set(doc, "capabilities", jv_new_uint(l->n_capabilities)) < 0 ||
            jv_obj_set(doc, "updated", jv_new_string(updated)) < 0 ||
            jv_obj_set(doc, "profile", jv_new_string(stamp)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = jv_serialize(doc, false, &text, &len, err)) < 0)
                return r;
        return osl_store_write_atomic(li->d.fd, li->d.path, SUMMARY_FILE, text, len, WRITE_NO_SYNC, err);
}

/* A store written before v2, on its first write: the history into
 * HISTORY_FILE, then every version file into its own content (with its
 * own record). profile.json goes last (osl_store_publish), so a crash on the way
 * leaves a v1 profile.json, and the next writer migrates again. */
static int migrate_v1(locked_image *li, const osl_learned *cur, osl_error *err)
{
        _cleanup_free_ char *log = NULL;
        size_t log_len = 0;
        int r;

        for (size_t i = 0; i < jv_arr_len(cur->history); i++) {
                _cleanup_free_ char *line = NULL;
                size_t len;
                if ((r = jv_serialize(jv_arr_at(cur->history, i), false, &line, &len, err)) < 0)
                        return r;
                char *grown = realloc(log, log_len + len + 1);
                if (!grown)
                        return osl_err(err, -ENOMEM, "out of memory");
                log = grown;
                memcpy(log + log_len, line, len);
                log_len += len;
        }
        if ((r = osl_store_write_atomic(li->d.fd, li->d.path, HISTORY_FILE, log ? log : "", log_len, 0, err)) < 0)
                return r;
        /* Newest first: each becomes what it changed over the one before,
         * which is still complete; a migration that died left the newest
         * ones done. */
        _cleanup_learned_ osl_learned *vl = NULL;
        for (uint32_t v = (uint32_t) jv_arr_len(cur->history); v >= 1; v--) {
                _cleanup_learned_ osl_learned *prev = NULL;
                _cleanup_jv_ jv *doc = NULL;
                _cleanup_free_ char *text = NULL;
                char name[32], prev_name[32];
                size_t len;

                version_name(v, name);
                if (!vl) {
                        r = load_file(li->d.versions_fd, li->d.versions_path, name, cur->image_key, v, &vl, NULL, NULL,
                                      err);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                return osl_err_prefix(err, "cannot migrate the store to its new format");
                }
                if (vl->schema_version != PROFILE_SCHEMA_V1)
                        break; /* this one and the older ones are done */
                if (v > 1) {
                        version_name(v - 1, prev_name);
                        r = load_file(li->d.versions_fd, li->d.versions_path, prev_name, cur->image_key, v - 1, &prev,
                                      NULL, NULL, err);
                        if (r < 0 && r != -ENOENT)
                                return osl_err_prefix(err, "cannot migrate the store to its new format");
                        r = 0;
                }
                if (!(doc = jv_dup(vl->doc)))
                        return osl_err(err, -ENOMEM, "out of memory");
                jv_obj_remove(doc, "history");
                if (jv_obj_set(doc, "schemaVersion", jv_new_int(PROFILE_SCHEMA_VERSION)) < 0 ||
                    jv_obj_set(doc, "merged", jv_new_array()) < 0 ||
                    jv_obj_set(doc, "record", jv_dup(jv_arr_at(cur->history, v - 1))) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if ((r = osl_doc_delta_filter(doc, prev ? prev->doc : NULL, err)) < 0 ||
                    (!prev && jv_obj_set(doc, "base", jv_new_bool(true)) < 0) ||
                    (r = jv_serialize(doc, true, &text, &len, err)) < 0 ||
                    (r = osl_store_write_atomic(li->d.versions_fd, li->d.versions_path, name, text, len, 0, err)) < 0)
                        return r < 0 ? r : osl_err(err, -ENOMEM, "out of memory");
                osl_learned_free(vl);
                vl = TAKE_PTR(prev);
        }
        return 0;
}

/* Writes l as the image's profile. record (taken): l is a new version with
 * this history record: versions/<V>.json (its own content, its record, and
 * the ids it took in), then its line in HISTORY_FILE; NULL: only the
 * profile changes. Then profile.json (with ids added to merged), then the
 * summary. Once profile.json names a version, its file and record exist. */
int osl_store_publish(locked_image *li, const osl_learned *l, jv *record, const char *const *ids, size_t n_ids,
                   const char *updated, osl_error *err)
{
        _cleanup_jv_ jv *rec = record, *merged = jv_new_array(), *doc = NULL;
        _cleanup_free_ char *text = NULL;
        bool had_record = record != NULL;
        size_t len;
        int r;

        if (!merged)
                return osl_err(err, -ENOMEM, "out of memory");
        if (l->schema_version == PROFILE_SCHEMA_V1 && (r = migrate_v1(li, l, err)) < 0)
                return r;
        if ((r = osl_doc_merged_append(l, merged, ids, n_ids, err)) < 0 ||
            (r = osl_learned_to_doc(l, NULL, TAKE_PTR(merged), updated, &doc, err)) < 0)
                return r;
        if (rec) {
                _cleanup_jv_ jv *vdoc = NULL, *added = jv_new_array();
                _cleanup_free_ char *vtext = NULL;
                char name[32];
                if (!added)
                        return osl_err(err, -ENOMEM, "out of memory");
                for (size_t i = 0; i < n_ids; i++)
                        if (jv_arr_append(added, jv_new_string(ids[i])) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                version_name(l->version, name);
                if ((r = osl_doc_version_file(doc, l->doc, TAKE_PTR(rec), TAKE_PTR(added), &vdoc, err)) < 0 ||
                    (r = jv_serialize(vdoc, true, &vtext, &len, err)) < 0 ||
                    (r = osl_store_write_atomic(li->d.versions_fd, li->d.versions_path, name, vtext, len,
                                                WRITE_NO_REPLACE, err)) < 0 ||
                    (r = history_append(&li->d, jv_obj_get(vdoc, "record"), err)) < 0)
                        return r;
        }
        /* With a new version, that version's file and history line are
         * durable now, and a profile.json whose rename a crash undoes is
         * rolled forward to it by the next writer (roll_forward): its
         * directory need not be synced too (doc/store.md, "Crash safety").
         * Not for version 1: without a profile.json, readers would take
         * the image for a damaged one until then. */
        if ((r = jv_serialize(doc, true, &text, &len, err)) < 0 ||
            (r = osl_store_write_atomic(li->d.fd, li->d.path, PROFILE_FILE, text, len,
                                        had_record && l->version > 1 ? WRITE_NO_DIR_SYNC : 0, err)) < 0)
                return r;
        return write_summary(li, l, updated, err);
}

int osl_store_merge(osl_store *s, const char *image_key, const osl_observation *obs, osl_merge_result *res,
                    osl_error *err)
{
        _cleanup_(osl_locked_image_clear) locked_image li = { .d = { .fd = -1, .versions_fd = -1, .images_fd = -1 }, .lock_fd = -1 };
        _cleanup_jv_ jv *added_syscalls = jv_new_array(), *added_caps = jv_new_array(), *record = NULL;
        _cleanup_free_ char *id = NULL;
        char now[32];
        int r;

        *res = (osl_merge_result) {};
        if (!added_syscalls || !added_caps)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = osl_observation_check_mergeable(obs, err)) < 0 || (r = osl_observation_id(obs, &id, err)) < 0 ||
            (r = osl_store_lock_and_load(s, image_key, true, &li, err)) < 0)
                return r;

        if (osl_learned_merged_contains(li.current, id)) {
                res->version = li.current->version;
                res->duplicate = true;
                return 0;
        }

        osl_learned *l = li.current;
        if (!l) {
                if (!(l = li.current = calloc(1, sizeof(*l))) || !(l->image_key = strdup(image_key)))
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if ((r = osl_learned_union(l, obs, added_syscalls, added_caps, err)) < 0)
                return r;
        res->added_syscalls = jv_arr_len(added_syscalls);
        res->added_capabilities = jv_arr_len(added_caps);
        res->new_version = res->added_syscalls > 0 || res->added_capabilities > 0;

        res->version = l->version;
        /* Nothing new: nothing is written at all (a converged container's
         * poststop costs only the read); its evidence is not kept. */
        if (!res->new_version)
                return 0;

        osl_now_rfc3339(now);
        res->version = ++l->version;
        if ((r = osl_doc_history_record(&record, l->version, now, obs, TAKE_PTR(added_syscalls), TAKE_PTR(added_caps), NULL,
                                err)) < 0)
                return r;
        return osl_store_publish(&li, l, TAKE_PTR(record), (const char *const[]) { id }, 1, now, err);
}

/* The summary of the image open at d, whose profile.json is st (NULL:
 * none or not a regular file): summary.json when it was written with this
 * very profile.json, else the profile itself, checked. */
static int summary_at(osl_store *s, image_dir *d, const char *image_key, const struct stat *st,
                      osl_profile_summary *out, osl_error *err)
{
        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_jv_ jv *doc = NULL;
        osl_error ignored = {};
        char stamp[128], text[SUMMARY_MAX_BYTES + 1];
        ssize_t len = -1;
        int r;

        *out = (osl_profile_summary) {};
        if (st) {
                /* One read, no fstat (profile list reads a thousand of
                 * these): nothing in it is trusted unless it parses and
                 * names this very profile.json, and anything else (a FIFO,
                 * a device, a file too large) falls back to the profile. */
                int fd = openat(d->fd, SUMMARY_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                if (fd < 0 && errno == ELOOP) {
                        _cleanup_free_ char *path = NULL;
                        if (osl_asprintf(&path, "%s/%s", d->path, SUMMARY_FILE) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                        return refuse_reason(d->fd, SUMMARY_FILE, path, ELOOP, err);
                }
                if (fd >= 0) {
                        len = read(fd, text, sizeof(text));
                        close(fd);
                }
                profile_stamp(st, stamp);
                const char *updated;
                uint64_t version, schema, n_sys, n_caps;
                if (len > 0 && (size_t) len < sizeof(text) && jv_parse(text, (size_t) len, SUMMARY_FILE, &doc, &ignored) >= 0 &&
                    jv_get_uint64(jv_obj_get(doc, "schemaVersion"), &schema) && schema == 1 &&
                    jv_str(jv_obj_get(doc, "profile")) && strcmp(jv_str(jv_obj_get(doc, "profile")), stamp) == 0 &&
                    jv_str(jv_obj_get(doc, "image")) && strcmp(jv_str(jv_obj_get(doc, "image")), image_key) == 0 &&
                    jv_get_uint64(jv_obj_get(doc, "version"), &version) && version > 0 && version <= UINT32_MAX &&
                    jv_get_uint64(jv_obj_get(doc, "syscalls"), &n_sys) &&
                    jv_get_uint64(jv_obj_get(doc, "capabilities"), &n_caps) &&
                    (updated = jv_str(jv_obj_get(doc, "updated"))) && strlen(updated) < sizeof(out->updated)) {
                        *out = (osl_profile_summary) { .version = (uint32_t) version, .syscalls = n_sys,
                                                       .capabilities = n_caps };
                        snprintf(out->updated, sizeof(out->updated), "%s", updated);
                        return 0;
                }
        }
        if ((r = osl_store_load_current(s, d, image_key, false, &l, err)) < 0)
                return r;
        *out = (osl_profile_summary) { .version = l->version, .syscalls = l->n_syscalls,
                                       .capabilities = l->n_capabilities };
        snprintf(out->updated, sizeof(out->updated), "%s", l->updated);
        return 0;
}

int osl_store_summary(osl_store *s, const char *image_key, osl_profile_summary *out, osl_error *err)
{
        _cleanup_(osl_image_dir_clear) image_dir d = IMAGE_DIR_INIT;
        struct stat st;
        int r;

        *out = (osl_profile_summary) {};
        if ((r = osl_store_open_image(s, image_key, false, &d, err)) < 0)
                return r;
        bool profile = fstatat(d.fd, PROFILE_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
        return summary_at(s, &d, image_key, profile ? &st : NULL, out, err);
}

static int image_summary_cmp(const void *a, const void *b)
{
        return strcmp(((const osl_image_summary *) a)->image_key, ((const osl_image_summary *) b)->image_key);
}

void osl_image_summaries_free(osl_image_summary *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i].image_key);
        free(v);
}

int osl_store_summaries(osl_store *s, osl_image_summary **out, size_t *n, osl_error *err)
{
        _cleanup_free_ char *images_path = NULL;
        osl_image_summary *v = NULL;
        size_t count = 0, cap = 0;
        int images_fd = -1, r;

        *out = NULL;
        *n = 0;
        if (s->root_fd >= 0) {
                r = open_dir_at(s->root_fd, s->root, IMAGES_DIR, false, &images_path, &images_fd, err);
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        if (images_fd < 0)
                return 0;
        DIR *dir = fdopendir(images_fd);
        if (!dir) {
                r = osl_err(err, -errno, "cannot read %s: %m", images_path);
                close(images_fd);
                return r;
        }
        /* The images osl_store_list names: directories that hold a regular
         * profile.json, never reached through a symlink; each read through
         * the one open images/ directory. */
        for (struct dirent *de; (errno = 0, de = readdir(dir));) {
                _cleanup_(osl_image_dir_clear) image_dir d = IMAGE_DIR_INIT;
                _cleanup_free_ char *key = NULL;
                osl_error ignored = {};
                struct stat st;

                if (de->d_name[0] == '.')
                        continue;
                d.fd = openat(images_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (d.fd < 0 || fstatat(d.fd, PROFILE_FILE, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
                    osl_key_decode(de->d_name, &key, &ignored) < 0)
                        continue;
                if (count == cap) {
                        osl_image_summary *grown = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
                        if (!grown) {
                                r = osl_err(err, -ENOMEM, "out of memory");
                                goto fail;
                        }
                        v = grown;
                }
                if (osl_asprintf(&d.path, "%s/%s", images_path, de->d_name) < 0) {
                        r = osl_err(err, -ENOMEM, "out of memory");
                        goto fail;
                }
                osl_image_summary *e = &v[count++];
                *e = (osl_image_summary) { .image_key = TAKE_PTR(key) };
                (void) summary_at(s, &d, e->image_key, &st, &e->summary, &e->error);
        }
        if (errno != 0) {
                r = osl_err(err, -errno, "cannot read %s: %m", images_path);
                goto fail;
        }
        closedir(dir);
        if (count > 1)
                qsort(v, count, sizeof(*v), image_summary_cmp);
        *out = v;
        *n = count;
        return 0;
fail:
        closedir(dir);
        osl_image_summaries_free(v, count);
        return r;
}

int osl_store_prune(osl_store *s, const char *image_key, uint32_t keep, osl_prune_result *res, osl_error *err)
{
        _cleanup_(osl_locked_image_clear) locked_image li = { .d = IMAGE_DIR_INIT, .lock_fd = -1 };
        _cleanup_free_ char *text = NULL, *path = NULL, *kept = NULL;
        size_t len = 0, kept_len = 0;
        int r;

        *res = (osl_prune_result) {};
        if (keep == 0)
                return osl_err(err, -EINVAL, "--keep must keep at least one version");
        if ((r = osl_store_lock_and_load(s, image_key, false, &li, err)) < 0)
                return r;
        osl_learned *l = li.current;
        res->version = l->version;
        res->first_kept = l->version > keep ? l->version - keep + 1 : 1;
        /* A store before v2 is migrated first, its profile unchanged. */
        if (l->schema_version == PROFILE_SCHEMA_V1 &&
            (r = osl_store_publish(&li, l, NULL, NULL, 0, l->updated, err)) < 0)
                return r;

        if (res->first_kept == 1)
                return 0;
        /* The oldest kept version becomes complete (a base), then the log
         * loses the records dropped (atomically), then the files go. */
        {
                _cleanup_learned_ osl_learned *full = NULL;
                _cleanup_jv_ jv *rec = NULL, *doc = NULL;
                _cleanup_free_ char *vtext = NULL;
                char name[32];
                size_t vlen;
                version_name(res->first_kept, name);
                if ((r = osl_store_load_version_at(&li.d, image_key, res->first_kept, &full, err)) < 0 ||
                    (r = version_record(&li.d, image_key, res->first_kept, &rec, err)) < 0 ||
                    (r = osl_learned_to_doc(full, TAKE_PTR(rec), jv_dup(jv_obj_get(full->doc, "merged")),
                                        full->updated, &doc, err)) < 0)
                        return r;
                jv_obj_remove(doc, "seccomp");
                if (jv_obj_set(doc, "base", jv_new_bool(true)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if ((r = jv_serialize(doc, true, &vtext, &vlen, err)) < 0 ||
                    (r = osl_store_write_atomic(li.d.versions_fd, li.d.versions_path, name, vtext, vlen, 0, err)) < 0)
                        return r;
        }
        r = osl_store_read_at(li.d.fd, li.d.path, HISTORY_FILE, HISTORY_MAX_BYTES, &path, &text, &len, err);
        if (r < 0 && r != -ENOENT)
                return r;
        if (!(kept = malloc(len + 1)))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t start = 0, end; text && start < len; start = end + 1) {
                const char *nl = memchr(text + start, '\n', len - start);
                uint32_t v;
                if (!nl)
                        break;
                end = (size_t) (nl - text);
                if ((r = history_line(text, start, end, path, NULL, &v, err)) < 0)
                        return r;
                if (v < res->first_kept || v > l->version)
                        continue;
                memcpy(kept + kept_len, text + start, end + 1 - start);
                kept_len += end + 1 - start;
        }
        if (kept_len != len &&
            (r = osl_store_write_atomic(li.d.fd, li.d.path, HISTORY_FILE, kept, kept_len, 0, err)) < 0)
                return r;

        int fd = openat(li.d.versions_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        if (!dir) {
                r = osl_err(err, -errno, "cannot read %s: %m", li.d.versions_path);
                if (fd >= 0)
                        close(fd);
                return r;
        }
        r = 0;
        for (struct dirent *de; r >= 0 && (de = readdir(dir));) {
                if (!is_version_name(de->d_name) || strtoull(de->d_name, NULL, 10) >= res->first_kept)
                        continue;
                if (unlinkat(li.d.versions_fd, de->d_name, 0) < 0)
                        r = osl_err(err, -errno, "cannot remove %s/%s: %m", li.d.versions_path, de->d_name);
                else
                        res->removed++;
        }
        closedir(dir);
        if (r < 0)
                return r;
        if (res->removed > 0 && fsync(li.d.versions_fd) < 0)
                return osl_err(err, -errno, "cannot sync %s: %m", li.d.versions_path);
        return 0;
}

/* Removes dir_fd/name and what it holds, depth directories deep, never
 * through a symlink. Gone already: fine. */
static int remove_tree(int dir_fd, const char *name, int depth)
{
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        DIR *dir = fdopendir(fd);
        if (!dir) {
                close(fd);
                return -ENOMEM;
        }
        int r = 0;
        for (struct dirent *de; (de = readdir(dir));) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
                        continue;
                int q = errno == EISDIR && depth > 0 ? remove_tree(fd, de->d_name, depth - 1) : -errno;
                if (q < 0 && r == 0)
                        r = q;
        }
        closedir(dir);
        if (unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

int osl_store_remove(osl_store *s, const char *image_key, osl_error *err)
{
        _cleanup_(osl_image_dir_clear) image_dir d = IMAGE_DIR_INIT;
        _cleanup_(unlockp) int lock_fd = -1;
        struct timespec ts;
        char gone[64];
        int r;

        if ((r = osl_store_open_image(s, image_key, false, &d, err)) < 0 ||
            (r = lock_image(&d, s->lock_timeout_ms, &lock_fd, err)) < 0)
                return r;
        if (!image_dir_linked(&d))
                return osl_err(err, -ENOENT, "no profile is stored for %s in %s", image_key, s->root);
        /* One rename takes the image away for readers and writers alike;
         * writers waiting for the lock see it gone (osl_store_lock_and_load). */
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(gone, sizeof(gone), RM_PREFIX "%d-%jd.%09ld", (int) getpid(), (intmax_t) ts.tv_sec, ts.tv_nsec);
        if (renameat(d.images_fd, d.name, d.images_fd, gone) < 0)
                return osl_err(err, -errno, "cannot remove %s: %m", d.path);
        if (fsync(d.images_fd) < 0)
                return osl_err(err, -errno, "cannot sync %s/%s: %m", s->root, IMAGES_DIR);
        /* What is left below images/ by an rm that died is removed too. */
        int fd = openat(d.images_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        if (!dir) {
                if (fd >= 0)
                        close(fd);
                return osl_err(err, -ENOMEM, "out of memory");
        }
        r = 0;
        for (struct dirent *de; (de = readdir(dir));) {
                if (strncmp(de->d_name, RM_PREFIX, strlen(RM_PREFIX)) != 0)
                        continue;
                int q = remove_tree(d.images_fd, de->d_name, 2);
                if (q < 0 && strcmp(de->d_name, gone) == 0)
                        r = q;
        }
        closedir(dir);
        if (r < 0) {
                errno = -r;
                return osl_err(err, r, "%s is removed from the store, but deleting its files in %s/%s/%s failed: %m",
                               image_key, s->root, IMAGES_DIR, gone);
        }
        return 0;
}
