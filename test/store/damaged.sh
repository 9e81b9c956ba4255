#!/bin/bash
# A damaged store is not a missing profile: `inject --missing-profile run`
# lets a container run with its own seccomp profile only when no profile was
# ever stored for its image; when the image's profile.json is gone (versions
# still there) or unreadable, enforce refuses and leaves the config as it was.
. "$(dirname "$0")/lib.sh"

B=$WORK/bundle
mkdir -p "$B"
cfg() {
        printf '{"ociVersion":"1.0.2","process":{"args":["/bin/true"]},"root":{"path":"rootfs"},"annotations":{"io.seccomp-learn.mode":"enforce","io.seccomp-learn.image":"%s"}}\n' "$1" >"$B/config.json"
        cp "$B/config.json" "$WORK/config.orig"
}
inject() { run "$OSL_BIN" --store "$STORE" --run-dir "$WORK/run" inject --missing-profile run "$B"; }
unchanged() { cmp -s "$B/config.json" "$WORK/config.orig" || fail "$1: the config changed"; }

IMG=docker.io/library/damaged
DIR=$(image_dir $IMG)
obs "$WORK/obs.json" c1 image:$IMG sys:SCMP_ARCH_X86_64:application:read:1
run osl profile merge $IMG "$WORK/obs.json"
expect_rc 0 "merge"

# Never stored: runs, with the warning.
cfg docker.io/library/never-stored
inject
expect_rc 0 "a truly missing profile with --missing-profile run"
printf '%s\n' "$err" | grep -q "no profile is stored for docker.io/library/never-stored.*runs with its own seccomp profile" ||
        fail "no warning for a missing profile: $err"
unchanged "a missing profile"

# profile.json gone, versions/ still there.
cfg $IMG
mv "$DIR/profile.json" "$WORK/profile.json"
inject
expect_one_line_error "enforce on a store whose profile.json is gone" \
        "enforce mode: the store of $IMG is damaged: $DIR/profile.json is missing, but $DIR/versions holds versions"
unchanged "profile.json gone"
echo "profile.json gone: $err"
run osl profile show $IMG
expect_one_line_error "profile show on that store" "is damaged"
[ "$rc" -eq 1 ] || fail "profile show of a damaged image: exit $rc, expected 1 (3 means not stored)"

# profile.json truncated, or unreadable as the store's owner would find it.
head -c 100 "$WORK/profile.json" >"$DIR/profile.json"
inject
expect_one_line_error "enforce on a truncated profile.json" "enforce mode: .*profile.json"
unchanged "profile.json truncated"
rm "$DIR/profile.json"
mkdir "$DIR/profile.json"
inject
expect_one_line_error "enforce on a profile.json that is a directory" "enforce mode: .*profile.json is not a regular file"
unchanged "profile.json a directory"
rmdir "$DIR/profile.json"

# The next merge restores the profile from versions/.
obs "$WORK/obs2.json" c2 image:$IMG sys:SCMP_ARCH_X86_64:application:read:1
run osl profile merge $IMG "$WORK/obs2.json"
expect_rc 0 "a merge into the damaged image"
inject
expect_rc 0 "enforce once the merge restored profile.json"
cmp -s "$B/config.json" "$WORK/config.orig" && fail "enforce did not put the profile into the config"

finish
