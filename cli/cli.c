/* SPDX-License-Identifier: Apache-2.0 */
/* What every subcommand of `profile` shares: usage errors, JSON on stdout,
 * the store key of an image argument. */
#include <stdarg.h>
#include <string.h>

#include "commands.h"
#include "image.h"
#include "json.h"

int osl_cli_usage_error(const char *command, const char *sub, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        fprintf(stderr, "oci-seccomp-learn %s%s%s: %s (see 'oci-seccomp-learn %s%s%s --help')\n", command,
                sub ? " " : "", sub ? sub : "", msg, command, sub ? " " : "", sub ? sub : "");
        return EXIT_USAGE;
}

int osl_cli_print_json(const jv *v, osl_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = jv_serialize(v, true, &text, &len, err);
        if (r < 0)
                return r;
        fwrite(text, 1, len, stdout);
        return 0;
}

int osl_cli_image_key(const char *arg, char **key, osl_error *err)
{
        osl_image img = {};
        int r = osl_image_parse_ref(arg, &img, err);
        if (r >= 0)
                *key = TAKE_PTR(img.key);
        osl_image_clear(&img);
        if (r < 0)
                return osl_err_prefix(err, "image \"%.200s\"", arg);
        return 0;
}
