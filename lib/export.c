/* SPDX-License-Identifier: Apache-2.0 */
/* Exports of stored profiles (export.h, doc/exports.md). Everything here
 * reads an osl_learned; nothing touches the store. */
#include "export.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_internal.h"

static const char *const export_format_names[_OSL_EXPORT_MAX] = {
        [OSL_EXPORT_OCI] = "oci",
        [OSL_EXPORT_DOCKER] = "docker",
        [OSL_EXPORT_SPO] = "spo",
        [OSL_EXPORT_PODMAN_LABEL] = "podman-label",
        [OSL_EXPORT_DOCKER_CAPS] = "docker-caps",
        [OSL_EXPORT_KUBERNETES] = "kubernetes",
};

int osl_export_format_parse(const char *s, osl_export_format *out)
{
        for (unsigned i = 0; i < _OSL_EXPORT_MAX; i++)
                if (s && strcmp(s, export_format_names[i]) == 0) {
                        *out = (osl_export_format) i;
                        return 0;
                }
        return -EINVAL;
}

const char *osl_export_format_name(osl_export_format f)
{
        return (unsigned) f < _OSL_EXPORT_MAX ? export_format_names[f] : NULL;
}

/* FNV-1a: a short, stable tag for a key, not a security measure. */
static uint32_t fnv1a(const char *s)
{
        uint32_t h = 2166136261u;
        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= 16777619u;
        }
        return h;
}

static bool lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ASCII only: the C library's tolower() depends on the locale. */
static char ascii_lower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* Longest image part of a safe name: with the hash and "-v4294967295.json"
 * it stays below NAME_MAX and within the 253 bytes of a DNS-1123 subdomain. */
#define SAFE_NAME_BASE_MAX 200

int osl_learned_safe_name(const osl_learned *l, char **out, osl_error *err)
{
        const char *key = l->image_key;
        _cleanup_free_ char *base = malloc(strlen(key) + sizeof("image"));
        size_t n = 0;
        /* Whether two keys could map to this name: a character outside
         * [a-z0-9./] made '-', a '.' that could not stay, or a cut. A '/'
         * alone between two kept characters maps back unambiguously. */
        bool lossy = false, separator = false;

        if (!base)
                return osl_err(err, -ENOMEM, "out of memory");
        for (const char *p = key; *p; p++) {
                char c = ascii_lower(*p), next = ascii_lower(p[1]);
                if (c != *p)
                        lossy = true;
                /* DNS-1123: a '.' only between two alphanumerics. */
                bool keep = lower_alnum(c) || (c == '.' && !separator && n > 0 && lower_alnum(next));
                if (!keep) {
                        if (c != '/' || separator || n == 0 || !lower_alnum(next))
                                lossy = true;
                        separator = true;
                        continue;
                }
                if (separator && n > 0)
                        base[n++] = '-';
                separator = false;
                base[n++] = c;
        }
        if (separator)
                lossy = true;
        if (n > SAFE_NAME_BASE_MAX) {
                n = SAFE_NAME_BASE_MAX;
                while (n > 0 && !lower_alnum(base[n - 1]))
                        n--;
                lossy = true;
        }
        base[n] = '\0';
        if (n == 0) {
                strcpy(base, "image");
                lossy = true;
        }
        int r = lossy ? osl_asprintf(out, "%s-%08" PRIx32 "-v%" PRIu32, base, fnv1a(key), l->version)
                      : osl_asprintf(out, "%s-v%" PRIu32, base, l->version);
        if (r < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

int osl_learned_localhost_profile(const osl_learned *l, char **out, osl_error *err)
{
        _cleanup_free_ char *name = NULL;
        int r = osl_learned_safe_name(l, &name, err);
        if (r < 0)
                return r;
        if (osl_asprintf(out, OSL_KUBELET_SUBDIR "/%s.json", name) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        return 0;
}

/* A YAML double-quoted scalar: JSON-style escapes, which YAML 1.1 and 1.2
 * both read; every byte below 0x20, '"', '\\' and DEL escaped. */
static void yaml_quoted(FILE *f, const char *s)
{
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

/* Text inside a YAML comment: a line break would end the comment. */
static void yaml_comment_text(FILE *f, const char *s)
{
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

/* "- item" lines at indent, or " []" after the key when there are none. */
static void yaml_list(FILE *f, const char *key, int indent, char *const *items, size_t n, const char *strip_prefix)
{
        fprintf(f, "%*s%s:%s\n", indent, "", key, n == 0 ? " []" : "");
        for (size_t i = 0; i < n; i++) {
                const char *item = items[i];
                if (strip_prefix && strncmp(item, strip_prefix, strlen(strip_prefix)) == 0)
                        item += strlen(strip_prefix);
                fprintf(f, "%*s- ", indent + 2, "");
                yaml_quoted(f, item);
                fputc('\n', f);
        }
}

static int learned_seccomp(const osl_learned *l, osl_seccomp **out, osl_error *err)
{
        return osl_learned_to_seccomp(l, OSL_LEARNED_DEFAULT_ACTION, OSL_LEARNED_DEFAULT_ERRNO, out, err);
}

/* The SeccompProfile resource of the security-profiles-operator
 * (security-profiles-operator.x-k8s.io/v1beta1). Its spec has no
 * defaultErrnoRet: SCMP_ACT_ERRNO without one fails calls with EPERM, which
 * is what the learned profile says. */
static int write_spo(FILE *f, const osl_learned *l, const osl_seccomp *sc, osl_error *err)
{
        _cleanup_free_ char *name = NULL;
        int r;

        if (sc->has_default_errno_ret && sc->default_errno_ret != OSL_LEARNED_DEFAULT_ERRNO)
                return osl_err(err, -EINVAL, "a SeccompProfile cannot hold defaultErrnoRet %" PRIu32,
                               sc->default_errno_ret);
        if ((r = osl_learned_safe_name(l, &name, err)) < 0)
                return r;
        fprintf(f, "# oci-seccomp-learn: ");
        yaml_comment_text(f, l->image_key);
        fprintf(f, ", version %" PRIu32 "\n", l->version);
        fprintf(f, "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\n");
        fprintf(f, "kind: SeccompProfile\n");
        fprintf(f, "metadata:\n  name: ");
        yaml_quoted(f, name);
        fprintf(f, "\n  annotations:\n    io.seccomp-learn/image: ");
        yaml_quoted(f, l->image_key);
        fprintf(f, "\n    io.seccomp-learn/version: \"%" PRIu32 "\"\n", l->version);
        fprintf(f, "spec:\n  defaultAction: ");
        yaml_quoted(f, sc->default_action);
        fputc('\n', f);
        yaml_list(f, "architectures", 2, sc->architectures, sc->n_architectures, NULL);
        fprintf(f, "  syscalls:%s\n", sc->n_rules == 0 ? " []" : "");
        for (size_t i = 0; i < sc->n_rules; i++) {
                const osl_seccomp_rule *rule = &sc->rules[i];
                if (rule->n_args > 0 || rule->has_errno_ret)
                        return osl_err(err, -EINVAL, "syscalls[%zu]: argument conditions and errnoRet are not exported",
                                       i);
                fprintf(f, "    - action: ");
                yaml_quoted(f, rule->action);
                fputc('\n', f);
                yaml_list(f, "names", 6, rule->names, rule->n_names, NULL);
        }
        return 0;
}

static int capability_names(const osl_learned *l, char ***out, size_t *n, osl_error *err)
{
        _cleanup_strv_ char **names = calloc(1, sizeof(char *));
        size_t count = 0;

        if (!names)
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < l->n_capabilities; i++)
                if (osl_strv_push(&names, &count, l->capabilities[i].name) < 0)
                        return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(names);
        *n = count;
        return 0;
}

/* A container's securityContext: the installed profile (osl_learned_install_kubelet)
 * and only the learned capabilities. */
static int write_kubernetes(FILE *f, const osl_learned *l, osl_error *err)
{
        _cleanup_free_ char *localhost = NULL;
        _cleanup_strv_ char **caps = NULL;
        size_t n_caps = 0;
        int r;

        if ((r = osl_learned_localhost_profile(l, &localhost, err)) < 0 || (r = capability_names(l, &caps, &n_caps, err)) < 0)
                return r;
        fprintf(f, "# oci-seccomp-learn: ");
        yaml_comment_text(f, l->image_key);
        fprintf(f, ", version %" PRIu32 "; the profile must be on every node:\n# oci-seccomp-learn profile install ",
                l->version);
        yaml_comment_text(f, l->image_key);
        fprintf(f, " --version %" PRIu32 "\n", l->version);
        fprintf(f, "securityContext:\n  seccompProfile:\n    type: Localhost\n    localhostProfile: ");
        yaml_quoted(f, localhost);
        fprintf(f, "\n  capabilities:\n    drop:\n      - \"ALL\"\n");
        yaml_list(f, "add", 4, caps, n_caps, "CAP_");
        return 0;
}

static int write_docker_caps(FILE *f, const osl_learned *l)
{
        fputs("--cap-drop=ALL", f);
        for (size_t i = 0; i < l->n_capabilities; i++)
                /* Names are CAP_[A-Z0-9_]+ (checked when loaded): nothing to quote. */
                fprintf(f, " --cap-add=%s", l->capabilities[i].name + strlen("CAP_"));
        fputc('\n', f);
        return 0;
}

int osl_learned_export(const osl_learned *l, osl_export_format f, char **out, size_t *len, osl_error *err)
{
        _cleanup_seccomp_ osl_seccomp *sc = NULL;
        _cleanup_jv_ jv *v = NULL;
        _cleanup_free_ char *text = NULL;
        size_t n = 0;
        int r;

        switch (f) {
        case OSL_EXPORT_OCI:
        case OSL_EXPORT_DOCKER:
        case OSL_EXPORT_PODMAN_LABEL:
                /* Docker, podman (containers/common), containerd and kubelet
                 * read the same fields as the OCI form for such a profile. */
                if ((r = learned_seccomp(l, &sc, err)) < 0 ||
                    (r = osl_seccomp_to_jv(sc, f == OSL_EXPORT_OCI ? OSL_SECCOMP_OCI : OSL_SECCOMP_DOCKER, &v, err)) < 0)
                        return r;
                return jv_serialize(v, f != OSL_EXPORT_PODMAN_LABEL, out, len, err);
        case OSL_EXPORT_SPO:
        case OSL_EXPORT_DOCKER_CAPS:
        case OSL_EXPORT_KUBERNETES:
                break;
        default:
                return osl_err(err, -EINVAL, "unknown export format %d", (int) f);
        }

        _cleanup_fclose_ FILE *mem = open_memstream(&text, &n);
        if (!mem)
                return osl_err(err, -ENOMEM, "out of memory");
        if (f == OSL_EXPORT_SPO) {
                if ((r = learned_seccomp(l, &sc, err)) >= 0)
                        r = write_spo(mem, l, sc, err);
        } else if (f == OSL_EXPORT_KUBERNETES)
                r = write_kubernetes(mem, l, err);
        else
                r = write_docker_caps(mem, l);
        if (r < 0)
                return r;
        if (fclose(TAKE_PTR(mem)) != 0)
                return osl_err(err, -ENOMEM, "out of memory");
        *out = TAKE_PTR(text);
        if (len)
                *len = n;
        return 0;
}

int osl_learned_install_kubelet(const osl_learned *l, const char *kubelet_dir, char **path_out, osl_error *err)
{
        _cleanup_free_ char *localhost = NULL, *dir = NULL, *path = NULL, *text = NULL;
        size_t len;
        int r;

        if (!kubelet_dir || !*kubelet_dir)
                return osl_err(err, -EINVAL, "the kubelet directory name is empty");
        if ((r = osl_learned_localhost_profile(l, &localhost, err)) < 0)
                return r;
        if (osl_asprintf(&dir, "%s/seccomp/" OSL_KUBELET_SUBDIR, kubelet_dir) < 0 ||
            osl_asprintf(&path, "%s/seccomp/%s", kubelet_dir, localhost) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = osl_mkdir_p(dir, 0755, err)) < 0 || (r = osl_learned_export(l, OSL_EXPORT_OCI, &text, &len, err)) < 0 ||
            (r = osl_write_file_atomic(path, text, len, 0644, err)) < 0)
                return r;
        if (path_out)
                *path_out = TAKE_PTR(path);
        return 0;
}
