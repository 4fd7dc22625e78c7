"""dnstap query logging from descendd, decoded by the reference reader
(dnstap-ldns): client queries and responses over UDP and TCP, the engine's
upstream queries and the replies it accepted, from two worker threads; the
dnstap-log-* switches; a unix socket read by fstrm_capture."""
import os
import shutil
import signal
import subprocess
import time

import pytest

DNSTAP_LDNS = shutil.which("dnstap-ldns")
FSTRM_CAPTURE = shutil.which("fstrm_capture")
pytestmark = pytest.mark.skipif(DNSTAP_LDNS is None,
                                reason="dnstap-ldns not installed (Debian: dnstap-ldns)")

ALL = ("dnstap-log-client-queries: yes\n"
       "dnstap-log-client-responses: yes\n"
       "dnstap-log-resolver-queries: yes\n"
       "dnstap-log-resolver-responses: yes\n")


def decode(path):
    """One (kind, address, transport, qname) per message: dnstap-ldns -q."""
    out = subprocess.run([DNSTAP_LDNS, "-q", "-r", str(path)], capture_output=True,
                         text=True, check=True).stdout
    msgs = []
    for line in out.splitlines():
        f = line.split()
        # date time KIND ADDRESS TRANSPORT SIZE "qname" IN TYPE
        msgs.append((f[2], f[3], f[4], f[6].strip('"').lower(), f[8]))
    return msgs


def test_client_and_resolver_messages(daemon_factory, tmp_path):
    tap = tmp_path / "tap.fstrm"
    d = daemon_factory(f"dnstap-file: {tap}\n" + ALL, threads=2)
    d.query("www.example.com")
    d.query("www.example.org", tcp=True)
    d.query("www.example.com")             # from the cache: no upstream
    stats = d.stats()
    upstream = stats["upstream.queries"]
    assert stats["dnstap.dropped"] == 0
    assert d.stop() == 0
    msgs = decode(tap)
    client = [m for m in msgs if m[0] in ("CQ", "CR") and m[3] != "localhost."]
    assert sorted(client) == sorted([
        ("CQ", "127.0.0.1", "UDP", "www.example.com.", "A"),
        ("CR", "127.0.0.1", "UDP", "www.example.com.", "A"),
        ("CQ", "127.0.0.1", "TCP", "www.example.org.", "A"),
        ("CR", "127.0.0.1", "TCP", "www.example.org.", "A"),
        ("CQ", "127.0.0.1", "UDP", "www.example.com.", "A"),
        ("CR", "127.0.0.1", "UDP", "www.example.com.", "A"),
    ])
    rq = [m for m in msgs if m[0] == "RQ"]
    rr = [m for m in msgs if m[0] == "RR"]
    assert len(rq) == upstream, "one RESOLVER_QUERY per upstream query"
    # A hedge's twin is abandoned once the other answers (a loaded machine
    # makes the first server late): its reply, if any, is not logged.
    assert len(rq) - stats["upstream.hedges"] <= len(rr) <= len(rq), \
        "every lab server answered what was waited for"
    assert all(m[1].startswith("127.77.") for m in rq + rr)
    assert ("www.example.com.", "A") in [(m[3], m[4]) for m in rr]
    assert ("www.example.org.", "A") in [(m[3], m[4]) for m in rr]


def test_only_what_is_asked_for(daemon_factory, tmp_path):
    tap = tmp_path / "tap.fstrm"
    d = daemon_factory(f"dnstap-file: {tap}\ndnstap-log-client-queries: yes\n")
    d.query("www.example.com")
    assert d.stop() == 0
    kinds = {m[0] for m in decode(tap)}
    assert kinds == {"CQ"}


def test_reload_keeps_dnstap_and_says_so(daemon_factory, tmp_path):
    tap = tmp_path / "tap.fstrm"
    d = daemon_factory(f"dnstap-file: {tap}\ndnstap-log-client-queries: yes\n")
    with open(d.conf, "a") as f:
        f.write("dnstap-log-client-responses: yes\n")
    assert d.control_cmd("reload").returncode == 0
    d.query("www.example.com")
    assert d.stop() == 0
    assert "these settings need a restart, the running ones stay: dnstap" in d.log.read_text()
    assert {m[0] for m in decode(tap)} == {"CQ"}


def test_unix_socket(daemon_factory, tmp_path):
    if FSTRM_CAPTURE is None:
        pytest.skip("fstrm_capture not installed (Debian: fstrm-bin)")
    sock, out = tmp_path / "tap.sock", tmp_path / "captured.fstrm"
    cap = subprocess.Popen([FSTRM_CAPTURE, "-t", "protobuf:dnstap.Dnstap",
                            "-u", str(sock), "-w", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 5
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        d = daemon_factory(f"dnstap-socket-path: {sock}\n" + ALL)
        d.query("www.dev.example.com")
        assert d.stop() == 0
        time.sleep(0.3)
    finally:
        cap.send_signal(signal.SIGINT)
        cap.wait(timeout=10)
    msgs = decode(out)
    assert ("CQ", "127.0.0.1", "UDP", "www.dev.example.com.", "A") in msgs
    assert ("CR", "127.0.0.1", "UDP", "www.dev.example.com.", "A") in msgs
    assert any(m[0] == "RR" and m[3] == "www.dev.example.com." for m in msgs)


def test_checkconf(tmp_path):
    from conftest import DESCENDD, Daemon
    d = Daemon(tmp_path, f"dnstap-file: {tmp_path}/a\ndnstap-socket-path: {tmp_path}/b\n")
    r = subprocess.run([DESCENDD, "-t", "-c", str(d.conf)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "dnstap-file and dnstap-socket-path: give one or the other" in r.stderr
