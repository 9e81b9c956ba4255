#!/bin/bash
# Crash safety: a loop of `profile merge` is killed with SIGKILL at random
# moments, 100 times. After each kill the store loads and validates, holds
# the old or the new version (never a mix, never less than before), every
# merge that had returned is in it, and versions/ agrees with profile.json.
. "$(dirname "$0")/lib.sh"
set -m # each background job gets its own process group, killed as one

IMG=docker.io/library/crash
KILLS=${OSL_CRASH_KILLS:-100}
# Every name but the first merge's read, so that each third merge adds one.
"$OSL_STORE_HELPER" names | grep -v ' read$' >"$WORK/names"
echo 0 >"$WORK/counter"

# Every third observation adds a new syscall (a new version); the others
# add nothing, and write nothing. The counter moves on only after a merge returned 0.
cat >"$WORK/loop.sh" <<'LOOP'
set -u
k=$(cat "$W/counter")
while :; do
        if [ $((k % 3)) -eq 0 ]; then
                set -- $(sed -n "$((k / 3 + 1))p" "$W/names")
        else
                set -- $(sed -n 1p "$W/names")
        fi
        [ $# -eq 2 ] || exit 0 # out of names
        "$OSL_STORE_HELPER" obs "$W/o$k.json" "c$k" 2026-11-28T10:00:00.000Z "sys:$1:application:$2:1" || exit 1
        if ! "$OSL_BIN" --store "$STORE" profile merge "$IMG" "$W/o$k.json" >/dev/null 2>"$W/merge.err"; then
                cp "$W/merge.err" "$W/failed"
                exit 1
        fi
        k=$((k + 1))
        echo $k >"$W/counter.new" && mv "$W/counter.new" "$W/counter"
done
LOOP

check() {
        local what=$1
        run osl profile show $IMG --json
        if [ "$rc" -ne 0 ]; then
                fail "$what: show --json exited $rc: $err"
                return
        fi
        cp "$WORK/.out" "$WORK/shown.json"
        validate profile.schema.json "$WORK/shown.json" || fail "$what: the profile does not validate"
        "$PY" - "$(image_dir $IMG)" "$WORK/shown.json" "$WORK/state" "$(cat "$WORK/counter")" <<'PY' || fail "$what"
import json, os, sys
d, shown, state_file, counter = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = json.load(open(shown))
v = p["version"]
files = {int(f.split(".")[0]) for f in os.listdir(os.path.join(d, "versions")) if not f.startswith(".")}
# 1..v published; at most v+1 beyond, left by a merge killed before profile.json.
assert set(range(1, v + 1)) <= files and files <= set(range(1, v + 2)), (v, sorted(files))
for k in range(1, v + 1):
    pk = json.load(open(os.path.join(d, "versions", f"{k}.json")))
    # Store v2: a version file holds its own history record only.
    assert pk["version"] == k and pk["record"] == p["history"][k - 1], f"versions/{k}.json"
    assert "history" not in pk, f"versions/{k}.json embeds the history"
key = lambda s: (s["arch"], s["name"])
have = {key(s) for s in p["syscalls"]}
# Each version file holds what its version changed: laid over one another
# they make profile.json's syscalls.
laid = set()
for k in range(1, v + 1):
    laid |= {key(s) for s in json.load(open(os.path.join(d, "versions", f"{k}.json")))["syscalls"]}
assert laid == have, "versions/1..N.json and profile.json hold different syscalls"
# Never less than before.
prev_v, prev = 0, set()
if os.path.exists(state_file):
    st = json.load(open(state_file))
    prev_v, prev = st["version"], {tuple(x) for x in st["syscalls"]}
assert v >= prev_v and have >= prev, f"went back: version {prev_v} -> {v}, lost {prev - have}"
# Every merge that returned and added something is in.
merged = set(p["merged"])
lost = [k for k in range(0, counter, 3) if f"c{k}@2026-11-28T10:00:00.000Z" not in merged]
assert not lost, f"merges that returned but are not stored: {lost[:10]}"
json.dump({"version": v, "syscalls": sorted(have)}, open(state_file, "w"))
PY
}

# A first version, so that there is always something to load.
obs "$WORK/first.json" first "sys:SCMP_ARCH_X86_64:application:read:1"
run osl profile merge $IMG "$WORK/first.json"
expect_rc 0 "first merge"

for i in $(seq 1 "$KILLS"); do
        W=$WORK STORE=$STORE IMG=$IMG OSL_BIN=$OSL_BIN OSL_STORE_HELPER=$OSL_STORE_HELPER bash "$WORK/loop.sh" &
        pgid=$!
        KILL_ON_EXIT=$pgid
        sleep "0.$(printf '%03d' $((RANDOM % 250)))"
        kill -KILL -- "-$pgid" 2>/dev/null || true
        wait "$pgid" 2>/dev/null || true
        KILL_ON_EXIT=
        if [ -e "$WORK/failed" ]; then
                fail "kill $i: a merge failed: $(cat "$WORK/failed")"
                break
        fi
        check "after kill $i (counter $(cat "$WORK/counter"))"
        [ "$failures" -eq 0 ] || break
done

# Undisturbed, the next merge finishes whatever a kill interrupted and
# leaves no temporary files behind.
obs "$WORK/last.json" last "sys:SCMP_ARCH_X86_64:application:read:1"
run osl profile merge $IMG "$WORK/last.json"
expect_rc 0 "last merge"
check "after the last merge"
leftovers=$(find "$(image_dir $IMG)" -name '.tmp-*')
[ -z "$leftovers" ] || fail "temporary files left: $leftovers"
echo "$(cat "$WORK/counter") merges returned; version $(osl profile show $IMG --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
finish
