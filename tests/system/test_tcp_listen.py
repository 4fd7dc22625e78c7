"""descendd's client TCP (resolver/daemon/tcp_listen.c) against clients
that use RFC 7766 to its edges: pipelining past the per-connection limit,
closing their sending side once the queries are out, trickling a query a
byte at a time."""
import select
import socket
import struct
import time

import dns.message
import dns.rcode
import pytest


def framed(name, rdtype="A", qid=None):
    q = dns.message.make_query(name, rdtype)
    if qid is not None:
        q.id = qid
    wire = q.to_wire()
    return struct.pack("!H", len(wire)) + wire


def read_replies(s, want, timeout):
    """Up to `want` length-prefixed replies from `s` within `timeout`."""
    s.settimeout(0.2)
    buf = b""
    replies = []
    deadline = time.monotonic() + timeout
    while len(replies) < want and time.monotonic() < deadline:
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        buf += data
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            n = struct.unpack("!H", buf[:2])[0]
            replies.append(dns.message.from_wire(buf[2:2 + n]))
            buf = buf[2 + n:]
    return replies


@pytest.mark.parametrize("half_close", [False, True], ids=["open", "half-closed"])
def test_tcp_pipelined_past_the_limit_gets_every_answer(daemon, half_close):
    """40 cold questions pipelined in one write, more than
    LIMIT_TCP_PIPELINE (32) in flight: RFC 7766 §6.2.1.1 lets the server
    stop reading until answers drain, never drop a query a TCP client will
    wait for forever. Also when the client half-closes after the write:
    the 8 held back are still read from the buffer and answered."""
    names = [f"pipe{i}.example.com" for i in range(40)]
    s = socket.create_connection((daemon.addr, 53))
    try:
        s.sendall(b"".join(framed(n, qid=i) for i, n in enumerate(names)))
        if half_close:
            s.shutdown(socket.SHUT_WR)
        replies = read_replies(s, len(names), 10)
    finally:
        s.close()
    got = sorted(r.id for r in replies)
    print(f"40 pipelined cold questions: {len(replies)} answers")
    assert got == list(range(40)), f"missing answers: {sorted(set(range(40)) - set(got))}"
    assert all(r.rcode() == dns.rcode.NXDOMAIN for r in replies)


def test_tcp_half_closed_client_gets_its_answers(daemon):
    """A client that sends its questions and shuts down its sending side
    (shutdown(SHUT_WR), as `nc -N` or a one-shot script does) still waits
    for the answers: the FIN ends the queries, not the replies. One cached
    answer and one that needs the authorities."""
    daemon.query("www.example.com")
    s = socket.create_connection((daemon.addr, 53))
    try:
        s.sendall(framed("www.example.com", qid=1) +
                  framed("halfclosed.example.com", qid=2))
        s.shutdown(socket.SHUT_WR)
        replies = read_replies(s, 2, 5)
    finally:
        s.close()
    got = {r.id: r.rcode() for r in replies}
    print(f"half-closed client: answers {got}")
    assert got == {1: dns.rcode.NOERROR, 2: dns.rcode.NXDOMAIN}


def test_tcp_client_trickling_a_query_is_closed_when_idle(daemon):
    """A client sends one byte of a query every second and never completes
    it: a connection slot held forever for nothing (256 of them lock every
    other TCP client out). The idle timeout (LIMIT_TCP_IDLE_MS, 10 s) counts
    from the last complete query, not the last byte."""
    wire = framed("www.example.com", qid=7)
    s = socket.create_connection((daemon.addr, 53))
    start = time.monotonic()
    closed_after = None
    try:
        s.settimeout(1.0)
        for i in range(16):
            try:
                s.send(wire[i:i + 1])
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - start
                    break
            except socket.timeout:
                continue
            except ConnectionError:
                closed_after = time.monotonic() - start
                break
    finally:
        s.close()
    print(f"trickling client: closed after {closed_after} s")
    assert closed_after is not None, "still open after 16 s of trickling"
    assert 9 <= closed_after <= 13



def closed_at_once(socks, wait=0.15):
    """The sockets of `socks` the server closed within `wait` seconds."""
    time.sleep(wait)
    ready, _, _ = select.select(socks, [], [], 0)
    closed = set()
    for s in ready:
        try:
            if s.recv(1) == b"":
                closed.add(s)
        except ConnectionError:
            closed.add(s)
    return closed


def test_tcp_idle_timeout_shrinks_when_busy(daemon):
    """A client opens 200 connections and asks one question on each, as
    if it came back every 10 s on each: with the full idle timeout
    (LIMIT_TCP_IDLE_MS) it would hold most of LIMIT_TCP_CLIENTS (256) for
    ever. Above half of them open, a connection that asked is closed
    after LIMIT_TCP_IDLE_BUSY_MS (RFC 7766 §6.2.3); below half, the
    full timeout holds."""
    daemon.query("www.example.com", tcp=True)
    conns = []
    try:
        for i in range(200):
            s = socket.create_connection((daemon.addr, 53), timeout=5)
            conns.append(s)
            s.sendall(framed("www.example.com", qid=i))
            assert len(read_replies(s, 1, 5)) == 1
        start = time.monotonic()
        # Well under LIMIT_TCP_IDLE_MS (10 s) after the last answer.
        time.sleep(5)
        closed = closed_at_once(conns, 0)
        waited = time.monotonic() - start
    finally:
        for s in conns:
            s.close()
    print(f"200 connections that asked once: {len(closed)} closed "
          f"{waited:.1f} s after the last answer, {200 - len(closed)} open")
    assert waited < 9
    assert len(closed) >= 40, "idle connections hold the slots under load"
    assert 200 - len(closed) >= 100, "closed below half the slots too"
    assert daemon.query("www.example.com", tcp=True).rcode() == dns.rcode.NOERROR
