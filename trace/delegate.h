/*
 * delegate.h: `descend trace --delegate ZONE=NS[/ADDR][,NS[/ADDR]...]`,
 * a delegation checked before the parent serves it.
 */
#ifndef DESCEND_DELEGATE_H
#define DESCEND_DELEGATE_H

#include "findings.h"

/* The delegation the parent would serve: NS set and the glue given. */
struct delegate_plan {
	ldns_rdf *zone;
	ldns_rr_list *ns;
	ldns_rr_list *glue;	/* A and AAAA for the NS names given /ADDR */
};

/* Parses the --delegate argument; false (with an error line) if bad. */
bool delegate_parse(const char *prog, const char *arg,
    struct delegate_plan *plan);
void delegate_plan_free(struct delegate_plan *plan);

/*
 * Makes the planned cut (resolving NS names given without an address,
 * traced), runs every delegation check against it and asks each planned
 * server for the zone's SOA, NS, DNSKEY and `qname`/`qtype`. Returns false
 * when no planned server answers for the zone (the delegation is broken).
 */
bool delegate_check(struct findings_ctx *ctx, struct delegate_plan *plan,
    const ldns_rdf *qname, ldns_rr_type qtype, bool ipv4_only,
    bool ipv6_only);

#endif /* DESCEND_DELEGATE_H */
