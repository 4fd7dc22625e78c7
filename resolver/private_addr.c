/*
 * private_addr.c: private-address and private-domain, the DNS rebinding
 * defence: the address blocks, the names allowed to use them, and the
 * scrubbing of upstream replies.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "private_addr.h"

struct private_table {
	struct engine_netblock *blocks;
	size_t block_count;
	ldns_rdf **domains;
	size_t domain_count;
};

void
private_table_free(struct private_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->domain_count; i++)
		ldns_rdf_deep_free(t->domains[i]);
	free(t->domains);
	free(t->blocks);
	free(t);
}

struct private_table *
private_table_new(const struct engine_config *c, char *err, size_t errlen)
{
	struct private_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		goto oom;
	if (c->private_address_count > 0) {
		if ((t->blocks = calloc(c->private_address_count,
		    sizeof(*t->blocks))) == NULL)
			goto oom;
		for (size_t i = 0; i < c->private_address_count; i++) {
			const struct engine_netblock *b = &c->private_addresses[i];

			if ((b->family != AF_INET || b->prefix > 32) &&
			    (b->family != AF_INET6 || b->prefix > 128)) {
				snprintf(err, errlen, "private-address %zu: not an "
				    "IPv4 or IPv6 block", i + 1);
				private_table_free(t);
				return NULL;
			}
			t->blocks[t->block_count++] = *b;
		}
	}
	if (c->private_domain_count > 0 &&
	    (t->domains = calloc(c->private_domain_count,
	    sizeof(*t->domains))) == NULL)
		goto oom;
	for (size_t i = 0; i < c->private_domain_count; i++) {
		ldns_rdf *name = NULL;

		if (ldns_str2rdf_dname(&name, c->private_domains[i]) !=
		    LDNS_STATUS_OK) {
			snprintf(err, errlen, "private-domain '%s': not a domain "
			    "name", c->private_domains[i]);
			private_table_free(t);
			return NULL;
		}
		t->domains[t->domain_count++] = name;
	}
	return t;
oom:
	snprintf(err, errlen, "out of memory");
	private_table_free(t);
	return NULL;
}

static bool
block_contains(const struct engine_netblock *b, int family,
    const uint8_t *addr)
{
	unsigned full = b->prefix / 8, rest = b->prefix % 8;

	if (b->family != family)
		return false;
	if (memcmp(b->addr, addr, full) != 0)
		return false;
	return rest == 0 ||
	    ((b->addr[full] ^ addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* Whether `rr` is an address record of a public name into a private block. */
static bool
rr_is_private(const struct private_table *t, const ldns_rr *rr)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);
	ldns_rr_type type = ldns_rr_get_type(rr);
	int family;

	if (type == LDNS_RR_TYPE_A && rdf != NULL && ldns_rdf_size(rdf) == 4)
		family = AF_INET;
	else if (type == LDNS_RR_TYPE_AAAA && rdf != NULL &&
	    ldns_rdf_size(rdf) == 16)
		family = AF_INET6;
	else
		return false;
	for (size_t i = 0; i < t->domain_count; i++)
		if (dname_in_bailiwick(ldns_rr_owner(rr), t->domains[i]))
			return false;
	for (size_t i = 0; i < t->block_count; i++)
		if (block_contains(&t->blocks[i], family, ldns_rdf_data(rdf)))
			return true;
	return false;
}

/* Removes the private records of `list`; empties it to NULL if none are left. */
static size_t
scrub_list(const struct private_table *t, const struct reply_context *ctx,
    ldns_rr_list **list)
{
	ldns_rr_list *kept;
	size_t removed = 0;

	if (*list == NULL || (kept = ldns_rr_list_new()) == NULL)
		return 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(*list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(*list, i);

		if (rr_is_private(t, rr)) {
			if (ctx->dropped != NULL)
				ctx->dropped(ctx->dropped_ctx, rr,
				    "private address for a public name "
				    "(private-address)");
			ldns_rr_free(rr);
			removed++;
		} else
			ldns_rr_list_push_rr(kept, rr);
	}
	ldns_rr_list_free(*list);	/* the records moved or were freed */
	if (ldns_rr_list_rr_count(kept) == 0) {
		ldns_rr_list_free(kept);
		kept = NULL;
	}
	*list = kept;
	return removed;
}

size_t
private_scrub(const struct private_table *t, const struct reply_context *ctx,
    struct reply_view *v)
{
	if (t == NULL || t->block_count == 0)
		return 0;
	return scrub_list(t, ctx, &v->answer) + scrub_list(t, ctx, &v->glue);
}
