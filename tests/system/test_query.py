"""descend query against the lab: every case resolves to what a mature
resolver answers; bad arguments get one line and exit code 3."""
import re

import pytest

from cases import CASES, case_id
from conftest import dnssec_args, run_descend

RR_LINE = re.compile(r"^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$")


def parse(out):
    rcode = re.search(r"rcode: (\w+)", out).group(1)
    section, answer, authority = None, [], []
    for line in out.splitlines():
        if line.startswith(";; ANSWER SECTION"):
            section = answer
        elif line.startswith(";; AUTHORITY SECTION"):
            section = authority
        elif line.startswith(";;"):
            section = None
        else:
            m = RR_LINE.match(line)
            if m and section is not None:
                section.append((m.group(1), m.group(3), m.group(4)))
    m = re.search(r"upstream queries: (\d+) \(hedges: (\d+)\)", out)
    # A hedge is the extra send a slow lab server (a loaded machine) causes:
    # the counts the tests bound are of the name's own queries.
    queries = int(m.group(1)) - int(m.group(2))
    return rcode, answer, authority, queries


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_lab_case(lab, case):
    name, rdtype, rcode, expected = case
    r = run_descend("query", "--root-hints", lab, name, rdtype)
    got_rcode, answer, authority, queries = parse(r.stdout)
    assert got_rcode == rcode, r.stdout
    assert r.returncode == {"NOERROR": 0, "NXDOMAIN": 1, "SERVFAIL": 2}[rcode]
    if expected is not None:
        assert [(o, t, d) for o, t, d in answer] == expected
    if rcode in ("NXDOMAIN",) or (rcode == "NOERROR" and expected == []):
        assert [t for _, t, _ in authority] == ["SOA"]
        assert authority[0][0] == "example.com."
    assert 1 <= queries <= 30, f"{queries} upstream queries"


def test_bigtxt_over_tcp_fallback(lab):
    r = run_descend("query", "--root-hints", lab, "bigtxt.example.com", "TXT")
    rcode, answer, _, queries = parse(r.stdout)
    assert rcode == "NOERROR"
    assert len(answer) == 1 and answer[0][2].count('"') == 16
    # priming, root, com, example.com over UDP (TC=1), then over TCP
    assert queries == 5


def upstream_spent(daemon, before):
    """Upstream queries since `before` (stats), hedges left out: a slow lab
    server on a loaded machine causes them, not the names."""
    now = daemon.stats()
    return ((now["upstream.queries"] - before["upstream.queries"]) -
            (now["upstream.hedges"] - before["upstream.hedges"]))


@pytest.mark.parametrize("zone,address,signed", [
    ("example.com", "192.0.2.60", False),
    ("secure.com", "192.0.2.131", True),
])
def test_sibling_names_cost_one_upstream_query(daemon_factory, zone, address,
                                              signed):
    """Issue 16: with the zone's cut cached, each fresh name under
    wild.ZONE costs one upstream query. The minimised `wild.ZONE A` (NODATA,
    AA) is cached and not asked again for the siblings (RFC 9156 §2.3, as
    Unbound): before, every name cost two. Signed, the siblings stay
    validated (AD); there RFC 8198 §5.3 would answer them from the first
    one's proof with no query at all (test_aggressive.py), so it is off:
    this counts what a name costs without it."""
    if signed and dnssec_args()[0] != "--trust-anchor":
        pytest.skip("the lab is not signed")
    daemon = daemon_factory("aggressive-nsec: no\n" if signed else "")
    import dns.flags
    import dns.rcode

    def ask(i):
        r = daemon.query(f"n{i}.wild.{zone}", want_dnssec=signed)
        assert r.rcode() == dns.rcode.NOERROR, r
        assert [rd.address for rrset in r.answer for rd in rrset
                if rrset.rdtype == 1] == [address], r
        assert bool(r.flags & dns.flags.AD) == signed, r

    for i in range(1, 4):
        ask(i)
    before = daemon.stats()
    for i in range(4, 14):
        ask(i)
    spent = upstream_spent(daemon, before)
    assert spent == 10, f"{spent} upstream queries for 10 sibling names"


def test_cyclic_delegation_fails_fast(lab):
    r = run_descend("query", "--root-hints", lab, "www.cycle-a.com")
    assert r.returncode == 2
    assert "why:" in r.stdout
    assert parse(r.stdout)[3] <= 10


def test_cyclic_delegation_validating_asks_each_cut_once(lab):
    """Validating, the cycle costs priming, the root's keys, com.,
    cycle-a.com., net. and cycle-b.net., whose referral closes the cycle:
    it is not validated (no net. keys) and neither referral is asked for
    again (13 queries before). cycle-a.com.'s no-DS proof waits for an
    address of its server, which never comes: com.'s keys are never judged
    (7 queries before). The DNSKEY queries to com. and net. that went out
    beside the queries to them (keys ahead: their keys were the next link
    for whatever they answered) are the two more: 8, not 6."""
    if dnssec_args()[0] != "--trust-anchor":
        pytest.skip("the lab is not signed")
    r = run_descend("query", *dnssec_args(), "--root-hints", lab,
                    "www.cycle-a.com")
    assert r.returncode == 2, r.stdout
    assert parse(r.stdout)[3] <= 8, r.stdout


@pytest.mark.parametrize("args,message", [
    (["query", "bad..name"], "not a valid domain name"),
    (["query", "www.example.com", "NOSUCHTYPE"], "unknown record type"),
    (["query", "--root-hints", "/nonexistent/hints", "www.example.com"], "/nonexistent/hints"),
    (["query", "--timeout", "abc", "www.example.com"], "bad timeout"),
    (["query"], "usage"),
    (["nosuchcommand"], "unknown subcommand"),
])
def test_bad_arguments(args, message):
    r = run_descend(*args)
    assert r.returncode == 3
    assert message in r.stderr
