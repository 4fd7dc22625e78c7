/*
 * fuzz_dnssec.c: a reply as hostile as it gets, fed to the DNSSEC
 * primitives: its RRSIGs checked against its own DNSKEYs and DS records,
 * its NSEC and NSEC3 records used for every proof, at a fixed clock and
 * with the request's budget (the limits keep each input cheap); its NSECs
 * and SOA stored in an NSEC cache (RFC 8198) and the question looked up
 * there, the proofs run over what comes back.
 */
#include <stdint.h>
#include <stdlib.h>

#include <ldns/ldns.h>

#include "dname.h"
#include "dnssec/nsec.h"
#include "dnssec/nsec3.h"
#include "dnssec/nsec_cache.h"
#include "dnssec/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW	1767225600u	/* 2026-01-01 */

/* Every record of the reply's answer, authority and additional sections
 * of type `type` (or all but the question when type is 0); the list holds
 * references into the packet. */
static ldns_rr_list *
collect(const ldns_pkt *pkt, ldns_rr_type type)
{
	const ldns_rr_list *sections[3] = { ldns_pkt_answer(pkt),
	    ldns_pkt_authority(pkt), ldns_pkt_additional(pkt) };
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t s = 0; s < 3; s++)
		for (size_t i = 0; i < ldns_rr_list_rr_count(sections[s]); i++) {
			ldns_rr *rr = ldns_rr_list_rr(sections[s], i);

			if (type == 0 || ldns_rr_get_type(rr) == type)
				ldns_rr_list_push_rr(out, rr);
		}
	return out;
}

/* The records sharing the first answer record's owner and type. */
static ldns_rr_list *
first_rrset(const ldns_pkt *pkt)
{
	const ldns_rr_list *answer = ldns_pkt_answer(pkt);
	ldns_rr_list *out = ldns_rr_list_new();
	const ldns_rr *first = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++) {
		ldns_rr *rr = ldns_rr_list_rr(answer, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG)
			continue;
		if (first == NULL)
			first = rr;
		if (ldns_rr_get_type(rr) == ldns_rr_get_type(first) &&
		    dname_equal(ldns_rr_owner(rr), ldns_rr_owner(first)))
			ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

static void
run_proofs(const ldns_rdf *qname, ldns_rr_type qtype, const ldns_rdf *zone,
    const ldns_rr_list *nsecs, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget)
{
	struct dnssec_verdict v;
	int ce = (int)dname_labels(qname) - 1;

	nsec_prove_nxdomain(qname, qtype, zone, nsecs, &v);
	nsec_prove_nodata(qname, qtype, zone, nsecs, &v);
	nsec_prove_no_ds(qname, zone, nsecs, &v);
	nsec_prove_wildcard(qname, ce, zone, nsecs, &v);
	nsec3_prove_nxdomain(qname, zone, nsec3s, cache, budget, &v);
	nsec3_prove_nodata(qname, qtype, zone, nsec3s, cache, budget, &v);
	nsec3_prove_no_ds(qname, zone, nsec3s, cache, budget, &v);
	nsec3_prove_wildcard(qname, ce, zone, nsec3s, cache, budget, &v);
}

/*
 * What aggressive NSEC would do with the reply's NSECs (as if verified)
 * for `zone`: store them with the first SOA, look the question up, and run
 * the proofs over the NSECs found.
 */
static void
run_nsec_cache(const ldns_pkt *pkt, const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    const ldns_rr_list *rrsigs)
{
	struct nsec_cache *cache = nsec_cache_new(64 * 1024);
	ldns_rr_list *soas = collect(pkt, LDNS_RR_TYPE_SOA), *soa;
	struct nsec_cache_found f;
	struct dnssec_verdict v;

	soa = ldns_rr_list_new();
	if (cache != NULL && soa != NULL && ldns_rr_list_rr_count(soas) > 0) {
		ldns_rr_list_push_rr(soa, ldns_rr_list_rr(soas, 0));
		nsec_cache_store(cache, zone, LDNS_RR_CLASS_IN, soa, nsecs,
		    rrsigs, UINT32_MAX, FUZZ_NOW);
		if (nsec_cache_lookup(cache, qname, qtype == LDNS_RR_TYPE_DS,
		    LDNS_RR_CLASS_IN, FUZZ_NOW + 1, &f)) {
			nsec_prove_nxdomain(qname, qtype, f.zone, f.nsecs, &v);
			nsec_prove_nodata(qname, qtype, f.zone, f.nsecs, &v);
			nsec_cache_found_clear(&f);
		}
		nsec_cache_flush(cache, qname);
	}
	ldns_rr_list_free(soa);
	ldns_rr_list_free(soas);
	nsec_cache_free(cache);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_pkt *pkt = NULL;
	const ldns_rr *q;
	ldns_rr_list *rrsigs, *dnskeys, *ds, *nsecs, *nsec3s, *rrset, *trusted;
	struct nsec3_cache *cache;
	struct dnssec_budget budget;
	struct dnssec_verdict v;
	const ldns_rdf *signer;
	ldns_rdf *zones[3];

	if (ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK)
		return 0;
	q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	if (q == NULL) {
		ldns_pkt_free(pkt);
		return 0;
	}
	rrsigs = collect(pkt, LDNS_RR_TYPE_RRSIG);
	dnskeys = collect(pkt, LDNS_RR_TYPE_DNSKEY);
	ds = collect(pkt, LDNS_RR_TYPE_DS);
	nsecs = collect(pkt, LDNS_RR_TYPE_NSEC);
	nsec3s = collect(pkt, LDNS_RR_TYPE_NSEC3);
	rrset = first_rrset(pkt);
	cache = nsec3_cache_new();
	dnssec_budget_init(&budget);

	/* The zones a validator could hold: the root, the question's
	 * parent, and the signer the RRSIGs name. */
	zones[0] = ldns_dname_new_frm_str(".");
	zones[1] = dname_ancestor(ldns_rr_owner(q),
	    dname_labels(ldns_rr_owner(q)) > 0 ?
	    dname_labels(ldns_rr_owner(q)) - 1 : 0);
	signer = ldns_rr_list_rr_count(rrset) > 0 ? dnssec_rrset_signer(rrsigs,
	    ldns_rr_owner(ldns_rr_list_rr(rrset, 0)),
	    ldns_rr_get_type(ldns_rr_list_rr(rrset, 0))) : NULL;
	zones[2] = signer != NULL ? ldns_rdf_clone(signer) : NULL;

	for (size_t z = 0; z < 3; z++) {
		if (zones[z] == NULL)
			continue;
		if (ldns_rr_list_rr_count(rrset) > 0) {
			dnssec_verify_rrset(rrset, rrsigs, dnskeys, zones[z],
			    FUZZ_NOW, &budget, &v);
			if (v.status == SEC_SECURE && v.wildcard_labels >= 0)
				nsec_prove_wildcard(ldns_rr_owner(ldns_rr_list_rr(
				    rrset, 0)), v.wildcard_labels, zones[z],
				    nsecs, &v);
		}
		if (ldns_rr_list_rr_count(dnskeys) > 0) {
			trusted = NULL;
			dnssec_verify_dnskey_rrset(dnskeys, rrsigs, ds, zones[z],
			    FUZZ_NOW, &budget, &v, &trusted);
			ldns_rr_list_deep_free(trusted);
			dnssec_verify_dnskey_rrset(dnskeys, rrsigs, dnskeys,
			    zones[z], FUZZ_NOW, &budget, &v, NULL);
		}
		(void)dnssec_ds_usable(ds, NULL);
		run_proofs(ldns_rr_owner(q), ldns_rr_get_type(q), zones[z],
		    nsecs, nsec3s, cache, &budget);
		run_nsec_cache(pkt, ldns_rr_owner(q), ldns_rr_get_type(q),
		    zones[z], nsecs, rrsigs);
	}
	/* A fresh budget: the proofs again, now without a cache. */
	dnssec_budget_init(&budget);
	if (zones[1] != NULL)
		run_proofs(ldns_rr_owner(q), LDNS_RR_TYPE_DS, zones[1], nsecs,
		    nsec3s, NULL, &budget);

	for (size_t z = 0; z < 3; z++)
		ldns_rdf_deep_free(zones[z]);
	nsec3_cache_free(cache);
	ldns_rr_list_free(rrsigs);
	ldns_rr_list_free(dnskeys);
	ldns_rr_list_free(ds);
	ldns_rr_list_free(nsecs);
	ldns_rr_list_free(nsec3s);
	ldns_rr_list_free(rrset);
	ldns_pkt_free(pkt);
	return 0;
}
