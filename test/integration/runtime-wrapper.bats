#!/usr/bin/env bats
# The OCI runtime wrapper: learns on create/run, passes everything else
# through to runc unchanged.

load helpers

setup() {
        osl_setup
        # Engines point at the wrapper by this name (argv[0] picks the mode).
        ln -s "$OSL_BIN" "$T/oci-seccomp-learn-runc"
        export OCI_SECCOMP_LEARN_STORE=$STORE OCI_SECCOMP_LEARN_RUNDIR=$RUN
}
teardown() { osl_teardown; }

wrapper() { "$T/oci-seccomp-learn-runc" "$@"; }

@test "runtime wrapper: --version and features pass through unchanged" {
        [ "$(wrapper --version)" = "$(runc --version)" ]
        [ "$(osl runtime --version)" = "$(runc --version)" ]
        [ "$(wrapper features)" = "$(runc features)" ]
}

@test "runtime wrapper: create learns; state, start, kill and delete pass through" {
        start_agent
        make_bundle "$T/b" busybox '["/bin/sh","-c","echo wrapped; sleep 30"]' localhost/wrapped
        set_annotation "$T/b" io.seccomp-learn.mode learn
        CONTAINERS+=(w1)
        (cd "$T/b" && timeout 30 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" create w1 </dev/null >"$T/create.out" 2>&1)
        cat "$T/create.out"
        grep -q "learn mode for image localhost/wrapped" "$T/create.out"
        jq -e '.linux.seccomp.listenerPath | endswith("agent.sock")' "$T/b/config.json"
        jq -e '.hooks.poststop[0].args[-1] == "poststop"' "$T/b/config.json"

        [ "$(wrapper --root "$RUNC_ROOT" state w1 | jq -r .status)" = created ]
        diff <(wrapper --root "$RUNC_ROOT" state w1 | jq -S 'del(.created)') <(runc --root "$RUNC_ROOT" state w1 | jq -S 'del(.created)')
        wrapper --root "$RUNC_ROOT" start w1
        [ "$(runc --root "$RUNC_ROOT" state w1 | jq -r .status)" = running ]
        wrapper --root "$RUNC_ROOT" kill w1 KILL
        for i in $(seq 1 100); do
                [ "$(runc --root "$RUNC_ROOT" state w1 | jq -r .status)" = stopped ] && break
                sleep 0.1
        done
        timeout 30 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" delete w1
        run runc --root "$RUNC_ROOT" state w1
        [ "$status" -ne 0 ]
        # The poststop hook merged what the agent saw.
        run osl profile show localhost/wrapped --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '[.syscalls[].name] | index("execve")'
}

@test "runtime wrapper: a container without a mode is passed through untouched" {
        make_bundle "$T/b" busybox '["/bin/true"]'
        cp "$T/b/config.json" "$T/orig.json"
        CONTAINERS+=(plain)
        run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/b" plain
        [ "$status" -eq 0 ]
        cmp "$T/orig.json" "$T/b/config.json"
}

@test "runtime wrapper: --runtime names the real runtime; a missing one is a clear error" {
        run -127 "$OSL_BIN" runtime --runtime /nonexistent/runc --version
        [ "$status" -eq 127 ]
        [[ "$output" == *"cannot run /nonexistent/runc"* ]]
}
