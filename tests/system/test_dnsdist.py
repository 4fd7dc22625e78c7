"""Two descendd instances behind Debian's dnsdist (contrib/dnsdist): queries
are answered through dnsdist, and keep being answered after one instance
stops."""
import os
import shutil
import subprocess
import time

import dns.rcode
import pytest

from conftest import SRC, Daemon

CONF = os.path.join(SRC, "contrib", "dnsdist", "dnsdist.conf")


@pytest.mark.skipif(shutil.which("dnsdist") is None, reason="dnsdist not installed")
def test_dnsdist_keeps_answering_when_one_instance_stops(lab, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = Daemon(tmp_path / "a", addr="127.77.100.11").start()
    second = Daemon(tmp_path / "b", addr="127.77.100.12").start()
    dnsdist = subprocess.Popen(["dnsdist", "-C", CONF, "--supervised", "--disable-syslog"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        front = Daemon(tmp_path, addr="127.77.100.10")
        for _ in range(50):
            try:
                if front.query("localhost.", timeout=0.5).rcode() == dns.rcode.NOERROR:
                    break
            except Exception:
                time.sleep(0.1)
        answers = [front.query("www.example.com").rcode() for _ in range(20)]
        assert answers == [dns.rcode.NOERROR] * 20
        assert first.stats()["queries"] > 0 and second.stats()["queries"] > 0
        first.stop()
        time.sleep(3)   # the health check notices within a second or two
        answers = [front.query("www.dev.example.com", timeout=2).rcode() for _ in range(20)]
        assert answers == [dns.rcode.NOERROR] * 20
    finally:
        dnsdist.terminate()
        dnsdist.wait(10)
        first.stop()
        second.stop()
