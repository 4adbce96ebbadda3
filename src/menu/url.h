/* SPDX-License-Identifier: MIT */
#pragma once

#include "catalog.h"

#define MENU_URL_MAX 1024
/* The name of an installer's medium (medium.h), as iPXE and the kernel's initrd= know it. */
#define MENU_MEDIUM_NAME "isoboot-medium.cpio"

enum menu_url_kind {
	MENU_URL_SCRIPT,  /* "/" or "/boot.ipxe": the iPXE menu */
	MENU_URL_MEMDISK, /* "/boot/memdisk" */
	MENU_URL_ISO,	  /* "/iso/<id>" or "/iso/<id>/<anything>" */
	MENU_URL_FILE,	  /* "/iso/<id>/files/<path>": a file inside the ISO */
	MENU_URL_MEDIUM,  /* "/iso/<id>/medium/<anything>": its installer's medium (medium.h) */
	/* For the Secure Boot chain through an ISO's own loader (sbnext.h): */
	MENU_URL_SB_FILE,   /* "/sb/<id>/<path>": a file inside the ISO ("//" as '/') */
	MENU_URL_SB_CONFIG, /* "/sb/<id>/.../grub.cfg" (any case): isoboot's GRUB configuration */
	MENU_URL_SB_NEXT,   /* "/sbnext/<mac>/<id>": choose that ISO's own loader for <mac> */
};

/*
 * Maps a raw request path (as sent, still percent-encoded, without the query) to what it names.
 * No part of it ever becomes a file name: an ISO is named by its catalog id only, and whatever
 * follows the id is ignored (iPXE likes a file name at the end). -EINVAL (400) for what no
 * honest client sends: no leading '/', longer than MENU_URL_MAX, bad or NUL or control
 * percent-escapes, empty, "." or ".." segments, backslashes. -ENOENT (404) for anything else
 * not served. On MENU_URL_ISO, MENU_URL_FILE and MENU_URL_MEDIUM, id holds the (syntactically
 * valid) id; on MENU_URL_FILE, file (when not NULL) holds the decoded path inside the ISO, without
 * a leading
 * '/' (looked up in the ISO's own tree only, never on the server's disk). The same for
 * MENU_URL_SB_FILE and MENU_URL_SB_CONFIG (empty segments dropped: shim and GRUB join paths so);
 * on MENU_URL_SB_NEXT, file holds the MAC address as sent (sbnext_mac_parse() takes it).
 */
int menu_url_parse(const char *raw, enum menu_url_kind *kind, char id[CATALOG_ID_MAX],
		   char file[MENU_URL_MAX + 1]);

/* Whether s is a well-formed catalog id: 1 to 63 of [a-z0-9-]. */
bool menu_id_valid(const char *s);
