#!/bin/bash
# A lock held forever (here by root's flock(1)) stalls no writer: `profile
# merge --lock-timeout` gives up with one line and changes nothing; the
# poststop hook gives up within its budget and keeps the observation in
# RUN/pending/, which `profile merge --pending` merges once the lock is free.
. "$(dirname "$0")/lib.sh"

command -v flock >/dev/null && command -v setsid >/dev/null || { echo "SKIP: needs flock and setsid (util-linux)"; exit 77; }
RUN=$WORK/run
IMG=docker.io/library/locked
DIR=$(image_dir $IMG)
obs "$WORK/obs1.json" c1 image:$IMG sys:SCMP_ARCH_X86_64:application:read:1
run osl profile merge $IMG "$WORK/obs1.json"
expect_rc 0 "first merge"

hold_lock "$DIR/lock"
tree_sums "$DIR" >"$WORK/before"
obs "$WORK/obs2.json" c2 image:$IMG sys:SCMP_ARCH_X86_64:application:mkdir:1
for t in 1 0 0.3; do
        run timeout 60 "$OSL_BIN" --store "$STORE" profile merge --lock-timeout $t $IMG "$WORK/obs2.json"
        expect_one_line_error "merge --lock-timeout $t with the lock held" \
                "obs2.json: cannot lock $DIR/lock: another process still holds it after $t s; gave up"
        [ "$rc" -ne 124 ] || fail "merge --lock-timeout $t did not give up by itself"
done
echo "merge with the lock held: $err"
tree_sums "$DIR" >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "a merge that gave up changed the store"
run osl profile merge --lock-timeout x $IMG "$WORK/obs2.json"
expect_rc 2 "--lock-timeout x"

# The poststop hook of a learning container whose agent wrote obs2.
mkdir -p "$RUN/observations"
# The agent names an observation by the container instance: the id and the
# first 16 hex digits of the SHA-256 of the bundle path (lib/rundir.h).
KEY2="c2-$(printf %s /nonexistent | sha256sum | cut -c1-16)"
OBS2="$RUN/observations/$KEY2.json"
cp "$WORK/obs2.json" "$OBS2"
state='{"ociVersion":"1.0.2","id":"c2","status":"stopped","pid":0,"bundle":"/nonexistent",
        "annotations":{"io.seccomp-learn.mode":"learn","io.seccomp-learn.image":"'$IMG'"}}'
set +e
printf '%s' "$state" | timeout 60 "$OSL_BIN" --store "$STORE" --run-dir "$RUN" poststop >"$WORK/poststop.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "poststop exited $rc: $(cat "$WORK/poststop.out")"
grep -q "container c2: cannot lock $DIR/lock: another process still holds it after 10 s; gave up (observation kept in $RUN/pending/$KEY2@2026-11-28T10:00:00.000Z.json for a later merge)" "$RUN/hooks.log" ||
        fail "the hooks log does not say why and where: $(cat "$RUN/hooks.log")"
echo "hooks.log: $(grep 'container c2' "$RUN/hooks.log" | head -1)"
[ ! -e "$OBS2" ] || fail "the observation is still in observations/"
[ "$(ls "$RUN/pending")" = "$KEY2@2026-11-28T10:00:00.000Z.json" ] || fail "pending/ holds: $(ls "$RUN/pending")"
[ "$(stat -c %a "$RUN/pending/$KEY2@2026-11-28T10:00:00.000Z.json")" = 600 ] || fail "the pending observation is not 0600"
tree_sums "$DIR" >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "the poststop that gave up changed the store"

run "$OSL_BIN" --store "$STORE" --run-dir "$RUN" profile merge --pending --lock-timeout 0.2
expect_one_line_error "merge --pending with the lock still held" "$KEY2@.*: .*another process still holds it"
[ -e "$RUN/pending/$KEY2@2026-11-28T10:00:00.000Z.json" ] || fail "a failed merge --pending lost the observation"

release_lock
run "$OSL_BIN" --store "$STORE" --run-dir "$RUN" profile merge --pending --lock-timeout 0
expect_rc 0 "merge --pending once the lock is free"
printf '%s\n' "$out" | grep -q "$KEY2@.*: $IMG: new version 2" || fail "merge --pending said: $out"
[ -z "$(ls "$RUN/pending")" ] || fail "pending/ still holds: $(ls "$RUN/pending")"
run osl profile show $IMG --json
printf '%s' "$out" | grep -q '"mkdir"' || fail "mkdir was not merged"
run "$OSL_BIN" --store "$STORE" --run-dir "$RUN" profile merge --pending
expect_rc 0 "merge --pending with nothing pending"
[ "$out" = "nothing pending in $RUN/pending" ] || fail "merge --pending with nothing pending said: $out"
run "$OSL_BIN" --store "$STORE" --run-dir "$RUN" profile merge --pending $IMG
expect_rc 2 "merge --pending IMAGE"

finish
