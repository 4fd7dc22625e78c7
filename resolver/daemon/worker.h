/*
 * worker.h: what a worker's files share: the worker (one libuv loop), the
 * client a reply goes to, the requests waiting on the engine and the TCP
 * connections. worker.c runs the loop and judges each query; udp_listen.c,
 * tcp_listen.c and pending.c are its rooms.
 */
#ifndef DESCEND_WORKER_H
#define DESCEND_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <uv.h>

#include "daemon.h"
#include "fastpath.h"

/*
 * The client UDP path reads up to UDP_RECV_BATCH datagrams per recvmmsg
 * and answers what it can of them with one sendmmsg. A datagram longer
 * than UDP_QUERY_MAX is no query we would answer (a question and an OPT
 * record take a few hundred bytes): it arrives cut and is dropped as
 * malformed. After UDP_READS_PER_WAKEUP full batches the loop serves its
 * other handles before reading on.
 */
#define UDP_RECV_BATCH		64		/* datagrams per recvmmsg */
#define UDP_QUERY_MAX		4096
#define UDP_READS_PER_WAKEUP	8
#define UDP_BATCH_REPLY_MAX	4096		/* larger replies go alone */
/*
 * Batches this large have their answer-cache entries prefetched a step at
 * a time (udp_listen.c); in smaller ones the steps would follow each other
 * too closely for a fetch to finish before the next step needs it.
 */
#define UDP_PREFETCH_MIN	4
/*
 * The kernel's queue of a client UDP socket: a burst of queries waits there
 * while a batch is being answered instead of being dropped (the default,
 * 208 KiB, holds about 270 small datagrams). Unbound's so-rcvbuf advice.
 */
#define UDP_SOCKET_RCVBUF	(4 * 1024 * 1024)
#define PENDING_BUCKETS		1024
#define REPLY_MAX		65535

struct tcp_conn;

/*
 * A client UDP socket, polled by libuv and read by udp_listen.c. One bound
 * to a wildcard address learns each datagram's destination (IP_PKTINFO,
 * IPV6_RECVPKTINFO) and answers from it: the address the client asked.
 *
 * Its replies leave from `send_fd` when it has one: a socket bound to the
 * same address and port in the same SO_REUSEPORT group, never polled, to
 * which the group's steering program sends no datagram. A socket in
 * libuv's epoll set has the epoll entry on its wait queue, and the kernel
 * wakes it (ep_poll_callback) each time a sent datagram is freed: 4 % of
 * the CPU of cache hits. Nobody waits on the send-only socket.
 */
struct udp_listen {
	uv_poll_t poll;
	int fd;
	int send_fd;			/* -1: replies leave from fd */
	bool pktinfo;
	struct worker *worker;
	struct sockaddr_storage self;	/* as bound (getsockname) */
	socklen_t selflen;		/* 0: not known */
	bool alone;			/* no other socket had its port */
};

/* The local address a UDP query came to (family 0: not known). */
struct udp_dst {
	sa_family_t family;
	union {
		struct in_pktinfo v4;
		struct in6_pktinfo v6;
	} u;
};

/* Where a reply goes: a UDP client address or a TCP connection. */
struct client {
	struct udp_listen *udp;
	struct sockaddr_storage addr;
	struct udp_dst dst;
	struct tcp_conn *tcp;
};

/* Room for one IP_PKTINFO or IPV6_PKTINFO control message. */
union udp_cmsg {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/* A query parsed ahead of its answer, with its answer-cache hash. */
struct parsed_query {
	struct client_query q;
	enum query_check check;
	uint32_t hash;			/* answer_cache_hash(q.key), when QUERY_OK */
};

/*
 * One recvmmsg's datagrams, and the replies that leave together in one
 * sendmmsg when the batch has been handled (`open` while it is).
 */
struct udp_batch {
	struct mmsghdr rx[UDP_RECV_BATCH];
	struct iovec rx_iov[UDP_RECV_BATCH];
	struct sockaddr_storage rx_addr[UDP_RECV_BATCH];
	union udp_cmsg rx_cmsg[UDP_RECV_BATCH];
	/*
	 * A cache line more than a datagram apart: at 4096 bytes, every
	 * datagram's first line fell in the same set of the CPU's L1 cache
	 * (eight ways), and the kernel's copies and our parse evicted each
	 * other's lines.
	 */
	uint8_t rx_data[UDP_RECV_BATCH][UDP_QUERY_MAX + 64];
	struct parsed_query parsed[UDP_RECV_BATCH];
	struct udp_listen *rx_for;	/* the socket the headers are set for */
	bool rx_pktinfo;		/* with control room, for IP_PKTINFO */
	unsigned rx_dirty;		/* headers the last read filled */
	bool open;
	struct udp_listen *sock;
	unsigned count;
	struct mmsghdr tx[UDP_RECV_BATCH];
	struct iovec tx_iov[UDP_RECV_BATCH];
	struct sockaddr_storage tx_addr[UDP_RECV_BATCH];
	union udp_cmsg tx_cmsg[UDP_RECV_BATCH];
	/*
	 * The replies one after the other (64-byte aligned), not one per
	 * UDP_BATCH_REPLY_MAX slot: a batch's replies take a few lines that
	 * stay in the CPU cache instead of one line in each of 64 pages.
	 */
	size_t tx_used;
	uint8_t tx_data[UDP_RECV_BATCH * UDP_BATCH_REPLY_MAX];
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
	bool refreshing;		/* clients got the stale answer; refreshing the cache */
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
	 * much is held (LIMIT_TCP_WRITE_QUEUE).
	 */
	size_t held;
	size_t queued;
	bool paused;
	/*
	 * The timer's clock (loop ms). Bytes ever handed to uv_write (none:
	 * the kernel holds nothing of ours). `progress_ms`: the last time the
	 * socket took a whole reply or the kernel sent the client data:
	 * tcp-stall-timeout without progress while replies are held, by us
	 * or by the kernel, is a stall. `active_ms`: the last question read
	 * or answer written, from which the idle timeout counts. `due`: when
	 * the timer fires.
	 */
	uint64_t sent;
	uint64_t progress_ms, active_ms, due;
	bool asked;			/* a complete question was read */
	/*
	 * Reading stopped because LIMIT_TCP_PIPELINE queries are in flight
	 * (`full`), or because the client closed its sending side (`eof`):
	 * a half-closed client still waits for its answers (as Unbound's
	 * tcp_req_info keeps it), so the connection closes once they left.
	 */
	bool full;
	bool eof;
	bool snoop;			/* access-control allow_snoop */
	/* Counted in the worker's tcp_addrs (LIMIT_TCP_CLIENTS_PER_ADDR). */
	bool addr_counted;
	struct sockaddr_storage peer;
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
	struct udp_listen *udp;
	uv_tcp_t *tcp;
	size_t udp_count, tcp_count;
	unsigned tcp_clients;
	struct client_table *tcp_addrs;	/* open connections per address */
	struct tcp_conn *conns;
	struct pending *pending[PENDING_BUCKETS];
	unsigned pending_count;
	struct pending *oldest, *newest;
	uint32_t hash_seed;		/* for the pending table */
	/* The engine's answer cache (made with it, never replaced): asked per hit. */
	struct answer_cache *answers;
	struct client_table *clients;
	bool stopping;
	/* Worker 0 only: the RFC 5011 probe of the auto-trust-anchor-file's zone. */
	uv_timer_t probe_timer;
	struct engine_request *probe;	/* in flight, NULL when none */
	struct udp_batch batch;
	uint8_t reply[REPLY_MAX + 64];
	uint8_t answer[REPLY_MAX + 64];
};

/*
 * Where a reply to `client` may be written (*cap bytes, REPLY_MAX and
 * more) so that udp_send queues it without copying it: the free end of
 * the open batch when the batch is the client's socket's and has room for
 * the longest reply, else w->reply. Inline: every cache hit asks.
 */
static inline uint8_t *
udp_reply_room(struct worker *w, const struct client *client, size_t *cap)
{
	struct udp_batch *b = &w->batch;

	*cap = sizeof(w->reply);
	if (b->open && client->udp == b->sock && b->count < UDP_RECV_BATCH &&
	    sizeof(b->tx_data) - b->tx_used >= sizeof(w->reply))
		return b->tx_data + b->tx_used;
	return w->reply;
}

/*
 * The queries of one read (a recvmmsg batch, a TCP read): the clocks,
 * read once for them all, and what they add to the daemon's counters,
 * added once when the read is done. Per query, the clock reads and the
 * atomic adds cost more than the cache lookup's instructions.
 */
struct intake {
	time_t now;			/* time(): what TTLs count from */
	uint64_t arrived_ns;		/* uv_hrtime(): for the latency histogram */
	uint64_t queries;
	uint64_t hits;			/* answered from the answer cache */
	uint64_t answered;		/* at once (hits, local answers) */
	/*
	 * The access list's verdict for the last client address of the
	 * read: a batch's datagrams come from few clients (stubs,
	 * forwarders). The list cannot change within a read (a reload
	 * parks the workers between two callbacks).
	 */
	sa_family_t acl_family;		/* 0: none yet */
	uint8_t acl_addr[16];
	enum acl_action acl_action;
};

/* worker.c: one query from any client, and the replies to it. */
void intake_begin(struct intake *in);
/*
 * Adds the read's counts to the daemon's, and its answers to the latency
 * histogram, each as taking from arrival until now. Called once the read's
 * queries are handled, before a UDP batch's replies leave: a client that
 * has its answer finds it counted.
 */
void intake_done(struct worker *w, struct intake *in);
void worker_handle_query(struct worker *w, struct intake *in,
    const struct client *client, const uint8_t *wire, size_t len);
/*
 * worker_handle_query in two: the parse, then the rest (the answer).
 * The parse is inline: udp_listen.c parses every datagram of a batch.
 */
static inline void
worker_parse_query(struct worker *w, const uint8_t *wire, size_t len,
    struct parsed_query *p)
{
	p->check = fastpath_parse_query(wire, len, &p->q);
	if (p->check == QUERY_OK)
		p->hash = answer_cache_hash(w->answers, p->q.key, p->q.keylen);
}
void worker_answer_query(struct worker *w, struct intake *in,
    const struct client *client, const uint8_t *wire, size_t len,
    struct parsed_query *parsed);
void worker_client_send(struct worker *w, const struct client *client,
    const uint8_t *data, size_t len);
void worker_send_error(struct worker *w, const struct client *client,
    const uint8_t *wire, size_t len, const struct client_query *q,
    unsigned rcode);
extern const struct engine_observer worker_debug_observer;

/*
 * udp_listen.c: the client UDP sockets. udp_listen_start takes over the
 * bound socket `fd` (closed on failure too); wildcard says it is bound to
 * 0.0.0.0 or ::. udp_listen_close closes it on the worker's loop.
 */
bool udp_listen_start(struct worker *w, struct udp_listen *udp, int fd,
    bool wildcard);
/*
 * Attaches to the SO_REUSEPORT group of `first`, whose sockets are, in
 * the order they joined, `receivers` receive sockets, the program that
 * steers every datagram to one of them and never to a socket that joins
 * later (the send-only sockets). 0, or -errno when the kernel refuses.
 */
int udp_listen_steer(struct udp_listen *first, unsigned receivers);
void udp_listen_close(struct udp_listen *udp);
void udp_send_unqueued(struct worker *w, const struct client *client,
    const uint8_t *data, size_t len);

/*
 * Points `msg` at a control message that makes the reply leave from the
 * address the query came to; nothing when it is not known.
 */
static inline void
dst_to_cmsg(const struct udp_dst *dst, union udp_cmsg *space,
    struct msghdr *msg)
{
	struct cmsghdr *cm = &space->align;

	msg->msg_control = NULL;
	msg->msg_controllen = 0;
	if (dst->family == AF_INET) {
		struct in_pktinfo pi = { 0 };

		/* The source address; the route picks the interface. */
		pi.ipi_spec_dst = dst->u.v4.ipi_addr;
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		msg->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else if (dst->family == AF_INET6) {
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(dst->u.v6));
		memcpy(CMSG_DATA(cm), &dst->u.v6, sizeof(dst->u.v6));
		msg->msg_controllen = CMSG_SPACE(sizeof(dst->u.v6));
	} else
		return;
	msg->msg_control = space;
}

/*
 * Queues a reply to `client` in the open batch of its socket, to leave
 * with the batch's sendmmsg; false when there is no such batch, it is
 * full, or the reply is too long for it. A reply written at
 * udp_reply_room's batch room is queued where it is. Inline: every cache
 * hit's reply comes here (the call and its frame cost as much as the rest).
 */
static inline bool
udp_queue(struct worker *w, const struct client *client, const uint8_t *data,
    size_t len)
{
	struct udp_batch *b = &w->batch;
	struct msghdr *h;

	if (!b->open || client->udp != b->sock || len > UDP_BATCH_REPLY_MAX ||
	    b->count == UDP_RECV_BATCH)
		return false;
	h = &b->tx[b->count].msg_hdr;
	/* Fits: each of the UDP_RECV_BATCH replies has its share. */
	if (data != b->tx_data + b->tx_used)
		memmove(b->tx_data + b->tx_used, data, len);
	b->tx_iov[b->count].iov_base = b->tx_data + b->tx_used;
	b->tx_used += (len + 63) & ~(size_t)63;
	b->tx_iov[b->count].iov_len = len;
	/* Fixed-size copies (a call less), the kernel reads namelen. */
	if (client->addr.ss_family == AF_INET6) {
		memcpy(&b->tx_addr[b->count], &client->addr,
		    sizeof(struct sockaddr_in6));
		h->msg_namelen = sizeof(struct sockaddr_in6);
	} else {
		memcpy(&b->tx_addr[b->count], &client->addr,
		    sizeof(struct sockaddr_in));
		h->msg_namelen = sizeof(struct sockaddr_in);
	}
	dst_to_cmsg(&client->dst, &b->tx_cmsg[b->count], h);
	b->count++;
	return true;
}

/*
 * A UDP reply: queued while its socket's batch is being handled (a cache
 * hit's, a local answer's, an error's), else sent at once.
 */
static inline void
udp_send(struct worker *w, const struct client *client, const uint8_t *data,
    size_t len)
{
	if (!udp_queue(w, client, data, len))
		udp_send_unqueued(w, client, data, len);
}


/* tcp_listen.c: the client TCP connections (RFC 7766). */
bool tcp_listen_start(struct worker *w, uv_tcp_t *tcp, int fd);
void tcp_send(struct worker *w, struct tcp_conn *conn, const uint8_t *data,
    size_t len);
void tcp_conn_unref(struct tcp_conn *conn);
/* One of the connection's queries in flight is over (answered or not). */
void tcp_conn_answered(struct tcp_conn *conn);
void tcp_close_all(struct worker *w);

/*
 * pending.c: requests waiting on the engine, and their waiters. A client
 * answered at once (a refresh's stale answer) is counted in `in`.
 */
void pending_resolve(struct worker *w, struct intake *in,
    const struct client *client, const uint8_t *wire, size_t len,
    const struct client_query *q);
void pending_prefetch(struct worker *w, const struct client_query *q);

#endif /* DESCEND_WORKER_H */
