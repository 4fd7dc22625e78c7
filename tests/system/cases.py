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
    ("www.cycle-a.com", "A", "SERVFAIL", None),
    ("www.single.org", "A", "NOERROR", [("www.single.org.", "A", "192.0.2.120")]),
    ("short.example.com", "A", "NOERROR", [("short.example.com.", "A", "192.0.2.11")]),
    ("example.com", "MX", "NOERROR", [("example.com.", "MX", "10 mail.example.com.")]),
]

NEGATIVE_SOA = {"nonexistent.example.com": "example.com.", "www.example.com/AAAA": "example.com."}

BIGTXT_STRINGS = 8


def case_id(case):
    return f"{case[0]}/{case[1]}"
