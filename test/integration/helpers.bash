# Shared by the integration tests: real runc containers, a real agent, a
# private store and run dir per test, and cleanup that always runs.
# OSL_BIN is the oci-seccomp-learn binary under test.

: "${OSL_BIN:?OSL_BIN must name the oci-seccomp-learn binary}"

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

stop_agent() {
        if [ -n "${AGENT_PID:-}" ]; then
                kill -TERM "$AGENT_PID" 2>/dev/null || true
                timeout 10 tail --pid="$AGENT_PID" -f /dev/null 2>/dev/null || kill -KILL "$AGENT_PID" 2>/dev/null || true
                wait "$AGENT_PID" 2>/dev/null || true
                AGENT_PID=
        fi
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

# Syscall names of the stored profile, one per line, for an origin
# (application, runtime) or all.
profile_syscalls() { # image [origin]
        local origin=${2:-}
        osl profile show "$1" --json | jq -r --arg o "$origin" '
                .syscalls[] | select($o == "" or (.origins | index($o))) | .name' | sort -u
}
