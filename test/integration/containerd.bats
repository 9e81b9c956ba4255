#!/usr/bin/env bats
# containerd end to end: a private containerd (its own socket, root and
# state dir, no CRI plugin), an image imported from an OCI archive built
# here, and `ctr run --runc-binary oci-seccomp-learn-runc`: the runtime
# wrapper puts the filter in, the agent learns, the hooks the wrapper adds
# store the profile. The wrapper finds the private store and run dir in
# OCI_SECCOMP_LEARN_STORE and OCI_SECCOMP_LEARN_RUNDIR, which containerd
# passes to its runc shim and the shim to the runtime.

load helpers

NS=osl-it

setup() {
        osl_setup
        command -v containerd >/dev/null || skip "containerd is not installed"
        command -v ctr >/dev/null || skip "ctr is not installed"
        [ -x /bin/busybox ] || skip "busybox-static is not installed"
        C=$T/containerd
        IMAGE=localhost/osl-it-ctr-$$-$RANDOM
        CONTAINERD_PID=
        CTR_IDS=()
        mkdir -p "$C" "$T/bin"
        ln -s "$OSL_HOOK_BIN" "$T/bin/oci-seccomp-learn-runc"
        start_containerd
        build_oci_archive "$T/image.tar" "$IMAGE:latest"
        run ctrc images import "$T/image.tar"
        echo "$output"
        [ "$status" -eq 0 ]
}

teardown() {
        local id
        if [ -n "${CONTAINERD_PID:-}" ]; then
                for id in "${CTR_IDS[@]}"; do
                        ctrc tasks kill -s KILL "$id" >/dev/null 2>&1 || true
                        ctrc tasks delete -f "$id" >/dev/null 2>&1 || true
                        ctrc containers delete "$id" >/dev/null 2>&1 || true
                done
                ctrc images remove "$IMAGE:latest" >/dev/null 2>&1 || true
                stop_containerd
                # The runc shim keeps runc's state under /run/containerd/runc/NAMESPACE.
                rmdir "/run/containerd/runc/$NS" 2>/dev/null || true
        fi
        # Snapshots mounted for a container that did not get cleaned up.
        local m
        for m in $(awk -v p="${T:-/nonexistent}/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r); do
                umount -l "$m" 2>/dev/null || true
        done
        osl_teardown
}

# A minimal containerd: no CRI, no tracing, no snapshotters but the default
# overlayfs and native, nothing listening but its own socket.
start_containerd() {
        cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]
[grpc]
  address = "$C/sock"
[ttrpc]
  address = "$C/sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
        OCI_SECCOMP_LEARN_STORE=$STORE OCI_SECCOMP_LEARN_RUNDIR=$RUN \
                containerd --config "$C/config.toml" >"$C/containerd.log" 2>&1 &
        CONTAINERD_PID=$!
        local i
        for i in $(seq 1 200); do
                [ -S "$C/sock" ] && timeout 10 ctr --address "$C/sock" version >/dev/null 2>&1 && return 0
                kill -0 "$CONTAINERD_PID" 2>/dev/null || break
                sleep 0.05
        done
        echo "containerd did not start:" >&2
        cat "$C/containerd.log" >&2
        return 1
}

stop_containerd() {
        kill -TERM "$CONTAINERD_PID" 2>/dev/null || true
        timeout 20 tail --pid="$CONTAINERD_PID" -f /dev/null 2>/dev/null || kill -KILL "$CONTAINERD_PID" 2>/dev/null || true
        wait "$CONTAINERD_PID" 2>/dev/null || true
        CONTAINERD_PID=
}

ctrc() {
        timeout -k 10 120 ctr --address "$C/sock" --namespace "$NS" "$@"
}

# build_oci_archive TAR NAME: an OCI image layout in a tar (what `podman
# save --format oci-archive` writes): a busybox-static layer, its config and
# manifest, and an index naming it NAME for containerd.
build_oci_archive() {
        local tar=$1 name=$2 r=$T/oci-rootfs o=$T/oci a
        mkdir -p "$r/bin" "$r/tmp" "$r/proc" "$r/dev" "$r/sys" "$r/etc" "$o/blobs/sha256"
        cp /bin/busybox "$r/bin/busybox"
        for a in $(/bin/busybox --list); do
                [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
        done
        tar --sort=name --owner=0 --group=0 --numeric-owner -C "$r" -cf "$T/layer.tar" .
        local layer layer_size config config_size manifest manifest_size
        layer=$(sha256sum "$T/layer.tar" | cut -d' ' -f1)
        layer_size=$(stat -c %s "$T/layer.tar")
        mv "$T/layer.tar" "$o/blobs/sha256/$layer"

        jq -cn --arg l "sha256:$layer" '{architecture: "amd64", os: "linux",
                config: {Env: ["PATH=/bin"], Cmd: ["/bin/sh"]},
                rootfs: {type: "layers", diff_ids: [$l]}}' >"$T/config.json"
        config=$(sha256sum "$T/config.json" | cut -d' ' -f1)
        config_size=$(stat -c %s "$T/config.json")
        mv "$T/config.json" "$o/blobs/sha256/$config"

        jq -cn --arg c "sha256:$config" --argjson cs "$config_size" --arg l "sha256:$layer" --argjson ls "$layer_size" '
                {schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
                 config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
                 layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' >"$T/manifest.json"
        manifest=$(sha256sum "$T/manifest.json" | cut -d' ' -f1)
        manifest_size=$(stat -c %s "$T/manifest.json")
        mv "$T/manifest.json" "$o/blobs/sha256/$manifest"

        jq -cn --arg m "sha256:$manifest" --argjson ms "$manifest_size" --arg n "$name" '
                {schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
                 digest: $m, size: $ms, platform: {architecture: "amd64", os: "linux"},
                 annotations: {"io.containerd.image.name": $n, "org.opencontainers.image.ref.name": "latest"}}]}' >"$o/index.json"
        echo '{"imageLayoutVersion":"1.0.0"}' >"$o/oci-layout"
        tar -C "$o" -cf "$tar" .
}

# ctr_run ID MODE COMMAND: `ctr run --rm` through the wrapper, foreground.
ctr_run() {
        local id=$1 mode=$2 cmd=$3
        CTR_IDS+=("$id")
        run ctrc run --rm --runc-binary "$T/bin/oci-seccomp-learn-runc" \
                ${mode:+--annotation "io.seccomp-learn.mode=$mode"} \
                --annotation "io.seccomp-learn.image=$IMAGE" \
                "$IMAGE:latest" "$id" sh -c "$cmd"
        echo "$output"
}

show_logs() {
        echo "--- hooks.log"
        cat "$RUN/hooks.log" 2>/dev/null || true
        echo "--- agent.log"
        cat "$T/agent.log" 2>/dev/null || true
        echo "--- containerd.log (warnings and errors)"
        grep -E 'level=(warning|error)' "$C/containerd.log" | tail -20 || true
}

WORKLOAD='echo hi; ls / >/dev/null; cat /proc/self/status >/dev/null'

learn() {
        ctr_run "$1" learn "$WORKLOAD"
        show_logs
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]
}

@test "containerd: ctr run with the runtime wrapper learns into the store" {
        start_agent
        learn learn1
        run osl profile show "$IMAGE" --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.version == 1 and .history[0].containerId == "learn1"'
        app=$(profile_syscalls "$IMAGE" application)
        for s in execve openat getdents64 read exit_group write; do
                echo "$app" | grep -qx "$s" || { echo "missing $s in: $app"; false; }
        done
        # The hooks the wrapper added ran with the store and run dir that
        # reached it through containerd's environment.
        grep -q "poststop: container learn1: image $IMAGE: version 1" "$RUN/hooks.log"
        [ -z "$(ctrc containers list -q)" ]
}

@test "containerd: enforce allows what was learned and refuses the rest with EPERM" {
        start_agent
        learn learn2
        ctr_run enforce1 enforce "$WORKLOAD"
        show_logs
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]

        ctr_run enforce2 enforce 'echo hi; mkdir /tmp/new'
        [ "$status" -ne 0 ]
        [[ "$output" == *hi* ]]
        [[ "$output" == *"Operation not permitted"* ]]
        [ "$(osl profile show "$IMAGE" --json | jq .version)" -eq 1 ]
}

@test "containerd: enforce without a learned profile does not start the container" {
        ctr_run noprofile enforce 'echo ran'
        [ "$status" -ne 0 ]
        [[ "$output" != *ran* ]]
}

@test "containerd: without the annotation the wrapper passes everything through" {
        start_agent
        ctr_run plain "" 'mkdir /tmp/d && echo plain'
        [ "$status" -eq 0 ]
        [[ "$output" == *plain* ]]
        [ ! -e "$RUN/hooks.log" ]
        [ ! -e "$STORE/images" ] || [ -z "$(ls -A "$STORE/images")" ]
}

@test "containerd: the shipped config fragment loads and names the wrapper" {
        run timeout 30 containerd --config "$BATS_TEST_DIRNAME/../../contrib/containerd/config.toml" config dump
        [ "$status" -eq 0 ]
        [[ "$output" == *'BinaryName = "/usr/bin/oci-seccomp-learn-runc"'* ]]
        # Only the annotations a pod's author may set; never io.seccomp-learn.image.
        [[ "$output" == *'pod_annotations = ["io.seccomp-learn.mode", "io.seccomp-learn.version", "io.seccomp-learn.keep-capabilities"]'* ]]
        [[ "$output" != *'io.seccomp-learn.image'* ]]
        [[ "$output" != *'io.seccomp-learn.*'* ]]
}
