/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal checks for the profile tests: every failed check prints where and
 * what, and the test exits 1 when any failed. */
#pragma once

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                          \
        do {                                                                                 \
                if (!(cond)) {                                                               \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
                        check_failures++;                                                    \
                }                                                                            \
        } while (0)

#define CHECK_STREQ(a, b)                                                                          \
        do {                                                                                       \
                const char *_a = (a), *_b = (b);                                                   \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
                        fprintf(stderr, "%s:%d: check failed: %s == %s (\"%s\" vs \"%s\")\n", __FILE__, \
                                __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");         \
                        check_failures++;                                                          \
                }                                                                                  \
        } while (0)

/* r must be the error code and err.msg must hold substr. */
#define CHECK_ERR(r, code, err, substr)                                                                 \
        do {                                                                                            \
                int _r = (r);                                                                           \
                if (_r != (code) || !strstr((err).msg, (substr))) {                                     \
                        fprintf(stderr, "%s:%d: expected %d with \"%s\", got %d: \"%s\"\n", __FILE__, __LINE__, \
                                (code), (substr), _r, (err).msg);                                       \
                        check_failures++;                                                               \
                }                                                                                       \
        } while (0)

#define CHECK_OK(r, err)                                                                                \
        do {                                                                                            \
                int _r = (r);                                                                           \
                if (_r < 0) {                                                                           \
                        fprintf(stderr, "%s:%d: %s failed (%d): %s\n", __FILE__, __LINE__, #r, _r, (err).msg); \
                        check_failures++;                                                               \
                }                                                                                       \
        } while (0)

static inline int check_exit(const char *name)
{
        if (check_failures) {
                fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
                return 1;
        }
        printf("%s: all checks passed\n", name);
        return 0;
}
