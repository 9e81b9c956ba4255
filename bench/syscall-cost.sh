#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The cost of one syscall (getppid) inside a runc container under each kind
# of filter: none, the podman/CRI-O default profile, the learned profile in
# enforce mode, the learning filter on a first run (every call notified to
# the agent) and once converged, and strace -f. Prints a markdown table with
# nanoseconds per call and the ratio to no filter; each number is the median
# of several rounds in one container.
BENCH_NAME=syscall-cost
BENCH_DESCRIPTION="Nanoseconds per getppid call in a runc container, per seccomp filter, and the ratio to no filter."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN GETPPID_LOOP PROFILE_TOOL runc jq strace taskset timeout
bench_init

# Calls per round and rounds: cheap filters get many calls, the notified and
# traced loops fewer (each call costs microseconds there).
if [ "$BENCH_SMOKE" = 1 ]; then
        fast_calls=2000 slow_calls=200 strace_calls=50 rounds=1
else
        fast_calls=2000000 slow_calls=100000 strace_calls=5000 rounds=5
fi
image=localhost/bench-getppid
store=$BENCH_DIR/store

# The loop runs alone in a busybox rootfs when it is static, else (sanitizer
# builds) with the host's /usr.
kind=busybox
if ldd "$GETPPID_LOOP" >/dev/null 2>&1; then
        kind=hostusr
fi
loop_args() { jq -cn --arg n "$1" --arg r "$rounds" '["/getppid-loop", $n, $r]'; }
bench_bundle "$BENCH_DIR/loop" "$kind" "$(loop_args "$fast_calls")" "$image"
cp "$GETPPID_LOOP" "$BENCH_DIR/loop/rootfs/getppid-loop"

# strace is a host program: the host's /usr, and CAP_SYS_PTRACE as in
# test/integration/learn.bats.
bench_bundle "$BENCH_DIR/strace" hostusr '[]'
cp "$GETPPID_LOOP" "$BENCH_DIR/strace/rootfs/getppid-loop"
jq '.process.capabilities |= with_entries(if .key == "ambient" then . else .value += ["CAP_SYS_PTRACE"] end)' \
        "$BENCH_DIR/strace/config.pristine" >"$BENCH_DIR/strace/config.new"
mv "$BENCH_DIR/strace/config.new" "$BENCH_DIR/strace/config.pristine"

bench_start_agent

rows=()
base_ns=

# measure LABEL BUNDLE MODE ARGS-JSON: one container, one table row.
measure() {
        local label=$1 dir=$2 mode=$3 args=$4 id line ns
        id=cost-$mode-$RANDOM
        bench_set_filter "$dir" "$mode" "$store"
        bench_jq_config "$dir" '.process.args = $a' --argjson a "$args"
        bench_log "$label"
        bench_run "$dir" "$id" 300
        line=$(grep '^calls=' "$dir/$id.out" || true)
        ns=$(field median_ns "$line")
        [ -n "$ns" ] || { cat "$dir/$id.out" "$dir/$id.err" >&2; bench_die "$label: no result from getppid-loop"; }
        [ -n "$base_ns" ] || base_ns=$ns
        rows+=("| $label | $(field calls "$line") x $(field reps "$line") | $ns | $(ratio "$ns" "$base_ns") |")
}

measure "none" "$BENCH_DIR/loop" none "$(loop_args "$fast_calls")"
measure "podman/CRI-O default profile" "$BENCH_DIR/loop" default "$(loop_args "$fast_calls")"
# A fresh store: nothing is learned yet, so every getppid is notified.
measure "learn, first run (every call notified)" "$BENCH_DIR/loop" learn "$(loop_args "$slow_calls")"
[ "$(osl "$store" profile show "$image" --json | jq '[.syscalls[] | select(.name == "getppid")] | length')" -gt 0 ] ||
        bench_die "the first learning run did not store getppid for $image"
measure "learn, converged (second run)" "$BENCH_DIR/loop" learn "$(loop_args "$fast_calls")"
measure "enforce, learned profile" "$BENCH_DIR/loop" enforce "$(loop_args "$fast_calls")"
strace_args() { # pinned|unpinned
        jq -cn --arg n "$strace_calls" --arg r "$rounds" --arg how "$1" '
                (if $how == "pinned" then ["taskset", "-c", "0"] else [] end)
                + ["strace", "-f", "-qq", "-o", "/dev/null", "/getppid-loop", $n, $r]'
}
measure "strace -f, pinned to one CPU" "$BENCH_DIR/strace" none "$(strace_args pinned)"
measure "strace -f" "$BENCH_DIR/strace" none "$(strace_args unpinned)"

bench_stop_agent

echo "| filter | calls x rounds | ns per call (median) | ratio to none |"
echo "| --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
