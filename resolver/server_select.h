/*
 * server_select.h: what the engine knows about each upstream address:
 * smoothed RTT, failures with a bounded back-off, and the fallbacks a
 * server needed (no EDNS, no 0x20). Chooses which address to ask next.
 * Shared by all requests; thread-safe.
 */
#ifndef DESCEND_SERVER_SELECT_H
#define DESCEND_SERVER_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct server_table;

/* What a server needs; remembered for SERVER_QUIRK_TTL_MS. */
enum server_quirk {
	SERVER_NO_EDNS = 0x01,		/* FORMERR/NOTIMP to EDNS queries */
	SERVER_NO_0X20 = 0x02,		/* does not echo the question's case */
};

struct server_table *server_table_new(void);
void server_table_free(struct server_table *table);

/* A candidate address for server_choose(). */
struct server_candidate {
	const struct sockaddr *addr;
	bool excluded;			/* already tried enough this request */
};

/*
 * Picks among the candidates: the fastest band (within 400 ms of the best
 * smoothed RTT, unknown servers counted at the initial timeout) at random,
 * avoiding servers backed off (as addresses, or for `zone`) unless nothing
 * else is left. A dead server (LIMIT_SERVER_DEAD_FAILURES in a row) counts
 * as excluded while its probe is out and for LIMIT_SERVER_PROBE_INTERVAL_MS
 * after its last failure; otherwise a query to it is its probe.
 * Returns the index, or -1 when every candidate is excluded.
 */
int server_choose(struct server_table *table,
    const struct server_candidate *candidates, size_t count,
    const uint8_t *zone, size_t zone_len, uint64_t now_ms);

/*
 * A query went to `addr` with this timeout. For a dead server it is the
 * probe: the server is excluded for everyone else until it is answered,
 * fails, or its timeout passes. Told when the query is sent, not when the
 * server is chosen: a choice may be dropped (another address preferred,
 * the request out of queries), and a probe slot taken by a query never
 * sent would keep the server from everyone until the slot timed out.
 * Two workers may both choose a dead server in the moment between their
 * choice and their send: then it gets two probes, once.
 */
void server_report_sent(struct server_table *table,
    const struct sockaddr *addr, uint32_t timeout_ms, uint64_t now_ms);

/* The timeout for a query to `addr`: a multiple of its RTT, bounded. */
uint32_t server_timeout_ms(struct server_table *table,
    const struct sockaddr *addr);

/*
 * True when `addr` is backed off at `now_ms`: recent failures of the
 * address, or lameness for `zone` (lowercase wire form; NULL: any zone).
 */
bool server_backed_off(struct server_table *table,
    const struct sockaddr *addr, const uint8_t *zone, size_t zone_len,
    uint64_t now_ms);

void server_report_rtt(struct server_table *table, const struct sockaddr *addr,
    uint32_t rtt_ms);
/* A timeout, a network error or a reply that does not parse. */
void server_report_failure(struct server_table *table,
    const struct sockaddr *addr, bool timeout, uint64_t now_ms);
/*
 * A reply showing that the server does not serve `zone` (REFUSED, lame,
 * an upward referral, SERVFAIL): backs off the (address, zone) pair only.
 */
void server_report_lame(struct server_table *table,
    const struct sockaddr *addr, const uint8_t *zone, size_t zone_len,
    uint64_t now_ms);

unsigned server_quirks(struct server_table *table, const struct sockaddr *addr,
    uint64_t now_ms);
void server_set_quirk(struct server_table *table, const struct sockaddr *addr,
    enum server_quirk quirk, uint64_t now_ms);

/*
 * Whether a reply to a 0x20 query echoed its case. Returns true when the
 * server has now failed to echo it LIMIT_0X20_MISMATCHES times in a row
 * (an echo in between starts over): SERVER_NO_0X20 is set then.
 */
bool server_report_case(struct server_table *table,
    const struct sockaddr *addr, bool echoed, uint64_t now_ms);

/* Smoothed RTT in ms, 0 when unknown (for the trace and tests). */
uint32_t server_srtt_ms(struct server_table *table,
    const struct sockaddr *addr);

#endif /* DESCEND_SERVER_SELECT_H */
