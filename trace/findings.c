/*
 * findings.c: the delegation checks of `descend trace`. After the engine
 * has resolved, each zone cut it crossed is probed cheaply (the zone's NS
 * set from each of its servers, the child's address for each in-bailiwick
 * NS name) and compared with what the parent's referral said. The checks
 * follow the practices of the NS-records article and Zonemaster's tests.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dname.h"
#include "findings.h"

ldns_pkt *
findings_probe(struct findings_ctx *ctx, const ldns_rdf *name, ldns_rr_type type,
    const struct sockaddr *addr, bool over_tcp)
{
	ctx->trace->queries++;
	return cli_runner_ask(ctx->runner, ctx->engine, name, type, addr,
	    over_tcp);
}

/* Who serves the delegation: the parent, or the plan (--delegate). */
static const char *
parent_word(const struct trace_cut *cut)
{
	return cut->planned ? "the planned delegation" : "the parent";
}

static bool
list_has_name(const ldns_rr_list *ns, const ldns_rdf *name)
{
	for (size_t i = 0; ns != NULL && i < ldns_rr_list_rr_count(ns); i++)
		if (dname_equal(ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0), name))
			return true;
	return false;
}

static uint32_t
list_ttl(const ldns_rr_list *rrs)
{
	return rrs != NULL && ldns_rr_list_rr_count(rrs) > 0 ?
	    ldns_rr_ttl(ldns_rr_list_rr(rrs, 0)) : 0;
}

/* Names of `a` missing from `b`, space separated, into buf. */
static bool
names_missing(const ldns_rr_list *a, const ldns_rr_list *b, char *buf,
    size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; a != NULL && i < ldns_rr_list_rr_count(a); i++) {
		const ldns_rdf *name = ldns_rr_rdf(ldns_rr_list_rr(a, i), 0);
		char text[256];

		if (list_has_name(b, name))
			continue;
		if (buf[0] != '\0')
			strlcat(buf, " ", len);
		strlcat(buf, dname_str(name, text, sizeof(text)), len);
	}
	return buf[0] != '\0';
}

/* The A/AAAA addresses in `rrs` owned by `name`, as text, sorted. */
static void
addresses_of(const ldns_rr_list *rrs, const ldns_rdf *name, char *buf,
    size_t len)
{
	ldns_rr_list *mine = ldns_rr_list_new();

	buf[0] = '\0';
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if ((ldns_rr_get_type(rr) == LDNS_RR_TYPE_A ||
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA) &&
		    dname_equal(ldns_rr_owner(rr), name))
			ldns_rr_list_push_rr(mine, ldns_rr_clone(rr));
	}
	ldns_rr_list_sort(mine);
	for (size_t i = 0; i < ldns_rr_list_rr_count(mine); i++) {
		char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(mine, i), 0));

		if (i > 0)
			strlcat(buf, " ", len);
		strlcat(buf, s != NULL ? s : "?", len);
		free(s);
	}
	ldns_rr_list_deep_free(mine);
}

/* Asks each server of the cut for the zone's NS set. */
static ldns_rr_list *
check_servers(struct findings_ctx *ctx, struct trace_cut *cut,
    struct sockaddr_storage *responsive)
{
	struct trace *t = ctx->trace;
	ldns_rr_list *child_ns = NULL;
	char zone[256], addr[64];

	dname_str(cut->zone, zone, sizeof(zone));
	for (unsigned i = 0; i < cut->server_count; i++) {
		struct trace_server *s = &cut->servers[i];
		ldns_pkt *reply = findings_probe(ctx, cut->zone, LDNS_RR_TYPE_NS,
		    (struct sockaddr *)&s->addr, false);
		ldns_rr_list *ns;
		char *rcode;

		trace_addr_str((struct sockaddr *)&s->addr, addr, sizeof(addr));
		if (reply == NULL) {
			trace_print(t, cut->depth, "   check %s %s: %s NS -> no "
			    "reply", s->name, addr, zone);
			trace_finding(t, SEVERITY_WARNING, "CONNECTIVITY01",
			    cut->zone, "%s (%s) does not answer over UDP",
			    s->name, addr);
			continue;
		}
		rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));
		ns = ldns_pkt_rr_list_by_name_and_type(reply, cut->zone,
		    LDNS_RR_TYPE_NS, LDNS_SECTION_ANSWER);
		trace_print(t, cut->depth, "   check %s %s: %s NS -> %s%s, %zu NS "
		    "(TTL %u)", s->name, addr, zone, rcode != NULL ? rcode : "?",
		    ldns_pkt_aa(reply) ? " aa" : "", ns != NULL ?
		    ldns_rr_list_rr_count(ns) : 0, list_ttl(ns));
		trace_json(t, "check", "zone", zone, "server", s->name, "address",
		    addr, "rcode", rcode != NULL ? rcode : "?", "aa",
		    ldns_pkt_aa(reply) ? "yes" : "no", "#ns",
		    ns != NULL ? (unsigned)ldns_rr_list_rr_count(ns) : 0, NULL);
		if (ldns_pkt_get_rcode(reply) != LDNS_RCODE_NOERROR ||
		    !ldns_pkt_aa(reply) || ns == NULL) {
			trace_finding(t, SEVERITY_ERROR, "DELEGATION04", cut->zone,
			    "%s (%s) is lame: %s%s for the zone", s->name, addr,
			    rcode != NULL ? rcode : "?", ldns_pkt_aa(reply) ? "" :
			    ", not authoritative");
		} else {
			if (responsive->ss_family == 0)
				*responsive = s->addr;
			if (child_ns == NULL) {
				child_ns = ns;
				ns = NULL;
			}
		}
		ldns_rr_list_deep_free(ns);
		free(rcode);
		ldns_pkt_free(reply);
	}
	return child_ns;
}

/*
 * An NS name outside the zone that is an alias in its own zone: asked of a
 * server of the deepest zone this trace crossed that holds the name (the
 * trace went there to resolve it, or a sibling). Unchecked when none did.
 */
static void
check_alias_elsewhere(struct findings_ctx *ctx, struct trace_cut *cut,
    const ldns_rdf *ns, const char *name)
{
	struct trace *t = ctx->trace;
	const struct trace_cut *home = NULL;
	const struct trace_server *server = NULL;
	ldns_rr_list *cname;
	ldns_pkt *reply;

	for (unsigned i = 0; i < t->cut_count; i++)
		if (dname_in_bailiwick(ns, t->cuts[i].zone) && (home == NULL ||
		    dname_labels(t->cuts[i].zone) > dname_labels(home->zone)))
			home = &t->cuts[i];
	for (unsigned i = 0; home != NULL && i < home->server_count; i++)
		if (home->servers[i].answered) {
			server = &home->servers[i];
			break;
		}
	if (server == NULL || (reply = findings_probe(ctx, ns, LDNS_RR_TYPE_A,
	    (const struct sockaddr *)&server->addr, false)) == NULL)
		return;
	cname = ldns_pkt_rr_list_by_name_and_type(reply, ns, LDNS_RR_TYPE_CNAME,
	    LDNS_SECTION_ANSWER);
	if (cname != NULL) {
		char target[256];

		dname_str(ldns_rr_rdf(ldns_rr_list_rr(cname, 0), 0), target,
		    sizeof(target));
		trace_finding(t, SEVERITY_ERROR, "DELEGATION05", cut->zone,
		    "NS %s is a CNAME to %s in its own zone (RFC 2181 10.3): "
		    "name servers must be named by their canonical name", name,
		    target);
		ldns_rr_list_deep_free(cname);
	}
	ldns_pkt_free(reply);
}

/* Glue vs the child's own address records, and NS names that are aliases. */
static void
check_ns_names(struct findings_ctx *ctx, struct trace_cut *cut,
    const ldns_rr_list *child_ns, const struct sockaddr_storage *responsive)
{
	struct trace *t = ctx->trace;
	ldns_rr_list *names = ldns_rr_list_clone(cut->parent_ns);

	for (size_t i = 0; child_ns != NULL && i < ldns_rr_list_rr_count(child_ns);
	    i++)
		if (!list_has_name(names, ldns_rr_rdf(ldns_rr_list_rr(child_ns, i),
		    0)))
			ldns_rr_list_push_rr(names,
			    ldns_rr_clone(ldns_rr_list_rr(child_ns, i)));
	for (size_t i = 0; i < ldns_rr_list_rr_count(names); i++) {
		const ldns_rdf *ns = ldns_rr_rdf(ldns_rr_list_rr(names, i), 0);
		char name[256], glue[256], child[256];
		ldns_rr_list *cname;
		ldns_pkt *reply;

		dname_str(ns, name, sizeof(name));
		if (!dname_in_bailiwick(ns, cut->zone)) {
			check_alias_elsewhere(ctx, cut, ns, name);
			continue;
		}
		if (responsive->ss_family == 0)
			continue;
		addresses_of(cut->glue, ns, glue, sizeof(glue));
		if (glue[0] == '\0' && list_has_name(cut->parent_ns, ns))
			trace_finding(t, SEVERITY_ERROR, "DESCEND-GLUE-MISSING",
			    cut->zone, "%s is inside the zone but %s gives no "
			    "glue for it", name, parent_word(cut));
		reply = findings_probe(ctx, ns, LDNS_RR_TYPE_A,
		    (const struct sockaddr *)responsive, false);
		if (reply == NULL)
			continue;
		cname = ldns_pkt_rr_list_by_type(reply, LDNS_RR_TYPE_CNAME,
		    LDNS_SECTION_ANSWER);
		if (cname != NULL) {
			trace_finding(t, SEVERITY_ERROR, "DELEGATION05", cut->zone,
			    "NS %s is a CNAME (RFC 2181 10.3): name servers must "
			    "be named by their canonical name", name);
			ldns_rr_list_deep_free(cname);
		} else {
			addresses_of(ldns_pkt_answer(reply), ns, child,
			    sizeof(child));
			if (glue[0] != '\0' && strcmp(glue, child) != 0)
				trace_finding(t, SEVERITY_WARNING,
				    "CONSISTENCY05", cut->zone,
				    "glue for %s says %s, the zone itself says %s",
				    name, glue, child[0] != '\0' ? child :
				    "nothing");
		}
		ldns_pkt_free(reply);
	}
	ldns_rr_list_deep_free(names);
}

static bool
is_loopback(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET && (ntohl(((const struct sockaddr_in *)
	    (const void *)ss)->sin_addr.s_addr) >> 24) == 127;
}

/* Name servers sharing addresses, or all in one /24. */
static void
check_addresses(struct trace *t, const struct trace_cut *cut)
{
	bool one_prefix = cut->server_count > 1;

	for (unsigned i = 0; i < cut->server_count; i++) {
		const struct trace_server *a = &cut->servers[i];

		for (unsigned j = i + 1; j < cut->server_count; j++) {
			const struct trace_server *b = &cut->servers[j];
			char addr[64];

			if (a->addr.ss_family != b->addr.ss_family)
				one_prefix = false;
			else if (a->addr.ss_family == AF_INET &&
			    memcmp(&((const struct sockaddr_in *)(const void *)
			    &a->addr)->sin_addr, &((const struct sockaddr_in *)
			    (const void *)&b->addr)->sin_addr, 3) != 0)
				one_prefix = false;
			if (strcmp(a->name, b->name) != 0 && memcmp(&a->addr,
			    &b->addr, sizeof(struct sockaddr_in)) == 0)
				trace_finding(t, SEVERITY_WARNING, "DELEGATION02",
				    cut->zone, "%s and %s share the address %s",
				    a->name, b->name, trace_addr_str(
				    (const struct sockaddr *)&a->addr, addr,
				    sizeof(addr)));
		}
		/* Diversity means nothing on loopback (the lab). */
		if (is_loopback(&a->addr))
			one_prefix = false;
	}
	if (one_prefix)
		trace_finding(t, SEVERITY_NOTICE, "DESCEND-ONE-PREFIX", cut->zone,
		    "all name servers are in one /24: one outage takes them all");
}

void
findings_check_cut(struct findings_ctx *ctx, struct trace_cut *cut)
{
	struct trace *t = ctx->trace;
	struct sockaddr_storage responsive = { 0 };
	ldns_rr_list *child_ns;
	size_t parent_count = cut->parent_ns != NULL ?
	    ldns_rr_list_rr_count(cut->parent_ns) : 0;
	char missing[1024];

	if (cut->cycle)
		trace_finding(t, SEVERITY_ERROR, "DESCEND-CYCLE", cut->zone,
		    "cyclic dependency: the name servers' addresses can only be "
		    "found through the zone itself (no glue breaks the cycle)");
	for (unsigned i = 0; i < cut->unresolvable_count; i++)
		trace_finding(t, SEVERITY_WARNING, "DESCEND-NS-UNRESOLVABLE",
		    cut->zone, "name server %s cannot be resolved",
		    cut->unresolvable[i]);
	child_ns = check_servers(ctx, cut, &responsive);
	if (child_ns != NULL) {
		if (names_missing(cut->parent_ns, child_ns, missing,
		    sizeof(missing)))
			trace_finding(t, SEVERITY_WARNING, "DELEGATION07",
			    cut->zone, "%s lists NS %s, the child does not",
			    parent_word(cut), missing);
		if (names_missing(child_ns, cut->parent_ns, missing,
		    sizeof(missing)))
			trace_finding(t, SEVERITY_WARNING, "DELEGATION07",
			    cut->zone, "the child lists NS %s, %s does not",
			    missing, parent_word(cut));
		/* A plan has no TTL of its own to compare. */
		if (!cut->planned &&
		    list_ttl(child_ns) != list_ttl(cut->parent_ns))
			trace_finding(t, SEVERITY_NOTICE, "DESCEND-NS-TTL",
			    cut->zone, "NS TTL is %u at the parent and %u in "
			    "the child", list_ttl(cut->parent_ns),
			    list_ttl(child_ns));
	}
	if (parent_count < 2 || (child_ns != NULL &&
	    ldns_rr_list_rr_count(child_ns) < 2))
		trace_finding(t, SEVERITY_WARNING, "DELEGATION01", cut->zone,
		    "only one name server: no redundancy (use at least two)");
	check_ns_names(ctx, cut, child_ns, &responsive);
	check_addresses(t, cut);
	ldns_rr_list_deep_free(child_ns);
}

/* Summarises a reply for comparison: rcode and sorted answer records. */
void
findings_reply_summary(const ldns_pkt *reply, char *buf, size_t len)
{
	ldns_rr_list *answer = ldns_rr_list_clone(ldns_pkt_answer(reply));
	char *rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));

	for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++)
		ldns_rr_set_ttl(ldns_rr_list_rr(answer, i), 0);
	ldns_rr_list_sort(answer);
	snprintf(buf, len, "%s", rcode != NULL ? rcode : "?");
	for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++) {
		char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(answer, i), 0));

		strlcat(buf, " ", len);
		strlcat(buf, s != NULL ? s : "?", len);
		free(s);
	}
	free(rcode);
	ldns_rr_list_deep_free(answer);
}

void
findings_compare_servers(struct findings_ctx *ctx, struct trace_cut *cut,
    const ldns_rdf *qname, ldns_rr_type qtype)
{
	struct trace *t = ctx->trace;
	char first[1024] = "", zone[256], addr[64];

	dname_str(cut->zone, zone, sizeof(zone));
	for (unsigned i = 0; i < cut->server_count; i++) {
		struct trace_server *s = &cut->servers[i];

		trace_addr_str((struct sockaddr *)&s->addr, addr, sizeof(addr));
		for (int tcp = 0; tcp < 2; tcp++) {
			ldns_pkt *reply = findings_probe(ctx, qname, qtype,
			    (struct sockaddr *)&s->addr, tcp);
			char summary[1024];

			if (reply == NULL) {
				trace_print(t, cut->depth, "   all: %s %s %s -> no "
				    "reply", s->name, addr, tcp ? "tcp" : "udp");
				trace_finding(t, SEVERITY_WARNING, tcp ?
				    "CONNECTIVITY02" : "CONNECTIVITY01", cut->zone,
				    "%s (%s) does not answer over %s", s->name,
				    addr, tcp ? "TCP" : "UDP");
				continue;
			}
			findings_reply_summary(reply, summary, sizeof(summary));
			trace_print(t, cut->depth, "   all: %s %s %s -> %s",
			    s->name, addr, tcp ? "tcp" : "udp", summary);
			trace_json(t, "all", "zone", zone, "server", s->name,
			    "address", addr, "transport", tcp ? "tcp" : "udp",
			    "reply", summary, NULL);
			if (first[0] == '\0')
				strlcpy(first, summary, sizeof(first));
			else if (strcmp(first, summary) != 0)
				trace_finding(t, SEVERITY_WARNING,
				    "DESCEND-SERVERS-DISAGREE", cut->zone,
				    "%s (%s, %s) answers \"%s\", another server "
				    "\"%s\"", s->name, addr, tcp ? "tcp" : "udp",
				    summary, first);
			ldns_pkt_free(reply);
		}
	}
}
