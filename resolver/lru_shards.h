/*
 * lru_shards.h: a cache's table split in shards, each an LRU table under
 * its own shard_lock (the answer and RRset caches), and what is done to
 * every shard in turn: walks, sizes, counts, the bound.
 */
#ifndef DESCEND_LRU_SHARDS_H
#define DESCEND_LRU_SHARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lru.h"
#include "shard_lock.h"

/* One shard: a cache line of its own, so two shards' locks never share. */
struct lru_shard {
	struct shard_lock lock;
	struct lru *table;
} __attribute__((aligned(64)));

/* lru_walk on each of the `n` shards under its write lock; the sum. */
size_t lru_shards_walk(struct shard_readers *readers, struct lru_shard *shards,
    size_t n,
    bool (*visit)(void *arg, const uint8_t *key, size_t keylen, void *value),
    void *arg);

/* Bytes and entries of all shards, each read under its read lock. */
size_t lru_shards_bytes(struct shard_readers *readers,
    struct lru_shard *shards, size_t n);
size_t lru_shards_count(struct shard_readers *readers,
    struct lru_shard *shards, size_t n);

/* Each shard gets an n-th of `max_bytes`. */
void lru_shards_set_max(struct shard_readers *readers,
    struct lru_shard *shards, size_t n, size_t max_bytes);

#endif /* DESCEND_LRU_SHARDS_H */
