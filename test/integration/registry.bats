#!/usr/bin/env bats
# Profiles through a real registry (Debian's docker-registry, distribution
# 2.8, started here on 127.0.0.1): nodes that learned different workloads
# of one image push their profiles, another node pulls and merges them and
# enforces the union with runc. distribution 2.8 has no referrers API, so
# this is the referrers tag schema for real; the API is tested through
# referrers-proxy.py, a small proxy in front of the same registry that
# answers the API and asks for a token (distribution 2.8 has neither).

load helpers

WORKLOAD='echo hello; ls / >/dev/null'

setup() {
        osl_setup
        [ -x /usr/bin/docker-registry ] || skip "docker-registry is not installed"
        command -v skopeo >/dev/null || skip "skopeo is not installed"
        command -v podman >/dev/null || skip "podman is not installed"
        command -v curl >/dev/null || skip "curl is not installed"
        REGISTRY_PID=
        PROXY_PID=
        KEY=localhost/fleet
        start_registry
        push_busybox_image
}

teardown() {
        local pid
        for pid in "$PROXY_PID" "$REGISTRY_PID"; do
                if [ -n "$pid" ]; then
                        kill -TERM "$pid" 2>/dev/null || true
                        timeout 10 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
                        wait "$pid" 2>/dev/null || true
                fi
        done
        osl_teardown
}

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL: until it answers (any HTTP status), at most 10 s.
wait_http() {
        local i
        for i in $(seq 1 100); do
                curl -s -o /dev/null --max-time 2 "$1" && return 0
                sleep 0.1
        done
        echo "nothing answers at $1" >&2
        return 1
}

start_registry() {
        PORT=$(free_port)
        mkdir -p "$T/registry"
        cat >"$T/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: 127.0.0.1:$PORT
EOF
        timeout 600 /usr/bin/docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
        REGISTRY_PID=$!
        wait_http "http://127.0.0.1:$PORT/v2/" || { cat "$T/registry.log" >&2; return 1; }
        REG=127.0.0.1:$PORT
}

# A busybox image, imported into a private podman storage and pushed.
push_busybox_image() {
        mkdir -p "$T/img/bin" "$T/podman/tmp"
        cp /bin/busybox "$T/img/bin/busybox"
        tar -C "$T/img" -cf "$T/img.tar" .
        local p=(timeout 120 podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver vfs
                --tmpdir "$T/podman/tmp" --events-backend none)
        "${p[@]}" import "$T/img.tar" localhost/fleet-img:v1 >/dev/null
        "${p[@]}" push --tls-verify=false localhost/fleet-img:v1 "docker://$REG/fleet:v1" >/dev/null 2>&1
        "${p[@]}" rmi -a -f >/dev/null 2>&1 || true
        IMAGE_DIGEST=sha256:$(timeout 60 skopeo inspect --raw --tls-verify=false "docker://$REG/fleet:v1" | sha256sum | cut -c1-64)
}

busybox_bundle() { # dir
        make_bundle "$1" busybox "$(jq -cn --arg c "$WORKLOAD" '["/bin/sh","-c",$c]')" "$KEY"
        jq '.root.readonly = false' "$1/config.json" >"$1/config.pristine"
}

# learn_on NODE-STORE COMMAND: one container learns COMMAND into that store.
learn_on() {
        STORE=$1
        mkdir -p "$STORE"
        start_agent
        jq --arg cmd "$2; $WORKLOAD" '.process.args = ["/bin/sh", "-c", $cmd]
                | .annotations["io.seccomp-learn.mode"] = "learn"' "$T/b/config.pristine" >"$T/b/config.json"
        osl inject "$T/b"
        run_container "$T/b" "learn-$RANDOM"
        [ "$status" -eq 0 ]
        stop_agent
}

enforce_run() { # command
        jq --arg cmd "$1" '.process.args = ["/bin/sh", "-c", $cmd]
                | .annotations["io.seccomp-learn.mode"] = "enforce"' "$T/b/config.pristine" >"$T/b/config.json"
        osl inject "$T/b"
        run_container "$T/b" "enforce-$RANDOM"
}

names() { # store
        "$OSL_BIN" --store "$1" profile show "$KEY" --json | jq -r '.syscalls[].name' | sort -u
}

@test "registry: two nodes push what they learned, a third pulls the union and enforces it" {
        busybox_bundle "$T/b"
        learn_on "$T/node-a" 'mkdir /tmp/d'
        learn_on "$T/node-b" 'ln -s x /tmp/l'
        # Each node saw one workload: one has mkdir, the other symlink.
        names "$T/node-a" | grep -qx 'mkdir\|mkdirat'
        ! names "$T/node-a" | grep -qx 'symlink\|symlinkat'
        names "$T/node-b" | grep -qx 'symlink\|symlinkat'
        ! names "$T/node-b" | grep -qx 'mkdir\|mkdirat'

        STORE=$T/node-a
        run osl profile push "$KEY" --registry "$REG/fleet:v1"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"listed by the referrers tag sha256-${IMAGE_DIGEST#sha256:}"* ]]
        ARTIFACT_A=$(echo "$output" | grep -o 'as sha256:[0-9a-f]*' | cut -c4-)
        STORE=$T/node-b
        run osl profile push "$KEY" --registry "$REG/fleet:v1"
        [ "$status" -eq 0 ]
        ARTIFACT_B=$(echo "$output" | grep -o 'as sha256:[0-9a-f]*' | cut -c4-)
        [ "$ARTIFACT_A" != "$ARTIFACT_B" ]
        # Pushing again lists nothing twice.
        run osl profile push "$KEY" --registry "$REG/fleet:v1"
        [ "$status" -eq 0 ]
        [[ "$output" == *"is in"* ]]

        # The referrers tag, as skopeo and the registry's own API see it.
        run timeout 60 skopeo inspect --raw --tls-verify=false "docker://$REG/fleet:sha256-${IMAGE_DIGEST#sha256:}"
        echo "$output"
        [ "$status" -eq 0 ]
        echo "$output" | jq -e --arg a "$ARTIFACT_A" --arg b "$ARTIFACT_B" '
                .mediaType == "application/vnd.oci.image.index.v1+json"
                and ([.manifests[].digest] | sort) == ([$a, $b] | sort)
                and all(.manifests[]; .artifactType == "application/vnd.cncf.seccomp-profile.config.v1+json")'
        run timeout 60 skopeo inspect --raw --tls-verify=false "docker://$REG/fleet@$ARTIFACT_A"
        [ "$status" -eq 0 ]
        echo "$output" | jq -e --arg s "$IMAGE_DIGEST" '
                .artifactType == "application/vnd.cncf.seccomp-profile.config.v1+json"
                and .config.mediaType == "application/vnd.cncf.seccomp-profile.config.v1+json"
                and .subject.digest == $s and (.layers | length) == 1 and .layers[0].mediaType == "application/json"
                and .annotations["io.seccomp-learn.image"] == "localhost/fleet"'
        curl -sf "http://$REG/v2/fleet/tags/list" | jq -e --arg t "sha256-${IMAGE_DIGEST#sha256:}" '.tags | index($t)'
        layer=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
                "http://$REG/v2/fleet/manifests/$ARTIFACT_B" | jq -r '.layers[0].digest')
        curl -sf "http://$REG/v2/fleet/blobs/$layer" | jq -e '.syscalls[0].names | index("symlink") or index("symlinkat")'

        # The third node has nothing, pulls both, gets the union.
        STORE=$T/node-c
        run osl profile pull "$KEY" --registry "$REG/fleet:v1"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"$ARTIFACT_A from $REG/fleet:v1: merged as version"* ]]
        [[ "$output" == *"$ARTIFACT_B from $REG/fleet:v1: merged as version"* ]]
        names "$T/node-c" | grep -qx 'mkdir\|mkdirat'
        names "$T/node-c" | grep -qx 'symlink\|symlinkat'
        [ "$(names "$T/node-c")" = "$(sort -u <(names "$T/node-a") <(names "$T/node-b"))" ]
        # The history names each source: registry, repository, artifact digest.
        osl profile show "$KEY" --json | jq -e --arg a "registry:$REG/fleet@$ARTIFACT_A" \
                --arg b "registry:$REG/fleet@$ARTIFACT_B" --arg s "$IMAGE_DIGEST" '
                ([.history[].containerId] | index($a) != null and index($b) != null)
                and all(.history[]; .imageDigest == $s and .imageTag == "v1")'
        # Pulling again changes nothing.
        version=$(osl profile show "$KEY" --json | jq .version)
        run osl profile pull "$KEY" --registry "$REG/fleet:v1"
        [ "$status" -eq 0 ]
        [[ "$output" == *"merged before; no change"* ]]
        [ "$(osl profile show "$KEY" --json | jq .version)" -eq "$version" ]

        # Enforced on the third node: both workloads run, a call nobody
        # learned is refused.
        enforce_run "mkdir /tmp/d2 && ln -s y /tmp/l2 && echo both-ran; $WORKLOAD"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *both-ran* ]]
        enforce_run 'mkfifo /tmp/f; echo "mkfifo status $?"'
        echo "$output"
        [[ "$output" == *"Operation not permitted"* ]]
        [[ "$output" == *"mkfifo status 1"* ]]
}

# tamper_blob DIGEST FROM TO: changes the registry's stored copy (sed
# s/FROM/TO/, the same length: it stays JSON that the registry serves).
tamper_blob() {
        local hex=${1#sha256:}
        local f=$T/registry/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
        [ -f "$f" ]
        cp "$f" "$T/blob.orig"
        sed -i "s|$2|$3|" "$f"
        ! cmp -s "$f" "$T/blob.orig"
}

@test "registry: a tampered profile blob or artifact manifest is refused and nothing is stored" {
        busybox_bundle "$T/b"
        learn_on "$T/node-a" 'mkdir /tmp/d'
        STORE=$T/node-a
        run osl profile push "$KEY" --registry "$REG/fleet:v1"
        [ "$status" -eq 0 ]
        artifact=$(echo "$output" | grep -o 'as sha256:[0-9a-f]*' | cut -c4-)
        layer=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
                "http://$REG/v2/fleet/manifests/$artifact" | jq -r '.layers[0].digest')

        # The profile allows mkdir; the tampered copy allows mknod instead.
        tamper_blob "$layer" '"mkdir"' '"mknod"'
        STORE=$T/node-c
        run osl profile pull "$KEY" --registry "$REG/fleet:v1"
        echo "$output"
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"blob $REG/fleet@$layer: its content has the digest sha256:"*"tampered with"* ]]
        [ ! -e "$T/node-c/images" ] || [ -z "$(ls -A "$T/node-c/images")" ]
        cp "$T/blob.orig" "$T/registry/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data"

        # The artifact's manifest, stored by the registry as a blob too.
        tamper_blob "$artifact" localhost/fleet localhost/fleeT
        run osl profile pull "$KEY" --registry "$REG/fleet:v1"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"manifest $REG/fleet@$artifact"*"tampered with"* ]]
        [ ! -e "$T/node-c/images" ] || [ -z "$(ls -A "$T/node-c/images")" ]
}

@test "registry: the referrers API, token authentication, blobs redirected to storage (a proxy in front of the registry)" {
        busybox_bundle "$T/b"
        learn_on "$T/node-a" 'mkdir /tmp/d'
        PROXY_PORT=$(free_port)
        timeout 600 python3 "$BATS_TEST_DIRNAME/referrers-proxy.py" "$PROXY_PORT" "$PORT" user:secret \
                >"$T/proxy.log" 2>&1 &
        PROXY_PID=$!
        wait_http "http://127.0.0.1:$PROXY_PORT/v2/" || { cat "$T/proxy.log" >&2; return 1; }
        PROXIED=127.0.0.1:$PROXY_PORT

        # No credentials: the token server refuses.
        STORE=$T/node-a
        run env REGISTRY_AUTH_FILE=$T/none.json HOME=$T XDG_RUNTIME_DIR= "$OSL_BIN" --store "$STORE" \
                profile push "$KEY" --registry "$PROXIED/fleet:v1"
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"the token server http://$PROXIED/token refused: HTTP 401"* ]]

        # Credentials from the containers auth file.
        printf '{"auths":{"%s":{"auth":"%s"}}}' "$PROXIED" "$(printf user:secret | base64)" >"$T/auth.json"
        run env REGISTRY_AUTH_FILE=$T/auth.json "$OSL_BIN" --store "$STORE" \
                profile push "$KEY" --registry "$PROXIED/fleet:v1"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"listed by the registry's referrers API"* ]]
        artifact=$(echo "$output" | grep -o 'as sha256:[0-9a-f]*' | cut -c4-)
        # The API lists it; no referrers tag was written.
        curl -sf -H "Authorization: Bearer $(cat "$T/proxy.log" | grep -o 'token [a-z0-9]*' | tail -1 | cut -c7-)" \
                "http://$PROXIED/v2/fleet/referrers/$IMAGE_DIGEST" | jq -e --arg a "$artifact" '[.manifests[].digest] == [$a]'
        ! curl -sf "http://$REG/v2/fleet/tags/list" | jq -e --arg t "sha256-${IMAGE_DIGEST#sha256:}" '.tags | index($t)'

        STORE=$T/node-c
        run env REGISTRY_AUTH_FILE=$T/auth.json "$OSL_BIN" --store "$STORE" \
                profile pull "$KEY" --registry "$PROXIED/fleet:v1"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"$artifact from $PROXIED/fleet:v1: merged as version 1"* ]]
        names "$T/node-c" | grep -qx 'mkdir\|mkdirat'
        # The blobs came through the redirect to the storage, without the token.
        [ "$(grep -c 'storage request, Authorization: none' "$T/proxy.log")" -eq 2 ]
        ! grep -q 'storage request, Authorization: present' "$T/proxy.log"
}

@test "registry: plain http only on the loopback or with --plain-http; bad references are refused" {
        STORE=$T/node-a
        # Nothing is stored for the image: the registry is not asked.
        run osl profile push "$KEY" --registry "$REG/fleet:v1"
        [ "$status" -eq 3 ]
        # pull_says STATUS MESSAGE ARGS...: pull fails with STATUS, saying MESSAGE.
        pull_says() {
                run osl profile pull "$KEY" "${@:3}"
                echo "$output"
                [ "$status" -eq "$1" ]
                [[ "$output" == *"$2"* ]]
        }
        pull_says 1 "https://registry.invalid/v2/fleet/manifests/v1" --registry registry.invalid/fleet:v1
        pull_says 1 "http://registry.invalid/v2/fleet/manifests/v1" --registry registry.invalid/fleet:v1 --plain-http
        pull_says 1 "expected HOST[:PORT]/REPOSITORY[:TAG][@DIGEST]" --registry fleet:v1
        pull_says 1 "library is not a registry host" --registry library/fleet:v1
        pull_says 1 "is not a repository name" --registry "$REG/Fleet:v1"
        pull_says 2 "which image in which registry?"
        pull_says 3 "$REG/fleet:v2: no such image in the registry" --registry "$REG/fleet:v2"
        # Nothing attached yet.
        run osl profile pull "$KEY" --registry "$REG/fleet:v1"
        [ "$status" -eq 0 ]
        [[ "$output" == *"no seccomp profile is attached"* ]]
}
