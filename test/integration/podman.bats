#!/usr/bin/env bats
# podman end to end, as a user would run it: our hooks.d files (precreate,
# prestart, poststop, made from contrib/hooks.d), a real agent, runc. podman
# gets a private storage, run root and tmp dir, and no network, so the
# host's podman is not touched. podman puts no image name into the config:
# the image is found from podman's storage (root.path's layer at precreate,
# the bundle at prestart).

load helpers

# The runtime, cgroup manager and ulimits are what this machine's podman
# needs (doc/engines.md says why); no network keeps the host's untouched.
# OSL_PODMAN_RUNTIME=crun runs every test with crun instead of runc, through
# make_crun's wrapper (helpers.bash).
RUN_FLAGS=(--rm --network none --ulimit nofile=1024:4096 --ulimit nproc=4096:4096)

setup_file() {
        export PROBE="$BATS_FILE_TMPDIR/probe"
        gcc -static -O2 -o "$PROBE" "$BATS_TEST_DIRNAME/probe.c"
}

setup() {
        osl_setup
        command -v podman >/dev/null || skip "podman is not installed"
        [ -x /bin/busybox ] || skip "busybox-static is not installed"
        case ${OSL_PODMAN_RUNTIME:-runc} in
        runc) PODMAN_FLAGS=(--runtime runc --cgroup-manager=cgroupfs) ;;
        crun)
                command -v crun >/dev/null || skip "crun is not installed"
                make_crun "$T/bin"
                PODMAN_FLAGS=(--runtime "$T/bin/crun" --cgroup-manager=cgroupfs)
                ;;
        *) echo "OSL_PODMAN_RUNTIME: runc or crun, not $OSL_PODMAN_RUNTIME" >&2; return 1 ;;
        esac
        P=$T/podman
        HOOKS=$T/hooks.d
        IMAGE=localhost/osl-it-podman-$$-$RANDOM
        mkdir -p "$P/root" "$P/runroot" "$P/tmp" "$HOOKS"
        make_hooks_dir
        import_busybox_image "$IMAGE"
}

teardown() {
        if [ -n "${P:-}" ] && [ -d "$P/root" ]; then
                pod rm -f -a >/dev/null 2>&1 || true
                pod rmi -a -f >/dev/null 2>&1 || true
                # What a failed run may have left mounted in the private storage.
                local m
                for m in $(awk -v p="$P/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r); do
                        umount -l "$m" 2>/dev/null || true
                done
        fi
        osl_teardown
}

# podman on the private storage, with our hooks dir and a timeout.
pod() {
        timeout -k 10 120 podman --root "$P/root" --runroot "$P/runroot" --tmpdir "$P/tmp" \
                --events-backend none --hooks-dir "$HOOKS" "${PODMAN_FLAGS[@]}" "$@"
}

# The shipped hooks.d files, pointing at the binary under test, with the
# private store and run dir as arguments: podman runs hooks with an empty
# environment, so the hooks get them on the command line.
make_hooks_dir() {
        local stage src="$BATS_TEST_DIRNAME/../../contrib/hooks.d"
        for stage in precreate prestart poststop; do
                sed "s|@BINDIR@|$(dirname "$OSL_HOOK_BIN")|" "$src/oci-seccomp-learn-$stage.json.in" |
                        jq --arg s "$STORE" --arg r "$RUN" \
                                '.hook.args = [.hook.args[0], "--store", $s, "--run-dir", $r] + .hook.args[1:]' \
                                >"$HOOKS/oci-seccomp-learn-$stage.json"
        done
}

# A busybox-static root file system as a podman image.
import_busybox_image() {
        local r=$T/image-rootfs a
        mkdir -p "$r/bin" "$r/tmp" "$r/proc" "$r/dev" "$r/sys" "$r/etc"
        cp /bin/busybox "$r/bin/busybox"
        cp "$PROBE" "$r/bin/probe"
        for a in $(/bin/busybox --list); do
                [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
        done
        tar -C "$r" -cf "$T/rootfs.tar" .
        pod import --change 'ENV PATH=/bin' "$T/rootfs.tar" "$1" >/dev/null 2>"$T/import.log" ||
                { cat "$T/import.log"; return 1; }
}

# The hooks' log, for failures.
show_logs() {
        echo "--- hooks.log"
        cat "$RUN/hooks.log" 2>/dev/null || true
        echo "--- agent.log"
        cat "$T/agent.log" 2>/dev/null || true
}

WORKLOAD='echo hi; ls / >/dev/null; cat /proc/self/status >/dev/null'

learn() {
        run pod run "${RUN_FLAGS[@]}" --annotation io.seccomp-learn.mode=learn "$IMAGE" sh -c "$WORKLOAD"
        echo "$output"
        show_logs
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]
}

@test "podman: learn through hooks.d; the image is found in podman's storage" {
        start_agent
        # The runtime podman runs is the one asked for.
        [[ "$(pod info --format '{{.Host.OCIRuntime.Version}}')" == "${OSL_PODMAN_RUNTIME:-runc} version"* ]]
        learn
        run osl profile show "$IMAGE" --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.version == 1'
        # The name podman ran, the digest of podman's image.
        digest=$(pod image inspect --format '{{.Digest}}' "$IMAGE")
        echo "$output" | jq -e --arg d "$digest" '.history[0].imageDigest == $d and .history[0].imageTag == "latest"'
        app=$(profile_syscalls "$IMAGE" application)
        for s in execve openat getdents64 read exit_group write; do
                echo "$app" | grep -qx "$s" || { echo "missing $s in: $app"; false; }
        done
        # prestart registered it and poststop merged it, from hooks.d.
        grep -q "poststop: container [0-9a-f]*: image $IMAGE: version 1" "$RUN/hooks.log"
        # podman removed the container (--rm); nothing is left registered.
        [ -z "$(pod ps -a -q)" ]
        [ -z "$(ls -A "$RUN/containers" 2>/dev/null)" ]
}

@test "podman: enforce allows what was learned and refuses the rest with EPERM" {
        start_agent
        learn
        run pod run "${RUN_FLAGS[@]}" --annotation io.seccomp-learn.mode=enforce "$IMAGE" sh -c "$WORKLOAD"
        echo "$output"
        show_logs
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]

        # mkdir was never learned.
        run pod run "${RUN_FLAGS[@]}" --annotation io.seccomp-learn.mode=enforce "$IMAGE" sh -c 'echo hi; mkdir /tmp/new'
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *hi* ]]
        [[ "$output" == *"Operation not permitted"* ]]
        # Enforcing does not change the profile.
        [ "$(osl profile show "$IMAGE" --json | jq .version)" -eq 1 ]
}

@test "podman: enforce without a learned profile refuses to start the container" {
        run pod run "${RUN_FLAGS[@]}" --annotation io.seccomp-learn.mode=enforce "$IMAGE" sh -c 'echo ran'
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" != *ran* ]]
        # podman shows the hook's exit status, not its stderr.
        [[ "$output" == *"precreate hook"*"exit status"* ]]
}

@test "podman: with the agent down a learn-mode container still runs" {
        run pod run "${RUN_FLAGS[@]}" --annotation io.seccomp-learn.mode=learn "$IMAGE" sh -c 'echo still here'
        echo "$output"
        show_logs
        [ "$status" -eq 0 ]
        [[ "$output" == *"still here"* ]]
        run osl profile show "$IMAGE"
        [ "$status" -eq 3 ]
        grep -q "learn mode but its config has no learning filter" "$RUN/hooks.log"
}

@test "podman: without the annotation our hooks stay out of the way" {
        start_agent
        run pod run "${RUN_FLAGS[@]}" "$IMAGE" sh -c 'mkdir /tmp/d && echo plain'
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *plain* ]]
        [ ! -e "$RUN/hooks.log" ]
        [ -z "$(pod ps -a -q)" ]
        run osl profile list
        [[ "$output" != *"$IMAGE"* ]]
}

@test "podman: the profile travels as the image label io.containers.seccomp.profile (--seccomp-policy=image)" {
        command -v buildah >/dev/null || skip "buildah is not installed"
        start_agent
        learn
        label=$(osl profile export "$IMAGE" --format podman-label)
        [ "$(echo "$label" | wc -l)" -eq 1 ]
        # buildah writes the label into a new image in the same private storage.
        b() { timeout -k 10 120 buildah --root "$P/root" --runroot "$P/runroot" "$@"; }
        ctr=$(b from --pull-never "$IMAGE")
        b config --label "io.containers.seccomp.profile=$label" "$ctr"
        b commit -q "$ctr" "$IMAGE-labeled" >/dev/null
        b rm "$ctr" >/dev/null
        pod image inspect --format '{{index .Labels "io.containers.seccomp.profile"}}' "$IMAGE-labeled" | jq -e '.defaultAction == "SCMP_ACT_ERRNO"'

        # No annotation: our hooks stay out; podman enforces the label itself.
        run pod run "${RUN_FLAGS[@]}" --seccomp-policy=image "$IMAGE-labeled" sh -c "$WORKLOAD"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]
        run pod run "${RUN_FLAGS[@]}" --seccomp-policy=image "$IMAGE-labeled" sh -c 'echo hi; mkdir /tmp/new'
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Operation not permitted"* ]]
        # Without --seccomp-policy=image podman uses its default profile: mkdir works.
        run pod run "${RUN_FLAGS[@]}" "$IMAGE-labeled" sh -c 'mkdir /tmp/new && echo made'
        [[ "$output" == *made* ]]
}

@test "podman: enforce within containers-common's default profile: the workload runs, every call the default denies stays denied as it was" {
        start_agent
        # The learning run also makes the probe's own calls (fork, pipe, wait).
        run pod run "${RUN_FLAGS[@]}" --annotation io.seccomp-learn.mode=learn "$IMAGE" sh -c "$WORKLOAD; probe scan 39 39"
        echo "$output"
        [ "$status" -eq 0 ]
        # Every syscall number, every argument -1: without us (podman's
        # default profile) and in enforce.
        run pod run "${RUN_FLAGS[@]}" "$IMAGE" probe scan 0 460
        [ "$status" -eq 0 ]
        echo "$output" >"$T/default.txt"
        run pod run "${RUN_FLAGS[@]}" --annotation io.seccomp-learn.mode=enforce "$IMAGE" probe scan 0 460
        show_logs
        [ "$status" -eq 0 ]
        echo "$output" >"$T/enforce.txt"
        [ "$(wc -l <"$T/default.txt")" -eq 461 ]
        [ "$(wc -l <"$T/enforce.txt")" -eq 461 ]
        # Where the default answered EPERM (its deny rules) or ENOSYS (its
        # default action, or a syscall this kernel lacks), enforce denies too:
        # EPERM stays EPERM; ENOSYS stays ENOSYS, or is EPERM where the
        # default let an unlearned call through to a kernel without it.
        join "$T/default.txt" "$T/enforce.txt" | awk '
                $2 == 1 || $2 == 38 { denied++; if ($3 != $2 && !($2 == 38 && $3 == 1)) { print "syscall " $1 ": default " $2 ", enforce " $3; bad++ } }
                $2 == 38 && $3 == 38 { same++ }
                $2 != 1 && $2 != 38 && ($3 == 1 || $3 == 38) { narrowed++ }
                END { printf "denied by the default: %d, still denied: %d (%d with ENOSYS as before), newly denied by enforce: %d\n", denied, denied - bad, same, narrowed
                      exit bad > 0 || denied < 50 || same < 50 || narrowed < 50 }'
        # mkdir (83) ran under the default (EFAULT on a bad pointer) and was never learned.
        grep -qx "83 14" "$T/default.txt"
        grep -qx "83 1" "$T/enforce.txt"
        # And the learned workload still runs.
        run pod run "${RUN_FLAGS[@]}" --annotation io.seccomp-learn.mode=enforce "$IMAGE" sh -c "$WORKLOAD"
        [ "$status" -eq 0 ]
        [[ "$output" == *hi* ]]
}
