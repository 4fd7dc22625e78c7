/*
 * descendd.c: the daemon's main: options, configuration, the engine, one
 * worker per thread, the control socket, signals (SIGHUP reloads keeping
 * the cache, SIGTERM/SIGINT stop cleanly) and the pid file.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "engine_limits.h"
#include "log.h"
#include "metrics.h"
#include "dnstap.h"
#include "privileges.h"

#ifndef DESCENDD_CONF
#define DESCENDD_CONF	"/etc/descend/descendd.conf"
#endif

static struct daemon the_daemon;
static uv_signal_t sig_hup, sig_term, sig_int;
static struct control *control;
static struct privileges privileges;
static struct metrics *metrics;

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: descendd [-d] [-c FILE]    run the caching resolver\n"
	    "       descendd -t [-c FILE]      check the configuration and exit\n"
	    "       descendd-checkconf [FILE]\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -d       stay in the foreground and log to stderr\n"
	    "  -t       check the configuration, print it, exit 0 when good\n",
	    DESCENDD_CONF);
}

/* Reads the configuration; prints problems; returns the problem count. */
static unsigned
load_config(const char *path, struct daemon_config *config, FILE *errors)
{
	unsigned problems;

	if (!config_init(config)) {
		fprintf(errors, "out of memory\n");
		return 1;
	}
	problems = config_load(config, path, errors);
	if (!dnstap_available() && (config->dnstap_file != NULL ||
	    config->dnstap_socket_path != NULL)) {
		fprintf(errors, "%s: dnstap: descendd was built without dnstap "
		    "(install libfstrm-dev, libprotobuf-c-dev and "
		    "protobuf-c-compiler and rebuild)\n", path);
		problems++;
	}
#ifndef HAVE_LIBMICROHTTPD
	if (config->metrics_listen.ss_family != 0) {
		fprintf(errors, "%s: metrics-listen: descendd was built without "
		    "libmicrohttpd (install libmicrohttpd-dev and rebuild)\n",
		    path);
		problems++;
	}
#endif
	/* After a chroot, a reload reads the same file inside it. */
	if (config->root_hints != NULL)
		config->engine.root_hints_file = privileges_path(&privileges,
		    config->root_hints);
	if (problems == 0 && config->root_hints != NULL &&
	    access(config->engine.root_hints_file, R_OK) != 0) {
		fprintf(errors, "%s: root-hints %s: %s\n", path,
		    config->root_hints, strerror(errno));
		problems++;
	}
	return problems;
}

/*
 * descendd -t: what the start would load besides the configuration itself
 * (already read: includes, local zones, trust anchor files), loaded the
 * way serve() does it, by building the engine and freeing it. A root
 * hints file that does not parse, a zone table the engine refuses, fail
 * here with the message the start would log, not later at start. Nothing
 * is bound or written (sockets, pid file, dnstap output), and the
 * username is not looked up: -t runs before a package creates it.
 */
static unsigned
check_engine(const struct daemon_config *config, const char *path,
    FILE *errors)
{
	struct engine *engine;
	char err[512];

	if ((engine = engine_new(&config->engine, err, sizeof(err))) == NULL) {
		fprintf(errors, "%s: %s\n", path, err);
		return 1;
	}
	engine_free(engine);
	return 0;
}

bool
daemon_reload(struct daemon *d, FILE *reply)
{
	struct daemon_config fresh;
	char *text = NULL;
	size_t len = 0;
	FILE *errors = open_memstream(&text, &len);
	unsigned problems;

	if (errors == NULL)
		return false;
	problems = load_config(d->config_path, &fresh, errors);
	fclose(errors);
	if (problems > 0) {
		log_error("reload: %s has %u problem(s), keeping the running "
		    "configuration:\n%s", d->config_path, problems, text);
		free(text);
		config_free(&fresh);
		if (reply != NULL)
			fprintf(reply, "error: the configuration has errors "
			    "(see the log); the old one stays\n");
		return false;
	}
	free(text);
	return daemon_apply_config(d, &fresh, reply);
}

void
daemon_stop(struct daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	log_info("stopping");
	/* In a chroot the socket's path lies below it (control_stop's fails). */
	if (privileges.chrooted)
		unlink(privileges_path(&privileges, d->config.control_socket));
	control_stop(control);
	control = NULL;
	metrics_stop(metrics);
	uv_close((uv_handle_t *)&sig_hup, NULL);
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
	for (unsigned i = 0; i < d->worker_count; i++)
		worker_stop(d->workers[i]);
}

static void
on_signal(uv_signal_t *handle, int signum)
{
	(void)handle;
	if (signum == SIGHUP)
		daemon_reload(&the_daemon, NULL);
	else
		daemon_stop(&the_daemon);
}

static void
write_pidfile(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		log_warning("pidfile %s: %s", path, strerror(errno));
		return;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
}

/*
 * Creates the control socket's directory (e.g. /run/descend) and, when it
 * made it, gives it to the user descendd becomes, so that the daemon can
 * remove its socket and pid file there at exit. A directory that already
 * exists (systemd's RuntimeDirectory=, /tmp) is left as it is.
 */
static void
make_socket_dir(const char *path)
{
	char dir[4096];

	strlcpy(dir, path, sizeof(dir));
	if (mkdir(dirname(dir), 0755) == 0)
		privileges_give_dir(&privileges, dir);
}

/*
 * Every upstream query has its own socket (random source port), so a full
 * request list needs LIMIT_WORKER_REQUESTS * LIMIT_INFLIGHT_PER_REQUEST
 * descriptors per worker (and one more per request while an abandoned
 * hedge waits out its timeout), and LIMIT_UPSTREAM_ORPHANS for queries
 * kept after their request ended; the usual soft limit of 1024 would turn
 * load into SERVFAILs. Raise it to the hard limit, as far as that goes.
 */
static void
raise_fd_limit(unsigned workers)
{
	rlim_t want = (rlim_t)workers * (LIMIT_WORKER_REQUESTS *
	    (LIMIT_INFLIGHT_PER_REQUEST + 1) + LIMIT_UPSTREAM_ORPHANS) + 1024;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		log_warning("open files limited to %llu, %llu wanted: under "
		    "load some queries will fail (raise LimitNOFILE)",
		    (unsigned long long)rl.rlim_cur, (unsigned long long)want);
}

static int
serve(struct daemon *d, bool foreground)
{
	char err[512];
	unsigned started = 0;
	int rc = 0, metrics_fd = -1;

	if ((d->engine = engine_new(&d->config.engine, err,
	    sizeof(err))) == NULL) {
		log_error("%s", err);
		return 1;
	}
	d->worker_count = d->config.threads;
	daemon_pause_init(d);
	raise_fd_limit(d->worker_count);
	d->workers = calloc(d->worker_count, sizeof(*d->workers));
	for (unsigned i = 0; d->workers != NULL && i < d->worker_count; i++) {
		if ((d->workers[i] = worker_new(d, i)) == NULL ||
		    !worker_listen(d->workers[i])) {
			log_error("no usable listen address: nothing to serve");
			rc = 1;
			goto out;
		}
	}
	if (d->workers == NULL) {
		rc = 1;
		goto out;
	}
	worker_listen_senders(d->workers, d->worker_count);
	/* Bound now, served after the drop: the port may be below 1024. */
	if (d->config.metrics_listen.ss_family != 0 &&
	    (metrics_fd = metrics_bind(&d->config.metrics_listen,
	    d->config.metrics_listen_len, err, sizeof(err))) < 0) {
		log_error("metrics-listen: %s", err);
		rc = 1;
		goto out;
	}
	if (!foreground && daemon(0, 0) != 0) {
		log_error("cannot detach: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	make_socket_dir(d->config.control_socket);
	if (d->config.pidfile != NULL)
		write_pidfile(d->config.pidfile);
	control = control_start(d, worker_loop(d->workers[0]),
	    d->config.control_socket);
	uv_signal_init(worker_loop(d->workers[0]), &sig_hup);
	uv_signal_init(worker_loop(d->workers[0]), &sig_term);
	uv_signal_init(worker_loop(d->workers[0]), &sig_int);
	uv_signal_start(&sig_hup, on_signal, SIGHUP);
	uv_signal_start(&sig_term, on_signal, SIGTERM);
	uv_signal_start(&sig_int, on_signal, SIGINT);
	/*
	 * Everything that needs root is open: sockets, control socket, pid
	 * file. Drop it while this is the only thread (capabilities are per
	 * thread); reloads later read the configuration as the user.
	 */
	if (privileges_drop(&privileges, err, sizeof(err)) != 0) {
		log_error("%s: not serving", err);
		rc = 1;
		daemon_stop(d);
		worker_run(d->workers[0]);
		goto stopped;
	}
	d->config_path = privileges_path(&privileges, d->config_path);
	if (privileges.switch_user)
		log_info("running as %s (uid %ld, gid %ld)%s%s",
		    privileges.user, (long)privileges.uid,
		    (long)privileges.gid, privileges.chroot_dir[0] != '\0' ?
		    ", chroot " : "", privileges.chroot_dir);
	if (d->config.metrics_listen.ss_family != 0 &&
	    (metrics = metrics_start(d, worker_loop(d->workers[0]), metrics_fd,
	    err, sizeof(err))) == NULL) {
		log_error("metrics-listen: %s: not serving", err);
		rc = 1;
		daemon_stop(d);
		worker_run(d->workers[0]);
		goto stopped;
	}
	metrics_fd = -1;
	/*
	 * dnstap's writer thread starts after the drop (it must not keep
	 * root's capabilities) and before the workers' threads, which each
	 * get a queue of their own.
	 */
	if ((d->dnstap = dnstap_open(&d->config, d->worker_count, err,
	    sizeof(err))) == NULL && (d->config.dnstap_file != NULL ||
	    d->config.dnstap_socket_path != NULL)) {
		log_error("dnstap: %s: not serving", err);
		rc = 1;
		daemon_stop(d);
		worker_run(d->workers[0]);
		goto stopped;
	}
	for (unsigned i = 1; i < d->worker_count; i++) {
		if (worker_start_thread(d->workers[i]) != 0) {
			log_error("cannot start worker thread %u", i);
			break;
		}
		started = i;
	}
	d->threads_running = started;	/* reloads park workers 1..started */
	log_info("descendd %s started: %u thread(s), cache %zu bytes",
	    PACKAGE_VERSION, started + 1, d->config.engine.cache_size);
	worker_run(d->workers[0]);
	for (unsigned i = 1; i <= started; i++)
		worker_join(d->workers[i]);
stopped:
	metrics_free(metrics);
	metrics = NULL;
	if (d->config.pidfile != NULL)
		unlink(privileges_path(&privileges, d->config.pidfile));
	log_info("stopped");
out:
	if (metrics_fd >= 0)
		close(metrics_fd);
	for (unsigned i = 0; d->workers != NULL && i < d->worker_count; i++)
		worker_free(d->workers[i]);
	free(d->workers);
	dnstap_close(d->dnstap);	/* after the workers: flushes the rest */
	d->dnstap = NULL;
	engine_free(d->engine);
	return rc;
}

/*
 * glibc's per-thread cache of freed chunks (tcache) keeps 7 of a size by
 * default. A resolution frees about a hundred small ldns objects of a few
 * sizes, so most go past it to the fastbins, which the next allocation of
 * 1 KiB or more (a request, a task) must first consolidate, and from which
 * allocations are slower: 64 a size keeps them in the tcache, and a cold
 * sibling name (one upstream query) takes ~12% fewer instructions
 * (contrib/bench/sibling-ab.py callgrind: 87.6k -> 77.2k). What it keeps
 * is bounded, 64 chunks of each size a thread frees. glibc reads the
 * setting only from the environment at start, so descendd executes itself
 * again once with it added. An operator's own glibc.malloc.tcache_count
 * stands, and under valgrind (its preload library in LD_PRELOAD) nothing
 * is done: the new image would run outside the tool.
 */
#define MALLOC_TUNABLE		"glibc.malloc.tcache_count"
#define MALLOC_TUNABLE_VALUE	"64"

static void
tune_malloc(char **argv)
{
	const char *tunables = getenv("GLIBC_TUNABLES");
	const char *preload = getenv("LD_PRELOAD");
	char *value;

	if ((tunables != NULL && strstr(tunables, MALLOC_TUNABLE) != NULL) ||
	    (preload != NULL && strstr(preload, "vgpreload") != NULL))
		return;
	if (asprintf(&value, "%s%s%s=%s", tunables != NULL ? tunables : "",
	    tunables != NULL && *tunables != '\0' ? ":" : "", MALLOC_TUNABLE,
	    MALLOC_TUNABLE_VALUE) < 0)
		return;
	if (setenv("GLIBC_TUNABLES", value, 1) == 0)
		execv("/proc/self/exe", argv);
	/* Not executed (no /proc): runs on with glibc's default. */
	free(value);
}

int
main(int argc, char **argv)
{
	struct daemon *d = &the_daemon;
	const char *prog = strrchr(argv[0], '/') != NULL ?
	    strrchr(argv[0], '/') + 1 : argv[0];
	bool foreground = false, check = strcmp(prog, "descendd-checkconf") == 0;
	unsigned problems;
	char err[512];
	int opt, rc;

	tune_malloc(argv);
	d->config_path = DESCENDD_CONF;
	while ((opt = getopt(argc, argv, "c:dth")) != -1) {
		switch (opt) {
		case 'c':
			d->config_path = optarg;
			break;
		case 'd':
			foreground = true;
			break;
		case 't':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (check && optind < argc)
		d->config_path = argv[optind++];
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	problems = load_config(d->config_path, &d->config, stderr);
	if (check && problems == 0)
		problems = check_engine(&d->config, d->config_path, stderr);
	if (check) {
		if (problems == 0) {
			config_print(&d->config, stdout);
			printf("%s: no problems\n", d->config_path);
		} else
			fprintf(stderr, "%s: %u problem(s)\n", d->config_path,
			    problems);
		config_free(&d->config);
		return problems == 0 ? 0 : 1;
	}
	if (problems > 0) {
		fprintf(stderr, "descendd: %s has %u problem(s), not starting\n",
		    d->config_path, problems);
		config_free(&d->config);
		return 1;
	}
	if (privileges_prepare(&privileges, d->config.username,
	    d->config.chroot_dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "descendd: %s\n", err);
		config_free(&d->config);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	log_init(foreground, d->config.log_level);
	rc = serve(d, foreground);
	config_free(&d->config);
	return rc;
}
