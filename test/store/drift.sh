#!/bin/bash
# Complain mode's drift through the real binary: recording drift never makes
# a version, `profile drift` lists what is pending, `profile accept` makes
# exactly one version and clears it, and doing either twice changes nothing.
# Drift is recorded with osl_store_record_drift (store-test-helper drift), as
# the poststop hook does.
. "$(dirname "$0")/lib.sh"

IMG=docker.io/library/redis
DIR=$(image_dir $IMG)

# drift VERSION OBSERVATION: records it; $out is the helper's summary.
drift() {
        run "$OSL_STORE_HELPER" drift "$STORE" $IMG "$1" "$2"
}

# No profile: nothing to drift from, nothing to list or accept.
obs "$WORK/base.json" base image:$IMG tag:7 sys:SCMP_ARCH_X86_64:runtime:futex:3 sys:SCMP_ARCH_X86_64:application:read:10
obs "$WORK/a.json" ca image:$IMG tag:7 sys:SCMP_ARCH_X86_64:application:read:4 sys:SCMP_ARCH_X86_64:application:sendfile:2 \
        "cap:CAP_NET_BIND_SERVICE:bind(port 80)"
obs "$WORK/b.json" cb image:$IMG tag:7.2 sys:SCMP_ARCH_X86_64:application:sendfile:1 sys:SCMP_ARCH_X86_64:runtime:splice:1 \
        sys:SCMP_ARCH_X86:application:socketcall:1
obs "$WORK/inside.json" ci image:$IMG sys:SCMP_ARCH_X86_64:application:read:1
run osl profile drift redis
expect_rc 3 "drift of an image not stored"
expect_one_line_error "drift of an image not stored" "no profile is stored for docker.io/library/redis"
run osl profile accept redis
expect_rc 3 "accept of an image not stored"
[ ! -e "$STORE" ] || fail "drift or accept created the store"
drift 1 "$WORK/a.json"
expect_rc 3 "recording drift without a profile"

run osl profile merge $IMG "$WORK/base.json"
expect_rc 0 "merge base"
cp "$DIR/profile.json" "$WORK/profile.v1"

# Nothing pending yet.
run osl profile drift redis
expect_rc 0 "drift, nothing pending"
[ "$out" = "$IMG: no drift pending (version 1)" ] || fail "drift, nothing pending: $out"
run osl profile accept redis
expect_rc 0 "accept, nothing pending"
[ "$out" = "$IMG: no drift pending; nothing accepted (version 1)" ] || fail "accept, nothing pending: $out"

# Recording: only what is outside, never a version, idempotent.
drift 1 "$WORK/inside.json"
[ "$out" = "version=1 syscalls=0 capabilities=0 duplicate=0" ] || fail "drift of an observation inside the profile: $out $err"
[ ! -e "$DIR/drift.json" ] || fail "drift.json written for an observation inside the profile"
drift 1 "$WORK/a.json"
[ "$out" = "version=1 syscalls=1 capabilities=1 duplicate=0" ] || fail "drift a: $out $err"
cp "$DIR/drift.json" "$WORK/drift.once"
drift 1 "$WORK/a.json"
[ "$out" = "version=1 syscalls=1 capabilities=1 duplicate=1" ] || fail "drift a again: $out $err"
cmp -s "$DIR/drift.json" "$WORK/drift.once" || fail "recording the same observation again changed drift.json"
drift 1 "$WORK/b.json"
[ "$out" = "version=1 syscalls=3 capabilities=0 duplicate=0" ] || fail "drift b: $out $err"
cmp -s "$DIR/profile.json" "$WORK/profile.v1" || fail "recording drift changed profile.json"
[ "$(ls "$DIR/versions")" = "1.json" ] || fail "recording drift made a version: $(ls "$DIR/versions")"
drift 2 "$WORK/b.json"
expect_rc 3 "drift against a version not stored"

# The listing.
run osl profile drift redis:7
expect_rc 0 "drift"
printf '%s\n' "$out" | head -1 | grep -qx "$IMG: drift of 2 containers pending (current version 1)" || fail "drift summary: $out"
printf '%s\n' "$out" | grep -Eq '^TIME +CONTAINER +VERSION +SYSCALLS +CAPS$' || fail "drift header: $out"
printf '%s\n' "$out" | grep -Eq '^20[0-9T:.Z-]+ +ca +1 +sendfile +CAP_NET_BIND_SERVICE$' || fail "drift row a: $out"
printf '%s\n' "$out" | grep -Eq '^20[0-9T:.Z-]+ +cb +1 +SCMP_ARCH_X86:socketcall, sendfile, splice +-$' || fail "drift row b: $out"
printf '%s\n' "$out" | grep -qx "To add it to the profile: oci-seccomp-learn profile accept $IMG" || fail "drift hint: $out"
run osl profile drift redis --json
expect_rc 0 "drift --json"
printf '%s\n' "$out" >"$WORK/drift-out.json"
validate drift.schema.json "$WORK/drift-out.json" || fail "drift --json does not validate"
"$PY" - "$out" <<'PY' || fail "drift --json: $out"
import json, sys
d = json.loads(sys.argv[1])
assert d["image"] == "docker.io/library/redis", d
recs = d["records"]
assert [r["outside"]["containerId"] for r in recs] == ["ca", "cb"], recs
assert all(r["version"] == 1 for r in recs), recs
a = recs[0]["outside"]
assert a["syscalls"] == {"SCMP_ARCH_X86_64": {"application": {"sendfile": 2}}}, a
assert a["capabilities"] == [{"name": "CAP_NET_BIND_SERVICE", "evidence": "bind(port 80)", "count": 1}], a
b = recs[1]["outside"]
assert b["syscalls"]["SCMP_ARCH_X86_64"] == {"runtime": {"splice": 1}, "application": {"sendfile": 1}}, b
assert b["image"]["tag"] == "7.2", b
PY

# accept: exactly one version, then nothing pending.
run osl profile accept redis
expect_rc 0 accept
[ "$out" = "$IMG: accepted the drift of 2 containers: new version 2 (+3 syscalls, +1 capabilities)" ] || fail "accept: $out"
[ "$(ls "$DIR/versions" | tr '\n' ' ')" = "1.json 2.json " ] || fail "accept made other than one version: $(ls "$DIR/versions")"
[ ! -e "$DIR/drift.json" ] || fail "accept left drift.json"
"$PY" - "$DIR/profile.json" <<'PY' || fail "accepted profile: $(cat "$DIR/profile.json")"
import json, sys
p = json.load(open(sys.argv[1]))
assert p["version"] == 2, p["version"]
h = [json.loads(l) for l in open(sys.argv[1].replace("profile.json", "history.jsonl"))][1]
assert h["acceptedDrift"] == ["ca", "cb"] and h["containerId"] == "cb" and h["imageTag"] == "7.2", h
added = sorted((a["arch"], a["name"]) for a in h["addedSyscalls"])
assert added == [("SCMP_ARCH_X86", "socketcall"), ("SCMP_ARCH_X86_64", "sendfile"), ("SCMP_ARCH_X86_64", "splice")], added
sf = [s for s in p["syscalls"] if s["name"] == "sendfile"][0]
assert sf["count"] == 3 and sf["containers"] == 2 and sf["addedIn"] == 2, sf
assert [c["name"] for c in p["capabilities"]] == ["CAP_NET_BIND_SERVICE"], p["capabilities"]
names = p["seccomp"]["syscalls"][0]["names"]
assert "sendfile" in names and "splice" in names and "socketcall" in names, names
PY
validate profile.schema.json "$DIR/profile.json" "$DIR/versions/2.json" || fail "the accepted profile does not validate"
run osl profile show redis
printf '%s\n' "$out" | grep -Eq '^2 +20[0-9T:.Z-]+ +cb +7.2 +- +3 syscalls, 1 capability \(accepted drift of 2 containers\)$' ||
        fail "show of an accepted version: $out"
cp "$DIR/profile.json" "$WORK/profile.v2"
run osl profile accept redis
expect_rc 0 "accept again"
[ "$out" = "$IMG: no drift pending; nothing accepted (version 2)" ] || fail "accept again: $out"
cmp -s "$DIR/profile.json" "$WORK/profile.v2" || fail "a second accept changed profile.json"
run osl profile drift redis
[ "$out" = "$IMG: no drift pending (version 2)" ] || fail "drift after accept: $out"

# Accepted observations are merged: neither drift nor merge takes them twice.
drift 1 "$WORK/a.json"
[ "$out" = "version=1 syscalls=0 capabilities=0 duplicate=1" ] || fail "drift of an accepted observation: $out $err"
run osl profile merge $IMG "$WORK/b.json"
printf '%s\n' "$out" | grep -q "already merged" || fail "merge of an accepted observation: $out"
cmp -s "$DIR/profile.json" "$WORK/profile.v2" || fail "an accepted observation was taken again"

# Drift that the current version already holds: accepted as evidence, no version.
obs "$WORK/old.json" co image:$IMG sys:SCMP_ARCH_X86_64:application:sendfile:5
drift 1 "$WORK/old.json"
[ "$out" = "version=1 syscalls=1 capabilities=0 duplicate=0" ] || fail "drift against an older version: $out $err"
run osl profile accept --json redis
expect_rc 0 "accept --json"
"$PY" - "$out" <<'PY' || fail "accept --json: $out"
import json, sys
r = json.loads(sys.argv[1])
assert r == {"image": "docker.io/library/redis", "version": 2, "newVersion": False, "records": 1,
             "addedSyscalls": 0, "addedCapabilities": 0}, r
PY
[ ! -e "$DIR/versions/3.json" ] && [ ! -e "$DIR/drift.json" ] || fail "evidence-only accept made a version or kept drift"

# Bad input: one line, the documented exit codes, nothing changed.
cp "$DIR/profile.json" "$WORK/profile.before"
printf '{"schemaVersion":1,"image":"%s","records":[{"time":"2026-11-28T10:00:00Z","version":9,"outside":{}}]}' $IMG \
        >"$DIR/drift.json"
run osl profile drift redis
expect_one_line_error "a drift.json with a version beyond the profile" "drift.json: records\[0\].version: 9 is beyond the profile.s version 2"
run osl profile accept redis
expect_one_line_error "accept of a broken drift.json" "drift.json: records\[0\]"
[ "$rc" -eq 1 ] || fail "accept of a broken drift.json: exit code $rc"
cmp -s "$DIR/profile.json" "$WORK/profile.before" || fail "accept of a broken drift.json changed the profile"
[ -e "$DIR/drift.json" ] || fail "a broken drift.json was removed"
rm "$DIR/drift.json"
for sub in drift accept; do
        run osl profile $sub
        expect_rc 2 "$sub without an image"
        run osl profile $sub redis nginx
        expect_rc 2 "$sub with two images"
        run osl profile $sub redis --version 1
        expect_rc 2 "$sub --version"
        run osl profile $sub 'NOT A REFERENCE'
        expect_rc 1 "$sub of an invalid reference"
done

finish
