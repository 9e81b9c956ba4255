#!/bin/bash
# Installs the Debian 12 packages that building and testing need, when any
# is missing. Run as root (CI is); prints what it installs.
set -euo pipefail

# libclang-rt-14-dev holds libFuzzer (test/fuzz); clang only recommends it.
packages=(
        meson ninja-build pkg-config gcc libc6-dev clang libclang-rt-14-dev
        libseccomp-dev libyajl-dev libcap-dev libelf-dev libcapstone-dev musl-tools
        runc busybox-static strace jq bats
        redis-server redis-tools
        python3 python3-jsonschema python3-yaml
        golang-github-containers-common
        podman containerd buildah skopeo umoci crun docker.io
        libcurl4-openssl-dev docker-registry curl
        # runc's own tests (test/runc-suite): its Go helpers and apt-get source
        golang-go gawk dpkg-dev
        golang-github-cilium-ebpf-dev golang-github-containerd-console-dev golang-github-coreos-go-systemd-dev
        golang-github-cyphar-filepath-securejoin-dev golang-dbus-dev golang-github-moby-sys-dev
        golang-github-opencontainers-specs-dev golang-github-sirupsen-logrus-dev golang-github-urfave-cli-dev
        golang-golang-x-sys-dev golang-github-seccomp-libseccomp-golang-dev
        sqlite3 nginx-light
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
