# Shared by the store's shell tests: a fresh store in a temporary directory,
# removed on exit, and small checks. Sourced, not run.
set -eu

: "${OSL_BIN:?OSL_BIN must name the oci-seccomp-learn binary}"
: "${OSL_STORE_HELPER:?OSL_STORE_HELPER must name store-test-helper}"
: "${OSL_SCHEMA_DIR:?OSL_SCHEMA_DIR must name the schema directory}"
: "${OSL_STORE_TEST_DIR:?OSL_STORE_TEST_DIR must name test/store}"

# Debian's python with python3-jsonschema, not whatever python3 is on PATH.
PY=/usr/bin/python3

WORK=$(mktemp -d /tmp/osl-store-test.XXXXXX)
cleanup() {
        local pgid
        for pgid in ${KILL_ON_EXIT:-}; do
                kill -KILL -- "-$pgid" 2>/dev/null || true
        done
        rm -rf "$WORK"
}
trap cleanup EXIT
STORE=$WORK/store
export OCI_SECCOMP_LEARN_STORE=/nonexistent-store-of-the-environment # --store must win

osl() {
        "$OSL_BIN" --store "$STORE" "$@"
}

failures=0
fail() {
        echo "FAIL: $*" >&2
        failures=$((failures + 1))
}
finish() {
        if [ "$failures" -ne 0 ]; then
                echo "$failures checks failed" >&2
                exit 1
        fi
        echo "all checks passed"
}

# obs FILE ID [SPEC...]: an observation written by osl_observation_write.
obs() {
        local file=$1 id=$2
        shift 2
        "$OSL_STORE_HELPER" obs "$file" "$id" 2026-11-28T10:00:00.000Z "$@"
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

# expect_rc WANT DESCRIPTION: after run.
expect_rc() {
        if [ "$rc" -ne "$1" ]; then
                fail "$2: exit code $rc, expected $1 (stderr: $err)"
        fi
}

# expect_one_line_error DESCRIPTION PATTERN: after run; a failure with one
# line on stderr that matches PATTERN (grep -E), and no crash.
expect_one_line_error() {
        if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then
                fail "$1: exit code $rc, expected a failure without a crash"
        fi
        if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [ -z "$err" ]; then
                fail "$1: expected one line on stderr, got: $err"
        fi
        if ! printf '%s\n' "$err" | grep -Eq -- "$2"; then
                fail "$1: stderr '$err' does not match '$2'"
        fi
}

# validate SCHEMA FILE...: every file against schema/SCHEMA.
validate() {
        local schema=$1
        shift
        "$PY" "$OSL_STORE_TEST_DIR/validate.py" "$OSL_SCHEMA_DIR/$schema" "$@"
}

# image_dir KEY: where the store keeps KEY (simple keys only: [a-z0-9./-]).
image_dir() {
        printf '%s/images/%s\n' "$STORE" "$(printf '%s' "$1" | sed 's,/,%2F,g')"
}

# hold_lock FILE [COMMAND PREFIX...]: flock(1) takes FILE's lock in the
# background, in its own process group (killed on exit), as the user the
# prefix makes it (e.g. setpriv ...). Returns once the lock is held; sets
# $HOLDER to the group to kill with release_lock.
hold_lock() {
        local file=$1
        shift
        setsid "$@" flock "$file" sleep 600 &
        HOLDER=$!
        KILL_ON_EXIT="${KILL_ON_EXIT:-} $HOLDER"
        local i
        for i in $(seq 200); do
                flock -n "$file" true 2>/dev/null || return 0
                sleep 0.05
        done
        echo "hold_lock: $file was not locked" >&2
        return 1
}
release_lock() {
        kill -KILL -- "-$HOLDER" 2>/dev/null || true
        wait "$HOLDER" 2>/dev/null || true
}

# tree_sums DIR: a checksum of every file below DIR but the lock, to see
# that something changed nothing.
tree_sums() {
        (cd "$1" && find . -type f ! -name lock -exec sha256sum {} + | sort)
}
