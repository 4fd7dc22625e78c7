/*
 * config.c: the configuration file reader. One `key: value` per line, `#`
 * comments, optional quotes, `include: FILE` relative to the including
 * file. Each key has one parser; each problem names file, line and why.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "dnssec/autotrust.h"
#include "dnssec/trust_anchor.h"
#include "engine_limits.h"

#define INCLUDE_DEPTH_MAX	8
#define TTL_MAX			604800	/* a week, as unbound's default cap */
#define THREADS_MAX		64
#ifndef CONFIG_USERNAME_DEFAULT
#define CONFIG_USERNAME_DEFAULT	"descend"
#endif

struct config_reader {
	struct daemon_config *config;
	FILE *errors;
	unsigned problems;
	unsigned depth;
	const char *file;
	unsigned line;
};

static void
problem(struct config_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct config_reader *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(r->errors, "%s:%u: ", r->file, r->line);
	va_start(ap, fmt);
	vfprintf(r->errors, fmt, ap);
	va_end(ap);
	fputc('\n', r->errors);
	r->problems++;
}

bool
config_init(struct daemon_config *c)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	engine_config_init(&c->engine);
	c->threads = cpus < 1 ? 1 : cpus > THREADS_MAX ? THREADS_MAX :
	    (unsigned)cpus;
	c->log_level = LOG_LEVEL_INFO;
	c->max_udp_size = LIMIT_UDP_REPLY_DEFAULT;
	c->tcp_connections_per_address = LIMIT_TCP_CLIENTS_PER_ADDR;
	c->tcp_idle_timeout_ms = LIMIT_TCP_IDLE_MS;
	c->tcp_stall_timeout_ms = LIMIT_TCP_WRITE_STALL_MS;
	c->tcp_send_buffer = LIMIT_TCP_SEND_BUFFER;
	c->control_socket = strdup("/run/descend/control.sock");
	c->username = strdup(CONFIG_USERNAME_DEFAULT);
	c->acl = acl_new();
	c->local_zones = local_zones_new();
	if (c->control_socket == NULL || c->username == NULL ||
	    c->acl == NULL || c->local_zones == NULL) {
		config_free(c);
		return false;
	}
	acl_add_defaults(c->acl);
	return true;
}

static void
strings_free(char **list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

void
config_free(struct daemon_config *c)
{
	for (size_t i = 0; i < c->zone_count; i++)
		free(c->zones[i].name);
	free(c->zones);
	free(c->engine_zones);
	free(c->private_addresses);
	for (size_t i = 0; i < c->private_domain_count; i++)
		free(c->private_domains[i]);
	free(c->private_domains);
	free(c->dnstap_file);
	free(c->dnstap_socket_path);
	free(c->dnstap_identity);
	local_zones_free(c->local_zones);
	strings_free(c->trust_anchor_files, c->trust_anchor_file_count);
	strings_free(c->trust_anchors, c->trust_anchor_count);
	strings_free(c->domain_insecure, c->domain_insecure_count);
	free(c->auto_trust_anchor_file);
	free(c->root_hints);
	free(c->listens);
	acl_free(c->acl);
	free(c->control_socket);
	free(c->pidfile);
	free(c->username);
	free(c->chroot_dir);
	memset(c, 0, sizeof(*c));
}

static bool
parse_bool(struct config_reader *r, const char *key, const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else {
		problem(r, "bad value '%s' for '%s': expected yes or no", v, key);
		return false;
	}
	return true;
}

static bool
parse_number(struct config_reader *r, const char *key, const char *v,
    unsigned long long min, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || errno != 0 || *end != '\0' ||
	    n < min || n > max) {
		problem(r, "bad value '%s' for '%s': expected a number from "
		    "%llu to %llu", v, key, min, max);
		return false;
	}
	*out = n;
	return true;
}

static bool
parse_ttl(struct config_reader *r, const char *key, const char *v,
    uint32_t *out)
{
	unsigned long long n;

	if (!parse_number(r, key, v, 0, TTL_MAX, &n))
		return false;
	*out = (uint32_t)n;
	return true;
}

/* "64m", "512k", "1g" or plain bytes. */
static bool
parse_size(struct config_reader *r, const char *key, const char *v,
    size_t *out)
{
	char digits[32];
	size_t len = strlen(v);
	unsigned long long n, unit = 1;

	if (len == 0 || len >= sizeof(digits))
		goto bad;
	strlcpy(digits, v, sizeof(digits));
	switch (tolower((unsigned char)digits[len - 1])) {
	case 'k': unit = 1024ull; break;
	case 'm': unit = 1024ull * 1024; break;
	case 'g': unit = 1024ull * 1024 * 1024; break;
	}
	if (unit != 1)
		digits[len - 1] = '\0';
	{
		char *end;

		errno = 0;
		n = strtoull(digits, &end, 10);
		if (!isdigit((unsigned char)digits[0]) || errno != 0 ||
		    *end != '\0' || n > (64ull << 30) / unit)
			goto bad;
	}
	n *= unit;
	if (n < (1ull << 20) || n > (64ull << 30))
		goto bad;
	*out = (size_t)n;
	return true;
bad:
	problem(r, "bad value '%s' for '%s': expected a size from 1m to 64g",
	    v, key);
	return false;
}

/* "ADDR" or "ADDR@PORT", IPv4 or IPv6. */
static bool
parse_address(const char *v, uint16_t default_port,
    struct sockaddr_storage *ss, socklen_t *len)
{
	char text[INET6_ADDRSTRLEN + 8], *at, *end;
	unsigned long port = default_port;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (strlcpy(text, v, sizeof(text)) >= sizeof(text))
		return false;
	if ((at = strchr(text, '@')) != NULL) {
		*at++ = '\0';
		errno = 0;
		port = strtoul(at, &end, 10);
		if (!isdigit((unsigned char)*at) || *end != '\0' || errno != 0 ||
		    port == 0 || port > 65535)
			return false;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
		return true;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return true;
	}
	return false;
}

static bool
replace_string(struct config_reader *r, char **slot, const char *v)
{
	char *copy = strdup(v);

	if (copy == NULL) {
		problem(r, "out of memory");
		return false;
	}
	free(*slot);
	*slot = copy;
	return true;
}

static unsigned config_read_file(struct config_reader *r, const char *path);

/*
 * Appends the `size` bytes at `item` to the array whose address is `arrayp`
 * (a `struct X **`) and counts it: every key that may repeat (listen:,
 * forward-zone:, private-address:, the string lists) grows its array here.
 * On failure the array is left as it was and "out of memory" is reported.
 * The pointer is read and written with memcpy, not through a `void **`,
 * which would alias a pointer of another type.
 */
static bool
append_item(struct config_reader *r, void *arrayp, size_t *count,
    size_t size, const void *item)
{
	void *array, *grown;

	memcpy(&array, arrayp, sizeof(array));
	if ((grown = reallocarray(array, *count + 1, size)) == NULL) {
		problem(r, "out of memory");
		return false;
	}
	memcpy((char *)grown + *count * size, item, size);
	memcpy(arrayp, &grown, sizeof(grown));
	(*count)++;
	return true;
}

/* Appends a copy of `v` to a list key (trust-anchor-file: may repeat). */
static bool
append_string(struct config_reader *r, char ***list, size_t *count,
    const char *v)
{
	char *copy = strdup(v);

	if (copy == NULL) {
		problem(r, "out of memory");
		return false;
	}
	if (!append_item(r, list, count, sizeof(copy), &copy)) {
		free(copy);
		return false;
	}
	return true;
}

/*
 * trust-anchor-file, trust-anchor, domain-insecure: checked now so that a
 * bad anchor is reported with its config line (and by descendd -t).
 */
static void
key_trust_anchor(struct config_reader *r, const char *key, const char *v)
{
	struct daemon_config *c = r->config;
	struct trust_anchors *check = trust_anchors_new();
	char err[256];
	int rc;

	if (check == NULL) {
		problem(r, "out of memory");
		return;
	}
	if (strcmp(key, "trust-anchor-file") == 0)
		rc = trust_anchors_add_file(check, v, err, sizeof(err));
	else if (strcmp(key, "trust-anchor") == 0)
		rc = trust_anchors_add_string(check, v, err, sizeof(err));
	else
		rc = trust_anchors_add_insecure(check, v, err, sizeof(err));
	trust_anchors_free(check);
	if (rc != 0) {
		problem(r, "bad %s '%s': %s", key, v, err);
		return;
	}
	if (strcmp(key, "trust-anchor-file") == 0)
		append_string(r, &c->trust_anchor_files,
		    &c->trust_anchor_file_count, v);
	else if (strcmp(key, "trust-anchor") == 0)
		append_string(r, &c->trust_anchors, &c->trust_anchor_count, v);
	else
		append_string(r, &c->domain_insecure, &c->domain_insecure_count,
		    v);
}

/*
 * auto-trust-anchor-file: read now, so that a bad file is a startup error
 * naming its line (autotrust_load says "PATH:LINE: reason"). One file.
 */
static void
key_auto_trust_anchor(struct config_reader *r, const char *v)
{
	struct daemon_config *c = r->config;
	struct autotrust *check;
	char err[300];

	if (c->auto_trust_anchor_file != NULL) {
		problem(r, "auto-trust-anchor-file is already set (one file, "
		    "one zone)");
		return;
	}
	if ((check = autotrust_load(v, err, sizeof(err))) == NULL) {
		problem(r, "bad auto-trust-anchor-file: %s", err);
		return;
	}
	autotrust_free(check);
	if ((c->auto_trust_anchor_file = strdup(v)) == NULL)
		problem(r, "out of memory");
}

static void
key_include(struct config_reader *r, const char *v)
{
	char path[PATH_MAX], dir[PATH_MAX];
	const char *file = r->file;
	unsigned line = r->line;

	int n;

	strlcpy(dir, r->file, sizeof(dir));
	if (v[0] == '/')
		n = snprintf(path, sizeof(path), "%s", v);
	else
		n = snprintf(path, sizeof(path), "%s/%s", dirname(dir), v);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		problem(r, "include path too long: '%s'", v);
		return;
	}
	if (r->depth >= INCLUDE_DEPTH_MAX) {
		problem(r, "include nested deeper than %d (a loop?): '%s'",
		    INCLUDE_DEPTH_MAX, v);
		return;
	}
	r->depth++;
	config_read_file(r, path);
	r->depth--;
	r->file = file;
	r->line = line;
}

static void
key_listen(struct config_reader *r, const char *v)
{
	struct daemon_config *c = r->config;
	struct config_listen one;

	if (!parse_address(v, 53, &one.addr, &one.addrlen)) {
		problem(r, "bad address '%s' in listen: expected ADDR[@PORT]", v);
		return;
	}
	append_item(r, &c->listens, &c->listen_count, sizeof(one), &one);
}

static void
key_access_control(struct config_reader *r, const char *v)
{
	char block[128], action[32], extra[2], err[160];
	enum acl_action a;

	if (sscanf(v, "%127s %31s %1s", block, action, extra) != 2) {
		problem(r, "bad access-control '%s': expected NETBLOCK "
		    "allow|refuse|deny|allow_snoop", v);
		return;
	}
	if (strcmp(action, "allow") == 0)
		a = ACL_ALLOW;
	else if (strcmp(action, "refuse") == 0)
		a = ACL_REFUSE;
	else if (strcmp(action, "deny") == 0)
		a = ACL_DENY;
	else if (strcmp(action, "allow_snoop") == 0)
		a = ACL_ALLOW_SNOOP;
	else {
		problem(r, "bad access-control action '%s': expected allow, "
		    "refuse, deny or allow_snoop", action);
		return;
	}
	if (acl_add(r->config->acl, block, a, err, sizeof(err)) != 0)
		problem(r, "%s", err);
}

static void
key_outgoing_interface(struct config_reader *r, const char *v)
{
	struct sockaddr_storage ss, *slot;
	socklen_t len;

	if (!parse_address(v, 0, &ss, &len) || strchr(v, '@') != NULL) {
		problem(r, "bad address '%s' in outgoing-interface", v);
		return;
	}
	slot = ss.ss_family == AF_INET ? &r->config->outgoing_v4 :
	    &r->config->outgoing_v6;
	if (slot->ss_family != 0) {
		problem(r, "second %s outgoing-interface '%s': one per family",
		    ss.ss_family == AF_INET ? "IPv4" : "IPv6", v);
		return;
	}
	*slot = ss;
}

/* Splits a value into whitespace-separated words, each unquoted. */
static size_t
split_words(char *v, char **words, size_t max)
{
	size_t n = 0;
	char *save = NULL, *w;

	for (w = strtok_r(v, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		size_t len = strlen(w);

		if (len >= 2 && w[0] == '"' && w[len - 1] == '"') {
			w[len - 1] = '\0';
			w++;
		}
		if (n == max)
			return max + 1;
		words[n++] = w;
	}
	return n;
}

/* "NAME ADDR[@PORT] [ADDR...]": forward-zone and stub-zone. */
static void
key_zone(struct config_reader *r, const char *key, const char *v,
    enum engine_zone_kind kind)
{
	struct daemon_config *c = r->config;
	char copy[1024], *words[LIMIT_NS_PER_DELEGATION + 2];
	size_t n;
	struct config_zone one = { .kind = kind };
	ldns_rdf *name = NULL;

	if (strlcpy(copy, v, sizeof(copy)) >= sizeof(copy)) {
		problem(r, "%s line too long", key);
		return;
	}
	n = split_words(copy, words, LIMIT_NS_PER_DELEGATION + 1);
	if (n < 2) {
		problem(r, "bad %s '%s': expected NAME ADDR[@PORT] [ADDR...]",
		    key, v);
		return;
	}
	if (n > LIMIT_NS_PER_DELEGATION + 1) {
		problem(r, "%s '%s': more than %d addresses", key, words[0],
		    LIMIT_NS_PER_DELEGATION);
		return;
	}
	if (ldns_str2rdf_dname(&name, words[0]) != LDNS_STATUS_OK) {
		problem(r, "bad %s name '%s'", key, words[0]);
		return;
	}
	for (size_t i = 0; i < c->zone_count; i++) {
		ldns_rdf *other = ldns_dname_new_frm_str(c->zones[i].name);

		if (other != NULL && ldns_dname_compare(other, name) == 0) {
			problem(r, "%s '%s': the zone is already a %s", key,
			    words[0], c->zones[i].kind == ENGINE_ZONE_FORWARD ?
			    "forward-zone" : "stub-zone");
			ldns_rdf_deep_free(other);
			ldns_rdf_deep_free(name);
			return;
		}
		ldns_rdf_deep_free(other);
	}
	ldns_rdf_deep_free(name);
	for (size_t i = 1; i < n; i++) {
		socklen_t len;

		if (!parse_address(words[i], 53, &one.addrs[one.addr_count++],
		    &len)) {
			problem(r, "bad address '%s' in %s: expected ADDR[@PORT]",
			    words[i], key);
			return;
		}
	}
	if ((one.name = strdup(words[0])) == NULL) {
		problem(r, "out of memory");
		return;
	}
	if (!append_item(r, &c->zones, &c->zone_count, sizeof(one), &one))
		free(one.name);
}

static void
key_forward_first(struct config_reader *r, const char *v)
{
	struct daemon_config *c = r->config;
	struct config_zone *last = c->zone_count > 0 ?
	    &c->zones[c->zone_count - 1] : NULL;
	bool first;

	if (!parse_bool(r, "forward-first", v, &first))
		return;
	if (last == NULL || last->kind != ENGINE_ZONE_FORWARD) {
		problem(r, "forward-first must follow the forward-zone line it "
		    "applies to");
		return;
	}
	last->forward_first = first;
}

/* "NAME TYPE" */
static void
key_local_zone(struct config_reader *r, const char *v)
{
	char copy[512], *words[3], err[256];

	if (strlcpy(copy, v, sizeof(copy)) >= sizeof(copy) ||
	    split_words(copy, words, 2) != 2) {
		problem(r, "bad local-zone '%s': expected NAME TYPE", v);
		return;
	}
	if (local_zones_add_zone(r->config->local_zones, words[0], words[1],
	    err, sizeof(err)) != 0)
		problem(r, "%s", err);
}

static void
key_local_data(struct config_reader *r, const char *v)
{
	char err[512];

	if (local_zones_add_data(r->config->local_zones, v, err,
	    sizeof(err)) != 0)
		problem(r, "%s", err);
}

/* Points the engine's configuration at the zone lines. */
static bool
config_link_zones(struct daemon_config *c)
{
	free(c->engine_zones);
	c->engine_zones = NULL;
	c->engine.zones = NULL;
	c->engine.zone_count = 0;
	if (c->zone_count == 0)
		return true;
	if ((c->engine_zones = calloc(c->zone_count,
	    sizeof(*c->engine_zones))) == NULL)
		return false;
	for (size_t i = 0; i < c->zone_count; i++) {
		struct engine_zone *e = &c->engine_zones[i];

		e->kind = c->zones[i].kind;
		e->name = c->zones[i].name;
		e->forward_first = c->zones[i].forward_first;
		e->addrs = c->zones[i].addrs;
		e->addr_count = c->zones[i].addr_count;
	}
	c->engine.zones = c->engine_zones;
	c->engine.zone_count = c->zone_count;
	return true;
}

#define SWAP(x, y) do { __typeof__(x) tmp_ = (x); (x) = (y); (y) = tmp_; } while (0)

/* Points the engine's configuration at the private-address lines. */
static void
config_link_private(struct daemon_config *c)
{
	c->engine.private_addresses = c->private_addresses;
	c->engine.private_address_count = c->private_address_count;
	c->engine.private_domains = (const char *const *)c->private_domains;
	c->engine.private_domain_count = c->private_domain_count;
}

void
config_swap_engine_data(struct daemon_config *a, struct daemon_config *b)
{
	SWAP(a->zones, b->zones);
	SWAP(a->engine_zones, b->engine_zones);
	SWAP(a->zone_count, b->zone_count);
	SWAP(a->private_addresses, b->private_addresses);
	SWAP(a->private_address_count, b->private_address_count);
	SWAP(a->private_domains, b->private_domains);
	SWAP(a->private_domain_count, b->private_domain_count);
	SWAP(a->auto_trust_anchor_file, b->auto_trust_anchor_file);
	a->engine.auto_trust_anchor_file = a->auto_trust_anchor_file;
	b->engine.auto_trust_anchor_file = b->auto_trust_anchor_file;
	a->engine.zones = a->engine_zones;
	a->engine.zone_count = a->engine_zones != NULL ? a->zone_count : 0;
	b->engine.zones = b->engine_zones;
	b->engine.zone_count = b->engine_zones != NULL ? b->zone_count : 0;
	config_link_private(a);
	config_link_private(b);
}

/* "ADDR/LEN" or a single "ADDR". */
static void
key_private_address(struct config_reader *r, const char *v)
{
	struct daemon_config *c = r->config;
	struct engine_netblock b = { 0 };
	char text[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long prefix;

	if (strlcpy(text, v, sizeof(text)) >= sizeof(text))
		goto bad;
	if ((slash = strchr(text, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, text, b.addr) == 1) {
		b.family = AF_INET;
		b.prefix = 32;
	} else if (inet_pton(AF_INET6, text, b.addr) == 1) {
		b.family = AF_INET6;
		b.prefix = 128;
	} else
		goto bad;
	if (slash != NULL) {
		errno = 0;
		prefix = strtoul(slash, &end, 10);
		if (!isdigit((unsigned char)*slash) || *end != '\0' ||
		    errno != 0 || prefix > b.prefix)
			goto bad;
		b.prefix = (unsigned)prefix;
	}
	append_item(r, &c->private_addresses, &c->private_address_count,
	    sizeof(b), &b);
	return;
bad:
	problem(r, "bad private-address '%s': expected ADDR[/LEN]", v);
}

static void
key_private_domain(struct config_reader *r, const char *v)
{
	struct daemon_config *c = r->config;
	ldns_rdf *name = NULL;

	if (ldns_str2rdf_dname(&name, v) != LDNS_STATUS_OK) {
		problem(r, "bad private-domain '%s'", v);
		return;
	}
	ldns_rdf_deep_free(name);
	append_string(r, &c->private_domains, &c->private_domain_count, v);
}

static void
key_log_level(struct config_reader *r, const char *v)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	for (unsigned i = 0; i < 4; i++) {
		if (strcmp(v, names[i]) == 0 ||
		    (v[0] == (char)('0' + i) && v[1] == '\0')) {
			r->config->log_level = (enum log_level)i;
			return;
		}
	}
	problem(r, "bad value '%s' for 'log-level': expected error, warning, "
	    "info or debug", v);
}

/* An absolute directory, or "" for none (the default). */
static void
key_chroot(struct config_reader *r, const char *v)
{
	if (v[0] != '\0' && v[0] != '/') {
		problem(r, "bad value '%s' for 'chroot': expected an absolute "
		    "directory or \"\"", v);
		return;
	}
	free(r->config->chroot_dir);
	r->config->chroot_dir = NULL;
	if (v[0] != '\0')
		replace_string(r, &r->config->chroot_dir, v);
}

/* One configuration line, already split. */
static void
config_apply(struct config_reader *r, const char *key, const char *v)
{
	struct daemon_config *c = r->config;
	struct engine_config *e = &c->engine;
	unsigned long long n;

	if (strcmp(key, "include") == 0)
		key_include(r, v);
	else if (strcmp(key, "listen") == 0)
		key_listen(r, v);
	else if (strcmp(key, "root-hints") == 0) {
		if (replace_string(r, &c->root_hints, v))
			e->root_hints_file = c->root_hints;
	} else if (strcmp(key, "access-control") == 0)
		key_access_control(r, v);
	else if (strcmp(key, "query-loopback") == 0)
		parse_bool(r, key, v, &e->query_loopback);
	else if (strcmp(key, "outgoing-interface") == 0)
		key_outgoing_interface(r, v);
	else if (strcmp(key, "cache-size") == 0)
		parse_size(r, key, v, &e->cache_size);
	else if (strcmp(key, "cache-max-ttl") == 0)
		parse_ttl(r, key, v, &e->cache_max_ttl);
	else if (strcmp(key, "cache-min-ttl") == 0)
		parse_ttl(r, key, v, &e->cache_min_ttl);
	else if (strcmp(key, "cache-max-negative-ttl") == 0)
		parse_ttl(r, key, v, &e->cache_max_negative_ttl);
	else if (strcmp(key, "threads") == 0) {
		if (parse_number(r, key, v, 1, THREADS_MAX, &n))
			c->threads = (unsigned)n;
	} else if (strcmp(key, "qname-minimisation") == 0)
		parse_bool(r, key, v, &e->qname_minimisation);
	else if (strcmp(key, "use-0x20") == 0)
		parse_bool(r, key, v, &e->use_0x20);
	else if (strcmp(key, "serve-stale") == 0)
		parse_bool(r, key, v, &e->serve_stale);
	else if (strcmp(key, "serve-stale-client-timeout") == 0) {
		if (parse_number(r, key, v, 0, 300000, &n))
			e->stale_client_timeout_ms = (uint32_t)n;
	} else if (strcmp(key, "request-timeout") == 0) {
		if (parse_number(r, key, v, 100, 300000, &n))
			e->request_timeout_ms = (uint32_t)n;
	}
	else if (strcmp(key, "prefetch") == 0)
		parse_bool(r, key, v, &e->prefetch);
	else if (strcmp(key, "control-socket") == 0)
		replace_string(r, &c->control_socket, v);
	else if (strcmp(key, "pidfile") == 0)
		replace_string(r, &c->pidfile, v);
	else if (strcmp(key, "log-level") == 0)
		key_log_level(r, v);
	else if (strcmp(key, "log-queries") == 0)
		parse_bool(r, key, v, &c->log_queries);
	else if (strcmp(key, "max-udp-size") == 0) {
		if (parse_number(r, key, v, 512, 65535, &n))
			c->max_udp_size = (unsigned)n;
	} else if (strcmp(key, "tcp-connections-per-address") == 0) {
		/* More than a worker's LIMIT_TCP_CLIENTS would be no cap. */
		if (parse_number(r, key, v, 1, LIMIT_TCP_CLIENTS, &n))
			c->tcp_connections_per_address = (unsigned)n;
	} else if (strcmp(key, "tcp-idle-timeout") == 0) {
		if (parse_number(r, key, v, 200, 120000, &n))
			c->tcp_idle_timeout_ms = (unsigned)n;
	} else if (strcmp(key, "tcp-stall-timeout") == 0) {
		if (parse_number(r, key, v, 500, 120000, &n))
			c->tcp_stall_timeout_ms = (unsigned)n;
	} else if (strcmp(key, "tcp-send-buffer") == 0) {
		/* 0: the kernel's autotuning (Knot Resolver's default). */
		if (strcmp(v, "0") == 0)
			c->tcp_send_buffer = 0;
		else if (parse_number(r, key, v, 4096, 4194304, &n))
			c->tcp_send_buffer = (unsigned)n;
	}
	else if (strcmp(key, "forward-zone") == 0)
		key_zone(r, key, v, ENGINE_ZONE_FORWARD);
	else if (strcmp(key, "forward-first") == 0)
		key_forward_first(r, v);
	else if (strcmp(key, "stub-zone") == 0)
		key_zone(r, key, v, ENGINE_ZONE_STUB);
	else if (strcmp(key, "username") == 0)
		replace_string(r, &c->username, v);
	else if (strcmp(key, "chroot") == 0)
		key_chroot(r, v);
	else if (strcmp(key, "metrics-listen") == 0) {
		if (!parse_address(v, 0, &c->metrics_listen,
		    &c->metrics_listen_len) || strchr(v, '@') == NULL)
			problem(r, "bad address '%s' in metrics-listen: "
			    "expected ADDR@PORT", v);
	} else if (strcmp(key, "local-zone") == 0)
		key_local_zone(r, v);
	else if (strcmp(key, "local-data") == 0)
		key_local_data(r, v);
	else if (strcmp(key, "dnstap-file") == 0)
		replace_string(r, &c->dnstap_file, v);
	else if (strcmp(key, "dnstap-socket-path") == 0)
		replace_string(r, &c->dnstap_socket_path, v);
	else if (strcmp(key, "dnstap-identity") == 0)
		replace_string(r, &c->dnstap_identity, v);
	else if (strcmp(key, "dnstap-log-client-queries") == 0)
		parse_bool(r, key, v, &c->dnstap_log_client_queries);
	else if (strcmp(key, "dnstap-log-client-responses") == 0)
		parse_bool(r, key, v, &c->dnstap_log_client_responses);
	else if (strcmp(key, "dnstap-log-resolver-queries") == 0)
		parse_bool(r, key, v, &c->dnstap_log_resolver_queries);
	else if (strcmp(key, "dnstap-log-resolver-responses") == 0)
		parse_bool(r, key, v, &c->dnstap_log_resolver_responses);
	else if (strcmp(key, "private-address") == 0)
		key_private_address(r, v);
	else if (strcmp(key, "private-domain") == 0)
		key_private_domain(r, v);
	else if (strcmp(key, "dnssec-validation") == 0)
		parse_bool(r, key, v, &e->dnssec_validation);
	else if (strcmp(key, "aggressive-nsec") == 0)
		parse_bool(r, key, v, &e->aggressive_nsec);
	else if (strcmp(key, "trust-anchor-file") == 0 ||
	    strcmp(key, "trust-anchor") == 0 ||
	    strcmp(key, "domain-insecure") == 0)
		key_trust_anchor(r, key, v);
	else if (strcmp(key, "auto-trust-anchor-file") == 0)
		key_auto_trust_anchor(r, v);
	else
		problem(r, "unknown key '%s'", key);
}

/* Splits "key: value # comment" in place; false when malformed. */
static bool
config_split(struct config_reader *r, char *line, char **key, char **value)
{
	char *p, *colon, *end;
	bool quoted = false;

	/* A '#' inside double quotes belongs to the value. */
	for (p = line; *p != '\0' && *p != '#'; p++) {
		if (*p == '"' && (p = strchr(p + 1, '"')) == NULL) {
			problem(r, "unterminated quote");
			return false;
		}
	}
	*p = '\0';
	while (isspace((unsigned char)*line))
		line++;
	end = line + strlen(line);
	while (end > line && isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (*line == '\0') {
		*key = NULL;
		return true;
	}
	if ((colon = strchr(line, ':')) == NULL) {
		problem(r, "expected 'key: value', got '%s'", line);
		return false;
	}
	*colon = '\0';
	*key = line;
	for (end = colon; end > line && isspace((unsigned char)end[-1]);)
		*--end = '\0';
	p = colon + 1;
	while (isspace((unsigned char)*p))
		p++;
	end = p + strlen(p);
	if (end - p >= 2 && p[0] == '"' && end[-1] == '"') {
		p++;
		*--end = '\0';
		quoted = true;
	}
	/* "" is a value (username: "" keeps root); nothing at all is not. */
	if (*p == '\0' && !quoted) {
		problem(r, "missing value for '%s'", *key);
		return false;
	}
	*value = p;
	return true;
}

static unsigned
config_read_file(struct config_reader *r, const char *path)
{
	char *line = NULL, *key, *value;
	size_t cap = 0;
	unsigned before = r->problems;
	FILE *fp = fopen(path, "r");

	if (fp == NULL) {
		if (r->file == NULL)
			fprintf(r->errors, "%s: %s\n", path, strerror(errno));
		else
			problem(r, "cannot read '%s': %s", path,
			    strerror(errno));
		if (r->file == NULL)
			r->problems++;
		return r->problems - before;
	}
	r->file = path;
	r->line = 0;
	while (getline(&line, &cap, fp) != -1) {
		r->line++;
		if (config_split(r, line, &key, &value) && key != NULL)
			config_apply(r, key, value);
	}
	/* A directory opens, then reads as nothing: not an empty file. */
	if (ferror(fp))
		problem(r, "read error: %s", strerror(errno));
	free(line);
	fclose(fp);
	return r->problems - before;
}

unsigned
config_load(struct daemon_config *c, const char *path, FILE *errors)
{
	struct config_reader r = { .config = c, .errors = errors };

	config_read_file(&r, path);
	if (c->engine.cache_min_ttl > c->engine.cache_max_ttl) {
		fprintf(errors, "%s: cache-min-ttl (%u) is above cache-max-ttl "
		    "(%u)\n", path, c->engine.cache_min_ttl,
		    c->engine.cache_max_ttl);
		r.problems++;
	}
	{
		char err[256];

		if (local_zones_finish(c->local_zones, err, sizeof(err)) != 0) {
			fprintf(errors, "%s: %s\n", path, err);
			r.problems++;
		}
	}
	if (c->dnstap_file != NULL && c->dnstap_socket_path != NULL) {
		fprintf(errors, "%s: dnstap-file and dnstap-socket-path: give "
		    "one or the other\n", path);
		r.problems++;
	}
	config_link_private(c);
	if (!config_link_zones(c)) {
		fprintf(errors, "%s: out of memory\n", path);
		r.problems++;
	}
	if (c->engine.dnssec_validation && c->trust_anchor_file_count == 0 &&
	    c->trust_anchor_count == 0 && c->auto_trust_anchor_file == NULL) {
		/* Validating by default needs Debian's root anchor (dns-root-data). */
		r.file = path;
		r.line = 0;
		if (access(TRUST_ANCHOR_DEBIAN_ROOT, R_OK) != 0) {
			fprintf(errors, "%s: dnssec-validation is on and no "
			    "trust-anchor-file is set, but the default %s is "
			    "not readable (%s): install dns-root-data, set "
			    "trust-anchor-file, or dnssec-validation: no\n",
			    path, TRUST_ANCHOR_DEBIAN_ROOT, strerror(errno));
			r.problems++;
		} else
			append_string(&r, &c->trust_anchor_files,
			    &c->trust_anchor_file_count,
			    TRUST_ANCHOR_DEBIAN_ROOT);
	}
	c->engine.trust_anchor_files =
	    (const char *const *)c->trust_anchor_files;
	c->engine.trust_anchor_file_count = c->trust_anchor_file_count;
	c->engine.trust_anchors = (const char *const *)c->trust_anchors;
	c->engine.trust_anchor_count = c->trust_anchor_count;
	c->engine.domain_insecure = (const char *const *)c->domain_insecure;
	c->engine.domain_insecure_count = c->domain_insecure_count;
	c->engine.auto_trust_anchor_file = c->auto_trust_anchor_file;
	if (c->listen_count == 0) {
		struct config_listen *l = calloc(2, sizeof(*l));

		if (l == NULL)
			return r.problems + 1;
		parse_address("127.0.0.1", 53, &l[0].addr, &l[0].addrlen);
		parse_address("::1", 53, &l[1].addr, &l[1].addrlen);
		c->listens = l;
		c->listen_count = 2;
	}
	return r.problems;
}

static const char *
yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* Writes the address of `ss` as text (INET6_ADDRSTRLEN); returns its port. */
static unsigned
address_text(const struct sockaddr_storage *ss, char *text, size_t len)
{
	const void *a = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
	    (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	uint16_t port = ss->ss_family == AF_INET ?
	    ((const struct sockaddr_in *)ss)->sin_port :
	    ((const struct sockaddr_in6 *)ss)->sin6_port;

	inet_ntop(ss->ss_family, a, text, (socklen_t)len);
	return ntohs(port);
}

static void
print_address(FILE *out, const char *key, const struct sockaddr_storage *ss,
    bool with_port)
{
	char text[INET6_ADDRSTRLEN];
	unsigned port = address_text(ss, text, sizeof(text));

	if (with_port)
		fprintf(out, "%s: %s@%u\n", key, text, port);
	else
		fprintf(out, "%s: %s\n", key, text);
}

/* " ADDR@PORT", the form forward-zone and stub-zone read. */
static void
print_address_word(FILE *out, const struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN];
	unsigned port = address_text(ss, text, sizeof(text));

	fprintf(out, " %s@%u", text, port);
}

void
config_print(const struct daemon_config *c, FILE *out)
{
	static const char *const levels[] = { "error", "warning", "info", "debug" };
	const struct engine_config *e = &c->engine;

	for (size_t i = 0; i < c->listen_count; i++)
		print_address(out, "listen", &c->listens[i].addr, true);
	if (c->root_hints != NULL)
		fprintf(out, "root-hints: \"%s\"\n", c->root_hints);
	else
		fprintf(out, "# root-hints: (built-in)\n");
	if (c->acl != NULL)
		acl_print(c->acl, out);
	fprintf(out, "query-loopback: %s\n", yes_no(e->query_loopback));
	if (c->outgoing_v4.ss_family != 0)
		print_address(out, "outgoing-interface", &c->outgoing_v4, false);
	if (c->outgoing_v6.ss_family != 0)
		print_address(out, "outgoing-interface", &c->outgoing_v6, false);
	fprintf(out, "cache-size: %zu\n", e->cache_size);
	fprintf(out, "cache-max-ttl: %u\n", e->cache_max_ttl);
	fprintf(out, "cache-min-ttl: %u\n", e->cache_min_ttl);
	fprintf(out, "cache-max-negative-ttl: %u\n", e->cache_max_negative_ttl);
	fprintf(out, "threads: %u\n", c->threads);
	fprintf(out, "qname-minimisation: %s\n", yes_no(e->qname_minimisation));
	fprintf(out, "use-0x20: %s\n", yes_no(e->use_0x20));
	fprintf(out, "serve-stale: %s\n", yes_no(e->serve_stale));
	fprintf(out, "serve-stale-client-timeout: %u\n",
	    e->stale_client_timeout_ms);
	fprintf(out, "request-timeout: %u\n", e->request_timeout_ms);
	fprintf(out, "prefetch: %s\n", yes_no(e->prefetch));
	fprintf(out, "control-socket: \"%s\"\n", c->control_socket);
	if (c->pidfile != NULL)
		fprintf(out, "pidfile: \"%s\"\n", c->pidfile);
	fprintf(out, "log-level: %s\n", levels[c->log_level]);
	fprintf(out, "log-queries: %s\n", yes_no(c->log_queries));
	fprintf(out, "max-udp-size: %u\n", c->max_udp_size);
	fprintf(out, "tcp-connections-per-address: %u\n",
	    c->tcp_connections_per_address);
	fprintf(out, "tcp-idle-timeout: %u\n", c->tcp_idle_timeout_ms);
	fprintf(out, "tcp-stall-timeout: %u\n", c->tcp_stall_timeout_ms);
	fprintf(out, "tcp-send-buffer: %u\n", c->tcp_send_buffer);
	for (size_t i = 0; i < c->zone_count; i++) {
		const struct config_zone *z = &c->zones[i];

		fprintf(out, "%s: %s", z->kind == ENGINE_ZONE_FORWARD ?
		    "forward-zone" : "stub-zone", z->name);
		for (size_t j = 0; j < z->addr_count; j++)
			print_address_word(out, &z->addrs[j]);
		fputc('\n', out);
		if (z->forward_first)
			fprintf(out, "forward-first: yes\n");
	}
	fprintf(out, "username: \"%s\"\n", c->username);
	if (c->chroot_dir != NULL)
		fprintf(out, "chroot: \"%s\"\n", c->chroot_dir);
	if (c->metrics_listen.ss_family != 0)
		print_address(out, "metrics-listen", &c->metrics_listen, true);
	if (c->local_zones != NULL)
		local_zones_print(c->local_zones, out);
	for (size_t i = 0; i < c->private_address_count; i++) {
		const struct engine_netblock *b = &c->private_addresses[i];
		char text[INET6_ADDRSTRLEN];

		inet_ntop(b->family, b->addr, text, sizeof(text));
		fprintf(out, "private-address: %s/%u\n", text, b->prefix);
	}
	for (size_t i = 0; i < c->private_domain_count; i++)
		fprintf(out, "private-domain: \"%s\"\n", c->private_domains[i]);
	if (c->dnstap_file != NULL)
		fprintf(out, "dnstap-file: \"%s\"\n", c->dnstap_file);
	if (c->dnstap_socket_path != NULL)
		fprintf(out, "dnstap-socket-path: \"%s\"\n",
		    c->dnstap_socket_path);
	if (c->dnstap_identity != NULL)
		fprintf(out, "dnstap-identity: \"%s\"\n", c->dnstap_identity);
	fprintf(out, "dnstap-log-client-queries: %s\n",
	    yes_no(c->dnstap_log_client_queries));
	fprintf(out, "dnstap-log-client-responses: %s\n",
	    yes_no(c->dnstap_log_client_responses));
	fprintf(out, "dnstap-log-resolver-queries: %s\n",
	    yes_no(c->dnstap_log_resolver_queries));
	fprintf(out, "dnstap-log-resolver-responses: %s\n",
	    yes_no(c->dnstap_log_resolver_responses));
	fprintf(out, "dnssec-validation: %s\n",
	    yes_no(e->dnssec_validation));
	fprintf(out, "aggressive-nsec: %s\n", yes_no(e->aggressive_nsec));
	for (size_t i = 0; i < c->trust_anchor_file_count; i++)
		fprintf(out, "trust-anchor-file: \"%s\"\n",
		    c->trust_anchor_files[i]);
	for (size_t i = 0; i < c->trust_anchor_count; i++)
		fprintf(out, "trust-anchor: \"%s\"\n", c->trust_anchors[i]);
	for (size_t i = 0; i < c->domain_insecure_count; i++)
		fprintf(out, "domain-insecure: \"%s\"\n",
		    c->domain_insecure[i]);
	if (c->auto_trust_anchor_file != NULL)
		fprintf(out, "auto-trust-anchor-file: \"%s\"\n",
		    c->auto_trust_anchor_file);
}
