#!/usr/bin/env bats
# The OCI runtime wrapper: learns on create/run, passes everything else
# through to runc unchanged.

load helpers

setup() {
        osl_setup
        # Engines point at the wrapper by this name (argv[0] picks the mode).
        ln -s "$OSL_HOOK_BIN" "$T/oci-seccomp-learn-runc"
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
        # Nothing of ours on the runtime's output; the report is in our log.
        [ ! -s "$T/create.out" ]
        grep -q "learn mode for image localhost/wrapped" "$RUN/hooks.log"
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

@test "runtime wrapper: help passes through without a bundle, as runc prints it" {
        mkdir -p "$T/empty"
        cd "$T/empty"
        for args in "run -h" "create --help" "run --help"; do
                diff <(runc $args 2>&1) <(wrapper $args 2>&1)
        done
        [ ! -e "$T/empty/config.json" ]
}

@test "runtime wrapper: a successful run prints nothing of ours; the report goes to runc's --log in its format" {
        start_agent
        make_bundle "$T/b" busybox '["/bin/echo","only this"]' localhost/quiet
        set_annotation "$T/b" io.seccomp-learn.mode learn
        for fmt in json text; do
                CONTAINERS+=("quiet-$fmt")
                run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" --log "$T/runc-$fmt.log" \
                        --log-format "$fmt" run --bundle "$T/b" "quiet-$fmt"
                [ "$status" -eq 0 ]
                [ "$output" = "only this" ]
        done
        jq -e 'select(.msg | test("learn mode for image localhost/quiet")) | .level == "info" and (.time | length > 0)' "$T/runc-json.log"
        grep -E '^time="[^"]+" level=info msg="oci-seccomp-learn runtime: .*learn mode for image localhost/quiet' "$T/runc-text.log"
        grep -q "learn mode for image localhost/quiet" "$RUN/hooks.log"
}

@test "runtime wrapper: a bundle run twice learns twice (the first run's filter is recognised as ours)" {
        start_agent
        make_bundle "$T/b" busybox '["/bin/sh","-c","echo twice"]' localhost/twice
        set_annotation "$T/b" io.seccomp-learn.mode learn
        cp "$T/b/config.json" "$T/orig.json"
        for i in 1 2; do
                CONTAINERS+=("twice-$i")
                run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/b" "twice-$i"
                [ "$status" -eq 0 ]
                [ "$output" = twice ]
        done
        [ "$(grep -c "learn mode for image localhost/twice" "$RUN/hooks.log")" -eq 2 ]
        ! grep -q "already hands notifications" "$RUN/hooks.log"
        # Mode off: the bundle gets its own config back, byte for byte.
        run osl inject --mode off "$T/b"
        [ "$status" -eq 0 ]
        cmp "$T/orig.json" "$T/b/config.json"
        [ ! -e "$T/b/.oci-seccomp-learn.json" ]
}

# with_raw_env BUNDLE MODE: config.json with an env value that is not UTF-8.
with_raw_env() {
        python3 -c '
import sys
t = open(sys.argv[1], "rb").read()
t = t.replace(b"\"env\": [", b"\"env\": [\"X=a\xffb\xfe\", ", 1)
t = t.replace(b"\"annotations\": {", b"\"annotations\": {\"io.seccomp-learn.mode\": \"" + sys.argv[3].encode() + b"\", ", 1)
open(sys.argv[2], "wb").write(t)' "$1/config.base" "$1/config.json" "$2"
}

@test "runtime wrapper: a config runc accepts with bytes that are not UTF-8 runs as under runc, in mode off and learn" {
        start_agent
        make_bundle "$T/b" busybox '["/bin/sh","-c","echo \"[$X]\""]' localhost/utf
        mv "$T/b/config.json" "$T/b/config.base"
        with_raw_env "$T/b" off
        grep -qa $'X=a\xffb\xfe' "$T/b/config.json"
        cp "$T/b/config.json" "$T/orig.json"
        CONTAINERS+=(utf-runc utf-off utf-learn)
        run timeout 60 runc --root "$RUNC_ROOT" run --bundle "$T/b" utf-runc
        [ "$status" -eq 0 ]
        expected=$output
        run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/b" utf-off
        [ "$status" -eq 0 ]
        [ "$output" = "$expected" ]
        cmp "$T/orig.json" "$T/b/config.json"

        with_raw_env "$T/b" learn
        run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/b" utf-learn
        [ "$status" -eq 0 ]
        [ "$output" = "$expected" ]
        grep -q "learn mode for image localhost/utf" "$RUN/hooks.log"
        # The bytes are written back as they were; runc replaces them itself.
        grep -qa $'X=a\xffb\xfe' "$T/b/config.json"
}

@test "runtime wrapper: with enforce as the default, a config that cannot be read stops the container" {
        mkdir -p "$T/none"
        run env OCI_SECCOMP_LEARN_DEFAULT_MODE=enforce timeout 30 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/none" x
        [ "$status" -eq 1 ]
        [[ "$output" == *"oci-seccomp-learn runtime: cannot open $T/none/config.json"* ]]
        # With the default off, runc says what is wrong itself.
        run timeout 30 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/none" x
        [ "$status" -ne 0 ]
        [[ "$output" != *"oci-seccomp-learn"* ]]
}

@test "runtime wrapper: OCI_SECCOMP_LEARN_DEFAULT_IMAGE names the image only when nothing else does" {
        start_agent
        export OCI_SECCOMP_LEARN_DEFAULT_MODE=learn OCI_SECCOMP_LEARN_DEFAULT_IMAGE=localhost/fallback:1
        # No annotation at all (runc's own tests, Docker without a data root):
        # learned into the default image, which the config now names for
        # the hooks and the agent.
        make_bundle "$T/b" busybox '["/bin/sh","-c","ls / >/dev/null && echo made"]'
        CONTAINERS+=(dflt)
        run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/b" dflt
        [ "$status" -eq 0 ]
        [ "$output" = made ]
        jq -e '.annotations["io.seccomp-learn.image"] == "localhost/fallback:1"' "$T/b/config.json"
        run osl profile show localhost/fallback --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '[.syscalls[].name] | index("getdents64")'
        # The annotation wins over the default.
        make_bundle "$T/a" busybox '["/bin/true"]' localhost/named
        CONTAINERS+=(named)
        run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/a" named
        [ "$status" -eq 0 ]
        grep -q "learn mode for image localhost/named" "$RUN/hooks.log"
        ! grep -q "learn mode for image localhost/fallback.*$T/a" "$RUN/hooks.log"
        # A default that is no image reference: learning is off, the container runs.
        make_bundle "$T/c" busybox '["/bin/echo","ran"]'
        CONTAINERS+=(bad)
        OCI_SECCOMP_LEARN_DEFAULT_IMAGE='Not An Image' run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/c" bad
        [ "$status" -eq 0 ]
        [ "$output" = ran ]
        grep -q "learning is off for this container: the default image" "$RUN/hooks.log"
}

@test "runtime wrapper: a rewritten bundle edited since (runc's own tests do) gets our filter replaced, not refused" {
        start_agent
        make_bundle "$T/b" busybox '["/bin/echo","first"]' localhost/edited
        set_annotation "$T/b" io.seccomp-learn.mode learn
        own='{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}'
        jq --argjson s "$own" '.linux.seccomp = $s' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
        CONTAINERS+=(ed1 ed2 ed3)
        run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/b" ed1
        [ "$status" -eq 0 ]
        # Edited after our rewrite: the digest no longer matches.
        jq '.process.args = ["/bin/echo","second"]' "$T/b/config.json" >"$T/c" && mv "$T/c" "$T/b/config.json"
        run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/b" ed2
        [ "$status" -eq 0 ]
        [ "$output" = second ]
        [ "$(grep -c "learn mode for image localhost/edited" "$RUN/hooks.log")" -eq 2 ]
        ! grep -q "already hands notifications" "$RUN/hooks.log"
        jq -e '.linux.seccomp.listenerPath | endswith("agent.sock")' "$T/b/config.json"
        # Edited to mode off: the container's own profile again, with the edit.
        jq '.annotations["io.seccomp-learn.mode"] = "off" | .process.args = ["/bin/echo","third"]' "$T/b/config.json" >"$T/c"
        mv "$T/c" "$T/b/config.json"
        run timeout 60 "$T/oci-seccomp-learn-runc" --root "$RUNC_ROOT" run --bundle "$T/b" ed3
        [ "$status" -eq 0 ]
        [ "$output" = third ]
        diff <(jq -S .linux.seccomp "$T/b/config.json") <(echo "$own" | jq -S .)
        [ ! -e "$T/b/.oci-seccomp-learn.json" ]
}
