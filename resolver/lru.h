/*
 * lru.h: the bounded hash table with least-recently-used eviction that
 * every cache uses. Entries are accounted in bytes; inserting past the
 * bound evicts from the cold end. Not thread-safe: each cache wraps its
 * table in its own lock.
 */
#ifndef DESCEND_LRU_H
#define DESCEND_LRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lru;

/*
 * What one malloc(n) takes from the heap, so that cache-size bounds memory
 * and not just payload: glibc adds an 8-byte header, rounds to 16 bytes
 * and hands out no chunk under 32.
 */
static inline size_t
malloc_cost(size_t n)
{
	size_t chunk = (n + 8 + 15) & ~(size_t)15;

	return chunk < 32 ? 32 : chunk;
}

/*
 * The hash every table of descend uses (wyhash-style multiply-fold over
 * eight-byte words), keyed with a random per-table seed so that keys
 * chosen by an attacker (names, client addresses) cannot pile into one
 * bucket.
 */
uint32_t hash_seeded(uint32_t seed, const uint8_t *data, size_t len);

/* Frees a value the table owns (on replace, eviction, removal, lru_free). */
typedef void (*lru_free_fn)(void *value);

/* A table holding at most `max_bytes` (entries and bucket array included). */
struct lru *lru_new(size_t max_bytes, lru_free_fn free_value);
void lru_free(struct lru *lru);

/* The value for the key, marked most recently used; NULL when absent. */
void *lru_lookup(struct lru *lru, const uint8_t *key, size_t keylen);

/*
 * Inserts or replaces; the table owns `value` from now on (also on failure,
 * when it is freed at once). `size` is what the value costs in bytes.
 * Returns false when memory ran out.
 */
bool lru_insert(struct lru *lru, const uint8_t *key, size_t keylen,
    void *value, size_t size);

/* Removes the key; returns whether it was there. */
bool lru_remove(struct lru *lru, const uint8_t *key, size_t keylen);

/*
 * The same with the key's hash computed by the caller (hash_seeded with a
 * seed of its own), for caches split in shards by the same hash: one
 * hash per operation picks the shard and the bucket. A table must be used
 * only through these, or only through the plain ones.
 */
void *lru_lookup_hashed(struct lru *lru, uint32_t hash, const uint8_t *key,
    size_t keylen);
/*
 * The value for the key without moving it, for readers that share the
 * table under a read lock: the only store is an atomic referenced bit,
 * and eviction passes over a referenced entry once (second chance, as in
 * CLOCK) instead of the reader moving it to the hot end. NULL when absent.
 */
void *lru_peek_hashed(const struct lru *lru, uint32_t hash,
    const uint8_t *key, size_t keylen);
/*
 * Marks referenced, as lru_peek_hashed does, every entry whose key has
 * `hash`, without its key: for a reader that kept only a hash (another
 * cache's answer naming the entries it was built from). Another key of
 * the same hash marked too only stays a pass longer.
 */
void lru_touch_hashed(const struct lru *lru, uint32_t hash);
bool lru_insert_hashed(struct lru *lru, uint32_t hash, const uint8_t *key,
    size_t keylen, void *value, size_t size);
/*
 * Starts bringing into the CPU cache what a lookup of `hash` will read,
 * so that a batch of lookups waits for memory once instead of once each:
 * lru_prefetch_bucket the hash's bucket (no lock needed: it reads only
 * the bucket array's address, which lru_grow stores atomically), then,
 * once that has arrived, lru_prefetch_head `bytes` of the entry the
 * bucket starts with (read from the bucket, not touched: under the
 * table's lock, shared or not). lru_hash_value walks the bucket for the
 * first entry with that hash, under the lock too, and returns its value
 * (NULL when none): a likely hit, to prefetch what the value points to.
 * None of them changes anything; a prefetch never faults.
 */
void lru_prefetch_bucket(const struct lru *lru, uint32_t hash);
void lru_prefetch_head(const struct lru *lru, uint32_t hash, size_t bytes);
void *lru_hash_value(const struct lru *lru, uint32_t hash);
/*
 * An entry whose value shares the entry's allocation (after the key), so
 * that a hit fetches one block instead of two. lru_value_new returns the
 * value's `value_size` bytes (16-aligned) for the caller to fill, or NULL
 * when memory ran out; lru_insert_value then inserts or replaces it (under
 * the table's lock), and from then on the table frees it (its free
 * function is not called for it). A value never inserted goes back with
 * lru_value_discard. `keylen` is the key's given to lru_value_new. The
 * entry's cost is its allocation's.
 */
void *lru_value_new(uint32_t hash, const uint8_t *key, size_t keylen,
    size_t value_size);
void lru_insert_value(struct lru *lru, void *value, size_t keylen);
void lru_value_discard(void *value, size_t keylen);
bool lru_remove_hashed(struct lru *lru, uint32_t hash, const uint8_t *key,
    size_t keylen);

/*
 * Calls `visit` for every entry, most recent first. When visit returns
 * true the entry is removed. Returns the number removed.
 */
size_t lru_walk(struct lru *lru,
    bool (*visit)(void *arg, const uint8_t *key, size_t keylen, void *value),
    void *arg);

size_t lru_bytes(const struct lru *lru);
size_t lru_count(const struct lru *lru);
void lru_set_max(struct lru *lru, size_t max_bytes);

#endif /* DESCEND_LRU_H */
