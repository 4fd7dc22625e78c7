/*
 * cli.c: helpers shared by the descend subcommands: argument parsing and a
 * private libuv loop that drives engine requests through resolver/net.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "net/drive.h"

ldns_rdf *
cli_parse_name(const char *prog, const char *text)
{
	ldns_rdf *name = NULL;
	size_t len = strlen(text);

	if (len == 0 || len > 254 || strstr(text, "..") != NULL ||
	    strpbrk(text, " \t\r\n") != NULL ||
	    (text[0] == '.' && len > 1) ||
	    ldns_str2rdf_dname(&name, text) != LDNS_STATUS_OK) {
		fprintf(stderr, "%s: '%s' is not a valid domain name\n", prog,
		    text);
		ldns_rdf_deep_free(name);
		return NULL;
	}
	return name;
}

bool
cli_parse_type(const char *prog, const char *text, ldns_rr_type *type)
{
	*type = ldns_get_rr_type_by_name(text);
	if (*type == 0) {
		fprintf(stderr, "%s: unknown record type '%s'\n", prog, text);
		return false;
	}
	return true;
}

static bool
parse_uint(const char *prog, const char *what, const char *arg, unsigned min,
    unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || v < min || v > max ||
	    arg[0] == '-') {
		fprintf(stderr, "%s: bad %s '%s': expected %u to %u\n", prog,
		    what, arg, min, max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

bool
cli_common_option(const char *prog, int opt, const char *arg,
    struct cli_options *o, bool *bad)
{
	switch (opt) {
	case OPT_ROOT_HINTS:
		o->root_hints = arg;
		return true;
	case '4':
		o->ipv4_only = true;
		return true;
	case '6':
		o->ipv6_only = true;
		return true;
	case OPT_NO_QMIN:
		o->no_qmin = true;
		return true;
	case OPT_NO_0X20:
		o->no_0x20 = true;
		return true;
	case OPT_TIMEOUT:
		/* Seconds for the whole request, like dig's +time. */
		if (!parse_uint(prog, "timeout", arg, 1, 300, &o->timeout_ms))
			*bad = true;
		o->timeout_ms *= 1000;
		return true;
	case OPT_TRIES:
		if (!parse_uint(prog, "tries", arg, 1, 10, &o->tries))
			*bad = true;
		return true;
	}
	return false;
}

struct engine *
cli_engine_new(const char *prog, const struct cli_options *o,
    bool fresh_cache)
{
	struct engine_config config;
	struct engine *engine;
	char err[512];

	engine_config_init(&config);
	config.root_hints_file = o->root_hints;
	config.root_hints = o->server_hints;
	config.query_loopback = o->root_hints != NULL || o->server != NULL;
	config.qname_minimisation = !o->no_qmin;
	config.use_0x20 = !o->no_0x20;
	config.fresh_cache = fresh_cache;
	config.cache_size = 8u * 1024 * 1024;
	if (o->ipv4_only)
		config.family = ENGINE_FAMILY_IPV4;
	if (o->ipv6_only)
		config.family = ENGINE_FAMILY_IPV6;
	if (o->timeout_ms != 0)
		config.request_timeout_ms = o->timeout_ms;
	if (o->tries != 0)
		config.tries = o->tries;
	if ((engine = engine_new(&config, err, sizeof(err))) == NULL)
		fprintf(stderr, "%s: %s\n", prog, err);
	return engine;
}

struct cli_runner {
	uv_loop_t loop;
	struct drive *drive;
	unsigned running;
};

struct cli_runner *
cli_runner_new(struct engine *engine)
{
	struct cli_runner *r = calloc(1, sizeof(*r));
	char err[256];

	if (r == NULL || uv_loop_init(&r->loop) != 0) {
		free(r);
		return NULL;
	}
	if ((r->drive = drive_new(&r->loop, engine, NULL, err,
	    sizeof(err))) == NULL) {
		uv_loop_close(&r->loop);
		free(r);
		return NULL;
	}
	return r;
}

static void
on_done(struct engine_request *request, void *arg)
{
	struct cli_runner *r = arg;

	(void)request;
	r->running--;
}

bool
cli_runner_start(struct cli_runner *r, struct engine_request *request)
{
	r->running++;
	if (drive_request_start(r->drive, request, on_done, r) != 0) {
		r->running--;
		return false;
	}
	return true;
}

void
cli_runner_run(struct cli_runner *r)
{
	while (r->running > 0 && uv_run(&r->loop, UV_RUN_ONCE) != 0)
		;
}

ldns_pkt *
cli_runner_ask(struct cli_runner *r, struct engine *engine,
    const ldns_rdf *name, ldns_rr_type type, const struct sockaddr *addr,
    bool over_tcp)
{
	struct engine_question q = { .name = (ldns_rdf *)name, .type = type,
	    .klass = LDNS_RR_CLASS_IN };
	socklen_t len = addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	struct engine_request *req = engine_request_new_direct(engine, &q,
	    addr, len, over_tcp, cli_runner_now(r), NULL, NULL);
	ldns_pkt *reply = NULL;

	if (req == NULL)
		return NULL;
	if (cli_runner_start(r, req)) {
		cli_runner_run(r);
		if (engine_request_reply(req) != NULL)
			reply = ldns_pkt_clone(engine_request_reply(req));
	}
	engine_request_free(req);
	return reply;
}

struct engine_now
cli_runner_now(struct cli_runner *r)
{
	return drive_now(r->drive);
}

void
cli_runner_free(struct cli_runner *r)
{
	if (r == NULL)
		return;
	drive_free(r->drive);
	uv_run(&r->loop, UV_RUN_DEFAULT);	/* let the handles close */
	uv_loop_close(&r->loop);
	free(r);
}
