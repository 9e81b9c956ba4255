#!/bin/bash
# Nobody but the store's owner can read the store or hold an image's lock:
# directories are 0700 and files 0600, and a writer makes a store left by
# an older version (0755 and 0644) private again. The other user is uid
# 65534 (nobody), run with setpriv as an attacker would be.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to act as another user"; exit 77; }
command -v setpriv >/dev/null && command -v flock >/dev/null || { echo "SKIP: needs setpriv and flock (util-linux)"; exit 77; }
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }

# Only the store's own modes may stand in the way: the test's directory
# can be passed through by everyone.
chmod 0711 "$WORK"
IMG=docker.io/library/private
DIR=$(image_dir $IMG)
obs "$WORK/obs1.json" c1 image:$IMG sys:SCMP_ARCH_X86_64:application:read:1
run osl profile merge $IMG "$WORK/obs1.json"
expect_rc 0 "first merge"
obs "$WORK/obs2.json" c2 image:$IMG sys:SCMP_ARCH_X86_64:application:mkdir:1
"$OSL_STORE_HELPER" drift "$STORE" $IMG 1 "$WORK/obs2.json" >/dev/null || fail "recording drift"

# mode PATH: the permission bits, octal.
mode() { stat -c %a "$1"; }
for d in "$STORE" "$STORE/images" "$DIR" "$DIR/versions"; do
        [ "$(mode "$d")" = 700 ] || fail "$d has mode $(mode "$d"), expected 700"
done
for f in "$DIR/profile.json" "$DIR/versions/1.json" "$DIR/drift.json" "$DIR/lock" "$WORK/obs1.json"; do
        [ "$(mode "$f")" = 600 ] || fail "$f has mode $(mode "$f"), expected 600"
done
echo "modes: directories 700, files 600 (observations too)"

# expect_denied DESCRIPTION: after run, as nobody: refused with EACCES.
expect_denied() {
        if [ "$rc" -eq 0 ] || ! printf '%s\n' "$err" | grep -q 'Permission denied'; then
                fail "$1: expected 'Permission denied', got exit $rc: $err"
        else
                echo "nobody: $1: $err"
        fi
}
run as_nobody cat "$DIR/profile.json"
expect_denied "reading profile.json"
run as_nobody flock -n "$DIR/lock" true
expect_denied "opening the lock"
run as_nobody ls "$STORE"
expect_denied "listing the store"

# A store as an older version left it: everything open to everyone.
chmod 0755 "$STORE" "$STORE/images" "$DIR" "$DIR/versions"
chmod 0644 "$DIR/profile.json" "$DIR/versions/1.json" "$DIR/drift.json" "$DIR/lock"
run as_nobody cat "$DIR/profile.json"
expect_rc 0 "nobody reads profile.json of a 0644 store (the old problem)"
# nobody takes the lock of the old store and keeps it.
hold_lock "$DIR/lock" setpriv --reuid 65534 --regid 65534 --clear-groups
tree_sums "$DIR" >"$WORK/before"
run timeout 60 "$OSL_BIN" --store "$STORE" profile merge --lock-timeout 1 $IMG "$WORK/obs2.json"
expect_one_line_error "a merge while nobody holds the lock" "cannot lock .*/lock: another process still holds it after 1 s"
[ "$rc" -ne 124 ] || fail "the merge did not give up by itself"
tree_sums "$DIR" >"$WORK/after"
cmp -s "$WORK/before" "$WORK/after" || fail "the merge that gave up changed the store"
# It did make the store private again before waiting.
for d in "$STORE" "$STORE/images" "$DIR" "$DIR/versions"; do
        [ "$(mode "$d")" = 700 ] || fail "after a write $d has mode $(mode "$d"), expected 700"
done
for f in "$DIR/profile.json" "$DIR/versions/1.json" "$DIR/drift.json" "$DIR/lock"; do
        [ "$(mode "$f")" = 600 ] || fail "after a write $f has mode $(mode "$f"), expected 600"
done
release_lock
run as_nobody flock -n "$DIR/lock" true
expect_denied "opening the lock once the store is private again"
run osl profile merge --lock-timeout 0 $IMG "$WORK/obs2.json"
expect_rc 0 "the merge once nobody's lock is gone"
run osl profile show $IMG --json
printf '%s' "$out" | grep -q '"mkdir"' || fail "mkdir was not merged"

# A store created by a writer, below a new parent: private from the start.
run "$OSL_BIN" --store "$WORK/new/store" profile merge $IMG "$WORK/obs1.json"
expect_rc 0 "merge into a new store"
[ "$(mode "$WORK/new/store")" = 700 ] || fail "a new store root has mode $(mode "$WORK/new/store")"

finish
