/*
 * test_caches.c: the LRU bound, and the RRset cache's trust ranks (RFC
 * 2181 §5.4.1), TTL clamping and expiry, and negative entries (RFC 2308,
 * RFC 8020).
 */
#include <string.h>

#include "lru.h"
#include "rrset_cache.h"
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

static void
test_ranks(void)
{
	struct rrset_cache *c = rrset_cache_new(1 << 20);
	ldns_rdf *name = ldns_dname_new_frm_str("ns1.example.com.");
	ldns_rr_list *auth = rrs("ns1.example.com. 3600 IN A 192.0.2.1");
	ldns_rr_list *glue = rrs("ns1.example.com. 86400 IN A 203.0.113.9");
	ldns_rr_list *got;
	enum rrset_rank rank;

	ok(rrset_cache_store(c, auth, RANK_AUTH_ANSWER, 1000, 0, 86400),
	    "an authoritative answer is stored");
	ok(!rrset_cache_store(c, glue, RANK_GLUE, 1000, 0, 86400),
	    "glue cannot overwrite it");
	got = rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 1100,
	    RANK_ANSWER, &rank);
	ok(got != NULL && rank == RANK_AUTH_ANSWER &&
	    ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 3500,
	    "the answer stays, its TTL counting down");
	ldns_rr_list_deep_free(got);
	ok(rrset_cache_lookup(c, name, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 4600,
	    RANK_GLUE, NULL) == NULL, "and expires");
	ok(rrset_cache_store(c, glue, RANK_GLUE, 4600, 0, 600),
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
	    LDNS_RCODE_NXDOMAIN, soa, 300, 1000);
	ok(rrset_cache_lookup_negative(c, nx, LDNS_RR_TYPE_MX, LDNS_RR_CLASS_IN,
	    1100, &rcode, &got) && rcode == LDNS_RCODE_NXDOMAIN,
	    "NXDOMAIN covers every type");
	ok(got != NULL && ldns_rr_ttl(ldns_rr_list_rr(got, 0)) == 200,
	    "with its SOA, TTL counted down");
	ldns_rr_list_deep_free(got);
	ok(rrset_cache_lookup_negative(c, below, LDNS_RR_TYPE_A,
	    LDNS_RR_CLASS_IN, 1100, &rcode, NULL) && rcode == LDNS_RCODE_NXDOMAIN,
	    "and every name below (RFC 8020)");
	rrset_cache_store_negative(c, www, LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN,
	    LDNS_RCODE_NOERROR, soa, 300, 1000);
	ok(rrset_cache_lookup_negative(c, www, LDNS_RR_TYPE_AAAA,
	    LDNS_RR_CLASS_IN, 1100, &rcode, NULL) && rcode == LDNS_RCODE_NOERROR,
	    "NODATA is kept for its type");
	ok(!rrset_cache_lookup_negative(c, www, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    1100, &rcode, NULL), "and only for its type");
	ok(!rrset_cache_lookup_negative(c, nx, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	    1300, &rcode, NULL), "negative entries expire");
	ok(rrset_cache_flush(c, www, false) == 1, "flush removes a name");
	ldns_rr_list_deep_free(soa);
	ldns_rdf_deep_free(nx);
	ldns_rdf_deep_free(below);
	ldns_rdf_deep_free(www);
	rrset_cache_free(c);
}

int
main(void)
{
	test_lru();
	test_ranks();
	test_negative();
	return tap_done();
}
