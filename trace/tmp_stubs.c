/* tmp_stubs.c: placeholders until trace and control land; both exit 3. */
#include <stdio.h>

#include "cli.h"

int
trace_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "descend trace: not implemented yet\n");
	return EXIT_USAGE;
}

