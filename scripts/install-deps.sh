#!/bin/bash
# Installs the Debian 12 packages that building and testing need, when any
# is missing. Run as root (CI is); prints what it installs.
set -euo pipefail

packages=(
        meson ninja-build pkg-config gcc libc6-dev clang
        libseccomp-dev libyajl-dev libcap-dev
        runc busybox-static strace jq bats
        redis-server redis-tools
        python3 python3-jsonschema python3-yaml
        golang-github-containers-common
        podman containerd buildah skopeo umoci crun docker.io
        libcurl4-openssl-dev docker-registry curl
        libauparse-dev
)

missing=()
for p in "${packages[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
                missing+=("$p")
        fi
done
if [ ${#missing[@]} -eq 0 ]; then
        exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
        exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# redis-server's postinst would start a system redis; policy-rc.d keeps
# services from starting inside package installs on CI machines.
apt-get install -y -qq "${missing[@]}" >/dev/null
