/*
 * test_engine.c: drives the engine with scripted upstream replies, no
 * sockets and an injected clock: referrals with glue, poisoning attempts
 * in the additional section, spoofed replies, TC->TCP, FORMERR->no EDNS,
 * timeouts, TTL expiry, the NXNS limit, glueless name servers, delegation
 * cycles, CNAME chains and loops, DNAME, upward referrals and servers that
 * do not echo 0x20 case.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine.h"
#include "engine_limits.h"
#include "observer.h"
#include "request.h"
#include "scripted_server.h"
#include "server_select.h"
#include "tap.h"

/* ---- a scripted authority: zone data per server address ---- */

struct server {
	const char *addr;	/* IPv4 */
	const char *zone;
	const char *records;	/* zone data, one record per line */
	bool silent;		/* never answers (timeouts) */
	bool formerr_on_edns;
	bool truncate_udp;
	bool poison;		/* adds out-of-bailiwick data to referrals */
	bool upward;		/* refers every question back up to test. */
	bool lowercase;		/* echoes the question in lowercase */
	/* Habits of real servers (issue 14). */
	bool nxdomain_ent;	/* empty non-terminals answered NXDOMAIN */
	bool no_aa_nodata;	/* NODATA without the AA bit */
	bool wrong_type;	/* answers AAAA questions with the A records, no AA */
	unsigned lowercase_next; /* the next n replies echo lowercase (a spoofer) */
	unsigned rtt_ms;	/* reported round trip (default 1) */
	unsigned sends;		/* queries it received */
	bool recursive;		/* a resolver: wants RD, answers RA without AA */
	char last_qname[256];	/* the last question's name, case as sent */
	bool auth_ns;		/* the zone's NS set with every answer (BIND, NSD) */
	unsigned drop_next;	/* the next n queries are lost (timeouts) */
	unsigned late_ms;	/* run_on_clock: replies this late (0: at once) */
};

static struct server *servers;
static size_t server_count;
static unsigned sent_total;
/* What the last resolve() sent: where, and with RD or not. */
#define SENT_LOG_MAX	64
static char sent_to[SENT_LOG_MAX][64];
static bool sent_rd[SENT_LOG_MAX];
static unsigned sent_log;
static const struct engine_observer *test_observer;
static void *test_observer_ctx;
/* Seconds of wall clock a timeout takes (0: none); addresses expire meanwhile. */
static unsigned wall_per_timeout;

static struct server *
server_at(const struct sockaddr_storage *ss)
{
	char addr[64];

	scripted_addr(ss, addr, sizeof(addr));
	for (size_t i = 0; i < server_count; i++)
		if (strcmp(servers[i].addr, addr) == 0)
			return &servers[i];
	return NULL;
}

static ldns_rr_list *
zone_rrs(const struct server *s)
{
	ldns_rr_list *rrs = ldns_rr_list_new();
	char *copy = strdup(s->records), *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ldns_rr *rr = NULL;

		if (ldns_rr_new_frm_str(&rr, line, 3600, NULL, NULL) ==
		    LDNS_STATUS_OK)
			ldns_rr_list_push_rr(rrs, rr);
	}
	free(copy);
	return rrs;
}

/* Answers like an authoritative server would (a tiny one). */
static ldns_pkt *
authority_answer(struct server *s, const ldns_pkt *query, bool over_tcp)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	const ldns_rdf *qname = ldns_rr_owner(q);
	ldns_rr_type qtype = ldns_rr_get_type(q);
	ldns_rdf *zone = ldns_dname_new_frm_str(s->zone);
	ldns_rr_list *rrs = zone_rrs(s);
	ldns_pkt *reply = scripted_reply_new(query);
	const ldns_rdf *cut;
	bool name_exists = false;

	if (s->lowercase_next > 0) {
		s->lowercase_next--;
		ldns_dname2canonical(ldns_rr_owner(ldns_rr_list_rr(
		    ldns_pkt_question(reply), 0)));
	}
	if (s->lowercase)
		ldns_dname2canonical(ldns_rr_owner(ldns_rr_list_rr(
		    ldns_pkt_question(reply), 0)));
	if (s->upward) {
		ldns_rr *up = NULL;

		ldns_rr_new_frm_str(&up, "test. 86400 IN NS ns.test.", 0, NULL,
		    NULL);
		ldns_pkt_push_rr(reply, LDNS_SECTION_AUTHORITY, up);
		goto out;
	}
	if (s->recursive && !ldns_pkt_rd(query)) {
		ldns_pkt_set_rcode(reply, LDNS_RCODE_REFUSED);
		goto out;
	}
	if (s->formerr_on_edns && ldns_pkt_edns(query)) {
		ldns_pkt_set_rcode(reply, LDNS_RCODE_FORMERR);
		goto out;
	}
	if (!ldns_dname_is_subdomain(qname, zone) &&
	    ldns_dname_compare(qname, zone) != 0) {
		ldns_pkt_set_rcode(reply, LDNS_RCODE_REFUSED);
		goto out;
	}
	/* A delegation below the zone apex on the way to qname? */
	if ((cut = scripted_cut(rrs, zone, qname, qtype)) != NULL) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
			    ldns_dname_compare(ldns_rr_owner(rr), cut) == 0) {
				ldns_pkt_push_rr(reply, LDNS_SECTION_AUTHORITY,
				    ldns_rr_clone(rr));
				for (size_t j = 0; j < ldns_rr_list_rr_count(rrs);
				    j++) {
					const ldns_rr *a = ldns_rr_list_rr(rrs, j);

					if (ldns_rr_get_type(a) == LDNS_RR_TYPE_A &&
					    ldns_dname_compare(ldns_rr_owner(a),
					    ldns_rr_rdf(rr, 0)) == 0)
						ldns_pkt_push_rr(reply,
						    LDNS_SECTION_ADDITIONAL,
						    ldns_rr_clone(a));
				}
			}
		}
		if (s->poison) {
			ldns_rr *bad = NULL;

			ldns_rr_new_frm_str(&bad, "www.victim.test. 86400 IN A "
			    "203.0.113.66", 0, NULL, NULL);
			ldns_pkt_push_rr(reply, LDNS_SECTION_ADDITIONAL, bad);
		}
		goto out;
	}
	ldns_pkt_set_aa(reply, true);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		/* DNAME (RFC 6672): the record and the CNAME it makes. */
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME &&
		    ldns_dname_is_subdomain(qname, ldns_rr_owner(rr))) {
			char *q_text = ldns_rdf2str(qname);
			char *owner_text = ldns_rdf2str(ldns_rr_owner(rr));
			char *target_text = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			char cname_text[512];
			ldns_rr *cname = NULL;

			snprintf(cname_text, sizeof(cname_text),
			    "%s 3600 IN CNAME %.*s%s", q_text,
			    (int)(strlen(q_text) - strlen(owner_text)), q_text,
			    target_text);
			ldns_rr_new_frm_str(&cname, cname_text, 0, NULL, NULL);
			ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER,
			    ldns_rr_clone(rr));
			ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER, cname);
			free(q_text);
			free(owner_text);
			free(target_text);
			name_exists = true;
			continue;
		}
		if (ldns_dname_compare(ldns_rr_owner(rr), qname) != 0)
			continue;
		name_exists = true;
		if (ldns_rr_get_type(rr) == qtype ||
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME ||
		    (s->wrong_type && qtype == LDNS_RR_TYPE_AAAA &&
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_A))
			ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER,
			    ldns_rr_clone(rr));
	}
	/* Such servers (load balancers) answer without AA, too. */
	if (s->wrong_type && qtype == LDNS_RR_TYPE_AAAA)
		ldns_pkt_set_aa(reply, false);
	for (size_t i = 0; s->auth_ns && ldns_pkt_ancount(reply) > 0 &&
	    i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(ldns_rr_owner(rr), zone) == 0)
			ldns_pkt_push_rr(reply, LDNS_SECTION_AUTHORITY,
			    ldns_rr_clone(rr));
		/* With the addresses of those in the zone, as NSD does. */
		for (size_t j = 0; ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(ldns_rr_owner(rr), zone) == 0 &&
		    j < ldns_rr_list_rr_count(rrs); j++) {
			const ldns_rr *a = ldns_rr_list_rr(rrs, j);

			if (ldns_rr_get_type(a) == LDNS_RR_TYPE_A &&
			    ldns_dname_compare(ldns_rr_owner(a),
			    ldns_rr_rdf(rr, 0)) == 0)
				ldns_pkt_push_rr(reply, LDNS_SECTION_ADDITIONAL,
				    ldns_rr_clone(a));
		}
	}
	if (ldns_pkt_ancount(reply) == 0) {
		if (s->no_aa_nodata)
			ldns_pkt_set_aa(reply, false);
		for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(rrs, i);

			/* Empty non-terminals exist too (unless it forgets). */
			if (ldns_dname_is_subdomain(ldns_rr_owner(rr), qname) &&
			    !s->nxdomain_ent)
				name_exists = true;
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
				ldns_pkt_push_rr(reply, LDNS_SECTION_AUTHORITY,
				    ldns_rr_clone(rr));
		}
		if (!name_exists)
			ldns_pkt_set_rcode(reply, LDNS_RCODE_NXDOMAIN);
	}
	if (s->truncate_udp && !over_tcp) {
		ldns_pkt *tc = scripted_reply_new(query);

		ldns_pkt_set_tc(tc, true);
		ldns_pkt_free(reply);
		reply = tc;
	}
	if (s->recursive) {
		ldns_pkt_set_aa(reply, false);
		ldns_pkt_set_ra(reply, true);
		ldns_pkt_set_rd(reply, true);
	}
out:
	ldns_rr_list_deep_free(rrs);
	ldns_rdf_deep_free(zone);
	return reply;
}

/* One query to the scripted servers: counted, logged, then answered. */
static ldns_pkt *
lab_answer(void *ctx, const struct engine_send *send, const ldns_pkt *query,
    struct engine_now *now, unsigned *rtt_ms)
{
	struct server *s = server_at(&send->addr);

	(void)ctx;
	sent_total++;
	if (s != NULL)
		s->sends++;
	if (sent_log < SENT_LOG_MAX) {
		scripted_addr(&send->addr, sent_to[sent_log], sizeof(sent_to[0]));
		sent_rd[sent_log++] = query != NULL && ldns_pkt_rd(query);
	}
	if (s != NULL && query != NULL) {
		char *qn = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(
		    ldns_pkt_question(query), 0)));

		snprintf(s->last_qname, sizeof(s->last_qname), "%s", qn);
		free(qn);
	}
	if (s == NULL || s->silent || query == NULL ||
	    (s->drop_next > 0 && s->drop_next-- > 0)) {
		now->wall += wall_per_timeout;
		return NULL;
	}
	*rtt_ms = s->rtt_ms;
	return authority_answer(s, query, send->transport == ENGINE_TCP);
}

/* Runs a request (with engine_request_new flags) against the scripted servers. */
static struct engine_request *
resolve_flags(struct engine *engine, const char *name, ldns_rr_type type,
    unsigned flags, struct engine_now *now, unsigned *sends)
{
	struct engine_question q = { .type = type, .klass = LDNS_RR_CLASS_IN };
	struct engine_request *req;

	q.name = ldns_dname_new_frm_str(name);
	req = engine_request_new(engine, &q, flags, *now, test_observer,
	    test_observer_ctx);
	ldns_rdf_deep_free(q.name);
	sent_log = 0;
	*sends = scripted_run(req, now, lab_answer, NULL);
	return req;
}

static struct engine_request *
resolve(struct engine *engine, const char *name, ldns_rr_type type,
    struct engine_now *now, unsigned *sends)
{
	return resolve_flags(engine, name, type, 0, now, sends);
}

static char *
answer_text(struct engine_request *req)
{
	size_t len;
	const uint8_t *wire = engine_request_answer(req, &len);
	ldns_pkt *pkt = NULL;
	char *text;

	if (wire == NULL || ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return strdup("");
	text = ldns_rr_list2str(ldns_pkt_answer(pkt));
	ldns_pkt_free(pkt);
	return text != NULL ? text : strdup("");
}

static struct engine *
new_engine_case(bool use_0x20)
{
	struct engine_config cfg;
	char err[256];

	scripted_config_init(&cfg, use_0x20);
	return engine_new(&cfg, err, sizeof(err));
}

static struct engine *
new_engine(void)
{
	return new_engine_case(false);
}

/* example.test., served by both of its name servers. */
#define EXAMPLE_TEST_ZONE \
	"example.test. 86400 IN SOA ns1.example.test. h.test. 1 3600 600 86400 300\n" \
	"example.test. 86400 IN NS ns1.example.test.\n" \
	"example.test. 86400 IN NS ns2.example.test.\n" \
	"ns1.example.test. 86400 IN A 192.0.2.3\n" \
	"ns2.example.test. 86400 IN A 192.0.2.4\n" \
	"www.example.test. 60 IN A 198.51.100.10\n" \
	"big.example.test. 60 IN TXT \"big\"\n"

static struct server lab[] = {
	{ .addr = "192.0.2.1", .zone = ".", .records =
	  ". 86400 IN SOA a.root.test. h.test. 1 3600 600 86400 300\n"
	  ". 86400 IN NS a.root.test.\n"
	  "a.root.test. 86400 IN A 192.0.2.1\n"
	  "test. 86400 IN NS ns.test.\n"
	  "ns.test. 86400 IN A 192.0.2.2\n"
	  "net. 86400 IN NS ns.net.\n"
	  "ns.net. 86400 IN A 192.0.2.6\n" },
	{ .addr = "192.0.2.2", .zone = "test.", .records =
	  "test. 86400 IN SOA ns.test. h.test. 1 3600 600 86400 300\n"
	  "test. 86400 IN NS ns.test.\n"
	  "ns.test. 86400 IN A 192.0.2.2\n"
	  "example.test. 86400 IN NS ns1.example.test.\n"
	  "example.test. 86400 IN NS ns2.example.test.\n"
	  "ns1.example.test. 86400 IN A 192.0.2.3\n"
	  "ns2.example.test. 86400 IN A 192.0.2.4\n"
	  "nxns.test. 86400 IN NS a.nx.invalid.\n"
	  "nxns.test. 86400 IN NS b.nx.invalid.\n"
	  "nxns.test. 86400 IN NS c.nx.invalid.\n"
	  "nxns.test. 86400 IN NS d.nx.invalid.\n"
	  "nxns.test. 86400 IN NS e.nx.invalid.\n"
	  "nxns.test. 86400 IN NS f.nx.invalid.\n"
	  "nxns.test. 86400 IN NS g.nx.invalid.\n"
	  "nxns.test. 86400 IN NS h.nx.invalid.\n"
	  "nxns.test. 86400 IN NS i.nx.invalid.\n"
	  "nxns.test. 86400 IN NS j.nx.invalid.\n"
	  "nxns.test. 86400 IN NS k.nx.invalid.\n"
	  "nxns.test. 86400 IN NS l.nx.invalid.\n"
	  /* glueless: the name server lives in another TLD */
	  "glueless.test. 86400 IN NS ns.hosting.net.\n"
	  /* a cycle: each zone's name server is in the other zone */
	  "cyc-a.test. 86400 IN NS ns.cyc-b.test.\n"
	  "cyc-b.test. 86400 IN NS ns.cyc-a.test.\n"
	  "up.test. 86400 IN NS ns.up.test.\n"
	  "ns.up.test. 86400 IN A 192.0.2.8\n",
	  .poison = true },
	{ .addr = "192.0.2.3", .zone = "example.test.", .records =
	  EXAMPLE_TEST_ZONE,
	  .silent = true },
	{ .addr = "192.0.2.4", .zone = "example.test.", .records =
	  EXAMPLE_TEST_ZONE,
	  .formerr_on_edns = true, .truncate_udp = true },
	{ .addr = "192.0.2.6", .zone = "net.", .records =
	  "net. 86400 IN SOA ns.net. h.test. 1 3600 600 86400 300\n"
	  "net. 86400 IN NS ns.net.\n"
	  "ns.net. 86400 IN A 192.0.2.6\n"
	  "hosting.net. 86400 IN NS ns1.hosting.net.\n"
	  "ns1.hosting.net. 86400 IN A 192.0.2.5\n" },
	{ .addr = "192.0.2.5", .zone = "hosting.net.", .records =
	  "hosting.net. 86400 IN SOA ns1.hosting.net. h.test. 1 3600 600 86400 300\n"
	  "hosting.net. 86400 IN NS ns1.hosting.net.\n"
	  "ns1.hosting.net. 86400 IN A 192.0.2.5\n"
	  "ns.hosting.net. 86400 IN A 192.0.2.7\n" },
	{ .addr = "192.0.2.7", .zone = "glueless.test.", .records =
	  "glueless.test. 86400 IN SOA ns.hosting.net. h.test. 1 3600 600 86400 300\n"
	  "glueless.test. 86400 IN NS ns.hosting.net.\n"
	  "www.glueless.test. 3600 IN A 198.51.100.20\n"
	  "alias.glueless.test. 3600 IN CNAME www.example.test.\n"
	  "loop1.glueless.test. 3600 IN CNAME loop2.glueless.test.\n"
	  "loop2.glueless.test. 3600 IN CNAME loop1.glueless.test.\n"
	  "dname.glueless.test. 3600 IN DNAME example.test.\n",
	  .lowercase = true },
	{ .addr = "192.0.2.8", .zone = "up.test.", .records = "up.test. 86400 IN NS ns.up.test.\n",
	  .upward = true },
	/* A resolver to forward to: it knows the final answers itself. */
	{ .addr = "192.0.2.50", .zone = ".", .records =
	  "corp.test. 3600 IN SOA ns.corp.test. h.test. 1 3600 600 86400 300\n"
	  "www.corp.test. 3600 IN A 198.51.100.50\n"
	  "alias.corp.test. 3600 IN CNAME www.glueless.test.\n"
	  "big.example.test. 60 IN TXT \"forwarded\"\n",
	  .recursive = true },
};

static void
test_resolution_and_cache(void)
{
	struct engine *engine = new_engine();
	struct engine_now now = { 1000000, 5000 };
	struct engine_result r;
	struct engine_request *req;
	unsigned sends;
	char *text, *cache;

	req = resolve(engine, "www.example.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	text = answer_text(req);
	if (!ok(r.rcode == LDNS_RCODE_NOERROR, "www.example.test resolves"))
		diag("rcode %d: %s", r.rcode, r.ede_text);
	ok(strstr(text, "198.51.100.10") != NULL, "to its address: %s", text);
	/* ns1 is silent: a timeout, then ns2, which wants no EDNS (FORMERR) */
	ok(sends >= 5 && sends <= 8, "priming, root, test., a timeout, FORMERR "
	    "retry: %u sends", sends);
	free(text);
	engine_request_free(req);
	cache = scripted_cache_text(engine, now.wall);
	ok(strstr(cache, "victim") == NULL,
	    "out-of-bailiwick additional data is not cached");
	ok(strstr(cache, "ns1.example.test.\t86400\tIN\tA\t192.0.2.3 ; glue")
	    != NULL, "glue is cached, ranked as glue");
	free(cache);

	req = resolve(engine, "www.example.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	ok(sends == 0 && r.from_cache, "a second request is answered from the "
	    "cache");
	engine_request_free(req);

	now.wall += 61;		/* the answer's TTL is 60 */
	req = resolve(engine, "www.example.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	ok(sends >= 1 && !r.from_cache, "after the TTL it is resolved again "
	    "(%u sends)", sends);
	/* At most: silent ns1, then ns2's truncated UDP reply and its TCP retry. */
	ok(sends <= 3, "but the delegation is still cached: no root or test. "
	    "query (%u sends)", sends);
	engine_request_free(req);

	req = resolve(engine, "ns1.example.test.", LDNS_RR_TYPE_A, &now, &sends);
	ok(sends >= 1, "glue is never handed out as an answer: it is asked for");
	engine_request_free(req);

	req = resolve(engine, "big.example.test.", LDNS_RR_TYPE_TXT, &now, &sends);
	engine_request_result(req, &r);
	text = answer_text(req);
	ok(r.rcode == LDNS_RCODE_NOERROR && strstr(text, "\"big\"") != NULL,
	    "a truncated UDP reply is retried over TCP");
	free(text);
	engine_request_free(req);

	req = resolve(engine, "nothere.example.test.", LDNS_RR_TYPE_A, &now,
	    &sends);
	engine_request_result(req, &r);
	ok(r.rcode == LDNS_RCODE_NXDOMAIN, "NXDOMAIN is passed on");
	engine_request_free(req);
	req = resolve(engine, "below.nothere.example.test.", LDNS_RR_TYPE_A, &now,
	    &sends);
	engine_request_result(req, &r);
	ok(r.rcode == LDNS_RCODE_NXDOMAIN && sends > 0,
	    "names below an unvalidated NXDOMAIN are asked (RFC 8020 only "
	    "from secure ones, as Unbound) (%u sends)", sends);
	engine_request_free(req);
	engine_free(engine);
}

static void
test_nxns_limit(void)
{
	struct engine *engine = new_engine();
	struct engine_now now = { 1000000, 5000 };
	struct engine_result r;
	struct engine_request *req;
	unsigned sends;

	req = resolve(engine, "www.nxns.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	ok(r.rcode == LDNS_RCODE_SERVFAIL, "a referral to names that do not "
	    "resolve fails");
	ok(sends <= 20, "and costs few queries (NXNSAttack bound): %u", sends);
	engine_request_free(req);
	engine_free(engine);
}

static void
test_spoofed_reply_ignored(void)
{
	struct engine *engine = new_engine();
	struct engine_now now = { 1000000, 5000 };
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_action action;
	struct engine_request *req;
	struct sockaddr_in other = { .sin_family = AF_INET,
	    .sin_port = htons(53) };
	ldns_pkt *query = NULL, *reply;
	uint8_t *wire;
	size_t len;

	q.name = ldns_dname_new_frm_str("www.example.test.");
	req = engine_request_new(engine, &q, 0, now, NULL, NULL);
	ok(engine_next_action(req, now, &action) == ENGINE_SEND, "a query goes out");
	{
		struct engine_action again;

		ok(engine_next_action(req, now, &again) == ENGINE_WAIT,
		    "and the request waits for it (a hedge only comes later)");
	}
	ldns_wire2pkt(&query, action.send.wire, action.send.wire_len);
	reply = authority_answer(&lab[0], query, false);
	ldns_pkt_set_id(reply, (uint16_t)(ldns_pkt_id(query) + 1));
	ldns_pkt2wire(&wire, reply, &len);
	ok(engine_feed_reply(req, action.send.id,
	    (struct sockaddr *)&action.send.addr, action.send.addrlen, wire, len,
	    1, now) == -1, "a reply with another ID is ignored");
	free(wire);
	ldns_pkt_set_id(reply, ldns_pkt_id(query));
	ldns_pkt2wire(&wire, reply, &len);
	inet_pton(AF_INET, "192.0.2.99", &other.sin_addr);
	ok(engine_feed_reply(req, action.send.id, (struct sockaddr *)&other,
	    sizeof(other), wire, len, 1, now) == -1,
	    "a reply from another address is ignored");
	ok(engine_feed_reply(req, action.send.id,
	    (struct sockaddr *)&action.send.addr, action.send.addrlen, wire, 5,
	    1, now) == 0, "a mangled reply from the right server counts as that "
	    "server failing");
	ok(engine_next_action(req, now, &action) == ENGINE_SEND,
	    "and the engine asks again");
	free(wire);
	ldns_pkt_free(reply);
	ldns_pkt_free(query);
	engine_request_free(req);
	ldns_rdf_deep_free(q.name);
	engine_free(engine);
}

/*
 * engine_build_query writes the query's wire itself: it must be byte for
 * byte what ldns renders from the same query packet (ID, RD clear, the
 * sent spelling of the name, OPT with LIMIT_EDNS_BUFSIZE and DO), with
 * EDNS and without, for the root, short and long names.
 */
static void
test_query_wire_matches_ldns(void)
{
	/* Two lines joined, apart: in the list they looked like a lost comma. */
	static const char long_name[] =
	    "a.very-long-label-0123456789-0123456789-0123456789-0123456.b.c.d."
	    "e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.example.net.";
	static const char *names[] = { ".", "com.", "www.Example.test.",
	    long_name };
	struct engine *engine = new_engine();
	struct engine_now now = { 1000000, 5000 };
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_request *req;
	struct inflight_query *bq;
	unsigned same = 0, total = 0;

	q.name = ldns_dname_new_frm_str("www.example.test.");
	req = engine_request_new(engine, &q, 0, now, NULL, NULL);
	bq = engine_inflight_new(req, INFLIGHT_TASK);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (int mode = 0; mode < 4; mode++) {
			bool edns = mode & 1, rand_case = mode & 2;
			ldns_rdf *name = ldns_dname_new_frm_str(names[i]);
			ldns_rr_type type = mode == 3 ? LDNS_RR_TYPE_DS :
			    LDNS_RR_TYPE_NS;
			ldns_pkt *pkt;
			uint8_t *wire = NULL;
			size_t len = 0;

			total++;
			if (!engine_build_query(req, bq, name, type,
			    LDNS_RR_CLASS_IN, edns, rand_case)) {
				ldns_rdf_deep_free(name);
				continue;
			}
			pkt = ldns_pkt_query_new(
			    ldns_rdf_clone(bq->sent_qname), type,
			    LDNS_RR_CLASS_IN, 0);
			ldns_pkt_set_id(pkt, bq->dns_id);
			if (edns) {
				ldns_pkt_set_edns_udp_size(pkt,
				    LIMIT_EDNS_BUFSIZE);
				ldns_pkt_set_edns_do(pkt, true);
			}
			ldns_pkt2wire(&wire, pkt, &len);
			if (wire != NULL && len == bq->wire_len &&
			    memcmp(wire, bq->wire, len) == 0 &&
			    ldns_dname_compare(name, bq->sent_qname) == 0)
				same++;
			else
				diag("%s mode %d differs", names[i], mode);
			free(wire);
			ldns_pkt_free(pkt);
			ldns_rdf_deep_free(name);
		}
	}
	ok(same == total, "the query wire is what ldns renders: %u of %u",
	    same, total);
	engine_request_free(req);
	ldns_rdf_deep_free(q.name);
	engine_free(engine);
}

/* Resolves name/type on a fresh engine; returns rcode, answer and sends. */
static int
resolve_fresh(const char *name, ldns_rr_type type, bool use_0x20,
    char **answer, unsigned *sends)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct engine_request *req = resolve(engine, name, type, &now, sends);
	struct engine_result r;

	engine_request_result(req, &r);
	*answer = answer_text(req);
	engine_request_free(req);
	engine_free(engine);
	return r.rcode;
}

static void
test_delegation_shapes(void)
{
	unsigned sends;
	char *text;
	int rcode;

	rcode = resolve_fresh("www.glueless.test.", LDNS_RR_TYPE_A, false,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.20") != NULL,
	    "a glueless delegation resolves its name server first (%u sends)",
	    sends);
	free(text);
	/*
	 * Priming, test., cyc-a.test. and cyc-b.test. (both glueless): the
	 * cycle closes there. Neither referral is asked for again, nor is a
	 * name server whose lookup failed looked up again (it was 9 sends).
	 */
	rcode = resolve_fresh("www.cyc-a.test.", LDNS_RR_TYPE_A, false, &text,
	    &sends);
	ok(rcode == LDNS_RCODE_SERVFAIL && sends <= 4,
	    "a delegation cycle fails as soon as it closes, each glueless "
	    "referral asked once (TsuNAME): %u sends", sends);
	free(text);
	rcode = resolve_fresh("www.up.test.", LDNS_RR_TYPE_A, false, &text,
	    &sends);
	ok(rcode == LDNS_RCODE_SERVFAIL && sends <= 12,
	    "an upward referral is refused, not followed: %u sends", sends);
	free(text);
}

static void
test_aliases(void)
{
	unsigned sends;
	char *text;
	int rcode;

	rcode = resolve_fresh("alias.glueless.test.", LDNS_RR_TYPE_A, false,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "CNAME") != NULL &&
	    strstr(text, "198.51.100.10") != NULL,
	    "a CNAME into another zone is followed");
	free(text);
	rcode = resolve_fresh("loop1.glueless.test.", LDNS_RR_TYPE_A, false,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_SERVFAIL && sends <= 20,
	    "a CNAME loop fails (%u sends)", sends);
	free(text);
	rcode = resolve_fresh("www.dname.glueless.test.", LDNS_RR_TYPE_A, false,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "DNAME") != NULL &&
	    strstr(text, "198.51.100.10") != NULL,
	    "a DNAME is followed through its CNAME");
	free(text);
}

static void
test_case_randomisation_fallback(void)
{
	unsigned sends;
	char *text;
	int rcode;

	rcode = resolve_fresh("www.glueless.test.", LDNS_RR_TYPE_A, true, &text,
	    &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.20") != NULL,
	    "a server that does not echo 0x20 case is asked again without it "
	    "(%u sends)", sends);
	free(text);
}

/* ---- real-world delegations (issue 14): one small world per habit ---- */

#define ROOT_OF_TEST \
	{ .addr = "192.0.2.1", .zone = ".", .records = \
	  ". 86400 IN SOA a.root.test. h.test. 1 3600 600 86400 300\n" \
	  ". 86400 IN NS a.root.test.\n" \
	  "a.root.test. 86400 IN A 192.0.2.1\n" \
	  "test. 86400 IN NS ns.test.\n" \
	  "ns.test. 86400 IN A 192.0.2.2\n" }
#define TEST_APEX \
	"test. 86400 IN SOA ns.test. h.test. 1 3600 600 86400 300\n" \
	"test. 86400 IN NS ns.test.\n" \
	"ns.test. 86400 IN A 192.0.2.2\n"
/* A zone's SOA and NS (ns.<zone>), the name server at `addr`. */
#define ZONE_APEX(z, addr) \
	z " 3600 IN SOA ns." z " h.test. 1 3600 600 86400 300\n" \
	z " 3600 IN NS ns." z "\n" \
	"ns." z " 3600 IN A " addr "\n"

static struct server habits[] = {
	ROOT_OF_TEST,
	{ .addr = "192.0.2.2", .zone = "test.", .records = TEST_APEX
	  "dl.test. 86400 IN NS ns.dl.test.\n"
	  "ns.dl.test. 86400 IN A 192.0.2.21\n"
	  "wt.test. 86400 IN NS ns.wt.test.\n"
	  "ns.wt.test. 86400 IN A 192.0.2.22\n"
	  "ent.test. 86400 IN NS ns.ent.test.\n"
	  "ns.ent.test. 86400 IN A 192.0.2.23\n"
	  "noaa.test. 86400 IN NS ns.noaa.test.\n"
	  "ns.noaa.test. 86400 IN A 192.0.2.24\n"
	  "pf.test. 86400 IN NS ns.pf.test.\n"
	  "ns.pf.test. 86400 IN A 192.0.2.25\n" },
	/* A DNAME whose target lies below itself. */
	{ .addr = "192.0.2.21", .zone = "dl.test.", .records =
	  ZONE_APEX("dl.test.", "192.0.2.21")
	  "d.dl.test. 3600 IN DNAME e.d.dl.test.\n" },
	{ .addr = "192.0.2.22", .zone = "wt.test.", .records =
	  ZONE_APEX("wt.test.", "192.0.2.22")
	  "www.wt.test. 3600 IN A 198.51.100.30\n",
	  .wrong_type = true },
	{ .addr = "192.0.2.23", .zone = "ent.test.", .records =
	  ZONE_APEX("ent.test.", "192.0.2.23")
	  "www.sub.ent.test. 3600 IN A 198.51.100.40\n",
	  .nxdomain_ent = true },
	{ .addr = "192.0.2.24", .zone = "noaa.test.", .records =
	  ZONE_APEX("noaa.test.", "192.0.2.24")
	  "www.sub.noaa.test. 3600 IN A 198.51.100.41\n",
	  .no_aa_nodata = true },
	{ .addr = "192.0.2.25", .zone = "pf.test.", .records =
	  ZONE_APEX("pf.test.", "192.0.2.25")
	  "www.pf.test. 60 IN A 198.51.100.50\n"
	  "www.a.b.c.pf.test. 60 IN A 198.51.100.51\n" },
};

/*
 * Siblings under a known zone (issue 16): a.w and b.w below the empty
 * non-terminal w.sib.test. (NODATA with AA to the minimised question), and
 * dl.sib.test., a cut whose referral lives 60 s while the child's own
 * address record at its apex lives an hour.
 */
static struct server siblings[] = {
	ROOT_OF_TEST,
	{ .addr = "192.0.2.2", .zone = "test.", .records = TEST_APEX
	  "sib.test. 86400 IN NS ns.sib.test.\n"
	  "ns.sib.test. 86400 IN A 192.0.2.26\n" },
	{ .addr = "192.0.2.26", .zone = "sib.test.", .records =
	  ZONE_APEX("sib.test.", "192.0.2.26")
	  "a.w.sib.test. 3600 IN A 198.51.100.61\n"
	  "b.w.sib.test. 3600 IN A 198.51.100.62\n"
	  "c.w.sib.test. 3600 IN A 198.51.100.65\n"
	  "dl.sib.test. 60 IN NS ns.dl.sib.test.\n"
	  "ns.dl.sib.test. 60 IN A 192.0.2.27\n" },
	{ .addr = "192.0.2.27", .zone = "dl.sib.test.", .records =
	  ZONE_APEX("dl.sib.test.", "192.0.2.27")
	  "dl.sib.test. 3600 IN A 198.51.100.63\n"
	  "www.dl.sib.test. 3600 IN A 198.51.100.64\n" },
};

#define USE_WORLD(w) use_world(w, sizeof(w) / sizeof(w[0]))

static void
use_world(struct server *world, size_t count)
{
	servers = world;
	server_count = count;
	for (size_t i = 0; i < count; i++)
		world[i].sends = 0;
}

static struct server *
server_named(const char *addr)
{
	for (size_t i = 0; i < server_count; i++)
		if (strcmp(servers[i].addr, addr) == 0)
			return &servers[i];
	return NULL;
}

/* Resolves on `engine`; returns the rcode, the answer text and the EDE text. */
static int
ask(struct engine *engine, const char *name, ldns_rr_type type,
    unsigned flags, struct engine_now *now, char **answer, const char **why,
    unsigned *sends)
{
	struct engine_request *req = resolve_flags(engine, name, type, flags,
	    now, sends);
	struct engine_result r;
	static char why_copy[256];

	engine_request_result(req, &r);
	*answer = answer_text(req);
	snprintf(why_copy, sizeof(why_copy), "%s",
	    r.ede_text != NULL ? r.ede_text : "");
	*why = why_copy;
	engine_request_free(req);
	return r.rcode;
}

static void
test_dname_loop(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	const char *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(habits);
	rcode = ask(engine, "www.d.dl.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_SERVFAIL && strstr(why, "DNAME loop") != NULL,
	    "0x20 %d: a DNAME below itself is a loop: rcode %d, \"%s\"",
	    use_0x20, rcode, why);
	ok(strstr(text, "DNAME") == NULL && strstr(text, "CNAME") == NULL,
	    "0x20 %d: and the SERVFAIL is plain, no DNAME/CNAME pairs (%zu "
	    "bytes of answer records)", use_0x20, strlen(text));
	ok(sends <= 8, "0x20 %d: in few queries (%u)", use_0x20, sends);
	free(text);
	engine_free(engine);
}

static void
test_wrong_type_answer(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	const char *why;
	unsigned sends;
	char *text, *cache;
	int rcode;

	USE_WORLD(habits);
	rcode = ask(engine, "www.wt.test.", LDNS_RR_TYPE_AAAA, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.30") == NULL,
	    "0x20 %d: A records to a AAAA question: NOERROR without the asked "
	    "data (rcode %d \"%s\", answer \"%s\")", use_0x20, rcode, why, text);
	free(text);
	cache = scripted_cache_text(engine, now.wall);
	ok(strstr(cache, "198.51.100.30") == NULL,
	    "0x20 %d: and the A records are not cached from it", use_0x20);
	free(cache);
	rcode = ask(engine, "www.wt.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.30") != NULL &&
	    sends >= 1, "0x20 %d: the A question is asked for itself (%u sends)",
	    use_0x20, sends);
	free(text);
	engine_free(engine);
}

static void
test_qmin_relaxed(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	const char *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(habits);
	rcode = ask(engine, "www.sub.ent.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.40") != NULL,
	    "0x20 %d: NXDOMAIN to a minimised query (an empty non-terminal) "
	    "falls back to the full name: rcode %d \"%s\"", use_0x20, rcode, why);
	free(text);
	rcode = ask(engine, "www.sub.ent.test.", LDNS_RR_TYPE_AAAA, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR, "0x20 %d: and the minimised NXDOMAIN "
	    "was not cached for the names below it: rcode %d", use_0x20, rcode);
	free(text);
	rcode = ask(engine, "www.a.b.c.pf.test.", LDNS_RR_TYPE_A, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.51") != NULL,
	    "0x20 %d: a zone with one server is walked label by label past "
	    "`tries`: rcode %d \"%s\"", use_0x20, rcode, why);
	free(text);
	rcode = ask(engine, "www.sub.noaa.test.", LDNS_RR_TYPE_A, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.41") != NULL,
	    "0x20 %d: NOERROR/SOA without AA to a minimised query is not lame: "
	    "rcode %d \"%s\"", use_0x20, rcode, why);
	free(text);
	rcode = ask(engine, "www.sub.noaa.test.", LDNS_RR_TYPE_AAAA, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strlen(text) == 0,
	    "0x20 %d: nor to the full question: NODATA (rcode %d \"%s\")",
	    use_0x20, rcode, why);
	free(text);
	engine_free(engine);
}

/*
 * RFC 9156 §2.3, as Unbound: a minimised question whose NOERROR is cached
 * is not asked again, so a sibling of a name resolved before costs one
 * query, not two; an expired entry is asked again.
 */
static void
test_qmin_sibling_skips_known_name(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct server *sib;
	const char *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(siblings);
	sib = server_named("192.0.2.26");
	rcode = ask(engine, "a.w.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.61") != NULL,
	    "0x20 %d: a.w.sib.test. resolves (rcode %d \"%s\", %u sends)",
	    use_0x20, rcode, why, sends);
	free(text);
	sib->sends = 0;
	rcode = ask(engine, "b.w.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.62") != NULL &&
	    sends == 1 && strcasecmp(sib->last_qname, "b.w.sib.test.") == 0,
	    "0x20 %d: its sibling costs 1 query, the full name (%u sends, the "
	    "last \"%s\"; the minimised w.sib.test. NODATA is cached)",
	    use_0x20, sends, sib->last_qname);
	free(text);
	/* The NODATA lives 300 s (the SOA's MINIMUM): then it is asked again. */
	now.wall += 301;
	rcode = ask(engine, "c.w.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.65") != NULL &&
	    sends == 2, "0x20 %d: once the cached NOERROR expired, the minimised "
	    "question is asked again (%u sends)", use_0x20, sends);
	free(text);
	/* Without validation the NODATA is what the full question brings. */
	rcode = ask(engine, "w.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strlen(text) == 0 && sends == 0,
	    "0x20 %d: w.sib.test. A is NODATA from the cache (rcode %d, %u "
	    "sends)", use_0x20, rcode, sends);
	free(text);
	engine_free(engine);
}

/*
 * A cut at the minimised name is followed as before: at the first name
 * (a referral to the minimised question), and after a skip taken on a
 * cached answer at the cut's own apex (its referral expired): the full
 * name then brings the referral from the same parent servers.
 */
static void
test_qmin_referral_still_followed(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct server *child, *sib;
	const char *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(siblings);
	child = server_named("192.0.2.27");
	sib = server_named("192.0.2.26");
	rcode = ask(engine, "www.dl.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.64") != NULL &&
	    child->sends == 1, "0x20 %d: a referral to the minimised "
	    "dl.sib.test. is followed (rcode %d \"%s\", child asked %u)",
	    use_0x20, rcode, why, child->sends);
	free(text);
	engine_free(engine);
	engine = new_engine_case(use_0x20);
	USE_WORLD(siblings);
	rcode = ask(engine, "dl.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.63") != NULL,
	    "0x20 %d: the child's apex address is cached (rcode %d \"%s\")",
	    use_0x20, rcode, why);
	free(text);
	now.wall += 120;	/* the referral and its glue expire */
	child->sends = 0;
	rcode = ask(engine, "www.dl.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.64") != NULL &&
	    child->sends == 1 && sends == 2 &&
	    strcasecmp(sib->last_qname, "www.dl.sib.test.") == 0,
	    "0x20 %d: a skip over the known dl.sib.test. (the parent asked "
	    "\"%s\") still meets the cut: referral followed, child asked "
	    "(rcode %d \"%s\", %u sends, child %u)", use_0x20,
	    sib->last_qname, rcode, why, sends, child->sends);
	free(text);
	engine_free(engine);
}

static void
test_prefetch_refreshes(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct server *pf;
	const char *why;
	unsigned sends;
	char *text, *cache;
	int rcode;

	USE_WORLD(habits);
	pf = server_named("192.0.2.25");
	rcode = ask(engine, "www.pf.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	free(text);
	now.wall += 50;		/* 10 s of the 60 left */
	pf->sends = 0;
	rcode = ask(engine, "www.pf.test.", LDNS_RR_TYPE_A,
	    ENGINE_REQUEST_PREFETCH, &now, &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && pf->sends == 1,
	    "0x20 %d: a prefetch asks the authority (%u queries to it)",
	    use_0x20, pf->sends);
	free(text);
	cache = scripted_cache_text(engine, now.wall);
	ok(strstr(cache, "www.pf.test.\t60\tIN\tA") != NULL,
	    "0x20 %d: and the cached RRset has its TTL anew (60)", use_0x20);
	if (strstr(cache, "www.pf.test.\t60\tIN\tA") == NULL)
		diag("%s", cache);
	free(cache);
	engine_free(engine);
}

/* The TTL of the first record of `type` owned by `owner` in a cache dump. */
static unsigned
dump_ttl(const char *dump, const char *owner, const char *type)
{
	size_t len = strlen(owner);
	char rest[32];
	unsigned ttl;

	for (const char *line = dump; line != NULL && *line != '\0';
	    line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, owner, len) == 0 && line[len] == '\t' &&
		    sscanf(line + len, "%u IN %31s", &ttl, rest) == 2 &&
		    strcmp(rest, type) == 0)
			return ttl;
	return 0;
}

/*
 * A sibling name's reply repeats the zone's NS set and its servers'
 * addresses (NSD and BIND send them with every answer). The cache keeps
 * what it has, expiry and all, instead of storing them anew (issue 16):
 * asking the zone's servers does not keep their delegation alive (ghost
 * domains, CVE-2012-1191).
 */
static void
test_sibling_keeps_expiry(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	unsigned sends, ns_ttl, glue_ttl, ns_after, glue_after;
	struct server *sib;
	char *text, *cache;
	const char *why;
	int rcode;

	USE_WORLD(siblings);
	sib = server_named("192.0.2.26");
	sib->auth_ns = true;
	rcode = ask(engine, "a.w.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	free(text);
	cache = scripted_cache_text(engine, now.wall);
	ns_ttl = dump_ttl(cache, "sib.test.", "NS");
	glue_ttl = dump_ttl(cache, "ns.sib.test.", "A");
	free(cache);
	now.wall += 200;	/* w.sib.test.'s NODATA still known */
	sib->sends = 0;
	rcode = ask(engine, "b.w.sib.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	cache = scripted_cache_text(engine, now.wall);
	ns_after = dump_ttl(cache, "sib.test.", "NS");
	glue_after = dump_ttl(cache, "ns.sib.test.", "A");
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.62") != NULL &&
	    sib->sends == 1 && ns_ttl > 200 && glue_ttl > 200 &&
	    ns_after == ns_ttl - 200 && glue_after == glue_ttl - 200,
	    "0x20 %d: a sibling's reply (%u queries) leaves the zone's NS set "
	    "and address with their expiry: TTL %u then %u, %u then %u",
	    use_0x20, sib->sends, ns_ttl, ns_after, glue_ttl, glue_after);
	free(text);
	free(cache);
	sib->auth_ns = false;
	engine_free(engine);
}

/* ---- forward and stub zones ---- */

static struct engine *
new_engine_zones(const struct engine_zone *zones, size_t count)
{
	struct engine_config cfg;
	char err[256];
	struct engine *engine;

	scripted_config_init(&cfg, false);
	cfg.zones = zones;
	cfg.zone_count = count;
	if ((engine = engine_new(&cfg, err, sizeof(err))) == NULL)
		diag("engine_new: %s", err);
	return engine;
}

static struct sockaddr_storage
addr4(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	in->sin_family = AF_INET;
	in->sin_port = htons(53);
	inet_pton(AF_INET, text, &in->sin_addr);
	return ss;
}

/* Records the configured source of every zone cut the engine reports. */
static char cut_sources[512];

static void
record_cuts(void *ctx, const struct engine_event *ev)
{
	char zone[256];
	char *z;

	(void)ctx;
	if (ev->kind != EV_ZONECUT)
		return;
	z = ldns_rdf2str(ev->u.zonecut.zone);
	snprintf(zone, sizeof(zone), "%s%s=%s", cut_sources[0] ? " " : "", z,
	    ev->u.zonecut.configured != NULL ? ev->u.zonecut.configured : "-");
	free(z);
	strlcat(cut_sources, zone, sizeof(cut_sources));
}

static const struct engine_observer cut_observer = { record_cuts };

static int
resolve_zones(struct engine *engine, const char *name, ldns_rr_type type,
    char **answer, unsigned *sends)
{
	struct engine_now now = { 1000000, 5000 };
	struct engine_request *req;
	struct engine_result r;

	cut_sources[0] = '\0';
	test_observer = &cut_observer;
	req = resolve(engine, name, type, &now, sends);
	test_observer = NULL;
	engine_request_result(req, &r);
	*answer = answer_text(req);
	engine_request_free(req);
	return r.rcode;
}

static void
test_forward_zones(void)
{
	struct sockaddr_storage forwarder = addr4("192.0.2.50"),
	    dead = addr4("192.0.2.9"), authority = addr4("192.0.2.2");
	struct engine_zone zones[] = {
		{ .kind = ENGINE_ZONE_FORWARD, .name = "corp.test.",
		  .addrs = &forwarder, .addr_count = 1 },
	};
	struct engine *engine = new_engine_zones(zones, 1);
	unsigned sends;
	char *text;
	int rcode;

	rcode = resolve_zones(engine, "www.corp.test.", LDNS_RR_TYPE_A, &text,
	    &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.50") != NULL,
	    "a forwarded name is answered by its forwarder: %s", text);
	ok(sends == 1 && strcmp(sent_to[0], "192.0.2.50") == 0 && sent_rd[0],
	    "with one query, RD set, no priming or root (%u sends, to %s)",
	    sends, sends > 0 ? sent_to[0] : "-");
	ok(strcmp(cut_sources, "corp.test.=forward") == 0,
	    "the observer is told the cut is a forward zone: %s", cut_sources);
	free(text);
	rcode = resolve_zones(engine, "www.corp.test.", LDNS_RR_TYPE_AAAA, &text,
	    &sends);
	ok(rcode == LDNS_RCODE_NOERROR && text[0] == '\0' && sends == 1,
	    "a forwarder's NODATA (no AA) is final (%u sends)", sends);
	free(text);
	rcode = resolve_zones(engine, "nothere.corp.test.", LDNS_RR_TYPE_A,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_NXDOMAIN && sends == 1,
	    "a forwarder's NXDOMAIN is final (%u sends)", sends);
	free(text);
	rcode = resolve_zones(engine, "alias.corp.test.", LDNS_RR_TYPE_A, &text,
	    &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "CNAME") != NULL &&
	    strstr(text, "198.51.100.20") != NULL && sends > 1,
	    "a forwarded CNAME out of the zone is followed by iteration");
	free(text);
	engine_free(engine);

	/* Configured forwarders win over delegations already in the cache. */
	engine = new_engine_zones(NULL, 0);
	rcode = resolve_zones(engine, "www.glueless.test.", LDNS_RR_TYPE_A,
	    &text, &sends);
	free(text);
	zones[0].name = "example.test.";
	{
		struct engine_config cfg;
		char err[256];

		scripted_config_init(&cfg, false);
		cfg.zones = zones;
		cfg.zone_count = 1;
		ok(engine_reconfigure(engine, &cfg, err, sizeof(err)) == 0,
		    "forward zones are applied by a reload");
	}
	rcode = resolve_zones(engine, "big.example.test.", LDNS_RR_TYPE_TXT,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "forwarded") != NULL &&
	    sends == 1, "a forward zone wins over the cached delegation: %s",
	    text);
	free(text);
	engine_free(engine);

	/* A forwarder that refers (here to example.test.) does not recurse. */
	zones[0].name = "test.";
	zones[0].addrs = &authority;
	engine = new_engine_zones(zones, 1);
	rcode = resolve_zones(engine, "www.example.test.", LDNS_RR_TYPE_A, &text,
	    &sends);
	ok(rcode == LDNS_RCODE_SERVFAIL && sends <= 2,
	    "a referral from a forwarder is not followed (%u sends)", sends);
	free(text);
	engine_free(engine);

	/* forward-first: dead forwarders, then iteration. */
	zones[0].name = "glueless.test.";
	zones[0].addrs = &dead;
	engine = new_engine_zones(zones, 1);
	rcode = resolve_zones(engine, "www.glueless.test.", LDNS_RR_TYPE_A,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_SERVFAIL,
	    "without forward-first a dead forwarder is a SERVFAIL");
	free(text);
	engine_free(engine);
	zones[0].forward_first = true;
	engine = new_engine_zones(zones, 1);
	rcode = resolve_zones(engine, "www.glueless.test.", LDNS_RR_TYPE_A,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.20") != NULL,
	    "with forward-first a dead forwarder falls back to iteration");
	ok(strncmp(cut_sources, "glueless.test.=forward .=-", 26) == 0,
	    "from the root: %s", cut_sources);
	free(text);
	engine_free(engine);

	/* Everything forwarded to a dead forwarder, forward-first. */
	zones[0].name = ".";
	engine = new_engine_zones(zones, 1);
	rcode = resolve_zones(engine, "www.glueless.test.", LDNS_RR_TYPE_A,
	    &text, &sends);
	{
		unsigned dead_sends = 0;

		for (unsigned i = 0; i < sent_log; i++)
			if (strcmp(sent_to[i], "192.0.2.9") == 0)
				dead_sends++;
		ok(rcode == LDNS_RCODE_NOERROR && dead_sends <= 2,
		    "forwarders that just failed are not asked again by the "
		    "sub-requests that follow (%u of %u sends to them)",
		    dead_sends, sends);
	}
	free(text);
	engine_free(engine);
}

static void
test_stub_zones(void)
{
	struct sockaddr_storage hosting = addr4("192.0.2.7"),
	    forwarder = addr4("192.0.2.50");
	struct engine_zone zones[] = {
		{ .kind = ENGINE_ZONE_STUB, .name = "glueless.test.",
		  .addrs = &hosting, .addr_count = 1 },
		{ .kind = ENGINE_ZONE_FORWARD, .name = "test.",
		  .addrs = &forwarder, .addr_count = 1 },
	};
	struct engine *engine = new_engine_zones(zones, 1);
	char err[256];
	unsigned sends;
	char *text;
	int rcode;

	rcode = resolve_zones(engine, "www.glueless.test.", LDNS_RR_TYPE_A,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.20") != NULL,
	    "a stub zone's servers answer for it");
	ok(sends == 1 && strcmp(sent_to[0], "192.0.2.7") == 0 && !sent_rd[0],
	    "asked directly, RD clear, no root or test. (%u sends)", sends);
	ok(strcmp(cut_sources, "glueless.test.=stub") == 0,
	    "the observer is told the cut is a stub zone: %s", cut_sources);
	free(text);
	engine_free(engine);

	engine = new_engine_zones(zones, 2);
	rcode = resolve_zones(engine, "www.glueless.test.", LDNS_RR_TYPE_A,
	    &text, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && sends == 1 &&
	    strcmp(sent_to[0], "192.0.2.7") == 0,
	    "the most specific zone wins: the stub below a forward zone");
	free(text);
	rcode = resolve_zones(engine, "www.corp.test.", LDNS_RR_TYPE_A, &text,
	    &sends);
	ok(rcode == LDNS_RCODE_NOERROR && sends == 1 &&
	    strcmp(sent_to[0], "192.0.2.50") == 0,
	    "and the forward zone has the rest of test.");
	free(text);
	engine_free(engine);

	/* A cut the cache knows below the stub zone is used instead. */
	{
		struct sockaddr_storage test_server = addr4("192.0.2.2");
		struct engine_zone stub_test = { .kind = ENGINE_ZONE_STUB,
		    .name = "test.", .addrs = &test_server, .addr_count = 1 };

		engine = new_engine_zones(&stub_test, 1);
		rcode = resolve_zones(engine, "www.glueless.test.",
		    LDNS_RR_TYPE_A, &text, &sends);
		ok(rcode == LDNS_RCODE_NOERROR && strcmp(sent_to[0],
		    "192.0.2.2") == 0, "a stub zone's server is asked first "
		    "(%s)", sent_to[0]);
		free(text);
		rcode = resolve_zones(engine, "alias.glueless.test.",
		    LDNS_RR_TYPE_CNAME, &text, &sends);
		ok(rcode == LDNS_RCODE_NOERROR && sends == 1 &&
		    strcmp(sent_to[0], "192.0.2.7") == 0,
		    "then the deeper cut the cache learnt below it (%u sends, "
		    "to %s)", sends, sent_to[0]);
		free(text);
		engine_free(engine);
	}

	zones[1] = zones[0];
	{
		struct engine_config cfg;
		char bad[64], want[80];
		FILE *f;

		engine_config_init(&cfg);
		cfg.root_hints_file = scripted_hints_file();
		cfg.zones = zones;
		cfg.zone_count = 2;
		ok(engine_new(&cfg, err, sizeof(err)) == NULL &&
		    strstr(err, "twice") != NULL,
		    "a zone configured twice is an error: %s", err);
		zones[1].addr_count = 0;
		zones[1].name = "other.test.";
		ok(engine_new(&cfg, err, sizeof(err)) == NULL &&
		    strstr(err, "addresses") != NULL,
		    "a zone without addresses is an error: %s", err);
		/* ldns's zone reader would read a directory for ever; the
		 * one reader of hints and anchor files says so the same way. */
		cfg.zone_count = 0;
		cfg.root_hints_file = "/";
		alarm(10);
		ok(engine_new(&cfg, err, sizeof(err)) == NULL &&
		    strcmp(err, "/: read error: Is a directory") == 0,
		    "a directory as root hints is an error, not an endless "
		    "read: %s", err);
		alarm(0);
		/* ldns leaves no zone behind a syntax error: nothing to free. */
		snprintf(bad, sizeof(bad), "/tmp/descend-test-bad-hints-%ld",
		    (long)getpid());
		if ((f = fopen(bad, "w")) != NULL) {
			fputs(". 3600000 IN NS a.root.test.\n"
			    "a.root.test. 3600000 IN A 192.0.2.1\n"
			    "not a record\n", f);
			fclose(f);
		}
		cfg.root_hints_file = bad;
		snprintf(want, sizeof(want), "%s:3: ", bad);
		ok(engine_new(&cfg, err, sizeof(err)) == NULL &&
		    strncmp(err, want, strlen(want)) == 0,
		    "a root hints file that does not parse is an error naming "
		    "its line, not a crash: %s", err);
		remove(bad);
	}
}

/* Delegations whose data changes or breaks over time (issue 14). */
static struct server delegs[] = {
	ROOT_OF_TEST,
	{ .addr = "192.0.2.2", .zone = "test.", .records = TEST_APEX
	  /* in-zone name server: the parent's glue outlives the child's A */
	  "short.test. 86400 IN NS ns1.short.test.\n"
	  "ns1.short.test. 86400 IN A 192.0.2.51\n"
	  /* out-of-zone name server whose A expires */
	  "oz.test. 86400 IN NS oz.host.test.\n"
	  "host.test. 86400 IN NS ns.host.test.\n"
	  "ns.host.test. 86400 IN A 192.0.2.53\n"
	  /* out-of-zone name server that moves */
	  "mv.test. 86400 IN NS srv.mvhost.test.\n"
	  "mvhost.test. 86400 IN NS ns.mvhost.test.\n"
	  "ns.mvhost.test. 86400 IN A 192.0.2.55\n"
	  /* the child's address for its server is dead, the glue is right */
	  "pg.test. 86400 IN NS ns1.pg.test.\n"
	  "ns1.pg.test. 86400 IN A 192.0.2.61\n"
	  /* a victim zone, and a hostile one naming the victim's server */
	  "vz.test. 86400 IN NS ns1.vz.test.\n"
	  "vz.test. 86400 IN NS ns2.vz.test.\n"
	  "ns1.vz.test. 86400 IN A 192.0.2.41\n"
	  "ns2.vz.test. 86400 IN A 192.0.2.42\n"
	  "evil.test. 86400 IN NS ns1.vz.test.\n"
	  /* six glueless names, each resolving to a silent address */
	  "gl.test. 86400 IN NS n1.glhost.test.\n"
	  "gl.test. 86400 IN NS n2.glhost.test.\n"
	  "gl.test. 86400 IN NS n3.glhost.test.\n"
	  "gl.test. 86400 IN NS n4.glhost.test.\n"
	  "gl.test. 86400 IN NS n5.glhost.test.\n"
	  "gl.test. 86400 IN NS n6.glhost.test.\n"
	  "glhost.test. 86400 IN NS ns.glhost.test.\n"
	  "ns.glhost.test. 86400 IN A 192.0.2.71\n"
	  /* 0x20: a server that echoes case, and one that does not */
	  "sp.test. 86400 IN NS ns.sp.test.\n"
	  "ns.sp.test. 86400 IN A 192.0.2.91\n"
	  "ci.test. 86400 IN NS ns.ci.test.\n"
	  "ns.ci.test. 86400 IN A 192.0.2.92\n" },
	{ .addr = "192.0.2.51", .zone = "short.test.", .records =
	  "short.test. 3600 IN SOA ns1.short.test. h.test. 1 3600 600 86400 300\n"
	  "short.test. 86400 IN NS ns1.short.test.\n"
	  "ns1.short.test. 100 IN A 192.0.2.51\n"
	  "www.short.test. 3600 IN A 198.51.100.60\n"
	  "www2.short.test. 3600 IN A 198.51.100.61\n" },
	{ .addr = "192.0.2.53", .zone = "host.test.", .records =
	  ZONE_APEX("host.test.", "192.0.2.53")
	  "oz.host.test. 3600 IN A 192.0.2.52\n" },
	{ .addr = "192.0.2.52", .zone = "oz.test.", .records =
	  "oz.test. 3600 IN SOA oz.host.test. h.test. 1 3600 600 86400 300\n"
	  "oz.test. 86400 IN NS oz.host.test.\n"
	  "www.oz.test. 3600 IN A 198.51.100.62\n"
	  "www2.oz.test. 3600 IN A 198.51.100.63\n" },
	{ .addr = "192.0.2.55", .zone = "mvhost.test.", .records =
	  ZONE_APEX("mvhost.test.", "192.0.2.55") "srv.mvhost.test. 5 IN A 192.0.2.56\n" },
	{ .addr = "192.0.2.56", .zone = "mv.test.", .records =
	  "mv.test. 3600 IN SOA srv.mvhost.test. h.test. 1 3600 600 86400 300\n"
	  "mv.test. 86400 IN NS srv.mvhost.test.\n"
	  "www.mv.test. 3600 IN A 198.51.100.64\n"
	  "www2.mv.test. 3600 IN A 198.51.100.65\n" },
	{ .addr = "192.0.2.57", .zone = "mv.test.", .records =
	  "mv.test. 3600 IN SOA srv.mvhost.test. h.test. 1 3600 600 86400 300\n"
	  "mv.test. 86400 IN NS srv.mvhost.test.\n"
	  "www.mv.test. 3600 IN A 198.51.100.64\n"
	  "www2.mv.test. 3600 IN A 198.51.100.65\n" },
	{ .addr = "192.0.2.61", .zone = "pg.test.", .records =
	  "pg.test. 3600 IN SOA ns1.pg.test. h.test. 1 3600 600 86400 300\n"
	  "pg.test. 86400 IN NS ns1.pg.test.\n"
	  "ns1.pg.test. 3600 IN A 192.0.2.62\n"
	  "www.pg.test. 3600 IN A 198.51.100.66\n"
	  "www2.pg.test. 3600 IN A 198.51.100.67\n" },
	{ .addr = "192.0.2.41", .zone = "vz.test.", .records =
	  "vz.test. 3600 IN SOA ns1.vz.test. h.test. 1 3600 600 86400 300\n"
	  "vz.test. 86400 IN NS ns1.vz.test.\n"
	  "vz.test. 86400 IN NS ns2.vz.test.\n"
	  "ns1.vz.test. 86400 IN A 192.0.2.41\n"
	  "ns2.vz.test. 86400 IN A 192.0.2.42\n"
	  "www.vz.test. 3600 IN A 198.51.100.68\n" },
	{ .addr = "192.0.2.42", .zone = "vz.test.", .records =
	  "vz.test. 3600 IN SOA ns1.vz.test. h.test. 1 3600 600 86400 300\n"
	  "vz.test. 86400 IN NS ns1.vz.test.\n"
	  "vz.test. 86400 IN NS ns2.vz.test.\n"
	  "ns1.vz.test. 86400 IN A 192.0.2.41\n"
	  "ns2.vz.test. 86400 IN A 192.0.2.42\n"
	  "www.vz.test. 3600 IN A 198.51.100.68\n",
	  .rtt_ms = 900 },
	{ .addr = "192.0.2.71", .zone = "glhost.test.", .records =
	  ZONE_APEX("glhost.test.", "192.0.2.71")
	  "n1.glhost.test. 3600 IN A 192.0.2.81\n"
	  "n2.glhost.test. 3600 IN A 192.0.2.82\n"
	  "n3.glhost.test. 3600 IN A 192.0.2.83\n"
	  "n4.glhost.test. 3600 IN A 192.0.2.84\n"
	  "n5.glhost.test. 3600 IN A 192.0.2.85\n"
	  "n6.glhost.test. 3600 IN A 192.0.2.86\n" },
	{ .addr = "192.0.2.91", .zone = "sp.test.", .records =
	  ZONE_APEX("sp.test.", "192.0.2.91")
	  "thequickbrownfox.sp.test. 3600 IN A 198.51.100.70\n"
	  "jumpsoverthelazydog.sp.test. 3600 IN A 198.51.100.71\n" },
	{ .addr = "192.0.2.92", .zone = "ci.test.", .records =
	  ZONE_APEX("ci.test.", "192.0.2.92")
	  "thequickbrownfox.ci.test. 3600 IN A 198.51.100.72\n"
	  "jumpsoverthelazydog.ci.test. 3600 IN A 198.51.100.73\n",
	  .lowercase = true },
};

static void
test_address_expires_before_ns(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	const char *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(delegs);
	rcode = ask(engine, "www.short.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	free(text);
	/* The child's own A (TTL 100) replaces the parent's glue (86400). */
	rcode = ask(engine, "ns1.short.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	free(text);
	now.wall += 101;
	rcode = ask(engine, "www2.short.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.61") != NULL,
	    "0x20 %d: the server's A expired before its NS set: the parent is "
	    "asked for the referral and its glue (rcode %d \"%s\", %u sends)",
	    use_0x20, rcode, why, sends);
	free(text);
	rcode = ask(engine, "www.oz.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	free(text);
	now.wall += 3601;	/* oz.host.test's A (3600) is gone, the NS set not */
	rcode = ask(engine, "www2.oz.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.63") != NULL,
	    "0x20 %d: an out-of-zone name server is resolved again (rcode %d "
	    "\"%s\", %u sends)", use_0x20, rcode, why, sends);
	free(text);
	engine_free(engine);
}

static void
test_moved_server_looked_up_again(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct server *host, *old;
	const char *records, *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(delegs);
	host = server_named("192.0.2.55");
	old = server_named("192.0.2.56");
	records = host->records;
	rcode = ask(engine, "www.mv.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR, "0x20 %d: mv.test resolves", use_0x20);
	free(text);
	/* The server moves to .57; the old address goes quiet. */
	old->silent = true;
	host->records = ZONE_APEX("mvhost.test.", "192.0.2.55")
	    "srv.mvhost.test. 5 IN A 192.0.2.57\n";
	now.wall += 3;		/* 2 s left on the cached .56 */
	wall_per_timeout = 2;
	rcode = ask(engine, "www2.mv.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.65") != NULL,
	    "0x20 %d: after its known address timed out (and expired), the "
	    "name server's address is looked up again (rcode %d \"%s\", %u "
	    "sends)", use_0x20, rcode, why, sends);
	free(text);
	wall_per_timeout = 0;
	old->silent = false;
	host->records = records;
	engine_free(engine);
}

static void
test_parent_glue_fallback(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	const char *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(delegs);
	rcode = ask(engine, "www.pg.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	free(text);
	/* The child says its server is at .62, which does not answer. */
	rcode = ask(engine, "ns1.pg.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	free(text);
	rcode = ask(engine, "www2.pg.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.67") != NULL,
	    "0x20 %d: the child's address does not answer: the parent's glue is "
	    "tried (rcode %d \"%s\", %u sends)", use_0x20, rcode, why, sends);
	free(text);
	engine_free(engine);
}

static void
test_lameness_per_zone(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct server *ns1, *ns2;
	const char *why;
	unsigned sends;
	char *text, name[64];
	int rcode;

	USE_WORLD(delegs);
	ns1 = server_named("192.0.2.41");
	ns2 = server_named("192.0.2.42");
	/* Until both are measured: ns1 answers in 1 ms, ns2 in 900 ms. */
	for (int i = 0; i < 40 && (ns1->sends == 0 || ns2->sends == 0); i++) {
		snprintf(name, sizeof(name), "n%d.vz.test.", i);
		rcode = ask(engine, name, LDNS_RR_TYPE_A, 0, &now, &text, &why,
		    &sends);
		free(text);
	}
	rcode = ask(engine, "www.evil.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_SERVFAIL, "0x20 %d: a zone delegated to a server "
	    "that refuses it fails", use_0x20);
	free(text);
	ns2->sends = 0;
	rcode = ask(engine, "www.vz.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && ns2->sends == 0,
	    "0x20 %d: and the victim's own zone still goes to its fast server "
	    "(%u queries to the slow one)", use_0x20, ns2->sends);
	free(text);
	engine_free(engine);
}

static void
test_glueless_per_cut(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct server *glhost;
	const char *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(delegs);
	glhost = server_named("192.0.2.71");
	rcode = ask(engine, "www.gl.test.", LDNS_RR_TYPE_A, 0, &now, &text,
	    &why, &sends);
	ok(rcode == LDNS_RCODE_SERVFAIL && glhost->sends <= 3,
	    "0x20 %d: six glueless names resolving to silent addresses: at most "
	    "LIMIT_GLUELESS_PER_CUT (3) looked up: %u lookups, %u sends",
	    use_0x20, glhost->sends, sends);
	free(text);
	engine_free(engine);
}

static bool
has_upper(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return true;
	return false;
}

static void
test_0x20_evidence(void)
{
	struct engine *engine = new_engine_case(true);
	struct engine_now now = { 1000000, 5000 };
	struct server *sp, *ci;
	const char *why;
	unsigned sends;
	char *text;
	int rcode;

	USE_WORLD(delegs);
	sp = server_named("192.0.2.91");
	ci = server_named("192.0.2.92");
	sp->lowercase_next = 1;		/* a spoofer's reply wins the race once */
	rcode = ask(engine, "thequickbrownfox.sp.test.", LDNS_RR_TYPE_A, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && sp->sends == 2,
	    "one reply with the wrong case: asked again with 0x20 (%u queries)",
	    sp->sends);
	free(text);
	rcode = ask(engine, "jumpsoverthelazydog.sp.test.", LDNS_RR_TYPE_A, 0,
	    &now, &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && has_upper(sp->last_qname),
	    "and the next request still randomises case toward it: %s",
	    sp->last_qname);
	free(text);
	rcode = ask(engine, "thequickbrownfox.ci.test.", LDNS_RR_TYPE_A, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && ci->sends == 3,
	    "a server that never echoes case: two tries with 0x20, then one "
	    "without (%u queries)", ci->sends);
	free(text);
	ci->sends = 0;
	rcode = ask(engine, "jumpsoverthelazydog.ci.test.", LDNS_RR_TYPE_A, 0,
	    &now, &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && ci->sends == 1 &&
	    !has_upper(ci->last_qname), "and is asked without 0x20 from then on "
	    "(%u queries, %s)", ci->sends, ci->last_qname);
	free(text);
	engine_free(engine);
}

/*
 * Flushing a name reaches the answers whose CNAME chain holds it: after
 * `flush www.example.test.`, alias.glueless.test. (a CNAME to it) must be
 * resolved again, not served whole from the answer cache.
 */
static void
test_flush_reaches_chains(void)
{
	struct engine *engine;
	struct engine_now now = { 1000000, 5000 };
	struct engine_result r;
	struct engine_request *req;
	ldns_rdf *target = ldns_dname_new_frm_str("www.example.test.");
	unsigned sends;

	servers = lab;
	server_count = sizeof(lab) / sizeof(lab[0]);
	engine = new_engine();
	req = resolve(engine, "alias.glueless.test.", LDNS_RR_TYPE_A, &now,
	    &sends);
	engine_request_free(req);
	req = resolve(engine, "alias.glueless.test.", LDNS_RR_TYPE_A, &now,
	    &sends);
	engine_request_result(req, &r);
	ok(r.from_cache && sends == 0, "a CNAME chain's answer is cached");
	engine_request_free(req);
	engine_cache_flush_name(engine, target);
	req = resolve(engine, "alias.glueless.test.", LDNS_RR_TYPE_A, &now,
	    &sends);
	engine_request_result(req, &r);
	ok(!r.from_cache && sends > 0 && r.rcode == LDNS_RCODE_NOERROR,
	    "flushing the chain's target makes it resolve again (%u sends, "
	    "from cache: %d)", sends, r.from_cache);
	engine_request_free(req);
	ldns_rdf_deep_free(target);
	engine_free(engine);
}

/*
 * Serve-stale under churn (the load test's lost cached answers): a name
 * answered only from the answer cache while other names churn through a
 * small cache must still be answered once its answer is outdated (another
 * RRset of its owner changed) and every server is down. The answer cache
 * rebuilds it from the RRset cache then, so an answer hit must keep the
 * RRsets it was built from from being evicted.
 */
#define CHURN_ZONE \
	"example.test. 86400 IN SOA ns1.example.test. h.test. 1 3600 600 86400 300\n" \
	"example.test. 86400 IN NS ns1.example.test.\n" \
	"ns1.example.test. 86400 IN A 192.0.2.3\n" \
	"www.example.test. 3600 IN A 198.51.100.10\n" \
	"*.churn.example.test. 3600 IN A 198.51.100.99\n"

static struct server churn_lab[] = {
	{ .addr = "192.0.2.1", .zone = ".", .records =
	  ". 86400 IN SOA a.root.test. h.test. 1 3600 600 86400 300\n"
	  ". 86400 IN NS a.root.test.\n"
	  "a.root.test. 86400 IN A 192.0.2.1\n"
	  "test. 86400 IN NS ns.test.\n"
	  "ns.test. 86400 IN A 192.0.2.2\n" },
	{ .addr = "192.0.2.2", .zone = "test.", .records =
	  "test. 86400 IN SOA ns.test. h.test. 1 3600 600 86400 300\n"
	  "test. 86400 IN NS ns.test.\n"
	  "ns.test. 86400 IN A 192.0.2.2\n"
	  "example.test. 86400 IN NS ns1.example.test.\n"
	  "ns1.example.test. 86400 IN A 192.0.2.3\n" },
	{ .addr = "192.0.2.3", .zone = "example.test.", .records =
	  CHURN_ZONE "www.example.test. 1 IN TXT \"v1\"\n" },
};

static void
test_stale_after_churn(void)
{
	struct engine_config cfg;
	struct engine *engine;
	struct engine_now now = { 1000000, 5000 };
	unsigned sends, hits = 0, names = 8000;
	const char *why;
	char err[256], name[64], *text;
	int rcode;

	USE_WORLD(churn_lab);
	scripted_config_init(&cfg, false);
	/* 16 KiB a shard: a few dozen entries beside the bucket array. */
	cfg.cache_size = 1024 * 1024;
	cfg.serve_stale = true;
	engine = engine_new(&cfg, err, sizeof(err));
	rcode = ask(engine, "www.example.test.", LDNS_RR_TYPE_A, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.10") != NULL,
	    "www.example.test resolves: %s", text);
	free(text);
	for (unsigned i = 0; i < names; i++) {
		snprintf(name, sizeof(name), "c%u.churn.example.test.", i);
		ask(engine, name, LDNS_RR_TYPE_A, 0, &now, &text, &why, &sends);
		free(text);
		if (i % 10 != 0)
			continue;
		now.wall++;
		rcode = ask(engine, "www.example.test.", LDNS_RR_TYPE_A, 0, &now,
		    &text, &why, &sends);
		hits += rcode == LDNS_RCODE_NOERROR && sends == 0;
		free(text);
	}
	ok(hits == names / 10, "asked %u times among %u other names, it is "
	    "answered from the cache (%u times)", names / 10, names, hits);
	text = scripted_cache_text(engine, now.wall);
	ok(strstr(text, "answer www.example.test. type=1 ") != NULL &&
	    strstr(text, "\nwww.example.test.\t") != NULL &&
	    strstr(text, "IN\tA\t198.51.100.10 ; auth-answer") != NULL,
	    "its answer and, hit through it, its RRset are still cached");
	free(text);
	/* Another RRset of the owner changes: its answers are outdated. */
	ask(engine, "www.example.test.", LDNS_RR_TYPE_TXT, 0, &now, &text, &why,
	    &sends);
	free(text);
	now.wall += 2;
	churn_lab[2].records = CHURN_ZONE "www.example.test. 1 IN TXT \"v2\"\n";
	rcode = ask(engine, "www.example.test.", LDNS_RR_TYPE_TXT, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "v2") != NULL,
	    "its TXT RRset changes: %s", text);
	free(text);
	/* The outage. */
	for (size_t i = 0; i < server_count; i++)
		servers[i].silent = true;
	rcode = ask(engine, "www.example.test.", LDNS_RR_TYPE_A, 0, &now,
	    &text, &why, &sends);
	ok(rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.10") != NULL,
	    "with every server down it is still answered (rcode %d \"%s\", "
	    "%u queries sent)", rcode, why, sends);
	free(text);
	for (size_t i = 0; i < server_count; i++)
		servers[i].silent = false;
	churn_lab[2].records = CHURN_ZONE "www.example.test. 1 IN TXT \"v1\"\n";
	engine_free(engine);
}

/*
 * Ghost domains (CVE-2012-1191): ghost.test. is delegated by test. for an
 * hour, its own servers say a day and send their NS set with every answer.
 * Once test. removes the delegation, the name must stop resolving within
 * the parent's hour, however often it is asked (every 61 s here, so each
 * question reaches the ghost's server and re-stores its NS set).
 */
#define GHOST_PARENT \
	"test. 86400 IN SOA ns.test. h.test. 1 3600 600 86400 300\n" \
	"test. 86400 IN NS ns.test.\n" \
	"ns.test. 86400 IN A 192.0.2.2\n"

static struct server ghost_lab[] = {
	{ .addr = "192.0.2.1", .zone = ".", .records =
	  ". 86400 IN SOA a.root.test. h.test. 1 3600 600 86400 300\n"
	  ". 86400 IN NS a.root.test.\n"
	  "a.root.test. 86400 IN A 192.0.2.1\n"
	  "test. 86400 IN NS ns.test.\n"
	  "ns.test. 86400 IN A 192.0.2.2\n"
	  "net. 86400 IN NS ns.net.\n"
	  "ns.net. 86400 IN A 192.0.2.6\n" },
	{ .addr = "192.0.2.2", .zone = "test.", .records = GHOST_PARENT
	  "ghost.test. 3600 IN NS ns.hosting.net.\n" },
	{ .addr = "192.0.2.6", .zone = "net.", .records =
	  "net. 86400 IN SOA ns.net. h.test. 1 3600 600 86400 300\n"
	  "net. 86400 IN NS ns.net.\n"
	  "ns.net. 86400 IN A 192.0.2.6\n"
	  "hosting.net. 86400 IN NS ns1.hosting.net.\n"
	  "ns1.hosting.net. 86400 IN A 192.0.2.5\n" },
	{ .addr = "192.0.2.5", .zone = "hosting.net.", .records =
	  "hosting.net. 86400 IN SOA ns1.hosting.net. h.test. 1 3600 600 86400 300\n"
	  "hosting.net. 86400 IN NS ns1.hosting.net.\n"
	  "ns1.hosting.net. 86400 IN A 192.0.2.5\n"
	  "ns.hosting.net. 86400 IN A 192.0.2.7\n" },
	{ .addr = "192.0.2.7", .zone = "ghost.test.", .records =
	  "ghost.test. 86400 IN SOA ns.hosting.net. h.test. 1 3600 600 86400 300\n"
	  "ghost.test. 86400 IN NS ns.hosting.net.\n"
	  "www.ghost.test. 60 IN A 198.51.100.30\n",
	  .auth_ns = true },
};

static void
test_ghost_domain_expires(bool use_0x20)
{
	struct server *saved = servers;
	size_t saved_count = server_count;
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	const time_t delegated = now.wall;
	struct engine_result r;
	struct engine_request *req;
	unsigned sends, asked = 0, answered = 0;

	servers = ghost_lab;
	server_count = sizeof(ghost_lab) / sizeof(ghost_lab[0]);
	req = resolve(engine, "www.ghost.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	ok(r.rcode == LDNS_RCODE_NOERROR, "0x20 %d: the delegated name resolves",
	    use_0x20);
	engine_request_free(req);
	ghost_lab[1].records = GHOST_PARENT;	/* test. drops the delegation */
	while (now.wall < delegated + 3600 + 120) {
		now.wall += 61;
		req = resolve(engine, "www.ghost.test.", LDNS_RR_TYPE_A, &now,
		    &sends);
		engine_request_result(req, &r);
		asked++;
		if (r.rcode == LDNS_RCODE_NOERROR)
			answered++;
		engine_request_free(req);
	}
	if (!ok(r.rcode == LDNS_RCODE_NXDOMAIN, "0x20 %d: once the parent's NS "
	    "TTL has run out, the removed delegation is gone: NXDOMAIN after "
	    "%lld s", use_0x20, (long long)(now.wall - delegated)))
		diag("rcode %d after %u questions, %u answered by the ghost",
		    r.rcode, asked, answered);
	ok(answered <= 3600 / 61, "0x20 %d: the ghost answered only within the "
	    "parent's TTL (%u of %u questions)", use_0x20, answered, asked);
	engine_free(engine);
	ghost_lab[1].records = GHOST_PARENT "ghost.test. 3600 IN NS "
	    "ns.hosting.net.\n";
	servers = saved;
	server_count = saved_count;
}

/* ---- private-address (DNS rebinding) ---- */

static unsigned private_drops;

static void
count_private_drops(void *ctx, const struct engine_event *ev)
{
	(void)ctx;
	if (ev->kind == EV_RECORD_DROPPED &&
	    strstr(ev->u.dropped.why, "private-address") != NULL)
		private_drops++;
}

static const struct engine_observer private_observer = { count_private_drops };

static void
test_private_address(void)
{
	struct engine_netblock blocks[] = {
		{ .family = AF_INET, .addr = { 198, 51, 100, 0 }, .prefix = 24 },
	};
	const char *domains[] = { "glueless.test." };
	struct engine_config cfg;
	struct engine *engine;
	struct engine_now now = { 1000000, 5000 };
	struct engine_request *req;
	struct engine_result r;
	char err[256], *text;
	unsigned sends;

	servers = lab;
	server_count = sizeof(lab) / sizeof(lab[0]);
	scripted_config_init(&cfg, false);
	cfg.private_addresses = blocks;
	cfg.private_address_count = 1;
	engine = engine_new(&cfg, err, sizeof(err));
	test_observer = &private_observer;
	private_drops = 0;
	req = resolve(engine, "www.glueless.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	text = answer_text(req);
	ok(r.rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100") == NULL,
	    "an answer into a private block is removed: NOERROR, no data (%s)",
	    text);
	ok(private_drops == 1, "and the observer is told (%u)", private_drops);
	free(text);
	engine_request_free(req);
	text = scripted_cache_text(engine, now.wall);
	ok(strstr(text, "198.51.100.20") == NULL, "nor is it cached");
	free(text);
	engine_free(engine);

	cfg.private_domains = domains;
	cfg.private_domain_count = 1;
	engine = engine_new(&cfg, err, sizeof(err));
	req = resolve(engine, "www.glueless.test.", LDNS_RR_TYPE_A, &now, &sends);
	text = answer_text(req);
	ok(strstr(text, "198.51.100.20") != NULL,
	    "names under a private-domain keep private addresses");
	free(text);
	engine_request_free(req);
	test_observer = NULL;
	engine_free(engine);
	blocks[0].prefix = 33;
	ok(engine_new(&cfg, err, sizeof(err)) == NULL &&
	    strstr(err, "private-address") != NULL,
	    "a bad block is an error: %s", err);
}

/* ---- hedging (issue 16): a dead server costs milliseconds ---- */

static struct server hedging[] = {
	ROOT_OF_TEST,
	{ .addr = "192.0.2.2", .zone = "test.", .records = TEST_APEX
	  "hd.test. 86400 IN NS ns1.hd.test.\n"
	  "hd.test. 86400 IN NS ns2.hd.test.\n"
	  "ns1.hd.test. 86400 IN A 192.0.2.101\n"
	  "ns2.hd.test. 86400 IN A 192.0.2.102\n" },
	{ .addr = "192.0.2.101", .zone = "hd.test.", .records = "", .silent = true },
	{ .addr = "192.0.2.102", .zone = "hd.test.", .records =
	  "hd.test. 3600 IN SOA ns1.hd.test. h.test. 1 3600 600 86400 300\n"
	  "hd.test. 86400 IN NS ns1.hd.test.\n"
	  "hd.test. 86400 IN NS ns2.hd.test.\n"
	  "www.hd.test. 3600 IN A 198.51.100.90\n" },
};

/* One query on the simulated wire: its reply or its timeout is due at `at`. */
struct pending_send {
	uint32_t id;
	uint64_t at;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t *reply;		/* NULL: a timeout */
	size_t reply_len;
};

/*
 * Runs a request the way drive.c does, on a simulated clock: several
 * queries may be in flight, each answered 1 ms after it was sent (or timed
 * out), and the engine is woken at wake_ms. Returns the ms it took.
 */
static uint64_t
resolve_timed(struct engine *engine, const char *name, struct engine_now *now,
    unsigned *sends, int *rcode)
{
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct pending_send pending[8];
	size_t npending = 0;
	uint64_t start = now->ms;
	struct engine_request *req;
	struct engine_result r;

	q.name = ldns_dname_new_frm_str(name);
	req = engine_request_new(engine, &q, 0, *now, NULL, NULL);
	ldns_rdf_deep_free(q.name);
	*sends = 0;
	for (;;) {
		struct engine_action action;
		enum engine_action_kind kind = engine_next_action(req, *now,
		    &action);
		uint64_t next = UINT64_MAX;
		size_t first = 0;

		if (kind == ENGINE_DONE)
			break;
		if (kind == ENGINE_ANSWER)
			continue;
		if (kind == ENGINE_SEND) {
			struct server *s = server_at(&action.send.addr);
			struct pending_send *p = &pending[npending++];
			ldns_pkt *query = NULL;

			(*sends)++;
			memset(p, 0, sizeof(*p));
			p->id = action.send.id;
			p->addr = action.send.addr;
			p->addrlen = action.send.addrlen;
			ldns_wire2pkt(&query, action.send.wire,
			    action.send.wire_len);
			if (s != NULL && !s->silent && query != NULL) {
				ldns_pkt *reply = authority_answer(s, query,
				    action.send.transport == ENGINE_TCP);

				ldns_pkt2wire(&p->reply, reply, &p->reply_len);
				ldns_pkt_free(reply);
				p->at = now->ms + 1;
			} else
				p->at = now->ms + action.send.timeout_ms;
			ldns_pkt_free(query);
			if (npending == 8)
				break;
			continue;
		}
		/* ENGINE_WAIT: the next reply, timeout or wake-up. */
		for (size_t i = 0; i < npending; i++)
			if (pending[i].at < next) {
				next = pending[i].at;
				first = i;
			}
		if (action.wake_ms != 0 && now->ms + action.wake_ms < next) {
			now->ms += action.wake_ms;
			continue;
		}
		if (next == UINT64_MAX)
			break;
		now->ms = next;
		if (pending[first].reply != NULL)
			engine_feed_reply(req, pending[first].id,
			    (struct sockaddr *)&pending[first].addr,
			    pending[first].addrlen, pending[first].reply,
			    pending[first].reply_len, 1, *now);
		else
			engine_feed_timeout(req, pending[first].id, *now);
		free(pending[first].reply);
		pending[first] = pending[--npending];
	}
	for (size_t i = 0; i < npending; i++)
		free(pending[i].reply);
	engine_request_result(req, &r);
	*rcode = r.rcode;
	engine_request_free(req);
	return now->ms - start;
}

static void
test_hedging(bool use_0x20)
{
	uint64_t worst = 0;
	unsigned most = 0, hedged = 0, failed = 0, miscounted = 0;

	USE_WORLD(hedging);
	/* Ten cold starts: the dead server is the first pick about half the time. */
	for (int i = 0; i < 10; i++) {
		struct engine *engine = new_engine_case(use_0x20);
		struct engine_now now = { 1000000, 5000 };
		unsigned sends;
		int rcode;
		uint64_t ms = resolve_timed(engine, "www.hd.test.", &now, &sends,
		    &rcode);

		if (rcode != LDNS_RCODE_NOERROR)
			failed++;
		if (ms > worst)
			worst = ms;
		if (sends > most)
			most = sends;
		if (sends > 4)
			hedged++;
		{
			struct engine_stats st;

			/* The counter an operator watches: one per extra send. */
			engine_stats_get(engine, &st);
			if (st.upstream_hedges != (sends > 4 ? sends - 4 : 0))
				miscounted++;
		}
		engine_free(engine);
	}
	ok(failed == 0 && worst <= 60, "0x20 %d: one dead server of two, cold: "
	    "worst of ten %llu ms (<= 60), %u failed", use_0x20,
	    (unsigned long long)worst, failed);
	ok(most <= 5, "0x20 %d: at most one extra query per hedge: at most %u "
	    "sends (priming, test., hd.test. and the hedge), %u of ten hedged",
	    use_0x20, most, hedged);
	ok(miscounted == 0, "0x20 %d: upstream.hedges counts each hedge sent "
	    "(%u of ten miscounted)", use_0x20, miscounted);
}

/*
 * ---- one array of in-flight queries: a reply or failure reaches each role ----
 * Both of tw.test.'s servers answer; the test decides which reply comes.
 */
static struct server twins[] = {
	ROOT_OF_TEST,
	{ .addr = "192.0.2.2", .zone = "test.", .records = TEST_APEX
	  "tw.test. 86400 IN NS ns1.tw.test.\n"
	  "tw.test. 86400 IN NS ns2.tw.test.\n"
	  "ns1.tw.test. 86400 IN A 192.0.2.111\n"
	  "ns2.tw.test. 86400 IN A 192.0.2.112\n" },
	{ .addr = "192.0.2.111", .zone = "tw.test.", .records =
	  "tw.test. 3600 IN SOA ns1.tw.test. h.test. 1 3600 600 86400 300\n"
	  "tw.test. 86400 IN NS ns1.tw.test.\n"
	  "tw.test. 86400 IN NS ns2.tw.test.\n"
	  "www.tw.test. 3600 IN A 198.51.100.95\n" },
	{ .addr = "192.0.2.112", .zone = "tw.test.", .records =
	  "tw.test. 3600 IN SOA ns1.tw.test. h.test. 1 3600 600 86400 300\n"
	  "tw.test. 86400 IN NS ns1.tw.test.\n"
	  "tw.test. 86400 IN NS ns2.tw.test.\n"
	  "www.tw.test. 3600 IN A 198.51.100.95\n" },
};

/* A query sent, with its server's reply rendered when it was sent. */
struct twin_send {
	uint32_t id;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const char *zone;
	uint8_t *reply;
	size_t len;
};

static void
twin_take(struct twin_send *t, const struct engine_send *send)
{
	struct server *s = server_at(&send->addr);
	ldns_pkt *query = NULL;

	memset(t, 0, sizeof(*t));
	t->id = send->id;
	t->addr = send->addr;
	t->addrlen = send->addrlen;
	t->zone = s != NULL ? s->zone : "";
	ldns_wire2pkt(&query, send->wire, send->wire_len);
	if (s != NULL && query != NULL) {
		ldns_pkt *reply = authority_answer(s, query, false);

		ldns_pkt2wire(&t->reply, reply, &t->len);
		ldns_pkt_free(reply);
	}
	ldns_pkt_free(query);
}

/* Feeds t's reply as if it came from `from` (NULL: from where t went). */
static int
twin_feed(struct engine_request *req, const struct twin_send *t,
    const struct twin_send *from, struct engine_now now)
{
	if (from == NULL)
		from = t;
	return engine_feed_reply(req, t->id, (const struct sockaddr *)&from->addr,
	    from->addrlen, t->reply, t->len, 1, now);
}

/*
 * Each case of test_inflight_roles: on a new engine (*engine), starts
 * www.tw.test. and answers every query until the first to tw.test.
 * (first); then waits out the hedge delay and takes the hedge (second).
 * twins_free ends the case.
 */
static struct engine_request *
twins_hedged(struct engine **engine, struct engine_now *now,
    struct twin_send *first, struct twin_send *second)
{
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_request *req;
	struct engine_action action;

	*engine = new_engine();
	memset(first, 0, sizeof(*first));
	memset(second, 0, sizeof(*second));
	q.name = ldns_dname_new_frm_str("www.tw.test.");
	req = engine_request_new(*engine, &q, 0, *now, NULL, NULL);
	ldns_rdf_deep_free(q.name);
	for (int i = 0; i < 20; i++) {
		if (engine_next_action(req, *now, &action) != ENGINE_SEND)
			return req;
		twin_take(first, &action.send);
		if (strcmp(first->zone, "tw.test.") == 0)
			break;
		now->ms++;
		twin_feed(req, first, NULL, *now);
		free(first->reply);
		first->reply = NULL;
	}
	if (engine_next_action(req, *now, &action) != ENGINE_WAIT ||
	    action.wake_ms == 0)
		return req;
	now->ms += action.wake_ms;
	if (engine_next_action(req, *now, &action) == ENGINE_SEND)
		twin_take(second, &action.send);
	return req;
}

/* Frees what twins_hedged made: the request, its engine, both replies. */
static void
twins_free(struct engine *engine, struct engine_request *req,
    struct twin_send *first, struct twin_send *second)
{
	engine_request_free(req);
	engine_free(engine);
	free(first->reply);
	free(second->reply);
}

static int
request_rcode(struct engine_request *req, struct engine_now now)
{
	struct engine_action action;
	struct engine_result r;

	if (engine_next_action(req, now, &action) != ENGINE_DONE)
		return -1;
	engine_request_result(req, &r);
	return r.rcode;
}

static void
test_inflight_roles(void)
{
	struct engine_now now = { 1000000, 5000 };
	struct twin_send first, second;
	struct engine *engine;
	struct engine_request *req;
	struct engine_action action;
	const struct inflight_query *task, *hedge, *left;
	const struct sockaddr *sa1, *sa2;
	uint32_t srtt_before;
	unsigned used;
	int rc;

	USE_WORLD(twins);

	/* The hedge wins: the task's query is left behind, its RTT kept. */
	req = twins_hedged(&engine, &now, &first, &second);
	sa1 = (const struct sockaddr *)&first.addr;
	sa2 = (const struct sockaddr *)&second.addr;
	task = engine_inflight_task(req);
	hedge = engine_inflight_find(req, INFLIGHT_HEDGE);
	ok(second.id != 0 && task != NULL && task->send_id == first.id &&
	    task->state == INFLIGHT_SENT && hedge != NULL &&
	    hedge->send_id == second.id && hedge->state == INFLIGHT_SENT &&
	    strcmp(second.zone, "tw.test.") == 0 &&
	    !engine_same_address(sa1, first.addrlen, &second.addr),
	    "inflight: the task's query and its hedge to the other server "
	    "are two entries, each waited for");
	now.ms += 2;
	srtt_before = server_srtt_ms(engine->servers, sa1);
	ok(twin_feed(req, &second, NULL, now) == 0 &&
	    (task = engine_inflight_task(req)) != NULL &&
	    task->send_id == second.id &&
	    engine_inflight_find(req, INFLIGHT_HEDGE) == NULL &&
	    (left = engine_inflight_find(req, INFLIGHT_ABANDONED)) != NULL &&
	    left->send_id == first.id,
	    "inflight: the hedge's reply makes it the task's query; the first "
	    "query is abandoned");
	ok(twin_feed(req, &first, &second, now) == -1 &&
	    engine_inflight_find(req, INFLIGHT_ABANDONED) != NULL,
	    "inflight: the abandoned query's id from another address is "
	    "ignored");
	now.ms += 3;
	rc = twin_feed(req, &first, NULL, now);
	ok(rc == 0 && srtt_before == 0 &&
	    server_srtt_ms(engine->servers, sa1) != 0 &&
	    engine_inflight_find(req, INFLIGHT_ABANDONED) == NULL,
	    "inflight: the abandoned query's reply is told to the server "
	    "table (srtt %u ms, before %u)",
	    server_srtt_ms(engine->servers, sa1), srtt_before);
	ok(twin_feed(req, &first, NULL, now) == -1 &&
	    twin_feed(req, &second, NULL, now) == -1,
	    "inflight: the same ids again are stale: ignored");
	ok(request_rcode(req, now) == LDNS_RCODE_NOERROR,
	    "inflight: the hedge's answer is the client's");
	twins_free(engine, req, &first, &second);

	/* The task's query wins: the hedge is left behind and times out. */
	req = twins_hedged(&engine, &now, &first, &second);
	sa2 = (const struct sockaddr *)&second.addr;
	now.ms += 2;
	ok(twin_feed(req, &first, NULL, now) == 0 &&
	    (task = engine_inflight_task(req)) != NULL &&
	    task->send_id == first.id &&
	    engine_inflight_find(req, INFLIGHT_HEDGE) == NULL &&
	    (left = engine_inflight_find(req, INFLIGHT_ABANDONED)) != NULL &&
	    left->send_id == second.id,
	    "inflight: the task's reply abandons the hedge");
	srtt_before = server_srtt_ms(engine->servers, sa2);
	engine_feed_timeout(req, second.id, now);
	ok(srtt_before == 0 && server_srtt_ms(engine->servers, sa2) ==
	    LIMIT_QUERY_TIMEOUT_INITIAL_MS &&
	    server_backed_off(engine->servers, sa2, NULL, 0, now.ms) &&
	    engine_inflight_find(req, INFLIGHT_ABANDONED) == NULL,
	    "inflight: the abandoned hedge's timeout is told to the server "
	    "table (srtt %u ms)", server_srtt_ms(engine->servers, sa2));
	engine_feed_timeout(req, second.id, now);
	ok(request_rcode(req, now) == LDNS_RCODE_NOERROR,
	    "inflight: a stale timeout changes nothing: the answer stands");
	twins_free(engine, req, &first, &second);

	/* The task's query times out: the hedge is the task's query now. */
	req = twins_hedged(&engine, &now, &first, &second);
	now.ms += 2;
	engine_feed_timeout(req, first.id, now);
	ok((task = engine_inflight_task(req)) != NULL &&
	    task->send_id == second.id && task->state == INFLIGHT_SENT &&
	    engine_inflight_find(req, INFLIGHT_HEDGE) == NULL &&
	    engine_inflight_find(req, INFLIGHT_ABANDONED) == NULL &&
	    engine_next_action(req, now, &action) == ENGINE_WAIT,
	    "inflight: the task's query timed out: its hedge takes its place "
	    "and is waited for");
	ok(twin_feed(req, &second, NULL, now) == 0 &&
	    request_rcode(req, now) == LDNS_RCODE_NOERROR,
	    "inflight: and its reply answers");
	twins_free(engine, req, &first, &second);

	/* The hedge fails: the task's query goes on, no second hedge. */
	req = twins_hedged(&engine, &now, &first, &second);
	engine_feed_error(req, second.id, "unreachable", now);
	ok((task = engine_inflight_task(req)) != NULL &&
	    task->send_id == first.id && task->state == INFLIGHT_SENT &&
	    engine_inflight_find(req, INFLIGHT_HEDGE) == NULL &&
	    engine_next_action(req, now, &action) == ENGINE_WAIT &&
	    action.wake_ms == 0,
	    "inflight: a failed hedge is dropped; the task's query is still "
	    "waited for");
	ok(twin_feed(req, &first, NULL, now) == 0 &&
	    request_rcode(req, now) == LDNS_RCODE_NOERROR,
	    "inflight: and its reply answers");
	twins_free(engine, req, &first, &second);

	/*
	 * The array full (every role at its bound at once cannot fill it:
	 * INFLIGHT_MAX): no entry for the task's query is an error, not a
	 * crash or a query built over another's.
	 */
	engine = new_engine();
	{
		struct engine_question q = { .type = LDNS_RR_TYPE_A,
		    .klass = LDNS_RR_CLASS_IN };

		q.name = ldns_dname_new_frm_str("www.tw.test.");
		req = engine_request_new(engine, &q, 0, now, NULL, NULL);
		ldns_rdf_deep_free(q.name);
	}
	for (used = 0; engine_inflight_new(req, INFLIGHT_ABANDONED) != NULL;)
		used++;
	ok(used == INFLIGHT_MAX && engine_inflight_task(req) == NULL &&
	    request_rcode(req, now) == LDNS_RCODE_SERVFAIL &&
	    req->upstream_queries == 0,
	    "inflight: the array full (%u entries), the request fails "
	    "without a query", used);
	engine_request_free(req);
	engine_free(engine);
}

/* ---- a dead server: one probe at a time, the rest fail at once ---- */

static struct server deadzone[] = {
	ROOT_OF_TEST,
	{ .addr = "192.0.2.2", .zone = "test.", .records = TEST_APEX
	  "dz.test. 86400 IN NS ns.dz.test.\n"
	  "ns.dz.test. 86400 IN A 192.0.2.103\n" },
	{ .addr = "192.0.2.103", .zone = "dz.test.", .records =
	  ZONE_APEX("dz.test.", "192.0.2.103")
	  "probe.dz.test. 3600 IN A 198.51.100.91\n"
	  "after.dz.test. 3600 IN A 198.51.100.92\n", .silent = true },
};

/*
 * Random names under a zone whose only server is down (a water-torture
 * flood, or the load test's hostile.net): each request used to wait out
 * timeouts of up to 3 s until LIMIT_REQUEST_TIME_MS, so a client's flood
 * of them held its LIMIT_CLIENT_INFLIGHT and the worker's request list.
 */
static void
test_dead_server_probe(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_request *req, *probe;
	struct engine_action action;
	struct engine_result r;
	struct server *dead;
	unsigned sends, warmup = 0, dead_sends;
	uint64_t started;
	char name[64], *text;
	ldns_pkt *query = NULL, *reply;
	uint8_t *wire = NULL;
	size_t len;

	USE_WORLD(deadzone);
	dead = server_named("192.0.2.103");
	/* It times out LIMIT_SERVER_DEAD_FAILURES times in a row: dead. */
	while (dead->sends < LIMIT_SERVER_DEAD_FAILURES && warmup < 10) {
		snprintf(name, sizeof(name), "w%u.dz.test.", warmup++);
		engine_request_free(resolve(engine, name, LDNS_RR_TYPE_A, &now,
		    &sends));
	}
	/*
	 * Dead, it rests after its last failure: a name fails at once
	 * without asking it, then LIMIT_SERVER_PROBE_INTERVAL_MS later a
	 * request sends the probe, which stays out.
	 */
	dead_sends = dead->sends;
	started = now.ms;
	req = resolve(engine, "resting.dz.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	ok(r.rcode == LDNS_RCODE_SERVFAIL &&
	    r.ede == ENGINE_EDE_NO_REACHABLE_AUTHORITY &&
	    dead->sends == dead_sends && now.ms - started < 100,
	    "0x20 %d: just after its last failure the dead server rests: a name "
	    "fails at once (%u queries to it, %llu ms)", use_0x20,
	    dead->sends - dead_sends, (unsigned long long)(now.ms - started));
	engine_request_free(req);
	now.ms += LIMIT_SERVER_PROBE_INTERVAL_MS;
	q.name = ldns_dname_new_frm_str("probe.dz.test.");
	probe = engine_request_new(engine, &q, 0, now, NULL, NULL);
	ldns_rdf_deep_free(q.name);
	ok(engine_next_action(probe, now, &action) == ENGINE_SEND &&
	    server_at(&action.send.addr) == dead, "0x20 %d: after %u timeouts "
	    "in a row, one request still probes the dead server", use_0x20,
	    dead->sends);
	/* Meanwhile other names under the zone are not held up by it. */
	dead_sends = dead->sends;
	started = now.ms;
	req = resolve(engine, "other.dz.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	ok(r.rcode == LDNS_RCODE_SERVFAIL &&
	    r.ede == ENGINE_EDE_NO_REACHABLE_AUTHORITY &&
	    dead->sends == dead_sends && now.ms - started < 100,
	    "0x20 %d: while the probe is out, another name fails at once: "
	    "rcode %d EDE %d \"%s\", %u queries to the dead server, %llu ms",
	    use_0x20, r.rcode, r.ede, r.ede_text != NULL ? r.ede_text : "",
	    dead->sends - dead_sends, (unsigned long long)(now.ms - started));
	engine_request_free(req);
	/* The server is back and answers the probe: it is alive again. */
	dead->silent = false;
	ldns_wire2pkt(&query, action.send.wire, action.send.wire_len);
	reply = authority_answer(dead, query, false);
	ldns_pkt2wire(&wire, reply, &len);
	now.ms += 1;
	engine_feed_reply(probe, action.send.id,
	    (struct sockaddr *)&action.send.addr, action.send.addrlen, wire,
	    len, 1, now);
	free(wire);
	ldns_pkt_free(reply);
	ldns_pkt_free(query);
	while (engine_next_action(probe, now, &action) == ENGINE_SEND)
		engine_feed_timeout(probe, action.send.id, now);
	engine_request_result(probe, &r);
	text = answer_text(probe);
	ok(r.rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.91") !=
	    NULL, "0x20 %d: the probe is answered once the server is back: %s",
	    use_0x20, text);
	free(text);
	engine_request_free(probe);
	req = resolve(engine, "after.dz.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	ok(r.rcode == LDNS_RCODE_NOERROR, "0x20 %d: and the next name is "
	    "resolved through it again (rcode %d, %u sends)", use_0x20, r.rcode,
	    sends);
	engine_request_free(req);
	dead->silent = true;
	engine_free(engine);
}

/*
 * Runs `req` until it sends to `to`, answering every other query; false
 * when it ends first. `*action` is then that send.
 */
static bool
run_until_send_to(struct engine_request *req, struct engine_now *now,
    const struct server *to, struct engine_action *action)
{
	while (engine_next_action(req, *now, action) == ENGINE_SEND) {
		struct server *s = server_at(&action->send.addr);
		ldns_pkt *query = NULL, *reply;
		uint8_t *wire = NULL;
		size_t len;

		if (s == to)
			return true;
		now->ms += 1;
		ldns_wire2pkt(&query, action->send.wire, action->send.wire_len);
		if (s == NULL || s->silent || query == NULL) {
			engine_feed_timeout(req, action->send.id, *now);
			ldns_pkt_free(query);
			continue;
		}
		reply = authority_answer(s, query, false);
		ldns_pkt2wire(&wire, reply, &len);
		engine_feed_reply(req, action->send.id,
		    (struct sockaddr *)&action->send.addr, action->send.addrlen,
		    wire, len, 1, *now);
		free(wire);
		ldns_pkt_free(reply);
		ldns_pkt_free(query);
	}
	return false;
}

/*
 * Queries sent together and lost together (a burst, a moment of packet
 * loss) are one failure, not six: the server is not dead for it, and each
 * request asks it again.
 */
static void
test_burst_of_timeouts_is_one_failure(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct engine_request *reqs[6];
	struct engine_action actions[6];
	struct server *dead;
	unsigned out = 0, again = 0;

	USE_WORLD(deadzone);
	dead = server_named("192.0.2.103");
	for (int i = 0; i < 6; i++) {
		struct engine_question q = { .type = LDNS_RR_TYPE_A,
		    .klass = LDNS_RR_CLASS_IN };
		char name[32];

		snprintf(name, sizeof(name), "b%d.dz.test.", i);
		q.name = ldns_dname_new_frm_str(name);
		reqs[i] = engine_request_new(engine, &q, 0, now, NULL, NULL);
		ldns_rdf_deep_free(q.name);
		out += run_until_send_to(reqs[i], &now, dead, &actions[i]);
	}
	now.ms += LIMIT_QUERY_TIMEOUT_INITIAL_MS;
	for (int i = 0; i < 6; i++)
		engine_feed_timeout(reqs[i], actions[i].send.id, now);
	for (int i = 0; i < 6; i++) {
		struct engine_action action;

		again += run_until_send_to(reqs[i], &now, dead, &action);
		engine_request_free(reqs[i]);
	}
	ok(out == 6 && again == 6, "0x20 %d: six queries lost at once are one "
	    "failure: each of the %u requests asks the server again (%u did)",
	    use_0x20, out, again);
	engine_free(engine);
}

/*
 * A client asking one name at a time under a zone whose every server is
 * down. Each name became the dead server's next probe as soon as the last
 * one failed, and waited out timeouts grown to LIMIT_QUERY_TIMEOUT_MAX_MS
 * until LIMIT_REQUEST_TIME_MS: 10-12 s per name. Now the server rests
 * between probes and a probe waits only as long as the server used to
 * take to answer: most names fail at once, a probe now and then is short.
 */
static void
test_dead_zone_serial_client(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct server *dead;
	uint64_t worst = 0, total = 0;
	unsigned warmup = 0, names = 0, probes, failed_fast = 0;
	char name[64];

	USE_WORLD(deadzone);
	dead = server_named("192.0.2.103");
	/* It answered once (so its RTT is known), then it went down. */
	dead->silent = false;
	engine_request_free(resolve(engine, "probe.dz.test.", LDNS_RR_TYPE_A,
	    &now, &probes));
	dead->silent = true;
	while (dead->sends < 1 + LIMIT_SERVER_DEAD_FAILURES && warmup < 10) {
		snprintf(name, sizeof(name), "w%u.dz.test.", warmup++);
		engine_request_free(resolve(engine, name, LDNS_RR_TYPE_A, &now,
		    &probes));
	}
	probes = dead->sends;
	/* Twenty names, one at a time, 100 ms apart: two seconds. */
	for (names = 0; names < 20; names++) {
		struct engine_request *req;
		struct engine_result r;
		unsigned sends;
		uint64_t started;

		now.ms += 100;
		started = now.ms;
		snprintf(name, sizeof(name), "n%u.dz.test.", names);
		req = resolve(engine, name, LDNS_RR_TYPE_A, &now, &sends);
		engine_request_result(req, &r);
		if (r.rcode == LDNS_RCODE_SERVFAIL &&
		    r.ede == ENGINE_EDE_NO_REACHABLE_AUTHORITY &&
		    now.ms - started < 50)
			failed_fast++;
		if (now.ms - started > worst)
			worst = now.ms - started;
		total += now.ms - started;
		engine_request_free(req);
	}
	probes = dead->sends - probes;
	ok(worst <= 1000 && failed_fast >= 15, "0x20 %d: a serial client under "
	    "a dead zone: 20 names took %llu ms in all, the slowest %llu ms "
	    "(<= 1000; was 10-12 s each), %u failed at once with EDE 22",
	    use_0x20, (unsigned long long)total, (unsigned long long)worst,
	    failed_fast);
	ok(probes >= 1 && probes <= 4, "0x20 %d: the dead server is still "
	    "probed, about once a second: %u probes while the 20 names were asked", use_0x20,
	    probes);
	engine_free(engine);
}

/* What run_on_clock saw of an early answer (ENGINE_ANSWER). */
static uint64_t early_at_ms;		/* when; 0: none */
static struct engine_result early_result;
static char *early_text;

/*
 * Runs `req` on the injected clock as a network would: answers from live
 * servers at once (or `late_ms` later), silent servers' queries time out
 * when due, and between events the clock moves to the next one: a reply,
 * a query's timeout, a hedge (wake_ms) or the request's deadline
 * (wait_ms). An early answer (ENGINE_ANSWER) is noted in early_*.
 * Returns when it ends.
 */
static void
run_on_clock(struct engine_request *req, struct engine_now *now)
{
	struct {
		uint32_t id;
		uint64_t due;
		uint8_t *wire;		/* the reply then; NULL: a timeout */
		size_t len;
		uint32_t rtt_ms;
		struct sockaddr_storage addr;
		socklen_t addrlen;
	} out[8];
	unsigned nout = 0;

	early_at_ms = 0;
	free(early_text);
	early_text = NULL;
	for (int steps = 0; steps < 1000; steps++) {
		struct engine_action action;
		enum engine_action_kind kind = engine_next_action(req, *now,
		    &action);
		uint64_t next;
		unsigned first = 0;

		if (kind == ENGINE_DONE)
			break;
		if (kind == ENGINE_ANSWER) {
			early_at_ms = now->ms;
			engine_request_result(req, &early_result);
			early_text = answer_text(req);
			continue;
		}
		if (kind == ENGINE_SEND) {
			struct server *s = server_at(&action.send.addr);
			ldns_pkt *query = NULL, *reply;
			uint8_t *wire = NULL;
			size_t len;

			ldns_wire2pkt(&query, action.send.wire,
			    action.send.wire_len);
			if (s == NULL || s->silent || query == NULL ||
			    s->late_ms >= action.send.timeout_ms) {
				if (nout < 8) {
					out[nout].id = action.send.id;
					out[nout].wire = NULL;
					out[nout++].due = now->ms +
					    action.send.timeout_ms;
				}
				ldns_pkt_free(query);
				continue;
			}
			s->sends++;
			reply = authority_answer(s, query, false);
			ldns_pkt2wire(&wire, reply, &len);
			ldns_pkt_free(reply);
			ldns_pkt_free(query);
			if (s->late_ms > 0 && nout < 8) {
				out[nout].id = action.send.id;
				out[nout].wire = wire;
				out[nout].len = len;
				out[nout].addr = action.send.addr;
				out[nout].addrlen = action.send.addrlen;
				out[nout].rtt_ms = s->late_ms;
				out[nout++].due = now->ms + s->late_ms;
				continue;
			}
			now->ms += 1;
			engine_feed_reply(req, action.send.id,
			    (struct sockaddr *)&action.send.addr,
			    action.send.addrlen, wire, len, 1, *now);
			free(wire);
			continue;
		}
		/* ENGINE_WAIT: the next event. */
		next = action.wait_ms != 0 ? now->ms + action.wait_ms :
		    UINT64_MAX;
		if (action.wake_ms != 0 && now->ms + action.wake_ms < next)
			next = now->ms + action.wake_ms;
		for (unsigned i = 1; i < nout; i++)
			if (out[i].due < out[first].due)
				first = i;
		if (nout > 0 && out[first].due <= next) {
			now->ms = out[first].due;
			if (out[first].wire != NULL) {
				engine_feed_reply(req, out[first].id,
				    (struct sockaddr *)&out[first].addr,
				    out[first].addrlen, out[first].wire,
				    out[first].len, out[first].rtt_ms, *now);
				free(out[first].wire);
			} else
				engine_feed_timeout(req, out[first].id, *now);
			out[first] = out[--nout];
		} else if (next != UINT64_MAX)
			now->ms = next;
	}
	/* Replies still out when the request ended go nowhere. */
	while (nout > 0)
		free(out[--nout].wire);
}

/*
 * LIMIT_REQUEST_TIME_MS is a deadline: the request ends then, with a query
 * still out, instead of at the next reply or timeout after it (a query's
 * timeout reaches LIMIT_QUERY_TIMEOUT_MAX_MS: requests answered seconds
 * late). Here a 2 s budget and a silent server whose query's timeout ends
 * at 2.75 s.
 */
static void
test_request_deadline(bool serve_stale)
{
	struct engine_config cfg;
	struct engine *engine;
	struct engine_now now = { 1000000, 5000 };
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_request *req;
	struct engine_result r;
	struct server *dead;
	uint64_t started;
	char err[256], *text;
	unsigned sends;

	USE_WORLD(deadzone);
	dead = server_named("192.0.2.103");
	scripted_config_init(&cfg, false);
	cfg.request_timeout_ms = 2000;
	cfg.serve_stale = serve_stale;
	cfg.stale_client_timeout_ms = 0;	/* stale only at the end */
	engine = engine_new(&cfg, err, sizeof(err));
	/*
	 * Cached while the server was up, 900 ms away (its queries' timeout
	 * is 2750 ms), then expired, and the server went silent.
	 */
	dead->silent = false;
	dead->rtt_ms = 900;
	engine_request_free(resolve(engine, "probe.dz.test.", LDNS_RR_TYPE_A,
	    &now, &sends));
	dead->silent = true;
	dead->rtt_ms = 0;
	now.wall += 3601;
	q.name = ldns_dname_new_frm_str("probe.dz.test.");
	started = now.ms;
	req = engine_request_new(engine, &q, 0, now, NULL, NULL);
	ldns_rdf_deep_free(q.name);
	ok(engine_request_deadline(req) == started + 2000, "serve-stale %d: "
	    "the engine says when the request must end: %llu ms after it "
	    "started", serve_stale, (unsigned long long)
	    (engine_request_deadline(req) - started));
	run_on_clock(req, &now);
	engine_request_result(req, &r);
	text = answer_text(req);
	if (!serve_stale)
		ok(r.rcode == LDNS_RCODE_SERVFAIL &&
		    r.ede == ENGINE_EDE_NO_REACHABLE_AUTHORITY &&
		    now.ms - started == 2000, "serve-stale 0: the request ends "
		    "at its deadline, a query still out: after %llu ms (2000; "
		    "was 2750, the query's timeout), rcode %d EDE %d \"%s\"",
		    (unsigned long long)(now.ms - started), r.rcode, r.ede,
		    r.ede_text != NULL ? r.ede_text : "");
	else
		ok(r.rcode == LDNS_RCODE_NOERROR && r.stale &&
		    r.ede == ENGINE_EDE_STALE_ANSWER &&
		    strstr(text, "198.51.100.91") != NULL &&
		    now.ms - started == 2000, "serve-stale 1: at its deadline "
		    "the request is served stale: after %llu ms (2000; was 2750), "
		    "rcode %d EDE %d, "
		    "%s", (unsigned long long)(now.ms - started), r.rcode, r.ede,
		    text);
	free(text);
	{
		struct engine_action action;

		/* A late timeout for the query left out is ignored. */
		engine_feed_timeout(req, 1, now);
		ok(engine_next_action(req, now, &action) == ENGINE_DONE,
		    "serve-stale %d: the request stays done; what is still out "
		    "is the caller's to drop", serve_stale);
	}
	engine_request_free(req);
	engine_free(engine);
}

/* A zone with one server, which loses packets now and then. */
static struct server onezone[] = {
	ROOT_OF_TEST,
	{ .addr = "192.0.2.2", .zone = "test.", .records = TEST_APEX
	  "one.test. 86400 IN NS ns.one.test.\n"
	  "ns.one.test. 86400 IN A 192.0.2.104\n" },
	{ .addr = "192.0.2.104", .zone = "one.test.", .records =
	  ZONE_APEX("one.test.", "192.0.2.104")
	  "a.one.test. 3600 IN A 198.51.100.93\n"
	  "b.one.test. 3600 IN A 198.51.100.94\n" },
};

/*
 * A zone with one server that loses two queries in a row: from a fresh
 * referral its one address had its two tries and task_refetch_cut found
 * nothing new, so the name failed in 1.5 s of a 10 s budget, while the
 * same zone from the cache was asked twice more after its parent's
 * referral. Now the silent address gets a second round there too.
 */
static void
test_one_server_zone_asked_again(bool use_0x20)
{
	struct engine *engine = new_engine_case(use_0x20);
	struct engine_now now = { 1000000, 5000 };
	struct engine_request *req;
	struct engine_result r;
	struct server *one;
	unsigned sends;
	char *text;

	USE_WORLD(onezone);
	one = server_named("192.0.2.104");
	one->drop_next = 2;
	req = resolve(engine, "a.one.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	text = answer_text(req);
	ok(r.rcode == LDNS_RCODE_NOERROR && strstr(text, "198.51.100.93") !=
	    NULL && one->sends == 3, "0x20 %d: a fresh one-server zone that "
	    "lost two queries is asked a third time: rcode %d, %u queries to "
	    "it", use_0x20, r.rcode, one->sends);
	free(text);
	engine_request_free(req);
	/* A server that stays silent still ends: dead, it is not asked on. */
	one->silent = true;
	req = resolve(engine, "b.one.test.", LDNS_RR_TYPE_A, &now, &sends);
	engine_request_result(req, &r);
	ok(r.rcode == LDNS_RCODE_SERVFAIL && sends <= 8, "0x20 %d: a silent "
	    "one stops being asked: SERVFAIL after %u queries", use_0x20,
	    sends);
	engine_request_free(req);
	one->silent = false;
	one->drop_next = 0;
	engine_free(engine);
}

/*
 * With serve-stale, a client gets the stale answer after
 * LIMIT_STALE_CLIENT_TIMEOUT_MS (RFC 8767 §5) instead of waiting for the
 * resolution to fail: here a silent server whose timeouts (2750 ms each,
 * four of them) reach the 10 s deadline. The request goes on after it
 * (to refresh the cache), to its deadline. A name without stale data goes
 * on past the timer to its own end, the client waiting.
 */
static void
test_stale_client_timer(void)
{
	struct engine_config cfg;
	struct engine *engine;
	struct engine_now now = { 1000000, 5000 };
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_request *req;
	struct engine_result r;
	struct server *dead;
	uint64_t started;
	char err[256];
	unsigned sends;

	USE_WORLD(deadzone);
	dead = server_named("192.0.2.103");
	scripted_config_init(&cfg, false);
	cfg.serve_stale = true;
	engine = engine_new(&cfg, err, sizeof(err));
	dead->silent = false;
	dead->rtt_ms = 900;
	engine_request_free(resolve(engine, "probe.dz.test.", LDNS_RR_TYPE_A,
	    &now, &sends));
	dead->silent = true;
	dead->rtt_ms = 0;
	now.wall += 3601;
	q.name = ldns_dname_new_frm_str("probe.dz.test.");
	started = now.ms;
	req = engine_request_new(engine, &q, 0, now, NULL, NULL);
	ldns_rdf_deep_free(q.name);
	ok(engine_request_deadline(req) == started +
	    LIMIT_STALE_CLIENT_TIMEOUT_MS, "serve-stale: the first deadline is "
	    "the stale client timer, %llu ms", (unsigned long long)
	    (engine_request_deadline(req) - started));
	run_on_clock(req, &now);
	ok(early_at_ms != 0 && early_result.stale &&
	    early_result.ede == ENGINE_EDE_STALE_ANSWER &&
	    strstr(early_text, "198.51.100.91") != NULL &&
	    early_at_ms - started == LIMIT_STALE_CLIENT_TIMEOUT_MS,
	    "serve-stale: the stale answer (ENGINE_ANSWER) after %llu ms (%u; "
	    "without the timer at the end of resolution), EDE %d \"%s\"",
	    (unsigned long long)(early_at_ms - started),
	    LIMIT_STALE_CLIENT_TIMEOUT_MS, early_result.ede,
	    early_result.ede_text != NULL ? early_result.ede_text : "");
	engine_request_result(req, &r);
	ok(now.ms - started == LIMIT_REQUEST_TIME_MS && r.stale,
	    "serve-stale: the refresh after it goes on to the request's "
	    "deadline, %llu ms, and fails (still stale)",
	    (unsigned long long)(now.ms - started));
	engine_request_free(req);
	/* Nothing stale for this name: the timer passes, the request goes on. */
	q.name = ldns_dname_new_frm_str("nothing.dz.test.");
	now.ms += 10000;
	started = now.ms;
	req = engine_request_new(engine, &q, 0, now, NULL, NULL);
	ldns_rdf_deep_free(q.name);
	run_on_clock(req, &now);
	engine_request_result(req, &r);
	ok(early_at_ms == 0 && !r.stale && r.rcode == LDNS_RCODE_SERVFAIL &&
	    now.ms - started > LIMIT_STALE_CLIENT_TIMEOUT_MS, "serve-stale: a "
	    "name with nothing stale goes on past the timer: SERVFAIL after "
	    "%llu ms", (unsigned long long)(now.ms - started));
	engine_request_free(req);
	engine_free(engine);
}

/*
 * RFC 8767 §5: after the stale answer the resolution goes on and a late
 * answer refreshes the cache. The zone's one server answers 2.5 s late,
 * after the 1.8 s client timer: the request used to be given up at the
 * timer (the reply then only taught an RTT), so the cache never got the
 * new data and every client was served stale until the stale limit, then
 * SERVFAIL. Now the client still gets the stale answer at 1.8 s, the
 * request ends at 2.5 s with the fresh one, and the next client gets it
 * from the cache.
 */
static void
test_stale_refresh(void)
{
	struct engine_config cfg;
	struct engine *engine;
	struct engine_now now = { 1000000, 5000 };
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_request *req;
	struct engine_result r;
	struct engine_stats stats;
	struct server *slow;
	const char *records;
	uint64_t started;
	char err[256], *text;
	unsigned sends;

	USE_WORLD(deadzone);
	slow = server_named("192.0.2.103");
	records = slow->records;
	scripted_config_init(&cfg, false);
	cfg.serve_stale = true;
	engine = engine_new(&cfg, err, sizeof(err));
	slow->silent = false;
	slow->rtt_ms = 900;
	engine_request_free(resolve(engine, "probe.dz.test.", LDNS_RR_TYPE_A,
	    &now, &sends));
	/* Expired; the server now has new data and answers 2.5 s late. */
	now.wall += 3601;
	slow->rtt_ms = 0;
	slow->late_ms = 2500;
	slow->records = ZONE_APEX("dz.test.", "192.0.2.103")
	    "probe.dz.test. 3600 IN A 198.51.100.99\n";
	q.name = ldns_dname_new_frm_str("probe.dz.test.");
	started = now.ms;
	req = engine_request_new(engine, &q, 0, now, NULL, NULL);
	run_on_clock(req, &now);
	engine_request_result(req, &r);
	text = answer_text(req);
	ok(early_at_ms - started == LIMIT_STALE_CLIENT_TIMEOUT_MS &&
	    early_result.stale && strstr(early_text, "198.51.100.91") != NULL,
	    "stale refresh: the client gets the stale answer at %llu ms: %s",
	    (unsigned long long)(early_at_ms - started), early_text);
	ok(!r.stale && r.rcode == LDNS_RCODE_NOERROR &&
	    strstr(text, "198.51.100.99") != NULL && now.ms - started < 3000,
	    "stale refresh: the request goes on and ends with the late fresh "
	    "answer after %llu ms: stale %d rcode %d %s",
	    (unsigned long long)(now.ms - started), r.stale, r.rcode, text);
	free(text);
	engine_request_free(req);
	/* The next client: fresh from the cache, nothing sent. */
	now.ms += 100;
	req = engine_request_new(engine, &q, 0, now, NULL, NULL);
	run_on_clock(req, &now);
	engine_request_result(req, &r);
	text = answer_text(req);
	ok(early_at_ms == 0 && r.from_cache && !r.stale &&
	    strstr(text, "198.51.100.99") != NULL, "stale refresh: the next "
	    "client gets the fresh answer from the cache (was: stale again, "
	    "and another refresh cut off at 1.8 s): from cache %d stale %d %s",
	    r.from_cache, r.stale, text);
	free(text);
	engine_request_free(req);
	engine_stats_get(engine, &stats);
	ok(stats.stale_refreshes == 1 && stats.stale_refreshes_fresh == 1,
	    "stale refresh: counted: %llu refreshes, %llu fresh",
	    (unsigned long long)stats.stale_refreshes,
	    (unsigned long long)stats.stale_refreshes_fresh);
	ldns_rdf_deep_free(q.name);
	slow->records = records;
	slow->late_ms = 0;
	slow->silent = true;
	engine_free(engine);
}

/*
 * A dead server's probe slot is taken when the probe is sent, not when the
 * server is chosen: a choice the request then drops (another address
 * preferred, its query budget spent) used to keep the server from every
 * request for LIMIT_QUERY_TIMEOUT_MAX_MS with no probe out.
 */
static void
test_probe_slot_taken_when_sent(void)
{
	struct server_table *t = server_table_new();
	struct sockaddr_in in = { .sin_family = AF_INET,
	    .sin_port = htons(53) };
	struct server_candidate c = { .addr = (struct sockaddr *)&in };
	uint64_t now = 5000;
	int first, again, after;

	inet_pton(AF_INET, "192.0.2.200", &in.sin_addr);
	/* Dead: rounds of timeouts, each a timeout after the last. */
	for (int i = 0; i < LIMIT_SERVER_DEAD_FAILURES; i++) {
		server_report_failure(t, c.addr, true, now);
		now += LIMIT_QUERY_TIMEOUT_MAX_MS + 1;
	}
	now += LIMIT_SERVER_PROBE_INTERVAL_MS;
	first = server_choose(t, &c, 1, NULL, 0, now);
	again = server_choose(t, &c, 1, NULL, 0, now);
	server_report_sent(t, c.addr, server_timeout_ms(t, c.addr), now);
	after = server_choose(t, &c, 1, NULL, 0, now);
	ok(first == 0 && again == 0 && after == -1, "a dead server chosen but "
	    "not asked can still be chosen (%d, %d); once its probe is sent it "
	    "is not (%d)", first, again, after);
	ok(server_timeout_ms(t, c.addr) == LIMIT_QUERY_TIMEOUT_INITIAL_MS,
	    "a dead server never measured is probed with the initial timeout "
	    "(%u ms), not the cap its timeouts grew to",
	    server_timeout_ms(t, c.addr));
	server_table_free(t);
}

int
main(void)
{
	servers = lab;
	server_count = sizeof(lab) / sizeof(lab[0]);
	test_resolution_and_cache();
	test_nxns_limit();
	test_spoofed_reply_ignored();
	test_query_wire_matches_ldns();
	test_delegation_shapes();
	test_aliases();
	test_case_randomisation_fallback();
	for (int x = 0; x <= 1; x++) {
		test_dname_loop(x);
		test_wrong_type_answer(x);
		test_qmin_relaxed(x);
		test_qmin_sibling_skips_known_name(x);
		test_qmin_referral_still_followed(x);
		test_prefetch_refreshes(x);
		test_sibling_keeps_expiry(x);
		test_address_expires_before_ns(x);
		test_moved_server_looked_up_again(x);
		test_parent_glue_fallback(x);
		test_lameness_per_zone(x);
		test_glueless_per_cut(x);
		test_hedging(x);
		test_dead_server_probe(x);
		test_dead_zone_serial_client(x);
		test_request_deadline(x);
		test_one_server_zone_asked_again(x);
		test_burst_of_timeouts_is_one_failure(x);
		test_ghost_domain_expires(x);
		servers = lab;
		server_count = sizeof(lab) / sizeof(lab[0]);
	}
	test_forward_zones();
	test_stub_zones();
	test_0x20_evidence();
	test_flush_reaches_chains();
	test_stale_after_churn();
	servers = lab;
	server_count = sizeof(lab) / sizeof(lab[0]);
	test_private_address();
	test_inflight_roles();
	test_probe_slot_taken_when_sent();
	test_stale_client_timer();
	test_stale_refresh();
	free(early_text);
	scripted_hints_remove();
	return tap_done();
}
