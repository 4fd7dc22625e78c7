/*
 * iterator.c: the referral state machine (RFC 1034 §5.3.3). A request is a
 * stack of tasks: the client's question at the bottom, sub-tasks for
 * glueless name-server addresses and root priming above it. Each step
 * either answers the top task from the cache, finds its closest zone cut,
 * picks a server and a query to send, or starts a sub-task; replies move
 * the task down the delegation tree, along aliases, or to its end.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "dnssec/aggressive.h"
#include "reply.h"
#include "request.h"

/* RFC 9156 §2.3: minimise at most this many times, then send the full name. */
#define QMIN_MAX_STEPS	10

static void
task_event(struct engine_request *req, const struct task *task,
    enum engine_event_kind kind, struct engine_event *ev,
    struct engine_now now)
{
	ev->kind = kind;
	engine_emit(req, ev, task, now);
}

static void
limit_hit(struct engine_request *req, const struct task *task,
    const char *limit, unsigned value, struct engine_now now)
{
	struct engine_event ev = { 0 };

	ev.u.limit.limit = limit;
	ev.u.limit.value = value;
	STAT_ADD(req->engine, limits_hit, 1);
	task_event(req, task, EV_LIMIT_HIT, &ev, now);
}

void
parked_free(struct parked_reply *p)
{
	if (p == NULL)
		return;
	reply_view_clear(&p->v);
	ldns_rdf_deep_free(p->sent_qname);
	free(p);
}

static void
zonecut_clear(struct zonecut *cut)
{
	parked_free(cut->deferred);
	ldns_rdf_deep_free(cut->zone);
	for (unsigned i = 0; i < cut->server_count; i++)
		ldns_rdf_deep_free(cut->servers[i].name);
	memset(cut, 0, ZONECUT_HEAD);
}

struct task *
task_new(struct engine_request *req, const ldns_rdf *qname,
    ldns_rr_type qtype, ldns_rr_class klass, enum subrequest_reason reason,
    struct engine_now now)
{
	struct task *task = malloc(sizeof(*task));
	struct engine_event ev = { 0 };

	if (task == NULL)
		return NULL;
	/* Zeroed but for the cut's servers (zonecut_clear). */
	memset(task, 0, offsetof(struct task, cut) + ZONECUT_HEAD);
	memset((char *)&task->cut + sizeof(task->cut), 0,
	    sizeof(*task) - offsetof(struct task, cut) - sizeof(task->cut));
	if ((task->qname = ldns_rdf_clone(qname)) == NULL) {
		free(task);
		return NULL;
	}
	dname_canonical(task->qname);
	task->id = req->next_task_id++;
	if (req->task_count > 0) {
		task->parent_id = req->tasks[req->task_count - 1]->id;
		task->depth = req->task_count;
	}
	task->qtype = qtype;
	task->klass = klass;
	task->reason = reason;
	task->forced_server = task->forced_address = -1;
	task->waiting_server = -1;
	task->ede = ENGINE_EDE_NONE;
	task->sec = req->validate ? SEC_SECURE : SEC_UNCHECKED;
	task->sec_ede = -1;
	ev.u.start.reason = reason;
	task_event(req, task, EV_REQUEST_START, &ev, now);
	return task;
}

void
task_free(struct task *task)
{
	if (task == NULL)
		return;
	zonecut_clear(&task->cut);
	ldns_rdf_deep_free(task->qname);
	ldns_rr_list_deep_free(task->chain);
	ldns_rr_list_deep_free(task->answer);
	ldns_rr_list_deep_free(task->soa);
	ldns_rr_list_deep_free(task->sigs);
	ldns_rr_list_deep_free(task->proof);
	parked_free(task->parked);
	ldns_rdf_deep_free(task->need.name);
	free(task);
}

static void
task_finish(struct engine_request *req, struct task *task,
    ldns_pkt_rcode rcode, enum engine_ede ede, const char *why,
    struct engine_now now)
{
	struct engine_event ev = { 0 };

	task->finished = true;
	task->rcode = rcode;
	task->ede = ede;
	task->why = why;
	ev.u.done.rcode = rcode;
	ev.u.done.answer = task->answer;
	ev.u.done.ede = ede;
	ev.u.done.why = why;
	task_event(req, task, EV_REQUEST_DONE, &ev, now);
}

/*
 * A failed task answers a plain SERVFAIL: the aliases followed so far (a
 * loop's records over and over) are no answer, the EDE says why.
 */
static void
task_fail(struct engine_request *req, struct task *task, enum engine_ede ede,
    const char *why, struct engine_now now)
{
	ldns_rr_list_deep_free(task->chain);
	ldns_rr_list_deep_free(task->answer);
	ldns_rr_list_deep_free(task->soa);
	task->chain = task->answer = task->soa = NULL;
	task_finish(req, task, LDNS_RCODE_SERVFAIL, ede, why, now);
}

/* Appends copies of `rrs` to *list; false when memory runs out. */
static bool
list_append(ldns_rr_list **list, const ldns_rr_list *rrs)
{
	if (rrs == NULL)
		return true;
	if (*list == NULL && (*list = ldns_rr_list_new()) == NULL)
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		ldns_rr *copy = reply_rr_clone(ldns_rr_list_rr(rrs, i));

		if (copy == NULL || !ldns_rr_list_push_rr(*list, copy)) {
			ldns_rr_free(copy);
			return false;
		}
	}
	return true;
}

/* The root name (ldns_dname_new_frm_str asserts when memory runs out). */
static ldns_rdf *
root_name(void)
{
	static const uint8_t root = 0;

	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, 1, &root);
}

/* Out of memory: the task ends in SERVFAIL, the engine goes on. */
static void
task_oom(struct engine_request *req, struct task *task, struct engine_now now)
{
	task_fail(req, task, ENGINE_EDE_OTHER, "out of memory", now);
}

/* ---- addresses of the servers of a cut ---- */

static enum addr_source
source_of_rank(enum rrset_rank rank)
{
	switch (rank) {
	case RANK_GLUE:		return ADDR_SOURCE_GLUE;
	case RANK_HINTS:	return ADDR_SOURCE_HINTS;
	default:		return ADDR_SOURCE_CACHE;
	}
}

/* Adds the address in an A or AAAA record to `server`, if usable. */
/* Adds the address (4 bytes: IPv4, 16: IPv6) unless known or unusable. */
static void
server_add_address(struct engine_request *req, const struct task *task,
    struct cut_server *server, const uint8_t *addr, size_t addr_len,
    enum addr_source source, struct engine_now now)
{
	struct cut_address *a;
	const char *why = NULL;
	union engine_addr ss = { 0 };
	socklen_t len;

	if (addr_len == 4) {
		struct sockaddr_in *in = &ss.sin;

		in->sin_family = AF_INET;
		in->sin_port = htons(53);
		memcpy(&in->sin_addr, addr, 4);
		len = sizeof(*in);
	} else if (addr_len == 16) {
		struct sockaddr_in6 *in6 = &ss.sin6;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(53);
		memcpy(&in6->sin6_addr, addr, 16);
		len = sizeof(*in6);
	} else
		return;
	for (unsigned i = 0; i < server->addr_count; i++)
		if (memcmp(&server->addrs[i].addr, &ss, len) == 0)
			return;
	if (!engine_address_usable(req->engine, &ss.sa, &why)) {
		struct engine_event ev = { 0 };

		ev.u.skipped.server_name = server->name;
		ev.u.skipped.addr = &ss.sa;
		ev.u.skipped.why = why;
		task_event(req, task, EV_SERVER_SKIPPED, &ev, now);
		return;
	}
	if (server->addr_count == SERVER_ADDRS_MAX)
		return;
	a = &server->addrs[server->addr_count++];
	memset(a, 0, sizeof(*a));
	a->addr = ss;
	a->addrlen = len;
	a->source = source;
	server->state = SERVER_ADDRESS_KNOWN;
}

/* An A or AAAA record's address, as server_add_address takes it. */
static void
server_add_address_rr(struct engine_request *req, const struct task *task,
    struct cut_server *server, const ldns_rr *rr, enum addr_source source,
    struct engine_now now)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);

	if (rdf == NULL)
		return;
	if ((ldns_rr_get_type(rr) == LDNS_RR_TYPE_A &&
	    ldns_rdf_size(rdf) == 4) ||
	    (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA &&
	    ldns_rdf_size(rdf) == 16))
		server_add_address(req, task, server, ldns_rdf_data(rdf),
		    ldns_rdf_size(rdf), source, now);
}

static void
server_add_addresses(struct engine_request *req, const struct task *task,
    struct cut_server *server, const ldns_rr_list *rrs,
    enum addr_source source, struct engine_now now)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++)
		if (dname_equal(ldns_rr_owner(ldns_rr_list_rr(rrs, i)),
		    server->name))
			server_add_address_rr(req, task, server,
			    ldns_rr_list_rr(rrs, i), source, now);
}

/* Looks the server's addresses up in the cache (glue included). */
static void
server_addresses_from_cache(struct engine_request *req,
    const struct task *task, struct cut_server *server, struct engine_now now)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };

	/* Read as stored: no ldns records made and freed per address. */
	for (size_t t = 0; t < 2; t++) {
		enum rrset_rank rank = RANK_GLUE;
		size_t count, alen = types[t] == LDNS_RR_TYPE_A ? 4 : 16;
		uint8_t *addrs = rrset_cache_addresses(req->engine->rrsets,
		    server->name, types[t], LDNS_RR_CLASS_IN, now.wall,
		    RANK_GLUE, &rank, &count);

		for (size_t i = 0; i < count; i++)
			server_add_address(req, task, server, addrs + i * alen,
			    alen, source_of_rank(rank), now);
		free(addrs);
	}
}

static void
emit_zonecut(struct engine_request *req, const struct task *task,
    bool from_cache, struct engine_now now)
{
	struct observed_server servers[LIMIT_NS_PER_DELEGATION];
	struct sockaddr_storage addrs[LIMIT_NS_PER_DELEGATION][SERVER_ADDRS_MAX];
	enum addr_source sources[LIMIT_NS_PER_DELEGATION][SERVER_ADDRS_MAX];
	struct engine_event ev = { 0 };

	if (req->observer == NULL || task->cut.zone == NULL)
		return;
	for (unsigned i = 0; i < task->cut.server_count; i++) {
		const struct cut_server *s = &task->cut.servers[i];

		/* The observer's form: sockaddr_storage (its copy only). */
		for (unsigned j = 0; j < s->addr_count; j++) {
			memset(&addrs[i][j], 0, sizeof(addrs[i][j]));
			memcpy(&addrs[i][j], &s->addrs[j].addr,
			    s->addrs[j].addrlen);
			sources[i][j] = s->addrs[j].source;
		}
		servers[i].name = s->name;
		servers[i].addrs = (const struct sockaddr *)addrs[i];
		servers[i].sources = sources[i];
		servers[i].addr_count = s->addr_count;
		servers[i].ns_ttl = s->ns_ttl;
	}
	ev.u.zonecut.zone = task->cut.zone;
	ev.u.zonecut.servers = servers;
	ev.u.zonecut.server_count = task->cut.server_count;
	ev.u.zonecut.from_cache = from_cache;
	ev.u.zonecut.configured = task->cut.configured;
	task_event(req, task, EV_ZONECUT, &ev, now);
}

/*
 * Makes `ns` (an NS RRset) the task's cut. Addresses come from `glue`
 * first, then from the cache.
 */
/* Starts setting the cut to `zone`; false: out of memory (task failed). */
static bool
task_cut_begin(struct engine_request *req, struct task *task,
    const ldns_rdf *zone, struct engine_now now)
{
	zonecut_clear(&task->cut);
	if (zone == NULL || (task->cut.zone = ldns_rdf_clone(zone)) == NULL) {
		task_oom(req, task, now);
		return false;
	}
	dname_canonical(task->cut.zone);
	return true;
}

/*
 * Adds the server `name` (owned: kept or freed; NULL: memory ran out) to
 * the cut task_cut_begin started, with its addresses. False when no more
 * are taken: LIMIT_NS_PER_DELEGATION, or memory (the task failed, the
 * cut cleared).
 */
static bool
task_cut_add(struct engine_request *req, struct task *task, ldns_rdf *name,
    uint32_t ns_ttl, const ldns_rr_list *glue, enum addr_source glue_source,
    struct engine_now now)
{
	struct cut_server *s;

	if (name == NULL) {
		zonecut_clear(&task->cut);
		task_oom(req, task, now);
		return false;
	}
	for (unsigned j = 0; j < task->cut.server_count; j++)
		if (dname_equal(task->cut.servers[j].name, name)) {
			ldns_rdf_deep_free(name);
			return true;
		}
	if (task->cut.server_count == LIMIT_NS_PER_DELEGATION) {
		ldns_rdf_deep_free(name);
		limit_hit(req, task, "LIMIT_NS_PER_DELEGATION",
		    LIMIT_NS_PER_DELEGATION, now);
		return false;
	}
	s = &task->cut.servers[task->cut.server_count];
	memset(s, 0, sizeof(*s));
	s->name = name;
	task->cut.server_count++;
	dname_canonical(s->name);
	s->ns_ttl = ns_ttl;
	s->resolving_type = LDNS_RR_TYPE_A;
	/*
	 * The referral's glue and what the cache knows (the child's own
	 * address records) both: when one of them is stale the other still
	 * reaches the server.
	 */
	server_add_addresses(req, task, s, glue, glue_source, now);
	server_addresses_from_cache(req, task, s, now);
	/* A priming reply without addresses: the hints still know them. */
	if (s->addr_count == 0 && dname_labels(task->cut.zone) == 0)
		server_add_addresses(req, task, s, req->engine->root_hints,
		    ADDR_SOURCE_HINTS, now);
	return true;
}

/* Ends what task_cut_begin started (unless the task failed meanwhile). */
static void
task_cut_end(struct task *task)
{
	if (task->cut.zone == NULL)
		return;
	task->qmin_labels = dname_labels(task->cut.zone) + 1;
	task->forced_server = task->forced_address = -1;
	task->waiting_server = -1;
}

static void
task_set_cut(struct engine_request *req, struct task *task,
    const ldns_rdf *zone, const ldns_rr_list *ns, const ldns_rr_list *glue,
    enum addr_source glue_source, struct engine_now now)
{
	if (!task_cut_begin(req, task, zone, now))
		return;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_rr_rdf(rr, 0) != NULL &&
		    !task_cut_add(req, task, ldns_rdf_clone(ldns_rr_rdf(rr, 0)),
		    ldns_rr_ttl(rr), glue, glue_source, now))
			break;
	}
	task_cut_end(task);
}

/* ---- the cache ---- */

static uint32_t
negative_ttl(const struct engine *engine, const ldns_rr_list *soa)
{
	uint32_t ttl = engine->config.cache_max_negative_ttl;

	/* RFC 2308 §5: the lesser of the SOA's TTL and its MINIMUM field. */
	if (soa != NULL && ldns_rr_list_rr_count(soa) > 0) {
		const ldns_rr *rr = ldns_rr_list_rr(soa, 0);
		const ldns_rdf *min = ldns_rr_rdf(rr, 6);

		if (ldns_rr_ttl(rr) < ttl)
			ttl = ldns_rr_ttl(rr);
		if (min != NULL && ldns_rdf2native_int32(min) < ttl)
			ttl = ldns_rdf2native_int32(min);
	} else
		ttl = 0;
	return ttl;
}

/* The RRSIGs of `sigs` over owner/type: a list borrowing them, or NULL. */
static ldns_rr_list *
sigs_over(const ldns_rr_list *sigs, const ldns_rdf *owner, ldns_rr_type type)
{
	ldns_rr_list *out = NULL;

	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		ldns_rr *rr = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(rr);

		if (covered == NULL || ldns_rdf2rr_type(covered) != type ||
		    !dname_equal(ldns_rr_owner(rr), owner))
			continue;
		if (out == NULL && (out = ldns_rr_list_new()) == NULL)
			return NULL;
		ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

/*
 * Whether an RRset of `rrs` was expanded from a wildcard: an RRSIG of
 * `sigs` over it counts fewer labels than its owner (RFC 4035 §5.3.4).
 * Such an answer's DO clients also need the NSEC/NSEC3 proving no closer
 * name exists (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6).
 */
static bool
wildcard_expanded(const ldns_rr_list *sigs, const ldns_rr_list *rrs)
{
	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *labels = ldns_rr_rrsig_labels(sig);
		const ldns_rdf *covered = ldns_rr_rrsig_typecovered(sig);

		if (labels == NULL || ldns_rdf_size(labels) != 1 ||
		    covered == NULL ||
		    ldns_rdf2native_int8(labels) >= dname_labels(ldns_rr_owner(sig)))
			continue;
		for (size_t j = 0; rrs != NULL && j < ldns_rr_list_rr_count(rrs);
		    j++) {
			const ldns_rr *rr = ldns_rr_list_rr(rrs, j);

			if (ldns_rr_get_type(rr) == ldns_rdf2rr_type(covered) &&
			    dname_equal(ldns_rr_owner(rr), ldns_rr_owner(sig)))
				return true;
		}
	}
	return false;
}

/* Appends copies of the RRSIGs of `sigs` over every RRset in `rrs`. */
static void
list_append_sigs(ldns_rr_list **list, const ldns_rr_list *sigs,
    const ldns_rr_list *rrs)
{
	for (size_t i = 0; rrs != NULL && i < ldns_rr_list_rr_count(rrs); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
		ldns_rr_list *over;
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			if (ldns_rr_get_type(ldns_rr_list_rr(rrs, j)) ==
			    ldns_rr_get_type(rr) && dname_equal(ldns_rr_owner(
			    ldns_rr_list_rr(rrs, j)), ldns_rr_owner(rr)))
				seen = true;
		if (seen)
			continue;
		over = sigs_over(sigs, ldns_rr_owner(rr), ldns_rr_get_type(rr));
		list_append(list, over);
		ldns_rr_list_free(over);
	}
}

/*
 * Stores every RRset in `rrs` (grouped by owner, type and class), each
 * with its RRSIGs from `sigs` and the reply's DNSSEC status. A wildcard
 * expansion also keeps `proof` (may be NULL: denial_proof's records, the
 * NSEC/NSEC3 proving no closer name and their RRSIGs) after its RRSIGs,
 * so that a DO client's answer from the RRset cache carries it as one
 * from upstream does (RFC 4035 §3.1.3.3; cached_proof). Only expansions
 * pay for it, and they live no longer than the proof's records. With
 * `refresh`, RRsets equal to cached ones are stored anew
 * (rrset_cache_refresh); otherwise they keep the cached expiry.
 */
/* Whether the first `count` records are the whole list, and one RRset. */
static bool
one_rrset(const ldns_rr_list *rrs, size_t count)
{
	const ldns_rr *first = ldns_rr_list_rr(rrs, 0);

	if (count != ldns_rr_list_rr_count(rrs))
		return false;
	for (size_t j = 1; j < count; j++) {
		const ldns_rr *rr = ldns_rr_list_rr(rrs, j);

		if (ldns_rr_get_type(rr) != ldns_rr_get_type(first) ||
		    ldns_rr_get_class(rr) != ldns_rr_get_class(first) ||
		    !dname_equal(ldns_rr_owner(rr), ldns_rr_owner(first)))
			return false;
	}
	return true;
}

static void
cache_store_rrsets(struct engine *engine, const ldns_rr_list *rrs,
    const ldns_rr_list *sigs, const ldns_rr_list *proof, enum rrset_rank rank,
    enum sec_status status, time_t now, bool refresh)
{
	size_t count = rrs != NULL ? ldns_rr_list_rr_count(rrs) : 0;
	bool done[LIMIT_RRS_PER_SECTION * 2] = { false };

	if (count > LIMIT_RRS_PER_SECTION * 2)
		count = LIMIT_RRS_PER_SECTION * 2;
	for (size_t i = 0; i < count; i++) {
		const ldns_rr *first = ldns_rr_list_rr(rrs, i);
		ldns_rr_type type = ldns_rr_get_type(first);
		const ldns_rr_list *set = rrs;
		ldns_rr_list *group = NULL, *over;
		uint32_t cap = RRSET_TTL_NO_CAP;

		if (done[i])
			continue;
		/* Most lists are one RRset (an answer, an NS set): stored whole. */
		if (i > 0 || !one_rrset(rrs, count)) {
			if ((group = ldns_rr_list_new()) == NULL)
				return;
			for (size_t j = i; j < count; j++) {
				const ldns_rr *rr = ldns_rr_list_rr(rrs, j);

				if (done[j] || ldns_rr_get_type(rr) != type ||
				    ldns_rr_get_class(rr) !=
				    ldns_rr_get_class(first) ||
				    !dname_equal(ldns_rr_owner(rr),
				    ldns_rr_owner(first)))
					continue;
				ldns_rr_list_push_rr(group, (ldns_rr *)rr);
				done[j] = true;
			}
			set = group;
		}
		over = sigs_over(sigs, ldns_rr_owner(first), type);
		if (proof != NULL && over != NULL && type != LDNS_RR_TYPE_NSEC &&
		    type != LDNS_RR_TYPE_NSEC3 && wildcard_expanded(over, set))
			for (size_t j = 0; j < ldns_rr_list_rr_count(proof); j++) {
				const ldns_rr *rr = ldns_rr_list_rr(proof, j);

				ldns_rr_list_push_rr(over, (ldns_rr *)rr);
				if (ldns_rr_ttl(rr) < cap)
					cap = ldns_rr_ttl(rr);
			}
		(refresh ? rrset_cache_refresh : rrset_cache_store)(
		    engine->rrsets, set, over, rank, status, now,
		    engine->config.cache_min_ttl, engine->config.cache_max_ttl,
		    cap);
		ldns_rr_list_free(over);
		ldns_rr_list_free(group);	/* the records belong to rrs */
		if (set == rrs)
			break;
	}
}

/*
 * Whether the task may be answered from cached RRsets. A prefetch exists
 * to refresh the client's answer before it expires, so its own question
 * goes to the authorities (the delegations on the way still come from the
 * cache).
 */
static bool
task_uses_cache(const struct engine_request *req, const struct task *task)
{
	/* DNSSEC links are checked as they arrive: the key cache is their cache. */
	return !(task->depth == 0 && (req->flags &
	    (ENGINE_REQUEST_NO_CACHE | ENGINE_REQUEST_PREFETCH))) &&
	    !req->engine->config.fresh_cache && task->reason != SUBREQ_DNSSEC;
}

static bool task_follow_alias(struct engine_request *, struct task *,
    const ldns_rdf *, struct engine_now);

/* A cache miss: cached secure NSECs may still deny the name (RFC 8198). */
static bool
task_answer_aggressive(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	ldns_pkt_rcode rcode;

	if (!aggressive_answer(req, task, now, &rcode))
		return false;
	task_finish(req, task, rcode, ENGINE_EDE_NONE, NULL, now);
	return true;
}

/*
 * Whether a cached entry may answer: a validating request takes only data
 * that was validated (not unchecked data a CD client or an older request
 * left, never bogus); others take anything.
 */
static bool
cache_entry_usable(const struct engine_request *req,
    const struct rrset_info *info)
{
	return !req->validate || (info->status != SEC_UNCHECKED &&
	    info->status != SEC_BOGUS);
}

/* The weakest link: fold a cached entry's status into the task's. */
static void
task_take_status(struct task *task, enum sec_status status, int ede,
    const char *why)
{
	if (status < task->sec) {
		task->sec = status;
		task->sec_ede = ede;
		task->sec_why = why;
	}
}

static void
task_take_cached_status(const struct engine_request *req, struct task *task,
    struct rrset_info *info, ldns_rr_list **sigs)
{
	if (req->validate)
		task_take_status(task, info->status, -1, info->status ==
		    SEC_SECURE ? NULL : "cached data not secure");
	list_append(sigs, info->sigs);
	ldns_rr_list_deep_free(info->sigs);
	info->sigs = NULL;
}

/*
 * A cached wildcard expansion's proof (cached_proof; may be NULL, freed
 * here) joins the task's, as one from upstream does (task_final_reply).
 */
static void
task_take_cached_proof(struct task *task, ldns_rr_list *proof)
{
	list_append(&task->proof, proof);
	ldns_rr_list_deep_free(proof);
}

/*
 * Takes what a cached wildcard expansion keeps after its RRSIGs
 * (cache_store_rrsets), the NSEC/NSEC3 records proving no closer name and
 * their RRSIGs, out of info->sigs into a list of its own (the caller frees
 * it: ldns_rr_list_deep_free); NULL when there is none or memory ran out.
 */
static ldns_rr_list *
cached_proof(struct rrset_info *info)
{
	ldns_rr_list *sigs = NULL, *proof = NULL;
	size_t n = info->sigs != NULL ? ldns_rr_list_rr_count(info->sigs) : 0;
	bool has_proof = false;

	for (size_t i = 0; i < n && !has_proof; i++) {
		ldns_rr *rr = ldns_rr_list_rr(info->sigs, i);
		ldns_rr_type t = ldns_rr_get_type(rr);

		if (t == LDNS_RR_TYPE_RRSIG && ldns_rr_rrsig_typecovered(rr))
			t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
		has_proof = t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3;
	}
	if (!has_proof)
		return NULL;	/* RRSIGs only, or none: the usual case */
	if ((sigs = ldns_rr_list_new()) == NULL ||
	    (proof = ldns_rr_list_new()) == NULL) {
		ldns_rr_list_free(sigs);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(info->sigs, i);
		ldns_rr_type t = ldns_rr_get_type(rr);

		if (t == LDNS_RR_TYPE_RRSIG && ldns_rr_rrsig_typecovered(rr))
			t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
		ldns_rr_list_push_rr(t == LDNS_RR_TYPE_NSEC ||
		    t == LDNS_RR_TYPE_NSEC3 ? proof : sigs, rr);
	}
	ldns_rr_list_free(info->sigs);	/* the records moved */
	info->sigs = sigs;
	return proof;
}

/*
 * Answers the task from cached answers, aliases and negative entries.
 * Returns true when the task is finished.
 */
static bool
task_answer_from_cache(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	struct engine *engine = req->engine;
	struct engine_event ev = { 0 };
	const struct configured_zone *configured;

	if (!task_uses_cache(req, task))
		return false;
	for (;;) {
		ldns_rr_list *rrs, *soa = NULL, *proof;
		ldns_pkt_rcode rcode;
		ldns_rdf *target;
		struct rrset_info info = { 0 };

		rrs = rrset_cache_lookup(engine->rrsets, task->qname,
		    task->qtype, task->klass, now.wall, RANK_ANSWER, &info);
		proof = cached_proof(&info);
		if (rrs != NULL && cache_entry_usable(req, &info)) {
			ev.u.cache.what = "answer";
			ev.u.cache.owner = task->qname;
			task_event(req, task, EV_CACHE_HIT, &ev, now);
			task->answer = rrs;
			task_take_cached_status(req, task, &info, &task->sigs);
			task_take_cached_proof(task, proof);
			task_finish(req, task, LDNS_RCODE_NOERROR,
			    ENGINE_EDE_NONE, NULL, now);
			return true;
		}
		ldns_rr_list_deep_free(rrs);
		ldns_rr_list_deep_free(info.sigs);
		ldns_rr_list_deep_free(proof);
		memset(&info, 0, sizeof(info));
		/*
		 * A stub or forward zone over the name: only NXDOMAINs below
		 * its apex deny it (RFC 8020), never the public parent's
		 * (Unbound CVE-2026-44687).
		 */
		configured = zone_table_lookup(__atomic_load_n(&engine->zones,
		    __ATOMIC_ACQUIRE), task->qname, task->no_forward);
		if (rrset_cache_lookup_negative_within(engine->rrsets,
		    task->qname, task->qtype, task->klass, now.wall,
		    configured != NULL ? dname_labels(configured->name) + 1 : 0,
		    &rcode, &soa, &info)) {
			if (!cache_entry_usable(req, &info)) {
				ldns_rr_list_deep_free(soa);
				ldns_rr_list_deep_free(info.sigs);
				return false;
			}
			ev.u.cache.what = "negative";
			ev.u.cache.owner = task->qname;
			task_event(req, task, EV_CACHE_HIT, &ev, now);
			task->soa = soa;
			task_take_cached_status(req, task, &info, &task->proof);
			task_finish(req, task, rcode, ENGINE_EDE_NONE, NULL, now);
			return true;
		}
		if (task->qtype == LDNS_RR_TYPE_CNAME)
			return task_answer_aggressive(req, task, now);
		memset(&info, 0, sizeof(info));
		rrs = rrset_cache_lookup(engine->rrsets, task->qname,
		    LDNS_RR_TYPE_CNAME, task->klass, now.wall, RANK_ANSWER, &info);
		proof = cached_proof(&info);
		if (rrs == NULL || ldns_rr_list_rr_count(rrs) == 0 ||
		    !cache_entry_usable(req, &info)) {
			ldns_rr_list_deep_free(rrs);
			ldns_rr_list_deep_free(info.sigs);
			ldns_rr_list_deep_free(proof);
			return task_answer_aggressive(req, task, now);
		}
		ev.u.cache.what = "alias";
		ev.u.cache.owner = task->qname;
		task_event(req, task, EV_CACHE_HIT, &ev, now);
		task_take_cached_status(req, task, &info, &task->sigs);
		task_take_cached_proof(task, proof);
		target = ldns_rdf_clone(ldns_rr_rdf(ldns_rr_list_rr(rrs, 0), 0));
		if (target == NULL || !list_append(&task->chain, rrs)) {
			ldns_rr_list_deep_free(rrs);
			ldns_rdf_deep_free(target);
			task_oom(req, task, now);
			return true;
		}
		ldns_rr_list_deep_free(rrs);
		if (!task_follow_alias(req, task, target, now)) {
			ldns_rdf_deep_free(target);
			return true;	/* finished: loop, too long or no memory */
		}
		ldns_rdf_deep_free(target);
	}
}

/* The root cut from the hints, used to prime and when priming fails. */
static void
task_set_hints_cut(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	const ldns_rr_list *hints = req->engine->root_hints;
	ldns_rdf *root = root_name();

	task_set_cut(req, task, root, hints, hints, ADDR_SOURCE_HINTS, now);
	task->from_hints = true;
	ldns_rdf_deep_free(root);
	emit_zonecut(req, task, false, now);
}

/*
 * Makes a forward or stub zone the task's cut: one server per configured
 * address, named by the zone (the configuration names no hosts).
 */
static void
task_set_configured_cut(struct engine_request *req, struct task *task,
    const struct configured_zone *zone, struct engine_now now)
{
	const char *why = NULL;

	zonecut_clear(&task->cut);
	task->cut.zone = ldns_rdf_clone(zone->name);
	task->cut.forward = zone->kind == ENGINE_ZONE_FORWARD;
	task->cut.forward_first = zone->forward_first;
	task->cut.configured = task->cut.forward ? "forward" : "stub";
	for (size_t i = 0; i < zone->addr_count; i++) {
		const struct sockaddr *sa =
		    (const struct sockaddr *)&zone->addrs[i];
		struct cut_server *s = &task->cut.servers[task->cut.server_count];

		/* Loopback is fine here (the operator's choice); the family is not. */
		if (!engine_address_usable(req->engine, sa, &why) &&
		    strcmp(why, "address family disabled") == 0) {
			struct engine_event ev = { 0 };

			ev.u.skipped.server_name = zone->name;
			ev.u.skipped.addr = sa;
			ev.u.skipped.why = why;
			task_event(req, task, EV_SERVER_SKIPPED, &ev, now);
			continue;
		}
		memset(s, 0, sizeof(*s));
		s->name = ldns_rdf_clone(zone->name);
		s->resolving_type = LDNS_RR_TYPE_A;
		s->state = SERVER_ADDRESS_KNOWN;
		if (!engine_addr_set(&s->addrs[0].addr, &s->addrs[0].addrlen,
		    sa, zone->addrlens[i])) {
			ldns_rdf_deep_free(s->name);
			s->name = NULL;
			continue;
		}
		s->addrs[0].source = ADDR_SOURCE_CONFIG;
		s->addr_count = 1;
		task->cut.server_count++;
	}
	task->from_hints = false;
	task->qmin_labels = dname_labels(task->cut.zone) + 1;
	task->forced_server = task->forced_address = -1;
	emit_zonecut(req, task, false, now);
}

/*
 * forward-first: every forwarder failed, so the task forgets them and
 * iterates from the cache or the root like any other name.
 */
static void
task_forward_fallback(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	struct engine_event ev = { 0 };

	ev.u.fallback.what = "iterate";
	task_event(req, task, EV_FALLBACK, &ev, now);
	zonecut_clear(&task->cut);
	task->no_forward = true;
}

/* Whether every address of a forward zone failed recently (backed off). */
static bool
forwarders_backed_off(const struct engine_request *req,
    const struct configured_zone *zone, struct engine_now now)
{
	for (size_t i = 0; i < zone->addr_count; i++)
		if (!server_backed_off(req->engine->servers,
		    (const struct sockaddr *)&zone->addrs[i], NULL, 0, now.ms))
			return false;
	return true;
}

static bool push_task(struct engine_request *, struct task *);
static bool task_find_cut_from(struct engine_request *, struct task *,
    unsigned, struct engine_now);

/*
 * Finds the closest enclosing zone cut for the task: a forward zone wins
 * over everything below it; otherwise the deepest cut in the delegation
 * data of the cache, unless a stub zone is deeper; otherwise the root
 * hints (priming first, RFC 8109). Returns false when a priming task was
 * pushed instead.
 */
static bool
task_find_cut(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	unsigned labels = dname_labels(task->qname);

	/* The parent side of a cut holds its DS records. */
	if (task->qtype == LDNS_RR_TYPE_DS && labels > 0)
		labels--;
	return task_find_cut_from(req, task, labels, now);
}

/* task_find_cut, looking at zones of at most `labels` labels only. */
static bool
task_find_cut_from(struct engine_request *req, struct task *task,
    unsigned labels, struct engine_now now)
{
	unsigned stub_labels = 0;
	const struct configured_zone *configured;
	ldns_rdf *lookup;

	lookup = dname_ancestor(task->qname, labels);
	configured = lookup == NULL ? NULL : zone_table_lookup(
	    __atomic_load_n(&req->engine->zones, __ATOMIC_ACQUIRE), lookup,
	    task->no_forward);
	ldns_rdf_deep_free(lookup);
	if (configured != NULL && configured->kind == ENGINE_ZONE_FORWARD &&
	    configured->forward_first &&
	    forwarders_backed_off(req, configured, now)) {
		/* They just failed (for a task before this one): iterate now. */
		task_forward_fallback(req, task, now);
		lookup = dname_ancestor(task->qname, labels);
		configured = lookup == NULL ? NULL : zone_table_lookup(
		    __atomic_load_n(&req->engine->zones, __ATOMIC_ACQUIRE),
		    lookup, true);
		ldns_rdf_deep_free(lookup);
	}
	if (configured != NULL && configured->kind == ENGINE_ZONE_FORWARD) {
		task_set_configured_cut(req, task, configured, now);
		return true;
	}
	if (configured != NULL)
		stub_labels = dname_labels(configured->name);
	/*
	 * The deepest cached NS set (below a stub zone's apex, with one), its
	 * names read as stored: no ldns records made and freed per NS.
	 */
	if (configured == NULL || labels > stub_labels) {
		ldns_rdf **names = NULL, *zone = NULL;
		size_t count = 0, i;
		uint32_t ttl = 0;

		if (rrset_cache_closest_ns(req->engine->rrsets, task->qname,
		    LDNS_RR_CLASS_IN, now.wall, RANK_REFERRAL, labels,
		    configured == NULL ? 0 : stub_labels + 1, &labels, &names,
		    &count, &ttl) &&
		    (zone = dname_ancestor(task->qname, labels)) == NULL) {
			/* Out of memory: as when the set could not be read. */
			for (i = 0; i < count; i++)
				ldns_rdf_deep_free(names[i]);
			free(names);
		}
		if (zone != NULL) {
			bool more = task_cut_begin(req, task, zone, now);

			/* Each name goes to task_cut_add (kept or freed). */
			for (i = 0; i < count; i++)
				if (more)
					more = task_cut_add(req, task, names[i],
					    ttl, NULL, ADDR_SOURCE_CACHE, now);
				else
					ldns_rdf_deep_free(names[i]);
			free(names);
			task_cut_end(task);
			task->cut.from_cache = true;
			ldns_rdf_deep_free(zone);
			emit_zonecut(req, task, true, now);
			return true;
		}
	}
	if (configured != NULL) {	/* a stub zone, deeper than the cache knows */
		task_set_configured_cut(req, task, configured, now);
		return true;
	}
	if (task->reason == SUBREQ_PRIMING || req->priming_tried) {
		task_set_hints_cut(req, task, now);
		return true;
	}
	req->priming_tried = true;
	{
		ldns_rdf *root = root_name();
		struct task *prime = root == NULL ? NULL : task_new(req, root,
		    LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, SUBREQ_PRIMING, now);

		ldns_rdf_deep_free(root);
		if (prime == NULL || !push_task(req, prime)) {
			task_free(prime);
			task_set_hints_cut(req, task, now);
			return true;
		}
	}
	return false;
}

static bool
push_task(struct engine_request *req, struct task *task)
{
	if (req->task_count == TASKS_MAX)
		return false;
	req->tasks[req->task_count++] = task;
	req->subrequests++;
	return true;
}

/* ---- choosing a server and sending ---- */

/* The name and type to send: minimised (RFC 9156) while above the target. */
static ldns_rdf *
task_sent_name(const struct engine_request *req, const struct task *task,
    ldns_rr_type *type)
{
	unsigned full = dname_labels(task->qname);

	*type = task->qtype;
	if (!req->engine->config.qname_minimisation || task->qmin_off ||
	    task->cut.forward ||
	    task->qmin_labels >= full || task->qtype == LDNS_RR_TYPE_DS ||
	    task->reason == SUBREQ_PRIMING)
		return ldns_rdf_clone(task->qname);
	*type = LDNS_RR_TYPE_A;
	return dname_ancestor(task->qname, task->qmin_labels);
}

/*
 * Whether the cache knows `name` to exist in the zone it is asked of, with
 * no cut there (RFC 9156 §2.3: a NOERROR to the minimised question): an A
 * RRset or a NODATA for A, fresh (expired entries are not returned). Its
 * DNSSEC status does not matter but bogus: the question one label deeper
 * goes to the same servers, which still refer it to any cut between.
 */
static bool
qmin_name_known(struct engine *engine, const ldns_rdf *name,
    ldns_rr_class klass, time_t now)
{
	struct rrset_info info = { 0 };
	ldns_pkt_rcode rcode;

	/* What is cached, not the records: nothing is copied or unpacked. */
	if (rrset_cache_exists(engine->rrsets, name, LDNS_RR_TYPE_A, klass,
	    now, RANK_ANSWER, &info))
		return info.status != SEC_BOGUS;
	if (!rrset_cache_lookup_negative(engine->rrsets, name, LDNS_RR_TYPE_A,
	    klass, now, &rcode, NULL, &info))
		return false;
	return rcode == LDNS_RCODE_NOERROR && info.status != SEC_BOGUS;
}

/*
 * Skips the minimised questions whose NOERROR is cached (as Unbound does):
 * a sibling of a name resolved before goes straight to the next unknown
 * label instead of asking its parents' names again.
 */
static bool
task_qmin_skip_known(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	struct engine_event ev = { 0 };
	ldns_rr_type type;
	ldns_rdf *name;

	if (!task_uses_cache(req, task))
		return true;
	while ((name = task_sent_name(req, task, &type)) != NULL) {
		bool known = (type != task->qtype ||
		    !dname_equal(name, task->qname)) &&
		    qmin_name_known(req->engine, name, task->klass, now.wall);

		if (known) {
			ev.u.cache.what = "minimised name";
			ev.u.cache.owner = name;
			task_event(req, task, EV_CACHE_HIT, &ev, now);
			task->qmin_labels++;
		}
		ldns_rdf_deep_free(name);
		if (!known)
			return true;
	}
	return false;
}

/*
 * Builds the task's query to address ai of server si into q (the task's
 * entry, or a hedge's), for engine_next_action to send; false when the
 * task failed instead (a limit, no memory).
 */
static bool
task_send(struct engine_request *req, struct task *task,
    struct inflight_query *q, int si, int ai, struct engine_now now)
{
	struct engine *engine = req->engine;
	struct cut_server *server = &task->cut.servers[si];
	struct cut_address *a = &server->addrs[ai];
	const struct sockaddr *sa = (const struct sockaddr *)&a->addr;
	unsigned quirks = server_quirks(engine->servers, sa, now.ms);
	struct engine_event ev = { 0 };
	ldns_rr_type type;
	ldns_rdf *name;
	bool ok;

	if (req->upstream_queries >= LIMIT_QUERIES_PER_REQUEST) {
		limit_hit(req, task, "LIMIT_QUERIES_PER_REQUEST",
		    LIMIT_QUERIES_PER_REQUEST, now);
		task_fail(req, task, ENGINE_EDE_OTHER,
		    "too many upstream queries for one request", now);
		return false;
	}
	if (task->queries >= LIMIT_QUERIES_PER_NAME) {
		limit_hit(req, task, "LIMIT_QUERIES_PER_NAME",
		    LIMIT_QUERIES_PER_NAME, now);
		task_fail(req, task, ENGINE_EDE_OTHER,
		    "too many upstream queries for one name", now);
		return false;
	}
	if (!task_qmin_skip_known(req, task, now) ||
	    (name = task_sent_name(req, task, &type)) == NULL) {
		task_oom(req, task, now);
		return false;
	}
	if (!engine_set_addr(q, sa, a->addrlen)) {
		ldns_rdf_deep_free(name);
		task_fail(req, task, ENGINE_EDE_OTHER,
		    "a server address that is neither IPv4 nor IPv6", now);
		return false;
	}
	q->server = si;
	q->address = ai;
	q->transport = a->use_tcp ? ENGINE_TCP : ENGINE_UDP;
	q->attempt = ++a->sends;
	q->timeout_ms = server_timeout_ms(engine->servers, sa);
	if (q->transport == ENGINE_TCP && q->timeout_ms < 1000)
		q->timeout_ms = 1000;	/* a handshake first */
	ok = engine_build_query(req, q, name, type, task->klass,
	    !(quirks & SERVER_NO_EDNS),
	    engine->config.use_0x20 && !(quirks & SERVER_NO_0X20));
	ldns_rdf_deep_free(name);
	if (!ok) {
		task_fail(req, task, ENGINE_EDE_OTHER, "out of memory", now);
		return false;
	}
	if (task->cut.forward)
		q->wire[2] |= 0x01;	/* RD: a forwarder resolves for us */
	q->state = INFLIGHT_PLANNED;
	server_report_sent(engine->servers, sa, q->timeout_ms, now.ms);
	task->queries++;
	req->upstream_queries++;
	STAT_ADD(engine, upstream_queries, 1);
	ev.u.query.send_id = q->send_id;
	ev.u.query.zone = task->cut.zone;
	ev.u.query.server_name = server->name;
	ev.u.query.addr = sa;
	ev.u.query.addr_source = a->source;
	ev.u.query.transport = q->transport;
	ev.u.query.sent_qname = q->sent_qname;
	ev.u.query.sent_qtype = q->sent_qtype;
	ev.u.query.edns = q->edns;
	ev.u.query.attempt = q->attempt;
	task_event(req, task, EV_QUERY_SENT, &ev, now);
	return true;
}

/* Whether the address served bogus data for the cut's zone (a restart). */
static bool
bogus_listed(const struct engine_request *req, const struct task *task,
    const struct cut_address *a)
{
	for (unsigned i = 0; i < req->dnssec_restarts; i++)
		if (engine_addr_equal(&req->bogus[i].addr, &a->addr) &&
		    dname_equal(req->bogus[i].zone, task->cut.zone))
			return true;
	return false;
}

/* Picks the next address to ask; false when none is left. */
static bool
task_pick_server(struct engine_request *req, struct task *task, int *si,
    int *ai, struct engine_now now)
{
	struct server_candidate cand[LIMIT_NS_PER_DELEGATION * SERVER_ADDRS_MAX];
	int map_server[LIMIT_NS_PER_DELEGATION * SERVER_ADDRS_MAX];
	int map_address[LIMIT_NS_PER_DELEGATION * SERVER_ADDRS_MAX];
	size_t n = 0;
	int pick;

	if (task->forced_server >= 0) {
		*si = task->forced_server;
		*ai = task->forced_address;
		task->forced_server = task->forced_address = -1;
		return true;
	}
	for (unsigned i = 0; i < task->cut.server_count; i++) {
		struct cut_server *s = &task->cut.servers[i];

		for (unsigned j = 0; j < s->addr_count; j++) {
			struct cut_address *a = &s->addrs[j];

			cand[n].addr = (const struct sockaddr *)&a->addr;
			cand[n].excluded = a->failed ||
			    a->sends >= req->engine->config.tries ||
			    bogus_listed(req, task, a);
			map_server[n] = (int)i;
			map_address[n] = (int)j;
			n++;
		}
	}
	pick = server_choose(req->engine->servers, cand, n,
	    ldns_rdf_data(task->cut.zone), ldns_rdf_size(task->cut.zone),
	    now.ms);
	if (pick < 0)
		return false;
	/* Prefer an address not asked yet over a second try of a silent one. */
	if (task->cut.servers[map_server[pick]].addrs[map_address[pick]].sends
	    > 0) {
		for (size_t i = 0; i < n; i++) {
			struct cut_address *a = &task->cut.servers[map_server[i]]
			    .addrs[map_address[i]];

			if (!cand[i].excluded && a->sends == 0 &&
			    !server_backed_off(req->engine->servers,
			    cand[i].addr, ldns_rdf_data(task->cut.zone),
			    ldns_rdf_size(task->cut.zone), now.ms)) {
				pick = (int)i;
				break;
			}
		}
	}
	*si = map_server[pick];
	*ai = map_address[pick];
	return true;
}

static bool
task_on_stack(const struct engine_request *req, const ldns_rdf *name)
{
	for (unsigned i = 0; i < req->task_count; i++)
		if (dname_equal(req->tasks[i]->qname, name))
			return true;
	return false;
}

static void
server_skip(struct engine_request *req, const struct task *task,
    struct cut_server *server, const char *why, struct engine_now now)
{
	struct engine_event ev = { 0 };

	server->state = SERVER_ADDRESS_FAILED;
	ev.u.skipped.server_name = server->name;
	ev.u.skipped.why = why;
	task_event(req, task, EV_SERVER_SKIPPED, &ev, now);
}

/*
 * Starts a sub-task resolving the address of a server that has none.
 * Returns true when one was pushed.
 */
static bool
task_resolve_server(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	for (unsigned i = 0; i < task->cut.server_count; i++) {
		struct cut_server *s = &task->cut.servers[i];
		struct task *sub;

		if (s->state != SERVER_ADDRESS_UNKNOWN)
			continue;
		if (req->failed_ns_resolutions >= LIMIT_FAILED_NS_RESOLUTIONS) {
			if (!req->failed_ns_limit_reported)
				limit_hit(req, task,
				    "LIMIT_FAILED_NS_RESOLUTIONS",
				    LIMIT_FAILED_NS_RESOLUTIONS, now);
			req->failed_ns_limit_reported = true;
			return false;
		}
		if (req->subrequests >= LIMIT_SUBREQUESTS) {
			limit_hit(req, task, "LIMIT_SUBREQUESTS",
			    LIMIT_SUBREQUESTS, now);
			return false;
		}
		if (dname_in_bailiwick(s->name, task->cut.zone)) {
			/* Only this zone could tell us, and it has no glue. */
			server_skip(req, task, s,
			    "in-bailiwick name server without glue", now);
			continue;
		}
		if (task_on_stack(req, s->name)) {
			server_skip(req, task, s,
			    "dependency cycle: its address needs this zone", now);
			continue;
		}
		if (task->cut.glueless >= LIMIT_GLUELESS_PER_CUT) {
			if (task->cut.glueless++ == LIMIT_GLUELESS_PER_CUT)
				limit_hit(req, task, "LIMIT_GLUELESS_PER_CUT",
				    LIMIT_GLUELESS_PER_CUT, now);
			server_skip(req, task, s,
			    "LIMIT_GLUELESS_PER_CUT: enough names looked up", now);
			continue;
		}
		if (req->task_count >= LIMIT_SUBREQUEST_DEPTH + 1) {
			limit_hit(req, task, "LIMIT_SUBREQUEST_DEPTH",
			    LIMIT_SUBREQUEST_DEPTH, now);
			server_skip(req, task, s, "glueless chain too deep", now);
			continue;
		}
		sub = task_new(req, s->name, s->resolving_type,
		    LDNS_RR_CLASS_IN, SUBREQ_NS_ADDRESS, now);
		if (sub == NULL || !push_task(req, sub)) {
			task_free(sub);
			return false;
		}
		s->state = SERVER_ADDRESS_RESOLVING;
		task->waiting_server = (int)i;
		/* The AAAA lookup after an empty A one is the same name. */
		if (s->resolving_type == LDNS_RR_TYPE_A)
			task->cut.glueless++;
		return true;
	}
	return false;
}

/* A finished sub-task hands its result to the task below it. */
static void
task_absorb(struct engine_request *req, struct task *parent,
    struct task *sub, struct engine_now now)
{
	struct cut_server *s;

	if (sub->reason == SUBREQ_PRIMING || sub->reason == SUBREQ_DNSSEC ||
	    parent->waiting_server < 0)
		return;
	s = &parent->cut.servers[parent->waiting_server];
	parent->waiting_server = -1;
	if (sub->rcode == LDNS_RCODE_NOERROR && sub->answer != NULL) {
		for (size_t i = 0; i < ldns_rr_list_rr_count(sub->answer); i++)
			server_add_address_rr(req, parent, s,
			    ldns_rr_list_rr(sub->answer, i), ADDR_SOURCE_RESOLVED,
			    now);
	}
	if (s->addr_count > 0) {
		s->state = SERVER_ADDRESS_KNOWN;
		return;
	}
	if (s->resolving_type == LDNS_RR_TYPE_A &&
	    req->engine->config.family != ENGINE_FAMILY_IPV4 &&
	    sub->rcode == LDNS_RCODE_NOERROR) {
		s->resolving_type = LDNS_RR_TYPE_AAAA;	/* try IPv6 next */
		s->state = SERVER_ADDRESS_UNKNOWN;
		return;
	}
	if (sub->rcode != LDNS_RCODE_NOERROR || sub->answer == NULL)
		req->failed_ns_resolutions++;
	s->state = SERVER_ADDRESS_FAILED;
}

/*
 * When to hedge the query just sent: after LIMIT_HEDGE_DELAY_UNKNOWN_MS for
 * a server never measured, three times its smoothed RTT otherwise; never
 * over TCP or when the query's own timeout comes first.
 */
static void
plan_hedge(struct engine_request *req, struct engine_now now)
{
	const struct inflight_query *q = engine_inflight_task(req);
	uint32_t srtt = server_srtt_ms(req->engine->servers, &q->addr.sa),
	    delay;

	req->hedge_at_ms = 0;
	/* A trace (no cache) follows each server's own answer, one at a time. */
	if (q->transport != ENGINE_UDP ||
	    engine_inflight_find(req, INFLIGHT_HEDGE) != NULL ||
	    (req->flags & ENGINE_REQUEST_NO_CACHE))
		return;
	delay = srtt == 0 ? LIMIT_HEDGE_DELAY_UNKNOWN_MS : srtt * 3;
	if (delay < LIMIT_HEDGE_DELAY_MIN_MS)
		delay = LIMIT_HEDGE_DELAY_MIN_MS;
	if (delay >= q->timeout_ms)
		return;
	req->hedge_at_ms = now.ms + delay;
}

bool
iterator_hedge(struct engine_request *req, struct engine_now now)
{
	struct task *task = req->tasks[req->task_count - 1];
	struct inflight_query *q = engine_inflight_task(req), *hedge;
	struct engine_event ev = { 0 };
	int si, ai;

	req->hedge_at_ms = 0;
	if (task->finished || task->forced_server >= 0 || q == NULL ||
	    q->server < 0 || engine_inflight_find(req, INFLIGHT_HEDGE) != NULL ||
	    req->upstream_queries >= LIMIT_QUERIES_PER_REQUEST ||
	    task->queries >= LIMIT_QUERIES_PER_NAME)
		return false;
	/* Another address: the one asked has been sent to, so it comes last. */
	if (!task_pick_server(req, task, &si, &ai, now) ||
	    (si == q->server && ai == q->address) ||
	    (hedge = engine_inflight_new(req, INFLIGHT_HEDGE)) == NULL)
		return false;
	ev.u.fallback.what = "hedge";
	ev.u.fallback.addr = &q->addr.sa;
	task_event(req, task, EV_FALLBACK, &ev, now);
	if (!task_send(req, task, hedge, si, ai, now)) {
		engine_inflight_free(hedge);
		q->state = INFLIGHT_IDLE;	/* the task failed: stop */
		return false;
	}
	STAT_ADD(req->engine, upstream_hedges, 1);
	return true;
}

/*
 * Whether a keys-ahead query for `zone` may be planned: none about to be
 * sent (one per query), none out or held for the zone already, and fewer
 * than KEYS_AHEAD_HELD out or held. Two can be out at once when a cut's
 * DNSKEYs are asked before its parent's have come (deferred_ds_ahead).
 */
static bool
ahead_room(struct engine_request *req, const ldns_rdf *zone)
{
	unsigned held = 0;

	for (unsigned i = 0; i < req->inflight_used; i++) {
		const struct inflight_query *k = &req->inflight[i];

		if (k->role != INFLIGHT_AHEAD)
			continue;
		if (k->state == INFLIGHT_PLANNED ||
		    dname_equal(k->sent_qname, zone))
			return false;
		held++;
	}
	return held < KEYS_AHEAD_HELD;
}

/*
 * Whether the task's cut will need its DNSKEYs once its deferred proof is
 * judged: the referral carries a DS RRset, its parent's keys are had or
 * fetched (task_defer_referral), the cut is under a positive anchor and
 * the key cache knows nothing of it yet. Only what is asked changes hands
 * early: the DNSKEY reply is still judged against the DS, once judged
 * (validator_keys_next then holds), by the DNSKEY sub-task that takes it
 * over; a DS judged bogus leaves it unused, one query more, as a hedge is.
 */
static bool
deferred_ds_ahead(struct engine_request *req, const struct task *task,
    struct engine_now now)
{
	const struct parked_reply *p = task->cut.deferred;

	return p != NULL && p->ds_ahead &&
	    validator_keys_after_ds(req, task->cut.zone, now.wall);
}

/*
 * Keys ahead: beside the query just sent to a signed zone whose DNSKEYs
 * the validator will fetch to judge the reply (validator_keys_next), the
 * DNSKEY question goes to the same server now, so that the chain of trust
 * down a cold name waits one round trip per zone instead of two. Built
 * here, sent by engine_next_action next; taken over by the DNSKEY
 * sub-task (task_adopt_ahead).
 */
static void
plan_keys_ahead(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	const struct inflight_query *q = engine_inflight_task(req);
	struct inflight_query *k;
	struct engine_event ev = { 0 };

	if (!req->validate || task->cut.forward ||
	    (req->flags & ENGINE_REQUEST_NO_CACHE) || q == NULL ||
	    q->state == INFLIGHT_IDLE || q->server < 0 ||
	    q->transport != ENGINE_UDP ||
	    (q->sent_qtype == LDNS_RR_TYPE_DNSKEY &&
	    dname_equal(q->sent_qname, task->cut.zone)) ||
	    !ahead_room(req, task->cut.zone) ||
	    !(validator_keys_next(req, task->cut.zone, now.wall) ||
	    deferred_ds_ahead(req, task, now)))
		return;
	if (req->ahead_count >= LIMIT_KEYS_AHEAD_PER_REQUEST) {
		limit_hit(req, task, "LIMIT_KEYS_AHEAD_PER_REQUEST",
		    LIMIT_KEYS_AHEAD_PER_REQUEST, now);
		return;
	}
	if (req->upstream_queries >= LIMIT_QUERIES_PER_REQUEST ||
	    (k = engine_inflight_new(req, INFLIGHT_AHEAD)) == NULL)
		return;
	if (!engine_build_query(req, k, task->cut.zone, LDNS_RR_TYPE_DNSKEY,
	    task->klass, q->edns, q->case_randomised)) {
		engine_inflight_free(k);
		return;
	}
	k->server = q->server;
	k->address = q->address;
	k->addr = q->addr;
	k->addrlen = q->addrlen;
	k->transport = ENGINE_UDP;
	k->attempt = 1;
	k->timeout_ms = q->timeout_ms;
	k->state = INFLIGHT_PLANNED;
	req->ahead_count++;
	server_report_sent(req->engine->servers, &q->addr.sa, q->timeout_ms,
	    now.ms);
	req->upstream_queries++;
	STAT_ADD(req->engine, upstream_queries, 1);
	ev.u.query.send_id = k->send_id;
	ev.u.query.zone = task->cut.zone;
	ev.u.query.server_name = task->cut.servers[q->server].name;
	ev.u.query.addr = &q->addr.sa;
	ev.u.query.addr_source = task->cut.servers[q->server]
	    .addrs[q->address].source;
	ev.u.query.transport = ENGINE_UDP;
	ev.u.query.sent_qname = k->sent_qname;
	ev.u.query.sent_qtype = LDNS_RR_TYPE_DNSKEY;
	ev.u.query.edns = k->edns;
	ev.u.query.attempt = 1;
	task_event(req, task, EV_QUERY_SENT, &ev, now);
}

/*
 * The task asks the question a keys-ahead query asked of one of its cut's
 * addresses: that query becomes the task's own (its role INFLIGHT_TASK),
 * no new one is sent. Its reply, if held already, is fed by
 * engine_next_action; else the task waits for it as for any query.
 */
static bool
task_adopt_ahead(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	struct inflight_query *k = NULL, *old;
	ldns_rr_type type;
	ldns_rdf *name;

	if (task->qtype != LDNS_RR_TYPE_DNSKEY || task->forced_server >= 0 ||
	    task->queries >= LIMIT_QUERIES_PER_NAME ||
	    (name = task_sent_name(req, task, &type)) == NULL)
		return false;
	for (unsigned i = 0; i < req->inflight_used && type ==
	    LDNS_RR_TYPE_DNSKEY; i++) {
		struct inflight_query *c = &req->inflight[i];

		if (c->role == INFLIGHT_AHEAD && (c->state == INFLIGHT_SENT ||
		    c->state == INFLIGHT_HELD) &&
		    dname_equal(name, c->sent_qname)) {
			k = c;
			break;
		}
	}
	ldns_rdf_deep_free(name);
	if (k == NULL)
		return false;
	for (unsigned i = 0; i < task->cut.server_count; i++) {
		struct cut_server *s = &task->cut.servers[i];

		for (unsigned j = 0; j < s->addr_count; j++) {
			struct cut_address *a = &s->addrs[j];
			struct engine_event ev = { 0 };

			if (!engine_addr_equal(&k->addr, &a->addr) ||
			    a->failed || a->use_tcp ||
			    a->sends >= req->engine->config.tries ||
			    bogus_listed(req, task, a))
				continue;
			if ((old = engine_inflight_task(req)) != NULL)
				engine_inflight_free(old);
			k->role = INFLIGHT_TASK;
			k->server = (int)i;
			k->address = (int)j;
			k->attempt = ++a->sends;
			task->queries++;
			ev.u.cache.what = "keys ahead";
			ev.u.cache.owner = k->sent_qname;
			task_event(req, task, EV_CACHE_HIT, &ev, now);
			if (k->state == INFLIGHT_SENT)
				plan_hedge(req, now);
			return true;
		}
	}
	return false;
}

/*
 * The task's deferred proof is judged: its early query (INFLIGHT_EARLY),
 * out or answered, is its own again, and the keys-ahead query that the
 * judged DS now allows goes beside it. False when there is none (it
 * failed: the task asks anew) or the task has finished (it is dropped).
 */
static bool
task_adopt_early(struct engine_request *req, struct task *task,
    bool rehedge, struct engine_now now)
{
	struct inflight_query *q = engine_inflight_find(req, INFLIGHT_EARLY),
	    *old;

	task->early = false;
	if (q == NULL)
		return false;
	if (task->finished) {
		engine_inflight_free(q);
		return false;
	}
	if ((old = engine_inflight_task(req)) != NULL)
		engine_inflight_free(old);	/* a sub-task's, spent */
	q->role = INFLIGHT_TASK;
	if (rehedge && q->state == INFLIGHT_SENT)
		plan_hedge(req, now);
	plan_keys_ahead(req, task, now);
	return true;
}

/* Whether the cache still holds an unexpired address for the name. */
static bool
name_cached_address(struct engine_request *req, const ldns_rdf *name,
    struct engine_now now)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };

	for (size_t t = 0; t < 2; t++) {
		ldns_rr_list *rrs = rrset_cache_lookup(req->engine->rrsets,
		    name, types[t], LDNS_RR_CLASS_IN, now.wall, RANK_GLUE,
		    NULL);

		if (rrs != NULL) {
			ldns_rr_list_deep_free(rrs);
			return true;
		}
	}
	return false;
}

static bool
server_cached_address(struct engine_request *req, const struct cut_server *s,
    struct engine_now now)
{
	return name_cached_address(req, s->name, now);
}

/* Whether the parent of `zone` gave this request a referral without glue. */
static bool
glueless_seen(const struct engine_request *req, const ldns_rdf *zone)
{
	for (unsigned i = 0; i < req->glueless_seen_count; i++)
		if (dname_equal(req->glueless_seen[i], zone))
			return true;
	return false;
}

/*
 * Remembers a referral without glue for the request (a cycle comes back to
 * it; asking the parent again would bring the same NS names, no glue).
 * When the list is full the zone is simply not remembered.
 */
static void
glueless_note(struct engine_request *req, const struct reply_view *v)
{
	ldns_rdf *zone;

	if ((v->glue != NULL && ldns_rr_list_rr_count(v->glue) > 0) ||
	    glueless_seen(req, v->referral_zone) ||
	    req->glueless_seen_count == GLUELESS_SEEN_MAX ||
	    (zone = ldns_rdf_clone(v->referral_zone)) == NULL)
		return;
	ldns_dname2canonical(zone);
	req->glueless_seen[req->glueless_seen_count++] = zone;
}

/*
 * A cut from a fresh referral whose addresses have all had their tries:
 * those that only stayed silent (lost packets, not a useless answer, not
 * bogus data) get one more round, once per cut. A cut from the cache gets
 * it by asking the parent again (below), a fresh one did not: a zone with
 * one server failed after two lost packets, seconds before the request's
 * deadline. A server found dead meanwhile is not asked (server_choose),
 * and the per-name and per-request query limits still hold.
 */
static bool
cut_ask_again(struct engine_request *req, struct task *task)
{
	bool again = false;

	if (task->cut.asked_again)
		return false;
	task->cut.asked_again = true;
	for (unsigned i = 0; i < task->cut.server_count; i++) {
		struct cut_server *s = &task->cut.servers[i];

		for (unsigned j = 0; j < s->addr_count; j++) {
			struct cut_address *a = &s->addrs[j];

			if (!a->failed && a->sends >= req->engine->config.tries &&
			    !bogus_listed(req, task, a)) {
				a->sends = 0;
				again = true;
			}
		}
	}
	return again;
}

/*
 * Whether a name server without an address could only be looked up
 * through servers that are themselves being looked up: the closest cut the
 * cache knows for `name` came as a referral without glue in this request,
 * and each of its servers is on the task stack or inside that cut, with no
 * address cached. Its lookup would fail (task_resolve_server skips those
 * servers, task_refetch_cut does not ask the parent again).
 */
static bool
server_unreachable(struct engine_request *req, const ldns_rdf *name,
    struct engine_now now)
{
	ldns_rr_list *ns = NULL;
	ldns_rdf *zone = NULL;
	bool unreachable = true;
	unsigned labels = dname_labels(name);

	if (task_on_stack(req, name))
		return true;
	if (zone_table_lookup(__atomic_load_n(&req->engine->zones,
	    __ATOMIC_ACQUIRE), name, false) != NULL)
		return false;	/* a forward or stub zone reaches it */
	while (labels-- > 0 && ns == NULL) {
		ldns_rdf_deep_free(zone);
		if ((zone = dname_ancestor(name, labels)) == NULL)
			return false;
		ns = rrset_cache_lookup(req->engine->rrsets, zone,
		    LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, now.wall, RANK_REFERRAL,
		    NULL);
	}
	if (ns == NULL || !glueless_seen(req, zone))
		unreachable = false;
	for (size_t i = 0; unreachable && i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		const ldns_rdf *server = ldns_rr_rdf(rr, 0);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || server == NULL)
			continue;
		if (name_cached_address(req, server, now) ||
		    (!dname_in_bailiwick(server, zone) &&
		    !task_on_stack(req, server)))
			unreachable = false;
	}
	ldns_rr_list_deep_free(ns);
	ldns_rdf_deep_free(zone);
	return unreachable;
}

/*
 * A referral that closes a cycle of glueless delegations: no glue, and
 * each name server outside the new zone, without a cached address, and
 * reachable only through servers being looked up (server_unreachable).
 * The task fails at once, before the referral's DS or no-DS proof is
 * validated: keys fetched for a cut that can never be asked only cost
 * time (the cycle's first referral has its proof deferred for the same
 * reason: task_defer_referral). A trace (no cache) follows the cycle step
 * by step instead.
 */
static bool
referral_leads_nowhere(struct engine_request *req, const struct reply_view *v,
    struct engine_now now)
{
	size_t servers = 0;

	if ((req->flags & ENGINE_REQUEST_NO_CACHE) ||
	    (v->glue != NULL && ldns_rr_list_rr_count(v->glue) > 0))
		return false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(v->ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(v->ns, i);
		const ldns_rdf *server = ldns_rr_rdf(rr, 0);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS || server == NULL)
			continue;
		servers++;
		if (dname_in_bailiwick(server, v->referral_zone) ||
		    name_cached_address(req, server, now) ||
		    !server_unreachable(req, server, now))
			return false;
	}
	return servers > 0;
}

/*
 * The cut's servers are all used up. Before giving up, look again at what
 * may have changed since the cut was made (RFC 1034 §5.3.3 step 4, as
 * Unbound and Knot do):
 *  - a server's addresses may have expired meanwhile (the child's A TTL is
 *    often shorter than the NS set's): read the cache again, and resolve
 *    an out-of-zone name again when the cache no longer knows it;
 *  - a cut taken from the cache may have lost its glue, or hold only the
 *    child's addresses for its servers when those do not answer: ask the
 *    parent again for the referral and its glue (not when the parent gave
 *    this very request the referral without glue: a cycle of glueless
 *    delegations came back to it, and the answer would be the same).
 * Each server is looked at once per cut, and a cut from a fresh referral
 * is never fetched again, so this ends. Returns true when there is
 * something new to try.
 */
static bool
task_refetch_cut(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	bool progress = false;
	unsigned labels;

	for (unsigned i = 0; i < task->cut.server_count; i++) {
		struct cut_server *s = &task->cut.servers[i];
		unsigned before = s->addr_count;

		if (s->looked_again || s->state == SERVER_ADDRESS_RESOLVING)
			continue;
		s->looked_again = true;
		server_addresses_from_cache(req, task, s, now);
		if (s->addr_count > before) {
			progress = true;
			continue;
		}
		/*
		 * Only a server that had addresses: one whose lookup failed
		 * in this request (or was skipped as a cycle) fails again.
		 */
		if (!dname_in_bailiwick(s->name, task->cut.zone) &&
		    s->state == SERVER_ADDRESS_KNOWN &&
		    !server_cached_address(req, s, now)) {
			/* Expired: its owner zone may know a new address. */
			s->state = SERVER_ADDRESS_UNKNOWN;
			s->resolving_type = LDNS_RR_TYPE_A;
			progress = true;
		}
	}
	if (progress)
		return true;
	/* A fresh cut, or one whose parent gave no glue (a cycle): not again. */
	if (!task->cut.from_cache || glueless_seen(req, task->cut.zone))
		return cut_ask_again(req, task);
	labels = dname_labels(task->cut.zone);
	{
		struct engine_event ev = { 0 };

		ev.u.fallback.what = "parent-referral";
		task_event(req, task, EV_FALLBACK, &ev, now);
	}
	if (labels == 0)
		task_set_hints_cut(req, task, now);
	else
		/* False: priming goes first, and then we come back here. */
		(void)task_find_cut_from(req, task, labels - 1, now);
	return true;
}
static void task_resume_parked(struct engine_request *, struct task *,
    struct engine_now);
static void task_judge_parked(struct engine_request *, struct task *,
    struct parked_reply *, struct engine_now);

static bool
cut_has_address(const struct task *task)
{
	for (unsigned i = 0; i < task->cut.server_count; i++)
		if (task->cut.servers[i].addr_count > 0)
			return true;
	return false;
}

/* Whether any server of the cut is still being tried or resolvable. */
static const char *
cut_failure_reason(const struct task *task)
{
	bool any_address = false;

	for (unsigned i = 0; i < task->cut.server_count; i++)
		if (task->cut.servers[i].addr_count > 0)
			any_address = true;
	return any_address ? "no server of the zone gave a usable answer" :
	    "no address for any name server of the zone";
}

/*
 * The request's time is up (LIMIT_REQUEST_TIME_MS): every task fails with
 * EDE 22, as Knot Resolver's KR_RESOLVE_TIME_LIMIT does, and the answer is
 * a SERVFAIL, or stale data when serve-stale allows it. Queries still out
 * are no longer waited for; their servers are not blamed, since the
 * deadline, not the server, cut them short.
 */
void
iterator_expire(struct engine_request *req, struct engine_now now)
{
	struct task *task = req->tasks[req->task_count - 1];

	limit_hit(req, task, "LIMIT_REQUEST_TIME_MS",
	    req->engine->config.request_timeout_ms, now);
	req->hedge_at_ms = 0;
	for (unsigned i = 0; i < req->inflight_used; i++) {
		struct inflight_query *q = &req->inflight[i];

		if (q->role != INFLIGHT_TASK) {
			engine_inflight_free(q);
			continue;
		}
		free(q->held);
		q->held = NULL;
		q->state = INFLIGHT_IDLE;
	}
	while (req->task_count > 1) {
		task_fail(req, task, ENGINE_EDE_NO_REACHABLE_AUTHORITY,
		    "request took too long", now);
		task_free(task);
		req->task_count--;
		task = req->tasks[req->task_count - 1];
	}
	if (!task->finished)
		task_fail(req, task, ENGINE_EDE_NO_REACHABLE_AUTHORITY,
		    "request took too long", now);
	engine_finish_request(req, now);
}

/*
 * Judges the referral proof of the task's cut (task_defer_referral); a
 * DNSKEY or DS sub-task may be pushed for it (the task's reply parked).
 */
static void
judge_deferred(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	struct parked_reply *p = task->cut.deferred;

	task->cut.deferred = NULL;
	task_judge_parked(req, task, p, now);
}

/*
 * Whether the deferred proof of the task's cut is judged after the first
 * query to the cut is sent (iterator_judge_due), so that its signature
 * checks (and any keys its parent's zone still needs) overlap that query's
 * round trip instead of coming before it. What is sent does not change,
 * and the reply is held until the proof is judged. Not in a trace (no
 * cache: each step in order), not for a DNSKEY task (it may take over a
 * keys-ahead reply at once: task_adopt_ahead), nor while another task's
 * query is early (one at a time).
 */
static bool
judge_after_send(struct engine_request *req, const struct task *task)
{
	return !(req->flags & ENGINE_REQUEST_NO_CACHE) &&
	    task->qtype != LDNS_RR_TYPE_DNSKEY &&
	    engine_inflight_find(req, INFLIGHT_EARLY) == NULL;
}

void
iterator_judge_due(struct engine_request *req, struct engine_now now)
{
	struct task *task = req->tasks[req->task_count - 1];
	struct inflight_query *q = engine_inflight_task(req);

	req->judge_due = false;
	if (task->finished || task->cut.deferred == NULL)
		return;
	/*
	 * Out: held, not judged, should its reply come while the proof
	 * waits for a sub-task (its own query is then the task's entry).
	 */
	if (q != NULL && q->state == INFLIGHT_SENT) {
		q->role = INFLIGHT_EARLY;
		task->early = true;
	}
	judge_deferred(req, task, now);
	/* Judged at once: the query is the task's again. */
	if (task->early && task->parked == NULL)
		(void)task_adopt_early(req, task, false, now);
}

bool
iterator_step(struct engine_request *req, struct engine_now now)
{
	for (;;) {
		struct task *task = req->tasks[req->task_count - 1];
		int si, ai;
		bool forced;

		if (!task->finished && now.ms >= engine_request_deadline(req)) {
			iterator_expire(req, now);
			return false;
		}
		if (task->finished) {
			if (task->early)
				(void)task_adopt_early(req, task, false, now);
			if (req->task_count == 1) {
				engine_finish_request(req, now);
				return false;
			}
			req->task_count--;
			task_absorb(req, req->tasks[req->task_count - 1], task,
			    now);
			task_free(task);
			continue;
		}
		if (task->parked != NULL) {
			/* A DS/DNSKEY sub-task came back: judge the reply again. */
			task_resume_parked(req, task, now);
			continue;
		}
		if (task->cut.zone == NULL) {
			if (task_answer_from_cache(req, task, now))
				continue;
			if (!task_find_cut(req, task, now))
				continue;	/* priming first */
			if (task->finished)
				continue;	/* no memory for the cut */
		}
		if (task->early && task_adopt_early(req, task, true, now))
			return true;
		if (task->cut.deferred != NULL && cut_has_address(task) &&
		    !judge_after_send(req, task)) {
			/* Its referral's DS proof before the cut is asked. */
			judge_deferred(req, task, now);
			continue;
		}
		if (task_adopt_ahead(req, task, now))
			return true;
		forced = task->forced_server >= 0;
		if (task_pick_server(req, task, &si, &ai, now)) {
			struct inflight_query *q = engine_inflight_task(req);

			if (q == NULL &&
			    (q = engine_inflight_new(req, INFLIGHT_TASK)) == NULL) {
				task_fail(req, task, ENGINE_EDE_OTHER,
				    "no room for a query in flight", now);
				continue;
			}
			if (task_send(req, task, q, si, ai, now)) {
				/* A retry (TCP, no EDNS, no 0x20) is not hedged. */
				if (!forced)
					plan_hedge(req, now);
				if (task->cut.deferred != NULL)
					req->judge_due = true;	/* once sent */
				plan_keys_ahead(req, task, now);
				return true;
			}
			continue;	/* the task failed */
		}
		if (task->cut.deferred != NULL && cut_has_address(task)) {
			/* Nobody to ask now: judged as before asking. */
			judge_deferred(req, task, now);
			continue;
		}
		if (task_resolve_server(req, task, now))
			continue;
		if (task->cut.forward && task->cut.forward_first) {
			task_forward_fallback(req, task, now);
			continue;
		}
		if (task_refetch_cut(req, task, now))
			continue;
		task_fail(req, task, ENGINE_EDE_NO_REACHABLE_AUTHORITY,
		    cut_failure_reason(task), now);
	}
}

/* ---- replies ---- */

static void
on_dropped(void *ctx, const ldns_rr *rr, const char *why)
{
	struct engine_request *req = ctx;
	struct engine_event ev = { 0 };

	ev.u.dropped.rr = rr;
	ev.u.dropped.why = why;
	ev.kind = EV_RECORD_DROPPED;
	engine_emit(req, &ev, req->tasks[req->task_count - 1],
	    (struct engine_now){ 0, 0 });
}

/*
 * Moves the task to the alias target. Returns false when the task was
 * finished instead (a loop, too many hops).
 */
static bool
task_follow_alias(struct engine_request *req, struct task *task,
    const ldns_rdf *target, struct engine_now now)
{
	struct engine_event ev = { 0 };
	ldns_rr_list *chain = task->chain;
	ldns_rdf *qname;
	size_t n = chain != NULL ? ldns_rr_list_rr_count(chain) : 0;

	if (++task->alias_hops > LIMIT_ALIAS_HOPS) {
		limit_hit(req, task, "LIMIT_ALIAS_HOPS", LIMIT_ALIAS_HOPS, now);
		task_fail(req, task, ENGINE_EDE_OTHER, "alias chain too long",
		    now);
		return false;
	}
	for (size_t i = 0; i + 1 < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(chain, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    dname_equal(ldns_rr_owner(rr), target)) {
			task_fail(req, task, ENGINE_EDE_OTHER, "CNAME loop", now);
			return false;
		}
	}
	if (dname_equal(req->question.name, target) && task->depth == 0) {
		task_fail(req, task, ENGINE_EDE_OTHER, "CNAME loop", now);
		return false;
	}
	/*
	 * A DNAME met twice: its target lies below its owner (or a set of
	 * DNAMEs points in a circle), so every substitution leads back to it.
	 */
	for (size_t i = 0; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(chain, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNAME)
			continue;
		for (size_t j = i + 1; j < n; j++)
			if (ldns_rr_get_type(ldns_rr_list_rr(chain, j)) ==
			    LDNS_RR_TYPE_DNAME && dname_equal(ldns_rr_owner(rr),
			    ldns_rr_owner(ldns_rr_list_rr(chain, j)))) {
				task_fail(req, task, ENGINE_EDE_OTHER,
				    "DNAME loop", now);
				return false;
			}
	}
	ev.u.alias.rr = n > 0 ? ldns_rr_list_rr(chain, n - 1) : NULL;
	ev.u.alias.target = target;
	ev.u.alias.hop = task->alias_hops;
	task_event(req, task, EV_ALIAS, &ev, now);
	if ((qname = ldns_rdf_clone(target)) == NULL) {
		task_oom(req, task, now);
		return false;
	}
	ldns_rdf_deep_free(task->qname);
	task->qname = qname;
	ldns_dname2canonical(task->qname);
	zonecut_clear(&task->cut);
	task->from_hints = false;
	task->qmin_off = false;
	task->no_forward = false;	/* the target may have forwarders of its own */
	return true;
}

/* Whether `list` holds the very record `rr` (not a copy). */
static bool
list_holds(const ldns_rr_list *list, const ldns_rr *rr)
{
	for (size_t i = 0; list != NULL && i < ldns_rr_list_rr_count(list); i++)
		if (ldns_rr_list_rr(list, i) == rr)
			return true;
	return false;
}

/*
 * The proof DO clients get with an answer: NSEC/NSEC3 records with their
 * RRSIGs, and the SOA's RRSIGs for a negative answer (a wildcard
 * expansion's proof of no closer name has no SOA). Under AD (a secure
 * view) only the proof RRsets the validator verified (reply.h
 * proof_verified): a record it skipped or could not verify is the
 * upstream's claim, not validated data, and would reach the client and the
 * caches as if it were (Unbound and Knot Resolver give out only records
 * that validated). Not secure (insecure, not validated, CD), the client
 * judges for itself and gets them as the server sent them, as Unbound
 * passes such a message on. A list borrowing the view's records
 * (ldns_rr_list_free), NULL when there is none.
 */
static ldns_rr_list *
denial_proof(const struct reply_view *v, bool negative)
{
	ldns_rr_list *proof = ldns_rr_list_new();
	bool secure = v->status == SEC_SECURE;
	const ldns_rdf *apex = ldns_rr_list_rr_count(v->soa) > 0 ?
	    ldns_rr_owner(ldns_rr_list_rr(v->soa, 0)) : NULL;

	for (size_t i = 0; proof != NULL && i < ldns_rr_list_rr_count(v->nsec);
	    i++) {
		ldns_rr *rr = ldns_rr_list_rr(v->nsec, i);

		if (!secure || list_holds(v->proof_verified, rr))
			ldns_rr_list_push_rr(proof, rr);
	}
	for (size_t i = 0; proof != NULL && i < ldns_rr_list_rr_count(v->sigs);
	    i++) {
		ldns_rr *rr = ldns_rr_list_rr(v->sigs, i);
		ldns_rr_type t = ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));

		if ((negative && t == LDNS_RR_TYPE_SOA && (!secure ||
		    (apex != NULL && dname_equal(ldns_rr_owner(rr), apex)))) ||
		    ((t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3) &&
		    (!secure || list_holds(v->proof_verified, rr))))
			ldns_rr_list_push_rr(proof, rr);
	}
	if (proof != NULL && ldns_rr_list_rr_count(proof) == 0) {
		ldns_rr_list_free(proof);
		proof = NULL;
	}
	return proof;
}

/*
 * Caches what a reply taught us; only scrubbed data gets here. This is the
 * one door from replies into the caches, so it is where a DNSSEC validator
 * goes: verify the view's RRsets (and fetch DS/DNSKEY as sub-tasks) before
 * storing them, and store the security status with the rank.
 */
static void
cache_reply(struct engine_request *req, const struct task *task,
    const struct reply_view *v, ldns_rr_type sent_qtype,
    struct engine_now now)
{
	struct engine *engine = req->engine;
	enum rrset_rank answer_rank = v->authoritative ? RANK_AUTH_ANSWER :
	    RANK_ANSWER;
	enum sec_status status = v->status;
	/* Asked without looking in the cache (a prefetch): renew the answer. */
	bool refresh = !task_uses_cache(req, task);
	ldns_rr_list *wildcard;

	/* Referral NS sets and glue are never signed: nothing to vouch for. */
	if (v->klass == REPLY_REFERRAL) {
		cache_store_rrsets(engine, v->ns, NULL, NULL, RANK_REFERRAL,
		    SEC_UNCHECKED, now.wall, false);
		cache_store_rrsets(engine, v->glue, NULL, NULL, RANK_GLUE,
		    SEC_UNCHECKED, now.wall, false);
		return;
	}
	/* A wildcard expansion's proof, kept with its RRset. */
	wildcard = wildcard_expanded(v->sigs, v->chain) ||
	    wildcard_expanded(v->sigs, v->answer) ? denial_proof(v, false) :
	    NULL;
	if (v->chain != NULL) {
		/* Our own synthesised CNAMEs follow their DNAME: skip those. */
		ldns_rr_list *real = ldns_rr_list_new();

		for (size_t i = 0; real != NULL &&
		    i < ldns_rr_list_rr_count(v->chain); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(v->chain, i);

			if (i > 0 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_get_type(ldns_rr_list_rr(v->chain, i - 1)) ==
			    LDNS_RR_TYPE_DNAME)
				continue;
			ldns_rr_list_push_rr(real, (ldns_rr *)rr);
		}
		cache_store_rrsets(engine, real, v->sigs, wildcard, answer_rank,
		    status, now.wall, refresh);
		ldns_rr_list_free(real);
	}
	cache_store_rrsets(engine, v->answer, v->sigs, wildcard, answer_rank,
	    status, now.wall, refresh);
	ldns_rr_list_free(wildcard);
	aggressive_learn_wildcard(engine, v, now.wall);
	/* The zone's own NS set beside an answer: not part of the verdict. */
	if (v->authoritative && v->ns != NULL && v->referral_zone != NULL &&
	    dname_equal(v->referral_zone, task->cut.zone))
		cache_store_rrsets(engine, v->ns, NULL, NULL,
		    RANK_AUTH_AUTHORITY, SEC_UNCHECKED, now.wall, false);
	cache_store_rrsets(engine, v->glue, NULL, NULL, RANK_GLUE,
	    SEC_UNCHECKED, now.wall, false);
	if (v->klass == REPLY_NXDOMAIN || v->klass == REPLY_NODATA) {
		const ldns_rdf *name = v->target != NULL ? v->target :
		    task->qname;
		ldns_rr_list *proof = denial_proof(v, true);

		rrset_cache_store_negative(engine->rrsets, name,
		    sent_qtype, task->klass,
		    v->klass == REPLY_NXDOMAIN ? LDNS_RCODE_NXDOMAIN :
		    LDNS_RCODE_NOERROR, v->soa, proof, status,
		    negative_ttl(engine, v->soa), now.wall);
		ldns_rr_list_free(proof);
		aggressive_learn(engine, v, task->klass,
		    negative_ttl(engine, v->soa), now.wall);
	} else
		/*
		 * A secure wildcard answer's proof has no SOA of its own:
		 * the NSEC cache bounds it by the zone's (nsec_cache_store).
		 */
		aggressive_learn(engine, v, task->klass,
		    engine->config.cache_max_negative_ttl, now.wall);
}

static void
task_referral(struct engine_request *req, struct task *task,
    struct reply_view *v, struct engine_now now)
{
	struct engine_event ev = { 0 };

	if (++task->referrals > LIMIT_REFERRAL_DEPTH) {
		limit_hit(req, task, "LIMIT_REFERRAL_DEPTH",
		    LIMIT_REFERRAL_DEPTH, now);
		task_fail(req, task, ENGINE_EDE_OTHER, "too many referrals", now);
		return;
	}
	ev.u.referral.from_zone = task->cut.zone;
	ev.u.referral.to_zone = v->referral_zone;
	ev.u.referral.ns = v->ns;
	ev.u.referral.glue = v->glue;
	ev.u.referral.has_ds = v->has_ds;
	task_event(req, task, EV_REFERRAL, &ev, now);
	cache_reply(req, task, v, LDNS_RR_TYPE_NS, now);
	glueless_note(req, v);
	task_set_cut(req, task, v->referral_zone, v->ns, v->glue,
	    ADDR_SOURCE_GLUE, now);
	task->from_hints = false;
	emit_zonecut(req, task, false, now);
}

/* The reply answered the full question: the task ends or follows an alias. */
static void
task_final_reply(struct engine_request *req, struct task *task,
    struct reply_view *v, ldns_rr_type sent_qtype, struct engine_now now)
{
	cache_reply(req, task, v, sent_qtype, now);
	if (!list_append(&task->chain, v->chain)) {
		task_oom(req, task, now);
		return;
	}
	list_append_sigs(&task->sigs, v->sigs, v->chain);
	/* A wildcard expansion's proof of no closer name, for DO clients. */
	if (v->klass != REPLY_NXDOMAIN && v->klass != REPLY_NODATA &&
	    (wildcard_expanded(v->sigs, v->chain) ||
	    wildcard_expanded(v->sigs, v->answer))) {
		ldns_rr_list *proof = denial_proof(v, false);

		list_append(&task->proof, proof);
		ldns_rr_list_free(proof);
	}
	switch (v->klass) {
	case REPLY_ANSWER:
		list_append_sigs(&task->sigs, v->sigs, v->answer);
		task->answer = v->answer;
		v->answer = NULL;
		task_finish(req, task, LDNS_RCODE_NOERROR, ENGINE_EDE_NONE, NULL,
		    now);
		break;
	case REPLY_NXDOMAIN:
	case REPLY_NODATA:
		{
			ldns_rr_list *proof = denial_proof(v, true);

			list_append(&task->proof, proof);
			ldns_rr_list_free(proof);
		}
		task->soa = v->soa;
		v->soa = NULL;
		task_finish(req, task, v->klass == REPLY_NXDOMAIN ?
		    LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR, ENGINE_EDE_NONE,
		    NULL, now);
		break;
	default:	/* CNAME, DNAME */
		task_follow_alias(req, task, v->target, now);
		break;
	}
}

/* Acts on a reply the validator has judged: the cut moves, or the task ends. */
static void
task_accept_reply(struct engine_request *req, struct task *task,
    struct parked_reply *p, struct engine_now now)
{
	struct reply_view *v = &p->v;

	if (v->klass == REPLY_REFERRAL) {
		task_referral(req, task, v, now);
		return;
	}
	if (v->status == SEC_BOGUS) {
		/* Bogus data is never cached nor given out (RFC 4035 §5.5). */
		task_fail(req, task, v->ede >= 0 ? (enum engine_ede)v->ede :
		    ENGINE_EDE_DNSSEC_BOGUS, v->sec_why != NULL ? v->sec_why :
		    "DNSSEC validation failed", now);
		task->sec = SEC_BOGUS;
		task->sec_ede = v->ede;
		task->sec_why = v->sec_why;
		return;
	}
	if (req->validate)
		task_take_status(task, v->status, v->ede, v->sec_why);
	task_final_reply(req, task, v, p->sent_qtype, now);
}

static bool
need_equal(const struct val_need *a, const struct val_need *b)
{
	return a->name != NULL && b->name != NULL && a->type == b->type &&
	    dname_equal(a->name, b->name);
}

/*
 * Whether a bogus verdict on the parked reply can be retried (Unbound's
 * validator restart): the request has restarts left and the cut another
 * address, besides the one that sent it, still worth asking.
 */
static bool
bogus_restart_possible(const struct engine_request *req,
    const struct task *task, const struct parked_reply *p)
{
	if (!req->validate || req->dnssec_restarts >= LIMIT_DNSSEC_RESTARTS ||
	    p->server < 0 || (unsigned)p->server >= task->cut.server_count)
		return false;
	for (unsigned i = 0; i < task->cut.server_count; i++) {
		const struct cut_server *s = &task->cut.servers[i];

		for (unsigned j = 0; j < s->addr_count; j++) {
			const struct cut_address *a = &s->addrs[j];

			if ((int)i == p->server && (int)j == p->address)
				continue;
			if (!a->failed && a->sends < req->engine->config.tries &&
			    !bogus_listed(req, task, a))
				return true;
		}
	}
	return false;
}

/*
 * The parked reply is bogus through its own records: its server is left
 * out for the zone for the rest of the request and the task asks another
 * one, as Unbound's validator does, so that one broken or forged copy
 * (a stale secondary, an on-path forger) does not fail a zone whose other
 * servers are fine. At most LIMIT_DNSSEC_RESTARTS per request.
 */
static void
task_restart_bogus(struct engine_request *req, struct task *task,
    const struct parked_reply *p, struct engine_now now)
{
	struct cut_address *a = &task->cut.servers[p->server].addrs[p->address];
	struct bogus_server *b = &req->bogus[req->dnssec_restarts];
	struct engine_event ev = { 0 };

	if ((b->zone = ldns_rdf_clone(task->cut.zone)) == NULL) {
		task_oom(req, task, now);
		return;
	}
	b->addr = a->addr;
	b->addrlen = a->addrlen;
	req->dnssec_restarts++;
	a->failed = true;
	STAT_ADD(req->engine, dnssec_restarts, 1);
	ev.u.fallback.what = "dnssec-restart";
	ev.u.fallback.addr = (const struct sockaddr *)&a->addr;
	task_event(req, task, EV_FALLBACK, &ev, now);
}

/*
 * Runs the validator over the parked reply; when it needs a DS or DNSKEY
 * first, pushes the sub-task that fetches it and keeps the reply parked.
 */
static void
task_resume_parked(struct engine_request *req, struct task *task,
    struct engine_now now)
{
	struct parked_reply *p = task->parked;
	struct val_need need;
	bool decided = false, restartable = p->deferred ? p->restartable :
	    bogus_restart_possible(req, task, p);

	task->bogus_restartable = restartable;

	for (unsigned round = 0; round < 4 && !decided; round++) {
		struct task *sub;

		if (validator_check_reply(req, task, &p->v, p->sent_qname,
		    p->sent_qtype, now, &need) == VAL_DONE) {
			decided = true;
			break;
		}
		if (need_equal(&need, &task->need) ||
		    req->subrequests >= LIMIT_SUBREQUESTS ||
		    req->task_count >= TASKS_MAX) {
			/* Fetched already and still missing, or no room: broken. */
			if (req->subrequests >= LIMIT_SUBREQUESTS)
				limit_hit(req, task, "LIMIT_SUBREQUESTS",
				    LIMIT_SUBREQUESTS, now);
			else if (req->task_count >= TASKS_MAX)
				limit_hit(req, task, "LIMIT_SUBREQUEST_DEPTH",
				    LIMIT_SUBREQUEST_DEPTH, now);
			validator_need_failed(req, task, &need, now);
			ldns_rdf_deep_free(need.name);
			continue;
		}
		sub = task_new(req, need.name, need.type, LDNS_RR_CLASS_IN,
		    SUBREQ_DNSSEC, now);
		if (sub == NULL || !push_task(req, sub)) {
			task_free(sub);
			validator_need_failed(req, task, &need, now);
			ldns_rdf_deep_free(need.name);
			continue;
		}
		ldns_rdf_deep_free(task->need.name);
		task->need = need;
		task->bogus_restartable = false;
		return;		/* parked until the sub-task is done */
	}
	task->parked = NULL;
	task->bogus_restartable = false;
	if (!decided) {
		/* No verdict: never pass the data on unchecked. */
		p->v.status = SEC_BOGUS;
		p->v.ede = ENGINE_EDE_DNSSEC_BOGUS;
		p->v.sec_why = "chain of trust could not be built";
		p->v.sec_retry = false;
	}
	if (p->deferred)
		;	/* followed already: the verdict went to the key cache */
	else if (restartable && p->v.status == SEC_BOGUS && p->v.sec_retry &&
	    p->v.klass != REPLY_REFERRAL)
		task_restart_bogus(req, task, p, now);
	else
		task_accept_reply(req, task, p, now);
	/* The reply that answers the client is freed after the answer. */
	if (task == req->tasks[0] && task->finished &&
	    req->spent_parked == NULL)
		req->spent_parked = p;
	else
		parked_free(p);
}

/* Lets the validator judge `p` now, as task_park_reply does. */
static void
task_judge_parked(struct engine_request *req, struct task *task,
    struct parked_reply *p, struct engine_now now)
{
	ldns_rdf_deep_free(task->need.name);
	memset(&task->need, 0, sizeof(task->need));
	task->parked = p;
	task_resume_parked(req, task, now);
}

/*
 * Moves the view into a new parked reply, with the question sent and the
 * server asked; fails the task when out of memory (NULL).
 */
static struct parked_reply *
parked_new(struct engine_request *req, struct task *task,
    struct reply_view *v, struct engine_now now)
{
	const struct inflight_query *q = engine_inflight_task(req);
	struct parked_reply *p = calloc(1, sizeof(*p));

	if (p == NULL ||
	    (p->sent_qname = ldns_rdf_clone(q->sent_qname)) == NULL) {
		free(p);
		task_fail(req, task, ENGINE_EDE_OTHER, "out of memory", now);
		return NULL;
	}
	dname_canonical(p->sent_qname);
	p->v = *v;
	memset(v, 0, sizeof(*v));
	p->sent_qtype = q->sent_qtype;
	p->server = q->server;
	p->address = q->address;
	return p;
}

/* Moves the view into a parked reply and lets the validator judge it. */
static void
task_park_reply(struct engine_request *req, struct task *task,
    struct reply_view *v, bool minimised, struct engine_now now)
{
	struct parked_reply *p = parked_new(req, task, v, now);

	if (p == NULL)
		return;
	p->minimised = minimised;
	task_judge_parked(req, task, p, now);
}

/*
 * A referral (validating, not tracing): followed at once, its DS or no-DS
 * proof judged only once the new cut has an address (iterator_step), right
 * after the first query to the cut is sent (judge_after_send), or else
 * before it. A cut whose servers can never be reached (a delegation cycle
 * that referral_leads_nowhere cannot see yet) then fails without fetching
 * its parent's keys, which only that proof needed. The referral itself is
 * never failed by its proof (check_referral): its verdict only fills the
 * key cache, which the child's answers are judged with later.
 */
static bool
referral_proof_deferrable(const struct engine_request *req)
{
	return req->validate && !(req->flags & ENGINE_REQUEST_NO_CACHE);
}

static void
task_defer_referral(struct engine_request *req, struct task *task,
    struct reply_view *v, struct engine_now now)
{
	struct parked_reply *p = parked_new(req, task, v, now);

	if (p == NULL)
		return;
	/*
	 * As if judged now: a bogus DS from one of the parent's servers does
	 * not mark the child bad while another is left (the DS is fetched
	 * again for the child's answers, and that fetch is restarted).
	 */
	p->restartable = bogus_restart_possible(req, task, p);
	p->server = p->address = -1;	/* the parent's cut is gone */
	/* The parent's keys: had, or the next link (asked ahead already). */
	if (p->v.has_ds)
		p->ds_ahead = validator_keys_next(req, task->cut.zone,
		    now.wall) || validator_keys_held(req, task->cut.zone,
		    now.wall);
	p->deferred = true;
	task_referral(req, task, &p->v, now);
	if (task->finished || task->cut.zone == NULL) {
		parked_free(p);
		return;
	}
	task->cut.deferred = p;
}

static void
fallback(struct engine_request *req, struct task *task, const char *what,
    struct engine_now now)
{
	const struct inflight_query *q = engine_inflight_task(req);
	struct engine_event ev = { 0 };

	ev.u.fallback.what = what;
	ev.u.fallback.addr = &q->addr.sa;
	task_event(req, task, EV_FALLBACK, &ev, now);
	task->forced_server = q->server;
	task->forced_address = q->address;
}

/*
 * Caches the NOERROR (an answer or NODATA with AA) to a minimised A
 * question, so that the names below it skip that question while it is
 * fresh (task_qmin_skip_known). The reply was not validated, so it is
 * stored unchecked, the proof kept: a validating request never answers a
 * client from it (cache_entry_usable) and asks the question itself, and
 * validated data replaces it. Without validation it is what the full
 * question would have brought.
 */
static void
qmin_remember(struct engine_request *req, const struct task *task,
    const struct reply_view *v, struct engine_now now)
{
	struct engine *engine = req->engine;
	const struct inflight_query *q = engine_inflight_task(req);
	ldns_rdf *name;
	ldns_rr_list *proof;

	if (!v->authoritative || q->sent_qtype != LDNS_RR_TYPE_A ||
	    task->cut.forward)
		return;
	if (v->klass == REPLY_ANSWER) {
		ldns_rr_list *wildcard = wildcard_expanded(v->sigs, v->answer) ?
		    denial_proof(v, false) : NULL;

		cache_store_rrsets(engine, v->answer, v->sigs, wildcard,
		    RANK_AUTH_ANSWER, SEC_UNCHECKED, now.wall, false);
		ldns_rr_list_free(wildcard);
		return;
	}
	if (v->klass != REPLY_NODATA ||
	    (name = ldns_rdf_clone(q->sent_qname)) == NULL)
		return;
	ldns_dname2canonical(name);	/* 0x20 */
	proof = denial_proof(v, true);
	rrset_cache_store_negative(engine->rrsets, name, LDNS_RR_TYPE_A,
	    task->klass, LDNS_RCODE_NOERROR, v->soa, proof, SEC_UNCHECKED,
	    negative_ttl(engine, v->soa), now.wall);
	ldns_rr_list_free(proof);
	ldns_rdf_deep_free(name);
}

static void
emit_reply(struct engine_request *req, const struct task *task,
    const struct inflight_query *q, const ldns_pkt *pkt, size_t size,
    uint32_t rtt_ms, enum reply_class klass, const char *error,
    struct engine_now now)
{
	struct engine_event ev = { 0 };
	const struct cut_server *s = q->server >= 0 ?
	    &task->cut.servers[q->server] : NULL;

	ev.u.query.send_id = q->send_id;
	ev.u.query.zone = task->cut.zone;
	ev.u.query.server_name = s != NULL ? s->name : NULL;
	ev.u.query.addr = &q->addr.sa;
	ev.u.query.addr_source = s != NULL ? s->addrs[q->address].source :
	    ADDR_SOURCE_DIRECT;
	ev.u.query.transport = q->transport;
	ev.u.query.sent_qname = q->sent_qname;
	ev.u.query.sent_qtype = q->sent_qtype;
	ev.u.query.edns = q->edns;
	ev.u.query.attempt = q->attempt;
	ev.u.query.reply = pkt;
	ev.u.query.reply_size = size;
	ev.u.query.rtt_ms = rtt_ms;
	ev.u.query.reply_class = klass;
	ev.u.query.error = error;
	task_event(req, task, pkt != NULL ? EV_REPLY :
	    error != NULL ? EV_NET_ERROR : EV_TIMEOUT, &ev, now);
}

void
iterator_reply(struct engine_request *req, ldns_pkt *pkt, size_t size,
    uint32_t rtt_ms, struct engine_now now)
{
	struct task *task = req->tasks[req->task_count - 1];
	const struct inflight_query *q = engine_inflight_task(req);
	struct cut_address *a = &task->cut.servers[q->server].addrs[q->address];
	const struct sockaddr *sa = &q->addr.sa;
	struct engine *engine = req->engine;
	struct reply_context ctx = {
		.zone = task->cut.zone, .qname = q->sent_qname,
		.qtype = q->sent_qtype, .klass = task->klass,
		.recursive = task->cut.forward,
		.dropped = on_dropped, .dropped_ctx = req,
	};
	struct reply_view v;
	bool minimised = !dname_equal(q->sent_qname, task->qname) ||
	    q->sent_qtype != task->qtype;

	if (pkt == NULL) {
		server_report_failure(engine->servers, sa, false, now.ms);
		emit_reply(req, task, q, NULL, size, rtt_ms, REPLY_MALFORMED,
		    "reply does not parse", now);
		a->failed = true;
		return;
	}
	if (ldns_pkt_tc(pkt) && q->transport == ENGINE_UDP) {
		emit_reply(req, task, q, pkt, size, rtt_ms, REPLY_TRUNCATED, NULL,
		    now);
		a->use_tcp = true;
		fallback(req, task, "tcp", now);
		return;
	}
	if (ldns_pkt_tc(pkt)) {
		/* TC over TCP: the server cannot give the whole answer at all. */
		server_report_failure(engine->servers, sa, false, now.ms);
		emit_reply(req, task, q, pkt, size, rtt_ms, REPLY_MALFORMED,
		    "truncated over TCP", now);
		a->failed = true;
		return;
	}
	/*
	 * An observer (the trace) reads the whole reply when told of it:
	 * then the view copies what it keeps. Without one it takes the
	 * records out of the packet, for ~6 allocations less a record.
	 */
	if (!(req->observer != NULL ? reply_scrub(pkt, &ctx, &v) :
	    reply_scrub_take(pkt, &ctx, &v))) {
		task_fail(req, task, ENGINE_EDE_OTHER, "out of memory", now);
		return;
	}
	private_scrub(__atomic_load_n(&engine->privates, __ATOMIC_ACQUIRE), &ctx,
	    &v);	/* DNS rebinding: before anything is classified or cached */
	reply_classify(pkt, &ctx, &v);
	emit_reply(req, task, q, pkt, size, rtt_ms, v.klass, v.why, now);
	switch (v.klass) {
	case REPLY_FORMERR:
	case REPLY_NOTIMP:
		if (q->edns) {
			server_set_quirk(engine->servers, sa, SERVER_NO_EDNS,
			    now.ms);
			fallback(req, task, "no-edns", now);
			break;
		}
		/* FALLTHROUGH */
	case REPLY_SERVFAIL:
		if (minimised && !task->qmin_off) {
			/* RFC 9156 §2.3: some servers choke on minimised queries. */
			task->qmin_off = true;
			fallback(req, task, "no-qmin", now);
			break;
		}
		/* FALLTHROUGH */
	case REPLY_REFUSED:
	case REPLY_LAME:
	case REPLY_UPWARD_REFERRAL:
		/*
		 * The server answers, just not for this zone: its RTT counts
		 * for every zone, its lameness for this one only.
		 */
		server_report_rtt(engine->servers, sa, rtt_ms);
		server_report_lame(engine->servers, sa,
		    ldns_rdf_data(task->cut.zone), ldns_rdf_size(task->cut.zone),
		    now.ms);
		a->failed = true;
		break;
	case REPLY_MALFORMED:
	case REPLY_TRUNCATED:
		server_report_failure(engine->servers, sa, false, now.ms);
		a->failed = true;
		break;
	case REPLY_REFERRAL:
		server_report_rtt(engine->servers, sa, rtt_ms);
		if (referral_leads_nowhere(req, &v, now)) {
			task_fail(req, task, ENGINE_EDE_NO_REACHABLE_AUTHORITY,
			    "dependency cycle: no name server of the zone can "
			    "be reached", now);
			break;
		}
		if (referral_proof_deferrable(req)) {
			task_defer_referral(req, task, &v, now);
			break;
		}
		task_park_reply(req, task, &v, minimised, now);
		break;
	case REPLY_NXDOMAIN:
		server_report_rtt(engine->servers, sa, rtt_ms);
		if (minimised) {
			/*
			 * RFC 9156 §2.3, relaxed (Unbound's default): servers
			 * answer NXDOMAIN for empty non-terminals, so ask the
			 * full name instead of believing that nothing exists
			 * below. The RFC 8020 shortcut is kept only where it is
			 * safe: an NXDOMAIN to the full question is cached, and
			 * covers the names below it once validated secure
			 * (rrset_cache_lookup_negative, as Unbound's
			 * harden-below-nxdomain); a minimised one is not cached.
			 */
			task->qmin_off = true;
			fallback(req, task, "no-qmin", now);
			break;
		}
		task_park_reply(req, task, &v, false, now);
		break;
	case REPLY_ANSWER:
	case REPLY_NODATA:
	case REPLY_CNAME:
	case REPLY_DNAME:
		server_report_rtt(engine->servers, sa, rtt_ms);
		if (minimised && v.klass == REPLY_NODATA && !v.authoritative) {
			/* A negative without AA: not trusted to tell names apart. */
			task->qmin_off = true;
			fallback(req, task, "no-qmin", now);
			break;
		}
		if (minimised) {
			qmin_remember(req, task, &v, now);
			/* The name exists above the target: one label more. */
			if (++task->qmin_labels - dname_labels(task->cut.zone) >
			    QMIN_MAX_STEPS)
				task->qmin_off = true;
			/*
			 * The server answered: its tries count afresh for the
			 * next label, or a zone with one server could not be
			 * walked more than `tries` labels deep.
			 */
			a->sends = 0;
			break;
		}
		task_park_reply(req, task, &v, false, now);
		break;
	}
	reply_view_clear(&v);
}

void
iterator_timeout(struct engine_request *req, const struct inflight_query *q,
    const char *error, struct engine_now now)
{
	struct task *task = req->tasks[req->task_count - 1];
	struct cut_address *a = &task->cut.servers[q->server].addrs[q->address];

	server_report_failure(req->engine->servers, &q->addr.sa, true, now.ms);
	if (error != NULL) {
		STAT_ADD(req->engine, upstream_errors, 1);
		a->failed = true;
	} else
		STAT_ADD(req->engine, upstream_timeouts, 1);
	if (q->transport == ENGINE_TCP)
		a->failed = true;
	emit_reply(req, task, q, NULL, 0, 0, REPLY_MALFORMED, error, now);
}
