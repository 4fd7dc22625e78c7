"""A DO client's answer under AD carries only the NSEC/NSEC3 records the
validator verified, with their RRSIGs: what an upstream adds to a sound
proof must not reach the client as validated data, nor the caches.

proof_proxy.py sits between descendd (a stub zone for secure.com and
nsec3.com) and the lab's NSD, passing the real signed replies on and adding
to each proof, by mode, an unsigned NSEC/NSEC3 record, one with a signature
that fails, an RRSIG over NSEC/NSEC3 for a name that has none, or a record
"signed" by a zone below (sub.ZONE, which does not exist). Unbound answers
SERVFAIL to all four (EDE 10, 6, 10, 6: every RRset of the authority
section must validate with the one signer's keys, validator.c
validate_msg_signatures); Knot Resolver fails the first two too and leaves
an RRSIG without its RRset out (layer/validate.c validate_section:
KR_RANK_OMIT). descendd: SERVFAIL for a proof record of the zone that is
unsigned or fails (resolver/dnssec/validator.c verified_proof); the stray
RRSIG is dropped by the scrubber; another zone's record is left out of the
answer, which stays secure: one reply of ours may carry two zones' proofs
(a CNAME from a wildcard in one, the denial in the other), so a record of
another zone does not fail it (iterator.c denial_proof gives out only what
was verified)."""
import os

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from conftest import ANCHOR, python_server

PROXY = "127.77.8.3"
NSD = "127.77.10.1"         # sec-1: secure.com (NSEC) and nsec3.com (NSEC3)
STUBS = (f"stub-zone: secure.com. {PROXY}\n"
         f"stub-zone: nsec3.com. {PROXY}\n"
         # each question goes upstream: no answer synthesised from cached NSECs
         "aggressive-nsec: no\n")

# question, type, rcode, what the proof proves
CASES = [
    ("nx.secure.com.", "A", dns.rcode.NXDOMAIN, "nxdomain"),
    ("www.secure.com.", "AAAA", dns.rcode.NOERROR, "nodata"),
    ("x.wild.secure.com.", "A", dns.rcode.NOERROR, "wildcard"),
    ("nx.nsec3.com.", "A", dns.rcode.NXDOMAIN, "nxdomain"),
    ("www.nsec3.com.", "TXT", dns.rcode.NOERROR, "nodata"),
]
IDS = [f"{c[0].split('.')[0]}.{c[0].split('.')[1]}-{c[1]}" for c in CASES]


@pytest.fixture(autouse=True)
def signed_lab():
    if not os.path.exists(ANCHOR):
        pytest.skip("the lab has no trust anchor (unsigned lab)")


@pytest.fixture
def proxied(daemon_factory, tmp_path_factory):
    """proxied(mode): the proxy in that mode and a fresh descendd using it."""
    servers = []

    def make(mode):
        cm = python_server(tmp_path_factory, "proof_proxy.py", PROXY, NSD, mode)
        cm.__enter__()
        servers.append(cm)
        return daemon_factory(STUBS)

    yield make
    for cm in servers:
        cm.__exit__(None, None, None)


def ask(d, name, rdtype, cd=False):
    return d.query(name, rdtype, tcp=True, timeout=10, want_dnssec=True, cd=cd)


def ede_codes(resp):
    return [o.code for o in resp.options if o.otype == dns.edns.OptionType.EDE]


def forged(resp):
    """The records the proxy made that the client got."""
    return [rs for rs in resp.answer + resp.authority
            if rs.name.labels[0].lower().startswith((b"forged", b"f0rged"))]


def proof_types(resp):
    return {rs.rdtype for rs in resp.authority
            if rs.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)}


def upstream(d):
    return d.stats()["upstream.queries"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sound_proof_through_the_proxy(proxied, case):
    """The control: the proxy passing replies on untouched changes nothing."""
    d = proxied("none")
    resp = ask(d, case[0], case[1])
    assert resp.rcode() == case[2] and resp.flags & dns.flags.AD, resp
    assert proof_types(resp), resp


@pytest.mark.parametrize("mode,ede", [("unsigned", 10), ("badsig", 6)])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_proof_record_that_does_not_verify_is_bogus(proxied, case, mode, ede):
    d = proxied(mode)
    resp = ask(d, case[0], case[1])
    # the bug: the forged record reached the client beside AD
    assert not (resp.flags & dns.flags.AD and forged(resp)), \
        f"an unverified proof record under AD:\n{resp}"
    assert resp.rcode() == dns.rcode.SERVFAIL, resp
    assert ede_codes(resp) == [ede], resp
    # the same from the answer cache
    again = ask(d, case[0], case[1])
    assert again.rcode() == dns.rcode.SERVFAIL and not forged(again), again


@pytest.mark.parametrize("mode", ["junksig", "othersig"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_record_outside_the_proof_is_left_out(proxied, case, mode):
    """An RRSIG without its RRset, and a record signed by another zone (no
    key of which is fetched for it), are no part of the proof: the answer
    stays secure and they stay out of it."""
    d = proxied(mode)
    resp = ask(d, case[0], case[1])
    assert resp.rcode() == case[2] and resp.flags & dns.flags.AD, resp
    assert proof_types(resp), resp
    assert not forged(resp), f"an unverified record under AD:\n{resp}"
    # Nor from the answer cache, nor from the RRset cache's entry (a CD
    # client's question misses the answer cache, and asks nobody).
    before = upstream(d)
    again = ask(d, case[0], case[1])
    assert again.flags & dns.flags.AD and not forged(again), again
    if case[3] != "wildcard":   # its proof is not in the RRset cache
        cd = ask(d, case[0], case[1], cd=True)
        assert proof_types(cd) and not forged(cd), cd
    assert upstream(d) == before, "the answers were not from the caches"
