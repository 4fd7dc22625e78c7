/*
 * acl.h: who may query the daemon. Netblocks with an action; the longest
 * matching prefix wins. IPv4-mapped IPv6 clients match IPv4 rules.
 */
#ifndef DESCEND_ACL_H
#define DESCEND_ACL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

enum acl_action {
	ACL_ALLOW,
	ACL_REFUSE,	/* answer REFUSED */
	ACL_DENY,	/* drop silently */
	ACL_ALLOW_SNOOP, /* allow, and RD=0 queries from the cache */
};

struct acl;

/* An empty list; NULL when memory runs out. Free with acl_free(). */
struct acl *acl_new(void);
void acl_free(struct acl *acl);
/*
 * Adds "ADDR[/LEN]" (IPv4 or IPv6; no LEN: the single address). Returns 0,
 * or -1 with a one-line reason in err (errlen bytes): a bad address, a
 * prefix length past 32 or 128, or no memory. Among rules of equal length
 * the one added last wins.
 */
int acl_add(struct acl *acl, const char *netblock, enum acl_action action,
    char *err, size_t errlen);
/*
 * 127.0.0.0/8 and ::1 allowed, everything else refused (0.0.0.0/0 and ::/0).
 * Added before a user's rules, these lose to any longer or equal prefix.
 */
void acl_add_defaults(struct acl *acl);
/*
 * The action for a client (AF_INET or AF_INET6; others are refused). The
 * longest matching prefix wins; no rule matching: ACL_REFUSE. No
 * allocation, no locking: called per query.
 */
enum acl_action acl_check(const struct acl *acl, const struct sockaddr *addr);

/* "allow", "refuse", "deny" or "allow_snoop". */
const char *acl_action_name(enum acl_action action);
/*
 * Every rule as an "access-control: NETBLOCK ACTION" line, in order; the
 * rules of acl_add_defaults() as comments, so the output reads back.
 */
void acl_print(const struct acl *acl, FILE *out);

#endif /* DESCEND_ACL_H */
