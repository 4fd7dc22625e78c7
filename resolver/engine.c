/*
 * engine.c: the engine's entry points: lifetime and configuration, request
 * start and the next_action/feed_* protocol, query building and reply
 * matching (RFC 5452), the final answer, cache control and counters.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "dnssec/key_cache.h"
#include "dnssec/verify.h"
#include "render.h"
#include "reply.h"
#include "request.h"
#include "root_hints.h"

const char *
addr_source_name(enum addr_source source)
{
	switch (source) {
	case ADDR_SOURCE_HINTS:		return "hints";
	case ADDR_SOURCE_GLUE:		return "glue";
	case ADDR_SOURCE_RESOLVED:	return "resolved";
	case ADDR_SOURCE_CACHE:		return "cache";
	case ADDR_SOURCE_AUTH:		return "authoritative";
	case ADDR_SOURCE_DIRECT:	return "direct";
	case ADDR_SOURCE_CONFIG:	return "config";
	}
	return "?";
}

const char *
reply_class_name(enum reply_class klass)
{
	static const char *const names[] = {
		[REPLY_ANSWER] = "answer", [REPLY_CNAME] = "cname",
		[REPLY_DNAME] = "dname", [REPLY_REFERRAL] = "referral",
		[REPLY_NXDOMAIN] = "nxdomain", [REPLY_NODATA] = "nodata",
		[REPLY_LAME] = "lame", [REPLY_UPWARD_REFERRAL] = "upward-referral",
		[REPLY_REFUSED] = "refused", [REPLY_SERVFAIL] = "servfail",
		[REPLY_FORMERR] = "formerr", [REPLY_NOTIMP] = "notimp",
		[REPLY_TRUNCATED] = "truncated", [REPLY_MALFORMED] = "malformed",
	};

	return (unsigned)klass < sizeof(names) / sizeof(names[0]) ?
	    names[klass] : "?";
}

/*
 * The answer cache gets a quarter of the memory, the validated NSECs
 * (RFC 8198) a sixteenth, the DNSSEC key cache a sixteenth, the RRset
 * cache the rest.
 */
static void
engine_size_caches(struct engine *engine)
{
	size_t size = engine->config.cache_size;

	answer_cache_set_max(engine->answers, size / 4);
	nsec_cache_set_max(engine->nsecs, size / 16);
	key_cache_set_max(validator_key_cache(engine->validator),
	    ENGINE_KEY_CACHE_SHARE(size));
	rrset_cache_set_max(engine->rrsets, size - size / 4 - size / 16 -
	    ENGINE_KEY_CACHE_SHARE(size));
}

static bool
engine_load_config(struct engine *engine, const struct engine_config *config,
    char *err, size_t errlen)
{
	char *path = NULL;
	ldns_rr_list *hints;
	struct zone_table *zones;
	struct private_table *privates;
	struct validator *validator;

	if ((privates = private_table_new(config, err, errlen)) == NULL)
		return false;
	if ((zones = zone_table_new(config->zones, config->zone_count, err,
	    errlen)) == NULL) {
		private_table_free(privates);
		return false;
	}
	if (config->root_hints != NULL) {
		if ((hints = ldns_rr_list_clone(config->root_hints)) == NULL) {
			snprintf(err, errlen, "out of memory");
			zone_table_free(zones);
			private_table_free(privates);
			return false;
		}
	} else {
		if (config->root_hints_file != NULL &&
		    (path = strdup(config->root_hints_file)) == NULL) {
			snprintf(err, errlen, "out of memory");
			zone_table_free(zones);
			private_table_free(privates);
			return false;
		}
		if ((hints = root_hints_load(path, err, errlen)) == NULL) {
			free(path);
			zone_table_free(zones);
			private_table_free(privates);
			return false;
		}
	}
	if ((validator = validator_new(config, err, errlen)) == NULL) {
		free(path);
		ldns_rr_list_deep_free(hints);
		zone_table_free(zones);
		private_table_free(privates);
		return false;
	}
	/*
	 * No other thread is inside the engine (engine_reconfigure's
	 * contract) and requests look the validator up on each call, so the
	 * old one goes now. Under the same trust its key cache is kept; when
	 * the anchors, negative anchors or validation itself changed, nothing
	 * validated (or left unvalidated) under the old trust may be served
	 * with its old verdict: every cache is emptied.
	 */
	if (engine->validator != NULL) {
		if (validator_same_trust(engine->validator, validator))
			validator_keep_keys(validator, engine->validator);
		else
			engine->trust_changed = true;
	}
	validator_free(engine->validator);
	engine->validator = validator;
	if (engine->trust_changed)
		engine_cache_flush_all(engine);
	/* No other thread is inside the engine (engine_reconfigure's contract). */
	free(engine->root_hints_path);
	ldns_rr_list_deep_free(engine->root_hints);
	zone_table_free(engine->zones);
	private_table_free(engine->privates);
	__atomic_store_n(&engine->zones, zones, __ATOMIC_RELEASE);
	__atomic_store_n(&engine->privates, privates, __ATOMIC_RELEASE);
	engine->root_hints_path = path;
	engine->root_hints = hints;
	engine->config = *config;
	engine->config.root_hints_file = path;
	engine->config.root_hints = NULL;	/* copied above */
	engine->config.zones = NULL;		/* copied into engine->zones */
	engine->config.zone_count = 0;
	engine->config.private_addresses = NULL;	/* and into privates */
	engine->config.private_address_count = 0;
	engine->config.private_domains = NULL;
	engine->config.private_domain_count = 0;
	engine->config.trust_anchor_files = NULL;	/* read above */
	engine->config.trust_anchors = NULL;
	engine->config.domain_insecure = NULL;
	engine->config.auto_trust_anchor_file = NULL;	/* the validator's */
	if (engine->config.tries == 0)
		engine->config.tries = 1;
	return true;
}

struct engine *
engine_new(const struct engine_config *config, char *err, size_t errlen)
{
	struct engine *engine = calloc(1, sizeof(*engine));

	if (engine == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	engine->rrsets = rrset_cache_new(config->cache_size);
	engine->answers = answer_cache_new(config->cache_size);
	if (engine->answers != NULL && engine->rrsets != NULL)
		answer_cache_follow(engine->answers, engine->rrsets);
	engine->servers = server_table_new();
	engine->nsecs = nsec_cache_new(config->cache_size / 16);
	if (engine->rrsets == NULL || engine->answers == NULL ||
	    engine->servers == NULL || engine->nsecs == NULL) {
		snprintf(err, errlen, "out of memory");
		engine_free(engine);
		return NULL;
	}
	if (!engine_load_config(engine, config, err, errlen)) {
		engine_free(engine);
		return NULL;
	}
	engine_size_caches(engine);
	return engine;
}

void
engine_free(struct engine *engine)
{
	if (engine == NULL)
		return;
	rrset_cache_free(engine->rrsets);
	answer_cache_free(engine->answers);
	server_table_free(engine->servers);
	nsec_cache_free(engine->nsecs);
	validator_free(engine->validator);
	ldns_rr_list_deep_free(engine->root_hints);
	free(engine->root_hints_path);
	zone_table_free(engine->zones);
	private_table_free(engine->privates);
	/*
	 * The parsed DNSKEY table is the process's, not this engine's, but
	 * nothing else would ever free it: at exit valgrind found it still
	 * allocated (up to LIMIT_DNSSEC_KEY_OBJECTS keys). Emptying it costs
	 * another engine still running only a parse per key.
	 */
	dnssec_key_objects_flush();
	free(engine);
}

int
engine_reconfigure(struct engine *engine, const struct engine_config *config,
    char *err, size_t errlen)
{
	engine->trust_changed = false;
	if (!engine_load_config(engine, config, err, errlen))
		return -1;
	engine_size_caches(engine);
	return engine->trust_changed ? 1 : 0;
}

struct answer_cache *
engine_answer_cache(struct engine *engine)
{
	return engine->answers;
}

void
engine_emit(const struct engine_request *req, struct engine_event *ev,
    const struct task *task, struct engine_now now)
{
	if (req->observer == NULL || req->observer->on_event == NULL)
		return;
	ev->now = now;
	if (task != NULL) {
		ev->request_id = task->id;
		ev->parent_id = task->parent_id;
		ev->depth = task->depth;
		ev->qname = task->qname;
		ev->qtype = task->qtype;
	} else {
		ev->qname = req->question.name;
		ev->qtype = req->question.type;
	}
	req->observer->on_event(req->observer_ctx, ev);
}

static bool
is_loopback(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)addr;
		uint32_t a = ntohl(in->sin_addr.s_addr);

		return (a >> 24) == 127 || a == 0;
	}
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)addr;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
		    IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ||
		    IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);
	}
	return false;
}

bool
engine_address_usable(const struct engine *engine,
    const struct sockaddr *addr, const char **why)
{
	enum engine_family family = engine->config.family;

	if ((family == ENGINE_FAMILY_IPV4 && addr->sa_family != AF_INET) ||
	    (family == ENGINE_FAMILY_IPV6 && addr->sa_family != AF_INET6)) {
		*why = "address family disabled";
		return false;
	}
	if (!engine->config.query_loopback && is_loopback(addr)) {
		*why = "loopback address (query-loopback: no)";
		return false;
	}
	return true;
}

/*
 * A query's wire form, written straight from its parts: the header (RD
 * clear, one question), the question and, with EDNS, an OPT record
 * (LIMIT_EDNS_BUFSIZE, version 0, DO, no options). The same bytes
 * ldns_pkt2wire renders from a query packet (test_engine compares them),
 * without building a packet, an RR and a compression table for every
 * upstream exchange. NULL when out of memory.
 */
static uint8_t *
query_wire(uint16_t id, const ldns_rdf *name, ldns_rr_type qtype,
    ldns_rr_class klass, bool edns, size_t *len)
{
	size_t name_len = ldns_rdf_size(name);
	size_t total = 12 + name_len + 4 + (edns ? 11 : 0);
	uint8_t *wire = malloc(total), *p = wire;

	if (wire == NULL)
		return NULL;
	*p++ = (uint8_t)(id >> 8);
	*p++ = (uint8_t)id;
	*p++ = 0;			/* QR clear, opcode QUERY, RD clear */
	*p++ = 0;
	*p++ = 0;			/* QDCOUNT 1, ANCOUNT 0, NSCOUNT 0 */
	*p++ = 1;
	memset(p, 0, 4);
	p += 4;
	*p++ = 0;			/* ARCOUNT: the OPT record */
	*p++ = edns ? 1 : 0;
	memcpy(p, ldns_rdf_data(name), name_len);
	p += name_len;
	*p++ = (uint8_t)(qtype >> 8);
	*p++ = (uint8_t)qtype;
	*p++ = (uint8_t)(klass >> 8);
	*p++ = (uint8_t)klass;
	if (edns) {
		*p++ = 0;		/* owner: the root */
		*p++ = 0;
		*p++ = LDNS_RR_TYPE_OPT;
		*p++ = (uint8_t)(LIMIT_EDNS_BUFSIZE >> 8);
		*p++ = (uint8_t)LIMIT_EDNS_BUFSIZE;
		*p++ = 0;		/* extended RCODE, version 0 */
		*p++ = 0;
		*p++ = 0x80;		/* DO */
		*p++ = 0;
		*p++ = 0;		/* RDLENGTH: no options */
		*p++ = 0;
	}
	*len = total;
	return wire;
}

bool
engine_build_query(struct engine_request *req, struct inflight_query *q,
    const ldns_rdf *qname, ldns_rr_type qtype, ldns_rr_class klass, bool edns,
    bool randomise_case)
{
	ldns_rdf *name = ldns_rdf_clone(qname);

	if (name == NULL)
		return false;
	if (randomise_case)
		dname_randomise_case(name);
	ldns_rdf_deep_free(q->sent_qname);
	free(q->wire);
	q->wire = NULL;
	q->sent_qname = name;
	q->sent_qtype = qtype;
	q->edns = edns;
	q->case_randomised = randomise_case;
	q->dns_id = (uint16_t)arc4random_uniform(65536);
	/*
	 * DO: the RRSIGs, DS and NSEC records the validator needs (RFC 4035
	 * §4.1), always, validating or not, as BIND and Unbound do (Unbound's
	 * iterator sends EDNS_DO on every query even without its validator):
	 * a non-validating resolver still hands DO clients the RRSIGs and
	 * proofs to validate themselves (RFC 4035 §3.2.1), and the same cache
	 * serves them whatever the next client asks.
	 */
	q->wire = query_wire(q->dns_id, name, qtype, klass, edns, &q->wire_len);
	q->send_id = ++req->next_send_id;
	return q->wire != NULL;
}

struct inflight_query *
engine_inflight_new(struct engine_request *req, enum inflight_role role)
{
	for (unsigned i = 0; i < INFLIGHT_MAX; i++) {
		struct inflight_query *q = &req->inflight[i];

		if (q->role == INFLIGHT_FREE) {
			q->role = role;
			q->state = INFLIGHT_IDLE;
			q->server = q->address = -1;
			if (req->inflight_used <= i)
				req->inflight_used = i + 1;
			return q;
		}
	}
	return NULL;
}

void
engine_inflight_free(struct inflight_query *q)
{
	ldns_rdf_deep_free(q->sent_qname);
	free(q->wire);
	free(q->held);
	memset(q, 0, sizeof(*q));
}

bool
engine_addr_set(union engine_addr *to, socklen_t *tolen,
    const struct sockaddr *sa, socklen_t len)
{
	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    len > sizeof(*to))
		return false;
	memcpy(to, sa, len);
	*tolen = len;
	return true;
}

bool
engine_set_addr(struct inflight_query *q, const struct sockaddr *sa,
    socklen_t len)
{
	return engine_addr_set(&q->addr, &q->addrlen, sa, len);
}

/* The query sent with `id`, waited for; NULL when none is. */
static struct inflight_query *
inflight_sent(struct engine_request *req, uint32_t id)
{
	for (unsigned i = 0; i < req->inflight_used; i++) {
		struct inflight_query *q = &req->inflight[i];

		if (q->role != INFLIGHT_FREE && q->state == INFLIGHT_SENT &&
		    q->send_id == id)
			return q;
	}
	return NULL;
}

/*
 * What every request starts with, iterated or direct: its own copy of the
 * question, its observer, its start time, no query out. NULL when out of
 * memory.
 */
static struct engine_request *
request_alloc(struct engine *engine, const struct engine_question *question,
    struct engine_now now, const struct engine_observer *observer,
    void *observer_ctx)
{
	struct engine_request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->engine = engine;
	req->observer = observer;
	req->observer_ctx = observer_ctx;
	req->question = *question;
	req->question.name = ldns_rdf_clone(question->name);
	req->start_ms = now.ms;
	if (req->question.name == NULL) {
		free(req);
		return NULL;
	}
	return req;
}

struct engine_request *
engine_request_new(struct engine *engine,
    const struct engine_question *question, unsigned flags,
    struct engine_now now, const struct engine_observer *observer,
    void *observer_ctx)
{
	struct engine_request *req = request_alloc(engine, question, now,
	    observer, observer_ctx);
	struct task *task;

	if (req == NULL)
		return NULL;
	req->flags = flags;
	validator_request_init(req);
	STAT_ADD(engine, requests, 1);
	task = task_new(req, question->name, question->type, question->klass,
	    flags & ENGINE_REQUEST_PREFETCH ? SUBREQ_PREFETCH : SUBREQ_NONE,
	    now);
	if (task == NULL) {
		engine_request_free(req);
		return NULL;
	}
	req->tasks[req->task_count++] = task;
	return req;
}

void
engine_request_free(struct engine_request *req)
{
	if (req == NULL)
		return;
	for (unsigned i = 0; i < req->task_count; i++)
		task_free(req->tasks[i]);
	for (unsigned i = 0; i < req->glueless_seen_count; i++)
		ldns_rdf_deep_free(req->glueless_seen[i]);
	ldns_rdf_deep_free(req->question.name);
	for (unsigned i = 0; i < req->inflight_used; i++) {
		struct inflight_query *q = &req->inflight[i];

		if (q->role != INFLIGHT_FREE) {
			ldns_rdf_deep_free(q->sent_qname);
			free(q->wire);
			free(q->held);
		}
	}
	free(req->answer);
	validator_request_free(req);
	ldns_pkt_free(req->direct_reply);
	ldns_pkt_free(req->spent_reply);
	parked_free(req->spent_parked);
	free(req);
}

/* Answer-cache key for the request's question. */
static size_t
request_answer_key(const struct engine_request *req, uint8_t *key)
{
	return answer_key(key, ldns_rdf_data(req->question.name),
	    ldns_rdf_size(req->question.name), req->question.type,
	    req->question.klass, req->question.dnssec_ok,
	    req->question.checking_disabled);
}

static uint32_t
list_min_ttl(const ldns_rr_list *rrs, uint32_t ttl)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++)
		if (ldns_rr_ttl(ldns_rr_list_rr(rrs, i)) < ttl)
			ttl = ldns_rr_ttl(ldns_rr_list_rr(rrs, i));
	return ttl;
}

/* How long the finished answer may be served from the answer cache. */
static uint32_t
answer_ttl(const struct engine *engine, const struct task *task,
    bool dnssec_ok)
{
	uint32_t ttl = engine->config.cache_max_ttl;

	if (task->rcode == LDNS_RCODE_SERVFAIL)
		return LIMIT_SERVFAIL_CACHE_TTL;
	ttl = list_min_ttl(task->chain, ttl);
	ttl = list_min_ttl(task->answer, ttl);
	/* A DO answer lives no longer than its wildcard proof's records. */
	if (dnssec_ok && task->answer != NULL &&
	    ldns_rr_list_rr_count(task->answer) > 0)
		ttl = list_min_ttl(task->proof, ttl);
	if (task->answer == NULL || ldns_rr_list_rr_count(task->answer) == 0) {
		uint32_t neg = engine->config.cache_max_negative_ttl;

		ttl = ttl < neg ? ttl : neg;
		ttl = list_min_ttl(task->soa, ttl);
		if (task->soa != NULL && ldns_rr_list_rr_count(task->soa) > 0) {
			const ldns_rdf *min =
			    ldns_rr_rdf(ldns_rr_list_rr(task->soa, 0), 6);

			if (min != NULL && ldns_rdf2native_int32(min) < ttl)
				ttl = ldns_rdf2native_int32(min);
		} else
			ttl = 0;	/* no SOA: nothing says how long */
	}
	if (ttl < engine->config.cache_min_ttl && task->rcode != LDNS_RCODE_SERVFAIL)
		ttl = engine->config.cache_min_ttl;
	return ttl;
}

/*
 * Whether a record of the answer is whole: when memory ran out while it
 * was copied, ldns_rr_clone() left NULL names or rdata out.
 */
static bool
rr_complete(const ldns_rr *rr)
{
	if (rr == NULL || ldns_rr_owner(rr) == NULL ||
	    ldns_rr_rd_count(rr) <
	    ldns_rr_descriptor_minimum(ldns_rr_descript(ldns_rr_get_type(rr))))
		return false;
	for (size_t j = 0; j < ldns_rr_rd_count(rr); j++)
		if (ldns_rr_rdf(rr, j) == NULL)
			return false;
	return true;
}

/*
 * The client's answer as a message: question, chain + answer, SOA; with
 * DO the RRSIGs and denial proofs too (RFC 4035 §3.2.1), a wildcard
 * expansion's proof of no closer name included (RFC 4035 §3.1.3.3). Written straight
 * to wire (render.c, the bytes ldns_pkt2buffer_wire gives: test_render).
 */
static bool
build_answer(struct engine_request *req, const struct task *task)
{
	const ldns_rr_list *lists[5] = { task->chain, task->answer, NULL,
	    task->soa, NULL };
	static const ldns_pkt_section sections[5] = { LDNS_SECTION_ANSWER,
	    LDNS_SECTION_ANSWER, LDNS_SECTION_ANSWER, LDNS_SECTION_AUTHORITY,
	    LDNS_SECTION_AUTHORITY };
	struct render r;
	size_t cap = 12 + ldns_rdf_size(req->question.name) + 4;
	uint16_t flags = 0x8000 | 0x0080 | ((uint16_t)task->rcode & 0x0f);

	/* A wildcard expansion's proof rides with its answer (iterator.c). */
	if (req->question.dnssec_ok && task->rcode != LDNS_RCODE_SERVFAIL) {
		lists[2] = task->sigs;
		lists[4] = task->proof;
	}
	/*
	 * AD for validated data; the client's reply keeps it only when the
	 * client asked with DO or AD (fastpath_reply, RFC 6840 §5.7-5.8).
	 */
	if (req->validate && task->sec == SEC_SECURE &&
	    task->rcode != LDNS_RCODE_SERVFAIL)
		flags |= 0x0020;
	for (size_t l = 0; l < 5; l++)
		for (size_t i = 0; lists[l] != NULL &&
		    i < ldns_rr_list_rr_count(lists[l]); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(lists[l], i);

			if (!rr_complete(rr))
				return false;
			cap += render_rr_size(rr);
		}
	if (!render_begin(&r, cap, 0, flags)) {
		(void)render_finish(&r, &req->answer_len);
		return false;
	}
	render_question(&r, req->question.name, req->question.type,
	    req->question.klass);
	for (size_t l = 0; l < 5; l++)
		for (size_t i = 0; lists[l] != NULL &&
		    i < ldns_rr_list_rr_count(lists[l]); i++)
			render_rr(&r, ldns_rr_list_rr(lists[l], i), sections[l]);
	req->answer = render_finish(&r, &req->answer_len);
	return req->answer != NULL;
}

/* RFC 8767: a stale answer beats a SERVFAIL when the config allows it. */
static bool
answer_from_stale(struct engine_request *req, const uint8_t *key,
    size_t keylen, time_t now)
{
	uint8_t buf[65535];
	size_t len;

	if (!req->engine->config.serve_stale ||
	    answer_cache_copy(req->engine->answers, key, keylen, now, true, buf,
	    sizeof(buf), &len, NULL, NULL) != ANSWER_STALE)
		return false;
	if ((req->answer = malloc(len)) == NULL)
		return false;
	memcpy(req->answer, buf, len);
	req->answer_len = len;
	req->result.rcode = buf[3] & 0x0f;
	req->result.stale = true;
	req->result.ede = ENGINE_EDE_STALE_ANSWER;
	req->result.ede_text = "served stale: no authority reachable";
	return true;
}

static void
count_security(struct engine *engine, enum sec_status status)
{
	switch (status) {
	case SEC_SECURE:	STAT_ADD(engine, dnssec_secure, 1); break;
	case SEC_INSECURE:	STAT_ADD(engine, dnssec_insecure, 1); break;
	case SEC_BOGUS:		STAT_ADD(engine, dnssec_bogus, 1); break;
	case SEC_INDETERMINATE:	STAT_ADD(engine, dnssec_indeterminate, 1); break;
	default:		break;
	}
}

static void
count_result(struct engine_request *req)
{
	struct engine *engine = req->engine;

	/* A refresh's client was counted when it got the stale answer. */
	if (req->done && req->answered_early)
		return;
	if (req->result.from_cache)
		STAT_ADD(engine, cache_hits, 1);
	else
		STAT_ADD(engine, cache_misses, 1);
	if (req->result.rcode == LDNS_RCODE_SERVFAIL)
		STAT_ADD(engine, servfails, 1);
	STAT_ADD(engine, rcode[req->result.rcode & 0x0f], 1);
}

void
engine_finish_request(struct engine_request *req, struct engine_now now)
{
	struct task *task = req->tasks[0];
	uint8_t key[ANSWER_KEY_MAX];
	size_t keylen = request_answer_key(req, key);

	/* A refresh (request_serve_stale_early) replaces the stale answer. */
	free(req->answer);
	req->answer = NULL;
	req->answer_len = 0;
	req->result.stale = false;
	req->done = true;
	req->result.rcode = task->rcode;
	req->result.ede = task->ede;
	req->result.ede_text = task->why;
	req->result.upstream_queries = req->upstream_queries;
	req->result.from_cache = req->upstream_queries == 0;
	req->result.security = req->validate ? task->sec : SEC_UNCHECKED;
	/* A failure for other reasons than DNSSEC vouches for nothing. */
	if (task->rcode == LDNS_RCODE_SERVFAIL && task->sec != SEC_BOGUS)
		req->result.security = SEC_UNCHECKED;
	req->result.sec_why = task->sec_why;
	if (req->validate) {
		validator_emit(req, task, "answer", req->question.name,
		    req->question.type, NULL, req->result.security, task->sec_ede,
		    task->sec_why, now);
		count_security(req->engine, req->result.security);
	}
	if (task->rcode == LDNS_RCODE_SERVFAIL &&
	    answer_from_stale(req, key, keylen, now.wall)) {
		count_result(req);
		return;
	}
	if (!build_answer(req, task)) {
		req->result.rcode = LDNS_RCODE_SERVFAIL;
		req->result.ede = ENGINE_EDE_OTHER;
		req->result.ede_text = "out of memory";
		count_result(req);
		return;
	}
	if (keylen != 0 && !req->engine->config.fresh_cache &&
	    !(task->rcode == LDNS_RCODE_SERVFAIL &&
	    req->engine->config.serve_stale)) {
		answer_cache_store(req->engine->answers, key, keylen,
		    req->answer, req->answer_len, answer_ttl(req->engine, task,
		    req->question.dnssec_ok),
		    req->result.security, now.wall);
		if (req->answered_early)
			STAT_ADD(req->engine, stale_refreshes_fresh, 1);
	}
	count_result(req);
}

/* A fresh answer-cache entry answers the request before any iteration. */
static bool
request_answer_from_cache(struct engine_request *req, struct engine_now now)
{
	uint8_t key[ANSWER_KEY_MAX], buf[65535];
	size_t keylen = request_answer_key(req, key), len;
	struct engine_event ev = { 0 };
	enum sec_status status = SEC_UNCHECKED;

	if ((req->flags & (ENGINE_REQUEST_NO_CACHE | ENGINE_REQUEST_PREFETCH)) ||
	    req->engine->config.fresh_cache || keylen == 0 ||
	    answer_cache_copy(req->engine->answers, key, keylen, now.wall, false,
	    buf, sizeof(buf), &len, NULL, &status) != ANSWER_FRESH ||
	    (req->answer = malloc(len)) == NULL)
		return false;
	memcpy(req->answer, buf, len);
	req->answer_len = len;
	req->done = true;
	req->result.rcode = buf[3] & 0x0f;
	req->result.ede = ENGINE_EDE_NONE;
	req->result.from_cache = true;
	req->result.security = req->validate ? status : SEC_UNCHECKED;
	ev.u.cache.what = "answer";
	ev.u.cache.owner = req->question.name;
	ev.kind = EV_CACHE_HIT;
	engine_emit(req, &ev, req->tasks[0], now);
	ev.kind = EV_REQUEST_DONE;
	ev.u.done.rcode = req->result.rcode;
	engine_emit(req, &ev, req->tasks[0], now);
	count_result(req);
	return true;
}

/* Sends q: it is waited for from now. */
static void
fill_send(struct engine_action *action, struct inflight_query *q,
    struct engine_now now)
{
	q->state = INFLIGHT_SENT;
	q->sent_ms = now.ms;
	action->kind = ENGINE_SEND;
	action->send.id = q->send_id;
	memcpy(&action->send.addr, &q->addr, q->addrlen);
	action->send.addrlen = q->addrlen;
	action->send.transport = q->transport;
	action->send.wire = q->wire;
	action->send.wire_len = q->wire_len;
	action->send.timeout_ms = q->timeout_ms;
}

/*
 * One walk for engine_next_action: a query to send (the task's first, so
 * that it goes out before the keys-ahead query planned beside it), or
 * NULL; *task is the task's entry.
 */
static struct inflight_query *
inflight_planned(struct engine_request *req, struct inflight_query **task)
{
	struct inflight_query *found = NULL;

	*task = NULL;
	for (unsigned i = 0; i < req->inflight_used; i++) {
		struct inflight_query *q = &req->inflight[i];

		if (q->role == INFLIGHT_TASK)
			*task = q;
		if (q->role == INFLIGHT_FREE || q->state != INFLIGHT_PLANNED ||
		    (found != NULL && q->role != INFLIGHT_TASK))
			continue;
		found = q;
	}
	return found;
}

/*
 * The reply to q (the task's query or its hedge) is taken: q is the
 * task's query now, and its twin is no longer waited for. A twin still
 * out is abandoned, replacing the one abandoned before: only its RTT or
 * timeout is still told to the server table. No hedge is due any more.
 */
static void
inflight_taken(struct engine_request *req, struct inflight_query *q)
{
	req->hedge_at_ms = 0;
	q->state = INFLIGHT_IDLE;
	for (unsigned i = 0; i < req->inflight_used; i++) {
		struct inflight_query *o = &req->inflight[i];

		if (o == q || (o->role != INFLIGHT_TASK &&
		    o->role != INFLIGHT_HEDGE))
			continue;
		if (o->state == INFLIGHT_SENT) {
			struct inflight_query *old = engine_inflight_find(req,
			    INFLIGHT_ABANDONED);

			if (old != NULL)
				engine_inflight_free(old);
			o->role = INFLIGHT_ABANDONED;
		} else
			engine_inflight_free(o);
	}
	q->role = INFLIGHT_TASK;
}

/*
 * Whether the request has a stale client timer (RFC 8767 §5): serve-stale
 * on, a client waiting (not a prefetch or a trace), the timer before the
 * request's own limit, and no look at the cache yet that found nothing.
 */
static bool
stale_timer_armed(const struct engine_request *req)
{
	const struct engine_config *c = &req->engine->config;

	return c->serve_stale && c->stale_client_timeout_ms != 0 &&
	    c->stale_client_timeout_ms < c->request_timeout_ms &&
	    !req->no_stale && !req->direct && !c->fresh_cache &&
	    !(req->flags & (ENGINE_REQUEST_NO_CACHE | ENGINE_REQUEST_PREFETCH));
}

void
engine_report_orphan(struct engine *engine, const struct sockaddr *addr,
    bool answered, uint32_t rtt_ms, struct engine_now now)
{
	if (answered)
		server_report_rtt(engine->servers, addr, rtt_ms);
	else {
		server_report_failure(engine->servers, addr, true, now.ms);
		STAT_ADD(engine, upstream_timeouts, 1);
	}
}

uint64_t
engine_request_deadline(const struct engine_request *req)
{
	return req->start_ms + (stale_timer_armed(req) ?
	    req->engine->config.stale_client_timeout_ms :
	    req->engine->config.request_timeout_ms);
}

/*
 * The stale client timer went off: the client gets the stale answer now
 * (EDE 3, ENGINE_ANSWER), and the request goes on in the background with
 * the queries still out, to its own deadline, so that a late answer
 * refreshes the cache for the next client (RFC 8767 §5). Given up there,
 * a zone whose servers answer slower than the timer was never refreshed:
 * every client got stale data until the stale limit ran out, then
 * SERVFAIL. False when there is no stale answer: the request goes on to
 * its full deadline with the client still waiting.
 */
static bool
request_serve_stale_early(struct engine_request *req, struct engine_now now)
{
	uint8_t key[ANSWER_KEY_MAX];
	size_t keylen = request_answer_key(req, key);

	req->no_stale = true;
	if (keylen == 0 || !answer_from_stale(req, key, keylen, now.wall))
		return false;
	req->answered_early = true;
	req->result.upstream_queries = req->upstream_queries;
	req->result.ede_text = "served stale: no fresh answer in time";
	count_result(req);
	STAT_ADD(req->engine, stale_refreshes, 1);
	return true;
}

static int feed_reply_to(struct engine_request *, struct inflight_query *,
    const struct sockaddr *, const uint8_t *, size_t, uint32_t,
    struct engine_now);

enum engine_action_kind
engine_next_action(struct engine_request *req, struct engine_now now,
    struct engine_action *action)
{
	uint64_t deadline = engine_request_deadline(req);

	memset(action, 0, sizeof(*action));
	/* Direct queries (trace probes) have their one timeout instead. */
	if (!req->done && !req->direct && now.ms >= deadline &&
	    stale_timer_armed(req)) {
		bool early = request_serve_stale_early(req, now);

		deadline = engine_request_deadline(req);
		if (early) {
			action->kind = ENGINE_ANSWER;
			return ENGINE_ANSWER;
		}
	}
	if (!req->done && !req->direct && now.ms >= deadline)
		iterator_expire(req, now);
	while (!req->done) {
		struct inflight_query *q, *send = inflight_planned(req, &q);

		if (send != NULL) {
			fill_send(action, send, now);
			return ENGINE_SEND;
		}
		if (req->judge_due) {
			/* Sent: its cut's DS proof is judged while it is out. */
			iterator_judge_due(req, now);
			continue;
		}
		if (q != NULL && q->state == INFLIGHT_HELD) {
			/* A keys-ahead reply taken over: no query to send. */
			struct held_reply *held = q->held;

			q->held = NULL;
			if (feed_reply_to(req, q, &q->addr.sa, held->wire,
			    held->len, held->rtt_ms, now) != 0)
				q->state = INFLIGHT_IDLE;	/* ask anew */
			free(held);
			return engine_next_action(req, now, action);
		}
		if (q != NULL && q->state == INFLIGHT_SENT &&
		    req->hedge_at_ms != 0 && now.ms >= req->hedge_at_ms) {
			/* Planned: sent above; the task failed: stepped. */
			iterator_hedge(req, now);
			continue;
		}
		if (q != NULL && q->state == INFLIGHT_SENT) {
			action->kind = ENGINE_WAIT;
			action->wait_ms = now.ms < deadline ?
			    (uint32_t)(deadline - now.ms) : 1;
			if (req->hedge_at_ms > now.ms)
				action->wake_ms =
				    (uint32_t)(req->hedge_at_ms - now.ms);
			return ENGINE_WAIT;
		}
		if (req->direct)
			break;		/* its one query answered or failed */
		if (req->upstream_queries == 0 && req->task_count == 1 &&
		    req->tasks[0]->cut.zone == NULL &&
		    request_answer_from_cache(req, now))
			break;
		if (!iterator_step(req, now))
			break;
	}
	action->kind = ENGINE_DONE;
	return ENGINE_DONE;
}

/* engine_same_address for b of any size (an in-flight query's address). */
static bool
same_address(const struct sockaddr *a, socklen_t alen,
    const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
		    *y = (const void *)b;

		return alen >= sizeof(*x) && x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
		    *y = (const void *)b;

		return alen >= sizeof(*x) && x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

bool
engine_same_address(const struct sockaddr *a, socklen_t alen,
    const struct sockaddr_storage *b)
{
	return same_address(a, alen, (const struct sockaddr *)b);
}

bool
engine_addr_equal(const union engine_addr *a, const union engine_addr *b)
{
	return same_address(&a->sa, sizeof(*a), &b->sa);
}

static void
emit_ignored(struct engine_request *req, uint32_t id,
    const struct sockaddr *from, const char *why, struct engine_now now)
{
	struct engine_event ev = { 0 };

	ev.u.query.send_id = id;
	ev.u.query.addr = from;
	ev.u.query.error = why;
	ev.kind = EV_REPLY_IGNORED;
	engine_emit(req, &ev, req->direct ? NULL :
	    req->tasks[req->task_count - 1], now);
}

/*
 * RFC 5452 §9.1: a reply must come from the address and port asked, carry
 * the query's ID and echo its question. With 0x20 the echo must match
 * byte for byte; a caseless match means the server does not echo case.
 */
static const char *
reply_mismatch(const struct inflight_query *q, const ldns_pkt *pkt,
    bool *case_only)
{
	const ldns_rr *question;

	*case_only = false;
	if (ldns_pkt_id(pkt) != q->dns_id)
		return "wrong ID";
	if (!ldns_pkt_qr(pkt))
		return "not a reply";
	if (ldns_pkt_qdcount(pkt) != 1 ||
	    (question = ldns_rr_list_rr(ldns_pkt_question(pkt), 0)) == NULL)
		return ldns_pkt_tc(pkt) ? NULL : "no question";
	if (ldns_rr_get_type(question) != q->sent_qtype)
		return "wrong question type";
	if (!dname_equal(ldns_rr_owner(question), q->sent_qname))
		return "wrong question name";
	if (q->case_randomised &&
	    !dname_equal_exact(ldns_rr_owner(question), q->sent_qname)) {
		*case_only = true;
		return "question case not echoed (0x20)";
	}
	return NULL;
}

/*
 * engine_feed_reply for q, the task's query or its hedge (the reply came
 * from its address): once the reply is taken, q is the task's query.
 */
static int
feed_reply_to(struct engine_request *req, struct inflight_query *q,
    const struct sockaddr *from, const uint8_t *wire, size_t len,
    uint32_t rtt_ms, struct engine_now now)
{
	ldns_pkt *pkt = NULL;
	const char *why;
	bool case_only;

	if (!reply_parse(wire, len, &pkt)) {
		/* Garbage from the right address: the server is broken. */
		if (len < 2 || (wire[0] << 8 | wire[1]) != q->dns_id) {
			emit_ignored(req, q->send_id, from, "does not parse",
			    now);
			return -1;
		}
		inflight_taken(req, q);
		if (req->direct) {
			req->done = true;
			return 0;
		}
		iterator_reply(req, NULL, len, rtt_ms, now);
		return 0;
	}
	why = reply_mismatch(q, pkt, &case_only);
	if (why != NULL && !case_only) {
		emit_ignored(req, q->send_id, from, why, now);
		ldns_pkt_free(pkt);
		return -1;
	}
	inflight_taken(req, q);
	if (case_only) {
		/*
		 * Not trusted, and one such reply proves nothing: a spoofer
		 * sends it to turn 0x20 off. Ask again with fresh random case;
		 * only a server that fails to echo it LIMIT_0X20_MISMATCHES
		 * times in a row is asked without 0x20 from then on.
		 */
		struct task *task = req->direct ? NULL :
		    req->tasks[req->task_count - 1];
		struct engine_event ev = { 0 };
		bool caseless = server_report_case(req->engine->servers, from,
		    false, now.ms);

		ldns_pkt_free(pkt);
		if (task == NULL) {
			req->done = true;
			return 0;
		}
		ev.u.fallback.what = caseless ? "no-0x20" : "0x20-again";
		ev.u.fallback.addr = from;
		ev.kind = EV_FALLBACK;
		engine_emit(req, &ev, task, now);
		task->forced_server = q->server;
		task->forced_address = q->address;
		return 0;
	}
	if (q->case_randomised && !req->direct)
		(void)server_report_case(req->engine->servers, from, true, now.ms);
	if (req->direct) {
		req->direct_reply = pkt;
		if (ldns_pkt_tc(pkt) && q->transport == ENGINE_UDP) {
			/* Direct probes also retry truncated replies over TCP. */
			struct engine_event ev = { 0 };

			ev.u.query.reply = pkt;
			ev.u.query.reply_size = len;
			ev.u.query.rtt_ms = rtt_ms;
			ev.u.query.addr = from;
			ev.u.query.transport = q->transport;
			ev.u.query.reply_class = REPLY_TRUNCATED;
			ev.u.query.addr_source = ADDR_SOURCE_DIRECT;
			ev.kind = EV_REPLY;
			engine_emit(req, &ev, NULL, now);
			ldns_pkt_free(pkt);
			req->direct_reply = NULL;
			q->transport = ENGINE_TCP;
			q->send_id = ++req->next_send_id;
			q->state = INFLIGHT_PLANNED;
			return 0;
		}
		{
			struct engine_event ev = { 0 };
			struct reply_view v;
			ldns_rdf *zone = ldns_rdf_clone(req->question.name);
			struct reply_context ctx = {
				.zone = zone, .qname = q->sent_qname,
				.qtype = q->sent_qtype,
				.klass = req->question.klass,
			};

			reply_scrub(pkt, &ctx, &v);
			reply_classify(pkt, &ctx, &v);
			ev.u.query.send_id = q->send_id;
			ev.u.query.reply = pkt;
			ev.u.query.reply_size = len;
			ev.u.query.rtt_ms = rtt_ms;
			ev.u.query.addr = from;
			ev.u.query.addr_source = ADDR_SOURCE_DIRECT;
			ev.u.query.transport = q->transport;
			ev.u.query.sent_qname = q->sent_qname;
			ev.u.query.sent_qtype = q->sent_qtype;
			ev.u.query.edns = q->edns;
			ev.u.query.reply_class = v.klass;
			ev.kind = EV_REPLY;
			engine_emit(req, &ev, NULL, now);
			reply_view_clear(&v);
			ldns_rdf_deep_free(zone);
		}
		req->done = true;
		req->result.rcode = ldns_pkt_get_rcode(pkt);
		return 0;
	}
	iterator_reply(req, pkt, len, rtt_ms, now);
	/*
	 * The reply that finished the request is freed with the request,
	 * once the client has its answer (~5k instructions off the path
	 * from this reply to it); any other now, so that a request holds
	 * one reply at most.
	 */
	if (req->task_count > 0 && req->tasks[0]->finished &&
	    req->spent_reply == NULL)
		req->spent_reply = pkt;
	else
		ldns_pkt_free(pkt);
	return 0;
}

/*
 * A driver that feeds a reply before it asks engine_next_action again (the
 * unit tests' scripted server does): the proof due after the send is judged
 * first all the same, so that no reply to the cut is judged before it.
 */
static void
judge_before_feed(struct engine_request *req, struct engine_now now)
{
	if (req->judge_due && !req->done)
		iterator_judge_due(req, now);
}

/*
 * A keys-ahead (or early) query's reply, kept for the DNSKEY sub-task (or
 * the task whose query it is) to take over.
 * It must carry the query's ID: a datagram from the server's address
 * with another is not the reply, and keeping it would lose the real one.
 */
static int
hold_reply(struct engine_request *req, struct inflight_query *q,
    const struct sockaddr *from, const uint8_t *wire, size_t len,
    uint32_t rtt_ms, struct engine_now now)
{
	if (len < 2 || (wire[0] << 8 | wire[1]) != q->dns_id) {
		emit_ignored(req, q->send_id, from, "wrong ID", now);
		return -1;
	}
	if ((q->held = malloc(sizeof(*q->held) + len)) == NULL) {
		engine_inflight_free(q);	/* the sub-task asks anew */
		return 0;
	}
	memcpy(q->held->wire, wire, len);
	q->held->len = len;
	q->held->rtt_ms = rtt_ms;
	q->state = INFLIGHT_HELD;
	return 0;
}

int
engine_feed_reply(struct engine_request *req, uint32_t id,
    const struct sockaddr *from, socklen_t fromlen, const uint8_t *wire,
    size_t len, uint32_t rtt_ms, struct engine_now now)
{
	struct inflight_query *q;

	judge_before_feed(req, now);
	if ((q = req->done ? NULL : inflight_sent(req, id)) == NULL) {
		emit_ignored(req, id, from, "no query waiting for it", now);
		return -1;
	}
	if (!same_address(from, fromlen, &q->addr.sa)) {
		emit_ignored(req, id, from, "from another address or port",
		    now);
		return -1;
	}
	switch (q->role) {
	case INFLIGHT_ABANDONED:
		/* Not waited for, but its RTT still teaches the server table. */
		server_report_rtt(req->engine->servers, &q->addr.sa,
		    (uint32_t)(now.ms - q->sent_ms));
		engine_inflight_free(q);
		return 0;
	case INFLIGHT_AHEAD:
	case INFLIGHT_EARLY:
		return hold_reply(req, q, from, wire, len, rtt_ms, now);
	default:
		return feed_reply_to(req, q, from, wire, len, rtt_ms, now);
	}
}

static void
feed_failure(struct engine_request *req, uint32_t id, const char *reason,
    struct engine_now now)
{
	struct inflight_query *q, *hedge;

	judge_before_feed(req, now);
	if ((q = req->done ? NULL : inflight_sent(req, id)) == NULL)
		return;
	switch (q->role) {
	case INFLIGHT_AHEAD:
	case INFLIGHT_EARLY:
		/* A keys-ahead (early) query failed: the (sub-)task asks anew. */
		if (reason == NULL)
			server_report_failure(req->engine->servers,
			    &q->addr.sa, true, now.ms);
		engine_inflight_free(q);
		return;
	case INFLIGHT_ABANDONED:
		server_report_failure(req->engine->servers, &q->addr.sa, true,
		    now.ms);
		engine_inflight_free(q);
		return;
	case INFLIGHT_HEDGE:
		/* The hedge failed; the task's query goes on. */
		q->state = INFLIGHT_IDLE;
		iterator_timeout(req, q, reason, now);
		engine_inflight_free(q);
		return;
	default:
		break;
	}
	q->state = INFLIGHT_IDLE;
	if (req->direct) {
		struct engine_event ev = { 0 };

		ev.u.query.send_id = id;
		ev.u.query.addr = &q->addr.sa;
		ev.u.query.transport = q->transport;
		ev.u.query.error = reason;
		ev.u.query.addr_source = ADDR_SOURCE_DIRECT;
		ev.kind = reason != NULL ? EV_NET_ERROR : EV_TIMEOUT;
		engine_emit(req, &ev, NULL, now);
		req->done = true;
		req->result.rcode = LDNS_RCODE_SERVFAIL;
		return;
	}
	iterator_timeout(req, q, reason, now);
	/* The hedge, if one is out, is the task's query now. */
	req->hedge_at_ms = 0;
	if ((hedge = engine_inflight_find(req, INFLIGHT_HEDGE)) != NULL) {
		engine_inflight_free(q);
		hedge->role = INFLIGHT_TASK;
	}
}

void
engine_feed_timeout(struct engine_request *req, uint32_t id,
    struct engine_now now)
{
	feed_failure(req, id, NULL, now);
}

void
engine_feed_error(struct engine_request *req, uint32_t id, const char *reason,
    struct engine_now now)
{
	feed_failure(req, id, reason != NULL ? reason : "network error", now);
}

struct engine_request *
engine_request_new_direct(struct engine *engine,
    const struct engine_question *question, const struct sockaddr *addr,
    socklen_t addrlen, bool over_tcp, struct engine_now now,
    const struct engine_observer *observer, void *observer_ctx)
{
	struct engine_request *req = request_alloc(engine, question, now,
	    observer, observer_ctx);
	struct inflight_query *q;

	if (req == NULL)
		return NULL;
	req->direct = true;
	q = engine_inflight_new(req, INFLIGHT_TASK);
	if (!engine_set_addr(q, addr, addrlen) ||
	    !engine_build_query(req, q, question->name, question->type,
	    question->klass, true, false)) {
		engine_request_free(req);
		return NULL;
	}
	q->transport = over_tcp ? ENGINE_TCP : ENGINE_UDP;
	q->timeout_ms = engine->config.query_timeout_ms;
	q->attempt = 1;
	q->state = INFLIGHT_PLANNED;
	return req;
}

void
engine_request_result(const struct engine_request *req,
    struct engine_result *result)
{
	*result = req->result;
	result->signature_checks = req->budget.validations_done;
	if (!req->done && !req->answered_early) {
		result->rcode = LDNS_RCODE_SERVFAIL;
		result->ede = ENGINE_EDE_OTHER;
		result->ede_text = "not finished";
	}
	if (result->ede_text == NULL && result->rcode == LDNS_RCODE_SERVFAIL)
		result->ede_text = "resolution failed";
}

const uint8_t *
engine_request_answer(const struct engine_request *req, size_t *len)
{
	if ((!req->done && !req->answered_early) || req->answer == NULL)
		return NULL;
	*len = req->answer_len;
	return req->answer;
}

const ldns_pkt *
engine_request_reply(const struct engine_request *req)
{
	return req->direct_reply;
}

static size_t
engine_cache_flush(struct engine *engine, const ldns_rdf *name, bool subtree)
{
	uint8_t key[DNAME_WIRE_MAX];
	size_t len = dname_key(name, key);

	return rrset_cache_flush(engine->rrsets, name, subtree) +
	    nsec_cache_flush(engine->nsecs, name) +
	    answer_cache_flush(engine->answers, key, len, subtree) +
	    key_cache_flush(validator_key_cache(engine->validator), name,
	    subtree);
}

size_t
engine_cache_flush_name(struct engine *engine, const ldns_rdf *name)
{
	return engine_cache_flush(engine, name, false);
}

size_t
engine_cache_flush_zone(struct engine *engine, const ldns_rdf *zone)
{
	return engine_cache_flush(engine, zone, true);
}

void
engine_cache_flush_all(struct engine *engine)
{
	ldns_rdf *root = ldns_dname_new_frm_str(".");

	if (root != NULL) {
		rrset_cache_flush(engine->rrsets, root, true);
		key_cache_flush(validator_key_cache(engine->validator), root,
		    true);
	}
	ldns_rdf_deep_free(root);
	nsec_cache_flush_all(engine->nsecs);
	answer_cache_flush_all(engine->answers);
}

void
engine_cache_dump(struct engine *engine, FILE *out, time_t now)
{
	rrset_cache_dump(engine->rrsets, out, now);
	nsec_cache_dump(engine->nsecs, out, now);
	answer_cache_dump(engine->answers, out, now);
	key_cache_dump(validator_key_cache(engine->validator), out, now);
}

void
engine_stats_get(struct engine *engine, struct engine_stats *stats)
{
	uint64_t *dst = (uint64_t *)stats;
	const uint64_t *src = (const uint64_t *)&engine->stats;

	/* Every counter up to rcode[] is a uint64_t: load each atomically. */
	memset(stats, 0, sizeof(*stats));
	for (size_t i = 0; i < offsetof(struct engine_stats, cache_bytes) /
	    sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	stats->cache_key_bytes = key_cache_bytes(
	    validator_key_cache(engine->validator));
	stats->cache_key_entries = key_cache_count(
	    validator_key_cache(engine->validator));
	stats->cache_bytes = rrset_cache_bytes(engine->rrsets) +
	    answer_cache_bytes(engine->answers) +
	    nsec_cache_bytes(engine->nsecs) + stats->cache_key_bytes;
	stats->cache_answer_entries = answer_cache_count(engine->answers);
	stats->cache_entries = rrset_cache_count(engine->rrsets) +
	    answer_cache_count(engine->answers) +
	    nsec_cache_count(engine->nsecs) + stats->cache_key_entries;
}

ldns_rdf *
engine_autotrust_zone(struct engine *engine)
{
	return validator_autotrust_zone(engine->validator);
}

uint32_t
engine_autotrust_next_probe(struct engine *engine)
{
	return validator_autotrust_next_probe(engine->validator);
}

int
engine_autotrust_probe_done(struct engine *engine, bool answered,
    uint32_t now, char *err, size_t errlen)
{
	return validator_autotrust_probe_done(engine->validator, answered, now,
	    err, errlen);
}
