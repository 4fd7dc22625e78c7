/*
 * udp_listen.c: the client UDP sockets, read with our own recvmmsg on a
 * uv_poll handle (libuv runs the loop; its 20-datagram reads do not): up to
 * UDP_RECV_BATCH datagrams a call, and the replies the batch gets at once
 * (cache hits, local answers, errors) leave together in one sendmmsg. A
 * batch is parsed first and its answer-cache entries fetched together
 * (prefetch_answers), then answered. The replies leave from a send-only
 * socket (worker.h says why), to which the reuseport group's program
 * (udp_listen_steer) sends no query.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>

#include "worker.h"

/* Relaxed atomic add, for the batch counters. */
#define DAEMON_ADD(d, field, n) \
	__atomic_fetch_add(&(d)->stats.field, (n), __ATOMIC_RELAXED)

/* The destination of a received datagram, from its control messages. */
static void
dst_from_msg(struct msghdr *msg, struct udp_dst *dst)
{
	dst->family = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm != NULL;
	    cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			memcpy(&dst->u.v4, CMSG_DATA(cm), sizeof(dst->u.v4));
			dst->family = AF_INET;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&dst->u.v6, CMSG_DATA(cm), sizeof(dst->u.v6));
			dst->family = AF_INET6;
		}
	}
}

static socklen_t
addr_len(const struct sockaddr_storage *addr)
{
	return addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

/* Where the socket's replies leave from (worker.h: struct udp_listen). */
static int
udp_tx_fd(const struct udp_listen *u)
{
	return u->send_fd >= 0 ? u->send_fd : u->fd;
}

/*
 * Sends the batch's replies with sendmmsg. A full socket buffer (EAGAIN)
 * drops the rest, as lost datagrams the clients ask again for. Any other
 * refusal is that one reply's (a spoofed source the kernel will not send
 * to, such as port 0 or a broadcast address): it is skipped, so that one
 * forged query cannot silence the other clients of its batch.
 */
static void
udp_batch_flush(struct worker *w)
{
	struct udp_batch *b = &w->batch;
	unsigned sent = 0;

	while (sent < b->count) {
		int n = sendmmsg(udp_tx_fd(b->sock), b->tx + sent,
		    b->count - sent, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			sent++;
			continue;
		}
		if (n <= 0)
			break;
		DAEMON_COUNT(w->daemon, udp_send_batches);
		DAEMON_ADD(w->daemon, udp_send_datagrams, (uint64_t)n);
		sent += (unsigned)n;
	}
	b->count = 0;
	b->tx_used = 0;
}

/*
 * The parts of the batch's reply headers that never change: each slot's
 * buffer and address room (udp_queue sets the lengths and the control
 * message). Set once, when the worker's first socket starts.
 */
static void
tx_headers_ready(struct udp_batch *b)
{
	for (unsigned i = 0; i < UDP_RECV_BATCH; i++) {
		struct msghdr *h = &b->tx[i].msg_hdr;

		h->msg_iov = &b->tx_iov[i];
		h->msg_iovlen = 1;
		h->msg_name = &b->tx_addr[i];
		h->msg_flags = 0;
	}
}

/*
 * A UDP reply udp_queue could not queue: a reply to a batch already full
 * (more replies than datagrams: a resolution that ended inside the batch
 * answers every client that waited for it) is queued once the batch's
 * replies have left; the rest is sent at once (the answers of
 * resolutions, which finish one by one in the upstream sockets'
 * callbacks, and the rare reply too long to queue).
 */
void
udp_send_unqueued(struct worker *w, const struct client *client,
    const uint8_t *data, size_t len)
{
	struct udp_batch *b = &w->batch;
	struct msghdr msg = { 0 };
	union udp_cmsg cmsg;
	struct iovec iov;

	if (b->open && client->udp == b->sock && len <= UDP_BATCH_REPLY_MAX &&
	    b->count == UDP_RECV_BATCH) {
		udp_batch_flush(w);
		if (udp_queue(w, client, data, len))
			return;
	}
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_name = (void *)(uintptr_t)&client->addr;
	msg.msg_namelen = addr_len(&client->addr);
	dst_to_cmsg(&client->dst, &cmsg, &msg);
	/* A full socket buffer drops the reply; the client retries. */
	while (sendmsg(udp_tx_fd(client->udp), &msg, 0) < 0 && errno == EINTR)
		;
}

/*
 * Parses the batch's queries, then brings their answer-cache entries into
 * the CPU cache a step at a time over the whole batch (answer_cache.h):
 * the lookups' memory fetches overlap instead of each waiting for its own.
 */
static void
prefetch_answers(struct worker *w, int n)
{
	struct udp_batch *b = &w->batch;
	struct answer_cache *cache = w->answers;
	uint32_t hashes[UDP_RECV_BATCH];
	size_t ok = 0;

	for (int i = 0; i < n; i++) {
		if ((b->rx[i].msg_hdr.msg_flags & MSG_TRUNC) != 0)
			continue;
		worker_parse_query(w, b->rx_data[i], b->rx[i].msg_len,
		    &b->parsed[i]);
		if (b->parsed[i].check == QUERY_OK) {
			answer_cache_prefetch_bucket(cache, b->parsed[i].hash);
			hashes[ok++] = b->parsed[i].hash;
		}
	}
	if (n >= UDP_PREFETCH_MIN)
		answer_cache_prefetch_entries(cache, hashes, ok);
}

/*
 * Readies the batch's receive headers for a read of `u`: all of them when
 * they were last set for another socket (the control room depends on
 * IP_PKTINFO), else only the lengths and flags of the ones the last read
 * filled, all a read changes (setting the 64 headers afresh for every
 * read cost more instructions than answering a query).
 */
static void
rx_headers_ready(struct udp_batch *b, struct udp_listen *u)
{
	bool all = b->rx_for != u || b->rx_pktinfo != u->pktinfo;
	unsigned count = all ? UDP_RECV_BATCH : b->rx_dirty;

	for (unsigned i = 0; i < count; i++) {
		struct msghdr *h = &b->rx[i].msg_hdr;

		if (all) {
			b->rx_iov[i].iov_base = b->rx_data[i];
			b->rx_iov[i].iov_len = UDP_QUERY_MAX;
			h->msg_iov = &b->rx_iov[i];
			h->msg_iovlen = 1;
			h->msg_name = &b->rx_addr[i];
			h->msg_control = u->pktinfo ? &b->rx_cmsg[i] : NULL;
		}
		h->msg_namelen = sizeof(b->rx_addr[i]);
		h->msg_controllen = u->pktinfo ? sizeof(b->rx_cmsg[i]) : 0;
		h->msg_flags = 0;
	}
	b->rx_for = u;
	b->rx_pktinfo = u->pktinfo;
	b->rx_dirty = 0;
}

/*
 * The socket is readable: reads batches until the socket is empty (a batch
 * not full) or UDP_READS_PER_WAKEUP batches were read, each answered as
 * far as it can be with one sendmmsg before the next is read.
 */
static void
on_udp_readable(uv_poll_t *poll, int status, int events)
{
	struct udp_listen *u = poll->data;
	struct worker *w = u->worker;
	struct udp_batch *b = &w->batch;
	struct intake in;

	(void)events;
	if (status < 0)
		return;
	for (unsigned round = 0; round < UDP_READS_PER_WAKEUP; round++) {
		int n;

		rx_headers_ready(b, u);
		n = recvmmsg(u->fd, b->rx, UDP_RECV_BATCH, 0, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* EAGAIN: read it all */
		b->rx_dirty = (unsigned)n;
		DAEMON_COUNT(w->daemon, udp_recv_batches);
		DAEMON_ADD(w->daemon, udp_recv_datagrams, (uint64_t)n);
		DAEMON_ADD(w->daemon, queries_udp, (uint64_t)n);
		if (n == UDP_RECV_BATCH)
			DAEMON_COUNT(w->daemon, udp_recv_full);
		b->open = true;
		b->sock = u;
		b->count = 0;
		b->tx_used = 0;
		intake_begin(&in);
		prefetch_answers(w, n);
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &b->rx[i].msg_hdr;
			struct client client;

			if ((h->msg_flags & MSG_TRUNC) != 0) {	/* over UDP_QUERY_MAX */
				in.queries++;
				DAEMON_COUNT(w->daemon, malformed);
				continue;
			}
			client.udp = u;
			client.tcp = NULL;
			/* A fixed size is a few moves, not a call to libc. */
			if (h->msg_namelen <= sizeof(struct sockaddr_in6))
				memcpy(&client.addr, &b->rx_addr[i],
				    sizeof(struct sockaddr_in6));
			else
				memcpy(&client.addr, &b->rx_addr[i],
				    h->msg_namelen);
			if (u->pktinfo)
				dst_from_msg(h, &client.dst);
			else
				client.dst.family = 0;
			worker_answer_query(w, &in, &client, b->rx_data[i],
			    b->rx[i].msg_len, &b->parsed[i]);
		}
		intake_done(w, &in);
		udp_batch_flush(w);
		b->open = false;
		if (n < UDP_RECV_BATCH || w->stopping)
			return;
	}
}

bool
udp_listen_start(struct worker *w, struct udp_listen *u, int fd,
    bool wildcard)
{
	int on = 1;

	u->fd = fd;
	u->send_fd = -1;
	u->worker = w;
	u->pktinfo = false;
	u->alone = false;
	u->selflen = sizeof(u->self);
	if (getsockname(fd, (struct sockaddr *)&u->self, &u->selflen) != 0)
		u->selflen = 0;
	if (wildcard && u->selflen != 0)
		u->pktinfo = setsockopt(fd,
		    u->self.ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    u->self.ss_family == AF_INET6 ? IPV6_RECVPKTINFO :
		    IP_PKTINFO, &on, sizeof(on)) == 0;
	if (uv_poll_init_socket(&w->loop, &u->poll, fd) != 0) {
		close(fd);
		return false;
	}
	u->poll.data = u;
	if (w->udp_count == 0)
		tx_headers_ready(&w->batch);
	w->udp_count++;
	return uv_poll_start(&u->poll, UV_READABLE, on_udp_readable) == 0;
}

/*
 * The program steering the group's datagrams: the query's ID (the
 * program sees the datagram from its UDP payload) modulo the number of
 * receive sockets, the group's first places. Spread like the IDs, and a
 * datagram too short for an ID goes to place 0: no index is ever out of
 * range (the kernel would then pick any member, a send-only one too).
 */
int
udp_listen_steer(struct udp_listen *first, unsigned receivers)
{
#ifdef SO_ATTACH_REUSEPORT_CBPF
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, receivers),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	if (receivers == 0)
		return -EINVAL;
	if (setsockopt(first->fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof(prog)) != 0)
		return -errno;
	return 0;
#else
	(void)first;
	(void)receivers;
	return -ENOPROTOOPT;
#endif
}

static void
on_udp_closed(uv_handle_t *handle)
{
	struct udp_listen *u = handle->data;

	close(u->fd);
	if (u->send_fd >= 0)
		close(u->send_fd);
}

void
udp_listen_close(struct udp_listen *u)
{
	uv_close((uv_handle_t *)&u->poll, on_udp_closed);
}
