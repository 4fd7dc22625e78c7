/*
 * aggressive.h: RFC 8198 aggressive use of the DNSSEC-validated cache.
 * The NSEC records of every secure NXDOMAIN and NODATA go into the NSEC
 * cache (nsec_cache.h); before a question goes upstream, a cached NSEC
 * that proves the name absent (with the wildcard at its closest encloser
 * denied too) or the type absent at the name answers it at once: NXDOMAIN
 * or NODATA, secure, with the NSECs, their RRSIGs and the zone's SOA.
 *
 * Only NSEC, never NSEC3 (opt-out or not): Unbound synthesises from NSEC
 * only too (val_neg.c: "NSEC only for now"), and an NSEC3 proof would cost
 * hashes per name. On by default (`aggressive-nsec: yes`), as in Unbound.
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
 * At the cache door: keeps the NSEC records the validator verified for a
 * secure negative reply (v->nsec_secure, signed by v->nsec_zone) with the
 * zone's SOA, for at most `ttl_cap` seconds (the negative TTL: the SOA's
 * TTL and MINIMUM, RFC 8198 §5.4). Anything else is ignored, and so is
 * everything while aggressive-nsec is off.
 */
void aggressive_learn(struct engine *engine, const struct reply_view *v,
    ldns_rr_class klass, uint32_t ttl_cap, time_t now);

/*
 * On a cache miss, before the task goes upstream: when cached secure NSECs
 * prove the task's name or type absent, sets task->soa, appends the proof
 * to task->proof, tells the observer (EV_CACHE_HIT "aggressive-nsec" and
 * EV_DNSSEC "synthesised"), counts it, and returns true with the rcode in
 * *rcode (NXDOMAIN or NOERROR for NODATA). False, touching nothing, when
 * aggressive-nsec is off, validation is off, the name is under a negative
 * trust anchor or no anchor, or nothing proves it.
 */
bool aggressive_answer(struct engine_request *req, struct task *task,
    struct engine_now now, ldns_pkt_rcode *rcode);

#endif /* DESCEND_DNSSEC_AGGRESSIVE_H */
