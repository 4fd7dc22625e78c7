/*
 * validator.h: DNSSEC validation at the iterator's cache door (RFC 4033-
 * 4035, 5155, 6840). Every reply the iterator accepts passes
 * validator_check_reply() before anything of it is cached: the verdict
 * (secure, insecure, bogus, indeterminate) goes with the data into the
 * caches and the answer. Keys come from the key cache (key_cache.h); a
 * missing link of the chain of trust is reported as a DS or DNSKEY
 * question the iterator resolves as a sub-task before it calls again with
 * the same reply (Unbound's processFindKey, walked down from the closest
 * trust anchor, the DS from referrals first).
 */
#ifndef DESCEND_VALIDATOR_H
#define DESCEND_VALIDATOR_H

#include <stdbool.h>

#include "engine.h"
#include "reply.h"

struct validator;
struct engine_request;
struct task;

/*
 * Loads the trust anchors of `config`. Returns NULL with a one-line reason
 * in err when an anchor file is missing, unreadable or holds no anchor, or
 * an inline anchor does not parse. Validation is off (validator_enabled
 * false) when config->dnssec_validation is clear or no anchor is set.
 */
struct validator *validator_new(const struct engine_config *config,
    char *err, size_t errlen);
void validator_free(struct validator *validator);

/*
 * Whether the fresh validator `b` trusts the same as the running `a`: both
 * on or both off, the same anchored zones with the same DS/DNSKEY records,
 * the same negative anchors (domain-insecure), the same
 * auto-trust-anchor-file. That file's keys are RFC 5011's state, which `a`
 * updates and saves there: they are compared as `a` trusts them now, so
 * its own updates are no change. A reload that changes this must not
 * serve what was validated under the old trust (engine_reconfigure()).
 */
bool validator_same_trust(struct validator *a, const struct validator *b);
/* Moves old's key cache into fresh (same trust: its entries still hold). */
void validator_keep_keys(struct validator *fresh, struct validator *old);
bool validator_enabled(const struct validator *validator);
struct key_cache *validator_key_cache(struct validator *validator);

/* The auto-trust-anchor-file probe: see engine_autotrust_zone(). */
ldns_rdf *validator_autotrust_zone(struct validator *validator);
uint32_t validator_autotrust_next_probe(struct validator *validator);
int validator_autotrust_probe_done(struct validator *validator,
    bool answered, uint32_t now, char *err, size_t errlen);

/* Per-request state: the KeyTrap budget and the NSEC3 hash cache. */
bool validator_request_init(struct engine_request *req);
void validator_request_free(struct engine_request *req);
/* The request's NSEC3 hash cache, made on first use (NULL: no memory). */
struct nsec3_cache *validator_nsec3_cache(struct engine_request *req);

/* A link of the chain of trust to fetch: DS or DNSKEY of `name`. */
struct val_need {
	ldns_rdf *name;		/* owned by the caller after the call */
	ldns_rr_type type;
};

enum val_outcome {
	VAL_DONE,	/* v->status, v->ede, v->sec_why are set */
	VAL_NEED,	/* fetch *need, then call again with the same view */
};

/*
 * Judges the scrubbed, classified reply `v` to the task's question as
 * sent (`qname`, `qtype`) from the zone `task->cut.zone`. As side effects
 * it records what the reply proves about keys: a referral's DS or proof of
 * no DS, a DS or DNSKEY answer, into the key cache. Never changes the
 * view's records. With validation off, or for a CD request, the verdict is
 * SEC_UNCHECKED at once.
 */
enum val_outcome validator_check_reply(struct engine_request *req,
    struct task *task, struct reply_view *v, const ldns_rdf *qname,
    ldns_rr_type qtype, struct engine_now now, struct val_need *need);

/*
 * Whether the zone's own DNSKEYs are the next link the validator would
 * fetch to judge data `zone` signs: validation on for the request, the
 * zone an anchor or its DS validated, and no DNSKEYs of it cached (the
 * iterator then asks for them beside its query to the zone: keys ahead).
 */
bool validator_keys_next(struct engine_request *req, const ldns_rdf *zone,
    time_t now);
/*
 * The same for a zone whose DS is not judged yet but will be (a referral's
 * deferred proof, iterator.c): the zone under a positive anchor and
 * nothing of it in the key cache, so that its DNSKEYs can be asked beside
 * the first query to it; the DNSKEY sub-task still judges them against
 * the DS.
 */
bool validator_keys_after_ds(struct engine_request *req,
    const ldns_rdf *zone, time_t now);
/* Whether the zone's validated DNSKEYs are in the key cache. */
bool validator_keys_held(struct engine_request *req, const ldns_rdf *zone,
    time_t now);

/*
 * A needed link could not be fetched (the sub-task failed, or the same
 * link was asked twice): the zone is remembered as bogus for
 * LIMIT_DNSSEC_BOGUS_KEY_TTL so the next call to validator_check_reply()
 * decides without it.
 */
void validator_need_failed(struct engine_request *req, struct task *task,
    const struct val_need *need, struct engine_now now);

/*
 * Whether data signed by `zone` may vouch for `name` under the anchors as
 * configured now: validation on, the closest anchor over `name` positive
 * (not a domain-insecure negative one) and at or above `zone`. RFC 8198
 * synthesis asks before each use, so a reload that adds a negative anchor
 * stops it at once.
 */
bool validator_anchored(const struct validator *validator,
    const ldns_rdf *name, const ldns_rdf *zone);

/* Emits an EV_DNSSEC event for the task (the final verdict, "answer"). */
void validator_emit(struct engine_request *req, const struct task *task,
    const char *step, const ldns_rdf *owner, ldns_rr_type type,
    const ldns_rdf *zone, enum sec_status status, int ede, const char *why,
    struct engine_now now);

#endif /* DESCEND_VALIDATOR_H */
