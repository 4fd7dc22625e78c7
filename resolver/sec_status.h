/*
 * sec_status.h: how far DNSSEC validation vouches for a piece of data
 * (RFC 4035 §4.3). Cached RRsets, negative entries and answers carry one
 * beside their rank; an answer takes the weakest status of its parts.
 */
#ifndef DESCEND_SEC_STATUS_H
#define DESCEND_SEC_STATUS_H

/* Ordered weakest first, so that MIN() of two is the weaker link. */
enum sec_status {
	SEC_UNCHECKED = 0,	/* not validated: validation off, CD, or not yet */
	SEC_BOGUS,		/* validation failed: only CD clients may see it */
	SEC_INDETERMINATE,	/* no trust anchor covers it (RFC 4033 §5) */
	SEC_INSECURE,		/* proven unsigned below a secure delegation */
	SEC_SECURE,		/* a chain of signatures from a trust anchor */
};

static inline const char *
sec_status_name(enum sec_status status)
{
	switch (status) {
	case SEC_UNCHECKED:	return "unchecked";
	case SEC_BOGUS:		return "bogus";
	case SEC_INDETERMINATE:	return "indeterminate";
	case SEC_INSECURE:	return "insecure";
	case SEC_SECURE:	return "secure";
	}
	return "?";
}

#endif /* DESCEND_SEC_STATUS_H */
