/*
 * render.c: writes a DNS message from ldns records with ldns's name
 * compression (same bytes), one buffer and a small hash table instead of a
 * packet of cloned records, an rbtree of cloned names and a label copy per
 * name written (build_answer spent ~20k instructions a message there).
 */
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "wire_bytes.h"

/* ldns only remembers names written where a pointer can reach them. */
#define POINTER_MAX	16384

static inline uint8_t
ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 'a' - 'A') : c;
}

/* FNV-1a of the suffix without case: equal names (ldns_dname_compare) meet. */
static uint32_t
name_hash(const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ ascii_lower(name[i])) * 16777619u;
	return h;
}

static bool
name_same(const uint8_t *a, const uint8_t *b, size_t len)
{
	/* Length bytes are below 64, never letters: they compare exactly. */
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

static const struct render_name *
name_find(const struct render *r, const uint8_t *name, size_t len,
    uint32_t hash)
{
	for (int i = r->buckets[hash % RENDER_BUCKETS]; i >= 0;
	    i = r->names[i].next) {
		const struct render_name *n = &r->names[i];

		if (n->hash == hash && n->len == len &&
		    name_same(n->name, name, len))
			return n;
	}
	return NULL;
}

static void
name_add(struct render *r, const uint8_t *name, size_t len, uint32_t hash)
{
	struct render_name *n;

	if (r->name_count == r->name_cap) {
		size_t cap = r->name_cap * 2;
		struct render_name *names = malloc(cap * sizeof(*names));

		if (names == NULL) {
			r->failed = true;
			return;
		}
		memcpy(names, r->names, r->name_count * sizeof(*names));
		if (r->names != r->inline_names)
			free(r->names);
		r->names = names;
		r->name_cap = cap;
	}
	n = &r->names[r->name_count];
	n->name = name;
	n->len = (uint16_t)len;
	n->offset = (uint16_t)r->len;
	n->hash = hash;
	n->next = r->buckets[hash % RENDER_BUCKETS];
	r->buckets[hash % RENDER_BUCKETS] = (int)r->name_count++;
}

static void
put_bytes(struct render *r, const void *data, size_t len)
{
	if (r->failed || len > r->cap - r->len) {
		r->failed = true;
		return;
	}
	memcpy(r->wire + r->len, data, len);
	r->len += len;
}

static void
put_u16(struct render *r, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	put_bytes(r, b, 2);
}

/*
 * ldns_dname2buffer_wire_compress: the longest suffix written before (any
 * case) becomes a pointer; each suffix written in full before it is
 * remembered, when a pointer can reach it.
 */
static void
put_name(struct render *r, const ldns_rdf *rdf)
{
	const uint8_t *name = ldns_rdf_data(rdf);
	size_t size = ldns_rdf_size(rdf), pos = 0;

	while (!r->failed && pos < size && name[pos] != 0) {
		size_t len = size - pos, label = (size_t)name[pos] + 1;
		uint32_t hash = name_hash(name + pos, len);
		const struct render_name *n = name_find(r, name + pos, len,
		    hash);

		if (n != NULL) {
			put_u16(r, (uint16_t)(0xc000 | n->offset));
			return;
		}
		if (label > len) {		/* a label past the name's end */
			r->failed = true;
			return;
		}
		if (r->len < POINTER_MAX)
			name_add(r, name + pos, len, hash);
		put_bytes(r, name + pos, label);
		pos += label;
	}
	if (pos >= size)
		r->failed = true;		/* no root label */
	else
		put_bytes(r, "", 1);
}

size_t
render_rr_size(const ldns_rr *rr)
{
	size_t size = 10;

	if (rr == NULL)
		return 0;
	if (ldns_rr_owner(rr) != NULL)
		size += ldns_rdf_size(ldns_rr_owner(rr));
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
		if (ldns_rr_rdf(rr, i) != NULL)
			size += ldns_rdf_size(ldns_rr_rdf(rr, i));
	return size;
}

bool
render_begin(struct render *r, size_t cap, uint16_t id, uint16_t flags)
{
	memset(r, 0, offsetof(struct render, inline_names));
	for (size_t i = 0; i < RENDER_BUCKETS; i++)
		r->buckets[i] = -1;
	r->names = r->inline_names;
	r->name_cap = RENDER_NAMES_INLINE;
	if (cap < 12 || (r->wire = malloc(cap)) == NULL) {
		r->failed = true;
		return false;
	}
	r->cap = cap;
	put_u16(r, id);
	put_u16(r, flags);
	put_bytes(r, "\0\0\0\0\0\0\0\0", 8);
	return true;
}

void
render_question(struct render *r, const ldns_rdf *name, uint16_t type,
    uint16_t klass)
{
	if (name == NULL) {
		r->failed = true;
		return;
	}
	put_name(r, name);
	put_u16(r, type);
	put_u16(r, klass);
	r->counts[LDNS_SECTION_QUESTION]++;
}

void
render_rr(struct render *r, const ldns_rr *rr, ldns_pkt_section section)
{
	bool compress;
	size_t rdlen_at;

	if (rr == NULL || ldns_rr_owner(rr) == NULL ||
	    section > LDNS_SECTION_ADDITIONAL) {
		r->failed = true;
		return;
	}
	compress = ldns_rr_descript(ldns_rr_get_type(rr))->_compress ==
	    LDNS_RR_COMPRESS;
	put_name(r, ldns_rr_owner(rr));
	put_u16(r, (uint16_t)ldns_rr_get_type(rr));
	put_u16(r, (uint16_t)ldns_rr_get_class(rr));
	put_u16(r, (uint16_t)(ldns_rr_ttl(rr) >> 16));
	put_u16(r, (uint16_t)ldns_rr_ttl(rr));
	rdlen_at = r->len;
	put_u16(r, 0);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *rdf = ldns_rr_rdf(rr, i);

		if (rdf == NULL)
			r->failed = true;
		else if (compress &&
		    ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME)
			put_name(r, rdf);
		else
			put_bytes(r, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
	}
	if (r->failed)
		return;
	if (r->len - rdlen_at - 2 > UINT16_MAX) {
		r->failed = true;
		return;
	}
	put16(r->wire + rdlen_at, (uint16_t)(r->len - rdlen_at - 2));
	if (r->counts[section] == UINT16_MAX)
		r->failed = true;
	r->counts[section]++;
}

uint8_t *
render_finish(struct render *r, size_t *len)
{
	uint8_t *wire = r->wire;

	if (r->names != r->inline_names)
		free(r->names);
	r->names = NULL;
	r->wire = NULL;
	if (r->failed) {
		free(wire);
		return NULL;
	}
	for (int s = 0; s < 4; s++)
		put16(wire + 4 + 2 * s, r->counts[s]);
	*len = r->len;
	return wire;
}
