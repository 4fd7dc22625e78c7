/*
 * client_table.c: in-flight query counts per client address. An address
 * has an entry only while it has queries in flight, so the table is as
 * large as the worker's request list at most. Hashing is seeded
 * (hash_seeded): clients choose their addresses, not their bucket.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client_table.h"
#include "lru.h"

#define BUCKETS	1024

struct client_entry {
	struct client_entry *next;
	uint8_t addr[16];		/* IPv6, or IPv4 in its first 4 bytes */
	unsigned count;
};

struct client_table {
	struct client_entry *buckets[BUCKETS];
	uint32_t seed;
};

struct client_table *
client_table_new(void)
{
	struct client_table *table = calloc(1, sizeof(*table));

	if (table != NULL)
		table->seed = arc4random();
	return table;
}

void
client_table_free(struct client_table *table)
{
	if (table == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct client_entry *e, *next;

		for (e = table->buckets[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(table);
}

static void
address_key(const struct sockaddr *addr, uint8_t key[16])
{
	memset(key, 0, 16);
	if (addr->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
	else
		memcpy(key, &((const struct sockaddr_in *)addr)->sin_addr, 4);
}

static struct client_entry **
client_slot(struct client_table *table, const uint8_t key[16])
{
	struct client_entry **slot =
	    &table->buckets[hash_seeded(table->seed, key, 16) % BUCKETS];

	while (*slot != NULL && memcmp((*slot)->addr, key, 16) != 0)
		slot = &(*slot)->next;
	return slot;
}

bool
client_table_acquire(struct client_table *table, const struct sockaddr *addr,
    unsigned max)
{
	uint8_t key[16];
	struct client_entry **slot, *e;

	address_key(addr, key);
	slot = client_slot(table, key);
	if ((e = *slot) == NULL) {
		/* Out of memory: admit the query rather than lose it. */
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return true;
		memcpy(e->addr, key, 16);
		*slot = e;
	}
	if (e->count >= max)
		return false;
	e->count++;
	return true;
}

void
client_table_release(struct client_table *table, const struct sockaddr *addr)
{
	uint8_t key[16];
	struct client_entry **slot, *e;

	address_key(addr, key);
	slot = client_slot(table, key);
	if ((e = *slot) == NULL)
		return;		/* admitted when no entry could be made */
	if (e->count > 0)
		e->count--;
	if (e->count == 0) {
		*slot = e->next;
		free(e);
	}
}
