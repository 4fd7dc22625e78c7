/*
 * query_cmd.c: `descend query NAME [TYPE]`: one resolution through the
 * engine, printed in dig's presentation format. Exit 0 on NOERROR, 1 on
 * another rcode from the authorities (NXDOMAIN), 2 on SERVFAIL.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dname.h"
#include "observer.h"

static void
query_usage(FILE *out)
{
	fprintf(out,
	    "usage: descend query [-4|-6] [--root-hints FILE] [--no-qmin]\n"
	    "                     [--no-0x20] [--timeout SECONDS] [--tries N]\n"
	    "                     [--forward ZONE=ADDR[@PORT][,ADDR...]]\n"
	    "                     [--forward-first] [--stub ZONE=ADDR[,ADDR...]]\n"
	    "                     [--trust-anchor FILE] [--no-dnssec]\n"
	    "                     NAME [TYPE]\n");
}

/*
 * The steps worth a line after the answer: a forward or stub zone that
 * applied, and forwarders given up for iteration.
 */
static char query_notes[2048];

static void
query_on_event(void *ctx, const struct engine_event *ev)
{
	char zone[256], line[512], addr[64] = "";

	(void)ctx;
	if (ev->kind == EV_ZONECUT && ev->u.zonecut.configured != NULL) {
		const struct observed_server *s = ev->u.zonecut.servers;

		dname_str(ev->u.zonecut.zone, zone, sizeof(zone));
		snprintf(line, sizeof(line), ";; %s zone %s:",
		    ev->u.zonecut.configured, zone);
		for (size_t i = 0; i < ev->u.zonecut.server_count; i++) {
			if (s[i].addr_count == 0)
				continue;
			strlcat(line, " ", sizeof(line));
			strlcat(line, cli_addr_str(&s[i].addrs[0], addr,
			    sizeof(addr)), sizeof(line));
		}
		strlcat(line, "\n", sizeof(line));
		strlcat(query_notes, line, sizeof(query_notes));
	} else if (ev->kind == EV_FALLBACK &&
	    strcmp(ev->u.fallback.what, "iterate") == 0) {
		dname_str(ev->qname, zone, sizeof(zone));
		snprintf(line, sizeof(line), ";; every forwarder failed for %s: "
		    "iterated instead (forward-first)\n", zone);
		strlcat(query_notes, line, sizeof(query_notes));
	}
}

static const struct engine_observer query_observer = { query_on_event };

/* The DNSSEC verdict, as delv says it: secure, insecure or bogus, and why. */
static void
print_verdict(const struct engine_result *r)
{
	switch (r->security) {
	case SEC_SECURE:
		printf(";; DNSSEC: secure (fully validated)\n");
		break;
	case SEC_INSECURE:
		printf(";; DNSSEC: insecure (%s)\n", r->sec_why != NULL ?
		    r->sec_why : "unsigned zone");
		break;
	case SEC_BOGUS:
		printf(";; DNSSEC: bogus (%s", r->sec_why != NULL ? r->sec_why :
		    r->ede_text != NULL ? r->ede_text : "validation failed");
		if ((int)r->ede >= 0)
			printf(", EDE %d", (int)r->ede);
		printf(")\n");
		break;
	case SEC_INDETERMINATE:
		printf(";; DNSSEC: indeterminate (%s)\n", r->sec_why != NULL ?
		    r->sec_why : "no trust anchor covers the name");
		break;
	case SEC_UNCHECKED:
		printf(";; DNSSEC: not validated (%s)\n",
		    r->rcode == LDNS_RCODE_SERVFAIL ? "resolution failed" :
		    cli_dnssec_note());
		break;
	}
}

int
query_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_options options = { 0 };
	struct engine_question question = { 0 };
	struct engine_request *request = NULL;
	struct engine_result result;
	struct cli_runner *runner = NULL;
	struct engine *engine = NULL;
	const uint8_t *wire;
	ldns_pkt *pkt = NULL;
	size_t len;
	bool bad = false;
	int opt, rc = EXIT_USAGE;

	question.type = LDNS_RR_TYPE_A;
	question.klass = LDNS_RR_CLASS_IN;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "46h", longopts, NULL)) != -1) {
		if (cli_common_option("descend query", opt, optarg, &options,
		    &bad))
			continue;
		if (opt == 'h') {
			query_usage(stdout);
			return EXIT_CLEAN;
		}
		query_usage(stderr);
		return EXIT_USAGE;
	}
	if (bad)
		return EXIT_USAGE;
	if (argc - optind < 1 || argc - optind > 2) {
		query_usage(stderr);
		return EXIT_USAGE;
	}
	if ((question.name = cli_parse_name("descend query",
	    argv[optind])) == NULL)
		return EXIT_USAGE;
	if (argc - optind == 2 && !cli_parse_type("descend query",
	    argv[optind + 1], &question.type))
		goto out;
	if ((engine = cli_engine_new("descend query", &options, false)) == NULL ||
	    (runner = cli_runner_new(engine)) == NULL)
		goto out;
	request = engine_request_new(engine, &question, 0,
	    cli_runner_now(runner), &query_observer, NULL);
	if (request == NULL || !cli_runner_start(runner, request)) {
		fprintf(stderr, "descend query: out of memory\n");
		goto out;
	}
	cli_runner_run(runner);
	engine_request_result(request, &result);
	wire = engine_request_answer(request, &len);
	if (wire != NULL && ldns_wire2pkt(&pkt, wire, len) == LDNS_STATUS_OK) {
		ldns_pkt_set_rd(pkt, true);
		ldns_pkt_print(stdout, pkt);
	}
	fputs(query_notes, stdout);
	{
		struct engine_stats stats;

		/* Hedges are the sends a slow server caused, not the name. */
		engine_stats_get(engine, &stats);
		printf(";; upstream queries: %u (hedges: %llu)\n",
		    result.upstream_queries,
		    (unsigned long long)stats.upstream_hedges);
	}
	if (result.rcode == LDNS_RCODE_SERVFAIL && result.ede_text != NULL)
		printf(";; why: %s\n", result.ede_text);
	print_verdict(&result);
	rc = result.rcode == LDNS_RCODE_NOERROR ? EXIT_CLEAN :
	    result.rcode == LDNS_RCODE_SERVFAIL ? EXIT_BROKEN : EXIT_FINDINGS;
out:
	ldns_pkt_free(pkt);
	engine_request_free(request);
	cli_runner_free(runner);
	engine_free(engine);
	ldns_rdf_deep_free(question.name);
	return rc;
}
