/* SPDX-License-Identifier: Apache-2.0 */
/* What lib/registry.c and lib/contribution.c decide without a registry:
 * which references are taken and how (host, repository, tag, http only on
 * the loopback), and how another node's profile becomes an observation. The
 * HTTP side is test/integration/registry.bats, against a real registry. */
#include <string.h>

#include "contribution.h"
#include "registry.h"
#include "testing.h"

static void check_ref(const char *ref, const char *host, const char *repo, const char *tag)
{
        osl_registry_options o = {};
        osl_registry *r = NULL;
        osl_error err = {};
        CHECK_OK(osl_registry_open(ref, &o, &r, &err), err);
        if (!r)
                return;
        CHECK_STREQ(osl_registry_host(r), host);
        CHECK_STREQ(osl_registry_repository(r), repo);
        if (tag)
                CHECK_STREQ(osl_registry_tag(r), tag);
        else
                CHECK(osl_registry_tag(r) == NULL);
        osl_registry_close(r);
}

static void check_bad_ref(const char *ref, const char *needle)
{
        osl_registry_options o = {};
        osl_registry *r = NULL;
        osl_error err = {};
        CHECK_ERR(osl_registry_open(ref, &o, &r, &err), -EINVAL, err, needle);
        CHECK(r == NULL);
}

static void test_references(void)
{
        static const char digest[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char ref[256];

        check_ref("127.0.0.1:5000/busybox:v1", "127.0.0.1:5000", "busybox", "v1");
        check_ref("registry.example/team/app", "registry.example", "team/app", "latest");
        check_ref("localhost/a_b/c-d.e:1.0-rc_1", "localhost", "a_b/c-d.e", "1.0-rc_1");
        check_ref("[::1]:5000/app:v2", "[::1]:5000", "app", "v2");
        snprintf(ref, sizeof(ref), "registry.example:443/app:v1@%s", digest);
        check_ref(ref, "registry.example:443", "app", NULL);

        check_bad_ref("busybox", "expected HOST[:PORT]/REPOSITORY");
        check_bad_ref("/busybox", "expected HOST[:PORT]/REPOSITORY");
        check_bad_ref("library/busybox:v1", "library is not a registry host");
        check_bad_ref("registry.example/App:v1", "is not a repository name");
        check_bad_ref("registry.example/app/:v1", "is not a repository name");
        check_bad_ref("registry.example/a..b", "is not a repository name");
        check_bad_ref("registry.example/app:-v1", "is not a tag");
        check_bad_ref("registry.example/app@sha256:abc", "the digest must be sha256");
        check_bad_ref("reg\nistry.example/app", "is not a registry host");
}

static void test_contribution(void)
{
        static const char profile[] =
                "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
                "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
                "\"syscalls\":[{\"names\":[\"mkdir\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
        osl_contribution c = {
                .source = "registry:127.0.0.1:5000/app@sha256:aa",
                .time = "2026-11-30T01:02:03Z",
                .image_tag = "v1",
                .image_digest = "sha256:bb",
                .profile = profile,
                .len = strlen(profile),
        };
        osl_observation *o = NULL;
        osl_error err = {};

        CHECK_OK(osl_contribution_observation("localhost/app", &c, &o, &err), err);
        if (o) {
                CHECK_STREQ(o->container_id, c.source);
                CHECK_STREQ(o->start_time, c.time);
                CHECK_STREQ(o->image_key, "localhost/app");
                CHECK_STREQ(o->image_tag, "v1");
                CHECK_STREQ(o->image_digest, "sha256:bb");
                /* Each name on each architecture. */
                CHECK(o->n_syscalls == 4);
                for (size_t i = 0; i < o->n_syscalls; i++)
                        CHECK(o->syscalls[i].origin == OSL_ORIGIN_APPLICATION && o->syscalls[i].count == 1);
                osl_observation_free(o);
                o = NULL;
        }

        /* No usable time: the epoch, so that the same artifact is one
         * contribution whenever it is pulled. */
        c.time = "yesterday";
        CHECK_OK(osl_contribution_observation("localhost/app", &c, &o, &err), err);
        if (o)
                CHECK_STREQ(o->start_time, "1970-01-01T00:00:00Z");
        osl_observation_free(o);
        o = NULL;

        static const char conditional[] =
                "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                "\"syscalls\":[{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
                "\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]}]}";
        c.profile = conditional;
        c.len = strlen(conditional);
        CHECK_ERR(osl_contribution_observation("localhost/app", &c, &o, &err), -EINVAL, err,
                  "with argument conditions");
        CHECK(o == NULL);

        static const char denial[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
                                     "\"syscalls\":[{\"names\":[\"mount\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
        c.profile = denial;
        c.len = strlen(denial);
        CHECK_ERR(osl_contribution_observation("localhost/app", &c, &o, &err), -EINVAL, err,
                  "is not a plain allow rule (SCMP_ACT_ERRNO)");

        c.profile = "[1]";
        c.len = 3;
        CHECK_ERR(osl_contribution_observation("localhost/app", &c, &o, &err), -EINVAL, err,
                  "is not a seccomp profile");
        CHECK(o == NULL);
}

int main(void)
{
        test_references();
        test_contribution();
        return testing_result();
}
