#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A real server under each filter: Debian's redis-server in a runc container
# that uses the host's /usr and network, redis-benchmark (SET and GET, on
# 127.0.0.1) on the host. Filters: none, the podman/CRI-O default profile,
# the learned profile in enforce mode, the learning filter on a first run
# (every syscall redis makes is notified) and once converged. Prints requests
# per second and the ratio to no filter: the best of the row's containers
# (other work on the machine only ever lowers a rate), best to best.
# shellcheck disable=SC2016 # jq programs: their $names are jq's
BENCH_NAME=redis
BENCH_DESCRIPTION="redis-benchmark SET/GET requests per second against redis-server in a runc container, per seccomp filter, and the ratio to no filter."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN PROFILE_TOOL runc jq redis-server redis-benchmark redis-cli ss timeout
bench_init

# Requests per redis-benchmark test, redis-benchmark runs per container, and
# how many times the whole set of containers runs, one after the other (as
# in syscall-cost.sh).
if [ "$BENCH_SMOKE" = 1 ]; then
        requests=200 runs=1 sets=1
else
        requests=20000 runs=2 sets=3
fi
image=localhost/bench-redis
bench_bundle "$BENCH_DIR/redis" hostusr '[]' "$image"

bench_start_agent

labels=("none" "podman/CRI-O default profile" "enforce, learned profile"
        "learn, first run (every call notified)" "learn, converged (second run)")
for ((i = 0; i < ${#labels[@]}; i++)); do
        : >"$BENCH_DIR/set.$i"
        : >"$BENCH_DIR/get.$i"
        : >"$BENCH_DIR/notified.$i"
done

# rps TEST FILE: requests per second of TEST in redis-benchmark -q output
# ("SET: 84033.61 requests per second, p50=0.295 msec", after \r progress).
rps() { tr '\r' '\n' <"$2" | sed -nE "s/^$1: ([0-9.]+) requests per second.*/\\1/p" | tail -n 1; }

# measure ROW SET MODE STORE [ATTEMPT]: one redis container, $runs
# redis-benchmark runs.
measure() {
        local row=$1 set=$2 mode=$3 store=$4 attempt=${5:-1} id port i run set_rps get_rps notified
        id=redis-$row-$set-$RANDOM
        port=$(free_port)
        bench_set_filter "$BENCH_DIR/redis" "$mode" "$store"
        bench_redis_config "$BENCH_DIR/redis" "$port"
        bench_log "set $set: ${labels[$row]} (port $port)"
        bench_run_detached "$BENCH_DIR/redis" "$id"
        for i in $(seq 1 100); do
                [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
                # Another program took the port between the check and the bind.
                if grep -q 'Address already in use' "$BENCH_DIR/redis/$id.log" && [ "$attempt" -lt 3 ]; then
                        bench_log "port $port was taken meanwhile, another one"
                        bench_stop "$BENCH_DIR/redis" "$id" KILL
                        # What that container stored must not make the
                        # first learning run a second one.
                        [ "$row" -ne 3 ] || rm -rf "$store"
                        measure "$row" "$set" "$mode" "$store" $((attempt + 1))
                        return
                fi
                [ "$i" -lt 100 ] || { cat "$BENCH_DIR/redis/$id.log" >&2; bench_die "redis in $id did not answer on port $port"; }
                sleep 0.1
        done
        for ((run = 1; run <= runs; run++)); do
                bench_wait "$BENCH_DIR/$id.$run.bench" "$BENCH_DIR/$id.$run.bench-err" \
                        timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -n "$requests" -t set,get -q ||
                        { cat "$BENCH_DIR/$id.$run.bench"* >&2; bench_die "redis-benchmark against $id failed"; }
                set_rps=$(rps SET "$BENCH_DIR/$id.$run.bench")
                get_rps=$(rps GET "$BENCH_DIR/$id.$run.bench")
                if [ -z "$set_rps" ] || [ -z "$get_rps" ]; then
                        cat "$BENCH_DIR/$id.$run.bench" >&2
                        bench_die "no requests per second in redis-benchmark's output"
                fi
                echo "$set_rps" >>"$BENCH_DIR/set.$row"
                echo "$get_rps" >>"$BENCH_DIR/get.$row"
        done
        bench_stop "$BENCH_DIR/redis" "$id" TERM
        # The agent's line for the container: "...: N syscalls, M notifications".
        notified=$(sed -nE "s/.*container $id: wrote .*, ([0-9]+) notifications.*/\\1/p" "$BENCH_DIR/agent.log" | tail -n 1)
        echo "${notified:-0}" >>"$BENCH_DIR/notified.$row"
}

for ((set = 1; set <= sets; set++)); do
        store=$BENCH_DIR/store.$set
        measure 0 "$set" none "$store"
        measure 1 "$set" default "$store"
        measure 3 "$set" learn "$store"
        [ "$(osl "$store" profile show "$image" --json | jq '.syscalls | length')" -gt 0 ] ||
                bench_die "the first learning run stored no profile for $image"
        measure 4 "$set" learn "$store"
        measure 2 "$set" enforce "$store"
done

bench_stop_agent

best() { sort -g "$1" | tail -n 1; }
echo "| filter | SET requests/s | GET requests/s | ratio to none, SET | ratio to none, GET | notifications |"
echo "| --- | --- | --- | --- | --- | --- |"
for ((i = 0; i < ${#labels[@]}; i++)); do
        printf '| %s | %.0f | %.0f | %s | %s | %.0f |\n' "${labels[$i]}" \
                "$(best "$BENCH_DIR/set.$i")" "$(best "$BENCH_DIR/get.$i")" \
                "$(ratio "$(best "$BENCH_DIR/set.$i")" "$(best "$BENCH_DIR/set.0")")" \
                "$(ratio "$(best "$BENCH_DIR/get.$i")" "$(best "$BENCH_DIR/get.0")")" \
                "$(median <"$BENCH_DIR/notified.$i")"
done
echo
echo "$requests requests per test (redis-benchmark's default 50 clients), $runs run(s) per container,"
echo "$sets container(s) per row: the best rate of those runs, and the median of the containers' notifications."
