/*
 * drive.h: runs engine requests on a libuv loop. It performs the sends an
 * engine request asks for (upstream.c: a fresh random-port UDP socket or a
 * TCP connection per query), arms the timers, and feeds replies, timeouts
 * and errors back until the request is done. The daemon and the `descend`
 * CLI both resolve through it; nothing else outside resolver/net/ touches
 * libuv on the engine's behalf.
 */
#ifndef DESCEND_DRIVE_H
#define DESCEND_DRIVE_H

#include <sys/socket.h>
#include <uv.h>

#include "engine.h"

struct drive;

struct drive_config {
	/* Source addresses for upstream queries; unset family: any. */
	struct sockaddr_storage outgoing_v4;
	struct sockaddr_storage outgoing_v6;
	/*
	 * Told of every upstream query sent and every reply the engine
	 * accepted (dnstap); NULL: nobody listens. Runs on the loop's thread.
	 */
	void (*on_message)(void *ctx, bool response,
	    const struct sockaddr *server, bool over_tcp, const uint8_t *wire,
	    size_t len);
	void *message_ctx;
};

/* Called once when the request is done (or cancelled). */
typedef void (*drive_done_cb)(struct engine_request *request, void *arg);

/*
 * Creates a driver on `loop` for requests of `engine`. The caller keeps
 * ownership of loop and engine; both must outlive the driver. Returns NULL
 * and a reason in err on failure.
 */
struct drive *drive_new(uv_loop_t *loop, struct engine *engine,
    const struct drive_config *config, char *err, size_t errlen);

/*
 * Closes the driver's handles. Requests still running are cancelled (their
 * done callbacks run with an unfinished request, which the callback frees).
 * The loop must run afterwards for the close callbacks; drive_free() is
 * safe to call once, then the memory goes when the last handle is closed.
 */
void drive_free(struct drive *drive);

/* New source addresses (outgoing-interface) for the queries sent from now on. */
void drive_set_outgoing(struct drive *drive, const struct sockaddr_storage *v4,
    const struct sockaddr_storage *v6);

/* The engine's notion of now, from time() and uv_now(). */
struct engine_now drive_now(struct drive *drive);

/*
 * Starts driving `request` (made by engine_request_new* with drive_now()).
 * The driver does not own the request: `done` gets it back, and the caller
 * frees it with engine_request_free() there or later. Returns 0, or -1 when
 * memory runs out (done is not called then).
 */
int drive_request_start(struct drive *drive, struct engine_request *request,
    drive_done_cb done, void *arg);

/*
 * Like drive_request_start(), and `answered` is called when the client's
 * answer is ready before the request is done (ENGINE_ANSWER: serve-stale's
 * stale answer at the client timer). The request then goes on, with
 * nobody waiting, to refresh the cache, and `done` is called when it
 * ends. drive_request_start() ignores such an early answer.
 */
int drive_request_start_answering(struct drive *drive,
    struct engine_request *request, drive_done_cb answered,
    drive_done_cb done, void *arg);

/* Stops a running request early; `done` is called before this returns. */
void drive_request_cancel(struct drive *drive, struct engine_request *request);

#endif /* DESCEND_DRIVE_H */
