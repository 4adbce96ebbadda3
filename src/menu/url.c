/* SPDX-License-Identifier: MIT */
#include "url.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "sbnext.h"
#include "util.h"

_Static_assert(MENU_URL_MAX == HTTP_PATH_MAX, "a menu URL is checked as any request path");

bool menu_id_valid(const char *s)
{
	return catalog_id_valid(s);
}

/* "/sb/<id>/<path>": shim asks for "<folder>//grubx64.efi", so "//" counts as '/' here. */
static int parse_sb(char *path, enum menu_url_kind *kind, char id[CATALOG_ID_MAX],
		    char file[MENU_URL_MAX + 1])
{
	size_t o = 0;

	for (size_t i = 0; path[i]; i++)
		if (path[i] != '/' || o == 0 || path[o - 1] != '/')
			path[o++] = path[i];
	while (o > 1 && path[o - 1] == '/')
		o--;
	path[o] = '\0';
	/* path is "/sb/ID/REST" now. */
	char *at = path + 4, *slash = strchr(at, '/');
	if (!slash || !slash[1])
		return -ENOENT;
	*slash = '\0';
	if (!menu_id_valid(at))
		return -ENOENT;
	memcpy(id, at, strlen(at) + 1); /* valid: shorter than CATALOG_ID_MAX */
	const char *rest = slash + 1, *last = strrchr(rest, '/');
	last = last ? last + 1 : rest;
	/* Whatever GRUB of the ISO reads as its configuration gets isoboot's. */
	*kind = strcasecmp(last, "grub.cfg") == 0 ? MENU_URL_SB_CONFIG : MENU_URL_SB_FILE;
	if (file)
		snprintf(file, MENU_URL_MAX + 1, "%s", rest);
	return 0;
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
	if (http_path_check_flags(raw, path, HTTP_PATH_EMPTY_OK) < 0)
		return -EINVAL;
	if (strncmp(path, "/sb/", 4) == 0)
		return parse_sb(path, kind, id, file);
	if (http_path_check(raw, NULL) < 0)
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
	if (n_seg == 3 && streq(seg[0], "sbnext")) {
		uint8_t mac[6];
		if (sbnext_mac_parse(seg[1], mac) < 0 || !menu_id_valid(seg[2]))
			return -ENOENT;
		*kind = MENU_URL_SB_NEXT;
		snprintf(id, CATALOG_ID_MAX, "%s", seg[2]);
		if (file)
			snprintf(file, MENU_URL_MAX + 1, "%s", seg[1]);
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
	if (n_seg >= 3 && streq(seg[0], "iso") && menu_id_valid(seg[1]) &&
	    streq(seg[2], "medium")) {
		*kind = MENU_URL_MEDIUM;
		snprintf(id, CATALOG_ID_MAX, "%s", seg[1]);
		return 0;
	}
	if (n_seg >= 2 && streq(seg[0], "iso") && menu_id_valid(seg[1])) {
		*kind = MENU_URL_ISO;
		snprintf(id, CATALOG_ID_MAX, "%s", seg[1]);
		return 0;
	}
	return -ENOENT;
}
