/*
 * test_reply_parse.c: upstream replies from wire: header flags and EDNS
 * carried over, and the records no honest reply to us holds refused (a
 * TSIG, two of them as in the leak fuzz_reply found, an OPT twice or
 * outside the additional section), so ldns never gets to leak them.
 */
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
	return tap_done();
}
