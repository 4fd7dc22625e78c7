/*
 * fastpath.h: client query bytes in, reply bytes out. The daemon parses
 * each query here (header, question and OPT only, no allocation), answers
 * cache hits straight from the answer cache, and turns the engine's answers
 * into client replies with the same code (ID, RD, CD, question case, OPT,
 * EDE, truncation).
 */
#ifndef DESCEND_FASTPATH_H
#define DESCEND_FASTPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "answer_cache.h"

/* A parsed client query; qname points into the query buffer. */
struct client_query {
	uint16_t id;
	bool rd, cd;
	bool ad;			/* the client understands AD (RFC 6840 §5.7) */
	uint8_t opcode;
	const uint8_t *qname;		/* uncompressed wire form, as sent */
	size_t qname_len;
	uint16_t qtype, qclass;
	bool edns;
	bool dnssec_ok;
	uint8_t edns_version;
	uint16_t udp_size;		/* the client's buffer; 512 without EDNS */
	uint8_t key[ANSWER_KEY_MAX];	/* answer cache key */
	size_t keylen;
};

enum query_check {
	QUERY_OK,
	QUERY_DROP,		/* not a query at all (QR set, too short): no reply */
	QUERY_FORMERR,		/* a query we can't parse: FORMERR */
	QUERY_NOTIMP,		/* an opcode other than QUERY */
	QUERY_BADVERS,		/* EDNS version other than 0 */
};

/* Parses a client's query. */
enum query_check fastpath_parse_query(const uint8_t *wire, size_t len,
    struct client_query *query);

/*
 * Writes a reply to `query` from an engine answer (ID 0, question, answer
 * and authority sections, no OPT) into `out` (capacity `cap`, at least 512):
 * ID, RD, CD and the question's case from the query, an OPT record when
 * the query had one (with an Extended DNS Error when ede >= 0), TC=1 and
 * no records when it does not fit the client's buffer (`over_tcp`: 65535).
 * Returns the reply length, 0 if the answer is malformed.
 */
size_t fastpath_reply(const struct client_query *query, const uint8_t *answer,
    size_t answer_len, int ede, const char *ede_text, bool over_tcp,
    uint8_t *out, size_t cap);

/* A reply with only the header and question and `rcode` (REFUSED, FORMERR...). */
size_t fastpath_error_reply(const uint8_t *query_wire, size_t query_len,
    const struct client_query *query, unsigned rcode, uint8_t *out,
    size_t cap);

/*
 * The cache-hit path: when `cache` holds a fresh answer for the query,
 * writes the reply into out and returns its length; 0 on a miss.
 * *prefetch is set when the entry should be refreshed in the background.
 */
size_t fastpath_answer(struct answer_cache *cache,
    const struct client_query *query, time_t now, bool over_tcp,
    uint8_t *out, size_t cap, bool *prefetch);
/* The same with the key's answer_cache_hash() computed by the caller. */
size_t fastpath_answer_hashed(struct answer_cache *cache,
    const struct client_query *query, uint32_t hash, time_t now,
    bool over_tcp, uint8_t *out, size_t cap, bool *prefetch);

#endif /* DESCEND_FASTPATH_H */
