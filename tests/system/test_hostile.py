"""descendd against a hostile authoritative server (hostile.py): the client
gets the right answer or SERVFAIL, the cache holds no poison, the daemon
keeps answering, and no scenario costs more upstream queries than the
engine's limits allow."""
import os
import subprocess
import sys
import time

import dns.rcode
import pytest

from conftest import SRC

HOSTILE = os.path.join(SRC, "tests", "system", "hostile.py")
LIMIT_QUERIES_PER_REQUEST = 200


@pytest.fixture(scope="module")
def hostile(lab, tmp_path_factory):
    pidfile = tmp_path_factory.mktemp("hostile") / "pid"
    proc = subprocess.Popen([sys.executable, HOSTILE, "127.77.8.1", str(pidfile)])
    for _ in range(50):
        if pidfile.exists():
            break
        time.sleep(0.1)
    yield proc
    proc.terminate()
    proc.wait(5)


def upstream_cost(daemon, name, **kw):
    before = daemon.stats()["upstream.queries"]
    resp = daemon.query(name, timeout=12, **kw)
    time.sleep(0.2)
    return resp, daemon.stats()["upstream.queries"] - before


def test_poison_is_not_cached(hostile, daemon):
    resp, _ = upstream_cost(daemon, "poison.hostile.net")
    assert [r.to_text() for rrset in resp.answer for r in rrset] == ["192.0.2.66"]
    dump = daemon.control_cmd("dump-cache").stdout
    assert "6.6.6.6" not in dump and "evil.test" not in dump
    good = daemon.query("www.example.com")
    assert [r.to_text() for rrset in good.answer for r in rrset] == ["192.0.2.10"]


def test_spoofed_replies_are_ignored(hostile, daemon):
    resp, _ = upstream_cost(daemon, "spoof.hostile.net")
    assert [r.to_text() for rrset in resp.answer for r in rrset] == ["192.0.2.66"]
    assert "other.hostile.net" not in daemon.control_cmd("dump-cache").stdout


def test_nxns_referral_is_bounded(hostile, daemon):
    resp, cost = upstream_cost(daemon, "nxns.hostile.net")
    assert resp.rcode() == dns.rcode.SERVFAIL
    print(f"NXNS referral to 100 names cost {cost} upstream queries")
    # The referral itself (UDP, TC, TCP), then at most a handful of the
    # NS names, each NXDOMAIN, until LIMIT_FAILED_NS_RESOLUTIONS stops it.
    assert 6 < cost <= 30, cost
    assert daemon.stats()["limits.hit"] >= 1


@pytest.mark.parametrize("name", ["upward", "garbage", "ptrloop", "cut", "tc"])
def test_broken_replies_fail_cleanly(hostile, daemon, name):
    resp, cost = upstream_cost(daemon, f"{name}.hostile.net")
    assert resp.rcode() == dns.rcode.SERVFAIL
    assert cost <= LIMIT_QUERIES_PER_REQUEST
    assert daemon.query("www.example.com").rcode() == dns.rcode.NOERROR


def test_slow_server_still_answers(hostile, daemon):
    resp, _ = upstream_cost(daemon, "slow.hostile.net")
    assert resp.rcode() in (dns.rcode.NOERROR, dns.rcode.SERVFAIL)
    assert daemon.query("www.example.com").rcode() == dns.rcode.NOERROR
