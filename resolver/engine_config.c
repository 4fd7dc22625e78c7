/*
 * engine_config.c: the engine's default settings, each from engine_limits.h or
 * the RFC that recommends it.
 */
#include <string.h>

#include "engine.h"
#include "engine_limits.h"

void
engine_config_init(struct engine_config *config)
{
	memset(config, 0, sizeof(*config));
	config->root_hints_file = NULL;
	config->root_hints = NULL;
	config->qname_minimisation = true;
	config->use_0x20 = true;
	config->query_loopback = false;
	config->serve_stale = false;
	config->prefetch = true;
	config->fresh_cache = false;
	config->family = ENGINE_FAMILY_ANY;
	config->cache_size = LIMIT_CACHE_SIZE_DEFAULT;
	config->cache_max_ttl = LIMIT_CACHE_MAX_TTL;
	config->cache_min_ttl = LIMIT_CACHE_MIN_TTL;
	config->cache_max_negative_ttl = LIMIT_CACHE_MAX_NEGATIVE_TTL;
	config->request_timeout_ms = LIMIT_REQUEST_TIME_MS;
	config->stale_client_timeout_ms = LIMIT_STALE_CLIENT_TIMEOUT_MS;
	config->query_timeout_ms = LIMIT_QUERY_TIMEOUT_INITIAL_MS;
	config->tries = 2;
	/* On, but nothing is validated until a trust anchor is configured. */
	config->dnssec_validation = true;
	config->aggressive_nsec = true;		/* RFC 8198, as Unbound */
}
