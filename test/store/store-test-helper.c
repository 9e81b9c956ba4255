/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper for the store's shell tests, so that they use our own code to
 * make inputs:
 *   store-test-helper obs PATH CONTAINER_ID START_TIME [SPEC...]
 *       writes an observation with osl_observation_write; SPEC is one of
 *       sys:ARCH:ORIGIN:NAME:COUNT  implied:ARCH:ORIGIN:NAME
 *       cap:NAME:EVIDENCE  image:KEY  tag:TAG  digest:DIGEST  end:TIME  partial
 *       sample,ARCH,ORIGIN,NAME,FIRST,LAST,PID,COMM (after the entry's sys:;
 *       '-' for a field that is absent, PID 0 for none)
 *   store-test-helper names
 *       prints "ARCH NAME" for every syscall libseccomp knows on the native
 *       architectures, native architecture first.
 *   store-test-helper drift STORE IMAGE_KEY VERSION OBSERVATION.json
 *       records the observation's drift with osl_store_record_drift, as the
 *       poststop hook does in complain mode, and prints
 *       "version=V syscalls=S capabilities=C duplicate=0|1". */
#include <string.h>

#include "observation.h"
#include "store.h"
#include "syscalls.h"

static int parse_origin(const char *s, osl_origin *out)
{
        for (unsigned i = 0; i < _OSL_ORIGIN_MAX; i++)
                if (strcmp(s, osl_origin_name((osl_origin) i)) == 0) {
                        *out = (osl_origin) i;
                        return 0;
                }
        return -EINVAL;
}

/* sample,ARCH,ORIGIN,NAME,FIRST,LAST,PID,COMM: commas, as times hold ':'. */
static int add_sample(osl_observation *o, const char *arg)
{
        _cleanup_free_ char *spec = strdup(arg);
        char *f[8] = {}, *save = NULL;
        int n = 0;
        osl_origin origin;

        if (!spec)
                return -ENOMEM;
        for (char *t = strtok_r(spec, ",", &save); t && n < 8; t = strtok_r(NULL, ",", &save))
                f[n++] = strcmp(t, "-") == 0 ? NULL : t;
        if (n != 8 || !f[1] || !f[2] || !f[3] || !f[6] || parse_origin(f[2], &origin) < 0)
                return -EINVAL;
        return osl_observation_add_sample(o, f[1], f[3], origin, f[4], f[5], strtoll(f[6], NULL, 10), f[7]);
}

static int write_observation(int argc, char **argv)
{
        _cleanup_observation_ osl_observation *o = osl_observation_new();
        osl_error err = {};

        if (argc < 5 || !o)
                return 2;
        o->container_id = strdup(argv[3]);
        o->start_time = strdup(argv[4]);
        o->method = strdup("manual");
        o->notifications = 0;
        for (int i = 5; i < argc; i++) {
                _cleanup_free_ char *spec = strdup(argv[i]);
                char *fields[6] = {}, *save = NULL;
                int n = 0, r = -EINVAL;
                osl_origin origin;

                if (strncmp(argv[i], "sample,", 7) == 0) {
                        if ((r = add_sample(o, argv[i])) == 0)
                                continue;
                        goto bad;
                }
                if (strcmp(argv[i], "partial") == 0) {
                        o->partial = true;
                        continue;
                }
                for (char *t = strtok_r(spec, ":", &save); t && n < 6; t = strtok_r(NULL, ":", &save))
                        fields[n++] = t;
                if (n == 0)
                        goto bad;
                if (strcmp(fields[0], "sys") == 0 && n == 5 && parse_origin(fields[2], &origin) == 0)
                        r = osl_observation_add(o, fields[1], fields[3], origin, strtoull(fields[4], NULL, 10), false);
                else if (strcmp(fields[0], "implied") == 0 && n == 4 && parse_origin(fields[2], &origin) == 0)
                        r = osl_observation_add(o, fields[1], fields[3], origin, 0, true);
                else if (strcmp(fields[0], "cap") == 0 && n >= 2)
                        r = osl_observation_add_capability(o, fields[1], n > 2 ? strchr(argv[i] + 4, ':') + 1 : NULL);
                else if (n >= 2 && strcmp(fields[0], "image") == 0)
                        r = (o->image_key = strdup(argv[i] + 6)) ? 0 : -ENOMEM;
                else if (n >= 2 && strcmp(fields[0], "tag") == 0)
                        r = (o->image_tag = strdup(argv[i] + 4)) ? 0 : -ENOMEM;
                else if (n >= 2 && strcmp(fields[0], "digest") == 0)
                        r = (o->image_digest = strdup(argv[i] + 7)) ? 0 : -ENOMEM;
                else if (n >= 2 && strcmp(fields[0], "end") == 0)
                        r = (o->end_time = strdup(argv[i] + 4)) ? 0 : -ENOMEM;
                if (r == 0)
                        continue;
        bad:
                fprintf(stderr, "store-test-helper: bad spec '%s'\n", argv[i]);
                return 2;
        }
        if (osl_observation_write(o, argv[2], &err) < 0) {
                fprintf(stderr, "store-test-helper: %s\n", err.msg);
                return 1;
        }
        return 0;
}

static int print_names(void)
{
        _cleanup_strv_ char **arches = NULL;
        size_t n_arches = 0;
        osl_error err = {};

        if (osl_arch_native_set(&arches, &n_arches, &err) < 0) {
                fprintf(stderr, "store-test-helper: %s\n", err.msg);
                return 1;
        }
        for (size_t a = 0; a < n_arches; a++) {
                _cleanup_strv_ char **names = NULL;
                size_t n = 0;
                if (osl_syscall_all_names(&arches[a], 1, &names, &n, &err) < 0) {
                        fprintf(stderr, "store-test-helper: %s\n", err.msg);
                        return 1;
                }
                for (size_t i = 0; i < n; i++)
                        printf("%s %s\n", arches[a], names[i]);
        }
        return 0;
}

static int record_drift(char **argv)
{
        _cleanup_observation_ osl_observation *o = NULL;
        _cleanup_store_ osl_store *s = NULL;
        osl_drift_result res;
        osl_error err = {};
        char *end;
        unsigned long version = strtoul(argv[4], &end, 10);

        if (*end || version > UINT32_MAX)
                return 2;
        if (osl_observation_load(argv[5], &o, &err) < 0 || osl_store_open(argv[2], true, &s, &err) < 0 ||
            osl_store_record_drift(s, argv[3], (uint32_t) version, o, &res, &err) < 0) {
                fprintf(stderr, "store-test-helper: %s\n", err.msg);
                return err.code == -ENOENT ? 3 : 1;
        }
        printf("version=%u syscalls=%zu capabilities=%zu duplicate=%d\n", res.version, res.added_syscalls,
               res.added_capabilities, res.duplicate);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 6 && strcmp(argv[1], "drift") == 0)
                return record_drift(argv);
        if (argc >= 2 && strcmp(argv[1], "obs") == 0)
                return write_observation(argc, argv);
        if (argc == 2 && strcmp(argv[1], "names") == 0)
                return print_names();
        fprintf(stderr, "usage: store-test-helper obs PATH ID START [SPEC...] | names | drift STORE KEY VERSION OBS\n");
        return 2;
}
