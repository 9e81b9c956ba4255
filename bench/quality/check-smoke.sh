#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The 'bench-quality' test: runs bench/quality/run.sh --smoke (two held-out
# operations per program) and checks what does not depend on the machine:
# every summary row is there with numbers, every operation works without a
# filter and under the default profile (else the operation itself is wrong),
# and the clean stops (nginx's and the Python service's SIGTERM, sqlite3's
# SIGINT) work under every policy: the implied exits (doc/profiles.md).
#
#   check-smoke.sh PATH/TO/run.sh   (with $OSL_BIN, $PROFILE_TOOL)
set -euo pipefail

run=$1
if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: the suite starts runc containers, which needs root"
        exit 77
fi

out=$(mktemp /tmp/osl-quality-smoke.XXXXXX)
trap 'rm -f "$out"' EXIT
if ! timeout -k 10 800 "$run" --smoke >"$out"; then
        echo "FAIL: $run --smoke failed; it printed:"
        cat "$out"
        exit 1
fi
cat "$out"

failed=0
fail() {
        echo "FAIL: $*"
        failed=1
}
for p in sqlite3 nginx python; do
        for policy in "podman/CRI-O default" "observed only (--generalize none)" "+ families (--generalize families)"; do
                grep -qE "^\| $p \| [^|]*$(sed 's/[][().+/]/\\&/g' <<<"$policy") \| [0-9]+ \| [0-9.]+ \| 2 \| [0-9]+ \| [0-9]+ \|$" "$out" ||
                        fail "no summary row for $p, $policy"
        done
done
# Operation rows: "| op: what | none | default | observed | families |".
while IFS='|' read -r _ op none default observed families _; do
        op=${op# }
        [[ $none == " ok"* && $default == " ok"* ]] || fail "\"${op%%:*}\" does not work without our filter: $none, $default"
        case ${op%%:*} in
        term | interrupt)
                [[ $observed == " ok"* && $families == " ok"* ]] || fail "\"${op%%:*}\": $observed, $families"
                ;;
        esac
done < <(grep -E '^\| [a-z]+: ' "$out")
[ "$(grep -cE '^\| [a-z]+: ' "$out")" -eq 6 ] || fail "expected 6 operation rows"
[ $failed -eq 0 ] || exit 1
echo "PASS: every program ran under every policy; the clean stops work under enforce"
