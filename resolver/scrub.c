/*
 * scrub.c: what of a reply is trusted. A server speaks only for names in
 * the bailiwick of the zone it was asked as (RFC 2181 §5.4.1, Unbound's
 * iter_scrub.c): records outside it, answer records off the CNAME/DNAME
 * chain, authority records that are neither the referral nor the SOA, and
 * additional records that are not glue for the referral's NS names are
 * dropped before anything looks at them.
 */
#include <string.h>

#include "dname.h"
#include "engine_limits.h"
#include "reply.h"

static void
scrub_drop(const struct reply_context *ctx, const ldns_rr *rr, const char *why)
{
	if (ctx->dropped != NULL)
		ctx->dropped(ctx->dropped_ctx, rr, why);
}

/* Whether `list` holds the record `rr` itself (not an equal one). */
static bool
holds_rr(const ldns_rr_list *list, const ldns_rr *rr)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++)
		if (ldns_rr_list_rr(list, i) == rr)
			return true;
	return false;
}

/*
 * Puts a record of the reply into a view list: under reply_scrub_take the
 * record itself, which leaves the packet when the scrub ends (listed in
 * v->taken until then), unless the view holds it already; otherwise a
 * copy. With `lower_rdata`, the names in its rdata are lowercased too.
 */
static bool
scrub_keep(struct reply_view *v, ldns_rr_list **list, const ldns_rr *rr,
    bool lower_rdata)
{
	bool take = v->taken != NULL && !holds_rr(v->taken, rr);
	/* reply_scrub_take was given the packet to take from: not const. */
	ldns_rr *kept = take ? (ldns_rr *)rr : reply_rr_clone(rr);

	if (kept == NULL)
		return false;
	dname_canonical(ldns_rr_owner(kept));
	for (size_t i = 0; lower_rdata && i < ldns_rr_rd_count(kept); i++)
		if (ldns_rdf_get_type(ldns_rr_rdf(kept, i)) == LDNS_RDF_TYPE_DNAME)
			dname_canonical(ldns_rr_rdf(kept, i));
	if ((*list == NULL && (*list = ldns_rr_list_new()) == NULL) ||
	    !ldns_rr_list_push_rr(*list, kept)) {
		if (!take)
			ldns_rr_free(kept);
		return false;
	}
	if (take && !ldns_rr_list_push_rr(v->taken, kept)) {
		ldns_rr_list_pop_rr(*list);
		return false;
	}
	return true;
}

/*
 * Keeps `rr` with its names in lowercase: names compressed against the
 * question carry our 0x20 case, which must not reach the cache.
 */
static bool
scrub_push(struct reply_view *v, ldns_rr_list **list, const ldns_rr *rr)
{
	return scrub_keep(v, list, rr, true);
}

/*
 * Keeps an NSEC or NSEC3 record: its owner in lowercase (it may be
 * compressed against our 0x20 question) and its next name as sent, in its
 * original case, as its RRSIG covers it (RFC 6840 §5.1).
 */
static bool
scrub_push_proof(struct reply_view *v, ldns_rr_list **list, const ldns_rr *rr)
{
	return scrub_keep(v, list, rr, false);
}

/* Lets go of a record a view list no longer holds. */
static void
scrub_release(struct reply_view *v, ldns_rr *rr)
{
	size_t n = ldns_rr_list_rr_count(v->taken);

	for (size_t i = 0; i < n; i++)
		if (ldns_rr_list_rr(v->taken, i) == rr) {
			/* Still the packet's: it stays there. */
			ldns_rr_list_set_rr(v->taken,
			    ldns_rr_list_rr(v->taken, n - 1), i);
			ldns_rr_list_set_rr_count(v->taken, n - 1);
			return;
		}
	ldns_rr_free(rr);
}

/*
 * A DNAME at `dname_rr` applied to `name`: sets *out to the synthesised
 * target, or to NULL when it would be too long (RFC 6672 §2.2, YXDOMAIN).
 * Returns false only when memory runs out.
 */
static bool
dname_substitute(const ldns_rr *dname_rr, const ldns_rdf *name, ldns_rdf **out)
{
	const ldns_rdf *owner = ldns_rr_owner(dname_rr);
	const ldns_rdf *target = ldns_rr_rdf(dname_rr, 0);
	unsigned keep = dname_labels(name) - dname_labels(owner);
	const uint8_t *d = ldns_rdf_data(name);
	uint8_t buf[DNAME_WIRE_MAX];
	size_t off = 0;

	*out = NULL;
	if (target == NULL)
		return true;
	/* Keep the labels left of the owner, then append the target. */
	for (unsigned i = 0; i < keep; i++)
		off += (size_t)d[off] + 1;
	if (off + ldns_rdf_size(target) > DNAME_WIRE_MAX)
		return true;
	memcpy(buf, d, off);
	memcpy(buf + off, ldns_rdf_data(target), ldns_rdf_size(target));
	*out = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
	    off + ldns_rdf_size(target), buf);
	if (*out == NULL)
		return false;
	/* Lowercase: the name carries our 0x20 query's case. */
	ldns_dname2canonical(*out);
	return true;
}

/*
 * The alias record just kept, lowercased: the name followed is read from
 * it, not from the reply's record, which a copying scrub leaves as sent.
 */
static const ldns_rr *
chain_last(const struct reply_view *v)
{
	return ldns_rr_list_rr(v->chain, ldns_rr_list_rr_count(v->chain) - 1);
}

/* The CNAME a DNAME stands for: `name` CNAME `target` (NULL: no memory). */
static ldns_rr *
synthesise_cname(const ldns_rr *dname_rr, const ldns_rdf *name,
    const ldns_rdf *target)
{
	ldns_rr *cname = ldns_rr_new();
	ldns_rdf *owner = ldns_rdf_clone(name), *rdata = ldns_rdf_clone(target);

	if (cname == NULL || owner == NULL || rdata == NULL) {
		ldns_rr_free(cname);
		ldns_rdf_deep_free(owner);
		ldns_rdf_deep_free(rdata);
		return NULL;
	}
	ldns_dname2canonical(owner);
	ldns_rr_set_type(cname, LDNS_RR_TYPE_CNAME);
	ldns_rr_set_owner(cname, owner);
	ldns_rr_set_ttl(cname, ldns_rr_ttl(dname_rr));
	ldns_rr_set_class(cname, ldns_rr_get_class(dname_rr));
	if (!ldns_rr_push_rdf(cname, rdata)) {
		ldns_rdf_deep_free(rdata);
		ldns_rr_free(cname);
		return NULL;
	}
	return cname;
}

/*
 * Whether the rdata of a type the iterator reads has the shape it needs:
 * ldns accepts empty rdata (RFC 2136 updates), a resolver must not.
 */
static bool
rr_well_formed(const ldns_rr *rr)
{
	const ldns_rdf *first = ldns_rr_rdf(rr, 0);

	switch (ldns_rr_get_type(rr)) {
	case LDNS_RR_TYPE_A:
		return first != NULL && ldns_rdf_size(first) == 4;
	case LDNS_RR_TYPE_AAAA:
		return first != NULL && ldns_rdf_size(first) == 16;
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_DNAME:
		return first != NULL &&
		    ldns_rdf_get_type(first) == LDNS_RDF_TYPE_DNAME;
	case LDNS_RR_TYPE_SOA:
		return ldns_rr_rd_count(rr) == 7 && ldns_rr_rdf(rr, 6) != NULL;
	default:
		return true;
	}
}

/* Records of `type` owned by `name` in `section`, NULL if none. */
static const ldns_rr *
find_rr(const ldns_rr_list *section, const ldns_rdf *name, ldns_rr_type type)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(section); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(section, i);

		if (ldns_rr_get_type(rr) == type && rr_well_formed(rr) &&
		    dname_equal(ldns_rr_owner(rr), name))
			return rr;
	}
	return NULL;
}

/* A DNAME in `section` whose owner is a proper ancestor of `name`. */
static const ldns_rr *
find_dname(const ldns_rr_list *section, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(section); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(section, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME &&
		    rr_well_formed(rr) &&
		    dname_in_bailiwick(name, ldns_rr_owner(rr)) &&
		    !dname_equal(name, ldns_rr_owner(rr)))
			return rr;
	}
	return NULL;
}

/*
 * Keeps every well-formed record of (name, type, class) of section in
 * *out, lowercased (scrub_push): under reply_scrub_take the reply's records
 * themselves, which leave the packet, otherwise copies.
 */
static bool
take_rrset(struct reply_view *v, const ldns_rr_list *section,
    const ldns_rdf *name, ldns_rr_type type, ldns_rr_class klass,
    ldns_rr_list **out)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(section); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(section, i);

		if (ldns_rr_get_type(rr) == type && rr_well_formed(rr) &&
		    ldns_rr_get_class(rr) == klass &&
		    dname_equal(ldns_rr_owner(rr), name) &&
		    !scrub_push(v, out, rr))
			return false;
	}
	return true;
}

/*
 * The same record, names compared without case (the records kept are
 * lowercased, the reply's others carry the 0x20 case). ldns_rr_compare()
 * would allocate two buffers per call, and crashes when that fails.
 */
static bool
rr_same(const ldns_rr *a, const ldns_rr *b)
{
	if (ldns_rr_get_type(a) != ldns_rr_get_type(b) ||
	    ldns_rr_get_class(a) != ldns_rr_get_class(b) ||
	    ldns_rr_rd_count(a) != ldns_rr_rd_count(b) ||
	    !dname_equal(ldns_rr_owner(a), ldns_rr_owner(b)))
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(a); i++) {
		const ldns_rdf *x = ldns_rr_rdf(a, i), *y = ldns_rr_rdf(b, i);

		if (x == NULL || y == NULL || ldns_rdf_get_type(x) !=
		    ldns_rdf_get_type(y))
			return false;
		if (ldns_rdf_get_type(x) == LDNS_RDF_TYPE_DNAME ?
		    !dname_equal(x, y) : ldns_rdf_size(x) != ldns_rdf_size(y) ||
		    memcmp(ldns_rdf_data(x), ldns_rdf_data(y),
		    ldns_rdf_size(x)) != 0)
			return false;
	}
	return true;
}

static bool
on_list(const ldns_rr_list *list, const ldns_rr *rr)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++)
		if (rr_same(ldns_rr_list_rr(list, i), rr))
			return true;
	return false;
}

/* Follows the chain from the question through the answer section. */
static bool
scrub_answer(const ldns_rr_list *an, const struct reply_context *ctx,
    struct reply_view *v)
{
	ldns_rdf *name = ldns_rdf_clone(ctx->qname);

	if (name == NULL)
		return false;
	for (unsigned hop = 0; hop <= LIMIT_ALIAS_HOPS; hop++) {
		const ldns_rr *rr;

		if (!dname_in_bailiwick(name, ctx->zone))
			break;	/* the server can't speak for the target */
		if (ctx->qtype == LDNS_RR_TYPE_ANY ?
		    ldns_rr_list_rr_count(an) > 0 && find_rr(an, name,
		    ldns_rr_get_type(ldns_rr_list_rr(an, 0))) != NULL :
		    find_rr(an, name, ctx->qtype) != NULL) {
			ldns_rr_type t = ctx->qtype == LDNS_RR_TYPE_ANY ?
			    ldns_rr_get_type(ldns_rr_list_rr(an, 0)) :
			    ctx->qtype;

			if (!take_rrset(v, an, name, t, ctx->klass, &v->answer))
				goto oom;
			break;
		}
		/* A DNAME above the name decides, whatever CNAME came with it. */
		if ((rr = find_dname(an, name)) != NULL &&
		    dname_in_bailiwick(ldns_rr_owner(rr), ctx->zone)) {
			ldns_rdf *target;
			ldns_rr *cname;

			/*
			 * The same DNAME again: its target is below its owner.
			 * Stop here; the iterator sees the loop when it meets
			 * the DNAME a second time.
			 */
			if (on_list(v->chain, rr))
				break;
			if (!scrub_push(v, &v->chain, rr))
				goto oom;
			if (!dname_substitute(chain_last(v), name, &target))
				goto oom;
			if (target == NULL) {
				v->why = "DNAME substitution too long";
				break;
			}
			/* Synthesise the CNAME ourselves (RFC 6672 §3.3). */
			if ((cname = synthesise_cname(rr, name, target)) == NULL ||
			    !ldns_rr_list_push_rr(v->chain, cname)) {
				ldns_rr_free(cname);
				ldns_rdf_deep_free(target);
				goto oom;
			}
			ldns_rdf_deep_free(name);
			name = target;
		} else if ((rr = find_rr(an, name, LDNS_RR_TYPE_CNAME)) != NULL &&
		    ctx->qtype != LDNS_RR_TYPE_CNAME) {
			if (!scrub_push(v, &v->chain, rr))
				goto oom;
			ldns_rdf_deep_free(name);
			name = ldns_rdf_clone(ldns_rr_rdf(chain_last(v), 0));
		} else
			break;
		if (name == NULL)
			return false;
	}
	v->target = name;
	v->target_in_zone = dname_in_bailiwick(name, ctx->zone);
	/* Everything else in the answer section is not ours to believe. */
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (on_list(v->chain, rr) || on_list(v->answer, rr) ||
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			continue;	/* RRSIGs: scrub_signatures */
		/* Not what was asked (A to a AAAA question): no such data. */
		if (v->answer == NULL && dname_equal(ldns_rr_owner(rr), name) &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNAME &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
			v->other_types = true;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    find_dname(v->chain, ldns_rr_owner(rr)) != NULL)
			continue;	/* the server's synthesised CNAME */
		scrub_drop(ctx, rr, dname_in_bailiwick(ldns_rr_owner(rr),
		    ctx->zone) ? "not on the answer chain" :
		    "answer out of bailiwick");
	}
	return true;
oom:
	ldns_rdf_deep_free(name);
	return false;
}

static bool
scrub_authority(const ldns_rr_list *ns, const struct reply_context *ctx,
    struct reply_view *v)
{
	const ldns_rdf *name = v->target != NULL ? v->target : ctx->qname;

	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		const ldns_rdf *owner = ldns_rr_owner(rr);
		ldns_rr_type type = ldns_rr_get_type(rr);

		if (!rr_well_formed(rr)) {
			scrub_drop(ctx, rr, "malformed rdata");
			continue;
		}
		if (!dname_in_bailiwick(owner, ctx->zone)) {
			/* Upward NS are kept aside for the lame check below. */
			if (type == LDNS_RR_TYPE_NS &&
			    dname_in_bailiwick(ctx->qname, owner) &&
			    v->referral_zone == NULL) {
				if ((v->referral_zone = ldns_rdf_clone(owner)) ==
				    NULL)
					return false;
				ldns_dname2canonical(v->referral_zone);
				if (!scrub_push(v, &v->ns, rr))
					return false;
				continue;
			}
			scrub_drop(ctx, rr, "authority out of bailiwick");
			continue;
		}
		if (type == LDNS_RR_TYPE_RRSIG)
			continue;	/* scrub_signatures */
		if (type == LDNS_RR_TYPE_NSEC || type == LDNS_RR_TYPE_NSEC3) {
			/* Denial proofs sit beside the name, not above it. */
			if (!scrub_push_proof(v, &v->nsec, rr))
				return false;
			continue;
		}
		if (type == LDNS_RR_TYPE_DS) {
			/* Kept when it is the referral's (checked below). */
			if (!scrub_push(v, &v->ds, rr))
				return false;
			continue;
		}
		if (!dname_in_bailiwick(name, owner)) {
			scrub_drop(ctx, rr, "authority not above the question");
			continue;
		}
		if (type == LDNS_RR_TYPE_SOA) {
			if (!scrub_push(v, &v->soa, rr))
				return false;
		} else if (type == LDNS_RR_TYPE_NS) {
			if (v->referral_zone == NULL) {
				if ((v->referral_zone = ldns_rdf_clone(owner)) ==
				    NULL)
					return false;
				ldns_dname2canonical(v->referral_zone);
			}
			else if (!dname_equal(v->referral_zone, owner)) {
				scrub_drop(ctx, rr, "second NS set");
				continue;
			}
			if (ldns_rr_list_rr_count(v->ns) >=
			    LIMIT_NS_PER_DELEGATION) {
				scrub_drop(ctx, rr, "LIMIT_NS_PER_DELEGATION");
				continue;
			}
			if (!scrub_push(v, &v->ns, rr))
				return false;
		} else {
			scrub_drop(ctx, rr, "unexpected in authority");
		}
	}
	/* A DS RRset belongs to the referral it comes with, or is dropped. */
	for (size_t i = ldns_rr_list_rr_count(v->ds); i-- > 0;) {
		ldns_rr *rr = ldns_rr_list_rr(v->ds, i);

		if (v->referral_zone != NULL &&
		    dname_equal(ldns_rr_owner(rr), v->referral_zone))
			continue;
		scrub_drop(ctx, rr, "DS not for the referral");
		ldns_rr_list_set_rr(v->ds, ldns_rr_list_rr(v->ds,
		    ldns_rr_list_rr_count(v->ds) - 1), i);
		ldns_rr_list_set_rr_count(v->ds, ldns_rr_list_rr_count(v->ds) - 1);
		scrub_release(v, rr);
	}
	v->has_ds = ldns_rr_list_rr_count(v->ds) > 0;
	return true;
}

/* Whether `rr` is owned by the target of an NS record in `list`. */
static bool
names_ns_target(const ldns_rr_list *list, const ldns_rr *rr)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *ns = ldns_rr_list_rr(list, i);

		if (ldns_rr_get_type(ns) == LDNS_RR_TYPE_NS &&
		    ldns_rr_rdf(ns, 0) != NULL &&
		    dname_equal(ldns_rr_owner(rr), ldns_rr_rdf(ns, 0)))
			return true;
	}
	return false;
}

/* Glue: addresses of the NS names, and only within the sender's bailiwick. */
static bool
scrub_additional(const ldns_rr_list *ar, const struct reply_context *ctx,
    struct reply_view *v)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(ar); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ar, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		bool is_ns_target = false;

		if (type == LDNS_RR_TYPE_OPT || type == LDNS_RR_TYPE_RRSIG)
			continue;
		if (!rr_well_formed(rr)) {
			scrub_drop(ctx, rr, "malformed rdata");
			continue;
		}
		is_ns_target = names_ns_target(v->ns, rr) ||
		    names_ns_target(v->answer, rr);
		if ((type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA) ||
		    !is_ns_target) {
			scrub_drop(ctx, rr, "additional: not glue for the NS set");
			continue;
		}
		if (!dname_in_bailiwick(ldns_rr_owner(rr), ctx->zone)) {
			scrub_drop(ctx, rr, "glue out of bailiwick");
			continue;
		}
		if (!scrub_push(v, &v->glue, rr))
			return false;
	}
	return true;
}

/* Whether `list` holds a record owned by `owner` of type `type`. */
static bool
has_rrset(const ldns_rr_list *list, const ldns_rdf *owner, ldns_rr_type type)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(list, i)) == type &&
		    dname_equal(ldns_rr_owner(ldns_rr_list_rr(list, i)), owner))
			return true;
	return false;
}

/*
 * RRSIGs of the answer and authority sections: kept when they cover an
 * RRset the view kept and their signer may speak for it: at or above the
 * owner, and inside the zone asked (a server signs only its own zones).
 */
static bool
scrub_signatures(const ldns_pkt *pkt, const struct reply_context *ctx,
    struct reply_view *v)
{
	const ldns_rr_list *sections[] = { ldns_pkt_answer(pkt),
	    ldns_pkt_authority(pkt) };

	for (size_t s = 0; s < 2; s++) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(sections[s]); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(sections[s], i);
			const ldns_rdf *signer, *covered;
			const ldns_rdf *owner = ldns_rr_owner(rr);
			ldns_rr_type type;

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
				continue;
			signer = ldns_rr_rrsig_signame(rr);
			covered = ldns_rr_rrsig_typecovered(rr);
			if (signer == NULL || covered == NULL ||
			    ldns_rdf_get_type(signer) != LDNS_RDF_TYPE_DNAME ||
			    ldns_rdf_size(covered) != 2) {
				scrub_drop(ctx, rr, "malformed RRSIG");
				continue;
			}
			type = ldns_rdf2rr_type(covered);
			if (!dname_in_bailiwick(signer, ctx->zone) ||
			    !dname_in_bailiwick(owner, signer)) {
				scrub_drop(ctx, rr, "RRSIG signer out of bailiwick");
				continue;
			}
			if (!has_rrset(v->chain, owner, type) &&
			    !has_rrset(v->answer, owner, type) &&
			    !has_rrset(v->soa, owner, type) &&
			    !has_rrset(v->ds, owner, type) &&
			    !has_rrset(v->nsec, owner, type) &&
			    !(v->authoritative && has_rrset(v->ns, owner, type))) {
				if (s == 0)
					scrub_drop(ctx, rr, "RRSIG over nothing kept");
				continue;
			}
			if (!scrub_push(v, &v->sigs, rr))
				return false;
		}
	}
	return true;
}

/* Caps every section so a huge reply can't make us work for long. */
static bool
section_too_big(const ldns_rr_list *s)
{
	return ldns_rr_list_rr_count(s) > LIMIT_RRS_PER_SECTION;
}

/* Fills the view (cleared, v->taken set or not); false: out of memory. */
static bool
scrub_sections(const ldns_pkt *pkt, const struct reply_context *ctx,
    struct reply_view *v)
{
	v->ede = -1;
	v->rcode = ldns_pkt_get_rcode(pkt);
	v->authoritative = ldns_pkt_aa(pkt);
	if (section_too_big(ldns_pkt_answer(pkt)) ||
	    section_too_big(ldns_pkt_authority(pkt)) ||
	    section_too_big(ldns_pkt_additional(pkt))) {
		v->why = "LIMIT_RRS_PER_SECTION";
		return true;
	}
	return scrub_answer(ldns_pkt_answer(pkt), ctx, v) &&
	    scrub_authority(ldns_pkt_authority(pkt), ctx, v) &&
	    scrub_additional(ldns_pkt_additional(pkt), ctx, v) &&
	    scrub_signatures(pkt, ctx, v);
}

bool
reply_scrub(const ldns_pkt *pkt, const struct reply_context *ctx,
    struct reply_view *v)
{
	memset(v, 0, sizeof(*v));
	if (!scrub_sections(pkt, ctx, v)) {
		reply_view_clear(v);
		return false;
	}
	return true;
}

bool
reply_scrub_take(ldns_pkt *pkt, const struct reply_context *ctx,
    struct reply_view *v)
{
	ldns_rr_list *sections[] = { ldns_pkt_answer(pkt),
	    ldns_pkt_authority(pkt), ldns_pkt_additional(pkt) };
	bool complete;

	memset(v, 0, sizeof(*v));
	if ((v->taken = ldns_rr_list_new()) == NULL)
		return false;
	complete = scrub_sections(pkt, ctx, v);
	/* The view holds them now: the packet lets go of them. */
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++)
		for (size_t i = 0; ldns_rr_list_rr_count(v->taken) > 0 &&
		    i < ldns_rr_list_rr_count(sections[s]); i++)
			if (holds_rr(v->taken, ldns_rr_list_rr(sections[s], i)))
				ldns_rr_list_set_rr(sections[s], NULL, i);
	ldns_rr_list_free(v->taken);
	v->taken = NULL;
	if (!complete) {
		reply_view_clear(v);
		return false;
	}
	return true;
}

void
reply_view_clear(struct reply_view *v)
{
	ldns_rr_list_deep_free(v->chain);
	ldns_rr_list_deep_free(v->answer);
	ldns_rr_list_deep_free(v->soa);
	ldns_rr_list_deep_free(v->ns);
	ldns_rr_list_deep_free(v->glue);
	ldns_rr_list_deep_free(v->sigs);
	ldns_rr_list_deep_free(v->ds);
	ldns_rr_list_deep_free(v->nsec);
	ldns_rr_list_free(v->nsec_secure);	/* borrows from nsec */
	ldns_rr_list_free(v->proof_verified);	/* borrows from nsec, sigs */
	ldns_rdf_deep_free(v->target);
	ldns_rdf_deep_free(v->referral_zone);
	memset(v, 0, sizeof(*v));
}

ldns_rr *
reply_rr_clone(const ldns_rr *rr)
{
	ldns_rr *copy = ldns_rr_clone(rr);

	if (copy == NULL)
		return NULL;
	if (ldns_rr_owner(rr) != NULL && ldns_rr_owner(copy) == NULL)
		goto oom;
	if (ldns_rr_rd_count(copy) != ldns_rr_rd_count(rr))
		goto oom;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		if (ldns_rr_rdf(rr, i) != NULL && ldns_rr_rdf(copy, i) == NULL)
			goto oom;
	return copy;
oom:
	ldns_rr_free(copy);
	return NULL;
}
