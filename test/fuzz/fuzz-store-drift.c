/* SPDX-License-Identifier: Apache-2.0 */
/* drift.json: osl_drift_parse against the current profile of a small store
 * (fuzz_store, version 1), as osl_store_load_drift reads it; what parses
 * must write (osl_drift_to_jv) and read back with the same records. */
#include "fuzz.h"
#include "store.h"

static osl_learned *current(void)
{
        static osl_learned *l;
        _cleanup_store_ osl_store *s = NULL;
        osl_error err = {};

        if (l)
                return l;
        if (osl_store_open(fuzz_store(), false, &s, &err) < 0 || osl_store_load(s, FUZZ_IMAGE_KEY, 0, &l, &err) < 0)
                fuzz_fail("cannot load the store's profile: %s", err.msg);
        return l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const osl_learned *cur = current();
        _cleanup_drift_ osl_drift *d = NULL, *d2 = NULL;
        _cleanup_jv_ jv *doc = NULL;
        _cleanup_free_ char *text = NULL;
        osl_error err = {};
        size_t len;

        if (osl_drift_parse((const char *) data, size, "drift.json", cur, &d, &err) < 0)
                return 0;
        if (osl_drift_to_jv(d, &doc, &err) < 0 || jv_serialize(doc, true, &text, &len, &err) < 0)
                fuzz_fail("parsed drift does not write: %s", err.msg);
        if (osl_drift_parse(text, len, "written drift.json", cur, &d2, &err) < 0)
                fuzz_fail("written drift does not parse: %s", err.msg);
        if (d2->n_records != d->n_records)
                fuzz_fail("drift had %zu records, has %zu after writing", d->n_records, d2->n_records);
        return 0;
}
