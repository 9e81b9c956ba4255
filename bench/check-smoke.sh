#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The 'bench' test: runs bench/run-all.sh --smoke (tiny counts) and checks
# that it succeeds and prints every table with every row filled with
# numbers. It never judges a time or a rate: those depend on the machine.
# It does check the counts that do not: the agent answered exactly the
# calls the loops made, and a converged learning run is notified less than
# the first one.
#
#   check-smoke.sh PATH/TO/run-all.sh   (with $OSL_BIN, $GETPPID_LOOP, $PROFILE_TOOL)
set -euo pipefail

run_all=$1
if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: the benchmarks start runc containers, which needs root"
        exit 77
fi

out=$(mktemp /tmp/osl-bench-smoke.XXXXXX)
trap 'rm -f "$out"' EXIT
if ! timeout -k 10 800 "$run_all" --smoke >"$out"; then
        echo "FAIL: $run_all --smoke failed; it printed:"
        cat "$out"
        exit 1
fi
cat "$out"

failed=0
# row SECTION LABEL: prints the cells after the label of that row in the
# section whose heading starts with SECTION; fails when there is no such row
# or a cell is not a number ("2000 x 1, 1" counts as one; a difference may be negative).
row() {
        local cells
        cells=$(awk -v section="## $1" -v label="$2" '
                /^## / { in_section = index($0, section) == 1 }
                in_section && index($0, "| " label " |") == 1 {
                        n = split($0, cell, " \\| ")
                        sub(/ \|$/, "", cell[n])
                        for (i = 2; i <= n; i++) printf "%s%s", cell[i], i < n ? "\t" : "\n"
                        found = 1
                        exit
                }
                END { exit !found }' "$out") || { echo "FAIL: no row \"$2\" under \"## $1\"" >&2; failed=1; return 1; }
        local cell
        while IFS= read -r -d $'\t' cell; do
                if ! [[ $cell =~ ^-?[0-9]+(\.[0-9]+)?( x [0-9]+, [0-9]+)?$ ]]; then
                        echo "FAIL: row \"$2\" under \"## $1\": \"$cell\" is not a number" >&2
                        failed=1
                        return 1
                fi
        done <<<"$cells"$'\t'
        printf '%s\n' "$cells"
}

filters=("none" "podman/CRI-O default profile" "enforce, learned profile"
         "learn, first run (every call notified)" "learn, converged (second run)")
for label in "${filters[@]}" "strace -f, pinned to one CPU" "strace -f"; do
        row "Cost of one syscall" "$label" >/dev/null || true
done
for label in "${filters[@]}"; do
        row "redis-server" "$label" >/dev/null || true
done
for label in "none" "enforce, learned profile (getppid allowed)" "learn, log method (getppid logged)" \
             "learn, notify method (getppid notified)" "log / none" "log / enforce" "notify / log" "enforce / none"; do
        row "SECCOMP_RET_LOG cost" "$label" >/dev/null || true
done
for label in "agent VmRSS, idle" "agent VmRSS, 1 learning container" "agent VmRSS, 8 learning containers" \
             "agent VmRSS, after all containers stopped" "agent VmHWM (peak RSS) over the whole run" \
             "1 container" "4 containers"; do
        row "The agent" "$label" >/dev/null || true
done

for label in "none" "learn, first run" "learn, converged" "learn, converged, filter only (no hooks)" \
             "enforce, learned profile"; do
        row "Start latency" "$label" >/dev/null || true
done

# The smoke run of bench/store.sh: stores of 1 and 10 versions, 20 images.
for label in "1 version" "10 versions" "1 version, as many syscalls" "20 images"; do
        row "Store" "$label" >/dev/null || true
done

# Counts, not times (rows already reported missing above are skipped here).
# The notifications column is the last of the redis table.
last_cell() { row "$@" 2>/dev/null | awk -F'\t' '{ print $NF }'; }
first=$(last_cell "redis-server" "learn, first run (every call notified)") || true
converged=$(last_cell "redis-server" "learn, converged (second run)") || true
none=$(last_cell "redis-server" "none") || true
if [ -n "$first" ] && [ -n "$converged" ] && [ -n "$none" ]; then
        if ! [ "$first" -gt 0 ] || ! [ "$converged" -lt "$first" ] || [ "$none" != 0 ]; then
                echo "FAIL: redis notifications: first learning run $first, converged $converged, none $none"
                failed=1
        fi
fi
# The smoke loops make 200 calls each (bench/agent.sh): the agent answered
# every one of them, counted by the loops themselves.
for n in 1 4; do
        label="$n container$([ $n -eq 1 ] || echo s)"
        got=$(row "The agent" "$label" 2>/dev/null | cut -f1) || true
        if [ -n "$got" ] && [ "$got" != $((200 * n)) ]; then
                echo "FAIL: \"$label\": $got notified calls made, expected $((200 * n))"
                failed=1
        fi
done

if [ $failed -ne 0 ]; then
        exit 1
fi
echo "PASS: every benchmark ran and printed every row"
