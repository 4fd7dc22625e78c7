/*
 * acl.h: who may query the daemon. Netblocks with an action; the longest
 * matching prefix wins. IPv4-mapped IPv6 clients match IPv4 rules.
 */
#ifndef DESCEND_ACL_H
#define DESCEND_ACL_H

#include <stddef.h>
#include <sys/socket.h>

enum acl_action {
	ACL_ALLOW,
	ACL_REFUSE,	/* answer REFUSED */
	ACL_DENY,	/* drop silently */
};

struct acl;

struct acl *acl_new(void);
void acl_free(struct acl *acl);
/* Adds "ADDR[/LEN]"; returns 0, or -1 with a reason in err. */
int acl_add(struct acl *acl, const char *netblock, enum acl_action action,
    char *err, size_t errlen);
/* 127.0.0.0/8 and ::1 allowed, everything else refused. */
void acl_add_defaults(struct acl *acl);
/* The action for a client; no allocation (called per query). */
enum acl_action acl_check(const struct acl *acl, const struct sockaddr *addr);

#endif /* DESCEND_ACL_H */
