/*
 * acl.c: a short list of netblocks searched linearly for the longest
 * match; access lists are a handful of lines, so this beats a trie.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

/* IPv4 rules live under ::ffff:0:0/96, where v4-mapped clients fall. */
static const uint8_t v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

struct acl_rule {
	uint8_t addr[16];	/* IPv4 as v4-mapped IPv6 */
	unsigned prefix;	/* over the 128 bits */
	enum acl_action action;
	bool builtin;		/* from acl_add_defaults() */
};

struct acl {
	struct acl_rule *rules;
	size_t count;
};

struct acl *
acl_new(void)
{
	return calloc(1, sizeof(struct acl));
}

void
acl_free(struct acl *acl)
{
	if (acl == NULL)
		return;
	free(acl->rules);
	free(acl);
}

static void
v4_mapped(uint8_t out[16], const void *v4)
{
	memcpy(out, v4_mapped_prefix, sizeof(v4_mapped_prefix));
	memcpy(out + 12, v4, 4);
}

int
acl_add(struct acl *acl, const char *netblock, enum acl_action action,
    char *err, size_t errlen)
{
	char text[INET6_ADDRSTRLEN + 8];
	struct acl_rule rule = { .action = action };
	struct acl_rule *rules;
	char *slash, *end;
	unsigned long len;
	unsigned max;
	uint8_t v4[4];

	if (strlcpy(text, netblock, sizeof(text)) >= sizeof(text))
		goto bad;
	if ((slash = strchr(text, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, text, v4) == 1) {
		v4_mapped(rule.addr, v4);
		max = 32;
	} else if (inet_pton(AF_INET6, text, rule.addr) == 1)
		max = 128;
	else
		goto bad;
	len = max;
	if (slash != NULL) {
		/* Digits only: strtoul would take "+8", " 8" and "-1". */
		len = strtoul(slash, &end, 10);
		if (!isdigit((unsigned char)*slash) || *end != '\0' ||
		    len > max) {
			snprintf(err, errlen, "bad netblock '%s': prefix "
			    "length '%s' is not 0 to %u", netblock, slash, max);
			return -1;
		}
	}
	rule.prefix = (unsigned)len + (max == 32 ? 96 : 0);
	rules = reallocarray(acl->rules, acl->count + 1, sizeof(*rules));
	if (rules == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	acl->rules = rules;
	acl->rules[acl->count++] = rule;
	return 0;
bad:
	snprintf(err, errlen, "bad netblock '%s': expected ADDR[/LEN]",
	    netblock);
	return -1;
}

void
acl_add_defaults(struct acl *acl)
{
	static const struct {
		const char *netblock;
		enum acl_action action;
	} defaults[] = {
		{ "127.0.0.0/8", ACL_ALLOW },
		{ "::1", ACL_ALLOW },
		{ "0.0.0.0/0", ACL_REFUSE },
		{ "::/0", ACL_REFUSE },
	};
	char err[128];

	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (acl_add(acl, defaults[i].netblock, defaults[i].action, err,
		    sizeof(err)) == 0)
			acl->rules[acl->count - 1].builtin = true;
}

static bool
prefix_matches(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return false;
	return rest == 0 ||
	    ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

enum acl_action
acl_check(const struct acl *acl, const struct sockaddr *addr)
{
	uint8_t client[16];
	const struct acl_rule *best = NULL;

	if (addr->sa_family == AF_INET)
		v4_mapped(client, &((const struct sockaddr_in *)(const void *)
		    addr)->sin_addr);
	else if (addr->sa_family == AF_INET6)
		memcpy(client, &((const struct sockaddr_in6 *)(const void *)
		    addr)->sin6_addr, 16);
	else
		return ACL_REFUSE;
	for (size_t i = 0; i < acl->count; i++) {
		const struct acl_rule *r = &acl->rules[i];

		/* Later rules win ties: a user's line overrides a default. */
		if (prefix_matches(client, r->addr, r->prefix) &&
		    (best == NULL || r->prefix >= best->prefix))
			best = r;
	}
	return best != NULL ? best->action : ACL_REFUSE;
}

const char *
acl_action_name(enum acl_action action)
{
	switch (action) {
	case ACL_ALLOW:
		return "allow";
	case ACL_REFUSE:
		return "refuse";
	case ACL_DENY:
		return "deny";
	case ACL_ALLOW_SNOOP:
		return "allow_snoop";
	}
	return "?";
}

void
acl_print(const struct acl *acl, FILE *out)
{
	char text[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < acl->count; i++) {
		const struct acl_rule *r = &acl->rules[i];
		unsigned prefix = r->prefix;

		/* A v4-mapped rule came from an IPv4 netblock. */
		if (prefix >= 96 && prefix_matches(r->addr, v4_mapped_prefix,
		    96)) {
			inet_ntop(AF_INET, r->addr + 12, text, sizeof(text));
			prefix -= 96;
		} else
			inet_ntop(AF_INET6, r->addr, text, sizeof(text));
		fprintf(out, "%saccess-control: %s/%u %s\n",
		    r->builtin ? "# built in: " : "", text, prefix,
		    acl_action_name(r->action));
	}
}
