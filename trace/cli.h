/*
 * cli.h: what the `descend` subcommands share: exit codes, parsing a name
 * and a type from the command line, and running engine requests on a
 * private libuv loop until they finish.
 */
#ifndef DESCEND_CLI_H
#define DESCEND_CLI_H

#include <stdbool.h>

#include <ldns/ldns.h>

#include "engine.h"

/* Exit codes shared by every subcommand (descend(1)). */
enum cli_exit {
	EXIT_CLEAN = 0,		/* resolved, nothing to report */
	EXIT_FINDINGS = 1,	/* resolved, with findings (trace) or non-NOERROR */
	EXIT_BROKEN = 2,	/* did not resolve (SERVFAIL, timeout) */
	EXIT_USAGE = 3,		/* bad arguments or a local error */
};

/* Parses a domain name; prints a one-line error and returns NULL if bad. */
ldns_rdf *cli_parse_name(const char *prog, const char *text);
/* Parses a type mnemonic or TYPEnnn; false (with an error line) if unknown. */
bool cli_parse_type(const char *prog, const char *text, ldns_rr_type *type);

/* --forward and --stub zones one command line may give. */
#define CLI_ZONES_MAX		8
#define CLI_ZONE_ADDRS_MAX	8

/* Options every resolving subcommand accepts. */
struct cli_options {
	const char *root_hints;
	const char *server;		/* trace @SERVER, as given */
	const ldns_rr_list *server_hints; /* the root servers it named */
	bool ipv4_only, ipv6_only;
	bool no_qmin;
	bool no_0x20;
	unsigned timeout_ms;		/* per request; 0: default */
	unsigned tries;
	/* --forward ZONE=ADDR[,ADDR...], --stub ZONE=ADDR[,...], --forward-first */
	struct engine_zone zones[CLI_ZONES_MAX];
	char zone_names[CLI_ZONES_MAX][256];
	struct sockaddr_storage zone_addrs[CLI_ZONES_MAX][CLI_ZONE_ADDRS_MAX];
	size_t zone_count;
	bool forward_first;
	/* DNSSEC: --trust-anchor FILE (repeatable; default Debian's root.key), --no-dnssec */
	const char *trust_anchors[8];
	unsigned trust_anchor_count;
	bool no_dnssec;
};

/*
 * Handles one common option (getopt_long `opt` with `arg`); returns false
 * if `opt` is not a common one. Long option table entries: see
 * CLI_COMMON_LONG_OPTIONS.
 */
enum {
	OPT_ROOT_HINTS = 0x100, OPT_NO_QMIN, OPT_NO_0X20, OPT_TIMEOUT,
	OPT_TRIES, OPT_JSON, OPT_DIG, OPT_ALL, OPT_NO_COLOR, OPT_COLOR,
	OPT_SOCKET, OPT_FORWARD, OPT_STUB, OPT_FORWARD_FIRST, OPT_TRUST_ANCHOR,
	OPT_NO_DNSSEC, OPT_DELEGATE, OPT_DOT, OPT_SVG,
	OPT_DELEGATE_DS, OPT_DELEGATE_DS_FILE,
};
#define CLI_COMMON_LONG_OPTIONS \
	{ "root-hints", required_argument, NULL, OPT_ROOT_HINTS }, \
	{ "no-qmin", no_argument, NULL, OPT_NO_QMIN }, \
	{ "no-0x20", no_argument, NULL, OPT_NO_0X20 }, \
	{ "timeout", required_argument, NULL, OPT_TIMEOUT }, \
	{ "tries", required_argument, NULL, OPT_TRIES }, \
	{ "forward", required_argument, NULL, OPT_FORWARD }, \
	{ "forward-first", no_argument, NULL, OPT_FORWARD_FIRST }, \
	{ "stub", required_argument, NULL, OPT_STUB }, \
	{ "trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR }, \
	{ "no-dnssec", no_argument, NULL, OPT_NO_DNSSEC }
bool cli_common_option(const char *prog, int opt, const char *arg,
    struct cli_options *options, bool *bad);

/*
 * Makes an engine for the options (the engine copies server_hints). With a
 * hints file or @SERVER the user chose the servers, so loopback upstreams
 * are allowed (the lab lives on 127/8). It validates with the
 * --trust-anchor files, else with Debian's root anchor when it is
 * readable (else not at all: cli_dnssec_note() says so); never with
 * --no-dnssec.
 */
struct engine *cli_engine_new(const char *prog,
    const struct cli_options *options, bool fresh_cache);

/* One line on how the last engine validates, for the output (static). */
const char *cli_dnssec_note(void);

/* Runs requests on a private loop until all have finished. */
struct cli_runner;
struct cli_runner *cli_runner_new(struct engine *engine);
/* Starts `request`; returns false when it could not be started. */
bool cli_runner_start(struct cli_runner *runner,
    struct engine_request *request);
void cli_runner_run(struct cli_runner *runner);
struct engine_now cli_runner_now(struct cli_runner *runner);
/*
 * Asks one server one question (RD clear) and waits for it; returns a copy
 * of the reply for the caller to free, or NULL on timeout or error.
 */
ldns_pkt *cli_runner_ask(struct cli_runner *runner, struct engine *engine,
    const ldns_rdf *name, ldns_rr_type type, const struct sockaddr *addr,
    bool over_tcp);
void cli_runner_free(struct cli_runner *runner);

/* An address with its port when it is not 53 ("192.0.2.1@5353"). */
const char *cli_addr_str(const struct sockaddr *addr, char *buf, size_t len);

/* Subcommands. */
int query_main(int argc, char **argv);
int trace_main(int argc, char **argv);
int control_main(int argc, char **argv);

#endif /* DESCEND_CLI_H */
