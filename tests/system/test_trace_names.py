"""descend trace shows names as a user expects them (issue 13's fixes found
when tried as a new user would): an NS name that is an alias is flagged
also when it lives in another zone, the glueless lookup shows the alias
instead of only the final address, and text and --dig print names in the
case the user typed, not in the random case 0x20 sent."""
import json
import re

from conftest import run_descend

TYPED = "WwW.ExAmple.CoM"


def test_out_of_zone_ns_alias_is_flagged(lab):
    r = run_descend("trace", "--no-color", "--root-hints", lab, "www.nsalias.org")
    assert r.returncode == 1, r.stdout
    for alias, target in (("ns-alias", "ns1"), ("ns-alias2", "ns2")):
        assert (f"DELEGATION05             nsalias.org.: NS {alias}.hosting.net. is a "
                f"CNAME to {target}.hosting.net. in its own zone") in r.stdout
    # the glueless lookup shows the alias before the address it led to
    assert re.search(r"alias: ns-alias2?\.hosting\.net\. is an alias of ns[12]\.hosting\.net\.\n"
                     r".*<- ns-alias2?\.hosting\.net\. NOERROR: ns[12]\.hosting\.net\.",
                     r.stdout), r.stdout


def test_out_of_zone_ns_alias_in_json(lab):
    r = run_descend("trace", "--json", "--root-hints", lab, "www.nsalias.org")
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    findings = [e for e in lines if e.get("type") == "finding"]
    assert sorted(f["code"] for f in findings) == ["DELEGATION05", "DELEGATION05"], findings
    aliases = [e for e in lines if e.get("type") == "alias"]
    assert any(a["target"] in ("ns1.hosting.net.", "ns2.hosting.net.") for a in aliases), aliases


def test_healthy_out_of_zone_ns_names_are_not_flagged(lab):
    r = run_descend("trace", "--no-color", "--root-hints", lab, "www.glueless.org")
    assert r.returncode == 0 and "DELEGATION05" not in r.stdout, r.stdout


def shown_as_typed(name):
    """Lower case, except the labels shared with the question, in the case
    typed (as dig shows them when the server compresses into the question)."""
    labels, typed = name.rstrip(".").split("."), TYPED.split(".")
    expect = [label.lower() for label in labels]
    i = 1
    while i <= min(len(labels), len(typed)) and labels[-i].lower() == typed[-i].lower():
        expect[-i] = typed[-i]
        i += 1
    return name.rstrip(".") == ".".join(expect)


def test_dig_output_shows_names_as_typed(lab):
    # 0x20 is on by default: without the fix, owners and even NS rdata
    # (compressed into the question) come back as sent, e.g. eXaMPle.cOm.
    r = run_descend("trace", "--dig", "--root-hints", lab, TYPED)
    assert r.returncode == 0, r.stdout + r.stderr
    records = [line.split() for line in r.stdout.splitlines()
               if line and not line.startswith(";")]
    assert records
    for fields in records:
        names = [fields[0]] + [f for f in fields[4:] if f.endswith(".")]
        for name in names:
            assert shown_as_typed(name), fields
    assert any(fields[0] == TYPED + "." for fields in records)


def test_text_output_shows_names_as_typed(lab):
    r = run_descend("trace", "--no-color", "--root-hints", lab, TYPED)
    assert r.returncode == 0, r.stdout
    sent = re.findall(r"(?:udp|tcp) \S+ \S+ (\S+)/[A-Z]+ ->", r.stdout)
    assert sent
    for name in sent:
        assert shown_as_typed(name), name
