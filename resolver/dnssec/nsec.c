/*
 * nsec.c: NSEC denial proofs. First landing: the contract only; every
 * proof answers bogus until the implementation lands.
 */
#include "dnssec/nsec.h"

void
nsec_prove_nxdomain(const ldns_rdf *qname, const ldns_rdf *zone,
    const ldns_rr_list *nsecs, struct dnssec_verdict *verdict)
{
	(void)qname; (void)zone; (void)nsecs;
	dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_NSEC_MISSING,
	    "NSEC proofs not implemented yet");
}

void
nsec_prove_nodata(const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    struct dnssec_verdict *verdict)
{
	(void)qtype;
	nsec_prove_nxdomain(qname, zone, nsecs, verdict);
}

void
nsec_prove_no_ds(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsecs, struct dnssec_verdict *verdict)
{
	nsec_prove_nxdomain(name, zone, nsecs, verdict);
}

void
nsec_prove_wildcard(const ldns_rdf *qname, int ce_labels,
    const ldns_rdf *zone, const ldns_rr_list *nsecs,
    struct dnssec_verdict *verdict)
{
	(void)ce_labels;
	nsec_prove_nxdomain(qname, zone, nsecs, verdict);
}

bool
nsec_covers(const ldns_rdf *owner, const ldns_rdf *next, const ldns_rdf *name)
{
	(void)owner; (void)next; (void)name;
	return false;
}
