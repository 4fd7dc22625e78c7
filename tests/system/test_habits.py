"""descendd against real servers' habits (issue 14): the lab's shortglue.net
(the child's A for its name server expires long before the parent's NS set
and glue) and hostile.py's habit scenarios (answers NSD would not give)."""
import time

import dns.rcode
import pytest


def records(resp):
    return [(rrset.name.to_text().lower(), r.to_text()) for rrset in resp.answer for r in rrset]


def test_child_address_expires_before_ns_set(daemon):
    assert daemon.query("www.shortglue.net").rcode() == dns.rcode.NOERROR
    # The child's own A (TTL 2) replaces the parent's glue in the cache.
    assert daemon.query("ns1.shortglue.net").rcode() == dns.rcode.NOERROR
    time.sleep(3)
    resp = daemon.query("www2.shortglue.net", timeout=8)
    assert resp.rcode() == dns.rcode.NOERROR, resp
    assert records(resp) == [("www2.shortglue.net.", "192.0.2.131")]


def test_wrong_type_answer_is_nodata(hostile, daemon):
    resp = daemon.query("wrongtype.hostile.net", "AAAA", timeout=8)
    assert resp.rcode() == dns.rcode.NOERROR, resp
    assert records(resp) == []
    assert "192.0.2.67" not in daemon.control_cmd("dump-cache").stdout


@pytest.mark.parametrize("scenario", ["nxent", "noaa"])
def test_minimised_queries_fall_back(hostile, daemon, scenario):
    resp = daemon.query(f"www.sub.{scenario}.hostile.net", timeout=8)
    assert resp.rcode() == dns.rcode.NOERROR, resp
    assert records(resp) == [(f"www.sub.{scenario}.hostile.net.", "192.0.2.68")]


def test_dname_loop_is_a_plain_servfail(hostile, daemon):
    resp = daemon.query("www.dnameloop.hostile.net", timeout=8)
    assert resp.rcode() == dns.rcode.SERVFAIL
    assert resp.answer == []


def test_case_insensitive_server_still_answers(hostile, daemon):
    for name in ("nocase.hostile.net", "www.sub.nocase.hostile.net"):
        resp = daemon.query(name, timeout=8)
        assert resp.rcode() == dns.rcode.NOERROR, resp
        assert [r for _, r in records(resp)] == ["192.0.2.68"]
