# SPDX-License-Identifier: Apache-2.0
# A small Python service for bench/quality/python.sh: the kind of app a
# developer tests through a few endpoints (/ping, /notes) while it has more
# (the held-out operations). Each endpoint answers "ok ..." with 200, or the
# exception with 500. SIGTERM stops it cleanly (exit status 0).
#
#   python3 app.py PORT
import gzip
import http.server
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

DATA = "/tmp/data"


def op_ping():
    return "pong"


def op_subprocess():
    return subprocess.run(["/bin/echo", "hi"], capture_output=True, check=True).stdout.decode().strip()


def op_pipe():
    out = subprocess.run(["/bin/cat"], input=b"through a pipe", capture_output=True, check=True).stdout
    return out.decode()


def op_fork():
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 3:
        raise RuntimeError("child status %d" % status)
    return "child exited 3"


def op_thread():
    box = []
    t = threading.Thread(target=lambda: box.append(sum(range(1000))))
    t.start()
    t.join()
    return str(box[0])


def op_atomic():
    os.makedirs(DATA, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=DATA, delete=False) as f:
        f.write("config v2\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, os.path.join(DATA, "config"))
    with open(os.path.join(DATA, "config")) as f:
        return f.read().strip()


def op_mkdir():
    os.makedirs(os.path.join(DATA, "a", "b", "c"), exist_ok=True)
    return str(os.path.isdir(os.path.join(DATA, "a", "b", "c")))


def op_rmtree():
    root = os.path.join(DATA, "tree")
    for d in ("x/y", "z"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
        with open(os.path.join(root, d, "f"), "w") as f:
            f.write("x")
    shutil.rmtree(root)
    if os.path.exists(root):
        raise RuntimeError("still there")
    return "removed"


def op_timer():
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 0.05)
    deadline = time.monotonic() + 2
    while not fired and time.monotonic() < deadline:
        time.sleep(0.01)
    signal.signal(signal.SIGALRM, old)
    if not fired:
        raise RuntimeError("the timer never fired")
    return "fired"


def op_uname():
    u = os.uname()
    if u.sysname != "Linux":
        raise RuntimeError("uname says %r" % u.sysname)
    return u.release


def op_rusage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    if r.ru_maxrss <= 0:
        raise RuntimeError("ru_maxrss %d" % r.ru_maxrss)
    return str(r.ru_maxrss)


def op_udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(2)
        s.sendto(b"datagram", s.getsockname())
        data, _ = s.recvfrom(100)
    return data.decode()


def op_bigjson():
    doc = json.dumps([{"i": i, "s": "x" * 20} for i in range(300000)])
    return str(len(json.loads(doc)))


def op_gzip():
    os.makedirs(DATA, exist_ok=True)
    path = os.path.join(DATA, "log.gz")
    with gzip.open(path, "wt") as f:
        f.write("line\n" * 100000)
    with gzip.open(path, "rt") as f:
        return str(sum(1 for _ in f))


def op_symlink():
    os.makedirs(DATA, exist_ok=True)
    target, link = os.path.join(DATA, "target"), os.path.join(DATA, "link")
    with open(target, "w") as f:
        f.write("t")
    os.chmod(target, 0o600)
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(target, link)
    return "%s %o" % (os.readlink(link), os.stat(link).st_mode & 0o777)


def op_cpus():
    return str(len(os.sched_getaffinity(0)))


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}
NOTES = os.path.join(DATA, "notes.txt")


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/notes":
            with open(NOTES) as f:
                return self.reply(200, "ok " + f.read())
        fn = OPS.get(self.path.lstrip("/"))
        if fn is None:
            return self.reply(404, "no such operation")
        try:
            self.reply(200, "ok " + fn())
        except Exception as e:  # the client sees what broke
            self.reply(500, "%s: %s" % (type(e).__name__, e))

    def do_POST(self):
        if self.path != "/notes":
            return self.reply(404, "no such operation")
        text = self.rfile.read(int(self.headers["Content-Length"])).decode()
        os.makedirs(DATA, exist_ok=True)
        with open(NOTES, "a") as f:
            f.write(text + "\n")
        self.reply(200, "ok stored")

    def log_message(self, *args):
        pass


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
