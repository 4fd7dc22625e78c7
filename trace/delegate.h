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
	ldns_rr_list *ds;	/* --delegate-ds: the DS the parent will publish */
};

/* Parses the --delegate argument; false (with an error line) if bad. */
bool delegate_parse(const char *prog, const char *arg,
    struct delegate_plan *plan);
void delegate_plan_free(struct delegate_plan *plan);

/*
 * Adds the DS records of `text` (one record in zone-file form, "ZONE [TTL]
 * [IN] DS TAG ALG DIGEST-TYPE DIGEST", as dnssec-dsfromkey or ldns-key2ds
 * print it) or of the file `path` (such lines; blank and ';' lines
 * skipped) to the plan; false (with an error line) when a record does not
 * parse, is not a DS, or is not owned by the planned zone.
 */
bool delegate_add_ds(const char *prog, struct delegate_plan *plan,
    const char *text);
bool delegate_add_ds_file(const char *prog, struct delegate_plan *plan,
    const char *path);

/*
 * Makes the planned cut (resolving NS names given without an address,
 * traced), runs every delegation check against it and asks each planned
 * server for the zone's SOA, NS, DNSKEY and `qname`/`qtype`. The planned
 * DS (or, when none is planned, the DS the parent publishes today) must
 * match a key that signs the DNSKEY RRset at every planned server.
 * Returns false when no planned server answers for the zone, or when the
 * DS would make the zone bogus (the delegation is broken).
 */
bool delegate_check(struct findings_ctx *ctx, struct delegate_plan *plan,
    const ldns_rdf *qname, ldns_rr_type qtype, bool ipv4_only,
    bool ipv6_only);

#endif /* DESCEND_DELEGATE_H */
