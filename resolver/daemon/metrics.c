/*
 * metrics.c: Prometheus' text format over HTTP (libmicrohttpd in its own
 * thread) from the same numbers as `descend control stats`, plus the answer
 * latency histogram.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBMICROHTTPD
#include <microhttpd.h>
#endif

#include "daemon.h"
#include "metrics.h"

/* From a cache hit (~10 µs) to a resolution that hits the 10-s budget. */
static const double latency_bounds[METRICS_LATENCY_BOUNDS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

void
metrics_observe(struct metrics_latency *latency, uint64_t ns)
{
	metrics_observe_many(latency, ns, 1);
}

void
metrics_observe_many(struct metrics_latency *latency, uint64_t ns,
    uint64_t count)
{
	static uint64_t bounds_ns[METRICS_LATENCY_BOUNDS] = {
		100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
		25000000, 50000000, 100000000, 250000000, 500000000,
		1000000000, 2500000000, 5000000000, 10000000000,
	};
	unsigned i = 0;

	while (i < METRICS_LATENCY_BOUNDS && ns > bounds_ns[i])
		i++;
	__atomic_fetch_add(&latency->bucket[i], count, __ATOMIC_RELAXED);
	__atomic_fetch_add(&latency->sum_ns, ns * count, __ATOMIC_RELAXED);
}

#ifdef HAVE_LIBMICROHTTPD

#define METRICS_CONNECTIONS_MAX	8	/* scrapers are few; bounds memory */
#define METRICS_IDLE_SECONDS	10	/* a stalled client loses its slot */
#define METRICS_WAIT_SECONDS	2	/* worker 0 must compose by then */

/* Names for the `descend control stats` keys; others get a generic name. */
static const struct metric_name {
	const char *key, *name, *type, *help;
} metric_names[] = {
	{ "queries", "descend_queries_total", "counter",
	    "Client queries received, UDP and TCP." },
	{ "queries.udp", "descend_queries_udp_total", "counter",
	    "Client queries received over UDP." },
	{ "queries.tcp", "descend_queries_tcp_total", "counter",
	    "Client queries received over TCP." },
	{ "cache.hits", "descend_cache_hits_total", "counter",
	    "Answers from the cache (fast path and engine)." },
	{ "cache.hits.fastpath", "descend_cache_hits_fastpath_total",
	    "counter", "Answers from the whole-answer cache in the worker." },
	{ "cache.hits.engine", "descend_cache_hits_engine_total", "counter",
	    "Answers the engine built from cached records." },
	{ "cache.misses", "descend_cache_misses_total", "counter",
	    "Questions the cache could not answer." },
	{ "cache.bytes", "descend_cache_bytes", "gauge",
	    "Memory the caches use now, in bytes." },
	{ "cache.entries", "descend_cache_entries", "gauge",
	    "Entries in the caches now." },
	{ "cache.limit", "descend_cache_limit_bytes", "gauge",
	    "cache-size: the bound of the caches' memory, in bytes." },
	{ "requests", "descend_requests_total", "counter",
	    "Resolutions started by the engine." },
	{ "upstream.queries", "descend_upstream_queries_total", "counter",
	    "Queries sent to authoritative servers." },
	{ "upstream.timeouts", "descend_upstream_timeouts_total", "counter",
	    "Upstream queries that timed out." },
	{ "upstream.hedges", "descend_upstream_hedges_total", "counter",
	    "Upstream queries sent as hedges: a second server asked while the first had not answered." },
	{ "upstream.errors", "descend_upstream_errors_total", "counter",
	    "Upstream queries that failed (network errors, bad replies)." },
	{ "servfails", "descend_servfails_total", "counter",
	    "Resolutions that ended in SERVFAIL." },
	{ "limits.hit", "descend_limits_hit_total", "counter",
	    "Resolutions stopped by a limit (engine_limits.h)." },
	{ "local.answers", "descend_local_answers_total", "counter",
	    "Answers from local zones, never sent upstream." },
	{ "clients.refused", "descend_clients_refused_total", "counter",
	    "Queries answered REFUSED by access-control." },
	{ "clients.denied", "descend_clients_denied_total", "counter",
	    "Queries dropped by access-control deny." },
	{ "queries.malformed", "descend_queries_malformed_total", "counter",
	    "Client queries dropped or answered FORMERR." },
	{ "queries.coalesced", "descend_queries_coalesced_total", "counter",
	    "Queries answered by another client's resolution." },
	{ "queries.dropped", "descend_queries_dropped_total", "counter",
	    "Queries dropped over the waiter, pipeline or request caps." },
	{ "queries.client_limited", "descend_queries_client_limited_total",
	    "counter", "Queries dropped over one client's in-flight cap." },
	{ "queries.jostled", "descend_queries_jostled_total", "counter",
	    "Queries whose resolution gave way to newer ones." },
	{ "tcp.refused", "descend_tcp_refused_total", "counter",
	    "TCP connections refused over the connection cap, or the "
	    "per-address cap (tcp-connections-per-address)." },
	{ "tcp.paused", "descend_tcp_paused_total", "counter",
	    "TCP clients whose reading was paused: too many replies queued." },
	{ "tcp.closed_idle", "descend_tcp_closed_idle_total", "counter",
	    "TCP connections closed idle: nothing asked, nothing to write." },
	{ "tcp.closed_stalled", "descend_tcp_closed_stalled_total", "counter",
	    "TCP connections closed: replies unread, no progress." },
	{ "tcp.closed_total", "descend_tcp_closed_total", "counter",
	    "TCP connections closed over the queued-bytes bound of all clients." },
	{ "tcp.replies_dropped", "descend_tcp_replies_dropped_total",
	    "counter", "TCP replies dropped over the queued-bytes bound." },
	{ "tcp.queued_bytes", "descend_tcp_queued_bytes", "gauge",
	    "Bytes of TCP replies queued now, all clients." },
	{ "udp.recv_batches", "descend_udp_recv_batches_total", "counter",
	    "recvmmsg calls on client UDP sockets that read datagrams." },
	{ "udp.recv_datagrams", "descend_udp_recv_datagrams_total", "counter",
	    "Datagrams those calls read (over recv_batches: the mean batch)." },
	{ "udp.recv_full_batches", "descend_udp_recv_full_batches_total",
	    "counter", "recvmmsg calls that filled the whole batch (64)." },
	{ "udp.send_batches", "descend_udp_send_batches_total", "counter",
	    "sendmmsg calls that sent replies to a batch's clients." },
	{ "udp.send_datagrams", "descend_udp_send_datagrams_total", "counter",
	    "Replies those calls sent (over send_batches: the mean batch)." },
	{ "prefetches", "descend_prefetches_total", "counter",
	    "Refreshes of popular answers before they expire." },
	{ "stale.refreshes", "descend_stale_refreshes_total", "counter",
	    "Resolutions that went on after a stale answer (RFC 8767)." },
	{ "stale.refreshes_fresh", "descend_stale_refreshes_fresh_total",
	    "counter", "Of those, the ones that cached a fresh answer." },
	{ "dnssec.aggressive_nsec", "descend_dnssec_aggressive_nsec_total",
	    "counter", "NXDOMAIN and NODATA synthesised from cached, "
	    "validated NSEC records (RFC 8198)." },
	{ "dnssec.aggressive_nsec.nxdomain",
	    "descend_dnssec_aggressive_nsec_nxdomain_total", "counter",
	    "Of those, NXDOMAIN answers." },
	{ "dnssec.aggressive_nsec.wildcard",
	    "descend_dnssec_aggressive_nsec_wildcard_total", "counter",
	    "Answers expanded from a cached, validated wildcard under a "
	    "cached NSEC (RFC 8198 5.3)." },
	{ "dnssec.aggressive_nsec3", "descend_dnssec_aggressive_nsec3_total",
	    "counter", "NXDOMAIN and NODATA synthesised from cached, "
	    "validated NSEC3 records (RFC 8198)." },
	{ "dnssec.aggressive_nsec3.nxdomain",
	    "descend_dnssec_aggressive_nsec3_nxdomain_total", "counter",
	    "Of those, NXDOMAIN answers." },
	{ "dnssec.aggressive_nsec3.wildcard",
	    "descend_dnssec_aggressive_nsec3_wildcard_total", "counter",
	    "Answers expanded from a cached, validated wildcard under "
	    "cached NSEC3s (RFC 8198 5.3, RFC 5155 8.8)." },
};

struct metrics {
	struct daemon *daemon;
	struct MHD_Daemon *http;
	uv_async_t compose;		/* on worker 0: make a fresh text */
	pthread_mutex_t lock;		/* guards everything below */
	pthread_cond_t composed;
	uint64_t wanted, done;		/* scrape generations */
	char *text;			/* the last composed exposition */
	bool closed;
};

/* Metric name from a stats key: "queries.udp" -> "descend_queries_udp". */
static void
generic_name(const char *key, char *name, size_t len)
{
	size_t n = strlcpy(name, "descend_", len);

	for (; *key != '\0' && n + 1 < len; key++)
		name[n++] = (*key >= 'a' && *key <= 'z') ||
		    (*key >= '0' && *key <= '9') ? *key : '_';
	name[n] = '\0';
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* One `key=value` line of control stats as one metric. */
static void
write_stat(FILE *out, const char *key, const char *value)
{
	char name[128];

	if (strncmp(key, "rcode.", 6) == 0) {
		/* Labels, so that a dashboard sums or stacks them. */
		if (strcmp(key, "rcode.NOERROR") == 0)
			fprintf(out, "# HELP descend_rcode_total Resolutions "
			    "finished, by response code.\n"
			    "# TYPE descend_rcode_total counter\n");
		fprintf(out, "descend_rcode_total{rcode=\"%s\"} %s\n", key + 6,
		    value);
		return;
	}
	for (size_t i = 0; i < sizeof(metric_names) / sizeof(metric_names[0]);
	    i++) {
		const struct metric_name *m = &metric_names[i];

		if (strcmp(m->key, key) == 0) {
			fprintf(out, "# HELP %s %s\n# TYPE %s %s\n%s %s\n",
			    m->name, m->help, m->name, m->type, m->name, value);
			return;
		}
	}
	/*
	 * A key added to control stats after this table is still served: a
	 * gauge when it names a size or a count of things held, else a counter.
	 */
	generic_name(key, name, sizeof(name));
	if (has_suffix(key, "bytes") || has_suffix(key, "entries") ||
	    has_suffix(key, "size")) {
		fprintf(out, "# HELP %s descend control stats: %s.\n"
		    "# TYPE %s gauge\n%s %s\n", name, key, name, name, value);
		return;
	}
	fprintf(out, "# HELP %s_total descend control stats: %s.\n"
	    "# TYPE %s_total counter\n%s_total %s\n", name, key, name, name,
	    value);
}

static void
write_latency(FILE *out, struct metrics_latency *latency)
{
	uint64_t total = 0;

	fprintf(out, "# HELP descend_answer_latency_seconds Time from a "
	    "client's query to its answer: cache hits, local answers and "
	    "resolutions.\n"
	    "# TYPE descend_answer_latency_seconds histogram\n");
	/*
	 * _count is the sum of the buckets as read, so +Inf and _count agree
	 * even while workers count; _sum is read apart and may run a few
	 * answers ahead, which Prometheus' rate() tolerates.
	 */
	for (unsigned i = 0; i <= METRICS_LATENCY_BOUNDS; i++) {
		total += __atomic_load_n(&latency->bucket[i], __ATOMIC_RELAXED);
		if (i < METRICS_LATENCY_BOUNDS)
			fprintf(out, "descend_answer_latency_seconds_bucket"
			    "{le=\"%g\"} %llu\n", latency_bounds[i],
			    (unsigned long long)total);
		else
			fprintf(out, "descend_answer_latency_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)total);
	}
	fprintf(out, "descend_answer_latency_seconds_sum %.9f\n"
	    "descend_answer_latency_seconds_count %llu\n",
	    (double)__atomic_load_n(&latency->sum_ns, __ATOMIC_RELAXED) / 1e9,
	    (unsigned long long)total);
}

/* The whole exposition, on worker 0's thread (as control stats). */
static char *
compose(struct daemon *d)
{
	char *stats = NULL, *text = NULL, *line, *next;
	size_t stats_len = 0, len = 0;
	FILE *in = open_memstream(&stats, &stats_len), *out;

	if (in == NULL)
		return NULL;
	control_print_stats(d, in);
	fclose(in);
	if ((out = open_memstream(&text, &len)) == NULL) {
		free(stats);
		return NULL;
	}
	fprintf(out, "# HELP descend_build_info descendd's version.\n"
	    "# TYPE descend_build_info gauge\n"
	    "descend_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	for (line = stats; line != NULL && *line != '\0'; line = next) {
		char *eq;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		write_stat(out, line, eq + 1);
	}
	write_latency(out, &d->stats.latency);
	fclose(out);
	free(stats);
	return text;
}

static void
on_compose(uv_async_t *async)
{
	struct metrics *m = async->data;
	char *text = compose(m->daemon);

	pthread_mutex_lock(&m->lock);
	free(m->text);
	m->text = text;
	m->done = m->wanted;
	pthread_cond_broadcast(&m->composed);
	pthread_mutex_unlock(&m->lock);
}

/* In the HTTP thread: asks worker 0 for a fresh text and waits for it. */
static char *
fresh_text(struct metrics *m)
{
	struct timespec until;
	char *copy = NULL;
	uint64_t want;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += METRICS_WAIT_SECONDS;
	pthread_mutex_lock(&m->lock);
	if (!m->closed) {
		want = ++m->wanted;
		uv_async_send(&m->compose);	/* not after metrics_stop: locked */
		while (m->done < want && !m->closed &&
		    pthread_cond_timedwait(&m->composed, &m->lock, &until) == 0)
			;
		if (m->done >= want && m->text != NULL)
			copy = strdup(m->text);
	}
	pthread_mutex_unlock(&m->lock);
	return copy;
}

static enum MHD_Result
reply(struct MHD_Connection *connection, unsigned status, const char *type,
    char *body)
{
	struct MHD_Response *response = MHD_create_response_from_buffer(
	    strlen(body), body, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (response == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return rc;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *connection, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **state)
{
	struct metrics *m = cls;
	char *text;

	(void)version;
	(void)upload_data;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "text/plain", strdup("only GET\n"));
	if (*upload_data_size != 0)
		return MHD_NO;
	if (strcmp(url, "/metrics") != 0)
		return reply(connection, MHD_HTTP_NOT_FOUND, "text/plain",
		    strdup("descendd serves /metrics\n"));
	if ((text = fresh_text(m)) == NULL)
		return reply(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "text/plain", strdup("descendd is busy or stopping\n"));
	(void)state;
	return reply(connection, MHD_HTTP_OK,
	    "text/plain; version=0.0.4; charset=utf-8", text);
}

int
metrics_bind(const struct sockaddr_storage *addr, socklen_t len, char *err,
    size_t errlen)
{
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0), on = 1;

	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)addr, len) != 0 ||
	    listen(fd, METRICS_CONNECTIONS_MAX) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct metrics *
metrics_start(struct daemon *daemon, uv_loop_t *loop, int fd, char *err,
    size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return NULL;
	}
	m->daemon = daemon;
	m->closed = true;	/* until the async handle exists */
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->composed, NULL);
	/*
	 * libmicrohttpd's own thread, not worker 0's loop: a slow or stalled
	 * scraper then never delays a DNS answer, and the HTTP parser's
	 * state stays out of the resolver's loop.
	 */
	m->http = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD, 0, NULL, NULL,
	    on_request, m, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNECTIONS_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_IDLE_SECONDS,
	    MHD_OPTION_END);
	if (m->http == NULL) {
		snprintf(err, errlen, "libmicrohttpd did not start");
		close(fd);
		pthread_mutex_destroy(&m->lock);
		pthread_cond_destroy(&m->composed);
		free(m);
		return NULL;
	}
	uv_async_init(loop, &m->compose, on_compose);
	m->compose.data = m;
	pthread_mutex_lock(&m->lock);
	m->closed = false;
	pthread_mutex_unlock(&m->lock);
	return m;
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL || m->closed)
		return;
	pthread_mutex_lock(&m->lock);
	m->closed = true;
	pthread_cond_broadcast(&m->composed);
	pthread_mutex_unlock(&m->lock);
	uv_close((uv_handle_t *)&m->compose, NULL);
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		MHD_stop_daemon(m->http);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->composed);
	free(m->text);
	free(m);
}

#else /* !HAVE_LIBMICROHTTPD */

int
metrics_bind(const struct sockaddr_storage *addr, socklen_t len, char *err,
    size_t errlen)
{
	(void)addr;
	(void)len;
	snprintf(err, errlen, "descendd was built without libmicrohttpd");
	return -1;
}

struct metrics *
metrics_start(struct daemon *daemon, uv_loop_t *loop, int fd, char *err,
    size_t errlen)
{
	(void)daemon;
	(void)loop;
	close(fd);
	snprintf(err, errlen, "descendd was built without libmicrohttpd");
	return NULL;
}

void
metrics_stop(struct metrics *m)
{
	(void)m;
}

void
metrics_free(struct metrics *m)
{
	(void)m;
}

#endif /* HAVE_LIBMICROHTTPD */
