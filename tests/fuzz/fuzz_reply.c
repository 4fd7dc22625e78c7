/*
 * fuzz_reply.c: an upstream reply as hostile as it gets: parsed, scrubbed
 * and classified against several zone cuts and questions, then walked for
 * TTL offsets and stored in the answer cache as the fast path would (its
 * owner names read for the RRsets the answer follows).
 */
#include <stdint.h>
#include <stdlib.h>

#include "answer_cache.h"
#include "reply.h"
#include "rrset_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const zones[] = { ".", "com.", "example.com." };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_pkt *pkt = NULL;
	uint16_t offsets[64];
	static struct answer_cache *cache;
	static struct rrset_cache *rrsets;

	if (cache == NULL) {
		cache = answer_cache_new(1 << 20);
		/* Following an RRset cache walks every owner name at store. */
		rrsets = rrset_cache_new(1 << 20);
		answer_cache_follow(cache, rrsets);
	}
	if (reply_parse(data, size, &pkt)) {
		const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);

		for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
			ldns_rdf *zone = ldns_dname_new_frm_str(zones[i]);
			ldns_rdf *www = ldns_dname_new_frm_str("www.example.com.");
			struct reply_context ctx = {
				.zone = zone,
				.qname = q != NULL ? ldns_rr_owner(q) : www,
				.qtype = q != NULL ? ldns_rr_get_type(q) :
				    LDNS_RR_TYPE_A,
				.klass = LDNS_RR_CLASS_IN,
			};
			struct reply_view v;

			if (reply_scrub(pkt, &ctx, &v)) {
				reply_classify(pkt, &ctx, &v);
				reply_view_clear(&v);
			}
			ldns_rdf_deep_free(zone);
			ldns_rdf_deep_free(www);
		}
		ldns_pkt_free(pkt);
	}
	if (wire_ttl_offsets(data, size, offsets, 64) >= 0) {
		uint8_t key[] = { 3, 'w', 'w', 'w', 0, 0, 1, 0, 1, 0 };
		uint8_t out[65536];
		size_t len;

		answer_cache_store(cache, key, sizeof(key), data, size, 60,
		    SEC_UNCHECKED, 1000);
		answer_cache_copy(cache, key, sizeof(key), 1010, true, out,
		    sizeof(out), &len, NULL, NULL);
		answer_cache_flush(cache, (const uint8_t *)"\003www", 5, true);
	}
	return 0;
}
