/* SPDX-License-Identifier: Apache-2.0 */
/* The syscall family table (lib/families.h), a check per row: every member
 * is a syscall libseccomp knows, no syscall is in two families, each row is
 * documented in doc/profiles.md, and nothing whose arguments decide what it
 * may do unseen (clone3) is in one. argv[1]: doc/profiles.md. */
#include <string.h>

#include "families.h"
#include "syscalls.h"
#include "testing.h"

int main(int argc, char **argv)
{
        _cleanup_free_ char *doc = NULL;
        osl_error err = {};
        size_t len, rows = 0;

        CHECK_MSG(argc == 2 && osl_read_file(argv[1], 1 << 20, &doc, &len, &err) == 0, "doc/profiles.md: %s", err.msg);
        for (const osl_family *f = osl_families; f->name; f++, rows++) {
                size_t members = 0;
                char row[96];
                for (const char *const *m = f->members; *m; m++, members++) {
                        CHECK_MSG(osl_syscall_known(*m), "family %s: libseccomp does not know %s", f->name, *m);
                        CHECK_MSG(osl_family_of(*m) == f, "%s is in family %s and an earlier one", *m, f->name);
                }
                CHECK_MSG(members >= 2, "family %s has %zu members", f->name, members);
                snprintf(row, sizeof(row), "| %s |", f->name);
                CHECK_MSG(doc && strstr(doc, row), "doc/profiles.md has no row %s", row);
        }
        CHECK(rows >= 30);
        CHECK(osl_family_of("clone3") == NULL);
        CHECK(osl_family_of("clone") != NULL && strcmp(osl_family_of("clone")->name, "process") == 0);
        CHECK(osl_family_of("no_such_call") == NULL);

        osl_generalize g;
        CHECK(osl_generalize_parse("none", &g) == 0 && g == OSL_GENERALIZE_NONE);
        CHECK(osl_generalize_parse("families", &g) == 0 && g == OSL_GENERALIZE_FAMILIES);
        CHECK(osl_generalize_parse("all", &g) == -EINVAL);
        CHECK(osl_syscall_implied_for_application("exit_group") && osl_syscall_implied_for_application("write") &&
              !osl_syscall_implied_for_application("mkdir"));
        return testing_result();
}
