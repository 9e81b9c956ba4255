/* SPDX-License-Identifier: Apache-2.0 */
/* A few lines of test support: count failures, report where, go on. */
#pragma once

#include <stdio.h>
#include <string.h>

static int testing_failures;

#define CHECK_MSG(cond, ...)                                                                  \
        do {                                                                                  \
                if (!(cond)) {                                                                \
                        fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                                         \
                        fputc('\n', stderr);                                                  \
                        testing_failures++;                                                   \
                }                                                                             \
        } while (0)
#define CHECK(cond) CHECK_MSG(cond, "%s", "")
#define CHECK_STREQ(a, b)                                                                     \
        do {                                                                                  \
                const char *_a = (a), *_b = (b);                                              \
                CHECK_MSG(_a && _b && strcmp(_a, _b) == 0, "\"%s\" != \"%s\"", _a ? _a : "(null)", \
                          _b ? _b : "(null)");                                                \
        } while (0)

static inline int testing_result(void)
{
        if (testing_failures)
                fprintf(stderr, "%d checks failed\n", testing_failures);
        return testing_failures ? 1 : 0;
}
