/*
 * engine_limits.h: every bound the engine and daemon enforce, named once, each with
 * the behaviour or attack it bounds. Hitting one is reported to the observer
 * (EV_LIMIT_HIT) under the macro's name and counted in stats.
 */
#ifndef DESCEND_ENGINE_LIMITS_H
#define DESCEND_ENGINE_LIMITS_H

/*
 * Upstream queries one client request may cause, sub-requests included.
 * Bounds amplification by delegations built to make resolvers work
 * (NXNSAttack CVE-2020-12662, NRDelegationAttack CVE-2022-3204). Unbound
 * uses a similar budget (max-sent-count 32 per target, 200 overall).
 */
#define LIMIT_QUERIES_PER_REQUEST	200
/* Upstream queries spent on one name within a request. */
#define LIMIT_QUERIES_PER_NAME		50
/*
 * NS-name resolutions that may fail within one request before the engine
 * stops starting new ones (NXNSAttack: a referral to many names that do not
 * resolve).
 */
#define LIMIT_FAILED_NS_RESOLUTIONS	5
/* NS names considered per delegation; the rest are ignored. */
#define LIMIT_NS_PER_DELEGATION		13
/* Glueless NS names resolved at once for one zone cut (NXNS fan-out). */
#define LIMIT_GLUELESS_PARALLEL		3
/* Zone cuts followed downward for one name (referral loops, endless chains). */
#define LIMIT_REFERRAL_DEPTH		30
/* CNAME and DNAME hops in one answer chain (RFC 1034 loops, chains). */
#define LIMIT_ALIAS_HOPS		12
/*
 * Nesting of sub-requests (a glueless NS whose zone is glueless...). A chain
 * deeper than this is as good as a cycle (TsuNAME, CVE-2021-31266 family).
 */
#define LIMIT_SUBREQUEST_DEPTH		6
/* Sub-requests one client request may start in all. */
#define LIMIT_SUBREQUESTS		40
/* Total time one request may take before it is answered SERVFAIL. */
#define LIMIT_REQUEST_TIME_MS		10000
/*
 * Time budget for trying one server before the next one is also tried.
 * An unknown server gets Unbound's 376 ms (UNKNOWN_SERVER_NICENESS): long
 * enough for a far server, short enough that one dead server costs less
 * than 400 ms.
 */
#define LIMIT_QUERY_TIMEOUT_MIN_MS	100
#define LIMIT_QUERY_TIMEOUT_MAX_MS	3000
#define LIMIT_QUERY_TIMEOUT_INITIAL_MS	376
/* Queries in flight at once for one request (hedging after a slow server). */
#define LIMIT_INFLIGHT_PER_REQUEST	4
/* Records accepted from one reply section; the rest is dropped. */
#define LIMIT_RRS_PER_SECTION		256

/* Cache TTL bounds (defaults for the config keys). */
#define LIMIT_CACHE_MAX_TTL		86400
#define LIMIT_CACHE_MAX_NEGATIVE_TTL	3600
#define LIMIT_CACHE_MIN_TTL		0
/* A SERVFAIL is remembered briefly so a broken zone is not hammered (RFC 9520). */
#define LIMIT_SERVFAIL_CACHE_TTL	5
/* Served stale answers carry this TTL (RFC 8767 suggests 30 s). */
#define LIMIT_STALE_ANSWER_TTL		30
/* How long past expiry stale data may still be served. */
#define LIMIT_STALE_MAX_AGE		86400
/* Default memory for all caches together. */
#define LIMIT_CACHE_SIZE_DEFAULT	(64u * 1024 * 1024)

/*
 * A server that failed is avoided for a while, never longer than this, so a
 * server that comes back is used again within minutes.
 */
#define LIMIT_SERVER_BACKOFF_MAX_S	120
/* EDNS buffer size we advertise (DNS Flag Day 2020). */
#define LIMIT_EDNS_BUFSIZE		1232

/* Daemon: clients. */
#define LIMIT_TCP_CLIENTS		256	/* open client TCP connections */
#define LIMIT_TCP_PIPELINE		32	/* queries in flight per TCP connection */
#define LIMIT_TCP_IDLE_MS		10000	/* RFC 7766 idle timeout */
#define LIMIT_CLIENT_INFLIGHT		64	/* queries in flight per client address */
/*
 * Requests in flight per worker (Unbound: num-queries-per-thread 1024).
 * A full list lets its oldest request go once it has run LIMIT_JOSTLE_MS
 * (Unbound's jostle-timeout), otherwise new questions are dropped.
 */
#define LIMIT_WORKER_REQUESTS		2048
#define LIMIT_JOSTLE_MS			200
#define LIMIT_COALESCE_WAITERS		256	/* clients waiting on one in-flight question */

#endif /* DESCEND_ENGINE_LIMITS_H */
