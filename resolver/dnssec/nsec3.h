/*
 * nsec3.h: authenticated denial of existence with NSEC3 (RFC 5155 §8,
 * RFC 9276): the closest-encloser proof, NXDOMAIN, NODATA, no DS (opt-out
 * too), wildcard expansion, with a per-request hash cache and the limits
 * against NSEC3 CPU attacks (CVE-2023-50868).
 *
 * The caller passes only NSEC3 records whose RRSIGs it has verified with
 * the keys of `zone`; other types and NSEC3s whose owner is not
 * "<hash>.<zone>" are ignored, as are NSEC3s with a hash algorithm other
 * than SHA-1 or flags other than opt-out (RFC 5155 §8.1-8.2). Checked
 * before any hashing, over the usable records:
 * - more than LIMIT_DNSSEC_NSEC3_PER_REPLY → BOGUS, EDE 27;
 * - iterations above LIMIT_DNSSEC_NSEC3_ITERATIONS → INSECURE, EDE 27
 *   (RFC 9276 §3.2; only meaningful because the RRSIGs were verified);
 * - records whose salt/iterations differ from the first's are ignored.
 * Each name hashed costs iterations + 1 of budget->nsec3_hashes_left; when
 * the budget runs out the proof is BOGUS, EDE 27, limit set. Each function
 * fills `verdict` (verify.h); ttl_cap is UINT32_MAX, wildcard_labels -1.
 */
#ifndef DESCEND_DNSSEC_NSEC3_H
#define DESCEND_DNSSEC_NSEC3_H

#include <ldns/ldns.h>
#include <ldns/sha1.h>

#include "dnssec/verify.h"

/*
 * A per-request cache of computed NSEC3 hashes (name, salt, iterations →
 * hash), so proofs over the same names (a CNAME chain, RFC 8198 lookups)
 * hash once. Holds LIMIT_DNSSEC_NSEC3_CACHE entries, oldest replaced. The
 * caller creates it (NULL on allocation failure: the functions accept NULL
 * and then do not cache) and frees it with the request.
 */
struct nsec3_cache;
struct nsec3_cache *nsec3_cache_new(void);
void nsec3_cache_free(struct nsec3_cache *cache);

/*
 * H(name) (RFC 5155 §5: SHA-1, `iterations` more rounds, `salt`) into
 * `out`: from `cache` (NULL: none), or computed, charged iterations + 1 to
 * `budget` and kept in `cache`. False, `out` untouched, when the budget
 * has less left: the proofs below and RFC 8198 lookups (aggressive.c)
 * share the request's cache and budget, so a hash one computed the other
 * reuses.
 */
bool nsec3_hash_name(const ldns_rdf *name, const uint8_t *salt,
    uint8_t salt_len, uint16_t iterations, struct nsec3_cache *cache,
    struct dnssec_budget *budget, uint8_t out[LDNS_SHA1_DIGEST_LENGTH]);

/* Puts a hash computed elsewhere (the NSEC cache's memo) into `cache`. */
void nsec3_cache_put(struct nsec3_cache *cache, const ldns_rdf *name,
    const uint8_t *salt, uint8_t salt_len, uint16_t iterations,
    const uint8_t hash[LDNS_SHA1_DIGEST_LENGTH]);

/*
 * NXDOMAIN for `qname`: the closest-encloser proof (an NSEC3 matches the
 * closest encloser, one covers the next closer name; RFC 5155 §8.3) and an
 * NSEC3 covering "*.<closest encloser>" (§8.4). SECURE when proven;
 * INSECURE when the next-closer NSEC3 has opt-out (the name may exist in
 * an unsigned delegation, RFC 5155 §9.2), or when the closest encloser is
 * an unsigned delegation (NS without DS and SOA): no AD; BOGUS (EDE 12)
 * otherwise.
 */
void nsec3_prove_nxdomain(const ldns_rdf *qname, const ldns_rdf *zone,
    const ldns_rr_list *nsec3s, struct nsec3_cache *cache,
    struct dnssec_budget *budget, struct dnssec_verdict *verdict);

/*
 * NODATA for `qname`/`qtype` (RFC 5155 §8.5-8.7): an NSEC3 matching qname
 * without qtype and CNAME (a parent-side one, NS without SOA, only for DS);
 * or, for DS, opt-out covering the next closer name → INSECURE; or wildcard
 * NODATA: closest-encloser proof plus an NSEC3 matching "*.<ce>" without
 * qtype and CNAME (INSECURE when the next closer's NSEC3 has opt-out: the
 * name may be an unsigned delegation). SECURE when proven. INSECURE also
 * when the closest encloser is an unsigned delegation (NS without DS and
 * SOA; for DS too: the DS asked for is then the unsigned child's), when
 * qname itself is one and qtype is not DS, or when no wildcard matches but
 * the next closer name is in an opt-out span (as Unbound); the first two
 * name the delegation in verdict->unsigned_cut. BOGUS (EDE 12) otherwise.
 */
void nsec3_prove_nodata(const ldns_rdf *qname, ldns_rr_type qtype,
    const ldns_rdf *zone, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict);

/*
 * No DS for `name`, a child of `zone` (referral without DS, or DS NODATA;
 * RFC 5155 §8.6, §8.9). INSECURE: an NSEC3 matching name with NS set, DS
 * and SOA clear, or a closest-encloser proof whose next-closer NSEC3 has
 * opt-out. SECURE: name proven to be no delegation (matching NSEC3 without
 * NS). BOGUS (EDE 12): no proof, or DS present.
 */
void nsec3_prove_no_ds(const ldns_rdf *name, const ldns_rdf *zone,
    const ldns_rr_list *nsec3s, struct nsec3_cache *cache,
    struct dnssec_budget *budget, struct dnssec_verdict *verdict);

/*
 * A positive answer for `qname` expanded from the wildcard at the closest
 * encloser with `ce_labels` labels: an NSEC3 covers the next closer name
 * (RFC 5155 §8.8). SECURE when proven; INSECURE when that NSEC3 has
 * opt-out; BOGUS (EDE 12) otherwise.
 */
void nsec3_prove_wildcard(const ldns_rdf *qname, int ce_labels,
    const ldns_rdf *zone, const ldns_rr_list *nsec3s,
    struct nsec3_cache *cache, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict);

#endif /* DESCEND_DNSSEC_NSEC3_H */
