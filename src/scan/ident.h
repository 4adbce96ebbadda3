/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Who an ISO says it is, for its name in the menu: the first line of .disk/info (Debian,
 * Ubuntu and their derivatives) or .treeinfo's family, version, variant and architecture (Fedora,
 * RHEL and their rebuilds). Nothing is read but those two small files.
 */

#include <stddef.h>

#include "iso9660.h"

#define IDENT_MAX 80 /* bytes of a name (as the menu shows them); longer ones are cut at a word */
#define IDENT_FILE_MAX 8192 /* larger files are not read */

/* The name from the text of .disk/info or .treeinfo; NULL when it gives none (or ENOMEM). */
char *ident_from_disk_info(const char *text, size_t len);
char *ident_from_treeinfo(const char *text, size_t len);

/* The name the ISO gives itself: 1 with *out (to free), 0 without, or -ENOMEM. */
int ident_name(const struct iso_volume *v, char **out);
