# shellcheck shell=bash disable=SC2016 # jq programs: their $names are jq's
# SPDX-License-Identifier: Apache-2.0
# Shared by the benchmark scripts (sourced, bash). Everything a benchmark
# starts lives under one private directory with its own runc root, store and
# run dir; bench_cleanup (an EXIT trap) kills and deletes every container and
# stops every process started here, by pid, even when a step fails.
#
# Tools: $OSL_BIN (oci-seccomp-learn), $GETPPID_LOOP (bench/getppid-loop) and
# $PROFILE_TOOL (test/profile/profile-tool), or --build-dir DIR to take all
# three from a meson build directory.

set -euo pipefail

# make_bundle, shared with the integration tests.
# shellcheck source=../test/integration/bundle.bash
. "$(dirname "${BASH_SOURCE[0]}")/../test/integration/bundle.bash"

BENCH_CONTAINERS=()
BENCH_PIDS=()
BENCH_DIR=
BENCH_SMOKE=0
BENCH_KEEP=0

bench_log() { echo "${BENCH_NAME}: [$(date +%T.%N | cut -c1-12)] $*" >&2; }
bench_die() {
        echo "${BENCH_NAME}: error: $*" >&2
        exit 1
}

bench_usage() {
        cat <<EOF
Usage: $0 [--smoke] [--keep] [--build-dir DIR]

$BENCH_DESCRIPTION

Prints a markdown table on stdout; progress goes to stderr.
  --smoke          tiny counts: checks that everything runs, numbers mean nothing
  --build-dir DIR  take oci-seccomp-learn, getppid-loop and profile-tool from
                   the meson build directory DIR (else \$OSL_BIN, \$GETPPID_LOOP,
                   \$PROFILE_TOOL)
  --keep           keep the work directory (logs, bundles) and say where it is
                   (without it, it is removed even when a step fails)

Needs root, runc, jq, busybox-static, strace, redis-server, redis-tools.
EOF
}

# shellcheck disable=SC2034 # BENCH_SMOKE is read by the scripts that source this file
bench_parse_args() {
        while [ $# -gt 0 ]; do
                case $1 in
                --smoke) BENCH_SMOKE=1 ;;
                --keep) BENCH_KEEP=1 ;;
                --build-dir)
                        [ $# -ge 2 ] || { bench_usage >&2; exit 2; }
                        OSL_BIN=$2/cli/oci-seccomp-learn
                        GETPPID_LOOP=$2/bench/getppid-loop
                        PROFILE_TOOL=$2/test/profile/profile-tool
                        shift
                        ;;
                -h | --help) bench_usage; exit 0 ;;
                *) bench_usage >&2; exit 2 ;;
                esac
                shift
        done
        export OSL_BIN GETPPID_LOOP PROFILE_TOOL
}

# bench_require TOOL...: names of programs on PATH or variables holding paths.
bench_require() {
        [ "$(id -u)" -eq 0 ] || bench_die "runc containers need root"
        local t
        for t in "$@"; do
                case $t in
                OSL_BIN | GETPPID_LOOP | PROFILE_TOOL)
                        [ -n "${!t:-}" ] || bench_die "\$$t is not set (or give --build-dir)"
                        [ -x "${!t}" ] || bench_die "\$$t: ${!t} is not an executable (build it: ninja -C BUILD)"
                        ;;
                *) command -v "$t" >/dev/null || bench_die "$t is not installed (scripts/install-deps.sh)" ;;
                esac
        done
        if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
                bench_die "/bin/busybox is missing or not static: apt-get install busybox-static"
        fi
}

bench_cleanup() {
        local rc=$? id pid
        trap - EXIT INT TERM
        # The signal may have come while a function ran with its output
        # redirected: back to the script's own.
        exec 1>&"$BENCH_STDOUT" 2>&"$BENCH_STDERR"
        for id in "${BENCH_CONTAINERS[@]}"; do
                timeout 20 runc --root "$BENCH_DIR/runc" kill "$id" KILL >/dev/null 2>&1 || true
                timeout 20 runc --root "$BENCH_DIR/runc" delete -f "$id" >/dev/null 2>&1 || true
        done
        for pid in "${BENCH_PIDS[@]}"; do
                bench_stop_pid "$pid"
        done
        if [ -n "$BENCH_DIR" ]; then
                if [ $rc -ne 0 ] && [ -s "$BENCH_DIR/agent.log" ]; then
                        bench_log "failed (status $rc); the agent's last messages:"
                        tail -n 20 "$BENCH_DIR/agent.log" >&2
                fi
                if [ "$BENCH_KEEP" = 1 ]; then
                        bench_log "work directory kept: $BENCH_DIR"
                else
                        rm -rf "$BENCH_DIR"
                fi
        fi
        exit $rc
}

bench_init() {
        exec {BENCH_STDOUT}>&1 {BENCH_STDERR}>&2
        BENCH_DIR=$(mktemp -d "/tmp/osl-bench-${BENCH_NAME}.XXXXXX")
        mkdir -p "$BENCH_DIR/runc" "$BENCH_DIR/run"
        trap bench_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
}

bench_stop_pid() { # PID: TERM, up to 10 s, then KILL
        local pid=$1
        kill -TERM "$pid" 2>/dev/null || return 0
        timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
}

# bench_wait OUT ERR COMMAND...: runs COMMAND with stdin from /dev/null and
# stdout, stderr to the files OUT and ERR, in the background, and waits for
# it: a SIGINT or SIGTERM to this script then runs the cleanup at once,
# instead of after the command (bash runs traps between foreground commands).
bench_wait() {
        local out=$1 err=$2 pid rc=0
        shift 2
        "$@" </dev/null >"$out" 2>"$err" &
        pid=$!
        BENCH_PIDS+=("$pid")
        wait "$pid" || rc=$?
        bench_forget_pid "$pid"
        return $rc
}

bench_forget_pid() {
        local p kept=()
        for p in "${BENCH_PIDS[@]}"; do
                [ "$p" = "$1" ] || kept+=("$p")
        done
        BENCH_PIDS=("${kept[@]}")
}

osl() { # osl STORE ARGS...: the binary with this run's store and run dir
        local store=$1
        shift
        "$OSL_BIN" --store "$store" --run-dir "$BENCH_DIR/run" "$@"
}

# Starts the agent on $BENCH_DIR/run/agent.sock; sets AGENT_PID.
bench_start_agent() {
        "$OSL_BIN" --run-dir "$BENCH_DIR/run" agent >"$BENCH_DIR/agent.log" 2>&1 &
        AGENT_PID=$!
        BENCH_PIDS+=("$AGENT_PID")
        for _ in $(seq 1 100); do
                [ -S "$BENCH_DIR/run/agent.sock" ] && return 0
                kill -0 "$AGENT_PID" 2>/dev/null || break
                sleep 0.05
        done
        cat "$BENCH_DIR/agent.log" >&2
        bench_die "the agent did not start"
}

bench_stop_agent() {
        bench_stop_pid "$AGENT_PID"
        bench_forget_pid "$AGENT_PID"
        AGENT_PID=
}

# bench_bundle DIR busybox|hostusr ARGS-JSON [IMAGE]: a bundle from
# `runc spec`, made as the integration tests make them (test/integration/bundle.bash):
# busybox-static's applets, or the host's /usr and /etc bind-mounted read-only
# so that host programs run; the host's network. config.pristine keeps the
# config before any filter is put in.
bench_bundle() {
        make_bundle "$@" || bench_die "cannot make the bundle $1"
        jq 'del(.linux.seccomp)' "$1/config.json" >"$1/config.pristine"
        cp "$1/config.pristine" "$1/config.json"
}

# bench_loop_bundle DIR ARGS-JSON IMAGE: a bundle for getppid-loop, copied
# to /getppid-loop: a busybox rootfs when the loop is static, else
# (sanitizer builds) the host's /usr.
bench_loop_bundle() {
        local kind=busybox
        if ldd "$GETPPID_LOOP" >/dev/null 2>&1; then
                kind=hostusr
        fi
        bench_bundle "$1" "$kind" "$2" "$3"
        cp "$GETPPID_LOOP" "$1/rootfs/getppid-loop"
}

# bench_jq_config DIR FILTER [jq args...]: edits DIR/config.json in place.
bench_jq_config() {
        local dir=$1 filter=$2
        shift 2
        jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.new"
        mv "$dir/config.json.new" "$dir/config.json"
}

# The podman/CRI-O default profile (containers/common), resolved for the
# capabilities of `runc spec`, in the OCI form; printed on stdout.
bench_default_profile() {
        local profile=/usr/share/containers/seccomp.json bundle=$1 caps
        [ -r "$profile" ] || bench_die "$profile is missing: apt-get install golang-github-containers-common"
        caps=$(jq -r '.process.capabilities.bounding[]' "$bundle/config.pristine")
        # shellcheck disable=SC2086 # one argument per capability
        "$PROFILE_TOOL" "$profile" $caps
}

# bench_set_filter DIR MODE STORE [GENERALIZE] [INCLUDE]: a fresh config from
# config.pristine with the filter of MODE (GENERALIZE: the annotation
# io.seccomp-learn.generalize, families or none; INCLUDE: the annotation
# io.seccomp-learn.include, observed or predicted):
#   none      no seccomp filter
#   default   the containers/common default profile
#   learn     the annotation io.seccomp-learn.mode=learn, then
#             oci-seccomp-learn inject (the agent must run)
#   enforce   the same with enforce (a profile must be stored)
bench_set_filter() {
        local dir=$1 mode=$2 store=$3 generalize=${4:-} include=${5:-}
        cp "$dir/config.pristine" "$dir/config.json"
        [ -z "$generalize" ] ||
                bench_jq_config "$dir" '.annotations["io.seccomp-learn.generalize"] = $g' --arg g "$generalize"
        [ -z "$include" ] ||
                bench_jq_config "$dir" '.annotations["io.seccomp-learn.include"] = $i' --arg i "$include"
        case $mode in
        none) ;;
        default)
                [ -f "$BENCH_DIR/default-seccomp.json" ] || bench_default_profile "$dir" >"$BENCH_DIR/default-seccomp.json"
                bench_jq_config "$dir" '.linux.seccomp = $sc[0]' --slurpfile sc "$BENCH_DIR/default-seccomp.json"
                ;;
        learn | enforce)
                # The mode as users give it, by annotation: the hooks read it
                # there too (inject --mode alone does not write it into the
                # config, and the poststop hook then stores nothing).
                bench_jq_config "$dir" '.annotations["io.seccomp-learn.mode"] = $m' --arg m "$mode"
                osl "$store" inject "$dir" >>"$BENCH_DIR/inject.log" 2>&1 ||
                        { cat "$BENCH_DIR/inject.log" >&2; bench_die "inject ($mode) $dir failed"; }
                if [ "$mode" = learn ]; then
                        jq -e '.linux.seccomp.listenerPath' "$dir/config.json" >/dev/null ||
                                { cat "$BENCH_DIR/inject.log" >&2; bench_die "inject put no learning filter into $dir"; }
                fi
                ;;
        *) bench_die "bench_set_filter: unknown mode $mode" ;;
        esac
}

# bench_run DIR ID TIMEOUT: runs the container in the foreground; its stdout
# in DIR/ID.out, stderr in DIR/ID.err. Fails with the output when it fails.
bench_run() {
        local dir=$1 id=$2 limit=$3 rc=0
        BENCH_CONTAINERS+=("$id")
        bench_wait "$dir/$id.out" "$dir/$id.err" \
                timeout -k 5 "$limit" runc --root "$BENCH_DIR/runc" run --bundle "$dir" "$id" || rc=$?
        timeout 20 runc --root "$BENCH_DIR/runc" delete -f "$id" >/dev/null 2>&1 || true
        if [ $rc -ne 0 ]; then
                cat "$dir/$id.out" "$dir/$id.err" >&2
                bench_die "container $id failed (status $rc)"
        fi
}

# bench_redis_config DIR PORT: the bundle runs redis-server on
# 127.0.0.1:PORT in the foreground, with nothing saved to disk.
bench_redis_config() {
        bench_jq_config "$1" '.process.args = ["redis-server", "--port", $p, "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", "/tmp", "--daemonize", "no"]' --arg p "$2"
}

# shellcheck disable=SC2034 # LOOP_* are read by the scripts that source this file
# bench_loop DIR MODE STORE ARGS-JSON ID LABEL: getppid-loop as ARGS-JSON
# in the bundle DIR under MODE's filter (bench_set_filter); sets LOOP_BEST and
# LOOP_MEDIAN (ns per call: the best and the median round) and LOOP_CALLS
# ("CALLS x ROUNDS").
bench_loop() {
        local dir=$1 mode=$2 store=$3 args=$4 id=$5 label=$6 line
        bench_set_filter "$dir" "$mode" "$store"
        bench_jq_config "$dir" '.process.args = $a' --argjson a "$args"
        bench_log "$label"
        bench_run "$dir" "$id" 300
        line=$(grep '^calls=' "$dir/$id.out" || true)
        LOOP_BEST=$(field min_ns "$line")
        [ -n "$LOOP_BEST" ] || { cat "$dir/$id.out" "$dir/$id.err" >&2; bench_die "$label: no result from getppid-loop"; }
        LOOP_MEDIAN=$(field median_ns "$line")
        LOOP_CALLS="$(field calls "$line") x $(field reps "$line")"
}

# bench_run_detached DIR ID: `runc run -d`; the container's output in DIR/ID.log.
bench_run_detached() {
        local dir=$1 id=$2
        BENCH_CONTAINERS+=("$id")
        timeout -k 5 30 runc --root "$BENCH_DIR/runc" run -d --bundle "$dir" "$id" \
                </dev/null >"$dir/$id.log" 2>&1 ||
                { cat "$dir/$id.log" >&2; bench_die "container $id did not start"; }
}

# bench_stop DIR ID [SIGNAL]: SIGNAL (default TERM), KILL after 10 s, then
# delete (the poststop hook runs then).
bench_stop() {
        local id=$2 signal=${3:-TERM} status
        timeout 20 runc --root "$BENCH_DIR/runc" kill "$id" "$signal" >/dev/null 2>&1 || true
        for _ in $(seq 1 100); do
                status=$(timeout 20 runc --root "$BENCH_DIR/runc" state "$id" 2>/dev/null | jq -r .status) || break
                [ "$status" = stopped ] && break
                sleep 0.1
        done
        timeout 20 runc --root "$BENCH_DIR/runc" kill "$id" KILL >/dev/null 2>&1 || true
        timeout 60 runc --root "$BENCH_DIR/runc" delete -f "$id" >/dev/null 2>&1 || true
}

# A port on 127.0.0.1 that no socket uses, below the range the kernel picks
# client ports from (an outgoing connection holding the port would make
# redis's bind fail).
free_port() {
        local low port
        low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
        [ "$low" -gt 12000 ] || low=61000
        for _ in $(seq 1 50); do
                if [ "$low" -eq 61000 ]; then
                        port=$((61000 + RANDOM % 4000))
                else
                        port=$((10000 + RANDOM % (low - 10000)))
                fi
                if [ -z "$(ss -Htan "( sport = :$port )" 2>/dev/null)" ]; then
                        echo "$port"
                        return 0
                fi
        done
        bench_die "found no free port on 127.0.0.1"
}

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "n/a" }'; }

# The median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# field NAME LINE: the value of NAME=value in getppid-loop's output line.
field() { sed -nE "s/.*(^| )$1=([^ ]+).*/\\2/p" <<<"$2"; }
