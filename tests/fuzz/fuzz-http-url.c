/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the URL-to-id mapping and the menu text sanitiser. An accepted ISO URL
 * must yield a well-formed id; sanitised text must be safe on an iPXE command line. The same
 * input is also a Secure Boot choice file (sbnext.h), whose id must be well-formed too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipxe.h"
#include "sbnext.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[CATALOG_ID_MAX], text[MENU_TEXT_MAX + 1], file[MENU_URL_MAX + 1];
	enum menu_url_kind kind;
	struct sbnext next;
	uint8_t mac[6];

	if (sbnext_parse((const char *)data, size, &next) == 0 && !menu_id_valid(next.id))
		abort();
	char *s = strndup((const char *)data, size);
	if (!s)
		return 0;
	int r = menu_url_parse(s, &kind, id, file);
	if (r == 0 && kind != MENU_URL_SCRIPT && kind != MENU_URL_MEMDISK && !menu_id_valid(id))
		abort();
	if (r == 0 && (strstr(s, "/../") || strchr(s, '\\')))
		abort();
	/* Under /sb/ "//" is one '/': the path inside the ISO has no empty segment. */
	if (r == 0 && (kind == MENU_URL_SB_FILE || kind == MENU_URL_SB_CONFIG) &&
	    (!file[0] || file[0] == '/' || strstr(file, "//")))
		abort();
	if (r == 0 && kind == MENU_URL_SB_NEXT && sbnext_mac_parse(file, mac) != 0)
		abort();
	if (r != 0 && r != -EINVAL && r != -ENOENT)
		abort();

	menu_text_sanitize(s, text, sizeof(text));
	size_t n = strlen(text);
	if (n > MENU_TEXT_MAX || strstr(text, "${") || (n > 0 && text[n - 1] == '\\'))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] >= 0x7f)
			abort();
	for (char *t = text; *t;) {
		size_t l = strcspn(t, " ");
		if (t[0] == '#' || (l == 1 && t[0] == ';') || (l == 2 && !strncmp(t, "||", 2)) ||
		    (l == 2 && !strncmp(t, "&&", 2)))
			abort();
		t += l;
		if (*t)
			t++;
	}
	char *enc = menu_url_encode(s);
	if (enc) {
		for (char *p = enc; *p; p++)
			if (*p == '$' || *p == ' ' || *p == '/' || *p == '\\' || *p == '#')
				abort();
		free(enc);
	}
	free(s);
	return 0;
}
