#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Tests of `oci-seccomp-learn agent` against fake-runtime, which plays
runc's and crun's side of the seccomp agent protocol with real seccomp
filters. Usage: test_agent.py CASE. Environment: OSL_BIN (the executable),
FAKE_RUNTIME, OSL_SCHEMA (schema/observation.schema.json).

Every agent started here dies with this script (PR_SET_PDEATHSIG) and is
killed on exit; every wait is bounded."""

import ctypes
import datetime
import hashlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time

OSL_BIN = os.environ["OSL_BIN"]
FAKE = os.environ["FAKE_RUNTIME"]
SCHEMA = os.environ["OSL_SCHEMA"]

NATIVE_ARCH = {
    "x86_64": "SCMP_ARCH_X86_64",
    "aarch64": "SCMP_ARCH_AARCH64",
    "ppc64le": "SCMP_ARCH_PPC64LE",
    "s390x": "SCMP_ARCH_S390X",
    "riscv64": "SCMP_ARCH_RISCV64",
}.get(platform.machine())

KEY = "docker.io/library/redis"
FAKE_BUNDLE = "/nonexistent/bundle"  # fake-runtime's state.bundle unless --bundle
METADATA = "v1;mode=learn;key=docker.io/library/redis;name=docker.io/library/redis:7;tag=7"

_libc = ctypes.CDLL(None, use_errno=True)


def instance_key(cid, bundle=FAKE_BUNDLE):
    """osl_instance_key (doc/agent.md) of a bundle path that does not exist."""
    return "%s-%s" % (cid, hashlib.sha256(bundle.encode()).hexdigest()[:16])


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def wait_for(pred, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.02)
    raise Failure("timed out waiting for " + what)


class Agent:
    """One agent process with its own run dir."""

    def __init__(self, tmp, name="agent", run_dir=None, args=(), env=None, popen_extra=None, wait_ready=True):
        self.run_dir = run_dir or os.path.join(tmp, "run")
        self.socket = os.path.join(self.run_dir, "agent.sock")
        self.log_path = os.path.join(tmp, name + ".log")
        self.log_file = open(self.log_path, "w+")
        cmd = [OSL_BIN, "--run-dir", self.run_dir, "agent", "--verbose"] + list(args)
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=self.log_file,
            preexec_fn=_die_with_parent, env=env, **(popen_extra or {}))
        if wait_ready:
            wait_for(lambda: "listening on" in self.log() or self.proc.poll() is not None, "the agent to listen")
            check(self.proc.poll() is None, "agent exited at start:\n" + self.log())

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("agent did not stop within %d s after signal %d" % (timeout, sig))

    def finish(self):
        """Stops the agent as systemd would and checks it exited cleanly
        (under ASan this is where leaks are reported)."""
        check(self.alive(), "agent died:\n" + self.log())
        rc = self.stop()
        log = self.log()
        check(not any(s in log for s in ("AddressSanitizer", "runtime error", "LeakSanitizer", "ThreadSanitizer")),
              "sanitizer report:\n" + log)
        check(rc == 0, "agent exit status %d after SIGTERM:\n%s" % (rc, log))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()

    def observation_path(self, cid, bundle=FAKE_BUNDLE):
        return os.path.join(self.run_dir, "observations", instance_key(cid, bundle) + ".json")

    def wait_observation(self, cid, timeout=30, bundle=FAKE_BUNDLE):
        path = self.observation_path(cid, bundle)
        wait_for(lambda: os.path.exists(path), "observation " + path, timeout)
        with open(path) as f:
            return json.load(f)


def run_container(agent, cid, *args, check_rc=True, timeout=60, user=None):
    """Runs fake-runtime against agent (an Agent, or a socket path)."""
    sock = agent if isinstance(agent, str) else agent.socket
    cmd = [FAKE, "run", "--socket", sock, "--id", cid] + list(args)
    if user:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    if check_rc:
        check(p.returncode == 0, "fake-runtime %s exited %d: %s" % (cid, p.returncode, p.stderr))
    return p


def start_container(agent, cid, *args):
    return subprocess.Popen([FAKE, "run", "--socket", agent.socket, "--id", cid] + list(args),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_die_with_parent)


def validate_schema(doc):
    import jsonschema
    check(os.path.exists(SCHEMA), "schema %s is missing" % SCHEMA)
    with open(SCHEMA) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    check(not errors, "observation does not match the schema: " + "; ".join(
        "%s: %s" % ("/".join(map(str, e.path)), e.message) for e in errors))


# lib/learn_filter.c's osl_runtime_floor: never notified, recorded as the
# runtime's, implied, on every arch the runtime was seen on.
# lib/families.h: implied for every application.
APPLICATION_IMPLIED = ["exit", "exit_group", "write"]
RUNTIME_FLOOR = sorted([
    "futex", "rt_sigreturn", "rt_sigprocmask", "sigaltstack", "sched_yield",
    "nanosleep", "clock_nanosleep", "clock_gettime", "gettid", "getpid",
    "tgkill", "mmap", "munmap", "madvise", "epoll_pwait", "restart_syscall",
])


def rfc3339(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_samples(doc, arch, partial=False):
    """Every notified entry has when and by whom (firstSeen <= lastSeen within
    the container's life, a pid, a command name); implied ones have none."""
    check(doc.get("partial", False) is partial, "partial %r, expected %r" % (doc.get("partial"), partial))
    samples = doc.get("samples", {}).get(arch, {})
    start, end = rfc3339(doc["startTime"]), rfc3339(doc["endTime"])
    for origin, names in doc["syscalls"][arch].items():
        implied = set(doc["implied"].get(arch, {}).get(origin, []))
        for name in names:
            sample = samples.get(origin, {}).get(name)
            if name in implied:
                check(sample is None, "implied %s %s has a sample: %r" % (origin, name, sample))
                continue
            check(sample and "firstSeen" in sample and "lastSeen" in sample,
                  "%s %s: no firstSeen/lastSeen: %r" % (origin, name, sample))
            first, last = rfc3339(sample["firstSeen"]), rfc3339(sample["lastSeen"])
            check(start <= first <= last <= end, "%s %s: start %s, first %s, last %s, end %s out of order" % (
                origin, name, doc["startTime"], sample["firstSeen"], sample["lastSeen"], doc["endTime"]))
            check(sample.get("pid", 0) > 0, "%s %s: pid %r" % (origin, name, sample.get("pid")))
    app = samples.get("application", {})
    for name in ("getppid", "uname", "getcwd"):
        if name in doc["syscalls"][arch].get("application", {}):
            check(app[name].get("comm") == "fake-app", "application %s by %r, expected fake-app" % (
                name, app[name].get("comm")))
    runtime = samples.get("runtime", {})
    if "getppid" in runtime:
        check(runtime["getppid"].get("comm") == "fake-runtime", "runtime getppid by %r, expected fake-runtime" %
              runtime["getppid"].get("comm"))


def check_observation(doc, cid, app_getppid=5, application=True, key=KEY):
    """What fake-runtime's container does, as the agent must record it."""
    validate_schema(doc)
    check(doc["containerId"] == cid, "containerId %r" % doc["containerId"])
    check(doc["image"]["key"] == key, "image key %r, expected %r" % (doc["image"]["key"], key))
    check(doc["method"] == "notify", "method %r" % doc["method"])
    check(doc.get("startTime") and doc.get("endTime"), "start and end time")
    arches = list(doc["syscalls"])
    check(len(arches) == 1, "one architecture expected, got %r" % arches)
    arch = arches[0]
    if NATIVE_ARCH:
        check(arch == NATIVE_ARCH, "arch %s, expected %s" % (arch, NATIVE_ARCH))
    seen = doc["syscalls"][arch]

    runtime = seen.get("runtime", {})
    check(runtime.get("getppid") == 3, "runtime getppid %r, expected 3: %r" % (runtime.get("getppid"), runtime))
    check(runtime.get("uname") == 1, "runtime uname %r, expected 1" % runtime.get("uname"))
    check(runtime.get("openat", 0) >= 1, "runtime openat missing: %r" % runtime)
    for name in ("execve", "getcwd", "write"):
        check(name not in runtime, "%s must not be a runtime syscall: %r" % (name, runtime))

    total = sum(runtime.values())
    if application:
        app = seen.get("application", {})
        check(app.get("execve") == 1, "application execve %r, expected 1: %r" % (app.get("execve"), app))
        check(app.get("getppid") == app_getppid,
              "application getppid %r, expected %d" % (app.get("getppid"), app_getppid))
        check(app.get("uname") == 2, "application uname %r, expected 2" % app.get("uname"))
        check(app.get("getcwd") == 1, "application getcwd %r, expected 1" % app.get("getcwd"))
        check(app.get("openat", 0) >= 1, "the dynamic loader's openat missing: %r" % app)
        check("write" in app, "write missing from the application: %r" % app)
        check(doc["implied"] == {arch: {"application": APPLICATION_IMPLIED, "runtime": RUNTIME_FLOOR}},
              "implied must be exactly the application's write and exits and the runtime floor: %r" % doc["implied"])
        total += sum(v for k, v in app.items() if k != "write")
    else:
        check("application" not in seen, "no application expected without execve: %r" % seen)
        check(doc["implied"] == {arch: {"runtime": RUNTIME_FLOOR}},
              "only the runtime floor implied without an application: %r" % doc["implied"])
    check(doc["notifications"] == total, "notifications %r, sum of counts %r" % (doc["notifications"], total))
    check_samples(doc, arch)
    return doc


def probe(sock):
    return subprocess.run([FAKE, "probe", "--socket", sock], capture_output=True, text=True, timeout=30)


# ---- cases ------------------------------------------------------------------

def case_help(tmp):
    p = subprocess.run([OSL_BIN, "agent", "--help"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "--help exit %d" % p.returncode)
    check("Usage: oci-seccomp-learn" in p.stdout and "--socket PATH" in p.stdout, "help text: " + p.stdout)
    p = subprocess.run([OSL_BIN, "agent", "--bogus"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2, "unknown option exit %d" % p.returncode)
    p = subprocess.run([OSL_BIN, "agent", "extra"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 2 and "unexpected argument" in p.stderr, "extra argument: %r" % p.stderr)


def case_runc(tmp):
    agent = Agent(tmp)
    try:
        run_container(agent, "runc1", "--format", "runc", "--metadata", METADATA)
        doc = check_observation(agent.wait_observation("runc1"), "runc1")
        check(doc["image"].get("tag") == "7" and doc["image"].get("name") == "docker.io/library/redis:7",
              "image from listenerMetadata: %r" % doc["image"])
        # "seccompFd" is not the first fd of the message.
        run_container(agent, "runc2", "--format", "runc", "--metadata", METADATA, "--extra-fd")
        check_observation(agent.wait_observation("runc2"), "runc2")
        st = os.stat(agent.socket)
        check(st.st_mode & 0o777 == 0o600, "socket mode %o" % (st.st_mode & 0o777))
        check(os.stat(agent.run_dir).st_mode & 0o777 == 0o700, "run dir mode")
        agent.finish()
        check(not os.path.exists(agent.socket), "the agent must remove its socket on exit")
    finally:
        agent.kill()


def case_crun(tmp):
    agent = Agent(tmp)
    try:
        # Pretty-printed, sent 30 ms after connecting, like crun.
        run_container(agent, "crun1", "--format", "crun", "--delay-ms", "30", "--metadata", METADATA)
        check_observation(agent.wait_observation("crun1"), "crun1")
        # The message arrives in two parts, the fd with the first.
        run_container(agent, "split1", "--format", "split", "--delay-ms", "50", "--metadata", METADATA)
        check_observation(agent.wait_observation("split1"), "split1")
        agent.finish()
    finally:
        agent.kill()


def case_annotation(tmp):
    agent = Agent(tmp)
    try:
        run_container(agent, "ann1", "--image-annotation", "docker.io/library/busybox:1.36")
        doc = check_observation(agent.wait_observation("ann1"), "ann1", key="docker.io/library/busybox")
        check(doc["image"].get("tag") == "1.36", "tag from the annotation: %r" % doc["image"])
        # complain mode records the same way; the mode shows in the log.
        run_container(agent, "comp1", "--metadata", METADATA.replace("mode=learn", "mode=complain"))
        check_observation(agent.wait_observation("comp1"), "comp1")
        check("comp1: recording (complain mode)" in agent.log(), "complain mode in the log:\n" + agent.log())
        # Unusable metadata: the agent says so and uses the annotation.
        run_container(agent, "ann2", "--metadata", "v9;key=x", "--image-annotation", "quay.io/org/app:2")
        check_observation(agent.wait_observation("ann2"), "ann2", key="quay.io/org/app")
        check("ann2: listenerMetadata" in agent.log(), "warning about the metadata:\n" + agent.log())
        agent.finish()
    finally:
        agent.kill()


def case_runtime_only(tmp):
    agent = Agent(tmp)
    try:
        run_container(agent, "rt1", "--no-exec", "--metadata", METADATA)
        check_observation(agent.wait_observation("rt1"), "rt1", application=False)
        agent.finish()
    finally:
        agent.kill()


def case_many(tmp):
    agent = Agent(tmp)
    try:
        storm = 20000
        procs = {}
        for i in range(16):
            cid = "many%02d" % i
            args = ["--metadata", METADATA, "--format", "crun" if i % 2 else "runc"]
            if i == 0:
                args += ["--getppid", str(storm)]
            procs[cid] = start_container(agent, cid, *args)
        for cid, p in procs.items():
            try:
                out, err = p.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                p.kill()
                raise Failure("container %s did not finish" % cid)
            check(p.returncode == 0, "container %s exited %d: %s" % (cid, p.returncode, err))
        for cid in procs:
            check_observation(agent.wait_observation(cid), cid, app_getppid=storm if cid == "many00" else 5)
        agent.finish()
    finally:
        agent.kill()


def case_concurrent(tmp):
    """Two containers notify at the same time, each served by its own
    thread (doc/agent.md): both observations hold every call, exactly.
    The storms start together (--wait-file) and, with two CPUs or more,
    run on different CPUs, so that both threads record at once."""
    agent = Agent(tmp)
    go = os.path.join(tmp, "go")
    storms = {"conc0": 30000, "conc1": 20000}
    cpus = sorted(os.sched_getaffinity(0))
    procs = {}
    try:
        for i, (cid, n) in enumerate(storms.items()):
            cpu = {cpus[i % len(cpus)]}

            def pin(cpu=cpu):
                os.sched_setaffinity(0, cpu)
                _die_with_parent()
            procs[cid] = subprocess.Popen(
                [FAKE, "run", "--socket", agent.socket, "--id", cid, "--metadata", METADATA,
                 "--getppid", str(n), "--wait-file", go],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=pin)
            pid = procs[cid].stdout.readline().strip()  # printed once the fd is sent
            wait_for(lambda: "%s: pid %s execs" % (cid, pid) in agent.log(), cid + "'s execve")
        open(go, "w").close()
        for cid, p in procs.items():
            out, err = p.communicate(timeout=120)
            check(p.returncode == 0, "container %s exited %d: %s" % (cid, p.returncode, err))
        for cid, n in storms.items():
            check_observation(agent.wait_observation(cid), cid, app_getppid=n)
        # The holder's checkpoints were replaced by the observations.
        wait_for(lambda: not os.listdir(os.path.join(agent.run_dir, "checkpoints")), "the checkpoints to go")
        agent.finish()
    finally:
        open(go, "w").close()
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        agent.kill()


def case_nonroot(tmp):
    if os.geteuid() != 0:
        print("SKIP: needs root to switch to uid 65534")
        sys.exit(77)
    agent = Agent(tmp)
    try:
        # Let the unprivileged client reach the socket, so that the check
        # of the peer's credentials (not the file mode) is what refuses it.
        os.chmod(tmp, 0o755)
        os.chmod(agent.run_dir, 0o755)
        os.chmod(agent.socket, 0o666)
        run_container(agent, "nobody1", "--metadata", METADATA, check_rc=False, user=65534)
        wait_for(lambda: "refused a connection" in agent.log(), "the refusal in the log")
        check("uid 65534: not root" in agent.log(), "refusal names the uid:\n" + agent.log())
        check(not os.path.exists(agent.observation_path("nobody1")), "no observation for a refused client")
        check(agent.alive(), "agent died")
        run_container(agent, "root1", "--metadata", METADATA)
        check_observation(agent.wait_observation("root1"), "root1")
        agent.finish()
    finally:
        agent.kill()


def case_robust(tmp):
    agent = Agent(tmp)
    try:
        # A probe: connects and closes. Logged at debug level only.
        check(probe(agent.socket).returncode == 0, "probe of a running agent")
        wait_for(lambda: "closed without a message" in agent.log(), "the probe in the debug log")
        # Not JSON.
        subprocess.run([FAKE, "connect", "--socket", agent.socket, "--send", "this is not json}"],
                       check=True, timeout=30)
        wait_for(lambda: "ignored" in agent.log(), "the bad message warning")
        # JSON, but not a runtime's message, and without an fd.
        subprocess.run([FAKE, "connect", "--socket", agent.socket, "--send",
                        '{"fds":["seccompFd"],"state":{"id":"nofd"}}'], check=True, timeout=30)
        wait_for(lambda: "0 fds came" in agent.log(), "the missing fd warning")
        # "seccompFd" names an fd that is not a notify fd.
        run_container(agent, "wrongfd", "--metadata", METADATA, "--wrong-fd", check_rc=False)
        wait_for(lambda: "wrongfd: \"seccompFd\" is not a seccomp notify fd" in agent.log(), "the wrong fd warning")
        # No "seccompFd" at all.
        subprocess.run([FAKE, "connect", "--socket", agent.socket, "--send",
                        '{"fds":["pidFd"],"state":{"id":"nofds"}}'], check=True, timeout=30)
        wait_for(lambda: 'nofds: "fds" names no "seccompFd"' in agent.log(), "the missing seccompFd warning")
        # A container id that is not a safe file name.
        run_container(agent, "../escape", "--metadata", METADATA, check_rc=False)
        wait_for(lambda: "not a safe file name" in agent.log(), "the bad id warning")
        check(not os.path.exists(os.path.join(agent.run_dir, "escape.json")), "nothing written outside")
        # No image anywhere: the container runs, nothing is written.
        run_container(agent, "noimage", "--no-exec")
        wait_for(lambda: "noimage: no observation written: its image is unknown" in agent.log(),
                 "the unknown image error")
        # The agent still serves containers after all this.
        check(agent.alive(), "agent died:\n" + agent.log())
        run_container(agent, "after1", "--metadata", METADATA)
        check_observation(agent.wait_observation("after1"), "after1")
        files = sorted(os.listdir(os.path.join(agent.run_dir, "observations")))
        check(files == [instance_key("after1") + ".json"], "observations: %r" % files)
        agent.finish()
    finally:
        agent.kill()


def case_exec(tmp):
    """`runc exec` hands over a second filter of the same container."""
    agent = Agent(tmp)
    go = os.path.join(tmp, "go")
    first = None
    try:
        first = start_container(agent, "ex1", "--metadata", METADATA, "--wait-file", go)
        first_pid = first.stdout.readline().strip()  # printed once the fd is sent
        wait_for(lambda: "ex1: pid %s execs" % first_pid in agent.log(), "the first process's execve")
        run_container(agent, "ex1", "--metadata", METADATA, "--getppid", "7")
        wait_for(lambda: "ex1: a filter has no users left; 1 remain" in agent.log(), "the exec'd filter's end")
        check(not os.path.exists(agent.observation_path("ex1")), "written while a filter is in use")
        open(go, "w").close()
        out, err = first.communicate(timeout=60)
        check(first.returncode == 0, "first process exited %d: %s" % (first.returncode, err))
        doc = agent.wait_observation("ex1")
        validate_schema(doc)
        seen = doc["syscalls"][list(doc["syscalls"])[0]]
        check(seen["runtime"].get("getppid") == 6 and seen["runtime"].get("uname") == 2,
              "both filters' runtime calls: %r" % seen["runtime"])
        app = seen["application"]
        check(app.get("getppid") == 12 and app.get("execve") == 2 and app.get("getcwd") == 2,
              "both filters' application calls: %r" % app)
        check_samples(doc, list(doc["syscalls"])[0])
        check("ex1: recording (learn mode) for another process" in agent.log(), "second filter logged as another process")
        agent.finish()
    finally:
        open(go, "w").close()
        if first and first.poll() is None:
            first.kill()
            first.wait()
        agent.kill()


def case_identity(tmp):
    """Two runtimes (runc roots, containerd namespaces) reuse an id: each
    instance gets its own record and observation, never the other's calls."""
    agent = Agent(tmp)
    go = os.path.join(tmp, "go")
    other_key = "quay.io/org/other"
    other_meta = "v1;mode=learn;key=" + other_key
    procs = []
    try:
        # Same id, two bundles, two images, both running at once.
        procs.append(start_container(agent, "same", "--bundle", "/root-a/same", "--metadata", METADATA,
                                     "--wait-file", go))
        procs.append(start_container(agent, "same", "--bundle", "/root-b/same", "--metadata", other_meta,
                                     "--wait-file", go, "--getppid", "9"))
        # Same id, same bundle, another image: kept apart too, with a warning.
        procs.append(start_container(agent, "twin", "--metadata", METADATA, "--wait-file", go))
        wait_for(lambda: "container twin: recording" in agent.log(), "the first twin")
        procs.append(start_container(agent, "twin", "--metadata", other_meta, "--wait-file", go))
        for p in procs:
            p.stdout.readline()  # printed once the fd is sent
        wait_for(lambda: agent.log().count("execs: the application starts") == 4, "four applications")
        log = agent.log()
        check("for another process" not in log, "an instance joined another's record:\n" + log)
        check('container twin: bundle "%s" is served already with image "%s"; this one (image "%s") is '
              'recorded apart' % (FAKE_BUNDLE, KEY, other_key) in log, "the twin warning:\n" + log)
        for cid, bundle in (("same", "/root-a/same"), ("same", "/root-b/same"), ("twin", FAKE_BUNDLE)):
            check(not os.path.exists(agent.observation_path(cid, bundle)), "written while running")
        open(go, "w").close()
        for p in procs:
            out, err = p.communicate(timeout=60)
            check(p.returncode == 0, "container exited %d: %s" % (p.returncode, err))
        check_observation(agent.wait_observation("same", bundle="/root-a/same"), "same")
        check_observation(agent.wait_observation("same", bundle="/root-b/same"), "same", app_getppid=9,
                          key=other_key)
        wait_for(lambda: agent.log().count("container twin: wrote") == 2, "both twins written")
        # They share the file name (doc/agent.md); the last one written is whole.
        doc = agent.wait_observation("twin")
        check_observation(doc, "twin", key=doc["image"]["key"])
        agent.finish()
    finally:
        open(go, "w").close()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        agent.kill()


def case_timeout(tmp):
    agent = Agent(tmp)
    try:
        # A client that connects and sends nothing must not hold the others up.
        slow = subprocess.Popen([FAKE, "connect", "--socket", agent.socket, "--hold-ms", "30000"],
                                stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
        run_container(agent, "quick1", "--metadata", METADATA)
        check_observation(agent.wait_observation("quick1"), "quick1")
        out, _ = slow.communicate(timeout=60)
        check("closed by the agent" in out, "the agent must close a silent connection")
        check("sent no complete message in time" in agent.log(), "timeout logged:\n" + agent.log())
        agent.finish()
    finally:
        agent.kill()


def case_sigterm(tmp):
    agent = Agent(tmp)
    go = os.path.join(tmp, "go")
    container = None
    try:
        container = start_container(agent, "term1", "--metadata", METADATA, "--wait-file", go)
        wait_for(lambda: "execs: the application starts" in agent.log(), "the container's execve")
        wait_for(lambda: "new application syscall openat" in agent.log(), "the application's first openat")
        agent.finish()
        doc = agent.wait_observation("term1", timeout=1)
        validate_schema(doc)
        runtime = doc["syscalls"][list(doc["syscalls"])[0]]["runtime"]
        check(runtime.get("getppid") == 3, "partial observation keeps the runtime calls: %r" % runtime)
        check("partial" in agent.log(), "partial observation logged:\n" + agent.log())
        check_samples(doc, list(doc["syscalls"])[0], partial=True)
        check(not os.path.exists(agent.socket), "socket removed on exit")
    finally:
        open(go, "w").close()
        if container:
            try:
                container.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                container.kill()
        agent.kill()


def case_listen(tmp):
    run_dir = os.path.join(tmp, "run")
    os.makedirs(run_dir)
    sock_path = os.path.join(run_dir, "agent.sock")

    # Not a socket: refused and left alone.
    with open(sock_path, "w") as f:
        f.write("precious")
    p = subprocess.run([OSL_BIN, "--run-dir", run_dir, "agent"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and "is not a socket" in p.stderr, "regular file: %d %r" % (p.returncode, p.stderr))
    with open(sock_path) as f:
        check(f.read() == "precious", "the file must be left alone")
    os.unlink(sock_path)

    # A leftover socket nobody listens on: replaced.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock_path)
    s.close()
    check(probe(sock_path).returncode == 4, "probe of a stale socket gives ECONNREFUSED")
    agent = Agent(tmp, run_dir=run_dir)
    try:
        # A second agent on the same socket refuses to start.
        p = subprocess.run([OSL_BIN, "--run-dir", run_dir, "agent"], capture_output=True, text=True, timeout=30)
        check(p.returncode == 1 and "already listens" in p.stderr, "second agent: %d %r" % (p.returncode, p.stderr))
        run_container(agent, "listen1", "--metadata", METADATA)
        check_observation(agent.wait_observation("listen1"), "listen1")
        agent.finish()
    finally:
        agent.kill()


def case_probe(tmp):
    sock_path = os.path.join(tmp, "run", "agent.sock")
    p = probe(sock_path)
    check(p.returncode == 3 and sock_path in p.stderr, "probe without socket: %d %r" % (p.returncode, p.stderr))
    agent = Agent(tmp)
    try:
        check(probe(sock_path).returncode == 0, "probe of a running agent")
        agent.finish()
        check(probe(sock_path).returncode == 3, "probe after the agent stopped")
    finally:
        agent.kill()


def systemd_socket(tmp):
    """The listening socket a .socket unit would make: (run dir, path, socket)."""
    run_dir = os.path.join(tmp, "run")
    os.makedirs(run_dir, mode=0o700)
    sock_path = os.path.join(run_dir, "agent.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(16)
    return run_dir, sock_path, listener


def case_socket_activation(tmp):
    run_dir, sock_path, listener = systemd_socket(tmp)
    fd = listener.fileno()

    def child_setup():
        _die_with_parent()
        os.dup2(fd, 3)
        os.set_inheritable(3, True)

    env = dict(os.environ, LISTEN_FDS="1")
    env.pop("LISTEN_PID", None)
    # sh puts its own pid into LISTEN_PID and execs the agent, which keeps it.
    log_path = os.path.join(tmp, "agent.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', OSL_BIN, "--run-dir", run_dir,
                                 "agent", "--verbose", "--socket", os.path.join(tmp, "ignored.sock")],
                                stdout=log, stderr=log, env=env, preexec_fn=child_setup, pass_fds=(3,))
    listener.close()
    try:
        read_log = lambda: open(log_path).read()
        wait_for(lambda: "listening on the socket systemd passed" in read_log() or proc.poll() is not None,
                 "the agent to start")
        check(proc.poll() is None, "agent exited:\n" + read_log())
        run_container(sock_path, "sd1", "--metadata", METADATA)
        path = os.path.join(run_dir, "observations", instance_key("sd1") + ".json")
        wait_for(lambda: os.path.exists(path), "the observation")
        with open(path) as f:
            check_observation(json.load(f), "sd1")
        check(not os.path.exists(os.path.join(tmp, "ignored.sock")), "--socket is ignored under activation")
        proc.send_signal(signal.SIGTERM)
        check(proc.wait(timeout=30) == 0, "exit status:\n" + read_log())
        check("Sanitizer" not in read_log() and "runtime error" not in read_log(), "sanitizer:\n" + read_log())
        check(os.path.exists(sock_path), "systemd's socket must stay")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # Two sockets: refused with a message.
    p = subprocess.run(["sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', OSL_BIN, "--run-dir", run_dir, "agent"],
                       env=dict(os.environ, LISTEN_FDS="2"), capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and "exactly one socket" in p.stderr, "LISTEN_FDS=2: %d %r" % (p.returncode, p.stderr))


def children(pid):
    with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
        return [int(x) for x in f.read().split()]


def case_fdstore(tmp):
    """Plays systemd's part without systemd: a datagram socket as
    $NOTIFY_SOCKET collects FDSTORE=1 messages and their fds; after both the
    holder and the worker are SIGKILLed, a new agent gets them back as
    LISTEN_FDS with LISTEN_FDNAMES, as systemd passes its fd store."""
    run_dir, sock_path, listener = systemd_socket(tmp)
    notify_path = os.path.join(tmp, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.setblocking(False)
    store = {}

    def read_notify():
        while True:
            try:
                msg, fds, _, _ = socket.recv_fds(notify, 4096, 8)
            except BlockingIOError:
                return
            fields = dict(line.split("=", 1) for line in msg.decode().splitlines())
            name = fields["FDNAME"]
            if fields.get("FDSTORE") == "1":
                check(len(fds) == 1, "FDSTORE=1 with one fd: %r %r" % (msg, fds))
                if name in store:
                    os.close(store[name])
                store[name] = fds[0]
            elif fields.get("FDSTOREREMOVE") == "1":
                check(not fds, "FDSTOREREMOVE carries no fd")
                os.close(store.pop(name))

    def start(passed, names, log_path):
        sources = [listener.fileno()] + passed

        def child_setup():
            _die_with_parent()
            high = [os.dup(fd) + 200 for fd in sources]
            for fd, h in zip(sources, high):
                os.dup2(fd, h)
            for i, h in enumerate(high):
                os.dup2(h, 3 + i)
                os.set_inheritable(3 + i, True)

        env = dict(os.environ, LISTEN_FDS=str(len(sources)), NOTIFY_SOCKET=notify_path,
                   LISTEN_FDNAMES=":".join(["agent.sock"] + names))
        env.pop("LISTEN_PID", None)
        log = open(log_path, "w")
        proc = subprocess.Popen(["sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', OSL_BIN, "--run-dir", run_dir,
                                 "agent", "--verbose"], stdout=log, stderr=log, env=env, preexec_fn=child_setup,
                                pass_fds=tuple(range(3, 3 + len(sources))))
        log.close()
        return proc

    log1, log2 = os.path.join(tmp, "agent1.log"), os.path.join(tmp, "agent2.log")
    read = lambda p: open(p).read()
    go = os.path.join(tmp, "go")
    procs, container = [], None
    try:
        procs.append(start([], [], log1))
        wait_for(lambda: "started worker" in read(log1) or procs[0].poll() is not None, "the agent to start")
        container = subprocess.Popen([FAKE, "run", "--socket", sock_path, "--id", "fds1", "--metadata", METADATA,
                                      "--wait-file", go], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
        wait_for(lambda: "new application syscall openat" in read(log1), "the application's first openat")
        # The checkpoint holds the application's start.
        ckpt_dir = os.path.join(run_dir, "checkpoints")
        wait_for(lambda: any('"execve"' in open(os.path.join(ckpt_dir, f)).read() for f in os.listdir(ckpt_dir)
                             if f.endswith(".json")),
                 "a checkpoint with the application's execve")
        wait_for(lambda: (read_notify(), "osl.slots" in store and any(n.startswith("osl.0.") for n in store))[1],
                 "FDSTORE messages for the slot table and the container's notify fd")
        # systemd kills the whole service: holder and worker. The holder
        # first, or it would start another worker.
        worker = children(procs[0].pid)
        check(len(worker) == 1, "one worker: %r" % worker)
        procs[0].kill()
        procs[0].wait()
        os.kill(worker[0], signal.SIGKILL)
        wait_for(lambda: not os.path.exists("/proc/%d/status" % worker[0]) or
                 "State:\tZ" in open("/proc/%d/status" % worker[0]).read(), "the worker to die")
        read_notify()
        names = sorted(store)
        procs.append(start([store[n] for n in names], names, log2))
        wait_for(lambda: "took over 1 notify fds" in read(log2) or procs[1].poll() is not None,
                 "the new agent to take the container over")
        check("systemd passed back 1 notify fds" in read(log2), "log:\n" + read(log2))
        open(go, "w").close()
        out, err = container.communicate(timeout=60)
        check(container.returncode == 0, "container exited %d: %s" % (container.returncode, err))
        path = os.path.join(run_dir, "observations", instance_key("fds1") + ".json")
        wait_for(lambda: os.path.exists(path), "the observation")
        with open(path) as f:
            doc = check_observation(json.load(f), "fds1")
        check(not doc.get("partial"), "not partial")
        wait_for(lambda: (read_notify(), not any(n.startswith("osl.0.") for n in store))[1],
                 "FDSTOREREMOVE for the container's fd once it ended")
        procs[1].send_signal(signal.SIGTERM)
        check(procs[1].wait(timeout=30) == 0, "exit status:\n" + read(log2))
        check("Sanitizer" not in read(log2) and "runtime error" not in read(log2), "sanitizer:\n" + read(log2))
    finally:
        if container and container.poll() is None:
            container.kill()
        for p in procs:
            if p.poll() is None:
                for c in children(p.pid):
                    os.kill(c, signal.SIGKILL)
                p.kill()
                p.wait()
        for fd in store.values():
            os.close(fd)


CASES = {name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: test_agent.py " + "|".join(sorted(CASES)), file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="osl-agent-") as tmp:
        try:
            CASES[sys.argv[1]](tmp)
        except Failure as e:
            print("FAIL: %s" % e, file=sys.stderr)
            for name in sorted(os.listdir(tmp)):
                if name.endswith(".log"):
                    with open(os.path.join(tmp, name)) as f:
                        print("---- %s ----\n%s" % (name, f.read()), file=sys.stderr)
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
