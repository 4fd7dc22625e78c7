/*
 * trace_cmd.c: `descend trace [@SERVER] NAME [TYPE]`: resolves with a fresh
 * engine whose observer prints every step, then checks each delegation
 * crossed, prints the answer, the findings and a summary. Exit 0 resolvable
 * and clean, 1 resolvable with findings, 2 broken, 3 usage or local error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cds.h"
#include "cli.h"
#include "delegate.h"
#include "dname.h"
#include "dnssec_probe.h"
#include "dot.h"
#include "findings.h"
#include "server_hints.h"
#include "trace.h"

static void
trace_usage(FILE *out)
{
	fprintf(out,
	    "usage: descend trace [options] [@SERVER] NAME [TYPE]\n"
	    "       descend trace [options] --delegate ZONE=NS[/ADDR][,NS[/ADDR]...] [NAME [TYPE]]\n"
	    "  @SERVER            start from the root servers SERVER (an address) names\n"
	    "  --root-hints FILE  start from these root servers (default: built in)\n"
	    "  --all              ask every server of every cut, UDP and TCP\n"
	    "  --delegate ZONE=NS[/ADDR][,...]  check a delegation before the\n"
	    "                     parent serves it (test name: NAME, default ZONE)\n"
	    "  --delegate-ds \"ZONE DS TAG ALG TYPE DIGEST\"  the DS the parent\n"
	    "                     will publish (repeatable)\n"
	    "  --delegate-ds-file FILE  DS records, one a line (dnssec-dsfromkey)\n"
	    "  --json             one JSON object per line\n"
	    "  --dig              dig +trace's output format\n"
	    "  --dot              a Graphviz graph of the delegations (only)\n"
	    "  --svg FILE         that graph rendered by Graphviz's dot into FILE\n"
	    "  -4, -6             IPv4 or IPv6 servers only\n"
	    "  --no-qmin          send full names (no QNAME minimisation)\n"
	    "  --no-0x20          no case randomisation\n"
	    "  --timeout SECONDS  for the whole resolution (default 10)\n"
	    "  --tries N          sends per server (default 2)\n"
	    "  --forward ZONE=ADDR[@PORT][,ADDR...]  ask these resolvers for ZONE\n"
	    "  --forward-first    iterate when the forwarders fail\n"
	    "  --stub ZONE=ADDR[@PORT][,ADDR...]     ZONE's authoritative servers\n"
	    "  --color, --no-color  colour (default: on a terminal)\n");
}

static void
print_answer(struct trace *t, const uint8_t *wire, size_t len,
    const struct engine_result *result)
{
	ldns_pkt *pkt = NULL;
	char *rcode = ldns_pkt_rcode2str(result->rcode);
	char records[4096] = "";

	if (wire != NULL && ldns_wire2pkt(&pkt, wire, len) == LDNS_STATUS_OK) {
		for (size_t i = 0; i < ldns_pkt_ancount(pkt); i++) {
			char *s = trace_rr_str(ldns_rr_list_rr(
			    ldns_pkt_answer(pkt), i));

			if (s == NULL)
				continue;
			strlcat(records, s, sizeof(records));
			free(s);
		}
	}
	if (t->format == TRACE_TEXT) {
		fprintf(t->out, "== answer: %s%s%s%s\n", rcode != NULL ? rcode :
		    "?", t->answer_server[0] != '\0' &&
		    result->rcode != LDNS_RCODE_SERVFAIL ? " from " : "",
		    result->rcode != LDNS_RCODE_SERVFAIL ? t->answer_server : "",
		    result->rcode == LDNS_RCODE_SERVFAIL && result->ede_text ?
		    "" : "");
		if (result->rcode == LDNS_RCODE_SERVFAIL && result->ede_text)
			fprintf(t->out, "   why: %s\n", result->ede_text);
		fputs(records, t->out);
	} else if (t->format == TRACE_DIG && pkt != NULL)
		for (size_t i = 0; i < ldns_pkt_ancount(pkt); i++)
			trace_dig_rr(t->out, ldns_rr_list_rr(ldns_pkt_answer(pkt),
			    i));
	records[strcspn(records, "\0")] = '\0';
	trace_json(t, "answer", "rcode", rcode != NULL ? rcode : "?", "server",
	    t->answer_server, "records", records, "why",
	    result->ede_text != NULL ? result->ede_text : "", NULL);
	free(rcode);
	ldns_pkt_free(pkt);
}

/* Prints the findings; returns the highest severity + 1 (0: none). */
static int
print_findings(struct trace *t, unsigned *errors, unsigned *warnings)
{
	int worst = 0;

	*errors = *warnings = 0;
	if (t->format == TRACE_TEXT && t->finding_count > 0)
		fprintf(t->out, "== findings\n");
	for (unsigned i = 0; i < t->finding_count; i++) {
		const struct finding *f = &t->findings[i];

		if (f->severity == SEVERITY_ERROR)
			(*errors)++;
		else if (f->severity == SEVERITY_WARNING)
			(*warnings)++;
		if ((int)f->severity + 1 > worst)
			worst = (int)f->severity + 1;
		if (t->format == TRACE_TEXT)
			fprintf(t->out, "   %s%-7s%s %-24s %s: %s\n",
			    t->color && f->severity == SEVERITY_ERROR ?
			    "\033[31m" : t->color && f->severity ==
			    SEVERITY_WARNING ? "\033[33m" : "",
			    severity_name(f->severity), t->color ? "\033[0m" : "",
			    f->code, f->zone, f->text);
		trace_json(t, "finding", "severity", severity_name(f->severity),
		    "code", f->code, "zone", f->zone, "text", f->text, NULL);
	}
	return worst;
}

struct trace_options {
	struct cli_options common;
	const char *name, *type;	/* the positional arguments */
	enum trace_format format;
	int color;		/* -1: on a terminal */
	bool all;
	const char *delegate;	/* --delegate ZONE=NS[/ADDR],... */
	/* --delegate-ds RR and --delegate-ds-file FILE, in the order given */
	const char *ds[16];
	bool ds_is_file[16];
	unsigned ds_count;
	const char *svg;	/* --svg FILE */
};

static int
parse_trace_options(int argc, char **argv, struct trace_options *o)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONG_OPTIONS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "dig", no_argument, NULL, OPT_DIG },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "delegate", required_argument, NULL, OPT_DELEGATE },
		{ "delegate-ds", required_argument, NULL, OPT_DELEGATE_DS },
		{ "delegate-ds-file", required_argument, NULL,
		    OPT_DELEGATE_DS_FILE },
		{ "dot", no_argument, NULL, OPT_DOT },
		{ "svg", required_argument, NULL, OPT_SVG },
		{ "color", no_argument, NULL, OPT_COLOR },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool bad = false, extra = false;
	int opt;

	memset(o, 0, sizeof(*o));
	o->color = -1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "46h", longopts, NULL)) != -1) {
		if (cli_common_option("descend trace", opt, optarg, &o->common,
		    &bad))
			continue;
		switch (opt) {
		case OPT_JSON:
			o->format = TRACE_JSON;
			break;
		case OPT_DIG:
			o->format = TRACE_DIG;
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_DELEGATE:
			o->delegate = optarg;
			break;
		case OPT_DELEGATE_DS:
		case OPT_DELEGATE_DS_FILE:
			if (o->ds_count == 16) {
				fprintf(stderr, "descend trace: at most 16 "
				    "--delegate-ds and --delegate-ds-file\n");
				bad = true;
				break;
			}
			o->ds_is_file[o->ds_count] = opt == OPT_DELEGATE_DS_FILE;
			o->ds[o->ds_count++] = optarg;
			break;
		case OPT_DOT:
			o->format = TRACE_DOT;
			break;
		case OPT_SVG:
			o->svg = optarg;
			break;
		case OPT_COLOR:
			o->color = 1;
			break;
		case OPT_NO_COLOR:
			o->color = 0;
			break;
		case 'h':
			trace_usage(stdout);
			return -1;
		default:
			trace_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (bad)
		return EXIT_USAGE;
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '@' && o->common.server == NULL)
			o->common.server = argv[i] + 1;
		else if (argv[i][0] != '@' && o->name == NULL)
			o->name = argv[i];
		else if (argv[i][0] != '@' && o->type == NULL)
			o->type = argv[i];
		else
			extra = true;
	}
	if (o->ds_count > 0 && o->delegate == NULL) {
		fprintf(stderr, "descend trace: --delegate-ds and "
		    "--delegate-ds-file go with --delegate\n");
		return EXIT_USAGE;
	}
	if ((o->name == NULL && o->delegate == NULL) || extra) {
		trace_usage(stderr);
		return EXIT_USAGE;
	}
	if (o->svg != NULL && !trace_dot_available()) {
		fprintf(stderr, "descend trace: --svg needs Graphviz's dot, "
		    "which is not on PATH: install the graphviz package, or "
		    "use --dot and render elsewhere\n");
		return EXIT_USAGE;
	}
	if (o->common.server != NULL && o->common.root_hints != NULL) {
		fprintf(stderr, "descend trace: give either @SERVER or "
		    "--root-hints, not both\n");
		return EXIT_USAGE;
	}
	return 0;
}

int
trace_main(int argc, char **argv)
{
	struct trace_options o;
	struct engine_question question = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine *engine = NULL;
	struct cli_runner *runner = NULL;
	struct engine_request *request = NULL;
	struct engine_result result;
	struct findings_ctx ctx;
	struct trace t;
	const uint8_t *wire;
	unsigned errors, warnings;
	size_t len = 0;
	uint64_t elapsed;
	int rc = parse_trace_options(argc, argv, &o), worst;
	char name[256], *type, source[300];
	ldns_rr_list *server_hints = NULL;
	struct delegate_plan plan = { 0 };
	bool broken;

	if (rc != 0)
		return rc < 0 ? EXIT_CLEAN : rc;
	if (o.delegate != NULL && !delegate_parse("descend trace", o.delegate,
	    &plan))
		return EXIT_USAGE;
	for (unsigned i = 0; i < o.ds_count; i++)
		if (!(o.ds_is_file[i] ? delegate_add_ds_file : delegate_add_ds)(
		    "descend trace", &plan, o.ds[i])) {
			delegate_plan_free(&plan);
			return EXIT_USAGE;
		}
	if (o.name == NULL)	/* --delegate: the zone is the test name */
		question.name = ldns_rdf_clone(plan.zone);
	else if ((question.name = cli_parse_name("descend trace", o.name)) ==
	    NULL) {
		delegate_plan_free(&plan);
		return EXIT_USAGE;
	}
	rc = EXIT_USAGE;
	if (o.delegate != NULL && !dname_in_bailiwick(question.name,
	    plan.zone)) {
		fprintf(stderr, "descend trace: the test name %s is not in "
		    "the zone %s of --delegate\n", o.name, o.delegate);
		goto out;
	}
	if (o.type != NULL && !cli_parse_type("descend trace", o.type,
	    &question.type))
		goto out;
	if (o.common.server != NULL) {
		struct sockaddr_storage server;

		if (!server_address_parse(o.common.server, &server)) {
			fprintf(stderr, "descend trace: bad server '@%s': "
			    "expected an IPv4 or IPv6 address\n",
			    o.common.server);
			goto out;
		}
		snprintf(source, sizeof(source), "@%s", o.common.server);
		if ((server_hints = server_hints_collect("descend trace",
		    source, (struct sockaddr *)&server, &o.common)) == NULL) {
			rc = EXIT_BROKEN;
			goto out;
		}
		o.common.server_hints = server_hints;
	} else
		strlcpy(source, o.common.root_hints != NULL ?
		    o.common.root_hints : "built-in", sizeof(source));
	engine = cli_engine_new("descend trace", &o.common, false);
	ldns_rr_list_deep_free(server_hints);	/* the engine has its copy */
	if (engine == NULL || (runner = cli_runner_new(engine)) == NULL)
		goto out;
	trace_init(&t, o.format, stdout, o.color < 0 ? isatty(1) : o.color);
	t.qname = question.name;
	t.start_ms = cli_runner_now(runner).ms;
	dname_str(question.name, name, sizeof(name));
	type = ldns_rr_type2str(question.type);
	if (o.delegate != NULL)
		trace_print(&t, 0, "; descend trace --delegate %s, test name "
		    "%s %s, root servers from %s", o.delegate, name, type,
		    strcmp(source, "built-in") == 0 ? "the built-in hints" :
		    source);
	else
		trace_print(&t, 0, "; descend trace %s %s, root servers from %s",
		    name, type, strcmp(source, "built-in") == 0 ?
		    "the built-in hints" : source);
	trace_json(&t, "start", "qname", name, "qtype", type, "hints", source,
	    "delegate", o.delegate != NULL ? o.delegate : "", NULL);
	ctx.trace = &t;
	ctx.engine = engine;
	ctx.runner = runner;
	if (o.delegate != NULL) {
		free(type);
		broken = !delegate_check(&ctx, &plan, question.name,
		    question.type, o.common.ipv4_only, o.common.ipv6_only);
	} else {
		if (t.format == TRACE_DIG)
			fprintf(t.out, "\n; <<>> descend trace <<>> %s %s\n",
			    name, type);
		free(type);
		request = engine_request_new(engine, &question,
		    ENGINE_REQUEST_NO_CACHE, cli_runner_now(runner),
		    &trace_observer, &t);
		if (request == NULL || !cli_runner_start(runner, request)) {
			fprintf(stderr, "descend trace: out of memory\n");
			trace_free(&t);
			goto out;
		}
		cli_runner_run(runner);
		engine_request_result(request, &result);
		wire = engine_request_answer(request, &len);
		print_answer(&t, wire, len, &result);
		/* The checks: each delegation the resolution crossed. */
		if (t.format == TRACE_TEXT && t.cut_count > 0)
			fprintf(t.out, "== checks\n");
		for (unsigned i = 0; i < t.cut_count; i++) {
			findings_check_cut(&ctx, &t.cuts[i]);
			if (o.all)
				findings_compare_servers(&ctx, &t.cuts[i],
				    question.name, question.type);
		}
		/* The chain of trust: what the validator decided per cut,
		 * and what each server of each cut gives. */
		if (o.common.no_dnssec)
			trace_chain_unvalidated(&t);
		dnssec_probe_run(&ctx);
		trace_chain_report(&t);
		/* CDS, CDNSKEY and algorithm rollovers at signed cuts. */
		cds_check(&ctx);
		broken = result.rcode == LDNS_RCODE_SERVFAIL;
	}
	worst = print_findings(&t, &errors, &warnings);
	elapsed = cli_runner_now(runner).ms - t.start_ms;
	{
		const char *verdict = broken ? "broken" : worst > 0 ?
		    "degraded" : "ok";
		char ms[32], qs[32], es[32], ws[32];

		snprintf(ms, sizeof(ms), "%llu", (unsigned long long)elapsed);
		if (t.format == TRACE_TEXT)
			fprintf(t.out, "== summary: %s, %u error(s), %u warning(s), "
			    "%u notice(s), %u queries, %s ms\n", verdict, errors,
			    warnings, t.finding_count - errors - warnings,
			    t.queries, ms);
		snprintf(qs, sizeof(qs), "%u", t.queries);
		snprintf(es, sizeof(es), "%u", errors);
		snprintf(ws, sizeof(ws), "%u", warnings);
		trace_json(&t, "summary", "verdict", verdict, "errors", es,
		    "warnings", ws, "queries", qs, "ms", ms, NULL);
		rc = broken ? EXIT_BROKEN :
		    t.finding_count > 0 ? EXIT_FINDINGS : EXIT_CLEAN;
	}
	/* The picture: the title says what was traced and how it ended. */
	{
		char title[1024];

		snprintf(title, sizeof(title), "descend trace %s%s%s%s: %s",
		    o.delegate != NULL ? "--delegate " : "", o.delegate != NULL ?
		    o.delegate : "", o.delegate != NULL ? ", test name " : "",
		    name, rc == EXIT_BROKEN ? "broken" : rc == EXIT_FINDINGS ?
		    "degraded" : "ok");
		if (t.format == TRACE_DOT)
			trace_dot_write(&t, title, t.out);
		if (o.svg != NULL && trace_dot_svg(&t, title, o.svg,
		    "descend trace") != 0)
			rc = EXIT_USAGE;
	}
	trace_free(&t);
out:
	engine_request_free(request);
	cli_runner_free(runner);
	engine_free(engine);
	ldns_rdf_deep_free(question.name);
	delegate_plan_free(&plan);
	return rc;
}
