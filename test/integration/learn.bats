#!/usr/bin/env bats
# Learning mode end to end with real runc: inject, agent, prestart and
# poststop hooks, the store.

load helpers

setup() { osl_setup; }
teardown() { osl_teardown; }

WORKLOAD='["/bin/sh","-c","echo hi; ls /; cat /proc/self/status"]'

@test "learn: a busybox container's syscalls land in the store, runtime calls kept apart" {
        start_agent
        make_bundle "$T/b" busybox "$WORKLOAD" localhost/busybox-demo
        set_annotation "$T/b" io.seccomp-learn.mode learn
        run osl inject "$T/b"
        [ "$status" -eq 0 ]
        [[ "$output" == *"learn mode for image localhost/busybox-demo"* ]]
        # The hooks run the start path's binary (no libcurl and the like).
        jq -e --arg h "$(realpath "$OSL_HOOK_BIN")" '[.hooks.prestart[], .hooks.poststop[]] | length == 2 and all(.path == $h)' \
                "$T/b/config.json"
        run_container "$T/b" learn1
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]
        [[ "$output" == *"Name:"* ]]
        run osl profile show localhost/busybox-demo --json
        [ "$status" -eq 0 ]
        [ "$(echo "$output" | jq .version)" -eq 1 ]
        app=$(profile_syscalls localhost/busybox-demo application)
        for s in execve write openat getdents64 read exit_group; do
                echo "$app" | grep -qx "$s" || { echo "missing $s in: $app"; false; }
        done
        # runc's own calls between the filter and the entrypoint are stored
        # as the runtime's: notified ones (fstatfs, epoll_ctl with
        # noNewPrivileges true) and the never-notified runtime floor (futex).
        rt=$(profile_syscalls localhost/busybox-demo runtime)
        echo "runtime: $rt"
        echo "$rt" | grep -qx fstatfs
        echo "$rt" | grep -qx futex
        run osl profile show localhost/busybox-demo --json
        echo "$output" | jq -e '[.syscalls[] | select(.name == "fstatfs") | .origins] == [["runtime"]]'
        echo "$output" | jq -e '[.syscalls[] | select(.name == "getcwd") | .origins] == [["application"]]' 
}

@test "learn: the profile holds every syscall that strace -f sees after the entrypoint's execve" {
        start_agent
        # strace runs inside the same kind of container, without a filter.
        # The trace is printed after strace ends (cat under strace would read
        # its own trace as it grows).
        make_bundle "$T/s" hostusr '["/bin/sh","-c","strace -f -qq -o /tmp/trace -- /bin/sh -c \"echo hi; ls /; cat /proc/self/status >/dev/null\"; cat /tmp/trace >&2"]'
        jq '.process.capabilities.bounding += ["CAP_SYS_PTRACE"] | .process.capabilities.effective += ["CAP_SYS_PTRACE"] | .process.capabilities.permitted += ["CAP_SYS_PTRACE"]' \
                "$T/s/config.json" >"$T/s/c" && mv "$T/s/c" "$T/s/config.json"
        CONTAINERS+=(trace)
        timeout -k 10 60 runc --root "$RUNC_ROOT" run --bundle "$T/s" trace >"$T/trace.out" 2>"$T/trace"
        # "PID name(args..." lines, from the first execve of the shell on.
        sed -n '/execve("\/bin\/sh"/,$p' "$T/trace" | sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' | sort -u >"$T/strace.names"
        [ -s "$T/strace.names" ]

        make_bundle "$T/b" hostusr '["/bin/sh","-c","echo hi; ls /; cat /proc/self/status >/dev/null"]' localhost/hostusr
        set_annotation "$T/b" io.seccomp-learn.mode learn
        osl inject "$T/b"
        run_container "$T/b" learn-st
        [ "$status" -eq 0 ]
        profile_syscalls localhost/hostusr >"$T/learned.names"
        profile_syscalls localhost/hostusr application >"$T/app.names"
        missing=$(comm -23 "$T/strace.names" "$T/learned.names")
        echo "strace saw: $(tr '\n' ' ' <"$T/strace.names")"
        echo "missing from the profile: $missing"
        [ -z "$missing" ]
        grep -qx write "$T/app.names"
        # What strace saw is the application's, except the runtime floor
        # that the learning filter never notifies (doc/learning.md).
        floor="futex rt_sigreturn rt_sigprocmask sigaltstack sched_yield nanosleep clock_nanosleep clock_gettime gettid getpid tgkill mmap munmap madvise epoll_pwait restart_syscall"
        not_app=$(comm -23 "$T/strace.names" "$T/app.names" | grep -vxF -f <(tr ' ' '\n' <<<"$floor") || true)
        echo "seen by strace but not stored as the application's: $not_app"
        [ -z "$not_app" ]
}

@test "learn: a second identical run converges (no new version, far fewer notifications)" {
        start_agent
        make_bundle "$T/b" busybox "$WORKLOAD" localhost/conv
        set_annotation "$T/b" io.seccomp-learn.mode learn
        cp "$T/b/config.json" "$T/config.orig"
        run osl inject "$T/b"
        first=$(echo "$output" | sed -nE 's/.*: ([0-9]+) syscalls notified.*/\1/p')
        run_container "$T/b" conv1
        [ "$status" -eq 0 ]
        [ "$(osl profile show localhost/conv --json | jq .version)" -eq 1 ]

        cp "$T/config.orig" "$T/b/config.json"
        run osl inject "$T/b"
        second=$(echo "$output" | sed -nE 's/.*: ([0-9]+) syscalls notified.*/\1/p')
        [[ "$output" == *"stored profile version 1"* ]]
        # What was learned is allowed now, not notified.
        learned=$(profile_syscalls localhost/conv | wc -l)
        echo "notified names: first $first, second $second; learned $learned"
        [ "$second" -lt "$first" ]
        jq -e '[.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_NOTIFY") | .names[]] | (index("getdents64") == null) and (index("execve") != null)' "$T/b/config.json"
        run_container "$T/b" conv2
        [ "$status" -eq 0 ]
        [ "$(osl profile show localhost/conv --json | jq .version)" -eq 1 ]
        [ "$(osl profile show localhost/conv --json | jq '.history | length')" -eq 1 ]
        # Every notification of the second run is execve: the agent's log
        # counts them per container.
        n1=$(sed -nE 's/.*container conv1: wrote .*, ([0-9]+) notifications.*/\1/p' "$T/agent.log")
        n2=$(sed -nE 's/.*container conv2: wrote .*, ([0-9]+) notifications.*/\1/p' "$T/agent.log")
        echo "notifications: first run $n1, second run $n2"
        [ -n "$n1" ] && [ -n "$n2" ]
        [ "$n2" -lt $((n1 / 4)) ]
}

@test "learn: a run doing something new makes version 2, whose history names what was added" {
        start_agent
        make_bundle "$T/b" busybox '["/bin/sh","-c","echo hi"]' localhost/grow
        set_annotation "$T/b" io.seccomp-learn.mode learn
        cp "$T/b/config.json" "$T/config.orig"
        osl inject "$T/b"
        run_container "$T/b" grow1
        [ "$status" -eq 0 ]
        before=$(profile_syscalls localhost/grow)
        echo "$before" | grep -qx mkdir && false

        jq '.process.args = ["/bin/sh","-c","mkdir /tmp/x; echo done"] | .root.readonly = false' "$T/config.orig" >"$T/b/config.json"
        osl inject "$T/b"
        run_container "$T/b" grow2
        [ "$status" -eq 0 ]
        run osl profile show localhost/grow --json
        [ "$(echo "$output" | jq .version)" -eq 2 ]
        echo "$output" | jq -e '.history[-1].version == 2'
        echo "$output" | jq -e '[.history[-1].addedSyscalls[].name] | index("mkdir")'
        echo "$output" | jq -e '.history[-1].containerId == "grow2"'
        [ -f "$STORE/images/localhost%2Fgrow/versions/1.json" ]
        [ -f "$STORE/images/localhost%2Fgrow/versions/2.json" ]
}

@test "learn: eight containers of one image learning at once lose nothing" {
        start_agent
        cmds=("mkdir /tmp/d" "rmdir /tmp" "ln -s a /tmp/l" "touch /tmp/f" "chmod 700 /tmp" "sync" "uname -a" "sleep 0.1")
        pids=()
        for i in $(seq 0 7); do
                make_bundle "$T/b$i" busybox "$(jq -cn --arg c "${cmds[$i]}; true" '["/bin/sh","-c",$c]')" localhost/many
                jq '.root.readonly = false' "$T/b$i/config.json" >"$T/c" && mv "$T/c" "$T/b$i/config.json"
                set_annotation "$T/b$i" io.seccomp-learn.mode learn
                osl inject "$T/b$i"
                CONTAINERS+=("many$i")
        done
        for i in $(seq 0 7); do
                timeout -k 10 60 runc --root "$RUNC_ROOT" run --bundle "$T/b$i" "many$i" >"$T/out$i" 2>&1 &
                pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p"; done
        learned=$(profile_syscalls localhost/many)
        for s in mkdir rmdir symlink utimensat chmod sync uname nanosleep; do
                echo "$learned" | grep -qx "$s" || { echo "missing $s"; false; }
        done
        run osl profile show localhost/many --json
        v=$(echo "$output" | jq .version)
        # Versions are 1..v with no gap and no repeat.
        [ "$(echo "$output" | jq '[.history[].version]')" = "$(jq -cn --argjson v "$v" '[range(1; $v + 1)]' | jq .)" ]
}

@test "learn: with the agent down the container still runs and the failure is reported" {
        make_bundle "$T/b" busybox '["/bin/sh","-c","echo still-running"]' localhost/down
        set_annotation "$T/b" io.seccomp-learn.mode learn
        run osl inject "$T/b"
        [ "$status" -eq 0 ]
        [[ "$output" == *"learning is off for this container"* ]]
        [[ "$output" == *"agent.sock"* ]]
        jq -e '.linux.seccomp.listenerPath == null' "$T/b/config.json"
        run_container "$T/b" down1
        [ "$status" -eq 0 ]
        [[ "$output" == *still-running* ]]
        run osl profile show localhost/down
        [ "$status" -eq 3 ]
}

@test "learn: poststop does not wait for an agent that is gone" {
        make_bundle "$T/b" busybox '["/bin/sleep","30"]' localhost/gone
        set_annotation "$T/b" io.seccomp-learn.mode learn
        start_agent
        run osl inject "$T/b"
        [ "$status" -eq 0 ]
        jq -e '.linux.seccomp.listenerPath != null' "$T/b/config.json"
        CONTAINERS+=(gone1)
        timeout -k 5 30 runc --root "$RUNC_ROOT" run -d --bundle "$T/b" gone1 </dev/null >"$T/run.out" 2>&1
        # The agent that holds the filter's fd dies before the container
        # ends, its holder first and then the recording worker (a worker
        # alone is restarted, a holder alone leaves the worker serving;
        # doc/reliability.md): no observation will ever come.
        kill -KILL "$AGENT_PID" $(pgrep -P "$AGENT_PID")
        wait "$AGENT_PID" 2>/dev/null || true
        AGENT_PID=
        timeout 20 runc --root "$RUNC_ROOT" kill gone1 KILL || true # it may have ended already
        for _ in $(seq 1 100); do
                [ "$(timeout 20 runc --root "$RUNC_ROOT" state gone1 | jq -r .status)" = stopped ] && break
                sleep 0.1
        done
        timeout 60 runc --root "$RUNC_ROOT" delete -f gone1
        show_osl_logs
        grep -q "poststop: container gone1: no agent serves this container (no seccomp agent listens on $RUN/agent.sock" \
                "$RUN/hooks.log"
        # It did not wait for the observation.
        ! grep -q "no observation from the agent after" "$RUN/hooks.log"
        [ ! -e "$RUN/containers" ] || [ -z "$(ls -A "$RUN/containers")" ]
        run osl profile show localhost/gone
        [ "$status" -eq 3 ]
}

@test "learn: redis-server learned while redis-benchmark drives it" {
        command -v redis-server >/dev/null || skip "redis-server is not installed"
        start_agent
        port=$((20000 + RANDOM % 10000))
        make_bundle "$T/r" hostusr "$(jq -cn --arg p "$port" '["redis-server","--port",$p,"--bind","127.0.0.1","--save","","--appendonly","no","--dir","/tmp"]')" debian/redis-server
        set_annotation "$T/r" io.seccomp-learn.mode learn
        osl inject "$T/r"
        CONTAINERS+=(redis)
        timeout -k 10 60 runc --root "$RUNC_ROOT" run -d --bundle "$T/r" redis </dev/null >"$T/redis.log" 2>&1
        for i in $(seq 1 100); do
                redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
                sleep 0.1
        done
        run timeout 120 redis-benchmark -p "$port" -n 5000 -t set,get -q
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"SET:"* ]]
        [[ "$output" == *"GET:"* ]]
        timeout 20 runc --root "$RUNC_ROOT" kill redis TERM
        for i in $(seq 1 100); do
                runc --root "$RUNC_ROOT" state redis | jq -e '.status == "stopped"' >/dev/null && break
                sleep 0.1
        done
        timeout 30 runc --root "$RUNC_ROOT" delete redis
        learned=$(profile_syscalls debian/redis-server application)
        for s in epoll_wait accept4 read write; do
                echo "$learned" | grep -qE "^${s}\$|^epoll_pwait\$" || { echo "missing $s in $learned"; false; }
        done
}

@test "learn: inject --mode learn without the annotation learns too (the hooks find the mode)" {
        start_agent
        make_bundle "$T/b" busybox '["/bin/sh","-c","echo forced"]' localhost/forced
        run osl inject --mode learn "$T/b"
        [ "$status" -eq 0 ]
        jq -e '.annotations["io.seccomp-learn.mode"] == "learn"' "$T/b/config.json"
        run_container "$T/b" forced1
        [ "$status" -eq 0 ]
        [ "$(osl profile show localhost/forced --json | jq .version)" -eq 1 ]
}

@test "learn: without oci-seccomp-learn-hook beside it, inject makes the hooks run the binary itself" {
        start_agent
        mkdir "$T/bin"
        cp "$OSL_BIN" "$T/bin/oci-seccomp-learn"
        make_bundle "$T/b" busybox '["/bin/sh","-c","echo alone"]' localhost/alone
        run "$T/bin/oci-seccomp-learn" --store "$STORE" --run-dir "$RUN" inject --mode learn "$T/b"
        [ "$status" -eq 0 ]
        jq -e --arg h "$T/bin/oci-seccomp-learn" '[.hooks.prestart[], .hooks.poststop[]] | all(.path == $h)' "$T/b/config.json"
        run_container "$T/b" alone1
        [ "$status" -eq 0 ]
        [[ "$output" == *alone* ]]
        [ "$(osl profile show localhost/alone --json | jq .version)" -eq 1 ]
        # The hook binary's own inject names itself.
        make_bundle "$T/c" busybox '["/bin/sh","-c","echo lean"]' localhost/lean
        run "$OSL_HOOK_BIN" --store "$STORE" --run-dir "$RUN" inject --mode learn "$T/c"
        [ "$status" -eq 0 ]
        jq -e --arg h "$(realpath "$OSL_HOOK_BIN")" '[.hooks.prestart[], .hooks.poststop[]] | all(.path == $h)' "$T/c/config.json"
        run_container "$T/c" lean1
        [ "$status" -eq 0 ]
        [ "$(osl profile show localhost/lean --json | jq .version)" -eq 1 ]
}
