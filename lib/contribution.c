/* SPDX-License-Identifier: Apache-2.0 */
/* A profile from elsewhere as an observation (contribution.h). */
#include "contribution.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "image.h"
#include "seccomp_profile.h"
#include "store_internal.h"
#include "syscalls.h"

#define EPOCH "1970-01-01T00:00:00Z"

int osl_contribution_observation(const char *image_key, const osl_contribution *c, osl_observation **out,
                                 osl_error *err)
{
        _cleanup_observation_ osl_observation *o = osl_observation_new();
        _cleanup_seccomp_ osl_seccomp *sc = NULL;
        _cleanup_jv_ jv *doc = NULL;
        const char *native = osl_arch_native();
        char *const native_only[] = { (char *) native, NULL };
        int64_t sec;
        uint32_t nsec;
        int r;

        if (!o)
                return osl_err(err, -ENOMEM, "out of memory");
        if ((r = jv_parse(c->profile, c->len, c->source, &doc, err)) < 0 || (r = osl_seccomp_from_jv(doc, &sc, err)) < 0)
                return osl_err_prefix(err, "%s is not a seccomp profile", c->source);
        for (size_t i = 0; i < sc->n_rules; i++) {
                const osl_seccomp_rule *rule = &sc->rules[i];
                if (strcmp(rule->action, "SCMP_ACT_ALLOW") != 0 || rule->n_args > 0 || rule->includes || rule->excludes)
                        return osl_err(err, -EINVAL,
                                       "%s: syscalls[%zu] is not a plain allow rule (%s%s): only lists of allowed "
                                       "syscalls can be merged",
                                       c->source, i, rule->action, rule->n_args > 0 ? " with argument conditions" : "");
        }
        char *const *arches = sc->n_architectures > 0 ? sc->architectures : native_only;
        if (!arches[0])
                return osl_err(err, -EINVAL, "%s names no architecture and this machine has none", c->source);

        const char *time = c->time && osl_rfc3339_parse(c->time, &sec, &nsec) ? c->time : EPOCH;
        if (!(o->container_id = strdup(c->source)) || !(o->image_key = strdup(image_key)) ||
            !(o->start_time = strdup(time)) || !(o->end_time = strdup(time)) || !(o->method = strdup("manual")) ||
            (c->image_tag && !(o->image_tag = strdup(c->image_tag))) ||
            (c->image_digest && !(o->image_digest = strdup(c->image_digest))))
                return osl_err(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < sc->n_rules; i++)
                for (size_t k = 0; k < sc->rules[i].n_names; k++)
                        for (size_t a = 0; arches[a]; a++)
                                if ((r = osl_observation_add(o, arches[a], sc->rules[i].names[k],
                                                             OSL_ORIGIN_APPLICATION, 1, false)) < 0)
                                        return osl_err(err, r, "%s: cannot take %s of %s: %s", c->source,
                                                       sc->rules[i].names[k], arches[a], strerror(-r));
        *out = TAKE_PTR(o);
        return 0;
}

void osl_profile_artifact_clear(osl_profile_artifact *p)
{
        osl_learned_free(p->learned);
        free(p->profile);
        *p = (osl_profile_artifact) {};
}

int osl_profile_artifact_make(osl_store *s, const char *image_key, uint32_t version, osl_profile_artifact *p,
                              osl_error *err)
{
        size_t len;
        int r;

        *p = (osl_profile_artifact) {};
        if ((r = osl_store_load(s, image_key, version, &p->learned, err)) < 0 ||
            (r = osl_learned_export(p->learned, OSL_EXPORT_OCI, &p->profile, &len, err)) < 0)
                return r;
        if (len > OSL_OCI_MAX_PROFILE)
                return osl_err(err, -EFBIG, "%s: the profile is %zu bytes, more than the %u CRI-O takes", image_key,
                               len, OSL_OCI_MAX_PROFILE);
        /* The history ends with the version's own record (older ones may be
         * pruned). */
        const osl_learned *l = p->learned;
        const char *t = l->n_records > 0 ? l->records[l->n_records - 1].time : NULL;
        if (t && strlen(t) < sizeof(p->created))
                snprintf(p->created, sizeof(p->created), "%s", t);
        else
                osl_now_rfc3339(p->created);
        snprintf(p->version, sizeof(p->version), "%" PRIu32, l->version);
        char *const annotations[] = {
                OSL_OCI_ANNOTATION_CREATED, p->created,  OSL_ANNOTATION_IMAGE, l->image_key,
                OSL_ANNOTATION_VERSION,     p->version, NULL,
        };
        memcpy(p->annotations, annotations, sizeof(annotations));
        p->artifact = (osl_oci_artifact) {
                .artifact_type = OSL_SECCOMP_ARTIFACT_TYPE,
                .layer_media_type = OSL_SECCOMP_LAYER_MEDIA_TYPE,
                .layer_title = OSL_SECCOMP_LAYER_TITLE,
                .data = p->profile,
                .len = len,
                .annotations = p->annotations,
        };
        return 0;
}

int osl_profile_artifact_check_image(const osl_oci_fetched *f, const char *image_key, osl_error *err)
{
        const char *learned_for = jv_str(jv_obj_get(f->annotations, OSL_ANNOTATION_IMAGE));
        if (learned_for && strcmp(learned_for, image_key) != 0)
                return osl_err(err, -EINVAL, "is for %.200s, not %s", learned_for, image_key);
        return 0;
}

int osl_registry_contribution(const osl_registry *reg, const osl_oci_fetched *f, const char *image_key,
                              osl_observation **out, osl_error *err)
{
        _cleanup_free_ char *source = NULL;

        if (osl_asprintf(&source, "registry:%s/%s@%s", osl_registry_host(reg), osl_registry_repository(reg),
                         f->artifact) < 0)
                return osl_err(err, -ENOMEM, "out of memory");
        const osl_contribution c = {
                .source = source,
                .time = jv_str(jv_obj_get(f->annotations, OSL_OCI_ANNOTATION_CREATED)),
                .image_tag = osl_registry_tag(reg),
                .image_digest = f->subject,
                .profile = f->data,
                .len = f->len,
        };
        return osl_contribution_observation(image_key, &c, out, err);
}
