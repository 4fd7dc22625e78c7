/*
 * observer.h: the engine reports every decision it takes to an optional
 * observer. Trace mode builds its picture from these events and debug
 * logging prints them, so both show what the resolver really does.
 *
 * Events are delivered synchronously from inside engine_* calls. Every
 * pointer in an event is borrowed: valid only during the callback; copy
 * what you keep (ldns_rr_list_clone, ldns_pkt_clone, ldns_rdf_clone).
 */
#ifndef DESCEND_OBSERVER_H
#define DESCEND_OBSERVER_H

#include "engine.h"
#include "sec_status.h"

enum engine_event_kind {
	EV_REQUEST_START,	/* a (sub-)request begins: qname, qtype, parent, reason */
	EV_REQUEST_DONE,	/* a (sub-)request ends: rcode, answer */
	EV_ZONECUT,		/* the engine starts working at a zone cut */
	EV_QUERY_SENT,		/* a query goes to a server */
	EV_REPLY,		/* a reply arrived and was matched to its query */
	EV_REPLY_IGNORED,	/* a datagram that did not match (spoofing defence) */
	EV_TIMEOUT,		/* a query timed out */
	EV_NET_ERROR,		/* a local socket error for a query */
	EV_REFERRAL,		/* a referral was accepted: the cut moves down */
	EV_ALIAS,		/* a CNAME or DNAME is followed */
	EV_CACHE_HIT,		/* data came from the cache instead of the network */
	EV_SERVER_SKIPPED,	/* a server is not asked (backed off, lame, no address) */
	EV_RECORD_DROPPED,	/* the scrubber rejected a record (bailiwick, rank) */
	EV_LIMIT_HIT,		/* a limit from engine_limits.h stopped some work */
	EV_FALLBACK,		/* retry without EDNS, over TCP, without 0x20, full QNAME */
	EV_DNSSEC,		/* a DNSSEC step: a DS/DNSKEY link, an RRset or proof verdict */
};

/* Where the engine learned a name server's address. */
enum addr_source {
	ADDR_SOURCE_HINTS,	/* root hints (built-in or file) */
	ADDR_SOURCE_GLUE,	/* additional section of the parent's referral */
	ADDR_SOURCE_RESOLVED,	/* resolved by a sub-request (glueless) */
	ADDR_SOURCE_CACHE,	/* from the address cache */
	ADDR_SOURCE_AUTH,	/* the child's authoritative answer */
	ADDR_SOURCE_DIRECT,	/* given by the user (@SERVER, direct request) */
	ADDR_SOURCE_CONFIG,	/* a forward-zone or stub-zone address */
};

const char *addr_source_name(enum addr_source source);

/* Why a sub-request was started. */
enum subrequest_reason {
	SUBREQ_NONE,		/* the client's own question */
	SUBREQ_NS_ADDRESS,	/* a glueless name server's address */
	SUBREQ_PRIMING,		/* the root NS set (RFC 8109) */
	SUBREQ_PREFETCH,
	SUBREQ_DNSSEC,		/* a DS or DNSKEY RRset for the chain of trust */
};

/* How the engine classified a reply (classify.c). */
enum reply_class {
	REPLY_ANSWER,		/* authoritative data for the question */
	REPLY_CNAME,		/* an alias to follow */
	REPLY_DNAME,
	REPLY_REFERRAL,		/* a delegation to a child zone */
	REPLY_NXDOMAIN,
	REPLY_NODATA,
	REPLY_LAME,		/* not authoritative, no referral: server is lame */
	REPLY_UPWARD_REFERRAL,	/* referral to the root or a parent: lame */
	REPLY_REFUSED,
	REPLY_SERVFAIL,
	REPLY_FORMERR,
	REPLY_NOTIMP,
	REPLY_TRUNCATED,	/* TC=1 over UDP: retry over TCP */
	REPLY_MALFORMED,	/* did not parse, or answers another question */
};

const char *reply_class_name(enum reply_class klass);

/* One name server of a zone cut, as known when the event fires. */
struct observed_server {
	const ldns_rdf *name;		/* NS target */
	const struct sockaddr *addrs;	/* array of sockaddr_storage, may be empty */
	const enum addr_source *sources; /* one per address */
	size_t addr_count;
	uint32_t ns_ttl;
};

struct engine_event {
	enum engine_event_kind kind;
	struct engine_now now;
	unsigned request_id;		/* 0 for the client's request; sub-requests count up */
	unsigned parent_id;		/* the sub-request's parent (EV_REQUEST_START) */
	unsigned depth;			/* sub-request nesting, 0 for the client's */
	const ldns_rdf *qname;		/* the request's question */
	ldns_rr_type qtype;

	union {
		struct {	/* EV_REQUEST_START */
			enum subrequest_reason reason;
		} start;
		struct {	/* EV_REQUEST_DONE */
			ldns_pkt_rcode rcode;
			const ldns_rr_list *answer;	/* may be NULL */
			enum engine_ede ede;
			const char *why;
		} done;
		struct {	/* EV_ZONECUT */
			const ldns_rdf *zone;
			const struct observed_server *servers;
			size_t server_count;
			bool from_cache;	/* cached cut, not a fresh referral */
			/* "forward" or "stub": a configured zone; NULL: learnt. */
			const char *configured;
		} zonecut;
		struct {	/* EV_QUERY_SENT, EV_TIMEOUT, EV_NET_ERROR, EV_REPLY, EV_REPLY_IGNORED */
			uint32_t send_id;
			const ldns_rdf *zone;		/* the cut the server serves */
			const ldns_rdf *server_name;	/* NULL for hints-less direct */
			const struct sockaddr *addr;
			enum addr_source addr_source;
			enum engine_transport transport;
			const ldns_rdf *sent_qname;	/* as sent: minimised, 0x20 */
			ldns_rr_type sent_qtype;
			bool edns;
			unsigned attempt;		/* 1 for the first try */
			/* replies only: */
			const ldns_pkt *reply;		/* NULL if it did not parse */
			size_t reply_size;
			uint32_t rtt_ms;
			enum reply_class reply_class;
			const char *error;		/* EV_NET_ERROR, EV_REPLY_IGNORED */
		} query;
		struct {	/* EV_REFERRAL */
			const ldns_rdf *from_zone;
			const ldns_rdf *to_zone;
			const ldns_rr_list *ns;		/* the NS RRset as scrubbed */
			const ldns_rr_list *glue;	/* the accepted glue */
			bool has_ds;
		} referral;
		struct {	/* EV_ALIAS */
			const ldns_rr *rr;		/* the CNAME or DNAME */
			const ldns_rdf *target;		/* the name now resolved */
			unsigned hop;
		} alias;
		struct {	/* EV_CACHE_HIT */
			const char *what;		/* "answer", "negative", "delegation", "address", "minimised name", "keys ahead" */
			const ldns_rdf *owner;
		} cache;
		struct {	/* EV_SERVER_SKIPPED */
			const ldns_rdf *server_name;
			const struct sockaddr *addr;	/* may be NULL: no address */
			const char *why;
		} skipped;
		struct {	/* EV_RECORD_DROPPED */
			const ldns_rr *rr;
			const char *why;
		} dropped;
		struct {	/* EV_LIMIT_HIT */
			const char *limit;		/* the engine_limits.h name */
			unsigned value;
		} limit;
		struct {	/* EV_FALLBACK */
			const char *what;		/* "no-edns", "tcp", "no-0x20", "no-qmin" */
			const struct sockaddr *addr;
		} fallback;
		/*
		 * EV_DNSSEC. `step` says what was checked:
		 * "dnskey"   a zone's DNSKEY RRset against its DS or trust anchor;
		 * "ds"       a child's DS RRset (referral or DS query);
		 * "no-ds"    a proof that a child has no DS (insecure or no cut);
		 * "rrset"    an RRset against its zone's keys;
		 * "nxdomain", "nodata", "wildcard"  a denial proof;
		 * "unsigned" data without RRSIGs: insecure zone or stripped;
		 * "keys"     the zone's known key state decided (cached);
		 * "synthesised" NXDOMAIN or NODATA answered from cached, validated
		 *            NSEC records without asking upstream (RFC 8198);
		 * "answer"   the request's final verdict (weakest link).
		 */
		struct {
			const char *step;
			const ldns_rdf *owner;		/* the name checked */
			ldns_rr_type type;		/* its type (DNSKEY, DS, ...) */
			const ldns_rdf *zone;		/* the zone whose keys or proof decided */
			enum sec_status status;
			int ede;			/* RFC 8914 code, -1 none */
			const char *why;		/* never NULL */
			uint16_t key_tag;		/* the key that verified, 0 none */
			uint8_t algorithm;
		} dnssec;
	} u;
};

struct engine_observer {
	void (*on_event)(void *ctx, const struct engine_event *event);
};

#endif /* DESCEND_OBSERVER_H */
