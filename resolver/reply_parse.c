/*
 * reply_parse.c: wire to ldns_pkt for upstream replies. ldns_wire2pkt
 * keeps only the last of several TSIG records and leaks the others (ldns
 * 1.8), so a hostile server could drain memory one reply at a time; this
 * loop reads the records with ldns_wire2rr itself and refuses what no
 * honest reply to our unsigned queries holds: a TSIG, or a second OPT
 * (RFC 6891 §6.1.1).
 */
#include <ldns/ldns.h>

#include "reply.h"

/* Takes the EDNS fields of an OPT record into the packet. */
static void
take_opt(ldns_pkt *pkt, ldns_rr *opt)
{
	uint32_t ttl = ldns_rr_ttl(opt);

	ldns_pkt_set_edns_udp_size(pkt, ldns_rr_get_class(opt));
	ldns_pkt_set_edns_extended_rcode(pkt, (uint8_t)(ttl >> 24));
	ldns_pkt_set_edns_version(pkt, (uint8_t)(ttl >> 16));
	ldns_pkt_set_edns_z(pkt, (uint16_t)ttl);
	if (ldns_rr_rd_count(opt) > 0)
		ldns_pkt_set_edns_data(pkt, ldns_rr_pop_rdf(opt));
}

bool
reply_parse(const uint8_t *wire, size_t len, ldns_pkt **out)
{
	static const ldns_pkt_section sections[] = { LDNS_SECTION_QUESTION,
	    LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
	    LDNS_SECTION_ADDITIONAL };
	ldns_pkt *pkt;
	size_t pos = LDNS_HEADER_SIZE;
	bool have_opt = false;

	*out = NULL;
	if (len < LDNS_HEADER_SIZE || (pkt = ldns_pkt_new()) == NULL)
		return false;
	/* ldns keeps flags as they are passed: give it 0 or 1, not the bit. */
	ldns_pkt_set_id(pkt, LDNS_ID_WIRE(wire));
	ldns_pkt_set_qr(pkt, LDNS_QR_WIRE(wire) != 0);
	ldns_pkt_set_opcode(pkt, LDNS_OPCODE_WIRE(wire));
	ldns_pkt_set_aa(pkt, LDNS_AA_WIRE(wire) != 0);
	ldns_pkt_set_tc(pkt, LDNS_TC_WIRE(wire) != 0);
	ldns_pkt_set_rd(pkt, LDNS_RD_WIRE(wire) != 0);
	ldns_pkt_set_ra(pkt, LDNS_RA_WIRE(wire) != 0);
	ldns_pkt_set_ad(pkt, LDNS_AD_WIRE(wire) != 0);
	ldns_pkt_set_cd(pkt, LDNS_CD_WIRE(wire) != 0);
	ldns_pkt_set_rcode(pkt, LDNS_RCODE_WIRE(wire));
	ldns_pkt_set_size(pkt, len);
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		unsigned count = ldns_read_uint16(wire + LDNS_QDCOUNT_OFF + 2 * s);

		for (unsigned i = 0; i < count; i++) {
			ldns_rr *rr = NULL;
			ldns_rr_type type;

			if (ldns_wire2rr(&rr, wire, len, &pos, sections[s]) !=
			    LDNS_STATUS_OK)
				goto refuse;
			type = ldns_rr_get_type(rr);
			if (type == LDNS_RR_TYPE_TSIG ||
			    (type == LDNS_RR_TYPE_OPT &&
			    (have_opt || sections[s] != LDNS_SECTION_ADDITIONAL))) {
				ldns_rr_free(rr);
				goto refuse;
			}
			if (type == LDNS_RR_TYPE_OPT) {
				take_opt(pkt, rr);
				ldns_rr_free(rr);
				have_opt = true;
			} else if (!ldns_pkt_push_rr(pkt, sections[s], rr)) {
				ldns_rr_free(rr);
				goto refuse;
			}
		}
	}
	*out = pkt;
	return true;
refuse:
	ldns_pkt_free(pkt);
	return false;
}
