/*
 * reload.c: applies a new configuration while the workers run (SIGHUP,
 * `descend control reload`), any number of times, and names the settings
 * that only a restart changes.
 *
 * The workers read the configuration (the access list, local zones, the
 * engine's settings, root hints, forward zones, private addresses) without
 * locks, on every query.
 * Rather than make every read take a reference, a reload stops the world:
 * the reloading thread (worker 0's, where the signal and control handles
 * live) asks every other worker to park, waits until all have, changes the
 * configuration, lets them go and waits until all have left, then frees
 * what was replaced. A worker parks from an async callback of its own
 * loop, between two callbacks, so no engine call and no query of it is
 * under way and no pointer into the configuration is held on its stack;
 * the requests it keeps between callbacks hold copies (cuts, addresses),
 * never pointers into hints, zones or the access list. The mutex gives
 * each worker's later reads a happens-before edge to the reloader's
 * writes, which is what ThreadSanitizer checks in the reload test.
 */
#include <string.h>

#include "daemon.h"
#include "local_zones.h"
#include "log.h"

void
daemon_pause_init(struct daemon *d)
{
	uv_mutex_init(&d->pause_lock);
	uv_cond_init(&d->pause_cond);
}

/* Parks every worker thread; called by the reloading thread only. */
static void
daemon_pause(struct daemon *d)
{
	uv_mutex_lock(&d->pause_lock);
	d->pause_wanted = true;
	uv_mutex_unlock(&d->pause_lock);
	for (unsigned i = 1; i <= d->threads_running; i++)
		worker_park(d->workers[i]);
	uv_mutex_lock(&d->pause_lock);
	while (d->parked < d->threads_running)
		uv_cond_wait(&d->pause_cond, &d->pause_lock);
	uv_mutex_unlock(&d->pause_lock);
}

/*
 * Lets the workers go, and waits until every one has left the parking
 * place, so that the next pause counts only workers it parked itself.
 */
static void
daemon_resume(struct daemon *d)
{
	uv_mutex_lock(&d->pause_lock);
	d->pause_wanted = false;
	uv_cond_broadcast(&d->pause_cond);
	while (d->parked > 0)
		uv_cond_wait(&d->pause_cond, &d->pause_lock);
	uv_mutex_unlock(&d->pause_lock);
}

void
daemon_park(struct daemon *d)
{
	uv_mutex_lock(&d->pause_lock);
	if (d->pause_wanted) {
		d->parked++;
		uv_cond_broadcast(&d->pause_cond);
		while (d->pause_wanted)
			uv_cond_wait(&d->pause_cond, &d->pause_lock);
		d->parked--;
		uv_cond_broadcast(&d->pause_cond);
	}
	uv_mutex_unlock(&d->pause_lock);
}

static bool
same_listens(const struct daemon_config *a, const struct daemon_config *b)
{
	if (a->listen_count != b->listen_count)
		return false;
	for (size_t i = 0; i < a->listen_count; i++)
		if (a->listens[i].addrlen != b->listens[i].addrlen ||
		    memcmp(&a->listens[i].addr, &b->listens[i].addr,
		    a->listens[i].addrlen) != 0)
			return false;
	return true;
}

static bool
same_string(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/*
 * The keys whose new value a running daemon cannot take (sockets bound,
 * threads started, files opened at start), space-separated into `out`.
 */
static void
restart_needed(const struct daemon_config *running,
    const struct daemon_config *fresh, char *out, size_t len)
{
	out[0] = '\0';
	if (!same_listens(running, fresh))
		strlcat(out, " listen", len);
	if (running->threads != fresh->threads)
		strlcat(out, " threads", len);
	if (!same_string(running->control_socket, fresh->control_socket))
		strlcat(out, " control-socket", len);
	if (!same_string(running->pidfile, fresh->pidfile))
		strlcat(out, " pidfile", len);
	if (!same_string(running->username, fresh->username))
		strlcat(out, " username", len);
	if (!same_string(running->chroot_dir, fresh->chroot_dir))
		strlcat(out, " chroot", len);
	if (running->metrics_listen_len != fresh->metrics_listen_len ||
	    memcmp(&running->metrics_listen, &fresh->metrics_listen,
	    running->metrics_listen_len) != 0)
		strlcat(out, " metrics-listen", len);
	/* dnstap's writer and what it logs are set up once, at start. */
	if (!same_string(running->dnstap_file, fresh->dnstap_file) ||
	    !same_string(running->dnstap_socket_path,
	    fresh->dnstap_socket_path) ||
	    !same_string(running->dnstap_identity, fresh->dnstap_identity) ||
	    running->dnstap_log_client_queries !=
	    fresh->dnstap_log_client_queries ||
	    running->dnstap_log_client_responses !=
	    fresh->dnstap_log_client_responses ||
	    running->dnstap_log_resolver_queries !=
	    fresh->dnstap_log_resolver_queries ||
	    running->dnstap_log_resolver_responses !=
	    fresh->dnstap_log_resolver_responses)
		strlcat(out, " dnstap", len);
}

bool
daemon_apply_config(struct daemon *d, struct daemon_config *fresh,
    FILE *reply)
{
	char err[512], restart[160];
	char *hints;
	struct acl *acl;
	struct local_zones *locals;
	int rc;

	if (d->stopping) {
		config_free(fresh);
		if (reply != NULL)
			fprintf(reply, "error: the daemon is stopping\n");
		return false;
	}
	restart_needed(&d->config, fresh, restart, sizeof(restart));
	daemon_pause(d);
	/* 1: the DNSSEC trust changed and the engine emptied its caches. */
	rc = engine_reconfigure(d->engine, &fresh->engine, err, sizeof(err));
	if (rc >= 0) {
		acl = d->config.acl;
		d->config.acl = fresh->acl;
		fresh->acl = acl;
		locals = d->config.local_zones;
		d->config.local_zones = fresh->local_zones;
		fresh->local_zones = locals;
		/* No cached answer may hide a name that became local. */
		local_zones_flush_cache(d->config.local_zones, d->engine);
		d->config.log_queries = fresh->log_queries;
		d->config.log_level = fresh->log_level;
		d->config.max_udp_size = fresh->max_udp_size;
		d->config.tcp_connections_per_address =
		    fresh->tcp_connections_per_address;
		d->config.tcp_idle_timeout_ms = fresh->tcp_idle_timeout_ms;
		d->config.tcp_stall_timeout_ms = fresh->tcp_stall_timeout_ms;
		d->config.tcp_send_buffer = fresh->tcp_send_buffer;
		d->config.outgoing_v4 = fresh->outgoing_v4;
		d->config.outgoing_v6 = fresh->outgoing_v6;
		/* root_hints_file points into root_hints (maybe past a chroot). */
		d->config.engine = fresh->engine;
		config_swap_engine_data(&d->config, fresh);
		/* Answers learnt before a forward or stub zone applied are not its. */
		for (size_t i = 0; i < d->config.zone_count; i++) {
			ldns_rdf *zone = ldns_dname_new_frm_str(
			    d->config.zones[i].name);

			if (zone != NULL)
				engine_cache_flush_zone(d->engine, zone);
			ldns_rdf_deep_free(zone);
		}
		hints = d->config.root_hints;
		d->config.root_hints = fresh->root_hints;
		fresh->root_hints = hints;
		for (unsigned i = 0; i < d->worker_count; i++)
			worker_set_outgoing(d->workers[i], &d->config.outgoing_v4,
			    &d->config.outgoing_v6);
		log_set_level(d->config.log_level);
		d->reloads++;
	}
	daemon_resume(d);
	/* The anchor file may have come, gone or changed: its probe too. */
	if (rc >= 0)
		worker_autotrust_rearm(d->workers[0]);
	/* What was replaced (access list, zones, hints path): nobody reads it now. */
	config_free(fresh);
	if (rc < 0) {
		log_error("reload: %s", err);
		if (reply != NULL)
			fprintf(reply, "error: %s; the old configuration stays\n",
			    err);
		return false;
	}
	log_info("reloaded %s (%s), reload %llu", d->config_path, rc == 1 ?
	    "cache emptied: the DNSSEC trust anchors changed" : "cache kept",
	    (unsigned long long)d->reloads);
	if (reply != NULL) {
		fprintf(reply, "ok\n");
		if (restart[0] != '\0')
			fprintf(reply, "restart needed for:%s\n", restart);
	}
	if (restart[0] != '\0')
		log_warning("reload: these settings need a restart, the running "
		    "ones stay:%s", restart);
	return true;
}
