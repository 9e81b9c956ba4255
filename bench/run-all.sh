#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Runs every benchmark once and prints the results as markdown on stdout:
# where and when they ran, then one table per benchmark. doc/performance.md
# shows one such run and says what the numbers mean.
#
#   bench/run-all.sh [--smoke] [--keep] --build-dir BUILD   (or $OSL_BIN, $GETPPID_LOOP, $PROFILE_TOOL)
#
# A full run takes a few minutes; --smoke uses tiny counts (seconds per
# table) and only shows that everything runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

smoke=0
for arg in "$@"; do
        case $arg in
        --smoke) smoke=1 ;;
        -h | --help)
                sed -n '2,/^set -e/p' "$0" | sed -e '/^set -e/d' -e 's/^# \{0,1\}//'
                exit 0
                ;;
        esac
done

commit=unknown
if command -v git >/dev/null && git -C "$here/.." rev-parse --git-dir >/dev/null 2>&1; then
        commit=$(git -C "$here/.." rev-parse --short HEAD)
        [ -z "$(git --no-optional-locks -C "$here/.." status --porcelain 2>/dev/null)" ] || commit="$commit, with uncommitted changes"
fi
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

echo "# oci-seccomp-learn benchmarks$([ "$smoke" = 0 ] || echo " (smoke run: tiny counts, the numbers mean nothing)")"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "- commit: $commit"
echo "- machine: $(uname -r), $(nproc) CPUs ($cpu), runc $(runc --version | sed -n '1s/^runc version //p'), libseccomp $(runc --version | sed -n 's/^libseccomp: //p')"
echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "## Cost of one syscall (bench/syscall-cost.sh)"
echo
"$here/syscall-cost.sh" "$@"
echo
echo "## SECCOMP_RET_LOG cost (bench/log-cost.sh)"
echo
"$here/log-cost.sh" "$@"
echo
echo "## redis-server (bench/redis.sh)"
echo
"$here/redis.sh" "$@"
echo
echo "## The agent (bench/agent.sh)"
echo
"$here/agent.sh" "$@"
echo
echo "## Start latency (bench/startup.sh)"
echo
"$here/startup.sh" "$@"
echo
echo "## Store (bench/store.sh)"
echo
"$here/store.sh" "$@"
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
