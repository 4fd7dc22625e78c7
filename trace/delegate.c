/*
 * delegate.c: `descend trace --delegate`: the planned NS set and glue become
 * a zone cut as if the parent's referral had given them (Zonemaster's
 * undelegated test); every delegation check runs against it, and each
 * planned server is asked for the zone's SOA, DNSKEY and a test name; the
 * planned DS (or the parent's DS today) is checked against each server's
 * keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cds.h"
#include "cli.h"
#include "delegate.h"
#include "dname.h"
#include "dnssec_probe.h"
#include "server_hints.h"

/* The TTL the plan's records are shown with (a parent's usual one). */
#define DELEGATE_TTL	86400

static ldns_rr *
rr_from(const char *owner, const char *type, const char *rdata)
{
	char text[600];
	ldns_rr *rr = NULL;

	snprintf(text, sizeof(text), "%s %u IN %s %s", owner, DELEGATE_TTL,
	    type, rdata);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return NULL;
	return rr;
}

void
delegate_plan_free(struct delegate_plan *plan)
{
	ldns_rdf_deep_free(plan->zone);
	ldns_rr_list_deep_free(plan->ns);
	ldns_rr_list_deep_free(plan->glue);
	ldns_rr_list_deep_free(plan->ds);
	memset(plan, 0, sizeof(*plan));
}

bool
delegate_parse(const char *prog, const char *arg, struct delegate_plan *plan)
{
	char copy[2048], zone[256], *eq, *item, *save = NULL;

	memset(plan, 0, sizeof(*plan));
	if (strlcpy(copy, arg, sizeof(copy)) >= sizeof(copy) ||
	    (eq = strchr(copy, '=')) == NULL || eq == copy || eq[1] == '\0') {
		fprintf(stderr, "%s: bad --delegate '%s': expected "
		    "ZONE=NS[/ADDR][,NS[/ADDR]...]\n", prog, arg);
		return false;
	}
	*eq = '\0';
	if ((plan->zone = cli_parse_name(prog, copy)) == NULL)
		return false;
	ldns_dname2canonical(plan->zone);
	dname_str(plan->zone, zone, sizeof(zone));
	plan->ns = ldns_rr_list_new();
	plan->glue = ldns_rr_list_new();
	for (item = strtok_r(eq + 1, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		char *addr, *asave = NULL, *slash = strchr(item, '/');
		ldns_rdf *name;
		char ns[256];
		ldns_rr *rr;

		if (slash != NULL)
			*slash = '\0';
		if ((name = cli_parse_name(prog, item)) == NULL)
			goto bad;
		ldns_dname2canonical(name);
		dname_str(name, ns, sizeof(ns));
		ldns_rdf_deep_free(name);
		/* ns1/192.0.2.1,ns1/2001:db8::1: one NS, two addresses */
		rr = rr_from(zone, "NS", ns);
		if (rr == NULL)
			goto bad;
		if (ldns_rr_list_contains_rr(plan->ns, rr))
			ldns_rr_free(rr);
		else
			ldns_rr_list_push_rr(plan->ns, rr);
		for (addr = slash != NULL ? strtok_r(slash + 1, "/", &asave) :
		    NULL; addr != NULL; addr = strtok_r(NULL, "/", &asave)) {
			struct sockaddr_storage ss;

			if (!server_address_parse(addr, &ss)) {
				fprintf(stderr, "%s: bad --delegate address "
				    "'%s' for %s: expected an IPv4 or IPv6 "
				    "address\n", prog, addr, ns);
				goto bad;
			}
			if ((rr = rr_from(ns, ss.ss_family == AF_INET6 ?
			    "AAAA" : "A", addr)) == NULL)
				goto bad;
			ldns_rr_list_push_rr(plan->glue, rr);
		}
	}
	if (ldns_rr_list_rr_count(plan->ns) == 0) {
		fprintf(stderr, "%s: bad --delegate '%s': no name server\n",
		    prog, arg);
		goto bad;
	}
	if (ldns_rr_list_rr_count(plan->ns) > TRACE_SERVERS_MAX / 2) {
		fprintf(stderr, "%s: bad --delegate '%s': at most %d name "
		    "servers\n", prog, arg, TRACE_SERVERS_MAX / 2);
		goto bad;
	}
	return true;
bad:
	delegate_plan_free(plan);
	return false;
}

bool
delegate_add_ds(const char *prog, struct delegate_plan *plan, const char *text)
{
	ldns_rr *rr = NULL;
	ldns_status status;
	char zone[256];

	/* The default TTL and class: the records parse without them. */
	status = ldns_rr_new_frm_str(&rr, text, DELEGATE_TTL, NULL, NULL);
	if (status != LDNS_STATUS_OK) {
		fprintf(stderr, "%s: bad --delegate-ds '%s': %s (expected \"ZONE "
		    "DS TAG ALGORITHM DIGEST-TYPE DIGEST\")\n", prog, text,
		    ldns_get_errorstr_by_id(status));
		return false;
	}
	dname_str(plan->zone, zone, sizeof(zone));
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS) {
		fprintf(stderr, "%s: bad --delegate-ds '%s': not a DS record\n",
		    prog, text);
		ldns_rr_free(rr);
		return false;
	}
	if (!dname_equal(ldns_rr_owner(rr), plan->zone)) {
		fprintf(stderr, "%s: bad --delegate-ds '%s': the DS must be "
		    "owned by the planned zone %s\n", prog, text, zone);
		ldns_rr_free(rr);
		return false;
	}
	ldns_dname2canonical(ldns_rr_owner(rr));
	if ((plan->ds == NULL && (plan->ds = ldns_rr_list_new()) == NULL) ||
	    ldns_rr_list_contains_rr(plan->ds, rr) ||
	    !ldns_rr_list_push_rr(plan->ds, rr))
		ldns_rr_free(rr);
	return true;
}

bool
delegate_add_ds_file(const char *prog, struct delegate_plan *plan,
    const char *path)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	bool ok = true;
	unsigned n = 0;

	if (f == NULL) {
		fprintf(stderr, "%s: --delegate-ds-file %s: %s\n", prog, path,
		    strerror(errno));
		return false;
	}
	while (ok && fgets(line, sizeof(line), f) != NULL) {
		char *p = line + strspn(line, " \t");

		n++;
		p[strcspn(p, "\r\n")] = '\0';
		if (*p == '\0' || *p == ';')
			continue;
		if (!(ok = delegate_add_ds(prog, plan, p)))
			fprintf(stderr, "%s: in %s, line %u\n", prog, path, n);
	}
	fclose(f);
	return ok;
}

static void
add_server(struct trace_cut *cut, const char *name, const ldns_rr *rr,
    enum addr_source source)
{
	struct trace_server *s;
	char *text;

	if (cut->server_count == TRACE_SERVERS_MAX ||
	    (text = ldns_rdf2str(ldns_rr_rdf(rr, 0))) == NULL)
		return;
	s = &cut->servers[cut->server_count];
	memset(s, 0, sizeof(*s));
	strlcpy(s->name, name, sizeof(s->name));
	s->source = source;
	if (server_address_parse(text, &s->addr))
		cut->server_count++;
	free(text);
}

/*
 * An NS name given without an address, outside the zone, or the zone's DS
 * at the parent today: resolved as a resolver would (traced, one line per
 * step). Returns the records of `type` in the answer (after any alias), or
 * NULL.
 */
static ldns_rr_list *
resolve_records(struct findings_ctx *ctx, const ldns_rdf *name, ldns_rr_type type)
{
	struct engine_question question = { .name = (ldns_rdf *)name,
	    .type = type, .klass = LDNS_RR_CLASS_IN };
	struct engine_request *request;
	ldns_rr_list *found = NULL;
	const uint8_t *wire;
	ldns_pkt *pkt = NULL;
	size_t len = 0;

	request = engine_request_new(ctx->engine, &question, 0,
	    cli_runner_now(ctx->runner), &trace_observer, ctx->trace);
	if (request == NULL || !cli_runner_start(ctx->runner, request)) {
		engine_request_free(request);
		return NULL;
	}
	cli_runner_run(ctx->runner);
	wire = engine_request_answer(request, &len);
	if (wire != NULL && ldns_wire2pkt(&pkt, wire, len) == LDNS_STATUS_OK)
		found = ldns_pkt_rr_list_by_type(pkt, type, LDNS_SECTION_ANSWER);
	ldns_pkt_free(pkt);
	engine_request_free(request);
	return found;
}

/* Adds the plan as the trace's last cut, the servers with their addresses. */
static struct trace_cut *
plan_cut(struct findings_ctx *ctx, struct delegate_plan *plan,
    bool ipv4_only, bool ipv6_only)
{
	struct trace *t = ctx->trace;
	struct trace_cut *cut;
	char zone[256], ns[1024] = "", glue[1024] = "";

	if (t->cut_count == TRACE_CUTS_MAX)
		return NULL;
	dname_str(plan->zone, zone, sizeof(zone));
	/* The out-of-zone names first: their lookups print as they go. */
	for (size_t i = 0; i < ldns_rr_list_rr_count(plan->ns); i++) {
		const ldns_rdf *name = ldns_rr_rdf(ldns_rr_list_rr(plan->ns, i), 0);
		bool given = false;

		for (size_t j = 0; j < ldns_rr_list_rr_count(plan->glue); j++)
			if (dname_equal(ldns_rr_owner(ldns_rr_list_rr(plan->glue,
			    j)), name))
				given = true;
		if (given || dname_in_bailiwick(name, plan->zone))
			continue;
		for (int v6 = 0; v6 < 2; v6++) {
			ldns_rr_list *found;

			if ((v6 && ipv4_only) || (!v6 && ipv6_only))
				continue;
			found = resolve_records(ctx, name, v6 ? LDNS_RR_TYPE_AAAA :
			    LDNS_RR_TYPE_A);
			for (size_t j = 0; found != NULL &&
			    j < ldns_rr_list_rr_count(found); j++) {
				ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(found,
				    j));

				/* Owned by the NS name: an alias is flagged
				 * by the checks, its address still tried. */
				ldns_rdf_deep_free(ldns_rr_owner(rr));
				ldns_rr_set_owner(rr, ldns_rdf_clone(name));
				ldns_rr_set_question(rr, false);
				/* kept apart from the glue: marked resolved */
				ldns_rr_set_class(rr, LDNS_RR_CLASS_CH);
				ldns_rr_list_push_rr(plan->glue, rr);
			}
			ldns_rr_list_deep_free(found);
		}
	}
	cut = &t->cuts[t->cut_count++];
	memset(cut, 0, sizeof(*cut));
	cut->planned = true;
	cut->zone = ldns_rdf_clone(plan->zone);
	cut->parent = ldns_dname_left_chop(plan->zone);
	cut->parent_ns = ldns_rr_list_clone(plan->ns);
	cut->glue = ldns_rr_list_new();
	trace_print(t, 0, "%s planned delegation %s (as if %s served it)",
	    t->color ? "\033[1m==\033[0m" : "==", zone,
	    cut->parent != NULL ? dname_str(cut->parent, ns, sizeof(ns)) :
	    "its parent");
	ns[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(plan->ns); i++) {
		const ldns_rdf *name = ldns_rr_rdf(ldns_rr_list_rr(plan->ns, i), 0);
		char nstext[256], line[1024], addr[64], first[64] = "";
		const char *source = "none";

		dname_str(name, nstext, sizeof(nstext));
		if (ns[0] != '\0')
			strlcat(ns, " ", sizeof(ns));
		strlcat(ns, nstext, sizeof(ns));
		snprintf(line, sizeof(line), "   NS %s", nstext);
		for (size_t j = 0; j < ldns_rr_list_rr_count(plan->glue); j++) {
			ldns_rr *rr = ldns_rr_list_rr(plan->glue, j);
			enum addr_source src;
			char item[128];
			size_t before = cut->server_count;

			if (!dname_equal(ldns_rr_owner(rr), name) ||
			    (ipv4_only && ldns_rr_get_type(rr) ==
			    LDNS_RR_TYPE_AAAA) || (ipv6_only &&
			    ldns_rr_get_type(rr) == LDNS_RR_TYPE_A))
				continue;
			/* Glue is what the parent would hold: in-zone names
			 * only; an address given for another zone's name is
			 * the user's (like @SERVER). */
			src = ldns_rr_get_class(rr) == LDNS_RR_CLASS_CH ?
			    ADDR_SOURCE_RESOLVED : dname_in_bailiwick(name,
			    plan->zone) ? ADDR_SOURCE_GLUE : ADDR_SOURCE_DIRECT;
			if (src == ADDR_SOURCE_GLUE) {
				ldns_rr_list_push_rr(cut->glue, ldns_rr_clone(rr));
				if (glue[0] != '\0')
					strlcat(glue, " ", sizeof(glue));
			}
			add_server(cut, nstext, rr, src);
			if (cut->server_count == before)
				continue;
			trace_addr_str((const struct sockaddr *)
			    &cut->servers[before].addr, addr, sizeof(addr));
			if (src == ADDR_SOURCE_GLUE)
				strlcat(glue, addr, sizeof(glue));
			snprintf(item, sizeof(item), "  %s [%s]", addr,
			    addr_source_name(src));
			strlcat(line, item, sizeof(line));
			if (first[0] == '\0') {
				strlcpy(first, addr, sizeof(first));
				source = addr_source_name(src);
			}
		}
		if (first[0] == '\0') {
			strlcat(line, "  (no address)", sizeof(line));
			if (!dname_in_bailiwick(name, plan->zone) &&
			    cut->unresolvable_count < 4)
				strlcpy(cut->unresolvable[
				    cut->unresolvable_count++], nstext,
				    sizeof(cut->unresolvable[0]));
		}
		trace_print(t, 0, "%s", line);
		trace_json(t, "server", "zone", zone, "name", nstext,
		    "addresses", first, "source", source, "#depth", 0, NULL);
	}
	trace_json(t, "plan", "zone", zone, "ns", ns, "glue", glue, NULL);
	return cut;
}

/* One planned server's reply (NULL: none), printed with `detail`. */
static void
show(struct findings_ctx *ctx, const struct trace_server *s,
    const char *zone, const ldns_rdf *name, ldns_rr_type type,
    const ldns_pkt *reply, const char *detail)
{
	struct trace *t = ctx->trace;
	char addr[64], qname[256], *qtype = ldns_rr_type2str(type), *rcode;
	size_t count;

	trace_addr_str((const struct sockaddr *)&s->addr, addr, sizeof(addr));
	dname_str(name, qname, sizeof(qname));
	if (reply == NULL) {
		trace_print(t, 0, "   ask %s %s: %s %s -> no reply", s->name, addr,
		    qname, qtype);
		trace_json(t, "probe", "zone", zone, "server", s->name, "address",
		    addr, "qname", qname, "qtype", qtype, "rcode", "timeout",
		    "aa", "no", "#answers", 0, "detail", "", NULL);
		free(qtype);
		return;
	}
	rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));
	count = ldns_rr_list_rr_count(ldns_pkt_answer(reply));
	trace_print(t, 0, "   ask %s %s: %s %s -> %s%s, %zu answer(s)%s%s",
	    s->name, addr, qname, qtype, rcode != NULL ? rcode : "?",
	    ldns_pkt_aa(reply) ? " aa" : "", count, detail[0] != '\0' ?
	    ", " : "", detail);
	trace_json(t, "probe", "zone", zone, "server", s->name, "address", addr,
	    "qname", qname, "qtype", qtype, "rcode", rcode != NULL ? rcode : "?",
	    "aa", ldns_pkt_aa(reply) ? "yes" : "no", "#answers", (unsigned)count,
	    "detail", detail, NULL);
	free(rcode);
	free(qtype);
}

/*
 * The DS a validating resolver will find at the parent once it delegates
 * to the plan: the planned one, else the one published today.
 */
struct ds_check {
	const ldns_rr_list *ds;
	const char *source;		/* "planned", "published today" */
	char tags[128];			/* the DS key tags, for the findings */
	char no_dnskey[512];		/* servers that serve no DNSKEY */
	char no_key[512];		/* servers where no DS matches a signer */
	unsigned ok, checked;
	/* The first planned server's DNSKEY RRset and RRSIGs (for --dot). */
	ldns_rr_list *keys, *sigs;
	bool dnssec_ok;			/* replies carried DO: validating */
};

/* One server's DNSKEY reply against the DS: a line, a JSON line, the tally. */
static void
ds_server(struct findings_ctx *ctx, struct ds_check *c, const ldns_rdf *zone,
    const struct trace_server *s, const char *who, const ldns_pkt *reply)
{
	struct trace *t = ctx->trace;
	ldns_rr_list *keys = ldns_pkt_rr_list_by_name_and_type(reply, zone,
	    LDNS_RR_TYPE_DNSKEY, LDNS_SECTION_ANSWER);
	ldns_rr_list *sigs = ldns_pkt_rr_list_by_name_and_type(reply, zone,
	    LDNS_RR_TYPE_RRSIG, LDNS_SECTION_ANSWER);
	char zname[256], addr[64], item[64], ds_text[512] = "",
	    key_text[512] = "", match[512] = "", detail[700];
	const char *verdict;

	dname_str(zone, zname, sizeof(zname));
	trace_addr_str((const struct sockaddr *)&s->addr, addr, sizeof(addr));
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *key = ldns_rr_list_rr(keys, i);

		/* Owners echo 0x20's case; DS digests are over lower case. */
		ldns_dname2canonical(ldns_rr_owner(key));
		snprintf(item, sizeof(item), "%u/%u/%u", (unsigned)
		    ldns_calc_keytag(key), ldns_rdf2native_int16(ldns_rr_rdf(key,
		    0)), ldns_rdf2native_int8(ldns_rr_rdf(key, 2)));
		trace_cat(key_text, sizeof(key_text), " ", item);
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(c->ds); i++) {
		const ldns_rr *ds = ldns_rr_list_rr(c->ds, i);
		const ldns_rr *key = trace_chain_ds_match(ds, keys, zone);
		unsigned tag = ldns_rdf2native_int16(ldns_rr_rdf(ds, 0));

		snprintf(item, sizeof(item), "%u/%u/%u", tag,
		    ldns_rdf2native_int8(ldns_rr_rdf(ds, 1)),
		    ldns_rdf2native_int8(ldns_rr_rdf(ds, 2)));
		trace_cat(ds_text, sizeof(ds_text), " ", item);
		/* Without DO (--no-dnssec) no RRSIG comes: the match alone. */
		if (key != NULL && (!ldns_pkt_edns_do(reply) ||
		    cds_signed_by(keys, sigs, key))) {
			snprintf(item, sizeof(item), "%u->%u", tag,
			    (unsigned)ldns_calc_keytag(key));
			trace_cat(match, sizeof(match), " ", item);
		}
	}
	c->checked++;
	c->dnssec_ok |= ldns_pkt_edns_do(reply);
	if (keys == NULL || ldns_rr_list_rr_count(keys) == 0) {
		verdict = "no-dnskey";
		trace_cat(c->no_dnskey, sizeof(c->no_dnskey), ", ", who);
		snprintf(detail, sizeof(detail), "no DNSKEY here");
	} else if (match[0] == '\0') {
		verdict = "no-key";
		trace_cat(c->no_key, sizeof(c->no_key), ", ", who);
		snprintf(detail, sizeof(detail), "matches no DNSKEY that signs "
		    "the DNSKEY RRset (keys %s%s)", key_text, sigs == NULL ||
		    ldns_rr_list_rr_count(sigs) == 0 ? ", no RRSIG seen" : "");
	} else {
		verdict = "ok";
		c->ok++;
		snprintf(detail, sizeof(detail), "matches %s, %s", match,
		    ldns_pkt_edns_do(reply) ? "a key that signs the DNSKEY "
		    "RRset" : "its signature not checked (asked without DO: "
		    "--no-dnssec)");
	}
	trace_print(t, 0, "   DS %s (%s) at %s %s: %s", ds_text, c->source,
	    s->name, addr, detail);
	trace_json(t, "plan_ds", "zone", zname, "server", s->name, "address",
	    addr, "source", strcmp(c->source, "planned") == 0 ? "planned" :
	    "parent", "ds", ds_text, "dnskey", key_text, "match", match,
	    "verdict", verdict, NULL);
	if (c->keys == NULL && keys != NULL) {
		c->keys = keys;		/* kept for the picture */
		c->sigs = sigs;
		return;
	}
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(sigs);
}

/* Moves `rrs` (owners lowered) into `*into`, skipping those it has. */
static void
keep_records(ldns_rr_list **into, ldns_rr_list *rrs)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(rrs, i));

		if (rr == NULL || (*into == NULL &&
		    (*into = ldns_rr_list_new()) == NULL)) {
			ldns_rr_free(rr);
			return;
		}
		ldns_dname2canonical(ldns_rr_owner(rr));
		if (ldns_rr_list_contains_rr(*into, rr) ||
		    !ldns_rr_list_push_rr(*into, rr))
			ldns_rr_free(rr);
	}
	ldns_rr_list_deep_free(rrs);
}

/*
 * The planned chain of trust for the picture (--dot): the DS and the first
 * planned server's keys join what the trace keeps, and the plan's verdict
 * becomes the zone's, as if the parent served the plan.
 */
static void
plan_picture(struct trace *t, const ldns_rdf *zone, struct ds_check *c,
    bool bogus)
{
	struct trace_dnssec_zone *z = NULL;

	if (c->ds != NULL)
		keep_records(&t->ds_seen, ldns_rr_list_clone(c->ds));
	keep_records(&t->dnskey_seen, c->keys);
	if (c->sigs != NULL) {
		/* Only the RRSIGs over the key set are kept there. */
		ldns_rr_list *over_keys = ldns_rr_list_new();

		for (size_t i = 0; over_keys != NULL &&
		    i < ldns_rr_list_rr_count(c->sigs); i++) {
			ldns_rr *sig = ldns_rr_list_rr(c->sigs, i);

			if (ldns_rr_rrsig_typecovered(sig) != NULL &&
			    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) ==
			    LDNS_RR_TYPE_DNSKEY)
				ldns_rr_list_push_rr(over_keys,
				    ldns_rr_clone(sig));
		}
		keep_records(&t->dnskey_sigs, over_keys);
		ldns_rr_list_deep_free(c->sigs);
	}
	c->keys = c->sigs = NULL;
	/* Not validating (no DO), or no DS checked: no chain to draw. */
	if (!c->dnssec_ok || (z = trace_dnssec_zone(t, zone)) == NULL)
		return;
	z->ede = -1;
	if (bogus) {
		z->status = SEC_BOGUS;
		z->ede = 9;	/* RFC 8914 DNSKEY Missing: what resolvers say */
		snprintf(z->why, sizeof(z->why), "the DS %s %s", c->source,
		    c->no_dnskey[0] != '\0' ? "needs a DNSKEY RRset a server "
		    "lacks" : "matches no key that signs the DNSKEY RRset");
	} else {
		z->status = SEC_SECURE;
		snprintf(z->why, sizeof(z->why), "the DS %s matches a key that "
		    "signs the DNSKEY RRset at every planned server", c->source);
	}
}

/* The findings of the DS check; true when the zone would go bogus. */
static bool
ds_findings(struct trace *t, const struct ds_check *c, const ldns_rdf *zone)
{
	if (c->ds == NULL || c->checked == 0)
		return false;
	if (c->no_dnskey[0] != '\0')
		trace_finding(t, SEVERITY_ERROR, "DESCEND-NO-DNSKEY", zone,
		    "the DS %s (key tag %s) needs the zone signed, but %s serve "
		    "no DNSKEY: validating resolvers would find the zone bogus",
		    c->source, c->tags, c->no_dnskey);
	if (c->ok == 0 && c->no_key[0] != '\0')
		trace_finding(t, SEVERITY_ERROR, "DNSSEC02", zone,
		    "the DS %s (key tag %s) matches no DNSKEY that signs the "
		    "DNSKEY RRset at any planned server (%s): validating "
		    "resolvers would find the zone bogus", c->source, c->tags,
		    c->no_key);
	else if (c->no_key[0] != '\0')
		trace_finding(t, SEVERITY_ERROR, "DESCEND-DS-NO-KEY", zone,
		    "the DS %s (key tag %s) matches no DNSKEY that signs the "
		    "DNSKEY RRset at %s: validating resolvers that ask them "
		    "would find the zone bogus", c->source, c->tags, c->no_key);
	return c->no_dnskey[0] != '\0' || c->no_key[0] != '\0';
}

static bool
authoritative(const ldns_pkt *reply)
{
	return reply != NULL && ldns_pkt_aa(reply) &&
	    (ldns_pkt_get_rcode(reply) == LDNS_RCODE_NOERROR ||
	    ldns_pkt_get_rcode(reply) == LDNS_RCODE_NXDOMAIN);
}

bool
delegate_check(struct findings_ctx *ctx, struct delegate_plan *plan,
    const ldns_rdf *qname, ldns_rr_type qtype, bool ipv4_only,
    bool ipv6_only)
{
	struct trace *t = ctx->trace;
	struct trace_cut *cut = plan_cut(ctx, plan, ipv4_only, ipv6_only);
	char zone[256], first_keys[4096] = "", first_shown[1024] = "",
	    first_test[1024] = "",
	    first_key_server[300] = "", first_test_server[300] = "";
	uint32_t first_serial = 0;
	char first_serial_server[300] = "";
	unsigned ready = 0;
	struct ds_check dsc = { .source = "planned" };
	ldns_rr_list *today = NULL;
	bool bogus;

	if (cut == NULL)
		return false;
	dname_str(plan->zone, zone, sizeof(zone));
	if (plan->ds != NULL && ldns_rr_list_rr_count(plan->ds) > 0)
		dsc.ds = plan->ds;
	else {
		/* Re-delegating a signed zone: its DS stays at the parent. */
		today = resolve_records(ctx, plan->zone, LDNS_RR_TYPE_DS);
		if (today != NULL && ldns_rr_list_rr_count(today) > 0) {
			dsc.ds = today;
			dsc.source = "published today";
		}
	}
	for (size_t i = 0; dsc.ds != NULL && i < ldns_rr_list_rr_count(dsc.ds);
	    i++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "%u", (unsigned)ldns_rdf2native_int16(
		    ldns_rr_rdf(ldns_rr_list_rr(dsc.ds, i), 0)));
		trace_cat(dsc.tags, sizeof(dsc.tags), " ", tag);
	}
	if (dsc.ds != NULL)
		trace_print(t, 0, "   DS %s: key tag %s, to match a key that "
		    "signs the DNSKEY RRset at every planned server", dsc.source,
		    dsc.tags);
	else
		trace_print(t, 0, "   DS: none at the parent today, none "
		    "planned (an insecure delegation; --delegate-ds plans one)");
	if (t->format == TRACE_TEXT)
		fprintf(t->out, "== checks\n");
	findings_check_cut(ctx, cut);
	for (unsigned i = 0; i < cut->server_count; i++) {
		struct trace_server *s = &cut->servers[i];
		ldns_rr_list *soa;
		ldns_pkt *reply;
		char what[4096] = "", keys[4096], test[1024], who[300], addr[64];
		char shown[1024];
		uint32_t serial = 0;
		bool zone_ok;

		snprintf(who, sizeof(who), "%s (%s)", s->name, trace_addr_str(
		    (const struct sockaddr *)&s->addr, addr, sizeof(addr)));
		/* SOA: the server is ready when it answers for the zone. */
		reply = findings_probe(ctx, plan->zone, LDNS_RR_TYPE_SOA,
		    (const struct sockaddr *)&s->addr, false);
		soa = reply != NULL ? ldns_pkt_rr_list_by_name_and_type(reply,
		    plan->zone, LDNS_RR_TYPE_SOA, LDNS_SECTION_ANSWER) : NULL;
		if (soa != NULL) {
			serial = ldns_rdf2native_int32(ldns_rr_rdf(
			    ldns_rr_list_rr(soa, 0), 2));
			snprintf(what, sizeof(what), "serial %u", serial);
		}
		show(ctx, s, zone, plan->zone, LDNS_RR_TYPE_SOA, reply, what);
		zone_ok = soa != NULL && authoritative(reply);
		/* What the picture (--dot) colours the server by. */
		s->asked = true;
		s->answered = zone_ok;
		s->timed_out = reply == NULL;
		s->lame = reply != NULL && !zone_ok;
		if (s->lame) {
			char *rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(
			    reply));

			snprintf(s->problem, sizeof(s->problem), "%s%s",
			    rcode != NULL ? rcode : "?", ldns_pkt_aa(reply) ?
			    "" : ", not authoritative");
			free(rcode);
		}
		if (zone_ok) {
			ready++;
			if (first_serial_server[0] == '\0') {
				first_serial = serial;
				strlcpy(first_serial_server, who,
				    sizeof(first_serial_server));
			} else if (serial != first_serial)
				trace_finding(t, SEVERITY_WARNING,
				    "CONSISTENCY01", plan->zone, "SOA serial "
				    "%u at %s, %u at %s: the servers do not "
				    "serve the same version of the zone",
				    serial, who, first_serial,
				    first_serial_server);
		}
		ldns_rr_list_deep_free(soa);
		ldns_pkt_free(reply);
		if (reply == NULL)
			continue;
		/* DNSKEY: every server must give the same key set. */
		reply = findings_probe(ctx, plan->zone, LDNS_RR_TYPE_DNSKEY,
		    (const struct sockaddr *)&s->addr, false);
		keys[0] = shown[0] = '\0';
		if (reply != NULL) {
			/* Compared as chain.c compares the servers of a cut. */
			ldns_rr_list *set = dnssec_probe_rrset(reply, plan->zone,
			    LDNS_RR_TYPE_DNSKEY);

			if (set != NULL && ldns_rr_list_rr_count(set) > 0)
				trace_chain_set_text(set, keys, sizeof(keys),
				    shown, sizeof(shown));
			ldns_rr_list_deep_free(set);
		}
		show(ctx, s, zone, plan->zone, LDNS_RR_TYPE_DNSKEY, reply,
		    keys[0] != '\0' ? "signed" : "no keys");
		if (authoritative(reply)) {
			if (first_key_server[0] == '\0') {
				strlcpy(first_keys, keys, sizeof(first_keys));
				strlcpy(first_shown, shown, sizeof(first_shown));
				strlcpy(first_key_server, who,
				    sizeof(first_key_server));
			} else if (strcmp(keys, first_keys) != 0)
				trace_finding(t, SEVERITY_ERROR,
				    "DESCEND-DNSKEY-DIFFERS", plan->zone,
				    "%s and %s give different DNSKEY sets "
				    "(%s; %s)", who, first_key_server,
				    shown[0] != '\0' ? shown : "none",
				    first_shown[0] != '\0' ? first_shown : "none");
			/* The DS: a key it names must sign the key set. */
			if (dsc.ds != NULL)
				ds_server(ctx, &dsc, plan->zone, s, who, reply);
		}
		ldns_pkt_free(reply);
		/* The test name: every server must answer it the same. */
		reply = findings_probe(ctx, qname, qtype,
		    (const struct sockaddr *)&s->addr, false);
		test[0] = '\0';
		if (reply != NULL)
			findings_reply_summary(reply, test, sizeof(test));
		show(ctx, s, zone, qname, qtype, reply, test);
		if (reply != NULL) {
			/* A server lame for the zone is flagged already. */
			if (!authoritative(reply)) {
				if (zone_ok)
					trace_finding(t, SEVERITY_ERROR,
					    "DELEGATION04", plan->zone, "%s "
					    "answers the zone's SOA but \"%s\" "
					    "for the test name", who, test);
			} else if (first_test_server[0] == '\0') {
				strlcpy(first_test, test, sizeof(first_test));
				strlcpy(first_test_server, who,
				    sizeof(first_test_server));
			} else if (strcmp(test, first_test) != 0)
				trace_finding(t, SEVERITY_WARNING,
				    "DESCEND-SERVERS-DISAGREE", plan->zone,
				    "%s answers \"%s\", %s \"%s\"", who, test,
				    first_test_server, first_test);
		}
		ldns_pkt_free(reply);
	}
	if (ready == 0)
		trace_finding(t, SEVERITY_ERROR, "DESCEND-NOT-READY", plan->zone,
		    "no planned server answers for the zone: delegating now "
		    "would break it");
	/* A DS without its key makes the zone bogus: as broken as lame. */
	bogus = ds_findings(t, &dsc, plan->zone);
	/* The new provider may publish CDS/CDNSKEY: checked before it goes
	 * live, against the DS the parent will hold. */
	cds_check_planned(ctx, cut, dsc.ds);
	plan_picture(t, plan->zone, &dsc, bogus);
	ldns_rr_list_deep_free(today);
	return ready > 0 && !bogus;
}
