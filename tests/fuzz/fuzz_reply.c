/*
 * fuzz_reply.c: an upstream reply as hostile as it gets: parsed, scrubbed
 * and classified against several zone cuts and questions, then walked for
 * TTL offsets and stored in the answer cache as the fast path would (its
 * owner names read for the RRsets the answer follows). The scrub that
 * takes the records out of the packet (reply_scrub_take, the iterator's)
 * must give the view the copying one gives: it aborts otherwise.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer_cache.h"
#include "reply.h"
#include "rrset_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether two records are the same bytes, names' case and TTL included. */
static bool
rr_identical(const ldns_rr *a, const ldns_rr *b)
{
	ldns_buffer *x = ldns_buffer_new(512), *y = ldns_buffer_new(512);
	bool same = x != NULL && y != NULL &&
	    ldns_rr2buffer_wire(x, a, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK &&
	    ldns_rr2buffer_wire(y, b, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK &&
	    ldns_buffer_position(x) == ldns_buffer_position(y) &&
	    memcmp(ldns_buffer_begin(x), ldns_buffer_begin(y),
	    ldns_buffer_position(x)) == 0;

	ldns_buffer_free(x);
	ldns_buffer_free(y);
	return same;
}

static bool
list_identical(const ldns_rr_list *a, const ldns_rr_list *b)
{
	if (ldns_rr_list_rr_count(a) != ldns_rr_list_rr_count(b))
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(a); i++)
		if (!rr_identical(ldns_rr_list_rr(a, i), ldns_rr_list_rr(b, i)))
			return false;
	return true;
}

static bool
rdf_identical(const ldns_rdf *a, const ldns_rdf *b)
{
	return (a == NULL) == (b == NULL) && (a == NULL ||
	    (ldns_rdf_size(a) == ldns_rdf_size(b) &&
	    memcmp(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a)) == 0));
}

/* The view reply_scrub_take makes of another parse of the same reply. */
static void
check_taken_view(const uint8_t *data, size_t size,
    const struct reply_context *ctx, const struct reply_view *v)
{
	ldns_pkt *pkt = NULL;
	struct reply_view w;

	if (!reply_parse(data, size, &pkt))
		abort();	/* it parsed once */
	if (reply_scrub_take(pkt, ctx, &w)) {
		reply_classify(pkt, ctx, &w);
		if (w.klass != v->klass || w.rcode != v->rcode ||
		    w.authoritative != v->authoritative ||
		    w.target_in_zone != v->target_in_zone ||
		    w.other_types != v->other_types || w.has_ds != v->has_ds ||
		    w.why != v->why || w.taken != NULL ||
		    !rdf_identical(w.target, v->target) ||
		    !rdf_identical(w.referral_zone, v->referral_zone) ||
		    !list_identical(w.chain, v->chain) ||
		    !list_identical(w.answer, v->answer) ||
		    !list_identical(w.soa, v->soa) ||
		    !list_identical(w.ns, v->ns) ||
		    !list_identical(w.glue, v->glue) ||
		    !list_identical(w.sigs, v->sigs) ||
		    !list_identical(w.ds, v->ds) ||
		    !list_identical(w.nsec, v->nsec))
			abort();
		reply_view_clear(&w);
	}
	ldns_pkt_free(pkt);	/* the records it kept, not the view's */
}

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
				check_taken_view(data, size, &ctx, &v);
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
