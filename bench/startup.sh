#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Start latency: how long `runc run` of a short command (busybox `true`)
# takes with no filter, with the learning filter on a first run (a fresh
# store) and once converged (the image learned before), and in enforce mode.
# The time is the whole `runc run` in the foreground, from the start to the
# exit, so it holds runc's compilation of the filter, the prestart and
# poststop hooks (runc runs poststop when it deletes the container at the
# end) and the agent's work; the filter is put into config.json beforehand
# (inject, not timed), as a runtime wrapper or podman's precreate hook does.
#
# Paired runs: each run starts the four containers one after the other in a
# random order, and every filter's time is compared with the time without a
# filter of the same run. The table gives the median of the runs, the added
# milliseconds (median, p10, p90 of the paired differences) and the ratio to
# no filter (median of the paired ratios).
# shellcheck disable=SC2016 # jq programs: their $names are jq's
BENCH_NAME=startup
BENCH_DESCRIPTION="Milliseconds per 'runc run' of a short command, per filter (none, learn first run, learn converged, enforce), paired runs."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN runc jq shuf timeout
bench_init

if [ "$BENCH_SMOKE" = 1 ]; then
        runs=3
else
        runs=${STARTUP_RUNS:-40}
fi
image=localhost/bench-startup
variants=(none learn-first learn-converged learn-converged-filter enforce)
declare -A label=(
        [none]="none"
        [learn-first]="learn, first run"
        [learn-converged]="learn, converged"
        [learn-converged-filter]="learn, converged, filter only (no hooks)"
        [enforce]="enforce, learned profile"
)

bench_start_agent
for v in "${variants[@]}"; do
        bench_bundle "$BENCH_DIR/$v" busybox '["/bin/true"]' "$image"
done

# The converged store: the image learned twice (the second run learns what
# the first run's filter could not notify, if anything) before timing.
converged=$BENCH_DIR/store.converged
for i in 1 2; do
        bench_set_filter "$BENCH_DIR/learn-converged" learn "$converged"
        bench_run "$BENCH_DIR/learn-converged" "prepare-$i" 30
done
[ "$(osl "$converged" profile show "$image" --json | jq '.syscalls | length')" -gt 0 ] ||
        bench_die "the learning runs stored no profile for $image"
bench_set_filter "$BENCH_DIR/learn-converged" learn "$converged"
bench_set_filter "$BENCH_DIR/enforce" enforce "$converged"
# The same learning filter without our prestart and poststop hooks: what
# the filter alone costs (runc compiles it, the agent gets its fd).
bench_set_filter "$BENCH_DIR/learn-converged-filter" none "$converged"
bench_jq_config "$BENCH_DIR/learn-converged-filter" '.annotations["io.seccomp-learn.mode"] = "learn"'
osl "$converged" inject --no-hooks "$BENCH_DIR/learn-converged-filter" >>"$BENCH_DIR/inject.log" 2>&1 ||
        { cat "$BENCH_DIR/inject.log" >&2; bench_die "inject --no-hooks failed"; }
bench_set_filter "$BENCH_DIR/none" none "$converged"

# timed DIR ID: one `runc run` in the foreground; prints its milliseconds.
timed() {
        local dir=$1 id=$2 t0 t1 rc=0
        BENCH_CONTAINERS+=("$id")
        t0=$(date +%s%N)
        timeout -k 5 30 runc --root "$BENCH_DIR/runc" run --bundle "$dir" "$id" \
                </dev/null >"$dir/$id.out" 2>"$dir/$id.err" || rc=$?
        t1=$(date +%s%N)
        timeout 20 runc --root "$BENCH_DIR/runc" delete -f "$id" >/dev/null 2>&1 || true
        if [ $rc -ne 0 ]; then
                cat "$dir/$id.out" "$dir/$id.err" >&2
                bench_die "container $id failed (status $rc)"
        fi
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}

for v in "${variants[@]}"; do
        : >"$BENCH_DIR/ms.$v"
done
for ((run = 1; run <= runs; run++)); do
        # A first run needs a store that has never seen the image.
        bench_set_filter "$BENCH_DIR/learn-first" learn "$BENCH_DIR/store.first.$run"
        order=$(printf '%s\n' "${variants[@]}" | shuf | tr '\n' ' ')
        bench_log "run $run/$runs: $order"
        for v in $order; do
                timed "$BENCH_DIR/$v" "$v-$run" >>"$BENCH_DIR/ms.$v"
        done
        rm -rf "$BENCH_DIR/store.first.$run"
done

# Nearest-rank percentile P of the numbers on stdin.
percentile() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i] }'; }

echo "| filter | runs | ms per \`runc run\`, median | added ms, median | added ms, p10 | added ms, p90 | ratio to none, median |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for v in "${variants[@]}"; do
        med=$(median <"$BENCH_DIR/ms.$v")
        paste "$BENCH_DIR/ms.$v" "$BENCH_DIR/ms.none" | awk '{ printf "%.3f\n", $1 - $2 }' >"$BENCH_DIR/added.$v"
        paste "$BENCH_DIR/ms.$v" "$BENCH_DIR/ms.none" | awk '{ printf "%.4f\n", $1 / $2 }' >"$BENCH_DIR/ratio.$v"
        printf '| %s | %s | %.1f | %.1f | %.1f | %.1f | %.2f |\n' "${label[$v]}" "$runs" "$med" \
                "$(median <"$BENCH_DIR/added.$v")" "$(percentile 10 <"$BENCH_DIR/added.$v")" \
                "$(percentile 90 <"$BENCH_DIR/added.$v")" "$(median <"$BENCH_DIR/ratio.$v")"
done
echo
echo "busybox \`true\` in runc, $runs paired runs in random order; added: the filter's run minus the same run's"
echo "run without a filter. The learned profile (converged, enforce) is what two learning runs stored."
