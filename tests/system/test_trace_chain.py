"""descend trace's chain of trust as each server gives it (issue 13): the DS
at every parent server and the DNSKEY, signatures and denial at every child
server of every cut, grouped, and the DNSSEC findings drawn from them (the
Zonemaster DNSSEC IDs and descend's own). Each finding has a lab zone that
produces it (contrib/lab/CASES.md) and the healthy zones must give none;
text and --json (against the schema) both; golden texts for a secure and a
bogus trace with what changes from lab to lab masked."""
import json
import os
import re

import pytest

from conftest import LAB_DIR, SRC, dnssec_args, dnssec_trace, run_descend

SCHEMA = os.path.join(SRC, "trace", "trace-json-schema.json")


def trace_json(lab, name):
    r = dnssec_trace(lab, name, "--json")
    return r.returncode, [json.loads(line) for line in r.stdout.splitlines()]


def findings(lines, zone=None):
    return [l for l in lines if l["type"] == "finding" and (zone is None or l["zone"] == zone)]


def follows_schema(lines):
    schema = json.load(open(SCHEMA))
    for line in lines:
        spec = schema["types"][line["type"]]
        for key in spec["required"]:
            assert key in line, (line["type"], key)
        for key, value in line.items():
            want = spec["properties"].get(key, schema["common"].get(key))
            assert want is not None, (line["type"], key)
            assert isinstance(value, int if want == "integer" else str), (key, value)


# name, zone, code, severity, a piece of the text: the lab zone that produces it
FINDINGS = [
    ("www.keysplit.org", "keysplit.org.", "DESCEND-DNSKEY-DIFFERS", "ERROR",
     "the zone's servers disagree on the DNSKEY set"),
    ("www.keysplit.org", "keysplit.org.", "DESCEND-DS-NO-KEY", "WARNING",
     "matches no DNSKEY at ns1.keysplit.org. (127.77.10.1)"),
    ("www.keysplit.org", "keysplit.org.", "DNSSEC10", "ERROR",
     "do not agree on NSEC or NSEC3: 1 give NSEC, 1 NSEC3"),
    ("www.sub.keysplit.org", "sub.keysplit.org.", "DESCEND-DS-DIFFERS", "ERROR",
     "the servers of keysplit.org. disagree on the DS set"),
    ("www.dsnokey.com", "dsnokey.com.", "DESCEND-DS-NO-KEY", "ERROR",
     "no DS matches a key there, the chain of trust is broken at that server"),
    ("www.expiring.org", "expiring.org.", "DESCEND-RRSIG-EXPIRES-SOON", "WARNING",
     "expires within a day"),
    ("www.longsig.org", "longsig.org.", "DNSSEC04", "WARNING", "is valid for over 180 days"),
    ("www.expired.com", "expired.com.", "DNSSEC04", "ERROR", "expired at"),
    ("www.nsec3salt.org", "nsec3salt.org.", "DNSSEC03", "WARNING",
     "NSEC3 with 10 iterations: RFC 9276 advises 0"),
    ("www.nsec3salt.org", "nsec3salt.org.", "DNSSEC03", "WARNING",
     "NSEC3 salt of 4 bytes: RFC 9276 advises none"),
    ("www.nsec3iter.org", "nsec3iter.org.", "DNSSEC03", "ERROR",
     "NSEC3 with 200 iterations, over the validators' limit (50"),
    ("www.sha1ds.net", "sha1ds.net.", "DNSSEC01", "WARNING", "uses digest type 1 (SHA-1)"),
    ("www.nods.net", "nods.net.", "DNSSEC07", "NOTICE",
     "the zone is signed (DNSKEY) but net. has no DS for it"),
    ("www.dsonly.net", "dsonly.net.", "DNSSEC07", "ERROR",
     "net. has a DS for the zone but its servers give no DNSKEY"),
    ("www.rsasha1.net", "rsasha1.net.", "DNSSEC05", "ERROR",
     "uses algorithm 5, deprecated (RFC 8624)"),
    ("www.expired.com", "expired.com.", "DNSSEC08", "ERROR", "has expired"),
    ("www.notyet.com", "notyet.com.", "DNSSEC08", "ERROR", "is not valid yet"),
    ("www.badsig.com", "badsig.com.", "DNSSEC09", "ERROR",
     "over the SOA RRset at ns1.badsig.com. (127.77.10.1), ns2.badsig.com. (127.77.10.2): "
     "the RRSIG by"),
    ("www.nozonebit.com", "nozonebit.com.", "DNSSEC10", "ERROR",
     "give neither NSEC nor NSEC3 for a name that does not exist"),
    ("www.algmissing.net", "algmissing.net.", "DNSSEC13", "ERROR",
     "algorithm 8 (key"),
    ("www.rsa1024.net", "rsa1024.net.", "DNSSEC14", "WARNING",
     "has 1024 bits, fewer than the 2048 recommended"),
]


@pytest.mark.parametrize("name,zone,code,severity,text", FINDINGS,
                         ids=[f"{f[2]}-{f[1]}" for f in FINDINGS])
def test_lab_zone_produces_the_finding(lab, name, zone, code, severity, text):
    _, lines = trace_json(lab, name)
    got = [f for f in findings(lines, zone) if f["code"] == code]
    assert got, [(f["code"], f["text"]) for f in findings(lines)]
    assert any(f["severity"] == severity and text in f["text"] for f in got), got


# Healthy signed zones (and an unsigned one under a signed TLD): no finding
# at all, for any cut on the way (root, TLD, zone).
HEALTHY = ["www.secure.com", "www.nsec3.com", "www.rollover.net", "www.alg8.net",
           "www.alg13.net", "www.alg15.net", "www.insecure.com", "www.insecure.nsec3.com"]


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_zone_has_no_finding(lab, name):
    rc, lines = trace_json(lab, name)
    assert rc == 0, findings(lines)
    assert findings(lines) == []
    # and it was looked at: every cut's DNSKEY set by every child server
    sets = [l for l in lines if l["type"] == "chain_set" and l["what"] == "DNSKEY"]
    assert sets and all(s["servers"] == s["of"] for s in sets)


# The codes only the zones above may give, never a healthy one.
CODES = {f[2] for f in FINDINGS}


def test_the_zones_of_each_finding_give_only_what_they_break(lab):
    # keysplit's DNSKEY difference must not spill into DS-DIFFERS (org's
    # servers agree) nor its child's DS difference into DNSKEY-DIFFERS
    _, lines = trace_json(lab, "www.sub.keysplit.org")
    codes = {(f["zone"], f["code"]) for f in findings(lines)}
    assert ("keysplit.org.", "DESCEND-DS-DIFFERS") not in codes
    assert ("sub.keysplit.org.", "DESCEND-DNSKEY-DIFFERS") not in codes
    _, lines = trace_json(lab, "www.expiring.org")
    assert {f["code"] for f in findings(lines)} == {"DESCEND-RRSIG-EXPIRES-SOON"}
    assert CODES >= {f["code"] for f in findings(lines)}


def test_servers_that_differ_are_listed_by_group(lab):
    r = dnssec_trace(lab, "www.keysplit.org", "--no-color")
    out = r.stdout
    assert r.returncode == 1, out      # resolves, with findings
    block = out.split("   keysplit.org. secure: ")[1].split("== findings")[0]
    # both servers agree on the DS (org's), one line; the DNSKEY sets differ
    assert re.search(r"DS at org\.: (\d+)/13/2, (\d+)/13/2 \(all 2 servers\)", block), block
    assert re.search(r"DNSKEY: \d+ KSK alg 13 \(1 of 2 servers: ns1\.keysplit\.org\. "
                     r"\(127\.77\.10\.1\)\)", block), block
    assert re.search(r"DNSKEY: \d+ KSK alg 13, \d+ KSK alg 13 \(1 of 2 servers: "
                     r"ns2\.keysplit\.org\. \(127\.77\.10\.2\)\)", block), block
    # which DS matches which key, at each server
    ns1 = re.search(r"match: (.*) \(1 of 2 servers: ns1\.keysplit\.org\.", block)
    ns2 = re.search(r"match: (.*) \(1 of 2 servers: ns2\.keysplit\.org\.", block)
    assert ns1 and ns2, block
    assert re.fullmatch(r"DS \d+ -> (DNSKEY \d+ \(KSK\)|no DNSKEY), DS \d+ -> "
                        r"(DNSKEY \d+ \(KSK\)|no DNSKEY)", ns1.group(1)), block
    assert ns1.group(1).count("-> no DNSKEY") == 1, block
    assert ns2.group(1).count("-> DNSKEY") == 2, block
    assert "denial: NSEC (1 of 2 servers: ns1.keysplit.org. (127.77.10.1))" in block
    assert "denial: NSEC3 hash 1 (SHA-1), no opt-out, 0 iterations, salt 0 bytes " \
        "(1 of 2 servers: ns2.keysplit.org. (127.77.10.2))" in block


def test_signature_windows_in_text_and_json(lab):
    r = dnssec_trace(lab, "www.expiring.org", "--no-color")
    line = [l for l in r.stdout.splitlines() if l.startswith("      RRSIG SOA: ")]
    assert len(line) == 3, r.stdout       # the root, org. and expiring.org.
    m = re.fullmatch(r"      RRSIG SOA: by \d+ alg 13, (\S+ \S+) to (\S+ \S+) UTC, "
                     r"(\d+)h (\d+)m left, verified \(all 2 servers\)", line[2])
    assert m, line[2]
    # signed for 23 hours, re-signed when older than 10: 13 to 23 left
    assert 13 <= int(m.group(3)) <= 22, line[2]
    _, lines = trace_json(lab, "www.expiring.org")
    sigs = [l for l in lines if l["type"] == "chain_sig" and l["zone"] == "expiring.org."]
    assert {(s["rrtype"], s["server"]) for s in sigs} == {
        (t, f"ns{i}.expiring.org.") for t in ("DNSKEY", "SOA") for i in (1, 2)}
    for s in sigs:
        assert 12 * 3600 < s["seconds_left"] < 86400, s
        assert s["check"] == "verified" and s["algorithm"] == 13
    # the healthy ones: a month
    secure = [l for l in lines if l["type"] == "chain_sig" and l["zone"] == "org."]
    assert secure and all(s["seconds_left"] > 28 * 86400 for s in secure)
    follows_schema(lines)


def test_nsec3_parameters_per_server_in_json(lab):
    _, lines = trace_json(lab, "www.nsec3salt.org")
    denial = [l for l in lines if l["type"] == "chain_denial" and l["zone"] == "nsec3salt.org."]
    assert len(denial) == 2
    assert all((d["denial"], d["hash"], d["flags"], d["iterations"], d["salt_length"]) ==
               ("NSEC3", 1, 0, 10, 4) for d in denial), denial
    org = [l for l in lines if l["type"] == "chain_denial" and l["zone"] == "org."]
    assert org and all(d["denial"] == "NSEC" and d["iterations"] == -1 for d in org)
    follows_schema(lines)


@pytest.mark.parametrize("name", ["www.keysplit.org", "www.sub.keysplit.org", "www.badsig.com",
                                  "www.nods.net", "www.nozonebit.com"])
def test_json_lines_follow_the_schema(lab, name):
    _, lines = trace_json(lab, name)
    kinds = {l["type"] for l in lines}
    assert {"chain", "chain_set", "finding"} <= kinds, kinds
    follows_schema(lines)


def no_dnssec(lab, name, *extra):
    return run_descend("trace", *extra, "--no-dnssec", "--root-hints", lab, name)


def test_without_validation_the_servers_dnssec_facts_are_shown(lab):
    # DO goes upstream with --no-dnssec too: the facts per server are shown,
    # with no verdict (nothing was validated), and no validator finding
    r = no_dnssec(lab, "www.secure.com", "--no-color")
    assert r.returncode == 0, r.stdout
    block = r.stdout.split("== chain of trust\n")[1].split("== summary")[0]
    zone = re.split(r"\n   (?! )", block.split("   secure.com. ")[1])[0]
    assert zone.startswith("not validated (--no-dnssec): what each server gives, "
                           "no verdict\n"), block
    tag = re.search(r"\n      DS at com\.: (\d+)/13/2 \(all 2 servers\)\n", zone)
    assert tag, block
    assert "\n      match: DS %s -> DNSKEY %s (KSK) (all 2 servers)" % (tag[1], tag[1]) in zone
    assert re.search(r"\n      RRSIG SOA: by \d+ alg 13, .* left, verified \(all 2 servers\)",
                     zone), zone
    assert " secure:" not in block and "trust anchor" not in block, block
    lines = [json.loads(l) for l in no_dnssec(lab, "www.secure.com", "--json").stdout.splitlines()]
    follows_schema(lines)
    chain = {l["zone"]: l for l in lines if l["type"] == "chain"}
    assert set(chain) == {".", "com.", "secure.com."}
    assert all(c["status"] == "unchecked" for c in chain.values()), chain
    assert [l for l in lines if l["type"] == "chain_set" and l["zone"] == "secure.com."
            and l["what"] == "DNSKEY"]
    assert not findings(lines)


@pytest.mark.parametrize("name,zone,code", [
    ("www.badsig.com", "badsig.com.", "DNSSEC09"),     # what the validator calls bogus
    ("www.cdsbad.net", "cdsbad.net.", "DNSSEC16"),     # cds.c's checks
])
def test_without_validation_the_servers_findings_remain(lab, name, zone, code):
    lines = [json.loads(l) for l in no_dnssec(lab, name, "--json").stdout.splitlines()]
    got = findings(lines, zone)
    assert code in {f["code"] for f in got}, got
    assert "DESCEND-BOGUS" not in {f["code"] for f in got}, got


# Golden texts: what changes from lab to lab (the keys are made at the
# first start, the signatures dated at signing), from run to run (times,
# RTTs, sizes, the server asked) and the 0x20 case is masked.

def mask_keys(line):
    # a sub-request's DNSKEY answer: the key material, its tag, and the
    # records' order (canonical, by the key material)
    if "\tDNSKEY\t" not in line:
        return line
    head, records = line.split(": ", 1)
    records = [re.sub(r"(\tDNSKEY\t\d+ 3 \d+) \S+$", r"\1 KEY", r)
               for r in records.split("; ")]
    return head + ": " + "; ".join(sorted(records))


def mask(text):
    text = text.replace(LAB_DIR, "/tmp/descend-lab")
    text = "\n".join(mask_keys(line) for line in text.split("\n"))
    # key tags, wherever the chain prints one
    for pattern in (r"(DNSKEY )\d+( flags)", r"(DS )\d+( algorithm| \(algorithm| ->)",
                    r"(-> DNSKEY )\d+", r"([:,] )\d+(/\d+/\d+)", r"(, )\d+(/\d+/\d+)",
                    r"([:,] )\d+( KSK| ZSK)", r"(by )\d+", r"(key tag |keys |signed by )\d+"):
        text = re.sub(pattern, lambda m: m.group(1) + "TAG" + (m.group(2) if m.lastindex > 1 else ""),
                      text)
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "DATE", text)
    text = re.sub(r"\d+[dh] \d+[hm] (left|ago)", r"SPAN \1", text)
    text = re.sub(r"\d+ ms", "N ms", text)
    text = re.sub(r"\d+ bytes", "N bytes", text)
    text = re.sub(r"\d+ queries", "N queries", text)
    text = text.lower()
    text = re.sub(r"(udp|tcp) \S+ 127\.77\.\d+\.\d+", r"\1 SERVER", text)
    text = re.sub(r"answer: (\w+) from .*", r"answer: \1 from SERVER", text)
    return text


@pytest.mark.parametrize("name", ["www.secure.com", "www.badsig.com"])
def test_golden_text(lab, name):
    r = dnssec_trace(lab, name, "--no-color", "--no-0x20")
    golden = os.path.join(SRC, "tests", "system", "golden", f"trace-dnssec-{name}.txt")
    got = mask(r.stdout)
    if os.environ.get("DESCEND_UPDATE_GOLDEN"):
        open(golden, "w").write(got)
    assert got == open(golden).read()


# A text line says a DNSSEC status once ("secure", not "secure (secure)"
# when the engine has no other why), and records come without ldns's
# ";{id = ...}" comments (a sub-request's DNSKEY answer had them).
@pytest.mark.parametrize("name", ["www.secure.com", "www.insecure.com", "www.badsig.com"])
def test_text_says_each_status_once_and_no_ldns_comments(lab, name):
    r = dnssec_trace(lab, name, "--no-color")
    steps = [l for l in r.stdout.splitlines() if l.lstrip(" |").startswith("dnssec ")]
    assert steps, r.stdout
    for line in steps:
        assert not re.search(r": (\w+) \(\1\)$", line), line
    keys = [l for l in r.stdout.splitlines() if l.lstrip(" |").startswith("<- ") and
            "\tDNSKEY\t" in l]
    assert keys, r.stdout
    assert ";{" not in r.stdout, [l for l in r.stdout.splitlines() if ";{" in l]
    assert ";{" not in dnssec_trace(lab, name, "--dig").stdout


def test_delegate_compares_dnskey_sets_as_the_chain_does(lab):
    # --delegate (delegate.c) shares the set comparison: the two sets shown
    args = ["--delegate", "keysplit.org=ns1.keysplit.org/127.77.10.1,"
            "ns2.keysplit.org/127.77.10.2", "--json"]
    r = dnssec_trace(lab, "www.keysplit.org", *args)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    got = [f for f in findings(lines) if f["code"] == "DESCEND-DNSKEY-DIFFERS"]
    assert len(got) == 1, findings(lines)
    assert re.search(r"give different DNSKEY sets \((\d+ KSK alg 13(, )?){1,2}; "
                     r"(\d+ KSK alg 13(, )?){1,2}\)$", got[0]["text"]), got[0]
    r = dnssec_trace(lab, "www.secure.com", "--delegate", "secure.com=ns1.secure.com/127.77.10.1,"
              "ns2.secure.com/127.77.10.2", "--json")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert not [f for f in findings(lines) if f["code"] == "DESCEND-DNSKEY-DIFFERS"]


# What NSD will not serve: hostile_dnssec.py's trap.net zones.
from test_hostile_dnssec import hostile_dnssec  # noqa: E402,F401 (fixture)


@pytest.mark.parametrize("name,zone,code,severity,text", [
    ("www.nosigs.trap.net", "nosigs.trap.net.", "DNSSEC06", "ERROR",
     "ns.trap.net. (127.77.8.2) gives the SOA RRset without RRSIG to a query with DO"),
    ("www.nosigs.trap.net", "nosigs.trap.net.", "DNSSEC06", "ERROR",
     "gives the DNSKEY RRset without RRSIG"),
    ("www.nosigs.trap.net", "nosigs.trap.net.", "DNSSEC08", "ERROR", "no RRSIG"),
    ("www.nsec3alg2.trap.net", "nsec3alg2.trap.net.", "DNSSEC03", "ERROR",
     "NSEC3 hash algorithm 2: only 1 (SHA-1) is defined"),
])
def test_trap_zone_produces_the_finding(hostile_dnssec, lab, name, zone, code, severity, text):
    _, lines = trace_json(lab, name)
    got = [f for f in findings(lines, zone) if f["code"] == code]
    assert any(f["severity"] == severity and text in f["text"] for f in got), findings(lines)


def test_keytrap_zone_is_judged_within_bounds(hostile_dnssec, lab):
    # 32 keys share a tag, 32 RRSIGs over each RRset: the trace checks at
    # most LIMIT_DNSSEC_KEYS_PER_TAG keys per signature, and finishes; the
    # 32 keys' set is compared whole (it once overran a fixed buffer: abort)
    import time
    start = time.monotonic()
    _, lines = trace_json(lab, "www.keytrap.trap.net")
    assert time.monotonic() - start < 10
    zone = "keytrap.trap.net."
    codes = {f["code"] for f in findings(lines, zone)}
    assert {"DNSSEC08", "DNSSEC09", "DESCEND-BOGUS"} <= codes, codes
    # the healthy parent trap.net. gives no DNSSEC finding (one NS: DELEGATION01)
    assert {f["code"] for f in findings(lines, "trap.net.")} <= {"DELEGATION01"}


def test_ds_without_dnskey_chain_says_what_the_answer_says(lab):
    # dsonly.net: a DS at net., no DNSKEY. The chain's verdict on the cut is
    # the validator's own for the answer: EDE 9 (DNSKEY Missing, as Unbound
    # says) and the same reason, not "RRSIGs missing" for the unsigned SOA
    # of the DNSKEY NODATA.
    rc, lines = trace_json(lab, "www.dsonly.net")
    chain = {l["zone"]: l for l in lines if l["type"] == "chain"}
    assert chain["dsonly.net."]["status"] == "bogus"
    assert chain["dsonly.net."]["ede"] == "9", chain["dsonly.net."]
    q = run_descend("query", *dnssec_args(), "--root-hints", lab, "www.dsonly.net")
    verdict = re.search(r";; DNSSEC: bogus \((.*), EDE (\d+)\)", q.stdout)
    assert verdict, q.stdout
    assert verdict.group(2) == "9"
    assert chain["dsonly.net."]["why"] == verdict.group(1)
    bogus = [f for f in findings(lines, "dsonly.net.") if f["code"] == "DESCEND-BOGUS"]
    assert bogus and "(EDE 9 DNSKEY Missing)" in bogus[0]["text"], bogus
