#!/bin/bash
# The command line as a user meets it: help, versions, exit codes, and clear
# one-line errors for bad input that change nothing on disk.
set -uo pipefail
: "${OSL_BIN:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # description, then a command that must succeed
        local what=$1
        shift
        if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fail=1; fi
}
osl() { "$OSL_BIN" --store "$T/store" --run-dir "$T/run" "$@"; }
# runs a command, keeping stdout, stderr and status
capture() { "$@" >"$T/out" 2>"$T/err"; echo $? >"$T/rc"; }
rc() { cat "$T/rc"; }
one_line_error() { [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "$1" "$T/err"; }

capture "$OSL_BIN" --help
check "--help exits 0 and lists the commands" eval "[ $(rc) -eq 0 ] && grep -q inject '$T/out' && grep -q 'Exit codes' '$T/out'"
capture "$OSL_BIN" --version
check "--version prints the version" grep -qE '^oci-seccomp-learn [0-9]+\.[0-9]+' "$T/out"
for c in inject precreate runtime agent prestart poststop profile; do
        capture "$OSL_BIN" "$c" --help
        check "$c --help exits 0 with a usage line" eval "[ $(rc) -eq 0 ] && grep -q 'Usage: oci-seccomp-learn' '$T/out'"
done
capture "$OSL_BIN" frobnicate
check "an unknown command exits 2 naming it" eval "[ $(rc) -eq 2 ] && grep -q frobnicate '$T/err'"
capture "$OSL_BIN"
check "no command exits 2" eval "[ $(rc) -eq 2 ]"

# inject: bad bundles
capture osl inject "$T/missing"
check "inject of a missing bundle: exit 1, one line naming the file" eval "[ $(rc) -eq 1 ] && one_line_error 'missing/config.json'"
mkdir -p "$T/b"
printf '{"ociVersion": "1.0.2", "process": {' >"$T/b/config.json"
cp "$T/b/config.json" "$T/trunc.orig"
capture osl inject --mode enforce "$T/b"
check "inject of a truncated config: exit 1, says invalid JSON" eval "[ $(rc) -eq 1 ] && grep -q 'invalid JSON' '$T/err'"
check "the truncated config is left as it was" cmp -s "$T/b/config.json" "$T/trunc.orig"
head -c 17000000 /dev/zero | tr '\0' ' ' >"$T/b/config.json"
capture osl inject --mode enforce "$T/b"
check "inject of a 17 MB config: exit 1, says too large" eval "[ $(rc) -eq 1 ] && grep -q 'larger than' '$T/err'"
echo '[1,2]' >"$T/b/config.json"
capture osl inject --mode enforce "$T/b"
check "inject of a config that is not an object: exit 1" eval "[ $(rc) -eq 1 ] && grep -q 'must be a JSON object' '$T/err'"
capture osl inject --mode bogus "$T/b"
check "inject --mode bogus: exit 2" eval "[ $(rc) -eq 2 ] && grep -q bogus '$T/err'"

good='{"ociVersion":"1.0.2","process":{"args":["/bin/true"]},"root":{"path":"rootfs"},"annotations":{"io.seccomp-learn.mode":"MODE","io.seccomp-learn.image":"IMAGE"}}'
write_cfg() { echo "$good" | sed "s|MODE|$1|; s|IMAGE|$2|" >"$T/b/config.json"; cp "$T/b/config.json" "$T/cfg.orig"; }

write_cfg off example/app
capture osl inject "$T/b"
check "mode off leaves the config byte for byte" cmp -s "$T/b/config.json" "$T/cfg.orig"

write_cfg nonsense example/app
capture osl inject "$T/b"
check "a hostile mode annotation: exit 1 naming it, config unchanged" eval "[ $(rc) -eq 1 ] && grep -q 'unknown mode \"nonsense\"' '$T/err' && cmp -s '$T/b/config.json' '$T/cfg.orig'"

write_cfg learn example/app
capture osl inject "$T/b"
check "learn with no agent: exit 0, says learning is off and why, config unchanged" eval "[ $(rc) -eq 0 ] && grep -q 'learning is off for this container' '$T/err' && grep -q 'agent.sock' '$T/err' && cmp -s '$T/b/config.json' '$T/cfg.orig'"

write_cfg enforce example/app
capture osl inject "$T/b"
check "enforce without a stored profile refuses: exit 3, names the image" eval "[ $(rc) -eq 3 ] && grep -q 'example/app' '$T/err' && cmp -s '$T/b/config.json' '$T/cfg.orig'"

write_cfg enforce example/app
capture osl inject --missing-profile run "$T/b"
check "enforce --missing-profile run: exit 0, warns, config unchanged" eval "[ $(rc) -eq 0 ] && grep -q 'runs with its own seccomp profile' '$T/err' && cmp -s '$T/b/config.json' '$T/cfg.orig'"
capture osl inject --missing-profile maybe "$T/b"
check "--missing-profile takes refuse or run" eval "[ $(rc) -eq 2 ]"

write_cfg learn '../../etc'
capture osl inject "$T/b"
check "a hostile image annotation does not break a learn container" eval "[ $(rc) -eq 0 ] && cmp -s '$T/b/config.json' '$T/cfg.orig'"

# A Kubernetes sandbox (pause) container is never touched, whatever the pod says.
echo '{"ociVersion":"1.0.2","process":{"args":["/pause"]},"annotations":{"io.seccomp-learn.mode":"enforce","io.kubernetes.cri.container-type":"sandbox"}}' >"$T/b/config.json"
cp "$T/b/config.json" "$T/cfg.orig"
capture osl inject "$T/b"
check "a sandbox container is left alone in enforce mode" eval "[ $(rc) -eq 0 ] && cmp -s '$T/b/config.json' '$T/cfg.orig'"

# prestart: a learn-mode container without our filter is reported, not failed.
write_cfg learn example/app
capture osl prestart < <(printf '{"ociVersion":"1.0.2","id":"c1","status":"created","pid":1,"bundle":"%s","annotations":{"io.seccomp-learn.mode":"learn"}}' "$T/b")
check "prestart reports a learn container without a learning filter, exit 0" eval "[ $(rc) -eq 0 ] && grep -q 'has no learning filter' '$T/err' && grep -q 'has no learning filter' '$T/run/hooks.log'"
reg="$T/run/containers/c1-$(printf %s "$(realpath "$T/b")" | sha256sum | cut -c1-16).json"
check "prestart registered the container under its id and bundle" eval "jq -e '.containerId == \"c1\" and .mode == \"learn\" and .imageKey == \"docker.io/example/app\"' '$reg' >/dev/null"
capture osl poststop --timeout 0.2 < <(printf '{"ociVersion":"1.0.2","id":"c1","status":"stopped","bundle":"%s"}' "$T/b")
check "poststop removes the registration, exit 0" eval "[ $(rc) -eq 0 ] && [ ! -e '$reg' ]"

# precreate: stdin to stdout
write_cfg off example/app
capture osl precreate <"$T/cfg.orig"
check "precreate passes an off-mode config through byte for byte" cmp -s "$T/out" "$T/cfg.orig"
write_cfg learn example/app
capture osl precreate <"$T/cfg.orig"
check "precreate in learn mode with no agent passes the config through" eval "[ $(rc) -eq 0 ] && cmp -s '$T/out' '$T/cfg.orig' && grep -q 'learning is off' '$T/err'"
capture osl precreate < <(printf '{"broken":')
check "precreate of broken JSON: exit 1, one line" eval "[ $(rc) -eq 1 ] && [ \$(wc -l <'$T/err') -eq 1 ]"

# hooks with bad state never fail a teardown
capture osl poststop < <(printf 'not json')
check "poststop with a broken state exits 0 and says why" eval "[ $(rc) -eq 0 ] && grep -q 'invalid JSON' '$T/err'"
capture osl poststop < <(printf '{"id":"../../etc","status":"stopped"}')
check "poststop refuses an unsafe container id, exit 0" eval "[ $(rc) -eq 0 ] && grep -q 'not a safe name' '$T/err'"

exit $fail
