/* SPDX-License-Identifier: MIT */
/*
 * Builds small ISO 9660 images in memory, field by field, so that tests can make both valid and
 * deliberately broken ones. Block numbers are chosen by the test.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct tiso {
	uint8_t *img;
	size_t size;
	uint32_t blocks;
	uint32_t next_vd;
};

static inline void tiso_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void tiso_both32(uint8_t *p, uint32_t v)
{
	tiso_le32(p, v);
	p[4] = (uint8_t)(v >> 24);
	p[5] = (uint8_t)(v >> 16);
	p[6] = (uint8_t)(v >> 8);
	p[7] = (uint8_t)v;
}

static inline uint8_t *tiso_block(struct tiso *t, uint32_t b)
{
	return t->img + (size_t)b * 2048;
}

/* Writes a directory record; returns its length. rr_name adds a Rock Ridge NM entry. */
static inline size_t tiso_record(uint8_t *p, const char *id, size_t idlen, uint32_t extent,
				 uint32_t size, uint8_t flags, const char *rr_name)
{
	size_t len = 33 + idlen + ((idlen & 1) ? 0 : 1);
	size_t su = len;

	if (rr_name)
		len += 5 + strlen(rr_name);
	if (len & 1)
		len++;
	memset(p, 0, len);
	p[0] = (uint8_t)len;
	tiso_both32(p + 2, extent);
	tiso_both32(p + 10, size);
	p[25] = flags;
	p[28] = 1;
	p[31] = 1;
	p[32] = (uint8_t)idlen;
	memcpy(p + 33, id, idlen);
	if (rr_name) {
		p[su] = 'N';
		p[su + 1] = 'M';
		p[su + 2] = (uint8_t)(5 + strlen(rr_name));
		p[su + 3] = 1;
		p[su + 4] = 0;
		memcpy(p + su + 5, rr_name, strlen(rr_name));
	}
	return len;
}

/* "." and ".." of a directory at block `self`; with susp, "." carries the SP entry. */
static inline size_t tiso_dot_records(uint8_t *p, uint32_t self, uint32_t parent, bool susp)
{
	size_t o = 0;

	if (susp) {
		uint8_t *r = p;
		size_t len = 34 + 7 + 1;
		memset(r, 0, len);
		r[0] = (uint8_t)len;
		tiso_both32(r + 2, self);
		tiso_both32(r + 10, 2048);
		r[25] = 2;
		r[32] = 1;
		r[33] = 0;
		r[34] = 'S';
		r[35] = 'P';
		r[36] = 7;
		r[37] = 1;
		r[38] = 0xBE;
		r[39] = 0xEF;
		r[40] = 0;
		o += len;
	} else {
		o += tiso_record(p, "\0", 1, self, 2048, 2, NULL);
	}
	o += tiso_record(p + o, "\1", 1, parent, 2048, 2, NULL);
	return o;
}

/* Writes the set terminator after the last descriptor added. */
static inline void tiso_terminate(struct tiso *t)
{
	uint8_t *term = tiso_block(t, t->next_vd);
	term[0] = 255;
	memcpy(term + 1, "CD001", 5);
	term[6] = 1;
}

/* A valid image of `blocks` blocks: PVD at 16, further descriptors from 17 on, each followed by
 * the terminator, and the root directory at block 20. */
static inline int tiso_init(struct tiso *t, uint32_t blocks, const char *label, bool susp)
{
	t->blocks = blocks;
	t->size = (size_t)blocks * 2048;
	t->img = calloc(1, t->size);
	if (!t->img)
		return -1;
	uint8_t *pvd = tiso_block(t, 16);
	pvd[0] = 1;
	memcpy(pvd + 1, "CD001", 5);
	pvd[6] = 1;
	memset(pvd + 40, ' ', 32);
	memcpy(pvd + 40, label, strlen(label));
	tiso_both32(pvd + 80, blocks);
	pvd[128] = 0x00;
	pvd[129] = 0x08;
	pvd[130] = 0x08;
	pvd[131] = 0x00;
	tiso_record(pvd + 156, "\0", 1, 20, 2048, 2, NULL);
	t->next_vd = 17;
	tiso_terminate(t);
	tiso_dot_records(tiso_block(t, 20), 20, 20, susp);
	return 0;
}

/* Adds a Joliet supplementary descriptor whose root directory is at block root. */
static inline void tiso_joliet(struct tiso *t, uint32_t root)
{
	uint8_t *svd = tiso_block(t, t->next_vd++);
	tiso_terminate(t);
	svd[0] = 2;
	memcpy(svd + 1, "CD001", 5);
	svd[6] = 1;
	memcpy(svd + 88, "%/E", 3);
	tiso_record(svd + 156, "\0", 1, root, 2048, 2, NULL);
}

/* Adds an El Torito boot record pointing to a catalog at block cat_block. */
static inline void tiso_boot_record(struct tiso *t, uint32_t cat_block)
{
	uint8_t *br = tiso_block(t, t->next_vd++);
	tiso_terminate(t);
	br[0] = 0;
	memcpy(br + 1, "CD001", 5);
	br[6] = 1;
	memcpy(br + 7, "EL TORITO SPECIFICATION", 23);
	tiso_le32(br + 0x47, cat_block);
}

/* Validation entry for platform, with a correct checksum. */
static inline void tiso_validation(uint8_t *cat, uint8_t platform)
{
	memset(cat, 0, 32);
	cat[0] = 1;
	cat[1] = platform;
	cat[30] = 0x55;
	cat[31] = 0xAA;
	uint16_t sum = 0;
	for (int i = 0; i < 32; i += 2)
		sum = (uint16_t)(sum + (cat[i] | (cat[i + 1] << 8)));
	uint16_t fix = (uint16_t)(0 - sum);
	cat[28] = (uint8_t)fix;
	cat[29] = (uint8_t)(fix >> 8);
}

static inline void tiso_boot_entry(uint8_t *e, uint8_t media, uint16_t count, uint32_t rba)
{
	memset(e, 0, 32);
	e[0] = 0x88;
	e[1] = media;
	e[6] = (uint8_t)count;
	e[7] = (uint8_t)(count >> 8);
	tiso_le32(e + 8, rba);
}

static inline void tiso_section_header(uint8_t *h, bool final, uint8_t platform, uint16_t n)
{
	memset(h, 0, 32);
	h[0] = final ? 0x91 : 0x90;
	h[1] = platform;
	h[2] = (uint8_t)n;
	h[3] = (uint8_t)(n >> 8);
}

struct tiso_mem {
	const struct tiso *t;
};

static inline ssize_t tiso_read(void *ud, void *buf, size_t len, uint64_t off)
{
	const struct tiso *t = ud;
	if (off >= t->size)
		return 0;
	if (len > t->size - off)
		len = t->size - off;
	memcpy(buf, t->img + off, len);
	return (ssize_t)len;
}

/* Rock Ridge entries of a record besides the name. */
struct tiso_rr {
	const char *name;    /* NM, NULL for none */
	uint32_t mode;	     /* PX with this st_mode, 0 for none */
	const char *symlink; /* SL with this target ("docs/x", "/etc/passwd"), NULL for none */
};

/* Like tiso_record(), with the Rock Ridge entries of rr (NULL: none). */
static inline size_t tiso_record_rr(uint8_t *p, const char *id, size_t idlen, uint32_t extent,
				    uint32_t size, uint8_t flags, const struct tiso_rr *rr)
{
	uint8_t su[256];
	size_t n = 0;

	if (rr && rr->name && strlen(rr->name) < 100) {
		su[n++] = 'N';
		su[n++] = 'M';
		su[n++] = (uint8_t)(5 + strlen(rr->name));
		su[n++] = 1;
		su[n++] = 0;
		memcpy(su + n, rr->name, strlen(rr->name));
		n += strlen(rr->name);
	}
	if (rr && rr->mode) {
		uint8_t *px = su + n;
		memset(px, 0, 44);
		px[0] = 'P';
		px[1] = 'X';
		px[2] = 44;
		px[3] = 1;
		tiso_both32(px + 4, rr->mode);
		tiso_both32(px + 12, 1);
		n += 44;
	}
	if (rr && rr->symlink) {
		uint8_t *sl = su + n;
		size_t o = 5;
		const char *t = rr->symlink;
		if (*t == '/') { /* the root component */
			sl[o++] = 0x08;
			sl[o++] = 0;
			t++;
		}
		while (*t) {
			size_t c = strcspn(t, "/");
			if (n + o + 2 + c > 200)
				break; /* longer than this builder makes */
			sl[o++] = 0;
			sl[o++] = (uint8_t)c;
			for (size_t k = 0; k < c; k++)
				sl[o++] = (uint8_t)*t++;
			if (*t == '/')
				t++;
		}
		sl[0] = 'S';
		sl[1] = 'L';
		sl[2] = (uint8_t)o;
		sl[3] = 1;
		sl[4] = 0;
		n += o;
	}
	size_t len = 33 + idlen + ((idlen & 1) ? 0 : 1);
	size_t at = len;
	len += n;
	if (len & 1)
		len++;
	memset(p, 0, len);
	p[0] = (uint8_t)len;
	tiso_both32(p + 2, extent);
	tiso_both32(p + 10, size);
	p[25] = flags;
	p[28] = 1;
	p[31] = 1;
	p[32] = (uint8_t)idlen;
	memcpy(p + 33, id, idlen);
	memcpy(p + at, su, n);
	return len;
}

/* A file (or directory, or symbolic link) of an image that tiso_build() makes. */
struct tiso_file {
	const char *path; /* "live/vmlinuz"; with a trailing '/', a directory */
	const void *data; /* size bytes, or NULL for zeros */
	size_t size;
	const char *symlink; /* a Rock Ridge symbolic link to this, instead of a file */
};

#define TISO_MAX_DIRS 32

/*
 * Builds an image with a Rock Ridge tree of files (the directories they need are made, one
 * block each; the ISO 9660 names are the upper-case Rock Ridge names), the root at block 20,
 * directories from 21 on, then the files' data. 0, or -1 when it does not fit.
 */
static inline int tiso_build(struct tiso *t, const char *label, const struct tiso_file *files,
			     size_t n)
{
	struct {
		char path[256];
		uint32_t block;
		size_t parent, used;
	} dirs[TISO_MAX_DIRS];
	size_t n_dirs = 1;
	uint32_t next;

	memset(dirs, 0, sizeof(dirs));
	dirs[0].block = 20;
	/* Every directory of every path, parents first. */
	for (size_t i = 0; i < n; i++) {
		const char *p = files[i].path;
		for (const char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
			size_t l = (size_t)(s - p), d, parent = 0;
			if (l >= sizeof(dirs[0].path))
				return -1;
			for (d = 1; d < n_dirs; d++)
				if (strlen(dirs[d].path) == l && memcmp(dirs[d].path, p, l) == 0)
					break;
			if (d < n_dirs)
				continue;
			if (n_dirs >= TISO_MAX_DIRS)
				return -1;
			const char *up = memrchr(p, '/', l);
			for (size_t e = 1; up && e < n_dirs; e++)
				if (strlen(dirs[e].path) == (size_t)(up - p) &&
				    memcmp(dirs[e].path, p, (size_t)(up - p)) == 0)
					parent = e;
			memcpy(dirs[n_dirs].path, p, l);
			dirs[n_dirs].parent = parent;
			dirs[n_dirs].block = 20 + (uint32_t)n_dirs;
			n_dirs++;
		}
	}
	next = 20 + (uint32_t)n_dirs;
	uint32_t blocks = next;
	for (size_t i = 0; i < n; i++)
		blocks += (uint32_t)((files[i].size + 2047) / 2048);
	if (tiso_init(t, blocks + 1, label, true) < 0)
		return -1;
	for (size_t d = 0; d < n_dirs; d++)
		dirs[d].used = tiso_dot_records(tiso_block(t, dirs[d].block), dirs[d].block,
						dirs[dirs[d].parent].block, d == 0);
	/* Records: directories in their parents, then the files. */
	for (size_t k = 1; k < n_dirs + n; k++) {
		const struct tiso_file *f = k < n_dirs ? NULL : &files[k - n_dirs];
		const char *path = f ? f->path : dirs[k].path;
		size_t plen = strlen(path);
		if (f && plen > 0 && path[plen - 1] == '/')
			continue; /* a directory, made above */
		const char *base = strrchr(path, '/');
		size_t dl = base ? (size_t)(base - path) : 0, d = 0;
		base = base ? base + 1 : path;
		for (size_t e = 1; e < n_dirs; e++)
			if (strlen(dirs[e].path) == dl && memcmp(dirs[e].path, path, dl) == 0)
				d = e;
		char id[64];
		size_t il = 0;
		for (const char *c = base; *c && il < 30; c++)
			id[il++] =
			    (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A')
			    : ((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.')
				? *c
				: '_';
		if (f) {
			memcpy(id + il, ";1", 2);
			il += 2;
		}
		struct tiso_rr rr = {.name = base};
		uint32_t extent = f ? next : dirs[k].block, size = f ? (uint32_t)f->size : 2048;
		if (f && f->symlink) {
			rr.mode = 0120777;
			rr.symlink = f->symlink;
			extent = 0;
			size = 0;
		}
		uint8_t rec[256];
		size_t len = tiso_record_rr(rec, id, il, extent, size, f ? 0 : 2, &rr);
		if (dirs[d].used + len > 2048)
			return -1;
		memcpy(tiso_block(t, dirs[d].block) + dirs[d].used, rec, len);
		dirs[d].used += len;
		if (f && !f->symlink) {
			if (f->data)
				memcpy(tiso_block(t, next), f->data, f->size);
			next += (uint32_t)((f->size + 2047) / 2048);
		}
	}
	return 0;
}
