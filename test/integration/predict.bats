#!/usr/bin/env bats
# Static prediction, coverage and the CI gate (doc/prediction.md, doc/ci.md),
# with a program built here whose imports are known: it imports fork, fsync
# and rename, and the training run (no argument) calls none of them.

load helpers

setup() {
        osl_setup
        command -v gcc >/dev/null || skip "gcc is not installed"
        command -v musl-gcc >/dev/null || skip "musl-gcc is not installed (Debian musl-tools)"
        make_rootfs "$T/b"
}
teardown() { osl_teardown; }

IMG=localhost/pred

# A busybox bundle plus /app/prog (glibc), /app/prog-musl and /app/prog-static,
# the C libraries they load copied in.
make_rootfs() {
        local b=$1 r=$1/rootfs
        make_bundle "$b" busybox '["/app/prog"]' "$IMG"
        jq '.root.readonly = false' "$b/config.json" >"$b/config.pristine"
        cp "$b/config.pristine" "$b/config.json"
        mkdir -p "$r/app" "$r/lib/x86_64-linux-gnu" "$r/lib64" "$r/lib/x86_64-linux-musl" "$r/etc"
        cat >"$T/prog.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "all") == 0) {
                int fd = open("/tmp/f", O_CREAT | O_WRONLY, 0644);
                if (fd < 0 || fsync(fd) < 0 || rename("/tmp/f", "/tmp/g") < 0)
                        return 2;
                pid_t p = fork();
                if (p == 0)
                        _exit(0);
                if (p < 0 || waitpid(p, NULL, 0) != p)
                        return 3;
        }
        puts("prog ran");
        return 0;
}
EOF
        gcc -O2 -o "$r/app/prog" "$T/prog.c"
        musl-gcc -O2 -o "$r/app/prog-musl" "$T/prog.c"
        gcc -O2 -static -o "$r/app/prog-static" "$T/prog.c"
        cp /lib/x86_64-linux-gnu/libc.so.6 "$r/lib/x86_64-linux-gnu/"
        cp /lib64/ld-linux-x86-64.so.2 "$r/lib64/"
        cp /lib/x86_64-linux-musl/libc.so "$r/lib/x86_64-linux-musl/"
        ln -s x86_64-linux-musl/libc.so "$r/lib/ld-musl-x86_64.so.1"
        echo /lib/x86_64-linux-musl >"$r/etc/ld-musl-x86_64.path"
}

# learn BUNDLE ID ARGS-JSON: one learning run of /app/prog under runc.
learn() {
        jq --argjson a "$3" '.process.args = $a' "$1/config.pristine" >"$1/config.json"
        set_annotation "$1" io.seccomp-learn.mode learn
        osl inject "$1"
        run_container "$1" "$2"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"prog ran"* ]]
}

predict() {
        osl profile predict "$IMG" --rootfs "$T/b/rootfs" /app/prog /app/prog-musl /app/prog-static "$@"
}

# evidence PATH SYSCALL: the imported functions that imply SYSCALL in PATH.
evidence() {
        jq -r --arg p "$1" --arg s "$2" '.binaries[] | select(.path == $p) | .syscalls[$s] // [] | .[]' \
                "$STORE/images/localhost%2Fpred/predicted.json" | sort -u | tr '\n' ' '
}

@test "predict: fork, fsync and rename are predicted from glibc and musl with their evidence; static is not analysed" {
        run predict
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"C library /lib/x86_64-linux-gnu/libc.so.6 (glibc)"* ]]
        [[ "$output" == *"C library /lib/ld-musl-x86_64.so.1 (musl)"* ]]
        [[ "$output" == *"/app/prog-static: not analysed: \"statically linked"* ]]
        [ -f "$STORE/images/localhost%2Fpred/predicted.json" ]
        python3 "$BATS_TEST_DIRNAME/../store/validate.py" "$BATS_TEST_DIRNAME/../../schema/predicted.schema.json" \
                "$STORE/images/localhost%2Fpred/predicted.json"

        # glibc: fsync(2) and rename(2) by their wrappers, fork() by clone.
        [[ " $(evidence /app/prog fsync)" == *" fsync "* ]]
        [[ " $(evidence /app/prog rename)" == *" rename "* ]]
        [[ " $(evidence /app/prog clone)" == *" fork "* ]]
        [[ " $(evidence /app/prog exit_group)" == *" __libc_start_main "* ]]
        # musl: the same functions through its own code (fsync through __syscall_cp).
        [[ " $(evidence /app/prog-musl fsync)" == *" fsync "* ]]
        [[ " $(evidence /app/prog-musl rename)" == *" rename "* ]]
        [[ " $(evidence /app/prog-musl fork)" == *" fork "* ]]
        # What the dynamic loader does before main, from its own code.
        [[ "$output" == *"(glibc-loader)"* ]]
        [[ " $(evidence /app/prog brk)" == *" (dynamic loader start-up) "* ]]
        # A function the program does not import is nobody's evidence.
        [ -z "$(evidence /app/prog mkdir)" ]
        jq -e '.binaries[] | select(.path == "/app/prog-static") | .analysed == false and (.syscalls | length) == 0' \
                "$STORE/images/localhost%2Fpred/predicted.json"

        # The analyses (glibc, its ld.so, musl) are cached by build-id and used again.
        [ "$(ls "$STORE/cache/libc" | wc -l)" -eq 3 ]
        run predict
        [ "$status" -eq 0 ]
        [[ "$output" == *"(glibc): "*"(cached analysis)"* ]]

        # With a digest, the same image and programs keep the stored prediction.
        local d=sha256:$(printf '%064d' 7)
        run osl profile predict "$IMG@$d" --rootfs "$T/b/rootfs" /app/prog /app/prog-musl
        [ "$status" -eq 0 ]
        [[ "$output" != *"(kept"* ]]
        jq -e --arg d "$d" '.digest == $d' "$STORE/images/localhost%2Fpred/predicted.json"
        run osl profile predict "$IMG@$d" --rootfs "$T/b/rootfs" /app/prog /app/prog-musl
        [[ "$output" == *"(kept: the stored prediction is of the same digest and programs)"* ]]
        run osl profile predict "$IMG@$d" --rootfs "$T/b/rootfs" /app/prog
        [[ "$output" != *"(kept"* ]]
}

@test "predict: a symlink never leads to the host's C library; bad input changes nothing" {
        # The rootfs's libc.so.6 is a symlink out of it: resolved inside the
        # rootfs, where nothing is, so the program has no C library.
        rm "$T/b/rootfs/lib/x86_64-linux-gnu/libc.so.6"
        ln -s ../../../../../../../../lib/x86_64-linux-gnu/libc.so.6 "$T/b/rootfs/lib/x86_64-linux-gnu/libc.so.6"
        run osl profile predict "$IMG" --rootfs "$T/b/rootfs" /app/prog
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"/app/prog: not analysed: \"no C library"* ]]
        [[ "$output" != *"C library /lib/x86_64-linux-gnu"* ]]
        cp "$STORE/images/localhost%2Fpred/predicted.json" "$T/before.json"

        run osl profile predict "$IMG" --rootfs "$T/b/rootfs" /app/missing
        echo "$output"
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"/app/missing: no such program in the rootfs"* ]]
        run osl profile predict "$IMG" --rootfs "$T/nowhere" /app/prog
        [ "$status" -eq 1 ]
        [[ "$output" == *"cannot open the rootfs"* ]]
        run osl profile predict "$IMG" /app/prog
        [ "$status" -eq 2 ]
        cmp "$T/before.json" "$STORE/images/localhost%2Fpred/predicted.json"
        run osl profile coverage localhost/other
        [ "$status" -eq 3 ]
}

@test "coverage: what the training run never exercised, per binary, with the functions that imply it" {
        start_agent
        learn "$T/b" pred-train '["/app/prog"]'
        observed=$(profile_syscalls "$IMG")
        for s in fsync rename clone; do
                if grep -qx "$s" <<<"$observed"; then
                        echo "$s observed by the training run" >&2
                        return 1
                fi
        done
        run predict
        [ "$status" -eq 0 ]

        run osl profile coverage "$IMG"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"never observed"* ]]
        grep -Eq '^/app/prog +fsync +.*\bfsync\b' <<<"$output"
        grep -Eq '^/app/prog +rename +.*\brename\b' <<<"$output"
        grep -Eq '^/app/prog +clone +.*\bfork\b' <<<"$output"
        grep -Eq '^/app/prog-musl +fsync +.*\bfsync\b' <<<"$output"
        [[ "$output" == *"/app/prog-static: \"statically linked"* ]]
        # write was observed (puts): never listed as unexercised.
        ! grep -Eq '^/app/prog +write ' <<<"$output"

        run osl profile coverage "$IMG" --json
        [ "$status" -eq 0 ]
        jq -e '.binaries[] | select(.path == "/app/prog") | .unobserved.fsync == ["fsync"] and
               .unobserved.rename == ["rename"] and (.unobserved.clone | index("fork")) and (.unobserved | has("write") | not)' <<<"$output"
        jq -e '.predictedObserved > 0 and .unobserved > 0 and .predicted == .predictedObserved + .unobserved' <<<"$output"

        # A run that does what the training did not: those leave the report.
        learn "$T/b" pred-all '["/app/prog", "all"]'
        run osl profile coverage "$IMG" --json
        [ "$status" -eq 0 ]
        jq -e '.binaries[] | select(.path == "/app/prog") | (.unobserved | has("fsync") or has("rename") or has("clone")) | not' <<<"$output"
}

@test "enforce --include predicted allows what the training run never did but the image can do; observed refuses it" {
        start_agent
        learn "$T/b" pred-train2 '["/app/prog"]'
        for include in observed predicted; do
                run osl inject --mode enforce --generalize none --include "$include" "$T/b"
                echo "$include: $output"
                [ "$status" -eq 0 ]
        done
        # No prediction stored yet: enforce says so and allows what was observed.
        [[ "$output" == *"no prediction is stored for $IMG"* ]]
        run predict
        [ "$status" -eq 0 ]
        for include in observed predicted; do
                jq '.process.args = ["/app/prog", "all"]' "$T/b/config.pristine" >"$T/b/config.json"
                run osl inject --mode enforce --generalize none --include "$include" "$T/b"
                [ "$status" -eq 0 ]
                run_container "$T/b" "pred-enforce-$include"
                echo "$include: status $status: $output"
                if [ "$include" = predicted ]; then
                        [ "$status" -eq 0 ]
                        [[ "$output" == *"prog ran"* ]]
                else
                        # open/fsync/rename refused: prog's own exit code 2.
                        [ "$status" -eq 2 ]
                fi
        done
}

@test "check: exit 0 with nothing new, 1 with a new syscall; text, json and junit (valid XML)" {
        start_agent
        learn "$T/b" chk-train '["/app/prog"]'
        predict >/dev/null
        run osl profile check "$IMG" --approved 1
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"version 1 needs nothing beyond approved version 1"* ]]
        run osl profile check "$IMG" --approved 1 --format junit
        [ "$status" -eq 0 ]
        python3 -c 'import sys, xml.etree.ElementTree as E
r = E.fromstring(sys.stdin.read())
assert r.tag == "testsuites" and r.get("failures") == "0", r.attrib
assert len(r.findall(".//testcase")) == 1 and not r.findall(".//failure")' <<<"$output"

        learn "$T/b" chk-all '["/app/prog", "all"]'
        run osl profile check "$IMG" --approved 1
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"version 2 needs what approved version 1 lacks"* ]]
        grep -E '^  syscall fsync \(SCMP_ARCH_X86_64\): application call, first seen 20[0-9-]+T.*by command "prog", added in version 2; predicted from /app/prog: fsync' <<<"$output"
        grep -E '^  syscall rename ' <<<"$output"

        run osl profile check "$IMG" --approved 1 --format json
        [ "$status" -eq 1 ]
        jq -e '.ok == false and .approved == 1 and .candidate == "version 2" and
               ([.syscalls[].name] | index("fsync") and index("rename")) and
               (.syscalls[] | select(.name == "fsync") | .command == "prog" and .addedIn == 2)' <<<"$output"
        n=$(jq '.syscalls | length' <<<"$output")

        run osl profile check "$IMG" --approved 1 --format junit
        [ "$status" -eq 1 ]
        python3 -c 'import sys, xml.etree.ElementTree as E
n = int(sys.argv[1])
r = E.fromstring(sys.stdin.read())
cases = r.findall("./testsuite/testcase")
failed = [c for c in cases if c.find("failure") is not None]
assert r.get("failures") == str(n) and len(failed) == n, (r.attrib, len(failed))
names = [c.get("name") for c in failed]
assert "syscall fsync (SCMP_ARCH_X86_64)" in names, names
f = [c for c in failed if c.get("name") == "syscall fsync (SCMP_ARCH_X86_64)"][0].find("failure")
assert "first seen" in f.text and "predicted from /app/prog: fsync" in f.text, f.text' "$n" <<<"$output"

        # Approving version 2 makes the gate pass again.
        run osl profile check "$IMG" --approved 2
        [ "$status" -eq 0 ]
        run osl profile check "$IMG" --approved 7
        [ "$status" -eq 3 ]
        run osl profile check "$IMG"
        [ "$status" -eq 2 ]
}

@test "check --observation: one run's observation against the approved version; hostile text stays valid XML" {
        start_agent
        learn "$T/b" obs-train '["/app/prog"]'
        cat >"$T/obs.json" <<EOF
{"schemaVersion": 1, "containerId": "c1", "image": {"key": "$IMG", "name": "$IMG", "tag": null, "digest": null},
 "startTime": "2026-11-30T10:00:00.000Z", "endTime": "2026-11-30T10:00:01.000Z", "method": "notify",
 "notifications": 2,
 "syscalls": {"SCMP_ARCH_X86_64": {"application": {"mkdirat": 1}}},
 "samples": {"SCMP_ARCH_X86_64": {"application": {"mkdirat": {"firstSeen": "2026-11-30T10:00:00.500Z",
     "lastSeen": "2026-11-30T10:00:00.500Z", "pid": 7, "comm": "a<b>&\"c'"}}}},
 "capabilities": [{"name": "CAP_NET_BIND_SERVICE", "evidence": "bind(port 80) </failure>", "count": 1}]}
EOF
        run osl profile check "$IMG" --approved 1 --observation "$T/obs.json" --format junit
        echo "$output"
        [ "$status" -eq 1 ]
        python3 -c 'import sys, xml.etree.ElementTree as E
r = E.fromstring(sys.stdin.read())
failed = {c.get("name"): c.find("failure").text for c in r.iter("testcase") if c.find("failure") is not None}
assert set(failed) == {"syscall mkdirat (SCMP_ARCH_X86_64)", "capability CAP_NET_BIND_SERVICE"}, failed
assert "first seen 2026-11-30T10:00:00.500Z" in failed["syscall mkdirat (SCMP_ARCH_X86_64)"]
assert "bind(port 80) </failure>" in failed["capability CAP_NET_BIND_SERVICE"]' <<<"$output"

        # The observation of another image is refused.
        sed 's|"key": "localhost/pred"|"key": "localhost/other"|' "$T/obs.json" >"$T/other.json"
        run osl profile check "$IMG" --approved 1 --observation "$T/other.json"
        [ "$status" -eq 1 ]
        [[ "$output" == *"the observation is of image localhost/other"* ]]
}
