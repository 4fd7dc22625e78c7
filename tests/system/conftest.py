"""Fixtures for the system tests: the offline lab (real NSD servers on
127.77.0.0/16), the built binaries (DESCEND_BUILD), and a running descendd.
Processes are stopped by pid, also when a test fails."""
import contextlib
import os
import signal
import subprocess
import sys
import time

import dns.message
import dns.query
import dns.rcode
import pytest

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("DESCEND_BUILD", os.path.join(SRC, "_build", "werror"))
LAB = os.path.join(SRC, "contrib", "lab", "lab")
LAB_DIR = os.environ.get("LAB_DIR", "/tmp/descend-lab")
HINTS = os.path.join(LAB_DIR, "root.hints")
DESCEND = os.path.join(BUILD, "trace", "descend")
DESCENDD = os.path.join(BUILD, "resolver", "daemon", "descendd")
DAEMON_ADDR = "127.77.100.1"
# The lab's own root trust anchor (written by `lab start` once the lab signs
# its zones). Debian's real root anchor would make every lab answer bogus, so
# descendd and descend get this one, or validation off when there is none.
ANCHOR = os.path.join(LAB_DIR, "root.key")


def dnssec_conf():
    """descendd config lines for DNSSEC against the lab."""
    if os.path.exists(ANCHOR):
        return f"trust-anchor-file: {ANCHOR}\n"
    return "dnssec-validation: no\n"


def dnssec_args():
    """descend query/trace options to validate against the lab."""
    return ["--trust-anchor", ANCHOR] if os.path.exists(ANCHOR) else ["--no-dnssec"]


def dnssec_trace(lab, name, *extra):
    """descend trace of `name` validating against the lab (skipped when the
    lab is not signed)."""
    args = dnssec_args()
    if "--no-dnssec" in args:
        pytest.skip("the lab has no trust anchor (not signed)")
    return run_descend("trace", *extra, *args, "--root-hints", lab, name)


def sanitized_build():
    """Whether DESCEND_BUILD is an ASan or TSan build: their shadow memory
    and quarantine make the daemon's RSS several times larger."""
    try:
        with open(DESCENDD, "rb") as f:
            binary = f.read()
    except OSError:
        return False
    return b"__asan_init" in binary or b"__tsan_init" in binary


# Memory bounds in the system tests are multiplied by this.
MEMORY_SLACK = 4 if sanitized_build() else 1


@pytest.fixture(scope="session")
def lab():
    subprocess.run([LAB, "start"], check=True, env=dict(os.environ, LAB_DIR=LAB_DIR))
    yield HINTS
    subprocess.run([LAB, "stop"], env=dict(os.environ, LAB_DIR=LAB_DIR))


def run_descend(*args, timeout=30):
    args = list(args)
    # query and trace validate by default, with Debian's root anchor that
    # makes the lab bogus: tests about something else run them without
    # validation; DNSSEC tests pass dnssec_args() (the lab's anchor).
    if args and args[0] in ("query", "trace") and \
            "--trust-anchor" not in args and "--no-dnssec" not in args:
        args[1:1] = ["--no-dnssec"]
    return subprocess.run([DESCEND, *args], capture_output=True, text=True,
                          timeout=timeout)


class Daemon:
    """A descendd on DAEMON_ADDR port 53 with a config written for the test."""

    def __init__(self, tmp_path, extra="", addr=DAEMON_ADDR, threads=1,
                 preexec_fn=None):
        self.addr = addr
        # Runs in the child before descendd is executed (a seccomp filter).
        self.preexec_fn = preexec_fn
        self.dir = tmp_path
        self.conf = tmp_path / "descendd.conf"
        self.control = str(tmp_path / "control.sock")
        self.pidfile = tmp_path / "descendd.pid"
        self.log = tmp_path / "descendd.log"
        self.conf.write_text(
            f"listen: {addr}@53\n"
            f"root-hints: {HINTS}\n"
            "query-loopback: yes\n"
            f"threads: {threads}\n"
            f"control-socket: {self.control}\n"
            f"pidfile: {self.pidfile}\n"
            # Tests run as root and keep it (test_privileges drops it).
            'username: ""\n'
            "log-level: info\n" + dnssec_conf() + extra)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([DESCENDD, "-d", "-c", str(self.conf)],
                                     stdout=open(self.log, "w"),
                                     stderr=subprocess.STDOUT,
                                     preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("descendd exited: " + self.log.read_text())
            try:
                self.query("localhost.", "A", timeout=0.5)
                return self
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("descendd did not answer: " + self.log.read_text())

    def query(self, name, rdtype="A", tcp=False, timeout=5, source=None,
              want_dnssec=False, payload=1232, cd=False):
        q = dns.message.make_query(name, rdtype, use_edns=0, payload=payload,
                                   want_dnssec=want_dnssec)
        if cd:
            q.flags |= dns.flags.CD
        send = dns.query.tcp if tcp else dns.query.udp
        return send(q, self.addr, timeout=timeout, source=source)

    def control_cmd(self, *args):
        return run_descend("control", "-s", self.control, *args)

    def stats(self):
        out = self.control_cmd("stats").stdout
        return {k: int(v) for k, v in
                (line.split("=", 1) for line in out.splitlines() if "=" in line)}

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


@contextlib.contextmanager
def python_server(tmp_path_factory, script, addr, *args):
    """Runs one of the lab's Python servers (tests/system/SCRIPT ADDR
    PIDFILE [ARGS]) until the block ends; it writes its pid file once it
    listens."""
    pidfile = tmp_path_factory.mktemp(script.split(".")[0]) / "pid"
    proc = subprocess.Popen([sys.executable, os.path.join(SRC, "tests", "system", script),
                             addr, str(pidfile), *args])
    try:
        for _ in range(100):
            if pidfile.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert pidfile.exists(), f"{script} did not start"
        yield proc
    finally:
        proc.terminate()
        proc.wait(5)


@pytest.fixture(scope="module")
def hostile(lab, tmp_path_factory):
    """hostile.py as ns.hostile.net (127.77.8.1) for a module's tests."""
    with python_server(tmp_path_factory, "hostile.py", "127.77.8.1") as proc:
        yield proc


@pytest.fixture
def daemon_factory(lab, tmp_path):
    started = []

    def make(extra="", **kw):
        d = Daemon(tmp_path, extra, **kw)
        started.append(d)
        return d.start()

    yield make
    for d in started:
        d.stop()
    # A sanitizer build reports races and memory errors on stderr (the log)
    # and keeps running: the report fails the test that caused it.
    for d in started:
        log = d.log.read_text(errors="replace")
        for tool in ("ThreadSanitizer", "AddressSanitizer", "runtime error:"):
            if tool in log:
                pytest.fail(f"{tool} in {d.log}:\n" + log[log.index(tool) - 200:][:6000])


@pytest.fixture
def daemon(daemon_factory):
    return daemon_factory()
