/* SPDX-License-Identifier: MIT */
#include "url.h"

#include <errno.h>
#include <string.h>

#include "http.h"
#include "util.h"

_Static_assert(MENU_URL_MAX == HTTP_PATH_MAX, "a menu URL is checked as any request path");

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
	size_t n_seg = 0;

	/* Decoded, with what can only be an attack or a broken client refused, as every request
	 * is before it reaches a route. */
	if (http_path_check(raw, path) < 0)
		return -EINVAL;
	size_t o = strlen(path);

	/* Split into segments (the check let no empty one through, but a trailing '/'). */
	char *p = path + 1;
	while (*p) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
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
