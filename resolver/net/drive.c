/*
 * drive.c: pumps engine requests on a libuv loop. Each upstream query gets
 * its own UDP socket on a random source port (RFC 5452 §9.2) or its own
 * TCP connection, and a timer; replies, timeouts and socket errors go back
 * to the engine, which says what to do next.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drive.h"
#include "engine_limits.h"

/* A DNS message over TCP: a 2-byte length, then at most 65535 bytes. */
#define TCP_MESSAGE_MAX		(2 + 65535)
#define DNS_HEADER_LEN		12

struct drive_run;

/*
 * One query on the wire. Freed when its handles have closed. A UDP query
 * still out when its request ends is an orphan: it stays open until its
 * reply or its timeout, which go to the server table
 * (engine_report_orphan), and nobody else.
 */
struct upstream_query {
	struct drive *drive;
	struct drive_run *run;		/* NULL once the run moved on */
	struct upstream_query *next;	/* the run's other queries in flight */
	bool orphan;
	struct upstream_query *orphan_prev, *orphan_next;
	uint32_t send_id;
	uint16_t dns_id;		/* an orphan's reply must carry it */
	bool over_tcp;
	union {
		uv_handle_t handle;
		uv_udp_t udp;
		uv_tcp_t tcp;
	} sock;
	uv_timer_t timer;
	uv_connect_t connect;
	uv_write_t write;
	unsigned open_handles;
	uint64_t sent_ms;
	uint8_t *out;			/* TCP: length prefix + message */
	size_t out_len;
	uint8_t *in;			/* TCP: one message being assembled */
	size_t in_len, in_cap;		/* in_cap <= TCP_MESSAGE_MAX */
	unsigned messages;		/* TCP: messages the server sent */
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

struct drive_run {
	struct drive *drive;
	struct engine_request *request;
	drive_done_cb answered;		/* may be NULL */
	drive_done_cb done;
	void *arg;
	/* In flight: the query, a hedge, one the engine abandoned (RTT). */
	struct upstream_query *queries;
	uv_timer_t wake;		/* a hedge is due, or the deadline */
	uint32_t last_send_id;
	struct drive_run *next, *prev;
};

struct drive {
	uv_loop_t *loop;
	struct engine *engine;
	struct drive_config config;
	struct drive_run *runs;
	struct upstream_query *orphans;
	unsigned orphan_count;		/* at most LIMIT_UPSTREAM_ORPHANS */
	/*
	 * One receive buffer for every socket of the loop: libuv hands a
	 * datagram to on_udp_recv before it asks for the next buffer, and TCP
	 * reads are copied out at once. A buffer per query cost 64 KiB for
	 * each one in flight, hundreds of MiB when servers stop answering.
	 */
	uint8_t recv_buf[65536];
};

static void run_pump(struct drive_run *run);

struct engine_now
drive_now(struct drive *drive)
{
	struct engine_now now;

	(void)drive;
	now.wall = time(NULL);
	now.ms = uv_hrtime() / 1000000;
	return now;
}

struct drive *
drive_new(uv_loop_t *loop, struct engine *engine,
    const struct drive_config *config, char *err, size_t errlen)
{
	struct drive *drive = calloc(1, sizeof(*drive));

	if (drive == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	drive->loop = loop;
	drive->engine = engine;
	if (config != NULL)
		drive->config = *config;
	return drive;
}

void
drive_set_outgoing(struct drive *drive, const struct sockaddr_storage *v4,
    const struct sockaddr_storage *v6)
{
	drive->config.outgoing_v4 = *v4;
	drive->config.outgoing_v6 = *v6;
}

static void
query_handle_closed(uv_handle_t *handle)
{
	struct upstream_query *q = handle->data;

	if (--q->open_handles == 0) {
		free(q->out);
		free(q->in);
		free(q);
	}
}

/* Takes the query off its run's list of queries in flight. */
static void
query_detach(struct upstream_query *q)
{
	if (q->run != NULL) {
		struct upstream_query **p = &q->run->queries;

		while (*p != NULL && *p != q)
			p = &(*p)->next;
		if (*p == q)
			*p = q->next;
	}
	q->run = NULL;
}

/* Detaches the query from its run and closes its socket and timer. */
static void
query_close(struct upstream_query *q)
{
	query_detach(q);
	if (!uv_is_closing(&q->sock.handle))
		uv_close(&q->sock.handle, query_handle_closed);
	if (!uv_is_closing((uv_handle_t *)&q->timer)) {
		uv_timer_stop(&q->timer);
		uv_close((uv_handle_t *)&q->timer, query_handle_closed);
	}
}

static void
run_closed(uv_handle_t *handle)
{
	free(handle->data);
}

/* Closes an orphan: its reply or timeout came, or the driver closes. */
static void
orphan_close(struct upstream_query *q)
{
	struct drive *drive = q->drive;

	if (q->orphan_prev != NULL)
		q->orphan_prev->orphan_next = q->orphan_next;
	else
		drive->orphans = q->orphan_next;
	if (q->orphan_next != NULL)
		q->orphan_next->orphan_prev = q->orphan_prev;
	q->orphan = false;
	drive->orphan_count--;
	query_close(q);
}

/*
 * The request ended with the query still out: a UDP query is kept for the
 * server table, up to LIMIT_UPSTREAM_ORPHANS; a TCP one (rare: a retry
 * after truncation) is closed.
 */
static void
query_orphan(struct upstream_query *q)
{
	struct drive *drive = q->drive;
	struct upstream_query **p = &q->run->queries;

	if (q->over_tcp || drive->orphan_count >= LIMIT_UPSTREAM_ORPHANS) {
		query_close(q);
		return;
	}
	while (*p != NULL && *p != q)
		p = &(*p)->next;
	if (*p == q)
		*p = q->next;
	q->run = NULL;
	q->orphan = true;
	q->orphan_prev = NULL;
	q->orphan_next = drive->orphans;
	if (drive->orphans != NULL)
		drive->orphans->orphan_prev = q;
	drive->orphans = q;
	drive->orphan_count++;
}

/*
 * Ends a run. Its queries still out are kept as orphans when the request
 * finished (`keep`), closed when it was cancelled (a jostle, a shutdown).
 */
static void
run_finish(struct drive_run *run, bool keep)
{
	struct drive *drive = run->drive;

	while (run->queries != NULL)
		if (keep)
			query_orphan(run->queries);
		else
			query_close(run->queries);
	uv_timer_stop(&run->wake);
	if (run->prev != NULL)
		run->prev->next = run->next;
	else
		drive->runs = run->next;
	if (run->next != NULL)
		run->next->prev = run->prev;
	run->done(run->request, run->arg);
	uv_close((uv_handle_t *)&run->wake, run_closed);
}

void
drive_free(struct drive *drive)
{
	if (drive == NULL)
		return;
	while (drive->runs != NULL)
		run_finish(drive->runs, false);
	while (drive->orphans != NULL)
		orphan_close(drive->orphans);
	free(drive);
}

static uint32_t
query_rtt(const struct upstream_query *q, struct engine_now now)
{
	return now.ms > q->sent_ms ? (uint32_t)(now.ms - q->sent_ms) : 0;
}

/* Hands a reply to the engine; moves on unless the engine ignored it. */
static void
query_deliver(struct upstream_query *q, const struct sockaddr *from,
    socklen_t fromlen, const uint8_t *data, size_t len)
{
	struct drive_run *run = q->run;
	struct engine_now now;

	if (q->orphan) {
		/* Ours by address and ID (RFC 5452 enough for an RTT). */
		if (len >= 2 && (data[0] << 8 | data[1]) == q->dns_id &&
		    engine_same_address(from, fromlen, &q->peer)) {
			now = drive_now(q->drive);
			engine_report_orphan(q->drive->engine, from, true,
			    query_rtt(q, now), now);
			orphan_close(q);
		}
		return;
	}
	if (run == NULL)
		return;
	now = drive_now(run->drive);
	if (engine_feed_reply(run->request, q->send_id, from, fromlen, data,
	    len, query_rtt(q, now), now) != 0)
		return;		/* not ours (RFC 5452): keep waiting */
	if (q->drive->config.on_message != NULL)
		q->drive->config.on_message(q->drive->config.message_ctx, true,
		    from, q->over_tcp, data, len);
	/*
	 * The next query goes out before this socket is closed (epoll_ctl,
	 * close): detached first, so that a run finishing in run_pump does
	 * not keep it as an orphan waiting for a reply already had.
	 */
	query_detach(q);
	run_pump(run);
	query_close(q);
}

static void
query_fail(struct upstream_query *q, const char *reason)
{
	struct drive_run *run = q->run;
	struct engine_now now;

	if (q->orphan) {
		/* A timeout is the server's; a local error says nothing of it. */
		if (reason == NULL) {
			now = drive_now(q->drive);
			engine_report_orphan(q->drive->engine,
			    (const struct sockaddr *)&q->peer, false, 0, now);
		}
		orphan_close(q);
		return;
	}
	if (run == NULL)
		return;
	now = drive_now(run->drive);
	query_close(q);
	if (reason != NULL)
		engine_feed_error(run->request, q->send_id, reason, now);
	else
		engine_feed_timeout(run->request, q->send_id, now);
	run_pump(run);
}

static void
on_timeout(uv_timer_t *timer)
{
	query_fail(timer->data, NULL);
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct upstream_query *q = handle->data;

	(void)suggested;
	*buf = uv_buf_init((char *)q->drive->recv_buf,
	    sizeof(q->drive->recv_buf));
}

static void
on_udp_recv(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct upstream_query *q = udp->data;

	(void)flags;
	if (nread < 0) {
		query_fail(q, uv_strerror((int)nread));
		return;
	}
	if (nread == 0 || from == NULL)
		return;
	query_deliver(q, from, from->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
	    (const uint8_t *)buf->base, (size_t)nread);
}

/*
 * Splits what a server streams into messages. The buffer holds one
 * message at most (its length says how big, never more than 65537 bytes);
 * each complete message goes to the engine once and is then consumed, so a
 * reply the engine ignored (not ours: RFC 5452) is not handed over again
 * with the next read. A length too short for a DNS header is garbage, and
 * a server that keeps streaming messages the engine ignores is cut off
 * after LIMIT_UPSTREAM_TCP_MESSAGES: either way the query fails.
 */
static void
on_tcp_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct upstream_query *q = stream->data;
	const uint8_t *data = (const uint8_t *)buf->base;
	size_t left;

	if (nread < 0) {
		query_fail(q, nread == UV_EOF ? "connection closed" :
		    uv_strerror((int)nread));
		return;
	}
	left = (size_t)nread;
	while (left > 0 && q->run != NULL) {
		size_t want = q->in_len < 2 ? 2 :
		    2 + (size_t)(q->in[0] << 8 | q->in[1]);
		size_t take = want - q->in_len < left ? want - q->in_len : left;

		if (want > q->in_cap) {
			uint8_t *in = realloc(q->in, want);

			if (in == NULL) {
				query_fail(q, "out of memory");
				return;
			}
			q->in = in;
			q->in_cap = want;
		}
		memcpy(q->in + q->in_len, data, take);
		q->in_len += take;
		data += take;
		left -= take;
		if (q->in_len < want)
			continue;
		if (want == 2) {
			if ((size_t)(q->in[0] << 8 | q->in[1]) < DNS_HEADER_LEN) {
				query_fail(q, "garbage on the TCP connection");
				return;
			}
			continue;
		}
		if (++q->messages > LIMIT_UPSTREAM_TCP_MESSAGES) {
			query_fail(q, "too many messages on the TCP connection");
			return;
		}
		q->in_len = 0;
		query_deliver(q, (const struct sockaddr *)&q->peer, q->peerlen,
		    q->in + 2, want - 2);
	}
}

static void
on_tcp_written(uv_write_t *req, int status)
{
	if (status < 0)
		query_fail(req->data, uv_strerror(status));
}

static void
on_tcp_connect(uv_connect_t *req, int status)
{
	struct upstream_query *q = req->data;
	uv_buf_t buf;

	if (status < 0) {
		if (status != UV_ECANCELED)
			query_fail(q, uv_strerror(status));
		return;
	}
	if (q->run == NULL)
		return;
	buf = uv_buf_init((char *)q->out, (unsigned)q->out_len);
	q->write.data = q;
	if (uv_write(&q->write, (uv_stream_t *)&q->sock.tcp, &buf, 1,
	    on_tcp_written) < 0 ||
	    uv_read_start((uv_stream_t *)&q->sock.tcp, on_alloc,
	    on_tcp_read) < 0)
		query_fail(q, "cannot write to the TCP connection");
}

/* The source address for a query to `family`, port 0 or random. */
static void
source_address(const struct drive *drive, int family,
    struct sockaddr_storage *src)
{
	const struct sockaddr_storage *configured = family == AF_INET6 ?
	    &drive->config.outgoing_v6 : &drive->config.outgoing_v4;

	memset(src, 0, sizeof(*src));
	if (configured->ss_family == family)
		*src = *configured;
	else
		src->ss_family = (sa_family_t)family;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* Binds the UDP socket to a random port (RFC 5452 §9.2), retrying collisions. */
static int
bind_random_port(struct drive *drive, uv_udp_t *udp, int family)
{
	struct sockaddr_storage src;
	int rc = UV_EADDRINUSE;

	source_address(drive, family, &src);
	for (int tries = 0; tries < 10 && rc == UV_EADDRINUSE; tries++) {
		set_port(&src, (uint16_t)(1024 + arc4random_uniform(65536 - 1024)));
		rc = uv_udp_bind(udp, (struct sockaddr *)&src, 0);
	}
	if (rc == UV_EADDRINUSE) {
		set_port(&src, 0);
		rc = uv_udp_bind(udp, (struct sockaddr *)&src, 0);
	}
	return rc;
}

static int
query_start_udp(struct drive *drive, struct upstream_query *q,
    const struct engine_send *send)
{
	uv_buf_t buf = uv_buf_init((char *)(uintptr_t)send->wire,
	    (unsigned)send->wire_len);
	int rc;

	if ((rc = uv_udp_init(drive->loop, &q->sock.udp)) < 0)
		return rc;
	q->open_handles++;
	q->sock.udp.data = q;
	if ((rc = bind_random_port(drive, &q->sock.udp,
	    send->addr.ss_family)) < 0 ||
	    (rc = uv_udp_recv_start(&q->sock.udp, on_alloc, on_udp_recv)) < 0)
		return rc;
	rc = uv_udp_try_send(&q->sock.udp, &buf, 1,
	    (const struct sockaddr *)&send->addr);
	return rc < 0 ? rc : 0;
}

static int
query_start_tcp(struct drive *drive, struct upstream_query *q,
    const struct engine_send *send)
{
	struct sockaddr_storage src;
	int rc;

	if ((rc = uv_tcp_init(drive->loop, &q->sock.tcp)) < 0)
		return rc;
	q->open_handles++;
	q->sock.tcp.data = q;
	source_address(drive, send->addr.ss_family, &src);
	if (src.ss_family != 0 && (rc = uv_tcp_bind(&q->sock.tcp,
	    (struct sockaddr *)&src, 0)) < 0)
		return rc;
	if ((q->out = malloc(send->wire_len + 2)) == NULL)
		return UV_ENOMEM;
	q->out[0] = (uint8_t)(send->wire_len >> 8);
	q->out[1] = (uint8_t)send->wire_len;
	memcpy(q->out + 2, send->wire, send->wire_len);
	q->out_len = send->wire_len + 2;
	q->connect.data = q;
	return uv_tcp_connect(&q->connect, &q->sock.tcp,
	    (const struct sockaddr *)&send->addr, on_tcp_connect);
}

/*
 * Sends one query. A local failure (no socket, no route) is fed back as an
 * error right away, like an ICMP error would be.
 */
static void
run_send(struct drive_run *run, const struct engine_send *send)
{
	struct drive *drive = run->drive;
	struct upstream_query *q = calloc(1, sizeof(*q));
	int rc;

	if (q == NULL) {
		engine_feed_error(run->request, send->id, "out of memory",
		    drive_now(drive));
		return;
	}
	q->drive = drive;
	q->run = run;
	q->next = run->queries;
	q->send_id = send->id;
	q->dns_id = send->wire_len >= 2 ?
	    (uint16_t)(send->wire[0] << 8 | send->wire[1]) : 0;
	q->over_tcp = send->transport == ENGINE_TCP;
	q->peer = send->addr;
	q->peerlen = send->addrlen;
	q->sent_ms = drive_now(drive).ms;
	run->queries = q;
	uv_timer_init(drive->loop, &q->timer);
	q->timer.data = q;
	q->open_handles = 1;
	rc = q->over_tcp ? query_start_tcp(drive, q, send) :
	    query_start_udp(drive, q, send);
	if (rc == 0)
		rc = uv_timer_start(&q->timer, on_timeout, send->timeout_ms, 0);
	if (rc == 0 && drive->config.on_message != NULL)
		drive->config.on_message(drive->config.message_ctx, false,
		    (const struct sockaddr *)&send->addr, q->over_tcp,
		    send->wire, send->wire_len);
	if (rc < 0) {
		if (q->open_handles == 1) {	/* the socket never opened */
			q->sock.handle.type = UV_UNKNOWN_HANDLE;
			run->queries = q->next;
			q->run = NULL;
			uv_close((uv_handle_t *)&q->timer, query_handle_closed);
		} else
			query_close(q);
		engine_feed_error(run->request, send->id, uv_strerror(rc),
		    drive_now(drive));
	}
}

static void
on_wake(uv_timer_t *timer)
{
	run_pump(timer->data);
}

static void
run_pump(struct drive_run *run)
{
	for (;;) {
		struct engine_action action;

		switch (engine_next_action(run->request, drive_now(run->drive),
		    &action)) {
		case ENGINE_SEND:
			run->last_send_id = action.send.id;
			run_send(run, &action.send);
			continue;
		case ENGINE_WAIT:
			/*
			 * Woken for a hedge or at the request's deadline,
			 * whichever comes first: a query's own timeout may
			 * lie beyond the deadline, and the request must end
			 * by then (engine_request_deadline).
			 */
			uv_timer_start(&run->wake, on_wake,
			    action.wake_ms != 0 &&
			    action.wake_ms < action.wait_ms ?
			    action.wake_ms : action.wait_ms, 0);
			if (run->queries == NULL) {
				/* Nothing in flight can wake us: let the engine fail it. */
				engine_feed_timeout(run->request,
				    run->last_send_id, drive_now(run->drive));
				continue;
			}
			return;
		case ENGINE_ANSWER:
			/* The client is answered; the request goes on. */
			if (run->answered != NULL)
				run->answered(run->request, run->arg);
			continue;
		case ENGINE_DONE:
			run_finish(run, true);
			return;
		}
	}
}

int
drive_request_start(struct drive *drive, struct engine_request *request,
    drive_done_cb done, void *arg)
{
	return drive_request_start_answering(drive, request, NULL, done, arg);
}

int
drive_request_start_answering(struct drive *drive,
    struct engine_request *request, drive_done_cb answered,
    drive_done_cb done, void *arg)
{
	struct drive_run *run = calloc(1, sizeof(*run));

	if (run == NULL)
		return -1;
	run->drive = drive;
	run->request = request;
	run->answered = answered;
	run->done = done;
	run->arg = arg;
	uv_timer_init(drive->loop, &run->wake);
	run->wake.data = run;
	run->next = drive->runs;
	if (drive->runs != NULL)
		drive->runs->prev = run;
	drive->runs = run;
	run_pump(run);
	return 0;
}

void
drive_request_cancel(struct drive *drive, struct engine_request *request)
{
	for (struct drive_run *run = drive->runs; run != NULL; run = run->next) {
		if (run->request == request) {
			run_finish(run, false);
			return;
		}
	}
}
