#!/bin/bash
# runc's own integration suite (tests/integration of the runc release this
# machine runs, from Debian's runc source package) three ways:
#   runc     RUNC=runc
#   wrapper  RUNC=oci-seccomp-learn-runc, no mode: must be invisible
#   learn    the same with OCI_SECCOMP_LEARN_DEFAULT_MODE=learn and
#            OCI_SECCOMP_LEARN_DEFAULT_IMAGE (the tests' configs carry no
#            annotation), with an agent on a private run dir and store
# Every test that passes with runc must pass through the wrapper too; tests
# that fail with runc (this machine) may fail in all three.
#
# run.sh [BATS-FILE-NAME...]   (default: every tests/integration/*.bats)
# Environment: OSL_BIN (our binary; default build/gcc/cli/oci-seccomp-learn),
# OSL_RUNC_SRC (the cache for the source and helpers; default build/runc-src),
# OSL_RUNC_SUITE_RUNS (default "runc wrapper learn"). Runs as root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
OSL_BIN=${OSL_BIN:-$top/build/gcc/cli/oci-seccomp-learn}
cache=${OSL_RUNC_SRC:-$top/build/runc-src}
runs=${OSL_RUNC_SUITE_RUNS:-runc wrapper learn}
real_runc=$(command -v runc)
started=$SECONDS

say() { echo "runc-suite: $*"; }
die() { say "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "runs as root (runc's tests need it)"
[ -x "$OSL_BIN" ] || die "no binary at $OSL_BIN (set OSL_BIN)"
for c in bats go gawk jq gcc dpkg-source script; do
        command -v "$c" >/dev/null || die "$c is missing (./scripts/install-deps.sh installs it)"
done

# ---- the source: the installed runc's own version ----
version=$(dpkg-query -W -f='${Version}' runc 2>/dev/null) || die "runc is not installed from a Debian package"
upstream=${version%-*}
src=$cache/runc-${upstream#*:}
if [ ! -d "$src/tests/integration" ]; then
        mkdir -p "$cache"
        if [ "$("$top/scripts/deb-src.sh")" = added ]; then
                apt-get update -qq
        fi
        say "apt-get source runc=$version"
        (cd "$cache" && apt-get source -qq "runc=$version" >"$cache/apt-source.log" 2>&1) ||
                { cat "$cache/apt-source.log" >&2; die "apt-get source runc=$version failed"; }
fi
[ -d "$src/tests/integration" ] || die "$src/tests/integration is missing after apt-get source"
itests=$src/tests/integration

# ---- runc's Go helpers, offline against Debian's golang-*-dev (GOPATH mode) ----
# helpers.bash finds them at contrib/cmd/NAME/NAME. The files that need one:
declare -A helper_files=(
        [recvtty]="*"                    # every bundle starts one (setup_bundle)
        [seccompagent]="seccomp-notify.bats seccomp-notify-compat.bats"
        [sd-helper]=""                   # only with RUNC_USE_SYSTEMD, not set here
)
gopath=$cache/gopath
mkdir -p "$gopath/src/github.com/opencontainers"
ln -sfn "$src" "$gopath/src/github.com/opencontainers/runc"
skip_files=()
for h in recvtty sd-helper seccompagent; do
        bin=$src/contrib/cmd/$h/$h
        [ -x "$bin" ] && continue
        tags=
        [ "$h" = seccompagent ] && tags=seccomp # without it, a stub that prints "Not supported"
        if ! (cd "$gopath/src/github.com/opencontainers/runc" &&
                GO111MODULE=off GOFLAGS='' GOPATH="$gopath:/usr/share/gocode" GOCACHE="$cache/gocache" \
                        go build -tags "$tags" -o "$bin" "./contrib/cmd/$h") >"$cache/build-$h.log" 2>&1; then
                cat "$cache/build-$h.log" >&2
                [ "${helper_files[$h]}" = "*" ] && die "cannot build $h, which every test needs"
                say "cannot build $h: skipping the tests that need it: ${helper_files[$h]:-none}"
                # shellcheck disable=SC2206
                skip_files+=(${helper_files[$h]})
        fi
done

# ---- the images get-images.sh would download ----
"$here/images.sh" "$itests/testdata" "$(go env GOARCH)"

# ---- which files ----
files=()
if [ $# -gt 0 ]; then
        files=("$@")
else
        for f in "$itests"/*.bats; do files+=("$(basename "$f")"); done
fi
for s in "${skip_files[@]}"; do
        for i in "${!files[@]}"; do
                [ "${files[$i]}" = "$s" ] && unset 'files[i]'
        done
done

out=$cache/last-run
rm -rf "$out"
mkdir -p "$out"
agent_pid=
# runc's teardown deletes the tests' containers; the agent is ours.
# shellcheck disable=SC2317 # called by the trap
cleanup() {
        if [ -n "$agent_pid" ]; then
                kill -TERM "$agent_pid" 2>/dev/null || true
                wait "$agent_pid" 2>/dev/null || true
        fi
}
trap cleanup EXIT

# run_suite NAME RUNC: one TAP line per test, "FILE: name", in $out/NAME.tap
run_suite() {
        local name=$1 runtime=$2 f t0=$SECONDS
        : >"$out/$name.tap"
        for f in "${files[@]}"; do
                # runc's CI runs the suite under script(1): the tests that
                # run a container with terminal true in the foreground need
                # a controlling terminal, and bats must be in its foreground
                # process group (so timeout goes outside). A per-file limit:
                # a hung container must not hang the suite.
                (cd "$itests" && RUNC=$runtime timeout -k 10 600 script -qec \
                        "bats --tap $(printf %q "$f") >$(printf %q "$out/$name.$f.tap") 2>&1" /dev/null) \
                        >/dev/null 2>&1 </dev/null || true
                sed -n -E "s/^(not ok|ok) [0-9]+ /\1 $f: /p" "$out/$name.$f.tap" >>"$out/$name.tap"
        done
        say "$name: $((SECONDS - t0)) s"
}

mkdir -p "$out/bin"
ln -sfn "${OSL_HOOK_BIN:-$(dirname "$OSL_BIN")/oci-seccomp-learn-hook}" "$out/bin/oci-seccomp-learn-runc"
export OCI_SECCOMP_LEARN_RUNTIME=$real_runc
for r in $runs; do
        case $r in
        runc)
                run_suite runc "$real_runc"
                ;;
        wrapper)
                mkdir -p "$out/wrapper-store" "$out/wrapper-run"
                OCI_SECCOMP_LEARN_STORE=$out/wrapper-store OCI_SECCOMP_LEARN_RUNDIR=$out/wrapper-run \
                        run_suite wrapper "$out/bin/oci-seccomp-learn-runc"
                ;;
        learn)
                mkdir -p "$out/learn-store" "$out/learn-run"
                "$OSL_BIN" --store "$out/learn-store" --run-dir "$out/learn-run" agent >"$out/agent.log" 2>&1 &
                agent_pid=$!
                for _ in $(seq 1 100); do
                        [ -S "$out/learn-run/agent.sock" ] && break
                        sleep 0.05
                done
                [ -S "$out/learn-run/agent.sock" ] || { cat "$out/agent.log" >&2; die "the agent did not start"; }
                OCI_SECCOMP_LEARN_STORE=$out/learn-store OCI_SECCOMP_LEARN_RUNDIR=$out/learn-run \
                        OCI_SECCOMP_LEARN_DEFAULT_MODE=learn OCI_SECCOMP_LEARN_DEFAULT_IMAGE=localhost/runc-suite \
                        run_suite learn "$out/bin/oci-seccomp-learn-runc"
                kill -TERM "$agent_pid"
                wait "$agent_pid" || true
                agent_pid=
                # It learned: the containers' syscalls are in the store.
                "$OSL_BIN" --store "$out/learn-store" profile show localhost/runc-suite --json >"$out/learned.json" ||
                        die "learn: nothing was learned for localhost/runc-suite (agent log: $out/agent.log)"
                say "learn: $(jq '.syscalls | length' "$out/learned.json") syscalls learned for localhost/runc-suite," \
                        "$(grep -c 'learn mode for image' "$out/learn-run/hooks.log" || true) containers learned"
                ;;
        *) die "unknown run $r (runc, wrapper, learn)" ;;
        esac
done

# ---- the summary ----
set_of() { sed -n -E "s/^$2 (.*)/\1/p" "$out/$1.tap" | sort; }
passed() { grep -E '^ok ' "$out/$1.tap" | grep -v ' # skip' | sed 's/^ok //' | sort; }
skipped() { grep -E '^ok .* # skip' "$out/$1.tap" | sed -E 's/^ok (.*) # skip.*/\1/' | sort; }
failed() { set_of "$1" 'not ok'; }
indent() { sed 's/^/    /'; }
status=0
say "files: ${#files[@]}${skip_files[*]:+ (not run, helper missing: ${skip_files[*]})}"
for r in $runs; do
        say "$(printf '%-8s %3d passed, %3d failed, %3d skipped' "$r" \
                "$(passed "$r" | wc -l)" "$(failed "$r" | wc -l)" "$(skipped "$r" | wc -l)")"
done
if [[ " $runs " == *" runc "* ]]; then
        [ "$(passed runc | wc -l)" -gt 0 ] || { say "runc passed nothing: this machine cannot run runc's tests"; status=1; }
        if [ -n "$(failed runc)" ]; then
                say "failing with runc itself (this machine), allowed to fail in every run:"
                failed runc | indent
        fi
        for r in $runs; do
                [ "$r" = runc ] && continue
                lost=$(comm -23 <(passed runc) <(passed "$r"))
                if [ -n "$lost" ]; then
                        say "$r: passes with runc but not here:"
                        indent <<<"$lost"
                        # bats' account of each, from the file's TAP
                        while IFS= read -r t; do
                                awk -v name="${t#*: }" '
                                        /^(ok|not ok) / { t = $0; sub(/^(not ok|ok) [0-9]+ /, "", t); show = /^not ok/ && t == name }
                                        show' "$out/$r.${t%%: *}.tap" 2>/dev/null | indent
                        done <<<"$lost"
                        status=1
                fi
                gained=$(comm -13 <(passed runc) <(passed "$r"))
                [ -z "$gained" ] || { say "$r: passes here but not with runc:"; indent <<<"$gained"; }
        done
fi
say "total $((SECONDS - started)) s; TAP and logs in $out"
if [ $status -eq 0 ]; then
        say "the wrapper runs pass every test runc passes"
fi
exit $status
