/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An installer's medium as an extra initrd: folders of an ISO as a newc cpio archive under
 * /cdrom/, which the kernel unpacks into its initramfs after the ISO's own initrd, plus files of
 * isoboot's own (a hook for the installer). Debian's installer ISOs boot with the installer's CD
 * flavour, which has no network: it finds its medium this way, in RAM. The archive is never
 * stored: isoboot-scan builds it once to learn its size, isoboot-menu for each download, both
 * from the ISO's directories, and a body is read piece by piece (header bytes in memory, file
 * bytes from the image).
 *
 * The archive goes out inside a gzip stream of stored (not compressed) deflate blocks. The
 * kernel finds an uncompressed archive only at an offset that is a multiple of 4 from the start
 * of all initrds together, and some loaders (the EFI stub, with initrd= names) put initrds end
 * to end; a compressed one is found wherever it starts.
 */

#include <stddef.h>
#include <stdint.h>

#include "iso9660.h"

#define MEDIUM_ROOT "cdrom"
#define MEDIUM_MAX_DIRS 8
#define MEDIUM_MAX_ENTRIES 400000u /* files and folders; a Debian DVD has some 40000 */
#define MEDIUM_MAX_DEPTH 32u
#define MEDIUM_NAME_MAX 1024u /* path in the archive, with its NUL */

/* A piece of the stream: length bytes from mem, or from the image at offset. */
struct medium_piece {
	uint64_t at; /* in the stream */
	uint64_t length;
	uint64_t offset;
	const uint8_t *mem;
	uint64_t raw_at; /* in the archive, for its bytes (raw) */
	bool raw;	 /* bytes of the archive, not of gzip's framing */
	bool trailer;	 /* gzip's trailer: the archive's CRC-32 and size, known once read */
};

/* A file of isoboot's own in the archive (path without a leading '/'): its folder must be in the
 * initrd it joins, which may have it as a link. */
struct medium_extra {
	const char *path;
	unsigned mode; /* permission bits */
	const char *text;
};

struct medium_block;
struct medium {
	struct medium_piece *pieces;
	size_t n_pieces, cap_pieces;
	uint64_t size;		     /* of the whole stream, gzip's framing included */
	uint64_t raw_size;	     /* of the cpio archive in it */
	uint64_t payload;	     /* bytes of the ISO's files in it */
	size_t files, dirs;	     /* of the ISO's, in it */
	struct medium_block *blocks; /* header bytes */
	/* The CRC-32 of the archive's first crc_at bytes, as they were read in order. */
	uint32_t crc;
	uint64_t crc_at;
	uint8_t trailer[8];
};

/*
 * Builds the archive of the folders dirs (paths in the ISO; a missing one is left out) and the
 * extras. 0, -ENOENT when none of the folders is in the ISO, -EFBIG for a file of 4 GiB or more
 * (newc sizes are 32-bit), -E2BIG past MEDIUM_MAX_ENTRIES, -ENAMETOOLONG, -ELOOP past
 * MEDIUM_MAX_DEPTH, or the ISO's errors (-EBADMSG for a corrupt tree). *out is freed with
 * medium_free() on success only.
 */
int medium_build(const struct iso_volume *v, const char *const *dirs, size_t n_dirs,
		 const struct medium_extra *extras, size_t n_extras, struct medium **out);
void medium_free(struct medium *m);

/* The index of the piece of p[0..n) (in stream order) that holds byte at of their stream. */
size_t medium_pieces_find(const struct medium_piece *p, size_t n, uint64_t at);

/*
 * Reads len bytes at pos of the stream through src (the image): 0 or a negative errno (-EINVAL
 * past the end, -EIO when the image is shorter than its tree says). Read in order, the trailer
 * costs nothing more; otherwise reaching it reads the archive again from where the order broke.
 */
int medium_read(struct medium *m, const struct iso_source *src, void *buf, size_t len,
		uint64_t pos);

/* The files of isoboot's own that a recipe's family needs in its medium (*out, their count). */
size_t medium_extras(const char *family, const struct medium_extra **out);
