# Shared by the integration tests: real runc containers, a real agent, a
# private store and run dir per test, and cleanup that always runs.
# OSL_BIN is the oci-seccomp-learn binary under test.

: "${OSL_BIN:?OSL_BIN must name the oci-seccomp-learn binary}"
# OSL_HOOK_BIN: the start path's binary (hooks, runtime wrapper), installed
# beside it.
: "${OSL_HOOK_BIN:=$(dirname "$OSL_BIN")/oci-seccomp-learn-hook}"

osl_setup() {
        [ "$(id -u)" -eq 0 ] || skip "needs root to start runc containers"
        command -v runc >/dev/null || skip "runc is not installed"
        T=$(mktemp -d /tmp/osl-it.XXXXXX)
        STORE=$T/store
        RUN=$T/run
        RUNC_ROOT=$T/runc
        mkdir -p "$STORE" "$RUN" "$RUNC_ROOT"
        CONTAINERS=()
        AGENT_PID=
}

osl_teardown() {
        local id
        for id in "${CONTAINERS[@]}"; do
                timeout 20 runc --root "$RUNC_ROOT" kill "$id" KILL 2>/dev/null || true
                timeout 20 runc --root "$RUNC_ROOT" delete -f "$id" 2>/dev/null || true
        done
        stop_agent
        [ -n "${T:-}" ] && rm -rf "$T"
}

osl() {
        "$OSL_BIN" --store "$STORE" --run-dir "$RUN" "$@"
}

start_agent() { # [agent options]
        "$OSL_BIN" --store "$STORE" --run-dir "$RUN" agent "$@" >"$T/agent.log" 2>&1 &
        AGENT_PID=$!
        local i
        for i in $(seq 1 100); do
                [ -S "$RUN/agent.sock" ] && return 0
                kill -0 "$AGENT_PID" 2>/dev/null || break
                sleep 0.05
        done
        echo "agent did not start:" >&2
        cat "$T/agent.log" >&2
        return 1
}

# The agent is a holder and its recording worker (doc/reliability.md): a
# worker left behind would keep bats' output pipe open, so it goes too.
stop_agent() {
        if [ -n "${AGENT_PID:-}" ]; then
                local workers
                workers=$(pgrep -P "$AGENT_PID" || true)
                kill -TERM "$AGENT_PID" 2>/dev/null || true
                timeout 10 tail --pid="$AGENT_PID" -f /dev/null 2>/dev/null || kill -KILL "$AGENT_PID" 2>/dev/null || true
                wait "$AGENT_PID" 2>/dev/null || true
                # shellcheck disable=SC2086 # one pid per word
                [ -z "$workers" ] || kill -KILL $workers 2>/dev/null || true
                AGENT_PID=
        fi
}

# worker_pid: the holder's child (the recording worker).
worker_pid() {
        pgrep -P "$AGENT_PID" | head -n1
}

wait_file() { # path [tries of 0.05 s]
        local i
        for i in $(seq 1 "${2:-400}"); do
                [ -e "$1" ] && return 0
                sleep 0.05
        done
        echo "timed out waiting for $1" >&2
        return 1
}

# build_probe (in setup_file): the static probe (probe.c) as $PROBE.
build_probe() {
        export PROBE="$BATS_FILE_TMPDIR/probe"
        gcc -static -O2 -o "$PROBE" "$BATS_TEST_DIRNAME/probe.c"
}

# make_bundle DIR busybox|hostusr JSON-ARGS [IMAGE]
. "$(dirname "${BASH_SOURCE[0]}")/bundle.bash"

set_annotation() { # bundle key value
        jq --arg k "$2" --arg v "$3" '.annotations[$k] = $v' "$1/config.json" >"$1/config.json.new"
        mv "$1/config.json.new" "$1/config.json"
}

# run_container BUNDLE ID: runs in the foreground with a timeout; the
# poststop hook runs when it ends. Output in $output, status in $status.
run_container() {
        CONTAINERS+=("$2")
        run timeout -k 10 60 runc --root "$RUNC_ROOT" run --bundle "$1" "$2"
        timeout 20 runc --root "$RUNC_ROOT" delete -f "$2" 2>/dev/null || true
}

# busybox_bundle DIR IMAGE [jq-filter]: a busybox bundle whose command is
# $WORKLOAD, with a writable rootfs; config.pristine keeps the config before
# any mode is applied.
busybox_bundle() {
        make_bundle "$1" busybox "$(jq -cn --arg c "$WORKLOAD" '["/bin/sh","-c",$c]')" "$2"
        jq '.root.readonly = false'"${3:+ | $3}" "$1/config.json" >"$1/config.pristine"
        cp "$1/config.pristine" "$1/config.json"
}

# with_mode BUNDLE MODE COMMAND [jq-filter]: a fresh config for MODE from
# config.pristine.
with_mode() {
        jq --arg mode "$2" --arg cmd "$3" "${4:-.}"'
                | .process.args = ["/bin/sh", "-c", $cmd]
                | .annotations["io.seccomp-learn.mode"] = $mode' "$1/config.pristine" >"$1/config.json"
}

# What our hooks and the agent logged, for a failing test's output.
show_osl_logs() {
        echo "--- hooks.log"
        cat "$RUN/hooks.log" 2>/dev/null || true
        echo "--- agent.log"
        cat "$T/agent.log" 2>/dev/null || true
}

# Syscall names of the stored profile, one per line, for an origin
# (application, runtime) or all.
profile_syscalls() { # image [origin]
        local origin=${2:-}
        osl profile show "$1" --json | jq -r --arg o "$origin" '
                .syscalls[] | select($o == "" or (.origins | index($o))) | .name' | sort -u
}

# make_crun DIR: DIR/crun runs the host's crun in a private mount namespace
# without /sys/fs/cgroup/unified. crun 1.8.1 refuses a cgroup v1 host whose
# v2 hierarchy holds a controller ("cgroups in hybrid mode not supported",
# doc/engines.md); the umount stays inside that namespace. Every crun
# command (run, kill, delete) goes through it; podman takes it as --runtime.
make_crun() {
        local real
        real=$(command -v crun) || return 1
        mkdir -p "$1"
        cat >"$1/crun" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh -c 'if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified || exit 125; fi; exec "\$0" "\$@"' $real "\$@"
EOF
        chmod +x "$1/crun"
}
