#!/usr/bin/env bats
# Docker end to end: a private dockerd (Debian's docker.io 20.10) with its
# own data root, exec root, socket, pid file and managed containerd, no
# networking and no iptables. It runs in a private mount namespace with
# tmpfs on /run and /etc/docker, where dockerd 20.10 otherwise writes
# /run/docker/plugins and /etc/docker/key.json whatever its flags say; its
# containerd's shim sockets (/run/containerd/s) stay there too, away from
# the host's and containerd.bats' containerd. Images come from
# `docker import` of a busybox-static root file system.

load helpers

bats_require_minimum_version 1.5.0

setup() {
        osl_setup
        command -v dockerd >/dev/null || skip "docker.io is not installed"
        command -v docker >/dev/null || skip "the docker client is not installed"
        [ -x /bin/busybox ] || skip "busybox-static is not installed"
        D=$T/docker
        IMAGE=localhost/osl-it-docker-$$-$RANDOM
        CGROUP_PARENT=osl-it-docker-$$-$RANDOM
        DOCKERD_PID=
        mkdir -p "$D/data" "$D/exec" "$T/bin" "$T/client"
        export DOCKER_HOST=unix://$D/docker.sock DOCKER_CONFIG=$T/client
        ln -s "$OSL_HOOK_BIN" "$T/bin/oci-seccomp-learn-runc"
        # The shipped daemon.json, pointing at the binary under test: the
        # runtime seccomp-learn (the wrapper, with the daemon's default mode:
        # learn, below) and seccomp-enforce (the wrapper in enforce mode, its
        # environment set by /usr/bin/env through runtimeArgs).
        sed "s|/usr/bin/oci-seccomp-learn-runc|$T/bin/oci-seccomp-learn-runc|g" \
                "$BATS_TEST_DIRNAME/../../contrib/docker/daemon.json" >"$D/daemon.json"
        grep -q "$T/bin/oci-seccomp-learn-runc" "$D/daemon.json"
        start_dockerd
        import_busybox_image "$IMAGE"
}

teardown() {
        if [ -n "${DOCKERD_PID:-}" ]; then
                local ids
                ids=$(dock ps -aq 2>/dev/null) || true
                [ -z "$ids" ] || dock rm -f $ids >/dev/null 2>&1 || true
                kill -TERM "$DOCKERD_PID" 2>/dev/null || true
                timeout 30 tail --pid="$DOCKERD_PID" -f /dev/null 2>/dev/null || kill -KILL "$DOCKERD_PID" 2>/dev/null || true
                wait "$DOCKERD_PID" 2>/dev/null || true
        fi
        # A shim of this dockerd's containerd left behind by a failed stop
        # (its command line names $D/exec), by pid.
        local p
        for p in /proc/[0-9]*; do
                { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF "${D:-/nonexistent}/" && kill -KILL "${p#/proc/}" 2>/dev/null
        done
        # The cgroups runc made under this test's parent.
        local d
        for d in /sys/fs/cgroup/*/"${CGROUP_PARENT:-/nonexistent}"; do
                [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        osl_teardown
}

# The store and run dir reach the wrapper through dockerd's environment:
# dockerd starts its containerd, containerd the runc shim, the shim the runtime.
start_dockerd() {
        OCI_SECCOMP_LEARN_STORE=$STORE OCI_SECCOMP_LEARN_RUNDIR=$RUN OCI_SECCOMP_LEARN_DEFAULT_MODE=learn \
                timeout -k 10 600 unshare -m --propagation private sh -c '
                        mount -t tmpfs -o mode=0755 tmpfs /run && mount -t tmpfs -o mode=0755 tmpfs /etc/docker && exec "$@"' sh \
                dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" \
                --pidfile "$D/docker.pid" -H "unix://$D/docker.sock" --cgroup-parent "/$CGROUP_PARENT" \
                --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
                >"$D/dockerd.log" 2>&1 &
        DOCKERD_PID=$!
        local i
        for i in $(seq 1 300); do
                [ -S "$D/docker.sock" ] && timeout 10 docker version >/dev/null 2>&1 && return 0
                kill -0 "$DOCKERD_PID" 2>/dev/null || break
                sleep 0.1
        done
        echo "dockerd did not start:" >&2
        tail -20 "$D/dockerd.log" >&2
        return 1
}

dock() {
        timeout -k 10 120 docker "$@"
}

import_busybox_image() {
        local r=$T/image-rootfs a
        mkdir -p "$r/bin" "$r/tmp" "$r/proc" "$r/dev" "$r/sys" "$r/etc"
        cp /bin/busybox "$r/bin/busybox"
        for a in $(/bin/busybox --list); do
                [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
        done
        tar -C "$r" -cf "$T/rootfs.tar" .
        dock import --change 'ENV PATH=/bin' "$T/rootfs.tar" "$1" >/dev/null
}

show_logs() {
        show_osl_logs
        echo "--- dockerd.log (warnings and errors)"
        grep -E 'level=(warning|error)' "$D/dockerd.log" | tail -20 || true
}

WORKLOAD='echo hi; ls / >/dev/null; cat /proc/self/status >/dev/null'

# drun [docker run flags...] -- COMMAND: `docker run --rm --network none`.
drun() {
        local flags=()
        while [ "$1" != -- ]; do
                flags+=("$1")
                shift
        done
        run dock run --rm --network none "${flags[@]}" "$IMAGE" sh -c "$2"
        echo "docker run ${flags[*]} $2: status $status"
        echo "$output"
}

@test "docker: the exported profile with --security-opt seccomp and the docker-caps flags runs the learned workload and refuses mkdir" {
        start_agent
        # Learned with runc, noNewPrivileges false as under Docker.
        make_bundle "$T/b" busybox "$(jq -cn --arg c "$WORKLOAD" '["/bin/sh","-c",$c]')" "$IMAGE"
        jq '.process.noNewPrivileges = false | .annotations["io.seccomp-learn.mode"] = "learn"' "$T/b/config.json" >"$T/c"
        mv "$T/c" "$T/b/config.json"
        osl inject "$T/b"
        run_container "$T/b" docker-learn
        [ "$status" -eq 0 ]
        osl profile export "$IMAGE" --format docker >"$T/profile.json"
        caps=$(osl profile export "$IMAGE" --format docker-caps)
        echo "caps: $caps"
        [ "$caps" = "--cap-drop=ALL" ]

        # Without it Docker's default profile lets mkdir through.
        drun -- 'mkdir /tmp/new && echo made'
        [ "$status" -eq 0 ]
        [[ "$output" == *made* ]]
        # shellcheck disable=SC2086 # the flags are words
        drun --security-opt "seccomp=$T/profile.json" $caps -- "$WORKLOAD; grep -E '^(Seccomp|CapEff):' /proc/self/status"
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]
        [[ "$output" == *"Seccomp:	2"* ]]
        [[ "$output" == *"CapEff:	0000000000000000"* ]]
        # shellcheck disable=SC2086
        drun --security-opt "seccomp=$T/profile.json" $caps -- 'echo hi; mkdir /tmp/new'
        [ "$status" -ne 0 ]
        [[ "$output" == *hi* ]]
        [[ "$output" == *"Operation not permitted"* ]]
}

@test "docker: the runtime wrapper as a Docker runtime learns; the image is found in Docker's data root" {
        start_agent
        drun --runtime seccomp-learn -- "$WORKLOAD"
        show_logs
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]
        grep -qE "container [0-9a-f]{64}: recording \(learn mode\), pid [0-9]+, image \"$IMAGE\", bundle" "$T/agent.log"
        run osl profile show "$IMAGE" --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.version == 1'
        # The container is Docker's: its 64-digit ID.
        echo "$output" | jq -e '.history[0].containerId | test("^[0-9a-f]{64}$")'
        app=$(profile_syscalls "$IMAGE" application)
        for s in execve openat getdents64 read exit_group write; do
                echo "$app" | grep -qx "$s" || { echo "missing $s in: $app"; false; }
        done
        grep -qE "poststop: container [0-9a-f]{64}: image $IMAGE: version 1" "$RUN/hooks.log"

        # Run by image ID, under another name too: still this image's profile,
        # and the same workload learns nothing new.
        id=$(dock image inspect --format '{{.Id}}' "$IMAGE")
        dock tag "$IMAGE" "$IMAGE-other:v2"
        run dock run --rm --network none --runtime seccomp-learn "${id#sha256:}" sh -c "$WORKLOAD"
        echo "$output"
        [ "$status" -eq 0 ]
        run dock run --rm --network none --runtime seccomp-learn "$IMAGE-other:v2" sh -c "$WORKLOAD"
        echo "$output"
        [ "$status" -eq 0 ]
        cat "$T/agent.log"
        [ "$(grep -cE "recording \(learn mode\), pid [0-9]+, image \"$IMAGE\", bundle" "$T/agent.log")" -eq 2 ]
        [ "$(grep -cE "recording \(learn mode\), pid [0-9]+, image \"$IMAGE-other\", bundle" "$T/agent.log")" -eq 1 ]
        run osl profile show "$IMAGE" --json
        echo "$output" | jq -e '.version == 1 and (.history | length) == 1'
        [ "$(osl profile show "$IMAGE-other" --json | jq .version)" -eq 1 ]
}

@test "docker: enforce through the wrapper runs the learned workload and refuses mkdir; docker run without our runtime is untouched" {
        start_agent
        drun --runtime seccomp-learn -- "$WORKLOAD"
        [ "$status" -eq 0 ]
        drun --runtime seccomp-enforce -- "$WORKLOAD; grep Seccomp: /proc/self/status"
        show_logs
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]
        [[ "$output" == *"Seccomp:	2"* ]]
        drun --runtime seccomp-enforce -- 'echo hi; mkdir /tmp/new'
        [ "$status" -ne 0 ]
        [[ "$output" == *hi* ]]
        [[ "$output" == *"Operation not permitted"* ]]
        [ "$(osl profile show "$IMAGE" --json | jq .version)" -eq 1 ]

        # Docker's own runtime: our wrapper never runs, nothing is learned.
        before=$(wc -l <"$RUN/hooks.log")
        drun -- 'mkdir /tmp/new && echo plain'
        [ "$status" -eq 0 ]
        [ "$output" = plain ]
        [ "$(wc -l <"$RUN/hooks.log")" -eq "$before" ]
        [ "$(grep -c "recording" "$T/agent.log")" -eq 1 ]
        [ "$(osl profile show "$IMAGE" --json | jq .version)" -eq 1 ]
}

@test "docker: enforce through the wrapper without a learned profile does not start the container" {
        run dock run --rm --network none --runtime seccomp-enforce "$IMAGE" sh -c 'echo ran'
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" != *ran* ]]
        # Docker shows what the wrapper wrote into runc's --log file.
        [[ "$output" == *"OCI runtime create failed"*"oci-seccomp-learn runtime: "*"enforce mode"* ]]
        [ -z "$(dock ps -aq)" ]
}
