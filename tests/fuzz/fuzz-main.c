/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz target's seed corpus without libFuzzer (as systemd's fuzz-main.c does), so that
 * every build runs each seed through the parser: each argument is a file or a folder of files,
 * each file one input. TAP output, one case per file; a crash or a sanitizer report fails it.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX_INPUT (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Some targets set up state once, as libFuzzer lets them. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned cases;

static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	size_t n;

	if (!f || !buf) {
		printf("not ok %u - %s: cannot be read\n", ++cases, path);
		if (f)
			fclose(f);
		free(buf);
		return 1;
	}
	n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	fclose(f);
	/* An exact-size copy, so that ASan sees a read past the end of the input. */
	uint8_t *in = malloc(n ? n : 1);
	if (!in) {
		free(buf);
		return 1;
	}
	memcpy(in, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	printf("ok %u - %s (%zu bytes)\n", ++cases, path, n);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, by_name);
		if (n < 0) {
			failed |= replay(argv[i]);
			continue;
		}
		for (int k = 0; k < n; k++) {
			if (names[k]->d_name[0] != '.') {
				char path[4096];
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
				failed |= replay(path);
			}
			free(names[k]);
		}
		free(names);
	}
	printf("1..%u\n", cases);
	return failed || cases == 0;
}
