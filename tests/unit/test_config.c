/*
 * test_config.c: descendd's configuration reader: every key, the defaults,
 * one precise "FILE:LINE: message" per problem, includes and their loops.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "engine_limits.h"
#include "tap.h"

#if !defined(TEST_DATA) || !defined(TEST_EXAMPLE)
#error "daemon.am defines TEST_DATA and TEST_EXAMPLE"
#endif

/* What config_load() wrote to its error stream, and how many problems. */
struct loaded {
	unsigned problems;
	char *errors;
	size_t errors_len;
};

static struct loaded
load(struct daemon_config *c, const char *path)
{
	struct loaded l = { 0 };
	FILE *errors = open_memstream(&l.errors, &l.errors_len);

	if (errors == NULL || !config_init(c))
		abort();
	l.problems = config_load(c, path, errors);
	fclose(errors);
	return l;
}

/* Writes `text` to a fresh temporary file; its name goes to `path`. */
static void
write_temp(char *path, size_t len, const char *text)
{
	int fd;

	snprintf(path, len, "/tmp/descend-test-config-XXXXXX");
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static struct loaded
load_text(struct daemon_config *c, char *path, size_t len, const char *text)
{
	struct loaded l;

	write_temp(path, len, text);
	l = load(c, path);
	unlink(path);
	return l;
}

/* Exactly `problems` problems, reported as `want`. */
static void
ok_errors(const struct loaded *l, unsigned problems, const char *want,
    const char *what)
{
	if (!ok(l->problems == problems && strcmp(l->errors, want) == 0, "%s",
	    what))
		diag("%u problem(s), expected %u:\n%s", l->problems, problems,
		    l->errors);
}

static bool
is_address(const struct sockaddr_storage *ss, const char *text, unsigned port)
{
	char buf[INET6_ADDRSTRLEN];
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf)) &&
		    strcmp(buf, text) == 0 && ntohs(in->sin_port) == port;
	if (ss->ss_family == AF_INET6)
		return inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf)) &&
		    strcmp(buf, text) == 0 && ntohs(in6->sin6_port) == port;
	return false;
}

static enum acl_action
check(const struct acl *acl, const char *v4)
{
	struct sockaddr_in in = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, v4, &in.sin_addr) != 1)
		abort();
	return acl_check(acl, (const struct sockaddr *)&in);
}

static void
test_defaults(void)
{
	struct daemon_config c;
	struct engine_config e;
	char path[64];
	struct loaded l = load_text(&c, path, sizeof(path),
	    "# nothing but a comment\n\n   \n");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	engine_config_init(&e);
	ok_errors(&l, 0, "", "an empty file has no problems");
	ok(c.listen_count == 2 && is_address(&c.listens[0].addr, "127.0.0.1",
	    53) && is_address(&c.listens[1].addr, "::1", 53),
	    "listen defaults to 127.0.0.1@53 and ::1@53");
	ok(c.listens[0].addrlen == sizeof(struct sockaddr_in) &&
	    c.listens[1].addrlen == sizeof(struct sockaddr_in6),
	    "listen addresses carry their length");
	ok(c.root_hints == NULL && c.engine.root_hints_file == NULL,
	    "root-hints defaults to the built-in hints");
	ok(c.engine.cache_size == LIMIT_CACHE_SIZE_DEFAULT &&
	    c.engine.cache_max_ttl == LIMIT_CACHE_MAX_TTL &&
	    c.engine.cache_min_ttl == LIMIT_CACHE_MIN_TTL &&
	    c.engine.cache_max_negative_ttl == LIMIT_CACHE_MAX_NEGATIVE_TTL,
	    "cache settings default to engine_limits.h");
	ok(c.engine.dnssec_validation && c.engine.trust_anchor_file_count == 1 &&
	    strcmp(c.engine.trust_anchor_files[0],
	    "/usr/share/dns/root.key") == 0,
	    "dnssec-validation on with Debian's root anchor by default");
	/* The anchor list is the one setting config_load fills in. */
	e.trust_anchor_files = c.engine.trust_anchor_files;
	e.trust_anchor_file_count = c.engine.trust_anchor_file_count;
	ok(memcmp(&c.engine, &e, sizeof(e)) == 0,
	    "the engine settings are engine_config_init()'s");
	ok(c.engine.qname_minimisation && c.engine.use_0x20 &&
	    !c.engine.query_loopback && !c.engine.serve_stale &&
	    c.engine.prefetch, "qname-minimisation, use-0x20, prefetch on; "
	    "query-loopback, serve-stale off");
	ok(c.outgoing_v4.ss_family == 0 && c.outgoing_v6.ss_family == 0,
	    "no outgoing-interface by default");
	ok(c.threads == (unsigned)(cpus < 1 ? 1 : cpus > 64 ? 64 : cpus),
	    "threads defaults to the online CPUs (%u)", c.threads);
	ok(strcmp(c.control_socket, "/run/descend/control.sock") == 0,
	    "control-socket defaults to /run/descend/control.sock");
	ok(c.pidfile == NULL, "no pidfile by default");
	ok(c.log_level == LOG_LEVEL_INFO && !c.log_queries,
	    "log-level info, log-queries no by default");
	ok(check(c.acl, "127.0.0.1") == ACL_ALLOW &&
	    check(c.acl, "8.8.8.8") == ACL_REFUSE,
	    "the default access list allows loopback and refuses the rest");
	config_free(&c);
	free(l.errors);
}

static void
test_all_keys(void)
{
	struct daemon_config c;
	struct loaded l = load(&c, TEST_DATA "/all-keys.conf");

	ok_errors(&l, 0, "", "all-keys.conf has no problems");
	ok(c.listen_count == 2 &&
	    is_address(&c.listens[0].addr, "192.0.2.1", 5353) &&
	    is_address(&c.listens[1].addr, "2001:db8::1", 53),
	    "listen: an IPv4 address with a port, a quoted IPv6 without");
	ok(c.root_hints != NULL && strcmp(c.root_hints,
	    "/etc/descend/root hints # not a comment") == 0 &&
	    c.engine.root_hints_file == c.root_hints,
	    "root-hints: quoted, '#' inside quotes kept, engine points at it");
	ok(check(c.acl, "10.2.3.4") == ACL_ALLOW &&
	    check(c.acl, "10.1.2.3") == ACL_DENY &&
	    check(c.acl, "127.0.0.1") == ACL_ALLOW &&
	    check(c.acl, "11.0.0.1") == ACL_REFUSE,
	    "access-control: user rules by longest prefix, defaults behind");
	ok(c.engine.query_loopback, "query-loopback: yes");
	ok(is_address(&c.outgoing_v4, "198.51.100.7", 0) &&
	    is_address(&c.outgoing_v6, "2001:db8::7", 0),
	    "outgoing-interface: one IPv4 and one IPv6");
	ok(c.engine.cache_size == 128ull * 1024 * 1024,
	    "cache-size: 128M is 128 MiB (suffix case-insensitive)");
	ok(c.engine.cache_max_ttl == 3600 && c.engine.cache_min_ttl == 60 &&
	    c.engine.cache_max_negative_ttl == 300,
	    "cache-max-ttl, cache-min-ttl, cache-max-negative-ttl");
	ok(c.threads == 3, "threads: 3");
	ok(!c.engine.qname_minimisation && !c.engine.use_0x20 &&
	    c.engine.serve_stale && !c.engine.prefetch,
	    "qname-minimisation, use-0x20, serve-stale, prefetch");
	ok(c.engine.stale_client_timeout_ms == 500 &&
	    c.engine.request_timeout_ms == 4000,
	    "serve-stale-client-timeout: 500, request-timeout: 4000");
	ok(strcmp(c.control_socket, "/tmp/descend-test.sock") == 0 &&
	    c.pidfile != NULL && strcmp(c.pidfile, "/tmp/descend-test.pid") == 0,
	    "control-socket and pidfile");
	ok(c.log_level == LOG_LEVEL_DEBUG && c.log_queries,
	    "log-level: debug, log-queries: yes");
	ok(c.max_udp_size == 4096, "max-udp-size: 4096");
	ok(c.tcp_connections_per_address == 16,
	    "tcp-connections-per-address: 16");
	ok(c.tcp_idle_timeout_ms == 3000 && c.tcp_stall_timeout_ms == 5000,
	    "tcp-idle-timeout: 3000, tcp-stall-timeout: 5000");
	ok(c.tcp_send_buffer == 8192, "tcp-send-buffer: 8192");
	ok(c.engine.zone_count == 2 &&
	    c.engine.zones[0].kind == ENGINE_ZONE_FORWARD &&
	    strcmp(c.engine.zones[0].name, "corp.example.") == 0 &&
	    c.engine.zones[0].forward_first &&
	    c.engine.zones[0].addr_count == 2 &&
	    is_address(&c.engine.zones[0].addrs[0], "192.0.2.53", 53) &&
	    is_address(&c.engine.zones[0].addrs[1], "2001:db8::53", 5353) &&
	    c.engine.zones[1].kind == ENGINE_ZONE_STUB &&
	    strcmp(c.engine.zones[1].name, "lab.example") == 0 &&
	    !c.engine.zones[1].forward_first &&
	    c.engine.zones[1].addr_count == 1,
	    "forward-zone with forward-first, stub-zone (quoted name)");
	ok(c.engine.private_address_count == 2 &&
	    c.engine.private_addresses[0].family == AF_INET &&
	    c.engine.private_addresses[0].prefix == 8 &&
	    c.engine.private_addresses[0].addr[0] == 10 &&
	    c.engine.private_addresses[1].family == AF_INET6 &&
	    c.engine.private_addresses[1].prefix == 8 &&
	    c.engine.private_domain_count == 1 &&
	    strcmp(c.engine.private_domains[0], "lan.") == 0,
	    "private-address (IPv4, IPv6) and private-domain");
	config_free(&c);
	free(l.errors);
}

/* Each value of a key on its own: `text` is one line. */
static void
test_values(void)
{
	static const struct {
		const char *text;
		size_t cache_size;
		int log_level;
	} cases[] = {
		{ "cache-size: 1m", 1u << 20, -1 },
		{ "cache-size: 1048576", 1u << 20, -1 },
		{ "cache-size: 2048K", 2u << 20, -1 },
		{ "cache-size: 1g", 1u << 30, -1 },
		{ "cache-size: 64g", 64ull << 30, -1 },
		{ "log-level: error", 0, LOG_LEVEL_ERROR },
		{ "log-level: warning", 0, LOG_LEVEL_WARNING },
		{ "log-level: info", 0, LOG_LEVEL_INFO },
		{ "log-level: 0", 0, LOG_LEVEL_ERROR },
		{ "log-level: 3", 0, LOG_LEVEL_DEBUG },
	};
	struct daemon_config c;
	char path[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loaded l = load_text(&c, path, sizeof(path),
		    cases[i].text);

		if (cases[i].log_level >= 0)
			ok(l.problems == 0 &&
			    (int)c.log_level == cases[i].log_level,
			    "'%s' sets log level %d", cases[i].text,
			    cases[i].log_level);
		else
			ok(l.problems == 0 &&
			    c.engine.cache_size == cases[i].cache_size,
			    "'%s' is %zu bytes", cases[i].text,
			    cases[i].cache_size);
		config_free(&c);
		free(l.errors);
	}
}

static void
test_errors(void)
{
	static const char *const expected[] = {
		":1: unknown key 'cache-sise'",
		":2: bad value 'maybe' for 'prefetch': expected yes or no",
		":3: bad address '1.2.3' in listen: expected ADDR[@PORT]",
		":4: bad address '127.0.0.1@0' in listen: expected ADDR[@PORT]",
		":5: bad address '127.0.0.1@65536' in listen: expected "
		    "ADDR[@PORT]",
		":6: bad value '0' for 'threads': expected a number from 1 "
		    "to 64",
		":7: bad value '65' for 'threads': expected a number from 1 "
		    "to 64",
		":8: bad value '4x' for 'threads': expected a number from 1 "
		    "to 64",
		":9: bad value '1k' for 'cache-size': expected a size from 1m "
		    "to 64g",
		":10: bad value '65g' for 'cache-size': expected a size from "
		    "1m to 64g",
		":11: bad value '99999999999999999999999' for 'cache-size': "
		    "expected a size from 1m to 64g",
		":12: bad value '604801' for 'cache-max-ttl': expected a "
		    "number from 0 to 604800",
		":13: bad value '-1' for 'cache-min-ttl': expected a number "
		    "from 0 to 604800",
		":14: bad netblock '10.0.0.0/33': prefix "
		    "length '33' is not 0 to 32",
		":15: bad access-control action 'maybe': expected allow, "
		    "refuse, deny or allow_snoop",
		":16: bad netblock 'garbage': expected "
		    "ADDR[/LEN]",
		":17: bad access-control '10.0.0.0/8': expected NETBLOCK "
		    "allow|refuse|deny|allow_snoop",
		":18: bad value 'loud' for 'log-level': expected error, "
		    "warning, info or debug",
		":19: bad address '192.0.2.1@53' in outgoing-interface",
		":20: expected 'key: value', got 'no colon here'",
		":21: missing value for 'root-hints'",
		":22: unterminated quote",
		":23: cannot read '" TEST_DATA "/does-not-exist.conf': No such "
		    "file or directory",
		":25: second IPv4 outgoing-interface '192.0.2.2': one per "
		    "family",
		":26: forward-first must follow the forward-zone line it "
		    "applies to",
		":27: bad forward-zone 'corp.example': expected NAME "
		    "ADDR[@PORT] [ADDR...]",
		":28: bad address '192.0.2.1@99999' in forward-zone: expected "
		    "ADDR[@PORT]",
		":29: bad forward-zone name 'corp..example'",
		":31: forward-zone 'corp.example': the zone is already a "
		    "stub-zone",
		":32: bad value 'perhaps' for 'forward-first': expected yes "
		    "or no",
		":33: bad private-address '10.0.0.0/33': expected ADDR[/LEN]",
		":34: bad private-address '10.0.0.x': expected ADDR[/LEN]",
		":35: bad private-domain 'bad..name'",
		":36: local-zone 'ads.example.': unknown type 'blocklist' "
		    "(static, redirect, transparent, refuse, deny, "
		    "always_nxdomain, always_refuse, always_nodata, nodefault)",
		":37: bad value '50' for 'request-timeout': expected a number "
		    "from 100 to 300000",
		":38: bad value '0' for 'tcp-connections-per-address': "
		    "expected a number from 1 to 256",
		":39: bad value '257' for 'tcp-connections-per-address': "
		    "expected a number from 1 to 256",
		":40: bad value '100' for 'tcp-idle-timeout': expected a "
		    "number from 200 to 120000",
		":41: bad value '120001' for 'tcp-stall-timeout': expected a "
		    "number from 500 to 120000",
		":42: bad value '4095' for 'tcp-send-buffer': expected a "
		    "number from 4096 to 4194304",
		":43: bad value '4194305' for 'tcp-send-buffer': expected a "
		    "number from 4096 to 4194304",
		":44: bad value '-1' for 'tcp-send-buffer': expected a "
		    "number from 4096 to 4194304",
	};
	const size_t n = sizeof(expected) / sizeof(expected[0]);
	const char *path = TEST_DATA "/errors.conf";
	struct daemon_config c;
	struct loaded l = load(&c, path);
	char *line = l.errors, *next;
	size_t i;

	ok(l.problems == n, "errors.conf: %u problems, expected %zu",
	    l.problems, n);
	for (i = 0; i < n && line != NULL && *line != '\0'; i++, line = next) {
		size_t plen = strlen(path);

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (!ok(strncmp(line, path, plen) == 0 &&
		    strcmp(line + plen, expected[i]) == 0,
		    "errors.conf%s", expected[i]))
			diag("got %s", line);
	}
	ok(i == n && (line == NULL || *line == '\0'),
	    "one line per problem, nothing else");
	ok(is_address(&c.outgoing_v4, "192.0.2.1", 0),
	    "the first outgoing-interface of a family is kept");
	config_free(&c);
	free(l.errors);
}

static void
test_min_above_max(void)
{
	struct daemon_config c;
	char path[64], want[160];
	struct loaded l = load_text(&c, path, sizeof(path),
	    "cache-min-ttl: 600\ncache-max-ttl: 60\n");

	snprintf(want, sizeof(want), "%s: cache-min-ttl (600) is above "
	    "cache-max-ttl (60)\n", path);
	ok_errors(&l, 1, want, "cache-min-ttl above cache-max-ttl is a "
	    "problem of the file, after all its lines");
	config_free(&c);
	free(l.errors);
}

static void
test_unreadable(void)
{
	struct daemon_config c;
	const char *path = TEST_DATA "/no-such-file.conf";
	struct loaded l = load(&c, path);
	char want[256];

	snprintf(want, sizeof(want), "%s: No such file or directory\n", path);
	ok_errors(&l, 1, want, "a missing configuration file is a problem");
	config_free(&c);
	free(l.errors);
}

static void
test_include(void)
{
	struct daemon_config c;
	struct loaded l = load(&c, TEST_DATA "/main.conf");

	ok_errors(&l, 1, TEST_DATA "/sub/nested.conf:2: unknown key "
	    "'unknown-in-nested'\n", "a problem in a nested include names that "
	    "file and line");
	ok(c.threads == 2 && c.engine.cache_max_ttl == 7200 &&
	    c.log_level == LOG_LEVEL_WARNING,
	    "keys before, inside and after the include are all read");
	ok(c.listen_count == 1 && is_address(&c.listens[0].addr, "::1", 5300),
	    "include paths are relative to the including file (sub/nested)");
	config_free(&c);
	free(l.errors);

	l = load(&c, TEST_DATA "/include-loop.conf");
	ok_errors(&l, 1, TEST_DATA "/include-loop.conf:1: include nested "
	    "deeper than 8 (a loop?): 'include-loop.conf'\n",
	    "an include loop stops at depth 8 with one problem");
	config_free(&c);
	free(l.errors);

	/* A directory opens, then reads as nothing: an error, not empty. */
	{
		char path[64];

		l = load_text(&c, path, sizeof(path), "include: /\n");
		ok_errors(&l, 1, "/:0: read error: Is a directory\n",
		    "an included directory is a read error");
		config_free(&c);
		free(l.errors);
	}
}

static void
test_print(void)
{
	struct daemon_config c, again;
	char *text = NULL, *text2 = NULL, path[64];
	size_t len = 0, len2 = 0;
	struct loaded l = load(&c, TEST_DATA "/all-keys.conf");
	FILE *out = open_memstream(&text, &len);

	config_print(&c, out);
	fclose(out);
	ok(strstr(text, "listen: 192.0.2.1@5353\n") != NULL &&
	    strstr(text, "listen: 2001:db8::1@53\n") != NULL &&
	    strstr(text, "access-control: 10.1.0.0/16 deny\n") != NULL &&
	    strstr(text, "cache-size: 134217728\n") != NULL &&
	    strstr(text, "outgoing-interface: 2001:db8::7\n") != NULL &&
	    strstr(text, "log-level: debug\n") != NULL &&
	    strstr(text, "forward-zone: corp.example. 192.0.2.53@53 "
	    "2001:db8::53@5353\nforward-first: yes\n") != NULL &&
	    strstr(text, "stub-zone: lab.example 192.0.2.54@53\n") != NULL &&
	    strstr(text, "local-zone: ads.example. refuse\n") != NULL &&
	    strstr(text, "local-data: \"printer.lan. 600 IN A "
	    "192.168.1.5\"\n") != NULL &&
	    strstr(text, "private-address: fd00::/8\n") != NULL &&
	    strstr(text, "private-domain: \"lan.\"\n") != NULL &&
	    strstr(text, "dnstap-socket-path: \"/run/descend/tap.sock\"\n"
	    "dnstap-identity: \"resolver 1\"\n"
	    "dnstap-log-client-queries: yes\n"
	    "dnstap-log-client-responses: no\n"
	    "dnstap-log-resolver-queries: yes\n"
	    "dnstap-log-resolver-responses: yes\n") != NULL,
	    "config_print shows the effective values");
	free(l.errors);

	/* What config_print writes reads back to the same configuration. */
	l = load_text(&again, path, sizeof(path), text);
	out = open_memstream(&text2, &len2);
	config_print(&again, out);
	fclose(out);
	ok_errors(&l, 0, "", "config_print's output reads without problems");
	ok(strcmp(text, text2) == 0, "and prints back unchanged");
	config_free(&again);
	config_free(&c);
	free(l.errors);
	free(text);
	free(text2);
}

/*
 * contrib/descendd.conf reads as it is (all comments), and with every
 * "# key: value" line uncommented: each example value is valid.
 */
static void
test_example(void)
{
	static const char *const all_keys[] = {
		"listen", "root-hints", "access-control", "query-loopback",
		"outgoing-interface", "cache-size", "cache-max-ttl",
		"cache-min-ttl", "cache-max-negative-ttl", "threads",
		"qname-minimisation", "use-0x20", "serve-stale", "prefetch",
		"serve-stale-client-timeout", "request-timeout",
		"max-udp-size", "tcp-connections-per-address", "tcp-idle-timeout",
		"tcp-stall-timeout", "tcp-send-buffer",
		"control-socket", "pidfile", "log-level", "log-queries",
		"forward-zone", "forward-first", "stub-zone",
		"username", "chroot", "metrics-listen",
		"local-zone", "local-data", "private-address", "private-domain",
		"dnstap-file", "dnstap-identity", "dnstap-log-client-queries",
		"dnstap-log-client-responses", "dnstap-log-resolver-queries",
		"dnstap-log-resolver-responses",
	};
	struct daemon_config c;
	char path[64], *line = NULL, *text = NULL;
	size_t cap = 0, len = 0;
	unsigned keys = 0;
	struct loaded l = load(&c, TEST_EXAMPLE);
	FILE *in = fopen(TEST_EXAMPLE, "r"), *out;

	ok_errors(&l, 0, "", "contrib/descendd.conf reads without problems");
	config_free(&c);
	free(l.errors);
	if (in == NULL || (out = open_memstream(&text, &len)) == NULL)
		abort();
	fputc('\n', out);	/* every key follows a newline */
	while (getline(&line, &cap, in) != -1) {
		size_t key = strspn(line + 2,
		    "abcdefghijklmnopqrstuvwxyz0123456789-");

		if (strncmp(line, "# ", 2) == 0 && key > 0 &&
		    line[2 + key] == ':' &&
		    strncmp(line + 2, "include:", 8) != 0) {
			fputs(line + 2, out);
			keys++;
		}
	}
	free(line);
	fclose(in);
	fclose(out);
	l = load_text(&c, path, sizeof(path), text);
	ok_errors(&l, 0, "", "its example lines, uncommented, read without "
	    "problems");
	for (size_t i = 0; i < sizeof(all_keys) / sizeof(all_keys[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "\n%s: ", all_keys[i]);
		if (!ok(strstr(text, want) != NULL, "the example shows '%s'",
		    all_keys[i]))
			diag("%u example lines", keys);
	}
	config_free(&c);
	free(l.errors);
	free(text);
}

int
main(void)
{
	test_defaults();
	test_all_keys();
	test_values();
	test_errors();
	test_min_above_max();
	test_unreadable();
	test_include();
	test_print();
	test_example();
	return tap_done();
}
