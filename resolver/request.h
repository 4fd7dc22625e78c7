/*
 * request.h: the engine's private state: the engine itself, one client
 * request, and the plan of (sub-)tasks a request works through. Only the
 * engine's own files include it.
 */
#ifndef DESCEND_REQUEST_H
#define DESCEND_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "answer_cache.h"
#include "dnssec/nsec_cache.h"
#include "dnssec/validator.h"
#include "dnssec/verify.h"
#include "engine.h"
#include "engine_limits.h"
#include "forward.h"
#include "observer.h"
#include "private_addr.h"
#include "rrset_cache.h"
#include "server_select.h"

struct engine {
	struct engine_config config;
	char *root_hints_path;		/* owned copy of config.root_hints_file */
	ldns_rr_list *root_hints;
	struct zone_table *zones;	/* forward and stub zones */
	struct private_table *privates;	/* private-address, private-domain */
	struct rrset_cache *rrsets;
	struct answer_cache *answers;
	struct server_table *servers;
	struct validator *validator;	/* trust anchors and key cache */
	struct nsec_cache *nsecs;	/* validated NSECs (RFC 8198) */
	bool trust_changed;		/* the last reload changed the trust */
	/* Replaced by a reload, kept until engine_free like the hints. */
	struct engine_stats stats;	/* updated with atomics */
};

/* Addresses one name server may have (both families, a few each). */
#define SERVER_ADDRS_MAX	8

/*
 * An IPv4 or IPv6 address with its port, as the engine keeps one (28
 * bytes, not sockaddr_storage's 128: a task holds 104 of them): `sa` is
 * what leaves the engine. engine_addr_set fills one.
 */
union engine_addr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct cut_address {
	union engine_addr addr;
	socklen_t addrlen;
	enum addr_source source;
	unsigned sends;			/* queries sent to it in this task */
	bool failed;			/* useless reply: don't ask again */
	bool use_tcp;			/* it truncated: next time over TCP */
};

enum server_address_state {
	SERVER_ADDRESS_UNKNOWN,		/* no address yet: resolve the name */
	SERVER_ADDRESS_RESOLVING,	/* a sub-task resolves it */
	SERVER_ADDRESS_KNOWN,		/* has addresses (maybe all failed) */
	SERVER_ADDRESS_FAILED,		/* could not be resolved */
};

struct cut_server {
	ldns_rdf *name;
	uint32_t ns_ttl;
	struct cut_address addrs[SERVER_ADDRS_MAX];
	unsigned addr_count;
	enum server_address_state state;
	ldns_rr_type resolving_type;	/* A first, then AAAA */
	bool looked_again;		/* addresses looked up again once */
};

struct parked_reply;

/* A zone cut: the zone and the servers the engine may ask for it. */
struct zonecut {
	ldns_rdf *zone;			/* NULL: not found yet */
	unsigned server_count;
	/* A configured cut (forward-zone, stub-zone); NULL: learnt. */
	const char *configured;		/* "forward" or "stub" */
	bool forward;			/* resolvers: RD=1, their answers are final */
	bool forward_first;		/* they all failed: iterate instead */
	bool from_cache;		/* not from a referral seen by this task */
	bool asked_again;		/* its silent addresses got a second round */
	unsigned glueless;		/* NS names of the cut resolved so far */
	/*
	 * The referral that made the cut, its DS or no-DS proof not judged
	 * yet: judged once the cut has an address, right after the first
	 * query to the cut is sent, before any reply of the cut is taken (a
	 * cut that never gets one, a delegation cycle, needs no keys of its
	 * parent). Dropped with the cut: the validator then fetches the DS
	 * when the child's answers need it.
	 */
	struct parked_reply *deferred;
	/*
	 * Last, and never zeroed as a whole (15 KiB, mostly unused): each
	 * server is zeroed when it is added; none past server_count is read.
	 */
	struct cut_server servers[LIMIT_NS_PER_DELEGATION];
};

/* What zonecut_clear and task_new zero: all of a cut but its servers. */
#define ZONECUT_HEAD	offsetof(struct zonecut, servers)

/* A reply the validator holds until a DS/DNSKEY sub-task brings its keys. */
struct parked_reply {
	struct reply_view v;
	ldns_rdf *sent_qname;
	ldns_rr_type sent_qtype;
	bool minimised;
	int server, address;	/* who sent it: the cut's indexes */
	bool deferred;		/* a referral followed already (zonecut) */
	bool restartable;	/* deferred: bogus_restart_possible() then */
	/*
	 * Deferred: it carries a DS RRset and came from a zone whose keys
	 * the validator has or fetches (task_defer_referral), so that the
	 * child's DNSKEYs are asked ahead before the DS is judged.
	 */
	bool ds_ahead;
};

/* One question being resolved: the client's, or a sub-task's. */
struct task {
	unsigned id, parent_id, depth;
	enum subrequest_reason reason;
	ldns_rdf *qname;		/* the name now resolved (after aliases) */
	ldns_rr_type qtype;
	ldns_rr_class klass;
	struct zonecut cut;
	bool from_hints;		/* the cut comes from the root hints */
	unsigned qmin_labels;		/* labels to send while minimising */
	bool qmin_off;			/* relaxed fallback: full name from now on */
	bool no_forward;		/* forward-first fell back: iterate */
	int forced_server, forced_address; /* retry exactly this one next */
	unsigned queries, referrals, alias_hops;
	int waiting_server;		/* the server a sub-task resolves */
	ldns_rr_list *chain;		/* CNAME/DNAME records followed */
	ldns_rr_list *answer;
	ldns_rr_list *soa;
	bool finished;
	ldns_pkt_rcode rcode;
	enum engine_ede ede;
	const char *why;
	/* DNSSEC: the weakest verdict of what the answer is built from. */
	enum sec_status sec;
	int sec_ede;
	const char *sec_why;
	ldns_rr_list *sigs;		/* RRSIGs over chain and answer (DO clients) */
	ldns_rr_list *proof;		/* NSEC/NSEC3 and RRSIGs of a negative answer */
	struct parked_reply *parked;	/* waits for the sub-task on top */
	struct val_need need;		/* what that sub-task fetches */
	/*
	 * Set while the parked reply is judged when a bogus verdict would be
	 * retried at another server (a DNSSEC restart): the validator then
	 * does not mark the zone's keys bad for what may be one bad copy.
	 */
	bool bogus_restartable;
	/* Its query is the request's INFLIGHT_EARLY entry (held for it). */
	bool early;
};

/* A server whose data validated as bogus: not asked again for its zone. */
struct bogus_server {
	union engine_addr addr;
	socklen_t addrlen;
	ldns_rdf *zone;			/* owned */
};

/*
 * What an upstream query is to its request. Every query a request has out
 * is one entry of its inflight[] array, tagged with its role: reply
 * matching, timeouts, failures, abandonment and engine_next_action walk
 * the array the same way for all of them.
 */
enum inflight_role {
	INFLIGHT_FREE = 0,	/* an unused entry */
	/*
	 * The top task's query, at most one: the iterator reads it while it
	 * judges the reply (the server asked, the name sent), so it stays
	 * (INFLIGHT_IDLE) until the task's next query reuses it.
	 */
	INFLIGHT_TASK,
	/*
	 * Hedging: the same question to another server of the cut when the
	 * task's query has not been answered by hedge_at_ms. The first reply
	 * of the two wins and its entry becomes the task's.
	 */
	INFLIGHT_HEDGE,
	/*
	 * Keys ahead: the DNSKEY query of a signed zone whose keys the
	 * validator will need for the reply to the query just sent there
	 * (its DS is validated, its DNSKEYs not cached), sent beside it to
	 * the same server instead of one round trip after it. The DNSKEY
	 * sub-task the validator then starts takes it over as its own query
	 * (iterator.c task_adopt_ahead): in flight, or with its reply held
	 * (a glueless cut's proof waits for the NS name's resolution, whose
	 * zones may need keys of their own meanwhile). One beside each
	 * query, KEYS_AHEAD_HELD out or held at most (a child's beside its
	 * parent's, when its DS is not judged yet: iterator.c
	 * deferred_ds_ahead); an unused one is one query more, as a hedge is
	 * (LIMIT_KEYS_AHEAD_PER_REQUEST).
	 */
	INFLIGHT_AHEAD,
	/*
	 * The task's query sent before its cut's deferred DS proof was
	 * judged (iterator_judge_due), while that judge waits for a DNSKEY
	 * or DS sub-task: its reply is held as a keys-ahead reply is, and
	 * the task takes it back as its own once the proof is judged
	 * (task_adopt_early). One at a time (struct task's `early`).
	 */
	INFLIGHT_EARLY,
	/*
	 * The twin that lost (a hedge and the task's query): not waited
	 * for, but its reply's RTT or its timeout is still told to the
	 * server table. One at a time: a newer one replaces it.
	 */
	INFLIGHT_ABANDONED,
};

enum inflight_state {
	INFLIGHT_IDLE,		/* answered or given up */
	INFLIGHT_PLANNED,	/* built: engine_next_action sends it */
	INFLIGHT_SENT,		/* out: its reply or timeout is awaited */
	INFLIGHT_HELD,		/* answered, the reply kept in `held` */
};

/* A reply kept for a query not yet taken over (allocated when it comes). */
struct held_reply {
	uint32_t rtt_ms;
	size_t len;
	uint8_t wire[];
};

/* One upstream query of a request: an entry of engine_request.inflight. */
struct inflight_query {
	ldns_rdf *sent_qname;
	uint8_t *wire;
	size_t wire_len;
	struct held_reply *held;	/* INFLIGHT_HELD only */
	uint64_t sent_ms;
	union engine_addr addr;		/* where it went (engine_set_addr) */
	socklen_t addrlen;
	enum inflight_role role;
	enum inflight_state state;
	uint32_t send_id;
	int server, address;		/* indexes into the task's cut; -1 direct */
	enum engine_transport transport;
	ldns_rr_type sent_qtype;
	unsigned attempt;
	uint32_t timeout_ms;
	uint16_t dns_id;
	bool edns, case_randomised;
};

#define TASKS_MAX	(LIMIT_SUBREQUEST_DEPTH + 2)
/* Glueless referrals a request remembers (more are asked for again). */
#define GLUELESS_SEEN_MAX	8
/* Keys-ahead queries a request holds at once (in flight or answered). */
#define KEYS_AHEAD_HELD		3
/*
 * Entries of a request's inflight[]: the task's query, a hedge, the twin
 * abandoned last, an early query, and the keys-ahead queries held. No
 * role can then find the array full (engine_inflight_new returns NULL
 * when it is: no query).
 */
#define INFLIGHT_MAX		(4 + KEYS_AHEAD_HELD)

struct engine_request {
	struct engine *engine;
	unsigned flags;
	const struct engine_observer *observer;
	void *observer_ctx;
	struct engine_question question;	/* name owned */
	struct task *tasks[TASKS_MAX];
	unsigned task_count;
	unsigned next_task_id;
	uint64_t start_ms;
	/*
	 * Every upstream query out or held, each tagged with its role. The
	 * entries from inflight_used on were never taken: walks stop there
	 * (a cold name uses one entry, a cold signed one two or three).
	 */
	struct inflight_query inflight[INFLIGHT_MAX];
	unsigned inflight_used;
	unsigned ahead_count;		/* keys-ahead queries sent so far */
	/*
	 * The top task's query went out before its cut's deferred DS proof
	 * was judged: engine_next_action calls iterator_judge_due once it
	 * is sent, before it waits for any reply.
	 */
	bool judge_due;
	uint64_t hedge_at_ms;		/* when to hedge the task's query; 0: never */
	uint32_t next_send_id;
	unsigned upstream_queries, subrequests, failed_ns_resolutions;
	bool priming_tried;
	/*
	 * Zones whose parent gave this request a referral without glue: the
	 * same question to the parent again within the request can bring
	 * neither glue nor other servers (task_refetch_cut).
	 */
	ldns_rdf *glueless_seen[GLUELESS_SEEN_MAX];
	unsigned glueless_seen_count;
	bool validate;			/* DNSSEC on and the client did not set CD */
	struct dnssec_budget budget;	/* KeyTrap: crypto per request */
	struct nsec3_cache *nsec3;	/* hashes made: validator_nsec3_cache */
	const char *dnssec_limit;	/* the per-request limit that ran out */
	/* DNSSEC restarts (LIMIT_DNSSEC_RESTARTS): the servers left out. */
	struct bogus_server bogus[LIMIT_DNSSEC_RESTARTS];
	unsigned dnssec_restarts;
	bool failed_ns_limit_reported;
	bool no_stale;			/* looked at the stale client timer: none */
	/*
	 * The client got the stale answer at the timer (ENGINE_ANSWER) and
	 * the request goes on only to refresh the cache.
	 */
	bool answered_early;
	bool done;
	struct engine_result result;
	uint8_t *answer;
	size_t answer_len;
	/* Direct requests (trace probes). */
	bool direct;
	ldns_pkt *direct_reply;
	/*
	 * The reply (parsed, and judged) that finished the request, freed
	 * with the request: after the client's answer, not before it.
	 */
	ldns_pkt *spent_reply;
	struct parked_reply *spent_parked;
};

/* iterator.c */
struct task *task_new(struct engine_request *req, const ldns_rdf *qname,
    ldns_rr_type qtype, ldns_rr_class klass, enum subrequest_reason reason,
    struct engine_now now);
void task_free(struct task *task);
void parked_free(struct parked_reply *p);
/* Runs the plan until a query must be sent (true) or the request is done. */
bool iterator_step(struct engine_request *req, struct engine_now now);
/*
 * Judges the top task's deferred DS proof after its first query to the
 * cut is sent (req->judge_due), before any reply is fed.
 */
void iterator_judge_due(struct engine_request *req, struct engine_now now);
/* Plans the hedge (an INFLIGHT_HEDGE entry); false when there is none. */
bool iterator_hedge(struct engine_request *req, struct engine_now now);
/*
 * The reply to q, the task's query; pkt NULL: it did not parse. Without
 * an observer, takes the records it keeps out of `pkt` (reply_scrub_take):
 * only its header is left to read.
 */
void iterator_reply(struct engine_request *req, ldns_pkt *pkt,
    size_t size, uint32_t rtt_ms, struct engine_now now);
/* q (the task's query or its hedge) timed out or failed (error set). */
void iterator_timeout(struct engine_request *req,
    const struct inflight_query *q, const char *error, struct engine_now now);
/* The request's deadline passed: fail every task and finish the request. */
void iterator_expire(struct engine_request *req, struct engine_now now);

/* engine.c: helpers the iterator shares */
void engine_emit(const struct engine_request *req,
    struct engine_event *event, const struct task *task,
    struct engine_now now);
void engine_finish_request(struct engine_request *req, struct engine_now now);
bool engine_address_usable(const struct engine *engine,
    const struct sockaddr *addr, const char **why);
/* Builds q's question (fills wire, ids); false on OOM. */
bool engine_build_query(struct engine_request *req, struct inflight_query *q,
    const ldns_rdf *qname, ldns_rr_type qtype, ldns_rr_class klass, bool edns,
    bool randomise_case);

/*
 * The request's in-flight queries (engine.c). engine_inflight_new takes a
 * free entry for `role` (NULL: the array is full); engine_inflight_find
 * is the first entry of that role (NULL: none), engine_inflight_task the
 * task's; engine_inflight_free frees what an entry holds and makes it free.
 */
struct inflight_query *engine_inflight_new(struct engine_request *req,
    enum inflight_role role);
static inline struct inflight_query *
engine_inflight_find(struct engine_request *req, enum inflight_role role)
{
	for (unsigned i = 0; i < req->inflight_used; i++)
		if (req->inflight[i].role == role)
			return &req->inflight[i];
	return NULL;
}
#define engine_inflight_task(req) engine_inflight_find((req), INFLIGHT_TASK)
void engine_inflight_free(struct inflight_query *q);
/* Copies an IPv4 or IPv6 address into `to`; false for anything else. */
bool engine_addr_set(union engine_addr *to, socklen_t *tolen,
    const struct sockaddr *sa, socklen_t len);
/* Whether a and b are the same address and port. */
bool engine_addr_equal(const union engine_addr *a, const union engine_addr *b);
/* Copies an IPv4 or IPv6 address into q; false for anything else. */
bool engine_set_addr(struct inflight_query *q, const struct sockaddr *sa,
    socklen_t len);

#define STAT_ADD(engine, field, n) \
	__atomic_fetch_add(&(engine)->stats.field, (n), __ATOMIC_RELAXED)

#endif /* DESCEND_REQUEST_H */
