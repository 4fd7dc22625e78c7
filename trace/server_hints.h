/*
 * server_hints.h: `descend trace @SERVER`: root hints learnt from a server.
 */
#ifndef DESCEND_SERVER_HINTS_H
#define DESCEND_SERVER_HINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "cli.h"

/* Parses an IPv4 or IPv6 address into `addr`, port 53. */
bool server_address_parse(const char *text, struct sockaddr_storage *addr);

/*
 * Asks `server` for the root NS set and its addresses; returns them as
 * root hints for the caller to free. NULL, with a one-line error naming
 * the server by `label`, if the server does not answer or names no root
 * server with an address.
 */
ldns_rr_list *server_hints_collect(const char *prog, const char *label,
    const struct sockaddr *server, const struct cli_options *options);

#endif /* DESCEND_SERVER_HINTS_H */
