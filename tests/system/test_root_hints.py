"""A root hints file that is there but does not parse: descendd -t reports
it as start-up does (it used to pass -t and fail only at the start), the
start refuses it, and a reload to it keeps the running hints (the reader
crashed freeing the zone ldns never made)."""
import shutil
import subprocess

import dns.rcode
import pytest

from conftest import DESCENDD, HINTS

GOOD = (". 3600000 IN NS a.root.test.\n"
        "a.root.test. 3600000 IN A 127.77.0.1\n")
BROKEN = [
    # (hints file text, what the message says)
    (GOOD + "not a record\n", ":3: Syntax error"),
    (". 3600000 IN NS a.root.test.\n", ": no root NS record with an address"),
    ("", ": no root NS record with an address"),
]


def write_conf(tmp_path, hints):
    conf = tmp_path / "descendd.conf"
    conf.write_text("listen: 127.0.0.1@5300\n"
                    f"root-hints: {hints}\n"
                    f"control-socket: {tmp_path}/control.sock\n"
                    'username: ""\n')
    return conf


def test_checkconf_accepts_good_hints(tmp_path):
    hints = tmp_path / "root.hints"
    hints.write_text(GOOD)
    r = subprocess.run([DESCENDD, "-t", "-c", str(write_conf(tmp_path, hints))],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f'root-hints: "{hints}"' in r.stdout


@pytest.mark.parametrize("text,message", BROKEN,
                         ids=["syntax-error", "no-address", "empty"])
def test_checkconf_reports_hints_as_the_start_does(tmp_path, text, message):
    hints = tmp_path / "root.hints"
    hints.write_text(text)
    conf = write_conf(tmp_path, hints)
    check = subprocess.run([DESCENDD, "-t", "-c", str(conf)],
                           capture_output=True, text=True)
    assert check.returncode == 1, check.stdout
    assert f"{conf}: {hints}{message}" in check.stderr
    assert "1 problem(s)" in check.stderr
    # The start fails on the same file with the same words (before it binds
    # anything: the engine is built first).
    start = subprocess.run([DESCENDD, "-d", "-c", str(conf)],
                           capture_output=True, text=True, timeout=20)
    assert start.returncode == 1
    assert f"{hints}{message}" in start.stderr
    said = check.stderr.splitlines()[0].split(": ", 1)[1]
    assert said in start.stderr, (said, start.stderr)


def test_reload_to_broken_hints_keeps_serving(lab, tmp_path, daemon_factory):
    hints = tmp_path / "root.hints"
    shutil.copy(HINTS, hints)
    d = daemon_factory(f"root-hints: {hints}\n")
    assert d.query("www.example.com").rcode() == dns.rcode.NOERROR
    hints.write_text(GOOD + "not a record\n")
    r = d.control_cmd("reload")
    assert d.proc.poll() is None, d.log.read_text()[-2000:]
    assert "error" in r.stdout, r.stdout
    assert f"{hints}:3: Syntax error" in d.log.read_text()
    # Still resolving with the hints it had: a name not yet cached.
    assert d.query("www.dev.example.com").rcode() == dns.rcode.NOERROR
