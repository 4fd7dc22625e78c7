/*
 * cache_bench.c: lookups per second in the caches alone, from 1 and then 2
 * threads at once, so that the caches' scaling is measured without the
 * daemon and its load generator fighting for the same two cores. Runs of
 * 1 and of N threads alternate (-r rounds); each line gives the best and
 * the median round, and the ratio to one thread's: on a machine that
 * others share, the best round is the one least disturbed.
 *
 * A third, mixed load (lookups with a tenth of RRset updates, answers
 * stored again after the misses those cause, and flushes) is there for
 * ThreadSanitizer builds to see every path at once; with -c, caches of
 * that many MiB (too small for the names: evictions too) and only the
 * mixed load, which stores again what it misses.
 *
 * Usage: cache_bench [-s SECONDS] [-n NAMES] [-t THREADS] [-r ROUNDS]
 *                    [-c MIB]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "answer_cache.h"
#include "fastpath.h"
#include "rrset_cache.h"

#define NOW	1000000

static size_t names = 100000;
static double seconds = 1;
static int rounds = 5;
static size_t cache_mib = 1024;

struct bench {
	struct answer_cache *answers;
	struct rrset_cache *rrsets;
	ldns_rdf **owners;		/* the names, for RRset lookups */
	uint8_t (*queries)[64];		/* client queries, for the fast path */
	size_t *query_lens;
	uint8_t (*answers_wire)[128];	/* engine answers, stored again */
	size_t *answer_lens;
};

struct worker {
	const struct bench *b;
	int which;			/* 0: fast path, 1: RRsets, 2: mixed */
	const int *stop;		/* atomic */
	unsigned long long done;
	double cpu;			/* the thread's CPU seconds */
	uint64_t rng;
	pthread_t thread;
};

static uint64_t
next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One step of the mixed load on name n. */
static void
mixed_op(const struct bench *b, size_t n, uint64_t *rng, uint8_t *out,
    size_t cap)
{
	unsigned r = (unsigned)(next_random(rng) % 100);
	struct client_query q;
	bool prefetch;

	if (fastpath_parse_query(b->queries[n], b->query_lens[n], &q) !=
	    QUERY_OK)
		abort();
	if (r < 90) {
		if (fastpath_answer(b->answers, &q, NOW, false, out, cap,
		    &prefetch) == 0)
			answer_cache_store(b->answers, q.key, q.keylen,
			    b->answers_wire[n], b->answer_lens[n], 3600,
			    SEC_UNCHECKED, NOW);
	} else if (r < 99) {
		ldns_rr_list *rrs = ldns_rr_list_new();
		ldns_rr *rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_A);
		uint8_t addr[4] = { 192, 0, 2, (uint8_t)(next_random(rng) % 250) };

		ldns_rr_set_owner(rr, ldns_rdf_clone(b->owners[n]));
		ldns_rr_set_ttl(rr, 3600);
		ldns_rr_set_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4,
		    addr), 0);
		ldns_rr_list_push_rr(rrs, rr);
		rrset_cache_store(b->rrsets, rrs, NULL, RANK_AUTH_ANSWER,
		    SEC_UNCHECKED, NOW, 0, 86400, RRSET_TTL_NO_CAP);
		ldns_rr_list_deep_free(rrs);
	} else {
		rrset_cache_flush(b->rrsets, b->owners[n], false);
		answer_cache_flush(b->answers, q.key, q.keylen - 5, false);
	}
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	const struct bench *b = w->b;
	uint8_t out[512];
	unsigned long long done = 0;
	uint64_t rng = w->rng;	/* a local: workers' structs share lines */
	bool prefetch;

	while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED)) {
		for (int i = 0; i < 256; i++) {
			size_t n = next_random(&rng) % names;

			if (w->which == 0) {
				struct client_query q;

				/* What a worker does per datagram: parse, copy. */
				if (fastpath_parse_query(b->queries[n],
				    b->query_lens[n], &q) != QUERY_OK ||
				    fastpath_answer(b->answers, &q, NOW, false,
				    out, sizeof(out), &prefetch) == 0)
					abort();
			} else if (w->which == 1) {
				ldns_rr_list *rrs = rrset_cache_lookup(b->rrsets,
				    b->owners[n], LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
				    NOW, RANK_ANSWER, NULL);

				if (rrs == NULL)
					abort();
				ldns_rr_list_deep_free(rrs);
			} else
				mixed_op(b, n, &rng, out, sizeof(out));
			done++;
		}
	}
	w->done = done;
	{
		struct timespec t;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		w->cpu = (double)t.tv_sec + (double)t.tv_nsec / 1e9;
	}
	return NULL;
}

/* Lookups per second of wall time; *cpu gets the threads' CPU per second. */
static double
run(const struct bench *b, int which, int threads, double *cpu)
{
	struct worker w[64];
	int stop = 0;
	struct timespec t0, t1;
	unsigned long long total = 0;
	double busy = 0, wall;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ .b = b, .which = which, .stop = &stop,
		    .rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) };
		pthread_create(&w[i].thread, NULL, worker_run, &w[i]);
	}
	usleep((useconds_t)(seconds * 1e6));
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		total += w[i].done;
		busy += w[i].cpu;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wall = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	*cpu = busy / wall;
	return (double)total / wall;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* An engine-style answer for name n: question and one A record. */
static size_t
make_answer(size_t n, uint8_t *wire, size_t cap, uint8_t *query,
    size_t *query_len)
{
	char text[128];
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = NULL, *a = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;

	snprintf(text, sizeof(text), "n%zu.bench.example. IN A", n);
	ldns_rr_new_question_frm_str(&q, text, NULL, NULL);
	snprintf(text, sizeof(text), "n%zu.bench.example. 3600 IN A 192.0.2.%zu",
	    n, n % 250 + 1);
	ldns_rr_new_frm_str(&a, text, 0, NULL, NULL);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_rd(pkt, true);
	ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, ldns_rr_clone(q));
	ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, a);
	if (ldns_pkt2wire(&buf, pkt, &len) == LDNS_STATUS_OK && len <= cap)
		memcpy(wire, buf, len);
	else
		len = 0;
	free(buf);
	/* The client's query: the answer's header and question, QR off. */
	if (len != 0) {
		*query_len = 12 + ldns_rdf_size(ldns_rr_owner(q)) + 4;
		memcpy(query, wire, *query_len);
		query[2] = 0x01;
		query[3] = 0;
		memset(query + 6, 0, 6);
	}
	ldns_rr_free(q);
	ldns_pkt_free(pkt);
	return len;
}

int
main(int argc, char **argv)
{
	struct bench b = { 0 };
	int opt, max_threads = 2;
	const char *what[] = { "answer cache (fast path: parse + copy)",
	    "RRset cache (lookup + unpack)", "mixed (updates, flushes)" };

	while ((opt = getopt(argc, argv, "s:n:t:r:c:")) != -1) {
		if (opt == 'c')
			cache_mib = strtoul(optarg, NULL, 10);
		else if (opt == 's')
			seconds = atof(optarg);
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'n')
			names = strtoul(optarg, NULL, 10);
		else if (opt == 't')
			max_threads = atoi(optarg);
		else {
			fprintf(stderr, "usage: cache_bench [-s SECONDS] "
			    "[-n NAMES] [-t THREADS] [-r ROUNDS] [-c MIB]\n");
			return 2;
		}
	}
	if (names == 0 || max_threads < 1 || max_threads > 64 || rounds < 1 ||
	    rounds > 99 || cache_mib < 1 || cache_mib > 1024)
		return 2;
	b.answers = answer_cache_new(cache_mib << 20);
	b.rrsets = rrset_cache_new(cache_mib << 20);
	answer_cache_follow(b.answers, b.rrsets);
	b.owners = calloc(names, sizeof(*b.owners));
	b.queries = calloc(names, sizeof(*b.queries));
	b.query_lens = calloc(names, sizeof(*b.query_lens));
	b.answers_wire = calloc(names, sizeof(*b.answers_wire));
	b.answer_lens = calloc(names, sizeof(*b.answer_lens));
	if (b.answers == NULL || b.rrsets == NULL || b.owners == NULL ||
	    b.queries == NULL || b.query_lens == NULL ||
	    b.answers_wire == NULL || b.answer_lens == NULL)
		return 1;
	for (size_t n = 0; n < names; n++) {
		uint8_t wire[512];
		size_t len = make_answer(n, wire, sizeof(wire), b.queries[n],
		    &b.query_lens[n]);
		struct client_query q;
		char text[128];
		ldns_rr_list *rrs = ldns_rr_list_new();
		ldns_rr *rr = NULL;

		snprintf(text, sizeof(text), "n%zu.bench.example. 3600 IN A "
		    "192.0.2.%zu", n, n % 250 + 1);
		ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
		ldns_rr_list_push_rr(rrs, rr);
		b.owners[n] = ldns_rdf_clone(ldns_rr_owner(rr));
		rrset_cache_store(b.rrsets, rrs, NULL, RANK_AUTH_ANSWER,
		    SEC_UNCHECKED, NOW, 0, 86400, RRSET_TTL_NO_CAP);
		ldns_rr_list_deep_free(rrs);
		if (len > sizeof(b.answers_wire[n]))
			len = 0;
		memcpy(b.answers_wire[n], wire, len);
		b.answer_lens[n] = len;
		/* A full small cache evicts: no failure then. */
		if (len == 0 || fastpath_parse_query(b.queries[n],
		    b.query_lens[n], &q) != QUERY_OK ||
		    (!answer_cache_store(b.answers, q.key, q.keylen, wire, len,
		    3600, SEC_UNCHECKED, NOW) && cache_mib == 1024)) {
			fprintf(stderr, "cache_bench: could not fill the caches\n");
			return 1;
		}
	}
	printf("# %zu names, %d rounds of %.1f s, %ld CPUs online\n", names,
	    rounds, seconds, sysconf(_SC_NPROCESSORS_ONLN));
	printf("# CPUs: the threads' CPU time per second of the best round "
	    "(below the thread count: waiting for a lock, or for a CPU);\n"
	    "# per CPU x: the best round's lookups per CPU-second over one "
	    "thread's (what the threads cost each other, whatever CPU time "
	    "others on the machine left them)\n");
	printf("%-40s %-7s %12s %12s %7s %9s %5s %9s\n", "cache", "threads",
	    "best/s", "median/s", "best x", "median x", "CPUs", "per CPU x");
	for (int which = cache_mib < 1024 ? 2 : 0; which < 3; which++) {
		double rate[2][100], sorted[2][100], cpu[2][100];
		double best[2], median[2], best_cpu[2];

		for (int r = 0; r < rounds; r++) {
			rate[0][r] = run(&b, which, 1, &cpu[0][r]);
			rate[1][r] = run(&b, which, max_threads, &cpu[1][r]);
		}
		for (int k = 0; k < 2; k++) {
			int at = 0;

			for (int r = 0; r < rounds; r++) {
				sorted[k][r] = rate[k][r];
				if (rate[k][r] > rate[k][at])
					at = r;
			}
			qsort(sorted[k], (size_t)rounds, sizeof(double),
			    by_value);
			best[k] = rate[k][at];
			best_cpu[k] = cpu[k][at];
			median[k] = sorted[k][rounds / 2];
			printf("%-40s %-7d %12.0f %12.0f %7.2f %9.2f %5.2f "
			    "%9.2f\n", what[which], k == 0 ? 1 : max_threads,
			    best[k], median[k], best[k] / best[0],
			    median[k] / median[0], best_cpu[k],
			    best_cpu[k] > 0 && best_cpu[0] > 0 ?
			    best[k] / best_cpu[k] / (best[0] / best_cpu[0]) : 0);
		}
	}
	for (size_t n = 0; n < names; n++)
		ldns_rdf_deep_free(b.owners[n]);
	free(b.owners);
	free(b.queries);
	free(b.query_lens);
	free(b.answers_wire);
	free(b.answer_lens);
	answer_cache_free(b.answers);
	rrset_cache_free(b.rrsets);
	return 0;
}
