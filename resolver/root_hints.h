/*
 * root_hints.h: where iteration starts. The built-in IANA root hints, or a
 * hints file in zone-file format (named.root style), read with ldns.
 */
#ifndef DESCEND_ROOT_HINTS_H
#define DESCEND_ROOT_HINTS_H

#include <stddef.h>

#include <ldns/ldns.h>

/*
 * Loads hints from `path` (NULL: the built-in IANA set) into a new list of
 * the root NS records and their A/AAAA records, which the caller frees with
 * ldns_rr_list_deep_free. Returns NULL with a one-line reason in err when
 * the file can't be read, does not parse (the line is named), or holds no
 * root NS with an address.
 */
ldns_rr_list *root_hints_load(const char *path, char *err, size_t errlen);

#endif /* DESCEND_ROOT_HINTS_H */
