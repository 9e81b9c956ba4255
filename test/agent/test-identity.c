/* SPDX-License-Identifier: Apache-2.0 */
/* osl_instance_key: the name the agent and the hooks give one container
 * instance in the run dir (doc/agent.md, "One identity per container"). */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "rundir.h"
#include "testing.h"

static const char *key_of(const char *id, const char *bundle, char out[static OSL_INSTANCE_KEY_SIZE])
{
        osl_error err = {};
        if (osl_instance_key(id, bundle, out, &err) < 0) {
                TESTING_FAIL("osl_instance_key", "%s", err.msg);
                out[0] = '\0';
        }
        return out;
}

int main(void)
{
        char a[OSL_INSTANCE_KEY_SIZE], b[OSL_INSTANCE_KEY_SIZE];
        osl_error err = {};

        /* "<id>-" and the first 16 hex digits of sha256(bundle): what
         * `printf %s /nonexistent/bundle | sha256sum` says. */
        CHECK_STREQ(key_of("redis1", "/nonexistent/bundle", a), "redis1-1f73427d33ef4964");
        /* No bundle hashes as the empty string. */
        CHECK_STREQ(key_of("redis1", NULL, a), "redis1-e3b0c44298fc1c14");
        CHECK_STREQ(key_of("redis1", "", a), "redis1-e3b0c44298fc1c14");

        /* The same id from two runc roots (two bundles): two instances. */
        key_of("same", "/run/a/same", a);
        key_of("same", "/run/b/same", b);
        CHECK_MSG(strcmp(a, b) != 0, "%s for both bundles", a);
        /* Two ids, one bundle: two instances. */
        key_of("one", "/run/a/x", a);
        key_of("two", "/run/a/x", b);
        CHECK_MSG(strcmp(a, b) != 0, "%s and %s", a, b);

        /* The longest id fits. */
        char id[129];
        memset(id, 'i', 128);
        id[128] = '\0';
        key_of(id, "/b", a);
        CHECK_MSG(strlen(a) == 128 + 1 + OSL_INSTANCE_HASH_LEN && strncmp(a, id, 128) == 0, "%s", a);

        /* An id that is not a safe file name is refused, quoted. */
        CHECK_ERR(osl_instance_key("../etc", "/b", a, &err), -EINVAL, err, "\"../etc\" is not a safe file name");
        CHECK_ERR(osl_instance_key("a\nb", "/b", a, &err), -EINVAL, err, "\"a\\x0ab\"");
        CHECK_ERR(osl_instance_key(NULL, "/b", a, &err), -EINVAL, err, "not a safe file name");

        /* A bundle reached through a symlink, or spelled with "//" and a
         * trailing '/', is the directory runc reports (its getcwd). */
        char tmpl[] = "/tmp/osl-identity-XXXXXX", real[PATH_MAX], link[PATH_MAX], odd[PATH_MAX];
        CHECK(mkdtemp(tmpl) != NULL);
        snprintf(real, sizeof(real), "%s/real", tmpl);
        snprintf(link, sizeof(link), "%s/link", tmpl);
        snprintf(odd, sizeof(odd), "%s//real/", tmpl);
        CHECK(mkdir(real, 0700) == 0);
        CHECK(symlink("real", link) == 0);
        key_of("c", real, a);
        CHECK_STREQ(key_of("c", link, b), a);
        CHECK_STREQ(key_of("c", odd, b), a);
        /* Gone, or relative: the string as given (the same string always
         * gives the same key). */
        CHECK(unlink(link) == 0 && rmdir(real) == 0 && rmdir(tmpl) == 0);
        CHECK_STREQ(key_of("c", real, b), a);
        key_of("c", "real", a);
        CHECK_STREQ(key_of("c", "real", b), a);
        return testing_result();
}
