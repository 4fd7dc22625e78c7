"""descend trace's DNSSEC views (issue 13): --dig blocks compared with real
`dig +trace +dnssec`, the chain of trust in --dot, CDS/CDNSKEY and the
algorithm-rollover state. Run inside contrib/netns-run like every system
test; dig is run with a loopback resolv.conf and the lab's names in
/etc/hosts, both bind-mounted in a mount namespace of its own."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import LAB_DIR, SRC, dnssec_args, run_descend

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


def dnssec_trace(lab, name, *extra):
    args = dnssec_args()
    if "--no-dnssec" in args:
        pytest.skip("the lab has no trust anchor (not signed)")
    return run_descend("trace", *extra, *args, "--root-hints", lab, name)


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
