/*
 * scripted_server.c: the parts of a scripted authority that test_engine.c
 * and test_validator.c share, and the loop that drives a request with it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "scripted_server.h"

static char hints_file[64];

const char *
scripted_hints_file(void)
{
	FILE *f;

	if (hints_file[0] != '\0')
		return hints_file;
	snprintf(hints_file, sizeof(hints_file),
	    "/tmp/descend-test-hints-%ld.zone", (long)getpid());
	if ((f = fopen(hints_file, "w")) == NULL) {
		perror(hints_file);
		abort();
	}
	fputs(". 3600000 IN NS a.root.test.\na.root.test. 3600000 IN A "
	    "192.0.2.1\n", f);
	fclose(f);
	return hints_file;
}

void
scripted_hints_remove(void)
{
	if (hints_file[0] != '\0')
		remove(hints_file);
	hints_file[0] = '\0';
}

void
scripted_config_init(struct engine_config *cfg, bool use_0x20)
{
	engine_config_init(cfg);
	cfg->root_hints_file = scripted_hints_file();
	cfg->use_0x20 = use_0x20;
}

void
scripted_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ss)
	    ->sin_addr, buf, (socklen_t)len);
}

ldns_pkt *
scripted_reply_new(const ldns_pkt *query)
{
	ldns_pkt *reply = ldns_pkt_new();

	ldns_pkt_set_id(reply, ldns_pkt_id(query));
	ldns_pkt_set_qr(reply, true);
	ldns_pkt_push_rr(reply, LDNS_SECTION_QUESTION,
	    ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(query), 0)));
	return reply;
}

const ldns_rdf *
scripted_cut(const ldns_rr_list *rrs, const ldns_rdf *apex,
    const ldns_rdf *qname, ldns_rr_type qtype)
{
	const ldns_rdf *cut = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		const ldns_rdf *owner = ldns_rr_owner(rr);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_compare(owner, apex) != 0 &&
		    (ldns_dname_is_subdomain(qname, owner) ||
		    (ldns_dname_compare(qname, owner) == 0 &&
		    qtype != LDNS_RR_TYPE_DS)))
			cut = owner;
	}
	return cut;
}

unsigned
scripted_run(struct engine_request *req, struct engine_now *now,
    scripted_answer_fn *answer, void *ctx)
{
	struct engine_action action;
	unsigned sends = 0;

	for (;;) {
		ldns_pkt *query = NULL, *reply;
		uint8_t *wire = NULL;
		unsigned rtt_ms = 0;
		size_t len;
		enum engine_action_kind kind = engine_next_action(req, *now,
		    &action);

		/* A stale answer at the client timer: the request goes on. */
		if (kind == ENGINE_ANSWER)
			continue;
		if (kind != ENGINE_SEND)
			break;
		sends++;
		now->ms += 1;
		ldns_wire2pkt(&query, action.send.wire, action.send.wire_len);
		reply = answer(ctx, &action.send, query, now, &rtt_ms);
		if (reply == NULL) {
			now->ms += action.send.timeout_ms;
			engine_feed_timeout(req, action.send.id, *now);
			ldns_pkt_free(query);
			continue;
		}
		ldns_pkt2wire(&wire, reply, &len);
		now->ms += rtt_ms;
		engine_feed_reply(req, action.send.id,
		    (struct sockaddr *)&action.send.addr, action.send.addrlen,
		    wire, len, rtt_ms != 0 ? rtt_ms : 1, *now);
		free(wire);
		ldns_pkt_free(reply);
		ldns_pkt_free(query);
	}
	return sends;
}

char *
scripted_cache_text(struct engine *engine, time_t now)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	engine_cache_dump(engine, f, now);
	fclose(f);
	return text;
}
