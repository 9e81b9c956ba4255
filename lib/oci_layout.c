/* SPDX-License-Identifier: Apache-2.0 */
/* OCI image layouts and the artifacts attached in them (oci_layout.h,
 * doc/artifacts.md).
 *
 * The layout directory is opened once; oci-layout, index.json, blobs/ and
 * blobs/sha256/ and every blob are opened relative to their parent with
 * O_NOFOLLOW, so a symlink planted under DIR is refused instead of followed
 * out of it. A blob is trusted only after its size matched its descriptor
 * and its SHA-256 matched its name. */
#include "oci_layout.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "sha256.h"

#define LAYOUT_FILE "oci-layout"
#define INDEX_FILE "index.json"
#define BLOBS_DIR "blobs"
#define SHA256_DIR "sha256"
#define SHA256_PREFIX "sha256:"
#define TMP_PREFIX ".tmp-osl-"
#define ARTIFACT_CONFIG OSL_OCI_ARTIFACT_CONFIG
#define MAX_DESCRIPTORS 65536 /* entries of index.json that we look at */

struct osl_oci_layout {
        char *path;
        int dir_fd;
        int blobs_fd; /* blobs/sha256 */
};

/* ---- names ---- */

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool osl_oci_digest_is_sha256(const char *digest)
{
        if (!digest || strncmp(digest, SHA256_PREFIX, strlen(SHA256_PREFIX)) != 0)
                return false;
        const char *hex = digest + strlen(SHA256_PREFIX);
        for (size_t i = 0; i < 64; i++)
                if (!is_lower_hex(hex[i]))
                        return false;
        return hex[64] == '\0';
}

/* image-spec digest grammar: algorithm ":" encoded, where algorithm is
 * [a-z0-9]+ joined by [+._-] and encoded is [a-zA-Z0-9=_-]+. */
static bool digest_well_formed(const char *digest)
{
        const char *colon = strchr(digest, ':');
        if (!colon || colon == digest || !colon[1])
                return false;
        for (const char *p = digest; p < colon; p++) {
                bool sep = *p == '+' || *p == '.' || *p == '_' || *p == '-';
                bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
                if (!alnum && !(sep && p > digest && p + 1 < colon))
                        return false;
        }
        for (const char *p = colon + 1; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '=' || *p == '_' || *p == '-'))
                        return false;
        return true;
}

static bool is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool osl_oci_ref_name_valid(const char *name)
{
        size_t len = name ? strlen(name) : 0;
        if (len == 0 || len > 255)
                return false;
        /* component ("/" component)*, component: alphanum (separator alphanum)*. */
        const char *p = name;
        for (;;) {
                if (!is_alnum(*p))
                        return false;
                while (is_alnum(*p))
                        p++;
                if (*p == '\0')
                        return true;
                if (*p == '/') {
                        p++;
                        continue;
                }
                if (p[0] == '-' && p[1] == '-')
                        p += 2;
                else if (strchr("-._:@+", *p))
                        p++;
                else
                        return false;
        }
}

/* ---- descriptors ---- */

void osl_oci_descriptor_clear(osl_oci_descriptor *d)
{
        if (!d)
                return;
        free(d->media_type);
        free(d->digest);
        free(d->artifact_type);
        free(d->ref_name);
        *d = (osl_oci_descriptor) {};
}

static void descriptors_free(osl_oci_descriptor *d, size_t n)
{
        for (size_t i = 0; i < n; i++)
                osl_oci_descriptor_clear(&d[i]);
        free(d);
}

/* A string field; absent is fine unless required. */
static int get_string(const jv *obj, const char *where, const char *key, bool required, const char **out,
                      osl_error *err)
{
        const jv *v = jv_obj_get(obj, key);
        *out = NULL;
        if (!v) {
                if (required)
                        return osl_err(err, -EINVAL, "%s: \"%s\" is missing", where, key);
                return 0;
        }
        if (!(*out = jv_str(v)))
                return osl_err(err, -EINVAL, "%s.%s: expected a string, got %s", where, key, jv_type_name(v->type));
        return 0;
}

int osl_oci_descriptor_parse(const jv *v, const char *where, osl_oci_descriptor *out, osl_error *err)
{
        osl_oci_descriptor d = {};
        const char *media_type, *digest, *artifact_type, *ref_name = NULL;
        const jv *size, *annotations;
        int r;

        if (!jv_is(v, JV_OBJECT))
                return osl_err(err, -EINVAL, "%s: expected a descriptor (an object), got %s", where,
                               v ? jv_type_name(v->type) : "nothing");
        if ((r = get_string(v, where, "mediaType", true, &media_type, err)) < 0 ||
            (r = get_string(v, where, "digest", true, &digest, err)) < 0 ||
            (r = get_string(v, where, "artifactType", false, &artifact_type, err)) < 0)
                return r;
        if (!digest_well_formed(digest))
                return osl_err(err, -EINVAL, "%s.digest: \"%.100s\" is not a digest (algorithm:encoded)", where,
                               digest);
        if (!(size = jv_obj_get(v, "size")))
                return osl_err(err, -EINVAL, "%s: \"size\" is missing", where);
        if (!jv_get_uint64(size, &d.size) || d.size > INT64_MAX)
                return osl_err(err, -EINVAL, "%s.size: expected an integer from 0 to %" PRId64, where, INT64_MAX);
        annotations = jv_obj_get(v, "annotations");
        if (annotations) {
                if (!jv_is(annotations, JV_OBJECT))
                        return osl_err(err, -EINVAL, "%s.annotations: expected an object, got %s", where,
                                       jv_type_name(annotations->type));
                for (size_t i = 0; i < annotations->u.object.len; i++)
                        if (!jv_str(annotations->u.object.values[i]))
                                return osl_err(err, -EINVAL, "%s.annotations.%.100s: expected a string", where,
                                               annotations->u.object.keys[i]);
                ref_name = jv_str(jv_obj_get(annotations, OSL_OCI_ANNOTATION_REF_NAME));
        }
        d.media_type = strdup(media_type);
        d.digest = strdup(digest);
        d.artifact_type = artifact_type ? strdup(artifact_type) : NULL;
        d.ref_name = ref_name ? strdup(ref_name) : NULL;
        if (!d.media_type || !d.digest || (artifact_type && !d.artifact_type) || (ref_name && !d.ref_name)) {
                osl_oci_descriptor_clear(&d);
                return osl_err(err, -ENOMEM, "out of memory");
        }
        *out = d;
        return 0;
}

/* {"mediaType": ..., "digest": ..., "size": ...} */
static jv *descriptor_new(const char *media_type, const char *digest, uint64_t size)
{
        jv *d = jv_new_object();
        if (!d || jv_obj_set(d, "mediaType", jv_new_string(media_type)) < 0 ||
            jv_obj_set(d, "digest", jv_new_string(digest)) < 0 || jv_obj_set(d, "size", jv_new_uint(size)) < 0) {
                jv_free(d);
                return NULL;
        }
        return d;
}

/* ---- the layout ---- */

const char *osl_oci_layout_path(const osl_oci_layout *l)
{
        return l->path;
}

void osl_oci_layout_close(osl_oci_layout *l)
{
        if (!l)
                return;
        if (l->dir_fd >= 0)
                close(l->dir_fd);
        if (l->blobs_fd >= 0)
                close(l->blobs_fd);
        free(l->path);
        free(l);
}

/* Opens parent/name without following a symlink; what names it in messages. */
static int open_below(int parent_fd, const char *name, int flags, const char *what, osl_error *err)
{
        int fd = openat(parent_fd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0)
                return fd;
        if (errno == ELOOP)
                return osl_err(err, -ELOOP, "%s is a symbolic link; refusing to follow it", what);
        if (errno == ENOTDIR && (flags & O_DIRECTORY)) {
                /* O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR on
                 * some kernels: say what it is. */
                struct stat st;
                if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
                        return osl_err(err, -ELOOP, "%s is a symbolic link; refusing to follow it", what);
                return osl_err(err, -ENOTDIR, "%s is not a directory", what);
        }
        return osl_err(err, -errno, "cannot open %s: %m", what);
}

/* Opens a regular file below parent_fd for reading. O_NONBLOCK keeps a FIFO
 * from blocking us before fstat refuses it. */
static int open_regular(int parent_fd, const char *name, const char *what, struct stat *st, osl_error *err)
{
        _cleanup_close_ int fd = open_below(parent_fd, name, O_RDONLY | O_NONBLOCK, what, err);
        if (fd < 0)
                return fd;
        if (fstat(fd, st) < 0)
                return osl_err(err, -errno, "cannot stat %s: %m", what);
        if (!S_ISREG(st->st_mode))
                return osl_err(err, -EINVAL, "%s is not a regular file", what);
        return TAKE_FD(fd);
}

static int read_below(int parent_fd, const char *name, const char *what, size_t max, char **out, size_t *len,
                      osl_error *err)
{
        struct stat st;
        _cleanup_close_ int fd = open_regular(parent_fd, name, what, &st, err);
        if (fd < 0)
                return fd;
        if ((uint64_t) st.st_size > max)
                return osl_err(err, -EFBIG, "%s is larger than %zu bytes", what, max);
        return osl_read_fd(fd, what, max, out, len, err);
}

int osl_oci_layout_open(const char *dir, osl_oci_layout **out, osl_error *err)
{
        _cleanup_free_ char *path = NULL, *text = NULL, *what = NULL;
        _cleanup_close_ int dir_fd = -1, blobs_parent = -1, blobs_fd = -1;
        _cleanup_jv_ jv *doc = NULL;
        const char *version;
        size_t len;
        int r;

        if (!dir || !*dir)
                return osl_err(err, -EINVAL, "no OCI image layout directory given");
        if (!(path = strdup(dir)))
                return osl_err(err, -ENOMEM, "out of memory");
        /* The directory itself may be a symlink: whoever named it chose it. */
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return osl_err(err, -errno, "cannot open the OCI image layout %s: %m", dir);

        if (osl_asprintf(&what, "%s/" LAYOUT_FILE, dir) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        r = read_below(dir_fd, LAYOUT_FILE, what, 64 * 1024, &text, &len, err);
        if (r == -ENOENT)
                return osl_err(err, -EINVAL, "%s is not an OCI image layout: it has no " LAYOUT_FILE " file", dir);
        if (r < 0)
                return r;
        if ((r = jv_parse(text, len, what, &doc, err)) < 0)
                return r;
        if (!jv_is(doc, JV_OBJECT))
                return osl_err(err, -EINVAL, "%s: expected an object", what);
        if ((r = get_string(doc, what, "imageLayoutVersion", true, &version, err)) < 0)
                return r;
        if (strcmp(version, "1.0.0") != 0)
                return osl_err(err, -EOPNOTSUPP, "%s: imageLayoutVersion \"%.40s\" is not supported (only 1.0.0)",
                               what, version);

        free(TAKE_PTR(what));
        if (osl_asprintf(&what, "%s/" BLOBS_DIR, dir) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((blobs_parent = open_below(dir_fd, BLOBS_DIR, O_RDONLY | O_DIRECTORY, what, err)) < 0)
                return blobs_parent;
        free(TAKE_PTR(what));
        if (osl_asprintf(&what, "%s/" BLOBS_DIR "/" SHA256_DIR, dir) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((blobs_fd = open_below(blobs_parent, SHA256_DIR, O_RDONLY | O_DIRECTORY, what, err)) < 0)
                return blobs_fd;

        osl_oci_layout *l = calloc(1, sizeof(*l));
        if (!l)
                return osl_err(err, -ENOMEM, "out of memory");
        l->path = TAKE_PTR(path);
        l->dir_fd = TAKE_FD(dir_fd);
        l->blobs_fd = TAKE_FD(blobs_fd);
        *out = l;
        return 0;
}

/* ---- writing: temporary file, fsync, rename, fsync of the directory ---- */

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

/* Writes dir_fd/name atomically; what names the directory in messages. */
static int write_atomic_at(int dir_fd, const char *dir_what, const char *name, const void *data, size_t len,
                           osl_error *err)
{
        char tmp[64];
        uint64_t rnd;
        _cleanup_close_ int fd = -1;
        int r;

        for (int attempt = 0;; attempt++) {
                if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
                        rnd = ((uint64_t) getpid() << 20) ^ (uint64_t) attempt;
                snprintf(tmp, sizeof(tmp), TMP_PREFIX "%016" PRIx64, rnd);
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (fd >= 0)
                        break;
                if (errno != EEXIST || attempt >= 16)
                        return osl_err(err, -errno, "cannot create a temporary file in %s: %m", dir_what);
        }
        /* The umask may have taken bits off: blobs are for everyone to read,
         * as every tool that writes layouts makes them. */
        if (fchmod(fd, 0644) < 0) {
                r = osl_err(err, -errno, "cannot set the mode of %s/%s: %m", dir_what, tmp);
                goto fail;
        }
        if ((r = write_all(fd, data, len)) < 0) {
                errno = -r;
                r = osl_err(err, r, "cannot write %s/%s: %m", dir_what, tmp);
                goto fail;
        }
        if (fsync(fd) < 0) {
                r = osl_err(err, -errno, "cannot sync %s/%s: %m", dir_what, tmp);
                goto fail;
        }
        /* rename() replaces a symlink named name; it never follows it. */
        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                r = osl_err(err, -errno, "cannot rename %s/%s to %s: %m", dir_what, tmp, name);
                goto fail;
        }
        if (fsync(dir_fd) < 0)
                return osl_err(err, -errno, "cannot sync the directory %s: %m", dir_what);
        return 0;
fail:
        (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

/* ---- blobs ---- */

static int blob_what(const osl_oci_layout *l, const char *hex, char **out, osl_error *err)
{
        if (osl_asprintf(out, "%s/" BLOBS_DIR "/" SHA256_DIR "/%s", l->path, hex) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_oci_read_blob(osl_oci_layout *l, const char *digest, uint64_t size, size_t max, char **out, size_t *len,
                      osl_error *err)
{
        _cleanup_free_ char *what = NULL, *data = NULL;
        _cleanup_close_ int fd = -1;
        char actual[OSL_SHA256_HEX_SIZE];
        struct stat st;
        size_t n;
        int r;

        if (!osl_oci_digest_is_sha256(digest))
                return osl_err(err, -EOPNOTSUPP, "blob digest \"%.100s\" is not supported (only sha256:<64 hex digits>)",
                               digest);
        const char *hex = digest + strlen(SHA256_PREFIX);
        if ((r = blob_what(l, hex, &what, err)) < 0)
                return r;
        if (size > max)
                return osl_err(err, -EFBIG, "%s: its descriptor says %" PRIu64 " bytes, more than the %zu allowed", what,
                               size, max);
        fd = open_regular(l->blobs_fd, hex, what, &st, err);
        if (fd == -ENOENT)
                return osl_err(err, -EBADMSG, "%s is missing: the layout is incomplete", what);
        if (fd < 0)
                return fd;
        if ((uint64_t) st.st_size != size)
                return osl_err(err, -EBADMSG,
                               "%s has %" PRIu64 " bytes, but its descriptor says %" PRIu64
                               ": the layout is damaged or was tampered with",
                               what, (uint64_t) st.st_size, size);
        if ((r = osl_read_fd(fd, what, max, &data, &n, err)) < 0)
                return r;
        if (n != size)
                return osl_err(err, -EBADMSG, "%s changed while it was read", what);
        osl_sha256_hex(data, n, actual);
        if (strcmp(actual, hex) != 0)
                return osl_err(err, -EBADMSG,
                               "%s: its content has the digest sha256:%s, not the one it is named by: "
                               "the layout is damaged or was tampered with",
                               what, actual);
        *out = TAKE_PTR(data);
        if (len)
                *len = n;
        return 0;
}

int osl_oci_write_blob(osl_oci_layout *l, const void *data, size_t len, char digest_out[static OSL_OCI_DIGEST_SIZE],
                       osl_error *err)
{
        _cleanup_free_ char *what = NULL, *existing = NULL;
        char hex[OSL_SHA256_HEX_SIZE];
        osl_error ignored = {};

        osl_sha256_hex(data, len, hex);
        snprintf(digest_out, OSL_OCI_DIGEST_SIZE, SHA256_PREFIX "%s", hex);
        /* Content-addressed: a correct copy is as good as ours. Anything
         * else under that name (damaged, a symlink) is replaced. */
        if (osl_oci_read_blob(l, digest_out, len, len, &existing, NULL, &ignored) == 0)
                return 0;
        if (osl_asprintf(&what, "%s/" BLOBS_DIR "/" SHA256_DIR, l->path) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return write_atomic_at(l->blobs_fd, what, hex, data, len, err);
}

/* ---- index.json ---- */

static int index_what(const osl_oci_layout *l, char **out, osl_error *err)
{
        if (osl_asprintf(out, "%s/" INDEX_FILE, l->path) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_oci_read_index(osl_oci_layout *l, jv **out, osl_error *err)
{
        _cleanup_free_ char *what = NULL, *text = NULL;
        _cleanup_jv_ jv *index = NULL;
        const jv *manifests;
        int64_t schema;
        size_t len;
        int r;

        if ((r = index_what(l, &what, err)) < 0)
                return r;
        r = read_below(l->dir_fd, INDEX_FILE, what, OSL_OCI_MAX_INDEX, &text, &len, err);
        if (r == -ENOENT)
                return osl_err(err, -EINVAL, "%s is missing: %s is not an OCI image layout", what, l->path);
        if (r < 0)
                return r;
        if ((r = jv_parse(text, len, what, &index, err)) < 0)
                return r;
        if (!jv_is(index, JV_OBJECT))
                return osl_err(err, -EINVAL, "%s: expected an object (an image index)", what);
        if (!jv_get_int64(jv_obj_get(index, "schemaVersion"), &schema) || schema != 2)
                return osl_err(err, -EINVAL, "%s: schemaVersion: expected 2", what);
        manifests = jv_obj_get(index, "manifests");
        if (!jv_is(manifests, JV_ARRAY))
                return osl_err(err, -EINVAL, "%s: manifests: expected an array", what);
        if (jv_arr_len(manifests) > MAX_DESCRIPTORS)
                return osl_err(err, -E2BIG, "%s: more than %d manifests", what, MAX_DESCRIPTORS);
        for (size_t i = 0; i < jv_arr_len(manifests); i++) {
                char where[64];
                osl_oci_descriptor d = {};
                snprintf(where, sizeof(where), "manifests[%zu]", i);
                r = osl_oci_descriptor_parse(jv_arr_at(manifests, i), where, &d, err);
                osl_oci_descriptor_clear(&d);
                if (r < 0)
                        return osl_err_prefix(err, "%s", what);
        }
        *out = TAKE_PTR(index);
        return 0;
}

int osl_oci_write_index(osl_oci_layout *l, const jv *index, osl_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if ((r = jv_serialize(index, false, &text, &len, err)) < 0)
                return r;
        return write_atomic_at(l->dir_fd, l->path, INDEX_FILE, text, len, err);
}

/* ---- choosing the image ---- */

bool osl_oci_is_image_media_type(const char *t)
{
        return strcmp(t, OSL_OCI_MEDIA_TYPE_MANIFEST) == 0 || strcmp(t, OSL_OCI_MEDIA_TYPE_INDEX) == 0 ||
               strcmp(t, OSL_DOCKER_MEDIA_TYPE_MANIFEST) == 0 || strcmp(t, OSL_DOCKER_MEDIA_TYPE_LIST) == 0;
}

/* Reads and verifies a manifest or index blob; it must be a JSON object. */
static int read_manifest(osl_oci_layout *l, const osl_oci_descriptor *d, jv **out, osl_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if ((r = osl_oci_read_blob(l, d->digest, d->size, OSL_OCI_MAX_MANIFEST, &text, &len, err)) < 0)
                return r;
        if ((r = jv_parse(text, len, d->digest, out, err)) < 0)
                return r;
        if (!jv_is(*out, JV_OBJECT)) {
                jv_free(TAKE_PTR(*out));
                return osl_err(err, -EINVAL, "manifest %s: expected a JSON object", d->digest);
        }
        return 0;
}

const char *osl_oci_manifest_artifact_type(const jv *m)
{
        const char *t = jv_str(jv_obj_get(m, "artifactType"));
        return t ? t : jv_str(jv_get_path(m, "config", "mediaType", NULL));
}

/* Whether entry d of index.json is an artifact that refers to another
 * manifest (has a subject), which is never the image itself. */
static int entry_is_referrer(osl_oci_layout *l, const osl_oci_descriptor *d, bool *out, osl_error *err)
{
        _cleanup_jv_ jv *m = NULL;
        int r;

        *out = false;
        if (strcmp(d->media_type, OSL_OCI_MEDIA_TYPE_MANIFEST) != 0)
                return 0;
        if ((r = read_manifest(l, d, &m, err)) < 0)
                return r;
        *out = jv_obj_get(m, "subject") != NULL;
        return 0;
}

/* "sha256:0123456789ab (tag v1), sha256:..." for messages. */
static void describe_entries(const osl_oci_descriptor *d, size_t n, char *buf, size_t size)
{
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < n && used < size; i++) {
                int w = snprintf(buf + used, size - used, "%s%.19s%s%.60s%s", i ? ", " : "", d[i].digest,
                                 d[i].ref_name ? " (tag " : "", d[i].ref_name ? d[i].ref_name : "",
                                 d[i].ref_name ? ")" : "");
                if (w < 0)
                        break;
                used += (size_t) w;
        }
}

int osl_oci_select_image(osl_oci_layout *l, const jv *index, const osl_oci_selector *sel, osl_oci_descriptor *out,
                         osl_error *err)
{
        const jv *manifests = jv_obj_get(index, "manifests");
        osl_oci_descriptor *all = NULL, *pick = NULL;
        size_t n = jv_arr_len(manifests), n_candidates = 0;
        _cleanup_free_ char *what = NULL;
        _cleanup_jv_ jv *m = NULL;
        char listing[512];
        int r;

        if ((r = index_what(l, &what, err)) < 0)
                return r;
        if (sel->digest && sel->tag)
                return osl_err(err, -EINVAL, "choose the image by digest or by tag, not both");
        if (sel->digest && !digest_well_formed(sel->digest))
                return osl_err(err, -EINVAL, "\"%.100s\" is not a digest (sha256:<64 hex digits>)", sel->digest);
        if (!(all = calloc(n ? n : 1, sizeof(*all))))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++)
                if ((r = osl_oci_descriptor_parse(jv_arr_at(manifests, i), "manifests[]", &all[i], err)) < 0)
                        goto out;

        /* Candidates are moved to the front of all[]. */
        for (size_t i = 0; i < n; i++) {
                bool take;
                if (sel->digest)
                        take = strcmp(all[i].digest, sel->digest) == 0;
                else if (sel->tag)
                        take = all[i].ref_name && strcmp(all[i].ref_name, sel->tag) == 0;
                else {
                        bool referrer = all[i].artifact_type != NULL;
                        if (!referrer && (r = entry_is_referrer(l, &all[i], &referrer, err)) < 0)
                                goto out;
                        take = !referrer;
                }
                if (take) {
                        osl_oci_descriptor t = all[n_candidates];
                        all[n_candidates++] = all[i];
                        all[i] = t;
                }
        }
        /* One manifest under two names is still one image. */
        if (sel->digest && n_candidates > 1)
                n_candidates = 1;
        if (n_candidates == 0) {
                describe_entries(all, n, listing, sizeof(listing));
                if (sel->digest)
                        r = osl_err(err, -ENOENT, "%s names no manifest %.100s (it has: %s)", what, sel->digest,
                                    n ? listing : "nothing");
                else if (sel->tag)
                        r = osl_err(err, -ENOENT, "%s has no image tagged \"%.100s\" (it has: %s)", what, sel->tag,
                                    n ? listing : "nothing");
                else
                        r = osl_err(err, -ENOENT, "%s names no image", what);
                goto out;
        }
        if (n_candidates > 1) {
                describe_entries(all, n_candidates, listing, sizeof(listing));
                r = osl_err(err, -EINVAL, "%s names %zu %s (%s); choose one with --tag or --manifest", what,
                            n_candidates, sel->tag ? "manifests with that tag" : "images", listing);
                goto out;
        }
        pick = &all[0];
        if (!osl_oci_is_image_media_type(pick->media_type)) {
                r = osl_err(err, -EINVAL, "%s: %.19s is a \"%.100s\", not an image manifest or index", what,
                            pick->digest, pick->media_type);
                goto out;
        }
        /* The subject must be what it says it is before anything refers to it. */
        if ((r = read_manifest(l, pick, &m, err)) < 0)
                goto out;
        *out = *pick;
        *pick = (osl_oci_descriptor) {};
        r = 0;
out:
        descriptors_free(all, n);
        return r;
}

/* ---- referrers ---- */

int osl_oci_find_referrers(osl_oci_layout *l, const jv *index, const char *subject_digest, const char *artifact_type,
                           osl_oci_descriptor **out, size_t *n_out, osl_error *err)
{
        const jv *manifests = jv_obj_get(index, "manifests");
        osl_oci_descriptor *found = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < jv_arr_len(manifests); i++) {
                osl_oci_descriptor d = {};
                _cleanup_jv_ jv *m = NULL;

                if ((r = osl_oci_descriptor_parse(jv_arr_at(manifests, i), "manifests[]", &d, err)) < 0)
                        goto fail;
                /* Only OCI manifests carry a subject; an artifactType on the
                 * entry that is another one spares reading the manifest. */
                if (strcmp(d.media_type, OSL_OCI_MEDIA_TYPE_MANIFEST) != 0 ||
                    (d.artifact_type && strcmp(d.artifact_type, artifact_type) != 0) ||
                    !osl_oci_digest_is_sha256(d.digest)) {
                        osl_oci_descriptor_clear(&d);
                        continue;
                }
                if ((r = read_manifest(l, &d, &m, err)) < 0) {
                        osl_oci_descriptor_clear(&d);
                        goto fail;
                }
                const char *t = osl_oci_manifest_artifact_type(m);
                const char *subject = jv_str(jv_get_path(m, "subject", "digest", NULL));
                if (!t || strcmp(t, artifact_type) != 0 || !subject || strcmp(subject, subject_digest) != 0) {
                        osl_oci_descriptor_clear(&d);
                        continue;
                }
                osl_oci_descriptor *grown = realloc(found, (n + 1) * sizeof(*found));
                if (!grown) {
                        osl_oci_descriptor_clear(&d);
                        r = osl_err(err, -ENOMEM, "out of memory");
                        goto fail;
                }
                found = grown;
                found[n++] = d;
        }
        *out = found;
        *n_out = n;
        return 0;
fail:
        descriptors_free(found, n);
        return r;
}

/* ---- attach ---- */

static int lock_layout(osl_oci_layout *l, osl_error *err)
{
        return osl_lock_fd(l->dir_fd, l->path, OSL_LOCK_TIMEOUT_DEFAULT_MS, err);
}

/* The artifact's manifest, from its parts: the same inputs give the same
 * bytes, so attaching twice gives one digest. */
static int artifact_manifest(const osl_oci_artifact *a, const char *config_digest, const char *layer_digest,
                             const osl_oci_descriptor *subject, char **out, size_t *len, osl_error *err)
{
        _cleanup_jv_ jv *m = jv_new_object();
        jv *layers = NULL, *layer = NULL, *layer_annotations = NULL, *annotations = NULL;
        bool has_annotations = a->annotations && a->annotations[0];

        for (size_t i = 0; has_annotations && a->annotations[i]; i += 2)
                if (!a->annotations[i + 1])
                        return osl_err(err, -EINVAL, "annotation \"%s\" has no value", a->annotations[i]);
        /* Each part is handed to its parent as soon as it is made (jv_obj_set
         * and jv_arr_append own what they get, also NULL or on failure), and
         * filled in through the pointer the parent now owns. */
        if (!m || jv_obj_set(m, "schemaVersion", jv_new_int(2)) < 0 ||
            jv_obj_set(m, "mediaType", jv_new_string(OSL_OCI_MEDIA_TYPE_MANIFEST)) < 0 ||
            jv_obj_set(m, "artifactType", jv_new_string(a->artifact_type)) < 0 ||
            jv_obj_set(m, "config", descriptor_new(a->artifact_type, config_digest, strlen(ARTIFACT_CONFIG))) < 0 ||
            jv_obj_set(m, "layers", layers = jv_new_array()) < 0 ||
            jv_arr_append(layers, layer = descriptor_new(a->layer_media_type, layer_digest, a->len)) < 0 ||
            jv_obj_set(layer, "annotations", layer_annotations = jv_new_object()) < 0 ||
            jv_obj_set(layer_annotations, OSL_OCI_ANNOTATION_TITLE, jv_new_string(a->layer_title)) < 0 ||
            jv_obj_set(m, "subject", descriptor_new(subject->media_type, subject->digest, subject->size)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (has_annotations) {
                if (jv_obj_set(m, "annotations", annotations = jv_new_object()) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                for (size_t i = 0; a->annotations[i]; i += 2)
                        if (jv_obj_set(annotations, a->annotations[i], jv_new_string(a->annotations[i + 1])) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
        }
        return jv_serialize(m, false, out, len, err);
}

/* index.json's entry for the artifact. */
static jv *artifact_entry(const osl_oci_artifact *a, const char *digest, size_t size)
{
        jv *e = descriptor_new(OSL_OCI_MEDIA_TYPE_MANIFEST, digest, size);
        if (!e || jv_obj_set(e, "artifactType", jv_new_string(a->artifact_type)) < 0) {
                jv_free(e);
                return NULL;
        }
        if (a->ref_name) {
                jv *annotations = jv_new_object();
                if (!annotations || jv_obj_set(e, "annotations", annotations) < 0 ||
                    jv_obj_set(annotations, OSL_OCI_ANNOTATION_REF_NAME, jv_new_string(a->ref_name)) < 0) {
                        jv_free(e);
                        return NULL;
                }
        }
        return e;
}

static bool digest_in(const osl_oci_descriptor *d, size_t n, const char *digest)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(d[i].digest, digest) == 0)
                        return true;
        return false;
}

void osl_oci_digest_of(const void *data, size_t len, char out[static OSL_OCI_DIGEST_SIZE])
{
        char hex[OSL_SHA256_HEX_SIZE];
        osl_sha256_hex(data, len, hex);
        snprintf(out, OSL_OCI_DIGEST_SIZE, SHA256_PREFIX "%s", hex);
}

int osl_oci_artifact_build(const osl_oci_artifact *a, const osl_oci_descriptor *subject, char **manifest,
                           size_t *len, char digest[static OSL_OCI_DIGEST_SIZE], osl_error *err)
{
        char config_digest[OSL_OCI_DIGEST_SIZE], layer_digest[OSL_OCI_DIGEST_SIZE];
        int r;

        osl_oci_digest_of(ARTIFACT_CONFIG, strlen(ARTIFACT_CONFIG), config_digest);
        osl_oci_digest_of(a->data, a->len, layer_digest);
        if ((r = artifact_manifest(a, config_digest, layer_digest, subject, manifest, len, err)) < 0)
                return r;
        osl_oci_digest_of(*manifest, *len, digest);
        return 0;
}

int osl_oci_attach(osl_oci_layout *l, const osl_oci_selector *sel, const osl_oci_artifact *a,
                   osl_oci_attach_result *res, osl_error *err)
{
        _cleanup_jv_ jv *index = NULL, *kept = NULL;
        _cleanup_free_ char *manifest = NULL, *what = NULL;
        osl_oci_descriptor subject = {}, *referrers = NULL;
        char written[OSL_OCI_DIGEST_SIZE];
        size_t n_referrers = 0, manifest_len, same = 0;
        int r;

        *res = (osl_oci_attach_result) {};
        if (a->ref_name && !osl_oci_ref_name_valid(a->ref_name))
                return osl_err(err, -EINVAL,
                               "\"%.100s\" cannot be a tag in an OCI image layout (letters and digits, joined by "
                               "one of -._:@+ or --, parts separated by /)",
                               a->ref_name);
        if ((r = index_what(l, &what, err)) < 0 || (r = lock_layout(l, err)) < 0)
                return r;
        /* Read under the lock, so that no writer of ours changes it between. */
        if ((r = osl_oci_read_index(l, &index, err)) < 0 || (r = osl_oci_select_image(l, index, sel, &subject, err)) < 0)
                goto out;
        snprintf(res->subject, sizeof(res->subject), "%s", subject.digest);

        /* The artifact in memory first: a refusal below writes nothing. */
        if ((r = osl_oci_artifact_build(a, &subject, &manifest, &manifest_len, res->artifact, err)) < 0)
                goto out;
        if ((r = osl_oci_find_referrers(l, index, subject.digest, a->artifact_type, &referrers, &n_referrers, err)) <
            0)
                goto out;

        /* Keep every entry but the earlier artifacts of this type for the
         * image, and check what the new tag would take over. */
        const jv *manifests = jv_obj_get(index, "manifests");
        if (!(kept = jv_new_array())) {
                r = osl_err(err, -ENOMEM, "out of memory");
                goto out;
        }
        for (size_t i = 0; i < jv_arr_len(manifests); i++) {
                osl_oci_descriptor d = {};
                const jv *entry = jv_arr_at(manifests, i);
                bool is_referrer;

                if ((r = osl_oci_descriptor_parse(entry, "manifests[]", &d, err)) < 0)
                        goto out;
                is_referrer = digest_in(referrers, n_referrers, d.digest);
                if (!is_referrer && a->ref_name && d.ref_name && strcmp(d.ref_name, a->ref_name) == 0) {
                        r = osl_err(err, -EEXIST, "%s: the tag \"%s\" already names %.19s, which is not a %s for this image",
                                    what, a->ref_name, d.digest, a->artifact_type);
                        osl_oci_descriptor_clear(&d);
                        goto out;
                }
                if (is_referrer && strcmp(d.digest, res->artifact) == 0 &&
                    (a->ref_name ? d.ref_name && strcmp(d.ref_name, a->ref_name) == 0 : !d.ref_name))
                        same++;
                osl_oci_descriptor_clear(&d);
                if (is_referrer)
                        continue;
                jv *copy = jv_dup(entry);
                if (!copy || jv_arr_append(kept, copy) < 0) {
                        r = osl_err(err, -ENOMEM, "out of memory");
                        goto out;
                }
        }

        /* Blobs first, index.json last. Blobs that are there and right are
         * left alone; missing or damaged ones are written again, also when
         * index.json needs no change. */
        if ((r = osl_oci_write_blob(l, ARTIFACT_CONFIG, strlen(ARTIFACT_CONFIG), written, err)) < 0 ||
            (r = osl_oci_write_blob(l, a->data, a->len, written, err)) < 0 ||
            (r = osl_oci_write_blob(l, manifest, manifest_len, written, err)) < 0)
                goto out;
        if (n_referrers == 1 && same == 1) {
                /* Attached before, exactly so: leave index.json alone. */
                res->unchanged = true;
                r = 0;
                goto out;
        }
        for (size_t i = 0; i < n_referrers; i++)
                if (strcmp(referrers[i].digest, res->artifact) != 0)
                        res->replaced++;

        jv *entry = artifact_entry(a, res->artifact, manifest_len);
        if (!entry || jv_arr_append(kept, entry) < 0 || jv_obj_set(index, "manifests", TAKE_PTR(kept)) < 0) {
                r = osl_err(err, -ENOMEM, "out of memory");
                goto out;
        }
        r = osl_oci_write_index(l, index, err);
out:
        descriptors_free(referrers, n_referrers);
        osl_oci_descriptor_clear(&subject);
        (void) flock(l->dir_fd, LOCK_UN);
        return r;
}

/* ---- fetch ---- */

void osl_oci_fetched_clear(osl_oci_fetched *f)
{
        if (!f)
                return;
        free(f->data);
        jv_free(f->annotations);
        *f = (osl_oci_fetched) {};
}

int osl_oci_artifact_parts(const jv *m, const char *digest, const char *artifact_type, osl_oci_descriptor *config,
                           osl_oci_descriptor *layer, osl_error *err)
{
        const char *declared = jv_str(jv_obj_get(m, "artifactType"));
        const jv *layers = jv_obj_get(m, "layers");
        char where[128];
        int r;

        *config = *layer = (osl_oci_descriptor) {};
        snprintf(where, sizeof(where), "manifest %.80s: config", digest);
        if ((r = osl_oci_descriptor_parse(jv_obj_get(m, "config"), where, config, err)) < 0)
                return r;
        /* Scanners go by either field; they must not disagree (as CRI-O
         * checks too). */
        if (declared && strcmp(config->media_type, OSL_OCI_MEDIA_TYPE_EMPTY) != 0 &&
            strcmp(declared, config->media_type) != 0) {
                r = osl_err(err, -EINVAL, "manifest %.80s: artifactType \"%.100s\" and config media type \"%.100s\" disagree",
                            digest, declared, config->media_type);
                goto fail;
        }
        if (!jv_is(layers, JV_ARRAY) || jv_arr_len(layers) != 1) {
                r = osl_err(err, -EINVAL, "manifest %.80s: a %s has exactly one layer, this one has %zu", digest,
                            artifact_type, jv_arr_len(layers));
                goto fail;
        }
        snprintf(where, sizeof(where), "manifest %.80s: layers[0]", digest);
        if ((r = osl_oci_descriptor_parse(jv_arr_at(layers, 0), where, layer, err)) < 0)
                goto fail;
        return 0;
fail:
        osl_oci_descriptor_clear(config);
        osl_oci_descriptor_clear(layer);
        return r;
}

/* Checks the artifact manifest m (entry d) and reads its one layer. */
static int read_artifact_layer(osl_oci_layout *l, const osl_oci_descriptor *d, const jv *m, const char *artifact_type,
                               size_t max, char **out, size_t *len, osl_error *err)
{
        osl_oci_descriptor config = {}, layer = {};
        _cleanup_free_ char *config_data = NULL;
        int r;

        if ((r = osl_oci_artifact_parts(m, d->digest, artifact_type, &config, &layer, err)) < 0)
                return r;
        if ((r = osl_oci_read_blob(l, config.digest, config.size, OSL_OCI_MAX_PROFILE, &config_data, NULL, err)) < 0 ||
            (r = osl_oci_read_blob(l, layer.digest, layer.size, max, out, len, err)) < 0)
                goto out;
        r = 0;
out:
        osl_oci_descriptor_clear(&config);
        osl_oci_descriptor_clear(&layer);
        return r;
}

int osl_oci_fetch(osl_oci_layout *l, const osl_oci_selector *sel, const char *artifact_type, size_t max,
                  osl_oci_fetched *out, osl_error *err)
{
        _cleanup_jv_ jv *index = NULL, *m = NULL;
        osl_oci_descriptor subject = {}, *referrers = NULL;
        osl_oci_fetched f = {};
        size_t n = 0;
        char listing[512];
        int r;

        if ((r = osl_oci_read_index(l, &index, err)) < 0 || (r = osl_oci_select_image(l, index, sel, &subject, err)) < 0 ||
            (r = osl_oci_find_referrers(l, index, subject.digest, artifact_type, &referrers, &n, err)) < 0)
                goto out;
        snprintf(f.subject, sizeof(f.subject), "%s", subject.digest);
        if (n == 0) {
                r = osl_err(err, -ENOENT, "%s: no %s is attached to %s", l->path, artifact_type, subject.digest);
                goto out;
        }
        if (n > 1) {
                describe_entries(referrers, n, listing, sizeof(listing));
                r = osl_err(err, -EINVAL, "%s: %zu artifacts of type %s are attached to %.19s (%s); expected one",
                            l->path, n, artifact_type, subject.digest, listing);
                goto out;
        }
        snprintf(f.artifact, sizeof(f.artifact), "%s", referrers[0].digest);
        if ((r = read_manifest(l, &referrers[0], &m, err)) < 0 ||
            (r = read_artifact_layer(l, &referrers[0], m, artifact_type, max, &f.data, &f.len, err)) < 0)
                goto out;
        const jv *annotations = jv_obj_get(m, "annotations");
        if (jv_is(annotations, JV_OBJECT) && !(f.annotations = jv_dup(annotations))) {
                r = osl_err(err, -ENOMEM, "out of memory");
                goto out;
        }
        *out = f;
        f = (osl_oci_fetched) {};
        r = 0;
out:
        osl_oci_fetched_clear(&f);
        descriptors_free(referrers, n);
        osl_oci_descriptor_clear(&subject);
        return r;
}
