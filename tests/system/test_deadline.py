"""test_deadline.py: what a client sees of time when servers are dead.
A zone whose every server is down must not hold each of a client's
questions for the whole request time limit: once its servers are known
dead (LIMIT_SERVER_DEAD_FAILURES), a question fails at once with EDE 22
(or is served stale), and the servers are probed now and then."""
import time

import dns.edns
import dns.exception
import dns.rcode

# Nothing listens here: a stub zone whose two servers never answer.
DEAD_SERVERS = "127.77.250.1 127.77.250.2"


def ede_codes(resp):
    return [o.code for o in resp.options if o.otype == dns.edns.OptionType.EDE]


def timed_query(d, name, timeout=15):
    """(seconds, response or None) for one question, asked once."""
    started = time.monotonic()
    try:
        resp = d.query(name, timeout=timeout)
    except dns.exception.Timeout:
        resp = None
    return time.monotonic() - started, resp


def test_serial_client_under_a_dead_zone_fails_fast(daemon_factory):
    """One name at a time, as a stub resolver asks. Before, every name was
    the dead servers' next probe and waited out timeouts grown to 3 s
    until the 10 s limit: 10-13 s per name. Now, after the first names
    have found the servers dead, each name is answered at once."""
    d = daemon_factory(f"stub-zone: dead.example {DEAD_SERVERS}\n")
    times = []
    for i in range(12):
        took, resp = timed_query(d, f"n{i}.dead.example")
        times.append((took, resp))
    print("per name (s):", " ".join(f"{t:.2f}" for t, _ in times))
    # The first names learn that the servers are dead (4 rounds of timeouts).
    later = times[4:]
    for took, resp in later:
        assert resp is not None and resp.rcode() == dns.rcode.SERVFAIL
        assert 22 in ede_codes(resp), resp
    # Generous for a loaded machine: the bug took 10 s or more per name.
    assert max(t for t, _ in later) < 3.0, times
    assert sum(t for t, _ in later) < 6.0, times
