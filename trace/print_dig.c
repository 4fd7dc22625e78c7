/*
 * print_dig.c: records as `dig +trace +dnssec` prints them (BIND's dig
 * style), so --dig output can be compared line by line with dig's: fields
 * aligned on dig's tab columns, hex digests in upper case and long base64
 * or hex split in 56-character chunks, no ldns comments.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* dig's columns for +trace (BIND's dig style): TTL, class, type, rdata. */
#define DIG_TTL_COLUMN		24
#define DIG_CLASS_COLUMN	32
#define DIG_TYPE_COLUMN		40
#define DIG_RDATA_COLUMN	48
#define DIG_TAB			8
#define DIG_SPLIT		56	/* base64 and hex chunk width */

/*
 * Moves from column *col to column `to` as BIND does: tabs while a tab
 * stop is on the way, then spaces, and at least one blank when past it.
 */
static void
dig_indent(FILE *out, unsigned *col, unsigned to)
{
	unsigned from = *col;

	if (to < from + 1)
		to = from + 1;
	if (to / DIG_TAB > from / DIG_TAB) {
		for (unsigned i = from / DIG_TAB; i < to / DIG_TAB; i++)
			fputc('\t', out);
		from = to / DIG_TAB * DIG_TAB;
	}
	for (; from < to; from++)
		fputc(' ', out);
	*col = to;
}

static void
dig_field(FILE *out, unsigned *col, const char *s)
{
	fputs(s, out);
	*col += (unsigned)strlen(s);
}

/* One rdata field: ldns's text, reshaped where dig shows it otherwise. */
static void
dig_rdf(FILE *out, const ldns_rdf *rdf)
{
	char *s = ldns_rdf2str(rdf);
	ldns_rdf_type type = ldns_rdf_get_type(rdf);
	size_t len;

	if (s == NULL)
		return;
	len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')	/* type bitmaps end in one */
		s[--len] = '\0';
	if (type == LDNS_RDF_TYPE_HEX ||
	    type == LDNS_RDF_TYPE_NSEC3_NEXT_OWNER)
		for (size_t i = 0; i < len; i++)
			s[i] = (char)toupper((unsigned char)s[i]);
	if (type == LDNS_RDF_TYPE_HEX || type == LDNS_RDF_TYPE_B64) {
		for (size_t i = 0; i < len; i += DIG_SPLIT)
			fprintf(out, "%s%.*s", i > 0 ? " " : "", DIG_SPLIT,
			    s + i);
	} else
		fputs(s, out);
	free(s);
}

void
trace_dig_rr(FILE *out, const ldns_rr *rr)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	char *klass = ldns_rr_class2str(ldns_rr_get_class(rr));
	char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
	char ttl[16];
	unsigned col = 0;

	snprintf(ttl, sizeof(ttl), "%u", ldns_rr_ttl(rr));
	dig_field(out, &col, owner != NULL ? owner : "?");
	dig_indent(out, &col, DIG_TTL_COLUMN);
	dig_field(out, &col, ttl);
	dig_indent(out, &col, DIG_CLASS_COLUMN);
	dig_field(out, &col, klass != NULL ? klass : "?");
	dig_indent(out, &col, DIG_TYPE_COLUMN);
	dig_field(out, &col, type != NULL ? type : "?");
	dig_indent(out, &col, DIG_RDATA_COLUMN);
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (i > 0)
			fputc(' ', out);
		dig_rdf(out, ldns_rr_rdf(rr, i));
	}
	fputc('\n', out);
	free(owner);
	free(klass);
	free(type);
}
