#!/bin/bash
# The start path's binary (oci-seccomp-learn-hook: hooks, inject, precreate,
# the runtime wrapper) must not load libcurl, libelf, capstone or libauparse
# (doc/performance.md, "Start latency"): ldd lists every library the dynamic
# loader maps, also those pulled in by other libraries. The full binary is
# checked the same way and must be refused, so the check sees them.
set -uo pipefail
: "${OSL_BIN:?}" "${OSL_HOOK_BIN:?}"
fail=0
heavy='lib(curl|elf|capstone|auparse|gnutls|ssl|crypto|gssapi_krb5|ldap)[-.]'
check() { # description, then a command that must succeed
        local what=$1
        shift
        if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fail=1; fi
}
libs() { ldd "$1" | awk '{ print $1 }'; }

hook_libs=$(libs "$OSL_HOOK_BIN") || { echo "not ok - ldd $OSL_HOOK_BIN failed"; exit 1; }
full_libs=$(libs "$OSL_BIN") || { echo "not ok - ldd $OSL_BIN failed"; exit 1; }
check "the hook binary loads libseccomp, yajl and libcap" \
        eval 'grep -q "^libseccomp\." <<<"$hook_libs" && grep -q "^libyajl\." <<<"$hook_libs" && grep -q "^libcap\." <<<"$hook_libs"'
check "the hook binary loads none of libcurl, libelf, capstone, libauparse and what they pull in" \
        eval '! grep -E "^$heavy" <<<"$hook_libs"'
check "the check finds them in the full binary" eval 'grep -qE "^libcurl[.]" <<<"$full_libs" && grep -qE "^libelf[.]" <<<"$full_libs"'

# Its commands: those of the start path, nothing else.
help=$("$OSL_HOOK_BIN" --help)
for c in inject precreate runtime prestart poststop; do
        check "the hook binary has $c" eval 'grep -qE "^  $c " <<<"$help" && "$OSL_HOOK_BIN" "$c" --help >/dev/null'
done
for c in agent profile; do
        "$OSL_HOOK_BIN" "$c" --help >/dev/null 2>&1
        rc=$?
        check "the hook binary has no $c (exit 2)" test "$rc" -eq 2
done
check "--version names the hook binary" eval '"$OSL_HOOK_BIN" --version | grep -qE "^oci-seccomp-learn-hook [0-9]"'
exit $fail
