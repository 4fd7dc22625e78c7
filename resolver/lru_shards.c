/*
 * lru_shards.c: the operations that visit every shard of a sharded cache,
 * one shard locked at a time (never two: a lookup may wait on one).
 */
#include "lru_shards.h"

size_t
lru_shards_walk(struct shard_readers *readers, struct lru_shard *shards,
    size_t n,
    bool (*visit)(void *arg, const uint8_t *key, size_t keylen, void *value),
    void *arg)
{
	size_t removed = 0;

	for (size_t i = 0; i < n; i++) {
		shard_write_lock(readers, &shards[i].lock);
		removed += lru_walk(shards[i].table, visit, arg);
		shard_write_unlock(&shards[i].lock);
	}
	return removed;
}

/* The sum of `get` over the shards' tables, each under its read lock. */
static size_t
sum(struct shard_readers *readers, struct lru_shard *shards, size_t n,
    size_t (*get)(const struct lru *))
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		bool token = shard_read_lock(readers, &shards[i].lock);

		total += get(shards[i].table);
		shard_read_unlock(readers, &shards[i].lock, token);
	}
	return total;
}

size_t
lru_shards_bytes(struct shard_readers *readers, struct lru_shard *shards,
    size_t n)
{
	return sum(readers, shards, n, lru_bytes);
}

size_t
lru_shards_count(struct shard_readers *readers, struct lru_shard *shards,
    size_t n)
{
	return sum(readers, shards, n, lru_count);
}

void
lru_shards_set_max(struct shard_readers *readers, struct lru_shard *shards,
    size_t n, size_t max_bytes)
{
	for (size_t i = 0; i < n; i++) {
		shard_write_lock(readers, &shards[i].lock);
		lru_set_max(shards[i].table, max_bytes / n);
		shard_write_unlock(&shards[i].lock);
	}
}
