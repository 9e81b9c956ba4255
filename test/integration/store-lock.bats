#!/usr/bin/env bats
# An image's lock held for ever (flock(1) as root, in the background) stalls
# no container: the poststop hook gives up within its hook timeout, the
# container's `runc run` succeeds, and the observation waits in RUN/pending/
# until the next poststop, of any image, merges it.

load helpers

setup() {
        osl_setup
        command -v flock >/dev/null && command -v setsid >/dev/null || skip "needs flock and setsid (util-linux)"
        HOLDER=
}
teardown() {
        [ -n "${HOLDER:-}" ] && kill -KILL -- "-$HOLDER" 2>/dev/null
        osl_teardown
}

learn_bundle() { # dir image args
        make_bundle "$1" busybox "$3" "$2"
        jq '.root.readonly = false' "$1/config.json" >"$1/c" && mv "$1/c" "$1/config.json"
        set_annotation "$1" io.seccomp-learn.mode learn
        osl inject "$1"
}

@test "store lock: a held lock makes poststop give up in time; the next poststop merges the kept observation" {
        start_agent
        learn_bundle "$T/a1" localhost/locked '["/bin/sh","-c","echo first"]'
        run_container "$T/a1" locked1
        [ "$status" -eq 0 ]
        lock="$STORE/images/localhost%2Flocked/lock"
        [ -f "$lock" ]
        ! profile_syscalls localhost/locked | grep -qx rmdir

        setsid flock "$lock" sleep 600 &
        HOLDER=$!
        for i in $(seq 100); do flock -n "$lock" true || break; sleep 0.05; done
        ! flock -n "$lock" true

        learn_bundle "$T/a2" localhost/locked '["/bin/sh","-c","rmdir /tmp; echo second"]'
        run_container "$T/a2" locked2
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *second* ]]
        [[ "$output" != *"hook ran past specified timeout"* ]]
        grep "container locked2" "$RUN/hooks.log"
        grep -q "poststop: container locked2: cannot lock $lock: another process still holds it after 10 s; gave up (observation kept in $RUN/pending/locked2-[0-9a-f]*@" "$RUN/hooks.log"
        [ "$(ls "$RUN/pending" | wc -l)" -eq 1 ]
        ! profile_syscalls localhost/locked | grep -qx rmdir

        kill -KILL -- "-$HOLDER"
        HOLDER=
        learn_bundle "$T/b" localhost/other '["/bin/sh","-c","echo other"]'
        run_container "$T/b" other1
        [ "$status" -eq 0 ]
        grep "pending" "$RUN/hooks.log"
        grep -q "poststop: pending $RUN/pending/locked2-[0-9a-f]*@.*: merged into localhost/locked (version 2" "$RUN/hooks.log"
        [ -z "$(ls "$RUN/pending")" ]
        profile_syscalls localhost/locked application | grep -qx rmdir
        run osl profile show localhost/locked --json
        echo "$output" | jq -e '.history[-1].containerId == "locked2"'
}
