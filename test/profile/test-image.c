/* SPDX-License-Identifier: Apache-2.0 */
/* Image references, which image a container runs, and image keys as path
 * components. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "testing.h"

#define SHA_A "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define CID "1111111111111111111111111111111111111111111111111111111111111111"
#define IID "2222222222222222222222222222222222222222222222222222222222222222"

static jv *parse(const char *text)
{
        osl_error err = { 0 };
        jv *v = NULL;
        if (jv_parse(text, strlen(text), "test input", &v, &err) < 0) {
                fprintf(stderr, "test input does not parse: %s\n", err.msg);
                abort();
        }
        return v;
}

static void test_parse_ref(void)
{
        static const struct {
                const char *ref, *key, *tag, *digest;
        } good[] = {
                { "redis", "docker.io/library/redis", NULL, NULL },
                { "redis:7", "docker.io/library/redis", "7", NULL },
                { "docker.io/library/redis:7@" SHA_A, "docker.io/library/redis", "7", SHA_A },
                { "docker.io/redis", "docker.io/library/redis", NULL, NULL },
                { "index.docker.io/library/redis:latest", "docker.io/library/redis", "latest", NULL },
                { "localhost:5000/a/b:tag", "localhost:5000/a/b", "tag", NULL },
                { "a/b@" SHA_A, "docker.io/a/b", NULL, SHA_A },
                { "localhost/myimage:latest", "localhost/myimage", "latest", NULL },
                { "quay.io/podman/stable:v4.3.1", "quay.io/podman/stable", "v4.3.1", NULL },
                { "ghcr.io/org/team/app/web:1.0_rc-2", "ghcr.io/org/team/app/web", "1.0_rc-2", NULL },
                { "registry.example.com:443/team/app", "registry.example.com:443/team/app", NULL, NULL },
                { "[::1]:5000/app:1", "[::1]:5000/app", "1", NULL },
                { "my_image__x.y-z", "docker.io/library/my_image__x.y-z", NULL, NULL },
                { "Registry/app", "Registry/app", NULL, NULL }, /* upper case: a registry host */
        };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                osl_error err = { 0 };
                osl_image img = { 0 };
                CHECK_OK(osl_image_parse_ref(good[i].ref, &img, &err), err);
                CHECK_STREQ(img.key, good[i].key);
                CHECK_STREQ(img.name, good[i].ref);
                CHECK(good[i].tag ? img.tag && strcmp(img.tag, good[i].tag) == 0 : !img.tag);
                CHECK(good[i].digest ? img.digest && strcmp(img.digest, good[i].digest) == 0 : !img.digest);
                osl_image_clear(&img);
        }

        char huge[5000], long_repo[300];
        memset(huge, 'a', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        memset(long_repo, 'b', sizeof(long_repo) - 1);
        long_repo[sizeof(long_repo) - 1] = '\0';
        static const struct {
                const char *ref, *message;
        } bad[] = {
                { "", "image reference is empty" },
                { "REDIS", "lower-case" },
                { "redis:", "the tag" },
                { "redis:-x", "the tag" },
                { "redis:7:8", "lower-case" },
                { "redis@sha256:abc", "the digest" },
                { "redis@", "the digest" },
                { "../x", "the registry" },
                { "a/../b", "lower-case" },
                { "a/./b", "lower-case" },
                { "a//b", "lower-case" },
                { "/redis", "lower-case" },
                { "redis/", "lower-case" },
                { "a\x01" "b", "control character" },
                { "redis\n", "control character" },
                { "redis latest", "space or a non-ASCII" },
                { "r\xc3\xa9" "dis", "space or a non-ASCII" },
                { "host:99999999/a", "the registry" },
                { "-host.com/a", "the registry" },
                { "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "image ID" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                osl_error err = { 0 };
                osl_image img = { 0 };
                int r = osl_image_parse_ref(bad[i].ref, &img, &err);
                if (r != -EINVAL || !strstr(err.msg, bad[i].message) || img.key) {
                        fprintf(stderr, "bad ref case %zu: expected \"%s\", got %d: %s\n", i, bad[i].message, r,
                                err.msg);
                        testing_failures++;
                }
                for (const char *p = err.msg; *p; p++)
                        CHECK((unsigned char) *p >= 0x20 && (unsigned char) *p < 0x7f);
                osl_image_clear(&img);
        }
        osl_error err = { 0 };
        osl_image img = { 0 };
        CHECK_ERR(osl_image_parse_ref(huge, &img, &err), -EINVAL, err, "longer than 4096 bytes");
        CHECK_ERR(osl_image_parse_ref(long_repo, &img, &err), -EINVAL, err, "longer than 255 bytes");
        CHECK(strlen(err.msg) < 300); /* the value is cut in the message */
        CHECK_ERR(osl_image_parse_ref(NULL, &img, &err), -EINVAL, err, "no image reference");
}

static void test_resolve_annotations(void)
{
        static const struct {
                const char *annotations;
                const char *key, *digest, *source;
        } good[] = {
                /* The engine's name wins over ours (doc/security.md). */
                { "{\"io.seccomp-learn.image\":\"redis:7\",\"io.kubernetes.cri-o.ImageName\":\"quay.io/a/b:1\"}",
                  "quay.io/a/b", NULL, "annotation io.kubernetes.cri-o.ImageName" },
                { "{\"io.kubernetes.cri.image-name\":\"docker.io/evil/tool:1\",\"io.seccomp-learn.image\":\"nginx\"}",
                  "docker.io/evil/tool", NULL, "annotation io.kubernetes.cri.image-name" },
                { "{\"io.seccomp-learn.image\":\"redis:7\"}", "docker.io/library/redis", NULL,
                  "annotation io.seccomp-learn.image" },
                { "{\"io.kubernetes.cri-o.ImageName\":\"quay.io/a/b:1\",\"io.kubernetes.cri-o.ImageRef\":\"" HEX_B "\","
                  "\"io.kubernetes.cri.image-name\":\"docker.io/library/nginx:1\"}",
                  "quay.io/a/b", "sha256:" HEX_B, "annotation io.kubernetes.cri-o.ImageName" },
                { "{\"io.kubernetes.cri-o.ImageName\":\"quay.io/a/b:1\",\"io.kubernetes.cri-o.ImageRef\":\"" SHA_A "\"}",
                  "quay.io/a/b", SHA_A, "annotation io.kubernetes.cri-o.ImageName" },
                { "{\"io.kubernetes.cri-o.ImageName\":\"quay.io/a/b:1\","
                  "\"io.kubernetes.cri-o.ImageRef\":\"quay.io/a/b@" SHA_A "\"}",
                  "quay.io/a/b", SHA_A, "annotation io.kubernetes.cri-o.ImageName" },
                { "{\"io.kubernetes.cri-o.ImageName\":\"\",\"io.kubernetes.cri.image-name\":\"nginx:1\"}",
                  "docker.io/library/nginx", NULL, "annotation io.kubernetes.cri.image-name" },
                { "{\"io.kubernetes.cri.image-name\":\"docker.io/library/nginx@" SHA_A "\"}",
                  "docker.io/library/nginx", SHA_A, "annotation io.kubernetes.cri.image-name" },
        };
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                osl_error err = { 0 };
                osl_image img = { 0 };
                _cleanup_jv_ jv *a = parse(good[i].annotations);
                CHECK_OK(osl_image_resolve(a, NULL, &img, &err), err);
                CHECK_STREQ(img.key, good[i].key);
                CHECK(good[i].digest ? img.digest && strcmp(img.digest, good[i].digest) == 0 : !img.digest);
                CHECK_STREQ(img.source, good[i].source);
                osl_image_clear(&img);
        }

        char huge[6000];
        snprintf(huge, sizeof(huge), "{\"io.seccomp-learn.image\":\"%04500d\"}", 7);
        const struct {
                const char *annotations;
                int code;
                const char *message;
        } bad[] = {
                { "{\"io.seccomp-learn.image\":\"\"}", -EINVAL, "annotation io.seccomp-learn.image is empty" },
                { "{\"io.seccomp-learn.image\":\"redis\\n\"}", -EINVAL, "control character" },
                { "{\"io.seccomp-learn.image\":\"../../etc\"}", -EINVAL, "annotation io.seccomp-learn.image: image" },
                { "{\"io.seccomp-learn.image\":5}", -EINVAL, "annotation io.seccomp-learn.image: expected a string" },
                { "{\"io.seccomp-learn.image\":\"a\\u0000b\"}", -EINVAL, "NUL" },
                { "{\"io.kubernetes.cri-o.ImageName\":\"quay.io/a/b\",\"io.kubernetes.cri-o.ImageRef\":\"garbage\"}",
                  -EINVAL, "io.kubernetes.cri-o.ImageRef \"garbage\" is neither" },
                { "{\"io.kubernetes.cri.image-name\":\"UPPER\"}", -EINVAL, "annotation io.kubernetes.cri.image-name" },
                { "[]", -EINVAL, "annotations: expected an object" },
                { "{}", -ENOENT,
                  "cannot tell which image this container runs: set the annotation io.seccomp-learn.image=NAME" },
                { "{\"io.kubernetes.cri-o.ImageName\":\"\"}", -ENOENT, "io.seccomp-learn.image=NAME" },
                { huge, -EINVAL, "longer than 4096 bytes" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                osl_error err = { 0 };
                osl_image img = { 0 };
                _cleanup_jv_ jv *a = parse(bad[i].annotations);
                int r = osl_image_resolve(a, "/tmp/not-a-podman-bundle", &img, &err);
                if (r != bad[i].code || !strstr(err.msg, bad[i].message) || img.key) {
                        fprintf(stderr, "bad annotations case %zu: expected %d \"%s\", got %d: %s\n", i, bad[i].code,
                                bad[i].message, r, err.msg);
                        testing_failures++;
                }
                osl_image_clear(&img);
        }
        osl_error err = { 0 };
        osl_image img = { 0 };
        CHECK_ERR(osl_image_resolve(NULL, NULL, &img, &err), -ENOENT, err, "io.seccomp-learn.image=NAME");
}

/* ---- podman's containers/storage, faked in a temporary directory ---- */

static char root[] = "/tmp/osl-image-test-XXXXXX";

static void write_file(const char *rel, const char *text)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs(text, f);
        fclose(f);
}

static void mkdirs(const char *rel)
{
        char path[512];
        osl_error err = { 0 };
        snprintf(path, sizeof(path), "%s/%s", root, rel);
        CHECK_OK(osl_mkdir_p(path, 0755, &err), err);
}

static int resolve_bundle(const char *rel, const char *annotations, osl_image *img, osl_error *err)
{
        char bundle[512];
        _cleanup_jv_ jv *a = annotations ? parse(annotations) : NULL;
        snprintf(bundle, sizeof(bundle), "%s/%s", root, rel);
        return osl_image_resolve(a, bundle, img, err);
}

static void test_podman_storage(void)
{
        osl_error err = { 0 };
        osl_image img = { 0 };
        const char *bundle = "storage/overlay-containers/" CID "/userdata";

        CHECK(mkdtemp(root) != NULL);
        mkdirs("storage/overlay-containers/" CID "/userdata");
        mkdirs("storage/overlay-images");
        write_file("storage/overlay-containers/containers.json",
                   "[{\"id\":\"3333333333333333333333333333333333333333333333333333333333333333\",\"image\":\"x\"},"
                   "{\"id\":\"" CID "\",\"names\":[\"happy_cat\"],\"image\":\"" IID "\",\"layer\":\"l\"}]");
        write_file("storage/overlay-images/images.json",
                   "[{\"id\":\"" IID "\",\"names\":[\"docker.io/library/redis:7\",\"localhost/r:1\"],"
                   "\"digest\":\"" SHA_A "\"}]");

        CHECK_OK(resolve_bundle(bundle, NULL, &img, &err), err);
        CHECK_STREQ(img.key, "docker.io/library/redis");
        CHECK_STREQ(img.name, "docker.io/library/redis:7");
        CHECK_STREQ(img.tag, "7");
        CHECK_STREQ(img.digest, SHA_A);
        CHECK_STREQ(img.source, "podman storage");
        osl_image_clear(&img);

        /* A trailing slash is the same bundle; podman's name wins over the
         * annotation, which is reported as ignored. */
        CHECK_OK(resolve_bundle("storage/overlay-containers/" CID "/userdata/", NULL, &img, &err), err);
        CHECK_STREQ(img.key, "docker.io/library/redis");
        CHECK(!img.annotation_ignored);
        osl_image_clear(&img);
        CHECK_OK(resolve_bundle(bundle, "{\"io.seccomp-learn.image\":\"localhost/mine\"}", &img, &err), err);
        CHECK_STREQ(img.key, "docker.io/library/redis");
        CHECK(img.annotation_ignored);
        osl_image_clear(&img);
        CHECK_OK(resolve_bundle(bundle, "{\"io.seccomp-learn.image\":\"redis:6\"}", &img, &err), err);
        CHECK(!img.annotation_ignored); /* the same image */
        osl_image_clear(&img);

        /* Not a podman bundle: nothing to go on. */
        CHECK_ERR(resolve_bundle("storage/overlay-containers/not-an-id/userdata", "{}", &img, &err), -ENOENT, err,
                  "cannot tell which image this container runs: set the annotation");
        CHECK_ERR(resolve_bundle("storage", "{}", &img, &err), -ENOENT, err, "io.seccomp-learn.image=NAME");

        /* A container that is not listed. */
        mkdirs("storage/overlay-containers/4444444444444444444444444444444444444444444444444444444444444444/userdata");
        CHECK_ERR(resolve_bundle("storage/overlay-containers/"
                                 "4444444444444444444444444444444444444444444444444444444444444444/userdata",
                                 NULL, &img, &err),
                  -ENOENT, err, "container 4444444444444444444444444444444444444444444444444444444444444444 is not in");
        CHECK(strstr(err.msg, "io.seccomp-learn.image=NAME") != NULL);

        /* An image without a name, and without a digest. */
        write_file("storage/overlay-images/images.json", "[{\"id\":\"" IID "\",\"names\":[]}]");
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -ENOENT, err, "has no name");
        write_file("storage/overlay-images/images.json", "[{\"id\":\"" IID "\",\"names\":[\"quay.io/x/y\"]}]");
        CHECK_OK(resolve_bundle(bundle, NULL, &img, &err), err);
        CHECK_STREQ(img.key, "quay.io/x/y");
        CHECK(img.digest == NULL && img.tag == NULL);
        osl_image_clear(&img);

        /* Hostile or broken storage files. */
        write_file("storage/overlay-images/images.json", "[{\"id\":\"" IID "\",\"names\":[\"../../etc/passwd\"]}]");
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -EINVAL, err, "images.json: image");
        write_file("storage/overlay-images/images.json", "[{\"id\":\"" IID "\",\"names\":\"redis\"}]");
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -EINVAL, err, "\"names\": expected an array");
        write_file("storage/overlay-images/images.json",
                   "[{\"id\":\"" IID "\",\"names\":[\"redis\"],\"digest\":\"md5:x\"}]");
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -EINVAL, err, "\"digest\" is not a digest");
        write_file("storage/overlay-images/images.json", "{\"id\":\"" IID "\"}");
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -EINVAL, err, "images.json: expected an array");
        write_file("storage/overlay-images/images.json", "[{\"id\":5}]");
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -EINVAL, err, "images.json: [0].id: expected a string");
        write_file("storage/overlay-containers/containers.json", "[{\"id\":\"" CID "\",");
        CHECK(resolve_bundle(bundle, NULL, &img, &err) < 0);
        CHECK(strstr(err.msg, "containers.json") != NULL);
        write_file("storage/overlay-containers/containers.json", "[{\"id\":\"" CID "\",\"image\":\"\"}]");
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -ENOENT, err, "has no image");
        write_file("storage/overlay-containers/containers.json", "[{\"id\":\"" CID "\",\"image\":[]}]");
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -EINVAL, err, "\"image\": expected a string");
        CHECK(img.key == NULL);

        /* A file larger than anything containers/storage writes. */
        char path[512];
        snprintf(path, sizeof(path), "%s/storage/overlay-containers/containers.json", root);
        int fd = open(path, O_WRONLY | O_TRUNC);
        CHECK(fd >= 0 && ftruncate(fd, 65 * 1024 * 1024) == 0);
        if (fd >= 0)
                close(fd);
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -EFBIG, err, "containers.json");

        /* Missing images.json; another storage driver (vfs). */
        write_file("storage/overlay-containers/containers.json", "[{\"id\":\"" CID "\",\"image\":\"" IID "\"}]");
        write_file("storage/overlay-images/images.json", "");
        snprintf(path, sizeof(path), "%s/storage/overlay-images/images.json", root);
        unlink(path);
        CHECK_ERR(resolve_bundle(bundle, NULL, &img, &err), -ENOENT, err, "images.json does not exist");
        mkdirs("storage/vfs-containers/" CID "/userdata");
        mkdirs("storage/vfs-images");
        write_file("storage/vfs-containers/containers.json", "[{\"id\":\"" CID "\",\"image\":\"" IID "\"}]");
        write_file("storage/vfs-images/images.json", "[{\"id\":\"" IID "\",\"names\":[\"localhost/vfs-img:2\"]}]");
        CHECK_OK(resolve_bundle("storage/vfs-containers/" CID "/userdata", NULL, &img, &err), err);
        CHECK_STREQ(img.key, "localhost/vfs-img");
        osl_image_clear(&img);

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
}

/* ---- podman's precreate hook: the image from root.path ---- */

#define LAYER "5555555555555555555555555555555555555555555555555555555555555555"

static bool trust_annotation;

/* osl_image_resolve_config on {"root":{"path":ROOT/path_rel},"annotations":annotations}. */
static int resolve_root_path(const char *path_rel, const char *annotations, const char *bundle_rel, osl_image *img,
                             osl_error *err)
{
        char text[2048], bundle[512];
        snprintf(text, sizeof(text), "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"%s/%s\"},\"annotations\":%s}", root,
                 path_rel, annotations ? annotations : "{}");
        snprintf(bundle, sizeof(bundle), "%s/%s", root, bundle_rel ? bundle_rel : "");
        _cleanup_jv_ jv *cfg = parse(text);
        return osl_image_resolve_config(cfg, bundle_rel ? bundle : NULL, trust_annotation, img, err);
}

static void test_root_path(void)
{
        osl_error err = { 0 };
        osl_image img = { 0 };
        const char *merged = "storage/overlay/" LAYER "/merged";
        const char *meta = "\"metadata\":\"{\\\"image-name\\\":\\\"localhost/app:2\\\",\\\"name\\\":\\\"x\\\"}\"";
        char text[2048];

        strcpy(root, "/tmp/osl-image-test-XXXXXX");
        CHECK(mkdtemp(root) != NULL);
        mkdirs("storage/overlay/" LAYER "/merged");
        mkdirs("storage/overlay-containers/" CID "/userdata");
        mkdirs("storage/overlay-images");
        /* As podman 4.3 writes them: the container's entry names the layer
         * and, in its metadata, the name it was created from. */
        snprintf(text, sizeof(text),
                 "[{\"id\":\"3333333333333333333333333333333333333333333333333333333333333333\",\"image\":\"x\","
                 "\"layer\":\"6666666666666666666666666666666666666666666666666666666666666666\"},"
                 "{\"id\":\"" CID "\",\"names\":[\"happy_cat\"],\"image\":\"" IID "\",\"layer\":\"" LAYER "\",%s}]",
                 meta);
        write_file("storage/overlay-containers/containers.json", text);
        write_file("storage/overlay-images/images.json",
                   "[{\"id\":\"" IID "\",\"names\":[\"docker.io/library/redis:7\",\"localhost/app:2\"],"
                   "\"digest\":\"" SHA_A "\"}]");

        /* The name the container was created from, not the image's first. */
        CHECK_OK(resolve_root_path(merged, NULL, NULL, &img, &err), err);
        CHECK_STREQ(img.key, "localhost/app");
        CHECK_STREQ(img.name, "localhost/app:2");
        CHECK_STREQ(img.tag, "2");
        CHECK_STREQ(img.digest, SHA_A);
        CHECK_STREQ(img.source, "podman storage (root.path)");
        osl_image_clear(&img);
        CHECK_OK(resolve_root_path("storage/overlay/" LAYER "/merged/", NULL, NULL, &img, &err), err);
        CHECK_STREQ(img.key, "localhost/app");
        osl_image_clear(&img);

        /* The bundle (prestart) finds the same name; annotations come first. */
        CHECK_OK(resolve_root_path(merged, NULL, "storage/overlay-containers/" CID "/userdata", &img, &err), err);
        CHECK_STREQ(img.key, "localhost/app");
        CHECK_STREQ(img.source, "podman storage");
        osl_image_clear(&img);
        CHECK_OK(resolve_root_path(merged, "{\"io.seccomp-learn.image\":\"quay.io/me/mine\"}", NULL, &img, &err), err);
        CHECK_STREQ(img.key, "localhost/app");
        CHECK(img.annotation_ignored);
        osl_image_clear(&img);
        /* Unless the node admin trusts the annotation. */
        trust_annotation = true;
        CHECK_OK(resolve_root_path(merged, "{\"io.seccomp-learn.image\":\"quay.io/me/mine\"}", NULL, &img, &err), err);
        trust_annotation = false;
        CHECK_STREQ(img.key, "quay.io/me/mine");
        CHECK_STREQ(img.source, "annotation io.seccomp-learn.image");
        osl_image_clear(&img);
        CHECK_OK(resolve_root_path(merged, "{\"io.kubernetes.cri.image-name\":\"nginx:1\"}", NULL, &img, &err), err);
        CHECK_STREQ(img.key, "docker.io/library/nginx");
        osl_image_clear(&img);
        /* A bad annotation is an error, not a reason to look further. */
        CHECK_ERR(resolve_root_path(merged, "{\"io.seccomp-learn.image\":\"\"}", NULL, &img, &err), -EINVAL, err,
                  "io.seccomp-learn.image is empty");

        /* No usable metadata: the image's first name. */
        static const char *const no_name_metadata[] = {
                "",
                ",\"metadata\":\"\"",
                ",\"metadata\":\"{not json\"",
                ",\"metadata\":\"[1]\"",
                ",\"metadata\":7",
                ",\"metadata\":\"{\\\"image-name\\\":\\\"" IID "\\\"}\"", /* an ID, not a name */
                ",\"metadata\":\"{\\\"image-name\\\":\\\"../x\\\"}\"",
        };
        for (size_t i = 0; i < ELEMENTSOF(no_name_metadata); i++) {
                snprintf(text, sizeof(text), "[{\"id\":\"" CID "\",\"image\":\"" IID "\",\"layer\":\"" LAYER "\"%s}]",
                         no_name_metadata[i]);
                write_file("storage/overlay-containers/containers.json", text);
                CHECK_OK(resolve_root_path(merged, NULL, NULL, &img, &err), err);
                CHECK_STREQ(img.name, "docker.io/library/redis:7");
                CHECK_STREQ(img.digest, SHA_A);
                osl_image_clear(&img);
        }

        /* An image from an additional store is not in images.json: the
         * recorded name is enough, without a digest. Without it, nothing is. */
        snprintf(text, sizeof(text), "[{\"id\":\"" CID "\",\"image\":\"" IID "\",\"layer\":\"" LAYER "\",%s}]", meta);
        write_file("storage/overlay-containers/containers.json", text);
        write_file("storage/overlay-images/images.json", "[]");
        CHECK_OK(resolve_root_path(merged, NULL, NULL, &img, &err), err);
        CHECK_STREQ(img.key, "localhost/app");
        CHECK(img.digest == NULL);
        osl_image_clear(&img);
        char path[512];
        snprintf(path, sizeof(path), "%s/storage/overlay-images/images.json", root);
        CHECK(unlink(path) == 0);
        CHECK_OK(resolve_root_path(merged, NULL, NULL, &img, &err), err);
        CHECK_STREQ(img.key, "localhost/app");
        osl_image_clear(&img);
        write_file("storage/overlay-containers/containers.json",
                   "[{\"id\":\"" CID "\",\"image\":\"" IID "\",\"layer\":\"" LAYER "\"}]");
        CHECK_ERR(resolve_root_path(merged, NULL, NULL, &img, &err), -ENOENT, err, "images.json does not exist");
        CHECK(strstr(err.msg, "io.seccomp-learn.image=NAME") != NULL);
        /* A broken images.json is an error even with a recorded name. */
        write_file("storage/overlay-images/images.json", "{");
        snprintf(text, sizeof(text), "[{\"id\":\"" CID "\",\"image\":\"" IID "\",\"layer\":\"" LAYER "\",%s}]", meta);
        write_file("storage/overlay-containers/containers.json", text);
        CHECK(resolve_root_path(merged, NULL, NULL, &img, &err) < 0);
        CHECK(strstr(err.msg, "images.json") != NULL);
        write_file("storage/overlay-images/images.json", "[{\"id\":\"" IID "\",\"names\":[\"localhost/app:2\"]}]");

        /* Layers and containers that do not match. */
        CHECK_ERR(resolve_root_path("storage/overlay/6666666666666666666666666666666666666666666666666666666666666666/merged",
                                    NULL, NULL, &img, &err),
                  -ENOENT, err, "no container in");
        CHECK(strstr(err.msg, "has the layer 6666") != NULL);
        write_file("storage/overlay-containers/containers.json", "[{\"id\":\"" CID "\",\"image\":\"\",\"layer\":\"" LAYER "\"}]");
        CHECK_ERR(resolve_root_path(merged, NULL, NULL, &img, &err), -ENOENT, err,
                  "container " CID " has no image");
        write_file("storage/overlay-containers/containers.json", "[{\"id\":\"" CID "\",\"image\":\"" IID "\",\"layer\":5}]");
        CHECK_ERR(resolve_root_path(merged, NULL, NULL, &img, &err), -EINVAL, err, "containers.json: [0].layer: expected a string");
        write_file("storage/overlay-containers/containers.json", "{}");
        CHECK_ERR(resolve_root_path(merged, NULL, NULL, &img, &err), -EINVAL, err, "containers.json: expected an array");
        snprintf(path, sizeof(path), "%s/storage/overlay-containers/containers.json", root);
        CHECK(unlink(path) == 0);
        CHECK_ERR(resolve_root_path(merged, NULL, NULL, &img, &err), -ENOENT, err, "is a container layer, but");
        CHECK(strstr(err.msg, "overlay-containers/containers.json does not exist") != NULL);

        /* Not a containers/storage layer: the plain "set the annotation". */
        static const char *const not_layers[] = {
                "rootfs",
                "storage/overlay/" LAYER,                         /* overlay without /merged */
                "storage/overlay/" LAYER "/diff",
                "storage/xoverlay/" LAYER "/merged",              /* another driver's name */
                "storage/overlay/5555555555555555555555555555555555555555555555555555555555555555x/merged",
                "storage/overlay/555555555555555555555555555555555555555555555555555555555555555/merged",
                "storage/overlay/" LAYER "/../" LAYER "/merged", /* ".." names another place */
                "storage//overlay/./" LAYER "/merged",
                "storage/vfs/" LAYER,                             /* vfs keeps layers in dir/ */
        };
        for (size_t i = 0; i < ELEMENTSOF(not_layers); i++) {
                CHECK_ERR(resolve_root_path(not_layers[i], NULL, NULL, &img, &err), -ENOENT, err,
                          "cannot tell which image this container runs: set the annotation io.seccomp-learn.image=NAME");
                CHECK(img.key == NULL);
        }
        _cleanup_jv_ jv *relative = parse("{\"root\":{\"path\":\"rootfs\"}}");
        CHECK_ERR(osl_image_resolve_config(relative, NULL, false, &img, &err), -ENOENT, err, "set the annotation");
        _cleanup_jv_ jv *no_root = parse("{\"root\":{\"path\":7},\"annotations\":null}");
        CHECK_ERR(osl_image_resolve_config(no_root, NULL, false, &img, &err), -ENOENT, err, "set the annotation");
        CHECK_ERR(osl_image_resolve_config(NULL, NULL, false, &img, &err), -ENOENT, err, "set the annotation");
        _cleanup_jv_ jv *array = parse("[]");
        CHECK_ERR(osl_image_resolve_config(array, NULL, false, &img, &err), -EINVAL, err, "the config: expected an object");
        _cleanup_jv_ jv *bad_annotations = parse("{\"annotations\":[]}");
        CHECK_ERR(osl_image_resolve_config(bad_annotations, NULL, false, &img, &err), -EINVAL, err,
                  "annotations: expected an object");

        /* Other graph drivers keep the layer elsewhere under GRAPHROOT. */
        static const struct {
                const char *driver, *mount;
        } drivers[] = {
                { "vfs", "storage/vfs/dir/" LAYER },
                { "btrfs", "storage/btrfs/subvolumes/" LAYER },
                { "devicemapper", "storage/devicemapper/mnt/" LAYER "/rootfs" },
        };
        for (size_t i = 0; i < ELEMENTSOF(drivers); i++) {
                char rel[256];
                snprintf(rel, sizeof(rel), "storage/%s-containers", drivers[i].driver);
                mkdirs(rel);
                snprintf(rel, sizeof(rel), "storage/%s-images", drivers[i].driver);
                mkdirs(rel);
                snprintf(rel, sizeof(rel), "storage/%s-containers/containers.json", drivers[i].driver);
                write_file(rel, "[{\"id\":\"" CID "\",\"image\":\"" IID "\",\"layer\":\"" LAYER "\"}]");
                snprintf(rel, sizeof(rel), "storage/%s-images/images.json", drivers[i].driver);
                snprintf(text, sizeof(text), "[{\"id\":\"" IID "\",\"names\":[\"localhost/%s:1\"]}]", drivers[i].driver);
                write_file(rel, text);
                CHECK_OK(resolve_root_path(drivers[i].mount, NULL, NULL, &img, &err), err);
                snprintf(text, sizeof(text), "localhost/%s", drivers[i].driver);
                CHECK_STREQ(img.key, text);
                osl_image_clear(&img);
        }

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
}

/* ---- Docker: the image from dockerd's data root ---- */

/* As dockerd 20.10 lays it out: the bundle under the exec root, root.path
 * the overlay2 layer under the data root. */
#define DOCKER_BUNDLE "exec/containerd/daemon/io.containerd.runtime.v2.task/moby/" CID
#define DOCKER_MERGED "data/overlay2/" LAYER "/merged"

static void docker_container(const char *config_image, const char *mount_id)
{
        char text[1024];
        snprintf(text, sizeof(text), "{\"ID\":\"" CID "\",\"Image\":\"sha256:" IID "\",\"Config\":{\"Image\":\"%s\"}}",
                 config_image);
        write_file("data/containers/" CID "/config.v2.json", text);
        write_file("data/image/overlay2/layerdb/mounts/" CID "/mount-id", mount_id);
}

static void test_docker(void)
{
        osl_error err = { 0 };
        osl_image img = { 0 };

        strcpy(root, "/tmp/osl-image-test-XXXXXX");
        CHECK(mkdtemp(root) != NULL);
        mkdirs(DOCKER_BUNDLE);
        mkdirs(DOCKER_MERGED);
        mkdirs("data/containers/" CID);
        mkdirs("data/image/overlay2/layerdb/mounts/" CID);
        write_file("data/image/overlay2/repositories.json",
                   "{\"Repositories\":{\"localhost/other\":{\"localhost/other:1\":\"sha256:" IID "\"},"
                   "\"redis\":{\"redis:7\":\"sha256:" IID "\",\"redis@" SHA_A "\":\"sha256:" IID "\"},"
                   "\"nginx\":{\"nginx@sha256:" HEX_B "\":\"sha256:3333333333333333333333333333333333333333333333333333333333333333\"}}}");

        /* The name the container was created from; the digest of that
         * repository's reference to the image. */
        docker_container("redis:7", LAYER);
        CHECK_OK(resolve_root_path(DOCKER_MERGED, NULL, DOCKER_BUNDLE, &img, &err), err);
        CHECK_STREQ(img.key, "docker.io/library/redis");
        CHECK_STREQ(img.tag, "7");
        CHECK_STREQ(img.digest, SHA_A);
        CHECK_STREQ(img.source, "Docker's data root");
        osl_image_clear(&img);
        /* Docker's name wins over the annotation. */
        CHECK_OK(resolve_root_path(DOCKER_MERGED, "{\"io.seccomp-learn.image\":\"localhost/mine\"}", DOCKER_BUNDLE,
                                   &img, &err),
                 err);
        CHECK_STREQ(img.key, "docker.io/library/redis");
        CHECK(img.annotation_ignored);
        osl_image_clear(&img);
        /* The mount-id file as dockerd writes it has no newline; one is fine. */
        docker_container("localhost/other:1", LAYER "\n");
        CHECK_OK(resolve_root_path(DOCKER_MERGED, NULL, DOCKER_BUNDLE, &img, &err), err);
        CHECK_STREQ(img.key, "localhost/other");
        CHECK(img.digest == NULL);
        osl_image_clear(&img);

        /* Run by image ID (short, long, with sha256:): the image's first name. */
        const char *by_id[] = { "222222222222", IID, ("sha256:" IID) };
        for (size_t i = 0; i < ELEMENTSOF(by_id); i++) {
                docker_container(by_id[i], LAYER);
                CHECK_OK(resolve_root_path(DOCKER_MERGED, NULL, DOCKER_BUNDLE, &img, &err), err);
                CHECK_STREQ(img.key, "localhost/other");
                osl_image_clear(&img);
        }
        write_file("data/image/overlay2/repositories.json", "{\"Repositories\":{}}");
        docker_container("222222222222", LAYER);
        CHECK_ERR(resolve_root_path(DOCKER_MERGED, NULL, DOCKER_BUNDLE, &img, &err), -ENOENT, err,
                  "was created from image ID \"222222222222\", which has no name in");

        /* root.path that is not this container's layer is refused. */
        docker_container("redis:7", "6666666666666666666666666666666666666666666666666666666666666666");
        CHECK_ERR(resolve_root_path(DOCKER_MERGED, NULL, DOCKER_BUNDLE, &img, &err), -EINVAL, err,
                  "is not the layer of Docker container " CID);
        /* A broken config.v2.json is an error, not another image. */
        docker_container("redis:7", LAYER);
        write_file("data/containers/" CID "/config.v2.json", "{\"Image\":\"sha256:" IID "\"}");
        CHECK_ERR(resolve_root_path(DOCKER_MERGED, NULL, DOCKER_BUNDLE, &img, &err), -EINVAL, err,
                  "\"Config\".\"Image\"");

        /* Not Docker's: no layerdb entry for the bundle's ID, or a bundle
         * that is no container ID. The annotation decides then. */
        CHECK_OK(resolve_root_path(DOCKER_MERGED, "{\"io.seccomp-learn.image\":\"localhost/mine\"}",
                                   "exec/containerd/daemon/io.containerd.runtime.v2.task/moby", &img, &err),
                 err);
        CHECK_STREQ(img.key, "localhost/mine");
        osl_image_clear(&img);
        char path[512];
        snprintf(path, sizeof(path), "%s/data/image/overlay2/layerdb/mounts/" CID "/mount-id", root);
        CHECK(unlink(path) == 0);
        CHECK_ERR(resolve_root_path(DOCKER_MERGED, NULL, DOCKER_BUNDLE, &img, &err), -ENOENT, err,
                  "io.seccomp-learn.image=NAME");

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        CHECK(system(cmd) == 0);
}

/* ---- keys ---- */

static bool component_safe(const char *c)
{
        if (!*c || strcmp(c, ".") == 0 || strcmp(c, "..") == 0 || c[0] == '.' || strlen(c) > OSL_KEY_COMPONENT_MAX)
                return false;
        for (const unsigned char *p = (const unsigned char *) c; *p; p++)
                if (*p == '/' || *p < 0x20 || *p >= 0x7f)
                        return false;
        return true;
}

static void test_key_examples(void)
{
        static const struct {
                const char *key, *component;
        } table[] = {
                { "docker.io/library/redis", "docker.io%2Flibrary%2Fredis" },
                { "localhost:5000/a/b", "localhost%3A5000%2Fa%2Fb" },
                { "../x", "%2E.%2Fx" },
                { "/", "%2F" },
                { "a/b", "a%2Fb" },
                { "..", "%2E." },
                { ".", "%2E" },
                { ".hidden", "%2Ehidden" },
                { "\x01", "%01" },
                { "%2F", "%252F" },
                { "caf\xc3\xa9", "caf%C3%A9" },
                { "a b", "a%20b" },
                { "x.", "x." },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                osl_error err = { 0 };
                char *c = NULL, *back = NULL;
                CHECK_OK(osl_key_encode(table[i].key, &c, &err), err);
                CHECK_STREQ(c, table[i].component);
                CHECK(c && component_safe(c));
                CHECK_OK(osl_key_decode(c ? c : "", &back, &err), err);
                CHECK_STREQ(back, table[i].key);
                free(c);
                free(back);
        }

        osl_error err = { 0 };
        char *c = NULL;
        char long_key[OSL_KEY_COMPONENT_MAX + 2];
        memset(long_key, 'k', sizeof(long_key));
        long_key[OSL_KEY_COMPONENT_MAX] = '\0';
        CHECK_OK(osl_key_encode(long_key, &c, &err), err); /* exactly the maximum */
        CHECK(c && strlen(c) == OSL_KEY_COMPONENT_MAX);
        free(c);
        c = NULL;
        long_key[OSL_KEY_COMPONENT_MAX] = 'k';
        long_key[OSL_KEY_COMPONENT_MAX + 1] = '\0';
        CHECK_ERR(osl_key_encode(long_key, &c, &err), -ENAMETOOLONG, err, "longer than 240 bytes");
        char slashes[82];
        memset(slashes, '/', 80);
        slashes[80] = '\0';
        CHECK_OK(osl_key_encode(slashes, &c, &err), err); /* 80 * 3 = 240 */
        free(c);
        c = NULL;
        slashes[80] = '/';
        slashes[81] = '\0';
        CHECK_ERR(osl_key_encode(slashes, &c, &err), -ENAMETOOLONG, err, "encoded it would exceed 240 bytes");
        CHECK_ERR(osl_key_encode("", &c, &err), -EINVAL, err, "empty");
        CHECK_ERR(osl_key_encode(NULL, &c, &err), -EINVAL, err, "empty");
        CHECK(c == NULL);

        static const char *const bad_components[] = {
                "", ".", "..", ".x", "a/b", "%", "%2", "%2f", "%41", "%00", "a%2", "%ZZ", "\x01", "caf\xc3\xa9", "%2e.",
        };
        for (size_t i = 0; i < sizeof(bad_components) / sizeof(bad_components[0]); i++) {
                char *k = NULL;
                int r = osl_key_decode(bad_components[i], &k, &err);
                if (r != -EINVAL || k) {
                        fprintf(stderr, "decode of bad component %zu gave %d\n", i, r);
                        testing_failures++;
                }
                free(k);
        }
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Every key of up to three bytes from an alphabet of the characters that
 * matter, plus all single bytes: all encode to distinct safe components that
 * decode back. */
static void test_key_injective(void)
{
        static const char alphabet[] = { '.', '/', '%', '2', 'F', 'E', 'a', '-', '_', ':', '\x01', '\x7f', '\xc3', '\xff' };
        const size_t na = sizeof(alphabet);
        size_t cap = 255 + na + na * na + na * na * na, n = 0;
        char **encoded = calloc(cap, sizeof(char *));
        osl_error err = { 0 };

        CHECK(encoded != NULL);
        if (!encoded)
                return;
        for (size_t len = 1; len <= 3; len++) {
                size_t total = len == 1 ? na : len == 2 ? na * na : na * na * na;
                for (size_t idx = 0; idx < total; idx++) {
                        char key[4] = { 0 };
                        size_t x = idx;
                        for (size_t j = 0; j < len; j++, x /= na)
                                key[j] = alphabet[x % na];
                        char *c = NULL, *back = NULL;
                        if (osl_key_encode(key, &c, &err) < 0) {
                                fprintf(stderr, "encode failed: %s\n", err.msg);
                                testing_failures++;
                                continue;
                        }
                        CHECK(component_safe(c));
                        CHECK(osl_key_decode(c, &back, &err) == 0 && back && strcmp(back, key) == 0);
                        free(back);
                        encoded[n++] = c;
                }
        }
        for (int b = 1; b < 256; b++) {
                char key[2] = { (char) b, 0 };
                if (memchr(alphabet, b, na))
                        continue; /* already there */
                char *c = NULL, *back = NULL;
                CHECK_OK(osl_key_encode(key, &c, &err), err);
                if (!c)
                        continue;
                CHECK(component_safe(c));
                CHECK(osl_key_decode(c, &back, &err) == 0 && back && strcmp(back, key) == 0);
                free(back);
                encoded[n++] = c;
        }
        qsort(encoded, n, sizeof(char *), cmp_str);
        size_t dups = 0;
        for (size_t i = 1; i < n; i++)
                dups += strcmp(encoded[i - 1], encoded[i]) == 0;
        CHECK(dups == 0);
        CHECK(n > 2000);
        for (size_t i = 0; i < n; i++)
                free(encoded[i]);
        free(encoded);
}

int main(void)
{
        test_parse_ref();
        test_resolve_annotations();
        test_podman_storage();
        test_root_path();
        test_docker();
        test_key_examples();
        test_key_injective();
        return testing_result();
}
