/* SPDX-License-Identifier: Apache-2.0 */
/* lib/oci_layout.c on layouts made here: opening, blobs (written, read,
 * verified, tampered with), choosing the image, attaching and fetching an
 * artifact, and what attach leaves in index.json. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci_layout.h"
#include "sha256.h"
#include "testing.h"

/* A call that must fail with want, and a message that contains needle; the
 * call reports into _e, an osl_error these macros declare. */
#define CHECK_FAILS(call, want, needle)                                                             \
        do {                                                                                        \
                osl_error _e = {};                                                                  \
                int _r = (call);                                                                    \
                CHECK_MSG(_r == (want) && strstr(_e.msg, (needle)), "returned %d (%s), want %d and \"%s\"", _r, \
                          _e.msg, (want), (needle));                                                \
        } while (0)
/* A call that must return 0; like CHECK_FAILS, it reports into _e. */
#define CHECK_SUCCEEDS(call)                                                                        \
        do {                                                                                        \
                osl_error _e = {};                                                                  \
                int _r = (call);                                                                    \
                CHECK_MSG(_r == 0, "returned %d: %s", _r, _e.msg);                                  \
        } while (0)

static char root[] = "/tmp/osl-oci-layout-test.XXXXXX";

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "cannot write %s\n", path);
                exit(1);
        }
}

static char *read_all(const char *path)
{
        osl_error err = {};
        char *text = NULL;
        if (osl_read_file(path, 1 << 24, &text, NULL, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                exit(1);
        }
        return text;
}

static char *path_of(const char *dir, const char *rel)
{
        char *p = NULL;
        if (osl_asprintf(&p, "%s/%s", dir, rel) < 0)
                exit(1);
        return p;
}

static char *blob_path(const char *dir, const char *digest)
{
        char *p = NULL;
        if (osl_asprintf(&p, "%s/blobs/sha256/%s", dir, digest + strlen("sha256:")) < 0)
                exit(1);
        return p;
}

/* An empty layout: oci-layout and blobs/sha256. */
static char *new_layout_dir(const char *name)
{
        char *dir = path_of(root, name);
        _cleanup_free_ char *blobs = path_of(dir, "blobs"), *sha = path_of(dir, "blobs/sha256"),
                            *marker = path_of(dir, "oci-layout");
        if (mkdir(dir, 0755) < 0 || mkdir(blobs, 0755) < 0 || mkdir(sha, 0755) < 0)
                exit(1);
        write_file(marker, "{\"imageLayoutVersion\": \"1.0.0\"}");
        return dir;
}

/* An image: a config, a layer and a manifest; its manifest digest and size. */
static void add_image(osl_oci_layout *l, const char *seed, char digest[OSL_OCI_DIGEST_SIZE], size_t *size)
{
        char config[OSL_OCI_DIGEST_SIZE], layer[OSL_OCI_DIGEST_SIZE];
        _cleanup_free_ char *config_text = NULL, *manifest = NULL;
        osl_error err = {};

        if (osl_asprintf(&config_text, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"%s\"}", seed) < 0 ||
            osl_oci_write_blob(l, config_text, strlen(config_text), config, &err) < 0 ||
            osl_oci_write_blob(l, seed, strlen(seed), layer, &err) < 0 ||
            osl_asprintf(&manifest,
                         "{\"schemaVersion\":2,\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_MANIFEST "\","
                         "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\","
                         "\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                         "\"digest\":\"%s\",\"size\":%zu}]}",
                         config, strlen(config_text), layer, strlen(seed)) < 0 ||
            osl_oci_write_blob(l, manifest, strlen(manifest), digest, &err) < 0) {
                fprintf(stderr, "cannot make an image: %s\n", err.msg);
                exit(1);
        }
        *size = strlen(manifest);
}

static char *index_entry(const char *digest, size_t size, const char *tag)
{
        char *e = NULL;
        if (tag)
                osl_asprintf(&e,
                             "{\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
                             "\"annotations\":{\"org.opencontainers.image.ref.name\":\"%s\"}}",
                             digest, size, tag);
        else
                osl_asprintf(&e, "{\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu}",
                             digest, size);
        if (!e)
                exit(1);
        return e;
}

static size_t count_tmp_files(const char *dir)
{
        size_t n = 0;
        DIR *d = opendir(dir);
        struct dirent *e;
        if (!d)
                return 0;
        while ((e = readdir(d)))
                if (strncmp(e->d_name, ".tmp-", 5) == 0)
                        n++;
        closedir(d);
        return n;
}

static size_t count_files(const char *dir)
{
        size_t n = 0;
        DIR *d = opendir(dir);
        struct dirent *e;
        if (!d)
                return 0;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

static void test_names(void)
{
        CHECK(osl_oci_digest_is_sha256("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        CHECK(!osl_oci_digest_is_sha256("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
        CHECK(!osl_oci_digest_is_sha256("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
        CHECK(!osl_oci_digest_is_sha256("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555"));
        CHECK(!osl_oci_digest_is_sha256("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        CHECK(!osl_oci_digest_is_sha256("sha256:../../../../etc/passwd"));
        CHECK(!osl_oci_digest_is_sha256(""));

        CHECK(osl_oci_ref_name_valid("v1"));
        CHECK(osl_oci_ref_name_valid("latest"));
        CHECK(osl_oci_ref_name_valid("localhost/app:v1.2-rc.1"));
        CHECK(osl_oci_ref_name_valid("a--b"));
        CHECK(osl_oci_ref_name_valid("v1.seccomp"));
        CHECK(!osl_oci_ref_name_valid(""));
        CHECK(!osl_oci_ref_name_valid("-v1"));
        CHECK(!osl_oci_ref_name_valid("v1-"));
        CHECK(!osl_oci_ref_name_valid("a//b"));
        CHECK(!osl_oci_ref_name_valid("a b"));
        CHECK(!osl_oci_ref_name_valid("a..b"));
        CHECK(!osl_oci_ref_name_valid("a\nb"));
        char long_name[300];
        memset(long_name, 'a', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        CHECK(!osl_oci_ref_name_valid(long_name));
        long_name[255] = '\0';
        CHECK(osl_oci_ref_name_valid(long_name));
}

static void test_open(void)
{
        osl_oci_layout *l = NULL;
        _cleanup_free_ char *missing = path_of(root, "missing"), *plain = path_of(root, "plain"),
                            *wrong = new_layout_dir("wrong-version"), *linked = path_of(root, "linked-blobs"),
                            *marker = NULL, *blobs = NULL, *sha = NULL;

        CHECK_FAILS(osl_oci_layout_open(missing, &l, &_e), -ENOENT, "cannot open the OCI image layout");
        CHECK(mkdir(plain, 0755) == 0);
        CHECK_FAILS(osl_oci_layout_open(plain, &l, &_e), -EINVAL, "is not an OCI image layout");
        marker = path_of(wrong, "oci-layout");
        write_file(marker, "{\"imageLayoutVersion\": \"2.0.0\"}");
        CHECK_FAILS(osl_oci_layout_open(wrong, &l, &_e), -EOPNOTSUPP, "imageLayoutVersion \"2.0.0\"");
        write_file(marker, "[1,2");
        CHECK_FAILS(osl_oci_layout_open(wrong, &l, &_e), -EINVAL, "oci-layout");

        /* blobs/ a symlink to a directory elsewhere: refused, not followed. */
        CHECK(mkdir(linked, 0755) == 0);
        free(marker);
        marker = path_of(linked, "oci-layout");
        write_file(marker, "{\"imageLayoutVersion\": \"1.0.0\"}");
        blobs = path_of(linked, "blobs");
        sha = path_of(root, "wrong-version/blobs");
        CHECK(symlink(sha, blobs) == 0);
        CHECK_FAILS(osl_oci_layout_open(linked, &l, &_e), -ELOOP, "is a symbolic link; refusing to follow it");
        CHECK(l == NULL);
}

static void test_blobs(void)
{
        _cleanup_free_ char *dir = new_layout_dir("blobs"), *p = NULL, *link_target = NULL;
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        char digest[OSL_OCI_DIGEST_SIZE], hex[OSL_SHA256_HEX_SIZE];
        static const char content[] = "hello, layout\n";
        char *data = NULL;
        size_t len = 0;
        struct stat before, after;

        CHECK_SUCCEEDS(osl_oci_layout_open(dir, &l, &_e));
        if (!l)
                return;
        CHECK_SUCCEEDS(osl_oci_write_blob(l, content, strlen(content), digest, &_e));
        osl_sha256_hex(content, strlen(content), hex);
        CHECK(strncmp(digest, "sha256:", 7) == 0 && strcmp(digest + 7, hex) == 0);
        p = blob_path(dir, digest);
        CHECK(stat(p, &before) == 0 && S_ISREG(before.st_mode) && (before.st_mode & 0777) == 0644);

        CHECK_SUCCEEDS(osl_oci_read_blob(l, digest, strlen(content), 1024, &data, &len, &_e));
        CHECK(data && len == strlen(content) && memcmp(data, content, len) == 0);
        free(data);
        data = NULL;

        /* A correct copy is kept as it is. */
        CHECK_SUCCEEDS(osl_oci_write_blob(l, content, strlen(content), digest, &_e));
        CHECK(stat(p, &after) == 0 && after.st_ino == before.st_ino);

        CHECK_FAILS(osl_oci_read_blob(l, digest, strlen(content), 4, &data, &len, &_e), -EFBIG, "more than the 4");
        CHECK_FAILS(osl_oci_read_blob(l, digest, strlen(content) + 1, 1024, &data, &len, &_e), -EBADMSG,
                    "but its descriptor says 15");
        CHECK_FAILS(osl_oci_read_blob(l, "sha512:abcd", 4, 1024, &data, &len, &_e), -EOPNOTSUPP, "only sha256");
        CHECK_FAILS(osl_oci_read_blob(l, "sha256:0000000000000000000000000000000000000000000000000000000000000000", 4,
                                      1024, &data, &len, &_e),
                    -EBADMSG, "is missing");

        /* Same size, other content: the name no longer matches. */
        write_file(p, "HELLO, layout\n");
        CHECK_FAILS(osl_oci_read_blob(l, digest, strlen(content), 1024, &data, &len, &_e), -EBADMSG,
                    "not the one it is named by");
        CHECK(data == NULL);
        /* Writing the blob again repairs it. */
        CHECK_SUCCEEDS(osl_oci_write_blob(l, content, strlen(content), digest, &_e));
        CHECK_SUCCEEDS(osl_oci_read_blob(l, digest, strlen(content), 1024, &data, &len, &_e));
        free(data);
        data = NULL;

        /* A blob that is a symlink (to a file with the right content, even)
         * is not followed. */
        link_target = path_of(root, "outside-blob");
        write_file(link_target, content);
        CHECK(unlink(p) == 0 && symlink(link_target, p) == 0);
        CHECK_FAILS(osl_oci_read_blob(l, digest, strlen(content), 1024, &data, &len, &_e), -ELOOP,
                    "is a symbolic link");
        /* Writing replaces the link, and the file it pointed to is untouched. */
        CHECK_SUCCEEDS(osl_oci_write_blob(l, content, strlen(content), digest, &_e));
        CHECK(lstat(p, &after) == 0 && S_ISREG(after.st_mode));
        free(p);
        p = path_of(dir, "blobs/sha256");
        CHECK(count_tmp_files(p) == 0);

        /* A FIFO under a blob's name: refused, without blocking. */
        char fifo_digest[OSL_OCI_DIGEST_SIZE];
        osl_sha256_hex("fifo", 4, hex);
        snprintf(fifo_digest, sizeof(fifo_digest), "sha256:%s", hex);
        free(p);
        p = blob_path(dir, fifo_digest);
        CHECK(mkfifo(p, 0644) == 0);
        CHECK_FAILS(osl_oci_read_blob(l, fifo_digest, 4, 1024, &data, &len, &_e), -EINVAL, "not a regular file");
}

static void test_index(void)
{
        _cleanup_free_ char *dir = new_layout_dir("index"), *index_path = path_of(dir, "index.json"),
                            *outside = path_of(root, "outside-index.json");
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        jv *index = NULL;

        CHECK_SUCCEEDS(osl_oci_layout_open(dir, &l, &_e));
        if (!l)
                return;
        CHECK_FAILS(osl_oci_read_index(l, &index, &_e), -EINVAL, "index.json is missing");
        write_file(index_path, "{\"schemaVersion\":1,\"manifests\":[]}");
        CHECK_FAILS(osl_oci_read_index(l, &index, &_e), -EINVAL, "schemaVersion: expected 2");
        write_file(index_path, "{\"schemaVersion\":2}");
        CHECK_FAILS(osl_oci_read_index(l, &index, &_e), -EINVAL, "manifests: expected an array");
        write_file(index_path, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:ab\"}]}");
        CHECK_FAILS(osl_oci_read_index(l, &index, &_e), -EINVAL, "manifests[0]: \"size\" is missing");
        write_file(index_path, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"nocolon\",\"size\":1}]}");
        CHECK_FAILS(osl_oci_read_index(l, &index, &_e), -EINVAL, "is not a digest");
        write_file(index_path,
                   "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:ab\",\"size\":-1}]}");
        CHECK_FAILS(osl_oci_read_index(l, &index, &_e), -EINVAL, "manifests[0].size");
        write_file(index_path, "{\"schemaVersion\":2,\"manifests\":[]");
        CHECK_FAILS(osl_oci_read_index(l, &index, &_e), -EINVAL, "index.json");

        /* index.json a symlink: refused. */
        write_file(outside, "{\"schemaVersion\":2,\"manifests\":[]}");
        CHECK(unlink(index_path) == 0 && symlink(outside, index_path) == 0);
        CHECK_FAILS(osl_oci_read_index(l, &index, &_e), -ELOOP, "is a symbolic link");
        CHECK(index == NULL);
}

/* A layout with one image tagged v1 (and, with two, a second one tagged v2). */
static char *image_layout(const char *name, bool two, char digest[OSL_OCI_DIGEST_SIZE], size_t *size,
                          char digest2[OSL_OCI_DIGEST_SIZE])
{
        char *dir = new_layout_dir(name);
        _cleanup_free_ char *index_path = path_of(dir, "index.json"), *e1 = NULL, *e2 = NULL, *text = NULL;
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        osl_error err = {};
        size_t size2;

        if (osl_oci_layout_open(dir, &l, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                exit(1);
        }
        add_image(l, "image one", digest, size);
        e1 = index_entry(digest, *size, "v1");
        if (two) {
                add_image(l, "image two", digest2, &size2);
                e2 = index_entry(digest2, size2, "v2");
        }
        /* Fields we do not know must survive our rewrite. */
        osl_asprintf(&text,
                     "{\"schemaVersion\":2,\"mediaType\":\"" OSL_OCI_MEDIA_TYPE_INDEX "\",\"manifests\":[%s%s%s],"
                     "\"annotations\":{\"com.example.keep\":\"me\"}}",
                     e1, e2 ? "," : "", e2 ? e2 : "");
        write_file(index_path, text);
        return dir;
}

static void test_select(void)
{
        char d1[OSL_OCI_DIGEST_SIZE], d2[OSL_OCI_DIGEST_SIZE], unused[OSL_OCI_DIGEST_SIZE];
        size_t s1;
        _cleanup_free_ char *one = image_layout("select-one", false, d1, &s1, unused);
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        _cleanup_jv_ jv *index = NULL;
        osl_oci_descriptor d = {};

        CHECK_SUCCEEDS(osl_oci_layout_open(one, &l, &_e));
        CHECK_SUCCEEDS(osl_oci_read_index(l, &index, &_e));
        if (!index)
                return;
        CHECK_SUCCEEDS(osl_oci_select_image(l, index, &(osl_oci_selector) {}, &d, &_e));
        CHECK(d.digest && strcmp(d.digest, d1) == 0 && d.size == s1 && d.ref_name && strcmp(d.ref_name, "v1") == 0);
        osl_oci_descriptor_clear(&d);
        CHECK_SUCCEEDS(osl_oci_select_image(l, index, &(osl_oci_selector) { .tag = "v1" }, &d, &_e));
        CHECK(d.digest && strcmp(d.digest, d1) == 0);
        osl_oci_descriptor_clear(&d);
        CHECK_SUCCEEDS(osl_oci_select_image(l, index, &(osl_oci_selector) { .digest = d1 }, &d, &_e));
        CHECK(d.digest && strcmp(d.digest, d1) == 0);
        osl_oci_descriptor_clear(&d);
        CHECK_FAILS(osl_oci_select_image(l, index, &(osl_oci_selector) { .tag = "v9" }, &d, &_e), -ENOENT,
                    "has no image tagged \"v9\" (it has: sha256:");
        CHECK_FAILS(osl_oci_select_image(
                            l, index,
                            &(osl_oci_selector) { .digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111" },
                            &d, &_e),
                    -ENOENT, "names no manifest sha256:1111");

        /* The image's manifest is verified before anything refers to it. */
        _cleanup_free_ char *p = blob_path(one, d1);
        _cleanup_free_ char *good = read_all(p);
        _cleanup_free_ char *bad = strdup(good);
        bad[strlen(bad) - 2] = ' ';
        write_file(p, bad);
        CHECK_FAILS(osl_oci_select_image(l, index, &(osl_oci_selector) {}, &d, &_e), -EBADMSG,
                    "not the one it is named by");
        write_file(p, good);

        /* Two images: choose, or it is ambiguous. */
        _cleanup_free_ char *two = image_layout("select-two", true, d1, &s1, d2);
        _cleanup_oci_layout_ osl_oci_layout *l2 = NULL;
        _cleanup_jv_ jv *index2 = NULL;
        CHECK_SUCCEEDS(osl_oci_layout_open(two, &l2, &_e));
        CHECK_SUCCEEDS(osl_oci_read_index(l2, &index2, &_e));
        if (!index2)
                return;
        CHECK_FAILS(osl_oci_select_image(l2, index2, &(osl_oci_selector) {}, &d, &_e), -EINVAL,
                    "names 2 images");
        CHECK_SUCCEEDS(osl_oci_select_image(l2, index2, &(osl_oci_selector) { .tag = "v2" }, &d, &_e));
        CHECK(d.digest && strcmp(d.digest, d2) == 0);
        osl_oci_descriptor_clear(&d);
}

static const char *const profile_one = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[]}\n";
static const char *const profile_two = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                                       "\"action\":\"SCMP_ACT_ALLOW\"}]}\n";

static osl_oci_artifact seccomp_artifact(const char *profile, char *const *annotations, const char *ref_name)
{
        return (osl_oci_artifact) {
                .artifact_type = OSL_SECCOMP_ARTIFACT_TYPE,
                .layer_media_type = OSL_SECCOMP_LAYER_MEDIA_TYPE,
                .layer_title = OSL_SECCOMP_LAYER_TITLE,
                .data = profile,
                .len = strlen(profile),
                .annotations = annotations,
                .ref_name = ref_name,
        };
}

static void test_attach_fetch(void)
{
        char d1[OSL_OCI_DIGEST_SIZE], d2[OSL_OCI_DIGEST_SIZE];
        size_t s1;
        _cleanup_free_ char *dir = image_layout("attach", true, d1, &s1, d2), *index_path = path_of(dir, "index.json");
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        char *const annotations[] = { "org.opencontainers.image.created", "2026-11-28T16:45:11.020Z",
                                      "io.seccomp-learn.image", "localhost/app", "io.seccomp-learn.version", "1", NULL };
        osl_oci_artifact a = seccomp_artifact(profile_one, annotations, NULL);
        osl_oci_attach_result res;
        osl_oci_fetched f = {};

        CHECK_SUCCEEDS(osl_oci_layout_open(dir, &l, &_e));
        if (!l)
                return;
        /* Nothing attached yet. */
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e),
                    -ENOENT, "no application/vnd.cncf.seccomp-profile.config.v1+json is attached to sha256:");

        CHECK_SUCCEEDS(osl_oci_attach(l, &(osl_oci_selector) { .tag = "v1" }, &a, &res, &_e));
        CHECK(strcmp(res.subject, d1) == 0 && !res.unchanged && res.replaced == 0);
        CHECK(osl_oci_digest_is_sha256(res.artifact));

        /* The manifest, as CRI-O and the image-spec want it. */
        _cleanup_free_ char *mpath = blob_path(dir, res.artifact);
        _cleanup_free_ char *mtext = read_all(mpath);
        _cleanup_jv_ jv *m = NULL;
        CHECK_SUCCEEDS(jv_parse(mtext, strlen(mtext), "manifest", &m, &_e));
        CHECK(jv_get_path(m, "schemaVersion", NULL) && strcmp(jv_get_path(m, "schemaVersion", NULL)->u.number, "2") == 0);
        CHECK(strcmp(jv_str(jv_get_path(m, "mediaType", NULL)), OSL_OCI_MEDIA_TYPE_MANIFEST) == 0);
        CHECK(strcmp(jv_str(jv_get_path(m, "artifactType", NULL)), OSL_SECCOMP_ARTIFACT_TYPE) == 0);
        CHECK(strcmp(jv_str(jv_get_path(m, "config", "mediaType", NULL)), OSL_SECCOMP_ARTIFACT_TYPE) == 0);
        CHECK(strcmp(jv_str(jv_get_path(m, "config", "digest", NULL)),
                     "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a") == 0); /* "{}" */
        CHECK(strcmp(jv_str(jv_get_path(m, "subject", "digest", NULL)), d1) == 0);
        uint64_t u = 0;
        CHECK(jv_get_uint64(jv_get_path(m, "subject", "size", NULL), &u) && u == s1);
        CHECK(strcmp(jv_str(jv_get_path(m, "subject", "mediaType", NULL)), OSL_OCI_MEDIA_TYPE_MANIFEST) == 0);
        const jv *layers = jv_get_path(m, "layers", NULL);
        CHECK(jv_arr_len(layers) == 1);
        CHECK(strcmp(jv_str(jv_obj_get(jv_arr_at(layers, 0), "mediaType")), "application/json") == 0);
        CHECK(strcmp(jv_str(jv_get_path(jv_arr_at(layers, 0), "annotations", "org.opencontainers.image.title", NULL)),
                     "profile.json") == 0);
        CHECK(strcmp(jv_str(jv_get_path(m, "annotations", "io.seccomp-learn.version", NULL)), "1") == 0);
        CHECK(strcmp(jv_str(jv_get_path(m, "annotations", "org.opencontainers.image.created", NULL)),
                     "2026-11-28T16:45:11.020Z") == 0);

        /* index.json: both images, the artifact, and what we do not know. */
        _cleanup_free_ char *itext = read_all(index_path);
        _cleanup_jv_ jv *index = NULL;
        CHECK_SUCCEEDS(jv_parse(itext, strlen(itext), "index", &index, &_e));
        CHECK(jv_arr_len(jv_obj_get(index, "manifests")) == 3);
        CHECK(strcmp(jv_str(jv_get_path(index, "annotations", "com.example.keep", NULL)), "me") == 0);
        const jv *entry = jv_arr_at(jv_obj_get(index, "manifests"), 2);
        CHECK(strcmp(jv_str(jv_obj_get(entry, "digest")), res.artifact) == 0);
        CHECK(strcmp(jv_str(jv_obj_get(entry, "artifactType")), OSL_SECCOMP_ARTIFACT_TYPE) == 0);
        CHECK(jv_obj_get(entry, "annotations") == NULL); /* no --artifact-tag */

        CHECK_SUCCEEDS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e));
        CHECK(f.data && f.len == strlen(profile_one) && memcmp(f.data, profile_one, f.len) == 0);
        CHECK(strcmp(f.artifact, res.artifact) == 0 && strcmp(f.subject, d1) == 0);
        CHECK(strcmp(jv_str(jv_obj_get(f.annotations, "io.seccomp-learn.image")), "localhost/app") == 0);
        osl_oci_fetched_clear(&f);
        /* The other image has none. */
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v2" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e),
                    -ENOENT, "is attached to");
        /* A limit below the profile's size. */
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 8, &f, &_e),
                    -EFBIG, "more than the 8 allowed");

        /* The same again: nothing written. */
        struct stat before, after;
        CHECK(stat(index_path, &before) == 0);
        osl_oci_attach_result again;
        CHECK_SUCCEEDS(osl_oci_attach(l, &(osl_oci_selector) { .tag = "v1" }, &a, &again, &_e));
        CHECK(again.unchanged && strcmp(again.artifact, res.artifact) == 0);
        CHECK(stat(index_path, &after) == 0 && after.st_ino == before.st_ino);
        /* A lost blob comes back when the same is attached again. */
        _cleanup_free_ char *lost = blob_path(dir, jv_str(jv_obj_get(jv_arr_at(layers, 0), "digest")));
        CHECK(unlink(lost) == 0);
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e),
                    -EBADMSG, "is missing: the layout is incomplete");
        CHECK_SUCCEEDS(osl_oci_attach(l, &(osl_oci_selector) { .tag = "v1" }, &a, &again, &_e));
        CHECK(again.unchanged);
        CHECK_SUCCEEDS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e));
        osl_oci_fetched_clear(&f);

        /* A new profile replaces the old one: still one artifact for v1. */
        osl_oci_artifact b = seccomp_artifact(profile_two, annotations, "v1.seccomp");
        osl_oci_attach_result replaced;
        CHECK_SUCCEEDS(osl_oci_attach(l, &(osl_oci_selector) { .digest = d1 }, &b, &replaced, &_e));
        CHECK(!replaced.unchanged && replaced.replaced == 1 && strcmp(replaced.artifact, res.artifact) != 0);
        free(itext);
        itext = read_all(index_path);
        jv_free(index);
        index = NULL;
        CHECK_SUCCEEDS(jv_parse(itext, strlen(itext), "index", &index, &_e));
        CHECK(jv_arr_len(jv_obj_get(index, "manifests")) == 3);
        entry = jv_arr_at(jv_obj_get(index, "manifests"), 2);
        CHECK(strcmp(jv_str(jv_get_path(entry, "annotations", "org.opencontainers.image.ref.name", NULL)),
                     "v1.seccomp") == 0);
        CHECK_SUCCEEDS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e));
        CHECK(f.data && strcmp(f.data, profile_two) == 0);
        osl_oci_fetched_clear(&f);

        /* With the artifact in, the layout still has exactly two images:
         * the artifact is not one of them. */
        _cleanup_jv_ jv *fresh = NULL;
        osl_oci_descriptor d = {};
        CHECK_SUCCEEDS(osl_oci_read_index(l, &fresh, &_e));
        CHECK_FAILS(osl_oci_select_image(l, fresh, &(osl_oci_selector) {}, &d, &_e), -EINVAL, "names 2 images");

        /* A tag that names an image cannot go to the artifact; the refusal
         * writes nothing, not even a blob. */
        _cleanup_free_ char *blobs = path_of(dir, "blobs/sha256");
        size_t n_blobs = count_files(blobs);
        osl_oci_artifact c = seccomp_artifact("{\"defaultAction\":\"SCMP_ACT_LOG\"}\n", annotations, "v2");
        CHECK_FAILS(osl_oci_attach(l, &(osl_oci_selector) { .tag = "v1" }, &c, &res, &_e), -EEXIST,
                    "the tag \"v2\" already names");
        c.ref_name = "bad tag";
        CHECK_FAILS(osl_oci_attach(l, &(osl_oci_selector) { .tag = "v1" }, &c, &res, &_e), -EINVAL,
                    "cannot be a tag");
        /* Nothing was left half-done by the refusals. */
        _cleanup_free_ char *after_refusals = read_all(index_path);
        CHECK(strcmp(after_refusals, itext) == 0);
        CHECK(count_files(blobs) == n_blobs);
        CHECK(count_tmp_files(dir) == 0 && count_tmp_files(blobs) == 0);

        /* Tampering, each blob in turn: the layer, the config, the manifest. */
        CHECK_SUCCEEDS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e));
        _cleanup_free_ char *layer_path = NULL, *config_path = NULL, *manifest_path = blob_path(dir, replaced.artifact);
        _cleanup_free_ char *mtext2 = read_all(manifest_path);
        _cleanup_jv_ jv *m2 = NULL;
        CHECK_SUCCEEDS(jv_parse(mtext2, strlen(mtext2), "manifest", &m2, &_e));
        layer_path = blob_path(dir, jv_str(jv_obj_get(jv_arr_at(jv_obj_get(m2, "layers"), 0), "digest")));
        config_path = blob_path(dir, jv_str(jv_get_path(m2, "config", "digest", NULL)));
        osl_oci_fetched_clear(&f);

        _cleanup_free_ char *tampered = strdup(profile_two);
        tampered[2] = 'D'; /* "defaultAction" -> "DefaultAction": same size */
        write_file(layer_path, tampered);
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e),
                    -EBADMSG, "tampered with");
        write_file(layer_path, "{}");
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e),
                    -EBADMSG, "but its descriptor says");
        write_file(layer_path, profile_two);
        CHECK_SUCCEEDS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e));
        osl_oci_fetched_clear(&f);

        write_file(config_path, "[]");
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e),
                    -EBADMSG, "not the one it is named by");
        write_file(config_path, "{}");

        _cleanup_free_ char *mbad = strdup(mtext2);
        char *v = strstr(mbad, "\"1\"");
        CHECK(v != NULL);
        if (v)
                v[1] = '9';
        write_file(manifest_path, mbad);
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e),
                    -EBADMSG, "not the one it is named by");
        write_file(manifest_path, mtext2);
        CHECK_SUCCEEDS(osl_oci_fetch(l, &(osl_oci_selector) { .tag = "v1" }, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e));
        osl_oci_fetched_clear(&f);
        (void) d;
}

/* Another tool put two profiles on one image: fetch does not guess. An
 * artifact whose two type fields disagree is refused. */
static void test_foreign_artifacts(void)
{
        char d1[OSL_OCI_DIGEST_SIZE], unused[OSL_OCI_DIGEST_SIZE], config[OSL_OCI_DIGEST_SIZE],
                layer[OSL_OCI_DIGEST_SIZE], m1[OSL_OCI_DIGEST_SIZE], m2[OSL_OCI_DIGEST_SIZE];
        size_t s1;
        _cleanup_free_ char *dir = image_layout("foreign", false, d1, &s1, unused), *index_path = path_of(dir, "index.json");
        _cleanup_free_ char *e1 = index_entry(d1, s1, "v1"), *manifest1 = NULL, *manifest2 = NULL, *text = NULL;
        _cleanup_oci_layout_ osl_oci_layout *l = NULL;
        osl_oci_fetched f = {};

        CHECK_SUCCEEDS(osl_oci_layout_open(dir, &l, &_e));
        if (!l)
                return;
        CHECK_SUCCEEDS(osl_oci_write_blob(l, "{}", 2, config, &_e));
        CHECK_SUCCEEDS(osl_oci_write_blob(l, profile_one, strlen(profile_one), layer, &_e));
        /* As oras attach writes it: an empty config and artifactType. */
        osl_asprintf(&manifest1,
                     "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
                     "\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"application/json\",\"digest\":\"%s\","
                     "\"size\":%zu}],\"subject\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}}",
                     OSL_OCI_MEDIA_TYPE_MANIFEST, OSL_SECCOMP_ARTIFACT_TYPE, OSL_OCI_MEDIA_TYPE_EMPTY, config, layer,
                     strlen(profile_one), OSL_OCI_MEDIA_TYPE_MANIFEST, d1, s1);
        CHECK_SUCCEEDS(osl_oci_write_blob(l, manifest1, strlen(manifest1), m1, &_e));
        /* Without artifactType: the config's media type is the type. */
        osl_asprintf(&manifest2,
                     "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\","
                     "\"size\":2},\"layers\":[{\"mediaType\":\"application/json\",\"digest\":\"%s\",\"size\":%zu}],"
                     "\"subject\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}}",
                     OSL_OCI_MEDIA_TYPE_MANIFEST, OSL_SECCOMP_ARTIFACT_TYPE, config, layer, strlen(profile_one),
                     OSL_OCI_MEDIA_TYPE_MANIFEST, d1, s1);
        CHECK_SUCCEEDS(osl_oci_write_blob(l, manifest2, strlen(manifest2), m2, &_e));

        _cleanup_free_ char *a1 = index_entry(m1, strlen(manifest1), NULL), *a2 = index_entry(m2, strlen(manifest2), NULL);
        osl_asprintf(&text, "{\"schemaVersion\":2,\"manifests\":[%s,%s]}", e1, a1);
        write_file(index_path, text);
        CHECK_SUCCEEDS(osl_oci_fetch(l, &(osl_oci_selector) {}, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e));
        CHECK(f.data && strcmp(f.data, profile_one) == 0 && f.annotations == NULL);
        osl_oci_fetched_clear(&f);

        free(text);
        text = NULL;
        osl_asprintf(&text, "{\"schemaVersion\":2,\"manifests\":[%s,%s,%s]}", e1, a1, a2);
        write_file(index_path, text);
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) {}, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e), -EINVAL,
                    "2 artifacts of type");

        /* Attaching ours replaces both. */
        osl_oci_artifact a = seccomp_artifact(profile_two, NULL, NULL);
        osl_oci_attach_result res;
        CHECK_SUCCEEDS(osl_oci_attach(l, &(osl_oci_selector) {}, &a, &res, &_e));
        CHECK(res.replaced == 2);
        CHECK_SUCCEEDS(osl_oci_fetch(l, &(osl_oci_selector) {}, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e));
        CHECK(f.data && strcmp(f.data, profile_two) == 0);
        osl_oci_fetched_clear(&f);

        /* artifactType and config media type that disagree. */
        _cleanup_free_ char *manifest3 = NULL, *a3 = NULL;
        char m3[OSL_OCI_DIGEST_SIZE];
        osl_asprintf(&manifest3,
                     "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"%s\",\"config\":{\"mediaType\":"
                     "\"application/vnd.example.other+json\",\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":"
                     "\"application/json\",\"digest\":\"%s\",\"size\":%zu}],\"subject\":{\"mediaType\":\"%s\","
                     "\"digest\":\"%s\",\"size\":%zu}}",
                     OSL_OCI_MEDIA_TYPE_MANIFEST, OSL_SECCOMP_ARTIFACT_TYPE, config, layer, strlen(profile_one),
                     OSL_OCI_MEDIA_TYPE_MANIFEST, d1, s1);
        CHECK_SUCCEEDS(osl_oci_write_blob(l, manifest3, strlen(manifest3), m3, &_e));
        a3 = index_entry(m3, strlen(manifest3), NULL);
        free(text);
        text = NULL;
        osl_asprintf(&text, "{\"schemaVersion\":2,\"manifests\":[%s,%s]}", e1, a3);
        write_file(index_path, text);
        CHECK_FAILS(osl_oci_fetch(l, &(osl_oci_selector) {}, OSL_SECCOMP_ARTIFACT_TYPE, 1 << 20, &f, &_e), -EINVAL,
                    "disagree");
}

int main(void)
{
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                return 1;
        }
        test_names();
        test_open();
        test_blobs();
        test_index();
        test_select();
        test_attach_fetch();
        test_foreign_artifacts();

        _cleanup_free_ char *cmd = NULL;
        if (osl_asprintf(&cmd, "rm -rf '%s'", root) >= 0 && system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", root);
        return testing_result();
}
