/*
 * test_autotrust.c: RFC 5011 trust anchor maintenance
 * (resolver/dnssec/autotrust.c) at an injected clock, keys made with ldns:
 * the add hold-down and pending count, Missing, self-signed revocation,
 * refresh and retry timers, the file round trip, atomic replacement and
 * line-numbered errors.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "dnssec_util.h"
#include "engine_limits.h"
#include "dnssec/autotrust.h"

#define ZONE	"example."
#define KSK	257
#define REVOKE	0x0080

static char dir[] = "/tmp/descend-autotrust-XXXXXX";
/* How long the probes' RRSIGs stay valid. */
static uint32_t sig_days = 30;

static const char *
path_of(const char *name)
{
	static char path[sizeof(dir) + 300];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static const char *
write_file(const char *name, const char *text)
{
	const char *path = path_of(name);
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	return path;
}

static char *
read_all(int fd)
{
	static char buf[65536];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* An anchor file trusting `k` (a plain DNSKEY line, as Debian ships). */
static struct autotrust *
load_trusting(const char *name, struct t_key *k)
{
	char *text = ldns_rr2str(k->dnskey), err[512];
	const char *path = write_file(name, text);
	struct autotrust *at = autotrust_load(path, err, sizeof(err));

	free(text);
	if (at == NULL) {
		diag("%s", err);
		abort();
	}
	return at;
}

/* The revoked form of `k`'s DNSKEY (REVOKE bit set: a new key tag). */
static ldns_rr *
revoked_rr(struct t_key *k)
{
	ldns_rr *rr = ldns_rr_clone(k->dnskey);
	ldns_rdf *flags = ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
	    ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) | REVOKE);

	ldns_rdf_deep_free(ldns_rr_set_rdf(rr, flags, 0));
	return rr;
}

/*
 * One probe at `now`: the DNSKEY set `keys` (TTL `ttl`) signed by each of
 * `signers`, where signer i uses key tag tags[i] (0: its own) so a
 * revoked key's RRSIG carries the revoked tag. Returns the verdict status.
 */
static enum sec_status
probe_tags(struct autotrust *at, uint32_t now, uint32_t ttl, ldns_rr **keys,
    size_t nkeys, struct t_key **signers, const uint16_t *tags, size_t nsig)
{
	ldns_rr_list *set = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	struct dnssec_verdict v;

	for (size_t i = 0; i < nkeys; i++) {
		ldns_rr *rr = ldns_rr_clone(keys[i]);

		ldns_rr_set_ttl(rr, ttl);
		ldns_rr_list_push_rr(set, rr);
	}
	for (size_t i = 0; i < nsig; i++) {
		ldns_rr_list *s;

		ldns_key_set_keytag(signers[i]->key,
		    tags != NULL && tags[i] ? tags[i] : signers[i]->tag);
		s = t_sign(set, signers[i], now - T_DAY, now + sig_days * T_DAY);
		ldns_rr_list_push_rr_list(sigs, s);
		ldns_rr_list_free(s);
		ldns_key_set_keytag(signers[i]->key, signers[i]->tag);
	}
	autotrust_update(at, set, sigs, now, &v);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	return v.status;
}

static enum sec_status
probe(struct autotrust *at, uint32_t now, ldns_rr **keys, size_t nkeys,
    struct t_key **signers, size_t nsig)
{
	return probe_tags(at, now, 172800, keys, nkeys, signers, NULL, nsig);
}

/* True when `key` is in the anchor autotrust_trusted() exports. */
static bool
trusted(struct autotrust *at, ldns_rr *key)
{
	ldns_rr_list *list = autotrust_trusted(at);
	bool found = false;

	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++)
		if (ldns_rr_compare(ldns_rr_list_rr(list, i), key) == 0)
			found = true;
	ldns_rr_list_deep_free(list);
	return found;
}

static void
test_add_holddown(void)
{
	struct t_key k1 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	struct t_key k2 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	struct autotrust *at = load_trusting("add", &k1);
	ldns_rr *both[] = { k1.dnskey, k2.dnskey }, *only1[] = { k1.dnskey };
	struct t_key *s1[] = { &k1 }, *s2[] = { &k2 };

	ok(autotrust_key_state(at, k1.dnskey) == AUTOTRUST_VALID &&
	    trusted(at, k1.dnskey), "a plain DNSKEY line starts Valid and trusted");
	ok(probe(at, T_NOW, both, 2, s1, 1) == SEC_SECURE &&
	    autotrust_key_state(at, k2.dnskey) == AUTOTRUST_ADDPEND &&
	    !trusted(at, k2.dnskey), "a new key enters AddPend, not trusted");
	ok(probe(at, T_NOW + 15 * T_DAY, both, 2, s1, 1) == SEC_SECURE &&
	    probe(at, T_NOW + 29 * T_DAY, both, 2, s1, 1) == SEC_SECURE &&
	    autotrust_key_state(at, k2.dnskey) == AUTOTRUST_ADDPEND &&
	    !trusted(at, k2.dnskey),
	    "seen for 29 days: still AddPend (the 30-day add hold-down)");
	ok(probe(at, T_NOW + 29 * T_DAY, both, 2, s2, 1) == SEC_BOGUS &&
	    autotrust_key_state(at, k2.dnskey) == AUTOTRUST_ADDPEND,
	    "a set signed only by the pending key does not validate");
	ok(probe(at, T_NOW + 30 * T_DAY, both, 2, s1, 1) == SEC_SECURE &&
	    autotrust_key_state(at, k2.dnskey) == AUTOTRUST_VALID &&
	    trusted(at, k2.dnskey), "after 30 days and a new sighting: Valid, trusted");
	ok(probe(at, T_NOW + 31 * T_DAY, both, 2, s2, 1) == SEC_SECURE,
	    "the new key now validates the set by itself");
	autotrust_free(at);

	/* A key that leaves during its hold-down starts over. */
	at = load_trusting("add2", &k1);
	probe(at, T_NOW, both, 2, s1, 1);
	probe(at, T_NOW + 10 * T_DAY, only1, 1, s1, 1);
	ok(autotrust_key_state(at, k2.dnskey) == -1,
	    "a pending key absent from the set is forgotten (back to Start)");
	probe(at, T_NOW + 31 * T_DAY, both, 2, s1, 1);
	ok(autotrust_key_state(at, k2.dnskey) == AUTOTRUST_ADDPEND,
	    "when it returns its hold-down starts again");
	autotrust_free(at);
	t_key_free(&k1);
	t_key_free(&k2);
}

/* The hold-down alone is not enough: the key must be seen across
 * refreshes (AUTOTRUST_MIN_PENDING validated sightings). */
static void
test_pending_count(void)
{
	struct t_key k1 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	struct t_key k2 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	ldns_rr *both[] = { k1.dnskey, k2.dnskey };
	struct t_key *s1[] = { &k1 };
	char *t1 = ldns_rr2str(k1.dnskey), *t2 = ldns_rr2str(k2.dnskey);
	char text[4096], err[512] = "";
	struct autotrust *at;

	t1[strcspn(t1, "\n")] = '\0';
	t2[strcspn(t2, "\n")] = '\0';
	snprintf(text, sizeof(text), "%s ;;state=2 [  VALID  ] ;;count=0 "
	    ";;lastchange=%u\n%s ;;state=1 [ ADDPEND ] ;;count=0 "
	    ";;lastchange=%u\n", t1, T_NOW - 100 * T_DAY, t2, T_NOW - 40 * T_DAY);
	at = autotrust_load(write_file("count", text), err, sizeof(err));
	ok(at != NULL, "a file with a pending key loads (%s)", at ? "" : err);
	probe(at, T_NOW, both, 2, s1, 1);
	ok(autotrust_key_state(at, k2.dnskey) == AUTOTRUST_ADDPEND,
	    "hold-down over but seen once: still AddPend");
	probe(at, T_NOW + T_DAY, both, 2, s1, 1);
	ok(autotrust_key_state(at, k2.dnskey) == AUTOTRUST_VALID,
	    "seen again on the next refresh: Valid");
	autotrust_free(at);
	free(t1);
	free(t2);
	t_key_free(&k1);
	t_key_free(&k2);
}

static void
test_missing_and_revoke(void)
{
	struct t_key k1 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	struct t_key k2 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	ldns_rr *k1r = revoked_rr(&k1);
	uint16_t rtag = ldns_calc_keytag(k1r);
	ldns_rr *both[] = { k1.dnskey, k2.dnskey }, *only2[] = { k2.dnskey };
	ldns_rr *rev[] = { k1r, k2.dnskey };
	struct t_key *s1[] = { &k1 }, *s2[] = { &k2 }, *s21[] = { &k2, &k1 };
	struct t_key *s22[] = { &k2, &k2 };
	uint16_t tags[] = { 0, rtag };
	struct autotrust *at = load_trusting("rev", &k1);

	probe(at, T_NOW, both, 2, s1, 1);
	probe(at, T_NOW + 31 * T_DAY, both, 2, s1, 1);
	ok(autotrust_key_state(at, k2.dnskey) == AUTOTRUST_VALID,
	    "k2 trusted after its hold-down");
	ok(probe(at, T_NOW + 32 * T_DAY, only2, 1, s2, 1) == SEC_SECURE &&
	    autotrust_key_state(at, k1.dnskey) == AUTOTRUST_MISSING &&
	    trusted(at, k1.dnskey),
	    "a Valid key absent from the set goes Missing and stays trusted");
	probe(at, T_NOW + 33 * T_DAY, both, 2, s2, 1);
	ok(autotrust_key_state(at, k1.dnskey) == AUTOTRUST_VALID,
	    "a Missing key seen again is Valid");

	/* The revoked k1 in the set, its RRSIG made by k2's private key
	 * under k1's revoked tag: not self-signed. */
	ok(probe_tags(at, T_NOW + 34 * T_DAY, 172800, rev, 2, s22, tags, 2) ==
	    SEC_SECURE && autotrust_key_state(at, k1.dnskey) != AUTOTRUST_REVOKED &&
	    trusted(at, k1.dnskey),
	    "a REVOKE bit not signed by the key itself is ignored");
	ok(probe(at, T_NOW + 34 * T_DAY, rev, 2, s2, 1) == SEC_SECURE &&
	    autotrust_key_state(at, k1.dnskey) != AUTOTRUST_REVOKED &&
	    trusted(at, k1.dnskey),
	    "a REVOKE bit with no RRSIG of the key is ignored");
	ok(probe_tags(at, T_NOW + 35 * T_DAY, 172800, rev, 2, s21, tags, 2) ==
	    SEC_SECURE && autotrust_key_state(at, k1.dnskey) == AUTOTRUST_REVOKED &&
	    !trusted(at, k1.dnskey) && !trusted(at, k1r),
	    "a self-signed revoked key is Revoked and untrusted at once");
	probe(at, T_NOW + 36 * T_DAY, both, 2, s2, 1);
	ok(autotrust_key_state(at, k1.dnskey) == AUTOTRUST_REVOKED &&
	    !trusted(at, k1.dnskey), "a revoked key published again unrevoked "
	    "stays revoked");
	ok(probe(at, T_NOW + 36 * T_DAY, both, 2, s1, 1) == SEC_BOGUS,
	    "a set signed only by the revoked key does not validate");
	probe(at, T_NOW + 64 * T_DAY, only2, 1, s2, 1);
	ok(autotrust_key_state(at, k1.dnskey) == AUTOTRUST_REVOKED,
	    "29 days after revocation it is still remembered");
	probe(at, T_NOW + 66 * T_DAY, only2, 1, s2, 1);
	ok(autotrust_key_state(at, k1.dnskey) == -1 &&
	    autotrust_key_count(at) == 1,
	    "after the 30-day remove hold-down it is forgotten (Removed)");
	autotrust_free(at);
	ldns_rr_free(k1r);
	t_key_free(&k1);
	t_key_free(&k2);
}

static void
test_timers(void)
{
	struct t_key k1 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	struct autotrust *at = load_trusting("timers", &k1);
	ldns_rr *keys[] = { k1.dnskey };
	struct t_key *s1[] = { &k1 };

	probe_tags(at, T_NOW, 172800, keys, 1, s1, NULL, 1);
	ok(autotrust_next_probe(at) == T_NOW + 86400,
	    "refresh: half the 2-day TTL (got +%u)", autotrust_next_probe(at) - T_NOW);
	sig_days = 60;
	probe_tags(at, T_NOW, 100 * 86400, keys, 1, s1, NULL, 1);
	ok(autotrust_next_probe(at) == T_NOW + 15 * 86400,
	    "refresh: at most 15 days (TTL 100 d, sigs last 60; got +%u)",
	    autotrust_next_probe(at) - T_NOW);
	sig_days = 10;
	probe_tags(at, T_NOW, 100 * 86400, keys, 1, s1, NULL, 1);
	ok(autotrust_next_probe(at) == T_NOW + 5 * 86400,
	    "refresh: half the time until the RRSIGs expire (got +%u)",
	    autotrust_next_probe(at) - T_NOW);
	sig_days = 30;
	probe_tags(at, T_NOW + 29 * T_DAY, 100 * 86400, keys, 1, s1, NULL, 1);
	probe_tags(at, T_NOW + 29 * T_DAY + 1, 600, keys, 1, s1, NULL, 1);
	ok(autotrust_next_probe(at) == T_NOW + 29 * T_DAY + 1 + 3600,
	    "refresh: at least one hour (TTL 600)");
	probe_tags(at, T_NOW, 172800, keys, 1, s1, NULL, 1);
	autotrust_probe_failed(at, T_NOW + 100);
	ok(autotrust_next_probe(at) == T_NOW + 100 + 17280 &&
	    autotrust_query_failed(at) == 1,
	    "a failed probe retries after a tenth of the TTL (got +%u)",
	    autotrust_next_probe(at) - T_NOW - 100);
	ok(probe(at, T_NOW + 200, keys, 1, NULL, 0) == SEC_BOGUS &&
	    autotrust_query_failed(at) == 2 &&
	    autotrust_next_probe(at) == T_NOW + 200 + 17280,
	    "an unsigned answer is a failed probe, retried");
	probe(at, T_NOW + 300, keys, 1, s1, 1);
	ok(autotrust_query_failed(at) == 0, "a success clears the failures");
	autotrust_free(at);
	t_key_free(&k1);
}

static void
test_ds_anchor(void)
{
	struct t_key k1 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	struct t_key k2 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	ldns_rr *ds = ldns_key_rr2ds(k1.dnskey, LDNS_SHA256);
	char *text = ldns_rr2str(ds), file[2048], err[512] = "";
	ldns_rr *both[] = { k1.dnskey, k2.dnskey };
	struct t_key *s1[] = { &k1 };
	struct autotrust *at;

	snprintf(file, sizeof(file), "; // root.key style\n%s", text);
	at = autotrust_load(write_file("ds", file), err, sizeof(err));
	ok(at != NULL, "a DS line loads (Debian's root.key)");
	ok(probe(at, T_NOW, both, 2, s1, 1) == SEC_SECURE &&
	    autotrust_key_state(at, k1.dnskey) == AUTOTRUST_VALID &&
	    trusted(at, k1.dnskey) &&
	    autotrust_key_state(at, k2.dnskey) == AUTOTRUST_ADDPEND,
	    "the DS anchor becomes its DNSKEY, tracked as Valid");
	autotrust_free(at);
	free(text);
	ldns_rr_free(ds);
	t_key_free(&k1);
	t_key_free(&k2);
}

static void
test_limit(void)
{
	struct t_key k1 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	struct t_key many[LIMIT_AUTOTRUST_KEYS + 4];
	ldns_rr *keys[LIMIT_AUTOTRUST_KEYS + 5];
	struct t_key *s1[] = { &k1 };
	struct autotrust *at = load_trusting("limit", &k1);
	size_t n = 0;
	enum sec_status st;

	keys[n++] = k1.dnskey;
	for (size_t i = 0; i < LIMIT_AUTOTRUST_KEYS + 4; i++) {
		many[i] = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
		keys[n++] = many[i].dnskey;
	}
	st = probe(at, T_NOW, keys, n, s1, 1);

	ok(st == SEC_SECURE && autotrust_key_count(at) == LIMIT_AUTOTRUST_KEYS &&
	    autotrust_key_state(at, k1.dnskey) == AUTOTRUST_VALID,
	    "a set of %zu keys tracks at most LIMIT_AUTOTRUST_KEYS (%zu)", n,
	    autotrust_key_count(at));
	for (size_t i = 0; i < LIMIT_AUTOTRUST_KEYS + 4; i++)
		t_key_free(&many[i]);
	autotrust_free(at);
	t_key_free(&k1);
}

static void
test_file(void)
{
	struct t_key k1 = t_key_new(LDNS_SIGN_ECDSAP256SHA256, ZONE, KSK);
	struct t_key k2 = t_key_new(LDNS_SIGN_RSASHA256, ZONE, KSK);
	ldns_rr *both[] = { k1.dnskey, k2.dnskey };
	struct t_key *s1[] = { &k1 };
	struct autotrust *at = load_trusting("rt", &k1), *back;
	char err[512] = "", first[65536], *second;
	const char *path = path_of("rt");
	struct stat before, after;
	int fd, leftovers = 0;
	DIR *d;
	struct dirent *de;

	probe(at, T_NOW, both, 2, s1, 1);
	autotrust_probe_failed(at, T_NOW + 10);
	fd = open(path, O_RDONLY);
	fstat(fd, &before);
	snprintf(first, sizeof(first), "%s", read_all(fd));
	ok(autotrust_save(at, path, err, sizeof(err)) == 0, "saved (%s)", err);
	ok(strcmp(read_all(fd), first) == 0,
	    "a reader of the old file still sees all of it (replaced, not rewritten)");
	close(fd);
	stat(path, &after);
	ok(before.st_ino != after.st_ino, "the file was replaced by rename");
	d = opendir(dir);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "rt.", 3) == 0)
			leftovers++;
	closedir(d);
	ok(leftovers == 0, "no temporary file left behind");

	back = autotrust_load(path, err, sizeof(err));
	ok(back != NULL, "the written file loads (%s)", back ? "" : err);
	ok(back != NULL && autotrust_key_state(back, k1.dnskey) == AUTOTRUST_VALID &&
	    autotrust_key_state(back, k2.dnskey) == AUTOTRUST_ADDPEND &&
	    autotrust_next_probe(back) == autotrust_next_probe(at) &&
	    autotrust_query_failed(back) == 1 &&
	    dname_str_eq(autotrust_zone(back), ZONE),
	    "states, timers and failures round-trip");
	fd = open(path, O_RDONLY);
	snprintf(first, sizeof(first), "%s", read_all(fd));
	close(fd);
	autotrust_save(back, path_of("rt2"), err, sizeof(err));
	fd = open(path_of("rt2"), O_RDONLY);
	second = read_all(fd);
	close(fd);
	ok(strcmp(first, second) == 0, "saving what was loaded gives the same file");
	ok(strstr(first, ";;id: example. 1\n") != NULL &&
	    strstr(first, ";;last_success: ") != NULL &&
	    strstr(first, ";;state=1 [ ADDPEND ] ;;count=1 ;;lastchange=") != NULL,
	    "Unbound's autotrust syntax");
	/* The pending key keeps its hold-down across a restart. */
	probe(back, T_NOW + 30 * T_DAY, both, 2, s1, 1);
	ok(autotrust_key_state(back, k2.dnskey) == AUTOTRUST_VALID,
	    "the hold-down started before the save counts after the load");
	ok(autotrust_save(at, "/nonexistent-dir/x", err, sizeof(err)) == -1 &&
	    strstr(err, "/nonexistent-dir/x") != NULL,
	    "an unwritable directory is a clear error: %s", err);
	autotrust_free(back);
	autotrust_free(at);
	t_key_free(&k1);
	t_key_free(&k2);
}

static void
bad(const char *text, const char *expect, const char *what)
{
	char err[512];
	struct autotrust *at = autotrust_load(write_file("bad", text), err,
	    sizeof(err));

	ok(at == NULL && strstr(err, expect) != NULL, "%s: %s", what,
	    at ? "accepted" : err);
	autotrust_free(at);
}

static void
test_bad_files(void)
{
	const char *key = "example. 3600 IN DNSKEY 257 3 13 "
	    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxIL"
	    "fDLUT0rAK9iUzy1L53eKGQ==";
	char text[4096];

	bad("; comment\n\nexample. IN A 192.0.2.1\n", "bad:3: a trust anchor "
	    "must be a DS or DNSKEY", "another record type, line 3");
	snprintf(text, sizeof(text), ";;id: example. 1\n%s ;;state=9 [ X ]\n", key);
	bad(text, "bad:2: state is not an RFC 5011 state", "state out of range");
	snprintf(text, sizeof(text), "%s ;;state=2 ;;lastchange=soon\n", key);
	bad(text, "bad:1: state, count or lastchange is not a number",
	    "lastchange not a number");
	snprintf(text, sizeof(text), ";;id: example. 1\n;;last_success: x\n%s\n",
	    key);
	bad(text, "bad:2: ;;last_success: is not a number", "bad header value");
	snprintf(text, sizeof(text), ";;id: other. 1\n%s\n", key);
	bad(text, "bad:2: record for another zone", ";;id: and records disagree");
	bad("example. IN DNSKEY 257 3 13 !!!\n", "bad:1:", "bad base64");
	bad("$INCLUDE /etc/passwd\n", "bad:1: only $TTL and $ORIGIN",
	    "$INCLUDE refused");
	text[0] = '\0';
	for (int i = 0; i <= LIMIT_AUTOTRUST_KEYS; i++) {
		strlcat(text, key, sizeof(text));
		strlcat(text, "\n", sizeof(text));
	}
	bad(text, "bad:17: too many keys (LIMIT_AUTOTRUST_KEYS)",
	    "more keys than LIMIT_AUTOTRUST_KEYS");
	bad("; nothing\n", "no DS or DNSKEY record", "a file without keys");
	bad("example. IN DNSKEY 257 3 13 AAAA\nexample. IN DNSKEY 257 3\n",
	    "bad:2:", "a truncated record on line 2");
	{
		char err[512];

		ok(autotrust_load(path_of("absent"), err, sizeof(err)) == NULL &&
		    strstr(err, "cannot open") != NULL, "a missing file: %s", err);
	}
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_add_holddown();
	test_pending_count();
	test_missing_and_revoke();
	test_timers();
	test_ds_anchor();
	test_limit();
	test_file();
	test_bad_files();
	for (const char *n = NULL; n == NULL; n = "") {
		DIR *d = opendir(dir);
		struct dirent *de;

		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				unlink(path_of(de->d_name));
		closedir(d);
		rmdir(dir);
	}
	return tap_done();
}
