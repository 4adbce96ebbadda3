/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for what isoboot-web parses of a request itself: the first byte picks the
 * parser (Content-Range, a login form, an upload path, JSON output of arbitrary bytes), the rest
 * is its input. Each result is checked against the parser's own promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	char *s = malloc(size);
	if (!s)
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0: {
		uint64_t f, l, t;
		if (web_content_range_parse(s, &f, &l, &t) == 0 && !(f <= l && l < t))
			abort();
		break;
	}
	case 1: {
		char out[64];
		int r =
		    web_form_value((const char *)data + 1, size - 1, "password", out, sizeof(out));
		if (r == 0 && strlen(out) >= sizeof(out))
			abort();
		r = web_form_value((const char *)data + 1, size - 1, "user", out, sizeof(out));
		if (r == 0 && memchr(out, '\0', sizeof(out)) == NULL)
			abort();
		break;
	}
	case 2: {
		char group[WEB_NAME_MAX + 1], name[WEB_NAME_MAX + 1];
		if (web_iso_path_check(s, group, name) == 0 &&
		    (name[0] == '.' || group[0] == '.' || strchr(name, '/') || strchr(group, '/') ||
		     strlen(name) < 5))
			abort();
		break;
	}
	default: {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			abort();
		json_string(f, s);
		fclose(f);
		/* quoted, and no raw control character inside */
		if (len < 2 || buf[0] != '"' || buf[len - 1] != '"')
			abort();
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)buf[i] < 0x20)
				abort();
		free(buf);
		break;
	}
	}
	free(s);
	return 0;
}
