/*
 * fuzz_query.c: a client's query as the daemon sees it: parsed by the fast
 * path, answered from a cached answer, from the local zones, as ANY (RFC
 * 8482) or with an error reply, over UDP and TCP sizes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fastpath.h"
#include "local_zones.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* www.example.com A 192.0.2.10, as the engine stores answers. */
static const uint8_t cached[] = {
	0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
	0, 0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 10,
};

/* The built-in zones and one zone of every type, with local data. */
static struct local_zones *
fuzz_local_zones(void)
{
	static const char *const zones[][2] = {
		{ "static.example.", "static" }, { "redirect.example.", "redirect" },
		{ "refuse.example.", "refuse" }, { "deny.example.", "deny" },
		{ "nx.example.", "always_nxdomain" },
		{ "transparent.example.", "transparent" },
	};
	static const char *const data[] = {
		"a.b.static.example. A 192.0.2.1",
		"redirect.example. A 192.0.2.2",
		"www.refuse.example. CNAME www.example.com.",
		"www.deny.example. TXT \"here\"",
		"www.transparent.example. AAAA 2001:db8::1",
		"loose.example. A 192.0.2.3",
	};
	struct local_zones *t = local_zones_new();
	char err[256];

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		local_zones_add_zone(t, zones[i][0], zones[i][1], err, sizeof(err));
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		local_zones_add_data(t, data[i], err, sizeof(err));
	local_zones_finish(t, err, sizeof(err));
	return t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536 + 64], local[65536];
	static struct local_zones *zones;
	struct client_query q;
	bool drop;
	enum query_check check = fastpath_parse_query(data, size, &q);
	size_t n;

	if (check == QUERY_DROP)
		return 0;
	fastpath_error_reply(data, size, check == QUERY_OK ? &q : NULL, 5, out,
	    sizeof(out));
	if (check != QUERY_OK)
		return 0;
	/* Only a same-length name may stand in for the cached question. */
	if (q.qname_len == 17) {
		fastpath_reply(&q, cached, sizeof(cached), 22, "why", false, out,
		    sizeof(out));
		fastpath_reply(&q, cached, sizeof(cached), -1, NULL, true, out,
		    sizeof(out));
	}
	if (zones == NULL)
		zones = fuzz_local_zones();
	n = local_zone_answer(zones, &q, local, sizeof(local), &drop);
	if (n > 0)
		fastpath_reply(&q, local, n, -1, NULL, false, out, sizeof(out));
	n = local_any_answer(&q, local, sizeof(local));
	if (n > 0)
		fastpath_reply(&q, local, n, -1, NULL, false, out, sizeof(out));
	return 0;
}
