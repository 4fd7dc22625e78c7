"""descendd against a hostile authoritative server (hostile.py): the client
gets the right answer or SERVFAIL, the cache holds no poison, the daemon
keeps answering, and no scenario costs more upstream queries than the
engine's limits allow; clients that flood it are held to their share."""
import socket
import struct
import time

import dns.message
import dns.rcode
import pytest

from conftest import MEMORY_SLACK

LIMIT_QUERIES_PER_REQUEST = 200


def upstream_cost(daemon, name, **kw):
    before = daemon.stats()["upstream.queries"]
    resp = daemon.query(name, timeout=12, **kw)
    time.sleep(0.2)
    return resp, daemon.stats()["upstream.queries"] - before


def test_poison_is_not_cached(hostile, daemon):
    resp, _ = upstream_cost(daemon, "poison.hostile.net")
    assert [r.to_text() for rrset in resp.answer for r in rrset] == ["192.0.2.66"]
    dump = daemon.control_cmd("dump-cache").stdout
    assert "6.6.6.6" not in dump and "evil.test" not in dump
    good = daemon.query("www.example.com")
    assert [r.to_text() for rrset in good.answer for r in rrset] == ["192.0.2.10"]


def test_spoofed_replies_are_ignored(hostile, daemon):
    resp, _ = upstream_cost(daemon, "spoof.hostile.net")
    assert [r.to_text() for rrset in resp.answer for r in rrset] == ["192.0.2.66"]
    assert "other.hostile.net" not in daemon.control_cmd("dump-cache").stdout


def test_nxns_referral_is_bounded(hostile, daemon):
    resp, cost = upstream_cost(daemon, "nxns.hostile.net")
    assert resp.rcode() == dns.rcode.SERVFAIL
    print(f"NXNS referral to 100 names cost {cost} upstream queries")
    # The referral itself (UDP, TC, TCP), then at most a handful of the
    # NS names, each NXDOMAIN, until LIMIT_FAILED_NS_RESOLUTIONS stops it.
    assert 6 < cost <= 30, cost
    assert daemon.stats()["limits.hit"] >= 1


@pytest.mark.parametrize("name", ["upward", "garbage", "ptrloop", "cut", "tc"])
def test_broken_replies_fail_cleanly(hostile, daemon, name):
    resp, cost = upstream_cost(daemon, f"{name}.hostile.net")
    assert resp.rcode() == dns.rcode.SERVFAIL
    assert cost <= LIMIT_QUERIES_PER_REQUEST
    assert daemon.query("www.example.com").rcode() == dns.rcode.NOERROR


def test_slow_server_still_answers(hostile, daemon):
    resp, _ = upstream_cost(daemon, "slow.hostile.net")
    assert resp.rcode() in (dns.rcode.NOERROR, dns.rcode.SERVFAIL)
    assert daemon.query("www.example.com").rcode() == dns.rcode.NOERROR


def flood(daemon, names, source):
    """Sends one UDP query per name from `source`, without waiting."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        for name in names:
            s.sendto(dns.message.make_query(name, "A").to_wire(), (daemon.addr, 53))


def test_one_client_cannot_hold_more_than_its_share(hostile, daemon):
    # LIMIT_CLIENT_INFLIGHT (64) queries that never finish, then 36 more.
    flood(daemon, [f"c{i}.blackhole.hostile.net" for i in range(100)], "127.0.0.1")
    time.sleep(0.5)
    assert daemon.stats()["queries.client_limited"] == 36
    # Another address is not held back by it.
    assert daemon.query("www.example.com", source="127.0.0.2").rcode() == dns.rcode.NOERROR


def test_a_full_request_list_gives_way_to_new_questions(hostile, daemon):
    # Fill LIMIT_WORKER_REQUESTS (2048) with questions that never finish,
    # from 40 addresses so no client meets its own limit; paced, so that
    # the socket's receive buffer does not overflow.
    for a in range(40):
        flood(daemon, [f"f{a}-{i}.blackhole.hostile.net" for i in range(55)],
              f"127.0.1.{a + 1}")
        time.sleep(0.03)
    time.sleep(0.5)    # past LIMIT_JOSTLE_MS: the oldest may give way
    stats = daemon.stats()
    assert stats["requests"] > 2048 and stats["servfails"] == 0, stats
    resp = daemon.query("www.dev.example.com", source="127.0.2.1", timeout=3)
    assert resp.rcode() == dns.rcode.NOERROR
    assert daemon.stats()["queries.jostled"] >= 1


def test_any_is_answered_with_one_hinfo(daemon):
    before = daemon.stats()["upstream.queries"]
    resp = daemon.query("example.com", "ANY")
    assert resp.rcode() == dns.rcode.NOERROR
    assert [rrset.to_text() for rrset in resp.answer] == \
        ['example.com. 3600 IN HINFO "RFC8482" ""']
    assert daemon.stats()["upstream.queries"] == before


def test_tcp_pipeline_is_capped_per_connection(hostile, daemon):
    # LIMIT_TCP_PIPELINE (32) questions that never finish, then 8 more: the
    # 8 wait unread (RFC 7766 §6.2.1.1) until answers drain, none dropped
    # (test_tcp_listen.py checks they are answered then).
    with socket.create_connection((daemon.addr, 53), timeout=5) as s:
        for i in range(40):
            wire = dns.message.make_query(f"p{i}.blackhole.hostile.net", "A").to_wire()
            s.sendall(struct.pack("!H", len(wire)) + wire)
        time.sleep(0.5)
        stats = daemon.stats()
        assert stats["queries.tcp"] == 32
        assert stats["queries.dropped"] == 0


def test_tcp_connections_are_capped(daemon):
    # LIMIT_TCP_CLIENTS (256) connections held open, then 4 more.
    conns = []
    try:
        for i in range(260):
            # From three addresses, each under LIMIT_TCP_CLIENTS_PER_ADDR.
            conns.append(socket.create_connection(
                (daemon.addr, 53), timeout=5,
                source_address=(f"127.0.0.{1 + i % 3}", 0)))
        time.sleep(0.5)
        assert daemon.stats()["tcp.refused"] == 4
        # The server still answers over UDP.
        assert daemon.query("localhost.").rcode() == dns.rcode.NOERROR
    finally:
        for c in conns:
            c.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@pytest.mark.parametrize("mode,rcode", [
    ("stream", dns.rcode.SERVFAIL),     # endless: cut off, never buffered whole
    ("hugelen", dns.rcode.NOERROR),     # a 64 KiB garbage message, then the answer
    ("many", dns.rcode.NOERROR),        # wrong-ID replies first: each read once
    ("flood", dns.rcode.SERVFAIL),      # 10000 of them: LIMIT_UPSTREAM_TCP_MESSAGES
])
def test_hostile_tcp_server_costs_bounded_memory(hostile, daemon, mode, rcode):
    import threading
    base = rss_kib(daemon.proc.pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(daemon.proc.pid))
            time.sleep(0.005)
    sampler = threading.Thread(target=sample)
    sampler.start()
    before = daemon.stats()
    try:
        resp, cost = upstream_cost(daemon, f"{mode}.hostile.net")
    finally:
        done.set()
        sampler.join()
    after = daemon.stats()
    grown = (peak[0] - base) // 1024
    print(f"hostile TCP server '{mode}': rcode {dns.rcode.to_text(resp.rcode())}, "
          f"{cost} upstream queries, RSS peak +{grown} MiB, "
          f"timeouts +{after['upstream.timeouts'] - before['upstream.timeouts']}")
    assert grown < 32 * MEMORY_SLACK, f"RSS grew by {grown} MiB"
    assert resp.rcode() == rcode
    if rcode == dns.rcode.NOERROR:
        assert [r.to_text() for rrset in resp.answer for r in rrset] == ["192.0.2.66"]
    else:
        # Cut off at once, not left to time out.
        assert after["upstream.timeouts"] == before["upstream.timeouts"]
    assert daemon.query("www.example.com").rcode() == dns.rcode.NOERROR


def test_tcp_query_over_the_coalescing_cap_is_refused_not_dropped(hostile, daemon):
    """LIMIT_COALESCE_WAITERS (256) clients already wait on one question
    that never finishes: a 257th asking over TCP gets SERVFAIL at once. A
    dropped datagram is retried; a query dropped on a TCP connection is
    waited for forever (dig: until its timeout), so it is answered."""
    wire = dns.message.make_query("same.blackhole.hostile.net", "A").to_wire()
    frame = struct.pack("!H", len(wire)) + wire
    conns = []
    try:
        for _ in range(8):          # 8 x LIMIT_TCP_PIPELINE (32) = 256
            s = socket.create_connection((daemon.addr, 53), timeout=5)
            s.sendall(frame * 32)
            conns.append(s)
        time.sleep(0.5)
        late = socket.create_connection((daemon.addr, 53), timeout=5)
        conns.append(late)
        late.sendall(frame * 4)
        late.settimeout(3)
        got = b""
        replies = []
        try:
            while len(replies) < 4:
                data = late.recv(65536)
                if not data:
                    break
                got += data
                while len(got) >= 2 and len(got) >= 2 + struct.unpack("!H", got[:2])[0]:
                    n = struct.unpack("!H", got[:2])[0]
                    replies.append(dns.message.from_wire(got[2:2 + n]))
                    got = got[2 + n:]
        except socket.timeout:
            pass
        print(f"4 TCP queries over the coalescing cap: {len(replies)} answered "
              f"within 3 s, dropped {daemon.stats()['queries.dropped']}")
        assert len(replies) == 4
        assert all(r.rcode() == dns.rcode.SERVFAIL for r in replies)
    finally:
        for s in conns:
            s.close()
