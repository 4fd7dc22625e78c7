/*
 * cds.h: the child's CDS and CDNSKEY records at each signed zone cut
 * (Zonemaster DNSSEC15 to DNSSEC18) and the state of an algorithm
 * rollover (DESCEND-ROLLOVER), after the trace's resolution.
 */
#ifndef DESCEND_CDS_H
#define DESCEND_CDS_H

#include <stdbool.h>

#include "findings.h"

/*
 * Asks each server of every signed cut the trace crossed for the zone's
 * DNSKEY, CDS and CDNSKEY RRsets (and, when the keys have two algorithms
 * or more, SOA and NS with their signatures), prints what it found and
 * records the findings (the DNSKEY and SOA replies dnssec_probe.c has are
 * reused, not asked again). Needs DO, set on every query.
 */
void cds_check(struct findings_ctx *ctx);

/*
 * The same for the planned cut of --delegate (signed or not: the new
 * servers may publish CDS to bring the zone's keys to the parent), with
 * `ds` the DS planned or published today (NULL: none) for DNSSEC18.
 */
void cds_check_planned(struct findings_ctx *ctx, const struct trace_cut *cut,
    const ldns_rr_list *ds);

/* Whether `key` has a signature in `sigs` over `rrset` that verifies now. */
bool cds_signed_by(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rr *key);

/* The records of `type` in a reply's answer, TTLs zeroed, sorted, as text. */
void cds_rrset_text(const ldns_pkt *reply, ldns_rr_type type, char *buf,
    size_t len);

#endif /* DESCEND_CDS_H */
