/*
 * config.h: descendd's configuration: the `key: value` file (in the spirit
 * of unbound.conf) read with line-numbered errors, and its defaults.
 */
#ifndef DESCEND_CONFIG_H
#define DESCEND_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "acl.h"
#include "engine.h"
#include "engine_limits.h"
#include "local_zones.h"

struct config_listen {
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* A forward-zone or stub-zone line (Unbound's), as the engine gets it. */
struct config_zone {
	enum engine_zone_kind kind;
	char *name;
	bool forward_first;		/* the forward-first line after it */
	struct sockaddr_storage addrs[LIMIT_NS_PER_DELEGATION];
	size_t addr_count;
};

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

struct daemon_config {
	struct engine_config engine;	/* root_hints_file points at root_hints */
	char *root_hints;
	struct config_listen *listens;	/* default 127.0.0.1@53, ::1@53 */
	size_t listen_count;
	struct acl *acl;		/* defaults first, user lines win */
	struct sockaddr_storage outgoing_v4, outgoing_v6;
	unsigned threads;		/* default: online CPUs */
	char *control_socket;
	char *pidfile;
	enum log_level log_level;
	bool log_queries;
	unsigned max_udp_size;		/* UDP replies above it: TC */
	/* Open TCP connections per client address and worker. */
	unsigned tcp_connections_per_address;
	/* RFC 7766 idle timeout of client TCP connections, in ms. */
	unsigned tcp_idle_timeout_ms;
	/* Replies queued and no write progress this long: closed (ms). */
	unsigned tcp_stall_timeout_ms;
	/* SO_SNDBUF of client TCP connections; 0: the kernel's autotuning. */
	unsigned tcp_send_buffer;
	struct local_zones *local_zones; /* local-zone, local-data, built-ins */
	struct config_zone *zones;	/* forward-zone and stub-zone lines */
	struct engine_zone *engine_zones; /* engine.zones: views of `zones` */
	size_t zone_count;
	char *username;			/* "" keeps root; default "descend" */
	char *chroot_dir;		/* NULL: no chroot */
	struct sockaddr_storage metrics_listen;	/* ss_family 0: off */
	socklen_t metrics_listen_len;
	struct engine_netblock *private_addresses; /* engine.private_addresses */
	size_t private_address_count;
	char **private_domains;		/* engine.private_domains */
	size_t private_domain_count;
	char *dnstap_file;		/* dnstap to a Frame Streams file, or */
	char *dnstap_socket_path;	/* to a unix socket (fstrm_capture) */
	char *dnstap_identity;		/* NULL: the host name */
	bool dnstap_log_client_queries, dnstap_log_client_responses;
	bool dnstap_log_resolver_queries, dnstap_log_resolver_responses;
	/* DNSSEC: engine.trust_anchor_files etc. point at these. */
	char **trust_anchor_files;	/* default: Debian's root.key */
	size_t trust_anchor_file_count;
	char **trust_anchors;		/* inline DS/DNSKEY records */
	size_t trust_anchor_count;
	char **domain_insecure;		/* negative trust anchors */
	char *auto_trust_anchor_file;	/* RFC 5011, NULL: none */
	size_t domain_insecure_count;
};

/* Defaults. Returns false when memory runs out. */
bool config_init(struct daemon_config *config);
void config_free(struct daemon_config *config);

/*
 * Reads `path` and its includes into `config` (initialised). Every problem
 * is written to `errors` as "FILE:LINE: message" ("FILE: message" for an
 * unreadable top file and for cache-min-ttl above cache-max-ttl, checked
 * after all lines); returns the number of problems (0: the configuration
 * is good). Unknown keys, bad or missing values, unreadable includes and
 * includes nested deeper than 8 (a loop) are errors, never ignored. With
 * problems, `config` is partly filled: config_free() it. Without a listen
 * line, listens are 127.0.0.1@53 and ::1@53.
 */
unsigned config_load(struct daemon_config *config, const char *path,
    FILE *errors);

/*
 * Swaps what the engine configurations point into (forward and stub
 * zones, private addresses and domains) between two configurations: a
 * reload takes the new ones, the old ones are freed with the other. Each
 * engine configuration then points at its own.
 */
void config_swap_engine_data(struct daemon_config *a, struct daemon_config *b);

/*
 * The effective configuration, one `key: value` per line, strings quoted;
 * the built-in access rules and hints as comments, so it reads back.
 */
void config_print(const struct daemon_config *config, FILE *out);

#endif /* DESCEND_CONFIG_H */
