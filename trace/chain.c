/*
 * chain.c: the chain of trust at every zone cut, after the resolution: the
 * DS RRset the parent gave, the zone's DNSKEY RRset, which DS matches which
 * key, and the validator's verdict for the cut, with the DNSSEC findings.
 */
#include <stdio.h>
#include <string.h>

#include "dname.h"
#include "trace.h"

/* RFC 8914's names for the codes the validator gives. */
static const char *
ede_name(int ede)
{
	switch (ede) {
	case 1:		return "Unsupported DNSKEY Algorithm";
	case 2:		return "Unsupported DS Digest Type";
	case 6:		return "DNSSEC Bogus";
	case 7:		return "Signature Expired";
	case 8:		return "Signature Not Yet Valid";
	case 9:		return "DNSKEY Missing";
	case 10:	return "RRSIGs Missing";
	case 11:	return "No Zone Key Bit Set";
	case 12:	return "NSEC Missing";
	case 27:	return "Unsupported NSEC3 Iterations Value";
	}
	return "Other";
}

static unsigned
rdf_u8(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);

	return f != NULL && ldns_rdf_size(f) >= 1 ? ldns_rdf_data(f)[0] : 0;
}

static unsigned
rdf_u16(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);

	return f != NULL && ldns_rdf_size(f) >= 2 ? (unsigned)
	    (ldns_rdf_data(f)[0] << 8 | ldns_rdf_data(f)[1]) : 0;
}

/* The DNSKEY of `keys` owned by `zone` that `ds` is the digest of. */
static const ldns_rr *
ds_match(const ldns_rr *ds, const ldns_rr_list *keys, const ldns_rdf *zone)
{
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *key = ldns_rr_list_rr(keys, i);

		if (dname_equal(ldns_rr_owner(key), zone) &&
		    ldns_rr_compare_ds(ds, key))
			return key;
	}
	return NULL;
}

/*
 * Whether `key` signs its zone's DNSKEY RRset: an RRSIG(DNSKEY) seen with
 * its tag and algorithm. -1: no RRSIG(DNSKEY) of the zone was seen at all.
 */
static int
key_signs_keyset(const struct trace *t, const ldns_rr *key,
    const ldns_rdf *zone)
{
	const ldns_rr_list *sigs = t->dnskey_sigs;
	int seen = -1;

	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);

		if (!dname_equal(ldns_rr_owner(sig), zone))
			continue;
		seen = 0;
		if (rdf_u16(sig, 6) == ldns_calc_keytag(key) &&
		    rdf_u8(sig, 1) == rdf_u8(key, 2))
			return 1;
	}
	return seen;
}

/* The matching above, for the picture's DS->DNSKEY edges (dot.c). */
const ldns_rr *
trace_chain_ds_match(const ldns_rr *ds, const ldns_rr_list *keys,
    const ldns_rdf *zone)
{
	return ds_match(ds, keys, zone);
}

int
trace_chain_key_signs(const struct trace *t, const ldns_rr *key,
    const ldns_rdf *zone)
{
	return key_signs_keyset(t, key, zone);
}

static void
cat(char *buf, size_t len, const char *sep, const char *item)
{
	if (buf[0] != '\0')
		strlcat(buf, sep, len);
	strlcat(buf, item, len);
}

/* One zone's block: text lines, one JSON "chain" line, its findings. */
static void
chain_zone(struct trace *t, const struct trace_dnssec_zone *z,
    const ldns_rdf *parent_zone)
{
	const ldns_rr_list *ds = t->ds_seen, *keys = t->dnskey_seen;
	char zone[256], verdict[256], ede[16] = "", ede_note[64] = "";
	char item[128], parent[256];
	char ds_text[512] = "", key_text[512] = "", match_text[512] = "";
	char ds_tags[128] = "", key_tags[128] = "", signers[128] = "";
	unsigned ds_count = 0, key_count = 0, matched = 0;
	bool root = ldns_dname_label_count(z->zone) == 0;

	dname_str(z->zone, zone, sizeof(zone));
	dname_str(parent_zone, parent, sizeof(parent));
	if (z->ede >= 0) {
		snprintf(ede, sizeof(ede), "%d", z->ede);
		snprintf(ede_note, sizeof(ede_note), " (EDE %d %s)", z->ede,
		    ede_name(z->ede));
	}
	snprintf(verdict, sizeof(verdict), "%s: %s%s",
	    sec_status_name(z->status), z->why, ede_note);
	trace_print(t, 0, "   %s %s", zone, verdict);
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *key = ldns_rr_list_rr(keys, i);
		unsigned flags = rdf_u16(key, 0);

		if (!dname_equal(ldns_rr_owner(key), z->zone))
			continue;
		key_count++;
		snprintf(item, sizeof(item), "%u", (unsigned)
		    ldns_calc_keytag(key));
		cat(key_tags, sizeof(key_tags), " ", item);
		snprintf(item, sizeof(item), "%u/%u/%u",
		    (unsigned)ldns_calc_keytag(key), flags, rdf_u8(key, 2));
		cat(key_text, sizeof(key_text), " ", item);
		if (key_signs_keyset(t, key, z->zone) == 1) {
			snprintf(item, sizeof(item), "%u",
			    (unsigned)ldns_calc_keytag(key));
			cat(signers, sizeof(signers), " ", item);
		}
		trace_print(t, 0, "      DNSKEY %u flags %u (%s) algorithm %u%s",
		    (unsigned)ldns_calc_keytag(key), flags, flags & 0x0080 ?
		    "revoked" : (flags & 0x0101) == 0x0101 ? "KSK" :
		    flags & 0x0100 ? "ZSK" : "no Zone Key bit", rdf_u8(key, 2),
		    key_signs_keyset(t, key, z->zone) == 1 ?
		    ", signs the DNSKEY RRset" : "");
	}
	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ds, i);
		const ldns_rr *key;

		if (!dname_equal(ldns_rr_owner(rr), z->zone))
			continue;
		ds_count++;
		key = ds_match(rr, keys, z->zone);
		snprintf(item, sizeof(item), "%u", rdf_u16(rr, 0));
		cat(ds_tags, sizeof(ds_tags), " ", item);
		snprintf(item, sizeof(item), "%u/%u/%u", rdf_u16(rr, 0),
		    rdf_u8(rr, 1), rdf_u8(rr, 2));
		cat(ds_text, sizeof(ds_text), " ", item);
		/* DNSSEC02: the key must also sign the DNSKEY RRset (when
		 * its signatures were seen: a cached key set has none). */
		if (key != NULL && key_signs_keyset(t, key, z->zone) != 0)
			matched++;
		if (key != NULL) {
			snprintf(item, sizeof(item), "%u->%u", rdf_u16(rr, 0),
			    (unsigned)ldns_calc_keytag(key));
			cat(match_text, sizeof(match_text), " ", item);
		}
		if (key != NULL)
			trace_print(t, 0, "      DS %u algorithm %u digest type "
			    "%u -> DNSKEY %u", rdf_u16(rr, 0), rdf_u8(rr, 1),
			    rdf_u8(rr, 2), (unsigned)ldns_calc_keytag(key));
		else
			trace_print(t, 0, "      DS %u algorithm %u digest type "
			    "%u -> %s", rdf_u16(rr, 0), rdf_u8(rr, 1),
			    rdf_u8(rr, 2), key_count > 0 ? "matches no DNSKEY" :
			    "no DNSKEY seen");
	}
	if (ds_count == 0 && root)
		trace_print(t, 0, "      DS none: the root's keys are checked "
		    "against the trust anchor");
	else if (ds_count == 0 && z->status == SEC_INSECURE)
		trace_print(t, 0, "      DS none: %s proves there is none "
		    "(an insecure delegation)", parent);
	else if (ds_count == 0)
		trace_print(t, 0, "      DS none seen");
	trace_json(t, "chain", "zone", zone, "status",
	    sec_status_name(z->status), "why", z->why, "ede", ede, "ds",
	    ds_text, "dnskey", key_text, "match", match_text, "signers",
	    signers, NULL);
	/* Zonemaster DNSSEC02: the DS at the parent must match a key. */
	if (ds_count > 0 && key_count > 0 && matched == 0)
		trace_finding(t, SEVERITY_ERROR, "DNSSEC02", z->zone,
		    "no DS at the parent (key tag %s) matches a DNSKEY that "
		    "signs the zone's DNSKEY RRset (keys %s, signed by %s): "
		    "the chain of trust is broken", ds_tags, key_tags,
		    signers[0] != '\0' ? signers : "none seen");
	/* No Zonemaster ID says "bogus"; the EDE names the kind. */
	if (z->status == SEC_BOGUS)
		trace_finding(t, SEVERITY_ERROR, "DESCEND-BOGUS", z->zone,
		    "validation fails: %s%s", z->why, ede_note);
}

bool
trace_chain_cut(const struct trace *t, unsigned i, const ldns_rdf **parent)
{
	const struct trace_dnssec_zone *z = &t->dnssec[i];
	bool shown = z->cut || ldns_dname_label_count(z->zone) == 0;

	/*
	 * A zone cut the resolution crossed, the root, or a cut only the
	 * validator saw (a DS query proved it, the same servers serving both
	 * sides so no referral came); other owners' steps were folded into
	 * their zone's verdict already.
	 */
	for (unsigned j = 0; j < t->cut_count && !shown; j++)
		shown = !t->cuts[j].planned &&
		    dname_equal(t->cuts[j].zone, z->zone);
	*parent = NULL;
	if (!shown)
		return false;
	for (unsigned j = 0; j < t->dnssec_count; j++)
		if (j != i && dname_in_bailiwick(z->zone, t->dnssec[j].zone) &&
		    (*parent == NULL || ldns_dname_label_count(
		    t->dnssec[j].zone) > ldns_dname_label_count(*parent)))
			*parent = t->dnssec[j].zone;
	return true;
}

void
trace_chain_report(struct trace *t)
{
	if (t->dnssec_count == 0)
		return;		/* validation off: nothing was checked */
	if (t->format == TRACE_TEXT)
		fprintf(t->out, "== chain of trust\n");
	for (unsigned i = 0; i < t->dnssec_count; i++) {
		const ldns_rdf *parent;

		if (trace_chain_cut(t, i, &parent))
			chain_zone(t, &t->dnssec[i], parent != NULL ? parent :
			    t->dnssec[i].zone);
	}
}
