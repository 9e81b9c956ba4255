/* SPDX-License-Identifier: Apache-2.0 */
/* listenerMetadata: the string inject writes and the agent reads. */
#include <string.h>

#include "agent.h"
#include "testing.h"

static bool streq_null(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_round_trip(const char *key, const char *name, const char *tag, const char *digest,
                             const char *expected)
{
        osl_image in = { .key = (char *) key, .name = (char *) name, .tag = (char *) tag, .digest = (char *) digest };
        osl_image out = {};
        osl_error err = {};
        _cleanup_free_ char *s = NULL, *mode = NULL;

        int r = osl_agent_metadata_format(&in, "learn", &s, &err);
        CHECK(r == 0);
        if (r < 0) {
                fprintf(stderr, "  format: %s\n", err.msg);
                return;
        }
        if (expected && strcmp(s, expected) != 0) {
                fprintf(stderr, "  formatted \"%s\", expected \"%s\"\n", s, expected);
                testing_failures++;
        }
        r = osl_agent_metadata_parse(s, &out, &mode, &err);
        CHECK(r == 0);
        if (r < 0) {
                fprintf(stderr, "  parse of \"%s\": %s\n", s, err.msg);
                return;
        }
        CHECK(streq_null(out.key, key));
        CHECK(streq_null(out.name, name));
        CHECK(streq_null(out.tag, tag));
        CHECK(streq_null(out.digest, digest));
        CHECK(streq_null(mode, "learn"));
        CHECK(out.source && strcmp(out.source, "listenerMetadata") == 0);
        osl_image_clear(&out);
}

/* A string the agent must refuse; the message must mention `needle`. */
static void check_parse_fails(const char *s, const char *needle)
{
        osl_image out = { .key = (char *) "left over" };
        osl_error err = {};
        char *mode = (char *) "left over";
        int r = osl_agent_metadata_parse(s, &out, &mode, &err);
        if (r >= 0) {
                fprintf(stderr, "parse of \"%s\" succeeded, expected a failure\n", s);
                testing_failures++;
                osl_image_clear(&out);
                free(mode);
                return;
        }
        CHECK(r == -EINVAL || r == -E2BIG);
        CHECK(!out.key && !out.name && !out.tag && !out.digest);
        CHECK(mode == NULL);
        if (!strstr(err.msg, needle)) {
                fprintf(stderr, "parse of \"%.60s\": message \"%s\" does not mention \"%s\"\n", s, err.msg, needle);
                testing_failures++;
        }
}

static void check_parse(const char *s, const char *key, const char *tag)
{
        osl_image out = {};
        osl_error err = {};
        int r = osl_agent_metadata_parse(s, &out, NULL, &err);
        if (r < 0) {
                fprintf(stderr, "parse of \"%s\" failed: %s\n", s, err.msg);
                testing_failures++;
                return;
        }
        CHECK(streq_null(out.key, key));
        CHECK(streq_null(out.tag, tag));
        osl_image_clear(&out);
}

int main(void)
{
        check_round_trip("docker.io/library/redis", "docker.io/library/redis:7", "7", "sha256:0123abcd",
                         "v1;mode=learn;key=docker.io/library/redis;name=docker.io/library/redis:7;tag=7;"
                         "digest=sha256:0123abcd");
        check_round_trip("localhost:5000/team/app", NULL, NULL, NULL, "v1;mode=learn;key=localhost:5000/team/app");
        /* Every byte that has a meaning in the format, plus UTF-8 and space. */
        check_round_trip("a;b=c%d e\xc3\xa9\t~", "n;=%", NULL, NULL,
                         "v1;mode=learn;key=a%3Bb%3Dc%25d%20e%C3%A9%09~;name=n%3B%3D%25");

        /* format refuses what parse would refuse */
        {
                osl_error err = {};
                char *s = NULL;
                osl_image no_key = { .name = (char *) "x" };
                CHECK(osl_agent_metadata_format(&no_key, "learn", &s, &err) == -EINVAL && !s);
                CHECK(strstr(err.msg, "image key") != NULL);
                osl_image empty_tag = { .key = (char *) "k", .tag = (char *) "" };
                CHECK(osl_agent_metadata_format(&empty_tag, "learn", &s, &err) == -EINVAL && !s);
                CHECK(strstr(err.msg, "tag") != NULL);
                osl_image ok = { .key = (char *) "k" };
                CHECK(osl_agent_metadata_format(&ok, NULL, &s, &err) == -EINVAL && !s);
                char big[OSL_AGENT_METADATA_MAX];
                memset(big, 'k', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                osl_image huge = { .key = big };
                CHECK(osl_agent_metadata_format(&huge, "learn", &s, &err) == -E2BIG && !s);
        }

        check_parse("v1;mode=learn;key=x;future=anything%20at;all=1", "x", NULL);
        check_parse("v1;key=a%3bb;tag=t;mode=learn", "a;b", "t"); /* order free, lower-case hex */

        check_parse_fails("", "empty");
        check_parse_fails("v2;mode=learn;key=x", "does not start with \"v1;\"");
        check_parse_fails("v1x;mode=learn;key=x", "does not start with");
        check_parse_fails("mode=learn;key=x", "does not start with");
        check_parse_fails("v1;mode=learn", "no key field");
        check_parse_fails("v1", "no key field");
        check_parse_fails("v1;key=x", "no mode field");
        check_parse_fails("v1;mode=learn;key=x;key=y", "key appears twice");
        check_parse_fails("v1;mode=learn;key=a%2", "two hex digits");
        check_parse_fails("v1;mode=learn;key=a%zz", "two hex digits");
        check_parse_fails("v1;mode=learn;key=a%00b", "%00");
        check_parse_fails("v1;mode=learn;key=a b", "0x20");
        check_parse_fails("v1;mode=learn;key=", "key is empty");
        check_parse_fails("v1;mode=learn;key=x;", "has no '='");
        check_parse_fails("v1;mode=learn;;key=x", "has no '='");
        check_parse_fails("v1;mode=learn;key=a=b", "0x3d");
        {
                size_t n = OSL_AGENT_METADATA_MAX + 100;
                char *s = malloc(n + 1);
                CHECK(s != NULL);
                if (s) {
                        strcpy(s, "v1;mode=learn;key=");
                        memset(s + strlen(s), 'k', n - strlen(s));
                        s[n] = '\0';
                        check_parse_fails(s, "more than");
                        free(s);
                }
        }

        return testing_result();
}
