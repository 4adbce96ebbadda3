/* SPDX-License-Identifier: MIT */
#include "efiboot.h"

#include <strings.h>

#include "util.h"

#define SECTOR 512u
#define DIR_MAX_BYTES (65536u * 32u) /* FAT allows at most 65536 entries in a directory */
#define PE_HEADER_MAX (64u << 10)    /* real loaders have it in their first KiB */
#define LFN_MAX_SLOTS 20u	     /* 20 * 13 UCS-2 characters: 255 and the terminator */
#define NAME_MAX_CHARS (LFN_MAX_SLOTS * 13u)
#define FAT12_MAX_CLUSTERS 4084u /* Microsoft's FAT specification: the type is the count's */
#define FAT16_MAX_CLUSTERS 65524u
#define FAT32_MAX_CLUSTERS 0x0FFFFFF5u
#define ATTR_VOLUME 0x08u
#define ATTR_DIRECTORY 0x10u
#define ATTR_LFN 0x0Fu

static const struct {
	unsigned bit;
	const char *name;
	const char *file;
	uint16_t machine;
	const char *ipxe;
} arch_table[] = {
    {ISO_EFI_ARCH_IA32, "ia32", "BOOTIA32.EFI", 0x014c, "i386"},
    {ISO_EFI_ARCH_X64, "x64", "BOOTX64.EFI", 0x8664, "x86_64"},
    {ISO_EFI_ARCH_ARM, "arm", "BOOTARM.EFI", 0x01c2, "arm32"},
    {ISO_EFI_ARCH_ARM64, "arm64", "BOOTAA64.EFI", 0xaa64, "arm64"},
    {ISO_EFI_ARCH_RISCV64, "riscv64", "BOOTRISCV64.EFI", 0x5064, "riscv64"},
    {ISO_EFI_ARCH_LOONGARCH64, "loongarch64", "BOOTLOONGARCH64.EFI", 0x6264, "loong64"},
};

const char *iso_efi_arch_to_string(unsigned bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++)
		if (arch_table[i].bit == bit)
			return arch_table[i].name;
	return NULL;
}

int iso_efi_arch_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++)
		if (streq(s, arch_table[i].name))
			return (int)arch_table[i].bit;
	return -EINVAL;
}

unsigned iso_efi_arch_from_ipxe(const char *buildarch)
{
	for (size_t i = 0; buildarch && i < ARRAY_SIZE(arch_table); i++)
		if (streq(buildarch, arch_table[i].ipxe))
			return arch_table[i].bit;
	return 0;
}

unsigned iso_efi_arch_from_machine(uint16_t machine)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++)
		if (arch_table[i].machine == machine)
			return arch_table[i].bit;
	return 0;
}

/* ---- PE/COFF ---- */

typedef int (*file_reader)(void *ud, uint64_t off, void *buf, size_t len);

/* The machine of a PE/COFF image of size bytes: 0, or -EBADMSG when it is none. */
static int pe_machine(file_reader rd, void *ud, uint64_t size, uint16_t *machine)
{
	uint8_t dos[64], pe[6];
	int r;

	if (size < sizeof(dos))
		return -EBADMSG;
	r = rd(ud, 0, dos, sizeof(dos));
	if (r < 0)
		return r;
	if (dos[0] != 'M' || dos[1] != 'Z')
		return -EBADMSG;
	uint32_t lfanew = get_le32(dos + 0x3c);
	/* The signature and the 20-byte COFF header must be inside the file. */
	if (lfanew > PE_HEADER_MAX || (uint64_t)lfanew + 24 > size)
		return -EBADMSG;
	r = rd(ud, lfanew, pe, sizeof(pe));
	if (r < 0)
		return r;
	if (memcmp(pe, "PE\0\0", 4) != 0)
		return -EBADMSG;
	*machine = get_le16(pe + 4);
	return 0;
}

int iso_efi_pe_signed(const uint8_t *head, size_t head_len, uint64_t size)
{
	if (head_len < 64 || head_len > size || head[0] != 'M' || head[1] != 'Z')
		return -EBADMSG;
	uint32_t lfanew = get_le32(head + 0x3c);
	/* "PE\0\0", the 20-byte COFF header, then the optional header. */
	if (lfanew > PE_HEADER_MAX || (uint64_t)lfanew + 24 + 2 > head_len ||
	    memcmp(head + lfanew, "PE\0\0", 4) != 0)
		return -EBADMSG;
	uint16_t opt_size = get_le16(head + lfanew + 20);
	size_t opt = (size_t)lfanew + 24;
	size_t n_dirs_at, dirs_at;
	switch (get_le16(head + opt)) {
	case 0x10b: /* PE32 */
		n_dirs_at = opt + 92;
		dirs_at = opt + 96;
		break;
	case 0x20b: /* PE32+ */
		n_dirs_at = opt + 108;
		dirs_at = opt + 112;
		break;
	default:
		return -EBADMSG;
	}
	if (n_dirs_at + 4 > head_len || n_dirs_at + 4 > opt + opt_size)
		return -EBADMSG;
	uint32_t n_dirs = get_le32(head + n_dirs_at);
	/* The certificate table: a file offset and a size, not an address in memory. */
	size_t cert_at = dirs_at + 4 * 8;
	if (n_dirs <= 4 || cert_at + 8 > opt + opt_size)
		return 0;
	if (cert_at + 8 > head_len)
		return -EBADMSG;
	uint64_t where = get_le32(head + cert_at), len = get_le32(head + cert_at + 4);
	/* At least one WIN_CERTIFICATE header (8 bytes), after the headers, inside the file. */
	return len >= 8 && where >= cert_at + 8 && where + len <= size ? 1 : 0;
}

/*
 * What a directory of loaders found: seen, the architectures whose file name came up (the
 * firmware runs the first of a name), found, those whose file is an image for them.
 */
struct loaders {
	unsigned seen, found;
};

/* A file named name (and short_name, for FAT) in \EFI\BOOT\: counts it when it is a loader. */
static int loader_check(struct loaders *l, const char *name, const char *short_name, file_reader rd,
			void *ud, uint64_t size)
{
	for (size_t i = 0; i < ARRAY_SIZE(arch_table); i++) {
		unsigned bit = arch_table[i].bit;
		if ((l->seen & bit) ||
		    !(strcasecmp(name, arch_table[i].file) == 0 ||
		      (short_name && strcasecmp(short_name, arch_table[i].file) == 0)))
			continue;
		l->seen |= bit;
		uint16_t machine;
		int r = pe_machine(rd, ud, size, &machine);
		if (r == -EBADMSG)
			return 0; /* not an image: the firmware would not run it either */
		if (r < 0)
			return r;
		if (machine == arch_table[i].machine)
			l->found |= bit;
		return 0;
	}
	return 0;
}

static int loaders_result(const struct loaders *l, unsigned *arches, const char **problem)
{
	*arches = l->found;
	if (l->found)
		return 0;
	*problem = l->seen
		       ? "the boot loaders in \\EFI\\BOOT are not PE images of their architecture"
		       : "no BOOT<ARCH>.EFI boot loader in \\EFI\\BOOT";
	return -ENOENT;
}

/* ---- the source ---- */

/* Reads exactly len bytes at off, all below end; else the image is truncated (-EBADMSG). */
static int read_bounded(const struct iso_source *src, uint64_t end, void *buf, size_t len,
			uint64_t off)
{
	if (end > src->size)
		end = src->size;
	if (off > end || len > end - off)
		return -EBADMSG;
	ssize_t n = src->read(src->userdata, buf, len, off);
	if (n < 0)
		return (int)n;
	if ((size_t)n != len)
		return -EBADMSG;
	return 0;
}

/* ---- FAT ---- */

struct fat {
	const struct iso_source *src;
	uint64_t base; /* the boot sector, bytes in the image */
	uint64_t size; /* of the file system (reads stop at the end of the image too) */
	unsigned bits; /* 12, 16, 32 */
	uint32_t cluster_size;
	uint32_t clusters; /* data clusters: numbers 2 to clusters + 1 */
	uint64_t fat_offset, fat_bytes;
	uint64_t root_offset; /* FAT12 and FAT16: the fixed root directory */
	uint32_t root_bytes;
	uint32_t root_cluster; /* FAT32 */
	uint64_t data_offset;
	/* One window of the FAT: following a chain reads entries next to each other. */
	uint8_t cache[2 * SECTOR];
	uint64_t cache_off;
	size_t cache_len;
	const char *problem;
};

static int fat_read(struct fat *fs, uint64_t off, void *buf, size_t len)
{
	int r = off > fs->size
		    ? -EBADMSG
		    : read_bounded(fs->src, fs->base + fs->size, buf, len, fs->base + off);

	if (r == -EBADMSG)
		fs->problem = "the EFI system partition is truncated, or runs past its own end";
	else if (r < 0)
		fs->problem = "read error";
	return r;
}

static bool power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Reads the boot sector's parameters; limit bounds the file system (a partition's size). */
static int fat_open(struct fat *fs, const struct iso_source *src, uint64_t base, uint64_t limit,
		    const uint8_t bs[SECTOR])
{
	uint32_t sector = get_le16(bs + 11), per_cluster = bs[13], reserved = get_le16(bs + 14);
	uint32_t n_fats = bs[16], root_entries = get_le16(bs + 17), fat_sectors = get_le16(bs + 22);
	uint64_t total = get_le16(bs + 19) ? get_le16(bs + 19) : get_le32(bs + 32);
	uint8_t media = bs[21];
	bool fat32 = fat_sectors == 0;

	*fs = (struct fat){.src = src, .base = base, .problem = "not a FAT file system"};
	if (fat32)
		fat_sectors = get_le32(bs + 36);
	if (!power_of_two(sector) || sector < 512 || sector > 4096 || !power_of_two(per_cluster) ||
	    reserved == 0 || n_fats == 0 || total == 0 || fat_sectors == 0 ||
	    (media != 0xF0 && media < 0xF8) || fat32 != (root_entries == 0))
		return -EMEDIUMTYPE;

	uint32_t active = 0;
	/* FAT32 may keep one FAT current and the others stale (mirroring off). */
	if (fat32 && (bs[40] & 0x80))
		active = bs[40] & 0x0F;
	if (active >= n_fats)
		return -EMEDIUMTYPE;
	uint64_t root_sectors = ((uint64_t)root_entries * 32 + sector - 1) / sector;
	uint64_t first_data = reserved + (uint64_t)n_fats * fat_sectors + root_sectors;
	if (first_data >= total || (total - first_data) / per_cluster == 0) {
		fs->problem = "the FAT file system has no room for data";
		return -EBADMSG;
	}
	uint64_t clusters = (total - first_data) / per_cluster;
	fs->bits = fat32 ? 32 : clusters <= FAT12_MAX_CLUSTERS ? 12 : 16;
	if (!fat32 && clusters > FAT16_MAX_CLUSTERS) {
		fs->problem = "a FAT16 file system with more clusters than FAT16 can count";
		return -EBADMSG;
	}
	/* Clusters the FAT has no entry for, or with numbers that mean "bad" or "end", are none. */
	uint64_t described = (uint64_t)fat_sectors * sector * 8 / fs->bits;
	if (described < 3) {
		fs->problem = "the FAT is too small for its file system";
		return -EBADMSG;
	}
	if (clusters > described - 2)
		clusters = described - 2;
	if (clusters > FAT32_MAX_CLUSTERS)
		clusters = FAT32_MAX_CLUSTERS;

	fs->size = total * sector;
	if (fs->size > limit)
		fs->size = limit;
	fs->cluster_size = sector * per_cluster;
	fs->clusters = (uint32_t)clusters;
	fs->fat_offset = ((uint64_t)reserved + (uint64_t)active * fat_sectors) * sector;
	fs->fat_bytes = (uint64_t)fat_sectors * sector;
	fs->root_offset = ((uint64_t)reserved + (uint64_t)n_fats * fat_sectors) * sector;
	fs->root_bytes = root_entries * 32;
	fs->root_cluster = fat32 ? get_le32(bs + 44) & 0x0FFFFFFF : 0;
	fs->data_offset = first_data * sector;
	return 0;
}

/* Bytes of the active FAT, through the window. */
static int fat_table_read(struct fat *fs, uint64_t at, uint8_t *buf, size_t len)
{
	if (at + len > fs->fat_bytes) {
		fs->problem = "a cluster number past the FAT";
		return -EBADMSG;
	}
	if (at < fs->cache_off || at + len > fs->cache_off + fs->cache_len) {
		uint64_t start = at - at % SECTOR;
		size_t n = sizeof(fs->cache);
		if (n > fs->fat_bytes - start)
			n = (size_t)(fs->fat_bytes - start);
		fs->cache_len = 0;
		int r = fat_read(fs, fs->fat_offset + start, fs->cache, n);
		if (r < 0)
			return r;
		fs->cache_off = start;
		fs->cache_len = n;
	}
	memcpy(buf, fs->cache + (at - fs->cache_off), len);
	return 0;
}

static bool cluster_valid(const struct fat *fs, uint32_t c)
{
	return c >= 2 && c - 2 < fs->clusters;
}

/* The cluster after c in its chain: 0, 1 at the end of the chain, or a negative errno. */
static int fat_next(struct fat *fs, uint32_t c, uint32_t *next)
{
	uint8_t b[4];
	uint32_t v, end;
	int r;

	switch (fs->bits) {
	case 12:
		r = fat_table_read(fs, (uint64_t)c + c / 2, b, 2);
		v = get_le16(b);
		v = (c & 1) ? v >> 4 : v & 0x0FFF;
		end = 0x0FF8;
		break;
	case 16:
		r = fat_table_read(fs, (uint64_t)c * 2, b, 2);
		v = get_le16(b);
		end = 0xFFF8;
		break;
	default:
		r = fat_table_read(fs, (uint64_t)c * 4, b, 4);
		v = get_le32(b) & 0x0FFFFFFF;
		end = 0x0FFFFFF8;
		break;
	}
	if (r < 0)
		return r;
	if (v >= end)
		return 1;
	/* Free, reserved or bad clusters inside a chain, or numbers past the last cluster. */
	if (!cluster_valid(fs, v)) {
		fs->problem = "a broken cluster chain";
		return -EBADMSG;
	}
	*next = v;
	return 0;
}

/*
 * A position in a cluster chain. A loop is caught when the chain comes back to a cluster it
 * saved (Brent's algorithm: saved again at every power of two), within twice its length; steps
 * bounds the chain by the clusters there are all the same.
 */
struct chain {
	uint32_t cluster;
	uint32_t steps;
	uint32_t saved, power, since;
};

static struct chain chain_start(uint32_t cluster)
{
	return (struct chain){.cluster = cluster, .saved = cluster, .power = 1};
}

/* Moves to the next cluster: 0 (*ended at the end, when ended is given), or -EBADMSG. */
static int chain_advance(struct fat *fs, struct chain *ch, bool *ended)
{
	uint32_t next;
	int r = fat_next(fs, ch->cluster, &next);

	if (r < 0)
		return r;
	if (r == 1) {
		if (ended) {
			*ended = true;
			return 0;
		}
		fs->problem = "a cluster chain shorter than its file";
		return -EBADMSG;
	}
	/* A chain longer than the clusters there are visits one twice. */
	if (next == ch->saved || ++ch->steps >= fs->clusters) {
		fs->problem = "a cluster chain that loops";
		return -EBADMSG;
	}
	ch->cluster = next;
	if (++ch->since == ch->power) {
		ch->saved = next;
		ch->since = 0;
		ch->power = ch->power < UINT32_MAX / 2 ? ch->power * 2 : ch->power;
	}
	return 0;
}

static uint64_t cluster_offset(const struct fat *fs, uint32_t c)
{
	return fs->data_offset + (uint64_t)(c - 2) * fs->cluster_size;
}

/* A file of the file system, for pe_machine(). */
struct fat_file {
	struct fat *fs;
	uint32_t first;
};

static int fat_file_read(void *ud, uint64_t off, void *buf, size_t len)
{
	struct fat_file *f = ud;
	struct fat *fs = f->fs;
	struct chain ch = chain_start(f->first);
	uint8_t *p = buf;
	int r;

	if (!cluster_valid(fs, f->first)) {
		fs->problem = "a file starts at an invalid cluster";
		return -EBADMSG;
	}
	/* off is below PE_HEADER_MAX: a few hundred steps at most. */
	for (uint64_t i = off / fs->cluster_size; i > 0; i--) {
		r = chain_advance(fs, &ch, NULL);
		if (r < 0)
			return r;
	}
	off %= fs->cluster_size;
	while (len > 0) {
		if (off == fs->cluster_size) {
			r = chain_advance(fs, &ch, NULL);
			if (r < 0)
				return r;
			off = 0;
		}
		size_t n = fs->cluster_size - off < len ? (size_t)(fs->cluster_size - off) : len;
		r = fat_read(fs, cluster_offset(fs, ch.cluster) + off, p, n);
		if (r < 0)
			return r;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* One entry of a directory, with its long name when it has a valid one. */
struct fat_dirent {
	char name[NAME_MAX_CHARS + 1];
	char short_name[13];
	uint8_t attr;
	uint32_t cluster;
	uint32_t size;
};

/* Long file name entries gathered before the short entry they belong to. */
struct lfn {
	uint16_t chars[NAME_MAX_CHARS];
	unsigned count; /* entries announced by the first */
	unsigned next;	/* ordinal still expected; 0: the short entry is next */
	uint8_t sum;
	bool active;
};

static void lfn_take(struct lfn *l, const uint8_t *e)
{
	static const uint8_t at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	unsigned ord = e[0] & 0x1F;

	if (e[0] & 0x40) {
		l->active = ord >= 1 && ord <= LFN_MAX_SLOTS;
		l->count = ord;
		l->sum = e[13];
	} else if (!l->active || ord == 0 || ord != l->next || e[13] != l->sum) {
		l->active = false;
	}
	if (!l->active)
		return;
	for (unsigned i = 0; i < 13; i++)
		l->chars[(ord - 1) * 13 + i] = get_le16(e + at[i]);
	l->next = ord - 1;
}

static uint8_t short_sum(const uint8_t *e)
{
	uint8_t sum = 0;

	for (unsigned i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + e[i]);
	return sum;
}

/* Only ASCII names are compared: anything else becomes '?', which no FAT name holds. */
static char name_char(unsigned c)
{
	return c > 0x20 && c < 0x7f ? (char)c : c == 0x20 ? ' ' : '?';
}

static void entry_names(struct lfn *l, const uint8_t *e, struct fat_dirent *d)
{
	size_t o = 0;

	for (unsigned i = 0; i < 8 && e[i] != ' '; i++)
		d->short_name[o++] = name_char(i == 0 && e[0] == 0x05 ? 0xE5 : e[i]);
	if (e[8] != ' ') {
		d->short_name[o++] = '.';
		for (unsigned i = 8; i < 11 && e[i] != ' '; i++)
			d->short_name[o++] = name_char(e[i]);
	}
	d->short_name[o] = '\0';

	o = 0;
	if (l->active && l->next == 0 && l->sum == short_sum(e))
		for (; o < l->count * 13 && l->chars[o] != 0; o++)
			d->name[o] = name_char(l->chars[o]);
	d->name[o] = '\0';
	if (o == 0)
		memcpy(d->name, d->short_name, sizeof(d->short_name));
	l->active = false;
}

/*
 * Calls cb for each file and folder of the directory at cluster first, or of the fixed root
 * directory when first is 0 on FAT12 and FAT16 (not for "." and ".."). cb returns 0 to go on,
 * 1 to stop, or a negative errno. 0 or a negative errno.
 */
static int fat_dir_each(struct fat *fs, uint32_t first,
			int (*cb)(struct fat *fs, const struct fat_dirent *d, void *ud), void *ud)
{
	bool fixed = first == 0 && fs->bits != 32, ended = false;
	struct chain ch = chain_start(first ? first : fs->root_cluster);
	uint8_t buf[SECTOR];
	struct fat_dirent d;
	struct lfn l = {.active = false};
	uint64_t pos = 0, in_cluster = 0;
	int r;

	if (!fixed && !cluster_valid(fs, ch.cluster)) {
		fs->problem = "a directory starts at an invalid cluster";
		return -EBADMSG;
	}
	for (;;) {
		size_t n = SECTOR;
		uint64_t at;
		if (fixed) {
			if (pos >= fs->root_bytes)
				return 0;
			if (n > fs->root_bytes - pos)
				n = (size_t)(fs->root_bytes - pos);
			at = fs->root_offset + pos;
		} else {
			if (in_cluster == fs->cluster_size) {
				r = chain_advance(fs, &ch, &ended);
				if (r < 0)
					return r;
				if (ended)
					return 0;
				in_cluster = 0;
			}
			if (pos >= DIR_MAX_BYTES) {
				fs->problem = "a directory larger than FAT allows";
				return -EBADMSG;
			}
			at = cluster_offset(fs, ch.cluster) + in_cluster;
			in_cluster += n; /* clusters are whole sectors of at least 512 bytes */
		}
		r = fat_read(fs, at, buf, n);
		if (r < 0)
			return r;
		pos += n;
		for (size_t i = 0; i + 32 <= n; i += 32) {
			const uint8_t *e = buf + i;
			if (e[0] == 0x00)
				return 0; /* the end marker: no entries after it */
			if (e[0] == 0xE5) {
				l.active = false;
				continue;
			}
			if ((e[11] & 0x3F) == ATTR_LFN) {
				lfn_take(&l, e);
				continue;
			}
			if ((e[11] & ATTR_VOLUME) || e[0] == '.') {
				l.active = false;
				continue;
			}
			entry_names(&l, e, &d);
			d.attr = e[11];
			d.cluster = get_le16(e + 26);
			if (fs->bits == 32)
				d.cluster |= (uint32_t)get_le16(e + 20) << 16;
			d.size = get_le32(e + 28);
			r = cb(fs, &d, ud);
			if (r != 0)
				return r < 0 ? r : 0;
		}
	}
}

struct find_dir {
	const char *name;
	uint32_t cluster;
	bool found;
};

static int find_dir_cb(struct fat *fs, const struct fat_dirent *d, void *ud)
{
	struct find_dir *f = ud;

	if (strcasecmp(d->name, f->name) != 0 && strcasecmp(d->short_name, f->name) != 0)
		return 0;
	/* The firmware takes the first entry of the name: a file there hides any folder. */
	if (!(d->attr & ATTR_DIRECTORY))
		return 1;
	if (!cluster_valid(fs, d->cluster)) {
		fs->problem = "a directory starts at an invalid cluster";
		return -EBADMSG;
	}
	f->cluster = d->cluster;
	f->found = true;
	return 1;
}

static int loader_cb(struct fat *fs, const struct fat_dirent *d, void *ud)
{
	struct fat_file f = {.fs = fs, .first = d->cluster};

	if (d->attr & ATTR_DIRECTORY)
		return 0;
	int r = loader_check(ud, d->name, d->short_name, fat_file_read, &f, d->size);
	return r < 0 ? r : 0;
}

static int fat_arches(struct fat *fs, unsigned *arches, const char **problem)
{
	struct find_dir efi = {.name = "EFI"}, boot = {.name = "BOOT"};
	struct loaders l = {0};
	int r = fat_dir_each(fs, 0, find_dir_cb, &efi);

	if (r == 0 && efi.found)
		r = fat_dir_each(fs, efi.cluster, find_dir_cb, &boot);
	if (r < 0) {
		*problem = fs->problem;
		return r;
	}
	if (!boot.found) {
		*problem = "no \\EFI\\BOOT folder in the EFI system partition";
		return -ENOENT;
	}
	r = fat_dir_each(fs, boot.cluster, loader_cb, &l);
	if (r < 0) {
		*problem = fs->problem;
		return r;
	}
	return loaders_result(&l, arches, problem);
}

static bool mbr_fat_type(uint8_t t)
{
	return t == 0xEF || t == 0x01 || t == 0x04 || t == 0x06 || t == 0x0B || t == 0x0C ||
	       t == 0x0E;
}

int iso_efi_fat_arches(const struct iso_source *src, uint64_t offset, unsigned *arches,
		       const char **problem)
{
	uint8_t bs[SECTOR];
	struct fat fs;
	int r = read_bounded(src, src->size, bs, sizeof(bs), offset);

	*arches = 0;
	if (r < 0) {
		*problem = r == -EBADMSG ? "the EFI system partition lies past the end of the image"
					 : "read error";
		return r;
	}
	r = fat_open(&fs, src, offset, UINT64_MAX, bs);
	if (r == -EMEDIUMTYPE && bs[510] == 0x55 && bs[511] == 0xAA) {
		/* A hard disk image (El Torito hard disk emulation): its FAT partition. */
		for (unsigned i = 0; i < 4; i++) {
			const uint8_t *p = bs + 446 + 16 * i;
			uint64_t start = get_le32(p + 8), count = get_le32(p + 12);
			if (!mbr_fat_type(p[4]) || start == 0 || count == 0)
				continue;
			uint64_t at = offset + start * SECTOR;
			uint8_t pbs[SECTOR];
			r = read_bounded(src, src->size, pbs, sizeof(pbs), at);
			if (r < 0) {
				*problem = r == -EBADMSG ? "the EFI system partition lies past the "
							   "end of the image"
							 : "read error";
				return r;
			}
			r = fat_open(&fs, src, at, count * SECTOR, pbs);
			break;
		}
	}
	if (r < 0) {
		*problem = fs.problem;
		return r;
	}
	return fat_arches(&fs, arches, problem);
}

/* ---- the ISO 9660 tree ---- */

static const char no_tree_folder[] = "no /EFI/BOOT folder in the ISO 9660 tree";

struct tree_file {
	const struct iso_source *src;
	uint64_t offset, size;
};

static int tree_file_read(void *ud, uint64_t off, void *buf, size_t len)
{
	const struct tree_file *f = ud;

	if (off > f->size || len > f->size - off)
		return -EBADMSG;
	return read_bounded(f->src, f->src->size, buf, len, f->offset + off);
}

struct tree {
	const struct iso_volume *v;
	struct loaders l;
};

static int tree_cb(void *ud, const char *name, const struct iso_dirent *d)
{
	struct tree *t = ud;
	/* The first extent: a header past 4 GiB is no loader's. */
	struct tree_file f = {t->v->src, (uint64_t)d->extent * ISO_BLOCK_SIZE, d->size};

	if (d->directory)
		return 0;
	int r = loader_check(&t->l, name, NULL, tree_file_read, &f, d->size);
	return r < 0 ? r : 0;
}

int iso_efi_tree_arches(const struct iso_volume *v, unsigned *arches, const char **problem)
{
	struct tree t = {.v = v};
	int r = iso_list_dir(v, "EFI/BOOT", true, tree_cb, &t);

	*arches = 0;
	if (r == -ENOENT || r == -ENOTDIR) {
		*problem = no_tree_folder;
		return -ENOENT;
	}
	if (r < 0) {
		*problem = r == -EBADMSG ? "corrupt directory tree" : "read error";
		return r;
	}
	return loaders_result(&t.l, arches, problem);
}

int iso_efi_arches(const struct iso_source *src, const struct iso_info *info, unsigned *arches,
		   const char **problem)
{
	const char *first_problem = NULL;
	unsigned found = 0;
	int first_error = 0, r;

	*arches = 0;
	*problem = NULL;
	for (size_t i = 0; i < info->n_boot; i++) {
		const struct iso_boot_entry *b = &info->boot[i];
		bool again = false;
		if (b->platform != ISO_PLATFORM_UEFI)
			continue;
		for (size_t k = 0; k < i; k++)
			again |= info->boot[k].platform == ISO_PLATFORM_UEFI &&
				 info->boot[k].load_rba == b->load_rba;
		if (again)
			continue;
		unsigned a;
		const char *p;
		r = iso_efi_fat_arches(src, (uint64_t)b->load_rba * ISO_BLOCK_SIZE, &a, &p);
		if (r == 0)
			found |= a;
		else if (!first_error) {
			first_error = r;
			first_problem = p;
		}
	}
	if (found) {
		*arches = found;
		return 0;
	}

	struct iso_volume v;
	const char *p;
	r = iso_volume_open(&v, src, &p);
	if (r == 0)
		r = iso_efi_tree_arches(&v, arches, &p);
	if (r == 0)
		return 0;
	if (first_error) {
		*problem = first_problem;
		return first_error;
	}
	*problem = p == no_tree_folder ? "no UEFI El Torito entry, and no /EFI/BOOT folder in the "
					 "ISO 9660 tree"
				       : p;
	return r;
}
