/*
 * test_validator.c: the engine validating against scripted signed zones at
 * a fixed clock: keys made and zones signed in-process with ldns (Ed25519,
 * NSEC), a root trust anchor, and authorities that serve referrals with DS
 * or NSEC, answers with RRSIGs, denials with NSEC, wildcards, and broken
 * cases (a tampered record, stripped RRSIGs, expired and future
 * signatures, a DS for a key the zone does not use, a DS for a zone that
 * serves no DNSKEY, a parent server breaking the RRSIGs over its DS).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine.h"
#include "engine_limits.h"
#include "dnssec/verify.h"
#include "observer.h"
#include "rrset_cache.h"
#include "scripted_server.h"
#include "tap.h"

/* The tests' clock: 2026-01-01 00:00:00 UTC. */
#define T_NOW	1767225600u
#define T_DAY	86400u

struct zone {
	const char *addr;	/* the zone's server (IPv4) */
	const char *addr2;	/* a second server, or NULL */
	unsigned broken;	/* 1: addr, 2: addr2 serves broken RRSIGs */
	unsigned ds_broken;	/* the same, only the RRSIGs over DS records */
	bool ds_only;		/* unsigned, but the parent has a DS for it */
	unsigned sends;		/* queries to its servers in one resolve() */
	unsigned dnskey_sends, ds_sends;	/* of them, for DNSKEY, for DS */
	bool nsec3;		/* NSEC3 (SHA-1, no salt) instead of NSEC */
	uint16_t iterations;	/* NSEC3 iterations */
	bool optout;		/* NSEC3 opt-out flag on every record */
	const char *unsigned_records;	/* added after signing (opt-out) */
	const char *name;
	const char *records;	/* unsigned zone data, one record per line */
	bool is_signed;
	uint32_t inception, expiration;	/* 0: the usual window */
	bool tamper;		/* "forged." A records changed after signing */
	bool strip;		/* "stripped." records lose their RRSIGs */
	bool wrong_ds;		/* the parent's DS is for another key */
	bool no_ds;		/* signed, but the parent has no DS: an island */
	ldns_key *key;
	ldns_rr *dnskey;
	char ds[512];		/* the DS the parent publishes */
	ldns_rr_list *rrs;	/* signed zone: records, RRSIGs, NSECs */
};

/* The fixed zones, then CHAIN_ZONES made by setup_zones(). */
#define FIXED_ZONES	25
#define CHAIN_ZONES	11
static struct zone zones[FIXED_ZONES + CHAIN_ZONES] = {
	{ .addr = "192.0.2.1", .name = ".", .is_signed = true, .records =
	  ". 86400 IN SOA a.root.test. h.test. 1 3600 600 86400 300\n"
	  ". 86400 IN NS a.root.test.\n"
	  "a.root.test. 86400 IN A 192.0.2.1\n"
	  "test. 86400 IN NS ns.test.\n"
	  "ns.test. 86400 IN A 192.0.2.2\n" },
	{ .addr = "192.0.2.2", .name = "test.", .is_signed = true, .records =
	  "test. 86400 IN SOA ns.test. h.test. 1 3600 600 86400 300\n"
	  "test. 86400 IN NS ns.test.\n"
	  "ns.test. 86400 IN A 192.0.2.2\n"
	  "sec.test. 86400 IN NS ns.sec.test.\n"
	  "ns.sec.test. 86400 IN A 192.0.2.3\n"
	  "insec.test. 86400 IN NS ns.insec.test.\n"
	  "ns.insec.test. 86400 IN A 192.0.2.4\n"
	  /* Unsigned, each served by the other, no glue: a cycle. */
	  "cyca.test. 86400 IN NS ns.cycb.test.\n"
	  "cycb.test. 86400 IN NS ns.cyca.test.\n"
	  "old.test. 86400 IN NS ns.old.test.\n"
	  "ns.old.test. 86400 IN A 192.0.2.5\n"
	  "bad.test. 86400 IN NS ns.bad.test.\n"
	  "ns.bad.test. 86400 IN A 192.0.2.6\n"
	  "new.test. 86400 IN NS ns.new.test.\n"
	  "ns.new.test. 86400 IN A 192.0.2.7\n"
	  "two.test. 86400 IN NS ns1.two.test.\n"
	  "two.test. 86400 IN NS ns2.two.test.\n"
	  "ns1.two.test. 86400 IN A 192.0.2.8\n"
	  "ns2.two.test. 86400 IN A 192.0.2.9\n"
	  "both.test. 86400 IN NS ns1.both.test.\n"
	  "both.test. 86400 IN NS ns2.both.test.\n"
	  "ns1.both.test. 86400 IN A 192.0.2.10\n"
	  "ns2.both.test. 86400 IN A 192.0.2.11\n"
	  "n3.test. 86400 IN NS ns.n3.test.\n"
	  "ns.n3.test. 86400 IN A 192.0.2.12\n"
	  "oo.test. 86400 IN NS ns.oo.test.\n"
	  "ns.oo.test. 86400 IN A 192.0.2.13\n"
	  "n3big.test. 86400 IN NS ns.n3big.test.\n"
	  "ns.n3big.test. 86400 IN A 192.0.2.15\n"
	  "dsp.test. 86400 IN NS ns1.dsp.test.\n"
	  "dsp.test. 86400 IN NS ns2.dsp.test.\n"
	  "ns1.dsp.test. 86400 IN A 192.0.2.16\n"
	  "ns2.dsp.test. 86400 IN A 192.0.2.17\n"
	  "dso.test. 86400 IN NS ns.dso.test.\n"
	  "ns.dso.test. 86400 IN A 192.0.2.19\n"
	  "dsb.test. 86400 IN NS ns1.dsb.test.\n"
	  "dsb.test. 86400 IN NS ns2.dsb.test.\n"
	  "ns1.dsb.test. 86400 IN A 192.0.2.31\n"
	  "ns2.dsb.test. 86400 IN A 192.0.2.32\n"
	  /* Glueless (their servers' names are in insec.test.). */
	  "gls.test. 86400 IN NS nsg.insec.test.\n"
	  "glu.test. 86400 IN NS nsu.insec.test.\n"
	  /* Signed, delegated without DS: an island (test_island_*). */
	  "isl.test. 86400 IN NS ns.isl.test.\n"
	  "ns.isl.test. 86400 IN A 192.0.2.51\n" },
	{ .addr = "192.0.2.3", .name = "sec.test.", .is_signed = true,
	  .tamper = true, .strip = true, .records =
	  "sec.test. 86400 IN SOA ns.sec.test. h.test. 1 3600 600 86400 300\n"
	  "sec.test. 86400 IN NS ns.sec.test.\n"
	  "ns.sec.test. 86400 IN A 192.0.2.3\n"
	  "www.sec.test. 3600 IN A 198.51.100.1\n"
	  "alias.sec.test. 3600 IN CNAME www.insec.test.\n"
	  "*.wild.sec.test. 3600 IN A 198.51.100.2\n"
	  "forged.sec.test. 3600 IN A 198.51.100.3\n"
	  "stripped.sec.test. 3600 IN A 198.51.100.4\n" },
	{ .addr = "192.0.2.4", .name = "insec.test.", .records =
	  "insec.test. 86400 IN SOA ns.insec.test. h.test. 1 3600 600 86400 300\n"
	  "insec.test. 86400 IN NS ns.insec.test.\n"
	  "ns.insec.test. 86400 IN A 192.0.2.4\n"
	  "www.insec.test. 3600 IN A 198.51.100.5\n"
	  "a.sub.insec.test. 3600 IN A 198.51.100.17\n"
	  "b.sub.insec.test. 3600 IN A 198.51.100.18\n"
	  /* The servers of the glueless delegations. */
	  "nsg.insec.test. 86400 IN A 192.0.2.41\n"
	  "nsu.insec.test. 86400 IN A 192.0.2.42\n"
	  "nsk.insec.test. 86400 IN A 192.0.2.43\n"
	  "nsb.insec.test. 86400 IN A 192.0.2.44\n"
	  /* A signed zone below the unsigned one: an island (test_island_*). */
	  "isl.insec.test. 86400 IN NS ns.isl.insec.test.\n"
	  "ns.isl.insec.test. 86400 IN A 192.0.2.52\n" },
	{ .addr = "192.0.2.5", .name = "old.test.", .is_signed = true,
	  .inception = T_NOW - 60 * T_DAY, .expiration = T_NOW - 30 * T_DAY,
	  .records =
	  "old.test. 86400 IN SOA ns.old.test. h.test. 1 3600 600 86400 300\n"
	  "old.test. 86400 IN NS ns.old.test.\n"
	  "ns.old.test. 86400 IN A 192.0.2.5\n"
	  "www.old.test. 3600 IN A 198.51.100.6\n" },
	{ .addr = "192.0.2.6", .name = "bad.test.", .is_signed = true,
	  .wrong_ds = true, .records =
	  "bad.test. 86400 IN SOA ns.bad.test. h.test. 1 3600 600 86400 300\n"
	  "bad.test. 86400 IN NS ns.bad.test.\n"
	  "ns.bad.test. 86400 IN A 192.0.2.6\n"
	  "www.bad.test. 3600 IN A 198.51.100.7\n" },
	{ .addr = "192.0.2.7", .name = "new.test.", .is_signed = true,
	  .inception = T_NOW + 30 * T_DAY, .expiration = T_NOW + 60 * T_DAY,
	  .records =
	  "new.test. 86400 IN SOA ns.new.test. h.test. 1 3600 600 86400 300\n"
	  "new.test. 86400 IN NS ns.new.test.\n"
	  "ns.new.test. 86400 IN A 192.0.2.7\n"
	  "www.new.test. 3600 IN A 198.51.100.8\n" },
	/* Two servers, the second serving a copy whose RRSIGs are broken. */
	{ .addr = "192.0.2.8", .addr2 = "192.0.2.9", .broken = 2,
	  .name = "two.test.", .is_signed = true, .records =
	  "two.test. 86400 IN SOA ns1.two.test. h.test. 1 3600 600 86400 300\n"
	  "two.test. 86400 IN NS ns1.two.test.\n"
	  "two.test. 86400 IN NS ns2.two.test.\n"
	  "ns1.two.test. 86400 IN A 192.0.2.8\n"
	  "ns2.two.test. 86400 IN A 192.0.2.9\n"
	  "www.two.test. 3600 IN A 198.51.100.9\n" },
	/* Two servers, both broken. */
	{ .addr = "192.0.2.10", .addr2 = "192.0.2.11", .broken = 3,
	  .name = "both.test.", .is_signed = true, .records =
	  "both.test. 86400 IN SOA ns1.both.test. h.test. 1 3600 600 86400 300\n"
	  "both.test. 86400 IN NS ns1.both.test.\n"
	  "both.test. 86400 IN NS ns2.both.test.\n"
	  "ns1.both.test. 86400 IN A 192.0.2.10\n"
	  "ns2.both.test. 86400 IN A 192.0.2.11\n"
	  "www.both.test. 3600 IN A 198.51.100.10\n" },
	/* NSEC3 zones: plain, opt-out with an unsigned delegation, and one
	 * over LIMIT_DNSSEC_NSEC3_ITERATIONS. */
	{ .addr = "192.0.2.12", .name = "n3.test.", .is_signed = true,
	  .nsec3 = true, .records =
	  "n3.test. 86400 IN SOA ns.n3.test. h.test. 1 3600 600 86400 300\n"
	  "n3.test. 86400 IN NS ns.n3.test.\n"
	  "ns.n3.test. 86400 IN A 192.0.2.12\n"
	  "www.n3.test. 3600 IN A 198.51.100.12\n"
	  "*.wild.n3.test. 3600 IN A 198.51.100.13\n" },
	{ .addr = "192.0.2.13", .name = "oo.test.", .is_signed = true,
	  .nsec3 = true, .optout = true, .records =
	  "oo.test. 86400 IN SOA ns.oo.test. h.test. 1 3600 600 86400 300\n"
	  "oo.test. 86400 IN NS ns.oo.test.\n"
	  "ns.oo.test. 86400 IN A 192.0.2.13\n"
	  "www.oo.test. 3600 IN A 198.51.100.14\n"
	  "*.wild.oo.test. 3600 IN A 198.51.100.22\n",
	  .unsigned_records =
	  "uns.oo.test. 86400 IN NS ns.uns.oo.test.\n"
	  "ns.uns.oo.test. 86400 IN A 192.0.2.14\n" },
	{ .addr = "192.0.2.14", .name = "uns.oo.test.", .records =
	  "uns.oo.test. 86400 IN SOA ns.uns.oo.test. h.test. 1 3600 600 86400 300\n"
	  "uns.oo.test. 86400 IN NS ns.uns.oo.test.\n"
	  "ns.uns.oo.test. 86400 IN A 192.0.2.14\n"
	  "www.uns.oo.test. 3600 IN A 198.51.100.15\n" },
	{ .addr = "192.0.2.15", .name = "n3big.test.", .is_signed = true,
	  .nsec3 = true, .iterations = 100, .records =
	  "n3big.test. 86400 IN SOA ns.n3big.test. h.test. 1 3600 600 86400 300\n"
	  "n3big.test. 86400 IN NS ns.n3big.test.\n"
	  "ns.n3big.test. 86400 IN A 192.0.2.15\n"
	  "www.n3big.test. 3600 IN A 198.51.100.16\n" },
	/*
	 * Parents of two servers delegating to a signed child: dsp.test.'s
	 * second server breaks the RRSIG over the child's DS (in referrals
	 * and DS answers), both of dsb.test.'s do.
	 */
	{ .addr = "192.0.2.16", .addr2 = "192.0.2.17", .ds_broken = 2,
	  .name = "dsp.test.", .is_signed = true, .records =
	  "dsp.test. 86400 IN SOA ns1.dsp.test. h.test. 1 3600 600 86400 300\n"
	  "dsp.test. 86400 IN NS ns1.dsp.test.\n"
	  "dsp.test. 86400 IN NS ns2.dsp.test.\n"
	  "ns1.dsp.test. 86400 IN A 192.0.2.16\n"
	  "ns2.dsp.test. 86400 IN A 192.0.2.17\n"
	  "kid.dsp.test. 86400 IN NS ns.kid.dsp.test.\n"
	  "ns.kid.dsp.test. 86400 IN A 192.0.2.18\n"
	  "gk.dsp.test. 86400 IN NS nsk.insec.test.\n" },
	{ .addr = "192.0.2.18", .name = "kid.dsp.test.", .is_signed = true,
	  .records =
	  "kid.dsp.test. 86400 IN SOA ns.kid.dsp.test. h.test. 1 3600 600 86400 300\n"
	  "kid.dsp.test. 86400 IN NS ns.kid.dsp.test.\n"
	  "ns.kid.dsp.test. 86400 IN A 192.0.2.18\n"
	  "www.kid.dsp.test. 3600 IN A 198.51.100.18\n" },
	{ .addr = "192.0.2.31", .addr2 = "192.0.2.32", .ds_broken = 3,
	  .name = "dsb.test.", .is_signed = true, .records =
	  "dsb.test. 86400 IN SOA ns1.dsb.test. h.test. 1 3600 600 86400 300\n"
	  "dsb.test. 86400 IN NS ns1.dsb.test.\n"
	  "dsb.test. 86400 IN NS ns2.dsb.test.\n"
	  "ns1.dsb.test. 86400 IN A 192.0.2.31\n"
	  "ns2.dsb.test. 86400 IN A 192.0.2.32\n"
	  "kid.dsb.test. 86400 IN NS ns.kid.dsb.test.\n"
	  "ns.kid.dsb.test. 86400 IN A 192.0.2.33\n"
	  "gk.dsb.test. 86400 IN NS nsb.insec.test.\n" },
	{ .addr = "192.0.2.33", .name = "kid.dsb.test.", .is_signed = true,
	  .records =
	  "kid.dsb.test. 86400 IN SOA ns.kid.dsb.test. h.test. 1 3600 600 86400 300\n"
	  "kid.dsb.test. 86400 IN NS ns.kid.dsb.test.\n"
	  "ns.kid.dsb.test. 86400 IN A 192.0.2.33\n"
	  "www.kid.dsb.test. 3600 IN A 198.51.100.19\n" },
	/* A DS in test., no DNSKEY (nor any signature) in the zone. */
	{ .addr = "192.0.2.19", .name = "dso.test.", .ds_only = true,
	  .records =
	  "dso.test. 86400 IN SOA ns.dso.test. h.test. 1 3600 600 86400 300\n"
	  "dso.test. 86400 IN NS ns.dso.test.\n"
	  "ns.dso.test. 86400 IN A 192.0.2.19\n"
	  "www.dso.test. 3600 IN A 198.51.100.20\n" },
	/*
	 * Delegated without glue: signed, unsigned, and signed below the
	 * parents whose RRSIGs over DS records are broken (dsp.test.: one
	 * server of two; dsb.test.: both).
	 */
	{ .addr = "192.0.2.41", .name = "gls.test.", .is_signed = true,
	  .records =
	  "gls.test. 86400 IN SOA nsg.insec.test. h.test. 1 3600 600 86400 300\n"
	  "gls.test. 86400 IN NS nsg.insec.test.\n"
	  "www.gls.test. 3600 IN A 198.51.100.41\n" },
	{ .addr = "192.0.2.42", .name = "glu.test.", .records =
	  "glu.test. 86400 IN SOA nsu.insec.test. h.test. 1 3600 600 86400 300\n"
	  "glu.test. 86400 IN NS nsu.insec.test.\n"
	  "www.glu.test. 3600 IN A 198.51.100.42\n" },
	{ .addr = "192.0.2.43", .name = "gk.dsp.test.", .is_signed = true,
	  .records =
	  "gk.dsp.test. 86400 IN SOA nsk.insec.test. h.test. 1 3600 600 86400 300\n"
	  "gk.dsp.test. 86400 IN NS nsk.insec.test.\n"
	  "www.gk.dsp.test. 3600 IN A 198.51.100.43\n" },
	/* A stub zone (test_rfc8020_not_over_a_stub), under a name that
	 * sec.test. says does not exist. */
	{ .addr = "192.0.2.50", .name = "corp.gone.sec.test.", .records =
	  "corp.gone.sec.test. 86400 IN SOA ns.corp.gone.sec.test. h.test. 1 "
	  "3600 600 86400 300\n"
	  "corp.gone.sec.test. 86400 IN NS ns.corp.gone.sec.test.\n"
	  "www.corp.gone.sec.test. 3600 IN A 198.51.100.50\n" },
	{ .addr = "192.0.2.44", .name = "gk.dsb.test.", .is_signed = true,
	  .records =
	  "gk.dsb.test. 86400 IN SOA nsb.insec.test. h.test. 1 3600 600 86400 300\n"
	  "gk.dsb.test. 86400 IN NS nsb.insec.test.\n"
	  "www.gk.dsb.test. 3600 IN A 198.51.100.44\n" },
	/*
	 * Islands of security: signed zones whose parent has no DS for them,
	 * secure only from a trust anchor of their own (test_island_*):
	 * below a signed parent (NSEC proves the delegation unsigned), and
	 * below an unsigned one.
	 */
	{ .addr = "192.0.2.51", .name = "isl.test.", .is_signed = true,
	  .no_ds = true, .tamper = true, .records =
	  "isl.test. 86400 IN SOA ns.isl.test. h.test. 1 3600 600 86400 300\n"
	  "isl.test. 86400 IN NS ns.isl.test.\n"
	  "ns.isl.test. 86400 IN A 192.0.2.51\n"
	  "www.isl.test. 3600 IN A 198.51.100.51\n"
	  "forged.isl.test. 3600 IN A 198.51.100.52\n" },
	{ .addr = "192.0.2.52", .name = "isl.insec.test.", .is_signed = true,
	  .no_ds = true, .records =
	  "isl.insec.test. 86400 IN SOA ns.isl.insec.test. h.test. 1 3600 600 "
	  "86400 300\n"
	  "isl.insec.test. 86400 IN NS ns.isl.insec.test.\n"
	  "ns.isl.insec.test. 86400 IN A 192.0.2.52\n"
	  "www.isl.insec.test. 3600 IN A 198.51.100.53\n" },
};
#define ZONE_COUNT	(sizeof(zones) / sizeof(zones[0]))
static char chain_names[CHAIN_ZONES][32], chain_addrs[CHAIN_ZONES][32];
static char chain_records[CHAIN_ZONES][512];
static char test_records[4096];

static char root_anchor[512];

static ldns_rr *
rr_from(const char *text)
{
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK) {
		fprintf(stderr, "bad test record: %s\n", text);
		abort();
	}
	return rr;
}

static void
rr_text(const ldns_rr *rr, char *buf, size_t len)
{
	char *s = ldns_rr2str(rr);

	snprintf(buf, len, "%s", s);
	buf[strcspn(buf, "\n")] = '\0';
	free(s);
}

static struct zone *
zone_named(const char *name)
{
	for (size_t i = 0; i < ZONE_COUNT; i++)
		if (strcmp(zones[i].name, name) == 0)
			return &zones[i];
	return NULL;
}

static void
make_key(struct zone *z)
{
	ldns_rr *ds;

	z->key = ldns_key_new_frm_algorithm(LDNS_SIGN_ED25519, 0);
	if (z->key == NULL)
		abort();
	ldns_key_set_pubkey_owner(z->key, ldns_dname_new_frm_str(z->name));
	ldns_key_set_flags(z->key, 257);
	z->dnskey = ldns_key2rr(z->key);
	ldns_key_set_keytag(z->key, ldns_calc_keytag(z->dnskey));
	ds = ldns_key_rr2ds(z->dnskey, LDNS_SHA256);
	if (z->wrong_ds) {
		/* The DS of a key this zone never uses. */
		ldns_key *other = ldns_key_new_frm_algorithm(LDNS_SIGN_ED25519,
		    0);
		ldns_rr *other_rr;

		ldns_key_set_pubkey_owner(other,
		    ldns_dname_new_frm_str(z->name));
		ldns_key_set_flags(other, 257);
		other_rr = ldns_key2rr(other);
		ldns_rr_free(ds);
		ds = ldns_key_rr2ds(other_rr, LDNS_SHA256);
		ldns_rr_free(other_rr);
		ldns_key_deep_free(other);
	}
	rr_text(ds, z->ds, sizeof(z->ds));
	ldns_rr_free(ds);
}

/* Signs a zone: DNSKEY added, NSEC chain and RRSIGs by ldns. */
static void
sign_zone(struct zone *z)
{
	ldns_zone *zone = ldns_zone_new(), *signed_zone;
	char *copy = strdup(z->records), *line, *save = NULL;
	ldns_key_list *keys = ldns_key_list_new();

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		ldns_rr *rr = rr_from(line);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
			ldns_zone_set_soa(zone, rr);
		else
			ldns_zone_push_rr(zone, rr);
	}
	free(copy);
	/* Children's DS records, from the keys made before. */
	for (size_t i = 0; i < ZONE_COUNT; i++) {
		struct zone *child = &zones[i];
		ldns_rdf *cn = ldns_dname_new_frm_str(child->name);
		ldns_rdf *pn = ldns_dname_new_frm_str(z->name);

		if ((child->is_signed || child->ds_only) && !child->no_ds &&
		    child != z &&
		    ldns_dname_label_count(cn) == ldns_dname_label_count(pn) + 1 &&
		    ldns_dname_is_subdomain(cn, pn))
			ldns_zone_push_rr(zone, rr_from(child->ds));
		ldns_rdf_deep_free(cn);
		ldns_rdf_deep_free(pn);
	}
	if (!z->is_signed) {
		z->rrs = ldns_rr_list_clone(ldns_zone_rrs(zone));
		ldns_rr_list_push_rr(z->rrs, ldns_rr_clone(ldns_zone_soa(zone)));
		ldns_zone_deep_free(zone);
		ldns_key_list_free(keys);
		return;
	}
	ldns_zone_push_rr(zone, ldns_rr_clone(z->dnskey));
	ldns_key_set_inception(z->key, z->inception != 0 ? z->inception :
	    T_NOW - T_DAY);
	ldns_key_set_expiration(z->key, z->expiration != 0 ? z->expiration :
	    T_NOW + 30 * T_DAY);
	ldns_key_list_push_key(keys, z->key);
	signed_zone = z->nsec3 ? ldns_zone_sign_nsec3(zone, keys, LDNS_SHA1,
	    z->optout ? LDNS_NSEC3_VARS_OPTOUT_MASK : 0, z->iterations, 0,
	    NULL) : ldns_zone_sign(zone, keys);
	if (signed_zone == NULL)
		abort();
	z->rrs = ldns_rr_list_clone(ldns_zone_rrs(signed_zone));
	ldns_rr_list_push_rr(z->rrs, ldns_rr_clone(ldns_zone_soa(signed_zone)));
	if (z->unsigned_records != NULL) {
		/* Unsigned and without NSEC3 of their own: opt-out covers them. */
		copy = strdup(z->unsigned_records);
		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			ldns_rr_list_push_rr(z->rrs, rr_from(line));
		free(copy);
	}
	if (z->tamper) {
		/* A record changed after signing: its RRSIG no longer matches. */
		for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
			ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
			char owner[64];

			rr_text(rr, owner, sizeof(owner));
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A &&
			    strncmp(owner, "forged.", 7) == 0)
				ldns_rdf_data(ldns_rr_rdf(rr, 0))[3] ^= 0xff;
		}
	}
	ldns_zone_deep_free(signed_zone);
	ldns_zone_deep_free(zone);
	ldns_key_list_set_key_count(keys, 0);	/* the key is the zone's */
	ldns_key_list_free(keys);
}

/*
 * c1.test. ... c11.test.: signed zones, each a CNAME hop to the next, the
 * last to www.sec.test.: a cold answer costs a DS, a DNSKEY and an RRset
 * check per zone, more than LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST allows.
 */
static void
setup_chain_zones(void)
{
	struct zone *test = zone_named("test.");
	size_t len;

	snprintf(test_records, sizeof(test_records), "%s", test->records);
	for (int i = 0; i < CHAIN_ZONES; i++) {
		struct zone *z = &zones[FIXED_ZONES + i];
		char next[64];

		snprintf(chain_names[i], sizeof(chain_names[i]), "c%d.test.",
		    i + 1);
		snprintf(chain_addrs[i], sizeof(chain_addrs[i]), "192.0.2.%d",
		    20 + i);
		if (i + 1 < CHAIN_ZONES)
			snprintf(next, sizeof(next), "www.c%d.test.", i + 2);
		else
			snprintf(next, sizeof(next), "www.sec.test.");
		snprintf(chain_records[i], sizeof(chain_records[i]),
		    "%s 86400 IN SOA ns.%s h.test. 1 3600 600 86400 300\n"
		    "%s 86400 IN NS ns.%s\n"
		    "ns.%s 86400 IN A %s\n"
		    "www.%s 3600 IN CNAME %s\n",
		    chain_names[i], chain_names[i], chain_names[i],
		    chain_names[i], chain_names[i], chain_addrs[i],
		    chain_names[i], next);
		z->addr = chain_addrs[i];
		z->name = chain_names[i];
		z->records = chain_records[i];
		z->is_signed = true;
		len = strlen(test_records);
		snprintf(test_records + len, sizeof(test_records) - len,
		    "%s 86400 IN NS ns.%s\nns.%s 86400 IN A %s\n",
		    chain_names[i], chain_names[i], chain_names[i],
		    chain_addrs[i]);
	}
	test->records = test_records;
}

static void
setup_zones(void)
{
	ldns_rr *ds;

	setup_chain_zones();
	for (size_t i = 0; i < ZONE_COUNT; i++)
		if (zones[i].is_signed || zones[i].ds_only)
			make_key(&zones[i]);
	for (size_t i = 0; i < ZONE_COUNT; i++)
		sign_zone(&zones[i]);
	ds = ldns_key_rr2ds(zone_named(".")->dnskey, LDNS_SHA256);
	rr_text(ds, root_anchor, sizeof(root_anchor));
	ldns_rr_free(ds);
}

/* ---- the authority ---- */

/* The zone served at `ss`; *server is 1 for its addr, 2 for its addr2. */
static struct zone *
zone_at(const struct sockaddr_storage *ss, unsigned *server)
{
	char addr[64];

	scripted_addr(ss, addr, sizeof(addr));
	for (size_t i = 0; i < ZONE_COUNT; i++) {
		if (strcmp(zones[i].addr, addr) == 0) {
			*server = 1;
			return &zones[i];
		}
		if (zones[i].addr2 != NULL &&
		    strcmp(zones[i].addr2, addr) == 0) {
			*server = 2;
			return &zones[i];
		}
	}
	return NULL;
}

/*
 * A broken copy: every signature in the reply (with only_ds, each one over
 * a DS RRset) has a byte flipped.
 */
static void
break_rrsigs(ldns_pkt *pkt, bool only_ds)
{
	ldns_rr_list *sections[] = { ldns_pkt_answer(pkt),
	    ldns_pkt_authority(pkt) };

	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < ldns_rr_list_rr_count(sections[s]); i++) {
			ldns_rr *rr = ldns_rr_list_rr(sections[s], i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
			    (!only_ds || ldns_rdf2rr_type(
			    ldns_rr_rrsig_typecovered(rr)) == LDNS_RR_TYPE_DS))
				ldns_rdf_data(ldns_rr_rdf(rr, 8))[0] ^= 0xff;
		}
}

static bool
stripped(const struct zone *z, const ldns_rdf *owner)
{
	char *s = ldns_rdf2str(owner);
	bool yes = z->strip && strncmp(s, "stripped.", 9) == 0;

	free(s);
	return yes;
}

/* Pushes every record of owner/type (and, with sigs, their RRSIGs). */
static size_t
push_rrset(ldns_pkt *pkt, ldns_pkt_section sec, const struct zone *z,
    const ldns_rdf *owner, ldns_rr_type type, const ldns_rdf *as_owner)
{
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		ldns_rr *copy;

		if (ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
			continue;
		if (t == LDNS_RR_TYPE_RRSIG) {
			if (ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) !=
			    type || (type == LDNS_RR_TYPE_A && stripped(z, owner)))
				continue;
		} else if (t != type)
			continue;
		else
			n++;
		copy = ldns_rr_clone(rr);
		if (as_owner != NULL) {
			ldns_rdf_deep_free(ldns_rr_owner(copy));
			ldns_rr_set_owner(copy, ldns_rdf_clone(as_owner));
		}
		ldns_pkt_push_rr(pkt, sec, copy);
	}
	return n;
}

static bool
nsec_covers(const ldns_rr *nsec, const ldns_rdf *name)
{
	const ldns_rdf *owner = ldns_rr_owner(nsec);
	const ldns_rdf *next = ldns_rr_rdf(nsec, 0);

	if (ldns_dname_compare(owner, next) < 0)
		return ldns_dname_compare(owner, name) < 0 &&
		    ldns_dname_compare(name, next) < 0;
	return ldns_dname_compare(owner, name) < 0;	/* the last one */
}

/* The NSECs covering `name` and the wildcards of its ancestors. */
static void
push_denial(ldns_pkt *pkt, const struct zone *z, const ldns_rdf *name,
    const ldns_rdf *apex)
{
	ldns_rdf *cur = ldns_rdf_clone(name);

	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC &&
		    nsec_covers(rr, name))
			push_rrset(pkt, LDNS_SECTION_AUTHORITY, z,
			    ldns_rr_owner(rr), LDNS_RR_TYPE_NSEC, NULL);
	}
	while (ldns_dname_is_subdomain(cur, apex)) {
		ldns_rdf *parent = ldns_dname_left_chop(cur);
		ldns_rdf *star = ldns_dname_new_frm_str("*");

		ldns_dname_cat(star, parent);
		for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC &&
			    nsec_covers(rr, star) &&
			    !nsec_covers(rr, name))
				push_rrset(pkt, LDNS_SECTION_AUTHORITY, z,
				    ldns_rr_owner(rr), LDNS_RR_TYPE_NSEC, NULL);
		}
		ldns_rdf_deep_free(star);
		ldns_rdf_deep_free(cur);
		cur = parent;
	}
	ldns_rdf_deep_free(cur);
}

static bool
name_exists(const struct zone *z, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(z->rrs, i));

		if (ldns_dname_compare(o, name) == 0 ||
		    ldns_dname_is_subdomain(o, name))
			return true;
	}
	return false;
}

static bool
has_type(const struct zone *z, const ldns_rdf *name, ldns_rr_type type)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);

		if (ldns_rr_get_type(rr) == type &&
		    ldns_dname_compare(ldns_rr_owner(rr), name) == 0)
			return true;
	}
	return false;
}

/* The NSEC3 hash of `name` in the zone's parameters, as owner-label text. */
static void
nsec3_label(const struct zone *z, const ldns_rdf *name, char *out, size_t len)
{
	ldns_rdf *h = ldns_nsec3_hash_name(name, LDNS_SHA1, z->iterations, 0,
	    NULL);
	char *text = ldns_rdf2str(h);

	snprintf(out, len, "%s", text);
	out[strcspn(out, ".")] = '\0';
	for (char *c = out; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	free(text);
	ldns_rdf_deep_free(h);
}

/*
 * The NSEC3 of the zone whose owner hash equals (match) or covers the hash
 * of `name`; NULL when none. Hashes compare as their base32hex text.
 */
static const ldns_rr *
nsec3_find(const struct zone *z, const ldns_rdf *name, bool match)
{
	char want[64];

	nsec3_label(z, name, want, sizeof(want));
	for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		char owner[128], next[64], *t;
		int lo, hi;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3)
			continue;
		t = ldns_rdf2str(ldns_rr_owner(rr));
		snprintf(owner, sizeof(owner), "%s", t);
		free(t);
		owner[strcspn(owner, ".")] = '\0';
		t = ldns_rdf2str(ldns_rr_rdf(rr, 4));
		snprintf(next, sizeof(next), "%s", t);
		free(t);
		for (char *c = owner; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		for (char *c = next; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		lo = strcmp(owner, want);
		hi = strcmp(want, next);
		if (match ? lo == 0 : (strcmp(owner, next) < 0 ? lo < 0 &&
		    hi < 0 : lo < 0 || hi < 0))
			return rr;
	}
	return NULL;
}

static void
push_nsec3(ldns_pkt *pkt, const struct zone *z, const ldns_rdf *name,
    bool match);

/* A stripped proof: the authority leaves out the next closer's NSEC3. */
static bool strip_next_closer;

/*
 * An NSEC3 denial (RFC 5155 §7.2): the NSEC3 matching the name (NODATA),
 * or the closest encloser's, the one covering the next closer name and,
 * for NXDOMAIN, the one covering the wildcard at the closest encloser.
 * A referral without DS to a name without NSEC3 gets the opt-out proof.
 */
static void
push_nsec3_denial(ldns_pkt *pkt, const struct zone *z, const ldns_rdf *name,
    const ldns_rdf *apex, bool nxdomain)
{
	ldns_rdf *ce = ldns_rdf_clone(name), *next = NULL, *star;

	if (nsec3_find(z, name, true) != NULL) {
		push_nsec3(pkt, z, name, true);
		ldns_rdf_deep_free(ce);
		return;
	}
	while (ldns_dname_compare(ce, apex) != 0 &&
	    nsec3_find(z, ce, true) == NULL) {
		ldns_rdf_deep_free(next);
		next = ce;
		ce = ldns_dname_left_chop(next);
	}
	push_nsec3(pkt, z, ce, true);
	if (next != NULL && !strip_next_closer)
		push_nsec3(pkt, z, next, false);
	if (nxdomain) {
		star = ldns_dname_new_frm_str("*");
		ldns_dname_cat(star, ce);
		push_nsec3(pkt, z, star, false);
		ldns_rdf_deep_free(star);
	}
	ldns_rdf_deep_free(next);
	ldns_rdf_deep_free(ce);
}

/* The NSEC3 RRset (with its RRSIG) matching or covering `name`, once. */
static void
push_nsec3(ldns_pkt *pkt, const struct zone *z, const ldns_rdf *name,
    bool match)
{
	const ldns_rr *rr = nsec3_find(z, name, match);
	ldns_rr_list *auth = ldns_pkt_authority(pkt);

	if (rr == NULL)
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++)
		if (ldns_rr_compare(ldns_rr_list_rr(auth, i), rr) == 0)
			return;
	push_rrset(pkt, LDNS_SECTION_AUTHORITY, z, ldns_rr_owner(rr),
	    LDNS_RR_TYPE_NSEC3, NULL);
}

static void
push_soa(ldns_pkt *pkt, const struct zone *z, const ldns_rdf *apex)
{
	push_rrset(pkt, LDNS_SECTION_AUTHORITY, z, apex, LDNS_RR_TYPE_SOA, NULL);
}

static ldns_pkt *
authority_answer(struct zone *z, const ldns_pkt *query)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rdf *qname = ldns_rdf_clone(ldns_rr_owner(q));
	ldns_rr_type qtype = ldns_rr_get_type(q);
	ldns_rdf *apex = ldns_dname_new_frm_str(z->name);
	ldns_pkt *reply = scripted_reply_new(query);
	const ldns_rdf *cut;
	bool dnssec = ldns_pkt_edns_do(query);

	ldns_dname2canonical(qname);
	if (!ldns_dname_is_subdomain(qname, apex) &&
	    ldns_dname_compare(qname, apex) != 0) {
		ldns_pkt_set_rcode(reply, LDNS_RCODE_REFUSED);
		goto out;
	}
	if ((cut = scripted_cut(z->rrs, apex, qname, qtype)) != NULL) {
		push_rrset(reply, LDNS_SECTION_AUTHORITY, z, cut,
		    LDNS_RR_TYPE_NS, NULL);
		if (has_type(z, cut, LDNS_RR_TYPE_DS))
			push_rrset(reply, LDNS_SECTION_AUTHORITY, z, cut,
			    LDNS_RR_TYPE_DS, NULL);
		else if (z->nsec3)
			push_nsec3_denial(reply, z, cut, apex, false);
		else
			push_rrset(reply, LDNS_SECTION_AUTHORITY, z, cut,
			    LDNS_RR_TYPE_NSEC, NULL);
		for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A &&
			    ldns_dname_is_subdomain(ldns_rr_owner(rr), cut))
				ldns_pkt_push_rr(reply, LDNS_SECTION_ADDITIONAL,
				    ldns_rr_clone(rr));
		}
		goto out;
	}
	ldns_pkt_set_aa(reply, true);
	if (push_rrset(reply, LDNS_SECTION_ANSWER, z, qname, qtype, NULL) > 0)
		goto out;
	if (push_rrset(reply, LDNS_SECTION_ANSWER, z, qname,
	    LDNS_RR_TYPE_CNAME, NULL) > 0)
		goto out;
	if (name_exists(z, qname)) {
		push_soa(reply, z, apex);
		if (z->nsec3)
			push_nsec3_denial(reply, z, qname, apex, false);
		else if (push_rrset(reply, LDNS_SECTION_AUTHORITY, z, qname,
		    LDNS_RR_TYPE_NSEC, NULL) == 0) {
			/* An empty non-terminal: the NSEC covering it. */
			for (size_t i = 0; i < ldns_rr_list_rr_count(z->rrs);
			    i++) {
				const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);

				if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC &&
				    nsec_covers(rr, qname))
					push_rrset(reply,
					    LDNS_SECTION_AUTHORITY, z,
					    ldns_rr_owner(rr),
					    LDNS_RR_TYPE_NSEC, NULL);
			}
		}
		goto out;
	}
	/* A wildcard one label up? */
	{
		ldns_rdf *parent = ldns_dname_left_chop(qname);
		ldns_rdf *star = ldns_dname_new_frm_str("*");

		ldns_dname_cat(star, parent);
		if (push_rrset(reply, LDNS_SECTION_ANSWER, z, star, qtype,
		    qname) > 0 && z->nsec3)
			/* The next closer name (here the name) is covered. */
			push_nsec3(reply, z, qname, false);
		else if (ldns_pkt_ancount(reply) > 0)
			push_denial(reply, z, qname, apex);
		ldns_rdf_deep_free(star);
		ldns_rdf_deep_free(parent);
		if (ldns_pkt_ancount(reply) > 0)
			goto out;
	}
	ldns_pkt_set_rcode(reply, LDNS_RCODE_NXDOMAIN);
	push_soa(reply, z, apex);
	if (z->nsec3)
		push_nsec3_denial(reply, z, qname, apex, true);
	else
		push_denial(reply, z, qname, apex);
out:
	if (!dnssec) {
		/* Without DO: no RRSIG, NSEC or DS beyond the question's. */
		ldns_rr_list *sections[] = { ldns_pkt_answer(reply),
		    ldns_pkt_authority(reply) };

		for (size_t s = 0; s < 2; s++)
			for (size_t i = ldns_rr_list_rr_count(sections[s]);
			    i-- > 0;) {
				ldns_rr *rr = ldns_rr_list_rr(sections[s], i);
				ldns_rr_type t = ldns_rr_get_type(rr);

				if ((t == LDNS_RR_TYPE_RRSIG ||
				    t == LDNS_RR_TYPE_NSEC ||
				    t == LDNS_RR_TYPE_NSEC3) && t != qtype) {
					ldns_rr_list_set_rr(sections[s],
					    ldns_rr_list_rr(sections[s],
					    ldns_rr_list_rr_count(sections[s]) -
					    1), i);
					ldns_rr_list_set_rr_count(sections[s],
					    ldns_rr_list_rr_count(sections[s]) -
					    1);
					ldns_rr_free(rr);
				}
			}
		ldns_pkt_set_ancount(reply,
		    (uint16_t)ldns_rr_list_rr_count(ldns_pkt_answer(reply)));
		ldns_pkt_set_nscount(reply,
		    (uint16_t)ldns_rr_list_rr_count(ldns_pkt_authority(reply)));
	}
	ldns_rdf_deep_free(qname);
	ldns_rdf_deep_free(apex);
	return reply;
}

/* ---- the engine under test ---- */

struct events {
	unsigned dnssec, bogus_steps, subrequests, limits, synthesised;
	char last_limit[64];
	char synth_why[96];	/* the last "synthesised" step's reason */
	char cache_what[32];	/* the last EV_CACHE_HIT's kind */
	bool do_seen;
	int bogus_ede;		/* the first bogus step's EDE and reason */
	char bogus_why[128];
	bool bogus_mixed;	/* a later bogus step said otherwise */
	/*
	 * A zone watched (set after resolve() cleared the events): whether its
	 * DS or no-DS verdict came, whether its server was asked before, and
	 * whether a reply of its server was taken before.
	 */
	const char *watch;
	bool watch_judged, watch_asked_first, watch_replied_first;
};

static void
on_event(void *ctx, const struct engine_event *ev)
{
	struct events *e = ctx;

	if (ev->kind == EV_CACHE_HIT)
		snprintf(e->cache_what, sizeof(e->cache_what), "%s",
		    ev->u.cache.what);
	if (ev->kind == EV_DNSSEC) {
		if (getenv("TEST_VERBOSE") != NULL) {
			char *o = ldns_rdf2str(ev->u.dnssec.owner);

			diag("dnssec %s %s %d: %s (%s, ede %d)",
			    ev->u.dnssec.step, o, ev->u.dnssec.type,
			    sec_status_name(ev->u.dnssec.status),
			    ev->u.dnssec.why, ev->u.dnssec.ede);
			free(o);
		}
		e->dnssec++;
		if (ev->u.dnssec.status == SEC_BOGUS && e->bogus_steps++ == 0) {
			e->bogus_ede = ev->u.dnssec.ede;
			snprintf(e->bogus_why, sizeof(e->bogus_why), "%s",
			    ev->u.dnssec.why);
		} else if (ev->u.dnssec.status == SEC_BOGUS &&
		    (ev->u.dnssec.ede != e->bogus_ede ||
		    strcmp(ev->u.dnssec.why, e->bogus_why) != 0))
			e->bogus_mixed = true;
		if (strcmp(ev->u.dnssec.step, "synthesised") == 0) {
			e->synthesised++;
			snprintf(e->synth_why, sizeof(e->synth_why), "%s",
			    ev->u.dnssec.why);
		}
		if (e->watch != NULL && (strcmp(ev->u.dnssec.step, "ds") == 0 ||
		    strcmp(ev->u.dnssec.step, "no-ds") == 0)) {
			char *o = ldns_rdf2str(ev->u.dnssec.owner);

			if (o != NULL && strcasecmp(o, e->watch) == 0)
				e->watch_judged = true;
			free(o);
		}
	}
	if (ev->kind == EV_REPLY && e->watch != NULL && !e->watch_judged &&
	    ev->u.query.zone != NULL) {
		char *z = ldns_rdf2str(ev->u.query.zone);

		if (z != NULL && strcasecmp(z, e->watch) == 0)
			e->watch_replied_first = true;
		free(z);
	}
	if (ev->kind == EV_REQUEST_START &&
	    ev->u.start.reason == SUBREQ_DNSSEC)
		e->subrequests++;
	if (ev->kind == EV_LIMIT_HIT) {
		e->limits++;
		snprintf(e->last_limit, sizeof(e->last_limit), "%s",
		    ev->u.limit.limit);
	}
}

static const struct engine_observer observer = { on_event };
static struct events events;
static const char *watch_zone;	/* copied into events.watch by resolve() */

static bool aggressive_off;	/* aggressive-nsec: no for new engines */
static bool qmin_off;		/* qname-minimisation: no for new engines */

/*
 * For new engines beside the root's anchor: the zone whose DS is one more
 * trust anchor (an island, test_island_*), and a domain-insecure name.
 */
static const char *island_anchor;
static const char *insecure_domain;

static struct engine *
new_engine(bool validate)
{
	struct engine_config cfg;
	char err[256];
	static const char *anchors[2], *insecure[1];
	struct engine *engine;

	scripted_config_init(&cfg, false);
	cfg.aggressive_nsec = !aggressive_off;
	if (qmin_off)
		cfg.qname_minimisation = false;
	anchors[0] = root_anchor;
	if (validate) {
		cfg.trust_anchors = anchors;
		cfg.trust_anchor_count = 1;
		if (island_anchor != NULL)
			anchors[cfg.trust_anchor_count++] =
			    zone_named(island_anchor)->ds;
		insecure[0] = insecure_domain;
		cfg.domain_insecure = insecure;
		cfg.domain_insecure_count = insecure_domain != NULL;
	}
	engine = engine_new(&cfg, err, sizeof(err));
	if (engine == NULL)
		fprintf(stderr, "engine_new: %s\n", err);
	return engine;
}

struct outcome {
	struct engine_result result;
	bool ad;
	unsigned rrsigs;	/* in the answer as the engine built it */
	unsigned sends;
	ldns_pkt *pkt;
};

/*
 * What a hostile upstream adds to a sound proof (test_unverified_proof):
 * nothing, an NSEC/NSEC3 of the zone without RRSIG, one with an RRSIG
 * copied from a real proof record (right signer and tag, fails), or one
 * below the zone "signed" by sub.ZONE (another zone's: never checked).
 */
static enum {
	EXTRA_NONE, EXTRA_UNSIGNED, EXTRA_BADSIG, EXTRA_OTHER_SIGNER
} extra_proof;

/* The owner of the record extra_proof adds: hash-shaped for NSEC3. */
#define EXTRA_LABEL	"f0rged00000000000000000000000000"

static void
add_extra_proof(ldns_pkt *reply, const struct zone *z)
{
	ldns_rr_list *auth = ldns_pkt_authority(reply);
	ldns_rr_type type = z->nsec3 ? LDNS_RR_TYPE_NSEC3 : LDNS_RR_TYPE_NSEC;
	const ldns_rr *sig = NULL;
	ldns_rr *rr = NULL;
	char text[256];
	bool has_proof = false;

	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *a = ldns_rr_list_rr(auth, i);

		has_proof |= ldns_rr_get_type(a) == type;
		if (ldns_rr_get_type(a) == LDNS_RR_TYPE_RRSIG &&
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(a)) == type)
			sig = a;
	}
	if (extra_proof == EXTRA_NONE || !has_proof || sig == NULL)
		return;
	if (z->nsec3)
		snprintf(text, sizeof(text), "%s.%s%s 300 IN NSEC3 1 0 %u - "
		    "f0rged00000000000000000000000001 A RRSIG", EXTRA_LABEL,
		    extra_proof == EXTRA_OTHER_SIGNER ? "sub." : "", z->name,
		    (unsigned)z->iterations);
	else
		snprintf(text, sizeof(text), "%s.%s%s 300 IN NSEC zzz.%s A "
		    "RRSIG NSEC", EXTRA_LABEL, extra_proof ==
		    EXTRA_OTHER_SIGNER ? "sub." : "", z->name, z->name);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return;
	if (extra_proof != EXTRA_UNSIGNED) {
		ldns_rr *copy = ldns_rr_clone(sig);

		ldns_rdf_deep_free(ldns_rr_owner(copy));
		ldns_rr_set_owner(copy, ldns_rdf_clone(ldns_rr_owner(rr)));
		if (extra_proof == EXTRA_OTHER_SIGNER)
			(void)ldns_rr_rrsig_set_signame(copy,	/* frees the old */
			    ldns_dname_left_chop(ldns_rr_owner(rr)));
		ldns_pkt_push_rr(reply, LDNS_SECTION_AUTHORITY, copy);
	}
	ldns_pkt_push_rr(reply, LDNS_SECTION_AUTHORITY, rr);
}

/*
 * test_extra_signer: before each RRSIG of the reply whose signer is above
 * its owner, a copy naming the owner as signer (a plausible signer to the
 * scrubber, a DS lookup away from being no zone, its signature false).
 */
static bool extra_signer;
static const char *extra_signer_zone;	/* only its replies; NULL: all */

static void
add_extra_signers(ldns_pkt *reply)
{
	ldns_pkt_section sections[] = { LDNS_SECTION_ANSWER,
	    LDNS_SECTION_AUTHORITY };

	for (size_t s = 0; s < 2; s++) {
		ldns_rr_list *old = ldns_pkt_get_section_clone(reply,
		    sections[s]);
		ldns_rr_list *new = ldns_rr_list_new();

		for (size_t i = 0; i < ldns_rr_list_rr_count(old); i++) {
			ldns_rr *rr = ldns_rr_list_rr(old, i);
			const ldns_rdf *signer = ldns_rr_rrsig_signame(rr);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
			    signer != NULL &&
			    ldns_dname_compare(signer, ldns_rr_owner(rr)) != 0) {
				ldns_rr *fake = ldns_rr_clone(rr);

				(void)ldns_rr_rrsig_set_signame(fake,
				    ldns_rdf_clone(ldns_rr_owner(rr)));
				ldns_rr_list_push_rr(new, fake);
			}
			ldns_rr_list_push_rr(new, ldns_rr_clone(rr));
		}
		ldns_rr_list_deep_free(old);
		if (sections[s] == LDNS_SECTION_ANSWER) {
			ldns_rr_list_deep_free(ldns_pkt_answer(reply));
			ldns_pkt_set_answer(reply, new);
			ldns_pkt_set_ancount(reply,
			    (uint16_t)ldns_rr_list_rr_count(new));
		} else {
			ldns_rr_list_deep_free(ldns_pkt_authority(reply));
			ldns_pkt_set_authority(reply, new);
			ldns_pkt_set_nscount(reply,
			    (uint16_t)ldns_rr_list_rr_count(new));
		}
	}
}

/* An on-path forger: its reply to `query` for `z`, or NULL to let the
 * zone's server answer. */
static ldns_pkt *(*forge)(struct zone *z, const ldns_pkt *query);

/* One query to the signed zones' servers. */
static ldns_pkt *
zone_answer(void *ctx, const struct engine_send *send, const ldns_pkt *query,
    struct engine_now *now, unsigned *rtt_ms)
{
	unsigned server = 0;
	struct zone *z = zone_at(&send->addr, &server);
	ldns_pkt *reply;

	(void)ctx;
	(void)now;
	(void)rtt_ms;
	if (query != NULL && ldns_pkt_edns_do(query))
		events.do_seen = true;
	if (z == NULL || query == NULL)
		return NULL;
	z->sends++;
	switch (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_question(query), 0))) {
	case LDNS_RR_TYPE_DNSKEY:
		z->dnskey_sends++;
		break;
	case LDNS_RR_TYPE_DS:
		z->ds_sends++;
		break;
	default:
		break;
	}
	if (events.watch != NULL && strcmp(z->name, events.watch) == 0 &&
	    !events.watch_judged)
		events.watch_asked_first = true;
	reply = forge != NULL ? forge(z, query) : NULL;
	if (reply == NULL) {
		reply = authority_answer(z, query);
		if (ldns_pkt_edns_do(query))
			add_extra_proof(reply, z);
		if (extra_signer && (extra_signer_zone == NULL ||
		    strcmp(extra_signer_zone, z->name) == 0))
			add_extra_signers(reply);
	}
	if ((z->broken & server) != 0)
		break_rrsigs(reply, false);
	else if ((z->ds_broken & server) != 0)
		break_rrsigs(reply, true);
	return reply;
}

/* Seconds the clock of resolve() is ahead of T_NOW. */
static uint32_t clock_skip;

static void
resolve(struct engine *engine, const char *name, ldns_rr_type type,
    bool dnssec_ok, bool cd, struct outcome *out)
{
	struct engine_question q = { .type = type, .klass = LDNS_RR_CLASS_IN,
	    .dnssec_ok = dnssec_ok, .checking_disabled = cd };
	struct engine_now now = { T_NOW + clock_skip, 1000 };
	struct engine_request *req;
	const uint8_t *wire;
	size_t len;

	memset(out, 0, sizeof(*out));
	memset(&events, 0, sizeof(events));
	events.watch = watch_zone;
	for (size_t i = 0; i < ZONE_COUNT; i++)
		zones[i].sends = zones[i].dnskey_sends = zones[i].ds_sends = 0;
	q.name = ldns_dname_new_frm_str(name);
	req = engine_request_new(engine, &q, 0, now, &observer, &events);
	ldns_rdf_deep_free(q.name);
	out->sends = scripted_run(req, &now, zone_answer, NULL);
	engine_request_result(req, &out->result);
	wire = engine_request_answer(req, &len);
	if (wire != NULL && ldns_wire2pkt(&out->pkt, wire, len) ==
	    LDNS_STATUS_OK) {
		out->ad = ldns_pkt_ad(out->pkt);
		for (size_t i = 0; i < ldns_pkt_ancount(out->pkt); i++)
			if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(
			    out->pkt), i)) == LDNS_RR_TYPE_RRSIG)
				out->rrsigs++;
	}
	engine_request_free(req);
}

static void
outcome_free(struct outcome *o)
{
	ldns_pkt_free(o->pkt);
	o->pkt = NULL;
}

static bool
cache_has(struct engine *engine, const char *needle)
{
	char *text = scripted_cache_text(engine, T_NOW);
	bool found;

	found = text != NULL && strstr(text, needle) != NULL;
	free(text);
	return found;
}

/* Whether a line of the cache dump holds both `needle` and `also`. */
static bool
cache_holds_as(struct engine *engine, const char *needle, const char *also)
{
	char *text = scripted_cache_text(engine, T_NOW);
	bool found = false;

	for (char *line = text, *end; !found && line != NULL && *line != '\0';
	    line = end != NULL ? end + 1 : NULL) {
		if ((end = strchr(line, '\n')) != NULL)
			*end = '\0';
		found = strstr(line, needle) != NULL &&
		    strstr(line, also) != NULL;
	}
	free(text);
	return found;
}

/* ---- the cases ---- */

/*
 * The parsed DNSKEY objects (verify.c's process-wide table) go with the
 * engine: they were never freed, so every descendd exit left up to
 * LIMIT_DNSSEC_KEY_OBJECTS keys allocated (valgrind: still reachable).
 */
static void
test_key_objects_freed_with_engine(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;
	unsigned kept;

	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	outcome_free(&o);
	kept = dnssec_key_objects_kept();
	engine_free(engine);
	ok(kept > 0 && dnssec_key_objects_kept() == 0, "key objects kept "
	    "while the engine ran: %u; after engine_free: %u (was: all of "
	    "them)", kept, dnssec_key_objects_kept());
}

static void
test_secure_answer(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE,
	    "secure_chain_answer_is_secure (rcode %d, %s: %s)",
	    o.result.rcode, sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	ok(o.ad, "secure_answer_carries_ad");
	ok(o.rrsigs == 0, "no_rrsig_for_a_client_without_do");
	ok(events.do_seen, "upstream_queries_set_do");
	ok(events.subrequests > 0 && events.dnssec > 0,
	    "chain_of_trust_fetched_as_subrequests (%u sub-requests, %u "
	    "dnssec events)", events.subrequests, events.dnssec);
	ok(cache_has(engine, "key sec.test. secure") &&
	    cache_has(engine, "key . secure"),
	    "key_cache_holds_the_validated_zones");
	outcome_free(&o);

	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_SECURE && o.rrsigs == 1 && o.ad,
	    "do_client_gets_rrsig_and_ad_from_cache (%u rrsigs, %u sends)",
	    o.rrsigs, o.sends);
	ok(o.sends == 0, "cached_secure_answer_needs_no_queries (%u sends)",
	    o.sends);
	outcome_free(&o);
	engine_free(engine);
}

static void
test_negative_answers(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;
	unsigned nsec = 0;

	resolve(engine, "nope.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	for (size_t i = 0; o.pkt != NULL && i < ldns_pkt_nscount(o.pkt); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(o.pkt),
		    i)) == LDNS_RR_TYPE_NSEC)
			nsec++;
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN &&
	    o.result.security == SEC_SECURE && o.ad && nsec > 0,
	    "nxdomain_proven_by_nsec_is_secure (rcode %d, %s: %s, %u NSEC)",
	    o.result.rcode, sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-", nsec);
	outcome_free(&o);
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_TXT, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE,
	    "nodata_proven_by_nsec_is_secure (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	resolve(engine, "a.wild.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE,
	    "wildcard_answer_with_next_closer_denial_is_secure (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	engine_free(engine);
}

static unsigned
count_in(const ldns_pkt *pkt, ldns_rr_type type)
{
	unsigned n = 0;

	for (size_t i = 0; pkt != NULL && i < ldns_pkt_nscount(pkt); i++)
		n += ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(pkt),
		    i)) == type;
	return n;
}

/* RFC 8198: names and types the cached, validated NSECs deny need no query. */
static void
test_aggressive_nsec(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	/* forged.sec.test's NSEC (next ns) covers "nope". */
	resolve(engine, "nope.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends > 0,
	    "the first nxdomain is asked upstream (%u sends)", o.sends);
	outcome_free(&o);
	resolve(engine, "nope2.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends == 0 &&
	    o.result.security == SEC_SECURE && o.ad &&
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC) > 0 &&
	    count_in(o.pkt, LDNS_RR_TYPE_SOA) == 1 &&
	    count_in(o.pkt, LDNS_RR_TYPE_RRSIG) > 1 && events.synthesised == 1,
	    "nxdomain_synthesised_from_cached_nsec_needs_no_query (%u sends, "
	    "%s, %u synthesised)", o.sends, sec_status_name(o.result.security),
	    events.synthesised);
	outcome_free(&o);
	resolve(engine, "forged.sec.test.", LDNS_RR_TYPE_TXT, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && o.sends == 0 &&
	    o.result.security == SEC_SECURE && o.ad &&
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC) == 0,
	    "nodata_synthesised_from_the_nsec_at_the_name (%u sends)", o.sends);
	outcome_free(&o);
	resolve(engine, "forged.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.sends > 0, "a type the nsec lists is asked upstream");
	outcome_free(&o);
	resolve(engine, "nope3.sec.test.", LDNS_RR_TYPE_A, false, true, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends == 0 && !o.ad &&
	    o.result.security == SEC_UNCHECKED,
	    "a cd client gets it too, without ad (as from unbound)");
	outcome_free(&o);
	engine_free(engine);

	aggressive_off = true;
	engine = new_engine(true);
	aggressive_off = false;
	resolve(engine, "nope.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	outcome_free(&o);
	resolve(engine, "nope2.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends > 0 &&
	    events.synthesised == 0, "aggressive_nsec_off_asks_upstream");
	outcome_free(&o);
	engine_free(engine);
}

/*
 * The `nth` (from 0) "rN.<zone>" whose hash the NSEC3 covering `like`'s
 * hash covers too (`same`), or one covered by neither that NSEC3 nor
 * `other`'s.
 */
static void
name_in_span(const struct zone *z, const char *like, const char *other,
    bool same, int nth, char *out, size_t len)
{
	ldns_rdf *l = ldns_dname_new_frm_str(like);
	ldns_rdf *o = ldns_dname_new_frm_str(other);
	const ldns_rr *want = nsec3_find(z, l, false);
	const ldns_rr *also = nsec3_find(z, o, false);

	for (int i = 0; i < 1000; i++) {
		ldns_rdf *n;
		const ldns_rr *rr;

		snprintf(out, len, "r%d.%s", i, z->name);
		n = ldns_dname_new_frm_str(out);
		rr = nsec3_find(z, n, false);
		ldns_rdf_deep_free(n);
		if (rr != NULL && (same ? rr == want : rr != want &&
		    rr != also) && nth-- == 0)
			break;
	}
	ldns_rdf_deep_free(l);
	ldns_rdf_deep_free(o);
}

/*
 * RFC 8198 with NSEC3: after one validated NXDOMAIN, a name whose hash
 * the same cached NSEC3 covers is denied without a query (the closest
 * encloser's NSEC3 and the wildcard's cover came with the first reply);
 * one its spans do not cover is asked. Never from an opt-out zone's
 * NXDOMAIN nor from one above the iteration limit (both insecure).
 */
static void
test_aggressive_nsec3(void)
{
	struct engine *engine = new_engine(true);
	struct zone *n3 = zone_named("n3.test."), *oo = zone_named("oo.test.");
	struct engine_stats stats;
	struct outcome o;
	char name[64];

	resolve(engine, "nope.n3.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends > 0 &&
	    o.result.security == SEC_SECURE,
	    "nsec3: the first nxdomain is asked upstream (%u sends)", o.sends);
	outcome_free(&o);
	name_in_span(n3, "nope.n3.test.", "*.n3.test.", true, 0, name,
	    sizeof(name));
	resolve(engine, name, LDNS_RR_TYPE_A, true, false, &o);
	engine_stats_get(engine, &stats);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends == 0 &&
	    o.result.security == SEC_SECURE && o.ad &&
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC3) >= 2 &&
	    count_in(o.pkt, LDNS_RR_TYPE_SOA) == 1 &&
	    count_in(o.pkt, LDNS_RR_TYPE_RRSIG) >= 3 &&
	    events.synthesised == 1 &&
	    strstr(events.synth_why, "NSEC3") != NULL &&
	    stats.dnssec_aggressive_nsec3 == 1 &&
	    stats.dnssec_aggressive_nsec3_nxdomain == 1 &&
	    stats.dnssec_aggressive_nsec == 0,
	    "nxdomain_synthesised_from_cached_nsec3_needs_no_query (%s: %u "
	    "sends, %s, %u NSEC3, \"%s\")", name, o.sends,
	    sec_status_name(o.result.security),
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC3), events.synth_why);
	outcome_free(&o);
	name_in_span(n3, "nope.n3.test.", "*.n3.test.", false, 0, name,
	    sizeof(name));
	resolve(engine, name, LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends > 0 &&
	    events.synthesised == 0,
	    "a name no cached nsec3 covers is asked upstream (%s, %u sends)",
	    name, o.sends);
	outcome_free(&o);
	name_in_span(n3, "nope.n3.test.", "*.n3.test.", true, 1, name,
	    sizeof(name));
	resolve(engine, name, LDNS_RR_TYPE_A, false, true, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends == 0 && !o.ad,
	    "a cd client gets the nsec3 denial too, without ad");
	outcome_free(&o);

	resolve(engine, "www.n3.test.", LDNS_RR_TYPE_TXT, true, false, &o);
	outcome_free(&o);
	resolve(engine, "www.n3.test.", LDNS_RR_TYPE_AAAA, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && o.sends == 0 &&
	    o.result.security == SEC_SECURE && o.ad &&
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC3) == 1,
	    "nodata_synthesised_from_the_nsec3_at_the_name (%u sends)",
	    o.sends);
	outcome_free(&o);
	resolve(engine, "www.n3.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && o.sends > 0,
	    "a type the nsec3 lists is asked upstream");
	outcome_free(&o);
	resolve(engine, "www.n3.test.", LDNS_RR_TYPE_DS, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && o.sends == 0 &&
	    o.result.security == SEC_SECURE,
	    "a ds is denied from the zone's own nsec3 at the name (%u sends)",
	    o.sends);
	outcome_free(&o);

	/* Opt-out: the NXDOMAIN is insecure, and nothing is learnt from it. */
	resolve(engine, "nope.oo.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN &&
	    o.result.security == SEC_INSECURE && !o.ad,
	    "an opt-out nxdomain is insecure (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	name_in_span(oo, "nope.oo.test.", "*.oo.test.", true, 0, name,
	    sizeof(name));
	resolve(engine, name, LDNS_RR_TYPE_A, true, false, &o);
	ok(o.sends > 0 && events.synthesised == 0,
	    "and the next name in its span is asked upstream (%u sends)",
	    o.sends);
	outcome_free(&o);
	resolve(engine, "nope.n3big.test.", LDNS_RR_TYPE_A, true, false, &o);
	outcome_free(&o);
	resolve(engine, "nope2.n3big.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.sends > 0 && events.synthesised == 0,
	    "nsec3 above the iteration limit is never synthesised from");
	outcome_free(&o);
	engine_free(engine);

	aggressive_off = true;
	engine = new_engine(true);
	aggressive_off = false;
	resolve(engine, "nope.n3.test.", LDNS_RR_TYPE_A, true, false, &o);
	outcome_free(&o);
	name_in_span(n3, "nope.n3.test.", "*.n3.test.", true, 0, name,
	    sizeof(name));
	resolve(engine, name, LDNS_RR_TYPE_A, true, false, &o);
	ok(o.sends > 0 && events.synthesised == 0,
	    "aggressive_nsec_off_asks_upstream_for_nsec3_too");
	outcome_free(&o);
	engine_free(engine);
}

/* The answer's first record: its owner and rdata, as text. */
static bool
first_answer_is(const ldns_pkt *pkt, const char *owner, const char *rdata)
{
	const ldns_rr *rr;
	char *o, *d;
	bool same;

	if (pkt == NULL || ldns_pkt_ancount(pkt) == 0)
		return false;
	rr = ldns_rr_list_rr(ldns_pkt_answer(pkt), 0);
	o = ldns_rdf2str(ldns_rr_owner(rr));
	d = ldns_rdf2str(ldns_rr_rdf(rr, 0));
	same = o != NULL && d != NULL && strcasecmp(o, owner) == 0 &&
	    strcmp(d, rdata) == 0;
	free(o);
	free(d);
	return same;
}

/*
 * RFC 8198 §5.3: once a wildcard expansion under *.wild.sec.test was
 * validated (its RRset kept under the wildcard's name) and the NSEC of
 * *.wild (next www, from the NXDOMAIN of wildz) is cached, another name it covers is answered from
 * the wildcard without a query, with the wildcard's RRSIG and the NSEC
 * covering the name in the authority section (RFC 4035 §3.1.3.3), as an
 * upstream expansion has. Without the wildcard's RRset cached, the name
 * is asked.
 */
static void
test_aggressive_wildcard(void)
{
	struct engine *engine = new_engine(true);
	struct engine_stats stats;
	struct outcome o;

	/* An NXDOMAIN whose proof is the NSEC at *.wild (next www). */
	resolve(engine, "wildz.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	outcome_free(&o);
	resolve(engine, "b.wild.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.sends > 0 && o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && events.synthesised == 0,
	    "wildcard: with no expansion validated yet, the name is asked "
	    "(%u sends)", o.sends);
	outcome_free(&o);
	resolve(engine, "c.wild.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	engine_stats_get(engine, &stats);
	ok(o.sends == 0 && o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && o.ad && o.rrsigs == 1 &&
	    first_answer_is(o.pkt, "c.wild.sec.test.", "198.51.100.2") &&
	    events.synthesised == 1 && stats.dnssec_aggressive_wildcard == 1 &&
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC) == 1 &&
	    count_in(o.pkt, LDNS_RR_TYPE_RRSIG) >= 1,
	    "answer_expanded_from_the_cached_wildcard_needs_no_query (%u "
	    "sends, %s, %u rrsigs, %u NSEC in authority, \"%s\")", o.sends,
	    sec_status_name(o.result.security), o.rrsigs,
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC), events.synth_why);
	outcome_free(&o);
	resolve(engine, "d.wild.sec.test.", LDNS_RR_TYPE_AAAA, true, false, &o);
	ok(o.sends == 0 && o.result.rcode == LDNS_RCODE_NOERROR &&
	    ldns_pkt_ancount(o.pkt) == 0 && o.result.security == SEC_SECURE,
	    "a type the wildcard lacks is wildcard NODATA, not an answer");
	outcome_free(&o);
	resolve(engine, "e.wild.sec.test.", LDNS_RR_TYPE_A, false, true, &o);
	ok(o.sends == 0 && o.result.rcode == LDNS_RCODE_NOERROR && !o.ad &&
	    first_answer_is(o.pkt, "e.wild.sec.test.", "198.51.100.2"),
	    "a cd client gets the expansion too, without ad");
	outcome_free(&o);
	engine_free(engine);

	aggressive_off = true;
	engine = new_engine(true);
	aggressive_off = false;
	resolve(engine, "wildz.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	outcome_free(&o);
	resolve(engine, "b.wild.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	outcome_free(&o);
	resolve(engine, "c.wild.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.sends > 0 && events.synthesised == 0,
	    "aggressive_nsec_off_expands_nothing");
	outcome_free(&o);
	engine_free(engine);
}

/*
 * RFC 8198 §5.3 from a positive answer alone: a secure expansion's proof
 * (the NSEC covering the name; the NSEC3 covering its next closer name,
 * RFC 5155 §7.2.6) goes into the NSEC cache beside the wildcard's RRset,
 * so a second name under the wildcard, with no denial ever asked, is
 * expanded with AD and no query (reported as every synthesis is: the
 * "synthesised" verdict and the counters). An expansion validated
 * insecure (oo.test.: its next closer in an opt-out span) keeps nothing,
 * and its second name is asked.
 */
static void
test_wildcard_answer_seeds_aggressive(void)
{
	struct zone *n3 = zone_named("n3.test.");
	struct engine_stats stats;
	struct engine *engine;
	struct outcome o;
	char name[64] = "";

	for (int off = 0; off < 2; off++) {
		aggressive_off = off == 1;
		engine = new_engine(true);
		aggressive_off = false;
		resolve(engine, "b.wild.sec.test.", LDNS_RR_TYPE_A, true, false,
		    &o);
		ok(o.sends > 0 && o.result.security == SEC_SECURE &&
		    count_in(o.pkt, LDNS_RR_TYPE_NSEC) >= 1,
		    "%sthe first name under *.wild.sec.test is asked (%u "
		    "sends, %u NSEC)", off ? "off: " : "", o.sends,
		    count_in(o.pkt, LDNS_RR_TYPE_NSEC));
		outcome_free(&o);
		resolve(engine, "c.wild.sec.test.", LDNS_RR_TYPE_A, true, false,
		    &o);
		engine_stats_get(engine, &stats);
		if (off == 0)
			ok(o.sends == 0 &&
			    o.result.rcode == LDNS_RCODE_NOERROR &&
			    o.result.security == SEC_SECURE && o.ad &&
			    first_answer_is(o.pkt, "c.wild.sec.test.",
			    "198.51.100.2") && o.rrsigs == 1 &&
			    count_in(o.pkt, LDNS_RR_TYPE_NSEC) == 1 &&
			    events.synthesised == 1 &&
			    strcmp(events.cache_what,
			    "aggressive-wildcard") == 0 &&
			    stats.dnssec_aggressive_wildcard == 1,
			    "nsec: the second is expanded from the first's "
			    "proof, no query (%u sends, %s, %u synthesised, "
			    "cache hit \"%s\", %" PRIu64 " expanded)", o.sends,
			    sec_status_name(o.result.security),
			    events.synthesised, events.cache_what,
			    stats.dnssec_aggressive_wildcard);
		else
			ok(o.sends > 0 && events.synthesised == 0,
			    "off: the second is asked (%u sends)", o.sends);
		outcome_free(&o);

		resolve(engine, "a.wild.n3.test.", LDNS_RR_TYPE_A, true, false,
		    &o);
		ok(o.sends > 0 && o.result.security == SEC_SECURE,
		    "%sthe first name under *.wild.n3.test is asked (%u sends)",
		    off ? "off: " : "", o.sends);
		outcome_free(&o);
		/* A name whose next closer (itself) the same NSEC3 covers. */
		for (int i = 0; i < 1000 && name[0] == '\0'; i++) {
			ldns_rdf *a = ldns_dname_new_frm_str("a.wild.n3.test.");
			ldns_rdf *n;

			snprintf(name, sizeof(name), "r%d.wild.n3.test.", i);
			n = ldns_dname_new_frm_str(name);
			if (nsec3_find(n3, n, false) == NULL ||
			    nsec3_find(n3, n, false) !=
			    nsec3_find(n3, a, false))
				name[0] = '\0';
			ldns_rdf_deep_free(a);
			ldns_rdf_deep_free(n);
		}
		resolve(engine, name, LDNS_RR_TYPE_A, true, false, &o);
		engine_stats_get(engine, &stats);
		if (off == 0)
			ok(o.sends == 0 &&
			    o.result.rcode == LDNS_RCODE_NOERROR &&
			    o.result.security == SEC_SECURE && o.ad &&
			    first_answer_is(o.pkt, name, "198.51.100.13") &&
			    count_in(o.pkt, LDNS_RR_TYPE_NSEC3) == 1 &&
			    events.synthesised == 1 &&
			    strstr(events.synth_why, "NSEC3") != NULL &&
			    strcmp(events.cache_what,
			    "aggressive-wildcard-nsec3") == 0 &&
			    stats.dnssec_aggressive_nsec3_wildcard == 1,
			    "nsec3: %s is expanded from a.wild's proof, no "
			    "query (%u sends, %s, \"%s\", cache hit \"%s\")",
			    name, o.sends, sec_status_name(o.result.security),
			    events.synth_why, events.cache_what);
		else
			ok(o.sends > 0 && events.synthesised == 0,
			    "off: %s is asked (%u sends)", name, o.sends);
		outcome_free(&o);
		engine_free(engine);
	}

	engine = new_engine(true);
	resolve(engine, "a.wild.oo.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad &&
	    !cache_has(engine, "nsec-cache"),
	    "an expansion over an opt-out span is insecure, its proof not kept "
	    "(%s)", sec_status_name(o.result.security));
	outcome_free(&o);
	resolve(engine, "b.wild.oo.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.sends > 0 && events.synthesised == 0 && !o.ad,
	    "and its second name is asked (%u sends)", o.sends);
	outcome_free(&o);
	engine_free(engine);
}

/*
 * The RRset-cache lookups of wildcard owners ("*.<encloser>") the engine
 * makes, by the label count of the encloser: the binary is linked with
 * -Wl,--wrap=rrset_cache_lookup (unit_engine.am), so the engine's calls
 * come here first.
 */
static unsigned wild_lookups[8];

ldns_rr_list *__real_rrset_cache_lookup(struct rrset_cache *cache,
    const ldns_rdf *owner, ldns_rr_type type, ldns_rr_class klass,
    time_t now, enum rrset_rank min_rank, struct rrset_info *info);
ldns_rr_list *__wrap_rrset_cache_lookup(struct rrset_cache *cache,
    const ldns_rdf *owner, ldns_rr_type type, ldns_rr_class klass,
    time_t now, enum rrset_rank min_rank, struct rrset_info *info);

ldns_rr_list *
__wrap_rrset_cache_lookup(struct rrset_cache *cache, const ldns_rdf *owner,
    ldns_rr_type type, ldns_rr_class klass, time_t now,
    enum rrset_rank min_rank, struct rrset_info *info)
{
	const uint8_t *p = ldns_rdf_data(owner);

	if (ldns_rdf_size(owner) >= 2 && p[0] == 1 && p[1] == '*') {
		size_t labels = ldns_dname_label_count(owner) - 1;

		wild_lookups[labels < 7 ? labels : 7]++;
	}
	return __real_rrset_cache_lookup(cache, owner, type, klass, now,
	    min_rank, info);
}

/* Wildcard lookups for enclosers of fewer than `labels` labels. */
static unsigned
wild_lookups_above(unsigned labels)
{
	unsigned n = 0;

	for (unsigned l = 0; l < labels && l < 8; l++)
		n += wild_lookups[l];
	return n;
}

/*
 * Before a name of an NSEC3 zone goes upstream, aggressive_answer looks
 * for a cached wildcard over it (cached_wildcard). An expansion can be
 * answered only from an encloser at or below the apex of the zone whose
 * chain is cached (aggressive_nsec3_wildcard), so the enclosers above it,
 * "*.test." and "*." for names of n3.test., are not looked up, and no
 * encloser at all without a chain (insec.test., unsigned). Was one lookup
 * and one allocation per label of the name, up to the root.
 */
static void
test_wildcard_walk_bounded(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;
	unsigned all, above;

	/* A secure expansion keeps the cover of its next closer name: the
	 * n3.test. chain is cached from now on. */
	resolve(engine, "a.wild.n3.test.", LDNS_RR_TYPE_A, true, false, &o);
	outcome_free(&o);
	memset(wild_lookups, 0, sizeof(wild_lookups));
	resolve(engine, "www.n3.test.", LDNS_RR_TYPE_A, true, false, &o);
	all = wild_lookups_above(8);
	above = wild_lookups_above(2);
	ok(o.sends > 0 && o.result.security == SEC_SECURE && all == 1 &&
	    above == 0,
	    "a cold name of an NSEC3 zone looks up the wildcards at or below "
	    "its apex only (%u sends, %u wildcard lookups, %u above the apex)",
	    o.sends, all, above);
	outcome_free(&o);
	memset(wild_lookups, 0, sizeof(wild_lookups));
	resolve(engine, "www.insec.test.", LDNS_RR_TYPE_A, true, false, &o);
	all = wild_lookups_above(8);
	ok(o.sends > 0 && o.result.security == SEC_INSECURE && all == 0,
	    "a name no NSEC3 chain covers looks up no wildcard (%u sends, %u "
	    "wildcard lookups)", o.sends, all);
	outcome_free(&o);
	engine_free(engine);
}

/* Whether two answers carry the same records in the same order. */
static bool
same_sections(const ldns_pkt *a, const ldns_pkt *b)
{
	return a != NULL && b != NULL &&
	    ldns_rr_list_compare(ldns_pkt_answer(a), ldns_pkt_answer(b)) == 0 &&
	    ldns_rr_list_compare(ldns_pkt_authority(a),
	    ldns_pkt_authority(b)) == 0;
}

/*
 * RFC 4035 §3.1.3.3, RFC 5155 §7.2.6: a DO client's answer expanded from
 * a wildcard carries the NSEC (NSEC3) and RRSIGs proving no closer name,
 * so that it can validate the expansion itself; cold, from the answer
 * cache (the same records), and with CD (which the answer cache keys
 * apart: the RRset cache's copy answers it, with the proof kept beside the
 * RRset). A plain client and an answer that is no expansion get none.
 */
static void
test_wildcard_proof(void)
{
	struct engine *engine;
	struct outcome o, cold;

	aggressive_off = true;
	engine = new_engine(true);
	aggressive_off = false;
	resolve(engine, "a.wild.sec.test.", LDNS_RR_TYPE_A, true, false, &cold);
	ok(cold.result.security == SEC_SECURE && cold.ad &&
	    count_in(cold.pkt, LDNS_RR_TYPE_NSEC) >= 1 &&
	    count_in(cold.pkt, LDNS_RR_TYPE_RRSIG) >= 1 &&
	    count_in(cold.pkt, LDNS_RR_TYPE_SOA) == 0,
	    "wildcard_answer_to_do_client_carries_nsec_proof (%u NSEC, %u "
	    "RRSIG in authority)", count_in(cold.pkt, LDNS_RR_TYPE_NSEC),
	    count_in(cold.pkt, LDNS_RR_TYPE_RRSIG));
	resolve(engine, "a.wild.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.sends == 0 && same_sections(cold.pkt, o.pkt),
	    "wildcard_proof_from_the_answer_cache_too (%u sends)", o.sends);
	outcome_free(&o);
	resolve(engine, "a.wild.sec.test.", LDNS_RR_TYPE_A, true, true, &o);
	ok(!o.ad && count_in(o.pkt, LDNS_RR_TYPE_NSEC) >= 1 &&
	    same_sections(cold.pkt, o.pkt) && o.sends == 0,
	    "wildcard_proof_for_a_do_cd_client, from the RRset cache (%u "
	    "NSEC, %u sends)", count_in(o.pkt, LDNS_RR_TYPE_NSEC), o.sends);
	outcome_free(&o);
	resolve(engine, "a.wild.sec.test.", LDNS_RR_TYPE_A, true, true, &o);
	ok(o.sends == 0 && same_sections(cold.pkt, o.pkt),
	    "wildcard_proof_for_do_cd_from_the_answer_cache (%u sends)",
	    o.sends);
	outcome_free(&o);
	outcome_free(&cold);
	resolve(engine, "b.wild.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && o.pkt != NULL &&
	    ldns_pkt_nscount(o.pkt) == 0 && o.rrsigs == 0,
	    "plain_client_gets_no_wildcard_proof (%u authority records)",
	    o.pkt != NULL ? (unsigned)ldns_pkt_nscount(o.pkt) : 0);
	outcome_free(&o);
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_SECURE && o.pkt != NULL &&
	    ldns_pkt_nscount(o.pkt) == 0,
	    "no_proof_when_the_answer_is_no_expansion (%u authority records)",
	    o.pkt != NULL ? (unsigned)ldns_pkt_nscount(o.pkt) : 0);
	outcome_free(&o);
	resolve(engine, "a.wild.n3.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_SECURE &&
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC3) >= 1 &&
	    count_in(o.pkt, LDNS_RR_TYPE_RRSIG) >= 1,
	    "nsec3_wildcard_answer_carries_the_next_closer_cover (%u NSEC3)",
	    count_in(o.pkt, LDNS_RR_TYPE_NSEC3));
	outcome_free(&o);
	engine_free(engine);
}

/*
 * The proof rides in the RRset cache with the expanded RRset: a DO
 * client's question that misses the answer cache (a plain client asked it
 * first, keyed apart) is answered from the RRset cache, secure, with the
 * NSEC (NSEC3) and RRSIGs an upstream answer carries, and without asking
 * anyone. Flushing the name drops the RRset and its proof together: the
 * next DO question goes upstream again.
 */
static void
test_wildcard_proof_from_rrset_cache(void)
{
	static const struct {
		const char *name;
		ldns_rr_type proof;
	} cases[] = {
		{ "b.wild.sec.test.", LDNS_RR_TYPE_NSEC },
		{ "b.wild.n3.test.", LDNS_RR_TYPE_NSEC3 },
	};

	for (size_t c = 0; c < 2; c++) {
		struct engine *engine;
		struct outcome plain, o, cold;
		ldns_rdf *name = ldns_dname_new_frm_str(cases[c].name);
		unsigned n;
		bool kept, gone;

		aggressive_off = true;
		engine = new_engine(true);
		aggressive_off = false;
		/* What an upstream DO answer carries, for comparison. */
		resolve(engine, cases[c].name, LDNS_RR_TYPE_A, true, false,
		    &cold);
		engine_cache_flush_all(engine);
		resolve(engine, cases[c].name, LDNS_RR_TYPE_A, false, false,
		    &plain);
		resolve(engine, cases[c].name, LDNS_RR_TYPE_A, true, false, &o);
		n = count_in(o.pkt, cases[c].proof);
		ok(plain.sends > 0 && o.sends == 0 && o.ad &&
		    o.result.security == SEC_SECURE && n >= 1 &&
		    count_in(o.pkt, LDNS_RR_TYPE_RRSIG) >= n &&
		    same_sections(cold.pkt, o.pkt),
		    "wildcard_proof_from_the_rrset_cache: %s DO after a plain "
		    "client: %u sends, %s, %u %s in authority, as upstream's: "
		    "%s", cases[c].name, o.sends, o.ad ? "AD" : "no AD", n,
		    cases[c].proof == LDNS_RR_TYPE_NSEC ? "NSEC" : "NSEC3",
		    same_sections(cold.pkt, o.pkt) ? "yes" : "no");
		outcome_free(&o);
		kept = cache_holds_as(engine, "*.wild.sec.test.",
		    "NSEC\twww.sec.test.");
		engine_cache_flush_name(engine, name);
		gone = !cache_holds_as(engine, "*.wild.sec.test.",
		    "NSEC\twww.sec.test.");
		resolve(engine, cases[c].name, LDNS_RR_TYPE_A, true, true, &o);
		ok(o.sends > 0 && count_in(o.pkt, cases[c].proof) >= 1 &&
		    (cases[c].proof == LDNS_RR_TYPE_NSEC3 || (kept && gone)),
		    "wildcard_proof_goes_with_its_flushed_rrset: %s asked "
		    "upstream again (%u sends; NSEC in the cache dump before "
		    "the flush: %s, after: %s)", cases[c].name, o.sends,
		    kept ? "yes" : "no", gone ? "no" : "yes");
		outcome_free(&o);
		outcome_free(&plain);
		outcome_free(&cold);
		ldns_rdf_deep_free(name);
		engine_free(engine);
	}
}

/* How many records of the client's answer the hostile upstream made. */
static unsigned
extra_records_in(const ldns_pkt *pkt)
{
	unsigned n = 0;
	ldns_rr_list *sections[2] = { pkt != NULL ? ldns_pkt_answer(pkt) : NULL,
	    pkt != NULL ? ldns_pkt_authority(pkt) : NULL };

	for (size_t s = 0; s < 2; s++)
		for (size_t i = 0; i < ldns_rr_list_rr_count(sections[s]); i++) {
			char *o = ldns_rdf2str(ldns_rr_owner(
			    ldns_rr_list_rr(sections[s], i)));

			n += o != NULL && strncasecmp(o, EXTRA_LABEL,
			    strlen(EXTRA_LABEL)) == 0;
			free(o);
		}
	return n;
}

/*
 * A DO client under AD gets only the proof records the validator verified:
 * an upstream adding an unsigned NSEC/NSEC3 of the zone, or one whose
 * RRSIG fails, to a sound NXDOMAIN, NODATA or wildcard proof makes the
 * answer bogus, as Unbound and Knot Resolver judge it (validator.c
 * verified_proof), and the record reaches neither the client nor the
 * caches as validated data (the minimised question's unvalidated NODATA
 * keeps what the server sent, marked unchecked: qmin_remember). One signed
 * by another zone is no part of the proof: the answer stays secure, without
 * it, and no key of that zone is asked for. The same answers with nothing
 * added are secure (the control).
 */
static void
test_unverified_proof(void)
{
	static const struct {
		const char *name;
		ldns_rr_type type;
		ldns_pkt_rcode rcode;
	} cases[] = {
		{ "nx.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN },
		{ "www.sec.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR },
		{ "a.wild.sec.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR },
		{ "nx.n3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN },
		{ "www.n3.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR },
		{ "a.wild.n3.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR },
	};
	static const char *mode_name[] = { "nothing", "unsigned", "badsig",
	    "another signer" };
	static const int mode_ede[] = { -1, ENGINE_EDE_RRSIGS_MISSING,
	    ENGINE_EDE_DNSSEC_BOGUS, -1 };
	unsigned control_sends[sizeof(cases) / sizeof(cases[0])] = { 0 };

	for (int mode = EXTRA_NONE; mode <= EXTRA_OTHER_SIGNER; mode++)
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			struct engine *engine;
			struct outcome o;
			bool good;
			unsigned extra;

			aggressive_off = true;
			engine = new_engine(true);
			aggressive_off = false;
			extra_proof = mode;
			resolve(engine, cases[c].name, cases[c].type, true,
			    false, &o);
			extra = extra_records_in(o.pkt);
			if (mode == EXTRA_NONE)
				control_sends[c] = o.sends;
			if (mode == EXTRA_NONE || mode == EXTRA_OTHER_SIGNER)
				good = o.result.rcode == cases[c].rcode &&
				    o.ad && o.result.security == SEC_SECURE &&
				    (mode == EXTRA_NONE ||
				    o.sends == control_sends[c]);
			else
				good = o.result.rcode == LDNS_RCODE_SERVFAIL &&
				    !o.ad && o.result.ede == mode_ede[mode] &&
				    !cache_holds_as(engine, EXTRA_LABEL,
				    " secure");
			ok(good && extra == 0, "unverified_proof: %s %s with "
			    "%s added: rcode %d, %s, ede %d (%s), %u added "
			    "record(s) given out, %u sends", cases[c].name,
			    cases[c].type == LDNS_RR_TYPE_A ? "A" : "AAAA",
			    mode_name[mode], o.result.rcode, o.ad ? "AD" :
			    "no AD", o.result.ede, o.result.ede_text != NULL ?
			    o.result.ede_text : "-", extra, o.sends);
			outcome_free(&o);
			/* The answer cache's copy is no better. */
			resolve(engine, cases[c].name, cases[c].type, true,
			    false, &o);
			ok(extra_records_in(o.pkt) == 0 && (mode == EXTRA_NONE ||
			    mode == EXTRA_OTHER_SIGNER ? o.ad :
			    o.result.rcode == LDNS_RCODE_SERVFAIL),
			    "unverified_proof: %s with %s added, asked again: "
			    "rcode %d", cases[c].name, mode_name[mode],
			    o.result.rcode);
			outcome_free(&o);
			extra_proof = EXTRA_NONE;
			engine_free(engine);
		}
}

/*
 * One RRSIG more before each of the reply's, naming another signer (the
 * owner: inside the zone, so the scrubber keeps it) with a false
 * signature: a denial of service if the validator trusted the first
 * RRSIG's signer. Each answer must be what it is without them, in as many
 * queries: the zone asked is tried first.
 */
static void
test_extra_signer(void)
{
	static const struct {
		const char *name;
		ldns_rr_type type;
		const char *zone;	/* whose replies get them; NULL: all */
	} cases[] = {
		/* Only the zone's own replies: the answer, the proofs. */
		{ "www.sec.test.", LDNS_RR_TYPE_A, "sec.test." },
		{ "www.sec.test.", LDNS_RR_TYPE_AAAA, "sec.test." },
		{ "nx.sec.test.", LDNS_RR_TYPE_A, "sec.test." },
		{ "nx.n3.test.", LDNS_RR_TYPE_A, "n3.test." },
		/* Every reply: the DS in each referral too. */
		{ "www.sec.test.", LDNS_RR_TYPE_A, NULL },
		{ "www.sec.test.", LDNS_RR_TYPE_AAAA, NULL },
		{ "nx.sec.test.", LDNS_RR_TYPE_A, NULL },
		{ "a.wild.sec.test.", LDNS_RR_TYPE_A, NULL },
		{ "www.n3.test.", LDNS_RR_TYPE_A, NULL },
		{ "nx.n3.test.", LDNS_RR_TYPE_A, NULL },
		{ "www.insec.test.", LDNS_RR_TYPE_A, NULL },
		{ "www.uns.oo.test.", LDNS_RR_TYPE_A, NULL },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct outcome control, o;
		struct engine *engine;

		engine = new_engine(true);
		resolve(engine, cases[c].name, cases[c].type, true, false,
		    &control);
		engine_free(engine);
		engine = new_engine(true);
		extra_signer = true;
		extra_signer_zone = cases[c].zone;
		resolve(engine, cases[c].name, cases[c].type, true, false, &o);
		extra_signer = false;
		ok(o.result.rcode == control.result.rcode &&
		    o.result.security == control.result.security &&
		    o.ad == control.ad && o.sends == control.sends,
		    "extra_signer: %s %s with an RRSIG naming another signer "
		    "before each of %s: rcode %d, %s (%s), %u sends; without: "
		    "rcode %d, %s, %u sends", cases[c].name,
		    cases[c].type == LDNS_RR_TYPE_A ? "A" : "AAAA",
		    cases[c].zone != NULL ? cases[c].zone : "every reply",
		    o.result.rcode, sec_status_name(o.result.security),
		    o.result.sec_why != NULL ? o.result.sec_why : "-", o.sends,
		    control.result.rcode,
		    sec_status_name(control.result.security), control.sends);
		outcome_free(&control);
		outcome_free(&o);
		engine_free(engine);
	}
}

/*
 * test_fake_signers: the names the root's server adds as signers (NULL
 * ends them). Its reply for names under kid.dsp.test. is that zone's own
 * signed answer (qname minimisation off: the root is asked the name, and
 * answers it as a server of both would), and before each RRSIG one copy per
 * name, naming it as signer with a key tag of its key: zones nearer the
 * root than the real signer, each kept by the scrubber (inside the zone
 * asked, above the owner), each checked and false.
 */
static const char *fake_signers[4];

static ldns_pkt *
forge_fake_signers(struct zone *z, const ldns_pkt *query)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rdf *kid = ldns_dname_new_frm_str("kid.dsp.test.");
	ldns_rr_list *answer, *signed_answer;
	ldns_pkt *reply;

	if (strcmp(z->name, ".") != 0 ||
	    ldns_rr_get_type(q) != LDNS_RR_TYPE_A ||
	    !ldns_dname_is_subdomain(ldns_rr_owner(q), kid)) {
		ldns_rdf_deep_free(kid);
		return NULL;
	}
	ldns_rdf_deep_free(kid);
	reply = authority_answer(zone_named("kid.dsp.test."), query);
	answer = ldns_pkt_answer(reply);
	signed_answer = ldns_rr_list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(answer); i++) {
		ldns_rr *rr = ldns_rr_list_rr(answer, i);

		for (size_t f = 0; ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
		    fake_signers[f] != NULL; f++) {
			ldns_rr *fake = ldns_rr_clone(rr);
			uint16_t tag = ldns_key_keytag(
			    zone_named(fake_signers[f])->key);
			uint8_t *wire = ldns_rdf_data(ldns_rr_rdf(fake, 6));

			(void)ldns_rr_rrsig_set_signame(fake,	/* frees the old */
			    ldns_dname_new_frm_str(fake_signers[f]));
			wire[0] = (uint8_t)(tag >> 8);
			wire[1] = (uint8_t)tag;
			ldns_rr_list_push_rr(signed_answer, fake);
		}
		ldns_rr_list_push_rr(signed_answer, ldns_rr_clone(rr));
	}
	ldns_rr_list_deep_free(answer);
	ldns_pkt_set_answer(reply, signed_answer);
	ldns_pkt_set_ancount(reply,
	    (uint16_t)ldns_rr_list_rr_count(signed_answer));
	return reply;
}

/*
 * Two or three RRSIGs more over an answer, naming zones nearer the root
 * than its real signer (kid.dsp.test.): the root, test. and dsp.test.,
 * whose keys the validator has or fetches on the way to the real signer's.
 * Before, the signers nearest the root were tried first, two at most
 * (LIMIT_DNSSEC_SIGNERS_PER_RRSET), and the answer was bogus; now the key
 * cache rules out the names above a zone it knows to hold the owner, so
 * each answer is secure, with no more upstream queries than without the
 * forged names and within the request's budget of signature checks
 * (dsp.test.'s servers both serve good copies here).
 */
static void
test_fake_signers_nearer_the_root(void)
{
	static const char *const cases[][4] = {
		{ NULL },
		{ "dsp.test.", NULL },
		{ "test.", "dsp.test.", NULL },
		{ ".", "test.", "dsp.test.", NULL },
		{ "dsp.test.", "test.", ".", NULL },
	};
	struct zone *dsp = zone_named("dsp.test.");
	unsigned plain_sends = 0, ds_broken = dsp->ds_broken;

	/* Its broken copy would cost a retry half the time: sends would vary. */
	dsp->ds_broken = 0;
	forge = forge_fake_signers;
	qmin_off = true;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct engine *engine = new_engine(true);
		struct outcome o;
		char names[64] = "";

		for (size_t f = 0; f < 4; f++) {
			fake_signers[f] = cases[c][f];
			if (cases[c][f] != NULL)
				snprintf(names + strlen(names),
				    sizeof(names) - strlen(names), " %s",
				    cases[c][f]);
		}
		resolve(engine, "www.kid.dsp.test.", LDNS_RR_TYPE_A, true,
		    false, &o);
		if (c == 0)
			plain_sends = o.sends;
		ok(o.result.rcode == LDNS_RCODE_NOERROR &&
		    o.result.security == SEC_SECURE && o.ad &&
		    events.limits == 0 && o.sends <= plain_sends,
		    "fake_signers: www.kid.dsp.test. with forged signers%s: "
		    "rcode %d, %s (%s), %u limits, %u sends (%u without)",
		    c == 0 ? " (none)" : names, o.result.rcode,
		    sec_status_name(o.result.security),
		    o.result.sec_why != NULL ? o.result.sec_why : "-",
		    events.limits, o.sends, plain_sends);
		outcome_free(&o);
		engine_free(engine);
	}
	fake_signers[0] = NULL;
	qmin_off = false;
	forge = NULL;
	dsp->ds_broken = ds_broken;
}

/*
 * The forger's NXDOMAIN for names under *.wild.sec.test: the SOA, and the
 * wildcard's own NSEC (next www.sec.test) with its RRSIG, both renamed to
 * "!.wild.sec.test", a name sorting before "*" (RFC 4034 §6.1). The RRSIG
 * (labels 3) still verifies, as a wildcard expansion of "*.wild.sec.test";
 * the renamed NSEC would then cover every name under wild.sec.test, the
 * wildcard itself included.
 */
static ldns_pkt *
forge_wildcard_nsec(struct zone *z, const ldns_pkt *query)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rdf *wild = ldns_dname_new_frm_str("wild.sec.test.");
	ldns_rdf *star = ldns_dname_new_frm_str("*.wild.sec.test.");
	ldns_rdf *fake = ldns_dname_new_frm_str("!.wild.sec.test.");
	ldns_rdf *apex = ldns_dname_new_frm_str("sec.test.");
	ldns_pkt *reply = NULL;

	if (strcmp(z->name, "sec.test.") == 0 &&
	    ldns_rr_get_type(q) == LDNS_RR_TYPE_A &&
	    ldns_dname_is_subdomain(ldns_rr_owner(q), wild)) {
		reply = scripted_reply_new(query);
		ldns_pkt_set_aa(reply, true);
		ldns_pkt_set_rcode(reply, LDNS_RCODE_NXDOMAIN);
		push_soa(reply, z, apex);
		push_rrset(reply, LDNS_SECTION_AUTHORITY, z, star,
		    LDNS_RR_TYPE_NSEC, fake);
	}
	ldns_rdf_deep_free(wild);
	ldns_rdf_deep_free(star);
	ldns_rdf_deep_free(fake);
	ldns_rdf_deep_free(apex);
	return reply;
}

/*
 * An NSEC whose RRSIG verifies only as a wildcard expansion (labels below
 * the owner's) is the wildcard's NSEC under another name: it proves
 * nothing (Unbound puts such an NSEC back at its wildcard owner). Taken
 * as it is, it gave a forged NXDOMAIN with AD for a name the wildcard
 * answers, and RFC 8198 then denied every name under the wildcard from
 * the cache.
 */
static void
test_wildcard_nsec_replay(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	forge = forge_wildcard_nsec;
	resolve(engine, "a.wild.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	forge = NULL;
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.security == SEC_BOGUS && !o.ad,
	    "nxdomain_from_a_renamed_wildcard_nsec_is_bogus (rcode %d, %s: %s)",
	    o.result.rcode, sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	resolve(engine, "b.wild.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && events.synthesised == 0,
	    "and_nothing_of_it_denies_the_wildcard_from_the_cache (rcode %d, "
	    "%s, %u synthesised)", o.result.rcode,
	    sec_status_name(o.result.security), events.synthesised);
	outcome_free(&o);
	engine_free(engine);
}

/*
 * The forger's copy of www.sec.test A: the real answer and RRSIG, and one
 * more RRSIG whose labels field (2) makes it look like an expansion of
 * *.sec.test. It does not verify, the real one does: the answer is secure.
 */
static ldns_pkt *
forge_wildcard_labels(struct zone *z, const ldns_pkt *query)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rdf *www = ldns_dname_new_frm_str("www.sec.test.");
	ldns_pkt *reply = NULL;

	if (strcmp(z->name, "sec.test.") == 0 &&
	    ldns_rr_get_type(q) == LDNS_RR_TYPE_A &&
	    ldns_dname_compare(ldns_rr_owner(q), www) == 0) {
		reply = authority_answer(z, query);
		for (size_t i = 0; i < ldns_pkt_ancount(reply); i++) {
			ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(reply), i);
			ldns_rr *junk;

			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
				continue;
			junk = ldns_rr_clone(rr);
			ldns_rdf_data(ldns_rr_rdf(junk, 2))[0] = 2;
			ldns_rdf_data(ldns_rr_rdf(junk, 8))[0] ^= 0xff;
			ldns_pkt_push_rr(reply, LDNS_SECTION_ANSWER, junk);
			break;
		}
	}
	ldns_rdf_deep_free(www);
	return reply;
}

/*
 * RFC 8198 §5.3 learns a wildcard's RRset from a secure expansion: from the
 * RRSIG that verified it, not from any RRSIG beside it. A forged extra
 * RRSIG with fewer labels over a secure, unexpanded RRset made it the
 * RRset of *.sec.test, and every name a cached NSEC covers was then
 * answered with it, AD set (here g.sec.test, covered by the NSEC at
 * forged.sec.test from a NODATA). Unbound calls RRSIGs with different
 * labels fields over one RRset "inconsistent wildcard sigs".
 */
static void
test_wildcard_learnt_from_a_forged_rrsig(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	forge = forge_wildcard_labels;
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	forge = NULL;
	ok(o.result.security == SEC_SECURE,
	    "an extra rrsig that does not verify leaves the answer secure");
	outcome_free(&o);
	resolve(engine, "forged.sec.test.", LDNS_RR_TYPE_TXT, true, false, &o);
	outcome_free(&o);
	resolve(engine, "g.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends > 0 &&
	    events.synthesised == 0,
	    "no_wildcard_is_learnt_from_an_rrsig_that_did_not_verify (rcode "
	    "%d, %u sends, %u synthesised)", o.result.rcode, o.sends,
	    events.synthesised);
	outcome_free(&o);
	engine_free(engine);
}

/*
 * RFC 4035 §5.3.3: validated data is kept no longer than its RRSIGs are
 * valid. Ten minutes before the zones' RRSIGs expire, the DS of sec.test
 * answered to a client (no DNSKEY needed yet) went into the key cache for
 * its TTL, a day, and would vouch for sec.test's keys long after its
 * signature had run out.
 */
static void
test_ds_kept_no_longer_than_its_rrsig(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;
	char *text, *at;
	long ttl = -1;

	clock_skip = 30 * T_DAY - 600;
	resolve(engine, "sec.test.", LDNS_RR_TYPE_DS, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE, "ds_answer_is_secure (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	text = scripted_cache_text(engine, T_NOW + clock_skip);
	if (text != NULL && (at = strstr(text, "key sec.test. ds ttl=")) != NULL)
		ttl = strtol(at + strlen("key sec.test. ds ttl="), NULL, 10);
	free(text);
	clock_skip = 0;
	ok(ttl >= 0 && ttl <= 600,
	    "a_ds_is_trusted_no_longer_than_its_rrsig_is_valid (ttl %ld, "
	    "600 s left)", ttl);
	engine_free(engine);

	/*
	 * Ten minutes after they expired the RRSIGs are still within the
	 * clock skew allowed (10 % of their 31 days, at most a day): the
	 * answer is secure, as from Unbound. Kept for 0 s, the validated keys
	 * were gone before the request could use them: fetched again, then
	 * "could not be fetched", bogus.
	 */
	engine = new_engine(true);
	clock_skip = 30 * T_DAY + 600;
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	clock_skip = 0;
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE,
	    "rrsigs_expired_within_the_clock_skew_still_validate (rcode %d, "
	    "%s: %s)", o.result.rcode, sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	engine_free(engine);
}

static void
test_insecure(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	resolve(engine, "www.insec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad,
	    "unsigned_zone_below_nsec_no_ds_is_insecure (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	ok(cache_has(engine, "key insec.test. insecure"),
	    "insecure_delegation_remembered_in_key_cache");
	outcome_free(&o);
	resolve(engine, "alias.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad,
	    "cname_from_secure_to_insecure_takes_the_weakest_link (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	engine_free(engine);
}

/*
 * What test.'s server says below a delegation (test_unsigned_cut_*): for a
 * name strictly below `below` (and not a DS question, unless `ds_too`),
 * the data of `child` when that zone has the name (a server serving parent
 * and child alike), else the parent's own denial: NXDOMAIN (NODATA for
 * DS) with test.'s SOA and `nsec`, an NSEC test.'s key signs here (a real
 * one of the zone, or a forgery only test.'s signer could make), its RRSIG
 * broken with `broken`.
 */
static struct {
	const char *below;
	const char *child;
	const char *nsec;
	bool ds_too;
	bool broken;
} cut_forge;

/* Pushes the record `text` and its RRSIG by `z`'s key (broken: false). */
static void
push_signed(ldns_pkt *reply, ldns_pkt_section section, const struct zone *z,
    const char *text, bool broken)
{
	ldns_rr_list *set = ldns_rr_list_new(), *sigs;
	ldns_key_list *keys = ldns_key_list_new();

	ldns_rr_list_push_rr(set, rr_from(text));
	ldns_key_list_push_key(keys, z->key);
	sigs = ldns_sign_public(set, keys);
	if (broken)
		ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(sigs, 0), 8))[0] ^=
		    0xff;
	ldns_pkt_push_rr_list(reply, section, set);
	ldns_pkt_push_rr_list(reply, section, sigs);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	ldns_key_list_set_key_count(keys, 0);	/* the key is the zone's */
	ldns_key_list_free(keys);
}

static ldns_pkt *
forge_cut_denial(struct zone *z, const ldns_pkt *query)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rr_type qtype = ldns_rr_get_type(q);
	ldns_rdf *below = ldns_dname_new_frm_str(cut_forge.below);
	ldns_rdf *apex = ldns_dname_new_frm_str(z->name);
	ldns_rdf *qname = ldns_rdf_clone(ldns_rr_owner(q));
	struct zone *child = cut_forge.child != NULL ?
	    zone_named(cut_forge.child) : NULL;
	ldns_pkt *reply = NULL;

	ldns_dname2canonical(qname);
	if (strcmp(z->name, "test.") != 0 ||
	    !ldns_dname_is_subdomain(qname, below) ||
	    (qtype == LDNS_RR_TYPE_DS && !cut_forge.ds_too))
		goto out;
	if (child != NULL && qtype != LDNS_RR_TYPE_DS &&
	    name_exists(child, qname)) {
		reply = authority_answer(child, query);
		goto out;
	}
	reply = scripted_reply_new(query);
	ldns_pkt_set_aa(reply, true);
	if (qtype != LDNS_RR_TYPE_DS)
		ldns_pkt_set_rcode(reply, LDNS_RCODE_NXDOMAIN);
	push_soa(reply, z, apex);
	if (ldns_pkt_edns_do(query))
		push_signed(reply, LDNS_SECTION_AUTHORITY, z, cut_forge.nsec,
		    cut_forge.broken);
out:
	ldns_rdf_deep_free(below);
	ldns_rdf_deep_free(apex);
	ldns_rdf_deep_free(qname);
	return reply;
}

/*
 * An engine whose test. server answers below `below` as forge_cut_denial
 * says (qname minimisation off, so the name itself is asked); undone by
 * cut_forge_done.
 */
static struct engine *
cut_forge_engine(const char *below, const char *child, const char *nsec,
    bool ds_too)
{
	cut_forge.below = below;
	cut_forge.child = child;
	cut_forge.nsec = nsec;
	cut_forge.ds_too = ds_too;
	cut_forge.broken = false;
	forge = forge_cut_denial;
	qmin_off = true;
	return new_engine(true);
}

static void
cut_forge_done(struct engine *engine)
{
	engine_free(engine);
	qmin_off = false;
	forge = NULL;
}

/*
 * An unsigned cut a denial shows (the NSEC at insec.test., NS without DS,
 * under the NXDOMAIN test.'s server gives for a name below it) is the
 * proof a referral carries: kept as insecure in the key cache, bounded by
 * the denial's TTL, so that the next name under the cut, answered unsigned
 * by the same server (serving test. and insec.test.), is insecure from the
 * key cache. Before, the cut was forgotten and that answer cost a DS query
 * for insec.test. and the proof again. A proof whose RRSIG fails stores
 * nothing.
 */
static void
test_unsigned_cut_from_denial(void)
{
	struct engine *engine;
	struct outcome o;
	char *text, *at;
	long ttl = -1;

	engine = cut_forge_engine("insec.test.", "insec.test.",
	    "insec.test. 300 IN NSEC n3.test. NS RRSIG NSEC", false);
	resolve(engine, "nx.insec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN &&
	    o.result.security == SEC_INSECURE && !o.ad,
	    "unsigned_cut_denial: the parent's nxdomain below its unsigned "
	    "cut is insecure (rcode %d, %s: %s)", o.result.rcode,
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	text = scripted_cache_text(engine, T_NOW);
	if (text != NULL &&
	    (at = strstr(text, "key insec.test. insecure ttl=")) != NULL)
		ttl = strtol(at + strlen("key insec.test. insecure ttl="), NULL,
		    10);
	free(text);
	ok(ttl > 0 && ttl <= 300,
	    "unsigned_cut_denial: the cut is kept insecure no longer than the "
	    "denial (ttl %ld, nsec 300 s; -1: not kept)", ttl);
	resolve(engine, "www.insec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad &&
	    zone_named("test.")->ds_sends == 0,
	    "unsigned_cut_denial: the next name under the cut is insecure "
	    "with no ds query (rcode %d, %s, %u ds queries)", o.result.rcode,
	    sec_status_name(o.result.security),
	    zone_named("test.")->ds_sends);
	outcome_free(&o);
	engine_free(engine);

	/* The same proof, its RRSIG broken: bogus, nothing kept. */
	cut_forge.broken = true;
	engine = new_engine(true);
	resolve(engine, "nx.insec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_BOGUS &&
	    !cache_has(engine, "key insec.test. insecure"),
	    "unsigned_cut_denial: a proof that fails to verify is bogus and "
	    "kept nowhere as insecure (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	cut_forge.broken = false;
	resolve(engine, "www.insec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_INSECURE &&
	    zone_named("test.")->ds_sends == 1,
	    "unsigned_cut_denial: after it the cut is proven the usual way, "
	    "by a ds query (%s, %u ds queries)",
	    sec_status_name(o.result.security),
	    zone_named("test.")->ds_sends);
	outcome_free(&o);
	cut_forge_done(engine);
}

/*
 * A DS question below an unsigned cut, denied by the parent with the NSEC
 * at the cut: the DS asked for is the unsigned child's data (RFC 4035
 * §2.4), in the branch RFC 4035 §4.3 calls provably insecure: insecure,
 * as Unbound's NSEC code says (was bogus, SERVFAIL); the cut is kept.
 */
static void
test_ds_below_unsigned_cut(void)
{
	struct engine *engine;
	struct outcome o;

	engine = cut_forge_engine("insec.test.", NULL,
	    "insec.test. 300 IN NSEC n3.test. NS RRSIG NSEC", true);
	resolve(engine, "foo.insec.test.", LDNS_RR_TYPE_DS, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad &&
	    cache_has(engine, "key insec.test. insecure"),
	    "ds_below_unsigned_cut: nodata from the parent's nsec at the cut "
	    "is insecure, the cut kept (rcode %d, %s: %s)", o.result.rcode,
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	cut_forge_done(engine);
}

/*
 * As an attacker with test.'s signer (a hostile parent, or its old
 * signatures replayed): an NSEC at x.sec.test. with NS and no DS, though
 * sec.test. is delegated with a DS that the key cache holds. test. does
 * not serve names below sec.test., so its denial there proves nothing:
 * bogus, and no cut kept (it made them insecure and, kept, every name
 * under x.sec.test.).
 */
static void
test_unsigned_cut_below_a_signed_zone(void)
{
	struct engine *engine;
	struct outcome o;

	engine = cut_forge_engine("x.sec.test.", NULL,
	    "x.sec.test. 300 IN NSEC y.sec.test. NS RRSIG NSEC", false);
	/* The DS answered by test. itself: sec.test.'s DS kept, no referral. */
	resolve(engine, "sec.test.", LDNS_RR_TYPE_DS, true, false, &o);
	outcome_free(&o);
	resolve(engine, "nx.x.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(cache_has(engine, "key sec.test. ds") &&
	    o.result.security == SEC_BOGUS &&
	    !cache_has(engine, "key x.sec.test. insecure"),
	    "unsigned_cut_below_a_signed_zone: the parent's denial below its "
	    "signed child is bogus, no cut kept (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	/*
	 * At the cut itself test. is the authority on sec.test.'s DS: its
	 * (here old) NSEC makes this one answer insecure, as before, but a
	 * proof met in passing does not replace the DS the key cache holds.
	 */
	cut_forge.below = "sec.test.";
	cut_forge.nsec = "sec.test. 300 IN NSEC two.test. NS RRSIG NSEC";
	resolve(engine, "nx.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_INSECURE &&
	    cache_has(engine, "key sec.test. ds") &&
	    !cache_has(engine, "key sec.test. insecure"),
	    "unsigned_cut_below_a_signed_zone: a denial showing the signed "
	    "child's own cut unsigned leaves its ds in the key cache (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	cut_forge_done(engine);
}

/* ---- islands of security ---- */

/*
 * isl.test. and isl.insec.test. are signed, but their parents have no DS
 * for them (test.'s NSEC at isl.test. says so; insec.test. is unsigned).
 * With a trust anchor of their own (RFC 4033 §5) their names are validated
 * from it, whatever their parents prove of the cut above: the closest
 * enclosing anchor starts the chain (Unbound validator.c processInit primes
 * an anchor below the key entry it finds). Before, the referral's proof
 * that isl.test. has no DS was kept as an insecure key entry at the
 * anchor's own name, and every answer of the island was insecure, a
 * tampered one too. A domain-insecure name at the anchor wins (RFC 7646);
 * above it, the anchor below it does.
 */
static void
test_island_of_security(void)
{
	static const struct {
		const char *anchor, *insecure, *name;
		ldns_rr_type type;
		ldns_pkt_rcode rcode;
		enum sec_status want;
	} cases[] = {
		/* The control: without its anchor, insecure (as nods.net). */
		{ NULL, NULL, "www.isl.test.", LDNS_RR_TYPE_A,
		  LDNS_RCODE_NOERROR, SEC_INSECURE },
		{ "isl.test.", NULL, "www.isl.test.", LDNS_RR_TYPE_A,
		  LDNS_RCODE_NOERROR, SEC_SECURE },
		{ "isl.test.", NULL, "forged.isl.test.", LDNS_RR_TYPE_A,
		  LDNS_RCODE_SERVFAIL, SEC_BOGUS },
		{ "isl.test.", NULL, "nx.isl.test.", LDNS_RR_TYPE_A,
		  LDNS_RCODE_NXDOMAIN, SEC_SECURE },
		/* test.'s own word on the DS it does not have: secure. */
		{ "isl.test.", NULL, "isl.test.", LDNS_RR_TYPE_DS,
		  LDNS_RCODE_NOERROR, SEC_SECURE },
		{ "isl.insec.test.", NULL, "www.isl.insec.test.",
		  LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, SEC_SECURE },
		{ "isl.test.", "isl.test.", "www.isl.test.", LDNS_RR_TYPE_A,
		  LDNS_RCODE_NOERROR, SEC_INSECURE },
		{ "isl.test.", "test.", "www.isl.test.", LDNS_RR_TYPE_A,
		  LDNS_RCODE_NOERROR, SEC_SECURE },
		{ "isl.test.", "test.", "www.sec.test.", LDNS_RR_TYPE_A,
		  LDNS_RCODE_NOERROR, SEC_INSECURE },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct engine *engine;
		struct outcome o;

		island_anchor = cases[c].anchor;
		insecure_domain = cases[c].insecure;
		engine = new_engine(true);
		resolve(engine, cases[c].name, cases[c].type, true, false, &o);
		ok(o.result.rcode == cases[c].rcode &&
		    o.result.security == cases[c].want &&
		    o.ad == (cases[c].want == SEC_SECURE),
		    "island: %s %s, anchors . and %s, domain-insecure %s: "
		    "rcode %d, %s (%s); want rcode %d, %s", cases[c].name,
		    cases[c].type == LDNS_RR_TYPE_A ? "A" : "DS",
		    cases[c].anchor != NULL ? cases[c].anchor : "-",
		    cases[c].insecure != NULL ? cases[c].insecure : "-",
		    o.result.rcode, sec_status_name(o.result.security),
		    o.result.sec_why != NULL ? o.result.sec_why : "-",
		    cases[c].rcode, sec_status_name(cases[c].want));
		outcome_free(&o);
		engine_free(engine);
	}
	/* The parent's proof met first, as the answer to a DS question. */
	island_anchor = "isl.test.";
	insecure_domain = NULL;
	{
		struct engine *engine = new_engine(true);
		struct outcome o;

		resolve(engine, "isl.test.", LDNS_RR_TYPE_DS, true, false, &o);
		outcome_free(&o);
		resolve(engine, "www.isl.test.", LDNS_RR_TYPE_A, true, false,
		    &o);
		ok(o.result.security == SEC_SECURE && o.ad &&
		    !cache_has(engine, "key isl.test. insecure"),
		    "island: after test.'s proof that isl.test. has no DS, "
		    "www.isl.test. is still secure, the anchored zone not kept "
		    "insecure (%s: %s)", sec_status_name(o.result.security),
		    o.result.sec_why != NULL ? o.result.sec_why : "-");
		outcome_free(&o);
		engine_free(engine);
	}
	island_anchor = NULL;
}

/*
 * A denial showing an unsigned cut at or above an island's anchor (test.'s
 * NSEC at isl.test., NS without DS; at insec.test. for isl.insec.test.)
 * for a name under the anchor: test. does not speak for those names, the
 * anchor does. Bogus, as Unbound ("bad signer name": the signer is above
 * the anchor), and no cut kept, so the island's own answers stay secure.
 * Before, the denial was insecure and the cut kept insecure at the anchor.
 */
static void
test_island_denial(void)
{
	struct engine *engine;
	struct outcome o;

	island_anchor = "isl.test.";
	engine = cut_forge_engine("isl.test.", "isl.test.",
	    "isl.test. 300 IN NSEC n3.test. NS RRSIG NSEC", false);
	resolve(engine, "nx.isl.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_BOGUS && !o.ad &&
	    !cache_has(engine, "key isl.test. insecure"),
	    "island_denial: test.'s nxdomain below isl.test. by its nsec at "
	    "the cut is bogus, nothing kept (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	resolve(engine, "www.isl.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_SECURE && o.ad,
	    "island_denial: then www.isl.test. is secure (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	cut_forge_done(engine);

	engine = cut_forge_engine("isl.test.", NULL,
	    "isl.test. 300 IN NSEC n3.test. NS RRSIG NSEC", true);
	resolve(engine, "x.isl.test.", LDNS_RR_TYPE_DS, true, false, &o);
	ok(o.result.security == SEC_BOGUS &&
	    !cache_has(engine, "key isl.test. insecure"),
	    "island_denial: test.'s nodata for a ds below isl.test. is bogus "
	    "(%s: %s)", sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	cut_forge_done(engine);

	island_anchor = "isl.insec.test.";
	engine = cut_forge_engine("insec.test.", "insec.test.",
	    "insec.test. 300 IN NSEC n3.test. NS RRSIG NSEC", false);
	resolve(engine, "nx.isl.insec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_BOGUS && !o.ad,
	    "island_denial: test.'s nxdomain below insec.test. for a name under "
	    "the anchor isl.insec.test. is bogus (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	forge = NULL;
	resolve(engine, "www.isl.insec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.security == SEC_SECURE && o.ad,
	    "island_denial: then www.isl.insec.test. is secure (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	cut_forge_done(engine);
	island_anchor = NULL;
}

/* test.'s server answering A questions under isl.test., signed by test. */
static ldns_pkt *
forge_parent_signed(struct zone *z, const ldns_pkt *query)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rdf *isl = ldns_dname_new_frm_str("isl.test.");
	ldns_pkt *reply = NULL;
	char *name = ldns_rdf2str(ldns_rr_owner(q)), text[256];

	if (strcmp(z->name, "test.") == 0 &&
	    ldns_rr_get_type(q) == LDNS_RR_TYPE_A &&
	    ldns_dname_is_subdomain(ldns_rr_owner(q), isl)) {
		reply = scripted_reply_new(query);
		ldns_pkt_set_aa(reply, true);
		snprintf(text, sizeof(text), "%s 3600 IN A 198.51.100.99", name);
		push_signed(reply, LDNS_SECTION_ANSWER, z, text, false);
	}
	free(name);
	ldns_rdf_deep_free(isl);
	return reply;
}

/*
 * The parent signing data under an island's anchor (its server answering
 * for the child, its key the signer): the anchor starts the chain of those
 * names, so test.'s signature counts for nothing there. Bogus, as
 * Unbound's "bad signer name"; without the anchor it is test.'s zone
 * for all the validator knows, and secure as before.
 */
static void
test_island_signed_by_the_parent(void)
{
	const char *anchors[] = { NULL, "isl.test." };

	forge = forge_parent_signed;
	qmin_off = true;
	for (size_t i = 0; i < 2; i++) {
		struct engine *engine;
		struct outcome o;
		enum sec_status want = i == 0 ? SEC_SECURE : SEC_BOGUS;

		island_anchor = anchors[i];
		engine = new_engine(true);
		resolve(engine, "www.isl.test.", LDNS_RR_TYPE_A, true, false,
		    &o);
		ok(o.result.security == want,
		    "island_signed_by_the_parent: www.isl.test. signed by test., "
		    "anchor %s: %s (%s), want %s", anchors[i] != NULL ?
		    anchors[i] : "only .", sec_status_name(o.result.security),
		    o.result.sec_why != NULL ? o.result.sec_why : "-",
		    sec_status_name(want));
		outcome_free(&o);
		engine_free(engine);
	}
	island_anchor = NULL;
	qmin_off = false;
	forge = NULL;
}

/*
 * RFC 8020 (a name below an NXDOMAIN does not exist) only from a secure
 * NXDOMAIN, as Unbound's harden-below-nxdomain: an insecure one could be
 * a spoof, or old software answering NXDOMAIN for an empty non-terminal,
 * and would deny a whole subtree. RFC 8198 is off here, so that only the
 * cached NXDOMAIN can answer the name below.
 */
static void
test_rfc8020_secure_only(void)
{
	struct engine *engine;
	struct outcome o;

	aggressive_off = true;
	engine = new_engine(true);
	aggressive_off = false;
	resolve(engine, "nx.insec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN &&
	    o.result.security == SEC_INSECURE, "an insecure nxdomain (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	resolve(engine, "a.nx.insec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends > 0,
	    "insecure_nxdomain_does_not_deny_the_names_below: asked upstream "
	    "(%u sends)", o.sends);
	outcome_free(&o);
	resolve(engine, "nx.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN &&
	    o.result.security == SEC_SECURE, "a secure nxdomain (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	resolve(engine, "a.nx.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends == 0 &&
	    o.result.security == SEC_SECURE && o.ad,
	    "secure_nxdomain_denies_the_names_below (%u sends, %s)", o.sends,
	    sec_status_name(o.result.security));
	outcome_free(&o);
	engine_free(engine);

	/* Without validation nothing is secure: nothing is cut off. */
	engine = new_engine(false);
	resolve(engine, "nx.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	outcome_free(&o);
	resolve(engine, "a.nx.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN && o.sends > 0,
	    "validation_off_never_uses_rfc8020 (%u sends)", o.sends);
	outcome_free(&o);
	engine_free(engine);
}

/*
 * A stub zone is not the public parent's to deny: with corp.gone.sec.test.
 * a stub (and domain-insecure), the secure NXDOMAIN for gone.sec.test.
 * does not answer for the names in it (Unbound CVE-2026-44687); a stub's
 * own NXDOMAIN still covers the names below it there.
 */
static void
test_rfc8020_not_over_a_stub(void)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct engine_zone stub = { .kind = ENGINE_ZONE_STUB,
	    .name = "corp.gone.sec.test.", .addrs = &ss, .addr_count = 1 };
	static const char *insecure[] = { "corp.gone.sec.test." };
	static const char *anchors[1];
	struct engine_config cfg;
	struct engine *engine;
	struct outcome o;
	char err[256];

	in->sin_family = AF_INET;
	in->sin_port = htons(53);
	inet_pton(AF_INET, "192.0.2.50", &in->sin_addr);
	scripted_config_init(&cfg, false);
	cfg.aggressive_nsec = false;
	anchors[0] = root_anchor;
	cfg.trust_anchors = anchors;
	cfg.trust_anchor_count = 1;
	cfg.zones = &stub;
	cfg.zone_count = 1;
	cfg.domain_insecure = insecure;
	cfg.domain_insecure_count = 1;
	engine = engine_new(&cfg, err, sizeof(err));
	if (!ok(engine != NULL, "an engine with a stub zone (%s)",
	    engine == NULL ? err : "-"))
		return;
	resolve(engine, "gone.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN &&
	    o.result.security == SEC_SECURE, "the public parent's secure "
	    "nxdomain for gone.sec.test. (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	resolve(engine, "www.corp.gone.sec.test.", LDNS_RR_TYPE_A, false, false,
	    &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && o.sends > 0,
	    "rfc8020_never_denies_a_stub_zone: www.corp.gone.sec.test. is "
	    "asked of the stub (rcode %d, %u sends)", o.result.rcode, o.sends);
	outcome_free(&o);
	resolve(engine, "corp.gone.sec.test.", LDNS_RR_TYPE_A, false, false,
	    &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && o.sends > 0,
	    "nor its apex (rcode %d, %u sends)", o.result.rcode, o.sends);
	outcome_free(&o);
	engine_free(engine);
}

/*
 * Issue 16: a minimised question's NOERROR is cached and spares its
 * siblings the question, without weakening anything. Under sec.test.
 * (signed) the minimised wild.sec.test. NODATA is not validated, so it is
 * cached unchecked: the sibling still validates as secure, and the
 * minimised name asked for itself is asked upstream and proven, never
 * answered from the unchecked entry. Under insec.test. the sibling costs
 * one query and no signature check (the no-DS verdict is in the key cache).
 */
static void
test_qmin_siblings_validated(void)
{
	struct engine *engine;
	struct outcome o;
	unsigned nsec;

	/* Not expanded from a.wild's cached proof (RFC 8198 §5.3): the
	 * query the sibling makes is what is counted here. */
	aggressive_off = true;
	engine = new_engine(true);
	aggressive_off = false;

	resolve(engine, "a.wild.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE, "qmin: a.wild.sec.test. is "
	    "secure (%s, %u sends)", sec_status_name(o.result.security),
	    o.sends);
	outcome_free(&o);
	resolve(engine, "b.wild.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && o.ad &&
	    zone_named("sec.test.")->sends == 1, "qmin: its sibling is secure "
	    "in 1 query to sec.test. (%s, %u sends there, %u in all, %u "
	    "signature checks)", sec_status_name(o.result.security),
	    zone_named("sec.test.")->sends, o.sends,
	    o.result.signature_checks);
	outcome_free(&o);
	resolve(engine, "wild.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	nsec = count_in(o.pkt, LDNS_RR_TYPE_NSEC);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && o.ad && nsec > 0 && o.sends > 0,
	    "qmin: the unvalidated minimised NODATA is no answer: "
	    "wild.sec.test. A is asked and proven (%s: %s, %u NSEC, %u sends)",
	    sec_status_name(o.result.security), o.result.sec_why != NULL ?
	    o.result.sec_why : "-", nsec, o.sends);
	outcome_free(&o);
	resolve(engine, "a.sub.insec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE, "qmin: a.sub.insec.test. is "
	    "insecure (%s, %u sends, %u signature checks)",
	    sec_status_name(o.result.security), o.sends,
	    o.result.signature_checks);
	outcome_free(&o);
	resolve(engine, "b.sub.insec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad && o.sends == 1 &&
	    o.result.signature_checks == 0, "qmin: its sibling: insecure in 1 "
	    "query, no signature check (%s, %u sends, %u signature checks)",
	    sec_status_name(o.result.security), o.sends,
	    o.result.signature_checks);
	outcome_free(&o);
	engine_free(engine);
}

/*
 * A referral that comes back within one request (a cycle, as the lab's
 * cycle-a.com; a glueless NS) is judged once: its no-DS proof is in the
 * key cache after the first, and checking its RRSIGs again only spent CPU
 * on the cold path (four times for the lab's cycle). The referral that
 * closes the cycle is not judged at all: its servers cannot be reached.
 */
static void
test_repeated_referral(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;
	unsigned once, cycle;

	resolve(engine, "www.insec.test.", LDNS_RR_TYPE_A, false, false, &o);
	once = o.result.signature_checks;
	outcome_free(&o);
	engine_free(engine);
	engine = new_engine(true);
	resolve(engine, "www.cyca.test.", LDNS_RR_TYPE_A, false, false, &o);
	cycle = o.result.signature_checks;
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL && once > 0,
	    "cycle_without_glue_fails (rcode %d)", o.result.rcode);
	/*
	 * Two referrals (cyca, cycb): the second closes the cycle and is
	 * not validated (its no-DS proof would cost a check, and in the
	 * lab a DNSKEY fetch of its parent), so no more than for one.
	 */
	ok(cycle <= once,
	    "a_referral_seen_again_is_not_verified_again_nor_the_one_closing_"
	    "the_cycle (%u signature checks for the cycle, %u for one "
	    "insecure referral)", cycle, once);
	/*
	 * cyca.test.'s no-DS proof needs test.'s keys, but its cut never
	 * gets an address: the proof is not judged and the keys not fetched
	 * (before: 6 sends, 1 DNSKEY query to test., 5 signature checks).
	 */
	/*
	 * The one DNSKEY query to test. is keys ahead's, sent beside the
	 * query that brought the cyca.test. referral (the keys were the next
	 * link for anything test. answers): its reply is never judged.
	 */
	ok(zone_named("test.")->dnskey_sends <= 1 && o.sends <= 6 &&
	    cycle < once,
	    "a_cycle_fetches_no_keys_for_a_cut_it_never_asks (%u DNSKEY "
	    "queries to test., %u sends, %u signature checks)",
	    zone_named("test.")->dnskey_sends, o.sends, cycle);
	outcome_free(&o);
	engine_free(engine);
}

/*
 * Like resolve(), but the way the daemon's driver runs it: every query the
 * engine sends before it waits goes out at once, and their replies come
 * back together one round trip later. Returns the round trips the
 * resolution waited for: its critical path of exchanges.
 */
struct round_send {
	uint32_t id;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	uint8_t *wire;		/* the reply; NULL: a timeout */
	size_t len;
	bool dnskey;		/* a DNSKEY query */
};

/*
 * With spoof_dnskey, every reply to a DNSKEY query comes after a copy of
 * it with another ID from the same address (a spoofer who knows the port
 * but not the ID): spoofs counts them, spoofs_taken those not ignored.
 * And each round's replies come last sent first, so that a keys-ahead
 * reply comes before the reply that makes the validator want the keys:
 * it is held until then.
 */
static bool spoof_dnskey;
static unsigned spoofs, spoofs_taken;
/*
 * With late_dnskey, every reply to a DNSKEY query comes one round late,
 * after that round's other replies: a zone's keys come after the reply of
 * the child it delegated to.
 */
static bool late_dnskey;

static void
round_collect(struct engine_request *req, struct engine_now *now,
    struct round_send *out, unsigned *n, unsigned *sends)
{
	struct engine_action action;
	enum engine_action_kind kind;

	while ((kind = engine_next_action(req, *now, &action)) ==
	    ENGINE_SEND || kind == ENGINE_ANSWER) {
		ldns_pkt *query = NULL, *reply;
		unsigned rtt = 0;

		if (kind == ENGINE_ANSWER)
			continue;
		(*sends)++;
		ldns_wire2pkt(&query, action.send.wire, action.send.wire_len);
		reply = zone_answer(NULL, &action.send, query, now, &rtt);
		if (*n < 8) {
			struct round_send *r = &out[(*n)++];

			r->id = action.send.id;
			r->addr = action.send.addr;
			r->addrlen = action.send.addrlen;
			r->wire = NULL;
			r->dnskey = query != NULL && ldns_rr_get_type(
			    ldns_rr_list_rr(ldns_pkt_question(query), 0)) ==
			    LDNS_RR_TYPE_DNSKEY;
			if (reply != NULL)
				ldns_pkt2wire(&r->wire, reply, &r->len);
		}
		ldns_pkt_free(reply);
		ldns_pkt_free(query);
	}
}

static unsigned
resolve_rounds(struct engine *engine, const char *name, struct outcome *out)
{
	struct engine_question q = { .type = LDNS_RR_TYPE_A,
	    .klass = LDNS_RR_CLASS_IN };
	struct engine_now now = { T_NOW, 1000 };
	struct round_send cur[8], next[8], late[8], later[8];
	unsigned n = 0, nl = 0, rounds = 0;
	struct engine_request *req;

	memset(out, 0, sizeof(*out));
	memset(&events, 0, sizeof(events));
	events.watch = watch_zone;
	for (size_t i = 0; i < ZONE_COUNT; i++)
		zones[i].sends = zones[i].dnskey_sends = zones[i].ds_sends = 0;
	q.name = ldns_dname_new_frm_str(name);
	req = engine_request_new(engine, &q, 0, now, &observer, &events);
	ldns_rdf_deep_free(q.name);
	round_collect(req, &now, cur, &n, &out->sends);
	while ((n > 0 || nl > 0) && rounds < 100) {
		unsigned m = 0, ml = 0;

		rounds++;
		now.ms += 10;
		for (unsigned k = 0; k < n + nl; k++) {
			/* spoof_dnskey: this round's last sent first. */
			struct round_send *r = k >= n ? &late[k - n] :
			    &cur[spoof_dnskey ? n - 1 - k : k];

			if (k < n && late_dnskey && r->dnskey) {
				later[ml++] = *r;
				continue;
			}
			if (k < n && spoof_dnskey && r->dnskey &&
			    r->wire != NULL && r->len >= 2) {
				r->wire[0] ^= 0x5a;
				spoofs++;
				if (engine_feed_reply(req, r->id,
				    (struct sockaddr *)&r->addr, r->addrlen,
				    r->wire, r->len, 10, now) != -1)
					spoofs_taken++;
				r->wire[0] ^= 0x5a;
			}
			if (r->wire != NULL)
				engine_feed_reply(req, r->id,
				    (struct sockaddr *)&r->addr, r->addrlen,
				    r->wire, r->len, 10, now);
			else
				engine_feed_timeout(req, r->id, now);
			free(r->wire);
			round_collect(req, &now, next, &m, &out->sends);
		}
		memcpy(cur, next, sizeof(cur));
		n = m;
		memcpy(late, later, sizeof(late));
		nl = ml;
	}
	engine_request_result(req, &out->result);
	engine_request_free(req);
	return rounds;
}

/*
 * Keys ahead: a cold secure name three zones down (., test., sec.test.)
 * needs each zone's DNSKEYs. Fetched after each zone's reply, they cost a
 * round trip per zone: 7 in all (priming, . DNSKEY, test. referral,
 * sec.test. referral, test. DNSKEY, the answer, sec.test. DNSKEY). Asked
 * beside the first query to each zone, 4, with the same 7 queries; and
 * then the same way through a CNAME to an insecure zone.
 */
static void
test_keys_ahead(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o, seq;
	unsigned rounds;

	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, false, false, &seq);
	outcome_free(&seq);
	engine_free(engine);
	engine = new_engine(true);
	rounds = resolve_rounds(engine, "www.sec.test.", &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && rounds == 4 &&
	    o.sends == seq.sends && zone_named(".")->dnskey_sends == 1 &&
	    zone_named("test.")->dnskey_sends == 1 &&
	    zone_named("sec.test.")->dnskey_sends == 1,
	    "keys_ahead: a cold secure name waits 4 round trips, not 7, for "
	    "the same queries (%u round trips, %u sends, %u one at a time, "
	    "%s)", rounds, o.sends, seq.sends,
	    sec_status_name(o.result.security));
	engine_free(engine);
	engine = new_engine(true);
	resolve(engine, "alias.sec.test.", LDNS_RR_TYPE_A, false, false, &seq);
	engine_free(engine);
	engine = new_engine(true);
	rounds = resolve_rounds(engine, "alias.sec.test.", &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == seq.result.security && rounds < 7 &&
	    o.sends == seq.sends,
	    "keys_ahead: a cold CNAME from a secure zone to an insecure one: "
	    "%u round trips, %u sends (%u one at a time), %s",
	    rounds, o.sends, seq.sends, sec_status_name(o.result.security));
	outcome_free(&seq);
	/* Warm: the keys are cached, nothing is asked ahead. */
	rounds = resolve_rounds(engine, "www.sec.test.", &o);
	ok(o.result.security == SEC_SECURE && o.sends == 1 && rounds == 1,
	    "keys_ahead: nothing ahead once the keys are cached (%u sends)",
	    o.sends);
	engine_free(engine);
	/*
	 * A datagram with another ID from the keys-ahead query's server is
	 * not its reply: held, it was taken over by the DNSKEY sub-task,
	 * failed to match there, and the real reply was ignored: one query
	 * more, and a spoofer could make every keys-ahead query useless.
	 */
	engine = new_engine(true);
	spoof_dnskey = true;
	spoofs = spoofs_taken = 0;
	rounds = resolve_rounds(engine, "www.sec.test.", &o);
	spoof_dnskey = false;
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && rounds == 4 && spoofs == 3 &&
	    spoofs_taken == 0 && zone_named(".")->dnskey_sends == 1 &&
	    zone_named("test.")->dnskey_sends == 1 &&
	    zone_named("sec.test.")->dnskey_sends == 1,
	    "keys_ahead: a reply with another ID is ignored, the real one "
	    "still taken (%u of %u spoofs taken, %u round trips, %u sends)",
	    spoofs_taken, spoofs, rounds, o.sends);
	engine_free(engine);
}

/*
 * A referral's DS proof is judged after the first query to the child is
 * sent: the child's DNSKEYs are asked beside it from the referral's DS not
 * judged yet, and a reply of the child that comes while the proof still
 * waits for its parent's keys is held, not judged, until it is judged.
 * Here every DNSKEY reply comes a round late, after the child's reply.
 */
static void
test_overlapped_referral_proof(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o, seq;
	unsigned rounds;

	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, false, false, &seq);
	engine_free(engine);
	engine = new_engine(true);
	late_dnskey = true;
	watch_zone = "test.";
	rounds = resolve_rounds(engine, "www.sec.test.", &o);
	watch_zone = NULL;
	late_dnskey = false;
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && o.sends == seq.sends &&
	    events.watch_judged && events.watch_asked_first &&
	    !events.watch_replied_first && rounds <= 6,
	    "overlapped_referral_proof: the child's reply coming before its "
	    "parent's keys waits for its DS verdict, one round trip less (%s, "
	    "%u sends, %u one at a time, test. asked first %d, its reply "
	    "first %d, %u round trips, 7 before)", sec_status_name(o.result.security), o.sends, seq.sends,
	    events.watch_asked_first, events.watch_replied_first, rounds);
	outcome_free(&seq);
	engine_free(engine);
}

static void
test_bogus(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	resolve(engine, "forged.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.ede == ENGINE_EDE_DNSSEC_BOGUS,
	    "tampered_record_is_bogus_servfail_ede_6 (rcode %d, ede %d: %s)",
	    o.result.rcode, o.result.ede,
	    o.result.ede_text != NULL ? o.result.ede_text : "-");
	ok(!cache_has(engine, "forged.sec.test.\t3600"),
	    "bogus_data_is_not_cached");
	outcome_free(&o);
	resolve(engine, "forged.sec.test.", LDNS_RR_TYPE_A, false, true, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && !o.ad &&
	    o.result.security == SEC_UNCHECKED,
	    "cd_client_gets_bogus_data_unvalidated (rcode %d)", o.result.rcode);
	outcome_free(&o);
	resolve(engine, "stripped.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.ede == ENGINE_EDE_RRSIGS_MISSING,
	    "stripped_rrsigs_are_bogus_ede_10 (rcode %d, ede %d: %s)",
	    o.result.rcode, o.result.ede,
	    o.result.ede_text != NULL ? o.result.ede_text : "-");
	outcome_free(&o);
	resolve(engine, "www.old.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.ede == ENGINE_EDE_SIGNATURE_EXPIRED,
	    "expired_signatures_are_bogus_ede_7 (rcode %d, ede %d: %s)",
	    o.result.rcode, o.result.ede,
	    o.result.ede_text != NULL ? o.result.ede_text : "-");
	outcome_free(&o);
	resolve(engine, "www.new.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.ede == ENGINE_EDE_SIGNATURE_NOT_YET_VALID,
	    "future_signatures_are_bogus_ede_8 (rcode %d, ede %d: %s)",
	    o.result.rcode, o.result.ede,
	    o.result.ede_text != NULL ? o.result.ede_text : "-");
	outcome_free(&o);
	resolve(engine, "www.bad.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    (o.result.ede == ENGINE_EDE_DNSKEY_MISSING ||
	    o.result.ede == ENGINE_EDE_DNSSEC_BOGUS),
	    "ds_for_an_absent_key_is_bogus (rcode %d, ede %d: %s)",
	    o.result.rcode, o.result.ede,
	    o.result.ede_text != NULL ? o.result.ede_text : "-");
	ok(cache_has(engine, "key bad.test. bogus"),
	    "bogus_zone_kept_in_key_cache");
	outcome_free(&o);
	resolve(engine, "www.bad.test.", LDNS_RR_TYPE_AAAA, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL && events.subrequests == 0,
	    "bogus_key_entry_answers_without_refetching (%u sub-requests)",
	    events.subrequests);
	outcome_free(&o);
	engine_free(engine);
}

/*
 * A DS at the parent, no DNSKEY in the zone (the lab's dsonly.net): EDE 9
 * (DNSKEY Missing) as Unbound says, and every bogus step the observer (and
 * so the trace's chain of trust) sees says the same, not "RRSIGs missing"
 * for the unsigned SOA of the DNSKEY NODATA.
 */
static void
test_ds_without_dnskey(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	resolve(engine, "www.dso.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.ede == ENGINE_EDE_DNSKEY_MISSING,
	    "ds_without_dnskey_is_bogus_ede_9 (rcode %d, ede %d: %s)",
	    o.result.rcode, o.result.ede,
	    o.result.ede_text != NULL ? o.result.ede_text : "-");
	ok(events.bogus_steps > 0 && events.bogus_ede == o.result.ede &&
	    o.result.ede_text != NULL &&
	    strcmp(events.bogus_why, o.result.ede_text) == 0 &&
	    !events.bogus_mixed,
	    "every_bogus_step_carries_the_answers_ede_and_reason (first: ede "
	    "%d, %s; %u steps%s)", events.bogus_ede, events.bogus_why,
	    events.bogus_steps, events.bogus_mixed ? ", mixed" : "");
	ok(cache_has(engine, "key dso.test. bogus"),
	    "ds_without_dnskey_marks_the_zone_bad");
	outcome_free(&o);
	resolve(engine, "dso.test.", LDNS_RR_TYPE_DNSKEY, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.ede == ENGINE_EDE_DNSKEY_MISSING,
	    "its_dnskey_query_is_bogus_ede_9_too (rcode %d, ede %d)",
	    o.result.rcode, o.result.ede);
	outcome_free(&o);
	engine_free(engine);
}

static void
test_validation_budget(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	resolve(engine, "www.c1.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.ede == ENGINE_EDE_DNSSEC_BOGUS && events.limits > 0 &&
	    strcmp(events.last_limit,
	    "LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST") == 0,
	    "signature_checks_bounded_per_request_across_subrequests "
	    "(rcode %d, ede %d, limit %s)", o.result.rcode, o.result.ede,
	    events.last_limit);
	outcome_free(&o);
	/* A fresh request gets a fresh budget: the keys are cached by now. */
	resolve(engine, "www.c10.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE,
	    "the_next_request_has_its_own_budget_and_no_zone_was_marked_bogus (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	engine_free(engine);
}

static unsigned
count_type(const ldns_pkt *pkt, ldns_rr_type type)
{
	unsigned n = 0;

	for (size_t i = 0; pkt != NULL && i < ldns_pkt_nscount(pkt); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_authority(pkt),
		    i)) == type)
			n++;
	return n;
}

/*
 * NSEC3 (RFC 5155) through the whole engine, not just nsec3.c's own
 * proofs: the authority hashes and picks the closest encloser, next
 * closer and wildcard records as a real server does.
 */
static void
test_nsec3(void)
{
	struct engine *engine = new_engine(true);
	struct outcome o;

	resolve(engine, "nope.n3.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN &&
	    o.result.security == SEC_SECURE && o.ad &&
	    count_type(o.pkt, LDNS_RR_TYPE_NSEC3) >= 2,
	    "nsec3_nxdomain_closest_encloser_proof_is_secure (rcode %d, %s: "
	    "%s, %u NSEC3)", o.result.rcode, sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-",
	    count_type(o.pkt, LDNS_RR_TYPE_NSEC3));
	outcome_free(&o);
	resolve(engine, "www.n3.test.", LDNS_RR_TYPE_TXT, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && o.ad &&
	    count_type(o.pkt, LDNS_RR_TYPE_NSEC3) == 1,
	    "nsec3_nodata_matching_record_is_secure (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	resolve(engine, "a.wild.n3.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE,
	    "nsec3_wildcard_answer_with_next_closer_covered_is_secure (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	outcome_free(&o);
	resolve(engine, "www.uns.oo.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad,
	    "nsec3_opt_out_delegation_is_insecure (%s: %s)",
	    sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-");
	ok(cache_has(engine, "key uns.oo.test. insecure"),
	    "opt_out_delegation_remembered_insecure_in_key_cache");
	outcome_free(&o);
	resolve(engine, "www.oo.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.security == SEC_SECURE,
	    "signed_data_of_an_opt_out_zone_stays_secure (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	/* The NSEC3s cached above would deny "other" before any query
	 * (RFC 8198): the stripped proof needs an engine that asks. */
	engine_free(engine);
	aggressive_off = true;
	engine = new_engine(true);
	aggressive_off = false;
	strip_next_closer = true;
	resolve(engine, "other.n3.test.", LDNS_RR_TYPE_A, false, false, &o);
	strip_next_closer = false;
	ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
	    o.result.ede == ENGINE_EDE_NSEC_MISSING,
	    "nsec3_nxdomain_without_the_next_closer_cover_is_bogus (rcode %d, "
	    "ede %d: %s)", o.result.rcode, o.result.ede,
	    o.result.ede_text != NULL ? o.result.ede_text : "-");
	outcome_free(&o);
	resolve(engine, "nope.n3big.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NXDOMAIN &&
	    o.result.security == SEC_INSECURE && !o.ad &&
	    o.result.sec_why != NULL &&
	    strstr(o.result.sec_why, "RFC 9276") != NULL &&
	    strcmp(events.last_limit, "LIMIT_DNSSEC_NSEC3_ITERATIONS") == 0,
	    "nsec3_over_the_iteration_limit_is_insecure (rcode %d, %s: %s, "
	    "limit %s)", o.result.rcode, sec_status_name(o.result.security),
	    o.result.sec_why != NULL ? o.result.sec_why : "-",
	    events.last_limit);
	outcome_free(&o);
	resolve(engine, "www.n3big.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.security == SEC_SECURE,
	    "positive_answers_of_that_zone_stay_secure (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	engine_free(engine);
}

/*
 * One of a zone's two servers serves a copy with broken signatures (a
 * stale secondary, a forger on its path): the bogus reply is asked again
 * of the other server, and the answer is secure. Fresh engines, so the
 * random first pick falls on the broken server in about half of them.
 */
static void
test_restart_after_bogus(void)
{
	unsigned max_sends = 0, restarts = 0;
	bool all_secure = true, keys_kept = true;
	struct engine_stats st;
	struct outcome o;

	for (int run = 0; run < 12; run++) {
		struct engine *engine = new_engine(true);

		resolve(engine, "www.two.test.", LDNS_RR_TYPE_A, false, false,
		    &o);
		if (o.result.rcode != LDNS_RCODE_NOERROR ||
		    o.result.security != SEC_SECURE) {
			all_secure = false;
			diag("run %d: rcode %d, %s: %s", run, o.result.rcode,
			    sec_status_name(o.result.security),
			    o.result.sec_why != NULL ? o.result.sec_why : "-");
		}
		if (zone_named("two.test.")->sends > max_sends)
			max_sends = zone_named("two.test.")->sends;
		if (!cache_has(engine, "key two.test. secure"))
			keys_kept = false;
		engine_stats_get(engine, &st);
		restarts += (unsigned)st.dnssec_restarts;
		outcome_free(&o);
		engine_free(engine);
	}
	ok(all_secure, "bogus_reply_from_one_server_is_asked_again_of_the_"
	    "other_and_the_answer_is_secure");
	ok(restarts > 0, "restarts_counted_in_stats (%u in 12 runs)",
	    restarts);
	/* DNSKEY and A: two queries, plus at most the restarts. */
	ok(max_sends <= 2 + LIMIT_DNSSEC_RESTARTS,
	    "restarts_cost_at_most_LIMIT_DNSSEC_RESTARTS_extra_sends (at most "
	    "%u sends to the zone)", max_sends);
	ok(keys_kept, "a_broken_copy_does_not_mark_the_zone_keys_bad");

	for (int run = 0; run < 4; run++) {
		struct engine *engine = new_engine(true);

		resolve(engine, "www.both.test.", LDNS_RR_TYPE_A, false, false,
		    &o);
		engine_stats_get(engine, &st);
		ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
		    (o.result.ede == ENGINE_EDE_DNSSEC_BOGUS ||
		    o.result.ede == ENGINE_EDE_DNSKEY_MISSING) &&
		    zone_named("both.test.")->sends <= 2 +
		    LIMIT_DNSSEC_RESTARTS && st.dnssec_restarts <=
		    LIMIT_DNSSEC_RESTARTS,
		    "every_server_bogus_is_servfail_with_bounded_sends (rcode "
		    "%d, ede %d: %s, %u sends, %u restarts)", o.result.rcode,
		    o.result.ede, o.result.ede_text != NULL ?
		    o.result.ede_text : "-", zone_named("both.test.")->sends,
		    (unsigned)st.dnssec_restarts);
		ok(cache_has(engine, "key both.test. bogus"),
		    "zone_marked_bogus_once_every_server_failed");
		outcome_free(&o);
		engine_free(engine);
	}
}

/*
 * A referral whose DS has a broken RRSIG (one of the parent's two servers
 * breaks it, a stale copy or a forger on its path): the referral is not
 * failed and the child not marked bad while the other server is left, so
 * the DS is fetched again as a sub-request, whose bogus answer is asked
 * again of the other server (the restart after bogus): secure, with
 * bounded extra sends. Both servers broken: bogus, EDE 6, still bounded.
 */
static void
test_referral_with_bogus_ds(void)
{
	unsigned max_sends = 0, runs_bad = 0;
	bool all_secure = true;
	struct outcome o;

	/*
	 * Fresh engines: the first pick falls on the broken server in about
	 * half of them (a good referral leaves no bogus step at all), so all
	 * 16 missing the path is a 1 in 65536 chance.
	 */
	for (int run = 0; run < 16; run++) {
		struct engine *engine = new_engine(true);

		resolve(engine, "www.kid.dsp.test.", LDNS_RR_TYPE_A, false,
		    false, &o);
		if (o.result.rcode != LDNS_RCODE_NOERROR ||
		    o.result.security != SEC_SECURE) {
			all_secure = false;
			diag("run %d: rcode %d, %s: %s", run, o.result.rcode,
			    sec_status_name(o.result.security),
			    o.result.sec_why != NULL ? o.result.sec_why : "-");
		}
		if (events.bogus_steps > 0)
			runs_bad++;
		if (zone_named("dsp.test.")->sends > max_sends)
			max_sends = zone_named("dsp.test.")->sends;
		outcome_free(&o);
		engine_free(engine);
	}
	ok(all_secure && runs_bad > 0,
	    "referral_with_a_bogus_ds_from_one_server_ends_secure (%u of 16 "
	    "runs met the broken copy)", runs_bad);
	/*
	 * The parent's DNSKEY and the referral: two sends; the DS again, and
	 * again of the other server: at most LIMIT_DNSSEC_RESTARTS more.
	 */
	ok(max_sends <= 3 + LIMIT_DNSSEC_RESTARTS,
	    "bogus_ds_retry_costs_bounded_sends (at most %u to the parent)",
	    max_sends);

	for (int run = 0; run < 4; run++) {
		struct engine *engine = new_engine(true);
		struct engine_stats st;

		resolve(engine, "www.kid.dsb.test.", LDNS_RR_TYPE_A, false,
		    false, &o);
		engine_stats_get(engine, &st);
		ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
		    o.result.ede == ENGINE_EDE_DNSSEC_BOGUS &&
		    zone_named("dsb.test.")->sends <= 3 +
		    LIMIT_DNSSEC_RESTARTS && st.dnssec_restarts <=
		    LIMIT_DNSSEC_RESTARTS,
		    "bogus_ds_at_every_parent_server_is_servfail_ede_6 (rcode "
		    "%d, ede %d: %s, %u sends, %u restarts)", o.result.rcode,
		    o.result.ede, o.result.ede_text != NULL ?
		    o.result.ede_text : "-", zone_named("dsb.test.")->sends,
		    (unsigned)st.dnssec_restarts);
		ok(cache_has(engine, "key kid.dsb.test. bogus"),
		    "child_marked_bogus_once_every_parent_server_failed");
		outcome_free(&o);
		engine_free(engine);
	}
}

/*
 * A referral without glue is followed first and its DS or no-DS proof
 * judged once the child's server has an address (test.'s keys are not
 * fetched for a cut never asked, test_repeated_referral). The proof is
 * judged right after the child is asked, before its reply, and the child's
 * answers with it: no DS query of their own, the same verdicts as with glue. A bogus
 * DS from one of the parent's two servers is fetched again from the other
 * (secure); from both, the child is bogus, EDE 6, as kid.dsb.test. is.
 */
static void
test_glueless_referral(void)
{
	struct engine *engine = new_engine(true);
	unsigned runs_bad = 0;
	bool all_secure = true;
	struct outcome o;

	watch_zone = "gls.test.";
	resolve(engine, "www.gls.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_SECURE && o.ad &&
	    zone_named("test.")->ds_sends == 0 && events.watch_judged &&
	    events.watch_asked_first && !events.watch_replied_first,
	    "glueless_signed_delegation_ds_judged_after_the_child_is_asked_"
	    "before_its_reply (%s, ds judged %d, child asked first %d, its "
	    "reply first %d, %u DS queries)",
	    sec_status_name(o.result.security), events.watch_judged,
	    events.watch_asked_first, events.watch_replied_first,
	    zone_named("test.")->ds_sends);
	outcome_free(&o);
	watch_zone = "glu.test.";
	resolve(engine, "www.glu.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad &&
	    zone_named("test.")->ds_sends == 0 && events.watch_judged &&
	    !events.watch_replied_first &&
	    cache_has(engine, "key glu.test. insecure"),
	    "glueless_unsigned_delegation_no_ds_judged_before_the_childs_"
	    "reply (%s, no-ds judged %d, child's reply first %d, %u DS "
	    "queries)", sec_status_name(o.result.security), events.watch_judged,
	    events.watch_replied_first, zone_named("test.")->ds_sends);
	outcome_free(&o);
	watch_zone = NULL;
	engine_free(engine);

	for (int run = 0; run < 16; run++) {
		engine = new_engine(true);
		resolve(engine, "www.gk.dsp.test.", LDNS_RR_TYPE_A, false,
		    false, &o);
		if (o.result.rcode != LDNS_RCODE_NOERROR ||
		    o.result.security != SEC_SECURE) {
			all_secure = false;
			diag("run %d: rcode %d, %s: %s", run, o.result.rcode,
			    sec_status_name(o.result.security),
			    o.result.sec_why != NULL ? o.result.sec_why : "-");
		}
		if (events.bogus_steps > 0)
			runs_bad++;
		outcome_free(&o);
		engine_free(engine);
	}
	ok(all_secure && runs_bad > 0,
	    "glueless_referral_with_a_bogus_ds_from_one_server_ends_secure "
	    "(%u of 16 runs met the broken copy)", runs_bad);

	for (int run = 0; run < 4; run++) {
		struct outcome glued;

		engine = new_engine(true);
		resolve(engine, "www.kid.dsb.test.", LDNS_RR_TYPE_A, false,
		    false, &glued);
		engine_free(engine);
		engine = new_engine(true);
		resolve(engine, "www.gk.dsb.test.", LDNS_RR_TYPE_A, false,
		    false, &o);
		ok(o.result.rcode == LDNS_RCODE_SERVFAIL &&
		    o.result.ede == ENGINE_EDE_DNSSEC_BOGUS &&
		    glued.result.rcode == o.result.rcode &&
		    glued.result.ede == o.result.ede &&
		    zone_named("dsb.test.")->sends <= 3 + 1 +
		    LIMIT_DNSSEC_RESTARTS &&
		    cache_has(engine, "key gk.dsb.test. bogus"),
		    "glueless_bogus_ds_at_every_parent_server_fails_as_with_"
		    "glue (rcode %d, ede %d: %s; with glue rcode %d, ede %d; "
		    "%u sends to the parent)", o.result.rcode, o.result.ede,
		    o.result.ede_text != NULL ? o.result.ede_text : "-",
		    glued.result.rcode, glued.result.ede,
		    zone_named("dsb.test.")->sends);
		outcome_free(&glued);
		outcome_free(&o);
		engine_free(engine);
	}
}

/*
 * engine_reconfigure(): the same trust keeps every cache and the keys; a
 * negative anchor added (or validation turned off) empties them, so no
 * verdict reached under the old trust is served under the new one.
 */
static void
test_reload_trust(void)
{
	struct engine *engine = new_engine(true);
	struct engine_config cfg;
	static const char *anchors[1], *insecure[1] = { "sec.test." };
	char err[256];
	struct outcome o;
	int rc;

	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	outcome_free(&o);
	scripted_config_init(&cfg, false);
	anchors[0] = root_anchor;
	cfg.trust_anchors = anchors;
	cfg.trust_anchor_count = 1;
	rc = engine_reconfigure(engine, &cfg, err, sizeof(err));
	ok(rc == 0 && cache_has(engine, "key sec.test. secure") &&
	    cache_has(engine, "www.sec.test."),
	    "reload_under_the_same_trust_keeps_caches_and_keys (rc %d)", rc);
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.sends == 0 && o.ad, "cached_secure_answer_served_after_reload");
	outcome_free(&o);
	cfg.domain_insecure = insecure;
	cfg.domain_insecure_count = 1;
	rc = engine_reconfigure(engine, &cfg, err, sizeof(err));
	ok(rc == 1 && !cache_has(engine, "www.sec.test.") &&
	    !cache_has(engine, "key "),
	    "reload_with_a_new_negative_anchor_empties_every_cache (rc %d)", rc);
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_INSECURE && !o.ad,
	    "secure_name_under_a_new_negative_anchor_is_insecure (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	cfg.dnssec_validation = false;
	rc = engine_reconfigure(engine, &cfg, err, sizeof(err));
	ok(rc == 1 && !cache_has(engine, "www.sec.test."),
	    "reload_turning_validation_off_empties_every_cache (rc %d)", rc);
	engine_free(engine);
}

/* Writes `text` as the whole of the file at `path`. */
static bool
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	bool done = f != NULL && fputs(text, f) >= 0;

	return f != NULL && fclose(f) == 0 && done;
}

/*
 * RFC 5011's own update of the auto-trust-anchor-file (its DS matched to
 * the root's KSK, which becomes VALID, the file rewritten) is no change of
 * trust: a reload keeps every cache. Another key written there by the
 * operator still empties them.
 */
static void
test_reload_after_autotrust_update(void)
{
	char path[] = "/tmp/test_validator_autokey.XXXXXX";
	char text[8192] = "", other[sizeof(root_anchor) + 1], err[256];
	struct engine_config cfg;
	struct engine *engine = NULL;
	struct outcome o;
	FILE *f;
	size_t len;
	int fd = mkstemp(path), rc;

	if (fd >= 0)
		close(fd);
	snprintf(other, sizeof(other), "%s\n", root_anchor);
	if (fd >= 0 && write_text(path, other)) {
		scripted_config_init(&cfg, false);
		cfg.auto_trust_anchor_file = path;
		engine = engine_new(&cfg, err, sizeof(err));
	}
	if (engine == NULL) {
		ok(false, "autotrust_engine_starts (%s)", fd < 0 ? "mkstemp" :
		    err);
		unlink(path);
		return;
	}
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	outcome_free(&o);
	if ((f = fopen(path, "r")) != NULL) {
		len = fread(text, 1, sizeof(text) - 1, f);
		text[len] = '\0';
		fclose(f);
	}
	ok(o.ad && strstr(text, "DNSKEY") != NULL && strstr(text, "\tDS\t") ==
	    NULL, "autotrust_rewrote_its_file_with_the_root_key");
	rc = engine_reconfigure(engine, &cfg, err, sizeof(err));
	ok(rc == 0 && cache_has(engine, "www.sec.test.") &&
	    cache_has(engine, "key sec.test. secure"),
	    "reload_after_an_autotrust_update_keeps_every_cache (rc %d)", rc);
	/* The operator's DS: the root anchor's digest with one digit changed. */
	snprintf(other, sizeof(other), "%s\n", root_anchor);
	len = strcspn(other, "\n") - 1;
	other[len] = other[len] == '0' ? '1' : '0';
	rc = write_text(path, other) ? engine_reconfigure(engine, &cfg, err,
	    sizeof(err)) : -1;
	ok(rc == 1 && !cache_has(engine, "www.sec.test."),
	    "reload_after_the_operator_rewrites_the_autotrust_file_empties_"
	    "every_cache (rc %d)", rc);
	engine_free(engine);
	unlink(path);
}

/*
 * The key cache is part of cache-size (ENGINE_KEY_CACHE_SHARE of it), not
 * a fixed 4 MiB beside it: a small cache-size holds it to its share, and
 * its memory counts in the stats' cache bytes and entries.
 */
static void
test_key_cache_in_cache_size(void)
{
	struct engine_config cfg;
	static const char *anchors[1];
	const size_t size = 160 * 1024;
	char err[256], name[64];
	struct engine *engine;
	struct engine_stats st;
	struct outcome o;
	size_t peak = 0;

	scripted_config_init(&cfg, false);
	anchors[0] = root_anchor;
	cfg.trust_anchors = anchors;
	cfg.trust_anchor_count = 1;
	cfg.cache_size = size;
	if ((engine = engine_new(&cfg, err, sizeof(err))) == NULL) {
		ok(false, "engine_new: %s", err);
		return;
	}
	for (int i = CHAIN_ZONES; i >= 1; i--) {
		snprintf(name, sizeof(name), "www.c%d.test.", i);
		resolve(engine, name, LDNS_RR_TYPE_A, false, false, &o);
		outcome_free(&o);
		engine_stats_get(engine, &st);
		if (st.cache_key_bytes > peak)
			peak = st.cache_key_bytes;
	}
	resolve(engine, "www.two.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.security == SEC_SECURE,
	    "validation_works_with_a_small_key_cache (%s)",
	    sec_status_name(o.result.security));
	outcome_free(&o);
	engine_stats_get(engine, &st);
	ok(peak > 0 && peak <= ENGINE_KEY_CACHE_SHARE(size),
	    "key_cache_held_to_its_share_of_cache_size (peak %zu bytes, "
	    "share %zu)", peak, (size_t)ENGINE_KEY_CACHE_SHARE(size));
	ok(st.cache_key_entries > 0 && st.cache_bytes >= st.cache_key_bytes &&
	    st.cache_entries >= st.cache_key_entries,
	    "key_cache_counted_in_cache_bytes_and_entries (%zu of %zu bytes, "
	    "%zu of %zu entries)", st.cache_key_bytes, st.cache_bytes,
	    st.cache_key_entries, st.cache_entries);
	engine_free(engine);
}

static void
test_validation_off(void)
{
	struct engine *engine = new_engine(false);
	struct outcome o;

	resolve(engine, "forged.sec.test.", LDNS_RR_TYPE_A, false, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR &&
	    o.result.security == SEC_UNCHECKED && !o.ad && o.rrsigs == 0,
	    "without_anchor_nothing_is_validated (no AD, no RRSIG without DO)");
	/* DO upstream all the same, as BIND and Unbound send it. */
	ok(events.do_seen, "a_non_validating_engine_still_sends_do_upstream");
	outcome_free(&o);
	/* A DO client validates for itself: it gets the RRSIGs, never AD. */
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.result.rcode == LDNS_RCODE_NOERROR && o.rrsigs == 1 && !o.ad,
	    "do_client_of_a_non_validating_engine_gets_rrsigs_without_ad "
	    "(%u rrsigs, ad %d)", o.rrsigs, o.ad);
	outcome_free(&o);
	resolve(engine, "www.sec.test.", LDNS_RR_TYPE_A, true, false, &o);
	ok(o.sends == 0 && o.rrsigs == 1 && !o.ad,
	    "and_from_the_cache_too (%u sends, %u rrsigs)", o.sends, o.rrsigs);
	outcome_free(&o);
	engine_free(engine);
}

int
main(void)
{
	setup_zones();
	{
		struct engine *probe = new_engine(true);

		if (!ok(probe != NULL, "engine_with_a_root_trust_anchor_starts"))
			return tap_done();
		engine_free(probe);
	}
	test_secure_answer();
	test_negative_answers();
	test_aggressive_nsec();
	test_aggressive_nsec3();
	test_aggressive_wildcard();
	test_wildcard_answer_seeds_aggressive();
	test_wildcard_walk_bounded();
	test_wildcard_proof();
	test_wildcard_proof_from_rrset_cache();
	test_unverified_proof();
	test_extra_signer();
	test_fake_signers_nearer_the_root();
	test_wildcard_nsec_replay();
	test_wildcard_learnt_from_a_forged_rrsig();
	test_ds_kept_no_longer_than_its_rrsig();
	test_insecure();
	test_unsigned_cut_from_denial();
	test_ds_below_unsigned_cut();
	test_unsigned_cut_below_a_signed_zone();
	test_island_of_security();
	test_island_denial();
	test_island_signed_by_the_parent();
	test_rfc8020_secure_only();
	test_rfc8020_not_over_a_stub();
	test_qmin_siblings_validated();
	test_repeated_referral();
	test_keys_ahead();
	test_overlapped_referral_proof();
	test_bogus();
	test_ds_without_dnskey();
	test_validation_budget();
	test_nsec3();
	test_restart_after_bogus();
	test_referral_with_bogus_ds();
	test_glueless_referral();
	test_reload_trust();
	test_reload_after_autotrust_update();
	test_key_cache_in_cache_size();
	test_validation_off();
	test_key_objects_freed_with_engine();
	scripted_hints_remove();
	for (size_t i = 0; i < ZONE_COUNT; i++) {
		ldns_rr_list_deep_free(zones[i].rrs);
		ldns_rr_free(zones[i].dnskey);
		if (zones[i].key != NULL)
			ldns_key_deep_free(zones[i].key);
	}
	return tap_done();
}
