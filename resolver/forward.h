/*
 * forward.h: the forward and stub zones of the configuration (Unbound's
 * forward-zone and stub-zone) and which one applies to a name: the most
 * specific zone that encloses it.
 */
#ifndef DESCEND_FORWARD_H
#define DESCEND_FORWARD_H

#include <stdbool.h>
#include <stddef.h>

#include <ldns/ldns.h>

#include "engine.h"
#include "engine_limits.h"

struct configured_zone {
	ldns_rdf *name;			/* lowercase */
	enum engine_zone_kind kind;
	bool forward_first;
	struct sockaddr_storage addrs[LIMIT_NS_PER_DELEGATION];
	socklen_t addrlens[LIMIT_NS_PER_DELEGATION];
	size_t addr_count;
};

struct zone_table;

/*
 * Copies `count` zones into a new table. Returns NULL with a one-line
 * reason in err for a bad or repeated name, no or too many addresses, or
 * no memory. A table with no zones is valid (never NULL on success).
 */
struct zone_table *zone_table_new(const struct engine_zone *zones,
    size_t count, char *err, size_t errlen);
void zone_table_free(struct zone_table *table);

/*
 * The most specific zone at or above `name`, or NULL. With `skip_forward`
 * forward zones are passed over (forward-first fell back to iteration),
 * so an enclosing stub zone may still apply.
 */
const struct configured_zone *zone_table_lookup(const struct zone_table *table,
    const ldns_rdf *name, bool skip_forward);

#endif /* DESCEND_FORWARD_H */
