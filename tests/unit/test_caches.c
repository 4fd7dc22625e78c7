/*
 * test_caches.c: the LRU bound and its second chance for entries read
 * under a shared lock, the shard lock's exclusion, and the RRset cache's trust ranks (RFC
 * 2181 §5.4.1), TTL clamping and expiry, negative entries (RFC 2308,
 * RFC 8020), and the DNSSEC data entries carry: RRSIGs, proofs, security
 * status, the secure-wins rule and TTLs capped by signatures (RFC 4035
 * §5.3.3); answer keys' lowercasing and the answer cache's batch prefetch;
 * the hash and the key compare over every length and byte.
 */
#include <pthread.h>
#include <string.h>

#include "answer_cache.h"
#include "dname.h"
#include "engine_limits.h"
#include "lru.h"
#include "rrset_cache.h"
#include "shard_lock.h"
#include "tap.h"

static ldns_rr_list *
rrs(const char *text)
{
	ldns_rr_list *list = ldns_rr_list_new();
	ldns_rr *rr = NULL;

	ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
	ldns_rr_list_push_rr(list, rr);
	return list;
}

static void
test_lru(void)
{
	struct lru *lru = lru_new(12000, free);	/* 8 KiB of it buckets */
	char key[16];
	size_t kept = 0;

	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		lru_insert(lru, (uint8_t *)key, strlen(key), strdup("v"), 100);
	}
	ok(lru_bytes(lru) <= 12000, "the table stays within its bound (%zu)",
	    lru_bytes(lru));
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		kept += lru_lookup(lru, (uint8_t *)key, strlen(key)) != NULL;
	}
	ok(kept > 0 && kept < 100, "the oldest entries were evicted");
	ok(lru_lookup(lru, (const uint8_t *)"k99", 3) != NULL,
	    "the newest is kept");
	ok(lru_remove(lru, (const uint8_t *)"k99", 3) &&
	    lru_lookup(lru, (const uint8_t *)"k99", 3) == NULL, "remove works");
	lru_free(lru);
}

static uint32_t
key_hash(const char *key)
{
	return hash_seeded(1, (const uint8_t *)key, strlen(key));
}

/*
 * The hash reads its tail in one or two overlapping loads: every byte of
 * keys of every length up to 40 must still change it, and the length too
 * (a zero byte appended). Seed 1 is fixed: no run can differ.
 */
static void
test_hash_every_byte(void)
{
	uint8_t key[41];
	unsigned missed = 0, same_as_shorter = 0;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 37 + 1);
	for (size_t len = 1; len <= 40; len++) {
		uint32_t h = hash_seeded(1, key, len);

		for (size_t at = 0; at < len; at++) {
			key[at] ^= 0x01;
			missed += hash_seeded(1, key, len) == h;
			key[at] ^= 0x01;
		}
		key[len] = 0;
		same_as_shorter += hash_seeded(1, key, len + 1) == h;
		key[len] = (uint8_t)(len * 37 + 1);
	}
	ok(missed == 0, "hash: a flipped bit anywhere in keys of 1-40 bytes "
	    "changes it (%u did not)", missed);
	ok(same_as_shorter == 0, "hash: a key and the key with a zero byte "
	    "more differ (%u did not)", same_as_shorter);
}

/*
 * Keys compared eight bytes a step: entries forced into one hash must
 * still be told apart by a difference at any byte, for every length.
 */
static void
test_lru_key_compare(void)
{
	struct lru *lru = lru_new(1 << 20, NULL);
	uint8_t key[40];
	unsigned wrong = 0;

	for (size_t len = 1; len <= sizeof(key); len++) {
		memset(key, 'k', len);
		lru_insert_hashed(lru, 7, key, len, (void *)(uintptr_t)1000, 1);
		for (size_t at = 0; at < len; at++) {
			key[at] = 'x';
			lru_insert_hashed(lru, 7, key, len,
			    (void *)(uintptr_t)(at + 1), 1);
			key[at] = 'k';
		}
		for (size_t at = 0; at < len; at++) {
			key[at] = 'x';
			wrong += lru_peek_hashed(lru, 7, key, len) !=
			    (void *)(uintptr_t)(at + 1);
			key[at] = 'k';
		}
		wrong += lru_peek_hashed(lru, 7, key, len) !=
		    (void *)(uintptr_t)1000;
		for (size_t at = 0; at < len; at++) {
			key[at] = 'x';
			lru_remove_hashed(lru, 7, key, len);
			key[at] = 'k';
		}
		lru_remove_hashed(lru, 7, key, len);
	}
	ok(wrong == 0, "lru: keys of one hash differing in one byte of 1-40 "
	    "find their own entries (%u wrong)", wrong);
	ok(lru_count(lru) == 0, "lru: and each is removed alone");
	lru_free(lru);
}

/*
 * Readers under a shared lock do not move what they find (lru_peek): an
 * entry they keep reading must still outlive the ones nobody reads.
 */
static void
test_lru_second_chance(void)
{
	struct lru *lru = lru_new(12000, free);	/* room for about 20 */
	char key[16];
	bool first_kept = true;

	for (int i = 0; i < 60; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		lru_insert_hashed(lru, key_hash(key), (uint8_t *)key,
		    strlen(key), strdup("v"), 100);
		first_kept = first_kept && lru_peek_hashed(lru, key_hash("k0"),
		    (const uint8_t *)"k0", 2) != NULL;
	}
	ok(first_kept, "an entry peeked at between inserts is never evicted");
	ok(lru_peek_hashed(lru, key_hash("k1"), (const uint8_t *)"k1", 2) ==
	    NULL && lru_count(lru) < 60, "entries nobody read were (%zu kept)",
	    lru_count(lru));
	ok(lru_bytes(lru) <= 12000, "the bound holds (%zu)", lru_bytes(lru));
	lru_free(lru);
}

struct locked_pair {
	struct shard_readers readers;
	struct shard_lock lock;
	long a, b;			/* equal whenever the lock is free */
	int rounds;
	int reading;			/* atomic: the reader has started */
};

static void *
pair_writer(void *arg)
{
	struct locked_pair *p = arg;

	while (!__atomic_load_n(&p->reading, __ATOMIC_ACQUIRE))
		;
	for (int i = 0; i < p->rounds; i++) {
		shard_write_lock(&p->readers, &p->lock);
		p->a++;
		for (volatile int spin = 0; spin < 50; spin++)
			;
		p->b++;
		shard_write_unlock(&p->lock);
		/* Free as long as held: readers come in and writes meet them. */
		for (volatile int spin = 0; spin < 50; spin++)
			;
	}
	return NULL;
}

/* Readers never see a writer's half-done change, nor it theirs. */
static void
test_shard_lock(void)
{
	static struct locked_pair p __attribute__((aligned(64)));
	pthread_t writer;
	long torn = 0, reads = 0;

	shard_lock_init(&p.lock, 1);
	p.rounds = 20000;
	pthread_create(&writer, NULL, pair_writer, &p);
	for (bool done = false; !done; reads++) {
		/* Every other read through the inline fast path. */
		bool inl = (reads & 1) != 0, token = inl ?
		    shard_read_lock_inline(&p.readers, &p.lock) :
		    shard_read_lock(&p.readers, &p.lock);

		__atomic_store_n(&p.reading, 1, __ATOMIC_RELEASE);
		torn += p.a != p.b;
		done = p.b == p.rounds;
		if (inl)
			shard_read_unlock_inline(&p.readers, &p.lock, token);
		else
			shard_read_unlock(&p.readers, &p.lock, token);
	}
	pthread_join(writer, NULL);
	ok(torn == 0 && p.a == p.rounds,
	    "shard lock: %ld of %ld reads saw a write half done", torn, reads);
	shard_lock_destroy(&p.lock);
}

/*
 * A reader announcing every shard at once (shard_read_lock_all, the batch
 * prefetch) never sees a write half done in a shard it finds open, and
 * does find it open between writes.
 */
static void
test_shard_lock_all(void)
{
	static struct locked_pair p __attribute__((aligned(64)));
	pthread_t writer;
	long torn = 0, reads = 0, open = 0;

	shard_lock_init(&p.lock, 1);
	p.rounds = 20000;
	pthread_create(&writer, NULL, pair_writer, &p);
	for (bool done = false; !done; reads++) {
		if (!shard_read_lock_all(&p.readers))
			break;
		__atomic_store_n(&p.reading, 1, __ATOMIC_RELEASE);
		if (shard_read_all_open(&p.lock)) {
			long a = __atomic_load_n(&p.a, __ATOMIC_RELAXED);

			/* Longer than a write: one let in would show. */
			for (volatile int spin = 0; spin < 200; spin++)
				;
			open++;
			torn += a != __atomic_load_n(&p.b, __ATOMIC_RELAXED);
			done = p.b == p.rounds;
		}
		shard_read_unlock_all(&p.readers);
	}
	pthread_join(writer, NULL);
	ok(torn == 0 && p.a == p.rounds && open > 0,
	    "shard lock, all shards: %ld of %ld open reads saw a write half "
	    "done", torn, open);
	shard_lock_destroy(&p.lock);
}

static void
test_ranks(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rdf *name = ldns_dname_new_frm_str("ns1.example.com.");
	ldns_rr_list *auth = rrs("ns1.example.com. 3600 IN A 192.0.2.1");
	ldns_rr_list *glue = rrs("ns1.example.com. 86400 IN A 203.0.113.9");
	ldns_rr_list *got;
	struct rrset_info info;

	ok(rrset_cache_store(c, auth, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
	    1000, 0, 86400, RRSET_TTL_NO_CAP),
	    "an authoritative answer is stored");
	ok(!rrset_cache_store(c, glue, NULL, RANK_GLUE, SEC_UNCHECKED, 1000, 0,
	    86400, RRSET_TTL_NO_CAP), "glue cannot overwrite it");
	got = rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1100,
	    RANK_ANSWER, &info);
	ok(got != NULL && info.rank == RANK_AUTH_ANSWER && info.sigs == NULL &&
	    info.status == SEC_UNCHECKED &&
	    ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 3500,
	    "the answer stays, its TTL counting down");
	ldns_rr_list_deep_free(got);
	ok(rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 4600,
	    RANK_GLUE, NULL) == NULL, "and expires");
	ok(rrset_cache_store(c, glue, NULL, RANK_GLUE, SEC_UNCHECKED, 4600, 0,
	    600, RRSET_TTL_NO_CAP),
	    "once expired, glue may take its place");
	got = rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 4600,
	    RANK_GLUE, NULL);
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 600,
	    "with its TTL capped by cache-max-ttl");
	ldns_rr_list_deep_free(got);
	ok(rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 4600,
	    RANK_ANSWER, NULL) == NULL, "glue is never an answer");
	ldns_rr_list_deep_free(auth);
	ldns_rr_list_deep_free(glue);
	ldns_rdf_deep_free(name);
	rrset_cache_free(c);
}

/*
 * rrset_cache_addresses reads the addresses as stored: the same ones, in
 * the same order, as the records rrset_cache_lookup unpacks, and none
 * where a lookup finds none (expired, ranked too low, absent).
 */
static void
test_addresses(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rdf *name = ldns_dname_new_frm_str("ns1.Example.com.");
	ldns_rdf *other = ldns_dname_new_frm_str("ns2.example.com.");
	ldns_rr_list *a = rrs("ns1.example.com. 3600 IN A 192.0.2.1");
	ldns_rr_list *aaaa = rrs("ns1.example.com. 3600 IN AAAA 2001:db8::53");
	static const char *more[] = { "ns1.example.com. 3600 IN A 192.0.2.7",
	    "NS1.EXAMPLE.COM. 3600 IN A 198.51.100.3",
	    "ns1.example.com. 3600 IN AAAA 2001:db8::54" };
	enum rrset_rank rank = RANK_GLUE;
	unsigned same = 0, total = 0;
	uint8_t *addrs;
	size_t count;

	for (int i = 0; i < 3; i++) {
		ldns_rr *rr = NULL;

		ldns_rr_new_frm_str(&rr, more[i], 0, NULL, NULL);
		ldns_rr_list_push_rr(i < 2 ? a : aaaa, rr);
	}
	rrset_cache_store(c, a, NULL, RANK_GLUE, SEC_UNCHECKED, 1000, 0, 86400,
	    RRSET_TTL_NO_CAP);
	rrset_cache_store(c, aaaa, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED, 1000,
	    0, 86400, RRSET_TTL_NO_CAP);
	for (int t = 0; t < 2; t++) {
		ldns_rr_type type = t == 0 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
		size_t alen = t == 0 ? 4 : 16;
		ldns_rr_list *got = rrset_cache_lookup(c, name, type,
		    LDNS_RR_CLASS_IN, 1100, RANK_GLUE, NULL);

		addrs = rrset_cache_addresses(c, name, type, LDNS_RR_CLASS_IN,
		    1100, RANK_GLUE, &rank, &count);
		total++;
		if (got != NULL && addrs != NULL &&
		    count == ldns_rr_list_rr_count(got) && count == 3 - (size_t)t &&
		    rank == (t == 0 ? RANK_GLUE : RANK_AUTH_ANSWER)) {
			same++;
			for (size_t i = 0; i < count; i++)
				if (memcmp(addrs + i * alen, ldns_rdf_data(
				    ldns_rr_rdf(ldns_rr_list_rr(got, i), 0)),
				    alen) != 0)
					same--, i = count;
		}
		free(addrs);
		ldns_rr_list_deep_free(got);
	}
	ok(same == total, "the addresses of A and AAAA RRsets as stored, in "
	    "order, with their rank: %u of %u", same, total);
	addrs = rrset_cache_addresses(c, name, LDNS_RR_TYPE_AAAA,
	    LDNS_RR_CLASS_IN, 1100, RANK_ANSWER, &rank, &count);
	ok(addrs != NULL && count == 2 &&
	    rrset_cache_addresses(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    1100, RANK_ANSWER, &rank, &count) == NULL && count == 0,
	    "none ranked below the minimum");
	free(addrs);
	ok(rrset_cache_addresses(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    4600, RANK_GLUE, &rank, &count) == NULL && count == 0 &&
	    rrset_cache_addresses(c, other, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    1100, RANK_GLUE, &rank, &count) == NULL &&
	    rrset_cache_addresses(c, name, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN,
	    1100, RANK_GLUE, &rank, &count) == NULL,
	    "none expired, absent, or of another type");
	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(aaaa);
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(other);
	rrset_cache_free(c);
}

static void
test_negative(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rdf *nx = ldns_dname_new_frm_str("nx.example.com.");
	ldns_rdf *below = ldns_dname_new_frm_str("a.b.nx.example.com.");
	ldns_rdf *www = ldns_dname_new_frm_str("www.example.com.");
	ldns_rr_list *soa = rrs("example.com. 300 IN SOA ns1.example.com. "
	    "h.example.com. 1 3600 600 86400 300");
	ldns_rr_list *got = NULL;
	ldns_pkt_rcode rcode;

	rrset_cache_store_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    LDNS_RCODE_NXDOMAIN, soa, NULL, SEC_UNCHECKED, 300, 1000);
	ok(rrset_cache_lookup_negative(c, nx, LDNS_RR_TYPE_MX, LDNS_RR_CLASS_IN,
	    1100, &rcode, &got, NULL) && rcode == LDNS_RCODE_NXDOMAIN,
	    "NXDOMAIN covers every type");
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 200,
	    "with its SOA, TTL counted down");
	ldns_rr_list_deep_free(got);
	/*
	 * RFC 8020 only from a secure NXDOMAIN (Unbound's
	 * harden-below-nxdomain): an unvalidated or insecure one may be a
	 * spoof, or old software's NXDOMAIN for an empty non-terminal.
	 */
	got = NULL;
	ok(!rrset_cache_lookup_negative(c, below, LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, 1100, &rcode, NULL, NULL) &&
	    !rrset_cache_lookup_negative(c, below, LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, 1100, &rcode, &got, NULL) && got == NULL,
	    "an unvalidated NXDOMAIN does not deny the names below it");
	rrset_cache_store_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    LDNS_RCODE_NXDOMAIN, soa, NULL, SEC_INSECURE, 300, 1000);
	ok(!rrset_cache_lookup_negative(c, below, LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, 1100, &rcode, NULL, NULL),
	    "nor does an insecure one");
	ok(rrset_cache_lookup_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    1100, &rcode, NULL, NULL) && rcode == LDNS_RCODE_NXDOMAIN,
	    "which still answers for its own name");
	rrset_cache_store_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    LDNS_RCODE_NXDOMAIN, soa, NULL, SEC_SECURE, 300, 1000);
	ok(rrset_cache_lookup_negative(c, below, LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, 1100, &rcode, &got, NULL) &&
	    rcode == LDNS_RCODE_NXDOMAIN && got != NULL,
	    "a secure NXDOMAIN denies every name below (RFC 8020)");
	ldns_rr_list_deep_free(got);
	ok(!rrset_cache_lookup_negative_within(c, below, LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, 1100, 4, &rcode, NULL, NULL) &&
	    rrset_cache_lookup_negative_within(c, below, LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, 1100, 3, &rcode, NULL, NULL),
	    "but not below a floor of labels (a stub zone's apex)");
	rrset_cache_store_negative(c, www, LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN,
	    LDNS_RCODE_NOERROR, soa, NULL, SEC_UNCHECKED, 300, 1000);
	ok(rrset_cache_lookup_negative(c, www, LDNS_RR_TYPE_AAAA,
	    LDNS_RR_CLASS_IN, 1100, &rcode, NULL, NULL) &&
	    rcode == LDNS_RCODE_NOERROR, "NODATA is kept for its type");
	ok(!rrset_cache_lookup_negative(c, www, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    1100, &rcode, NULL, NULL), "and only for its type");
	ok(!rrset_cache_lookup_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    1300, &rcode, NULL, NULL), "negative entries expire");
	ok(rrset_cache_flush(c, www, false) == 1, "flush removes a name");
	ldns_rr_list_deep_free(soa);
	ldns_rdf_deep_free(nx);
	ldns_rdf_deep_free(below);
	ldns_rdf_deep_free(www);
	rrset_cache_free(c);
}

/* An RRSIG over `owner`'s A set expiring at `expiry` (seconds since 1970). */
static ldns_rr_list *
rrsig(const char *owner, const char *type, unsigned ttl, unsigned orig_ttl,
    unsigned long expiry)
{
	char text[512];

	snprintf(text, sizeof(text), "%s %u IN RRSIG %s 13 3 %u %lu 1000 "
	    "12345 example.com. c2lnbmF0dXJl", owner, ttl, type, orig_ttl,
	    expiry);
	return rrs(text);
}

static void
test_dnssec_data(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rdf *name = ldns_dname_new_frm_str("www.example.com.");
	ldns_rr_list *a = rrs("www.example.com. 3600 IN A 192.0.2.1");
	ldns_rr_list *forged = rrs("www.example.com. 3600 IN A 203.0.113.66");
	ldns_rr_list *sig = rrsig("www.example.com.", "A", 3600, 3600, 1000500);
	ldns_rr_list *got;
	struct rrset_info info;
	const time_t now = 1000000;

	ok(rrset_cache_store(c, a, sig, RANK_ANSWER, SEC_SECURE, now, 0, 86400,
	    RRSET_TTL_NO_CAP), "a secure RRset is stored with its RRSIG");
	got = rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    now + 100, RANK_ANSWER, &info);
	ok(got != NULL && info.status == SEC_SECURE && info.sigs != NULL &&
	    ldns_rr_list_rr_count(info.sigs) == 1 &&
	    ldns_rr_get_type(ldns_rr_list_rr(info.sigs, 0)) ==
	    LDNS_RR_TYPE_RRSIG, "a lookup returns its RRSIG and status");
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 400 &&
	    ldns_rr_ttl(ldns_rr_list_rr(info.sigs, 0)) == 400,
	    "its TTL ends at the RRSIG's expiration (RFC 4035 5.3.3): %u",
	    got != NULL ? ldns_rr_ttl(ldns_rr_list_rr(got, 0)) : 0);
	ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(info.sigs);
	ok(!rrset_cache_store(c, forged, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
	    now + 100, 0, 86400, RRSET_TTL_NO_CAP),
	    "an unexpired secure RRset is not replaced by unvalidated data, "
	    "even of a higher rank");
	ok(!rrset_cache_store(c, forged, NULL, RANK_AUTH_ANSWER, SEC_INSECURE,
	    now + 100, 0, 86400, RRSET_TTL_NO_CAP) &&
	    !rrset_cache_store(c, forged, NULL, RANK_AUTH_ANSWER, SEC_BOGUS,
	    now + 100, 0, 86400, RRSET_TTL_NO_CAP), "nor by insecure or bogus");
	got = rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    now + 100, RANK_ANSWER, NULL);
	ok(got != NULL && ldns_rdf2native_int32(ldns_rr_rdf(
	    ldns_rr_list_rr(got, 0), 0)) == ldns_rdf2native_int32(ldns_rr_rdf(
	    ldns_rr_list_rr(a, 0), 0)), "the secure data stays");
	ldns_rr_list_deep_free(got);
	ok(rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    now + 500, RANK_GLUE, NULL) == NULL,
	    "and is gone when its signature expires");
	ok(rrset_cache_store(c, forged, NULL, RANK_ANSWER, SEC_UNCHECKED,
	    now + 500, 0, 86400, RRSET_TTL_NO_CAP),
	    "then less validated data may take its place");
	ok(rrset_cache_store(c, a, sig, RANK_GLUE, SEC_SECURE, now + 500 - 200,
	    0, 86400, RRSET_TTL_NO_CAP),
	    "secure data replaces unexpired unvalidated data of any rank");
	ldns_rr_list_deep_free(sig);

	/* The caps: RRSIG TTL, Original TTL, the caller's, beating min_ttl. */
	sig = rrsig("www.example.com.", "A", 3600, 120, 2000000);
	rrset_cache_flush(c, name, false);
	rrset_cache_store(c, a, sig, RANK_ANSWER, SEC_SECURE, now, 0, 86400,
	    RRSET_TTL_NO_CAP);
	got = rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now,
	    RANK_ANSWER, NULL);
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 120,
	    "the RRSIG's Original TTL caps the TTL");
	ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(sig);
	rrset_cache_flush(c, name, false);
	rrset_cache_store(c, a, NULL, RANK_ANSWER, SEC_SECURE, now, 3600, 86400,
	    60);
	got = rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now,
	    RANK_ANSWER, NULL);
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 60,
	    "the caller's cap beats cache-min-ttl");
	ldns_rr_list_deep_free(got);
	sig = rrsig("www.example.com.", "A", 3600, 3600, now - 10);
	ok(!rrset_cache_store(c, forged, sig, RANK_AUTH_ANSWER, SEC_SECURE, now,
	    0, 86400, RRSET_TTL_NO_CAP), "an expired RRSIG is never cached as "
	    "secure");
	rrset_cache_flush(c, name, false);
	ok(rrset_cache_store(c, forged, sig, RANK_ANSWER, SEC_BOGUS, now, 0, 60,
	    RRSET_TTL_NO_CAP), "bogus data keeps its own TTL (the validator "
	    "bounds it)");
	ldns_rr_list_deep_free(sig);

	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(forged);
	ldns_rdf_deep_free(name);
	rrset_cache_free(c);
}

static void
test_dnssec_negative(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rdf *nx = ldns_dname_new_frm_str("nx.example.com.");
	ldns_rr_list *soa = rrs("example.com. 300 IN SOA ns1.example.com. "
	    "h.example.com. 1 3600 600 86400 300");
	ldns_rr_list *proof = rrs("mx.example.com. 300 IN NSEC "
	    "oz.example.com. A RRSIG NSEC");
	ldns_rr_list *sig1 = rrsig("mx.example.com.", "NSEC", 300, 300, 1000200);
	ldns_rr_list *sig2 = rrsig("example.com.", "SOA", 300, 300, 1000250);
	ldns_rr_list *got = NULL;
	struct rrset_info info;
	ldns_pkt_rcode rcode;
	const time_t now = 1000000;

	ldns_rr_list_push_rr(proof, ldns_rr_list_pop_rr(sig1));
	ldns_rr_list_push_rr(proof, ldns_rr_list_pop_rr(sig2));
	ok(rrset_cache_store_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    LDNS_RCODE_NXDOMAIN, soa, proof, SEC_SECURE, 300, now),
	    "a secure NXDOMAIN is stored with its proof");
	ok(rrset_cache_lookup_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    now + 50, &rcode, &got, &info) && info.status == SEC_SECURE &&
	    info.sigs != NULL && ldns_rr_list_rr_count(info.sigs) == 3,
	    "a lookup returns the proof (NSEC, its RRSIG, the SOA's RRSIG) "
	    "and the status");
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 150,
	    "the entry ends when the first proof RRSIG expires");
	ldns_rr_list_deep_free(got);
	ldns_rr_list_deep_free(info.sigs);
	ok(!rrset_cache_store_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    LDNS_RCODE_NXDOMAIN, soa, NULL, SEC_UNCHECKED, 300, now + 50),
	    "an unvalidated negative answer does not replace a secure one");
	ok(!rrset_cache_lookup_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    now + 200, &rcode, NULL, NULL), "which expires with its proof");
	ldns_rr_list_deep_free(soa);
	ldns_rr_list_deep_free(proof);
	ldns_rr_list_deep_free(sig1);
	ldns_rr_list_deep_free(sig2);
	ldns_rdf_deep_free(nx);
	rrset_cache_free(c);
}

/* The child's NS set never outlives the parent's delegation. */
static void
test_ns_lifetime(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rdf *zone = ldns_dname_new_frm_str("ghost.test.");
	ldns_rr_list *parent = rrs("ghost.test. 3600 IN NS ns.hosting.net.");
	ldns_rr_list *child = rrs("ghost.test. 86400 IN NS ns.hosting.net.");
	ldns_rr_list *got;

	rrset_cache_store(c, parent, NULL, RANK_REFERRAL, SEC_UNCHECKED, 1000,
	    0, 86400, RRSET_TTL_NO_CAP);
	ok(rrset_cache_store(c, child, NULL, RANK_AUTH_AUTHORITY,
	    SEC_UNCHECKED, 2000, 0, 86400, RRSET_TTL_NO_CAP),
	    "the child's NS set replaces the referral's");
	got = rrset_cache_lookup(c, zone, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN,
	    2000, RANK_REFERRAL, NULL);
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 2600,
	    "but keeps the delegation's expiry, not its own TTL (%u)",
	    got != NULL ? ldns_rr_ttl(ldns_rr_list_rr(got, 0)) : 0);
	ldns_rr_list_deep_free(got);
	rrset_cache_store(c, child, NULL, RANK_AUTH_AUTHORITY, SEC_UNCHECKED,
	    4000, 0, 86400, RRSET_TTL_NO_CAP);
	got = rrset_cache_lookup(c, zone, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN,
	    4000, RANK_REFERRAL, NULL);
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 600,
	    "storing it again refreshes nothing (ghost domains)");
	ldns_rr_list_deep_free(got);
	ok(!rrset_cache_store(c, parent, NULL, RANK_REFERRAL, SEC_UNCHECKED,
	    4000, 0, 86400, RRSET_TTL_NO_CAP) &&
	    rrset_cache_store(c, parent, NULL, RANK_REFERRAL, SEC_UNCHECKED,
	    4600, 0, 86400, RRSET_TTL_NO_CAP),
	    "a new referral starts a new lifetime once it has expired");
	ldns_rr_list_deep_free(parent);
	ldns_rr_list_deep_free(child);
	ldns_rdf_deep_free(zone);
	rrset_cache_free(c);
}

/*
 * The TTL left of the cached (owner, type) RRset at `now` (0: none), and
 * in *rdata its first record's first rdata field as text.
 */
static uint32_t
cached_ttl(struct rrset_cache *c, const char *owner, ldns_rr_type type,
    time_t now, struct rrset_info *info, char *rdata, size_t len)
{
	ldns_rdf *name = ldns_dname_new_frm_str(owner);
	ldns_rr_list *got = rrset_cache_lookup(c, name, type, LDNS_RR_CLASS_IN,
	    now, RANK_GLUE, info);
	uint32_t ttl = 0;
	char *text;

	if (rdata != NULL)
		snprintf(rdata, len, "-");
	if (got != NULL) {
		ttl = ldns_rr_ttl(ldns_rr_list_rr(got, 0));
		if (rdata != NULL && (text = ldns_rdf2str(ldns_rr_rdf(
		    ldns_rr_list_rr(got, 0), 0))) != NULL) {
			snprintf(rdata, len, "%s", text);
			free(text);
		}
	}
	if (info != NULL) {
		ldns_rr_list_deep_free(info->sigs);
		info->sigs = NULL;
	}
	ldns_rr_list_deep_free(got);
	ldns_rdf_deep_free(name);
	return ttl;
}

/*
 * Data seen again is not stored again (Unbound's need_to_update_rrset):
 * a zone's servers repeat their NS set and its addresses in every reply,
 * and a repeat keeps the cached expiry, so that a delegation the parent
 * has removed dies when its TTL runs out however often its servers are
 * asked (ghost domains, CVE-2012-1191), and the reply costs no store.
 */
static void
test_equal_rrset_kept(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rr_list *glue = rrs("ns.a.test. 3600 IN A 192.0.2.53");
	ldns_rr_list *ns = rrs("a.test. 3600 IN NS ns.a.test.");
	ldns_rr_list *pair = rrs("www.a.test. 300 IN A 192.0.2.1");
	ldns_rr_list *pair_again = rrs("www.a.test. 200 IN A 192.0.2.1");
	ldns_rr_list *a = rrs("sec.a.test. 300 IN A 192.0.2.3");
	ldns_rr_list *sig = rrsig("sec.a.test.", "A", 300, 300, 2000000000UL);
	ldns_rr *rr = NULL;
	struct rrset_info info;
	uint32_t ttl;
	bool stored;

	ldns_rr_new_frm_str(&rr, "www.a.test. 300 IN A 192.0.2.2", 0, NULL,
	    NULL);
	ldns_rr_list_push_rr(pair, rr);
	rr = NULL;
	ldns_rr_new_frm_str(&rr, "www.a.test. 200 IN A 192.0.2.2", 0, NULL,
	    NULL);
	ldns_rr_list_push_rr(pair_again, rr);

	rrset_cache_store(c, glue, NULL, RANK_GLUE, SEC_UNCHECKED, 1000, 0,
	    86400, RRSET_TTL_NO_CAP);
	ok(!rrset_cache_store(c, glue, NULL, RANK_GLUE, SEC_UNCHECKED, 2000, 0,
	    86400, RRSET_TTL_NO_CAP), "the same glue again is not stored");
	ttl = cached_ttl(c, "ns.a.test.", LDNS_RR_TYPE_A, 2000, NULL, NULL, 0);
	ok(ttl == 2600, "and the cached glue keeps its expiry (TTL %u, not "
	    "3600)", ttl);
	rrset_cache_store(c, ns, NULL, RANK_REFERRAL, SEC_UNCHECKED, 1000, 0,
	    86400, RRSET_TTL_NO_CAP);
	ok(!rrset_cache_store(c, ns, NULL, RANK_REFERRAL, SEC_UNCHECKED, 2000,
	    0, 86400, RRSET_TTL_NO_CAP), "the same referral NS set again is "
	    "not stored");
	ttl = cached_ttl(c, "a.test.", LDNS_RR_TYPE_NS, 2000, NULL, NULL, 0);
	ok(ttl == 2600, "and the delegation keeps its expiry (TTL %u)", ttl);
	rrset_cache_store(c, pair, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED, 1000,
	    0, 86400, RRSET_TTL_NO_CAP);
	stored = rrset_cache_store(c, pair_again, NULL, RANK_AUTH_ANSWER,
	    SEC_UNCHECKED, 1100, 0, 86400, RRSET_TTL_NO_CAP);
	ttl = cached_ttl(c, "www.a.test.", LDNS_RR_TYPE_A, 1100, NULL, NULL, 0);
	ok(!stored && ttl == 200, "an answer of two records with other TTLs is "
	    "the same data: kept with its expiry (TTL %u)", ttl);
	rrset_cache_store(c, a, sig, RANK_AUTH_ANSWER, SEC_SECURE, 1000, 0,
	    86400, RRSET_TTL_NO_CAP);
	stored = rrset_cache_store(c, a, sig, RANK_AUTH_ANSWER, SEC_SECURE,
	    1100, 0, 86400, RRSET_TTL_NO_CAP);
	ttl = cached_ttl(c, "sec.a.test.", LDNS_RR_TYPE_A, 1100, &info, NULL, 0);
	ok(!stored && ttl == 200 && info.status == SEC_SECURE, "so is a secure "
	    "RRset with the same RRSIG (TTL %u)", ttl);
	stored = rrset_cache_refresh(c, glue, NULL, RANK_GLUE, SEC_UNCHECKED,
	    2000, 0, 86400, RRSET_TTL_NO_CAP);
	ttl = cached_ttl(c, "ns.a.test.", LDNS_RR_TYPE_A, 2000, NULL, NULL, 0);
	ok(stored && ttl == 3600, "rrset_cache_refresh (a prefetch) renews it "
	    "(TTL %u)", ttl);
	ldns_rr_list_deep_free(glue);
	ldns_rr_list_deep_free(ns);
	ldns_rr_list_deep_free(pair);
	ldns_rr_list_deep_free(pair_again);
	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(sig);
	rrset_cache_free(c);
}

/*
 * What is not the same data still replaces the cached RRset: other
 * records, one record more, other RRSIGs, a higher rank, another
 * security status, or an entry that has expired. A changed NS set of the
 * same rank takes the old expiry (Unbound): varying the set does not
 * keep a delegation alive either.
 */
static void
test_changed_rrset_replaces(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rr_list *glue = rrs("ns.a.test. 3600 IN A 192.0.2.53");
	ldns_rr_list *moved = rrs("ns.a.test. 3600 IN A 192.0.2.54");
	ldns_rr_list *more = rrs("ns.a.test. 3600 IN A 192.0.2.54");
	ldns_rr_list *ns = rrs("a.test. 3600 IN NS ns.a.test.");
	ldns_rr_list *ns_moved = rrs("a.test. 3600 IN NS ns2.a.test.");
	ldns_rr_list *a = rrs("sec.a.test. 300 IN A 192.0.2.3");
	ldns_rr_list *sig1 = rrsig("sec.a.test.", "A", 300, 300, 2000000000UL);
	ldns_rr_list *sig2 = rrsig("sec.a.test.", "A", 300, 300, 2000000100UL);
	ldns_rr *rr = NULL;
	struct rrset_info info;
	char rdata[64];
	uint32_t ttl;
	bool stored;

	ldns_rr_new_frm_str(&rr, "ns.a.test. 3600 IN A 192.0.2.55", 0, NULL,
	    NULL);
	ldns_rr_list_push_rr(more, rr);
	rrset_cache_store(c, glue, NULL, RANK_GLUE, SEC_UNCHECKED, 1000, 0,
	    86400, RRSET_TTL_NO_CAP);
	stored = rrset_cache_store(c, moved, NULL, RANK_GLUE, SEC_UNCHECKED,
	    2000, 0, 86400, RRSET_TTL_NO_CAP);
	ttl = cached_ttl(c, "ns.a.test.", LDNS_RR_TYPE_A, 2000, NULL, rdata,
	    sizeof(rdata));
	ok(stored && ttl == 3600 && strcmp(rdata, "192.0.2.54") == 0,
	    "a moved address replaces the glue, with its own TTL (%u, %s)",
	    ttl, rdata);
	ok(rrset_cache_store(c, more, NULL, RANK_GLUE, SEC_UNCHECKED, 2100, 0,
	    86400, RRSET_TTL_NO_CAP) && cached_ttl(c, "ns.a.test.",
	    LDNS_RR_TYPE_A, 2100, NULL, NULL, 0) == 3600,
	    "and so does a record more");
	ok(rrset_cache_store(c, more, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
	    2200, 0, 86400, RRSET_TTL_NO_CAP) && cached_ttl(c, "ns.a.test.",
	    LDNS_RR_TYPE_A, 2200, &info, NULL, 0) == 3600 &&
	    info.rank == RANK_AUTH_ANSWER, "the same data of a higher rank "
	    "replaces it");
	ok(rrset_cache_store(c, more, NULL, RANK_AUTH_ANSWER, SEC_INSECURE,
	    2300, 0, 86400, RRSET_TTL_NO_CAP) && cached_ttl(c, "ns.a.test.",
	    LDNS_RR_TYPE_A, 2300, &info, NULL, 0) == 3600 &&
	    info.status == SEC_INSECURE, "and so does the same data with "
	    "another security status");
	ok(rrset_cache_store(c, more, NULL, RANK_AUTH_ANSWER, SEC_INSECURE,
	    6000, 0, 86400, RRSET_TTL_NO_CAP) && cached_ttl(c, "ns.a.test.",
	    LDNS_RR_TYPE_A, 6000, NULL, NULL, 0) == 3600,
	    "or the same data once the entry has expired");
	rrset_cache_store(c, a, sig1, RANK_AUTH_ANSWER, SEC_SECURE, 1000, 0,
	    86400, RRSET_TTL_NO_CAP);
	ok(rrset_cache_store(c, a, sig2, RANK_AUTH_ANSWER, SEC_SECURE, 1100, 0,
	    86400, RRSET_TTL_NO_CAP) && cached_ttl(c, "sec.a.test.",
	    LDNS_RR_TYPE_A, 1100, NULL, NULL, 0) == 300,
	    "the same records with another RRSIG replace a secure RRset");
	rrset_cache_store(c, ns, NULL, RANK_REFERRAL, SEC_UNCHECKED, 1000, 0,
	    86400, RRSET_TTL_NO_CAP);
	stored = rrset_cache_store(c, ns_moved, NULL, RANK_REFERRAL,
	    SEC_UNCHECKED, 2000, 0, 86400, RRSET_TTL_NO_CAP);
	ttl = cached_ttl(c, "a.test.", LDNS_RR_TYPE_NS, 2000, NULL, rdata,
	    sizeof(rdata));
	ok(stored && ttl == 2600 && strcmp(rdata, "ns2.a.test.") == 0,
	    "a changed NS set replaces the referral's but keeps its expiry "
	    "(%u, %s)", ttl, rdata);
	ldns_rr_list_deep_free(glue);
	ldns_rr_list_deep_free(moved);
	ldns_rr_list_deep_free(more);
	ldns_rr_list_deep_free(ns);
	ldns_rr_list_deep_free(ns_moved);
	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(sig1);
	ldns_rr_list_deep_free(sig2);
	rrset_cache_free(c);
}

/* alias.a.test. CNAME www.b.test., www.b.test. A: an engine-style answer. */
static size_t
chain_answer(uint8_t *out, size_t cap)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = NULL, *cname = NULL, *a = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	ldns_rr_new_question_frm_str(&q, "ALIAS.a.test. IN A", NULL, NULL);
	ldns_rr_new_frm_str(&cname, "alias.a.test. 300 IN CNAME www.b.test.",
	    0, NULL, NULL);
	ldns_rr_new_frm_str(&a, "www.b.test. 300 IN A 192.0.2.1", 0, NULL,
	    NULL);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, cname);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, a);
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || len > cap)
		len = 0;
	else
		memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(pkt);
	return len;
}

/* Answers follow the RRsets they hold: updates and flushes reach them. */
static void
test_answers_follow_rrsets(void)
{
	struct rrset_cache *rrsets = rrset_cache_new(1 << 20);
	struct answer_cache *answers = answer_cache_new(1 << 20);
	ldns_rdf *www = ldns_dname_new_frm_str("www.b.test.");
	ldns_rr_list *a = rrs("www.b.test. 300 IN A 192.0.2.1");
	ldns_rr_list *a_again = rrs("www.b.test. 250 IN A 192.0.2.1");
	ldns_rr_list *moved = rrs("www.b.test. 300 IN A 192.0.2.99");
	uint8_t wire[512], out[512], key[ANSWER_KEY_MAX], name_key[256];
	const uint8_t qname[] = "\005alias\001a\004test";
	size_t len = chain_answer(wire, sizeof(wire)), keylen, got, name_len;
	enum sec_status status = SEC_UNCHECKED;

	keylen = answer_key(key, qname, sizeof(qname), LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, false, false);
	answer_cache_follow(answers, rrsets);
	rrset_cache_store(rrsets, a, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
	    1000, 0, 86400, RRSET_TTL_NO_CAP);
	ok(len > 0 && answer_cache_store(answers, key, keylen, wire, len, 300,
	    SEC_UNCHECKED, 1000), "a CNAME chain's answer is stored");
	rrset_cache_store(rrsets, a_again, NULL, RANK_AUTH_ANSWER,
	    SEC_UNCHECKED, 1050, 0, 86400, RRSET_TTL_NO_CAP);
	ok(answer_cache_copy(answers, key, keylen, 1050, false, out,
	    sizeof(out), &got, NULL, NULL) == ANSWER_FRESH,
	    "the same data stored again leaves it alone");
	answer_cache_store(answers, key, keylen, wire, len, 300, SEC_SECURE,
	    1050);
	ok(answer_cache_copy(answers, key, keylen, 1050, false, out,
	    sizeof(out), &got, NULL, &status) == ANSWER_FRESH &&
	    status == SEC_SECURE, "a hit returns the answer's security status");
	rrset_cache_store(rrsets, moved, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
	    1060, 0, 86400, RRSET_TTL_NO_CAP);
	ok(answer_cache_copy(answers, key, keylen, 1060, true, out,
	    sizeof(out), &got, NULL, NULL) == ANSWER_MISS,
	    "new data for the chain's target makes the answer a miss");
	answer_cache_store(answers, key, keylen, wire, len, 300, SEC_UNCHECKED,
	    1070);
	rrset_cache_flush(rrsets, www, false);
	ok(answer_cache_copy(answers, key, keylen, 1070, true, out,
	    sizeof(out), &got, NULL, NULL) == ANSWER_MISS,
	    "flushing the target from the RRset cache reaches the answer");
	answer_cache_store(answers, key, keylen, wire, len, 300, SEC_UNCHECKED,
	    1080);
	name_len = dname_key(www, name_key);
	ok(answer_cache_flush(answers, name_key, name_len, false) == 1 &&
	    answer_cache_copy(answers, key, keylen, 1080, true, out,
	    sizeof(out), &got, NULL, NULL) == ANSWER_MISS,
	    "flushing a name removes the answers whose chain holds it");
	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(a_again);
	ldns_rr_list_deep_free(moved);
	ldns_rdf_deep_free(www);
	answer_cache_free(answers);
	rrset_cache_free(rrsets);
}

/* gone.a.test. NXDOMAIN with a.test.'s SOA: an engine-style answer. */
static size_t
nxdomain_answer(uint8_t *out, size_t cap)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = NULL, *soa = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	ldns_rr_new_question_frm_str(&q, "Gone.a.test. IN AAAA", NULL, NULL);
	ldns_rr_new_frm_str(&soa, "a.test. 300 IN SOA ns.a.test. h.a.test. "
	    "1 3600 600 86400 300", 0, NULL, NULL);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_rcode(pkt, LDNS_RCODE_NXDOMAIN);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, soa);
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || len > cap)
		len = 0;
	else
		memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(pkt);
	return len;
}

/*
 * Answer hits keep the RRset cache entries they were built from (a CNAME
 * chain's RRsets, a negative entry) through churn, as a lookup would; an
 * entry stored with them that no answer holds is evicted, which shows
 * the churn is enough to evict them otherwise.
 */
static void
test_answer_hits_keep_rrsets(void)
{
	struct rrset_cache *rrsets = rrset_cache_new(256 << 10);
	struct answer_cache *answers = answer_cache_new(1 << 20);
	ldns_rr_list *cname = rrs("alias.a.test. 3600 IN CNAME www.b.test.");
	ldns_rr_list *a = rrs("www.b.test. 3600 IN A 192.0.2.1");
	ldns_rr_list *unused = rrs("unused.b.test. 3600 IN A 192.0.2.2");
	ldns_rr_list *soa = rrs("a.test. 300 IN SOA ns.a.test. h.a.test. "
	    "1 3600 600 86400 300");
	ldns_rdf *gone = ldns_dname_new_frm_str("gone.a.test.");
	uint8_t wire[512], nxwire[512], out[512], key[ANSWER_KEY_MAX];
	uint8_t nxkey[ANSWER_KEY_MAX];
	const uint8_t qname[] = "\005alias\001a\004test";
	const uint8_t nxname[] = "\004gone\001a\004test";
	size_t len = chain_answer(wire, sizeof(wire)), keylen, got;
	size_t nxlen = nxdomain_answer(nxwire, sizeof(nxwire)), nxkeylen;
	unsigned hits = 0, kept = 0;
	time_t now = 1000;
	ldns_pkt_rcode rcode;
	ldns_rr_list *list;

	keylen = answer_key(key, qname, sizeof(qname), LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, false, false);
	nxkeylen = answer_key(nxkey, nxname, sizeof(nxname), LDNS_RR_TYPE_AAAA,
	    LDNS_RR_CLASS_IN, false, false);
	answer_cache_follow(answers, rrsets);
	rrset_cache_store(rrsets, cname, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
	    now, 0, 86400, RRSET_TTL_NO_CAP);
	rrset_cache_store(rrsets, a, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
	    now, 0, 86400, RRSET_TTL_NO_CAP);
	rrset_cache_store(rrsets, unused, NULL, RANK_AUTH_ANSWER,
	    SEC_UNCHECKED, now, 0, 86400, RRSET_TTL_NO_CAP);
	rrset_cache_store_negative(rrsets, gone, LDNS_RR_TYPE_AAAA,
	    LDNS_RR_CLASS_IN, LDNS_RCODE_NXDOMAIN, soa, NULL, SEC_UNCHECKED,
	    3600, now);
	answer_cache_store(answers, key, keylen, wire, len, 3600,
	    SEC_UNCHECKED, now);
	answer_cache_store(answers, nxkey, nxkeylen, nxwire, nxlen, 3600,
	    SEC_UNCHECKED, now);
	/* Ten thousand other RRsets: 16 KiB shards turn over many times. */
	for (unsigned i = 0; i < 10000; i++) {
		char text[80];
		ldns_rr_list *other;

		snprintf(text, sizeof(text), "n%u.c.test. 3600 IN A 192.0.2.3",
		    i);
		other = rrs(text);
		rrset_cache_store(rrsets, other, NULL, RANK_AUTH_ANSWER,
		    SEC_UNCHECKED, now, 0, 86400, RRSET_TTL_NO_CAP);
		ldns_rr_list_deep_free(other);
		if (i % 20 != 0)
			continue;
		now++;
		hits += answer_cache_copy(answers, key, keylen, now, false, out,
		    sizeof(out), &got, NULL, NULL) == ANSWER_FRESH;
		hits += answer_cache_copy(answers, nxkey, nxkeylen, now, false,
		    out, sizeof(out), &got, NULL, NULL) == ANSWER_FRESH;
	}
	ok(len > 0 && nxlen > 0 && hits == 1000, "both answers were hit "
	    "throughout (%u hits)", hits);
	list = rrset_cache_lookup(rrsets, ldns_rr_owner(ldns_rr_list_rr(cname,
	    0)), LDNS_RR_TYPE_CNAME, LDNS_RR_CLASS_IN, now, RANK_GLUE, NULL);
	kept += list != NULL;
	ldns_rr_list_deep_free(list);
	list = rrset_cache_lookup(rrsets, ldns_rr_owner(ldns_rr_list_rr(a, 0)),
	    LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now, RANK_GLUE, NULL);
	kept += list != NULL;
	ldns_rr_list_deep_free(list);
	ok(kept == 2, "the chain's CNAME and A RRsets are kept (%u of 2)",
	    kept);
	ok(rrset_cache_lookup_negative(rrsets, gone, LDNS_RR_TYPE_AAAA,
	    LDNS_RR_CLASS_IN, now, &rcode, NULL, NULL) &&
	    rcode == LDNS_RCODE_NXDOMAIN, "the NXDOMAIN entry is kept");
	list = rrset_cache_lookup(rrsets, ldns_rr_owner(ldns_rr_list_rr(unused,
	    0)), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, now, RANK_GLUE, NULL);
	ok(list == NULL, "an RRset no answer holds is evicted");
	ldns_rr_list_deep_free(list);
	ldns_rr_list_deep_free(cname);
	ldns_rr_list_deep_free(a);
	ldns_rr_list_deep_free(unused);
	ldns_rr_list_deep_free(soa);
	ldns_rdf_deep_free(gone);
	answer_cache_free(answers);
	rrset_cache_free(rrsets);
}

/* What the touch race's two threads share. */
struct touch_race {
	struct rrset_cache *rrsets;
	struct answer_cache *answers;
	uint8_t key[ANSWER_KEY_MAX], wire[512];
	size_t keylen, len;
	unsigned done;			/* atomic */
};

/*
 * Stores other RRsets (evicting), and now and then the chain's target
 * with new data (the old entry freed, the answer outdated) and the
 * answer again.
 */
static void *
touch_race_churn(void *arg)
{
	struct touch_race *r = arg;

	for (unsigned i = 0; i < 20000; i++) {
		char text[80];
		ldns_rr_list *list;

		snprintf(text, sizeof(text), i % 16 == 0 ?
		    "www.b.test. 3600 IN A 192.0.2.%u" :
		    "n%u.c.test. 3600 IN A 192.0.2.3", i % 16 == 0 ? i % 250 : i);
		list = rrs(text);
		rrset_cache_store(r->rrsets, list, NULL, RANK_AUTH_ANSWER,
		    SEC_UNCHECKED, 1000, 0, 86400, RRSET_TTL_NO_CAP);
		ldns_rr_list_deep_free(list);
		if (i % 16 == 0)
			answer_cache_store(r->answers, r->key, r->keylen, r->wire,
			    r->len, 3600, SEC_UNCHECKED, 1000);
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Answer hits touch their RRsets (a shared lock, a referenced bit) while
 * another thread stores, replaces and evicts them: run under TSan
 * (--enable-tsan) this is the race check of rrset_cache_touch.
 */
static void
test_touch_race(void)
{
	static struct touch_race r;
	const uint8_t qname[] = "\005alias\001a\004test";
	uint8_t out[512];
	unsigned hits = 0, tries = 0;
	time_t now = 1000;
	pthread_t churn;
	size_t got;

	r.rrsets = rrset_cache_new(256 << 10);
	r.answers = answer_cache_new(1 << 20);
	answer_cache_follow(r.answers, r.rrsets);
	r.len = chain_answer(r.wire, sizeof(r.wire));
	r.keylen = answer_key(r.key, qname, sizeof(qname), LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, false, false);
	answer_cache_store(r.answers, r.key, r.keylen, r.wire, r.len, 3600,
	    SEC_UNCHECKED, 1000);
	pthread_create(&churn, NULL, touch_race_churn, &r);
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
		/* A new second each time: every hit touches. */
		hits += answer_cache_copy(r.answers, r.key, r.keylen, ++now % 3000
		    + 1000, false, out, sizeof(out), &got, NULL, NULL) ==
		    ANSWER_FRESH;
		tries++;
	}
	pthread_join(churn, NULL);
	ok(r.len > 0 && tries > 0, "answer hits touched their RRsets while "
	    "another thread stored and evicted them (%u hits of %u)", hits,
	    tries);
	answer_cache_free(r.answers);
	rrset_cache_free(r.rrsets);
}

/*
 * answer_key lowercases eight bytes at a time: every byte value, at every
 * position of names shorter than a word, a word long and longer (where
 * the last word overlaps the one before), becomes what a byte-by-byte
 * ASCII lowercase makes of it, and nothing else changes.
 */
static void
test_answer_key_case(void)
{
	static const size_t lengths[] = { 1, 5, 8, 9, 13, 16, 23, 40 };
	uint8_t name[64], key[ANSWER_KEY_MAX];
	unsigned wrong = 0, checked = 0;

	for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
		size_t len = lengths[l];

		for (size_t at = 0; at < len; at++) {
			for (unsigned c = 0; c < 256; c++) {
				uint8_t want = c >= 'A' && c <= 'Z' ?
				    (uint8_t)(c + 32) : (uint8_t)c;

				memset(name, 'Q', len);
				name[at] = (uint8_t)c;
				bool cd = (c & 1) != 0;

				if (answer_key(key, name, len, 0x0102, 0x0304,
				    true, cd) != len + 5)
					wrong++;
				for (size_t i = 0; i < len; i++)
					wrong += key[i] != (i == at ? want :
					    'q');
				/* Type and class in network order, the flags. */
				wrong += key[len] != 1 || key[len + 1] != 2 ||
				    key[len + 2] != 3 || key[len + 3] != 4 ||
				    key[len + 4] != (cd ? 3 : 1);
				checked++;
			}
		}
	}
	ok(wrong == 0, "answer_key: %u wrong bytes lowercasing %u names",
	    wrong, checked);
}

/*
 * The batch prefetch (answer_cache_prefetch_*, its steps over keys present
 * and absent, before and after the tables grew) changes nothing: every
 * lookup after it gets what answer_cache_copy gets, bytes and freshness,
 * and answer_cache_copy_hashed is answer_cache_copy.
 */
static void
test_answer_prefetch(void)
{
	struct rrset_cache *rrsets = rrset_cache_new(1 << 20);
	struct answer_cache *answers = answer_cache_new(64 << 20);
	ldns_rr_list *a = rrs("www.b.test. 300 IN A 192.0.2.1");
	uint8_t wire[512], out[512], out2[512], key[ANSWER_KEY_MAX];
	uint8_t qname[] = "\005alias\001a\004test";
	size_t len = chain_answer(wire, sizeof(wire)), keylen, got, got2;
	unsigned same = 0, hits = 0;
	const unsigned names = 40000;	/* past 16 shards of 1024 buckets */

	answer_cache_follow(answers, rrsets);
	rrset_cache_store(rrsets, a, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
	    1000, 0, 86400, RRSET_TTL_NO_CAP);
	for (unsigned round = 0; round < 2; round++) {
		/* Round 0 with a few answers; round 1 after the tables grew. */
		for (unsigned i = 0; i < (round == 0 ? 8 : names); i++) {
			qname[1] = (uint8_t)('a' + i % 26);
			keylen = answer_key(key, qname, sizeof(qname), (uint16_t)
			    (1 + i / 26), LDNS_RR_CLASS_IN, false, false);
			answer_cache_store(answers, key, keylen, wire, len, 300,
			    SEC_UNCHECKED, 1000);
		}
		same = hits = 0;
		for (unsigned i = 0; i < names + 100; i++) {
			enum answer_freshness f1, f2;
			uint32_t hash;

			qname[1] = (uint8_t)('a' + i % 26);
			keylen = answer_key(key, qname, sizeof(qname), (uint16_t)
			    (1 + i / 26), LDNS_RR_CLASS_IN, false, false);
			hash = answer_cache_hash(answers, key, keylen);
			answer_cache_prefetch_bucket(answers, hash);
			answer_cache_prefetch_entries(answers, &hash, 1);
			f1 = answer_cache_copy_hashed(answers, hash, key,
			    keylen, 1010, false, out, sizeof(out), &got, NULL,
			    NULL);
			f2 = answer_cache_copy(answers, key, keylen, 1010, false,
			    out2, sizeof(out2), &got2, NULL, NULL);
			hits += f1 == ANSWER_FRESH;
			same += f1 == f2 && (f1 == ANSWER_MISS ||
			    (got == got2 && memcmp(out, out2, got) == 0));
		}
		ok(same == names + 100 && hits == (round == 0 ? 8 : names),
		    "prefetch %s: %u of %u lookups as without it, %u hits",
		    round == 0 ? "in small tables" : "after the tables grew",
		    same, names + 100, hits);
	}
	ldns_rr_list_deep_free(a);
	answer_cache_free(answers);
	rrset_cache_free(rrsets);
}

struct prefetch_race {
	struct answer_cache *answers;
	const uint8_t *wire;
	size_t len;
	int done;			/* atomic */
};

/* Stores answers, growing the tables, while the main thread prefetches. */
static void *
prefetch_race_writer(void *arg)
{
	struct prefetch_race *r = arg;
	uint8_t key[ANSWER_KEY_MAX];
	uint8_t qname[] = "\005alias\001a\004test";

	for (unsigned i = 0; i < 30000; i++) {
		size_t keylen;

		qname[1] = (uint8_t)('a' + i % 26);
		keylen = answer_key(key, qname, sizeof(qname), (uint16_t)
		    (1 + i / 26), LDNS_RR_CLASS_IN, false, false);
		answer_cache_store(r->answers, key, keylen, r->wire, r->len,
		    300, SEC_UNCHECKED, 1000);
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Prefetching while another thread stores (lru_grow swaps the bucket
 * arrays under the steps' feet) neither crashes nor, under TSan, races.
 */
static void
test_answer_prefetch_race(void)
{
	struct prefetch_race r = { .answers = answer_cache_new(64 << 20) };
	uint8_t wire[512], key[ANSWER_KEY_MAX], out[512];
	uint8_t qname[] = "\005alias\001a\004test";
	unsigned long rounds = 0, hits = 0;
	pthread_t writer;

	r.len = chain_answer(wire, sizeof(wire));
	r.wire = wire;
	pthread_create(&writer, NULL, prefetch_race_writer, &r);
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
		unsigned i = (unsigned)(rounds++ % 30000);
		size_t keylen, got;
		uint32_t hash;

		qname[1] = (uint8_t)('a' + i % 26);
		keylen = answer_key(key, qname, sizeof(qname), (uint16_t)
		    (1 + i / 26), LDNS_RR_CLASS_IN, false, false);
		hash = answer_cache_hash(r.answers, key, keylen);
		answer_cache_prefetch_bucket(r.answers, hash);
		answer_cache_prefetch_entries(r.answers, &hash, 1);
		hits += answer_cache_copy_hashed(r.answers, hash, key, keylen,
		    1010, false, out, sizeof(out), &got, NULL, NULL) ==
		    ANSWER_FRESH;
	}
	pthread_join(writer, NULL);
	ok(answer_cache_count(r.answers) == 30000,
	    "prefetch beside a growing table: %lu rounds, %lu hits", rounds,
	    hits);
	answer_cache_free(r.answers);
}

/* Records come back from the packed form as they went in. */
static void
test_packed_round_trip(void)
{
	static const char *const sets[] = {
		"example.com. 300 IN MX 10 mail.example.com.\n"
		"example.com. 300 IN MX 20 mx2.Example.COM.",
		"example.com. 300 IN SOA ns1.example.com. h.example.com. "
		"2024010101 3600 600 86400 300",
		"t.example.com. 300 IN TXT \"one\" \"two words\"\n"
		"t.example.com. 300 IN TXT \"\"",
		"v6.example.com. 300 IN AAAA 2001:db8::1",
		"_s._tcp.example.com. 300 IN SRV 0 5 443 www.example.com.",
		"Mixed.Case.example.com. 300 IN A 192.0.2.7",
	};
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	unsigned same = 0;

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		ldns_rr_list *in = ldns_rr_list_new(), *out;
		char *copy = strdup(sets[i]), *line, *save = NULL;

		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save)) {
			ldns_rr *rr = NULL;

			ldns_rr_new_frm_str(&rr, line, 0, NULL, NULL);
			ldns_rr_list_push_rr(in, rr);
		}
		free(copy);
		rrset_cache_store(c, in, NULL, RANK_AUTH_ANSWER, SEC_UNCHECKED,
		    1000, 0, 86400, RRSET_TTL_NO_CAP);
		out = rrset_cache_lookup(c,
		    ldns_rr_owner(ldns_rr_list_rr(in, 0)),
		    ldns_rr_get_type(ldns_rr_list_rr(in, 0)), LDNS_RR_CLASS_IN,
		    1000, RANK_GLUE, NULL);
		if (out != NULL && ldns_rr_list_compare(in, out) == 0 &&
		    ldns_rr_ttl(ldns_rr_list_rr(out, 0)) == 300 &&
		    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(in, 0)),
		    ldns_rr_owner(ldns_rr_list_rr(out, 0))) == 0)
			same++;
		else
			diag("set %zu differs", i);
		ldns_rr_list_deep_free(in);
		ldns_rr_list_deep_free(out);
	}
	ok(same == sizeof(sets) / sizeof(sets[0]),
	    "MX, SOA, TXT, AAAA, SRV and A sets come back as stored (%u)",
	    same);
	rrset_cache_free(c);
}

/* The bench's typical name: one A record from a wildcard, no DNSSEC. */
#define TYPICAL_NAME	"m12345.wild.example.com."
static const uint8_t typical_qname[] =
    "\006m12345\004wild\007example\003com";

/* An engine-style answer for TYPICAL_NAME A whose record has `ttl`. */
static size_t
typical_answer(uint8_t *out, size_t cap, uint32_t ttl)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = NULL, *a = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	ldns_rr_new_question_frm_str(&q, TYPICAL_NAME " IN A", NULL, NULL);
	ldns_rr_new_frm_str(&a, TYPICAL_NAME " 300 IN A 192.0.2.60", 0, NULL,
	    NULL);
	ldns_rr_set_ttl(a, ttl);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, a);
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || len > cap)
		len = 0;
	else
		memcpy(out, wire, len);
	free(wire);
	ldns_pkt_free(pkt);
	return len;
}

/* The TTL of the answer's one record, as a hit patched it. */
static uint32_t
typical_ttl(const uint8_t *wire, size_t len)
{
	const uint8_t *p = wire + len - 10;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * An answer's expiry is computed from its store time and TTL (not kept):
 * freshness, the TTL countdown, serve-stale's window, the prefetch point
 * and dump-cache's TTL, each checked a second before and at its boundary,
 * for answers stored now, across 2038 (INT32_MAX) and 2106 (UINT32_MAX)
 * and far past them, with a TTL of an hour and of UINT32_MAX seconds:
 * an expiry kept in 32 bits, or added up in them, fails here.
 */
static void
test_answer_clock(void)
{
	const time_t bases[] = {
		1000, (time_t)INT32_MAX - 10, (time_t)UINT32_MAX - 10,
		(time_t)1 << 40,
	};
	const uint32_t ttls[] = { 3600, UINT32_MAX };
	uint8_t wire[512], out[512], key[ANSWER_KEY_MAX];
	size_t keylen, got, wire_len;
	unsigned cases = 0, right = 0;

	keylen = answer_key(key, typical_qname, sizeof(typical_qname),
	    LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, false, false);
	wire_len = typical_answer(wire, sizeof(wire), 3600);
	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
	for (size_t t = 0; t < sizeof(ttls) / sizeof(ttls[0]); t++) {
		struct answer_cache *answers = answer_cache_new(1 << 20);
		time_t now = bases[b], expires = now + (time_t)ttls[t];
		/* Seconds left when it is no longer "under a tenth". */
		uint32_t ttl = ttls[t], tenth = (uint32_t)((ttl + 9ull) / 10);
		bool prefetch = true, fine = true, step;
		char *dump = NULL, line[160];
		size_t dump_len = 0;
		FILE *f;

		cases++;
		answer_cache_store(answers, key, keylen, wire, wire_len, ttl,
		    SEC_INSECURE, now);
		/* Ten seconds in: counted down, not yet worth a prefetch. */
		step = answer_cache_copy(answers, key, keylen, now + 10, true,
		    out, sizeof(out), &got, &prefetch, NULL) == ANSWER_FRESH &&
		    got == wire_len && typical_ttl(out, got) == 3590 &&
		    !prefetch;
		if (!step)
			diag("base %lld ttl %u: the hit 10 s in",
			    (long long)now, ttl);
		fine = fine && step;
		/* The prefetch starts once less than a tenth is left. */
		step = answer_cache_copy(answers, key, keylen, expires - tenth,
		    true, out, sizeof(out), &got, &prefetch, NULL) ==
		    ANSWER_FRESH && !prefetch &&
		    answer_cache_copy(answers, key, keylen,
		    expires - tenth + 1, true, out, sizeof(out), &got,
		    &prefetch, NULL) == ANSWER_FRESH && prefetch;
		if (!step)
			diag("base %lld ttl %u: the prefetch point",
			    (long long)now, ttl);
		fine = fine && step;
		/* Fresh to its last second, then stale (never without leave). */
		step = answer_cache_copy(answers, key, keylen, expires - 1,
		    false, out, sizeof(out), &got, NULL, NULL) ==
		    ANSWER_FRESH && typical_ttl(out, got) ==
		    (ttl == 3600 ? 1u : 0u) &&
		    answer_cache_copy(answers, key, keylen, expires, false,
		    out, sizeof(out), &got, NULL, NULL) == ANSWER_MISS &&
		    answer_cache_copy(answers, key, keylen, expires, true,
		    out, sizeof(out), &got, NULL, NULL) == ANSWER_STALE &&
		    typical_ttl(out, got) == LIMIT_STALE_ANSWER_TTL;
		if (!step)
			diag("base %lld ttl %u: the expiry", (long long)now,
			    ttl);
		fine = fine && step;
		/* Served stale for LIMIT_STALE_MAX_AGE seconds, not one more. */
		step = answer_cache_copy(answers, key, keylen,
		    expires + LIMIT_STALE_MAX_AGE - 1, true, out, sizeof(out),
		    &got, NULL, NULL) == ANSWER_STALE &&
		    answer_cache_copy(answers, key, keylen,
		    expires + LIMIT_STALE_MAX_AGE, true, out, sizeof(out),
		    &got, NULL, NULL) == ANSWER_MISS;
		if (!step)
			diag("base %lld ttl %u: the stale window",
			    (long long)now, ttl);
		fine = fine && step;
		/* dump-cache: the seconds left, then nothing once expired. */
		snprintf(line, sizeof(line), "answer " TYPICAL_NAME " type=1 "
		    "ttl=%lld rcode=0 size=%zu\n", (long long)ttl - 10,
		    wire_len);
		f = open_memstream(&dump, &dump_len);
		answer_cache_dump(answers, f, now + 10);
		answer_cache_dump(answers, f, expires);
		fclose(f);
		step = strcmp(dump, line) == 0;
		if (!step)
			diag("base %lld ttl %u: dump \"%s\"", (long long)now,
			    ttl, dump);
		fine = fine && step;
		free(dump);
		right += fine;
		answer_cache_free(answers);
	}
	ok(right == cases, "answer expiry, countdown, stale window, prefetch "
	    "and dump at their boundaries, across 2038 and 2106: %u of %u",
	    right, cases);
}

/*
 * What one cached name costs, in heap chunks (malloc_cost, as the caches
 * count them): the bench's typical name, an A record without DNSSEC, is
 * an RRset and an answer. Its RRset was 160 bytes (a 96-byte table entry
 * and a 64-byte entry whose 25-byte header was padded to 32), its answer
 * 208 (a 32-byte header, 8 of them an expiry computed from the rest):
 * the bytes per cached name of issue 16's memory target.
 */
static void
test_entry_sizes(void)
{
	struct rrset_cache *rrsets = rrset_cache_new(1 << 20);
	struct answer_cache *answers = answer_cache_new(1 << 20);
	ldns_rr_list *a = rrs(TYPICAL_NAME " 3600 IN A 192.0.2.60");
	uint8_t wire[512], key[ANSWER_KEY_MAX];
	size_t keylen, len = typical_answer(wire, sizeof(wire), 3600);
	size_t before = rrset_cache_bytes(rrsets);

	rrset_cache_store(rrsets, a, NULL, RANK_AUTH_ANSWER, SEC_INSECURE,
	    1000, 0, 86400, RRSET_TTL_NO_CAP);
	ok(rrset_cache_bytes(rrsets) - before <= 128,
	    "a cached A RRset takes one chunk of at most 128 bytes (%zu)",
	    rrset_cache_bytes(rrsets) - before);
	answer_cache_follow(answers, rrsets);
	keylen = answer_key(key, typical_qname, sizeof(typical_qname),
	    LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, false, false);
	before = answer_cache_bytes(answers);
	answer_cache_store(answers, key, keylen, wire, len, 3600,
	    SEC_INSECURE, 1000);
	ok(answer_cache_bytes(answers) - before <= 192,
	    "its answer takes one chunk of at most 192 bytes (%zu)",
	    answer_cache_bytes(answers) - before);
	ldns_rr_list_deep_free(a);
	answer_cache_free(answers);
	rrset_cache_free(rrsets);
}

/*
 * Rank and status share a byte of an RRset entry: every rank with every
 * status, and a negative entry's rcode and status, come back as stored.
 */
static void
test_rank_status_packing(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rdf *gone = ldns_dname_new_frm_str("gone.p.test.");
	ldns_rr_list *soa = rrs("p.test. 300 IN SOA ns.p.test. h.p.test. "
	    "1 3600 600 86400 300");
	unsigned pairs = 0, right = 0;

	for (int rank = RANK_GLUE; rank <= RANK_AUTH_ANSWER; rank++)
	for (int status = SEC_UNCHECKED; status <= SEC_SECURE; status++) {
		struct rrset_info info = { 0 };
		ldns_rr_list *in, *out;
		char text[80];

		snprintf(text, sizeof(text), "r%ds%d.p.test. 300 IN A "
		    "192.0.2.1", rank, status);
		in = rrs(text);
		rrset_cache_store(c, in, NULL, (enum rrset_rank)rank,
		    (enum sec_status)status, 1000, 0, 86400, RRSET_TTL_NO_CAP);
		out = rrset_cache_lookup(c, ldns_rr_owner(ldns_rr_list_rr(in,
		    0)), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1000, RANK_GLUE,
		    &info);
		pairs++;
		right += out != NULL && info.rank == (enum rrset_rank)rank &&
		    info.status == (enum sec_status)status;
		ldns_rr_list_deep_free(info.sigs);
		ldns_rr_list_deep_free(in);
		ldns_rr_list_deep_free(out);
	}
	ok(right == pairs, "every rank with every status comes back (%u of "
	    "%u)", right, pairs);
	for (int status = SEC_UNCHECKED; status <= SEC_SECURE; status++) {
		struct rrset_info info = { 0 };
		ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
		ldns_rr_list *got_soa = NULL;

		rrset_cache_flush(c, gone, false);
		rrset_cache_store_negative(c, gone, LDNS_RR_TYPE_A,
		    LDNS_RR_CLASS_IN, LDNS_RCODE_NXDOMAIN, soa, NULL,
		    (enum sec_status)status, 300, 1000);
		right += rrset_cache_lookup_negative(c, gone, LDNS_RR_TYPE_A,
		    LDNS_RR_CLASS_IN, 1000, &rcode, &got_soa, &info) &&
		    rcode == LDNS_RCODE_NXDOMAIN && got_soa != NULL &&
		    info.status == (enum sec_status)status;
		ldns_rr_list_deep_free(got_soa);
		ldns_rr_list_deep_free(info.sigs);
	}
	ok(right == pairs + 5, "a negative entry keeps its rcode and each "
	    "status (%u of 5)", right - pairs);
	ldns_rr_list_deep_free(soa);
	ldns_rdf_deep_free(gone);
	rrset_cache_free(c);
}

int
main(void)
{
	test_lru();
	test_lru_second_chance();
	test_hash_every_byte();
	test_lru_key_compare();
	test_shard_lock();
	test_shard_lock_all();
	test_ranks();
	test_addresses();
	test_negative();
	test_dnssec_data();
	test_dnssec_negative();
	test_ns_lifetime();
	test_equal_rrset_kept();
	test_changed_rrset_replaces();
	test_answers_follow_rrsets();
	test_answer_hits_keep_rrsets();
	test_touch_race();
	test_answer_key_case();
	test_answer_prefetch();
	test_answer_prefetch_race();
	test_packed_round_trip();
	test_answer_clock();
	test_entry_sizes();
	test_rank_status_packing();
	return tap_done();
}
