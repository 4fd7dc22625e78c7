/*
 * pending.c: questions being resolved by the engine and the clients waiting
 * for them. Identical questions in flight share one resolution; the list is
 * bounded per worker and per client address, and when it is full the oldest
 * request that has run long enough gives way (Unbound's jostling).
 */
#include <stdlib.h>
#include <string.h>

#include "client_table.h"
#include "dname.h"
#include "engine_limits.h"
#include "log.h"
#include "lru.h"
#include "observer.h"
#include "worker.h"

static struct pending **
pending_slot(struct worker *w, const uint8_t *key, size_t keylen,
    uint32_t hash)
{
	struct pending **slot = &w->pending[hash % PENDING_BUCKETS];

	for (; *slot != NULL; slot = &(*slot)->next)
		if ((*slot)->hash == hash && (*slot)->keylen == keylen &&
		    memcmp((*slot)->key, key, keylen) == 0)
			break;
	return slot;
}

static void
waiter_free(struct worker *w, struct waiter *waiter)
{
	if (waiter->counted)
		client_table_release(w->clients,
		    (const struct sockaddr *)&waiter->client.addr);
	if (waiter->client.tcp != NULL)
		tcp_conn_answered(waiter->client.tcp);
	free(waiter);
}

/* The worker's list of pending requests, oldest first, for jostling. */
static void
pending_link(struct worker *w, struct pending *p)
{
	p->started_ms = drive_now(w->drive).ms;
	p->older = w->newest;
	if (w->newest != NULL)
		w->newest->newer = p;
	else
		w->oldest = p;
	w->newest = p;
	w->pending_count++;
}

static void
pending_unlink(struct worker *w, struct pending *p)
{
	if (p->older != NULL)
		p->older->newer = p->newer;
	else
		w->oldest = p->newer;
	if (p->newer != NULL)
		p->newer->older = p->older;
	else
		w->newest = p->older;
	w->pending_count--;
}

/*
 * Makes room in a full request list: the oldest request gives way if it
 * has run for LIMIT_JOSTLE_MS (its clients have likely retried or given
 * up; under a flood of slow names it is the attacker's). Returns whether
 * there is room now.
 */
static bool
pending_make_room(struct worker *w)
{
	struct pending *oldest = w->oldest;

	if (w->pending_count < LIMIT_WORKER_REQUESTS)
		return true;
	if (oldest == NULL || drive_now(w->drive).ms - oldest->started_ms <
	    LIMIT_JOSTLE_MS)
		return false;
	oldest->jostled = true;
	drive_request_cancel(w->drive, oldest->request);	/* on_resolved */
	return w->pending_count < LIMIT_WORKER_REQUESTS;
}

/* Sends the request's answer (or a SERVFAIL) to one client; logs it. */
static void
waiter_answer(struct worker *w, struct waiter *waiter,
    const struct engine_result *result, const uint8_t *answer,
    size_t answer_len)
{
	int ede = result->rcode == LDNS_RCODE_SERVFAIL || result->stale ?
	    (int)result->ede : -1;
	size_t n = 0;

	if (answer != NULL)
		n = fastpath_reply(&waiter->query, answer, answer_len,
		    ede < 0 && result->rcode == LDNS_RCODE_SERVFAIL ?
		    ENGINE_EDE_OTHER : ede, result->ede_text,
		    waiter->client.tcp != NULL, w->reply, sizeof(w->reply));
	else
		worker_send_error(w, &waiter->client, waiter->query_wire,
		    waiter->query_len, &waiter->query, LDNS_RCODE_SERVFAIL);
	if (n > 0)
		worker_client_send(w, &waiter->client, w->reply, n);
	metrics_observe(&w->daemon->stats.latency,
	    uv_hrtime() - waiter->received_ns);
	if (log_enabled(LOG_LEVEL_DEBUG) || w->daemon->config.log_queries) {
		char name[256];
		ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
		    waiter->query.qname_len, waiter->query.qname);

		if (rdf != NULL)
			dname_str(rdf, name, sizeof(name));
		log_info("answer %s type %u rcode %d upstream %u "
		    "dnssec %s%s%s",
		    rdf != NULL ? name : "?", waiter->query.qtype,
		    (int)result->rcode, result->upstream_queries,
		    sec_status_name(result->security),
		    result->ede_text != NULL ? " why: " : "",
		    result->ede_text != NULL ? result->ede_text : "");
		ldns_rdf_deep_free(rdf);
	}
}

/*
 * The stale client timer went off (RFC 8767 §5): the clients waiting get
 * the stale answer now. The request stays in the list, as a refresh with
 * nobody waiting: clients asking the same question meanwhile get the
 * stale answer at once (pending_resolve) instead of starting another
 * refresh, and the fresh answer goes to the cache for those after them.
 */
static void
on_answered(struct engine_request *request, void *arg)
{
	struct pending *p = arg;
	struct worker *w = p->worker;
	struct engine_result result;
	const uint8_t *answer;
	size_t answer_len = 0;
	struct waiter *waiter, *next;

	engine_request_result(request, &result);
	answer = engine_request_answer(request, &answer_len);
	for (waiter = p->waiters; waiter != NULL; waiter = next) {
		next = waiter->next;
		waiter_answer(w, waiter, &result, answer, answer_len);
		waiter_free(w, waiter);
	}
	p->waiters = NULL;
	p->waiter_count = 0;
	p->refreshing = true;
}

static void
on_resolved(struct engine_request *request, void *arg)
{
	struct pending *p = arg;
	struct worker *w = p->worker;
	struct engine_result result;
	const uint8_t *answer;
	size_t answer_len = 0;
	struct waiter *waiter, *next;

	*pending_slot(w, p->key, p->keylen, p->hash) = p->next;
	pending_unlink(w, p);
	engine_request_result(request, &result);
	answer = engine_request_answer(request, &answer_len);
	for (waiter = p->waiters; waiter != NULL; waiter = next) {
		next = waiter->next;
		if (w->stopping || p->jostled) {
			/* Shutting down, or gave way: no answer to send or log. */
			if (p->jostled)
				DAEMON_COUNT(w->daemon, jostled);
			/* But a TCP client would wait for it (see refuse_tcp). */
			if (p->jostled && !w->stopping && waiter->client.tcp != NULL)
				worker_send_error(w, &waiter->client,
				    waiter->query_wire, waiter->query_len,
				    &waiter->query, LDNS_RCODE_SERVFAIL);
			waiter_free(w, waiter);
			continue;
		}
		waiter_answer(w, waiter, &result, answer, answer_len);
		waiter_free(w, waiter);
	}
	engine_request_free(request);
	free(p);
}

/*
 * Starts a resolution for the query's question with `waiter` (NULL for a
 * prefetch) already attached: a request answered from the cache finishes
 * inside drive_request_start, and on_resolved then finds its waiter.
 */
static bool
pending_start(struct worker *w, const struct client_query *q, uint32_t hash,
    unsigned flags, struct waiter *waiter)
{
	struct engine_question question = { 0 };
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return false;
	question.name = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
	    q->qname_len, q->qname);
	question.type = q->qtype;
	question.klass = q->qclass;
	question.dnssec_ok = q->dnssec_ok;
	question.checking_disabled = q->cd;
	if (question.name == NULL) {
		free(p);
		return false;
	}
	ldns_dname2canonical(question.name);
	p->worker = w;
	p->hash = hash;
	p->keylen = q->keylen;
	memcpy(p->key, q->key, q->keylen);
	p->request = engine_request_new(w->daemon->engine, &question, flags,
	    drive_now(w->drive), log_enabled(LOG_LEVEL_DEBUG) ?
	    &worker_debug_observer : NULL, NULL);
	ldns_rdf_deep_free(question.name);
	if (p->request == NULL) {
		free(p);
		return false;
	}
	p->waiters = waiter;
	p->waiter_count = waiter != NULL;
	p->next = w->pending[hash % PENDING_BUCKETS];
	w->pending[hash % PENDING_BUCKETS] = p;
	pending_link(w, p);
	if (drive_request_start_answering(w->drive, p->request, on_answered,
	    on_resolved, p) != 0) {
		w->pending[hash % PENDING_BUCKETS] = p->next;
		pending_unlink(w, p);
		engine_request_free(p->request);
		free(p);
		return false;
	}
	return true;
}

/*
 * A question whose refresh is running (on_answered): the client gets the
 * stale answer the refresh started from, at once. Its servers already
 * let one client wait out the timer; waiting again would only repeat it.
 */
static void
pending_answer_stale(struct worker *w, struct intake *in, struct pending *p,
    const struct client *client, const uint8_t *wire, size_t len,
    const struct client_query *q)
{
	struct engine_result result;
	const uint8_t *answer;
	size_t answer_len = 0, n = 0;

	DAEMON_COUNT(w->daemon, coalesced);
	engine_request_result(p->request, &result);
	answer = engine_request_answer(p->request, &answer_len);
	if (answer != NULL)
		n = fastpath_reply(q, answer, answer_len, (int)result.ede,
		    result.ede_text, client->tcp != NULL, w->reply,
		    sizeof(w->reply));
	if (n > 0)
		worker_client_send(w, client, w->reply, n);
	else
		worker_send_error(w, client, wire, len, q,
		    LDNS_RCODE_SERVFAIL);
	in->answered++;
}

void
pending_resolve(struct worker *w, struct intake *in,
    const struct client *client, const uint8_t *wire, size_t len,
    const struct client_query *q)
{
	uint32_t hash = hash_seeded(w->hash_seed, q->key, q->keylen);
	struct pending *p = *pending_slot(w, q->key, q->keylen, hash);
	struct waiter *waiter;

	if (p != NULL && p->refreshing) {
		pending_answer_stale(w, in, p, client, wire, len, q);
		return;
	}
	if (p != NULL && p->waiter_count >= LIMIT_COALESCE_WAITERS) {
		DAEMON_COUNT(w->daemon, dropped);
		goto refuse_tcp;
	}
	if (client->tcp == NULL && !client_table_acquire(w->clients,
	    (const struct sockaddr *)&client->addr, LIMIT_CLIENT_INFLIGHT)) {
		DAEMON_COUNT(w->daemon, client_limited);
		return;
	}
	if (p == NULL && !pending_make_room(w)) {
		DAEMON_COUNT(w->daemon, dropped);
		if (client->tcp == NULL)
			client_table_release(w->clients,
			    (const struct sockaddr *)&client->addr);
		goto refuse_tcp;
	}
	if ((waiter = malloc(sizeof(*waiter) + len)) == NULL) {
		worker_send_error(w, client, wire, len, q, LDNS_RCODE_SERVFAIL);
		goto uncount;
	}
	memset(waiter, 0, sizeof(*waiter));
	waiter->counted = client->tcp == NULL;
	waiter->client = *client;
	waiter->received_ns = uv_hrtime();
	waiter->query_len = len;
	memcpy(waiter->query_wire, wire, len);
	fastpath_parse_query(waiter->query_wire, len, &waiter->query);
	waiter->query.udp_size = q->udp_size;	/* capped by max-udp-size */
	if (client->tcp != NULL) {
		client->tcp->refs++;
		client->tcp->in_flight++;
	}
	if (p != NULL) {
		DAEMON_COUNT(w->daemon, coalesced);
		waiter->next = p->waiters;
		p->waiters = waiter;
		p->waiter_count++;
		return;
	}
	if (!pending_start(w, &waiter->query, hash, 0, waiter)) {
		worker_send_error(w, client, wire, len, q, LDNS_RCODE_SERVFAIL);
		waiter_free(w, waiter);
	}
	return;
uncount:
	if (client->tcp == NULL)
		client_table_release(w->clients,
		    (const struct sockaddr *)&client->addr);
	return;
refuse_tcp:
	/*
	 * A UDP client asks again; a query dropped on a TCP connection is
	 * waited for until the client's timeout, so it is told at once.
	 */
	if (client->tcp != NULL)
		worker_send_error(w, client, wire, len, q, LDNS_RCODE_SERVFAIL);
}

void
pending_prefetch(struct worker *w, const struct client_query *q)
{
	uint32_t hash = hash_seeded(w->hash_seed, q->key, q->keylen);

	/* Prefetches are a luxury: never at the cost of a client's query. */
	if (*pending_slot(w, q->key, q->keylen, hash) != NULL ||
	    w->pending_count >= LIMIT_WORKER_REQUESTS / 2)
		return;
	DAEMON_COUNT(w->daemon, prefetches);
	pending_start(w, q, hash, ENGINE_REQUEST_PREFETCH, NULL);
}
