/* SPDX-License-Identifier: Apache-2.0 */
/* The versioned per-image profile store (store.h, doc/store.md).
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

static void image_dir_clear(image_dir *d)
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
static int read_at(int dir_fd, const char *dir_path, const char *name, size_t max_bytes, char **path_out,
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
};

/* Atomically puts data at dir_fd/name: a temporary file in the same
 * directory, fsync, rename, fsync of the directory (flags: WRITE_*).
 * Only called with the image lock held, so the temporary name is ours. */
static int write_at_atomic(int dir_fd, const char *dir_path, const char *name, const char *data, size_t len,
                           unsigned flags, osl_error *err)
{
        bool no_replace = flags & WRITE_NO_REPLACE, sync = !(flags & WRITE_NO_SYNC);
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
        if (sync && fsync(dir_fd) < 0)
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

static int open_image(osl_store *s, const char *image_key, bool create, image_dir *out, osl_error *err)
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

void osl_learned_free(osl_learned *l)
{
        if (!l)
                return;
        free(l->image_key);
        for (size_t i = 0; i < l->n_syscalls; i++) {
                free(l->syscalls[i].arch);
                free(l->syscalls[i].name);
                free(l->syscalls[i].first_seen);
                free(l->syscalls[i].last_seen);
                free(l->syscalls[i].sample_container);
                free(l->syscalls[i].sample_comm);
        }
        free(l->syscalls);
        for (size_t i = 0; i < l->n_capabilities; i++) {
                free(l->capabilities[i].name);
                free(l->capabilities[i].evidence);
        }
        free(l->capabilities);
        /* history points into doc. */
        jv_free(l->doc);
        free(l);
}

static int learned_syscall_cmp(const void *a, const void *b)
{
        const osl_learned_syscall *x = a, *y = b;
        int r = strcmp(x->arch, y->arch);
        return r ? r : strcmp(x->name, y->name);
}

static int learned_capability_cmp(const void *a, const void *b)
{
        const osl_learned_capability *x = a, *y = b;
        return strcmp(x->name, y->name);
}

static osl_learned_syscall *find_syscall(const osl_learned *l, const char *arch, const char *name)
{
        osl_learned_syscall key = { .arch = (char *) arch, .name = (char *) name };
        if (!l || l->n_syscalls == 0)
                return NULL;
        return bsearch(&key, l->syscalls, l->n_syscalls, sizeof(*l->syscalls), learned_syscall_cmp);
}

bool osl_learned_has_syscall(const osl_learned *l, const char *arch, const char *name)
{
        return arch && name && find_syscall(l, arch, name);
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int osl_learned_to_seccomp(const osl_learned *l, const char *default_action, uint32_t default_errno,
                           osl_seccomp **out, osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *sc = osl_seccomp_new();
        _cleanup_strv_ char **names = NULL;
        size_t n_names = 0;
        int r;

        if (!sc)
                return osl_err(err, -ENOMEM, "out of memory");
        if (!default_action || !osl_seccomp_action_valid(default_action))
                return osl_err(err, -EINVAL, "\"%s\" is not a seccomp action", default_action ? default_action : "");
        if (!(sc->default_action = strdup(default_action)))
                return osl_err(err, -ENOMEM, "out of memory");
        if (strcmp(default_action, "SCMP_ACT_ERRNO") == 0 || strcmp(default_action, "SCMP_ACT_TRACE") == 0) {
                sc->has_default_errno_ret = true;
                sc->default_errno_ret = default_errno;
        }
        /* syscalls are sorted by arch, so each architecture is one run. */
        for (size_t i = 0; i < l->n_syscalls; i++) {
                const osl_learned_syscall *e = &l->syscalls[i];
                if ((i == 0 || strcmp(l->syscalls[i - 1].arch, e->arch) != 0) &&
                    !osl_strv_contains(sc->architectures, e->arch) &&
                    osl_strv_push(&sc->architectures, &sc->n_architectures, e->arch) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if (!osl_strv_contains(names, e->name) && osl_strv_push(&names, &n_names, e->name) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if (n_names > 1)
                qsort(names, n_names, sizeof(char *), str_cmp);
        if (n_names > 0 && (r = osl_seccomp_add_rule(sc, names, n_names, "SCMP_ACT_ALLOW", err)) < 0)
                return r;
        *out = TAKE_PTR(sc);
        return 0;
}

/* ---- reading and checking profile.json / versions/<N>.json ---- */

static int field_error(osl_error *err, const char *path, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int field_error(osl_error *err, const char *path, const char *key, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (!*path && !key)
                return osl_err(err, -EINVAL, "%s", msg);
        return osl_err(err, -EINVAL, "%s%s%s: %s", path, *path && key ? "." : "", key ? key : "", msg);
}

static const char *describe(const jv *v)
{
        return v->type == JV_NUMBER ? v->u.number : jv_type_name(v->type);
}

static int get_field(const jv *obj, const char *path, const char *key, jv_type type, const jv **out,
                     osl_error *err)
{
        const jv *v = jv_obj_get(obj, key);
        if (!v)
                return field_error(err, path, key, "missing");
        if (v->type != type)
                return field_error(err, path, key, "expected %s %s, got %.40s",
                                   type == JV_ARRAY || type == JV_OBJECT ? "an" : "a", jv_type_name(type), describe(v));
        *out = v;
        return 0;
}

static int get_u64(const jv *obj, const char *path, const char *key, uint64_t max, uint64_t *out, osl_error *err)
{
        const jv *v = jv_obj_get(obj, key);
        if (!v)
                return field_error(err, path, key, "missing");
        if (!jv_get_uint64(v, out) || *out > max)
                return field_error(err, path, key, "expected an integer from 0 to %" PRIu64 ", got %.40s", max,
                                   describe(v));
        return 0;
}

/* A non-empty string without NUL bytes. null is accepted when nullable (*out = NULL). */
static int get_string(const jv *obj, const char *path, const char *key, bool nullable, const char **out,
                      osl_error *err)
{
        const jv *v = jv_obj_get(obj, key);
        if (!v)
                return field_error(err, path, key, "missing");
        if (nullable && v->type == JV_NULL) {
                *out = NULL;
                return 0;
        }
        const char *s = jv_str(v);
        if (!s || !*s)
                return field_error(err, path, key, "expected a non-empty string%s, got %.40s",
                                   nullable ? " or null" : "",
                                   s                       ? "\"\""
                                   : v->type == JV_STRING ? "a string with a NUL byte"
                                                          : describe(v));
        *out = s;
        return 0;
}

static int get_time(const jv *obj, const char *path, const char *key, const char **out, osl_error *err)
{
        int64_t sec;
        uint32_t nsec;
        int r = get_string(obj, path, key, false, out, err);
        if (r < 0)
                return r;
        if (!osl_rfc3339_parse(*out, &sec, &nsec))
                return field_error(err, path, key, "\"%.60s\" is not an RFC 3339 time", *out);
        return 0;
}

static int check_fields(const jv *obj, const char *path, const char *const *allowed, size_t n, osl_error *err)
{
        for (size_t i = 0; i < obj->u.object.len; i++) {
                const char *k = obj->u.object.keys[i];
                bool ok = false;
                for (size_t j = 0; j < n && !ok; j++)
                        ok = strcmp(k, allowed[j]) == 0;
                if (!ok)
                        return field_error(err, path, NULL, "unknown field \"%.60s\"", k);
                for (size_t j = 0; j < i; j++)
                        if (strcmp(k, obj->u.object.keys[j]) == 0)
                                return field_error(err, path, NULL, "field \"%.60s\" appears twice", k);
        }
        return 0;
}

static int check_arch(const char *arch, const char *path, const char *key, osl_error *err)
{
        uint32_t token;
        osl_error inner = {};
        if (osl_arch_from_oci(arch, &token, &inner) < 0)
                return field_error(err, path, key, "unknown architecture \"%.60s\"", arch);
        return 0;
}

/* The "arch" (one libseccomp knows) and "name" (a syscall name) of a syscall entry at path. */
static int get_arch_and_name(const jv *e, const char *path, const char **arch, const char **name, osl_error *err)
{
        int r;
        if ((r = get_string(e, path, "arch", false, arch, err)) < 0 || (r = check_arch(*arch, path, "arch", err)) < 0 ||
            (r = get_string(e, path, "name", false, name, err)) < 0)
                return r;
        if (!osl_syscall_name_valid(*name))
                return field_error(err, path, "name", "\"%.60s\" is not a syscall name", *name);
        return 0;
}

/* The optional "sample" of a syscall entry: {"pid", "comm", "containerId"}. */
static int parse_sample(const jv *e, const char *path, osl_learned_syscall *out, osl_error *err)
{
        static const char *const fields[] = { "pid", "comm", "containerId" };
        const jv *sample = jv_obj_get(e, "sample"), *pid;
        const char *container, *comm = NULL;
        char spath[96];
        int r;

        if (!sample)
                return 0;
        if (!jv_is(sample, JV_OBJECT))
                return field_error(err, path, "sample", "expected an object, got %.40s", describe(sample));
        snprintf(spath, sizeof(spath), "%s.sample", path);
        if ((r = check_fields(sample, spath, fields, ELEMENTSOF(fields), err)) < 0 ||
            (r = get_string(sample, spath, "containerId", false, &container, err)) < 0)
                return r;
        if ((pid = jv_obj_get(sample, "pid"))) {
                int64_t v;
                if (!jv_get_int64(pid, &v) || v < 1 || v > OSL_SAMPLE_PID_MAX)
                        return field_error(err, spath, "pid", "expected a process id from 1 to %d, got %.40s",
                                           OSL_SAMPLE_PID_MAX, describe(pid));
                out->sample_pid = v;
        }
        if (jv_obj_get(sample, "comm")) {
                if ((r = get_string(sample, spath, "comm", false, &comm, err)) < 0)
                        return r;
                if (!osl_comm_valid(comm))
                        return field_error(err, spath, "comm", "is not a command name (1 to %d bytes of printable ASCII)",
                                           OSL_COMM_MAX);
        }
        out->sample_container = strdup(container);
        out->sample_comm = osl_strdup(comm);
        if (!out->sample_container || (comm && !out->sample_comm))
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

static int parse_syscall_entry(const jv *e, const char *path, uint32_t version, osl_learned_syscall *out,
                               osl_error *err)
{
        static const char *const fields[] = {
                "arch", "name", "origins", "count", "containers", "firstSeen", "lastSeen", "addedIn", "sample",
        };
        const char *arch, *name, *first, *last;
        const jv *origins = NULL;
        uint64_t added_in;
        int r;

        if (!jv_is(e, JV_OBJECT))
                return field_error(err, path, NULL, "expected an object, got %.40s", describe(e));
        if ((r = check_fields(e, path, fields, ELEMENTSOF(fields), err)) < 0 ||
            (r = get_arch_and_name(e, path, &arch, &name, err)) < 0)
                return r;
        if ((r = get_field(e, path, "origins", JV_ARRAY, &origins, err)) < 0)
                return r;
        if (jv_arr_len(origins) == 0)
                return field_error(err, path, "origins", "must not be empty");
        for (size_t i = 0; i < jv_arr_len(origins); i++) {
                const char *o = jv_str(jv_arr_at(origins, i));
                bool found = false;
                for (unsigned k = 0; k < _OSL_ORIGIN_MAX && o; k++)
                        if (strcmp(o, osl_origin_name((osl_origin) k)) == 0) {
                                if (out->origin[k])
                                        return field_error(err, path, "origins", "\"%s\" appears twice", o);
                                out->origin[k] = found = true;
                        }
                if (!found)
                        return field_error(err, path, "origins", "item %zu is not \"runtime\" or \"application\"", i);
        }
        if ((r = get_u64(e, path, "count", UINT64_MAX, &out->count, err)) < 0 ||
            (r = get_u64(e, path, "containers", UINT64_MAX, &out->containers, err)) < 0 ||
            (r = get_time(e, path, "firstSeen", &first, err)) < 0 || (r = get_time(e, path, "lastSeen", &last, err)) < 0 ||
            (r = get_u64(e, path, "addedIn", version, &added_in, err)) < 0)
                return r;
        if (added_in == 0)
                return field_error(err, path, "addedIn", "must be at least 1");
        out->added_in = (uint32_t) added_in;
        out->arch = strdup(arch);
        out->name = strdup(name);
        out->first_seen = strdup(first);
        out->last_seen = strdup(last);
        if (!out->arch || !out->name || !out->first_seen || !out->last_seen)
                return osl_err(err, -ENOMEM, "out of memory");
        return parse_sample(e, path, out, err);
}

static int parse_capability_entry(const jv *e, const char *path, uint32_t version, osl_learned_capability *out,
                                  osl_error *err)
{
        static const char *const fields[] = { "name", "evidence", "count", "addedIn" };
        const char *name, *evidence = NULL;
        uint64_t added_in;
        int r;

        if (!jv_is(e, JV_OBJECT))
                return field_error(err, path, NULL, "expected an object, got %.40s", describe(e));
        if ((r = check_fields(e, path, fields, ELEMENTSOF(fields), err)) < 0 ||
            (r = get_string(e, path, "name", false, &name, err)) < 0)
                return r;
        if (!osl_capability_name_valid(name))
                return field_error(err, path, "name", "\"%.60s\" is not a capability name", name);
        if (jv_obj_get(e, "evidence") && (r = get_string(e, path, "evidence", true, &evidence, err)) < 0)
                return r;
        if ((r = get_u64(e, path, "count", UINT64_MAX, &out->count, err)) < 0 ||
            (r = get_u64(e, path, "addedIn", version, &added_in, err)) < 0)
                return r;
        if (added_in == 0)
                return field_error(err, path, "addedIn", "must be at least 1");
        out->added_in = (uint32_t) added_in;
        out->name = strdup(name);
        out->evidence = osl_strdup(evidence);
        if (!out->name || (evidence && !out->evidence))
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

static int check_history_entry(const jv *e, const char *path, uint32_t want_version, osl_error *err)
{
        static const char *const fields[] = {
                "version",     "time",          "containerId",       "imageTag",
                "imageDigest", "addedSyscalls", "addedCapabilities", "acceptedDrift",
                "partial",     "method",
        };
        const char *s;
        const jv *added = NULL;
        uint64_t version;
        int r;

        if (!jv_is(e, JV_OBJECT))
                return field_error(err, path, NULL, "expected an object, got %.40s", describe(e));
        if ((r = check_fields(e, path, fields, ELEMENTSOF(fields), err)) < 0 ||
            (r = get_u64(e, path, "version", UINT32_MAX, &version, err)) < 0)
                return r;
        if (version != want_version)
                return field_error(err, path, "version", "is %" PRIu64 ", expected %" PRIu32 " (versions count up by one)",
                                   version, want_version);
        if ((r = get_time(e, path, "time", &s, err)) < 0 || (r = get_string(e, path, "containerId", false, &s, err)) < 0 ||
            (r = get_string(e, path, "imageTag", true, &s, err)) < 0 ||
            (r = get_string(e, path, "imageDigest", true, &s, err)) < 0 ||
            (r = get_field(e, path, "addedSyscalls", JV_ARRAY, &added, err)) < 0)
                return r;
        for (size_t i = 0; i < jv_arr_len(added); i++) {
                const jv *a = jv_arr_at(added, i);
                static const char *const afields[] = { "arch", "name" };
                const char *arch, *name;
                char apath[256];
                snprintf(apath, sizeof(apath), "%s.addedSyscalls[%zu]", path, i);
                if (!jv_is(a, JV_OBJECT))
                        return field_error(err, apath, NULL, "expected an object, got %.40s", describe(a));
                if ((r = check_fields(a, apath, afields, ELEMENTSOF(afields), err)) < 0 ||
                    (r = get_arch_and_name(a, apath, &arch, &name, err)) < 0)
                        return r;
        }
        if ((r = get_field(e, path, "addedCapabilities", JV_ARRAY, &added, err)) < 0)
                return r;
        for (size_t i = 0; i < jv_arr_len(added); i++) {
                const char *cap = jv_str(jv_arr_at(added, i));
                if (!osl_capability_name_valid(cap))
                        return field_error(err, path, "addedCapabilities", "item %zu is not a capability name", i);
        }
        /* Optional: the container's observation was written while it still ran. */
        const jv *partial = jv_obj_get(e, "partial");
        bool b;
        if (partial && !jv_get_bool(partial, &b))
                return field_error(err, path, "partial", "expected true or false, got %.40s", describe(partial));
        /* Optional (newer than the record): how its syscalls were seen. */
        const jv *method = jv_obj_get(e, "method");
        if (method && (!jv_str(method) || (strcmp(jv_str(method), "notify") != 0 && strcmp(jv_str(method), "log") != 0 &&
                                            strcmp(jv_str(method), "manual") != 0)))
                return field_error(err, path, "method", "expected notify, log or manual, got %.40s", describe(method));
        /* Optional: the version came from `profile accept`, of these containers' drift. */
        if (jv_obj_get(e, "acceptedDrift")) {
                if ((r = get_field(e, path, "acceptedDrift", JV_ARRAY, &added, err)) < 0)
                        return r;
                if (jv_arr_len(added) == 0)
                        return field_error(err, path, "acceptedDrift", "must not be empty");
                for (size_t i = 0; i < jv_arr_len(added); i++) {
                        const char *id = jv_str(jv_arr_at(added, i));
                        if (!id || !*id)
                                return field_error(err, path, "acceptedDrift", "item %zu is not a container id", i);
                }
        }
        return 0;
}

/* The head of profile.json and drift.json: an object of schema version
 * supported, with no field but those in fields, for image image_key. */
static int check_document_head(const jv *doc, int supported, const char *const *fields, size_t n_fields,
                               const char *image_key, osl_error *err)
{
        const char *image;
        uint64_t schema_version;
        int r;

        if (!jv_is(doc, JV_OBJECT))
                return osl_err(err, -EINVAL, "expected a JSON object, got %s", describe(doc));
        if ((r = get_u64(doc, "", "schemaVersion", UINT32_MAX, &schema_version, err)) < 0)
                return r;
        if (schema_version != (uint64_t) supported)
                return osl_err(err, -EINVAL, "schemaVersion: %" PRIu64 " is not supported (this oci-seccomp-learn reads %d)",
                               schema_version, supported);
        if ((r = check_fields(doc, "", fields, n_fields, err)) < 0 ||
            (r = get_string(doc, "", "image", false, &image, err)) < 0)
                return r;
        if (strcmp(image, image_key) != 0)
                return osl_err(err, -EINVAL, "image: is \"%.200s\", expected \"%.200s\"", image, image_key);
        return 0;
}

/* Checks a whole stored document and fills an osl_learned from it (taking
 * doc). want_version 0: any. Messages name the JSON field; the caller puts
 * the file name in front. */
static int learned_from_doc(jv *doc_in, const char *image_key, uint32_t want_version, osl_learned **out,
                            osl_error *err)
{
        /* v1: history and merged; v2: merged, and a version file's own
         * history record. */
        static const char *const fields_v1[] = {
                "schemaVersion", "image", "version", "updated", "seccomp", "syscalls", "capabilities", "history", "merged",
        };
        static const char *const fields_v2[] = {
                "schemaVersion", "image", "version", "updated", "seccomp",
                "syscalls",      "capabilities", "merged", "record", "base",
        };
        _cleanup_jv_ jv *doc = doc_in;
        _cleanup_learned_ osl_learned *l = calloc(1, sizeof(*l));
        const jv *syscalls = NULL, *caps = NULL, *history = NULL, *merged = NULL, *seccomp = NULL;
        const char *updated;
        uint64_t version, schema = 0;
        int r;

        if (!l)
                return osl_err(err, -ENOMEM, "out of memory");
        if (jv_is(doc, JV_OBJECT) && jv_get_uint64(jv_obj_get(doc, "schemaVersion"), &schema) &&
            schema == PROFILE_SCHEMA_V1)
                r = check_document_head(doc, PROFILE_SCHEMA_V1, fields_v1, ELEMENTSOF(fields_v1), image_key, err);
        else
                r = check_document_head(doc, PROFILE_SCHEMA_VERSION, fields_v2, ELEMENTSOF(fields_v2), image_key, err);
        if (r < 0)
                return r;
        l->schema_version = (uint32_t) schema;
        if ((r = get_u64(doc, "", "version", UINT32_MAX, &version, err)) < 0)
                return r;
        if (version == 0)
                return osl_err(err, -EINVAL, "version: must be at least 1");
        if (want_version && version != want_version)
                return osl_err(err, -EINVAL, "version: is %" PRIu64 ", expected %" PRIu32, version, want_version);
        l->version = (uint32_t) version;
        if ((r = get_time(doc, "", "updated", &updated, err)) < 0)
                return r;
        /* A v2 version file (with its record) has no seccomp: it holds what
         * the version changed, not all of it. */
        if (l->schema_version != PROFILE_SCHEMA_V1 && jv_obj_get(doc, "record")) {
                bool base;
                if (jv_obj_get(doc, "seccomp"))
                        return osl_err(err, -EINVAL, "seccomp: not expected in a version file");
                if (jv_obj_get(doc, "base") && !jv_get_bool(jv_obj_get(doc, "base"), &base))
                        return osl_err(err, -EINVAL, "base: expected true or false, got %s",
                                       describe(jv_obj_get(doc, "base")));
        } else if (jv_obj_get(doc, "base"))
                return osl_err(err, -EINVAL, "base: only in a version file");
        else if ((r = get_field(doc, "", "seccomp", JV_OBJECT, &seccomp, err)) < 0)
                return r;
        else {
                _cleanup_seccomp_ osl_seccomp *sc = NULL;
                if ((r = osl_seccomp_from_jv(seccomp, &sc, err)) < 0)
                        return osl_err_prefix(err, "seccomp");
        }

        if ((r = get_field(doc, "", "syscalls", JV_ARRAY, &syscalls, err)) < 0)
                return r;
        l->syscalls = calloc(jv_arr_len(syscalls) + 1, sizeof(*l->syscalls));
        if (!l->syscalls)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < jv_arr_len(syscalls); i++) {
                char path[64];
                snprintf(path, sizeof(path), "syscalls[%zu]", i);
                l->n_syscalls++; /* counted first, so that free() sees what was filled */
                if ((r = parse_syscall_entry(jv_arr_at(syscalls, i), path, l->version, &l->syscalls[i], err)) < 0)
                        return r;
        }
        if (l->n_syscalls > 1)
                qsort(l->syscalls, l->n_syscalls, sizeof(*l->syscalls), learned_syscall_cmp);
        for (size_t i = 1; i < l->n_syscalls; i++)
                if (learned_syscall_cmp(&l->syscalls[i - 1], &l->syscalls[i]) == 0)
                        return osl_err(err, -EINVAL, "syscalls: %s %s appears twice", l->syscalls[i].arch,
                                       l->syscalls[i].name);

        if ((r = get_field(doc, "", "capabilities", JV_ARRAY, &caps, err)) < 0)
                return r;
        l->capabilities = calloc(jv_arr_len(caps) + 1, sizeof(*l->capabilities));
        if (!l->capabilities)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < jv_arr_len(caps); i++) {
                char path[64];
                snprintf(path, sizeof(path), "capabilities[%zu]", i);
                l->n_capabilities++;
                if ((r = parse_capability_entry(jv_arr_at(caps, i), path, l->version, &l->capabilities[i], err)) < 0)
                        return r;
        }
        if (l->n_capabilities > 1)
                qsort(l->capabilities, l->n_capabilities, sizeof(*l->capabilities), learned_capability_cmp);
        for (size_t i = 1; i < l->n_capabilities; i++)
                if (learned_capability_cmp(&l->capabilities[i - 1], &l->capabilities[i]) == 0)
                        return osl_err(err, -EINVAL, "capabilities: %s appears twice", l->capabilities[i].name);

        if (l->schema_version != PROFILE_SCHEMA_V1) {
                /* A version file's own record; profile.json has none. */
                const jv *record = jv_obj_get(doc, "record");
                if (record && (r = check_history_entry(record, "record", l->version, err)) < 0)
                        return r;
        } else if ((r = get_field(doc, "", "history", JV_ARRAY, &history, err)) < 0)
                return r;
        else if (jv_arr_len(history) != l->version)
                return osl_err(err, -EINVAL, "history: has %zu entries, expected one per version (%" PRIu32 ")",
                               jv_arr_len(history), l->version);
        for (size_t i = 0; i < jv_arr_len(history); i++) {
                char path[64];
                snprintf(path, sizeof(path), "history[%zu]", i);
                /* v1 only: v2 keeps its history in HISTORY_FILE. */
                if ((r = check_history_entry(jv_arr_at(history, i), path, (uint32_t) i + 1, err)) < 0)
                        return r;
        }

        if ((r = get_field(doc, "", "merged", JV_ARRAY, &merged, err)) < 0)
                return r;
        if (jv_arr_len(merged) > MERGED_MAX)
                return osl_err(err, -EINVAL, "merged: more than %d entries", MERGED_MAX);
        for (size_t i = 0; i < jv_arr_len(merged); i++)
                if (!jv_str(jv_arr_at(merged, i)))
                        return osl_err(err, -EINVAL, "merged[%zu]: expected a string, got %s", i,
                                       describe(jv_arr_at(merged, i)));

        if (!(l->image_key = strdup(image_key)))
                return osl_err(err, -ENOMEM, "out of memory");
        l->history = (jv *) history;
        l->doc = TAKE_PTR(doc);
        *out = TAKE_PTR(l);
        return 0;
}

int osl_learned_parse(const char *buf, size_t len, const char *what, const char *image_key, uint32_t want_version,
                      osl_learned **out, osl_error *err)
{
        _cleanup_jv_ jv *doc = NULL;
        int r;

        if ((r = jv_parse(buf, len, what, &doc, err)) < 0)
                return r;
        if ((r = learned_from_doc(TAKE_PTR(doc), image_key, want_version, out, err)) < 0)
                return osl_err_prefix(err, "%s", what);
        return 0;
}

/* Reads dir_fd/name (a profile or a version file) and checks it. */
static int load_file(int dir_fd, const char *dir_path, const char *name, const char *image_key, uint32_t want_version,
                     osl_learned **out, char **text_out, size_t *text_len, osl_error *err)
{
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len;
        int r;

        if ((r = read_at(dir_fd, dir_path, name, PROFILE_MAX_BYTES, &path, &text, &len, err)) < 0)
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

static int learned_to_doc(const osl_learned *l, jv *record, jv *merged, const char *updated, jv **out,
                          osl_error *err);

/* ---- version files as deltas (store v2) ----
 *
 * versions/<N>.json holds what version N changed: the syscall and
 * capability entries it added or whose evidence it changed (as they were
 * then), its history record and the ids it took in; no seccomp (it is made
 * from the entries). Entries are never removed, so version N is the oldest
 * stored version file (complete: version 1, or the base `profile prune`
 * wrote) with every later one up to N laid over it. A file of
 * schemaVersion 1 (a store not migrated yet) is complete too. */

/* The order of the stored lists: syscalls by arch, then name; capabilities
 * by name (an entry without them sorts first). */
static int entry_cmp(const jv *a, const jv *b)
{
        const char *aa = jv_str(jv_obj_get(a, "arch")), *ba = jv_str(jv_obj_get(b, "arch"));
        int c = strcmp(aa ? aa : "", ba ? ba : "");
        if (c != 0)
                return c;
        const char *an = jv_str(jv_obj_get(a, "name")), *bn = jv_str(jv_obj_get(b, "name"));
        return strcmp(an ? an : "", bn ? bn : "");
}

/* Removes from new_doc (a full v2 document) its seccomp and every syscall
 * and capability entry that old_doc (NULL: none) holds unchanged. Both
 * lists are sorted the same way (learned_to_doc); an entry the walk cannot
 * match is kept, which costs bytes, never correctness. */
static int delta_filter(jv *new_doc, const jv *old_doc, osl_error *err)
{
        static const char *const lists[] = { "syscalls", "capabilities" };

        jv_obj_remove(new_doc, "seccomp");
        for (size_t k = 0; k < ELEMENTSOF(lists); k++) {
                const jv *all = jv_obj_get(new_doc, lists[k]), *old = old_doc ? jv_obj_get(old_doc, lists[k]) : NULL;
                _cleanup_jv_ jv *kept = jv_new_array();
                size_t j = 0;
                if (!kept)
                        return osl_err(err, -ENOMEM, "out of memory");
                for (size_t i = 0; i < jv_arr_len(all); i++) {
                        const jv *e = jv_arr_at(all, i);
                        int c = 1;
                        while (j < jv_arr_len(old) && (c = entry_cmp(jv_arr_at(old, j), e)) < 0)
                                j++;
                        bool same = j < jv_arr_len(old) && c == 0 && jv_equal(e, jv_arr_at(old, j));
                        if (!same && jv_arr_append(kept, jv_dup(e)) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
                if (jv_obj_set(new_doc, lists[k], TAKE_PTR(kept)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        return 0;
}

/* Lays the entries of delta over acc (sorted), and takes delta's version
 * and document. */
static int delta_apply(osl_learned *acc, osl_learned *delta, osl_error *err)
{
        size_t n_before = acc->n_syscalls;
        if (delta->n_syscalls > 0) {
                osl_learned_syscall *g = realloc(acc->syscalls, (acc->n_syscalls + delta->n_syscalls + 1) * sizeof(*g));
                if (!g)
                        return osl_err(err, -ENOMEM, "out of memory");
                acc->syscalls = g;
        }
        for (size_t i = 0; i < delta->n_syscalls; i++) {
                osl_learned_syscall *e = n_before ? bsearch(&delta->syscalls[i], acc->syscalls, n_before,
                                                            sizeof(*e), learned_syscall_cmp)
                                                  : NULL;
                if (!e) {
                        e = &acc->syscalls[acc->n_syscalls++];
                        *e = (osl_learned_syscall) {};
                }
                osl_learned_syscall old = *e;
                *e = delta->syscalls[i];
                delta->syscalls[i] = old; /* freed with delta */
        }
        if (acc->n_syscalls > 1)
                qsort(acc->syscalls, acc->n_syscalls, sizeof(*acc->syscalls), learned_syscall_cmp);
        for (size_t i = 0; i < delta->n_capabilities; i++) {
                osl_learned_capability *c = NULL;
                for (size_t j = 0; j < acc->n_capabilities && !c; j++)
                        if (strcmp(acc->capabilities[j].name, delta->capabilities[i].name) == 0)
                                c = &acc->capabilities[j];
                if (!c) {
                        osl_learned_capability *g = realloc(acc->capabilities, (acc->n_capabilities + 1) * sizeof(*g));
                        if (!g)
                                return osl_err(err, -ENOMEM, "out of memory");
                        acc->capabilities = g;
                        c = &acc->capabilities[acc->n_capabilities++];
                        *c = (osl_learned_capability) {};
                }
                osl_learned_capability old = *c;
                *c = delta->capabilities[i];
                delta->capabilities[i] = old;
        }
        if (acc->n_capabilities > 1)
                qsort(acc->capabilities, acc->n_capabilities, sizeof(*acc->capabilities), learned_capability_cmp);
        acc->version = delta->version;
        acc->schema_version = delta->schema_version;
        jv_free(acc->doc);
        acc->doc = TAKE_PTR(delta->doc);
        acc->history = NULL;
        return 0;
}

/* Gives l (a version assembled from deltas) its full document: l's
 * entries and seccomp, updated and merged as its own file has them. */
static int version_doc(osl_learned *l, osl_error *err)
{
        _cleanup_jv_ jv *merged = jv_dup(jv_obj_get(l->doc, "merged")), *doc = NULL;
        const char *updated = jv_str(jv_obj_get(l->doc, "updated"));
        int r;

        if (!merged && !(merged = jv_new_array()))
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = learned_to_doc(l, NULL, TAKE_PTR(merged), updated, &doc, err)) < 0)
                return r;
        jv_free(l->doc);
        l->doc = TAKE_PTR(doc);
        l->history = NULL;
        return 0;
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
static int load_version(image_dir *d, const char *image_key, uint32_t v, osl_learned **out, osl_error *err)
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
                } else if ((r = delta_apply(acc, kl, err)) < 0)
                        return r;
        }
        if ((r = version_doc(acc, err)) < 0)
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
        r = read_at(d->fd, d->path, HISTORY_FILE, HISTORY_MAX_BYTES, &path, &text, &len, err);
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
        r = read_at(d->fd, d->path, HISTORY_FILE, HISTORY_MAX_BYTES, &path, &text, &len, err);
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
                if ((r = check_history_entry(rec, where, last ? last + 1 : v, err)) < 0)
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
        _cleanup_jv_ jv *history = NULL, *merged = NULL;
        int r;

        if (l->schema_version == PROFILE_SCHEMA_V1)
                return 0;
        if ((r = history_load(d, l->image_key, l->version, &history, err)) < 0)
                return r;
        if (!(merged = jv_dup(jv_obj_get(l->doc, "merged"))))
                return osl_err(err, -ENOMEM, "out of memory");
        jv_obj_remove(l->doc, "record");
        jv_obj_remove(l->doc, "merged");
        if (jv_obj_set(l->doc, "history", TAKE_PTR(history)) < 0 || jv_obj_set(l->doc, "merged", TAKE_PTR(merged)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        l->history = jv_obj_get(l->doc, "history");
        return 0;
}

/* A reader's current profile of an opened image. -ENOENT only when no
 * profile was ever stored; profile.json gone while versions/ holds versions
 * is a damaged store (-EUCLEAN), which must not pass for a missing one. */
static int load_current(osl_store *s, image_dir *d, const char *image_key, bool with_history, osl_learned **out,
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
        _cleanup_(image_dir_clear) image_dir d = { .fd = -1, .versions_fd = -1, .images_fd = -1 };
        _cleanup_learned_ osl_learned *current = NULL;
        int r;

        if ((r = open_image(s, image_key, false, &d, err)) < 0 ||
            (r = load_current(s, &d, image_key, true, &current, err)) < 0)
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
        r = load_version(&d, image_key, version, out, err);
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
                qsort(found, n_found, sizeof(char *), str_cmp);
        if (!found && !(found = calloc(1, sizeof(char *))))
                return osl_err(err, -ENOMEM, "out of memory");
        *keys = TAKE_PTR(found);
        if (n)
                *n = n_found;
        return 0;
}

/* ---- writing ---- */

static jv *string_or_null(const char *s)
{
        return s ? jv_new_string(s) : jv_new_null();
}

/* The stored (v2) document: everything in l, the seccomp profile built
 * from l, merged, and record (a version file's own history record; NULL
 * for profile.json). Takes merged and record. */
static int learned_to_doc(const osl_learned *l, jv *record, jv *merged, const char *updated, jv **out,
                          osl_error *err)
{
        _cleanup_jv_ jv *doc = jv_new_object(), *syscalls = jv_new_array(), *caps = jv_new_array(), *sc_jv = NULL;
        _cleanup_jv_ jv *record_owned = record, *merged_owned = merged;
        _cleanup_seccomp_ osl_seccomp *sc = NULL;
        int r;

        if (!doc || !syscalls || !caps || !merged)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = osl_learned_to_seccomp(l, OSL_LEARNED_DEFAULT_ACTION, OSL_LEARNED_DEFAULT_ERRNO, &sc, err)) < 0 ||
            (r = osl_seccomp_to_jv(sc, OSL_SECCOMP_OCI, &sc_jv, err)) < 0)
                return r;
        for (size_t i = 0; i < l->n_syscalls; i++) {
                const osl_learned_syscall *e = &l->syscalls[i];
                jv *entry = jv_new_object(), *origins = NULL;
                if (jv_arr_append(syscalls, entry) < 0 || jv_obj_set(entry, "arch", jv_new_string(e->arch)) < 0 ||
                    jv_obj_set(entry, "name", jv_new_string(e->name)) < 0 ||
                    jv_obj_set(entry, "origins", jv_new_array()) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                origins = jv_obj_get(entry, "origins");
                for (unsigned k = 0; k < _OSL_ORIGIN_MAX; k++)
                        if (e->origin[k] && jv_arr_append(origins, jv_new_string(osl_origin_name((osl_origin) k))) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                if (jv_obj_set(entry, "count", jv_new_uint(e->count)) < 0 ||
                    jv_obj_set(entry, "containers", jv_new_uint(e->containers)) < 0 ||
                    jv_obj_set(entry, "firstSeen", jv_new_string(e->first_seen)) < 0 ||
                    jv_obj_set(entry, "lastSeen", jv_new_string(e->last_seen)) < 0 ||
                    jv_obj_set(entry, "addedIn", jv_new_uint(e->added_in)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if (!e->sample_container)
                        continue;
                jv *sample = jv_new_object();
                if (jv_obj_set(entry, "sample", sample) < 0 ||
                    (e->sample_pid > 0 && jv_obj_set(sample, "pid", jv_new_int(e->sample_pid)) < 0) ||
                    (e->sample_comm && jv_obj_set(sample, "comm", jv_new_string(e->sample_comm)) < 0) ||
                    jv_obj_set(sample, "containerId", jv_new_string(e->sample_container)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < l->n_capabilities; i++) {
                const osl_learned_capability *c = &l->capabilities[i];
                jv *entry = jv_new_object();
                if (jv_arr_append(caps, entry) < 0 || jv_obj_set(entry, "name", jv_new_string(c->name)) < 0 ||
                    (c->evidence && jv_obj_set(entry, "evidence", jv_new_string(c->evidence)) < 0) ||
                    jv_obj_set(entry, "count", jv_new_uint(c->count)) < 0 ||
                    jv_obj_set(entry, "addedIn", jv_new_uint(c->added_in)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if (jv_obj_set(doc, "schemaVersion", jv_new_int(PROFILE_SCHEMA_VERSION)) < 0 ||
            jv_obj_set(doc, "image", jv_new_string(l->image_key)) < 0 ||
            jv_obj_set(doc, "version", jv_new_uint(l->version)) < 0 ||
            jv_obj_set(doc, "updated", jv_new_string(updated)) < 0 || jv_obj_set(doc, "seccomp", TAKE_PTR(sc_jv)) < 0 ||
            jv_obj_set(doc, "syscalls", TAKE_PTR(syscalls)) < 0 || jv_obj_set(doc, "capabilities", TAKE_PTR(caps)) < 0 ||
            jv_obj_set(doc, "merged", TAKE_PTR(merged_owned)) < 0 ||
            (record_owned && jv_obj_set(doc, "record", TAKE_PTR(record_owned)) < 0))
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(doc);
        return 0;
}

static int check_observation(const osl_observation *obs, osl_error *err)
{
        int64_t sec;
        uint32_t nsec;

        if (!obs->container_id || !*obs->container_id)
                return osl_err(err, -EINVAL, "the observation has no container id");
        if (!osl_rfc3339_parse(obs->start_time, &sec, &nsec))
                return osl_err(err, -EINVAL, "the observation's start time \"%s\" is not an RFC 3339 time",
                               obs->start_time ? obs->start_time : "");
        if (obs->end_time && !osl_rfc3339_parse(obs->end_time, &sec, &nsec))
                return osl_err(err, -EINVAL, "the observation's end time \"%s\" is not an RFC 3339 time", obs->end_time);
        for (size_t i = 0; i < obs->n_syscalls; i++) {
                const osl_obs_syscall *e = &obs->syscalls[i];
                uint32_t token;
                if (!e->arch || osl_arch_from_oci(e->arch, &token, err) < 0)
                        return osl_err(err, -EINVAL, "the observation names an unknown architecture \"%s\"",
                                       e->arch ? e->arch : "");
                if (!osl_syscall_name_valid(e->name) || (unsigned) e->origin >= _OSL_ORIGIN_MAX)
                        return osl_err(err, -EINVAL, "the observation holds an invalid syscall entry \"%s\"",
                                       e->name ? e->name : "");
                if ((e->first_seen && !osl_rfc3339_parse(e->first_seen, &sec, &nsec)) ||
                    (e->last_seen && !osl_rfc3339_parse(e->last_seen, &sec, &nsec)) || e->sample_pid < 0 ||
                    e->sample_pid > OSL_SAMPLE_PID_MAX || (e->sample_comm && !osl_comm_valid(e->sample_comm)) ||
                    (e->first_seen && e->last_seen && osl_rfc3339_compare(e->first_seen, e->last_seen) > 0))
                        return osl_err(err, -EINVAL, "the observation holds an invalid sample of syscall \"%s\"", e->name);
        }
        for (size_t i = 0; i < obs->n_capabilities; i++)
                if (!osl_capability_name_valid(obs->capabilities[i].name))
                        return osl_err(err, -EINVAL, "the observation holds an invalid capability name \"%s\"",
                                       obs->capabilities[i].name ? obs->capabilities[i].name : "");
        return 0;
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Unions obs into l (whose version is the current one). New entries get
 * added_in = l->version + 1 and are listed in added_syscalls/added_caps
 * (JSON arrays for the history record). */
static int union_observation(osl_learned *l, const osl_observation *obs, jv *added_syscalls, jv *added_caps,
                             osl_error *err)
{
        const char *obs_first = obs->start_time, *obs_last = obs->end_time ? obs->end_time : obs->start_time;
        uint32_t next = l->version + 1;
        size_t n_before = l->n_syscalls;
        _cleanup_free_ bool *counted = NULL; /* per entry: containers already counted for obs */
        /* per entry: the origin + 1 of obs's entry whose sample it took, 0: none yet */
        _cleanup_free_ uint8_t *sampled = NULL;

        /* At most one new entry per observed syscall. */
        osl_learned_syscall *grown = realloc(l->syscalls, (l->n_syscalls + obs->n_syscalls + 1) * sizeof(*grown));
        if (!grown)
                return osl_err(err, -ENOMEM, "out of memory");
        l->syscalls = grown;
        counted = calloc(l->n_syscalls + obs->n_syscalls + 1, sizeof(bool));
        sampled = calloc(l->n_syscalls + obs->n_syscalls + 1, sizeof(uint8_t));
        if (!counted || !sampled)
                return osl_err(err, -ENOMEM, "out of memory");

        for (size_t i = 0; i < obs->n_syscalls; i++) {
                const osl_obs_syscall *o = &obs->syscalls[i];
                osl_learned_syscall key = { .arch = o->arch, .name = o->name };
                osl_learned_syscall *e = n_before ? bsearch(&key, l->syscalls, n_before, sizeof(*e), learned_syscall_cmp)
                                                  : NULL;
                for (size_t j = n_before; !e && j < l->n_syscalls; j++)
                        if (learned_syscall_cmp(&key, &l->syscalls[j]) == 0)
                                e = &l->syscalls[j];
                if (!e) {
                        e = &l->syscalls[l->n_syscalls];
                        *e = (osl_learned_syscall) { .added_in = next };
                        l->n_syscalls++;
                        if (!(e->arch = strdup(o->arch)) || !(e->name = strdup(o->name)))
                                return osl_err(err, -ENOMEM, "out of memory");
                        jv *a = jv_new_object();
                        if (!a || jv_arr_append(added_syscalls, a) < 0 || jv_obj_set(a, "arch", jv_new_string(o->arch)) < 0 ||
                            jv_obj_set(a, "name", jv_new_string(o->name)) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
                e->origin[o->origin] = true;
                e->count = add_saturating(e->count, o->count);
                size_t idx = (size_t) (e - l->syscalls);
                if (!counted[idx]) {
                        counted[idx] = true;
                        e->containers = add_saturating(e->containers, 1);
                }
                /* When the agent noted it; else the container's life. */
                if (osl_time_widen(&e->first_seen, o->first_seen ? o->first_seen : obs_first, -1) < 0 ||
                    osl_time_widen(&e->last_seen, o->last_seen ? o->last_seen : obs_last, 1) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                /* This observation's sample replaces an older one; of its
                 * own, the application's tells more than the runtime's. */
                if ((o->sample_pid > 0 || o->sample_comm) && (uint8_t) (o->origin + 1) > sampled[idx]) {
                        sampled[idx] = (uint8_t) (o->origin + 1);
                        free(e->sample_container);
                        free(e->sample_comm);
                        e->sample_pid = o->sample_pid;
                        e->sample_container = strdup(obs->container_id);
                        e->sample_comm = osl_strdup(o->sample_comm);
                        if (!e->sample_container || (o->sample_comm && !e->sample_comm))
                                return osl_err(err, -ENOMEM, "out of memory");
                }
        }
        if (l->n_syscalls > 1)
                qsort(l->syscalls, l->n_syscalls, sizeof(*l->syscalls), learned_syscall_cmp);

        for (size_t i = 0; i < obs->n_capabilities; i++) {
                const osl_obs_capability *o = &obs->capabilities[i];
                osl_learned_capability *c = NULL;
                for (size_t j = 0; j < l->n_capabilities && !c; j++)
                        if (strcmp(l->capabilities[j].name, o->name) == 0)
                                c = &l->capabilities[j];
                if (!c) {
                        osl_learned_capability *g = realloc(l->capabilities, (l->n_capabilities + 1) * sizeof(*g));
                        if (!g)
                                return osl_err(err, -ENOMEM, "out of memory");
                        l->capabilities = g;
                        c = &l->capabilities[l->n_capabilities++];
                        *c = (osl_learned_capability) { .added_in = next };
                        if (!(c->name = strdup(o->name)) || jv_arr_append(added_caps, jv_new_string(o->name)) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                }
                if (!c->evidence && o->evidence && !(c->evidence = strdup(o->evidence)))
                        return osl_err(err, -ENOMEM, "out of memory");
                c->count = add_saturating(c->count, o->count);
        }
        if (l->n_capabilities > 1)
                qsort(l->capabilities, l->n_capabilities, sizeof(*l->capabilities), learned_capability_cmp);
        return 0;
}

/* merged with id appended, the oldest dropped beyond MERGED_MAX. */
static int merged_append(const osl_learned *l, jv *merged, const char *const *ids, size_t n_ids, osl_error *err)
{
        const jv *old = l && l->doc ? jv_obj_get(l->doc, "merged") : NULL;
        size_t n_old = jv_arr_len(old), total = n_old + n_ids;
        size_t skip = total > MERGED_MAX ? total - MERGED_MAX : 0;

        for (size_t i = 0; i < total; i++) {
                if (i < skip)
                        continue;
                jv *v = i < n_old ? jv_dup(jv_arr_at(old, i)) : jv_new_string(ids[i - n_old]);
                if (jv_arr_append(merged, v) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        return 0;
}

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
                        if ((r = merged_append(*current, merged, idv, jv_arr_len(ids), err)) < 0)
                                return r;
                        if (*current) {
                                if ((r = delta_apply(*current, next, err)) < 0)
                                        return r;
                                osl_learned_free(TAKE_PTR(next));
                                next = TAKE_PTR(*current);
                        }
                        if ((r = learned_to_doc(next, NULL, TAKE_PTR(merged), jv_str(jv_obj_get(next->doc, "updated")),
                                                &doc, err)) < 0)
                                return r;
                        jv_free(next->doc);
                        next->doc = TAKE_PTR(doc);
                        free(TAKE_PTR(text));
                        if ((r = jv_serialize(next->doc, true, &text, &len, err)) < 0)
                                return r;
                }
                if ((r = write_at_atomic(d->fd, d->path, PROFILE_FILE, text, len, 0, err)) < 0)
                        return r;
                osl_learned_free(*current);
                *current = TAKE_PTR(next);
        }
}

static bool merged_contains(const osl_learned *l, const char *id)
{
        const jv *merged = l ? jv_obj_get(l->doc, "merged") : NULL;
        for (size_t i = 0; i < jv_arr_len(merged); i++) {
                const char *s = jv_str(jv_arr_at(merged, i));
                if (s && strcmp(s, id) == 0)
                        return true;
        }
        return false;
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

/* An image held for writing: its directory, its lock, and the current
 * profile (NULL when none is stored yet), with interrupted merges rolled
 * forward. */
typedef struct locked_image {
        image_dir d;
        int lock_fd;
        osl_learned *current;
} locked_image;

static void locked_image_clear(locked_image *li)
{
        osl_learned_free(li->current);
        unlockp(&li->lock_fd);
        image_dir_clear(&li->d);
        li->current = NULL;
        li->lock_fd = -1;
}

/* create: make the image's directories (a merge); otherwise the image must
 * be stored already (drift needs a profile to drift from). */
static int lock_and_load(osl_store *s, const char *image_key, bool create, locked_image *li, osl_error *err)
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
                if ((r = open_image(s, image_key, create, &li->d, err)) < 0 ||
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
                image_dir_clear(&li->d);
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
        return write_at_atomic(li->d.fd, li->d.path, SUMMARY_FILE, text, len, WRITE_NO_SYNC, err);
}

/* A store written before v2, on its first write: the history into
 * HISTORY_FILE, then every version file into its own content (with its
 * own record). profile.json goes last (publish), so a crash on the way
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
        if ((r = write_at_atomic(li->d.fd, li->d.path, HISTORY_FILE, log ? log : "", log_len, 0, err)) < 0)
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
                if ((r = delta_filter(doc, prev ? prev->doc : NULL, err)) < 0 ||
                    (!prev && jv_obj_set(doc, "base", jv_new_bool(true)) < 0) ||
                    (r = jv_serialize(doc, true, &text, &len, err)) < 0 ||
                    (r = write_at_atomic(li->d.versions_fd, li->d.versions_path, name, text, len, 0, err)) < 0)
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
static int publish(locked_image *li, const osl_learned *l, jv *record, const char *const *ids, size_t n_ids,
                   const char *updated, osl_error *err)
{
        _cleanup_jv_ jv *rec = record, *merged = jv_new_array(), *doc = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if (!merged)
                return osl_err(err, -ENOMEM, "out of memory");
        if (l->schema_version == PROFILE_SCHEMA_V1 && (r = migrate_v1(li, l, err)) < 0)
                return r;
        if ((r = merged_append(l, merged, ids, n_ids, err)) < 0)
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
                if ((r = learned_to_doc(l, TAKE_PTR(rec), TAKE_PTR(added), updated, &vdoc, err)) < 0 ||
                    (r = delta_filter(vdoc, l->doc, err)) < 0 || (r = jv_serialize(vdoc, true, &vtext, &len, err)) < 0 ||
                    (r = write_at_atomic(li->d.versions_fd, li->d.versions_path, name, vtext, len, WRITE_NO_REPLACE,
                                         err)) < 0 ||
                    (r = history_append(&li->d, jv_obj_get(vdoc, "record"), err)) < 0)
                        return r;
        }
        if ((r = learned_to_doc(l, NULL, TAKE_PTR(merged), updated, &doc, err)) < 0 ||
            (r = jv_serialize(doc, true, &text, &len, err)) < 0 ||
            (r = write_at_atomic(li->d.fd, li->d.path, PROFILE_FILE, text, len, 0, err)) < 0)
                return r;
        return write_summary(li, l, updated, err);
}

static int history_record(jv **out, uint32_t version, const char *now, const osl_observation *from,
                          jv *added_syscalls, jv *added_caps, jv *accepted_drift, osl_error *err)
{
        _cleanup_jv_ jv *syscalls = added_syscalls, *caps = added_caps, *drift = accepted_drift;
        _cleanup_jv_ jv *record = jv_new_object();

        if (!record || jv_obj_set(record, "version", jv_new_uint(version)) < 0 ||
            jv_obj_set(record, "time", jv_new_string(now)) < 0 ||
            jv_obj_set(record, "containerId", jv_new_string(from->container_id)) < 0 ||
            jv_obj_set(record, "imageTag", string_or_null(from->image_tag)) < 0 ||
            jv_obj_set(record, "imageDigest", string_or_null(from->image_digest)) < 0 ||
            jv_obj_set(record, "addedSyscalls", TAKE_PTR(syscalls)) < 0 ||
            jv_obj_set(record, "addedCapabilities", TAKE_PTR(caps)) < 0 ||
            (drift && jv_obj_set(record, "acceptedDrift", TAKE_PTR(drift)) < 0) ||
            (from->partial && jv_obj_set(record, "partial", jv_new_bool(true)) < 0) ||
            (from->method && jv_obj_set(record, "method", jv_new_string(from->method)) < 0))
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(record);
        return 0;
}

static int observation_id(const osl_observation *obs, char **out, osl_error *err)
{
        if (osl_asprintf(out, "%s@%s", obs->container_id, obs->start_time) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_store_merge(osl_store *s, const char *image_key, const osl_observation *obs, osl_merge_result *res,
                    osl_error *err)
{
        _cleanup_(locked_image_clear) locked_image li = { .d = { .fd = -1, .versions_fd = -1, .images_fd = -1 }, .lock_fd = -1 };
        _cleanup_jv_ jv *added_syscalls = jv_new_array(), *added_caps = jv_new_array(), *record = NULL;
        _cleanup_free_ char *id = NULL;
        char now[32];
        int r;

        *res = (osl_merge_result) {};
        if (!added_syscalls || !added_caps)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = check_observation(obs, err)) < 0 || (r = observation_id(obs, &id, err)) < 0 ||
            (r = lock_and_load(s, image_key, true, &li, err)) < 0)
                return r;

        if (merged_contains(li.current, id)) {
                res->version = li.current->version;
                res->duplicate = true;
                return 0;
        }

        osl_learned *l = li.current;
        if (!l) {
                if (!(l = li.current = calloc(1, sizeof(*l))) || !(l->image_key = strdup(image_key)))
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if ((r = union_observation(l, obs, added_syscalls, added_caps, err)) < 0)
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
        if ((r = history_record(&record, l->version, now, obs, TAKE_PTR(added_syscalls), TAKE_PTR(added_caps), NULL,
                                err)) < 0)
                return r;
        return publish(&li, l, TAKE_PTR(record), (const char *const[]) { id }, 1, now, err);
}

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

        if ((r = check_document_head(doc, DRIFT_SCHEMA_VERSION, fields, ELEMENTSOF(fields), current->image_key, err)) < 0)
                return r;
        if ((r = get_field(doc, "", "records", JV_ARRAY, &records, err)) < 0)
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
                        return field_error(err, path, NULL, "expected an object, got %.40s", describe(e));
                if ((r = check_fields(e, path, record_fields, ELEMENTSOF(record_fields), err)) < 0 ||
                    (r = get_time(e, path, "time", &time, err)) < 0 ||
                    (r = get_u64(e, path, "version", UINT32_MAX, &version, err)) < 0)
                        return r;
                if (version == 0)
                        return field_error(err, path, "version", "must be at least 1");
                if (version > current->version)
                        return field_error(err, path, "version", "%" PRIu64 " is beyond the profile's version %" PRIu32,
                                           version, current->version);
                if (!jv_obj_get(e, "outside"))
                        return field_error(err, path, "outside", "missing");
                if ((r = osl_observation_from_jv(jv_obj_get(e, "outside"), &outside, err)) < 0)
                        return osl_err_prefix(err, "%s.outside", path);
                if ((r = observation_id(outside, &id, err)) < 0)
                        return r;
                if (merged_contains(current, id))
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

        r = read_at(dir->fd, dir->path, DRIFT_FILE, PROFILE_MAX_BYTES, &path, &text, &len, err);
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
        return write_at_atomic(li->d.fd, li->d.path, DRIFT_FILE, text, len, 0, err);
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
        _cleanup_(locked_image_clear) locked_image li = { .d = { .fd = -1, .versions_fd = -1, .images_fd = -1 }, .lock_fd = -1 };
        _cleanup_learned_ osl_learned *older = NULL;
        _cleanup_observation_ osl_observation *outside = NULL;
        _cleanup_drift_ osl_drift *d = NULL;
        _cleanup_free_ char *id = NULL;
        const osl_learned *ver;
        int r;

        *res = (osl_drift_result) {};
        if ((r = check_observation(obs, err)) < 0 || (r = observation_id(obs, &id, err)) < 0 ||
            (r = lock_and_load(s, image_key, false, &li, err)) < 0)
                return r;

        /* The version the container ran under. */
        if (version == 0 || version == li.current->version)
                ver = li.current;
        else if (version > li.current->version)
                return osl_err(err, -ENOENT, "version %" PRIu32 " of %s is not stored (the newest is %" PRIu32 ")",
                               version, image_key, li.current->version);
        else {
                r = load_version(&li.d, image_key, version, &older, err);
                if (r == -ENOENT)
                        return osl_err_prefix(err, "version %" PRIu32 " of %s is missing", version, image_key);
                if (r < 0)
                        return r;
                ver = older;
        }
        res->version = ver->version;

        /* Recorded (or accepted, or merged) before: nothing changes. */
        if (merged_contains(li.current, id)) {
                res->duplicate = true;
                return 0;
        }
        if ((r = read_drift(&li.d, li.current, &d, NULL, err)) < 0)
                return r;
        for (size_t i = 0; i < d->n_records; i++) {
                _cleanup_free_ char *rec_id = NULL;
                const osl_drift_record *rec = &d->records[i];
                if ((r = observation_id(rec->outside, &rec_id, err)) < 0)
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
        _cleanup_(image_dir_clear) image_dir d = { .fd = -1, .versions_fd = -1, .images_fd = -1 };
        _cleanup_learned_ osl_learned *current = NULL;
        int r;

        if ((r = open_image(s, image_key, false, &d, err)) < 0 ||
            (r = load_current(s, &d, image_key, false, &current, err)) < 0)
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
        _cleanup_(locked_image_clear) locked_image li = { .d = { .fd = -1, .versions_fd = -1, .images_fd = -1 }, .lock_fd = -1 };
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
        if ((r = lock_and_load(s, image_key, false, &li, err)) < 0 ||
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
                if ((r = observation_id(o, &ids[i], err)) < 0 ||
                    (r = union_observation(l, o, added_syscalls, added_caps, err)) < 0)
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
                if ((r = history_record(&record, l->version, now, d->records[d->n_records - 1].outside,
                                        TAKE_PTR(added_syscalls), TAKE_PTR(added_caps), TAKE_PTR(containers), err)) < 0)
                        return r;
        }
        res->version = l->version;
        /* The profile first: once it lists the records as merged they are no
         * longer pending, even if removing drift.json fails. */
        if ((r = publish(&li, l, TAKE_PTR(record), (const char *const *) ids, d->n_records, now, err)) < 0)
                return r;
        return remove_drift(&li, err);
}

/* ---- summaries, prune, rm ---- */

int osl_store_summary(osl_store *s, const char *image_key, osl_profile_summary *out, osl_error *err)
{
        _cleanup_(image_dir_clear) image_dir d = IMAGE_DIR_INIT;
        _cleanup_learned_ osl_learned *l = NULL;
        _cleanup_free_ char *text = NULL;
        _cleanup_jv_ jv *doc = NULL;
        osl_error ignored = {};
        struct stat st;
        char stamp[128];
        size_t len;
        int r;

        *out = (osl_profile_summary) {};
        if ((r = open_image(s, image_key, false, &d, err)) < 0)
                return r;
        /* The summary, when it is of this very profile.json; else the profile. */
        if (fstatat(d.fd, PROFILE_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
                r = read_at(d.fd, d.path, SUMMARY_FILE, SUMMARY_MAX_BYTES, NULL, &text, &len, &ignored);
                if (r == -ELOOP)
                        return osl_err(err, r, "%s", ignored.msg);
                profile_stamp(&st, stamp);
                const char *updated;
                uint64_t version, schema, n_sys, n_caps;
                if (r >= 0 && jv_parse(text, len, SUMMARY_FILE, &doc, &ignored) >= 0 &&
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
        if ((r = load_current(s, &d, image_key, false, &l, err)) < 0)
                return r;
        *out = (osl_profile_summary) { .version = l->version, .syscalls = l->n_syscalls,
                                       .capabilities = l->n_capabilities };
        snprintf(out->updated, sizeof(out->updated), "%s", jv_str(jv_obj_get(l->doc, "updated")));
        return 0;
}

int osl_store_prune(osl_store *s, const char *image_key, uint32_t keep, osl_prune_result *res, osl_error *err)
{
        _cleanup_(locked_image_clear) locked_image li = { .d = IMAGE_DIR_INIT, .lock_fd = -1 };
        _cleanup_free_ char *text = NULL, *path = NULL, *kept = NULL;
        size_t len = 0, kept_len = 0;
        int r;

        *res = (osl_prune_result) {};
        if (keep == 0)
                return osl_err(err, -EINVAL, "--keep must keep at least one version");
        if ((r = lock_and_load(s, image_key, false, &li, err)) < 0)
                return r;
        osl_learned *l = li.current;
        res->version = l->version;
        res->first_kept = l->version > keep ? l->version - keep + 1 : 1;
        /* A store before v2 is migrated first, its profile unchanged. */
        if (l->schema_version == PROFILE_SCHEMA_V1 &&
            (r = publish(&li, l, NULL, NULL, 0, jv_str(jv_obj_get(l->doc, "updated")), err)) < 0)
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
                if ((r = load_version(&li.d, image_key, res->first_kept, &full, err)) < 0 ||
                    (r = version_record(&li.d, image_key, res->first_kept, &rec, err)) < 0 ||
                    (r = learned_to_doc(full, TAKE_PTR(rec), jv_dup(jv_obj_get(full->doc, "merged")),
                                        jv_str(jv_obj_get(full->doc, "updated")), &doc, err)) < 0)
                        return r;
                jv_obj_remove(doc, "seccomp");
                if (jv_obj_set(doc, "base", jv_new_bool(true)) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if ((r = jv_serialize(doc, true, &vtext, &vlen, err)) < 0 ||
                    (r = write_at_atomic(li.d.versions_fd, li.d.versions_path, name, vtext, vlen, 0, err)) < 0)
                        return r;
        }
        r = read_at(li.d.fd, li.d.path, HISTORY_FILE, HISTORY_MAX_BYTES, &path, &text, &len, err);
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
            (r = write_at_atomic(li.d.fd, li.d.path, HISTORY_FILE, kept, kept_len, 0, err)) < 0)
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
        _cleanup_(image_dir_clear) image_dir d = IMAGE_DIR_INIT;
        _cleanup_(unlockp) int lock_fd = -1;
        struct timespec ts;
        char gone[64];
        int r;

        if ((r = open_image(s, image_key, false, &d, err)) < 0 ||
            (r = lock_image(&d, s->lock_timeout_ms, &lock_fd, err)) < 0)
                return r;
        if (!image_dir_linked(&d))
                return osl_err(err, -ENOENT, "no profile is stored for %s in %s", image_key, s->root);
        /* One rename takes the image away for readers and writers alike;
         * writers waiting for the lock see it gone (lock_and_load). */
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
