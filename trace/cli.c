/*
 * cli.c: helpers shared by the descend subcommands: argument parsing and a
 * private libuv loop that drives engine requests through resolver/net.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dnssec/trust_anchor.h"
#include "net/drive.h"
#include "server_hints.h"

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

const char *
cli_addr_str(const struct sockaddr *addr, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN] = "?";
	uint16_t port;

	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)addr;

		inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
		port = ntohs(in6->sin6_port);
	} else {
		const struct sockaddr_in *in = (const void *)addr;

		inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
		port = ntohs(in->sin_port);
	}
	if (port == 53)
		snprintf(buf, len, "%s", text);
	else
		snprintf(buf, len, "%s@%u", text, port);
	return buf;
}

/* ADDR or ADDR@PORT, IPv4 or IPv6. */
static bool
parse_zone_address(const char *text, struct sockaddr_storage *ss)
{
	char addr[INET6_ADDRSTRLEN + 8], *at;
	unsigned port = 53;

	if (strlcpy(addr, text, sizeof(addr)) >= sizeof(addr))
		return false;
	if ((at = strchr(addr, '@')) != NULL) {
		char *end;
		unsigned long p;

		*at++ = '\0';
		errno = 0;
		p = strtoul(at, &end, 10);
		if (errno != 0 || end == at || *end != '\0' || p == 0 ||
		    p > 65535)
			return false;
		port = (unsigned)p;
	}
	if (!server_address_parse(addr, ss))
		return false;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return true;
}

/* --forward ZONE=ADDR[,ADDR...] and --stub ZONE=ADDR[,ADDR...]. */
static bool
parse_zone_option(const char *prog, const char *what, const char *arg,
    enum engine_zone_kind kind, struct cli_options *o)
{
	char copy[1024], *eq, *addr, *save = NULL;
	size_t i = o->zone_count;
	struct engine_zone *z = &o->zones[i];
	ldns_rdf *name = NULL;

	if (i == CLI_ZONES_MAX) {
		fprintf(stderr, "%s: at most %d --forward and --stub zones\n",
		    prog, CLI_ZONES_MAX);
		return false;
	}
	if (strlcpy(copy, arg, sizeof(copy)) >= sizeof(copy) ||
	    (eq = strchr(copy, '=')) == NULL || eq == copy || eq[1] == '\0') {
		fprintf(stderr, "%s: bad %s '%s': expected ZONE=ADDR[@PORT]"
		    "[,ADDR...]\n", prog, what, arg);
		return false;
	}
	*eq = '\0';
	if (ldns_str2rdf_dname(&name, copy) != LDNS_STATUS_OK) {
		fprintf(stderr, "%s: bad %s zone '%s'\n", prog, what, copy);
		return false;
	}
	ldns_rdf_deep_free(name);
	memset(z, 0, sizeof(*z));
	strlcpy(o->zone_names[i], copy, sizeof(o->zone_names[i]));
	for (addr = strtok_r(eq + 1, ",", &save); addr != NULL;
	    addr = strtok_r(NULL, ",", &save)) {
		if (z->addr_count == CLI_ZONE_ADDRS_MAX ||
		    !parse_zone_address(addr, &o->zone_addrs[i][z->addr_count])) {
			fprintf(stderr, "%s: bad %s address '%s': expected at "
			    "most %d of ADDR[@PORT]\n", prog, what, addr,
			    CLI_ZONE_ADDRS_MAX);
			return false;
		}
		z->addr_count++;
	}
	z->kind = kind;
	z->name = o->zone_names[i];
	z->addrs = o->zone_addrs[i];
	o->zone_count++;
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
	case OPT_FORWARD:
	case OPT_STUB:
		if (!parse_zone_option(prog, opt == OPT_FORWARD ? "--forward" :
		    "--stub", arg, opt == OPT_FORWARD ? ENGINE_ZONE_FORWARD :
		    ENGINE_ZONE_STUB, o))
			*bad = true;
		return true;
	case OPT_FORWARD_FIRST:
		o->forward_first = true;
		return true;
	case OPT_TRUST_ANCHOR:
		if (o->trust_anchor_count == sizeof(o->trust_anchors) /
		    sizeof(o->trust_anchors[0])) {
			fprintf(stderr, "%s: too many --trust-anchor files\n",
			    prog);
			*bad = true;
		} else
			o->trust_anchors[o->trust_anchor_count++] = arg;
		return true;
	case OPT_NO_DNSSEC:
		o->no_dnssec = true;
		return true;
	}
	return false;
}

static const char *dnssec_note = "DNSSEC validation off (--no-dnssec)";

const char *
cli_dnssec_note(void)
{
	return dnssec_note;
}

struct engine *
cli_engine_new(const char *prog, const struct cli_options *o,
    bool fresh_cache)
{
	struct engine_config config;
	struct engine_zone zones[CLI_ZONES_MAX];
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
	/* --forward-first may come after the zones it applies to. */
	memcpy(zones, o->zones, sizeof(zones));
	for (size_t i = 0; i < o->zone_count; i++)
		zones[i].forward_first = o->forward_first &&
		    zones[i].kind == ENGINE_ZONE_FORWARD;
	config.zones = zones;
	config.zone_count = o->zone_count;
	config.dnssec_validation = !o->no_dnssec;
	if (o->no_dnssec)
		dnssec_note = "DNSSEC validation off (--no-dnssec)";
	else if (o->trust_anchor_count > 0) {
		config.trust_anchor_files = o->trust_anchors;
		config.trust_anchor_file_count = o->trust_anchor_count;
		dnssec_note = "DNSSEC validation with --trust-anchor";
	} else if (access(TRUST_ANCHOR_DEBIAN_ROOT, R_OK) == 0) {
		static const char *const debian[] = { TRUST_ANCHOR_DEBIAN_ROOT };

		config.trust_anchor_files = debian;
		config.trust_anchor_file_count = 1;
		dnssec_note = "DNSSEC validation with " TRUST_ANCHOR_DEBIAN_ROOT;
	} else {
		config.dnssec_validation = false;
		dnssec_note = "DNSSEC validation off: no trust anchor ("
		    TRUST_ANCHOR_DEBIAN_ROOT " is not readable; "
		    "install dns-root-data or give --trust-anchor)";
	}
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
