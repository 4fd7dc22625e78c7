/*
 * algorithms.c: the DNSKEY algorithm and DS digest support table (RFC 8624).
 * First landing: the static table only; the self-test follows.
 */
#include <stddef.h>
#include <stdio.h>

#include "dnssec/algorithms.h"

int
dnssec_algorithms_init(void)
{
	return 0;
}

bool
dnssec_algorithm_supported(uint8_t alg)
{
	switch (alg) {
	case 5: case 7: case 8: case 10: case 13: case 14: case 15: case 16:
		return true;
	}
	return false;
}

bool
dnssec_digest_supported(uint8_t digest)
{
	return digest == 1 || digest == 2 || digest == 4;
}

int
dnssec_digest_preference(uint8_t digest)
{
	switch (digest) {
	case 1: return 1;
	case 2: return 2;
	case 4: return 3;
	}
	return 0;
}

const char *
dnssec_algorithm_name(uint8_t alg)
{
	static const char *names[] = {
		[1] = "RSAMD5", [3] = "DSA", [5] = "RSASHA1",
		[6] = "DSA-NSEC3-SHA1", [7] = "RSASHA1-NSEC3-SHA1",
		[8] = "RSASHA256", [10] = "RSASHA512", [12] = "ECC-GOST",
		[13] = "ECDSAP256SHA256", [14] = "ECDSAP384SHA384",
		[15] = "ED25519", [16] = "ED448",
	};

	if (alg < sizeof(names) / sizeof(names[0]) && names[alg] != NULL)
		return names[alg];
	return "unknown";
}

const char *
dnssec_algorithm_selftest_error(uint8_t alg)
{
	(void)alg;
	return NULL;
}
