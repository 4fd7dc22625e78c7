/*
 * render.h: a DNS message written straight to wire from ldns records, its
 * names compressed the way ldns_pkt2buffer_wire compresses them (the same
 * bytes), without building a packet of cloned records for it.
 */
#ifndef DESCEND_RENDER_H
#define DESCEND_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* Compression-table entries kept inline; more are allocated. */
#define RENDER_NAMES_INLINE	64
#define RENDER_BUCKETS		128

/* A name suffix written at `offset`: where a later equal one points. */
struct render_name {
	const uint8_t *name;		/* the suffix's bytes, in a record */
	uint16_t len;
	uint16_t offset;
	uint32_t hash;
	int next;			/* in its bucket, -1: none */
};

struct render {
	uint8_t *wire;
	size_t len, cap;
	uint16_t counts[4];		/* records per section */
	bool failed;			/* out of room or memory, bad record */
	struct render_name *names;
	size_t name_count, name_cap;
	int buckets[RENDER_BUCKETS];
	struct render_name inline_names[RENDER_NAMES_INLINE];
};

/*
 * Bytes a record takes uncompressed (owner, type, class, TTL, length,
 * rdata): what the message needs at most.
 */
size_t render_rr_size(const ldns_rr *rr);

/*
 * Starts a message of at most `cap` bytes: the header with `id` and the
 * flags (second and third bytes), counts filled in by render_finish.
 */
bool render_begin(struct render *r, size_t cap, uint16_t id, uint16_t flags);

/* The question (names written here may be pointed at later). */
void render_question(struct render *r, const ldns_rdf *name, uint16_t type,
    uint16_t klass);

/*
 * One record into `section` (LDNS_SECTION_ANSWER ...). Its owner, and the
 * names of its rdata when ldns compresses that type, are compressed. The
 * record's names must stay until render_finish.
 */
void render_rr(struct render *r, const ldns_rr *rr, ldns_pkt_section section);

/*
 * Fills in the counts and hands the message over (malloc'd, *len bytes);
 * NULL when anything failed. Either way the render is finished.
 */
uint8_t *render_finish(struct render *r, size_t *len);

#endif /* DESCEND_RENDER_H */
