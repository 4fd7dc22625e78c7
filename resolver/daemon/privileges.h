/*
 * privileges.h: descendd gives up root once its sockets are bound: it looks
 * the user up early, then chroots (optionally), drops the supplementary
 * groups and switches to the user, leaving no capabilities behind.
 */
#ifndef DESCEND_PRIVILEGES_H
#define DESCEND_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privileges {
	bool as_root;		/* started as root: switch user */
	bool switch_user;	/* a username was configured */
	uid_t uid;
	gid_t gid;
	char user[64];
	char chroot_dir[4096];	/* "" for none */
	bool chrooted;		/* privileges_drop() did chroot */
};

/*
 * Decides what privileges_drop() will do for `username` ("" keeps the
 * current user) and `chroot_dir` (NULL for none), before anything is
 * opened, so that a missing user is a start-up error rather than a
 * half-started daemon. Not started as root, there is no user to switch to
 * and `username` is not looked up. Returns 0, or -1 with a reason in `err`.
 */
int privileges_prepare(struct privileges *p, const char *username,
    const char *chroot_dir, char *err, size_t errlen);

/*
 * Hands `path` (a directory descendd created, such as /run/descend) to the
 * user, so that it can remove its control socket and pid file at exit.
 */
void privileges_give_dir(const struct privileges *p, const char *path);

/*
 * Chroots, drops the supplementary groups, switches group and user, and
 * clears every capability (also those a non-root start received as ambient
 * capabilities, such as systemd's CAP_NET_BIND_SERVICE). Call it while the
 * process has one thread: capability sets are per thread. Returns 0, or -1
 * with a reason in `err` (the caller must not go on serving).
 */
int privileges_drop(struct privileges *p, char *err, size_t errlen);

/*
 * `path` as the process sees it: after the chroot, the chroot prefix is
 * removed when `path` lies below it; otherwise `path` is unchanged. So the
 * configuration names files by their path outside the chroot, and a reload
 * finds the same files inside it.
 */
const char *privileges_path(const struct privileges *p, const char *path);

#endif /* DESCEND_PRIVILEGES_H */
