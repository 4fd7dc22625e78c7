/*
 * dname.h: domain-name tests the resolver needs beyond ldns: bailiwick
 * (subdomain-or-equal), lowercase wire keys for the caches, case-exact
 * comparison for 0x20, and name ancestry walks.
 */
#ifndef DESCEND_DNAME_H
#define DESCEND_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* Longest name in wire form (RFC 1035 §2.3.4). */
#define DNAME_WIRE_MAX	255

/* True when `name` equals `zone` or lies below it, ignoring case. */
bool dname_in_bailiwick(const ldns_rdf *name, const ldns_rdf *zone);

/* True when the two names are equal ignoring case. */
bool dname_equal(const ldns_rdf *a, const ldns_rdf *b);

/* Lowercases the name in place: ldns_dname2canonical's bytes, faster. */
void dname_canonical(const ldns_rdf *name);

/* True when the two names are equal byte for byte (0x20 echo check). */
bool dname_equal_exact(const ldns_rdf *a, const ldns_rdf *b);

/*
 * Writes `name` in lowercase wire form to `key` (DNAME_WIRE_MAX bytes) and
 * returns its length. Cache keys are built from it.
 */
size_t dname_key(const ldns_rdf *name, uint8_t *key);

/*
 * The offset of the parent's name in a dname_key (or any uncompressed
 * wire name) whose name at `at` is not the root: each ancestor's key is a
 * suffix of the name's, so walks up a name need no copies.
 */
static inline size_t
dname_key_parent(const uint8_t *key, size_t at)
{
	return at + (size_t)key[at] + 1;
}

/*
 * Whether the cache key name `owner` (dname_key form) is `name` or, with
 * `subtree`, lies below it: the owner ends with the name on a label
 * boundary. Used by the caches' flush commands.
 */
bool dname_key_covers(const uint8_t *owner, size_t owner_len,
    const uint8_t *name, size_t name_len, bool subtree);

/*
 * Returns the ancestor of `name` with `labels` labels (the root has 0), a
 * new rdf the caller frees; `labels` must not exceed the name's count.
 */
ldns_rdf *dname_ancestor(const ldns_rdf *name, unsigned labels);

/*
 * "*.<the ancestor of name with `labels` labels>": the wildcard a name may
 * be expanded from, a new rdf the caller frees; NULL when out of memory.
 */
ldns_rdf *dname_wildcard_at(const ldns_rdf *name, unsigned labels);

/* Label count without the root label (the root is 0, "com." is 1). */
unsigned dname_labels(const ldns_rdf *name);

/*
 * Randomises the case of every letter of `name` in place (0x20, draft-vixie-
 * dnsext-dns0x20) with arc4random.
 */
void dname_randomise_case(ldns_rdf *name);

/* The name in presentation form into buf ("." for the root), for messages. */
const char *dname_str(const ldns_rdf *name, char *buf, size_t len);

#endif /* DESCEND_DNAME_H */
