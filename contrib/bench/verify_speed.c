/*
 * verify_speed.c: signature checks per CPU-second through the validator's
 * own path (dnssec_verify_rrset: candidate choice, time window, budget, ldns
 * canonical form and crypto) and through ldns alone, for RSASHA256 (2048
 * bits), ECDSAP256SHA256 and ED25519, to set beside `openssl speed`.
 *
 * "wrapper" is how much faster ldns alone is (negative: slower). Our path
 * adds the candidate choice and checks, but keeps each parsed key object
 * (verify.c), where ldns converts the key again for every check.
 *
 * Usage: verify_speed [-s SECONDS]   (default 3 per row)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dnssec/algorithms.h"
#include "dnssec/verify.h"

#define NOW	1767225600u

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct fixture {
	ldns_rr_list *rrset, *sigs, *keys;
	ldns_rdf *zone;
};

static int
fixture_make(struct fixture *f, ldns_signing_algorithm alg, int bits)
{
	ldns_key *key = ldns_key_new_frm_algorithm(alg, (uint16_t)bits);
	ldns_key_list *kl = ldns_key_list_new();
	ldns_rr *a, *b, *dnskey;

	if (key == NULL || kl == NULL)
		return -1;
	f->zone = ldns_dname_new_frm_str("example.com.");
	ldns_key_set_pubkey_owner(key, ldns_rdf_clone(f->zone));
	ldns_key_set_flags(key, 256);
	ldns_key_set_inception(key, NOW - 86400);
	ldns_key_set_expiration(key, NOW + 30 * 86400);
	dnskey = ldns_key2rr(key);
	ldns_key_set_keytag(key, ldns_calc_keytag(dnskey));
	ldns_key_list_push_key(kl, key);
	f->rrset = ldns_rr_list_new();
	ldns_rr_new_frm_str(&a, "www.example.com. 300 IN A 192.0.2.1", 0, NULL,
	    NULL);
	ldns_rr_new_frm_str(&b, "www.example.com. 300 IN A 192.0.2.2", 0, NULL,
	    NULL);
	ldns_rr_list_push_rr(f->rrset, a);
	ldns_rr_list_push_rr(f->rrset, b);
	f->sigs = ldns_sign_public(f->rrset, kl);
	f->keys = ldns_rr_list_new();
	ldns_rr_list_push_rr(f->keys, dnskey);
	ldns_key_list_free(kl);
	return f->sigs != NULL ? 0 : -1;
}

static void
fixture_free(struct fixture *f)
{
	ldns_rr_list_deep_free(f->rrset);
	ldns_rr_list_deep_free(f->sigs);
	ldns_rr_list_deep_free(f->keys);
	ldns_rdf_deep_free(f->zone);
}

/* Checks per CPU-second through dnssec_verify_rrset. */
static double
rate_ours(const struct fixture *f, double seconds, unsigned *bad)
{
	double start = cpu_seconds(), now;
	unsigned long n = 0;

	do {
		struct dnssec_budget budget;
		struct dnssec_verdict v;

		dnssec_budget_init(&budget);
		dnssec_verify_rrset(f->rrset, f->sigs, f->keys, f->zone, NOW,
		    &budget, &v);
		if (v.status != SEC_SECURE)
			(*bad)++;
		n++;
	} while ((now = cpu_seconds()) - start < seconds);
	return n / (now - start);
}

/* Checks per CPU-second through ldns alone (one key, no time check). */
static double
rate_ldns(const struct fixture *f, double seconds, unsigned *bad)
{
	double start = cpu_seconds(), now;
	unsigned long n = 0;
	ldns_rr *sig = ldns_rr_list_rr(f->sigs, 0);

	do {
		if (ldns_verify_rrsig_keylist_notime(f->rrset, sig, f->keys,
		    NULL) != LDNS_STATUS_OK)
			(*bad)++;
		n++;
	} while ((now = cpu_seconds()) - start < seconds);
	return n / (now - start);
}

int
main(int argc, char **argv)
{
	static const struct {
		ldns_signing_algorithm alg;
		int bits;
		const char *name;
	} rows[] = {
		{ LDNS_SIGN_RSASHA256, 2048, "8  RSASHA256 2048" },
		{ LDNS_SIGN_ECDSAP256SHA256, 0, "13 ECDSAP256SHA256" },
		{ LDNS_SIGN_ED25519, 0, "15 ED25519" },
	};
	double seconds = 3;
	int c;

	while ((c = getopt(argc, argv, "s:")) != -1) {
		if (c == 's')
			seconds = atof(optarg);
		else {
			fprintf(stderr, "usage: verify_speed [-s SECONDS]\n");
			return 2;
		}
	}
	if (dnssec_algorithms_init() != 0)
		fprintf(stderr, "verify_speed: an algorithm failed its self-test\n");
	printf("%-22s %14s %14s %9s\n", "algorithm", "descend/cpu-s",
	    "ldns/cpu-s", "wrapper");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct fixture f;
		unsigned bad = 0;
		double ours, raw;

		if (fixture_make(&f, rows[i].alg, rows[i].bits) != 0) {
			printf("%-22s cannot make a key\n", rows[i].name);
			continue;
		}
		ours = rate_ours(&f, seconds, &bad);
		raw = rate_ldns(&f, seconds, &bad);
		printf("%-22s %14.0f %14.0f %8.1f%%%s\n", rows[i].name, ours, raw,
		    100.0 * (raw / ours - 1), bad ? "  (FAILED CHECKS)" : "");
		fixture_free(&f);
	}
	return 0;
}
