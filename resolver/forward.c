/*
 * forward.c: forward and stub zones: the configured table and the lookup
 * of the zone that applies to a name. Operators configure a handful, so a
 * list searched for the longest match is enough.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "forward.h"

struct zone_table {
	struct configured_zone *zones;
	size_t count;
};

void
zone_table_free(struct zone_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->count; i++)
		ldns_rdf_deep_free(t->zones[i].name);
	free(t->zones);
	free(t);
}

struct zone_table *
zone_table_new(const struct engine_zone *zones, size_t count, char *err,
    size_t errlen)
{
	struct zone_table *t = calloc(1, sizeof(*t));

	if (t == NULL || (count > 0 &&
	    (t->zones = calloc(count, sizeof(*t->zones))) == NULL)) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		const struct engine_zone *z = &zones[i];
		struct configured_zone *c = &t->zones[t->count];
		const char *what = z->kind == ENGINE_ZONE_FORWARD ?
		    "forward-zone" : "stub-zone";

		if (z->name == NULL ||
		    ldns_str2rdf_dname(&c->name, z->name) != LDNS_STATUS_OK) {
			snprintf(err, errlen, "%s '%s': not a domain name", what,
			    z->name != NULL ? z->name : "");
			goto fail;
		}
		t->count++;
		ldns_dname2canonical(c->name);
		for (size_t j = 0; j + 1 < t->count; j++) {
			if (dname_equal(t->zones[j].name, c->name)) {
				snprintf(err, errlen, "%s '%s': the zone is "
				    "configured twice", what, z->name);
				goto fail;
			}
		}
		if (z->addr_count == 0 ||
		    z->addr_count > LIMIT_NS_PER_DELEGATION) {
			snprintf(err, errlen, "%s '%s': %zu addresses, expected "
			    "1 to %d", what, z->name, z->addr_count,
			    LIMIT_NS_PER_DELEGATION);
			goto fail;
		}
		c->kind = z->kind;
		c->forward_first = z->kind == ENGINE_ZONE_FORWARD &&
		    z->forward_first;
		for (size_t j = 0; j < z->addr_count; j++) {
			int family = z->addrs[j].ss_family;

			if (family != AF_INET && family != AF_INET6) {
				snprintf(err, errlen, "%s '%s': address %zu is "
				    "neither IPv4 nor IPv6", what, z->name, j + 1);
				goto fail;
			}
			c->addrs[j] = z->addrs[j];
			c->addrlens[j] = family == AF_INET ?
			    sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6);
		}
		c->addr_count = z->addr_count;
	}
	return t;
fail:
	zone_table_free(t);
	return NULL;
}

const struct configured_zone *
zone_table_lookup(const struct zone_table *t, const ldns_rdf *name,
    bool skip_forward)
{
	const struct configured_zone *best = NULL;

	for (size_t i = 0; t != NULL && i < t->count; i++) {
		const struct configured_zone *c = &t->zones[i];

		if (skip_forward && c->kind == ENGINE_ZONE_FORWARD)
			continue;
		if (!dname_in_bailiwick(name, c->name))
			continue;
		if (best == NULL || dname_labels(c->name) > dname_labels(best->name))
			best = c;
	}
	return best;
}
