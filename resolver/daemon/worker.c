/*
 * worker.c: one libuv loop serving clients. Every query is checked against
 * the access list, answered from the local zones or the answer cache in the
 * receive callback when it can be (no allocation, no iterator), and
 * otherwise joins or starts a resolution through the engine. Identical
 * questions in flight share one resolution. The request list is bounded
 * per worker and per client address; when it is full the oldest request
 * that has run long enough gives way (Unbound's jostling).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_table.h"
#include "dnstap.h"
#include "daemon.h"
#include "dname.h"
#include "engine_limits.h"
#include "fastpath.h"
#include "local_zones.h"
#include "log.h"
#include "lru.h"
#include "net/drive.h"
#include "observer.h"

#define UDP_RECV_BUFFER		(20 * 65536)	/* 20 datagrams per recvmmsg */
#define UDP_SEND_BATCH		20		/* replies per sendmmsg */
#define UDP_BATCH_REPLY_MAX	4096		/* larger replies go alone */
#define PENDING_BUCKETS		1024
#define REPLY_MAX		65535

struct tcp_conn;

/* Where a reply goes: a UDP client address or a TCP connection. */
struct client {
	uv_udp_t *udp;
	struct sockaddr_storage addr;
	struct tcp_conn *tcp;
};

/* A client waiting for a resolution. Owns a copy of its query. */
struct waiter {
	struct waiter *next;
	struct client client;
	uint64_t received_ns;		/* uv_hrtime(), for the latency histogram */
	bool counted;			/* in the client table (UDP clients) */
	struct client_query query;
	size_t query_len;
	uint8_t query_wire[];
};

/* A question being resolved, with everyone waiting for it. */
struct pending {
	struct pending *next;
	struct pending *older, *newer;	/* the worker's list, by start */
	uint64_t started_ms;
	bool jostled;			/* cancelled to make room: answer nobody */
	struct worker *worker;
	struct engine_request *request;
	struct waiter *waiters;
	unsigned waiter_count;
	uint32_t hash;
	size_t keylen;
	uint8_t key[ANSWER_KEY_MAX];
};

struct tcp_conn {
	uv_tcp_t handle;
	uv_timer_t idle;
	struct worker *worker;
	uint8_t *buf;
	size_t len, cap;
	unsigned in_flight;
	unsigned refs;			/* handles open + waiters + writes */
	bool closing;
	/*
	 * Reply bytes handed to uv_write whose callback has not run (memory
	 * the process holds for the client), the part of them libuv still
	 * holds because the socket would not take it (what grows when the
	 * client does not read), and whether reading stopped because too
	 * much is held (LIMIT_TCP_WRITE_QUEUE), since when.
	 */
	size_t held;
	size_t queued;
	bool paused;
	uint64_t paused_ms;
	bool snoop;			/* access-control allow_snoop */
	struct tcp_conn *next, *prev;	/* the worker's open connections */
};

struct worker {
	struct daemon *daemon;
	unsigned index;
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t stop_async;
	uv_async_t park_async;		/* a reload wants us parked */
	struct drive *drive;
	uv_udp_t *udp;
	uv_tcp_t *tcp;
	size_t udp_count, tcp_count;
	unsigned tcp_clients;
	struct tcp_conn *conns;
	struct pending *pending[PENDING_BUCKETS];
	unsigned pending_count;
	struct pending *oldest, *newest;
	uint32_t hash_seed;		/* for the pending table */
	struct client_table *clients;
	bool stopping;
	/* Worker 0 only: the RFC 5011 probe of the auto-trust-anchor-file's zone. */
	uv_timer_t probe_timer;
	struct engine_request *probe;	/* in flight, NULL when none */
	/*
	 * Replies to one recvmmsg batch leave together in one sendmmsg: the
	 * receive callback queues them, the batch's last callback flushes.
	 */
	bool batching;
	uv_udp_t *batch_udp;
	unsigned batch_count;
	struct sockaddr_storage batch_addr[UDP_SEND_BATCH];
	size_t batch_len[UDP_SEND_BATCH];
	uint8_t batch_data[UDP_SEND_BATCH][UDP_BATCH_REPLY_MAX];
	uint8_t reply[REPLY_MAX + 64];
	uint8_t answer[REPLY_MAX + 64];
	uint8_t udp_buffer[UDP_RECV_BUFFER];
};

/* ---- sending replies ---- */

struct tcp_write {
	uv_write_t req;
	struct tcp_conn *conn;
	size_t len;
	uint8_t data[];
};

static void tcp_conn_unref(struct tcp_conn *conn);
static void tcp_conn_close(struct tcp_conn *conn);
static void on_tcp_timer(uv_timer_t *timer);

/*
 * Brings the connection's count of unwritten reply bytes, and the total of
 * all clients, up to date. A reply the socket took counts no more, even
 * before its write callback runs on the loop's next turn: it is libuv's
 * write queue that grows when a client does not read.
 */
static void
tcp_conn_account(struct tcp_conn *conn)
{
	uint64_t *total = &conn->worker->daemon->stats.tcp_queued_bytes;
	size_t now = uv_stream_get_write_queue_size(
	    (uv_stream_t *)&conn->handle);

	if (now > conn->queued)
		__atomic_fetch_add(total, now - conn->queued, __ATOMIC_RELAXED);
	else
		__atomic_fetch_sub(total, conn->queued - now, __ATOMIC_RELAXED);
	conn->queued = now;
}

static void
on_tcp_written(uv_write_t *req, int status)
{
	struct tcp_write *wr = (struct tcp_write *)req;
	struct tcp_conn *conn = wr->conn;

	(void)status;
	/* A closing connection gave back all its queued bytes at once. */
	if (!conn->closing) {
		conn->held -= wr->len;
		tcp_conn_account(conn);
		/* Drained enough: resume reading on the loop's next turn. */
		if (conn->paused && conn->held <= LIMIT_TCP_WRITE_QUEUE / 2)
			uv_timer_start(&conn->idle, on_tcp_timer, 0, 0);
	}
	tcp_conn_unref(conn);
	free(wr);
}

/* Stops reading a client's queries while its replies are not read. */
static void
tcp_conn_pause(struct tcp_conn *conn)
{
	struct worker *w = conn->worker;

	conn->paused = true;
	conn->paused_ms = uv_now(&w->loop);
	DAEMON_COUNT(w->daemon, tcp_paused);
	uv_read_stop((uv_stream_t *)&conn->handle);
	uv_timer_start(&conn->idle, on_tcp_timer, LIMIT_TCP_WRITE_STALL_MS, 0);
}

/*
 * All TCP clients together have more than LIMIT_TCP_QUEUED_TOTAL bytes
 * stuck in libuv's write queues: close this worker's connection with the
 * most (a worker may only close its own). Its bytes are given back at once.
 */
static void
tcp_close_worst(struct worker *w)
{
	struct tcp_conn *worst = NULL;

	for (struct tcp_conn *c = w->conns; c != NULL; c = c->next)
		if (c->queued > 0 && (worst == NULL || c->queued > worst->queued))
			worst = c;
	if (worst != NULL) {
		DAEMON_COUNT(w->daemon, tcp_closed_total);
		tcp_conn_close(worst);
	}
}

static bool
tcp_queued_fits(struct worker *w, size_t len)
{
	return __atomic_load_n(&w->daemon->stats.tcp_queued_bytes,
	    __ATOMIC_RELAXED) + len <= LIMIT_TCP_QUEUED_TOTAL;
}

/* Sends the queued replies with one sendmmsg; drops what the kernel refuses. */
static void
udp_batch_flush(struct worker *w)
{
	struct mmsghdr msgs[UDP_SEND_BATCH];
	struct iovec iov[UDP_SEND_BATCH];
	uv_os_fd_t fd;
	unsigned sent = 0;

	if (w->batch_count == 0 ||
	    uv_fileno((uv_handle_t *)w->batch_udp, &fd) != 0) {
		w->batch_count = 0;
		return;
	}
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < w->batch_count; i++) {
		iov[i].iov_base = w->batch_data[i];
		iov[i].iov_len = w->batch_len[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &w->batch_addr[i];
		msgs[i].msg_hdr.msg_namelen = w->batch_addr[i].ss_family ==
		    AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in);
	}
	while (sent < w->batch_count) {
		int n = sendmmsg(fd, msgs + sent, w->batch_count - sent, 0);

		if (n <= 0)
			break;
		sent += (unsigned)n;
	}
	w->batch_count = 0;
}

/* dnstap: a client's message, with its address (a TCP peer is asked). */
static void
tap_client(struct worker *w, const struct client *client,
    enum dnstap_kind kind, const uint8_t *data, size_t len)
{
	struct sockaddr_storage peer;
	int peerlen = sizeof(peer);

	if (client->tcp == NULL)
		peer = client->addr;
	else if (uv_tcp_getpeername(&client->tcp->handle,
	    (struct sockaddr *)&peer, &peerlen) != 0)
		peer.ss_family = AF_UNSPEC;
	dnstap_log(w->daemon->dnstap, w->index, kind,
	    (const struct sockaddr *)&peer, client->tcp != NULL, data, len);
}

/* dnstap: the engine's upstream queries and the replies it accepted. */
static void
tap_upstream(void *ctx, bool response, const struct sockaddr *server,
    bool over_tcp, const uint8_t *wire, size_t len)
{
	struct worker *w = ctx;

	dnstap_log(w->daemon->dnstap, w->index, response ?
	    DNSTAP_RESOLVER_RESPONSE : DNSTAP_RESOLVER_QUERY, server, over_tcp,
	    wire, len);
}

static void
client_send(struct worker *w, const struct client *client,
    const uint8_t *data, size_t len)
{
	if (dnstap_wants(w->daemon->dnstap, DNSTAP_CLIENT_RESPONSE))
		tap_client(w, client, DNSTAP_CLIENT_RESPONSE, data, len);
	if (client->tcp == NULL) {
		uv_buf_t buf = uv_buf_init((char *)(uintptr_t)data,
		    (unsigned)len);

		if (w->batching && client->udp == w->batch_udp &&
		    len <= UDP_BATCH_REPLY_MAX) {
			if (w->batch_count == UDP_SEND_BATCH)
				udp_batch_flush(w);
			w->batch_addr[w->batch_count] = client->addr;
			w->batch_len[w->batch_count] = len;
			memcpy(w->batch_data[w->batch_count++], data, len);
			return;
		}
		/* A full socket buffer drops the reply; the client retries. */
		(void)uv_udp_try_send(client->udp, &buf, 1,
		    (const struct sockaddr *)&client->addr);
		return;
	}
	struct tcp_conn *conn = client->tcp;
	struct tcp_write *wr;
	uv_buf_t buf;

	if (conn->closing)
		return;
	if (!tcp_queued_fits(w, len + 2)) {
		tcp_close_worst(w);
		if (conn->closing)
			return;
		if (!tcp_queued_fits(w, len + 2)) {
			DAEMON_COUNT(w->daemon, tcp_replies_dropped);
			return;
		}
	}
	if ((wr = malloc(sizeof(*wr) + len + 2)) == NULL)
		return;
	wr->conn = conn;
	wr->len = len + 2;
	wr->data[0] = (uint8_t)(len >> 8);
	wr->data[1] = (uint8_t)len;
	memcpy(wr->data + 2, data, len);
	buf = uv_buf_init((char *)wr->data, (unsigned)len + 2);
	conn->refs++;
	if (uv_write(&wr->req, (uv_stream_t *)&conn->handle, &buf, 1,
	    on_tcp_written) < 0) {
		conn->refs--;
		free(wr);
		return;
	}
	conn->held += wr->len;
	tcp_conn_account(conn);
	/*
	 * Held, not merely unwritten: a client that reads still gets at most
	 * this much per turn of the loop, so one read of many pipelined
	 * queries cannot make the process hold megabytes even for a moment.
	 */
	if (!conn->paused && conn->held > LIMIT_TCP_WRITE_QUEUE)
		tcp_conn_pause(conn);
}

static void
send_error(struct worker *w, const struct client *client,
    const uint8_t *wire, size_t len, const struct client_query *q,
    unsigned rcode)
{
	size_t n = fastpath_error_reply(wire, len, q, rcode, w->reply,
	    sizeof(w->reply));

	if (n > 0)
		client_send(w, client, w->reply, n);
}

/* ---- resolutions ---- */

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
	if (waiter->client.tcp != NULL) {
		waiter->client.tcp->in_flight--;
		tcp_conn_unref(waiter->client.tcp);
	}
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
		int ede = result.rcode == LDNS_RCODE_SERVFAIL || result.stale ?
		    (int)result.ede : -1;
		size_t n = 0;

		next = waiter->next;
		if (w->stopping || p->jostled) {
			/* Shutting down, or gave way: no answer to send or log. */
			if (p->jostled)
				DAEMON_COUNT(w->daemon, jostled);
			waiter_free(w, waiter);
			continue;
		}
		if (answer != NULL)
			n = fastpath_reply(&waiter->query, answer, answer_len,
			    ede < 0 && result.rcode == LDNS_RCODE_SERVFAIL ?
			    ENGINE_EDE_OTHER : ede, result.ede_text,
			    waiter->client.tcp != NULL, w->reply,
			    sizeof(w->reply));
		else {
			send_error(w, &waiter->client, waiter->query_wire,
			    waiter->query_len, &waiter->query,
			    LDNS_RCODE_SERVFAIL);
		}
		if (n > 0)
			client_send(w, &waiter->client, w->reply, n);
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
			    (int)result.rcode, result.upstream_queries,
			    sec_status_name(result.security),
			    result.ede_text != NULL ? " why: " : "",
			    result.ede_text != NULL ? result.ede_text : "");
			ldns_rdf_deep_free(rdf);
		}
		waiter_free(w, waiter);
	}
	engine_request_free(request);
	free(p);
}

/* Debug logging: each DNSSEC step and each limit the engine reports. */
static void
debug_on_event(void *ctx, const struct engine_event *ev)
{
	char owner[256], zone[256];

	(void)ctx;
	if (ev->kind == EV_DNSSEC) {
		char *type = ldns_rr_type2str(ev->u.dnssec.type);

		log_debug("dnssec %s %s %s%s%s: %s (%s, EDE %d)",
		    ev->u.dnssec.step,
		    ev->u.dnssec.owner != NULL ? dname_str(ev->u.dnssec.owner,
		    owner, sizeof(owner)) : "?", type != NULL ? type : "?",
		    ev->u.dnssec.zone != NULL ? " zone " : "",
		    ev->u.dnssec.zone != NULL ? dname_str(ev->u.dnssec.zone,
		    zone, sizeof(zone)) : "",
		    sec_status_name(ev->u.dnssec.status), ev->u.dnssec.why,
		    ev->u.dnssec.ede);
		free(type);
	} else if (ev->kind == EV_LIMIT_HIT)
		log_debug("limit %s hit for %s", ev->u.limit.limit,
		    ev->qname != NULL ? dname_str(ev->qname, owner,
		    sizeof(owner)) : "?");
}

static const struct engine_observer debug_observer = { debug_on_event };

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
	    &debug_observer : NULL, NULL);
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
	if (drive_request_start(w->drive, p->request, on_resolved, p) != 0) {
		w->pending[hash % PENDING_BUCKETS] = p->next;
		pending_unlink(w, p);
		engine_request_free(p->request);
		free(p);
		return false;
	}
	return true;
}

static void
resolve_for_client(struct worker *w, const struct client *client,
    const uint8_t *wire, size_t len, const struct client_query *q)
{
	uint32_t hash = hash_seeded(w->hash_seed, q->key, q->keylen);
	struct pending *p = *pending_slot(w, q->key, q->keylen, hash);
	struct waiter *waiter;

	if (p != NULL && p->waiter_count >= LIMIT_COALESCE_WAITERS) {
		DAEMON_COUNT(w->daemon, dropped);
		return;
	}
	if (client->tcp == NULL && !client_table_acquire(w->clients,
	    (const struct sockaddr *)&client->addr, LIMIT_CLIENT_INFLIGHT)) {
		DAEMON_COUNT(w->daemon, client_limited);
		return;
	}
	if (p == NULL && !pending_make_room(w)) {
		DAEMON_COUNT(w->daemon, dropped);
		goto uncount;
	}
	if ((waiter = malloc(sizeof(*waiter) + len)) == NULL) {
		send_error(w, client, wire, len, q, LDNS_RCODE_SERVFAIL);
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
		send_error(w, client, wire, len, q, LDNS_RCODE_SERVFAIL);
		waiter_free(w, waiter);
	}
	return;
uncount:
	if (client->tcp == NULL)
		client_table_release(w->clients,
		    (const struct sockaddr *)&client->addr);
}

static void
prefetch(struct worker *w, const struct client_query *q)
{
	uint32_t hash = hash_seeded(w->hash_seed, q->key, q->keylen);

	/* Prefetches are a luxury: never at the cost of a client's query. */
	if (*pending_slot(w, q->key, q->keylen, hash) != NULL ||
	    w->pending_count >= LIMIT_WORKER_REQUESTS / 2)
		return;
	DAEMON_COUNT(w->daemon, prefetches);
	pending_start(w, q, hash, ENGINE_REQUEST_PREFETCH, NULL);
}

/* ---- one query ---- */

static void
handle_query(struct worker *w, const struct client *client,
    const uint8_t *wire, size_t len)
{
	struct daemon *d = w->daemon;
	const struct sockaddr *from = client->tcp != NULL ? NULL :
	    (const struct sockaddr *)&client->addr;
	struct client_query q;
	enum query_check check;
	bool over_tcp = client->tcp != NULL, want_prefetch = false, drop;
	bool snoop = over_tcp && client->tcp->snoop;
	uint64_t received = uv_hrtime();	/* a vDSO read: cheap enough */
	size_t n;

	DAEMON_COUNT(d, queries);
	if (dnstap_wants(d->dnstap, DNSTAP_CLIENT_QUERY))
		tap_client(w, client, DNSTAP_CLIENT_QUERY, wire, len);
	if (from != NULL) {
		enum acl_action action = acl_check(d->config.acl, from);

		snoop = action == ACL_ALLOW_SNOOP;
		if (action == ACL_DENY) {
			DAEMON_COUNT(d, clients_denied);
			return;
		}
		if (action == ACL_REFUSE) {
			DAEMON_COUNT(d, clients_refused);
			check = fastpath_parse_query(wire, len, &q);
			if (check != QUERY_DROP)
				send_error(w, client, wire, len,
				    check == QUERY_OK ? &q : NULL,
				    LDNS_RCODE_REFUSED);
			return;
		}
	}
	check = fastpath_parse_query(wire, len, &q);
	switch (check) {
	case QUERY_OK:
		/* UDP replies never exceed max-udp-size, whatever the client says. */
		if (!over_tcp && q.udp_size > d->config.max_udp_size)
			q.udp_size = (uint16_t)d->config.max_udp_size;
		break;
	case QUERY_DROP:
		DAEMON_COUNT(d, malformed);
		return;
	case QUERY_FORMERR:
		DAEMON_COUNT(d, malformed);
		send_error(w, client, wire, len, NULL, LDNS_RCODE_FORMERR);
		return;
	case QUERY_NOTIMP:
		send_error(w, client, wire, len, NULL, LDNS_RCODE_NOTIMPL);
		return;
	case QUERY_BADVERS:
		send_error(w, client, wire, len, &q, 16);
		return;
	}
	/*
	 * RD=0 does not ask us to recurse: it asks what the cache holds
	 * (cache snooping, which tells a third party what our clients visit)
	 * or comes from a confused stub. As Unbound does, only clients allowed
	 * to snoop (access-control allow_snoop) get it answered, and then from
	 * the cache only; local zones answer anyone; the rest is REFUSED
	 * (Unbound answers a snooper's miss with the cached referral, which we
	 * do not keep as an answer: REFUSED too). Never recursed.
	 */
	n = !q.rd && !snoop ? 0 :
	    /* The fast path: a cached answer leaves from here, untouched by the iterator. */
	    fastpath_answer(engine_answer_cache(d->engine), &q, time(NULL),
	    over_tcp, w->reply, sizeof(w->reply), &want_prefetch);
	if (n > 0) {
		DAEMON_COUNT(d, fastpath_hits);
		client_send(w, client, w->reply, n);
		metrics_observe(&d->stats.latency, uv_hrtime() - received);
		if (want_prefetch && q.rd && d->config.engine.prefetch)
			prefetch(w, &q);
		return;
	}
	if (q.qtype == LDNS_RR_TYPE_AXFR || q.qtype == LDNS_RR_TYPE_IXFR ||
	    q.qclass != LDNS_RR_CLASS_IN) {
		send_error(w, client, wire, len, &q, LDNS_RCODE_REFUSED);
		return;
	}
	if ((n = local_zone_answer(__atomic_load_n(&d->config.local_zones,
	    __ATOMIC_ACQUIRE), &q, w->answer, sizeof(w->answer), &drop)) > 0 ||
	    drop || (q.qtype == LDNS_RR_TYPE_ANY &&
	    (n = local_any_answer(&q, w->answer, sizeof(w->answer))) > 0)) {
		DAEMON_COUNT(d, local_answers);
		if (drop)
			return;		/* local-zone deny */
		n = fastpath_reply(&q, w->answer, n, -1, NULL, over_tcp,
		    w->reply, sizeof(w->reply));
		if (n > 0)
			client_send(w, client, w->reply, n);
		metrics_observe(&d->stats.latency, uv_hrtime() - received);
		return;
	}
	if (w->stopping)
		return;
	if (!q.rd) {
		DAEMON_COUNT(d, norec_refused);
		send_error(w, client, wire, len, &q, LDNS_RCODE_REFUSED);
		return;
	}
	resolve_for_client(w, client, wire, len, &q);
}

/* ---- UDP ---- */

static void
on_udp_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct worker *w = handle->data;

	(void)suggested;
	*buf = uv_buf_init((char *)w->udp_buffer, sizeof(w->udp_buffer));
}

static void
on_udp_recv(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct worker *w = udp->data;
	struct client client;

	if (flags & UV_UDP_MMSG_FREE) {
		/* The batch's last callback: its replies go out together. */
		udp_batch_flush(w);
		w->batching = false;
		return;
	}
	if (nread <= 0 || from == NULL)
		return;
	if (w->batching && w->batch_udp != udp)
		udp_batch_flush(w);
	w->batching = (flags & UV_UDP_MMSG_CHUNK) != 0;
	w->batch_udp = udp;
	client.udp = udp;
	client.tcp = NULL;
	memcpy(&client.addr, from, from->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	DAEMON_COUNT(w->daemon, queries_udp);
	handle_query(w, &client, (const uint8_t *)buf->base, (size_t)nread);
}

/* ---- TCP (RFC 7766) ---- */

static void
tcp_conn_unref(struct tcp_conn *conn)
{
	if (--conn->refs == 0) {
		conn->worker->tcp_clients--;
		free(conn->buf);
		free(conn);
	}
}

static void
on_tcp_conn_closed(uv_handle_t *handle)
{
	tcp_conn_unref(handle->data);
}

static void
tcp_conn_close(struct tcp_conn *conn)
{
	if (conn->closing)
		return;
	conn->closing = true;
	/* Closing cancels the pending writes: their bytes are as good as freed. */
	__atomic_fetch_sub(&conn->worker->daemon->stats.tcp_queued_bytes,
	    conn->queued, __ATOMIC_RELAXED);
	conn->queued = 0;
	if (conn->prev != NULL)
		conn->prev->next = conn->next;
	else
		conn->worker->conns = conn->next;
	if (conn->next != NULL)
		conn->next->prev = conn->prev;
	uv_timer_stop(&conn->idle);
	uv_close((uv_handle_t *)&conn->idle, on_tcp_conn_closed);
	uv_close((uv_handle_t *)&conn->handle, on_tcp_conn_closed);
}

static void
tcp_conn_idle_rearm(struct tcp_conn *conn)
{
	uv_timer_start(&conn->idle, on_tcp_timer, LIMIT_TCP_IDLE_MS,
	    LIMIT_TCP_IDLE_MS);
}

static void tcp_conn_process(struct tcp_conn *conn);
static void on_tcp_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void on_tcp_read(uv_stream_t *stream, ssize_t nread,
    const uv_buf_t *buf);

/*
 * The connection's one timer: the idle timeout (RFC 7766) while reading,
 * the stall limit while paused, and the resumption once replies drained.
 */
static void
on_tcp_timer(uv_timer_t *timer)
{
	struct tcp_conn *conn = timer->data;
	uint64_t waited;

	if (conn->closing)
		return;
	if (!conn->paused) {
		if (conn->in_flight == 0)
			tcp_conn_close(conn);
		return;
	}
	if (conn->held <= LIMIT_TCP_WRITE_QUEUE / 2) {
		conn->paused = false;
		tcp_conn_idle_rearm(conn);
		conn->refs++;
		tcp_conn_process(conn);		/* queries read before the pause */
		if (!conn->closing && !conn->paused &&
		    uv_read_start((uv_stream_t *)&conn->handle, on_tcp_alloc,
		    on_tcp_read) != 0)
			tcp_conn_close(conn);
		tcp_conn_unref(conn);
		return;
	}
	waited = uv_now(&conn->worker->loop) - conn->paused_ms;
	if (waited >= LIMIT_TCP_WRITE_STALL_MS) {
		DAEMON_COUNT(conn->worker->daemon, tcp_closed_stalled);
		tcp_conn_close(conn);
		return;
	}
	uv_timer_start(timer, on_tcp_timer, LIMIT_TCP_WRITE_STALL_MS - waited, 0);
}

static void
on_tcp_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct tcp_conn *conn = handle->data;

	(void)suggested;
	if (conn->cap - conn->len < 4096) {
		size_t cap = conn->cap == 0 ? 8192 : conn->cap * 2;
		uint8_t *b = cap <= 2 * 65538 ? realloc(conn->buf, cap) : NULL;

		if (b != NULL) {
			conn->buf = b;
			conn->cap = cap;
		}
	}
	*buf = uv_buf_init((char *)conn->buf + conn->len,
	    (unsigned)(conn->cap - conn->len));
}

/*
 * Answers the complete queries in the connection's buffer, until a pause:
 * what is left waits in the buffer for the resumption.
 */
static void
tcp_conn_process(struct tcp_conn *conn)
{
	struct worker *w = conn->worker;
	struct client client = { .tcp = conn };
	size_t off = 0;

	while (!conn->closing && !conn->paused && conn->len - off >= 2) {
		size_t msg = (size_t)(conn->buf[off] << 8 | conn->buf[off + 1]);

		if (conn->len - off < 2 + msg)
			break;
		if (conn->in_flight >= LIMIT_TCP_PIPELINE) {
			/* Stop reading until answers drain (RFC 7766 §6.2.1.1). */
			DAEMON_COUNT(w->daemon, dropped);
		} else {
			DAEMON_COUNT(w->daemon, queries_tcp);
			handle_query(w, &client, conn->buf + off + 2, msg);
		}
		off += 2 + msg;
	}
	if (off > 0 && conn->buf != NULL) {
		memmove(conn->buf, conn->buf + off, conn->len - off);
		conn->len -= off;
	}
}

static void
on_tcp_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_conn *conn = stream->data;

	(void)buf;
	if (nread < 0 || conn->buf == NULL) {
		tcp_conn_close(conn);
		return;
	}
	conn->len += (size_t)nread;
	if (!conn->paused)
		tcp_conn_idle_rearm(conn);
	conn->refs++;	/* handle_query may drop the last other reference */
	tcp_conn_process(conn);
	/* A full buffer that is not paused holds a message larger than we accept. */
	if (!conn->closing && !conn->paused && conn->len == conn->cap)
		tcp_conn_close(conn);
	tcp_conn_unref(conn);
}

static void
on_tcp_connection(uv_stream_t *server, int status)
{
	struct worker *w = server->data;
	struct tcp_conn *conn;

	if (status < 0)
		return;
	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return;
	conn->worker = w;
	uv_tcp_init(&w->loop, &conn->handle);
	uv_timer_init(&w->loop, &conn->idle);
	conn->handle.data = conn->idle.data = conn;
	conn->refs = 2;		/* the two handles */
	w->tcp_clients++;
	conn->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = conn;
	w->conns = conn;
	if (uv_accept(server, (uv_stream_t *)&conn->handle) != 0) {
		tcp_conn_close(conn);
		return;
	}
	if (w->tcp_clients > LIMIT_TCP_CLIENTS || w->stopping) {
		DAEMON_COUNT(w->daemon, tcp_refused);
		tcp_conn_close(conn);
		return;
	}
	/* ACL for TCP clients is checked once, at accept. */
	{
		struct sockaddr_storage peer;
		int len = sizeof(peer);
		enum acl_action action = ACL_REFUSE;

		if (uv_tcp_getpeername(&conn->handle, (struct sockaddr *)&peer,
		    &len) == 0)
			action = acl_check(w->daemon->config.acl,
			    (struct sockaddr *)&peer);
		conn->snoop = action == ACL_ALLOW_SNOOP;
		if (action != ACL_ALLOW && action != ACL_ALLOW_SNOOP) {
			if (action == ACL_DENY)
				DAEMON_COUNT(w->daemon, clients_denied);
			else
				DAEMON_COUNT(w->daemon, clients_refused);
			tcp_conn_close(conn);
			return;
		}
	}
	tcp_conn_idle_rearm(conn);
	if (uv_read_start((uv_stream_t *)&conn->handle, on_tcp_alloc,
	    on_tcp_read) != 0)
		tcp_conn_close(conn);
}

/* ---- sockets, loop, thread ---- */

/* A socket bound with SO_REUSEPORT so every worker can own one. */
static int
bound_socket(const struct config_listen *l, int type)
{
	int fd = socket(l->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0), on = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (l->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) != 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void
describe_listen(const struct config_listen *l, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *in = (const void *)&l->addr;
	const struct sockaddr_in6 *in6 = (const void *)&l->addr;

	if (l->addr.ss_family == AF_INET)
		uv_ip4_name(in, addr, sizeof(addr));
	else
		uv_ip6_name(in6, addr, sizeof(addr));
	snprintf(buf, len, "%s@%u", addr, ntohs(l->addr.ss_family == AF_INET ?
	    in->sin_port : in6->sin6_port));
}

bool
worker_listen(struct worker *w)
{
	const struct daemon_config *c = &w->daemon->config;

	w->udp = calloc(c->listen_count, sizeof(*w->udp));
	w->tcp = calloc(c->listen_count, sizeof(*w->tcp));
	if (w->udp == NULL || w->tcp == NULL)
		return false;
	for (size_t i = 0; i < c->listen_count; i++) {
		const struct config_listen *l = &c->listens[i];
		char where[80];
		int ufd = bound_socket(l, SOCK_DGRAM), tfd;

		describe_listen(l, where, sizeof(where));
		if (ufd < 0) {
			log_warning("cannot listen on %s (UDP): %s", where,
			    strerror(-ufd));
			continue;
		}
		if ((tfd = bound_socket(l, SOCK_STREAM)) < 0) {
			log_warning("cannot listen on %s (TCP): %s", where,
			    strerror(-tfd));
			close(ufd);
			continue;
		}
		uv_udp_t *udp = &w->udp[w->udp_count];
		uv_tcp_t *tcp = &w->tcp[w->tcp_count];

		uv_udp_init_ex(&w->loop, udp, AF_UNSPEC | UV_UDP_RECVMMSG);
		udp->data = w;
		w->udp_count++;
		uv_tcp_init(&w->loop, tcp);
		tcp->data = w;
		w->tcp_count++;
		if (uv_udp_open(udp, ufd) != 0 || uv_tcp_open(tcp, tfd) != 0 ||
		    uv_udp_recv_start(udp, on_udp_alloc, on_udp_recv) != 0 ||
		    uv_listen((uv_stream_t *)tcp, 128, on_tcp_connection) != 0) {
			log_warning("cannot serve on %s", where);
			continue;
		}
		if (w->index == 0)
			log_info("listening on %s (UDP and TCP)", where);
	}
	return w->udp_count > 0;
}

/* ---- RFC 5011 probes (auto-trust-anchor-file), on worker 0 ---- */

static void on_probe_timer(uv_timer_t *timer);

/*
 * A probe resolves "ZONE DNSKEY" through the engine like a client's query,
 * without the cache, so the RRset reaches the validator, which runs the
 * RFC 5011 state machine and rewrites the file; the engine is told how the
 * probe went so that a failure schedules the retry.
 */
void
worker_autotrust_rearm(struct worker *w)
{
	uint32_t due = engine_autotrust_next_probe(w->daemon->engine);
	time_t now = time(NULL);
	uint64_t ms;

	if (w->index != 0 || w->stopping || w->probe != NULL)
		return;
	if (due == UINT32_MAX) {
		uv_timer_stop(&w->probe_timer);
		return;
	}
	ms = (time_t)due > now ? (uint64_t)((time_t)due - now) * 1000 : 0;
	uv_timer_start(&w->probe_timer, on_probe_timer, ms, 0);
}

static void
on_probe_done(struct engine_request *request, void *arg)
{
	struct worker *w = arg;
	struct engine_result result;
	char err[300];

	w->probe = NULL;
	if (w->stopping) {
		engine_request_free(request);
		return;
	}
	engine_request_result(request, &result);
	engine_request_free(request);
	if (result.rcode != LDNS_RCODE_NOERROR)
		log_warning("auto-trust-anchor-file: the DNSKEY probe failed "
		    "(%s), will retry", result.ede_text != NULL ?
		    result.ede_text : ldns_pkt_rcode2str(result.rcode));
	if (engine_autotrust_probe_done(w->daemon->engine,
	    result.rcode == LDNS_RCODE_NOERROR, (uint32_t)time(NULL), err,
	    sizeof(err)) != 0)
		log_error("auto-trust-anchor-file: %s", err);
	worker_autotrust_rearm(w);
}

static void
on_probe_timer(uv_timer_t *timer)
{
	struct worker *w = timer->data;
	struct engine_question question = { 0 };
	char err[300];

	if (w->stopping || w->probe != NULL || w->drive == NULL)
		return;
	if ((question.name = engine_autotrust_zone(w->daemon->engine)) == NULL)
		return;		/* a reload took the file away */
	question.type = LDNS_RR_TYPE_DNSKEY;
	question.klass = LDNS_RR_CLASS_IN;
	question.dnssec_ok = true;
	w->probe = engine_request_new(w->daemon->engine, &question,
	    ENGINE_REQUEST_NO_CACHE, drive_now(w->drive),
	    log_enabled(LOG_LEVEL_DEBUG) ? &debug_observer : NULL, NULL);
	ldns_rdf_deep_free(question.name);
	if (w->probe != NULL && drive_request_start(w->drive, w->probe,
	    on_probe_done, w) == 0)
		return;
	engine_request_free(w->probe);
	w->probe = NULL;
	log_warning("auto-trust-anchor-file: out of memory for the probe");
	if (engine_autotrust_probe_done(w->daemon->engine, false,
	    (uint32_t)time(NULL), err, sizeof(err)) != 0)
		log_error("auto-trust-anchor-file: %s", err);
	worker_autotrust_rearm(w);
}

static void
close_pending(struct worker *w)
{
	/* Cancelling runs on_resolved, which unlinks each pending entry. */
	drive_free(w->drive);
	w->drive = NULL;
}

static void
on_stop(uv_async_t *async)
{
	struct worker *w = async->data;

	w->stopping = true;
	close_pending(w);
	if (w->index == 0)
		uv_close((uv_handle_t *)&w->probe_timer, NULL);
	for (size_t i = 0; i < w->udp_count; i++)
		uv_close((uv_handle_t *)&w->udp[i], NULL);
	for (size_t i = 0; i < w->tcp_count; i++)
		uv_close((uv_handle_t *)&w->tcp[i], NULL);
	while (w->conns != NULL)
		tcp_conn_close(w->conns);
	uv_close((uv_handle_t *)&w->stop_async, NULL);
	uv_close((uv_handle_t *)&w->park_async, NULL);
}

static void
on_park(uv_async_t *async)
{
	struct worker *w = async->data;

	daemon_park(w->daemon);
}

void
worker_park(struct worker *w)
{
	uv_async_send(&w->park_async);
}

void
worker_set_outgoing(struct worker *w, const struct sockaddr_storage *v4,
    const struct sockaddr_storage *v6)
{
	if (w->drive != NULL)
		drive_set_outgoing(w->drive, v4, v6);
}

struct worker *
worker_new(struct daemon *daemon, unsigned index)
{
	struct worker *w = calloc(1, sizeof(*w));
	struct drive_config dc = { 0 };
	char err[256];

	if (w == NULL)
		return NULL;
	w->daemon = daemon;
	w->index = index;
	w->hash_seed = arc4random();
	if (uv_loop_init(&w->loop) != 0) {
		free(w);
		return NULL;
	}
	dc.outgoing_v4 = daemon->config.outgoing_v4;
	dc.outgoing_v6 = daemon->config.outgoing_v6;
	if (daemon->config.dnstap_log_resolver_queries ||
	    daemon->config.dnstap_log_resolver_responses) {
		dc.on_message = tap_upstream;	/* daemon->dnstap opens later */
		dc.message_ctx = w;
	}
	if ((w->clients = client_table_new()) == NULL ||
	    (w->drive = drive_new(&w->loop, daemon->engine, &dc, err,
	    sizeof(err))) == NULL) {
		log_error("%s", w->clients == NULL ? "out of memory" : err);
		client_table_free(w->clients);
		uv_loop_close(&w->loop);
		free(w);
		return NULL;
	}
	uv_async_init(&w->loop, &w->stop_async, on_stop);
	w->stop_async.data = w;
	uv_async_init(&w->loop, &w->park_async, on_park);
	w->park_async.data = w;
	if (index == 0) {
		uv_timer_init(&w->loop, &w->probe_timer);
		w->probe_timer.data = w;
		worker_autotrust_rearm(w);
	}
	return w;
}

uv_loop_t *
worker_loop(struct worker *w)
{
	return &w->loop;
}

void
worker_run(struct worker *w)
{
	uv_run(&w->loop, UV_RUN_DEFAULT);
}

static void
worker_thread(void *arg)
{
	worker_run(arg);
}

int
worker_start_thread(struct worker *w)
{
	return uv_thread_create(&w->thread, worker_thread, w);
}

void
worker_stop(struct worker *w)
{
	uv_async_send(&w->stop_async);
}

void
worker_join(struct worker *w)
{
	uv_thread_join(&w->thread);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	drive_free(w->drive);
	if (w->index == 0 && !uv_is_closing((uv_handle_t *)&w->probe_timer))
		uv_close((uv_handle_t *)&w->probe_timer, NULL);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	uv_loop_close(&w->loop);
	client_table_free(w->clients);
	free(w->udp);
	free(w->tcp);
	free(w);
}
