/* SPDX-License-Identifier: Apache-2.0 */
/* A prediction stored beside the profile (predict.h): predicted.json and
 * the C library cache's place. Apart from predict.c, which reads ELF files
 * with libelf and capstone, because inject reads a stored prediction on the
 * container's start path (doc/performance.md, "Start latency"). */
#include "predict.h"

#include <string.h>
#include <sys/stat.h>

#include "image.h"

int osl_predict_cache_dir(osl_store *s, char **out, osl_error *err)
{
        if (osl_asprintf(out, "%s/cache/libc", osl_store_root(s)) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

/* ROOT/images/<encoded key>, refusing symlinks on the way (the store
 * never follows one below its root). */
static int image_dir(osl_store *s, const char *key, bool create, char **out, osl_error *err)
{
        _cleanup_free_ char *enc = NULL, *images = NULL, *dir = NULL;
        struct stat st;
        int r;

        if ((r = osl_key_encode(key, &enc, err)) < 0)
                return osl_err_prefix(err, "image %s", key);
        if (osl_asprintf(&images, "%s/images", osl_store_root(s)) < 0 ||
            osl_asprintf(&dir, "%s/%s", images, enc) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (create && (r = osl_mkdir_p(dir, 0755, err)) < 0)
                return r;
        const char *checked[] = { images, dir };
        for (size_t i = 0; i < ELEMENTSOF(checked); i++) {
                if (lstat(checked[i], &st) < 0)
                        return osl_err(err, -errno, errno == ENOENT ? "no prediction is stored for %s in %s"
                                                                     : "cannot read the store for %s in %s: %m",
                                       key, osl_store_root(s));
                if (!S_ISDIR(st.st_mode))
                        return osl_err(err, -ELOOP, "%s is not a directory (a symlink?); refusing it", checked[i]);
        }
        *out = TAKE_PTR(dir);
        return 0;
}

int osl_predicted_save(osl_store *s, const char *image_key, const jv *doc, osl_error *err)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        int r;

        if ((r = image_dir(s, image_key, true, &dir, err)) < 0)
                return r;
        if (osl_asprintf(&path, "%s/" OSL_PREDICTED_FILE, dir) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return jv_write_file_atomic(doc, path, 0644, err);
}

static bool check_doc(const jv *doc, const char *key, const char **what)
{
        int64_t v = 0;
        const jv *bins = jv_obj_get(doc, "binaries");
        *what = "schemaVersion";
        if (!jv_get_int64(jv_obj_get(doc, "schemaVersion"), &v) || v != OSL_PREDICTED_SCHEMA_VERSION)
                return false;
        *what = "image";
        if (!jv_str(jv_obj_get(doc, "image")) || strcmp(jv_str(jv_obj_get(doc, "image")), key) != 0)
                return false;
        *what = "arch";
        if (!jv_str(jv_obj_get(doc, "arch")))
                return false;
        *what = "created";
        if (!jv_str(jv_obj_get(doc, "created")))
                return false;
        *what = "libcs";
        const jv *libcs = jv_obj_get(doc, "libcs");
        if (!jv_is(libcs, JV_ARRAY))
                return false;
        for (size_t i = 0; i < jv_arr_len(libcs); i++)
                if (!jv_str(jv_obj_get(jv_arr_at(libcs, i), "path")) || !jv_str(jv_obj_get(jv_arr_at(libcs, i), "flavor")))
                        return false;
        *what = "predicted";
        const jv *pred = jv_obj_get(doc, "predicted");
        if (!jv_is(pred, JV_ARRAY))
                return false;
        for (size_t i = 0; i < jv_arr_len(pred); i++)
                if (!jv_str(jv_arr_at(pred, i)))
                        return false;
        *what = "binaries";
        if (!jv_is(bins, JV_ARRAY))
                return false;
        for (size_t i = 0; i < jv_arr_len(bins); i++) {
                const jv *b = jv_arr_at(bins, i), *sys = jv_obj_get(b, "syscalls");
                bool analysed;
                if (!jv_str(jv_obj_get(b, "path")) || !jv_str(jv_obj_get(b, "role")) ||
                    !jv_get_bool(jv_obj_get(b, "analysed"), &analysed) || !jv_is(sys, JV_OBJECT))
                        return false;
                for (size_t k = 0; k < sys->u.object.len; k++) {
                        const jv *syms = sys->u.object.values[k];
                        if (!jv_is(syms, JV_ARRAY))
                                return false;
                        for (size_t j = 0; j < jv_arr_len(syms); j++)
                                if (!jv_str(jv_arr_at(syms, j)))
                                        return false;
                }
        }
        return true;
}

int osl_predicted_load(osl_store *s, const char *image_key, jv **doc, osl_error *err)
{
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_jv_ jv *d = NULL;
        const char *what = NULL;
        struct stat st;
        int r;

        if ((r = image_dir(s, image_key, false, &dir, err)) < 0)
                return r;
        if (osl_asprintf(&path, "%s/" OSL_PREDICTED_FILE, dir) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (lstat(path, &st) < 0)
                return osl_err(err, -errno,
                               errno == ENOENT ? "no prediction is stored for %s (run 'profile predict' first)"
                                               : "cannot read the prediction of %s: %m",
                               image_key);
        if (!S_ISREG(st.st_mode))
                return osl_err(err, -ELOOP, "%s is not a regular file; refusing it", path);
        if ((r = jv_parse_file(path, OSL_PREDICTED_MAX_BYTES, &d, err)) < 0)
                return r;
        if (!check_doc(d, image_key, &what))
                return osl_err(err, -EINVAL, "%s: not a prediction of %s (field \"%s\")", path, image_key, what);
        *doc = TAKE_PTR(d);
        return 0;
}

bool osl_predicted_matches(const jv *doc, const char *digest, char *const *executables, size_t n)
{
        const char *d = jv_str(jv_obj_get(doc, "digest"));
        const jv *bins = jv_obj_get(doc, "binaries");
        size_t k = 0;

        if (!digest || !d || strcmp(d, digest) != 0)
                return false;
        for (size_t i = 0; i < jv_arr_len(bins); i++) {
                const jv *b = jv_arr_at(bins, i);
                const char *role = jv_str(jv_obj_get(b, "role"));
                if (!role || strcmp(role, "library") == 0)
                        continue;
                if (k >= n || !jv_str(jv_obj_get(b, "path")) || strcmp(jv_str(jv_obj_get(b, "path")), executables[k]) != 0)
                        return false;
                k++;
        }
        return k == n;
}
