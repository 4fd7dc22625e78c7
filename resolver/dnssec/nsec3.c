/*
 * nsec3.c: NSEC3 denial proofs (RFC 5155 §8, RFC 9276) with our own
 * hashing (ldns_sha1, a per-request cache, a budget) instead of
 * ldns_dnssec_verify_denial_nsec3, which hashes without bound.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/sha1.h>

#include "dname.h"
#include "engine_limits.h"
#include "dnssec/nsec.h"
#include "dnssec/nsec3.h"

#define NSEC3_HASH_SHA1	1
#define NSEC3_FLAG_OPTOUT	0x01
#define HASH_LEN	LDNS_SHA1_DIGEST_LENGTH	/* 20 */

/* NSEC3 rdata fields (RFC 5155 §3.2). */
enum {
	N3_ALGORITHM, N3_FLAGS, N3_ITERATIONS, N3_SALT, N3_NEXT, N3_TYPES,
	N3_FIELDS
};

struct nsec3_cache_entry {
	uint8_t name[DNAME_WIRE_MAX];	/* lowercase wire form */
	size_t name_len;
	uint8_t salt[255];
	uint8_t salt_len;
	uint16_t iterations;
	uint8_t hash[HASH_LEN];
};

struct nsec3_cache {
	struct nsec3_cache_entry entries[LIMIT_DNSSEC_NSEC3_CACHE];
	size_t count;
	size_t next;	/* the slot replaced next once full */
};

/* One usable NSEC3 of the proof, decoded once. */
struct n3 {
	const ldns_rr *rr;
	uint8_t owner[HASH_LEN];
	uint8_t next[HASH_LEN];
	bool optout;
};

/* The usable records of one proof and the parameters they share. */
struct proof {
	struct n3 recs[LIMIT_DNSSEC_NSEC3_PER_REPLY];
	size_t count;
	const ldns_rdf *zone;
	uint8_t salt[255];
	uint8_t salt_len;
	uint16_t iterations;
	struct nsec3_cache *cache;
	struct dnssec_budget *budget;
	const char *limit;	/* set when the hash budget ran out */
};

/*
 * Not zeroed: 17 KiB for every validating request, most of which hash no
 * name at all. Entries are read below `count` only, each written whole
 * before it counts.
 */
struct nsec3_cache *
nsec3_cache_new(void)
{
	struct nsec3_cache *cache = malloc(sizeof(*cache));

	if (cache != NULL)
		cache->count = cache->next = 0;
	return cache;
}

void
nsec3_cache_free(struct nsec3_cache *cache)
{
	free(cache);
}

/* base32hex (RFC 4648 §7) of a 20-byte hash is 32 characters. */
static bool
b32hex_decode_hash(const uint8_t *text, size_t len, uint8_t out[HASH_LEN])
{
	uint64_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;

	if (len != 32)
		return false;
	for (size_t i = 0; i < len; i++) {
		int c = tolower(text[i]), v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'v')
			v = c - 'a' + 10;
		else
			return false;
		acc = (acc << 5) | (uint64_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return o == HASH_LEN;
}

/*
 * Decodes `rr` when it is an NSEC3 this proof may use: "<hash>.<zone>",
 * SHA-1, flags 0 or opt-out (RFC 5155 §8.1-8.2: others are ignored), a
 * 20-byte next hash. The parameters are checked by the caller.
 */
static bool
n3_decode(const ldns_rr *rr, const ldns_rdf *zone, struct n3 *out)
{
	const ldns_rdf *owner = ldns_rr_owner(rr), *next;
	const uint8_t *label;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3 ||
	    ldns_rr_rd_count(rr) < N3_TYPES || ldns_rr_rd_count(rr) > N3_FIELDS)
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		if (ldns_rr_rdf(rr, i) == NULL)
			return false;
	if (ldns_rdf_size(ldns_rr_rdf(rr, N3_ALGORITHM)) != 1 ||
	    ldns_rdf_size(ldns_rr_rdf(rr, N3_FLAGS)) != 1 ||
	    ldns_rdf_size(ldns_rr_rdf(rr, N3_ITERATIONS)) != 2 ||
	    ldns_rdf_size(ldns_rr_rdf(rr, N3_SALT)) < 1)
		return false;
	if (ldns_rdf2native_int8(ldns_rr_rdf(rr, N3_ALGORITHM)) != NSEC3_HASH_SHA1 ||
	    (ldns_rdf2native_int8(ldns_rr_rdf(rr, N3_FLAGS)) & ~NSEC3_FLAG_OPTOUT))
		return false;
	if (dname_labels(owner) != dname_labels(zone) + 1 ||
	    !dname_in_bailiwick(owner, zone))
		return false;
	label = ldns_rdf_data(owner);
	if (!b32hex_decode_hash(label + 1, label[0], out->owner))
		return false;
	next = ldns_rr_rdf(rr, N3_NEXT);
	if (ldns_rdf_size(next) != HASH_LEN + 1 ||
	    ldns_rdf_data(next)[0] != HASH_LEN)
		return false;
	memcpy(out->next, ldns_rdf_data(next) + 1, HASH_LEN);
	out->optout = ldns_rdf2native_int8(ldns_rr_rdf(rr, N3_FLAGS)) &
	    NSEC3_FLAG_OPTOUT;
	out->rr = rr;
	return true;
}

static void
rr_salt(const ldns_rr *rr, const uint8_t **salt, uint8_t *len)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, N3_SALT);

	*len = ldns_rdf_data(rdf)[0];
	*salt = ldns_rdf_data(rdf) + 1;
}

/*
 * Collects the usable NSEC3s and applies the limits checked before any
 * hashing. Returns true when the proof may go on; otherwise `verdict` is
 * filled.
 */
static bool
proof_init(struct proof *p, const ldns_rdf *zone, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict)
{
	size_t total = 0;

	memset(p, 0, sizeof(*p));
	p->zone = zone;
	p->cache = cache;
	p->budget = budget;
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsec3s); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(nsec3s, i)) ==
		    LDNS_RR_TYPE_NSEC3)
			total++;
	if (total > LIMIT_DNSSEC_NSEC3_PER_REPLY) {
		dnssec_verdict_set(verdict, SEC_BOGUS,
		    DNSSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS,
		    "too many NSEC3 records in one proof");
		verdict->limit = "LIMIT_DNSSEC_NSEC3_PER_REPLY";
		return false;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsec3s); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(nsec3s, i);
		struct n3 *n = &p->recs[p->count];
		const uint8_t *salt;
		uint8_t salt_len;
		uint16_t iterations;

		if (!n3_decode(rr, zone, n))
			continue;
		rr_salt(rr, &salt, &salt_len);
		if ((size_t)salt_len + 1 != ldns_rdf_size(ldns_rr_rdf(rr, N3_SALT)))
			continue;
		iterations = ldns_rdf2native_int16(ldns_rr_rdf(rr, N3_ITERATIONS));
		if (iterations > LIMIT_DNSSEC_NSEC3_ITERATIONS) {
			/* RFC 9276 §3.2: the caller verified this record. */
			dnssec_verdict_set(verdict, SEC_INSECURE,
			    DNSSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS,
			    "NSEC3 iterations above the limit (RFC 9276)");
			verdict->limit = "LIMIT_DNSSEC_NSEC3_ITERATIONS";
			return false;
		}
		if (p->count == 0) {
			memcpy(p->salt, salt, salt_len);
			p->salt_len = salt_len;
			p->iterations = iterations;
		} else if (salt_len != p->salt_len ||
		    memcmp(salt, p->salt, salt_len) != 0 ||
		    iterations != p->iterations) {
			continue;	/* another chain's parameters: ignored */
		}
		p->count++;
	}
	if (p->count == 0) {
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_NSEC_MISSING,
		    "no usable NSEC3 record");
		return false;
	}
	return true;
}

/* The cached H(name key) for these parameters; false when not cached. */
static bool
cache_get(const struct nsec3_cache *c, const uint8_t *key, size_t key_len,
    const uint8_t *salt, uint8_t salt_len, uint16_t iterations,
    uint8_t out[HASH_LEN])
{
	for (size_t i = 0; c != NULL && i < c->count; i++) {
		const struct nsec3_cache_entry *e = &c->entries[i];

		if (e->name_len == key_len && e->iterations == iterations &&
		    e->salt_len == salt_len &&
		    memcmp(e->name, key, key_len) == 0 &&
		    memcmp(e->salt, salt, salt_len) == 0) {
			memcpy(out, e->hash, HASH_LEN);
			return true;
		}
	}
	return false;
}

void
nsec3_cache_put(struct nsec3_cache *c, const ldns_rdf *name,
    const uint8_t *salt, uint8_t salt_len, uint16_t iterations,
    const uint8_t hash[LDNS_SHA1_DIGEST_LENGTH])
{
	uint8_t key[DNAME_WIRE_MAX], old[HASH_LEN];
	size_t key_len;
	struct nsec3_cache_entry *e;

	if (c == NULL)
		return;
	key_len = dname_key(name, key);
	if (cache_get(c, key, key_len, salt, salt_len, iterations, old))
		return;
	if (c->count < LIMIT_DNSSEC_NSEC3_CACHE) {
		e = &c->entries[c->count++];
	} else {
		e = &c->entries[c->next];
		c->next = (c->next + 1) % LIMIT_DNSSEC_NSEC3_CACHE;
	}
	memcpy(e->name, key, key_len);
	e->name_len = key_len;
	memcpy(e->salt, salt, salt_len);
	e->salt_len = salt_len;
	e->iterations = iterations;
	memcpy(e->hash, hash, HASH_LEN);
}

bool
nsec3_hash_name(const ldns_rdf *name, const uint8_t *salt, uint8_t salt_len,
    uint16_t iterations, struct nsec3_cache *cache,
    struct dnssec_budget *budget, uint8_t out[LDNS_SHA1_DIGEST_LENGTH])
{
	uint8_t key[DNAME_WIRE_MAX], buf[DNAME_WIRE_MAX + 255];
	size_t key_len = dname_key(name, key);
	unsigned cost = (unsigned)iterations + 1;

	if (cache_get(cache, key, key_len, salt, salt_len, iterations, out))
		return true;
	if (budget->nsec3_hashes_left < cost)
		return false;
	budget->nsec3_hashes_left -= cost;
	budget->nsec3_hashes_done += cost;
	memcpy(buf, key, key_len);
	memcpy(buf + key_len, salt, salt_len);
	ldns_sha1(buf, (unsigned)(key_len + salt_len), out);
	for (unsigned i = 0; i < iterations; i++) {
		memcpy(buf, out, HASH_LEN);
		memcpy(buf + HASH_LEN, salt, salt_len);
		ldns_sha1(buf, (unsigned)(HASH_LEN + salt_len), out);
	}
	nsec3_cache_put(cache, name, salt, salt_len, iterations, out);
	return true;
}

/*
 * H(name) with the proof's parameters (RFC 5155 §5), from the cache or
 * computed and charged to the budget. False when the budget is spent
 * (p->limit set).
 */
static bool
proof_hash(struct proof *p, const ldns_rdf *name, uint8_t out[HASH_LEN])
{
	if (nsec3_hash_name(name, p->salt, p->salt_len, p->iterations,
	    p->cache, p->budget, out))
		return true;
	p->limit = "LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST";
	return false;
}

static const struct n3 *
find_match(const struct proof *p, const uint8_t hash[HASH_LEN])
{
	for (size_t i = 0; i < p->count; i++)
		if (memcmp(p->recs[i].owner, hash, HASH_LEN) == 0)
			return &p->recs[i];
	return NULL;
}

/* owner < hash < next, or for the chain's last record (next <= owner)
 * hash > owner or hash < next. */
static const struct n3 *
find_cover(const struct proof *p, const uint8_t hash[HASH_LEN])
{
	for (size_t i = 0; i < p->count; i++) {
		const struct n3 *n = &p->recs[i];
		int to_owner = memcmp(hash, n->owner, HASH_LEN);
		int to_next = memcmp(hash, n->next, HASH_LEN);

		if (memcmp(n->owner, n->next, HASH_LEN) < 0) {
			if (to_owner > 0 && to_next < 0)
				return n;
		} else if (to_owner > 0 || to_next < 0) {
			return n;
		}
	}
	return NULL;
}

static bool
n3_has(const struct n3 *n, ldns_rr_type type)
{
	/* An empty non-terminal's NSEC3 may have no bitmap rdata at all. */
	if (ldns_rr_rd_count(n->rr) <= N3_TYPES)
		return false;
	return nsec_bitmap_has(ldns_rr_rdf(n->rr, N3_TYPES), type);
}

static bool
n3_is_delegation(const struct n3 *n)
{
	return n3_has(n, LDNS_RR_TYPE_NS) && !n3_has(n, LDNS_RR_TYPE_SOA);
}

/* The closest-encloser proof (RFC 5155 §8.3) for `name`. */
struct ce_proof {
	unsigned ce_labels;
	const struct n3 *ce;		/* matches the closest encloser */
	const struct n3 *nc_cover;	/* covers the next closer name */
};

/*
 * CE_INSECURE: the closest encloser is an unsigned delegation (NS without
 * DS and SOA): the name lies in a zone with no chain of trust, so a denial
 * of it is insecure, not bogus (Unbound's nsec3_prove_closest_encloser).
 */
enum ce_result { CE_OK, CE_NAME_EXISTS, CE_FAIL, CE_BUDGET, CE_INSECURE };

static enum ce_result
closest_encloser(struct proof *p, const ldns_rdf *name, struct ce_proof *out,
    const char **why)
{
	unsigned labels = dname_labels(name), zone_labels = dname_labels(p->zone);
	uint8_t hash[HASH_LEN];
	const struct n3 *cover = NULL;

	/* From the name upwards: the first match is the closest encloser,
	 * the name below it (the next closer) must be covered. */
	for (unsigned l = labels; l >= zone_labels; l--) {
		ldns_rdf *sname = dname_ancestor(name, l);
		bool hashed = sname != NULL && proof_hash(p, sname, hash);
		const struct n3 *match;

		ldns_rdf_deep_free(sname);
		if (!hashed) {
			*why = "NSEC3 hash budget of the request spent";
			return p->limit != NULL ? CE_BUDGET : CE_FAIL;
		}
		if ((match = find_match(p, hash)) != NULL) {
			if (l == labels)
				return CE_NAME_EXISTS;
			/* RFC 5155 §8.3: not a delegation or DNAME. */
			if (n3_is_delegation(match) &&
			    !n3_has(match, LDNS_RR_TYPE_DS)) {
				*why = "the closest encloser is an unsigned "
				    "delegation";
				out->ce_labels = l;
				return CE_INSECURE;
			}
			if (n3_is_delegation(match) ||
			    n3_has(match, LDNS_RR_TYPE_DNAME)) {
				*why = "the closest encloser is a delegation or DNAME";
				return CE_FAIL;
			}
			if (cover == NULL) {
				*why = "no NSEC3 covers the next closer name";
				return CE_FAIL;
			}
			out->ce_labels = l;
			out->ce = match;
			out->nc_cover = cover;
			return CE_OK;
		}
		cover = find_cover(p, hash);
		if (l == 0)
			break;
	}
	*why = "no NSEC3 matches a closest encloser";
	return CE_FAIL;
}

static void
finish(struct proof *p, struct dnssec_verdict *verdict, enum sec_status status,
    const char *why)
{
	if (status == SEC_BOGUS && p->limit != NULL) {
		dnssec_verdict_set(verdict, SEC_BOGUS,
		    DNSSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS,
		    "NSEC3 hash budget of the request spent");
		verdict->limit = p->limit;
		return;
	}
	dnssec_verdict_set(verdict, status, status == SEC_BOGUS ?
	    DNSSEC_EDE_NSEC_MISSING : DNSSEC_EDE_NONE, why);
}

/*
 * The end of a proof that reached the next closer name: covered by an
 * opt-out span, an unsigned delegation may be there, whose data this zone
 * does not sign, so the denial is insecure (RFC 5155 §9.2, no AD);
 * otherwise `status` with `why`.
 */
static void
finish_optout(struct proof *p, const struct ce_proof *ce,
    struct dnssec_verdict *verdict, enum sec_status status, const char *why)
{
	if (ce->nc_cover->optout)
		finish(p, verdict, SEC_INSECURE,
		    "NSEC3 opt-out covers the name: it may be an unsigned "
		    "delegation");
	else
		finish(p, verdict, status, why);
}

/* INSECURE: the name is at or below the unsigned delegation with
 * `cut_labels` labels, which the verdict names (verify.h unsigned_cut). */
static void
finish_unsigned_cut(struct proof *p, struct dnssec_verdict *verdict,
    unsigned cut_labels, const char *why)
{
	finish(p, verdict, SEC_INSECURE, why);
	verdict->unsigned_cut = (int)cut_labels;
}

/* Hashes "*.<ancestor of name with `labels` labels>". */
static bool
hash_wildcard(struct proof *p, const ldns_rdf *name, unsigned labels,
    uint8_t out[HASH_LEN])
{
	ldns_rdf *ce = dname_ancestor(name, labels);
	ldns_rdf *wild = ldns_dname_new_frm_str("*");
	bool ok = ce != NULL && wild != NULL &&
	    ldns_dname_cat(wild, ce) == LDNS_STATUS_OK &&
	    proof_hash(p, wild, out);

	ldns_rdf_deep_free(ce);
	ldns_rdf_deep_free(wild);
	return ok;
}

void
nsec3_prove_nxdomain(const ldns_rdf *qname, const ldns_rdf *zone,
    const ldns_rr_list *nsec3s, struct nsec3_cache *cache,
    struct dnssec_budget *budget, struct dnssec_verdict *verdict)
{
	struct proof p;
	struct ce_proof ce;
	uint8_t hash[HASH_LEN];
	const char *why = "";

	if (!dname_in_bailiwick(qname, zone)) {
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_NSEC_MISSING,
		    "name outside the zone of the NSEC3 records");
		return;
	}
	if (!proof_init(&p, zone, nsec3s, cache, budget, verdict))
		return;
	switch (closest_encloser(&p, qname, &ce, &why)) {
	case CE_OK:
		break;
	case CE_NAME_EXISTS:
		finish(&p, verdict, SEC_BOGUS, "an NSEC3 says the name exists");
		return;
	case CE_INSECURE:
		finish_unsigned_cut(&p, verdict, ce.ce_labels, why);
		return;
	default:
		finish(&p, verdict, SEC_BOGUS, why);
		return;
	}
	if (!hash_wildcard(&p, qname, ce.ce_labels, hash)) {
		finish(&p, verdict, SEC_BOGUS, "cannot hash the wildcard");
		return;
	}
	if (find_cover(&p, hash) == NULL) {
		finish(&p, verdict, SEC_BOGUS,
		    "no NSEC3 denies the wildcard at the closest encloser");
		return;
	}
	finish_optout(&p, &ce, verdict, SEC_SECURE,
	    "NSEC3 proves the name and the wildcard do not exist");
}

/*
 * The prologue of the proofs that start from the name's own NSEC3 (NODATA,
 * no DS): `name` must lie in `zone` (strictly below its apex when
 * `below_apex`: a DS denial comes from the parent), the records must pass
 * proof_init's limits, and H(name) goes to `hash`. Returns true when the
 * proof may go on; otherwise `verdict` is filled.
 */
static bool
proof_start(struct proof *p, const ldns_rdf *name, bool below_apex,
    const ldns_rdf *zone, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict, uint8_t hash[HASH_LEN])
{
	if (!dname_in_bailiwick(name, zone) ||
	    (below_apex && dname_equal(name, zone))) {
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_NSEC_MISSING,
		    below_apex ? "a DS denial must come from the parent zone" :
		    "name outside the zone of the NSEC3 records");
		return false;
	}
	if (!proof_init(p, zone, nsec3s, cache, budget, verdict))
		return false;
	if (!proof_hash(p, name, hash)) {
		finish(p, verdict, SEC_BOGUS, "cannot hash the name");
		return false;
	}
	return true;
}

/* NODATA from the NSEC3 matching the name (or its wildcard). */
static bool
match_denies_type(const struct n3 *n, const ldns_rdf *qname,
    ldns_rr_type qtype, const char **why)
{
	if (n3_has(n, qtype)) {
		*why = "the NSEC3 lists the queried type";
		return false;
	}
	if (n3_has(n, LDNS_RR_TYPE_CNAME)) {
		*why = "the NSEC3 says the name is a CNAME";
		return false;
	}
	if (qtype == LDNS_RR_TYPE_DS) {
		if (n3_has(n, LDNS_RR_TYPE_SOA) && dname_labels(qname) > 0) {
			*why = "the child zone's apex NSEC3 cannot deny a DS";
			return false;
		}
		return true;
	}
	if (n3_is_delegation(n)) {
		*why = "a parent-side NSEC3 proves nothing but DS";
		return false;
	}
	return true;
}

void
nsec3_prove_nodata(const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict)
{
	struct proof p;
	struct ce_proof ce;
	uint8_t hash[HASH_LEN];
	const struct n3 *match;
	const char *why = "";

	if (!proof_start(&p, qname, false, zone, nsec3s, cache, budget,
	    verdict, hash))
		return;
	/* §8.5, §8.6 with a match: the name exists (ENTs have NSEC3s too). */
	if ((match = find_match(&p, hash)) != NULL) {
		if (match_denies_type(match, qname, qtype, &why))
			finish(&p, verdict, SEC_SECURE,
			    "NSEC3 at the name lacks the type");
		else if (qtype != LDNS_RR_TYPE_DS && n3_is_delegation(match) &&
		    !n3_has(match, qtype) && !n3_has(match, LDNS_RR_TYPE_CNAME) &&
		    !n3_has(match, LDNS_RR_TYPE_DS))
			/* The parent side of an unsigned cut (Unbound's
			 * nsec3_do_prove_nodata): the data is the child's. */
			finish_unsigned_cut(&p, verdict, dname_labels(qname),
			    "the name is an unsigned delegation");
		else
			finish(&p, verdict, SEC_BOGUS, why);
		return;
	}
	switch (closest_encloser(&p, qname, &ce, &why)) {
	case CE_OK:
		break;
	case CE_INSECURE:
		/*
		 * For DS too: the closest encloser is above the name (a match
		 * was handled above), so the DS asked for is the unsigned
		 * child's data, provably insecure (RFC 4035 §4.3), as nsec.c
		 * says. Unbound's nsec3_do_prove_nodata drops this verdict for
		 * DS and falls to bogus (no next closer NSEC3), against its own
		 * NSEC code (validate_nodata_response).
		 */
		finish_unsigned_cut(&p, verdict, ce.ce_labels, why);
		return;
	default:
		finish(&p, verdict, SEC_BOGUS, why);
		return;
	}
	/* §8.6: DS at an opt-out span: an unsigned delegation may be there. */
	if (qtype == LDNS_RR_TYPE_DS && ce.nc_cover->optout) {
		finish(&p, verdict, SEC_INSECURE,
		    "NSEC3 opt-out covers the DS name");
		return;
	}
	/* §8.7: wildcard NODATA. */
	if (!hash_wildcard(&p, qname, ce.ce_labels, hash)) {
		finish(&p, verdict, SEC_BOGUS, "cannot hash the wildcard");
		return;
	}
	if ((match = find_match(&p, hash)) == NULL) {
		/*
		 * No wildcard either: an opt-out span may hide an unsigned
		 * delegation at the next closer name, whose data another
		 * path brought here (RFC 5155 §9.2; Unbound's case 5).
		 */
		finish_optout(&p, &ce, verdict, SEC_BOGUS,
		    "the name does not exist (NXDOMAIN, not NODATA)");
		return;
	}
	if (!match_denies_type(match, qname, qtype, &why))
		finish(&p, verdict, SEC_BOGUS, why);
	else
		/* The next closer name may be an unsigned delegation, whose
		 * data the wildcard does not speak for. */
		finish_optout(&p, &ce, verdict, SEC_SECURE,
		    "NSEC3 proves wildcard NODATA");
}

void
nsec3_prove_no_ds(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsec3s, struct nsec3_cache *cache,
    struct dnssec_budget *budget, struct dnssec_verdict *verdict)
{
	struct proof p;
	struct ce_proof ce;
	uint8_t hash[HASH_LEN];
	const struct n3 *match;
	const char *why = "";

	if (!proof_start(&p, name, true, zone, nsec3s, cache, budget, verdict,
	    hash))
		return;
	if ((match = find_match(&p, hash)) != NULL) {
		if (n3_has(match, LDNS_RR_TYPE_DS))
			finish(&p, verdict, SEC_BOGUS, "the NSEC3 says the DS exists");
		else if (n3_has(match, LDNS_RR_TYPE_SOA))
			finish(&p, verdict, SEC_BOGUS,
			    "the child zone's apex NSEC3 cannot deny a DS");
		else if (n3_has(match, LDNS_RR_TYPE_NS))
			finish(&p, verdict, SEC_INSECURE,
			    "NSEC3 proves an unsigned delegation");
		else
			finish(&p, verdict, SEC_SECURE,
			    "NSEC3 proves no delegation at the name");
		return;
	}
	if (closest_encloser(&p, name, &ce, &why) != CE_OK) {
		finish(&p, verdict, SEC_BOGUS, why);
		return;
	}
	if (ce.nc_cover->optout)
		finish(&p, verdict, SEC_INSECURE,
		    "NSEC3 opt-out covers the delegation");
	else
		finish(&p, verdict, SEC_BOGUS,
		    "no NSEC3 at the delegation proves the DS absent");
}

void
nsec3_prove_wildcard(const ldns_rdf *qname, int ce_labels,
    const ldns_rdf *zone, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict)
{
	struct proof p;
	uint8_t hash[HASH_LEN];
	const struct n3 *cover;
	ldns_rdf *nc;
	bool hashed;

	if (ce_labels < 0 || (unsigned)ce_labels >= dname_labels(qname) ||
	    (unsigned)ce_labels < dname_labels(zone) ||
	    !dname_in_bailiwick(qname, zone)) {
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_NSEC_MISSING,
		    "wildcard labels do not fit the name or zone");
		return;
	}
	if (!proof_init(&p, zone, nsec3s, cache, budget, verdict))
		return;
	nc = dname_ancestor(qname, (unsigned)ce_labels + 1);
	hashed = nc != NULL && proof_hash(&p, nc, hash);
	ldns_rdf_deep_free(nc);
	if (!hashed) {
		finish(&p, verdict, SEC_BOGUS, "cannot hash the next closer name");
		return;
	}
	if ((cover = find_cover(&p, hash)) == NULL)
		finish(&p, verdict, SEC_BOGUS,
		    "no NSEC3 covers the next closer name");
	else if (cover->optout)
		finish(&p, verdict, SEC_INSECURE,
		    "NSEC3 opt-out covers the next closer name");
	else
		finish(&p, verdict, SEC_SECURE,
		    "NSEC3 proves the wildcard expansion");
}
