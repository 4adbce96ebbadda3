/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the catalog reader. Every catalog it accepts must survive a write and a
 * second read unchanged, so the writer's escaping and the reader's parsing agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog c, d;
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	unsigned line;

	if (catalog_parse(&c, (const char *)data, size, &line) < 0)
		return 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	catalog_format(&c, f);
	fclose(f);
	if (catalog_parse(&d, buf, len, &line) < 0)
		abort(); /* we wrote something we cannot read */
	if (d.n != c.n)
		abort();
	f = open_memstream(&buf2, &len2);
	if (!f)
		abort();
	catalog_format(&d, f);
	fclose(f);
	if (len != len2 || memcmp(buf, buf2, len) != 0)
		abort(); /* not a fixed point */
	catalog_finish(&c);
	catalog_finish(&d);
	free(buf);
	free(buf2);
	return 0;
}
