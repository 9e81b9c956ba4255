#!/bin/bash
# Every JSON file the store writes validates against its schema:
# observations (osl_observation_write), profile.json, versions/<N>.json and
# drift.json.
. "$(dirname "$0")/lib.sh"

IMG=docker.io/library/postgres
obs "$WORK/a.json" a1 image:$IMG tag:16 digest:sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945 \
        end:2026-11-28T11:05:00.250+01:00 sys:SCMP_ARCH_X86_64:runtime:futex:3 sys:SCMP_ARCH_X86_64:application:read:12 \
        implied:SCMP_ARCH_X86_64:application:write sys:SCMP_ARCH_X86:application:socketcall:1 \
        "cap:CAP_NET_BIND_SERVICE:bind(port 80)" cap:CAP_CHOWN partial \
        sample,SCMP_ARCH_X86_64,application,read,2026-11-28T10:00:01.5Z,2026-11-28T11:04:00+01:00,4242,postgres \
        sample,SCMP_ARCH_X86_64,runtime,futex,2026-11-28T10:00:00.001Z,-,0,-
obs "$WORK/b.json" b1 sys:SCMP_ARCH_X86_64:application:read:1 sys:SCMP_ARCH_X86_64:application:frobnicate9:1
obs "$WORK/c.json" c1 sys:SCMP_ARCH_X86_64:application:read:1
obs "$WORK/d.json" d1 cap:CAP_SETUID
obs "$WORK/empty.json" e1

validate observation.schema.json "$WORK"/*.json || fail "observations do not validate"

run osl profile merge $IMG "$WORK/a.json" "$WORK/b.json" "$WORK/c.json" "$WORK/d.json" "$WORK/empty.json"
expect_rc 0 "merge"
DIR=$(image_dir $IMG)
[ -f "$DIR/versions/3.json" ] && [ ! -e "$DIR/versions/4.json" ] || fail "expected versions 1 to 3: $(ls "$DIR/versions")"
validate profile.schema.json "$DIR/profile.json" "$DIR"/versions/*.json || fail "stored profiles do not validate"
run osl profile show $IMG --json
validate profile.schema.json "$WORK/.out" || fail "show --json does not validate"
"$PY" - "$WORK/a.json" "$WORK/.out" <<'PY' || fail "samples and partial are not where they belong"
import json, sys
o, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert o["partial"] is True, o
assert o["samples"] == {"SCMP_ARCH_X86_64": {
    "application": {"read": {"firstSeen": "2026-11-28T10:00:01.5Z", "lastSeen": "2026-11-28T11:04:00+01:00",
                             "pid": 4242, "comm": "postgres"}},
    "runtime": {"futex": {"firstSeen": "2026-11-28T10:00:00.001Z"}}}}, o["samples"]
assert p["history"][0]["partial"] is True and "partial" not in p["history"][1], p["history"]
read = [e for e in p["syscalls"] if e["arch"] == "SCMP_ARCH_X86_64" and e["name"] == "read"][0]
assert read["sample"] == {"pid": 4242, "comm": "postgres", "containerId": "a1"}, read
PY

# drift.json (complain mode), the `profile drift --json` output, and a
# profile whose newest version came from `profile accept`.
obs "$WORK/drift-a.json" f1 image:$IMG tag:16 end:2026-11-28T10:30:00Z sys:SCMP_ARCH_X86_64:application:sendfile:2 \
        sys:SCMP_ARCH_X86_64:runtime:splice:1 implied:SCMP_ARCH_X86_64:application:tee "cap:CAP_NET_RAW:socket(AF_PACKET)"
obs "$WORK/drift-b.json" f2 sys:SCMP_ARCH_X86_64:application:vmsplice:1
"$OSL_STORE_HELPER" drift "$STORE" $IMG 1 "$WORK/drift-a.json" >/dev/null || fail "recording drift a"
"$OSL_STORE_HELPER" drift "$STORE" $IMG 3 "$WORK/drift-b.json" >/dev/null || fail "recording drift b"
validate drift.schema.json "$DIR/drift.json" || fail "drift.json does not validate"
run osl profile drift $IMG --json
printf '%s\n' "$out" >"$WORK/drift-out.json"
validate drift.schema.json "$WORK/drift-out.json" || fail "drift --json does not validate"
run osl profile accept $IMG
expect_rc 0 "accept"
[ -f "$DIR/versions/4.json" ] || fail "accept made no version 4: $(ls "$DIR/versions")"
grep -q acceptedDrift "$DIR/versions/4.json" || fail "the accepted version has no acceptedDrift"
tail -n 1 "$DIR/history.jsonl" >"$WORK/record.json"
grep -q acceptedDrift "$WORK/record.json" || fail "the accepted version's history line has no acceptedDrift"
validate history-record.schema.json "$WORK/record.json" || fail "the history line does not validate"
validate profile.schema.json "$DIR/profile.json" "$DIR/versions/4.json" || fail "the accepted profile does not validate"

# The check itself can fail: a broken copy must not validate.
"$PY" - "$DIR/profile.json" "$WORK/broken.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["syscalls"][0]["origins"] = ["kernel"]
json.dump(p, open(sys.argv[2], "w"))
PY
if validate profile.schema.json "$WORK/broken.json" 2>/dev/null; then
        fail "a broken profile validated"
fi
"$PY" - "$DIR/profile.json" "$WORK/broken-sample.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["syscalls"][0]["sample"] = {"pid": 1, "comm": "sh"}  # no containerId
json.dump(p, open(sys.argv[2], "w"))
PY
if validate profile.schema.json "$WORK/broken-sample.json" 2>/dev/null; then
        fail "a profile sample without containerId validated"
fi
# A command name is what a process chose: too long or unprintable is refused.
for comm in '"sixteen-and-more!"' '"tab\there"' '""'; do
        "$PY" - "$WORK/a.json" "$WORK/broken-comm.json" "$comm" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
o["samples"]["SCMP_ARCH_X86_64"]["application"]["read"]["comm"] = json.loads(sys.argv[3])
json.dump(o, open(sys.argv[2], "w"))
PY
        if validate observation.schema.json "$WORK/broken-comm.json" 2>/dev/null; then
                fail "an observation with comm $comm validated"
        fi
        run osl profile merge $IMG "$WORK/broken-comm.json"
        expect_one_line_error "merge of comm $comm" "samples.SCMP_ARCH_X86_64.application.read.comm"
done
"$PY" - "$WORK/drift-out.json" "$WORK/broken-drift.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["records"][0]["outside"]["syscalls"]["SCMP_ARCH_X86_64"]["kernel"] = {"read": 1}
json.dump(d, open(sys.argv[2], "w"))
PY
if validate drift.schema.json "$WORK/broken-drift.json" 2>/dev/null; then
        fail "a broken drift.json validated"
fi

finish
