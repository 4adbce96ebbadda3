/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for an installer's medium (medium.h): the folders of a hostile ISO 9660 tree
 * as a newc cpio archive in a gzip stream of stored blocks. The input is the image from block 16
 * on, as for fuzz-iso9660. A medium that is built must read back whole, piece by piece, as a
 * well-formed stream (blocks and trailer) of a well-formed archive: each entry's header where the
 * one before ends, cpio's trailer last.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-image.h"
#include "iso9660.h"
#include "medium.h"

static unsigned hex8(const uint8_t *p)
{
	char s[9];
	memcpy(s, p, 8);
	s[8] = '\0';
	return (unsigned)strtoul(s, NULL, 16);
}

/* Walks the archive's entries; aborts on anything the kernel would not read. */
static void check_archive(const uint8_t *a, size_t len)
{
	size_t o = 0;

	for (;;) {
		if (o + 110 > len || memcmp(a + o, "070701", 6) != 0)
			abort();
		unsigned size = hex8(a + o + 54), namesize = hex8(a + o + 94);
		if (namesize < 2 || namesize > MEDIUM_NAME_MAX || o + 110 + namesize > len ||
		    a[o + 110 + namesize - 1] != '\0' || memchr(a + o + 110, '\0', namesize - 1))
			abort();
		bool trailer = strcmp((const char *)a + o + 110, "TRAILER!!!") == 0;
		o = (o + 110 + namesize + 3) & ~(size_t)3;
		o = (o + size + 3) & ~(size_t)3;
		if (o > len)
			abort();
		if (trailer) {
			if (o != len)
				abort();
			return;
		}
	}
}

/* The archive inside the stream (in place: blocks' data moved to the front); its length. */
static size_t unwrap(uint8_t *g, size_t glen, uint64_t raw_size)
{
	size_t o = 0, i = 10;

	if (glen < 18 || g[0] != 0x1f || g[1] != 0x8b || g[2] != 8)
		abort();
	for (bool last = false; !last;) {
		if (i + 5 > glen || (g[i] & 0xfe) != 0)
			abort();
		last = g[i] & 1;
		size_t n = (size_t)(g[i + 1] | g[i + 2] << 8);
		if ((n ^ (size_t)(g[i + 3] | g[i + 4] << 8)) != 0xffff || i + 5 + n > glen)
			abort();
		memmove(g + o, g + i + 5, n);
		o += n;
		i += 5 + n;
	}
	uint32_t isize =
	    (uint32_t)(g[i + 4] | g[i + 5] << 8 | g[i + 6] << 16 | (uint32_t)g[i + 7] << 24);
	if (i + 8 != glen || o != raw_size || isize != (uint32_t)raw_size)
		abort();
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dirs[] = {".disk", "dists", "pool", "firmware"};
	struct fuzz_image img = {data, size};
	struct iso_source src = fuzz_image_source(&img);
	const struct medium_extra *extras;
	size_t n_extras = medium_extras("debian-installer", &extras);
	struct iso_volume v;
	struct medium *m;
	const char *problem;

	if (iso_volume_open(&v, &src, &problem) < 0)
		return 0;
	if (medium_build(&v, dirs, 4, extras, n_extras, &m) < 0)
		return 0;
	/* Small enough to hold: the image's files are in it at most once each... unless the
	 * tree names the same extents again and again; then reading in pieces is enough. */
	if (m->raw_size % 4 != 0 || m->raw_size < 110 || m->size <= m->raw_size)
		abort();
	if (m->size <= (64u << 20)) {
		uint8_t *a = malloc(m->size);
		if (!a)
			abort();
		if (medium_read(m, &src, a, m->size, 0) < 0)
			abort();
		check_archive(a, unwrap(a, m->size, m->raw_size));
		free(a);
	}
	medium_free(m);
	return 0;
}
