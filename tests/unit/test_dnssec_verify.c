/*
 * test_dnssec_verify.c: signature checks (resolver/dnssec/verify.c) with
 * keys and signatures made in-process at a fixed clock: algorithms, time
 * edges and skew, key flags, wildcards, DS matching, and the KeyTrap limits
 * (each limit has a test that fails without it).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"
#include "dnssec_util.h"
#include "engine_limits.h"
#include "dnssec/algorithms.h"
#include "dnssec/verify.h"

static ldns_rdf *zone;	/* example.com. */

/* Verifies with a fresh budget; returns the verdict. */
static struct dnssec_verdict
check(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rr_list *keys, uint32_t now)
{
	struct dnssec_budget budget;
	struct dnssec_verdict v;

	dnssec_budget_init(&budget);
	dnssec_verify_rrset(rrset, sigs, keys, zone, now, &budget, &v);
	return v;
}

static void
test_selftest(void)
{
	ok(dnssec_algorithms_init() == 0, "every algorithm passes its self-test");
	for (int alg = 0; alg < 256; alg++) {
		bool want = alg == 5 || alg == 7 || alg == 8 || alg == 10 ||
		    alg == 13 || alg == 14 || alg == 15 || alg == 16;

		if (dnssec_algorithm_supported(alg) != want) {
			ok(0, "algorithm %d supported: %d", alg, !want);
			return;
		}
	}
	ok(1, "supported: 5 7 8 10 13 14 15 16; not 1 3 6 12 or unknown");
	ok(dnssec_digest_supported(1) && dnssec_digest_supported(2) &&
	    dnssec_digest_supported(4) && !dnssec_digest_supported(3) &&
	    !dnssec_digest_supported(5), "digests 1 2 4 supported, 3 5 not");
	ok(dnssec_digest_preference(2) > dnssec_digest_preference(1),
	    "SHA-256 preferred over SHA-1");
}

static void
test_algorithm(ldns_signing_algorithm alg, const char *name)
{
	struct t_key k = t_key_new(alg, "example.com.", 256);
	struct t_key other = t_key_new(alg, "example.com.", 256);
	ldns_rr_list *set = t_list("www.example.com. 300 IN A 192.0.2.1",
	    "www.example.com. 300 IN A 192.0.2.2", NULL);
	ldns_rr_list *sigs = t_sign_now(set, &k);
	ldns_rr_list *keys = t_refs(other.dnskey, k.dnskey, NULL);
	ldns_rr_list *wrong = t_refs(other.dnskey, NULL);
	struct dnssec_verdict v = check(set, sigs, keys, T_NOW);

	ok(v.status == SEC_SECURE && v.key_tag == k.tag && v.algorithm == alg &&
	    v.wildcard_labels == -1, "%s: valid signature is secure (%s)",
	    name, v.why);
	ok(v.ttl_cap == 300, "%s: TTL capped by the original TTL (%u)", name,
	    v.ttl_cap);
	v = check(set, sigs, wrong, T_NOW);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_DNSKEY_MISSING,
	    "%s: signature by a key not in the trusted set is bogus (%s)",
	    name, v.why);
	ldns_rdf_deep_free(ldns_rr_pop_rdf(ldns_rr_list_rr(set, 1)));
	ldns_rr_push_rdf(ldns_rr_list_rr(set, 1),
	    ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.0.2.66"));
	v = check(set, sigs, keys, T_NOW);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_BOGUS,
	    "%s: tampered data is bogus (%s)", name, v.why);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_free(keys);
	ldns_rr_list_free(wrong);
	t_key_free(&k);
	t_key_free(&other);
}

/* Validity windows and the skew: 10 % of the window within [1 h, 1 d]. */
static void
test_times(void)
{
	struct t_key k = t_key_new(LDNS_SIGN_ECDSAP256SHA256, "example.com.", 256);
	ldns_rr_list *set = t_list("example.com. 300 IN TXT \"t\"", NULL);
	ldns_rr_list *keys = t_refs(k.dnskey, NULL);
	uint32_t inc = T_NOW - T_DAY, exp = T_NOW + 30 * T_DAY;
	ldns_rr_list *sigs = t_sign(set, &k, inc, exp);
	ldns_rr_list *shortsig = t_sign(set, &k, T_NOW, T_NOW + 7200);
	ldns_rr_list *inverted = t_sign(set, &k, T_NOW + T_DAY, T_NOW - T_DAY);
	struct dnssec_verdict v;

	/* 31-day window: skew is capped at one day. */
	v = check(set, sigs, keys, exp + T_DAY);
	ok(v.status == SEC_SECURE && v.ttl_cap == 0,
	    "expired by exactly the skew (1 d): still secure, TTL cap 0");
	v = check(set, sigs, keys, exp + T_DAY + 1);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_SIGNATURE_EXPIRED,
	    "expired by skew + 1 s: bogus, EDE 7 (%s)", v.why);
	v = check(set, sigs, keys, inc - T_DAY);
	ok(v.status == SEC_SECURE, "before inception by exactly the skew: secure");
	v = check(set, sigs, keys, inc - T_DAY - 1);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_SIGNATURE_NOT_YET_VALID,
	    "not yet valid by skew + 1 s: bogus, EDE 8 (%s)", v.why);
	v = check(set, sigs, keys, exp - 100);
	ok(v.status == SEC_SECURE && v.ttl_cap == 100,
	    "100 s before expiry: TTL capped to 100 (%u)", v.ttl_cap);
	/* 2-hour window: 10 % is 12 min, raised to the 1 h minimum. */
	v = check(set, shortsig, keys, T_NOW + 7200 + 3600);
	ok(v.status == SEC_SECURE, "short window: 1 h skew after expiry allowed");
	v = check(set, shortsig, keys, T_NOW + 7200 + 3601);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_SIGNATURE_EXPIRED,
	    "short window: 1 h + 1 s after expiry is bogus");
	v = check(set, inverted, keys, T_NOW);
	ok(v.status == SEC_BOGUS &&
	    v.ede == DNSSEC_EDE_SIGNATURE_EXPIRED_BEFORE_VALID,
	    "expiration before inception: bogus, EDE 25 (%s)", v.why);
	/* Serial arithmetic (RFC 4034 §3.1.5): a window across 2106 works. */
	{
		uint32_t wrap = 0xffffffffu - 3600;
		ldns_rr_list *late = t_sign(set, &k, wrap, wrap + 7 * T_DAY);

		v = check(set, late, keys, wrap + T_DAY);
		ok(v.status == SEC_SECURE,
		    "a validity window across 2106 (serial arithmetic) is secure");
		ldns_rr_list_deep_free(late);
	}
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(shortsig);
	ldns_rr_list_deep_free(inverted);
	ldns_rr_list_free(keys);
	t_key_free(&k);
}

/* Key flags and the RRSIG's own fields. */
static void
test_key_rules(void)
{
	struct t_key revoked = t_key_new(LDNS_SIGN_ED25519, "example.com.",
	    257 | 0x80);
	struct t_key nozone = t_key_new(LDNS_SIGN_ED25519, "example.com.", 0);
	struct t_key good = t_key_new(LDNS_SIGN_ED25519, "example.com.", 256);
	struct t_key child = t_key_new(LDNS_SIGN_ED25519, "sub.example.com.", 256);
	ldns_rr_list *set = t_list("www.example.com. 300 IN A 192.0.2.1", NULL);
	ldns_rr_list *s_rev = t_sign_now(set, &revoked);
	ldns_rr_list *s_noz = t_sign_now(set, &nozone);
	ldns_rr_list *s_good = t_sign_now(set, &good);
	ldns_rr_list *s_child = t_sign_now(set, &child);
	ldns_rr_list *keys = t_refs(revoked.dnskey, nozone.dnskey, good.dnskey,
	    child.dnskey, NULL);
	ldns_rr_list *other = t_list("ftp.example.com. 300 IN A 192.0.2.1", NULL);
	struct dnssec_verdict v;
	ldns_rr *key_proto;

	v = check(set, s_rev, keys, T_NOW);
	ok(v.status == SEC_BOGUS, "signature by a REVOKE'd key is bogus (%s)",
	    v.why);
	v = check(set, s_noz, keys, T_NOW);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_NO_ZONE_KEY_BIT,
	    "signature by a key without the zone bit: bogus, EDE 11 (%s)", v.why);
	v = check(set, s_child, keys, T_NOW);
	ok(v.status == SEC_BOGUS,
	    "signer name other than the signer zone is bogus (%s)", v.why);
	v = check(other, s_good, keys, T_NOW);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_RRSIGS_MISSING,
	    "RRSIG over another owner name does not count: EDE 10 (%s)", v.why);
	{
		ldns_rr_list *none = ldns_rr_list_new();

		v = check(set, none, keys, T_NOW);
		ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_RRSIGS_MISSING,
		    "no RRSIG: bogus, EDE 10");
		ldns_rr_list_free(none);
	}
	/* Protocol other than 3 (RFC 4034 §2.1.2). */
	key_proto = ldns_rr_clone(good.dnskey);
	ldns_rdf_deep_free(ldns_rr_set_rdf(key_proto,
	    ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, 2), 1));
	{
		ldns_rr_list *k2 = t_refs(key_proto, NULL);
		ldns_rr_list *s2 = t_sign_now(set, &good);

		/* the key tag changes with the protocol; sign with its tag */
		ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(s2, 0),
		    ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		    ldns_calc_keytag(key_proto)), 6));
		v = check(set, s2, k2, T_NOW);
		ok(v.status == SEC_BOGUS && v.key_tag == 0,
		    "a DNSKEY with protocol 2 is never used");
		ldns_rr_list_free(k2);
		ldns_rr_list_deep_free(s2);
	}
	ldns_rr_free(key_proto);
	/* Labels field above the owner's label count (RFC 4035 §5.3.1). */
	{
		ldns_rr_list *s3 = ldns_rr_list_clone(s_good);
		ldns_rr *sig = ldns_rr_list_rr(s3, 0);

		ldns_rdf_deep_free(ldns_rr_set_rdf(sig,
		    ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, 4), 2));
		v = check(set, s3, keys, T_NOW);
		ok(v.status == SEC_BOGUS && v.key_tag == 0,
		    "RRSIG labels above the owner's count: bogus, no crypto (%s)",
		    v.why);
		ldns_rr_list_deep_free(s3);
	}
	/* The signer must be the owner or an ancestor (the zone apex). */
	{
		ldns_rr_list *top = t_list("com. 300 IN A 192.0.2.1", NULL);
		ldns_rr_list *s4 = t_sign_now(top, &good);

		v = check(top, s4, keys, T_NOW);
		ok(v.status == SEC_BOGUS,
		    "an RRset above its signer zone is bogus (%s)", v.why);
		ldns_rr_list_deep_free(top);
		ldns_rr_list_deep_free(s4);
	}
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(other);
	ldns_rr_list_deep_free(s_rev);
	ldns_rr_list_deep_free(s_noz);
	ldns_rr_list_deep_free(s_good);
	ldns_rr_list_deep_free(s_child);
	ldns_rr_list_free(keys);
	t_key_free(&revoked);
	t_key_free(&nozone);
	t_key_free(&good);
	t_key_free(&child);
}

/* A wildcard RRSIG verifies for any deeper owner: the verdict says so. */
static void
test_wildcard(void)
{
	struct t_key k = t_key_new(LDNS_SIGN_ED25519, "example.com.", 256);
	ldns_rr_list *wild = t_list("*.example.com. 300 IN A 192.0.2.9", NULL);
	ldns_rr_list *sigs = t_sign_now(wild, &k);
	ldns_rr_list *keys = t_refs(k.dnskey, NULL);
	ldns_rr_list *expanded = t_list("a.b.example.com. 300 IN A 192.0.2.9",
	    NULL);
	ldns_rr_list *esigs = ldns_rr_list_clone(sigs);
	struct dnssec_verdict v;

	ldns_rdf_deep_free(ldns_rr_owner(ldns_rr_list_rr(esigs, 0)));
	ldns_rr_set_owner(ldns_rr_list_rr(esigs, 0), t_name("a.b.example.com."));
	v = check(wild, sigs, keys, T_NOW);
	ok(v.status == SEC_SECURE && v.wildcard_labels == -1,
	    "the wildcard RRset itself is no expansion");
	v = check(expanded, esigs, keys, T_NOW);
	ok(v.status == SEC_SECURE && v.wildcard_labels == 2,
	    "expanded wildcard: secure, closest encloser has 2 labels (%d)",
	    v.wildcard_labels);
	/* A DNAME never comes from a wildcard (RFC 6672 §3.3). */
	{
		ldns_rr_list *wd = t_list("*.example.com. 300 IN DNAME "
		    "example.net.", NULL);
		ldns_rr_list *wdsigs = t_sign_now(wd, &k);
		ldns_rr_list *ed = t_list("a.example.com. 300 IN DNAME "
		    "example.net.", NULL);

		ldns_rdf_deep_free(ldns_rr_owner(ldns_rr_list_rr(wdsigs, 0)));
		ldns_rr_set_owner(ldns_rr_list_rr(wdsigs, 0),
		    t_name("a.example.com."));
		v = check(ed, wdsigs, keys, T_NOW);
		ok(v.status == SEC_BOGUS && v.key_tag == 0,
		    "a DNAME expanded from a wildcard: bogus, no crypto (%s)",
		    v.why);
		ldns_rr_list_deep_free(wd);
		ldns_rr_list_deep_free(wdsigs);
		ldns_rr_list_deep_free(ed);
	}
	ldns_rr_list_deep_free(wild);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(expanded);
	ldns_rr_list_deep_free(esigs);
	ldns_rr_list_free(keys);
	t_key_free(&k);
}

/* An RRset of 1 RRSIG and a trusted set, re-checked until the budget is spent. */
static void
test_request_budget(void)
{
	struct t_key k = t_key_new(LDNS_SIGN_ED25519, "example.com.", 256);
	ldns_rr_list *set = t_list("example.com. 300 IN TXT \"b\"", NULL);
	ldns_rr_list *sigs = t_sign_now(set, &k);
	ldns_rr_list *keys = t_refs(k.dnskey, NULL);
	struct dnssec_budget budget;
	struct dnssec_verdict v;
	unsigned secure = 0;

	/* A fixed number of checks, well above the limit, so the test fails
	 * when the limit is raised or removed. */
	dnssec_budget_init(&budget);
	for (int i = 0; i < 100; i++) {
		dnssec_verify_rrset(set, sigs, keys, zone, T_NOW, &budget, &v);
		if (v.status == SEC_SECURE)
			secure++;
	}
	ok(secure == LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST &&
	    budget.validations_done == LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST,
	    "request budget: %u checks made, %u secure (limit %d)",
	    budget.validations_done, secure,
	    LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST);
	ok(v.status == SEC_BOGUS && v.limit != NULL &&
	    strcmp(v.limit, "LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST") == 0 &&
	    v.ede == DNSSEC_EDE_BOGUS,
	    "past the budget: bogus, EDE 6, limit named (%s)",
	    v.limit ? v.limit : "none");
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_free(keys);
	t_key_free(&k);
}

/*
 * KeyTrap (CVE-2023-50387): keys sharing one tag times RRSIGs by that tag.
 * Without the limits this costs keys x RRSIGs signature checks.
 */
static void
test_keytrap(void)
{
	enum { N = 20 };
	uint16_t tag = 4242;
	ldns_rr_list *set = t_list("www.example.com. 300 IN A 192.0.2.1", NULL);
	ldns_rr_list *keys = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	ldns_rr_list *one_key = ldns_rr_list_new(), *one_sig = ldns_rr_list_new();
	struct dnssec_budget budget;
	struct dnssec_verdict v;

	for (int i = 0; i < N; i++) {
		ldns_rr_list_push_rr(keys, t_forged_key("example.com.", tag));
		ldns_rr_list_push_rr(sigs, t_forged_rrsig("www.example.com.",
		    "A", 3, "example.com.", tag));
	}
	ldns_rr_list_push_rr(one_key, ldns_rr_list_rr(keys, 0));
	ldns_rr_list_push_rr(one_sig, ldns_rr_list_rr(sigs, 0));

	dnssec_budget_init(&budget);
	dnssec_verify_rrset(set, sigs, keys, zone, T_NOW, &budget, &v);
	ok(v.status == SEC_BOGUS && budget.validations_done <=
	    LIMIT_DNSSEC_RRSIGS_PER_RRSET * LIMIT_DNSSEC_KEYS_PER_TAG,
	    "KeyTrap %d keys x %d RRSIGs on one tag: %u checks, bogus", N, N,
	    budget.validations_done);

	dnssec_budget_init(&budget);
	dnssec_verify_rrset(set, one_sig, keys, zone, T_NOW, &budget, &v);
	ok(budget.validations_done == LIMIT_DNSSEC_KEYS_PER_TAG &&
	    v.limit != NULL && strcmp(v.limit, "LIMIT_DNSSEC_KEYS_PER_TAG") == 0,
	    "1 RRSIG, %d keys sharing its tag: %u checks (LIMIT_DNSSEC_KEYS_PER_TAG)",
	    N, budget.validations_done);

	dnssec_budget_init(&budget);
	dnssec_verify_rrset(set, sigs, one_key, zone, T_NOW, &budget, &v);
	ok(budget.validations_done == LIMIT_DNSSEC_RRSIGS_PER_RRSET &&
	    v.limit != NULL &&
	    strcmp(v.limit, "LIMIT_DNSSEC_RRSIGS_PER_RRSET") == 0,
	    "%d RRSIGs, 1 key: %u checks (LIMIT_DNSSEC_RRSIGS_PER_RRSET)",
	    N, budget.validations_done);

	/* Expired or unknown-tag RRSIGs cost no crypto at all. */
	{
		ldns_rr_list *junk = ldns_rr_list_new();

		for (int i = 0; i < N; i++)
			ldns_rr_list_push_rr(junk, t_forged_rrsig(
			    "www.example.com.", "A", 3, "example.com.",
			    (uint16_t)(tag + 1 + i)));
		dnssec_budget_init(&budget);
		dnssec_verify_rrset(set, junk, keys, zone, T_NOW, &budget, &v);
		ok(budget.validations_done == 0 && v.status == SEC_BOGUS &&
		    v.ede == DNSSEC_EDE_DNSKEY_MISSING,
		    "RRSIGs with no matching key tag cost no crypto (EDE 9)");
		ldns_rr_list_deep_free(junk);
	}
	ldns_rr_list_free(one_key);
	ldns_rr_list_free(one_sig);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
}

/* A DS record for `key` with digest `digest` (1, 2, 4). */
static ldns_rr *
ds_for(const ldns_rr *key, ldns_hash digest)
{
	ldns_rr *ds = ldns_key_rr2ds(key, digest);

	if (ds == NULL)
		abort();
	return ds;
}

static ldns_rr *
ds_corrupt(ldns_rr *ds)
{
	ldns_rdf *digest = ldns_rr_rdf(ds, 3);

	ldns_rdf_data(digest)[0] ^= 0xff;
	return ds;
}

/* A DS for key tag `tag` of example.com. with any digest bytes. */
static ldns_rr *
ds_text(int alg, int digest, uint16_t tag)
{
	char text[300];

	snprintf(text, sizeof(text), "example.com. IN DS %u %d %d "
	    "49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE4A7CB4E8E0C6E9B8F4C2D3A1",
	    tag, alg, digest);
	return t_rr(text);
}

static void
test_dnskey(void)
{
	struct t_key ksk = t_key_new(LDNS_SIGN_ECDSAP256SHA256, "example.com.", 257);
	struct t_key zsk = t_key_new(LDNS_SIGN_ECDSAP256SHA256, "example.com.", 256);
	ldns_rr_list *dnskeys = t_refs(ksk.dnskey, zsk.dnskey, NULL);
	ldns_rr_list *sigs = t_sign_now(dnskeys, &ksk);
	ldns_rr_list *zsigs = t_sign_now(dnskeys, &zsk);
	ldns_rr_list *ds, *trusted = NULL;
	struct dnssec_budget budget;
	struct dnssec_verdict v;

	dnssec_budget_init(&budget);
	ds = t_refs(ds_for(ksk.dnskey, LDNS_SHA256), NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    &trusted);
	ok(v.status == SEC_SECURE && trusted != NULL &&
	    ldns_rr_list_rr_count(trusted) == 2 && v.key_tag == ksk.tag,
	    "DS SHA-256 of the KSK, KSK signs the DNSKEYs: secure, both keys "
	    "trusted (%s)", v.why);
	ldns_rr_list_deep_free(trusted);
	ldns_rr_list_deep_free(ds);

	ds = t_refs(ds_for(ksk.dnskey, LDNS_SHA384), ds_for(ksk.dnskey,
	    LDNS_SHA1), NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    &trusted);
	ok(v.status == SEC_SECURE, "DS SHA-384 (and SHA-1) match: secure");
	ldns_rr_list_deep_free(trusted);
	ldns_rr_list_deep_free(ds);

	ds = t_refs(ds_corrupt(ds_for(ksk.dnskey, LDNS_SHA256)), NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    &trusted);
	ok(v.status == SEC_BOGUS && v.ede == DNSSEC_EDE_DNSKEY_MISSING &&
	    trusted == NULL, "DS digest mismatch: bogus, EDE 9 (%s)", v.why);
	ldns_rr_list_deep_free(ds);

	/* RFC 4509 §3: a matching SHA-1 DS is ignored beside a SHA-256 one. */
	ds = t_refs(ds_corrupt(ds_for(ksk.dnskey, LDNS_SHA256)),
	    ds_for(ksk.dnskey, LDNS_SHA1), NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    NULL);
	ok(v.status == SEC_BOGUS,
	    "SHA-1 DS ignored when a SHA-256 DS is present (RFC 4509 §3)");
	ldns_rr_list_deep_free(ds);

	/* The DS-matched key must itself sign the DNSKEY RRset. */
	ds = t_refs(ds_for(zsk.dnskey, LDNS_SHA256), NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    NULL);
	ok(v.status == SEC_BOGUS,
	    "DS matches the ZSK but only the KSK signs the DNSKEYs: bogus (%s)",
	    v.why);
	dnssec_verify_dnskey_rrset(dnskeys, zsigs, ds, zone, T_NOW, &budget, &v,
	    NULL);
	ok(v.status == SEC_SECURE, "DS matches the key that signs: secure");
	ldns_rr_list_deep_free(ds);

	/* The DS names a key that lacks the Zone Key bit (flags 1): the
	 * verdict names that cause, EDE 11, not a missing key (EDE 9). */
	{
		struct t_key nz = t_key_new(LDNS_SIGN_ECDSAP256SHA256,
		    "example.com.", 1);
		ldns_rr_list *nzkeys = t_refs(nz.dnskey, NULL);
		ldns_rr_list *nzsigs = t_sign_now(nzkeys, &nz);

		ds = t_refs(ds_for(nz.dnskey, LDNS_SHA256), NULL);
		dnssec_verify_dnskey_rrset(nzkeys, nzsigs, ds, zone, T_NOW,
		    &budget, &v, NULL);
		ok(v.status == SEC_BOGUS &&
		    v.ede == DNSSEC_EDE_NO_ZONE_KEY_BIT,
		    "DS for a key without the zone bit: bogus, EDE 11 (ede %d, "
		    "%s)", v.ede, v.why);
		ldns_rr_list_deep_free(ds);
		ldns_rr_list_deep_free(nzsigs);
		ldns_rr_list_free(nzkeys);
		t_key_free(&nz);
	}

	/* A DNSKEY trust anchor. */
	ds = t_refs(ksk.dnskey, NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    NULL);
	ok(v.status == SEC_SECURE, "DNSKEY trust anchor: secure");
	ldns_rr_list_free(ds);

	/* RFC 8624: unsupported algorithm or digest only → insecure. */
	ds = t_refs(ds_text(3, 2, ksk.tag), ds_text(253, 2, ksk.tag), NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    NULL);
	ok(v.status == SEC_INSECURE && v.ede ==
	    DNSSEC_EDE_UNSUPPORTED_DNSKEY_ALG,
	    "DS with algorithms 3 and 253 only: insecure, EDE 1 (%s)", v.why);
	ldns_rr_list_deep_free(ds);
	ds = t_refs(ds_text(13, 3, ksk.tag), NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    NULL);
	ok(v.status == SEC_INSECURE && v.ede == DNSSEC_EDE_UNSUPPORTED_DS_DIGEST,
	    "DS with digest 3 (GOST) only: insecure, EDE 2 (%s)", v.why);
	ok(!dnssec_ds_usable(ds, NULL), "dnssec_ds_usable: GOST-only DS unusable");
	ldns_rr_list_deep_free(ds);
	/* An unsupported DS beside a supported one changes nothing. */
	ds = t_refs(ds_text(12, 2, ksk.tag), ds_corrupt(ds_for(ksk.dnskey, LDNS_SHA256)), NULL);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    NULL);
	ok(v.status == SEC_BOGUS,
	    "unsupported DS beside a supported, failing one: bogus, not insecure");
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(zsigs);
	ldns_rr_list_free(dnskeys);
	t_key_free(&ksk);
	t_key_free(&zsk);
}

/* The DS limits: records considered and digest mismatches. */
static void
test_ds_limits(void)
{
	struct t_key ksk = t_key_new(LDNS_SIGN_ED25519, "example.com.", 257);
	ldns_rr_list *dnskeys = t_refs(ksk.dnskey, NULL);
	ldns_rr_list *sigs = t_sign_now(dnskeys, &ksk);
	ldns_rr_list *ds = ldns_rr_list_new();
	ldns_rr_list *forged_keys;
	struct dnssec_budget budget;
	struct dnssec_verdict v;

	/* Ten DS for absent keys, then the right one: past the limit of 8. */
	for (int i = 0; i < 10; i++)
		ldns_rr_list_push_rr(ds, ds_text(15, 2, (uint16_t)(ksk.tag + 1 + i)));
	ldns_rr_list_push_rr(ds, ds_for(ksk.dnskey, LDNS_SHA256));
	dnssec_budget_init(&budget);
	dnssec_verify_dnskey_rrset(dnskeys, sigs, ds, zone, T_NOW, &budget, &v,
	    NULL);
	ok(v.status == SEC_BOGUS && v.limit != NULL &&
	    strcmp(v.limit, "LIMIT_DNSSEC_DS_PER_ZONE") == 0,
	    "10 DS for absent keys, then the right one: DS past the first %d "
	    "are not looked at (%s)",
	    LIMIT_DNSSEC_DS_PER_ZONE, v.limit ? v.limit : "no limit hit");
	ldns_rr_list_deep_free(ds);

	/* Digest mismatches: keys sharing the KSK's tag with wrong digests. */
	forged_keys = ldns_rr_list_new();
	ds = ldns_rr_list_new();
	for (int i = 0; i < 6; i++) {
		ldns_rr *fk = t_forged_key("example.com.", (uint16_t)(1000 + i));

		ldns_rr_list_push_rr(forged_keys, fk);
		ldns_rr_list_push_rr(ds, ds_corrupt(ds_for(fk, LDNS_SHA256)));
	}
	ldns_rr_list_push_rr(forged_keys, ldns_rr_clone(ksk.dnskey));
	ldns_rr_list_push_rr(ds, ds_for(ksk.dnskey, LDNS_SHA256));
	dnssec_verify_dnskey_rrset(forged_keys, sigs, ds, zone, T_NOW, &budget,
	    &v, NULL);
	ok(v.status == SEC_BOGUS && v.limit != NULL &&
	    strcmp(v.limit, "LIMIT_DNSSEC_DS_MATCH_FAILURES") == 0,
	    "6 DS digest mismatches before the right DS: bogus after %d (%s)",
	    LIMIT_DNSSEC_DS_MATCH_FAILURES, v.why);
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(forged_keys);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_free(dnskeys);
	t_key_free(&ksk);
}

/* An RSA key above LIMIT_DNSSEC_RSA_MAX_BITS is never used. */
static void
test_rsa_size(void)
{
	ldns_rr_list *set = t_list("www.example.com. 300 IN A 192.0.2.1", NULL);
	ldns_rr *small = t_forged_key_bits("example.com.", 777, 4096);
	ldns_rr *big = t_forged_key_bits("example.com.", 778, 8192);
	ldns_rr_list *keys = t_refs(small, big, NULL);
	ldns_rr_list *sigs = ldns_rr_list_new();
	struct dnssec_budget budget;
	struct dnssec_verdict v;

	ldns_rr_list_push_rr(sigs, t_forged_rrsig("www.example.com.", "A", 3,
	    "example.com.", 777));
	dnssec_budget_init(&budget);
	dnssec_verify_rrset(set, sigs, keys, zone, T_NOW, &budget, &v);
	ok(budget.validations_done == 1, "a 4096-bit RSA key is tried");
	ldns_rr_list_deep_free(sigs);
	sigs = ldns_rr_list_new();
	ldns_rr_list_push_rr(sigs, t_forged_rrsig("www.example.com.", "A", 3,
	    "example.com.", 778));
	dnssec_budget_init(&budget);
	dnssec_verify_rrset(set, sigs, keys, zone, T_NOW, &budget, &v);
	ok(budget.validations_done == 0 && v.status == SEC_BOGUS,
	    "an 8192-bit RSA key is not (LIMIT_DNSSEC_RSA_MAX_BITS %d): %u checks",
	    LIMIT_DNSSEC_RSA_MAX_BITS, budget.validations_done);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_free(keys);
	ldns_rr_free(small);
	ldns_rr_free(big);
}

static void
test_signer_helper(void)
{
	ldns_rr_list *sigs = t_list("www.example.com. 300 IN RRSIG A 13 3 300 "
	    "20260201000000 20251201000000 1 example.com. AAAA", NULL);
	ldns_rdf *owner = t_name("WWW.example.com.");
	const ldns_rdf *signer = dnssec_rrset_signer(sigs, owner, LDNS_RR_TYPE_A);

	ok(signer != NULL && dname_str_eq(signer, "example.com."),
	    "dnssec_rrset_signer finds the signer");
	ok(dnssec_rrset_signer(sigs, owner, LDNS_RR_TYPE_AAAA) == NULL,
	    "dnssec_rrset_signer: none for another type");
	ldns_rdf_deep_free(owner);
	ldns_rr_list_deep_free(sigs);
}

/*
 * Several signers over one RRset: each distinct one that may have signed
 * it (the owner or an ancestor), the one nearest the root first (the zone
 * asked, not an added RRSIG's deeper name), the zone's own first for its
 * DNSKEY set, at most the count asked for.
 */
static void
test_signers(void)
{
	ldns_rr_list *sigs = t_list(
	    "a.b.example.com. 300 IN RRSIG A 13 4 300 20260201000000 "
	    "20251201000000 1 a.b.example.com. AAAA",
	    "a.b.example.com. 300 IN RRSIG A 13 4 300 20260201000000 "
	    "20251201000000 1 other.com. AAAA",
	    "a.b.example.com. 300 IN RRSIG A 13 4 300 20260201000000 "
	    "20251201000000 1 b.example.com. AAAA",
	    "a.b.example.com. 300 IN RRSIG A 13 4 300 20260201000000 "
	    "20251201000000 2 example.com. AAAA",
	    "a.b.example.com. 300 IN RRSIG A 13 4 300 20260201000000 "
	    "20251201000000 3 example.com. AAAA",
	    "example.com. 300 IN RRSIG DNSKEY 13 2 300 20260201000000 "
	    "20251201000000 1 com. AAAA",
	    "example.com. 300 IN RRSIG DNSKEY 13 2 300 20260201000000 "
	    "20251201000000 1 example.com. AAAA", NULL);
	ldns_rdf *owner = t_name("a.b.example.com.");
	ldns_rdf *apex = t_name("example.com.");
	const ldns_rdf *out[4];
	size_t n;

	n = dnssec_rrset_signers(sigs, owner, LDNS_RR_TYPE_A, out, 4);
	ok(n == 3 && dname_str_eq(out[0], "example.com.") &&
	    dname_str_eq(out[1], "b.example.com.") &&
	    dname_str_eq(out[2], "a.b.example.com."),
	    "signers: distinct, ancestors only, nearest the root first (%zu)", n);
	n = dnssec_rrset_signers(sigs, owner, LDNS_RR_TYPE_A, out, 2);
	ok(n == 2 && dname_str_eq(out[0], "example.com.") &&
	    dname_str_eq(out[1], "b.example.com."),
	    "signers: the best `max` only (%zu)", n);
	n = dnssec_rrset_signers(sigs, apex, LDNS_RR_TYPE_DNSKEY, out, 4);
	ok(n == 2 && dname_str_eq(out[0], "example.com.") &&
	    dname_str_eq(out[1], "com."),
	    "signers: a DNSKEY set's own zone first (%zu)", n);
	ok(dname_str_eq(dnssec_rrset_signer(sigs, owner, LDNS_RR_TYPE_A),
	    "example.com."), "dnssec_rrset_signer: the first of them");
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(apex);
	ldns_rr_list_deep_free(sigs);
}

/*
 * The parsed public key is kept per DNSKEY rdata: a second check with the
 * same key parses nothing, a record that differs in any byte (here only
 * the flags) is a key object of its own, another key never verifies what
 * the first signed, and the table stays bounded.
 */
static void
test_key_objects(void)
{
	struct t_key k = t_key_new(LDNS_SIGN_ECDSAP256SHA256, "example.com.",
	    256);
	struct t_key other = t_key_new(LDNS_SIGN_ECDSAP256SHA256,
	    "example.com.", 256);
	ldns_rr_list *set = t_list("www.example.com. 300 IN A 192.0.2.1",
	    NULL);
	ldns_rr_list *sigs = t_sign_now(set, &k);
	ldns_rr_list *keys = t_refs(k.dnskey, NULL);
	const ldns_rr *sig = ldns_rr_list_rr(sigs, 0);
	ldns_rr *ksk = ldns_rr_clone(k.dnskey);
	unsigned long before, first, second, evicted;
	struct dnssec_verdict v1, v2;

	before = dnssec_key_parses();
	v1 = check(set, sigs, keys, T_NOW);
	first = dnssec_key_parses();
	v2 = check(set, sigs, keys, T_NOW);
	second = dnssec_key_parses();
	ok(v1.status == SEC_SECURE && v2.status == SEC_SECURE &&
	    first - before == 1 && second == first,
	    "two checks with one DNSKEY parse it once (%lu, then %lu parses)",
	    first - before, second - first);
	ok(!dnssec_crypto_verify(set, sig, other.dnskey) &&
	    dnssec_crypto_verify(set, sig, k.dnskey),
	    "a kept key object verifies only for its own DNSKEY");
	/* The same public key with other flags is another record. */
	ldns_rdf_deep_free(ldns_rr_set_rdf(ksk, ldns_native2rdf_int16(
	    LDNS_RDF_TYPE_INT16, 257), 0));
	before = dnssec_key_parses();
	ok(dnssec_crypto_verify(set, sig, ksk) &&
	    dnssec_key_parses() == before + 1,
	    "key objects are keyed by the exact DNSKEY rdata (flags differ: "
	    "parsed again)");
	/* LIMIT_DNSSEC_KEY_OBJECTS other keys push the first one out. */
	for (int i = 0; i < LIMIT_DNSSEC_KEY_OBJECTS; i++) {
		struct t_key fill = t_key_new(LDNS_SIGN_ECDSAP256SHA256,
		    "example.com.", 256);

		(void)dnssec_crypto_verify(set, sig, fill.dnskey);
		t_key_free(&fill);
	}
	before = dnssec_key_parses();
	ok(dnssec_crypto_verify(set, sig, k.dnskey), "still verifies after "
	    "%d other keys", LIMIT_DNSSEC_KEY_OBJECTS);
	evicted = dnssec_key_parses() - before;
	ok(evicted == 1, "the table is bounded: the least recently used key "
	    "was dropped and is parsed again (%lu)", evicted);
	dnssec_key_objects_flush();
	before = dnssec_key_parses();
	ok(dnssec_crypto_verify(set, sig, k.dnskey) &&
	    dnssec_key_parses() == before + 1, "a flush drops every key object");
	ldns_rr_free(ksk);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_free(keys);
	t_key_free(&k);
	t_key_free(&other);
}

/*
 * Two threads checking with more keys than the table holds: lookups,
 * parses, insertions and evictions at once (the TSan build runs this
 * test too). Every check must still give the right answer.
 */
#define THREAD_KEYS	(LIMIT_DNSSEC_KEY_OBJECTS + 44)

struct key_thread {
	const ldns_rr_list *set;
	const ldns_rr *sig;
	ldns_rr *const *keys;	/* THREAD_KEYS; keys[0] signed `sig` */
	unsigned wrong;
};

static void *
key_thread_run(void *arg)
{
	struct key_thread *t = arg;

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < THREAD_KEYS; i++)
			if (dnssec_crypto_verify(t->set, t->sig, t->keys[i]) !=
			    (i == 0))
				t->wrong++;
	return NULL;
}

static void
test_key_objects_threads(void)
{
	static struct t_key keys[THREAD_KEYS];
	ldns_rr *dnskeys[THREAD_KEYS];
	ldns_rr_list *set = t_list("www.example.com. 300 IN A 192.0.2.1",
	    NULL), *sigs;
	struct key_thread t[2];
	pthread_t tid[2];

	for (int i = 0; i < THREAD_KEYS; i++) {
		keys[i] = t_key_new(LDNS_SIGN_ECDSAP256SHA256, "example.com.",
		    256);
		dnskeys[i] = keys[i].dnskey;
	}
	sigs = t_sign_now(set, &keys[0]);
	for (int i = 0; i < 2; i++) {
		t[i] = (struct key_thread){ set, ldns_rr_list_rr(sigs, 0),
		    dnskeys, 0 };
		pthread_create(&tid[i], NULL, key_thread_run, &t[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	ok(t[0].wrong == 0 && t[1].wrong == 0, "two threads share the key "
	    "objects through evictions: every check right (%u, %u wrong)",
	    t[0].wrong, t[1].wrong);
	for (int i = 0; i < THREAD_KEYS; i++)
		t_key_free(&keys[i]);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
}

/*
 * Our crypto path against ldns's own, record for record: canonical form
 * (names in rdata lowercased, records sorted, original TTL), a wildcard
 * expansion, and each set tampered; both must agree on every one.
 */
static void
test_crypto_matches_ldns(void)
{
	static const ldns_signing_algorithm algs[] = {
		LDNS_SIGN_RSASHA1, LDNS_SIGN_RSASHA256, LDNS_SIGN_RSASHA512,
		LDNS_SIGN_ECDSAP256SHA256, LDNS_SIGN_ECDSAP384SHA384,
		LDNS_SIGN_ED25519, LDNS_SIGN_ED448,
	};
	static const char *const sets[][3] = {
		{ "example.com. 300 IN MX 20 Mail2.Example.COM.",
		  "EXAMPLE.com. 300 IN MX 10 mail1.example.com.", NULL },
		{ "www.example.com. 60 IN A 192.0.2.9",
		  "www.example.com. 60 IN A 192.0.2.1", NULL },
		{ "*.example.com. 300 IN TXT \"wild\"", NULL, NULL },
		{ "sub.example.com. 300 IN NS NS2.sub.example.com.",
		  "sub.example.com. 300 IN NS ns1.Sub.example.com.", NULL },
	};
	unsigned checks = 0, agree = 0, ours_ok = 0;

	for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++) {
		struct t_key k = t_key_new(algs[a], "example.com.", 256);
		ldns_rr_list *keys = t_refs(k.dnskey, NULL);

		for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
			ldns_rr_list *set = t_list(sets[i][0], sets[i][1],
			    sets[i][2]);
			ldns_rr_list *sigs = t_sign_now(set, &k);
			ldns_rr *sig = ldns_rr_list_rr(sigs, 0);

			if (ldns_dname_is_wildcard(ldns_rr_owner(
			    ldns_rr_list_rr(set, 0)))) {
				/* Checked as the expansion a.b.example.com. */
				ldns_rr *rr = ldns_rr_list_rr(set, 0);

				ldns_rdf_deep_free(ldns_rr_owner(rr));
				ldns_rr_set_owner(rr,
				    t_name("A.b.example.com."));
			}
			for (int tamper = 0; tamper < 2; tamper++) {
				ldns_rr *sig_copy = ldns_rr_clone(sig);
				bool ours, theirs;

				/* Another class: the signed data differs. */
				if (tamper)
					ldns_rr_set_class(ldns_rr_list_rr(set,
					    0), LDNS_RR_CLASS_CH);
				ours = dnssec_crypto_verify(set, sig, k.dnskey);
				theirs = ldns_verify_rrsig_keylist_notime(set,
				    sig_copy, keys, NULL) == LDNS_STATUS_OK;
				ldns_rr_free(sig_copy);
				checks++;
				agree += ours == theirs;
				ours_ok += ours == !tamper;
			}
			ldns_rr_list_deep_free(set);
			ldns_rr_list_deep_free(sigs);
		}
		ldns_rr_list_free(keys);
		t_key_free(&k);
	}
	ok(agree == checks && ours_ok == checks,
	    "our crypto path agrees with ldns on %u of %u checks and is right "
	    "on %u (valid sets verify, tampered ones do not)", agree, checks,
	    ours_ok);
}

/*
 * ECDSA keys are made from one parameters-only key per curve (verify.c
 * curve_params): a point off the curve is still refused (no key object,
 * no check passes), each curve keeps its own parameters, and a flush that
 * frees them makes them again.
 */
static void
test_ecdsa_points(void)
{
	static const ldns_signing_algorithm algs[] = {
		LDNS_SIGN_ECDSAP256SHA256, LDNS_SIGN_ECDSAP384SHA384,
	};

	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
			struct t_key k = t_key_new(algs[i], "example.com.",
			    256);
			ldns_rr_list *set = t_list(
			    "www.example.com. 300 IN A 192.0.2.1", NULL);
			ldns_rr_list *sigs = t_sign_now(set, &k);
			const ldns_rr *sig = ldns_rr_list_rr(sigs, 0);
			ldns_rr *off = ldns_rr_clone(k.dnskey);
			ldns_rdf *pub = ldns_rr_rdf(off, 3);
			unsigned long before;

			/* The last byte of y: the point leaves the curve. */
			ldns_rdf_data(pub)[ldns_rdf_size(pub) - 1] ^= 0x01;
			before = dnssec_key_parses();
			ok(dnssec_crypto_verify(set, sig, k.dnskey) &&
			    !dnssec_crypto_verify(set, sig, off) &&
			    dnssec_key_parses() == before + 1,
			    "%s%s: its key verifies, the key with y changed "
			    "(off the curve) is refused and never kept",
			    i == 0 ? "P-256" : "P-384",
			    round == 0 ? "" : " after a flush");
			ldns_rr_free(off);
			ldns_rr_list_deep_free(set);
			ldns_rr_list_deep_free(sigs);
			t_key_free(&k);
		}
		dnssec_key_objects_flush();
	}
}

int
main(void)
{
	zone = t_name("example.com.");
	test_selftest();
	test_algorithm(LDNS_SIGN_RSASHA256, "RSASHA256");
	test_algorithm(LDNS_SIGN_ECDSAP256SHA256, "ECDSAP256SHA256");
	test_algorithm(LDNS_SIGN_ED25519, "ED25519");
	test_times();
	test_key_rules();
	test_wildcard();
	test_request_budget();
	test_keytrap();
	test_dnskey();
	test_ds_limits();
	test_rsa_size();
	test_signer_helper();
	test_signers();
	test_key_objects();
	test_key_objects_threads();
	test_crypto_matches_ldns();
	test_ecdsa_points();
	dnssec_key_objects_flush();
	ldns_rdf_deep_free(zone);
	return tap_done();
}
