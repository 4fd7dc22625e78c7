/*
 * dname.c: domain-name helpers on ldns rdfs: bailiwick tests, cache keys,
 * 0x20 case randomisation.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"

/*
 * `name` is `zone` or below it: its last labels are the zone's, compared
 * without case. No allocation (ldns_dname_is_subdomain copies both names,
 * once per record the scrubber looks at, and crashes when that fails).
 */
bool
dname_in_bailiwick(const ldns_rdf *name, const ldns_rdf *zone)
{
	const uint8_t *n = ldns_rdf_data(name), *z = ldns_rdf_data(zone);
	size_t nlen = ldns_rdf_size(name), zlen = ldns_rdf_size(zone), i = 0;

	while (i < nlen && nlen - i > zlen)
		i += (size_t)n[i] + 1;
	if (i >= nlen || nlen - i != zlen)
		return false;
	/* Length bytes are below 64 and never letters, so tolower is safe on them. */
	for (size_t k = 0; k < zlen; k++)
		if (tolower(n[i + k]) != tolower(z[k]))
			return false;
	return true;
}

static inline uint8_t
ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 'a' - 'A') : c;
}

/*
 * The length of a name's wire form up to its root label when that is all
 * of its `size` bytes and every label is a plain one (63 bytes at most);
 * 0 otherwise.
 */
static size_t
dname_exact_len(const uint8_t *d, size_t size)
{
	size_t i = 0;

	while (i < size && d[i] != 0) {
		if (d[i] > 63)
			return 0;
		i += (size_t)d[i] + 1;
	}
	return i < size && i + 1 == size ? size : 0;
}

/*
 * Two well-formed names are equal when their wire forms are, letters
 * compared without case (RFC 4343): the length bytes line up, and they are
 * below 'A'. ldns_dname_compare orders labels from the right and counts
 * them twice each call; it is kept for anything else (not names, bytes
 * after the root label, NULL), so the answer is always its answer.
 */
bool
dname_equal(const ldns_rdf *a, const ldns_rdf *b)
{
	const uint8_t *x, *y;
	size_t len;

	if (a == NULL || b == NULL ||
	    ldns_rdf_get_type(a) != LDNS_RDF_TYPE_DNAME ||
	    ldns_rdf_get_type(b) != LDNS_RDF_TYPE_DNAME ||
	    (len = dname_exact_len(x = ldns_rdf_data(a), ldns_rdf_size(a))) == 0 ||
	    dname_exact_len(y = ldns_rdf_data(b), ldns_rdf_size(b)) == 0)
		return ldns_dname_compare(a, b) == 0;
	if (ldns_rdf_size(b) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (x[i] != y[i] && ascii_lower(x[i]) != ascii_lower(y[i]))
			return false;
	return true;
}

/*
 * ldns_dname2canonical without a tolower() call per byte: the same bytes
 * (RFC 4343: only ASCII letters have case; length bytes are below 'A').
 */
void
dname_canonical(const ldns_rdf *name)
{
	uint8_t *d;
	size_t len;

	if (name == NULL || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return;
	d = ldns_rdf_data(name);
	len = ldns_rdf_size(name);
	for (size_t i = 0; i < len; i++)
		d[i] = ascii_lower(d[i]);
}

bool
dname_equal_exact(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_rdf_size(a) == ldns_rdf_size(b) &&
	    memcmp(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a)) == 0;
}

size_t
dname_key(const ldns_rdf *name, uint8_t *key)
{
	size_t len = ldns_rdf_size(name);
	const uint8_t *data = ldns_rdf_data(name);

	if (len > DNAME_WIRE_MAX)
		len = DNAME_WIRE_MAX;
	/* Length bytes are below 64 and never letters, so tolower is safe on them. */
	for (size_t i = 0; i < len; i++)
		key[i] = (uint8_t)tolower(data[i]);
	return len;
}

bool
dname_key_covers(const uint8_t *owner, size_t owner_len, const uint8_t *name,
    size_t name_len, bool subtree)
{
	size_t i;

	if (owner_len == name_len)
		return memcmp(owner, name, name_len) == 0;
	if (!subtree || owner_len < name_len)
		return false;
	for (i = 0; i < owner_len - name_len; i += (size_t)owner[i] + 1)
		;
	return i == owner_len - name_len &&
	    memcmp(owner + i, name, name_len) == 0;
}

unsigned
dname_labels(const ldns_rdf *name)
{
	return ldns_dname_label_count(name);
}

ldns_rdf *
dname_ancestor(const ldns_rdf *name, unsigned labels)
{
	unsigned have = dname_labels(name);

	if (labels >= have)
		return ldns_rdf_clone(name);
	return ldns_dname_clone_from(name, (uint16_t)(have - labels));
}

ldns_rdf *
dname_wildcard_at(const ldns_rdf *name, unsigned labels)
{
	ldns_rdf *ce = dname_ancestor(name, labels);
	ldns_rdf *wild = ldns_dname_new_frm_str("*");

	if (ce == NULL || wild == NULL ||
	    ldns_dname_cat(wild, ce) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(wild);
		wild = NULL;
	}
	ldns_rdf_deep_free(ce);
	return wild;
}

void
dname_randomise_case(ldns_rdf *name)
{
	uint8_t *data = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name);
	uint32_t bits = 0;
	unsigned left = 0;

	for (size_t i = 0; i < len;) {
		size_t label = data[i++];

		for (size_t j = 0; j < label && i < len; j++, i++) {
			if (!isalpha(data[i]))
				continue;
			if (left == 0) {
				bits = arc4random();
				left = 32;
			}
			data[i] = (bits & 1) ? (uint8_t)toupper(data[i]) :
			    (uint8_t)tolower(data[i]);
			bits >>= 1;
			left--;
		}
	}
}

const char *
dname_str(const ldns_rdf *name, char *buf, size_t len)
{
	char *s = name != NULL ? ldns_rdf2str(name) : NULL;

	strlcpy(buf, s != NULL ? s : "?", len);
	free(s);
	return buf;
}
