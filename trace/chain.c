/*
 * chain.c: the chain of trust at every zone cut, after the resolution: the
 * DS RRset the parent gave, the zone's DNSKEY RRset, which DS matches which
 * key, and the validator's verdict for the cut, with the DNSSEC findings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dname.h"
#include "dnssec_probe.h"
#include "engine_limits.h"
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
		if (trace_rr_u16(sig, 6) == ldns_calc_keytag(key) &&
		    trace_rr_u8(sig, 1) == trace_rr_u8(key, 2))
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

/*
 * Per server: what each parent server gives as DS and each child server as
 * DNSKEY, signatures and denial (dnssec_probe.c asked them). Identical
 * values are grouped so that the odd server stands out.
 */
#define VALUE_LEN	768

struct group {
	char value[VALUE_LEN];
	char key[VALUE_LEN];	/* what makes two values the same */
	char who[1024];		/* "name (addr), ..." in name order */
	unsigned count;
	bool answer;		/* a set, not "no reply" or an rcode */
};

struct grouping {
	struct group g[TRACE_SERVERS_MAX];
	unsigned count;		/* groups */
	unsigned servers;	/* servers with a value */
};

static void
grouping_add(struct grouping *gr, const struct dnssec_probe_server *s,
    const char *key, const char *value, bool answer)
{
	struct group *g = NULL;
	char who[400];

	for (unsigned i = 0; i < gr->count && g == NULL; i++)
		if (strcmp(gr->g[i].key, key) == 0)
			g = &gr->g[i];
	if (g == NULL) {
		if (gr->count == TRACE_SERVERS_MAX)
			return;
		g = &gr->g[gr->count++];
		memset(g, 0, sizeof(*g));
		strlcpy(g->key, key, sizeof(g->key));
		strlcpy(g->value, value, sizeof(g->value));
		g->answer = answer;
	}
	snprintf(who, sizeof(who), "%s (%s)", s->name, s->addr);
	trace_cat(g->who, sizeof(g->who), ", ", who);
	g->count++;
	gr->servers++;
}

static int
group_order(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->value, y->value);
}

/* Server order for printing: by name, then address (the lab's is fixed). */
static int
server_order(const void *a, const void *b)
{
	const struct dnssec_probe_server *const *x = a, *const *y = b;
	int c = strcmp((*x)->name, (*y)->name);

	return c != 0 ? c : strcmp((*x)->addr, (*y)->addr);
}

static unsigned
sorted_servers(const struct dnssec_probe_server *s, unsigned n,
    const struct dnssec_probe_server **out)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = &s[i];
	qsort(out, n, sizeof(*out), server_order);
	return n;
}

static unsigned
grouping_answers(const struct grouping *gr)
{
	unsigned n = 0;

	for (unsigned i = 0; i < gr->count; i++)
		n += gr->g[i].answer;
	return n;
}

/* Prints the groups (majority first) and one JSON "chain_set" line each. */
static void
grouping_print(struct trace *t, const char *zone, const char *what,
    const char *label, struct grouping *gr)
{
	qsort(gr->g, gr->count, sizeof(gr->g[0]), group_order);
	for (unsigned i = 0; i < gr->count; i++) {
		const struct group *g = &gr->g[i];

		if (gr->count == 1)
			trace_print(t, 0, "      %s: %s (%s%u server%s)", label,
			    g->value, g->count > 1 ? "all " : "", g->count,
			    g->count > 1 ? "s" : "");
		else
			trace_print(t, 0, "      %s: %s (%u of %u servers: %s)",
			    label, g->value, g->count, gr->servers, g->who);
		trace_json(t, "chain_set", "zone", zone, "what", what, "value",
		    g->value, "#servers", g->count, "#of", gr->servers,
		    "who", g->who, NULL);
	}
}

/* "value at who; value at who" for a finding that names every group. */
static void
grouping_text(const struct grouping *gr, char *text, size_t len)
{
	text[0] = '\0';
	for (unsigned i = 0; i < gr->count; i++) {
		char item[1024];

		snprintf(item, sizeof(item), "%s at %s", gr->g[i].value,
		    gr->g[i].who);
		trace_cat(text, len, "; ", item);
	}
}

/* Adds to `all` the records of `rrs` it does not hold yet (copies). */
static void
list_union(ldns_rr_list *all, const ldns_rr_list *rrs)
{
	for (size_t j = 0; rrs != NULL && j < ldns_rr_list_rr_count(rrs); j++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, j), *copy;
		bool known = false;

		for (size_t k = 0; k < ldns_rr_list_rr_count(all) && !known;
		    k++)
			known = ldns_rr_compare(rr, ldns_rr_list_rr(all, k)) == 0;
		if (!known && (copy = ldns_rr_clone(rr)) != NULL &&
		    !ldns_rr_list_push_rr(all, copy))
			ldns_rr_free(copy);
	}
}

static bool
reply_ok(const ldns_pkt *reply)
{
	return reply != NULL && ldns_pkt_aa(reply) &&
	    (ldns_pkt_get_rcode(reply) == LDNS_RCODE_NOERROR ||
	    ldns_pkt_get_rcode(reply) == LDNS_RCODE_NXDOMAIN);
}

/* What a server gave instead of an answer: "no reply", "REFUSED", ... */
static const char *
reply_problem(const ldns_pkt *reply, char *buf, size_t len)
{
	char *rcode;

	if (reply == NULL)
		return strlcpy(buf, "no reply", len), buf;
	rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(reply));
	snprintf(buf, len, "%s%s", rcode != NULL ? rcode : "?",
	    ldns_pkt_aa(reply) ? "" : ", not authoritative");
	free(rcode);
	return buf;
}

/*
 * One server's DS or DNSKEY set into the grouping (what it gave instead
 * when it gave no answer), its records into the union `all`. Returns how
 * many records it gave; *answered: whether that was an answer.
 */
static size_t
grouping_add_set(struct grouping *gr, const struct dnssec_probe_server *s,
    const ldns_pkt *reply, const ldns_rdf *zone, ldns_rr_type type,
    ldns_rr_list *all, bool *answered)
{
	ldns_rr_list *rrs = dnssec_probe_rrset(reply, zone, type);
	char key[VALUE_LEN], value[VALUE_LEN];
	size_t n = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;

	*answered = reply_ok(reply);
	if (!*answered) {
		reply_problem(reply, value, sizeof(value));
		grouping_add(gr, s, value, value, false);
	} else {
		trace_chain_set_text(rrs, key, sizeof(key), value,
		    sizeof(value));
		grouping_add(gr, s, key, value, true);
	}
	list_union(all, rrs);
	ldns_rr_list_deep_free(rrs);
	return n;
}

static const char *
key_role(const ldns_rr *key)
{
	unsigned flags = trace_rr_u16(key, 0);

	return flags & 0x0080 ? "revoked" : (flags & 0x0101) == 0x0101 ?
	    "KSK" : flags & 0x0100 ? "ZSK" : "no Zone Key bit";
}

/*
 * The order sets are shown in: DS by algorithm, digest type and tag, keys
 * KSKs first, then by algorithm and tag; the full records break ties. Key
 * tags change with every new lab, roles and algorithms do not.
 */
static int
rr_order(const void *a, const void *b)
{
	const ldns_rr *const *x = a, *const *y = b;
	unsigned kx, ky;

	if (ldns_rr_get_type(*x) == LDNS_RR_TYPE_DS) {
		kx = trace_rr_u8(*x, 1) << 24 | trace_rr_u8(*x, 2) << 16 |
		    trace_rr_u16(*x, 0);
		ky = trace_rr_u8(*y, 1) << 24 | trace_rr_u8(*y, 2) << 16 |
		    trace_rr_u16(*y, 0);
	} else {
		kx = (trace_rr_u16(*x, 0) & 1 ? 0u : 1u << 30) |
		    trace_rr_u8(*x, 2) << 16 | ldns_calc_keytag(*x);
		ky = (trace_rr_u16(*y, 0) & 1 ? 0u : 1u << 30) |
		    trace_rr_u8(*y, 2) << 16 | ldns_calc_keytag(*y);
	}
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return ldns_rr_compare(*x, *y);
}

/* Sorts a list in place, in rr_order. */
static void
list_sort(ldns_rr_list *rrs)
{
	size_t n = ldns_rr_list_rr_count(rrs);
	ldns_rr **v = n > 0 ? calloc(n, sizeof(*v)) : NULL;

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = ldns_rr_list_rr(rrs, i);
	qsort(v, n, sizeof(*v), rr_order);
	for (size_t i = 0; i < n; i++)
		ldns_rr_list_set_rr(rrs, v[i], i);
	free(v);
}

void
trace_chain_set_text(const ldns_rr_list *rrs, char *key, size_t key_len,
    char *value, size_t value_len)
{
	size_t n = ldns_rr_list_rr_count(rrs);
	const ldns_rr *sorted[64];
	ldns_buffer *wire = ldns_buffer_new(1024);
	unsigned char digest[32];

	value[0] = '\0';
	strlcpy(key, "?", key_len);
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++)
		sorted[i] = ldns_rr_list_rr(rrs, i);
	qsort(sorted, n, sizeof(sorted[0]), rr_order);
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = sorted[i];
		char item[128];

		/* The key: every record's rdata, in order, each field with
		 * its length (DS and DNSKEY rdata hold no names to case). */
		for (size_t j = 0; wire != NULL && j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *f = ldns_rr_rdf(rr, j);

			/* ldns_buffer_write asserts where it does not fit:
			 * room first (32 RSA keys are 10 kB). */
			if (!ldns_buffer_reserve(wire, 2 + ldns_rdf_size(f)))
				break;
			ldns_buffer_write_u16(wire, (uint16_t)ldns_rdf_size(f));
			ldns_buffer_write(wire, ldns_rdf_data(f), ldns_rdf_size(f));
		}
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DS)
			snprintf(item, sizeof(item), "%u/%u/%u", trace_rr_u16(rr, 0),
			    trace_rr_u8(rr, 1), trace_rr_u8(rr, 2));
		else
			snprintf(item, sizeof(item), "%u %s alg %u",
			    (unsigned)ldns_calc_keytag(rr), key_role(rr),
			    trace_rr_u8(rr, 2));
		trace_cat(value, value_len, ", ", item);
	}
	if (n == 0)
		strlcpy(value, "none", value_len);
	if (wire != NULL && ldns_buffer_status_ok(wire) && key_len >= 65) {
		ldns_sha256(ldns_buffer_begin(wire), (unsigned)
		    ldns_buffer_position(wire), digest);
		for (size_t i = 0; i < sizeof(digest); i++)
			snprintf(key + 2 * i, 3, "%02x", digest[i]);
	}
	ldns_buffer_free(wire);
}

/* The DNSKEY of `keys` `ds` is the digest of, or NULL. */
static const ldns_rr *
ds_key(const ldns_rr *ds, const ldns_rr_list *keys)
{
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++)
		if (ldns_rr_compare_ds(ds, ldns_rr_list_rr(keys, i)))
			return ldns_rr_list_rr(keys, i);
	return NULL;
}

static uint32_t
sig_time(const ldns_rr *sig, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(sig, i);

	return f != NULL && ldns_rdf_size(f) == 4 ?
	    ldns_rdf2native_time_t(f) : 0;
}

/* RFC 4034 3.1.5: serial number arithmetic, read near `now`. */
static int64_t
sig_abs(uint32_t t, time_t now)
{
	int64_t d = (int32_t)(t - (uint32_t)now);

	return (int64_t)now + d;
}

static const char *
utc(int64_t when, char *buf, size_t len)
{
	time_t tt = (time_t)when;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		strlcpy(buf, "?", len);
	return buf;
}

static const char *
span(int64_t s, char *buf, size_t len)
{
	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(buf, len, "%lldd %lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else
		snprintf(buf, len, "%lldh %lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	return buf;
}

/* How an RRSIG checks: "verified", "does not verify", "no such key". */
enum sig_check { SIG_VERIFIED, SIG_BAD, SIG_NO_KEY };

/*
 * Checks `sig` over `rrset` with the keys of `keys` of its tag and
 * algorithm, at most LIMIT_DNSSEC_KEYS_PER_TAG of them (KeyTrap: keys that
 * share a tag cost a check each). The cryptography only, at the
 * signature's own inception: its window is judged apart (DNSSEC04).
 */
static enum sig_check
sig_check(const ldns_rr_list *rrset, const ldns_rr *sig,
    const ldns_rr_list *keys)
{
	unsigned tried = 0;

	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys) &&
	    tried < LIMIT_DNSSEC_KEYS_PER_TAG; i++) {
		ldns_rr *key = ldns_rr_list_rr(keys, i);

		if (ldns_calc_keytag(key) != trace_rr_u16(sig, 6) ||
		    trace_rr_u8(key, 2) != trace_rr_u8(sig, 1))
			continue;
		tried++;
		if (ldns_verify_rrsig_time((ldns_rr_list *)rrset,
		    (ldns_rr *)sig, key, (time_t)sig_time(sig, 5)) ==
		    LDNS_STATUS_OK)
			return SIG_VERIFIED;
	}
	return tried > 0 ? SIG_BAD : SIG_NO_KEY;
}

static const char *
sig_check_name(enum sig_check c)
{
	return c == SIG_VERIFIED ? "verified" : c == SIG_BAD ?
	    "does not verify" : "by no key of the DNSKEY set";
}

/* Zonemaster DNSSEC01: DS digest types by the IANA registry's use. */
static void
check_ds_digest(struct trace *t, const ldns_rdf *zone, const ldns_rr *ds)
{
	unsigned dt = trace_rr_u8(ds, 2), tag = trace_rr_u16(ds, 0);

	if (dt == 2 || dt == 4 || dt == 5 || dt == 6)
		return;
	if (dt == 1 || dt == 3)
		trace_finding(t, SEVERITY_WARNING, "DNSSEC01", zone, "DS %u "
		    "uses digest type %u (%s), deprecated (RFC 8624): add a "
		    "SHA-256 (2) DS", tag, dt, dt == 1 ? "SHA-1" :
		    "GOST R 34.11-94");
	else
		trace_finding(t, SEVERITY_ERROR, "DNSSEC01", zone, "DS %u uses "
		    "digest type %u, %s: validators ignore it", tag, dt,
		    dt == 0 ? "reserved" : dt >= 253 && dt <= 254 ?
		    "for private use" : "unassigned");
}

/* Zonemaster DNSSEC05 (algorithm) and DNSSEC14 (RSA key size). */
static void
check_key(struct trace *t, const ldns_rdf *zone, const ldns_rr *key)
{
	unsigned alg = trace_rr_u8(key, 2), tag = ldns_calc_keytag(key);
	size_t bits;

	switch (alg) {
	case 8: case 13: case 14: case 15: case 16: case 17: case 23:
		break;
	case 10:
		trace_finding(t, SEVERITY_WARNING, "DNSSEC05", zone, "DNSKEY "
		    "%u uses algorithm 10 (RSA/SHA-512), not recommended "
		    "(RFC 8624)", tag);
		break;
	case 1: case 3: case 5: case 6: case 7: case 12:
		trace_finding(t, SEVERITY_ERROR, "DNSSEC05", zone, "DNSKEY %u "
		    "uses algorithm %u, deprecated (RFC 8624): many validators "
		    "treat the zone as unsigned", tag, alg);
		break;
	case 253: case 254:
		trace_finding(t, SEVERITY_ERROR, "DNSSEC05", zone, "DNSKEY %u "
		    "uses private algorithm %u", tag, alg);
		break;
	default:
		trace_finding(t, SEVERITY_ERROR, "DNSSEC05", zone, "DNSKEY %u "
		    "uses algorithm %u, %s", tag, alg, alg == 0 || alg == 2 ||
		    alg == 252 ? "not meant for zone signing" :
		    "unassigned or reserved");
		break;
	}
	if (alg != 5 && alg != 7 && alg != 8 && alg != 10)
		return;
	bits = ldns_rr_dnskey_key_size(key);
	if (bits < (alg == 10 ? 1024u : 512u) || bits > 4096)
		trace_finding(t, SEVERITY_ERROR, "DNSSEC14", zone, "RSA DNSKEY "
		    "%u has %zu bits: algorithm %u allows %u to 4096", tag,
		    bits, alg, alg == 10 ? 1024u : 512u);
	else if (bits < 2048)
		trace_finding(t, SEVERITY_WARNING, "DNSSEC14", zone, "RSA "
		    "DNSKEY %u has %zu bits, fewer than the 2048 recommended "
		    "(NIST SP 800-57)", tag, bits);
}

/*
 * One RRset's signatures at one server: a text value for the grouping,
 * the DNSSEC04 and expiry findings, and whether a key of the set signs it
 * (DNSSEC08/09, the reason when not), per algorithm (DNSSEC13).
 */
static bool
check_sigs(struct trace *t, const struct dnssec_probe_server *s,
    const ldns_rdf *zone, const char *zname, ldns_rr_type type,
    const ldns_pkt *reply, const ldns_rr_list *keys, time_t now,
    char *value, size_t len, char *why, size_t why_len, bool *alg_signs)
{
	ldns_rr_list *rrset = dnssec_probe_rrset(reply, zone, type);
	ldns_rr_list *sigs = dnssec_probe_sigs(reply, zone, type);
	const char *tname = type == LDNS_RR_TYPE_SOA ? "SOA" : "DNSKEY";
	bool good = false;

	value[0] = '\0';
	strlcpy(why, "no RRSIG", why_len);
	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs);
	    i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		int64_t inception = sig_abs(sig_time(sig, 5), now);
		int64_t expiration = sig_abs(sig_time(sig, 4), now);
		enum sig_check c = sig_check(rrset, sig, keys);
		char from[32], to[32], left[32], item[256], state[64];

		utc(inception, from, sizeof(from));
		utc(expiration, to, sizeof(to));
		if (expiration < now)
			snprintf(state, sizeof(state), "expired %s ago",
			    span(now - expiration, left, sizeof(left)));
		else if (inception > now)
			snprintf(state, sizeof(state), "valid in %s",
			    span(inception - now, left, sizeof(left)));
		else
			snprintf(state, sizeof(state), "%s left",
			    span(expiration - now, left, sizeof(left)));
		snprintf(item, sizeof(item), "by %u alg %u, %s to %s UTC, %s, "
		    "%s", trace_rr_u16(sig, 6), trace_rr_u8(sig, 1), from, to,
		    state, sig_check_name(c));
		trace_cat(value, len, "; ", item);
		trace_json(t, "chain_sig", "zone", zname, "rrtype", tname,
		    "server", s->name, "address", s->addr, "#key_tag",
		    trace_rr_u16(sig, 6), "#algorithm", trace_rr_u8(sig, 1),
		    "inception", from, "expiration", to, "%seconds_left",
		    (int)(expiration - now), "check", sig_check_name(c), NULL);
		if (c != SIG_NO_KEY && trace_rr_u8(sig, 1) < 256)
			alg_signs[trace_rr_u8(sig, 1)] = true;
		/* DNSSEC04: the window, as Zonemaster judges it. */
		if (expiration < now)
			trace_finding(t, SEVERITY_ERROR, "DNSSEC04", zone,
			    "RRSIG %s by %u expired at %s UTC", tname,
			    trace_rr_u16(sig, 6), to);
		else if (expiration - now < 12 * 3600)
			trace_finding(t, SEVERITY_WARNING, "DNSSEC04", zone,
			    "RRSIG %s by %u expires in under 12 hours (%s UTC)",
			    tname, trace_rr_u16(sig, 6), to);
		else if (expiration - now > 180 * 86400 ||
		    expiration - inception > 180 * 86400)
			trace_finding(t, SEVERITY_WARNING, "DNSSEC04", zone,
			    "RRSIG %s by %u is valid for over 180 days (%s to "
			    "%s UTC): a replayed answer stays valid that long",
			    tname, trace_rr_u16(sig, 6), from, to);
		if (expiration >= now && expiration - now < 86400)
			trace_finding(t, SEVERITY_WARNING,
			    "DESCEND-RRSIG-EXPIRES-SOON", zone, "RRSIG %s by %u "
			    "expires within a day (%s UTC): re-sign the zone",
			    tname, trace_rr_u16(sig, 6), to);
		if (c == SIG_VERIFIED && expiration >= now && inception <= now)
			good = true;
		else if (!good)
			snprintf(why, why_len, "the RRSIG by %u %s",
			    trace_rr_u16(sig, 6), c != SIG_VERIFIED ?
			    sig_check_name(c) : expiration < now ?
			    "has expired" : "is not valid yet");
	}
	if (value[0] == '\0')
		strlcpy(value, "no RRSIG", len);
	ldns_rr_list_deep_free(rrset);
	ldns_rr_list_deep_free(sigs);
	return good;
}

/* The denial a server gave for a name that does not exist. */
struct denial {
	int kind;		/* 0 none, 1 NSEC, 3 NSEC3 */
	unsigned hash, flags, iterations, salt_len;
};

/* NSEC3 and NSEC3PARAM begin alike: hash, flags, iterations, salt. */
static void
nsec3_params(struct denial *d, const ldns_rr *rr)
{
	const ldns_rdf *salt = ldns_rr_rdf(rr, 3);

	d->kind = 3;
	d->hash = trace_rr_u8(rr, 0);
	d->flags = trace_rr_u8(rr, 1);
	d->iterations = trace_rr_u16(rr, 2);
	d->salt_len = salt != NULL && ldns_rdf_size(salt) > 0 ?
	    ldns_rdf_data(salt)[0] : 0;
}

static struct denial
denial_of(const ldns_pkt *nx, const ldns_pkt *param, const ldns_rdf *zone)
{
	struct denial d = { 0 };
	const ldns_rr_list *auth = nx != NULL ? ldns_pkt_authority(nx) : NULL;
	ldns_rr_list *p;

	for (size_t i = 0; auth != NULL && i < ldns_rr_list_rr_count(auth);
	    i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC && d.kind == 0)
			d.kind = 1;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC3 && d.kind != 3)
			nsec3_params(&d, rr);
	}
	/* No NSEC3 in the denial but an NSEC3PARAM: its parameters. */
	p = dnssec_probe_rrset(param, zone, LDNS_RR_TYPE_NSEC3PARAM);
	if (d.kind == 0 && p != NULL && ldns_rr_list_rr_count(p) > 0)
		nsec3_params(&d, ldns_rr_list_rr(p, 0));
	ldns_rr_list_deep_free(p);
	return d;
}

static void
denial_text(const struct denial *d, char *buf, size_t len)
{
	if (d->kind == 1)
		strlcpy(buf, "NSEC", len);
	else if (d->kind == 3)
		snprintf(buf, len, "NSEC3 hash %u%s, %s, %u iteration%s, salt "
		    "%u byte%s", d->hash, d->hash == 1 ? " (SHA-1)" : "",
		    d->flags & 1 ? "opt-out" : "no opt-out", d->iterations,
		    d->iterations == 1 ? "" : "s", d->salt_len,
		    d->salt_len == 1 ? "" : "s");
	else
		strlcpy(buf, "no NSEC or NSEC3", len);
}

/* Zonemaster DNSSEC03: NSEC3 parameters (RFC 9276). */
static void
check_nsec3(struct trace *t, const ldns_rdf *zone, const struct denial *d)
{
	if (d->hash != 1)
		trace_finding(t, SEVERITY_ERROR, "DNSSEC03", zone, "NSEC3 "
		    "hash algorithm %u: only 1 (SHA-1) is defined", d->hash);
	if (d->flags & 0xfe)
		trace_finding(t, SEVERITY_ERROR, "DNSSEC03", zone, "NSEC3 "
		    "flags %u use unassigned bits", d->flags);
	if ((d->flags & 1) && ldns_dname_label_count(zone) > 1)
		trace_finding(t, SEVERITY_NOTICE, "DNSSEC03", zone, "NSEC3 "
		    "opt-out is on: RFC 9276 advises it only for large, "
		    "sparsely signed zones (TLDs)");
	if (d->iterations > LIMIT_DNSSEC_NSEC3_ITERATIONS)
		trace_finding(t, SEVERITY_ERROR, "DNSSEC03", zone, "NSEC3 with "
		    "%u iterations, over the validators' limit (%u here, as "
		    "Knot Resolver; Unbound 150): the zone's denials are "
		    "insecure or bogus (RFC 9276 3.2); use 0", d->iterations,
		    LIMIT_DNSSEC_NSEC3_ITERATIONS);
	else if (d->iterations > 0)
		trace_finding(t, SEVERITY_WARNING, "DNSSEC03", zone, "NSEC3 "
		    "with %u iterations: RFC 9276 advises 0 (each costs every "
		    "validator a hash, for no gain)", d->iterations);
	if (d->salt_len > 0)
		trace_finding(t, SEVERITY_WARNING, "DNSSEC03", zone, "NSEC3 "
		    "salt of %u bytes: RFC 9276 advises none", d->salt_len);
}

/* Every server's view of one cut, its groups and its findings. */
static void
chain_servers(struct trace *t, const struct dnssec_probe_cut *pc,
    const char *zname, bool root)
{
	const ldns_rdf *zone = pc->zone;
	const struct dnssec_probe_server *ps[TRACE_SERVERS_MAX],
	    *cs[TRACE_SERVERS_MAX];
	struct grouping *gr = calloc(1, sizeof(*gr));
	ldns_rr_list *all_ds = ldns_rr_list_new(), *all_keys =
	    ldns_rr_list_new();
	char value[VALUE_LEN], why[160], parent[256] = ".";
	char no_denial[1024] = "";
	unsigned np = sorted_servers(pc->parents, pc->parent_count, ps);
	unsigned nc = sorted_servers(pc->children, pc->child_count, cs);
	unsigned with_ds = 0, no_ds = 0, with_keys = 0, nsec = 0, nsec3 = 0;
	bool signed_zone = false, first_nsec3 = true;
	struct denial d0 = { 0 };
	time_t now = time(NULL);

	if (gr == NULL || all_ds == NULL || all_keys == NULL)
		goto out;
	if (pc->parent != NULL)
		dname_str(pc->parent, parent, sizeof(parent));
	/* The DS set at each parent server. */
	for (unsigned i = 0; i < np && !root; i++) {
		bool answered;
		size_t n = grouping_add_set(gr, ps[i], ps[i]->ds, zone,
		    LDNS_RR_TYPE_DS, all_ds, &answered);

		if (answered && n > 0)
			with_ds++;
		else if (answered)
			no_ds++;
	}
	if (!root && np > 0) {
		char label[300];

		snprintf(label, sizeof(label), "DS at %s", parent);
		grouping_print(t, zname, "DS", label, gr);
		if (grouping_answers(gr) > 1) {
			char text[1024];

			grouping_text(gr, text, sizeof(text));
			trace_finding(t, SEVERITY_ERROR, "DESCEND-DS-DIFFERS",
			    zone, "the servers of %s disagree on the DS set: %s",
			    parent, text);
		}
	}
	list_sort(all_ds);
	for (size_t i = 0; i < ldns_rr_list_rr_count(all_ds); i++)
		check_ds_digest(t, zone, ldns_rr_list_rr(all_ds, i));
	/* The DNSKEY set at each child server. */
	memset(gr, 0, sizeof(*gr));
	for (unsigned i = 0; i < nc; i++) {
		bool answered;

		if (grouping_add_set(gr, cs[i], cs[i]->dnskey, zone,
		    LDNS_RR_TYPE_DNSKEY, all_keys, &answered) > 0)
			signed_zone = true;
		if (answered)
			with_keys++;
	}
	grouping_print(t, zname, "DNSKEY", "DNSKEY", gr);
	if (signed_zone && with_keys > 1) {
		if (grouping_answers(gr) > 1) {
			char text[1024];

			grouping_text(gr, text, sizeof(text));
			trace_finding(t, SEVERITY_ERROR,
			    "DESCEND-DNSKEY-DIFFERS", zone, "the zone's "
			    "servers disagree on the DNSKEY set: %s", text);
		}
	}
	list_sort(all_keys);
	for (size_t i = 0; i < ldns_rr_list_rr_count(all_keys); i++)
		check_key(t, zone, ldns_rr_list_rr(all_keys, i));
	/* Zonemaster DNSSEC07: keys and DS go together. */
	if (!root && signed_zone && with_ds == 0 && no_ds > 0)
		trace_finding(t, SEVERITY_NOTICE, "DNSSEC07", zone, "the zone "
		    "is signed (DNSKEY) but %s has no DS for it: validators "
		    "treat it as unsigned", parent);
	if (!root && !signed_zone && with_ds > 0 && with_keys > 0)
		trace_finding(t, SEVERITY_ERROR, "DNSSEC07", zone, "%s has a "
		    "DS for the zone but its servers give no DNSKEY: the zone "
		    "is bogus for every validator", parent);
	/* Which DS matches which key, at each child server. */
	memset(gr, 0, sizeof(*gr));
	for (unsigned i = 0; i < nc && ldns_rr_list_rr_count(all_ds) > 0 &&
	    signed_zone; i++) {
		ldns_rr_list *keys;

		if (!reply_ok(cs[i]->dnskey))
			continue;
		keys = dnssec_probe_rrset(cs[i]->dnskey, zone,
		    LDNS_RR_TYPE_DNSKEY);
		value[0] = '\0';
		for (size_t j = 0; j < ldns_rr_list_rr_count(all_ds); j++) {
			const ldns_rr *ds = ldns_rr_list_rr(all_ds, j);
			const ldns_rr *k = ds_key(ds, keys);
			char item[128];

			if (k != NULL)
				snprintf(item, sizeof(item), "DS %u -> DNSKEY "
				    "%u (%s)", trace_rr_u16(ds, 0),
				    (unsigned)ldns_calc_keytag(k), key_role(k));
			else
				snprintf(item, sizeof(item), "DS %u -> no DNSKEY",
				    trace_rr_u16(ds, 0));
			trace_cat(value, sizeof(value), ", ", item);
		}
		grouping_add(gr, cs[i], value, value, true);
		ldns_rr_list_deep_free(keys);
	}
	if (gr->servers > 0)
		grouping_print(t, zname, "match", "match", gr);
	/* DESCEND-DS-NO-KEY: each DS, the child servers where it matches none. */
	for (size_t j = 0; j < ldns_rr_list_rr_count(all_ds) && signed_zone;
	    j++) {
		const ldns_rr *ds = ldns_rr_list_rr(all_ds, j);
		char where[1024] = "", who[400];
		bool broken = false;

		for (unsigned i = 0; i < nc; i++) {
			ldns_rr_list *keys;
			bool any = false;

			if (!reply_ok(cs[i]->dnskey))
				continue;
			keys = dnssec_probe_rrset(cs[i]->dnskey, zone,
			    LDNS_RR_TYPE_DNSKEY);
			if (ds_key(ds, keys) == NULL) {
				snprintf(who, sizeof(who), "%s (%s)",
				    cs[i]->name, cs[i]->addr);
				trace_cat(where, sizeof(where), ", ", who);
				for (size_t k = 0; k < ldns_rr_list_rr_count(
				    all_ds); k++)
					any |= ds_key(ldns_rr_list_rr(all_ds,
					    k), keys) != NULL;
				broken |= !any;
			}
			ldns_rr_list_deep_free(keys);
		}
		if (where[0] != '\0')
			trace_finding(t, broken ? SEVERITY_ERROR :
			    SEVERITY_WARNING, "DESCEND-DS-NO-KEY", zone, "DS %u "
			    "(algorithm %u, digest type %u) matches no DNSKEY at "
			    "%s%s", trace_rr_u16(ds, 0), trace_rr_u8(ds, 1),
			    trace_rr_u8(ds, 2), where, broken ? ": no DS matches a key there, the "
			    "chain of trust is broken at that server" : "");
	}
	/* Signatures over the DNSKEY and SOA RRsets at each child server. */
	for (int pass = 0; pass < 2 && signed_zone; pass++) {
		ldns_rr_type type = pass == 0 ? LDNS_RR_TYPE_DNSKEY :
		    LDNS_RR_TYPE_SOA;
		const char *tname = pass == 0 ? "DNSKEY" : "SOA";
		/* Servers by what is wrong, for one finding each. */
		char bad_why[4][160], bad_who[4][1024], unsigned_who[1024] = "";
		unsigned bad = 0;

		memset(gr, 0, sizeof(*gr));
		for (unsigned i = 0; i < nc; i++) {
			const ldns_pkt *reply = pass == 0 ? cs[i]->dnskey :
			    cs[i]->soa;
			ldns_rr_list *keys;
			bool alg_signs[256] = { false };
			char who[400];
			unsigned b;

			if (!reply_ok(reply))
				continue;
			keys = dnssec_probe_rrset(cs[i]->dnskey, zone,
			    LDNS_RR_TYPE_DNSKEY);
			snprintf(who, sizeof(who), "%s (%s)", cs[i]->name,
			    cs[i]->addr);
			if (!check_sigs(t, cs[i], zone, zname, type, reply, keys,
			    now, value, sizeof(value), why, sizeof(why),
			    alg_signs) && ldns_rr_list_rr_count(keys) > 0) {
				for (b = 0; b < bad && strcmp(bad_why[b], why) != 0;
				    b++)
					;
				if (b == bad && bad < 4) {
					strlcpy(bad_why[b], why, sizeof(bad_why[b]));
					bad_who[b][0] = '\0';
					bad++;
				}
				if (b < bad)
					trace_cat(bad_who[b], sizeof(bad_who[b]), ", ",
					    who);
			}
			if (strcmp(value, "no RRSIG") == 0 &&
			    ldns_rr_list_rr_count(keys) > 0)
				trace_cat(unsigned_who, sizeof(unsigned_who),
				    ", ", who);
			/* DNSSEC13: every key algorithm signs the RRset. */
			for (size_t k = 0; keys != NULL &&
			    k < ldns_rr_list_rr_count(keys); k++) {
				const ldns_rr *dnskey = ldns_rr_list_rr(keys, k);

				if ((trace_rr_u16(dnskey, 0) & 0x0180) == 0x0100 &&
				    !alg_signs[trace_rr_u8(dnskey, 2)])
					trace_finding(t, SEVERITY_ERROR,
					    "DNSSEC13", zone, "algorithm %u (key "
					    "%u) does not sign the %s RRset: "
					    "every algorithm in the DNSKEY set "
					    "must sign every RRset (RFC 4035 2.2)",
					    trace_rr_u8(dnskey, 2), (unsigned)
					    ldns_calc_keytag(dnskey), tname);
			}
			grouping_add(gr, cs[i], value, value, true);
			ldns_rr_list_deep_free(keys);
		}
		if (gr->servers > 0) {
			char label[32];

			snprintf(label, sizeof(label), "RRSIG %s", tname);
			grouping_print(t, zname, label, label, gr);
		}
		/* Zonemaster DNSSEC08 (DNSKEY) and DNSSEC09 (SOA). */
		for (unsigned b = 0; b < bad; b++)
			trace_finding(t, SEVERITY_ERROR, pass == 0 ? "DNSSEC08" :
			    "DNSSEC09", zone, "no valid signature by a key of "
			    "the DNSKEY set over the %s RRset at %s: %s", tname,
			    bad_who[b], bad_why[b]);
		/* Zonemaster DNSSEC06: a signed zone's servers add RRSIGs. */
		if (unsigned_who[0] != '\0')
			trace_finding(t, SEVERITY_ERROR, "DNSSEC06", zone, "%s "
			    "give%s the %s RRset without RRSIG to a query with "
			    "DO", unsigned_who, strchr(unsigned_who, ',') ? "" :
			    "s", tname);
	}
	/* NSEC or NSEC3, and NSEC3's parameters, at each child server. */
	memset(gr, 0, sizeof(*gr));
	for (unsigned i = 0; i < nc && signed_zone; i++) {
		struct denial d;

		if (!reply_ok(cs[i]->nx)) {
			reply_problem(cs[i]->nx, value, sizeof(value));
			grouping_add(gr, cs[i], value, value, false);
			continue;
		}
		d = denial_of(cs[i]->nx, cs[i]->nsec3param, zone);
		denial_text(&d, value, sizeof(value));
		grouping_add(gr, cs[i], value, value, true);
		trace_json(t, "chain_denial", "zone", zname, "server",
		    cs[i]->name, "address", cs[i]->addr, "denial", d.kind == 1 ?
		    "NSEC" : d.kind == 3 ? "NSEC3" : "none", "%hash", d.kind == 3 ?
		    (int)d.hash : -1, "%flags", d.kind == 3 ? (int)d.flags : -1,
		    "%iterations", d.kind == 3 ? (int)d.iterations : -1,
		    "%salt_length", d.kind == 3 ? (int)d.salt_len : -1, NULL);
		if (d.kind == 1)
			nsec++;
		else if (d.kind == 3) {
			nsec3++;
			check_nsec3(t, zone, &d);
			if (first_nsec3)
				d0 = d;
			else if (memcmp(&d, &d0, sizeof(d)) != 0)
				trace_finding(t, SEVERITY_ERROR, "DNSSEC03",
				    zone, "the zone's servers give different "
				    "NSEC3 parameters");
			first_nsec3 = false;
		} else {
			char who[400];

			snprintf(who, sizeof(who), "%s (%s)", cs[i]->name,
			    cs[i]->addr);
			trace_cat(no_denial, sizeof(no_denial), ", ", who);
		}
	}
	/* Zonemaster DNSSEC10: a signed zone proves what does not exist. */
	if (no_denial[0] != '\0')
		trace_finding(t, SEVERITY_ERROR, "DNSSEC10", zone, "%s give%s "
		    "neither NSEC nor NSEC3 for a name that does not exist: "
		    "no denial can be validated", no_denial,
		    strchr(no_denial, ',') != NULL ? "" : "s");
	if (gr->servers > 0)
		grouping_print(t, zname, "denial", "denial", gr);
	if (nsec > 0 && nsec3 > 0)
		trace_finding(t, SEVERITY_ERROR, "DNSSEC10", zone, "the zone's "
		    "servers do not agree on NSEC or NSEC3: %u give NSEC, %u "
		    "NSEC3", nsec, nsec3);
out:
	free(gr);
	ldns_rr_list_deep_free(all_ds);
	ldns_rr_list_deep_free(all_keys);
}

/* One zone's block: text lines, one JSON "chain" line, its findings. */
static void
chain_zone(struct trace *t, const struct trace_dnssec_zone *z,
    const ldns_rdf *parent_zone)
{
	/* In rr_order: a signer's order depends on the key material. */
	ldns_rr_list *ds = t->ds_seen != NULL ? ldns_rr_list_clone(t->ds_seen) :
	    NULL, *keys = t->dnskey_seen != NULL ?
	    ldns_rr_list_clone(t->dnskey_seen) : NULL;
	char zone[256], verdict[256], ede[16] = "", ede_note[64] = "";
	char item[128], parent[256];
	char ds_text[512] = "", key_text[512] = "", match_text[512] = "";
	char ds_tags[128] = "", key_tags[128] = "", signers[128] = "";
	unsigned ds_count = 0, key_count = 0, matched = 0;
	bool root = ldns_dname_label_count(z->zone) == 0;
	const struct dnssec_probe_cut *pc = dnssec_probe_find(t->probe,
	    z->zone);
	/*
	 * The sets the validator saw, pooled from whichever server it asked,
	 * are printed only when no server of the zone answered the probe:
	 * otherwise the lines per server (chain_servers) say the same facts,
	 * server by server, and saying them twice hides the odd server.
	 */
	bool pooled = true;

	for (unsigned i = 0; pc != NULL && i < pc->child_count; i++)
		if (reply_ok(pc->children[i].dnskey))
			pooled = false;

	if (ds != NULL)
		list_sort(ds);
	if (keys != NULL)
		list_sort(keys);
	dname_str(z->zone, zone, sizeof(zone));
	dname_str(parent_zone, parent, sizeof(parent));
	if (z->ede >= 0) {
		snprintf(ede, sizeof(ede), "%d", z->ede);
		snprintf(ede_note, sizeof(ede_note), " (EDE %d %s)", z->ede,
		    ede_name(z->ede));
	}
	if (t->unvalidated)
		strlcpy(verdict, z->why, sizeof(verdict));
	else
		snprintf(verdict, sizeof(verdict), "%s: %s%s",
		    sec_status_name(z->status), z->why, ede_note);
	trace_print(t, 0, "   %s %s", zone, verdict);
	for (size_t i = 0; keys != NULL && i < ldns_rr_list_rr_count(keys); i++) {
		const ldns_rr *key = ldns_rr_list_rr(keys, i);
		unsigned flags = trace_rr_u16(key, 0);

		if (!dname_equal(ldns_rr_owner(key), z->zone))
			continue;
		key_count++;
		snprintf(item, sizeof(item), "%u", (unsigned)
		    ldns_calc_keytag(key));
		trace_cat(key_tags, sizeof(key_tags), " ", item);
		snprintf(item, sizeof(item), "%u/%u/%u",
		    (unsigned)ldns_calc_keytag(key), flags, trace_rr_u8(key, 2));
		trace_cat(key_text, sizeof(key_text), " ", item);
		if (key_signs_keyset(t, key, z->zone) == 1) {
			snprintf(item, sizeof(item), "%u",
			    (unsigned)ldns_calc_keytag(key));
			trace_cat(signers, sizeof(signers), " ", item);
		}
		if (pooled)
			trace_print(t, 0, "      DNSKEY %u flags %u (%s) "
			    "algorithm %u%s", (unsigned)ldns_calc_keytag(key),
			    flags, key_role(key), trace_rr_u8(key, 2),
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
		snprintf(item, sizeof(item), "%u", trace_rr_u16(rr, 0));
		trace_cat(ds_tags, sizeof(ds_tags), " ", item);
		snprintf(item, sizeof(item), "%u/%u/%u", trace_rr_u16(rr, 0),
		    trace_rr_u8(rr, 1), trace_rr_u8(rr, 2));
		trace_cat(ds_text, sizeof(ds_text), " ", item);
		/* DNSSEC02: the key must also sign the DNSKEY RRset (when
		 * its signatures were seen: a cached key set has none). */
		if (key != NULL && key_signs_keyset(t, key, z->zone) != 0)
			matched++;
		if (key != NULL) {
			snprintf(item, sizeof(item), "%u->%u", trace_rr_u16(rr, 0),
			    (unsigned)ldns_calc_keytag(key));
			trace_cat(match_text, sizeof(match_text), " ", item);
		}
		if (pooled && key != NULL)
			trace_print(t, 0, "      DS %u algorithm %u digest type "
			    "%u -> DNSKEY %u", trace_rr_u16(rr, 0),
			    trace_rr_u8(rr, 1), trace_rr_u8(rr, 2),
			    (unsigned)ldns_calc_keytag(key));
		else if (pooled)
			trace_print(t, 0, "      DS %u algorithm %u digest type "
			    "%u -> %s", trace_rr_u16(rr, 0), trace_rr_u8(rr, 1),
			    trace_rr_u8(rr, 2), key_count > 0 ? "matches no DNSKEY" :
			    "no DNSKEY seen");
	}
	if (ds_count == 0 && root && !t->unvalidated)
		trace_print(t, 0, "      DS none: the root's keys are checked "
		    "against the trust anchor");
	else if (ds_count == 0 && z->status == SEC_INSECURE && pooled)
		trace_print(t, 0, "      DS none: %s proves there is none "
		    "(an insecure delegation)", parent);
	else if (ds_count == 0 && pooled)
		trace_print(t, 0, "      DS none seen");
	if (pc != NULL)
		chain_servers(t, pc, zone, root);
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
	ldns_rr_list_deep_free(ds);
	ldns_rr_list_deep_free(keys);
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
trace_chain_unvalidated(struct trace *t)
{
	struct trace_dnssec_zone *z;

	if (t->dnssec_count > 0)
		return;		/* the validator judged the cuts itself */
	t->unvalidated = true;
	for (unsigned i = 0; i <= t->cut_count; i++) {
		const struct trace_cut *c = i == 0 ? &t->root : &t->cuts[i - 1];

		if (c->zone == NULL || c->planned ||
		    (z = trace_dnssec_zone(t, c->zone)) == NULL)
			continue;
		z->cut = true;
		strlcpy(z->why, "not validated (--no-dnssec): what each server "
		    "gives, no verdict", sizeof(z->why));
	}
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
