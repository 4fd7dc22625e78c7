/*
 * fuzz_config.c: configuration text of any shape through the parser: no
 * crash, no leak, every problem reported.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/descend-fuzz-config-XXXXXX";
	struct daemon_config config;
	FILE *sink = fopen("/dev/null", "w");
	int fd = mkstemp(path);

	if (fd < 0 || sink == NULL) {
		if (sink != NULL)
			fclose(sink);
		return 0;
	}
	if (write(fd, data, size) == (ssize_t)size && config_init(&config)) {
		config_load(&config, path, sink);
		config_free(&config);
	}
	close(fd);
	unlink(path);
	fclose(sink);
	return 0;
}
