/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the Range header parser. The first 8 bytes are the representation size,
 * the rest the header value. A satisfiable answer must lie inside the representation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t rsize = 0, first = 0, last = 0;
	time_t t;

	if (size < 8)
		return 0;
	memcpy(&rsize, data, 8);
	/* Small sizes often, so that the edges get reached. */
	if (data[0] & 1)
		rsize &= 0xffff;
	char *value = strndup((const char *)data + 8, size - 8);
	if (!value)
		return 0;
	enum http_range r = http_range_parse(value, rsize, &first, &last);
	if (r == HTTP_RANGE_OK && (first > last || last >= rsize))
		abort();
	if (http_date_parse(value, &t) == 0) {
		char buf[40];
		http_date_format(t, buf, sizeof(buf));
		(void)http_if_range_matches(value, "\"x\"", t);
	}
	free(value);
	return 0;
}
