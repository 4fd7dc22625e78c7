/*
 * verify.c: RRSIG checks with our own candidate selection and budget.
 * First landing: the contract only; every check answers bogus until the
 * implementation lands.
 */
#include <stdint.h>

#include "engine_limits.h"
#include "dnssec/verify.h"

void
dnssec_budget_init(struct dnssec_budget *budget)
{
	budget->validations_left = LIMIT_DNSSEC_VALIDATIONS_PER_REQUEST;
	budget->nsec3_hashes_left = LIMIT_DNSSEC_NSEC3_HASHES_PER_REQUEST;
	budget->validations_done = 0;
	budget->nsec3_hashes_done = 0;
}

void
dnssec_verdict_set(struct dnssec_verdict *verdict, enum sec_status status,
    int ede, const char *why)
{
	verdict->status = status;
	verdict->ede = ede;
	verdict->why = why;
	verdict->limit = NULL;
	verdict->ttl_cap = UINT32_MAX;
	verdict->wildcard_labels = -1;
	verdict->key_tag = 0;
	verdict->algorithm = 0;
}

void
dnssec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *rrsigs,
    const ldns_rr_list *trusted_dnskeys, const ldns_rdf *signer_zone,
    uint32_t now, struct dnssec_budget *budget, struct dnssec_verdict *verdict)
{
	(void)rrset; (void)rrsigs; (void)trusted_dnskeys; (void)signer_zone;
	(void)now; (void)budget;
	dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_BOGUS,
	    "signature checks not implemented yet");
}

void
dnssec_verify_dnskey_rrset(const ldns_rr_list *dnskeys,
    const ldns_rr_list *rrsigs, const ldns_rr_list *anchors,
    const ldns_rdf *zone, uint32_t now, struct dnssec_budget *budget,
    struct dnssec_verdict *verdict, ldns_rr_list **trusted_out)
{
	(void)dnskeys; (void)rrsigs; (void)anchors; (void)zone; (void)now;
	(void)budget;
	if (trusted_out != NULL)
		*trusted_out = NULL;
	dnssec_verdict_set(verdict, SEC_BOGUS, DNSSEC_EDE_BOGUS,
	    "DNSKEY checks not implemented yet");
}

bool
dnssec_ds_usable(const ldns_rr_list *ds_set, int *ede)
{
	(void)ds_set;
	if (ede != NULL)
		*ede = DNSSEC_EDE_NONE;
	return true;
}

const ldns_rdf *
dnssec_rrset_signer(const ldns_rr_list *rrsigs, const ldns_rdf *owner,
    ldns_rr_type type)
{
	(void)rrsigs; (void)owner; (void)type;
	return NULL;
}
