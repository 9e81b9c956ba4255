#!/bin/bash
# Bad observations through the real binary: each is refused with one clear
# line on stderr and a non-zero exit (no crash), and the stored profile stays
# byte-identical. Unknown syscall names are the exception: kept, with a warning.
. "$(dirname "$0")/lib.sh"

IMG=docker.io/library/app
obs "$WORK/good.json" c0 image:$IMG sys:SCMP_ARCH_X86_64:application:read:1
run osl profile merge $IMG "$WORK/good.json"
expect_rc 0 "merge of a good observation"
PROFILE=$(image_dir $IMG)/profile.json
cp "$PROFILE" "$WORK/profile.before"
snapshot() { (cd "$STORE" && find . -type f ! -name lock -exec sha256sum {} + | sort); }
snapshot >"$WORK/store.before"

HEAD='"schemaVersion":1,"containerId":"c1","image":{"key":"docker.io/library/app"},"startTime":"2026-11-28T10:00:00Z","method":"notify"'

# bad NAME FILE-CONTENT PATTERN: a merge that must fail and change nothing.
bad() {
        local name=$1 pattern=$3
        printf '%s' "$2" >"$WORK/$name.json"
        run osl profile merge $IMG "$WORK/$name.json"
        expect_one_line_error "$name" "$pattern"
        cmp -s "$PROFILE" "$WORK/profile.before" || fail "$name: profile.json changed"
}

bad malformed "{$HEAD,\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":1,}}}}" "malformed.json: invalid JSON near byte"
bad truncated "$(head -c 60 "$WORK/good.json")" "truncated.json: invalid JSON"
bad empty "" "empty.json: invalid JSON"
bad not-an-object '["read","write"]' "not-an-object.json: expected a JSON object, got array"
bad wrong-type-id "{\"schemaVersion\":1,\"containerId\":42,\"image\":{},\"startTime\":\"2026-11-28T10:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}" \
        "wrong-type-id.json: containerId: expected a string, got number"
bad wrong-type-count "{$HEAD,\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":\"12\"}}}}" \
        "syscalls.SCMP_ARCH_X86_64.application.read: expected a non-negative integer, got string"
bad wrong-type-syscalls "{$HEAD,\"syscalls\":[\"read\"]}" "syscalls: expected an object, got array"
bad negative-count "{$HEAD,\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":-3}}}}" "expected a non-negative integer, got -3"
bad huge-count "{$HEAD,\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"read\":18446744073709551616}}}}" \
        "expected a non-negative integer, got 18446744073709551616"
bad unknown-arch "{$HEAD,\"syscalls\":{\"SCMP_ARCH_PDP11\":{\"application\":{\"read\":1}}}}" \
        "unknown architecture \"SCMP_ARCH_PDP11\""
bad bad-name "{$HEAD,\"syscalls\":{\"SCMP_ARCH_X86_64\":{\"application\":{\"../etc/passwd\":1}}}}" "is not a syscall name"
bad bad-time "{\"schemaVersion\":1,\"containerId\":\"c1\",\"image\":{},\"startTime\":\"last tuesday\",\"method\":\"notify\",\"syscalls\":{}}" \
        "startTime: \"last tuesday\" is not an RFC 3339 time"
bad deep "$(printf '[%.0s' $(seq 1 200))" "nested deeper than"
bad nul-string "{\"schemaVersion\":1,\"containerId\":\"c\\u0000d\",\"image\":{},\"startTime\":\"2026-11-28T10:00:00Z\",\"method\":\"notify\",\"syscalls\":{}}" \
        "containerId: expected a string"
bad invalid-utf8 "$(printf '{"schemaVersion":1,"containerId":"\xff\xfe","image":{},"startTime":"2026-11-28T10:00:00Z","method":"notify","syscalls":{}}')" \
        "invalid JSON"

# A 100 MB file is refused before it is parsed.
"$PY" -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("{\"schemaVersion\":1,\"padding\":[")
    f.write("1," * (50 * 1024 * 1024))
    f.write("1]}")
' "$WORK/huge.json"
run osl profile merge $IMG "$WORK/huge.json"
expect_one_line_error "100 MB file" "huge.json is larger than [0-9]+ bytes"
rm -f "$WORK/huge.json"

# Missing file, a directory, and one bad file among good ones: nothing merged.
run osl profile merge $IMG "$WORK/does-not-exist.json"
expect_one_line_error "missing file" "cannot open .*does-not-exist.json"
[ "$rc" -eq 1 ] || fail "missing observation file: exit code $rc, expected 1"
run osl profile merge $IMG "$WORK"
expect_one_line_error "a directory" "$WORK"
obs "$WORK/new.json" c9 image:$IMG sys:SCMP_ARCH_X86_64:application:openat:1
run osl profile merge $IMG "$WORK/new.json" "$WORK/malformed.json"
expect_one_line_error "good and bad together" "malformed.json"
cmp -s "$PROFILE" "$WORK/profile.before" || fail "a batch with a bad file changed profile.json"

snapshot | cmp -s - "$WORK/store.before" || fail "the store changed: $(snapshot | diff - "$WORK/store.before")"

# Unknown syscall names are kept, with one warning line each.
obs "$WORK/unknown.json" c2 image:$IMG sys:SCMP_ARCH_X86_64:application:read:1 \
        sys:SCMP_ARCH_X86_64:application:frobnicate2:1 sys:SCMP_ARCH_X86_64:runtime:quantum_fork:3
run osl profile merge $IMG "$WORK/unknown.json"
expect_rc 0 "merge with unknown names"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 2 ] || fail "expected two warnings, got: $err"
printf '%s\n' "$err" | grep -q 'warning: .*unknown.json: syscall "frobnicate2" is not known to libseccomp; kept' || fail "warning: $err"
printf '%s\n' "$err" | grep -q 'warning: .*syscall "quantum_fork" is not known' || fail "warning: $err"
printf '%s\n' "$out" | grep -q "new version 2 (+2 syscalls" || fail "merge with unknown names: $out"
run osl profile export $IMG
printf '%s\n' "$out" | grep -q '"frobnicate2"' || fail "frobnicate2 is not in the exported profile"

# A corrupted stored profile: readers and writers say which file and field.
cp "$PROFILE" "$WORK/profile.good"
"$PY" - "$PROFILE" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["syscalls"][0]["count"] = "many"
json.dump(p, open(sys.argv[1], "w"))
PY
cp "$PROFILE" "$WORK/profile.corrupt"
run osl profile show $IMG
expect_one_line_error "show of a corrupted profile" "profile.json: syscalls\[0\]\.count: expected an integer"
[ "$rc" -eq 1 ] || fail "show of a corrupted profile: exit code $rc, expected 1"
run osl profile merge $IMG "$WORK/new.json"
expect_one_line_error "merge into a corrupted profile" "profile.json: syscalls\[0\]\.count"
cmp -s "$PROFILE" "$WORK/profile.corrupt" || fail "merge rewrote a corrupted profile"
run osl profile list
[ "$rc" -eq 1 ] || fail "list with a corrupted profile: exit code $rc, expected 1"
head -c 100 "$WORK/profile.good" >"$PROFILE"
run osl profile show $IMG
expect_one_line_error "show of a truncated profile" "profile.json: invalid JSON"
"$PY" - "$WORK/profile.good" "$PROFILE" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["syscalls"][0]["name"] = "../x"
json.dump(p, open(sys.argv[2], "w"))
PY
run osl profile show $IMG
expect_one_line_error "show of a profile with a bad syscall name" 'profile.json: syscalls\[0\]\.name: "\.\./x" is not a syscall name'
cp "$WORK/profile.good" "$PROFILE"

# A damaged drift.json: one line naming the file and what is wrong; it is
# not rewritten.
DRIFT=$(image_dir $IMG)/drift.json
bad_drift() { # content pattern
        printf '%s' "$1" >"$DRIFT"
        cp "$DRIFT" "$WORK/drift.before"
        run osl profile drift $IMG
        expect_one_line_error "drift.json $1" "drift.json: $2"
        [ "$rc" -eq 1 ] || fail "drift.json $1: exit code $rc, expected 1"
        cmp -s "$DRIFT" "$WORK/drift.before" || fail "drift.json $1 was rewritten"
}
bad_drift "{\"schemaVersion\":2,\"image\":\"$IMG\",\"records\":[]}" "schemaVersion: 2 is not supported"
bad_drift '{"schemaVersion":1,"image":"docker.io/library/other","records":[]}' 'image: is "docker.io/library/other"'
bad_drift "{\"schemaVersion\":1,\"image\":\"$IMG\",\"records\":[],\"extra\":1}" 'unknown field "extra"'
bad_drift '[]' "expected a JSON object, got array"
rm -f "$DRIFT"

finish
