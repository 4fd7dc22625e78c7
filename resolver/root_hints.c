/*
 * root_hints.c: the built-in root hints (IANA named.root) and the choice of
 * the root NS records and their addresses from a hints file.
 */
#include <stdio.h>

#include "dname.h"
#include "root_hints.h"
#include "rr_file.h"

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

ldns_rr_list *
root_hints_load(const char *path, char *err, size_t errlen)
{
	ldns_rr_list *read, *hints;

	if (path == NULL) {
		path = "built-in hints";
		read = rr_file_parse(builtin_hints, sizeof(builtin_hints) - 1,
		    path, NULL, err, errlen);
	} else
		read = rr_file_read(path, NULL, err, errlen);
	if (read == NULL)
		return NULL;
	hints = root_hints_select(read, path, err, errlen);
	ldns_rr_list_deep_free(read);
	return hints;
}
