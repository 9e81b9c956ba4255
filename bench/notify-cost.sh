#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What a first learning run costs, paired (doc/performance.md, "Notify
# cost"): in each round, the getppid loop without a filter, under a first
# learning run and under `strace -f`, and redis-server without a filter and
# under a first learning run, one right after the other, so that each round's
# ratios compare runs made under the same load. With OSL_BIN_BEFORE set, each
# round also runs the learning rows with that binary (its own agent and run
# dir): before and after in the same rounds, in alternating order.
# shellcheck disable=SC2016 # jq programs: their $names are jq's
BENCH_NAME=notify-cost
BENCH_DESCRIPTION="Paired rounds: a notified getppid against no filter and strace -f, and redis-benchmark under a first learning run against no filter (medians of the rounds' ratios, with their spread)."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN GETPPID_LOOP runc jq strace redis-server redis-benchmark redis-cli ss timeout
bench_init

if [ "$BENCH_SMOKE" = 1 ]; then
        rounds=1 loop_calls=2000 strace_calls=50 requests=200
else
        rounds=${NOTIFY_ROUNDS:-5} loop_calls=20000 strace_calls=2000 requests=20000
fi
binaries=("$OSL_BIN")
names=(now)
if [ -n "${OSL_BIN_BEFORE:-}" ]; then
        [ -x "$OSL_BIN_BEFORE" ] || bench_die "\$OSL_BIN_BEFORE: $OSL_BIN_BEFORE is not an executable"
        binaries=("$OSL_BIN_BEFORE" "$OSL_BIN")
        names=(before now)
fi

# One agent per binary, each with its own run dir.
osl() { # osl STORE ARGS...: binary $BIN, run dir $RUN
        local store=$1
        shift
        "$BIN" --store "$store" --run-dir "$RUN" "$@"
}
for v in "${!binaries[@]}"; do
        mkdir -p "$BENCH_DIR/run.$v"
        "${binaries[$v]}" --run-dir "$BENCH_DIR/run.$v" agent >"$BENCH_DIR/agent.$v.log" 2>&1 &
        BENCH_PIDS+=($!)
        for _ in $(seq 1 100); do
                [ -S "$BENCH_DIR/run.$v/agent.sock" ] && break
                sleep 0.05
        done
        [ -S "$BENCH_DIR/run.$v/agent.sock" ] || { cat "$BENCH_DIR/agent.$v.log" >&2; bench_die "agent ${names[$v]} did not start"; }
done
BIN=$OSL_BIN RUN=$BENCH_DIR/run.0

kind=busybox
if ldd "$GETPPID_LOOP" >/dev/null 2>&1; then
        kind=hostusr
fi
loop_args() { jq -cn --arg n "$1" '["/getppid-loop", $n, "3"]'; }
bench_bundle "$BENCH_DIR/loop" "$kind" "$(loop_args "$loop_calls")" localhost/bench-notify-loop
cp "$GETPPID_LOOP" "$BENCH_DIR/loop/rootfs/getppid-loop"
bench_bundle "$BENCH_DIR/strace" hostusr '[]'
cp "$GETPPID_LOOP" "$BENCH_DIR/strace/rootfs/getppid-loop"
jq --arg n "$strace_calls" '.process.capabilities |= with_entries(if .key == "ambient" then . else .value += ["CAP_SYS_PTRACE"] end)
    | .process.env += ["ASAN_OPTIONS=detect_leaks=0"]
    | .process.args = ["strace", "-f", "-qq", "-o", "/dev/null", "/getppid-loop", $n, "3"]' \
        "$BENCH_DIR/strace/config.pristine" >"$BENCH_DIR/strace/config.new"
mv "$BENCH_DIR/strace/config.new" "$BENCH_DIR/strace/config.pristine"
bench_bundle "$BENCH_DIR/redis" hostusr '[]' localhost/bench-notify-redis

# loop ROW DIR MODE: one container, its median round (ns per call) into ROW.
loop() {
        local row=$1 dir=$2 mode=$3 id line
        id=nc-$row-$RANDOM
        bench_set_filter "$dir" "$mode" "$BENCH_DIR/store.$row.$RANDOM"
        bench_log "round $round: $row"
        bench_run "$dir" "$id" 300
        line=$(grep '^calls=' "$dir/$id.out" || true)
        [ -n "$line" ] || { cat "$dir/$id.out" "$dir/$id.err" >&2; bench_die "$row: no result from getppid-loop"; }
        field median_ns "$line" >>"$BENCH_DIR/r.$row"
}

# loop2 ROW: two learning containers of the loop at once (a fresh store:
# both are first runs); the mean of their median rounds into ROW.
loop2() {
        local row=$1 ids=(nc2a-$RANDOM nc2b-$RANDOM) pids=() id line sum=0
        bench_set_filter "$BENCH_DIR/loop" learn "$BENCH_DIR/store.$row.$RANDOM"
        bench_log "round $round: $row"
        BENCH_CONTAINERS+=("${ids[@]}")
        for id in "${ids[@]}"; do
                bench_run "$BENCH_DIR/loop" "$id" 300 &
                pids+=($!)
        done
        for id in "${pids[@]}"; do wait "$id" || bench_die "$row: a container failed"; done
        for id in "${ids[@]}"; do
                line=$(grep '^calls=' "$BENCH_DIR/loop/$id.out" || true)
                [ -n "$line" ] || bench_die "$row: no result from getppid-loop in $id"
                sum=$(awk -v a="$sum" -v b="$(field median_ns "$line")" 'BEGIN { print a + b }')
        done
        awk -v s="$sum" 'BEGIN { print s / 2 }' >>"$BENCH_DIR/r.$row"
}

rps() { tr '\r' '\n' <"$2" | sed -nE "s/^$1: ([0-9.]+) requests per second.*/\\1/p" | tail -n 1; }

# redis ROW MODE: one redis container, one redis-benchmark run; SET and
# GET requests per second into ROW.set and ROW.get.
redis() {
        local row=$1 mode=$2 id port i
        id=nr-$row-$RANDOM
        port=$(free_port)
        bench_set_filter "$BENCH_DIR/redis" "$mode" "$BENCH_DIR/store.$row.$RANDOM"
        bench_redis_config "$BENCH_DIR/redis" "$port"
        bench_log "round $round: $row (port $port)"
        bench_run_detached "$BENCH_DIR/redis" "$id"
        for i in $(seq 1 100); do
                [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
                [ "$i" -lt 100 ] || { cat "$BENCH_DIR/redis/$id.log" >&2; bench_die "redis in $id did not answer"; }
                sleep 0.1
        done
        bench_wait "$BENCH_DIR/$id.bench" "$BENCH_DIR/$id.bench-err" \
                timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -n "$requests" -t set,get -q ||
                { cat "$BENCH_DIR/$id.bench"* >&2; bench_die "redis-benchmark against $id failed"; }
        rps SET "$BENCH_DIR/$id.bench" >>"$BENCH_DIR/r.$row.set"
        rps GET "$BENCH_DIR/$id.bench" >>"$BENCH_DIR/r.$row.get"
        bench_stop "$BENCH_DIR/redis" "$id" TERM
}

for ((round = 1; round <= rounds; round++)); do
        order=("${!binaries[@]}")
        # Before and after take turns at going first.
        if [ ${#order[@]} -eq 2 ] && [ $((round % 2)) -eq 0 ]; then order=(1 0); fi
        loop none "$BENCH_DIR/loop" none
        for v in "${order[@]}"; do
                BIN=${binaries[$v]} RUN=$BENCH_DIR/run.$v loop "learn.${names[$v]}" "$BENCH_DIR/loop" learn
        done
        for v in "${order[@]}"; do
                BIN=${binaries[$v]} RUN=$BENCH_DIR/run.$v loop2 "learn2.${names[$v]}"
        done
        loop strace "$BENCH_DIR/strace" none
        redis none none
        for v in "${order[@]}"; do
                BIN=${binaries[$v]} RUN=$BENCH_DIR/run.$v redis "learn.${names[$v]}" learn
        done
done

# stats: "median (min to max)" of the numbers on stdin.
stats() { sort -g | awk '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.2f (%.2f to %.2f)", m, v[1], v[NR] }'; }
# ratios A B: per round, A's number divided by B's.
ratios() { paste "$BENCH_DIR/r.$1" "$BENCH_DIR/r.$2" | awk '{ print $1 / $2 }'; }

echo "| row | per round | median (min to max) over $rounds rounds |"
echo "| --- | --- | --- |"
echo "| getppid, no filter | ns per call | $(stats <"$BENCH_DIR/r.none") |"
echo "| getppid, strace -f | ns per call | $(stats <"$BENCH_DIR/r.strace") |"
for v in "${!binaries[@]}"; do
        n=${names[$v]}
        echo "| getppid, learn first run ($n) | ns per call | $(stats <"$BENCH_DIR/r.learn.$n") |"
        echo "| getppid, learn first run ($n) | ratio to no filter | $(ratios "learn.$n" none | stats) |"
        echo "| getppid, learn first run ($n) | strace -f / learn | $(ratios strace "learn.$n" | stats) |"
        echo "| getppid, two learning containers at once ($n) | ns per call (mean of the two) | $(stats <"$BENCH_DIR/r.learn2.$n") |"
done
echo "| redis, no filter | SET / GET requests/s | $(stats <"$BENCH_DIR/r.none.set") / $(stats <"$BENCH_DIR/r.none.get") |"
for v in "${!binaries[@]}"; do
        n=${names[$v]}
        echo "| redis, learn first run ($n) | SET / GET requests/s | $(stats <"$BENCH_DIR/r.learn.$n.set") / $(stats <"$BENCH_DIR/r.learn.$n.get") |"
        echo "| redis, learn first run ($n) | SET / GET ratio to no filter | $(ratios "learn.$n.set" none.set | stats) / $(ratios "learn.$n.get" none.get | stats) |"
done
echo
echo "getppid: $loop_calls notified calls x 3 in-container rounds (the median round counts), $strace_calls under strace;"
echo "redis: redis-benchmark -n $requests -t set,get (50 clients); $rounds paired rounds."
