#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A profile written by this project loads in runc unchanged: containers/common's
# default profile is parsed, resolved for `runc spec`'s capabilities, written in
# the OCI form by profile-tool and put into a busybox container's config.json.
#
#   test-runc-profile.sh PATH/TO/profile-tool
#
# Needs root, runc, jq, busybox-static and golang-github-containers-common.
set -eu

tool=$1
profile=/usr/share/containers/seccomp.json

if [ "$(id -u)" != 0 ]; then
        echo "SKIP: runc needs root"
        exit 77
fi
for cmd in runc jq timeout; do
        command -v "$cmd" >/dev/null || { echo "FAIL: $cmd is not installed"; exit 1; }
done
[ -r "$profile" ] || { echo "FAIL: $profile is missing: apt-get install golang-github-containers-common"; exit 1; }
busybox=/bin/busybox
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
        echo "FAIL: $busybox is missing or not static: apt-get install busybox-static"
        exit 1
fi

work=$(mktemp -d /tmp/osl-runc-profile.XXXXXX)
id=osl-profile-test-$$
cleanup() {
        runc delete -f "$id" >/dev/null 2>&1 || true
        rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin"
cp "$busybox" "$bundle/rootfs/bin/busybox"
for applet in sh true echo grep; do
        ln -s busybox "$bundle/rootfs/bin/$applet"
done
(cd "$bundle" && runc spec)

# Resolve for exactly the capabilities the container gets.
caps=$(jq -r '.process.capabilities.bounding[]' "$bundle/config.json")
# shellcheck disable=SC2086 # one argument per capability
"$tool" "$profile" $caps >"$work/seccomp.json"
jq -e '.defaultAction == "SCMP_ACT_ERRNO" and (.syscalls | length) > 10 and (has("archMap") | not)' \
        "$work/seccomp.json" >/dev/null || { echo "FAIL: unexpected OCI profile"; cat "$work/seccomp.json"; exit 1; }

run() { # run ARGS_JSON: runs the container with those process.args, prints its output
        jq --slurpfile sc "$work/seccomp.json" --argjson args "$1" \
                '.linux.seccomp = $sc[0] | .process.terminal = false | .process.args = $args' \
                "$work/config.template.json" >"$bundle/config.json"
        timeout 60 runc run --bundle "$bundle" "$id" </dev/null
}
cp "$bundle/config.json" "$work/config.template.json"

if ! run '["/bin/true"]' >"$work/out1" 2>&1; then
        echo "FAIL: runc did not run /bin/true under the profile:"
        cat "$work/out1"
        exit 1
fi

if ! run '["/bin/sh", "-c", "echo ok; grep ^Seccomp: /proc/self/status"]' >"$work/out2" 2>&1; then
        echo "FAIL: runc did not run sh under the profile:"
        cat "$work/out2"
        exit 1
fi
# The filter is really there: mode 2 is SECCOMP_MODE_FILTER.
if ! grep -qx ok "$work/out2" || ! grep -q '^Seccomp:[[:space:]]*2$' "$work/out2"; then
        echo "FAIL: expected \"ok\" and \"Seccomp: 2\", got:"
        cat "$work/out2"
        exit 1
fi
echo "PASS: runc ran the container under the resolved containers/common profile"
