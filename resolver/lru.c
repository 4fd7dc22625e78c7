/*
 * lru.c: chained hash table plus a doubly linked recency list. The hash is
 * keyed with a per-table random seed so that names chosen by an attacker
 * cannot pile into one bucket. Lookups that may not write (lru_peek and
 * lru_touch, under a shared lock) set a referenced bit instead of moving
 * the entry, and eviction gives such entries a second chance (CLOCK).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lru.h"

struct lru_entry {
	struct lru_entry *bucket_next;
	struct lru_entry *newer, *older;
	void *value;
	size_t size;
	uint32_t hash;
	uint16_t keylen;
	uint8_t referenced;		/* atomic: peeked since last evicting */
	bool value_inline;		/* the value follows the key: one block */
	uint8_t key[];
};

/* Where an inline value starts: after the key, aligned for any type. */
static size_t
inline_value_at(size_t keylen)
{
	return (offsetof(struct lru_entry, key) + keylen + 15u) & ~(size_t)15u;
}

/*
 * Aligned to a cache line of its own: a sharded cache's tables are made
 * one after the other, and every hit writes `newest`; two threads working
 * on two shards must not share the line.
 */
struct lru {
	struct lru_entry **buckets;
	size_t bucket_count;		/* a power of two */
	struct lru_entry *newest, *oldest;
	size_t count, bytes, max_bytes;
	uint32_t seed;
	lru_free_fn free_value;
} __attribute__((aligned(64)));

/* The folded 128-bit product (wyhash's mixing step). */
static inline uint64_t
hash_mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/*
 * Eight bytes a step (a name of 20 bytes takes three multiplications
 * where a byte a step took twenty): this hash is on every cache hit.
 */
uint32_t
hash_seeded(uint32_t seed, const uint8_t *data, size_t len)
{
	const uint64_t k1 = 0xa0761d6478bd642full, k2 = 0xe7037ed1a0b428dbull;
	uint64_t h = hash_mix(seed ^ k1, len ^ k2), w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, data + i, 8);
		h = hash_mix(h ^ w, k2);
	}
	/*
	 * The tail in one or two loads, not a byte a step (a name and a
	 * key's suffix end in 1 to 7 loose bytes: a loop over them was
	 * half this function's instructions). Overlapping bytes already
	 * mixed in is fine: for one length, the words still tell every
	 * two inputs apart, and the length is mixed in first.
	 */
	if (i < len) {
		if (len >= 8)
			memcpy(&w, data + len - 8, 8);
		else if (len >= 4) {
			uint32_t a, b;

			memcpy(&a, data, 4);
			memcpy(&b, data + len - 4, 4);
			w = (uint64_t)a << 32 | b;
		} else
			w = (uint64_t)data[0] << 16 | (uint64_t)data[len / 2] << 8 |
			    data[len - 1];
		h = hash_mix(h ^ w, k2);
	}
	h = hash_mix(h ^ k1, k2);
	return (uint32_t)(h ^ h >> 32);
}

static uint32_t
lru_hash(const struct lru *lru, const uint8_t *key, size_t keylen)
{
	return hash_seeded(lru->seed, key, keylen);
}

struct lru *
lru_new(size_t max_bytes, lru_free_fn free_value)
{
	struct lru *lru;

	if (posix_memalign((void **)&lru, 64, sizeof(*lru)) != 0)
		return NULL;
	memset(lru, 0, sizeof(*lru));
	lru->bucket_count = 1024;
	lru->buckets = calloc(lru->bucket_count, sizeof(*lru->buckets));
	if (lru->buckets == NULL) {
		free(lru);
		return NULL;
	}
	lru->max_bytes = max_bytes;
	lru->free_value = free_value;
	lru->seed = arc4random();
	return lru;
}

static void
lru_unlink_recency(struct lru *lru, struct lru_entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		lru->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		lru->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
lru_link_newest(struct lru *lru, struct lru_entry *e)
{
	e->older = lru->newest;
	e->newer = NULL;
	if (lru->newest != NULL)
		lru->newest->newer = e;
	lru->newest = e;
	if (lru->oldest == NULL)
		lru->oldest = e;
}

/*
 * Whether two keys of `len` bytes are equal, eight bytes a step: keys
 * whose hashes matched are nearly always equal, and libc's memcmp cost
 * more in its call than in comparing a name.
 */
static inline bool
key_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint64_t x, y, diff = 0;

	if (len < 8)
		return memcmp(a, b, len) == 0;
	for (size_t i = 0; i + 8 < len; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	/* The last eight bytes, overlapping some compared already. */
	memcpy(&x, a + len - 8, 8);
	memcpy(&y, b + len - 8, 8);
	return (diff | (x ^ y)) == 0;
}

static struct lru_entry **
lru_find_slot(const struct lru *lru, uint32_t hash, const uint8_t *key,
    size_t keylen)
{
	struct lru_entry **slot = &lru->buckets[hash & (lru->bucket_count - 1)];

	for (; *slot != NULL; slot = &(*slot)->bucket_next) {
		struct lru_entry *e = *slot;

		if (e->hash == hash && e->keylen == keylen &&
		    key_equal(e->key, key, keylen))
			return slot;
	}
	return slot;
}

static void
lru_delete(struct lru *lru, struct lru_entry **slot)
{
	struct lru_entry *e = *slot;

	*slot = e->bucket_next;
	lru_unlink_recency(lru, e);
	lru->count--;
	lru->bytes -= e->size;
	if (lru->free_value != NULL && !e->value_inline)
		lru->free_value(e->value);
	free(e);
}

void
lru_free(struct lru *lru)
{
	if (lru == NULL)
		return;
	while (lru->oldest != NULL) {
		struct lru_entry *e = lru->oldest;

		lru_delete(lru, lru_find_slot(lru, e->hash, e->key, e->keylen));
	}
	free(lru->buckets);
	free(lru);
}

void *
lru_lookup(struct lru *lru, const uint8_t *key, size_t keylen)
{
	return lru_lookup_hashed(lru, lru_hash(lru, key, keylen), key, keylen);
}

void *
lru_lookup_hashed(struct lru *lru, uint32_t hash, const uint8_t *key,
    size_t keylen)
{
	struct lru_entry *e = *lru_find_slot(lru, hash, key, keylen);

	if (e == NULL)
		return NULL;
	if (lru->newest != e) {
		lru_unlink_recency(lru, e);
		lru_link_newest(lru, e);
	}
	return e->value;
}

void *
lru_peek_hashed(const struct lru *lru, uint32_t hash, const uint8_t *key,
    size_t keylen)
{
	struct lru_entry *e = lru->buckets[hash & (lru->bucket_count - 1)];

	/* lru_find_slot's walk without its slot pointer: every hit is here. */
	while (e != NULL && (e->hash != hash || e->keylen != keylen ||
	    !key_equal(e->key, key, keylen)))
		e = e->bucket_next;
	if (e == NULL)
		return NULL;
	/* Read first: a line that needs no store is not taken from the other cores. */
	if (__atomic_load_n(&e->referenced, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&e->referenced, 1, __ATOMIC_RELAXED);
	return e->value;
}

void
lru_touch_hashed(const struct lru *lru, uint32_t hash)
{
	const struct lru_entry *e = lru->buckets[hash & (lru->bucket_count - 1)];

	for (; e != NULL; e = e->bucket_next)
		if (e->hash == hash && __atomic_load_n(&e->referenced,
		    __ATOMIC_RELAXED) == 0)
			__atomic_store_n((uint8_t *)(uintptr_t)&e->referenced, 1,
			    __ATOMIC_RELAXED);
}

void
lru_prefetch_bucket(const struct lru *lru, uint32_t hash)
{
	/* The count first: an array at least that long comes with it. */
	size_t count = __atomic_load_n(&lru->bucket_count, __ATOMIC_ACQUIRE);
	struct lru_entry **buckets = __atomic_load_n(&lru->buckets,
	    __ATOMIC_RELAXED);

	__builtin_prefetch(&buckets[hash & (count - 1)]);
}

void
lru_prefetch_head(const struct lru *lru, uint32_t hash, size_t bytes)
{
	const uint8_t *e = (const uint8_t *)
	    lru->buckets[hash & (lru->bucket_count - 1)];

	/* Its hash is not compared: that would wait for the entry. */
	if (e == NULL)
		return;
	for (size_t at = 0; at < bytes; at += 64)
		__builtin_prefetch(e + at);
}

void *
lru_hash_value(const struct lru *lru, uint32_t hash)
{
	const struct lru_entry *e =
	    lru->buckets[hash & (lru->bucket_count - 1)];

	for (; e != NULL; e = e->bucket_next)
		if (e->hash == hash)
			return e->value;
	return NULL;
}

/* Doubles the bucket array; on allocation failure the table just stays denser. */
static void
lru_grow(struct lru *lru)
{
	size_t count = lru->bucket_count * 2;
	struct lru_entry **buckets = calloc(count, sizeof(*buckets));

	if (buckets == NULL)
		return;
	for (size_t i = 0; i < lru->bucket_count; i++) {
		struct lru_entry *e = lru->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->bucket_next;
			e->bucket_next = buckets[e->hash & (count - 1)];
			buckets[e->hash & (count - 1)] = e;
		}
	}
	free(lru->buckets);
	/*
	 * Atomic for lru_prefetch_bucket, which reads them without the
	 * lock: the array first, so that a reader that sees the new count
	 * sees the new array too (the old count indexes either array).
	 */
	__atomic_store_n(&lru->buckets, buckets, __ATOMIC_RELAXED);
	__atomic_store_n(&lru->bucket_count, count, __ATOMIC_RELEASE);
}

/*
 * From the cold end: an entry peeked at since it got there goes back to
 * the hot end with its bit cleared (a second chance); the first one that
 * was not is evicted. Each step clears a bit or evicts, so this ends.
 */
static void
lru_evict(struct lru *lru)
{
	while (lru_bytes(lru) > lru->max_bytes && lru->oldest != NULL) {
		struct lru_entry *e = lru->oldest;

		if (__atomic_load_n(&e->referenced, __ATOMIC_RELAXED) != 0) {
			__atomic_store_n(&e->referenced, 0, __ATOMIC_RELAXED);
			if (lru->newest != e) {
				lru_unlink_recency(lru, e);
				lru_link_newest(lru, e);
			}
			continue;
		}
		lru_delete(lru, lru_find_slot(lru, e->hash, e->key, e->keylen));
	}
}

/* Puts a new entry in its bucket and at the hot end, then keeps the bound. */
static void
lru_link(struct lru *lru, struct lru_entry *e)
{
	struct lru_entry **slot = lru_find_slot(lru, e->hash, e->key,
	    e->keylen);

	e->bucket_next = NULL;
	*slot = e;
	lru_link_newest(lru, e);
	lru->count++;
	lru->bytes += e->size;
	lru_evict(lru);
	if (lru->count > lru->bucket_count)
		lru_grow(lru);
}

bool
lru_insert(struct lru *lru, const uint8_t *key, size_t keylen, void *value,
    size_t size)
{
	return lru_insert_hashed(lru, lru_hash(lru, key, keylen), key, keylen,
	    value, size);
}

bool
lru_insert_hashed(struct lru *lru, uint32_t hash, const uint8_t *key,
    size_t keylen, void *value, size_t size)
{
	struct lru_entry **slot = lru_find_slot(lru, hash, key, keylen);
	struct lru_entry *e;

	if (*slot != NULL)
		lru_delete(lru, slot);
	if (keylen > UINT16_MAX ||
	    (e = malloc(sizeof(*e) + keylen)) == NULL) {
		if (lru->free_value != NULL)
			lru->free_value(value);
		return false;
	}
	e->hash = hash;
	e->keylen = (uint16_t)keylen;
	e->referenced = 0;
	e->value_inline = false;
	memcpy(e->key, key, keylen);
	e->value = value;
	e->size = size + malloc_cost(sizeof(*e) + keylen);
	lru_link(lru, e);
	return true;
}

void *
lru_value_new(uint32_t hash, const uint8_t *key, size_t keylen,
    size_t value_size)
{
	struct lru_entry *e;

	if (keylen > UINT16_MAX ||
	    (e = malloc(inline_value_at(keylen) + value_size)) == NULL)
		return NULL;
	e->hash = hash;
	e->keylen = (uint16_t)keylen;
	e->referenced = 0;
	e->value_inline = true;
	memcpy(e->key, key, keylen);
	e->value = (uint8_t *)e + inline_value_at(keylen);
	e->size = malloc_cost(inline_value_at(keylen) + value_size);
	return e->value;
}

/* The entry an inline value belongs to, from its key's length. */
static struct lru_entry *
inline_entry(void *value, size_t keylen)
{
	return (struct lru_entry *)(void *)((uint8_t *)value -
	    inline_value_at(keylen));
}

void
lru_value_discard(void *value, size_t keylen)
{
	if (value != NULL)
		free(inline_entry(value, keylen));
}

void
lru_insert_value(struct lru *lru, void *value, size_t keylen)
{
	struct lru_entry *e = inline_entry(value, keylen);
	struct lru_entry **slot = lru_find_slot(lru, e->hash, e->key,
	    e->keylen);

	if (*slot != NULL)
		lru_delete(lru, slot);
	lru_link(lru, e);
}

bool
lru_remove(struct lru *lru, const uint8_t *key, size_t keylen)
{
	return lru_remove_hashed(lru, lru_hash(lru, key, keylen), key, keylen);
}

bool
lru_remove_hashed(struct lru *lru, uint32_t hash, const uint8_t *key,
    size_t keylen)
{
	struct lru_entry **slot = lru_find_slot(lru, hash, key, keylen);

	if (*slot == NULL)
		return false;
	lru_delete(lru, slot);
	return true;
}

size_t
lru_walk(struct lru *lru,
    bool (*visit)(void *arg, const uint8_t *key, size_t keylen, void *value),
    void *arg)
{
	size_t removed = 0;
	struct lru_entry *e = lru->newest, *older;

	for (; e != NULL; e = older) {
		older = e->older;
		if (visit(arg, e->key, e->keylen, e->value)) {
			lru_delete(lru, lru_find_slot(lru, e->hash, e->key,
			    e->keylen));
			removed++;
		}
	}
	return removed;
}

size_t
lru_bytes(const struct lru *lru)
{
	return lru->bytes +
	    malloc_cost(lru->bucket_count * sizeof(*lru->buckets));
}

size_t
lru_count(const struct lru *lru)
{
	return lru->count;
}

void
lru_set_max(struct lru *lru, size_t max_bytes)
{
	lru->max_bytes = max_bytes;
	lru_evict(lru);
}
