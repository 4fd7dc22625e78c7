/*
 * nsec3.c: NSEC3 denial proofs. First landing: the contract only; every
 * proof answers bogus until the implementation lands.
 */
#include <stdlib.h>

#include "dnssec/nsec3.h"

struct nsec3_cache {
	int unused;
};

struct nsec3_cache *
nsec3_cache_new(void)
{
	return calloc(1, sizeof(struct nsec3_cache));
}

void
nsec3_cache_free(struct nsec3_cache *cache)
{
	free(cache);
}

void
nsec3_prove_nxdomain(const ldns_rdf *qname, const ldns_rdf *zone,
    const ldns_rr_list *nsec3s, struct nsec3_cache *cache,
    struct dnssec_budget *budget, struct dnssec_verdict *verdict)
{
	(void)qname; (void)zone; (void)nsec3s; (void)cache; (void)budget;
	dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_NSEC_MISSING,
	    "NSEC3 proofs not implemented yet");
}

void
nsec3_prove_nodata(const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict)
{
	(void)qtype;
	nsec3_prove_nxdomain(qname, zone, nsec3s, cache, budget, verdict);
}

void
nsec3_prove_no_ds(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsec3s, struct nsec3_cache *cache,
    struct dnssec_budget *budget, struct dnssec_verdict *verdict)
{
	nsec3_prove_nxdomain(name, zone, nsec3s, cache, budget, verdict);
}

void
nsec3_prove_wildcard(const ldns_rdf *qname, int ce_labels,
    const ldns_rdf *zone, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict)
{
	(void)ce_labels;
	nsec3_prove_nxdomain(qname, zone, nsec3s, cache, budget, verdict);
}
