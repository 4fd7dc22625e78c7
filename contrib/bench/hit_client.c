/*
 * hit_client.c: a load generator whose batches are the same on every run,
 * for counting a server's instructions per cache hit (hit-instructions.sh):
 * it sends BURST queries with one sendmmsg, then waits for all BURST
 * replies before the next burst, so the server reads the same batches
 * whatever its speed (dnsperf keeps queries outstanding, and how many
 * arrive per read then depends on timing).
 * Usage: hit_client ADDR PORT QUERIES BURST NAMES [do]
 * asks nI.wild.example.com A for I = 0..NAMES-1 in turn (bench.py's
 * write_names), RD set, with an OPT record and DO when "do" is given
 * (as dnsperf -D), none otherwise (as plain dnsperf). Exits 1 unless every
 * query got a NOERROR reply with an answer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define BURST_MAX	256
#define QUERY_MAX	128
#define REPLY_MAX	4096
#define WAIT_MS		30000	/* a server under valgrind is slow */

/* The query for name `i`, ID `id`; returns its length. */
static size_t
build_query(uint8_t *q, unsigned i, uint16_t id, int dnssec_ok)
{
	char label[16];
	size_t len = 12;
	int n = snprintf(label, sizeof(label), "n%u", i);
	static const uint8_t rest[] = "\004wild\007example\003com";

	memset(q, 0, 12);
	q[0] = (uint8_t)(id >> 8);
	q[1] = (uint8_t)id;
	q[2] = 0x01;			/* RD */
	q[5] = 1;			/* QDCOUNT */
	q[11] = dnssec_ok ? 1 : 0;	/* ARCOUNT */
	q[len++] = (uint8_t)n;
	memcpy(q + len, label, (size_t)n);
	len += (size_t)n;
	memcpy(q + len, rest, sizeof(rest));	/* with the root's 0 */
	len += sizeof(rest);
	q[len++] = 0;
	q[len++] = 1;			/* A */
	q[len++] = 0;
	q[len++] = 1;			/* IN */
	if (dnssec_ok) {
		static const uint8_t opt[] = { 0, 0, 41, 0x10, 0, 0, 0, 0x80,
		    0, 0, 0 };		/* 4096 bytes, DO */

		memcpy(q + len, opt, sizeof(opt));
		len += sizeof(opt);
	}
	return len;
}

int
main(int argc, char **argv)
{
	static uint8_t queries[BURST_MAX][QUERY_MAX];
	static uint8_t replies[BURST_MAX][REPLY_MAX];
	struct mmsghdr tx[BURST_MAX], rx[BURST_MAX];
	struct iovec tx_iov[BURST_MAX], rx_iov[BURST_MAX];
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long total, burst, names, done = 0, bad = 0, next = 0;
	uint16_t id = 0;
	int fd, dnssec_ok;

	if (argc < 6 || argc > 7 || inet_pton(AF_INET, argv[1],
	    &to.sin_addr) != 1) {
		fprintf(stderr, "usage: hit_client ADDR PORT QUERIES BURST "
		    "NAMES [do]\n");
		return 2;
	}
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	total = strtoul(argv[3], NULL, 10);
	burst = strtoul(argv[4], NULL, 10);
	names = strtoul(argv[5], NULL, 10);
	dnssec_ok = argc == 7 && strcmp(argv[6], "do") == 0;
	if (burst == 0 || burst > BURST_MAX || names == 0) {
		fprintf(stderr, "hit_client: BURST 1..%d, NAMES > 0\n",
		    BURST_MAX);
		return 2;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("hit_client: socket");
		return 2;
	}
	while (done < total) {
		unsigned long n = total - done < burst ? total - done : burst;
		unsigned long got = 0;

		for (unsigned long i = 0; i < n; i++) {
			tx_iov[i].iov_base = queries[i];
			tx_iov[i].iov_len = build_query(queries[i],
			    (unsigned)(next++ % names), ++id, dnssec_ok);
			memset(&tx[i], 0, sizeof(tx[i]));
			tx[i].msg_hdr.msg_iov = &tx_iov[i];
			tx[i].msg_hdr.msg_iovlen = 1;
		}
		if (sendmmsg(fd, tx, (unsigned)n, 0) != (int)n) {
			perror("hit_client: sendmmsg");
			return 2;
		}
		while (got < n) {
			struct pollfd p = { fd, POLLIN, 0 };
			int r;

			if (poll(&p, 1, WAIT_MS) != 1) {
				fprintf(stderr, "hit_client: %lu of %lu "
				    "replies of a burst came\n", got, n);
				return 1;
			}
			for (unsigned long i = 0; i < n - got; i++) {
				rx_iov[i].iov_base = replies[i];
				rx_iov[i].iov_len = REPLY_MAX;
				memset(&rx[i], 0, sizeof(rx[i]));
				rx[i].msg_hdr.msg_iov = &rx_iov[i];
				rx[i].msg_hdr.msg_iovlen = 1;
			}
			if ((r = recvmmsg(fd, rx, (unsigned)(n - got),
			    MSG_DONTWAIT, NULL)) <= 0)
				continue;
			for (int i = 0; i < r; i++) {
				const uint8_t *a = replies[i];

				/* This burst's ID, QR, NOERROR, an answer. */
				if (rx[i].msg_len < 12 ||
				    (uint16_t)(id - (a[0] << 8 | a[1])) >= n ||
				    (a[2] & 0x80) == 0 ||
				    (a[3] & 0x0f) != 0 || (a[6] | a[7]) == 0)
					bad++;
			}
			got += (unsigned long)r;
		}
		done += n;
	}
	printf("%lu queries in bursts of %lu, %lu bad replies\n", done, burst,
	    bad);
	return bad == 0 ? 0 : 1;
}
