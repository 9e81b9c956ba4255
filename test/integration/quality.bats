#!/usr/bin/env bats
# Profiles that hold up beyond the training run (issue 9, doc/profiles.md):
# implied exits and syscall families, tried with real runc containers and a
# static probe (probe.c) that says what the kernel answered.

load helpers

setup_file() { build_probe; }

setup() { osl_setup; }
teardown() { osl_teardown; }

# probe_bundle DIR IMAGE ARGS...: busybox and the probe; the container's
# command is /bin/probe ARGS. config.pristine keeps the config before any mode.
probe_bundle() {
        local dir=$1 image=$2
        shift 2
        make_bundle "$dir" busybox "$(jq -cn '["/bin/probe"] + $ARGS.positional' --args "$@")" "$image"
        cp "$PROBE" "$dir/rootfs/bin/probe"
        cp "$dir/config.json" "$dir/config.pristine"
}

# mode_config DIR MODE [GENERALIZE] [ARGS...]: a fresh config for MODE, then
# inject.
mode_config() {
        local dir=$1 mode=$2 generalize=${3:-}
        shift 3 || shift $#
        jq --arg m "$mode" --arg g "$generalize" --args '
                .annotations["io.seccomp-learn.mode"] = $m
                | if $g != "" then .annotations["io.seccomp-learn.generalize"] = $g else . end
                | if ($ARGS.positional | length) > 0 then .process.args = ["/bin/probe"] + $ARGS.positional else . end' \
                "$@" <"$dir/config.pristine" >"$dir/config.json"
        osl inject "$dir"
}

# serve_until BUNDLE ID SIGNAL: runs the container (`runc run`, in the
# background of this shell) and sends SIGNAL once the probe says "ready";
# the container's exit status in $status, its output in $output.
serve_until() {
        local dir=$1 id=$2 signal=$3 pid i
        CONTAINERS+=("$id")
        timeout -k 10 60 runc --root "$RUNC_ROOT" run --bundle "$dir" "$id" </dev/null >"$T/$id.out" 2>&1 &
        pid=$!
        for i in $(seq 1 100); do
                grep -q '^ready$' "$T/$id.out" && break
                sleep 0.1
        done
        grep -q '^ready$' "$T/$id.out"
        timeout 20 runc --root "$RUNC_ROOT" kill "$id" "$signal"
        status=0
        wait "$pid" || status=$?
        output=$(cat "$T/$id.out")
        timeout 20 runc --root "$RUNC_ROOT" delete -f "$id" 2>/dev/null || true
}

@test "implied exits: a service learned by a run killed with SIGKILL still exits cleanly on SIGTERM under enforce" {
        start_agent
        probe_bundle "$T/b" localhost/killed serve
        mode_config "$T/b" learn
        # The learning run: up, then SIGKILL. The probe never reaches exit.
        serve_until "$T/b" learn-killed KILL
        echo "learning run: status $status: $output"
        [ "$status" -eq 137 ]
        for i in $(seq 1 100); do
                osl profile show localhost/killed --json >/dev/null 2>&1 && break
                sleep 0.1
        done
        # Seen: the handler's installation; never called: the exits (in the
        # profile only as implied entries, count 0).
        osl profile show localhost/killed --json | jq -c '.syscalls[] | [.name, .count]'
        osl profile show localhost/killed --json | jq -e '[.syscalls[] | select(.name == "rt_sigaction") | .count] == [1]'
        osl profile show localhost/killed --json | jq -e '[.syscalls[] | select(.name | IN("exit", "exit_group")) | .count] == [0, 0]'

        for generalize in families none; do
                mode_config "$T/b" enforce "$generalize"
                jq -e '[.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | index("exit_group")' "$T/b/config.json"
                serve_until "$T/b" "stop-$generalize" TERM
                echo "enforce, --generalize $generalize: status $status: $output"
                [ "$status" -eq 0 ]
        done

        # The same profile without the implied exits (what it was before):
        # glibc's _exit finds exit_group and exit refused and faults.
        mode_config "$T/b" enforce none
        jq '.linux.seccomp.syscalls |= map(.names -= ["exit", "exit_group"])' "$T/b/config.json" >"$T/b/config.json.new"
        mv "$T/b/config.json.new" "$T/b/config.json"
        serve_until "$T/b" stop-without-exits TERM
        echo "without the implied exits: status $status: $output"
        [ "$status" -eq 139 ]
}

@test "family write: learned write, enforce allows writev with --generalize families and refuses it with none" {
        start_agent
        probe_bundle "$T/b" localhost/writer write
        mode_config "$T/b" learn
        run_container "$T/b" learn-write
        echo "learning run: $output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"write: ok"* ]]
        observed=$(profile_syscalls localhost/writer)
        echo "learned: $observed"
        [[ "$observed" == *write* ]]
        [ -z "$(echo "$observed" | grep -x writev)" ]

        mode_config "$T/b" enforce families writev
        run_container "$T/b" writev-families
        echo "families: $output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"written by writev"* ]]
        [[ "$output" == *"writev: ok"* ]]

        mode_config "$T/b" enforce none writev
        run_container "$T/b" writev-none
        echo "none: $output"
        [ "$status" -eq 0 ]
        [[ "$output" != *"written by writev"* ]]
        [[ "$output" == *"writev: errno 1 (Operation not permitted)"* ]]
}
