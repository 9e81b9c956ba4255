#!/usr/bin/env bats
# learn -> converge -> enforce/complain with crun as the runtime:
# `oci-seccomp-learn inject BUNDLE` then `crun run`. crun hands the notify fd
# to the agent with its own (pretty-printed) container-process state, and
# its own calls between the filter and the entrypoint (kill; with
# noNewPrivileges false setresuid, setresgid, capset) are the runtime's.
# crun runs through make_crun's wrapper (helpers.bash): a private mount
# namespace per command, without the cgroup v2 mount it refuses here.

load helpers

setup() {
        osl_setup
        command -v crun >/dev/null || skip "crun is not installed"
        [ -x /bin/busybox ] || skip "busybox-static is not installed"
        CRUN=$T/bin/crun
        CRUN_ROOT=$T/crun
        CRUN_IDS=()
        make_crun "$T/bin"
}

teardown() {
        local id
        for id in "${CRUN_IDS[@]}"; do
                timeout 20 "$CRUN" --root "$CRUN_ROOT" kill "$id" KILL 2>/dev/null || true
                timeout 20 "$CRUN" --root "$CRUN_ROOT" delete -f "$id" 2>/dev/null || true
        done
        osl_teardown
}

# crun_run BUNDLE ID: foreground, with a timeout; the poststop hook runs
# when it ends. Output in $output, status in $status.
crun_run() {
        CRUN_IDS+=("$2")
        run timeout -k 10 60 "$CRUN" --root "$CRUN_ROOT" run --bundle "$1" "$2"
        echo "crun run $2: status $status"
        echo "$output"
        timeout 20 "$CRUN" --root "$CRUN_ROOT" delete -f "$2" 2>/dev/null || true
}

WORKLOAD='echo hello; ls / >/dev/null; grep -E "^(Seccomp|CapEff):" /proc/self/status'

# inject_mode BUNDLE MODE COMMAND: a fresh config for MODE, injected.
inject_mode() {
        with_mode "$1" "$2" "$3"
        run osl inject "$1"
        echo "$output"
        [ "$status" -eq 0 ]
}

# notifications ID: what the agent counted for a container.
notifications() {
        sed -nE "s/.*container $1: wrote .*, ([0-9]+) notifications.*/\\1/p" "$T/agent.log"
}

@test "crun: learn a busybox workload; crun's payload reaches the agent, crun's own calls are the runtime's" {
        start_agent
        busybox_bundle "$T/b" localhost/crun-learn
        inject_mode "$T/b" learn "$WORKLOAD"
        [[ "$output" == *"learn mode for image localhost/crun-learn"* ]]
        crun_run "$T/b" crun-learn1
        [ "$status" -eq 0 ]
        [[ "$output" == *hello* ]]
        # The learning filter is on (mode 2) while the container runs.
        [[ "$output" == *"Seccomp:	2"* ]]
        cat "$T/agent.log"
        # The agent took the pid and the image from crun's state.
        grep -qE "container crun-learn1: recording \(learn mode\), pid [0-9]+, image \"localhost/crun-learn\"" "$T/agent.log"
        [ "$(notifications crun-learn1)" -gt 0 ]
        run osl profile show localhost/crun-learn --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.version == 1 and .history[0].containerId == "crun-learn1"'
        app=$(profile_syscalls localhost/crun-learn application)
        for s in execve write openat getdents64 read exit_group; do
                echo "$app" | grep -qx "$s" || { echo "missing $s in: $app"; false; }
        done
        # crun kills nothing in the workload: its kill (noNewPrivileges true)
        # comes before the entrypoint's execve and is the runtime's alone.
        echo "$output" | jq -e '[.syscalls[] | select(.name == "kill") | .origins] == [["runtime"]]'
        grep -q "poststop: container crun-learn1: image localhost/crun-learn: version 1" "$RUN/hooks.log"
}

@test "crun: learning again converges (no new version, far fewer notifications)" {
        start_agent
        busybox_bundle "$T/b" localhost/crun-conv
        inject_mode "$T/b" learn "$WORKLOAD"
        first=$(echo "$output" | sed -nE 's/.*: ([0-9]+) syscalls notified.*/\1/p')
        crun_run "$T/b" crun-conv1
        [ "$status" -eq 0 ]
        inject_mode "$T/b" learn "$WORKLOAD"
        second=$(echo "$output" | sed -nE 's/.*: ([0-9]+) syscalls notified.*/\1/p')
        [[ "$output" == *"stored profile version 1"* ]]
        echo "notified names: first $first, second $second"
        [ "$second" -lt "$first" ]
        crun_run "$T/b" crun-conv2
        [ "$status" -eq 0 ]
        [[ "$output" == *hello* ]]
        run osl profile show localhost/crun-conv --json
        echo "$output" | jq -e '.version == 1 and (.history | length) == 1'
        n1=$(notifications crun-conv1)
        n2=$(notifications crun-conv2)
        echo "notifications: first run $n1, second run $n2"
        [ -n "$n1" ] && [ -n "$n2" ]
        [ "$n2" -lt $((n1 / 4)) ]
}

@test "crun: enforce runs the learned workload and refuses mkdir with EPERM" {
        start_agent
        busybox_bundle "$T/b" localhost/crun-enf
        inject_mode "$T/b" learn "$WORKLOAD"
        crun_run "$T/b" crun-enf-learn
        [ "$status" -eq 0 ]

        inject_mode "$T/b" enforce "$WORKLOAD"
        [[ "$output" == *"enforce mode for image localhost/crun-enf: profile version 1"* ]]
        jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO" and .linux.seccomp.listenerPath == null' "$T/b/config.json"
        crun_run "$T/b" crun-enf-same
        [ "$status" -eq 0 ]
        [[ "$output" == *hello* ]]
        [[ "$output" == *"Seccomp:	2"* ]]
        # Nothing is learned under enforce, so crun handed no fd to the agent.
        run grep -c "container crun-enf-same" "$T/agent.log"
        [ "$output" = 0 ]

        inject_mode "$T/b" enforce 'mkdir /tmp/new; echo "mkdir status $?"'
        crun_run "$T/b" crun-enf-new
        [[ "$output" == *"Operation not permitted"* ]]
        [[ "$output" == *"mkdir status 1"* ]]
        [ ! -e "$T/b/rootfs/tmp/new" ]
        [ "$(osl profile show localhost/crun-enf --json | jq .version)" -eq 1 ]
}

@test "crun: with noNewPrivileges false crun's setresuid, setresgid and capset are learned as the runtime's and enforce runs" {
        start_agent
        busybox_bundle "$T/b" localhost/crun-nnp '.process.noNewPrivileges = false'
        inject_mode "$T/b" learn "$WORKLOAD"
        crun_run "$T/b" crun-nnp-learn
        [ "$status" -eq 0 ]
        run osl profile show localhost/crun-nnp --json
        for s in setresuid setresgid capset; do
                echo "$output" | jq -e --arg s "$s" '[.syscalls[] | select(.name == $s) | .origins[]] | index("runtime")'
        done
        inject_mode "$T/b" enforce "$WORKLOAD"
        crun_run "$T/b" crun-nnp-enforce
        [ "$status" -eq 0 ]
        [[ "$output" == *hello* ]]
}

@test "crun: complain lets mkdir run and records the drift; no version is made" {
        start_agent
        busybox_bundle "$T/b" localhost/crun-compl
        inject_mode "$T/b" learn "$WORKLOAD"
        crun_run "$T/b" crun-compl-learn
        [ "$status" -eq 0 ]
        inject_mode "$T/b" complain 'mkdir /tmp/new && echo "mkdir worked"'
        crun_run "$T/b" crun-compl-run
        [ "$status" -eq 0 ]
        [[ "$output" == *"mkdir worked"* ]]
        grep -q "container crun-compl-run: image localhost/crun-compl: drift from version 1" "$RUN/hooks.log"
        run osl profile drift localhost/crun-compl --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '[.records[].outside.syscalls[][] | keys[]] | index("mkdir") != null'
        [ "$(osl profile show localhost/crun-compl --json | jq .version)" -eq 1 ]
}

@test "crun: the runtime wrapper in front of crun (OCI_SECCOMP_LEARN_RUNTIME) learns" {
        start_agent
        ln -s "$OSL_HOOK_BIN" "$T/bin/oci-seccomp-learn-runc"
        busybox_bundle "$T/b" localhost/crun-wrapped
        set_annotation "$T/b" io.seccomp-learn.mode learn
        CRUN_IDS+=(crun-wrapped)
        run env OCI_SECCOMP_LEARN_STORE="$STORE" OCI_SECCOMP_LEARN_RUNDIR="$RUN" OCI_SECCOMP_LEARN_RUNTIME="$CRUN" \
                timeout -k 10 60 "$T/bin/oci-seccomp-learn-runc" --root "$CRUN_ROOT" run --bundle "$T/b" crun-wrapped
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *hello* ]]
        timeout 20 "$CRUN" --root "$CRUN_ROOT" delete -f crun-wrapped 2>/dev/null || true
        grep -q "container crun-wrapped: recording (learn mode)" "$T/agent.log"
        run osl profile show localhost/crun-wrapped --json
        echo "$output" | jq -e '.version == 1'
        # crun's kill, not runc's calls: the wrapper ran crun.
        echo "$output" | jq -e '[.syscalls[] | select(.name == "kill") | .origins] == [["runtime"]]'

}
