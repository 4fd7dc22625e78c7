/*
 * aggressive.c: RFC 8198 for the iterator: what of a validated negative
 * reply or wildcard answer the NSEC cache keeps, and the NXDOMAIN, NODATA
 * or wildcard expansion it may answer with before asking upstream, decided
 * by the same proofs (nsec.c, nsec3.c) that judge the authorities' replies.
 */
#include <string.h>

#include "dname.h"
#include "dnssec/aggressive.h"
#include "dnssec/nsec.h"
#include "dnssec/nsec3.h"
#include "dnssec/nsec_cache.h"
#include "engine_limits.h"
#include "request.h"
#include "rrset_cache.h"

void
aggressive_learn(struct engine *engine, const struct reply_view *v,
    ldns_rr_class klass, uint32_t ttl_cap, time_t now)
{
	bool denial = v->klass == REPLY_NXDOMAIN || v->klass == REPLY_NODATA;

	/* Off: nothing kept either (a reload turning it on starts learning). */
	if (!engine->config.aggressive_nsec || engine->nsecs == NULL ||
	    v->status != SEC_SECURE ||
	    v->nsec_secure == NULL || v->nsec_zone == NULL || ttl_cap == 0 ||
	    (!denial && ldns_rr_list_rr_count(v->answer) == 0))
		return;
	/*
	 * A wildcard answer's proof (validator.c keeps it only for a secure
	 * expansion) comes without the zone's SOA: the NSECs go in alone, for
	 * another name under the wildcard (RFC 8198 §5.3), as Unbound's
	 * val_neg_addreply takes them from every secure reply.
	 */
	nsec_cache_store(engine->nsecs, v->nsec_zone, klass,
	    denial ? v->soa : NULL, v->nsec_secure, v->sigs, ttl_cap, now);
}

/* The RRSIG's labels field (RFC 4034 §3.1.3); -1 when malformed. */
static int
sig_labels(const ldns_rr *sig)
{
	const ldns_rdf *l = ldns_rr_rrsig_labels(sig);

	return l != NULL && ldns_rdf_size(l) == 1 ? ldns_rdf2native_int8(l) : -1;
}

/* Whether these kinds of RRset may be synthesised from a wildcard. */
static bool
wildcard_type(ldns_rr_type type)
{
	/* Not the DNSSEC records, nor a DS (a cut is no wildcard's), nor
	 * the aliases (their targets would need chasing), nor ANY. */
	return type != LDNS_RR_TYPE_ANY && type != LDNS_RR_TYPE_DS &&
	    type != LDNS_RR_TYPE_RRSIG && type != LDNS_RR_TYPE_NSEC &&
	    type != LDNS_RR_TYPE_NSEC3 && type != LDNS_RR_TYPE_CNAME &&
	    type != LDNS_RR_TYPE_DNAME;
}

/* Copies of the records of `from` (of `type`, when not 0) owned by
 * `owner`, renamed to `to`; NULL when none or out of memory. */
static ldns_rr_list *
renamed(const ldns_rr_list *from, const ldns_rdf *owner, ldns_rr_type type,
    int labels, const ldns_rdf *to)
{
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; out != NULL && from != NULL &&
	    i < ldns_rr_list_rr_count(from); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(from, i);
		ldns_rr *copy;
		ldns_rdf *name;

		if (!dname_equal(ldns_rr_owner(rr), owner) ||
		    (type != 0 && ldns_rr_get_type(rr) != type) ||
		    (labels >= 0 && (ldns_rr_get_type(rr) !=
		    LDNS_RR_TYPE_RRSIG || sig_labels(rr) != labels)))
			continue;
		if ((copy = ldns_rr_clone(rr)) == NULL ||
		    (name = ldns_rdf_clone(to)) == NULL) {
			ldns_rr_free(copy);
			ldns_rr_list_deep_free(out);
			return NULL;
		}
		ldns_rdf_deep_free(ldns_rr_owner(copy));
		ldns_rr_set_owner(copy, name);
		if (!ldns_rr_list_push_rr(out, copy)) {
			ldns_rr_free(copy);
			ldns_rr_list_deep_free(out);
			return NULL;
		}
	}
	if (out != NULL && ldns_rr_list_rr_count(out) == 0) {
		ldns_rr_list_free(out);
		out = NULL;
	}
	return out;
}

/*
 * Whether every RRSIG of `sigs` over owner/type has `labels` in its labels
 * field. The verdict says the RRset verified, not with which RRSIG: when
 * they all agree, the one that verified is an expansion of that wildcard
 * (and its proof was checked); a forged RRSIG with fewer labels beside a
 * verified one must not make the RRset a wildcard's (Unbound: "inconsistent
 * wildcard sigs").
 */
static bool
labels_agree(const ldns_rr_list *sigs, const ldns_rdf *owner,
    ldns_rr_type type, int labels)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(sig);

		if (ldns_rr_get_type(sig) == LDNS_RR_TYPE_RRSIG &&
		    covered != NULL && ldns_rdf2rr_type(covered) == type &&
		    dname_equal(ldns_rr_owner(sig), owner) &&
		    sig_labels(sig) != labels)
			return false;
	}
	return true;
}

void
aggressive_learn_wildcard(struct engine *engine, const struct reply_view *v,
    time_t now)
{
	size_t n = v->sigs != NULL ? ldns_rr_list_rr_count(v->sigs) : 0;

	if (!engine->config.aggressive_nsec || v->status != SEC_SECURE ||
	    v->answer == NULL)
		return;
	for (size_t i = 0; i < n && i < LIMIT_RRS_PER_SECTION; i++) {
		const ldns_rr *sig = ldns_rr_list_rr(v->sigs, i);
		const ldns_rdf *owner = ldns_rr_owner(sig);
		ldns_rr_type type;
		int labels = sig_labels(sig);
		ldns_rdf *wild;
		ldns_rr_list *set, *sigs;

		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG ||
		    ldns_rr_rrsig_typecovered(sig) == NULL || labels < 0 ||
		    (unsigned)labels >= dname_labels(owner))
			continue;	/* not an expansion */
		type = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig));
		if (!wildcard_type(type) ||
		    !labels_agree(v->sigs, owner, type, labels) ||
		    (wild = dname_wildcard_at(owner, (unsigned)labels)) == NULL)
			continue;
		/*
		 * The RRSIG was made over "*.<ce>" (RFC 4035 §5.3.2), and a
		 * secure reply proved no closer name: the wildcard's own RRset.
		 * Another RRSIG over the same RRset stores it again, harmless.
		 */
		set = renamed(v->answer, owner, type, -1, wild);
		sigs = renamed(v->sigs, owner, LDNS_RR_TYPE_RRSIG, labels, wild);
		if (set != NULL && sigs != NULL)
			rrset_cache_store(engine->rrsets, set, sigs, RANK_ANSWER,
			    SEC_SECURE, now, engine->config.cache_min_ttl,
			    engine->config.cache_max_ttl, RRSET_TTL_NO_CAP);
		ldns_rr_list_deep_free(set);
		ldns_rr_list_deep_free(sigs);
		ldns_rdf_deep_free(wild);
	}
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
	nsec_prove_nxdomain(qname, qtype, f->zone, f->nsecs, &vd);
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

/* Every record of `list` gets `ttl`: the least any of the proof has left. */
static void
list_set_ttl(ldns_rr_list *list, uint32_t ttl)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++)
		ldns_rr_set_ttl(ldns_rr_list_rr(list, i), ttl);
}

/* Answers the task from the proof in `f` (emptied), and tells the world. */
static bool
aggressive_finish(struct engine_request *req, struct task *task,
    struct nsec_cache_found *f, int proven, bool nsec3,
    struct engine_now now, ldns_pkt_rcode *rcode)
{
	struct engine *engine = req->engine;
	struct engine_event ev = { 0 };
	ldns_rr_list *proof = NULL;
	static const char *const whys[2][2] = {
		{ "NODATA synthesised from cached NSEC (RFC 8198)",
		    "NXDOMAIN synthesised from cached NSEC (RFC 8198)" },
		{ "NODATA synthesised from cached NSEC3 (RFC 8198)",
		    "NXDOMAIN synthesised from cached NSEC3 (RFC 8198)" },
	};
	bool nxdomain;

	/* A denial without its SOA is no answer (RFC 2308 §3). */
	if (f->soa == NULL)
		return false;
	if ((proof = ldns_rr_list_new()) == NULL || !list_move(&proof, f->nsecs) ||
	    !list_move(&proof, f->sigs) || !list_move(&task->proof, proof)) {
		ldns_rr_list_deep_free(proof);
		return false;
	}
	ldns_rr_list_deep_free(proof);
	ldns_rr_list_deep_free(task->soa);
	task->soa = f->soa;
	f->soa = NULL;
	*rcode = (ldns_pkt_rcode)proven;
	nxdomain = proven == LDNS_RCODE_NXDOMAIN;
	if (nsec3) {
		STAT_ADD(engine, dnssec_aggressive_nsec3, 1);
		if (nxdomain)
			STAT_ADD(engine, dnssec_aggressive_nsec3_nxdomain, 1);
	} else {
		STAT_ADD(engine, dnssec_aggressive_nsec, 1);
		if (nxdomain)
			STAT_ADD(engine, dnssec_aggressive_nxdomain, 1);
	}
	ev.kind = EV_CACHE_HIT;
	ev.u.cache.what = nsec3 ? "aggressive-nsec3" : "aggressive-nsec";
	ev.u.cache.owner = task->qname;
	engine_emit(req, &ev, task, now);
	validator_emit(req, task, "synthesised", task->qname, task->qtype,
	    f->zone, SEC_SECURE, -1, whys[nsec3][nxdomain], now);
	return true;
}

/*
 * Whether the RRSIGs of a cached wildcard RRset are all by `zone` (any
 * zone when NULL) for the closest encloser of `ce` labels.
 */
static bool
wildcard_sigs(const ldns_rr_list *sigs, const ldns_rdf *zone, unsigned ce)
{
	if (sigs == NULL || ldns_rr_list_rr_count(sigs) == 0)
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *signer = ldns_rr_rrsig_signame(sig);

		if (sig_labels(sig) != (int)ce || signer == NULL ||
		    (zone != NULL && !dname_equal(signer, zone)))
			return false;
	}
	return true;
}

/*
 * RFC 8198 §5.3: the answer to a name proven absent, with no name closer
 * than its closest encloser of `ce` labels, from the RRset of the
 * wildcard "*.<ce>" cached secure (learnt from a validated expansion) and
 * signed by `zone` for that encloser: the wildcard's records and RRSIGs
 * renamed to the name, living no longer than the proof (`ttl`), with
 * `proof` (NSEC or NSEC3 records and their RRSIGs, taken) in the
 * authority. True when answered; `proof` is freed either way.
 */
static bool
wildcard_answer(struct engine_request *req, struct task *task,
    const ldns_rdf *zone, unsigned ce, ldns_rr_list *proof, uint32_t ttl,
    bool nsec3, struct engine_now now, ldns_pkt_rcode *rcode)
{
	struct engine *engine = req->engine;
	struct engine_event ev = { 0 };
	struct rrset_info info = { 0 };
	ldns_rr_list *rrs = NULL, *sigs = NULL;
	ldns_rdf *wild = NULL;
	bool done = false;

	if ((wild = dname_wildcard_at(task->qname, ce)) == NULL)
		goto out;
	rrs = rrset_cache_lookup(engine->rrsets, wild, task->qtype,
	    task->klass, now.wall, RANK_ANSWER, &info);
	if (rrs == NULL || info.status != SEC_SECURE ||
	    !wildcard_sigs(info.sigs, zone, ce))
		goto out;
	{
		ldns_rr_list *a = renamed(rrs, wild, 0, -1, task->qname);

		ldns_rr_list_deep_free(rrs);
		rrs = a;
		sigs = renamed(info.sigs, wild, 0, -1, task->qname);
	}
	if (rrs == NULL || sigs == NULL)
		goto out;
	/* The answer lives no longer than its proof. */
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(rrs, i)) > ttl)
			ldns_rr_set_ttl(ldns_rr_list_rr(rrs, i), ttl);
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(sigs, i)) > ttl)
			ldns_rr_set_ttl(ldns_rr_list_rr(sigs, i), ttl);
	if (!list_move(&task->sigs, sigs) || !list_move(&task->proof, proof))
		goto out;
	ldns_rr_list_deep_free(task->answer);
	task->answer = rrs;
	rrs = NULL;
	*rcode = LDNS_RCODE_NOERROR;
	if (nsec3)
		STAT_ADD(engine, dnssec_aggressive_nsec3_wildcard, 1);
	else
		STAT_ADD(engine, dnssec_aggressive_wildcard, 1);
	ev.kind = EV_CACHE_HIT;
	ev.u.cache.what = nsec3 ? "aggressive-wildcard-nsec3" :
	    "aggressive-wildcard";
	ev.u.cache.owner = task->qname;
	engine_emit(req, &ev, task, now);
	validator_emit(req, task, "synthesised", task->qname, task->qtype,
	    zone, SEC_SECURE, -1, nsec3 ?
	    "answer synthesised from a cached wildcard and NSEC3 (RFC 8198)" :
	    "answer synthesised from a cached wildcard and NSEC (RFC 8198)",
	    now);
	done = true;
out:
	ldns_rr_list_deep_free(rrs);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(proof);
	ldns_rr_list_deep_free(info.sigs);
	ldns_rdf_deep_free(wild);
	return done;
}

/* One NSEC3 lookup: the chain, the names hashed so far, their hashes. */
struct n3_lookup {
	struct nsec_cache *cache;
	struct dnssec_budget *budget;
	const struct nsec_cache_chain *chain;
	struct nsec3_cache *hashes;	/* the request's, shared with nsec3.c */
	unsigned names;			/* of LIMIT_DNSSEC_AGGRESSIVE_NSEC3_NAMES */
	time_t now;
	ldns_rr_class klass;
};

/*
 * H(name): from the zone's memo or the request's hash cache, or computed
 * (charged to the request's budget). False past the names one lookup may
 * hash, or when the budget is down to LIMIT_DNSSEC_AGGRESSIVE_NSEC3_RESERVE.
 */
static bool
n3_hash(struct n3_lookup *l, const ldns_rdf *name,
    uint8_t hash[NSEC_CACHE_HASH_LEN])
{
	const struct nsec_cache_chain_params *p = &l->chain->params;
	uint8_t key[DNAME_WIRE_MAX];
	struct dnssec_budget mine;
	size_t len;

	if (l->names++ >= LIMIT_DNSSEC_AGGRESSIVE_NSEC3_NAMES)
		return false;
	len = dname_key(name, key);
	for (unsigned i = 0; i < l->chain->memo_count; i++) {
		const struct nsec_cache_memo *m = &l->chain->memo[i];

		if (m->key_len == len && memcmp(m->key, key, len) == 0) {
			memcpy(hash, m->hash, NSEC_CACHE_HASH_LEN);
			/* So that the proof below finds it as well. */
			nsec3_cache_put(l->hashes, name, p->salt, p->salt_len,
			    p->iterations, hash);
			return true;
		}
	}
	/* Never below the validator's reserve: a budget of its own. */
	mine = *l->budget;
	mine.nsec3_hashes_left = mine.nsec3_hashes_left >
	    LIMIT_DNSSEC_AGGRESSIVE_NSEC3_RESERVE ? mine.nsec3_hashes_left -
	    LIMIT_DNSSEC_AGGRESSIVE_NSEC3_RESERVE : 0;
	if (!nsec3_hash_name(name, p->salt, p->salt_len, p->iterations,
	    l->hashes, &mine, hash))
		return false;
	l->budget->nsec3_hashes_left -= mine.nsec3_hashes_done -
	    l->budget->nsec3_hashes_done;
	l->budget->nsec3_hashes_done = mine.nsec3_hashes_done;
	return true;
}

/* The NSEC3 matching or covering H(name), added to `f`. */
static enum nsec_cache_hit
n3_find(struct n3_lookup *l, const ldns_rdf *name,
    uint8_t hash[NSEC_CACHE_HASH_LEN], struct nsec_cache_found *f)
{
	if (!n3_hash(l, name, hash))
		return NSEC_CACHE_NONE;
	return nsec_cache_nsec3_find(l->cache, l->chain, l->klass, hash,
	    l->now, f);
}

/*
 * What the cached NSEC3 chain proves about qname/qtype: NXDOMAIN, NOERROR
 * (NODATA), AGGRESSIVE_WILDCARD (the wildcard at the closest encloser of
 * *ce_labels labels answers) or -1. The records are gathered as an
 * authority would send them (RFC 5155 §7.2): the NSEC3 at the name
 * (NODATA), or the closest encloser's, the next closer name's cover and
 * the wildcard's cover (NXDOMAIN) or match (wildcard NODATA or answer),
 * walking up from the name and stopping at the first hash nothing cached
 * matches or covers; then the proof of nsec3.c judges them exactly as it
 * judges a reply, refusing opt-out (insecure) and iterations above the
 * limit.
 */
static int
nsec3_prove(struct n3_lookup *l, const ldns_rdf *qname, ldns_rr_type qtype,
    struct nsec_cache_found *f, unsigned *ce_labels)
{
	const ldns_rdf *zone = l->chain->zone;
	unsigned labels = dname_labels(qname), zone_labels = dname_labels(zone);
	uint8_t hash[NSEC_CACHE_HASH_LEN], ce_hash[NSEC_CACHE_HASH_LEN];
	uint8_t wild_hash[NSEC_CACHE_HASH_LEN];
	ldns_rdf *ce = NULL, *wild = NULL;
	enum nsec_cache_hit hit, wild_hit;
	struct dnssec_verdict vd;
	bool any = qtype == LDNS_RR_TYPE_ANY;
	int proven = -1;

	if (!dname_in_bailiwick(qname, zone))
		return -1;
	hit = n3_find(l, qname, hash, f);
	if (hit == NSEC_CACHE_MATCH) {
		if (any)
			return -1;
		nsec3_prove_nodata(qname, qtype, zone, f->nsecs, l->hashes,
		    l->budget, &vd);
		return vd.status == SEC_SECURE ? LDNS_RCODE_NOERROR : -1;
	}
	if (hit != NSEC_CACHE_COVER)
		return -1;
	/* Up from the name: the first match is the closest encloser. */
	for (unsigned n = labels; n-- > zone_labels && ce == NULL;) {
		ldns_rdf *up = dname_ancestor(qname, n);

		hit = up != NULL ? n3_find(l, up, ce_hash, f) : NSEC_CACHE_NONE;
		if (hit == NSEC_CACHE_MATCH)
			ce = up;
		else
			ldns_rdf_deep_free(up);
		if (hit == NSEC_CACHE_NONE)
			return -1;
	}
	if (ce == NULL)
		return -1;
	if ((wild = ldns_dname_new_frm_str("*")) == NULL ||
	    ldns_dname_cat(wild, ce) != LDNS_STATUS_OK)
		goto out;
	wild_hit = n3_find(l, wild, wild_hash, f);
	if (wild_hit == NSEC_CACHE_COVER) {
		nsec3_prove_nxdomain(qname, zone, f->nsecs, l->hashes,
		    l->budget, &vd);
		if (vd.status == SEC_SECURE)
			proven = LDNS_RCODE_NXDOMAIN;
	} else if (wild_hit == NSEC_CACHE_MATCH && !any) {
		nsec3_prove_nodata(qname, qtype, zone, f->nsecs, l->hashes,
		    l->budget, &vd);
		if (vd.status == SEC_SECURE)
			proven = LDNS_RCODE_NOERROR;
	}
	/*
	 * The wildcard exists (its NSEC3 matches) with the type (no NODATA):
	 * it answers a name with no closer name, when an NSEC3 without
	 * opt-out covers the next closer name (RFC 5155 §8.8). An opt-out
	 * span may hide an unsigned delegation there (RFC 5155 §6): the
	 * proof says INSECURE, and nothing is synthesised from it.
	 */
	if (proven < 0 && wild_hit == NSEC_CACHE_MATCH && wildcard_type(qtype)) {
		nsec3_prove_wildcard(qname, (int)dname_labels(ce), zone,
		    f->nsecs, l->hashes, l->budget, &vd);
		if (vd.status == SEC_SECURE) {
			proven = AGGRESSIVE_WILDCARD;
			*ce_labels = dname_labels(ce);
		}
	}
	if (proven >= 0) {
		/* Names of the zone: the next random name needs them again. */
		nsec_cache_nsec3_remember(l->cache, l->chain,
		    l->klass, ce, ce_hash);
		nsec_cache_nsec3_remember(l->cache, l->chain,
		    l->klass, wild, wild_hash);
	}
out:
	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(wild);
	return proven;
}

/*
 * The end of an NSEC3 lookup: a proof is kept with every record's TTL the
 * shortest live one (what an answer made from it may say), or cleared with
 * -1 when nothing was proven or nothing of it is left.
 */
static int
found_keep(struct nsec_cache_found *found, int proven)
{
	if (proven < 0 || found->nsecs == NULL || found->ttl == 0) {
		nsec_cache_found_clear(found);
		return -1;
	}
	list_set_ttl(found->nsecs, found->ttl);
	list_set_ttl(found->sigs, found->ttl);
	list_set_ttl(found->soa, found->ttl);
	return proven;
}

int
aggressive_nsec3_lookup(struct nsec_cache *cache, const ldns_rdf *qname,
    ldns_rr_type qtype, ldns_rr_class klass, time_t now,
    struct nsec3_cache *hashes, struct dnssec_budget *budget,
    struct nsec_cache_found *found, unsigned *ce_labels, int *zone_labels)
{
	struct nsec_cache_chain chain;
	struct n3_lookup l;
	unsigned ce = 0;
	int proven;

	memset(found, 0, sizeof(*found));
	if (zone_labels != NULL)
		*zone_labels = -1;
	/* A DS lives in the parent's zone: look there, not in the child's. */
	if (!nsec_cache_nsec3_chain(cache, qname, qtype == LDNS_RR_TYPE_DS,
	    klass, now, &chain))
		return -1;
	if (zone_labels != NULL)
		*zone_labels = (int)dname_labels(chain.zone);
	l = (struct n3_lookup){ .cache = cache, .budget = budget,
	    .chain = &chain, .hashes = hashes, .now = now, .klass = klass };
	proven = nsec3_prove(&l, qname, qtype, found, &ce);
	if (ce_labels != NULL)
		*ce_labels = ce;
	/* A denial goes with the zone's SOA; an expansion needs none. */
	if (found->soa == NULL && proven != AGGRESSIVE_WILDCARD)
		proven = -1;
	proven = found_keep(found, proven);
	nsec_cache_chain_clear(&chain);
	return proven;
}

int
aggressive_nsec3_wildcard(struct nsec_cache *cache, const ldns_rdf *qname,
    unsigned ce_labels, ldns_rr_class klass, time_t now,
    struct nsec3_cache *hashes, struct dnssec_budget *budget,
    struct nsec_cache_found *found)
{
	struct nsec_cache_chain chain;
	struct n3_lookup l;
	struct dnssec_verdict vd;
	uint8_t hash[NSEC_CACHE_HASH_LEN];
	ldns_rdf *next = NULL;
	int proven = -1;

	memset(found, 0, sizeof(*found));
	if (ce_labels >= dname_labels(qname) ||
	    !nsec_cache_nsec3_chain(cache, qname, false, klass, now, &chain))
		return -1;
	l = (struct n3_lookup){ .cache = cache, .budget = budget,
	    .chain = &chain, .hashes = hashes, .now = now, .klass = klass };
	/* The next closer name: one label more than the encloser. */
	if (ce_labels >= dname_labels(chain.zone) &&
	    dname_in_bailiwick(qname, chain.zone) &&
	    (next = dname_ancestor(qname, ce_labels + 1)) != NULL &&
	    n3_find(&l, next, hash, found) == NSEC_CACHE_COVER) {
		/* As an authority's expansion is judged: no opt-out span. */
		nsec3_prove_wildcard(qname, (int)ce_labels, chain.zone,
		    found->nsecs, hashes, budget, &vd);
		if (vd.status == SEC_SECURE)
			proven = AGGRESSIVE_WILDCARD;
	}
	proven = found_keep(found, proven);
	ldns_rdf_deep_free(next);
	nsec_cache_chain_clear(&chain);
	return proven;
}

/*
 * The closest encloser (*ce labels) of the deepest wildcard over the
 * task's name whose RRset of the task's type is cached secure, signed for
 * that encloser: what a validated expansion left (aggressive_learn_wildcard).
 * Which zone signed it is wildcard_answer's to check. Only enclosers of at
 * least `min_labels` labels are looked up (one RRset-cache lookup and one
 * name allocated each): aggressive_nsec3_wildcard accepts none above the
 * apex of the zone whose chain it searches, so a wildcard found there
 * could answer nothing.
 */
static bool
cached_wildcard(struct engine *engine, const struct task *task, time_t now,
    unsigned min_labels, unsigned *ce)
{
	unsigned labels = dname_labels(task->qname);

	if (!wildcard_type(task->qtype))
		return false;
	for (unsigned l = labels; l-- > min_labels;) {
		struct rrset_info info = { 0 };
		ldns_rr_list *rrs;
		ldns_rdf *wild = dname_wildcard_at(task->qname, l);
		bool found;

		if (wild == NULL)
			return false;
		rrs = rrset_cache_lookup(engine->rrsets, wild, task->qtype,
		    task->klass, now, RANK_ANSWER, &info);
		found = rrs != NULL && info.status == SEC_SECURE &&
		    wildcard_sigs(info.sigs, NULL, l);
		ldns_rr_list_deep_free(rrs);
		ldns_rr_list_deep_free(info.sigs);
		ldns_rdf_deep_free(wild);
		if (found) {
			*ce = l;
			return true;
		}
	}
	return false;
}

/* The NSEC3 half of aggressive_answer: the closest zone holds a chain. */
static bool
aggressive_answer_nsec3(struct engine_request *req, struct task *task,
    struct engine_now now, ldns_pkt_rcode *rcode)
{
	struct engine *engine = req->engine;
	struct nsec_cache_found f;
	unsigned ce;
	int proven, zone_labels;
	bool done;

	proven = aggressive_nsec3_lookup(engine->nsecs, task->qname,
	    task->qtype, task->klass, now.wall, validator_nsec3_cache(req),
	    &req->budget, &f, &ce, &zone_labels);
	/*
	 * An expansion's proof has only the next closer name's cover (RFC
	 * 5155 §7.2.6), not the NSEC3s of the encloser and the wildcard
	 * that the lookup above walks: the wildcard's cached RRset says
	 * those exist, as its RRSIG's labels tell a validator (§8.8). The
	 * same chain is the one aggressive_nsec3_wildcard searches (the
	 * closest zone over the name, as no DS gets here): without one there
	 * is nothing to look up, and enclosers above its apex are no use.
	 */
	if (proven < 0 && zone_labels >= 0 && cached_wildcard(engine, task,
	    now.wall, (unsigned)zone_labels, &ce))
		proven = aggressive_nsec3_wildcard(engine->nsecs, task->qname,
		    ce, task->klass, now.wall, validator_nsec3_cache(req),
		    &req->budget, &f);
	done = proven >= 0 &&
	    validator_anchored(engine->validator, task->qname, f.zone);
	if (done && proven == AGGRESSIVE_WILDCARD) {
		/* Every NSEC3 of the proof goes with the answer: the
		 * next closer's cover is the one RFC 5155 §7.2.6 asks for. */
		ldns_rr_list *proof = NULL;

		if (list_move(&proof, f.nsecs) && list_move(&proof, f.sigs))
			done = wildcard_answer(req, task, f.zone, ce, proof,
			    f.ttl, true, now, rcode);
		else {
			ldns_rr_list_deep_free(proof);
			done = false;
		}
	} else if (done)
		done = aggressive_finish(req, task, &f, proven, true, now,
		    rcode);
	nsec_cache_found_clear(&f);
	return done;
}

/*
 * The NSEC half of RFC 8198 §5.3: a name the cached NSECs prove absent,
 * with no closer name (nsec_prove_wildcard, as for an authority's wildcard
 * answer), answered by wildcard_answer with the covering NSEC and its
 * RRSIGs as the proof. True when answered.
 */
static bool
aggressive_wildcard(struct engine_request *req, struct task *task,
    struct nsec_cache_found *f, struct engine_now now, ldns_pkt_rcode *rcode)
{
	struct dnssec_verdict vd;
	const ldns_rr *cover = NULL;
	ldns_rr_list *proof = NULL, *nsec = NULL;
	unsigned ce = 0;

	if (!wildcard_type(task->qtype) || has_owner(f->nsecs, task->qname))
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(f->nsecs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(f->nsecs, i);

		if (ldns_rr_rd_count(rr) >= 1 && nsec_covers(ldns_rr_owner(rr),
		    ldns_rr_rdf(rr, 0), task->qname)) {
			cover = rr;
			break;
		}
	}
	if (cover == NULL)
		return false;
	/* The closest encloser: the longest ancestor shared with either end. */
	for (unsigned l = dname_labels(task->qname); l-- > 0 && ce == 0;) {
		ldns_rdf *up = dname_ancestor(task->qname, l);

		if (up != NULL && (dname_in_bailiwick(ldns_rr_owner(cover), up) ||
		    dname_in_bailiwick(ldns_rr_rdf(cover, 0), up)))
			ce = l;
		ldns_rdf_deep_free(up);
	}
	if (ce < dname_labels(f->zone))
		return false;
	nsec_prove_wildcard(task->qname, (int)ce, f->zone, f->nsecs, &vd);
	if (vd.status != SEC_SECURE)
		return false;
	proof = renamed(f->nsecs, ldns_rr_owner(cover), LDNS_RR_TYPE_NSEC, -1,
	    ldns_rr_owner(cover));
	nsec = renamed(f->sigs, ldns_rr_owner(cover), LDNS_RR_TYPE_RRSIG,
	    -1, ldns_rr_owner(cover));
	if (proof == NULL || nsec == NULL || !list_move(&proof, nsec)) {
		ldns_rr_list_deep_free(proof);
		ldns_rr_list_deep_free(nsec);
		return false;
	}
	ldns_rr_list_deep_free(nsec);
	return wildcard_answer(req, task, f->zone, ce, proof, f->ttl, false,
	    now, rcode);
}

bool
aggressive_answer(struct engine_request *req, struct task *task,
    struct engine_now now, ldns_pkt_rcode *rcode)
{
	struct engine *engine = req->engine;
	struct nsec_cache_found f;
	int proven = -1;
	bool done;

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
		return aggressive_answer_nsec3(req, task, now, rcode);
	/* Without a live SOA (NSECs from wildcard answers only), a proven
	 * denial is asked upstream: its answer needs one. */
	done = validator_anchored(engine->validator, task->qname, f.zone) &&
	    ((proven = aggressive_prove(task->qname, task->qtype, &f)) >= 0 ?
	    f.soa != NULL && aggressive_finish(req, task, &f, proven, false,
	    now, rcode) : aggressive_wildcard(req, task, &f, now, rcode));
	nsec_cache_found_clear(&f);
	return done;
}
