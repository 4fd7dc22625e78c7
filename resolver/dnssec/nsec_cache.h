/*
 * nsec_cache.h: the validated NSEC records of signed zones, kept per zone
 * in canonical DNS name order (RFC 4034 §6.1) so that the NSEC at or
 * before any name is found in O(log n): what RFC 8198 aggressive use of
 * the cache (aggressive.h) synthesises NXDOMAIN and NODATA from. Each zone
 * keeps its SOA beside its NSECs. Only records the validator verified go
 * in (the caller's duty); nothing here checks a signature or a proof.
 *
 * A zone signed with NSEC3 keeps its NSEC3 chain instead (one parameter
 * set: iterations and salt), ordered by owner hash, so the NSEC3 matching
 * or covering a hash is found in O(log n) too; the caller hashes the names
 * (nsec3.h), with the chain's parameters and a few hashes of the zone's
 * own names the cache remembers for it.
 *
 * Bounded in bytes (a share of cache-size), least recently used entries
 * evicted first; each entry expires at the least of its TTL, the caller's
 * cap, its RRSIGs' expiration and original TTL, and the negative TTL of
 * its zone's newest SOA (the lesser of its TTL and MINIMUM: RFC 2308 §5,
 * RFC 9077 §4 updating RFC 8198 §5.4) counted from when the entry came,
 * also for one that came without a SOA before the zone's was known; the
 * SOA kept expires at its negative TTL too. Thread-safe: zones hash into shards, each with its own
 * lock, as the RRset cache does; one lookup takes one shard's lock per
 * ancestor of the name tried.
 */
#ifndef DESCEND_DNSSEC_NSEC_CACHE_H
#define DESCEND_DNSSEC_NSEC_CACHE_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <ldns/ldns.h>

struct nsec_cache;

#define NSEC_CACHE_HASH_LEN	20	/* SHA-1, the one NSEC3 hash */
/* Names' hashes remembered per NSEC3 zone (closest enclosers, their
 * wildcards): a flood of random names under one zone hashes these once. */
#define NSEC_CACHE_MEMO		4

/* An NSEC3 chain's parameters (RFC 5155 §3.1.5-3.1.7). */
struct nsec_cache_chain_params {
	uint16_t iterations;
	uint8_t salt_len;
	uint8_t salt[255];
};

/* One remembered H(name): the name's lowercase wire form (dname_key). */
struct nsec_cache_memo {
	uint8_t key[255];
	uint8_t key_len;
	uint8_t hash[NSEC_CACHE_HASH_LEN];
};

struct nsec_cache *nsec_cache_new(size_t max_bytes);
void nsec_cache_free(struct nsec_cache *cache);
void nsec_cache_set_max(struct nsec_cache *cache, size_t max_bytes);

/*
 * Stores the NSEC records of `nsecs` (others are skipped, and so are NSECs
 * whose owner or next name is outside `zone`), each with the RRSIGs of
 * `sigs` over it, and the zone's SOA RRset `soa` with its RRSIGs from
 * `sigs`. `soa` NULL (a positive wildcard answer's proof, which comes
 * without one): the zone keeps the SOA it has, or has none until a denial
 * brings one. A record replaces the cached one of the same owner.
 * `ttl_cap` bounds every entry's lifetime (UINT32_MAX: none), and so does
 * the lesser of the SOA's TTL and MINIMUM when `soa` is given: it becomes
 * the zone's negative TTL, which bounds each of its entries from when it
 * came, those stored without a SOA included (RFC 9077 §4). Returns the
 * number of NSEC records stored (0 also with a `soa` that is no SOA of
 * `zone`, or when memory ran out).
 */
size_t nsec_cache_store(struct nsec_cache *cache, const ldns_rdf *zone,
    ldns_rr_class klass, const ldns_rr_list *soa, const ldns_rr_list *nsecs,
    const ldns_rr_list *sigs, uint32_t ttl_cap, time_t now);

/* What a lookup found; every list and name belongs to the caller. */
struct nsec_cache_found {
	ldns_rdf *zone;
	ldns_rr_list *soa;	/* the zone's SOA; NULL when none is live */
	ldns_rr_list *nsecs;	/* one or two NSEC records (see below) */
	ldns_rr_list *sigs;	/* the RRSIGs over those and over the SOA */
	uint32_t ttl;		/* seconds the shortest of them has left */
};

/*
 * Looks in the closest zone enclosing `name` that has NSECs cached (with
 * `parent_side`, for qtype DS, the closest enclosing the name's parent: a
 * DS lives in the parent's zone, and a zone's own apex NSEC cannot deny
 * it) for the NSEC at or before `name` in canonical order, wrapping to the
 * zone's last NSEC, and, when `name` is not its owner, the NSEC at or
 * before "*.<closest encloser>" that this NSEC implies (RFC 4035 §5.4).
 * Records come with TTLs counted down to `ttl`. False when no live NSEC
 * is cached for the zone; found->soa is NULL when no live SOA is (a
 * denial needs one, a wildcard expansion does not); whether they prove
 * anything is for the caller to decide (nsec.h). Zones farther up are
 * not tried: a parent's NSECs cannot speak for the names of a child zone.
 */
bool nsec_cache_lookup(struct nsec_cache *cache, const ldns_rdf *name,
    bool parent_side, ldns_rr_class klass, time_t now,
    struct nsec_cache_found *found);
void nsec_cache_found_clear(struct nsec_cache_found *found);

/* The NSEC3 chain of the closest zone held (copied out of the cache). */
struct nsec_cache_chain {
	ldns_rdf *zone;			/* the caller's */
	struct nsec_cache_chain_params params;
	struct nsec_cache_memo memo[NSEC_CACHE_MEMO];
	unsigned memo_count;
};

/*
 * Like nsec_cache_lookup's search (the closest zone enclosing `name` or,
 * with `parent_side`, its parent): true, filling *chain, when that zone
 * holds an NSEC3 chain. False for an NSEC zone (then nsec_cache_lookup
 * serves it) or none.
 */
bool nsec_cache_nsec3_chain(struct nsec_cache *cache, const ldns_rdf *name,
    bool parent_side, ldns_rr_class klass, time_t now,
    struct nsec_cache_chain *chain);
void nsec_cache_chain_clear(struct nsec_cache_chain *chain);

enum nsec_cache_hit {
	NSEC_CACHE_NONE,	/* no live NSEC3 of the chain matches or covers */
	NSEC_CACHE_MATCH,	/* an NSEC3 owned by the hash */
	NSEC_CACHE_COVER,	/* one whose span (owner, next) holds it */
};

/*
 * The live NSEC3 of `chain`'s zone (still with the same parameters) that
 * matches or covers `hash` (RFC 5155 §1.3: wrapping at the chain's last),
 * appended with its RRSIGs to found->nsecs and found->sigs unless an NSEC3
 * of that owner is there already; found->zone and found->soa (when a live
 * one is held) are filled on the first hit, and found->ttl is cut to what
 * the least-lived record has left (the records' own TTLs are left for the
 * caller to set). Whether
 * the records prove anything is for nsec3.h to say.
 */
enum nsec_cache_hit nsec_cache_nsec3_find(struct nsec_cache *cache,
    const struct nsec_cache_chain *chain, ldns_rr_class klass,
    const uint8_t hash[NSEC_CACHE_HASH_LEN], time_t now,
    struct nsec_cache_found *found);

/*
 * Remembers H(name) in the chain's zone (when it still has those
 * parameters), replacing the oldest of NSEC_CACHE_MEMO: for names of the
 * zone that recur in proofs, never for the names asked (a flood of random
 * names would only churn it).
 */
void nsec_cache_nsec3_remember(struct nsec_cache *cache,
    const struct nsec_cache_chain *chain, ldns_rr_class klass,
    const ldns_rdf *name, const uint8_t hash[NSEC_CACHE_HASH_LEN]);

/*
 * Removes the zones at or below `name` and, so that a flushed name is
 * not denied from above, the zones enclosing it. Returns entries removed.
 */
size_t nsec_cache_flush(struct nsec_cache *cache, const ldns_rdf *name);
size_t nsec_cache_flush_all(struct nsec_cache *cache);

/* One line per live NSEC: "owner ttl class NSEC next types ; nsec-cache". */
void nsec_cache_dump(struct nsec_cache *cache, FILE *out, time_t now);

size_t nsec_cache_bytes(struct nsec_cache *cache);
size_t nsec_cache_count(struct nsec_cache *cache);

/*
 * Canonical order (RFC 4034 §6.1) of two names in lowercase wire form
 * (dname_key): labels compared from the root down, each as unsigned
 * bytes, a label that is a prefix of another sorting first. <0, 0, >0.
 */
int nsec_cache_canonical_compare(const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen);

#endif /* DESCEND_DNSSEC_NSEC_CACHE_H */
