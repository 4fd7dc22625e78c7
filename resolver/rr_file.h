/*
 * rr_file.h: the one reader of the operator's small zone-file-format files
 * (root hints, trust anchors): records read with ldns, errors named by the
 * line their record starts on.
 */
#ifndef DESCEND_RR_FILE_H
#define DESCEND_RR_FILE_H

#include <stddef.h>

#include <ldns/ldns.h>

/*
 * A caller's test of one record read: NULL to keep it, else a static reason
 * to refuse the file, reported as "WHERE:LINE: reason (TYPE)".
 */
typedef const char *(*rr_file_check)(const ldns_rr *rr);

/*
 * Reads every record of the file at `path` (at most LIMIT_RR_FILE_BYTES):
 * zone-file lines with "$TTL" and "$ORIGIN" (names relative to the root
 * until an $ORIGIN), comments, blank lines and parenthesised multi-line
 * records; "$INCLUDE" is refused. `check` (or NULL) judges each record.
 * Returns a new list, possibly empty, which the caller frees with
 * ldns_rr_list_deep_free; or NULL with a one-line reason in `err`:
 * "PATH: cannot open: ...", "PATH: read error: ...", "PATH: larger than N
 * bytes", or "PATH:LINE: reason", LINE being the first line of the record
 * (or directive) that does not parse or is refused.
 */
ldns_rr_list *rr_file_read(const char *path, rr_file_check check, char *err,
    size_t errlen);

/*
 * The same for `len` bytes of text in memory (built-in data), named `where`
 * in errors.
 */
ldns_rr_list *rr_file_parse(const char *text, size_t len, const char *where,
    rr_file_check check, char *err, size_t errlen);

#endif /* DESCEND_RR_FILE_H */
