#!/usr/bin/python3
"""hostile_dnssec.py: a signing authoritative server for trap.net. (delegated
from the lab's signed net. to ns.trap.net, 127.77.8.2, with a DS for the key
the lab made in $LAB_DIR/keys/trap.net) serving the DNSSEC answers NSD will
not: each zone below trap.net is one attack on a validator, signed here
with a key made at start and a DS in trap.net, so the chain of trust from
the lab's root reaches it.

  www.trap.net A                  a sound secure answer (the control)
  www.keytrap.trap.net A          KeyTrap: 32 DNSKEYs sharing one key tag,
                                  32 RRSIGs over each RRset with that tag
  nx.nsec3many.trap.net A         NXDOMAIN proven with 12 NSEC3 records
  nx.nsec3alg2.trap.net A         NXDOMAIN whose NSEC3s use hash algorithm 2
  <100 labels>.nsec3deep.trap.net NXDOMAIN at 50 NSEC3 iterations: the
                                  closest-encloser search hashes 100 names
  exists.wildreplay.trap.net A    the wildcard's data and RRSIG replayed for
                                  a name that exists with other data
  nothere.wildreplay.trap.net A   a wildcard answer without the NSEC proof
                                  that the name does not exist
  nx.stripped.trap.net A          NXDOMAIN without NSEC records
  www.stripped.trap.net AAAA      NODATA without NSEC records
  www.unsigned.stripped.trap.net  a delegation without DS and without the
                                  NSEC proof that there is none
  www.oobsigner.trap.net A        signed by a sibling's key (nsec3many.trap.net.)
  parent.oobsigner.trap.net A     signed by the parent's key (trap.net.)
  www.nosigs.trap.net A           signed, but its SOA and DNSKEY RRsets are
                                  served without RRSIG even with DO (descend
                                  trace's Zonemaster DNSSEC06)
  nx.wildnsec.trap.net A          NXDOMAIN "proven" by the wildcard's own NSEC
                                  (next www) and its RRSIG renamed to
                                  !.wildnsec.trap.net, which sorts before "*":
                                  the RRSIG still verifies, as an expansion
  a.wildnsec.trap.net A           the wildcard's sound answer (its NSEC proves
                                  no closer name), asked after the forgery
  www.unsigned.inscut.trap.net A  NXDOMAIN from the parent below its unsigned
                                  delegation unsigned.inscut (NS, no DS), whose
                                  NSEC is the proof: the name is in a zone
                                  nobody can prove anything of (insecure)
  www.unsigned.inscut3.trap.net A the same with NSEC3: the closest encloser
                                  is the unsigned delegation
  ds.unsigned.inscut.trap.net DS  NODATA from the parent for a DS below its
  (and inscut3)                   unsigned delegation, the NSEC(3) at the cut
                                  the proof: the DS asked for is the unsigned
                                  child's data (insecure)
  data.unsigned.inscut.trap.net A the unsigned child's own data, which the
  (and inscut3)                   server also serves: asked after the denials
                                  above, a validator that kept the cut they
                                  showed needs no DS query for it
  www.extrasig.trap.net A         each RRSIG below the apex after one more
                                  naming the owner as signer (kept by a
                                  scrubber: at or above the owner, inside
                                  the zone), its signature false: a denial of
                                  service for a validator trusting the first
  zz.extrasig.trap.net A          the same over the NXDOMAIN's NSECs
  www.kid.fakesig.trap.net A      signed by kid.fakesig.trap.net (a zone two
                                  cuts below the zone asked: this server
                                  answers from the deepest zone it serves),
                                  each RRSIG after two more naming trap.net
                                  and fakesig.trap.net, nearer the root,
                                  with their key tags and false signatures
  ent.oldsoft.trap.net A          NXDOMAIN for an empty non-terminal, as old
                                  software says, from an unsigned zone
                                  (insecure: no DS for oldsoft in trap.net)
  www.ent.oldsoft.trap.net A      the name below it, which exists: an insecure
                                  NXDOMAIN must not deny it (RFC 8020 is only
                                  for secure ones)
Usage: hostile_dnssec.py ADDR PIDFILE LAB_DIR   (stops on SIGTERM)
"""
import base64
import glob
import os
import struct
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.RRSIG
import dns.rrset

from dns_server import read_messages, serve

N = dns.name.from_text
TRAP = N("trap.net.")
NS_NAME = N("ns.trap.net.")
ALG = dns.dnssec.Algorithm.ECDSAP256SHA256
NOW = int(time.time())
INCEPTION, EXPIRATION = NOW - 3600, NOW + 30 * 86400
KEYTRAP_KEYS = 32
KEYTRAP_SIGS = 32
NSEC3MANY_PAD = 10
DEEP_ITERATIONS = 50


def rrset(name, rdtype, *rdatas, ttl=3600):
    return dns.rrset.from_text(name, ttl, "IN", rdtype, *rdatas)


def lab_key(lab_dir):
    """trap.net's key: the one the lab made, whose DS is in net."""
    with open(os.path.join(lab_dir, "keys", "trap.net", "csk-13")) as f:
        base = f.read().strip()
    with open(os.path.join(lab_dir, "keys", "trap.net", base + ".private")) as f:
        for line in f:
            if line.startswith("PrivateKey:"):
                secret = int.from_bytes(base64.b64decode(line.split()[1]), "big")
    return ec.derive_private_key(secret, ec.SECP256R1())


def sign(rs, key, signer, dnskey):
    """An ECDSA P-256 RRSIG over rs. Not dns.dnssec.sign: dnspython 2.3
    counts the "*" of a wildcard owner in the labels field."""
    labels = len(rs.name) - 1 - (1 if rs.name.is_wild() else 0)
    template = dns.rdtypes.ANY.RRSIG.RRSIG(
        dns.rdataclass.IN, dns.rdatatype.RRSIG, rs.rdtype, ALG, labels, rs.ttl,
        EXPIRATION, INCEPTION, dns.dnssec.key_id(dnskey), signer, b"")
    data = dns.dnssec._make_rrsig_signature_data(rs, template)
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return template.replace(signature=r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def key_tag_of(rdata_wire):
    ac = 0
    for i, b in enumerate(rdata_wire):
        ac += b << 8 if i % 2 == 0 else b
    return (ac + (ac >> 16)) & 0xFFFF


def colliding_dnskey(tag):
    """A DNSKEY (not a real key) whose last two bytes are chosen so that its
    key tag is `tag`: what a KeyTrap zone publishes by the dozen."""
    key = bytearray(os.urandom(64))
    head = struct.pack("!HBB", 256, 3, ALG) + bytes(key[:62])
    base = key_tag_of(head + b"\0\0")
    for x in range(65536):
        ac = base + x
        if (ac + (ac >> 16)) & 0xFFFF == tag:
            key[62:] = struct.pack("!H", x)
            break
    return dns.rdata.from_text("IN", "DNSKEY", "256 3 13 " + base64.b64encode(key).decode())


def expand_wildcard(r, qname, zone, wild_name, do):
    """Answers `qname` from the zone's wildcard A RRset at `wild_name`, as
    a server expands it: the records and (DO) the wildcard's RRSIG under
    the asked name, its labels field still the wildcard's."""
    wild = zone.rrsets[(wild_name, dns.rdatatype.A)]
    synth = dns.rrset.RRset(qname, wild.rdclass, wild.rdtype)
    synth.update(wild)
    r.answer.append(synth)
    if do:
        sig = zone.sign(wild)[0]
        expanded = dns.rrset.RRset(qname, sig.rdclass, sig.rdtype)
        expanded.update(sig)
        r.answer.append(expanded)


class Zone:
    def __init__(self, name, key=None, signer=None, nsec3=None, signed=True):
        self.name = name
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.dnskey = dns.dnssec.make_dnskey(self.key.public_key(), ALG, flags=257)
        self.signer = signer          # (name, key, dnskey) signing instead of ours
        self.nsec3 = nsec3            # None (NSEC) or dict(alg, iterations)
        self.signed = signed
        self.rrsets = {}
        self.signers = {}             # (name, type): (signer, key, dnskey)
        self.add(rrset(name, "SOA", f"ns.trap.net. h.trap.net. 1 3600 600 86400 300"))
        self.add(rrset(name, "NS", NS_NAME.to_text(), ttl=86400))
        if signed:
            self.add(rrset(name, "DNSKEY", self.dnskey.to_text()))
        if nsec3:
            self.add(rrset(name, "NSEC3PARAM", f"{nsec3['alg']} 0 {nsec3['iterations']} -"))

    def add(self, rs):
        self.rrsets[(rs.name, rs.rdtype)] = rs

    def names(self):
        return sorted({n for n, _ in self.rrsets})

    def sign(self, rs):
        if not self.signed:
            return []
        name, key, dnskey = self.signers.get((rs.name, rs.rdtype), self.signer or
                                             (self.name, self.key, self.dnskey))
        if rs.rdtype == dns.rdatatype.DNSKEY:
            name, key, dnskey = self.name, self.key, self.dnskey
        sigs = dns.rrset.RRset(rs.name, rs.rdclass, dns.rdatatype.RRSIG)
        sigs.update_ttl(rs.ttl)
        sigs.add(sign(rs, key, name, dnskey))
        return [sigs]

    def ds(self):
        return rrset(self.name, "DS", dns.dnssec.make_ds(self.name, self.dnskey, "SHA256").to_text(),
                     ttl=86400)

    def types_at(self, name):
        types = {t for n, t in self.rrsets if n == name}
        if self.signed:
            types.add(dns.rdatatype.RRSIG)
            if not self.nsec3:      # an NSEC3's bitmap does not list NSEC3
                types.add(dns.rdatatype.NSEC)
        return " ".join(sorted(dns.rdatatype.to_text(t) for t in types))

    def nsec_covering(self, qname):
        names = self.names()
        owner = max((n for n in names if n <= qname), default=names[-1])
        nxt = names[(names.index(owner) + 1) % len(names)]
        return rrset(owner, "NSEC", f"{nxt} {self.types_at(owner)}", ttl=300)

    def nsec3_chain(self):
        p = self.nsec3
        chain = []
        for n in self.names():
            h = dns.dnssec.nsec3_hash(n, None, p["iterations"], 1)
            chain.append((h, n))
        chain.sort()
        out = []
        for i, (h, n) in enumerate(chain):
            nxt = chain[(i + 1) % len(chain)][0]
            out.append((h, rrset(N(h.lower(), self.name), "NSEC3",
                                 f"{p['alg']} 0 {p['iterations']} - {nxt} {self.types_at(n)}",
                                 ttl=300)))
        return out

    def nsec3_for(self, name, match):
        """The chain's NSEC3 that matches (or covers) name."""
        h = dns.dnssec.nsec3_hash(name, None, self.nsec3["iterations"], 1)
        chain = self.nsec3_chain()
        if match:
            return next(rs for hh, rs in chain if hh == h)
        below = [rs for hh, rs in chain if hh < h]
        return below[-1] if below else chain[-1][1]


class Server:
    def __init__(self, lab_dir):
        self.trap = Zone(TRAP, key=lab_key(lab_dir))
        self.trap.add(rrset(NS_NAME, "A", "127.77.8.2", ttl=86400))
        self.trap.add(rrset(N("www.trap.net."), "A", "192.0.2.200"))
        z = {}
        for label, kw in (("keytrap", {}), ("nsec3many", {"nsec3": {"alg": 1, "iterations": 0}}),
                          ("nsec3alg2", {"nsec3": {"alg": 2, "iterations": 0}}),
                          ("nsec3deep", {"nsec3": {"alg": 1, "iterations": DEEP_ITERATIONS}}),
                          ("wildreplay", {}), ("stripped", {}), ("oobsigner", {}),
                          ("nosigs", {}), ("wildnsec", {}), ("inscut", {}),
                          ("inscut3", {"nsec3": {"alg": 1, "iterations": 0}}),
                          ("extrasig", {}), ("fakesig", {})):
            name = N(label, TRAP)
            z[label] = Zone(name, **kw)
            z[label].add(rrset(N("www", name), "A", "192.0.2.201"))
            self.trap.add(rrset(name, "NS", NS_NAME.to_text(), ttl=86400))
            self.trap.add(z[label].ds())
        # KeyTrap: every key and every signature carries the real key's tag.
        kt = z["keytrap"]
        tag = dns.dnssec.key_id(kt.dnskey)
        keys = [kt.dnskey] + [colliding_dnskey(tag) for _ in range(KEYTRAP_KEYS - 1)]
        kt.add(rrset(kt.name, "DNSKEY", *[k.to_text() for k in keys]))
        kt.sign = lambda rs, kt=kt, tag=tag: [self.garbage_sigs(rs, kt.name, tag)]
        for i in range(NSEC3MANY_PAD):
            z["nsec3many"].add(rrset(N(f"pad{i}", z["nsec3many"].name), "A", "192.0.2.202"))
        # Signed by a sibling zone's key (not an ancestor), and by the parent's.
        ob, sib = z["oobsigner"], z["nsec3many"]
        ob.signer = (sib.name, sib.key, sib.dnskey)
        ob.add(rrset(N("parent", ob.name), "A", "192.0.2.206"))
        ob.signers[(N("parent", ob.name), dns.rdatatype.A)] = (TRAP, self.trap.key, self.trap.dnskey)
        # No RRSIG over the apex's SOA and DNSKEY RRsets, the rest signed.
        ns = z["nosigs"]
        ns.sign = lambda rs, ns=ns: [] if rs.name == ns.name and rs.rdtype in (
            dns.rdatatype.SOA, dns.rdatatype.DNSKEY) else Zone.sign(ns, rs)
        es = z["extrasig"]
        es.sign = lambda rs, es=es: self.extra_signer(Zone.sign(es, rs))
        # A signed child of fakesig whose RRSIGs below its apex come after
        # copies naming the zones above it (the scrubber keeps them: inside
        # trap.net, the zone asked, above the owner).
        fs = z["fakesig"]
        kid = Zone(N("kid", fs.name))
        kid.add(rrset(N("www", kid.name), "A", "192.0.2.210"))
        fs.add(rrset(kid.name, "NS", NS_NAME.to_text(), ttl=86400))
        fs.add(kid.ds())
        above = [(TRAP, self.trap.dnskey), (fs.name, fs.dnskey)]
        kid.sign = lambda rs, kid=kid: self.fake_signers(Zone.sign(kid, rs), above)
        wr = z["wildreplay"]
        wr.add(rrset(N("*", wr.name), "A", "192.0.2.203"))
        wn = z["wildnsec"]
        wn.add(rrset(N("*", wn.name), "A", "192.0.2.207"))
        wr.add(rrset(N("exists", wr.name), "A", "192.0.2.204"))
        # An unsigned delegation the server does not serve: below it the
        # parent answers NXDOMAIN itself, its NSEC(3) at the cut the proof.
        # Its own (unsigned) data the server serves too, for the names the
        # child has (data.unsigned.inscut): not in self.zones, whose
        # deepest zone would take every name below the cut.
        self.inscut_child = {}
        for label in ("inscut", "inscut3"):
            z[label].add(rrset(N("unsigned", z[label].name), "NS", NS_NAME.to_text(),
                               ttl=86400))
            child = Zone(N("unsigned", z[label].name), signed=False)
            child.add(rrset(N("data", child.name), "A", "192.0.2.209"))
            self.inscut_child[label] = child
        # Unsigned, delegated without DS; like old software, its server
        # answers NXDOMAIN for the empty non-terminal ent.oldsoft.
        self.oldsoft = Zone(N("oldsoft", TRAP), signed=False)
        self.oldsoft.add(rrset(N("www.ent", self.oldsoft.name), "A", "192.0.2.208"))
        self.trap.add(rrset(self.oldsoft.name, "NS", NS_NAME.to_text(), ttl=86400))
        st = z["stripped"]
        self.unsigned = Zone(N("unsigned", st.name), signed=False)
        self.unsigned.add(rrset(N("www", self.unsigned.name), "A", "192.0.2.205"))
        st.add(rrset(self.unsigned.name, "NS", NS_NAME.to_text(), ttl=86400))
        self.zones = [self.trap, self.unsigned, self.oldsoft, kid] + list(z.values())

    @staticmethod
    def forged_first(sig_rrsets, forge):
        """Each RRSIG whose signer is not its owner after the copies
        forge(rrsig, owner) makes, in an RRset of their own sent first
        (dnspython renders one RRset's records in an order of its own)."""
        out = []
        for sigs in sig_rrsets:
            fake = dns.rrset.RRset(sigs.name, sigs.rdclass, sigs.rdtype)
            fake.update_ttl(sigs.ttl)
            for r in sigs:
                if r.signer != sigs.name:
                    for f in forge(r, sigs.name):
                        fake.add(f)
            out += [fake, sigs] if len(fake) else [sigs]
        return out

    @staticmethod
    def extra_signer(sig_rrsets):
        """Before each RRSIG below the apex a copy naming the owner as
        signer, with a false signature."""
        return Server.forged_first(sig_rrsets, lambda r, owner: [
            r.replace(signer=owner, signature=os.urandom(64))])

    @staticmethod
    def fake_signers(sig_rrsets, signers):
        """Before each RRSIG below the apex copies naming each of `signers`
        (name, DNSKEY) as signer, with its key tag and a false signature."""
        return Server.forged_first(sig_rrsets, lambda r, owner: [
            r.replace(signer=name, key_tag=dns.dnssec.key_id(dnskey),
                      signature=os.urandom(64)) for name, dnskey in signers])

    @staticmethod
    def garbage_sigs(rs, signer, tag):
        sigs = dns.rrset.RRset(rs.name, rs.rdclass, dns.rdatatype.RRSIG)
        sigs.update_ttl(rs.ttl)
        labels = len(rs.name.labels) - 1
        for _ in range(KEYTRAP_SIGS):
            sigs.add(dns.rdata.from_text(
                "IN", "RRSIG",
                f"{dns.rdatatype.to_text(rs.rdtype)} {ALG} {labels} {rs.ttl} {EXPIRATION} "
                f"{INCEPTION} {tag} {signer} {base64.b64encode(os.urandom(64)).decode()}"))
        return sigs

    def zone_for(self, qname, qtype):
        best = None
        for zone in self.zones:
            if qname.is_subdomain(zone.name) and (best is None or zone.name.is_subdomain(best.name)):
                if qtype == dns.rdatatype.DS and qname == zone.name and zone is not self.trap:
                    continue      # DS is the parent's
                best = zone
        return best

    def answer(self, query):
        q = query.question[0]
        r = dns.message.make_response(query)
        r.flags |= dns.flags.AA
        do = query.ednsflags & dns.flags.DO
        zone = self.zone_for(q.name, q.rdtype)
        if zone is None:
            r.set_rcode(dns.rcode.REFUSED)
            return r

        def put(section, rs):
            section.append(rs)
            if do:
                section.extend(zone.sign(rs))

        label = zone.name.labels[0].decode()
        rel = q.name.relativize(zone.name)
        if label == "wildreplay" and q.rdtype == dns.rdatatype.A and \
                rel.to_text().lower() in ("exists", "nothere"):
            expand_wildcard(r, q.name, zone, N("*", zone.name), do)
            return r
        if label == "wildnsec" and q.rdtype == dns.rdatatype.A and \
                q.name != zone.name and not any(n == q.name for n, _ in zone.rrsets):
            wild_name = N("*", zone.name)
            nsec = zone.nsec_covering(wild_name)       # the NSEC at *, next www
            if not rel.to_text().lower().startswith("nx"):
                # The wildcard's answer, its RRSIG (labels 2 below the
                # zone's) and the NSEC proving no closer name.
                expand_wildcard(r, q.name, zone, wild_name, do)
                if do:
                    put(r.authority, nsec)
                return r
            r.set_rcode(dns.rcode.NXDOMAIN)
            put(r.authority, zone.rrsets[(zone.name, dns.rdatatype.SOA)])
            if do:
                fake = N("!", zone.name)
                for rs in [nsec] + zone.sign(nsec):
                    moved = dns.rrset.RRset(fake, rs.rdclass, rs.rdtype)
                    moved.update_ttl(rs.ttl)
                    moved.update(rs)
                    r.authority.append(moved)
            return r
        if label in ("inscut", "inscut3"):
            cut = N("unsigned", zone.name)
            child = self.inscut_child[label]
            if q.name.is_subdomain(cut) and q.name != cut:
                if q.rdtype != dns.rdatatype.DS and any(n == q.name for n, _ in child.rrsets):
                    rs = child.rrsets.get((q.name, q.rdtype))
                    if rs is not None:
                        r.answer.append(rs)
                    else:
                        r.authority.append(child.rrsets[(child.name, dns.rdatatype.SOA)])
                    return r
                if q.rdtype == dns.rdatatype.DS:
                    # NODATA, the cut's NSEC (or the NSEC3 matching it, the
                    # closest encloser, and the one covering the next closer)
                    put(r.authority, zone.rrsets[(zone.name, dns.rdatatype.SOA)])
                    if do:
                        if zone.nsec3 is None:
                            put(r.authority, zone.nsec_covering(cut))
                        else:
                            nc = dns.name.Name(q.name.labels[-len(cut.labels) - 1:])
                            ce, cover = zone.nsec3_for(cut, True), zone.nsec3_for(nc, False)
                            put(r.authority, ce)
                            if cover.name != ce.name:
                                put(r.authority, cover)
                    return r
        # Like NSD, the server answers from the deepest zone it serves: the
        # delegations below trap.net (and stripped's to its unsigned child)
        # show only in the DS answers, which come from the parent.
        rs = zone.rrsets.get((q.name, q.rdtype))
        if rs is not None:
            put(r.answer, rs)
            return r
        exists = any(n == q.name for n, _ in zone.rrsets)
        if not exists:
            r.set_rcode(dns.rcode.NXDOMAIN)
        put(r.authority, zone.rrsets[(zone.name, dns.rdatatype.SOA)])
        if not do or not zone.signed or label == "stripped":
            return r
        if zone.nsec3 is None:
            proofs = [zone.nsec_covering(q.name)]
            if not exists:
                proofs.append(zone.nsec_covering(N("*", zone.name)))
        elif label == "nsec3many":
            proofs = [rs for _, rs in zone.nsec3_chain()]
        elif exists:
            proofs = [zone.nsec3_for(q.name, True)]
        else:
            # the closest encloser: the longest existing ancestor (the apex,
            # or inscut3's delegation for the names below it)
            names = set(zone.names())
            ce = next(q.name.split(n)[1] for n in range(len(q.name), 0, -1)
                      if q.name.split(n)[1] in names)
            nc = dns.name.Name(q.name.labels[-len(ce.labels) - 1:])
            proofs = [zone.nsec3_for(ce, True), zone.nsec3_for(nc, False),
                      zone.nsec3_for(N("*", ce), False)]
        seen = set()
        for p in proofs:
            if p.name not in seen:
                seen.add(p.name)
                put(r.authority, p)
        return r


def render(r, over_tcp, payload):
    try:
        return r.to_wire(max_size=65535 if over_tcp else max(payload, 512))
    except dns.exception.TooBig:
        r.answer, r.authority, r.additional = [], [], []
        r.flags |= dns.flags.TC
        return r.to_wire()


def handle(server, wire, over_tcp):
    try:
        query = dns.message.from_wire(wire)
        r = server.answer(query)
        return render(r, over_tcp, query.payload if query.edns >= 0 else 512)
    except Exception as e:      # a bug here must not look like an attack
        print(f"hostile_dnssec: {e!r}", file=sys.stderr)
        return None


def serve_udp(server, sock):
    while True:
        wire, peer = sock.recvfrom(65535)
        out = handle(server, wire, False)
        if out:
            sock.sendto(out, peer)


def serve_tcp_conn(server, conn):
    try:
        for wire in read_messages(conn):
            out = handle(server, wire, True)
            if out:
                conn.sendall(struct.pack("!H", len(out)) + out)
    finally:
        conn.close()


def main():
    addr, pidfile, lab_dir = sys.argv[1:4]
    server = Server(lab_dir)
    serve(addr, pidfile, lambda sock: serve_udp(server, sock),
          lambda conn: serve_tcp_conn(server, conn))


if __name__ == "__main__":
    main()
