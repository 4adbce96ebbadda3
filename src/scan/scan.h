/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct catalog;
struct isoboot_config;
struct catalog_entry;
struct iso_info;
struct stat;

struct scan_stats {
	size_t isos;
	size_t skipped;
};

#define SCAN_MAX_DEPTH 8

/*
 * Walks iso_dir and appends one entry per usable ISO to cat, sorted for the menu. Every file it
 * passes over gets one log line saying why. Fails only when iso_dir itself is unusable.
 */
int scan_directory(const char *iso_dir, const char *iqn_prefix, struct catalog *cat,
		   struct scan_stats *stats);

/* Fills a catalog entry from what iso_inspect() found in the file at relative path rel. */
int scan_entry_fill(struct catalog_entry *e, const char *id, const char *rel, const char *group,
		    const char *iqn_prefix, const struct stat *st, const struct iso_info *info);

/*
 * A whole scan: the ISO folder into the catalog file (written only when it changed), with the
 * changes and a summary logged; or the catalog to stdout. isoboot-scan's work, and
 * isoboot-web's after it changed the folder. Errors are logged.
 */
int scan_update(const struct isoboot_config *cfg, bool to_stdout);
