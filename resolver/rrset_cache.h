/*
 * rrset_cache.h: RRsets and negative answers by owner, type and class, each
 * with its expiry (wall clock) and its trust rank (RFC 2181 §5.4.1). It
 * holds answers, the NS sets of zone cuts (the delegation cache lookups
 * walk it, see deleg.h) and name-server addresses (glue and resolved), and
 * NXDOMAIN/NODATA entries with their SOA (RFC 2308). DNSSEC data rides
 * along: an RRset keeps its RRSIGs, a negative entry its proof (NSEC/NSEC3
 * records and the RRSIGs of those and of the SOA), and each entry a
 * security status (sec_status.h). Thread-safe.
 */
#ifndef DESCEND_RRSET_CACHE_H
#define DESCEND_RRSET_CACHE_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include <ldns/ldns.h>

#include "sec_status.h"

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

/*
 * How long RRSIGs let signed data be kept (RFC 4035 §5.3.3): the earliest
 * expiry, TTL or Original TTL of `sigs` (those over owner/type when `owner`
 * is given); UINT32_MAX without any, 0 when one has expired.
 */
uint32_t rrsig_ttl_cap(const ldns_rr_list *sigs, const ldns_rdf *owner,
    ldns_rr_type type, time_t now);

/* No TTL cap beyond the RRSIGs' own (rrset_cache_store's `ttl_cap`). */
#define RRSET_TTL_NO_CAP	UINT32_MAX

/*
 * What a lookup returns beside the records. `sigs` belongs to the caller
 * (ldns_rr_list_deep_free; NULL when the entry has none): an RRset's
 * RRSIGs, or a negative entry's proof. Its TTLs are counted down like the
 * records'.
 */
struct rrset_info {
	enum rrset_rank rank;
	enum sec_status status;
	ldns_rr_list *sigs;
};

struct rrset_cache;

struct rrset_cache *rrset_cache_new(size_t max_bytes);
void rrset_cache_free(struct rrset_cache *cache);
void rrset_cache_set_max(struct rrset_cache *cache, size_t max_bytes);

/*
 * Stores a copy of `rrset` (one owner, type and class) with a copy of its
 * RRSIGs `sigs` (may be NULL) and their security `status`. The TTL is the
 * smallest of the records', clamped to [min_ttl, max_ttl]; then, unless
 * the data is bogus, no later than the earliest RRSIG expiration and no
 * longer than any RRSIG's TTL or Original TTL (RFC 4035 §5.3.3), nor than
 * `ttl_cap` (the validator's own bound, e.g. its keys'; RRSET_TTL_NO_CAP
 * for none). These caps win over min_ttl.
 *
 * An unexpired cached entry is kept, and false returned, when it has a
 * higher rank or is SECURE and the new data is not (Knot's kr_rank idea:
 * validation outranks the section the data came from); SECURE data
 * replaces any unexpired entry that is not SECURE. It is also kept, with
 * its expiry, when it holds the same records and RRSIGs (TTLs aside) with
 * the same rank and status (Unbound's need_to_update_rrset): data seen
 * again is not stored again, and its lifetime is not renewed. An NS
 * RRset from the child (rank above RANK_REFERRAL), or a changed one of
 * the same rank, stored over an unexpired NS RRset never outlives it:
 * only the parent's referral, once the delegation has expired, starts a
 * new lifetime (ghost domains, CVE-2012-1191). Returns false also when
 * memory ran out or the TTL comes to 0.
 */
bool rrset_cache_store(struct rrset_cache *cache, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, enum rrset_rank rank, enum sec_status status,
    time_t now, uint32_t min_ttl, uint32_t max_ttl, uint32_t ttl_cap);

/*
 * rrset_cache_store for data asked for again to renew it (a prefetch's
 * answer): equal data of the same rank replaces the entry, with the new
 * TTL. The NS rules above still hold.
 */
bool rrset_cache_refresh(struct rrset_cache *cache, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, enum rrset_rank rank, enum sec_status status,
    time_t now, uint32_t min_ttl, uint32_t max_ttl, uint32_t ttl_cap);

/*
 * Returns a copy of the cached RRset with TTLs counted down to now (the
 * caller frees it), or NULL when absent, expired, or ranked below
 * `min_rank`. `info` (may be NULL) receives the entry's rank, status and
 * a copy of its RRSIGs (the caller frees info->sigs).
 */
ldns_rr_list *rrset_cache_lookup(struct rrset_cache *cache,
    const ldns_rdf *owner, ldns_rr_type type, ldns_rr_class klass,
    time_t now, enum rrset_rank min_rank, struct rrset_info *info);

/*
 * The NS set of the deepest of `name`'s ancestors (the name itself
 * included) with at most `max_labels` and at least `min_labels` labels
 * that has a live one ranked `min_rank` or better: *labels gets that
 * ancestor's label count, *ttl the set's TTL counted down to now, and
 * the NS names (read as stored, not unpacked into ldns records) come as
 * a new array of new rdfs (*count of them; the caller frees both). False
 * when no ancestor has one. Each ancestor's key is a suffix of the
 * name's: no name is made per ancestor (the iterator's closest cut).
 */
bool rrset_cache_closest_ns(struct rrset_cache *cache, const ldns_rdf *name,
    ldns_rr_class klass, time_t now, enum rrset_rank min_rank,
    unsigned max_labels, unsigned min_labels, unsigned *labels,
    ldns_rdf ***names, size_t *count, uint32_t *ttl);

/*
 * Whether a live RRset ranked `min_rank` or better is cached: `info` gets
 * its rank and status (no RRSIGs), nothing is copied.
 */
bool rrset_cache_exists(struct rrset_cache *cache, const ldns_rdf *owner,
    ldns_rr_type type, ldns_rr_class klass, time_t now,
    enum rrset_rank min_rank, struct rrset_info *info);

/*
 * The addresses (4 bytes each for A, 16 for AAAA) of the live RRset of
 * `type` ranked `min_rank` or better, read from the entry as stored
 * instead of unpacked into ldns records: a new array the caller frees,
 * *count of them, *rank the entry's; NULL when none.
 */
uint8_t *rrset_cache_addresses(struct rrset_cache *cache,
    const ldns_rdf *owner, ldns_rr_type type, ldns_rr_class klass,
    time_t now, enum rrset_rank min_rank, enum rrset_rank *rank,
    size_t *count);

/*
 * Negative entries: rcode LDNS_RCODE_NXDOMAIN (the name and, RFC 8020,
 * everything below it does not exist) or NOERROR for NODATA of one type.
 * `soa` (may be NULL) is copied and returned with the entry; so is
 * `proof` (may be NULL): the NSEC/NSEC3 records, their RRSIGs and the
 * SOA's RRSIGs. The TTL is capped by the proof's RRSIGs as for RRsets
 * (unless bogus). An unexpired SECURE entry is never replaced by a less
 * validated one.
 */
bool rrset_cache_store_negative(struct rrset_cache *cache,
    const ldns_rdf *name, ldns_rr_type type, ldns_rr_class klass,
    ldns_pkt_rcode rcode, const ldns_rr_list *soa, const ldns_rr_list *proof,
    enum sec_status status, uint32_t ttl, time_t now);

/*
 * Looks for a negative answer covering (name, type): NODATA for the type,
 * NXDOMAIN for the name, or a SEC_SECURE NXDOMAIN for one of its ancestors
 * (RFC 8020; never an unvalidated or insecure one). Returns true and sets
 * *rcode and *soa (a copy with counted-down TTLs, may be NULL) when found;
 * `info` (may be NULL) gets the status and a copy of the proof in sigs.
 * With `soa` NULL nothing is copied: info gets the rank and status only.
 */
bool rrset_cache_lookup_negative(struct rrset_cache *cache,
    const ldns_rdf *name, ldns_rr_type type, ldns_rr_class klass,
    time_t now, ldns_pkt_rcode *rcode, ldns_rr_list **soa,
    struct rrset_info *info);

/*
 * The same, NXDOMAINs of names with fewer than `min_labels` labels left
 * out (the name's own too): the iterator passes one label more than a
 * configured stub or forward zone over the name, whose data is not the
 * public parent's to deny (Unbound CVE-2026-44687: a parent's NXDOMAIN
 * shadowed a stub zone).
 */
bool rrset_cache_lookup_negative_within(struct rrset_cache *cache,
    const ldns_rdf *name, ldns_rr_type type, ldns_rr_class klass,
    time_t now, unsigned min_labels, ldns_pkt_rcode *rcode,
    ldns_rr_list **soa, struct rrset_info *info);

/* Removes entries owned by `name` (or, with subtree, at or below it). */
size_t rrset_cache_flush(struct rrset_cache *cache, const ldns_rdf *name,
    bool subtree);

/*
 * One line per unexpired record: "owner ttl class type rdata ; rank status"
 * (RRSIGs and proofs too).
 */
void rrset_cache_dump(struct rrset_cache *cache, FILE *out, time_t now);

/*
 * Owner epochs, so that an update reaches the answers built from an RRset
 * (answer_cache.h): owner names hash into RRSET_EPOCH_SLOTS counters, and
 * a slot's counter moves whenever an entry of one of its owners is
 * replaced by different data (or another status) or flushed. An answer
 * keeps the epochs of its owners' slots; a moved one makes it a miss. A
 * collision costs a needless miss, never a stale answer. Lock-free reads.
 */
#define RRSET_EPOCH_SLOTS	16384

/* The slot of an owner name in dname_key form (lowercase wire). */
uint32_t rrset_cache_owner_slot(const struct rrset_cache *cache,
    const uint8_t *owner_key, size_t len);
uint32_t rrset_cache_owner_epoch(const struct rrset_cache *cache,
    uint32_t slot);
/* Starts bringing a slot's epoch into the CPU cache (answer_cache_prefetch). */
void rrset_cache_owner_epoch_prefetch(const struct rrset_cache *cache,
    uint32_t slot);

/*
 * References from answers (answer_cache.h) to the entries they were built
 * from, so that a name answered only from the answer cache keeps its
 * RRsets: otherwise they look unused and are evicted under churn, and
 * once the answer goes (outdated by its owner's epoch, or evicted) there
 * is nothing left to answer from while the authorities are down.
 *
 * rrset_cache_ref gives the reference (the key's hash) of the RRset of
 * `owner_key` (dname_key form), type and class, or with `negative` of the
 * negative entry (type 0 for NXDOMAIN). rrset_cache_touch marks the entry
 * referenced, as a lookup does, so eviction passes over it once more
 * (CLOCK): a shared lock and a store only when the bit is not yet set.
 */
uint32_t rrset_cache_ref(const struct rrset_cache *cache,
    const uint8_t *owner_key, size_t len, uint16_t type, uint16_t klass,
    bool negative);
void rrset_cache_touch(struct rrset_cache *cache, uint32_t ref);

size_t rrset_cache_bytes(struct rrset_cache *cache);
size_t rrset_cache_count(struct rrset_cache *cache);

#endif /* DESCEND_RRSET_CACHE_H */
