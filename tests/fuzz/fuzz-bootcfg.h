/* SPDX-License-Identifier: MIT */
/*
 * The body of the boot configuration fuzzers (fuzz-bootcfg-syslinux.c, fuzz-bootcfg-grub.c),
 * which define TOP (the configuration's path), FUZZ_DIR (its folder) and FUZZ_PARSE (the parser)
 * and include this. The input is up to 8 files separated by "\n--FILE--\n": the first is TOP,
 * and any other path the parser reads is one of the files (or missing) by a hash of the path, so
 * that includes, their loops and missing files are all reached. The entry found must be sane: a
 * relative kernel path without "." or ".." components, at most BOOTCFG_MAX_INITRDS initrds
 * likewise; the answer is an entry or -ENOENT, and no more than BOOTCFG_MAX_FILES files are read.
 */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootcfg.h"

#define MAX_FILES 8
#define SEPARATOR "\n--FILE--\n"

struct files {
	const uint8_t *data[MAX_FILES];
	size_t len[MAX_FILES];
	size_t n;
	unsigned reads;
};

static void split(struct files *f, const uint8_t *data, size_t size)
{
	const size_t sl = strlen(SEPARATOR);

	f->n = 0;
	f->reads = 0;
	while (f->n < MAX_FILES - 1) {
		const uint8_t *sep = memmem(data, size, SEPARATOR, sl);
		if (!sep)
			break;
		f->data[f->n] = data;
		f->len[f->n++] = (size_t)(sep - data);
		size -= (size_t)(sep - data) + sl;
		data = sep + sl;
	}
	f->data[f->n] = data;
	f->len[f->n++] = size;
}

static int read_file(void *ud, const char *path, char **text, size_t *len)
{
	struct files *f = ud;
	size_t i = 0;

	f->reads++;
	if (strcmp(path, TOP) != 0) {
		uint32_t h = 2166136261u; /* FNV-1a */
		for (const char *p = path; *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		i = h % (f->n + 1);
		if (i == f->n)
			return -ENOENT;
	}
	if (f->len[i] > BOOTCFG_MAX_FILE)
		return -EFBIG;
	*text = malloc(f->len[i] + 1);
	if (!*text)
		return -ENOMEM;
	memcpy(*text, f->data[i], f->len[i]);
	(*text)[f->len[i]] = '\0';
	*len = f->len[i];
	return 0;
}

/* Relative, not empty, no empty, "." or ".." component. */
static void check_path(const char *p)
{
	if (!p || !*p || p[0] == '/')
		abort();
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		c += n;
		if (*c == '/' && !*++c)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct files f;
	struct bootcfg_reader rd = {read_file, &f};
	struct bootcfg_entry e = {0};

	split(&f, data, size);
	int r = FUZZ_PARSE(&rd, TOP, &e);
	if (r != 0 && r != -ENOENT && r != -EFBIG)
		abort();
	if (f.reads > BOOTCFG_MAX_FILES)
		abort();
	if (r == 0) {
		check_path(e.kernel);
		if (e.n_initrd > BOOTCFG_MAX_INITRDS || !e.label || !e.append)
			abort();
		for (size_t i = 0; i < e.n_initrd; i++)
			check_path(e.initrd[i]);
		bootcfg_entry_finish(&e);
	}

	/* The path joiner on the first line, as a path relative to a folder and as is. */
	size_t l = 0;
	while (l < size && l < 512 && data[l] != '\n' && data[l] != '\0')
		l++;
	char *p = strndup((const char *)data, l);
	if (p) {
		char *a = bootcfg_path(FUZZ_DIR, p), *b = bootcfg_path("", p);
		if (a)
			check_path(a);
		if (b)
			check_path(b);
		free(a);
		free(b);
		free(p);
	}
	return 0;
}
