/*
 * dnstap.c: dnstap messages built with protobuf-c (from dnstap.proto at
 * build time) and written by libfstrm's I/O thread. Each worker thread has
 * its own single-producer queue, so workers never lock against each other
 * and a slow reader costs dropped log messages, never a stalled worker.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dnstap.h"

#ifdef HAVE_DNSTAP

#include <fstrm.h>

#include "dnstap.pb-c.h"

/* The content type a dnstap reader expects (dnstap-ldns, fstrm_capture). */
#define DNSTAP_CONTENT_TYPE	"protobuf:dnstap.Dnstap"

struct dnstap {
	struct fstrm_iothr *iothr;
	struct fstrm_iothr_queue **queues;
	unsigned queue_count;
	bool wants[4];
	char identity[256];
	char version[64];
	uint64_t dropped;
};

bool
dnstap_available(void)
{
	return true;
}

struct dnstap *
dnstap_open(const struct daemon_config *c, unsigned queues, char *err,
    size_t errlen)
{
	struct fstrm_writer_options *wopt = NULL;
	struct fstrm_file_options *fopt = NULL;
	struct fstrm_unix_writer_options *uopt = NULL;
	struct fstrm_iothr_options *iopt = NULL;
	struct fstrm_writer *writer = NULL;
	struct dnstap *t;

	if (c->dnstap_file == NULL && c->dnstap_socket_path == NULL)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->queues = calloc(queues, sizeof(*t->queues))) == NULL) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->queue_count = queues;
	t->wants[DNSTAP_CLIENT_QUERY] = c->dnstap_log_client_queries;
	t->wants[DNSTAP_CLIENT_RESPONSE] = c->dnstap_log_client_responses;
	t->wants[DNSTAP_RESOLVER_QUERY] = c->dnstap_log_resolver_queries;
	t->wants[DNSTAP_RESOLVER_RESPONSE] = c->dnstap_log_resolver_responses;
	if (c->dnstap_identity != NULL)
		strlcpy(t->identity, c->dnstap_identity, sizeof(t->identity));
	else if (gethostname(t->identity, sizeof(t->identity)) != 0)
		t->identity[0] = '\0';
	snprintf(t->version, sizeof(t->version), "descend %s", PACKAGE_VERSION);
	wopt = fstrm_writer_options_init();
	fstrm_writer_options_add_content_type(wopt, DNSTAP_CONTENT_TYPE,
	    sizeof(DNSTAP_CONTENT_TYPE) - 1);
	if (c->dnstap_file != NULL) {
		fopt = fstrm_file_options_init();
		fstrm_file_options_set_file_path(fopt, c->dnstap_file);
		writer = fstrm_file_writer_init(fopt, wopt);
	} else {
		uopt = fstrm_unix_writer_options_init();
		fstrm_unix_writer_options_set_socket_path(uopt,
		    c->dnstap_socket_path);
		writer = fstrm_unix_writer_init(uopt, wopt);
	}
	if (writer == NULL) {
		snprintf(err, errlen, "cannot open %s", c->dnstap_file != NULL ?
		    c->dnstap_file : c->dnstap_socket_path);
		goto fail;
	}
	iopt = fstrm_iothr_options_init();
	fstrm_iothr_options_set_num_input_queues(iopt, queues);
	fstrm_iothr_options_set_queue_model(iopt, FSTRM_IOTHR_QUEUE_MODEL_SPSC);
	if ((t->iothr = fstrm_iothr_init(iopt, &writer)) == NULL) {
		snprintf(err, errlen, "cannot start the dnstap writer for %s",
		    c->dnstap_file != NULL ? c->dnstap_file :
		    c->dnstap_socket_path);
		goto fail;
	}
	for (unsigned i = 0; i < queues; i++)
		t->queues[i] = fstrm_iothr_get_input_queue_idx(t->iothr, i);
	fstrm_iothr_options_destroy(&iopt);
	fstrm_writer_options_destroy(&wopt);
	if (fopt != NULL)
		fstrm_file_options_destroy(&fopt);
	if (uopt != NULL)
		fstrm_unix_writer_options_destroy(&uopt);
	return t;
fail:
	if (writer != NULL)
		fstrm_writer_destroy(&writer);
	if (iopt != NULL)
		fstrm_iothr_options_destroy(&iopt);
	fstrm_writer_options_destroy(&wopt);
	if (fopt != NULL)
		fstrm_file_options_destroy(&fopt);
	if (uopt != NULL)
		fstrm_unix_writer_options_destroy(&uopt);
	free(t->queues);
	free(t);
	return NULL;
}

void
dnstap_close(struct dnstap *t)
{
	if (t == NULL)
		return;
	fstrm_iothr_destroy(&t->iothr);		/* flushes, joins the thread */
	free(t->queues);
	free(t);
}

bool
dnstap_wants(const struct dnstap *t, enum dnstap_kind kind)
{
	return t != NULL && t->wants[kind];
}

uint64_t
dnstap_dropped(const struct dnstap *t)
{
	return t == NULL ? 0 : __atomic_load_n(&t->dropped, __ATOMIC_RELAXED);
}

void
dnstap_log(struct dnstap *t, unsigned queue, enum dnstap_kind kind,
    const struct sockaddr *peer, bool over_tcp, const uint8_t *wire,
    size_t len)
{
	static const Dnstap__Message__Type types[] = {
		[DNSTAP_CLIENT_QUERY] = DNSTAP__MESSAGE__TYPE__CLIENT_QUERY,
		[DNSTAP_CLIENT_RESPONSE] = DNSTAP__MESSAGE__TYPE__CLIENT_RESPONSE,
		[DNSTAP_RESOLVER_QUERY] = DNSTAP__MESSAGE__TYPE__RESOLVER_QUERY,
		[DNSTAP_RESOLVER_RESPONSE] =
		    DNSTAP__MESSAGE__TYPE__RESOLVER_RESPONSE,
	};
	Dnstap__Dnstap frame = DNSTAP__DNSTAP__INIT;
	Dnstap__Message msg = DNSTAP__MESSAGE__INIT;
	bool is_query = kind == DNSTAP_CLIENT_QUERY ||
	    kind == DNSTAP_RESOLVER_QUERY;
	bool client = kind == DNSTAP_CLIENT_QUERY ||
	    kind == DNSTAP_CLIENT_RESPONSE;
	ProtobufCBinaryData addr = { 0 };
	uint32_t port = 0;
	struct timespec ts;
	uint8_t *buf;
	size_t size;

	if (!dnstap_wants(t, kind) || queue >= t->queue_count)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	frame.type = DNSTAP__DNSTAP__TYPE__MESSAGE;
	frame.message = &msg;
	frame.identity.data = (uint8_t *)t->identity;
	frame.identity.len = strlen(t->identity);
	frame.has_identity = frame.identity.len > 0;
	frame.version.data = (uint8_t *)t->version;
	frame.version.len = strlen(t->version);
	frame.has_version = true;
	msg.type = types[kind];
	msg.has_socket_protocol = true;
	msg.socket_protocol = over_tcp ? DNSTAP__SOCKET_PROTOCOL__TCP :
	    DNSTAP__SOCKET_PROTOCOL__UDP;
	if (peer != NULL && peer->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)peer;

		addr.data = (uint8_t *)&in->sin_addr;
		addr.len = 4;
		port = ntohs(in->sin_port);
		msg.has_socket_family = true;
		msg.socket_family = DNSTAP__SOCKET_FAMILY__INET;
	} else if (peer != NULL && peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)peer;

		addr.data = (uint8_t *)&in6->sin6_addr;
		addr.len = 16;
		port = ntohs(in6->sin6_port);
		msg.has_socket_family = true;
		msg.socket_family = DNSTAP__SOCKET_FAMILY__INET6;
	}
	/* The client initiated its exchange; we initiated ours upstream. */
	if (addr.len > 0 && client) {
		msg.query_address = addr;
		msg.has_query_address = true;
		msg.query_port = port;
		msg.has_query_port = true;
	} else if (addr.len > 0) {
		msg.response_address = addr;
		msg.has_response_address = true;
		msg.response_port = port;
		msg.has_response_port = true;
	}
	if (is_query) {
		msg.query_message.data = (uint8_t *)(uintptr_t)wire;
		msg.query_message.len = len;
		msg.has_query_message = true;
		msg.query_time_sec = (uint64_t)ts.tv_sec;
		msg.has_query_time_sec = true;
		msg.query_time_nsec = (uint32_t)ts.tv_nsec;
		msg.has_query_time_nsec = true;
	} else {
		msg.response_message.data = (uint8_t *)(uintptr_t)wire;
		msg.response_message.len = len;
		msg.has_response_message = true;
		msg.response_time_sec = (uint64_t)ts.tv_sec;
		msg.has_response_time_sec = true;
		msg.response_time_nsec = (uint32_t)ts.tv_nsec;
		msg.has_response_time_nsec = true;
	}
	size = dnstap__dnstap__get_packed_size(&frame);
	if ((buf = malloc(size)) == NULL) {
		__atomic_fetch_add(&t->dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	dnstap__dnstap__pack(&frame, buf);
	/* The I/O thread frees the frame once written; a full queue drops it. */
	if (fstrm_iothr_submit(t->iothr, t->queues[queue], buf, size,
	    fstrm_free_wrapper, NULL) != fstrm_res_success) {
		free(buf);
		__atomic_fetch_add(&t->dropped, 1, __ATOMIC_RELAXED);
	}
}

#else /* !HAVE_DNSTAP */

/* Built without libfstrm/protobuf-c: the configuration check says so. */

bool
dnstap_available(void)
{
	return false;
}

struct dnstap *
dnstap_open(const struct daemon_config *c, unsigned queues, char *err,
    size_t errlen)
{
	(void)queues;
	if (c->dnstap_file == NULL && c->dnstap_socket_path == NULL)
		return NULL;
	snprintf(err, errlen, "descendd was built without dnstap (install "
	    "libfstrm-dev, libprotobuf-c-dev and protobuf-c-compiler and "
	    "rebuild)");
	return NULL;
}

void
dnstap_close(struct dnstap *t)
{
	(void)t;
}

bool
dnstap_wants(const struct dnstap *t, enum dnstap_kind kind)
{
	(void)t;
	(void)kind;
	return false;
}

void
dnstap_log(struct dnstap *t, unsigned queue, enum dnstap_kind kind,
    const struct sockaddr *peer, bool over_tcp, const uint8_t *wire,
    size_t len)
{
	(void)t; (void)queue; (void)kind; (void)peer; (void)over_tcp;
	(void)wire; (void)len;
}

uint64_t
dnstap_dropped(const struct dnstap *t)
{
	(void)t;
	return 0;
}

#endif /* HAVE_DNSTAP */
