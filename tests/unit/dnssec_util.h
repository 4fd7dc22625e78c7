/*
 * dnssec_util.h: helpers for the DNSSEC unit tests: records from text, keys
 * made in-process with ldns at a fixed clock, signatures with chosen
 * inception and expiration, and forged keys sharing one key tag (KeyTrap).
 */
#ifndef DESCEND_TEST_DNSSEC_UTIL_H
#define DESCEND_TEST_DNSSEC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

/* The tests' clock: 2026-01-01 00:00:00 UTC. */
#define T_NOW	1767225600u
#define T_DAY	86400u

__attribute__((unused)) static ldns_rr *
t_rr(const char *text)
{
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK) {
		fprintf(stderr, "bad test record: %s\n", text);
		abort();
	}
	return rr;
}

__attribute__((unused)) static ldns_rdf *
t_name(const char *text)
{
	ldns_rdf *name = ldns_dname_new_frm_str(text);

	if (name == NULL)
		abort();
	return name;
}

/* True when `name` equals the name in `text`, ignoring case. */
__attribute__((unused)) static bool
dname_str_eq(const ldns_rdf *name, const char *text)
{
	ldns_rdf *other = t_name(text);
	bool eq = ldns_dname_compare(name, other) == 0;

	ldns_rdf_deep_free(other);
	return eq;
}

/* A list of the records given as text, up to a NULL. */
__attribute__((unused)) static ldns_rr_list *
t_list(const char *first, ...)
{
	ldns_rr_list *list = ldns_rr_list_new();
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		ldns_rr_list_push_rr(list, t_rr(s));
	va_end(ap);
	return list;
}

/* A signing key with its DNSKEY record. */
struct t_key {
	ldns_key *key;
	ldns_key_list *list;	/* holds (and frees) key, for ldns_sign_public */
	ldns_rr *dnskey;
	uint16_t tag;
};

/*
 * A key for `zone` with `flags` (256 ZSK, 257 KSK, other values to test
 * the zone and REVOKE bits). RSA keys are 1024 bits: fast to make, same
 * code path.
 */
__attribute__((unused)) static struct t_key
t_key_new(ldns_signing_algorithm alg, const char *zone, uint16_t flags)
{
	struct t_key k;

	k.key = ldns_key_new_frm_algorithm(alg,
	    alg == LDNS_SIGN_RSASHA256 || alg == LDNS_SIGN_RSASHA1 ||
	    alg == LDNS_SIGN_RSASHA512 ? 1024 : 0);
	if (k.key == NULL)
		abort();
	ldns_key_set_pubkey_owner(k.key, t_name(zone));
	ldns_key_set_flags(k.key, flags);
	k.dnskey = ldns_key2rr(k.key);
	k.tag = ldns_calc_keytag(k.dnskey);
	ldns_key_set_keytag(k.key, k.tag);
	/* ldns signs only with zone keys; the DNSKEY keeps the flags asked. */
	ldns_key_set_flags(k.key, flags | LDNS_KEY_ZONE_KEY);
	k.list = ldns_key_list_new();
	ldns_key_list_push_key(k.list, k.key);
	return k;
}

__attribute__((unused)) static void
t_key_free(struct t_key *k)
{
	ldns_key_list_free(k->list);
	ldns_rr_free(k->dnskey);
}

/* RRSIGs of `rrset` by `k`, valid from `inception` to `expiration`. */
__attribute__((unused)) static ldns_rr_list *
t_sign(const ldns_rr_list *rrset, struct t_key *k, uint32_t inception,
    uint32_t expiration)
{
	ldns_rr_list *copy = ldns_rr_list_clone(rrset), *sigs;

	ldns_key_set_inception(k->key, inception);
	ldns_key_set_expiration(k->key, expiration);
	sigs = ldns_sign_public(copy, k->list);
	ldns_rr_list_deep_free(copy);
	if (sigs == NULL || ldns_rr_list_rr_count(sigs) != 1)
		abort();
	return sigs;
}

/* The usual window: a day before the clock to 30 days after. */
__attribute__((unused)) static ldns_rr_list *
t_sign_now(const ldns_rr_list *rrset, struct t_key *k)
{
	return t_sign(rrset, k, T_NOW - T_DAY, T_NOW + 30 * T_DAY);
}

/* A list holding (not owning) the given records, up to NULL. */
__attribute__((unused)) static ldns_rr_list *
t_refs(ldns_rr *first, ...)
{
	ldns_rr_list *list = ldns_rr_list_new();
	va_list ap;

	va_start(ap, first);
	for (ldns_rr *rr = first; rr != NULL; rr = va_arg(ap, ldns_rr *))
		ldns_rr_list_push_rr(list, rr);
	va_end(ap);
	return list;
}

/* Base64 of `len` bytes, a new string the caller frees. */
__attribute__((unused)) static char *
t_b64(const uint8_t *data, size_t len)
{
	ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_B64, len, data);
	char *text = ldns_rdf2str(rdf);

	ldns_rdf_deep_free(rdf);
	return text;
}

/*
 * A forged RSASHA256 DNSKEY for `zone` with key tag `tag` and a `bits`-bit
 * random modulus, its last two bytes chosen so the checksum (RFC 4034
 * appendix B) lands on `tag`. What KeyTrap zones carry by the hundred.
 */
__attribute__((unused)) static ldns_rr *
t_forged_key_bits(const char *zone, uint16_t tag, unsigned bits)
{
	size_t mod = bits / 8, n = 4 + 4 + mod;
	uint8_t *rdata = malloc(n);
	uint32_t ac = 0;
	ldns_rr *rr;
	char *b64, *text;

	rdata[0] = 1; rdata[1] = 0;	/* flags 256: zone key */
	rdata[2] = 3; rdata[3] = 8;	/* protocol 3, RSASHA256 */
	rdata[4] = 3; rdata[5] = 1; rdata[6] = 0; rdata[7] = 1; /* e = 65537 */
	arc4random_buf(rdata + 8, mod);
	rdata[8] |= 0x80;
	rdata[n - 2] = rdata[n - 1] = 0;
	for (size_t i = 0; i < n; i++)
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	for (uint32_t x = 0; x <= 0xffff; x++) {
		uint32_t sum = ac + x;

		if (((sum + ((sum >> 16) & 0xffff)) & 0xffff) == tag) {
			rdata[n - 2] = x >> 8;
			rdata[n - 1] = x & 0xff;
			break;
		}
	}
	if (ldns_calc_keytag_raw(rdata, n) != tag)
		abort();
	b64 = t_b64(rdata + 4, n - 4);
	text = malloc(strlen(b64) + strlen(zone) + 64);
	sprintf(text, "%s 3600 IN DNSKEY 256 3 8 %s", zone, b64);
	rr = t_rr(text);
	free(text);
	free(b64);
	free(rdata);
	if (ldns_calc_keytag(rr) != tag)
		abort();
	return rr;
}

__attribute__((unused)) static ldns_rr *
t_forged_key(const char *zone, uint16_t tag)
{
	return t_forged_key_bits(zone, tag, 2048);
}

/* A forged RSASHA256 RRSIG over `owner`/`type` by key `tag` of `zone`,
 * time-valid at T_NOW, with a random signature. */
__attribute__((unused)) static ldns_rr *
t_forged_rrsig(const char *owner, const char *type, int labels,
    const char *zone, uint16_t tag)
{
	uint8_t sig[256];
	char *b64, text[1024];

	arc4random_buf(sig, sizeof(sig));
	b64 = t_b64(sig, sizeof(sig));
	snprintf(text, sizeof(text), "%s 3600 IN RRSIG %s 8 %d 3600 "
	    "20260201000000 20251201000000 %u %s %s", owner, type, labels,
	    tag, zone, b64);
	free(b64);
	return t_rr(text);
}

#endif /* DESCEND_TEST_DNSSEC_UTIL_H */
