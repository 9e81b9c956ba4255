# SPDX-License-Identifier: Apache-2.0
# A small Python service (bench/quality/app.py, Debian's python3) for
# bench/quality/run.sh. The training is the developer's test run of its
# endpoints /ping and /notes (store a note, read it back), then a stop with
# SIGTERM; the held-out operations are the app's other endpoints, each in a
# fresh container, and its clean stop.
# shellcheck shell=bash disable=SC2016 # jq programs: their $names are jq's

# shellcheck disable=SC2034 # read by run.sh through a nameref
# The programs `profile predict` analyses (--include predicted); the
# extension modules python3 loads with dlopen are not among them.
python_PROGRAMS=(/usr/bin/python3)
python_OPS=(subprocess pipe fork thread atomic mkdir rmtree timer uname rusage udp bigjson gzip symlink cpus term)
# shellcheck disable=SC2034
python_SMOKE_OPS=(subprocess term)
# shellcheck disable=SC2034
declare -A python_DESC=(
        [subprocess]="subprocess.run of /bin/echo, output captured"
        [pipe]="a pipe to a subprocess (/bin/cat, input=...)"
        [fork]="os.fork, the child exits 3, waitpid"
        [thread]="a thread, joined"
        [atomic]="a temporary file, fsync, renamed into place (os.replace)"
        [mkdir]="os.makedirs of three levels"
        [rmtree]="shutil.rmtree of a small tree"
        [timer]="an interval timer (setitimer) and its SIGALRM handler"
        [uname]="os.uname"
        [rusage]="resource.getrusage"
        [udp]="a UDP datagram to itself (sendto, recvfrom)"
        [bigjson]="json.dumps and loads of 300,000 objects (large buffers)"
        [gzip]="write and read back a gzip file"
        [symlink]="chmod, symlink, readlink, stat"
        [cpus]="os.sched_getaffinity"
        [term]="stop (SIGTERM, the app's handler exits): exit status 0"
)

python_setup() {
        PYTHON_PORT=$(free_port)
        PYTHON_URL=http://127.0.0.1:$PYTHON_PORT
        bench_bundle "$BENCH_DIR/python/bundle" hostusr \
                "$(jq -cn --arg p "$PYTHON_PORT" '["/usr/bin/python3", "/srv/app.py", $p]')" localhost/quality-python
        bench_jq_config "$BENCH_DIR/python/bundle" '.mounts += [{"destination": "/srv/app.py", "type": "bind", "source": $s,
                "options": ["bind", "ro", "nosuid", "nodev"]}]' --arg s "$QUALITY_DIR/app.py"
        cp "$BENCH_DIR/python/bundle/config.json" "$BENCH_DIR/python/bundle/config.pristine"
}

python_up() {
        local i
        q_start "$BENCH_DIR/python/bundle" "$(jq -c .process.args "$BENCH_DIR/python/bundle/config.pristine")"
        for i in $(seq 1 100); do
                [ "$(curl -sf "$PYTHON_URL/ping")" = "ok pong" ] && return 0
                sleep 0.1
        done
        cat "$Q_DIR/$Q_ID.err"
        return 1
}

python_train() {
        python_up || bench_die "the python service did not start for the training"
        curl -sf "$PYTHON_URL/ping" | grep -q pong || bench_die "python training: /ping"
        curl -sf -d 'first note' "$PYTHON_URL/notes" | grep -q stored || bench_die "python training: POST /notes"
        curl -sf "$PYTHON_URL/notes" | grep -q 'first note' || bench_die "python training: GET /notes"
        q_end TERM
}

python_op() {
        local rc=0
        python_up || { q_end KILL; return 1; }
        if [ "$1" != term ]; then
                curl -s -w ' (HTTP %{http_code})\n' "$PYTHON_URL/$1" >"$BENCH_DIR/python/reply" || rc=1
                cat "$BENCH_DIR/python/reply"
                grep -q '^ok .*(HTTP 200)$' "$BENCH_DIR/python/reply" || rc=1
        fi
        q_end TERM
        echo "status: $Q_STATUS"
        tail -n 5 "$Q_DIR/$Q_ID.err"
        [ "$1" != term ] || [ "$Q_STATUS" = "exit 0" ] || rc=1
        return $rc
}
