/*
 * verify.c: RRSIG checks with our own choice of (signature, key) pairs, the
 * time window checked against the caller's clock, and a budget on the
 * crypto (KeyTrap); ldns does only the canonical form and the crypto.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "dname.h"
#include "engine_limits.h"
#include "dnssec/algorithms.h"
#include "dnssec/verify.h"

/* DNSKEY flags (RFC 4034 §2.1.1, RFC 5011 §7). */
#define DNSKEY_FLAG_ZONE	0x0100
#define DNSKEY_FLAG_REVOKE	0x0080
#define DNSKEY_PROTOCOL		3

/* RRSIG rdata fields (RFC 4034 §3.1). */
enum {
	RRSIG_TYPE_COVERED, RRSIG_ALGORITHM, RRSIG_LABELS, RRSIG_ORIG_TTL,
	RRSIG_EXPIRATION, RRSIG_INCEPTION, RRSIG_KEY_TAG, RRSIG_SIGNER,
	RRSIG_SIGNATURE, RRSIG_FIELDS
};

/*
 * Why no signature verified, most telling last: the verdict reports the
 * highest one seen, so "signature does not verify" wins over "no key".
 */
enum fail_rank {
	FAIL_NO_RRSIG,
	FAIL_NO_USABLE_RRSIG,
	FAIL_NO_KEY,
	FAIL_NO_ZONE_BIT,
	FAIL_LABELS,
	FAIL_TIME,
	FAIL_CRYPTO,
	FAIL_LIMIT,
};

struct failure {
	enum fail_rank rank;
	int ede;
	const char *why;
	const char *limit;
};

static void
note_failure(struct failure *f, enum fail_rank rank, int ede, const char *why)
{
	if (rank > f->rank) {
		f->rank = rank;
		f->ede = ede;
		f->why = why;
	}
}

void
dnssec_budget_init(struct dnssec_budget *budget)
{
	budget->validations_left = LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST;
	budget->nsec3_hashes_left = LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST;
	budget->validations_done = 0;
	budget->nsec3_hashes_done = 0;
}

void
dnssec_verdict_set(struct dnssec_verdict *verdict, enum sec_status status,
    int ede, const char *why)
{
	verdict->status = status;
	verdict->ede = ede;
	verdict->why = why;
	verdict->limit = NULL;
	verdict->ttl_cap = UINT32_MAX;
	verdict->wildcard_labels = -1;
	verdict->key_tag = 0;
	verdict->algorithm = 0;
	verdict->unsigned_cut = -1;
}

/* An RRSIG with every field present and of the right size, so the getters
 * below never read past a short rdata from a hostile reply. */
static bool
rrsig_well_formed(const ldns_rr *sig)
{
	static const size_t sizes[RRSIG_SIGNER] = { 2, 1, 1, 4, 4, 4, 2 };

	if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG ||
	    ldns_rr_rd_count(sig) != RRSIG_FIELDS)
		return false;
	for (size_t i = 0; i < RRSIG_FIELDS; i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(sig, i);

		if (rdf == NULL)
			return false;
		if (i < RRSIG_SIGNER && ldns_rdf_size(rdf) != sizes[i])
			return false;
	}
	return ldns_rdf_get_type(ldns_rr_rdf(sig, RRSIG_SIGNER)) ==
	    LDNS_RDF_TYPE_DNAME && ldns_rdf_size(ldns_rr_rdf(sig,
	    RRSIG_SIGNATURE)) > 0;
}

static uint32_t
rrsig_u32(const ldns_rr *sig, int field)
{
	return ldns_rdf2native_int32(ldns_rr_rdf(sig, field));
}

static bool
dnskey_well_formed(const ldns_rr *key)
{
	return ldns_rr_get_type(key) == LDNS_RR_TYPE_DNSKEY &&
	    ldns_rr_rd_count(key) == 4 &&
	    ldns_rdf_size(ldns_rr_rdf(key, 0)) == 2 &&
	    ldns_rdf_size(ldns_rr_rdf(key, 1)) == 1 &&
	    ldns_rdf_size(ldns_rr_rdf(key, 2)) == 1 &&
	    ldns_rdf_size(ldns_rr_rdf(key, 3)) > 0;
}

/*
 * RSA public keys (RFC 3110 §2): exponent length (1 byte, or 0 and 2
 * bytes), exponent, modulus. A modulus above LIMIT_DNSSEC_RSA_MAX_BITS is
 * refused: its verification cost grows with its size.
 */
static bool
rsa_key_size_ok(const ldns_rdf *pubkey)
{
	const uint8_t *p = ldns_rdf_data(pubkey);
	size_t len = ldns_rdf_size(pubkey), hdr = 1, exp_len;

	exp_len = p[0];
	if (exp_len == 0) {
		if (len < 3)
			return false;
		exp_len = ((size_t)p[1] << 8) | p[2];
		hdr = 3;
	}
	if (len <= hdr + exp_len)
		return false;
	return (len - hdr - exp_len) * 8 <= LIMIT_DNSSEC_RSA_MAX_BITS;
}

static bool
algorithm_is_rsa(uint8_t alg)
{
	return alg == LDNS_RSASHA1 || alg == LDNS_RSASHA1_NSEC3 ||
	    alg == LDNS_RSASHA256 || alg == LDNS_RSASHA512 || alg == LDNS_RSAMD5;
}

/*
 * Whether `key` may verify signatures of `signer` with algorithm `alg` and
 * key tag `tag` (`key_tag` is the key's, computed once by the caller):
 * owner, zone bit, protocol, REVOKE (RFC 4035 §5.3.1, RFC 5011 §2.1), RSA
 * size. Notes why not in `f`.
 */
static bool
key_usable(const ldns_rr *key, uint16_t key_tag, const ldns_rdf *signer,
    uint8_t alg, uint16_t tag, struct failure *f)
{
	uint16_t flags;

	if (key_tag != tag || !dnskey_well_formed(key) ||
	    ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) != alg ||
	    !dname_equal(ldns_rr_owner(key), signer))
		return false;
	flags = ldns_rdf2native_int16(ldns_rr_rdf(key, 0));
	if (!(flags & DNSKEY_FLAG_ZONE)) {
		note_failure(f, FAIL_NO_ZONE_BIT, DNSSEC_EDE_NO_ZONE_KEY_BIT,
		    "the matching DNSKEY lacks the zone key bit");
		return false;
	}
	if ((flags & DNSKEY_FLAG_REVOKE) ||
	    ldns_rdf2native_int8(ldns_rr_rdf(key, 1)) != DNSKEY_PROTOCOL)
		return false;
	if (algorithm_is_rsa(alg) && !rsa_key_size_ok(ldns_rr_rdf(key, 3)))
		return false;
	return true;
}

/*
 * Key tags of `keys`, computed once per call (a hostile reply may hold
 * hundreds of keys and RRSIGs). A new array the caller frees; NULL when
 * out of memory.
 */
static uint16_t *
key_tags(const ldns_rr_list *keys)
{
	size_t n = ldns_rr_list_rr_count(keys);
	uint16_t *tags = calloc(n > 0 ? n : 1, sizeof(*tags));

	if (tags == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *key = ldns_rr_list_rr(keys, i);

		tags[i] = dnskey_well_formed(key) ? ldns_calc_keytag(key) : 0;
	}
	return tags;
}

/*
 * The RRSIG's validity window against `now` (RFC 4034 §3.1.5: serial
 * arithmetic, so 2106 and beyond work), with a skew of 10 % of the window
 * bounded to [LIMIT_DNSSEC_SKEW_MIN_S, LIMIT_DNSSEC_SKEW_MAX_S] on both
 * ends, as Unbound does. Returns DNSSEC_EDE_NONE or the EDE saying why not;
 * *remaining gets the seconds until expiration (0 if past).
 */
static int
rrsig_time_check(const ldns_rr *sig, uint32_t now, uint32_t *remaining)
{
	uint32_t expiration = rrsig_u32(sig, RRSIG_EXPIRATION);
	uint32_t inception = rrsig_u32(sig, RRSIG_INCEPTION);
	int32_t window = (int32_t)(expiration - inception);
	int32_t to_inception = (int32_t)(inception - now);
	int32_t to_expiration = (int32_t)(expiration - now);
	int64_t skew;

	if (window < 0)
		return DNSSEC_EDE_SIGNATURE_EXPIRED_BEFORE_VALID;
	skew = (int64_t)window * LIMIT_DNSSEC_SKEW_PERCENT / 100;
	if (skew < LIMIT_DNSSEC_SKEW_MIN_S)
		skew = LIMIT_DNSSEC_SKEW_MIN_S;
	if (skew > LIMIT_DNSSEC_SKEW_MAX_S)
		skew = LIMIT_DNSSEC_SKEW_MAX_S;
	if (to_inception > skew)
		return DNSSEC_EDE_SIGNATURE_NOT_YET_VALID;
	if (to_expiration < -skew)
		return DNSSEC_EDE_SIGNATURE_EXPIRED;
	*remaining = to_expiration > 0 ? (uint32_t)to_expiration : 0;
	return DNSSEC_EDE_NONE;
}

/* ---- the crypto: ldns builds the signed data, OpenSSL checks it ---- */

/*
 * Parsed public keys, kept so that a key is turned into an OpenSSL object
 * once, not for every check (that was about a third of a check's cost).
 * Keyed by the DNSKEY's exact rdata (flags, protocol, algorithm, key), so
 * a key is only ever used as the record that holds it. Shared by every
 * engine and thread: the lock guards the table; a key handed out carries a
 * reference of its own, so eviction never frees one in use.
 */
struct key_object {
	uint8_t *rdata;			/* NULL: free slot */
	size_t len;
	uint32_t hash;
	uint64_t used;			/* LRU clock */
	EVP_PKEY *pkey;
};

static struct {
	pthread_mutex_t lock;
	struct key_object slots[LIMIT_DNSSEC_KEY_OBJECTS];
	uint64_t clock;
} key_objects = { .lock = PTHREAD_MUTEX_INITIALIZER };

static unsigned long key_parses;	/* atomic: keys turned into objects */

unsigned long
dnssec_key_parses(void)
{
	return __atomic_load_n(&key_parses, __ATOMIC_RELAXED);
}

/* The DNSKEY's rdata in wire form, into `buf`; 0 when it does not fit. */
static size_t
dnskey_rdata(const ldns_rr *key, uint8_t *buf, size_t size)
{
	size_t len = 0;

	for (size_t i = 0; i < 4; i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(key, i);

		if (len + ldns_rdf_size(rdf) > size)
			return 0;
		memcpy(buf + len, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
		len += ldns_rdf_size(rdf);
	}
	return len;
}

static uint32_t
rdata_hash(const uint8_t *data, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

/* An RSA key (RFC 3110 §2: exponent length, exponent, modulus). */
static EVP_PKEY *
rsa_pkey(const uint8_t *p, size_t len)
{
	size_t hdr = 1, exp_len;
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (len < 1)
		return NULL;
	exp_len = p[0];
	if (exp_len == 0) {
		if (len < 3)
			return NULL;
		exp_len = ((size_t)p[1] << 8) | p[2];
		hdr = 3;
	}
	if (exp_len == 0 || len <= hdr + exp_len)
		return NULL;
	if ((e = BN_bin2bn(p + hdr, (int)exp_len, NULL)) != NULL &&
	    (n = BN_bin2bn(p + hdr + exp_len, (int)(len - hdr - exp_len),
	    NULL)) != NULL &&
	    (bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

/*
 * One parameters-only key per ECDSA curve, made on first use and freed by
 * dnssec_key_objects_flush(): a new key copies its curve from it instead
 * of building the group from the curve's name and constants again
 * (Montgomery forms and all), which was three quarters of a key's parse:
 * 4.6 us instead of 17.4 a P-256 key, six of them down the lab's cold
 * CNAME chain. The point is checked on the curve either way.
 */
static struct {
	pthread_mutex_t lock;
	EVP_PKEY *p256, *p384;
} curves = { PTHREAD_MUTEX_INITIALIZER, NULL, NULL };

static EVP_PKEY *
curve_params(const char *group)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *params = NULL;

	if (ctx == NULL || EVP_PKEY_paramgen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_group_name(ctx, group) != 1 ||
	    EVP_PKEY_paramgen(ctx, &params) != 1)
		params = NULL;
	EVP_PKEY_CTX_free(ctx);
	return params;
}

/* The key from the curve's template; NULL when that cannot be done. */
static EVP_PKEY *
ecdsa_pkey_from_curve(const uint8_t *point, size_t len, const char *group,
    bool p256)
{
	EVP_PKEY **curve = p256 ? &curves.p256 : &curves.p384;
	EVP_PKEY *pkey = NULL;

	pthread_mutex_lock(&curves.lock);
	if (*curve == NULL)
		*curve = curve_params(group);
	if (*curve != NULL && (pkey = EVP_PKEY_new()) != NULL &&
	    (EVP_PKEY_copy_parameters(pkey, *curve) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(pkey, point, len) != 1)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	pthread_mutex_unlock(&curves.lock);
	return pkey;
}

/* An ECDSA key (RFC 6605 §4: the point's x and y, uncompressed). */
static EVP_PKEY *
ecdsa_pkey(const uint8_t *p, size_t len, const char *group, size_t want)
{
	uint8_t point[1 + 2 * 48];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	if (len != want || len + 1 > sizeof(point))
		return NULL;
	point[0] = 0x04;	/* POINT_CONVERSION_UNCOMPRESSED */
	memcpy(point + 1, p, len);
	if ((pkey = ecdsa_pkey_from_curve(point, len + 1, group,
	    want == 64)) != NULL)
		return pkey;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_PKEY_PARAM_PUB_KEY, point, len + 1);
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* The OpenSSL object for a DNSKEY's public key, or NULL when it is none. */
static EVP_PKEY *
pkey_parse(uint8_t alg, const ldns_rdf *pubkey)
{
	const uint8_t *p = ldns_rdf_data(pubkey);
	size_t len = ldns_rdf_size(pubkey);

	switch (alg) {
	case LDNS_RSASHA1:
	case LDNS_RSASHA1_NSEC3:
	case LDNS_RSASHA256:
	case LDNS_RSASHA512:
		return rsa_pkey(p, len);
	case LDNS_ECDSAP256SHA256:
		return ecdsa_pkey(p, len, "prime256v1", 64);
	case LDNS_ECDSAP384SHA384:
		return ecdsa_pkey(p, len, "secp384r1", 96);
	case LDNS_ED25519:
		return len != 32 ? NULL : EVP_PKEY_new_raw_public_key(
		    EVP_PKEY_ED25519, NULL, p, len);
	case LDNS_ED448:
		return len != 57 ? NULL : EVP_PKEY_new_raw_public_key(
		    EVP_PKEY_ED448, NULL, p, len);
	}
	return NULL;
}

/* The slot of `rdata`, or -1; the caller holds the lock. */
static int
key_object_find(const uint8_t *rdata, size_t len, uint32_t hash)
{
	for (int i = 0; i < LIMIT_DNSSEC_KEY_OBJECTS; i++) {
		const struct key_object *o = &key_objects.slots[i];

		if (o->rdata != NULL && o->hash == hash && o->len == len &&
		    memcmp(o->rdata, rdata, len) == 0)
			return i;
	}
	return -1;
}

/*
 * The parsed public key of `key` (a well-formed DNSKEY), with a reference
 * the caller drops with EVP_PKEY_free(); NULL when the key does not parse
 * or memory is short. Parsed once while it stays in the table.
 */
static EVP_PKEY *
key_object_get(const ldns_rr *key)
{
	uint8_t rdata[4 + 2048];	/* RSA at LIMIT_DNSSEC_RSA_MAX_BITS fits */
	size_t len = dnskey_rdata(key, rdata, sizeof(rdata));
	uint32_t hash;
	EVP_PKEY *pkey;
	int i, victim = 0;

	if (len == 0)
		return NULL;
	hash = rdata_hash(rdata, len);
	pthread_mutex_lock(&key_objects.lock);
	if ((i = key_object_find(rdata, len, hash)) >= 0) {
		pkey = key_objects.slots[i].pkey;
		key_objects.slots[i].used = ++key_objects.clock;
		if (EVP_PKEY_up_ref(pkey) != 1)
			pkey = NULL;
		pthread_mutex_unlock(&key_objects.lock);
		return pkey;
	}
	pthread_mutex_unlock(&key_objects.lock);

	/* Parsed outside the lock: other threads' checks go on meanwhile. */
	pkey = pkey_parse(ldns_rdf2native_int8(ldns_rr_rdf(key, 2)),
	    ldns_rr_rdf(key, 3));
	if (pkey == NULL)
		return NULL;
	__atomic_fetch_add(&key_parses, 1, __ATOMIC_RELAXED);

	pthread_mutex_lock(&key_objects.lock);
	if ((i = key_object_find(rdata, len, hash)) >= 0) {
		/* Another thread parsed it first: use one object. */
		EVP_PKEY_free(pkey);
		pkey = key_objects.slots[i].pkey;
	} else {
		struct key_object *o;
		uint8_t *copy = malloc(len);

		for (int j = 0; j < LIMIT_DNSSEC_KEY_OBJECTS; j++) {
			if (key_objects.slots[j].rdata == NULL) {
				victim = j;
				break;
			}
			if (key_objects.slots[j].used <
			    key_objects.slots[victim].used)
				victim = j;
		}
		if (copy == NULL) {
			/* Not kept: this check still uses it. */
			pthread_mutex_unlock(&key_objects.lock);
			return pkey;
		}
		o = &key_objects.slots[victim];
		free(o->rdata);
		EVP_PKEY_free(o->pkey);
		memcpy(copy, rdata, len);
		o->rdata = copy;
		o->len = len;
		o->hash = hash;
		o->pkey = pkey;
		i = victim;
	}
	key_objects.slots[i].used = ++key_objects.clock;
	if (EVP_PKEY_up_ref(pkey) != 1)
		pkey = NULL;
	pthread_mutex_unlock(&key_objects.lock);
	return pkey;
}

/*
 * Drops a reference key_object_get() handed out. Under the table's lock:
 * OpenSSL counts references with its own atomics, which ThreadSanitizer
 * does not see; the lock shows it that a check's reads of the key come
 * before an eviction frees it.
 */
static void
key_object_put(EVP_PKEY *pkey)
{
	if (pkey == NULL)
		return;
	pthread_mutex_lock(&key_objects.lock);
	EVP_PKEY_free(pkey);
	pthread_mutex_unlock(&key_objects.lock);
}

void
dnssec_key_objects_flush(void)
{
	pthread_mutex_lock(&key_objects.lock);
	for (int i = 0; i < LIMIT_DNSSEC_KEY_OBJECTS; i++) {
		struct key_object *o = &key_objects.slots[i];

		free(o->rdata);
		EVP_PKEY_free(o->pkey);
		memset(o, 0, sizeof(*o));
	}
	pthread_mutex_unlock(&key_objects.lock);
	pthread_mutex_lock(&curves.lock);
	EVP_PKEY_free(curves.p256);
	EVP_PKEY_free(curves.p384);
	curves.p256 = curves.p384 = NULL;
	pthread_mutex_unlock(&curves.lock);
}

unsigned
dnssec_key_objects_kept(void)
{
	unsigned kept = 0;

	pthread_mutex_lock(&key_objects.lock);
	for (int i = 0; i < LIMIT_DNSSEC_KEY_OBJECTS; i++)
		kept += key_objects.slots[i].rdata != NULL;
	pthread_mutex_unlock(&key_objects.lock);
	return kept;
}

/*
 * The data an RRSIG signs (RFC 4034 §3.1.8.1), built as ldns builds it for
 * its own checks: the RRSIG's rdata without the signature, signer in
 * lowercase, then the RRset in canonical form and order (§6), each record
 * with the original TTL and, for a wildcard expansion, the wildcard owner.
 */
static bool
signed_data(const ldns_rr_list *rrset, const ldns_rr *sig, ldns_buffer *out)
{
	ldns_rr_list *copy = ldns_rr_list_clone(rrset);
	uint32_t orig_ttl = rrsig_u32(sig, RRSIG_ORIG_TTL);
	uint8_t labels = ldns_rdf2native_int8(ldns_rr_rdf(sig, RRSIG_LABELS));
	bool ok = copy != NULL;

	for (size_t i = 0; ok && i < ldns_rr_list_rr_count(copy); i++) {
		ldns_rr *rr = ldns_rr_list_rr(copy, i);

		if (labels < ldns_dname_label_count(ldns_rr_owner(rr))) {
			ldns_rdf *star = ldns_dname_new_frm_str("*");
			ldns_rdf *chopped = ldns_rdf_clone(ldns_rr_owner(rr));

			while (chopped != NULL &&
			    labels < ldns_dname_label_count(chopped)) {
				ldns_rdf *up = ldns_dname_left_chop(chopped);

				ldns_rdf_deep_free(chopped);
				chopped = up;
			}
			if (star == NULL || chopped == NULL ||
			    ldns_dname_cat(star, chopped) != LDNS_STATUS_OK) {
				ldns_rdf_deep_free(star);
				ok = false;
			} else {
				ldns_rdf_deep_free(ldns_rr_owner(rr));
				ldns_rr_set_owner(rr, star);
			}
			ldns_rdf_deep_free(chopped);
		}
		ldns_rr_set_ttl(rr, orig_ttl);
		ldns_rr2canonical(rr);
	}
	if (ok) {
		ldns_rr_list_sort(copy);
		ok = ldns_rrsig2buffer_wire(out, sig) == LDNS_STATUS_OK &&
		    ldns_rr_list2buffer_wire(out, copy) == LDNS_STATUS_OK;
	}
	ldns_rr_list_deep_free(copy);
	return ok;
}

/* The digest an algorithm signs with; NULL for EdDSA (none separate). */
static const EVP_MD *
algorithm_digest(uint8_t alg, bool *known)
{
	*known = true;
	switch (alg) {
	case LDNS_RSASHA1:
	case LDNS_RSASHA1_NSEC3:	return EVP_sha1();
	case LDNS_RSASHA256:
	case LDNS_ECDSAP256SHA256:	return EVP_sha256();
	case LDNS_ECDSAP384SHA384:	return EVP_sha384();
	case LDNS_RSASHA512:		return EVP_sha512();
	case LDNS_ED25519:
	case LDNS_ED448:		return NULL;
	}
	*known = false;
	return NULL;
}

bool
dnssec_crypto_verify(const ldns_rr_list *rrset, const ldns_rr *sig,
    const ldns_rr *key)
{
	uint8_t alg;
	bool known, ok = false;
	const EVP_MD *md;
	const ldns_rdf *signature;
	ldns_buffer *data = NULL, *der = NULL;
	const uint8_t *sig_bytes;
	size_t sig_len;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;

	if (!rrsig_well_formed(sig) || !dnskey_well_formed(key) ||
	    ldns_rr_list_rr_count(rrset) == 0)
		return false;
	alg = ldns_rdf2native_int8(ldns_rr_rdf(sig, RRSIG_ALGORITHM));
	md = algorithm_digest(alg, &known);
	if (!known || ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) != alg ||
	    ldns_rdf2rr_type(ldns_rr_rdf(sig, RRSIG_TYPE_COVERED)) !=
	    ldns_rr_get_type(ldns_rr_list_rr(rrset, 0)))
		return false;
	signature = ldns_rr_rdf(sig, RRSIG_SIGNATURE);
	sig_bytes = ldns_rdf_data(signature);
	sig_len = ldns_rdf_size(signature);
	if (alg == LDNS_ECDSAP256SHA256 || alg == LDNS_ECDSAP384SHA384) {
		/* DNS carries r and s; OpenSSL wants them DER-encoded. */
		if ((der = ldns_buffer_new(160)) == NULL ||
		    ldns_convert_ecdsa_rrsig_rdf2asn1(der, signature) !=
		    LDNS_STATUS_OK)
			goto out;
		sig_bytes = ldns_buffer_begin(der);
		sig_len = ldns_buffer_position(der);
	}
	if ((data = ldns_buffer_new(LDNS_MAX_PACKETLEN)) == NULL ||
	    !signed_data(rrset, sig, data) ||
	    (pkey = key_object_get(key)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig_bytes, sig_len, ldns_buffer_begin(data),
	    ldns_buffer_position(data)) == 1;
out:
	EVP_MD_CTX_free(ctx);
	key_object_put(pkey);
	ldns_buffer_free(data);
	ldns_buffer_free(der);
	return ok;
}

/* All records share owner, class and type: ldns would sign-check them as
 * one RRset otherwise. */
static bool
rrset_consistent(const ldns_rr_list *rrset)
{
	size_t n = ldns_rr_list_rr_count(rrset);
	const ldns_rr *first;

	if (n == 0)
		return false;
	first = ldns_rr_list_rr(rrset, 0);
	for (size_t i = 1; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrset, i);

		if (ldns_rr_get_type(rr) != ldns_rr_get_type(first) ||
		    ldns_rr_get_class(rr) != ldns_rr_get_class(first) ||
		    !dname_equal(ldns_rr_owner(rr), ldns_rr_owner(first)))
			return false;
	}
	return true;
}

/*
 * Labels of `owner` as the RRSIG labels field counts them: a leading "*"
 * is not counted (RFC 4034 §3.1.3).
 */
static unsigned
owner_labels(const ldns_rdf *owner)
{
	unsigned labels = dname_labels(owner);

	if (labels > 0 && ldns_dname_is_wildcard(owner))
		labels--;
	return labels;
}

/*
 * The shared core of dnssec_verify_rrset and the DNSKEY check: tries the
 * candidate (RRSIG, key) pairs within the limits until one verifies.
 */
static void
verify_with_keys(const ldns_rr_list *rrset, const ldns_rr_list *rrsigs,
    const ldns_rr_list *keys, const ldns_rdf *signer, uint32_t now,
    struct dnssec_budget *budget, struct dnssec_verdict *verdict)
{
	struct failure f = { FAIL_NO_RRSIG, DNSSEC_EDE_RRSIGS_MISSING,
	    "no RRSIG covers the RRset", NULL };
	uint16_t *tags;
	const ldns_rr *first;
	const ldns_rdf *owner;
	ldns_rr_type type;
	unsigned labels, sigs_tried = 0;
	size_t nsigs = ldns_rr_list_rr_count(rrsigs);
	size_t nkeys = ldns_rr_list_rr_count(keys);

	if (!rrset_consistent(rrset)) {
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_BOGUS,
		    "records of different names or types given as one RRset");
		return;
	}
	first = ldns_rr_list_rr(rrset, 0);
	owner = ldns_rr_owner(first);
	type = ldns_rr_get_type(first);
	labels = owner_labels(owner);
	if ((tags = key_tags(keys)) == NULL) {
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_BOGUS,
		    "out of memory");
		return;
	}

	for (size_t i = 0; i < nsigs; i++) {
		const ldns_rr *sig = ldns_rr_list_rr(rrsigs, i);
		uint8_t alg, sig_labels;
		uint16_t tag;
		uint32_t remaining = 0;
		unsigned keys_tried = 0;
		int ede;

		if (!rrsig_well_formed(sig) ||
		    ldns_rdf2rr_type(ldns_rr_rdf(sig, RRSIG_TYPE_COVERED)) != type ||
		    !dname_equal(ldns_rr_owner(sig), owner))
			continue;
		note_failure(&f, FAIL_NO_USABLE_RRSIG, DNSSEC_EDE_DNSKEY_MISSING,
		    "no RRSIG by the signer zone with a supported algorithm");
		if (!dname_equal(ldns_rr_rdf(sig, RRSIG_SIGNER), signer) ||
		    !dname_in_bailiwick(owner, signer))
			continue;
		alg = ldns_rdf2native_int8(ldns_rr_rdf(sig, RRSIG_ALGORITHM));
		if (!dnssec_algorithm_supported(alg))
			continue;
		sig_labels = ldns_rdf2native_int8(ldns_rr_rdf(sig, RRSIG_LABELS));
		if (sig_labels > labels) {
			note_failure(&f, FAIL_LABELS, DNSSEC_EDE_BOGUS,
			    "RRSIG labels field exceeds the owner's labels");
			continue;
		}
		/* RFC 4592 §4.4, RFC 6672 §3.3: no DNAME from a wildcard. */
		if (sig_labels < labels && type == LDNS_RR_TYPE_DNAME) {
			note_failure(&f, FAIL_LABELS, DNSSEC_EDE_BOGUS,
			    "a DNAME expanded from a wildcard");
			continue;
		}
		ede = rrsig_time_check(sig, now, &remaining);
		if (ede != DNSSEC_EDE_NONE) {
			note_failure(&f, FAIL_TIME, ede,
			    ede == DNSSEC_EDE_SIGNATURE_EXPIRED ?
			    "signature expired" :
			    ede == DNSSEC_EDE_SIGNATURE_NOT_YET_VALID ?
			    "signature not yet valid" :
			    "signature expires before its inception");
			continue;
		}
		tag = ldns_rdf2native_int16(ldns_rr_rdf(sig, RRSIG_KEY_TAG));
		for (size_t k = 0; k < nkeys; k++) {
			ldns_rr *key = ldns_rr_list_rr(keys, k);

			if (!key_usable(key, tags[k], signer, alg, tag, &f))
				continue;
			if (keys_tried == 0 &&
			    sigs_tried == LIMIT_DNSSEC_RRSIGS_PER_RRSET) {
				f.limit = "LIMIT_DNSSEC_RRSIGS_PER_RRSET";
				goto out;
			}
			if (keys_tried == LIMIT_DNSSEC_KEYS_PER_TAG) {
				f.limit = "LIMIT_DNSSEC_KEYS_PER_TAG";
				break;
			}
			if (budget->validations_left == 0) {
				f.limit = "LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST";
				note_failure(&f, FAIL_LIMIT, DNSSEC_EDE_BOGUS,
				    "signature check budget of the request spent");
				goto out;
			}
			if (keys_tried++ == 0)
				sigs_tried++;
			budget->validations_left--;
			budget->validations_done++;
			if (dnssec_crypto_verify(rrset, sig, key)) {
				uint32_t cap = remaining;

				if (rrsig_u32(sig, RRSIG_ORIG_TTL) < cap)
					cap = rrsig_u32(sig, RRSIG_ORIG_TTL);
				if (ldns_rr_ttl(sig) < cap)
					cap = ldns_rr_ttl(sig);
				dnssec_verdict_set(verdict, SEC_SECURE,
				    DNSSEC_EDE_NONE, "signature verified");
				verdict->ttl_cap = cap;
				verdict->wildcard_labels = sig_labels < labels ?
				    sig_labels : -1;
				verdict->key_tag = tag;
				verdict->algorithm = alg;
				free(tags);
				return;
			}
			note_failure(&f, FAIL_CRYPTO, DNSSEC_EDE_BOGUS,
			    "signature does not verify");
		}
		if (keys_tried == 0)
			note_failure(&f, FAIL_NO_KEY, DNSSEC_EDE_DNSKEY_MISSING,
			    "no trusted DNSKEY matches the RRSIG's key tag");
	}
out:
	free(tags);
	dnssec_verdict_set(verdict, SEC_BOGUS, f.ede, f.why);
	verdict->limit = f.limit;
}

void
dnssec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *rrsigs,
    const ldns_rr_list *trusted_dnskeys, const ldns_rdf *signer_zone,
    uint32_t now, struct dnssec_budget *budget, struct dnssec_verdict *verdict)
{
	verify_with_keys(rrset, rrsigs, trusted_dnskeys, signer_zone, now,
	    budget, verdict);
}

static bool
ds_well_formed(const ldns_rr *ds)
{
	return ldns_rr_get_type(ds) == LDNS_RR_TYPE_DS &&
	    ldns_rr_rd_count(ds) == 4 &&
	    ldns_rdf_size(ldns_rr_rdf(ds, 0)) == 2 &&
	    ldns_rdf_size(ldns_rr_rdf(ds, 1)) == 1 &&
	    ldns_rdf_size(ldns_rr_rdf(ds, 2)) == 1 &&
	    ldns_rdf_size(ldns_rr_rdf(ds, 3)) > 0;
}

static uint8_t
ds_algorithm(const ldns_rr *ds)
{
	return ldns_rdf2native_int8(ldns_rr_rdf(ds, 1));
}

static uint8_t
ds_digest_type(const ldns_rr *ds)
{
	return ldns_rdf2native_int8(ldns_rr_rdf(ds, 2));
}

bool
dnssec_ds_usable(const ldns_rr_list *ds_set, int *ede)
{
	bool alg_bad = false, digest_bad = false;

	for (size_t i = 0; i < ldns_rr_list_rr_count(ds_set); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ds_set, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNSKEY &&
		    dnskey_well_formed(rr)) {
			if (dnssec_algorithm_supported(
			    ldns_rdf2native_int8(ldns_rr_rdf(rr, 2))))
				goto usable;
			alg_bad = true;
			continue;
		}
		if (!ds_well_formed(rr))
			continue;
		if (!dnssec_algorithm_supported(ds_algorithm(rr)))
			alg_bad = true;
		else if (!dnssec_digest_supported(ds_digest_type(rr)))
			digest_bad = true;
		else
			goto usable;
	}
	if (ede != NULL)
		*ede = alg_bad ? DNSSEC_EDE_UNSUPPORTED_DNSKEY_ALG :
		    digest_bad ? DNSSEC_EDE_UNSUPPORTED_DS_DIGEST :
		    DNSSEC_EDE_NONE;
	return false;
usable:
	if (ede != NULL)
		*ede = DNSSEC_EDE_NONE;
	return true;
}

/* True when `key` (a DNSKEY of the zone) hashes to the DS's digest. */
static bool
ds_matches_key(const ldns_rr *ds, const ldns_rr *key)
{
	ldns_rr *computed = ldns_key_rr2ds(key, (ldns_hash)ds_digest_type(ds));
	const ldns_rdf *want = ldns_rr_rdf(ds, 3), *got;
	bool match = false;

	if (computed == NULL)
		return false;
	got = ldns_rr_rdf(computed, 3);
	if (got != NULL && ldns_rdf_size(got) == ldns_rdf_size(want) &&
	    memcmp(ldns_rdf_data(got), ldns_rdf_data(want),
	    ldns_rdf_size(want)) == 0)
		match = true;
	ldns_rr_free(computed);
	return match;
}

static void
push_once(ldns_rr_list *list, ldns_rr *rr)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++)
		if (ldns_rr_list_rr(list, i) == rr)
			return;
	ldns_rr_list_push_rr(list, rr);
}

void
dnssec_verify_dnskey_rrset(const ldns_rr_list *dnskeys,
    const ldns_rr_list *rrsigs, const ldns_rr_list *anchors,
    const ldns_rdf *zone, uint32_t now, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict, ldns_rr_list **trusted_out)
{
	ldns_rr_list *matched;
	int best = 0, ede, failures = 0;
	unsigned ds_seen = 0;
	/* Why a key with a DS's tag was refused, for the verdict's EDE. */
	struct failure refused = { FAIL_NO_RRSIG, 0, NULL, NULL };
	const char *limit = NULL;
	size_t nkeys = ldns_rr_list_rr_count(dnskeys);
	uint16_t *tags;

	if (trusted_out != NULL)
		*trusted_out = NULL;
	if (!dnssec_ds_usable(anchors, &ede)) {
		if (ede == DNSSEC_EDE_NONE)
			dnssec_verdict_set(verdict, SEC_BOGUS,
			    DNSSEC_EDE_DNSKEY_MISSING, "no DS or trust anchor "
			    "to check the DNSKEYs against");
		else
			dnssec_verdict_set(verdict, SEC_INSECURE, ede,
			    ede == DNSSEC_EDE_UNSUPPORTED_DNSKEY_ALG ?
			    "no DS with a supported algorithm (RFC 8624)" :
			    "no DS with a supported digest (RFC 8624)");
		return;
	}
	if (nkeys == 0) {
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_DNSKEY_MISSING,
		    "no DNSKEY records");
		return;
	}
	matched = ldns_rr_list_new();
	tags = key_tags(dnskeys);
	if (matched == NULL || tags == NULL) {
		ldns_rr_list_free(matched);
		free(tags);
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_BOGUS,
		    "out of memory");
		return;
	}
	/* The best digest among usable DS; weaker ones are ignored (RFC 4509 §3). */
	for (size_t i = 0; i < ldns_rr_list_rr_count(anchors); i++) {
		const ldns_rr *ds = ldns_rr_list_rr(anchors, i);

		if (ds_well_formed(ds) && dname_equal(ldns_rr_owner(ds), zone) &&
		    dnssec_algorithm_supported(ds_algorithm(ds)) &&
		    dnssec_digest_preference(ds_digest_type(ds)) > best)
			best = dnssec_digest_preference(ds_digest_type(ds));
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(anchors); i++) {
		ldns_rr *anchor = ldns_rr_list_rr(anchors, i);
		unsigned keys_tried = 0;
		uint16_t tag;

		if (!dname_equal(ldns_rr_owner(anchor), zone))
			continue;
		if (ldns_rr_get_type(anchor) == LDNS_RR_TYPE_DNSKEY) {
			/* A DNSKEY anchor is trusted as it is. */
			if (dnskey_well_formed(anchor) &&
			    dnssec_algorithm_supported(
			    ldns_rdf2native_int8(ldns_rr_rdf(anchor, 2))))
				push_once(matched, anchor);
			continue;
		}
		if (!ds_well_formed(anchor) ||
		    !dnssec_algorithm_supported(ds_algorithm(anchor)) ||
		    dnssec_digest_preference(ds_digest_type(anchor)) != best)
			continue;
		if (ds_seen++ == LIMIT_DNSSEC_DS_PER_ZONE) {
			limit = "LIMIT_DNSSEC_DS_PER_ZONE";
			break;
		}
		tag = ldns_rdf2native_int16(ldns_rr_rdf(anchor, 0));
		for (size_t k = 0; k < nkeys; k++) {
			ldns_rr *key = ldns_rr_list_rr(dnskeys, k);

			if (!key_usable(key, tags[k], zone, ds_algorithm(anchor),
			    tag, &refused))
				continue;
			if (keys_tried++ == LIMIT_DNSSEC_KEYS_PER_TAG) {
				limit = "LIMIT_DNSSEC_KEYS_PER_TAG";
				break;
			}
			if (ds_matches_key(anchor, key)) {
				push_once(matched, key);
				continue;
			}
			if (++failures == LIMIT_DNSSEC_DS_MATCH_FAILURES) {
				ldns_rr_list_free(matched);
				free(tags);
				dnssec_verdict_set(verdict, SEC_BOGUS,
				    DNSSEC_EDE_DNSKEY_MISSING,
				    "too many DNSKEYs do not match their DS");
				verdict->limit = "LIMIT_DNSSEC_DS_MATCH_FAILURES";
				return;
			}
		}
	}
	free(tags);
	if (ldns_rr_list_rr_count(matched) == 0) {
		ldns_rr_list_free(matched);
		/* The key the DS names is there but may not sign: say so
		 * (EDE 11), as Unbound does, rather than "missing" (EDE 9). */
		if (refused.rank == FAIL_NO_ZONE_BIT)
			dnssec_verdict_set(verdict, SEC_BOGUS, refused.ede,
			    refused.why);
		else
			dnssec_verdict_set(verdict, SEC_BOGUS,
			    DNSSEC_EDE_DNSKEY_MISSING,
			    "no DNSKEY matches the DS records");
		verdict->limit = limit;
		return;
	}
	verify_with_keys(dnskeys, rrsigs, matched, zone, now, budget, verdict);
	ldns_rr_list_free(matched);
	if (verdict->status != SEC_SECURE) {
		if (verdict->limit == NULL)
			verdict->limit = limit;
		return;
	}
	if (trusted_out != NULL) {
		*trusted_out = ldns_rr_list_clone(dnskeys);
		if (*trusted_out == NULL)
			dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_BOGUS,
			    "out of memory");
	}
}

/*
 * Whether signer `a` is tried before `b` for an RRset of `type` owned by
 * `owner`: the zone's own DNSKEY set first by its own zone, any other
 * RRset first by the signer nearest the root. A server signs only the
 * zones it serves, and the scrubber keeps signers inside the zone asked,
 * so that one is the zone asked unless it answers for a child it also
 * serves; and the chain of trust is walked top-down, so a name nearer the
 * root costs no fetch that a deeper one would not make. Forged names
 * nearer the root than the real signer are the caller's to put last
 * (validator.c signers_to_try). A DS signed by the child itself (owner)
 * comes last: it is nonsense anyway.
 */
static bool
signer_before(const ldns_rdf *a, const ldns_rdf *b, const ldns_rdf *owner,
    ldns_rr_type type)
{
	if (type == LDNS_RR_TYPE_DNSKEY && dname_equal(a, owner) !=
	    dname_equal(b, owner))
		return dname_equal(a, owner);
	return dname_labels(a) < dname_labels(b);
}

size_t
dnssec_rrset_signers(const ldns_rr_list *rrsigs, const ldns_rdf *owner,
    ldns_rr_type type, const ldns_rdf **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(rrsigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(rrsigs, i);
		const ldns_rdf *signer;
		bool seen = false;
		size_t at;

		if (!rrsig_well_formed(sig) ||
		    ldns_rdf2rr_type(ldns_rr_rdf(sig, RRSIG_TYPE_COVERED)) != type ||
		    !dname_equal(ldns_rr_owner(sig), owner))
			continue;
		signer = ldns_rr_rdf(sig, RRSIG_SIGNER);
		/* Only an ancestor (or the owner) can sign: RFC 4035 §5.3.1. */
		if (!dname_in_bailiwick(owner, signer))
			continue;
		for (size_t j = 0; j < n && !seen; j++)
			seen = dname_equal(out[j], signer);
		if (seen)
			continue;
		/* Insertion into the `max` best: bounded by the reply's size. */
		for (at = n; at > 0 && signer_before(signer, out[at - 1], owner,
		    type); at--)
			;
		if (at == max)
			continue;
		if (n < max)
			n++;
		memmove(out + at + 1, out + at, (n - 1 - at) * sizeof(*out));
		out[at] = signer;
	}
	return n;
}

const ldns_rdf *
dnssec_rrset_signer(const ldns_rr_list *rrsigs, const ldns_rdf *owner,
    ldns_rr_type type)
{
	const ldns_rdf *signer = NULL;

	return dnssec_rrset_signers(rrsigs, owner, type, &signer, 1) > 0 ?
	    signer : NULL;
}
