/*
 * test_nsec_cache.c: the NSEC cache RFC 8198 synthesises from
 * (resolver/dnssec/nsec_cache.c): canonical order (RFC 4034 §6.1) with
 * uppercase and \000 labels, the NSEC at or before a name, the wrap at the
 * zone's last NSEC, empty non-terminals, the wildcard's NSEC at the closest
 * encloser, nothing denied below a cut or a DNAME, expiry by TTL, SOA cap
 * and RRSIG, the byte bound, flushes, and workers storing and looking up
 * at once (run it under TSan too). NSEC3 chains hashed by ldns: the
 * lookups RFC 8198 synthesis makes (aggressive_nsec3_lookup), opt-out, the
 * iteration limit, expiry, zone cuts and DS, the hashes a flood costs, and
 * workers again. The SOA's TTL and MINIMUM bound NSEC and NSEC3 alike,
 * and the NSECs of wildcard answers (RFC 9077).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "dnssec/aggressive.h"
#include "dnssec/nsec.h"
#include "dnssec/nsec3.h"
#include "dnssec/nsec_cache.h"
#include "engine_limits.h"
#include "reply.h"
#include "request.h"
#include "dnssec_util.h"
#include "tap.h"

#define NOW	((time_t)T_NOW)
/* RRSIG validity: expiration 2026-02-01 (31 days after T_NOW). */
#define SIG_TIMES	"20260201000000 20251201000000"

static const ldns_rr_class IN = LDNS_RR_CLASS_IN;

/* An NSEC and its RRSIG (validity SIG_TIMES) for zone `zone`. */
static void
add_nsec(ldns_rr_list *nsecs, ldns_rr_list *sigs, const char *zone,
    const char *owner, const char *next, unsigned ttl)
{
	char text[512];

	snprintf(text, sizeof(text), "%s %u IN NSEC %s A RRSIG NSEC", owner,
	    ttl, next);
	ldns_rr_list_push_rr(nsecs, t_rr(text));
	snprintf(text, sizeof(text), "%s %u IN RRSIG NSEC 13 3 %u " SIG_TIMES
	    " 4711 %s AAAA", owner, ttl, ttl, zone);
	ldns_rr_list_push_rr(sigs, t_rr(text));
}

/* The zone's SOA (TTL `ttl`, MINIMUM `minimum`) with its RRSIG into
 * `sigs`. */
static ldns_rr_list *
soa_min_of(const char *zone, ldns_rr_list *sigs, unsigned ttl,
    unsigned minimum)
{
	char text[512];

	snprintf(text, sizeof(text), "%s %u IN RRSIG SOA 13 2 %u " SIG_TIMES
	    " 4711 %s AAAA", zone, ttl, ttl, zone);
	ldns_rr_list_push_rr(sigs, t_rr(text));
	snprintf(text, sizeof(text), "%s %u IN SOA ns1.%s host.%s 1 3600 600 "
	    "86400 %u", zone, ttl, zone, zone, minimum);
	return t_list(text, NULL);
}

/* The zone's SOA (TTL `ttl`, MINIMUM 300) with its RRSIG into `sigs`. */
static ldns_rr_list *
soa_of(const char *zone, ldns_rr_list *sigs, unsigned ttl)
{
	return soa_min_of(zone, sigs, ttl, 300);
}

/* Stores a chain: pairs of owner and next name, NULL-terminated. */
static size_t
store_chain(struct nsec_cache *c, const char *zone, unsigned ttl,
    uint32_t cap, time_t now, ...)
{
	ldns_rr_list *nsecs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	ldns_rr_list *soa = soa_of(zone, sigs, 3600);
	ldns_rdf *z = t_name(zone);
	const char *owner, *next;
	va_list ap;
	size_t n;

	va_start(ap, now);
	while ((owner = va_arg(ap, const char *)) != NULL) {
		next = va_arg(ap, const char *);
		add_nsec(nsecs, sigs, zone, owner, next, ttl);
	}
	va_end(ap);
	n = nsec_cache_store(c, z, IN, soa, nsecs, sigs, cap, now);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(soa);
	ldns_rdf_deep_free(z);
	return n;
}

/* One NSEC of `zone` stored at `now` with TTL 3600 (and that cap)
 * without a SOA: what a secure wildcard answer leaves (aggressive_learn). */
static size_t
store_seed(struct nsec_cache *c, const char *zone, const char *owner,
    const char *next, time_t now)
{
	ldns_rr_list *nsecs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	ldns_rdf *z = t_name(zone);
	size_t n;

	add_nsec(nsecs, sigs, zone, owner, next, 3600);
	n = nsec_cache_store(c, z, IN, NULL, nsecs, sigs, 3600, now);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(sigs);
	ldns_rdf_deep_free(z);
	return n;
}

/* Whether the lookup found exactly the NSECs owned by the names given. */
static bool
found_owners(const struct nsec_cache_found *f, ...)
{
	const char *owner;
	size_t n = 0;
	va_list ap;
	bool all = true;

	va_start(ap, f);
	while ((owner = va_arg(ap, const char *)) != NULL) {
		bool seen = false;

		n++;
		for (size_t i = 0; i < ldns_rr_list_rr_count(f->nsecs); i++)
			seen |= dname_str_eq(ldns_rr_owner(
			    ldns_rr_list_rr(f->nsecs, i)), owner);
		all &= seen;
	}
	va_end(ap);
	return all && n == ldns_rr_list_rr_count(f->nsecs);
}

static bool
lookup(struct nsec_cache *c, const char *name, time_t now,
    struct nsec_cache_found *f)
{
	ldns_rdf *n = t_name(name);
	bool got = nsec_cache_lookup(c, n, false, IN, now, f);

	ldns_rdf_deep_free(n);
	return got;
}

static enum sec_status
prove_nxdomain(const char *name, const struct nsec_cache_found *f)
{
	struct dnssec_verdict vd;
	ldns_rdf *n = t_name(name);

	nsec_prove_nxdomain(n, LDNS_RR_TYPE_A, f->zone, f->nsecs, &vd);
	ldns_rdf_deep_free(n);
	return vd.status;
}

static int
canonical(const char *a, const char *b)
{
	ldns_rdf *ra = t_name(a), *rb = t_name(b);
	uint8_t ka[DNAME_WIRE_MAX], kb[DNAME_WIRE_MAX];
	size_t la = dname_key(ra, ka), lb = dname_key(rb, kb);
	int c = nsec_cache_canonical_compare(ka, la, kb, lb);

	ldns_rdf_deep_free(ra);
	ldns_rdf_deep_free(rb);
	return c < 0 ? -1 : c > 0;
}

static void
test_canonical_order(void)
{
	/* RFC 4034 §6.1's example, in order. */
	static const char *rfc[] = { "example.", "a.example.",
	    "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.",
	    "z.example.", "\\001.z.example.", "*.z.example.",
	    "\\200.z.example." };
	bool sorted = true;

	for (size_t i = 0; i + 1 < sizeof(rfc) / sizeof(rfc[0]); i++)
		if (canonical(rfc[i], rfc[i + 1]) >= 0 ||
		    canonical(rfc[i + 1], rfc[i]) <= 0) {
			diag("%s !< %s", rfc[i], rfc[i + 1]);
			sorted = false;
		}
	ok(sorted, "RFC 4034 §6.1's names sort in its order");
	ok(canonical("WWW.Example.COM.", "www.example.com.") == 0,
	    "case does not count");
	/* A label-separator sort key gets these wrong: "a" < "a\000" decides. */
	ok(canonical("b.a.example.", "a\\000.example.") < 0,
	    "b.a.example sorts before a\\000.example");
	ok(canonical("a.example.", "a\\000.example.") < 0 &&
	    canonical("a\\000.example.", "a\\001.example.") < 0,
	    "a < a\\000 < a\\001");
	ok(canonical(".", "com.") < 0 && canonical("com.", ".") > 0,
	    "the root comes first");
}

static void
test_cover_and_wrap(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	struct nsec_cache_found f;

	ok(store_chain(c, "example.com.", 300, UINT32_MAX, NOW,
	    "example.com.", "a.example.com.",
	    "a.example.com.", "m.example.com.",
	    "m.example.com.", "b.x.example.com.",
	    "b.x.example.com.", "z.example.com.",
	    "z.example.com.", "example.com.", NULL) == 5,
	    "a five-NSEC chain is stored");
	ok(lookup(c, "b.example.com.", NOW, &f) &&
	    dname_str_eq(f.zone, "example.com.") &&
	    found_owners(&f, "a.example.com.", "example.com.", NULL) &&
	    prove_nxdomain("b.example.com.", &f) == SEC_SECURE,
	    "a name between two owners: the NSEC before it, and the apex NSEC "
	    "denying *.example.com");
	ok(ldns_rr_list_rr_count(f.soa) == 1 &&
	    ldns_rr_list_rr_count(f.sigs) == 3 && f.ttl == 300,
	    "with the SOA, the RRSIGs of all three, TTL 300");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "zz.example.com.", NOW + 10, &f) &&
	    found_owners(&f, "z.example.com.", "example.com.", NULL) &&
	    prove_nxdomain("zz.example.com.", &f) == SEC_SECURE &&
	    f.ttl == 290, "after the last owner: the last NSEC wraps to the "
	    "apex (TTL counted down)");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "deep.below.zz.example.com.", NOW, &f) &&
	    found_owners(&f, "z.example.com.", "example.com.", NULL) &&
	    prove_nxdomain("deep.below.zz.example.com.", &f) == SEC_SECURE,
	    "a deep name: the closest encloser is the apex");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "A.Example.COM.", NOW, &f) &&
	    found_owners(&f, "a.example.com.", NULL),
	    "a name an NSEC owns, in other case: that NSEC alone");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "x.example.com.", NOW, &f) &&
	    found_owners(&f, "m.example.com.", NULL) &&
	    prove_nxdomain("x.example.com.", &f) == SEC_BOGUS,
	    "an empty non-terminal is covered but not denied: its next name "
	    "is below it");
	{
		struct dnssec_verdict vd;
		ldns_rdf *x = t_name("x.example.com.");

		nsec_prove_nodata(x, LDNS_RR_TYPE_A, f.zone, f.nsecs, &vd);
		ok(vd.status == SEC_SECURE, "so it proves NODATA");
		ldns_rdf_deep_free(x);
	}
	nsec_cache_found_clear(&f);
	ok(lookup(c, "c.x.example.com.", NOW, &f) &&
	    found_owners(&f, "b.x.example.com.", "m.example.com.", NULL) &&
	    prove_nxdomain("c.x.example.com.", &f) == SEC_SECURE,
	    "below an empty non-terminal: the wildcard at x.example.com is "
	    "looked up");
	nsec_cache_found_clear(&f);
	ok(!lookup(c, "other.org.", NOW, &f) && f.zone == NULL,
	    "no zone enclosing the name: nothing");
	nsec_cache_free(c);

	c = nsec_cache_new(1 << 20);
	store_chain(c, "example.com.", 300, UINT32_MAX, NOW,
	    "m.example.com.", "z.example.com.", NULL);
	ok(!lookup(c, "b.example.com.", NOW, &f),
	    "a name before every cached owner (apex NSEC not cached): nothing");
	ok(lookup(c, "zz.example.com.", NOW, &f) &&
	    found_owners(&f, "m.example.com.", NULL) &&
	    prove_nxdomain("zz.example.com.", &f) == SEC_BOGUS,
	    "past a last NSEC that is not the zone's last: it does not cover");
	nsec_cache_found_clear(&f);
	nsec_cache_free(c);
}

static void
test_odd_labels(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	struct nsec_cache_found f;

	/* Canonical: example.com, a, b.a, a\000, Z (stored in uppercase). */
	store_chain(c, "example.com.", 300, UINT32_MAX, NOW,
	    "example.com.", "a.example.com.",
	    "a.example.com.", "b.a.example.com.",
	    "b.a.example.com.", "a\\000.example.com.",
	    "a\\000.example.com.", "Z.example.com.",
	    "Z.example.com.", "example.com.", NULL);
	ok(lookup(c, "c.a.example.com.", NOW, &f) &&
	    found_owners(&f, "b.a.example.com.", "a.example.com.", NULL) &&
	    prove_nxdomain("c.a.example.com.", &f) == SEC_SECURE,
	    "c.a sorts between b.a and a\\000; *.a sorts between a and b.a");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "A\\000.EXAMPLE.COM.", NOW, &f) &&
	    found_owners(&f, "a\\000.example.com.", NULL),
	    "a\\000 in uppercase finds its own NSEC");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "a\\001.example.com.", NOW, &f) &&
	    found_owners(&f, "a\\000.example.com.", "example.com.", NULL) &&
	    prove_nxdomain("a\\001.example.com.", &f) == SEC_SECURE,
	    "a\\001 is covered by a\\000's NSEC");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "zz.example.com.", NOW, &f) &&
	    found_owners(&f, "Z.example.com.", "example.com.", NULL) &&
	    prove_nxdomain("zz.example.com.", &f) == SEC_SECURE,
	    "an uppercase last owner still wraps");
	nsec_cache_found_clear(&f);
	nsec_cache_free(c);
}

/* The proofs RFC 8198 synthesis runs (aggressive.c) over what was found. */
static enum sec_status
prove_nodata(const char *name, ldns_rr_type type,
    const struct nsec_cache_found *f)
{
	struct dnssec_verdict vd;
	ldns_rdf *n = t_name(name);

	nsec_prove_nodata(n, type, f->zone, f->nsecs, &vd);
	ldns_rdf_deep_free(n);
	return vd.status;
}

/*
 * What a signed zone's own records can make the cache deny: never names
 * below its delegations (RFC 4035 §5.4's ancestor delegation NSEC, RFC
 * 8198 §5.1) or below a DNAME, never the DS of a child from the child's
 * apex NSEC; a DS from the parent side, yes.
 */
static void
test_cuts_and_dnames(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	struct nsec_cache_found f;
	ldns_rr_list *nsecs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	ldns_rr_list *soa = soa_of("example.com.", sigs, 3600);
	ldns_rdf *zone = t_name("example.com."), *sub = t_name("sub.example.com.");
	static const char *chain[][3] = {
		{ "example.com.", "a.example.com.", "NS SOA RRSIG NSEC DNSKEY" },
		{ "a.example.com.", "d.example.com.", "A RRSIG NSEC" },
		{ "d.example.com.", "sub.example.com.", "DNAME RRSIG NSEC" },
		{ "sub.example.com.", "zz.example.com.", "NS RRSIG NSEC" },
		{ "zz.example.com.", "example.com.", "A RRSIG NSEC" },
	};
	char text[512];

	for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
		snprintf(text, sizeof(text), "%s 300 IN NSEC %s %s",
		    chain[i][0], chain[i][1], chain[i][2]);
		ldns_rr_list_push_rr(nsecs, t_rr(text));
		snprintf(text, sizeof(text), "%s 300 IN RRSIG NSEC 13 %u 300 "
		    SIG_TIMES " 4711 example.com. AAAA", chain[i][0],
		    i == 0 ? 2u : 3u);
		ldns_rr_list_push_rr(sigs, t_rr(text));
	}
	ok(nsec_cache_store(c, zone, IN, soa, nsecs, sigs, UINT32_MAX,
	    NOW) == 5, "a chain with a delegation and a DNAME is kept");
	ok(lookup(c, "www.sub.example.com.", NOW, &f) &&
	    found_owners(&f, "sub.example.com.", NULL) &&
	    prove_nxdomain("www.sub.example.com.", &f) != SEC_SECURE &&
	    prove_nodata("www.sub.example.com.", LDNS_RR_TYPE_A, &f) !=
	    SEC_SECURE, "the NSEC at a delegation denies nothing below it");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "sub.example.com.", NOW, &f) &&
	    prove_nodata("sub.example.com.", LDNS_RR_TYPE_A, &f) != SEC_SECURE,
	    "nor any type at the cut but DS");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "x.d.example.com.", NOW, &f) &&
	    prove_nxdomain("x.d.example.com.", &f) != SEC_SECURE &&
	    prove_nodata("x.d.example.com.", LDNS_RR_TYPE_A, &f) != SEC_SECURE,
	    "the NSEC at a DNAME denies nothing below it");
	nsec_cache_found_clear(&f);

	/* The child's own apex NSEC, cached too, never denies its DS. */
	store_chain(c, "sub.example.com.", 300, UINT32_MAX, NOW,
	    "sub.example.com.", "www.sub.example.com.", NULL);
	ok(nsec_cache_lookup(c, sub, true, IN, NOW, &f) &&
	    dname_str_eq(f.zone, "example.com.") &&
	    prove_nodata("sub.example.com.", LDNS_RR_TYPE_DS, &f) ==
	    SEC_SECURE, "the parent's NSEC at the cut proves no DS");
	nsec_cache_found_clear(&f);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(soa);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(sub);
	nsec_cache_free(c);
}

/* example.com's apex NSEC (next m, TTL 3600) in a new list, its RRSIG
 * in a new *sigs. */
static ldns_rr_list *
apex_nsec(ldns_rr_list **sigs)
{
	ldns_rr_list *nsecs = ldns_rr_list_new();

	*sigs = ldns_rr_list_new();
	add_nsec(nsecs, *sigs, "example.com.", "example.com.", "m.example.com.",
	    3600);
	return nsecs;
}

static void
test_expiry(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	struct nsec_cache_found f, g;
	ldns_rr_list *nsecs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	ldns_rr_list *soa;
	ldns_rdf *zone = t_name("example.com.");

	store_chain(c, "example.com.", 300, UINT32_MAX, NOW,
	    "example.com.", "m.example.com.", NULL);
	ok(lookup(c, "b.example.com.", NOW + 299, &f) && f.ttl == 1,
	    "alive for its TTL");
	nsec_cache_found_clear(&f);
	ok(!lookup(c, "b.example.com.", NOW + 300, &g),
	    "gone when the TTL runs out");
	ok(nsec_cache_count(c) == 0 && nsec_cache_bytes(c) == 0,
	    "and dropped with its zone, every byte returned");

	store_chain(c, "example.com.", 3600, 60, NOW,
	    "example.com.", "m.example.com.", NULL);
	ok(lookup(c, "b.example.com.", NOW + 59, &f) &&
	    !lookup(c, "c.example.com.", NOW + 60, &g),
	    "the caller's cap (SOA MINIMUM, RFC 8198 §5.4) wins over the TTL");
	nsec_cache_found_clear(&f);

	/* An RRSIG expiring in 100 s outlives neither record. */
	add_nsec(nsecs, sigs, "example.com.", "example.com.", "m.example.com.",
	    3600);
	ldns_rr_list_deep_free(sigs);
	sigs = t_list("example.com. 3600 IN RRSIG NSEC 13 2 3600 "
	    "20260101000140 20251201000000 4711 example.com. AAAA", NULL);
	soa = soa_of("example.com.", sigs, 3600);
	ok(nsec_cache_store(c, zone, IN, soa, nsecs, sigs, UINT32_MAX, NOW) == 1,
	    "stored with a short-lived RRSIG");
	ok(lookup(c, "b.example.com.", NOW + 99, &f) &&
	    !lookup(c, "c.example.com.", NOW + 100, &g),
	    "gone when its RRSIG expires (RFC 4035 §5.3.3)");
	nsec_cache_found_clear(&f);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(soa);

	/* No RRSIG: a DO client could not check it. */
	sigs = ldns_rr_list_new();
	soa = soa_of("example.com.", sigs, 3600);
	ok(nsec_cache_store(c, zone, IN, soa, nsecs, sigs, UINT32_MAX, NOW) == 0,
	    "an NSEC without its RRSIG is not kept");
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(soa);

	/* A SOA TTL below the NSECs' takes them with it (RFC 9077 §4). */
	ldns_rr_list_deep_free(nsecs);
	nsecs = apex_nsec(&sigs);
	soa = soa_of("example.com.", sigs, 30);
	nsec_cache_store(c, zone, IN, soa, nsecs, sigs, UINT32_MAX, NOW);
	ok(lookup(c, "b.example.com.", NOW + 29, &f) && f.ttl == 1 &&
	    f.soa != NULL && !lookup(c, "c.example.com.", NOW + 30, &g),
	    "NSECs of TTL 3600 with a SOA of TTL 30 live 30 s");
	nsec_cache_found_clear(&f);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(soa);

	/* A SOA that dies first (its RRSIG expires at 30 s) takes the
	 * denials with it: past it the NSECs (good for MINIMUM, 300 s) come
	 * alone, which only a wildcard expansion may use. */
	ldns_rr_list_deep_free(nsecs);
	nsecs = apex_nsec(&sigs);
	ldns_rr_list_push_rr(sigs, t_rr("example.com. 3600 IN RRSIG SOA 13 2 "
	    "3600 20260101000030 20251201000000 4711 example.com. AAAA"));
	soa = t_list("example.com. 3600 IN SOA ns1.example.com. "
	    "host.example.com. 1 3600 600 86400 300", NULL);
	nsec_cache_store(c, zone, IN, soa, nsecs, sigs, UINT32_MAX, NOW);
	ok(lookup(c, "b.example.com.", NOW + 29, &f) && f.ttl == 1 &&
	    f.soa != NULL && lookup(c, "c.example.com.", NOW + 30, &g) &&
	    g.soa == NULL && g.ttl == 270,
	    "no SOA past the SOA's RRSIG, so no denial synthesised");
	nsec_cache_found_clear(&f);
	nsec_cache_found_clear(&g);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(soa);
	ldns_rr_list_deep_free(nsecs);

	/* NSECs outside the zone are refused. */
	ok(store_chain(c, "example.com.", 300, UINT32_MAX, NOW,
	    "a.example.org.", "b.example.org.",
	    "a.example.com.", "b.example.org.", NULL) == 0,
	    "an owner or next name outside the zone is not kept");
	ldns_rdf_deep_free(zone);
	nsec_cache_free(c);
}

static void
test_bound_and_flush(void)
{
	size_t max = 64 * 1024;
	struct nsec_cache *c = nsec_cache_new(max);
	struct nsec_cache_found f;
	char zone[32], owner[128], next[128];
	bool within = true;

	for (int z = 0; z < 200; z++) {
		snprintf(zone, sizeof(zone), "zone%d.example.", z);
		for (int i = 0; i < 10; i++) {
			snprintf(owner, sizeof(owner), "n%02d.%s", i, zone);
			snprintf(next, sizeof(next), "n%02d.%s", i + 1, zone);
			store_chain(c, zone, 300, UINT32_MAX, NOW, owner, next,
			    NULL);
			within &= nsec_cache_bytes(c) <= max;
		}
	}
	ok(within, "2000 NSECs never take more than the bound (%zu <= %zu)",
	    nsec_cache_bytes(c), max);
	ok(nsec_cache_count(c) > 0 && nsec_cache_count(c) < 2000,
	    "the least recently used were evicted (%zu kept)",
	    nsec_cache_count(c));
	ok(lookup(c, "n095.zone199.example.", NOW, &f),
	    "the newest is kept");
	nsec_cache_found_clear(&f);
	nsec_cache_set_max(c, 0);
	ok(nsec_cache_count(c) == 0 && nsec_cache_bytes(c) == 0,
	    "a bound of 0 empties it");
	nsec_cache_set_max(c, max);

	store_chain(c, "example.com.", 300, UINT32_MAX, NOW,
	    "example.com.", "m.example.com.", NULL);
	store_chain(c, "com.", 300, UINT32_MAX, NOW,
	    "com.", "example.com.", "example.com.", "com.", NULL);
	ok(lookup(c, "b.example.com.", NOW, &f) &&
	    dname_str_eq(f.zone, "example.com."),
	    "the closest zone held answers, not its parent");
	nsec_cache_found_clear(&f);
	ok(lookup(c, "other.com.", NOW, &f) && dname_str_eq(f.zone, "com."),
	    "and the parent answers for its own names");
	nsec_cache_found_clear(&f);
	{
		ldns_rdf *apex = t_name("example.com.");

		ok(nsec_cache_lookup(c, apex, true, IN, NOW, &f) &&
		    dname_str_eq(f.zone, "com.") &&
		    found_owners(&f, "example.com.", NULL) &&
		    dname_str_eq(f.zone, "com."),
		    "a DS (parent side) at a zone's apex is looked up in the "
		    "parent zone");
		nsec_cache_found_clear(&f);
		ldns_rdf_deep_free(apex);
	}
	{
		ldns_rdf *name = t_name("new.example.com.");

		ok(nsec_cache_flush(c, name) == 3 &&
		    !lookup(c, "b.example.com.", NOW, &f) &&
		    !lookup(c, "other.com.", NOW, &f),
		    "a flushed name takes the zones above it along, so no NSEC "
		    "denies it from there");
		ldns_rdf_deep_free(name);
	}
	nsec_cache_free(c);
}

/* Workers sharing the cache, as descendd's do: TSan watches the locks. */
struct worker_arg {
	struct nsec_cache *cache;
	int id;
	unsigned found;
};

static void *
worker(void *p)
{
	struct worker_arg *a = p;
	char zone[32], owner[128], next[128], name[128];

	for (int i = 0; i < 400; i++) {
		struct nsec_cache_found f;
		int z = (i + a->id) % 8;

		snprintf(zone, sizeof(zone), "z%d.test.", z);
		snprintf(owner, sizeof(owner), "n%03d.%s", i % 50, zone);
		snprintf(next, sizeof(next), "n%03d.%s", i % 50 + 1, zone);
		/* A wildcard answer's NSEC now and then: the zone's SOA
		 * (MINIMUM 300) bounds it too, read under the same lock. */
		if (i % 3 == 0)
			store_seed(a->cache, zone, owner, next, NOW + i % 5);
		else
			store_chain(a->cache, zone, 300, UINT32_MAX, NOW, zone,
			    owner, owner, next, NULL);
		snprintf(name, sizeof(name), "n%03da.%s", (i * 7) % 50, zone);
		if (lookup(a->cache, name, NOW + i % 7, &f))
			a->found++;
		nsec_cache_found_clear(&f);
		if (i % 100 == 99) {
			ldns_rdf *n = t_name(zone);

			nsec_cache_flush(a->cache, n);
			ldns_rdf_deep_free(n);
		}
	}
	return NULL;
}

static void
test_threads(void)
{
	/* Small, so that eviction runs too. */
	struct nsec_cache *c = nsec_cache_new(32 * 1024);
	struct worker_arg args[4];
	pthread_t t[4];
	unsigned found = 0;

	for (int i = 0; i < 4; i++) {
		args[i].cache = c;
		args[i].id = i;
		args[i].found = 0;
		pthread_create(&t[i], NULL, worker, &args[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		found += args[i].found;
	}
	ok(found > 0, "four workers store, look up and flush at once (%u "
	    "found)", found);
	ok(nsec_cache_bytes(c) <= 32 * 1024, "within the bound after them");
	nsec_cache_free(c);
}

/* ---- NSEC3 (RFC 8198 with RFC 5155 chains) ---- */

struct n3node {
	const char *name;
	const char *types;	/* "" for an empty non-terminal */
};

struct n3hashed {
	char label[64];
	const char *types;
};

static int
cmp_n3hashed(const void *a, const void *b)
{
	return strcmp(((const struct n3hashed *)a)->label,
	    ((const struct n3hashed *)b)->label);
}

/* H(name) as lowercase base32hex text, hashed by ldns (not by us). */
static void
n3_label(const char *name, int iterations, bool salted, char *out,
    size_t len)
{
	uint8_t salt[1] = { 0xab };
	ldns_rdf *n = t_name(name);
	ldns_rdf *h = ldns_nsec3_hash_name(n, 1, (uint16_t)iterations,
	    salted ? 1 : 0, salt);
	char *text = ldns_rdf2str(h);

	snprintf(out, len, "%.*s", (int)strcspn(text, "."), text);
	for (char *c = out; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	free(text);
	ldns_rdf_deep_free(h);
	ldns_rdf_deep_free(n);
}

/*
 * The NSEC3 chain of `zone`'s nodes (flags, iterations, salt "ab" or none)
 * with an RRSIG each, and the zone's SOA, stored at `now`; returns what
 * the cache kept. `only`, when not NULL, keeps just the records whose
 * owner hash is one of those names' (a partial chain, as replies bring).
 */
/* The NSEC3s (and RRSIGs) n3_store stores, appended to the lists. */
static void
n3_records(const char *zone, const struct n3node *nodes, size_t n, int flags,
    int iterations, bool salted, unsigned ttl, const char **only,
    ldns_rr_list *nsec3s, ldns_rr_list *sigs)
{
	struct n3hashed h[16];
	ldns_rdf *z = t_name(zone);
	unsigned labels = dname_labels(z) + 1;

	for (size_t i = 0; i < n; i++) {
		n3_label(nodes[i].name, iterations, salted, h[i].label,
		    sizeof(h[i].label));
		h[i].types = nodes[i].types;
	}
	qsort(h, n, sizeof(h[0]), cmp_n3hashed);
	for (size_t i = 0; i < n; i++) {
		char text[4096], want[64];
		bool keep = only == NULL;

		for (size_t j = 0; only != NULL && only[j] != NULL; j++) {
			n3_label(only[j], iterations, salted, want,
			    sizeof(want));
			keep |= strcmp(want, h[i].label) == 0;
		}
		if (!keep)
			continue;
		snprintf(text, sizeof(text), "%s.%s %u IN NSEC3 1 %d %d %s %s %s",
		    h[i].label, zone, ttl, flags, iterations,
		    salted ? "AB" : "-", h[(i + 1) % n].label, h[i].types);
		ldns_rr_list_push_rr(nsec3s, t_rr(text));
		snprintf(text, sizeof(text), "%s.%s %u IN RRSIG NSEC3 13 %u %u "
		    SIG_TIMES " 4711 %s AAAA", h[i].label, zone, ttl, labels,
		    ttl, zone);
		ldns_rr_list_push_rr(sigs, t_rr(text));
	}
	ldns_rdf_deep_free(z);
}

static size_t
n3_store(struct nsec_cache *c, const char *zone, const struct n3node *nodes,
    size_t n, int flags, int iterations, bool salted, unsigned ttl,
    time_t now, const char **only)
{
	ldns_rr_list *nsec3s = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	ldns_rr_list *soa = soa_of(zone, sigs, 3600);
	ldns_rdf *z = t_name(zone);
	size_t stored;

	n3_records(zone, nodes, n, flags, iterations, salted, ttl, only,
	    nsec3s, sigs);
	stored = nsec_cache_store(c, z, IN, soa, nsec3s, sigs, UINT32_MAX, now);
	ldns_rr_list_deep_free(nsec3s);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(soa);
	ldns_rdf_deep_free(z);
	return stored;
}

/* example.net: a delegation without DS (sub), an empty non-terminal with
 * a wildcard below it (wild), a CNAME. */
static const struct n3node n3_nodes[] = {
	{ "example.net.", "NS SOA RRSIG DNSKEY NSEC3PARAM" },
	{ "www.example.net.", "A RRSIG" },
	{ "sub.example.net.", "NS" },
	{ "wild.example.net.", "" },
	{ "*.wild.example.net.", "TXT RRSIG" },
	{ "cname.example.net.", "CNAME RRSIG" },
};
#define N3_NODES	(sizeof(n3_nodes) / sizeof(n3_nodes[0]))

/* The SHA-1 runs the last n3_lookup of this thread made (the workers of
 * test_nsec3_threads look up too). */
static _Thread_local unsigned n3_hashes;
/* The budget n3_lookup starts with (0: a fresh request's). */
static unsigned n3_budget_left;
/* The closest encloser's labels the last AGGRESSIVE_WILDCARD named. */
static _Thread_local unsigned n3_ce;
/* The labels of the zone whose chain the last n3_lookup searched, -1. */
static _Thread_local int n3_zone_labels;

/* One RFC 8198 NSEC3 lookup with a fresh request's hash cache and budget. */
static int
n3_lookup(struct nsec_cache *c, const char *name, ldns_rr_type type,
    time_t now, struct nsec_cache_found *f)
{
	ldns_rdf *n = t_name(name);
	struct nsec3_cache *hashes = nsec3_cache_new();
	struct dnssec_budget budget;
	struct nsec_cache_found mine;
	int rcode;

	dnssec_budget_init(&budget);
	if (n3_budget_left > 0)
		budget.nsec3_hashes_left = n3_budget_left;
	rcode = aggressive_nsec3_lookup(c, n, type, IN, now, hashes, &budget,
	    f != NULL ? f : &mine, &n3_ce, &n3_zone_labels);
	n3_hashes = budget.nsec3_hashes_done;
	if (f == NULL)
		nsec_cache_found_clear(&mine);
	nsec3_cache_free(hashes);
	ldns_rdf_deep_free(n);
	return rcode;
}

/* A name under `zone` whose hash is not `avoid`'s owner span... simply
 * the first "rN.<zone>" that n3_lookup answers (or not) as `want`. */
static bool
n3_name_such_that(struct nsec_cache *c, const char *zone, int want,
    char *out, size_t len)
{
	for (int i = 0; i < 200; i++) {
		snprintf(out, len, "r%d.%s", i, zone);
		if (n3_lookup(c, out, LDNS_RR_TYPE_A, NOW, NULL) == want)
			return true;
	}
	return false;
}

static void
test_nsec3_proofs(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	struct nsec_cache_found f;
	ldns_rdf *name;
	size_t nsec3s, sigs;
	int rcode, zl;

	ok(n3_store(c, "example.net.", n3_nodes, N3_NODES, 0, 0, true, 300,
	    NOW, NULL) == N3_NODES && nsec_cache_count(c) == N3_NODES,
	    "an NSEC3 chain is kept");
	rcode = n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_A, NOW, &f);
	nsec3s = f.nsecs != NULL ? ldns_rr_list_rr_count(f.nsecs) : 0;
	sigs = f.sigs != NULL ? ldns_rr_list_rr_count(f.sigs) : 0;
	ok(rcode == LDNS_RCODE_NXDOMAIN && dname_str_eq(f.zone,
	    "example.net.") && nsec3s >= 2 && nsec3s <= 3 &&
	    ldns_rr_list_rr_count(f.soa) == 1 && sigs == nsec3s + 1,
	    "NXDOMAIN: closest encloser, next closer and wildcard covered "
	    "(%zu NSEC3, %zu RRSIGs)", nsec3s, sigs);
	nsec_cache_found_clear(&f);
	ok(n3_lookup(c, "x.y.nope.example.net.", LDNS_RR_TYPE_A, NOW, NULL) ==
	    LDNS_RCODE_NXDOMAIN, "NXDOMAIN three labels below the apex");
	ok(n3_lookup(c, "www.example.net.", LDNS_RR_TYPE_TXT, NOW, &f) ==
	    LDNS_RCODE_NOERROR && ldns_rr_list_rr_count(f.nsecs) == 1,
	    "NODATA from the NSEC3 matching the name");
	nsec_cache_found_clear(&f);
	ok(n3_lookup(c, "www.example.net.", LDNS_RR_TYPE_A, NOW, NULL) == -1,
	    "a type the NSEC3 lists is not denied");
	ok(n3_lookup(c, "www.example.net.", LDNS_RR_TYPE_ANY, NOW, NULL) == -1,
	    "nor ANY");
	ok(n3_lookup(c, "cname.example.net.", LDNS_RR_TYPE_TXT, NOW, NULL) ==
	    -1, "an NSEC3 with the CNAME bit denies no type");
	ok(n3_lookup(c, "wild.example.net.", LDNS_RR_TYPE_A, NOW, NULL) ==
	    LDNS_RCODE_NOERROR, "an empty non-terminal is NODATA");
	ok(n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_A, NOW, NULL) ==
	    LDNS_RCODE_NOERROR, "wildcard NODATA: the wildcard lacks the type");
	ok(n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_TXT, NOW, NULL) ==
	    AGGRESSIVE_WILDCARD, "a name the wildcard answers is not denied: "
	    "the wildcard answers it");
	ok(n3_lookup(c, "x.sub.example.net.", LDNS_RR_TYPE_A, NOW, NULL) == -1,
	    "nothing below a delegation (the closest encloser is a cut)");
	ok(n3_lookup(c, "sub.example.net.", LDNS_RR_TYPE_A, NOW, NULL) == -1,
	    "nor any type at the cut but DS");
	ok(n3_lookup(c, "sub.example.net.", LDNS_RR_TYPE_DS, NOW, &f) ==
	    LDNS_RCODE_NOERROR && dname_str_eq(f.zone, "example.net."),
	    "the parent's NSEC3 at the cut proves no DS");
	nsec_cache_found_clear(&f);
	ok(n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_DS, NOW, NULL) ==
	    LDNS_RCODE_NXDOMAIN, "a DS of a name that does not exist");
	ok(n3_lookup(c, "nope.example.org.", LDNS_RR_TYPE_A, NOW, NULL) == -1 &&
	    n3_zone_labels == -1,
	    "a name outside every zone held: nothing, no chain's zone named");
	rcode = n3_lookup(c, "a.b.nope.example.net.", LDNS_RR_TYPE_A, NOW,
	    NULL);
	zl = n3_zone_labels;
	ok(rcode == LDNS_RCODE_NXDOMAIN && zl == 2 &&
	    n3_lookup(c, "www.example.net.", LDNS_RR_TYPE_A, NOW, NULL) == -1 &&
	    n3_zone_labels == 2,
	    "the chain's zone is named, proven or not (%d labels): the "
	    "shallowest encloser a cached wildcard may have", zl);
	name = t_name("example.net.");
	ok(!nsec_cache_lookup(c, name, false, IN, NOW, &f),
	    "the NSEC lookup leaves an NSEC3 zone alone");
	ldns_rdf_deep_free(name);

	/* The child zone's own chain: its apex NSEC3 speaks for its names,
	 * never for its DS (which lives in the parent). */
	{
		static const struct n3node child[] = {
			{ "sub.example.net.", "NS SOA RRSIG DNSKEY NSEC3PARAM" },
			{ "host.sub.example.net.", "A RRSIG" },
		};

		n3_store(c, "sub.example.net.", child, 2, 0, 0, true, 300, NOW,
		    NULL);
		ok(n3_lookup(c, "sub.example.net.", LDNS_RR_TYPE_DS, NOW, &f) ==
		    LDNS_RCODE_NOERROR && dname_str_eq(f.zone, "example.net."),
		    "a DS question looks in the parent, not the child's chain");
		nsec_cache_found_clear(&f);
		ok(n3_lookup(c, "sub.example.net.", LDNS_RR_TYPE_A, NOW, &f) ==
		    LDNS_RCODE_NOERROR && dname_str_eq(f.zone,
		    "sub.example.net."), "the child's apex NSEC3 answers its "
		    "own types");
		nsec_cache_found_clear(&f);
		ok(n3_lookup(c, "x.sub.example.net.", LDNS_RR_TYPE_A, NOW, &f) ==
		    LDNS_RCODE_NXDOMAIN && dname_str_eq(f.zone,
		    "sub.example.net."), "names of the child: from its chain");
		nsec_cache_found_clear(&f);
	}
	nsec_cache_free(c);
}

/*
 * Opt-out (RFC 5155 §6, RFC 8198 §5.4 via nsec3.c): an opt-out span may
 * hide unsigned delegations, so it proves no NXDOMAIN; the same chain
 * without the flag does.
 */
static void
test_nsec3_opt_out(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);

	n3_store(c, "example.net.", n3_nodes, N3_NODES, 1, 0, true, 300, NOW,
	    NULL);
	ok(n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_A, NOW, NULL) == -1,
	    "opt-out covering the next closer name: no NXDOMAIN");
	ok(n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_DS, NOW, NULL) == -1,
	    "nor a DS denial (an unsigned delegation may be there)");
	ok(n3_lookup(c, "www.example.net.", LDNS_RR_TYPE_TXT, NOW, NULL) ==
	    LDNS_RCODE_NOERROR, "an NSEC3 matching the name still proves "
	    "NODATA");
	n3_store(c, "example.net.", n3_nodes, N3_NODES, 0, 0, true, 300, NOW,
	    NULL);
	ok(n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_A, NOW, NULL) ==
	    LDNS_RCODE_NXDOMAIN, "the same chain without opt-out proves it");
	nsec_cache_free(c);
}

/* Whether hash `h` lies in the span of `owner`'s NSEC3 in n3_nodes' chain
 * (salt "ab", 0 iterations), wrapping at the last. */
static bool
n3_in_span(const char *owner, const char *h)
{
	char lo[64], next[64] = "", first[64] = "";

	n3_label(owner, 0, true, lo, sizeof(lo));
	for (size_t k = 0; k < N3_NODES; k++) {
		char x[64];

		n3_label(n3_nodes[k].name, 0, true, x, sizeof(x));
		if (first[0] == '\0' || strcmp(x, first) < 0)
			snprintf(first, sizeof(first), "%s", x);
		if (strcmp(x, lo) > 0 && (next[0] == '\0' ||
		    strcmp(x, next) < 0))
			snprintf(next, sizeof(next), "%s", x);
	}
	if (next[0] != '\0')
		return strcmp(h, lo) > 0 && strcmp(h, next) < 0;
	return strcmp(h, lo) > 0 || strcmp(h, first) < 0;
}

/*
 * RFC 8198 §5.3 with NSEC3: a name below *.wild.example.net (TXT) is the
 * wildcard's when the cached NSEC3s match its closest encloser (wild, an
 * empty non-terminal) and the wildcard, and one without opt-out covers the
 * next closer name (RFC 5155 §8.8); any of them missing, or opt-out, and
 * the name goes upstream.
 */
static void
test_nsec3_wildcard(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	struct nsec_cache_found f;
	const char *ends[] = { "wild.example.net.", "*.wild.example.net.",
	    NULL };
	char name[64];
	int covered = -1, uncovered = -1, rcode;

	n3_store(c, "example.net.", n3_nodes, N3_NODES, 0, 0, true, 300, NOW,
	    NULL);
	n3_ce = 0;
	rcode = n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_TXT, NOW, &f);
	ok(rcode == AGGRESSIVE_WILDCARD && n3_ce == 3 && f.nsecs != NULL &&
	    ldns_rr_list_rr_count(f.nsecs) >= 2 && f.soa != NULL,
	    "the wildcard at wild.example.net (3 labels) answers x.wild: "
	    "closest encloser, wildcard and next closer proven (%u labels, "
	    "%zu NSEC3)", n3_ce, f.nsecs != NULL ?
	    ldns_rr_list_rr_count(f.nsecs) : 0);
	nsec_cache_found_clear(&f);
	n3_ce = 0;
	rcode = n3_lookup(c, "a.b.wild.example.net.", LDNS_RR_TYPE_TXT, NOW,
	    NULL);
	ok(rcode == AGGRESSIVE_WILDCARD && n3_ce == 3,
	    "two labels below: the next closer is b.wild, the closest "
	    "encloser the same (%u labels)", n3_ce);
	ok(n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_A, NOW, NULL) ==
	    LDNS_RCODE_NOERROR, "a type the wildcard's NSEC3 lacks stays "
	    "wildcard NODATA");
	ok(n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_ANY, NOW, NULL) ==
	    -1, "ANY is never expanded");
	ok(n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_DS, NOW, NULL) !=
	    AGGRESSIVE_WILDCARD, "nor a DS");

	/* Opt-out: the span covering the next closer name may hide an
	 * unsigned delegation, so it proves no absence for an expansion. */
	n3_store(c, "example.net.", n3_nodes, N3_NODES, 1, 0, true, 300, NOW,
	    NULL);
	ok(n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_TXT, NOW, NULL) ==
	    -1 && n3_lookup(c, "a.b.wild.example.net.", LDNS_RR_TYPE_TXT, NOW,
	    NULL) == -1, "opt-out covering the next closer name: no "
	    "expansion (RFC 5155 §6, §8.8)");
	nsec_cache_free(c);

	/* The same chain without the wildcard's NSEC3, then without the
	 * closest encloser's. */
	for (size_t k = 0; k < 2; k++) {
		const char *skip = k == 0 ? "*.wild.example.net." :
		    "wild.example.net.", *rest[N3_NODES];
		size_t n = 0;

		for (size_t i = 0; i < N3_NODES; i++)
			if (strcmp(n3_nodes[i].name, skip) != 0)
				rest[n++] = n3_nodes[i].name;
		rest[n] = NULL;
		c = nsec_cache_new(1 << 20);
		n3_store(c, "example.net.", n3_nodes, N3_NODES, 0, 0, true, 300,
		    NOW, rest);
		ok(n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_TXT, NOW,
		    NULL) == -1, "without the NSEC3 of %s: no expansion", skip);
		nsec_cache_free(c);
	}
	/* Only the encloser's and the wildcard's NSEC3s: a name below is
	 * the wildcard's only when one of their spans covers its hash. */
	c = nsec_cache_new(1 << 20);
	n3_store(c, "example.net.", n3_nodes, N3_NODES, 0, 0, true, 300, NOW,
	    ends);
	for (int i = 0; i < 200 && (covered < 0 || uncovered < 0); i++) {
		char h[64];
		bool in = false;

		snprintf(name, sizeof(name), "r%d.wild.example.net.", i);
		n3_label(name, 0, true, h, sizeof(h));
		for (size_t j = 0; ends[j] != NULL; j++)
			in |= n3_in_span(ends[j], h);
		if (n3_lookup(c, name, LDNS_RR_TYPE_TXT, NOW, NULL) ==
		    AGGRESSIVE_WILDCARD)
			covered = in && covered != 0 ? 1 : 0;
		else
			uncovered = !in && uncovered != 0 ? 1 : 0;
	}
	ok(covered == 1 && uncovered == 1,
	    "a name whose next closer no cached NSEC3 covers goes upstream, "
	    "one whose a cached span covers is the wildcard's (%d, %d)",
	    covered, uncovered);
	nsec_cache_free(c);
}
/* The node of n3_nodes whose NSEC3 (salt "ab", 0 iterations) covers
 * H(name); NULL when the name is a node. */
static const char *
n3_cover_of(const char *name)
{
	char h[64];

	n3_label(name, 0, true, h, sizeof(h));
	for (size_t i = 0; i < N3_NODES; i++)
		if (n3_in_span(n3_nodes[i].name, h))
			return n3_nodes[i].name;
	return NULL;
}

/* aggressive_nsec3_wildcard for `name` under an encloser of `ce` labels,
 * with a fresh request's hash cache and budget. */
static int
n3_wildcard(struct nsec_cache *c, const char *name, unsigned ce)
{
	struct nsec3_cache *hashes = nsec3_cache_new();
	struct dnssec_budget budget;
	struct nsec_cache_found f;
	ldns_rdf *n = t_name(name);
	int rcode;

	dnssec_budget_init(&budget);
	rcode = aggressive_nsec3_wildcard(c, n, ce, IN, NOW, hashes, &budget,
	    &f);
	nsec_cache_found_clear(&f);
	nsec3_cache_free(hashes);
	ldns_rdf_deep_free(n);
	return rcode;
}

/* The whole chain of n3_nodes stored without a SOA: what would prove
 * NXDOMAIN and NODATA with one proves nothing (RFC 2308 §3: a denial
 * carries the SOA), while the expansion is still found. */
static bool
no_soa_denial(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	ldns_rr_list *nsec3s = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	ldns_rdf *z = t_name("example.net.");
	bool good;

	n3_records("example.net.", n3_nodes, N3_NODES, 0, 0, true, 300, NULL,
	    nsec3s, sigs);
	good = nsec_cache_store(c, z, IN, NULL, nsec3s, sigs, UINT32_MAX,
	    NOW) == N3_NODES &&
	    n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_A, NOW,
	    NULL) == -1 &&
	    n3_lookup(c, "www.example.net.", LDNS_RR_TYPE_TXT, NOW,
	    NULL) == -1 &&
	    n3_lookup(c, "x.wild.example.net.", LDNS_RR_TYPE_TXT, NOW,
	    NULL) == AGGRESSIVE_WILDCARD;
	ldns_rr_list_deep_free(nsec3s);
	ldns_rr_list_deep_free(sigs);
	ldns_rdf_deep_free(z);
	nsec_cache_free(c);
	return good;
}

/* A reply view of `answer` (NULL: none) whose validated proof is
 * `proof`, signed by `zone`, with `status`: what validator.c leaves. */
static void
view_of(struct reply_view *v, enum reply_class klass, enum sec_status status,
    ldns_rr_list *answer, ldns_rr_list *proof, ldns_rr_list *sigs,
    ldns_rr_list *soa, const ldns_rdf *zone)
{
	memset(v, 0, sizeof(*v));
	v->klass = klass;
	v->status = status;
	v->answer = answer;
	v->nsec_secure = proof;
	v->nsec_zone = zone;
	v->sigs = sigs;
	v->soa = soa;
}

static struct engine *
learning_engine(bool aggressive)
{
	struct engine_config cfg;
	char err[256];
	struct engine *engine;

	engine_config_init(&cfg);
	cfg.aggressive_nsec = aggressive;
	if ((engine = engine_new(&cfg, err, sizeof(err))) == NULL)
		diag("engine_new: %s", err);
	return engine;
}

/*
 * RFC 8198 §5.3 seeded by a positive answer: a secure expansion of
 * *.wild.example.net carries in its authority only the NSEC3 covering its
 * next closer name (RFC 5155 §7.2.6), and no SOA. aggressive_learn keeps
 * it; a second name whose next closer that NSEC3 covers is then the
 * wildcard's (aggressive_nsec3_wildcard: that the encloser and the
 * wildcard exist is the cached wildcard RRset's word, which
 * aggressive_answer checks), while the walk of aggressive_nsec3_lookup,
 * which needs their own NSEC3s, proves nothing, and no denial is made
 * without the SOA. An insecure or bogus answer's proof is not kept, and
 * an opt-out span is never used. NSEC too: the covering NSEC is kept
 * without a SOA, and one stored later keeps the zone's SOA.
 */
static void
test_wildcard_answer_proof(void)
{
	const char *first = "a.wild.example.net.", *cover = n3_cover_of(first);
	const char *only[] = { cover, NULL };
	static const enum sec_status weak[] = { SEC_INSECURE, SEC_BOGUS,
	    SEC_UNCHECKED };
	ldns_rdf *zone = t_name("example.net.");
	ldns_rr_list *answer = t_list("a.wild.example.net. 300 IN TXT \"w\"",
	    NULL);
	struct nsec_cache_found f;
	struct reply_view v;
	struct engine *engine;
	int in = -1, out = -1, walked = 0;
	char name[64], h[64];

	for (int optout = 0; optout < 2; optout++) {
		ldns_rr_list *nsec3s = ldns_rr_list_new();
		ldns_rr_list *sigs = ldns_rr_list_new();

		n3_records("example.net.", n3_nodes, N3_NODES, optout, 0, true,
		    300, only, nsec3s, sigs);
		engine = learning_engine(true);
		view_of(&v, REPLY_ANSWER, SEC_SECURE, answer, nsec3s, sigs,
		    NULL, zone);
		aggressive_learn(engine, &v, IN, 3600, NOW);
		if (optout == 0)
			ok(cover != NULL &&
			    nsec_cache_count(engine->nsecs) == 1,
			    "a secure expansion's NSEC3 (%s's) is kept without "
			    "a SOA", cover != NULL ? cover : "none");
		for (int i = 0; i < 200 && optout == 0; i++) {
			struct nsec3_cache *hashes = nsec3_cache_new();
			struct dnssec_budget budget;
			ldns_rdf *n;
			int got;
			bool covered;

			snprintf(name, sizeof(name), "r%d.wild.example.net.",
			    i);
			n3_label(name, 0, true, h, sizeof(h));
			covered = n3_in_span(cover, h);
			n = t_name(name);
			dnssec_budget_init(&budget);
			got = aggressive_nsec3_wildcard(engine->nsecs, n, 3, IN,
			    NOW + 10, hashes, &budget, &f);
			if (got == AGGRESSIVE_WILDCARD && covered && f.soa ==
			    NULL && ldns_rr_list_rr_count(f.nsecs) == 1 &&
			    f.ttl == 290)
				in = in != 0 ? 1 : 0;
			else if (got == -1 && !covered)
				out = out != 0 ? 1 : 0;
			else
				in = out = 0;
			nsec_cache_found_clear(&f);
			walked += n3_lookup(engine->nsecs, name,
			    LDNS_RR_TYPE_TXT, NOW, NULL) != -1;
			ldns_rdf_deep_free(n);
			nsec3_cache_free(hashes);
		}
		if (optout == 0) {
			ok(in == 1 && out == 1, "a second name whose next "
			    "closer it covers is the wildcard's, no other "
			    "(%d, %d)", in, out);
			ok(walked == 0, "the encloser walk proves nothing "
			    "from it (%d)", walked);
			ok(no_soa_denial(), "nor any denial without a SOA, "
			    "from the whole chain");
		} else {
			for (int i = 0; i < 200; i++) {
				snprintf(name, sizeof(name),
				    "r%d.wild.example.net.", i);
				n3_label(name, 0, true, h, sizeof(h));
				if (!n3_in_span(cover, h))
					continue;
				ok(nsec_cache_count(engine->nsecs) == 1 &&
				    n3_wildcard(engine->nsecs, name, 3) == -1,
				    "an opt-out span is kept but never proves "
				    "an expansion (%s)", name);
				break;
			}
		}
		engine_free(engine);
		for (size_t k = 0; optout == 0 &&
		    k < sizeof(weak) / sizeof(weak[0]); k++) {
			engine = learning_engine(true);
			view_of(&v, REPLY_ANSWER, weak[k], answer, nsec3s, sigs,
			    NULL, zone);
			aggressive_learn(engine, &v, IN, 3600, NOW);
			ok(nsec_cache_count(engine->nsecs) == 0,
			    "an answer validated %s keeps nothing",
			    sec_status_name(weak[k]));
			engine_free(engine);
		}
		if (optout == 0) {
			engine = learning_engine(false);
			view_of(&v, REPLY_ANSWER, SEC_SECURE, answer, nsec3s,
			    sigs, NULL, zone);
			aggressive_learn(engine, &v, IN, 3600, NOW);
			ok(nsec_cache_count(engine->nsecs) == 0,
			    "nor anything with aggressive-nsec: no");
			engine_free(engine);
		}
		ldns_rr_list_deep_free(nsec3s);
		ldns_rr_list_deep_free(sigs);
	}
	ldns_rr_list_deep_free(answer);
	ldns_rdf_deep_free(zone);

	/* NSEC: the NSEC of *.wild (next www) covers a.wild and b.wild. */
	{
		struct nsec_cache *c = nsec_cache_new(1 << 20);
		ldns_rr_list *nsecs = ldns_rr_list_new();
		ldns_rr_list *sigs = ldns_rr_list_new();
		ldns_rdf *z = t_name("example.com.");

		add_nsec(nsecs, sigs, "example.com.", "*.wild.example.com.",
		    "www.example.com.", 300);
		ok(nsec_cache_store(c, z, IN, NULL, nsecs, sigs, 3600,
		    NOW) == 1 && lookup(c, "b.wild.example.com.", NOW, &f) &&
		    f.soa == NULL && found_owners(&f, "*.wild.example.com.",
		    NULL),
		    "an NSEC stored without a SOA is found without one");
		nsec_cache_found_clear(&f);
		store_chain(c, "example.com.", 300, UINT32_MAX, NOW,
		    "example.com.", "*.wild.example.com.", NULL);
		ok(nsec_cache_store(c, z, IN, NULL, nsecs, sigs, 3600,
		    NOW) == 1 && lookup(c, "b.wild.example.com.", NOW, &f) &&
		    f.soa != NULL,
		    "one stored without a SOA leaves the zone's SOA in place");
		nsec_cache_found_clear(&f);
		ldns_rr_list_deep_free(nsecs);
		ldns_rr_list_deep_free(sigs);
		ldns_rdf_deep_free(z);
		nsec_cache_free(c);
	}
}

/* RFC 9276: no chain above the validator's iteration limit is kept. */
static void
test_nsec3_iterations(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);

	ok(n3_store(c, "example.net.", n3_nodes, N3_NODES, 0,
	    LIMIT_DNSSEC_NSEC3_ITERATIONS + 1, false, 300, NOW, NULL) == 0 &&
	    n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_A, NOW, NULL) == -1,
	    "iterations above LIMIT_DNSSEC_NSEC3_ITERATIONS: not kept");
	ok(n3_store(c, "example.net.", n3_nodes, N3_NODES, 0,
	    LIMIT_DNSSEC_NSEC3_ITERATIONS, false, 300, NOW, NULL) == N3_NODES &&
	    n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_A, NOW, NULL) ==
	    LDNS_RCODE_NXDOMAIN, "at the limit: kept and used");
	/* A new salt is a new chain: the old one goes. */
	ok(n3_store(c, "example.net.", n3_nodes, 3, 0, 0, true, 300, NOW,
	    NULL) == 3 && nsec_cache_count(c) == 3,
	    "a chain with other parameters replaces the zone's");
	nsec_cache_free(c);
}

static void
test_nsec3_expiry(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	struct nsec_cache_found f;

	n3_store(c, "example.net.", n3_nodes, N3_NODES, 0, 0, true, 300, NOW,
	    NULL);
	ok(n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_A, NOW + 299, &f) ==
	    LDNS_RCODE_NXDOMAIN && f.ttl == 1 &&
	    ldns_rr_ttl(ldns_rr_list_rr(f.nsecs, 0)) == 1 &&
	    ldns_rr_ttl(ldns_rr_list_rr(f.soa, 0)) == 1,
	    "alive for its TTL, records counted down");
	nsec_cache_found_clear(&f);
	ok(n3_lookup(c, "nope.example.net.", LDNS_RR_TYPE_A, NOW + 300, NULL) ==
	    -1, "nothing once the TTL ran out");
	nsec_cache_free(c);
}

/* Every record of a found proof (NSECs, RRSIGs, SOA) says `ttl`, and
 * so does found->ttl. */
static bool
found_ttls(const struct nsec_cache_found *f, uint32_t ttl)
{
	const ldns_rr_list *lists[3] = { f->nsecs, f->sigs, f->soa };
	size_t n = 0;

	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; lists[l] != NULL &&
		    i < ldns_rr_list_rr_count(lists[l]); i++, n++)
			if (ldns_rr_ttl(ldns_rr_list_rr(lists[l], i)) != ttl) {
				diag("%s has TTL %u, not %u", ldns_rr_type2str(
				    ldns_rr_get_type(ldns_rr_list_rr(lists[l],
				    i))), ldns_rr_ttl(ldns_rr_list_rr(lists[l],
				    i)), ttl);
				return false;
			}
	if (f->ttl != ttl)
		diag("found->ttl %u, not %u", f->ttl, ttl);
	return n > 0 && f->soa != NULL && f->ttl == ttl;
}

/* A cache, and the makings of a denial of `zone` whose SOA has TTL 3600
 * and MINIMUM 60 (far below the NSEC(3) TTLs of 3600 the tests give). */
struct min_zone {
	struct nsec_cache *c;
	ldns_rr_list *nsecs, *sigs, *soa;
	ldns_rdf *zone;
};

static void
min_zone_init(struct min_zone *m, const char *zone)
{
	m->c = nsec_cache_new(1 << 20);
	m->nsecs = ldns_rr_list_new();
	m->sigs = ldns_rr_list_new();
	m->soa = soa_min_of(zone, m->sigs, 3600, 60);
	m->zone = t_name(zone);
}

/* The denial stored at `now`, without a cap from the caller. */
static size_t
min_zone_store(struct min_zone *m, time_t now)
{
	return nsec_cache_store(m->c, m->zone, IN, m->soa, m->nsecs, m->sigs,
	    UINT32_MAX, now);
}

static void
min_zone_clear(struct min_zone *m)
{
	nsec_cache_free(m->c);
	ldns_rr_list_deep_free(m->nsecs);
	ldns_rr_list_deep_free(m->sigs);
	ldns_rr_list_deep_free(m->soa);
	ldns_rdf_deep_free(m->zone);
}

/*
 * RFC 9077 §4 (updating RFC 8198 §5.4), RFC 2308 §5: the cache keeps and
 * hands out absence for no longer than the least of the NSEC(3)'s TTL, the
 * SOA's TTL and its MINIMUM, whatever cap its caller passes. A zone whose
 * MINIMUM (60) is far below its NSEC(3) and SOA TTLs (3600): a synthesised
 * NXDOMAIN and NODATA say at most 60 on every record, counted down, and
 * nothing answers from 60 s on. NSECs from wildcard answers (no SOA) obey
 * the zone's MINIMUM once a denial brought it, those stored before too.
 */
static void
test_soa_minimum(void)
{
	struct min_zone z;
	struct nsec_cache_found f;
	ldns_rdf *m = t_name("m.example.com.");
	struct dnssec_verdict vd;
	bool got;

	min_zone_init(&z, "example.com.");
	add_nsec(z.nsecs, z.sigs, "example.com.", "example.com.",
	    "m.example.com.", 3600);
	add_nsec(z.nsecs, z.sigs, "example.com.", "m.example.com.",
	    "example.com.", 3600);
	ok(min_zone_store(&z, NOW) == 2,
	    "NSECs and SOA of TTL 3600, MINIMUM 60, stored without a cap");
	got = lookup(z.c, "b.example.com.", NOW + 10, &f);
	ok(got && prove_nxdomain("b.example.com.", &f) == SEC_SECURE &&
	    found_ttls(&f, 50), "an NXDOMAIN 10 s later: NSECs, RRSIGs and "
	    "SOA at 50 (MINIMUM, counted down)");
	nsec_cache_found_clear(&f);
	got = lookup(z.c, "m.example.com.", NOW + 10, &f);
	if (got)
		nsec_prove_nodata(m, LDNS_RR_TYPE_TXT, f.zone, f.nsecs, &vd);
	ok(got && vd.status == SEC_SECURE && found_ttls(&f, 50),
	    "a NODATA likewise at 50");
	nsec_cache_found_clear(&f);
	ok(lookup(z.c, "b.example.com.", NOW + 59, &f) && found_ttls(&f, 1),
	    "at 59 s: 1 left");
	nsec_cache_found_clear(&f);
	ok(!lookup(z.c, "b.example.com.", NOW + 60, &f) &&
	    !lookup(z.c, "m.example.com.", NOW + 60, &f),
	    "from 60 s on nothing answers (not the NSECs' 3600)");
	min_zone_clear(&z);

	/*
	 * example.com has *.wild: an expansion's NSEC (*.wild, next www)
	 * comes at 0 s without a SOA; a denial at 30 s brings the apex NSEC
	 * (next *.wild, denying *.example.com) and the SOA, MINIMUM 60, both
	 * good until 90 s. At 70 s the first NSEC is older than MINIMUM: it
	 * must not deny wilda.example.com, though the SOA still lives.
	 */
	min_zone_init(&z, "example.com.");
	add_nsec(z.nsecs, z.sigs, "example.com.", "example.com.",
	    "*.wild.example.com.", 3600);
	ok(store_seed(z.c, "example.com.", "*.wild.example.com.",
	    "www.example.com.", NOW) == 1 && min_zone_store(&z, NOW + 30) == 1,
	    "an expansion's NSEC at 0 s, a denial at 30 s");
	ok(lookup(z.c, "wilda.example.com.", NOW + 50, &f) &&
	    prove_nxdomain("wilda.example.com.", &f) == SEC_SECURE &&
	    found_ttls(&f, 10), "at 50 s wilda.example.com is denied, for "
	    "the 10 s its NSEC has left");
	nsec_cache_found_clear(&f);
	got = lookup(z.c, "wilda.example.com.", NOW + 70, &f);
	ok(!got || prove_nxdomain("wilda.example.com.", &f) != SEC_SECURE,
	    "at 70 s that NSEC, older than MINIMUM, denies nothing");
	nsec_cache_found_clear(&f);
	ok(store_seed(z.c, "example.com.", "www.example.com.", "example.com.",
	    NOW + 40) == 1 && lookup(z.c, "zzz.example.com.", NOW + 99, &f),
	    "one stored at 40 s, after the SOA, is still there at 99 s");
	nsec_cache_found_clear(&f);
	ok(!lookup(z.c, "zzz.example.com.", NOW + 100, &f),
	    "and gone at 100 s (MINIMUM after it came), not at 3640 s");
	min_zone_clear(&z);

	/* NSEC3: the same zone shape as test_nsec3_proofs', MINIMUM 60. */
	min_zone_init(&z, "example.net.");
	n3_records("example.net.", n3_nodes, N3_NODES, 0, 0, true, 3600, NULL,
	    z.nsecs, z.sigs);
	ok(min_zone_store(&z, NOW) == N3_NODES,
	    "an NSEC3 chain of TTL 3600, SOA MINIMUM 60");
	ok(n3_lookup(z.c, "nope.example.net.", LDNS_RR_TYPE_A, NOW + 10, &f) ==
	    LDNS_RCODE_NXDOMAIN && found_ttls(&f, 50),
	    "an NXDOMAIN from NSEC3 at 10 s: every record at 50");
	nsec_cache_found_clear(&f);
	ok(n3_lookup(z.c, "www.example.net.", LDNS_RR_TYPE_TXT, NOW + 10, &f) ==
	    LDNS_RCODE_NOERROR && found_ttls(&f, 50),
	    "a NODATA from NSEC3 likewise");
	nsec_cache_found_clear(&f);
	ok(n3_lookup(z.c, "nope.example.net.", LDNS_RR_TYPE_A, NOW + 60,
	    NULL) == -1 && n3_lookup(z.c, "www.example.net.",
	    LDNS_RR_TYPE_TXT, NOW + 60, NULL) == -1, "from 60 s on neither");
	min_zone_clear(&z);
	ldns_rdf_deep_free(m);
}

/*
 * Issue 16's flood: random names under one zone. The first lookup hashes
 * the name, the closest encloser and its wildcard; the zone remembers the
 * last two, so the next names cost one hash each, what the upstream
 * reply's proof would cost anyway. A name no cached NSEC3 covers costs one
 * hash, then stops; a deep name stops at LIMIT_DNSSEC_AGGRESSIVE_NSEC3_NAMES.
 */
static void
test_nsec3_hash_cost(void)
{
	struct nsec_cache *c = nsec_cache_new(1 << 20);
	const char *partial[] = { "example.net.", "r0.example.net.",
	    "*.example.net.", NULL };
	char name[64];
	int iter = 10;
	unsigned first, second;
	bool found;

	n3_store(c, "example.net.", n3_nodes, N3_NODES, 0, iter, true, 300, NOW,
	    NULL);
	n3_lookup(c, "r0.example.net.", LDNS_RR_TYPE_A, NOW, NULL);
	first = n3_hashes;
	n3_lookup(c, "r1.example.net.", LDNS_RR_TYPE_A, NOW, NULL);
	second = n3_hashes;
	ok(first == 3u * (iter + 1) && second == 1u * (iter + 1),
	    "SHA-1 runs: %u for the first name, %u for the next (the apex "
	    "and its wildcard remembered)", first, second);
	n3_lookup(c, "a.b.c.d.e.f.example.net.", LDNS_RR_TYPE_A, NOW, NULL);
	first = n3_hashes;
	ok(first <= LIMIT_DNSSEC_AGGRESSIVE_NSEC3_NAMES * (iter + 1u),
	    "a deep name hashes at most LIMIT_DNSSEC_AGGRESSIVE_NSEC3_NAMES "
	    "names (%u runs)", first);
	/* A request that spent its budget down to the validator's reserve. */
	n3_budget_left = LIMIT_DNSSEC_AGGRESSIVE_NSEC3_RESERVE + iter;
	second = (unsigned)n3_lookup(c, "r2.example.net.", LDNS_RR_TYPE_A, NOW,
	    NULL);
	first = n3_hashes;
	n3_budget_left = LIMIT_DNSSEC_AGGRESSIVE_NSEC3_RESERVE + iter + 1;
	ok((int)second == -1 && first == 0 &&
	    n3_lookup(c, "r2.example.net.", LDNS_RR_TYPE_A, NOW, NULL) ==
	    LDNS_RCODE_NXDOMAIN,
	    "the lookup leaves LIMIT_DNSSEC_AGGRESSIVE_NSEC3_RESERVE of the "
	    "request's NSEC3 budget to the validator (%u runs with one hash "
	    "short of it)", first);
	n3_budget_left = 0;
	nsec_cache_free(c);

	/* Only the three NSEC3s of one proof: most names fall elsewhere. */
	c = nsec_cache_new(1 << 20);
	n3_store(c, "example.net.", n3_nodes, N3_NODES, 0, iter, true, 300, NOW,
	    partial);
	found = n3_name_such_that(c, "example.net.", -1, name, sizeof(name));
	ok(found && n3_hashes == (unsigned)iter + 1,
	    "a name no cached NSEC3 covers costs one hash (%s: %u runs)", name,
	    n3_hashes);
	nsec_cache_free(c);
}

struct n3worker_arg {
	struct nsec_cache *cache;
	int id;
	unsigned found;
};

static void *
n3worker(void *p)
{
	struct n3worker_arg *a = p;
	char zone[32], name[64];

	for (int i = 0; i < 60; i++) {
		struct n3node nodes[3] = {
			{ NULL, "NS SOA RRSIG DNSKEY NSEC3PARAM" },
			{ NULL, "A RRSIG" },
			{ NULL, "A RRSIG" },
		};
		char www[64], ftp[64];

		snprintf(zone, sizeof(zone), "z%d.test.", (i + a->id) % 4);
		snprintf(www, sizeof(www), "www.%s", zone);
		snprintf(ftp, sizeof(ftp), "ftp%d.%s", i % 5, zone);
		nodes[0].name = zone;
		nodes[1].name = www;
		nodes[2].name = ftp;
		/* Salted or not: the zone's chain is replaced now and then. */
		n3_store(a->cache, zone, nodes, 3, 0, 1, i % 7 != 0, 300, NOW,
		    NULL);
		snprintf(name, sizeof(name), "n%d.%s", i, zone);
		if (n3_lookup(a->cache, name, LDNS_RR_TYPE_A, NOW, NULL) ==
		    LDNS_RCODE_NXDOMAIN)
			a->found++;
		if (i % 20 == 19) {
			ldns_rdf *n = t_name(zone);

			nsec_cache_flush(a->cache, n);
			ldns_rdf_deep_free(n);
		}
	}
	return NULL;
}

static void
test_nsec3_threads(void)
{
	/* Room for the chains: test_threads has the evictions. */
	struct nsec_cache *c = nsec_cache_new(256 * 1024);
	struct n3worker_arg args[4];
	pthread_t t[4];
	unsigned found = 0;

	for (int i = 0; i < 4; i++) {
		args[i].cache = c;
		args[i].id = i;
		args[i].found = 0;
		pthread_create(&t[i], NULL, n3worker, &args[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		found += args[i].found;
	}
	ok(found > 0, "four workers store NSEC3 chains, synthesise and flush "
	    "at once (%u NXDOMAIN)", found);
	ok(nsec_cache_bytes(c) <= 256 * 1024, "within the bound after them");
	nsec_cache_free(c);
}

int
main(void)
{
	test_canonical_order();
	test_cover_and_wrap();
	test_odd_labels();
	test_cuts_and_dnames();
	test_expiry();
	test_bound_and_flush();
	test_threads();
	test_nsec3_proofs();
	test_nsec3_opt_out();
	test_nsec3_wildcard();
	test_wildcard_answer_proof();
	test_nsec3_iterations();
	test_nsec3_expiry();
	test_soa_minimum();
	test_nsec3_hash_cost();
	test_nsec3_threads();
	return tap_done();
}
