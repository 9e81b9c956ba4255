#!/bin/bash
# Builds with gcc and with clang, then runs every test twice: in a normal
# build and under AddressSanitizer + UndefinedBehaviorSanitizer. Integration
# tests start real runc containers, so this runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

./scripts/install-deps.sh

builds=${OSL_TEST_BUILDS:-"gcc asan"}
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

# clang must build it warning-free as well; its tests run in the gcc builds.
CC=clang setup build/clang
# So must a release build (what distributions build), with both compilers.
CC=gcc setup build/release-gcc --buildtype=release
CC=clang setup build/release-clang --buildtype=release

for b in $builds; do
        case $b in
        gcc) CC=gcc setup build/gcc ;;
        asan) CC=gcc setup build/asan -Db_sanitize=address,undefined -Db_lundef=false ;;
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
