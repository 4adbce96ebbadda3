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
