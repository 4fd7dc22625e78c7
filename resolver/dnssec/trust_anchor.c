/*
 * trust_anchor.c: trust anchors and negative trust anchors. First landing:
 * the contract only; loading reports "not implemented yet".
 */
#include <stdlib.h>

#include <string.h>

#include "dnssec/trust_anchor.h"

struct trust_anchors {
	size_t count;
};

struct trust_anchors *
trust_anchors_new(void)
{
	return calloc(1, sizeof(struct trust_anchors));
}

void
trust_anchors_free(struct trust_anchors *anchors)
{
	free(anchors);
}

int
trust_anchors_add_file(struct trust_anchors *anchors, const char *path,
    char *err, size_t errlen)
{
	(void)anchors; (void)path;
	strlcpy(err, "trust anchor files not implemented yet", errlen);
	return -1;
}

int
trust_anchors_add_string(struct trust_anchors *anchors, const char *text,
    char *err, size_t errlen)
{
	(void)anchors; (void)text;
	strlcpy(err, "trust anchors not implemented yet", errlen);
	return -1;
}

int
trust_anchors_add_insecure(struct trust_anchors *anchors, const char *domain,
    char *err, size_t errlen)
{
	(void)anchors; (void)domain;
	strlcpy(err, "negative trust anchors not implemented yet", errlen);
	return -1;
}

const struct trust_anchor *
trust_anchors_lookup(const struct trust_anchors *anchors, const ldns_rdf *name)
{
	(void)anchors; (void)name;
	return NULL;
}

size_t
trust_anchors_count(const struct trust_anchors *anchors)
{
	return anchors->count;
}

const struct trust_anchor *
trust_anchors_get(const struct trust_anchors *anchors, size_t i)
{
	(void)anchors; (void)i;
	return NULL;
}
