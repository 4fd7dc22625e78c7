/*
 * classify.c: what a scrubbed reply is — an answer, an alias to follow, a
 * referral, a negative answer, or a sign that the server is lame (RFC 1034
 * §5.3.3, RFC 2308 §2, RFC 8020).
 */
#include "dname.h"
#include "reply.h"

static enum reply_class
classify_rcode(ldns_pkt_rcode rcode)
{
	switch (rcode) {
	case LDNS_RCODE_REFUSED:	return REPLY_REFUSED;
	case LDNS_RCODE_SERVFAIL:	return REPLY_SERVFAIL;
	case LDNS_RCODE_FORMERR:	return REPLY_FORMERR;
	case LDNS_RCODE_NOTIMPL:	return REPLY_NOTIMP;
	default:			return REPLY_MALFORMED;
	}
}

void
reply_classify(const ldns_pkt *pkt, const struct reply_context *ctx,
    struct reply_view *v)
{
	bool has_chain = v->chain != NULL && ldns_rr_list_rr_count(v->chain) > 0;
	bool has_answer = v->answer != NULL &&
	    ldns_rr_list_rr_count(v->answer) > 0;

	if (v->why != NULL && !has_chain && !has_answer) {
		v->klass = REPLY_MALFORMED;
		return;
	}
	if (v->rcode != LDNS_RCODE_NOERROR && v->rcode != LDNS_RCODE_NXDOMAIN &&
	    v->rcode != LDNS_RCODE_YXDOMAIN) {
		v->klass = classify_rcode(v->rcode);
		return;
	}
	if (has_answer) {
		v->klass = REPLY_ANSWER;
		return;
	}
	if (has_chain && !v->target_in_zone) {
		/* The rest of the chain lives elsewhere: follow it. */
		v->klass = ldns_rr_get_type(ldns_rr_list_rr(v->chain, 0)) ==
		    LDNS_RR_TYPE_DNAME ? REPLY_DNAME : REPLY_CNAME;
		return;
	}
	/* Below: nothing answers the end of the chain (a negative or a referral). */
	if (v->rcode == LDNS_RCODE_NXDOMAIN) {
		v->klass = v->authoritative || v->soa != NULL ||
		    (ctx->recursive && ldns_pkt_ra(pkt)) ? REPLY_NXDOMAIN :
		    REPLY_LAME;
		if (v->klass == REPLY_LAME)
			v->why = "NXDOMAIN without AA or SOA";
		return;
	}
	if (v->rcode == LDNS_RCODE_YXDOMAIN) {
		v->klass = REPLY_MALFORMED;
		v->why = "YXDOMAIN";
		return;
	}
	if (v->referral_zone != NULL && !has_chain && ctx->recursive &&
	    !v->authoritative && v->soa == NULL) {
		/* Forwarders answer; a referral means it did not recurse. */
		v->klass = REPLY_LAME;
		v->why = "a referral from a forwarder (does it recurse?)";
		return;
	}
	if (v->referral_zone != NULL && !has_chain) {
		if (dname_in_bailiwick(v->referral_zone, ctx->zone) &&
		    !dname_equal(v->referral_zone, ctx->zone)) {
			v->klass = REPLY_REFERRAL;
			return;
		}
		if (!dname_in_bailiwick(v->referral_zone, ctx->zone)) {
			v->klass = REPLY_UPWARD_REFERRAL;
			v->why = "referral to a zone above the one asked";
			return;
		}
	}
	/* A resolver's final answer: no AA, but recursion available. */
	if (v->authoritative || (ctx->recursive && (ldns_pkt_ra(pkt) ||
	    v->soa != NULL))) {
		v->klass = has_chain ? REPLY_CNAME : REPLY_NODATA;
		return;
	}
	if (has_chain) {
		v->klass = REPLY_CNAME;
		return;
	}
	/*
	 * Without AA, a SOA of the zone in the authority section still marks
	 * a negative answer (RFC 2308 §2.2; servers leave AA off for empty
	 * non-terminals), and records of other types for the name say it
	 * exists without the asked data (A to a AAAA question): NODATA, as
	 * Unbound's response_type_from_server decides. Neither is lame.
	 */
	if ((v->soa != NULL && v->referral_zone == NULL) || v->other_types) {
		v->klass = REPLY_NODATA;
		return;
	}
	v->klass = REPLY_LAME;
	v->why = v->referral_zone != NULL ?
	    "not authoritative, NS set of its own zone only" :
	    "not authoritative and no referral";
}
