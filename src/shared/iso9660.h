/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ISO_BLOCK_SIZE 2048u
#define ISO_MAX_BOOT_ENTRIES 16

/* What the parser reads from: a file, or memory in tests and fuzzers. */
struct iso_source {
	/* Reads up to len bytes at off: the count (short only at the end) or a negative errno. */
	ssize_t (*read)(void *userdata, void *buf, size_t len, uint64_t off);
	void *userdata;
	uint64_t size;
};

enum iso_platform {
	ISO_PLATFORM_BIOS,
	ISO_PLATFORM_UEFI,
	ISO_PLATFORM_PPC,
	ISO_PLATFORM_MAC,
	ISO_PLATFORM_OTHER,
};

enum iso_emulation {
	ISO_EMUL_NONE,
	ISO_EMUL_FLOPPY_1200,
	ISO_EMUL_FLOPPY_1440,
	ISO_EMUL_FLOPPY_2880,
	ISO_EMUL_HDD,
};

struct iso_boot_entry {
	enum iso_platform platform;
	uint8_t platform_id; /* as in the catalog, for ISO_PLATFORM_OTHER */
	enum iso_emulation emulation;
	uint32_t load_rba;     /* 2048-byte blocks */
	uint16_t sector_count; /* 512-byte virtual sectors, as the catalog says */
};

/* Well-known layouts, recognised from the directory tree. */
enum {
	ISO_LAYOUT_CASPER = 1u << 0,	       /* Ubuntu and derivatives: casper/ */
	ISO_LAYOUT_LIVE = 1u << 1,	       /* Debian live: live/ */
	ISO_LAYOUT_ARCH = 1u << 2,	       /* Arch Linux: arch/ */
	ISO_LAYOUT_LIVEOS = 1u << 3,	       /* Fedora and RHEL family: LiveOS/ */
	ISO_LAYOUT_WINDOWS = 1u << 4,	       /* Windows PE: sources/boot.wim */
	ISO_LAYOUT_DEBIAN_INSTALLER = 1u << 5, /* Debian installer: install.amd/ */
	ISO_LAYOUT_PXEBOOT = 1u << 6,	       /* Fedora/RHEL installer: images/pxeboot/ */
};

enum iso_names {
	ISO_NAMES_ISO9660,
	ISO_NAMES_ROCK_RIDGE,
	ISO_NAMES_JOLIET,
};

struct iso_dirent {
	uint32_t extent; /* first block */
	uint64_t size;	 /* bytes */
	bool directory;
};

/* A file of up to ISO_MAX_EXTENTS extents (ECMA-119 multi-extent files, e.g. over 4 GiB). */
#define ISO_MAX_EXTENTS 32
struct iso_extent {
	uint64_t offset; /* in the image, bytes */
	uint64_t length; /* bytes */
};

struct iso_file {
	uint64_t size; /* all extents */
	size_t n_extents;
	struct iso_extent extents[ISO_MAX_EXTENTS];
	struct iso_dirent dirent; /* the first record */
	bool directory;
	bool symlink; /* Rock Ridge symbolic link */
	bool special; /* Rock Ridge device, FIFO or socket */
};

/* An opened volume: enough to look paths up. */
struct iso_volume {
	const struct iso_source *src;
	uint32_t blocks;
	struct iso_dirent root;
	enum iso_names names;
	uint8_t susp_skip;
	bool has_rock_ridge, has_joliet;
	struct iso_dirent joliet_root;
	char label[33];
	uint32_t boot_catalog; /* 0: none */
};

struct iso_info {
	char label[33];
	uint32_t volume_blocks;
	uint64_t volume_size;
	struct iso_boot_entry boot[ISO_MAX_BOOT_ENTRIES];
	size_t n_boot;
	unsigned layouts;
	bool mbr, gpt;
	enum iso_names names;
	const char *problem; /* why it was refused; static text */
};

/*
 * Opens the volume: primary volume descriptor, Joliet and Rock Ridge detection. Returns 0,
 * -EMEDIUMTYPE when this is not ISO 9660, -EBADMSG when it is corrupt or truncated, -EOPNOTSUPP
 * for a valid but unsupported volume, or an I/O error. *problem says why in words.
 */
int iso_volume_open(struct iso_volume *v, const struct iso_source *src, const char **problem);

/*
 * Looks up an absolute or relative path ("casper/vmlinuz"). With fold, ASCII case is ignored.
 * 0, -ENOENT, -ENOTDIR, -EBADMSG for a corrupt tree, or -EOPNOTSUPP for multi-extent files.
 */
int iso_lookup(const struct iso_volume *v, const char *path, bool fold, struct iso_dirent *out);

/*
 * Looks up a regular file and all of its extents. Never follows a symbolic link, also not in a
 * parent directory (-ENOTDIR). -EISDIR for a directory, -ELOOP for a Rock Ridge symbolic link or
 * special file, -EOPNOTSUPP for more than ISO_MAX_EXTENTS extents, else as iso_lookup().
 */
int iso_lookup_file(const struct iso_volume *v, const char *path, bool fold, struct iso_file *out);

/*
 * Calls cb with the name and record of each entry of the directory at path (not "." and "..",
 * not symbolic links or special files; a multi-extent file once, with its first extent). cb
 * returns 0 to go on, anything else to stop. 0 or a negative errno.
 */
int iso_list_dir(const struct iso_volume *v, const char *path, bool fold,
		 int (*cb)(void *ud, const char *name, const struct iso_dirent *d), void *ud);

/*
 * Calls cb with the name and contents of each entry of directory dir (a dirent from iso_lookup()
 * or from an earlier call), in the order of the directory: directories with their record, regular
 * files with all of their extents (f->directory tells them apart). Symbolic links, special files,
 * "." and ".." are left out. cb returns 0 to go on, anything else to stop. 0 or a negative errno
 * (-EOPNOTSUPP for a file of more than ISO_MAX_EXTENTS extents, -EBADMSG for a corrupt tree).
 */
int iso_read_dir(const struct iso_volume *v, const struct iso_dirent *dir,
		 int (*cb)(void *ud, const char *name, const struct iso_file *f), void *ud);

/* Reads a whole regular file of at most max bytes, NUL-terminated; -EFBIG when larger. */
int iso_read_file(const struct iso_volume *v, const char *path, bool fold, size_t max, char **out,
		  size_t *out_len);

/* Everything isoboot-scan records: volume, El Torito boot entries, layouts, hybrid tables. */
int iso_inspect(const struct iso_source *src, struct iso_info *info);

/* Reading from a file descriptor. */
struct iso_fd_source {
	struct iso_source src;
	int fd;
};
void iso_fd_source_init(struct iso_fd_source *s, int fd, uint64_t size);

const char *iso_platform_to_string(enum iso_platform p);
const char *iso_emulation_to_string(enum iso_emulation e);
int iso_platform_from_string(const char *s);
int iso_emulation_from_string(const char *s);
const char *iso_layout_to_string(unsigned layout_bit);
int iso_layout_from_string(const char *s);
