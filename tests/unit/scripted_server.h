/*
 * scripted_server.h: what the engine tests' scripted authorities share (no
 * sockets, an injected clock): the root hints file, the address a query
 * goes to, a reply's header, the delegation on the way to a name, the loop
 * that feeds a request its replies, and the cache as text.
 */
#ifndef DESCEND_TEST_SCRIPTED_SERVER_H
#define DESCEND_TEST_SCRIPTED_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <ldns/ldns.h>

#include "engine.h"

/*
 * The root hints (a.root.test. at 192.0.2.1) in a file of this process's
 * own, written on the first call: make check runs the engine tests side by
 * side, and developers share /tmp. scripted_hints_remove() deletes it.
 */
const char *scripted_hints_file(void);
void scripted_hints_remove(void);

/* engine_config_init() with the scripted root hints and 0x20 as asked. */
void scripted_config_init(struct engine_config *cfg, bool use_0x20);

/* The IPv4 address a query is sent to, as text. */
void scripted_addr(const struct sockaddr_storage *ss, char *buf, size_t len);

/* A reply to `query` with its ID, QR and question; the caller adds the rest. */
ldns_pkt *scripted_reply_new(const ldns_pkt *query);

/*
 * The owner of an NS set in `rrs` below `apex` on the way to `qname` (the
 * last such in `rrs`), or NULL: a referral is due. A DS question at a cut
 * is the parent's to answer, so it does not stop there.
 */
const ldns_rdf *scripted_cut(const ldns_rr_list *rrs, const ldns_rdf *apex,
    const ldns_rdf *qname, ldns_rr_type qtype);

/*
 * A scripted server's answer to one query (NULL when the query did not
 * parse): its reply, which scripted_run() frees, or NULL to stay silent (a
 * timeout). It may set `*rtt_ms` (the clock moves by it; 0 is reported as
 * 1 ms) and move `*now` (a timeout that lasts wall time).
 */
typedef ldns_pkt *scripted_answer_fn(void *ctx, const struct engine_send *send,
    const ldns_pkt *query, struct engine_now *now, unsigned *rtt_ms);

/*
 * Runs `req` while it asks to send: each query costs 1 ms, goes to
 * `answer`, and its reply or timeout is fed back. Returns the queries sent.
 */
unsigned scripted_run(struct engine_request *req, struct engine_now *now,
    scripted_answer_fn *answer, void *ctx);

/* engine_cache_dump() at `now` as text (the caller frees it). */
char *scripted_cache_text(struct engine *engine, time_t now);

#endif
