# SPDX-License-Identifier: Apache-2.0
# sqlite3 (Debian's sqlite3 shell) for bench/quality/run.sh: the container's
# command is sqlite3 itself, on a database in /tmp. The training is a
# developer's test run: a schema, inserts, an update, a delete and queries,
# with the journal in memory and no syncs (as test suites set them for
# speed). Each held-out operation starts from the same schema and rows.
# shellcheck shell=bash disable=SC2016 # jq programs: their $names are jq's

SQLITE_SETUP="PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;
CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, email TEXT);
INSERT INTO users(name, email) VALUES ('ann', 'ann@example.org'), ('bob', 'bob@example.org'), ('cy', 'cy@example.org');"
SQLITE_SERIES="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000)"

# shellcheck disable=SC2034 # read by run.sh through a nameref
# The programs `profile predict` analyses (--include predicted).
sqlite3_PROGRAMS=(/usr/bin/sqlite3)
sqlite3_OPS=(durable wal vacuum index temptable sort backup blob dump csv attach system integrity interrupt)
# shellcheck disable=SC2034
sqlite3_SMOKE_OPS=(durable interrupt)
# shellcheck disable=SC2034
declare -A sqlite3_DESC=(
        [durable]="a transaction with synchronous=FULL and a rollback journal (fsync)"
        [wal]="switch to WAL, insert, checkpoint"
        [vacuum]="delete every row, VACUUM"
        [index]="insert 50,000 rows, CREATE INDEX"
        [temptable]="a temporary table kept in a file (temp_store=FILE)"
        [sort]="ORDER BY random() over 50,000 rows with a tiny cache (sort spills to a file)"
        [backup]=".backup to another file, open it, count"
        [blob]="a 20 MB blob"
        [dump]=".dump to a file, .read it into a new database"
        [csv]="export CSV to a file, .import it"
        [attach]="ATTACH another database, create a table in it"
        [system]=".system: a command in a subprocess"
        [integrity]="PRAGMA integrity_check"
        [interrupt]="SIGINT during a long query: the query is interrupted, sqlite3 exits with status 9 (SQLITE_INTERRUPT)"
)

sqlite3_setup() {
        bench_bundle "$BENCH_DIR/sqlite3/bundle" hostusr '["/usr/bin/sqlite3"]' localhost/quality-sqlite3
}

# sqlite_run ARG...: sqlite3 -bail /tmp/q.db ARG... in a container, to the
# end; its output in $Q_DIR/$Q_ID.out and .err.
sqlite_run() {
        q_start "$BENCH_DIR/sqlite3/bundle" "$(jq -cn '["/usr/bin/sqlite3", "-bail", "/tmp/q.db"] + $ARGS.positional' --args "$@")"
        q_end
}

sqlite3_train() {
        local out
        sqlite_run "$SQLITE_SETUP UPDATE users SET email = 'b@example.org' WHERE name = 'bob';
                DELETE FROM users WHERE name = 'cy'; SELECT 'rows ' || count(*) FROM users;" \
                "SELECT name || ' ' || email FROM users WHERE id = 2;"
        out=$(cat "$Q_DIR/$Q_ID.out" "$Q_DIR/$Q_ID.err")
        [[ $out == *"rows 2"*"bob b@example.org"* ]] || { echo "$out" >&2; bench_die "the sqlite3 training failed"; }
}

# sqlite_expect WANT ARG...: runs, prints the output, and succeeds when
# sqlite3 exited 0 and printed WANT.
sqlite_expect() {
        local want=$1 out
        shift
        sqlite_run "$SQLITE_SETUP" "$@"
        out=$(cat "$Q_DIR/$Q_ID.out" "$Q_DIR/$Q_ID.err")
        echo "$out"
        echo "status: $Q_STATUS"
        [ "$Q_STATUS" = "exit 0" ] && [[ $out == *"$want"* ]]
}

sqlite3_op() {
        case $1 in
        durable) sqlite_expect ok-4 "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; BEGIN;
                INSERT INTO users(name) VALUES ('dee'); COMMIT; SELECT 'ok-' || count(*) FROM users;" ;;
        wal) sqlite_expect ok-4 "PRAGMA journal_mode=WAL; INSERT INTO users(name) VALUES ('wal');
                PRAGMA wal_checkpoint(TRUNCATE); SELECT 'ok-' || count(*) FROM users;" ;;
        vacuum) sqlite_expect ok-0 "DELETE FROM users; VACUUM; SELECT 'ok-' || count(*) FROM users;" ;;
        index) sqlite_expect ok-50003 "$SQLITE_SERIES INSERT INTO users(name, email) SELECT 'n' || x, x || '@e' FROM c;
                CREATE INDEX users_email ON users(email); SELECT 'ok-' || count(*) FROM users INDEXED BY users_email WHERE email > '';" ;;
        temptable) sqlite_expect ok-50000 "PRAGMA temp_store=FILE; PRAGMA cache_size=10;
                CREATE TEMP TABLE t(x, y); $SQLITE_SERIES INSERT INTO t SELECT x, randomblob(100) FROM c;
                SELECT 'ok-' || count(*) FROM t;" ;;
        sort) sqlite_expect ok-50000 "PRAGMA temp_store=FILE; PRAGMA cache_size=10;
                $SQLITE_SERIES SELECT 'ok-' || count(*) FROM (SELECT x, randomblob(100) FROM c ORDER BY random());" ;;
        backup) sqlite_expect ok-3 ".backup /tmp/copy.db" ".open /tmp/copy.db" "SELECT 'ok-' || count(*) FROM users;" ;;
        blob) sqlite_expect ok-20000000 "INSERT INTO users(name, email) VALUES ('blob', randomblob(20000000));
                SELECT 'ok-' || length(email) FROM users WHERE name = 'blob';" ;;
        dump) sqlite_expect ok-3 ".output /tmp/dump.sql" ".dump" ".output stdout" ".open /tmp/restored.db" \
                ".read /tmp/dump.sql" "SELECT 'ok-' || count(*) FROM users;" ;;
        csv) sqlite_expect ok-2 ".mode csv" ".output /tmp/users.csv" "SELECT * FROM users;" ".output stdout" \
                ".import /tmp/users.csv imported" ".mode list" "SELECT 'ok-' || count(*) FROM imported;" ;;
        attach) sqlite_expect ok-1 "ATTACH '/tmp/other.db' AS o; CREATE TABLE o.t(x); INSERT INTO o.t VALUES (1);
                SELECT 'ok-' || count(*) FROM o.t;" ;;
        system) sqlite_expect ok-sh ".system echo ok-sh" ;;
        integrity) sqlite_expect ok "PRAGMA integrity_check;" ;;
        interrupt)
                q_start "$BENCH_DIR/sqlite3/bundle" "$(jq -cn --arg s "$SQLITE_SETUP" '["/usr/bin/sqlite3", "-bail", "/tmp/q.db", $s,
                        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;"]')"
                sleep 1
                q_end INT
                cat "$Q_DIR/$Q_ID.out" "$Q_DIR/$Q_ID.err"
                echo "status: $Q_STATUS"
                [ "$Q_STATUS" = "exit 9" ] && grep -q interrupted "$Q_DIR/$Q_ID.err"
                ;;
        *) bench_die "sqlite3: no operation $1" ;;
        esac
}
