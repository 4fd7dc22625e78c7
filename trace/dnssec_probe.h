/*
 * dnssec_probe.h: the DNSSEC records of every zone cut as each server gives
 * them. After the resolution, each parent server of a cut is asked for the
 * zone's DS and each child server for its DNSKEY, SOA, NSEC3PARAM and a
 * name that does not exist (its denial shows NSEC or NSEC3 and the NSEC3
 * parameters in use), all with DO set. The replies are kept per server, as
 * received, for chain.c (the chain of trust and the DNSSEC findings) and
 * for anyone else who draws the chain (--dot).
 */
#ifndef DESCEND_DNSSEC_PROBE_H
#define DESCEND_DNSSEC_PROBE_H

#include <stdbool.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "findings.h"
#include "trace.h"

/*
 * One server of one cut and its replies. A NULL reply: no answer (timeout
 * or error), or not asked (a parent server is asked only for DS, a child
 * server never for DS). A reply truncated over UDP is asked again over TCP;
 * the one kept is the last.
 */
struct dnssec_probe_server {
	char name[256];			/* the NS name, "name." */
	char addr[64];			/* the address as text */
	struct sockaddr_storage ss;
	ldns_pkt *ds;			/* parent server: DS <zone> */
	ldns_pkt *dnskey;		/* child server: DNSKEY <zone> */
	ldns_pkt *soa;			/* child server: SOA <zone> */
	ldns_pkt *nsec3param;		/* child server: NSEC3PARAM <zone> */
	ldns_pkt *nx;			/* child server: A <DNSSEC_PROBE_NX>.<zone> */
};

/* The label of the name asked to see the zone's denial (NSEC/NSEC3). */
#define DNSSEC_PROBE_NX		"descend-nx-probe"

/* One zone cut on the path, the root included (it has no parent side). */
struct dnssec_probe_cut {
	ldns_rdf *zone;			/* canonical (lower case) */
	ldns_rdf *parent;		/* the zone whose servers gave DS; NULL: root */
	struct dnssec_probe_server parents[TRACE_SERVERS_MAX];
	unsigned parent_count;
	struct dnssec_probe_server children[TRACE_SERVERS_MAX];
	unsigned child_count;
};

/* Every cut probed, in the order of the chain (root first). */
struct dnssec_probe {
	struct dnssec_probe_cut *cuts;
	unsigned cut_count;
};

/*
 * Probes every zone the validator judged as a cut (trace->dnssec, the
 * zones chain.c shows) through ctx's engine and keeps the result in
 * trace->probe (freed by trace_free). Does nothing when validation was off
 * (no DO would be sent). The probes are counted in trace->queries.
 */
void dnssec_probe_run(struct findings_ctx *ctx);

/* The probe of `zone`, or NULL when it was not probed. */
const struct dnssec_probe_cut *dnssec_probe_find(const struct dnssec_probe *p,
    const ldns_rdf *zone);

/*
 * The records of `type` owned by `owner` in the answer section of `reply`
 * (NULL reply: none), owners made canonical; the caller frees the list.
 * Never NULL unless memory runs out.
 */
ldns_rr_list *dnssec_probe_rrset(const ldns_pkt *reply, const ldns_rdf *owner,
    ldns_rr_type type);

/* The RRSIGs over `type` owned by `owner` in the answer section (the same). */
ldns_rr_list *dnssec_probe_sigs(const ldns_pkt *reply, const ldns_rdf *owner,
    ldns_rr_type type);

void dnssec_probe_free(struct dnssec_probe *p);

#endif /* DESCEND_DNSSEC_PROBE_H */
