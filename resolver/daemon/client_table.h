/*
 * client_table.h: queries in flight per client address, so that one
 * client (or one spoofed source) cannot fill a worker's request list.
 */
#ifndef DESCEND_CLIENT_TABLE_H
#define DESCEND_CLIENT_TABLE_H

#include <stdbool.h>
#include <sys/socket.h>

struct client_table;

struct client_table *client_table_new(void);
void client_table_free(struct client_table *table);

/*
 * Counts one more query in flight for the address (its port ignored);
 * false, counting nothing, when the address already has `max`.
 */
bool client_table_acquire(struct client_table *table,
    const struct sockaddr *addr, unsigned max);
/* The query counted by a successful acquire has finished. */
void client_table_release(struct client_table *table,
    const struct sockaddr *addr);

#endif /* DESCEND_CLIENT_TABLE_H */
