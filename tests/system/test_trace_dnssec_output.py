"""descend trace's DNSSEC views (issue 13): --dig blocks compared with real
`dig +trace +dnssec`, the chain of trust in --dot, CDS/CDNSKEY and the
algorithm-rollover state. Run inside contrib/netns-run like every system
test; dig is run with a loopback resolv.conf and the lab's names in
/etc/hosts, both bind-mounted in a mount namespace of its own."""
import json
import re
import shutil
import subprocess

import pytest

from conftest import dnssec_trace
from test_trace import SECURE_PLAN, assert_schema, lab_ds

# dig +trace looks name servers up with the system resolver, not the glue:
# the lab's names for the cases below.
LAB_HOSTS = """127.0.0.1 localhost
127.77.0.1 a.root-servers.lab
127.77.0.2 b.root-servers.lab
127.77.1.1 a.gtld.lab
127.77.1.2 b.gtld.lab
127.77.10.1 ns1.secure.com ns1.insecure.com ns1.nsec3.com
127.77.10.2 ns2.secure.com ns2.insecure.com ns2.nsec3.com
"""


def real_dig_trace(tmp_path, name):
    if shutil.which("dig") is None or shutil.which("unshare") is None:
        pytest.skip("dig or unshare missing (contrib/setup-debian.sh)")
    hosts = tmp_path / "hosts"
    hosts.write_text(LAB_HOSTS)
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\n")   # nothing listens there
    script = ('mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf '
              '&& exec dig +trace +dnssec +time=2 +tries=1 @127.77.0.1 "$3" A')
    r = subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", str(hosts),
                        str(resolv), name], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def blocks(text):
    """The record lines of each ";; Received" block, and where they came from."""
    out, records = [], []
    for line in text.splitlines():
        if line.startswith(";; Received"):
            out.append((tuple(records), line))
            records = []
        elif line and not line.startswith(";"):
            records.append(line)
    return out


@pytest.mark.parametrize("name", ["www.secure.com", "www.insecure.com",
                                  "nonexistent.nsec3.com"])
def test_dig_blocks_are_dig_trace_dnssec_blocks(lab, tmp_path, name):
    dig = blocks(real_dig_trace(tmp_path, name))
    r = dnssec_trace(lab, name, "--dig", "--no-0x20")
    ours = blocks(r.stdout)
    assert len(dig) >= 3, dig
    # every hop dig shows, record for record and byte for byte (columns,
    # upper-case digests, 56-character chunks), is one of ours; ours adds
    # the validator's DNSKEY queries, which dig +trace does not make
    got = {records for records, _ in ours}
    for records, received in dig:
        assert records in got, (received, records)
    # the referrals carry the DS RRset and its RRSIG after the NS set
    ds = [records for records, _ in ours if any("\tDS\t" in l for l in records)]
    assert ds, r.stdout
    for records in ds:
        kinds = [re.split(r"\s+", l)[3] for l in records]
        assert kinds.index("NS") < kinds.index("DS") < kinds.index("RRSIG"), records
    # the server is named as dig names it
    for _, received in ours:
        assert re.match(r";; Received \d+ bytes from [\d.]+#53\([a-z0-9.-]*[a-z0-9]\) in \d+ ms",
                        received), received


def test_dig_answer_has_its_rrsig(lab):
    r = dnssec_trace(lab, "www.secure.com", "--dig")
    assert re.search(r"^www\.secure\.com\.\t\t3600\tIN\tA\t192\.0\.2\.130$", r.stdout, re.M)
    assert re.search(r"^www\.secure\.com\.\t\t3600\tIN\tRRSIG\tA 13 3 3600 \d{14} \d{14} \d+ "
                     r"secure\.com\. \S{56} \S+$", r.stdout, re.M), r.stdout


# The chain of trust in --dot: DS -> DNSKEY edges per cut, by verdict.
GREEN, GREY, RED = "#2e7d32", "#757575", "#c62828"


def svg_edges(lab, tmp_path, name, *extra):
    """The rendered SVG's edges: {(tail, head): (stroke, dashed, label)}, and
    the clusters' labels."""
    import xml.etree.ElementTree as ET
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (contrib/setup-debian.sh)")
    r = dnssec_trace(lab, name, "--dot", *extra)
    src = tmp_path / "trace.dot"
    src.write_text(r.stdout)
    svg = subprocess.run(["dot", "-Tsvg", str(src)], capture_output=True, text=True)
    assert svg.returncode == 0, svg.stderr
    ns = "{http://www.w3.org/2000/svg}"
    edges, clusters = {}, {}
    for g in ET.fromstring(svg.stdout).iter(ns + "g"):
        title = g.find(ns + "title").text if g.find(ns + "title") is not None else ""
        texts = " ".join(t.text or "" for t in g.iter(ns + "text"))
        if g.get("class") == "edge":
            path = g.find(ns + "path")
            tail, head = title.split("->")
            edges[(tail, head)] = (path.get("stroke"), path.get("stroke-dasharray") is not None,
                                   texts)
        elif g.get("class") == "cluster":
            clusters[title] = texts
    return r.returncode, r.stdout, edges, clusters


def test_dot_chain_of_a_secure_trace_is_green(lab, tmp_path):
    rc, text, edges, clusters = svg_edges(lab, tmp_path, "www.secure.com")
    assert rc == 0
    chain = {e: v for e, v in edges.items() if re.match(r"z\d+d\d+$", e[0])}
    # com.'s DS (in the root's cluster) and secure.com.'s (in com.'s) each
    # point at their child's KSK, solid green
    assert len(chain) == 2, edges
    for (tail, head), (stroke, dashed, label) in chain.items():
        assert re.match(r"z\d+k\d+$", head) and stroke == GREEN and not dashed, (tail, head)
    ds = re.findall(r'(z\d+d\d+) \[shape=note[^\n]*label="DS (\d+) for ([a-z.]+)', text)
    assert {zone for _, _, zone in ds} == {"com.", "secure.com."}
    for node, tag, zone in ds:
        head = [h for (t, h) in chain if t == node][0]
        assert re.search(r'%s \[[^\n]*label="DNSKEY %s\\nalgorithm 13, KSK' % (head, tag),
                         text), head
    # the trust anchor points at the root's KSK; every cluster says secure
    assert any(t == "anchor" and edges[(t, h)][0] == GREEN for t, h in edges)
    assert all("DNSSEC: secure" in c for c in clusters.values()), clusters


def test_dot_chain_of_an_insecure_cut_is_grey_and_dashed(lab, tmp_path):
    rc, text, edges, clusters = svg_edges(lab, tmp_path, "www.insecure.com")
    assert rc == 0
    insecure = [(e, v) for e, v in edges.items() if "no DS" in v[2]]
    assert len(insecure) == 1, edges
    (_, _), (stroke, dashed, label) = insecure[0]
    assert stroke == GREY and dashed and "NSEC proves an unsigned delegation" in label
    assert any("insecure.com." in c and "DNSSEC: insecure" in c for c in clusters.values())
    # com.'s own DS edge is still green
    assert [v for e, v in edges.items() if re.match(r"z\d+d\d+$", e[0])][0][0] == GREEN


@pytest.mark.parametrize("name,zone,to_key,why", [
    # the DS names a key the zone does not publish: the edge ends at the zone
    ("www.dsnokey.com", "dsnokey.com.", False, "no DNSKEY matches the DS records (EDE 9)"),
    # the DS matches; a signature is broken: the edge says so
    ("www.badsig.com", "badsig.com.", True, "signature does not verify (EDE 6)"),
])
def test_dot_chain_of_a_bogus_cut_is_red_with_the_reason(lab, tmp_path, name, zone, to_key, why):
    rc, text, edges, clusters = svg_edges(lab, tmp_path, name)
    assert rc == 2
    ds = re.search(r'(z(\d+)d\d+) \[shape=note[^\n]*label="DS \d+ for %s' % re.escape(zone), text)
    assert ds, text
    out = {h: v for (t, h), v in edges.items() if t == ds.group(1)}
    assert len(out) == 1, edges
    head, (stroke, dashed, label) = next(iter(out.items()))
    assert stroke == RED and ("bogus: " + why) in label, label
    if to_key:
        assert re.match(r"z\d+k\d+$", head) and not dashed
    else:
        assert head == "z" + ds.group(2) and dashed and "matches no DNSKEY" in label
    assert any(zone in c and "DNSSEC: bogus" in c for c in clusters.values())
    # a healthy cut of the same trace stays green
    assert any(v[0] == GREEN for (t, h), v in edges.items() if re.match(r"z\d+d\d+$", t))


@pytest.mark.parametrize("good", [True, False])
def test_dot_chain_of_a_planned_ds(lab, tmp_path, good):
    # --delegate with --delegate-ds: the planned DS drawn to the planned
    # servers' key, green when it matches a key that signs the key set
    ds = lab_ds("secure.com")
    if not good:
        ds = ds[:-1] + ("0" if ds[-1] != "0" else "1")
    rc, text, edges, clusters = svg_edges(lab, tmp_path, "www.secure.com", "--delegate",
                                          SECURE_PLAN, "--delegate-ds", ds)
    assert rc == (0 if good else 2)
    node = re.search(r'(z(\d+)d\d+) \[shape=note[^\n]*label="DS %s for secure.com.' %
                     ds.split()[2], text)
    assert node, text
    (head, (stroke, dashed, label)), = [(h, v) for (t, h), v in edges.items()
                                        if t == node.group(1)]
    planned = [c for c in clusters.values() if "secure.com. (planned)" in c]
    if good:
        assert re.match(r"z\d+k\d+$", head) and stroke == GREEN and not dashed
        assert "DNSSEC: secure" in planned[0]
    else:
        assert head == "z" + node.group(2) and stroke == RED and dashed
        assert "bogus: the DS planned matches no key that signs the DNSKEY RRset (EDE 9)" \
            in label
        assert "DNSSEC: bogus" in planned[0]


# CDS and CDNSKEY (Zonemaster DNSSEC15-18) and the algorithm-rollover state.
def trace_lines(lab, name):
    r = dnssec_trace(lab, name, "--json")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    return r.returncode, lines, [l for l in lines if l["type"] == "finding"]


CDS_CODES = {"DNSSEC15", "DNSSEC16", "DNSSEC17", "DNSSEC18", "DESCEND-ROLLOVER"}


def test_consistent_cds_and_cdnskey_have_no_finding(lab):
    rc, lines, findings = trace_lines(lab, "www.cds.net")
    assert rc == 0 and findings == [], findings
    cds = [l for l in lines if l["type"] == "cds"]
    assert {l["address"] for l in cds} == {"127.77.10.1", "127.77.10.2"}
    for l in cds:
        tag = l["cds"].split("/")[0]
        # the CDS is the digest of the CDNSKEY, the zone's key, which signs both
        assert l["cds"] == tag + "/13/2" and l["cdnskey"] == tag + "/257/13"
        assert l["cds_signers"] == tag and l["cdnskey_signers"] == tag


def test_broken_cds_and_cdnskey_have_dnssec15_to_18(lab):
    rc, lines, findings = trace_lines(lab, "www.cdsbad.net")
    assert rc == 1      # resolves (validation does not use CDS), with findings
    got = {}
    for f in findings:
        assert f["zone"] == "cdsbad.net."
        got.setdefault(f["code"], []).append(f["text"])
    assert set(got) == {"DNSSEC15", "DNSSEC16", "DNSSEC17", "DNSSEC18"}, got
    servers = "ns1.cdsbad.net. (127.77.10.1), ns2.cdsbad.net. (127.77.10.2): "
    assert all(t.startswith(servers) for ts in got.values() for t in ts), got
    cds = [l for l in lines if l["type"] == "cds"][0]
    zsk = cds["cdnskey"].split("/")[0]
    assert cds["cdnskey"] == zsk + "/256/13"
    assert got["DNSSEC15"] == [servers + "CDS %s is the digest of no CDNSKEY" %
                               cds["cds"].split("/")[0]]
    assert got["DNSSEC16"] == [servers + "CDS %s points to no key of the DNSKEY RRset" %
                               cds["cds"].split("/")[0]]
    assert got["DNSSEC17"] == [servers + "CDNSKEY %s points to DNSKEY %s, which does not "
                               "sign the DNSKEY RRset" % (zsk, zsk)]
    # both RRsets are signed by the ZSK alone: not by the key com.'s DS names
    assert cds["cds_signers"] == zsk and cds["cdnskey_signers"] == zsk
    assert sorted(got["DNSSEC18"]) == sorted(
        servers + "the %s RRset is not signed by a key the parent's DS points to "
        "(RFC 7344 §4.1): the parent cannot trust it" % t for t in ("CDS", "CDNSKEY"))


def test_cds_text(lab):
    r = dnssec_trace(lab, "www.cdsbad.net", "--no-color")
    out = r.stdout
    assert "== CDS, CDNSKEY and algorithms\n   cdsbad.net. ns1.cdsbad.net. 127.77.10.1: CDS " in out
    for code in ("WARNING DNSSEC15", "ERROR   DNSSEC16", "WARNING DNSSEC17",
                 "ERROR   DNSSEC18"):
        assert "   %s                 cdsbad.net.: ns1.cdsbad.net. (127.77.10.1), " \
            "ns2.cdsbad.net. (127.77.10.2): " % code in out, code
    # a healthy signed zone: no section, no finding
    r = dnssec_trace(lab, "www.secure.com", "--no-color")
    assert "== CDS" not in r.stdout and "== findings" not in r.stdout


def test_servers_that_disagree_on_cds_are_dnssec15(lab):
    rc, lines, findings = trace_lines(lab, "www.cdssplit.net")
    assert rc == 1
    mine = sorted(f["text"] for f in findings if f["code"] in CDS_CODES)
    one, two = "ns1.cdssplit.net. (127.77.10.1)", "ns2.cdssplit.net. (127.77.10.2)"
    # whichever server was asked first is the reference; the other differs
    for a, b in ((one, two), (two, one)):
        if mine and mine[0].startswith(a):
            assert mine == ["%s: a %s RRset other than %s's" % (a, t, b)
                            for t in ("CDNSKEY", "CDS")], mine
            break
    else:
        assert False, mine
    assert {f["code"] for f in findings if f["code"] in CDS_CODES} == {"DNSSEC15"}
    cds = {l["address"]: l["cds"] for l in lines if l["type"] == "cds"}
    assert len(set(cds.values())) == 2, cds


def test_delete_cds_is_noted(lab):
    rc, lines, findings = trace_lines(lab, "www.cdsdelete.net")
    assert rc == 1
    assert {(f["code"], f["severity"]) for f in findings} == {
        ("DNSSEC16", "NOTICE"), ("DNSSEC17", "NOTICE")}, findings
    assert all("asks its parent to remove the DS (RFC 8078" in f["text"] for f in findings)
    assert {(l["cds"], l["cdnskey"]) for l in lines if l["type"] == "cds"} == {
        ("delete", "delete")}


def test_rollover_in_progress_is_safe(lab):
    rc, lines, findings = trace_lines(lab, "www.rollover.net")
    assert rc == 0 and findings == [], findings
    roll = [l for l in lines if l["type"] == "rollover"]
    assert roll == [{"type": "rollover", "zone": "rollover.net.", "algorithms": "8 13",
                     "ds_algorithms": "8 13", "state": "safe", "why": ""}]
    r = dnssec_trace(lab, "www.rollover.net", "--no-color")
    assert "   rollover.net. algorithms 8 13 in the DNSKEY RRset, DS algorithms 8 13: an " \
        "algorithm rollover in progress, safe" in r.stdout


def test_rollover_with_an_algorithm_that_signs_only_the_keys_is_unsafe(lab):
    rc, lines, findings = trace_lines(lab, "www.rollunsafe.net")
    assert rc == 1
    # (DNSSEC13 from the chain says the same of the algorithms, as Zonemaster)
    assert [(f["code"], f["severity"]) for f in findings if f["code"] in CDS_CODES] == \
        [("DESCEND-ROLLOVER", "WARNING")]
    why = "algorithm 8 does not sign the SOA RRset; algorithm 8 does not sign the NS RRset"
    roll = [f["text"] for f in findings if f["code"] == "DESCEND-ROLLOVER"][0]
    assert why in roll and "unsafe" in roll
    roll = [l for l in lines if l["type"] == "rollover"]
    assert [(l["state"], l["why"]) for l in roll] == [("unsafe", why)]


@pytest.mark.parametrize("name", ["www.secure.com", "www.alg13.net", "www.nsec3.com"])
def test_healthy_zones_have_no_cds_or_rollover_lines(lab, name):
    rc, lines, findings = trace_lines(lab, name)
    assert rc == 0 and not CDS_CODES & {f["code"] for f in findings}
    assert not [l for l in lines if l["type"] in ("cds", "rollover")]


@pytest.mark.parametrize("name", ["www.cdsbad.net", "www.rollunsafe.net"])
def test_cds_and_rollover_json_follow_the_schema(lab, name):
    _, lines, _ = trace_lines(lab, name)
    assert {"cds", "rollover"} & {l["type"] for l in lines}
    assert_schema(lines)


# --delegate: the planned servers' CDS and CDNSKEY are checked too (the new
# provider may publish them), against the DS planned or published today.
def delegate_lines(lab, zone, *extra):
    plan = "%s=ns1.%s/127.77.10.1,ns2.%s/127.77.10.2" % (zone, zone, zone)
    r = dnssec_trace(lab, "www." + zone, "--delegate", plan, "--json", *extra)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    return r.returncode, lines, [l for l in lines if l["type"] == "finding"]


def test_delegate_checks_the_planned_servers_cds(lab):
    rc, lines, findings = delegate_lines(lab, "cds.net")
    assert rc == 0 and not [f for f in findings if f["code"] in CDS_CODES], findings
    cds = [l for l in lines if l["type"] == "cds"]
    assert {l["address"] for l in cds} == {"127.77.10.1", "127.77.10.2"}, lines
    tag = cds[0]["cds"].split("/")[0]
    assert all(l["cds"] == tag + "/13/2" and l["cds_signers"] == tag for l in cds)
    assert_schema(lines)
    # the broken CDS of cdsbad.net: the same findings as a trace of the cut
    rc, lines, findings = delegate_lines(lab, "cdsbad.net")
    got = {f["code"] for f in findings if f["code"] in CDS_CODES}
    assert got == {"DNSSEC15", "DNSSEC16", "DNSSEC17", "DNSSEC18"}, findings
    servers = "ns1.cdsbad.net. (127.77.10.1), ns2.cdsbad.net. (127.77.10.2): "
    assert all(f["text"].startswith(servers) for f in findings if f["code"] in CDS_CODES)


def test_delegate_cds_is_judged_against_the_planned_ds(lab):
    # cdsbad.net's CDS and CDNSKEY are signed by its ZSK: with a DS planned
    # for that key the parent could trust them (no DNSSEC18), where the DS
    # published today (the KSK's) gives DNSSEC18
    import dns.dnssec
    import dns.message
    import dns.name
    import dns.query
    import dns.rdataclass
    import dns.rdatatype
    zone = dns.name.from_text("cdsbad.net")
    reply = dns.query.udp(dns.message.make_query(zone, "DNSKEY"), "127.77.10.1", timeout=2)
    keys = reply.find_rrset(reply.answer, zone, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    zsk = [k for k in keys if k.flags == 256][0]
    ds = "cdsbad.net. DS %s" % dns.dnssec.make_ds(zone, zsk, "SHA256").to_text()
    _, _, findings = delegate_lines(lab, "cdsbad.net", "--delegate-ds", ds)
    codes = {f["code"] for f in findings}
    assert "DNSSEC18" not in codes and "DNSSEC16" in codes, findings
