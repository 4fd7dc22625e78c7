#!/usr/bin/python3
# dnssec_seeds.py: writes the seed corpus of fuzz_dnssec (tests/fuzz/corpus/
# dnssec/): signed answers (algorithms 8, 13, 15) with their DNSKEY and DS,
# NSEC and NSEC3 denials, a wildcard expansion, and KeyTrap/NSEC3-limit
# shapes. The seed "wildcard" (an expanded *.w.example.com TXT with its NSEC)
# was made with ldns_sign_public: dnspython 2.3 counts the "*" label in the
# RRSIG labels field (RFC 4034 §3.1.3 says not to); this script writes its
# version as "wildcard-labels-with-star". Signed for 2025-12-01..2026-02-01 (the target's clock is
# 2026-01-01). Needs dnspython and python3-cryptography. Usage:
#   tests/fuzz/dnssec_seeds.py tests/fuzz/corpus/dnssec
import os
import sys

import dns.dnssec
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

INCEPTION = 1764547200   # 2025-12-01
EXPIRATION = 1769904000  # 2026-02-01
ZONE = dns.name.from_text("example.com.")
OUT = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus/dnssec"


def keypair(alg):
    if alg == 8:
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)
    if alg == 13:
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def dnskey_of(priv, alg, flags):
    return dns.dnssec.make_dnskey(priv.public_key(), alg, flags)


def sign(rrset, priv, dnskey, signer=ZONE):
    return dns.dnssec.sign(rrset, priv, signer, dnskey,
                           inception=INCEPTION, expiration=EXPIRATION)


def rrset(name, rtype, *texts, ttl=300):
    return dns.rrset.from_text(name, ttl, "IN", rtype, *texts)


def sig_rrset(rrs, priv, dnskey, signer=ZONE):
    sig = sign(rrs, priv, dnskey, signer)
    return dns.rrset.from_rdata(rrs.name, rrs.ttl, sig)


def write(name, msg):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(msg.to_wire(max_size=65535))


def signed_answer(alg):
    ksk, zsk = keypair(alg), keypair(alg)
    kdn, zdn = dnskey_of(ksk, alg, 257), dnskey_of(zsk, alg, 256)
    keys = dns.rrset.from_rdata(ZONE, 3600, kdn, zdn)
    a = rrset("www.example.com.", "A", "192.0.2.1", "192.0.2.2")
    ds = dns.rrset.from_rdata(ZONE, 3600, dns.dnssec.make_ds(ZONE, kdn, "SHA256"))
    m = dns.message.make_query("www.example.com.", "A", want_dnssec=True)
    r = dns.message.make_response(m)
    r.answer += [a, sig_rrset(a, zsk, zdn)]
    r.authority += [ds]
    r.additional += [keys, sig_rrset(keys, ksk, kdn)]
    return r, zsk, zdn


def main():
    os.makedirs(OUT, exist_ok=True)
    for alg in (8, 13, 15):
        r, _, _ = signed_answer(alg)
        write("signed-alg%d" % alg, r)
    r, zsk, zdn = signed_answer(13)

    # NXDOMAIN with NSEC: c.example.com, wildcard denied at the apex.
    nsecs = [rrset("example.com.", "NSEC", "a.example.com. NS SOA RRSIG NSEC DNSKEY"),
             rrset("a.example.com.", "NSEC", "d.example.com. A RRSIG NSEC")]
    m = dns.message.make_query("c.example.com.", "A", want_dnssec=True)
    nx = dns.message.make_response(m)
    nx.set_rcode(3)
    for n in nsecs:
        nx.authority += [n, sig_rrset(n, zsk, zdn)]
    nx.additional += r.additional
    write("nsec-nxdomain", nx)
    # The same with the zone's signed SOA: what aggressive NSEC (RFC 8198,
    # resolver/dnssec/nsec_cache.c) keeps and looks c.example.com up in.
    soa = rrset("example.com.", "SOA",
                "ns1.example.com. host.example.com. 1 3600 600 86400 300")
    nx.authority += [soa, sig_rrset(soa, zsk, zdn)]
    write("nsec-nxdomain-soa", nx)

    # NSEC3 (0 iterations, salt AB): NXDOMAIN and NODATA, opt-out variant.
    names = ["example.com.", "a.example.com.", "d.example.com.", "w.example.com.",
             "*.w.example.com."]
    types = ["NS SOA RRSIG DNSKEY NSEC3PARAM", "A RRSIG", "NS DS RRSIG", "", "TXT RRSIG"]
    for flags, iterations, label in ((0, 0, "nsec3"), (1, 0, "nsec3-optout"),
                                     (0, 200, "nsec3-200-iterations")):
        hashed = sorted((dns.dnssec.nsec3_hash(n, "AB", iterations, 1), t)
                        for n, t in zip(names, types))
        m = dns.message.make_query("c.example.com.", "A", want_dnssec=True)
        resp = dns.message.make_response(m)
        resp.set_rcode(3)
        for i, (h, t) in enumerate(hashed):
            nxt = hashed[(i + 1) % len(hashed)][0]
            n3 = rrset(h.lower() + ".example.com.", "NSEC3",
                       "1 %d %d AB %s %s" % (flags, iterations, nxt, t))
            resp.authority += [n3, sig_rrset(n3, zsk, zdn)]
        resp.additional += r.additional
        write(label, resp)

    # Too many NSEC3 records (9) in one reply.
    m = dns.message.make_query("zz.example.com.", "A", want_dnssec=True)
    many = dns.message.make_response(m)
    many.set_rcode(3)
    hs = sorted(dns.dnssec.nsec3_hash(c + ".example.com.", None, 0, 1) for c in "abcdefghi")
    for i, h in enumerate(hs):
        many.authority += [rrset(h.lower() + ".example.com.", "NSEC3",
                                 "1 0 0 - %s A" % hs[(i + 1) % len(hs)])]
    write("nsec3-too-many", many)

    # A wildcard expansion: *.w.example.com signed, served for x.w.example.com.
    wild = rrset("*.w.example.com.", "TXT", '"wild"')
    wsig = sign(wild, zsk, zdn)
    m = dns.message.make_query("x.w.example.com.", "TXT", want_dnssec=True)
    wr = dns.message.make_response(m)
    wr.answer += [rrset("x.w.example.com.", "TXT", '"wild"'),
                  dns.rrset.from_rdata("x.w.example.com.", 300, wsig)]
    wr.authority += [rrset("*.w.example.com.", "NSEC", "z.example.com. TXT RRSIG NSEC")]
    wr.additional += r.additional
    write("wildcard-labels-with-star", wr)

    # KeyTrap shape: many keys and many signatures over one RRset.
    m = dns.message.make_query("www.example.com.", "A", want_dnssec=True)
    kt = dns.message.make_response(m)
    a = rrset("www.example.com.", "A", "192.0.2.1")
    kt.answer += [a]
    keys = []
    for _ in range(12):
        priv = keypair(13)
        dk = dnskey_of(priv, 13, 256)
        keys.append(dk)
        kt.answer += [sig_rrset(a, priv, dk)]
    kt.additional += [dns.rrset.from_rdata(ZONE, 3600, *keys)]
    write("keytrap", kt)


main()
