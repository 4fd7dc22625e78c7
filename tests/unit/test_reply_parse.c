/*
 * test_reply_parse.c: upstream replies from wire: header flags and EDNS
 * carried over, and the records no honest reply to us holds refused (a
 * TSIG, two of them as in the leak fuzz_reply found, an OPT twice or
 * outside the additional section), so ldns never gets to leak them.
 * And the iterator's scrub, which takes the records it keeps out of the
 * packet instead of copying them, makes the same view as the copying one.
 */
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "tap.h"

/* www.example.com A answered: ID 0xbeef, QR AA RD RA AD, NOERROR. */
#define HEADER(ar) 0xbe, 0xef, 0x85, 0xa0, 0, 1, 0, 1, 0, 0, 0, (ar)
#define QUESTION 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', \
	3, 'c', 'o', 'm', 0, 0, 1, 0, 1
#define ANSWER 0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 10
/* OPT: buffer 1232, extended rcode 0, version 0, DO. */
#define OPT 0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0
/* A TSIG with empty rdata, owner the root. */
#define TSIG 0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0

static bool
parses(const uint8_t *wire, size_t len)
{
	ldns_pkt *pkt = NULL;
	bool ok = reply_parse(wire, len, &pkt);

	ldns_pkt_free(pkt);
	return ok;
}

/* A reply to our 0x20 question, in wire form (*len bytes, malloc'd). */
static uint8_t *
mixed_case_reply(size_t *len)
{
	static const char *const sections[][4] = {
		{ "wWw.ExAmple.com. 300 IN CNAME Alias.Example.com.",
		  "alias.example.COM. 300 IN CNAME WWW.example.com." },
		{ "Example.com. 300 IN NS Ns1.Example.com.",
		  "example.com. 300 IN NS ns2.example.com.",
		  "sub.example.com. 300 IN DS 12345 13 2 "
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
		{ "NS1.example.com. 300 IN A 192.0.2.1",
		  "ns2.example.com. 300 IN AAAA 2001:db8::2",
		  "ns.other.net. 300 IN A 192.0.2.66" },
	};
	static const ldns_pkt_section at[] = { LDNS_SECTION_ANSWER,
	    LDNS_SECTION_AUTHORITY, LDNS_SECTION_ADDITIONAL };
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = NULL;
	uint8_t *wire = NULL;

	ldns_rr_new_question_frm_str(&q, "wWw.ExAmple.com. IN A", NULL, NULL);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, true);
	for (size_t s = 0; s < 3; s++)
		for (size_t i = 0; i < 4 && sections[s][i] != NULL; i++) {
			ldns_rr *rr = NULL;

			ldns_rr_new_frm_str(&rr, sections[s][i], 0, NULL, NULL);
			ldns_pkt_push_rr(pkt, at[s], rr);
		}
	if (ldns_pkt2wire(&wire, pkt, len) != LDNS_STATUS_OK)
		*len = 0;
	ldns_pkt_free(pkt);
	return wire;
}

/* A view list as text (names' case and TTLs shown); the caller frees it. */
static char *
list_text(const ldns_rr_list *list)
{
	return list != NULL ? ldns_rr_list2str(list) : strdup("");
}

static bool
lists_same(const ldns_rr_list *a, const ldns_rr_list *b)
{
	char *x = list_text(a), *y = list_text(b);
	bool same = x != NULL && y != NULL && strcmp(x, y) == 0;

	if (!same)
		diag("copied:\n%staken:\n%s", x, y);
	free(x);
	free(y);
	return same;
}

/* NULL places in a section: records the view took. */
static size_t
taken_places(const ldns_rr_list *section)
{
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(section); i++)
		n += ldns_rr_list_rr(section, i) == NULL;
	return n;
}

/*
 * The scrub the iterator runs takes the records the view keeps out of the
 * packet: the same view as reply_scrub's copies (lowercased names, the
 * alias loop's second sight of a record copied, the DS that is not the
 * referral's and the foreign glue left in the packet), and ldns_pkt_free
 * frees what is left (the sanitizer build sees any double free or leak).
 */
static void
test_scrub_take(void)
{
	size_t len;
	uint8_t *wire = mixed_case_reply(&len);
	ldns_pkt *copied = NULL, *taken = NULL;
	ldns_rdf *zone = ldns_dname_new_frm_str("example.com.");
	ldns_rdf *qname = ldns_dname_new_frm_str("wWw.ExAmple.com.");
	struct reply_context ctx = { .zone = zone, .qname = qname,
	    .qtype = LDNS_RR_TYPE_A, .klass = LDNS_RR_CLASS_IN };
	struct reply_view v, w;
	char *owner;

	ok(len > 0 && reply_parse(wire, len, &copied) &&
	    reply_parse(wire, len, &taken), "the mixed-case reply parses");
	if (copied == NULL || taken == NULL)
		goto out;
	ok(reply_scrub(copied, &ctx, &v) && reply_scrub_take(taken, &ctx, &w),
	    "both scrubs keep it");
	ok(lists_same(v.chain, w.chain) && lists_same(v.answer, w.answer) &&
	    lists_same(v.ns, w.ns) && lists_same(v.glue, w.glue) &&
	    lists_same(v.ds, w.ds) && lists_same(v.sigs, w.sigs) &&
	    ldns_dname_compare(v.target, w.target) == 0 && w.taken == NULL,
	    "taking makes the view copying makes");
	owner = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(w.chain, 0)));
	ok(ldns_rr_list_rr_count(w.chain) > 2 && owner != NULL &&
	    strcmp(owner, "www.example.com.") == 0 &&
	    ldns_rr_list_rr_count(w.ns) == 2 &&
	    ldns_rr_list_rr_count(w.glue) == 2 &&
	    ldns_rr_list_rr_count(w.ds) == 0, "the alias loop's records seen "
	    "again (%zu hops), two NS, two glue, no DS; %s lowercase",
	    ldns_rr_list_rr_count(w.chain), owner);
	free(owner);
	ok(taken_places(ldns_pkt_answer(taken)) == 2 &&
	    taken_places(ldns_pkt_authority(taken)) == 2 &&
	    ldns_rr_list_rr(ldns_pkt_authority(taken), 2) != NULL &&
	    taken_places(ldns_pkt_additional(taken)) == 2 &&
	    ldns_rr_list_rr(ldns_pkt_additional(taken), 2) != NULL &&
	    taken_places(ldns_pkt_answer(copied)) == 0,
	    "the packet let go of the 6 records taken once, kept the DS and "
	    "the foreign address");
	reply_view_clear(&v);
	reply_view_clear(&w);
out:
	ldns_pkt_free(copied);
	ldns_pkt_free(taken);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(qname);
	free(wire);
}

int
main(void)
{
	static const uint8_t plain[] = { HEADER(1), QUESTION, ANSWER, OPT };
	static const uint8_t tsig[] = { HEADER(1), QUESTION, ANSWER, TSIG };
	static const uint8_t two_tsigs[] = { HEADER(3), QUESTION, ANSWER, TSIG,
	    OPT, TSIG };
	static const uint8_t two_opts[] = { HEADER(2), QUESTION, ANSWER, OPT,
	    OPT };
	uint8_t opt_in_answer[] = { HEADER(0), QUESTION, OPT };
	ldns_pkt *pkt = NULL;

	ok(reply_parse(plain, sizeof(plain), &pkt) && pkt != NULL,
	    "a plain reply with EDNS parses");
	if (pkt != NULL) {
		/* Compared with true: ldns stores what it is given. */
		ok(ldns_pkt_id(pkt) == 0xbeef && ldns_pkt_qr(pkt) == true &&
		    ldns_pkt_aa(pkt) == true && ldns_pkt_rd(pkt) == true &&
		    ldns_pkt_ra(pkt) == true && ldns_pkt_ad(pkt) == true &&
		    !ldns_pkt_tc(pkt) && !ldns_pkt_cd(pkt) &&
		    ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOERROR,
		    "ID, flags and rcode carried over");
		ok(ldns_pkt_qdcount(pkt) == 1 && ldns_pkt_ancount(pkt) == 1 &&
		    ldns_pkt_arcount(pkt) == 0,
		    "one question, one answer, the OPT taken out of additional");
		ok(ldns_pkt_edns_udp_size(pkt) == 1232 && ldns_pkt_edns_do(pkt),
		    "EDNS buffer size and DO taken from the OPT");
		ldns_pkt_free(pkt);
	}
	ok(!parses(plain, 11), "a header cut short is refused");
	ok(!parses(plain, sizeof(plain) - 1), "a record cut short is refused");
	ok(!parses(tsig, sizeof(tsig)), "a TSIG (we never sign) is refused");
	ok(!parses(two_tsigs, sizeof(two_tsigs)),
	    "two TSIGs (ldns_wire2pkt leaks the first) are refused");
	ok(!parses(two_opts, sizeof(two_opts)), "a second OPT is refused");
	opt_in_answer[7] = 1;	/* ANCOUNT 1: the OPT is the answer */
	ok(!parses(opt_in_answer, sizeof(opt_in_answer)),
	    "an OPT outside the additional section is refused");
	test_scrub_take();
	return tap_done();
}
