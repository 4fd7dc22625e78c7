/*
 * algorithms.c: the DNSKEY algorithm and DS digest support table (RFC 8624)
 * and the known-answer self-test that confirms each algorithm works here.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include <ldns/ldns.h>

#include "dnssec/algorithms.h"
#include "dnssec/verify.h"

/*
 * One signature per algorithm we validate, made once with ldns-signzone's
 * library calls (RSA with 1024-bit keys: the test checks the code path, not
 * the key size) over the TXT record below. The self-test verifies each, and
 * checks that a changed record does not verify, so that a crypto library
 * that always says "ok" fails too.
 */
static const struct known_answer {
	uint8_t alg;
	const char *dnskey;
	const char *rrsig;
} known_answers[] = {
	{ 5,
	    "selftest.invalid. 3600 IN DNSKEY 257 3 5 AwEAAbeyeJrA0F92W+9"
	    "AujTiqpHyFs/hkRe/LjCkRnBUPHgt/ab14tLk6m70ikT+gqSOX4FcbE9cnSJ"
	    "kcxYlynA7n3qqhc9xHG3c8Q5AsN2T12d8kJiLMcNfcrR5FLPr44KCKf4G1wr"
	    "6+JtOoRzyjC820TWHyuA+IEOxVEvNT8/hKJnr",
	    "selftest.invalid. 3600 IN RRSIG TXT 5 2 3600 19700101000002 "
	    "19700101000001 39994 selftest.invalid. Y9vbDTD3QPHRvebNlB3F4"
	    "ZqDLDSXdR+/Dx7lJTP1w7VEjfx8YrryAx9HsUK1Xu6wvCr19iQQObYENmRB6"
	    "DFDM22l9vPRGWqA5T4vmyC1cNpcdhHyViijrUynjNAn35+DR05fMcQYyIqY3"
	    "RHRu96XiclwmQeyUH34E/xXtnfrQ5o=" },
	{ 7,
	    "selftest.invalid. 3600 IN DNSKEY 257 3 7 AwEAAce9J9iHv+kOxWu"
	    "KAb6orpNOFM/Ss2imkRhskS9a755WKWmGYxGOL04xl4zFwSpMp3NCSKi26mf"
	    "oP9s4QNV6kGsJW3bJvOP+pvOEINoy4o+R3vOEGvqLuvx/8/fYktOkae+o/TW"
	    "81uBWOCoy0zE49ONiy6khOWkMLHCQ/wYJKXVX",
	    "selftest.invalid. 3600 IN RRSIG TXT 7 2 3600 19700101000002 "
	    "19700101000001 59733 selftest.invalid. MUPj98Sk+8JhmsdqZfDTg"
	    "1c4EIhF/J82dA/UnB8vw78hGYuStiGUdmJnHxA+xpqVLNyG9OET3ve5sKepJ"
	    "bFPiphcGHUoDSyojOPfqdnkBwualGi28k124/dHB+9ZkDsMh8gtdbxA3sJfA"
	    "zS6mzcitJxTiSlN5YbXHvgCxh1AX74=" },
	{ 8,
	    "selftest.invalid. 3600 IN DNSKEY 257 3 8 AwEAAaOtyvratV/tMIz"
	    "Vvd5wGQJ33VJZGv9CypjJiSAQYjta3f33XMmPsWIqKjtZgkQafw1WSjXA5Ta"
	    "nNjqXRUy8IC/Avnk4rUxuOO/TAWCJEtDn4i71u+CUj/Vyr456dOIbz7gZlhY"
	    "AUOusOLXidabwl38mPgSS3sYFp1tZxe68C9zV",
	    "selftest.invalid. 3600 IN RRSIG TXT 8 2 3600 19700101000002 "
	    "19700101000001 63485 selftest.invalid. NlgwiGQE9+Oj0vI+us/do"
	    "t7gBuugZRqmHpCw/i/FqK1dPAWAKB/W7fJMDVtpaD1mVcYuli0Iqc8CoU2Gr"
	    "5y83mDhFlcank0ybjWqF/cZNRoKW8F1Ajiae7hRnbq6Q3+tflStUPp7diXAG"
	    "rMlF+14ZdD8xFCnyWxbHxrN4hkWDvs=" },
	{ 10,
	    "selftest.invalid. 3600 IN DNSKEY 257 3 10 AwEAAeZcNtq4nz/1Vp"
	    "rEEGW/2t8adLytbHlr6fnN6zeG5aO2n8FOC02S+Pbwifdo7hw0bsjVmOtA1g"
	    "gzEqa8seZlAqWTxaVxKKWQJpg3Nz+byYxEUCCmlPseJVgrbsVlBwe4fiI3uc"
	    "VJNn5PEJUBHcrOZIN1EkkcS07MkiTky8FojKZB",
	    "selftest.invalid. 3600 IN RRSIG TXT 10 2 3600 19700101000002"
	    " 19700101000001 17508 selftest.invalid. rsX0yUAnpgnaDvtn1X0A"
	    "2CPKgvPyLfNGkk+8N5vG1PcXGKfJnOyX6bwlE0Un9WVRShg57vPEWOD5gFtl"
	    "rdcYZ+m/r1rfk+YDRFRzhD7ZHMyde4VOXnurqcxsjt14IOS9radZwsjFGjeZ"
	    "9pZ4ZoVbdapgwPKd47DTtv/LY/RGVZk=" },
	{ 13,
	    "selftest.invalid. 3600 IN DNSKEY 257 3 13 yO69swXZbr8UBWf3az"
	    "gkkA1bGMU6mWhcWp1ClhmeOs7PXabqxvp8Wr1oaFy1vDsp8KSulETg7CRNTo"
	    "DLlBHAAw==",
	    "selftest.invalid. 3600 IN RRSIG TXT 13 2 3600 19700101000002"
	    " 19700101000001 34938 selftest.invalid. inYQTBhE4YKtyjvEsG5l"
	    "0lUSZfcVxmAkRdgsP3qPk3LeHpT6ke9oMyxcWBkDQtgy3qX0r9GdM9kRRRB5"
	    "MmbduA==" },
	{ 14,
	    "selftest.invalid. 3600 IN DNSKEY 257 3 14 7j1Gg6SUvKbY9efNUD"
	    "pk3xSP2up4t30VWhIXPoSjp/5yfcmGHmSUQdsA0N0H+2k2O1la0O06VPA6Gj"
	    "lJr4FapSAUJDYTJXZDZOPNASpW5KD0dlsTFRrP9ylyBm2gbI+3",
	    "selftest.invalid. 3600 IN RRSIG TXT 14 2 3600 19700101000002"
	    " 19700101000001 38890 selftest.invalid. aki33dXIIQ6hriB4SQWD"
	    "dSt3cx1buQ68UXwmYtHDVfQ6lK84xZflZEJS+lPLEYaHjhuxtRX51VbKpeDj"
	    "01Yw48zeODQeQsYhZARuZhfB61i/+x77mG3ANcJKFPymKP6h" },
	{ 15,
	    "selftest.invalid. 3600 IN DNSKEY 257 3 15 u3UkRo7C0mkmrgRCKL"
	    "NGmGrMo2OsQwluGzRLBdBi1uE=",
	    "selftest.invalid. 3600 IN RRSIG TXT 15 2 3600 19700101000002"
	    " 19700101000001 45203 selftest.invalid. lx3qMsK5+VvGIChLQbUD"
	    "rvUEKOMiN3mcW35ncVbB43GBZkIwFfTX9D9Zv0tpyIAtl7OIZGMMA1fJOmw5"
	    "qXdbDQ==" },
	{ 16,
	    "selftest.invalid. 3600 IN DNSKEY 257 3 16 d4zBd0E53WC4zjJjr7"
	    "87erXPVnJ/d1Gh00LZ6Rny3LFjJLpuVI1kQ3LeJiXwE6e513pf280HpLOA",
	    "selftest.invalid. 3600 IN RRSIG TXT 16 2 3600 19700101000002"
	    " 19700101000001 58253 selftest.invalid. 0A6A98OH4NIvcHY4rd5I"
	    "BNR6Zsmfgg3ZTt+kMxZ+8OZdhl6yJV6C4JYDMy+q/Wt+m5q9ClZd0PIAOmP+"
	    "zIrRn2IsXrZiKEmjE5HT8DMlxLJstZsHxi2UhIsdBXGeBi8M1XXLqIgpD6ln"
	    "JGa5EMV4yDAA" },
};

#define SELFTEST_RECORD	"selftest.invalid. 3600 IN TXT \"descend self-test\""
#define SELFTEST_FORGED	"selftest.invalid. 3600 IN TXT \"descend self-tesT\""

/* Per algorithm number: NULL when it passed or is not wanted, else why not. */
static const char *selftest_error[256];
static bool selftest_passed[256];
static int selftest_failures;
static pthread_once_t selftest_once = PTHREAD_ONCE_INIT;

/* One RRset checked with one key by the validator's own crypto path. */
static bool
verify_text(const char *record, const ldns_rr *sig, ldns_rr *key)
{
	ldns_rr *rr = NULL;
	ldns_rr_list *set = ldns_rr_list_new();
	bool ok = false;

	if (set != NULL &&
	    ldns_rr_new_frm_str(&rr, record, 0, NULL, NULL) == LDNS_STATUS_OK &&
	    ldns_rr_list_push_rr(set, rr)) {
		rr = NULL;
		ok = dnssec_crypto_verify(set, sig, key);
	}
	ldns_rr_free(rr);
	ldns_rr_list_deep_free(set);
	return ok;
}

static const char *
selftest_one(const struct known_answer *ka)
{
	ldns_rr *key = NULL, *sig = NULL;
	const char *error = NULL;

	if (ldns_rr_new_frm_str(&key, ka->dnskey, 0, NULL, NULL) !=
	    LDNS_STATUS_OK ||
	    ldns_rr_new_frm_str(&sig, ka->rrsig, 0, NULL, NULL) !=
	    LDNS_STATUS_OK)
		error = "known-answer records do not parse";
	else if (!verify_text(SELFTEST_RECORD, sig, key))
		error = "known-answer signature does not verify";
	else if (verify_text(SELFTEST_FORGED, sig, key))
		error = "a forged record verifies";
	ldns_rr_free(key);
	ldns_rr_free(sig);
	return error;
}

static void
selftest_run(void)
{
	for (size_t i = 0; i < sizeof(known_answers) / sizeof(known_answers[0]);
	    i++) {
		const struct known_answer *ka = &known_answers[i];

		selftest_error[ka->alg] = selftest_one(ka);
		selftest_passed[ka->alg] = selftest_error[ka->alg] == NULL;
		if (!selftest_passed[ka->alg])
			selftest_failures++;
	}
}

int
dnssec_algorithms_init(void)
{
	pthread_once(&selftest_once, selftest_run);
	return selftest_failures;
}

bool
dnssec_algorithm_supported(uint8_t alg)
{
	/* Only algorithms with a known answer above can pass (RFC 8624 §3.1
	 * "MUST"/"RECOMMENDED" validation: 5, 7, 8, 10, 13, 14, 15, 16). */
	dnssec_algorithms_init();
	return selftest_passed[alg];
}

bool
dnssec_digest_supported(uint8_t digest)
{
	return dnssec_digest_preference(digest) > 0;
}

int
dnssec_digest_preference(uint8_t digest)
{
	switch (digest) {
	case LDNS_SHA1:		return 1;
	case LDNS_SHA256:	return 2;
	case LDNS_SHA384:	return 3;
	}
	return 0;	/* GOST (3, RFC 8624 §3.3 MUST NOT) and unknown */
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
	dnssec_algorithms_init();
	return selftest_error[alg];
}
