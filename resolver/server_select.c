/*
 * server_select.c: per-address RTT and failure state in a bounded table,
 * and the choice of the next server (RTT band plus randomness, like
 * Unbound's, so that equal servers share the load and a spoofer cannot
 * predict the destination).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine_limits.h"
#include "lru.h"
#include "server_select.h"

#define SERVER_TABLE_BYTES	(4u * 1024 * 1024)
#define RTT_BAND_MS		400
#define QUIRK_TTL_MS		(15u * 60 * 1000)

struct server_state {
	uint32_t srtt_ms;		/* 0: never measured */
	/*
	 * The smoothed RTT as replies measured it; srtt_ms also grows with
	 * each timeout (so that a far server gets time to answer), this one
	 * does not. A dead server's probe waits for it: the probe asks
	 * whether the server is back at its old speed, and a client whose
	 * request sends it is not held for a timeout grown to the cap.
	 */
	uint32_t alive_srtt_ms;		/* 0: never measured */
	unsigned failures;		/* consecutive */
	uint64_t backoff_until_ms;
	unsigned quirks;
	uint64_t quirks_until_ms;
	unsigned case_mismatches;	/* 0x20 not echoed, in a row */
	/*
	 * Rounds of failures in a row and when the last began: failures of
	 * queries sent together (a burst lost at once) are one round, as
	 * Unbound backs its timeout off once per lost timeout, not per lost
	 * packet. LIMIT_SERVER_DEAD_FAILURES rounds make the server dead.
	 */
	unsigned rounds;
	uint64_t round_ms;
	uint64_t failed_ms;		/* the last failure */
	/* Dead: its one probe is out until then. */
	uint64_t probe_until_ms;
};

/*
 * Lameness is kept per (address, zone): a server that is lame for one zone
 * (REFUSED, not authoritative, an upward referral, SERVFAIL) may well serve
 * others, and a hostile delegation naming a victim's server must not back
 * that server off for the victim's own zones. RTT and timeouts stay per
 * address.
 */
struct lame_state {
	unsigned failures;		/* consecutive */
	uint64_t backoff_until_ms;
};

/* 'L', the address key, the zone in lowercase wire form. */
#define LAME_KEY_MAX	(1 + 19 + 255)

struct server_table {
	pthread_mutex_t lock;
	struct lru *table;
};

/* Family, port and address bytes: the identity of a server. */
static size_t
server_key(const struct sockaddr *addr, uint8_t *key)
{
	if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)addr;

		key[0] = 6;
		memcpy(key + 1, &in6->sin6_port, 2);
		memcpy(key + 3, &in6->sin6_addr, 16);
		return 19;
	}
	const struct sockaddr_in *in = (const void *)addr;

	key[0] = 4;
	memcpy(key + 1, &in->sin_port, 2);
	memcpy(key + 3, &in->sin_addr, 4);
	return 7;
}

struct server_table *
server_table_new(void)
{
	struct server_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	if ((t->table = lru_new(SERVER_TABLE_BYTES, free)) == NULL) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void
server_table_free(struct server_table *t)
{
	if (t == NULL)
		return;
	lru_free(t->table);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Called locked: the zone's lameness entry for `addr`, or NULL. */
static struct lame_state *
lame_get(struct server_table *t, const struct sockaddr *addr,
    const uint8_t *zone, size_t zone_len, bool create)
{
	uint8_t key[LAME_KEY_MAX];
	size_t keylen;
	struct lame_state *l;

	if (zone == NULL || zone_len > 255)
		return NULL;
	key[0] = 'L';
	keylen = 1 + server_key(addr, key + 1);
	memcpy(key + keylen, zone, zone_len);
	keylen += zone_len;
	l = lru_lookup(t->table, key, keylen);
	if (l == NULL && create && (l = calloc(1, sizeof(*l))) != NULL &&
	    !lru_insert(t->table, key, keylen, l, sizeof(*l)))
		l = NULL;
	return l;
}

/* Called locked: whether `addr` is backed off for `zone` (or at all). */
static bool
backed_off_locked(struct server_table *t, const struct server_state *s,
    const struct sockaddr *addr, const uint8_t *zone, size_t zone_len,
    uint64_t now_ms)
{
	const struct lame_state *l;

	if (s != NULL && s->backoff_until_ms > now_ms)
		return true;
	l = lame_get(t, addr, zone, zone_len, false);
	return l != NULL && l->backoff_until_ms > now_ms;
}

/* 1 s, 2 s, 4 s ... after consecutive failures, never longer than the cap. */
static uint64_t
backoff_ms(unsigned failures)
{
	uint64_t backoff_s = 1ull << (failures - 1);

	if (backoff_s > LIMIT_SERVER_BACKOFF_MAX_S)
		backoff_s = LIMIT_SERVER_BACKOFF_MAX_S;
	return backoff_s * 1000;
}

/* Called locked. With `create`, a missing entry is added. */
static struct server_state *
server_get(struct server_table *t, const struct sockaddr *addr, bool create)
{
	uint8_t key[19];
	size_t keylen = server_key(addr, key);
	struct server_state *s = lru_lookup(t->table, key, keylen);

	if (s == NULL && create && (s = calloc(1, sizeof(*s))) != NULL &&
	    !lru_insert(t->table, key, keylen, s, sizeof(*s)))
		s = NULL;
	return s;
}

static bool
is_dead(const struct server_state *s)
{
	return s != NULL && s->rounds >= LIMIT_SERVER_DEAD_FAILURES;
}

/*
 * Called locked: a dead server not to be asked now: its one probe is
 * still out, or its last one failed less than LIMIT_SERVER_PROBE_INTERVAL_MS
 * ago.
 */
static bool
dead_resting(const struct server_state *s, uint64_t now_ms)
{
	return is_dead(s) && (s->probe_until_ms > now_ms ||
	    now_ms < s->failed_ms + LIMIT_SERVER_PROBE_INTERVAL_MS);
}

static uint32_t
server_score(const struct server_state *s)
{
	return s != NULL && s->srtt_ms != 0 ? s->srtt_ms :
	    LIMIT_QUERY_TIMEOUT_INITIAL_MS;
}

int
server_choose(struct server_table *t, const struct server_candidate *cand,
    size_t count, const uint8_t *zone, size_t zone_len, uint64_t now_ms)
{
	struct server_state *states[64];
	bool backed_off[64], probing[64];
	uint32_t scores[64], best = UINT32_MAX;
	bool avoid_backed_off = false;
	int pick = -1;
	unsigned in_band = 0;

	if (count > 64)
		count = 64;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < count; i++) {
		struct server_state *s;

		if (cand[i].excluded)
			continue;
		s = states[i] = server_get(t, cand[i].addr, false);
		/* Not even a last resort: the probe will tell. */
		if ((probing[i] = dead_resting(s, now_ms)))
			continue;
		scores[i] = server_score(s);
		backed_off[i] = backed_off_locked(t, s, cand[i].addr, zone,
		    zone_len, now_ms);
		if (!backed_off[i])
			avoid_backed_off = true;
	}
	for (size_t i = 0; i < count; i++) {
		if (cand[i].excluded || probing[i]) {
			scores[i] = UINT32_MAX;
			continue;
		}
		if (avoid_backed_off && backed_off[i])
			scores[i] = UINT32_MAX;
		if (scores[i] < best)
			best = scores[i];
	}
	/* Reservoir sampling over the band: a uniform pick in one pass. */
	for (size_t i = 0; i < count && best != UINT32_MAX; i++) {
		if (cand[i].excluded || scores[i] == UINT32_MAX ||
		    scores[i] > best + RTT_BAND_MS)
			continue;
		if (arc4random_uniform(++in_band) == 0)
			pick = (int)i;
	}
	pthread_mutex_unlock(&t->lock);
	return pick;
}

void
server_report_sent(struct server_table *t, const struct sockaddr *addr,
    uint32_t timeout_ms, uint64_t now_ms)
{
	struct server_state *s;

	pthread_mutex_lock(&t->lock);
	s = server_get(t, addr, false);
	/*
	 * A query to a dead server is its probe: until it is answered or
	 * times out, other requests do not wait on that server. A request
	 * that ends first (its deadline, a jostle) never tells: the slot
	 * frees itself when the probe's timeout has passed.
	 */
	if (is_dead(s))
		s->probe_until_ms = now_ms + timeout_ms;
	pthread_mutex_unlock(&t->lock);
}

/*
 * Called locked: a query's timeout, a multiple of the RTT, bounded. A dead
 * server's probe waits as long as the server took when it last answered
 * (the initial timeout when it never did), not the cap its timeouts grew to.
 */
static uint32_t
timeout_of(const struct server_state *s)
{
	uint32_t timeout = LIMIT_QUERY_TIMEOUT_INITIAL_MS;
	uint32_t srtt = s == NULL ? 0 : is_dead(s) ? s->alive_srtt_ms :
	    s->srtt_ms;

	if (srtt != 0) {
		timeout = srtt * 3 + 50;
		if (timeout < LIMIT_QUERY_TIMEOUT_MIN_MS)
			timeout = LIMIT_QUERY_TIMEOUT_MIN_MS;
		if (timeout > LIMIT_QUERY_TIMEOUT_MAX_MS)
			timeout = LIMIT_QUERY_TIMEOUT_MAX_MS;
	}
	return timeout;
}

uint32_t
server_timeout_ms(struct server_table *t, const struct sockaddr *addr)
{
	uint32_t timeout;

	pthread_mutex_lock(&t->lock);
	timeout = timeout_of(server_get(t, addr, false));
	pthread_mutex_unlock(&t->lock);
	return timeout;
}

bool
server_backed_off(struct server_table *t, const struct sockaddr *addr,
    const uint8_t *zone, size_t zone_len, uint64_t now_ms)
{
	bool backed_off;

	pthread_mutex_lock(&t->lock);
	backed_off = backed_off_locked(t, server_get(t, addr, false), addr,
	    zone, zone_len, now_ms);
	pthread_mutex_unlock(&t->lock);
	return backed_off;
}

void
server_report_rtt(struct server_table *t, const struct sockaddr *addr,
    uint32_t rtt_ms)
{
	struct server_state *s;

	if (rtt_ms == 0)
		rtt_ms = 1;
	pthread_mutex_lock(&t->lock);
	if ((s = server_get(t, addr, true)) != NULL) {
		/* RFC 6298-style smoothing, weight 1/4 on the new sample. */
		s->srtt_ms = s->srtt_ms == 0 || s->failures != 0 ? rtt_ms :
		    (s->srtt_ms * 3 + rtt_ms) / 4;
		s->alive_srtt_ms = s->srtt_ms;
		s->failures = 0;
		s->backoff_until_ms = 0;
		s->rounds = 0;
		s->probe_until_ms = 0;
	}
	pthread_mutex_unlock(&t->lock);
}

void
server_report_failure(struct server_table *t, const struct sockaddr *addr,
    bool timeout, uint64_t now_ms)
{
	struct server_state *s;

	pthread_mutex_lock(&t->lock);
	if ((s = server_get(t, addr, true)) != NULL) {
		/* A new round once a query sent after the last has timed out. */
		if (s->rounds == 0 || now_ms >= s->round_ms + timeout_of(s)) {
			if (s->rounds < 16)
				s->rounds++;
			s->round_ms = now_ms;
		}
		if (s->failures < 16)
			s->failures++;
		/* Never longer than the cap: servers come back. */
		s->backoff_until_ms = now_ms + backoff_ms(s->failures);
		/* A dead server's next probe: LIMIT_SERVER_PROBE_INTERVAL_MS on. */
		s->failed_ms = now_ms;
		s->probe_until_ms = 0;
		if (timeout) {
			uint32_t rtt = s->srtt_ms == 0 ?
			    LIMIT_QUERY_TIMEOUT_INITIAL_MS : s->srtt_ms * 2;

			s->srtt_ms = rtt > LIMIT_QUERY_TIMEOUT_MAX_MS ?
			    LIMIT_QUERY_TIMEOUT_MAX_MS : rtt;
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void
server_report_lame(struct server_table *t, const struct sockaddr *addr,
    const uint8_t *zone, size_t zone_len, uint64_t now_ms)
{
	struct lame_state *l;

	pthread_mutex_lock(&t->lock);
	if ((l = lame_get(t, addr, zone, zone_len, true)) != NULL) {
		if (l->failures < 16)
			l->failures++;
		l->backoff_until_ms = now_ms + backoff_ms(l->failures);
	}
	pthread_mutex_unlock(&t->lock);
}

unsigned
server_quirks(struct server_table *t, const struct sockaddr *addr,
    uint64_t now_ms)
{
	struct server_state *s;
	unsigned quirks = 0;

	pthread_mutex_lock(&t->lock);
	s = server_get(t, addr, false);
	if (s != NULL && s->quirks_until_ms > now_ms)
		quirks = s->quirks;
	pthread_mutex_unlock(&t->lock);
	return quirks;
}

void
server_set_quirk(struct server_table *t, const struct sockaddr *addr,
    enum server_quirk quirk, uint64_t now_ms)
{
	struct server_state *s;

	pthread_mutex_lock(&t->lock);
	if ((s = server_get(t, addr, true)) != NULL) {
		if (s->quirks_until_ms <= now_ms)
			s->quirks = 0;
		s->quirks |= quirk;
		s->quirks_until_ms = now_ms + QUIRK_TTL_MS;
	}
	pthread_mutex_unlock(&t->lock);
}

bool
server_report_case(struct server_table *t, const struct sockaddr *addr,
    bool echoed, uint64_t now_ms)
{
	struct server_state *s;
	bool caseless = false;

	pthread_mutex_lock(&t->lock);
	if ((s = server_get(t, addr, !echoed)) != NULL) {
		if (echoed)
			s->case_mismatches = 0;
		else if (++s->case_mismatches >= LIMIT_0X20_MISMATCHES) {
			s->case_mismatches = 0;
			if (s->quirks_until_ms <= now_ms)
				s->quirks = 0;
			s->quirks |= SERVER_NO_0X20;
			s->quirks_until_ms = now_ms + QUIRK_TTL_MS;
			caseless = true;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return caseless;
}

uint32_t
server_srtt_ms(struct server_table *t, const struct sockaddr *addr)
{
	struct server_state *s;
	uint32_t srtt;

	pthread_mutex_lock(&t->lock);
	s = server_get(t, addr, false);
	srtt = s != NULL ? s->srtt_ms : 0;
	pthread_mutex_unlock(&t->lock);
	return srtt;
}
