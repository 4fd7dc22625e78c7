/*
 * autotrust.c: RFC 5011 trust anchor maintenance for one zone: the per-key
 * state machine, the refresh and retry timers, and the anchor file in
 * Unbound's auto-trust-anchor-file format (read with line numbers, written
 * atomically by rename).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dname.h"
#include "engine_limits.h"
#include "dnssec/autotrust.h"

#define DNSKEY_SEP	0x0001
#define DNSKEY_REVOKE	0x0080
#define DNSKEY_ZONE	0x0100

/* RFC 5011 §2.3 bounds of the active refresh and retry timers. */
#define REFRESH_MIN	3600u
#define REFRESH_MAX	(15u * 86400u)
#define RETRY_MAX	86400u

struct at_key {
	ldns_rr *rr;		/* DNSKEY (or a DS anchor not matched yet) */
	enum autotrust_state state;
	unsigned count;		/* validated sightings while AddPend */
	uint32_t lastchange;	/* when the state last changed */
	bool seen;		/* in the set being processed */
};

struct autotrust {
	ldns_rdf *zone;
	struct at_key *keys;	/* at most LIMIT_AUTOTRUST_KEYS */
	size_t nkeys;
	size_t cap;
	uint32_t last_queried;
	uint32_t last_success;
	uint32_t next_probe_time;
	unsigned query_failed;
	uint32_t query_interval;	/* the last active refresh interval */
	uint32_t retry_time;		/* the last retry interval */
};

static const char *state_names[] = {
	"  START  ", " ADDPEND ", "  VALID  ", " MISSING ", " REVOKED ",
	" REMOVED ",
};

static uint16_t
key_flags(const ldns_rr *rr)
{
	return ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
}

/* Same key: algorithm, protocol and public key; the REVOKE bit (which
 * changes the key tag) is not part of the key's identity (RFC 5011 §2.1). */
static bool
same_key(const ldns_rr *a, const ldns_rr *b)
{
	if (ldns_rr_get_type(a) != LDNS_RR_TYPE_DNSKEY ||
	    ldns_rr_get_type(b) != LDNS_RR_TYPE_DNSKEY)
		return false;
	return (key_flags(a) & ~DNSKEY_REVOKE) == (key_flags(b) & ~DNSKEY_REVOKE) &&
	    ldns_rdf_compare(ldns_rr_rdf(a, 1), ldns_rr_rdf(b, 1)) == 0 &&
	    ldns_rdf_compare(ldns_rr_rdf(a, 2), ldns_rr_rdf(b, 2)) == 0 &&
	    ldns_rdf_compare(ldns_rr_rdf(a, 3), ldns_rr_rdf(b, 3)) == 0;
}

static struct at_key *
find_key(const struct autotrust *at, const ldns_rr *dnskey)
{
	for (size_t i = 0; i < at->nkeys; i++)
		if (same_key(at->keys[i].rr, dnskey))
			return (struct at_key *)&at->keys[i];
	return NULL;
}

/* A new zeroed slot, or NULL when out of memory. */
static struct at_key *
add_slot(struct autotrust *at)
{
	if (at->nkeys == at->cap) {
		size_t cap = at->cap ? at->cap * 2 : 4;
		struct at_key *keys = reallocarray(at->keys, cap, sizeof(*keys));

		if (keys == NULL)
			return NULL;
		at->keys = keys;
		at->cap = cap;
	}
	memset(&at->keys[at->nkeys], 0, sizeof(at->keys[0]));
	return &at->keys[at->nkeys++];
}

static void
drop_key(struct autotrust *at, size_t i)
{
	ldns_rr_free(at->keys[i].rr);
	at->keys[i] = at->keys[--at->nkeys];
}

void
autotrust_free(struct autotrust *at)
{
	if (at == NULL)
		return;
	for (size_t i = 0; i < at->nkeys; i++)
		ldns_rr_free(at->keys[i].rr);
	free(at->keys);
	ldns_rdf_deep_free(at->zone);
	free(at);
}

/* The value after "name" in `text` as an unsigned number; false when
 * absent; *bad set when present but not a number. */
static bool
field_u32(const char *text, const char *name, uint32_t *out, bool *bad)
{
	const char *p = strstr(text, name);
	char *end;
	unsigned long v;

	if (p == NULL)
		return false;
	p += strlen(name);
	while (*p == ' ' || *p == '\t')
		p++;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (end == p || errno != 0 || v > UINT32_MAX || *p == '-') {
		*bad = true;
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* Parses one record line (text before its first ';' plus the ;;state=
 * comments after it) into `at`. NULL on success, else a reason written
 * into `why`. */
static const char *
load_record(struct autotrust *at, char *line, uint32_t ttl,
    const ldns_rdf *origin, char *why, size_t whylen)
{
	char *comment = strchr(line, ';');
	ldns_rr *rr = NULL;
	ldns_status st;
	struct at_key *k;
	uint32_t v;
	bool bad = false;

	if (comment != NULL)
		*comment++ = '\0';
	st = ldns_rr_new_frm_str(&rr, line, ttl, (ldns_rdf *)origin, NULL);
	if (st != LDNS_STATUS_OK) {
		snprintf(why, whylen, "%s", ldns_get_errorstr_by_id(st));
		return why;
	}
	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS &&
	    ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY) {
		ldns_rr_free(rr);
		return "a trust anchor must be a DS or DNSKEY record";
	}
	if (ldns_rr_rd_count(rr) != 4) {
		ldns_rr_free(rr);
		return "incomplete record";
	}
	if (at->zone == NULL) {
		at->zone = ldns_rdf_clone(ldns_rr_owner(rr));
	} else if (!dname_equal(at->zone, ldns_rr_owner(rr))) {
		ldns_rr_free(rr);
		return "record for another zone (one zone per autotrust file)";
	}
	if (at->nkeys == LIMIT_AUTOTRUST_KEYS) {
		ldns_rr_free(rr);
		return "too many keys (LIMIT_AUTOTRUST_KEYS)";
	}
	if ((k = add_slot(at)) == NULL) {
		ldns_rr_free(rr);
		return "out of memory";
	}
	k->rr = rr;
	/* Plain lines (Debian's root.key) are anchors the operator trusts. */
	k->state = AUTOTRUST_VALID;
	if (comment == NULL)
		return NULL;
	/* The first ';' was cut above: match the names without it. */
	if (field_u32(comment, "state=", &v, &bad)) {
		if (v > AUTOTRUST_REMOVED)
			return "state is not an RFC 5011 state (0 to 5)";
		k->state = v;
	}
	if (field_u32(comment, "count=", &v, &bad))
		k->count = v;
	if (field_u32(comment, "lastchange=", &v, &bad))
		k->lastchange = v;
	if (bad)
		return "state, count or lastchange is not a number";
	return NULL;
}

/* The header fields Unbound writes before the records. */
static const char *
load_header(struct autotrust *at, const char *line, char *why, size_t whylen)
{
	static const struct { const char *name; size_t off; } fields[] = {
		{ ";;last_queried:", offsetof(struct autotrust, last_queried) },
		{ ";;last_success:", offsetof(struct autotrust, last_success) },
		{ ";;next_probe_time:", offsetof(struct autotrust, next_probe_time) },
		{ ";;query_interval:", offsetof(struct autotrust, query_interval) },
		{ ";;retry_time:", offsetof(struct autotrust, retry_time) },
	};
	uint32_t v;
	bool bad = false;

	if (strncmp(line, ";;id:", 5) == 0) {
		char name[1025];	/* a name in presentation form: 255 x 4 */
		ldns_rdf *zone = NULL;

		if (sscanf(line + 5, " %1024s", name) != 1 ||
		    ldns_str2rdf_dname(&zone, name) != LDNS_STATUS_OK) {
			snprintf(why, whylen, ";;id: without a zone name");
			return why;
		}
		if (at->zone != NULL && !dname_equal(at->zone, zone)) {
			ldns_rdf_deep_free(zone);
			return ";;id: names another zone than the records";
		}
		ldns_rdf_deep_free(at->zone);
		at->zone = zone;
		return NULL;
	}
	if (strncmp(line, ";;query_failed:", 15) == 0) {
		if (!field_u32(line, ";;query_failed:", &v, &bad))
			return ";;query_failed: is not a number";
		at->query_failed = v;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strncmp(line, fields[i].name, strlen(fields[i].name)) != 0)
			continue;
		if (!field_u32(line, fields[i].name, &v, &bad)) {
			snprintf(why, whylen, "%s is not a number", fields[i].name);
			return why;
		}
		*(uint32_t *)((char *)at + fields[i].off) = v;
		return NULL;
	}
	return NULL;	/* any other comment */
}

struct autotrust *
autotrust_load(const char *path, char *err, size_t errlen)
{
	struct autotrust *at;
	FILE *fp;
	char *line = NULL, why[256];
	size_t cap = 0;
	ssize_t len;
	uint32_t ttl = 3600;
	ldns_rdf *origin = NULL;
	int lineno = 0;
	const char *bad = NULL;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if ((at = calloc(1, sizeof(*at))) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	while (bad == NULL && (len = getline(&line, &cap, fp)) != -1) {
		char *p = line;

		lineno++;
		if (strlen(line) != (size_t)len) {
			bad = "NUL byte in line";
			break;
		}
		line[strcspn(line, "\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			continue;
		if (*p == ';') {
			bad = load_header(at, p, why, sizeof(why));
		} else if (strncmp(p, "$TTL", 4) == 0) {
			uint32_t v;
			bool b = false;

			if (!field_u32(p, "$TTL", &v, &b))
				bad = "$TTL is not a number";
			else
				ttl = v;
		} else if (strncmp(p, "$ORIGIN", 7) == 0) {
			ldns_rdf *o = NULL;

			p += 7;
			while (isspace((unsigned char)*p))
				p++;
			if (ldns_str2rdf_dname(&o, p) != LDNS_STATUS_OK)
				bad = "$ORIGIN is not a domain name";
			ldns_rdf_deep_free(origin);
			origin = o;
		} else if (*p == '$') {
			bad = "only $TTL and $ORIGIN directives are supported";
		} else {
			bad = load_record(at, p, ttl, origin, why, sizeof(why));
		}
	}
	if (bad == NULL && ferror(fp)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		bad = err;
	} else if (bad != NULL) {
		snprintf(err, errlen, "%s:%d: %s", path, lineno, bad);
	} else if (at->nkeys == 0) {
		snprintf(err, errlen, "%s: no DS or DNSKEY record", path);
		bad = err;
	}
	free(line);
	ldns_rdf_deep_free(origin);
	fclose(fp);
	if (bad != NULL) {
		autotrust_free(at);
		return NULL;
	}
	ldns_dname2canonical(at->zone);
	return at;
}

static void
print_time(FILE *fp, const char *name, uint32_t t)
{
	time_t tt = t;
	char buf[64];

	if (strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", gmtime(&tt)) == 0)
		buf[0] = '\0';
	fprintf(fp, ";;%s: %u ;;%s\n", name, t, buf);
}

/* The file's text; 0, or -1 when a write failed. */
static int
write_state(const struct autotrust *at, FILE *fp)
{
	char *zone = ldns_rdf2str(at->zone);

	if (zone == NULL)
		return -1;
	fprintf(fp, "; autotrust trust anchor file (RFC 5011), written by descendd\n");
	fprintf(fp, ";;id: %s 1\n", zone);
	free(zone);
	print_time(fp, "last_queried", at->last_queried);
	print_time(fp, "last_success", at->last_success);
	print_time(fp, "next_probe_time", at->next_probe_time);
	fprintf(fp, ";;query_failed: %u\n", at->query_failed);
	fprintf(fp, ";;query_interval: %u\n", at->query_interval);
	fprintf(fp, ";;retry_time: %u\n", at->retry_time);
	for (size_t i = 0; i < at->nkeys; i++) {
		const struct at_key *k = &at->keys[i];
		char *text = ldns_rr2str(k->rr);

		if (text == NULL)
			return -1;
		text[strcspn(text, "\n")] = '\0';
		/* ldns appends ";{id = ...}" to DNSKEYs: keep it, it is what
		 * Unbound writes too, and the parser stops at the first ';'. */
		fprintf(fp, "%s ;;state=%d [%s] ;;count=%u ;;lastchange=%u\n",
		    text, (int)k->state, state_names[k->state], k->count,
		    k->lastchange);
		free(text);
	}
	return ferror(fp) ? -1 : 0;
}

int
autotrust_save(const struct autotrust *at, const char *path, char *err,
    size_t errlen)
{
	size_t n = strlen(path) + sizeof(".XXXXXX");
	char *tmp = malloc(n);
	FILE *fp = NULL;
	int fd;

	if (tmp == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	/* Same directory as the file: rename() is atomic only within one
	 * file system. */
	snprintf(tmp, n, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: cannot create %s: %s", path, tmp,
		    strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return -1;
	}
	if (write_state(at, fp) != 0 || fflush(fp) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: cannot write %s: %s", path, tmp,
		    strerror(errno));
		fclose(fp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot replace it with %s: %s", path,
		    tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

ldns_rr_list *
autotrust_trusted(const struct autotrust *at)
{
	ldns_rr_list *list = ldns_rr_list_new();

	if (list == NULL)
		return NULL;
	for (size_t i = 0; i < at->nkeys; i++) {
		const struct at_key *k = &at->keys[i];
		ldns_rr *rr;

		if (k->state != AUTOTRUST_VALID && k->state != AUTOTRUST_MISSING)
			continue;
		if ((rr = ldns_rr_clone(k->rr)) == NULL ||
		    !ldns_rr_list_push_rr(list, rr)) {
			ldns_rr_free(rr);
			ldns_rr_list_deep_free(list);
			return NULL;
		}
	}
	return list;
}

/*
 * True when the revoked `key` signs `dnskeys` itself (RFC 5011 §2.1): an
 * RRSIG over the set with the revoked key's own tag (the REVOKE bit is in
 * it) that verifies with the key at `now`. Only then is the revocation real.
 */
static bool
self_signed(const ldns_rr *key, const ldns_rr_list *dnskeys,
    const ldns_rr_list *rrsigs, const ldns_rdf *zone, uint32_t now)
{
	uint16_t tag = ldns_calc_keytag(key);
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rdf(key, 2));

	for (size_t i = 0; i < ldns_rr_list_rr_count(rrsigs); i++) {
		ldns_rr *sig = ldns_rr_list_rr(rrsigs, i);
		ldns_rr_list *set, *sigl;
		ldns_status st;

		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG ||
		    ldns_rr_rd_count(sig) != 9 ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) !=
		    LDNS_RR_TYPE_DNSKEY ||
		    ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig)) != tag ||
		    ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig)) != alg ||
		    !dname_equal(ldns_rr_rrsig_signame(sig), zone))
			continue;
		/* ldns lowercases what it verifies: work on copies. */
		set = ldns_rr_list_clone(dnskeys);
		sigl = ldns_rr_list_new();
		if (set == NULL || sigl == NULL ||
		    !ldns_rr_list_push_rr(sigl, ldns_rr_clone(sig))) {
			ldns_rr_list_deep_free(set);
			ldns_rr_list_deep_free(sigl);
			return false;
		}
		st = ldns_verify_rrsig_time(set, ldns_rr_list_rr(sigl, 0),
		    (ldns_rr *)key, now);
		ldns_rr_list_deep_free(set);
		ldns_rr_list_deep_free(sigl);
		if (st == LDNS_STATUS_OK)
			return true;
		/* One try per revoked key: the set's signer has already been
		 * checked, a second forged RRSIG buys an attacker nothing. */
		return false;
	}
	return false;
}

static void
set_state(struct at_key *k, enum autotrust_state state, uint32_t now)
{
	k->state = state;
	k->lastchange = now;
}

/* Replaces DS anchors by the DNSKEY of the validated set they match, so
 * that key can be tracked (and revoked) as RFC 5011 keys are. */
static void
match_ds(struct autotrust *at, const ldns_rr_list *dnskeys)
{
	for (size_t i = 0; i < at->nkeys; i++) {
		struct at_key *k = &at->keys[i];

		if (ldns_rr_get_type(k->rr) != LDNS_RR_TYPE_DS)
			continue;
		for (size_t j = 0; j < ldns_rr_list_rr_count(dnskeys); j++) {
			ldns_rr *key = ldns_rr_list_rr(dnskeys, j);
			ldns_rr *clone;

			if (ldns_rr_get_type(key) != LDNS_RR_TYPE_DNSKEY ||
			    (key_flags(key) & DNSKEY_REVOKE) ||
			    !ldns_rr_compare_ds(k->rr, key) ||
			    find_key(at, key) != NULL ||
			    (clone = ldns_rr_clone(key)) == NULL)
				continue;
			ldns_rr_free(k->rr);
			k->rr = clone;
			break;
		}
	}
}

/* One RFC 5011 timer: max(1 h, min(most, ttl / part, exp / part)). */
static uint32_t
timer(uint32_t ttl, uint32_t exp, uint32_t part, uint32_t most)
{
	uint32_t t = most;

	if (ttl / part < t)
		t = ttl / part;
	if (exp / part < t)
		t = exp / part;
	return t < REFRESH_MIN ? REFRESH_MIN : t;
}

/* RFC 5011 §2.3: refresh = max(1 h, min(15 d, 1/2 original TTL, 1/2 the
 * time until the RRSIGs expire)); retry = max(1 h, min(1 d, the same
 * tenths)). */
static void
set_timers(struct autotrust *at, const ldns_rr_list *dnskeys,
    const ldns_rr_list *rrsigs, uint32_t now)
{
	uint32_t ttl = UINT32_MAX, exp = UINT32_MAX;

	for (size_t i = 0; i < ldns_rr_list_rr_count(dnskeys); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(dnskeys, i)) < ttl)
			ttl = ldns_rr_ttl(ldns_rr_list_rr(dnskeys, i));
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrsigs); i++) {
		ldns_rr *sig = ldns_rr_list_rr(rrsigs, i);
		uint32_t orig, left;

		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG ||
		    ldns_rr_rd_count(sig) != 9 ||
		    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(sig)) !=
		    LDNS_RR_TYPE_DNSKEY)
			continue;
		orig = ldns_rdf2native_int32(ldns_rr_rrsig_origttl(sig));
		if (orig < ttl)
			ttl = orig;
		/* Serial arithmetic (RFC 4034 §3.1.5): an expiration in the
		 * past gives 0, i.e. the minimum interval. */
		left = ldns_rdf2native_int32(ldns_rr_rrsig_expiration(sig)) - now;
		if ((int32_t)left < 0)
			left = 0;
		if (left < exp)
			exp = left;
	}
	at->query_interval = timer(ttl, exp, 2, REFRESH_MAX);
	at->retry_time = timer(ttl, exp, 10, RETRY_MAX);
	at->next_probe_time = now + at->query_interval;
}

void
autotrust_probe_failed(struct autotrust *at, uint32_t now)
{
	at->last_queried = now;
	at->query_failed++;
	at->next_probe_time = now + (at->retry_time ? at->retry_time : REFRESH_MIN);
}

void
autotrust_update(struct autotrust *at, const ldns_rr_list *dnskeys,
    const ldns_rr_list *rrsigs, uint32_t now, struct dnssec_verdict *verdict)
{
	ldns_rr_list *trusted = autotrust_trusted(at);
	struct dnssec_budget budget;

	dnssec_budget_init(&budget);
	if (trusted == NULL) {
		dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_BOGUS,
		    "out of memory");
		autotrust_probe_failed(at, now);
		return;
	}
	/* Only a set signed by a key trusted now may change the anchor; a
	 * revoked or pending key cannot vouch for anything (RFC 5011 §2). */
	dnssec_verify_dnskey_rrset(dnskeys, rrsigs, trusted, at->zone, now,
	    &budget, verdict, NULL);
	ldns_rr_list_deep_free(trusted);
	if (verdict->status != SEC_SECURE) {
		autotrust_probe_failed(at, now);
		return;
	}
	at->last_queried = at->last_success = now;
	at->query_failed = 0;
	match_ds(at, dnskeys);
	for (size_t i = 0; i < at->nkeys; i++)
		at->keys[i].seen = false;

	for (size_t i = 0; i < ldns_rr_list_rr_count(dnskeys); i++) {
		ldns_rr *key = ldns_rr_list_rr(dnskeys, i);
		uint16_t flags;
		struct at_key *k;

		if (ldns_rr_get_type(key) != LDNS_RR_TYPE_DNSKEY ||
		    ldns_rr_rd_count(key) != 4 ||
		    !dname_equal(ldns_rr_owner(key), at->zone))
			continue;
		flags = key_flags(key);
		/* RFC 5011 tracks secure entry points; ZSKs come and go. */
		if (!(flags & DNSKEY_SEP) || !(flags & DNSKEY_ZONE))
			continue;
		k = find_key(at, key);
		if (flags & DNSKEY_REVOKE) {
			/* A revocation must be signed by the revoked key
			 * itself, or it is ignored (RFC 5011 §2.1). */
			if (k == NULL || !self_signed(key, dnskeys, rrsigs,
			    at->zone, now))
				continue;
			k->seen = true;
			if (k->state == AUTOTRUST_VALID ||
			    k->state == AUTOTRUST_MISSING ||
			    k->state == AUTOTRUST_ADDPEND) {
				ldns_rr *clone = ldns_rr_clone(key);

				if (clone != NULL) {
					ldns_rr_free(k->rr);
					k->rr = clone;
				}
				set_state(k, AUTOTRUST_REVOKED, now);
			}
			continue;
		}
		if (k == NULL) {
			ldns_rr *clone;

			/* NewKey: Start -> AddPend, the hold-down starts.
			 * The keys a zone can make us track are bounded. */
			if (at->nkeys == LIMIT_AUTOTRUST_KEYS ||
			    (clone = ldns_rr_clone(key)) == NULL)
				continue;
			if ((k = add_slot(at)) == NULL) {
				ldns_rr_free(clone);
				continue;
			}
			k->rr = clone;
			set_state(k, AUTOTRUST_ADDPEND, now);
			k->count = 1;
			k->seen = true;
			continue;
		}
		k->seen = true;
		switch (k->state) {
		case AUTOTRUST_START:
		case AUTOTRUST_REMOVED:
			set_state(k, AUTOTRUST_ADDPEND, now);
			k->count = 1;
			break;
		case AUTOTRUST_ADDPEND:
			/* AddTime: hold-down over and seen again since. */
			k->count++;
			if (now - k->lastchange >= AUTOTRUST_ADD_HOLDDOWN &&
			    k->count >= AUTOTRUST_MIN_PENDING) {
				set_state(k, AUTOTRUST_VALID, now);
				k->count = 0;
			}
			break;
		case AUTOTRUST_MISSING:
			set_state(k, AUTOTRUST_VALID, now);	/* KeyPres */
			break;
		case AUTOTRUST_VALID:
		case AUTOTRUST_REVOKED:
			break;
		}
	}
	/* Keys absent from the set, and revoked keys whose time is up. */
	for (size_t i = at->nkeys; i-- > 0;) {
		struct at_key *k = &at->keys[i];

		if (ldns_rr_get_type(k->rr) != LDNS_RR_TYPE_DNSKEY)
			continue;	/* a DS anchor not matched: keep it */
		if (k->state == AUTOTRUST_REVOKED) {
			/* RemTime: forgotten after the remove hold-down. */
			if (now - k->lastchange >= AUTOTRUST_DEL_HOLDDOWN)
				drop_key(at, i);
			continue;
		}
		if (k->seen)
			continue;
		if (k->state == AUTOTRUST_VALID)
			set_state(k, AUTOTRUST_MISSING, now);	/* KeyRem */
		else if (k->state == AUTOTRUST_ADDPEND ||
		    k->state == AUTOTRUST_START || k->state == AUTOTRUST_REMOVED)
			drop_key(at, i);	/* back to Start: hold-down resets */
	}
	set_timers(at, dnskeys, rrsigs, now);
}

uint32_t
autotrust_next_probe(const struct autotrust *at)
{
	return at->next_probe_time;
}

const ldns_rdf *
autotrust_zone(const struct autotrust *at)
{
	return at->zone;
}

size_t
autotrust_key_count(const struct autotrust *at)
{
	return at->nkeys;
}

int
autotrust_key_state(const struct autotrust *at, const ldns_rr *dnskey)
{
	const struct at_key *k = find_key(at, dnskey);

	return k != NULL ? (int)k->state : -1;
}

unsigned
autotrust_query_failed(const struct autotrust *at)
{
	return at->query_failed;
}
