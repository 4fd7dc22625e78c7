/*
 * root_hints.c: the built-in root hints (IANA named.root) and the hints
 * file reader.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "dname.h"
#include "root_hints.h"

/* From https://www.internic.net/domain/named.root (2023 revision). */
static const char builtin_hints[] =
    ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
    "A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
    "A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n"
    ".                        3600000      NS    B.ROOT-SERVERS.NET.\n"
    "B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2\n"
    "B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b\n"
    ".                        3600000      NS    C.ROOT-SERVERS.NET.\n"
    "C.ROOT-SERVERS.NET.      3600000      A     192.33.4.12\n"
    "C.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2::c\n"
    ".                        3600000      NS    D.ROOT-SERVERS.NET.\n"
    "D.ROOT-SERVERS.NET.      3600000      A     199.7.91.13\n"
    "D.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2d::d\n"
    ".                        3600000      NS    E.ROOT-SERVERS.NET.\n"
    "E.ROOT-SERVERS.NET.      3600000      A     192.203.230.10\n"
    "E.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:a8::e\n"
    ".                        3600000      NS    F.ROOT-SERVERS.NET.\n"
    "F.ROOT-SERVERS.NET.      3600000      A     192.5.5.241\n"
    "F.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2f::f\n"
    ".                        3600000      NS    G.ROOT-SERVERS.NET.\n"
    "G.ROOT-SERVERS.NET.      3600000      A     192.112.36.4\n"
    "G.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:12::d0d\n"
    ".                        3600000      NS    H.ROOT-SERVERS.NET.\n"
    "H.ROOT-SERVERS.NET.      3600000      A     198.97.190.53\n"
    "H.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:1::53\n"
    ".                        3600000      NS    I.ROOT-SERVERS.NET.\n"
    "I.ROOT-SERVERS.NET.      3600000      A     192.36.148.17\n"
    "I.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fe::53\n"
    ".                        3600000      NS    J.ROOT-SERVERS.NET.\n"
    "J.ROOT-SERVERS.NET.      3600000      A     192.58.128.30\n"
    "J.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:c27::2:30\n"
    ".                        3600000      NS    K.ROOT-SERVERS.NET.\n"
    "K.ROOT-SERVERS.NET.      3600000      A     193.0.14.129\n"
    "K.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fd::1\n"
    ".                        3600000      NS    L.ROOT-SERVERS.NET.\n"
    "L.ROOT-SERVERS.NET.      3600000      A     199.7.83.42\n"
    "L.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:9f::42\n"
    ".                        3600000      NS    M.ROOT-SERVERS.NET.\n"
    "M.ROOT-SERVERS.NET.      3600000      A     202.12.27.33\n"
    "M.ROOT-SERVERS.NET.      3600000      AAAA  2001:dc3::35\n";

/* Keeps the root NS records and the addresses of their targets. */
static ldns_rr_list *
root_hints_select(const ldns_rr_list *rrs, const char *where, char *err,
    size_t errlen)
{
	ldns_rr_list *hints = ldns_rr_list_new();
	ldns_rdf *root = ldns_dname_new_frm_str(".");
	size_t ns = 0, addrs = 0;

	if (hints == NULL || root == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    dname_equal(ldns_rr_owner(rr), root)) {
			ldns_rr_list_push_rr(hints, ldns_rr_clone(rr));
			ns++;
		}
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_rr_type type = ldns_rr_get_type(rr);

		if (type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA)
			continue;
		for (size_t j = 0; j < ns; j++) {
			if (dname_equal(ldns_rr_owner(rr),
			    ldns_rr_rdf(ldns_rr_list_rr(hints, j), 0))) {
				ldns_rr_list_push_rr(hints, ldns_rr_clone(rr));
				addrs++;
				break;
			}
		}
	}
	if (ns == 0 || addrs == 0) {
		snprintf(err, errlen, "%s: no root NS record with an address",
		    where);
		goto fail;
	}
	ldns_rdf_deep_free(root);
	return hints;
fail:
	ldns_rr_list_deep_free(hints);
	ldns_rdf_deep_free(root);
	return NULL;
}

/*
 * Record by record, not with ldns_zone_new_frm_fp_l: after a syntax error
 * that one frees only the list of the records read before it (they leaked,
 * ASan in a reload to a broken file) and leaves no zone to free.
 */
static ldns_rr_list *
root_hints_parse(FILE *fp, const char *where, char *err, size_t errlen)
{
	ldns_rdf *origin = ldns_dname_new_frm_str("."), *prev = NULL;
	ldns_rr_list *read = ldns_rr_list_new(), *hints = NULL;
	uint32_t ttl = 3600;
	int line = 0;
	bool ok = origin != NULL && read != NULL;

	if (!ok)
		snprintf(err, errlen, "out of memory");
	while (ok && !feof(fp) && !ferror(fp)) {
		ldns_rr *rr = NULL;
		ldns_status status = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin,
		    &prev, &line);

		if (status == LDNS_STATUS_SYNTAX_EMPTY ||
		    status == LDNS_STATUS_SYNTAX_TTL ||
		    status == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (status != LDNS_STATUS_OK) {
			snprintf(err, errlen, "%s:%d: %s", where, line,
			    status == LDNS_STATUS_SYNTAX_INCLUDE ?
			    "$INCLUDE is not supported" :
			    ldns_get_errorstr_by_id(status));
			ok = false;
		} else if (!ldns_rr_list_push_rr(read, rr)) {
			ldns_rr_free(rr);
			snprintf(err, errlen, "out of memory");
			ok = false;
		}
	}
	if (ok && ferror(fp)) {
		snprintf(err, errlen, "%s: read error: %s", where,
		    strerror(errno));
		ok = false;
	}
	if (ok)
		hints = root_hints_select(read, where, err, errlen);
	ldns_rr_list_deep_free(read);
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	return hints;
}

ldns_rr_list *
root_hints_load(const char *path, char *err, size_t errlen)
{
	ldns_rr_list *hints;
	struct stat st;
	FILE *fp;

	if (path == NULL) {
		fp = fmemopen((void *)(uintptr_t)builtin_hints,
		    sizeof(builtin_hints) - 1, "r");
		path = "built-in hints";
	} else
		fp = fopen(path, "r");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/*
	 * fopen() opens a directory, whose reads fail without ever reaching
	 * end of file: ldns's zone reader would loop on it for ever.
	 */
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
		fclose(fp);
		return NULL;
	}
	hints = root_hints_parse(fp, path, err, errlen);
	fclose(fp);
	return hints;
}
