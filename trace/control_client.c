/*
 * control_client.c: `descend control [-s PATH] COMMAND [ARG]`: sends one
 * command line to descendd's control socket and prints the reply. Exit 0
 * when the daemon says ok (or prints data), 1 on an "error:" reply, 3 when
 * the daemon can't be reached or the command is unknown.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_SOCKET	"/run/descend/control.sock"

static const char *const commands[] = {
	"stats", "flush", "flush-zone", "flush-all", "dump-cache", "reload",
	"stop",
};

static void
control_usage(FILE *out)
{
	fprintf(out,
	    "usage: descend control [-s PATH] stats|flush NAME|flush-zone NAME|"
	    "flush-all|dump-cache|reload|stop\n"
	    "  -s PATH  control socket (default %s)\n", DEFAULT_SOCKET);
}

static bool
command_known(const char *cmd, int args)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i]) == 0)
			return (strncmp(cmd, "flush", 5) == 0 &&
			    strcmp(cmd, "flush-all") != 0) ? args == 1 :
			    args == 0;
	return false;
}

int
control_main(int argc, char **argv)
{
	const char *path = DEFAULT_SOCKET;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char line[1100], buf[65536];
	bool error_reply = false;
	ssize_t n;
	int opt, fd;

	optind = 1;
	while ((opt = getopt(argc, argv, "s:h")) != -1) {
		if (opt == 's')
			path = optarg;
		else if (opt == 'h') {
			control_usage(stdout);
			return EXIT_CLEAN;
		} else {
			control_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || !command_known(argv[optind], argc - optind - 1)) {
		if (optind < argc)
			fprintf(stderr, "descend control: bad command '%s'\n",
			    argv[optind]);
		control_usage(stderr);
		return EXIT_USAGE;
	}
	snprintf(line, sizeof(line), "%s%s%s\n", argv[optind],
	    argc - optind > 1 ? " " : "",
	    argc - optind > 1 ? argv[optind + 1] : "");
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fprintf(stderr, "descend control: socket path too long\n");
		return EXIT_USAGE;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "descend control: cannot reach descendd at %s: "
		    "%s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_USAGE;
	}
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		fprintf(stderr, "descend control: write: %s\n", strerror(errno));
		close(fd);
		return EXIT_USAGE;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (strncmp(buf, "error:", 6) == 0)
			error_reply = true;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	close(fd);
	return error_reply ? EXIT_FINDINGS : EXIT_CLEAN;
}
