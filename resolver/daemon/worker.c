/*
 * worker.c: one libuv loop and thread serving clients. Every query is
 * checked against the access list, answered from the local zones or the
 * answer cache in the receive callback when it can be (no allocation, no
 * iterator), and otherwise handed to pending.c to join or start a
 * resolution. The sockets are udp_listen.c's and tcp_listen.c's.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnstap.h"
#include "client_table.h"
#include "dname.h"
#include "engine_limits.h"
#include "local_zones.h"
#include "log.h"
#include "observer.h"
#include "worker.h"

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

void
worker_client_send(struct worker *w, const struct client *client,
    const uint8_t *data, size_t len)
{
	/* dnstap_wants is a call: most daemons have no dnstap. */
	if (w->daemon->dnstap != NULL &&
	    dnstap_wants(w->daemon->dnstap, DNSTAP_CLIENT_RESPONSE))
		tap_client(w, client, DNSTAP_CLIENT_RESPONSE, data, len);
	if (client->tcp == NULL)
		udp_send(w, client, data, len);
	else
		tcp_send(w, client->tcp, data, len);
}

void
worker_send_error(struct worker *w, const struct client *client,
    const uint8_t *wire, size_t len, const struct client_query *q,
    unsigned rcode)
{
	size_t n = fastpath_error_reply(wire, len, q, rcode, w->reply,
	    sizeof(w->reply));

	if (n > 0)
		worker_client_send(w, client, w->reply, n);
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

const struct engine_observer worker_debug_observer = { debug_on_event };

/* ---- one query ---- */

void
intake_begin(struct intake *in)
{
	in->now = time(NULL);
	in->arrived_ns = uv_hrtime();
	in->queries = in->hits = in->answered = 0;
	in->acl_family = 0;
}

/*
 * Whether the 4- or 16-byte addresses are equal: fixed-size loads, where
 * libc's memcmp cost more in its call than the compare.
 */
static inline bool
same_addr(const uint8_t *a, const void *b, size_t len)
{
	uint64_t x[2], y[2];

	if (len == 4) {
		uint32_t u, v;

		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u == v;
	}
	memcpy(x, a, 16);
	memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

/* acl_check, remembered for the intake's last client address. */
static enum acl_action
intake_acl(struct intake *in, const struct acl *acl,
    const struct sockaddr *from)
{
	const void *addr;
	size_t len;

	if (from->sa_family == AF_INET) {
		addr = &((const struct sockaddr_in *)(const void *)from)->sin_addr;
		len = 4;
	} else if (from->sa_family == AF_INET6) {
		addr = &((const struct sockaddr_in6 *)(const void *)from)->sin6_addr;
		len = 16;
	} else
		return acl_check(acl, from);
	if (in->acl_family != from->sa_family ||
	    !same_addr(in->acl_addr, addr, len)) {
		in->acl_action = acl_check(acl, from);
		in->acl_family = from->sa_family;
		memcpy(in->acl_addr, addr, len);
	}
	return in->acl_action;
}

void
intake_done(struct worker *w, struct intake *in)
{
	struct daemon *d = w->daemon;

	if (in->queries > 0)
		__atomic_fetch_add(&d->stats.queries, in->queries,
		    __ATOMIC_RELAXED);
	if (in->hits > 0)
		__atomic_fetch_add(&d->stats.fastpath_hits, in->hits,
		    __ATOMIC_RELAXED);
	if (in->answered > 0)
		metrics_observe_many(&d->stats.latency,
		    uv_hrtime() - in->arrived_ns, in->answered);
	in->queries = in->hits = in->answered = 0;
}

void
worker_handle_query(struct worker *w, struct intake *in,
    const struct client *client, const uint8_t *wire, size_t len)
{
	struct parsed_query p;

	worker_parse_query(w, wire, len, &p);
	worker_answer_query(w, in, client, wire, len, &p);
}

void
worker_answer_query(struct worker *w, struct intake *in,
    const struct client *client, const uint8_t *wire, size_t len,
    struct parsed_query *p)
{
	struct daemon *d = w->daemon;
	const struct sockaddr *from = client->tcp != NULL ? NULL :
	    (const struct sockaddr *)&client->addr;
	struct client_query *q = &p->q;
	bool over_tcp = client->tcp != NULL, want_prefetch = false, drop;
	bool snoop = over_tcp && client->tcp->snoop;
	uint8_t *out = w->reply;
	size_t n, cap = sizeof(w->reply);

	in->queries++;
	if (d->dnstap != NULL && dnstap_wants(d->dnstap, DNSTAP_CLIENT_QUERY))
		tap_client(w, client, DNSTAP_CLIENT_QUERY, wire, len);
	if (from != NULL) {
		enum acl_action action = intake_acl(in, d->config.acl, from);

		snoop = action == ACL_ALLOW_SNOOP;
		if (action == ACL_DENY) {
			DAEMON_COUNT(d, clients_denied);
			return;
		}
		if (action == ACL_REFUSE) {
			DAEMON_COUNT(d, clients_refused);
			if (p->check != QUERY_DROP)
				worker_send_error(w, client, wire, len,
				    p->check == QUERY_OK ? q : NULL,
				    LDNS_RCODE_REFUSED);
			return;
		}
	}
	switch (p->check) {
	case QUERY_OK:
		/* UDP replies never exceed max-udp-size, whatever the client says. */
		if (!over_tcp && q->udp_size > d->config.max_udp_size)
			q->udp_size = (uint16_t)d->config.max_udp_size;
		break;
	case QUERY_DROP:
		DAEMON_COUNT(d, malformed);
		return;
	case QUERY_FORMERR:
		DAEMON_COUNT(d, malformed);
		worker_send_error(w, client, wire, len, NULL, LDNS_RCODE_FORMERR);
		return;
	case QUERY_NOTIMP:
		worker_send_error(w, client, wire, len, NULL, LDNS_RCODE_NOTIMPL);
		return;
	case QUERY_BADVERS:
		worker_send_error(w, client, wire, len, q, 16);
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
	/* A UDP reply is written where its batch sends it from. */
	if (!over_tcp)
		out = udp_reply_room(w, client, &cap);
	n = !q->rd && !snoop ? 0 :
	    /* The fast path: a cached answer leaves from here, untouched by the iterator. */
	    fastpath_answer_hashed(w->answers, q, p->hash,
	    in->now, over_tcp, out, cap, &want_prefetch);
	if (n > 0) {
		in->hits++;
		in->answered++;
		/* worker_client_send's work, without its call, when untapped. */
		if (d->dnstap == NULL && !over_tcp)
			udp_send(w, client, out, n);
		else
			worker_client_send(w, client, out, n);
		if (want_prefetch && q->rd && d->config.engine.prefetch)
			pending_prefetch(w, q);
		return;
	}
	if (q->qtype == LDNS_RR_TYPE_AXFR || q->qtype == LDNS_RR_TYPE_IXFR ||
	    q->qclass != LDNS_RR_CLASS_IN) {
		worker_send_error(w, client, wire, len, q, LDNS_RCODE_REFUSED);
		return;
	}
	if ((n = local_zone_answer(__atomic_load_n(&d->config.local_zones,
	    __ATOMIC_ACQUIRE), q, w->answer, sizeof(w->answer), &drop)) > 0 ||
	    drop || (q->qtype == LDNS_RR_TYPE_ANY &&
	    (n = local_any_answer(q, w->answer, sizeof(w->answer))) > 0)) {
		DAEMON_COUNT(d, local_answers);
		if (drop)
			return;		/* local-zone deny */
		n = fastpath_reply(q, w->answer, n, -1, NULL, over_tcp,
		    w->reply, sizeof(w->reply));
		if (n > 0)
			worker_client_send(w, client, w->reply, n);
		in->answered++;
		return;
	}
	if (w->stopping)
		return;
	if (!q->rd) {
		DAEMON_COUNT(d, norec_refused);
		worker_send_error(w, client, wire, len, q, LDNS_RCODE_REFUSED);
		return;
	}
	pending_resolve(w, in, client, wire, len, q);
}

/* ---- sockets, loop, thread ---- */

/*
 * A socket bound with SO_REUSEPORT so every worker can own one. A UDP
 * socket gets a receive queue of `rcvbuf` bytes (0: the default).
 */
static int
bound_socket(const struct config_listen *l, int type, int rcvbuf)
{
	int fd = socket(l->addr.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0), on = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (l->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (type == SOCK_DGRAM && rcvbuf > 0) {
		/* Past net.core.rmem_max as root (we bind before the drop). */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		    sizeof(rcvbuf)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			    sizeof(rcvbuf));
	}
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) != 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * Whether a UDP socket without SO_REUSEADDR or SO_REUSEPORT can be bound
 * to the address (then closed): no other socket holds its port, so the
 * SO_REUSEPORT group our sockets form there is ours alone. Another
 * process's members (a second descendd of the same user) would take
 * places in it, and our steering program would replace theirs.
 */
static bool
udp_port_unused(const struct config_listen *l)
{
	int fd = socket(l->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;
	bool unused;

	if (fd < 0)
		return false;
	if (l->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	unused = bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) == 0;
	close(fd);
	return unused;
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

/* 0.0.0.0 or ::: queries come to any of the host's addresses. */
static bool
listen_is_wildcard(const struct config_listen *l)
{
	const struct sockaddr_in *in = (const void *)&l->addr;
	const struct sockaddr_in6 *in6 = (const void *)&l->addr;

	if (l->addr.ss_family == AF_INET)
		return in->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
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
		struct udp_listen *u = &w->udp[w->udp_count];
		bool alone = w->index == 0 && udp_port_unused(l);
		char where[80];
		int ufd = bound_socket(l, SOCK_DGRAM, UDP_SOCKET_RCVBUF), tfd;

		describe_listen(l, where, sizeof(where));
		if (ufd < 0) {
			log_warning("cannot listen on %s (UDP): %s", where,
			    strerror(-ufd));
			continue;
		}
		if ((tfd = bound_socket(l, SOCK_STREAM, 0)) < 0) {
			log_warning("cannot listen on %s (TCP): %s", where,
			    strerror(-tfd));
			close(ufd);
			continue;
		}
		bool udp_ok = udp_listen_start(w, u, ufd, listen_is_wildcard(l));
		bool tcp_ok = tcp_listen_start(w, &w->tcp[w->tcp_count], tfd);

		u->alone = udp_ok && alone;
		if (!udp_ok || !tcp_ok) {
			log_warning("cannot serve on %s", where);
			continue;
		}
		if (w->index == 0)
			log_info("listening on %s (UDP and TCP)", where);
	}
	return w->udp_count > 0;
}

static bool
same_address(const struct udp_listen *a, const struct udp_listen *b)
{
	return a->selflen != 0 && a->selflen == b->selflen &&
	    memcmp(&a->self, &b->self, a->selflen) == 0;
}

/* Whether a socket before workers[wi]->udp[ui] has its address. */
static bool
seen_before(struct worker **workers, unsigned wi, size_t ui)
{
	const struct udp_listen *u = &workers[wi]->udp[ui];

	for (unsigned v = 0; v <= wi; v++)
		for (size_t j = 0; j < workers[v]->udp_count; j++) {
			if (v == wi && j == ui)
				return false;
			if (same_address(u, &workers[v]->udp[j]))
				return true;
		}
	return false;
}

/*
 * The group of `first`, the first of our sockets bound to its address:
 * the program steering its datagrams to the receive sockets, then a
 * send-only socket for each of them. 0, or -errno when the program is
 * refused.
 *
 * The sockets of one SO_REUSEPORT group hold its places in the order they
 * joined it: every worker's receive sockets, bound by worker_listen one
 * worker after the other in the main thread, before any send-only socket,
 * and nobody else's (the port was unused before). The receive sockets
 * are then the group's first places, whichever of them failed and was
 * closed (a closed socket's place goes to the group's last), and the
 * send-only sockets bound here take the places after them.
 */
static int
steer_group(struct worker **workers, unsigned count, unsigned wi,
    struct udp_listen *first)
{
	struct config_listen at;
	unsigned receivers = 0;
	int err;

	for (unsigned v = wi; v < count; v++)
		for (size_t j = 0; j < workers[v]->udp_count; j++)
			if (same_address(first, &workers[v]->udp[j]))
				receivers++;
	if ((err = udp_listen_steer(first, receivers)) != 0)
		return err;
	memcpy(&at.addr, &first->self, first->selflen);
	at.addrlen = first->selflen;
	for (unsigned v = wi; v < count; v++)
		for (size_t j = 0; j < workers[v]->udp_count; j++) {
			struct udp_listen *u = &workers[v]->udp[j];

			if (!same_address(first, u))
				continue;
			/*
			 * Never read: the smallest queue. One that cannot be
			 * bound leaves its worker's replies to the receive
			 * socket, as before.
			 */
			if ((u->send_fd = bound_socket(&at, SOCK_DGRAM, 1)) < 0)
				u->send_fd = -1;
		}
	return 0;
}

void
worker_listen_senders(struct worker **workers, unsigned count)
{
	static bool warned;

	for (unsigned wi = 0; wi < count; wi++)
		for (size_t ui = 0; ui < workers[wi]->udp_count; ui++) {
			struct udp_listen *first = &workers[wi]->udp[ui];
			struct config_listen at;
			char where[80];
			int err;

			if (first->selflen == 0 || seen_before(workers, wi, ui))
				continue;	/* done with its group's first */
			memcpy(&at.addr, &first->self, first->selflen);
			at.addrlen = first->selflen;
			describe_listen(&at, where, sizeof(where));
			if (!first->alone)
				log_info("%s (UDP): the port was in use before "
				    "we bound it: replies leave from the "
				    "receive sockets", where);
			else if ((err = steer_group(workers, count, wi,
			    first)) != 0 && !warned) {
				log_info("%s (UDP): cannot steer queries to "
				    "receive sockets only (%s): replies leave "
				    "from them", where, strerror(-err));
				warned = true;
			}
		}
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
	    log_enabled(LOG_LEVEL_DEBUG) ? &worker_debug_observer : NULL, NULL);
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
		udp_listen_close(&w->udp[i]);
	for (size_t i = 0; i < w->tcp_count; i++)
		uv_close((uv_handle_t *)&w->tcp[i], NULL);
	tcp_close_all(w);
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
	w->answers = engine_answer_cache(daemon->engine);
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
	    (w->tcp_addrs = client_table_new()) == NULL ||
	    (w->drive = drive_new(&w->loop, daemon->engine, &dc, err,
	    sizeof(err))) == NULL) {
		log_error("%s", w->clients == NULL || w->tcp_addrs == NULL ?
		    "out of memory" : err);
		client_table_free(w->clients);
		client_table_free(w->tcp_addrs);
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
	client_table_free(w->tcp_addrs);
	free(w->udp);
	free(w->tcp);
	free(w);
}
