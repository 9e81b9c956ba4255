/* SPDX-License-Identifier: Apache-2.0 */
/* OCI 1.1 artifacts in a registry, over libcurl (registry.h,
 * doc/artifacts.md). One curl easy handle per registry; redirects are not
 * followed by curl but here, and only for blob downloads, so that no
 * credential goes anywhere but the registry and its token server. */
#include "registry.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#define USER_AGENT "oci-seccomp-learn"
#define CONNECT_TIMEOUT 10L
#define MAX_HEADER_VALUE 8192
#define MAX_TOKEN_RESPONSE (64u << 10)
#define MAX_AUTH_FILE (1u << 20)
#define MAX_REDIRECTS 5
#define MAX_TAG_RETRIES 5
#define MANIFEST_ACCEPT                                                                                            \
        OSL_OCI_MEDIA_TYPE_MANIFEST ", " OSL_OCI_MEDIA_TYPE_INDEX ", " OSL_DOCKER_MEDIA_TYPE_MANIFEST                 \
                                    ", " OSL_DOCKER_MEDIA_TYPE_LIST

static inline void curl_freep(char **p)
{
        curl_free(*p);
}
#define _cleanup_curl_free_ _cleanup_(curl_freep)

struct osl_registry {
        CURL *curl;
        char *host;       /* host[:port] as given */
        char *repository;
        char *tag;        /* NULL when a digest was given */
        char *digest;     /* NULL when a tag was given */
        char *base;       /* "https://host[:port]" */
        bool plain;       /* speaking http */
        char *authorization; /* the Authorization header in use, NULL: none yet */
        char *basic;      /* base64 user:password from the auth file, NULL: none (looked up once) */
        bool basic_looked_up;
        const char *auth_file;
        long timeout;
};

/* ---- names ---- */

static bool lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* distribution-spec: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)* */
static bool repository_valid(const char *s)
{
        size_t len = strlen(s);
        if (len == 0 || len > 255)
                return false;
        for (const char *p = s;;) {
                if (!lower_alnum(*p))
                        return false;
                while (lower_alnum(*p))
                        p++;
                if (!*p)
                        return true;
                if (*p == '/') {
                        p++;
                        continue;
                }
                if (*p == '.')
                        p++;
                else if (p[0] == '_' && p[1] == '_')
                        p += 2;
                else if (*p == '_')
                        p++;
                else if (*p == '-')
                        while (*p == '-')
                                p++;
                else
                        return false;
        }
}

/* [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
static bool tag_valid(const char *s)
{
        size_t len = strlen(s);
        if (len == 0 || len > 128 || *s == '.' || *s == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!lower_alnum(*p) && !(*p >= 'A' && *p <= 'Z') && *p != '_' && *p != '.' && *p != '-')
                        return false;
        return true;
}

/* A host name, IPv4 address or [IPv6] literal, optionally :port. */
static bool host_valid(const char *s)
{
        if (!*s || strlen(s) > 255)
                return false;
        for (const char *p = s; *p; p++)
                if (!lower_alnum(*p) && !(*p >= 'A' && *p <= 'Z') && !strchr(".-:[]", *p))
                        return false;
        return true;
}

/* localhost, 127.0.0.0/8 or [::1], with or without a port. */
static bool host_is_loopback(const char *hostport)
{
        char h[256];
        const char *end;
        struct in_addr a4;

        if (hostport[0] == '[') {
                end = strchr(hostport, ']');
                return end && (size_t) (end - hostport) == 4 && strncmp(hostport, "[::1", 4) == 0;
        }
        end = strchr(hostport, ':');
        size_t n = end ? (size_t) (end - hostport) : strlen(hostport);
        if (n >= sizeof(h))
                return false;
        memcpy(h, hostport, n);
        h[n] = '\0';
        if (strcasecmp(h, "localhost") == 0)
                return true;
        return inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

const char *osl_registry_host(const osl_registry *r)
{
        return r->host;
}
const char *osl_registry_repository(const osl_registry *r)
{
        return r->repository;
}
const char *osl_registry_tag(const osl_registry *r)
{
        return r->tag;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;
static void curl_init(void)
{
        curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void osl_registry_close(osl_registry *r)
{
        if (!r)
                return;
        if (r->curl)
                curl_easy_cleanup(r->curl);
        free(r->host);
        free(r->repository);
        free(r->tag);
        free(r->digest);
        free(r->base);
        free(r->authorization);
        free(r->basic);
        free(r);
}

int osl_registry_open(const char *ref, const osl_registry_options *o, osl_registry **out, osl_error *err)
{
        _cleanup_(osl_registry_closep) osl_registry *r = NULL;
        _cleanup_free_ char *copy = NULL;
        char q[128];
        char *slash, *at, *colon;

        if (!ref || !*ref)
                return osl_err(err, -EINVAL, "no registry reference given");
        if (strlen(ref) > 1024 || !(copy = strdup(ref)))
                return osl_err(err, strlen(ref) > 1024 ? -EINVAL : -ENOMEM, "the registry reference is too long");
        slash = strchr(copy, '/');
        if (!slash || slash == copy)
                return osl_err(err, -EINVAL,
                               "registry reference %s: expected HOST[:PORT]/REPOSITORY[:TAG][@DIGEST]",
                               osl_quote(ref, q, sizeof(q)));
        *slash = '\0';
        if (!host_valid(copy) || (!strchr(copy, '.') && !strchr(copy, ':') && strcmp(copy, "localhost") != 0))
                return osl_err(err, -EINVAL,
                               "registry reference %s: %s is not a registry host (name it, e.g. "
                               "registry.example:5000/app:v1)",
                               osl_quote(ref, q, sizeof(q)), copy);
        if (!(r = calloc(1, sizeof(*r))) || !(r->host = strdup(copy)))
                return osl_err(err, -ENOMEM, "out of memory");
        char *rest = slash + 1;
        if ((at = strchr(rest, '@'))) {
                *at = '\0';
                if (!osl_oci_digest_is_sha256(at + 1))
                        return osl_err(err, -EINVAL, "registry reference %s: the digest must be sha256:<64 hex digits>",
                                       osl_quote(ref, q, sizeof(q)));
                if (!(r->digest = strdup(at + 1)))
                        return osl_err(err, -ENOMEM, "out of memory");
        }
        colon = strrchr(rest, ':');
        if (colon && !strchr(colon, '/')) {
                *colon = '\0';
                if (!tag_valid(colon + 1))
                        return osl_err(err, -EINVAL, "registry reference %s: %s is not a tag",
                                       osl_quote(ref, q, sizeof(q)), colon + 1);
                /* name:tag@digest: the digest decides. */
                if (!r->digest && !(r->tag = strdup(colon + 1)))
                        return osl_err(err, -ENOMEM, "out of memory");
        } else if (!r->digest && !(r->tag = strdup("latest")))
                return osl_err(err, -ENOMEM, "out of memory");
        if (!repository_valid(rest))
                return osl_err(err, -EINVAL,
                               "registry reference %s: %s is not a repository name (lower-case letters and digits, "
                               "joined by . _ __ or -, parts separated by /)",
                               osl_quote(ref, q, sizeof(q)), osl_quote(rest, q + 64, sizeof(q) - 64));
        if (!(r->repository = strdup(rest)))
                return osl_err(err, -ENOMEM, "out of memory");

        r->plain = o->plain_http || host_is_loopback(r->host);
        if (osl_asprintf(&r->base, "%s://%s", r->plain ? "http" : "https", r->host) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        r->auth_file = o->auth_file;
        r->timeout = o->timeout > 0 ? o->timeout : OSL_REGISTRY_TIMEOUT;
        pthread_once(&curl_once, curl_init);
        if (curl_init_code != CURLE_OK)
                return osl_err(err, -EIO, "cannot initialise libcurl: %s", curl_easy_strerror(curl_init_code));
        if (!(r->curl = curl_easy_init()))
                return osl_err(err, -ENOMEM, "cannot initialise libcurl");
        *out = TAKE_PTR(r);
        return 0;
}

/* ---- one HTTP exchange ---- */

typedef struct response {
        long status;
        char *body;
        size_t len;
        size_t max;
        bool too_big;
        char *content_type;
        char *docker_digest; /* Docker-Content-Digest */
        char *location;
        char *www_authenticate;
        char *oci_subject; /* OCI-Subject */
        char *redirect;    /* where a 3xx points, absolute */
} response;

static void response_clear(response *resp)
{
        free(resp->body);
        free(resp->content_type);
        free(resp->docker_digest);
        free(resp->location);
        free(resp->www_authenticate);
        free(resp->oci_subject);
        free(resp->redirect);
        *resp = (response) {};
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
        response *resp = userdata;
        size_t len = size * n;
        if (len > resp->max - resp->len) {
                resp->too_big = true;
                return 0; /* curl aborts the transfer */
        }
        char *grown = realloc(resp->body, resp->len + len + 1);
        if (!grown)
                return 0;
        memcpy(grown + resp->len, data, len);
        resp->body = grown;
        resp->len += len;
        resp->body[resp->len] = '\0';
        return len;
}

/* Keeps the value of a header we read; the last one of a name wins. */
static void keep_header(char **slot, const char *value, size_t len)
{
        if (len > MAX_HEADER_VALUE)
                return;
        char *v = strndup(value, len);
        if (v) {
                free(*slot);
                *slot = v;
        }
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
        response *resp = userdata;
        size_t len = size * n;
        static const struct {
                const char *name;
                size_t offset;
        } wanted[] = {
                { "content-type", offsetof(response, content_type) },
                { "docker-content-digest", offsetof(response, docker_digest) },
                { "location", offsetof(response, location) },
                { "www-authenticate", offsetof(response, www_authenticate) },
                { "oci-subject", offsetof(response, oci_subject) },
        };
        const char *colon = memchr(data, ':', len);
        if (!colon)
                return len;
        size_t name_len = (size_t) (colon - data);
        const char *v = colon + 1, *end = data + len;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        for (size_t i = 0; i < ELEMENTSOF(wanted); i++)
                if (strlen(wanted[i].name) == name_len && strncasecmp(data, wanted[i].name, name_len) == 0)
                        keep_header((char **) ((char *) resp + wanted[i].offset), v, (size_t) (end - v));
        return len;
}

typedef struct request {
        const char *method; /* GET, HEAD, POST, PUT */
        const char *url;    /* absolute */
        const char *accept; /* NULL: none */
        const char *content_type;
        const void *body;   /* PUT, POST */
        size_t body_len;
        size_t max;         /* of the response body */
        bool authorize;     /* send r->authorization */
} request;

/* Appends s (NULL: nothing) to *list; on failure *list stays as it was. */
static int add_header(struct curl_slist **list, const char *s)
{
        struct curl_slist *grown;
        if (!s)
                return 0;
        if (!(grown = curl_slist_append(*list, s)))
                return -ENOMEM;
        *list = grown;
        return 0;
}

static int http(osl_registry *r, const request *req, response *resp, osl_error *err)
{
        struct curl_slist *headers = NULL;
        _cleanup_free_ char *accept = NULL, *ctype = NULL;
        char curl_error[CURL_ERROR_SIZE] = "";
        const char *protocols = r->plain ? "http,https" : "https";
        CURL *c = r->curl;
        CURLcode rc;
        int ret = 0;

        *resp = (response) { .max = req->max };
        curl_easy_reset(c);
        if ((req->accept && osl_asprintf(&accept, "Accept: %s", req->accept) < 0) ||
            (req->content_type && osl_asprintf(&ctype, "Content-Type: %s", req->content_type) < 0))
                return osl_err(err, -ENOMEM, "out of memory");
        if (add_header(&headers, accept) < 0 || add_header(&headers, ctype) < 0 ||
            add_header(&headers, req->authorize ? r->authorization : NULL) < 0 ||
            /* No "Expect: 100-continue" round trip for uploads. */
            add_header(&headers, "Expect:") < 0) {
                ret = osl_err(err, -ENOMEM, "out of memory");
                goto out;
        }

        if (curl_easy_setopt(c, CURLOPT_URL, req->url) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_TIMEOUT, r->timeout) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) req->max) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_WRITEDATA, resp) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_HEADERDATA, resp) != CURLE_OK ||
            curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_error) != CURLE_OK) {
                ret = osl_err(err, -EIO, "cannot set up the request to %s", req->url);
                goto out;
        }
        if (strcmp(req->method, "HEAD") == 0)
                rc = curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        else if (strcmp(req->method, "GET") == 0)
                rc = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        else if ((rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->body_len)) == CURLE_OK &&
                 (rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "")) == CURLE_OK)
                rc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        if (rc != CURLE_OK) {
                ret = osl_err(err, -EIO, "cannot set up the request to %s", req->url);
                goto out;
        }

        rc = curl_easy_perform(c);
        (void) curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
        if (resp->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
                ret = osl_err(err, -EFBIG, "%s %s: the answer is larger than %zu bytes", req->method, req->url,
                              req->max);
                goto out;
        }
        if (rc != CURLE_OK) {
                ret = osl_err(err, rc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO, "%s %s: %s", req->method,
                              req->url, curl_error[0] ? curl_error : curl_easy_strerror(rc));
                goto out;
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        char *redirect = NULL;
        if (resp->status / 100 == 3 && curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect &&
            !(resp->redirect = strdup(redirect)))
                ret = osl_err(err, -ENOMEM, "out of memory");
out:
        curl_slist_free_all(headers);
        if (ret < 0)
                response_clear(resp);
        return ret;
}

/* The registry's error, for a message: the first errors[].message of its
 * JSON answer, quoted; else the status. */
static const char *describe_failure(const response *resp, char *buf, size_t size)
{
        _cleanup_jv_ jv *doc = NULL;
        osl_error ignored = {};
        char q[200];
        const char *msg = NULL;

        if (resp->body && jv_parse(resp->body, resp->len, "answer", &doc, &ignored) == 0)
                msg = jv_str(jv_obj_get(jv_arr_at(jv_obj_get(doc, "errors"), 0), "message"));
        if (msg)
                snprintf(buf, size, "HTTP %ld: %s", resp->status, osl_quote(msg, q, sizeof(q)));
        else
                snprintf(buf, size, "HTTP %ld", resp->status);
        return buf;
}

/* ---- authentication ---- */

/* The base64 "auth" of the auth file entry for our host, or NULL. */
static int lookup_basic(osl_registry *r, osl_error *err)
{
        const char *candidates[4] = {};
        char *paths[3] = {};
        size_t n = 0;
        int ret = 0;

        if (r->basic_looked_up)
                return 0;
        r->basic_looked_up = true;
        if (r->auth_file)
                candidates[n++] = r->auth_file;
        else {
                const char *e = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR"),
                           *home = getenv("HOME");
                if (e && *e)
                        candidates[n++] = e;
                if (xdg && *xdg && osl_asprintf(&paths[0], "%s/containers/auth.json", xdg) >= 0)
                        candidates[n++] = paths[0];
                if (home && *home && osl_asprintf(&paths[1], "%s/.docker/config.json", home) >= 0)
                        candidates[n++] = paths[1];
        }
        for (size_t i = 0; i < n && ret == 0; i++) {
                _cleanup_jv_ jv *doc = NULL;
                osl_error e = {};
                int k = jv_parse_file(candidates[i], MAX_AUTH_FILE, &doc, &e);
                if (k == -ENOENT && !r->auth_file)
                        continue;
                if (k < 0) {
                        ret = osl_err(err, k, "%s", e.msg);
                        break;
                }
                const jv *auths = jv_obj_get(doc, "auths");
                const char *found = NULL;
                for (size_t j = 0; jv_is(auths, JV_OBJECT) && j < auths->u.object.len && !found; j++) {
                        /* "host:port", or a URL of it as docker login writes for some. */
                        const char *key = auths->u.object.keys[j];
                        if (strncmp(key, "https://", 8) == 0)
                                key += 8;
                        else if (strncmp(key, "http://", 7) == 0)
                                key += 7;
                        size_t kl = strcspn(key, "/");
                        if (kl == strlen(r->host) && strncmp(key, r->host, kl) == 0)
                                found = jv_str(jv_obj_get(auths->u.object.values[j], "auth"));
                }
                if (!found)
                        break; /* the first file that exists decides, as podman's does */
                for (const char *p = found; *p; p++)
                        if (!lower_alnum(*p) && !(*p >= 'A' && *p <= 'Z') && *p != '+' && *p != '/' && *p != '=') {
                                ret = osl_err(err, -EINVAL, "%s: the \"auth\" of %s is not base64", candidates[i],
                                              r->host);
                                break;
                        }
                if (ret == 0 && *found && !(r->basic = strdup(found)))
                        ret = osl_err(err, -ENOMEM, "out of memory");
                break;
        }
        free(paths[0]);
        free(paths[1]);
        return ret;
}

/* The value of param in a challenge: Bearer realm="...",service="...". */
static char *challenge_param(const char *challenge, const char *param)
{
        size_t pl = strlen(param);
        for (const char *p = challenge; (p = strcasestr(p, param)); p += pl) {
                if ((p != challenge && p[-1] != ' ' && p[-1] != ',') || p[pl] != '=')
                        continue;
                const char *v = p + pl + 1;
                if (*v == '"') {
                        const char *end = strchr(v + 1, '"');
                        return end ? strndup(v + 1, (size_t) (end - v - 1)) : NULL;
                }
                return strndup(v, strcspn(v, ", "));
        }
        return NULL;
}

/* A value that may go into a header line as it is. */
static bool header_safe(const char *s)
{
        if (!*s)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p < 0x21 || *p > 0x7e)
                        return false;
        return true;
}

/* Answers a 401: a Bearer token from the realm of the challenge, or Basic
 * credentials, in r->authorization. */
static int authenticate(osl_registry *r, const response *challenged, const char *url, osl_error *err)
{
        const char *ch = challenged->www_authenticate;
        int ret;

        if ((ret = lookup_basic(r, err)) < 0)
                return ret;
        if (!ch)
                return osl_err(err, -EACCES, "%s: HTTP 401 without a WWW-Authenticate challenge", url);
        if (strncasecmp(ch, "Basic", 5) == 0) {
                if (!r->basic)
                        return osl_err(err, -EACCES, "%s wants a user name and password: none for %s in the auth file",
                                       url, r->host);
                free(r->authorization);
                if (osl_asprintf(&r->authorization, "Authorization: Basic %s", r->basic) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                return 0;
        }
        if (strncasecmp(ch, "Bearer", 6) != 0)
                return osl_err(err, -EACCES, "%s: unsupported authentication scheme in %.40s", url, ch);

        _cleanup_free_ char *realm = challenge_param(ch, "realm"), *service = challenge_param(ch, "service"),
                            *scope = challenge_param(ch, "scope"), *token_url = NULL, *basic_header = NULL;
        _cleanup_curl_free_ char *enc_service = NULL, *enc_scope = NULL;
        _cleanup_jv_ jv *doc = NULL;
        response resp = {};
        char buf[256];

        if (!realm || (strncmp(realm, "https://", 8) != 0 && !(r->plain && strncmp(realm, "http://", 7) == 0)))
                return osl_err(err, -EACCES, "%s: the token realm %s is not an https:// URL", url,
                               realm ? osl_quote(realm, buf, sizeof(buf)) : "(none)");
        if (!scope && osl_asprintf(&scope, "repository:%s:pull", r->repository) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        enc_service = service ? curl_easy_escape(r->curl, service, 0) : NULL;
        enc_scope = curl_easy_escape(r->curl, scope, 0);
        if (!enc_scope || (service && !enc_service) ||
            osl_asprintf(&token_url, "%s%sscope=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", enc_scope,
                         enc_service ? "&service=" : "", enc_service ? enc_service : "") < 0 ||
            (r->basic && osl_asprintf(&basic_header, "Authorization: Basic %s", r->basic) < 0))
                return osl_err(err, -ENOMEM, "out of memory");
        /* The token server gets the credentials, not the token in use. */
        char *in_use = r->authorization;
        r->authorization = basic_header;
        ret = http(r, &(request) { .method = "GET", .url = token_url, .max = MAX_TOKEN_RESPONSE, .authorize = true },
                   &resp, err);
        r->authorization = in_use;
        if (ret < 0)
                return ret;
        if (resp.status != 200) {
                ret = osl_err(err, -EACCES, "the token server %s refused: %s", realm,
                              describe_failure(&resp, buf, sizeof(buf)));
                goto out;
        }
        if ((ret = jv_parse(resp.body ? resp.body : "", resp.len, "the token server's answer", &doc, err)) < 0)
                goto out;
        const char *token = jv_str(jv_obj_get(doc, "token"));
        if (!token)
                token = jv_str(jv_obj_get(doc, "access_token"));
        if (!token || !header_safe(token) || strlen(token) > MAX_HEADER_VALUE) {
                ret = osl_err(err, -EACCES, "the token server %s gave no usable token", realm);
                goto out;
        }
        free(r->authorization);
        if (osl_asprintf(&r->authorization, "Authorization: Bearer %s", token) < 0)
                ret = osl_err(err, -ENOMEM, "out of memory");
out:
        response_clear(&resp);
        return ret;
}

/* A request to the registry: the URL is base + path; a 401 is answered
 * once, then the request is made again. */
static int registry_http(osl_registry *r, request req, const char *path, response *resp, osl_error *err)
{
        _cleanup_free_ char *url = NULL;
        int ret;

        if (path && osl_asprintf(&url, "%s%s", r->base, path) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (url)
                req.url = url;
        req.authorize = true;
        for (int attempt = 0;; attempt++) {
                if ((ret = http(r, &req, resp, err)) < 0)
                        return ret;
                if (resp->status != 401 || attempt > 0)
                        return 0;
                ret = authenticate(r, resp, req.url, err);
                response_clear(resp);
                if (ret < 0)
                        return ret;
        }
}

static int unexpected(const char *what, const response *resp, osl_error *err)
{
        char buf[256];
        int code = resp->status == 401 || resp->status == 403 ? -EACCES : resp->status == 404 ? -ENOENT : -EIO;
        return osl_err(err, code, "%s: %s", what, describe_failure(resp, buf, sizeof(buf)));
}

/* ---- manifests and blobs ---- */

/* The content is what digest names: refused otherwise, with a message
 * that says where it came from. */
static int verify(const char *what, const char *digest, const void *data, size_t len, int64_t size, osl_error *err)
{
        char actual[OSL_OCI_DIGEST_SIZE];

        if (size >= 0 && (uint64_t) size != len)
                return osl_err(err, -EBADMSG, "%s has %zu bytes, but its descriptor says %" PRId64
                                              ": the registry's copy is damaged or was tampered with",
                               what, len, size);
        osl_oci_digest_of(data, len, actual);
        if (strcmp(actual, digest) != 0)
                return osl_err(err, -EBADMSG,
                               "%s: its content has the digest %s, not %s: the registry's copy is damaged or was "
                               "tampered with",
                               what, actual, digest);
        return 0;
}

/* GET /v2/<name>/manifests/<reference>. With a digest (or expect_size >= 0)
 * the content is verified against it; by tag, against the
 * Docker-Content-Digest the registry sends. 404: -ENOENT, quietly. */
static int get_manifest(osl_registry *r, const char *reference, const char *accept, int64_t expect_size,
                        response *resp, char digest[static OSL_OCI_DIGEST_SIZE], osl_error *err)
{
        _cleanup_free_ char *path = NULL, *what = NULL;
        int ret;

        if (osl_asprintf(&path, "/v2/%s/manifests/%s", r->repository, reference) < 0 ||
            osl_asprintf(&what, "manifest %s/%s@%s", r->host, r->repository, reference) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((ret = registry_http(r, (request) { .method = "GET", .accept = accept, .max = OSL_OCI_MAX_MANIFEST }, path,
                                 resp, err)) < 0)
                return ret;
        if (resp->status == 404) {
                response_clear(resp);
                return -ENOENT;
        }
        if (resp->status != 200) {
                ret = unexpected(what, resp, err);
                response_clear(resp);
                return ret;
        }
        if (osl_oci_digest_is_sha256(reference))
                snprintf(digest, OSL_OCI_DIGEST_SIZE, "%s", reference);
        else if (resp->docker_digest && osl_oci_digest_is_sha256(resp->docker_digest))
                snprintf(digest, OSL_OCI_DIGEST_SIZE, "%s", resp->docker_digest);
        else
                osl_oci_digest_of(resp->body ? resp->body : "", resp->len, digest);
        if ((ret = verify(what, digest, resp->body ? resp->body : "", resp->len, expect_size, err)) < 0) {
                response_clear(resp);
                return ret;
        }
        return 0;
}

/* The body of resp as a JSON object. */
static int parse_object(const response *resp, const char *what, jv **out, osl_error *err)
{
        int ret = jv_parse(resp->body ? resp->body : "", resp->len, what, out, err);
        if (ret < 0)
                return ret;
        if (!jv_is(*out, JV_OBJECT)) {
                jv_free(TAKE_PTR(*out));
                return osl_err(err, -EINVAL, "%s: expected a JSON object", what);
        }
        return 0;
}

int osl_registry_resolve(osl_registry *r, osl_oci_descriptor *subject, osl_error *err)
{
        _cleanup_jv_ jv *m = NULL;
        const char *reference = r->digest ? r->digest : r->tag;
        char digest[OSL_OCI_DIGEST_SIZE], what[600];
        response resp = {};
        int ret;

        snprintf(what, sizeof(what), "%s/%s%s%s", r->host, r->repository, r->digest ? "@" : ":", reference);
        ret = get_manifest(r, reference, MANIFEST_ACCEPT, -1, &resp, digest, err);
        if (ret == -ENOENT)
                return osl_err(err, -ENOENT, "%s: no such image in the registry", what);
        if (ret < 0)
                return ret;
        if ((ret = parse_object(&resp, what, &m, err)) < 0)
                goto out;
        /* The media type the manifest declares, else the one it was served as. */
        const char *media_type = jv_str(jv_obj_get(m, "mediaType"));
        if (!media_type && resp.content_type)
                media_type = resp.content_type;
        if (!media_type || !osl_oci_is_image_media_type(media_type)) {
                ret = osl_err(err, -EINVAL, "%s is not an image manifest or index", what);
                goto out;
        }
        *subject = (osl_oci_descriptor) { .media_type = strdup(media_type), .digest = strdup(digest), .size = resp.len };
        if (!subject->media_type || !subject->digest) {
                osl_oci_descriptor_clear(subject);
                ret = osl_err(err, -ENOMEM, "out of memory");
        }
out:
        response_clear(&resp);
        return ret;
}

/* GET a blob, following redirects (to blob storage) without credentials
 * unless they go back to the registry's own host, and verifies it. */
static int get_blob(osl_registry *r, const osl_oci_descriptor *d, size_t max, char **out, size_t *len, osl_error *err)
{
        _cleanup_free_ char *url = NULL, *what = NULL;
        response resp = {};
        int ret;

        if (!osl_oci_digest_is_sha256(d->digest))
                return osl_err(err, -EOPNOTSUPP, "blob digest %.100s is not supported (only sha256)", d->digest);
        if (osl_asprintf(&what, "blob %s/%s@%s", r->host, r->repository, d->digest) < 0 ||
            osl_asprintf(&url, "%s/v2/%s/blobs/%s", r->base, r->repository, d->digest) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if (d->size > max)
                return osl_err(err, -EFBIG, "%s: its descriptor says %" PRIu64 " bytes, more than the %zu allowed", what,
                               d->size, max);
        for (int hop = 0;; hop++) {
                bool ours = strncmp(url, r->base, strlen(r->base)) == 0 && url[strlen(r->base)] == '/';
                request req = { .method = "GET", .url = url, .max = max };
                ret = ours ? registry_http(r, req, NULL, &resp, err) : http(r, &req, &resp, err);
                if (ret < 0)
                        return ret;
                if (resp.status / 100 != 3)
                        break;
                if (hop >= MAX_REDIRECTS || !resp.redirect) {
                        ret = osl_err(err, -EIO, "%s: too many redirects", what);
                        goto out;
                }
                /* https only, unless the registry itself is spoken to over http. */
                if (strncmp(resp.redirect, "https://", 8) != 0 && !(r->plain && strncmp(resp.redirect, "http://", 7) == 0)) {
                        ret = osl_err(err, -EIO, "%s: refusing a redirect to a URL that is not https", what);
                        goto out;
                }
                free(url);
                url = TAKE_PTR(resp.redirect);
                response_clear(&resp);
        }
        if (resp.status != 200) {
                ret = unexpected(what, &resp, err);
                goto out;
        }
        if ((ret = verify(what, d->digest, resp.body ? resp.body : "", resp.len, (int64_t) d->size, err)) < 0)
                goto out;
        if (!resp.body && !(resp.body = strdup("")))
                ret = osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(resp.body);
        if (len)
                *len = resp.len;
out:
        response_clear(&resp);
        return ret;
}

/* The upload URL the registry handed out, absolute, with digest added to
 * its query. It must be on the registry's own origin: that is where our
 * credentials go. */
static int upload_url(osl_registry *r, const char *location, const char *digest, char **out, osl_error *err)
{
        CURLU *u = curl_url();
        _cleanup_free_ char *query = NULL;
        char *full = NULL;
        char q[200];
        int ret = 0;

        if (!u || osl_asprintf(&query, "digest=%s", digest) < 0) {
                curl_url_cleanup(u);
                return osl_err(err, -ENOMEM, "out of memory");
        }
        if (curl_url_set(u, CURLUPART_URL, r->base, 0) != CURLUE_OK ||
            curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
            curl_url_set(u, CURLUPART_QUERY, query, CURLU_APPENDQUERY) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
                ret = osl_err(err, -EIO, "the registry gave an upload location that is not a URL: %s",
                              osl_quote(location, q, sizeof(q)));
                goto out;
        }
        if (strncmp(full, r->base, strlen(r->base)) != 0 || full[strlen(r->base)] != '/') {
                ret = osl_err(err, -EIO, "the registry sent the upload to %s, not to %s: refused",
                              osl_quote(full, q, sizeof(q)), r->base);
                goto out;
        }
        if (!(*out = strdup(full)))
                ret = osl_err(err, -ENOMEM, "out of memory");
out:
        curl_free(full);
        curl_url_cleanup(u);
        return ret;
}

/* Uploads data as a blob unless the registry has it (monolithic upload:
 * POST, then PUT with the digest). */
static int put_blob(osl_registry *r, const void *data, size_t len, osl_error *err)
{
        _cleanup_free_ char *path = NULL, *url = NULL, *what = NULL;
        char digest[OSL_OCI_DIGEST_SIZE];
        response resp = {};
        int ret;

        osl_oci_digest_of(data, len, digest);
        if (osl_asprintf(&path, "/v2/%s/blobs/%s", r->repository, digest) < 0 ||
            osl_asprintf(&what, "upload of blob %s to %s/%s", digest, r->host, r->repository) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((ret = registry_http(r, (request) { .method = "HEAD", .max = 0 }, path, &resp, err)) < 0)
                return ret;
        bool exists = resp.status == 200;
        response_clear(&resp);
        if (exists)
                return 0;
        free(path);
        if (osl_asprintf(&path, "/v2/%s/blobs/uploads/", r->repository) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((ret = registry_http(r, (request) { .method = "POST", .max = 64 * 1024 }, path, &resp, err)) < 0)
                return ret;
        if (resp.status != 202 || !resp.location) {
                ret = resp.status == 202 ? osl_err(err, -EIO, "%s: the registry gave no upload location", what)
                                         : unexpected(what, &resp, err);
                goto out;
        }
        if ((ret = upload_url(r, resp.location, digest, &url, err)) < 0)
                goto out;
        response_clear(&resp);
        if ((ret = registry_http(r,
                                 (request) { .method = "PUT", .url = url, .content_type = "application/octet-stream",
                                             .body = data, .body_len = len, .max = 64 * 1024 },
                                 NULL, &resp, err)) < 0)
                return ret;
        if (resp.status != 201)
                ret = unexpected(what, &resp, err);
out:
        response_clear(&resp);
        return ret;
}

/* PUT /v2/<name>/manifests/<reference>. */
static int put_manifest(osl_registry *r, const char *reference, const char *media_type, const char *data, size_t len,
                        response *resp, osl_error *err)
{
        _cleanup_free_ char *path = NULL, *what = NULL;
        int ret;

        if (osl_asprintf(&path, "/v2/%s/manifests/%s", r->repository, reference) < 0 ||
            osl_asprintf(&what, "upload of manifest %s/%s@%s", r->host, r->repository, reference) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((ret = registry_http(r,
                                 (request) { .method = "PUT", .content_type = media_type, .body = data, .body_len = len,
                                             .max = 64 * 1024 },
                                 path, resp, err)) < 0)
                return ret;
        if (resp->status != 201) {
                ret = unexpected(what, resp, err);
                response_clear(resp);
        }
        return ret;
}

/* ---- referrers ---- */

/* "sha256-<hex>": the referrers tag of a subject (distribution-spec 1.1). */
static void referrers_tag(const char *subject, char out[static OSL_OCI_DIGEST_SIZE])
{
        snprintf(out, OSL_OCI_DIGEST_SIZE, "sha256-%s", subject + strlen("sha256:"));
}

/* The referrers index of subject: from the API (*api true) or, where the
 * registry has none, from the referrers tag (a new empty index when the tag
 * does not exist). */
static int list_referrers(osl_registry *r, const char *subject, const char *artifact_type, bool *api, jv **out,
                          osl_error *err)
{
        _cleanup_free_ char *path = NULL, *what = NULL;
        _cleanup_curl_free_ char *enc = curl_easy_escape(r->curl, artifact_type, 0);
        _cleanup_jv_ jv *idx = NULL;
        char tag[OSL_OCI_DIGEST_SIZE], digest[OSL_OCI_DIGEST_SIZE];
        response resp = {};
        int64_t schema;
        int ret;

        if (!enc || osl_asprintf(&path, "/v2/%s/referrers/%s?artifactType=%s", r->repository, subject, enc) < 0 ||
            osl_asprintf(&what, "referrers of %s/%s@%s", r->host, r->repository, subject) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((ret = registry_http(r, (request) { .method = "GET", .accept = OSL_OCI_MEDIA_TYPE_INDEX, .max = OSL_OCI_MAX_MANIFEST },
                                 path, &resp, err)) < 0)
                return ret;
        *api = resp.status == 200;
        if (resp.status != 200 && resp.status != 404) {
                ret = unexpected(what, &resp, err);
                goto out;
        }
        if (!*api) {
                response_clear(&resp);
                referrers_tag(subject, tag);
                ret = get_manifest(r, tag, OSL_OCI_MEDIA_TYPE_INDEX, -1, &resp, digest, err);
                if (ret == -ENOENT) {
                        if (!(idx = jv_new_object()) || jv_obj_set(idx, "schemaVersion", jv_new_int(2)) < 0 ||
                            jv_obj_set(idx, "mediaType", jv_new_string(OSL_OCI_MEDIA_TYPE_INDEX)) < 0 ||
                            jv_obj_set(idx, "manifests", jv_new_array()) < 0)
                                return osl_err(err, -ENOMEM, "out of memory");
                        *out = TAKE_PTR(idx);
                        return 0;
                }
                if (ret < 0)
                        return ret;
        }
        if ((ret = parse_object(&resp, what, &idx, err)) < 0)
                goto out;
        const char *mt = jv_str(jv_obj_get(idx, "mediaType"));
        if (!jv_get_int64(jv_obj_get(idx, "schemaVersion"), &schema) || schema != 2 ||
            (mt && strcmp(mt, OSL_OCI_MEDIA_TYPE_INDEX) != 0) || !jv_is(jv_obj_get(idx, "manifests"), JV_ARRAY)) {
                ret = osl_err(err, -EINVAL, "%s: not an OCI image index", what);
                goto out;
        }
        if (jv_arr_len(jv_obj_get(idx, "manifests")) > OSL_REGISTRY_MAX_REFERRERS) {
                ret = osl_err(err, -E2BIG, "%s: more than %d referrers", what, OSL_REGISTRY_MAX_REFERRERS);
                goto out;
        }
        *out = TAKE_PTR(idx);
out:
        response_clear(&resp);
        return ret;
}

static bool index_lists(const jv *idx, const char *digest)
{
        const jv *m = jv_obj_get(idx, "manifests");
        for (size_t i = 0; i < jv_arr_len(m); i++)
        {
                const char *d = jv_str(jv_obj_get(jv_arr_at(m, i), "digest"));
                if (d && strcmp(d, digest) == 0)
                        return true;
        }
        return false;
}

/* The referrers index entry of the artifact manifest m. */
static jv *referrer_entry(const jv *m, const char *digest, size_t size)
{
        jv *e = jv_new_object();
        const jv *annotations = jv_obj_get(m, "annotations");
        if (!e || jv_obj_set(e, "mediaType", jv_new_string(OSL_OCI_MEDIA_TYPE_MANIFEST)) < 0 ||
            jv_obj_set(e, "digest", jv_new_string(digest)) < 0 || jv_obj_set(e, "size", jv_new_uint(size)) < 0 ||
            jv_obj_set(e, "artifactType", jv_new_string(osl_oci_manifest_artifact_type(m))) < 0 ||
            (annotations && jv_obj_set(e, "annotations", jv_dup(annotations)) < 0)) {
                jv_free(e);
                return NULL;
        }
        return e;
}

/* Adds the artifact to the referrers tag: read, add, write, read again to
 * see that no other writer's update took it away. */
static int tag_add_referrer(osl_registry *r, const char *subject, const char *artifact_type, const jv *m,
                            const char *digest, size_t size, bool *listed_before, osl_error *err)
{
        char tag[OSL_OCI_DIGEST_SIZE];
        referrers_tag(subject, tag);
        for (int attempt = 0; attempt < MAX_TAG_RETRIES; attempt++) {
                _cleanup_jv_ jv *idx = NULL;
                _cleanup_free_ char *text = NULL;
                response resp = {};
                size_t len;
                bool api;
                int ret;

                if ((ret = list_referrers(r, subject, artifact_type, &api, &idx, err)) < 0)
                        return ret;
                if (index_lists(idx, digest)) {
                        if (attempt == 0)
                                *listed_before = true;
                        return 0;
                }
                if (jv_arr_append(jv_obj_get(idx, "manifests"), referrer_entry(m, digest, size)) < 0 ||
                    jv_serialize(idx, false, &text, &len, err) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
                if ((ret = put_manifest(r, tag, OSL_OCI_MEDIA_TYPE_INDEX, text, len, &resp, err)) < 0)
                        return ret;
                response_clear(&resp);
        }
        return osl_err(err, -EAGAIN, "%s/%s:%s: other writers kept replacing the referrers tag; try again", r->host,
                       r->repository, tag);
}

int osl_registry_push_artifact(osl_registry *r, const osl_oci_artifact *a, osl_registry_push_result *res,
                               osl_error *err)
{
        osl_oci_descriptor subject = {};
        _cleanup_free_ char *manifest = NULL;
        _cleanup_jv_ jv *m = NULL, *idx = NULL;
        response resp = {};
        size_t len;
        int ret;

        *res = (osl_registry_push_result) {};
        if ((ret = osl_registry_resolve(r, &subject, err)) < 0)
                return ret;
        snprintf(res->subject, sizeof(res->subject), "%s", subject.digest);
        ret = osl_oci_artifact_build(a, &subject, &manifest, &len, res->artifact, err);
        osl_oci_descriptor_clear(&subject);
        if (ret < 0 || (ret = jv_parse(manifest, len, res->artifact, &m, err)) < 0)
                return ret;

        /* Blobs first, then the manifest by digest, then the listing. */
        if ((ret = put_blob(r, OSL_OCI_ARTIFACT_CONFIG, strlen(OSL_OCI_ARTIFACT_CONFIG), err)) < 0 ||
            (ret = put_blob(r, a->data, a->len, err)) < 0 ||
            (ret = put_manifest(r, res->artifact, OSL_OCI_MEDIA_TYPE_MANIFEST, manifest, len, &resp, err)) < 0)
                return ret;
        if (resp.docker_digest && strcmp(resp.docker_digest, res->artifact) != 0) {
                ret = osl_err(err, -EBADMSG, "%s stored the artifact manifest %s as %.80s", r->host, res->artifact,
                              resp.docker_digest);
                response_clear(&resp);
                return ret;
        }
        /* A registry that says OCI-Subject lists the referrer itself. */
        res->referrers_api = resp.oci_subject && strcmp(resp.oci_subject, res->subject) == 0;
        response_clear(&resp);
        if (!res->referrers_api) {
                if ((ret = list_referrers(r, res->subject, a->artifact_type, &res->referrers_api, &idx, err)) < 0)
                        return ret;
                if (res->referrers_api) {
                        if (!index_lists(idx, res->artifact))
                                return osl_err(err, -EIO,
                                               "%s has the referrers API but does not list %s as a referrer of %s",
                                               r->host, res->artifact, res->subject);
                        return 0;
                }
                return tag_add_referrer(r, res->subject, a->artifact_type, m, res->artifact, len, &res->listed_before,
                                        err);
        }
        return 0;
}

/* ---- pull ---- */

void osl_registry_pulled_clear(osl_registry_pulled *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++)
                osl_oci_fetched_clear(&p->artifacts[i]);
        free(p->artifacts);
        *p = (osl_registry_pulled) {};
}

/* Reads and checks one referrer d of subject; -ENOMSG when it is of
 * another artifact type (skipped). */
static int pull_one(osl_registry *r, const char *subject, const osl_oci_descriptor *d, const char *artifact_type,
                    size_t max, osl_oci_fetched *out, osl_error *err)
{
        _cleanup_jv_ jv *m = NULL;
        _cleanup_free_ char *config_data = NULL;
        osl_oci_descriptor config = {}, layer = {};
        char digest[OSL_OCI_DIGEST_SIZE];
        response resp = {};
        int ret;

        if (!osl_oci_digest_is_sha256(d->digest))
                return osl_err(err, -EOPNOTSUPP, "referrer %.100s: only sha256 digests are supported", d->digest);
        ret = get_manifest(r, d->digest, OSL_OCI_MEDIA_TYPE_MANIFEST, (int64_t) d->size, &resp, digest, err);
        if (ret == -ENOENT)
                return osl_err(err, -EBADMSG, "%s/%s: the referrer %s is listed but missing", r->host, r->repository,
                               d->digest);
        if (ret < 0)
                return ret;
        ret = parse_object(&resp, d->digest, &m, err);
        response_clear(&resp);
        if (ret < 0)
                return ret;
        const char *t = osl_oci_manifest_artifact_type(m);
        if (!t || strcmp(t, artifact_type) != 0)
                return -ENOMSG;
        const char *s = jv_str(jv_get_path(m, "subject", "digest", NULL));
        if (!s || strcmp(s, subject) != 0)
                return osl_err(err, -EBADMSG, "%s/%s: %s is listed as a referrer of %s but its subject is %.80s",
                               r->host, r->repository, d->digest, subject, s ? s : "missing");
        if ((ret = osl_oci_artifact_parts(m, d->digest, artifact_type, &config, &layer, err)) < 0)
                return ret;
        if ((ret = get_blob(r, &config, OSL_OCI_MAX_PROFILE, &config_data, NULL, err)) < 0 ||
            (ret = get_blob(r, &layer, max, &out->data, &out->len, err)) < 0)
                goto out;
        snprintf(out->subject, sizeof(out->subject), "%s", subject);
        snprintf(out->artifact, sizeof(out->artifact), "%s", d->digest);
        const jv *annotations = jv_obj_get(m, "annotations");
        if (jv_is(annotations, JV_OBJECT) && !(out->annotations = jv_dup(annotations)))
                ret = osl_err(err, -ENOMEM, "out of memory");
out:
        osl_oci_descriptor_clear(&config);
        osl_oci_descriptor_clear(&layer);
        return ret;
}

int osl_registry_pull_artifacts(osl_registry *r, const char *artifact_type, size_t max, osl_registry_pulled *out,
                                osl_error *err)
{
        osl_registry_pulled p = {};
        osl_oci_descriptor subject = {};
        _cleanup_jv_ jv *idx = NULL;
        int ret;

        *out = (osl_registry_pulled) {};
        if ((ret = osl_registry_resolve(r, &subject, err)) < 0)
                return ret;
        snprintf(p.subject, sizeof(p.subject), "%s", subject.digest);
        osl_oci_descriptor_clear(&subject);
        if ((ret = list_referrers(r, p.subject, artifact_type, &p.referrers_api, &idx, err)) < 0)
                return ret;
        const jv *manifests = jv_obj_get(idx, "manifests");
        size_t n = jv_arr_len(manifests);
        if (n > 0 && !(p.artifacts = calloc(n, sizeof(*p.artifacts))))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                osl_oci_descriptor d = {};
                char where[96];
                snprintf(where, sizeof(where), "referrers of %.19s: manifests[%zu]", p.subject, i);
                if ((ret = osl_oci_descriptor_parse(jv_arr_at(manifests, i), where, &d, err)) < 0)
                        goto fail;
                /* The listing's artifactType spares reading other types. */
                if (strcmp(d.media_type, OSL_OCI_MEDIA_TYPE_MANIFEST) != 0 ||
                    (d.artifact_type && strcmp(d.artifact_type, artifact_type) != 0)) {
                        osl_oci_descriptor_clear(&d);
                        continue;
                }
                ret = pull_one(r, p.subject, &d, artifact_type, max, &p.artifacts[p.n], err);
                osl_oci_descriptor_clear(&d);
                if (ret == -ENOMSG)
                        continue;
                if (ret < 0) {
                        osl_oci_fetched_clear(&p.artifacts[p.n]);
                        goto fail;
                }
                p.n++;
        }
        *out = p;
        return 0;
fail:
        osl_registry_pulled_clear(&p);
        return ret;
}
