/*
 * aggressive.h: RFC 8198 aggressive use of the DNSSEC-validated cache.
 * The NSEC records of every secure NXDOMAIN and NODATA, and those proving
 * a secure wildcard answer's name absent, go into the NSEC cache
 * (nsec_cache.h); before a question goes upstream, a cached NSEC
 * that proves the name absent (with the wildcard at its closest encloser
 * denied too) or the type absent at the name answers it at once: NXDOMAIN
 * or NODATA, secure, with the NSECs, their RRSIGs and the zone's SOA.
 *
 * NSEC3 zones too (as Knot Resolver; Unbound does NSEC only): their
 * NSEC3 chain is cached, and the question's name, its ancestors and the
 * wildcard at the closest encloser are hashed (at most
 * LIMIT_DNSSEC_AGGRESSIVE_NSEC3_NAMES, the zone's own names from a memo,
 * the rest with the request's NSEC3 budget, never below
 * LIMIT_DNSSEC_AGGRESSIVE_NSEC3_RESERVE, and hash cache, which the
 * upstream reply's proof reuses when the cache proves nothing) to find
 * the NSEC3s an authority would send; nsec3.c's proof then decides, so
 * opt-out (insecure) and iterations above the limit never synthesise.
 * On by default (`aggressive-nsec: yes`), as in Unbound.
 */
#ifndef DESCEND_DNSSEC_AGGRESSIVE_H
#define DESCEND_DNSSEC_AGGRESSIVE_H

#include <stdbool.h>
#include <time.h>

#include <ldns/ldns.h>

#include "observer.h"

struct engine;
struct engine_request;
struct reply_view;
struct task;

/*
 * At the cache door: keeps the NSEC or NSEC3 records the validator
 * verified for a secure negative reply (v->nsec_secure, signed by
 * v->nsec_zone) with the zone's SOA, for at most `ttl_cap` seconds (the
 * iterator's negative TTL, within cache-max-negative-ttl) and the SOA's
 * TTL and MINIMUM, which the NSEC cache applies itself (RFC 9077 §4); and
 * those proving a secure wildcard answer's name absent (the NSEC covering
 * it, or the NSEC3 covering its next closer name), which come without a
 * SOA, for at most `ttl_cap` (cache-max-negative-ttl) and, once a denial
 * brought the zone's SOA, its TTL and MINIMUM from when they came:
 * another name under the wildcard is expanded from them. Anything else is ignored, and so is everything while
 * aggressive-nsec is off.
 */
void aggressive_learn(struct engine *engine, const struct reply_view *v,
    ldns_rr_class klass, uint32_t ttl_cap, time_t now);

/*
 * Beside the RRsets of a secure answer expanded from a wildcard: keeps
 * each such RRset under its wildcard's own name "*.<closest encloser>"
 * (the name its RRSIGs were made over, RFC 4035 §5.3.2) in the RRset
 * cache, secure, so that aggressive_answer may expand it for other names
 * the cached NSECs prove absent (RFC 8198 §5.3). Nothing while
 * aggressive-nsec is off, nor for DNSSEC types, aliases or DS.
 */
void aggressive_learn_wildcard(struct engine *engine,
    const struct reply_view *v, time_t now);

/*
 * On a cache miss, before the task goes upstream: when cached secure NSECs
 * or NSEC3s prove the task's name or type absent, sets task->soa, appends
 * the proof to task->proof, tells the observer (EV_CACHE_HIT
 * "aggressive-nsec" or "aggressive-nsec3" and EV_DNSSEC "synthesised"),
 * counts it, and returns true with the rcode in
 * *rcode (NXDOMAIN or NOERROR for NODATA). With NSEC, a name proven absent
 * under a wildcard whose RRset of the type is cached secure gets that
 * RRset expanded (NOERROR, task->answer and task->sigs set; EV_CACHE_HIT
 * "aggressive-wildcard", dnssec.aggressive_nsec.wildcard); with NSEC3 too,
 * when the closest encloser's NSEC3 and the wildcard's match and one
 * without opt-out covers the next closer name, or, with the wildcard's
 * RRset cached, that cover alone (aggressive_nsec3_wildcard) (EV_CACHE_HIT
 * "aggressive-wildcard-nsec3", dnssec.aggressive_nsec3.wildcard). False,
 * touching nothing, when
 * aggressive-nsec is off, validation is off, the name is under a negative
 * trust anchor or no anchor, or nothing proves it.
 */
bool aggressive_answer(struct engine_request *req, struct task *task,
    struct engine_now now, ldns_pkt_rcode *rcode);

/*
 * The NSEC3 lookup aggressive_answer makes, without a request (for it and
 * the tests): in the NSEC3 chain of the closest zone `cache` holds over
 * `qname` (over its parent for DS), the records proving NXDOMAIN or NODATA
 * for qname/qtype, judged by nsec3.c's proofs with `hashes` (NULL: none)
 * and `budget`. Returns LDNS_RCODE_NXDOMAIN or LDNS_RCODE_NOERROR (NODATA)
 * with *found filled (the zone, its SOA, the NSEC3s and every RRSIG, all
 * with the TTL the least-lived has left), or -1 with *found empty; or
 * AGGRESSIVE_WILDCARD when qname does not exist and the wildcard at its
 * closest encloser, of *ce_labels labels (when not NULL), answers it: the
 * NSEC3s match that encloser and the wildcard (whose bitmap has qtype)
 * and cover the next closer name without opt-out (RFC 5155 §8.8), and the
 * caller looks the wildcard's RRset up. No anchor is checked here:
 * aggressive_answer does that. *zone_labels (when not NULL) gets the label
 * count of the zone whose chain was searched, -1 when none holds one: the
 * shallowest encloser aggressive_nsec3_wildcard can accept.
 */
struct dnssec_budget;
struct nsec3_cache;
struct nsec_cache;
struct nsec_cache_found;
#define AGGRESSIVE_WILDCARD	0x1000	/* beyond every rcode */
int aggressive_nsec3_lookup(struct nsec_cache *cache, const ldns_rdf *qname,
    ldns_rr_type qtype, ldns_rr_class klass, time_t now,
    struct nsec3_cache *hashes, struct dnssec_budget *budget,
    struct nsec_cache_found *found, unsigned *ce_labels, int *zone_labels);

/*
 * The NSEC3 lookup for a name under a wildcard whose RRset the caller
 * found cached secure, with the closest encloser of `ce_labels` labels:
 * what an authority's expansion carries (RFC 5155 §7.2.6), the NSEC3
 * covering the next closer name, from the chain of the closest zone
 * `cache` holds over qname, judged by nsec3_prove_wildcard as that
 * answer's proof is (never over an opt-out span). AGGRESSIVE_WILDCARD
 * with *found filled (the zone, the NSEC3 and its RRSIGs, the SOA when a
 * live one is held), or -1 with *found empty. That the encloser and its
 * wildcard exist is the cached RRset's word, whose RRSIGs the caller
 * checks were made by found->zone for that encloser.
 */
int aggressive_nsec3_wildcard(struct nsec_cache *cache, const ldns_rdf *qname,
    unsigned ce_labels, ldns_rr_class klass, time_t now,
    struct nsec3_cache *hashes, struct dnssec_budget *budget,
    struct nsec_cache_found *found);

#endif /* DESCEND_DNSSEC_AGGRESSIVE_H */
