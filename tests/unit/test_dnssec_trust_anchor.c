/*
 * test_dnssec_trust_anchor.c: trust anchors from files and strings
 * (resolver/dnssec/trust_anchor.c): Debian's root.key, zone-file syntax,
 * Unbound's autotrust lines, line-numbered errors, negative trust anchors
 * and the closest-anchor lookup; an anchor file drives a DNSKEY check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "tap.h"
#include "dnssec_util.h"
#include "dnssec/trust_anchor.h"
#include "dnssec/verify.h"

static char dir[] = "/tmp/descend-ta-XXXXXX";

/* The root zone's KSKs as Debian's root.key lists them. */
#define ROOT_KSK_20326 "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIb" \
	"zxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNR" \
	"OxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/E" \
	"WgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1" \
	"uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qi" \
	"hylGa8subX2Nn6UwNR1AkUTV74bU="
#define ROOT_KSK_38696 "AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc" \
	"449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZ" \
	"sx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/w" \
	"OZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxl" \
	"FzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K" \
	"2vaF18UYH9Z9GNUUeayffKC73PYc="

/* Writes `text` to a file in the test directory; returns its path. */
static const char *
write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	return path;
}

static const struct trust_anchor *
lookup(struct trust_anchors *tas, const char *name)
{
	ldns_rdf *n = t_name(name);
	const struct trust_anchor *ta = trust_anchors_lookup(tas, n);

	ldns_rdf_deep_free(n);
	return ta;
}

static void
test_debian_root(void)
{
	struct trust_anchors *tas = trust_anchors_new();
	const struct trust_anchor *ta;
	char err[512] = "";

	if (access(TRUST_ANCHOR_DEBIAN_ROOT, R_OK) != 0) {
		ok(1, "# SKIP %s not installed (dns-root-data)",
		    TRUST_ANCHOR_DEBIAN_ROOT);
		trust_anchors_free(tas);
		return;
	}
	ok(trust_anchors_add_file(tas, TRUST_ANCHOR_DEBIAN_ROOT, err,
	    sizeof(err)) == 0, "Debian's root.key loads (%s)", err);
	ta = lookup(tas, "www.example.com.");
	ok(ta != NULL && !ta->negative && dname_str_eq(ta->zone, ".") &&
	    ldns_rr_list_rr_count(ta->records) >= 1,
	    "the root anchor covers www.example.com (%zu records)",
	    ta ? ldns_rr_list_rr_count(ta->records) : 0);
	trust_anchors_free(tas);
}

static void
test_files(void)
{
	struct trust_anchors *tas = trust_anchors_new();
	const struct trust_anchor *ta;
	char err[512] = "";
	const char *path;
	int rc;

	path = write_file("zone.key",
	    "; anchors in zone-file syntax\n"
	    "$ORIGIN example.\n"
	    "$TTL 86400\n"
	    "\n"
	    "@ IN DS 12345 13 2 (\n"
	    "    49FD46E6C4B45C55D4AC69CBD3CD34AC\n"
	    "    1AFE51DE4A7CB4E8E0C6E9B8F4C2D3A1 )\n"
	    "sub IN DS 2371 13 2 "
	    "C9EA9A29DFE6ADE2A98E0C3C9D1B0F4E27C2F8A1D5B2C8E4F3A6D7B9E0C1A2B3\n");
	rc = trust_anchors_add_file(tas, path, err, sizeof(err));
	ok(rc == 0 && trust_anchors_count(tas) == 2,
	    "zone-file syntax: $ORIGIN, $TTL, parentheses, comments (%s)", err);
	ta = lookup(tas, "a.b.sub.example.");
	ok(ta != NULL && dname_str_eq(ta->zone, "sub.example."),
	    "closest anchor of a.b.sub.example is sub.example");
	ta = lookup(tas, "other.example.");
	ok(ta != NULL && dname_str_eq(ta->zone, "example."),
	    "closest anchor of other.example is example");
	ok(lookup(tas, "example.org.") == NULL,
	    "no anchor covers example.org (indeterminate)");

	path = write_file("auto.key",
	    "; autotrust trust anchor file\n"
	    ";;id: . 1\n"
	    ";;last_queried: 1700000000 ;;Tue Nov 14 22:13:20 2023\n"
	    ". 86400 IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJz"
	    "kKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8"
	    "Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwV"
	    "N8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5"
	    "Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9"
	    "555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU= ;{id = 20326 (ksk), size = "
	    "2048b} ;;state=2 [  VALID  ] ;;count=0 ;;lastchange=1700000000\n");
	rc = trust_anchors_add_file(tas, path, err, sizeof(err));
	ok(rc == 0 && lookup(tas, "com.") != NULL &&
	    dname_str_eq(lookup(tas, "com.")->zone, "."),
	    "Unbound autotrust lines: the VALID key is an anchor (%s)", err);
	trust_anchors_free(tas);

	/* RFC 5011: a pending (state 1) or revoked (state 4) key in a state
	 * file is not trusted; only Valid (2) and Missing (3) ones are. */
	tas = trust_anchors_new();
	path = write_file("auto-states.key",
	    ";;id: . 1\n"
	    ". 86400 IN DNSKEY 257 3 8 " ROOT_KSK_20326
	    " ;{id = 20326 (ksk), size = 2048b} ;;state=2 [  VALID  ] "
	    ";;count=0 ;;lastchange=1700000000\n"
	    ". 86400 IN DNSKEY 257 3 8 " ROOT_KSK_38696
	    " ;{id = 38696 (ksk), size = 2048b} ;;state=1 [ ADDPEND ] "
	    ";;count=1 ;;lastchange=1700000000\n");
	rc = trust_anchors_add_file(tas, path, err, sizeof(err));
	ta = lookup(tas, "com.");
	ok(rc == 0 && ta != NULL && ldns_rr_list_rr_count(ta->records) == 1 &&
	    ldns_calc_keytag(ldns_rr_list_rr(ta->records, 0)) == 20326,
	    "a state file's pending key is not an anchor (%zu records, %s)",
	    ta ? ldns_rr_list_rr_count(ta->records) : 0, err);
	trust_anchors_free(tas);

	tas = trust_anchors_new();
	path = write_file("auto-revoked.key",
	    ";;id: . 1\n"
	    ". 86400 IN DNSKEY 257 3 8 " ROOT_KSK_38696
	    " ;{id = 38696 (ksk), size = 2048b} ;;state=4 [ REVOKED ] "
	    ";;count=0 ;;lastchange=1700000000\n");
	rc = trust_anchors_add_file(tas, path, err, sizeof(err));
	ok(rc == -1 && strstr(err, "no key in a trusted state") != NULL &&
	    lookup(tas, "com.") == NULL,
	    "a state file with only a revoked key gives no anchor (%s)", err);
	trust_anchors_free(tas);
}

static void
test_errors(void)
{
	struct trust_anchors *tas = trust_anchors_new();
	char err[512] = "", want[300];
	const char *path;

	path = write_file("bad.key",
	    "; comment\n"
	    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
	    "example. IN DS 1 8 2 XYZ\n");
	ok(trust_anchors_add_file(tas, path, err, sizeof(err)) == -1 &&
	    (snprintf(want, sizeof(want), "%s:3: ", path), strstr(err, want)),
	    "a bad digest is reported with its line: %s", err);
	path = write_file("a.key", "; comment\nexample. IN A 192.0.2.1\n");
	ok(trust_anchors_add_file(tas, path, err, sizeof(err)) == -1 &&
	    (snprintf(want, sizeof(want), "%s:2: a trust anchor must be a DS "
	    "or DNSKEY record (A)", path), strcmp(err, want) == 0),
	    "a non-anchor type is refused: %s", err);
	path = write_file("empty.key", "; nothing here\n\n");
	ok(trust_anchors_add_file(tas, path, err, sizeof(err)) == -1 &&
	    strstr(err, "no DS or DNSKEY record") != NULL,
	    "a file without anchors is an error: %s", err);
	ok(trust_anchors_add_file(tas, "/nonexistent/root.key", err,
	    sizeof(err)) == -1 && strstr(err, "cannot open") != NULL,
	    "a missing file: %s", err);
	/*
	 * A directory opens, but its reads fail without reaching end of file
	 * (fuzz_config found the endless loop): the alarm ends a hang.
	 */
	alarm(10);
	ok(trust_anchors_add_file(tas, dir, err, sizeof(err)) == -1 &&
	    strstr(err, ": read error: Is a directory") != NULL,
	    "a directory is a read error, not an endless read: %s", err);
	alarm(0);
	path = write_file("nozone.key",
	    "example. IN DNSKEY 0 3 13 "
	    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n");
	ok(trust_anchors_add_file(tas, path, err, sizeof(err)) == -1 &&
	    strstr(err, ":1: DNSKEY without the zone key bit") != NULL,
	    "a DNSKEY without the zone bit is refused: %s", err);
	ok(trust_anchors_add_string(tas, "example. IN DS 1 8 2 ZZ", err,
	    sizeof(err)) == -1 && strstr(err, "example. IN DS 1 8 2 ZZ") != NULL,
	    "a bad inline anchor names itself: %s", err);
	ok(trust_anchors_add_insecure(tas, "bad..name", err, sizeof(err)) == -1,
	    "a bad domain-insecure name: %s", err);
	ok(trust_anchors_count(tas) == 0,
	    "a file with a bad line adds none of its good lines");
	trust_anchors_free(tas);
}

static void
test_negative(void)
{
	struct trust_anchors *tas = trust_anchors_new();
	const struct trust_anchor *ta;
	char err[512] = "";

	ok(trust_anchors_add_string(tas, ". IN DS 20326 8 2 "
	    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	    err, sizeof(err)) == 0, "inline root DS (%s)", err);
	ok(trust_anchors_add_insecure(tas, "Example.COM", err, sizeof(err)) == 0,
	    "domain-insecure example.com");
	ok(trust_anchors_add_string(tas, "sub.example.com. IN DS 1 13 2 "
	    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
	    err, sizeof(err)) == 0, "anchor below the negative one (%s)", err);
	ta = lookup(tas, "www.example.com.");
	ok(ta != NULL && ta->negative, "www.example.com: negative anchor");
	ta = lookup(tas, "example.com.");
	ok(ta != NULL && ta->negative, "example.com itself: negative anchor");
	ta = lookup(tas, "a.sub.example.com.");
	ok(ta != NULL && !ta->negative && dname_str_eq(ta->zone,
	    "sub.example.com."), "a positive anchor below the negative one wins");
	ta = lookup(tas, "example.org.");
	ok(ta != NULL && !ta->negative && dname_str_eq(ta->zone, "."),
	    "example.org: the root anchor");
	ok(trust_anchors_add_insecure(tas, "sub.example.com", err,
	    sizeof(err)) == 0 && (ta = lookup(tas, "a.sub.example.com.")) != NULL &&
	    ta->negative, "a negative anchor at a positive one's name wins");
	trust_anchors_free(tas);
}

/* A DS anchor written to a file validates the zone's DNSKEY RRset. */
static void
test_anchor_validates(void)
{
	struct t_key ksk = t_key_new(LDNS_SIGN_ED25519, "example.", 257);
	ldns_rr_list *dnskeys = t_refs(ksk.dnskey, NULL);
	ldns_rr_list *sigs = t_sign_now(dnskeys, &ksk);
	ldns_rr *ds = ldns_key_rr2ds(ksk.dnskey, LDNS_SHA256);
	char *text = ldns_rr2str(ds);
	struct trust_anchors *tas = trust_anchors_new();
	const struct trust_anchor *ta = NULL;
	struct dnssec_budget budget;
	struct dnssec_verdict v = { .status = SEC_UNCHECKED, .why = "no anchor" };
	ldns_rdf *zone = t_name("example.");
	char err[512] = "";
	const char *path = write_file("ds.key", text);

	ok(trust_anchors_add_file(tas, path, err, sizeof(err)) == 0 &&
	    (ta = lookup(tas, "example.")) != NULL, "ldns-key2ds output loads");
	dnssec_budget_init(&budget);
	if (ta != NULL)		/* a failed load fails the next test, not the run */
		dnssec_verify_dnskey_rrset(dnskeys, sigs, ta->records, zone,
		    T_NOW, &budget, &v, NULL);
	ok(v.status == SEC_SECURE, "the file's DS validates the DNSKEYs (%s)",
	    v.why);
	free(text);
	ldns_rr_free(ds);
	ldns_rdf_deep_free(zone);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_free(dnskeys);
	t_key_free(&ksk);
	trust_anchors_free(tas);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_debian_root();
	test_files();
	test_errors();
	test_negative();
	test_anchor_validates();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
