/*
 * trust_anchor.h: the configured trust anchors (DS or DNSKEY records per
 * zone, RFC 4033 §2) and negative trust anchors (RFC 7646), loaded from
 * files and strings at start-up, read-only afterwards (shared by every
 * worker without locks), and the closest-anchor lookup for a name.
 */
#ifndef DESCEND_DNSSEC_TRUST_ANCHOR_H
#define DESCEND_DNSSEC_TRUST_ANCHOR_H

#include <stdbool.h>
#include <stddef.h>

#include <ldns/ldns.h>

/* Debian's root anchor (package dns-root-data); read, never written. */
#define TRUST_ANCHOR_DEBIAN_ROOT	"/usr/share/dns/root.key"

/* One anchored zone. Owned by its struct trust_anchors. */
struct trust_anchor {
	ldns_rdf *zone;		/* the anchored name */
	ldns_rr_list *records;	/* its DS and/or DNSKEY records; empty when negative */
	bool negative;		/* domain-insecure: validation off at and below */
};

struct trust_anchors;

/* An empty set; NULL on allocation failure. */
struct trust_anchors *trust_anchors_new(void);
void trust_anchors_free(struct trust_anchors *anchors);

/*
 * Adds the DS and DNSKEY records of the file at `path`: zone-file lines
 * ("$ORIGIN", "$TTL", comments and blank lines allowed) as in Debian's
 * root.key or `ldns-key2ds` output; Unbound's autotrust file lines (with
 * ";;state=" comments) read as plain records. Other record types are an
 * error. Several files may be added; records for one zone are merged.
 * Returns 0, or -1 with "PATH:LINE: reason" in `err` (`errlen` bytes)
 * when the file cannot be read, has no anchor, or a line does not parse;
 * on error nothing of the file is added.
 */
int trust_anchors_add_file(struct trust_anchors *anchors, const char *path,
    char *err, size_t errlen);

/*
 * Adds one DS or DNSKEY record in presentation form (a `trust-anchor:`
 * config value, e.g. ". DS 20326 8 2 E06D..."). Returns 0, or -1 with the
 * reason in `err`.
 */
int trust_anchors_add_string(struct trust_anchors *anchors, const char *text,
    char *err, size_t errlen);

/*
 * Adds a negative trust anchor for `domain` (presentation form, a
 * `domain-insecure:` value): names at or below it are not validated
 * unless a positive anchor sits below it. Returns 0, or -1 with the reason.
 */
int trust_anchors_add_insecure(struct trust_anchors *anchors,
    const char *domain, char *err, size_t errlen);

/*
 * The anchor closest to `name`: the deepest anchored zone at or above it,
 * positive or negative, or NULL when none covers it (then `name` is
 * indeterminate, RFC 4033 §5). A returned negative anchor means: treat as
 * insecure. Points into `anchors`: valid while it lives.
 */
const struct trust_anchor *trust_anchors_lookup(
    const struct trust_anchors *anchors, const ldns_rdf *name);

/* Number of anchored zones (positive and negative), for logs and tests. */
size_t trust_anchors_count(const struct trust_anchors *anchors);

/* The i-th anchored zone (0 <= i < count), in the order added. */
const struct trust_anchor *trust_anchors_get(
    const struct trust_anchors *anchors, size_t i);

#endif /* DESCEND_DNSSEC_TRUST_ANCHOR_H */
