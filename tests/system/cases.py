"""The lab's cases (contrib/lab/CASES.md) and what a mature resolver answers."""

# name, type, rcode, expected answer records as (owner, type, rdata) in order
CASES = [
    ("www.example.com", "A", "NOERROR", [("www.example.com.", "A", "192.0.2.10")]),
    ("www.dev.example.com", "A", "NOERROR", [("www.dev.example.com.", "A", "192.0.2.20")]),
    ("www.glueless.org", "A", "NOERROR", [("www.glueless.org.", "A", "192.0.2.30")]),
    ("www.a.b.c.deep.net", "A", "NOERROR", [("www.a.b.c.deep.net.", "A", "192.0.2.40")]),
    ("alias.example.com", "A", "NOERROR", [
        ("alias.example.com.", "CNAME", "alias.glueless.org."),
        ("alias.glueless.org.", "CNAME", "www.dev.example.com."),
        ("www.dev.example.com.", "A", "192.0.2.20")]),
    ("loop1.example.com", "A", "SERVFAIL", None),
    ("www.dname.example.com", "A", "NOERROR", [
        ("dname.example.com.", "DNAME", "example.org."),
        ("www.dname.example.com.", "CNAME", "www.example.org."),
        ("www.example.org.", "A", "192.0.2.50")]),
    ("anything.wild.example.com", "A", "NOERROR", [("anything.wild.example.com.", "A", "192.0.2.60")]),
    ("nonexistent.example.com", "A", "NXDOMAIN", []),
    ("www.example.com", "AAAA", "NOERROR", []),
    ("www.lame.org", "A", "SERVFAIL", None),
    ("www.partlame.org", "A", "NOERROR", [("www.partlame.org.", "A", "192.0.2.70")]),
    ("www.deadns.net", "A", "NOERROR", [("www.deadns.net.", "A", "192.0.2.80")]),
    ("www.mismatch.com", "A", "NOERROR", [("www.mismatch.com.", "A", "192.0.2.90")]),
    ("www.gluediff.com", "A", "NOERROR", [("www.gluediff.com.", "A", "192.0.2.100")]),
    ("www.nscname.net", "A", "NOERROR", [("www.nscname.net.", "A", "192.0.2.110")]),
    ("www.nsalias.org", "A", "NOERROR", [("www.nsalias.org.", "A", "192.0.2.150")]),
    ("www.cycle-a.com", "A", "SERVFAIL", None),
    ("www.single.org", "A", "NOERROR", [("www.single.org.", "A", "192.0.2.120")]),
    ("short.example.com", "A", "NOERROR", [("short.example.com.", "A", "192.0.2.11")]),
    ("example.com", "MX", "NOERROR", [("example.com.", "MX", "10 mail.example.com.")]),
]

NEGATIVE_SOA = {"nonexistent.example.com": "example.com.", "www.example.com/AAAA": "example.com."}

BIGTXT_STRINGS = 8


def case_id(case):
    return f"{case[0]}/{case[1]}"


def dnssec_cases():
    """The DNSSEC table of contrib/lab/CASES.md, the lab's contract, as dicts:
    case, name, type, rcode, answer (address or ""), ad (bool),
    ede_unbound, ede_knot (int or None), status."""
    import os
    import re
    path = os.path.join(os.path.dirname(__file__), "..", "..", "contrib", "lab", "CASES.md")
    with open(path) as f:
        text = f.read().split("## DNSSEC cases", 1)[1]
    cases = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 7 or not cells[1].startswith("`"):
            continue
        name, rdtype = cells[1].strip("`").split()
        ede = re.fullmatch(r"(\d+)(?: \(Knot: (\d+)\))?|–", cells[5])
        assert ede, f"CASES.md: bad EDE cell {cells[5]!r}"
        unbound = int(ede.group(1)) if ede.group(1) else None
        knot = int(ede.group(2)) if ede.group(2) else unbound
        cases.append(dict(case=cells[0], name=name, type=rdtype, rcode=cells[2],
                          answer=cells[3], ad=cells[4] == "yes", ede_unbound=unbound,
                          ede_knot=knot, status=cells[6]))
    return cases
