/* SPDX-License-Identifier: Apache-2.0 */
/* Which image a container runs (annotations, podman's storage) and how its
 * repository name becomes one directory name. See doc/image-keys.md. */
#include "image.h"

#include <ctype.h>
#include <string.h>

/* Annotations are user input; no image reference needs more. */
#define IMAGE_VALUE_MAX 4096
/* docker/distribution's NameTotalLengthMax for domain + path. */
#define REPO_NAME_MAX 255
#define TAG_MAX 128
/* containers.json and images.json hold one entry per container/image. */
#define STORAGE_JSON_MAX (64u * 1024 * 1024)

#define CRIO_IMAGE_NAME "io.kubernetes.cri-o.ImageName"
#define CRIO_IMAGE_REF "io.kubernetes.cri-o.ImageRef"
#define CONTAINERD_IMAGE_NAME "io.kubernetes.cri.image-name"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DEFAULT_DOMAIN "index.docker.io"
#define OFFICIAL_REPO_PREFIX "library/"

void osl_image_clear(osl_image *img)
{
        free(img->key);
        free(img->name);
        free(img->tag);
        free(img->digest);
        memset(img, 0, sizeof(*img));
}

/* A value for a message: quoted, escaped, cut; hostile input stays inert. */

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex_lower(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* A path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*. This also keeps
 * ".", ".." and empty components out. */
static bool path_component_valid(const char *s, size_t len)
{
        size_t i = 0;
        if (len == 0 || !is_lower_alnum(s[0]))
                return false;
        while (i < len) {
                while (i < len && is_lower_alnum(s[i]))
                        i++;
                if (i == len)
                        return true;
                size_t sep = i;
                if (s[i] == '.')
                        i++;
                else if (s[i] == '_')
                        i += (i + 1 < len && s[i + 1] == '_') ? 2 : 1;
                else if (s[i] == '-')
                        while (i < len && s[i] == '-')
                                i++;
                else
                        return false;
                if (i == sep || i >= len || !is_lower_alnum(s[i]))
                        return false;
        }
        return true;
}

/* host[:port]: DNS labels separated by dots, or a bracketed IPv6 address. */
static bool domain_valid(const char *s, size_t len)
{
        size_t host_end = len;
        const char *colon = NULL;

        if (len > 0 && s[0] == '[') {
                const char *close = memchr(s, ']', len);
                if (!close || close == s + 1)
                        return false;
                for (const char *p = s + 1; p < close; p++)
                        if (!(isxdigit((unsigned char) *p) || *p == ':' || *p == '.'))
                                return false;
                host_end = (size_t) (close - s) + 1;
                if (host_end < len && s[host_end] != ':')
                        return false;
                colon = host_end < len ? s + host_end : NULL;
        } else {
                colon = memchr(s, ':', len);
                host_end = colon ? (size_t) (colon - s) : len;
                size_t label = 0;
                for (size_t i = 0; i < host_end; i++) {
                        char c = s[i];
                        if (c == '.') {
                                if (label == 0 || s[i - 1] == '-')
                                        return false;
                                label = 0;
                                continue;
                        }
                        if (!(isalnum((unsigned char) c) || (c == '-' && label > 0)))
                                return false;
                        label++;
                }
                if (label == 0 || s[host_end - 1] == '-')
                        return false;
        }
        if (colon) {
                size_t digits = len - (size_t) (colon - s) - 1;
                if (digits == 0 || digits > 5)
                        return false;
                for (const char *p = colon + 1; p < s + len; p++)
                        if (!isdigit((unsigned char) *p))
                                return false;
        }
        return true;
}

/* algorithm:encoded, e.g. sha256 and 64 lower-case hex digits. */
static bool digest_valid(const char *s)
{
        const char *colon = strchr(s, ':');
        if (!colon || colon == s)
                return false;
        for (const char *p = s; p < colon; p++) {
                bool sep = *p == '+' || *p == '.' || *p == '_' || *p == '-';
                if (!(is_lower_alnum(*p) || (sep && p > s && p + 1 < colon && is_lower_alnum(p[1]))))
                        return false;
        }
        const char *enc = colon + 1;
        size_t n = strlen(enc);
        size_t alg_len = (size_t) (colon - s);
        if (alg_len == 6 && memcmp(s, "sha256", 6) == 0)
                return n == 64 && is_hex_lower(enc, n);
        if (alg_len == 6 && memcmp(s, "sha512", 6) == 0)
                return n == 128 && is_hex_lower(enc, n);
        if (n < 32)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!(isalnum((unsigned char) enc[i]) || enc[i] == '=' || enc[i] == '_' || enc[i] == '-'))
                        return false;
        return true;
}

static bool tag_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > TAG_MAX || !(isalnum((unsigned char) s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!(isalnum((unsigned char) s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
                        return false;
        return true;
}

/* Annotation values and names from files: one clear line for anything a
 * reference can never be, before the grammar is even tried. */
static int check_value(const char *what, const char *v, osl_error *err)
{
        size_t len = strnlen(v, IMAGE_VALUE_MAX + 1);
        char q[128];

        if (len == 0)
                return osl_err(err, -EINVAL, "%s is empty", what);
        if (len > IMAGE_VALUE_MAX)
                return osl_err(err, -EINVAL, "%s is longer than %d bytes", what, IMAGE_VALUE_MAX);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) v[i];
                if (c < 0x20 || c == 0x7f)
                        return osl_err(err, -EINVAL, "%s %s holds a control character", what,
                                       osl_quote(v, q, sizeof(q)));
                if (c == ' ' || c >= 0x80)
                        return osl_err(err, -EINVAL, "%s %s holds a space or a non-ASCII byte", what,
                                       osl_quote(v, q, sizeof(q)));
        }
        return 0;
}

int osl_image_parse_ref(const char *ref, osl_image *out, osl_error *err)
{
        _cleanup_free_ char *rest = NULL, *tag = NULL, *digest = NULL, *key = NULL, *name = NULL;
        char q[128];
        int r;

        if (!ref)
                return osl_err(err, -EINVAL, "no image reference");
        r = check_value("image reference", ref, err);
        if (r < 0)
                return r;
#define BAD(why) osl_err(err, -EINVAL, "image reference %s is not valid: %s", osl_quote(ref, q, sizeof(q)), why)

        rest = strdup(ref);
        name = strdup(ref);
        if (!rest || !name)
                return osl_err(err, -ENOMEM, "out of memory");

        char *at = strchr(rest, '@');
        if (at) {
                *at = '\0';
                if (!digest_valid(at + 1))
                        return BAD("the digest is not ALGORITHM:HEX such as sha256:<64 hex digits>");
                if (!(digest = strdup(at + 1)))
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        char *last_slash = strrchr(rest, '/');
        char *colon = strrchr(last_slash ? last_slash : rest, ':');
        if (colon) {
                *colon = '\0';
                if (!tag_valid(colon + 1))
                        return BAD("the tag must be 1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'");
                if (!(tag = strdup(colon + 1)))
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if (!*rest)
                return BAD("the repository name is empty");

        /* Docker's rule: the first component is a registry when it has a '.'
         * or ':', is "localhost", or has upper case; otherwise Docker Hub. */
        const char *path = rest, *domain = DEFAULT_DOMAIN;
        size_t domain_len = strlen(DEFAULT_DOMAIN);
        char *slash = strchr(rest, '/');
        if (slash) {
                size_t n = (size_t) (slash - rest);
                bool upper = false;
                for (size_t i = 0; i < n; i++)
                        upper |= isupper((unsigned char) rest[i]) != 0;
                if (memchr(rest, '.', n) || memchr(rest, ':', n) || (n == 9 && memcmp(rest, "localhost", 9) == 0) ||
                    upper) {
                        if (!domain_valid(rest, n))
                                return BAD("the registry is not HOST[:PORT]");
                        domain = rest;
                        domain_len = n;
                        path = slash + 1;
                }
        }
        if (domain_len == strlen(LEGACY_DEFAULT_DOMAIN) && memcmp(domain, LEGACY_DEFAULT_DOMAIN, domain_len) == 0) {
                domain = DEFAULT_DOMAIN;
                domain_len = strlen(DEFAULT_DOMAIN);
        }

        size_t components = 0;
        for (const char *p = path;;) {
                const char *end = strchr(p, '/');
                size_t n = end ? (size_t) (end - p) : strlen(p);
                if (!path_component_valid(p, n))
                        return BAD("each path component must be lower-case [a-z0-9] joined by '.', '_', '__' or '-'");
                components++;
                if (!end)
                        break;
                p = end + 1;
        }
        if (path == rest && strlen(path) == 64 && is_hex_lower(path, 64))
                return BAD("a 64-digit hex name is an image ID, not a repository");

        bool official = domain_len == strlen(DEFAULT_DOMAIN) && memcmp(domain, DEFAULT_DOMAIN, domain_len) == 0 &&
                        components == 1;
        if (osl_asprintf(&key, "%.*s/%s%s", (int) domain_len, domain, official ? OFFICIAL_REPO_PREFIX : "", path) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (strlen(key) > REPO_NAME_MAX)
                return BAD("the repository name is longer than 255 bytes");
#undef BAD

        osl_image_clear(out);
        out->key = TAKE_PTR(key);
        out->name = TAKE_PTR(name);
        out->tag = TAKE_PTR(tag);
        out->digest = TAKE_PTR(digest);
        return 0;
}

/* ---- resolution ---- */

/* CRI-O's ImageRef is the image ID: 64 hex digits, maybe "sha256:" in
 * front; older releases may put a digested reference there. */
static int digest_from_image_ref(const char *v, char **digest, osl_error *err)
{
        const char *what = "annotation " CRIO_IMAGE_REF;
        char q[128];
        int r = check_value(what, v, err);
        if (r < 0)
                return r;
        if (strlen(v) == 64 && is_hex_lower(v, 64))
                return osl_asprintf(digest, "sha256:%s", v) < 0 ? osl_err(err, -ENOMEM, "out of memory") : 0;
        if (!strchr(v, '@') && digest_valid(v))
                return (*digest = strdup(v)) ? 0 : osl_err(err, -ENOMEM, "out of memory");
        if (strchr(v, '@')) {
                osl_image ref = { 0 };
                r = osl_image_parse_ref(v, &ref, err);
                if (r < 0)
                        return osl_err_prefix(err, "%s", what);
                *digest = TAKE_PTR(ref.digest);
                osl_image_clear(&ref);
                return 0;
        }
        return osl_err(err, -EINVAL, "%s %s is neither an image ID nor a reference with a digest", what,
                       osl_quote(v, q, sizeof(q)));
}

/* The string under key, NULL when absent; non-strings are an error. */
static int annotation(const jv *annotations, const char *key, const char **out, osl_error *err)
{
        const jv *v = jv_obj_get(annotations, key);
        *out = NULL;
        if (!v)
                return 0;
        if (!jv_str(v))
                return osl_err(err, -EINVAL, "annotation %s: expected a string, got %s", key,
                               jv_is(v, JV_STRING) ? "a string with a NUL byte" : jv_type_name(v->type));
        *out = jv_str(v);
        return 0;
}

static int from_annotation(const char *key, const char *value, const char *source, osl_image *out,
                           osl_error *err)
{
        char what[128];
        snprintf(what, sizeof(what), "annotation %s", key);
        int r = check_value(what, value, err);
        if (r < 0)
                return r;
        r = osl_image_parse_ref(value, out, err);
        if (r < 0)
                return osl_err_prefix(err, "%s", what);
        out->source = source;
        return 0;
}

/* podman: the bundle is GRAPHROOT/<driver>-containers/<ID>/userdata. On
 * success sets the paths of containers.json and images.json and the ID. */
static bool podman_layout(const char *bundle, char **containers_json, char **images_json, char **id)
{
        _cleanup_free_ char *b = strdup(bundle);
        if (!b)
                return false;
        size_t n = strlen(b);
        while (n > 1 && b[n - 1] == '/')
                b[--n] = '\0';
        const char *suffix = "/userdata";
        if (n < strlen(suffix) || strcmp(b + n - strlen(suffix), suffix) != 0)
                return false;
        b[n - strlen(suffix)] = '\0';
        char *id_start = strrchr(b, '/');
        if (!id_start || strlen(id_start + 1) != 64 || !is_hex_lower(id_start + 1, 64))
                return false;
        *id_start = '\0';
        char *dir_start = strrchr(b, '/');
        const char *dsuffix = "-containers";
        if (!dir_start)
                return false;
        size_t dn = strlen(dir_start + 1);
        if (dn <= strlen(dsuffix) || strcmp(dir_start + 1 + dn - strlen(dsuffix), dsuffix) != 0)
                return false;
        /* GRAPHROOT, the driver name, and the two files beside each other. */
        *dir_start = '\0';
        const char *driver = dir_start + 1;
        int driver_len = (int) (dn - strlen(dsuffix));
        if (osl_asprintf(containers_json, "%s/%.*s-containers/containers.json", b, driver_len, driver) < 0)
                return false;
        if (osl_asprintf(images_json, "%s/%.*s-images/images.json", b, driver_len, driver) < 0 ||
            !(*id = strdup(id_start + 1))) {
                free(*containers_json);
                *containers_json = NULL;
                free(*images_json);
                *images_json = NULL;
                return false;
        }
        return true;
}

/* The entry of a containers/storage list (containers.json, images.json)
 * whose field ("id", "layer") is value. NULL with *r = 0 when there is none. */
static const jv *storage_find(const jv *list, const char *path, const char *field, const char *value, int *r,
                              osl_error *err)
{
        *r = 0;
        if (!jv_is(list, JV_ARRAY)) {
                *r = osl_err(err, -EINVAL, "%s: expected an array, got a JSON %s", path,
                             jv_type_name(list->type));
                return NULL;
        }
        for (size_t i = 0; i < jv_arr_len(list); i++) {
                const jv *e = jv_arr_at(list, i);
                if (!jv_is(e, JV_OBJECT)) {
                        *r = osl_err(err, -EINVAL, "%s: [%zu]: expected an object", path, i);
                        return NULL;
                }
                const char *v = jv_str(jv_obj_get(e, field));
                if (!v) {
                        *r = osl_err(err, -EINVAL, "%s: [%zu].%s: expected a string", path, i, field);
                        return NULL;
                }
                if (strcmp(v, value) == 0)
                        return e;
        }
        return NULL;
}

#define NOT_FOUND_HINT "set the annotation " OSL_ANNOTATION_IMAGE "=NAME"

/* podman records the name it created a container from in the entry's
 * "metadata", a JSON document in a string. NULL when absent or not a valid
 * reference: the caller falls back to the image's names. */
static char *created_from_name(const jv *container)
{
        _cleanup_jv_ jv *meta = NULL;
        osl_error ignored = {};
        osl_image ref = {};
        const char *text = jv_str(jv_obj_get(container, "metadata"));

        if (!text || jv_parse(text, strlen(text), "metadata", &meta, &ignored) < 0)
                return NULL;
        const char *name = jv_str(jv_obj_get(meta, "image-name"));
        if (!name || osl_image_parse_ref(name, &ref, &ignored) < 0)
                return NULL;
        osl_image_clear(&ref);
        return strdup(name);
}

/* The image of a containers.json entry (who says which, for messages). Its
 * name is the one podman created the container from, so a container of an
 * image with several names is keyed by the name that was asked for; else the
 * image's first name in images.json. The digest comes from images.json. */
static int image_of_container(const jv *c, const char *who, const char *containers_json, const char *images_json,
                              osl_image *out, osl_error *err)
{
        _cleanup_free_ char *created_from = NULL;
        _cleanup_jv_ jv *images = NULL;
        const jv *img = NULL;
        char q[128];
        int r;

        const jv *image_v = jv_obj_get(c, "image");
        const char *image_id = jv_str(image_v);
        if (image_v && !image_id)
                return osl_err(err, -EINVAL, "%s: %s: \"image\": expected a string", containers_json, who);
        if (!image_id || !*image_id)
                return osl_err(err, -ENOENT,
                               "cannot tell which image this container runs: %s has no image in %s "
                               "(started from a root file system?); %s",
                               who, containers_json, NOT_FOUND_HINT);
        created_from = created_from_name(c);

        /* An image from an additional (read-only) image store is not in
         * images.json: the name podman recorded is enough then. */
        r = jv_parse_file(images_json, STORAGE_JSON_MAX, &images, err);
        if (r == -ENOENT && !created_from)
                return osl_err(err, -ENOENT, "cannot tell which image this container runs: %s does not exist; %s",
                               images_json, NOT_FOUND_HINT);
        if (r < 0 && r != -ENOENT)
                return r;
        if (images) {
                img = storage_find(images, images_json, "id", image_id, &r, err);
                if (r < 0)
                        return r;
        }
        if (!img && !created_from)
                return osl_err(err, -ENOENT, "cannot tell which image this container runs: image %s is not in %s; %s",
                               osl_quote(image_id, q, sizeof(q)), images_json, NOT_FOUND_HINT);

        const char *name = created_from;
        if (!name) {
                const jv *names = jv_obj_get(img, "names");
                if (names && !jv_is(names, JV_ARRAY) && !jv_is(names, JV_NULL))
                        return osl_err(err, -EINVAL, "%s: image %s: \"names\": expected an array", images_json,
                                       osl_quote(image_id, q, sizeof(q)));
                if (jv_arr_len(names) == 0)
                        return osl_err(err, -ENOENT,
                                       "cannot tell which image this container runs: image %s has no name in %s; %s",
                                       osl_quote(image_id, q, sizeof(q)), images_json, NOT_FOUND_HINT);
                name = jv_str(jv_arr_at(names, 0));
                if (!name)
                        return osl_err(err, -EINVAL, "%s: image %s: names[0]: expected a string", images_json,
                                       osl_quote(image_id, q, sizeof(q)));
        }
        r = osl_image_parse_ref(name, out, err);
        if (r < 0)
                return osl_err_prefix(err, "%s: image %s", images_json, osl_quote(image_id, q, sizeof(q)));

        const jv *digest_v = jv_obj_get(img, "digest");
        const char *digest = jv_str(digest_v);
        if (digest_v && !jv_is(digest_v, JV_NULL) && !(digest && (!*digest || digest_valid(digest)))) {
                osl_image_clear(out);
                return osl_err(err, -EINVAL, "%s: image %s: \"digest\" is not a digest", images_json,
                               osl_quote(image_id, q, sizeof(q)));
        }
        if (digest && *digest && !out->digest && !(out->digest = strdup(digest))) {
                osl_image_clear(out);
                return osl_err(err, -ENOMEM, "out of memory");
        }
        return 0;
}

/* 0: found; 1: not a podman bundle; < 0: error, -ENOENT saying what is missing. */
static int from_podman_storage(const char *bundle, osl_image *out, osl_error *err)
{
        _cleanup_free_ char *containers_json = NULL, *images_json = NULL, *id = NULL;
        _cleanup_jv_ jv *containers = NULL;
        char who[128];
        int r;

        if (!podman_layout(bundle, &containers_json, &images_json, &id))
                return 1;

        r = jv_parse_file(containers_json, STORAGE_JSON_MAX, &containers, err);
        if (r == -ENOENT)
                return osl_err(err, -ENOENT, "cannot tell which image this container runs: %s does not exist; %s",
                               containers_json, NOT_FOUND_HINT);
        if (r < 0)
                return r;
        const jv *c = storage_find(containers, containers_json, "id", id, &r, err);
        if (r < 0)
                return r;
        if (!c)
                return osl_err(err, -ENOENT,
                               "cannot tell which image this container runs: container %s is not in %s; %s", id,
                               containers_json, NOT_FOUND_HINT);
        snprintf(who, sizeof(who), "container %s", id);
        r = image_of_container(c, who, containers_json, images_json, out, err);
        if (r < 0)
                return r;
        out->source = "podman storage";
        return 0;
}

/* Where a graph driver mounts a container's layer: root.path is
 * GRAPHROOT/DRIVER/DIR/LAYER/MOUNT (the drivers' Get()), LAYER 64 hex
 * digits. containers/storage (podman) and Docker share the layouts; overlay2
 * is Docker's alone. zfs is missing on purpose: its mount point holds only
 * the first 12 digits of the layer. */
static const struct storage_layout {
        const char *driver;
        const char *dir;   /* between GRAPHROOT/DRIVER and the layer ID */
        const char *mount; /* after the layer ID */
        bool podman;       /* containers/storage has this driver */
} storage_layouts[] = {
        { "overlay", "", "/merged", true },
        { "overlay2", "", "/merged", false },
        { "vfs", "/dir", "", true },
        { "btrfs", "/subvolumes", "", true },
        { "aufs", "/mnt", "", true },
        { "devicemapper", "/mnt", "/rootfs", true },
};

/* An absolute path without ".", ".." or empty components: it names exactly
 * the place it spells. */
static bool path_is_plain(const char *p)
{
        if (p[0] != '/')
                return false;
        for (const char *c = p + 1;;) {
                const char *end = strchrnul(c, '/');
                size_t n = (size_t) (end - c);
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
                if (!*end)
                        return true;
                c = end + 1;
        }
}

/* 1 with the layout, GRAPHROOT and the layer ID when root_path is a layer
 * mounted by a graph driver; 0 when it is not; -ENOMEM. */
static int layer_mount_split(const char *root_path, const struct storage_layout **layout, char **graph, char **layer)
{
        _cleanup_free_ char *p = strdup(root_path);
        if (!p)
                return -ENOMEM;
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                p[--n] = '\0';
        if (!path_is_plain(p))
                return 0;

        for (size_t i = 0; i < ELEMENTSOF(storage_layouts); i++) {
                const struct storage_layout *l = &storage_layouts[i];
                size_t mount_len = strlen(l->mount);
                if (n < mount_len + 65 || strcmp(p + n - mount_len, l->mount) != 0)
                        continue;
                size_t layer_start = n - mount_len - 64;
                if (p[layer_start - 1] != '/' || !is_hex_lower(p + layer_start, 64))
                        continue;
                /* p[0, parent) is GRAPHROOT/DRIVER/DIR */
                size_t parent = layer_start - 1;
                size_t driver_len = strlen(l->driver), dir_len = strlen(l->dir);
                if (parent < 1 + driver_len + dir_len)
                        continue;
                size_t driver_at = parent - dir_len - driver_len;
                if (memcmp(p + parent - dir_len, l->dir, dir_len) != 0 || p[driver_at - 1] != '/' ||
                    memcmp(p + driver_at, l->driver, driver_len) != 0)
                        continue;
                *graph = strndup(p, driver_at - 1);
                *layer = strndup(p + layer_start, 64);
                if (!*graph || !*layer) {
                        free(*graph);
                        *graph = NULL;
                        free(*layer);
                        *layer = NULL;
                        return -ENOMEM;
                }
                *layout = l;
                return 1;
        }
        return 0;
}

/* 1 and the paths of containers.json and images.json and the layer ID when
 * root_path is a layer mounted by containers/storage; 0 when it is not. */
static int storage_layer_mount(const char *root_path, char **containers_json, char **images_json, char **layer)
{
        _cleanup_free_ char *graph = NULL, *l = NULL;
        const struct storage_layout *layout = NULL;
        int r = layer_mount_split(root_path, &layout, &graph, &l);
        if (r <= 0)
                return r;
        if (!layout->podman)
                return 0;
        if (osl_asprintf(containers_json, "%s/%s-containers/containers.json", graph, layout->driver) < 0)
                return -ENOMEM;
        if (osl_asprintf(images_json, "%s/%s-images/images.json", graph, layout->driver) < 0) {
                free(*containers_json);
                *containers_json = NULL;
                return -ENOMEM;
        }
        *layer = TAKE_PTR(l);
        return 1;
}

/* 0: found; 1: root_path is not a containers/storage layer; < 0: error,
 * -ENOENT saying what is missing. */
static int from_storage_layer(const char *root_path, osl_image *out, osl_error *err)
{
        _cleanup_free_ char *containers_json = NULL, *images_json = NULL, *layer = NULL;
        _cleanup_jv_ jv *containers = NULL;
        char who[128], q[128];
        int r;

        r = storage_layer_mount(root_path, &containers_json, &images_json, &layer);
        if (r < 0)
                return osl_err(err, r, "out of memory");
        if (r == 0)
                return 1;

        r = jv_parse_file(containers_json, STORAGE_JSON_MAX, &containers, err);
        if (r == -ENOENT)
                return osl_err(err, -ENOENT,
                               "cannot tell which image this container runs: root.path %s is a container layer, "
                               "but %s does not exist; %s",
                               osl_quote(root_path, q, sizeof(q)), containers_json, NOT_FOUND_HINT);
        if (r < 0)
                return r;
        const jv *c = storage_find(containers, containers_json, "layer", layer, &r, err);
        if (r < 0)
                return r;
        if (!c)
                return osl_err(err, -ENOENT,
                               "cannot tell which image this container runs: no container in %s has the layer %s "
                               "of root.path; %s",
                               containers_json, layer, NOT_FOUND_HINT);
        const char *id = jv_str(jv_obj_get(c, "id"));
        if (id)
                snprintf(who, sizeof(who), "container %.64s", id);
        else
                snprintf(who, sizeof(who), "the container of layer %s", layer);
        r = image_of_container(c, who, containers_json, images_json, out, err);
        if (r < 0)
                return r;
        out->source = "podman storage (root.path)";
        return 0;
}

/* Docker's repositories.json: {"Repositories": {REPO: {REF: IMAGE_ID}}}.
 * Sets *name to the first reference without a digest that names image_id
 * when want_name, and *digest to the digest of a REPO@DIGEST reference of
 * image_id whose key is key (any key when key is NULL). */
static int docker_repositories(const char *path, const char *image_id, bool want_name, const char *key, char **name,
                               char **digest, osl_error *err)
{
        _cleanup_jv_ jv *doc = NULL;
        int r = jv_parse_file(path, STORAGE_JSON_MAX, &doc, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        const jv *repos = jv_obj_get(doc, "Repositories");
        if (!jv_is(repos, JV_OBJECT))
                return osl_err(err, -EINVAL, "%s: \"Repositories\": expected an object", path);
        for (size_t i = 0; i < repos->u.object.len; i++) {
                const jv *refs = repos->u.object.values[i];
                for (size_t j = 0; jv_is(refs, JV_OBJECT) && j < refs->u.object.len; j++) {
                        const char *ref = refs->u.object.keys[j], *id = jv_str(refs->u.object.values[j]);
                        osl_image parsed = {};
                        osl_error ignored = {};
                        if (!id || strcmp(id, image_id) != 0 || osl_image_parse_ref(ref, &parsed, &ignored) < 0)
                                continue;
                        bool digested = strchr(ref, '@') != NULL;
                        if (want_name && !digested && !*name)
                                *name = strdup(ref);
                        if (digested && !*digest && (!key || strcmp(key, parsed.key) == 0))
                                *digest = TAKE_PTR(parsed.digest);
                        osl_image_clear(&parsed);
                }
        }
        return 0;
}

/* Docker: dockerd's containerd runs the container from the bundle
 * EXECROOT/containerd/daemon/io.containerd.runtime.v2.task/moby/ID, and
 * root.path is the layer its graph driver mounted under DATAROOT (overlay2:
 * DATAROOT/overlay2/MOUNT/merged). DATAROOT/image/DRIVER/layerdb/mounts/ID/
 * mount-id names that layer (so root.path is this container's), and
 * DATAROOT/containers/ID/config.v2.json holds the name the container was
 * created from ("Config"."Image") and the image ID ("Image"). A container
 * run by image ID gets the image's first name in repositories.json, which
 * also gives the digest of a pulled image. 0: found; 1: not a Docker
 * container; < 0: error. */
static int from_docker_storage(const char *bundle, const char *root_path, osl_image *out, osl_error *err)
{
        _cleanup_free_ char *graph = NULL, *layer = NULL, *mount_id_path = NULL, *mount_id = NULL,
                            *config_path = NULL, *repositories = NULL, *name = NULL, *digest = NULL;
        _cleanup_jv_ jv *config = NULL;
        const struct storage_layout *layout = NULL;
        char q[128];
        size_t len;
        int r;

        const char *id = strrchr(bundle, '/');
        id = id ? id + 1 : bundle;
        if (strlen(id) != 64 || !is_hex_lower(id, 64))
                return 1;
        r = layer_mount_split(root_path, &layout, &graph, &layer);
        if (r < 0)
                return osl_err(err, r, "out of memory");
        if (r == 0)
                return 1;
        if (osl_asprintf(&mount_id_path, "%s/image/%s/layerdb/mounts/%s/mount-id", graph, layout->driver, id) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        r = osl_read_regular_file(mount_id_path, 4096, &mount_id, &len, err);
        if (r == -ENOENT || r == -ENOTDIR)
                return 1;
        if (r < 0)
                return r;
        while (len > 0 && (mount_id[len - 1] == '\n' || mount_id[len - 1] == ' '))
                mount_id[--len] = '\0';
        if (strcmp(mount_id, layer) != 0)
                return osl_err(err, -EINVAL, "root.path %s is not the layer of Docker container %s (%s names another)",
                               osl_quote(root_path, q, sizeof(q)), id, mount_id_path);

        if (osl_asprintf(&config_path, "%s/containers/%s/config.v2.json", graph, id) < 0 ||
            osl_asprintf(&repositories, "%s/image/%s/repositories.json", graph, layout->driver) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        r = jv_parse_file(config_path, STORAGE_JSON_MAX, &config, err);
        if (r < 0)
                return r;
        const char *image_id = jv_str(jv_obj_get(config, "Image"));
        const char *created_from = jv_str(jv_get_path(config, "Config", "Image", NULL));
        if (!image_id || strncmp(image_id, "sha256:", 7) != 0 || !digest_valid(image_id) || !created_from)
                return osl_err(err, -EINVAL, "%s: expected the strings \"Image\" (an image ID) and \"Config\".\"Image\"",
                               config_path);
        /* Run by image ID (or a prefix of it): no name was given. */
        const char *hex = image_id + 7, *given = created_from;
        if (strncmp(given, "sha256:", 7) == 0)
                given += 7;
        bool by_id = *given && strlen(given) <= 64 && strncmp(hex, given, strlen(given)) == 0;
        r = docker_repositories(repositories, image_id, by_id, NULL, &name, &digest, err);
        if (r < 0)
                return r;
        if (by_id && !name)
                return osl_err(err, -ENOENT,
                               "cannot tell which image this container runs: Docker container %s was created from "
                               "image ID %s, which has no name in %s; %s",
                               id, osl_quote(created_from, q, sizeof(q)), repositories, NOT_FOUND_HINT);
        r = osl_image_parse_ref(by_id ? name : created_from, out, err);
        if (r < 0)
                return osl_err_prefix(err, "%s", config_path);
        /* The digest of a pulled image: a REPO@DIGEST reference of this image
         * in the same repository. */
        free(digest);
        digest = NULL;
        r = docker_repositories(repositories, image_id, false, out->key, &name, &digest, err);
        if (r < 0) {
                osl_image_clear(out);
                return r;
        }
        if (!out->digest)
                out->digest = TAKE_PTR(digest);
        out->source = "Docker's data root";
        return 0;
}

/* The names the engine itself gives: CRI-O's, containerd CRI's, podman's
 * storage (from the bundle), Docker's data root (bundle and root.path),
 * podman's storage from root.path. 1 when none names it. */
static int from_engine(const jv *annotations, const char *bundle, const char *root_path, osl_image *out,
                       osl_error *err)
{
        const char *v = NULL;
        int r;

        /* CRI-O leaves ImageName empty for an image that has no name. */
        r = annotation(annotations, CRIO_IMAGE_NAME, &v, err);
        if (r < 0)
                return r;
        if (v && *v) {
                const char *ref = NULL;
                r = from_annotation(CRIO_IMAGE_NAME, v, "annotation " CRIO_IMAGE_NAME, out, err);
                if (r < 0)
                        return r;
                r = annotation(annotations, CRIO_IMAGE_REF, &ref, err);
                if (r >= 0 && ref && !out->digest)
                        r = digest_from_image_ref(ref, &out->digest, err);
                if (r < 0) {
                        osl_image_clear(out);
                        return r;
                }
                return 0;
        }

        r = annotation(annotations, CONTAINERD_IMAGE_NAME, &v, err);
        if (r < 0)
                return r;
        if (v && *v)
                return from_annotation(CONTAINERD_IMAGE_NAME, v, "annotation " CONTAINERD_IMAGE_NAME, out, err);

        if (bundle) {
                r = from_podman_storage(bundle, out, err);
                if (r <= 0) /* found, or a podman bundle that says why not */
                        return r;
        }
        if (bundle && root_path) {
                r = from_docker_storage(bundle, root_path, out, err);
                if (r <= 0)
                        return r;
        }
        /* podman's precreate hook gets the config and no bundle; root.path is
         * the container's layer, which containers.json maps to the image. */
        if (root_path)
                return from_storage_layer(root_path, out, err);
        return 1;
}

static int resolve(const jv *annotations, const char *bundle, const char *root_path, bool trust_annotation,
                   osl_image *out, osl_error *err)
{
        _cleanup_(osl_image_clear) osl_image claimed = {};
        const char *ours = NULL;
        int r;

        if (annotations && !jv_is(annotations, JV_OBJECT) && !jv_is(annotations, JV_NULL))
                return osl_err(err, -EINVAL, "annotations: expected an object, got a JSON %s",
                               jv_type_name(annotations->type));
        /* A bad value is an error, not a reason to look further: someone
         * meant to set it. */
        r = annotation(annotations, OSL_ANNOTATION_IMAGE, &ours, err);
        if (r >= 0 && ours)
                r = from_annotation(OSL_ANNOTATION_IMAGE, ours, "annotation " OSL_ANNOTATION_IMAGE, &claimed, err);
        if (r < 0)
                return r;
        if (ours && trust_annotation) {
                *out = claimed;
                claimed = (osl_image){};
                return 0;
        }

        /* Whoever may set annotations (a pod's author) must not write into
         * another image's profile: the engine's name wins (doc/security.md). */
        r = from_engine(annotations, bundle, root_path, out, err);
        if (r == 0 && ours)
                out->annotation_ignored = strcmp(claimed.key, out->key) != 0;
        if (r <= 0)
                return r;
        if (!ours)
                return osl_err(err, -ENOENT, "cannot tell which image this container runs: %s", NOT_FOUND_HINT);
        *out = claimed;
        claimed = (osl_image){};
        return 0;
}

int osl_image_resolve(const jv *annotations, const char *bundle, osl_image *out, osl_error *err)
{
        return resolve(annotations, bundle, NULL, false, out, err);
}

int osl_image_resolve_config(const jv *cfg, const char *bundle, bool trust_annotation, osl_image *out,
                             osl_error *err)
{
        if (cfg && !jv_is(cfg, JV_OBJECT))
                return osl_err(err, -EINVAL, "the config: expected an object, got a JSON %s", jv_type_name(cfg->type));
        return resolve(jv_obj_get(cfg, "annotations"), bundle, jv_str(jv_get_path(cfg, "root", "path", NULL)),
                       trust_annotation, out, err);
}

/* ---- keys as path components ---- */

static bool key_byte_plain(unsigned char c)
{
        return isalnum(c) || c == '.' || c == '_' || c == '-';
}

int osl_key_encode(const char *key, char **component, osl_error *err)
{
        static const char hex[] = "0123456789ABCDEF";
        char q[128];

        if (!key || !*key)
                return osl_err(err, -EINVAL, "the image key is empty");
        size_t len = strnlen(key, OSL_KEY_COMPONENT_MAX + 1);
        if (len > OSL_KEY_COMPONENT_MAX)
                return osl_err(err, -ENAMETOOLONG, "the image key %s is longer than %d bytes", osl_quote(key, q, sizeof(q)),
                               OSL_KEY_COMPONENT_MAX);

        char buf[OSL_KEY_COMPONENT_MAX + 1];
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) key[i];
                /* A leading '.' is escaped too: no ".", "..", or hidden file. */
                bool plain = key_byte_plain(c) && !(i == 0 && c == '.');
                size_t need = plain ? 1 : 3;
                if (o + need > OSL_KEY_COMPONENT_MAX)
                        return osl_err(err, -ENAMETOOLONG,
                                       "the image key %s is too long: encoded it would exceed %d bytes",
                                       osl_quote(key, q, sizeof(q)), OSL_KEY_COMPONENT_MAX);
                if (plain) {
                        buf[o++] = (char) c;
                } else {
                        buf[o++] = '%';
                        buf[o++] = hex[c >> 4];
                        buf[o++] = hex[c & 0xf];
                }
        }
        buf[o] = '\0';
        *component = strdup(buf);
        return *component ? 0 : osl_err(err, -ENOMEM, "out of memory");
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1; /* lower case is not what encode writes */
}

int osl_key_decode(const char *component, char **key, osl_error *err)
{
        char q[128];
        size_t len = component ? strnlen(component, OSL_KEY_COMPONENT_MAX + 1) : 0;

        if (len == 0 || len > OSL_KEY_COMPONENT_MAX)
                return osl_err(err, -EINVAL, "%s is not an encoded image key: %s",
                               component ? osl_quote(component, q, sizeof(q)) : "(null)",
                               len == 0 ? "empty" : "too long");

        _cleanup_free_ char *out = malloc(len + 1);
        if (!out)
                return osl_err(err, -ENOMEM, "out of memory");
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) component[i];
                if (c != '%') {
                        /* Only what encode writes: decode(c) then encode gives c back. */
                        if (!key_byte_plain(c) || (i == 0 && c == '.'))
                                return osl_err(err, -EINVAL, "%s is not an encoded image key: byte %zu",
                                               osl_quote(component, q, sizeof(q)), i);
                        out[o++] = (char) c;
                        continue;
                }
                int hi = i + 2 < len ? hex_value(component[i + 1]) : -1;
                int lo = i + 2 < len ? hex_value(component[i + 2]) : -1;
                if (hi < 0 || lo < 0)
                        return osl_err(err, -EINVAL, "%s is not an encoded image key: bad escape at byte %zu",
                                       osl_quote(component, q, sizeof(q)), i);
                unsigned char b = (unsigned char) (hi << 4 | lo);
                if (b == 0 || (key_byte_plain(b) && !(o == 0 && b == '.')))
                        return osl_err(err, -EINVAL, "%s is not an encoded image key: needless escape at byte %zu",
                                       osl_quote(component, q, sizeof(q)), i);
                out[o++] = (char) b;
                i += 2;
        }
        out[o] = '\0';
        *key = TAKE_PTR(out);
        return 0;
}
