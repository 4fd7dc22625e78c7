/*
 * tcp_listen.c: the client TCP connections (RFC 7766): accept and the ACL,
 * length-prefixed framing, pipelining, idle and stall timeouts, and the
 * bounds on the reply bytes a client that does not read can make us (and
 * the kernel, for us) hold.
 */
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "acl.h"
#include "client_table.h"
#include "engine_limits.h"
#include "worker.h"

/* ---- sending replies ---- */

struct tcp_write {
	uv_write_t req;
	struct tcp_conn *conn;
	size_t len;
	uint8_t data[];
};

static void tcp_conn_close(struct tcp_conn *conn, bool reset);
static void tcp_conn_finish_if_done(struct tcp_conn *conn);
static void on_tcp_timer(uv_timer_t *timer);

/*
 * The connection's one timer fires in `ms` at the latest. Every event that
 * may bring a deadline closer calls this; on_tcp_timer works out from the
 * connection's state what is due, so firing early only looks again.
 */
static void
tcp_conn_wake(struct tcp_conn *conn, uint64_t ms)
{
	uint64_t due = uv_now(&conn->worker->loop) + ms;

	if (uv_is_active((uv_handle_t *)&conn->idle) && conn->due <= due)
		return;
	conn->due = due;
	uv_timer_start(&conn->idle, on_tcp_timer, ms, 0);
}

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
		/* A reply went out: progress, and activity (not idle). */
		conn->progress_ms = conn->active_ms = uv_now(&conn->worker->loop);
		/* Drained enough: resume reading on the loop's next turn. */
		if (conn->paused && conn->held <= LIMIT_TCP_WRITE_QUEUE / 2)
			tcp_conn_wake(conn, 0);
		tcp_conn_finish_if_done(conn);
	}
	tcp_conn_unref(conn);
	free(wr);
}

/*
 * Stops reading a client's queries while its replies are not read. The
 * stall limit already runs: bytes are held.
 */
static void
tcp_conn_pause(struct tcp_conn *conn)
{
	conn->paused = true;
	DAEMON_COUNT(conn->worker->daemon, tcp_paused);
	uv_read_stop((uv_stream_t *)&conn->handle);
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
		tcp_conn_close(worst, true);
	}
}

static bool
tcp_queued_fits(struct worker *w, size_t len)
{
	return __atomic_load_n(&w->daemon->stats.tcp_queued_bytes,
	    __ATOMIC_RELAXED) + len <= LIMIT_TCP_QUEUED_TOTAL;
}

/* A TCP reply, with its length prefix, under the bounds on held bytes. */
void
tcp_send(struct worker *w, struct tcp_conn *conn, const uint8_t *data,
    size_t len)
{
	struct tcp_write *wr;
	uv_buf_t buf;

	if (conn->closing)
		return;
	if (!tcp_queued_fits(w, len + 2)) {
		tcp_close_worst(w);
		if (conn->closing)
			return;
		if (!tcp_queued_fits(w, len + 2)) {
			/*
			 * The other workers hold the bytes. A TCP client never
			 * asks again on the same connection: closed, it
			 * reconnects and asks again (RFC 7766 §6.2.4).
			 */
			DAEMON_COUNT(w->daemon, tcp_replies_dropped);
			tcp_conn_close(conn, true);
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
	/* Nothing was held: the stall limit counts from now. */
	if (conn->held == 0) {
		conn->progress_ms = uv_now(&w->loop);
		tcp_conn_wake(conn, w->daemon->config.tcp_stall_timeout_ms);
	}
	conn->sent += wr->len;
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

/* Whether the buffer holds a complete query (with its length prefix). */
static bool
tcp_conn_has_query(const struct tcp_conn *conn)
{
	return conn->len >= 2 &&
	    conn->len >= 2 + (size_t)(conn->buf[0] << 8 | conn->buf[1]);
}

/*
 * A client that closed its sending side is done once every query read is
 * answered and every answer written: only then is it closed (closing
 * earlier would cancel the writes still queued).
 */
static void
tcp_conn_finish_if_done(struct tcp_conn *conn)
{
	if (conn->eof && !conn->closing && conn->in_flight == 0 &&
	    conn->held == 0 && !conn->paused && !conn->full &&
	    !tcp_conn_has_query(conn))
		tcp_conn_close(conn, false);
}

void
tcp_conn_answered(struct tcp_conn *conn)
{
	conn->in_flight--;
	if (!conn->closing) {
		/* An answer (or a query dropped): the idle clock starts again. */
		conn->active_ms = uv_now(&conn->worker->loop);
		/* Room again: read the queries held back, on the next turn. */
		if (conn->full && conn->in_flight < LIMIT_TCP_PIPELINE)
			tcp_conn_wake(conn, 0);
	}
	tcp_conn_finish_if_done(conn);
	tcp_conn_unref(conn);
}

void
tcp_conn_unref(struct tcp_conn *conn)
{
	if (--conn->refs == 0) {
		conn->worker->tcp_clients--;
		if (conn->addr_counted)
			client_table_release(conn->worker->tcp_addrs,
			    (const struct sockaddr *)&conn->peer);
		free(conn->buf);
		free(conn);
	}
}

static void
on_tcp_conn_closed(uv_handle_t *handle)
{
	tcp_conn_unref(handle->data);
}

/*
 * `reset`: the client is given up on with replies it has not read (stalled,
 * or the worst over the total bound). An RST frees what the kernel holds
 * for it at once: a FIN would queue behind those bytes, and the orphaned
 * socket would hold them until the kernel gives up on it.
 */
static void
tcp_conn_close(struct tcp_conn *conn, bool reset)
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
	if (!reset || uv_tcp_close_reset(&conn->handle, on_tcp_conn_closed) != 0)
		uv_close((uv_handle_t *)&conn->handle, on_tcp_conn_closed);
}

/*
 * The idle timeout. Once more than half the worker's slots are open it is
 * LIMIT_TCP_IDLE_BUSY_MS (RFC 7766 §6.2.3), so clients that ask now and
 * then on many connections cannot hold them all. A new connection still
 * gets the full one: it may not have had the time to send its first query.
 */
static uint64_t
tcp_conn_idle_ms(const struct tcp_conn *conn)
{
	uint64_t ms = conn->worker->daemon->config.tcp_idle_timeout_ms;

	if (conn->asked && conn->worker->tcp_clients > LIMIT_TCP_CLIENTS / 2 &&
	    ms > LIMIT_TCP_IDLE_BUSY_MS)
		ms = LIMIT_TCP_IDLE_BUSY_MS;
	return ms;
}

static void tcp_conn_process(struct tcp_conn *conn);
static void on_tcp_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf);
static void on_tcp_read(uv_stream_t *stream, ssize_t nread,
    const uv_buf_t *buf);

/*
 * Reading again, after a pause (the replies held drained to half of
 * LIMIT_TCP_WRITE_QUEUE) or a full pipeline (answers came back): the
 * queries read before the stop first.
 */
static void
tcp_conn_resume(struct tcp_conn *conn)
{
	conn->paused = false;
	if (conn->full && conn->in_flight >= LIMIT_TCP_PIPELINE)
		return;		/* tcp_conn_answered comes back */
	conn->full = false;
	conn->refs++;
	tcp_conn_process(conn);
	if (!conn->closing && !conn->paused && !conn->full && !conn->eof &&
	    uv_read_start((uv_stream_t *)&conn->handle, on_tcp_alloc,
	    on_tcp_read) != 0)
		tcp_conn_close(conn, false);
	tcp_conn_finish_if_done(conn);
	tcp_conn_unref(conn);	/* the handles' references keep conn */
}

/*
 * Whether the client holds replies it has not read: ours (`held`), or the
 * kernel's (SIOCOUTQ: written to the socket, not yet acknowledged; the
 * client's kernel acknowledges what fits in its receive buffer, so they
 * wait only for a client that does not read). With SO_SNDBUF not capped
 * the kernel parks megabytes per connection for such a client, beyond our
 * bounds. Brings `progress_ms` up to the kernel's last sending of data
 * (TCP_INFO): the client's window opening is progress even when none of
 * our writes completes, and it is exact to the kernel's tick where our
 * writes' partial progress is seen only when we look. A retransmission
 * is no progress: a client that has gone away is no reader.
 */
static bool
tcp_conn_holds(struct tcp_conn *conn, uint64_t now)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	uv_os_fd_t fd;
	int outq = 0;

	if (conn->sent == 0)
		return false;
	if (uv_fileno((uv_handle_t *)&conn->handle, &fd) != 0)
		return conn->held > 0;
	if (conn->held == 0 && (ioctl(fd, SIOCOUTQ, &outq) != 0 || outq <= 0))
		return false;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    ti.tcpi_retransmits == 0 &&
	    ti.tcpi_last_data_sent < now - conn->progress_ms)
		conn->progress_ms = now - ti.tcpi_last_data_sent;
	return true;
}

/*
 * The connection's one timer: the resumption of reading, then what the
 * connection is waiting for. Replies held (RFC 7766 §6.2.3: not idle), by
 * us or by the kernel, bound by the stall limit: a client that reads,
 * however slowly, keeps its connection, one that takes no byte for
 * tcp-stall-timeout (LIMIT_TCP_WRITE_STALL_MS) is closed (it holds our
 * memory by not reading). The timer is set to that deadline: every
 * progress is known by then (write callbacks, the kernel's clock), so the
 * close comes at the limit after the last progress, not a check later.
 * Questions being answered: not idle either (their request deadlines
 * bound them). Neither: the idle timeout, from the last question read or
 * answer written.
 */
static void
on_tcp_timer(uv_timer_t *timer)
{
	struct tcp_conn *conn = timer->data;
	uint64_t now, ms;

	if (conn->closing)
		return;
	if ((conn->paused && conn->held <= LIMIT_TCP_WRITE_QUEUE / 2) ||
	    (!conn->paused && conn->full &&
	    conn->in_flight < LIMIT_TCP_PIPELINE)) {
		tcp_conn_resume(conn);
		if (conn->closing)
			return;
	}
	now = uv_now(&conn->worker->loop);
	ms = conn->worker->daemon->config.tcp_stall_timeout_ms;
	/* Partial writes run no callback: the socket took bytes. */
	tcp_conn_account(conn);
	if (tcp_conn_holds(conn, now)) {
		if (now - conn->progress_ms >= ms) {
			DAEMON_COUNT(conn->worker->daemon, tcp_closed_stalled);
			tcp_conn_close(conn, true);
			return;
		}
		tcp_conn_wake(conn, conn->progress_ms + ms - now);
		return;
	}
	ms = tcp_conn_idle_ms(conn);
	if (conn->in_flight > 0 || conn->full || conn->paused ||
	    tcp_conn_has_query(conn)) {
		tcp_conn_wake(conn, ms);	/* look again then */
		return;
	}
	if (now - conn->active_ms >= ms) {
		DAEMON_COUNT(conn->worker->daemon, tcp_closed_idle);
		tcp_conn_close(conn, false);
		return;
	}
	tcp_conn_wake(conn, conn->active_ms + ms - now);
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
	struct intake in;
	size_t off = 0;

	intake_begin(&in);

	while (!conn->closing && !conn->paused && conn->len - off >= 2) {
		size_t msg = (size_t)(conn->buf[off] << 8 | conn->buf[off + 1]);

		if (conn->len - off < 2 + msg)
			break;
		if (conn->in_flight >= LIMIT_TCP_PIPELINE) {
			/*
			 * Stop reading until answers drain (RFC 7766 §6.2.1.1):
			 * the query waits in the buffer. A TCP client never
			 * asks again, so a query dropped here is never answered.
			 */
			conn->full = true;
			uv_read_stop((uv_stream_t *)&conn->handle);
			break;
		}
		DAEMON_COUNT(w->daemon, queries_tcp);
		worker_handle_query(w, &in, &client, conn->buf + off + 2, msg);
		off += 2 + msg;
	}
	intake_done(w, &in);
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
	if (nread == UV_EOF && conn->buf != NULL) {
		/* Half-closed: no more queries, but the answers still go. */
		conn->eof = true;
		uv_read_stop(stream);
		tcp_conn_finish_if_done(conn);
		return;
	}
	if (nread < 0 || conn->buf == NULL) {
		tcp_conn_close(conn, false);
		return;
	}
	conn->len += (size_t)nread;
	/*
	 * Activity is a complete query: a client trickling a byte at a time
	 * would otherwise hold its slot (of LIMIT_TCP_CLIENTS) forever.
	 */
	if (tcp_conn_has_query(conn)) {
		conn->asked = true;
		conn->active_ms = uv_now(&conn->worker->loop);
		tcp_conn_wake(conn, tcp_conn_idle_ms(conn));
	}
	conn->refs++;	/* handle_query may drop the last other reference */
	tcp_conn_process(conn);
	/* A full buffer that is not paused holds a message larger than we accept. */
	if (!conn->closing && !conn->paused && !conn->full &&
	    conn->len == conn->cap)
		tcp_conn_close(conn, false);
	tcp_conn_unref(conn);
}

/*
 * tcp-send-buffer: what the kernel may hold of a client's replies, fixed
 * (autotuning grows it to megabytes for a client that never reads). A
 * refusal leaves the kernel's size: a bound lost, not a client.
 */
static void
tcp_conn_cap_send_buffer(struct tcp_conn *conn)
{
	int size = (int)conn->worker->daemon->config.tcp_send_buffer;
	uv_os_fd_t fd;

	if (size > 0 && uv_fileno((uv_handle_t *)&conn->handle, &fd) == 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
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
		tcp_conn_close(conn, false);
		return;
	}
	if (w->tcp_clients > LIMIT_TCP_CLIENTS || w->stopping) {
		DAEMON_COUNT(w->daemon, tcp_refused);
		tcp_conn_close(conn, false);
		return;
	}
	/* ACL for TCP clients is checked once, at accept. */
	{
		int len = sizeof(conn->peer);
		enum acl_action action = ACL_REFUSE;

		if (uv_tcp_getpeername(&conn->handle,
		    (struct sockaddr *)&conn->peer, &len) == 0)
			action = acl_check(w->daemon->config.acl,
			    (struct sockaddr *)&conn->peer);
		conn->snoop = action == ACL_ALLOW_SNOOP;
		if (action != ACL_ALLOW && action != ACL_ALLOW_SNOOP) {
			if (action == ACL_DENY)
				DAEMON_COUNT(w->daemon, clients_denied);
			else
				DAEMON_COUNT(w->daemon, clients_refused);
			tcp_conn_close(conn, false);
			return;
		}
	}
	/* Closed at once: the client may try another server. */
	if (!client_table_acquire(w->tcp_addrs,
	    (const struct sockaddr *)&conn->peer,
	    w->daemon->config.tcp_connections_per_address)) {
		DAEMON_COUNT(w->daemon, tcp_refused);
		tcp_conn_close(conn, false);
		return;
	}
	conn->addr_counted = true;
	tcp_conn_cap_send_buffer(conn);
	conn->active_ms = uv_now(&w->loop);
	tcp_conn_wake(conn, tcp_conn_idle_ms(conn));
	if (uv_read_start((uv_stream_t *)&conn->handle, on_tcp_alloc,
	    on_tcp_read) != 0)
		tcp_conn_close(conn, false);
}

bool
tcp_listen_start(struct worker *w, uv_tcp_t *tcp, int fd)
{
	uv_tcp_init(&w->loop, tcp);
	tcp->data = w;
	w->tcp_count++;
	return uv_tcp_open(tcp, fd) == 0 &&
	    uv_listen((uv_stream_t *)tcp, 128, on_tcp_connection) == 0;
}

/* Shutting down: every open connection closes. */
void
tcp_close_all(struct worker *w)
{
	while (w->conns != NULL)
		tcp_conn_close(w->conns, false);
}
