/*
 * nsec.c: NSEC denial proofs (RFC 4035 §5.4, RFC 6840 §4.1-4.3) written
 * against the mistakes of ldns_dnssec_verify_denial: the wildcard checked
 * at the closest encloser, owners never covered, cut and DNAME bits obeyed.
 */
#include <ctype.h>
#include <string.h>

#include "dname.h"
#include "dnssec/nsec.h"

bool
nsec_bitmap_has(const ldns_rdf *bitmap, ldns_rr_type type)
{
	const uint8_t *p;
	size_t len, i = 0;
	uint8_t window = type >> 8, bit = type & 0xff;

	if (bitmap == NULL)
		return false;
	p = ldns_rdf_data(bitmap);
	len = ldns_rdf_size(bitmap);
	while (i + 2 <= len) {
		uint8_t w = p[i], wlen = p[i + 1];

		if (wlen == 0 || wlen > 32 || i + 2 + wlen > len)
			return false;
		if (w == window)
			return bit / 8 < wlen &&
			    (p[i + 2 + bit / 8] & (0x80 >> (bit % 8))) != 0;
		i += 2 + wlen;
	}
	return false;
}

static const ldns_rdf *
nsec_next(const ldns_rr *nsec)
{
	return ldns_rr_rdf(nsec, 0);
}

/* An NSEC without a bitmap rdata (rare but legal on the wire) lists nothing. */
static bool
nsec_has(const ldns_rr *nsec, ldns_rr_type type)
{
	if (ldns_rr_rd_count(nsec) < 2)
		return false;
	return nsec_bitmap_has(ldns_rr_rdf(nsec, 1), type);
}

/* An NSEC of `zone`, well formed, owner and next name inside the zone. */
static bool
nsec_usable(const ldns_rr *rr, const ldns_rdf *zone)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC &&
	    ldns_rr_rd_count(rr) >= 1 && ldns_rr_rd_count(rr) <= 2 &&
	    ldns_rdf_get_type(nsec_next(rr)) == LDNS_RDF_TYPE_DNAME &&
	    dname_in_bailiwick(ldns_rr_owner(rr), zone) &&
	    dname_in_bailiwick(nsec_next(rr), zone);
}

/* The parent side of a zone cut: NS without SOA (RFC 4035 §2.3, RFC 6840 §4.1). */
static bool
nsec_is_delegation(const ldns_rr *nsec)
{
	return nsec_has(nsec, LDNS_RR_TYPE_NS) && !nsec_has(nsec, LDNS_RR_TYPE_SOA);
}

static bool
is_strict_subdomain(const ldns_rdf *name, const ldns_rdf *ancestor)
{
	return dname_in_bailiwick(name, ancestor) && !dname_equal(name, ancestor);
}

/*
 * Whether `nsec` may speak about `name` at all: an NSEC at a proper ancestor
 * of `name` that is a delegation or a DNAME says nothing about names below
 * it (the data there lives in another zone or is synthesised).
 */
static bool
nsec_may_speak_below(const ldns_rr *nsec, const ldns_rdf *name)
{
	if (!is_strict_subdomain(name, ldns_rr_owner(nsec)))
		return true;
	return !nsec_is_delegation(nsec) && !nsec_has(nsec, LDNS_RR_TYPE_DNAME);
}

bool
nsec_covers(const ldns_rdf *owner, const ldns_rdf *next, const ldns_rdf *name)
{
	if (ldns_dname_compare(owner, name) >= 0)
		return false;
	if (ldns_dname_compare(owner, next) < 0)
		return ldns_dname_compare(name, next) < 0;
	/* The zone's last NSEC: its next name is the apex, it covers the rest. */
	return true;
}

/* Offsets of the labels of wire name `name`; returns the count (no root). */
static unsigned
label_offsets(const ldns_rdf *name, size_t offsets[128])
{
	const uint8_t *p = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name), i = 0;
	unsigned n = 0;

	while (i < len && p[i] != 0 && n < 128) {
		offsets[n++] = i;
		i += (size_t)p[i] + 1;
	}
	return n;
}

/* Labels `a` and `b` share from the root, ignoring case. */
static unsigned
common_labels(const ldns_rdf *a, const ldns_rdf *b)
{
	size_t oa[128], ob[128];
	unsigned na = label_offsets(a, oa), nb = label_offsets(b, ob), n = 0;
	const uint8_t *pa = ldns_rdf_data(a), *pb = ldns_rdf_data(b);

	while (n < na && n < nb) {
		const uint8_t *la = pa + oa[na - 1 - n], *lb = pb + ob[nb - 1 - n];

		if (la[0] != lb[0])
			break;
		for (size_t i = 1; i <= la[0]; i++)
			if (LDNS_DNAME_NORMALIZE(la[i]) != LDNS_DNAME_NORMALIZE(lb[i]))
				return n;
		n++;
	}
	return n;
}

/*
 * An NSEC that covers `name` and may speak about it: with `below` false,
 * one whose next name is not below `name`, proving it does not exist; with
 * `below` true, one whose next name lies below it, proving it an empty
 * non-terminal, which exists (RFC 4035 §3.1.3.2). NULL when there is none.
 */
static const ldns_rr *
find_cover(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsecs, bool below)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(nsecs, i);

		if (nsec_usable(rr, zone) &&
		    nsec_covers(ldns_rr_owner(rr), nsec_next(rr), name) &&
		    nsec_may_speak_below(rr, name) &&
		    is_strict_subdomain(nsec_next(rr), name) == below)
			return rr;
	}
	return NULL;
}

/* An NSEC proving `name` does not exist, or NULL. */
static const ldns_rr *
find_covering(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsecs)
{
	return find_cover(name, zone, nsecs, false);
}

/* An NSEC proving `name` an empty non-terminal, or NULL. */
static const ldns_rr *
find_ent_proof(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsecs)
{
	return find_cover(name, zone, nsecs, true);
}

/* The NSEC owned by `name`, NULL when none. */
static const ldns_rr *
find_matching(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsecs)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(nsecs, i);

		if (nsec_usable(rr, zone) && dname_equal(ldns_rr_owner(rr), name))
			return rr;
	}
	return NULL;
}

/*
 * The closest encloser a covering NSEC implies for `name` (RFC 4035
 * §5.4): the longest ancestor `name` shares with the NSEC's owner or next
 * name, as a label count.
 */
static unsigned
closest_encloser_labels(const ldns_rr *cover, const ldns_rdf *name)
{
	unsigned a = common_labels(name, ldns_rr_owner(cover));
	unsigned b = common_labels(name, nsec_next(cover));

	return a > b ? a : b;
}

/*
 * Whether the closest encloser (`labels` labels of `name`) is a node that
 * ends the zone's say: a delegation or a DNAME there means the name is not
 * this zone's to deny (RFC 6840 §4.1).
 */
static bool
encloser_is_cut_or_dname(const ldns_rdf *name, unsigned labels,
    const ldns_rdf *zone, const ldns_rr_list *nsecs)
{
	ldns_rdf *ce = dname_ancestor(name, labels);
	const ldns_rr *at = ce != NULL ? find_matching(ce, zone, nsecs) : NULL;
	/* The apex NSEC has SOA, so only a real cut counts as delegation. */
	bool stop = at != NULL &&
	    (nsec_is_delegation(at) || nsec_has(at, LDNS_RR_TYPE_DNAME));

	ldns_rdf_deep_free(ce);
	return stop;
}

static void
not_proven(struct dnssec_verdict *verdict, const char *why)
{
	dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_NSEC_MISSING, why);
}

/*
 * Whether a verified NSEC shows `name` at or below an unsigned delegation
 * of the zone (NS without DS and SOA at `name` or an ancestor; strictly
 * below it with `strict`): the name lies in a zone with no chain of trust,
 * which the parent's NSECs cannot deny and nobody can prove, so its denial
 * is insecure, not bogus (RFC 4035 §5.2; Unbound's
 * val_nsec_proves_insecuredelegation). A delegation with a DS stays bogus:
 * that child is signed and must answer for itself. The cut's label count
 * goes to verdict->unsigned_cut.
 */
static bool
below_insecure_cut(const ldns_rdf *name, bool strict, const ldns_rdf *zone,
    const ldns_rr_list *nsecs, struct dnssec_verdict *verdict)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(nsecs, i);

		if (nsec_usable(rr, zone) && nsec_is_delegation(rr) &&
		    !nsec_has(rr, LDNS_RR_TYPE_DS) &&
		    (strict ? is_strict_subdomain(name, ldns_rr_owner(rr)) :
		    dname_in_bailiwick(name, ldns_rr_owner(rr)))) {
			dnssec_verdict_set(verdict, SEC_INSECURE,
			    DNSSEC_EDE_NONE,
			    "the name is at or below an unsigned delegation");
			verdict->unsigned_cut =
			    (int)dname_labels(ldns_rr_owner(rr));
			return true;
		}
	}
	return false;
}

void
nsec_prove_nxdomain(const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    struct dnssec_verdict *verdict)
{
	const ldns_rr *cover, *wcover;
	ldns_rdf *wild;
	unsigned ce;

	if (!dname_in_bailiwick(qname, zone)) {
		not_proven(verdict, "name outside the zone of the NSEC records");
		return;
	}
	/*
	 * For DS only strictly below the cut, as for NODATA: the DS at the
	 * cut is the parent's own data, and the parent's NSEC there says the
	 * name exists, which an NXDOMAIN contradicts (RFC 4035 §5.4): bogus,
	 * below, not the insecure verdict of a name in the unsigned child.
	 */
	if (below_insecure_cut(qname, qtype == LDNS_RR_TYPE_DS, zone, nsecs,
	    verdict))
		return;
	if (find_matching(qname, zone, nsecs) != NULL) {
		not_proven(verdict, "an NSEC says the name exists");
		return;
	}
	if ((cover = find_covering(qname, zone, nsecs)) == NULL) {
		not_proven(verdict, "no NSEC covers the name");
		return;
	}
	ce = closest_encloser_labels(cover, qname);
	if (encloser_is_cut_or_dname(qname, ce, zone, nsecs)) {
		not_proven(verdict, "the closest encloser is a delegation or DNAME");
		return;
	}
	if ((wild = dname_wildcard_at(qname, ce)) == NULL) {
		not_proven(verdict, "out of memory");
		return;
	}
	if (find_matching(wild, zone, nsecs) != NULL)
		not_proven(verdict, "the wildcard at the closest encloser exists");
	else if ((wcover = find_covering(wild, zone, nsecs)) == NULL)
		not_proven(verdict, "no NSEC denies the wildcard at the closest "
		    "encloser");
	else
		dnssec_verdict_set(verdict, SEC_SECURE, DNSSEC_EDE_NONE,
		    "NSEC proves the name and the wildcard do not exist");
	ldns_rdf_deep_free(wild);
}

/* NODATA at a matching NSEC: the types, and which side of a cut it is. */
static bool
matching_denies_type(const ldns_rr *nsec, const ldns_rdf *qname,
    ldns_rr_type qtype, const char **why)
{
	if (nsec_has(nsec, qtype)) {
		*why = "the NSEC lists the queried type";
		return false;
	}
	if (nsec_has(nsec, LDNS_RR_TYPE_CNAME)) {
		*why = "the NSEC says the name is a CNAME";
		return false;
	}
	if (qtype == LDNS_RR_TYPE_DS) {
		/* Only the parent's NSEC speaks for DS; the root has no parent. */
		if (nsec_has(nsec, LDNS_RR_TYPE_SOA) && dname_labels(qname) > 0) {
			*why = "the child zone's apex NSEC cannot deny a DS";
			return false;
		}
		return true;
	}
	if (nsec_is_delegation(nsec)) {
		*why = "a parent-side NSEC proves nothing but DS";
		return false;
	}
	return true;
}

void
nsec_prove_nodata(const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    struct dnssec_verdict *verdict)
{
	const ldns_rr *match, *cover;
	const char *why = "no NSEC proves the type does not exist";

	if (!dname_in_bailiwick(qname, zone)) {
		not_proven(verdict, "name outside the zone of the NSEC records");
		return;
	}
	/*
	 * For DS only strictly below the cut: at the cut, its NSEC is the
	 * ordinary no-DS proof (below). A DS strictly below it is data of the
	 * unsigned child (RFC 4035 §2.4: the DS of a name lives in the zone
	 * above that name), in the branch RFC 4035 §4.3 calls provably
	 * insecure: insecure as for any other type (Unbound's
	 * validate_nodata_response with val_nsec_proves_insecuredelegation).
	 */
	if (below_insecure_cut(qname, qtype == LDNS_RR_TYPE_DS, zone, nsecs,
	    verdict))
		return;
	if ((match = find_matching(qname, zone, nsecs)) != NULL) {
		if (matching_denies_type(match, qname, qtype, &why))
			dnssec_verdict_set(verdict, SEC_SECURE, DNSSEC_EDE_NONE,
			    "NSEC at the name lacks the type");
		else
			not_proven(verdict, why);
		return;
	}
	if (find_ent_proof(qname, zone, nsecs) != NULL) {
		dnssec_verdict_set(verdict, SEC_SECURE, DNSSEC_EDE_NONE,
		    "NSEC proves an empty non-terminal");
		return;
	}
	/* Wildcard NODATA: the name does not exist, the wildcard at its closest
	 * encloser does, without the type (RFC 4035 §3.1.3.4). */
	if ((cover = find_covering(qname, zone, nsecs)) != NULL) {
		unsigned ce = closest_encloser_labels(cover, qname);
		ldns_rdf *wild;
		bool ent;

		if (encloser_is_cut_or_dname(qname, ce, zone, nsecs)) {
			not_proven(verdict,
			    "the closest encloser is a delegation or DNAME");
			return;
		}
		if ((wild = dname_wildcard_at(qname, ce)) == NULL) {
			not_proven(verdict, "out of memory");
			return;
		}
		match = find_matching(wild, zone, nsecs);
		/* A wildcard that is an empty non-terminal matches too, and
		 * has no data (RFC 4592 §2.2.2). */
		ent = match == NULL && find_ent_proof(wild, zone, nsecs) != NULL;
		ldns_rdf_deep_free(wild);
		if (ent || (match != NULL && matching_denies_type(match, qname,
		    qtype, &why))) {
			dnssec_verdict_set(verdict, SEC_SECURE, DNSSEC_EDE_NONE,
			    "NSEC proves wildcard NODATA");
			return;
		}
		if (match == NULL)
			why = "the name does not exist (NXDOMAIN, not NODATA)";
	}
	not_proven(verdict, why);
}

void
nsec_prove_no_ds(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsecs, struct dnssec_verdict *verdict)
{
	const ldns_rr *match;

	if (!is_strict_subdomain(name, zone)) {
		not_proven(verdict, "a DS denial must come from the parent zone");
		return;
	}
	if ((match = find_matching(name, zone, nsecs)) != NULL) {
		if (nsec_has(match, LDNS_RR_TYPE_DS))
			not_proven(verdict, "the NSEC says the DS exists");
		else if (nsec_has(match, LDNS_RR_TYPE_SOA))
			not_proven(verdict,
			    "the child zone's apex NSEC cannot deny a DS");
		else if (nsec_has(match, LDNS_RR_TYPE_NS))
			dnssec_verdict_set(verdict, SEC_INSECURE, DNSSEC_EDE_NONE,
			    "NSEC proves an unsigned delegation");
		else
			dnssec_verdict_set(verdict, SEC_SECURE, DNSSEC_EDE_NONE,
			    "NSEC proves no delegation at the name");
		return;
	}
	if (find_ent_proof(name, zone, nsecs) != NULL) {
		dnssec_verdict_set(verdict, SEC_SECURE, DNSSEC_EDE_NONE,
		    "NSEC proves an empty non-terminal, no delegation");
		return;
	}
	not_proven(verdict, "no NSEC at the delegation proves the DS absent");
}

void
nsec_prove_wildcard(const ldns_rdf *qname, int ce_labels,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    struct dnssec_verdict *verdict)
{
	const ldns_rr *cover;

	if (ce_labels < 0 || (unsigned)ce_labels >= dname_labels(qname) ||
	    (unsigned)ce_labels < dname_labels(zone) ||
	    !dname_in_bailiwick(qname, zone)) {
		not_proven(verdict, "wildcard labels do not fit the name or zone");
		return;
	}
	if ((cover = find_covering(qname, zone, nsecs)) == NULL) {
		not_proven(verdict, "no NSEC proves the name does not exist");
		return;
	}
	if (closest_encloser_labels(cover, qname) != (unsigned)ce_labels) {
		not_proven(verdict,
		    "the NSEC shows a closer name than the wildcard's parent");
		return;
	}
	dnssec_verdict_set(verdict, SEC_SECURE, DNSSEC_EDE_NONE,
	    "NSEC proves the wildcard expansion");
}
