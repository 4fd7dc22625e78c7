"""descendd's client TCP (resolver/daemon/tcp_listen.c) against clients
that use RFC 7766 to its edges: pipelining past the per-connection limit,
closing their sending side once the queries are out, trickling a query a
byte at a time."""
import contextlib
import re
import select
import signal
import socket
import struct
import subprocess
import threading
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



PER_ADDR = 128      # LIMIT_TCP_CLIENTS_PER_ADDR


def connect_from(addr, port, rcvbuf=None):
    """A connection to descendd from 127.0.0.1 port `port`: SO_REUSEPORT
    hands a 4-tuple to the same worker every time. Closed with a reset (no
    TIME_WAIT), so the port can connect again at once."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(("127.0.0.1", port))
    s.connect((addr, 53))
    return s


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


def ports_of_one_worker(addr, want, port=20000):
    """`want` source ports whose connections worker W takes, and ports
    that the other worker likely takes (a refusal seen late on a loaded
    machine puts a port of W among them: a probe copes with it). W is
    found by filling both workers with idle connections until one refuses
    (LIMIT_TCP_CLIENTS_PER_ADDR, 128 from one address, per worker): then
    W refuses at once every port that is its own, and the other worker
    accepts (and we reset) every port that is not. Ports from `port` up,
    below the ephemeral ones (32768-60999)."""
    for _attempt in range(6):
        held, w_ports, other = [], [], []
        # All before the idle timeout (10 s) closes the connections held.
        deadline = time.monotonic() + 8
        try:
            while not w_ports and len(held) < 2 * PER_ADDR + 100:
                n = 16 if len(held) < 2 * PER_ADDR - 48 else 4
                batch = [connect_from(addr, port + i) for i in range(n)]
                port += n
                for s in closed_at_once(batch, 0.05 if len(held) < 2 * PER_ADDR - 32 else 0.15):
                    w_ports.append(s.getsockname()[1])
                held += batch
            other_count = len(held) - len(w_ports) - PER_ADDR
            if not w_ports or other_count > PER_ADDR - 8:
                continue        # both full, or the other nearly: again
            refreshed = False
            while (len(w_ports) < want or len(other) < 8) and time.monotonic() < deadline:
                if not refreshed and time.monotonic() > deadline - 3:
                    # A question restarts the idle timeout of those held.
                    for h in held:
                        if h.getsockname()[1] not in w_ports:
                            try:
                                h.sendall(framed("localhost."))
                            except OSError:
                                pass
                    refreshed = True
                    deadline += 7
                # As many as the other worker has room for.
                n = min(32, PER_ADDR - 4 - other_count)
                batch = [connect_from(addr, port + i) for i in range(n)]
                port += n
                closed = closed_at_once(batch, 0.1)
                for s in batch:
                    (w_ports if s in closed else other).append(s.getsockname()[1])
                    s.close()
        finally:
            for s in held:
                s.close()
            time.sleep(0.3)     # the resets reach descendd
        if len(w_ports) >= want and other:
            return w_ports[:want], other
    pytest.fail("could not tell the two workers' ports apart")


def answer_or_close(s, timeout):
    """'answer', 'closed' or None (neither within `timeout`) for the
    question asked on `s`."""
    s.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionError:
            return "closed"
        if not data:
            return "closed"
        buf += data
        if len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            return "answer"
    return None


def test_tcp_reply_over_the_total_bound_closes_the_connection(daemon_factory):
    """Two workers. Clients of worker W that do not read hold the whole
    LIMIT_TCP_QUEUED_TOTAL (4 MiB); a client of the other worker asks. Its
    reply does not fit, and its worker has no stuck connection of its own
    to close (a worker closes only its own): the reply is dropped
    (tcp.replies_dropped). A TCP client never asks again, so the
    connection must be closed (it reconnects and asks again, RFC 7766
    §6.2.4), not left open with its question unanswered."""
    with small_send_buffers():
        # Its stuck clients never read: closed as stalled (3 s without
        # write progress) before they fill the bound, on a loaded machine.
        stuck_worker_drops_a_reply(daemon_factory("tcp-stall-timeout: 30000\n",
                                                  threads=2))


WMEM = "/proc/sys/net/ipv4/tcp_wmem"


@contextlib.contextmanager
def small_send_buffers():
    """Socket send buffers of at most 64 KiB (autotuning grows them to
    4 MiB): a client that does not read then soon makes replies wait in
    descendd, where they count. Changes net.ipv4.tcp_wmem, so only in a
    private network namespace (contrib/netns-run)."""
    with open("/proc/self/net/dev") as f:
        interfaces = [line.split(":")[0].strip() for line in f.readlines()[2:]]
    if interfaces != ["lo"]:
        pytest.skip("changes net.ipv4.tcp_wmem: only in a private network "
                    "namespace (contrib/netns-run)")
    with open(WMEM) as f:
        wmem = f.read()
    try:
        with open(WMEM, "w") as f:
            f.write("4096 16384 65536")
        yield
    finally:
        with open(WMEM, "w") as f:
            f.write(wmem)


def stuck_worker_drops_a_reply(daemon):
    """Fills LIMIT_TCP_QUEUED_TOTAL from worker W's stuck clients and
    probes from the other worker. A set-up that did not fill the bound
    (now and then on a loaded machine its stuck clients hold only a few
    KiB: their replies went out to the kernel, or a client was closed as
    stalled) tests nothing, so it is tried again, at most three times; a
    filled bound whose probe is answered fails at once."""
    size = len(daemon.query("bigtxt.example.com", "TXT", tcp=True).to_wire()) + 2
    limit = 4 * 1024 * 1024
    for attempt in range(3):
        # Which worker takes a port is fixed for the life of the network
        # namespace: an attempt from the same ports would repeat the same
        # mix-up; one from new ports tells the workers apart anew.
        filled, got, before, stats = fill_and_probe(daemon, size, limit,
                                                    20000 + 4000 * attempt)
        if filled:
            break
        print(f"attempt {attempt + 1}: the stuck clients did not fill the "
              f"bound; again")
        deadline = time.monotonic() + 5
        while daemon.stats()["tcp.queued_bytes"] and time.monotonic() < deadline:
            time.sleep(0.1)
    assert filled, "the stuck clients never filled the bound in 3 attempts"
    assert stats["tcp.replies_dropped"] > before["tcp.replies_dropped"], \
        "the set-up did not make a reply be dropped"
    assert got == "closed", "the client waits for a reply that was dropped"
    assert daemon.query("www.example.com", tcp=True).rcode() == dns.rcode.NOERROR


def fill_and_probe(daemon, size, limit, first_port):
    """One attempt: (whether the bound was filled when the probe asked,
    what the probe got, the counters before and after it)."""
    w_ports, other_ports = ports_of_one_worker(daemon.addr, 110, first_port)
    # A client that does not read first fills its socket buffers (which
    # descendd does not count), then its replies wait in descendd. Each
    # stuck client here makes ~48 KiB wait: less than
    # LIMIT_TCP_WRITE_QUEUE, so it is never paused (tcp-stall-timeout is
    # raised, so it is not closed as stalled either, which would give its
    # bytes back before the probe on a slow machine). A pause counts the
    # bytes written in one turn of descendd's loop too, so each client asks
    # in two halves, each under LIMIT_TCP_WRITE_QUEUE, a turn apart.
    stuck, halfway = [], []
    probe = None
    start = daemon.stats()
    try:
        first = connect_from(daemon.addr, w_ports.pop(), rcvbuf=4096)
        stuck.append(first)
        sent = queued = 0
        while queued == 0 and sent < 400:
            first.sendall(framed("bigtxt.example.com", "TXT") * 8)
            first_asked = time.monotonic()
            sent += 8
            time.sleep(0.05)
            queued = daemon.stats()["tcp.queued_bytes"]
        kernel = sent * size - queued
        per_conn = (kernel + 48 * 1024) // size
        while queued < limit - 64 * 1024 and len(w_ports) > 2:
            s = connect_from(daemon.addr, w_ports.pop(), rcvbuf=4096)
            s.sendall(framed("bigtxt.example.com", "TXT") * (per_conn // 2))
            stuck.append(s)
            halfway.append(s)
            if len(halfway) == 8:
                time.sleep(0.1)
                for h in halfway:
                    h.sendall(framed("bigtxt.example.com", "TXT") *
                              (per_conn - per_conn // 2))
                halfway = []
                time.sleep(0.1)
                queued = daemon.stats()["tcp.queued_bytes"]
        time.sleep(0.1)
        for h in halfway:
            h.sendall(framed("bigtxt.example.com", "TXT") * (per_conn - per_conn // 2))
        time.sleep(0.2)
        queued = daemon.stats()["tcp.queued_bytes"]
        # Top up, one reply at a time, until the next reply does not fit.
        def new_topup():
            s = connect_from(daemon.addr, w_ports.pop(), rcvbuf=4096)
            stuck.append(s)
            s.sendall(framed("bigtxt.example.com", "TXT") * (kernel // size + 1))
            time.sleep(0.1)
            return s
        topup = new_topup()
        got, before, stats = None, start, start
        # A probe from a port of the other worker. A port of W's among
        # them (its refusal was seen late on a loaded machine), or a stuck
        # client that went to the other worker likewise, would only make
        # the probe's worker close its own worst client and answer: then
        # top up again and probe from the next port. (Which worker takes a
        # port does not change while the namespace lives: a mix-up is there
        # in every attempt from the same ports.)
        for port in other_ports[:10]:
            # LIMIT_TCP_IDLE_MS (10 s) after the first client's last
            # question its idle timeout closes it, and gives its bytes back.
            if time.monotonic() - first_asked > 8:
                break
            asked = 0
            while limit - queued >= size and asked < 40:
                try:
                    topup.sendall(framed("bigtxt.example.com", "TXT"))
                except (ConnectionResetError, BrokenPipeError):
                    # W closed the top-up as its own worst client (the
                    # probe before went to W): top up from a new one.
                    topup = new_topup()
                    queued = daemon.stats()["tcp.queued_bytes"]
                    continue
                asked += 1
                time.sleep(0.03)
                queued = daemon.stats()["tcp.queued_bytes"]
            before = daemon.stats()
            probe = connect_from(daemon.addr, port)
            probe.sendall(framed("bigtxt.example.com", "TXT", qid=99))
            got = answer_or_close(probe, 3)
            stats = daemon.stats()
            if stats["tcp.replies_dropped"] > before["tcp.replies_dropped"]:
                break
            print(f"a probe from port {port}: {got}, its worker closed a "
                  f"client of its own; again")
            probe.close()
            probe = None
            queued = stats["tcp.queued_bytes"]
    finally:
        for s in stuck + ([probe] if probe else []):
            s.close()
    print(f"socket buffers took {kernel} bytes; {per_conn} questions a client")
    print(f"{len(stuck)} stuck clients of one worker hold {queued} of {limit} "
          f"bytes; a client of the other worker asks: {got} "
          f"(tcp.replies_dropped {before['tcp.replies_dropped']} -> "
          f"{stats['tcp.replies_dropped']})")
    tcp = {k: (start[k], before[k], stats[k]) for k in stats if k.startswith("tcp.")}
    print(f"tcp counters at the start, before the probe, after: {tcp}")
    # Filled: the probe's reply did not fit (the loop above tops up until
    # it would not), or a reply was dropped.
    filled = (limit - before["tcp.queued_bytes"] < size or
              stats["tcp.replies_dropped"] > before["tcp.replies_dropped"])
    return filled, got, before, stats


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
            # From two addresses: under LIMIT_TCP_CLIENTS_PER_ADDR each.
            s = socket.create_connection((daemon.addr, 53), timeout=5,
                                         source_address=(f"127.0.0.{1 + i % 2}", 0))
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


def test_tcp_connections_per_address_are_capped(daemon):
    """One address opens 140 connections: LIMIT_TCP_CLIENTS_PER_ADDR (128)
    are held, the other 12 are closed at once (Unbound's
    tcp-connection-limit), and another address still gets in and is
    answered: one address cannot hold all of LIMIT_TCP_CLIENTS (256)."""
    conns = []
    try:
        for _ in range(140):
            conns.append(socket.create_connection((daemon.addr, 53), timeout=5,
                                                  source_address=("127.0.0.1", 0)))
        refused = closed_at_once(conns, 1.0)
        other = socket.create_connection((daemon.addr, 53), timeout=5,
                                         source_address=("127.0.0.2", 0))
        conns.append(other)
        other.sendall(framed("www.example.com", qid=5))
        replies = read_replies(other, 1, 5)
        stats = daemon.stats()
    finally:
        for s in conns:
            s.close()
    print(f"140 connections from one address: {len(refused)} closed at once, "
          f"tcp.refused {stats['tcp.refused']}; another address: "
          f"{len(replies)} answer")
    assert len(refused) == 12 and stats["tcp.refused"] == 12
    assert len(replies) == 1 and replies[0].rcode() == dns.rcode.NOERROR


def test_tcp_connections_per_address_is_a_config_key(daemon_factory):
    """tcp-connections-per-address sets the cap (it was the macro
    LIMIT_TCP_CLIENTS_PER_ADDR, 128, only): at 4, one address opening 6
    connections gets 4 and has 2 closed at once; each held one is
    answered, and another address still gets in. A reload with a new
    value applies it to new connections."""
    d = daemon_factory("tcp-connections-per-address: 4\n")
    conns = []
    try:
        for _ in range(6):
            conns.append(socket.create_connection((d.addr, 53), timeout=5,
                                                  source_address=("127.0.0.1", 0)))
        refused = closed_at_once(conns, 1.0)
        held = [s for s in conns if s not in refused]
        answered = 0
        for i, s in enumerate(held):
            s.sendall(framed("www.example.com", qid=10 + i))
            answered += len(read_replies(s, 1, 5))
        other = socket.create_connection((d.addr, 53), timeout=5,
                                         source_address=("127.0.0.2", 0))
        conns.append(other)
        other.sendall(framed("www.example.com", qid=5))
        replies = read_replies(other, 1, 5)
        stats = d.stats()
    finally:
        for s in conns:
            s.close()
    print(f"6 connections from one address with the cap at 4: "
          f"{len(refused)} closed at once, {answered} of {len(held)} held "
          f"answered, tcp.refused {stats['tcp.refused']}")
    assert len(refused) == 2 and stats["tcp.refused"] == 2
    assert answered == 4
    assert len(replies) == 1 and replies[0].rcode() == dns.rcode.NOERROR
    # SIGHUP with the cap at 2: the next 3 connections keep 2.
    d.conf.write_text(d.conf.read_text().replace(
        "tcp-connections-per-address: 4", "tcp-connections-per-address: 2"))
    d.proc.send_signal(signal.SIGHUP)
    for _ in range(50):
        if "reloaded" in d.log.read_text():
            break
        time.sleep(0.1)
    conns = []
    try:
        for _ in range(3):
            conns.append(socket.create_connection((d.addr, 53), timeout=5,
                                                  source_address=("127.0.0.1", 0)))
        refused = closed_at_once(conns, 1.0)
    finally:
        for s in conns:
            s.close()
    assert len(refused) == 1, "reload did not apply the new cap"


BIG = "bigtxt.example.com"      # a 1.6 KiB TXT answer


def test_tcp_slow_reader_past_the_idle_timeout_gets_every_reply(daemon_factory):
    """A client pipelines 100 questions for a 1.6 KiB answer, then reads
    its replies slowly but steadily (1 KiB every 25 ms) for longer than
    both the idle timeout (tcp-idle-timeout: 1000) and the stall limit
    (LIMIT_TCP_WRITE_STALL_MS, 3 s). Replies still waiting in descendd
    make the connection busy, not idle (RFC 7766 §6.2.3), and writes that
    make progress are not a stall: every reply arrives. Counting the idle
    timeout from the last question, or the stall from the pause, closed
    the connection and cancelled the replies it held."""
    with small_send_buffers():
        d = daemon_factory("tcp-idle-timeout: 1000\n")
        d.query(BIG, "TXT", tcp=True)
        n = 100
        before = d.stats()
        s = connect_from(d.addr, 0, rcvbuf=4096)
        start = time.monotonic()
        buf = b""
        got = 0
        closed = False
        try:
            s.sendall(b"".join(framed(BIG, "TXT", qid=i) for i in range(n)))
            s.settimeout(2)
            while got < n and time.monotonic() - start < 30:
                try:
                    data = s.recv(1024)
                except (socket.timeout, ConnectionError):
                    closed = True
                    break
                if not data:
                    closed = True
                    break
                buf += data
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                    buf = buf[2 + struct.unpack("!H", buf[:2])[0]:]
                    got += 1
                time.sleep(0.025)
        finally:
            s.close()
        took = time.monotonic() - start
        stats = d.stats()
    print(f"slow reader: {got} of {n} replies in {took:.1f} s"
          f"{', then closed' if closed else ''}; " +
          ", ".join(f"{k} +{stats[k] - before[k]}" for k in
                    ("tcp.paused", "tcp.closed_idle", "tcp.closed_stalled")
                    if k in stats))
    assert took > 3.5, "the reads were not slow enough to test anything"
    assert got == n, "a slow reader that made progress lost its replies"
    assert stats["tcp.closed_stalled"] == before["tcp.closed_stalled"]


def stuck_client(daemon_factory, extra):
    """A daemon with `extra` configuration and the 1.6 KiB answer cached,
    its counters now, and a client connection with a small receive
    buffer, which a client that does not read soon fills."""
    d = daemon_factory(extra)
    d.query(BIG, "TXT", tcp=True)
    return d, d.stats(), connect_from(d.addr, 0, rcvbuf=4096)


def test_tcp_client_that_never_reads_is_closed_as_stalled(daemon_factory):
    """A client asks for 1.6 KiB answers, 16 at a time, until replies wait
    in descendd (its socket buffers are full), and never reads. It stays
    under LIMIT_TCP_WRITE_QUEUE, so its reading is never paused: memory
    held for a client that does not read. With no write progress for
    LIMIT_TCP_WRITE_STALL_MS (3 s) it is closed and counted in
    tcp.closed_stalled, well before the idle timeout (set to 20 s here),
    and its bytes are given back."""
    with small_send_buffers():
        d, before, s = stuck_client(daemon_factory, "tcp-idle-timeout: 20000\n")
        try:
            sent, queued = fill_until_queued(d, s)
            stuck = time.monotonic()
            stats = d.stats()
            while (stats["tcp.closed_stalled"] == before["tcp.closed_stalled"]
                   and time.monotonic() - stuck < 8):
                time.sleep(0.1)
                stats = d.stats()
            waited = time.monotonic() - stuck
        finally:
            s.close()
    print(f"a client that never reads: {sent} questions, {queued} bytes "
          f"queued in descendd; closed as stalled after {waited:.1f} s: "
          f"tcp.closed_stalled {before['tcp.closed_stalled']} -> "
          f"{stats['tcp.closed_stalled']}, tcp.paused +"
          f"{stats['tcp.paused'] - before['tcp.paused']}, tcp.queued_bytes "
          f"{stats['tcp.queued_bytes']}")
    assert stats["tcp.closed_stalled"] == before["tcp.closed_stalled"] + 1, \
        "a client that never reads held its replies past the stall limit"
    assert 2.5 <= waited <= 6
    assert stats["tcp.queued_bytes"] == 0


def test_tcp_idle_client_is_closed_at_the_idle_timeout(daemon_factory):
    """A client asks once, reads its answer and then says nothing: closed
    at the idle timeout (tcp-idle-timeout: 1000), counted in
    tcp.closed_idle. A client that connects and never asks likewise."""
    d = daemon_factory("tcp-idle-timeout: 1000\n")
    before = d.stats()
    asked = socket.create_connection((d.addr, 53), timeout=5)
    silent = socket.create_connection((d.addr, 53), timeout=5)
    try:
        asked.sendall(framed("www.example.com", qid=3))
        assert len(read_replies(asked, 1, 5)) == 1
        start = time.monotonic()
        got = [answer_or_close(sock, 4) for sock in (asked, silent)]
        waited = time.monotonic() - start
        stats = d.stats()
    finally:
        asked.close()
        silent.close()
    print(f"idle clients: {got} after {waited:.1f} s; tcp.closed_idle "
          f"{before.get('tcp.closed_idle')} -> {stats.get('tcp.closed_idle')}")
    assert got == ["closed", "closed"]
    assert 0.7 <= waited <= 3
    assert stats["tcp.closed_idle"] == before["tcp.closed_idle"] + 2


TCP_ESTABLISHED = 1


def still_open(s):
    """Whether descendd has neither closed nor reset `s`, seen from the
    client's TCP state (TCP_INFO), without reading a byte of it."""
    return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == TCP_ESTABLISHED


def wait_closed(d, s, limit, before):
    """The monotonic time descendd closed `s` as stalled, or None within
    `limit` s. Seen in the client's TCP state (a reset arrives at once),
    looked at every 2 ms, else in tcp.closed_stalled (a close that sends
    no reset queues its FIN behind replies the client never reads: it is
    seen only there), looked at by a thread every 0.1 s, so that running
    the control client does not delay the first."""
    stop = threading.Event()
    counted = []

    def look():
        while not stop.wait(0.1):
            if d.stats()["tcp.closed_stalled"] > before["tcp.closed_stalled"]:
                counted.append(time.monotonic())
                return

    looker = threading.Thread(target=look)
    looker.start()
    try:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and not counted:
            if not still_open(s):
                return time.monotonic()
            time.sleep(0.002)
        return counted[0] if counted else None
    finally:
        stop.set()
        looker.join()


def last_sent(s):
    """When descendd's end of the connection `s` last sent the client data
    (monotonic time, from `ss -ti`'s lastsnd, ms), or None if gone."""
    port = s.getsockname()[1]
    out = subprocess.run(["ss", "-tinH", "state", "established",
                          f"( sport = :53 and dport = :{port} )"],
                         capture_output=True, text=True).stdout
    m = re.search(r"lastsnd:(\d+)", out)
    return None if m is None else time.monotonic() - int(m.group(1)) / 1000


def fill_until_queued(d, s):
    """Asks for the 1.6 KiB answer on `s`, 16 at a time, until replies
    wait in descendd (its socket buffers are full): the questions asked
    and the bytes queued."""
    queued = sent = 0
    while queued == 0 and sent < 400:
        s.sendall(framed(BIG, "TXT") * 16)
        sent += 16
        time.sleep(0.1)
        queued = d.stats()["tcp.queued_bytes"]
    assert queued > 0, "no reply ever waited in descendd: nothing tested"
    return sent, queued


def test_tcp_stall_close_comes_at_the_limit_after_the_last_read(daemon_factory):
    """A client that does not read, with replies waiting in descendd,
    reads what its receive buffer holds once and then never again: it
    made progress at that read (its window opened and the kernel sent it
    more of our replies), so it is closed as stalled tcp-stall-timeout
    (1000 ms) after the kernel's last sending, within a few ms: not at the
    limit after an earlier moment (a read that frees little wakes no
    write), nor at the idle timeout (the replies all moved to the kernel),
    nor up to a quarter of the limit late (checks four times a limit)."""
    limit = 1.0
    with small_send_buffers():
        d, before, s = stuck_client(daemon_factory, "tcp-idle-timeout: 20000\n"
                                    "tcp-stall-timeout: 1000\n")
        try:
            fill_until_queued(d, s)
            time.sleep(0.3)
            # All its receive buffer holds, so that its window opens wide.
            s.setblocking(False)
            got = 0
            with contextlib.suppress(BlockingIOError):
                while got < 32768:
                    got += len(s.recv(32768 - got))
            read_at = time.monotonic()
            # The kernel's last sending to the client: what the read let it
            # send, and any window a zero-window probe found later.
            time.sleep(0.5)
            sent_at = last_sent(s)
            closed_at = wait_closed(d, s, 3 * limit, before)
            stats = d.stats()
        finally:
            s.close()
    after = None if closed_at is None else closed_at - sent_at
    print(f"read {got} bytes, then nothing: descendd last sent data "
          f"{(sent_at - read_at) * 1000:.0f} ms after the read, closed "
          f"{after and round(after * 1000)} ms after that (limit "
          f"{limit * 1000:.0f} ms); tcp.closed_stalled "
          f"{before['tcp.closed_stalled']} -> {stats['tcp.closed_stalled']}")
    assert sent_at is not None and sent_at >= read_at - 0.005, \
        "descendd sent nothing after the read: no progress to test"
    assert after is not None, "not closed within three times the limit"
    assert stats["tcp.closed_stalled"] == before["tcp.closed_stalled"] + 1
    assert limit - 0.01 <= after <= limit + 0.1, \
        f"closed {after * 1000:.0f} ms after the last progress, limit 1000 ms"


def test_tcp_replies_parked_in_the_kernel_are_held_too(daemon_factory):
    """A client with a small receive buffer asks for eight 1.6 KiB answers
    and never reads: they all fit in the kernel's socket buffers, so none
    waits in descendd, yet they are held for a client that does not read.
    A connection whose kernel send queue does not drain is stalled too:
    closed tcp-stall-timeout (1000 ms) after its last progress, not at the
    idle timeout (20 s). A client that asked once and has not read yet
    (its answer sits in its own receive buffer, the kernel holds nothing)
    is not stalled and stays open."""
    d = daemon_factory("tcp-idle-timeout: 20000\ntcp-stall-timeout: 1000\n")
    d.query(BIG, "TXT", tcp=True)
    before = d.stats()
    stuck = connect_from(d.addr, 0, rcvbuf=4096)
    lazy = socket.create_connection((d.addr, 53), timeout=5)
    try:
        lazy.sendall(framed(BIG, "TXT"))
        stuck.sendall(framed(BIG, "TXT") * 8)
        asked = time.monotonic()
        time.sleep(0.2)
        queued = d.stats()["tcp.queued_bytes"]
        closed_at = wait_closed(d, stuck, 3, before)
        lazy_open = still_open(lazy)
        stats = d.stats()
    finally:
        stuck.close()
        lazy.close()
    after = None if closed_at is None else closed_at - asked
    print(f"8 answers parked in the kernel, {queued} bytes queued in descendd: "
          f"closed {after and round(after * 1000)} ms after asking; "
          f"tcp.closed_stalled {before['tcp.closed_stalled']} -> "
          f"{stats['tcp.closed_stalled']}; the lazy client open: {lazy_open}")
    assert queued == 0, "replies waited in descendd: not the kernel's case"
    assert after is not None, "replies parked in the kernel held past 3 s"
    assert 0.99 <= after <= 1.5
    assert stats["tcp.closed_stalled"] == before["tcp.closed_stalled"] + 1
    assert lazy_open, "a client whose answer it has not read yet was closed"


def kernel_send_queues():
    """Bytes the kernel holds in the send queues of descendd's client TCP
    connections (`ss -tm`: skmem's w, wmem_queued), one entry each."""
    out = subprocess.run(["ss", "-tmnH", "state", "established",
                          "( sport = :53 )"], capture_output=True, text=True).stdout
    return [int(w) for w in re.findall(r"skmem:\(r\d+,rb\d+,t\d+,tb\d+,f\d+,w(\d+)", out)]


def rss_kib(pid):
    """The resident memory of process `pid`, KiB."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


CLIENTS = 16
LIMIT_TCP_SEND_BUFFER = 32 * 1024       # tcp-send-buffer's default


@pytest.mark.parametrize("send_buffer", [None, 0], ids=["default", "autotuned"])
def test_tcp_clients_that_never_read_park_little_in_the_kernel(daemon_factory,
                                                              send_buffer):
    """16 clients pipeline questions for the 1.6 KiB answer (600 each, ~1
    MB of replies) and never read. descendd holds at most
    LIMIT_TCP_WRITE_QUEUE (64 KiB) of each in its own queue; the kernel
    holds what the socket's send buffer takes, which autotuning grows to
    megabytes on such a connection (tcp-send-buffer: 0, here to show what
    the default prevents): 16 of them park tens of MB beyond every bound.
    With tcp-send-buffer at its default (32768, which Linux doubles) each
    holds at most 64 KiB plus one segment. The stall limit is raised so
    that nothing closes before the figures are read."""
    extra = "tcp-stall-timeout: 60000\ntcp-idle-timeout: 60000\n"
    if send_buffer is not None:
        extra += f"tcp-send-buffer: {send_buffer}\n"
    d = daemon_factory(extra)
    d.query(BIG, "TXT", tcp=True)
    rss_before = rss_kib(d.proc.pid)
    clients = [connect_from(d.addr, 0, rcvbuf=4096) for _ in range(CLIENTS)]
    try:
        asks = framed(BIG, "TXT") * 600
        left = {s: asks for s in clients}
        for s in clients:
            s.setblocking(False)
        deadline = time.monotonic() + 3
        while any(left.values()) and time.monotonic() < deadline:
            for s, data in left.items():
                with contextlib.suppress(BlockingIOError):
                    left[s] = data[s.send(data):]
            time.sleep(0.01)
        time.sleep(0.5)
        queues = kernel_send_queues()
        stats = d.stats()
        rss_after = rss_kib(d.proc.pid)
    finally:
        for s in clients:
            s.close()
    total = sum(queues)
    print(f"tcp-send-buffer {'default' if send_buffer is None else send_buffer}: "
          f"{len(queues)} connections, kernel send queues {total // 1024} KiB "
          f"(largest {max(queues) // 1024} KiB), descendd's own queues "
          f"{stats['tcp.queued_bytes'] // 1024} KiB, descendd RSS "
          f"{rss_before} -> {rss_after} KiB")
    assert len(queues) == CLIENTS
    # 64 KiB of send buffer, overshot by at most one 64 KiB segment (lo's MSS).
    bound = 2 * 2 * LIMIT_TCP_SEND_BUFFER
    if send_buffer is None:
        assert stats["tcp.queued_bytes"] > 0, \
            "no reply waited in descendd: the send buffers never filled"
        assert max(queues) <= bound, "the kernel holds more than tcp-send-buffer"
    else:
        assert max(queues) > bound, "autotuning did not grow the buffers: nothing shown"



def send_buffer_of(s):
    """The send buffer (bytes) of descendd's end of the connection `s`."""
    port = s.getsockname()[1]
    out = subprocess.run(["ss", "-tmnH", "state", "established",
                          f"( sport = :53 and dport = :{port} )"],
                         capture_output=True, text=True).stdout
    return int(re.search(r"skmem:\(r\d+,rb\d+,t\d+,tb(\d+)", out).group(1))


def test_tcp_send_buffer_is_set_and_reloaded(daemon_factory):
    """tcp-send-buffer is the SO_SNDBUF of each client connection (Linux
    doubles it); a reload applies a new value to new connections, and 0
    leaves the kernel's size (net.ipv4.tcp_wmem, autotuned)."""
    d = daemon_factory("tcp-send-buffer: 8192\n")
    sizes = []
    for value in ("8192", "65536", "0"):
        if value != "8192":
            d.conf.write_text(re.sub(r"tcp-send-buffer: \d+",
                                     f"tcp-send-buffer: {value}",
                                     d.conf.read_text()))
            reloads = d.log.read_text().count("reloaded")
            d.proc.send_signal(signal.SIGHUP)
            for _ in range(50):
                if d.log.read_text().count("reloaded") > reloads:
                    break
                time.sleep(0.1)
        s = socket.create_connection((d.addr, 53), timeout=5)
        try:
            s.sendall(framed("www.example.com", qid=1))
            assert len(read_replies(s, 1, 5)) == 1
            sizes.append(send_buffer_of(s))
        finally:
            s.close()
    print(f"tcp-send-buffer 8192, 65536, 0: send buffers {sizes}")
    assert sizes[:2] == [16384, 131072]
    assert sizes[2] not in (16384, 131072)
