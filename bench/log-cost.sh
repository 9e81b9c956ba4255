#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The cost of one getppid call in a runc container when the filter gives it
# SECCOMP_RET_LOG (learning through the log method, doc/learning.md), next
# to no filter, the learned profile in enforce mode (getppid allowed) and
# the notify method (getppid notified to the agent), all on first learning
# runs with nothing stored. The agent runs, with its audit collector, as in
# real use.
#
# The four containers of a set run one after the other, and each ratio is
# taken within a set (paired), so that a busy moment of the machine hits
# both sides of a ratio or neither. The table shows each filter's best round
# over all sets and, per ratio, the median over the sets and its spread
# (lowest to highest).
# shellcheck disable=SC2016 # jq programs: their $names are jq's
BENCH_NAME=log-cost
BENCH_DESCRIPTION="Nanoseconds per getppid call under SECCOMP_RET_LOG, next to notify, enforce (allow) and no filter, with paired ratios."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN GETPPID_LOOP runc jq timeout
bench_init

if [ "$BENCH_SMOKE" = 1 ]; then
        fast_calls=2000 slow_calls=200 rounds=1 sets=1
else
        fast_calls=200000 slow_calls=20000 rounds=5 sets=5
fi
image=localhost/bench-log-cost

loop_args() { jq -cn --arg n "$1" --arg r "$rounds" '["/getppid-loop", $n, $r]'; }
bench_loop_bundle "$BENCH_DIR/loop" "$(loop_args "$fast_calls")" "$image"
# The same loop, learning through the log method (the annotation, as users give it).
bench_loop_bundle "$BENCH_DIR/logged" "$(loop_args "$fast_calls")" "$image"
bench_jq_config "$BENCH_DIR/logged" '.annotations["io.seccomp-learn.method"] = "log"'
cp "$BENCH_DIR/logged/config.json" "$BENCH_DIR/logged/config.pristine"

bench_start_agent
grep -q "cannot read SECCOMP_RET_LOG records" "$BENCH_DIR/agent.log" &&
        bench_log "note: the agent cannot read audit records here; the LOG row still measures the kernel's side"

labels=("none" "enforce, learned profile (getppid allowed)" "learn, log method (getppid logged)"
        "learn, notify method (getppid notified)")
for ((i = 0; i < ${#labels[@]}; i++)); do
        : >"$BENCH_DIR/best.$i"
done
: >"$BENCH_DIR/pairs"
calls_of=()

# measure ROW SET BUNDLE MODE STORE ARGS-JSON: one container; its best
# round (ns per call) goes to best.ROW and to $last.
measure() {
        local row=$1 set=$2 dir=$3 mode=$4 store=$5 args=$6
        bench_loop "$dir" "$mode" "$store" "$args" "logcost-$row-$set-$RANDOM" "set $set: ${labels[$row]}"
        if [ "$row" = 2 ]; then
                jq -e '[.linux.seccomp.syscalls[] | select(.names | index("getppid")) | .action] == ["SCMP_ACT_LOG"]' \
                        "$dir/config.json" >/dev/null || bench_die "the log method's filter does not log getppid"
        fi
        echo "$LOOP_BEST" >>"$BENCH_DIR/best.$row"
        calls_of[row]=$LOOP_CALLS
        last=$LOOP_BEST
}

for ((set = 1; set <= sets; set++)); do
        # Fresh stores: getppid is not learned yet on either first run.
        measure 0 "$set" "$BENCH_DIR/loop" none "$BENCH_DIR/store.n.$set" "$(loop_args "$fast_calls")"
        none=$last
        measure 3 "$set" "$BENCH_DIR/loop" learn "$BENCH_DIR/store.n.$set" "$(loop_args "$slow_calls")"
        notify=$last
        measure 2 "$set" "$BENCH_DIR/logged" learn "$BENCH_DIR/store.l.$set" "$(loop_args "$slow_calls")"
        logged=$last
        measure 1 "$set" "$BENCH_DIR/loop" enforce "$BENCH_DIR/store.n.$set" "$(loop_args "$fast_calls")"
        enforce=$last
        echo "$(ratio "$logged" "$none") $(ratio "$logged" "$enforce") $(ratio "$notify" "$logged") $(ratio "$enforce" "$none")" \
                >>"$BENCH_DIR/pairs"
done

bench_stop_agent

echo "| filter | calls x rounds, containers | ns per call, best round |"
echo "| --- | --- | --- |"
for ((i = 0; i < ${#labels[@]}; i++)); do
        printf '| %s | %s, %s | %s |\n' "${labels[$i]}" "${calls_of[$i]}" "$sets" "$(sort -g "$BENCH_DIR/best.$i" | head -n 1)"
done
echo
echo "| ratio (paired within each set) | median over $sets sets | lowest | highest |"
echo "| --- | --- | --- | --- |"
ratio_labels=("log / none" "log / enforce" "notify / log" "enforce / none")
for ((i = 0; i < ${#ratio_labels[@]}; i++)); do
        col=$((i + 1))
        printf '| %s | %s | %s | %s |\n' "${ratio_labels[$i]}" \
                "$(cut -d' ' -f"$col" "$BENCH_DIR/pairs" | median)" \
                "$(cut -d' ' -f"$col" "$BENCH_DIR/pairs" | sort -g | head -n 1)" \
                "$(cut -d' ' -f"$col" "$BENCH_DIR/pairs" | sort -g | tail -n 1)"
done
