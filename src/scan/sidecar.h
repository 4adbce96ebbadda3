/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Per-ISO settings: a file NAME.iso.isoboot beside NAME.iso, in INI, read by isoboot-scan:
 *
 *   [iso]
 *   name = Debian 12 live (lab 3)     display name in the menu
 *   append = nomodeset                 kernel parameters added to the boot recipe's (repeatable)
 *   method = auto|live|sanboot|memdisk the menu's first (and default) way to boot it
 *   hidden = yes|no                    left out of the menu
 *
 * A sidecar with any error is ignored as a whole: the ISO is catalogued as if it had none, and
 * the errors ("FILE:LINE: message") go into the scan's journal line for that ISO.
 */

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"

#define SIDECAR_SUFFIX ".isoboot"
#define SIDECAR_MAX_BYTES (64u << 10) /* a larger file is an error, not read */
#define SIDECAR_NAME_MAX 128	      /* bytes of a display name */
#define SIDECAR_APPEND_MAX 1024	      /* bytes of added kernel parameters, all lines joined */
#define SIDECAR_PROBLEMS_MAX 1024     /* bytes of error text kept */

struct sidecar {
	char *name;   /* NULL: the file name */
	char *append; /* NULL: none */
	enum catalog_method method;
	bool hidden;
};

void sidecar_finish(struct sidecar *s);

/*
 * Parses text (len bytes, NUL bytes are an error) of the sidecar called file (for messages).
 * 0 when it is valid; -EINVAL with problems (at most SIDECAR_PROBLEMS_MAX bytes, lines
 * "FILE:LINE: message" joined by "; ") filled in and *out empty; -ENOMEM.
 */
int sidecar_parse(const char *file, const char *text, size_t len, struct sidecar *out,
		  char problems[SIDECAR_PROBLEMS_MAX]);

/* Moves the settings into the catalog entry (name, extra, method, hidden). */
void sidecar_apply(struct sidecar *s, struct catalog_entry *e);
