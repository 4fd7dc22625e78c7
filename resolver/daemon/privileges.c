/*
 * privileges.c: from root to the configured user after the sockets are
 * bound: chroot, supplementary groups, gid, uid, then no capabilities.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privileges.h"

int
privileges_prepare(struct privileges *p, const char *username,
    const char *chroot_dir, char *err, size_t errlen)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	err[0] = '\0';
	p->as_root = geteuid() == 0;
	p->uid = geteuid();
	p->gid = getegid();
	if (chroot_dir != NULL && strlcpy(p->chroot_dir, chroot_dir,
	    sizeof(p->chroot_dir)) >= sizeof(p->chroot_dir)) {
		snprintf(err, errlen, "chroot: path too long");
		return -1;
	}
	if (p->chroot_dir[0] != '\0' && !p->as_root) {
		snprintf(err, errlen, "chroot: %s needs descendd started as "
		    "root", p->chroot_dir);
		return -1;
	}
	/*
	 * Not root (systemd's User=, a developer's shell): there is no user
	 * to switch to; privileges_drop() still clears the capabilities.
	 */
	if (username == NULL || username[0] == '\0' || !p->as_root)
		return 0;
	errno = 0;
	if ((pw = getpwnam(username)) == NULL) {
		snprintf(err, errlen, "username: user '%s' does not exist "
		    "(create it: adduser --system --group --no-create-home %s; "
		    "or set username: \"\" to keep running as root)",
		    username, username);
		return -1;
	}
	if (strlcpy(p->user, username, sizeof(p->user)) >= sizeof(p->user)) {
		snprintf(err, errlen, "username: '%s' is too long", username);
		return -1;
	}
	p->switch_user = true;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	return 0;
}

void
privileges_give_dir(const struct privileges *p, const char *path)
{
	/* Should it fail, the socket and pid file outlive the daemon: harmless. */
	if (p->switch_user) {
		int rc = chown(path, p->uid, p->gid);

		(void)rc;
	}
}

/* Empties the permitted, effective, inheritable and ambient sets. */
static int
clear_capabilities(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	/* Ambient capabilities (Linux 4.3) would survive an execve. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL)
		return -1;
	return (int)syscall(SYS_capset, &header, data);
}

int
privileges_drop(struct privileges *p, char *err, size_t errlen)
{
	if (p->chroot_dir[0] != '\0' &&
	    (chroot(p->chroot_dir) != 0 || chdir("/") != 0)) {
		snprintf(err, errlen, "chroot %s: %s", p->chroot_dir,
		    strerror(errno));
		return -1;
	}
	p->chrooted = p->chroot_dir[0] != '\0';
	if (p->switch_user) {
		/*
		 * Groups first: after setresuid() there is no right left to
		 * change them. Only the user's primary group remains.
		 */
		if (setgroups(1, &p->gid) != 0 ||
		    setresgid(p->gid, p->gid, p->gid) != 0 ||
		    setresuid(p->uid, p->uid, p->uid) != 0) {
			snprintf(err, errlen, "cannot become '%s' (uid %ld, "
			    "gid %ld): %s", p->user, (long)p->uid,
			    (long)p->gid, strerror(errno));
			return -1;
		}
		/* The switch must be for good: root must be out of reach. */
		if (p->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
			snprintf(err, errlen, "could regain root after becoming "
			    "'%s'", p->user);
			return -1;
		}
	}
	/*
	 * A uid change from root already emptied the sets (no KEEPCAPS); a
	 * non-root start may hold ambient ones. Root that stays root
	 * (username: "") keeps its capabilities: that is what it asked for.
	 */
	if ((p->switch_user || !p->as_root) && clear_capabilities() != 0) {
		snprintf(err, errlen, "cannot clear capabilities: %s",
		    strerror(errno));
		return -1;
	}
	/* Nothing descendd runs may gain privileges (setuid binaries). */
	if (p->switch_user || !p->as_root)
		(void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}

const char *
privileges_path(const struct privileges *p, const char *path)
{
	size_t n = strlen(p->chroot_dir);

	while (n > 1 && p->chroot_dir[n - 1] == '/')
		n--;
	if (!p->chrooted || n == 0 || strcmp(p->chroot_dir, "/") == 0 ||
	    strncmp(path, p->chroot_dir, n) != 0 || path[n] != '/')
		return path;
	return path + n;
}
