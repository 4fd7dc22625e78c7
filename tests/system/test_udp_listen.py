"""descendd's client UDP path (resolver/daemon/udp_listen.c): datagrams read
in batches by recvmmsg and answered with one sendmmsg, over IPv4 and IPv6,
from the address each query came to on a wildcard listen, with truncation
to the client's EDNS size, and the batch sizes counted in the stats. Each
worker's replies leave from a send-only socket of its own, which a
reuseport program never gives a query."""
import os
import random
import signal
import socket
import struct
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

# A name of the lab's wildcard (*.wild.example.com A 192.0.2.60).
WILD = "n{}.wild.example.com"
WILD_ADDR = "192.0.2.60"
PORT = 5300     # the wildcard listens: NSD holds port 53 on the lab's addresses
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def exchange_many(family, addr, queries, timeout=10):
    """Sends every query from one socket without waiting, then reads the
    answers: returns {id: response}."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    # Room for every answer while they are being sent (the default holds a
    # couple of hundred small datagrams).
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
    sock.settimeout(timeout)
    answers = {}
    try:
        for q in queries:
            sock.sendto(q.to_wire(), addr)
        deadline = time.monotonic() + timeout
        while len(answers) < len(queries) and time.monotonic() < deadline:
            try:
                wire = sock.recv(65535)
            except socket.timeout:
                break
            r = dns.message.from_wire(wire)
            answers[r.id] = r
    finally:
        sock.close()
    return answers


def make_queries(count, names):
    queries = []
    for i in range(count):
        q = dns.message.make_query(WILD.format(i % names), "A", use_edns=0,
                                   payload=1232)
        q.id = i
        queries.append(q)
    return queries


def ask_while_stopped(d, queries):
    """Sends `queries` from 40 source ports while descendd is stopped, so
    they wait in its sockets' queues, and checks that every one is answered
    from the address asked; returns those queues as they were (udp_sockets)."""
    socks = []
    for _ in range(40):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 20)
        s.settimeout(0.2)
        socks.append(s)
    answers, sources = {}, set()
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        for q in queries:
            socks[q.id % 40].sendto(q.to_wire(), (d.addr, 53))
        time.sleep(0.2)
        queued = udp_sockets(d.proc.pid, d.addr, 53)
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    deadline = time.monotonic() + 10
    while len(answers) < len(queries) and time.monotonic() < deadline:
        for s in socks:
            try:
                while True:
                    wire, source = s.recvfrom(65535)
                    r = dns.message.from_wire(wire)
                    answers[r.id] = r
                    sources.add(source)
            except socket.timeout:
                pass
    for s in socks:
        s.close()
    print(f"queued bytes per socket while stopped: "
          f"{sorted(q for q, _ in queued.values())}; "
          f"answered {len(answers)} of {len(queries)}")
    check_answers(queries, answers)
    assert sources == {(d.addr, 53)}
    return queued


def check_answers(queries, answers):
    missing = [q.id for q in queries if q.id not in answers]
    assert not missing, f"{len(missing)} of {len(queries)} not answered: {missing[:10]}"
    for q in queries:
        r = answers[q.id]
        assert r.question[0].name == q.question[0].name, (q.id, r.question)
        assert r.rcode() == dns.rcode.NOERROR
        assert [rr.address for rrset in r.answer for rr in rrset] == [WILD_ADDR], r


def batch_means(before, after):
    got = {k: after[k] - before.get(k, 0) for k in after if k.startswith("udp.")}
    recv = got["udp.recv_datagrams"] / max(got["udp.recv_batches"], 1)
    send = got["udp.send_datagrams"] / max(got["udp.send_batches"], 1)
    return got, recv, send


def burst_while_stopped(daemon, queries, timeout=10, inject=None):
    """Sends every query from one socket while descendd is stopped
    (SIGSTOP), so that they wait in its queue and are read as batches;
    `inject(i)` runs before query i is sent. Returns {id: response}."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Room for every answer, past net.core.rmem_max (the tests run as root).
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
    sock.settimeout(timeout)
    answers = {}
    os.kill(daemon.proc.pid, signal.SIGSTOP)
    try:
        for i, q in enumerate(queries):
            if inject is not None:
                inject(i)
            sock.sendto(q.to_wire(), (daemon.addr, 53))
    finally:
        os.kill(daemon.proc.pid, signal.SIGCONT)
    deadline = time.monotonic() + timeout
    while len(answers) < len(queries) and time.monotonic() < deadline:
        try:
            r = dns.message.from_wire(sock.recv(65535))
        except socket.timeout:
            break
        answers[r.id] = r
    sock.close()
    return answers


def test_burst_of_cached_queries_is_answered_in_batches(daemon):
    """500 cached queries sent from one socket without waiting, all while
    descendd is stopped (SIGSTOP), then it goes on: every one is answered
    correctly (its socket's queue holds them all: the default would hold
    about 270), read 64 a recvmmsg and answered 64 a sendmmsg."""
    names = 50
    for i in range(names):
        assert daemon.query(WILD.format(i)).rcode() == dns.rcode.NOERROR
    before = daemon.stats()
    queries = make_queries(500, names)
    answers = burst_while_stopped(daemon, queries)
    check_answers(queries, answers)
    got, recv, send = batch_means(before, daemon.stats())
    print(f"500 cached queries: {got}; datagrams per recvmmsg {recv:.1f}, "
          f"per sendmmsg {send:.1f}")
    # The stats come over the control socket: every datagram read is ours.
    assert got["udp.recv_datagrams"] == 500
    assert got["udp.recv_full_batches"] >= 7     # 500 = 7 x 64 + 52
    assert recv > 1 and send > 1
    assert got["udp.send_datagrams"] == 500


def test_batched_hits_keep_each_query_s_id_case_ttl_and_edns(daemon):
    """300 cached queries read in batches, whose answer-cache entries are
    parsed and prefetched together before any is answered (udp_listen.c),
    with one clock read per batch: each reply still carries its own
    query's ID, its own 0x20 spelling of the name, an OPT record only when
    the query had one (with DO when asked, and then the RRSIGs), and every
    TTL counted down since the answer was cached; each query is counted
    once, as a query and as a fast-path hit."""
    names = 40
    cached = {}
    for i in range(names):
        for do in (False, True):
            r = daemon.query(WILD.format(i), want_dnssec=do)
            assert r.rcode() == dns.rcode.NOERROR
            cached[(i, do)] = min(rr.ttl for rr in r.answer)
    time.sleep(2.1)     # two seconds at least, in time()'s whole seconds
    rng = random.Random(16)
    queries = []
    for n in range(300):
        i, kind = n % names, n % 3     # no EDNS, EDNS, EDNS with DO
        name = "".join(c.upper() if rng.random() < 0.5 else c
                       for c in WILD.format(i))
        q = dns.message.make_query(name, "A", use_edns=0 if kind else False,
                                   want_dnssec=kind == 2,
                                   payload=1232 if kind else None)
        q.id = 1000 + n
        queries.append((q, i, kind))
    before = daemon.stats()
    answers = burst_while_stopped(daemon, [q for q, _, _ in queries])
    after = daemon.stats()
    assert len(answers) == len(queries)
    for q, i, kind in queries:
        r = answers[q.id]
        assert r.rcode() == dns.rcode.NOERROR
        # Byte for byte: dnspython's name comparison ignores case.
        assert r.question[0].name.to_text() == q.question[0].name.to_text()
        assert [rr.address for rrset in r.answer if rrset.rdtype == dns.rdatatype.A
                for rr in rrset] == [WILD_ADDR]
        assert r.edns == (-1 if kind == 0 else 0), (q.id, kind)
        assert bool(r.ednsflags & dns.flags.DO) == (kind == 2)
        sigs = [rrset for rrset in r.answer if rrset.rdtype == dns.rdatatype.RRSIG]
        assert bool(sigs) == (kind == 2 and cached_has_sigs(daemon, i)), r
        start = cached[(i, kind == 2)]
        for rrset in r.answer:
            assert 0 < rrset.ttl <= start - 2, (q.id, rrset.ttl, start)
    assert after["queries"] - before["queries"] == 300
    assert after["queries.udp"] - before["queries.udp"] == 300
    assert after["cache.hits.fastpath"] - before["cache.hits.fastpath"] == 300
    assert after["udp.recv_batches"] - before["udp.recv_batches"] < 300


def test_clients_of_one_batch_each_get_their_own_access_verdict(daemon_factory):
    """Queries from allowed, refused and denied addresses interleaved in one
    batch (sent while descendd is stopped): the verdict remembered for the
    batch's last address (worker.c intake_acl) is never another's, whose
    address differs only in its last byte."""
    d = daemon_factory("access-control: 127.0.0.2/32 refuse\n"
                       "access-control: 127.0.0.3/32 deny\n")
    for i in range(4):
        assert d.query(WILD.format(i)).rcode() == dns.rcode.NOERROR
    socks = {}
    for src in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
        socks[src] = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        socks[src].bind((src, 0))
        socks[src].settimeout(3)
    order = ["127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.1",
             "127.0.0.3", "127.0.0.2", "127.0.0.1"] * 3
    sent = {src: [] for src in socks}
    before = d.stats()
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        for n, src in enumerate(order):
            q = dns.message.make_query(WILD.format(n % 4), "A")
            q.id = 100 + n
            socks[src].sendto(q.to_wire(), (d.addr, 53))
            sent[src].append(q.id)
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    got = {src: {} for src in socks}
    for src, sock in socks.items():
        while len(got[src]) < len(sent[src]):
            try:
                r = dns.message.from_wire(sock.recv(65535))
            except socket.timeout:
                break
            got[src][r.id] = r.rcode()
        sock.close()
    assert got["127.0.0.1"] == {i: dns.rcode.NOERROR for i in sent["127.0.0.1"]}
    assert got["127.0.0.2"] == {i: dns.rcode.REFUSED for i in sent["127.0.0.2"]}
    assert got["127.0.0.3"] == {}
    stats = d.stats()
    assert stats["clients.refused"] == len(sent["127.0.0.2"])
    assert stats["clients.denied"] == len(sent["127.0.0.3"])
    # Read together: 24 datagrams fit one recvmmsg.
    assert stats["udp.recv_batches"] - before["udp.recv_batches"] <= 3


def cached_has_sigs(daemon, i):
    """Whether the lab signs the wildcard's zone (the DO answer has RRSIGs)."""
    r = daemon.query(WILD.format(i), want_dnssec=True)
    return any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in r.answer)


def udp_from_port_zero(src, dst, payload):
    """A UDP datagram from src port 0 (a spoofed source the kernel refuses
    to answer: sendmsg gives EINVAL), sent on a raw socket (root)."""
    header = (0).to_bytes(2, "big") + (53).to_bytes(2, "big") + \
        (8 + len(payload)).to_bytes(2, "big") + b"\0\0"  # no checksum (IPv4)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    try:
        raw.bind((src, 0))
        raw.sendto(header + payload, (dst, 0))
    finally:
        raw.close()


def test_a_reply_the_kernel_refuses_does_not_drop_the_rest_of_its_batch(daemon):
    """A query from source port 0 in the middle of a batch: its reply is
    refused by sendmmsg (EINVAL); the 40 other clients' replies of the same
    batch still leave (the batch stopped at the refusal before)."""
    for i in range(40):
        daemon.query(WILD.format(i))
    queries = make_queries(40, 40)
    forged = make_queries(1, 1)[0]
    forged.id = 1000

    def forge(i):
        if i == 5:
            udp_from_port_zero("127.0.0.1", daemon.addr, forged.to_wire())
    answers = burst_while_stopped(daemon, queries, timeout=5, inject=forge)
    check_answers(queries, answers)
    assert daemon.stats()["udp.recv_datagrams"] >= 41


def test_truncated_answer_in_a_batch_still_gets_tc(daemon):
    """An answer over the client's EDNS size sent among a batch of others is
    cut to the header and question with TC set; the small ones are whole."""
    assert daemon.query("bigtxt.example.com", "TXT", tcp=True).answer
    for i in range(20):
        daemon.query(WILD.format(i))
    queries = make_queries(20, 20)
    big = dns.message.make_query("bigtxt.example.com", "TXT", use_edns=0,
                                 payload=1232)
    big.id = 1000
    queries.insert(10, big)
    answers = exchange_many(socket.AF_INET, (daemon.addr, 53), queries)
    assert answers[1000].flags & dns.flags.TC and answers[1000].answer == []
    check_answers([q for q in queries if q.id != 1000], answers)


@pytest.mark.parametrize("threads", (1, 2))
def test_ipv6_and_wildcard_listens_answer_from_the_address_asked(daemon_factory,
                                                                 threads):
    """listen: ::1, 0.0.0.0 and :: all serve; on a wildcard listen the reply
    leaves from the address the query came to (IP_PKTINFO), not the one the
    kernel would pick (127.0.0.1 for every 127/8 address), which a client
    would drop as a spoofed answer. The same with two workers, whose
    replies leave from their send-only sockets."""
    d = daemon_factory(f"listen: ::1@53\nlisten: 0.0.0.0@{PORT}\nlisten: ::@{PORT}\n",
                       threads=threads)
    # Each worker: a receive and a send-only socket per address.
    for addr, port in (("::1", 53), ("0.0.0.0", PORT), ("::", PORT)):
        assert len(udp_sockets(d.proc.pid, addr, port)) == 2 * threads
    for i in range(10):
        d.query(WILD.format(i))
    for family, addr in ((socket.AF_INET6, ("::1", 53)),
                         (socket.AF_INET6, ("::1", PORT)),
                         (socket.AF_INET, ("127.0.0.1", PORT))):
        queries = make_queries(10, 10)
        check_answers(queries, exchange_many(family, addr, queries))
    for asked in ("127.0.0.5", "127.77.100.1"):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(5)
        q = dns.message.make_query(WILD.format(1), "A")
        sock.sendto(q.to_wire(), (asked, PORT))
        wire, source = sock.recvfrom(65535)
        sock.close()
        print(f"asked {asked}@{PORT}, answered from {source[0]}@{source[1]}")
        assert source == (asked, PORT)
        assert dns.message.from_wire(wire).id == q.id
    # Over TCP too (the kernel answers from the connection's address).
    q = dns.message.make_query(WILD.format(2), "A")
    r = dns.query.tcp(q, "::1", port=PORT, timeout=5)
    assert [rr.address for rrset in r.answer for rr in rrset] == [WILD_ADDR]


def test_datagram_over_4096_bytes_is_dropped_as_malformed(daemon):
    """A UDP query is read into 4096 bytes (UDP_QUERY_MAX): a longer
    datagram arrives cut, is counted malformed and gets no answer; the
    queries around it in the same batch are answered."""
    daemon.query(WILD.format(0))
    before = daemon.stats()["queries.malformed"]
    q = dns.message.make_query(WILD.format(0), "A")
    q.id = 4097
    big = q.to_wire() + b"\0" * (5000 - len(q.to_wire()))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(2)
    queries = make_queries(3, 1)
    sock.sendto(queries[0].to_wire(), (daemon.addr, 53))
    sock.sendto(big, (daemon.addr, 53))
    for other in queries[1:]:
        sock.sendto(other.to_wire(), (daemon.addr, 53))
    ids = set()
    try:
        while True:
            ids.add(dns.message.from_wire(sock.recv(65535)).id)
    except socket.timeout:
        pass
    sock.close()
    assert ids == {0, 1, 2}
    assert daemon.stats()["queries.malformed"] == before + 1


def udp_sockets(pid, addr, port):
    """{inode: (queued bytes, drops)} of process `pid`'s UDP sockets bound
    to addr@port, from /proc/net/udp and udp6 (this network namespace)."""
    ours = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            ours.add(int(link[8:-1]))
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    want = socket.inet_pton(family, addr)
    found = {}
    with open("/proc/net/udp6" if family == socket.AF_INET6 else "/proc/net/udp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, lport = fields[1].split(":")
            # The address as the kernel's 32-bit words in host order.
            raw = b"".join(struct.pack("=I", int(local[i:i + 8], 16))
                           for i in range(0, len(local), 8))
            inode = int(fields[9])
            if raw == want and int(lport, 16) == port and inode in ours:
                found[inode] = (int(fields[4].split(":")[1], 16), int(fields[-1]))
    return found


def test_two_workers_share_queries_and_send_only_sockets_get_none(daemon_factory):
    """threads: 2. Each worker has a receive socket and a send-only one for
    its replies (no epoll wake-up per reply) in the address's SO_REUSEPORT
    group, whose program steers each query by its ID to a receive socket.
    800 cached queries from 40 source ports, all while descendd is stopped
    (SIGSTOP), wait in exactly two sockets' queues, shared between them;
    then every one is answered, from the address asked, and the send-only
    sockets' queues stay empty. (Without the program the kernel would hash
    a share of them to the send-only sockets, never read: lost.)"""
    d = daemon_factory(threads=2)
    names = 50
    for i in range(names):
        assert d.query(WILD.format(i)).rcode() == dns.rcode.NOERROR
    before = udp_sockets(d.proc.pid, d.addr, 53)
    assert len(before) == 4, before
    queries = make_queries(800, names)
    queued = ask_while_stopped(d, queries)
    shares = sorted(q for q, _ in queued.values())
    assert shares[:2] == [0, 0] and min(shares[2:]) > 0, shares
    # The IDs alternate: each receive socket got half of them.
    assert min(shares[2:]) > max(shares[2:]) * 0.8, shares
    after = udp_sockets(d.proc.pid, d.addr, 53)
    assert sorted(after) == sorted(before)
    assert all(q == 0 and drops == 0 for q, drops in after.values()), after


def test_a_port_shared_with_another_socket_is_not_steered(daemon_factory):
    """A socket of another process of ours (same user, SO_REUSEPORT) holds
    the listen port before descendd binds it: the reuseport group is not
    descendd's alone, so it attaches no steering program (which would
    replace the other's and count its socket as one of ours) and adds no
    send-only socket; it says so, and answers from its receive sockets."""
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    other.bind(("127.77.100.1", PORT))
    try:
        d = daemon_factory(f"listen: 127.77.100.1@{PORT}\n", threads=2)
        assert len(udp_sockets(d.proc.pid, "127.77.100.1", PORT)) == 2
        assert len(udp_sockets(d.proc.pid, d.addr, 53)) == 4
        assert "the port was in use before we bound it" in d.log.read_text()
        d.query(WILD.format(0))
        answered = 0
        # The kernel hashes each source port to one of the three sockets.
        for _ in range(30):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(0.3)
            q = dns.message.make_query(WILD.format(0), "A")
            sock.sendto(q.to_wire(), ("127.77.100.1", PORT))
            try:
                answered += dns.message.from_wire(sock.recv(65535)).id == q.id
            except socket.timeout:
                pass
            sock.close()
    finally:
        other.close()
    print(f"{answered} of 30 answered (the others went to the other socket)")
    assert 0 < answered < 30


SO_ATTACH_REUSEPORT_CBPF = getattr(socket, "SO_ATTACH_REUSEPORT_CBPF", 51)


def refuse_steering():
    """A seccomp filter (python3-seccomp) under which
    setsockopt(SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF) fails with EPERM, as
    on a kernel or container that refuses the program; everything else is
    allowed. Returns the function that loads it (in descendd's child,
    before exec: the filter is inherited)."""
    import errno
    import seccomp

    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    f.add_rule(seccomp.ERRNO(errno.EPERM), "setsockopt",
               seccomp.Arg(1, seccomp.EQ, socket.SOL_SOCKET),
               seccomp.Arg(2, seccomp.EQ, SO_ATTACH_REUSEPORT_CBPF))
    return f.load


def test_two_workers_without_the_steering_program_answer_every_query(daemon_factory):
    """threads: 2, and the kernel refuses the reuseport program (seccomp).
    descendd says why and keeps the old way: no send-only socket (which
    the kernel's hash would give queries nobody reads), each worker's
    replies from its receive socket. 400 cached queries from 40 source
    ports, sent while descendd is stopped, wait in both receive sockets'
    queues (the kernel's hash of the source ports shares them), and every
    one is answered, from the address asked."""
    d = daemon_factory(threads=2, preexec_fn=refuse_steering())
    log = d.log.read_text()
    assert f"{d.addr}@53 (UDP): cannot steer queries to receive sockets only " \
        "(Operation not permitted): replies leave from them" in log, log
    names = 20
    for i in range(names):
        # From a new port each try: a broken fallback loses some (below).
        for _ in range(5):
            try:
                d.query(WILD.format(i), timeout=0.5)
                break
            except dns.exception.Timeout:
                pass
    before = udp_sockets(d.proc.pid, d.addr, 53)
    queries = make_queries(400, names)
    queued = ask_while_stopped(d, queries)
    shares = sorted(q for q, _ in queued.values())
    # Only the receive sockets (no send-only socket for the hash to pick).
    assert len(before) == 2, before
    # Both workers' sockets had queries to answer (40 ports hashed over
    # two sockets all to one: 2 in 2^40).
    assert len(shares) == 2 and min(shares) > 0, shares
    after = udp_sockets(d.proc.pid, d.addr, 53)
    assert sorted(after) == sorted(before)
    assert all(q == 0 and drops == 0 for q, drops in after.values()), after
