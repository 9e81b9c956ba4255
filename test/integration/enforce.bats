#!/usr/bin/env bats
# Complain and enforce with real runc: the learned profile is what the
# container may do, syscalls and capabilities both.

load helpers

setup() { osl_setup; }
teardown() { osl_teardown; }

WORKLOAD='echo hello; ls / >/dev/null; grep -E "^(Seccomp|CapEff):" /proc/self/status'

# learn_once BUNDLE ID: inject in learn mode from the pristine config, run.
learn_once() {
        cp "$1/config.pristine" "$1/config.json"
        set_annotation "$1" io.seccomp-learn.mode learn
        osl inject "$1"
        run_container "$1" "$2"
        [ "$status" -eq 0 ]
}


@test "enforce: the learned workload runs; a new syscall gets EPERM" {
        start_agent
        busybox_bundle "$T/b" localhost/enf
        learn_once "$T/b" enf-learn
        with_mode "$T/b" enforce "$WORKLOAD"
        run osl inject "$T/b"
        [ "$status" -eq 0 ]
        [[ "$output" == *"enforce mode for image localhost/enf: profile version 1"* ]]
        jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO" and .linux.seccomp.defaultErrnoRet == 1' "$T/b/config.json"
        run_container "$T/b" enf-same
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *hello* ]]
        [[ "$output" == *"Seccomp:	2"* ]]

        with_mode "$T/b" enforce 'mkdir /tmp/new; echo "mkdir status $?"'
        osl inject "$T/b"
        run_container "$T/b" enf-new
        echo "$output"
        [[ "$output" == *"Operation not permitted"* ]]
        [[ "$output" == *"mkdir status 1"* ]]
}

@test "enforce --default-action kill: a new syscall kills the process" {
        start_agent
        busybox_bundle "$T/b" localhost/enfkill
        learn_once "$T/b" kill-learn
        # The container's own process makes the call, so its death is the
        # container's exit status.
        with_mode "$T/b" enforce 'echo before; exec mkdir /tmp/new'
        osl inject --default-action kill "$T/b"
        jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_KILL_PROCESS"' "$T/b/config.json"
        run_container "$T/b" kill-new
        echo "status $status: $output"
        [ "$status" -eq 159 ] # 128 + SIGSYS
        [[ "$output" == *before* ]]
        [ ! -e "$T/b/rootfs/tmp/new" ]
}

@test "enforce: the runtime's own calls are learned, with noNewPrivileges true and false" {
        start_agent
        for nnp in true false; do
                busybox_bundle "$T/b$nnp" localhost/nnp ".process.noNewPrivileges = $nnp"
                learn_once "$T/b$nnp" "nnp-learn-$nnp"
        done
        for nnp in true false; do
                with_mode "$T/b$nnp" enforce "$WORKLOAD"
                osl inject "$T/b$nnp"
                run_container "$T/b$nnp" "nnp-enforce-$nnp"
                echo "noNewPrivileges $nnp: $output"
                [ "$status" -eq 0 ]
                [[ "$output" == *hello* ]]
        done
        # With noNewPrivileges false runc sets the ids and capabilities after
        # loading the filter: those calls are stored as the runtime's.
        run osl profile show localhost/nnp --json
        echo "$output" | jq -e '[.syscalls[] | select(.name == "capset") | .origins[]] | index("runtime")'
}

@test "enforce: an image with no stored profile is refused with a clear message" {
        busybox_bundle "$T/b" localhost/never-learned
        with_mode "$T/b" enforce "$WORKLOAD"
        cp "$T/b/config.json" "$T/before.json"
        run osl inject "$T/b"
        [ "$status" -eq 3 ]
        [[ "$output" == *"localhost/never-learned"* ]]
        cmp "$T/before.json" "$T/b/config.json"
}

@test "enforce: version 1 pinned by annotation is enforced while version 3 exists" {
        start_agent
        busybox_bundle "$T/b" localhost/pin
        learn_once "$T/b" pin1
        for step in "mkdir /tmp/a" "ln -s x /tmp/l"; do
                with_mode "$T/b" learn "$step; $WORKLOAD"
                osl inject "$T/b"
                run_container "$T/b" "pin-$RANDOM"
        done
        [ "$(osl profile show localhost/pin --json | jq .version)" -eq 3 ]
        # Version 3 allows mkdir; version 1 does not.
        with_mode "$T/b" enforce 'mkdir /tmp/b; echo "mkdir status $?"' '.annotations["io.seccomp-learn.version"] = "1"'
        run osl inject "$T/b"
        [[ "$output" == *"profile version 1"* ]]
        run_container "$T/b" pin-enforce-1
        [[ "$output" == *"mkdir status 1"* ]]
        with_mode "$T/b" enforce 'mkdir /tmp/b; echo "mkdir status $?"'
        osl inject "$T/b"
        run_container "$T/b" pin-enforce-3
        [[ "$output" == *"mkdir status 0"* ]]
}

@test "complain: a new syscall is allowed, reported by poststop and by profile drift; no version is made" {
        start_agent
        busybox_bundle "$T/b" localhost/compl
        learn_once "$T/b" compl-learn
        with_mode "$T/b" complain 'mkdir /tmp/new && echo "mkdir worked"'
        run osl inject "$T/b"
        [[ "$output" == *"complain mode"* ]] || [[ "$output" == *"syscalls notified"* ]]
        run_container "$T/b" compl-run
        [[ "$output" == *"mkdir worked"* ]]
        grep -q "container compl-run: image localhost/compl: drift from version 1" "$RUN/hooks.log"
        run osl profile drift localhost/compl --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '[.records[].outside.syscalls[][] | keys[]] | index("mkdir") != null'
        [ "$(osl profile show localhost/compl --json | jq .version)" -eq 1 ]
        run osl profile accept localhost/compl
        [ "$status" -eq 0 ]
        [ "$(osl profile show localhost/compl --json | jq .version)" -eq 2 ]
}

@test "capabilities: binding port 80 learns CAP_NET_BIND_SERVICE and keeps it; nothing privileged gets an empty set" {
        start_agent
        busybox_bundle "$T/web" localhost/web
        jq '.process.args = ["/bin/sh","-c","nc -l -p 80 -w 1 </dev/null & sleep 0.3; grep CapEff: /proc/self/status"]' \
                "$T/web/config.pristine" >"$T/web/c" && mv "$T/web/c" "$T/web/config.pristine"
        learn_once "$T/web" web-learn
        run osl profile show localhost/web --json
        echo "$output" | jq -e '[.capabilities[].name] == ["CAP_NET_BIND_SERVICE"]'
        echo "$output" | jq -e '.capabilities[0].evidence | test("bind\\(port 80\\)")'

        jq '.annotations["io.seccomp-learn.mode"] = "enforce"' "$T/web/config.pristine" >"$T/web/config.json"
        run osl inject "$T/web"
        jq -e '.process.capabilities.effective == ["CAP_NET_BIND_SERVICE"] and .process.capabilities.bounding == ["CAP_NET_BIND_SERVICE"]' "$T/web/config.json"
        run_container "$T/web" web-enforce
        echo "$output"
        [ "$status" -eq 0 ]
        # bit 10 = CAP_NET_BIND_SERVICE
        [[ "$output" == *"CapEff:	0000000000000400"* ]]

        busybox_bundle "$T/plain" localhost/plain
        learn_once "$T/plain" plain-learn
        with_mode "$T/plain" enforce "$WORKLOAD"
        osl inject "$T/plain"
        jq -e '[.process.capabilities[]] | add | length == 0' "$T/plain/config.json"
        run_container "$T/plain" plain-enforce
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"CapEff:	0000000000000000"* ]]
}

@test "enforce: a learned redis-server serves redis-benchmark under a profile under a third of the default's size" {
        command -v redis-server >/dev/null || skip "redis-server is not installed"
        [ -f /usr/share/containers/seccomp.json ] || skip "golang-github-containers-common is not installed"
        start_agent
        port=$((20000 + RANDOM % 10000))
        args=$(jq -cn --arg p "$port" '["redis-server","--port",$p,"--bind","127.0.0.1","--save","","--appendonly","no","--dir","/tmp"]')
        make_bundle "$T/r" hostusr "$args" debian/redis-server
        cp "$T/r/config.json" "$T/r/config.pristine"
        redis_cycle() { # id mode
                jq --arg m "$2" '.annotations["io.seccomp-learn.mode"] = $m' "$T/r/config.pristine" >"$T/r/config.json"
                osl inject "$T/r"
                CONTAINERS+=("$1")
                timeout -k 10 60 runc --root "$RUNC_ROOT" run -d --bundle "$T/r" "$1" </dev/null >"$T/$1.log" 2>&1
                for i in $(seq 1 100); do
                        redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
                        sleep 0.1
                done
                timeout 120 redis-benchmark -p "$port" -n 5000 -t set,get -q >"$T/$1.bench" 2>&1
                local rc=$?
                cat "$T/$1.bench"
                timeout 20 runc --root "$RUNC_ROOT" kill "$1" TERM
                for i in $(seq 1 100); do
                        runc --root "$RUNC_ROOT" state "$1" | jq -e '.status == "stopped"' >/dev/null && break
                        sleep 0.1
                done
                timeout 30 runc --root "$RUNC_ROOT" delete -f "$1"
                return $rc
        }
        redis_cycle redis-learn learn
        redis_cycle redis-enforce enforce
        grep -q "GET:" "$T/redis-enforce.bench"
        grep -q "SET:" "$T/redis-enforce.bench"
        ours=$(osl profile export debian/redis-server --format oci | jq '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | length')
        default=$(jq '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | length' /usr/share/containers/seccomp.json)
        # Shown in the test's output (fd 3 is bats' report) whether it passes or not.
        echo "# syscalls allowed: learned redis profile $ours, podman/CRI-O default profile $default" >&3
        echo "syscalls allowed: learned redis profile $ours, podman/CRI-O default profile $default"
        [ "$ours" -gt 0 ]
        [ $((ours * 3)) -lt "$default" ]
}
