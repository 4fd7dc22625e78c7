/*
 * algorithms.h: which DNSKEY algorithms and DS digest types descend
 * validates (RFC 8624), confirmed by a known-answer self-test of each
 * algorithm against this machine's ldns/OpenSSL at first use.
 */
#ifndef DESCEND_DNSSEC_ALGORITHMS_H
#define DESCEND_DNSSEC_ALGORITHMS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Runs the self-test once per process (thread-safe, idempotent; the other
 * functions call it on first use, the engine calls it at start so the cost
 * is not paid by the first request). An algorithm whose known signature does
 * not verify here (a crypto library built without it, a system crypto
 * policy forbidding SHA-1, ...) is then treated as unsupported: zones that
 * use only it are insecure, never bogus. Returns how many of the wanted
 * algorithms failed their self-test (0 when all work).
 */
int dnssec_algorithms_init(void);

/*
 * True when signatures with DNSKEY algorithm `alg` are validated: 5, 7, 8,
 * 10, 13, 14, 15, 16 (RFC 8624 §3.1) that passed the self-test. RSAMD5 (1),
 * DSA (3, 6), ECC-GOST (12), private (253, 254) and unknown numbers are not.
 */
bool dnssec_algorithm_supported(uint8_t alg);

/* True when DS digest type `digest` is validated: 1, 2, 4 (RFC 8624 §3.3). */
bool dnssec_digest_supported(uint8_t digest);

/*
 * Preference among DS digest types: 0 for unsupported, higher is better
 * (SHA-384 > SHA-256 > SHA-1, RFC 4509 §3: SHA-1 DS are ignored when a
 * better supported digest is present).
 */
int dnssec_digest_preference(uint8_t digest);

/* Mnemonic for messages ("RSASHA256", "ECDSAP256SHA256"; "unknown"). */
const char *dnssec_algorithm_name(uint8_t alg);

/*
 * Why `alg` failed its self-test (a static string), or NULL when it passed
 * or is not one descend validates; for the startup log.
 */
const char *dnssec_algorithm_selftest_error(uint8_t alg);

#endif /* DESCEND_DNSSEC_ALGORITHMS_H */
