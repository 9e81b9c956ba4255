#!/bin/bash
# The main job on a small real container with runc: learn what a busybox
# workload does, learn again (it converges), then enforce the profile: the
# same workload still works, and a command that makes a syscall it never
# made is refused with EPERM.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
[ -f build/gcc/build.ninja ] || CC=gcc meson setup build/gcc >/dev/null
ninja -C build/gcc >/dev/null
BIN=$PWD/build/gcc/cli/oci-seccomp-learn

W=$(mktemp -d /tmp/osl-demo.XXXXXX)
STORE=$W/store RUN=$W/run RUNC_ROOT=$W/runc
mkdir -p "$RUNC_ROOT"
AGENT_PID=
cleanup() {
        for id in demo-learn-1 demo-learn-2 demo-enforce-1 demo-enforce-2; do
                timeout 20 runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
        done
        [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
        rm -rf "$W"
}
trap cleanup EXIT

osl() { "$BIN" --store "$STORE" --run-dir "$RUN" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run_container() { # id
        timeout 60 runc --root "$RUNC_ROOT" run --bundle "$W/bundle" "$1"
}
set_config() { # mode, command
        jq --arg mode "$1" --arg cmd "$2" '
                .process.terminal = false
                | .process.args = ["/bin/sh", "-c", $cmd]
                | .root.readonly = false
                | .annotations["io.seccomp-learn.image"] = "localhost/demo"
                | .annotations["io.seccomp-learn.mode"] = $mode
        ' "$W/config.spec" >"$W/bundle/config.json"
}

# A busybox-static rootfs: no image is pulled.
mkdir -p "$W/bundle/rootfs/bin" "$W/bundle/rootfs/tmp"
cp /bin/busybox "$W/bundle/rootfs/bin/"
for applet in $(/bin/busybox --list); do
        [ -e "$W/bundle/rootfs/bin/$applet" ] || ln -s busybox "$W/bundle/rootfs/bin/$applet"
done
(cd "$W/bundle" && runc spec && mv config.json "$W/config.spec")

WORKLOAD='echo "hello from the container"; ls / >/dev/null; grep Seccomp: /proc/self/status'

say "Start the learning agent"
"$BIN" --store "$STORE" --run-dir "$RUN" agent 2>"$W/agent.log" &
AGENT_PID=$!
for _ in $(seq 1 100); do [ -S "$RUN/agent.sock" ] && break; sleep 0.05; done

say "1. Learn: run the workload with mode=learn"
set_config learn "$WORKLOAD"
osl inject "$W/bundle"
run_container demo-learn-1
osl profile show localhost/demo

say "2. Learn again: the same workload converges (no new version)"
set_config learn "$WORKLOAD"
osl inject "$W/bundle"
run_container demo-learn-2
osl profile list
echo "Notifications the agent answered (what learning costs):"
sed -nE 's/.*container (demo-learn-[12]): wrote .*, ([0-9]+) notifications.*/  \1: \2/p' "$W/agent.log"

say "3. Enforce: the same workload under the learned profile"
set_config enforce "$WORKLOAD"
osl inject "$W/bundle"
run_container demo-enforce-1

say "4. Enforce: a command that makes a syscall never learned (mkdir) is refused"
set_config enforce 'mkdir /tmp/new-dir && echo "mkdir worked (it should not have)"; echo "exit status of mkdir: $?"'
osl inject "$W/bundle"
run_container demo-enforce-2 2>&1 | tee "$W/enforce.out"
grep -q "Operation not permitted" "$W/enforce.out"
say "Done: learned, converged, enforced; mkdir was refused with EPERM."
