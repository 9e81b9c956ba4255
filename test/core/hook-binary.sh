#!/bin/bash
# The start path's binary (oci-seccomp-learn-hook: hooks, inject, precreate,
# the runtime wrapper) must not load libcurl, libelf, capstone or libauparse
# (doc/performance.md, "Start latency"): ldd lists every library the dynamic
# loader maps, also those pulled in by other libraries. The full binary is
# checked the same way and must show them, so the check sees them.
set -uo pipefail
: "${OSL_BIN:?}" "${OSL_HOOK_BIN:?}"
fail=0
heavy='^lib(curl|elf|capstone|auparse|gnutls|ssl|crypto|gssapi_krb5|ldap)[-.]'
check() { # description, then a command that must succeed
        local what=$1
        shift
        if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fail=1; fi
}
libs() { ldd "$1" | awk '{ print $1 }'; }

hook_libs=$(libs "$OSL_HOOK_BIN") || { echo "not ok - ldd $OSL_HOOK_BIN failed"; exit 1; }
full_libs=$(libs "$OSL_BIN") || { echo "not ok - ldd $OSL_BIN failed"; exit 1; }
# shellcheck disable=SC2317 # called through check
loads() { grep -qE "$2" <<<"$1"; }
# shellcheck disable=SC2317
runs() { "$@" >/dev/null 2>&1; }
# shellcheck disable=SC2317
loads_core() { loads "$1" '^libseccomp[.]' && loads "$1" '^libyajl[.]' && loads "$1" '^libcap[.]'; }
check "the hook binary loads libseccomp, yajl and libcap" loads_core "$hook_libs"
if loads "$hook_libs" "$heavy"; then
        echo "not ok - the hook binary loads $(grep -E "$heavy" <<<"$hook_libs" | tr '\n' ' ')"
        fail=1
else
        echo "ok - the hook binary loads none of libcurl, libelf, capstone, libauparse and what they pull in"
fi
check "the check finds them in the full binary" loads "$full_libs" "$heavy"

# Its commands: those of the start path, nothing else.
help=$("$OSL_HOOK_BIN" --help)
for c in inject precreate runtime prestart poststop; do
        check "the hook binary lists $c" loads "$help" "^  $c "
        check "the hook binary runs $c --help" runs "$OSL_HOOK_BIN" "$c" --help
done
for c in agent profile; do
        "$OSL_HOOK_BIN" "$c" --help >/dev/null 2>&1
        check "the hook binary has no $c (exit 2)" test $? -eq 2
done
check "--version names the hook binary" loads "$("$OSL_HOOK_BIN" --version)" '^oci-seccomp-learn-hook [0-9]'
exit $fail
