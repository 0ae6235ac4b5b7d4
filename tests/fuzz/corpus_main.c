/* SPDX-License-Identifier: MIT */
/*
 * A main for a fuzz target built without libFuzzer: runs every file
 * named on the command line (a directory: every regular file in it)
 * through LLVMFuzzerTestOneInput once. CTest runs each target over its
 * tests/fuzz/corpus/<name>/ this way, in every build (gcc included), so
 * a seed that once crashed stays a regression test; under the
 * ASan/UBSan build the first sanitizer report ends the run.
 *
 * Fails when an argument cannot be read or names no input at all: a
 * regression test that runs nothing cannot fail.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not seeds; libFuzzer's default -max_len is far smaller. */
#define CORPUS_MAX_INPUT (64u << 20)

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "corpus: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 4096;
			if (cap > CORPUS_MAX_INPUT || !(nb = realloc(buf, cap))) {
				fprintf(stderr, "corpus: %s: larger than %u bytes or out of memory\n",
					path, CORPUS_MAX_INPUT);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "corpus: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/*
	 * An exact-size copy, so ASan sees a read one byte past the input
	 * as it would under libFuzzer.
	 */
	uint8_t *exact = malloc(len ? len : 1);

	if (!exact) {
		free(buf);
		return -1;
	}
	if (len)
		memcpy(exact, buf, len);
	free(buf);
	printf("corpus: %s (%zu bytes)\n", path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_dir(const char *dir, unsigned *ran)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name);
	int rc = 0;

	if (n < 0) {
		fprintf(stderr, "corpus: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (!rc && !stat(path, &st) && S_ISREG(st.st_mode)) {
			rc = run_file(path);
			if (!rc)
				(*ran)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned ran = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int rc;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "corpus: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = run_dir(argv[i], &ran);
		} else {
			rc = run_file(argv[i]);
			ran += !rc;
		}
		if (rc)
			return 1;
	}
	if (!ran) {
		fprintf(stderr, "corpus: no inputs in %s\n", argv[1]);
		return 1;
	}
	printf("corpus: %u inputs ran clean\n", ran);
	return 0;
}
