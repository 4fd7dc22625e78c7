/*
 * daemon.h: descendd's shared state: the configuration, the one engine all
 * workers share, the workers (one libuv loop and thread each), and the
 * daemon-wide counters for `descend control stats`.
 */
#ifndef DESCEND_DAEMON_H
#define DESCEND_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "engine.h"
#include "metrics.h"
#include "net/drive.h"

struct worker;
struct dnstap;

/* Counters kept by the workers; updated with relaxed atomics. */
struct daemon_stats {
	uint64_t queries;
	uint64_t queries_udp, queries_tcp;
	uint64_t fastpath_hits;
	uint64_t local_answers;
	uint64_t clients_refused, clients_denied;
	uint64_t malformed;
	uint64_t coalesced;		/* answered by another client's resolution */
	uint64_t prefetches;
	uint64_t tcp_refused;		/* over LIMIT_TCP_CLIENTS or the per-address cap */
	uint64_t dropped;		/* over the waiter, pipeline or list caps */
	uint64_t client_limited;	/* over LIMIT_CLIENT_INFLIGHT */
	uint64_t jostled;		/* waited on a request that gave way */
	uint64_t norec_refused;		/* RD=0 not answered from the cache */
	uint64_t tcp_paused;		/* reading stopped: LIMIT_TCP_WRITE_QUEUE */
	uint64_t tcp_closed_idle;	/* idle past tcp-idle-timeout */
	uint64_t tcp_closed_stalled;	/* no write progress: tcp-stall-timeout */
	uint64_t tcp_closed_total;	/* closed over LIMIT_TCP_QUEUED_TOTAL */
	uint64_t tcp_replies_dropped;	/* did not fit LIMIT_TCP_QUEUED_TOTAL */
	uint64_t tcp_queued_bytes;	/* gauge: replies queued, all clients */
	/* Client UDP batching: calls and datagrams, for the mean batch size. */
	uint64_t udp_recv_batches;	/* recvmmsg calls that read any */
	uint64_t udp_recv_datagrams;
	uint64_t udp_recv_full;		/* of them, full (UDP_RECV_BATCH) */
	uint64_t udp_send_batches;	/* sendmmsg calls that sent any */
	uint64_t udp_send_datagrams;
	struct metrics_latency latency;	/* query to answer, for metrics.c */
};

struct daemon {
	const char *config_path;
	struct daemon_config config;
	struct engine *engine;
	struct dnstap *dnstap;		/* NULL: no dnstap logging */
	struct worker **workers;
	unsigned worker_count;
	unsigned threads_running;	/* workers 1..n, each on its own thread */
	struct daemon_stats stats;
	bool stopping;
	/* reload.c: workers parked while the configuration changes. */
	uv_mutex_t pause_lock;
	uv_cond_t pause_cond;
	bool pause_wanted;
	unsigned parked;
	uint64_t reloads;
};

#define DAEMON_COUNT(d, field) \
	__atomic_fetch_add(&(d)->stats.field, 1, __ATOMIC_RELAXED)

/* worker.c */
struct worker *worker_new(struct daemon *daemon, unsigned index);
/* Opens the listening sockets (SO_REUSEPORT); false when none opened. */
bool worker_listen(struct worker *worker);
/*
 * Once every worker listens: steers each UDP listen address's datagrams
 * to its receive sockets only, and gives each of them a send-only socket
 * for its replies (udp_listen.c says why). Without the steering program
 * (an old kernel), the replies leave from the receive sockets, as before.
 */
void worker_listen_senders(struct worker **workers, unsigned count);
int worker_start_thread(struct worker *worker);
void worker_run(struct worker *worker);	/* in the calling thread */
void worker_stop(struct worker *worker);	/* from any thread */
void worker_join(struct worker *worker);
void worker_free(struct worker *worker);
uv_loop_t *worker_loop(struct worker *worker);
/* Worker 0: (re)starts the RFC 5011 probe timer; on its loop's thread. */
void worker_autotrust_rearm(struct worker *worker);
/* Asks the worker to daemon_park() between two callbacks; from any thread. */
void worker_park(struct worker *worker);
/* New outgoing addresses; only while the worker is parked (or is the caller). */
void worker_set_outgoing(struct worker *worker,
    const struct sockaddr_storage *v4, const struct sockaddr_storage *v6);

/*
 * descendd.c: rereads the configuration file and applies it; writes "ok"
 * (and the settings that need a restart) or "error: ..." to `reply` (may be
 * NULL). From the thread of worker 0's loop only.
 */
bool daemon_reload(struct daemon *daemon, FILE *reply);
void daemon_stop(struct daemon *daemon);

/*
 * reload.c: daemon_apply_config() installs `fresh` (consumed: freed on
 * return) with every worker parked, so that no worker reads the
 * configuration while it changes; settings that need a restart keep their
 * running value and are named in the log and in `reply`. It must run on
 * worker 0's loop thread, with workers 1..threads_running running their
 * loops. daemon_park() is where a worker waits during that time.
 */
void daemon_pause_init(struct daemon *daemon);
bool daemon_apply_config(struct daemon *daemon, struct daemon_config *fresh,
    FILE *reply);
void daemon_park(struct daemon *daemon);

/* control.c: the control socket on worker 0's loop. */
struct control;
struct control *control_start(struct daemon *daemon, uv_loop_t *loop,
    const char *path);
void control_stop(struct control *control);
/*
 * `descend control stats`' text, one key=value a line; on worker 0's
 * thread (it reads the configuration reloads replace). metrics.c serves it.
 */
void control_print_stats(struct daemon *daemon, FILE *out);

#endif /* DESCEND_DAEMON_H */
