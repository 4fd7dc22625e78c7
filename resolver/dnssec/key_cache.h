/*
 * key_cache.h: what the validator knows about each zone's keys (Unbound's
 * key cache, validator/val_kentry.h): the validated DNSKEY RRset of a
 * secure zone, a zone's validated DS RRset waiting for its DNSKEYs, a
 * delegation proven insecure, a name proven not to be a zone cut, or a
 * zone whose keys failed (kept briefly so a broken zone is not asked again
 * and again). Bounded (LRU) and thread-safe; shared by every request.
 */
#ifndef DESCEND_KEY_CACHE_H
#define DESCEND_KEY_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <ldns/ldns.h>

enum key_state {
	KEY_GOOD,	/* rrs: the zone's validated DNSKEY RRset */
	KEY_DS,		/* rrs: the zone's validated DS RRset; DNSKEYs not yet fetched */
	KEY_INSECURE,	/* proven unsigned (no DS at the cut, unsupported algorithms) */
	KEY_NOT_CUT,	/* proven no zone cut here: the zone above covers the name */
	KEY_BAD,	/* validation of the chain failed here: bogus below */
};

const char *key_state_name(enum key_state state);

/* One zone's entry as a lookup returns it. */
struct key_entry {
	enum key_state state;
	ldns_rr_list *rrs;	/* GOOD/DS: a copy the caller frees; else NULL */
	int ede;		/* BAD/INSECURE: RFC 8914 code, -1 none */
	const char *why;	/* static text: why BAD or INSECURE */
};

struct key_cache;

struct key_cache *key_cache_new(size_t max_bytes);
void key_cache_free(struct key_cache *cache);

/*
 * Stores the entry for `zone` (replacing any) for `ttl` seconds; `rrs` is
 * copied. `why` must be a static string.
 */
bool key_cache_store(struct key_cache *cache, const ldns_rdf *zone,
    enum key_state state, const ldns_rr_list *rrs, uint32_t ttl, int ede,
    const char *why, time_t now);

/*
 * Stores `zone` as KEY_INSECURE for `ttl` seconds unless it has an
 * unexpired GOOD, DS or INSECURE entry (checked and stored under one
 * lock): for an unsigned cut learnt in passing from a denial, which must
 * not replace what a chain of trust proved, nor renew itself. True when
 * stored.
 */
bool key_cache_store_insecure(struct key_cache *cache, const ldns_rdf *zone,
    uint32_t ttl, const char *why, time_t now);

/* True and *entry filled when `zone` has an unexpired entry. */
bool key_cache_lookup(struct key_cache *cache, const ldns_rdf *zone,
    time_t now, struct key_entry *entry);
/* The same by the zone's dname_key (lowercase wire form). */
bool key_cache_lookup_key(struct key_cache *cache, const uint8_t *key,
    size_t keylen, time_t now, struct key_entry *entry);

/* key_cache_lookup_key's state alone: nothing is copied. */
bool key_cache_state(struct key_cache *cache, const uint8_t *key,
    size_t keylen, time_t now, enum key_state *state);

/* Removes `name`'s entry (and, with subtree, every one below it). */
size_t key_cache_flush(struct key_cache *cache, const ldns_rdf *name,
    bool subtree);
void key_cache_dump(struct key_cache *cache, FILE *out, time_t now);
size_t key_cache_count(struct key_cache *cache);
size_t key_cache_bytes(struct key_cache *cache);
/* A new bound (a reload's cache-size): evicts down to it at once. */
void key_cache_set_max(struct key_cache *cache, size_t max_bytes);

#endif /* DESCEND_KEY_CACHE_H */
