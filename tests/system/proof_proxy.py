#!/usr/bin/python3
"""proof_proxy.py: a man in the middle for the lab's signed zones. It passes
each query on to a real NSD (sec-1, serving secure.com and nsec3.com signed
by the lab) and adds to the authority section of every reply that carries
NSEC or NSEC3 records (a denial, a wildcard expansion's proof) what a broken
or hostile upstream may add, by MODE:

  unsigned  an NSEC/NSEC3 record of the zone with no RRSIG
  badsig    an NSEC/NSEC3 record of the zone with an RRSIG copied from a
            real one of the reply (right signer and key tag, the signature
            does not verify)
  junksig   an RRSIG over NSEC/NSEC3 for an owner that has none in the
            reply (copied from a real one, renamed)
  othersig  an NSEC/NSEC3 below sub.ZONE "signed" by sub.ZONE (a zone that
            does not exist; the RRSIG copied, signer renamed)
  none      nothing: the reply as NSD sent it (the control)

The added records are owned by forged.[sub.]ZONE (NSEC) or by the
hash-shaped f0rged000...[sub.]ZONE (NSEC3, FORGED3), so that a test can
spot them.
A resolver is pointed at it with a stub zone. Usage:
  proof_proxy.py ADDR PIDFILE UPSTREAM MODE   (stops on SIGTERM)
"""
import socket
import struct
import sys

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.rrset

from dns_server import read_messages, serve

FORGED = "forged"
# 32 base32hex characters (a SHA-1 hash's length), recognisable.
FORGED3 = "f0rged" + "0" * 26


def signer_of(reply):
    for rs in reply.authority:
        if rs.rdtype == dns.rdatatype.RRSIG:
            return rs[0].signer
    return None


def proof_type(reply):
    for rs in reply.authority:
        if rs.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3):
            return rs.rdtype
    return None


def real_sig(reply, rdtype):
    for rs in reply.authority:
        if rs.rdtype == dns.rdatatype.RRSIG and rs.covers == rdtype:
            return rs
    return None


def forged_record(reply, zone, rdtype, below):
    """A denial record of the zone that the zone never signed: an NSEC
    claiming forged.ZONE has nothing but an A, or an NSEC3 whose hash
    owner is FORGED3, copying the parameters of the reply's own; under
    `below` (a name under the zone) instead."""
    at = below or zone
    if rdtype == dns.rdatatype.NSEC:
        owner = dns.name.Name((FORGED.encode(),) + at.labels)
        text = f"{FORGED}z.{at} A RRSIG NSEC"
    else:
        owner = dns.name.Name((FORGED3.encode(),) + at.labels)
        real = next(rs for rs in reply.authority if rs.rdtype == rdtype)[0]
        salt = real.salt.hex() if real.salt else "-"
        text = f"{real.algorithm} {real.flags} {real.iterations} {salt} " \
               f"{FORGED3[:-1]}1 A RRSIG"
    return dns.rrset.from_text(owner, 300, "IN", rdtype, text)


def renamed_sig(sig, owner, signer=None):
    out = dns.rrset.RRset(owner, sig.rdclass, dns.rdatatype.RRSIG, sig.covers)
    out.update_ttl(sig.ttl)
    for rd in sig:
        out.add(rd.replace(signer=signer) if signer else rd)
    return out


def tamper(reply, mode):
    rdtype = proof_type(reply)
    zone = signer_of(reply)
    if mode == "none" or rdtype is None or zone is None:
        return
    sub = dns.name.Name((b"sub",) + zone.labels)
    forged = forged_record(reply, zone, rdtype, sub if mode == "othersig" else None)
    sig = real_sig(reply, rdtype)
    if mode == "unsigned":
        reply.authority.append(forged)
    elif mode == "badsig":
        reply.authority.append(forged)
        reply.authority.append(renamed_sig(sig, forged.name))
    elif mode == "junksig":
        reply.authority.append(renamed_sig(sig, forged.name))
    elif mode == "othersig":
        reply.authority.append(forged)
        reply.authority.append(renamed_sig(sig, forged.name, sub))


def handle(upstream, mode, wire, over_tcp):
    try:
        query = dns.message.from_wire(wire)
        if over_tcp:
            reply = dns.query.tcp(query, upstream, timeout=3)
        else:
            reply = dns.query.udp(query, upstream, timeout=3,
                                  ignore_trailing=True)
            if reply.flags & dns.flags.TC:
                return reply.to_wire()
        tamper(reply, mode)
        payload = query.payload if query.edns >= 0 else 512
        try:
            return reply.to_wire(max_size=65535 if over_tcp else max(payload, 512))
        except dns.exception.TooBig:
            reply.answer, reply.authority, reply.additional = [], [], []
            reply.flags |= dns.flags.TC
            return reply.to_wire()
    except Exception as e:      # a bug here must not look like an attack
        print(f"proof_proxy: {e!r}", file=sys.stderr)
        return None


def main():
    addr, pidfile, upstream, mode = sys.argv[1:5]

    def serve_udp(sock):
        while True:
            wire, peer = sock.recvfrom(65535)
            out = handle(upstream, mode, wire, False)
            if out:
                sock.sendto(out, peer)

    def serve_tcp_conn(conn):
        try:
            for wire in read_messages(conn):
                out = handle(upstream, mode, wire, True)
                if out:
                    conn.sendall(struct.pack("!H", len(out)) + out)
        finally:
            conn.close()

    serve(addr, pidfile, serve_udp, serve_tcp_conn)


if __name__ == "__main__":
    socket.setdefaulttimeout(5)
    main()
