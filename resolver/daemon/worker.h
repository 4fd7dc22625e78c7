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
#include <sys/socket.h>

#include <uv.h>

#include "daemon.h"
#include "fastpath.h"

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

/* worker.c: one query from any client, and the replies to it. */
void worker_handle_query(struct worker *w, const struct client *client,
    const uint8_t *wire, size_t len);
void worker_client_send(struct worker *w, const struct client *client,
    const uint8_t *data, size_t len);
void worker_send_error(struct worker *w, const struct client *client,
    const uint8_t *wire, size_t len, const struct client_query *q,
    unsigned rcode);
extern const struct engine_observer worker_debug_observer;

/* udp_listen.c: the client UDP sockets. */
bool udp_listen_start(struct worker *w, uv_udp_t *udp, int fd);
void udp_send(struct worker *w, const struct client *client,
    const uint8_t *data, size_t len);

/* tcp_listen.c: the client TCP connections (RFC 7766). */
bool tcp_listen_start(struct worker *w, uv_tcp_t *tcp, int fd);
void tcp_send(struct worker *w, struct tcp_conn *conn, const uint8_t *data,
    size_t len);
void tcp_conn_unref(struct tcp_conn *conn);
void tcp_close_all(struct worker *w);

/* pending.c: requests waiting on the engine, and their waiters. */
void pending_resolve(struct worker *w, const struct client *client,
    const uint8_t *wire, size_t len, const struct client_query *q);
void pending_prefetch(struct worker *w, const struct client_query *q);

#endif /* DESCEND_WORKER_H */
