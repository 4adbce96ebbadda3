/* SPDX-License-Identifier: MIT */
/* One catalog entry as isoboot-scan writes them, for the tests (and fuzz targets) of the catalog
 * and its readers. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

/* Appends an entry with id (and the IQN isoboot-scan makes of it) for path in group, named name,
 * with label; no size, no time, no boot entry. */
static inline struct catalog_entry *fixture_entry(struct catalog *c, const char *id,
						  const char *path, const char *group,
						  const char *name, const char *label)
{
	struct catalog_entry *e = catalog_add(c);

	if (!e)
		abort();
	e->id = strdup(id);
	if (asprintf(&e->iqn, "iqn.2025-01.org.isoboot:%s", id) < 0)
		e->iqn = NULL;
	e->path = strdup(path);
	e->group = strdup(group);
	e->name = strdup(name);
	e->label = strdup(label);
	return e;
}

/* Appends an entry for path (its id and IQN made from it as isoboot-scan makes them) in group,
 * named name (NULL: the path's last segment); a 5 GiB image with a label and a time. */
static inline struct catalog_entry *fixture_add(struct catalog *c, const char *path,
						const char *group, const char *name)
{
	char id[CATALOG_ID_MAX];

	if (catalog_make_id(path, id) < 0)
		abort();
	const char *base = strrchr(path, '/');
	struct catalog_entry *e = fixture_entry(c, id, path, group,
						name   ? name
						: base ? base + 1
						       : path,
						"LABEL");
	e->size = 5ull << 30;
	e->mtime = 1700000000;
	e->volume_size = 5ull << 30;
	return e;
}
