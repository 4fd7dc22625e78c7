/*
 * validator.c: the DNSSEC verdict on each reply at the iterator's cache
 * door, and the walk of the chain of trust from the closest trust anchor
 * down to the zone that signed it. Crypto and denial proofs are
 * verify.c/nsec.c/nsec3.c's; this file decides which keys, which proof,
 * and what the result means for the zone's keys.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "dnssec/algorithms.h"
#include "dnssec/autotrust.h"
#include "dnssec/key_cache.h"
#include "dnssec/nsec.h"
#include "dnssec/nsec3.h"
#include "dnssec/trust_anchor.h"
#include "dnssec/validator.h"
#include "dnssec/verify.h"
#include "request.h"
#include "rrset_cache.h"

struct validator {
	bool enabled;
	struct trust_anchors *anchors;
	struct key_cache *keys;
	/*
	 * RFC 5011 (auto-trust-anchor-file), NULL when not set. One state for
	 * all the daemon's workers, so `at_lock` guards `at`, `at_updated`
	 * and `at_err`, and every use of them (update, save, timers, the
	 * trusted keys) happens inside it. That is enough because nobody
	 * keeps a pointer into `at` past the lock: check_dnskey() takes its
	 * own deep copy of the trusted keys (autotrust_trusted()) each time,
	 * so there is no shared key set to swap, and an update is seen by the
	 * next DNSKEY check. The save is inside the lock too, so two workers
	 * never write the file at once. `at_zone` and `at_path` never change.
	 */
	struct autotrust *at;
	ldns_rdf *at_zone;
	char *at_path;
	ldns_rr_list *at_loaded;	/* its keys put among the anchors */
	pthread_mutex_t at_lock;
	bool at_updated;	/* a validated update since the last probe */
	char at_err[256];	/* the last failed save, "" when none */
};

/*
 * Loads the auto-trust-anchor-file and puts its trusted keys among the
 * anchors, so that the chain of trust starts at its zone; check_dnskey()
 * then takes the zone's keys from the autotrust state, not from there.
 */
static int
autotrust_setup(struct validator *val, const char *path, char *err,
    size_t errlen)
{
	ldns_rr_list *keys;
	size_t n;

	if ((val->at = autotrust_load(path, err, errlen)) == NULL)
		return -1;
	pthread_mutex_init(&val->at_lock, NULL);
	if ((val->at_path = strdup(path)) == NULL ||
	    (val->at_zone = ldns_rdf_clone(autotrust_zone(val->at))) == NULL ||
	    (keys = autotrust_trusted(val->at)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = ldns_rr_list_rr_count(keys);
	for (size_t i = 0; i < n; i++) {
		char *text = ldns_rr2str(ldns_rr_list_rr(keys, i));
		char why[200];

		if (text == NULL || trust_anchors_add_string(val->anchors, text,
		    why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: %s", path,
			    text == NULL ? "out of memory" : why);
			free(text);
			ldns_rr_list_deep_free(keys);
			return -1;
		}
		free(text);
	}
	val->at_loaded = keys;
	if (n == 0) {
		snprintf(err, errlen, "%s: no trusted key (all revoked or "
		    "pending)", path);
		return -1;
	}
	return 0;
}

struct validator *
validator_new(const struct engine_config *config, char *err, size_t errlen)
{
	struct validator *val = calloc(1, sizeof(*val));

	if (val == NULL || (val->anchors = trust_anchors_new()) == NULL ||
	    (val->keys = key_cache_new(ENGINE_KEY_CACHE_SHARE(
	    config->cache_size))) == NULL) {
		snprintf(err, errlen, "out of memory");
		validator_free(val);
		return NULL;
	}
	if (!config->dnssec_validation)
		return val;
	for (size_t i = 0; i < config->trust_anchor_file_count; i++)
		if (trust_anchors_add_file(val->anchors,
		    config->trust_anchor_files[i], err, errlen) != 0)
			goto fail;
	for (size_t i = 0; i < config->trust_anchor_count; i++)
		if (trust_anchors_add_string(val->anchors,
		    config->trust_anchors[i], err, errlen) != 0)
			goto fail;
	for (size_t i = 0; i < config->domain_insecure_count; i++)
		if (trust_anchors_add_insecure(val->anchors,
		    config->domain_insecure[i], err, errlen) != 0)
			goto fail;
	if (config->auto_trust_anchor_file != NULL &&
	    autotrust_setup(val, config->auto_trust_anchor_file, err,
	    errlen) != 0)
		goto fail;
	val->enabled = config->trust_anchor_file_count +
	    config->trust_anchor_count > 0 || val->at != NULL;
	if (val->enabled)
		dnssec_algorithms_init();
	return val;
fail:
	validator_free(val);
	return NULL;
}

void
validator_free(struct validator *val)
{
	if (val == NULL)
		return;
	trust_anchors_free(val->anchors);
	key_cache_free(val->keys);
	if (val->at != NULL) {
		autotrust_free(val->at);
		pthread_mutex_destroy(&val->at_lock);
	}
	ldns_rdf_deep_free(val->at_zone);
	free(val->at_path);
	ldns_rr_list_deep_free(val->at_loaded);
	free(val);
}

ldns_rdf *
validator_autotrust_zone(struct validator *val)
{
	if (val == NULL || val->at_zone == NULL)
		return NULL;
	return ldns_rdf_clone(val->at_zone);
}

uint32_t
validator_autotrust_next_probe(struct validator *val)
{
	uint32_t t;

	if (val == NULL || val->at == NULL)
		return UINT32_MAX;
	pthread_mutex_lock(&val->at_lock);
	t = autotrust_next_probe(val->at);
	pthread_mutex_unlock(&val->at_lock);
	return t;
}

int
validator_autotrust_probe_done(struct validator *val, bool answered,
    uint32_t now, char *err, size_t errlen)
{
	int rc = 0;

	if (val == NULL || val->at == NULL)
		return 0;
	pthread_mutex_lock(&val->at_lock);
	/*
	 * Answered but not validated into an update (bogus, or served from a
	 * cache): a failed probe too, or the timer would fire again at once.
	 */
	if (!answered || !val->at_updated) {
		autotrust_probe_failed(val->at, now);
		if (autotrust_save(val->at, val->at_path, val->at_err,
		    sizeof(val->at_err)) == 0)
			val->at_err[0] = '\0';
	}
	val->at_updated = false;
	if (val->at_err[0] != '\0') {
		snprintf(err, errlen, "%s", val->at_err);
		rc = -1;
	}
	pthread_mutex_unlock(&val->at_lock);
	return rc;
}

/*
 * The anchored zone's DNSKEY RRset validated from upstream: RFC 5011's
 * state machine runs on it (autotrust_update() checks it again against the
 * keys trusted now) and the file is rewritten, the timers having moved.
 */
static void
autotrust_seen(struct validator *val, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, time_t now)
{
	struct dnssec_verdict vd;

	pthread_mutex_lock(&val->at_lock);
	autotrust_update(val->at, rrset, sigs, (uint32_t)now, &vd);
	val->at_updated = vd.status == SEC_SECURE;
	if (autotrust_save(val->at, val->at_path, val->at_err,
	    sizeof(val->at_err)) == 0)
		val->at_err[0] = '\0';
	pthread_mutex_unlock(&val->at_lock);
}

static bool
has_record(const ldns_rr_list *list, const ldns_rr *rr)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++)
		if (ldns_rr_compare(ldns_rr_list_rr(list, i), rr) == 0)
			return true;
	return false;
}

/* Whether each record of `a` not in `a_skip` is in `b` and not in `b_skip`. */
static bool
records_in(const ldns_rr_list *a, const ldns_rr_list *a_skip,
    const ldns_rr_list *b, const ldns_rr_list *b_skip)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(a); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(a, i);

		if (!has_record(a_skip, rr) &&
		    (!has_record(b, rr) || has_record(b_skip, rr)))
			return false;
	}
	return true;
}

/* Whether two lists hold the same records, in any order, *_skip left out. */
static bool
same_records(const ldns_rr_list *a, const ldns_rr_list *a_skip,
    const ldns_rr_list *b, const ldns_rr_list *b_skip)
{
	return records_in(a, a_skip, b, b_skip) &&
	    records_in(b, b_skip, a, a_skip);
}

/* The keys the auto-trust-anchor-file put among v's anchors for `zone`. */
static const ldns_rr_list *
auto_keys(const struct validator *v, const ldns_rdf *zone)
{
	return v->at != NULL && dname_equal(zone, v->at_zone) ? v->at_loaded :
	    NULL;
}

bool
validator_same_trust(struct validator *a, const struct validator *b)
{
	size_t n = trust_anchors_count(a->anchors);
	ldns_rr_list *trusted = NULL;
	bool same = a->enabled == b->enabled &&
	    n == trust_anchors_count(b->anchors) &&
	    (a->at_path == NULL || b->at_path == NULL ? a->at_path == b->at_path :
	    strcmp(a->at_path, b->at_path) == 0);

	/*
	 * The auto-trust-anchor-file's keys: `a` trusts its RFC 5011 state,
	 * updated since it loaded the file and saved there, where `b` read
	 * it. The same keys are no change: `a` made it, not the operator.
	 */
	if (same && a->at != NULL) {
		pthread_mutex_lock(&a->at_lock);
		trusted = autotrust_trusted(a->at);
		pthread_mutex_unlock(&a->at_lock);
		same = trusted != NULL &&
		    same_records(trusted, NULL, b->at_loaded, NULL);
		ldns_rr_list_deep_free(trusted);
	}
	/* The other anchors as configured, those keys left out. */
	for (size_t i = 0; same && i < n; i++) {
		const struct trust_anchor *ta = trust_anchors_get(a->anchors, i);
		const struct trust_anchor *tb = NULL;

		for (size_t j = 0; j < n && tb == NULL; j++)
			if (dname_equal(trust_anchors_get(b->anchors, j)->zone,
			    ta->zone))
				tb = trust_anchors_get(b->anchors, j);
		same = tb != NULL && ta->negative == tb->negative &&
		    same_records(ta->records, auto_keys(a, ta->zone),
		    tb->records, auto_keys(b, tb->zone));
	}
	return same;
}

void
validator_keep_keys(struct validator *fresh, struct validator *old)
{
	struct key_cache *keys = fresh->keys;

	fresh->keys = old->keys;
	old->keys = keys;
}

bool
validator_enabled(const struct validator *val)
{
	return val != NULL && val->enabled;
}

struct key_cache *
validator_key_cache(struct validator *val)
{
	return val->keys;
}

bool
validator_request_init(struct engine_request *req)
{
	dnssec_budget_init(&req->budget);
	req->validate = validator_enabled(req->engine->validator) &&
	    !req->question.checking_disabled;
	req->nsec3 = NULL;	/* made by validator_nsec3_cache when needed */
	return true;
}

/*
 * Made on first use: it is 17 KiB, and most requests prove nothing with
 * NSEC3. NULL (out of memory) is fine for the proofs: they then hash
 * without a cache.
 */
struct nsec3_cache *
validator_nsec3_cache(struct engine_request *req)
{
	if (req->nsec3 == NULL)
		req->nsec3 = nsec3_cache_new();
	return req->nsec3;
}

void
validator_request_free(struct engine_request *req)
{
	nsec3_cache_free(req->nsec3);
	req->nsec3 = NULL;
	for (unsigned i = 0; i < req->dnssec_restarts; i++)
		ldns_rdf_deep_free(req->bogus[i].zone);
	req->dnssec_restarts = 0;
}

void
validator_emit(struct engine_request *req, const struct task *task,
    const char *step, const ldns_rdf *owner, ldns_rr_type type,
    const ldns_rdf *zone, enum sec_status status, int ede, const char *why,
    struct engine_now now)
{
	struct engine_event ev = { 0 };

	if (req->observer == NULL)
		return;
	ev.kind = EV_DNSSEC;
	ev.u.dnssec.step = step;
	ev.u.dnssec.owner = owner;
	ev.u.dnssec.type = type;
	ev.u.dnssec.zone = zone;
	ev.u.dnssec.status = status;
	ev.u.dnssec.ede = ede;
	ev.u.dnssec.why = why != NULL ? why : sec_status_name(status);
	engine_emit(req, &ev, task, now);
}

static void
emit_verdict(struct engine_request *req, const struct task *task,
    const char *step, const ldns_rdf *owner, ldns_rr_type type,
    const ldns_rdf *zone, const struct dnssec_verdict *vd,
    struct engine_now now)
{
	struct engine_event ev = { 0 };

	if (vd->limit != NULL) {
		ev.kind = EV_LIMIT_HIT;
		ev.u.limit.limit = vd->limit;
		STAT_ADD(req->engine, limits_hit, 1);
		engine_emit(req, &ev, task, now);
		memset(&ev, 0, sizeof(ev));
	}
	if (req->observer == NULL)
		return;
	ev.kind = EV_DNSSEC;
	ev.u.dnssec.step = step;
	ev.u.dnssec.owner = owner;
	ev.u.dnssec.type = type;
	ev.u.dnssec.zone = zone;
	ev.u.dnssec.status = vd->status;
	ev.u.dnssec.ede = vd->ede;
	ev.u.dnssec.why = vd->why != NULL ? vd->why :
	    sec_status_name(vd->status);
	ev.u.dnssec.key_tag = vd->key_tag;
	ev.u.dnssec.algorithm = vd->algorithm;
	engine_emit(req, &ev, task, now);
}

/* ---- lists ---- */

/* The records of `from` owned by `owner` of `type`: a list borrowing them. */
static ldns_rr_list *
pick(const ldns_rr_list *from, const ldns_rdf *owner, ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; out != NULL && from != NULL &&
	    i < ldns_rr_list_rr_count(from); i++) {
		ldns_rr *rr = ldns_rr_list_rr(from, i);

		if (ldns_rr_get_type(rr) == type &&
		    dname_equal(ldns_rr_owner(rr), owner))
			ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

/* The RRSIGs of `sigs` over owner/type: a list borrowing them. */
static ldns_rr_list *
sigs_over(const ldns_rr_list *sigs, const ldns_rdf *owner, ldns_rr_type type)
{
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; out != NULL && sigs != NULL &&
	    i < ldns_rr_list_rr_count(sigs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(rr);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    covered != NULL && ldns_rdf2rr_type(covered) == type &&
		    dname_equal(ldns_rr_owner(rr), owner))
			ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

static uint32_t
list_ttl(const ldns_rr_list *rrs, uint32_t cap)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(rrs, i)) < cap)
			cap = ldns_rr_ttl(ldns_rr_list_rr(rrs, i));
	return cap;
}

/* ---- the chain of trust ---- */

/*
 * Whether `zone` speaks for `name` past a trust anchor: the closest anchor
 * at or above `name` is a positive one strictly below `zone` (`zone` NULL:
 * one at `name` itself, whose parent holds what is judged). The chain of
 * trust for `name` then starts at that anchor (RFC 4033 §5, an island of
 * security), so `zone`'s word on it counts for nothing: its signatures
 * over data there, its proof of an unsigned cut above it, its DS or proven
 * absence of a DS for the anchored zone. Unbound primes the anchor when its
 * key entry is above it (validator.c processInit) and fails a signer above
 * it ("bad signer name", processFindKey). The inverse of
 * validator_anchored() for a positive anchor.
 */
static bool
anchored_below(const struct validator *val, const ldns_rdf *name,
    const ldns_rdf *zone)
{
	const struct trust_anchor *ta = trust_anchors_lookup(val->anchors,
	    name);

	if (ta == NULL || ta->negative)
		return false;
	if (zone == NULL)
		return dname_equal(ta->zone, name);
	return dname_in_bailiwick(ta->zone, zone) &&
	    !dname_equal(ta->zone, zone);
}

#define VALIDATOR_WHY_ABOVE_ANCHOR	"signer above the name's trust anchor"

/*
 * Whether data of `type` owned by `owner` and signed by `signer` lies
 * under an anchor below the signer: the zone holding it is the owner's,
 * the parent's for a DS (Unbound looks the anchor up there too).
 */
static bool
signer_above_anchor(const struct validator *val, const ldns_rdf *owner,
    ldns_rr_type type, const ldns_rdf *signer)
{
	ldns_rdf *parent;
	bool above;

	if (type != LDNS_RR_TYPE_DS || dname_labels(owner) == 0)
		return anchored_below(val, owner, signer);
	if ((parent = dname_ancestor(owner, dname_labels(owner) - 1)) == NULL)
		return true;	/* out of memory: trust nothing */
	above = anchored_below(val, parent, signer);
	ldns_rdf_deep_free(parent);
	return above;
}

enum zone_answer {
	ZONE_KEYS,		/* keys: the zone's validated DNSKEYs */
	ZONE_INSECURE,
	ZONE_INDETERMINATE,
	ZONE_BOGUS,
	ZONE_NEED,
};

struct zone_verdict {
	enum zone_answer answer;
	ldns_rr_list *keys;	/* ZONE_KEYS: owned */
	int ede;
	const char *why;
	bool cached_bad;	/* ZONE_BOGUS from a key entry known bad */
};

static void
zone_need(struct val_need *need, const ldns_rdf *name, ldns_rr_type type)
{
	need->name = ldns_rdf_clone(name);
	need->type = type;
}

/*
 * What is known of the keys for `target`: with `signer`, the zone named by
 * an RRSIG; without, the zone holding unsigned data owned by `target`.
 * Walks up from `target` to the closest trust anchor for the deepest key
 * cache entry; when the chain has a gap, *need names the next link down:
 * the anchor's DNSKEYs, a DS for one label more, or a zone's DNSKEYs once
 * its DS is known (top-down, one label at a time, as Unbound does).
 */
static enum zone_answer
zone_keys(struct engine_request *req, const ldns_rdf *target, bool signer,
    time_t now, struct zone_verdict *zv, struct val_need *need)
{
	struct validator *val = req->engine->validator;
	const struct trust_anchor *ta = trust_anchors_lookup(val->anchors,
	    target);
	unsigned tl = dname_labels(target), ta_labels, l;
	struct key_entry e;
	ldns_rdf *k;
	bool found = false;
	uint8_t key[DNAME_WIRE_MAX];
	size_t keylen = dname_key(target, key), at = 0;

	memset(zv, 0, sizeof(*zv));
	zv->ede = -1;
	if (ta == NULL) {
		zv->why = "no trust anchor covers the name";
		return zv->answer = ZONE_INDETERMINATE;
	}
	if (ta->negative) {
		zv->why = "negative trust anchor (domain-insecure)";
		return zv->answer = ZONE_INSECURE;
	}
	ta_labels = dname_labels(ta->zone);
	/* Each ancestor's key is a suffix of the target's (at): no copies. */
	for (l = tl;; l--) {
		if (key_cache_lookup_key(val->keys, key + at, keylen - at, now,
		    &e)) {
			found = true;
			break;
		}
		if (l == ta_labels || at >= keylen - 1)
			break;
		at = dname_key_parent(key, at);
	}
	if (!found) {
		/* Nothing known yet: start at the anchor's own DNSKEYs. */
		zone_need(need, ta->zone, LDNS_RR_TYPE_DNSKEY);
		return zv->answer = ZONE_NEED;
	}
	zv->ede = e.ede;
	zv->why = e.why;
	switch (e.state) {
	case KEY_INSECURE:
		zv->answer = ZONE_INSECURE;
		break;
	case KEY_BAD:
		zv->answer = ZONE_BOGUS;
		zv->cached_bad = true;
		break;
	case KEY_GOOD:
		if (l == tl && signer) {
			zv->keys = e.rrs;
			e.rrs = NULL;
			zv->answer = ZONE_KEYS;
		} else if (l == tl) {
			zv->answer = ZONE_BOGUS;
			zv->ede = ENGINE_EDE_RRSIGS_MISSING;
			zv->why = "RRSIGs missing in a signed zone";
		} else {
			ldns_rdf *next = dname_ancestor(target, l + 1);

			zone_need(need, next, LDNS_RR_TYPE_DS);
			ldns_rdf_deep_free(next);
			zv->answer = ZONE_NEED;
		}
		break;
	case KEY_DS:
		/*
		 * Unsigned data at the apex too: the DNSKEYs come first, so
		 * that a zone serving none is judged "DNSKEY missing" (EDE 9)
		 * by its own DNSKEY reply, not "RRSIGs missing" by its SOA.
		 */
		if ((k = dname_ancestor(target, l)) != NULL) {
			zone_need(need, k, LDNS_RR_TYPE_DNSKEY);
			ldns_rdf_deep_free(k);
		}
		zv->answer = ZONE_NEED;
		break;
	case KEY_NOT_CUT:
		if (l == tl) {
			zv->answer = ZONE_BOGUS;
			zv->ede = signer ? ENGINE_EDE_DNSSEC_BOGUS :
			    ENGINE_EDE_RRSIGS_MISSING;
			zv->why = signer ? "RRSIG signer is not a zone" :
			    "RRSIGs missing in a signed zone";
		} else {
			ldns_rdf *next = dname_ancestor(target, l + 1);

			zone_need(need, next, LDNS_RR_TYPE_DS);
			ldns_rdf_deep_free(next);
			zv->answer = ZONE_NEED;
		}
		break;
	}
	ldns_rr_list_deep_free(e.rrs);
	if (zv->answer == ZONE_NEED && need->name == NULL) {
		zv->why = "out of memory";
		zv->answer = ZONE_BOGUS;
	}
	return zv->answer;
}

static enum sec_status
zone_status(enum zone_answer answer)
{
	switch (answer) {
	case ZONE_KEYS:			return SEC_SECURE;
	case ZONE_INSECURE:		return SEC_INSECURE;
	case ZONE_INDETERMINATE:	return SEC_INDETERMINATE;
	default:			return SEC_BOGUS;
	}
}

/* ---- one check ---- */

/* The running verdict on a reply: the weakest part wins. */
struct reply_verdict {
	enum sec_status status;
	int ede;
	const char *why;
	bool dry;		/* first pass: find missing keys, no crypto */
	/*
	 * A per-request budget ran out: the failure is this request's, not
	 * the zone's, so no key entry is marked bad for it.
	 */
	bool request_limit;
	/* Bogus because the zone's keys are known bad: no server can help. */
	bool keys_bad;
	/*
	 * The iterator will ask another server if this reply is bogus (a
	 * DNSSEC restart): a bad copy must not mark the zone's keys bad yet.
	 */
	bool restartable;
	struct val_need *need;
	enum val_outcome outcome;
	/* A secure denial or expansion: its verified NSECs, zone (RFC 8198). */
	ldns_rr_list *nsec_secure;
	const ldns_rdf *nsec_zone;
	/* Every proof RRset verified, with its RRSIGs (reply.h proof_verified). */
	ldns_rr_list *proof;
};

static void
verdict_add(struct reply_verdict *rv, enum sec_status status, int ede,
    const char *why)
{
	if (status < rv->status || (status == rv->status && rv->ede < 0 &&
	    ede >= 0)) {
		rv->status = status;
		rv->ede = ede;
		rv->why = why;
	}
}

/* A zone's key state folded into the verdict. */
static void
zone_verdict_add(struct reply_verdict *rv, const struct zone_verdict *zv)
{
	if (zv->cached_bad)
		rv->keys_bad = true;
	verdict_add(rv, zone_status(zv->answer), zv->ede, zv->why);
}

static void
note_limit(struct engine_request *req, struct reply_verdict *rv,
    const struct dnssec_verdict *vd)
{
	if (vd->limit != NULL && strstr(vd->limit, "PER_REQUEST") != NULL) {
		rv->request_limit = true;
		req->dnssec_limit = vd->limit;
	}
}

/*
 * Marks a zone bogus for a while, unless the request's budget is to blame
 * or another server will be asked for a good copy.
 */
static void
store_bad(struct engine_request *req, const struct reply_verdict *rv,
    const ldns_rdf *zone, int ede, const char *why, struct engine_now now)
{
	if (rv->request_limit || rv->restartable)
		return;
	key_cache_store(req->engine->validator->keys, zone, KEY_BAD, NULL,
	    LIMIT_DNSSEC_BOGUS_KEY_TTL, ede, why, now.wall);
}

static uint32_t
ttl_of(const struct engine *engine, const ldns_rr_list *rrs, uint32_t cap)
{
	uint32_t ttl = list_ttl(rrs, engine->config.cache_max_ttl);

	return ttl < cap ? ttl : cap;
}

/*
 * How long a key cache entry proven by the signed `rrs` is kept: their TTL
 * up to `cap`, no longer than the RRSIGs over them in `sigs` are valid
 * (RFC 4035 §5.3.3), and at least LIMIT_DNSSEC_KEY_MIN_TTL.
 */
static uint32_t
signed_ttl(const struct engine *engine, const ldns_rr_list *rrs,
    const ldns_rr_list *sigs, uint32_t cap, time_t now)
{
	uint32_t ttl;

	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		uint32_t sig_cap = rrsig_ttl_cap(sigs, ldns_rr_owner(rr),
		    ldns_rr_get_type(rr), now);

		if (sig_cap < cap)
			cap = sig_cap;
	}
	ttl = ttl_of(engine, rrs, cap);
	return ttl > LIMIT_DNSSEC_KEY_MIN_TTL ? ttl : LIMIT_DNSSEC_KEY_MIN_TTL;
}

/*
 * A DNSKEY RRset signed by its own zone: checked against the zone's DS
 * (from the key cache) or its trust anchor, and the result becomes the
 * zone's key entry.
 */
static void
check_dnskey(struct engine_request *req, struct task *task,
    struct reply_verdict *rv, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, const ldns_rdf *zone, struct engine_now now)
{
	struct validator *val = req->engine->validator;
	const struct trust_anchor *ta = trust_anchors_lookup(val->anchors, zone);
	struct dnssec_verdict vd;
	struct zone_verdict zv;
	struct key_entry e = { 0 };
	ldns_rr_list *trusted = NULL, *at_keys = NULL;
	const ldns_rr_list *anchors = NULL;
	bool have_entry;

	if (val->at != NULL && dname_equal(val->at_zone, zone)) {
		/* RFC 5011: the keys trusted now, our own copy (see struct). */
		pthread_mutex_lock(&val->at_lock);
		anchors = at_keys = autotrust_trusted(val->at);
		pthread_mutex_unlock(&val->at_lock);
		if (at_keys == NULL) {
			verdict_add(rv, SEC_BOGUS, -1, "out of memory");
			return;
		}
	} else if (ta != NULL && !ta->negative && dname_equal(ta->zone, zone))
		anchors = ta->records;
	have_entry = anchors == NULL &&
	    key_cache_lookup(val->keys, zone, now.wall, &e);
	if (anchors == NULL && have_entry && e.state == KEY_DS)
		anchors = e.rrs;
	if (anchors == NULL) {
		/* No DS known yet: what does the chain above say? */
		if (zone_keys(req, zone, true, now.wall, &zv, rv->need) ==
		    ZONE_NEED && rv->need->type == LDNS_RR_TYPE_DNSKEY &&
		    dname_equal(rv->need->name, zone)) {
			/* Asking for what we hold: the DS comes first. */
			rv->need->type = LDNS_RR_TYPE_DS;
		}
		if (zv.answer == ZONE_NEED) {
			rv->outcome = VAL_NEED;
		} else if (zv.answer == ZONE_KEYS && !rv->dry) {
			/* Keys already trusted: an ordinary RRset check. */
			dnssec_verify_rrset(rrset, sigs, zv.keys, zone,
			    (uint32_t)now.wall, &req->budget, &vd);
			note_limit(req, rv, &vd);
			emit_verdict(req, task, "rrset", zone,
			    LDNS_RR_TYPE_DNSKEY, zone, &vd, now);
			verdict_add(rv, vd.status, vd.ede, vd.why);
		} else if (zv.answer != ZONE_KEYS)
			zone_verdict_add(rv, &zv);
		ldns_rr_list_deep_free(zv.keys);
		ldns_rr_list_deep_free(e.rrs);
		return;
	}
	if (rv->dry) {
		ldns_rr_list_deep_free(at_keys);
		ldns_rr_list_deep_free(e.rrs);
		return;
	}
	dnssec_verify_dnskey_rrset(rrset, sigs, anchors, zone,
	    (uint32_t)now.wall, &req->budget, &vd, &trusted);
	/* Only a set proven within the request's budget reaches RFC 5011. */
	if (at_keys != NULL && vd.status == SEC_SECURE)
		autotrust_seen(val, rrset, sigs, now.wall);
	ldns_rr_list_deep_free(at_keys);
	note_limit(req, rv, &vd);
	emit_verdict(req, task, "dnskey", zone, LDNS_RR_TYPE_DNSKEY, zone,
	    &vd, now);
	switch (vd.status) {
	case SEC_SECURE:
		/* vd.ttl_cap is the verifying RRSIG's: not the least of all
		 * (an expired one beside it would refetch the keys each time). */
		key_cache_store(val->keys, zone, KEY_GOOD, trusted,
		    signed_ttl(req->engine, rrset, NULL, vd.ttl_cap, now.wall),
		    -1, NULL, now.wall);
		break;
	case SEC_INSECURE:
		key_cache_store(val->keys, zone, KEY_INSECURE, NULL,
		    ttl_of(req->engine, rrset, UINT32_MAX), vd.ede, vd.why,
		    now.wall);
		break;
	default:
		store_bad(req, rv, zone, vd.ede, vd.why, now);
		break;
	}
	verdict_add(rv, vd.status, vd.ede, vd.why);
	ldns_rr_list_deep_free(trusted);
	ldns_rr_list_deep_free(e.rrs);
}

/*
 * One RRset judged with the keys of one `signer` zone, its RRSIGs `sigs`:
 * the RRset's status (also folded into rv); *wildcard as check_rrset's.
 */
static enum sec_status
check_signed(struct engine_request *req, struct task *task,
    struct reply_verdict *rv, const ldns_rr_list *sigs,
    const ldns_rr_list *rrset, const ldns_rdf *signer, int *wildcard,
    struct engine_now now)
{
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	const ldns_rdf *owner = ldns_rr_owner(first);
	ldns_rr_type type = ldns_rr_get_type(first);
	struct zone_verdict zv;
	struct dnssec_verdict vd;
	enum sec_status status = SEC_SECURE;

	*wildcard = -1;
	if (type == LDNS_RR_TYPE_DNSKEY && dname_equal(owner, signer)) {
		check_dnskey(req, task, rv, rrset, sigs, signer, now);
		return rv->status;
	}
	if (type == LDNS_RR_TYPE_DS && dname_equal(owner, signer)) {
		/* A DS is the parent's: signed by the child it is nonsense. */
		if (!rv->dry)
			validator_emit(req, task, "ds", owner, type, signer,
			    SEC_BOGUS, ENGINE_EDE_DNSSEC_BOGUS,
			    "DS signed by its own zone", now);
		verdict_add(rv, SEC_BOGUS, ENGINE_EDE_DNSSEC_BOGUS,
		    "DS signed by its own zone");
		return SEC_BOGUS;
	}
	zone_keys(req, signer, true, now.wall, &zv, rv->need);
	if (zv.answer == ZONE_NEED) {
		rv->outcome = VAL_NEED;
	} else if (zv.answer != ZONE_KEYS) {
		status = zone_status(zv.answer);
		if (!rv->dry)
			validator_emit(req, task, "keys", owner, type, signer,
			    status, zv.ede, zv.why, now);
		zone_verdict_add(rv, &zv);
	} else if (!rv->dry) {
		dnssec_verify_rrset(rrset, sigs, zv.keys, signer,
		    (uint32_t)now.wall, &req->budget, &vd);
		note_limit(req, rv, &vd);
		emit_verdict(req, task, type == LDNS_RR_TYPE_DS ? "ds" : "rrset",
		    owner, type, signer, &vd, now);
		status = vd.status;
		verdict_add(rv, vd.status, vd.ede, vd.why);
		if (vd.status == SEC_SECURE)
			*wildcard = vd.wildcard_labels;
	}
	ldns_rr_list_deep_free(zv.keys);
	return status;
}

/* Every ancestor of a name and the name itself, the root included. */
#define SIGNER_NAMES_MAX	((DNAME_WIRE_MAX + 1) / 2)

/*
 * The signer names of an RRset to try: `signers` (dnssec_rrset_signers:
 * the owner or its ancestors, nearest the root first) reordered in place,
 * at most LIMIT_DNSSEC_SIGNERS_PER_RRSET of them; the count.
 *
 * The scrubber keeps any signer between the zone asked and the owner, so
 * an on-path forger can add RRSIGs naming zones nearer the root than the
 * real signer, which that order tries first: taken as they came, two such
 * names pushed the real one past the limit, and a good answer was bogus.
 * So before the limit the key cache puts last the names that cannot be the
 * zone holding the owner, from what it knows: any name above a known zone
 * (keys, a DS, proven unsigned, or a trust anchor) that holds the owner,
 * as the closest zone above a name is the one that signs it (RFC 4035
 * §5.3.1; Unbound and Knot Resolver take a parent's signature over its
 * child's data, so such a name is still tried when there is room), and
 * after those a name proven not to be a zone cut (KEY_NOT_CUT), which
 * verifies nothing. The owner itself holds a DS, or an NSEC at a cut, only
 * as its parent's data: for those it puts nothing last. The rest keep
 * their order, names not known yet among them: the chain of trust is walked
 * top-down, one label at a time (zone_keys), so what finds out a name above
 * the real signer is what the real signer's own chain needs anyway, and
 * once it is known the name goes last. So forged names cost a judge of the
 * RRset at most the limit's signers, as before, and no fetch the real
 * chain would not make.
 */
static size_t
signers_to_try(struct validator *val, const ldns_rdf *owner,
    ldns_rr_type type, const ldns_rdf **signers, size_t n, time_t now)
{
	enum { FIRST, ABOVE_A_ZONE, NOT_A_ZONE } rank[SIGNER_NAMES_MAX];
	const ldns_rdf *chosen[LIMIT_DNSSEC_SIGNERS_PER_RRSET];
	uint8_t key[DNAME_WIRE_MAX];
	unsigned floor = 0;
	size_t kept = 0;

	if (n <= 1)
		return n;
	for (size_t i = 0; i < n; i++) {
		const ldns_rdf *name = signers[i];
		const struct trust_anchor *ta;
		enum key_state state;
		bool known = key_cache_state(val->keys, key,
		    dname_key(name, key), now, &state), zone;

		rank[i] = known && state == KEY_NOT_CUT ? NOT_A_ZONE : FIRST;
		zone = known && (state == KEY_GOOD || state == KEY_DS ||
		    state == KEY_INSECURE);
		if (!zone && (ta = trust_anchors_lookup(val->anchors, name)) !=
		    NULL)
			zone = !ta->negative && dname_equal(ta->zone, name);
		if (zone && (!dname_equal(name, owner) ||
		    (type != LDNS_RR_TYPE_DS && type != LDNS_RR_TYPE_NSEC)) &&
		    dname_labels(name) > floor)
			floor = dname_labels(name);
	}
	for (size_t i = 0; i < n; i++)
		if (rank[i] == FIRST && dname_labels(signers[i]) < floor)
			rank[i] = ABOVE_A_ZONE;
	for (unsigned r = FIRST; r <= NOT_A_ZONE; r++)
		for (size_t i = 0; i < n && kept < LIMIT_DNSSEC_SIGNERS_PER_RRSET;
		    i++)
			if (rank[i] == r)
				chosen[kept++] = signers[i];
	memcpy(signers, chosen, kept * sizeof(*chosen));
	return kept;
}

/*
 * One RRset of the reply. Signed: verified with its signer's keys; when
 * its RRSIGs name several signers, each in turn (signers_to_try, at
 * most LIMIT_DNSSEC_SIGNERS_PER_RRSET) until one proves it, and the best
 * verdict stands, so that an RRSIG added with another signer cannot make a
 * good answer bogus. Every signer is the owner or an ancestor, so none can
 * make it better than its own zone's chain allows: an insecure one means
 * an unsigned cut above the owner, where unsigned data is insecure too.
 * Unsigned: fine only in a zone proven insecure. `unsigned_target` is the
 * name whose zone would hold it unsigned (the owner; the parent for DS).
 * Returns the RRset's own status (also folded into rv); *wildcard gets the
 * closest encloser's label count of a wildcard expansion, or -1.
 */
static enum sec_status
check_rrset(struct engine_request *req, struct task *task,
    struct reply_verdict *rv, const ldns_rr_list *all_sigs,
    const ldns_rr_list *rrset, const ldns_rdf *unsigned_target,
    const ldns_rdf **signer_out, int *wildcard, struct engine_now now)
{
	const ldns_rr *first = ldns_rr_list_rr(rrset, 0);
	const ldns_rdf *owner = ldns_rr_owner(first);
	ldns_rr_type type = ldns_rr_get_type(first);
	ldns_rr_list *sigs = sigs_over(all_sigs, owner, type);
	const ldns_rdf *signers[SIGNER_NAMES_MAX];
	size_t n = sigs != NULL ? signers_to_try(req->engine->validator, owner,
	    type, signers, dnssec_rrset_signers(sigs, owner, type, signers,
	    SIGNER_NAMES_MAX), now.wall) : 0;
	struct reply_verdict best = { 0 };
	struct zone_verdict zv;
	enum sec_status status = SEC_SECURE, best_status = SEC_UNCHECKED;
	int wild = -1, best_wild = -1;

	if (wildcard != NULL)
		*wildcard = -1;
	if (signer_out != NULL)
		*signer_out = NULL;
	if (n == 0) {
		zone_keys(req, unsigned_target != NULL ? unsigned_target :
		    owner, false, now.wall, &zv, rv->need);
		if (zv.answer == ZONE_NEED) {
			rv->outcome = VAL_NEED;
		} else {
			status = zone_status(zv.answer);
			if (!rv->dry)
				validator_emit(req, task, "unsigned", owner,
				    type, NULL, status, zv.ede, zv.why, now);
			zone_verdict_add(rv, &zv);
		}
		ldns_rr_list_deep_free(zv.keys);
		ldns_rr_list_free(sigs);
		return status;
	}
	for (size_t i = 0; i < n; i++) {
		struct reply_verdict sub = *rv;

		sub.status = SEC_SECURE;
		sub.ede = -1;
		sub.why = NULL;
		sub.keys_bad = false;
		sub.outcome = VAL_DONE;
		status = check_signed(req, task, &sub, sigs, rrset, signers[i],
		    &wild, now);
		rv->request_limit |= sub.request_limit;
		if (sub.outcome == VAL_NEED) {
			/* This signer's keys first; all are judged again then. */
			rv->outcome = VAL_NEED;
			ldns_rr_list_free(sigs);
			return SEC_SECURE;
		}
		if (i == 0 || status > best_status) {
			best = sub;
			best_status = status;
			best_wild = wild;
			if (signer_out != NULL)
				*signer_out = signers[i];
		}
		/* In the dry pass, keys at hand count as secure: no fetch. */
		if (status == SEC_SECURE)
			break;
	}
	verdict_add(rv, best.status, best.ede, best.why);
	rv->keys_bad |= best.keys_bad;
	if (wildcard != NULL)
		*wildcard = best_wild;
	ldns_rr_list_free(sigs);
	return best_status;
}

#define VALIDATOR_WHY_PROOF_UNSIGNED	"NSEC or NSEC3 record without RRSIG"
#define VALIDATOR_WHY_PROOF_EXPANDED	"NSEC or NSEC3 record expanded from a wildcard"

/* Whether one of `sigs` (RRSIGs over one RRset) is by `zone`. */
static bool
signed_by(const ldns_rr_list *sigs, const ldns_rdf *zone)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rdf *signer = ldns_rr_rrsig_signame(
		    ldns_rr_list_rr(sigs, i));

		if (signer != NULL && dname_equal(signer, zone))
			return true;
	}
	return false;
}

/* Pushes `rr` onto rv->proof unless it is there already. */
static void
proof_push(struct reply_verdict *rv, ldns_rr *rr)
{
	if (rv->proof == NULL && (rv->proof = ldns_rr_list_new()) == NULL)
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rv->proof); i++)
		if (ldns_rr_list_rr(rv->proof, i) == rr)
			return;
	ldns_rr_list_push_rr(rv->proof, rr);
}

/*
 * A verified proof RRset joins what a DO client is given, with the RRSIGs
 * over it by `zone` (the one that verified among them): never the reply's
 * other RRSIGs, whatever they claim to cover.
 */
static void
proof_keep(struct reply_verdict *rv, const struct reply_view *v,
    const ldns_rr_list *set, const ldns_rdf *zone)
{
	const ldns_rr *first = ldns_rr_list_rr(set, 0);

	for (size_t i = 0; i < ldns_rr_list_rr_count(set); i++)
		proof_push(rv, ldns_rr_list_rr(set, i));
	for (size_t i = 0; i < ldns_rr_list_rr_count(v->sigs); i++) {
		ldns_rr *sig = ldns_rr_list_rr(v->sigs, i);
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(sig);
		const ldns_rdf *signer = ldns_rr_rrsig_signame(sig);

		if (covered != NULL && signer != NULL &&
		    ldns_rdf2rr_type(covered) == ldns_rr_get_type(first) &&
		    dname_equal(ldns_rr_owner(sig), ldns_rr_owner(first)) &&
		    dname_equal(signer, zone))
			proof_push(rv, sig);
	}
}

/*
 * The NSEC/NSEC3 records of the view signed by `zone` and verified:
 * a list borrowing them (the caller frees it with ldns_rr_list_free).
 * They also join rv->proof, all that a DO client gets of the proof.
 *
 * A proof record of `zone` that is unsigned, or whose signature fails,
 * makes the reply bogus even when the others prove the point. Unbound
 * fails a message when any RRset of its authority section does not
 * validate (validator.c validate_msg_signatures: EDE 10 unsigned, 6
 * failed), Knot Resolver when one is missing or bogus (layer/validate.c
 * validate_section, auth_validated). A zone that signs its proofs signed
 * that one too, so the server's copy is broken or tampered with; another
 * server may serve a good one (sec_retry). Records signed by another zone
 * are not this proof's: skipped (no key fetched, no signature checked) and
 * not given out, but no failure either, unlike Unbound, which checks the
 * whole authority section with one signer's keys: one view of ours may
 * hold two zones' proofs (a CNAME from a wildcard in one, the denial in
 * the other), each judged with its own zone here.
 */
static ldns_rr_list *
verified_proof(struct engine_request *req, struct task *task,
    struct reply_verdict *rv, const struct reply_view *v,
    const ldns_rdf *zone, bool *nsec3, struct engine_now now)
{
	ldns_rr_list *out = ldns_rr_list_new();
	size_t n = ldns_rr_list_rr_count(v->nsec);
	struct reply_verdict sub = *rv;
	const ldns_rr *unsigned_rr = NULL;

	*nsec3 = false;
	for (size_t i = 0; out != NULL && i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(v->nsec, i);
		ldns_rr_list *set, *sigs;
		enum sec_status st;
		bool seen = false;
		int wild;

		for (size_t j = 0; j < i; j++)
			if (ldns_rr_get_type(ldns_rr_list_rr(v->nsec, j)) ==
			    ldns_rr_get_type(rr) && dname_equal(ldns_rr_owner(
			    ldns_rr_list_rr(v->nsec, j)), ldns_rr_owner(rr)))
				seen = true;
		if (seen)
			continue;
		sigs = sigs_over(v->sigs, ldns_rr_owner(rr),
		    ldns_rr_get_type(rr));
		if (sigs == NULL)
			break;
		if (dnssec_rrset_signer(sigs, ldns_rr_owner(rr),
		    ldns_rr_get_type(rr)) == NULL) {
			/* Unsigned: proves nothing; judged below. */
			if (unsigned_rr == NULL &&
			    dname_in_bailiwick(ldns_rr_owner(rr), zone))
				unsigned_rr = rr;
			ldns_rr_list_free(sigs);
			continue;
		}
		/* Not this proof's (no RRSIG by `zone`): no keys, no crypto.
		 * RRSIGs by other signers beside one by `zone` are ignored. */
		if (!signed_by(sigs, zone) || (set = pick(v->nsec,
		    ldns_rr_owner(rr), ldns_rr_get_type(rr))) == NULL) {
			ldns_rr_list_free(sigs);
			continue;
		}
		sub.status = SEC_SECURE;
		sub.ede = -1;
		st = check_signed(req, task, &sub, sigs, set, zone, &wild, now);
		ldns_rr_list_free(sigs);
		if (sub.dry)
			;	/* no crypto yet */
		else if (st == SEC_SECURE && wild >= 0) {
			/*
			 * It verifies only as a wildcard expansion: it is the
			 * wildcard's NSEC renamed, which would deny the wildcard
			 * and every name it answers (Unbound puts it back at
			 * its "*." owner, where it proves nothing of the kind).
			 */
			validator_emit(req, task, "wildcard", ldns_rr_owner(rr),
			    ldns_rr_get_type(rr), zone, SEC_BOGUS,
			    ENGINE_EDE_DNSSEC_BOGUS, VALIDATOR_WHY_PROOF_EXPANDED,
			    now);
			verdict_add(rv, SEC_BOGUS, ENGINE_EDE_DNSSEC_BOGUS,
			    VALIDATOR_WHY_PROOF_EXPANDED);
		} else if (st == SEC_SECURE) {
			for (size_t j = 0; j < ldns_rr_list_rr_count(set); j++)
				ldns_rr_list_push_rr(out,
				    ldns_rr_list_rr(set, j));
			proof_keep(rv, v, set, zone);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3)
				*nsec3 = true;
		} else if (st == SEC_BOGUS && sub.outcome != VAL_NEED)
			verdict_add(rv, st, sub.ede, sub.why);
		ldns_rr_list_free(set);
		if (sub.outcome == VAL_NEED)
			break;
	}
	/* The zone signs its proofs (one verified above): not this one. */
	if (unsigned_rr != NULL && sub.outcome != VAL_NEED && out != NULL &&
	    ldns_rr_list_rr_count(out) > 0) {
		validator_emit(req, task, "unsigned", ldns_rr_owner(unsigned_rr),
		    ldns_rr_get_type(unsigned_rr), NULL, SEC_BOGUS,
		    ENGINE_EDE_RRSIGS_MISSING, VALIDATOR_WHY_PROOF_UNSIGNED, now);
		verdict_add(rv, SEC_BOGUS, ENGINE_EDE_RRSIGS_MISSING,
		    VALIDATOR_WHY_PROOF_UNSIGNED);
	}
	rv->outcome = sub.outcome;
	rv->request_limit |= sub.request_limit;
	rv->keys_bad |= sub.keys_bad;
	return out;
}

static const ldns_rdf *
first_signer(const ldns_rr_list *sigs, const ldns_rr_list *rrs)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		const ldns_rdf *s = dnssec_rrset_signer(sigs, ldns_rr_owner(rr),
		    ldns_rr_get_type(rr));

		if (s != NULL)
			return s;
	}
	return NULL;
}

/* Records the proven no-DS of `name` (a referral or a DS NODATA). */
static void
store_no_ds(struct engine_request *req, const ldns_rdf *name,
    const struct dnssec_verdict *vd, uint32_t ttl, struct engine_now now)
{
	struct key_cache *keys = req->engine->validator->keys;

	if (vd->status == SEC_INSECURE)
		key_cache_store(keys, name, KEY_INSECURE, NULL, ttl,
		    vd->ede >= 0 ? vd->ede : -1,
		    "delegation proven unsigned", now.wall);
	else if (vd->status == SEC_SECURE)
		key_cache_store(keys, name, KEY_NOT_CUT, NULL, ttl, -1, NULL,
		    now.wall);
}

static void
prove_no_ds(struct engine_request *req, const ldns_rdf *name,
    const ldns_rdf *zone, const ldns_rr_list *proof, bool nsec3,
    struct dnssec_verdict *vd)
{
	if (nsec3)
		nsec3_prove_no_ds(name, zone, proof, validator_nsec3_cache(req),
		    &req->budget, vd);
	else
		nsec_prove_no_ds(name, zone, proof, vd);
}

/* A referral: the child's DS, or the proof that it has none. */
static void
check_referral(struct engine_request *req, struct task *task,
    struct reply_verdict *rv, const struct reply_view *v,
    struct engine_now now)
{
	struct validator *val = req->engine->validator;
	struct key_cache *keys = val->keys;
	const ldns_rdf *child = v->referral_zone;
	const ldns_rdf *signer;
	struct dnssec_verdict vd;
	ldns_rr_list *proof;
	enum sec_status st;
	bool nsec3;
	struct key_entry known;

	/* An anchored child: its chain starts at its anchor, not here. */
	if (anchored_below(val, child, NULL))
		return;

	/*
	 * The child's DS or its proven absence is cached already (a cycle, a
	 * glueless NS lookup or a retry brings the same referral again): the
	 * verdict stands, so its signatures are not checked again (each check
	 * is a public-key operation on the cold path). A bad entry is not
	 * trusted this way: another server's copy may mend it.
	 */
	if (key_cache_lookup(keys, child, now.wall, &known)) {
		ldns_rr_list_deep_free(known.rrs);
		if (known.state == KEY_DS || known.state == KEY_GOOD ||
		    known.state == KEY_INSECURE) {
			if (!rv->dry)
				validator_emit(req, task, known.state ==
				    KEY_INSECURE ? "no-ds" : "ds", child,
				    LDNS_RR_TYPE_DS, NULL, known.state ==
				    KEY_INSECURE ? SEC_INSECURE : SEC_SECURE,
				    known.ede, "known already", now);
			return;
		}
	}
	if (ldns_rr_list_rr_count(v->ds) > 0) {
		st = check_rrset(req, task, rv, v->sigs, v->ds, NULL, &signer,
		    NULL, now);
		if (rv->outcome == VAL_NEED || rv->dry)
			return;
		if (signer != NULL && anchored_below(val, child, signer))
			;	/* a signer above the child's anchor: no word */
		else if (st == SEC_SECURE) {
			int ede = -1;

			if (dnssec_ds_usable(v->ds, &ede))
				key_cache_store(keys, child, KEY_DS, v->ds,
				    signed_ttl(req->engine, v->ds, v->sigs,
				    UINT32_MAX, now.wall), -1, NULL, now.wall);
			else
				key_cache_store(keys, child, KEY_INSECURE, NULL,
				    signed_ttl(req->engine, v->ds, v->sigs,
				    UINT32_MAX, now.wall), ede,
				    "no DS with a supported algorithm", now.wall);
		} else if (st == SEC_BOGUS)
			store_bad(req, rv, child, rv->ede, rv->why, now);
		else if (st == SEC_INSECURE)
			key_cache_store(keys, child, KEY_INSECURE, NULL,
			    ttl_of(req->engine, v->ns, UINT32_MAX), rv->ede,
			    rv->why, now.wall);
		rv->status = SEC_SECURE;
		rv->ede = -1;
		rv->why = NULL;
		return;
	}
	if ((signer = first_signer(v->sigs, v->nsec)) == NULL ||
	    anchored_below(val, child, signer))
		return;		/* nothing to judge: the DS is fetched if needed */
	proof = verified_proof(req, task, rv, v, signer, &nsec3, now);
	if (rv->outcome != VAL_NEED && !rv->dry && proof != NULL &&
	    ldns_rr_list_rr_count(proof) > 0) {
		prove_no_ds(req, child, signer, proof, nsec3, &vd);
		emit_verdict(req, task, "no-ds", child, LDNS_RR_TYPE_DS, signer,
		    &vd, now);
		if (vd.status == SEC_INSECURE)
			store_no_ds(req, child, &vd, signed_ttl(req->engine,
			    proof, v->sigs, UINT32_MAX, now.wall), now);
		else if (vd.status == SEC_SECURE)
			/* "No cut here" in a referral to here: a forgery. */
			key_cache_store(keys, child, KEY_BAD, NULL,
			    LIMIT_DNSSEC_BOGUS_KEY_TTL, ENGINE_EDE_DNSSEC_BOGUS,
			    "referral denied by its own NSEC", now.wall);
	}
	ldns_rr_list_free(proof);
	/* The referral itself is never failed: the child's answers will be. */
	rv->status = SEC_SECURE;
	rv->ede = -1;
	rv->why = NULL;
}

/*
 * A denial showed `name` at or below an unsigned delegation of `signer`
 * (vd->unsigned_cut labels: an NSEC or NSEC3 at the cut with NS, without
 * DS and SOA, verified with the signer's keys). That is the proof a
 * referral to the cut carries (check_referral), so the cut is kept as
 * insecure for `ttl` (Unbound keeps a null key entry for a proven no-DS):
 * names below it are then judged from the key cache, with no DS query and
 * no proof to check again.
 *
 * As an attacker: the proof speaks for names the signer no longer serves
 * once a zone is delegated below it. When the key cache knows a signed zone
 * (keys or a DS) strictly between the signer and the cut, the signer is not
 * the zone of those names and the denial is bogus (a parent, or its
 * replayed signatures, cannot unsign a grandchild). A signed zone known at
 * the cut itself keeps its entry, and so does a zone known insecure or bad
 * in between (a cut below a bad zone must not make its names insecure):
 * the verdict of this one answer stays insecure, as it was.
 */
static void
unsigned_cut_shown(struct engine_request *req, const ldns_rdf *name,
    const ldns_rdf *signer, struct dnssec_verdict *vd, uint32_t ttl,
    struct engine_now now)
{
	struct key_cache *keys = req->engine->validator->keys;
	unsigned l = dname_labels(name), sl = dname_labels(signer);
	unsigned cut = (unsigned)vd->unsigned_cut;
	uint8_t key[DNAME_WIRE_MAX];
	size_t keylen = dname_key(name, key), at = 0, cut_at;
	enum key_state state;
	bool keep = true;
	ldns_rdf *rdf;

	if (vd->unsigned_cut < 0 || cut <= sl || cut > l)
		return;		/* not a cut of the signer's zone */
	for (; l > cut; l--)
		at = dname_key_parent(key, at);
	cut_at = at;
	for (at = dname_key_parent(key, at), l--; l > sl; l--,
	    at = dname_key_parent(key, at)) {
		if (!key_cache_state(keys, key + at, keylen - at, now.wall,
		    &state) || state == KEY_NOT_CUT)
			continue;
		if (state == KEY_GOOD || state == KEY_DS) {
			dnssec_verdict_set(vd, SEC_BOGUS,
			    ENGINE_EDE_DNSSEC_BOGUS, "an unsigned cut shown "
			    "by a zone above a known signed zone");
			return;
		}
		keep = false;
	}
	rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, keylen - cut_at,
	    key + cut_at);
	if (keep && rdf != NULL)
		(void)key_cache_store_insecure(keys, rdf, ttl,
		    "delegation proven unsigned by a denial", now.wall);
	ldns_rdf_deep_free(rdf);
}

/* NXDOMAIN or NODATA for `name`/`qtype`: the SOA and the denial proof. */
static void
check_negative(struct engine_request *req, struct task *task,
    struct reply_verdict *rv, const struct reply_view *v,
    const ldns_rdf *name, ldns_rr_type qtype, struct engine_now now)
{
	const ldns_rr *soa = ldns_rr_list_rr_count(v->soa) > 0 ?
	    ldns_rr_list_rr(v->soa, 0) : NULL;
	struct validator *val = req->engine->validator;
	const ldns_rdf *signer = NULL;
	struct dnssec_verdict vd;
	ldns_rr_list *set, *proof;
	bool nsec3, mine, nxdomain = v->klass == REPLY_NXDOMAIN;
	enum sec_status st = SEC_SECURE;

	if (soa != NULL) {
		set = pick(v->soa, ldns_rr_owner(soa), LDNS_RR_TYPE_SOA);
		st = check_rrset(req, task, rv, v->sigs, set, NULL, &signer,
		    NULL, now);
		ldns_rr_list_free(set);
	}
	if (signer == NULL)
		signer = first_signer(v->sigs, v->nsec);
	if (signer == NULL) {
		if (soa == NULL) {
			/* No SOA, no proof: the zone must be insecure. */
			struct zone_verdict zv;

			zone_keys(req, name, false, now.wall, &zv, rv->need);
			if (zv.answer == ZONE_NEED)
				rv->outcome = VAL_NEED;
			else
				zone_verdict_add(rv, &zv);
			ldns_rr_list_deep_free(zv.keys);
		}
		return;		/* an unsigned SOA was judged above */
	}
	if (rv->outcome == VAL_NEED || st != SEC_SECURE)
		return;
	proof = verified_proof(req, task, rv, v, signer, &nsec3, now);
	if (rv->outcome == VAL_NEED || rv->dry || proof == NULL) {
		ldns_rr_list_free(proof);
		return;
	}
	if (nxdomain && nsec3)
		nsec3_prove_nxdomain(name, signer, proof,
		    validator_nsec3_cache(req), &req->budget, &vd);
	else if (nxdomain)
		nsec_prove_nxdomain(name, qtype, signer, proof, &vd);
	else if (nsec3)
		nsec3_prove_nodata(name, qtype, signer, proof,
		    validator_nsec3_cache(req), &req->budget, &vd);
	else
		nsec_prove_nodata(name, qtype, signer, proof, &vd);
	/*
	 * A name under an anchor below the signer is not the signer's to deny
	 * (a DS question is the parent's: its anchor counts). Only a secure
	 * NXDOMAIN stands, as Unbound lets the parent of an anchor deny it.
	 */
	if (vd.status != SEC_BOGUS && !(nxdomain && vd.status == SEC_SECURE) &&
	    signer_above_anchor(val, name, qtype, signer))
		dnssec_verdict_set(&vd, SEC_BOGUS, ENGINE_EDE_DNSSEC_BOGUS,
		    VALIDATOR_WHY_ABOVE_ANCHOR);
	/* What is kept of `name` below: not the signer's to say either. */
	mine = !anchored_below(val, name, signer);
	if (vd.status == SEC_INSECURE && vd.unsigned_cut >= 0)
		unsigned_cut_shown(req, name, signer, &vd,
		    signed_ttl(req->engine, v->soa, v->sigs, signed_ttl(
		    req->engine, proof, v->sigs, UINT32_MAX, now.wall),
		    now.wall), now);
	note_limit(req, rv, &vd);
	emit_verdict(req, task, nxdomain ? "nxdomain" : "nodata", name, qtype,
	    signer, &vd, now);
	verdict_add(rv, vd.status, vd.ede, vd.why);
	/* Not below an unsigned cut: that DS is no question for this zone. */
	if (!mine || qtype != LDNS_RR_TYPE_DS)
		;	/* nothing kept of the name */
	else if (!nxdomain && vd.status != SEC_BOGUS && vd.unsigned_cut < 0) {
		struct dnssec_verdict nd;

		prove_no_ds(req, name, signer, proof, nsec3, &nd);
		emit_verdict(req, task, "no-ds", name, LDNS_RR_TYPE_DS, signer,
		    &nd, now);
		store_no_ds(req, name, &nd, signed_ttl(req->engine, v->soa,
		    v->sigs, signed_ttl(req->engine, proof, v->sigs,
		    UINT32_MAX, now.wall), now.wall), now);
	} else if (vd.status == SEC_BOGUS)
		/* A broken denial of the DS: the zone below cannot be trusted. */
		store_bad(req, rv, name, vd.ede, vd.why, now);
	else if (nxdomain && vd.status == SEC_SECURE)
		/* No such name, so no cut: the walk goes on below it. */
		key_cache_store(req->engine->validator->keys, name, KEY_NOT_CUT,
		    NULL, signed_ttl(req->engine, v->soa, v->sigs,
		    signed_ttl(req->engine, proof, v->sigs, UINT32_MAX,
		    now.wall), now.wall), -1, NULL, now.wall);
	if (vd.status == SEC_SECURE && rv->nsec_secure == NULL) {
		/* Verified NSEC(3)s of a secure denial: RFC 8198 may reuse them
		 * (never an opt-out NXDOMAIN: that one is insecure). */
		rv->nsec_secure = proof;
		rv->nsec_zone = signer;
		proof = NULL;
	}
	ldns_rr_list_free(proof);
}

/* A positive RRset: its signature, and the wildcard proof it may need. */
static void
check_answer_rrset(struct engine_request *req, struct task *task,
    struct reply_verdict *rv, const struct reply_view *v,
    const ldns_rr_list *set, struct engine_now now)
{
	const ldns_rr *first = ldns_rr_list_rr(set, 0);
	const ldns_rdf *owner = ldns_rr_owner(first);
	ldns_rr_type type = ldns_rr_get_type(first);
	ldns_rdf *parent = NULL;
	const ldns_rdf *signer;
	int wildcard;
	enum sec_status st;

	/* An unsigned DS lives in the parent's zone, not the child's. */
	if (type == LDNS_RR_TYPE_DS && dname_labels(owner) > 0)
		parent = dname_ancestor(owner, dname_labels(owner) - 1);
	st = check_rrset(req, task, rv, v->sigs, set, parent, &signer,
	    &wildcard, now);
	ldns_rdf_deep_free(parent);
	if (rv->outcome == VAL_NEED || rv->dry)
		return;
	if (signer != NULL && st != SEC_BOGUS &&
	    signer_above_anchor(req->engine->validator, owner, type, signer)) {
		validator_emit(req, task, "signer", owner, type, signer,
		    SEC_BOGUS, ENGINE_EDE_DNSSEC_BOGUS,
		    VALIDATOR_WHY_ABOVE_ANCHOR, now);
		verdict_add(rv, SEC_BOGUS, ENGINE_EDE_DNSSEC_BOGUS,
		    VALIDATOR_WHY_ABOVE_ANCHOR);
		return;		/* no proof to check, nothing kept */
	}
	if (st == SEC_SECURE && wildcard >= 0) {
		struct dnssec_verdict vd;
		ldns_rr_list *proof;
		bool nsec3;

		if (type == LDNS_RR_TYPE_DNAME) {
			verdict_add(rv, SEC_BOGUS, ENGINE_EDE_DNSSEC_BOGUS,
			    "DNAME from a wildcard");
			return;
		}
		proof = verified_proof(req, task, rv, v, signer, &nsec3, now);
		if (proof == NULL)
			return;
		if (nsec3)
			nsec3_prove_wildcard(owner, wildcard, signer, proof,
			    validator_nsec3_cache(req), &req->budget, &vd);
		else
			nsec_prove_wildcard(owner, wildcard, signer, proof, &vd);
		emit_verdict(req, task, "wildcard", owner, type, signer, &vd,
		    now);
		verdict_add(rv, vd.status, vd.ede, vd.why);
		if (vd.status == SEC_SECURE && set == v->answer &&
		    rv->nsec_secure == NULL) {
			/* The expansion's proof: RFC 8198 §5.3 may reuse
			 * it for other names under the wildcard. */
			rv->nsec_secure = proof;
			rv->nsec_zone = signer;
			proof = NULL;
		}
		ldns_rr_list_free(proof);
	}
	/* The parent's DS for an anchored zone: no word (check_referral). */
	if (type == LDNS_RR_TYPE_DS &&
	    !anchored_below(req->engine->validator, owner, signer)) {
		struct key_cache *keys = req->engine->validator->keys;
		int ede = -1;

		if (st == SEC_SECURE && dnssec_ds_usable(set, &ede))
			key_cache_store(keys, owner, KEY_DS, set,
			    signed_ttl(req->engine, set, v->sigs, UINT32_MAX,
			    now.wall), -1, NULL, now.wall);
		else if (st == SEC_SECURE || st == SEC_INSECURE)
			key_cache_store(keys, owner, KEY_INSECURE, NULL,
			    signed_ttl(req->engine, set, v->sigs, UINT32_MAX,
			    now.wall), st == SEC_SECURE ? ede : rv->ede, st == SEC_SECURE ?
			    "no DS with a supported algorithm" : rv->why,
			    now.wall);
		else if (st == SEC_BOGUS)
			store_bad(req, rv, owner, rv->ede, rv->why, now);
	}
}

/* Every RRset of the answer chain and the answer, and a denial. */
static void
check_answer(struct engine_request *req, struct task *task,
    struct reply_verdict *rv, const struct reply_view *v,
    const ldns_rdf *qname, ldns_rr_type qtype, struct engine_now now)
{
	size_t n = ldns_rr_list_rr_count(v->chain);

	for (size_t i = 0; i < n && rv->outcome != VAL_NEED; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(v->chain, i);
		ldns_rr_list *set;

		/* Our own CNAME after a DNAME is as good as the DNAME. */
		if (i > 0 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    ldns_rr_get_type(ldns_rr_list_rr(v->chain, i - 1)) ==
		    LDNS_RR_TYPE_DNAME)
			continue;
		set = pick(v->chain, ldns_rr_owner(rr), ldns_rr_get_type(rr));
		if (set != NULL && ldns_rr_list_rr_count(set) > 0)
			check_answer_rrset(req, task, rv, v, set, now);
		ldns_rr_list_free(set);
	}
	if (rv->outcome == VAL_NEED)
		return;
	if (ldns_rr_list_rr_count(v->answer) > 0) {
		check_answer_rrset(req, task, rv, v, v->answer, now);
		return;
	}
	if (v->klass == REPLY_NXDOMAIN || v->klass == REPLY_NODATA)
		check_negative(req, task, rv, v, v->target != NULL ? v->target :
		    qname, qtype, now);
}

static bool
need_on_stack(const struct engine_request *req, const struct val_need *need)
{
	for (unsigned i = 0; i < req->task_count; i++)
		if (req->tasks[i]->qtype == need->type &&
		    dname_equal(req->tasks[i]->qname, need->name))
			return true;
	return false;
}

/* A DS (or an anchor) vouches for keys the zone does not serve. */
#define VALIDATOR_WHY_NO_DNSKEY	"no DNSKEY RRset for the zone's DS"

/*
 * The reply to a zone's own DNSKEY query that needs that zone's DNSKEYs to
 * be judged: the zone has a DS (or an anchor) but serves no DNSKEY RRset,
 * or an unsigned one. One verdict for the reply, the key entry and the
 * event the trace reads: EDE 9 as Unbound gives (10 for an unsigned set).
 * The key entry is marked bad only once no other server is left to ask.
 */
static bool
own_dnskey_missing(struct engine_request *req, struct task *task,
    struct reply_view *v, const struct val_need *need, struct engine_now now)
{
	bool unsigned_set = ldns_rr_list_rr_count(v->answer) > 0;
	int ede = unsigned_set ? ENGINE_EDE_RRSIGS_MISSING :
	    ENGINE_EDE_DNSKEY_MISSING;
	const char *why = unsigned_set ? "DNSKEY RRset unsigned" :
	    VALIDATOR_WHY_NO_DNSKEY;

	if (need->type != LDNS_RR_TYPE_DNSKEY ||
	    task->qtype != LDNS_RR_TYPE_DNSKEY ||
	    !dname_equal(task->qname, need->name))
		return false;
	if (!task->bogus_restartable)
		key_cache_store(req->engine->validator->keys, need->name,
		    KEY_BAD, NULL, LIMIT_DNSSEC_BOGUS_KEY_TTL, ede, why,
		    now.wall);
	validator_emit(req, task, "dnskey", need->name, need->type,
	    need->name, SEC_BOGUS, ede, why, now);
	v->status = SEC_BOGUS;
	v->ede = ede;
	v->sec_why = why;
	v->sec_retry = true;
	return true;
}

/*
 * zone_keys()'s ZONE_NEED for the zone's own DNSKEYs, without its copy of
 * the keys: the entry at the zone holds its validated DS only, or the zone
 * is the anchor and nothing is known of it yet. `ds_pending`: a DS for it
 * is on its way to being judged (a referral's deferred proof), so nothing
 * known of it under a positive anchor is enough.
 */
static bool
keys_next(struct engine_request *req, const ldns_rdf *zone, time_t now,
    bool ds_pending)
{
	struct validator *val = req->engine->validator;
	const struct trust_anchor *ta;
	uint8_t key[DNAME_WIRE_MAX];
	enum key_state state;
	bool known;

	if (!req->validate ||
	    (ta = trust_anchors_lookup(val->anchors, zone)) == NULL ||
	    ta->negative)
		return false;
	known = key_cache_state(val->keys, key, dname_key(zone, key), now,
	    &state);
	if (ds_pending)
		return !known;
	return known ? state == KEY_DS : dname_equal(ta->zone, zone);
}

bool
validator_keys_next(struct engine_request *req, const ldns_rdf *zone,
    time_t now)
{
	return keys_next(req, zone, now, false);
}

bool
validator_keys_after_ds(struct engine_request *req, const ldns_rdf *zone,
    time_t now)
{
	return keys_next(req, zone, now, true);
}

bool
validator_keys_held(struct engine_request *req, const ldns_rdf *zone,
    time_t now)
{
	uint8_t key[DNAME_WIRE_MAX];
	enum key_state state;

	return key_cache_state(req->engine->validator->keys, key,
	    dname_key(zone, key), now, &state) && state == KEY_GOOD;
}

enum val_outcome
validator_check_reply(struct engine_request *req, struct task *task,
    struct reply_view *v, const ldns_rdf *qname, ldns_rr_type qtype,
    struct engine_now now, struct val_need *need)
{
	struct reply_verdict rv;

	memset(need, 0, sizeof(*need));
	memset(&rv, 0, sizeof(rv));
	v->status = SEC_UNCHECKED;
	v->ede = -1;
	v->sec_why = NULL;
	ldns_rr_list_free(v->nsec_secure);
	v->nsec_secure = NULL;
	v->nsec_zone = NULL;
	ldns_rr_list_free(v->proof_verified);
	v->proof_verified = NULL;
	v->sec_retry = false;
	if (!req->validate)
		return VAL_DONE;
	if (req->dnssec_limit != NULL) {
		/* The request spent its budget: nothing more is checked. */
		v->status = SEC_BOGUS;
		v->ede = ENGINE_EDE_DNSSEC_BOGUS;
		v->sec_why = "validation work of the request spent";
		return VAL_DONE;
	}
	for (int pass = 0, restarts = 0; pass < 2; pass++) {
		ldns_rr_list_free(rv.nsec_secure);
		ldns_rr_list_free(rv.proof);
		memset(&rv, 0, sizeof(rv));
		rv.status = SEC_SECURE;
		rv.ede = -1;
		rv.dry = pass == 0;
		rv.need = need;
		rv.outcome = VAL_DONE;
		rv.restartable = task->bogus_restartable;
		if (v->klass == REPLY_REFERRAL)
			check_referral(req, task, &rv, v, now);
		else
			check_answer(req, task, &rv, v, qname, qtype, now);
		if (rv.outcome == VAL_NEED && own_dnskey_missing(req, task, v,
		    need, now)) {
			ldns_rr_list_free(rv.nsec_secure);
			ldns_rr_list_free(rv.proof);
			ldns_rdf_deep_free(need->name);
			memset(need, 0, sizeof(*need));
			return VAL_DONE;
		}
		if (rv.outcome == VAL_NEED) {
			if (!need_on_stack(req, need) || restarts++ > 4) {
				ldns_rr_list_free(rv.nsec_secure);
				ldns_rr_list_free(rv.proof);
				return VAL_NEED;
			}
			/* A link that needs itself: the chain is broken. */
			validator_need_failed(req, task, need, now);
			ldns_rdf_deep_free(need->name);
			memset(need, 0, sizeof(*need));
			pass = -1;	/* decide again with the bad entry */
			continue;
		}
		ldns_rdf_deep_free(need->name);
		memset(need, 0, sizeof(*need));
	}
	v->status = rv.status;
	v->ede = rv.ede;
	v->sec_why = rv.why;
	v->nsec_secure = rv.nsec_secure;
	v->nsec_zone = rv.nsec_zone;
	v->proof_verified = rv.proof;
	v->sec_retry = rv.status == SEC_BOGUS && !rv.keys_bad &&
	    !rv.request_limit;
	return VAL_DONE;
}

bool
validator_anchored(const struct validator *val, const ldns_rdf *name,
    const ldns_rdf *zone)
{
	const struct trust_anchor *ta;

	if (!val->enabled ||
	    (ta = trust_anchors_lookup(val->anchors, name)) == NULL)
		return false;
	return !ta->negative && dname_in_bailiwick(zone, ta->zone);
}

void
validator_need_failed(struct engine_request *req, struct task *task,
    const struct val_need *need, struct engine_now now)
{
	const char *why = need->type == LDNS_RR_TYPE_DNSKEY ?
	    "DNSKEY RRset could not be fetched" :
	    "DS RRset could not be fetched";
	int ede = need->type == LDNS_RR_TYPE_DNSKEY ?
	    ENGINE_EDE_DNSKEY_MISSING : ENGINE_EDE_DNSSEC_BOGUS;

	if (req->dnssec_limit != NULL)
		return;		/* this request's budget, not the zone's fault */
	key_cache_store(req->engine->validator->keys, need->name, KEY_BAD,
	    NULL, LIMIT_DNSSEC_BOGUS_KEY_TTL, ede, why, now.wall);
	validator_emit(req, task, need->type == LDNS_RR_TYPE_DNSKEY ?
	    "dnskey" : "ds", need->name, need->type, need->name, SEC_BOGUS,
	    ede, why, now);
}
