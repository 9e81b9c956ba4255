#!/bin/bash
# Builds with gcc and with clang, then runs every test twice: in a normal
# build and under AddressSanitizer + UndefinedBehaviorSanitizer. Integration
# tests start real runc containers, so this runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

./scripts/install-deps.sh

builds=${OSL_TEST_BUILDS:-"gcc asan fuzz"}
passed=0
failed=0

setup() { # dir, extra meson args...
        local dir=$1
        shift
        if [ ! -f "$dir/build.ninja" ]; then
                meson setup "$dir" "$@" >/dev/null
        fi
        ninja -C "$dir"
}

# The libFuzzer targets (test/fuzz, doc/reliability.md): each runs for
# OSL_FUZZ_SECONDS (default 20) from a copy of its seed corpus, two at a
# time; a crash, leak, sanitizer report or hang is a failure, and its input
# is kept in build/fuzz/fuzz-artifacts/TARGET/.
fuzz_targets() {
        local seconds=${OSL_FUZZ_SECONDS:-20} work t targets
        CC=clang setup build/fuzz -Dfuzzing=true
        work=$(mktemp -d)
        targets=$(cd test/fuzz/corpus && echo *)
        for t in $targets; do
                while [ "$(jobs -rp | wc -l)" -ge 2 ]; do
                        wait -n || true
                done
                fuzz_one "$t" "$seconds" "$work" &
        done
        wait
        for t in $targets; do
                if [ "$(cat "$work/$t.rc")" -eq 0 ]; then
                        echo "fuzz $t: OK, $(grep -o 'Done [0-9]* runs' "$work/$t.log") in ${seconds}s"
                        passed=$((passed + 1))
                else
                        echo "fuzz $t: FAILED; input kept in build/fuzz/fuzz-artifacts/$t/"
                        tail -n 40 "$work/$t.log"
                        failed=$((failed + 1))
                fi
        done
        rm -rf "$work"
}

fuzz_one() { # target, seconds, work dir
        local t=$1 seconds=$2 work=$3 dict=() rc=0
        mkdir -p "$work/$t.corpus" "$work/$t.tmp" "build/fuzz/fuzz-artifacts/$t"
        cp test/fuzz/corpus/"$t"/* "$work/$t.corpus/"
        if [ -f "test/fuzz/dict/$t.dict" ]; then
                dict=("-dict=test/fuzz/dict/$t.dict")
        fi
        TMPDIR="$work/$t.tmp" "build/fuzz/test/fuzz/fuzz-$t" "${dict[@]}" -max_total_time="$seconds" \
                -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                -artifact_prefix="build/fuzz/fuzz-artifacts/$t/" "$work/$t.corpus" >"$work/$t.log" 2>&1 || rc=$?
        echo "$rc" >"$work/$t.rc"
}

# clang must build it warning-free as well; its tests run in the gcc builds.
CC=clang setup build/clang
# So must a release build (what distributions build), with both compilers.
CC=gcc setup build/release-gcc --buildtype=release
CC=clang setup build/release-clang --buildtype=release

for b in $builds; do
        case $b in
        gcc) CC=gcc setup build/gcc ;;
        asan) CC=gcc setup build/asan -Db_sanitize=address,undefined -Db_lundef=false ;;
        fuzz) fuzz_targets; continue ;;
        *) echo "unknown build $b" >&2; exit 2 ;;
        esac
        export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
        export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
        set +e
        meson test -C "build/$b" --print-errorlogs --num-processes 2 "$@"
        rc=$?
        set -e
        log="build/$b/meson-logs/testlog.json"
        if [ -f "$log" ]; then
                p=$(grep -c '"result": "OK"' "$log" || true)
                f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
                passed=$((passed + p))
                failed=$((failed + f))
        fi
        if [ $rc -ne 0 ] && [ ! -f "$log" ]; then
                failed=$((failed + 1))
        fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
