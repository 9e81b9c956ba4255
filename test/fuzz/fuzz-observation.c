/* SPDX-License-Identifier: Apache-2.0 */
/* An observation file (RUNDIR/observations/<id>.json, `profile merge`):
 * what osl_observation_load does after reading, then the written form,
 * which must read back as the same document. */
#include "fuzz.h"
#include "observation.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_jv_ jv *v = NULL, *out = NULL, *out2 = NULL;
        _cleanup_observation_ osl_observation *o = NULL, *o2 = NULL;
        _cleanup_strv_ char **unknown = NULL;
        size_t n_unknown;
        osl_error err = {};

        if (jv_parse((const char *) data, size, "observation", &v, &err) < 0)
                return 0;
        if (osl_observation_from_jv(v, &o, &err) < 0)
                return 0;
        if (osl_observation_unknown_syscalls(o, &unknown, &n_unknown) < 0)
                abort();
        if (osl_observation_to_jv(o, &out, &err) < 0)
                fuzz_fail("a parsed observation does not write: %s", err.msg);
        if (osl_observation_from_jv(out, &o2, &err) < 0)
                fuzz_fail("a written observation does not parse: %s", err.msg);
        if (osl_observation_to_jv(o2, &out2, &err) < 0)
                fuzz_fail("a re-read observation does not write: %s", err.msg);
        if (!jv_equal(out, out2))
                fuzz_fail("an observation changed in a write and read round trip");
        return 0;
}
