/* SPDX-License-Identifier: MIT */
#include "iso9660.h"

#include "util.h"

#define VD_FIRST 16u
#define VD_MAX 64u		  /* descriptors looked at before giving up on a terminator */
#define DIR_MAX_BYTES (16u << 20) /* a directory larger than this is taken as corrupt */
#define CE_MAX_HOPS 8u
#define NAME_MAX_BYTES 1024u
#define LOOKUP_MAX_DEPTH 64u
#define CATALOG_MAX_BLOCKS 4u

static const char *const platform_names[] = {
    [ISO_PLATFORM_BIOS] = "bios", [ISO_PLATFORM_UEFI] = "uefi",	  [ISO_PLATFORM_PPC] = "ppc",
    [ISO_PLATFORM_MAC] = "mac",	  [ISO_PLATFORM_OTHER] = "other",
};

static const char *const emulation_names[] = {
    [ISO_EMUL_NONE] = "noemul",
    [ISO_EMUL_FLOPPY_1200] = "floppy1200",
    [ISO_EMUL_FLOPPY_1440] = "floppy1440",
    [ISO_EMUL_FLOPPY_2880] = "floppy2880",
    [ISO_EMUL_HDD] = "hdd",
};

static const struct {
	unsigned bit;
	const char *name;
	const char *path;
	bool directory;
} layouts[] = {
    {ISO_LAYOUT_CASPER, "casper", "casper", true},
    {ISO_LAYOUT_LIVE, "live", "live", true},
    {ISO_LAYOUT_ARCH, "arch", "arch", true},
    {ISO_LAYOUT_LIVEOS, "liveos", "LiveOS", true},
    {ISO_LAYOUT_WINDOWS, "windows", "sources/boot.wim", false},
    {ISO_LAYOUT_DEBIAN_INSTALLER, "debian-installer", "install.amd", true},
    {ISO_LAYOUT_PXEBOOT, "pxeboot", "images/pxeboot", true},
};

const char *iso_platform_to_string(enum iso_platform p)
{
	return (unsigned)p < ARRAY_SIZE(platform_names) ? platform_names[p] : NULL;
}

const char *iso_emulation_to_string(enum iso_emulation e)
{
	return (unsigned)e < ARRAY_SIZE(emulation_names) ? emulation_names[e] : NULL;
}

int iso_platform_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(platform_names); i++)
		if (streq(s, platform_names[i]))
			return (int)i;
	return -EINVAL;
}

int iso_emulation_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(emulation_names); i++)
		if (streq(s, emulation_names[i]))
			return (int)i;
	return -EINVAL;
}

const char *iso_layout_to_string(unsigned layout_bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (layouts[i].bit == layout_bit)
			return layouts[i].name;
	return NULL;
}

int iso_layout_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (streq(s, layouts[i].name))
			return (int)layouts[i].bit;
	return -EINVAL;
}

static ssize_t fd_read(void *userdata, void *buf, size_t len, uint64_t off)
{
	struct iso_fd_source *s = userdata;

	return pread_full(s->fd, buf, len, off);
}

void iso_fd_source_init(struct iso_fd_source *s, int fd, uint64_t size)
{
	s->fd = fd;
	s->src = (struct iso_source){.read = fd_read, .userdata = s, .size = size};
}

/* Reads exactly len bytes; a short read is a truncated image. */
static int read_exact(const struct iso_source *src, void *buf, size_t len, uint64_t off)
{
	if (off > src->size || len > src->size - off)
		return -EBADMSG;
	ssize_t n = src->read(src->userdata, buf, len, off);
	if (n < 0)
		return (int)n;
	if ((size_t)n != len)
		return -EBADMSG;
	return 0;
}

static int read_block(const struct iso_source *src, uint32_t block, uint8_t buf[ISO_BLOCK_SIZE])
{
	return read_exact(src, buf, ISO_BLOCK_SIZE, (uint64_t)block * ISO_BLOCK_SIZE);
}

/* Volume identifiers are d-characters padded with spaces; anything else is shown as '_'. */
static void copy_label(char out[33], const uint8_t *in, size_t len)
{
	size_t n = len < 32 ? len : 32;

	for (size_t i = 0; i < n; i++)
		out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? (char)in[i] : '_';
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '_'))
		n--;
	out[n] = '\0';
}

/* Parses a 34+ byte directory record at rec (len bytes available). */
static int parse_record(const uint8_t *rec, size_t avail, struct iso_dirent *d, uint8_t *flags)
{
	uint8_t len = rec[0];

	if (len < 34 || len > avail || (size_t)33 + rec[32] > len)
		return -EBADMSG;
	d->extent = get_le32(rec + 2);
	d->size = get_le32(rec + 10);
	d->directory = (rec[25] & 0x02) != 0;
	if (flags)
		*flags = rec[25];
	return 0;
}

static bool joliet_escape(const uint8_t *esc)
{
	return esc[0] == '%' && esc[1] == '/' && (esc[2] == '@' || esc[2] == 'C' || esc[2] == 'E');
}

/* The SUSP "SP" entry in the root's "." record says Rock Ridge (or another SUSP user) is here. */
static int detect_susp(struct iso_volume *v)
{
	uint8_t buf[ISO_BLOCK_SIZE];
	int r = read_block(v->src, v->root.extent, buf);

	if (r < 0)
		return r;
	uint8_t len = buf[0], fil = buf[32];
	if (len < 34 || (size_t)33 + fil > len)
		return -EBADMSG;
	size_t su = 33 + fil + ((fil & 1) ? 0 : 1);
	if (su + 7 <= len && buf[su] == 'S' && buf[su + 1] == 'P' && buf[su + 2] >= 7 &&
	    buf[su + 4] == 0xBE && buf[su + 5] == 0xEF) {
		v->has_rock_ridge = true;
		v->susp_skip = buf[su + 6];
	}
	return 0;
}

/*
 * The volume descriptor set (ECMA-119 8): the primary descriptor's size and root, the first
 * Joliet supplementary one, El Torito's boot record, up to the terminator.
 */
static int read_descriptors(struct iso_volume *v, const char **problem)
{
	uint8_t buf[ISO_BLOCK_SIZE];
	bool have_pvd = false, terminated = false;
	int r;

	for (uint32_t i = 0; i < VD_MAX && !terminated; i++) {
		r = read_block(v->src, VD_FIRST + i, buf);
		if (r == -EBADMSG) {
			*problem =
			    have_pvd ? "truncated volume descriptor set" : "not an ISO 9660 image";
			return have_pvd ? -EBADMSG : -EMEDIUMTYPE;
		}
		if (r < 0) {
			*problem = "read error";
			return r;
		}
		if (memcmp(buf + 1, "CD001", 5) != 0) {
			if (i == 0) {
				*problem = "not an ISO 9660 image";
				return -EMEDIUMTYPE;
			}
			*problem = "volume descriptor set without terminator";
			return -EBADMSG;
		}
		switch (buf[0]) {
		case 0: /* boot record */
			if (memcmp(buf + 7, "EL TORITO SPECIFICATION", 23) == 0)
				v->boot_catalog = get_le32(buf + 0x47);
			break;
		case 1: /* primary */
			if (have_pvd)
				break;
			if (get_le16(buf + 128) != ISO_BLOCK_SIZE) {
				*problem = "logical block size is not 2048";
				return -EOPNOTSUPP;
			}
			v->blocks = get_le32(buf + 80);
			copy_label(v->label, buf + 40, 32);
			uint8_t fl;
			if (parse_record(buf + 156, 34, &v->root, &fl) < 0 || !v->root.directory) {
				*problem = "corrupt root directory record";
				return -EBADMSG;
			}
			have_pvd = true;
			break;
		case 2: /* supplementary: Joliet when it carries a UCS-2 escape */
			if (!v->has_joliet && joliet_escape(buf + 88) &&
			    parse_record(buf + 156, 34, &v->joliet_root, NULL) == 0 &&
			    v->joliet_root.directory)
				v->has_joliet = true;
			break;
		case 255:
			terminated = true;
			break;
		default:
			break;
		}
	}
	if (!have_pvd) {
		*problem = "no primary volume descriptor";
		return -EBADMSG;
	}
	return 0;
}

/* Whether the volume and its root directories lie inside the file (a Joliet tree that does not
 * is dropped: the primary tree is still usable). */
static int check_extents(struct iso_volume *v, const char **problem)
{
	uint64_t volume_bytes = (uint64_t)v->blocks * ISO_BLOCK_SIZE;

	if (v->blocks <= VD_FIRST + 1) {
		*problem = "volume space size is too small";
		return -EBADMSG;
	}
	if (volume_bytes > v->src->size) {
		*problem = "truncated: the volume is larger than the file";
		return -EBADMSG;
	}
	if (v->root.extent >= v->blocks || v->root.size == 0 || v->root.size > DIR_MAX_BYTES ||
	    (uint64_t)v->root.extent * ISO_BLOCK_SIZE + v->root.size > volume_bytes) {
		*problem = "root directory lies outside the volume";
		return -EBADMSG;
	}
	if (v->has_joliet &&
	    (v->joliet_root.extent >= v->blocks || v->joliet_root.size > DIR_MAX_BYTES ||
	     (uint64_t)v->joliet_root.extent * ISO_BLOCK_SIZE + v->joliet_root.size > volume_bytes))
		v->has_joliet = false;
	return 0;
}

int iso_volume_open(struct iso_volume *v, const struct iso_source *src, const char **problem)
{
	int r;

	*v = (struct iso_volume){.src = src};
	*problem = NULL;
	if (src->size < (uint64_t)(VD_FIRST + 1) * ISO_BLOCK_SIZE) {
		*problem = "too small to be an ISO 9660 image";
		return -EMEDIUMTYPE;
	}
	r = read_descriptors(v, problem);
	if (r < 0)
		return r;
	r = check_extents(v, problem);
	if (r < 0)
		return r;
	r = detect_susp(v);
	if (r < 0) {
		*problem = r == -EBADMSG ? "corrupt root directory" : "read error";
		return r;
	}
	v->names = v->has_rock_ridge ? ISO_NAMES_ROCK_RIDGE
		   : v->has_joliet   ? ISO_NAMES_JOLIET
				     : ISO_NAMES_ISO9660;
	return 0;
}

/* Appends UCS-2BE as UTF-8. */
static size_t ucs2_to_utf8(const uint8_t *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned c = get_be16(in + i);
		if (c < 0x80) {
			if (o + 1 >= size)
				break;
			out[o++] = (char)c;
		} else if (c < 0x800) {
			if (o + 2 >= size)
				break;
			out[o++] = (char)(0xC0 | (c >> 6));
			out[o++] = (char)(0x80 | (c & 0x3F));
		} else {
			if (o + 3 >= size)
				break;
			out[o++] = (char)(0xE0 | (c >> 12));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
			out[o++] = (char)(0x80 | (c & 0x3F));
		}
	}
	out[o] = '\0';
	return o;
}

/* What the Rock Ridge entries of one record say. */
struct rr_info {
	bool have_name;
	bool symlink; /* an SL entry, or a PX mode of a symbolic link */
	bool special; /* a PX mode of neither a directory, a regular file nor a link */
};

#define RR_S_IFMT 0170000u
#define RR_S_IFDIR 0040000u
#define RR_S_IFREG 0100000u
#define RR_S_IFLNK 0120000u

/*
 * Rock Ridge NM, PX and SL from a record's System Use area, following CE continuation areas.
 * The name goes to out (when there is one). Returns 0, or a negative errno.
 */
static int rr_parse(const struct iso_volume *v, const uint8_t *su, size_t su_len, char *out,
		    size_t size, struct rr_info *info)
{
	uint8_t ce_buf[ISO_BLOCK_SIZE];
	size_t o = 0;
	bool dots = false;

	*info = (struct rr_info){0};
	for (unsigned hop = 0; hop <= CE_MAX_HOPS; hop++) {
		uint32_t ce_block = 0, ce_off = 0, ce_len = 0;
		size_t p = 0;

		while (p + 4 <= su_len) {
			uint8_t elen = su[p + 2];
			if (elen < 4 || p + elen > su_len)
				break;
			const uint8_t *e = su + p;
			if (e[0] == 'S' && e[1] == 'T')
				break;
			if (e[0] == 'C' && e[1] == 'E' && elen >= 28) {
				ce_block = get_le32(e + 4);
				ce_off = get_le32(e + 12);
				ce_len = get_le32(e + 20);
			} else if (e[0] == 'N' && e[1] == 'M' && elen >= 5) {
				uint8_t fl = e[4];
				size_t nl = elen - 5u;
				if (fl & 0x06) /* "." or ".." */
					dots = true;
				if (o + nl >= size)
					return -EBADMSG;
				memcpy(out + o, e + 5, nl);
				o += nl;
				out[o] = '\0';
			} else if (e[0] == 'P' && e[1] == 'X' && elen >= 12) {
				uint32_t type = get_le32(e + 4) & RR_S_IFMT;
				if (type == RR_S_IFLNK)
					info->symlink = true;
				else if (type != 0 && type != RR_S_IFDIR && type != RR_S_IFREG)
					info->special = true;
			} else if (e[0] == 'S' && e[1] == 'L') {
				info->symlink = true;
			}
			p += elen;
		}
		if (ce_len == 0)
			break;
		if (ce_off >= ISO_BLOCK_SIZE || ce_len > ISO_BLOCK_SIZE - ce_off ||
		    ce_block >= v->blocks)
			return -EBADMSG;
		int r = read_block(v->src, ce_block, ce_buf);
		if (r < 0)
			return r;
		su = ce_buf + ce_off;
		su_len = ce_len;
	}
	info->have_name = !dots && o > 0;
	return 0;
}

/* The name of a record in the tree v->names selects ("" for "." and ".."), and its RR info. */
static int record_name(const struct iso_volume *v, const uint8_t *rec, bool joliet, char *out,
		       size_t size, struct rr_info *rr)
{
	uint8_t len = rec[0], fil = rec[32];
	const uint8_t *fi = rec + 33;

	out[0] = '\0';
	*rr = (struct rr_info){0};
	if (fil == 1 && (fi[0] == 0 || fi[0] == 1))
		return 0;
	if (!joliet && v->has_rock_ridge) {
		size_t su = 33u + fil + ((fil & 1) ? 0 : 1) + v->susp_skip;
		if (su < len) {
			int r = rr_parse(v, rec + su, len - su, out, size, rr);
			if (r < 0)
				return r;
			if (rr->have_name)
				return 0;
			out[0] = '\0';
		}
	}
	size_t n;
	if (joliet) {
		n = ucs2_to_utf8(fi, fil, out, size);
	} else {
		n = fil < size ? fil : size - 1;
		memcpy(out, fi, n);
		out[n] = '\0';
	}
	/* ISO 9660 "NAME.EXT;1" and "DIR." become "NAME.EXT" and "DIR". */
	char *semi = strchr(out, ';');
	if (semi) {
		*semi = '\0';
		n = (size_t)(semi - out);
	}
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	return 0;
}

static bool name_eq(const char *a, const char *b, size_t blen, bool fold)
{
	size_t alen = strlen(a);

	if (alen != blen)
		return false;
	for (size_t i = 0; i < blen; i++) {
		char x = a[i], y = b[i];
		if (fold) {
			if (x >= 'A' && x <= 'Z')
				x = (char)(x - 'A' + 'a');
			if (y >= 'A' && y <= 'Z')
				y = (char)(y - 'A' + 'a');
		}
		if (x != y)
			return false;
	}
	return true;
}

/* One directory record, as the iterator hands it out. */
struct dir_record {
	const char *name; /* "" for "." and ".." */
	struct iso_dirent d;
	uint8_t flags; /* 0x80: more extents of this file follow */
	struct rr_info rr;
};

/*
 * Calls cb for each record of directory dir, in order (multi-extent files as several records).
 * cb returns 0 to go on, 1 to stop, or a negative errno. Returns 0, 1 or a negative errno.
 */
static int dir_iterate(const struct iso_volume *v, const struct iso_dirent *dir, bool joliet,
		       int (*cb)(void *ud, const struct dir_record *rec), void *ud)
{
	uint8_t buf[ISO_BLOCK_SIZE];
	char fname[NAME_MAX_BYTES];
	uint64_t nblocks = (dir->size + ISO_BLOCK_SIZE - 1) / ISO_BLOCK_SIZE;

	if (dir->size > DIR_MAX_BYTES || dir->extent >= v->blocks ||
	    nblocks > (uint64_t)v->blocks - dir->extent)
		return -EBADMSG;
	for (uint64_t b = 0; b < nblocks; b++) {
		int r = read_block(v->src, (uint32_t)(dir->extent + b), buf);
		if (r < 0)
			return r;
		size_t limit = ISO_BLOCK_SIZE;
		if (b == nblocks - 1 && dir->size % ISO_BLOCK_SIZE)
			limit = dir->size % ISO_BLOCK_SIZE;
		for (size_t p = 0; p < limit;) {
			struct dir_record rec = {.name = fname};
			if (buf[p] == 0) /* records never span blocks; the rest is padding */
				break;
			r = parse_record(buf + p, limit - p, &rec.d, &rec.flags);
			if (r < 0)
				return r;
			r = record_name(v, buf + p, joliet, fname, sizeof(fname), &rec.rr);
			if (r < 0)
				return r;
			p += buf[p];
			/* Directories live inside the volume, files inside the image. */
			uint64_t lim =
			    rec.d.directory ? (uint64_t)v->blocks * ISO_BLOCK_SIZE : v->src->size;
			if (fname[0] &&
			    ((uint64_t)rec.d.extent * ISO_BLOCK_SIZE > lim ||
			     rec.d.size > lim - (uint64_t)rec.d.extent * ISO_BLOCK_SIZE))
				return -EBADMSG;
			r = cb(ud, &rec);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

struct find {
	const char *name;
	size_t nlen;
	bool fold;
	struct iso_file *out; /* extents collected here */
	bool exact;	      /* the match found is exact (not only case-folded) */
	bool found;
	bool collecting; /* inside a multi-extent file that matched */
	int error;
};

static int file_add_extent(struct iso_file *f, const struct dir_record *rec)
{
	if (f->n_extents >= ISO_MAX_EXTENTS)
		return -EOPNOTSUPP;
	f->extents[f->n_extents++] = (struct iso_extent){
	    .offset = (uint64_t)rec->d.extent * ISO_BLOCK_SIZE,
	    .length = rec->d.size,
	};
	f->size += rec->d.size;
	return 0;
}

static int find_cb(void *ud, const struct dir_record *rec)
{
	struct find *f = ud;

	if (f->collecting) {
		/* ECMA-119 6.5.1: the records of one file follow each other, all with its name. */
		if (!name_eq(rec->name, f->name, f->nlen, !f->exact) || rec->d.directory)
			return -EBADMSG;
		int r = file_add_extent(f->out, rec);
		if (r < 0)
			return r;
		if (rec->flags & 0x80)
			return 0;
		f->collecting = false;
		return f->exact ? 1 : 0;
	}
	if (!rec->name[0])
		return 0;
	bool exact = name_eq(rec->name, f->name, f->nlen, false);
	if (!exact && !(f->fold && !f->found && name_eq(rec->name, f->name, f->nlen, true)))
		return 0;
	*f->out = (struct iso_file){
	    .directory = rec->d.directory,
	    .symlink = rec->rr.symlink,
	    .special = rec->rr.special,
	    .dirent = rec->d,
	};
	f->found = true;
	f->exact = exact;
	int r = file_add_extent(f->out, rec);
	if (r < 0)
		return r;
	if ((rec->flags & 0x80) && !rec->d.directory) {
		f->collecting = true;
		return 0;
	}
	return exact ? 1 : 0;
}

/* Finds component name[0..nlen) in directory dir. */
static int dir_find(const struct iso_volume *v, const struct iso_dirent *dir, bool joliet,
		    const char *name, size_t nlen, bool fold, struct iso_file *out)
{
	struct find f = {.name = name, .nlen = nlen, .fold = fold, .out = out};
	int r = dir_iterate(v, dir, joliet, find_cb, &f);

	if (r < 0)
		return r;
	if (f.collecting) /* the directory ended inside a multi-extent file */
		return -EBADMSG;
	return f.found ? 0 : -ENOENT;
}

/* Walks path; *out is the last component (the root for ""). */
static int lookup(const struct iso_volume *v, const char *path, bool fold, struct iso_file *out)
{
	bool joliet = v->names == ISO_NAMES_JOLIET;
	struct iso_dirent root = joliet ? v->joliet_root : v->root;
	unsigned depth = 0;

	*out = (struct iso_file){.directory = true, .dirent = root, .size = root.size};
	while (*path == '/')
		path++;
	while (*path) {
		const char *end = strchr(path, '/');
		size_t n = end ? (size_t)(end - path) : strlen(path);

		/* Never through a symbolic link: it may point anywhere. */
		if (!out->directory || out->symlink)
			return -ENOTDIR;
		if (++depth > LOOKUP_MAX_DEPTH || n >= NAME_MAX_BYTES)
			return -ENOENT;
		struct iso_dirent dir = out->dirent;
		int r = dir_find(v, &dir, joliet, path, n, fold, out);
		if (r < 0)
			return r;
		path += n;
		while (*path == '/')
			path++;
	}
	return 0;
}

int iso_lookup(const struct iso_volume *v, const char *path, bool fold, struct iso_dirent *out)
{
	struct iso_file f;
	int r = lookup(v, path, fold, &f);

	if (r < 0)
		return r;
	if (f.n_extents > 1)
		return -EOPNOTSUPP;
	*out = f.dirent;
	return 0;
}

int iso_lookup_file(const struct iso_volume *v, const char *path, bool fold, struct iso_file *out)
{
	int r = lookup(v, path, fold, out);

	if (r < 0)
		return r;
	if (out->directory)
		return -EISDIR;
	if (out->symlink || out->special)
		return -ELOOP;
	return 0;
}

struct list {
	int (*cb)(void *ud, const char *name, const struct iso_dirent *d);
	void *ud;
	bool in_multi;
};

static int list_cb(void *ud, const struct dir_record *rec)
{
	struct list *l = ud;
	bool continuation = l->in_multi;

	l->in_multi = (rec->flags & 0x80) != 0;
	if (continuation || !rec->name[0] || rec->rr.symlink || rec->rr.special)
		return 0;
	return l->cb(l->ud, rec->name, &rec->d);
}

int iso_list_dir(const struct iso_volume *v, const char *path, bool fold,
		 int (*cb)(void *ud, const char *name, const struct iso_dirent *d), void *ud)
{
	struct iso_file dir;
	struct list l = {.cb = cb, .ud = ud};
	int r = lookup(v, path, fold, &dir);

	if (r < 0)
		return r;
	if (!dir.directory || dir.symlink)
		return -ENOTDIR;
	r = dir_iterate(v, &dir.dirent, v->names == ISO_NAMES_JOLIET, list_cb, &l);
	return r < 0 ? r : 0;
}

struct read_dir {
	int (*cb)(void *ud, const char *name, const struct iso_file *f);
	void *ud;
	struct iso_file f;
	char name[NAME_MAX_BYTES];
	bool collecting; /* inside a multi-extent file */
	bool skip;	 /* ... that is a link or special file */
};

static int read_dir_cb(void *ud, const struct dir_record *rec)
{
	struct read_dir *rd = ud;
	int r;

	if (rd->collecting) {
		/* ECMA-119 6.5.1: the records of one file follow each other, all with its name. */
		if (!streq(rec->name, rd->name) || rec->d.directory)
			return -EBADMSG;
		r = file_add_extent(&rd->f, rec);
		if (r < 0)
			return r;
		if (rec->flags & 0x80)
			return 0;
		rd->collecting = false;
		return rd->skip ? 0 : rd->cb(rd->ud, rd->name, &rd->f);
	}
	if (!rec->name[0])
		return 0;
	rd->f = (struct iso_file){
	    .directory = rec->d.directory,
	    .symlink = rec->rr.symlink,
	    .special = rec->rr.special,
	    .dirent = rec->d,
	};
	rd->skip = rec->rr.symlink || rec->rr.special;
	r = file_add_extent(&rd->f, rec);
	if (r < 0)
		return r;
	if ((rec->flags & 0x80) && !rec->d.directory) {
		snprintf(rd->name, sizeof(rd->name), "%s", rec->name);
		rd->collecting = true;
		return 0;
	}
	return rd->skip ? 0 : rd->cb(rd->ud, rec->name, &rd->f);
}

int iso_read_dir(const struct iso_volume *v, const struct iso_dirent *dir,
		 int (*cb)(void *ud, const char *name, const struct iso_file *f), void *ud)
{
	_cleanup_free_ struct read_dir *rd = calloc(1, sizeof(*rd));

	if (!rd)
		return -ENOMEM;
	if (!dir->directory)
		return -ENOTDIR;
	rd->cb = cb;
	rd->ud = ud;
	int r = dir_iterate(v, dir, v->names == ISO_NAMES_JOLIET, read_dir_cb, rd);
	if (r < 0)
		return r;
	if (rd->collecting) /* the directory ended inside a multi-extent file */
		return -EBADMSG;
	return 0;
}

int iso_read_file(const struct iso_volume *v, const char *path, bool fold, size_t max, char **out,
		  size_t *out_len)
{
	struct iso_file f;
	int r = iso_lookup_file(v, path, fold, &f);

	if (r < 0)
		return r;
	if (f.size > max)
		return -EFBIG;
	_cleanup_free_ char *buf = malloc((size_t)f.size + 1);
	if (!buf)
		return -ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < f.n_extents; i++) {
		if (f.extents[i].length == 0)
			continue;
		r = read_exact(v->src, buf + o, (size_t)f.extents[i].length, f.extents[i].offset);
		if (r < 0)
			return r;
		o += (size_t)f.extents[i].length;
	}
	buf[o] = '\0';
	*out = TAKE_PTR(buf);
	if (out_len)
		*out_len = o;
	return 0;
}

static enum iso_platform platform_of(uint8_t id)
{
	switch (id) {
	case 0x00:
		return ISO_PLATFORM_BIOS;
	case 0xEF:
		return ISO_PLATFORM_UEFI;
	case 0x01:
		return ISO_PLATFORM_PPC;
	case 0x02:
		return ISO_PLATFORM_MAC;
	default:
		return ISO_PLATFORM_OTHER;
	}
}

static int add_boot_entry(const struct iso_volume *v, struct iso_info *info, uint8_t platform_id,
			  const uint8_t *e)
{
	uint8_t media = e[1] & 0x0F;

	if (e[0] != 0x88) /* not bootable */
		return 0;
	if (media > 4) {
		info->problem = "boot catalog entry with an unknown media type";
		return -EBADMSG;
	}
	struct iso_boot_entry be = {
	    .platform = platform_of(platform_id),
	    .platform_id = platform_id,
	    .emulation = (enum iso_emulation)media,
	    .load_rba = get_le32(e + 8),
	    .sector_count = get_le16(e + 6),
	};
	/*
	 * Images may sit after the ISO 9660 volume (xorriso -append_partition, as in memtest86+),
	 * so the bound is the image file, not the volume. The sector count is not checked: for
	 * UEFI entries firmware reads the FAT image's own size, and mastering tools disagree on it.
	 */
	if ((uint64_t)be.load_rba * ISO_BLOCK_SIZE >= v->src->size) {
		info->problem = "boot image lies past the end of the file";
		return -EBADMSG;
	}
	if (info->n_boot >= ISO_MAX_BOOT_ENTRIES)
		return 0;
	info->boot[info->n_boot++] = be;
	return 0;
}

static int parse_boot_catalog(const struct iso_volume *v, struct iso_info *info)
{
	uint8_t cat[CATALOG_MAX_BLOCKS * ISO_BLOCK_SIZE];
	uint32_t blk = v->boot_catalog;
	size_t nblk = CATALOG_MAX_BLOCKS;
	int r;

	uint64_t file_blocks = v->src->size / ISO_BLOCK_SIZE;
	if (blk < VD_FIRST || blk >= file_blocks) {
		info->problem = "boot catalog points past the end of the file";
		return -EBADMSG;
	}
	if (nblk > file_blocks - blk)
		nblk = (size_t)(file_blocks - blk);
	r = read_exact(v->src, cat, nblk * ISO_BLOCK_SIZE, (uint64_t)blk * ISO_BLOCK_SIZE);
	if (r < 0) {
		info->problem =
		    r == -EBADMSG ? "boot catalog points past the end of the file" : "read error";
		return r;
	}
	size_t len = nblk * ISO_BLOCK_SIZE;

	/* Validation entry: header 1, key 55 AA, and 16-bit words summing to 0. */
	uint16_t sum = 0;
	for (size_t i = 0; i < 32; i += 2)
		sum = (uint16_t)(sum + get_le16(cat + i));
	if (cat[0] != 0x01 || cat[30] != 0x55 || cat[31] != 0xAA || sum != 0) {
		info->problem = "invalid El Torito validation entry";
		return -EBADMSG;
	}
	r = add_boot_entry(v, info, cat[1], cat + 32);
	if (r < 0)
		return r;

	size_t p = 64;
	while (p + 32 <= len) {
		uint8_t hdr = cat[p];
		if (hdr != 0x90 && hdr != 0x91)
			break; /* end of the catalog */
		uint8_t platform_id = cat[p + 1];
		uint16_t count = get_le16(cat + p + 2);
		p += 32;
		for (uint16_t i = 0; i < count; i++) {
			if (p + 32 > len) {
				info->problem = "boot catalog section runs past its end";
				return -EBADMSG;
			}
			bool ext = (cat[p + 1] & 0x20) != 0;
			r = add_boot_entry(v, info, platform_id, cat + p);
			if (r < 0)
				return r;
			p += 32;
			/* Selection criteria extensions (0x44) follow while bit 5 says so. */
			while (ext && p + 32 <= len && cat[p] == 0x44) {
				ext = (cat[p + 1] & 0x20) != 0;
				p += 32;
			}
		}
		if (hdr == 0x91)
			break;
	}
	return 0;
}

static int detect_hybrid(const struct iso_source *src, struct iso_info *info)
{
	uint8_t buf[1024];
	int r = read_exact(src, buf, sizeof(buf), 0);

	if (r < 0)
		return r;
	if (buf[510] == 0x55 && buf[511] == 0xAA) {
		for (int i = 0; i < 4; i++)
			if (buf[446 + 16 * i + 4] != 0)
				info->mbr = true;
	}
	info->gpt = memcmp(buf + 512, "EFI PART", 8) == 0;
	return 0;
}

int iso_inspect(const struct iso_source *src, struct iso_info *info)
{
	struct iso_volume v;
	int r;

	*info = (struct iso_info){0};
	r = iso_volume_open(&v, src, &info->problem);
	if (r < 0)
		return r;
	memcpy(info->label, v.label, sizeof(info->label));
	info->volume_blocks = v.blocks;
	info->volume_size = (uint64_t)v.blocks * ISO_BLOCK_SIZE;
	info->names = v.names;

	if (v.boot_catalog) {
		r = parse_boot_catalog(&v, info);
		if (r < 0)
			return r;
	}
	r = detect_hybrid(src, info);
	if (r < 0) {
		info->problem = "read error";
		return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
		struct iso_dirent d;
		r = iso_lookup(&v, layouts[i].path, true, &d);
		if (r == 0 && d.directory == layouts[i].directory)
			info->layouts |= layouts[i].bit;
		else if (r == -EBADMSG) {
			info->problem = "corrupt directory tree";
			return r;
		} else if (r < 0 && r != -ENOENT && r != -ENOTDIR && r != -EOPNOTSUPP) {
			info->problem = "read error";
			return r;
		}
	}
	return 0;
}
