/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for per-ISO settings files (NAME.iso.isoboot). The input is the file. A
 * file is valid or sets nothing; what it sets is bounded, carries only characters the menu may
 * write into an iPXE script, and survives the catalog's text format unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/catalog-fixture.h"
#include "catalog.h"
#include "sidecar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char problems[SIDECAR_PROBLEMS_MAX];
	struct sidecar s;

	int r = sidecar_parse("x.iso.isoboot", (const char *)data, size, &s, problems);
	if (strlen(problems) >= SIDECAR_PROBLEMS_MAX)
		abort();
	if (r == -EINVAL) {
		if (s.name || s.append || s.method || s.hidden || !problems[0])
			abort();
		return 0;
	}
	if (r != 0)
		return 0; /* -ENOMEM */
	if (problems[0] || (s.name && (!*s.name || strlen(s.name) > SIDECAR_NAME_MAX)) ||
	    (s.append && strlen(s.append) > SIDECAR_APPEND_MAX))
		abort();
	for (const char *p = s.append; p && *p; p++)
		if (!catalog_param_char_ok(*p))
			abort();

	struct catalog c, back;
	catalog_init(&c);
	struct catalog_entry *e = fixture_entry(&c, "x-0123456789ab", "x.iso", "", "x", "X");
	sidecar_apply(&s, e);
	sidecar_finish(&s);
	char *text = NULL;
	size_t len = 0;
	unsigned line = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f || catalog_format(&c, f) != 0 || fclose(f) != 0)
		abort();
	if (catalog_parse(&back, text, len, &line) != 0 || back.n != 1)
		abort();
	const struct catalog_entry *b = &back.entries[0];
	if (strcmp(b->name, e->name) != 0 || b->method != e->method || b->hidden != e->hidden ||
	    !e->extra != !b->extra || (e->extra && strcmp(e->extra, b->extra) != 0))
		abort();
	catalog_finish(&back);
	catalog_finish(&c);
	free(text);
	return 0;
}
