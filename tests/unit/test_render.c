/*
 * test_render.c: the engine's own wire helpers give ldns's answers: name
 * equality as ldns_dname_compare sees it, lowercase names as
 * ldns_dname2canonical makes them, and messages rendered with
 * render.c byte for byte as ldns_pkt2buffer_wire renders them.
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dname.h"
#include "render.h"
#include "tap.h"

/* A DNAME rdf of raw bytes (malformed ones too: ldns_dname_new copies). */
static ldns_rdf *
raw_name(const char *bytes, size_t len)
{
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, bytes);
}

static void
test_dname_equal(void)
{
	static const char *names[] = { ".", "com.", "COM.", "cOm.", "example.com.",
	    "Example.COM.", "example.co.", "example.con.", "xample.com.",
	    "www.example.com.", "WWW.EXAMPLE.COM.", "www.example.com.example.",
	    "a.b.c.d.e.f.", "A.B.C.D.E.F.", "ab.c.d.e.f.", "a.bc.d.e.f.",
	    "@[.`{.com.", "`.com.", "@.com.", "[.com.", "{.com.", "\\128.com.",
	    "\\192.com.", "\\224.com.", "\\000.com.", "\\032.com.", "Z.com.",
	    "z.com." };
	/*
	 * Odd forms ldns_dname_compare answers for within their bytes (it
	 * reads past names without a root label): bytes after the root
	 * label, a root label first.
	 */
	static const struct { const char *bytes; size_t len; } raw[] = {
	    { "\003com\000\001x", 7 }, { "\003COM\000", 5 },
	    { "\003com\000\000", 6 }, { "\000\003com", 5 },
	    { "\001x\003com\000\003com", 11 } };
	size_t n = sizeof(names) / sizeof(names[0]);
	size_t m = sizeof(raw) / sizeof(raw[0]);
	ldns_rdf *rdfs[64];
	unsigned same = 0, total = 0, equal = 0;

	for (size_t i = 0; i < n; i++)
		rdfs[i] = ldns_dname_new_frm_str(names[i]);
	for (size_t i = 0; i < m; i++)
		rdfs[n + i] = raw_name(raw[i].bytes, raw[i].len);
	for (size_t i = 0; i < n + m; i++)
		for (size_t j = 0; j < n + m; j++) {
			bool want = ldns_dname_compare(rdfs[i], rdfs[j]) == 0;

			total++;
			equal += want;
			if (dname_equal(rdfs[i], rdfs[j]) == want)
				same++;
			else
				diag("pair %zu %zu: dname_equal says %d", i, j,
				    !want);
		}
	ok(same == total, "dname_equal agrees with ldns_dname_compare on "
	    "%u of %u pairs (%u equal)", same, total, equal);
	ok(dname_equal(NULL, NULL) && !dname_equal(rdfs[0], NULL) &&
	    !dname_equal(NULL, rdfs[0]), "NULL names as ldns has them");
	for (size_t i = 0; i < n + m; i++)
		ldns_rdf_deep_free(rdfs[i]);
}

/* dname_canonical lowercases as ldns_dname2canonical does, byte for byte. */
static void
test_dname_canonical(void)
{
	unsigned same = 0, total = 0;

	/* Every byte value in a label, and in a name's every position. */
	for (unsigned b = 0; b < 256; b++) {
		uint8_t wire[] = { 3, 'A', (uint8_t)b, 'z', 3, 'C', 'o', 'M', 0 };
		ldns_rdf *x = raw_name((const char *)wire, sizeof(wire));
		ldns_rdf *y = raw_name((const char *)wire, sizeof(wire));

		dname_canonical(x);
		ldns_dname2canonical(y);
		total++;
		same += memcmp(ldns_rdf_data(x), ldns_rdf_data(y),
		    sizeof(wire)) == 0;
		ldns_rdf_deep_free(x);
		ldns_rdf_deep_free(y);
	}
	ok(same == total, "dname_canonical gives ldns_dname2canonical's "
	    "bytes for every byte value: %u of %u", same, total);
}

/* Records of every shape build_answer meets, names sharing suffixes. */
static const char *pool[] = {
	"www.example.com. 300 IN A 192.0.2.1",
	"WWW.Example.COM. 300 IN A 192.0.2.2",
	"www.example.com. 300 IN AAAA 2001:db8::1",
	"alias.example.com. 60 IN CNAME www.example.com.",
	"alias.example.org. 60 IN CNAME Alias.Example.COM.",
	"x.alias.example.org. 60 IN DNAME other.example.NET.",
	"example.com. 3600 IN NS ns1.example.com.",
	"example.com. 3600 IN NS ns.other-zone.net.",
	"example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. "
	    "2024010101 7200 3600 1209600 300",
	"Example.com. 3600 IN MX 10 mail.example.COM.",
	"_sip._tcp.example.com. 300 IN SRV 10 5 5060 sip.example.com.",
	"example.com. 300 IN TXT \"v=spf1 -all\" \"second string\"",
	"ptr.example.com. 300 IN PTR www.example.com.",
	"www.example.com. 300 IN RRSIG A 13 3 300 20300101000000 "
	    "20200101000000 12345 example.com. "
	    "yO8Lr3aOQbT5BjXg3jeAHYBC9N1Ju2J0GH+H0sbC2ITvUXe8Xo0zVwdsy3OIMnC"
	    "CYxKrVJ3O1YvG3iFuxXLCrQ==",
	"example.com. 300 IN NSEC a.example.com. A NS SOA MX RRSIG NSEC DNSKEY",
	"example.com. 300 IN DNSKEY 257 3 13 "
	    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxIL"
	    "fDLUT0rAK9iUzy1L53eKGQ==",
	"example.com. 300 IN DS 12345 13 2 "
	    "3490A6806D47F17A34C29E2CE80E8A999FFBE4BE5D7BA1F3A3DB2B6D56A1D73E",
	"a.b.c.d.e.f.example.com. 300 IN A 192.0.2.9",
	"f.example.com. 300 IN NS a.b.c.d.e.f.example.com.",
	". 300 IN NS a.root-servers.net.",
	"com. 300 IN NS A.GTLD-servers.net.",
	"hinfo.example.com. 300 IN HINFO \"PC\" \"Unix\"",
	"example.com. 300 IN CAA 0 issue \"ca.example.net\"",
	"xn--bcher-kva.example. 300 IN A 192.0.2.3",
	"\\065\\.dot.example.com. 300 IN A 192.0.2.4",
};

/* ldns_pkt2buffer_wire of the packet, as the engine rendered it before. */
static uint8_t *
ldns_render(const ldns_pkt *pkt, size_t *len)
{
	ldns_buffer *buf = ldns_buffer_new(512);
	uint8_t *wire = NULL;

	if (ldns_pkt2buffer_wire(buf, pkt) == LDNS_STATUS_OK) {
		*len = ldns_buffer_position(buf);
		wire = ldns_buffer_export(buf);
	}
	ldns_buffer_free(buf);
	return wire;
}

/*
 * One message both ways: the question `qname`, then `count` records of
 * `rrs`, each in sections[i]; header flags as build_answer sets them.
 */
static bool
same_as_ldns(const ldns_rdf *qname, ldns_rr **rrs, const int *sections,
    size_t count, uint16_t flags, size_t *out_len)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = ldns_rr_new();
	struct render r;
	size_t cap = 16 + ldns_rdf_size(qname), len = 0, mine_len = 0;
	uint8_t *theirs, *mine;
	bool same;

	ldns_rr_set_owner(q, ldns_rdf_clone(qname));
	ldns_rr_set_type(q, LDNS_RR_TYPE_A);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	ldns_pkt_set_qr(pkt, (flags & 0x8000) != 0);
	ldns_pkt_set_ra(pkt, (flags & 0x0080) != 0);
	ldns_pkt_set_ad(pkt, (flags & 0x0020) != 0);
	ldns_pkt_set_rcode(pkt, flags & 0x0f);
	for (size_t i = 0; i < count; i++) {
		ldns_pkt_push_rr(pkt, (ldns_pkt_section)sections[i],
		    ldns_rr_clone(rrs[i]));
		cap += render_rr_size(rrs[i]);
	}
	theirs = ldns_render(pkt, &len);
	render_begin(&r, cap, 0, flags);
	render_question(&r, qname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	/* Rendered section by section, as the packet is. */
	for (int s = LDNS_SECTION_ANSWER; s <= LDNS_SECTION_ADDITIONAL; s++)
		for (size_t i = 0; i < count; i++)
			if (sections[i] == s)
				render_rr(&r, rrs[i], (ldns_pkt_section)s);
	mine = render_finish(&r, &mine_len);
	same = theirs != NULL && mine != NULL && len == mine_len &&
	    memcmp(theirs, mine, len) == 0;
	if (!same) {
		size_t at = 0;

		while (theirs != NULL && mine != NULL && at < len &&
		    at < mine_len && theirs[at] == mine[at])
			at++;
		diag("%zu records: ldns %zu bytes, render %zu, first "
		    "difference at byte %zu", count, len, mine_len, at);
	}
	*out_len = mine_len;
	free(theirs);
	free(mine);
	ldns_pkt_free(pkt);
	return same;
}

static void
test_render_matches_ldns(void)
{
	size_t n = sizeof(pool) / sizeof(pool[0]);
	ldns_rr *rrs[sizeof(pool) / sizeof(pool[0])], *pick[64];
	int sections[64];
	ldns_rdf *qnames[3];
	unsigned same = 0, total = 0, parsed = 0;
	size_t len;
	uint32_t seed = 12345;

	for (size_t i = 0; i < n; i++) {
		rrs[i] = NULL;
		if (ldns_rr_new_frm_str(&rrs[i], pool[i], 0, NULL, NULL) ==
		    LDNS_STATUS_OK)
			parsed++;
		else
			diag("cannot parse %s", pool[i]);
	}
	ok(parsed == n, "%u of %zu records parsed", parsed, n);
	qnames[0] = ldns_dname_new_frm_str("www.example.com.");
	qnames[1] = ldns_dname_new_frm_str("ALIAS.example.org.");
	qnames[2] = ldns_dname_new_frm_str(".");
	/* Each record alone in the answer, then 300 random messages. */
	for (size_t i = 0; i < n; i++) {
		sections[0] = LDNS_SECTION_ANSWER;
		total++;
		same += rrs[i] != NULL &&
		    same_as_ldns(qnames[i % 3], &rrs[i], sections, 1, 0x8080, &len);
	}
	for (int m = 0; m < 300; m++) {
		size_t count;

		seed = seed * 1103515245 + 12345;
		count = 1 + (seed >> 16) % 64;
		for (size_t i = 0; i < count; i++) {
			seed = seed * 1103515245 + 12345;
			pick[i] = rrs[(seed >> 16) % n];
			sections[i] = LDNS_SECTION_ANSWER + (int)((seed >> 8) % 3);
		}
		total++;
		same += same_as_ldns(qnames[m % 3], pick, sections, count,
		    (uint16_t)(0x8080 | (m & 1 ? 0x20 : 0) | (m % 6)), &len);
	}
	ok(same == total, "render gives ldns_pkt2buffer_wire's bytes: %u of "
	    "%u messages", same, total);
	for (size_t i = 0; i < n; i++)
		ldns_rr_free(rrs[i]);
	for (int i = 0; i < 3; i++)
		ldns_rdf_deep_free(qnames[i]);
}

/*
 * Past 16 KiB ldns remembers no more names (a pointer cannot reach them),
 * and hundreds of distinct names outgrow the inline table.
 */
static void
test_render_large(void)
{
	ldns_rr *rrs[400];
	int sections[400];
	ldns_rdf *qname = ldns_dname_new_frm_str("big.example.com.");
	char text[512];
	size_t len = 0;
	bool same;

	for (int i = 0; i < 400; i++) {
		rrs[i] = NULL;
		/* The "late" names are first written past 16 KiB, then again. */
		snprintf(text, sizeof(text), "n%d.%s%d.example.com. 60 IN TXT "
		    "\"%080d\"", i, i < 300 ? "sub" : "late", i % 37, i);
		ldns_rr_new_frm_str(&rrs[i], text, 0, NULL, NULL);
		sections[i] = i % 2 ? LDNS_SECTION_ANSWER :
		    LDNS_SECTION_ADDITIONAL;
	}
	same = same_as_ldns(qname, rrs, sections, 400, 0x8083, &len);
	ok(same && len > 16384, "a %zu-byte message with 400 names: ldns's "
	    "bytes", len);
	for (int i = 0; i < 400; i++)
		ldns_rr_free(rrs[i]);
	ldns_rdf_deep_free(qname);
}

/* A record cut short by an allocation failure fails the message. */
static void
test_render_refuses_broken(void)
{
	ldns_rr *rr = NULL;
	ldns_rdf *qname = ldns_dname_new_frm_str("www.example.com.");
	struct render r;
	size_t len;
	uint8_t *wire;

	ldns_rr_new_frm_str(&rr, "www.example.com. 60 IN A 192.0.2.1", 0,
	    NULL, NULL);
	/* 49 bytes: header, question, a pointer, 10 bytes, the address. */
	render_begin(&r, 48, 0, 0x8080);
	render_question(&r, qname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	render_rr(&r, rr, LDNS_SECTION_ANSWER);
	wire = render_finish(&r, &len);
	ok(wire == NULL, "a message past its room is refused");
	free(wire);
	render_begin(&r, 512, 0, 0x8080);
	render_question(&r, qname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN);
	render_rr(&r, NULL, LDNS_SECTION_ANSWER);
	wire = render_finish(&r, &len);
	ok(wire == NULL, "a missing record is refused");
	free(wire);
	ldns_rr_free(rr);
	ldns_rdf_deep_free(qname);
}

int
main(void)
{
	test_dname_equal();
	test_dname_canonical();
	test_render_matches_ldns();
	test_render_large();
	test_render_refuses_broken();
	return tap_done();
}
