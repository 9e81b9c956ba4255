#!/bin/bash
# `profile export --format F` and `profile install` as the tools that read
# them would: JSON parses and matches, YAML parses (Debian's python3-yaml)
# with the fields the security-profiles-operator and Kubernetes require, the
# podman label is one line, the Docker flags are exact, and install writes
# where kubelet looks for Localhost profiles.
. "$(dirname "$0")/lib.sh"

if ! "$PY" -c 'import yaml' 2>/dev/null; then
        echo "FAIL: /usr/bin/python3 lacks yaml (Debian: apt-get install python3-yaml)" >&2
        exit 1
fi

IMG=localhost/web
obs "$WORK/a.json" ca image:$IMG sys:SCMP_ARCH_X86_64:runtime:futex:3 sys:SCMP_ARCH_X86_64:application:read:10 \
        sys:SCMP_ARCH_X86_64:application:accept4:1 "cap:CAP_NET_BIND_SERVICE:bind(port 80)" cap:CAP_SETUID
obs "$WORK/b.json" cb image:$IMG sys:SCMP_ARCH_X86_64:application:sendfile:1 sys:SCMP_ARCH_X86:application:socketcall:1
run osl profile merge $IMG "$WORK/a.json" "$WORK/b.json"
expect_rc 0 "merge"

# oci (the default) and docker: the same seccomp JSON, as docker's and
# containerd's decoders read it.
run osl profile export $IMG
expect_rc 0 "export"
printf '%s\n' "$out" >"$WORK/oci.json"
run osl profile export $IMG --format docker --version 2
expect_rc 0 "export --format docker"
printf '%s\n' "$out" >"$WORK/docker.json"
"$PY" - "$WORK/oci.json" "$WORK/docker.json" <<'PY' || fail "oci/docker export: $(cat "$WORK/oci.json")"
import json, sys
oci, docker = (json.load(open(p)) for p in sys.argv[1:3])
assert oci == docker, (oci, docker)
known = {"defaultAction", "defaultErrnoRet", "architectures", "syscalls", "flags", "listenerPath", "listenerMetadata"}
assert set(oci) <= known, oci.keys()
assert oci["defaultAction"] == "SCMP_ACT_ERRNO" and oci["defaultErrnoRet"] == 1, oci
assert oci["architectures"] == ["SCMP_ARCH_X86", "SCMP_ARCH_X86_64"], oci
assert oci["syscalls"] == [{"names": ["accept4", "futex", "read", "sendfile", "socketcall"], "action": "SCMP_ACT_ALLOW"}], oci
PY
run osl profile export $IMG --version 1 --format oci
printf '%s\n' "$out" | grep -q sendfile && fail "export --version 1 holds what version 2 added: $out"

# spo: a SeccompProfile resource.
run osl profile export $IMG --format spo
expect_rc 0 "export --format spo"
printf '%s\n' "$out" >"$WORK/spo.yaml"
"$PY" - "$WORK/spo.yaml" "$WORK/oci.json" <<'PY' || fail "spo export: $(cat "$WORK/spo.yaml")"
import json, re, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
assert len(docs) == 1, docs
sp = docs[0]
oci = json.load(open(sys.argv[2]))
assert sp["apiVersion"] == "security-profiles-operator.x-k8s.io/v1beta1", sp
assert sp["kind"] == "SeccompProfile", sp
name = sp["metadata"]["name"]
assert name == "localhost-web-v2", name
assert len(name) <= 253 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", name), name
assert sp["metadata"]["annotations"] == {"io.seccomp-learn/image": "localhost/web", "io.seccomp-learn/version": "2"}, sp
spec = sp["spec"]
# The CRD's fields only (v1beta1 has no defaultErrnoRet: ERRNO means EPERM).
assert set(spec) <= {"baseProfileName", "defaultAction", "architectures", "listenerPath", "listenerMetadata",
                     "syscalls", "flags"}, spec.keys()
assert spec["defaultAction"] == "SCMP_ACT_ERRNO", spec
assert spec["architectures"] == oci["architectures"], spec
assert spec["syscalls"] == oci["syscalls"], spec
PY

# podman-label: one line of JSON, the same profile.
run osl profile export $IMG --format podman-label
expect_rc 0 "export --format podman-label"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "podman-label is not one line: $out"
"$PY" - "$out" "$WORK/oci.json" <<'PY' || fail "podman-label: $out"
import json, sys
assert json.loads(sys.argv[1]) == json.load(open(sys.argv[2]))
PY

# docker-caps: the learned capabilities, as docker run wants them.
run osl profile export $IMG --format docker-caps
expect_rc 0 "export --format docker-caps"
[ "$out" = "--cap-drop=ALL --cap-add=NET_BIND_SERVICE --cap-add=SETUID" ] || fail "docker-caps: $out"

# kubernetes: a securityContext with the installed Localhost profile.
run osl profile export $IMG --format kubernetes --version 1
expect_rc 0 "export --format kubernetes"
printf '%s\n' "$out" >"$WORK/k8s.yaml"
"$PY" - "$WORK/k8s.yaml" <<'PY' || fail "kubernetes export: $(cat "$WORK/k8s.yaml")"
import sys, yaml
sc = yaml.safe_load(open(sys.argv[1]))["securityContext"]
assert sc["seccompProfile"] == {"type": "Localhost", "localhostProfile": "oci-seccomp-learn/localhost-web-v1.json"}, sc
assert sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "SETUID"]}, sc
PY

# install: where kubelet looks (KUBELET_DIR/seccomp/ + localhostProfile).
KUBELET=$WORK/kubelet
run osl profile install $IMG --kubelet-dir "$KUBELET"
expect_rc 0 "install"
printf '%s\n' "$out" >"$WORK/install.yaml"
FILE=$KUBELET/seccomp/oci-seccomp-learn/localhost-web-v2.json
[ -f "$FILE" ] || fail "install did not write $FILE: $(find "$KUBELET" 2>&1)"
printf '%s\n' "$out" | head -1 | grep -qx "# installed as $FILE" || fail "install did not say where: $out"
"$PY" - "$WORK/install.yaml" "$KUBELET" "$WORK/oci.json" <<'PY' || fail "install: $out"
import json, os, sys, yaml
sc = yaml.safe_load(open(sys.argv[1]))["securityContext"]
rel = sc["seccompProfile"]["localhostProfile"]
assert sc["seccompProfile"]["type"] == "Localhost" and rel == "oci-seccomp-learn/localhost-web-v2.json", sc
assert json.load(open(os.path.join(sys.argv[2], "seccomp", rel))) == json.load(open(sys.argv[3]))
assert sc["capabilities"]["drop"] == ["ALL"] and sc["capabilities"]["add"] == ["NET_BIND_SERVICE", "SETUID"], sc
PY
[ "$(stat -c %a "$FILE")" = 644 ] || fail "installed profile mode: $(stat -c %a "$FILE")"
run osl profile install $IMG --version 1 --kubelet-dir "$KUBELET"
expect_rc 0 "install --version 1"
[ -f "$KUBELET/seccomp/oci-seccomp-learn/localhost-web-v1.json" ] && [ -f "$FILE" ] || fail "install --version 1: $(ls -R "$KUBELET")"
leftover=$(find "$KUBELET" -name '*.tmp*')
[ -z "$leftover" ] || fail "install left temporary files: $leftover"

# Names of other keys are DNS-1123 names and file names, and stay apart.
obs "$WORK/c.json" cc sys:SCMP_ARCH_X86_64:application:read:1
run osl profile merge registry.example.com:5000/team/my-app "$WORK/c.json"
run osl profile merge registry.example.com:5000/team-my/app "$WORK/c.json"
run osl profile export registry.example.com:5000/team/my-app --format spo
name1=$("$PY" -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["metadata"]["name"])' <<<"$out")
run osl profile export registry.example.com:5000/team-my/app --format spo
name2=$("$PY" -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["metadata"]["name"])' <<<"$out")
printf '%s\n' "$name1" | grep -Eqx 'registry.example.com-5000-team-my-app-[0-9a-f]{8}-v1' || fail "spo name of a key with a port: $name1"
[ "$name1" != "$name2" ] || fail "two keys share the name $name1"

# Bad input.
run osl profile export $IMG --format yaml
expect_rc 2 "export --format yaml"
expect_one_line_error "export --format yaml" "--format is oci, docker, spo, podman-label, docker-caps or kubernetes, not 'yaml'"
run osl profile export $IMG --format
expect_rc 2 "export --format without a value"
run osl profile export docker.io/library/missing --format spo
expect_rc 3 "export of an image not stored"
expect_one_line_error "export of an image not stored" "no profile is stored for docker.io/library/missing"
run osl profile export $IMG --version 3 --format kubernetes
expect_rc 3 "export of a version not stored"
expect_one_line_error "export --version 3" "version 3 of localhost/web is not stored \(the newest is 2\)"
[ -z "$out" ] || fail "a failed export printed: $out"
run osl profile install docker.io/library/missing --kubelet-dir "$KUBELET"
expect_rc 3 "install of an image not stored"
run osl profile install $IMG --version 3 --kubelet-dir "$KUBELET"
expect_rc 3 "install of a version not stored"
[ ! -e "$KUBELET/seccomp/oci-seccomp-learn/localhost-web-v3.json" ] || fail "install of a missing version wrote a file"
run osl profile install $IMG --kubelet-dir ""
expect_rc 2 "install --kubelet-dir ''"
run osl profile install $IMG --format oci --kubelet-dir "$KUBELET"
expect_rc 2 "install --format"
printf 'x' >"$WORK/not-a-dir"
run osl profile install $IMG --kubelet-dir "$WORK/not-a-dir"
expect_one_line_error "install into a file" "not-a-dir"
[ "$rc" -eq 1 ] || fail "install into a file: exit code $rc"

finish
