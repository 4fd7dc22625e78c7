"""RFC 4035 §3.1.3.3: a DO client's answer expanded from secure.com's
*.wild wildcard carries, in its authority section, the NSEC (and its
RRSIG) proving that no closer name exists, so that a validator downstream
(a stub asking with CD) can check the expansion itself: cold from the
authority, from the answer cache (the same records), with CD, and when
synthesised from the cached wildcard (RFC 8198 §5.3), and from the RRset
cache, where the proof is kept with the expanded RRset. Plain clients get no
DNSSEC records. *.wild's NSEC (next www) covers every name below wild."""
import os

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from conftest import ANCHOR

ZONE = dns.name.from_text("secure.com.")


@pytest.fixture(autouse=True)
def signed_lab():
    if not os.path.exists(ANCHOR):
        pytest.skip("the lab has no trust anchor (unsigned lab)")


def ask(d, name, rdtype="A", do=True, cd=False):
    return d.query(name, rdtype, tcp=True, timeout=10, want_dnssec=do, cd=cd)


def upstream(d):
    return d.stats()["upstream.queries"]


def dnskeys(d):
    keys = ask(d, "secure.com.", "DNSKEY")
    return keys.find_rrset(keys.answer, ZONE, dns.rdataclass.IN,
                           dns.rdatatype.DNSKEY)


def check_proof(resp, qname, keys):
    """The answer is the wildcard's A, and the authority section holds an
    NSEC covering qname whose RRSIG validates with the zone's DNSKEY."""
    name = dns.name.from_text(qname)
    assert resp.rcode() == dns.rcode.NOERROR
    assert [r.address for rrset in resp.answer
            if rrset.rdtype == dns.rdatatype.A for r in rrset] == ["192.0.2.131"]
    nsecs = [rrset for rrset in resp.authority
             if rrset.rdtype == dns.rdatatype.NSEC]
    assert nsecs, f"no NSEC in the authority section:\n{resp}"
    covering = [rrset for rrset in nsecs
                if rrset.name < name < rrset[0].next]
    assert covering, f"no NSEC covers {qname}:\n{resp}"
    nsec = covering[0]
    sigs = resp.find_rrset(resp.authority, nsec.name, dns.rdataclass.IN,
                           dns.rdatatype.RRSIG, dns.rdatatype.NSEC)
    dns.dnssec.validate(nsec, sigs, {ZONE: keys})
    assert not [rrset for rrset in resp.authority
                if rrset.rdtype == dns.rdatatype.SOA]


def sections(resp):
    """The answer and authority RRsets in order, without their TTLs."""
    return [(rrset.name, rrset.rdtype, rrset.covers,
             sorted(r.to_text() for r in rrset))
            for rrset in resp.answer + resp.authority]


def test_wildcard_answer_carries_its_nsec_proof(daemon_factory):
    d = daemon_factory("aggressive-nsec: no\n")
    keys = dnskeys(d)
    before = upstream(d)
    cold = ask(d, "x.wild.secure.com.")
    assert cold.flags & dns.flags.AD
    assert upstream(d) > before
    check_proof(cold, "x.wild.secure.com.", keys)
    # The answer cache gives the same records, without asking anyone.
    before = upstream(d)
    hot = ask(d, "x.wild.secure.com.")
    assert upstream(d) == before
    check_proof(hot, "x.wild.secure.com.", keys)
    assert sections(hot) == sections(cold)
    # CD (a stub validating for itself): the same proof, cold and cached.
    cd = ask(d, "x.wild.secure.com.", cd=True)
    assert not cd.flags & dns.flags.AD
    check_proof(cd, "x.wild.secure.com.", keys)
    assert sections(cd) == sections(cold)
    before = upstream(d)
    cd_hot = ask(d, "x.wild.secure.com.", cd=True)
    assert upstream(d) == before
    assert sections(cd_hot) == sections(cold)
    # A plain client gets no DNSSEC records, a name that is no expansion
    # no proof.
    plain = ask(d, "y.wild.secure.com.", do=False)
    assert plain.rcode() == dns.rcode.NOERROR and plain.authority == []
    www = ask(d, "www.secure.com.")
    assert www.answer and www.authority == []


def test_synthesised_wildcard_answer_carries_its_nsec_proof(daemon_factory):
    d = daemon_factory()
    keys = dnskeys(d)
    assert ask(d, "wildz.secure.com.").rcode() == dns.rcode.NXDOMAIN
    check_proof(ask(d, "any.wild.secure.com."), "any.wild.secure.com.", keys)
    before = upstream(d)
    resp = ask(d, "other.wild.secure.com.")
    assert upstream(d) == before, "the expansion went upstream"
    check_proof(resp, "other.wild.secure.com.", keys)


def test_wildcard_proof_from_the_rrset_cache(daemon_factory):
    """The proof is kept beside the expanded RRset in the RRset cache: a DO
    client asking after a plain one (the answer cache keys them apart) is
    answered from it, without an upstream query, with the NSEC and RRSIG
    and AD. Flushing the name drops the RRset with its proof: the next DO
    question is asked upstream."""
    d = daemon_factory("aggressive-nsec: no\n")
    keys = dnskeys(d)
    plain = ask(d, "p.wild.secure.com.", do=False)
    assert plain.rcode() == dns.rcode.NOERROR and plain.authority == []
    before = upstream(d)
    resp = ask(d, "p.wild.secure.com.")
    assert upstream(d) == before, "the DO answer went upstream"
    assert resp.flags & dns.flags.AD
    check_proof(resp, "p.wild.secure.com.", keys)
    out = d.control_cmd("flush", "p.wild.secure.com.")
    assert out.returncode == 0 and "removed=" in out.stdout, out
    before = upstream(d)
    resp = ask(d, "p.wild.secure.com.", cd=True)
    assert upstream(d) > before, "answered from a flushed RRset"
    check_proof(resp, "p.wild.secure.com.", keys)
