/*
 * dnssec_probe.c: asks every server of every zone cut on the path for the
 * cut's DNSSEC records (DS at the parent, DNSKEY, SOA, NSEC3PARAM and a
 * denial at the child, DO set) and keeps each reply per server.
 */
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "dnssec_probe.h"

/* The servers that serve `zone`: its cut, else the deepest one holding it. */
static const struct trace_cut *
servers_of(const struct trace *t, const ldns_rdf *zone)
{
	const struct trace_cut *best = t->root.zone != NULL ? &t->root : NULL;

	for (unsigned i = 0; i < t->cut_count; i++) {
		const struct trace_cut *c = &t->cuts[i];

		if (c->planned || c->server_count == 0 ||
		    !dname_in_bailiwick(zone, c->zone))
			continue;
		if (best == NULL || best->zone == NULL ||
		    dname_labels(c->zone) >= dname_labels(best->zone))
			best = c;
	}
	return best;
}

/* One question (the engine asks a truncated UDP reply again over TCP). */
static ldns_pkt *
ask(struct findings_ctx *ctx, const ldns_rdf *name, ldns_rr_type type,
    const struct sockaddr_storage *ss)
{
	return findings_probe(ctx, name, type, (const struct sockaddr *)ss,
	    false);
}

static void
server_init(struct dnssec_probe_server *s, const struct trace_server *from)
{
	memset(s, 0, sizeof(*s));
	strlcpy(s->name, from->name, sizeof(s->name));
	s->ss = from->addr;
	trace_addr_str((const struct sockaddr *)&from->addr, s->addr,
	    sizeof(s->addr));
}

static void
probe_cut(struct findings_ctx *ctx, struct dnssec_probe_cut *pc,
    const ldns_rdf *zone, const ldns_rdf *parent)
{
	const struct trace *t = ctx->trace;
	const struct trace_cut *child = servers_of(t, zone);
	const struct trace_cut *up = parent != NULL ? servers_of(t, parent) :
	    NULL;
	ldns_rdf *nx = NULL, *label;

	pc->zone = ldns_rdf_clone(zone);
	pc->parent = parent != NULL ? ldns_rdf_clone(parent) : NULL;
	if (pc->zone == NULL)
		return;
	ldns_dname2canonical(pc->zone);
	label = ldns_dname_new_frm_str(DNSSEC_PROBE_NX);
	if (label != NULL)
		nx = ldns_dname_cat_clone(label, pc->zone);
	ldns_rdf_deep_free(label);
	for (unsigned i = 0; up != NULL && i < up->server_count &&
	    pc->parent_count < TRACE_SERVERS_MAX; i++) {
		struct dnssec_probe_server *s = &pc->parents[pc->parent_count++];

		server_init(s, &up->servers[i]);
		s->ds = ask(ctx, pc->zone, LDNS_RR_TYPE_DS, &s->ss);
	}
	for (unsigned i = 0; child != NULL && i < child->server_count &&
	    pc->child_count < TRACE_SERVERS_MAX; i++) {
		struct dnssec_probe_server *s = &pc->children[pc->child_count++];

		server_init(s, &child->servers[i]);
		s->dnskey = ask(ctx, pc->zone, LDNS_RR_TYPE_DNSKEY, &s->ss);
		if (s->dnskey == NULL)
			continue;	/* a dead server: one timeout is enough */
		s->soa = ask(ctx, pc->zone, LDNS_RR_TYPE_SOA, &s->ss);
		s->nsec3param = ask(ctx, pc->zone, LDNS_RR_TYPE_NSEC3PARAM,
		    &s->ss);
		if (nx != NULL)
			s->nx = ask(ctx, nx, LDNS_RR_TYPE_A, &s->ss);
	}
	ldns_rdf_deep_free(nx);
}

void
dnssec_probe_run(struct findings_ctx *ctx)
{
	struct trace *t = ctx->trace;
	struct dnssec_probe *p;

	if (t->dnssec_count == 0 || t->probe != NULL)
		return;		/* validation off: no DO, nothing to compare */
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->cuts = calloc(t->dnssec_count, sizeof(*p->cuts))) == NULL) {
		free(p);
		return;
	}
	t->probe = p;
	for (unsigned i = 0; i < t->dnssec_count; i++) {
		const ldns_rdf *parent = NULL;

		if (!trace_chain_cut(t, i, &parent))
			continue;
		probe_cut(ctx, &p->cuts[p->cut_count++], t->dnssec[i].zone,
		    parent);
	}
}

const struct dnssec_probe_cut *
dnssec_probe_find(const struct dnssec_probe *p, const ldns_rdf *zone)
{
	for (unsigned i = 0; p != NULL && i < p->cut_count; i++)
		if (p->cuts[i].zone != NULL && dname_equal(p->cuts[i].zone,
		    zone))
			return &p->cuts[i];
	return NULL;
}

static ldns_rr_list *
answer_records(const ldns_pkt *reply, const ldns_rdf *owner,
    ldns_rr_type type, bool sigs)
{
	ldns_rr_list *out = ldns_rr_list_new();
	const ldns_rr_list *answer = reply != NULL ? ldns_pkt_answer(reply) :
	    NULL;

	for (size_t i = 0; out != NULL && answer != NULL &&
	    i < ldns_rr_list_rr_count(answer); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(answer, i);
		ldns_rr *copy;

		if (!dname_equal(ldns_rr_owner(rr), owner))
			continue;
		if (sigs ? ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    ldns_rr_rrsig_typecovered(rr) == NULL ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) != type :
		    ldns_rr_get_type(rr) != type)
			continue;
		if ((copy = ldns_rr_clone(rr)) == NULL)
			break;
		/* 0x20 echoes the random case sent: owners made canonical. */
		ldns_dname2canonical(ldns_rr_owner(copy));
		if (!ldns_rr_list_push_rr(out, copy))
			ldns_rr_free(copy);
	}
	return out;
}

ldns_rr_list *
dnssec_probe_rrset(const ldns_pkt *reply, const ldns_rdf *owner,
    ldns_rr_type type)
{
	return answer_records(reply, owner, type, false);
}

ldns_rr_list *
dnssec_probe_sigs(const ldns_pkt *reply, const ldns_rdf *owner,
    ldns_rr_type type)
{
	return answer_records(reply, owner, type, true);
}

static void
server_free(struct dnssec_probe_server *s)
{
	ldns_pkt_free(s->ds);
	ldns_pkt_free(s->dnskey);
	ldns_pkt_free(s->soa);
	ldns_pkt_free(s->nsec3param);
	ldns_pkt_free(s->nx);
}

void
dnssec_probe_free(struct dnssec_probe *p)
{
	if (p == NULL)
		return;
	for (unsigned i = 0; i < p->cut_count; i++) {
		struct dnssec_probe_cut *c = &p->cuts[i];

		for (unsigned j = 0; j < c->parent_count; j++)
			server_free(&c->parents[j]);
		for (unsigned j = 0; j < c->child_count; j++)
			server_free(&c->children[j]);
		ldns_rdf_deep_free(c->zone);
		ldns_rdf_deep_free(c->parent);
	}
	free(p->cuts);
	free(p);
}
