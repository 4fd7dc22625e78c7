/*
 * test_fastpath.c: the daemon's byte work: parsing client queries (good,
 * malformed, EDNS, BADVERS), replies patched from cached answers (ID, RD,
 * CD, question case, TTL countdown, OPT, EDE, truncation), error replies.
 */
#include <string.h>

#include "answer_cache.h"
#include "fastpath.h"
#include "tap.h"

/* www.example.com A from a client: ID 0x1234, RD, mixed case. */
static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	3, 'W', 'w', 'W', 7, 'e', 'X', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
	0, 0, 1, 0, 1,
};

/* The same with an OPT record: buffer 1232, DO set. */
static const uint8_t query_edns[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
	0, 0, 1, 0, 1,
	0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0,
};

/* The engine's answer: ID 0, QR RA, TTL 3600. */
static const uint8_t answer[] = {
	0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
	0, 0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 10,
};

static uint32_t
ttl_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
main(void)
{
	struct client_query q;
	struct answer_cache *cache = answer_cache_new(1 << 20);
	uint8_t out[65600], bad[sizeof(query)];
	size_t n;
	bool prefetch;

	ok(fastpath_parse_query(query, sizeof(query), &q) == QUERY_OK,
	    "a plain query parses");
	ok(q.id == 0x1234 && q.rd && !q.edns && q.udp_size == 512 &&
	    q.qtype == 1 && q.qname_len == 17, "its header and question are read");
	ok(fastpath_parse_query(query, 11, &q) == QUERY_DROP,
	    "a short datagram is dropped");
	memcpy(bad, query, sizeof(query));
	bad[2] |= 0x80;
	ok(fastpath_parse_query(bad, sizeof(bad), &q) == QUERY_DROP,
	    "a response (QR set) is dropped, never answered");
	memcpy(bad, query, sizeof(query));
	bad[12] = 0xc0;
	ok(fastpath_parse_query(bad, sizeof(bad), &q) == QUERY_FORMERR,
	    "a compression pointer in the question is FORMERR");
	memcpy(bad, query, sizeof(query));
	bad[2] = 0x28;
	ok(fastpath_parse_query(bad, sizeof(bad), &q) == QUERY_NOTIMP,
	    "an UPDATE is NOTIMP");
	ok(fastpath_parse_query(query, sizeof(query) - 1, &q) == QUERY_FORMERR,
	    "a cut question is FORMERR");

	ok(answer_cache_store(cache, q.key, 0, answer, sizeof(answer), 0,
	    SEC_UNCHECKED, 100)
	    == false, "a zero TTL is not cached");
	fastpath_parse_query(query, sizeof(query), &q);
	ok(answer_cache_store(cache, q.key, q.keylen, answer, sizeof(answer),
	    3600, SEC_UNCHECKED, 1000), "an answer is cached");
	n = fastpath_answer(cache, &q, 1010, false, out, sizeof(out), &prefetch);
	ok(n == sizeof(answer), "a hit is answered from the cache");
	ok(out[0] == 0x12 && out[1] == 0x34 && (out[2] & 0x01) && (out[2] & 0x80),
	    "with the client's ID, RD and QR");
	ok(memcmp(out + 12, query + 12, 17) == 0,
	    "and the client's spelling of the name (0x20)");
	ok(ttl_at(out + 12 + 17 + 4 + 6) == 3590, "and the TTL counted down");
	ok(!prefetch, "no prefetch while the entry is young");
	n = fastpath_answer(cache, &q, 4300, false, out, sizeof(out), &prefetch);
	ok(n > 0 && prefetch, "a prefetch is asked for in the last tenth");
	n = fastpath_answer(cache, &q, 4600, false, out, sizeof(out), &prefetch);
	ok(n == 0, "an expired entry is a miss");

	ok(fastpath_parse_query(query_edns, sizeof(query_edns), &q) == QUERY_OK &&
	    q.edns && q.dnssec_ok && q.udp_size == 1232, "EDNS is read");
	n = fastpath_reply(&q, answer, sizeof(answer), 22, "no reachable",
	    false, out, sizeof(out));
	ok(n == sizeof(answer) + 11 + 4 + 2 + 12, "the reply gains an OPT with "
	    "an EDE option (%zu bytes)", n);
	ok(out[11] == 1 && out[sizeof(answer) + 7] == 0x80,
	    "ARCOUNT is one and DO is echoed");
	{
		static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0,
		    0x80, 0, 0, 0 };

		/* The hit path's own OPT (append_bare_opt), cached with DO. */
		ok(answer_cache_store(cache, q.key, q.keylen, answer,
		    sizeof(answer), 3600, SEC_UNCHECKED, 1000) &&
		    (n = fastpath_answer(cache, &q, 1010, false, out,
		    sizeof(out), &prefetch)) == sizeof(answer) + 11 &&
		    out[11] == 1 && memcmp(out + sizeof(answer), opt, 11) == 0,
		    "a hit with EDNS ends in an OPT without options: 1232 "
		    "bytes, DO echoed, ARCOUNT one");
		n = fastpath_answer(cache, &q, 1010, false, out,
		    sizeof(answer) + 10, &prefetch);
		ok(n == sizeof(answer) && out[11] == 0,
		    "and one that has no room for it goes without");
	}
	q.udp_size = 512;
	{
		uint8_t big[600];

		memcpy(big, answer, sizeof(answer));
		memset(big + sizeof(answer), 0, sizeof(big) - sizeof(answer));
		/* One long TXT-like record: grow RDLENGTH to fill 600 bytes. */
		big[sizeof(answer) - 6] = (uint8_t)((sizeof(big) - sizeof(answer) + 4) >> 8);
		big[sizeof(answer) - 5] = (uint8_t)(sizeof(big) - sizeof(answer) + 4);
		n = fastpath_reply(&q, big, sizeof(big), -1, NULL, false, out,
		    sizeof(out));
		ok(n > 0 && n < 100 && (out[2] & 0x02) && out[7] == 0,
		    "an answer over the client's buffer is TC=1 without records");
		n = fastpath_reply(&q, big, sizeof(big), -1, NULL, true, out,
		    sizeof(out));
		ok(n == sizeof(big) + 11 && !(out[2] & 0x02), "over TCP it fits");
	}
	memcpy(bad, query_edns, sizeof(query));
	{
		uint8_t v1[sizeof(query_edns)];

		memcpy(v1, query_edns, sizeof(v1));
		v1[sizeof(v1) - 5] = 1;	/* EDNS version 1 */
		ok(fastpath_parse_query(v1, sizeof(v1), &q) == QUERY_BADVERS,
		    "EDNS version 1 is BADVERS");
		n = fastpath_error_reply(v1, sizeof(v1), &q, 16, out, sizeof(out));
		ok(n > 12 && (out[3] & 0x0f) == 0 && out[n - 11 + 5] == 1,
		    "BADVERS goes in the OPT's extended rcode");
	}
	fastpath_parse_query(query, sizeof(query), &q);
	n = fastpath_error_reply(query, sizeof(query), &q, 5, out, sizeof(out));
	ok(n == sizeof(query) && (out[3] & 0x0f) == 5 && out[0] == 0x12,
	    "REFUSED echoes the ID and the question");
	{
		uint16_t offsets[4];

		ok(wire_ttl_offsets(answer, sizeof(answer), offsets, 4) == 1 &&
		    offsets[0] == 12 + 17 + 4 + 6, "TTL offsets are found");
		ok(wire_ttl_offsets(answer, sizeof(answer) - 1, offsets, 4) == -1,
		    "a cut message has none");
	}
	/*
	 * AD (RFC 6840 §5.7-5.8): the engine sets it on validated answers;
	 * the reply keeps it only for a client that asked with DO or AD.
	 */
	{
		uint8_t secure[sizeof(answer)], with_ad[sizeof(query)];

		memcpy(secure, answer, sizeof(answer));
		secure[3] |= 0x20;
		fastpath_parse_query(query, sizeof(query), &q);
		n = fastpath_reply(&q, secure, sizeof(secure), -1, NULL, false,
		    out, sizeof(out));
		ok(n > 0 && (out[3] & 0x20) == 0,
		    "ad_cleared_for_a_client_without_do_or_ad");
		fastpath_parse_query(query_edns, sizeof(query_edns), &q);
		n = fastpath_reply(&q, secure, sizeof(secure), -1, NULL, false,
		    out, sizeof(out));
		ok(n > 0 && (out[3] & 0x20) != 0, "ad_kept_for_a_do_client");
		memcpy(with_ad, query, sizeof(query));
		with_ad[3] |= 0x20;
		fastpath_parse_query(with_ad, sizeof(with_ad), &q);
		n = fastpath_reply(&q, secure, sizeof(secure), -1, NULL, false,
		    out, sizeof(out));
		ok(q.ad && n > 0 && (out[3] & 0x20) != 0,
		    "ad_kept_for_a_client_that_set_ad");
		fastpath_parse_query(query_edns, sizeof(query_edns), &q);
		n = fastpath_reply(&q, answer, sizeof(answer), -1, NULL, false,
		    out, sizeof(out));
		ok(n > 0 && (out[3] & 0x20) == 0,
		    "no_ad_on_an_unvalidated_answer_even_with_do");
	}
	answer_cache_free(cache);
	return tap_done();
}
