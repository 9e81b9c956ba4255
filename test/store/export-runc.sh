#!/bin/bash
# `profile export --format oci` and `--format docker` put into a real runc
# container's config.json: runc loads them, busybox `sh -c 'echo ok'` runs,
# and a syscall left out of the profile fails with EPERM (so the profile is
# enforced, not ignored). The learned syscalls are those that Debian's
# containers-common default profile allows, merged as an observation.
# Needs root, runc, jq and busybox; skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"

DEFAULT_PROFILE=/usr/share/containers/seccomp.json
if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: runc needs root"
        exit 77
fi
for tool in runc jq busybox; do
        if ! command -v $tool >/dev/null; then
                echo "SKIP: $tool is not installed"
                exit 77
        fi
done
if [ ! -r $DEFAULT_PROFILE ]; then
        echo "SKIP: $DEFAULT_PROFILE (containers-common) is not installed"
        exit 77
fi

RUNC_ROOT=$WORK/runc
ID=osl-store-export-$$
BUNDLE=$WORK/bundle
containers=()
runc_cleanup() {
        local id
        for id in "${containers[@]}"; do
                runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
        done
        cleanup
}
trap runc_cleanup EXIT

mkdir -p "$BUNDLE/rootfs/bin"
cp "$(command -v busybox)" "$BUNDLE/rootfs/bin/busybox"
for applet in sh echo mkdir; do
        ln -s busybox "$BUNDLE/rootfs/bin/$applet"
done
(cd "$BUNDLE" && runc spec)

# What the default profile allows unconditionally or for some capability or
# architecture, less mkdir and mkdirat, which the test expects to be denied.
IMG=localhost/busybox
specs=()
while read -r name; do
        specs+=("sys:SCMP_ARCH_X86_64:application:$name:1")
done < <(jq -r '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | .[]' $DEFAULT_PROFILE |
        grep -vx -e mkdir -e mkdirat)
[ ${#specs[@]} -gt 300 ] || fail "only ${#specs[@]} names from $DEFAULT_PROFILE"
obs "$WORK/learned.json" c1 image:$IMG "${specs[@]}"
run osl profile merge $IMG "$WORK/learned.json"
expect_rc 0 "merge"

# run_in FORMAT ARGS-JSON: runs the container under `profile export --format
# FORMAT`; sets $rc, $out, $err.
run_in() {
        local format=$1 args=$2 id=$ID-$format-${#containers[@]}
        osl profile export $IMG --format "$format" >"$WORK/profile-$format.json"
        jq --slurpfile p "$WORK/profile-$format.json" --argjson args "$args" \
                '.process.terminal = false | .process.args = $args | .root.readonly = false | .linux.seccomp = $p[0]' \
                "$WORK/config.orig.json" >"$BUNDLE/config.json"
        containers+=("$id")
        run timeout 60 runc --root "$RUNC_ROOT" run --bundle "$BUNDLE" "$id"
        runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1 || true
}
cp "$BUNDLE/config.json" "$WORK/config.orig.json"

for format in oci docker; do
        run_in $format '["/bin/sh", "-c", "echo ok"]'
        expect_rc 0 "busybox sh under the $format export"
        [ "$out" = ok ] || fail "busybox sh under the $format export printed '$out' (stderr: $err)"

        rm -rf "$BUNDLE/rootfs/made"
        run_in $format '["/bin/mkdir", "/made"]'
        [ "$rc" -ne 0 ] || fail "mkdir, not in the $format export, succeeded"
        printf '%s\n' "$err" | grep -q "Operation not permitted" || fail "mkdir under the $format export: $err"
        [ ! -e "$BUNDLE/rootfs/made" ] || fail "mkdir under the $format export made the directory"
done

# The control: without the profile, the same mkdir works.
jq '.process.terminal = false | .process.args = ["/bin/mkdir", "/made"] | .root.readonly = false' \
        "$WORK/config.orig.json" >"$BUNDLE/config.json"
containers+=("$ID-control")
run timeout 60 runc --root "$RUNC_ROOT" run --bundle "$BUNDLE" "$ID-control"
expect_rc 0 "mkdir without the profile"
[ -d "$BUNDLE/rootfs/made" ] || fail "mkdir without the profile made nothing: $err"

finish
