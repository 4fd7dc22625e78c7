/*
 * local_zones.h: names the daemon answers itself and never sends upstream
 * (RFC 6761 localhost and .invalid, RFC 6303 private reverse zones,
 * RFC 8375 home.arpa).
 */
#ifndef DESCEND_LOCAL_ZONES_H
#define DESCEND_LOCAL_ZONES_H

#include <stddef.h>
#include <stdint.h>

#include "fastpath.h"

/*
 * When the query's name lies in a local zone, writes the answer (in the
 * engine's answer form: ID 0, no OPT) into out and returns its length;
 * returns 0 for every other name.
 */
size_t local_zone_answer(const struct client_query *query, uint8_t *out,
    size_t cap);

/*
 * The answer to a query of type ANY (RFC 8482 §4.2): one synthesized
 * HINFO "RFC8482" "" instead of everything the cache holds, so ANY serves
 * neither amplification nor reconnaissance. Same form as above; 0 if it
 * does not fit.
 */
size_t local_any_answer(const struct client_query *query, uint8_t *out,
    size_t cap);

#endif /* DESCEND_LOCAL_ZONES_H */
