"""Local zones and local data in descendd, as Unbound's: every local-zone
type, local-data inside and outside zones, the built-in special-use zones
(RFC 6761/6762/7686, RFC 6303 reverse zones) answered without going
upstream, `nodefault` and overriding a built-in zone, and a reload that
makes a cached name local."""
import subprocess

import dns.exception
import dns.flags
import dns.rcode
import dns.rdatatype
import pytest

from conftest import DESCENDD, Daemon

LOCAL = """
local-zone: static.example.com static
local-data: "a.static.example.com A 192.0.2.201"
local-data: "deep.b.static.example.com A 192.0.2.211"
local-data: "static.example.com 600 IN SOA ns.static.example.com. h.example.com. 7 3600 600 86400 300"
local-zone: "redirect.example.com" redirect
local-data: "redirect.example.com A 192.0.2.202"
local-zone: refuse.example.com refuse
local-data: "ok.refuse.example.com A 192.0.2.203"
local-zone: deny.example.com deny
local-data: "ok.deny.example.com A 192.0.2.204"
local-zone: nx.example.com always_nxdomain
local-data: "www.nx.example.com A 192.0.2.205"
local-zone: example.org transparent
local-data: "local.example.org A 192.0.2.206"
local-data: "loose.example.net A 192.0.2.207"
local-data: "alias.example.net CNAME www.example.com."
"""


def answers(resp):
    return [(r.name.to_text(), rd.to_text()) for r in resp.answer for rd in r]


@pytest.fixture
def local(daemon_factory):
    return daemon_factory(LOCAL)


def upstream(d):
    return d.stats()["upstream.queries"]


def test_static(local):
    before = upstream(local)
    r = local.query("a.static.example.com")
    assert answers(r) == [("a.static.example.com.", "192.0.2.201")]
    assert r.flags & dns.flags.AA
    r = local.query("nothere.static.example.com")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert [a.to_text().split()[-5] for a in r.authority] == ["7"], "the zone's SOA"
    for name, rdtype in (("a.static.example.com", "AAAA"),   # the name has other data
                         ("static.example.com", "A"),        # the apex exists
                         ("b.static.example.com", "A")):     # an empty non-terminal
        r = local.query(name, rdtype)
        assert r.rcode() == dns.rcode.NOERROR and r.answer == [], name
    assert upstream(local) == before


def test_redirect(local):
    before = upstream(local)
    r = local.query("any.thing.redirect.example.com")
    assert answers(r) == [("any.thing.redirect.example.com.", "192.0.2.202")]
    r = local.query("x.redirect.example.com", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR and r.answer == []
    assert upstream(local) == before


def test_refuse_and_deny(local):
    before = upstream(local)
    assert local.query("x.refuse.example.com").rcode() == dns.rcode.REFUSED
    assert answers(local.query("ok.refuse.example.com")) == [
        ("ok.refuse.example.com.", "192.0.2.203")]
    with pytest.raises(dns.exception.Timeout):
        local.query("x.deny.example.com", timeout=1)
    assert answers(local.query("ok.deny.example.com")) == [
        ("ok.deny.example.com.", "192.0.2.204")]
    assert upstream(local) == before


def test_always_nxdomain_ignores_local_data(local):
    before = upstream(local)
    assert local.query("www.nx.example.com").rcode() == dns.rcode.NXDOMAIN
    assert local.query("nx.example.com", "SOA").rcode() == dns.rcode.NXDOMAIN
    assert upstream(local) == before


def test_transparent_and_loose_data(local):
    before = upstream(local)
    assert answers(local.query("local.example.org")) == [
        ("local.example.org.", "192.0.2.206")]
    assert answers(local.query("loose.example.net")) == [
        ("loose.example.net.", "192.0.2.207")]
    assert answers(local.query("alias.example.net")) == [
        ("alias.example.net.", "www.example.com.")]
    assert upstream(local) == before
    # a transparent zone resolves what it has no data for
    assert answers(local.query("www.example.org")) == [("www.example.org.", "192.0.2.50")]
    assert upstream(local) > before
    # names next to local data outside any zone are not local
    assert answers(local.query("www.example.com")) == [("www.example.com.", "192.0.2.10")]


BUILT_IN = [
    ("localhost", "A", "NOERROR", [("localhost.", "127.0.0.1")]),
    ("localhost", "AAAA", "NOERROR", [("localhost.", "::1")]),
    ("1.0.0.127.in-addr.arpa", "PTR", "NOERROR", [("1.0.0.127.in-addr.arpa.", "localhost.")]),
    ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", "PTR",
     "NOERROR", [("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
                  "localhost.")]),
    ("www.localhost", "A", "NXDOMAIN", []),
    ("foo.invalid", "A", "NXDOMAIN", []),
    ("foo.test", "A", "NXDOMAIN", []),
    ("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", "A", "NXDOMAIN", []),
    ("printer.home.arpa", "A", "NXDOMAIN", []),
    ("4.3.2.10.in-addr.arpa", "PTR", "NXDOMAIN", []),
    ("1.1.168.192.in-addr.arpa", "PTR", "NXDOMAIN", []),
    ("1.0.16.172.in-addr.arpa", "PTR", "NXDOMAIN", []),
    ("1.0.31.172.in-addr.arpa", "PTR", "NXDOMAIN", []),
    ("1.1.254.169.in-addr.arpa", "PTR", "NXDOMAIN", []),
    ("10.2.0.192.in-addr.arpa", "PTR", "NXDOMAIN", []),
    ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa", "PTR",
     "NXDOMAIN", []),
]


@pytest.mark.parametrize("case", BUILT_IN, ids=lambda c: f"{c[0][:40]}/{c[1]}")
def test_built_in_zones_never_go_upstream(daemon, case):
    name, rdtype, rcode, expected = case
    before = upstream(daemon)
    r = daemon.query(name, rdtype)
    assert dns.rcode.to_text(r.rcode()) == rcode
    assert answers(r) == expected
    if rcode == "NXDOMAIN":
        soa = [a for a in r.authority if a.rdtype == dns.rdatatype.SOA]
        assert soa and soa[0][0].to_text() == "localhost. nobody.invalid. 1 3600 1200 604800 10800"
    assert upstream(daemon) == before


def test_nodefault_and_override(daemon_factory):
    d = daemon_factory("local-zone: onion. nodefault\n"
                       "local-zone: 10.in-addr.arpa transparent\n"
                       "local-zone: home.arpa static\n"
                       "local-data: \"printer.home.arpa A 192.168.1.5\"\n")
    before = upstream(d)
    # the lab's root knows neither: NXDOMAIN from upstream, not from us
    r = d.query("foo.onion")
    assert r.rcode() == dns.rcode.NXDOMAIN
    assert r.authority[0].name.to_text() == "."
    assert d.query("4.3.2.10.in-addr.arpa", "PTR").rcode() == dns.rcode.NXDOMAIN
    assert upstream(d) > before
    before = upstream(d)
    assert answers(d.query("printer.home.arpa")) == [("printer.home.arpa.", "192.168.1.5")]
    assert d.query("foo.invalid").rcode() == dns.rcode.NXDOMAIN
    assert upstream(d) == before


def test_reload_makes_a_cached_name_local(daemon):
    assert answers(daemon.query("www.example.com")) == [("www.example.com.", "192.0.2.10")]
    with open(daemon.conf, "a") as f:
        f.write("local-zone: www.example.com redirect\n"
                "local-data: \"www.example.com A 192.0.2.99\"\n")
    assert daemon.control_cmd("reload").returncode == 0
    assert answers(daemon.query("www.example.com")) == [("www.example.com.", "192.0.2.99")]


def test_checkconf_local_lines(tmp_path):
    d = Daemon(tmp_path, LOCAL)
    r = subprocess.run([DESCENDD, "-t", "-c", str(d.conf)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "local-zone: redirect.example.com. redirect\n" in r.stdout
    assert 'local-data: "a.static.example.com. 3600 IN A 192.0.2.201"\n' in r.stdout
    d.conf.write_text("local-zone: x.example static\nlocal-zone: x.example. deny\n"
                      "local-zone: y.example blocky\nlocal-data: \"z.example A 1.2.3\"\n"
                      "local-zone: z.example\n")
    r = subprocess.run([DESCENDD, "-t", "-c", str(d.conf)], capture_output=True, text=True)
    assert r.returncode == 1
    assert ":2: local-zone 'x.example.' is configured twice" in r.stderr
    assert ":3: local-zone 'y.example': unknown type 'blocky'" in r.stderr
    assert ":4: local-data 'z.example A 1.2.3':" in r.stderr
    assert ":5: bad local-zone 'z.example': expected NAME TYPE" in r.stderr


def test_private_address_strips_rebinding_answers(daemon_factory):
    # Every address answer of the lab is in these two documentation blocks.
    d = daemon_factory("private-address: 192.0.2.0/24\n"
                       "private-address: 198.51.100.0/24\n"
                       "private-domain: example.org\n"
                       "local-data: \"inside.example.net A 192.0.2.222\"\n")
    r = d.query("www.example.com")
    assert r.rcode() == dns.rcode.NOERROR and r.answer == []
    # a CNAME chain keeps its aliases, loses the private address at its end
    r = d.query("alias.example.com")
    assert [rr.rdtype for rr in r.answer] == [dns.rdatatype.CNAME] * 2
    # names under a private-domain may point inside
    assert answers(d.query("www.example.org")) == [("www.example.org.", "192.0.2.50")]
    # the operator's own local data is never stripped
    assert answers(d.query("inside.example.net")) == [("inside.example.net.", "192.0.2.222")]
    # other types pass
    assert answers(d.query("example.com", "MX")) == [("example.com.", "10 mail.example.com.")]
