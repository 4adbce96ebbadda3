/* SPDX-License-Identifier: MIT */
#include "url.h"

#include <errno.h>
#include <string.h>

#include "util.h"

bool menu_id_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n > 0 && n < CATALOG_ID_MAX;
}

int menu_url_parse(const char *raw, enum menu_url_kind *kind, char id[CATALOG_ID_MAX],
		   char file[MENU_URL_MAX + 1])
{
	char path[MENU_URL_MAX + 1];
	const char *seg[4];
	size_t file_at = 0; /* offset in path of the fourth segment */
	size_t o = 0, n_seg = 0;

	if (!raw || raw[0] != '/')
		return -EINVAL;
	/* Decode, refusing what can only be an attack or a broken client. */
	for (size_t i = 0; raw[i]; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (o >= MENU_URL_MAX)
			return -EINVAL;
		if (c == '%') {
			int hi = unhexchar(raw[i + 1]), lo = hi < 0 ? -1 : unhexchar(raw[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return -EINVAL;
		path[o++] = (char)c;
	}
	path[o] = '\0';

	/* Split into segments; a trailing '/' is allowed, other empty segments are not. */
	char *p = path + 1;
	while (*p) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!*p || streq(p, ".") || streq(p, ".."))
			return -EINVAL;
		if (n_seg < ARRAY_SIZE(seg))
			seg[n_seg] = p;
		if (n_seg == 3)
			file_at = (size_t)(p - path);
		n_seg++;
		if (!slash)
			break;
		p = slash + 1;
	}

	if (n_seg == 0 || (n_seg == 1 && streq(seg[0], "boot.ipxe"))) {
		*kind = MENU_URL_SCRIPT;
		return 0;
	}
	if (n_seg == 2 && streq(seg[0], "boot") && streq(seg[1], "memdisk")) {
		*kind = MENU_URL_MEMDISK;
		return 0;
	}
	if (n_seg >= 4 && streq(seg[0], "iso") && menu_id_valid(seg[1]) && streq(seg[2], "files")) {
		*kind = MENU_URL_FILE;
		snprintf(id, CATALOG_ID_MAX, "%s", seg[1]);
		if (file) {
			/* The segments were cut at their '/': put them back. */
			for (size_t i = file_at; i < o; i++)
				file[i - file_at] = path[i] ? path[i] : '/';
			size_t n = o - file_at;
			while (n > 0 && file[n - 1] == '/')
				n--;
			file[n] = '\0';
		}
		return 0;
	}
	if (n_seg >= 2 && streq(seg[0], "iso") && menu_id_valid(seg[1])) {
		*kind = MENU_URL_ISO;
		snprintf(id, CATALOG_ID_MAX, "%s", seg[1]);
		return 0;
	}
	return -ENOENT;
}
