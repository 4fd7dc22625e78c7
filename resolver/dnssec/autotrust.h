/*
 * autotrust.h: RFC 5011 automated updates of one zone's trust anchor, kept
 * in a writable file in Unbound's auto-trust-anchor-file format. Sans-I/O
 * except for loading and saving that file; the clock is passed in.
 *
 * The caller probes the anchored zone's DNSKEY RRset at
 * autotrust_next_probe(), hands the answer to autotrust_update() (which
 * validates it against the keys trusted now and runs the per-key state
 * machine of RFC 5011 §4), saves the file, and validates with the keys of
 * autotrust_trusted().
 */
#ifndef DESCEND_DNSSEC_AUTOTRUST_H
#define DESCEND_DNSSEC_AUTOTRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "dnssec/verify.h"

/* RFC 5011 §2.4.1 add hold-down and §2.4.2 remove hold-down (Unbound's
 * add-holddown and del-holddown defaults). */
#define AUTOTRUST_ADD_HOLDDOWN	(30u * 86400u)
#define AUTOTRUST_DEL_HOLDDOWN	(30u * 86400u)
/* A new key must also have been seen in this many validated probes before
 * it is trusted (Unbound MIN_PENDINGCOUNT): one lucky answer is not enough. */
#define AUTOTRUST_MIN_PENDING	2

/* RFC 5011 §4 key states; the numbers are the ones of Unbound's file. */
enum autotrust_state {
	AUTOTRUST_START = 0,
	AUTOTRUST_ADDPEND = 1,
	AUTOTRUST_VALID = 2,
	AUTOTRUST_MISSING = 3,
	AUTOTRUST_REVOKED = 4,
	AUTOTRUST_REMOVED = 5,
};

struct autotrust;

/*
 * Reads the anchor file at `path`: Unbound's autotrust format (";;id:",
 * ";;last_queried:", ";;last_success:", ";;next_probe_time:",
 * ";;query_failed:", ";;query_interval:", ";;retry_time:" and per record
 * ";;state=N ;;count=N ;;lastchange=N") or plain DS/DNSKEY lines as in
 * Debian's root.key (those start VALID: the operator put them there).
 * One zone per file. NULL with "PATH:LINE: reason" in `err` when the file
 * cannot be read or a line is bad; nothing is half-loaded.
 */
struct autotrust *autotrust_load(const char *path, char *err, size_t errlen);
void autotrust_free(struct autotrust *at);

/*
 * Writes the state to `path` atomically: a temporary file in the same
 * directory, fsync, rename over `path` (a reader or a crash sees the old
 * file or the new one, never a torn one). Returns 0, or -1 with the reason.
 */
int autotrust_save(const struct autotrust *at, const char *path, char *err,
    size_t errlen);

/*
 * One successful probe: `dnskeys` is the anchored zone's DNSKEY RRset as
 * received, `rrsigs` its RRSIGs. It is validated here against
 * autotrust_trusted() (`verdict` says how it went). When secure, the SEP
 * keys are run through RFC 5011 §4: new keys enter AddPend and become
 * Valid after AUTOTRUST_ADD_HOLDDOWN and AUTOTRUST_MIN_PENDING sightings;
 * Valid keys absent from the set go Missing (still trusted, RFC 5011 §4);
 * a key with the REVOKE bit that signs the set itself goes Revoked (no
 * longer trusted at once) and is forgotten after AUTOTRUST_DEL_HOLDDOWN; a
 * REVOKE bit without the key's own signature is ignored (§2.1). DS anchors
 * are replaced by the DNSKEY they match. The active refresh timer is set
 * (§2.3). When not secure, it counts as a failed probe (retry timer).
 */
void autotrust_update(struct autotrust *at, const ldns_rr_list *dnskeys,
    const ldns_rr_list *rrsigs, uint32_t now, struct dnssec_verdict *verdict);

/* A probe that got no answer: schedules the retry (RFC 5011 §2.3). */
void autotrust_probe_failed(struct autotrust *at, uint32_t now);

/* When the next DNSKEY probe is due (seconds since the epoch). */
uint32_t autotrust_next_probe(const struct autotrust *at);

/* The anchored zone. Points into `at`. */
const ldns_rdf *autotrust_zone(const struct autotrust *at);

/*
 * The anchor to validate with: clones of the DNSKEYs in Valid or Missing
 * state and of DS anchors not yet matched to a DNSKEY. A new list the
 * caller frees with ldns_rr_list_deep_free(); NULL when out of memory.
 */
ldns_rr_list *autotrust_trusted(const struct autotrust *at);

/* Number of keys (and DS anchors) tracked, for logs and tests. */
size_t autotrust_key_count(const struct autotrust *at);

/* The state of `dnskey` (compared without its REVOKE bit), or -1 when it
 * is not tracked. For logs and tests. */
int autotrust_key_state(const struct autotrust *at, const ldns_rr *dnskey);

/* Failed probes since the last success. */
unsigned autotrust_query_failed(const struct autotrust *at);

#endif /* DESCEND_DNSSEC_AUTOTRUST_H */
