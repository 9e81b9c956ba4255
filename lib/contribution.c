/* SPDX-License-Identifier: Apache-2.0 */
/* A profile from elsewhere as an observation (contribution.h). */
#include "contribution.h"

#include <string.h>

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
