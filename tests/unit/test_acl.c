/*
 * test_acl.c: the access list: longest prefix wins, IPv4 and IPv6,
 * IPv4-mapped clients under IPv4 rules, the defaults, bad netblocks.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/acl.h"
#include "tap.h"

/* The action for a client given as text, IPv4 or IPv6. */
static enum acl_action
check(const struct acl *acl, const char *client)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, client, &in.sin_addr) == 1)
		return acl_check(acl, (const struct sockaddr *)&in);
	if (inet_pton(AF_INET6, client, &in6.sin6_addr) == 1)
		return acl_check(acl, (const struct sockaddr *)&in6);
	abort();
}

/* Adds rules given as pairs of strings: netblock, action name. */
static void
add_rules(struct acl *acl, const char *const *pairs, size_t n)
{
	char err[128];

	for (size_t i = 0; i < n; i += 2) {
		enum acl_action a = strcmp(pairs[i + 1], "allow") == 0 ?
		    ACL_ALLOW : strcmp(pairs[i + 1], "deny") == 0 ? ACL_DENY :
		    ACL_REFUSE;

		if (acl_add(acl, pairs[i], a, err, sizeof(err)) != 0) {
			diag("acl_add %s: %s", pairs[i], err);
			abort();
		}
	}
}

static struct acl *
acl_of(const char *const *pairs, size_t n)
{
	struct acl *acl = acl_new();

	if (acl == NULL)
		abort();
	add_rules(acl, pairs, n);
	return acl;
}

static void
test_defaults(void)
{
	struct acl *acl = acl_new();

	ok(check(acl, "127.0.0.1") == ACL_REFUSE,
	    "an empty list refuses everyone");
	acl_add_defaults(acl);
	ok(check(acl, "127.0.0.1") == ACL_ALLOW &&
	    check(acl, "127.255.1.2") == ACL_ALLOW,
	    "defaults allow 127.0.0.0/8");
	ok(check(acl, "::1") == ACL_ALLOW, "defaults allow ::1");
	ok(check(acl, "8.8.8.8") == ACL_REFUSE &&
	    check(acl, "192.168.1.1") == ACL_REFUSE,
	    "defaults refuse other IPv4 clients");
	ok(check(acl, "2001:db8::1") == ACL_REFUSE &&
	    check(acl, "::2") == ACL_REFUSE,
	    "defaults refuse other IPv6 clients");
	ok(check(acl, "::ffff:127.0.0.1") == ACL_ALLOW &&
	    check(acl, "::ffff:8.8.8.8") == ACL_REFUSE,
	    "v4-mapped clients get the IPv4 defaults");
	acl_free(acl);
}

static void
test_longest_prefix(void)
{
	static const char *const rules[] = {
		"10.0.0.0/8", "allow",
		"10.1.0.0/16", "deny",
		"10.1.2.0/24", "allow",
		"10.1.2.3", "refuse",
		"2001:db8::/32", "allow",
		"2001:db8:bad::/48", "deny",
		"fe80::/10", "allow",
	};
	struct acl *acl = acl_of(rules, sizeof(rules) / sizeof(rules[0]));

	acl_add_defaults(acl);
	ok(check(acl, "10.9.9.9") == ACL_ALLOW, "10.9.9.9 falls in /8: allow");
	ok(check(acl, "10.1.9.9") == ACL_DENY, "10.1.9.9 falls in /16: deny");
	ok(check(acl, "10.1.2.9") == ACL_ALLOW, "10.1.2.9 falls in /24: allow");
	ok(check(acl, "10.1.2.3") == ACL_REFUSE,
	    "10.1.2.3 matches its /32 rule: refuse");
	ok(check(acl, "11.0.0.1") == ACL_REFUSE,
	    "11.0.0.1 matches only the default: refuse");
	ok(check(acl, "2001:db8:1::1") == ACL_ALLOW &&
	    check(acl, "2001:db8:bad::1") == ACL_DENY &&
	    check(acl, "2001:db9::1") == ACL_REFUSE,
	    "IPv6 rules by longest prefix");
	ok(check(acl, "fe80::1") == ACL_ALLOW &&
	    check(acl, "febf::1") == ACL_ALLOW &&
	    check(acl, "fec0::1") == ACL_REFUSE,
	    "fe80::/10 ends at febf:: (a prefix not on a byte boundary)");
	ok(check(acl, "::ffff:10.1.9.9") == ACL_DENY &&
	    check(acl, "::ffff:10.1.2.9") == ACL_ALLOW,
	    "v4-mapped clients match IPv4 rules");
	acl_free(acl);
}

static void
test_override_defaults(void)
{
	static const char *const rules[] = {
		"0.0.0.0/0", "allow",
		"127.0.0.0/8", "deny",
		"::1/128", "refuse",
	};
	struct acl *acl = acl_new();

	acl_add_defaults(acl);
	add_rules(acl, rules, sizeof(rules) / sizeof(rules[0]));
	ok(check(acl, "8.8.8.8") == ACL_ALLOW,
	    "a user's 0.0.0.0/0 allow overrides the default of equal length");
	ok(check(acl, "127.0.0.1") == ACL_DENY,
	    "a user's 127.0.0.0/8 deny overrides the default");
	ok(check(acl, "::1") == ACL_REFUSE, "a user's ::1 refuse overrides");
	ok(check(acl, "2001:db8::1") == ACL_REFUSE,
	    "IPv6 keeps its default: an IPv4 rule covers no IPv6 client");
	acl_free(acl);
}

static void
test_bad_netblocks(void)
{
	static const struct {
		const char *netblock;
		const char *reason;
	} bad[] = {
		{ "10.0.0.0/33", "bad netblock '10.0.0.0/33': prefix length "
		    "'33' is not 0 to 32" },
		{ "::/129", "bad netblock '::/129': prefix length '129' is not "
		    "0 to 128" },
		{ "10.0.0.0/", "bad netblock '10.0.0.0/': prefix length '' is "
		    "not 0 to 32" },
		{ "10.0.0.0/-1", "bad netblock '10.0.0.0/-1': prefix length "
		    "'-1' is not 0 to 32" },
		{ "10.0.0.0/+8", "bad netblock '10.0.0.0/+8': prefix length "
		    "'+8' is not 0 to 32" },
		{ "10.0.0.0/8x", "bad netblock '10.0.0.0/8x': prefix length "
		    "'8x' is not 0 to 32" },
		{ "10.0.0.0/99999999999999999999", "bad netblock "
		    "'10.0.0.0/99999999999999999999': prefix length "
		    "'99999999999999999999' is not 0 to 32" },
		{ "garbage", "bad netblock 'garbage': expected ADDR[/LEN]" },
		{ "1.2.3", "bad netblock '1.2.3': expected ADDR[/LEN]" },
		{ "", "bad netblock '': expected ADDR[/LEN]" },
		{ "256.0.0.0/8", "bad netblock '256.0.0.0/8': expected "
		    "ADDR[/LEN]" },
		{ "fe80::/10/3", "bad netblock 'fe80::/10/3': prefix length "
		    "'10/3' is not 0 to 128" },
		{ "2001:db8::1111:2222:3333:4444:5555:6666:7777:8888/64",
		    "bad netblock '2001:db8::1111:2222:3333:4444:5555:6666:7777:"
		    "8888/64': expected ADDR[/LEN]" },
	};
	struct acl *acl = acl_new();
	char err[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ok(acl_add(acl, bad[i].netblock, ACL_ALLOW, err,
		    sizeof(err)) == -1 && strcmp(err, bad[i].reason) == 0,
		    "'%s' is rejected: %s", bad[i].netblock, err);
	}
	ok(check(acl, "10.0.0.1") == ACL_REFUSE && check(acl, "::") ==
	    ACL_REFUSE, "rejected netblocks add no rule");
	ok(acl_add(acl, "0.0.0.0/0", ACL_DENY, err, sizeof(err)) == 0 &&
	    acl_add(acl, "::/0", ACL_DENY, err, sizeof(err)) == 0 &&
	    acl_add(acl, "192.168.1.1/32", ACL_ALLOW, err, sizeof(err)) == 0 &&
	    acl_add(acl, "::1", ACL_ALLOW, err, sizeof(err)) == 0,
	    "prefixes 0 and the full length are accepted");
	ok(check(acl, "192.168.1.1") == ACL_ALLOW &&
	    check(acl, "192.168.1.2") == ACL_DENY &&
	    check(acl, "::1") == ACL_ALLOW && check(acl, "::2") == ACL_DENY,
	    "deny is its own action, apart from refuse");
	acl_free(acl);
}

static void
test_other_family(void)
{
	struct acl *acl = acl_new();
	struct sockaddr sa = { .sa_family = AF_UNIX };
	static const char *const everyone[] = {
		"0.0.0.0/0", "allow", "::/0", "allow",
	};

	add_rules(acl, everyone, 4);
	ok(acl_check(acl, &sa) == ACL_REFUSE,
	    "a client of another family is refused");
	acl_free(acl);
}

static void
test_print(void)
{
	static const char *const rules[] = {
		"10.1.0.0/16", "deny",
		"2001:db8::/32", "allow",
	};
	struct acl *acl = acl_new();
	struct acl *user = acl_of(rules, sizeof(rules) / sizeof(rules[0]));
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	acl_add_defaults(acl);
	acl_print(acl, out);
	acl_print(user, out);
	fclose(out);
	ok(strcmp(text,
	    "# built in: access-control: 127.0.0.0/8 allow\n"
	    "# built in: access-control: ::1/128 allow\n"
	    "# built in: access-control: 0.0.0.0/0 refuse\n"
	    "# built in: access-control: ::/0 refuse\n"
	    "access-control: 10.1.0.0/16 deny\n"
	    "access-control: 2001:db8::/32 allow\n") == 0,
	    "acl_print writes the rules in order, the defaults as comments");
	free(text);
	acl_free(acl);
	acl_free(user);
}

int
main(void)
{
	test_defaults();
	test_longest_prefix();
	test_override_defaults();
	test_bad_netblocks();
	test_other_family();
	test_print();
	return tap_done();
}
