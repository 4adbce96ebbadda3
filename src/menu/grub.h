/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "ipxe.h"

/*
 * Generates the GRUB configuration for the catalog (GET /grub.cfg): for UEFI clients whose
 * signed chain (shim, the distribution's GRUB) cannot run iPXE. The ISOs with a boot recipe
 * boot their own kernel over HTTP; the others say that they need Secure Boot off, and with it
 * off an entry hands over to iPXE. Same default and timeout as the iPXE menu. Into a malloc'ed,
 * NUL-terminated buffer; 0 or -ENOMEM.
 */
int menu_grub_script(const struct catalog *c, const struct menu_params *p, char **out,
		     size_t *out_len);

/*
 * The configuration the ISO p->own_id's own signed GRUB reads when the client booted that
 * loader (GET /sb/<id>/.../grub.cfg, sbnext.h): boots its kernel and initrd by its recipe, from
 * isoboot-menu; when that fails, says why and restarts the client, which then gets the menu
 * again. For an id not in the catalog or without a recipe it says so and restarts. 0 or -ENOMEM.
 */
int menu_grub_own_config(const struct catalog *c, const struct menu_params *p, char **out,
			 size_t *out_len);

/*
 * The answer to the Secure Boot menu's choice of an ISO's own loader (GET /sbnext/<mac>/<id>),
 * a GRUB script: restarts the client into the ISO's loader (name: its display name) when problem
 * is NULL (the choice was recorded), else says problem and returns to the menu. 0 or -ENOMEM.
 */
int menu_grub_next_reply(const char *name, const char *problem, char **out, size_t *out_len);
