/*
 * verify.h: signature checks. An RRset against a zone's trusted DNSKEYs,
 * and a DNSKEY RRset against its DS set or trust anchor, with the RRSIG and
 * key candidates chosen by us (never by ldns's keylist helpers), the time
 * window checked against the caller's clock with skew, and every crypto
 * operation charged to a per-request budget (KeyTrap, CVE-2023-50387).
 *
 * Functions over ldns structures: no I/O; the only state kept is the
 * algorithm table (algorithms.h) and the parsed public keys
 * (LIMIT_DNSSEC_KEY_OBJECTS, keyed by exact DNSKEY rdata, thread-safe).
 */
#ifndef DESCEND_DNSSEC_VERIFY_H
#define DESCEND_DNSSEC_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "sec_status.h"

/* Extended DNS Error codes (RFC 8914) the DNSSEC primitives report. */
enum dnssec_ede {
	DNSSEC_EDE_NONE = -1,
	DNSSEC_EDE_UNSUPPORTED_DNSKEY_ALG = 1,
	DNSSEC_EDE_UNSUPPORTED_DS_DIGEST = 2,
	DNSSEC_EDE_INDETERMINATE = 5,
	DNSSEC_EDE_BOGUS = 6,
	DNSSEC_EDE_SIGNATURE_EXPIRED = 7,
	DNSSEC_EDE_SIGNATURE_NOT_YET_VALID = 8,
	DNSSEC_EDE_DNSKEY_MISSING = 9,
	DNSSEC_EDE_RRSIGS_MISSING = 10,
	DNSSEC_EDE_NO_ZONE_KEY_BIT = 11,
	DNSSEC_EDE_NSEC_MISSING = 12,
	DNSSEC_EDE_SIGNATURE_EXPIRED_BEFORE_VALID = 25,
	DNSSEC_EDE_UNSUPPORTED_NSEC3_ITERATIONS = 27,
};

/*
 * The validation work one client request may still do. The caller keeps
 * one per request (sub-requests share it), initialises it with
 * dnssec_budget_init() and passes it to every verify/nsec3 call, which
 * decrement it. The *_done counters only grow: stats and tests read them.
 */
struct dnssec_budget {
	unsigned validations_left;	/* signature verifications (crypto ops) */
	unsigned nsec3_hashes_left;	/* SHA-1 runs: one NSEC3 hash costs iterations + 1 */
	unsigned validations_done;
	unsigned nsec3_hashes_done;
};

/* Fills `budget` from LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST and
 * LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST. */
void dnssec_budget_init(struct dnssec_budget *budget);

/*
 * What a check concluded. Every function below fills all fields.
 * - status: SEC_SECURE (proven), SEC_INSECURE (proven unsigned or
 *   unvalidatable by policy: unsupported algorithm, NSEC3 iterations...),
 *   SEC_BOGUS (failed; `ede` and `why` say how).
 * - ede: enum dnssec_ede code to send with SERVFAIL (or with an insecure
 *   answer for EDE 1, 2, 27), DNSSEC_EDE_NONE when none applies.
 * - why: a static human-readable reason ("signature expired", ...), never
 *   NULL; for logs, the trace and the EDE extra text.
 * - limit: the name of the engine_limits.h macro that was hit ("LIMIT_..."),
 *   NULL when none; the caller reports it as EV_LIMIT_HIT.
 * - ttl_cap: on SECURE from dnssec_verify_*, the longest the data may be
 *   cached (RFC 4035 §5.3.3): min(RRSIG original TTL, RRSIG TTL, seconds
 *   until the RRSIG expires, floor 0); UINT32_MAX when not applicable.
 * - wildcard_labels: on SECURE from dnssec_verify_rrset, -1 when the RRSIG
 *   covers the owner name itself; otherwise the RRset was expanded from the
 *   wildcard "*.<closest encloser>" and this is the closest encloser's label
 *   count (the RRSIG labels field): the caller must then prove with
 *   nsec_prove_wildcard()/nsec3_prove_wildcard() that the next closer name
 *   does not exist (RFC 4035 §5.3.4), or the answer is bogus.
 * - key_tag, algorithm: the DNSKEY that verified (0 when none), for the
 *   observer and the trace.
 * - unsigned_cut: on INSECURE from an NSEC/NSEC3 denial because the name
 *   lies at or below an unsigned delegation of the zone (NS without DS and
 *   SOA), that delegation's label count (an ancestor of the name, or the
 *   name); -1 otherwise (opt-out, NSEC3 iterations, any other verdict).
 */
struct dnssec_verdict {
	enum sec_status status;
	int ede;
	const char *why;
	const char *limit;
	uint32_t ttl_cap;
	int wildcard_labels;
	uint16_t key_tag;
	uint8_t algorithm;
	int unsigned_cut;
};

/*
 * Sets every field of `verdict`: the three given, limit NULL, ttl_cap
 * UINT32_MAX, wildcard_labels and unsigned_cut -1, key_tag and algorithm
 * 0. `why` must be a static string. For callers building their own
 * verdicts too.
 */
void dnssec_verdict_set(struct dnssec_verdict *verdict, enum sec_status status,
    int ede, const char *why);

/*
 * Verifies `rrset` (one owner, class and type; at least one record) with
 * the RRSIGs in `rrsigs` (any list: records that are not RRSIGs over this
 * owner and type are ignored) against `trusted_dnskeys`, the validated
 * DNSKEY RRset of `signer_zone`.
 *
 * Candidate RRSIGs: signer name equal to `signer_zone`, owner at or below
 * it, RRSIG labels not above the owner's label count (more → bogus; fewer
 * on a DNAME → bogus, no wildcard DNAMEs, RFC 6672 §3.3), an
 * algorithm dnssec_algorithm_supported(). Candidate keys: owner equal to
 * `signer_zone`, same algorithm and key tag, zone bit set, protocol 3,
 * REVOKE clear, RSA modulus within LIMIT_DNSSEC_RSA_MAX_BITS. The validity
 * window [inception, expiration] (RFC 1982 serial arithmetic) is checked
 * against `now` with the skew of LIMIT_DNSSEC_SKEW_* before any crypto.
 * Each (RRSIG, key) pair tried costs one unit of budget->validations_left;
 * at most LIMIT_DNSSEC_RRSIGS_PER_RRSET time-valid RRSIGs with a candidate
 * key are tried and LIMIT_DNSSEC_KEYS_PER_TAG keys per RRSIG (so at most
 * 4 checks per RRset). The first pair that verifies makes the RRset SECURE.
 *
 * Never SEC_INSECURE: whether a zone is insecure is decided by its DS
 * (dnssec_verify_dnskey_rrset) or a denial proof. Bogus reasons: no RRSIGs
 * (EDE 10), no RRSIG by a trusted key (9), only keys without the zone bit
 * (11), expired (7), not yet valid (8), expiration before inception (25),
 * bad signature (6), budget or per-RRset limit hit (6, `limit` set).
 *
 * Nothing passed in is modified (the RRSIG is cloned before ldns
 * lowercases it); nothing is kept.
 */
void dnssec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *rrsigs,
    const ldns_rr_list *trusted_dnskeys, const ldns_rdf *signer_zone,
    uint32_t now, struct dnssec_budget *budget, struct dnssec_verdict *verdict);

/*
 * Validates the DNSKEY RRset `dnskeys` of `zone` (from the zone's own
 * servers) with its RRSIGs `rrsigs`, against `anchors`: the zone's
 * validated DS RRset from the parent, or a trust anchor's DS and/or DNSKEY
 * records (any mix).
 *
 * DS records: only supported algorithm and digest (algorithms.h); of those,
 * only the most preferred digest type present (RFC 4509 §3); at most
 * LIMIT_DNSSEC_DS_PER_ZONE. Each is matched to DNSKEYs of `zone` with the
 * same key tag and algorithm, zone bit, protocol 3, REVOKE clear (at most
 * LIMIT_DNSSEC_KEYS_PER_TAG per DS) by computing the key's digest (ldns_key_rr2ds)
 * and comparing; after LIMIT_DNSSEC_DS_MATCH_FAILURES mismatches → bogus.
 * DNSKEY anchors are matched by algorithm, protocol and public key. A
 * matched key must then sign the DNSKEY RRset (as dnssec_verify_rrset,
 * same limits and budget).
 *
 * SECURE: *trusted_out is a new list with clones of every record of
 * `dnskeys` (the whole validated RRset is trusted, RFC 4035 §5.2); the
 * caller frees it with ldns_rr_list_deep_free(). INSECURE: no DS/anchor
 * with a supported algorithm and digest (RFC 4035 §5.2, RFC 8624), EDE 1
 * or 2; *trusted_out is NULL. BOGUS: as dnssec_verify_rrset, or EDE 9 when
 * no DNSKEY matches a usable DS; *trusted_out is NULL. `trusted_out` may be
 * NULL when the caller needs only the verdict.
 */
void dnssec_verify_dnskey_rrset(const ldns_rr_list *dnskeys,
    const ldns_rr_list *rrsigs, const ldns_rr_list *anchors,
    const ldns_rdf *zone, uint32_t now, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict, ldns_rr_list **trusted_out);

/*
 * One signature check, nothing else: whether `sig` (an RRSIG over `rrset`'s
 * type) verifies with `key` over the canonical form of `rrset` (RFC 4034
 * §3.1.8.1, §6). No time window, key tag, owner or budget check: those are
 * the callers'. The key's parsed form is kept for the next check with the
 * same DNSKEY rdata. Used by the functions above and the algorithm
 * self-test, so the self-test checks this very path.
 */
bool dnssec_crypto_verify(const ldns_rr_list *rrset, const ldns_rr *sig,
    const ldns_rr *key);

/* How many DNSKEYs were parsed into key objects since the process began
 * (a key met again is not parsed again while it stays kept). For tests and
 * benchmarks. */
unsigned long dnssec_key_parses(void);

/*
 * Drops every kept key object: engine_free() calls it, so that a process
 * that frees its engine leaves nothing behind for memory checkers (keys
 * in use by another engine's check keep their own reference).
 */
void dnssec_key_objects_flush(void);
/* How many key objects are kept now (tests). */
unsigned dnssec_key_objects_kept(void);

/*
 * True when the DS RRset (or anchor set) `ds_set` has at least one record
 * whose algorithm and digest descend validates, i.e. the zone below must
 * be signed; false means the delegation is insecure (RFC 4035 §5.2).
 * Sets *ede to DNSSEC_EDE_UNSUPPORTED_DNSKEY_ALG or _DS_DIGEST when false
 * because of unsupported records, DNSSEC_EDE_NONE otherwise. `ede` may be NULL.
 */
bool dnssec_ds_usable(const ldns_rr_list *ds_set, int *ede);

/*
 * The distinct signer names of the RRSIGs in `rrsigs` over `owner`/`type`
 * that may have signed it (the owner or an ancestor; others never verify),
 * the zones whose DNSKEYs would verify that RRset, in the order to try
 * them (the zone's own first for its DNSKEY set, otherwise the one nearest
 * the root first): at most `max` into `out`, the count returned. The
 * validator puts last those that cannot be the zone of the owner's data
 * and tries them in turn (LIMIT_DNSSEC_SIGNERS_PER_RRSET), so that RRSIGs naming
 * other signers cannot spoil a good RRset. Pointers into
 * `rrsigs`: valid while it lives.
 */
size_t dnssec_rrset_signers(const ldns_rr_list *rrsigs, const ldns_rdf *owner,
    ldns_rr_type type, const ldns_rdf **out, size_t max);

/* The first of dnssec_rrset_signers(), or NULL when there is none. */
const ldns_rdf *dnssec_rrset_signer(const ldns_rr_list *rrsigs,
    const ldns_rdf *owner, ldns_rr_type type);

#endif /* DESCEND_DNSSEC_VERIFY_H */
