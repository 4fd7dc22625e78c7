/*
 * private_addr.h: the DNS rebinding defence (Unbound's private-address and
 * private-domain): A and AAAA records of upstream replies that point into
 * the operator's private address blocks are removed, unless their owner
 * lies at or below a private domain, so a public name cannot lead a
 * browser to an address inside the network.
 */
#ifndef DESCEND_PRIVATE_ADDR_H
#define DESCEND_PRIVATE_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "reply.h"

struct private_table;

/*
 * Copies the blocks and domains of `config`. Returns NULL with a reason in
 * err for a bad block or domain or no memory; an empty table otherwise.
 */
struct private_table *private_table_new(const struct engine_config *config,
    char *err, size_t errlen);
void private_table_free(struct private_table *table);

/*
 * Removes the private addresses of public names from the view's answer
 * and glue, telling `ctx->dropped` of each. Returns the records removed.
 */
size_t private_scrub(const struct private_table *table,
    const struct reply_context *ctx, struct reply_view *view);

#endif /* DESCEND_PRIVATE_ADDR_H */
