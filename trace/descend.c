/*
 * descend.c: the `descend` command: picks the subcommand (query, trace,
 * control) and leaves the rest to it.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: descend query [options] NAME [TYPE]   resolve iteratively\n"
	    "       descend trace [options] NAME [TYPE]   show every delegation step\n"
	    "       descend control [-s PATH] COMMAND     talk to a running descendd\n"
	    "       descend --version\n"
	    "Run 'descend SUBCOMMAND --help' for its options.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "query") == 0)
		return query_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "trace") == 0)
		return trace_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "control") == 0)
		return control_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0) {
		printf("descend %s\n", PACKAGE_VERSION);
		return EXIT_CLEAN;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_CLEAN;
	}
	fprintf(stderr, "descend: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
