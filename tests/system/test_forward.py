"""Forward and stub zones against the lab: a descendd forwarding to a
second descendd (the forwarder is a resolver, as in real life), forward-first
falling back to iteration when the forwarder is the lab's dead listener,
stub zones pointing at lab servers, and `descend query|trace` with
--forward/--stub saying where they applied."""
import json
import os

import dns.flags
import dns.rcode
import pytest

from conftest import ANCHOR, Daemon, run_descend

FORWARDER_ADDR = "127.77.100.2"
DEAD = "127.77.9.9"


def answers(resp):
    return [rd.to_text() for rrset in resp.answer for rd in rrset]


@pytest.fixture
def daemons(lab, tmp_path):
    started = []

    def make(name, extra="", addr="127.77.100.1"):
        (tmp_path / name).mkdir()
        # Query counts are the subject: validating would add the chain of
        # trust's DS/DNSKEY queries around the forwarder.
        d = Daemon(tmp_path / name, "dnssec-validation: no\n" + extra,
                   addr=addr)
        started.append(d)
        return d.start()

    yield make
    for d in started:
        d.stop()


def test_forward_zone_to_a_second_resolver(daemons):
    forwarder = daemons("forwarder", addr=FORWARDER_ADDR)
    d = daemons("main", f"forward-zone: example.com {FORWARDER_ADDR}\n")
    before = forwarder.stats()
    resp = d.query("www.example.com")
    assert answers(resp) == ["192.0.2.10"]
    assert resp.rcode() == dns.rcode.NOERROR and not resp.flags & dns.flags.AA
    # one query to the forwarder; the forwarder did the iterating
    assert d.stats()["upstream.queries"] == 1
    after = forwarder.stats()
    assert after["requests"] - before["requests"] == 1
    assert after["upstream.queries"] > before["upstream.queries"]
    # negative answers from the forwarder are final too
    assert d.query("nonexistent.example.com").rcode() == dns.rcode.NXDOMAIN
    nodata = d.query("www.example.com", "AAAA")
    assert nodata.rcode() == dns.rcode.NOERROR and nodata.answer == []
    assert d.stats()["upstream.queries"] == 3
    # names outside the zone are iterated as usual, but example.org's name
    # servers are ns1/ns2.example.com: their addresses come from the forwarder
    assert answers(d.query("www.example.org")) == ["192.0.2.50"]
    assert forwarder.stats()["requests"] - before["requests"] in (4, 5)


def test_forward_first_falls_back_when_the_forwarder_is_dead(daemons):
    d = daemons("main", f"forward-zone: example.org {DEAD}\n"
                "forward-first: yes\n"
                f"forward-zone: dev.example.com {DEAD}\n")
    resp = d.query("www.example.org", timeout=10)
    assert resp.rcode() == dns.rcode.NOERROR
    assert answers(resp) == ["192.0.2.50"]
    # without forward-first the dead forwarder is the end of it
    resp = d.query("www.dev.example.com", timeout=10)
    assert resp.rcode() == dns.rcode.SERVFAIL


def test_stub_zone_starts_at_its_servers(daemons):
    d = daemons("main", "stub-zone: example.com 127.77.2.2\n")
    assert answers(d.query("www.example.com")) == ["192.0.2.10"]
    # no priming, no root, no com: the stub's server directly
    assert d.stats()["upstream.queries"] == 1
    # iteration goes on below the stub: its referral to dev.example.com
    assert answers(d.query("www.dev.example.com")) == ["192.0.2.20"]
    assert d.stats()["upstream.queries"] == 3


def test_reload_applies_forward_zones(daemons):
    forwarder = daemons("forwarder", addr=FORWARDER_ADDR)
    d = daemons("main")
    assert answers(d.query("www.example.org")) == ["192.0.2.50"]   # cached
    with open(d.conf, "a") as f:
        f.write(f"forward-zone: example.org {FORWARDER_ADDR}\n")
    assert d.control_cmd("reload").returncode == 0
    before = forwarder.stats()["requests"]
    assert answers(d.query("www.example.org")) == ["192.0.2.50"]
    assert forwarder.stats()["requests"] == before + 1


def test_checkconf_prints_the_zones(lab, tmp_path):
    d = Daemon(tmp_path, f"forward-zone: corp.example {FORWARDER_ADDR}@5353 "
               "192.0.2.1\nforward-first: yes\nstub-zone: lab.example 192.0.2.2\n")
    from conftest import DESCENDD
    import subprocess
    r = subprocess.run([DESCENDD, "-t", "-c", str(d.conf)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert (f"forward-zone: corp.example {FORWARDER_ADDR}@5353 192.0.2.1@53\n"
            "forward-first: yes\n") in r.stdout
    assert "stub-zone: lab.example 192.0.2.2@53\n" in r.stdout
    d.conf.write_text("forward-first: yes\n")
    r = subprocess.run([DESCENDD, "-t", "-c", str(d.conf)], capture_output=True,
                       text=True)
    assert r.returncode == 1 and "forward-first must follow" in r.stderr


def test_query_forward_says_where(daemons, lab):
    daemons("forwarder", addr=FORWARDER_ADDR)
    r = run_descend("query", "--root-hints", lab, "--forward",
                    f"example.com={FORWARDER_ADDR}", "www.example.com")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "192.0.2.10" in r.stdout
    assert f";; forward zone example.com.: {FORWARDER_ADDR}\n" in r.stdout
    assert ";; upstream queries: 1 (hedges: 0)\n" in r.stdout


def test_query_forward_first_and_stub(lab):
    r = run_descend("query", "--root-hints", lab, "--forward",
                    f"example.org={DEAD}", "--forward-first", "www.example.org")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "192.0.2.50" in r.stdout
    assert "every forwarder failed for www.example.org.: iterated" in r.stdout
    r = run_descend("query", "--root-hints", lab, "--stub",
                    "example.com=127.77.2.1", "www.example.com")
    assert r.returncode == 0 and ";; stub zone example.com.: 127.77.2.1\n" in r.stdout
    assert ";; upstream queries: 1 (hedges: 0)\n" in r.stdout
    r = run_descend("query", "--forward", "example.com=nowhere", "www.example.com")
    assert r.returncode == 3 and "bad --forward address 'nowhere'" in r.stderr
    r = run_descend("query", "--stub", "example.com", "www.example.com")
    assert r.returncode == 3 and "expected ZONE=ADDR" in r.stderr


def test_trace_shows_the_configured_step(daemons, lab):
    daemons("forwarder", addr=FORWARDER_ADDR)
    r = run_descend("trace", "--root-hints", lab, "--no-color", "--stub",
                    "example.com=127.77.2.1", "www.dev.example.com")
    assert r.returncode in (0, 1), r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert any(l.startswith("== zone example.com. (stub zone") for l in lines), r.stdout
    assert any("127.77.2.1 [config]" in l for l in lines)
    assert any("referral example.com. -> dev.example.com." in l for l in lines)
    assert not any(l.startswith("== zone .") for l in lines), "no root step"
    r = run_descend("trace", "--root-hints", lab, "--json", "--forward",
                    f"example.com={FORWARDER_ADDR}", "www.example.com")
    objs = [json.loads(l) for l in r.stdout.splitlines()]
    cuts = [o for o in objs if o["type"] == "zonecut"]
    assert [(c["zone"], c["configured"]) for c in cuts] == [("example.com.", "forward")]
    replies = [o for o in objs if o["type"] == "reply"]
    assert [(x["address"], x["flags"]) for x in replies] == [(FORWARDER_ADDR, " ra")]
    assert [o["records"] for o in objs if o["type"] == "answer"][0].endswith("192.0.2.10\n")


def test_forwarded_answers_are_validated(lab, tmp_path):
    """Validation applies to forwarded answers too: the resolver in front
    checks the forwarder's signed answer itself (its own dnssec.secure
    counter moves and it sets AD), and a broken signature is SERVFAIL."""
    if not os.path.exists(ANCHOR):
        pytest.skip("the lab has no trust anchor")
    (tmp_path / "forwarder").mkdir()
    (tmp_path / "main").mkdir()
    forwarder = Daemon(tmp_path / "forwarder", f"trust-anchor-file: {ANCHOR}\n",
                       addr=FORWARDER_ADDR).start()
    d = Daemon(tmp_path / "main", f"trust-anchor-file: {ANCHOR}\n"
               f"forward-zone: badsig.com {FORWARDER_ADDR}\n"
               f"forward-zone: secure.com {FORWARDER_ADDR}\n").start()
    try:
        before = d.stats()["dnssec.secure"]
        secure = d.query("www.secure.com", want_dnssec=True)
        assert "192.0.2.130" in answers(secure)   # with its RRSIG (DO)
        assert secure.flags & dns.flags.AD
        assert d.stats()["dnssec.secure"] > before
        bogus = d.query("www.badsig.com", want_dnssec=True)
        assert bogus.rcode() == dns.rcode.SERVFAIL
    finally:
        d.stop()
        forwarder.stop()
