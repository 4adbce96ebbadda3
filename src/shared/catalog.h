/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "efiboot.h"
#include "iso9660.h"

#define CATALOG_MAGIC "ISOBOOT-CATALOG"
#define CATALOG_VERSION 1
#define CATALOG_ID_MAX 64
#define CATALOG_MAX_ENTRIES 100000
#define CATALOG_MAX_BYTES (64u << 20)
#define CATALOG_MAX_INITRDS 8
#define CATALOG_MAX_FETCH 16 /* kernel, initrds and the files the initrd fetches */
#define CATALOG_MAX_MEDIUM 8 /* folders of an installer's medium (medium.h) */

/* How the menu offers an ISO first (and by default): its sidecar file's "method". */
enum catalog_method {
	CATALOG_METHOD_AUTO,	/* the recipe when there is one, else the ISO's own boot */
	CATALOG_METHOD_LIVE,	/* the recipe (as auto; says what the admin wants) */
	CATALOG_METHOD_SANBOOT, /* the ISO's own boot loader over iSCSI or HTTP */
	CATALOG_METHOD_MEMDISK, /* on BIOS, memdisk even when the ISO boots without emulation */
};

/* A file of the ISO that a recipe's boot fetches over HTTP. */
struct catalog_fetch {
	char *path; /* in the ISO, no leading '/' */
	uint64_t size;
};

/* One ISO as isoboot-scan saw it. The format is documented in isoboot-catalog(5). */
struct catalog_entry {
	char *id;      /* stable: a slug of the file name plus a hash of the relative path */
	char *iqn;     /* <iqn_prefix>:<id> */
	char *path;    /* relative to iso_dir */
	char *group;   /* relative directory ("" at the top) */
	char *name;    /* display name: the file name without .iso */
	char *label;   /* volume identifier */
	uint64_t size; /* file size, bytes */
	int64_t mtime; /* seconds */
	uint64_t volume_size;
	struct iso_boot_entry boot[ISO_MAX_BOOT_ENTRIES];
	size_t n_boot;
	unsigned layouts;
	bool mbr, gpt;
	/* ISO_EFI_ARCH_* bits of the UEFI boot loaders it carries (efiboot.h); 0: unknown, from an
	 * older isoboot-scan or none readable. Use catalog_entry_efi_boots_on(). */
	unsigned efi_arches;
	/* The boot recipe (isoboot-scan's recipe.h); none when recipe is NULL. */
	bool unrecognised; /* no recipe: its boot entry is Linux, but of no family isoboot knows */
	char *recipe;	   /* the family: "live-boot", "dracut", ... */
	char *kernel;	   /* path in the ISO */
	char *initrd[CATALOG_MAX_INITRDS];
	size_t n_initrd;
	char *append; /* kernel parameters, with the placeholders {files}, {iso} and {server} */
	struct catalog_fetch fetch[CATALOG_MAX_FETCH];
	size_t n_fetch;
	/* Folders of the ISO (one component each) that go to the client as one more initrd, in
	 * RAM under /cdrom/: the medium of an installer that looks for a CD (medium.h). */
	char *medium[CATALOG_MAX_MEDIUM];
	size_t n_medium;
	uint64_t ram; /* bytes of RAM the client needs for this boot */
	/* From the sidecar file (isoboot-scan's sidecar.h); name above is its "name" too. */
	char *extra; /* kernel parameters added to the recipe's (placeholders as in append) */
	enum catalog_method method;
	bool hidden; /* left out of the menu */
};

struct catalog {
	struct catalog_entry *entries;
	size_t n, allocated;
};

void catalog_init(struct catalog *c);
void catalog_finish(struct catalog *c);

/* Frees an entry's fields and zeroes it. */
void catalog_entry_finish(struct catalog_entry *e);

/* Frees the recipe fields of an entry only. */
void catalog_entry_clear_recipe(struct catalog_entry *e);

/* Whether s may name a file inside an ISO in the catalog: relative, printable, no "." or "..". */
bool catalog_iso_path_valid(const char *s);

/*
 * Whether the last segment of path can be an iPXE image name as it is: iPXE names an image after
 * its URL's last segment, and "initrd=NAME" on the kernel's command line must match it exactly.
 */
bool catalog_image_name_valid(const char *path);

/* "auto", "live", "sanboot", "memdisk" and back (-EINVAL for anything else). */
const char *catalog_method_to_string(enum catalog_method m);
int catalog_method_from_string(const char *s);

/* Whether c may be in kernel parameters that the menu writes into an iPXE script: printable
 * ASCII but what iPXE would read as syntax or expand ($ | & ; # \ " ' `). */
bool catalog_param_char_ok(char c);

/* Appends a zeroed entry and returns it, or NULL on ENOMEM. */
struct catalog_entry *catalog_add(struct catalog *c);

/* Sorts by group, then name, then path: the order of the menu. */
void catalog_sort(struct catalog *c);

const struct catalog_entry *catalog_find_id(const struct catalog *c, const char *id);
const struct catalog_entry *catalog_find_iqn(const struct catalog *c, const char *iqn);

bool catalog_entry_boots(const struct catalog_entry *e, enum iso_platform p,
			 enum iso_emulation *emulation);

/*
 * Whether e carries a UEFI boot loader for arch, one ISO_EFI_ARCH_* bit (efiboot.h has
 * iso_efi_arch_from_ipxe() for iPXE's ${buildarch}). An entry whose architectures are unknown
 * counts as x64 only, as every ISO did before isoboot-scan read them. Whether e boots with UEFI
 * at all is catalog_entry_boots()'s to say.
 */
bool catalog_entry_efi_boots_on(const struct catalog_entry *e, unsigned arch);

/*
 * Parses the text format. On -EBADMSG, *err_line (if set) is the offending line. Unknown keys are
 * ignored, so that older readers accept newer catalogs.
 */
int catalog_parse(struct catalog *c, const char *text, size_t len, unsigned *err_line);

/* Reads and parses a catalog file. -ENOENT when there is none yet. */
int catalog_load(struct catalog *c, const char *path, unsigned *err_line);

/* Writes the text format. */
int catalog_format(const struct catalog *c, FILE *f);

/*
 * Writes path atomically: a temporary file in the same directory, fsync, rename, fsync of the
 * directory. Returns 1 when the file changed, 0 when it already had this content.
 */
int catalog_save(const struct catalog *c, const char *path);

/*
 * Opens the image of e, read-only, below iso_dir: its path must still resolve inside the folder
 * and be a regular file. Returns the fd (st filled in) or a negative errno.
 */
int catalog_open_image(const char *iso_dir, const struct catalog_entry *e, struct stat *st);

/*
 * The stable id of an ISO at relative path rel: a lower-case slug of its base name without .iso
 * (at most 40 characters) and 12 hex digits of SHA-256(rel). out needs CATALOG_ID_MAX bytes.
 */
int catalog_make_id(const char *rel, char out[CATALOG_ID_MAX]);

/* Whether s is a well-formed catalog id: 1 to 63 of [a-z0-9-]. */
bool catalog_id_valid(const char *s);
