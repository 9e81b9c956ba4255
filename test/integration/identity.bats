#!/usr/bin/env bats
# One identity per container instance (doc/agent.md): two runc roots run
# containers of the same id at once, each learns its own image's profile;
# a process's self-chosen name cannot forge agent log lines.

load helpers

setup() {
        osl_setup
        ROOT_A=$T/runc-a
        ROOT_B=$T/runc-b
        mkdir -p "$ROOT_A" "$ROOT_B"
}

teardown() {
        local root
        for root in "$ROOT_A" "$ROOT_B"; do
                timeout 20 runc --root "$root" kill same KILL 2>/dev/null || true
                timeout 20 runc --root "$root" delete -f same 2>/dev/null || true
        done
        osl_teardown
}

# learning_bundle DIR IMAGE COMMAND: a writable busybox bundle in learn mode
# that runs the shell COMMAND.
learning_bundle() {
        make_bundle "$1" busybox "$(jq -cn --arg c "$3" '["/bin/sh","-c",$c]')" "$2"
        jq '.root.readonly = false' "$1/config.json" >"$1/c" && mv "$1/c" "$1/config.json"
        set_annotation "$1" io.seccomp-learn.mode learn
        osl inject "$1"
}

wait_status() { # root id status
        local i
        for i in $(seq 1 600); do
                runc --root "$1" state "$2" 2>/dev/null | jq -e --arg s "$3" '.status == $s' >/dev/null && return 0
                sleep 0.05
        done
        echo "container $2 in $1 did not become $3 within 30 s; it is:" >&2
        runc --root "$1" state "$2" >&2 || true
        cat "$T"/a.log "$T"/b.log "$T/agent.log" >&2 || true
        return 1
}

@test "identity: the same container id in two runc roots, two images learning at once, each gets only its own calls" {
        start_agent
        # Each waits until /go exists in its rootfs, so both run at once.
        wait_go='while [ ! -e /go ]; do sleep 0.05; done'
        learning_bundle "$T/a" localhost/ident-a "$wait_go; mkdir /tmp/d"
        learning_bundle "$T/b" localhost/ident-b "$wait_go; mknod /tmp/p p; sync"
        timeout -k 10 60 runc --root "$ROOT_A" run -d --bundle "$T/a" same </dev/null >"$T/a.log" 2>&1
        timeout -k 10 60 runc --root "$ROOT_B" run -d --bundle "$T/b" same </dev/null >"$T/b.log" 2>&1
        wait_status "$ROOT_A" same running
        wait_status "$ROOT_B" same running
        # Both are served at once, each as a container of its own, each
        # registered by prestart under its own name.
        [ "$(grep -c 'container same: recording (learn mode), ' "$T/agent.log")" -eq 2 ]
        run grep -c 'for another process' "$T/agent.log"
        [ "$output" -eq 0 ]
        [ "$(ls "$RUN"/containers/same-*.json | wc -l)" -eq 2 ]
        jq -e '.bundle' "$RUN"/containers/same-*.json

        touch "$T/a/rootfs/go" "$T/b/rootfs/go"
        wait_status "$ROOT_A" same stopped
        wait_status "$ROOT_B" same stopped
        # poststop runs at delete.
        timeout 30 runc --root "$ROOT_A" delete same
        timeout 30 runc --root "$ROOT_B" delete same
        cat "$RUN/hooks.log"
        grep -q "poststop: container same: image localhost/ident-a: version 1" "$RUN/hooks.log"
        grep -q "poststop: container same: image localhost/ident-b: version 1" "$RUN/hooks.log"

        a=$(profile_syscalls localhost/ident-a application)
        b=$(profile_syscalls localhost/ident-b application)
        echo "a: $(echo $a)"
        echo "b: $(echo $b)"
        echo "$a" | grep -qx mkdir
        ! echo "$a" | grep -qxE 'mknod|mknodat|sync'
        echo "$b" | grep -qxE 'mknod|mknodat'
        echo "$b" | grep -qx sync
        ! echo "$b" | grep -qx mkdir
        # Nothing left behind: both observations and registrations were taken.
        [ -z "$(ls "$RUN/observations")" ]
        [ -z "$(ls "$RUN/containers")" ]
}

@test "identity: a process that names itself with an escape and a newline is quoted on one line in the agent log" {
        start_agent --verbose
        # comm is at most 15 bytes: ESC [ 2 J, a newline, "forged: x". The
        # renamed shell then forks for the first time (clone, wait4 are new).
        learning_bundle "$T/c" localhost/comm 'printf "\033[2J\nforged: x" >/proc/self/comm; sync; echo done'
        run_container "$T/c" comm1
        [ "$status" -eq 0 ]
        cat -v "$T/agent.log"
        grep -qF 'by pid ' "$T/agent.log"
        grep -F '"\x1b[2J\x0aforged: x"' "$T/agent.log" | grep -q 'container comm1: new application syscall'
        # No raw escape, and no line the process made up.
        ! grep -q $'\033' "$T/agent.log"
        ! grep -q '^forged' "$T/agent.log"
        # The observation keeps a printable form.
        [ "$(osl profile show localhost/comm --json | jq '[.. | .comm? | strings | select(test("forged"))] | length')" -gt 0 ]
}
