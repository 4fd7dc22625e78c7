/*
 * engine.h: the resolution engine's API. The engine is sans-I/O: it never
 * opens a socket or reads a clock. Its caller (resolver/net/drive.c on libuv,
 * or a test feeding scripted replies) asks it what to do next, performs the
 * sends, and feeds back replies, timeouts and errors.
 *
 * A caller's loop:
 *
 *	req = engine_request_new(engine, &question, now, observer, ctx);
 *	for (;;) {
 *		while (engine_next_action(req, now, &action) == ENGINE_SEND)
 *			transmit action.send, remember action.send.id;
 *		if (it was ENGINE_DONE) break;
 *		if (it was ENGINE_ANSWER) answer the client, continue;
 *		wait for a reply (engine_feed_reply), a timer
 *		(engine_feed_timeout), a socket error (engine_feed_error),
 *		action.wake_ms (then just ask again: a hedge is due) or
 *		action.wait_ms, the request's deadline (ask again: it ends);
 *	}
 *	engine_request_answer(req, ...);  engine_request_free(req);
 *
 * With observer.h this is the only engine header code outside resolver/
 * includes (the daemon also uses fastpath.h for its cache-hit path).
 */
#ifndef DESCEND_ENGINE_H
#define DESCEND_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <ldns/ldns.h>

#include "sec_status.h"

struct engine;
struct engine_request;
struct engine_observer;

/*
 * The engine's two clocks. `wall` (time(), seconds) ages cached data: TTLs
 * are wall-clock so that a cache survives suspend and matches the outside
 * world. `ms` is a monotonic millisecond counter (uv_now() or a test's
 * counter) for timeouts, RTTs and the per-request time budget.
 */
struct engine_now {
	time_t wall;
	uint64_t ms;
};

/* Which address families the engine may send to. */
enum engine_family {
	ENGINE_FAMILY_ANY = 0,
	ENGINE_FAMILY_IPV4,
	ENGINE_FAMILY_IPV6,
};

/*
 * A forward or stub zone (Unbound's forward-zone and stub-zone): names at
 * or below `name` are resolved through these addresses; the most specific
 * zone wins. Configured addresses may be on loopback (a local resolver on
 * 127.0.0.1@5353) whatever query_loopback says: the operator chose them.
 */
enum engine_zone_kind {
	ENGINE_ZONE_FORWARD,	/* resolvers: asked with RD=1, their answers are final */
	ENGINE_ZONE_STUB,	/* the zone's authoritative servers: iterate below them */
};

struct engine_zone {
	enum engine_zone_kind kind;
	const char *name;		/* presentation form */
	bool forward_first;		/* forwarders all fail: iterate instead */
	const struct sockaddr_storage *addrs;	/* port included */
	size_t addr_count;		/* 1 to LIMIT_NS_PER_DELEGATION */
};

/* An address block: private-address. */
struct engine_netblock {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];		/* network byte order */
	unsigned prefix;		/* bits */
};

/*
 * Settings; engine_config_init() fills in the defaults from engine_limits.h.
 * Strings are copied by engine_new(); the caller keeps ownership.
 */
struct engine_config {
	const char *root_hints_file;	/* zone-file format; NULL: built-in */
	/* Hints already in memory (trace @SERVER); win over the file. */
	const ldns_rr_list *root_hints;
	bool qname_minimisation;	/* RFC 9156, default on */
	bool use_0x20;			/* case randomisation, default on */
	bool query_loopback;		/* allow 127/8, ::1 upstream; default off */
	bool serve_stale;		/* RFC 8767, default off */
	bool prefetch;			/* refresh popular entries near expiry */
	bool fresh_cache;		/* trace mode: never answer from cache */
	enum engine_family family;
	size_t cache_size;		/* bytes, all caches together */
	uint32_t cache_max_ttl;		/* seconds */
	uint32_t cache_min_ttl;
	uint32_t cache_max_negative_ttl;
	uint32_t request_timeout_ms;	/* total time budget per request */
	/*
	 * With serve_stale: a request still unanswered after this many ms is
	 * answered with stale data when there is some (RFC 8767 §5's client
	 * response timer); 0: stale data only once resolution has failed.
	 */
	uint32_t stale_client_timeout_ms;
	uint32_t query_timeout_ms;	/* initial per-query timeout, before RTT is known */
	unsigned tries;			/* sends per server before giving up on it */
	const struct engine_zone *zones; /* forward and stub zones; copied */
	size_t zone_count;
	/*
	 * DNS rebinding defence (Unbound's private-address): A and AAAA
	 * records into these blocks are removed from upstream replies,
	 * except for names at or below a private domain. Copied.
	 */
	const struct engine_netblock *private_addresses;
	size_t private_address_count;
	const char *const *private_domains;
	size_t private_domain_count;
	/*
	 * DNSSEC (RFC 4033-4035). Validation runs when `dnssec_validation`
	 * is set and at least one trust anchor is configured; names no
	 * anchor covers are indeterminate. Files hold DS or DNSKEY lines
	 * (Debian's /usr/share/dns/root.key); strings are one record each;
	 * `domain_insecure` are negative trust anchors (RFC 7646). Arrays
	 * and strings are read by engine_new() and not kept.
	 */
	bool dnssec_validation;		/* default on */
	const char *const *trust_anchor_files;
	size_t trust_anchor_file_count;
	const char *const *trust_anchors;
	size_t trust_anchor_count;
	const char *const *domain_insecure;
	size_t domain_insecure_count;
	/*
	 * RFC 5011: one zone's anchor kept up to date in this writable file
	 * (Unbound's auto-trust-anchor-file format, or plain DS/DNSKEY lines
	 * to start from). NULL: none. Read by engine_new(), then rewritten
	 * after each DNSKEY RRset of that zone validated from upstream.
	 */
	const char *auto_trust_anchor_file;
	/*
	 * RFC 8198: NXDOMAIN and NODATA synthesised from cached, validated
	 * NSEC records before asking upstream (dnssec/aggressive.h). On by
	 * default, as in Unbound.
	 */
	bool aggressive_nsec;
};

void engine_config_init(struct engine_config *config);

/*
 * Creates an engine: caches, server statistics and root hints. Returns NULL
 * and writes a one-line reason into err (errlen bytes) when the hints file
 * can't be read or memory runs out. Caches are shared by every request and
 * are safe to use from several threads; a request belongs to one thread.
 */
struct engine *engine_new(const struct engine_config *config, char *err,
    size_t errlen);
void engine_free(struct engine *engine);

/*
 * Applies a new configuration and keeps the caches (SIGHUP); returns 0,
 * or 1 when the DNSSEC trust changed (trust anchors, domain-insecure,
 * dnssec-validation) and every cache was emptied, since what they hold
 * was judged under the old trust; -1 with the reason in err. The old root
 * hints, zones and settings are freed or overwritten at once: no other
 * thread may be inside the engine meanwhile (descendd parks its workers,
 * resolver/daemon/reload.c). Requests keep no pointers into them between
 * calls, so requests in flight carry on with the new configuration.
 */
int engine_reconfigure(struct engine *engine,
    const struct engine_config *config, char *err, size_t errlen);

/*
 * The RFC 5011 probe (auto_trust_anchor_file). engine_autotrust_zone()
 * returns a copy of the anchored zone for the caller to free, NULL when
 * there is none; its DNSKEY RRset is due at engine_autotrust_next_probe()
 * (seconds since the epoch), resolved with ENGINE_REQUEST_NO_CACHE so that
 * it reaches the validator. engine_autotrust_probe_done() tells whether
 * it got an answer: a failure, or an answer that did not update the state,
 * schedules the retry (RFC 5011 §2.3). It returns -1 with the reason when
 * the last save of the file failed (for the log), else 0. Thread-safe.
 */
ldns_rdf *engine_autotrust_zone(struct engine *engine);
uint32_t engine_autotrust_next_probe(struct engine *engine);
int engine_autotrust_probe_done(struct engine *engine, bool answered,
    uint32_t now, char *err, size_t errlen);

/* A client's question. */
struct engine_question {
	ldns_rdf *name;			/* borrowed; engine_request_new copies it */
	ldns_rr_type type;
	ldns_rr_class klass;
	bool dnssec_ok;			/* the client set DO */
	bool checking_disabled;		/* the client set CD */
};

/* Flags for engine_request_new(). */
#define ENGINE_REQUEST_NO_CACHE	0x01	/* resolve even when cached (trace) */
#define ENGINE_REQUEST_PREFETCH	0x02	/* a prefetch: refreshes the cache */

/*
 * Starts resolving `question`. The observer (may be NULL) sees every step;
 * `observer_ctx` is passed back to it. Returns NULL only when memory runs
 * out. The request holds no reference to `question`.
 */
struct engine_request *engine_request_new(struct engine *engine,
    const struct engine_question *question, unsigned flags,
    struct engine_now now, const struct engine_observer *observer,
    void *observer_ctx);

/*
 * Starts a direct query: one question to one address, RD clear, no
 * iteration and no caching. Trace mode uses it for its extra probes (every
 * server of a zone cut, the child's NS set). The reply is reported to the
 * observer and is available from engine_request_reply().
 */
struct engine_request *engine_request_new_direct(struct engine *engine,
    const struct engine_question *question, const struct sockaddr *addr,
    socklen_t addrlen, bool over_tcp, struct engine_now now,
    const struct engine_observer *observer, void *observer_ctx);

void engine_request_free(struct engine_request *request);

enum engine_transport {
	ENGINE_UDP,
	ENGINE_TCP,
};

/* One query the caller must send. Valid until that id is fed back. */
struct engine_send {
	uint32_t id;			/* echo it to engine_feed_*() */
	struct sockaddr_storage addr;	/* port included (53) */
	socklen_t addrlen;
	enum engine_transport transport;
	const uint8_t *wire;		/* the DNS message, owned by the request */
	size_t wire_len;
	uint32_t timeout_ms;		/* feed a timeout if nothing comes by then */
};

enum engine_action_kind {
	ENGINE_SEND,	/* send action.send, then ask again */
	ENGINE_WAIT,	/* queries are out: feed a reply, timeout or error */
	ENGINE_DONE,	/* the answer is ready */
	/*
	 * The client's answer is ready before the request ends: with
	 * serve-stale, the stale one at the client timer (RFC 8767 §5).
	 * Hand it out (engine_request_answer, engine_request_result), then
	 * ask again: the request goes on, with nobody waiting, until the
	 * fresh answer is in the cache or its deadline. Once per request.
	 */
	ENGINE_ANSWER,
};

struct engine_action {
	enum engine_action_kind kind;
	struct engine_send send;	/* for ENGINE_SEND */
	/*
	 * For ENGINE_WAIT: the request's time left, at least 1. Call
	 * engine_next_action() again by then even if nothing arrived: at its
	 * deadline the request ends (ENGINE_DONE) whatever is still out.
	 */
	uint32_t wait_ms;
	/*
	 * For ENGINE_WAIT: when not 0, call engine_next_action() again after
	 * this many ms even if nothing arrived (a hedge may be due then).
	 */
	uint32_t wake_ms;
};

enum engine_action_kind engine_next_action(struct engine_request *request,
    struct engine_now now, struct engine_action *action);

/*
 * When the request must end, on the engine_now.ms clock: its start plus
 * request_timeout_ms (LIMIT_REQUEST_TIME_MS by default). At that time
 * engine_next_action() finishes it with SERVFAIL and EDE 22 (No Reachable
 * Authority), or with stale data when serve-stale allows it, and the
 * caller drops the queries still out. With serve-stale the first deadline
 * is earlier, stale_client_timeout_ms after the start: then the client
 * gets stale data (EDE 3, ENGINE_ANSWER) if there is some, and either way
 * the request goes on to the full deadline (with the stale answer given,
 * only to refresh the cache). The deadline is checked whenever the engine is
 * asked, not only when a reply or timeout arrives: a caller arms a timer
 * for it (ENGINE_WAIT's wait_ms), so that a query with a long timeout
 * cannot carry the request past it.
 */
uint64_t engine_request_deadline(const struct engine_request *request);

/*
 * Feeds the reply to send `id` as received from `from`. The engine checks
 * the source address, port, ID and question (RFC 5452) and ignores a reply
 * that does not match; the caller keeps waiting for the real one then.
 * Returns 0 when the reply was accepted, -1 when it was ignored.
 */
int engine_feed_reply(struct engine_request *request, uint32_t id,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *wire,
    size_t len, uint32_t rtt_ms, struct engine_now now);
void engine_feed_timeout(struct engine_request *request, uint32_t id,
    struct engine_now now);
/* A local error sending or receiving (ICMP unreachable, connection reset). */
void engine_feed_error(struct engine_request *request, uint32_t id,
    const char *reason, struct engine_now now);

/*
 * Whether a datagram from `a` (length `alen`, as recvfrom gives it) came
 * from `b`'s address and port: a reply is taken only from where its query
 * went.
 */
bool engine_same_address(const struct sockaddr *a, socklen_t alen,
    const struct sockaddr_storage *b);

/*
 * What became of a query whose request ended before it did (its deadline,
 * the stale client timer, a hedge's twin after the answer): the caller
 * kept its socket until its reply or its timeout, and tells the server
 * table so, as if the request had waited. Without it a request cut short
 * teaches nothing: a server whose timeouts always outlast the requests
 * asking it would never be found dead. A timeout counts in
 * upstream_timeouts. Thread-safe.
 */
void engine_report_orphan(struct engine *engine, const struct sockaddr *addr,
    bool answered, uint32_t rtt_ms, struct engine_now now);

/*
 * Extended DNS Error (RFC 8914) codes the engine reports with SERVFAIL.
 * Values are the IANA code points.
 */
enum engine_ede {
	ENGINE_EDE_NONE = -1,
	ENGINE_EDE_OTHER = 0,
	ENGINE_EDE_UNSUPPORTED_DNSKEY_ALG = 1,
	ENGINE_EDE_UNSUPPORTED_DS_DIGEST = 2,
	ENGINE_EDE_STALE_ANSWER = 3,
	ENGINE_EDE_INDETERMINATE = 5,
	ENGINE_EDE_DNSSEC_BOGUS = 6,
	ENGINE_EDE_SIGNATURE_EXPIRED = 7,
	ENGINE_EDE_SIGNATURE_NOT_YET_VALID = 8,
	ENGINE_EDE_DNSKEY_MISSING = 9,
	ENGINE_EDE_RRSIGS_MISSING = 10,
	ENGINE_EDE_NO_ZONE_KEY_BIT = 11,
	ENGINE_EDE_NSEC_MISSING = 12,
	ENGINE_EDE_CACHED_ERROR = 13,
	ENGINE_EDE_PROHIBITED = 18,
	ENGINE_EDE_NOT_AUTHORITATIVE = 20,
	ENGINE_EDE_NOT_SUPPORTED = 21,
	ENGINE_EDE_NO_REACHABLE_AUTHORITY = 22,
	ENGINE_EDE_NETWORK_ERROR = 23,
	ENGINE_EDE_INVALID_DATA = 24,
	ENGINE_EDE_SIGNATURE_EXPIRED_BEFORE_VALID = 25,
	ENGINE_EDE_UNSUPPORTED_NSEC3_ITERATIONS = 27,
};

/* The outcome of a finished request. */
struct engine_result {
	ldns_pkt_rcode rcode;
	enum engine_ede ede;
	const char *ede_text;		/* why, for EDE and logs; static or request-owned */
	bool from_cache;		/* answered without any upstream query */
	bool stale;			/* served stale (RFC 8767) */
	unsigned upstream_queries;	/* sends this request (and its sub-requests) made */
	unsigned signature_checks;	/* RRSIG verifications it (and its sub-requests) ran */
	/*
	 * DNSSEC verdict on the answer (the weakest link of its CNAME chain):
	 * SEC_UNCHECKED when validation is off or the client set CD.
	 * `sec_why` says why when not secure (static or request-owned).
	 */
	enum sec_status security;
	const char *sec_why;
};

void engine_request_result(const struct engine_request *request,
    struct engine_result *result);

/*
 * The answer as a DNS message: QR, RA and the rcode set, ID zero, the
 * question as asked, the answer chain in the answer section and the SOA of
 * a negative answer in the authority section; never glue or referral data.
 * The caller sets ID and RD and copies the client's case into the question.
 * Returns a pointer owned by the request (valid until engine_request_free)
 * or NULL before ENGINE_DONE or ENGINE_ANSWER. After ENGINE_ANSWER it is
 * the stale answer (and engine_request_result() says so) while the
 * request goes on, valid until the request is done (the next
 * engine_next_action() or engine_feed_*() may end it); then it is the
 * refresh's outcome.
 */
const uint8_t *engine_request_answer(const struct engine_request *request,
    size_t *len);

/* For direct requests: the reply as received, or NULL (timeout/error). */
const ldns_pkt *engine_request_reply(const struct engine_request *request);

/* Cache control (descend control flush...). Return entries removed. */
size_t engine_cache_flush_name(struct engine *engine, const ldns_rdf *name);
size_t engine_cache_flush_zone(struct engine *engine, const ldns_rdf *zone);
void engine_cache_flush_all(struct engine *engine);
/* Writes every cached entry in presentation form, one per line. */
void engine_cache_dump(struct engine *engine, FILE *out, time_t now);

/*
 * The wire-format answer cache the daemon's fast path reads
 * (fastpath_answer() in fastpath.h). Owned by the engine.
 */
struct answer_cache *engine_answer_cache(struct engine *engine);

/*
 * The DNSSEC key cache's share of cache_size: a sixteenth, 4 MiB of the
 * default 64m (Unbound's key-cache-size default). An operator sizes one
 * number; validated keys are few and small beside the RRsets.
 */
#define ENGINE_KEY_CACHE_SHARE(cache_size)	((cache_size) / 16)

/* Counters for `descend control stats`. */
struct engine_stats {
	uint64_t requests;
	uint64_t cache_hits;		/* requests answered from the cache */
	uint64_t cache_misses;
	uint64_t upstream_queries;
	uint64_t upstream_timeouts;
	uint64_t upstream_hedges;	/* of the queries: hedges (a second server asked early) */
	uint64_t upstream_errors;
	uint64_t servfails;
	uint64_t limits_hit;
	uint64_t rcode[16];		/* answers by rcode */
	uint64_t dnssec_secure;		/* answers by DNSSEC verdict (validating requests) */
	uint64_t dnssec_insecure;
	uint64_t dnssec_bogus;
	uint64_t dnssec_indeterminate;
	uint64_t dnssec_aggressive_nsec;	/* answers synthesised (RFC 8198) */
	uint64_t dnssec_aggressive_nxdomain;	/* of which NXDOMAIN */
	uint64_t dnssec_aggressive_nsec3;	/* answers synthesised from NSEC3 */
	uint64_t dnssec_aggressive_nsec3_nxdomain;	/* of which NXDOMAIN */
	uint64_t dnssec_aggressive_wildcard;	/* answers expanded (RFC 8198 §5.3) */
	uint64_t dnssec_aggressive_nsec3_wildcard;	/* of NSEC3 zones */
	uint64_t dnssec_restarts;	/* bogus data asked again of another server */
	uint64_t stale_refreshes;	/* resolutions going on after a stale answer (RFC 8767) */
	uint64_t stale_refreshes_fresh;	/* of which brought a fresh answer into the cache */
	size_t cache_bytes;		/* memory held by the caches */
	size_t cache_entries;
	size_t cache_answer_entries;	/* of which whole answers */
	size_t cache_key_entries;	/* of which DNSSEC key entries */
	size_t cache_key_bytes;		/* of cache_bytes, the key cache's */
};

void engine_stats_get(struct engine *engine, struct engine_stats *stats);

#endif /* DESCEND_ENGINE_H */
