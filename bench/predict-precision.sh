#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2016 # jq programs: their $names are jq's
# How precise the static prediction is for real Debian programs (doc/quality.md):
# each runs a training workload in learn mode under runc (the host's /usr,
# read-only), then `profile predict` reads the same files, and the
# application's observed syscalls are compared with the predicted ones.
BENCH_NAME=predict-precision
BENCH_DESCRIPTION="Static prediction against one learning run, for python3 (a small HTTP service)
and redis-server (SET/GET through redis-cli, a clean shutdown)."
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"
bench_require OSL_BIN runc jq python3 redis-server redis-cli
bench_init
bench_start_agent

PY_SCRIPT='
import http.server, json, os, threading, urllib.request
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
t = threading.Thread(target=srv.serve_forever); t.start()
os.chdir("/tmp")
with open("/tmp/index.html", "w") as f: f.write(json.dumps({"ok": True}))
for _ in range(3):
    body = urllib.request.urlopen("http://127.0.0.1:%d/index.html" % srv.server_address[1]).read()
srv.shutdown(); t.join(); print("python ok", len(body))
'
REDIS_SCRIPT='redis-server --port 0 --unixsocket /tmp/r.sock --save "" --daemonize no >/tmp/redis.log & 
for i in 1 2 3 4 5 6 7 8 9 10; do [ -S /tmp/r.sock ] && break; sleep 0.2; done
redis-cli -s /tmp/r.sock set k v >/dev/null; redis-cli -s /tmp/r.sock get k; redis-cli -s /tmp/r.sock shutdown nosave; wait; echo redis ok'

# measure NAME ARGS-JSON PROGRAM...: one row of the table.
measure() {
        local name=$1 args=$2 store=$BENCH_DIR/store-$1 dir=$BENCH_DIR/$1
        shift 2
        bench_bundle "$dir" hostusr "$args" "localhost/$name"
        bench_jq_config "$dir" '.annotations["io.seccomp-learn.mode"] = "learn"'
        osl "$store" inject "$dir" 2>>"$BENCH_DIR/inject.log"
        BENCH_CONTAINERS+=("pp-$name")
        bench_wait "$dir.out" "$dir.err" timeout -k 10 120 runc --root "$BENCH_DIR/runc" run --bundle "$dir" "pp-$name" ||
                bench_die "$name: the learning run failed: $(cat "$dir.err")"
        timeout 20 runc --root "$BENCH_DIR/runc" delete -f "pp-$name" >/dev/null 2>&1 || true
        osl "$store" profile show "localhost/$name" --json |
                jq -r '.syscalls[] | select(.arch == "SCMP_ARCH_X86_64" and (.origins | index("application"))) | .name' |
                sort -u >"$dir.observed"
        # The image's files are the host's /usr: the rootfs to read is /.
        osl "$store" profile predict "localhost/$name" --rootfs / "$@" >"$dir.predict" ||
                bench_die "$name: predict failed"
        osl "$store" profile coverage "localhost/$name" --json >"$dir.coverage"
        jq -r '.predicted[]' "$store/images/localhost%2F$name/predicted.json" | sort -u >"$dir.predicted"
        local p o both
        p=$(wc -l <"$dir.predicted")
        o=$(wc -l <"$dir.observed")
        both=$(comm -12 "$dir.predicted" "$dir.observed" | wc -l)
        printf '| %s | %s | %d | %d | %d | %d | %d | %s |\n' "$name" "$*" "$p" "$o" "$both" $((p - both)) $((o - both)) \
                "$(comm -13 "$dir.predicted" "$dir.observed" | tr '\n' ' ')"
}

echo "| program | programs analysed | predicted | observed (application) | both | predicted, not observed | observed, not predicted | observed, not predicted: names |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
measure python3 "$(jq -cn --arg s "$PY_SCRIPT" '["/usr/bin/python3", "-c", $s]')" /usr/bin/python3
measure redis "$(jq -cn --arg s "$REDIS_SCRIPT" '["/bin/sh", "-c", $s]')" \
        /usr/bin/dash /usr/bin/redis-server /usr/bin/redis-cli /usr/bin/sleep
