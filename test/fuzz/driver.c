/* SPDX-License-Identifier: Apache-2.0 */
/* Runs a fuzz target without libFuzzer: every file named on the command
 * line, and every file in every directory named, goes through
 * LLVMFuzzerTestOneInput once. A crash (or a failed property: abort) fails
 * the test; sanitizers in the build catch what they catch. */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static size_t run_file(const char *path)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        osl_error err = {};

        if (osl_read_file(path, 64u << 20, &buf, &len, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                exit(2);
        }
        fprintf(stderr, "input %s (%zu bytes)\n", path, len);
        LLVMFuzzerTestOneInput((const uint8_t *) buf, len);
        return 1;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static size_t run_dir(const char *dir)
{
        _cleanup_strv_ char **names = NULL;
        size_t n = 0, done = 0;
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d) {
                fprintf(stderr, "cannot open %s: %m\n", dir);
                exit(2);
        }
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && osl_strv_push(&names, &n, de->d_name) < 0)
                        abort();
        closedir(d);
        if (n > 1)
                qsort(names, n, sizeof(*names), name_cmp);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (osl_asprintf(&path, "%s/%s", dir, names[i]) < 0)
                        abort();
                done += run_file(path);
        }
        return done;
}

int main(int argc, char **argv)
{
        size_t done = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "cannot stat %s: %m\n", argv[i]);
                        return 2;
                }
                done += S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
        }
        if (done == 0) {
                fprintf(stderr, "no inputs\n");
                return 2;
        }
        printf("%zu inputs ran\n", done);
        return 0;
}
