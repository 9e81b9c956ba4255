#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The agent itself: its memory (VmRSS from /proc/PID/status) idle, while it
# serves 1 and 8 learning busybox containers, and after they stopped; and
# how many notifications per second it answers for 1 and for 4 containers
# that each call a notified syscall (getppid) in a loop.
# shellcheck disable=SC2016 # jq programs: their $names are jq's
BENCH_NAME=agent
BENCH_DESCRIPTION="The agent's memory idle and while serving learning containers, and the notifications per second it answers."
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_parse_args "$@"
bench_require OSL_BIN GETPPID_LOOP runc jq timeout
bench_init

if [ "$BENCH_SMOKE" = 1 ]; then
        calls=200 rounds=1
else
        calls=30000 rounds=3
fi
served_counts=(1 8)
loop_counts=(1 4)

status_kb() { # FIELD: VmRSS or VmHWM of the agent, in kB
        awk -v f="$1:" '$1 == f { print $2 }' "/proc/$AGENT_PID/status"
}

bench_start_agent
sleep 0.5
memory_rows=()
idle_kb=$(status_kb VmRSS)
memory_rows+=("| agent VmRSS, idle | $idle_kb | 1.00 |")

# Learning containers that sleep: the agent holds their notify fds and state.
for ((i = 1; i <= ${served_counts[-1]}; i++)); do
        bench_bundle "$BENCH_DIR/idle$i" busybox '["sleep", "600"]' localhost/bench-idle
done
for n in "${served_counts[@]}"; do
        ids=()
        bench_log "$n learning container(s)"
        for ((i = 1; i <= n; i++)); do
                bench_set_filter "$BENCH_DIR/idle$i" learn "$BENCH_DIR/store-idle-$n"
                ids+=("idle-$n-$i-$RANDOM")
                # `runc run -d` returns once the container runs: the agent
                # has its notify fd by then.
                bench_run_detached "$BENCH_DIR/idle$i" "${ids[-1]}"
        done
        sleep 0.5
        kb=$(status_kb VmRSS)
        memory_rows+=("| agent VmRSS, $n learning container$([ "$n" -eq 1 ] || echo s) | $kb | $(ratio "$kb" "$idle_kb") |")
        # All at once, then each one waited for and deleted.
        for id in "${ids[@]}"; do
                timeout 20 runc --root "$BENCH_DIR/runc" kill "$id" KILL >/dev/null 2>&1 || true
        done
        for ((i = 1; i <= n; i++)); do
                bench_stop "$BENCH_DIR/idle$i" "${ids[$((i - 1))]}" KILL
        done
done

# Containers whose every getppid is notified, all at once. Their calls are
# added up over the window from the first one's start to the last one's end
# (CLOCK_MONOTONIC, shared with the host): containers start one after the
# other, so this is a lower bound of what the agent sustains.
kind=busybox
if ldd "$GETPPID_LOOP" >/dev/null 2>&1; then
        kind=hostusr
fi
max_loops=${loop_counts[-1]}
for ((i = 1; i <= max_loops; i++)); do
        bench_bundle "$BENCH_DIR/loop$i" "$kind" "$(jq -cn --arg n "$calls" --arg r "$rounds" '["/getppid-loop", $n, $r]')" localhost/bench-notify
        cp "$GETPPID_LOOP" "$BENCH_DIR/loop$i/rootfs/getppid-loop"
done
rate_rows=()
for n in "${loop_counts[@]}"; do
        bench_log "$n container(s) calling a notified syscall"
        # A fresh store: nothing learned, every getppid is notified.
        for ((i = 1; i <= n; i++)); do
                bench_set_filter "$BENCH_DIR/loop$i" learn "$BENCH_DIR/store-notify-$n"
        done
        pids=()
        for ((i = 1; i <= n; i++)); do
                # Known here, for the cleanup: bench_run's own note of the
                # id stays in its subshell.
                BENCH_CONTAINERS+=("notify-$n-$i")
                bench_run "$BENCH_DIR/loop$i" "notify-$n-$i" 300 &
                pids+=($!)
        done
        for pid in "${pids[@]}"; do
                wait "$pid" || bench_die "a notifying container failed"
        done
        lines=$(cat "$BENCH_DIR"/loop*/notify-"$n"-*.out | grep '^calls=')
        [ "$(wc -l <<<"$lines")" -eq "$n" ] || bench_die "expected $n results, got: $lines"
        rate_rows+=("$(awk -v n="$n" '
                { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                  total += v["calls"] * v["reps"]
                  if (first == "" || v["start_ns"] < first) first = v["start_ns"]
                  if (v["end_ns"] > last) last = v["end_ns"] }
                END { rate = total / ((last - first) / 1e9)
                      printf "| %d container%s | %d | %.0f | %.1f |", n, n == 1 ? "" : "s", total, rate, 1e6 / rate }' <<<"$lines")")
done
kb=$(status_kb VmRSS)
memory_rows+=("| agent VmRSS, after all containers stopped | $kb | $(ratio "$kb" "$idle_kb") |")
kb=$(status_kb VmHWM)
memory_rows+=("| agent VmHWM (peak RSS) over the whole run | $kb | $(ratio "$kb" "$idle_kb") |")
bench_stop_agent

echo "| agent memory | kB | ratio to idle |"
echo "| --- | --- | --- |"
printf '%s\n' "${memory_rows[@]}"
echo
echo "| containers calling a notified syscall | notifications | notifications/s | µs per notification |"
echo "| --- | --- | --- | --- |"
printf '%s\n' "${rate_rows[@]}"
