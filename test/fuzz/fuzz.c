/* SPDX-License-Identifier: Apache-2.0 */
#include "fuzz.h"

#include <fcntl.h>
#include <ftw.h>
#include <string.h>

#include "oci_config.h"
#include "store.h"

char *fuzz_strndup(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        if (!s)
                abort();
        if (size)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

void fuzz_fail(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        fputs("fuzz: property failed: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        abort();
}

static char **tmpdirs;
static size_t n_tmpdirs;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        remove(path);
        return 0;
}

static void remove_tmpdirs(void)
{
        for (size_t i = 0; i < n_tmpdirs; i++) {
                nftw(tmpdirs[i], remove_one, 16, FTW_DEPTH | FTW_PHYS);
                free(tmpdirs[i]);
        }
        free(tmpdirs);
}

char *fuzz_tmpdir(void)
{
        const char *base = getenv("TMPDIR");
        char *dir = NULL;

        if (osl_asprintf(&dir, "%s/osl-fuzz-XXXXXX", base && *base ? base : "/tmp") < 0 || !mkdtemp(dir))
                fuzz_fail("cannot make a temporary directory: %m");
        if (n_tmpdirs == 0)
                atexit(remove_tmpdirs);
        char **n = realloc(tmpdirs, (n_tmpdirs + 1) * sizeof(*n));
        if (!n)
                abort();
        tmpdirs = n;
        tmpdirs[n_tmpdirs++] = dir;
        return dir;
}

void fuzz_write_file(const char *path, const void *data, size_t len)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        const char *p = data;
        if (fd < 0)
                fuzz_fail("cannot write %s: %m", path);
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n <= 0)
                        fuzz_fail("cannot write %s: %m", path);
                p += n;
                len -= (size_t) n;
        }
}

const char *fuzz_store(void)
{
        static char *root;
        static const char *const names[] = { "read", "write", "openat", "close", "execve", "mmap", "exit_group" };
        _cleanup_store_ osl_store *s = NULL;
        _cleanup_observation_ osl_observation *o = osl_observation_new();
        osl_merge_result res;
        osl_error err = {};

        if (root)
                return root;
        root = fuzz_tmpdir();
        if (!o || !(o->container_id = strdup("fuzz")) || !(o->start_time = strdup("2026-11-30T00:00:00.000Z")) ||
            !(o->end_time = strdup("2026-11-30T00:00:01.000Z")) || !(o->method = strdup("notify")) ||
            !(o->image_key = strdup(FUZZ_IMAGE_KEY)) || !(o->image_tag = strdup("7")))
                abort();
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (osl_observation_add(o, "SCMP_ARCH_X86_64", names[i],
                                        i < 4 ? OSL_ORIGIN_RUNTIME : OSL_ORIGIN_APPLICATION, 3, false) < 0)
                        abort();
        if (osl_observation_add_capability(o, "CAP_NET_BIND_SERVICE", "bind(port 80)") < 0)
                abort();
        if (osl_store_open(root, true, &s, &err) < 0 || osl_store_merge(s, FUZZ_IMAGE_KEY, o, &res, &err) < 0)
                fuzz_fail("cannot make the store: %s", err.msg);
        return root;
}

void fuzz_config_round_trip(const jv *cfg)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_jv_ jv *again = NULL;
        size_t len;
        osl_error err = {};

        if (jv_serialize(cfg, false, &text, &len, &err) < 0)
                fuzz_fail("serialize: %s", err.msg);
        if (osl_config_parse(text, len, "serialized", &again, &err) < 0)
                fuzz_fail("the serialized config does not parse: %s", err.msg);
        if (!jv_equal(cfg, again))
                fuzz_fail("the serialized config reads back different");
}
