/*
 * control.c: the control socket. A client (descend control) writes one
 * command line; the daemon writes the reply and closes the connection.
 * Commands: stats, flush NAME, flush-zone NAME, flush-all, dump-cache,
 * reload, stop.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "dnstap.h"
#include "log.h"

#define COMMAND_MAX	1024

struct control {
	struct daemon *daemon;
	uv_pipe_t server;
	char *path;
};

struct control_conn {
	uv_pipe_t pipe;
	struct control *control;
	char line[COMMAND_MAX];
	size_t len;
	bool answered;
};

struct control_write {
	uv_write_t req;
	char *text;
};

static void
on_conn_closed(uv_handle_t *handle)
{
	free(handle->data);
}

static void
on_written(uv_write_t *req, int status)
{
	struct control_write *w = (struct control_write *)req;

	(void)status;
	uv_close((uv_handle_t *)req->handle, on_conn_closed);
	free(w->text);
	free(w);
}

static void
control_reply(struct control_conn *conn, char *text, size_t len)
{
	struct control_write *w = malloc(sizeof(*w));
	uv_buf_t buf = uv_buf_init(text, (unsigned)len);

	conn->answered = true;
	uv_read_stop((uv_stream_t *)&conn->pipe);
	if (w == NULL) {
		free(text);
		uv_close((uv_handle_t *)&conn->pipe, on_conn_closed);
		return;
	}
	w->text = text;
	if (uv_write(&w->req, (uv_stream_t *)&conn->pipe, &buf, 1,
	    on_written) != 0) {
		free(text);
		free(w);
		uv_close((uv_handle_t *)&conn->pipe, on_conn_closed);
	}
}

void
control_print_stats(struct daemon *d, FILE *out)
{
	static const char *const rcodes[16] = { "NOERROR", "FORMERR",
	    "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
	    "NXRRSET", "NOTAUTH", "NOTZONE" };
	struct engine_stats e;
	const struct daemon_stats *s = &d->stats;

	engine_stats_get(d->engine, &e);
#define P(name, value) fprintf(out, "%s=%llu\n", name, \
	(unsigned long long)__atomic_load_n(&(value), __ATOMIC_RELAXED))
	P("queries", s->queries);
	P("queries.udp", s->queries_udp);
	P("queries.tcp", s->queries_tcp);
	fprintf(out, "cache.hits=%llu\n", (unsigned long long)(
	    __atomic_load_n(&s->fastpath_hits, __ATOMIC_RELAXED) + e.cache_hits));
	P("cache.hits.fastpath", s->fastpath_hits);
	P("cache.hits.engine", e.cache_hits);
	P("cache.misses", e.cache_misses);
	fprintf(out, "cache.bytes=%zu\ncache.entries=%zu\ncache.limit=%zu\n",
	    e.cache_bytes, e.cache_entries, d->config.engine.cache_size);
	fprintf(out, "cache.answer_entries=%zu\n", e.cache_answer_entries);
	fprintf(out, "cache.key_entries=%zu\ncache.key_bytes=%zu\n",
	    e.cache_key_entries, e.cache_key_bytes);
	P("requests", e.requests);
	P("upstream.queries", e.upstream_queries);
	P("upstream.timeouts", e.upstream_timeouts);
	P("upstream.hedges", e.upstream_hedges);
	P("upstream.errors", e.upstream_errors);
	P("servfails", e.servfails);
	P("limits.hit", e.limits_hit);
	P("dnssec.secure", e.dnssec_secure);
	P("dnssec.insecure", e.dnssec_insecure);
	P("dnssec.bogus", e.dnssec_bogus);
	P("dnssec.indeterminate", e.dnssec_indeterminate);
	P("dnssec.aggressive_nsec", e.dnssec_aggressive_nsec);
	P("dnssec.aggressive_nsec.nxdomain", e.dnssec_aggressive_nxdomain);
	P("dnssec.aggressive_nsec.wildcard", e.dnssec_aggressive_wildcard);
	P("dnssec.aggressive_nsec3", e.dnssec_aggressive_nsec3);
	P("dnssec.aggressive_nsec3.nxdomain",
	    e.dnssec_aggressive_nsec3_nxdomain);
	P("dnssec.aggressive_nsec3.wildcard",
	    e.dnssec_aggressive_nsec3_wildcard);
	P("dnssec.restarts", e.dnssec_restarts);
	P("stale.refreshes", e.stale_refreshes);
	P("stale.refreshes_fresh", e.stale_refreshes_fresh);
	P("local.answers", s->local_answers);
	P("clients.refused", s->clients_refused);
	P("clients.denied", s->clients_denied);
	P("queries.malformed", s->malformed);
	P("queries.coalesced", s->coalesced);
	P("queries.dropped", s->dropped);
	P("queries.client_limited", s->client_limited);
	P("queries.jostled", s->jostled);
	P("queries.norec_refused", s->norec_refused);
	P("tcp.refused", s->tcp_refused);
	P("tcp.paused", s->tcp_paused);
	P("tcp.closed_idle", s->tcp_closed_idle);
	P("tcp.closed_stalled", s->tcp_closed_stalled);
	P("tcp.closed_total", s->tcp_closed_total);
	P("tcp.replies_dropped", s->tcp_replies_dropped);
	P("tcp.queued_bytes", s->tcp_queued_bytes);
	P("udp.recv_batches", s->udp_recv_batches);
	P("udp.recv_datagrams", s->udp_recv_datagrams);
	P("udp.recv_full_batches", s->udp_recv_full);
	P("udp.send_batches", s->udp_send_batches);
	P("udp.send_datagrams", s->udp_send_datagrams);
	P("prefetches", s->prefetches);
	if (d->dnstap != NULL)
		fprintf(out, "dnstap.dropped=%llu\n",
		    (unsigned long long)dnstap_dropped(d->dnstap));
	for (unsigned i = 0; i < 16; i++)
		if (rcodes[i] != NULL)
			fprintf(out, "rcode.%s=%llu\n", rcodes[i],
			    (unsigned long long)e.rcode[i]);
#undef P
}

/* Runs one command; writes what it says to `out`. */
static void
control_execute(struct control *control, char *line, FILE *out)
{
	struct daemon *d = control->daemon;
	char *arg = strchr(line, ' ');
	ldns_rdf *name = NULL;

	if (arg != NULL) {
		*arg++ = '\0';
		while (*arg == ' ')
			arg++;
	}
	if (strcmp(line, "stats") == 0)
		control_print_stats(d, out);
	else if (strcmp(line, "flush-all") == 0) {
		engine_cache_flush_all(d->engine);
		fprintf(out, "ok\n");
	} else if (strcmp(line, "dump-cache") == 0)
		engine_cache_dump(d->engine, out, time(NULL));
	else if (strcmp(line, "reload") == 0)
		daemon_reload(d, out);
	else if (strcmp(line, "stop") == 0) {
		fprintf(out, "ok\n");
		daemon_stop(d);
	} else if (strcmp(line, "flush") == 0 || strcmp(line, "flush-zone") == 0) {
		if (arg == NULL || *arg == '\0' ||
		    ldns_str2rdf_dname(&name, arg) != LDNS_STATUS_OK) {
			fprintf(out, "error: %s needs a domain name\n", line);
			return;
		}
		fprintf(out, "ok removed=%zu\n", strcmp(line, "flush") == 0 ?
		    engine_cache_flush_name(d->engine, name) :
		    engine_cache_flush_zone(d->engine, name));
		ldns_rdf_deep_free(name);
	} else
		fprintf(out, "error: unknown command '%s'\n", line);
}

static void
on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct control_conn *conn = handle->data;

	(void)suggested;
	*buf = uv_buf_init(conn->line + conn->len,
	    (unsigned)(sizeof(conn->line) - 1 - conn->len));
}

static void
on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
	struct control_conn *conn = stream->data;
	char *newline, *text = NULL;
	size_t len = 0;
	FILE *out;

	(void)buf;
	if (conn->answered)
		return;
	if (nread < 0) {
		uv_close((uv_handle_t *)stream, on_conn_closed);
		return;
	}
	conn->len += (size_t)nread;
	conn->line[conn->len] = '\0';
	if ((newline = strchr(conn->line, '\n')) == NULL) {
		if (conn->len < sizeof(conn->line) - 1)
			return;
		newline = conn->line + conn->len;	/* too long: refuse below */
	}
	*newline = '\0';
	if (newline > conn->line && newline[-1] == '\r')
		newline[-1] = '\0';
	if ((out = open_memstream(&text, &len)) == NULL) {
		uv_close((uv_handle_t *)stream, on_conn_closed);
		return;
	}
	control_execute(conn->control, conn->line, out);
	fclose(out);
	control_reply(conn, text, len);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct control *control = server->data;
	struct control_conn *conn;

	if (status < 0 || (conn = calloc(1, sizeof(*conn))) == NULL)
		return;
	conn->control = control;
	uv_pipe_init(server->loop, &conn->pipe, 0);
	conn->pipe.data = conn;
	if (uv_accept(server, (uv_stream_t *)&conn->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read) != 0)
		uv_close((uv_handle_t *)&conn->pipe, on_conn_closed);
}

struct control *
control_start(struct daemon *daemon, uv_loop_t *loop, const char *path)
{
	struct control *control = calloc(1, sizeof(*control));
	int rc;

	if (control == NULL || (control->path = strdup(path)) == NULL) {
		free(control);
		return NULL;
	}
	control->daemon = daemon;
	uv_pipe_init(loop, &control->server, 0);
	control->server.data = control;
	unlink(path);	/* a stale socket from a crash */
	if ((rc = uv_pipe_bind(&control->server, path)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&control->server, 8,
	    on_connection)) != 0) {
		log_error("control socket %s: %s", path, uv_strerror(rc));
		free(control->path);
		control->path = NULL;
		return control;	/* an unbound handle, closed by control_stop */
	}
	chmod(path, 0600);	/* the control socket is root's */
	return control;
}

static void
on_server_closed(uv_handle_t *handle)
{
	struct control *control = handle->data;

	free(control);
}

void
control_stop(struct control *control)
{
	if (control == NULL)
		return;
	if (control->path != NULL) {
		unlink(control->path);
		free(control->path);
	}
	uv_close((uv_handle_t *)&control->server, on_server_closed);
}
