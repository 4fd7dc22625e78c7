/*
 * test_rr_file.c: the reader of root hints and trust anchor files
 * (resolver/rr_file.c): the line an error names (the first line of its
 * record, whatever comments, blank lines and parentheses come before or
 * after it), directives, and the ways a file is refused.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tap.h"
#include "engine_limits.h"
#include "rr_file.h"

static char dir[] = "/tmp/descend-rr-file-XXXXXX";

/* Writes `len` bytes of `text` to a file in the test directory. */
static const char *
write_file(const char *name, const char *text, size_t len)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fwrite(text, 1, len, fp) != len)
		abort();
	fclose(fp);
	return path;
}

/* Reads `text` as the file `name`; the error is in err (empty if none). */
static ldns_rr_list *
read_text(const char *name, const char *text, rr_file_check check, char *err,
    size_t errlen)
{
	const char *path = write_file(name, text, strlen(text));

	err[0] = '\0';
	return rr_file_read(path, check, err, errlen);
}

/* Whether reading `text` fails with "PATH:LINE: " followed by `reason`. */
static bool
fails_at(const char *text, int line, const char *reason, char *err,
    size_t errlen)
{
	char want[400];
	ldns_rr_list *rrs = read_text("bad.zone", text, NULL, err, errlen);

	snprintf(want, sizeof(want), "%s/bad.zone:%d: %s", dir, line, reason);
	ldns_rr_list_deep_free(rrs);
	return rrs == NULL && strncmp(err, want, strlen(want)) == 0;
}

static const char *
only_ns(const ldns_rr *rr)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS ? NULL :
	    "not an NS record";
}

static void
test_lines(void)
{
	char err[512];

	ok(fails_at("; comment\n"
	    "\n"
	    "; another comment\n"
	    ". 3600 IN NS a.root.test.\n"
	    "not a record\n"
	    ". 3600 IN NS b.root.test.\n", 5, "Syntax error", err, sizeof(err)),
	    "comments and blank lines before: the bad line (5): %s", err);
	/* ldns counts the blank lines after a record with it: 4 before. */
	ok(fails_at(". 3600 IN NS a.root.test.\n"
	    "not a record\n"
	    "\n"
	    "\n"
	    ". 3600 IN NS b.root.test.\n", 2, "Syntax error", err, sizeof(err)),
	    "blank lines after the bad line do not move it (2): %s", err);
	/* A good record over four lines, then one that does not parse over
	 * three (7-9): ldns stops on its last line. */
	ok(fails_at("; a zone\n"
	    "\n"
	    ". 3600 IN SOA a.root.test. b.root.test. (\n"
	    "\t1 ; serial\n"
	    "\t2 3\n"
	    "\t4 5 )\n"
	    "bad bad (\n"
	    "\t1\n"
	    "\t2 )\n", 7, "Syntax error", err, sizeof(err)),
	    "a parenthesised record is named by its first line (7): %s", err);
	/* ldns has no newline to count on a last line without one. */
	ok(fails_at(". 3600 IN NS a.root.test.\n"
	    "not a record", 2, "Syntax error", err, sizeof(err)),
	    "a last line without a newline is still its own line (2): %s",
	    err);
	ok(fails_at("not a record\n", 1, "Syntax error", err, sizeof(err)),
	    "an error on the first line is line 1: %s", err);
	ok(fails_at("; c\n   \t; indented comment\n\t \n\tnot a record\n", 4,
	    "Syntax error", err, sizeof(err)),
	    "indented comments and white-space lines are skipped (4): %s",
	    err);
	ok(fails_at(". 3600 IN NS a.root.test.\n"
	    "$TTL 60\n"
	    "\n"
	    "$INCLUDE other.zone\n", 4, "$INCLUDE is not supported", err,
	    sizeof(err)),
	    "$INCLUDE is refused with its line (4): %s", err);
}

static void
test_records(void)
{
	char err[512];
	ldns_rr_list *rrs;
	ldns_rr *rr;
	char *owner = NULL;
	const char *text;

	rrs = read_text("good.zone",
	    "rel 100 IN A 192.0.2.1 ; before any $ORIGIN\n"
	    "$ORIGIN example.\n"
	    "$TTL 60\n"
	    "www IN A 192.0.2.2\n"
	    "\tIN AAAA 2001:db8::2\n", NULL, err, sizeof(err));
	ok(rrs != NULL && ldns_rr_list_rr_count(rrs) == 3,
	    "three records read (%s)", err);
	if (rrs != NULL && ldns_rr_list_rr_count(rrs) == 3) {
		rr = ldns_rr_list_rr(rrs, 0);
		owner = ldns_rdf2str(ldns_rr_owner(rr));
		ok(owner != NULL && strcmp(owner, "rel.") == 0 &&
		    ldns_rr_ttl(rr) == 100,
		    "a relative name before $ORIGIN is below the root: %s",
		    owner);
		free(owner);
		rr = ldns_rr_list_rr(rrs, 2);
		owner = ldns_rdf2str(ldns_rr_owner(rr));
		ok(owner != NULL && strcmp(owner, "www.example.") == 0 &&
		    ldns_rr_ttl(rr) == 60 &&
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA,
		    "$ORIGIN, $TTL and the previous owner apply: %s", owner);
		free(owner);
	}
	ldns_rr_list_deep_free(rrs);

	rrs = read_text("empty.zone", "", NULL, err, sizeof(err));
	ok(rrs != NULL && ldns_rr_list_rr_count(rrs) == 0,
	    "an empty file is an empty list, not an error (%s)", err);
	ldns_rr_list_deep_free(rrs);
	rrs = read_text("comments.zone", "; nothing\n\n$TTL 5\n", NULL, err,
	    sizeof(err));
	ok(rrs != NULL && ldns_rr_list_rr_count(rrs) == 0,
	    "comments and directives alone are an empty list (%s)", err);
	ldns_rr_list_deep_free(rrs);

	text = "; built in\n. 3600 IN NS a.root.test.\nbad\n";
	rrs = rr_file_parse(text, strlen(text), "built-in text", NULL, err,
	    sizeof(err));
	ok(rrs == NULL && strcmp(err, "built-in text:3: Syntax error, could "
	    "not parse the RR's TTL") == 0,
	    "text in memory is named as told: %s", err);
}

static void
test_check(void)
{
	char err[512], want[400];
	ldns_rr_list *rrs;

	rrs = read_text("check.zone",
	    ". 3600 IN NS a.root.test.\n"
	    "; the address\n"
	    "a.root.test. 3600 IN A 192.0.2.1\n", only_ns, err, sizeof(err));
	snprintf(want, sizeof(want), "%s/check.zone:3: not an NS record (A)",
	    dir);
	ok(rrs == NULL && strcmp(err, want) == 0,
	    "a record the caller refuses is named with its line and type: %s",
	    err);
	ldns_rr_list_deep_free(rrs);
	rrs = read_text("check.zone", ". 3600 IN NS a.root.test.\n", only_ns,
	    err, sizeof(err));
	ok(rrs != NULL && ldns_rr_list_rr_count(rrs) == 1,
	    "a record the caller accepts is kept (%s)", err);
	ldns_rr_list_deep_free(rrs);
}

static void
test_unreadable(void)
{
	char err[512], want[400];
	ldns_rr_list *rrs;
	char *big;
	size_t len = LIMIT_RR_FILE_BYTES + 1;

	rrs = rr_file_read("/nonexistent/root.hints", NULL, err, sizeof(err));
	ok(rrs == NULL && strcmp(err, "/nonexistent/root.hints: cannot open: "
	    "No such file or directory") == 0, "a missing file: %s", err);
	/* A directory opens, and its reads fail without reaching the end:
	 * the alarm ends a hang. */
	alarm(10);
	rrs = rr_file_read(dir, NULL, err, sizeof(err));
	alarm(0);
	snprintf(want, sizeof(want), "%s: read error: Is a directory", dir);
	ok(rrs == NULL && strcmp(err, want) == 0, "a directory: %s", err);
	if (getuid() != 0) {
		const char *path = write_file("secret.zone", "\n", 1);

		chmod(path, 0);
		rrs = rr_file_read(path, NULL, err, sizeof(err));
		ok(rrs == NULL && strstr(err, ": cannot open: Permission "
		    "denied") != NULL, "a file without read permission: %s",
		    err);
	} else
		ok(1, "# SKIP root reads a file without read permission");
	/* One byte over the limit, all comment: without the limit it reads
	 * as an empty list. */
	if ((big = malloc(len)) == NULL)
		abort();
	memset(big, ' ', len);
	big[0] = ';';
	alarm(10);
	rrs = rr_file_read(write_file("big.zone", big, len), NULL, err,
	    sizeof(err));
	alarm(0);
	ok(rrs == NULL && strstr(err, "big.zone: larger than") != NULL,
	    "a file over LIMIT_RR_FILE_BYTES is refused: %s", err);
	free(big);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_lines();
	test_records();
	test_check();
	test_unreadable();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return tap_done();
}
