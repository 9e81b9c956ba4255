#!/bin/bash
# Store v2 (doc/store.md): a store written by the format before it
# (test/store/fixtures/v1-store, made by that binary, with what it printed in
# fixtures/v1-expected) reads the same and is migrated by its first write;
# history.jsonl survives a torn last line and a missing record; summary.json
# is believed only for the profile.json it was made from; a merge that adds
# nothing writes nothing; profile prune and profile rm.
. "$(dirname "$0")/lib.sh"

FIX=$OSL_STORE_TEST_DIR/fixtures
EXP=$FIX/v1-expected
IMG=docker.io/library/redis

# A fresh copy of the v1 store at $STORE.
v1_store() {
        rm -rf "$STORE"
        cp -r "$FIX/v1-store" "$STORE"
}
# same WHAT EXPECTED-FILE: $out (after run) is what the v1 binary printed.
same() {
        [ "$out" = "$(cat "$1")" ] || fail "$2: differs from what the v1 binary printed: $(diff <(printf '%s\n' "$out") "$1" | head -20)"
}
reads_like_v1() {
        local what=$1
        run osl profile show redis --json; expect_rc 0 "$what: show --json"; same "$EXP/show-redis.json" "$what: show --json"
        # A migrated version file keeps no merged list of its own.
        run osl profile show redis --version 2 --json; expect_rc 0 "$what: show --version 2"
        [ "$(jq -S 'del(.schemaVersion, .merged)' "$WORK/.out")" = "$(jq -S 'del(.schemaVersion, .merged)' "$EXP/show-redis-v2.json")" ] ||
                fail "$what: show --version 2 --json differs from what the v1 binary printed"
        run osl profile show redis; same "$EXP/show-redis.txt" "$what: show"
        run osl profile list; expect_rc 0 "$what: list"; same "$EXP/list.txt" "$what: list"
        run osl profile list --json; same "$EXP/list.json" "$what: list --json"
        run osl profile diff redis 1 3; same "$EXP/diff-1-3.txt" "$what: diff 1 3"
        run osl profile drift redis --json; same "$EXP/drift.json" "$what: drift --json"
        run osl profile export redis --format oci; same "$EXP/export-oci.json" "$what: export"
}

DIR=$(image_dir $IMG)

# ---- a v1 store is read as it was ----
v1_store
reads_like_v1 "v1 store"

# ---- a merge that adds nothing writes nothing (and migrates nothing) ----
obs "$WORK/old.json" c-old image:$IMG sys:SCMP_ARCH_X86_64:application:read:5
before=$(tree_sums "$STORE")
run osl profile merge $IMG "$WORK/old.json"
expect_rc 0 "merge of nothing new"
[ "$out" = "$WORK/old.json: $IMG: no change (version 3)" ] || fail "merge of nothing new said: $out"
[ "$(tree_sums "$STORE")" = "$before" ] || fail "a merge that added nothing changed the store"
[ ! -e "$DIR/history.jsonl" ] || fail "a merge that added nothing migrated the store"

# ---- the first write migrates ----
obs "$WORK/new.json" c-new image:$IMG tag:8 sys:SCMP_ARCH_X86_64:application:mmap:1
run osl profile merge $IMG "$WORK/new.json"
expect_rc 0 "first write"
[ "$out" = "$WORK/new.json: $IMG: new version 4 (+1 syscalls, +0 capabilities)" ] || fail "first write said: $out"
"$PY" - "$DIR" "$EXP/show-redis.json" <<'PY' || fail "the migrated store is not v2"
import json, os, sys
d, exp = sys.argv[1], json.load(open(sys.argv[2]))
p = json.load(open(os.path.join(d, "profile.json")))
assert p["schemaVersion"] == 2 and p["version"] == 4 and "history" not in p, p.keys()
lines = open(os.path.join(d, "history.jsonl")).read().split("\n")
assert lines[-1] == "", "history.jsonl does not end with a newline"
h = [json.loads(l) for l in lines[:-1]]
assert h[:3] == exp["history"], "the old history was not kept"
assert [r["version"] for r in h] == [1, 2, 3, 4] and h[3]["containerId"] == "c-new" and h[3]["imageTag"] == "8", h[3]
for v in range(1, 5):
    pv = json.load(open(os.path.join(d, "versions", f"{v}.json")))
    assert pv["schemaVersion"] == 2 and "history" not in pv and pv["record"] == h[v - 1], v
assert json.load(open(os.path.join(d, "versions", "4.json")))["merged"] == ["c-new@2026-11-28T10:00:00.000Z"]
assert p["merged"] == exp["merged"] + ["c-new@2026-11-28T10:00:00.000Z"], p["merged"]
s = json.load(open(os.path.join(d, "summary.json")))
assert s["version"] == 4 and s["syscalls"] == 6 and s["capabilities"] == 1, s
PY
validate profile.schema.json "$DIR/profile.json" "$DIR"/versions/*.json || fail "the migrated files do not validate"
"$PY" -c 'import sys; [open(f"{sys.argv[2]}/h{i}.json", "w").write(l) for i, l in enumerate(open(sys.argv[1]))]' \
        "$DIR/history.jsonl" "$WORK"
validate history-record.schema.json "$WORK"/h*.json || fail "history.jsonl's lines do not validate"
for f in "$DIR/history.jsonl" "$DIR/summary.json"; do
        [ "$(stat -c %a "$f")" = 600 ] || fail "$f has mode $(stat -c %a "$f"), expected 600"
done
# Readers see the same old versions, and the new one.
run osl profile show redis --version 2 --json
"$PY" - "$out" "$EXP/show-redis-v2.json" <<'PY' || fail "version 2 after the migration: $out"
import json, sys
now, exp = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
for k in ("image", "version", "updated", "seccomp", "syscalls", "capabilities", "history", "generalized"):
    assert now[k] == exp[k], k
assert now["merged"] == [] and now["schemaVersion"] == 2
PY
run osl profile diff redis 1 3; same "$EXP/diff-1-3.txt" "migrated: diff 1 3"
run osl profile drift redis --json; same "$EXP/drift.json" "migrated: drift --json"
run osl profile show redis --json
validate profile.schema.json "$WORK/.out" || fail "show --json of the migrated store does not validate"
[ "$(jq '.history | length' "$WORK/.out")" = 4 ] || fail "show --json: history of the migrated store: $out"
run osl profile accept redis
expect_rc 0 "accept after the migration"
[ "$out" = "$IMG: accepted the drift of 1 container: new version 5 (+1 syscalls, +0 capabilities)" ] || fail "accept: $out"
[ "$(wc -l <"$DIR/history.jsonl")" = 5 ] || fail "accept did not append its record"

# ---- a migration that died before profile.json: readers read both forms ----
v1_store
cp "$DIR/profile.json" "$WORK/v1-profile.json"
run osl profile merge $IMG "$WORK/new.json"
expect_rc 0 "migrating merge"
# As if it had died after the history and the old versions, before version 4.
cp "$WORK/v1-profile.json" "$DIR/profile.json"
rm -f "$DIR/versions/4.json" "$DIR/summary.json"
head -n 3 "$DIR/history.jsonl" >"$WORK/h3" && cat "$WORK/h3" >"$DIR/history.jsonl"
reads_like_v1 "half-migrated store"
run osl profile merge $IMG "$WORK/new.json"
expect_rc 0 "merge into a half-migrated store"
[ "$out" = "$WORK/new.json: $IMG: new version 4 (+1 syscalls, +0 capabilities)" ] || fail "merge into a half-migrated store: $out"
[ "$(jq -c '[.history[].version]' <(osl profile show redis --json))" = "[1,2,3,4]" ] || fail "history after finishing the migration"

# ---- history.jsonl: a torn last line, a record not appended yet ----
printf '{"version":5,"time":"2026-' >>"$DIR/history.jsonl"
run osl profile show redis --json
expect_rc 0 "show with a torn history line"
[ "$(jq -c '[.history[].version]' "$WORK/.out")" = "[1,2,3,4]" ] || fail "torn line: history $(jq -c '[.history[].version]' "$WORK/.out")"
obs "$WORK/n5.json" c5 image:$IMG sys:SCMP_ARCH_X86_64:application:munmap:1
run osl profile merge $IMG "$WORK/n5.json"
expect_rc 0 "merge after a torn line"
"$PY" - "$DIR/history.jsonl" <<'PY' || fail "the torn line was not cut off: $(cat "$DIR/history.jsonl")"
import json, sys
t = open(sys.argv[1]).read()
assert t.endswith("\n")
assert [json.loads(l)["version"] for l in t.splitlines()] == [1, 2, 3, 4, 5]
PY
# A merge that died between versions/5.json and its line: the line comes
# from the version file, for readers and for the next writer.
head -n 4 "$DIR/history.jsonl" >"$WORK/h4" && cat "$WORK/h4" >"$DIR/history.jsonl"
[ "$(jq -c '[.history[].version]' <(osl profile show redis --json))" = "[1,2,3,4,5]" ] || fail "a missing last record is not read from its version file"
obs "$WORK/n6.json" c6 image:$IMG sys:SCMP_ARCH_X86_64:application:brk:1
run osl profile merge $IMG "$WORK/n6.json"
expect_rc 0 "merge after a lost line"
[ "$(jq -c .version "$DIR/history.jsonl" | tr '\n' ' ')" = "1 2 3 4 5 6 " ] || fail "the lost line was not restored: $(cat "$DIR/history.jsonl")"
# A damaged line in the middle is an error naming the file, not a short history.
cp "$DIR/history.jsonl" "$WORK/good-history"
sed -i '2s/.*/{"version":2,"time":7}/' "$DIR/history.jsonl"
run osl profile show redis
expect_one_line_error "show with a damaged history line" "history.jsonl.*time"
cp "$WORK/good-history" "$DIR/history.jsonl"

# ---- a merge that died between versions/N.json and profile.json ----
cp "$DIR/profile.json" "$WORK/p6.json"
obs "$WORK/n7.json" c7 image:$IMG sys:SCMP_ARCH_X86_64:application:sched_yield:1
run osl profile merge $IMG "$WORK/n7.json"
expect_rc 0 "merge 7"
cp "$WORK/p6.json" "$DIR/profile.json"
run osl profile list
expect_rc 0 "list after an unpublished version"
printf '%s\n' "$out" | grep -Eq "^$IMG +6 " || fail "list believed a summary of another profile.json: $out"
run osl profile merge $IMG "$WORK/old.json" # nothing new, but rolls version 7 forward
[ "$(jq .version "$DIR/profile.json")" = 7 ] || fail "version 7 was not rolled forward"
run osl profile merge $IMG "$WORK/n7.json"
printf '%s\n' "$out" | grep -q "already merged" || fail "the rolled-forward version lost its merged id: $out"

# ---- summary.json is only believed for its own profile.json ----
cp "$DIR/profile.json" "$WORK/p7.json"
printf '{"schemaVersion":2}' >"$DIR/profile.json"
run osl profile list
[ "$rc" -eq 1 ] || fail "list of a broken profile with an intact summary: exit $rc"
printf '%s\n' "$err" | grep -q "profile.json" || fail "list did not name the broken profile: $err"
cp "$WORK/p7.json" "$DIR/profile.json"
ln -sf /etc/passwd "$WORK/link" && mv "$DIR/summary.json" "$WORK/summary.json" && ln -s "$WORK/link" "$DIR/summary.json"
run osl profile list
expect_one_line_error "list with a symlinked summary" "summary.json is a symbolic link"
rm "$DIR/summary.json" && mv "$WORK/summary.json" "$DIR/summary.json"
mv "$DIR/history.jsonl" "$WORK/history.jsonl" && ln -s "$WORK/history.jsonl" "$DIR/history.jsonl"
run osl profile merge $IMG "$WORK/n5.json" "$WORK/new.json"
expect_one_line_error "merge with a symlinked history" "history.jsonl is a symbolic link"
rm "$DIR/history.jsonl" && mv "$WORK/history.jsonl" "$DIR/history.jsonl"

# ---- prune ----
run osl profile prune redis
expect_rc 2 "prune without --keep"
run osl profile prune redis --keep 0
expect_rc 2 "prune --keep 0"
run osl profile prune quay.io/none --keep 1
expect_rc 3 "prune of an image not stored"
expect_one_line_error "prune of an image not stored" "no profile is stored for quay.io/none"
hold_lock "$DIR/lock"
before=$(tree_sums "$DIR")
run osl profile prune redis --keep 2 --lock-timeout 0
expect_one_line_error "prune with the lock held" "cannot lock .*lock"
[ "$(tree_sums "$DIR")" = "$before" ] || fail "prune that could not lock changed the store"
release_lock
shown_before=$(osl profile show redis --json | jq -S 'del(.history)')
run osl profile prune redis --keep 2
expect_rc 0 prune
[ "$out" = "$IMG: kept versions 6 to 7, removed 5 older versions" ] || fail "prune said: $out"
[ "$(ls "$DIR/versions" | sort -n | tr '\n' ' ')" = "6.json 7.json " ] || fail "prune left $(ls "$DIR/versions")"
[ "$(jq -c .version "$DIR/history.jsonl" | tr '\n' ' ')" = "6 7 " ] || fail "prune left the history $(cat "$DIR/history.jsonl")"
[ "$(osl profile show redis --json | jq -S 'del(.history)')" = "$shown_before" ] || fail "prune changed the current profile"
run osl profile show redis --version 3
expect_rc 3 "show of a pruned version"
expect_one_line_error "show of a pruned version" "version 3 of docker.io/library/redis is not stored"
run osl profile diff redis 6 7
expect_rc 0 "diff after prune"
printf '%s\n' "$out" | grep -q sched_yield || fail "diff 6 7 after prune: $out"
run osl profile show redis
expect_rc 0 "show after prune"
printf '%s\n' "$out" | grep -Eq '^7 +20' || fail "show after prune lacks the history of version 7: $out"
obs "$WORK/n8.json" c8 image:$IMG sys:SCMP_ARCH_X86_64:application:getpid:1
run osl profile merge $IMG "$WORK/n8.json"
expect_rc 0 "merge after prune"
[ "$(jq -c .version "$DIR/history.jsonl" | tr '\n' ' ')" = "6 7 8 " ] || fail "history after prune and merge: $(cat "$DIR/history.jsonl")"
run osl profile prune redis --keep 10
[ "$out" = "$IMG: kept versions 1 to 8, removed 0 older versions" ] || fail "prune keeping more than there is: $out"
# A v1 store is migrated by prune.
v1_store
run osl profile prune redis --keep 1
expect_rc 0 "prune of a v1 store"
[ "$(jq .schemaVersion "$DIR/profile.json")" = 2 ] && [ "$(ls "$DIR/versions")" = 3.json ] || fail "prune of a v1 store: $(ls "$DIR/versions")"
run osl profile show redis --json
[ "$(jq -S 'del(.history, .schemaVersion)' "$WORK/.out")" = "$(jq -S 'del(.history, .schemaVersion)' "$EXP/show-redis.json")" ] ||
        fail "prune of a v1 store changed the profile"

# ---- rm ----
run osl profile rm
expect_rc 2 "rm without an image"
hold_lock "$DIR/lock"
run osl profile rm redis --lock-timeout 0
expect_one_line_error "rm with the lock held" "cannot lock .*lock"
[ -f "$DIR/profile.json" ] || fail "rm that could not lock removed the profile"
release_lock
run osl profile rm redis:7
expect_rc 0 rm
[ "$out" = "$IMG: removed from $STORE" ] || fail "rm said: $out"
[ ! -e "$DIR" ] || fail "rm left $DIR"
[ -z "$(ls -A "$STORE/images" | grep -v nginx)" ] || fail "rm left $(ls -A "$STORE/images")"
run osl profile show redis
expect_rc 3 "show after rm"
run osl profile list
printf '%s\n' "$out" | grep -q redis && fail "list after rm: $out"
printf '%s\n' "$out" | grep -q nginx || fail "rm removed another image: $out"
run osl profile rm redis
expect_rc 3 "rm of an image not stored"
expect_one_line_error "rm of an image not stored" "no profile is stored for docker.io/library/redis"
run osl profile merge $IMG "$WORK/new.json"
[ "$out" = "$WORK/new.json: $IMG: new version 1 (+1 syscalls, +0 capabilities)" ] || fail "merge after rm: $out"
# A merge waiting for the lock while rm removes the image makes a new one.
hold_lock "$DIR/lock"
osl profile rm redis >"$WORK/rm.out" 2>&1 &
rm_pid=$!
sleep 0.3
osl profile merge $IMG "$WORK/n5.json" >"$WORK/merge.out" 2>&1 &
merge_pid=$!
sleep 0.3
release_lock
rm_rc=0; wait $rm_pid || rm_rc=$?
merge_rc=0; wait $merge_pid || merge_rc=$?
[ $rm_rc -eq 0 ] && [ $merge_rc -eq 0 ] || fail "rm and merge at once: rm $rm_rc ($(cat "$WORK/rm.out")), merge $merge_rc ($(cat "$WORK/merge.out"))"
if grep -q "new version 1" "$WORK/merge.out"; then
        [ "$(osl profile show redis --json | jq .version)" = 1 ] || fail "the merge after rm is not stored"
else
        run osl profile show redis
        expect_rc 3 "rm after a merge"
fi
[ -z "$(ls -A "$STORE/images" | grep tmp)" ] || fail "rm left $(ls -A "$STORE/images")"
finish
