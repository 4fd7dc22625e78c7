/*
 * cds.c: the CDS and CDNSKEY records (RFC 7344, RFC 8078) each server of a
 * signed cut gives, against the zone's DNSKEY RRset and the parent's DS
 * (Zonemaster DNSSEC15-18), and the state of an algorithm rollover (RFC
 * 6781 §4.1.4: every algorithm of the DNSKEY RRset signs every RRset, and
 * every algorithm of the DS has a key that signs the DNSKEY RRset).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cds.h"
#include "dname.h"
#include "dnssec_probe.h"

/* What the findings of one zone are made of: a kind, its servers. */
enum cds_problem {
	P_CDS_ALONE, P_CDNSKEY_ALONE, P_MISMATCH, P_CDS_DIFFER,
	P_CDNSKEY_DIFFER,
	P_CDS_UNSIGNED, P_CDS_NO_KEY, P_CDS_NOT_SIGNER, P_CDS_MIXED_DELETE,
	P_CDNSKEY_UNSIGNED, P_CDNSKEY_NO_KEY, P_CDNSKEY_NOT_SIGNER,
	P_CDNSKEY_MIXED_DELETE,
	P_CDS_NOT_BY_DS, P_CDNSKEY_NOT_BY_DS,
	P_CDS_DELETE, P_CDNSKEY_DELETE,
	P_COUNT
};

static const struct {
	const char *code;
	enum finding_severity severity;
} problem_kinds[P_COUNT] = {
	[P_CDS_ALONE] = { "DNSSEC15", SEVERITY_WARNING },
	[P_CDNSKEY_ALONE] = { "DNSSEC15", SEVERITY_WARNING },
	[P_MISMATCH] = { "DNSSEC15", SEVERITY_WARNING },
	[P_CDS_DIFFER] = { "DNSSEC15", SEVERITY_WARNING },
	[P_CDNSKEY_DIFFER] = { "DNSSEC15", SEVERITY_WARNING },
	[P_CDS_UNSIGNED] = { "DNSSEC16", SEVERITY_ERROR },
	[P_CDS_NO_KEY] = { "DNSSEC16", SEVERITY_ERROR },
	[P_CDS_NOT_SIGNER] = { "DNSSEC16", SEVERITY_WARNING },
	[P_CDS_MIXED_DELETE] = { "DNSSEC16", SEVERITY_ERROR },
	[P_CDNSKEY_UNSIGNED] = { "DNSSEC17", SEVERITY_ERROR },
	[P_CDNSKEY_NO_KEY] = { "DNSSEC17", SEVERITY_ERROR },
	[P_CDNSKEY_NOT_SIGNER] = { "DNSSEC17", SEVERITY_WARNING },
	[P_CDNSKEY_MIXED_DELETE] = { "DNSSEC17", SEVERITY_ERROR },
	[P_CDS_NOT_BY_DS] = { "DNSSEC18", SEVERITY_ERROR },
	[P_CDNSKEY_NOT_BY_DS] = { "DNSSEC18", SEVERITY_ERROR },
	[P_CDS_DELETE] = { "DNSSEC16", SEVERITY_NOTICE },
	[P_CDNSKEY_DELETE] = { "DNSSEC17", SEVERITY_NOTICE },
};

struct cds_zone {
	struct findings_ctx *ctx;
	const struct trace_cut *cut;
	const ldns_rr_list *ds;		/* the parent's DS (or the planned) */
	char zone[256];
	char detail[P_COUNT][300];	/* what, as the first server showed it */
	char servers[P_COUNT][600];	/* at which servers */
	char first_cds[2048], first_cdnskey[2048], first_who[300];
	bool first_seen;
	bool *header_printed;		/* one section header per trace */
};

/* What one server gave: each RRset with its signatures. */
struct cds_server {
	ldns_rr_list *keys, *key_sigs, *cds, *cds_sigs, *cdnskey,
	    *cdnskey_sigs;
	char who[340];			/* "name (address)" */
};

static void
note(struct cds_zone *z, enum cds_problem p, const char *who,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records problem `p` at server `who`; the first server's words are kept. */
static void
note(struct cds_zone *z, enum cds_problem p, const char *who,
    const char *fmt, ...)
{
	va_list ap;

	if (z->detail[p][0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(z->detail[p], sizeof(z->detail[p]), fmt, ap);
		va_end(ap);
	}
	if (strstr(z->servers[p], who) == NULL)
		trace_cat(z->servers[p], sizeof(z->servers[p]), ", ", who);
}

bool
cds_signed_by(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rr *key)
{
	ldns_rr_type type;

	if (rrset == NULL || ldns_rr_list_rr_count(rrset) == 0 || key == NULL)
		return false;
	type = ldns_rr_get_type(ldns_rr_list_rr(rrset, 0));
	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		ldns_rr *sig = ldns_rr_list_rr(sigs, i);

		if (ldns_rr_rrsig_typecovered(sig) == NULL ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) != type ||
		    ldns_rr_rrsig_keytag(sig) == NULL ||
		    ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig)) !=
		    ldns_calc_keytag(key) || ldns_rr_rrsig_signame(sig) == NULL ||
		    !dname_equal(ldns_rr_rrsig_signame(sig), ldns_rr_owner(key)))
			continue;
		/* One verification per signature with the key's tag. */
		if (ldns_verify_rrsig((ldns_rr_list *)rrset, sig,
		    (ldns_rr *)key) == LDNS_STATUS_OK)
			return true;
	}
	return false;
}

void
cds_rrset_text(const ldns_pkt *reply, ldns_rr_type type, char *buf,
    size_t len)
{
	ldns_rr_list *rrs = ldns_pkt_rr_list_by_type(reply, type,
	    LDNS_SECTION_ANSWER);

	buf[0] = '\0';
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr_set_ttl(ldns_rr_list_rr(rrs, i), 0);
		ldns_dname2canonical(ldns_rr_owner(ldns_rr_list_rr(rrs, i)));
	}
	if (rrs != NULL)
		ldns_rr_list_sort(rrs);
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(rrs, i));

		if (s != NULL)
			strlcat(buf, s, len);
		free(s);
	}
	ldns_rr_list_deep_free(rrs);
}

/* The RRset of `type` at `zone` in a reply and the RRSIGs over it. */
static void
rrset_of(const ldns_pkt *reply, const ldns_rdf *zone, ldns_rr_type type,
    ldns_rr_list **rrs, ldns_rr_list **sigs)
{
	*rrs = dnssec_probe_rrset(reply, zone, type);
	*sigs = dnssec_probe_sigs(reply, zone, type);
}

/* The zone key of `keys` with the same rdata as the CDNSKEY `c`. */
static const ldns_rr *
same_key(const ldns_rr *c, const ldns_rr_list *keys)
{
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(keys, i);
		bool same = ldns_rr_rd_count(k) == ldns_rr_rd_count(c);

		for (size_t j = 0; same && j < ldns_rr_rd_count(k); j++)
			same = ldns_rdf_compare(ldns_rr_rdf(k, j),
			    ldns_rr_rdf(c, j)) == 0;
		if (same)
			return k;
	}
	return NULL;
}

/* The DNSKEY of `keys` that the CDS `c` is the digest of. */
static const ldns_rr *
cds_key(const ldns_rr *c, const ldns_rr_list *keys, const ldns_rdf *zone)
{
	ldns_rr *ds = ldns_rr_clone(c);
	const ldns_rr *key;

	if (ds == NULL)
		return NULL;
	ldns_rr_set_type(ds, LDNS_RR_TYPE_DS);
	key = trace_chain_ds_match(ds, keys, zone);
	ldns_rr_free(ds);
	return key;
}

/* The keys of the set that the parent's DS records `dss` point to. */
static ldns_rr_list *
ds_keys(const ldns_rr_list *dss, const ldns_rr_list *keys,
    const ldns_rdf *zone)
{
	ldns_rr_list *out = ldns_rr_list_new();

	for (size_t i = 0; out != NULL && dss != NULL &&
	    i < ldns_rr_list_rr_count(dss); i++) {
		const ldns_rr *ds = ldns_rr_list_rr(dss, i);
		const ldns_rr *key;

		if (dname_equal(ldns_rr_owner(ds), zone) &&
		    (key = trace_chain_ds_match(ds, keys, zone)) != NULL)
			ldns_rr_list_push_rr(out, (ldns_rr *)key);
	}
	return out;	/* shallow: free with ldns_rr_list_free() */
}

static bool
signed_by_one_of(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rr_list *keys)
{
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++)
		if (cds_signed_by(rrset, sigs, ldns_rr_list_rr(keys, i)))
			return true;
	return false;
}

/* The tags of the keys in `keys` whose signature over `rrset` verifies. */
static void
signers(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rr_list *keys, char *buf, size_t len)
{
	char tag[16];

	buf[0] = '\0';
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++)
		if (cds_signed_by(rrset, sigs, ldns_rr_list_rr(keys, i))) {
			snprintf(tag, sizeof(tag), "%u", (unsigned)
			    ldns_calc_keytag(ldns_rr_list_rr(keys, i)));
			trace_cat(buf, len, " ", tag);
		}
}

static void
print_line(struct cds_zone *z, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
print_line(struct cds_zone *z, const char *fmt, ...)
{
	struct trace *t = z->ctx->trace;
	char line[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!*z->header_printed && t->format == TRACE_TEXT)
		fprintf(t->out, "== CDS, CDNSKEY and algorithms\n");
	*z->header_printed = true;
	trace_print(t, 0, "   %s", line);
}

/*
 * DNSSEC16 and 17 for one RRset (CDS or CDNSKEY) at one server: signed by
 * a key of the DNSKEY RRset, pointing to keys of it that sign the DNSKEY
 * RRset, and (DNSSEC18) signed by a key the parent's DS points to.
 */
static void
check_rrset(struct cds_zone *z, const struct cds_server *s, bool is_cds,
    const ldns_rr_list *ds_pointed)
{
	const ldns_rr_list *rrs = is_cds ? s->cds : s->cdnskey;
	const ldns_rr_list *sigs = is_cds ? s->cds_sigs : s->cdnskey_sigs;
	const char *name = is_cds ? "CDS" : "CDNSKEY";
	bool del = false, other = false;

	if (rrs == NULL || ldns_rr_list_rr_count(rrs) == 0)
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		const ldns_rr *key;
		/* RFC 8078 §4: algorithm 0 asks the parent to delete its DS. */
		unsigned alg = is_cds ? trace_rr_u8(rr, 1) : trace_rr_u8(rr, 2);
		unsigned tag = is_cds ? trace_rr_u16(rr, 0) : 0;

		if (alg == 0) {
			del = true;
			continue;
		}
		other = true;
		key = is_cds ? cds_key(rr, s->keys, ldns_rr_owner(rr)) :
		    same_key(rr, s->keys);
		if (!is_cds && key != NULL)
			tag = ldns_calc_keytag(key);
		else if (!is_cds) {
			ldns_rr *k = ldns_rr_clone(rr);

			if (k != NULL) {
				ldns_rr_set_type(k, LDNS_RR_TYPE_DNSKEY);
				tag = ldns_calc_keytag(k);
				ldns_rr_free(k);
			}
		}
		if (key == NULL)
			note(z, is_cds ? P_CDS_NO_KEY : P_CDNSKEY_NO_KEY, s->who,
			    "%s %u points to no key of the DNSKEY RRset", name,
			    tag);
		else if (!cds_signed_by(s->keys, s->key_sigs, key))
			note(z, is_cds ? P_CDS_NOT_SIGNER : P_CDNSKEY_NOT_SIGNER,
			    s->who, "%s %u points to DNSKEY %u, which does not "
			    "sign the DNSKEY RRset", name, tag, (unsigned)
			    ldns_calc_keytag(key));
	}
	if (del && other)
		note(z, is_cds ? P_CDS_MIXED_DELETE : P_CDNSKEY_MIXED_DELETE,
		    s->who, "the %s RRset mixes the delete record (algorithm "
		    "0) with others", name);
	else if (del)
		note(z, is_cds ? P_CDS_DELETE : P_CDNSKEY_DELETE, s->who, "%s with algorithm 0: the zone asks "
		    "its parent to remove the DS (RFC 8078 §4), the delegation "
		    "to become insecure", name);
	if (!signed_by_one_of(rrs, sigs, s->keys))
		note(z, is_cds ? P_CDS_UNSIGNED : P_CDNSKEY_UNSIGNED, s->who,
		    "the %s RRset has no signature by a key of the DNSKEY "
		    "RRset that verifies", name);
	else if (ds_pointed != NULL && ldns_rr_list_rr_count(ds_pointed) > 0 &&
	    !signed_by_one_of(rrs, sigs, ds_pointed))
		note(z, is_cds ? P_CDS_NOT_BY_DS : P_CDNSKEY_NOT_BY_DS, s->who,
		    "the %s RRset is not signed by a key the parent's DS points "
		    "to (RFC 7344 §4.1): the parent cannot trust it", name);
}

/* DNSSEC15: CDS and CDNSKEY together, matching each other. */
static void
check_pair(struct cds_zone *z, const struct cds_server *s)
{
	size_t n_cds = s->cds != NULL ? ldns_rr_list_rr_count(s->cds) : 0;
	size_t n_cdnskey = s->cdnskey != NULL ?
	    ldns_rr_list_rr_count(s->cdnskey) : 0;
	ldns_rr_list *as_keys;

	if (n_cds > 0 && n_cdnskey == 0)
		note(z, P_CDS_ALONE, s->who, "a CDS RRset without CDNSKEY");
	if (n_cdnskey > 0 && n_cds == 0)
		note(z, P_CDNSKEY_ALONE, s->who, "a CDNSKEY RRset without CDS");
	if (n_cds == 0 || n_cdnskey == 0 || (as_keys = ldns_rr_list_new()) ==
	    NULL)
		return;
	for (size_t i = 0; i < n_cdnskey; i++) {
		ldns_rr *k = ldns_rr_clone(ldns_rr_list_rr(s->cdnskey, i));

		if (k == NULL)
			continue;
		ldns_rr_set_type(k, LDNS_RR_TYPE_DNSKEY);
		if (!ldns_rr_list_push_rr(as_keys, k))
			ldns_rr_free(k);
	}
	/* Each CDS is the digest of a CDNSKEY, each CDNSKEY has a CDS. */
	for (size_t i = 0; i < n_cds; i++) {
		const ldns_rr *c = ldns_rr_list_rr(s->cds, i);

		if (trace_rr_u8(c, 1) != 0 && cds_key(c, as_keys,
		    ldns_rr_owner(c)) == NULL) {
			note(z, P_MISMATCH, s->who, "CDS %u is the digest of no "
			    "CDNSKEY", trace_rr_u16(c, 0));
			break;
		}
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(as_keys); i++) {
		const ldns_rr *k = ldns_rr_list_rr(as_keys, i);
		bool has = trace_rr_u8(k, 2) == 0;

		for (size_t j = 0; !has && j < n_cds; j++) {
			ldns_rr *ds = ldns_rr_clone(ldns_rr_list_rr(s->cds, j));

			if (ds == NULL)
				continue;
			ldns_rr_set_type(ds, LDNS_RR_TYPE_DS);
			has = ldns_rr_compare_ds(ds, k);
			ldns_rr_free(ds);
		}
		if (!has) {
			note(z, P_MISMATCH, s->who, "CDNSKEY %u has no CDS",
			    (unsigned)ldns_calc_keytag(k));
			break;
		}
	}
	ldns_rr_list_deep_free(as_keys);
}

static void
rr_tags(const ldns_rr_list *rrs, bool digest, char *buf, size_t len)
{
	char item[32];

	buf[0] = '\0';
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_rr *k = NULL;

		if (trace_rr_u8(rr, digest ? 1 : 2) == 0)
			strlcpy(item, "delete", sizeof(item));	/* RFC 8078 */
		else if (digest)
			snprintf(item, sizeof(item), "%u/%u/%u", trace_rr_u16(rr, 0),
			    trace_rr_u8(rr, 1), trace_rr_u8(rr, 2));
		else if ((k = ldns_rr_clone(rr)) != NULL) {
			ldns_rr_set_type(k, LDNS_RR_TYPE_DNSKEY);
			snprintf(item, sizeof(item), "%u/%u/%u", (unsigned)
			    ldns_calc_keytag(k), trace_rr_u16(rr, 0), trace_rr_u8(rr, 2));
			ldns_rr_free(k);
		} else
			continue;
		trace_cat(buf, len, " ", item);
	}
}

static void
server_free(struct cds_server *s)
{
	ldns_rr_list_deep_free(s->keys);
	ldns_rr_list_deep_free(s->key_sigs);
	ldns_rr_list_deep_free(s->cds);
	ldns_rr_list_deep_free(s->cds_sigs);
	ldns_rr_list_deep_free(s->cdnskey);
	ldns_rr_list_deep_free(s->cdnskey_sigs);
}

/*
 * The reply dnssec_probe.c already has from server `ts` for the zone's
 * DNSKEY or SOA (NULL in *reply: it gave none), so that no server is asked
 * twice; false when the probe did not ask it (--delegate's planned cut).
 */
static bool
probed(const struct cds_zone *z, const struct trace_server *ts,
    ldns_rr_type type, const ldns_pkt **reply)
{
	const struct dnssec_probe_cut *pc = dnssec_probe_find(
	    z->ctx->trace->probe, z->cut->zone);
	char addr[64];

	trace_addr_str((const struct sockaddr *)&ts->addr, addr, sizeof(addr));
	for (unsigned i = 0; pc != NULL && i < pc->child_count; i++) {
		const struct dnssec_probe_server *c = &pc->children[i];

		if (strcmp(c->addr, addr) != 0)
			continue;
		*reply = type == LDNS_RR_TYPE_DNSKEY ? c->dnskey : c->soa;
		return true;
	}
	return false;
}

/* The zone's `type` at `ts`: the probe's reply, else asked now (*asked). */
static const ldns_pkt *
zone_reply(struct cds_zone *z, const struct trace_server *ts,
    ldns_rr_type type, ldns_pkt **asked)
{
	const ldns_pkt *reply = NULL;

	*asked = NULL;
	if (type != LDNS_RR_TYPE_NS && probed(z, ts, type, &reply))
		return reply;
	*asked = findings_probe(z->ctx, z->cut->zone, type,
	    (const struct sockaddr *)&ts->addr, false);
	return *asked;
}

/* One server: its DNSKEY, CDS and CDNSKEY, the checks, a line. */
static void
check_server(struct cds_zone *z, const struct trace_server *ts)
{
	struct findings_ctx *ctx = z->ctx;
	const ldns_rdf *zone = z->cut->zone;
	const struct sockaddr *addr = (const struct sockaddr *)&ts->addr;
	struct cds_server s = { .keys = NULL };
	ldns_pkt *asked;
	const ldns_pkt *keys = zone_reply(z, ts, LDNS_RR_TYPE_DNSKEY, &asked);
	ldns_pkt *cds = keys != NULL ? findings_probe(ctx, zone,
	    LDNS_RR_TYPE_CDS, addr, false) : NULL;
	ldns_pkt *cdnskey = keys != NULL ? findings_probe(ctx, zone,
	    LDNS_RR_TYPE_CDNSKEY, addr, false) : NULL;
	char ip[64], cds_text[2048], cdnskey_text[2048], cds_tags[256],
	    cdnskey_tags[256], cds_signers[128], cdnskey_signers[128];
	ldns_rr_list *pointed;

	trace_addr_str(addr, ip, sizeof(ip));
	snprintf(s.who, sizeof(s.who), "%s (%s)", ts->name, ip);
	rrset_of(keys, zone, LDNS_RR_TYPE_DNSKEY, &s.keys, &s.key_sigs);
	rrset_of(cds, zone, LDNS_RR_TYPE_CDS, &s.cds, &s.cds_sigs);
	rrset_of(cdnskey, zone, LDNS_RR_TYPE_CDNSKEY, &s.cdnskey,
	    &s.cdnskey_sigs);
	if ((s.cds == NULL || ldns_rr_list_rr_count(s.cds) == 0) &&
	    (s.cdnskey == NULL || ldns_rr_list_rr_count(s.cdnskey) == 0))
		goto out;	/* nothing published: nothing to say */
	cds_rrset_text(cds, LDNS_RR_TYPE_CDS, cds_text, sizeof(cds_text));
	cds_rrset_text(cdnskey, LDNS_RR_TYPE_CDNSKEY, cdnskey_text,
	    sizeof(cdnskey_text));
	/* DNSSEC15: every server gives the same RRsets. */
	if (!z->first_seen) {
		z->first_seen = true;
		strlcpy(z->first_cds, cds_text, sizeof(z->first_cds));
		strlcpy(z->first_cdnskey, cdnskey_text,
		    sizeof(z->first_cdnskey));
		strlcpy(z->first_who, s.who, sizeof(z->first_who));
	} else {
		if (strcmp(cds_text, z->first_cds) != 0)
			note(z, P_CDS_DIFFER, s.who, "a CDS RRset other than "
			    "%s's", z->first_who);
		if (strcmp(cdnskey_text, z->first_cdnskey) != 0)
			note(z, P_CDNSKEY_DIFFER, s.who, "a CDNSKEY RRset "
			    "other than %s's", z->first_who);
	}
	check_pair(z, &s);
	pointed = ds_keys(z->ds, s.keys, zone);
	check_rrset(z, &s, true, pointed);
	check_rrset(z, &s, false, pointed);
	ldns_rr_list_free(pointed);
	rr_tags(s.cds, true, cds_tags, sizeof(cds_tags));
	rr_tags(s.cdnskey, false, cdnskey_tags, sizeof(cdnskey_tags));
	signers(s.cds, s.cds_sigs, s.keys, cds_signers, sizeof(cds_signers));
	signers(s.cdnskey, s.cdnskey_sigs, s.keys, cdnskey_signers,
	    sizeof(cdnskey_signers));
	print_line(z, "%s %s %s: CDS %s (signed by %s), CDNSKEY %s (signed by "
	    "%s)", z->zone, ts->name, ip, cds_tags[0] != '\0' ? cds_tags :
	    "none", cds_signers[0] != '\0' ? cds_signers : "no key",
	    cdnskey_tags[0] != '\0' ? cdnskey_tags : "none",
	    cdnskey_signers[0] != '\0' ? cdnskey_signers : "no key");
	trace_json(ctx->trace, "cds", "zone", z->zone, "server", ts->name,
	    "address", ip, "cds", cds_tags, "cds_signers", cds_signers,
	    "cdnskey", cdnskey_tags, "cdnskey_signers", cdnskey_signers, NULL);
out:
	server_free(&s);
	ldns_pkt_free(asked);
	ldns_pkt_free(cds);
	ldns_pkt_free(cdnskey);
}

/*
 * The algorithm rollover state of a zone whose DNSKEY RRset has two
 * algorithms or more, from one server: each algorithm must sign the
 * DNSKEY, SOA and NS RRsets, each DS algorithm must have a key that
 * signs the DNSKEY RRset (RFC 6781 §4.1.4, RFC 4035 §2.2).
 */
static void
check_rollover(struct cds_zone *z, const struct trace_server *ts)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_DNSKEY,
	    LDNS_RR_TYPE_SOA, LDNS_RR_TYPE_NS };
	struct findings_ctx *ctx = z->ctx;
	const ldns_rdf *zone = z->cut->zone;
	const ldns_rr_list *ds = z->ds;
	ldns_rr_list *rrs[3] = { NULL }, *sigs[3] = { NULL };
	char algs[64] = "", ds_algs[64] = "", why[600] = "", item[160];
	bool seen[256] = { false }, ds_seen[256] = { false }, fatal = false;
	unsigned count = 0;

	for (size_t i = 0; i < 3; i++) {
		ldns_pkt *asked;
		const ldns_pkt *reply = zone_reply(z, ts, types[i], &asked);

		rrset_of(reply, zone, types[i], &rrs[i], &sigs[i]);
		ldns_pkt_free(asked);
	}
	for (size_t i = 0; rrs[0] != NULL && i < ldns_rr_list_rr_count(rrs[0]);
	    i++) {
		const ldns_rr *k = ldns_rr_list_rr(rrs[0], i);
		unsigned flags = trace_rr_u16(k, 0), alg = trace_rr_u8(k, 2);

		if ((flags & 0x0100) == 0 || (flags & 0x0080) != 0 || seen[alg])
			continue;
		seen[alg] = true;
		count++;
		snprintf(item, sizeof(item), "%u", alg);
		trace_cat(algs, sizeof(algs), " ", item);
	}
	if (count < 2)
		goto out;
	/* Every algorithm of the key set signs every RRset. */
	for (unsigned alg = 0; alg < 256; alg++) {
		for (size_t r = 0; seen[alg] && r < 3; r++) {
			bool done = false;

			for (size_t i = 0; !done && i <
			    ldns_rr_list_rr_count(rrs[0]); i++) {
				const ldns_rr *k = ldns_rr_list_rr(rrs[0], i);

				done = trace_rr_u8(k, 2) == alg && cds_signed_by(
				    rrs[r], sigs[r], k);
			}
			if (!done) {
				char *type = ldns_rr_type2str(types[r]);

				snprintf(item, sizeof(item), "algorithm %u does "
				    "not sign the %s RRset", alg, type != NULL ?
				    type : "?");
				trace_cat(why, sizeof(why), "; ", item);
				free(type);
			}
		}
	}
	/* Every algorithm of the DS has a key that signs the key set. */
	for (size_t i = 0; ds != NULL && i < ldns_rr_list_rr_count(ds); i++) {
		const ldns_rr *d = ldns_rr_list_rr(ds, i);

		if (dname_equal(ldns_rr_owner(d), zone))
			ds_seen[trace_rr_u8(d, 1)] = true;
	}
	for (unsigned alg = 0; alg < 256; alg++) {
		bool done = false;

		if (!ds_seen[alg])
			continue;
		snprintf(item, sizeof(item), "%u", alg);
		trace_cat(ds_algs, sizeof(ds_algs), " ", item);
		for (size_t i = 0; !done && i < ldns_rr_list_rr_count(ds); i++) {
			const ldns_rr *d = ldns_rr_list_rr(ds, i);
			const ldns_rr *k;

			done = dname_equal(ldns_rr_owner(d), zone) &&
			    trace_rr_u8(d, 1) == alg && (k = trace_chain_ds_match(d,
			    rrs[0], zone)) != NULL && cds_signed_by(rrs[0],
			    sigs[0], k);
		}
		if (!done) {
			fatal = true;
			snprintf(item, sizeof(item), "the DS of algorithm %u "
			    "points to no key that signs the DNSKEY RRset", alg);
			trace_cat(why, sizeof(why), "; ", item);
		}
	}
	print_line(z, "%s algorithms %s in the DNSKEY RRset, DS algorithms %s: "
	    "an algorithm rollover in progress, %s%s%s", z->zone, algs,
	    ds_algs[0] != '\0' ? ds_algs : "none", why[0] != '\0' ? "unsafe: " :
	    "safe", why, why[0] != '\0' ? "" : " (every algorithm signs the "
	    "DNSKEY, SOA and NS RRsets)");
	trace_json(ctx->trace, "rollover", "zone", z->zone, "algorithms", algs,
	    "ds_algorithms", ds_algs, "state", why[0] != '\0' ? "unsafe" :
	    "safe", "why", why, NULL);
	/* A safe rollover is said above; only an unsafe one is a finding. */
	if (why[0] != '\0')
		trace_finding(ctx->trace, fatal ? SEVERITY_ERROR :
		    SEVERITY_WARNING, "DESCEND-ROLLOVER", zone, "an algorithm "
		    "rollover in an unsafe state (DNSKEY algorithms %s, DS "
		    "algorithms %s): %s (RFC 6781 §4.1.4: every algorithm of the "
		    "DNSKEY RRset must sign every RRset; a resolver that knows "
		    "only one of them may find the zone bogus)", algs,
		    ds_algs[0] != '\0' ? ds_algs : "none", why);
out:
	for (size_t i = 0; i < 3; i++) {
		ldns_rr_list_deep_free(rrs[i]);
		ldns_rr_list_deep_free(sigs[i]);
	}
}

/* Whether the zone of `cut` is signed, as far as the trace knows. */
static bool
cut_signed(const struct trace *t, const struct trace_cut *cut)
{
	if (cut->has_ds)
		return true;
	for (unsigned i = 0; i < t->dnssec_count; i++)
		if (dname_equal(t->dnssec[i].zone, cut->zone))
			return t->dnssec[i].status == SEC_SECURE ||
			    t->dnssec[i].status == SEC_BOGUS;
	return false;
}

/* One cut: each server's CDS and CDNSKEY, one server's rollover state. */
static void
check_cut(struct findings_ctx *ctx, const struct trace_cut *cut,
    const ldns_rr_list *ds, bool *header_printed)
{
	struct trace *t = ctx->trace;
	struct cds_zone *z = calloc(1, sizeof(*z));
	bool rollover = false;

	if (z == NULL)
		return;
	z->ctx = ctx;
	z->cut = cut;
	z->ds = ds;
	z->header_printed = header_printed;
	dname_str(cut->zone, z->zone, sizeof(z->zone));
	for (unsigned s = 0; s < cut->server_count; s++) {
		if (cut->servers[s].lame || cut->servers[s].timed_out)
			continue;
		check_server(z, &cut->servers[s]);
		if (!rollover) {
			check_rollover(z, &cut->servers[s]);
			rollover = true;
		}
	}
	for (unsigned p = 0; p < P_COUNT; p++)
		if (z->servers[p][0] != '\0')
			trace_finding(t, problem_kinds[p].severity,
			    problem_kinds[p].code, cut->zone, "%s: %s",
			    z->servers[p], z->detail[p]);
	free(z);
}

void
cds_check(struct findings_ctx *ctx)
{
	struct trace *t = ctx->trace;
	bool header_printed = false;

	if (t->dnssec_count == 0)
		return;		/* no cut known signed (trace_chain_unvalidated) */
	for (unsigned i = 0; i < t->cut_count; i++) {
		const struct trace_cut *cut = &t->cuts[i];
		bool later = false;

		for (unsigned j = i + 1; j < t->cut_count; j++)
			later |= dname_equal(t->cuts[j].zone, cut->zone);
		if (!later && !cut->planned && cut_signed(t, cut))
			check_cut(ctx, cut, t->ds_seen, &header_printed);
	}
}

void
cds_check_planned(struct findings_ctx *ctx, const struct trace_cut *cut,
    const ldns_rr_list *ds)
{
	bool header_printed = false;

	check_cut(ctx, cut, ds, &header_printed);
}
