/*
 * fastpath.c: the daemon's per-query byte work: parse a client query, and
 * build client replies from cached or fresh engine answers by patching
 * bytes, never by building packets.
 */
#include <stddef.h>
#include <string.h>

#include "fastpath.h"
#include "wire_bytes.h"

#define DNS_HEADER	12
#define TYPE_OPT	41
#define OPT_RR_SIZE	11
#define EDE_OPTION	15

enum query_check
fastpath_parse_query(const uint8_t *wire, size_t len,
    struct client_query *q)
{
	size_t off = DNS_HEADER;
	unsigned arcount;

	if (len < DNS_HEADER || (wire[2] & 0x80) != 0)
		return QUERY_DROP;
	/* All but the key, written last (zeroing its 260 bytes cost more
	 * than the rest of the parse). */
	memset(q, 0, offsetof(struct client_query, key));
	q->keylen = 0;
	q->id = get16(wire);
	q->opcode = (wire[2] >> 3) & 0x0f;
	q->rd = (wire[2] & 0x01) != 0;
	q->cd = (wire[3] & 0x10) != 0;
	q->ad = (wire[3] & 0x20) != 0;
	q->udp_size = 512;
	if (q->opcode != 0)
		return QUERY_NOTIMP;
	if (get16(wire + 4) != 1 || get16(wire + 6) != 0 ||
	    get16(wire + 8) != 0 || (arcount = get16(wire + 10)) > 1)
		return QUERY_FORMERR;
	/* The question name: plain labels only, compression makes no sense here. */
	q->qname = wire + off;
	for (;;) {
		if (off >= len || (wire[off] & 0xc0) != 0)
			return QUERY_FORMERR;
		if (wire[off] == 0)
			break;
		off += (size_t)wire[off] + 1;
	}
	off++;
	q->qname_len = off - DNS_HEADER;
	if (q->qname_len > 255 || off + 4 > len)
		return QUERY_FORMERR;
	q->qtype = get16(wire + off);
	q->qclass = get16(wire + off + 2);
	off += 4;
	if (arcount == 1) {
		uint16_t rdlen;

		if (off + OPT_RR_SIZE > len || wire[off] != 0 ||
		    get16(wire + off + 1) != TYPE_OPT)
			return QUERY_FORMERR;
		q->edns = true;
		q->udp_size = get16(wire + off + 3);
		if (q->udp_size < 512)
			q->udp_size = 512;
		q->edns_version = wire[off + 6];
		q->dnssec_ok = (wire[off + 7] & 0x80) != 0;
		rdlen = get16(wire + off + 9);
		off += OPT_RR_SIZE + rdlen;
		if (off > len)
			return QUERY_FORMERR;
		if (q->edns_version != 0)
			return QUERY_BADVERS;
	}
	if (off != len)
		return QUERY_FORMERR;
	q->keylen = answer_key(q->key, q->qname, q->qname_len, q->qtype,
	    q->qclass, q->dnssec_ok, q->cd);
	return QUERY_OK;
}

/* The OPT record's fixed part at `at`: root owner, our 1232-byte buffer. */
static inline void
put_opt(const struct client_query *q, uint8_t *at, size_t rdlen)
{
	at[0] = 0;
	put16(at + 1, TYPE_OPT);
	put16(at + 3, 1232);
	at[5] = 0;
	at[6] = 0;
	at[7] = q->dnssec_ok ? 0x80 : 0;
	at[8] = 0;
	put16(at + 9, (uint16_t)rdlen);
}

/*
 * Appends an OPT record without options at `off`; returns the new length
 * or 0. Inline: every cache hit with EDNS has one.
 */
static inline size_t
append_bare_opt(const struct client_query *q, uint8_t *out, size_t off,
    size_t cap)
{
	if (off + OPT_RR_SIZE > cap)
		return 0;
	put_opt(q, out + off, 0);
	put16(out + 10, (uint16_t)(get16(out + 10) + 1));
	return off + OPT_RR_SIZE;
}

/* Appends an OPT record (and EDE) at `off`; returns the new length or 0. */
static size_t
append_opt(const struct client_query *q, uint8_t *out, size_t off,
    size_t cap, int ede, const char *ede_text)
{
	size_t text_len = ede >= 0 && ede_text != NULL ? strlen(ede_text) : 0;
	size_t rdlen = ede >= 0 ? 4 + 2 + text_len : 0;

	if (ede < 0)
		return append_bare_opt(q, out, off, cap);
	if (text_len > 200)
		text_len = 200, rdlen = 6 + text_len;
	if (off + OPT_RR_SIZE + rdlen > cap)
		return 0;
	put_opt(q, out + off, rdlen);
	off += OPT_RR_SIZE;
	if (ede >= 0) {
		put16(out + off, EDE_OPTION);
		put16(out + off + 2, (uint16_t)(2 + text_len));
		put16(out + off + 4, (uint16_t)ede);
		memcpy(out + off + 6, ede_text, text_len);
		off += rdlen;
	}
	put16(out + 10, (uint16_t)(get16(out + 10) + 1));
	return off;
}

/*
 * Header fields the client's query decides. The engine sets AD on answers
 * it validated; only clients that asked with DO or AD keep it (RFC 6840
 * §5.7-5.8): others may not expect it.
 */
static void
patch_header(const struct client_query *q, uint8_t *out)
{
	uint8_t ad = q->dnssec_ok || q->ad ? 0x20 : 0;

	put16(out, q->id);
	out[2] = (uint8_t)((out[2] & ~0x01) | 0x80 | (q->rd ? 0x01 : 0));
	out[3] = (uint8_t)((out[3] & ~0x30) | 0x80 | (out[3] & ad) |
	    (q->cd ? 0x10 : 0));
}

/*
 * Turns the answer already copied into `out` into the client's reply.
 * Inline: the cache-hit path's frame and arguments cost as much as its
 * header patching.
 */
static inline size_t
finish_reply(const struct client_query *q, size_t answer_len, int ede,
    const char *ede_text, bool over_tcp, uint8_t *out, size_t cap)
{
	size_t limit = over_tcp ? 65535 : q->udp_size, len;

	if (limit > cap)
		limit = cap;
	if (answer_len < DNS_HEADER + q->qname_len + 4 || get16(out + 4) != 1)
		return 0;
	patch_header(q, out);
	/* Same name, maybe other case: give the client back its own spelling. */
	memcpy(out + DNS_HEADER, q->qname, q->qname_len);
	len = answer_len;
	if (q->edns) {
		size_t with_opt = ede < 0 ? append_bare_opt(q, out, len, cap) :
		    append_opt(q, out, len, cap, ede, ede_text);

		if (with_opt != 0)
			len = with_opt;
	}
	if (len > limit) {
		/* Truncated: header and question only, the client retries over TCP. */
		len = DNS_HEADER + q->qname_len + 4;
		out[2] |= 0x02;
		put16(out + 6, 0);
		put16(out + 8, 0);
		put16(out + 10, 0);
		if (q->edns)
			len = append_opt(q, out, len, cap, -1, NULL);
	}
	return len;
}

size_t
fastpath_reply(const struct client_query *q, const uint8_t *answer,
    size_t answer_len, int ede, const char *ede_text, bool over_tcp,
    uint8_t *out, size_t cap)
{
	if (answer_len > cap)
		return 0;
	memcpy(out, answer, answer_len);
	return finish_reply(q, answer_len, ede, ede_text, over_tcp, out, cap);
}

size_t
fastpath_error_reply(const uint8_t *query_wire, size_t query_len,
    const struct client_query *q, unsigned rcode, uint8_t *out, size_t cap)
{
	size_t len = DNS_HEADER;

	if (query_len < DNS_HEADER || cap < 512)
		return 0;
	memcpy(out, query_wire, DNS_HEADER);
	out[2] = (uint8_t)(0x80 | (query_wire[2] & 0x79));
	out[3] = (uint8_t)(0x80 | (rcode & 0x0f));
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	put16(out + 4, 0);
	if (q != NULL && q->qname != NULL && q->qname_len > 0) {
		memcpy(out + len, q->qname, q->qname_len);
		len += q->qname_len;
		put16(out + len, q->qtype);
		put16(out + len + 2, q->qclass);
		len += 4;
		put16(out + 4, 1);
	}
	if (q != NULL && q->edns) {
		size_t with_opt;

		if (rcode == 16) {	/* BADVERS: upper bits go into the OPT */
			out[3] = 0x80;
		}
		with_opt = append_opt(q, out, len, cap, -1, NULL);
		if (with_opt != 0) {
			if (rcode == 16)
				out[len + 5] = 1;
			len = with_opt;
		}
	}
	return len;
}

size_t
fastpath_answer(struct answer_cache *cache, const struct client_query *q,
    time_t now, bool over_tcp, uint8_t *out, size_t cap, bool *prefetch)
{
	return fastpath_answer_hashed(cache, q, answer_cache_hash(cache, q->key,
	    q->keylen), now, over_tcp, out, cap, prefetch);
}

size_t
fastpath_answer_hashed(struct answer_cache *cache, const struct client_query *q,
    uint32_t hash, time_t now, bool over_tcp, uint8_t *out, size_t cap,
    bool *prefetch)
{
	size_t answer_len;

	if (q->keylen == 0 ||
	    answer_cache_copy_hashed(cache, hash, q->key, q->keylen, now, false,
	    out, cap, &answer_len, prefetch, NULL) != ANSWER_FRESH)
		return 0;
	return finish_reply(q, answer_len, -1, NULL, over_tcp, out, cap);
}
