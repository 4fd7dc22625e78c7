/*
 * metrics.h: the Prometheus endpoint (metrics-listen): every counter and
 * gauge of `descend control stats` in the text exposition format, and the
 * histogram of answer latency the workers fill.
 */
#ifndef DESCEND_METRICS_H
#define DESCEND_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

/* Upper bounds of the latency buckets, in seconds (the last is +Inf). */
#define METRICS_LATENCY_BOUNDS	16

/*
 * Answers by latency, one count per bucket (not cumulative; the endpoint
 * adds them up). Every worker writes with relaxed atomic adds; readers load
 * each word atomically. Sums in nanoseconds.
 */
struct metrics_latency {
	uint64_t bucket[METRICS_LATENCY_BOUNDS + 1];
	uint64_t sum_ns;
};

/* Counts one answer that took `ns` nanoseconds. Any thread. */
void metrics_observe(struct metrics_latency *latency, uint64_t ns);
/* Counts `count` answers that took `ns` nanoseconds each. Any thread. */
void metrics_observe_many(struct metrics_latency *latency, uint64_t ns,
    uint64_t count);

struct daemon;
struct metrics;

/*
 * Binds and listens on the metrics address (as root, before the drop).
 * Returns the socket, or -1 with a reason in `err` (also when descendd was
 * built without libmicrohttpd).
 */
int metrics_bind(const struct sockaddr_storage *addr, socklen_t len,
    char *err, size_t errlen);

/*
 * Serves HTTP on `fd` (taken over) in libmicrohttpd's own thread; the
 * numbers are composed on `loop` (worker 0's, where the control socket and
 * reloads run) and handed over under a mutex. NULL with a reason in `err`.
 */
struct metrics *metrics_start(struct daemon *daemon, uv_loop_t *loop, int fd,
    char *err, size_t errlen);
/* On the loop's thread: scrapes in progress get 503, the loop may end. */
void metrics_stop(struct metrics *metrics);
/* After the loop has ended: stops the HTTP thread, frees everything. */
void metrics_free(struct metrics *metrics);

#endif /* DESCEND_METRICS_H */
