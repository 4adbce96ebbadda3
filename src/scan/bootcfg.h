/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Reading an ISO's own boot configuration (isolinux/syslinux and GRUB) for its default entry:
 * kernel, initrds and kernel parameters. Nothing is executed: the parsers follow includes,
 * menus, submenus, variables and conditionals only as far as needed to find that entry, skip
 * what they do not know, and bound everything (file sizes, file count, include depth).
 */

#include <stdbool.h>
#include <stddef.h>

#define BOOTCFG_MAX_INITRDS 8
#define BOOTCFG_MAX_FILE (256u << 10) /* a configuration file larger than this is not read */
#define BOOTCFG_MAX_FILES 32	      /* files read for one configuration, includes included */
#define BOOTCFG_MAX_DEPTH 8	      /* include nesting */
#define BOOTCFG_MAX_ENTRIES 256	      /* entries looked at per configuration */
#define BOOTCFG_MAX_ARGS 2048	      /* bytes of kernel parameters (x86 COMMAND_LINE_SIZE) */

struct bootcfg_entry {
	char *label;  /* the entry's title, for messages */
	char *kernel; /* path in the ISO, without a leading '/': "live/vmlinuz" */
	char *initrd[BOOTCFG_MAX_INITRDS]; /* likewise */
	size_t n_initrd;
	char *append; /* kernel parameters as the configuration gives them ("" when none) */
};

struct bootcfg_reader {
	/*
	 * Reads the file at path (in the ISO, without a leading '/') into a malloc'ed,
	 * NUL-terminated buffer of at most BOOTCFG_MAX_FILE bytes. 0 or a negative errno.
	 */
	int (*read)(void *ud, const char *path, char **text, size_t *len);
	void *ud;
};

void bootcfg_entry_finish(struct bootcfg_entry *e);

/*
 * The default Linux entry of the syslinux/isolinux configuration at path: MENU DEFAULT, else
 * DEFAULT or ONTIMEOUT naming a label, else the first Linux label. 0, -ENOENT when there is no
 * Linux entry, -ENOMEM, or the reader's error for path itself (includes that cannot be read
 * are skipped).
 */
int bootcfg_syslinux(const struct bootcfg_reader *rd, const char *path, struct bootcfg_entry *out);

/*
 * The default Linux entry of the GRUB configuration at path: "set default" as an index, title
 * or id, else the first entry; an entry without a kernel gives way to the first Linux entry.
 * Returns as bootcfg_syslinux().
 */
int bootcfg_grub(const struct bootcfg_reader *rd, const char *path, struct bootcfg_entry *out);

/*
 * Joins base (a directory in the ISO) and p (absolute, or relative to base; GRUB's "(dev)"
 * prefix dropped) into a normalised path without a leading '/', "." and ".." resolved inside
 * the ISO. NULL on ENOMEM or an empty result.
 */
char *bootcfg_path(const char *base, const char *p);
