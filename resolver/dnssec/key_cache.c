/*
 * key_cache.c: zone name -> key state for the validator, in the LRU table
 * every cache uses, behind one lock.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "dnssec/key_cache.h"
#include "lru.h"

struct key_cache {
	pthread_mutex_t lock;
	struct lru *table;
};

struct key_value {
	enum key_state state;
	ldns_rr_list *rrs;
	int ede;
	const char *why;
	time_t expire;
};

const char *
key_state_name(enum key_state state)
{
	switch (state) {
	case KEY_GOOD:		return "secure";
	case KEY_DS:		return "ds";
	case KEY_INSECURE:	return "insecure";
	case KEY_NOT_CUT:	return "not-a-cut";
	case KEY_BAD:		return "bogus";
	}
	return "?";
}

static void
key_value_free(void *p)
{
	struct key_value *v = p;

	ldns_rr_list_deep_free(v->rrs);
	free(v);
}

struct key_cache *
key_cache_new(size_t max_bytes)
{
	struct key_cache *cache = calloc(1, sizeof(*cache));

	if (cache == NULL)
		return NULL;
	if ((cache->table = lru_new(max_bytes, key_value_free)) == NULL) {
		free(cache);
		return NULL;
	}
	pthread_mutex_init(&cache->lock, NULL);
	return cache;
}

void
key_cache_free(struct key_cache *cache)
{
	if (cache == NULL)
		return;
	lru_free(cache->table);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

/* What an RR list costs on the heap, roughly (records, rdfs, data). */
static size_t
rrs_cost(const ldns_rr_list *rrs)
{
	size_t cost = 0;

	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++)
		cost += malloc_cost(sizeof(ldns_rr)) +
		    malloc_cost(ldns_rr_uncompressed_size(ldns_rr_list_rr(rrs,
		    i))) + 4 * malloc_cost(sizeof(ldns_rdf));
	return cost;
}

/* Whether the unexpired entry `v` says what key_cache_store_insecure
 * must not replace: the zone's keys or DS, or its insecurity already. */
static bool
known_at_cut(const struct key_value *v, time_t now)
{
	return v != NULL && v->expire > now && (v->state == KEY_GOOD ||
	    v->state == KEY_DS || v->state == KEY_INSECURE);
}

static bool
store(struct key_cache *cache, const ldns_rdf *zone, enum key_state state,
    const ldns_rr_list *rrs, uint32_t ttl, int ede, const char *why,
    time_t now, bool keep_known)
{
	uint8_t key[DNAME_WIRE_MAX];
	size_t keylen = dname_key(zone, key);
	struct key_value *v = calloc(1, sizeof(*v));
	bool ok;

	if (v == NULL)
		return false;
	if (rrs != NULL && (v->rrs = ldns_rr_list_clone(rrs)) == NULL) {
		free(v);
		return false;
	}
	v->state = state;
	v->ede = ede;
	v->why = why;
	v->expire = now + (time_t)ttl;
	pthread_mutex_lock(&cache->lock);
	if (keep_known &&
	    known_at_cut(lru_lookup(cache->table, key, keylen), now)) {
		pthread_mutex_unlock(&cache->lock);
		key_value_free(v);
		return false;
	}
	ok = lru_insert(cache->table, key, keylen, v,
	    malloc_cost(sizeof(*v)) + rrs_cost(v->rrs));
	pthread_mutex_unlock(&cache->lock);
	return ok;
}

bool
key_cache_store(struct key_cache *cache, const ldns_rdf *zone,
    enum key_state state, const ldns_rr_list *rrs, uint32_t ttl, int ede,
    const char *why, time_t now)
{
	return store(cache, zone, state, rrs, ttl, ede, why, now, false);
}

bool
key_cache_store_insecure(struct key_cache *cache, const ldns_rdf *zone,
    uint32_t ttl, const char *why, time_t now)
{
	return store(cache, zone, KEY_INSECURE, NULL, ttl, -1, why, now, true);
}

bool
key_cache_lookup(struct key_cache *cache, const ldns_rdf *zone, time_t now,
    struct key_entry *entry)
{
	uint8_t key[DNAME_WIRE_MAX];
	size_t keylen = dname_key(zone, key);

	return key_cache_lookup_key(cache, key, keylen, now, entry);
}

bool
key_cache_lookup_key(struct key_cache *cache, const uint8_t *key,
    size_t keylen, time_t now, struct key_entry *entry)
{
	struct key_value *v;
	bool found = false;

	memset(entry, 0, sizeof(*entry));
	entry->ede = -1;
	pthread_mutex_lock(&cache->lock);
	v = lru_lookup(cache->table, key, keylen);
	if (v != NULL && v->expire > now) {
		found = true;
		entry->state = v->state;
		entry->ede = v->ede;
		entry->why = v->why;
		if (v->rrs != NULL &&
		    (entry->rrs = ldns_rr_list_clone(v->rrs)) == NULL)
			found = false;	/* out of memory: as if unknown */
	}
	pthread_mutex_unlock(&cache->lock);
	return found;
}

bool
key_cache_state(struct key_cache *cache, const uint8_t *key, size_t keylen,
    time_t now, enum key_state *state)
{
	struct key_value *v;
	bool found = false;

	pthread_mutex_lock(&cache->lock);
	v = lru_lookup(cache->table, key, keylen);
	if (v != NULL && v->expire > now) {
		found = true;
		*state = v->state;
	}
	pthread_mutex_unlock(&cache->lock);
	return found;
}

struct flush_arg {
	const uint8_t *name;
	size_t len;
	bool subtree;
};

static bool
flush_visit(void *arg, const uint8_t *key, size_t keylen, void *value)
{
	const struct flush_arg *a = arg;

	(void)value;
	return dname_key_covers(key, keylen, a->name, a->len, a->subtree);
}

size_t
key_cache_flush(struct key_cache *cache, const ldns_rdf *name, bool subtree)
{
	uint8_t key[DNAME_WIRE_MAX];
	struct flush_arg a = { key, dname_key(name, key), subtree };
	size_t n;

	pthread_mutex_lock(&cache->lock);
	n = lru_walk(cache->table, flush_visit, &a);
	pthread_mutex_unlock(&cache->lock);
	return n;
}

struct dump_arg {
	FILE *out;
	time_t now;
};

static bool
dump_visit(void *arg, const uint8_t *key, size_t keylen, void *value)
{
	const struct dump_arg *a = arg;
	const struct key_value *v = value;
	ldns_rdf *name;
	char buf[DNAME_WIRE_MAX * 4 + 2];

	if (v->expire <= a->now)
		return false;
	name = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, keylen, key);
	fprintf(a->out, "key %s %s ttl=%lld%s%s\n",
	    name != NULL ? dname_str(name, buf, sizeof(buf)) : "?",
	    key_state_name(v->state), (long long)(v->expire - a->now),
	    v->why != NULL ? " why=" : "", v->why != NULL ? v->why : "");
	ldns_rdf_deep_free(name);
	return false;
}

void
key_cache_dump(struct key_cache *cache, FILE *out, time_t now)
{
	struct dump_arg a = { out, now };

	pthread_mutex_lock(&cache->lock);
	lru_walk(cache->table, dump_visit, &a);
	pthread_mutex_unlock(&cache->lock);
}

size_t
key_cache_count(struct key_cache *cache)
{
	size_t n;

	pthread_mutex_lock(&cache->lock);
	n = lru_count(cache->table);
	pthread_mutex_unlock(&cache->lock);
	return n;
}

size_t
key_cache_bytes(struct key_cache *cache)
{
	size_t n;

	pthread_mutex_lock(&cache->lock);
	n = lru_bytes(cache->table);
	pthread_mutex_unlock(&cache->lock);
	return n;
}

void
key_cache_set_max(struct key_cache *cache, size_t max_bytes)
{
	pthread_mutex_lock(&cache->lock);
	lru_set_max(cache->table, max_bytes);
	pthread_mutex_unlock(&cache->lock);
}
