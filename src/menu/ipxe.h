/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "catalog.h"
#include "config.h"

#define MENU_TEXT_MAX 80

struct menu_params {
	const char *title;
	const char *default_entry; /* an id, a file name or a path; "" = the first entry */
	unsigned timeout;	   /* seconds; 0 = wait for ever */
	const char *http_base;	   /* "http://HOST[:PORT]", no trailing '/' */
	/* What iPXE fetches the kernel, initrds, memdisk and HTTP SAN images from:
	 * "https://HOST[:PORT]" for a script served over HTTPS; NULL = http_base. The booted
	 * system's own fetches ({files}, {iso}) stay on http_base. */
	const char *boot_base;
	/* A plain-HTTP script's first step: "https://HOST[:PORT]" to fetch the menu from over
	 * HTTPS ([menu] https = prefer or require); NULL = none. */
	const char *https_url;
	bool https_required;	/* with https_url: no HTTP menu when HTTPS fails */
	const char *iscsi_host; /* "HOST" or "[V6]", the iSCSI portal (port 3260) */
	enum menu_uefi_boot uefi_boot;
	bool memdisk;	      /* memdisk can be served */
	uint64_t memsize_mib; /* the client's RAM as iPXE's ${memsize} said; 0 = unknown */
	bool memsize_asked;   /* the request answered the script's question for ${memsize} */
	const char *own_id;   /* menu_grub_own_config(): the ISO whose own GRUB asks */
};

/*
 * How an entry boots on one firmware. The BIOS way for an image with only floppy or hard disk
 * emulation entries is memdisk; a no-emulation entry boots by sanboot.
 */
enum menu_boot {
	MENU_BOOT_NONE,	   /* not on this firmware */
	MENU_BOOT_SAN,	   /* sanboot over iSCSI */
	MENU_BOOT_HTTP,	   /* sanboot over HTTP (UEFI, configured) */
	MENU_BOOT_MEMDISK, /* BIOS: memdisk + the image as initrd */
	MENU_BOOT_NEEDS_MEMDISK,
};

enum menu_boot menu_entry_boot(const struct catalog_entry *e, bool efi,
			       const struct menu_params *p);

/*
 * Whether an entry's boot recipe can be offered on this firmware: it has one, the ISO boots on
 * the firmware at all (El Torito), and the recipe's names and parameters are safe for iPXE.
 */
bool menu_recipe_usable(const struct catalog_entry *e, bool efi);

/*
 * Makes arbitrary text safe on an iPXE command line after "--": no control characters, no
 * "${" (setting expansion), no token starting with '#' (a comment), no "||", "&&" or ";" token
 * (command separators), no backslash (line continuation), ASCII only (others become '?'),
 * whitespace collapsed, at most MENU_TEXT_MAX bytes. out has at least MENU_TEXT_MAX + 1 bytes.
 */
void menu_text_sanitize(const char *in, char *out, size_t size);

/* Percent-encodes everything but RFC 3986 unreserved characters (and '/' with keep_slash). */
char *menu_url_encode(const char *in);
char *menu_path_encode(const char *in);

/* Shared by the iPXE script and the GRUB configuration. */
/* Whether the entry's id, IQN and name are fit for a menu at all. */
bool menu_entry_usable(const struct catalog_entry *e);
/* Whether [menu] default (an id, a path or a file name) names the entry. */
bool menu_entry_is_default(const struct catalog_entry *e, const char *def);
/* The entry's name made safe (menu_text_sanitize), or its id. */
void menu_display_name(const struct catalog_entry *e, char *out, size_t size);
/* The file part of the ISO's URL, percent-encoded (malloc'ed; NULL when out of memory). */
char *menu_url_file_name(const struct catalog_entry *e);
/* "1.5 GiB": bytes rounded up to a tenth of a GiB. */
void menu_format_gib(uint64_t bytes, char *out, size_t size);
/* Writes recipe parameters with {files}, {iso} and {server} replaced. */
void menu_put_append(FILE *f, const char *a, const char *files, const char *iso,
		     const char *server);

/* Generates the iPXE script for the catalog into a malloc'ed, NUL-terminated buffer. */
int menu_script(const struct catalog *c, const struct menu_params *p, char **out, size_t *out_len);
