#!/bin/bash
# 64 `profile merge` processes at once into one image, each adding a
# different syscall: afterwards every syscall is there, versions are 1..64
# with no gap or repeat, and versions/<N>.json agree with the history.
. "$(dirname "$0")/lib.sh"

N=64
IMG=docker.io/library/concurrent
"$OSL_STORE_HELPER" names | grep '^SCMP_ARCH_X86_64 ' | head -n $N >"$WORK/names"
[ "$(wc -l <"$WORK/names")" -eq $N ] || { echo "libseccomp knows fewer than $N syscalls?" >&2; exit 1; }

i=0
while read -r arch name; do
        obs "$WORK/obs$i.json" "container$i" image:$IMG "sys:$arch:application:$name:1"
        i=$((i + 1))
done <"$WORK/names"

# All start together: each waits for the go file, then merges.
mkdir -p "$WORK/rc"
for i in $(seq 0 $((N - 1))); do
        (
                while [ ! -e "$WORK/go" ]; do sleep 0.01; done
                set +e
                "$OSL_BIN" --store "$STORE" profile merge $IMG "$WORK/obs$i.json" >"$WORK/rc/$i.out" 2>&1
                echo $? >"$WORK/rc/$i"
        ) &
done
sleep 0.2
touch "$WORK/go"
wait

for i in $(seq 0 $((N - 1))); do
        [ "$(cat "$WORK/rc/$i")" = 0 ] || fail "merge $i failed: $(cat "$WORK/rc/$i.out")"
done

DIR=$(image_dir $IMG)
"$PY" - "$DIR" "$WORK/names" $N <<'PY' || fail "the store after concurrent merges is not right"
import json, os, sys
d, names_file, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
want = {tuple(l.split()) for l in open(names_file)}
p = json.load(open(os.path.join(d, "profile.json")))
assert "history" not in p, "profile.json embeds the history"
p["history"] = [json.loads(l) for l in open(os.path.join(d, "history.jsonl"))]
have = {(s["arch"], s["name"]) for s in p["syscalls"]}
assert have == want, f"missing {want - have}, extra {have - want}"
assert p["version"] == n, p["version"]
assert [h["version"] for h in p["history"]] == list(range(1, n + 1)), [h["version"] for h in p["history"]]
added = [(a["arch"], a["name"]) for h in p["history"] for a in h["addedSyscalls"]]
assert len(added) == n and set(added) == want, "history does not add each syscall exactly once"
files = sorted(os.listdir(os.path.join(d, "versions")), key=lambda f: int(f.split(".")[0]))
assert files == [f"{v}.json" for v in range(1, n + 1)], files
# Store v2: each version file holds what its version changed; laid over
# one another, they make the version.
laid = set()
for v in range(1, n + 1):
    pv = json.load(open(os.path.join(d, "versions", f"{v}.json")))
    assert "seccomp" not in pv, f"versions/{v}.json holds more than its changes"
    laid |= {(s["arch"], s["name"]) for s in pv["syscalls"]}
    assert pv["version"] == v, (v, pv["version"])
    assert pv["record"] == p["history"][v - 1], f"versions/{v}.json: its record differs from history.jsonl's"
    so_far = {(a["arch"], a["name"]) for h in p["history"][:v] for a in h["addedSyscalls"]}
    assert laid == so_far, f"versions/1..{v}.json syscalls differ"
    assert all(s["addedIn"] <= v for s in pv["syscalls"])
assert sorted(p["merged"]) == sorted(f"container{i}@2026-11-28T10:00:00.000Z" for i in range(n)), p["merged"]
print(f"{n} merges: versions 1..{n}, {len(have)} syscalls")
PY
validate profile.schema.json "$DIR/profile.json" "$DIR"/versions/*.json || fail "schema"
finish
