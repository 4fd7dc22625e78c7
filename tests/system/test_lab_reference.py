"""The lab's DNSSEC contract (contrib/lab/CASES.md, "DNSSEC cases") checked
by real validators: Unbound and Knot Resolver from Debian, each given the
lab's trust anchor and root hints, must give every case's rcode, AD, EDE
and data. When a lab change breaks a case, this test says so before the
tests of descend's own validator do."""
import os
import shutil
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from cases import dnssec_cases
from conftest import LAB_DIR

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
KRESD = shutil.which("kresd") or "/usr/sbin/kresd"
UNBOUND_ADDR = "127.77.100.53"
KRESD_ADDR = "127.77.100.54"
ANCHOR = os.path.join(LAB_DIR, "root.key")
CASES = dnssec_cases()
PIDS = {}       # address: pid of the validator serving it (for CPU time)


def wait_answering(proc, addr, log):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{addr} exited: " + log.read_text())
        try:
            dns.query.udp(dns.message.make_query(".", "SOA"), addr, timeout=0.5)
            return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError(f"{addr} did not answer: " + log.read_text())


def stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def unbound(lab, tmp_path_factory):
    if not os.access(UNBOUND, os.X_OK):
        pytest.skip("unbound not installed: run contrib/setup-debian.sh")
    tmp = tmp_path_factory.mktemp("unbound")
    conf, log = tmp / "unbound.conf", tmp / "unbound.log"
    conf.write_text(
        "server:\n"
        f"\tinterface: {UNBOUND_ADDR}\n\tport: 53\n\tdo-ip6: no\n"
        "\tdo-not-query-localhost: no\n"
        f"\troot-hints: {lab}\n\ttrust-anchor-file: {ANCHOR}\n"
        f"\tusername: \"\"\n\tchroot: \"\"\n\tdirectory: \"{tmp}\"\n\tpidfile: \"\"\n"
        f"\tuse-syslog: no\n\tlogfile: \"{log}\"\n\tverbosity: 1\n\tval-log-level: 2\n"
        "\tede: yes\n\tmodule-config: \"validator iterator\"\n"
        "remote-control:\n\tcontrol-enable: no\n")
    proc = subprocess.Popen([UNBOUND, "-d", "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=open(log, "a"))
    try:
        wait_answering(proc, UNBOUND_ADDR, log)
        PIDS[UNBOUND_ADDR] = proc.pid
        yield UNBOUND_ADDR
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def kresd(lab, tmp_path_factory):
    if not os.access(KRESD, os.X_OK):
        pytest.skip("kresd not installed: run contrib/setup-debian.sh")
    tmp = tmp_path_factory.mktemp("kresd")
    conf, log = tmp / "kresd.conf", tmp / "kresd.log"
    conf.write_text(
        f"net.listen('{KRESD_ADDR}', 53, {{ kind = 'dns' }})\n"
        # Knot Resolver never asks loopback servers unless told to.
        "option('ALLOW_LOCAL', true)\n"
        f"trust_anchors.add_file('{ANCHOR}', true)\n"
        "modules.load('hints > iterate')\n"
        "hints.root({ ['a.root-servers.lab.'] = '127.77.0.1',"
        " ['b.root-servers.lab.'] = '127.77.0.2' })\n"
        f"cache.open(10 * MB, 'lmdb://{tmp}/cache')\n")
    proc = subprocess.Popen([KRESD, "-n", "-c", str(conf), str(tmp)],
                            stdin=subprocess.DEVNULL, stdout=open(log, "w"),
                            stderr=subprocess.STDOUT)
    try:
        wait_answering(proc, KRESD_ADDR, log)
        PIDS[KRESD_ADDR] = proc.pid
        yield KRESD_ADDR
    finally:
        stop(proc)


def ask(addr, name, rdtype, cd=False, timeout=10):
    q = dns.message.make_query(name.rstrip(".") + ".", rdtype, use_edns=0, payload=1232,
                               want_dnssec=True)
    if cd:
        q.flags |= dns.flags.CD
    resp = dns.query.udp(q, addr, timeout=timeout)
    if resp.flags & dns.flags.TC:
        resp = dns.query.tcp(q, addr, timeout=timeout)
    return resp


def ede_codes(resp):
    return [o.code for o in resp.options if o.otype == dns.edns.OptionType.EDE]


def check_answer(resp, case):
    rdtype = dns.rdatatype.from_text(case["type"])
    data = [rr.to_text() for rrset in resp.answer if rrset.rdtype == rdtype for rr in rrset]
    if case["answer"] == "":
        assert data == []
    elif case["answer"] == case["type"]:
        assert len(data) == 1
    else:
        assert data == [case["answer"]]


def check(resp, case, ede):
    assert dns.rcode.to_text(resp.rcode()) == case["rcode"]
    assert bool(resp.flags & dns.flags.AD) == case["ad"]
    if case["rcode"] != "SERVFAIL":
        check_answer(resp, case)
    assert ede_codes(resp) == ([] if ede is None else [ede])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['name']}/{c['type']}")
def test_unbound(unbound, case):
    check(ask(unbound, case["name"], case["type"]), case, case["ede_unbound"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['name']}/{c['type']}")
def test_knot_resolver(kresd, case):
    check(ask(kresd, case["name"], case["type"]), case, case["ede_knot"])


BOGUS = [c for c in CASES if c["status"] == "bogus"]


@pytest.mark.parametrize("case", BOGUS, ids=lambda c: f"{c['name']}/{c['type']}")
def test_bogus_data_is_served(unbound, kresd, case):
    """The bogus zones are broken only in their DNSSEC: with CD (checking
    disabled) both validators get their data."""
    target = {"cname-bogus.secure.com": "192.0.2.134",
              "cname-secure.badsig.com": "192.0.2.130"}.get(case["name"], "192.0.2.")
    for addr in (unbound, kresd):
        resp = ask(addr, case["name"], case["type"], cd=True)
        assert resp.rcode() == dns.rcode.NOERROR
        assert not resp.flags & dns.flags.AD
        addrs = [rr.to_text() for rrset in resp.answer if rrset.rdtype == dns.rdatatype.A
                 for rr in rrset]
        assert len(addrs) == 1 and addrs[0].startswith(target)
