/*
 * nsec.h: authenticated denial of existence with NSEC (RFC 4035 §5.4,
 * RFC 6840 §4): NXDOMAIN, NODATA, no DS at a cut, wildcard expansion.
 *
 * The caller passes only NSEC records whose RRSIGs it has verified
 * (dnssec_verify_rrset) with the keys of `zone`; records of other types,
 * and NSECs whose owner or next name lies outside `zone`, are ignored.
 * These functions do no crypto and keep nothing. Each fills `verdict`
 * (see verify.h); ttl_cap is UINT32_MAX, wildcard_labels -1.
 *
 * Rules the ldns helpers get wrong and these do not: an NSEC's owner is
 * never "covered" by it; the wildcard denied for NXDOMAIN is the one at
 * the closest encloser, not at the immediate parent; an NSEC with NS and
 * without SOA (the parent side of a cut) proves nothing about names below
 * its owner, nor about types at its owner other than DS;
 * an NSEC with the DNAME bit proves nothing about names below its owner.
 */
#ifndef DESCEND_DNSSEC_NSEC_H
#define DESCEND_DNSSEC_NSEC_H

#include <ldns/ldns.h>

#include "dnssec/verify.h"

/*
 * NXDOMAIN for `qname`/`qtype` (RFC 4035 §5.4): an NSEC covers `qname`
 * (owner < qname < next in canonical order, the last NSEC wrapping to the
 * apex), and an NSEC covers "*.<closest encloser>", the closest encloser
 * being the longest common ancestor of qname with that NSEC's owner or
 * next name. SECURE when proven; INSECURE when an NSEC shows qname at or
 * below an unsigned delegation (NS without DS and SOA; for DS strictly
 * below it): it lies in a zone nobody can prove anything of
 * (verdict->unsigned_cut names the delegation); BOGUS (EDE 12) otherwise,
 * also for a DS at the cut, whose NSEC says the name exists.
 */
void nsec_prove_nxdomain(const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    struct dnssec_verdict *verdict);

/*
 * NODATA for `qname`/`qtype`: an NSEC at qname without qtype and CNAME in
 * its bitmap (for qtype DS it must have SOA clear: the child's apex NSEC
 * cannot speak for the parent; for other types it must not be a parent-side
 * NSEC, NS set and SOA clear); or qname is an
 * empty non-terminal (an NSEC covers qname and its next name is below
 * qname); or wildcard NODATA (an NSEC covers qname, and an NSEC at
 * "*.<closest encloser>" lacks qtype and CNAME, or one proves that wildcard
 * an empty non-terminal). SECURE when proven; INSECURE when qname is at
 * or below an unsigned delegation (as for NXDOMAIN; for DS strictly below
 * it: at the cut the NSEC is the parent's no-DS proof); BOGUS (EDE 12)
 * otherwise.
 */
void nsec_prove_nodata(const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    struct dnssec_verdict *verdict);

/*
 * No DS for `name`, a child of `zone` (a referral without DS, or a NODATA
 * reply to a DS query). INSECURE: an NSEC at `name` with NS set, DS and
 * SOA clear — a delegation proven unsigned. SECURE: proven that `name`
 * has no DS and is no delegation (the NSEC at name lacks NS, or name is an
 * empty non-terminal): the caller keeps using `zone`'s keys below it.
 * BOGUS (EDE 12): no proof, or an NSEC that says DS exists.
 */
void nsec_prove_no_ds(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsecs, struct dnssec_verdict *verdict);

/*
 * A positive answer for `qname` expanded from a wildcard whose closest
 * encloser has `ce_labels` labels (dnssec_verify_rrset's wildcard_labels):
 * an NSEC must cover qname with exactly that closest encloser, so that no
 * closer name exists (RFC 4035 §5.3.4). SECURE when proven; BOGUS
 * (EDE 12) otherwise, also when ce_labels is not below qname's count.
 */
void nsec_prove_wildcard(const ldns_rdf *qname, int ce_labels,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    struct dnssec_verdict *verdict);

/*
 * Canonical-order coverage test used by the proofs (RFC 4034 §6.1):
 * true when owner < name < next, or, for the zone's last NSEC (next <=
 * owner), when name > owner. A name equal to the owner is not covered.
 * `name` must be inside the zone; exposed for the tests and RFC 8198.
 */
bool nsec_covers(const ldns_rdf *owner, const ldns_rdf *next,
    const ldns_rdf *name);

/*
 * True when the NSEC/NSEC3 type bitmap `bitmap` (RFC 4034 §4.1.2) lists
 * `type`; false for a malformed bitmap or NULL (an empty one, as an empty
 * non-terminal's NSEC3 has). Bounds-checked: the bitmap comes from the
 * network.
 */
bool nsec_bitmap_has(const ldns_rdf *bitmap, ldns_rr_type type);

#endif /* DESCEND_DNSSEC_NSEC_H */
