#!/bin/bash
# `profile attach` and `profile fetch` against an OCI image layout written by
# podman (a busybox image imported into a private podman storage and saved
# with --format oci-dir), read back by skopeo and umoci, copied by skopeo,
# and tampered with. doc/artifacts.md.
set -euo pipefail

: "${OSL_BIN:?OSL_BIN must name the oci-seccomp-learn binary}"

for tool in podman skopeo jq; do
        if ! command -v "$tool" >/dev/null; then
                echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"
                exit 77
        fi
done
if [ ! -x /bin/busybox ]; then
        echo "SKIP: /bin/busybox (busybox-static) is not installed"
        exit 77
fi

WORK=$(mktemp -d /tmp/osl-artifact-test.XXXXXX)
cleanup() {
        rm -rf "$WORK"
}
trap cleanup EXIT
STORE=$WORK/store
export OCI_SECCOMP_LEARN_STORE=/nonexistent-store-of-the-environment # --store must win
IMAGE=localhost/osl-artifact-test
TAG=$IMAGE:v1 # podman save names the image so in index.json
LAYOUT=$WORK/layout

# A private podman: its own storage under $WORK, nothing of the machine's
# touched (doc: /work/shared/runtime-facts.md for the runtime flags).
podman_() {
        timeout 120 podman --root "$WORK/podman/root" --runroot "$WORK/podman/run" --storage-driver vfs \
                --runtime runc --cgroup-manager=cgroupfs --events-backend none --tmpdir "$WORK/podman/tmp" "$@"
}
osl() {
        timeout 60 "$OSL_BIN" --store "$STORE" "$@"
}

failures=0
fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}

# Runs a command; sets $rc, $out (stdout) and $err (stderr).
run() {
        set +e
        "$@" >"$WORK/.out" 2>"$WORK/.err"
        rc=$?
        set -e
        out=$(cat "$WORK/.out")
        err=$(cat "$WORK/.err")
}
expect_ok() {
        if [ "$rc" -ne 0 ]; then
                fail "$1: exit code $rc (stderr: $err)"
        fi
}
# expect_error RC DESCRIPTION PATTERN: exit code RC, one line on stderr that
# matches PATTERN (grep -E), nothing on stdout.
expect_error() {
        if [ "$rc" -ne "$1" ]; then
                fail "$2: exit code $rc, expected $1 (stderr: $err)"
        fi
        if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [ -z "$err" ]; then
                fail "$2: expected one line on stderr, got: $err"
        fi
        if ! printf '%s\n' "$err" | grep -Eq -- "$3"; then
                fail "$2: stderr '$err' does not match '$3'"
        fi
        if [ -n "$out" ]; then
                fail "$2: expected nothing on stdout, got: $out"
        fi
}
blob() { # blob DIR DIGEST: the file of a blob
        echo "$1/blobs/sha256/${2#sha256:}"
}

# ---- an image in an OCI layout, made by podman ----
mkdir -p "$WORK/rootfs/bin" "$WORK/podman/tmp"
cp /bin/busybox "$WORK/rootfs/bin/busybox"
ln -s busybox "$WORK/rootfs/bin/sh"
tar -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
podman_ import "$WORK/rootfs.tar" "$TAG" >/dev/null
podman_ save --format oci-dir -o "$LAYOUT" "$TAG" >/dev/null 2>&1
image_digest=$(jq -r --arg t "$TAG" '.manifests[] | select(.annotations."org.opencontainers.image.ref.name" == $t) | .digest' "$LAYOUT/index.json")
case $image_digest in
sha256:*) ;;
*)
        echo "podman save wrote no manifest tagged $TAG: $(cat "$LAYOUT/index.json")" >&2
        exit 1
        ;;
esac
image_manifest_before=$(timeout 60 skopeo inspect --raw "oci:$LAYOUT:$TAG")
cp "$LAYOUT/index.json" "$WORK/index.before"

# ---- a learned profile ----
observation() { # observation FILE ID SYSCALL...
        local file=$1 id=$2
        shift 2
        local counts
        counts=$(printf '"%s": 1,' "$@")
        cat >"$file" <<EOF
{
    "schemaVersion": 1,
    "containerId": "$id",
    "image": {"key": "$IMAGE", "name": "$TAG", "tag": "v1", "digest": null},
    "startTime": "2026-11-28T10:00:00.000Z",
    "endTime": "2026-11-28T10:00:05.000Z",
    "method": "manual",
    "syscalls": {"SCMP_ARCH_X86_64": {"application": {${counts%,}}}}
}
EOF
}
observation "$WORK/obs1.json" artifact-test-1 read write exit_group execve
observation "$WORK/obs2.json" artifact-test-2 read write exit_group execve openat
run osl profile merge "$TAG" "$WORK/obs1.json"
expect_ok "merge the first observation"
osl profile export "$IMAGE" >"$WORK/v1.json"

# ---- attach ----
run osl profile attach "$TAG" --oci-layout "$LAYOUT" --tag "$TAG" --artifact-tag v1.seccomp
expect_ok "attach"
if ! printf '%s\n' "$out" | grep -Eq "^$IMAGE: version 1 attached to $image_digest in $LAYOUT as sha256:[0-9a-f]{64}$"; then
        fail "attach said: $out"
fi
artifact_v1=$(printf '%s\n' "$out" | sed -n 's/.* as \(sha256:[0-9a-f]*\)$/\1/p')

# What skopeo reads: the image is as it was, the artifact is what CRI-O wants.
run timeout 60 skopeo inspect --raw "oci:$LAYOUT:$TAG"
expect_ok "skopeo inspect the image after attach"
if [ "$out" != "$image_manifest_before" ]; then
        fail "the image's manifest changed"
fi
run timeout 60 skopeo inspect --raw "oci:$LAYOUT:v1.seccomp"
expect_ok "skopeo inspect the artifact"
printf '%s\n' "$out" >"$WORK/artifact.json"
check_jq() { # check_jq FILTER DESCRIPTION: FILTER must be true on the artifact manifest
        if ! jq -e "$1" "$WORK/artifact.json" >/dev/null; then
                fail "artifact manifest: $2 ($1): $(cat "$WORK/artifact.json")"
        fi
}
check_jq '.schemaVersion == 2 and .mediaType == "application/vnd.oci.image.manifest.v1+json"' "an OCI manifest"
check_jq '.artifactType == "application/vnd.cncf.seccomp-profile.config.v1+json"' "artifactType"
check_jq '.config.mediaType == "application/vnd.cncf.seccomp-profile.config.v1+json" and .config.size == 2' "config"
check_jq '.subject.digest == "'"$image_digest"'"' "subject"
check_jq '(.layers | length) == 1 and .layers[0].mediaType == "application/json"' "one JSON layer"
check_jq '.layers[0].annotations."org.opencontainers.image.title" == "profile.json"' "layer title"
check_jq '.annotations."io.seccomp-learn.image" == "'"$IMAGE"'" and .annotations."io.seccomp-learn.version" == "1"' \
        "provenance"
check_jq '.annotations."org.opencontainers.image.created" | test("^2[0-9]{3}-[0-9]{2}-[0-9]{2}T")' "created"
if [ "$(cat "$WORK/artifact.json")" != "$(cat "$(blob "$LAYOUT" "$artifact_v1")")" ]; then
        fail "skopeo's artifact manifest is not the blob attach wrote"
fi
layer_digest=$(jq -r '.layers[0].digest' "$WORK/artifact.json")
if ! cmp -s "$(blob "$LAYOUT" "$layer_digest")" "$WORK/v1.json"; then
        fail "the artifact's layer is not 'profile export --format oci'"
fi

# The layout is still one that the tools read and copy.
run timeout 120 skopeo copy "oci:$LAYOUT:$TAG" "oci:$WORK/copy:$TAG"
expect_ok "skopeo copy the image out of the layout"
if command -v umoci >/dev/null; then
        run timeout 60 umoci stat --image "$LAYOUT:$TAG"
        expect_ok "umoci stat"
        run timeout 60 umoci ls --layout "$LAYOUT"
        expect_ok "umoci ls"
        if [ "$(printf '%s\n' "$out" | sort | tr '\n' ' ')" != "$TAG v1.seccomp " ]; then
                fail "umoci ls lists: $out"
        fi
else
        echo "note: umoci is not installed; skipping its checks"
fi

# ---- fetch ----
run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE" --tag "$TAG"
expect_ok "fetch by tag"
printf '%s\n' "$out" >"$WORK/fetched.json"
if ! cmp -s "$WORK/fetched.json" "$WORK/v1.json"; then
        fail "fetch did not print what export prints"
fi
run osl profile fetch --oci-layout "$LAYOUT" "$TAG" -o "$WORK/fetched-o.json" # the only image: no --tag needed
expect_ok "fetch -o"
if [ -n "$out" ] || ! cmp -s "$WORK/fetched-o.json" "$WORK/v1.json"; then
        fail "fetch -o did not write what export prints (stdout: $out)"
fi
run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE" --manifest "$image_digest"
expect_ok "fetch by digest"

# The artifact travels with the image: copied along by skopeo, byte for
# byte, and found again in the copy.
run timeout 120 skopeo copy "oci:$LAYOUT:v1.seccomp" "oci:$WORK/copy:v1.seccomp"
expect_ok "skopeo copy the artifact"
run osl profile fetch --oci-layout "$WORK/copy" "$IMAGE" --tag "$TAG"
expect_ok "fetch from the copy"
if [ "$out" != "$(cat "$WORK/v1.json")" ]; then
        fail "fetch from skopeo's copy differs"
fi

# ---- attach again, a new version, an old one ----
cp "$LAYOUT/index.json" "$WORK/index.attached"
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT" --tag "$TAG" --artifact-tag v1.seccomp
expect_ok "attach again"
if ! printf '%s\n' "$out" | grep -q "nothing changed"; then
        fail "attaching the same version again said: $out"
fi
if ! cmp -s "$LAYOUT/index.json" "$WORK/index.attached"; then
        fail "attaching the same version again changed index.json"
fi

run osl profile merge "$IMAGE" "$WORK/obs2.json"
expect_ok "merge the second observation"
osl profile export "$IMAGE" >"$WORK/v2.json"
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT" --tag "$TAG" --artifact-tag v1.seccomp
expect_ok "attach version 2"
if ! printf '%s\n' "$out" | grep -q "version 2 attached to $image_digest .*(replacing 1 earlier)"; then
        fail "attaching version 2 said: $out"
fi
if [ "$(jq '.manifests | length' "$LAYOUT/index.json")" -ne 2 ]; then
        fail "index.json should hold the image and one artifact: $(cat "$LAYOUT/index.json")"
fi
run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE"
if [ "$rc" -ne 0 ] || [ "$out" != "$(cat "$WORK/v2.json")" ]; then
        fail "fetch after attaching version 2 (rc $rc): $out $err"
fi
# Version 1 again: the very artifact of the first attach.
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT" --version 1 --artifact-tag v1.seccomp
expect_ok "attach version 1 again"
if ! printf '%s\n' "$out" | grep -q "as $artifact_v1 (replacing 1 earlier)$"; then
        fail "attaching version 1 again should give $artifact_v1: $out"
fi
run timeout 120 skopeo copy "oci:$LAYOUT:$TAG" "oci:$WORK/copy2:$TAG"
expect_ok "skopeo copy after three attaches"

# ---- what is refused ----
run osl profile attach localhost/not-learned --oci-layout "$LAYOUT"
expect_error 3 "attach an image without a profile" "profile attach: .*localhost/not-learned"
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT" --version 7
expect_error 3 "attach a version that is not stored" "profile attach: "
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT" --tag v9
expect_error 3 "attach to a tag that is not there" "has no image tagged \"v9\""
run osl profile attach "$IMAGE"
expect_error 2 "attach without a layout" "--oci-layout"
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT" --tag "$TAG" --manifest "$image_digest"
expect_error 2 "attach with --tag and --manifest" "give one"
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT" --manifest sha256:abc
expect_error 2 "attach with a bad digest" "--manifest wants a digest"
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT" --artifact-tag "$TAG"
expect_error 1 "take the image's tag for the artifact" "already names"
run osl profile attach "$IMAGE" --oci-layout "$WORK/rootfs"
expect_error 1 "attach to a directory that is no layout" "is not an OCI image layout"
run osl profile fetch --oci-layout "$LAYOUT" localhost/some-other-image
expect_error 1 "fetch another image's profile" "is for $IMAGE, not localhost/some-other-image"
run osl profile fetch --oci-layout "$WORK/copy2" "$IMAGE"
expect_error 3 "fetch where nothing is attached" "no application/vnd.cncf.seccomp-profile.config.v1\+json is attached"
run osl profile attach --help
if [ "$rc" -ne 0 ] || ! printf '%s\n' "$out" | grep -q "^Usage: oci-seccomp-learn profile attach"; then
        fail "attach --help: $rc $out"
fi
run osl profile fetch --help
if [ "$rc" -ne 0 ] || ! printf '%s\n' "$out" | grep -q "^Usage: oci-seccomp-learn profile fetch"; then
        fail "fetch --help: $rc $out"
fi

# ---- tampering ----
artifact_now=$(jq -r '.manifests[] | select(.artifactType) | .digest' "$LAYOUT/index.json")
layer_now=$(jq -r '.layers[0].digest' "$(blob "$LAYOUT" "$artifact_now")")
layer_file=$(blob "$LAYOUT" "$layer_now")
cp "$layer_file" "$WORK/layer.good"

sed 's/SCMP_ACT_ALLOW/SCMP_ACT_TRACE/' "$WORK/layer.good" >"$layer_file" # same size, other meaning
run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE" -o "$WORK/tampered.json"
expect_error 1 "fetch a tampered layer" "blobs/sha256/${layer_now#sha256:}: its content has the digest sha256:[0-9a-f]{64}, not the one it is named by: the layout is damaged or was tampered with"
if [ -e "$WORK/tampered.json" ]; then
        fail "a tampered profile was written out"
fi
printf '{"defaultAction":"SCMP_ACT_ALLOW"}\n' >"$layer_file" # other size
run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE"
expect_error 1 "fetch a layer of another size" "but its descriptor says"
cp "$WORK/layer.good" "$WORK/outside-layer"
rm "$layer_file"
ln -s "$WORK/outside-layer" "$layer_file"
run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE"
expect_error 1 "fetch through a symlinked blob" "is a symbolic link; refusing to follow it"
rm "$layer_file"
cp "$WORK/layer.good" "$layer_file"

manifest_file=$(blob "$LAYOUT" "$artifact_now")
cp "$manifest_file" "$WORK/manifest.good"
sed 's/"io.seccomp-learn.version":"1"/"io.seccomp-learn.version":"9"/' "$WORK/manifest.good" >"$manifest_file"
run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE"
expect_error 1 "fetch a tampered artifact manifest" "not the one it is named by"
cp "$WORK/manifest.good" "$manifest_file"

image_file=$(blob "$LAYOUT" "$image_digest")
cp "$image_file" "$WORK/image.good"
printf ' ' >>"$image_file"
run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE"
expect_error 1 "fetch with a tampered image manifest" "but its descriptor says"
run osl profile attach "$IMAGE" --oci-layout "$LAYOUT"
expect_error 1 "attach to a tampered image manifest" "but its descriptor says"
cp "$WORK/image.good" "$image_file"

run osl profile fetch --oci-layout "$LAYOUT" "$IMAGE"
if [ "$rc" -ne 0 ] || [ "$out" != "$(cat "$WORK/v1.json")" ]; then
        fail "fetch after repairing the layout (rc $rc): $err"
fi
if ls -a "$LAYOUT" "$LAYOUT/blobs/sha256" | grep -q '^\.tmp-'; then
        fail "temporary files were left in the layout"
fi

if [ "$failures" -ne 0 ]; then
        echo "$failures checks failed" >&2
        exit 1
fi
echo "all checks passed"
