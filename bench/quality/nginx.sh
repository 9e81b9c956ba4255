# SPDX-License-Identifier: Apache-2.0
# nginx (Debian's nginx-light) for bench/quality/run.sh: a master and one
# worker serving static files from a read-only /srv, the configuration there
# too. The training is a developer's smoke test: the index page and a small
# file, a few times, then a stop (SIGTERM). Each held-out operation starts
# nginx, waits until it answers, does the operation, and stops it with
# SIGTERM.
# shellcheck shell=bash disable=SC2016 # jq programs: their $names are jq's

# shellcheck disable=SC2034 # read by run.sh through a nameref
# The programs `profile predict` analyses (--include predicted).
nginx_PROGRAMS=(/usr/sbin/nginx)
nginx_OPS=(bigfile writev listing notfound head range gzip keepalive concurrent post bigheader reload reopen quit term)
# shellcheck disable=SC2034
nginx_SMOKE_OPS=(bigfile term)
# shellcheck disable=SC2034
declare -A nginx_DESC=(
        [bigfile]="an 8 MB file (sendfile)"
        [writev]="the same file where sendfile is off (read, writev)"
        [listing]="a directory listing (autoindex)"
        [notfound]="a 404"
        [head]="a HEAD request"
        [range]="a range request (206)"
        [gzip]="a gzip-compressed reply"
        [keepalive]="three requests on one kept-alive connection"
        [concurrent]="30 clients at once"
        [post]="a POST with a 1 MB body to a static file (405, body read and discarded)"
        [bigheader]="a request with a 6 KB header (large header buffers)"
        [reload]="reload (SIGHUP): new worker, the old one stops gracefully; still serves"
        [reopen]="reopen the logs (SIGUSR1); still serves"
        [quit]="graceful stop (SIGQUIT): exit status 0"
        [term]="stop (SIGTERM): exit status 0"
)

nginx_setup() {
        local srv=$BENCH_DIR/nginx/srv i
        NGINX_PORT=$(free_port)
        NGINX_URL=http://127.0.0.1:$NGINX_PORT
        mkdir -p "$srv/www/files"
        echo '<html><body>hello</body></html>' >"$srv/www/index.html"
        echo 'a small file' >"$srv/www/small.txt"
        head -c 8388608 /dev/urandom >"$srv/www/big.bin"
        for i in $(seq 1 3000); do echo "body { margin: ${i}px; }"; done >"$srv/www/style.css"
        for i in a b c; do echo "$i" >"$srv/www/files/$i.txt"; done
        cat >"$srv/nginx.conf" <<CONF
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
        include /etc/nginx/mime.types;
        access_log /tmp/access.log;
        client_body_temp_path /tmp/client_body;
        proxy_temp_path /tmp/proxy;
        fastcgi_temp_path /tmp/fastcgi;
        uwsgi_temp_path /tmp/uwsgi;
        scgi_temp_path /tmp/scgi;
        sendfile on;
        gzip on;
        gzip_types text/css text/plain;
        server {
                listen 127.0.0.1:$NGINX_PORT;
                root /srv/www;
                location /files/ { autoindex on; }
                location /plain/ { alias /srv/www/; sendfile off; }
        }
}
CONF
        bench_bundle "$BENCH_DIR/nginx/bundle" hostusr \
                '["/usr/sbin/nginx", "-e", "stderr", "-c", "/srv/nginx.conf", "-g", "daemon off;"]' localhost/quality-nginx
        # The master makes its temporary directories the worker's and the
        # worker drops to www-data: the capabilities Docker gives by default.
        bench_jq_config "$BENCH_DIR/nginx/bundle" '.mounts += [{"destination": "/srv", "type": "bind", "source": $s,
                "options": ["rbind", "ro", "nosuid", "nodev"]}]
                | .process.capabilities |= map_values(. + ["CAP_CHOWN", "CAP_SETUID", "CAP_SETGID"] | unique)' --arg s "$srv"
        cp "$BENCH_DIR/nginx/bundle/config.json" "$BENCH_DIR/nginx/bundle/config.pristine"
}

# nginx_up: starts nginx under the current policy and waits until it
# serves the index page (what the training did).
nginx_up() {
        local i
        q_start "$BENCH_DIR/nginx/bundle" "$(jq -c .process.args "$BENCH_DIR/nginx/bundle/config.pristine")"
        for i in $(seq 1 100); do
                curl -sf -o /dev/null "$NGINX_URL/" && return 0
                sleep 0.1
        done
        cat "$Q_DIR/$Q_ID.err"
        return 1
}

nginx_train() {
        local i
        nginx_up || bench_die "nginx did not start for the training"
        for i in 1 2 3; do
                curl -sf "$NGINX_URL/" | grep -q hello || bench_die "nginx training: no index page"
                curl -sf "$NGINX_URL/small.txt" | grep -q 'a small file' || bench_die "nginx training: no small.txt"
        done
        q_end TERM
}

# nginx_check OP: the operation against a running nginx; 0 when it worked.
nginx_check() {
        local srv=$BENCH_DIR/nginx/srv tmp=$BENCH_DIR/nginx/reply i
        case $1 in
        bigfile) curl -sf -o "$tmp" "$NGINX_URL/big.bin" && cmp "$tmp" "$srv/www/big.bin" ;;
        writev) curl -sf -o "$tmp" "$NGINX_URL/plain/big.bin" && cmp "$tmp" "$srv/www/big.bin" ;;
        listing) curl -sf "$NGINX_URL/files/" | grep -q 'b\.txt' ;;
        notfound) [ "$(curl -s -o /dev/null -w '%{http_code}' "$NGINX_URL/nothing-here")" = 404 ] ;;
        head) curl -sfI "$NGINX_URL/small.txt" | grep -qi '^content-length: 13' ;;
        range)
                [ "$(curl -s -o "$tmp" -w '%{http_code}' -r 1000-1999 "$NGINX_URL/big.bin")" = 206 ] &&
                        cmp "$tmp" <(tail -c +1001 "$srv/www/big.bin" | head -c 1000)
                ;;
        gzip)
                curl -sf -D "$tmp.headers" --compressed -o "$tmp" "$NGINX_URL/style.css" &&
                        grep -qi '^content-encoding: gzip' "$tmp.headers" && cmp "$tmp" "$srv/www/style.css"
                ;;
        keepalive)
                curl -sf "$NGINX_URL/small.txt" "$NGINX_URL/index.html" "$NGINX_URL/files/a.txt" -o /dev/null -o /dev/null -o "$tmp" \
                        -w '%{num_connects}\n' >"$tmp.connects" && [ "$(paste -sd+ "$tmp.connects" | bc)" = 1 ] && grep -qx a "$tmp"
                ;;
        concurrent)
                local pids=() failed=0 p
                for i in $(seq 1 30); do
                        curl -sf -o /dev/null "$NGINX_URL/style.css" &
                        pids+=($!)
                done
                for p in "${pids[@]}"; do wait "$p" || failed=1; done
                [ $failed = 0 ]
                ;;
        post)
                head -c 1048576 /dev/zero >"$tmp.body"
                [ "$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$tmp.body" "$NGINX_URL/index.html")" = 405 ] &&
                        curl -sf "$NGINX_URL/small.txt" >/dev/null
                ;;
        bigheader) curl -sf -o /dev/null -H "X-Big: $(head -c 6000 /dev/zero | tr '\0' x)" "$NGINX_URL/small.txt" ;;
        reload | reopen)
                local sig=HUP
                [ "$1" = reload ] || sig=USR1
                timeout 20 runc --root "$BENCH_DIR/runc" kill "$Q_ID" "$sig" || return 1
                sleep 1
                for i in 1 2 3; do curl -sf -o /dev/null "$NGINX_URL/small.txt" || return 1; done
                [ "$(runc --root "$BENCH_DIR/runc" state "$Q_ID" | jq -r .status)" = running ]
                ;;
        quit | term) return 0 ;; # judged by the exit status
        *) bench_die "nginx: no operation $1" ;;
        esac
}

nginx_op() {
        local rc=0 stop=TERM
        nginx_up || { q_end KILL; return 1; }
        nginx_check "$1" || rc=1
        [ "$1" != quit ] || stop=QUIT
        q_end "$stop"
        echo "status: $Q_STATUS"
        tail -n 5 "$Q_DIR/$Q_ID.err"
        case $1 in
        quit | term) [ "$Q_STATUS" = "exit 0" ] || rc=1 ;;
        esac
        return $rc
}
