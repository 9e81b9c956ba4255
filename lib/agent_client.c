/* SPDX-License-Identifier: Apache-2.0 */
/* What a container's start path needs of the agent (agent.h): the
 * listenerMetadata string that inject puts in the config and the probe of
 * the agent's socket. Apart from agent.c so that the hooks, inject and the
 * runtime wrapper link without the agent's worker and what it may link
 * (doc/performance.md, "Start latency"). */
#include "agent.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "agent_internal.h"

/* ---- listenerMetadata ---------------------------------------------- */

static bool metadata_byte_plain(unsigned char c)
{
        return c >= 0x21 && c <= 0x7e && c != '%' && c != ';' && c != '=';
}

static int pct_append(char **buf, size_t *len, size_t *cap, const char *field, const char *value)
{
        size_t need = strlen(field) + 2 + 3 * strlen(value) + 1;
        if (*len + need > *cap) {
                size_t ncap = (*len + need) * 2;
                char *n = realloc(*buf, ncap);
                if (!n)
                        return -ENOMEM;
                *buf = n;
                *cap = ncap;
        }
        *len += (size_t) sprintf(*buf + *len, ";%s=", field);
        for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
                if (metadata_byte_plain(*p))
                        (*buf)[(*len)++] = (char) *p;
                else
                        *len += (size_t) sprintf(*buf + *len, "%%%02X", *p);
        }
        (*buf)[*len] = '\0';
        return 0;
}

int osl_agent_metadata_format(const osl_image *img, const char *mode, char **out, osl_error *err)
{
        if (!img || !img->key || !*img->key)
                return osl_err(err, -EINVAL, "listenerMetadata needs an image key");
        if (!mode || !*mode)
                return osl_err(err, -EINVAL, "listenerMetadata needs a mode");

        struct {
                const char *field, *value;
        } fields[] = {
                { "mode", mode }, { "key", img->key }, { "name", img->name },
                { "tag", img->tag }, { "digest", img->digest },
        };
        _cleanup_free_ char *buf = osl_strdup(OSL_AGENT_METADATA_V1);
        size_t len = strlen(OSL_AGENT_METADATA_V1), cap = len + 1;
        if (!buf)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                if (!fields[i].value)
                        continue;
                if (!*fields[i].value)
                        return osl_err(err, -EINVAL, "listenerMetadata: image %s is empty", fields[i].field);
                if (pct_append(&buf, &len, &cap, fields[i].field, fields[i].value) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        if (len > OSL_AGENT_METADATA_MAX)
                return osl_err(err, -E2BIG, "listenerMetadata would be %zu bytes, more than %d", len,
                               OSL_AGENT_METADATA_MAX);
        *out = TAKE_PTR(buf);
        return 0;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* Decodes value[0..len) into a new string. */
static int pct_decode(const char *field, const char *value, size_t len, char **out, osl_error *err)
{
        if (len == 0)
                return osl_err(err, -EINVAL, "listenerMetadata: field %s is empty", field);
        _cleanup_free_ char *s = malloc(len + 1);
        if (!s)
                return osl_err(err, -ENOMEM, "out of memory");
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) value[i];
                if (c == '%') {
                        int hi = i + 2 < len ? hexval(value[i + 1]) : -1;
                        int lo = i + 2 < len ? hexval(value[i + 2]) : -1;
                        if (hi < 0 || lo < 0)
                                return osl_err(err, -EINVAL,
                                               "listenerMetadata: field %s: '%%' at offset %zu is not followed by two hex digits",
                                               field, i);
                        c = (unsigned char) (hi << 4 | lo);
                        if (c == 0)
                                return osl_err(err, -EINVAL, "listenerMetadata: field %s holds %%00", field);
                        s[n++] = (char) c;
                        i += 2;
                        continue;
                }
                if (!metadata_byte_plain(c))
                        return osl_err(err, -EINVAL,
                                       "listenerMetadata: field %s: byte 0x%02x at offset %zu must be %%-encoded",
                                       field, c, i);
                s[n++] = (char) c;
        }
        s[n] = '\0';
        *out = TAKE_PTR(s);
        return 0;
}

int osl_agent_metadata_parse(const char *s, osl_image *img, char **mode, osl_error *err)
{
        _cleanup_free_ char *got_mode = NULL;
        osl_image parsed = {};
        char q[200];
        int r;

        memset(img, 0, sizeof(*img));
        if (mode)
                *mode = NULL;
        if (!s || !*s)
                return osl_err(err, -EINVAL, "listenerMetadata is empty");
        size_t total = strlen(s);
        if (total > OSL_AGENT_METADATA_MAX)
                return osl_err(err, -E2BIG, "listenerMetadata is %zu bytes, more than %d", total,
                               OSL_AGENT_METADATA_MAX);

        const char *end = strchr(s, ';');
        size_t first_len = end ? (size_t) (end - s) : total;
        if (first_len != strlen(OSL_AGENT_METADATA_V1) || strncmp(s, OSL_AGENT_METADATA_V1, first_len) != 0)
                return osl_err(err, -EINVAL, "listenerMetadata %s does not start with \"%s;\"",
                               osl_quote_len(s, total, 40, q, sizeof(q)), OSL_AGENT_METADATA_V1);

        struct {
                const char *name;
                char **slot;
        } known[] = {
                { "mode", &got_mode }, { "key", &parsed.key }, { "name", &parsed.name },
                { "tag", &parsed.tag }, { "digest", &parsed.digest },
        };

        const char *p = end;
        while (p && *p == ';') {
                const char *field = p + 1;
                const char *next = strchr(field, ';');
                size_t flen = next ? (size_t) (next - field) : strlen(field);
                const char *eq = memchr(field, '=', flen);
                if (!eq) {
                        r = osl_err(err, -EINVAL, "listenerMetadata: field %s has no '='",
                                    osl_quote_len(field, flen, 40, q, sizeof(q)));
                        goto fail;
                }
                size_t klen = (size_t) (eq - field);
                for (size_t i = 0; i < ELEMENTSOF(known); i++) {
                        if (strlen(known[i].name) != klen || strncmp(field, known[i].name, klen) != 0)
                                continue;
                        if (*known[i].slot) {
                                r = osl_err(err, -EINVAL, "listenerMetadata: field %s appears twice",
                                            known[i].name);
                                goto fail;
                        }
                        r = pct_decode(known[i].name, eq + 1, flen - klen - 1, known[i].slot, err);
                        if (r < 0)
                                goto fail;
                }
                p = next;
        }

        if (!parsed.key) {
                r = osl_err(err, -EINVAL, "listenerMetadata has no key field (the image key)");
                goto fail;
        }
        if (!got_mode) {
                r = osl_err(err, -EINVAL, "listenerMetadata has no mode field");
                goto fail;
        }
        parsed.source = "listenerMetadata";
        *img = parsed;
        if (mode)
                *mode = TAKE_PTR(got_mode);
        return 0;

fail:
        osl_image_clear(&parsed);
        memset(img, 0, sizeof(*img));
        return r;
}

/* ---- sockets -------------------------------------------------------- */

int osl_agent_sockaddr(const char *path, struct sockaddr_un *sa, socklen_t *sa_len, osl_error *err)
{
        size_t len = path ? strlen(path) : 0;
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (len == 0 || len >= sizeof(sa->sun_path))
                return osl_err(err, -ENAMETOOLONG, "socket path \"%s\" is empty or longer than %zu bytes",
                               path ? path : "", sizeof(sa->sun_path) - 1);
        memcpy(sa->sun_path, path, len);
        *sa_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + 1);
        return 0;
}

int osl_agent_probe(const char *socket_path, osl_error *err)
{
        struct sockaddr_un sa;
        socklen_t sa_len = 0;
        int r = osl_agent_sockaddr(socket_path, &sa, &sa_len, err);
        if (r < 0)
                return r;

        /* Non-blocking: an agent that stopped accepting (full backlog) must
         * not hang the caller, which may be a runtime hook with a deadline. */
        for (int attempt = 0;; attempt++) {
                _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (fd < 0)
                        return osl_err(err, -errno, "cannot create a socket: %m");
                if (connect(fd, (struct sockaddr *) &sa, sa_len) == 0)
                        return 0;
                if (errno == EAGAIN && attempt < 20) {
                        poll(NULL, 0, 50);
                        continue;
                }
                if (errno == EAGAIN)
                        return osl_err(err, -EAGAIN, "the seccomp agent at %s does not accept connections",
                                       socket_path);
                return osl_err(err, -errno, "no seccomp agent listens on %s: %m", socket_path);
        }
}
