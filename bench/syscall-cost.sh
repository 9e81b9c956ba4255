#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The cost of one syscall (getppid) inside a runc container under each kind
# of filter: none, the podman/CRI-O default profile, the learned profile in
# enforce mode, the learning filter on a first run (every call notified to
# the agent) and once converged, and strace -f. Prints a markdown table with
# nanoseconds per call and the ratio to no filter: the median over several
# sets of containers, each container reporting the median of its rounds.
BENCH_NAME=syscall-cost
BENCH_DESCRIPTION="Nanoseconds per getppid call in a runc container, per seccomp filter, and the ratio to no filter."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN GETPPID_LOOP PROFILE_TOOL runc jq strace taskset timeout
bench_init

# Calls per round, rounds per container, and how many times the whole set
# of containers runs. The containers of one set run one after the other and
# each set is compared with its own "none": on a busy machine the cost of a
# syscall drifts over a minute, and that drift must not land in one row.
# Cheap filters get many calls, the notified and traced loops fewer (each of
# their calls costs microseconds).
if [ "$BENCH_SMOKE" = 1 ]; then
        fast_calls=2000 slow_calls=200 strace_calls=50 rounds=1 sets=1
else
        fast_calls=300000 slow_calls=30000 strace_calls=2000 rounds=3 sets=3
fi
image=localhost/bench-getppid

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
        : >"$BENCH_DIR/ns.$i"
        : >"$BENCH_DIR/ratio.$i"
done
calls_of=()

# measure ROW SET BUNDLE MODE STORE ARGS-JSON: one container; appends its
# median ns per call to ns.ROW and its ratio to this set's "none" to ratio.ROW.
measure() {
        local row=$1 set=$2 dir=$3 mode=$4 store=$5 args=$6 id line ns
        id=cost-$row-$set-$RANDOM
        bench_set_filter "$dir" "$mode" "$store"
        bench_jq_config "$dir" '.process.args = $a' --argjson a "$args"
        bench_log "set $set: ${labels[$row]}"
        bench_run "$dir" "$id" 300
        line=$(grep '^calls=' "$dir/$id.out" || true)
        ns=$(field median_ns "$line")
        [ -n "$ns" ] || { cat "$dir/$id.out" "$dir/$id.err" >&2; bench_die "${labels[$row]}: no result from getppid-loop"; }
        [ "$row" -ne 0 ] || set_none_ns=$ns
        echo "$ns" >>"$BENCH_DIR/ns.$row"
        echo "$(ratio "$ns" "$set_none_ns")" >>"$BENCH_DIR/ratio.$row"
        calls_of[row]="$(field calls "$line") x $(field reps "$line")"
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

echo "| filter | calls x rounds, containers | ns per call (median) | ratio to none (median) |"
echo "| --- | --- | --- | --- |"
for ((i = 0; i < ${#labels[@]}; i++)); do
        printf '| %s | %s, %s | %s | %s |\n' "${labels[$i]}" "${calls_of[$i]}" "$sets" \
                "$(median <"$BENCH_DIR/ns.$i")" "$(median <"$BENCH_DIR/ratio.$i" | xargs printf '%.2f')"
done
