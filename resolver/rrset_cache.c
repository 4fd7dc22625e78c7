/*
 * rrset_cache.c: RRsets and negative entries, each packed in wire form in
 * one allocation with its key, in bounded LRU tables split in shards by key
 * hash. Lookups read a shard under a shared lock that writes no shared
 * line (shard_lock.h); stores take it exclusively. Keys are the lowercase
 * owner in wire form, then type, class and a kind byte.
 */
#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "lru.h"
#include "lru_shards.h"
#include "rrset_cache.h"
#include "shard_lock.h"
#include "wire_bytes.h"

enum entry_kind {
	KIND_RRSET = 'R',
	KIND_NEGATIVE = 'N',
};

/* NXDOMAIN is stored under this type: it covers every type. */
#define NXDOMAIN_TYPE	0

/*
 * One allocation per entry, after the table's entry and key
 * (rrset_entry_pack), in wire form: this header, then the records,
 * then the RRSIGs (or a negative entry's proof). A record is its owner
 * (uncompressed wire form, or the byte OWNER_SAME for the previous
 * record's owner, the first record's previous owner being the key's name,
 * so that a lowercase owner is never stored twice), its type, its rdata
 * length and its rdata; the class and the TTL are the entry's (RFC 2181
 * §5.2: one TTL per RRset). About a fifth of what the same RRset takes as
 * ldns objects.
 *
 * The header is 24 bytes with no padding at its end (rank and status
 * share a byte): with a byte each it was 25, padded to 32, and a cached
 * A record (24 + 9 bytes) took a 64-byte heap chunk instead of 48.
 */
struct rrset_entry {
	time_t expires;
	uint32_t size;			/* bytes of data[] */
	uint32_t sigs_at;		/* where the RRSIGs or proof start */
	uint16_t klass;
	uint16_t rr_count;		/* the RRset, or a negative entry's SOA */
	uint16_t sig_count;		/* RRSIGs, or the proof records */
	uint8_t rank : 4;		/* enum rrset_rank */
	uint8_t status : 4;		/* enum sec_status */
	uint8_t rcode;			/* negative entries */
	uint8_t data[];
};

_Static_assert(sizeof(struct rrset_entry) == 24 &&
    offsetof(struct rrset_entry, data) == 24,
    "an RRset entry's header is 24 bytes, its data right after it");
_Static_assert(RANK_AUTH_ANSWER < 16 && RANK_AUTH_AUTHORITY < 16 &&
    SEC_SECURE < 16, "ranks and statuses fit the entry's four bits");

/* No label is this long: the owner is the previous record's. */
#define OWNER_SAME	0xff

/*
 * Shards: each its own lock and table, picked by the top bits of the
 * key's hash (the table's buckets use the low bits). Sixteen keep two to
 * eight workers from meeting on one lock most of the time, for 16 bucket
 * arrays of memory.
 */
#define RRSET_SHARDS	16

struct rrset_cache {
	struct shard_readers readers;
	struct lru_shard shards[RRSET_SHARDS];
	uint32_t seed;			/* the key hash's */
	uint32_t epoch_seed;
	uint32_t *epochs;		/* RRSET_EPOCH_SLOTS, atomic */
};

#define KEY_MAX	(DNAME_WIRE_MAX + 5)

static size_t
rrset_key(uint8_t *key, const ldns_rdf *owner, ldns_rr_type type,
    ldns_rr_class klass, enum entry_kind kind)
{
	size_t len = dname_key(owner, key);

	key[len++] = (uint8_t)(type >> 8);
	key[len++] = (uint8_t)type;
	key[len++] = (uint8_t)(klass >> 8);
	key[len++] = (uint8_t)klass;
	key[len++] = (uint8_t)kind;
	return len;
}

/* An owner name in uncompressed wire form: a key's, or a record's. */
struct owner_ref {
	const uint8_t *data;
	size_t len;
};

/* The owner name a key starts with: the key minus type, class, kind. */
static struct owner_ref
key_owner(const uint8_t *key, size_t keylen)
{
	struct owner_ref ref = { key, keylen - 5 };

	return ref;
}

static struct lru_shard *
rrset_shard(struct rrset_cache *cache, uint32_t hash)
{
	return &cache->shards[hash >> 28];
}

const char *
rrset_rank_name(enum rrset_rank rank)
{
	switch (rank) {
	case RANK_GLUE:			return "glue";
	case RANK_HINTS:		return "hints";
	case RANK_REFERRAL:		return "referral";
	case RANK_ANSWER:		return "answer";
	case RANK_AUTH_ANSWER:		return "auth-answer";
	case RANK_AUTH_AUTHORITY:	return "auth-authority";
	}
	return "?";
}

/* ---- packing ---- */

static bool
owner_same(const ldns_rdf *a, const struct owner_ref *b)
{
	return ldns_rdf_size(a) == b->len &&
	    memcmp(ldns_rdf_data(a), b->data, b->len) == 0;
}

static void
owner_set(struct owner_ref *ref, const ldns_rdf *name)
{
	ref->data = ldns_rdf_data(name);
	ref->len = ldns_rdf_size(name);
}

/*
 * Bytes the records of `rrs` take packed (0 when one does not fit the
 * wire format: an rdata over 65535 bytes); `prev` is the owner before.
 */
static size_t
rrs_packed_size(const ldns_rr_list *rrs, struct owner_ref *prev)
{
	size_t size = 0;

	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		size_t rdlen = 0;

		size += owner_same(ldns_rr_owner(rr), prev) ? 1 :
		    ldns_rdf_size(ldns_rr_owner(rr));
		owner_set(prev, ldns_rr_owner(rr));
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++)
			rdlen += ldns_rdf_size(ldns_rr_rdf(rr, j));
		if (rdlen > UINT16_MAX)
			return 0;
		size += 4 + rdlen;
	}
	return size;
}

/* Packs the records at data + off; returns the offset after them. */
static size_t
rrs_pack(const ldns_rr_list *rrs, uint8_t *data, size_t off,
    struct owner_ref *prev)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		const ldns_rdf *owner = ldns_rr_owner(rr);
		size_t rdlen_at;

		if (owner_same(owner, prev))
			data[off++] = OWNER_SAME;
		else {
			memcpy(data + off, ldns_rdf_data(owner),
			    ldns_rdf_size(owner));
			off += ldns_rdf_size(owner);
		}
		owner_set(prev, owner);
		put16(data + off, (uint16_t)ldns_rr_get_type(rr));
		rdlen_at = off + 2;
		off += 4;
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *rdf = ldns_rr_rdf(rr, j);

			memcpy(data + off, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
			off += ldns_rdf_size(rdf);
		}
		put16(data + rdlen_at, (uint16_t)(off - rdlen_at - 2));
	}
	return off;
}

/*
 * A new entry holding `rrs` and `sigs` (may be NULL) for the key (whose
 * hash is `hash`), sharing one allocation with the table's entry and key
 * (lru_value_new): one heap chunk per cached RRset instead of two, 16
 * bytes less for an A record. NULL when memory ran out or a record does
 * not fit. It goes into the table with lru_insert_value, or back with
 * lru_value_discard.
 */
static struct rrset_entry *
rrset_entry_pack(const ldns_rr_list *rrs, const ldns_rr_list *sigs,
    ldns_rr_class klass, const uint8_t *key, size_t keylen, uint32_t hash)
{
	struct owner_ref prev = key_owner(key, keylen);
	size_t rrs_size = rrs_packed_size(rrs, &prev), sigs_size, off;
	struct rrset_entry *entry;

	sigs_size = rrs_packed_size(sigs, &prev);
	if ((rrs_size == 0 && rrs != NULL && ldns_rr_list_rr_count(rrs) > 0) ||
	    (sigs_size == 0 && sigs != NULL &&
	    ldns_rr_list_rr_count(sigs) > 0) ||
	    rrs_size + sigs_size > UINT32_MAX / 2 ||
	    (entry = lru_value_new(hash, key, keylen,
	    sizeof(*entry) + rrs_size + sigs_size)) == NULL)
		return NULL;
	memset(entry, 0, sizeof(*entry));
	entry->size = (uint32_t)(rrs_size + sigs_size);
	entry->sigs_at = (uint32_t)rrs_size;
	entry->klass = (uint16_t)klass;
	entry->rr_count = (uint16_t)(rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0);
	entry->sig_count = (uint16_t)(sigs != NULL ?
	    ldns_rr_list_rr_count(sigs) : 0);
	prev = key_owner(key, keylen);
	off = rrs_pack(rrs, entry->data, 0, &prev);
	rrs_pack(sigs, entry->data, off, &prev);
	return entry;
}

/*
 * Whether the records packed at data[*off..end) are those of `rrs`, as
 * rrs_pack would lay them out (TTLs aside: the entry has one); moves *off
 * past them. Compares in place, without packing a copy.
 */
static bool
rrs_match(const ldns_rr_list *rrs, const uint8_t *data, size_t *off,
    size_t end, struct owner_ref *prev)
{
	size_t at = *off;

	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		const ldns_rdf *owner = ldns_rr_owner(rr);
		size_t rdlen, used = 0;

		if (owner_same(owner, prev)) {
			if (at >= end || data[at] != OWNER_SAME)
				return false;
			at++;
		} else {
			if (ldns_rdf_size(owner) > end - at ||
			    memcmp(data + at, ldns_rdf_data(owner),
			    ldns_rdf_size(owner)) != 0)
				return false;
			at += ldns_rdf_size(owner);
		}
		owner_set(prev, owner);
		if (end - at < 4 || get16(data + at) != ldns_rr_get_type(rr))
			return false;
		rdlen = get16(data + at + 2);
		at += 4;
		if (rdlen > end - at)
			return false;
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *rdf = ldns_rr_rdf(rr, j);

			if (ldns_rdf_size(rdf) > rdlen - used ||
			    memcmp(data + at + used, ldns_rdf_data(rdf),
			    ldns_rdf_size(rdf)) != 0)
				return false;
			used += ldns_rdf_size(rdf);
		}
		if (used != rdlen)
			return false;
		at += rdlen;
	}
	*off = at;
	return true;
}

/*
 * Whether `entry` (stored under the key whose owner is `key_owner`) holds
 * exactly the records `rrs` and the RRSIGs `sigs` (may be NULL), in that
 * order: Unbound's rrsetdata_equal, on our packed form.
 */
static bool
rrset_entry_holds(const struct rrset_entry *entry, struct owner_ref key_owner,
    const ldns_rr_list *rrs, const ldns_rr_list *sigs)
{
	struct owner_ref prev = key_owner;
	size_t off = 0;

	return entry->rr_count == ldns_rr_list_rr_count(rrs) &&
	    entry->sig_count == (sigs != NULL ? ldns_rr_list_rr_count(sigs) : 0) &&
	    rrs_match(rrs, entry->data, &off, entry->sigs_at, &prev) &&
	    off == entry->sigs_at &&
	    rrs_match(sigs, entry->data, &off, entry->size, &prev) &&
	    off == entry->size;
}

/* Length of the uncompressed name at data[off], 0 when it runs past end. */
static size_t
packed_name_len(const uint8_t *data, size_t off, size_t end)
{
	size_t start = off;

	while (off < end && data[off] != 0) {
		if (data[off] > 63)
			return 0;
		off += (size_t)data[off] + 1;
	}
	return off < end ? off - start + 1 : 0;
}

/*
 * Unpacks `count` records starting at *pos into a new list with every TTL
 * set to `ttl` (NULL for none, or when memory ran out).
 */
static ldns_rr_list *
rrset_unpack(const struct rrset_entry *entry, size_t *pos, unsigned count,
    uint32_t ttl, struct owner_ref *prev)
{
	ldns_rr_list *list;

	if (count == 0 || (list = ldns_rr_list_new()) == NULL)
		return NULL;
	for (unsigned i = 0; i < count; i++) {
		ldns_rdf *owner = NULL;
		ldns_rr *rr = ldns_rr_new();
		size_t len;

		if (rr == NULL)
			goto fail;
		if (entry->data[*pos] == OWNER_SAME) {
			owner = ldns_dname_new_frm_data((uint16_t)prev->len,
			    prev->data);
			(*pos)++;
		} else if ((len = packed_name_len(entry->data, *pos,
		    entry->size)) != 0) {
			owner = ldns_dname_new_frm_data((uint16_t)len,
			    entry->data + *pos);
			prev->data = entry->data + *pos;
			prev->len = len;
			*pos += len;
		}
		if (owner == NULL || *pos + 4 > entry->size) {
			ldns_rdf_deep_free(owner);
			ldns_rr_free(rr);
			goto fail;
		}
		ldns_rr_set_owner(rr, owner);
		ldns_rr_set_type(rr, (ldns_rr_type)get16(entry->data + *pos));
		ldns_rr_set_class(rr, (ldns_rr_class)entry->klass);
		ldns_rr_set_ttl(rr, ttl);
		*pos += 2;
		if (ldns_wire2rdf(rr, entry->data, entry->size, pos) !=
		    LDNS_STATUS_OK || !ldns_rr_list_push_rr(list, rr)) {
			ldns_rr_free(rr);
			goto fail;
		}
	}
	return list;
fail:
	ldns_rr_list_deep_free(list);
	return NULL;
}

/*
 * What a lookup hands out, unpacked from a private copy of the entry so
 * that the shard's lock is held only for a memcpy.
 */
static ldns_rr_list *
rrset_entry_unpack(const struct rrset_entry *entry, struct owner_ref key_owner,
    time_t now, ldns_rr_list **sigs)
{
	uint32_t ttl = (uint32_t)(entry->expires - now);
	struct owner_ref prev = key_owner;
	size_t pos = 0;
	ldns_rr_list *rrs = rrset_unpack(entry, &pos, entry->rr_count, ttl,
	    &prev);

	if (sigs != NULL) {
		pos = entry->sigs_at;
		/* The first RRSIG may share the last record's owner. */
		*sigs = rrset_unpack(entry, &pos, entry->sig_count, ttl, &prev);
	}
	return rrs;
}

static struct rrset_entry *
rrset_entry_copy(const struct rrset_entry *entry)
{
	struct rrset_entry *copy = malloc(sizeof(*entry) + entry->size);

	if (copy != NULL)
		memcpy(copy, entry, sizeof(*entry) + entry->size);
	return copy;
}

/* ---- the cache ---- */

struct rrset_cache *
rrset_cache_new(size_t max_bytes)
{
	struct rrset_cache *cache;
	bool complete;

	/* Aligned so that each shard's lock has its own cache line. */
	if (posix_memalign((void **)&cache, 64, sizeof(*cache)) != 0)
		return NULL;
	memset(cache, 0, sizeof(*cache));
	cache->seed = arc4random();
	cache->epoch_seed = arc4random();
	cache->epochs = calloc(RRSET_EPOCH_SLOTS, sizeof(*cache->epochs));
	complete = cache->epochs != NULL;
	for (size_t i = 0; i < RRSET_SHARDS; i++) {
		/* No free function: entries hold their values. */
		cache->shards[i].table = lru_new(max_bytes / RRSET_SHARDS,
		    NULL);
		shard_lock_init(&cache->shards[i].lock, (unsigned)i + 1);
		complete = complete && cache->shards[i].table != NULL;
	}
	if (!complete) {
		rrset_cache_free(cache);
		return NULL;
	}
	return cache;
}

void
rrset_cache_free(struct rrset_cache *cache)
{
	if (cache == NULL)
		return;
	for (size_t i = 0; i < RRSET_SHARDS; i++) {
		lru_free(cache->shards[i].table);
		shard_lock_destroy(&cache->shards[i].lock);
	}
	free(cache->epochs);
	free(cache);
}

void
rrset_cache_set_max(struct rrset_cache *cache, size_t max_bytes)
{
	lru_shards_set_max(&cache->readers, cache->shards, RRSET_SHARDS,
	    max_bytes);
}

static uint32_t
rrset_min_ttl(const ldns_rr_list *rrs)
{
	uint32_t ttl = UINT32_MAX;

	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(rrs, i)) < ttl)
			ttl = ldns_rr_ttl(ldns_rr_list_rr(rrs, i));
	return ttl;
}

/*
 * Seconds the RRSIGs in `sigs` allow the data to be kept (RFC 4035
 * §5.3.3): no later than the earliest expiration, counted in serial
 * arithmetic (RFC 4034 §3.1.5) from now, nor longer than any RRSIG's TTL
 * or Original TTL. With `owner`, only the RRSIGs of owner/type count.
 * UINT32_MAX without RRSIGs; 0 when one has expired.
 */
uint32_t
rrsig_ttl_cap(const ldns_rr_list *sigs, const ldns_rdf *owner,
    ldns_rr_type type, time_t now)
{
	uint32_t cap = UINT32_MAX;

	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs);
	    i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(sig);
		const ldns_rdf *orig = ldns_rr_rdf(sig, 3);
		const ldns_rdf *expiry = ldns_rr_rdf(sig, 4);
		int32_t left;

		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG)
			continue;
		if (owner != NULL && (covered == NULL ||
		    ldns_rdf2rr_type(covered) != type ||
		    !dname_equal(ldns_rr_owner(sig), owner)))
			continue;
		if (ldns_rr_ttl(sig) < cap)
			cap = ldns_rr_ttl(sig);
		if (orig != NULL && ldns_rdf_size(orig) == 4 &&
		    ldns_rdf2native_int32(orig) < cap)
			cap = ldns_rdf2native_int32(orig);
		if (expiry == NULL || ldns_rdf_size(expiry) != 4)
			continue;
		left = (int32_t)(ldns_rdf2native_int32(expiry) - (uint32_t)now);
		if (left <= 0)
			return 0;
		if ((uint32_t)left < cap)
			cap = (uint32_t)left;
	}
	return cap;
}

/*
 * The TTL to keep data for: `ttl` clamped to [min_ttl, max_ttl], then cut
 * to what its RRSIGs and the caller allow (bogus data keeps its own TTL:
 * the validator bounds how long it is remembered).
 */
static uint32_t
rrset_keep_ttl(uint32_t ttl, const ldns_rr_list *sigs, enum sec_status status,
    time_t now, uint32_t min_ttl, uint32_t max_ttl, uint32_t ttl_cap)
{
	uint32_t sig_cap;

	if (ttl > max_ttl)
		ttl = max_ttl;
	if (ttl < min_ttl)
		ttl = min_ttl;
	if (ttl > ttl_cap)
		ttl = ttl_cap;
	if (status != SEC_BOGUS &&
	    (sig_cap = rrsig_ttl_cap(sigs, NULL, 0, now)) < ttl)
		ttl = sig_cap;
	return ttl;
}

/*
 * Whether unexpired `old` stays instead of `new`: a higher rank stays
 * (RFC 2181 §5.4.1), and so does SECURE data against less validated
 * data; SECURE data replaces anything that is not.
 */
static bool
rrset_entry_wins(const struct rrset_entry *old, const struct rrset_entry *new)
{
	if (new->status == SEC_SECURE && old->status != SEC_SECURE)
		return false;
	if (old->status == SEC_SECURE && new->status != SEC_SECURE)
		return true;
	return old->rank > new->rank;
}

uint32_t
rrset_cache_ref(const struct rrset_cache *cache, const uint8_t *owner_key,
    size_t len, uint16_t type, uint16_t klass, bool negative)
{
	uint8_t key[KEY_MAX];

	if (len > DNAME_WIRE_MAX)
		return 0;
	/* As rrset_key builds it, from a name already in key form. */
	memcpy(key, owner_key, len);
	key[len++] = (uint8_t)(type >> 8);
	key[len++] = (uint8_t)type;
	key[len++] = (uint8_t)(klass >> 8);
	key[len++] = (uint8_t)klass;
	key[len++] = (uint8_t)(negative ? KIND_NEGATIVE : KIND_RRSET);
	return hash_seeded(cache->seed, key, len);
}

void
rrset_cache_touch(struct rrset_cache *cache, uint32_t ref)
{
	struct lru_shard *shard = rrset_shard(cache, ref);
	bool token = shard_read_lock(&cache->readers, &shard->lock);

	lru_touch_hashed(shard->table, ref);
	shard_read_unlock(&cache->readers, &shard->lock, token);
}

uint32_t
rrset_cache_owner_slot(const struct rrset_cache *cache,
    const uint8_t *owner_key, size_t len)
{
	return hash_seeded(cache->epoch_seed, owner_key, len) &
	    (RRSET_EPOCH_SLOTS - 1);
}

uint32_t
rrset_cache_owner_epoch(const struct rrset_cache *cache, uint32_t slot)
{
	return __atomic_load_n(&cache->epochs[slot], __ATOMIC_ACQUIRE);
}

void
rrset_cache_owner_epoch_prefetch(const struct rrset_cache *cache,
    uint32_t slot)
{
	__builtin_prefetch(&cache->epochs[slot]);
}

/* An entry of the key's owner changed: answers built from it go. */
static void
rrset_owner_changed(struct rrset_cache *cache, const uint8_t *key,
    size_t keylen)
{
	uint32_t slot = rrset_cache_owner_slot(cache, key, keylen - 5);

	__atomic_fetch_add(&cache->epochs[slot], 1, __ATOMIC_RELEASE);
}

/* Whether a replacement changes what answers built from `old` say. */
static bool
rrset_entry_same(const struct rrset_entry *old, const struct rrset_entry *new)
{
	return old->status == new->status && old->rcode == new->rcode &&
	    old->rr_count == new->rr_count && old->sigs_at == new->sigs_at &&
	    memcmp(old->data, new->data, old->sigs_at) == 0;
}

/* Whether a key is an NS RRset's: owner, then type, class and kind. */
static bool
rrset_key_is_ns(const uint8_t *key, size_t keylen)
{
	return key[keylen - 1] == KIND_RRSET && key[keylen - 5] == 0 &&
	    key[keylen - 4] == LDNS_RR_TYPE_NS;
}

/*
 * Inserts unless a better unexpired entry is there; takes the entry
 * (rrset_entry_pack's for the same key and hash).
 *
 * Ghost domains (CVE-2012-1191): the child's servers send their NS set
 * with every answer, at least the rank of the parent's referral and with
 * whatever TTL they like. Stored over the live delegation, it takes the
 * delegation's expiry, never a later one; so a zone its parent has
 * removed dies when the parent's NS TTL runs out, however often it is
 * asked. Only a new referral from the parent (RANK_REFERRAL, once the
 * entry has expired) starts a new lifetime; a changed NS set of the same
 * rank also takes the old expiry (Unbound's need_to_update_rrset), so that
 * a server cannot keep a delegation alive by varying it.
 */
static bool
rrset_insert_ranked(struct rrset_cache *cache, const uint8_t *key,
    size_t keylen, uint32_t hash, struct rrset_entry *entry, time_t now)
{
	struct lru_shard *shard = rrset_shard(cache, hash);
	struct rrset_entry *old;

	shard_write_lock(&cache->readers, &shard->lock);
	old = lru_peek_hashed(shard->table, hash, key, keylen);
	if (old != NULL && old->expires > now) {
		if (rrset_entry_wins(old, entry)) {
			shard_write_unlock(&shard->lock);
			lru_value_discard(entry, keylen);
			return false;
		}
		if ((entry->rank > RANK_REFERRAL || entry->rank == old->rank) &&
		    entry->expires > old->expires &&
		    rrset_key_is_ns(key, keylen))
			entry->expires = old->expires;
	}
	if (old != NULL && !rrset_entry_same(old, entry))
		rrset_owner_changed(cache, key, keylen);
	lru_insert_value(shard->table, entry, keylen);
	shard_write_unlock(&shard->lock);
	return true;
}

/*
 * A private copy of the live entry for the key (the caller frees it), or
 * NULL; `min_rank` as in rrset_cache_lookup.
 */
static struct rrset_entry *
rrset_find(struct rrset_cache *cache, const uint8_t *key, size_t keylen,
    time_t now, enum rrset_rank min_rank)
{
	uint32_t hash = hash_seeded(cache->seed, key, keylen);
	struct lru_shard *shard = rrset_shard(cache, hash);
	struct rrset_entry *entry, *copy = NULL;
	bool token = shard_read_lock(&cache->readers, &shard->lock);

	entry = lru_peek_hashed(shard->table, hash, key, keylen);
	if (entry != NULL && entry->expires > now && entry->rank >= min_rank)
		copy = rrset_entry_copy(entry);
	shard_read_unlock(&cache->readers, &shard->lock, token);
	return copy;
}

/*
 * Like rrset_find, but copies only the entry's header into *head: for
 * callers that need to know what is cached, not the records.
 */
static bool
rrset_find_head(struct rrset_cache *cache, const uint8_t *key, size_t keylen,
    time_t now, enum rrset_rank min_rank, struct rrset_entry *head)
{
	uint32_t hash = hash_seeded(cache->seed, key, keylen);
	struct lru_shard *shard = rrset_shard(cache, hash);
	struct rrset_entry *entry;
	bool token = shard_read_lock(&cache->readers, &shard->lock), found;

	entry = lru_peek_hashed(shard->table, hash, key, keylen);
	found = entry != NULL && entry->expires > now && entry->rank >= min_rank;
	if (found)
		memcpy(head, entry, sizeof(*head));
	shard_read_unlock(&cache->readers, &shard->lock, token);
	return found;
}

/*
 * Whether the live entry for the key makes storing `rrset` pointless, seen
 * under the shared lock before anything is packed: it wins
 * (rrset_entry_wins), or it holds the same records and RRSIGs with the
 * same rank and status (Unbound's need_to_update_rrset). The store is
 * then dropped whole and the entry keeps its expiry: a zone's servers
 * repeat its NS set and their addresses in every reply, and repeating
 * them must neither cost a store each time nor keep them alive (ghost
 * domains, CVE-2012-1191). With `refresh` the equal data is stored anew.
 */
static bool
rrset_cached_suffices(struct rrset_cache *cache, const uint8_t *key,
    size_t keylen, uint32_t hash, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, enum rrset_rank rank, enum sec_status status,
    time_t now, bool refresh)
{
	struct lru_shard *shard = rrset_shard(cache, hash);
	struct rrset_entry head = { .rank = rank, .status = status };
	const struct rrset_entry *old;
	bool token = shard_read_lock(&cache->readers, &shard->lock), keep = false;

	old = lru_peek_hashed(shard->table, hash, key, keylen);
	if (old != NULL && old->expires > now)
		keep = rrset_entry_wins(old, &head) || (!refresh &&
		    old->rank == head.rank && old->status == head.status &&
		    rrset_entry_holds(old, key_owner(key, keylen), rrset, sigs));
	shard_read_unlock(&cache->readers, &shard->lock, token);
	return keep;
}

static bool
rrset_store(struct rrset_cache *cache, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, enum rrset_rank rank, enum sec_status status,
    time_t now, uint32_t min_ttl, uint32_t max_ttl, uint32_t ttl_cap,
    bool refresh)
{
	uint8_t key[KEY_MAX];
	struct rrset_entry *entry;
	const ldns_rr *first;
	uint32_t ttl, hash;
	size_t keylen;

	if (rrset == NULL || ldns_rr_list_rr_count(rrset) == 0 ||
	    ldns_rr_list_rr_count(rrset) > UINT16_MAX ||
	    (sigs != NULL && ldns_rr_list_rr_count(sigs) > UINT16_MAX))
		return false;
	first = ldns_rr_list_rr(rrset, 0);
	ttl = rrset_keep_ttl(rrset_min_ttl(rrset), sigs, status, now, min_ttl,
	    max_ttl, ttl_cap);
	keylen = rrset_key(key, ldns_rr_owner(first), ldns_rr_get_type(first),
	    ldns_rr_get_class(first), KIND_RRSET);
	hash = hash_seeded(cache->seed, key, keylen);
	if (ttl == 0 || rrset_cached_suffices(cache, key, keylen, hash, rrset,
	    sigs, rank, status, now, refresh) ||
	    (entry = rrset_entry_pack(rrset, sigs,
	    ldns_rr_get_class(first), key, keylen, hash)) == NULL)
		return false;
	entry->expires = now + (time_t)ttl;
	entry->rank = (uint8_t)rank;
	entry->status = (uint8_t)status;
	return rrset_insert_ranked(cache, key, keylen, hash, entry, now);
}

bool
rrset_cache_store(struct rrset_cache *cache, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, enum rrset_rank rank, enum sec_status status,
    time_t now, uint32_t min_ttl, uint32_t max_ttl, uint32_t ttl_cap)
{
	return rrset_store(cache, rrset, sigs, rank, status, now, min_ttl,
	    max_ttl, ttl_cap, false);
}

bool
rrset_cache_refresh(struct rrset_cache *cache, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, enum rrset_rank rank, enum sec_status status,
    time_t now, uint32_t min_ttl, uint32_t max_ttl, uint32_t ttl_cap)
{
	return rrset_store(cache, rrset, sigs, rank, status, now, min_ttl,
	    max_ttl, ttl_cap, true);
}

ldns_rr_list *
rrset_cache_lookup(struct rrset_cache *cache, const ldns_rdf *owner,
    ldns_rr_type type, ldns_rr_class klass, time_t now,
    enum rrset_rank min_rank, struct rrset_info *info)
{
	uint8_t key[KEY_MAX];
	size_t keylen = rrset_key(key, owner, type, klass, KIND_RRSET);
	struct rrset_entry *entry = rrset_find(cache, key, keylen, now,
	    min_rank);
	ldns_rr_list *rrs;

	if (entry == NULL)
		return NULL;
	rrs = rrset_entry_unpack(entry, key_owner(key, keylen), now,
	    info != NULL ? &info->sigs : NULL);
	if (info != NULL) {
		info->rank = (enum rrset_rank)entry->rank;
		info->status = (enum sec_status)entry->status;
	}
	free(entry);
	return rrs;
}

/*
 * The names in an NS entry's records (each rdata one uncompressed name),
 * as new rdfs in a new array; NULL when memory ran out (or none is).
 */
static ldns_rdf **
entry_ns_names(const struct rrset_entry *e, size_t *count)
{
	ldns_rdf **names = malloc(e->rr_count * sizeof(*names));
	size_t pos = 0, len;

	*count = 0;
	for (unsigned i = 0; names != NULL && i < e->rr_count; i++) {
		uint16_t rdlen;

		if (pos < e->size && e->data[pos] == OWNER_SAME)
			pos++;
		else if ((len = packed_name_len(e->data, pos, e->size)) != 0)
			pos += len;
		else
			break;
		if (pos + 4 > e->size)
			break;
		rdlen = get16(e->data + pos + 2);
		if (get16(e->data + pos) == LDNS_RR_TYPE_NS && rdlen > 0 &&
		    pos + 4 + rdlen <= e->size &&
		    packed_name_len(e->data, pos + 4, pos + 4 + rdlen) ==
		    rdlen) {
			ldns_rdf *rdf = ldns_dname_new_frm_data(rdlen,
			    e->data + pos + 4);

			if (rdf == NULL) {
				while (*count > 0)
					ldns_rdf_deep_free(names[--*count]);
				free(names);
				return NULL;
			}
			names[(*count)++] = rdf;
		}
		pos += 4 + (size_t)rdlen;
	}
	if (names != NULL && *count == 0) {
		free(names);
		names = NULL;
	}
	return names;
}

bool
rrset_cache_closest_ns(struct rrset_cache *cache, const ldns_rdf *name,
    ldns_rr_class klass, time_t now, enum rrset_rank min_rank,
    unsigned max_labels, unsigned min_labels, unsigned *labels,
    ldns_rdf ***names, size_t *count, uint32_t *ttl)
{
	uint8_t key[KEY_MAX];
	size_t keylen = rrset_key(key, name, LDNS_RR_TYPE_NS, klass,
	    KIND_RRSET), at = 0;
	unsigned n = dname_labels(name);

	for (; n > max_labels; n--)
		at = dname_key_parent(key, at);
	for (; n >= min_labels; n--) {
		struct rrset_entry *entry = rrset_find(cache, key + at,
		    keylen - at, now, min_rank);

		/* A set none of whose names could be read: the parent's. */
		if (entry != NULL) {
			*names = entry_ns_names(entry, count);
			*ttl = (uint32_t)(entry->expires - now);
			free(entry);
			if (*names != NULL) {
				*labels = n;
				return true;
			}
		}
		if (n == 0)
			break;
		at = dname_key_parent(key, at);
	}
	return false;
}

/* Owner names compared as the iterator does (dname_equal): without case. */
static bool
owner_equal(const uint8_t *a, size_t alen, struct owner_ref b)
{
	if (alen != b.len)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (a[i] != b.data[i] && tolower(a[i]) != tolower(b.data[i]))
			return false;
	return true;
}

uint8_t *
rrset_cache_addresses(struct rrset_cache *cache, const ldns_rdf *owner,
    ldns_rr_type type, ldns_rr_class klass, time_t now,
    enum rrset_rank min_rank, enum rrset_rank *rank, size_t *count)
{
	size_t alen = type == LDNS_RR_TYPE_A ? 4 : 16, pos = 0, len;
	uint8_t key[KEY_MAX], *addrs = NULL;
	size_t keylen = rrset_key(key, owner, type, klass, KIND_RRSET);
	uint32_t hash = hash_seeded(cache->seed, key, keylen);
	struct lru_shard *shard = rrset_shard(cache, hash);
	struct owner_ref name = key_owner(key, keylen), prev = name;
	const struct rrset_entry *e;
	bool token;

	*count = 0;
	if (type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA)
		return NULL;
	token = shard_read_lock(&cache->readers, &shard->lock);
	e = lru_peek_hashed(shard->table, hash, key, keylen);
	if (e == NULL || e->expires <= now || e->rank < min_rank ||
	    e->rr_count == 0 || (addrs = malloc(e->rr_count * alen)) == NULL)
		goto out;
	*rank = (enum rrset_rank)e->rank;
	for (unsigned i = 0; i < e->rr_count; i++) {
		uint16_t rtype, rdlen;

		if (pos < e->size && e->data[pos] == OWNER_SAME)
			pos++;
		else if ((len = packed_name_len(e->data, pos, e->size)) != 0) {
			prev.data = e->data + pos;
			prev.len = len;
			pos += len;
		} else
			break;
		if (pos + 4 > e->size)
			break;
		rtype = get16(e->data + pos);
		rdlen = get16(e->data + pos + 2);
		pos += 4;
		if (pos + rdlen > e->size)
			break;
		if (rtype == type && rdlen == alen &&
		    owner_equal(prev.data, prev.len, name))
			memcpy(addrs + alen * (*count)++, e->data + pos, alen);
		pos += rdlen;
	}
out:
	shard_read_unlock(&cache->readers, &shard->lock, token);
	if (*count == 0) {
		free(addrs);
		addrs = NULL;
	}
	return addrs;
}

bool
rrset_cache_exists(struct rrset_cache *cache, const ldns_rdf *owner,
    ldns_rr_type type, ldns_rr_class klass, time_t now,
    enum rrset_rank min_rank, struct rrset_info *info)
{
	uint8_t key[KEY_MAX];
	size_t keylen = rrset_key(key, owner, type, klass, KIND_RRSET);
	struct rrset_entry head;

	if (!rrset_find_head(cache, key, keylen, now, min_rank, &head))
		return false;
	info->rank = (enum rrset_rank)head.rank;
	info->status = (enum sec_status)head.status;
	info->sigs = NULL;
	return true;
}

bool
rrset_cache_store_negative(struct rrset_cache *cache, const ldns_rdf *name,
    ldns_rr_type type, ldns_rr_class klass, ldns_pkt_rcode rcode,
    const ldns_rr_list *soa, const ldns_rr_list *proof, enum sec_status status,
    uint32_t ttl, time_t now)
{
	uint8_t key[KEY_MAX];
	struct rrset_entry *entry;
	size_t keylen;
	uint32_t hash;

	if ((soa != NULL && ldns_rr_list_rr_count(soa) > UINT16_MAX) ||
	    (proof != NULL && ldns_rr_list_rr_count(proof) > UINT16_MAX))
		return false;
	ttl = rrset_keep_ttl(ttl, proof, status, now, 0, UINT32_MAX,
	    RRSET_TTL_NO_CAP);
	keylen = rrset_key(key, name,
	    rcode == LDNS_RCODE_NXDOMAIN ? NXDOMAIN_TYPE : type, klass,
	    KIND_NEGATIVE);
	hash = hash_seeded(cache->seed, key, keylen);
	if (ttl == 0 || (entry = rrset_entry_pack(soa, proof, klass, key,
	    keylen, hash)) == NULL)
		return false;
	entry->expires = now + (time_t)ttl;
	entry->rank = RANK_AUTH_ANSWER;
	entry->status = (uint8_t)status;
	entry->rcode = (uint8_t)rcode;
	return rrset_insert_ranked(cache, key, keylen, hash, entry, now);
}

/*
 * A private copy of the live negative entry for the key, or NULL. With
 * `head`, only the entry's header is copied there (and `head` returned).
 */
static struct rrset_entry *
rrset_negative_at(struct rrset_cache *cache, const uint8_t *key,
    size_t keylen, time_t now, struct rrset_entry *head)
{
	if (head != NULL)
		return rrset_find_head(cache, key, keylen, now, RANK_GLUE,
		    head) ? head : NULL;
	return rrset_find(cache, key, keylen, now, RANK_GLUE);
}

bool
rrset_cache_lookup_negative(struct rrset_cache *cache, const ldns_rdf *name,
    ldns_rr_type type, ldns_rr_class klass, time_t now,
    ldns_pkt_rcode *rcode, ldns_rr_list **soa, struct rrset_info *info)
{
	return rrset_cache_lookup_negative_within(cache, name, type, klass,
	    now, 0, rcode, soa, info);
}

bool
rrset_cache_lookup_negative_within(struct rrset_cache *cache,
    const ldns_rdf *name, ldns_rr_type type, ldns_rr_class klass, time_t now,
    unsigned min_labels, ldns_pkt_rcode *rcode, ldns_rr_list **soa,
    struct rrset_info *info)
{
	struct rrset_entry *entry, head;
	/* Without `soa` nothing is unpacked: the header says all. */
	struct rrset_entry *just_head = soa == NULL ? &head : NULL;
	unsigned labels = dname_labels(name);
	uint8_t key[KEY_MAX];
	size_t keylen, at = 0;

	keylen = rrset_key(key, name, type, klass, KIND_NEGATIVE);
	entry = rrset_negative_at(cache, key, keylen, now, just_head);
	/*
	 * Each ancestor's NXDOMAIN key is a suffix of the name's (at) once
	 * its type is NXDOMAIN_TYPE: no name is made per ancestor.
	 */
	key[keylen - 5] = (uint8_t)(NXDOMAIN_TYPE >> 8);
	key[keylen - 4] = (uint8_t)NXDOMAIN_TYPE;
	/*
	 * The name's own NXDOMAIN (n == labels), whatever its status; RFC
	 * 8020: an NXDOMAIN at an ancestor covers the name, but only a
	 * DNSSEC-secure one, as Unbound's harden-below-nxdomain: an unsigned
	 * or insecure NXDOMAIN may be spoofed (one forged reply would deny a
	 * whole subtree) or come from old software that says NXDOMAIN for
	 * empty non-terminals. Without validation nothing is secure, so
	 * nothing is cut off.
	 */
	for (unsigned n = labels; entry == NULL && n > 0 && n >= min_labels;
	    n--) {
		if (n < labels)
			at = dname_key_parent(key, at);
		entry = rrset_negative_at(cache, key + at, keylen - at, now,
		    just_head);
		if (entry != NULL && n < labels && entry->status != SEC_SECURE) {
			if (entry != just_head)
				free(entry);
			entry = NULL;
		}
	}
	if (entry == NULL)
		return false;
	*rcode = (ldns_pkt_rcode)entry->rcode;
	if (info != NULL) {
		info->rank = (enum rrset_rank)entry->rank;
		info->status = (enum sec_status)entry->status;
		info->sigs = NULL;
	}
	if (soa != NULL) {
		*soa = rrset_entry_unpack(entry, key_owner(key + at,
		    keylen - at), now,
		    info != NULL ? &info->sigs : NULL);
		free(entry);
	}
	return true;
}

struct flush_match {
	struct rrset_cache *cache;
	uint8_t key[DNAME_WIRE_MAX];
	size_t keylen;
	bool subtree;
};

/* The owner is the key minus its 5-byte type/class/kind suffix. */
static bool
rrset_flush_visit(void *arg, const uint8_t *key, size_t keylen, void *value)
{
	const struct flush_match *m = arg;

	(void)value;
	if (!dname_key_covers(key, keylen - 5, m->key, m->keylen, m->subtree))
		return false;
	rrset_owner_changed(m->cache, key, keylen);
	return true;
}

/* Calls lru_walk on every shard, each under its lock. */
static size_t
rrset_walk(struct rrset_cache *cache,
    bool (*visit)(void *, const uint8_t *, size_t, void *), void *arg)
{
	return lru_shards_walk(&cache->readers, cache->shards, RRSET_SHARDS,
	    visit, arg);
}

size_t
rrset_cache_flush(struct rrset_cache *cache, const ldns_rdf *name,
    bool subtree)
{
	struct flush_match m;

	m.cache = cache;
	m.keylen = dname_key(name, m.key);
	m.subtree = subtree;
	return rrset_walk(cache, rrset_flush_visit, &m);
}

struct dump_ctx {
	FILE *out;
	time_t now;
};

static void
rrset_dump_records(const struct dump_ctx *ctx, const struct rrset_entry *entry,
    const ldns_rr_list *rrs)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(rrs, i));

		if (s != NULL) {
			s[strcspn(s, "\n")] = '\0';
			fprintf(ctx->out, "%s ; %s %s\n", s,
			    rrset_rank_name((enum rrset_rank)entry->rank),
			    sec_status_name((enum sec_status)entry->status));
		}
		free(s);
	}
}

static bool
rrset_dump_visit(void *arg, const uint8_t *key, size_t keylen, void *value)
{
	const struct dump_ctx *ctx = arg;
	const struct rrset_entry *entry = value;
	ldns_rr_list *rrs, *sigs = NULL;

	if (entry->expires <= ctx->now)
		return false;
	rrs = rrset_entry_unpack(entry, key_owner(key, keylen), ctx->now, &sigs);
	if (key[keylen - 1] == KIND_NEGATIVE) {
		ldns_rdf *owner = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
		    keylen - 5, key);
		char *name = owner != NULL ? ldns_rdf2str(owner) : NULL;
		unsigned type = (unsigned)key[keylen - 5] << 8 | key[keylen - 4];

		fprintf(ctx->out, "%s %lld negative %s",
		    name != NULL ? name : "?",
		    (long long)(entry->expires - ctx->now),
		    entry->rcode == LDNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "NODATA");
		if (entry->rcode != LDNS_RCODE_NXDOMAIN) {
			char *t = ldns_rr_type2str((ldns_rr_type)type);

			fprintf(ctx->out, " %s", t != NULL ? t : "?");
			free(t);
		}
		fprintf(ctx->out, " ; %s\n",
		    sec_status_name((enum sec_status)entry->status));
		free(name);
		ldns_rdf_deep_free(owner);
	} else
		rrset_dump_records(ctx, entry, rrs);
	rrset_dump_records(ctx, entry, sigs);
	ldns_rr_list_deep_free(rrs);
	ldns_rr_list_deep_free(sigs);
	return false;
}

void
rrset_cache_dump(struct rrset_cache *cache, FILE *out, time_t now)
{
	struct dump_ctx ctx = { out, now };

	rrset_walk(cache, rrset_dump_visit, &ctx);
}

size_t
rrset_cache_bytes(struct rrset_cache *cache)
{
	return lru_shards_bytes(&cache->readers, cache->shards, RRSET_SHARDS);
}

size_t
rrset_cache_count(struct rrset_cache *cache)
{
	return lru_shards_count(&cache->readers, cache->shards, RRSET_SHARDS);
}
