/*
 * findings.h: delegation checks run after the trace's resolution.
 */
#ifndef DESCEND_FINDINGS_H
#define DESCEND_FINDINGS_H

#include "cli.h"
#include "trace.h"

struct findings_ctx {
	struct trace *trace;
	struct engine *engine;
	struct cli_runner *runner;
};

/* Probes the cut's servers and records every finding for it. */
void findings_check_cut(struct findings_ctx *ctx, struct trace_cut *cut);

/* One direct query run to completion: the reply (caller frees) or NULL. */
ldns_pkt *findings_probe(struct findings_ctx *ctx, const ldns_rdf *name,
    ldns_rr_type type, const struct sockaddr *addr, bool over_tcp);

/* --all: asks every server of the cut (UDP and TCP) and compares. */
void findings_compare_servers(struct findings_ctx *ctx, struct trace_cut *cut,
    const ldns_rdf *qname, ldns_rr_type qtype);

/* A reply as "RCODE rdata rdata..." (answers sorted, TTLs ignored). */
void findings_reply_summary(const ldns_pkt *reply, char *buf, size_t len);

#endif /* DESCEND_FINDINGS_H */
