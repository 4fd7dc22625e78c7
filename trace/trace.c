/*
 * trace.c: the trace observer. Each engine event becomes a line (or a JSON
 * object) as it happens, indented by sub-request depth, and the facts the
 * findings need (cuts, parent NS sets, glue, server behaviour) are kept.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dname.h"
#include "dnssec_probe.h"
#include "trace.h"

const char *
severity_name(enum finding_severity severity)
{
	switch (severity) {
	case SEVERITY_NOTICE:	return "NOTICE";
	case SEVERITY_WARNING:	return "WARNING";
	case SEVERITY_ERROR:	return "ERROR";
	}
	return "?";
}

const char *
trace_addr_str(const struct sockaddr *addr, char *buf, size_t len)
{
	const void *a = addr->sa_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)(const void *)addr)
	    ->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)(const void *)addr)
	    ->sin_addr;

	if (inet_ntop(addr->sa_family, a, buf, (socklen_t)len) == NULL)
		strlcpy(buf, "?", len);
	return buf;
}

char *
trace_rr_str(const ldns_rr *rr)
{
	return ldns_rr2str_fmt(ldns_output_format_nocomments, rr);
}

void
trace_init(struct trace *t, enum trace_format format, FILE *out, bool color)
{
	memset(t, 0, sizeof(*t));
	t->format = format;
	t->out = out;
	t->color = color;
}

void
trace_free(struct trace *t)
{
	for (unsigned i = 0; i < t->cut_count; i++) {
		ldns_rdf_deep_free(t->cuts[i].zone);
		ldns_rdf_deep_free(t->cuts[i].parent);
		ldns_rr_list_deep_free(t->cuts[i].parent_ns);
		ldns_rr_list_deep_free(t->cuts[i].glue);
	}
	ldns_rdf_deep_free(t->root.zone);
	for (unsigned i = 0; i < t->dnssec_count; i++)
		ldns_rdf_deep_free(t->dnssec[i].zone);
	ldns_rr_list_deep_free(t->ds_seen);
	ldns_rr_list_deep_free(t->dnskey_seen);
	ldns_rr_list_deep_free(t->dnskey_sigs);
	dnssec_probe_free(t->probe);
}

void
trace_print(struct trace *t, unsigned depth, const char *fmt, ...)
{
	va_list ap;

	if (t->format != TRACE_TEXT)
		return;
	for (unsigned i = 0; i < depth; i++)
		fputs("  | ", t->out);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/*
 * Arguments after `type`: key, value pairs ending with NULL. A key that
 * starts with '#' takes an unsigned value printed as a JSON number, one
 * that starts with '%' an int (an EDE code, -1 for none).
 */
void
trace_json(struct trace *t, const char *type, ...)
{
	const char *key;
	va_list ap;

	if (t->format != TRACE_JSON)
		return;
	fputs("{\"type\":", t->out);
	json_string(t->out, type);
	va_start(ap, type);
	while ((key = va_arg(ap, const char *)) != NULL) {
		fputc(',', t->out);
		if (key[0] == '#') {
			json_string(t->out, key + 1);
			fprintf(t->out, ":%u", va_arg(ap, unsigned));
		} else if (key[0] == '%') {
			json_string(t->out, key + 1);
			fprintf(t->out, ":%d", va_arg(ap, int));
		} else {
			const char *value = va_arg(ap, const char *);

			json_string(t->out, key);
			fputc(':', t->out);
			json_string(t->out, value != NULL ? value : "");
		}
	}
	va_end(ap);
	fputs("}\n", t->out);
	fflush(t->out);
}

void
trace_finding(struct trace *t, enum finding_severity severity,
    const char *code, const ldns_rdf *zone, const char *fmt, ...)
{
	struct finding *f;
	va_list ap;
	char text[512], zname[256];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	dname_str(zone, zname, sizeof(zname));
	for (unsigned i = 0; i < t->finding_count; i++)
		if (strcmp(t->findings[i].code, code) == 0 &&
		    strcmp(t->findings[i].text, text) == 0 &&
		    strcmp(t->findings[i].zone, zname) == 0)
			return;
	if (t->finding_count == TRACE_FINDINGS_MAX)
		return;
	f = &t->findings[t->finding_count++];
	f->severity = severity;
	f->code = code;
	strlcpy(f->zone, zname, sizeof(f->zone));
	strlcpy(f->text, text, sizeof(f->text));
}

/* The cut for `zone` reached most recently, or NULL. */
static struct trace_cut *
cut_find(struct trace *t, const ldns_rdf *zone)
{
	for (unsigned i = t->cut_count; i > 0; i--)
		if (dname_equal(t->cuts[i - 1].zone, zone))
			return &t->cuts[i - 1];
	/* The root has no referral: its servers are kept apart (--dot). */
	if (ldns_dname_label_count(zone) == 0) {
		if (t->root.zone == NULL)
			t->root.zone = ldns_rdf_clone(zone);
		return t->root.zone != NULL ? &t->root : NULL;
	}
	return NULL;
}

static struct trace_server *
cut_server(struct trace_cut *cut, const struct sockaddr *addr)
{
	size_t len = addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	for (unsigned i = 0; i < cut->server_count; i++)
		if (memcmp(&cut->servers[i].addr, addr, len) == 0)
			return &cut->servers[i];
	return NULL;
}

static bool
cut_names_ns(const struct trace_cut *c, const ldns_rdf *name)
{
	for (size_t j = 0; c->parent_ns != NULL &&
	    j < ldns_rr_list_rr_count(c->parent_ns); j++) {
		const ldns_rdf *ns = ldns_rr_rdf(ldns_rr_list_rr(c->parent_ns, j), 0);

		if (ns != NULL && dname_equal(ns, name))
			return true;
	}
	return false;
}

static void
rr_list_text(const ldns_rr_list *rrs, char *buf, size_t len, bool rdata0)
{
	buf[0] = '\0';
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		char *s = rdata0 && ldns_rr_rdf(rr, 0) != NULL ?
		    ldns_rdf2str(ldns_rr_rdf(rr, 0)) : trace_rr_str(rr);

		if (s == NULL)
			continue;
		s[strcspn(s, "\n")] = '\0';
		if (i > 0)
			strlcat(buf, rdata0 ? " " : "; ", len);
		strlcat(buf, s, len);
		free(s);
	}
}

/* Offsets of the labels of a wire-format name, the root label excluded. */
static unsigned
label_offsets(const ldns_rdf *name, size_t *off, unsigned max)
{
	const uint8_t *d = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name), pos = 0;
	unsigned n = 0;

	while (pos < len && d[pos] != 0 && n < max) {
		off[n++] = pos;
		pos += (size_t)d[pos] + 1;
	}
	return n;
}

/*
 * `name` as dig would show it: lower case, except the labels it shares with
 * the question, which take the case the user typed. Names sent with 0x20
 * come back in random case (ExampLE.com.), often in rdata too, through
 * compression pointers into the question. The caller frees the copy.
 */
static ldns_rdf *
display_dname(const struct trace *t, const ldns_rdf *name)
{
	ldns_rdf *out = ldns_rdf_clone(name);
	size_t a[128], b[128];
	unsigned na, nb;
	uint8_t *d;
	const uint8_t *q;

	if (out == NULL)
		return NULL;
	ldns_dname2canonical(out);
	if (t->qname == NULL)
		return out;
	d = ldns_rdf_data(out);
	q = ldns_rdf_data(t->qname);
	na = label_offsets(out, a, 128);
	nb = label_offsets(t->qname, b, 128);
	while (na > 0 && nb > 0 && d[a[na - 1]] == q[b[nb - 1]] &&
	    strncasecmp((const char *)d + a[na - 1] + 1,
	    (const char *)q + b[nb - 1] + 1, d[a[na - 1]]) == 0) {
		memcpy(d + a[na - 1] + 1, q + b[nb - 1] + 1, d[a[na - 1]]);
		na--;
		nb--;
	}
	return out;
}

/* A copy of rr with its owner and the names in its rdata as dig shows them. */
static ldns_rr *
display_rr(const struct trace *t, const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);
	ldns_rdf *name;

	if (c == NULL)
		return NULL;
	if ((name = display_dname(t, ldns_rr_owner(c))) != NULL) {
		ldns_rdf_deep_free(ldns_rr_owner(c));
		ldns_rr_set_owner(c, name);
	}
	for (size_t i = 0; i < ldns_rr_rd_count(c); i++) {
		if (ldns_rdf_get_type(ldns_rr_rdf(c, i)) != LDNS_RDF_TYPE_DNAME ||
		    (name = display_dname(t, ldns_rr_rdf(c, i))) == NULL)
			continue;
		ldns_rdf_deep_free(ldns_rr_set_rdf(c, name, i));
	}
	return c;
}

static void
on_zonecut(struct trace *t, const struct engine_event *ev)
{
	const struct observed_server *servers = ev->u.zonecut.servers;
	struct trace_cut *cut = cut_find(t, ev->u.zonecut.zone);
	char zone[256], name[256], addr[64];

	const char *configured = ev->u.zonecut.configured;

	dname_str(ev->u.zonecut.zone, zone, sizeof(zone));
	trace_print(t, ev->depth, "%s zone %s%s%s", t->color ?
	    "\033[1m==\033[0m" : "==", zone, ev->u.zonecut.from_cache ?
	    " (known from earlier in this trace)" : "", configured == NULL ? "" :
	    strcmp(configured, "forward") == 0 ? " (forward zone: these "
	    "resolvers are asked with RD=1, their answer is final)" :
	    " (stub zone: the configured authoritative servers)");
	for (size_t i = 0; i < ev->u.zonecut.server_count; i++) {
		const struct observed_server *s = &servers[i];
		const struct sockaddr_storage *addrs =
		    (const struct sockaddr_storage *)(const void *)s->addrs;
		char line[1024];

		dname_str(s->name, name, sizeof(name));
		snprintf(line, sizeof(line), "   NS %s", name);
		if (s->addr_count == 0)
			strlcat(line, "  (no address yet)", sizeof(line));
		for (size_t j = 0; j < s->addr_count; j++) {
			char item[128];

			snprintf(item, sizeof(item), "  %s [%s]",
			    trace_addr_str((const struct sockaddr *)&addrs[j],
			    addr, sizeof(addr)), addr_source_name(s->sources[j]));
			strlcat(line, item, sizeof(line));
			if (cut != NULL && cut_server(cut,
			    (const struct sockaddr *)&addrs[j]) == NULL &&
			    cut->server_count < TRACE_SERVERS_MAX) {
				struct trace_server *ts =
				    &cut->servers[cut->server_count++];

				memset(ts, 0, sizeof(*ts));
				strlcpy(ts->name, name, sizeof(ts->name));
				ts->addr = addrs[j];
				ts->source = s->sources[j];
			}
		}
		trace_print(t, ev->depth, "%s", line);
		trace_json(t, "server", "zone", zone, "name", name, "addresses",
		    s->addr_count > 0 ? trace_addr_str((const struct sockaddr *)
		    &addrs[0], addr, sizeof(addr)) : "", "source",
		    s->addr_count > 0 ? addr_source_name(s->sources[0]) : "none",
		    "#depth", ev->depth, NULL);
	}
	trace_json(t, "zonecut", "zone", zone, "#servers",
	    (unsigned)ev->u.zonecut.server_count, "#depth", ev->depth,
	    "from_cache", ev->u.zonecut.from_cache ? "yes" : "no",
	    "configured", configured != NULL ? configured : "", NULL);
}

static void
on_referral(struct trace *t, const struct engine_event *ev)
{
	struct trace_cut *cut;
	char from[256], to[256], ns[1024], ttl[32];

	if (t->cut_count < TRACE_CUTS_MAX) {
		cut = &t->cuts[t->cut_count++];
		memset(cut, 0, sizeof(*cut));
		cut->zone = ldns_rdf_clone(ev->u.referral.to_zone);
		ldns_dname2canonical(cut->zone);
		cut->parent = ldns_rdf_clone(ev->u.referral.from_zone);
		cut->parent_ns = ldns_rr_list_clone(ev->u.referral.ns);
		cut->glue = ev->u.referral.glue != NULL ?
		    ldns_rr_list_clone(ev->u.referral.glue) : NULL;
		cut->has_ds = ev->u.referral.has_ds;
		cut->depth = ev->depth;
	}
	dname_str(ev->u.referral.from_zone, from, sizeof(from));
	dname_str(ev->u.referral.to_zone, to, sizeof(to));
	rr_list_text(ev->u.referral.ns, ns, sizeof(ns), true);
	snprintf(ttl, sizeof(ttl), "%u", ev->u.referral.ns != NULL &&
	    ldns_rr_list_rr_count(ev->u.referral.ns) > 0 ?
	    ldns_rr_ttl(ldns_rr_list_rr(ev->u.referral.ns, 0)) : 0);
	trace_print(t, ev->depth, "   referral %s -> %s: NS %s (TTL %s), "
	    "glue %zu, DS %s", from, to, ns, ttl, ev->u.referral.glue != NULL ?
	    ldns_rr_list_rr_count(ev->u.referral.glue) : 0,
	    ev->u.referral.has_ds ? "yes" : "no");
	trace_json(t, "referral", "from", from, "to", to, "ns", ns, "ttl", ttl,
	    "ds", ev->u.referral.has_ds ? "yes" : "no", "#depth", ev->depth,
	    NULL);
}

/*
 * Keeps a copy of every DS, DNSKEY and RRSIG(DNSKEY) record in `rrs` not
 * kept yet: which keys sign the DNSKEY RRset is what DNSSEC02 asks.
 */
static void
keep_dnssec_records(struct trace *t, const ldns_rr_list *rrs)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		ldns_rr_list **seen = type == LDNS_RR_TYPE_DS ? &t->ds_seen :
		    type == LDNS_RR_TYPE_DNSKEY ? &t->dnskey_seen :
		    type == LDNS_RR_TYPE_RRSIG && ldns_rr_rrsig_typecovered(rr) !=
		    NULL && ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) ==
		    LDNS_RR_TYPE_DNSKEY ? &t->dnskey_sigs : NULL;
		bool known = false;
		ldns_rr *copy;

		if (seen == NULL)
			continue;
		if (*seen == NULL && (*seen = ldns_rr_list_new()) == NULL)
			return;
		if ((copy = ldns_rr_clone(rr)) == NULL)
			return;
		/* Owners come back in 0x20's random case: compare them lowered. */
		ldns_dname2canonical(ldns_rr_owner(copy));
		for (size_t j = 0; j < ldns_rr_list_rr_count(*seen) && !known; j++)
			known = ldns_rr_compare(ldns_rr_list_rr(*seen, j),
			    copy) == 0;
		if (known || !ldns_rr_list_push_rr(*seen, copy))
			ldns_rr_free(copy);
	}
}

struct trace_dnssec_zone *
trace_dnssec_zone(struct trace *t, const ldns_rdf *zone)
{
	struct trace_dnssec_zone *z;

	for (unsigned i = 0; i < t->dnssec_count; i++)
		if (dname_equal(t->dnssec[i].zone, zone))
			return &t->dnssec[i];
	if (t->dnssec_count == TRACE_DNSSEC_ZONES_MAX)
		return NULL;
	z = &t->dnssec[t->dnssec_count];
	memset(z, 0, sizeof(*z));
	if ((z->zone = ldns_rdf_clone(zone)) == NULL)
		return NULL;
	ldns_dname2canonical(z->zone);
	z->ede = -1;
	t->dnssec_count++;
	return z;
}

/*
 * Folds one EV_DNSSEC step into its zone's verdict. The DS, no-DS and
 * DNSKEY steps judge the cut named by their owner; the other steps judge
 * data with the keys of `zone`; "answer" is the whole chain's weakest link
 * and says nothing about one cut.
 */
static void
keep_dnssec_verdict(struct trace *t, const struct engine_event *ev)
{
	static const int rank[] = { [SEC_UNCHECKED] = 0, [SEC_SECURE] = 1,
	    [SEC_INSECURE] = 2, [SEC_INDETERMINATE] = 3, [SEC_BOGUS] = 4 };
	const char *step = ev->u.dnssec.step;
	const ldns_rdf *zone = ev->u.dnssec.zone;
	struct trace_dnssec_zone *z = NULL;

	if (strcmp(step, "answer") == 0)
		return;
	bool cut = strcmp(step, "ds") == 0 || strcmp(step, "no-ds") == 0 ||
	    strcmp(step, "dnskey") == 0;

	if (cut)
		zone = ev->u.dnssec.owner;
	else if (zone == NULL && ev->u.dnssec.owner != NULL) {
		/* No zone named: the deepest zone judged so far holding it. */
		for (unsigned i = 0; i < t->dnssec_count; i++)
			if (dname_in_bailiwick(ev->u.dnssec.owner,
			    t->dnssec[i].zone) && (zone == NULL ||
			    ldns_dname_label_count(t->dnssec[i].zone) >
			    ldns_dname_label_count(zone)))
				zone = t->dnssec[i].zone;
		if (zone == NULL)
			zone = ev->u.dnssec.owner;
	}
	if (zone == NULL || (z = trace_dnssec_zone(t, zone)) == NULL)
		return;
	z->cut |= cut;
	if (rank[ev->u.dnssec.status] <= rank[z->status])
		return;
	z->status = ev->u.dnssec.status;
	z->ede = ev->u.dnssec.ede;
	strlcpy(z->why, ev->u.dnssec.why, sizeof(z->why));
}

static const char *
flags_text(const ldns_pkt *pkt, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", ldns_pkt_aa(pkt) ? " aa" : "",
	    ldns_pkt_tc(pkt) ? " tc" : "", ldns_pkt_ra(pkt) ? " ra" : "");
	return buf;
}

static void
on_exchange(struct trace *t, const struct engine_event *ev)
{
	const ldns_pkt *reply = ev->u.query.reply;
	struct trace_cut *cut = ev->u.query.zone != NULL ?
	    cut_find(t, ev->u.query.zone) : NULL;
	struct trace_server *server = cut != NULL ?
	    cut_server(cut, ev->u.query.addr) : NULL;
	char name[256] = "", addr[64], qname[256] = "", rcode[32] = "",
	    flags[32] = "", zone[256] = ".", result[160], *type;
	bool bad = false;

	if (ev->u.query.server_name != NULL)
		dname_str(ev->u.query.server_name, name, sizeof(name));
	if (ev->u.query.sent_qname != NULL) {
		ldns_rdf *shown = display_dname(t, ev->u.query.sent_qname);

		dname_str(shown != NULL ? shown : ev->u.query.sent_qname, qname,
		    sizeof(qname));
		ldns_rdf_deep_free(shown);
	}
	if (ev->u.query.zone != NULL)
		dname_str(ev->u.query.zone, zone, sizeof(zone));
	trace_addr_str(ev->u.query.addr, addr, sizeof(addr));
	type = ldns_rr_type2str(ev->u.query.sent_qtype);
	if (reply != NULL) {
		char *r = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));

		strlcpy(rcode, r != NULL ? r : "?", sizeof(rcode));
		free(r);
		flags_text(reply, flags, sizeof(flags));
		snprintf(result, sizeof(result), "%s%s %s, %zu bytes, %u ms",
		    rcode, flags, reply_class_name(ev->u.query.reply_class),
		    ev->u.query.reply_size, ev->u.query.rtt_ms);
		switch (ev->u.query.reply_class) {
		case REPLY_LAME: case REPLY_UPWARD_REFERRAL: case REPLY_REFUSED:
		case REPLY_SERVFAIL: case REPLY_MALFORMED: case REPLY_NOTIMP:
			bad = true;
			break;
		default:
			break;
		}
		if (ev->u.query.reply_class == REPLY_ANSWER ||
		    ev->u.query.reply_class == REPLY_NXDOMAIN ||
		    ev->u.query.reply_class == REPLY_NODATA)
			snprintf(t->answer_server, sizeof(t->answer_server),
			    "%s (%s)", name, addr);
	} else if (ev->kind == EV_TIMEOUT) {
		snprintf(result, sizeof(result), "no reply (timeout)");
		bad = true;
	} else {
		snprintf(result, sizeof(result), "error: %s",
		    ev->u.query.error != NULL ? ev->u.query.error : "?");
		bad = true;
	}
	trace_print(t, ev->depth, "   %s%s %s %s %s/%s -> %s%s",
	    bad && t->color ? "\033[31m" : "", ev->u.query.transport ==
	    ENGINE_TCP ? "tcp" : "udp", name[0] != '\0' ? name : "-", addr,
	    qname, type != NULL ? type : "?", result,
	    bad && t->color ? "\033[0m" : "");
	trace_json(t, "reply", "zone", zone, "server", name, "address", addr,
	    "source", addr_source_name(ev->u.query.addr_source), "transport",
	    ev->u.query.transport == ENGINE_TCP ? "tcp" : "udp", "qname", qname,
	    "qtype", type != NULL ? type : "?", "rcode", rcode, "flags", flags,
	    "class", reply != NULL ? reply_class_name(ev->u.query.reply_class) :
	    ev->kind == EV_TIMEOUT ? "timeout" : "error",
	    "#rtt_ms", ev->u.query.rtt_ms, "#size",
	    (unsigned)ev->u.query.reply_size, "#depth", ev->depth, NULL);
	free(type);
	if (t->format == TRACE_DIG && reply != NULL &&
	    ev->u.query.reply_class != REPLY_TRUNCATED) {
		/* dig +trace prints what each hop returned (the answer and
		 * authority sections), then where from. */
		for (int s = 0; s < 2; s++) {
			const ldns_rr_list *section = s == 0 ?
			    ldns_pkt_answer(reply) : ldns_pkt_authority(reply);

			for (size_t i = 0; i < ldns_rr_list_rr_count(section);
			    i++) {
				const ldns_rr *rr = ldns_rr_list_rr(section, i);
				ldns_rr *shown = display_rr(t, rr);

				trace_dig_rr(t->out, shown != NULL ? shown : rr);
				ldns_rr_free(shown);
			}
		}
		/* dig names the server without the root's trailing dot. */
		if (name[0] != '\0' && name[1] != '\0')
			name[strlen(name) - 1] = '\0';
		fprintf(t->out, ";; Received %zu bytes from %s#53(%s) in %u ms\n\n",
		    ev->u.query.reply_size, addr, name[0] != '\0' ? name : addr,
		    ev->u.query.rtt_ms);
	}
	if (reply != NULL) {
		keep_dnssec_records(t, ldns_pkt_answer(reply));
		keep_dnssec_records(t, ldns_pkt_authority(reply));
	}
	if (server != NULL) {
		server->asked = true;
		if (reply != NULL && !bad)
			server->answered = true;
		if (ev->kind == EV_TIMEOUT)
			server->timed_out = true;
		if (reply != NULL && bad) {
			server->lame = true;
			strlcpy(server->problem, reply_class_name(
			    ev->u.query.reply_class), sizeof(server->problem));
		}
	}
}

static void
on_skipped(struct trace *t, const struct engine_event *ev)
{
	char name[256], addr[64] = "";
	struct trace_cut *cut = t->cut_count > 0 ?
	    &t->cuts[t->cut_count - 1] : NULL;

	dname_str(ev->u.skipped.server_name, name, sizeof(name));
	if (ev->u.skipped.addr != NULL)
		trace_addr_str(ev->u.skipped.addr, addr, sizeof(addr));
	trace_print(t, ev->depth, "   skip %s %s: %s", name, addr,
	    ev->u.skipped.why);
	trace_json(t, "skipped", "server", name, "address", addr, "why",
	    ev->u.skipped.why, "#depth", ev->depth, NULL);
	/* The cut being worked on is the deepest one whose servers include it. */
	for (unsigned i = t->cut_count; i > 0; i--) {
		if (cut_names_ns(&t->cuts[i - 1], ev->u.skipped.server_name)) {
			cut = &t->cuts[i - 1];
			break;
		}
	}
	if (cut == NULL)
		return;
	if (strstr(ev->u.skipped.why, "cycle") != NULL)
		cut->cycle = true;
	if (strstr(ev->u.skipped.why, "without glue") != NULL)
		cut->missing_glue = true;
}

/*
 * A sub-request's answer owned by another name than it asked for followed an
 * alias: say so, since its answer holds only the target's addresses and a
 * name server's name that is an alias is an error (the findings flag it).
 */
static void
show_alias(struct trace *t, const struct engine_event *ev)
{
	const ldns_rr_list *answer = ev->u.done.answer;
	char name[256], target[256], record[600];

	for (size_t i = 0; answer != NULL && i < ldns_rr_list_rr_count(answer);
	    i++) {
		const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(answer, i));

		if (dname_equal(owner, ev->qname))
			continue;
		dname_str(ev->qname, name, sizeof(name));
		dname_str(owner, target, sizeof(target));
		snprintf(record, sizeof(record), "%s CNAME %s", name, target);
		trace_print(t, ev->depth, "   alias: %s is an alias of %s", name,
		    target);
		trace_json(t, "alias", "record", record, "target", target, "#hop",
		    1, "#depth", ev->depth, NULL);
		return;
	}
}

static void
on_request_done(struct trace *t, const struct engine_event *ev)
{
	char name[256], rcode_buf[32], answer[1024];
	char *rcode = ldns_pkt_rcode2str(ev->u.done.rcode);

	strlcpy(rcode_buf, rcode != NULL ? rcode : "?", sizeof(rcode_buf));
	free(rcode);
	dname_str(ev->qname, name, sizeof(name));
	if (ev->depth == 0)
		return;		/* the command prints the final answer */
	rr_list_text(ev->u.done.answer, answer, sizeof(answer), false);
	show_alias(t, ev);
	trace_print(t, ev->depth, "<- %s %s: %s", name, rcode_buf,
	    answer[0] != '\0' ? answer : ev->u.done.why != NULL ?
	    ev->u.done.why : "no data");
	trace_json(t, "subrequest_done", "qname", name, "rcode", rcode_buf,
	    "answer", answer, "#depth", ev->depth, NULL);
	/* A resolved NS address belongs to the cut whose NS set names it. */
	for (unsigned i = t->cut_count; i > 0 && answer[0] != '\0'; i--) {
		struct trace_cut *c = &t->cuts[i - 1];

		if (!cut_names_ns(c, ev->qname))
			continue;
		for (size_t j = 0; j < ldns_rr_list_rr_count(ev->u.done.answer);
		    j++) {
			const ldns_rr *rr = ldns_rr_list_rr(ev->u.done.answer, j);
			struct sockaddr_storage ss = { 0 };

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A &&
			    ldns_rr_rdf(rr, 0) != NULL) {
				struct sockaddr_in *in = (struct sockaddr_in *)&ss;

				in->sin_family = AF_INET;
				in->sin_port = htons(53);
				memcpy(&in->sin_addr,
				    ldns_rdf_data(ldns_rr_rdf(rr, 0)), 4);
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA &&
			    ldns_rr_rdf(rr, 0) != NULL) {
				struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

				in6->sin6_family = AF_INET6;
				in6->sin6_port = htons(53);
				memcpy(&in6->sin6_addr,
				    ldns_rdf_data(ldns_rr_rdf(rr, 0)), 16);
			} else
				continue;
			if (cut_server(c, (struct sockaddr *)&ss) == NULL &&
			    c->server_count < TRACE_SERVERS_MAX) {
				struct trace_server *ts =
				    &c->servers[c->server_count++];

				memset(ts, 0, sizeof(*ts));
				strlcpy(ts->name, name, sizeof(ts->name));
				ts->addr = ss;
				ts->source = ADDR_SOURCE_RESOLVED;
			}
		}
		break;
	}
	/* A failed NS-address resolution: remember it for the findings. */
	if (ev->u.done.rcode != LDNS_RCODE_NOERROR || answer[0] == '\0') {
		for (unsigned i = t->cut_count; i > 0; i--) {
			struct trace_cut *c = &t->cuts[i - 1];

			if (cut_names_ns(c, ev->qname)) {
				if (c->unresolvable_count < 4)
					strlcpy(c->unresolvable[
					    c->unresolvable_count++], name,
					    sizeof(c->unresolvable[0]));
				return;
			}
		}
	}
}

static void
trace_on_event(void *ctx, const struct engine_event *ev)
{
	struct trace *t = ctx;
	char name[256], text[512];
	char *type;
	ldns_rdf *owner;
	bool same;

	switch (ev->kind) {
	case EV_REQUEST_START:
		if (ev->depth == 0)
			break;
		dname_str(ev->qname, name, sizeof(name));
		type = ldns_rr_type2str(ev->qtype);
		trace_print(t, ev->depth, "-> %s %s (%s)", name,
		    type != NULL ? type : "?",
		    ev->u.start.reason == SUBREQ_PRIMING ? "priming the root" :
		    ev->u.start.reason == SUBREQ_DNSSEC ? "chain of trust" :
		    "glueless name server address");
		trace_json(t, "subrequest", "qname", name, "qtype",
		    type != NULL ? type : "?", "reason",
		    ev->u.start.reason == SUBREQ_PRIMING ? "priming" :
		    ev->u.start.reason == SUBREQ_DNSSEC ? "dnssec" :
		    "ns-address", "#depth", ev->depth, NULL);
		free(type);
		break;
	case EV_REQUEST_DONE:
		on_request_done(t, ev);
		break;
	case EV_ZONECUT:
		on_zonecut(t, ev);
		break;
	case EV_QUERY_SENT:
		t->queries++;
		break;
	case EV_REPLY:
	case EV_TIMEOUT:
	case EV_NET_ERROR:
		on_exchange(t, ev);
		break;
	case EV_REPLY_IGNORED:
		trace_print(t, ev->depth, "   ignored a datagram: %s",
		    ev->u.query.error);
		break;
	case EV_REFERRAL:
		on_referral(t, ev);
		break;
	case EV_ALIAS: {
		ldns_rdf *target = display_dname(t, ev->u.alias.target);

		dname_str(target != NULL ? target : ev->u.alias.target, name,
		    sizeof(name));
		ldns_rdf_deep_free(target);
		if (ev->u.alias.rr != NULL) {
			ldns_rr *shown = display_rr(t, ev->u.alias.rr);
			char *s = trace_rr_str(shown != NULL ? shown :
			    ev->u.alias.rr);

			ldns_rr_free(shown);

			strlcpy(text, s != NULL ? s : "", sizeof(text));
			text[strcspn(text, "\n")] = '\0';
			free(s);
		} else
			text[0] = '\0';
		trace_print(t, ev->depth, "   alias hop %u: %s -> follow %s",
		    ev->u.alias.hop, text, name);
		trace_json(t, "alias", "record", text, "target", name, "#hop",
		    ev->u.alias.hop, "#depth", ev->depth, NULL);
		break;
	}
	case EV_CACHE_HIT:
		dname_str(ev->u.cache.owner, name, sizeof(name));
		trace_print(t, ev->depth, "   (cache: %s for %s, learned earlier "
		    "in this trace)", ev->u.cache.what, name);
		break;
	case EV_SERVER_SKIPPED:
		on_skipped(t, ev);
		break;
	case EV_RECORD_DROPPED: {
		char *s = trace_rr_str(ev->u.dropped.rr);

		if (s != NULL)
			s[strcspn(s, "\n")] = '\0';
		trace_print(t, ev->depth, "   dropped %s: %s", s != NULL ? s : "?",
		    ev->u.dropped.why);
		trace_json(t, "dropped", "record", s != NULL ? s : "", "why",
		    ev->u.dropped.why, "#depth", ev->depth, NULL);
		free(s);
		break;
	}
	case EV_LIMIT_HIT:
		trace_print(t, ev->depth, "   limit %s (%u) reached",
		    ev->u.limit.limit, ev->u.limit.value);
		trace_json(t, "limit", "limit", ev->u.limit.limit, "#value",
		    ev->u.limit.value, "#depth", ev->depth, NULL);
		break;
	case EV_FALLBACK:
		if (strcmp(ev->u.fallback.what, "iterate") == 0)
			trace_print(t, ev->depth, "   every forwarder failed: "
			    "iterating instead (forward-first)");
		else
			trace_print(t, ev->depth, "   retry: %s",
			    ev->u.fallback.what);
		trace_json(t, "fallback", "what", ev->u.fallback.what, "#depth",
		    ev->depth, NULL);
		break;
	case EV_DNSSEC:
		/* One line per step; chain.c draws the chain of trust from these. */
		owner = display_dname(t, ev->u.dnssec.owner);
		dname_str(owner != NULL ? owner : ev->u.dnssec.owner, name,
		    sizeof(name));
		ldns_rdf_deep_free(owner);
		type = ldns_rr_type2str(ev->u.dnssec.type);
		/* A why that is only the status again ("secure") is not repeated. */
		same = strcmp(ev->u.dnssec.why,
		    sec_status_name(ev->u.dnssec.status)) == 0;
		trace_print(t, ev->depth, "   dnssec %s %s %s: %s%s%s%s",
		    ev->u.dnssec.step, name, type != NULL ? type : "?",
		    sec_status_name(ev->u.dnssec.status), same ? "" : " (",
		    same ? "" : ev->u.dnssec.why, same ? "" : ")");
		/* "rrtype": a key "type" would clash with the line's own. */
		trace_json(t, "dnssec", "step", ev->u.dnssec.step, "owner",
		    name, "rrtype", type != NULL ? type : "?", "status",
		    sec_status_name(ev->u.dnssec.status), "why",
		    ev->u.dnssec.why, "%ede", ev->u.dnssec.ede, "#depth",
		    ev->depth, NULL);
		free(type);
		keep_dnssec_verdict(t, ev);
		break;
	}
	if (t->format != TRACE_JSON)
		fflush(t->out);
}

const struct engine_observer trace_observer = { trace_on_event };
