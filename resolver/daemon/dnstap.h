/*
 * dnstap.h: query logging in the dnstap format (https://dnstap.info), as
 * Unbound and Knot write it: client queries and responses and upstream
 * queries and responses, as protobuf frames in a Frame Streams file or on
 * a unix socket (libfstrm, protobuf-c). Off unless configured.
 */
#ifndef DESCEND_DNSTAP_H
#define DESCEND_DNSTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"

struct dnstap;

/* The kinds of message, as the dnstap schema names them. */
enum dnstap_kind {
	DNSTAP_CLIENT_QUERY,
	DNSTAP_CLIENT_RESPONSE,
	DNSTAP_RESOLVER_QUERY,
	DNSTAP_RESOLVER_RESPONSE,
};

/* Whether this build writes dnstap (libfstrm and protobuf-c were found). */
bool dnstap_available(void);

/*
 * Starts the writer of `config` (dnstap-file or dnstap-socket-path) with
 * one input queue per worker thread; NULL and no error when dnstap is not
 * configured; NULL and a reason in err when it cannot start. Frame
 * Streams' I/O thread opens the output (and reopens a socket whose reader
 * went away), so the file or socket must be writable by the user descendd
 * runs as.
 */
struct dnstap *dnstap_open(const struct daemon_config *config,
    unsigned queues, char *err, size_t errlen);

/* Flushes what is queued and stops the writer. */
void dnstap_close(struct dnstap *dnstap);

/* Whether messages of `kind` are logged (the dnstap-log-* keys). */
bool dnstap_wants(const struct dnstap *dnstap, enum dnstap_kind kind);

/*
 * Logs one message from worker `queue` (only that worker's thread may use
 * its queue). `peer` is the client (client messages) or the server asked
 * (resolver messages). Never blocks: when the queue is full the message
 * is dropped and counted.
 */
void dnstap_log(struct dnstap *dnstap, unsigned queue, enum dnstap_kind kind,
    const struct sockaddr *peer, bool over_tcp, const uint8_t *wire,
    size_t len);

/* Messages dropped because a queue was full (the reader is too slow). */
uint64_t dnstap_dropped(const struct dnstap *dnstap);

#endif /* DESCEND_DNSTAP_H */
