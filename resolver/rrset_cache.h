/*
 * rrset_cache.h: RRsets and negative answers by owner, type and class, each
 * with its expiry (wall clock) and its trust rank (RFC 2181 §5.4.1). It
 * holds answers, the NS sets of zone cuts (the delegation cache lookups
 * walk it, see deleg.h) and name-server addresses (glue and resolved), and
 * NXDOMAIN/NODATA entries with their SOA (RFC 2308). Thread-safe.
 */
#ifndef DESCEND_RRSET_CACHE_H
#define DESCEND_RRSET_CACHE_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <ldns/ldns.h>

/*
 * How much a cached RRset is trusted, lowest first. Data of a lower rank
 * never replaces unexpired data of a higher rank: glue cannot overwrite the
 * child's own address records, a parent's referral cannot overwrite the
 * child's authoritative NS set. Only ranks from RANK_ANSWER up may be
 * given to clients as answers.
 */
enum rrset_rank {
	RANK_GLUE = 1,		/* additional section of a referral */
	RANK_HINTS,		/* root hints, priming additional data */
	RANK_REFERRAL,		/* NS in the authority section of a referral */
	RANK_ANSWER,		/* answer section of a non-authoritative reply */
	RANK_AUTH_AUTHORITY,	/* authority section of an authoritative answer */
	RANK_AUTH_ANSWER,	/* answer section of an authoritative answer */
};

const char *rrset_rank_name(enum rrset_rank rank);

struct rrset_cache;

struct rrset_cache *rrset_cache_new(size_t max_bytes);
void rrset_cache_free(struct rrset_cache *cache);
void rrset_cache_set_max(struct rrset_cache *cache, size_t max_bytes);

/*
 * Stores a copy of `rrset` (one owner, type and class; the TTL is the
 * smallest of its records, clamped to [min_ttl, max_ttl]). Returns false
 * when a higher-ranked unexpired copy is kept instead, or memory ran out.
 */
bool rrset_cache_store(struct rrset_cache *cache, const ldns_rr_list *rrset,
    enum rrset_rank rank, time_t now, uint32_t min_ttl, uint32_t max_ttl);

/*
 * Returns a copy of the cached RRset with TTLs counted down to now (the
 * caller frees it), or NULL when absent, expired, or ranked below
 * `min_rank`. `rank` (may be NULL) receives the entry's rank.
 */
ldns_rr_list *rrset_cache_lookup(struct rrset_cache *cache,
    const ldns_rdf *owner, ldns_rr_type type, ldns_rr_class klass,
    time_t now, enum rrset_rank min_rank, enum rrset_rank *rank);

/*
 * Negative entries: rcode LDNS_RCODE_NXDOMAIN (the name and, RFC 8020,
 * everything below it does not exist) or NOERROR for NODATA of one type.
 * `soa` (may be NULL) is copied and returned with the entry.
 */
bool rrset_cache_store_negative(struct rrset_cache *cache,
    const ldns_rdf *name, ldns_rr_type type, ldns_rr_class klass,
    ldns_pkt_rcode rcode, const ldns_rr_list *soa, uint32_t ttl,
    time_t now);

/*
 * Looks for a negative answer covering (name, type): NODATA for the type,
 * NXDOMAIN for the name or one of its ancestors. Returns true and sets
 * *rcode and *soa (a copy with counted-down TTLs, may be NULL) when found.
 */
bool rrset_cache_lookup_negative(struct rrset_cache *cache,
    const ldns_rdf *name, ldns_rr_type type, ldns_rr_class klass,
    time_t now, ldns_pkt_rcode *rcode, ldns_rr_list **soa);

/* Removes entries owned by `name` (or, with subtree, at or below it). */
size_t rrset_cache_flush(struct rrset_cache *cache, const ldns_rdf *name,
    bool subtree);

/* One line per unexpired record: "owner ttl class type rdata ; rank". */
void rrset_cache_dump(struct rrset_cache *cache, FILE *out, time_t now);

size_t rrset_cache_bytes(struct rrset_cache *cache);
size_t rrset_cache_count(struct rrset_cache *cache);

#endif /* DESCEND_RRSET_CACHE_H */
