/* SPDX-License-Identifier: MIT */
#include "medium.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NEWC_HEADER 110u
#define BLOCK_BYTES (64u << 10)
#define PIECES_MAX (8u * MEDIUM_MAX_ENTRIES + 16u)
#define STORED_MAX 65535u /* bytes of a stored deflate block (RFC 1951 3.2.4) */

/* CRC-32 as gzip has it (RFC 1952 8: ISO 3309, reflected, 0xEDB88320). */
static uint32_t crc_table[256];

__attribute__((constructor)) static void crc_table_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

struct medium_block {
	struct medium_block *next;
	size_t used;
	uint8_t data[BLOCK_BYTES];
};

struct build {
	const struct iso_volume *v;
	struct medium *m;
	uint32_t ino;
	unsigned pad; /* zero bytes owed after the last file's data */
	size_t entries;
	char path[MEDIUM_NAME_MAX];
};

void medium_free(struct medium *m)
{
	if (!m)
		return;
	while (m->blocks) {
		struct medium_block *b = m->blocks;
		m->blocks = b->next;
		free(b);
	}
	free(m->pieces);
	free(m);
}

static uint8_t *block_alloc(struct medium *m, size_t n)
{
	if (!m->blocks || BLOCK_BYTES - m->blocks->used < n) {
		struct medium_block *b = malloc(sizeof(*b));
		if (!b)
			return NULL;
		b->next = m->blocks;
		b->used = 0;
		m->blocks = b;
	}
	uint8_t *p = m->blocks->data + m->blocks->used;
	m->blocks->used += n;
	return p;
}

/* Appends p to m's pieces, at the end of its stream. */
static int piece_push(struct medium *m, struct medium_piece p)
{
	if (p.length == 0)
		return 0;
	if (m->n_pieces == m->cap_pieces) {
		if (m->cap_pieces >= PIECES_MAX)
			return -E2BIG;
		size_t cap = m->cap_pieces ? 2 * m->cap_pieces : 256;
		struct medium_piece *q = realloc(m->pieces, cap * sizeof(*q));
		if (!q)
			return -ENOMEM;
		m->pieces = q;
		m->cap_pieces = cap;
	}
	p.at = m->size;
	m->pieces[m->n_pieces++] = p;
	m->size += p.length;
	return 0;
}

/* Bytes of the archive: from mem, or from the image at offset. */
static int piece_add(struct medium *m, uint64_t length, uint64_t offset, const uint8_t *mem)
{
	return piece_push(
	    m, (struct medium_piece){.length = length, .offset = offset, .mem = mem, .raw = true});
}

/*
 * Puts the archive (m's pieces) into a gzip stream of stored blocks: the gzip header, each block's
 * header before up to STORED_MAX bytes of the archive (pieces split where a block ends), and the
 * trailer, filled in when it is read.
 */
static int wrap_gzip(struct medium *m)
{
	static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	struct medium w = {0};
	size_t i = 0;
	uint64_t in = 0; /* into piece i */
	int r = piece_push(&w, (struct medium_piece){.length = sizeof(header), .mem = header});

	for (uint64_t b = 0; r == 0 && b < m->size; b += STORED_MAX) {
		uint64_t len = m->size - b < STORED_MAX ? m->size - b : STORED_MAX;
		uint8_t *h = block_alloc(m, 5);
		if (!h) {
			r = -ENOMEM;
			break;
		}
		h[0] = b + len == m->size; /* BFINAL; BTYPE 00: stored */
		h[1] = (uint8_t)(len & 0xff);
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)(~len & 0xff);
		h[4] = (uint8_t)((~len >> 8) & 0xff);
		r = piece_push(&w, (struct medium_piece){.length = 5, .mem = h, .raw_at = b});
		for (uint64_t left = len; r == 0 && left > 0;) {
			const struct medium_piece *p = &m->pieces[i];
			uint64_t n = p->length - in < left ? p->length - in : left;
			struct medium_piece q = *p;
			q.length = n;
			q.raw_at = p->at + in;
			if (q.mem)
				q.mem += in;
			else
				q.offset += in;
			r = piece_push(&w, q);
			left -= n;
			in += n;
			if (in == p->length) {
				i++;
				in = 0;
			}
		}
	}
	if (r == 0)
		r = piece_push(
		    &w, (struct medium_piece){
			    .length = 8, .mem = m->trailer, .raw_at = m->size, .trailer = true});
	if (r < 0) {
		free(w.pieces);
		return r;
	}
	free(m->pieces);
	m->raw_size = m->size;
	m->pieces = w.pieces;
	m->n_pieces = w.n_pieces;
	m->cap_pieces = w.cap_pieces;
	m->size = w.size;
	return 0;
}

/*
 * One newc entry: the padding owed by the entry before, the header, the name and its padding in
 * one piece of memory; then the data (from mem, or the extents of f in the image).
 */
static int entry_add(struct build *b, unsigned mode, uint64_t size, const struct iso_file *f,
		     const char *mem)
{
	size_t namesize = strlen(b->path) + 1;
	size_t name_pad = (4 - (NEWC_HEADER + namesize) % 4) % 4;
	size_t n = b->pad + NEWC_HEADER + namesize + name_pad;
	int r;

	if (size > UINT32_MAX)
		return -EFBIG;
	if (++b->entries > MEDIUM_MAX_ENTRIES + 8)
		return -E2BIG;
	uint8_t *h = block_alloc(b->m, n);
	if (!h)
		return -ENOMEM;
	memset(h, 0, b->pad);
	char head[NEWC_HEADER + 1];
	/* ino, mode, uid, gid, nlink, mtime, filesize, dev major/minor, rdev major/minor,
	 * namesize, check: the kernel links entries only when nlink > 1. */
	snprintf(head, sizeof(head), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++b->ino, mode, 0u, 0u, (mode & 0040000) ? 2u : 1u, 0u, (unsigned)size, 0u, 0u, 0u,
		 0u, (unsigned)namesize, 0u);
	memcpy(h + b->pad, head, NEWC_HEADER);
	memcpy(h + b->pad + NEWC_HEADER, b->path, namesize);
	memset(h + b->pad + NEWC_HEADER + namesize, 0, name_pad);
	r = piece_add(b->m, n, 0, h);
	if (r < 0)
		return r;
	if (mem)
		r = piece_add(b->m, size, 0, (const uint8_t *)mem);
	for (size_t i = 0; f && r == 0 && i < f->n_extents; i++)
		r = piece_add(b->m, f->extents[i].length, f->extents[i].offset, NULL);
	b->pad = (unsigned)((4 - size % 4) % 4);
	return r;
}

/* Appends "/name" to b->path: the old length, or a negative errno. */
static int path_push(struct build *b, const char *name)
{
	size_t l = strlen(b->path), n = strlen(name);

	/* A name is one component: never empty, ".", ".." or with a '/' (a hostile tree). */
	if (n == 0 || streq(name, ".") || streq(name, "..") || strchr(name, '/'))
		return -EBADMSG;
	if (l + 1 + n >= sizeof(b->path))
		return -ENAMETOOLONG;
	b->path[l] = '/';
	memcpy(b->path + l + 1, name, n + 1);
	return (int)l;
}

static int walk(struct build *b, const struct iso_dirent *dir, unsigned depth);

struct walk_ctx {
	struct build *b;
	unsigned depth;
};

static int walk_cb(void *ud, const char *name, const struct iso_file *f)
{
	struct walk_ctx *w = ud;
	struct build *b = w->b;
	int l = path_push(b, name);

	if (l < 0)
		return l;
	int r;
	if (f->directory) {
		b->m->dirs++;
		r = entry_add(b, 0040755, 0, NULL, NULL);
		if (r == 0)
			r = walk(b, &f->dirent, w->depth + 1);
	} else {
		b->m->files++;
		b->m->payload += f->size;
		r = entry_add(b, 0100644, f->size, f, NULL);
	}
	b->path[l] = '\0';
	return r;
}

static int walk(struct build *b, const struct iso_dirent *dir, unsigned depth)
{
	struct walk_ctx w = {b, depth};

	if (depth > MEDIUM_MAX_DEPTH)
		return -ELOOP;
	return iso_read_dir(b->v, dir, walk_cb, &w);
}

/*
 * The extras, without their parent folders: those are the initrd's own, and may be links there
 * (Debian 13's installer has /lib -> usr/lib), which a folder of the same name in this archive
 * would replace by an empty one.
 */
static int extras_add(struct build *b, const struct medium_extra *extras, size_t n_extras)
{
	for (size_t i = 0; i < n_extras; i++) {
		const char *p = extras[i].path;
		if (strlen(p) >= sizeof(b->path) || !*p || p[0] == '/')
			return -EINVAL;
		snprintf(b->path, sizeof(b->path), "%s", p);
		int r = entry_add(b, 0100000 | (extras[i].mode & 07777), strlen(extras[i].text),
				  NULL, extras[i].text);
		if (r < 0)
			return r;
	}
	return 0;
}

int medium_build(const struct iso_volume *v, const char *const *dirs, size_t n_dirs,
		 const struct medium_extra *extras, size_t n_extras, struct medium **out)
{
	struct medium *m = calloc(1, sizeof(*m));
	struct build *b = calloc(1, sizeof(*b));
	bool any = false;
	int r = -ENOMEM;

	if (!m || !b)
		goto fail;
	b->v = v;
	b->m = m;
	snprintf(b->path, sizeof(b->path), MEDIUM_ROOT);
	r = entry_add(b, 0040755, 0, NULL, NULL);
	for (size_t i = 0; r == 0 && i < n_dirs && i < MEDIUM_MAX_DIRS; i++) {
		struct iso_dirent d;
		if (!dirs[i] || strchr(dirs[i], '/'))
			continue;
		int q = iso_lookup(v, dirs[i], true, &d);
		if (q == -ENOENT || q == -ENOTDIR || (q == 0 && !d.directory))
			continue;
		r = q < 0 ? q : path_push(b, dirs[i]);
		if (r < 0)
			break;
		any = true;
		m->dirs++;
		r = entry_add(b, 0040755, 0, NULL, NULL);
		if (r == 0)
			r = walk(b, &d, 1);
		b->path[sizeof(MEDIUM_ROOT) - 1] = '\0';
	}
	if (r == 0 && !any)
		r = -ENOENT;
	if (r == 0)
		r = extras_add(b, extras, n_extras);
	if (r == 0) {
		snprintf(b->path, sizeof(b->path), "TRAILER!!!");
		r = entry_add(b, 0, 0, NULL, NULL);
	}
	if (r == 0)
		r = wrap_gzip(m);
	if (r < 0)
		goto fail;
	free(b);
	*out = m;
	return 0;
fail:
	free(b);
	medium_free(m);
	return r;
}

size_t medium_pieces_find(const struct medium_piece *p, size_t n, uint64_t at)
{
	size_t lo = 0, hi = n;

	/* The last piece that starts at or before at. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (p[mid].at <= at)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The archive's bytes at raw_at, just read: into the CRC when they continue it. */
static void crc_feed(struct medium *m, uint64_t raw_at, const uint8_t *p, size_t n)
{
	if (raw_at > m->crc_at || raw_at + n <= m->crc_at)
		return;
	size_t skip = (size_t)(m->crc_at - raw_at);
	m->crc = crc_update(m->crc, p + skip, n - skip);
	m->crc_at = raw_at + n;
}

static int piece_read(const struct medium_piece *p, const struct iso_source *src, uint8_t *o,
		      uint64_t in, size_t n)
{
	if (p->mem) {
		memcpy(o, p->mem + in, n);
		return 0;
	}
	ssize_t got = src->read(src->userdata, o, n, p->offset + in);
	if (got < 0)
		return (int)got;
	return (size_t)got == n ? 0 : -EIO;
}

/* The CRC of the whole archive, reading what was not read in order; then the trailer. */
static int trailer_fill(struct medium *m, const struct iso_source *src)
{
	uint8_t buf[16384];

	for (size_t i = 0; i < m->n_pieces && m->crc_at < m->raw_size; i++) {
		const struct medium_piece *p = &m->pieces[i];
		if (!p->raw || p->raw_at + p->length <= m->crc_at)
			continue;
		for (uint64_t in = m->crc_at - p->raw_at; in < p->length;) {
			size_t n =
			    p->length - in < sizeof(buf) ? (size_t)(p->length - in) : sizeof(buf);
			int r = piece_read(p, src, buf, in, n);
			if (r < 0)
				return r;
			crc_feed(m, p->raw_at + in, buf, n);
			in += n;
		}
	}
	for (int k = 0; k < 4; k++) {
		m->trailer[k] = (uint8_t)(m->crc >> (8 * k));
		m->trailer[4 + k] = (uint8_t)(m->raw_size >> (8 * k)); /* ISIZE: modulo 2^32 */
	}
	return 0;
}

int medium_read(struct medium *m, const struct iso_source *src, void *buf, size_t len, uint64_t pos)
{
	uint8_t *o = buf;

	if (pos > m->size || len > m->size - pos)
		return -EINVAL;
	for (size_t i = len ? medium_pieces_find(m->pieces, m->n_pieces, pos) : m->n_pieces;
	     len > 0; i++) {
		const struct medium_piece *p = &m->pieces[i];
		uint64_t in = pos - p->at;
		size_t n = p->length - in < len ? (size_t)(p->length - in) : len;
		int r = p->trailer ? trailer_fill(m, src) : 0;
		if (r == 0)
			r = piece_read(p, src, o, in, n);
		if (r < 0)
			return r;
		if (p->raw)
			crc_feed(m, p->raw_at + in, o, n);
		o += n;
		pos += n;
		len -= n;
	}
	return 0;
}

/*
 * Debian's installer (CD flavour): cdrom-detect takes a /cdrom that holds .disk/info for a CD
 * mounted already and skips what it does after mounting one: reading the suite (only newer
 * versions still do) and queueing the udebs that the CD's installer needs from then on (as
 * cdrom-detect's postinst does, for anna to load from /cdrom).
 */
static const char debian_installer_hook[] =
    "#!/bin/sh\n"
    "# Added by isoboot-menu (isoboot-medium.cpio): the installer's medium came with its initrds\n"
    "# and is /cdrom already, not a mounted CD. cdrom-detect takes /cdrom/.disk/info for a CD\n"
    "# that is mounted and skips what it does after mounting one; this does that part.\n"
    "[ -e /cdrom/.disk/info ] || exit 0\n"
    "suite=\n"
    "codename=\n"
    "for dir in $(cat /etc/default-release 2>/dev/null) $(ls /cdrom/dists 2>/dev/null); do\n"
    "\t[ -e \"/cdrom/dists/$dir/Release\" ] || continue\n"
    "\tsuite=$(sed -n 's/^Suite: *//p' \"/cdrom/dists/$dir/Release\")\n"
    "\tcodename=$(sed -n 's/^Codename: *//p' \"/cdrom/dists/$dir/Release\")\n"
    "\tbreak\n"
    "done\n"
    "if [ -n \"$codename\" ]; then\n"
    "\tdebconf-set cdrom/suite \"$suite\" || true\n"
    "\tdebconf-set cdrom/codename \"$codename\" || true\n"
    "fi\n"
    "queue=/var/lib/anna-install/queue\n"
    "mkdir -p /var/lib/anna-install\n"
    "touch $queue\n"
    "want=apt-mirror-setup\n"
    "if [ -e /cdrom/.disk/base_installable ]; then\n"
    "\twant=\"$want apt-cdrom-setup${codename:+ $codename-support}\"\n"
    "else\n"
    "\twant=\"$want choose-mirror\"\n"
    "fi\n"
    "for p in $want; do\n"
    "\tgrep -qx \"$p\" $queue || echo \"$p\" >>$queue\n"
    "done\n"
    "logger -t isoboot \"installation medium in RAM from the network: $(cat /cdrom/.disk/info)\"\n";

static const struct medium_extra debian_installer_extras[] = {
    {"lib/debian-installer-startup.d/S31isoboot-medium", 0755, debian_installer_hook},
};

size_t medium_extras(const char *family, const struct medium_extra **out)
{
	if (family && streq(family, "debian-installer")) {
		*out = debian_installer_extras;
		return ARRAY_SIZE(debian_installer_extras);
	}
	*out = NULL;
	return 0;
}
