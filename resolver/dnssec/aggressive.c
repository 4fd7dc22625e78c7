/*
 * aggressive.c: RFC 8198 for the iterator: what of a validated negative
 * reply the NSEC cache keeps, and the NXDOMAIN or NODATA it may answer
 * with before asking upstream, decided by the same proofs (nsec.c) that
 * judge the authorities' replies.
 */
#include <string.h>

#include "dname.h"
#include "dnssec/aggressive.h"
#include "dnssec/nsec.h"
#include "dnssec/nsec_cache.h"
#include "request.h"

void
aggressive_learn(struct engine *engine, const struct reply_view *v,
    ldns_rr_class klass, uint32_t ttl_cap, time_t now)
{
	/* Off: nothing kept either (a reload turning it on starts learning). */
	if (!engine->config.aggressive_nsec || engine->nsecs == NULL ||
	    v->status != SEC_SECURE ||
	    v->nsec_secure == NULL || v->nsec_zone == NULL || ttl_cap == 0 ||
	    (v->klass != REPLY_NXDOMAIN && v->klass != REPLY_NODATA))
		return;
	nsec_cache_store(engine->nsecs, v->nsec_zone, klass, v->soa,
	    v->nsec_secure, v->sigs, ttl_cap, now);
}

/* Whether one of `nsecs` is owned by `name`. */
static bool
has_owner(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++)
		if (dname_equal(ldns_rr_owner(ldns_rr_list_rr(nsecs, i)), name))
			return true;
	return false;
}

/*
 * What the found NSECs prove about qname/qtype: NXDOMAIN, NOERROR (NODATA)
 * or -1 for nothing. The NSEC owned by the name decides alone (the type is
 * absent, or the name exists); otherwise NXDOMAIN needs the wildcard
 * denied, and an empty non-terminal or a wildcard without the type gives
 * NODATA. ANY is a question, not a type to deny: never NODATA for it.
 */
static int
aggressive_prove(const ldns_rdf *qname, ldns_rr_type qtype,
    const struct nsec_cache_found *f)
{
	struct dnssec_verdict vd;
	bool any = qtype == LDNS_RR_TYPE_ANY;

	if (has_owner(f->nsecs, qname)) {
		if (any)
			return -1;
		nsec_prove_nodata(qname, qtype, f->zone, f->nsecs, &vd);
		return vd.status == SEC_SECURE ? LDNS_RCODE_NOERROR : -1;
	}
	nsec_prove_nxdomain(qname, f->zone, f->nsecs, &vd);
	if (vd.status == SEC_SECURE)
		return LDNS_RCODE_NXDOMAIN;
	if (any)
		return -1;
	nsec_prove_nodata(qname, qtype, f->zone, f->nsecs, &vd);
	return vd.status == SEC_SECURE ? LDNS_RCODE_NOERROR : -1;
}

/* Moves every record of `from` to the end of *to (created when NULL). */
static bool
list_move(ldns_rr_list **to, ldns_rr_list *from)
{
	if (*to == NULL && (*to = ldns_rr_list_new()) == NULL)
		return false;
	while (ldns_rr_list_rr_count(from) > 0) {
		ldns_rr *rr = ldns_rr_list_pop_rr(from);

		if (!ldns_rr_list_push_rr(*to, rr)) {
			ldns_rr_free(rr);
			return false;
		}
	}
	return true;
}

bool
aggressive_answer(struct engine_request *req, struct task *task,
    struct engine_now now, ldns_pkt_rcode *rcode)
{
	struct engine *engine = req->engine;
	struct nsec_cache_found f;
	struct engine_event ev = { 0 };
	ldns_rr_list *proof = NULL;
	int proven;

	/*
	 * A CD client gets the synthesised answer too, without AD, as from
	 * Unbound (its iterator asks the negative cache whatever CD says):
	 * the NSECs are validated data, which CD clients may always have.
	 */
	if (!engine->config.aggressive_nsec || engine->nsecs == NULL ||
	    !validator_enabled(engine->validator))
		return false;
	/* A DS lives in the parent's zone: look there, not in the child's. */
	if (!nsec_cache_lookup(engine->nsecs, task->qname,
	    task->qtype == LDNS_RR_TYPE_DS, task->klass, now.wall, &f))
		return false;
	if (!validator_anchored(engine->validator, task->qname, f.zone) ||
	    (proven = aggressive_prove(task->qname, task->qtype, &f)) < 0 ||
	    (proof = ldns_rr_list_new()) == NULL || !list_move(&proof, f.nsecs) ||
	    !list_move(&proof, f.sigs) || !list_move(&task->proof, proof)) {
		ldns_rr_list_deep_free(proof);
		nsec_cache_found_clear(&f);
		return false;
	}
	ldns_rr_list_deep_free(proof);
	ldns_rr_list_deep_free(task->soa);
	task->soa = f.soa;
	f.soa = NULL;
	*rcode = (ldns_pkt_rcode)proven;
	STAT_ADD(engine, dnssec_aggressive_nsec, 1);
	if (proven == LDNS_RCODE_NXDOMAIN)
		STAT_ADD(engine, dnssec_aggressive_nxdomain, 1);
	ev.kind = EV_CACHE_HIT;
	ev.u.cache.what = "aggressive-nsec";
	ev.u.cache.owner = task->qname;
	engine_emit(req, &ev, task, now);
	validator_emit(req, task, "synthesised", task->qname, task->qtype,
	    f.zone, SEC_SECURE, -1, proven == LDNS_RCODE_NXDOMAIN ?
	    "NXDOMAIN synthesised from cached NSEC (RFC 8198)" :
	    "NODATA synthesised from cached NSEC (RFC 8198)", now);
	nsec_cache_found_clear(&f);
	return true;
}
