#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The cost of one syscall (getppid) inside a runc container under each kind
# of filter: none, the podman/CRI-O default profile, the learned profile in
# enforce mode, the learning filter on a first run (every call notified to
# the agent) and once converged, and strace -f. Prints a markdown table with
# nanoseconds per call and the ratio to no filter.
#
# Other work on the machine can only make a round slower, never faster, so
# the table's main number is the best round of all containers of a row, and
# the ratio is best to best; the median of the rounds is shown beside it.
# shellcheck disable=SC2016 # jq programs: their $names are jq's
BENCH_NAME=syscall-cost
BENCH_DESCRIPTION="Nanoseconds per getppid call in a runc container, per seccomp filter, and the ratio to no filter."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN GETPPID_LOOP PROFILE_TOOL runc jq strace taskset timeout
bench_init

# Calls per round, rounds per container, and how many times the whole set
# of containers runs, one container after the other: the sets spread each
# row over the run, so that a busy minute does not fall on one row only.
# Cheap filters get many calls, the notified and traced loops fewer (each of
# their calls costs microseconds).
if [ "$BENCH_SMOKE" = 1 ]; then
        fast_calls=2000 slow_calls=200 strace_calls=50 rounds=1 sets=1
else
        fast_calls=200000 slow_calls=20000 strace_calls=1000 rounds=5 sets=3
fi
image=localhost/bench-getppid

loop_args() { jq -cn --arg n "$1" --arg r "$rounds" '["/getppid-loop", $n, $r]'; }
bench_loop_bundle "$BENCH_DIR/loop" "$(loop_args "$fast_calls")" "$image"

# strace is a host program: the host's /usr, and CAP_SYS_PTRACE as in
# test/integration/learn.bats.
bench_bundle "$BENCH_DIR/strace" hostusr '[]'
cp "$GETPPID_LOOP" "$BENCH_DIR/strace/rootfs/getppid-loop"
# A sanitizer build's loop: LeakSanitizer cannot run under ptrace.
jq '.process.capabilities |= with_entries(if .key == "ambient" then . else .value += ["CAP_SYS_PTRACE"] end)
    | .process.env += ["ASAN_OPTIONS=detect_leaks=0"]' \
        "$BENCH_DIR/strace/config.pristine" >"$BENCH_DIR/strace/config.new"
mv "$BENCH_DIR/strace/config.new" "$BENCH_DIR/strace/config.pristine"
strace_args() { # pinned|unpinned
        jq -cn --arg n "$strace_calls" --arg r "$rounds" --arg how "$1" '
                (if $how == "pinned" then ["taskset", "-c", "0"] else [] end)
                + ["strace", "-f", "-qq", "-o", "/dev/null", "/getppid-loop", $n, $r]'
}

bench_start_agent

# The rows, in order: label, bundle, filter mode, process.args.
labels=("none" "podman/CRI-O default profile" "enforce, learned profile"
        "learn, first run (every call notified)" "learn, converged (second run)"
        "strace -f, pinned to one CPU" "strace -f")
for ((i = 0; i < ${#labels[@]}; i++)); do
        : >"$BENCH_DIR/best.$i"
        : >"$BENCH_DIR/median.$i"
done
calls_of=()

# measure ROW SET BUNDLE MODE STORE ARGS-JSON: one container; appends its
# best round (ns per call) to best.ROW and its median round to median.ROW.
measure() {
        local row=$1 set=$2 dir=$3 mode=$4 store=$5 args=$6
        bench_loop "$dir" "$mode" "$store" "$args" "cost-$row-$set-$RANDOM" "set $set: ${labels[$row]}"
        echo "$LOOP_BEST" >>"$BENCH_DIR/best.$row"
        echo "$LOOP_MEDIAN" >>"$BENCH_DIR/median.$row"
        calls_of[row]=$LOOP_CALLS
}

for ((set = 1; set <= sets; set++)); do
        # A fresh store per set: nothing is learned yet, so the first
        # learning run notifies every getppid; the second and enforce use
        # what it stored.
        store=$BENCH_DIR/store.$set
        measure 0 "$set" "$BENCH_DIR/loop" none "$store" "$(loop_args "$fast_calls")"
        measure 1 "$set" "$BENCH_DIR/loop" default "$store" "$(loop_args "$fast_calls")"
        measure 3 "$set" "$BENCH_DIR/loop" learn "$store" "$(loop_args "$slow_calls")"
        [ "$(osl "$store" profile show "$image" --json | jq '[.syscalls[] | select(.name == "getppid")] | length')" -gt 0 ] ||
                bench_die "the first learning run did not store getppid for $image"
        measure 4 "$set" "$BENCH_DIR/loop" learn "$store" "$(loop_args "$fast_calls")"
        measure 2 "$set" "$BENCH_DIR/loop" enforce "$store" "$(loop_args "$fast_calls")"
        measure 5 "$set" "$BENCH_DIR/strace" none "$store" "$(strace_args pinned)"
        measure 6 "$set" "$BENCH_DIR/strace" none "$store" "$(strace_args unpinned)"
done

bench_stop_agent

echo "| filter | calls x rounds, containers | ns per call, best round | ns per call, median round | ratio to none (best) |"
echo "| --- | --- | --- | --- | --- |"
none_best=$(sort -g "$BENCH_DIR/best.0" | head -n 1)
for ((i = 0; i < ${#labels[@]}; i++)); do
        best=$(sort -g "$BENCH_DIR/best.$i" | head -n 1)
        printf '| %s | %s, %s | %s | %s | %s |\n' "${labels[$i]}" "${calls_of[$i]}" "$sets" \
                "$best" "$(median <"$BENCH_DIR/median.$i")" "$(ratio "$best" "$none_best")"
done
