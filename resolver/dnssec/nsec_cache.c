/*
 * nsec_cache.c: validated NSEC or NSEC3 records per signed zone in
 * red-black trees ordered canonically, zones in shards by name hash, each
 * shard with its own lock, byte count and least-recently-used list.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include "dname.h"
#include "dnssec/nsec_cache.h"
#include "engine_limits.h"
#include "lru.h"
#include "rrset_cache.h"

/* As many as the RRset cache has, for the same reason: workers rarely meet. */
#define NSEC_CACHE_SHARDS	16

/* A name has at most 127 labels below the root (255 bytes of wire form). */
#define LABELS_MAX		128

/* NSEC3 rdata: algorithm, flags, iterations, salt, next hash, types. */
#define NSEC3_SHA1		1
#define NSEC3_OPTOUT		0x01
#define NSEC3_B32_LEN		32	/* base32hex of a 20-byte SHA-1 hash */

struct nsec_zone;

/*
 * One NSEC record, its RRSIGs and its keys in one allocation: the owner's
 * and the next name's lowercase wire form, then the records in wire form.
 */
struct nsec_entry {
	RB_ENTRY(nsec_entry) node;	/* in its zone's tree */
	TAILQ_ENTRY(nsec_entry) lru;	/* in its shard's list, recent first */
	struct nsec_zone *zone;
	time_t expires;			/* see entry_expires() */
	const uint8_t *owner;		/* lowercase wire, into data[] */
	const uint8_t *next;
	uint8_t owner_len, next_len;
	uint16_t rr_count;		/* the NSEC and its RRSIGs */
	uint32_t wire_len;
	uint32_t ttl;			/* the life it was given: expires - ttl
					 * is when it came */
	uint32_t cost;			/* bytes counted against the bound */
	uint8_t data[];
};

RB_HEAD(nsec_cache_tree, nsec_entry);

struct nsec_zone {
	RB_ENTRY(nsec_zone) node;	/* in its shard's zones */
	struct nsec_cache_tree nsecs;
	size_t count;
	uint16_t klass;
	uint8_t key_len;
	uint8_t key[DNAME_WIRE_MAX];
	time_t soa_expires;
	/*
	 * How long the zone's newest SOA lets its absence be known: the
	 * least of that SOA's TTL, its MINIMUM and the caller's cap (RFC
	 * 2308 §5, RFC 9077 §4); UINT32_MAX until a SOA came. Every entry
	 * answers for no longer than this after it came (entry_expires).
	 */
	uint32_t neg_ttl;
	uint8_t *soa;			/* the SOA and its RRSIGs, wire form */
	uint32_t soa_len;
	uint16_t soa_count;
	size_t cost;
	/*
	 * An NSEC3 zone: its entries are NSEC3s of one chain, owners
	 * "<hash>.<zone>" (base32hex keeps the hashes' order, so the tree's
	 * canonical order is the chain's), all with these parameters.
	 */
	struct nsec3_part *n3;		/* NULL for an NSEC zone */
};

/* What an NSEC3 zone has more (apart: NSEC zones stay small). */
struct nsec3_part {
	struct nsec_cache_chain_params params;
	struct nsec_cache_memo memo[NSEC_CACHE_MEMO];
	unsigned memo_count, memo_next;
};

RB_HEAD(nsec_cache_zones, nsec_zone);
TAILQ_HEAD(nsec_lru, nsec_entry);

struct nsec_shard {
	pthread_mutex_t lock;
	struct nsec_cache_zones zones;
	struct nsec_lru lru;
	size_t bytes, max, count;
} __attribute__((aligned(64)));

struct nsec_cache {
	struct nsec_shard shards[NSEC_CACHE_SHARDS];
	uint32_t seed;
	/* Zones held (atomic): with none, a lookup takes no lock at all. */
	unsigned zones;
};

/* ---- canonical order ---- */

/* Offsets of the labels of a wire name, leftmost first; returns the count. */
static unsigned
label_offsets(const uint8_t *name, size_t len, uint8_t offs[LABELS_MAX])
{
	unsigned n = 0;
	size_t i = 0;

	while (i < len && name[i] != 0 && n < LABELS_MAX &&
	    i + 1 + name[i] <= len) {
		offs[n++] = (uint8_t)i;
		i += (size_t)name[i] + 1;
	}
	return n;
}

int
nsec_cache_canonical_compare(const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen)
{
	uint8_t oa[LABELS_MAX], ob[LABELS_MAX];
	unsigned na = label_offsets(a, alen, oa), nb = label_offsets(b, blen, ob);

	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		size_t min = la[0] < lb[0] ? la[0] : lb[0];
		int c = memcmp(la + 1, lb + 1, min);

		if (c != 0)
			return c;
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na == nb ? 0 : na < nb ? -1 : 1;
}

/* Labels two lowercase wire names share from the root. */
static unsigned
common_labels(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	uint8_t oa[LABELS_MAX], ob[LABELS_MAX];
	unsigned na = label_offsets(a, alen, oa), nb = label_offsets(b, blen, ob);
	unsigned n = 0;

	while (n < na && n < nb) {
		const uint8_t *la = a + oa[na - 1 - n], *lb = b + ob[nb - 1 - n];

		if (la[0] != lb[0] || memcmp(la + 1, lb + 1, la[0]) != 0)
			break;
		n++;
	}
	return n;
}

static int
entry_compare(const struct nsec_entry *a, const struct nsec_entry *b)
{
	return nsec_cache_canonical_compare(a->owner, a->owner_len, b->owner,
	    b->owner_len);
}

static int
zone_compare(const struct nsec_zone *a, const struct nsec_zone *b)
{
	if (a->klass != b->klass)
		return a->klass < b->klass ? -1 : 1;
	if (a->key_len != b->key_len)
		return a->key_len < b->key_len ? -1 : 1;
	return memcmp(a->key, b->key, a->key_len);
}

/* libbsd's _STATIC variants do not compile on Linux (STYLE.md). */
RB_PROTOTYPE(nsec_cache_tree, nsec_entry, node, entry_compare)
RB_GENERATE(nsec_cache_tree, nsec_entry, node, entry_compare)
RB_PROTOTYPE(nsec_cache_zones, nsec_zone, node, zone_compare)
RB_GENERATE(nsec_cache_zones, nsec_zone, node, zone_compare)

/*
 * When an entry stops answering: at its own expiry (its TTL, the cap it
 * came with, its RRSIGs), and no later than its zone's negative TTL after
 * it came. RFC 9077 §4 bounds the NSECs of a negative answer by the SOA's
 * TTL and MINIMUM; an NSEC from a wildcard answer comes without a SOA, so
 * the zone's bounds it once one is known, also one that came before (as
 * an authority following RFC 9077 §3 gives it no longer a TTL).
 */
static time_t
entry_expires(const struct nsec_entry *e)
{
	if (e->ttl > e->zone->neg_ttl)
		return e->expires - (time_t)(e->ttl - e->zone->neg_ttl);
	return e->expires;
}

/* ---- packing ---- */

/*
 * `first` (NULL: none) and the RRSIGs of `sigs` over owner/type in wire
 * form, uncompressed; a new buffer (NULL when memory ran out or there is
 * no RRSIG: unsigned data proves nothing to a DO client).
 */
static uint8_t *
pack_records(const ldns_rr_list *rrs, const ldns_rr_list *sigs,
    const ldns_rdf *owner, ldns_rr_type type, size_t *len, uint16_t *count)
{
	ldns_buffer *buf = ldns_buffer_new(512);
	unsigned nsigs = 0;
	uint8_t *out = NULL;

	*count = 0;
	if (buf == NULL)
		return NULL;
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		if (ldns_rr2buffer_wire(buf, ldns_rr_list_rr(rrs, i),
		    LDNS_SECTION_AUTHORITY) != LDNS_STATUS_OK)
			goto out;
		(*count)++;
	}
	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs);
	    i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(sig);

		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG ||
		    covered == NULL || ldns_rdf2rr_type(covered) != type ||
		    !dname_equal(ldns_rr_owner(sig), owner))
			continue;
		if (ldns_rr2buffer_wire(buf, sig, LDNS_SECTION_AUTHORITY) !=
		    LDNS_STATUS_OK)
			goto out;
		(*count)++;
		nsigs++;
	}
	if (nsigs == 0 || ldns_buffer_position(buf) > UINT32_MAX / 2 ||
	    (out = malloc(ldns_buffer_position(buf))) == NULL)
		goto out;
	*len = ldns_buffer_position(buf);
	memcpy(out, ldns_buffer_begin(buf), *len);
out:
	ldns_buffer_free(buf);
	return out;
}

/* `cap`, cut to what the RRSIGs over owner/type allow; 0: one expired. */
static uint32_t
sigs_ttl(const ldns_rr_list *sigs, const ldns_rdf *owner, ldns_rr_type type,
    time_t now, uint32_t cap)
{
	uint32_t sig_cap = rrsig_ttl_cap(sigs, owner, type, now);

	return sig_cap < cap ? sig_cap : cap;
}

/* Unpacks `count` wire records: RRSIGs to `sigs`, the rest to `rrs`. */
static bool
unpack_records(const uint8_t *wire, size_t len, unsigned count, uint32_t ttl,
    ldns_rr_list *rrs, ldns_rr_list *sigs)
{
	size_t pos = 0;

	for (unsigned i = 0; i < count; i++) {
		ldns_rr *rr = NULL;

		if (ldns_wire2rr(&rr, wire, len, &pos, LDNS_SECTION_AUTHORITY) !=
		    LDNS_STATUS_OK)
			return false;
		ldns_rr_set_ttl(rr, ttl);
		if (!ldns_rr_list_push_rr(ldns_rr_get_type(rr) ==
		    LDNS_RR_TYPE_RRSIG ? sigs : rrs, rr)) {
			ldns_rr_free(rr);
			return false;
		}
	}
	return true;
}

/* ---- the cache ---- */

struct nsec_cache *
nsec_cache_new(size_t max_bytes)
{
	struct nsec_cache *cache;

	if (posix_memalign((void **)&cache, 64, sizeof(*cache)) != 0)
		return NULL;
	memset(cache, 0, sizeof(*cache));
	cache->seed = arc4random();
	for (size_t i = 0; i < NSEC_CACHE_SHARDS; i++) {
		struct nsec_shard *s = &cache->shards[i];

		pthread_mutex_init(&s->lock, NULL);
		RB_INIT(&s->zones);
		TAILQ_INIT(&s->lru);
		s->max = max_bytes / NSEC_CACHE_SHARDS;
	}
	return cache;
}

static void
entry_free(struct nsec_shard *s, struct nsec_entry *e)
{
	TAILQ_REMOVE(&s->lru, e, lru);
	s->bytes -= e->cost;
	s->count--;
	free(e);
}

/* Removes the zone and everything in it; returns the NSECs it held. */
static size_t
zone_free(struct nsec_cache *cache, struct nsec_shard *s, struct nsec_zone *z)
{
	struct nsec_entry *e, *next;
	size_t n = z->count;

	RB_FOREACH_SAFE(e, nsec_cache_tree, &z->nsecs, next) {
		RB_REMOVE(nsec_cache_tree, &z->nsecs, e);
		entry_free(s, e);
	}
	RB_REMOVE(nsec_cache_zones, &s->zones, z);
	s->bytes -= z->cost;
	free(z->soa);
	free(z->n3);
	free(z);
	__atomic_fetch_sub(&cache->zones, 1, __ATOMIC_RELAXED);
	return n;
}

/* Removes one NSEC; its zone goes with its last one. */
static void
entry_remove(struct nsec_cache *cache, struct nsec_shard *s,
    struct nsec_entry *e)
{
	struct nsec_zone *z = e->zone;

	RB_REMOVE(nsec_cache_tree, &z->nsecs, e);
	z->count--;
	entry_free(s, e);
	if (z->count == 0)
		zone_free(cache, s, z);
}

/* Evicts least recently used NSECs until the shard fits its bound. */
static void
shard_shrink(struct nsec_cache *cache, struct nsec_shard *s)
{
	while (s->bytes > s->max && !TAILQ_EMPTY(&s->lru))
		entry_remove(cache, s, TAILQ_LAST(&s->lru, nsec_lru));
}

void
nsec_cache_free(struct nsec_cache *cache)
{
	if (cache == NULL)
		return;
	nsec_cache_flush_all(cache);
	for (size_t i = 0; i < NSEC_CACHE_SHARDS; i++)
		pthread_mutex_destroy(&cache->shards[i].lock);
	free(cache);
}

void
nsec_cache_set_max(struct nsec_cache *cache, size_t max_bytes)
{
	for (size_t i = 0; i < NSEC_CACHE_SHARDS; i++) {
		struct nsec_shard *s = &cache->shards[i];

		pthread_mutex_lock(&s->lock);
		s->max = max_bytes / NSEC_CACHE_SHARDS;
		shard_shrink(cache, s);
		pthread_mutex_unlock(&s->lock);
	}
}

/* The zone key: the name's lowercase wire form; the shard by its hash. */
static struct nsec_shard *
zone_shard(struct nsec_cache *cache, const uint8_t *key, size_t len,
    uint16_t klass)
{
	uint32_t hash = hash_seeded(cache->seed ^ klass, key, len);

	return &cache->shards[hash >> 28];
}

static struct nsec_zone *
zone_find(struct nsec_shard *s, const uint8_t *key, size_t len,
    uint16_t klass)
{
	struct nsec_zone probe;

	probe.klass = klass;
	probe.key_len = (uint8_t)len;
	memcpy(probe.key, key, len);
	return RB_FIND(nsec_cache_zones, &s->zones, &probe);
}

/* base32hex (RFC 4648 §7), lowercase, of a 20-byte hash: 32 characters. */
static void
b32hex_encode(const uint8_t hash[NSEC_CACHE_HASH_LEN],
    uint8_t out[NSEC3_B32_LEN])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
	uint64_t acc = 0;
	unsigned bits = 0, o = 0;

	for (unsigned i = 0; i < NSEC_CACHE_HASH_LEN; i++) {
		acc = (acc << 8) | hash[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = (uint8_t)digits[(acc >> bits) & 0x1f];
		}
	}
}

/* The key of "<base32hex of hash>.<zone>" for a zone key; its length. */
static size_t
hashed_key(const uint8_t hash[NSEC_CACHE_HASH_LEN], const uint8_t *zkey,
    size_t zlen, uint8_t out[DNAME_WIRE_MAX])
{
	if (zlen + 1 + NSEC3_B32_LEN > DNAME_WIRE_MAX)
		return 0;
	out[0] = NSEC3_B32_LEN;
	b32hex_encode(hash, out + 1);
	memcpy(out + 1 + NSEC3_B32_LEN, zkey, zlen);
	return 1 + NSEC3_B32_LEN + zlen;
}

/*
 * Whether `rr` is an NSEC3 of `zone` this cache keeps (RFC 5155 §8.1-8.2
 * as nsec3.c reads them): SHA-1, flags 0 or opt-out, owner one base32hex
 * hash label under the zone, a 20-byte next hash, and iterations within
 * LIMIT_DNSSEC_NSEC3_ITERATIONS (above it the validator calls the zone
 * insecure, RFC 9276 §3.2: nothing to synthesise from). Its parameters go
 * to *params, its next hash to next[].
 */
static bool
nsec3_usable(const ldns_rr *rr, const ldns_rdf *zone,
    struct nsec_cache_chain_params *params,
    uint8_t next[NSEC_CACHE_HASH_LEN])
{
	const ldns_rdf *owner = ldns_rr_owner(rr), *f[5];
	const uint8_t *label;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3 ||
	    ldns_rr_rd_count(rr) < 5)
		return false;
	for (size_t i = 0; i < 5; i++)
		if ((f[i] = ldns_rr_rdf(rr, i)) == NULL)
			return false;
	if (ldns_rdf_size(f[0]) != 1 || ldns_rdf_size(f[1]) != 1 ||
	    ldns_rdf_size(f[2]) != 2 || ldns_rdf_size(f[3]) < 1 ||
	    ldns_rdf_data(f[3])[0] + 1u != ldns_rdf_size(f[3]) ||
	    ldns_rdf_size(f[4]) != NSEC_CACHE_HASH_LEN + 1 ||
	    ldns_rdf_data(f[4])[0] != NSEC_CACHE_HASH_LEN)
		return false;
	if (ldns_rdf_data(f[0])[0] != NSEC3_SHA1 ||
	    (ldns_rdf_data(f[1])[0] & ~NSEC3_OPTOUT) != 0 ||
	    ldns_rdf2native_int16(f[2]) > LIMIT_DNSSEC_NSEC3_ITERATIONS)
		return false;
	if (dname_labels(owner) != dname_labels(zone) + 1 ||
	    !dname_in_bailiwick(owner, zone))
		return false;
	label = ldns_rdf_data(owner);
	if (label[0] != NSEC3_B32_LEN)
		return false;
	for (unsigned i = 1; i <= NSEC3_B32_LEN; i++)
		if (!((label[i] >= '0' && label[i] <= '9') ||
		    (label[i] >= 'a' && label[i] <= 'v') ||
		    (label[i] >= 'A' && label[i] <= 'V')))
			return false;
	memset(params, 0, sizeof(*params));
	params->iterations = ldns_rdf2native_int16(f[2]);
	params->salt_len = ldns_rdf_data(f[3])[0];
	memcpy(params->salt, ldns_rdf_data(f[3]) + 1, params->salt_len);
	memcpy(next, ldns_rdf_data(f[4]) + 1, NSEC_CACHE_HASH_LEN);
	return true;
}

static bool
params_equal(const struct nsec_cache_chain_params *a,
    const struct nsec_cache_chain_params *b)
{
	return a->iterations == b->iterations && a->salt_len == b->salt_len &&
	    memcmp(a->salt, b->salt, a->salt_len) == 0;
}

/*
 * A new entry for one NSEC record of `zone` or, with `params`, one NSEC3
 * of its chain with those parameters; NULL (skipped) for anything else.
 */
static struct nsec_entry *
entry_new(const ldns_rr *nsec, const ldns_rdf *zone,
    const struct nsec_cache_chain_params *params, const ldns_rr_list *sigs,
    uint32_t ttl_cap, time_t now)
{
	const ldns_rdf *owner = ldns_rr_owner(nsec), *next = NULL;
	uint8_t okey[DNAME_WIRE_MAX], nkey[DNAME_WIRE_MAX], *wire;
	uint8_t nhash[NSEC_CACHE_HASH_LEN];
	size_t olen, nlen, wire_len = 0;
	uint16_t count;
	uint32_t ttl;
	struct nsec_entry *e;
	ldns_rr_list *one;
	ldns_rr_type type = ldns_rr_get_type(nsec);

	if (params != NULL) {
		struct nsec_cache_chain_params mine;

		if (!nsec3_usable(nsec, zone, &mine, nhash) ||
		    !params_equal(&mine, params))
			return NULL;
	} else if (type != LDNS_RR_TYPE_NSEC ||
	    ldns_rr_rd_count(nsec) < 1 || (next = ldns_rr_rdf(nsec, 0)) ==
	    NULL || ldns_rdf_get_type(next) != LDNS_RDF_TYPE_DNAME ||
	    !dname_in_bailiwick(owner, zone) || !dname_in_bailiwick(next, zone))
		return NULL;
	ttl = ldns_rr_ttl(nsec) < ttl_cap ? ldns_rr_ttl(nsec) : ttl_cap;
	if ((ttl = sigs_ttl(sigs, owner, type, now, ttl)) == 0)
		return NULL;
	if ((one = ldns_rr_list_new()) == NULL)
		return NULL;
	ldns_rr_list_push_rr(one, (ldns_rr *)nsec);
	wire = pack_records(one, sigs, owner, type, &wire_len, &count);
	ldns_rr_list_free(one);		/* the record is the caller's */
	if (wire == NULL)
		return NULL;
	olen = dname_key(owner, okey);
	if (next != NULL)
		nlen = dname_key(next, nkey);
	else {
		uint8_t zkey[DNAME_WIRE_MAX];
		size_t zlen = dname_key(zone, zkey);

		/* The next owner as a name: the tree compares it so. */
		nlen = hashed_key(nhash, zkey, zlen, nkey);
	}
	if (nlen == 0) {
		free(wire);
		return NULL;
	}
	if ((e = malloc(sizeof(*e) + olen + nlen + wire_len)) == NULL) {
		free(wire);
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	memcpy(e->data, okey, olen);
	memcpy(e->data + olen, nkey, nlen);
	memcpy(e->data + olen + nlen, wire, wire_len);
	free(wire);
	e->owner = e->data;
	e->owner_len = (uint8_t)olen;
	e->next = e->data + olen;
	e->next_len = (uint8_t)nlen;
	e->rr_count = count;
	e->wire_len = (uint32_t)wire_len;
	e->expires = now + (time_t)ttl;
	e->ttl = ttl;
	e->cost = (uint32_t)malloc_cost(sizeof(*e) + olen + nlen + wire_len);
	return e;
}

/*
 * RFC 2308 §5: how long a SOA lets a negative answer live, the lesser of
 * its TTL and its MINIMUM field; and no longer than `cap`.
 */
static uint32_t
soa_negative_ttl(const ldns_rr *soa, uint32_t cap)
{
	const ldns_rdf *min = ldns_rr_rdf(soa, 6);
	uint32_t ttl = ldns_rr_ttl(soa) < cap ? ldns_rr_ttl(soa) : cap;

	/* A SOA without its seven fields (none parses so) denies nothing. */
	if (min == NULL || ldns_rdf_size(min) != 4)
		return 0;
	return ldns_rdf2native_int32(min) < ttl ? ldns_rdf2native_int32(min) :
	    ttl;
}

size_t
nsec_cache_store(struct nsec_cache *cache, const ldns_rdf *zone,
    ldns_rr_class klass, const ldns_rr_list *soa, const ldns_rr_list *nsecs,
    const ldns_rr_list *sigs, uint32_t ttl_cap, time_t now)
{
	size_t n = nsecs != NULL ? ldns_rr_list_rr_count(nsecs) : 0, stored = 0;
	struct nsec_entry **entries;
	uint8_t key[DNAME_WIRE_MAX], *soa_wire, next[NSEC_CACHE_HASH_LEN];
	size_t key_len, soa_len = 0;
	uint16_t soa_count;
	uint32_t soa_ttl, neg_ttl = UINT32_MAX;
	struct nsec_shard *s;
	struct nsec_zone *z;
	struct nsec_cache_chain_params params;
	bool nsec3 = false;

	if (n == 0 || (soa != NULL && (ldns_rr_list_rr_count(soa) != 1 ||
	    ldns_rr_get_type(ldns_rr_list_rr(soa, 0)) != LDNS_RR_TYPE_SOA ||
	    !dname_equal(ldns_rr_owner(ldns_rr_list_rr(soa, 0)), zone))))
		return 0;
	if (soa == NULL) {
		/* A wildcard answer's proof: the zone keeps the SOA it has. */
		soa_wire = NULL;
		soa_ttl = 0;
	} else {
		/* A denial: its NSECs and SOA live no longer than it may. */
		ttl_cap = neg_ttl = soa_negative_ttl(ldns_rr_list_rr(soa, 0),
		    ttl_cap);
		soa_ttl = sigs_ttl(sigs, zone, LDNS_RR_TYPE_SOA, now, neg_ttl);
		if (soa_ttl == 0 || (soa_wire = pack_records(soa, sigs, zone,
		    LDNS_RR_TYPE_SOA, &soa_len, &soa_count)) == NULL)
			return 0;
	}
	if ((entries = calloc(n, sizeof(*entries))) == NULL) {
		free(soa_wire);
		return 0;
	}
	/* An NSEC3 proof: the chain is the first usable record's. */
	for (size_t i = 0; i < n && !nsec3; i++)
		nsec3 = nsec3_usable(ldns_rr_list_rr(nsecs, i), zone, &params,
		    next);
	for (size_t i = 0; i < n; i++)
		entries[i] = entry_new(ldns_rr_list_rr(nsecs, i), zone,
		    nsec3 ? &params : NULL, sigs, ttl_cap, now);
	key_len = dname_key(zone, key);
	s = zone_shard(cache, key, key_len, (uint16_t)klass);
	pthread_mutex_lock(&s->lock);
	/* Re-signed with NSEC instead of NSEC3, or a new salt: a new chain. */
	if ((z = zone_find(s, key, key_len, (uint16_t)klass)) != NULL &&
	    ((z->n3 != NULL) != nsec3 || (nsec3 && !params_equal(
	    &z->n3->params, &params))))
		zone_free(cache, s, z);
	if ((z = zone_find(s, key, key_len, (uint16_t)klass)) == NULL &&
	    (z = calloc(1, sizeof(*z))) != NULL) {
		RB_INIT(&z->nsecs);
		z->neg_ttl = UINT32_MAX;
		z->klass = (uint16_t)klass;
		z->key_len = (uint8_t)key_len;
		memcpy(z->key, key, key_len);
		if (nsec3 && (z->n3 = calloc(1, sizeof(*z->n3))) == NULL) {
			free(z);
			z = NULL;
		} else {
			if (nsec3)
				z->n3->params = params;
			RB_INSERT(nsec_cache_zones, &s->zones, z);
			__atomic_fetch_add(&cache->zones, 1, __ATOMIC_RELAXED);
		}
	}
	if (z != NULL && soa_wire != NULL) {
		/* The newest SOA: the one the newest proof came with. */
		free(z->soa);
		z->soa = soa_wire;
		soa_wire = NULL;
		z->soa_len = (uint32_t)soa_len;
		z->soa_count = soa_count;
		z->soa_expires = now + (time_t)soa_ttl;
		z->neg_ttl = neg_ttl;
	}
	if (z != NULL) {
		s->bytes -= z->cost;
		z->cost = malloc_cost(sizeof(*z)) + (z->soa != NULL ?
		    malloc_cost(z->soa_len) : 0) +
		    (z->n3 != NULL ? malloc_cost(sizeof(*z->n3)) : 0);
		s->bytes += z->cost;
		for (size_t i = 0; i < n; i++) {
			struct nsec_entry *e = entries[i], *old;

			if (e == NULL)
				continue;
			if ((old = RB_FIND(nsec_cache_tree, &z->nsecs, e)) !=
			    NULL) {
				RB_REMOVE(nsec_cache_tree, &z->nsecs, old);
				z->count--;
				entry_free(s, old);
			}
			e->zone = z;
			RB_INSERT(nsec_cache_tree, &z->nsecs, e);
			TAILQ_INSERT_HEAD(&s->lru, e, lru);
			z->count++;
			s->count++;
			s->bytes += e->cost;
			entries[i] = NULL;
			stored++;
		}
		if (z->count == 0)
			zone_free(cache, s, z);	/* nothing usable came */
		shard_shrink(cache, s);
	}
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
	free(soa_wire);
	return stored;
}

/* The live NSEC at or before `key` (wrapping to the last); NULL if none. */
static struct nsec_entry *
entry_at_or_before(struct nsec_cache *cache, struct nsec_shard *s,
    struct nsec_zone *z, const uint8_t *key, size_t len, time_t now)
{
	struct nsec_entry probe, *e;

	probe.owner = key;
	probe.owner_len = (uint8_t)len;
	e = RB_NFIND(nsec_cache_tree, &z->nsecs, &probe);
	if (e == NULL)
		e = RB_MAX(nsec_cache_tree, &z->nsecs);
	else if (entry_compare(e, &probe) != 0 &&
	    (e = RB_PREV(nsec_cache_tree, &z->nsecs, e)) == NULL &&
	    z->n3 != NULL)
		/* A hash before the first owner: only the last can cover it
		 * (a name before the apex is outside an NSEC zone). */
		e = RB_MAX(nsec_cache_tree, &z->nsecs);
	if (e == NULL)
		return NULL;
	if (entry_expires(e) <= now) {
		/* The zone may go with it: the caller looks no further. */
		entry_remove(cache, s, e);
		return NULL;
	}
	TAILQ_REMOVE(&s->lru, e, lru);
	TAILQ_INSERT_HEAD(&s->lru, e, lru);
	return e;
}

/* A private copy of an entry's wire records (the lock is held). */
struct wire_copy {
	uint8_t *wire;
	size_t len;
	unsigned count;
};

static bool
wire_copy(struct wire_copy *c, const uint8_t *wire, size_t len,
    unsigned count)
{
	if ((c->wire = malloc(len)) == NULL)
		return false;
	memcpy(c->wire, wire, len);
	c->len = len;
	c->count = count;
	return true;
}

/*
 * Under the zone's lock: the NSEC at or before the name, and the one at or
 * before the wildcard at its closest encloser, copied out with the SOA
 * when a live one is held (NSECs from wildcard answers come without).
 */
static bool
zone_collect(struct nsec_cache *cache, struct nsec_shard *s,
    struct nsec_zone *z, const uint8_t *key, size_t len, time_t now,
    struct wire_copy copies[3], time_t *expires)
{
	struct nsec_entry *first, *wild = NULL;
	unsigned ce, labels;
	uint8_t offs[LABELS_MAX];
	bool soa;

	/* Hashed owners say nothing in name order: nsec_cache_nsec3_*(). */
	if (z->n3 != NULL)
		return false;
	soa = z->soa_expires > now;
	if ((first = entry_at_or_before(cache, s, z, key, len, now)) == NULL)
		return false;	/* z may be gone now */
	*expires = entry_expires(first);
	if (soa && z->soa_expires < *expires)
		*expires = z->soa_expires;
	labels = label_offsets(key, len, offs);
	ce = common_labels(key, len, first->owner, first->owner_len);
	if (common_labels(key, len, first->next, first->next_len) > ce)
		ce = common_labels(key, len, first->next, first->next_len);
	if (ce < labels) {
		/* "*." and the closest encloser, the tail of the name. */
		uint8_t wkey[DNAME_WIRE_MAX + 2];
		size_t at = ce == 0 ? len - 1 : offs[labels - ce];

		wkey[0] = 1;
		wkey[1] = '*';
		memcpy(wkey + 2, key + at, len - at);
		wild = entry_at_or_before(cache, s, z, wkey, 2 + len - at, now);
		/* An expired one is dropped; `first` keeps the zone alive. */
		if (wild == first)
			wild = NULL;
	}
	if ((soa && !wire_copy(&copies[0], z->soa, z->soa_len,
	    z->soa_count)) || !wire_copy(&copies[1], first->data +
	    first->owner_len + first->next_len, first->wire_len,
	    first->rr_count))
		return false;
	if (wild != NULL) {
		if (entry_expires(wild) < *expires)
			*expires = entry_expires(wild);
		if (!wire_copy(&copies[2], wild->data + wild->owner_len +
		    wild->next_len, wild->wire_len, wild->rr_count))
			return false;
	}
	return true;
}

void
nsec_cache_found_clear(struct nsec_cache_found *found)
{
	ldns_rdf_deep_free(found->zone);
	ldns_rr_list_deep_free(found->soa);
	ldns_rr_list_deep_free(found->nsecs);
	ldns_rr_list_deep_free(found->sigs);
	memset(found, 0, sizeof(*found));
}

bool
nsec_cache_lookup(struct nsec_cache *cache, const ldns_rdf *name,
    bool parent_side, ldns_rr_class klass, time_t now,
    struct nsec_cache_found *found)
{
	uint8_t key[DNAME_WIRE_MAX], offs[LABELS_MAX];
	size_t len;
	unsigned labels;
	struct wire_copy copies[3] = { { 0 } };
	time_t expires = 0;
	bool ok = false, zone_found = false;
	uint32_t ttl;

	memset(found, 0, sizeof(*found));
	if (__atomic_load_n(&cache->zones, __ATOMIC_RELAXED) == 0)
		return false;
	len = dname_key(name, key);
	labels = label_offsets(key, len, offs);
	/* From the name (or its parent) up to the root: the closest zone held. */
	if (parent_side && labels == 0)
		return false;
	for (unsigned l = parent_side ? 1 : 0; l <= labels && !zone_found;
	    l++) {
		size_t at = l == labels ? len - 1 : offs[l];
		struct nsec_shard *s = zone_shard(cache, key + at, len - at,
		    (uint16_t)klass);
		struct nsec_zone *z;

		pthread_mutex_lock(&s->lock);
		if ((z = zone_find(s, key + at, len - at, (uint16_t)klass)) !=
		    NULL) {
			zone_found = true;
			ok = zone_collect(cache, s, z, key, len, now, copies,
			    &expires);
			if (ok)
				found->zone = ldns_dname_new_frm_data(
				    (uint16_t)(len - at), key + at);
		}
		pthread_mutex_unlock(&s->lock);
	}
	ttl = expires > now ? (uint32_t)(expires - now) : 0;
	if (ok && found->zone != NULL && ttl > 0) {
		if (copies[0].wire != NULL)
			found->soa = ldns_rr_list_new();
		found->nsecs = ldns_rr_list_new();
		found->sigs = ldns_rr_list_new();
		found->ttl = ttl;
		ok = (found->soa != NULL || copies[0].wire == NULL) &&
		    found->nsecs != NULL && found->sigs != NULL;
		for (unsigned i = 0; ok && i < 3; i++)
			if (copies[i].wire != NULL)
				ok = unpack_records(copies[i].wire, copies[i].len,
				    copies[i].count, ttl, i == 0 ? found->soa :
				    found->nsecs, found->sigs);
		ok = ok && (found->soa == NULL ||
		    ldns_rr_list_rr_count(found->soa) == 1) &&
		    ldns_rr_list_rr_count(found->nsecs) > 0;
	} else
		ok = false;
	for (unsigned i = 0; i < 3; i++)
		free(copies[i].wire);
	if (!ok)
		nsec_cache_found_clear(found);
	return ok;
}

/* ---- NSEC3 chains ---- */

/*
 * The closest zone held from `name` (or its parent) up: its shard locked
 * and the zone, or NULL (nothing locked). The caller unlocks.
 */
static struct nsec_zone *
closest_zone_locked(struct nsec_cache *cache, const ldns_rdf *name,
    bool parent_side, uint16_t klass, struct nsec_shard **shard)
{
	uint8_t key[DNAME_WIRE_MAX], offs[LABELS_MAX];
	size_t len;
	unsigned labels;

	if (__atomic_load_n(&cache->zones, __ATOMIC_RELAXED) == 0)
		return NULL;
	len = dname_key(name, key);
	labels = label_offsets(key, len, offs);
	if (parent_side && labels == 0)
		return NULL;
	for (unsigned l = parent_side ? 1 : 0; l <= labels; l++) {
		size_t at = l == labels ? len - 1 : offs[l];
		struct nsec_shard *s = zone_shard(cache, key + at, len - at,
		    klass);
		struct nsec_zone *z;

		pthread_mutex_lock(&s->lock);
		if ((z = zone_find(s, key + at, len - at, klass)) != NULL) {
			*shard = s;
			return z;
		}
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

bool
nsec_cache_nsec3_chain(struct nsec_cache *cache, const ldns_rdf *name,
    bool parent_side, ldns_rr_class klass, time_t now,
    struct nsec_cache_chain *chain)
{
	struct nsec_shard *s = NULL;
	struct nsec_zone *z;
	uint8_t key[DNAME_WIRE_MAX];
	size_t key_len = 0;
	bool ok = false;

	memset(chain, 0, sizeof(*chain));
	if ((z = closest_zone_locked(cache, name, parent_side,
	    (uint16_t)klass, &s)) == NULL)
		return false;
	if (z->n3 != NULL && z->count > 0) {
		chain->params = z->n3->params;
		memcpy(chain->memo, z->n3->memo,
		    z->n3->memo_count * sizeof(z->n3->memo[0]));
		chain->memo_count = z->n3->memo_count;
		key_len = z->key_len;
		memcpy(key, z->key, key_len);
		ok = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (ok && (chain->zone = ldns_dname_new_frm_data((uint16_t)key_len,
	    key)) == NULL)
		ok = false;
	return ok;
}

void
nsec_cache_chain_clear(struct nsec_cache_chain *chain)
{
	ldns_rdf_deep_free(chain->zone);
	memset(chain, 0, sizeof(*chain));
}

/* The chain's zone, locked, when it still holds those parameters. */
static struct nsec_zone *
chain_zone_locked(struct nsec_cache *cache,
    const struct nsec_cache_chain *chain, uint16_t klass,
    struct nsec_shard **shard)
{
	uint8_t key[DNAME_WIRE_MAX];
	size_t len = dname_key(chain->zone, key);
	struct nsec_shard *s = zone_shard(cache, key, len, klass);
	struct nsec_zone *z;

	pthread_mutex_lock(&s->lock);
	z = zone_find(s, key, len, klass);
	if (z == NULL || z->n3 == NULL || !params_equal(&z->n3->params,
	    &chain->params)) {
		pthread_mutex_unlock(&s->lock);
		return NULL;
	}
	*shard = s;
	return z;
}

/* Whether `found` holds an NSEC3 owned by the first record of `rrs`. */
static bool
found_has_owner(const struct nsec_cache_found *found, const ldns_rr_list *rrs)
{
	const ldns_rdf *owner;

	if (found->nsecs == NULL || ldns_rr_list_rr_count(rrs) == 0)
		return false;
	owner = ldns_rr_owner(ldns_rr_list_rr(rrs, 0));
	for (size_t i = 0; i < ldns_rr_list_rr_count(found->nsecs); i++)
		if (dname_equal(ldns_rr_owner(ldns_rr_list_rr(found->nsecs, i)),
		    owner))
			return true;
	return false;
}

/* Moves the records of `from` to the end of `to`; false without memory. */
static bool
move_records(ldns_rr_list *to, ldns_rr_list *from)
{
	while (ldns_rr_list_rr_count(from) > 0) {
		ldns_rr *rr = ldns_rr_list_pop_rr(from);

		if (!ldns_rr_list_push_rr(to, rr)) {
			ldns_rr_free(rr);
			return false;
		}
	}
	return true;
}

enum nsec_cache_hit
nsec_cache_nsec3_find(struct nsec_cache *cache,
    const struct nsec_cache_chain *chain, ldns_rr_class klass,
    const uint8_t hash[NSEC_CACHE_HASH_LEN], time_t now,
    struct nsec_cache_found *found)
{
	struct nsec_shard *s = NULL;
	struct nsec_zone *z;
	struct nsec_entry *e;
	struct wire_copy rec = { 0 }, soa = { 0 };
	enum nsec_cache_hit hit = NSEC_CACHE_NONE;
	uint8_t key[DNAME_WIRE_MAX];
	size_t len;
	time_t expires = 0;
	ldns_rr_list *rrs = NULL, *sigs = NULL, *soas = NULL;
	uint32_t ttl;
	bool ok;

	if ((z = chain_zone_locked(cache, chain, (uint16_t)klass, &s)) == NULL)
		return NSEC_CACHE_NONE;
	if ((len = hashed_key(hash, z->key, z->key_len, key)) == 0 ||
	    (e = entry_at_or_before(cache, s, z, key, len, now)) == NULL) {
		/* z may be gone now: not touched again. */
		pthread_mutex_unlock(&s->lock);
		return NSEC_CACHE_NONE;
	}
	if (nsec_cache_canonical_compare(e->owner, e->owner_len, key, len) == 0)
		hit = NSEC_CACHE_MATCH;
	else {
		/* RFC 5155 §1.3 "covers"; the chain's last (next <= owner)
		 * covers what is past its owner or before the first. */
		int after = nsec_cache_canonical_compare(key, len, e->owner,
		    e->owner_len);
		int before = nsec_cache_canonical_compare(key, len, e->next,
		    e->next_len);

		if (nsec_cache_canonical_compare(e->owner, e->owner_len,
		    e->next, e->next_len) < 0 ? after > 0 && before < 0 :
		    after > 0 || before < 0)
			hit = NSEC_CACHE_COVER;
	}
	if (hit != NSEC_CACHE_NONE) {
		/* The SOA, when a live one is held, goes with the first. */
		bool with_soa = found->zone == NULL && z->soa_expires > now;

		expires = entry_expires(e);
		if (with_soa && z->soa_expires < expires)
			expires = z->soa_expires;
		ok = wire_copy(&rec, e->data + e->owner_len + e->next_len,
		    e->wire_len, e->rr_count) && (!with_soa ||
		    wire_copy(&soa, z->soa, z->soa_len, z->soa_count));
		if (!ok)
			hit = NSEC_CACHE_NONE;
	}
	pthread_mutex_unlock(&s->lock);
	if (hit == NSEC_CACHE_NONE)
		goto out;
	ttl = expires > now ? (uint32_t)(expires - now) : 0;
	if (ttl == 0 || (rrs = ldns_rr_list_new()) == NULL ||
	    (sigs = ldns_rr_list_new()) == NULL ||
	    !unpack_records(rec.wire, rec.len, rec.count, ttl, rrs, sigs)) {
		hit = NSEC_CACHE_NONE;
		goto out;
	}
	if (found->zone == NULL) {
		if ((soa.wire != NULL && ((soas = ldns_rr_list_new()) == NULL ||
		    !unpack_records(soa.wire, soa.len, soa.count, ttl, soas,
		    sigs) || ldns_rr_list_rr_count(soas) != 1)) ||
		    (found->zone = ldns_rdf_clone(chain->zone)) == NULL) {
			hit = NSEC_CACHE_NONE;
			goto out;
		}
		found->soa = soas;
		soas = NULL;
		found->ttl = ttl;
	}
	if (ttl < found->ttl)
		found->ttl = ttl;
	if (found_has_owner(found, rrs))
		goto out;	/* one NSEC3 covering two of the names */
	if ((found->nsecs == NULL && (found->nsecs = ldns_rr_list_new()) ==
	    NULL) || (found->sigs == NULL && (found->sigs =
	    ldns_rr_list_new()) == NULL) || !move_records(found->nsecs, rrs) ||
	    !move_records(found->sigs, sigs))
		hit = NSEC_CACHE_NONE;
out:
	ldns_rr_list_deep_free(rrs);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(soas);
	free(rec.wire);
	free(soa.wire);
	return hit;
}

void
nsec_cache_nsec3_remember(struct nsec_cache *cache,
    const struct nsec_cache_chain *chain, ldns_rr_class klass,
    const ldns_rdf *name, const uint8_t hash[NSEC_CACHE_HASH_LEN])
{
	struct nsec_shard *s = NULL;
	struct nsec_zone *z;
	struct nsec_cache_memo m;
	size_t len;

	len = dname_key(name, m.key);
	m.key_len = (uint8_t)len;
	memcpy(m.hash, hash, NSEC_CACHE_HASH_LEN);
	if ((z = chain_zone_locked(cache, chain, (uint16_t)klass, &s)) == NULL)
		return;
	for (unsigned i = 0; i < z->n3->memo_count; i++)
		if (z->n3->memo[i].key_len == len &&
		    memcmp(z->n3->memo[i].key, m.key, len) == 0) {
			pthread_mutex_unlock(&s->lock);
			return;
		}
	if (z->n3->memo_count < NSEC_CACHE_MEMO)
		z->n3->memo[z->n3->memo_count++] = m;
	else {
		z->n3->memo[z->n3->memo_next] = m;
		z->n3->memo_next = (z->n3->memo_next + 1) % NSEC_CACHE_MEMO;
	}
	pthread_mutex_unlock(&s->lock);
}

/* ---- walks ---- */

size_t
nsec_cache_flush(struct nsec_cache *cache, const ldns_rdf *name)
{
	uint8_t key[DNAME_WIRE_MAX];
	size_t len = dname_key(name, key), n = 0;

	for (size_t i = 0; i < NSEC_CACHE_SHARDS; i++) {
		struct nsec_shard *s = &cache->shards[i];
		struct nsec_zone *z, *next;

		pthread_mutex_lock(&s->lock);
		RB_FOREACH_SAFE(z, nsec_cache_zones, &s->zones, next)
			if (dname_key_covers(z->key, z->key_len, key, len,
			    true) || dname_key_covers(key, len, z->key,
			    z->key_len, true))
				n += zone_free(cache, s, z);
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

size_t
nsec_cache_flush_all(struct nsec_cache *cache)
{
	size_t n = 0;

	for (size_t i = 0; i < NSEC_CACHE_SHARDS; i++) {
		struct nsec_shard *s = &cache->shards[i];
		struct nsec_zone *z, *next;

		pthread_mutex_lock(&s->lock);
		RB_FOREACH_SAFE(z, nsec_cache_zones, &s->zones, next)
			n += zone_free(cache, s, z);
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

void
nsec_cache_dump(struct nsec_cache *cache, FILE *out, time_t now)
{
	for (size_t i = 0; i < NSEC_CACHE_SHARDS; i++) {
		struct nsec_shard *s = &cache->shards[i];
		struct nsec_zone *z;
		struct nsec_entry *e;

		pthread_mutex_lock(&s->lock);
		RB_FOREACH(z, nsec_cache_zones, &s->zones)
			RB_FOREACH(e, nsec_cache_tree, &z->nsecs) {
				ldns_rr_list *rrs = ldns_rr_list_new();
				ldns_rr_list *sigs = ldns_rr_list_new();
				time_t expires = entry_expires(e);

				if (expires > now && rrs != NULL &&
				    sigs != NULL && unpack_records(e->data +
				    e->owner_len + e->next_len, e->wire_len,
				    e->rr_count, (uint32_t)(expires - now),
				    rrs, sigs))
					for (size_t j = 0;
					    j < ldns_rr_list_rr_count(rrs); j++) {
						char *t = ldns_rr2str(
						    ldns_rr_list_rr(rrs, j));

						if (t != NULL) {
							t[strcspn(t, "\n")] = '\0';
							fprintf(out,
							    "%s ; nsec-cache\n", t);
						}
						free(t);
					}
				ldns_rr_list_deep_free(rrs);
				ldns_rr_list_deep_free(sigs);
			}
		pthread_mutex_unlock(&s->lock);
	}
}

size_t
nsec_cache_bytes(struct nsec_cache *cache)
{
	size_t bytes = 0;

	for (size_t i = 0; i < NSEC_CACHE_SHARDS; i++) {
		pthread_mutex_lock(&cache->shards[i].lock);
		bytes += cache->shards[i].bytes;
		pthread_mutex_unlock(&cache->shards[i].lock);
	}
	return bytes;
}

size_t
nsec_cache_count(struct nsec_cache *cache)
{
	size_t count = 0;

	for (size_t i = 0; i < NSEC_CACHE_SHARDS; i++) {
		pthread_mutex_lock(&cache->shards[i].lock);
		count += cache->shards[i].count;
		pthread_mutex_unlock(&cache->shards[i].lock);
	}
	return count;
}
