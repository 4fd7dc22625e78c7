#!/usr/bin/python3
"""nozonebit.py: signs a lab zone with a DNSKEY whose Zone Key bit is clear
(flags 1), which ldns-signzone refuses to sign with: every signature is
right, so a validator can only reject the zone for the missing bit.
Usage: nozonebit.py ZONE SOURCE OUTPUT DSFILE KEYFILE INCEPTION EXPIRATION
(the key is an ECDSA P-256 PEM, made on first use and kept in KEYFILE)."""
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone


def load_key(path):
    if os.path.exists(path):
        with open(path, "rb") as f:
            return serialization.load_pem_private_key(f.read(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return key


def main():
    zone_name, source, output, dsfile, keyfile, inception, expiration = sys.argv[1:8]
    origin = dns.name.from_text(zone_name)
    zone = dns.zone.from_file(source, origin, relativize=False)
    key = load_key(keyfile)
    dnskey = dns.dnssec.make_dnskey(key.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256,
                                    flags=dns.dnssec.Flag.SEP)
    zone.find_rdataset(origin, "DNSKEY", create=True).add(dnskey, 3600)
    lines = []
    for name, node in sorted(zone.nodes.items()):
        for rdataset in node.rdatasets:
            rrset = dns.rrset.RRset(name, rdataset.rdclass, rdataset.rdtype)
            rrset.update(rdataset)
            lines.append(rrset.to_text())
            # Glue below a cut would not be signed; this zone has none.
            sig = dns.dnssec.sign(rrset, key, origin, dnskey, inception=int(inception),
                                  expiration=int(expiration))
            sigset = dns.rrset.RRset(name, rdataset.rdclass, dns.rdatatype.RRSIG)
            sigset.add(sig, rdataset.ttl)
            lines.append(sigset.to_text())
    with open(output, "w") as f:
        f.write("\n".join(lines) + "\n")
    ds = dns.dnssec.make_ds(origin, dnskey, "SHA256")
    with open(dsfile, "w") as f:
        f.write(f"{origin.to_text()} 86400 IN DS {ds.to_text()}\n")


if __name__ == "__main__":
    main()
