#!/usr/bin/python3
"""hostile.py: an authoritative server for hostile.net. (delegated from
the lab's net. zone to ns.hostile.net, 127.77.8.1) that misbehaves on
purpose, chosen by the first label of the question:

  poison.hostile.net    a right answer stuffed with out-of-bailiwick records
  spoof.hostile.net     wrong ID, then wrong question, then the real answer
  nxns.hostile.net      a referral to 100 NS names that do not exist
  upward.hostile.net    a referral back up to net.
  garbage.hostile.net   bytes that are not DNS
  ptrloop.hostile.net   a compression-pointer loop
  cut.hostile.net       a reply cut short in the middle of a record
  slow.hostile.net      the right answer, 3 seconds late (names under it too)
  blackhole.hostile.net no answer at all, for it and every name under it
  tc.hostile.net        TC=1 over UDP and an empty TC=1 over TCP, forever
Real servers' habits (issue 14; test_habits.py):
  wrongtype.hostile.net A records, without AA, to a AAAA question
  nxent.hostile.net     NXDOMAIN for the empty non-terminal sub.nxent
  noaa.hostile.net      NODATA without AA for the empty non-terminal sub.noaa
  dnameloop.hostile.net a DNAME to a name below itself
  nocase.hostile.net    echoes the question in lowercase (no 0x20)
TCP modes (over UDP these names answer TC=1, so the resolver comes over TCP):
  stream.hostile.net    an endless stream: a 65535-byte length, then bytes
                        without end (up to STREAM_CAP), never the answer
  hugelen.hostile.net   a 65535-byte message of garbage with a wrong ID,
                        then the right answer
  many.hostile.net      5 wrong-ID replies, then the answer
  flood.hostile.net     10000 wrong-ID replies in one burst, then the answer
Anything else: NOERROR/NODATA (or NXDOMAIN) like a normal server.
Usage: hostile.py ADDR PIDFILE   (stops on SIGTERM)
"""
import os
import struct
import sys
import threading
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset

from dns_server import read_messages, serve

ZONE = dns.name.from_text("hostile.net.")
TCP_MODES = ("stream", "hugelen", "many", "flood")
STREAM_CAP = 256 * 1024 * 1024     # an endless stream ends here, to spare the machine
SOA = dns.rrset.from_text(ZONE, 300, "IN", "SOA",
                          "ns.hostile.net. h.hostile.net. 1 3600 600 86400 300")


def response(query, aa=True):
    r = dns.message.make_response(query)
    if aa:
        r.flags |= dns.flags.AA
    return r


def render(r, over_tcp):
    """The reply's wire form; over UDP a reply too big for the client's
    buffer goes out as TC=1, like a real server's."""
    try:
        return r.to_wire(max_size=65535 if over_tcp else 0)
    except dns.exception.TooBig:
        r.answer, r.authority, r.additional = [], [], []
        r.flags |= dns.flags.TC
        return r.to_wire()


def habits(query, q, labels, scenario):
    """Replies of the habits scenarios (www.sub.<scenario> is the name that
    exists, sub.<scenario> an empty non-terminal), or None."""
    if scenario not in ("wrongtype", "nxent", "noaa", "dnameloop", "nocase"):
        return None
    if scenario == "nocase":
        lower = dns.message.make_query(q.name.to_text().lower(), q.rdtype)
        lower.id = query.id
        r = response(lower)
    else:
        r = response(query)
    if scenario == "dnameloop" and len(labels) > 1:
        owner = dns.name.Name(labels[-1:] + ZONE.labels)
        target = dns.name.Name((b"x",) + owner.labels)
        r.answer.append(dns.rrset.from_text(owner, 3600, "IN", "DNAME", target.to_text()))
        r.answer.append(dns.rrset.from_text(q.name, 3600, "IN", "CNAME",
                                            q.name.relativize(owner).derelativize(target)
                                            .to_text()))
        return r
    if scenario == "wrongtype" and len(labels) == 1 and q.rdtype == 28:
        r.flags &= ~dns.flags.AA
        r.answer.append(dns.rrset.from_text(q.name, 3600, "IN", "A", "192.0.2.67"))
        return r
    if len(labels) == 3 and labels[0].lower() == b"www" and q.rdtype == 1:
        r.answer.append(dns.rrset.from_text(q.name, 3600, "IN", "A", "192.0.2.68"))
        return r
    if len(labels) == 1 and q.rdtype == 1 and scenario in ("wrongtype", "nocase"):
        r.answer.append(dns.rrset.from_text(q.name, 3600, "IN", "A", "192.0.2.68"))
        return r
    if len(labels) == 2 and scenario == "nxent":
        r.set_rcode(dns.rcode.NXDOMAIN)
    if len(labels) == 2 and scenario == "noaa":
        r.flags &= ~dns.flags.AA
    if len(labels) > 3 or (len(labels) == 3 and labels[0].lower() != b"www"):
        r.set_rcode(dns.rcode.NXDOMAIN)
    r.authority.append(SOA)
    return r


def handle(wire, over_tcp):
    """Returns a list of replies (bytes) to send, maybe after a delay."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:
        return []
    q = query.question[0]
    labels = q.name.relativize(ZONE).labels if q.name.is_subdomain(ZONE) else ()
    scenario = labels[-1].decode().lower() if labels else ""
    is_target = len(labels) == 1 and q.rdtype == 1
    if scenario == "blackhole":
        return []
    if scenario == "slow":
        time.sleep(3)
    if q.name == dns.name.from_text("ns.hostile.net.") and q.rdtype == 1:
        r = response(query)
        r.answer.append(dns.rrset.from_text(q.name, 3600, "IN", "A", "127.77.8.1"))
        return [r.to_wire()]
    if q.name == ZONE and q.rdtype == 2:
        r = response(query)
        r.answer.append(dns.rrset.from_text(ZONE, 86400, "IN", "NS", "ns.hostile.net."))
        return [r.to_wire()]
    habit = habits(query, q, labels, scenario)
    if habit is not None:
        return [habit.to_wire()]
    if scenario == "nxns" and len(labels) >= 1:
        r = response(query, aa=False)
        # Names in a real zone that answers NXDOMAIN for each: every
        # one would cost a query without LIMIT_FAILED_NS_RESOLUTIONS.
        names = [f"nx{i}.example.com." for i in range(100)]
        r.authority.append(dns.rrset.from_text(dns.name.from_text("nxns.hostile.net."),
                                               86400, "IN", "NS", *names))
        return [render(r, over_tcp)]
    if scenario == "upward":
        r = response(query, aa=False)
        r.authority.append(dns.rrset.from_text("net.", 86400, "IN", "NS", "a.gtld.lab."))
        return [r.to_wire()]
    if not is_target:
        r = response(query)
        if scenario not in ("poison", "spoof", "garbage", "ptrloop", "cut", "slow", "tc"):
            r.set_rcode(dns.rcode.NXDOMAIN)
        r.authority.append(SOA)
        return [r.to_wire()]
    answer = response(query)
    answer.answer.append(dns.rrset.from_text(q.name, 3600, "IN", "A", "192.0.2.66"))
    if scenario == "poison":
        answer.answer.append(dns.rrset.from_text("www.example.com.", 86400, "IN", "A", "6.6.6.6"))
        answer.authority.append(dns.rrset.from_text("example.com.", 86400, "IN", "NS",
                                                    "ns.evil.test."))
        answer.additional.append(dns.rrset.from_text("ns.evil.test.", 86400, "IN", "A", "6.6.6.6"))
        answer.additional.append(dns.rrset.from_text("ns1.example.com.", 86400, "IN", "A",
                                                     "6.6.6.6"))
        return [answer.to_wire()]
    if scenario == "spoof":
        good = answer.to_wire()
        wrong_id = struct.pack("!H", (query.id + 1) & 0xffff) + good[2:]
        other = dns.message.make_query("other.hostile.net.", "A")
        other.id = query.id
        wrong_q = response(other)
        wrong_q.answer.append(dns.rrset.from_text("other.hostile.net.", 3600, "IN", "A",
                                                  "6.6.6.6"))
        return [wrong_id, wrong_q.to_wire(), good]
    if scenario == "garbage":
        return [struct.pack("!H", query.id) + os.urandom(40)]
    if scenario == "ptrloop":
        return [struct.pack("!HHHHHH", query.id, 0x8400, 1, 1, 0, 0) +
                b"\xc0\x0c\x00\x01\x00\x01\xc0\x12\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04"
                b"\xc0\x00\x02\x42"]
    if scenario == "cut":
        return [answer.to_wire()[:-3]]
    if scenario == "tc" or (scenario in TCP_MODES and not over_tcp):
        r = response(query)
        r.flags |= dns.flags.TC
        return [r.to_wire()]
    return [answer.to_wire()]


def tcp_mode(wire):
    """The TCP mode the query asks for, with the parsed query, or None."""
    try:
        query = dns.message.from_wire(wire)
    except Exception:
        return None, None
    q = query.question[0]
    if not q.name.is_subdomain(ZONE) or q.rdtype != 1:
        return None, None
    labels = q.name.relativize(ZONE).labels
    if len(labels) != 1 or labels[0].decode().lower() not in TCP_MODES:
        return None, None
    return labels[0].decode().lower(), query


def serve_tcp_mode(conn, mode, query):
    """Writes raw bytes for a TCP mode; the length prefixes are ours."""
    answer = response(query)
    answer.answer.append(dns.rrset.from_text(query.question[0].name, 3600, "IN",
                                             "A", "192.0.2.66"))
    good = answer.to_wire()
    wrong = struct.pack("!H", (query.id + 1) & 0xffff) + good[2:]
    if mode == "stream":
        block = os.urandom(65536)
        conn.sendall(b"\xff\xff")
        sent = 0
        while sent < STREAM_CAP:
            conn.sendall(block)
            sent += len(block)
        time.sleep(30)
    elif mode == "hugelen":
        junk = wrong[:2] + os.urandom(65533)
        conn.sendall(b"\xff\xff" + junk + struct.pack("!H", len(good)) + good)
    else:
        one = struct.pack("!H", len(wrong)) + wrong
        conn.sendall(one * (5 if mode == "many" else 10000) +
                     struct.pack("!H", len(good)) + good)


def serve_udp(sock):
    while True:
        wire, peer = sock.recvfrom(65535)
        def reply(wire=wire, peer=peer):
            for out in handle(wire, False):
                sock.sendto(out, peer)
        threading.Thread(target=reply, daemon=True).start()


def serve_tcp_conn(conn):
    try:
        for wire in read_messages(conn):
            mode, query = tcp_mode(wire)
            if mode is not None:
                serve_tcp_mode(conn, mode, query)
                continue
            for out in handle(wire, True):
                conn.sendall(struct.pack("!H", len(out)) + out)
    except OSError:
        pass        # the resolver closed the connection on us
    finally:
        conn.close()


def main():
    serve(sys.argv[1], sys.argv[2], serve_udp, serve_tcp_conn)


if __name__ == "__main__":
    main()
