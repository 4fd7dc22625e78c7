/*
 * trace.h: what `descend trace` learns while the engine resolves: the zone
 * cuts with the parent's NS set and glue, every server asked and how it
 * answered, the sub-resolutions, and the findings derived from them.
 */
#ifndef DESCEND_TRACE_H
#define DESCEND_TRACE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "observer.h"

enum finding_severity {
	SEVERITY_NOTICE,
	SEVERITY_WARNING,
	SEVERITY_ERROR,
};

struct finding {
	enum finding_severity severity;
	const char *code;		/* Zonemaster test ID where one exists */
	char zone[256];
	char text[512];
};

/* One server address of a cut and how it did. */
struct trace_server {
	char name[256];
	struct sockaddr_storage addr;
	enum addr_source source;
	bool asked, answered, lame, timed_out;
	char problem[128];		/* the reply class or error, when bad */
};

#define TRACE_SERVERS_MAX	64

/* A zone cut the engine reached by a referral. */
struct trace_cut {
	ldns_rdf *zone;
	ldns_rdf *parent;
	ldns_rr_list *parent_ns;	/* as the parent's referral gave it */
	ldns_rr_list *glue;
	bool has_ds;
	unsigned depth;			/* of the (sub-)request that followed it */
	struct trace_server servers[TRACE_SERVERS_MAX];
	unsigned server_count;
	bool cycle;
	char unresolvable[4][256];	/* NS names whose address failed */
	unsigned unresolvable_count;
	bool missing_glue;
	bool planned;			/* --delegate: the plan, not a referral */
};

#define TRACE_CUTS_MAX		64
#define TRACE_FINDINGS_MAX	128
#define TRACE_DNSSEC_ZONES_MAX	64

/*
 * A zone's DNSSEC verdict as the validator's EV_DNSSEC events decided it:
 * the worst of its steps (bogus over indeterminate over insecure over
 * secure), with the first reason at that level (chain.c prints it).
 */
struct trace_dnssec_zone {
	ldns_rdf *zone;
	enum sec_status status;
	int ede;			/* RFC 8914 code, -1 none */
	char why[160];
	bool cut;			/* a DS, no-DS or DNSKEY step named it */
};

enum trace_format {
	TRACE_TEXT,
	TRACE_JSON,
	TRACE_DIG,
	TRACE_DOT,	/* nothing as it goes: the graph at the end (dot.c) */
};

struct trace {
	enum trace_format format;
	bool color;
	FILE *out;
	struct trace_cut cuts[TRACE_CUTS_MAX];
	unsigned cut_count;
	struct trace_cut root;		/* the root's servers (no referral) */
	struct finding findings[TRACE_FINDINGS_MAX];
	unsigned finding_count;
	uint64_t start_ms;
	unsigned queries;
	/* The query being answered, by send id (for one line per exchange). */
	uint32_t pending_send_id;
	char pending_line[768];
	char answer_server[300];
	/* The question as the user typed it: text and --dig print names in
	 * its case, not in the random case 0x20 sent and replies echo. */
	const ldns_rdf *qname;
	/* DNSSEC: each zone's verdict, and every DS and DNSKEY record a
	 * reply carried (chain.c matches them per zone at the end). */
	struct trace_dnssec_zone dnssec[TRACE_DNSSEC_ZONES_MAX];
	unsigned dnssec_count;
	ldns_rr_list *ds_seen, *dnskey_seen, *dnskey_sigs; /* RRSIG(DNSKEY) */
	/* Each cut's DS and DNSKEY as each server gives them (dnssec_probe.h),
	 * NULL until dnssec_probe_run() after the resolution. */
	struct dnssec_probe *probe;
	/* --no-dnssec: dnssec[] holds the cuts, unchecked, only so that the
	 * servers' DNSSEC records are still probed and shown (no verdict). */
	bool unvalidated;
};

/* The engine observer that records and prints as events arrive. */
extern const struct engine_observer trace_observer;

void trace_init(struct trace *trace, enum trace_format format, FILE *out,
    bool color);
void trace_free(struct trace *trace);

/* Adds a finding (deduplicated on code and text) and prints it. */
void trace_finding(struct trace *trace, enum finding_severity severity,
    const char *code, const ldns_rdf *zone, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Printing helpers shared by trace.c, probe.c and trace_cmd.c. */
void trace_print(struct trace *trace, unsigned depth, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A JSON object line: `type` plus "key", value pairs (strings). */
void trace_json(struct trace *trace, const char *type, ...);
const char *trace_addr_str(const struct sockaddr *addr, char *buf,
    size_t len);
const char *severity_name(enum finding_severity severity);
/* A record as text (ldns_rr2str) without ldns's ";{id = ...}" comments. */
char *trace_rr_str(const ldns_rr *rr);

/* Rdata field i of rr as an 8- or 16-bit number (0 when missing). */
static inline unsigned
trace_rr_u8(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);

	return f != NULL && ldns_rdf_size(f) >= 1 ? ldns_rdf_data(f)[0] : 0;
}

static inline unsigned
trace_rr_u16(const ldns_rr *rr, size_t i)
{
	const ldns_rdf *f = ldns_rr_rdf(rr, i);

	return f != NULL && ldns_rdf_size(f) >= 2 ? (unsigned)
	    (ldns_rdf_data(f)[0] << 8 | ldns_rdf_data(f)[1]) : 0;
}

/* Appends `item` to the list in `buf`, after `sep` unless it is empty. */
static inline void
trace_cat(char *buf, size_t len, const char *sep, const char *item)
{
	if (buf[0] != '\0')
		strlcat(buf, sep, len);
	strlcat(buf, item, len);
}

/* The verdict kept for `zone`, made (unchecked) if new; NULL when full. */
struct trace_dnssec_zone *trace_dnssec_zone(struct trace *trace,
    const ldns_rdf *zone);

/* print_dig.c: one record as `dig +trace +dnssec` prints it. */
void trace_dig_rr(FILE *out, const ldns_rr *rr);
/*
 * chain.c's matching, also drawn by dot.c: the DNSKEY of `keys` owned by
 * `zone` that `ds` is the digest of (NULL: none); whether `key` signs its
 * zone's DNSKEY RRset (1), does not (0), or no RRSIG(DNSKEY) was seen (-1).
 */
const ldns_rr *trace_chain_ds_match(const ldns_rr *ds,
    const ldns_rr_list *keys, const ldns_rdf *zone);
int trace_chain_key_signs(const struct trace *trace, const ldns_rr *key,
    const ldns_rdf *zone);

/* chain.c: the chain of trust per zone cut, its JSON lines and findings. */
void trace_chain_report(struct trace *trace);
/*
 * Validation off (--no-dnssec): lists the root and every cut crossed in
 * trace->dnssec as unchecked, so that the probe and the CDS checks still
 * show what each server gives (DO is set on every query all the same).
 */
void trace_chain_unvalidated(struct trace *trace);
/*
 * A DS or DNSKEY set as text, for comparing what servers give: `key` the
 * SHA-256 (hex, 65 bytes with the NUL) of the records' rdata in a fixed
 * order, TTLs and owner case left out: two sets are the same when their
 * keys are; `value` what is shown ("12345 KSK alg 13, ..." or
 * "12345/13/2, ..."; "none" for an empty set).
 */
void trace_chain_set_text(const ldns_rr_list *rrs, char *key, size_t key_len,
    char *value, size_t value_len);
/*
 * Whether trace->dnssec[i] is a zone cut the chain shows (a cut the
 * resolution crossed, the root, or one only the validator saw), and its
 * parent there (the deepest other zone judged that holds it; NULL: none).
 */
bool trace_chain_cut(const struct trace *trace, unsigned i,
    const ldns_rdf **parent);

#endif /* DESCEND_TRACE_H */
