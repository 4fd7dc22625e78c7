/*
 * server_hints.c: `descend trace @SERVER`: the root servers as one server
 * sees them. SERVER is asked for ". NS" and for the addresses its reply
 * left out; the answer becomes the engine's root hints, so the trace that
 * follows runs exactly as it would with --root-hints.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "server_hints.h"

bool
server_address_parse(const char *text, struct sockaddr_storage *addr)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;

	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(53);
		return true;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(53);
		return true;
	}
	return false;
}

/* Moves the A/AAAA records of `section` owned by `name` into `hints`. */
static size_t
take_addresses(ldns_rr_list *hints, const ldns_rr_list *section,
    const ldns_rdf *name, const struct cli_options *o)
{
	size_t taken = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(section); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(section, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		ldns_rr *copy;

		if (!dname_equal(ldns_rr_owner(rr), name) ||
		    (type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA) ||
		    (type == LDNS_RR_TYPE_A && o->ipv6_only) ||
		    (type == LDNS_RR_TYPE_AAAA && o->ipv4_only))
			continue;
		if ((copy = ldns_rr_clone(rr)) == NULL ||
		    !ldns_rr_list_push_rr(hints, copy)) {
			ldns_rr_free(copy);
			continue;
		}
		taken++;
	}
	return taken;
}

/* Asks the server for the addresses of one root server name. */
static size_t
ask_addresses(struct cli_runner *runner, struct engine *engine,
    const struct sockaddr *server, ldns_rr_list *hints, const ldns_rdf *name,
    const struct cli_options *o)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A,
	    LDNS_RR_TYPE_AAAA };
	size_t taken = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ldns_pkt *reply;

		if ((types[i] == LDNS_RR_TYPE_A && o->ipv6_only) ||
		    (types[i] == LDNS_RR_TYPE_AAAA && o->ipv4_only))
			continue;
		reply = cli_runner_ask(runner, engine, name, types[i], server,
		    false);
		if (reply != NULL)
			taken += take_addresses(hints, ldns_pkt_answer(reply),
			    name, o);
		ldns_pkt_free(reply);
	}
	return taken;
}

ldns_rr_list *
server_hints_collect(const char *prog, const char *label,
    const struct sockaddr *server, const struct cli_options *o)
{
	ldns_rr_list *hints = ldns_rr_list_new();
	struct cli_options bootstrap = *o;
	struct engine *engine;
	struct cli_runner *runner = NULL;
	ldns_rdf *root = ldns_dname_new_frm_str(".");
	ldns_pkt *reply = NULL;
	size_t names = 0, addresses = 0;

	bootstrap.root_hints = NULL;
	bootstrap.server_hints = NULL;
	if ((engine = cli_engine_new(prog, &bootstrap, true)) == NULL ||
	    (runner = cli_runner_new(engine)) == NULL || root == NULL ||
	    hints == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	reply = cli_runner_ask(runner, engine, root, LDNS_RR_TYPE_NS, server,
	    false);
	if (reply == NULL) {
		fprintf(stderr, "%s: %s did not answer \". NS\"\n", prog, label);
		goto out;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(ldns_pkt_answer(reply));
	    i++) {
		ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(reply), i);
		ldns_rr *copy;
		size_t found;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    !dname_equal(ldns_rr_owner(rr), root) ||
		    (copy = ldns_rr_clone(rr)) == NULL)
			continue;
		if (!ldns_rr_list_push_rr(hints, copy)) {
			ldns_rr_free(copy);
			continue;
		}
		names++;
		found = take_addresses(hints, ldns_pkt_additional(reply),
		    ldns_rr_rdf(rr, 0), o);
		if (found == 0)
			found = ask_addresses(runner, engine, server, hints,
			    ldns_rr_rdf(rr, 0), o);
		addresses += found;
	}
	if (names == 0 || addresses == 0) {
		char *rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));

		fprintf(stderr, "%s: %s gave %zu root server name(s) and %zu "
		    "address(es) for \". NS\" (rcode %s): nothing to start "
		    "from\n", prog, label, names, addresses,
		    rcode != NULL ? rcode : "?");
		free(rcode);
	}
out:
	ldns_pkt_free(reply);
	ldns_rdf_deep_free(root);
	cli_runner_free(runner);
	engine_free(engine);
	if (names == 0 || addresses == 0) {
		ldns_rr_list_deep_free(hints);
		return NULL;
	}
	return hints;
}
