/* SPDX-License-Identifier: Apache-2.0 */
/* lib/sha256.c against the FIPS 180-2 / NIST example vectors, lengths around
 * the padding boundaries (55/56 and 119/120 bytes), and incremental updates
 * split at every awkward place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "testing.h"

#define CHECK_HEX(got, want, what)                                                            \
        do {                                                                                  \
                if (strcmp((got), (want)) != 0)                                               \
                        TESTING_FAIL(what, "got %s, want %s", (got), (want));                 \
        } while (0)

static void to_hex(const uint8_t d[OSL_SHA256_SIZE], char out[OSL_SHA256_HEX_SIZE])
{
        for (size_t i = 0; i < OSL_SHA256_SIZE; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Hashes data in pieces of `step` bytes. */
static void hex_in_steps(const void *data, size_t len, size_t step, char out[OSL_SHA256_HEX_SIZE])
{
        osl_sha256_ctx c;
        uint8_t d[OSL_SHA256_SIZE];
        const char *p = data;

        osl_sha256_init(&c);
        for (size_t off = 0; off < len; off += step)
                osl_sha256_update(&c, p + off, len - off < step ? len - off : step);
        osl_sha256_final(&c, d);
        to_hex(d, out);
}

int main(void)
{
        static const struct {
                const char *what, *input, *digest;
        } vectors[] = {
                { "empty string", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { "\"abc\"", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
                { "448-bit message", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
                { "896-bit message",
                  "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
        };
        /* sha256 of n bytes of 'a' (Python's hashlib). */
        static const struct {
                size_t n;
                const char *digest;
        } lengths[] = {
                { 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
                { 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
                { 57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6" },
                { 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
                { 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
                { 65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0" },
                { 111, "6374f73208854473827f6f6a3f43b1f53eaa3b82c21c1a6d69a2110b2a79baad" },
                { 112, "f54353008a2553262ecdc4a34749563ba0950e8b0fc8652780b0a614b99683c1" },
                { 119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb" },
                { 120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c" },
                { 127, "c57e9278af78fa3cab38667bef4ce29d783787a2f731d4e12200270f0c32320a" },
                { 128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e" },
                { 129, "c12cb024a2e5551cca0e08fce8f1c5e314555cc3fef6329ee994a3db752166ae" },
        };
        static const char million_a[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
        static const size_t steps[] = { 1, 3, 55, 63, 64, 65, 127, 1000, 4096 };
        char hex[OSL_SHA256_HEX_SIZE];
        uint8_t d[OSL_SHA256_SIZE];

        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                size_t len = strlen(vectors[i].input);
                osl_sha256_hex(vectors[i].input, len, hex);
                CHECK_HEX(hex, vectors[i].digest, vectors[i].what);
                osl_sha256(vectors[i].input, len, d);
                to_hex(d, hex);
                CHECK_HEX(hex, vectors[i].digest, vectors[i].what);
                for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
                        hex_in_steps(vectors[i].input, len, steps[s], hex);
                        CHECK_HEX(hex, vectors[i].digest, vectors[i].what);
                }
        }

        char *a = malloc(1000000);
        if (!a) {
                fprintf(stderr, "out of memory\n");
                return 1;
        }
        memset(a, 'a', 1000000);
        for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
                char what[64];
                snprintf(what, sizeof(what), "%zu bytes of 'a'", lengths[i].n);
                osl_sha256_hex(a, lengths[i].n, hex);
                CHECK_HEX(hex, lengths[i].digest, what);
                for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
                        hex_in_steps(a, lengths[i].n, steps[s], hex);
                        CHECK_HEX(hex, lengths[i].digest, what);
                }
        }
        osl_sha256_hex(a, 1000000, hex);
        CHECK_HEX(hex, million_a, "a million 'a'");
        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
                hex_in_steps(a, 1000000, steps[s], hex);
                CHECK_HEX(hex, million_a, "a million 'a', in pieces");
        }
        free(a);

        /* Every byte value, so that no sign extension of a char slips by. */
        uint8_t all[1024];
        for (size_t i = 0; i < sizeof(all); i++)
                all[i] = (uint8_t) i;
        osl_sha256_hex(all, sizeof(all), hex);
        CHECK_HEX(hex, "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9", "bytes 0..255, 4 times");

        return testing_result();
}
