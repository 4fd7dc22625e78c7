/*
 * reply.h: an upstream reply as the iterator sees it. scrub.c keeps only
 * what the server may speak for (its zone's bailiwick, the answer chain,
 * the referral's NS set and its glue) and classify.c says what the reply
 * is. Nothing from a reply reaches the caches except through this view.
 */
#ifndef DESCEND_REPLY_H
#define DESCEND_REPLY_H

#include <stdbool.h>

#include <ldns/ldns.h>

#include "observer.h"
#include "sec_status.h"

/* What the reply answers: the question as sent, and the zone asked. */
struct reply_context {
	const ldns_rdf *zone;		/* the zone cut the server serves */
	const ldns_rdf *qname;		/* as sent (maybe minimised) */
	ldns_rr_type qtype;
	ldns_rr_class klass;
	/*
	 * Asked with RD=1 (a forwarder): its final answers carry no AA, and
	 * a referral from it means it does not recurse.
	 */
	bool recursive;
	/* Told of every record the scrubber drops; may be NULL. */
	void (*dropped)(void *ctx, const ldns_rr *rr, const char *why);
	void *dropped_ctx;
};

/* The trusted parts of a reply; every list is owned by the view. */
struct reply_view {
	enum reply_class klass;
	ldns_pkt_rcode rcode;
	bool authoritative;		/* AA */
	ldns_rr_list *chain;		/* CNAME/DNAME (and synthesised CNAME) hops, in order */
	ldns_rr_list *answer;		/* the RRset answering the end of the chain */
	ldns_rdf *target;		/* the name at the end of the chain (owned) */
	bool target_in_zone;		/* the server may also answer for target */
	ldns_rr_list *soa;		/* SOA of a negative answer */
	bool other_types;		/* records of other types for the target */
	ldns_rr_list *ns;		/* referral NS set, or the zone's own NS set */
	ldns_rdf *referral_zone;	/* owner of the referral NS set (owned) */
	ldns_rr_list *glue;		/* A/AAAA for NS targets, in bailiwick */
	bool has_ds;			/* the referral carries a DS RRset */
	const char *why;		/* for LAME/MALFORMED: what was wrong */
	/*
	 * DNSSEC material, judged by resolver/dnssec/validator.c: the RRSIGs
	 * over kept RRsets (signer at or above the owner and inside the zone
	 * asked), the referral's DS RRset, and the authority section's NSEC
	 * and NSEC3 records (in the zone asked; next names in original case,
	 * RFC 6840 §5.1).
	 */
	ldns_rr_list *sigs;
	ldns_rr_list *ds;
	ldns_rr_list *nsec;
	/*
	 * For a secure NSEC or NSEC3 NXDOMAIN or NODATA, or a secure answer
	 * expanded from a wildcard: the NSEC or NSEC3
	 * records the validator verified for the proof (a list borrowing them from
	 * `nsec`) and the zone that signed them (borrowed from `sigs`), what
	 * RFC 8198 may reuse (dnssec/aggressive.h). NULL otherwise.
	 */
	ldns_rr_list *nsec_secure;
	const ldns_rdf *nsec_zone;
	/*
	 * The NSEC/NSEC3 RRsets the validator verified for a denial or a
	 * wildcard expansion's proof, each followed by its RRSIGs by the zone
	 * that signed it: all a DO client gets beside AD (iterator.c
	 * denial_proof). A list borrowing from `nsec` and `sigs`; NULL when
	 * none was verified.
	 */
	ldns_rr_list *proof_verified;
	/* The validator's verdict on the view (SEC_UNCHECKED: not validated). */
	enum sec_status status;
	int ede;			/* RFC 8914 code when not secure, -1 none */
	const char *sec_why;
	/*
	 * Bogus because of this reply's own records (a signature, a proof, a
	 * missing RRSIG), not because the zone's keys are known bad or the
	 * request's budget ran out: another server may serve a good copy.
	 */
	bool sec_retry;
	/*
	 * While reply_scrub_take runs: the packet's records the view holds,
	 * which leave the packet when it ends. NULL otherwise.
	 */
	ldns_rr_list *taken;
};

/*
 * Parses an upstream reply into `*pkt` (the caller frees it). False for
 * anything that does not parse, and for a TSIG or a second OPT record:
 * see reply_parse.c.
 */
bool reply_parse(const uint8_t *wire, size_t len, ldns_pkt **pkt);

/*
 * Fills `view` from `pkt` with copies of the records it keeps. Returns
 * false only when memory runs out.
 */
bool reply_scrub(const ldns_pkt *pkt, const struct reply_context *ctx,
    struct reply_view *view);

/*
 * reply_scrub without the copies: the view takes the records it keeps out
 * of `pkt`, whose sections are left with NULL in their places (skipped by
 * ldns_pkt_free). Only its header is to be read afterwards. The same view
 * as reply_scrub's, for a clone and ~6 allocations less per record kept.
 */
bool reply_scrub_take(ldns_pkt *pkt, const struct reply_context *ctx,
    struct reply_view *view);

/* Sets view->klass from the scrubbed view and the packet header. */
void reply_classify(const ldns_pkt *pkt, const struct reply_context *ctx,
    struct reply_view *view);

void reply_view_clear(struct reply_view *view);

/*
 * ldns_rr_clone() that also fails when a copy of the owner or of an rdata
 * field did: ldns leaves them NULL then. The caller frees the copy; NULL: out of memory.
 */
ldns_rr *reply_rr_clone(const ldns_rr *rr);

#endif /* DESCEND_REPLY_H */
