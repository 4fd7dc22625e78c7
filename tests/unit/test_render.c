/*
 * test_render.c: the engine's own wire helpers give ldns's answers: name
 * equality as ldns_dname_compare sees it.
 */
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dname.h"
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

int
main(void)
{
	test_dname_equal();
	return tap_done();
}
