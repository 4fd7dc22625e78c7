/*
 * test_dnssec_nsec.c: NSEC denial proofs (resolver/dnssec/nsec.c) over a
 * small zone's NSEC chain: NXDOMAIN, NODATA, empty non-terminals, wildcards,
 * no-DS at cuts, and the records that must prove nothing (parent-side NSEC
 * below a cut, DNAME, a wildcard denied only at the immediate parent).
 */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"
#include "dnssec_util.h"
#include "dnssec/nsec.h"

/* example.com's chain in canonical order; x.example.com and
 * w.example.com are empty non-terminals. */
static const char *chain[] = {
	"example.com. 300 IN NSEC a.example.com. NS SOA RRSIG NSEC DNSKEY",
	"a.example.com. 300 IN NSEC d.example.com. A RRSIG NSEC",
	"d.example.com. 300 IN NSEC insecure.example.com. NS DS RRSIG NSEC",
	"insecure.example.com. 300 IN NSEC m.example.com. NS RRSIG NSEC",
	"m.example.com. 300 IN NSEC *.w.example.com. DNAME RRSIG NSEC",
	"*.w.example.com. 300 IN NSEC b.x.example.com. TXT RRSIG NSEC",
	"b.x.example.com. 300 IN NSEC z.example.com. A RRSIG NSEC",
	"z.example.com. 300 IN NSEC example.com. A RRSIG NSEC",
};
#define APEX	0
#define A	1
#define D	2
#define INSEC	3
#define M	4
#define WILD_W	5
#define BX	6
#define Z	7

static ldns_rdf *zone;
/* The last proof's verdict->unsigned_cut (verify.h). */
static int last_cut;

/* The chain's records with the given indexes, -1 ending the list. */
static ldns_rr_list *
pick(int first, ...)
{
	ldns_rr_list *list = ldns_rr_list_new();
	va_list ap;

	va_start(ap, first);
	for (int i = first; i >= 0; i = va_arg(ap, int))
		ldns_rr_list_push_rr(list, t_rr(chain[i]));
	va_end(ap);
	return list;
}

static enum sec_status
nxdomain_type(const char *qname, ldns_rr_type type, ldns_rr_list *nsecs,
    const char **why)
{
	ldns_rdf *name = t_name(qname);
	struct dnssec_verdict v;

	nsec_prove_nxdomain(name, type, zone, nsecs, &v);
	last_cut = v.unsigned_cut;
	ldns_rdf_deep_free(name);
	ldns_rr_list_deep_free(nsecs);
	*why = v.why;
	return v.status;
}

/* NXDOMAIN for an A question: the type matters only for DS. */
static enum sec_status
nxdomain(const char *qname, ldns_rr_list *nsecs, const char **why)
{
	return nxdomain_type(qname, LDNS_RR_TYPE_A, nsecs, why);
}

static enum sec_status
nodata(const char *qname, ldns_rr_type type, ldns_rr_list *nsecs,
    const char **why)
{
	ldns_rdf *name = t_name(qname);
	struct dnssec_verdict v;

	nsec_prove_nodata(name, type, zone, nsecs, &v);
	last_cut = v.unsigned_cut;
	ldns_rdf_deep_free(name);
	ldns_rr_list_deep_free(nsecs);
	*why = v.why;
	return v.status;
}

static enum sec_status
no_ds(const char *qname, ldns_rr_list *nsecs, const char **why)
{
	ldns_rdf *name = t_name(qname);
	struct dnssec_verdict v;

	nsec_prove_no_ds(name, zone, nsecs, &v);
	ldns_rdf_deep_free(name);
	ldns_rr_list_deep_free(nsecs);
	*why = v.why;
	return v.status;
}

static enum sec_status
wildcard(const char *qname, int ce_labels, ldns_rr_list *nsecs,
    const char **why)
{
	ldns_rdf *name = t_name(qname);
	struct dnssec_verdict v;

	nsec_prove_wildcard(name, ce_labels, zone, nsecs, &v);
	ldns_rdf_deep_free(name);
	ldns_rr_list_deep_free(nsecs);
	*why = v.why;
	return v.status;
}

static void
test_covers(void)
{
	ldns_rdf *a = t_name("a.example.com."), *d = t_name("d.example.com.");
	ldns_rdf *c = t_name("c.example.com."), *z = t_name("z.example.com.");
	ldns_rdf *b_a = t_name("b.a.example.com."), *zz = t_name("zz.example.com.");

	ok(nsec_covers(a, d, c), "a -> d covers c");
	ok(nsec_covers(a, d, b_a), "a -> d covers b.a (below the owner)");
	ok(!nsec_covers(a, d, a), "the owner is not covered (ldns says it is)");
	ok(!nsec_covers(a, d, d), "the next name is not covered");
	ok(nsec_covers(z, zone, zz), "the last NSEC (next = apex) covers after it");
	ok(!nsec_covers(z, zone, c), "the last NSEC covers nothing before its owner");
	ldns_rdf_deep_free(a);
	ldns_rdf_deep_free(d);
	ldns_rdf_deep_free(c);
	ldns_rdf_deep_free(z);
	ldns_rdf_deep_free(b_a);
	ldns_rdf_deep_free(zz);
}

static void
test_nxdomain(void)
{
	const char *why;
	enum sec_status st;

	st = nxdomain("c.example.com.", pick(A, APEX, -1), &why);
	ok(st == SEC_SECURE, "NXDOMAIN c: covered, *.example.com denied (%s)",
	    why);
	st = nxdomain("c.example.com.", pick(A, -1), &why);
	ok(st == SEC_BOGUS, "NXDOMAIN without the wildcard denial: bogus (%s)",
	    why);
	st = nxdomain("C.Example.COM.", pick(A, APEX, -1), &why);
	ok(st == SEC_SECURE, "NXDOMAIN proof ignores case");
	st = nxdomain("a.example.com.", pick(A, APEX, -1), &why);
	ok(st == SEC_BOGUS, "NXDOMAIN for a name with an NSEC: bogus (%s)", why);
	st = nxdomain("x.example.com.", pick(WILD_W, APEX, -1), &why);
	ok(st == SEC_BOGUS,
	    "NXDOMAIN for an empty non-terminal: bogus (%s)", why);
	/*
	 * Below an unsigned cut (NS, no DS, no SOA) the parent proves
	 * nothing, and nobody can: insecure, as Unbound (RFC 4035 §5.2). A
	 * signed child (DS at the cut) must answer for itself: bogus.
	 */
	st = nxdomain("foo.insecure.example.com.", pick(INSEC, APEX, -1), &why);
	ok(st == SEC_INSECURE && last_cut == 3,
	    "NXDOMAIN below an unsigned cut, shown by its NSEC: insecure, the "
	    "cut named (%s, cut %d labels)", why, last_cut);
	st = nxdomain("insecure.example.com.", pick(INSEC, APEX, -1), &why);
	ok(st == SEC_INSECURE,
	    "NXDOMAIN at an unsigned cut, shown by its NSEC: insecure (%s)", why);
	/*
	 * A DS at the cut is the parent's data, and the parent's NSEC owned
	 * by the name says it exists: an NXDOMAIN with it is a contradiction
	 * (RFC 4035 §5.4), bogus, not the insecure verdict of a name in the
	 * unsigned child; strictly below the cut a DS is the child's data
	 * and stays insecure.
	 */
	st = nxdomain_type("insecure.example.com.", LDNS_RR_TYPE_DS,
	    pick(INSEC, APEX, -1), &why);
	ok(st == SEC_BOGUS && last_cut == -1,
	    "NXDOMAIN for the DS at an unsigned cut, its NSEC matching the "
	    "name: bogus (%s, cut %d labels)", why, last_cut);
	st = nxdomain_type("foo.insecure.example.com.", LDNS_RR_TYPE_DS,
	    pick(INSEC, APEX, -1), &why);
	ok(st == SEC_INSECURE && last_cut == 3,
	    "NXDOMAIN for a DS below an unsigned cut: the child's data, "
	    "insecure (%s, cut %d labels)", why, last_cut);
	st = nxdomain("foo.d.example.com.", pick(D, APEX, -1), &why);
	ok(st == SEC_BOGUS,
	    "NXDOMAIN below a signed cut (NS and DS) from the parent: bogus (%s)",
	    why);
	st = nxdomain("foo.m.example.com.", pick(M, APEX, -1), &why);
	ok(st == SEC_BOGUS, "an NSEC with DNAME proves nothing below it (%s)",
	    why);
	st = nxdomain("c.example.net.", pick(A, APEX, -1), &why);
	ok(st == SEC_BOGUS, "a name outside the zone: bogus");
	st = nxdomain("zz.example.com.", pick(Z, APEX, -1), &why);
	ok(st == SEC_SECURE, "NXDOMAIN after the last name (wrap to apex)");
	/* The wildcard denial must be at the closest encloser: a.w.example.com
	 * has w.example.com (an empty non-terminal) as its closest encloser
	 * and *.w.example.com exists. */
	st = nxdomain("a.w.example.com.", pick(WILD_W, M, APEX, -1), &why);
	ok(st == SEC_BOGUS,
	    "NXDOMAIN under an existing wildcard's parent: bogus (%s)", why);
}

/*
 * A forged NXDOMAIN: example.org has *.example.org; foo.bar.example.org
 * must be answered from the wildcard. The attacker's NSEC covers the name
 * and *.bar.example.org (the immediate parent's wildcard, what
 * ldns_dnssec_verify_denial checks); the closest encloser is example.org,
 * whose wildcard exists.
 */
static void
test_forged_nxdomain(void)
{
	ldns_rdf *org = t_name("example.org.");
	ldns_rdf *q = t_name("foo.bar.example.org.");
	ldns_rr_list *nsecs = t_list(
	    "a.example.org. 300 IN NSEC example.org. A RRSIG NSEC", NULL);
	ldns_rr_list *with_wild = t_list(
	    "a.example.org. 300 IN NSEC example.org. A RRSIG NSEC",
	    "*.example.org. 300 IN NSEC a.example.org. TXT RRSIG NSEC", NULL);
	struct dnssec_verdict v;

	nsec_prove_nxdomain(q, LDNS_RR_TYPE_A, org, nsecs, &v);
	ok(v.status == SEC_BOGUS,
	    "forged NXDOMAIN, wildcard denied only at the immediate parent: "
	    "rejected (%s)", v.why);
	nsec_prove_nxdomain(q, LDNS_RR_TYPE_A, org, with_wild, &v);
	ok(v.status == SEC_BOGUS,
	    "forged NXDOMAIN beside the existing *.example.org NSEC: rejected "
	    "(%s)", v.why);
	ldns_rdf_deep_free(org);
	ldns_rdf_deep_free(q);
	ldns_rr_list_deep_free(nsecs);
	ldns_rr_list_deep_free(with_wild);
}

static void
test_nodata(void)
{
	const char *why;
	enum sec_status st;

	st = nodata("a.example.com.", LDNS_RR_TYPE_AAAA, pick(A, -1), &why);
	ok(st == SEC_SECURE, "NODATA a/AAAA: the NSEC lacks AAAA (%s)", why);
	st = nodata("a.example.com.", LDNS_RR_TYPE_A, pick(A, -1), &why);
	ok(st == SEC_BOGUS, "NODATA a/A: the NSEC lists A, bogus (%s)", why);
	st = nodata("x.example.com.", LDNS_RR_TYPE_A, pick(WILD_W, -1), &why);
	ok(st == SEC_SECURE, "NODATA at an empty non-terminal (%s)", why);
	st = nodata("d.example.com.", LDNS_RR_TYPE_A, pick(D, -1), &why);
	ok(st == SEC_BOGUS,
	    "NODATA from a parent-side NSEC for a type other than DS: bogus (%s)",
	    why);
	st = nodata("insecure.example.com.", LDNS_RR_TYPE_DS, pick(INSEC, -1),
	    &why);
	ok(st == SEC_SECURE, "NODATA for DS from the parent-side NSEC");
	st = nodata("foo.insecure.example.com.", LDNS_RR_TYPE_A,
	    pick(INSEC, APEX, -1), &why);
	ok(st == SEC_INSECURE,
	    "NODATA below an unsigned cut from the parent side: insecure (%s)",
	    why);
	st = nodata("insecure.example.com.", LDNS_RR_TYPE_A, pick(INSEC, -1),
	    &why);
	ok(st == SEC_INSECURE,
	    "NODATA at an unsigned cut from its parent-side NSEC: insecure (%s)",
	    why);
	/*
	 * A DS strictly below the unsigned cut is the unsigned child's data
	 * (RFC 4035 §2.4), in the branch RFC 4035 §4.3 calls provably
	 * insecure: insecure, as for A (was bogus; Unbound's
	 * val_nsec_proves_insecuredelegation says the same). Below a signed
	 * cut (DS) it stays bogus, and at the cut the NSEC is the no-DS proof.
	 */
	st = nodata("foo.insecure.example.com.", LDNS_RR_TYPE_DS,
	    pick(INSEC, APEX, -1), &why);
	ok(st == SEC_INSECURE && last_cut == 3,
	    "NODATA for a DS below the unsigned cut: the child's data, "
	    "insecure, the cut named (%s, cut %d labels)", why, last_cut);
	st = nodata("b.foo.insecure.example.com.", LDNS_RR_TYPE_DS,
	    pick(INSEC, -1), &why);
	ok(st == SEC_INSECURE && last_cut == 3,
	    "NODATA for a DS two labels below the unsigned cut: insecure (%s)",
	    why);
	st = nodata("foo.d.example.com.", LDNS_RR_TYPE_DS, pick(D, APEX, -1),
	    &why);
	ok(st == SEC_BOGUS && last_cut == -1,
	    "NODATA for a DS below a signed cut (NS and DS): bogus (%s)", why);
	st = nodata("insecure.example.com.", LDNS_RR_TYPE_DS, pick(INSEC, -1),
	    &why);
	ok(st == SEC_SECURE && last_cut == -1,
	    "NODATA for the DS at the unsigned cut: the no-DS proof, secure, "
	    "no cut named (%s)", why);
	st = nodata("m.example.com.", LDNS_RR_TYPE_A, pick(M, -1), &why);
	ok(st == SEC_SECURE, "NODATA at the DNAME owner itself is fine");
	st = nodata("a.w.example.com.", LDNS_RR_TYPE_A, pick(WILD_W, -1), &why);
	ok(st == SEC_SECURE, "wildcard NODATA: *.w lacks A (%s)", why);
	st = nodata("a.w.example.com.", LDNS_RR_TYPE_TXT, pick(WILD_W, -1), &why);
	ok(st == SEC_BOGUS, "wildcard NODATA for the wildcard's own type: bogus");
	st = nodata("c.example.com.", LDNS_RR_TYPE_A, pick(A, APEX, -1), &why);
	ok(st == SEC_BOGUS, "NODATA for a name that does not exist: bogus (%s)",
	    why);
	{
		ldns_rr_list *cname = t_list("c.example.com. 300 IN NSEC "
		    "d.example.com. CNAME RRSIG NSEC", NULL);

		st = nodata("c.example.com.", LDNS_RR_TYPE_A, cname, &why);
		ok(st == SEC_BOGUS, "NODATA where the NSEC says CNAME: bogus");
	}
	{
		ldns_rr_list *child_apex = t_list("insecure.example.com. 300 IN "
		    "NSEC z.insecure.example.com. NS SOA RRSIG NSEC DNSKEY", NULL);

		st = nodata("insecure.example.com.", LDNS_RR_TYPE_DS, child_apex,
		    &why);
		ok(st == SEC_BOGUS,
		    "the child's apex NSEC cannot deny the DS (%s)", why);
	}
	{
		/*
		 * The wildcard *.e is an empty non-terminal (a.*.e exists):
		 * it matches foo.e, which then has no data (RFC 4592 §2.2.2,
		 * as Unbound's nsec_proves_nodata); the NSEC covering *.e with
		 * its next name below it shows that. Not an NXDOMAIN.
		 */
		const char *ent_wild[] = {
		    "example.com. 300 IN NSEC a.*.e.example.com. NS SOA RRSIG "
		    "NSEC DNSKEY",
		    "a.*.e.example.com. 300 IN NSEC example.com. A RRSIG NSEC",
		};

		st = nodata("foo.e.example.com.", LDNS_RR_TYPE_A,
		    t_list(ent_wild[0], ent_wild[1], NULL), &why);
		ok(st == SEC_SECURE, "wildcard NODATA where the wildcard is an "
		    "empty non-terminal (%s)", why);
		st = nxdomain("foo.e.example.com.",
		    t_list(ent_wild[0], ent_wild[1], NULL), &why);
		ok(st == SEC_BOGUS, "and no NXDOMAIN there (%s)", why);
		st = nodata("foo.e.example.com.", LDNS_RR_TYPE_A,
		    t_list(ent_wild[1], NULL), &why);
		ok(st == SEC_BOGUS,
		    "not without the NSEC showing the wildcard's children (%s)",
		    why);
	}
}

static void
test_no_ds(void)
{
	const char *why;
	enum sec_status st;

	st = no_ds("insecure.example.com.", pick(INSEC, -1), &why);
	ok(st == SEC_INSECURE, "no DS: NS set, DS and SOA clear: insecure (%s)",
	    why);
	st = no_ds("d.example.com.", pick(D, -1), &why);
	ok(st == SEC_BOGUS, "no DS, but the NSEC lists DS: bogus (%s)", why);
	st = no_ds("a.example.com.", pick(A, -1), &why);
	ok(st == SEC_SECURE, "no NS at the name: proven no delegation (%s)", why);
	st = no_ds("x.example.com.", pick(WILD_W, -1), &why);
	ok(st == SEC_SECURE, "empty non-terminal: no delegation (%s)", why);
	st = no_ds("c.example.com.", pick(A, APEX, -1), &why);
	ok(st == SEC_BOGUS, "no NSEC at the name: bogus (%s)", why);
	{
		ldns_rr_list *child_apex = t_list("insecure.example.com. 300 IN "
		    "NSEC z.insecure.example.com. NS SOA RRSIG NSEC DNSKEY", NULL);

		st = no_ds("insecure.example.com.", child_apex, &why);
		ok(st == SEC_BOGUS, "the child's apex NSEC: bogus (%s)", why);
	}
	st = no_ds("example.com.", pick(APEX, -1), &why);
	ok(st == SEC_BOGUS, "the zone cannot deny its own DS");
}

static void
test_wildcard(void)
{
	const char *why;
	enum sec_status st;

	st = wildcard("a.w.example.com.", 3, pick(WILD_W, -1), &why);
	ok(st == SEC_SECURE, "wildcard answer: next closer denied (%s)", why);
	st = wildcard("a.w.example.com.", 2, pick(WILD_W, -1), &why);
	ok(st == SEC_BOGUS,
	    "wildcard at example.com claimed, w.example.com exists: bogus (%s)",
	    why);
	st = wildcard("a.w.example.com.", 3, pick(APEX, -1), &why);
	ok(st == SEC_BOGUS, "wildcard answer without a covering NSEC: bogus");
	st = wildcard("b.x.example.com.", 2, pick(WILD_W, BX, -1), &why);
	ok(st == SEC_BOGUS,
	    "a replayed wildcard signature for an existing name: bogus (%s)", why);
	st = wildcard("a.w.example.com.", 4, pick(WILD_W, -1), &why);
	ok(st == SEC_BOGUS, "wildcard labels not below the name: bogus");
}

int
main(void)
{
	zone = t_name("example.com.");
	test_covers();
	test_nxdomain();
	test_forged_nxdomain();
	test_nodata();
	test_no_ds();
	test_wildcard();
	ldns_rdf_deep_free(zone);
	return tap_done();
}
