/* SPDX-License-Identifier: Apache-2.0 */
/* Test support shared by the C tests: a failed check prints where and what,
 * counts, and the test goes on; main() ends with `return testing_result();`,
 * which exits 1 when any check failed. */
#pragma once

#include <stdio.h>
#include <string.h>

static int testing_failures;

/* Reports a failed check; what names it, the rest is a printf message. */
#define TESTING_FAIL(what, ...)                                                               \
        do {                                                                                  \
                fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, what);      \
                fprintf(stderr, __VA_ARGS__);                                                 \
                fputc('\n', stderr);                                                          \
                testing_failures++;                                                           \
        } while (0)

#define CHECK_MSG(cond, ...)                                                                  \
        do {                                                                                  \
                if (!(cond))                                                                  \
                        TESTING_FAIL(#cond, __VA_ARGS__);                                     \
        } while (0)
#define CHECK(cond) CHECK_MSG(cond, "%s", "")

/* Both strings are non-NULL and equal. */
#define CHECK_STREQ(a, b)                                                                     \
        do {                                                                                  \
                const char *_a = (a), *_b = (b);                                              \
                if (!_a || !_b || strcmp(_a, _b) != 0)                                        \
                        TESTING_FAIL(#a " == " #b, "\"%s\" != \"%s\"", _a ? _a : "(null)",    \
                                     _b ? _b : "(null)");                                     \
        } while (0)

/* haystack is non-NULL and contains needle. */
#define CHECK_CONTAINS(haystack, needle)                                                      \
        do {                                                                                  \
                const char *_h = (haystack), *_n = (needle);                                  \
                if (!_h || !strstr(_h, _n))                                                   \
                        TESTING_FAIL(#haystack " contains " #needle,                          \
                                     "\"%s\" does not contain \"%s\"", _h ? _h : "(null)", _n); \
        } while (0)

/* expr, a call that fills the osl_error err, returned 0 or more. */
#define CHECK_OK(expr, err)                                                                   \
        do {                                                                                  \
                int _r = (expr);                                                              \
                if (_r < 0)                                                                   \
                        TESTING_FAIL(#expr, "returned %d: %s", _r, (err).msg);                \
        } while (0)

/* expr returned code and left a message in the osl_error err that contains substr. */
#define CHECK_ERR(expr, code, err, substr)                                                    \
        do {                                                                                  \
                int _r = (expr);                                                              \
                if (_r != (code) || !strstr((err).msg, (substr)))                             \
                        TESTING_FAIL(#expr, "expected %d with \"%s\", got %d: \"%s\"", (code), \
                                     (substr), _r, (err).msg);                                \
        } while (0)

static inline int testing_result(void)
{
        if (testing_failures) {
                fprintf(stderr, "%d checks failed\n", testing_failures);
                return 1;
        }
        printf("all checks passed\n");
        return 0;
}
