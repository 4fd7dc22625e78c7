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
/*
 * Glueless NS names one zone cut looks up (the engine resolves them one at
 * a time). Bounds the NXNSAttack fan-out of names that do resolve, to a
 * victim's address or to servers that never answer, which
 * LIMIT_FAILED_NS_RESOLUTIONS does not count.
 */
#define LIMIT_GLUELESS_PER_CUT		3
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
/*
 * Queries in flight at once for one request: the query, one hedge and one
 * keys-ahead DNSKEY query (below). A server that has not answered after
 * LIMIT_HEDGE_DELAY_UNKNOWN_MS (never seen) or three times its smoothed
 * RTT gets company: the same question
 * goes to another server of the zone, and the first reply wins. A dead
 * server then costs tens of milliseconds instead of a timeout; each hedge
 * is one extra query within LIMIT_QUERIES_PER_REQUEST and _PER_NAME.
 */
#define LIMIT_INFLIGHT_PER_REQUEST	3
#define LIMIT_HEDGE_DELAY_UNKNOWN_MS	30
#define LIMIT_HEDGE_DELAY_MIN_MS	10
/*
 * The third query in flight (LIMIT_INFLIGHT_PER_REQUEST): a signed zone's
 * DNSKEY query sent beside the first query to it while its keys are not
 * cached (keys ahead), because the validator needs them for whatever that
 * zone answers: the cold chain of trust costs no round trip per zone. A
 * reply the zone's keys then do not judge (a lame server, a delegation
 * cycle) leaves it unused: one query more, as a hedge is. Bounds those per
 * request, within LIMIT_QUERIES_PER_REQUEST, so that a chain of many signed
 * zones built to waste them costs a handful; past it, keys are fetched
 * after the reply as before.
 */
#define LIMIT_KEYS_AHEAD_PER_REQUEST	8
/*
 * Messages read from one upstream TCP connection before the query fails.
 * A server may send a reply that is not ours first (the engine ignores
 * it, RFC 5452), but one that streams message after message would keep
 * the connection busy until the timeout; the buffer itself never holds
 * more than one message (2 + 65535 bytes).
 */
#define LIMIT_UPSTREAM_TCP_MESSAGES	8
/*
 * Replies in a row that do not echo the 0x20 case of the question before
 * a server is asked without case randomisation (for QUIRK_TTL, 15 min).
 * One such reply may be a spoofer's, sent to turn the randomisation off;
 * it is dropped and the query asked again with fresh case. A second one
 * in a row means the server does not echo case.
 */
#define LIMIT_0X20_MISMATCHES		2
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
/*
 * With serve-stale, a client waits this long for a fresh answer before it
 * gets the stale one (RFC 8767 §5's client response timer, 1.8 s; Unbound's
 * serve-expired-client-timeout): a stub resolver gives up after a few
 * seconds (glibc: 5 s), so stale data served at LIMIT_REQUEST_TIME_MS, or
 * after the timeouts of servers not yet known dead, reached nobody.
 */
#define LIMIT_STALE_CLIENT_TIMEOUT_MS	1800
/* Default memory for all caches together. */
#define LIMIT_CACHE_SIZE_DEFAULT	(64u * 1024 * 1024)

/*
 * A server that failed is avoided for a while, never longer than this, so a
 * server that comes back is used again within minutes.
 */
#define LIMIT_SERVER_BACKOFF_MAX_S	120
/*
 * Failures in a row after which a server is dead (Knot Resolver's
 * KR_NS_TIMEOUT_ROW_DEAD is 4); the failures of queries sent together, a
 * burst lost at once, count once. A dead server gets one query at a time,
 * a probe, until it answers again; a request with no other server to ask
 * fails at once (SERVFAIL, EDE 22) instead of waiting out timeouts of up
 * to LIMIT_QUERY_TIMEOUT_MAX_MS each. Without it every name under a dead
 * zone held its request for LIMIT_REQUEST_TIME_MS, and a client asking
 * such names (random subdomains of a zone whose server is down: the
 * "water torture" flood) filled the worker's request list and its own
 * LIMIT_CLIENT_INFLIGHT, so its other questions were dropped.
 */
#define LIMIT_SERVER_DEAD_FAILURES	4
/*
 * A dead server whose probe failed rests this long before the next probe
 * (Knot Resolver's KR_NS_TIMEOUT_RETRY_INTERVAL): meanwhile a request with
 * no other server fails at once (EDE 22) or is served stale. Without it
 * the probe slot came free with each failure, and a client asking one name
 * at a time under a dead zone sent every one of its requests as the next
 * probe and waited out its timeout, LIMIT_REQUEST_TIME_MS per name. Short,
 * so that a server that comes back is found within about a second under
 * load (the load test allows 5 s).
 */
#define LIMIT_SERVER_PROBE_INTERVAL_MS	1000
/* EDNS buffer size we advertise (DNS Flag Day 2020). */
#define LIMIT_EDNS_BUFSIZE		1232
/*
 * Largest UDP reply to a client whatever buffer it advertises (default of
 * max-udp-size, as Unbound's): a bigger one is fragmented, and fragments
 * are what off-path cache poisoning and reflection attacks ride on (DNS
 * Flag Day 2020); above it the reply is truncated (TC) and the client
 * comes back over TCP.
 */
#define LIMIT_UDP_REPLY_DEFAULT		1232

/* Daemon: clients. */
#define LIMIT_TCP_CLIENTS		256	/* open client TCP connections */
#define LIMIT_TCP_PIPELINE		32	/* queries in flight per TCP connection */
#define LIMIT_TCP_IDLE_MS		10000	/* default tcp-idle-timeout */
/*
 * The idle timeout once more than half of a worker's LIMIT_TCP_CLIENTS
 * are open (RFC 7766 §6.2.3; Unbound cuts it to 1/100 above half): a
 * client asking once every LIMIT_TCP_IDLE_MS on each of many connections
 * would otherwise hold every slot and lock other TCP clients out.
 */
#define LIMIT_TCP_IDLE_BUSY_MS		1500
#define LIMIT_CLIENT_INFLIGHT		64	/* queries in flight per client address */
/*
 * Open TCP connections per client address and worker (Unbound's
 * tcp-connection-limit): one address could otherwise hold all of
 * LIMIT_TCP_CLIENTS. Half of them, so that a forwarder in front of us
 * (dnsdist on 127.0.0.1) still has room for many clients' streams.
 * The default of descendd's tcp-connections-per-address (1 to
 * LIMIT_TCP_CLIENTS).
 */
#define LIMIT_TCP_CLIENTS_PER_ADDR	(LIMIT_TCP_CLIENTS / 2)
/*
 * Requests in flight per worker (Unbound: num-queries-per-thread 1024).
 * A full list lets its oldest request go once it has run LIMIT_JOSTLE_MS
 * (Unbound's jostle-timeout), otherwise new questions are dropped.
 */
#define LIMIT_WORKER_REQUESTS		2048
#define LIMIT_JOSTLE_MS			200
/*
 * Queries kept per worker after their request ended (its deadline, the
 * stale client timer, a hedge's twin), only so that their reply or timeout
 * reaches the server table, each a socket for at most
 * LIMIT_QUERY_TIMEOUT_MAX_MS. Beyond it they are closed at once, and a
 * request that gives way (jostled) or a shutdown closes its own: a flood
 * of slow names must not turn learning into a run on file descriptors.
 */
#define LIMIT_UPSTREAM_ORPHANS		2048
#define LIMIT_COALESCE_WAITERS		256	/* clients waiting on one in-flight question */
/*
 * Replies queued for one TCP client that does not read them. A client
 * that pipelines queries for a large cached answer and never reads would
 * make descendd hold every reply (gigabytes in seconds): above
 * LIMIT_TCP_WRITE_QUEUE bytes its queries are no longer read (RFC 7766
 * §6.2.1.1), below half of it reading resumes. A connection holding
 * replies (ours, or the kernel's send queue) with no progress for
 * LIMIT_TCP_WRITE_STALL_MS is closed (tcp.closed_stalled): a client that
 * holds our memory by never reading. One that reads, however slowly,
 * keeps its replies: a connection with replies to write is not idle (RFC
 * 7766 §6.2.3). The stall limit is the default of tcp-stall-timeout.
 */
#define LIMIT_TCP_WRITE_QUEUE		(64u * 1024)
#define LIMIT_TCP_WRITE_STALL_MS	3000
/*
 * SO_SNDBUF of a client TCP connection (the default of tcp-send-buffer;
 * Linux doubles it, 64 KiB). Left to autotuning, the kernel would park
 * 1-4 MiB per connection for a client that does not read, beyond
 * LIMIT_TCP_WRITE_QUEUE and LIMIT_TCP_QUEUED_TOTAL. 64 KiB in flight is
 * the largest DNS message, 0.6 MB/s at 100 ms RTT: plenty for replies.
 */
#define LIMIT_TCP_SEND_BUFFER		(32u * 1024)
/*
 * Replies queued for all TCP clients of all workers together (Unbound's
 * stream-wait-size, 4 MiB by default): many connections each just under
 * their own bound. Above it a worker closes its connection with the most
 * bytes queued; a reply that still does not fit is dropped and its
 * connection closed (its client reconnects and asks again, RFC 7766
 * §6.2.4: left open, it would wait for that answer forever).
 */
#define LIMIT_TCP_QUEUED_TOTAL		(4u * 1024 * 1024)

/*
 * DNSSEC validation (resolver/dnssec/). The CPU an attacker's zone can make
 * a validator spend: KeyTrap (CVE-2023-50387: many DNSKEYs sharing a key
 * tag times many RRSIGs, each pair a signature check) and NSEC3 (CVE-2023-
 * 50868: many NSEC3 records, high iteration counts, deep names to hash).
 * Values from the brief: Knot Resolver 5.7.1, PowerDNS 4.9.3/5.0.2,
 * Unbound 1.19.1, BIND 9.20.
 */
/* Signature checks one client request may make, sub-requests included; then
 * SERVFAIL with EDE 6 (Knot: 32, PowerDNS: 30, BIND 9.20: 16 per fetch). */
#define LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST	32
/* Time-valid RRSIGs with a candidate key tried per RRset; the rest are
 * skipped (PowerDNS max-rrsigs-per-record 2): a valid zone needs one. */
#define LIMIT_DNSSEC_RRSIGS_PER_RRSET		2
/* DNSKEYs sharing one key tag tried per RRSIG; the rest are skipped
 * (PowerDNS max-dnskeys 2): tag collisions are rare in real zones.
 * With the limit above, one RRset costs at most 2 x 2 = 4 signature checks
 * (Unbound allows 8 per RRset, MAX_VALIDATE_RRSIGS). */
#define LIMIT_DNSSEC_KEYS_PER_TAG		2
/*
 * Distinct signer names tried per RRset (validator.c signers_to_try): one
 * RRSIG with another signer, injected or stale, must not spoil a good RRset
 * (Unbound takes the first RRSIG's signer only), yet each signer tried may
 * cost a DS and a DNSKEY fetch and the checks above: the preferred signer
 * and one more. Chosen after the key cache has put last the names that
 * cannot be the zone of the owner's data (above a known zone that holds
 * it, or not a zone cut), so that forged names nearer the root than the
 * real signer do not push it out. The rest are skipped.
 */
#define LIMIT_DNSSEC_SIGNERS_PER_RRSET		2
/* DS records considered per zone; the rest are skipped (PowerDNS max-ds-per-zone 8). */
#define LIMIT_DNSSEC_DS_PER_ZONE		8
/* DS digests computed that did not match before the DNSKEY set is bogus
 * (Unbound val_utils.c). */
#define LIMIT_DNSSEC_DS_MATCH_FAILURES		4
/* Parsed public keys (OpenSSL objects) kept for reuse, process-wide, keyed
 * by the DNSKEY's exact rdata; the least recently used goes when full, so
 * many distinct keys (many zones, a KeyTrap key set) cost parses again,
 * never memory. */
#define LIMIT_DNSSEC_KEY_OBJECTS		256
/* RSA keys above this modulus size are treated as unsupported: verification
 * cost grows with the key (OpenSSL accepts up to 16384 bits). */
#define LIMIT_DNSSEC_RSA_MAX_BITS		4096
/* NSEC3 iterations above this make the answer insecure with EDE 27 (RFC 9276
 * §3.2; Knot, PowerDNS 5, BIND 9.20: 50), checked only after the NSEC3's
 * RRSIG verified so a forger cannot downgrade a zone. */
#define LIMIT_DNSSEC_NSEC3_ITERATIONS		50
/* NSEC3 records used from one reply's proof; more → bogus, EDE 27
 * (Knot; PowerDNS max-nsec3s-per-record 10). */
#define LIMIT_DNSSEC_NSEC3_PER_REPLY		8
/* SHA-1 runs for NSEC3 hashing per request (a name at N iterations costs
 * N + 1); then bogus (PowerDNS max-nsec3-hash-computations-per-query 600). */
#define LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST	600
/* NSEC3 hashes remembered per request (memory of the per-request cache). */
#define LIMIT_DNSSEC_NSEC3_CACHE		32
/*
 * Names one RFC 8198 NSEC3 lookup (aggressive.c) hashes or takes from a
 * memo: the name, its ancestors down to the closest encloser, the wildcard.
 * A random-subdomain flood makes every cache miss try; deeper names go
 * upstream, whose reply the validator proves under its own budget. Each
 * hash computed costs iterations + 1 of LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST
 * and is kept in the request's hash cache, so the upstream reply's proof,
 * when the lookup proves nothing, hashes those names no second time
 * (Knot Resolver: kr_nsec3_max_depth).
 */
#define LIMIT_DNSSEC_AGGRESSIVE_NSEC3_NAMES	5
/*
 * SHA-1 runs of the request's LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST that
 * RFC 8198 NSEC3 lookups leave untouched: a request whose tasks each miss
 * the cache (a CNAME chain through a 50-iteration zone) would otherwise
 * spend its budget on lookups that prove nothing, and then fail the
 * validation of the upstream replies as bogus. Half: at 50 iterations the
 * validator keeps five hashes, more than one NXDOMAIN proof needs.
 */
#define LIMIT_DNSSEC_AGGRESSIVE_NSEC3_RESERVE \
	(LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST / 2)
/* Times per request bogus data is re-fetched from another server of its zone
 * before SERVFAIL, that server left out for the zone
 * (Unbound val-max-restart 5; each restart costs upstream queries). */
#define LIMIT_DNSSEC_RESTARTS			2
/* A zone whose keys proved bogus is remembered this long, so a broken zone
 * is not re-validated for every query (Unbound BOGUS_KEY_TTL 60). */
#define LIMIT_DNSSEC_BOGUS_KEY_TTL		60
/* Clock skew allowed around an RRSIG's validity window: 10 % of the window,
 * at least 1 h and at most 1 d (Unbound val-sig-skew-min/max). */
#define LIMIT_DNSSEC_SKEW_PERCENT		10
#define LIMIT_DNSSEC_SKEW_MIN_S			3600
#define LIMIT_DNSSEC_SKEW_MAX_S			86400
/* The least a validated DS, DNSKEY or no-DS proof is kept in the key cache.
 * RFC 4035 §5.3.3 keeps it no longer than its RRSIGs are valid: 0 s for one
 * past its expiration within the skew, and the request that proved it then
 * found it gone, fetched it again and failed. Short, so that an expired
 * signature vouches for keys no longer than one resolution takes. */
#define LIMIT_DNSSEC_KEY_MIN_TTL		5
/* SEP keys tracked per RFC 5011 anchored zone (resolver/dnssec/autotrust.c);
 * more in a DNSKEY set are ignored, so a zone publishing thousands of keys
 * cannot grow the anchor file or the per-probe work without bound. */
#define LIMIT_AUTOTRUST_KEYS			16
/*
 * Size of a root hints or trust anchor file (resolver/rr_file.c reads it
 * whole into memory, at start and on every reload): IANA's named.root is
 * 3 KB, so a larger file is a wrong path (a zone dump, a log, /dev/zero)
 * that would otherwise be read until memory or patience runs out.
 */
#define LIMIT_RR_FILE_BYTES			(1024u * 1024)

#endif /* DESCEND_ENGINE_LIMITS_H */
