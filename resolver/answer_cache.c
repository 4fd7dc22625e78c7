/*
 * answer_cache.c: wire-format answers in bounded LRU tables split in
 * shards by key hash, with the TTL offsets precomputed at store time so
 * that a cache hit never parses. A hit reads its shard under a shared
 * lock that writes no shared line (shard_lock.h) and only marks the
 * entry referenced, so workers hitting the cache at once do not queue;
 * once a second it marks the RRsets the answer was built from referenced
 * too (rrset_cache_touch), so that they outlive churn as long as it does.
 */
#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "answer_cache.h"
#include "dname.h"
#include "engine_limits.h"
#include "lru.h"
#include "lru_shards.h"
#include "rrset_cache.h"
#include "shard_lock.h"
#include "wire_bytes.h"

/* The most records whose TTLs a cached answer may carry. */
#define ANSWER_RRS_MAX	64

/*
 * The most RRset cache entries an answer keeps alive: a CNAME chain's
 * RRsets, the answer's, a negative entry. An answer naming more keeps the
 * first ones (ANSWER_OWNERS_MAX bounds the owners anyway).
 */
#define ANSWER_REFS_MAX	24

/* The few codes the walk over an answer needs, without ldns. */
#define WIRE_TYPE_CNAME		5
#define WIRE_TYPE_RRSIG		46
#define WIRE_RCODE_NOERROR	0
#define WIRE_RCODE_NXDOMAIN	3

/*
 * One allocation with the table's entry and key (lru_value_new): the
 * header, then the message, then per record its TTL
 * field's offset and the TTL as stored (sized to the record count, so a
 * one-record answer costs a few bytes more than its message), then per
 * owner name its epoch slot and the epoch seen when stored, then the
 * references (rrset_cache_ref) of the RRset cache entries it was built
 * from. The expiry is not kept but computed (entry_expires) from the
 * store time and the TTL, in time_t: 8 bytes fewer make a typical
 * entry (one A record) a 16-byte malloc size class smaller, which is
 * most of what a cached name costs.
 */
struct answer_entry {
	time_t stored;
	uint32_t ttl;			/* so it expires at stored + ttl */
	uint32_t touched;		/* atomic: when its RRsets were last touched */
	bool prefetch_started;		/* atomic: hits read it under a shared lock */
	uint8_t status;			/* enum sec_status */
	uint8_t owner_count;
	uint8_t ref_count;
	uint16_t rr_count;
	uint16_t len;
	uint8_t wire[];
};

/* When the entry expires: in time_t, so it neither wraps nor truncates. */
static inline time_t
entry_expires(const struct answer_entry *e)
{
	return e->stored + (time_t)e->ttl;
}

/* Where the arrays start: after the message, 4-aligned from the entry. */
static size_t
entry_arrays_at(size_t len)
{
	return (offsetof(struct answer_entry, wire) + len + 3u) & ~(size_t)3u;
}

static uint16_t *
entry_offsets(const struct answer_entry *e)
{
	return (uint16_t *)(uintptr_t)((const uint8_t *)e +
	    entry_arrays_at(e->len));
}

static uint32_t *
entry_ttls(const struct answer_entry *e)
{
	return (uint32_t *)(void *)(entry_offsets(e) +
	    ((e->rr_count + 1u) & ~1u));
}

/* Slot and epoch pairs, one per owner name. */
static uint32_t *
entry_owners(const struct answer_entry *e)
{
	return entry_ttls(e) + e->rr_count;
}

static uint32_t *
entry_refs(const struct answer_entry *e)
{
	return entry_owners(e) + 2 * e->owner_count;
}

/* As in the RRset cache: the top bits of the key's hash pick the shard. */
#define ANSWER_SHARDS	16

struct answer_cache {
	struct shard_readers readers;
	struct lru_shard shards[ANSWER_SHARDS];
	uint32_t seed;
	struct rrset_cache *rrsets;	/* whose epochs answers follow */
};

static struct lru_shard *
answer_shard(struct answer_cache *cache, uint32_t hash)
{
	return &cache->shards[hash >> 28];
}

size_t
wire_skip_name(const uint8_t *wire, size_t len, size_t off)
{
	for (unsigned labels = 0; off < len && labels < 128; labels++) {
		uint8_t c = wire[off];

		if (c == 0)
			return off + 1;
		if ((c & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if ((c & 0xc0) != 0)
			return 0;
		off += (size_t)c + 1;
	}
	return 0;
}

int
wire_ttl_offsets(const uint8_t *wire, size_t len, uint16_t *offsets,
    size_t max)
{
	size_t off = 12;
	unsigned qd, rrs;
	int n = 0;

	if (len < 12 || len > UINT16_MAX)
		return -1;
	qd = get16(wire + 4);
	rrs = (unsigned)get16(wire + 6) + get16(wire + 8) + get16(wire + 10);
	for (unsigned i = 0; i < qd; i++) {
		if ((off = wire_skip_name(wire, len, off)) == 0 || off + 4 > len)
			return -1;
		off += 4;
	}
	for (unsigned i = 0; i < rrs; i++) {
		if ((off = wire_skip_name(wire, len, off)) == 0 ||
		    off + 10 > len)
			return -1;
		if ((size_t)n >= max)
			return -1;
		offsets[n++] = (uint16_t)(off + 4);
		off += 10 + get16(wire + off + 8);
		if (off > len)
			return -1;
	}
	return off == len ? n : -1;
}

/*
 * Writes the (possibly compressed) name at `off` in lowercase wire form to
 * `key` (255 bytes); returns its length, 0 when malformed.
 */
static size_t
wire_name_key(const uint8_t *wire, size_t len, size_t off, uint8_t *key)
{
	size_t n = 0;

	for (unsigned hops = 0; off < len && hops < 128; hops++) {
		uint8_t c = wire[off];

		if ((c & 0xc0) == 0xc0) {
			if (off + 1 >= len)
				return 0;
			off = (size_t)(c & 0x3f) << 8 | wire[off + 1];
			continue;
		}
		if ((c & 0xc0) != 0 || off + 1 + c > len || n + 1 + c > 255)
			return 0;
		key[n++] = c;
		if (c == 0)
			return n;
		for (size_t i = 1; i <= c; i++)
			key[n++] = ascii_lower(wire[off + i]);
		off += (size_t)c + 1;
	}
	return 0;
}

/*
 * Calls `visit` with the owner of every record of a message that
 * wire_ttl_offsets accepted; stops and returns false when visit does.
 */
static bool
wire_each_owner(const uint8_t *wire, size_t len, const uint16_t *ttl_offsets,
    unsigned count, bool (*visit)(void *, const uint8_t *, size_t), void *arg)
{
	size_t off = 12;
	uint8_t key[255];

	for (unsigned i = 0; i < get16(wire + 4); i++)
		off = wire_skip_name(wire, len, off) + 4;
	/* Each owner starts where the previous record (or question) ended. */
	for (unsigned i = 0; i < count; i++) {
		size_t ttl_at = ttl_offsets[i], keylen;

		keylen = wire_name_key(wire, len, off, key);
		if (keylen == 0 || !visit(arg, key, keylen))
			return false;
		off = ttl_at + 6 + get16(wire + ttl_at + 4);
	}
	return true;
}

struct owner_set {
	const struct rrset_cache *rrsets;
	uint32_t slots[ANSWER_OWNERS_MAX];
	unsigned count;
};

static bool
owner_set_add(void *arg, const uint8_t *key, size_t keylen)
{
	struct owner_set *set = arg;
	uint32_t slot = rrset_cache_owner_slot(set->rrsets, key, keylen);

	for (unsigned i = 0; i < set->count; i++)
		if (set->slots[i] == slot)
			return true;
	if (set->count == ANSWER_OWNERS_MAX)
		return false;
	set->slots[set->count++] = slot;
	return true;
}

/*
 * The RRset cache entries an answer was built from: the RRset of every
 * owner and type in the answer section (RRSIGs ride with their RRset),
 * and for NXDOMAIN or NODATA the negative entry of the name the CNAME
 * chain ends at. A DNAME's synthesised CNAME or an NXDOMAIN cached at an
 * ancestor (RFC 8020) names an entry that is not there: touching it costs
 * a lookup that finds nothing, never a wrong entry kept.
 */
struct ref_set {
	const struct rrset_cache *rrsets;
	uint32_t refs[ANSWER_REFS_MAX];
	unsigned count;
};

static void
ref_set_add(struct ref_set *set, const uint8_t *owner_key, size_t len,
    uint16_t type, uint16_t klass, bool negative)
{
	uint32_t ref = rrset_cache_ref(set->rrsets, owner_key, len, type,
	    klass, negative);

	for (unsigned i = 0; i < set->count; i++)
		if (set->refs[i] == ref)
			return;
	if (set->count < ANSWER_REFS_MAX)
		set->refs[set->count++] = ref;
}

/* Fills `set` from a message that wire_ttl_offsets accepted. */
static void
wire_refs(const uint8_t *wire, size_t len, const uint16_t *ttl_offsets,
    struct ref_set *set)
{
	uint8_t target[255], owner[255];
	size_t target_len, off = 12;
	uint16_t qtype, qclass;
	bool answered = false;

	if (get16(wire + 4) != 1 ||
	    (target_len = wire_name_key(wire, len, off, target)) == 0)
		return;
	off = wire_skip_name(wire, len, off);
	qtype = get16(wire + off);
	qclass = get16(wire + off + 2);
	off += 4;
	for (unsigned i = 0; i < get16(wire + 6); i++) {
		size_t ttl_at = ttl_offsets[i], owner_len;
		uint16_t type = get16(wire + ttl_at - 4);

		owner_len = wire_name_key(wire, len, off, owner);
		off = ttl_at + 6 + get16(wire + ttl_at + 4);
		if (owner_len == 0 || type == WIRE_TYPE_RRSIG)
			continue;
		ref_set_add(set, owner, owner_len, type,
		    get16(wire + ttl_at - 2), false);
		if (owner_len != target_len ||
		    memcmp(owner, target, owner_len) != 0)
			continue;
		if (type == WIRE_TYPE_CNAME && qtype != WIRE_TYPE_CNAME) {
			/* The chain goes on at the CNAME's target. */
			size_t next = wire_name_key(wire, len, ttl_at + 6,
			    target);

			if (next == 0)
				return;
			target_len = next;
		} else
			answered = true;
	}
	if ((wire[3] & 0x0f) == WIRE_RCODE_NXDOMAIN)
		ref_set_add(set, target, target_len, 0, qclass, true);
	else if ((wire[3] & 0x0f) == WIRE_RCODE_NOERROR && !answered)
		ref_set_add(set, target, target_len, qtype, qclass, true);
}

struct answer_cache *
answer_cache_new(size_t max_bytes)
{
	struct answer_cache *cache;
	bool complete = true;

	/* Aligned so that each shard's lock has its own cache line. */
	if (posix_memalign((void **)&cache, 64, sizeof(*cache)) != 0)
		return NULL;
	memset(cache, 0, sizeof(*cache));
	cache->seed = arc4random();
	for (size_t i = 0; i < ANSWER_SHARDS; i++) {
		cache->shards[i].table = lru_new(max_bytes / ANSWER_SHARDS, free);
		shard_lock_init(&cache->shards[i].lock, (unsigned)i + 1);
		complete = complete && cache->shards[i].table != NULL;
	}
	if (!complete) {
		answer_cache_free(cache);
		return NULL;
	}
	return cache;
}

void
answer_cache_follow(struct answer_cache *cache, struct rrset_cache *rrsets)
{
	/* Set up before any worker runs: no lock to take. */
	cache->rrsets = rrsets;
}

void
answer_cache_free(struct answer_cache *cache)
{
	if (cache == NULL)
		return;
	for (size_t i = 0; i < ANSWER_SHARDS; i++) {
		lru_free(cache->shards[i].table);
		shard_lock_destroy(&cache->shards[i].lock);
	}
	free(cache);
}

void
answer_cache_set_max(struct answer_cache *cache, size_t max_bytes)
{
	lru_shards_set_max(&cache->readers, cache->shards, ANSWER_SHARDS,
	    max_bytes);
}

bool
answer_cache_store(struct answer_cache *cache, const uint8_t *key,
    size_t keylen, const uint8_t *wire, size_t len, uint32_t ttl,
    enum sec_status status, time_t now)
{
	struct answer_entry *entry;
	uint16_t offsets[ANSWER_RRS_MAX];
	struct owner_set owners = { .rrsets = cache->rrsets };
	struct ref_set refs = { .rrsets = cache->rrsets };
	struct lru_shard *shard;
	size_t size;
	uint32_t hash;
	int n;

	if (keylen == 0 || ttl == 0 || len > UINT16_MAX)
		return false;
	if ((n = wire_ttl_offsets(wire, len, offsets, ANSWER_RRS_MAX)) < 0)
		return false;
	if (owners.rrsets != NULL && !wire_each_owner(wire, len, offsets,
	    (unsigned)n, owner_set_add, &owners))
		return false;
	if (refs.rrsets != NULL)
		wire_refs(wire, len, offsets, &refs);
	size = entry_arrays_at(len) +
	    ((unsigned)(n + 1) & ~1u) * sizeof(uint16_t) +
	    (size_t)n * sizeof(uint32_t) +
	    (owners.count * 2 + refs.count) * sizeof(uint32_t);
	hash = hash_seeded(cache->seed, key, keylen);
	/* The entry shares the table entry's allocation: one block per hit. */
	if ((entry = lru_value_new(hash, key, keylen, size)) == NULL)
		return false;
	entry->rr_count = (uint16_t)n;
	entry->owner_count = (uint8_t)owners.count;
	entry->ref_count = (uint8_t)refs.count;
	entry->len = (uint16_t)len;
	memcpy(entry_offsets(entry), offsets, (size_t)n * sizeof(uint16_t));
	for (int i = 0; i < n; i++)
		entry_ttls(entry)[i] = get32(wire + offsets[i]);
	entry->stored = now;
	entry->ttl = ttl;
	entry->prefetch_started = false;
	entry->touched = (uint32_t)now;	/* the RRsets were just stored */
	entry->status = (uint8_t)status;
	memcpy(entry->wire, wire, len);
	memcpy(entry_refs(entry), refs.refs, refs.count * sizeof(uint32_t));
	/* Epochs read before the entry is visible: a change after this misses. */
	for (unsigned i = 0; i < owners.count; i++) {
		entry_owners(entry)[2 * i] = owners.slots[i];
		entry_owners(entry)[2 * i + 1] =
		    rrset_cache_owner_epoch(owners.rrsets, owners.slots[i]);
	}
	shard = answer_shard(cache, hash);
	shard_write_lock(&cache->readers, &shard->lock);
	lru_insert_value(shard->table, entry, keylen);
	shard_write_unlock(&shard->lock);
	return true;
}

/* Whether every RRset the answer was built from is as it was. */
static inline bool
entry_current(const struct answer_cache *cache, const struct answer_entry *e)
{
	const uint32_t *owners = entry_owners(e);

	for (unsigned i = 0; i < e->owner_count; i++)
		if (rrset_cache_owner_epoch(cache->rrsets, owners[2 * i]) !=
		    owners[2 * i + 1])
			return false;
	return true;
}

/*
 * Removes the entry for the key if it is still `stale_entry`: an answer
 * whose RRsets changed, found by a reader that may not remove it.
 */
static void
answer_remove_outdated(struct answer_cache *cache, struct lru_shard *shard,
    uint32_t hash, const uint8_t *key, size_t keylen,
    const struct answer_entry *stale_entry)
{
	shard_write_lock(&cache->readers, &shard->lock);
	if (lru_peek_hashed(shard->table, hash, key, keylen) == stale_entry)
		lru_remove_hashed(shard->table, hash, key, keylen);
	shard_write_unlock(&shard->lock);
}

uint32_t
answer_cache_hash(const struct answer_cache *cache, const uint8_t *key,
    size_t keylen)
{
	return hash_seeded(cache->seed, key, keylen);
}

/*
 * What the first step over a batch fetches of an entry: the table's entry
 * header and key, the answer's header and, for most answers, its message
 * and arrays. The second fetches the rest, knowing the length.
 */
#define ANSWER_PREFETCH_FIRST	256

void
answer_cache_prefetch_bucket(struct answer_cache *cache, uint32_t hash)
{
	lru_prefetch_bucket(answer_shard(cache, hash)->table, hash);
}

void
answer_cache_prefetch_entries(struct answer_cache *cache,
    const uint32_t *hashes, size_t n)
{
	const struct rrset_cache *rrsets = cache->rrsets;

	if (n == 0 || !shard_read_lock_all(&cache->readers))
		return;
	for (size_t i = 0; i < n; i++) {
		struct lru_shard *shard = answer_shard(cache, hashes[i]);

		if (shard_read_all_open(&shard->lock))
			lru_prefetch_head(shard->table, hashes[i],
			    ANSWER_PREFETCH_FIRST);
	}
	/* Step 1's lines have arrived by now; the rest, knowing the length. */
	for (size_t i = 0; i < n; i++) {
		struct lru_shard *shard = answer_shard(cache, hashes[i]);
		const struct answer_entry *e;
		const uint32_t *owners;
		const uint8_t *end;

		if (!shard_read_all_open(&shard->lock) ||
		    (e = lru_hash_value(shard->table, hashes[i])) == NULL)
			continue;
		owners = entry_owners(e);
		end = (const uint8_t *)(owners + 2 * e->owner_count);
		/* Lines step 1 brought already cost an instruction each. */
		for (const uint8_t *at = (const uint8_t *)e; at < end; at += 64)
			__builtin_prefetch(at);
		if (rrsets == NULL)
			continue;
		for (unsigned j = 0; j < e->owner_count; j++)
			rrset_cache_owner_epoch_prefetch(rrsets, owners[2 * j]);
	}
	shard_read_unlock_all(&cache->readers);
}

enum answer_freshness
answer_cache_copy(struct answer_cache *cache, const uint8_t *key,
    size_t keylen, time_t now, bool allow_stale, uint8_t *out, size_t cap,
    size_t *len, bool *prefetch, enum sec_status *status)
{
	return answer_cache_copy_hashed(cache, answer_cache_hash(cache, key,
	    keylen), key, keylen, now, allow_stale, out, cap, len, prefetch,
	    status);
}

enum answer_freshness
answer_cache_copy_hashed(struct answer_cache *cache, uint32_t hash,
    const uint8_t *key, size_t keylen, time_t now, bool allow_stale,
    uint8_t *out, size_t cap, size_t *len, bool *prefetch,
    enum sec_status *status)
{
	enum answer_freshness freshness = ANSWER_MISS;
	struct lru_shard *shard = answer_shard(cache, hash);
	struct answer_entry *entry;
	time_t expires;
	uint32_t age, refs[ANSWER_REFS_MAX], stamp = (uint32_t)now;
	const uint32_t *ttls;
	const uint16_t *offsets;
	unsigned ref_count = 0;
	bool token = shard_read_lock_inline(&cache->readers, &shard->lock);

	entry = lru_peek_hashed(shard->table, hash, key, keylen);
	if (entry == NULL || entry->len > cap)
		goto out;
	if (!entry_current(cache, entry)) {
		shard_read_unlock_inline(&cache->readers, &shard->lock, token);
		/* Compared, never dereferenced, once the lock is let go (a
		 * new entry at the same address costs one needless miss). */
		answer_remove_outdated(cache, shard, hash, key, keylen, entry);
		return ANSWER_MISS;
	}
	expires = entry_expires(entry);
	if (now < expires)
		freshness = ANSWER_FRESH;
	else if (allow_stale && now - expires < LIMIT_STALE_MAX_AGE)
		freshness = ANSWER_STALE;
	else
		goto out;
	memcpy(out, entry->wire, entry->len);
	*len = entry->len;
	if (status != NULL)
		*status = (enum sec_status)entry->status;
	age = now > entry->stored ? (uint32_t)(now - entry->stored) : 0;
	offsets = entry_offsets(entry);
	ttls = entry_ttls(entry);
	for (unsigned i = 0; i < entry->rr_count; i++) {
		uint32_t ttl = ttls[i];

		ttl = freshness == ANSWER_STALE ? LIMIT_STALE_ANSWER_TTL :
		    ttl > age ? ttl - age : 0;
		put32(out + offsets[i], ttl);
	}
	if (prefetch != NULL) {
		/* Several readers may see the last tenth: one of them wins. */
		*prefetch = freshness == ANSWER_FRESH && entry->ttl >= 10 &&
		    (uint64_t)(expires - now) * 10 < entry->ttl &&
		    !__atomic_load_n(&entry->prefetch_started,
		    __ATOMIC_RELAXED) &&
		    !__atomic_exchange_n(&entry->prefetch_started, true,
		    __ATOMIC_RELAXED);
	}
	/*
	 * Once a second is enough for the RRsets to outlive churn (an
	 * RRset cache that turns over its whole content within a second
	 * is no cache), and keeps the hit at one shared store a second:
	 * several readers of the same second may all touch, harmlessly.
	 */
	if (freshness == ANSWER_FRESH && entry->ref_count > 0 &&
	    __atomic_load_n(&entry->touched, __ATOMIC_RELAXED) != stamp) {
		__atomic_store_n(&entry->touched, stamp, __ATOMIC_RELAXED);
		ref_count = entry->ref_count;
		memcpy(refs, entry_refs(entry), ref_count * sizeof(uint32_t));
	}
out:
	shard_read_unlock_inline(&cache->readers, &shard->lock, token);
	/* After the answer's lock: no two shard locks held at once. */
	for (unsigned i = 0; i < ref_count; i++)
		rrset_cache_touch(cache->rrsets, refs[i]);
	return freshness;
}

struct flush_match {
	const uint8_t *name;
	size_t name_len;
	bool subtree;
};

/* Returns false (stops the walk) at an owner the flush covers. */
static bool
owner_not_flushed(void *arg, const uint8_t *key, size_t keylen)
{
	const struct flush_match *m = arg;

	return !dname_key_covers(key, keylen, m->name, m->name_len,
	    m->subtree);
}

/*
 * The question's name is the key minus its 5-byte type/class/flags
 * suffix; the owners of the records (a CNAME chain's names, its target,
 * a negative answer's zone) are read from the message.
 */
static bool
answer_flush_visit(void *arg, const uint8_t *key, size_t keylen, void *value)
{
	const struct flush_match *m = arg;
	const struct answer_entry *entry = value;

	if (m->name == NULL || dname_key_covers(key, keylen - 5, m->name,
	    m->name_len, m->subtree))
		return true;
	return !wire_each_owner(entry->wire, entry->len, entry_offsets(entry),
	    entry->rr_count, owner_not_flushed, (void *)(uintptr_t)m);
}

/* Calls lru_walk on every shard, each under its lock. */
static size_t
answer_walk(struct answer_cache *cache,
    bool (*visit)(void *, const uint8_t *, size_t, void *), void *arg)
{
	return lru_shards_walk(&cache->readers, cache->shards, ANSWER_SHARDS,
	    visit, arg);
}

size_t
answer_cache_flush(struct answer_cache *cache, const uint8_t *name_key,
    size_t name_len, bool subtree)
{
	struct flush_match m = { name_key, name_len, subtree };

	return answer_walk(cache, answer_flush_visit, &m);
}

void
answer_cache_flush_all(struct answer_cache *cache)
{
	answer_cache_flush(cache, NULL, 0, false);
}

struct dump_ctx {
	FILE *out;
	time_t now;
};

static bool
answer_dump_visit(void *arg, const uint8_t *key, size_t keylen, void *value)
{
	const struct dump_ctx *ctx = arg;
	const struct answer_entry *entry = value;
	char name[1024];
	size_t o = 0, i = 0;

	(void)keylen;
	if (entry_expires(entry) <= ctx->now)
		return false;
	while (key[i] != 0 && o + 70 < sizeof(name)) {
		for (size_t j = 1; j <= key[i]; j++) {
			uint8_t c = key[i + j];

			o += (size_t)snprintf(name + o, sizeof(name) - o,
			    isgraph(c) && c != '.' && c != '\\' ? "%c" : "\\%03u",
			    c);
		}
		name[o++] = '.';
		i += (size_t)key[i] + 1;
	}
	if (o == 0)
		name[o++] = '.';
	name[o] = '\0';
	fprintf(ctx->out, "answer %s type=%u ttl=%lld rcode=%u size=%u\n", name,
	    get16(key + i + 1), (long long)(entry_expires(entry) - ctx->now),
	    entry->wire[3] & 0x0f, entry->len);
	return false;
}

void
answer_cache_dump(struct answer_cache *cache, FILE *out, time_t now)
{
	struct dump_ctx ctx = { out, now };

	answer_walk(cache, answer_dump_visit, &ctx);
}

size_t
answer_cache_bytes(struct answer_cache *cache)
{
	return lru_shards_bytes(&cache->readers, cache->shards, ANSWER_SHARDS);
}

size_t
answer_cache_count(struct answer_cache *cache)
{
	return lru_shards_count(&cache->readers, cache->shards, ANSWER_SHARDS);
}
