/*
 * rr_file.c: reads the operator's zone-file-format files (root hints, trust
 * anchors) whole into memory, then record by record with ldns.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_limits.h"
#include "rr_file.h"

/*
 * The line (from 1) of the first record or directive at or after byte
 * `from`: ldns reads the comments and blank lines before a record, and the
 * blank lines after it, with the record, and its own count is the line it
 * stopped on (the last of a parenthesised record, or a blank line after it,
 * one short at a last line without a newline): counted here from the text.
 */
static int
rr_file_line(const char *text, size_t len, size_t from)
{
	size_t i = from;
	int line = 1;

	while (i < len) {
		if (text[i] == ';')
			while (i < len && text[i] != '\n')
				i++;
		else if (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
		    text[i] == '\n')
			i++;
		else
			break;
	}
	for (size_t j = 0; j < i; j++)
		line += text[j] == '\n';
	return line;
}

ldns_rr_list *
rr_file_parse(const char *text, size_t len, const char *where,
    rr_file_check check, char *err, size_t errlen)
{
	ldns_rdf *origin = ldns_dname_new_frm_str("."), *prev = NULL;
	ldns_rr_list *rrs = ldns_rr_list_new();
	uint32_t ttl = 3600;
	FILE *fp = NULL;
	int ldns_line = 0;
	bool ok = origin != NULL && rrs != NULL;

	/* fmemopen() refuses an empty buffer before glibc 2.22. */
	if (ok && len > 0 &&
	    (fp = fmemopen((void *)(uintptr_t)text, len, "r")) == NULL)
		ok = false;
	if (!ok)
		snprintf(err, errlen, "%s: out of memory", where);
	while (ok && fp != NULL && !feof(fp)) {
		long from = ftell(fp);
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin,
		    &prev, &ldns_line);
		const char *why = NULL;

		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
		    st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st != LDNS_STATUS_OK) {
			snprintf(err, errlen, "%s:%d: %s", where,
			    rr_file_line(text, len, (size_t)from),
			    st == LDNS_STATUS_SYNTAX_INCLUDE ?
			    "$INCLUDE is not supported" :
			    ldns_get_errorstr_by_id(st));
			ok = false;
		} else if (check != NULL && (why = check(rr)) != NULL) {
			char *type = ldns_rr_type2str(ldns_rr_get_type(rr));

			snprintf(err, errlen, "%s:%d: %s (%s)", where,
			    rr_file_line(text, len, (size_t)from), why,
			    type != NULL ? type : "?");
			free(type);
			ldns_rr_free(rr);
			ok = false;
		} else if (!ldns_rr_list_push_rr(rrs, rr)) {
			ldns_rr_free(rr);
			snprintf(err, errlen, "%s: out of memory", where);
			ok = false;
		}
	}
	if (fp != NULL)
		fclose(fp);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	if (!ok) {
		ldns_rr_list_deep_free(rrs);
		return NULL;
	}
	return rrs;
}

ldns_rr_list *
rr_file_read(const char *path, rr_file_check check, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	char *text;
	size_t len;
	ldns_rr_list *rrs = NULL;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	/* One byte more than allowed tells a file over the limit. */
	if ((text = malloc(LIMIT_RR_FILE_BYTES + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(fp);
		return NULL;
	}
	/* A directory opens; its read fails with EISDIR. */
	len = fread(text, 1, LIMIT_RR_FILE_BYTES + 1, fp);
	if (ferror(fp))
		snprintf(err, errlen, "%s: read error: %s", path,
		    strerror(errno));
	else if (len > LIMIT_RR_FILE_BYTES)
		snprintf(err, errlen, "%s: larger than %u bytes", path,
		    LIMIT_RR_FILE_BYTES);
	else
		rrs = rr_file_parse(text, len, path, check, err, errlen);
	free(text);
	fclose(fp);
	return rrs;
}
