/*
 * answer_cache.h: whole answers in wire format, keyed on (lowercase qname,
 * qtype, qclass, DO, CD), for the daemon's cache-hit fast path. Each entry
 * remembers where its TTL fields are so a hit is a copy and a few stores.
 * Expired entries stay (until evicted) for serve-stale (RFC 8767).
 * Thread-safe.
 *
 * DNSSEC: the DO bit is part of the key, so a DO client's answer (with its
 * RRSIGs and proofs) and a plain client's answer of the same question are
 * two entries, each a ready-made message; CD is in the key too, so data
 * only CD clients may see (bogus) never reaches others. Each entry keeps
 * the answer's security status (the weakest of its parts), returned on a
 * hit so the reply's AD bit can be set for clients that asked with DO or
 * AD (RFC 6840 §5.7-5.8) without parsing anything.
 *
 * An answer follows the RRsets it was built from: it keeps the owner
 * epochs (rrset_cache.h) of every owner name in it (the CNAME chain, the
 * SOA of a negative answer), so that an RRset replaced by other data or
 * flushed from the RRset cache makes every answer holding it a miss; and
 * a flush of a name removes every answer in which the name owns a record.
 */
#ifndef DESCEND_ANSWER_CACHE_H
#define DESCEND_ANSWER_CACHE_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sec_status.h"

#define ANSWER_KEY_MAX	(255 + 5)

/*
 * The most distinct owner names an answer may hold and be cached: a CNAME
 * chain of LIMIT_ALIAS_HOPS hops, its target and a SOA.
 */
#define ANSWER_OWNERS_MAX	16

struct answer_cache;

struct answer_cache *answer_cache_new(size_t max_bytes);
void answer_cache_free(struct answer_cache *cache);
void answer_cache_set_max(struct answer_cache *cache, size_t max_bytes);

struct rrset_cache;

/*
 * Makes answers follow `rrsets` (which must outlive the answer cache):
 * every answer stored from now on records its owners' epochs, and the
 * RRset cache entries it was built from, which its fresh hits keep
 * referenced there (rrset_cache_touch, at most once a second per answer):
 * a name asked only through the answer cache keeps its RRsets through
 * churn, so that an outdated or evicted answer is built again from them
 * while the authorities are down. Without it (tests, fuzzing) answers
 * live until their TTL or a flush.
 */
void answer_cache_follow(struct answer_cache *cache,
    struct rrset_cache *rrsets);

/* ASCII lowercase, as DNS compares names (RFC 4343); no locale, no call. */
static inline uint8_t
ascii_lower(uint8_t c)
{
	return (uint8_t)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
}

/*
 * ascii_lower() on eight bytes at once (every query's name goes through
 * here: a byte a step cost a fifth of the cache-hit path's instructions). A
 * byte's low seven bits plus 0x80 - 'A' carry into bit 7 when they are
 * 'A' or more, plus 0x80 - 'Z' - 1 when they are past 'Z'; bytes with
 * bit 7 set are not letters. No byte carries into the next: each sum
 * stays under 0x100.
 */
static inline uint64_t
lower8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
	uint64_t low7 = w & ~high;
	uint64_t from_a = low7 + ones * (0x80 - 'A');
	uint64_t past_z = low7 + ones * (0x80 - 'Z' - 1);

	return w | ((from_a & ~past_z & ~w & high) >> 2);
}

/*
 * Builds a key from a question: `qname` is the name in uncompressed wire
 * form (any case). Returns the key length, 0 if the name is too long.
 * Inline: every query's parse builds one, and the call cost a sixth of it.
 */
static inline size_t
answer_key(uint8_t *key, const uint8_t *qname, size_t qname_len,
    uint16_t qtype, uint16_t qclass, bool dnssec_ok, bool checking_disabled)
{
	uint32_t type_class = htonl((uint32_t)qtype << 16 | qclass);
	size_t i = 0;

	if (qname_len > 255)
		return 0;
	for (; i + 8 <= qname_len; i += 8) {
		uint64_t w;

		memcpy(&w, qname + i, 8);
		w = lower8(w);
		memcpy(key + i, &w, 8);
	}
	if (i < qname_len && qname_len >= 8) {
		uint64_t w;

		/* The last eight bytes, overlapping some done: same result. */
		memcpy(&w, qname + qname_len - 8, 8);
		w = lower8(w);
		memcpy(key + qname_len - 8, &w, 8);
		i = qname_len;
	}
	for (; i < qname_len; i++)
		key[i] = ascii_lower(qname[i]);
	/* Type and class in network order in one store, not four. */
	memcpy(key + qname_len, &type_class, 4);
	key[qname_len + 4] = (uint8_t)(dnssec_ok | checking_disabled << 1);
	return qname_len + 5;
}

/*
 * Stores an engine answer (ID 0, no OPT record) valid for `ttl` seconds,
 * with its security status. Returns false if the message does not parse,
 * names more than ANSWER_OWNERS_MAX owners, or memory ran out.
 */
bool answer_cache_store(struct answer_cache *cache, const uint8_t *key,
    size_t keylen, const uint8_t *wire, size_t len, uint32_t ttl,
    enum sec_status status, time_t now);

enum answer_freshness {
	ANSWER_MISS,
	ANSWER_FRESH,
	ANSWER_STALE,		/* expired, within LIMIT_STALE_MAX_AGE */
};

/*
 * Copies the cached answer for `key` into `out` (capacity `cap`) with every
 * TTL counted down (stale answers get LIMIT_STALE_ANSWER_TTL), and returns
 * its freshness; *len gets the length. Stale entries are only returned
 * when `allow_stale`. *prefetch (may be NULL) is set once per entry when a
 * fresh entry is within the last tenth of its TTL and worth refreshing.
 * *status (may be NULL) gets the answer's security status.
 */
enum answer_freshness answer_cache_copy(struct answer_cache *cache,
    const uint8_t *key, size_t keylen, time_t now, bool allow_stale,
    uint8_t *out, size_t cap, size_t *len, bool *prefetch,
    enum sec_status *status);

/*
 * The same lookup with the key's hash given: answer_cache_hash(), computed
 * once for answer_cache_prefetch and the lookup.
 */
uint32_t answer_cache_hash(const struct answer_cache *cache,
    const uint8_t *key, size_t keylen);
enum answer_freshness answer_cache_copy_hashed(struct answer_cache *cache,
    uint32_t hash, const uint8_t *key, size_t keylen, time_t now,
    bool allow_stale, uint8_t *out, size_t cap, size_t *len, bool *prefetch,
    enum sec_status *status);

/*
 * A batch of lookups (a recvmmsg's queries) waits for memory once instead
 * of once per lookup when each step runs over every key of the batch
 * before the next step: answer_cache_prefetch_bucket, called for each key
 * as it is parsed, starts fetching the key's bucket into the CPU cache;
 * answer_cache_prefetch_entries then (the buckets are there by then), over
 * the `n` hashes of the batch, the first lines of the entries they lead to,
 * then the rest of each entry and its owners' epochs, all under one
 * announcement of the shard lock (shard_read_lock_all): a lock per entry
 * and step cost more instructions than the lookups it spared. Changes
 * nothing: a key that is not cached just costs a wasted fetch, and an
 * entry whose shard a writer holds is skipped.
 */
void answer_cache_prefetch_bucket(struct answer_cache *cache, uint32_t hash);
void answer_cache_prefetch_entries(struct answer_cache *cache,
    const uint32_t *hashes, size_t n);

size_t answer_cache_flush(struct answer_cache *cache, const uint8_t *name_key,
    size_t name_len, bool subtree);
void answer_cache_flush_all(struct answer_cache *cache);
/* Lines "answer QNAME TYPE ttl=N rcode=R size=B" for every live entry. */
void answer_cache_dump(struct answer_cache *cache, FILE *out, time_t now);
size_t answer_cache_bytes(struct answer_cache *cache);
size_t answer_cache_count(struct answer_cache *cache);

/*
 * Walks a DNS message and stores the offset of each record's TTL field in
 * `offsets` (up to `max`). Returns the number of records, or -1 when the
 * message is malformed. Used by the cache and by reply patching.
 */
int wire_ttl_offsets(const uint8_t *wire, size_t len, uint16_t *offsets,
    size_t max);

/* Skips a possibly compressed name at `off`; returns the offset after it or 0. */
size_t wire_skip_name(const uint8_t *wire, size_t len, size_t off);

#endif /* DESCEND_ANSWER_CACHE_H */
