"""auto-trust-anchor-file (RFC 5011): descendd validates with the keys of a
writable anchor file, probes the anchored zone's DNSKEY RRset, and rewrites
the file in Unbound's autotrust format with the keys' states; a bad file is
a startup error naming its line."""
import os
import re
import shutil
import subprocess
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from conftest import ANCHOR, DESCENDD, Daemon

def auto_daemon(tmp_path, path, hints=None, **kw):
    """A Daemon whose only anchor is the auto-trust-anchor-file `path`."""
    if not os.path.exists(ANCHOR):
        pytest.skip("the lab is not signed")
    d = Daemon(tmp_path, f"auto-trust-anchor-file: {path}\n", **kw)
    text = re.sub(r"(?m)^trust-anchor-file:.*\n", "", d.conf.read_text())
    if hints is not None:
        text = re.sub(r"(?m)^root-hints:.*$", f"root-hints: {hints}", text)
    d.conf.write_text(text)
    return d


def stop_clean(d):
    """Stops `d`; a sanitizer build's report in its log fails the test."""
    d.stop()
    log = d.log.read_text(errors="replace")
    for tool in ("ThreadSanitizer", "AddressSanitizer", "runtime error:"):
        assert tool not in log, log


def test_autotrust_failed_probe_schedules_retry(lab, tmp_path):
    """No root server answers: the probe fails, the file says so and the
    next probe is the retry time away, not at once (RFC 5011 2.3)."""
    path = tmp_path / "root.autokey"
    shutil.copy(ANCHOR, path)
    hints = tmp_path / "dead.hints"
    hints.write_text(". 3600000 NS dead.root.\n"
                     "dead.root. 3600000 A 127.0.0.2\n")
    d = auto_daemon(tmp_path, path, hints=hints).start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            text = path.read_text()
            if ";;query_failed: 1" in text:
                break
            time.sleep(0.2)
        assert ";;query_failed: 1" in text, text
        probe = int(re.search(r";;next_probe_time: (\d+)", text).group(1))
        assert probe >= time.time() + 3000, text
        # The KSK is still trusted (state VALID from the operator's file).
        assert ";;state=2" in text, text
        time.sleep(1)
        assert ";;query_failed: 1" in path.read_text()
        assert d.proc.poll() is None
    finally:
        stop_clean(d)


def test_autotrust_validates_and_rewrites_file(lab, tmp_path):
    if not os.path.exists(ANCHOR):
        pytest.skip("the lab is not signed")
    path = tmp_path / "root.autokey"
    shutil.copy(ANCHOR, path)
    d = auto_daemon(tmp_path, path, threads=2).start()
    try:
        # The probe at start, before any client asks, rewrites the file.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = path.read_text()
            if ";;state=2" in text:
                break
            time.sleep(0.1)
        q = dns.message.make_query("www.secure.com.", "A", want_dnssec=True)
        r = dns.query.udp(q, d.addr, timeout=5)
        assert r.rcode() == dns.rcode.NOERROR
        assert r.flags & dns.flags.AD, r.to_text()
        assert ";;id: . 1" in text, text
        assert ";;last_success:" in text, text
        keys = [line for line in text.splitlines()
                if re.search(r"\sDNSKEY\s+257\s", line)]
        assert keys, text
        assert all(";;state=2" in line for line in keys), text
        assert "\tDS\t" not in text and " DS " not in text, text
    finally:
        stop_clean(d)
    # Restarting from the rewritten file still validates.
    d = auto_daemon(tmp_path, path).start()
    try:
        q = dns.message.make_query("www.secure.com.", "A", want_dnssec=True)
        r = dns.query.udp(q, d.addr, timeout=5)
        assert r.flags & dns.flags.AD, r.to_text()
    finally:
        stop_clean(d)


def test_autotrust_bad_file_is_startup_error(lab, tmp_path):
    if not os.path.exists(ANCHOR):
        pytest.skip("the lab is not signed")
    path = tmp_path / "bad.autokey"
    good = open(ANCHOR).read()
    path.write_text(good + ". 3600 IN DNSKEY 257 3 8 !!notbase64\n")
    bad_line = len(good.splitlines()) + 1
    d = auto_daemon(tmp_path, path)
    r = subprocess.run([DESCENDD, "-t", "-c", str(d.conf)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert f"{path}:{bad_line}" in out, out
    assert "auto-trust-anchor-file" in out, out


def test_reload_after_an_autotrust_update_keeps_the_cache(lab, tmp_path):
    """RFC 5011 rewrote the anchor file (the lab's DS became the root's
    DNSKEY, VALID) but the operator changed nothing: a reload keeps every
    cache, so a cached name costs no upstream query. A change the operator
    makes (a domain-insecure) still empties them."""
    path = tmp_path / "root.autokey"
    shutil.copy(ANCHOR, path)
    d = auto_daemon(tmp_path, path).start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and ";;state=2" not in path.read_text():
            time.sleep(0.1)
        assert "\tDS\t" not in path.read_text(), path.read_text()
        q = dns.message.make_query("www.secure.com.", "A", want_dnssec=True)
        assert dns.query.udp(q, d.addr, timeout=5).flags & dns.flags.AD
        assert d.control_cmd("reload").returncode == 0
        log = d.log.read_text()
        assert "cache kept" in log and "cache emptied" not in log, log
        before = d.stats()["upstream.queries"]
        assert dns.query.udp(q, d.addr, timeout=5).flags & dns.flags.AD
        assert d.stats()["upstream.queries"] == before
        d.conf.write_text(d.conf.read_text() + "domain-insecure: secure.com\n")
        assert d.control_cmd("reload").returncode == 0
        assert "cache emptied" in d.log.read_text()
        assert not dns.query.udp(q, d.addr, timeout=5).flags & dns.flags.AD
    finally:
        stop_clean(d)
