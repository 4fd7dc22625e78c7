/*
 * rrset_cache.c: RRsets and negative entries in one bounded LRU table. Keys
 * are the lowercase owner in wire form, then type, class and a kind byte.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "lru.h"
#include "rrset_cache.h"

enum entry_kind {
	KIND_RRSET = 'R',
	KIND_NEGATIVE = 'N',
};

/* NXDOMAIN is stored under this type: it covers every type. */
#define NXDOMAIN_TYPE	0

struct rrset_entry {
	ldns_rr_list *rrs;		/* the RRset, or the SOA of a negative entry */
	ldns_rr_list *sigs;		/* its RRSIGs, or the negative proof; may be NULL */
	time_t expires;
	enum rrset_rank rank;
	enum sec_status status;
	ldns_pkt_rcode rcode;		/* negative entries */
};

struct rrset_cache {
	pthread_mutex_t lock;
	struct lru *table;
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

const char *
rrset_rank_name(enum rrset_rank rank)
{
	switch (rank) {
	case RANK_GLUE:			return "glue";
	case RANK_HINTS:		return "hints";
	case RANK_REFERRAL:		return "referral";
	case RANK_ANSWER:		return "answer";
	case RANK_AUTH_AUTHORITY:	return "auth-authority";
	case RANK_AUTH_ANSWER:		return "auth-answer";
	}
	return "?";
}

static void
rrset_entry_free(void *value)
{
	struct rrset_entry *entry = value;

	ldns_rr_list_deep_free(entry->rrs);
	ldns_rr_list_deep_free(entry->sigs);
	free(entry);
}

static size_t
rdf_cost(const ldns_rdf *rdf)
{
	return malloc_cost(sizeof(ldns_rdf)) + malloc_cost(ldns_rdf_size(rdf));
}

/*
 * A copy of `rrs` to keep: ldns grows a list's array eight records at a
 * time, and a cached RRset, most often of one record, never grows again;
 * fitting the array to the records saves a fifth of a small entry. The
 * list's fields are public in ldns/rr.h; push_rr still works on the result.
 */
static ldns_rr_list *
rrset_list_keep(const ldns_rr_list *rrs)
{
	ldns_rr_list *copy = rrs != NULL ? ldns_rr_list_clone(rrs) :
	    ldns_rr_list_new();
	ldns_rr **fitted;

	if (copy == NULL || copy->_rr_count == 0 ||
	    copy->_rr_count >= copy->_rr_capacity)
		return copy;
	if ((fitted = realloc(copy->_rrs, copy->_rr_count *
	    sizeof(*fitted))) != NULL) {
		copy->_rrs = fitted;
		copy->_rr_capacity = copy->_rr_count;
	}
	return copy;
}

/* The heap a list holds: ldns keeps every rdf as two allocations. */
static size_t
rrset_list_size(const ldns_rr_list *rrs)
{
	size_t count = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;
	size_t size;

	if (rrs == NULL)
		return 0;
	size = malloc_cost(sizeof(ldns_rr_list)) +
	    (rrs != NULL && rrs->_rr_capacity > 0 ?
	    malloc_cost(rrs->_rr_capacity * sizeof(ldns_rr *)) : 0);
	for (size_t i = 0; i < count; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		size += malloc_cost(sizeof(ldns_rr)) + rdf_cost(ldns_rr_owner(rr));
		if (ldns_rr_rd_count(rr) > 0)
			size += malloc_cost(ldns_rr_rd_count(rr) *
			    sizeof(ldns_rdf *));
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++)
			size += rdf_cost(ldns_rr_rdf(rr, j));
	}
	return size;
}

static size_t
rrset_entry_size(const struct rrset_entry *entry)
{
	return malloc_cost(sizeof(*entry)) + rrset_list_size(entry->rrs) +
	    rrset_list_size(entry->sigs);
}

struct rrset_cache *
rrset_cache_new(size_t max_bytes)
{
	struct rrset_cache *cache = calloc(1, sizeof(*cache));

	if (cache == NULL)
		return NULL;
	cache->table = lru_new(max_bytes, rrset_entry_free);
	cache->epochs = calloc(RRSET_EPOCH_SLOTS, sizeof(*cache->epochs));
	if (cache->table == NULL || cache->epochs == NULL) {
		lru_free(cache->table);
		free(cache->epochs);
		free(cache);
		return NULL;
	}
	cache->epoch_seed = arc4random();
	pthread_mutex_init(&cache->lock, NULL);
	return cache;
}

void
rrset_cache_free(struct rrset_cache *cache)
{
	if (cache == NULL)
		return;
	lru_free(cache->table);
	free(cache->epochs);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

void
rrset_cache_set_max(struct rrset_cache *cache, size_t max_bytes)
{
	pthread_mutex_lock(&cache->lock);
	lru_set_max(cache->table, max_bytes);
	pthread_mutex_unlock(&cache->lock);
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
 * or Original TTL. UINT32_MAX without RRSIGs; 0 when one has expired.
 */
static uint32_t
rrsig_ttl_cap(const ldns_rr_list *sigs, time_t now)
{
	uint32_t cap = UINT32_MAX;

	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs);
	    i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *orig = ldns_rr_rdf(sig, 3);
		const ldns_rdf *expiry = ldns_rr_rdf(sig, 4);
		int32_t left;

		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG)
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
	if (status != SEC_BOGUS && (sig_cap = rrsig_ttl_cap(sigs, now)) < ttl)
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
	    ldns_rr_list_compare(old->rrs, new->rrs) == 0;
}

/* Whether a key is an NS RRset's: owner, then type, class and kind. */
static bool
rrset_key_is_ns(const uint8_t *key, size_t keylen)
{
	return key[keylen - 1] == KIND_RRSET && key[keylen - 5] == 0 &&
	    key[keylen - 4] == LDNS_RR_TYPE_NS;
}

/*
 * Inserts unless a better unexpired entry is there. Called locked.
 *
 * Ghost domains (CVE-2012-1191): the child's servers send their NS set
 * with every answer, at least the rank of the parent's referral and with
 * whatever TTL they like. Stored over the live delegation, it takes the
 * delegation's expiry, never a later one; so a zone its parent has
 * removed dies when the parent's NS TTL runs out, however often it is
 * asked. Only a new referral from the parent (RANK_REFERRAL, once the
 * entry has expired) starts a new lifetime.
 */
static bool
rrset_insert_ranked(struct rrset_cache *cache, const uint8_t *key,
    size_t keylen, struct rrset_entry *entry, time_t now)
{
	struct rrset_entry *old = lru_lookup(cache->table, key, keylen);

	if (old != NULL && old->expires > now) {
		if (rrset_entry_wins(old, entry)) {
			rrset_entry_free(entry);
			return false;
		}
		if (entry->rank > RANK_REFERRAL && entry->expires >
		    old->expires && rrset_key_is_ns(key, keylen))
			entry->expires = old->expires;
	}
	if (old != NULL && !rrset_entry_same(old, entry))
		rrset_owner_changed(cache, key, keylen);
	return lru_insert(cache->table, key, keylen, entry,
	    rrset_entry_size(entry));
}

/* A kept copy of `rrs`, or NULL for none (false when memory ran out). */
static bool
rrset_keep_optional(const ldns_rr_list *rrs, ldns_rr_list **copy)
{
	*copy = NULL;
	if (rrs == NULL || ldns_rr_list_rr_count(rrs) == 0)
		return true;
	return (*copy = rrset_list_keep(rrs)) != NULL;
}

bool
rrset_cache_store(struct rrset_cache *cache, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, enum rrset_rank rank, enum sec_status status,
    time_t now, uint32_t min_ttl, uint32_t max_ttl, uint32_t ttl_cap)
{
	uint8_t key[KEY_MAX];
	struct rrset_entry *entry;
	const ldns_rr *first;
	uint32_t ttl;
	size_t keylen;
	bool stored;

	if (rrset == NULL || ldns_rr_list_rr_count(rrset) == 0)
		return false;
	first = ldns_rr_list_rr(rrset, 0);
	ttl = rrset_keep_ttl(rrset_min_ttl(rrset), sigs, status, now, min_ttl,
	    max_ttl, ttl_cap);
	if (ttl == 0)
		return false;
	if ((entry = calloc(1, sizeof(*entry))) == NULL)
		return false;
	if ((entry->rrs = rrset_list_keep(rrset)) == NULL ||
	    !rrset_keep_optional(sigs, &entry->sigs)) {
		rrset_entry_free(entry);
		return false;
	}
	entry->expires = now + (time_t)ttl;
	entry->rank = rank;
	entry->status = status;
	keylen = rrset_key(key, ldns_rr_owner(first), ldns_rr_get_type(first),
	    ldns_rr_get_class(first), KIND_RRSET);
	pthread_mutex_lock(&cache->lock);
	stored = rrset_insert_ranked(cache, key, keylen, entry, now);
	pthread_mutex_unlock(&cache->lock);
	return stored;
}

/* A copy of `rrs` with every TTL set to what is left of it. */
static ldns_rr_list *
rrset_copy_aged(const ldns_rr_list *rrs, time_t expires, time_t now)
{
	ldns_rr_list *copy = rrs != NULL ? ldns_rr_list_clone(rrs) : NULL;

	for (size_t i = 0; copy != NULL && i < ldns_rr_list_rr_count(copy); i++)
		ldns_rr_set_ttl(ldns_rr_list_rr(copy, i),
		    (uint32_t)(expires - now));
	return copy;
}

ldns_rr_list *
rrset_cache_lookup(struct rrset_cache *cache, const ldns_rdf *owner,
    ldns_rr_type type, ldns_rr_class klass, time_t now,
    enum rrset_rank min_rank, struct rrset_info *info)
{
	uint8_t key[KEY_MAX];
	size_t keylen = rrset_key(key, owner, type, klass, KIND_RRSET);
	struct rrset_entry *entry;
	ldns_rr_list *copy = NULL;

	pthread_mutex_lock(&cache->lock);
	entry = lru_lookup(cache->table, key, keylen);
	if (entry != NULL && entry->expires > now && entry->rank >= min_rank) {
		copy = rrset_copy_aged(entry->rrs, entry->expires, now);
		if (info != NULL) {
			info->rank = entry->rank;
			info->status = entry->status;
			info->sigs = rrset_copy_aged(entry->sigs, entry->expires,
			    now);
		}
	}
	pthread_mutex_unlock(&cache->lock);
	return copy;
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
	bool stored;

	ttl = rrset_keep_ttl(ttl, proof, status, now, 0, UINT32_MAX,
	    RRSET_TTL_NO_CAP);
	if (ttl == 0 || (entry = calloc(1, sizeof(*entry))) == NULL)
		return false;
	if ((entry->rrs = rrset_list_keep(soa)) == NULL ||
	    !rrset_keep_optional(proof, &entry->sigs)) {
		rrset_entry_free(entry);
		return false;
	}
	entry->expires = now + (time_t)ttl;
	entry->rank = RANK_AUTH_ANSWER;
	entry->status = status;
	entry->rcode = rcode;
	keylen = rrset_key(key, name,
	    rcode == LDNS_RCODE_NXDOMAIN ? NXDOMAIN_TYPE : type, klass,
	    KIND_NEGATIVE);
	pthread_mutex_lock(&cache->lock);
	stored = rrset_insert_ranked(cache, key, keylen, entry, now);
	pthread_mutex_unlock(&cache->lock);
	return stored;
}

/* Called locked: the live negative entry for the key, or NULL. */
static struct rrset_entry *
rrset_negative_at(struct rrset_cache *cache, const ldns_rdf *name,
    ldns_rr_type type, ldns_rr_class klass, time_t now)
{
	uint8_t key[KEY_MAX];
	size_t keylen = rrset_key(key, name, type, klass, KIND_NEGATIVE);
	struct rrset_entry *entry = lru_lookup(cache->table, key, keylen);

	return entry != NULL && entry->expires > now ? entry : NULL;
}

bool
rrset_cache_lookup_negative(struct rrset_cache *cache, const ldns_rdf *name,
    ldns_rr_type type, ldns_rr_class klass, time_t now,
    ldns_pkt_rcode *rcode, ldns_rr_list **soa, struct rrset_info *info)
{
	struct rrset_entry *entry;
	unsigned labels = dname_labels(name);

	pthread_mutex_lock(&cache->lock);
	entry = rrset_negative_at(cache, name, type, klass, now);
	/* RFC 8020: an NXDOMAIN at the name or any ancestor covers the name. */
	for (unsigned n = labels; entry == NULL && n > 0; n--) {
		ldns_rdf *ancestor = dname_ancestor(name, n);

		if (ancestor == NULL)
			break;
		entry = rrset_negative_at(cache, ancestor, NXDOMAIN_TYPE,
		    klass, now);
		ldns_rdf_deep_free(ancestor);
	}
	if (entry != NULL) {
		*rcode = entry->rcode;
		if (soa != NULL)
			*soa = rrset_copy_aged(entry->rrs, entry->expires, now);
		if (info != NULL) {
			info->rank = entry->rank;
			info->status = entry->status;
			info->sigs = rrset_copy_aged(entry->sigs, entry->expires,
			    now);
		}
	}
	pthread_mutex_unlock(&cache->lock);
	return entry != NULL;
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

size_t
rrset_cache_flush(struct rrset_cache *cache, const ldns_rdf *name,
    bool subtree)
{
	struct flush_match m;
	size_t removed;

	m.cache = cache;
	m.keylen = dname_key(name, m.key);
	m.subtree = subtree;
	pthread_mutex_lock(&cache->lock);
	removed = lru_walk(cache->table, rrset_flush_visit, &m);
	pthread_mutex_unlock(&cache->lock);
	return removed;
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
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(rrs, i));
		char *s;

		if (rr == NULL)
			continue;
		ldns_rr_set_ttl(rr, (uint32_t)(entry->expires - ctx->now));
		s = ldns_rr2str(rr);
		if (s != NULL) {
			s[strcspn(s, "\n")] = '\0';
			fprintf(ctx->out, "%s ; %s %s\n", s,
			    rrset_rank_name(entry->rank),
			    sec_status_name(entry->status));
		}
		free(s);
		ldns_rr_free(rr);
	}
}

static bool
rrset_dump_visit(void *arg, const uint8_t *key, size_t keylen, void *value)
{
	const struct dump_ctx *ctx = arg;
	const struct rrset_entry *entry = value;

	if (entry->expires <= ctx->now)
		return false;
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
		fprintf(ctx->out, " ; %s\n", sec_status_name(entry->status));
		free(name);
		ldns_rdf_deep_free(owner);
		rrset_dump_records(ctx, entry, entry->sigs);
		return false;
	}
	rrset_dump_records(ctx, entry, entry->rrs);
	rrset_dump_records(ctx, entry, entry->sigs);
	return false;
}

void
rrset_cache_dump(struct rrset_cache *cache, FILE *out, time_t now)
{
	struct dump_ctx ctx = { out, now };

	pthread_mutex_lock(&cache->lock);
	lru_walk(cache->table, rrset_dump_visit, &ctx);
	pthread_mutex_unlock(&cache->lock);
}

size_t
rrset_cache_bytes(struct rrset_cache *cache)
{
	size_t bytes;

	pthread_mutex_lock(&cache->lock);
	bytes = lru_bytes(cache->table);
	pthread_mutex_unlock(&cache->lock);
	return bytes;
}

size_t
rrset_cache_count(struct rrset_cache *cache)
{
	size_t count;

	pthread_mutex_lock(&cache->lock);
	count = lru_count(cache->table);
	pthread_mutex_unlock(&cache->lock);
	return count;
}
