/*
 * replay.c: runs a fuzz target over files without libFuzzer, printing TAP:
 * `make check` replays the seed corpus and every input that once crashed,
 * so each fixed crash stays fixed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count;

static void
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = malloc(1 << 20);
	size_t n;

	if (f == NULL || data == NULL) {
		printf("not ok %d - cannot read %s\n", ++count, path);
		free(data);
		if (f != NULL)
			fclose(f);
		return;
	}
	n = fread(data, 1, 1 << 20, f);
	fclose(f);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	/* Reaching here is the test: crashes and sanitizer reports abort. */
	printf("ok %d - %s\n", ++count, path);
}

static void
replay_path(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *e;

	if (stat(path, &st) != 0) {
		printf("not ok %d - missing %s\n", ++count, path);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	if ((dir = opendir(path)) == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		char child[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		replay_path(child);
	}
	closedir(dir);
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++)
		replay_path(argv[i]);
#ifdef CORPUS_DIR
	if (argc == 1)
		replay_path(CORPUS_DIR);
#endif
	printf("1..%d\n", count);
	return 0;
}
