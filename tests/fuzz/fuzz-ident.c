/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the names ISOs give themselves (.disk/info, .treeinfo): a name is
 * never empty, at most IDENT_MAX bytes, and has no control characters or blanks at its ends. */
#include <stdlib.h>
#include <string.h>

#include "ident.h"

static void check(char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	if (n == 0 || n > IDENT_MAX || s[0] == ' ' || s[n - 1] == ' ')
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(ident_from_disk_info((const char *)data, size));
	check(ident_from_treeinfo((const char *)data, size));
	return 0;
}
