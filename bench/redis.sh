#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A real server under each filter: Debian's redis-server in a runc container
# that uses the host's /usr and network, redis-benchmark (SET and GET, on
# 127.0.0.1) on the host. Filters: none, the podman/CRI-O default profile,
# the learned profile in enforce mode, the learning filter on a first run
# (every syscall redis makes is notified) and once converged. Prints requests
# per second and the ratio to no filter.
BENCH_NAME=redis
BENCH_DESCRIPTION="redis-benchmark SET/GET requests per second against redis-server in a runc container, per seccomp filter, and the ratio to no filter."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN PROFILE_TOOL runc jq redis-server redis-benchmark redis-cli timeout
bench_init

# Requests per redis-benchmark test, and how many times the whole set of
# containers runs (each set is compared with its own "none", as in
# syscall-cost.sh).
if [ "$BENCH_SMOKE" = 1 ]; then
        requests=200 sets=1
else
        requests=20000 sets=3
fi
image=localhost/bench-redis
bench_bundle "$BENCH_DIR/redis" hostusr '[]' "$image"

# A free port on 127.0.0.1, from 20000 to 59999.
free_port() {
        local port i
        for i in $(seq 1 50); do
                port=$((20000 + RANDOM % 40000))
                # Nothing accepts a connection there (the container shares
                # the host's network).
                if ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
                        echo "$port"
                        return 0
                fi
        done
        bench_die "found no free port on 127.0.0.1"
}

bench_start_agent

labels=("none" "podman/CRI-O default profile" "enforce, learned profile"
        "learn, first run (every call notified)" "learn, converged (second run)")
for ((i = 0; i < ${#labels[@]}; i++)); do
        : >"$BENCH_DIR/set.$i"
        : >"$BENCH_DIR/get.$i"
        : >"$BENCH_DIR/set-ratio.$i"
        : >"$BENCH_DIR/get-ratio.$i"
        : >"$BENCH_DIR/notified.$i"
done

# rps TEST FILE: requests per second of TEST in redis-benchmark -q output
# ("SET: 84033.61 requests per second, p50=0.295 msec", after \r progress).
rps() { tr '\r' '\n' <"$2" | sed -nE "s/^$1: ([0-9.]+) requests per second.*/\\1/p" | tail -n 1; }

# measure ROW SET MODE STORE: one redis container, one redis-benchmark run.
measure() {
        local row=$1 set=$2 mode=$3 store=$4 id port i set_rps get_rps notified
        id=redis-$row-$set-$RANDOM
        port=$(free_port)
        bench_set_filter "$BENCH_DIR/redis" "$mode" "$store"
        bench_jq_config "$BENCH_DIR/redis" '.process.args = ["redis-server", "--port", $p, "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", "/tmp", "--daemonize", "no"]' --arg p "$port"
        bench_log "set $set: ${labels[$row]} (port $port)"
        bench_run_detached "$BENCH_DIR/redis" "$id"
        for i in $(seq 1 100); do
                [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
                [ "$i" -lt 100 ] || { cat "$BENCH_DIR/redis/$id.log" >&2; bench_die "redis in $id did not answer on port $port"; }
                sleep 0.1
        done
        bench_wait timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -n "$requests" -t set,get -q \
                >"$BENCH_DIR/$id.bench" 2>&1 ||
                { cat "$BENCH_DIR/$id.bench" >&2; bench_die "redis-benchmark against $id failed"; }
        bench_stop "$BENCH_DIR/redis" "$id" TERM
        set_rps=$(rps SET "$BENCH_DIR/$id.bench")
        get_rps=$(rps GET "$BENCH_DIR/$id.bench")
        [ -n "$set_rps" ] && [ -n "$get_rps" ] ||
                { cat "$BENCH_DIR/$id.bench" >&2; bench_die "no requests per second in redis-benchmark's output"; }
        if [ "$row" -eq 0 ]; then
                none_set=$set_rps none_get=$get_rps
        fi
        echo "$set_rps" >>"$BENCH_DIR/set.$row"
        echo "$get_rps" >>"$BENCH_DIR/get.$row"
        echo "$(ratio "$set_rps" "$none_set")" >>"$BENCH_DIR/set-ratio.$row"
        echo "$(ratio "$get_rps" "$none_get")" >>"$BENCH_DIR/get-ratio.$row"
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

echo "| filter | SET requests/s | GET requests/s | ratio to none, SET | ratio to none, GET | notifications |"
echo "| --- | --- | --- | --- | --- | --- |"
for ((i = 0; i < ${#labels[@]}; i++)); do
        printf '| %s | %.0f | %.0f | %.2f | %.2f | %.0f |\n' "${labels[$i]}" \
                "$(median <"$BENCH_DIR/set.$i")" "$(median <"$BENCH_DIR/get.$i")" \
                "$(median <"$BENCH_DIR/set-ratio.$i")" "$(median <"$BENCH_DIR/get-ratio.$i")" \
                "$(median <"$BENCH_DIR/notified.$i")"
done
echo
echo "$requests requests per test, $sets container(s) per row; the medians over those containers."
