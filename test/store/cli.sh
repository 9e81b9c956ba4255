#!/bin/bash
# `profile` as a user sees it: list, show, diff, export, merge, their --json,
# help, and the documented exit codes (0 ok, 1 failure, 2 usage, 3 not found).
# drift and accept: drift.sh; the export formats and install: exports.sh.
. "$(dirname "$0")/lib.sh"

IMG=docker.io/library/redis

# An empty (not even created) store.
run osl profile list
expect_rc 0 "list of a missing store"
[ -z "$out" ] || fail "list of a missing store printed: $out"
run osl profile list --json
expect_rc 0 "list --json of a missing store"
[ "$(printf "%s" "$out" | tr -d " \n")" = "[]" ] || fail "list --json of a missing store: $out"
run osl profile show redis
expect_rc 3 "show of an image not stored"
expect_one_line_error "show of an image not stored" "no profile is stored for docker.io/library/redis"
[ ! -e "$STORE" ] || fail "a reader created the store"

obs "$WORK/a.json" ca image:$IMG tag:7 sys:SCMP_ARCH_X86_64:runtime:futex:3 sys:SCMP_ARCH_X86_64:application:read:10 \
        sample,SCMP_ARCH_X86_64,application,read,2026-11-28T10:00:01Z,2026-11-28T10:00:02Z,42,redis-server \
        implied:SCMP_ARCH_X86_64:application:write "cap:CAP_NET_BIND_SERVICE:bind(port 6379)"
# b's sample of read is the latest (c has none): show names its command.
obs "$WORK/b.json" cb image:$IMG tag:7.2 sys:SCMP_ARCH_X86_64:application:read:1 sys:SCMP_ARCH_X86_64:application:epoll_wait:4 \
        sample,SCMP_ARCH_X86_64,application,read,-,-,7,redis-check
obs "$WORK/c.json" cc image:$IMG sys:SCMP_ARCH_X86_64:application:read:2
obs "$WORK/other.json" cx image:docker.io/library/nginx sys:SCMP_ARCH_X86_64:application:read:2

# merge: what it did, per file.
run osl profile merge redis:7 "$WORK/a.json"
expect_rc 0 "merge a"
[ "$out" = "$WORK/a.json: $IMG: new version 1 (+3 syscalls, +1 capabilities)" ] || fail "merge a said: $out"
run osl profile merge $IMG "$WORK/b.json" "$WORK/c.json"
expect_rc 0 "merge b c"
printf '%s\n' "$out" | grep -qx "$WORK/b.json: $IMG: new version 2 (+1 syscalls, +0 capabilities)" || fail "merge b said: $out"
printf '%s\n' "$out" | grep -qx "$WORK/c.json: $IMG: no change (version 2)" || fail "merge c said: $out"
# Nothing new: nothing written, not even the evidence.
before=$(tree_sums "$(image_dir $IMG)")
run osl profile merge $IMG "$WORK/c.json"
[ "$out" = "$WORK/c.json: $IMG: no change (version 2)" ] || fail "merge c again said: $out"
[ "$(tree_sums "$(image_dir $IMG)")" = "$before" ] || fail "a merge that added nothing changed the store"
run osl profile merge --json $IMG "$WORK/b.json"
expect_rc 0 "merge c again"
"$PY" - "$out" <<'PY' || fail "merge --json: $out"
import json, sys
r = json.loads(sys.argv[1])
assert len(r) == 1 and r[0]["duplicate"] is True and r[0]["newVersion"] is False and r[0]["version"] == 2, r
PY
run osl profile merge $IMG "$WORK/other.json"
expect_one_line_error "merge of another image's observation" "the observation is of image docker.io/library/nginx, not docker.io/library/redis"

# list
run osl profile list
expect_rc 0 list
printf '%s\n' "$out" | head -1 | grep -Eq '^IMAGE +VERSION +SYSCALLS +CAPS +UPDATED$' || fail "list header: $out"
printf '%s\n' "$out" | grep -Eq "^$IMG +2 +4 +1 +20[0-9-]+T" || fail "list row: $out"
run osl profile list --json
"$PY" - "$out" <<'PY' || fail "list --json: $out"
import json, sys
r = json.loads(sys.argv[1])
assert [e["image"] for e in r] == ["docker.io/library/redis"], r
assert r[0]["version"] == 2 and r[0]["syscalls"] == 4 and r[0]["capabilities"] == 1, r
PY

# show
run osl profile show redis
expect_rc 0 show
printf '%s\n' "$out" | grep -Eq '^ARCH +SYSCALL +ORIGIN +COUNT +CONTAINERS +FIRST SEEN +LAST SEEN +ADDED IN +COMM$' || fail "show header: $out"
printf '%s\n' "$out" | grep -Eq '^SCMP_ARCH_X86_64 +read +application +11 +2 .* 1 +redis-check$' || fail "show read row: $out"
printf '%s\n' "$out" | grep -Eq '^SCMP_ARCH_X86_64 +futex +runtime +3 +1 .* 1 +-$' || fail "show futex row: $out"
printf '%s\n' "$out" | grep -Eq '^SCMP_ARCH_X86_64 +epoll_wait +application +4 +1 .* 2 +-$' || fail "show epoll_wait row: $out"
printf '%s\n' "$out" | grep -Eq '^CAP_NET_BIND_SERVICE +1 +1 +bind\(port 6379\)$' || fail "show capability: $out"
printf '%s\n' "$out" | grep -Eq '^2 +20[0-9T:.Z-]+ +cb +7.2 +- +1 syscall, 0 capabilities$' || fail "show history: $out"
run osl profile show redis --version 1
expect_rc 0 "show --version 1"
printf '%s\n' "$out" | grep -q epoll_wait && fail "version 1 shows epoll_wait: $out"
printf '%s\n' "$out" | grep -Eq '^Version: +1$' || fail "show --version 1: $out"
run osl profile show redis --json
expect_rc 0 "show --json"
# The stored document, plus its history (history.jsonl) and what profile
# show derives (doc/profiles.md).
[ "$(jq -S 'del(.generalized, .history)' "$WORK/.out")" = "$(jq -S . "$(image_dir $IMG)/profile.json")" ] ||
        fail "show --json is not the stored document"
[ "$(jq -c '.history[]' "$WORK/.out")" = "$(jq -c . "$(image_dir $IMG)/history.jsonl")" ] ||
        fail "show --json's history is not history.jsonl's"
jq -e '.generalized | type == "array"' "$WORK/.out" >/dev/null || fail "show --json has no generalized list"
"$PY" - "$out" <<'PY' || fail "show --json evidence: $out"
import json, sys
p = json.loads(sys.argv[1])
e = {s["name"]: s for s in p["syscalls"]}
assert e["read"]["sample"] == {"pid": 7, "comm": "redis-check", "containerId": "cb"}, e["read"]
# The earliest start (b and c have no times of their own) and a's lastSeen.
assert e["read"]["firstSeen"] == "2026-11-28T10:00:00.000Z", e["read"]
assert e["read"]["lastSeen"] == "2026-11-28T10:00:02Z", e["read"]
assert "sample" not in e["futex"] and "sample" not in e["epoll_wait"], e
PY
run osl profile show redis --version 7
expect_rc 3 "show of a version not stored"
expect_one_line_error "show --version 7" "version 7 of docker.io/library/redis is not stored \(the newest is 2\)"

# diff
run osl profile diff redis
expect_rc 0 diff
[ "$out" = "$(printf '%s\n' "$IMG: version 1 -> 2" "+  SCMP_ARCH_X86_64  epoll_wait")" ] || fail "diff: $out"
run osl profile diff redis 2 1 --json
"$PY" - "$out" <<'PY' || fail "diff 2 1 --json: $out"
import json, sys
r = json.loads(sys.argv[1])
assert r["from"] == 2 and r["to"] == 1 and r["addedSyscalls"] == [], r
assert r["removedSyscalls"] == [{"arch": "SCMP_ARCH_X86_64", "name": "epoll_wait"}], r
PY
run osl profile diff redis 0 --json
"$PY" - "$out" <<'PY' || fail "diff 0 --json: $out"
import json, sys
r = json.loads(sys.argv[1])
assert r["from"] == 0 and r["to"] == 2 and len(r["addedSyscalls"]) == 4 and r["addedCapabilities"] == ["CAP_NET_BIND_SERVICE"], r
PY
run osl profile diff redis 2 2
[ "$out" = "$(printf '%s\n' "$IMG: version 2 -> 2" "no differences")" ] || fail "diff 2 2: $out"
run osl profile diff redis 1 9
expect_rc 3 "diff with a version not stored"

# export
run osl profile export redis
expect_rc 0 export
"$PY" - "$out" <<'PY' || fail "export: $out"
import json, sys
p = json.loads(sys.argv[1])
assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == 1, p
assert p["architectures"] == ["SCMP_ARCH_X86_64"], p
assert p["syscalls"] == [{"names": ["epoll_wait", "futex", "read", "write"], "action": "SCMP_ACT_ALLOW"}], p
PY
run osl profile export redis --version 1 --format docker
expect_rc 0 "export --format docker"
"$PY" - "$out" <<'PY' || fail "export --format docker: $out"
import json, sys
p = json.loads(sys.argv[1])
# What docker's types.Seccomp reads; anything else would be ignored or refused.
allowed = {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls", "flags", "listenerPath", "listenerMetadata"}
assert set(p) <= allowed, p.keys()
names = [n for r in p["syscalls"] for n in r["names"]]
assert "epoll_wait" not in names and "read" in names, p
PY
run osl profile export redis --format yaml
expect_rc 2 "export --format yaml"
expect_one_line_error "export --format yaml" "--format is oci, docker, spo, podman-label, docker-caps or kubernetes"

# usage and help
for sub in "" list show diff export install merge drift accept; do
        run osl profile $sub --help
        expect_rc 0 "profile $sub --help"
        printf '%s\n' "$out" | head -1 | grep -q "^Usage: oci-seccomp-learn.* profile $sub" || fail "profile $sub --help: $out"
done
run osl profile
expect_rc 2 "profile without a subcommand"
run osl profile frobnicate
expect_rc 2 "unknown subcommand"
expect_one_line_error "unknown subcommand" "unknown subcommand 'frobnicate'"
run osl profile show
expect_rc 2 "show without an image"
run osl profile show redis --version 0
expect_rc 2 "show --version 0"
run osl profile show redis --version
expect_rc 2 "show --version without a value"
run osl profile list --bogus
expect_rc 2 "list --bogus"
expect_one_line_error "list --bogus" "unknown option '--bogus'"
run osl profile diff redis x
expect_rc 2 "diff with a bad version"
run osl profile merge redis
expect_rc 2 "merge without files"
run osl profile show 'NOT A REFERENCE'
expect_rc 1 "show of an invalid reference"

# The store comes from --store, else $OCI_SECCOMP_LEARN_STORE.
run env OCI_SECCOMP_LEARN_STORE="$STORE" "$OSL_BIN" profile list --json
printf '%s\n' "$out" | grep -q redis || fail "OCI_SECCOMP_LEARN_STORE was not used: $out $err"

finish
