/*
 * local_zones.h: names the daemon answers itself and never sends upstream:
 * the operator's local-zone and local-data lines (Unbound's semantics) and
 * the special-use names answered by default (RFC 6761 localhost, invalid
 * and test, RFC 7686 onion, RFC 8375 home.arpa, RFC 6303 private and
 * documentation reverse zones), which `local-zone: NAME nodefault` or a
 * local-zone of the same name turns off.
 */
#ifndef DESCEND_LOCAL_ZONES_H
#define DESCEND_LOCAL_ZONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "fastpath.h"

/* What a local zone does with a name that has no local data of the type. */
enum local_zone_type {
	LOCAL_ZONE_TRANSPARENT,		/* resolve it as usual */
	LOCAL_ZONE_STATIC,		/* NXDOMAIN (NODATA where the name exists) */
	LOCAL_ZONE_REDIRECT,		/* the zone apex's data answers every name below */
	LOCAL_ZONE_REFUSE,		/* REFUSED */
	LOCAL_ZONE_DENY,		/* drop the query */
	LOCAL_ZONE_ALWAYS_NXDOMAIN,	/* NXDOMAIN, local data or not */
	LOCAL_ZONE_ALWAYS_REFUSE,	/* REFUSED, local data or not */
	LOCAL_ZONE_ALWAYS_NODATA,	/* NOERROR and no data, local data or not */
	LOCAL_ZONE_NODEFAULT,		/* no built-in zone of this name */
};

struct local_zones;

/* An empty table (no defaults yet); NULL when memory runs out. */
struct local_zones *local_zones_new(void);
void local_zones_free(struct local_zones *zones);

/*
 * A `local-zone: NAME TYPE` line. Returns 0, or -1 with a one-line reason
 * in err: a bad name or type, a zone given twice, no memory.
 */
int local_zones_add_zone(struct local_zones *zones, const char *name,
    const char *type, char *err, size_t errlen);

/*
 * A `local-data: "RR"` line in zone-file form (TTL and class optional,
 * default 3600 IN). Returns 0, or -1 with a reason in err.
 */
int local_zones_add_data(struct local_zones *zones, const char *rr,
    char *err, size_t errlen);

/*
 * After the last line: adds the built-in zones that were not overridden,
 * a transparent zone for each local-data name no zone encloses (as Unbound
 * does), and the empty non-terminals above local data. Returns 0, or -1
 * with a reason in err (no memory).
 */
int local_zones_finish(struct local_zones *zones, char *err, size_t errlen);

/* The operator's local-zone and local-data lines, as they read back. */
void local_zones_print(const struct local_zones *zones, FILE *out);

/*
 * Removes from the engine's caches everything at or below each zone and
 * local-data name of the operator's: after a reload, names that became
 * local are no longer served from the cache's fast path.
 */
void local_zones_flush_cache(const struct local_zones *zones,
    struct engine *engine);

/*
 * When the query's name lies in a local zone that answers it, writes the
 * answer (in the engine's answer form: ID 0, no OPT) into out and returns
 * its length. Returns 0 when the query is to be resolved as usual, or,
 * with *drop set, when it must get no answer at all (deny).
 */
size_t local_zone_answer(const struct local_zones *zones,
    const struct client_query *query, uint8_t *out, size_t cap, bool *drop);

/*
 * The answer to a query of type ANY (RFC 8482 §4.2): one synthesized
 * HINFO "RFC8482" "" instead of everything the cache holds, so ANY serves
 * neither amplification nor reconnaissance. Same form as above; 0 if it
 * does not fit.
 */
size_t local_any_answer(const struct client_query *query, uint8_t *out,
    size_t cap);

#endif /* DESCEND_LOCAL_ZONES_H */
