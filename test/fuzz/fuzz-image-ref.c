/* SPDX-License-Identifier: Apache-2.0 */
/* Image references and image keys: osl_image_parse_ref (annotations,
 * CRI names, podman's names), the key's directory name (osl_key_encode),
 * which must decode to the key, and the OCI layout name and digest checks. */
#include <string.h>

#include "fuzz.h"
#include "image.h"
#include "oci_layout.h"

static void key_round_trip(const char *key)
{
        _cleanup_free_ char *component = NULL, *back = NULL;
        osl_error err = {};

        if (osl_key_encode(key, &component, &err) < 0)
                return;
        if (strlen(component) > OSL_KEY_COMPONENT_MAX || strchr(component, '/') || strcmp(component, ".") == 0 ||
            strcmp(component, "..") == 0)
                fuzz_fail("key encodes to an unsafe name");
        if (osl_key_decode(component, &back, &err) < 0)
                fuzz_fail("an encoded key does not decode: %s", err.msg);
        if (strcmp(back, key) != 0)
                fuzz_fail("a key changed in an encode and decode round trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *s = fuzz_strndup(data, size);
        _cleanup_free_ char *key = NULL;
        osl_image img = {};
        osl_error err = {};

        if (osl_image_parse_ref(s, &img, &err) == 0) {
                if (!img.key || !*img.key)
                        fuzz_fail("a parsed reference has no key");
                key_round_trip(img.key);
                osl_image_clear(&img);
        }
        if (*s)
                key_round_trip(s);
        if (osl_key_decode(s, &key, &err) == 0)
                key_round_trip(key);
        (void) osl_oci_ref_name_valid(s);
        (void) osl_oci_digest_is_sha256(s);
        return 0;
}
