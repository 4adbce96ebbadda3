/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Boot recipes: how an ISO of a known family boots over the network with its own kernel,
 * initrds and kernel parameters, the files its initrd needs fetched over HTTP from inside the
 * ISO. The families are a table of data (recipe.c); isoboot-scan derives an ISO's recipe once
 * and writes it into the catalog, where isoboot-menu only substitutes the server's address.
 *
 * Placeholders in the parameters, replaced by isoboot-menu per request:
 *   {files}   http://HOST[:PORT]/iso/<id>/files (no trailing '/')
 *   {iso}     http://HOST[:PORT]/iso/<id>/<name>.iso, the whole image
 *   {server}  HOST, the address the client reached
 */

#include <stdint.h>

#include "bootcfg.h"
#include "catalog.h"
#include "iso9660.h"

/* Where an ISO's own boot configuration may be, in the order they are tried. */
extern const char *const recipe_config_paths[];

/*
 * Reads the ISO's boot configuration and fills in e->recipe (and the fields that go with it)
 * when its default entry belongs to a family of the table. Returns 1 with a recipe, 0 without
 * (*why says why, static text), or -ENOMEM. Problems of the ISO are never errors.
 */
int recipe_derive(const struct iso_volume *v, struct catalog_entry *e, const char **why);

/*
 * The recipe part only, for tests and the fuzzer: a family for an entry of a boot
 * configuration, with the ISO's files looked up through v.
 */
int recipe_from_entry(const struct iso_volume *v, const struct bootcfg_entry *be,
		      struct catalog_entry *e, const char **why);
