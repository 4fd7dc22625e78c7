/*
 * local_zones.c: answers for special-use names, built with ldns (these are
 * rare queries; the fast path is elsewhere).
 */
#include <string.h>

#include <ldns/ldns.h>

#include "dname.h"
#include "local_zones.h"

static const char *const local_zones[] = {
	"localhost.", "invalid.", "home.arpa.", "test.",
	"127.in-addr.arpa.", "0.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
	"10.in-addr.arpa.", "168.192.in-addr.arpa.", "254.169.in-addr.arpa.",
	"16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.",
	"19.172.in-addr.arpa.", "20.172.in-addr.arpa.", "21.172.in-addr.arpa.",
	"22.172.in-addr.arpa.", "23.172.in-addr.arpa.", "24.172.in-addr.arpa.",
	"25.172.in-addr.arpa.", "26.172.in-addr.arpa.", "27.172.in-addr.arpa.",
	"28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.",
	"31.172.in-addr.arpa.", "2.0.192.in-addr.arpa.",
	"100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
	"d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.",
	"b.e.f.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
};

/* The local data a zone holds besides its SOA and NS. */
static const char *const local_records[] = {
	"localhost. 10800 IN A 127.0.0.1",
	"localhost. 10800 IN AAAA ::1",
	"1.0.0.127.in-addr.arpa. 10800 IN PTR localhost.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa."
	    " 10800 IN PTR localhost.",
};

static void
push(ldns_pkt *pkt, ldns_pkt_section section, const char *text)
{
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK)
		ldns_pkt_push_rr(pkt, section, rr);
}

size_t
local_zone_answer(const struct client_query *q, uint8_t *out, size_t cap)
{
	ldns_rdf *qname = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
	    q->qname_len, q->qname);
	const char *zone = NULL;
	bool has_data = false, name_exists = false;
	char soa[300];
	ldns_pkt *pkt = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	if (qname == NULL || q->qclass != LDNS_RR_CLASS_IN)
		goto out;
	for (size_t i = 0; zone == NULL &&
	    i < sizeof(local_zones) / sizeof(local_zones[0]); i++) {
		ldns_rdf *z = ldns_dname_new_frm_str(local_zones[i]);

		if (z != NULL && dname_in_bailiwick(qname, z))
			zone = local_zones[i];
		ldns_rdf_deep_free(z);
	}
	if (zone == NULL || (pkt = ldns_pkt_new()) == NULL)
		goto out;
	{
		ldns_rr *question = ldns_rr_new();

		ldns_rr_set_owner(question, ldns_rdf_clone(qname));
		ldns_rr_set_type(question, q->qtype);
		ldns_rr_set_class(question, q->qclass);
		ldns_rr_set_question(question, true);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, question);
	}
	for (size_t i = 0; i < sizeof(local_records) / sizeof(local_records[0]);
	    i++) {
		ldns_rr *rr = NULL;

		if (ldns_rr_new_frm_str(&rr, local_records[i], 0, NULL, NULL) !=
		    LDNS_STATUS_OK)
			continue;
		if (dname_equal(ldns_rr_owner(rr), qname)) {
			name_exists = true;
			if (ldns_rr_get_type(rr) == q->qtype) {
				ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
				has_data = true;
				continue;
			}
		}
		ldns_rr_free(rr);
	}
	{
		ldns_rdf *z = ldns_dname_new_frm_str(zone);

		if (z != NULL && dname_equal(z, qname))
			name_exists = true;
		ldns_rdf_deep_free(z);
	}
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, true);
	ldns_pkt_set_ra(pkt, true);
	ldns_pkt_set_rcode(pkt, name_exists ? LDNS_RCODE_NOERROR :
	    LDNS_RCODE_NXDOMAIN);
	if (!has_data) {
		snprintf(soa, sizeof(soa), "%s 10800 IN SOA localhost. "
		    "nobody.invalid. 1 3600 1200 604800 10800", zone);
		push(pkt, LDNS_SECTION_AUTHORITY, soa);
	}
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || len > cap)
		len = 0;
	else
		memcpy(out, wire, len);
out:
	free(wire);
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(qname);
	return len;
}

size_t
local_any_answer(const struct client_query *q, uint8_t *out, size_t cap)
{
	static const uint8_t header[12] = { 0, 0, 0x81, 0x80, 0, 1, 0, 1 };
	static const uint8_t hinfo[] = {
		0xc0, 12,			/* the question's name */
		0, LDNS_RR_TYPE_HINFO, 0, LDNS_RR_CLASS_IN,
		0, 0, 0x0e, 0x10,		/* TTL 3600 */
		0, 9, 7, 'R', 'F', 'C', '8', '4', '8', '2', 0,
	};
	size_t question = sizeof(header) + q->qname_len;

	if (question + 4 + sizeof(hinfo) > cap)
		return 0;
	memcpy(out, header, sizeof(header));
	memcpy(out + sizeof(header), q->qname, q->qname_len);
	ldns_write_uint16(out + question, q->qtype);
	ldns_write_uint16(out + question + 2, q->qclass);
	memcpy(out + question + 4, hinfo, sizeof(hinfo));
	return question + 4 + sizeof(hinfo);
}
