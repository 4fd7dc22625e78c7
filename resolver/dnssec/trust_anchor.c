/*
 * trust_anchor.c: trust anchors (DS/DNSKEY from files and strings) and
 * negative trust anchors, with the closest-anchor lookup. Loaded at start,
 * read-only afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "rr_file.h"
#include "dnssec/autotrust.h"
#include "dnssec/trust_anchor.h"

struct trust_anchors {
	struct trust_anchor *items;
	size_t count;
	size_t cap;
};

struct trust_anchors *
trust_anchors_new(void)
{
	return calloc(1, sizeof(struct trust_anchors));
}

void
trust_anchors_free(struct trust_anchors *anchors)
{
	if (anchors == NULL)
		return;
	for (size_t i = 0; i < anchors->count; i++) {
		ldns_rdf_deep_free(anchors->items[i].zone);
		ldns_rr_list_deep_free(anchors->items[i].records);
	}
	free(anchors->items);
	free(anchors);
}

/* The entry for `zone` with the given polarity, created when missing. */
static struct trust_anchor *
anchor_for(struct trust_anchors *anchors, const ldns_rdf *zone, bool negative)
{
	struct trust_anchor *ta;

	for (size_t i = 0; i < anchors->count; i++)
		if (anchors->items[i].negative == negative &&
		    dname_equal(anchors->items[i].zone, zone))
			return &anchors->items[i];
	if (anchors->count == anchors->cap) {
		size_t cap = anchors->cap ? anchors->cap * 2 : 4;
		struct trust_anchor *items = reallocarray(anchors->items, cap,
		    sizeof(*items));

		if (items == NULL)
			return NULL;
		anchors->items = items;
		anchors->cap = cap;
	}
	ta = &anchors->items[anchors->count];
	ta->zone = ldns_rdf_clone(zone);
	ta->records = ldns_rr_list_new();
	ta->negative = negative;
	if (ta->zone == NULL || ta->records == NULL) {
		ldns_rdf_deep_free(ta->zone);
		ldns_rr_list_free(ta->records);
		return NULL;
	}
	ldns_dname2canonical(ta->zone);
	anchors->count++;
	return ta;
}

/* NULL when `rr` can be an anchor, else a static reason why not. */
static const char *
check_record(const ldns_rr *rr)
{
	ldns_rr_type type = ldns_rr_get_type(rr);

	if (type != LDNS_RR_TYPE_DS && type != LDNS_RR_TYPE_DNSKEY)
		return "a trust anchor must be a DS or DNSKEY record";
	if (ldns_rr_rd_count(rr) != 4)
		return "incomplete record";
	if (type == LDNS_RR_TYPE_DNSKEY) {
		uint16_t flags = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));

		if (ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)) != 3)
			return "DNSKEY protocol must be 3";
		if (!(flags & 0x0100))
			return "DNSKEY without the zone key bit (flags 256 or 257)";
	}
	return NULL;
}

/* Adds a checked record, taking ownership; -1 when out of memory. */
static int
add_record(struct trust_anchors *anchors, ldns_rr *rr)
{
	struct trust_anchor *ta = anchor_for(anchors, ldns_rr_owner(rr), false);

	if (ta == NULL || !ldns_rr_list_push_rr(ta->records, rr))
		return -1;
	return 0;
}

/*
 * Adds the checked records of a file, taking them from `rrs` and freeing
 * it; -1 with "PATH: `empty`" when there is none, or when out of memory.
 */
static int
add_records(struct trust_anchors *anchors, ldns_rr_list *rrs,
    const char *path, const char *empty, char *err, size_t errlen)
{
	int rc = 0;

	if (ldns_rr_list_rr_count(rrs) == 0) {
		snprintf(err, errlen, "%s: %s", path, empty);
		rc = -1;
	}
	while (rc == 0 && ldns_rr_list_rr_count(rrs) > 0) {
		ldns_rr *rr = ldns_rr_list_pop_rr(rrs);

		if (add_record(anchors, rr) != 0) {
			ldns_rr_free(rr);
			snprintf(err, errlen, "%s: out of memory", path);
			rc = -1;
		}
	}
	ldns_rr_list_deep_free(rrs);
	return rc;
}

/*
 * Whether the file is an RFC 5011 state file (Unbound's or ours): its
 * records carry ";;state=N" comments that plain zone-file reading drops.
 */
static bool
is_autotrust_file(FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	while (!found && getline(&line, &cap, fp) != -1)
		found = strstr(line, ";;state=") != NULL;
	free(line);
	rewind(fp);
	return found;
}

/*
 * An RFC 5011 state file lists keys that must not be trusted yet (AddPend)
 * or any more (Revoked, Removed): read it with the state machine's own
 * reader and take only the keys it trusts, never every record in it.
 */
static int
add_autotrust_file(struct trust_anchors *anchors, const char *path,
    char *err, size_t errlen)
{
	struct autotrust *at = autotrust_load(path, err, errlen);
	ldns_rr_list *trusted;

	if (at == NULL)
		return -1;
	trusted = autotrust_trusted(at);
	autotrust_free(at);
	if (trusted == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	return add_records(anchors, trusted, path,
	    "no key in a trusted state (all pending or revoked)", err, errlen);
}

int
trust_anchors_add_file(struct trust_anchors *anchors, const char *path,
    char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	ldns_rr_list *read;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (is_autotrust_file(fp)) {
		fclose(fp);
		return add_autotrust_file(anchors, path, err, errlen);
	}
	fclose(fp);
	/* Read the whole file first: a bad line adds nothing. */
	if ((read = rr_file_read(path, check_record, err, errlen)) == NULL)
		return -1;
	return add_records(anchors, read, path, "no DS or DNSKEY record", err,
	    errlen);
}

int
trust_anchors_add_string(struct trust_anchors *anchors, const char *text,
    char *err, size_t errlen)
{
	ldns_rr *rr = NULL;
	ldns_status st = ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL);
	const char *why;

	if (st != LDNS_STATUS_OK) {
		snprintf(err, errlen, "trust anchor \"%s\": %s", text,
		    ldns_get_errorstr_by_id(st));
		return -1;
	}
	if ((why = check_record(rr)) != NULL) {
		snprintf(err, errlen, "trust anchor \"%s\": %s", text, why);
		ldns_rr_free(rr);
		return -1;
	}
	if (add_record(anchors, rr) != 0) {
		snprintf(err, errlen, "trust anchor \"%s\": out of memory", text);
		ldns_rr_free(rr);
		return -1;
	}
	return 0;
}

int
trust_anchors_add_insecure(struct trust_anchors *anchors, const char *domain,
    char *err, size_t errlen)
{
	ldns_rdf *name = NULL;

	if (ldns_str2rdf_dname(&name, domain) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "domain-insecure \"%s\": not a domain name",
		    domain);
		return -1;
	}
	if (anchor_for(anchors, name, true) == NULL) {
		snprintf(err, errlen, "domain-insecure \"%s\": out of memory",
		    domain);
		ldns_rdf_deep_free(name);
		return -1;
	}
	ldns_rdf_deep_free(name);
	return 0;
}

const struct trust_anchor *
trust_anchors_lookup(const struct trust_anchors *anchors, const ldns_rdf *name)
{
	const struct trust_anchor *best = NULL;
	unsigned best_labels = 0;

	for (size_t i = 0; i < anchors->count; i++) {
		const struct trust_anchor *ta = &anchors->items[i];
		unsigned labels = dname_labels(ta->zone);

		if (!dname_in_bailiwick(name, ta->zone))
			continue;
		/* Deepest wins; at the same name the negative anchor wins
		 * (RFC 7646: it overrides the anchor it is set below or at). */
		if (best == NULL || labels > best_labels ||
		    (labels == best_labels && ta->negative)) {
			best = ta;
			best_labels = labels;
		}
	}
	return best;
}

size_t
trust_anchors_count(const struct trust_anchors *anchors)
{
	return anchors->count;
}

const struct trust_anchor *
trust_anchors_get(const struct trust_anchors *anchors, size_t i)
{
	return i < anchors->count ? &anchors->items[i] : NULL;
}
