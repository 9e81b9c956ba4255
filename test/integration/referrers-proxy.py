#!/usr/bin/env python3
# A proxy in front of a real registry (distribution 2.8, which has neither)
# that adds what registry.bats needs to test and the registry lacks:
#   - the OCI 1.1 referrers API: GET /v2/<name>/referrers/<digest>, filled
#     from the manifests with a subject pushed through the proxy, and the
#     OCI-Subject answer to such a push;
#   - token authentication: every /v2/ request needs a Bearer token, which
#     /token hands out for the Basic credentials given on the command line;
#   - blob downloads redirected to "storage" elsewhere (http://localhost:PORT/
#     storage/..., another origin than 127.0.0.1), as registries on object
#     stores do; it says whether an Authorization header came along.
# Everything else goes to the registry as it came.
#
# usage: referrers-proxy.py LISTEN-PORT REGISTRY-PORT USER:PASSWORD
import base64
import hashlib
import http.client
import http.server
import json
import re
import secrets
import sys
import threading
import urllib.parse

LISTEN, UPSTREAM, CREDS = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
BASIC = "Basic " + base64.b64encode(CREDS.encode()).decode()
tokens = set()
referrers = {}  # (name, subject digest) -> [descriptor]
lock = threading.Lock()
REFERRERS = re.compile(r"^/v2/(.+)/referrers/(sha256:[0-9a-f]{64})$")
MANIFEST = re.compile(r"^/v2/(.+)/manifests/([^/]+)$")
BLOB = re.compile(r"^/v2/(.+)/blobs/(sha256:[0-9a-f]{64})$")
STORAGE = re.compile(r"^/storage/(.+)/blobs/(sha256:[0-9a-f]{64})$")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message, headers=()):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.answer(status, body, [("Content-Type", "application/json")] + list(headers))

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/token":
            if self.headers.get("Authorization") != BASIC:
                return self.error(401, "UNAUTHORIZED", "bad credentials")
            token = secrets.token_hex(16)
            with lock:
                tokens.add(token)
            print("token", token, "scope", urllib.parse.parse_qs(url.query).get("scope"), flush=True)
            return self.answer(200, json.dumps({"token": token}).encode(), [("Content-Type", "application/json")])
        path = self.path
        m = STORAGE.match(url.path)
        if m:
            print("storage request, Authorization:", "present" if self.headers.get("Authorization") else "none", flush=True)
            path = "/v2/%s/blobs/%s" % (m.group(1), m.group(2))
            return self.forward(path, body)
        auth = self.headers.get("Authorization", "")
        if not (auth.startswith("Bearer ") and auth[7:] in tokens):
            challenge = 'Bearer realm="http://127.0.0.1:%d/token",service="proxy"' % LISTEN
            m = re.match(r"^/v2/([a-z0-9._/-]+?)/(manifests|blobs|referrers|tags)/", url.path)
            if m:
                challenge += ',scope="repository:%s:pull%s"' % (m.group(1), ",push" if self.command in ("PUT", "POST", "PATCH") else "")
            return self.error(401, "UNAUTHORIZED", "authentication required", [("WWW-Authenticate", challenge)])
        m = REFERRERS.match(url.path)
        if m and self.command == "GET":
            want = urllib.parse.parse_qs(url.query).get("artifactType", [None])[0]
            with lock:
                listed = [d for d in referrers.get((m.group(1), m.group(2)), []) if want in (None, d.get("artifactType"))]
            index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": listed}
            headers = [("Content-Type", "application/vnd.oci.image.index.v1+json")]
            if want:
                headers.append(("OCI-Filters-Applied", "artifactType"))
            return self.answer(200, json.dumps(index).encode(), headers)

        m = BLOB.match(url.path)
        if m and self.command == "GET":
            where = "http://localhost:%d/storage/%s/blobs/%s" % (LISTEN, m.group(1), m.group(2))
            return self.answer(307, b"", [("Location", where)])
        self.forward(self.path, body)

    def forward(self, path, body):
        url = urllib.parse.urlsplit(path)
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "content-length")}
        conn.request(self.command, path, body=body if body else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        out = [(k, v) for k, v in resp.getheaders() if k.lower() not in ("content-length", "connection", "transfer-encoding")]
        m = MANIFEST.match(url.path)
        if m and self.command == "PUT" and resp.status == 201:
            manifest = json.loads(body)
            subject = manifest.get("subject", {}).get("digest")
            if subject:
                d = {"mediaType": manifest.get("mediaType"), "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                     "size": len(body),
                     "artifactType": manifest.get("artifactType") or manifest.get("config", {}).get("mediaType")}
                if manifest.get("annotations"):
                    d["annotations"] = manifest["annotations"]
                with lock:
                    lst = referrers.setdefault((m.group(1), subject), [])
                    if d["digest"] not in [x["digest"] for x in lst]:
                        lst.append(d)
                out.append(("OCI-Subject", subject))
        conn.close()
        self.answer(resp.status, data, out)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)


http.server.ThreadingHTTPServer(("127.0.0.1", LISTEN), Handler).serve_forever()
