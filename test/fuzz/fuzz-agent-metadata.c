/* SPDX-License-Identifier: Apache-2.0 */
/* listenerMetadata (lib/agent.h): osl_agent_metadata_parse on the input;
 * what parses must format (osl_agent_metadata_format) and parse back to the
 * same fields. */
#include <string.h>

#include "agent.h"
#include "fuzz.h"

static bool same(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_strndup(data, size);
        _cleanup_free_ char *mode = NULL, *mode2 = NULL, *text = NULL;
        osl_image img = {}, img2 = {};
        osl_error err = {};

        if (osl_agent_metadata_parse(s, &img, &mode, &err) < 0)
                return 0;
        if (osl_agent_metadata_format(&img, mode, &text, &err) < 0) {
                /* Only a longer encoding than the limit may fail. */
                if (err.code != -E2BIG)
                        fuzz_fail("parsed metadata does not format: %s", err.msg);
                osl_image_clear(&img);
                return 0;
        }
        if (osl_agent_metadata_parse(text, &img2, &mode2, &err) < 0)
                fuzz_fail("formatted metadata does not parse: %s", err.msg);
        if (!same(img.key, img2.key) || !same(img.name, img2.name) || !same(img.tag, img2.tag) ||
            !same(img.digest, img2.digest) || !same(mode, mode2))
                fuzz_fail("metadata changed in a format and parse round trip");
        osl_image_clear(&img);
        osl_image_clear(&img2);
        return 0;
}
