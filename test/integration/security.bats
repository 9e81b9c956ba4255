#!/usr/bin/env bats
# Enforce is never weaker than what the container had without us, tried as
# an attacker would (doc/security.md): configs that runc reads differently
# from us, the container's own seccomp profile, and image keys chosen by
# whoever writes annotations. A static probe (probe.c) makes the calls and
# prints what the kernel answered.

load helpers

setup_file() { build_probe; }

setup() { osl_setup; }
teardown() { osl_teardown; }

WORKLOAD='probe clone-newuser; echo hello; ls / >/dev/null'

# probe_bundle DIR IMAGE [jq-filter]: busybox, the probe, a writable rootfs;
# config.pristine keeps the config before any mode is applied.
probe_bundle() {
        make_bundle "$1" busybox "$(jq -cn --arg c "$WORKLOAD" '["/bin/sh","-c",$c]')" "$2"
        cp "$PROBE" "$1/rootfs/bin/probe"
        jq '.root.readonly = false'"${3:+ | $3}" "$1/config.json" >"$1/config.pristine"
        cp "$1/config.pristine" "$1/config.json"
}

learn_with_mode() { # bundle id
        with_mode "$1" learn "$WORKLOAD"
        run osl inject "$1"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"learn mode for image"* ]]
        run_container "$1" "$2"
        echo "$output"
        [ "$status" -eq 0 ]
}

# ambiguous FILE VARIANT: rewrites the config's JSON text so that runc (Go's
# encoding/json: the last duplicate wins, keys match in any case) reads
# something other than the first, exact key.
ambiguous() {
        python3 - "$1" "$2" <<'EOF'
import json, sys
path, variant = sys.argv[1], sys.argv[2]
text = json.dumps(json.load(open(path)))
edits = {
    "seccomp-null-after": ('"linux": {', '"linux": {"seccomp": null, "SECCOMP": null, '),
    "seccomp-twice": ('"linux": {', '"linux": {"seccomp": null, "seccomp": null, '),
    "long-s": ('"linux": {', '"linux": {"seccomp": null, "\\u017feccomp": null, '),
    "bounding": ('"bounding": [', '"BOUNDING": ["CAP_SYS_ADMIN"], "bounding": ['),
    "mode-twice": ('"annotations": {', '"annotations": {"io.seccomp-learn.mode": "off", '),
    "process-case": ('"process": {', '"Process": {"args": ["/bin/sh"]}, "process": {'),
    "hook-path-twice": ('"process": {', '"hooks": {"poststop": [{"path": "/bin/true", "path": "/bin/false"}]}, "process": {'),
    "user-case": ('"process": {', '"process": {"User": {"uid": 0}, '),
    "rule-action-case": ('"linux": {', '"linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "ACTION": "SCMP_ACT_ALLOW"}]}, '),
}
old, new = edits[variant]
assert old in text, (variant, old)
open(path, "w").write(text.replace(old, new, 1))
EOF
}

@test "ambiguous configs: enforce refuses each one and changes nothing; learn passes each through unchanged" {
        start_agent
        probe_bundle "$T/b" localhost/amb
        learn_with_mode "$T/b" amb-learn
        for v in seccomp-null-after seccomp-twice long-s bounding mode-twice process-case user-case hook-path-twice \
                rule-action-case; do
                with_mode "$T/b" enforce "$WORKLOAD"
                ambiguous "$T/b/config.json" "$v"
                cp "$T/b/config.json" "$T/before.json"
                run osl inject "$T/b"
                echo "$v (enforce): status $status: $output"
                [ "$status" -eq 1 ]
                [ "$(echo "$output" | wc -l)" -eq 1 ]
                [[ "$output" == *"enforce mode refuses the config: config "*"runc"* ]]
                cmp "$T/before.json" "$T/b/config.json"

                with_mode "$T/b" learn "$WORKLOAD"
                ambiguous "$T/b/config.json" "$v"
                cp "$T/b/config.json" "$T/before.json"
                run osl inject "$T/b"
                echo "$v (learn): status $status: $output"
                [ "$status" -eq 0 ]
                [[ "$output" == *"learning is off for this container: config "* ]]
                cmp "$T/before.json" "$T/b/config.json"
        done
        # The learn-mode config runs as it was written.
        run_container "$T/b" amb-passed-through
        [ "$status" -eq 0 ]
        [[ "$output" == *hello* ]]
}

# A Docker-style allow list: every syscall the workload needs (from a
# learning run with no filter), mkdir too although the workload never makes
# it, clone only without namespace flags (Docker's and containers-common's
# rule on arg0), clone3 answered ENOSYS so that libc falls back to clone, and
# an explicit denial of unshare with its own errno.
docker_style_base() { # image-with-names
        osl profile show "$1" --json | jq '
                [.syscalls[].name | select(. != "clone" and . != "clone3")] + ["mkdir", "mkdirat"] | unique
                | {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
                   architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                   syscalls: [
                        {names: ., action: "SCMP_ACT_ALLOW"},
                        {names: ["clone"], action: "SCMP_ACT_ALLOW",
                         args: [{index: 0, value: 2114060288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ"}]},
                        {names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38},
                        {names: ["unshare"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]}'
}

@test "the container's own profile stays: clone(CLONE_NEWUSER) is refused without us, in learn, enforce and complain" {
        start_agent
        # The syscalls the workload makes, learned with no filter at all.
        probe_bundle "$T/seed" localhost/seed
        learn_with_mode "$T/seed" seed-learn
        [[ "$output" == *"clone-newuser: ok"* ]]
        docker_style_base localhost/seed >"$T/base.json"

        probe_bundle "$T/b" localhost/based
        jq --slurpfile base "$T/base.json" '.linux.seccomp = $base[0]' "$T/b/config.pristine" >"$T/pristine"
        mv "$T/pristine" "$T/b/config.pristine"
        jq -e '.linux.seccomp.syscalls[1].names == ["clone"]' "$T/b/config.pristine"

        # Without us: the base refuses clone with namespace flags.
        with_mode "$T/b" off "$WORKLOAD"
        run_container "$T/b" based-off
        echo "$output"
        [[ "$output" == *"clone-newuser: errno 1 "* ]]
        [[ "$output" == *hello* ]]

        learn_with_mode "$T/b" based-learn
        [[ "$output" == *"clone-newuser: errno 1 "* ]]
        [[ "$output" == *hello* ]]
        # Denied calls are never notified, so never learned.
        run osl profile show localhost/based --json
        echo "$output" | jq -e '[.syscalls[].name] | index("unshare") == null'

        # enforce: the base's rules and default are there, the workload runs,
        # clone keeps its condition, what the base allows but the profile
        # lacks (mkdir) is refused, the base's own errno stays.
        with_mode "$T/b" enforce "$WORKLOAD; probe mkdir /tmp/made; probe unshare"
        run osl inject "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        jq -e '.linux.seccomp.defaultAction == "SCMP_ACT_ERRNO" and
               ([.linux.seccomp.syscalls[] | select(.names | index("clone")) | .args[0].value] == [2114060288]) and
               ([.linux.seccomp.syscalls[] | select(.names | index("unshare")) | .errnoRet] == [13])' "$T/b/config.json"
        run_container "$T/b" based-enforce
        echo "$output"
        [[ "$output" == *"clone-newuser: errno 1 "* ]]
        [[ "$output" == *hello* ]]
        [[ "$output" == *"mkdir: errno 1 "* ]]
        [[ "$output" == *"unshare: errno 13 "* ]] # the base's EACCES, not our EPERM

        # complain: the base's denials stay denials; what the base allows but
        # the profile lacks runs and is reported as drift.
        with_mode "$T/b" complain "$WORKLOAD; probe mkdir /tmp/made"
        run osl inject "$T/b"
        echo "$output"
        [[ "$output" == *"complain mode for image localhost/based"* ]]
        [[ "$output" != *"learn mode"* ]]
        run_container "$T/b" based-complain
        echo "$output"
        [[ "$output" == *"clone-newuser: errno 1 "* ]]
        [[ "$output" == *hello* ]]
        [[ "$output" == *"mkdir: ok"* ]]
        osl profile drift localhost/based --json |
                jq -e '[.records[].outside.syscalls[][] | keys[]] | (index("mkdir") != null or index("mkdirat") != null)'
        run osl profile drift localhost/based --json
        echo "$output" | jq -e '[.records[].outside.syscalls[][] | keys[]] | index("clone") == null'
}

@test "a deny-list base (default allow): its conditional denial stays in every mode, what falls through it is learned" {
        start_agent
        probe_bundle "$T/b" localhost/denylist '.linux.seccomp = {
                defaultAction: "SCMP_ACT_ALLOW",
                syscalls: [
                        {names: ["clone"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
                         args: [{index: 0, value: 268435456, valueTwo: 268435456, op: "SCMP_CMP_MASKED_EQ"}]},
                        {names: ["unshare", "setns"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]}'
        learn_with_mode "$T/b" deny-learn
        [[ "$output" == *"clone-newuser: errno 1 "* ]]
        # The shell's fork (clone without CLONE_NEWUSER) fell through and was learned.
        profile_syscalls localhost/denylist | grep -qx clone

        with_mode "$T/b" enforce "$WORKLOAD; probe mkdir /tmp/made; probe unshare"
        osl inject "$T/b"
        run_container "$T/b" deny-enforce
        echo "$output"
        [[ "$output" == *hello* ]]
        [[ "$output" == *"clone-newuser: errno 1 "* ]]
        [[ "$output" == *"mkdir: errno 1 "* ]]
        [[ "$output" == *"unshare: errno 13 "* ]]

        with_mode "$T/b" complain "$WORKLOAD; probe mkdir /tmp/made"
        osl inject "$T/b"
        run_container "$T/b" deny-complain
        echo "$output"
        [[ "$output" == *"clone-newuser: errno 1 "* ]]
        [[ "$output" == *"mkdir: ok"* ]]
        osl profile drift localhost/denylist --json |
                jq -e '[.records[].outside.syscalls[][] | keys[]] | (index("mkdir") != null or index("mkdirat") != null)'
}

@test "a config marked as a pod's sandbox is left alone, and says so" {
        probe_bundle "$T/b" localhost/pause '.annotations["io.kubernetes.cri.container-type"] = "sandbox"'
        cp "$T/b/config.json" "$T/before.json"
        run osl inject --mode enforce "$T/b"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"enforce mode not applied: the config is a pod's sandbox (pause) container"* ]]
        cmp "$T/before.json" "$T/b/config.json"
}

@test "a FIFO as config.json is refused at once" {
        mkdir -p "$T/fifo"
        mkfifo "$T/fifo/config.json"
        run timeout 10 "$OSL_BIN" --store "$STORE" --run-dir "$RUN" inject --mode enforce "$T/fifo"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"config.json is not a regular file"* ]]
        run timeout 10 "$OSL_BIN" --store "$STORE" --run-dir "$RUN" inject --mode learn "$T/fifo"
        [ "$status" -ne 124 ]
}

# A pod-style config: containerd's CRI names the image; the pod's author
# adds io.seccomp-learn.image naming another image.
@test "image keys: a pod's annotation cannot write into another image's profile" {
        start_agent
        probe_bundle "$T/victim" docker.io/library/nginx
        learn_with_mode "$T/victim" victim-learn
        osl profile show docker.io/library/nginx --json >"$T/victim-before.json"

        probe_bundle "$T/evil" docker.io/library/nginx '
                .annotations["io.kubernetes.cri.image-name"] = "docker.io/evil/tool:1"
                | .annotations["io.kubernetes.cri.container-type"] = "container"'
        with_mode "$T/evil" learn "$WORKLOAD; probe mkdir /tmp/evil"
        run osl inject "$T/evil"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"the annotation io.seccomp-learn.image is ignored: the engine says the image is docker.io/evil/tool"* ]]
        [[ "$output" == *"learn mode for image docker.io/evil/tool"* ]]
        run_container "$T/evil" evil-learn
        [[ "$output" == *"mkdir: ok"* ]]

        # nginx's profile is byte for byte what it was; the tool got its own.
        osl profile show docker.io/library/nginx --json | cmp - "$T/victim-before.json"
        profile_syscalls docker.io/evil/tool | grep -qx -e mkdir -e mkdirat

        # The node admin may trust the annotation; then it names the image.
        with_mode "$T/evil" learn "$WORKLOAD"
        run osl inject --trust-image-annotation "$T/evil"
        [[ "$output" == *"learn mode for image docker.io/library/nginx"* ]]
}
