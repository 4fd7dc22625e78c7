"""descend trace against the lab: the blocks, the address sources, one
finding per broken delegation and none for healthy ones, the JSON lines,
the exit codes, and golden text output with timings masked."""
import json
import os
import re

import pytest

from conftest import LAB_DIR, SRC, dnssec_args, dnssec_trace, run_descend

HEALTHY = ["www.example.com", "www.dev.example.com", "www.glueless.org",
           "www.a.b.c.deep.net", "alias.example.com", "www.dname.example.com"]

BROKEN = [  # name, exit code, the finding it must produce
    ("www.lame.org", 2, "DELEGATION04"),
    ("www.partlame.org", 1, "DELEGATION04"),
    ("www.deadns.net", 1, "CONNECTIVITY01"),
    ("www.mismatch.com", 1, "DELEGATION07"),
    ("www.gluediff.com", 1, "CONSISTENCY05"),
    ("www.nscname.net", 1, "DELEGATION05"),
    ("www.cycle-a.com", 2, "DESCEND-CYCLE"),
    ("www.single.org", 1, "DELEGATION01"),
]


def trace_json(lab, *args):
    r = run_descend("trace", "--json", "--root-hints", lab, *args)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    return r.returncode, lines


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_delegations_trace_clean(lab, name):
    rc, lines = trace_json(lab, name)
    assert rc == 0
    assert [l for l in lines if l["type"] == "finding"] == []
    assert lines[-1]["type"] == "summary" and lines[-1]["verdict"] == "ok"


@pytest.mark.parametrize("name,code,finding", BROKEN)
def test_broken_delegations_have_their_finding(lab, name, code, finding):
    rc, lines = trace_json(lab, name)
    assert rc == code
    codes = {l["code"] for l in lines if l["type"] == "finding"}
    assert finding in codes
    assert lines[-1]["verdict"] == ("broken" if code == 2 else "degraded")


def test_json_lines_follow_the_schema(lab):
    schema = json.load(open(os.path.join(SRC, "trace", "trace-json-schema.json")))
    _, lines = trace_json(lab, "www.glueless.org")
    kinds = {l["type"] for l in lines}
    assert {"start", "zonecut", "server", "reply", "referral", "subrequest",
            "answer", "check", "summary"} <= kinds
    for line in lines:
        spec = schema["types"][line["type"]]
        for key in spec["required"]:
            assert key in line, (line["type"], key)
        for key, value in line.items():
            want = spec["properties"].get(key, schema["common"].get(key))
            assert want is not None, (line["type"], key)
            assert isinstance(value, int if want == "integer" else str), (key, value)


def test_glueless_lookup_is_a_subtrace_with_resolved_addresses(lab):
    _, lines = trace_json(lab, "www.glueless.org")
    subs = [l for l in lines if l["type"] == "subrequest" and l["reason"] == "ns-address"]
    assert subs and subs[0]["qname"] in ("ns1.hosting.net.", "ns2.hosting.net.")
    assert subs[0]["depth"] == 1
    sources = {(l["zone"], l["source"]) for l in lines if l["type"] == "reply"}
    assert ("glueless.org.", "resolved") in sources
    assert (".", "glue") in sources or (".", "hints") in sources


def test_sub_delegation_shows_glue_and_the_child_servers(lab):
    r = run_descend("trace", "--no-color", "--root-hints", lab, "www.dev.example.com")
    assert r.returncode == 0
    out = r.stdout
    assert "referral example.com. -> dev.example.com.: NS ns1.dev.example.com. ns2.dev.example.com. (TTL 86400), glue 2, DS no" in out
    assert "NS ns1.dev.example.com.  127.77.3.1 [glue]" in out
    assert "== answer: NOERROR from ns" in out
    assert "www.dev.example.com.\t3600\tIN\tA\t192.0.2.20" in out


# The chain of trust block is shown with --no-dnssec too (what each server
# gives): its key tags and signature dates change with every lab, so the
# chain goldens' mask serves here (times, sizes, servers and case as well).
from test_trace_chain import mask  # noqa: E402


@pytest.mark.parametrize("name", ["www.single.org", "www.nscname.net"])
def test_golden_text(lab, name):
    r = run_descend("trace", "--no-color", "--no-0x20", "--root-hints", lab, name)
    golden = os.path.join(SRC, "tests", "system", "golden", f"trace-{name}.txt")
    got = mask(r.stdout)
    if os.environ.get("DESCEND_UPDATE_GOLDEN"):
        open(golden, "w").write(got)
    assert got == open(golden).read()


def test_dig_format(lab):
    r = run_descend("trace", "--dig", "--root-hints", lab, "www.example.com")
    assert ";; Received" in r.stdout and "#53(" in r.stdout
    assert "www.example.com.\t3600\tIN\tA\t192.0.2.10" in r.stdout


def test_all_mode_asks_every_server_over_udp_and_tcp(lab):
    r = run_descend("trace", "--all", "--no-color", "--root-hints", lab, "www.example.com")
    assert r.returncode == 0
    assert r.stdout.count("all: ns1.example.com. 127.77.2.1 udp") == 1
    assert r.stdout.count("all: ns2.example.com. 127.77.2.2 tcp") == 1


def test_at_server_starts_from_the_root_servers_it_names(lab):
    r = run_descend("trace", "--no-color", "@127.77.0.1", "www.dev.example.com", "A")
    assert r.returncode == 0, r.stderr
    assert "root servers from @127.77.0.1" in r.stdout
    assert "NS b.root-servers.lab.  127.77.0.2 [hints]" in r.stdout
    assert "www.dev.example.com.\t3600\tIN\tA\t192.0.2.20" in r.stdout


@pytest.mark.parametrize("server,message", [
    ("127.77.9.9", 'did not answer ". NS"'),         # never answers
    ("127.77.1.1", "(rcode REFUSED): nothing to start from"),  # not a root server
])
def test_at_server_that_gives_no_root_servers_exits_2(lab, server, message):
    r = run_descend("trace", "--timeout", "2", "@" + server, "www.example.com")
    assert r.returncode == 2
    assert message in r.stderr and r.stdout == ""


@pytest.mark.parametrize("args,message", [
    (["trace", "not a name"], "not a valid domain name"),
    (["trace", "www.example.com", "BOGUS"], "unknown record type"),
    (["trace", "--root-hints", "/nonexistent", "www.example.com"], "/nonexistent"),
    (["trace", "--tries", "0", "www.example.com"], "bad tries"),
    (["trace", "--bogus"], "usage"),
    (["trace", "@ns1.example.com", "www.example.com"], "expected an IPv4 or IPv6 address"),
    (["trace", "@127.77.0.1", "--root-hints", "/tmp/x", "www.example.com"], "not both"),
    (["trace", "@127.77.0.1", "www.example.com", "A", "extra"], "usage"),
    (["trace", "www.example.com", "A", "@127.77.0.1", "@127.77.0.2"], "usage"),
])
def test_usage_errors_exit_3(args, message):
    r = run_descend(*args)
    assert r.returncode == 3
    assert message in r.stderr


# --delegate: a delegation checked before the parent serves it.
DEV_READY = "dev.example.com=ns1.dev.example.com/127.77.3.1,ns2.dev.example.com/127.77.3.2"
DELEGATE = [  # plan, test name, exit code, findings it must have, verdict
    (DEV_READY, "www.dev.example.com", 0, set(), "ok"),
    ("dev.example.com=ns1.dev.example.com/127.77.6.1,ns2.dev.example.com/127.77.6.2",
     "www.dev.example.com", 2, {"DELEGATION04", "DESCEND-NOT-READY"}, "broken"),
    ("dev.example.com=ns1.dev.example.com/127.77.3.1,ns9.dev.example.com/127.77.3.2",
     "www.dev.example.com", 1, {"DELEGATION07"}, "degraded"),
    ("partlame.org=ns1.partlame.org/127.77.6.1,ns2.partlame.org/127.77.5.1",
     "www.partlame.org", 1, {"DELEGATION04"}, "degraded"),
    ("dev.example.com=ns1.dev.example.com/127.77.3.1,ns2.dev.example.com",
     "www.dev.example.com", 1, {"DESCEND-GLUE-MISSING"}, "degraded"),
    ("dev.example.com=ns1.dev.example.com/127.77.3.1", "www.dev.example.com", 1,
     {"DELEGATION01", "DELEGATION07"}, "degraded"),
    ("nsalias.org=ns-alias.hosting.net,ns-alias2.hosting.net", "www.nsalias.org", 1,
     {"DELEGATION05"}, "degraded"),
    ("glueless.org=ns1.hosting.net,ns2.hosting.net", "www.glueless.org", 0, set(), "ok"),
]


@pytest.mark.parametrize("plan,name,code,findings,verdict", DELEGATE)
def test_delegate_tells_ready_from_broken(lab, plan, name, code, findings, verdict):
    rc, lines = trace_json(lab, "--delegate", plan, name)
    got = {l["code"] for l in lines if l["type"] == "finding"}
    assert rc == code, lines
    assert findings <= got if findings else got == set(), got
    assert lines[-1]["type"] == "summary" and lines[-1]["verdict"] == verdict
    # each planned server was asked the zone's SOA, DNSKEY and the test name
    asked = {(l["address"], l["qtype"]) for l in lines if l["type"] == "probe"}
    servers = {l["address"] for l in lines if l["type"] == "probe"}
    assert servers and all((a, t) in asked for a in servers for t in ("SOA", "DNSKEY", "A"))


def test_delegate_lame_half_is_named(lab):
    rc, lines = trace_json(lab, "--delegate",
                           "partlame.org=ns1.partlame.org/127.77.6.1,ns2.partlame.org/127.77.5.1")
    lame = [l["text"] for l in lines if l["type"] == "finding" and l["code"] == "DELEGATION04"]
    assert lame and all("127.77.6.1" in t for t in lame), lame


def test_delegate_soa_serials_must_agree(lab):
    # the serial of each planned server is shown; two servers of one zone
    # agree on it: no CONSISTENCY01 (the lab has no zone whose servers differ)
    rc, lines = trace_json(lab, "--delegate", DEV_READY)
    serials = {l["detail"] for l in lines if l["type"] == "probe" and l["qtype"] == "SOA"}
    assert len(serials) == 1 and next(iter(serials)).startswith("serial ")
    assert "CONSISTENCY01" not in {l.get("code") for l in lines}


def test_delegate_text(lab):
    r = run_descend("trace", "--no-color", "--root-hints", lab, "--delegate", DEV_READY,
                    "www.dev.example.com")
    assert r.returncode == 0, r.stdout
    out = r.stdout
    assert "== planned delegation dev.example.com. (as if example.com. served it)" in out
    assert "NS ns1.dev.example.com.  127.77.3.1 [glue]" in out
    assert "ask ns2.dev.example.com. 127.77.3.2: www.dev.example.com. A -> NOERROR aa, 1 answer(s), NOERROR 192.0.2.20" in out
    assert "== summary: ok" in out


def test_delegate_json_follows_the_schema(lab):
    schema = json.load(open(os.path.join(SRC, "trace", "trace-json-schema.json")))
    _, lines = trace_json(lab, "--delegate", "glueless.org=ns1.hosting.net,ns2.hosting.net")
    assert {"plan", "probe", "check", "summary"} <= {l["type"] for l in lines}
    for line in lines:
        spec = schema["types"][line["type"]]
        for key in spec["required"]:
            assert key in line, (line["type"], key)
        for key, value in line.items():
            want = spec["properties"].get(key, schema["common"].get(key))
            assert want is not None, (line["type"], key)
            assert isinstance(value, int if want == "integer" else str), (key, value)


@pytest.mark.parametrize("plan,message", [
    ("dev.example.com", "expected ZONE=NS"),
    ("dev.example.com=", "expected ZONE=NS"),
    ("dev.example.com=ns1.dev.example.com/300.1.1.1", "bad --delegate address '300.1.1.1'"),
    ("bad..zone=ns1.example.com", "not a valid domain name"),
])
def test_delegate_usage_errors_exit_3(plan, message):
    r = run_descend("trace", "--delegate", plan)
    assert r.returncode == 3
    assert message in r.stderr


def test_delegate_test_name_must_be_in_the_zone():
    r = run_descend("trace", "--delegate", DEV_READY, "www.example.com")
    assert r.returncode == 3 and "not in the zone" in r.stderr


# --delegate-ds: the DS the parent will publish, checked against the
# planned servers' keys (or, with none planned, the DS published today).
SECURE_PLAN = "secure.com=ns1.secure.com/127.77.10.1,ns2.secure.com/127.77.10.2"


def lab_ds(zone):
    """The DS record com. or net. publishes for `zone` today, as text."""
    import dns.message
    import dns.name
    import dns.query
    import dns.rdataclass
    import dns.rdatatype
    reply = dns.query.udp(dns.message.make_query(zone, "DS"), "127.77.1.1", timeout=2)
    rrset = reply.find_rrset(reply.answer, dns.name.from_text(zone), dns.rdataclass.IN,
                             dns.rdatatype.DS)
    return "%s. DS %s" % (zone, rrset[0].to_text())


def assert_schema(lines):
    """Every JSON line has its type's required keys and only known keys,
    of the schema's value types."""
    schema = json.load(open(os.path.join(SRC, "trace", "trace-json-schema.json")))
    for line in lines:
        spec = schema["types"][line["type"]]
        assert all(key in line for key in spec["required"]), line
        for key, value in line.items():
            want = spec["properties"].get(key, schema["common"].get(key))
            assert want is not None, (line["type"], key)
            assert isinstance(value, int if want == "integer" else str), (key, value)


def ds_trace(lab, plan, *extra):
    anchor = dnssec_args()
    if "--no-dnssec" in anchor:
        pytest.skip("the lab has no trust anchor (not signed)")
    r = run_descend("trace", "--json", *anchor, "--root-hints", lab, "--delegate", plan,
                    *extra)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    return r.returncode, lines, {l["code"]: l["text"] for l in lines if l["type"] == "finding"}


def test_delegate_ds_that_matches_is_ready(lab, tmp_path):
    ds = lab_ds("secure.com")
    rc, lines, findings = ds_trace(lab, SECURE_PLAN, "--delegate-ds", ds)
    assert rc == 0 and findings == {}, findings
    checked = [l for l in lines if l["type"] == "plan_ds"]
    assert {l["address"] for l in checked} == {"127.77.10.1", "127.77.10.2"}
    tag = ds.split()[2]
    assert all(l["verdict"] == "ok" and l["source"] == "planned" and
               l["match"] == "%s->%s" % (tag, tag) for l in checked), checked
    # the same from a file, as dnssec-dsfromkey writes it (TTL, class, comment)
    f = tmp_path / "ds"
    f.write_text("; the new DS\n\n%s\n" % ds.replace(" DS ", " 3600 IN DS "))
    rc, lines, findings = ds_trace(lab, SECURE_PLAN, "--delegate-ds-file", str(f))
    assert rc == 0 and findings == {}
    assert [l["verdict"] for l in lines if l["type"] == "plan_ds"] == ["ok", "ok"]
    assert_schema(lines)


def test_delegate_ds_that_matches_no_key_is_broken(lab):
    ds = lab_ds("secure.com")
    wrong = ds[:-1] + ("0" if ds[-1] != "0" else "1")     # one digest digit changed
    rc, lines, findings = ds_trace(lab, SECURE_PLAN, "--delegate-ds", wrong)
    assert rc == 2 and lines[-1]["verdict"] == "broken"
    assert set(findings) == {"DNSSEC02"}, findings
    for server in ("ns1.secure.com. (127.77.10.1)", "ns2.secure.com. (127.77.10.2)"):
        assert server in findings["DNSSEC02"]
    assert "the DS planned" in findings["DNSSEC02"]
    assert {l["verdict"] for l in lines if l["type"] == "plan_ds"} == {"no-key"}


def test_delegate_ds_for_servers_without_dnskey_is_broken(lab):
    # insecure.com's servers serve the zone unsigned: a DS would make it bogus
    ds = lab_ds("secure.com").replace("secure.com.", "insecure.com.", 1)
    rc, lines, findings = ds_trace(
        lab, "insecure.com=ns1.insecure.com/127.77.10.1,ns2.insecure.com/127.77.10.2",
        "--delegate-ds", ds)
    assert rc == 2
    assert set(findings) == {"DESCEND-NO-DNSKEY"}, findings
    assert "ns1.insecure.com. (127.77.10.1), ns2.insecure.com. (127.77.10.2) serve no " \
        "DNSKEY" in findings["DESCEND-NO-DNSKEY"]


def test_delegate_ds_that_only_some_servers_match_names_the_others(lab):
    # cdssplit.net's sec-2 copy also holds (and signs with) a next key, whose
    # DS it publishes as CDS: planned, sec-1 lacks the key
    import dns.message
    import dns.query
    reply = dns.query.udp(dns.message.make_query("cdssplit.net", "CDS"), "127.77.10.2",
                          timeout=2)
    ds = "cdssplit.net. DS " + reply.answer[0][0].to_text()
    rc, lines, findings = ds_trace(
        lab, "cdssplit.net=ns1.cdssplit.net/127.77.10.1,ns2.cdssplit.net/127.77.10.2",
        "--delegate-ds", ds)
    assert rc == 2
    assert "DNSSEC02" not in findings
    assert findings["DESCEND-DS-NO-KEY"].startswith(
        "the DS planned (key tag %s) matches no DNSKEY that signs the DNSKEY RRset at "
        "ns1.cdssplit.net. (127.77.10.1):" % ds.split()[2]), findings
    assert {l["address"]: l["verdict"] for l in lines if l["type"] == "plan_ds"} == {
        "127.77.10.1": "no-key", "127.77.10.2": "ok"}


@pytest.mark.parametrize("plan,code", [
    # the DS com. publishes today names a key dsnokey.com's servers lack
    ("dsnokey.com=ns1.dsnokey.com/127.77.10.1,ns2.dsnokey.com/127.77.10.2", 2),
    # secure.com's DS today matches its servers' key: moving to them is fine
    (SECURE_PLAN, 0),
    # unsigned, no DS: nothing to match
    (DEV_READY, 0),
])
def test_delegate_without_planned_ds_checks_the_ds_published_today(lab, plan, code):
    rc, lines, findings = ds_trace(lab, plan)
    assert rc == code, findings
    if code == 2:
        assert set(findings) == {"DNSSEC02"}
        assert "the DS published today" in findings["DNSSEC02"]
        assert {l["source"] for l in lines if l["type"] == "plan_ds"} == {"parent"}
    else:
        assert findings == {}


def test_delegate_ds_text(lab):
    ds = lab_ds("secure.com")
    r = run_descend("trace", "--no-color", *dnssec_args(), "--root-hints", lab,
                    "--delegate", SECURE_PLAN, "--delegate-ds", ds)
    tag = ds.split()[2]
    assert "   DS planned: key tag %s, to match a key that signs the DNSKEY RRset at every " \
        "planned server" % tag in r.stdout
    assert "   DS %s/13/2 (planned) at ns1.secure.com. 127.77.10.1: matches %s->%s, a key " \
        "that signs the DNSKEY RRset" % (tag, tag, tag) in r.stdout


@pytest.mark.parametrize("args,message", [
    (["--delegate-ds", "secure.com. A 192.0.2.1"], "not a DS record"),
    (["--delegate-ds", "example.com. DS 1 13 2 AB"], "owned by the planned zone secure.com."),
    (["--delegate-ds", "secure.com. DS x"], "bad --delegate-ds"),
    (["--delegate-ds-file", "/nonexistent/ds"], "--delegate-ds-file /nonexistent/ds"),
])
def test_delegate_ds_usage_errors_exit_3(args, message):
    r = run_descend("trace", "--delegate", SECURE_PLAN, *args)
    assert r.returncode == 3 and message in r.stderr, r.stderr


def test_delegate_ds_needs_delegate():
    r = run_descend("trace", "--delegate-ds", "secure.com. DS 1 13 2 AB", "www.secure.com")
    assert r.returncode == 3 and "go with --delegate" in r.stderr


def test_delegate_ds_file_names_the_bad_line(tmp_path):
    f = tmp_path / "ds"
    f.write_text("; ok\nsecure.com. DS 1 13 2 ABCD\nsecure.com. NS ns1.secure.com.\n")
    r = run_descend("trace", "--delegate", SECURE_PLAN, "--delegate-ds-file", str(f))
    assert r.returncode == 3 and "line 3" in r.stderr and "not a DS" in r.stderr


def render_svg(dot_text, tmp_path):
    import shutil
    import subprocess
    import xml.etree.ElementTree as ET
    dot = shutil.which("dot")
    if dot is None:
        pytest.skip("Graphviz's dot is not installed (contrib/setup-debian.sh)")
    src = tmp_path / "trace.dot"
    src.write_text(dot_text)
    r = subprocess.run([dot, "-Tsvg", str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return ET.fromstring(r.stdout)


def svg_text(root):
    return " ".join(t for t in root.itertext())


def test_dot_renders_as_svg_with_zones_servers_and_findings(lab, tmp_path):
    r = run_descend("trace", "--dot", "--root-hints", lab, "www.partlame.org")
    assert r.returncode == 1
    assert r.stdout.startswith("digraph descend_trace {")
    root = render_svg(r.stdout, tmp_path)
    assert root.tag.endswith("svg")
    text = svg_text(root)
    for want in ("partlame.org.", "org.", "127.77.6.1 [glue]", "DELEGATION04"):
        assert want in text, want
    # the lame server is red, the zone's cluster is red, the referral an edge
    assert re.search(r'z\d+s\d+ \[shape=box, color="#c62828", label="ns1.partlame.org.\\n127.77.6.1', r.stdout)
    assert re.search(r"z\d+ -> z\d+ \[ltail=cluster_\d+, lhead=cluster_\d+, style=solid", r.stdout)


def test_dot_of_a_healthy_trace_is_green(lab, tmp_path):
    r = run_descend("trace", "--dot", "--root-hints", lab, "www.dev.example.com")
    assert r.returncode == 0
    render_svg(r.stdout, tmp_path)
    assert "#c62828" not in r.stdout and "#ef6c00" not in r.stdout
    assert "a.root-servers.lab." in r.stdout and "dev.example.com." in r.stdout


def test_dot_of_a_planned_delegation(lab, tmp_path):
    r = run_descend("trace", "--dot", "--root-hints", lab, "--delegate",
                    "dev.example.com=ns1.dev.example.com/127.77.3.1,ns2.dev.example.com/127.77.6.1")
    assert r.returncode == 1
    root = render_svg(r.stdout, tmp_path)
    assert "dev.example.com. (planned)" in svg_text(root)


def test_svg_file(lab, tmp_path):
    import xml.etree.ElementTree as ET
    out = tmp_path / "trace.svg"
    r = run_descend("trace", "--no-color", "--svg", str(out), "--root-hints", lab,
                    "www.glueless.org")
    assert r.returncode == 0, r.stderr
    assert "== summary: ok" in r.stdout   # the text trace still printed
    assert ET.parse(out).getroot().tag.endswith("svg")


def test_svg_without_graphviz_is_a_clear_error(tmp_path):
    r = subprocess_run_without_dot("trace", "--svg", str(tmp_path / "x.svg"), "www.example.com")
    assert r.returncode == 3
    assert "--svg needs Graphviz's dot" in r.stderr and "graphviz" in r.stderr


def subprocess_run_without_dot(*args):
    import subprocess
    from conftest import DESCEND
    return subprocess.run([DESCEND, *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": "/nonexistent"})


# DNSSEC at every cut (issue 13): the lab is signed, its anchor is root.key.

def chain_lines(lab, name):
    r = dnssec_trace(lab, name, "--json")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    return r.returncode, lines, {l["zone"]: l for l in lines if l["type"] == "chain"}


def test_secure_trace_shows_every_cut_secure_and_the_ds_key_match(lab):
    r = dnssec_trace(lab, "www.secure.com", "--no-color")
    assert r.returncode == 0, r.stdout
    out = r.stdout
    assert "== chain of trust" in out
    assert "   . secure: signature verified" in out
    assert "DS none: the root's keys are checked against the trust anchor" in out
    # each DS the parent gave points at the child's key with that tag, at
    # every server, and that key signs the DNSKEY RRset; each fact is said
    # once: the validator's pooled sets are not printed beside the probe's
    parents = {"com.": ".", "secure.com.": "com."}
    for zone in ("com.", "secure.com."):
        text = re.split(r"\n   (?! )", out.split("   %s secure: " % zone)[1])[0]
        ds = re.search(r"\n      DS at %s: (\d+)/13/2 \(all 2 servers\)\n"
                       % re.escape(parents[zone]), text)
        assert ds, text
        tag = ds.group(1)
        assert "\n      DNSKEY: %s KSK alg 13" % tag in text
        assert "\n      match: DS %s -> DNSKEY %s (KSK) (all 2 servers)\n" % (tag, tag) in text
        assert re.search(r"\n      RRSIG DNSKEY: by %s alg 13, .*, verified "
                         r"\(all 2 servers\)\n" % tag, text), text
        assert "digest type" not in text and "flags 257" not in text, text
    assert "== findings" not in out
    rc, lines, chain = chain_lines(lab, "www.secure.com")
    assert rc == 0
    assert set(chain) == {".", "com.", "secure.com."}
    assert all(c["status"] == "secure" and c["ede"] == "" for c in chain.values())
    ds_tag = chain["secure.com."]["ds"].split("/")[0]
    assert chain["secure.com."]["match"] == "%s->%s" % (ds_tag, ds_tag)
    assert ds_tag + "/257/13" in chain["secure.com."]["dnskey"]
    # the DS's key is the one that signs the DNSKEY RRset (DNSSEC02 holds)
    assert ds_tag in chain["secure.com."]["signers"].split()


@pytest.mark.parametrize("name,zone,parent,proof", [
    ("www.insecure.com", "insecure.com.", "com.", "NSEC"),
    # the same servers serve nsec3.com and its child: no referral, the cut
    # is seen by the validator's DS query alone, and must still be shown
    ("www.insecure.nsec3.com", "insecure.nsec3.com.", "nsec3.com.", "NSEC3"),
])
def test_insecure_delegation_is_insecure_with_the_proof(lab, name, zone, parent, proof):
    r = dnssec_trace(lab, name, "--no-color", "--no-0x20")
    assert r.returncode == 0, r.stdout
    assert "   %s insecure: %s proves an unsigned delegation" % (zone, proof) in r.stdout
    # the proof is the verdict's; the parent's servers each give no DS
    block = re.split(r"\n   (?! )", r.stdout.split("   %s insecure: " % zone)[1])[0] + "\n"
    assert "\n      DS at %s: none (all 2 servers)\n" % parent in block, block
    assert "DS none:" not in block, block
    assert "== findings" not in r.stdout
    _, _, chain = chain_lines(lab, name)
    assert chain[parent]["status"] == "secure"
    assert chain[zone]["status"] == "insecure"
    assert chain[zone]["ds"] == "" and chain[zone]["match"] == ""
    assert set(chain) == {".", "com.", parent, zone}


def test_dnssec_steps_show_names_as_typed(lab):
    # 0x20 sends random case; the dnssec lines show the name as typed
    r = dnssec_trace(lab, "www.insecure.nsec3.com", "--no-color")
    assert "dnssec no-ds insecure.nsec3.com. DS: insecure" in r.stdout


@pytest.mark.parametrize("name,zone,why,ede,codes", [
    ("www.dsnokey.com", "dsnokey.com.", "no DNSKEY matches the DS records", "9",
     {"DNSSEC02", "DESCEND-BOGUS", "DESCEND-DS-NO-KEY"}),
    # every signature but the DNSKEY RRset's is broken: the SOA's too
    ("www.badsig.com", "badsig.com.", "signature does not verify", "6",
     {"DESCEND-BOGUS", "DNSSEC09"}),
])
def test_bogus_cut_has_its_reason_ede_and_finding(lab, name, zone, why, ede, codes):
    rc, lines, chain = chain_lines(lab, name)
    assert rc == 2          # SERVFAIL: the trace's "broken"
    assert lines[-1]["verdict"] == "broken"
    assert chain[zone]["status"] == "bogus"
    assert chain[zone]["why"] == why and chain[zone]["ede"] == ede
    assert chain["com."]["status"] == "secure"
    found = {l["code"]: l for l in lines if l["type"] == "finding" and l["zone"] == zone}
    assert set(found) == codes
    assert ("EDE %s" % ede) in found["DESCEND-BOGUS"]["text"]
    if "DNSSEC02" in codes:
        # the DS names a key the zone does not publish: no match drawn
        assert chain[zone]["match"] == ""
        assert chain[zone]["ds"].split("/")[0] not in chain[zone]["dnskey"]
        key = chain[zone]["dnskey"].split("/")[0]
        assert chain[zone]["signers"] == key   # the zone's own key signs its set
        assert "signs the zone's DNSKEY RRset (keys %s, signed by %s)" % (key, key) \
            in found["DNSSEC02"]["text"]
    else:
        assert chain[zone]["match"] != ""   # the keys are right, a signature is not
    r = dnssec_trace(lab, name, "--no-color")
    assert "   %s bogus: %s (EDE %s " % (zone, why, ede) in r.stdout
    assert "ERROR   DESCEND-BOGUS" in r.stdout


def test_healthy_signed_zones_have_no_dnssec_finding(lab):
    for name in ("www.secure.com", "www.insecure.com", "www.nsec3.com"):
        rc, lines, _ = chain_lines(lab, name)
        assert rc == 0, name
        assert [l for l in lines if l["type"] == "finding"] == [], name


@pytest.mark.parametrize("name", ["www.secure.com", "www.dsnokey.com"])
def test_dnssec_json_lines_follow_the_schema(lab, name):
    schema = json.load(open(os.path.join(SRC, "trace", "trace-json-schema.json")))
    _, lines, chain = chain_lines(lab, name)
    assert chain and any(l["type"] == "dnssec" for l in lines)
    for line in lines:
        spec = schema["types"][line["type"]]
        for key in spec["required"]:
            assert key in line, (line["type"], key)
        for key, value in line.items():
            want = spec["properties"].get(key, schema["common"].get(key))
            assert want is not None, (line["type"], key)
            assert isinstance(value, int if want == "integer" else str), (key, value)
