/*
 * test_dnssec_nsec3.c: NSEC3 denial proofs (resolver/dnssec/nsec3.c) over
 * chains hashed here with ldns_nsec3_hash_name (an independent check of
 * our hashing): closest-encloser proofs, opt-out, ignored algorithms and
 * flags, and the NSEC3 limits (iterations, records per proof, hash budget,
 * each with a test that fails without it).
 */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"
#include "dnssec_util.h"
#include "engine_limits.h"
#include "dnssec/nsec3.h"

static ldns_rdf *zone;

struct node {
	const char *name;
	const char *types;	/* "" for an empty non-terminal */
};

/* example.com: w.example.com is an empty non-terminal. */
static const struct node nodes[] = {
	{ "example.com.", "NS SOA RRSIG DNSKEY NSEC3PARAM" },
	{ "a.example.com.", "A RRSIG" },
	{ "d.example.com.", "NS DS RRSIG" },
	{ "insecure.example.com.", "NS" },
	{ "m.example.com.", "DNAME RRSIG" },
	{ "w.example.com.", "" },
	{ "*.w.example.com.", "TXT RRSIG" },
};
#define NNODES	(sizeof(nodes) / sizeof(nodes[0]))

struct hashed {
	char label[64];		/* base32hex, no dot */
	const char *types;
};

static int
cmp_hashed(const void *a, const void *b)
{
	return strcmp(((const struct hashed *)a)->label,
	    ((const struct hashed *)b)->label);
}

/*
 * The NSEC3 chain of `n` nodes with hash algorithm `alg`, `flags`,
 * `iterations` and salt "AB" (or "-" for none).
 */
static ldns_rr_list *
chain(const struct node *ns, size_t n, int alg, int flags, int iterations,
    const char *salt)
{
	struct hashed h[32];
	ldns_rr_list *list = ldns_rr_list_new();
	uint8_t salt_bytes[1] = { 0xab };
	bool has_salt = strcmp(salt, "-") != 0;

	for (size_t i = 0; i < n; i++) {
		ldns_rdf *name = t_name(ns[i].name);
		ldns_rdf *hn = ldns_nsec3_hash_name(name, 1, (uint16_t)iterations,
		    has_salt ? 1 : 0, salt_bytes);
		char *text = ldns_rdf2str(hn);

		snprintf(h[i].label, sizeof(h[i].label), "%.*s",
		    (int)strcspn(text, "."), text);
		h[i].types = ns[i].types;
		free(text);
		ldns_rdf_deep_free(hn);
		ldns_rdf_deep_free(name);
	}
	qsort(h, n, sizeof(h[0]), cmp_hashed);
	for (size_t i = 0; i < n; i++) {
		char text[4096];

		snprintf(text, sizeof(text), "%s.example.com. 300 IN NSEC3 %d %d "
		    "%d %s %s %s", h[i].label, alg, flags, iterations,
		    has_salt ? "AB" : "-", h[(i + 1) % n].label, h[i].types);
		ldns_rr_list_push_rr(list, t_rr(text));
	}
	return list;
}

static ldns_rr_list *
std_chain(void)
{
	return chain(nodes, NNODES, 1, 0, 0, "AB");
}

enum proof_kind { NXDOMAIN, NODATA, NO_DS, WILDCARD };

/* Runs one proof with a fresh budget and no cache, frees `nsec3s`. */
static struct dnssec_verdict
prove(enum proof_kind kind, const char *qname, int arg, ldns_rr_list *nsec3s,
    struct dnssec_budget *budget_out)
{
	ldns_rdf *name = t_name(qname);
	struct dnssec_budget budget;
	struct dnssec_verdict v;

	dnssec_budget_init(&budget);
	switch (kind) {
	case NXDOMAIN:
		nsec3_prove_nxdomain(name, zone, nsec3s, NULL, &budget, &v);
		break;
	case NODATA:
		nsec3_prove_nodata(name, (ldns_rr_type)arg, zone, nsec3s, NULL,
		    &budget, &v);
		break;
	case NO_DS:
		nsec3_prove_no_ds(name, zone, nsec3s, NULL, &budget, &v);
		break;
	case WILDCARD:
		nsec3_prove_wildcard(name, arg, zone, nsec3s, NULL, &budget, &v);
		break;
	}
	if (budget_out != NULL)
		*budget_out = budget;
	ldns_rdf_deep_free(name);
	ldns_rr_list_deep_free(nsec3s);
	return v;
}

static void
test_proofs(void)
{
	struct dnssec_verdict v;

	v = prove(NXDOMAIN, "c.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_SECURE, "NXDOMAIN c: closest encloser example.com, "
	    "next closer and wildcard covered (%s)", v.why);
	v = prove(NXDOMAIN, "x.y.c.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_SECURE, "NXDOMAIN three labels below the apex (%s)",
	    v.why);
	v = prove(NXDOMAIN, "a.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS, "NXDOMAIN for an existing name: bogus (%s)",
	    v.why);
	v = prove(NXDOMAIN, "x.w.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS,
	    "NXDOMAIN where *.w.example.com exists: bogus (%s)", v.why);
	/*
	 * The closest encloser an unsigned cut (NS, no DS, no SOA): the name
	 * is in a zone nobody can prove anything of, insecure (Unbound's
	 * nsec3_prove_closest_encloser); a signed cut (DS) stays bogus.
	 */
	v = prove(NXDOMAIN, "foo.insecure.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_INSECURE && v.ede == DNSSEC_EDE_NONE &&
	    v.unsigned_cut == 3,
	    "NXDOMAIN below an unsigned cut (closest encloser): insecure, the "
	    "cut named (%s, cut %d labels)", v.why, v.unsigned_cut);
	v = prove(NXDOMAIN, "foo.d.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS,
	    "NXDOMAIN below a signed cut (closest encloser has DS): bogus (%s)",
	    v.why);
	/*
	 * The NSEC3 at an unsigned cut matching the name of an NXDOMAIN says
	 * the name exists (RFC 5155 §8.3: the name is its own closest
	 * encloser): bogus whatever the type, DS included, as Unbound's
	 * nsec3_prove_closest_encloser ("proved that qname existed, bad").
	 * nsec3_prove_nxdomain needs no type for it (nsec.c did: its cut
	 * check came first).
	 */
	v = prove(NXDOMAIN, "insecure.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS && v.unsigned_cut == -1,
	    "NXDOMAIN at an unsigned cut whose NSEC3 matches the name: bogus "
	    "(%s, cut %d labels)", v.why, v.unsigned_cut);
	v = prove(NODATA, "foo.insecure.example.com.", LDNS_RR_TYPE_A,
	    std_chain(), NULL);
	ok(v.status == SEC_INSECURE,
	    "NODATA below an unsigned cut: insecure (%s)", v.why);
	v = prove(NODATA, "insecure.example.com.", LDNS_RR_TYPE_A, std_chain(),
	    NULL);
	ok(v.status == SEC_INSECURE && v.unsigned_cut == 3,
	    "NODATA at an unsigned cut from its parent-side NSEC3: insecure (%s)",
	    v.why);
	v = prove(NODATA, "insecure.example.com.", LDNS_RR_TYPE_NS, std_chain(),
	    NULL);
	ok(v.status == SEC_BOGUS,
	    "NODATA for NS at a cut whose NSEC3 lists NS: bogus (%s)", v.why);
	/*
	 * A DS below the unsigned cut: the unsigned child's data, insecure as
	 * with NSEC (RFC 4035 §2.4, §4.3). Unbound's nsec3_do_prove_nodata
	 * says bogus here (the insecure closest encloser ignored for DS, then
	 * no next closer NSEC3); descend said bogus too. Below a signed cut:
	 * bogus.
	 */
	v = prove(NODATA, "foo.insecure.example.com.", LDNS_RR_TYPE_DS,
	    std_chain(), NULL);
	ok(v.status == SEC_INSECURE && v.unsigned_cut == 3,
	    "NODATA for a DS below an unsigned cut: insecure, the cut named "
	    "(%s, cut %d labels)", v.why, v.unsigned_cut);
	v = prove(NODATA, "foo.d.example.com.", LDNS_RR_TYPE_DS, std_chain(),
	    NULL);
	ok(v.status == SEC_BOGUS && v.unsigned_cut == -1,
	    "NODATA for a DS below a signed cut: bogus (%s)", v.why);
	v = prove(NODATA, "insecure.example.com.", LDNS_RR_TYPE_DS, std_chain(),
	    NULL);
	ok(v.status == SEC_SECURE && v.unsigned_cut == -1,
	    "NODATA for the DS at the unsigned cut: the no-DS proof (%s)",
	    v.why);
	v = prove(NO_DS, "foo.insecure.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS,
	    "no DS below an unsigned cut: not the parent's to say, bogus (%s)",
	    v.why);
	v = prove(NXDOMAIN, "foo.m.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS, "NXDOMAIN below a DNAME: bogus (%s)", v.why);
	v = prove(NODATA, "a.example.com.", LDNS_RR_TYPE_AAAA, std_chain(), NULL);
	ok(v.status == SEC_SECURE, "NODATA a/AAAA (%s)", v.why);
	v = prove(NODATA, "a.example.com.", LDNS_RR_TYPE_A, std_chain(), NULL);
	ok(v.status == SEC_BOGUS, "NODATA a/A: type present, bogus (%s)", v.why);
	v = prove(NODATA, "w.example.com.", LDNS_RR_TYPE_A, std_chain(), NULL);
	ok(v.status == SEC_SECURE,
	    "NODATA at an empty non-terminal (empty bitmap) (%s)", v.why);
	v = prove(NODATA, "d.example.com.", LDNS_RR_TYPE_A, std_chain(), NULL);
	ok(v.status == SEC_BOGUS,
	    "NODATA from the parent-side NSEC3 for a non-DS type: bogus (%s)",
	    v.why);
	v = prove(NODATA, "x.w.example.com.", LDNS_RR_TYPE_A, std_chain(), NULL);
	ok(v.status == SEC_SECURE, "wildcard NODATA: *.w lacks A (%s)", v.why);
	v = prove(NODATA, "x.w.example.com.", LDNS_RR_TYPE_TXT, std_chain(), NULL);
	ok(v.status == SEC_BOGUS, "wildcard NODATA for TXT, which *.w has: bogus");
	v = prove(NODATA, "c.example.com.", LDNS_RR_TYPE_A, std_chain(), NULL);
	ok(v.status == SEC_BOGUS, "NODATA for a missing name: bogus (%s)", v.why);
	v = prove(NO_DS, "insecure.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_INSECURE, "no DS: NS without DS and SOA: insecure "
	    "(%s)", v.why);
	v = prove(NO_DS, "d.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS, "no DS where the NSEC3 lists DS: bogus");
	v = prove(NO_DS, "a.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_SECURE, "no DS and no NS: not a delegation (%s)",
	    v.why);
	v = prove(NO_DS, "c.example.com.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS,
	    "no DS for a missing name without opt-out: bogus (%s)", v.why);
	v = prove(WILDCARD, "x.w.example.com.", 3, std_chain(), NULL);
	ok(v.status == SEC_SECURE, "wildcard answer: next closer covered (%s)",
	    v.why);
	v = prove(WILDCARD, "a.example.com.", 2, std_chain(), NULL);
	ok(v.status == SEC_BOGUS,
	    "replayed wildcard signature for an existing name: bogus (%s)",
	    v.why);
	v = prove(NXDOMAIN, "c.example.net.", 0, std_chain(), NULL);
	ok(v.status == SEC_BOGUS, "a name outside the zone: bogus");
}

/* Opt-out (RFC 5155 §6, §9.2): unsigned delegations are not in the chain. */
static void
test_optout(void)
{
	struct dnssec_verdict v;

	v = prove(NO_DS, "unsigned.example.com.", 0,
	    chain(nodes, NNODES, 1, 1, 0, "AB"), NULL);
	ok(v.status == SEC_INSECURE,
	    "opt-out span covers the delegation: insecure (%s)", v.why);
	v = prove(NODATA, "unsigned.example.com.", LDNS_RR_TYPE_DS,
	    chain(nodes, NNODES, 1, 1, 0, "AB"), NULL);
	ok(v.status == SEC_INSECURE, "DS NODATA over an opt-out span: insecure");
	v = prove(NXDOMAIN, "c.example.com.", 0,
	    chain(nodes, NNODES, 1, 1, 0, "AB"), NULL);
	ok(v.status == SEC_INSECURE && v.ede == DNSSEC_EDE_NONE,
	    "NXDOMAIN over an opt-out span: insecure, no AD (%s)", v.why);
	v = prove(WILDCARD, "x.w.example.com.", 3,
	    chain(nodes, NNODES, 1, 1, 0, "AB"), NULL);
	ok(v.status == SEC_INSECURE, "wildcard answer over opt-out: insecure");
	/*
	 * Wildcard NODATA whose next closer name sits in an opt-out span: the
	 * name may be an unsigned delegation (with the data asked for below
	 * it), so the wildcard proves nothing about it (RFC 5155 §9.2, as
	 * Unbound's nsec3_do_prove_nodata): insecure, never AD nor cached for
	 * RFC 8198 synthesis.
	 */
	v = prove(NODATA, "x.w.example.com.", LDNS_RR_TYPE_A,
	    chain(nodes, NNODES, 1, 1, 0, "AB"), NULL);
	ok(v.status == SEC_INSECURE && v.ede == DNSSEC_EDE_NONE,
	    "wildcard NODATA over an opt-out span: insecure, no AD (%s)",
	    v.why);
	/* No wildcard at all, the next closer name in an opt-out span: it
	 * may be an unsigned delegation (RFC 5155 §9.2, Unbound's case 5). */
	v = prove(NODATA, "c.example.com.", LDNS_RR_TYPE_A,
	    chain(nodes, NNODES, 1, 1, 0, "AB"), NULL);
	ok(v.status == SEC_INSECURE && v.ede == DNSSEC_EDE_NONE,
	    "NODATA for a name in an opt-out span: insecure (%s)", v.why);
}

/* RFC 5155 §8.1-8.2: unknown hash algorithms and flags are ignored. */
static void
test_ignored(void)
{
	struct dnssec_verdict v;
	ldns_rr_list *mixed;

	v = prove(NXDOMAIN, "c.example.com.", 0,
	    chain(nodes, NNODES, 2, 0, 0, "AB"), NULL);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_NSEC_MISSING,
	    "hash algorithm 2 only: ignored, bogus, no crash (%s)", v.why);
	v = prove(NXDOMAIN, "c.example.com.", 0,
	    chain(nodes, NNODES, 1, 2, 0, "AB"), NULL);
	ok(v.status == SEC_BOGUS, "unknown flag 2: ignored (%s)", v.why);
	/* A valid chain with a junk algorithm-2 record in front still works. */
	mixed = std_chain();
	{
		ldns_rr_list *junk = chain(nodes, 1, 2, 0, 0, "AB");

		ldns_rr_list_push_rr(mixed, ldns_rr_list_pop_rr(junk));
		ldns_rr_list_deep_free(junk);
	}
	v = prove(NXDOMAIN, "c.example.com.", 0, mixed, NULL);
	ok(v.status == SEC_SECURE, "an algorithm-2 record beside the chain is "
	    "ignored (%s)", v.why);
	/* Records with other parameters than the first usable one: ignored. */
	v = prove(NXDOMAIN, "c.example.com.", 0,
	    chain(nodes, NNODES, 1, 0, 0, "-"), NULL);
	ok(v.status == SEC_SECURE, "empty salt chain works (%s)", v.why);
}

static void
test_limits(void)
{
	struct dnssec_verdict v;
	struct dnssec_budget b;
	static const struct node many[] = {
		{ "example.com.", "NS SOA RRSIG DNSKEY NSEC3PARAM" },
		{ "a.example.com.", "A" }, { "b.example.com.", "A" },
		{ "c.example.com.", "A" }, { "d.example.com.", "A" },
		{ "e.example.com.", "A" }, { "f.example.com.", "A" },
		{ "g.example.com.", "A" }, { "h.example.com.", "A" },
	};

	v = prove(NXDOMAIN, "c.example.com.", 0,
	    chain(nodes, NNODES, 1, 0, LIMIT_DNSSEC_NSEC3_ITERATIONS, "AB"), NULL);
	ok(v.status == SEC_SECURE, "NSEC3 at %d iterations: validated (%s)",
	    LIMIT_DNSSEC_NSEC3_ITERATIONS, v.why);
	v = prove(NXDOMAIN, "c.example.com.", 0,
	    chain(nodes, NNODES, 1, 0, 51, "AB"), &b);
	ok(v.status == SEC_INSECURE &&
	    v.ede == DNSSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS && v.limit != NULL &&
	    strcmp(v.limit, "LIMIT_DNSSEC_NSEC3_ITERATIONS") == 0 &&
	    b.nsec3_hashes_done == 0,
	    "NSEC3 at 51 iterations: insecure, EDE 27, nothing hashed (%s)",
	    v.why);
	v = prove(NXDOMAIN, "zz.example.com.", 0,
	    chain(many, sizeof(many) / sizeof(many[0]), 1, 0, 0, "AB"), &b);
	ok(v.status == SEC_BOGUS &&
	    v.ede == DNSSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS && v.limit != NULL &&
	    strcmp(v.limit, "LIMIT_DNSSEC_NSEC3_PER_REPLY") == 0 &&
	    b.nsec3_hashes_done == 0,
	    "%zu NSEC3 records in one proof: bogus, EDE 27, nothing hashed",
	    sizeof(many) / sizeof(many[0]));
	/* A 40-label name at 50 iterations: the closest-encloser walk would
	 * hash 41 names x 51 = 2091 SHA-1 runs. */
	{
		char deep[256] = "";

		for (int i = 0; i < 40; i++)
			strcat(deep, "x.");
		strcat(deep, "c.example.com.");
		v = prove(NXDOMAIN, deep, 0, chain(nodes, NNODES, 1, 0,
		    LIMIT_DNSSEC_NSEC3_ITERATIONS, "AB"), &b);
		ok(v.status == SEC_BOGUS && v.limit != NULL &&
		    strcmp(v.limit, "LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST") == 0 &&
		    b.nsec3_hashes_done <= LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST,
		    "deep NXDOMAIN at %d iterations: stops after %u SHA-1 runs, "
		    "bogus (%s)", LIMIT_DNSSEC_NSEC3_ITERATIONS,
		    b.nsec3_hashes_done, v.why);
	}
}

/* The per-request cache: the same proof again costs no hashing. */
static void
test_cache(void)
{
	struct nsec3_cache *cache = nsec3_cache_new();
	ldns_rr_list *nsec3s = std_chain();
	ldns_rdf *name = t_name("c.example.com.");
	struct dnssec_budget budget;
	struct dnssec_verdict v;
	unsigned first;

	dnssec_budget_init(&budget);
	nsec3_prove_nxdomain(name, zone, nsec3s, cache, &budget, &v);
	first = budget.nsec3_hashes_done;
	nsec3_prove_nxdomain(name, zone, nsec3s, cache, &budget, &v);
	ok(v.status == SEC_SECURE && first > 0 &&
	    budget.nsec3_hashes_done == first,
	    "cached: the second proof hashes nothing (%u, then %u)", first,
	    budget.nsec3_hashes_done);
	nsec3_prove_nxdomain(name, zone, nsec3s, NULL, &budget, &v);
	ok(budget.nsec3_hashes_done == 2 * first,
	    "without a cache it hashes again (%u)", budget.nsec3_hashes_done);
	nsec3_cache_free(cache);
	ldns_rr_list_deep_free(nsec3s);
	ldns_rdf_deep_free(name);
}

int
main(void)
{
	zone = t_name("example.com.");
	test_proofs();
	test_optout();
	test_ignored();
	test_limits();
	test_cache();
	ldns_rdf_deep_free(zone);
	return tap_done();
}
