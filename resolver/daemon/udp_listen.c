/*
 * udp_listen.c: the client UDP sockets: datagrams in, replies out, the
 * replies to one batch of datagrams leaving together in one sendmmsg.
 */
#include <string.h>

#include "worker.h"

/* Sends the queued replies with one sendmmsg; drops what the kernel refuses. */
static void
udp_batch_flush(struct worker *w)
{
	struct mmsghdr msgs[UDP_SEND_BATCH];
	struct iovec iov[UDP_SEND_BATCH];
	uv_os_fd_t fd;
	unsigned sent = 0;

	if (w->batch_count == 0 ||
	    uv_fileno((uv_handle_t *)w->batch_udp, &fd) != 0) {
		w->batch_count = 0;
		return;
	}
	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < w->batch_count; i++) {
		iov[i].iov_base = w->batch_data[i];
		iov[i].iov_len = w->batch_len[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &w->batch_addr[i];
		msgs[i].msg_hdr.msg_namelen = w->batch_addr[i].ss_family ==
		    AF_INET6 ? sizeof(struct sockaddr_in6) :
		    sizeof(struct sockaddr_in);
	}
	while (sent < w->batch_count) {
		int n = sendmmsg(fd, msgs + sent, w->batch_count - sent, 0);

		if (n <= 0)
			break;
		sent += (unsigned)n;
	}
	w->batch_count = 0;
}

/* A UDP reply: queued while a batch is read, else sent at once. */
void
udp_send(struct worker *w, const struct client *client, const uint8_t *data,
    size_t len)
{
	uv_buf_t buf = uv_buf_init((char *)(uintptr_t)data, (unsigned)len);

	if (w->batching && client->udp == w->batch_udp &&
	    len <= UDP_BATCH_REPLY_MAX) {
		if (w->batch_count == UDP_SEND_BATCH)
			udp_batch_flush(w);
		w->batch_addr[w->batch_count] = client->addr;
		w->batch_len[w->batch_count] = len;
		memcpy(w->batch_data[w->batch_count++], data, len);
		return;
	}
	/* A full socket buffer drops the reply; the client retries. */
	(void)uv_udp_try_send(client->udp, &buf, 1,
	    (const struct sockaddr *)&client->addr);
}

static void
on_udp_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
	struct worker *w = handle->data;

	(void)suggested;
	*buf = uv_buf_init((char *)w->udp_buffer, sizeof(w->udp_buffer));
}

static void
on_udp_recv(uv_udp_t *udp, ssize_t nread, const uv_buf_t *buf,
    const struct sockaddr *from, unsigned flags)
{
	struct worker *w = udp->data;
	struct client client;

	if (flags & UV_UDP_MMSG_FREE) {
		/* The batch's last callback: its replies go out together. */
		udp_batch_flush(w);
		w->batching = false;
		return;
	}
	if (nread <= 0 || from == NULL)
		return;
	if (w->batching && w->batch_udp != udp)
		udp_batch_flush(w);
	w->batching = (flags & UV_UDP_MMSG_CHUNK) != 0;
	w->batch_udp = udp;
	client.udp = udp;
	client.tcp = NULL;
	memcpy(&client.addr, from, from->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	DAEMON_COUNT(w->daemon, queries_udp);
	worker_handle_query(w, &client, (const uint8_t *)buf->base, (size_t)nread);
}

bool
udp_listen_start(struct worker *w, uv_udp_t *udp, int fd)
{
	uv_udp_init_ex(&w->loop, udp, AF_UNSPEC | UV_UDP_RECVMMSG);
	udp->data = w;
	w->udp_count++;
	return uv_udp_open(udp, fd) == 0 &&
	    uv_udp_recv_start(udp, on_udp_alloc, on_udp_recv) == 0;
}
