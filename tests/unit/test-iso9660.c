/* SPDX-License-Identifier: MIT */
#include "iso9660.h"
#include "isobuild.h"
#include "tap.h"
#include "util.h"

static struct iso_source source_of(struct tiso *t)
{
	return (struct iso_source){.read = tiso_read, .userdata = t, .size = t->size};
}

/* A root with casper/ (RR name "casper", ISO name "CASPER") and sources/boot.wim. */
static void build_tree(struct tiso *t, bool susp)
{
	uint8_t *root = tiso_block(t, 20);
	size_t o = tiso_dot_records(root, 20, 20, susp);
	o += tiso_record(root + o, "CASPER", 6, 21, 2048, 2, susp ? "casper" : NULL);
	o += tiso_record(root + o, "SOURCES", 7, 22, 2048, 2, susp ? "sources" : NULL);
	o += tiso_record(root + o, "README.TXT;1", 12, 23, 5, 0, susp ? "ReadMe.txt" : NULL);
	uint8_t *casper = tiso_block(t, 21);
	o = tiso_dot_records(casper, 21, 20, false);
	o += tiso_record(casper + o, "VMLINUZ.;1", 10, 24, 1000, 0, susp ? "vmlinuz" : NULL);
	uint8_t *sources = tiso_block(t, 22);
	o = tiso_dot_records(sources, 22, 20, false);
	o += tiso_record(sources + o, "BOOT.WIM;1", 10, 25, 4096, 0, susp ? "boot.wim" : NULL);
	memcpy(tiso_block(t, 23), "hello", 5);
}

static void test_not_iso(void)
{
	struct tiso t;
	struct iso_info info;

	tiso_init(&t, 40, "X", false);
	memset(t.img, 0xA5, t.size); /* garbage everywhere */
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EMEDIUMTYPE);
	CHECK_STR(info.problem, "not an ISO 9660 image");

	src.size = 1000; /* too small */
	CHECK_EQ_INT(iso_inspect(&src, &info), -EMEDIUMTYPE);
	free(t.img);
}

static void test_plain(void)
{
	struct tiso t;
	struct iso_info info;

	tiso_init(&t, 40, "MY_LABEL", false);
	build_tree(&t, false);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_inspect(&src, &info), 0);
	CHECK_STR(info.label, "MY_LABEL");
	CHECK_EQ_INT(info.volume_blocks, 40);
	CHECK_EQ_INT(info.volume_size, 40 * 2048);
	CHECK_EQ_INT(info.n_boot, 0);
	CHECK_EQ_INT(info.names, ISO_NAMES_ISO9660);
	CHECK_EQ_INT(info.layouts, ISO_LAYOUT_CASPER | ISO_LAYOUT_WINDOWS);
	CHECK(!info.mbr && !info.gpt);

	struct iso_volume v;
	const char *problem;
	struct iso_dirent d;
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	/* Plain ISO 9660 names are upper case: exact lookups need the exact name. */
	CHECK_EQ_INT(iso_lookup(&v, "/CASPER/VMLINUZ", false, &d), 0);
	CHECK_EQ_INT(d.extent, 24);
	CHECK_EQ_INT(d.size, 1000);
	CHECK(!d.directory);
	CHECK_EQ_INT(iso_lookup(&v, "casper/vmlinuz", false, &d), -ENOENT);
	CHECK_EQ_INT(iso_lookup(&v, "casper/vmlinuz", true, &d), 0);
	CHECK_EQ_INT(iso_lookup(&v, "README.TXT/x", false, &d), -ENOTDIR);
	CHECK_EQ_INT(iso_lookup(&v, "", false, &d), 0);
	CHECK(d.directory);
	free(t.img);
}

static void test_rock_ridge(void)
{
	struct tiso t;
	struct iso_info info;
	struct iso_volume v;
	struct iso_dirent d;
	const char *problem;

	tiso_init(&t, 40, "RR", true);
	build_tree(&t, true);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_inspect(&src, &info), 0);
	CHECK_EQ_INT(info.names, ISO_NAMES_ROCK_RIDGE);
	CHECK_EQ_INT(info.layouts, ISO_LAYOUT_CASPER | ISO_LAYOUT_WINDOWS);
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	CHECK_EQ_INT(iso_lookup(&v, "ReadMe.txt", false, &d), 0);
	CHECK_EQ_INT(d.extent, 23);
	CHECK_EQ_INT(iso_lookup(&v, "README.TXT", false, &d), -ENOENT);
	CHECK_EQ_INT(iso_lookup(&v, "casper/vmlinuz", false, &d), 0);
	free(t.img);
}

static void test_rock_ridge_ce_loop(void)
{
	struct tiso t;
	struct iso_volume v;
	struct iso_dirent d;
	const char *problem;

	/* A CE entry whose continuation area points at itself must end, not loop. */
	tiso_init(&t, 40, "LOOP", true);
	uint8_t *root = tiso_block(&t, 20);
	size_t o = tiso_dot_records(root, 20, 20, true);
	uint8_t *rec = root + o;
	size_t len = 34 + 28;
	memset(rec, 0, len);
	rec[0] = (uint8_t)len;
	tiso_both32(rec + 2, 21);
	tiso_both32(rec + 10, 10);
	rec[32] = 1;
	rec[33] = 'A';
	uint8_t *ce = rec + 34;
	ce[0] = 'C';
	ce[1] = 'E';
	ce[2] = 28;
	ce[3] = 1;
	tiso_both32(ce + 4, 30);
	tiso_both32(ce + 12, 0);
	tiso_both32(ce + 20, 28);
	memcpy(tiso_block(&t, 30), ce, 28);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	CHECK_EQ_INT(iso_lookup(&v, "A", false, &d), 0);
	CHECK_EQ_INT(d.extent, 21);
	free(t.img);
}

static void test_joliet(void)
{
	struct tiso t;
	struct iso_volume v;
	struct iso_dirent d;
	const char *problem;

	tiso_init(&t, 40, "J", false);
	build_tree(&t, false);
	tiso_joliet(&t, 26);
	uint8_t *jroot = tiso_block(&t, 26);
	size_t o = tiso_dot_records(jroot, 26, 26, false);
	const char ucs[] = {0, 'L', 0, 'i', 0, 'v', 0, 'e', 0, 'O', 0, 'S'};
	o += tiso_record(jroot + o, ucs, sizeof(ucs), 27, 2048, 2, NULL);
	tiso_dot_records(tiso_block(&t, 27), 27, 26, false);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	CHECK_EQ_INT(v.names, ISO_NAMES_JOLIET);
	CHECK_EQ_INT(iso_lookup(&v, "LiveOS", false, &d), 0);
	CHECK_EQ_INT(d.extent, 27);
	struct iso_info info;
	CHECK_EQ_INT(iso_inspect(&src, &info), 0);
	CHECK_EQ_INT(info.layouts, ISO_LAYOUT_LIVEOS);
	free(t.img);
}

static void test_el_torito(void)
{
	struct tiso t;
	struct iso_info info;

	/* memtest86+ style: BIOS floppy default entry plus a UEFI no-emulation section. */
	tiso_init(&t, 40, "BOOT", false);
	tiso_boot_record(&t, 30);
	uint8_t *cat = tiso_block(&t, 30);
	tiso_validation(cat, 0x00);
	tiso_boot_entry(cat + 32, 2, 1, 31);
	tiso_section_header(cat + 64, true, 0xEF, 1);
	tiso_boot_entry(cat + 96, 0, 8192, 32);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_inspect(&src, &info), 0);
	CHECK_EQ_INT(info.n_boot, 2);
	CHECK_EQ_INT(info.boot[0].platform, ISO_PLATFORM_BIOS);
	CHECK_EQ_INT(info.boot[0].emulation, ISO_EMUL_FLOPPY_1440);
	CHECK_EQ_INT(info.boot[0].load_rba, 31);
	CHECK_EQ_INT(info.boot[0].sector_count, 1);
	CHECK_EQ_INT(info.boot[1].platform, ISO_PLATFORM_UEFI);
	CHECK_EQ_INT(info.boot[1].emulation, ISO_EMUL_NONE);
	CHECK_EQ_INT(info.boot[1].load_rba, 32);
	CHECK_EQ_INT(info.boot[1].sector_count, 8192);

	/* A non-bootable entry (0x00) is not listed; hard-disk emulation is. */
	tiso_section_header(cat + 64, false, 0xEF, 1);
	cat[96] = 0x00;
	tiso_section_header(cat + 128, true, 0x00, 1);
	tiso_boot_entry(cat + 160, 4, 4, 33);
	CHECK_EQ_INT(iso_inspect(&src, &info), 0);
	CHECK_EQ_INT(info.n_boot, 2);
	CHECK_EQ_INT(info.boot[1].emulation, ISO_EMUL_HDD);

	/* Bad checksum. */
	cat[4] ^= 1;
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	CHECK_STR(info.problem, "invalid El Torito validation entry");
	tiso_validation(cat, 0x00);

	/* Boot image past the end. */
	tiso_boot_entry(cat + 32, 0, 4, 4000);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	CHECK_STR(info.problem, "boot image lies past the end of the file");
	tiso_boot_entry(cat + 32, 0, 4, 40);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	CHECK_STR(info.problem, "boot image lies past the end of the file");

	/* Catalog past the end. */
	tiso_boot_entry(cat + 32, 0, 4, 31);
	tiso_le32(tiso_block(&t, 17) + 0x47, 100000);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	CHECK_STR(info.problem, "boot catalog points past the end of the file");
	free(t.img);
}

static void test_lying_sizes(void)
{
	struct tiso t;
	struct iso_info info;

	tiso_init(&t, 40, "LIAR", false);
	struct iso_source src = source_of(&t);
	/* Volume space size larger than the file: a truncated or half-copied image. */
	tiso_both32(tiso_block(&t, 16) + 80, 41);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	CHECK_STR(info.problem, "truncated: the volume is larger than the file");
	tiso_both32(tiso_block(&t, 16) + 80, 0xFFFFFFFFu);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	tiso_both32(tiso_block(&t, 16) + 80, 10);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	tiso_both32(tiso_block(&t, 16) + 80, 40);
	/* Root directory outside the volume. */
	tiso_both32(tiso_block(&t, 16) + 156 + 2, 4000);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	CHECK_STR(info.problem, "root directory lies outside the volume");
	tiso_both32(tiso_block(&t, 16) + 156 + 2, 20);
	/* A directory with an absurd size. */
	tiso_both32(tiso_block(&t, 16) + 156 + 10, 0x7FFFFFFF);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	tiso_both32(tiso_block(&t, 16) + 156 + 10, 2048);
	/* Block size 512. */
	tiso_block(&t, 16)[128] = 0;
	tiso_block(&t, 16)[129] = 2;
	CHECK_EQ_INT(iso_inspect(&src, &info), -EOPNOTSUPP);
	tiso_block(&t, 16)[129] = 8;
	/* No terminator: descriptors run into garbage. */
	memset(tiso_block(&t, 17), 0, 2048);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	free(t.img);
}

static void test_corrupt_records(void)
{
	struct tiso t;
	struct iso_info info;

	tiso_init(&t, 40, "BADDIR", false);
	uint8_t *root = tiso_block(&t, 20);
	size_t o = tiso_dot_records(root, 20, 20, false);
	/* A record whose identifier runs past its own length. */
	root[o] = 34;
	root[o + 32] = 200;
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	CHECK_STR(info.problem, "corrupt directory tree");
	/* A subdirectory pointing outside the volume. */
	o = tiso_dot_records(root, 20, 20, false);
	o += tiso_record(root + o, "CASPER", 6, 9999, 2048, 2, NULL);
	CHECK_EQ_INT(iso_inspect(&src, &info), -EBADMSG);
	free(t.img);
}

static void test_hybrid(void)
{
	struct tiso t;
	struct iso_info info;

	tiso_init(&t, 40, "HYB", false);
	t.img[510] = 0x55;
	t.img[511] = 0xAA;
	t.img[446 + 4] = 0x17;
	memcpy(t.img + 512, "EFI PART", 8);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_inspect(&src, &info), 0);
	CHECK(info.mbr);
	CHECK(info.gpt);
	free(t.img);
}

struct names {
	char all[256];
	unsigned n;
	uint64_t big_size;
};

/* Collects names ("dir/" for directories), separated by blanks. */
static int collect_name(void *ud, const char *name, const struct iso_dirent *d)
{
	struct names *n = ud;
	size_t l = strlen(n->all);

	snprintf(n->all + l, sizeof(n->all) - l, "%s%s ", name, d->directory ? "/" : "");
	if (strcmp(name, "big.bin") == 0 || strcmp(name, "BIG.BIN") == 0)
		n->big_size = d->size;
	n->n++;
	return 0;
}

static int stop_after_one(void *ud, const char *name, const struct iso_dirent *d)
{
	collect_name(ud, name, d);
	return 1;
}
/* The length of the records in a directory block (where the next one goes). */
static size_t dir_used(struct tiso *t, uint32_t block)
{
	const uint8_t *b = tiso_block(t, block);
	size_t o = 0;

	while (o < 2048 && b[o])
		o += b[o];
	return o;
}

static void add_record(struct tiso *t, uint32_t block, const char *id, uint32_t extent,
		       uint32_t size, uint8_t flags, const struct tiso_rr *rr)
{
	uint8_t *b = tiso_block(t, block);
	tiso_record_rr(b + dir_used(t, block), id, strlen(id), extent, size, flags, rr);
}

/* A Rock Ridge tree with files, directories and symbolic links. */
static void build_links(struct tiso *t)
{
	static const char readme[] = "read me\n";
	const struct tiso_file files[] = {
	    {"docs/readme.txt", readme, sizeof(readme) - 1, NULL},
	    {"docs/sub/deep.txt", "deep", 4, NULL},
	    {"empty", NULL, 0, NULL},
	    {"big.bin", NULL, 5000, NULL},
	    {"link", NULL, 0, "docs/readme.txt"},
	    {"escape", NULL, 0, "/etc/passwd"},
	    {"linkdir", NULL, 0, "docs"},
	    {"docs/up", NULL, 0, ".."},
	};
	if (tiso_build(t, "LINKS", files, ARRAY_SIZE(files)) < 0)
		abort();
}

static void test_lookup_file(void)
{
	struct tiso t;
	struct iso_volume v;
	struct iso_file f;
	const char *problem;

	build_links(&t);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	CHECK_EQ_INT(v.names, ISO_NAMES_ROCK_RIDGE);
	CHECK_EQ_INT(iso_lookup_file(&v, "docs/readme.txt", false, &f), 0);
	CHECK_EQ_INT(f.size, 8);
	CHECK_EQ_INT(f.n_extents, 1);
	CHECK_EQ_INT(f.extents[0].length, 8);
	CHECK(memcmp(t.img + f.extents[0].offset, "read me\n", 8) == 0);
	CHECK(!f.directory && !f.symlink && !f.special);
	CHECK_EQ_INT(iso_lookup_file(&v, "/docs//readme.txt", false, &f), 0);
	CHECK_EQ_INT(iso_lookup_file(&v, "docs/sub/deep.txt", false, &f), 0);
	CHECK_EQ_INT(f.size, 4);
	CHECK_EQ_INT(iso_lookup_file(&v, "empty", false, &f), 0);
	CHECK_EQ_INT(f.size, 0);
	/* Case: exact, or folded when asked. */
	CHECK_EQ_INT(iso_lookup_file(&v, "DOCS/README.TXT", false, &f), -ENOENT);
	CHECK_EQ_INT(iso_lookup_file(&v, "DOCS/README.TXT", true, &f), 0);
	CHECK_EQ_INT(f.size, 8);
	/* Directories. */
	CHECK_EQ_INT(iso_lookup_file(&v, "docs", false, &f), -EISDIR);
	CHECK_EQ_INT(iso_lookup_file(&v, "docs/sub/", false, &f), -EISDIR);
	CHECK_EQ_INT(iso_lookup_file(&v, "", false, &f), -EISDIR);
	CHECK_EQ_INT(iso_lookup_file(&v, "/", false, &f), -EISDIR);
	/* Symbolic links, to files and directories, inside and out: never followed. */
	CHECK_EQ_INT(iso_lookup_file(&v, "link", false, &f), -ELOOP);
	CHECK(f.symlink);
	CHECK_EQ_INT(iso_lookup_file(&v, "escape", false, &f), -ELOOP);
	CHECK_EQ_INT(iso_lookup_file(&v, "linkdir", false, &f), -ELOOP);
	CHECK_EQ_INT(iso_lookup_file(&v, "LINKDIR", true, &f), -ELOOP);
	CHECK_EQ_INT(iso_lookup_file(&v, "linkdir/readme.txt", false, &f), -ENOTDIR);
	CHECK_EQ_INT(iso_lookup_file(&v, "linkdir/sub/deep.txt", true, &f), -ENOTDIR);
	CHECK_EQ_INT(iso_lookup_file(&v, "docs/up/docs/readme.txt", false, &f), -ENOTDIR);
	/* Not there. */
	CHECK_EQ_INT(iso_lookup_file(&v, "nothere", false, &f), -ENOENT);
	CHECK_EQ_INT(iso_lookup_file(&v, "docs/readme.txt/x", false, &f), -ENOTDIR);
	CHECK_EQ_INT(iso_lookup_file(&v, "docs/..", false, &f), -ENOENT);
	CHECK_EQ_INT(iso_lookup_file(&v, "docs/.", false, &f), -ENOENT);
	free(t.img);
}

static void test_rock_ridge_kinds(void)
{
	struct tiso t;
	struct iso_volume v;
	struct iso_file f;
	struct iso_dirent d;
	const char *problem;

	/* A PX mode alone says what a record is: link, device, FIFO, socket, file. */
	tiso_init(&t, 40, "KINDS", true);
	tiso_dot_records(tiso_block(&t, 20), 20, 20, true);
	memcpy(tiso_block(&t, 30), "data", 4);
	struct tiso_rr px_link = {.name = "pxlink", .mode = 0120777};
	add_record(&t, 20, "PXLINK;1", 30, 4, 0, &px_link);
	struct tiso_rr sl_only = {.name = "sllink", .symlink = "pxlink"};
	add_record(&t, 20, "SLLINK;1", 30, 4, 0, &sl_only);
	struct tiso_rr chr = {.name = "tty", .mode = 0020620};
	add_record(&t, 20, "TTY;1", 30, 0, 0, &chr);
	struct tiso_rr fifo = {.name = "fifo", .mode = 0010644};
	add_record(&t, 20, "FIFO;1", 30, 0, 0, &fifo);
	struct tiso_rr sock = {.name = "sock", .mode = 0140755};
	add_record(&t, 20, "SOCK;1", 30, 0, 0, &sock);
	struct tiso_rr blk = {.name = "disk", .mode = 0060660};
	add_record(&t, 20, "DISK;1", 30, 0, 0, &blk);
	struct tiso_rr reg = {.name = "file", .mode = 0100644};
	add_record(&t, 20, "FILE;1", 30, 4, 0, &reg);
	struct tiso_rr nomode = {.name = "nomode"};
	add_record(&t, 20, "NOMODE;1", 30, 4, 0, &nomode);
	struct tiso_rr dir = {.name = "dir", .mode = 0040755};
	add_record(&t, 20, "DIR", 31, 2048, 2, &dir);
	tiso_dot_records(tiso_block(&t, 31), 31, 20, false);
	struct tiso_rr dirlink = {.name = "dirlink", .mode = 0120777, .symlink = "dir"};
	add_record(&t, 20, "DIRLINK", 31, 2048, 2, &dirlink); /* a link flagged as a directory */
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	CHECK_EQ_INT(iso_lookup_file(&v, "pxlink", false, &f), -ELOOP);
	CHECK_EQ_INT(iso_lookup_file(&v, "sllink", false, &f), -ELOOP);
	CHECK_EQ_INT(iso_lookup_file(&v, "tty", false, &f), -ELOOP);
	CHECK(f.special);
	CHECK_EQ_INT(iso_lookup_file(&v, "fifo", false, &f), -ELOOP);
	CHECK_EQ_INT(iso_lookup_file(&v, "sock", false, &f), -ELOOP);
	CHECK_EQ_INT(iso_lookup_file(&v, "disk", false, &f), -ELOOP);
	CHECK_EQ_INT(iso_lookup_file(&v, "file", false, &f), 0);
	CHECK_EQ_INT(iso_lookup_file(&v, "nomode", false, &f), 0);
	CHECK_EQ_INT(iso_lookup_file(&v, "dir", false, &f), -EISDIR);
	CHECK_EQ_INT(iso_lookup_file(&v, "dirlink", false, &f), -EISDIR);
	CHECK(f.symlink);
	CHECK_EQ_INT(iso_lookup_file(&v, "dirlink/x", false, &f), -ENOTDIR);
	/* The older lookup still sees names, links included. */
	CHECK_EQ_INT(iso_lookup(&v, "pxlink", false, &d), 0);
	free(t.img);
}

/* A directory with a file of several extents (ECMA-119 6.5.1): records with the same name, all
 * but the last flagged 0x80. */
static void test_multi_extent(void)
{
	struct tiso t;
	struct iso_volume v;
	struct iso_file f;
	struct iso_dirent d;
	const char *problem;

	tiso_init(&t, 60, "MULTI", false);
	tiso_dot_records(tiso_block(&t, 20), 20, 20, false);
	memset(tiso_block(&t, 30), 'a', 2048);
	memset(tiso_block(&t, 32), 'b', 4096);
	memset(tiso_block(&t, 40), 'c', 100);
	add_record(&t, 20, "A.TXT;1", 25, 3, 0, NULL);
	add_record(&t, 20, "BIG.BIN;1", 30, 2048, 0x80, NULL);
	add_record(&t, 20, "BIG.BIN;1", 32, 4096, 0x80, NULL);
	add_record(&t, 20, "BIG.BIN;1", 40, 100, 0, NULL);
	add_record(&t, 20, "Z.TXT;1", 26, 3, 0, NULL);
	memcpy(tiso_block(&t, 25), "aaa", 3);
	memcpy(tiso_block(&t, 26), "zzz", 3);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	CHECK_EQ_INT(iso_lookup_file(&v, "BIG.BIN", false, &f), 0);
	CHECK_EQ_INT(f.n_extents, 3);
	CHECK_EQ_INT(f.size, 2048 + 4096 + 100);
	CHECK_EQ_INT(f.extents[0].offset, 30 * 2048);
	CHECK_EQ_INT(f.extents[0].length, 2048);
	CHECK_EQ_INT(f.extents[1].offset, 32 * 2048);
	CHECK_EQ_INT(f.extents[1].length, 4096);
	CHECK_EQ_INT(f.extents[2].offset, 40 * 2048);
	CHECK_EQ_INT(f.extents[2].length, 100);
	CHECK_EQ_INT(f.dirent.extent, 30);
	/* With case folded, and the files around it. */
	CHECK_EQ_INT(iso_lookup_file(&v, "big.bin", true, &f), 0);
	CHECK_EQ_INT(f.n_extents, 3);
	CHECK_EQ_INT(f.size, 6244);
	CHECK_EQ_INT(iso_lookup_file(&v, "Z.TXT", false, &f), 0);
	CHECK_EQ_INT(f.n_extents, 1);
	CHECK_EQ_INT(f.dirent.extent, 26);
	CHECK_EQ_INT(iso_lookup_file(&v, "A.TXT", false, &f), 0);
	/* The older lookup cannot give one extent for it. */
	CHECK_EQ_INT(iso_lookup(&v, "BIG.BIN", false, &d), -EOPNOTSUPP);
	/* Read whole, piece after piece. */
	char *text = NULL;
	size_t len = 0;
	CHECK_EQ_INT(iso_read_file(&v, "BIG.BIN", false, 1 << 20, &text, &len), 0);
	CHECK_EQ_INT(len, 6244);
	if (text && len == 6244) {
		CHECK(text[0] == 'a' && text[2047] == 'a');
		CHECK(text[2048] == 'b' && text[6143] == 'b');
		CHECK(text[6144] == 'c' && text[6243] == 'c');
		CHECK(text[6244] == '\0');
	}
	free(text);
	text = NULL;
	CHECK_EQ_INT(iso_read_file(&v, "BIG.BIN", false, 6243, &text, &len), -EFBIG);
	CHECK(text == NULL);
	CHECK_EQ_INT(iso_read_file(&v, "BIG.BIN", false, 6244, &text, &len), 0);
	free(text);

	/* Listed once. */
	struct names names = {{0}, 0, 0};
	CHECK_EQ_INT(iso_list_dir(&v, "", false, collect_name, &names), 0);
	CHECK_STR(names.all, "A.TXT BIG.BIN Z.TXT ");
	free(t.img);
}

static void test_multi_extent_broken(void)
{
	struct tiso t;
	struct iso_volume v;
	struct iso_file f;
	const char *problem;

	/* The directory ends inside the file. */
	tiso_init(&t, 60, "BROKEN", false);
	tiso_dot_records(tiso_block(&t, 20), 20, 20, false);
	add_record(&t, 20, "BIG.BIN;1", 30, 2048, 0x80, NULL);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	CHECK_EQ_INT(iso_lookup_file(&v, "BIG.BIN", false, &f), -EBADMSG);
	/* Another name follows. */
	add_record(&t, 20, "OTHER.BIN;1", 31, 2048, 0, NULL);
	CHECK_EQ_INT(iso_lookup_file(&v, "BIG.BIN", false, &f), -EBADMSG);
	CHECK_EQ_INT(iso_lookup_file(&v, "OTHER.BIN", false, &f), 0);
	/* A directory follows under the same name. */
	memset(tiso_block(&t, 20), 0, 2048);
	tiso_dot_records(tiso_block(&t, 20), 20, 20, false);
	add_record(&t, 20, "BIG.BIN;1", 30, 2048, 0x80, NULL);
	add_record(&t, 20, "BIG.BIN;1", 21, 2048, 2, NULL);
	CHECK_EQ_INT(iso_lookup_file(&v, "BIG.BIN", false, &f), -EBADMSG);
	/* A piece past the end of the image. */
	memset(tiso_block(&t, 20), 0, 2048);
	tiso_dot_records(tiso_block(&t, 20), 20, 20, false);
	add_record(&t, 20, "BIG.BIN;1", 30, 2048, 0x80, NULL);
	add_record(&t, 20, "BIG.BIN;1", 59, 4096, 0, NULL);
	CHECK_EQ_INT(iso_lookup_file(&v, "BIG.BIN", false, &f), -EBADMSG);
	/* More pieces than ISO_MAX_EXTENTS. */
	memset(tiso_block(&t, 20), 0, 2048);
	tiso_dot_records(tiso_block(&t, 20), 20, 20, false);
	for (unsigned i = 0; i <= ISO_MAX_EXTENTS; i++)
		add_record(&t, 20, "M;1", 30, 2048, i < ISO_MAX_EXTENTS ? 0x80 : 0, NULL);
	CHECK_EQ_INT(dir_used(&t, 20) < 2048, 1);
	CHECK_EQ_INT(iso_lookup_file(&v, "M", false, &f), -EOPNOTSUPP);
	/* Exactly ISO_MAX_EXTENTS: fine. */
	memset(tiso_block(&t, 20), 0, 2048);
	tiso_dot_records(tiso_block(&t, 20), 20, 20, false);
	for (unsigned i = 0; i < ISO_MAX_EXTENTS; i++)
		add_record(&t, 20, "M;1", 30, 2048, i < ISO_MAX_EXTENTS - 1 ? 0x80 : 0, NULL);
	CHECK_EQ_INT(iso_lookup_file(&v, "M", false, &f), 0);
	CHECK_EQ_INT(f.n_extents, ISO_MAX_EXTENTS);
	CHECK_EQ_INT(f.size, (uint64_t)ISO_MAX_EXTENTS * 2048);
	/* A directory flagged 0x80 is one directory. */
	memset(tiso_block(&t, 20), 0, 2048);
	tiso_dot_records(tiso_block(&t, 20), 20, 20, false);
	add_record(&t, 20, "D", 21, 2048, 0x82, NULL);
	add_record(&t, 20, "X;1", 30, 10, 0, NULL);
	tiso_dot_records(tiso_block(&t, 21), 21, 20, false);
	CHECK_EQ_INT(iso_lookup_file(&v, "D", false, &f), -EISDIR);
	CHECK_EQ_INT(iso_lookup_file(&v, "X", false, &f), 0);
	free(t.img);
}

static void test_list_and_read(void)
{
	struct tiso t;
	struct iso_volume v;
	const char *problem;

	build_links(&t);
	struct iso_source src = source_of(&t);
	CHECK_EQ_INT(iso_volume_open(&v, &src, &problem), 0);
	/* Symbolic links are not listed, nor "." and "..". */
	struct names names = {{0}, 0, 0};
	CHECK_EQ_INT(iso_list_dir(&v, "", false, collect_name, &names), 0);
	CHECK_STR(names.all, "docs/ empty big.bin ");
	CHECK_EQ_INT(names.big_size, 5000);
	memset(&names, 0, sizeof(names));
	CHECK_EQ_INT(iso_list_dir(&v, "/docs/", false, collect_name, &names), 0);
	CHECK_STR(names.all, "sub/ readme.txt ");
	memset(&names, 0, sizeof(names));
	CHECK_EQ_INT(iso_list_dir(&v, "DOCS", true, collect_name, &names), 0);
	CHECK_STR(names.all, "sub/ readme.txt ");
	CHECK_EQ_INT(iso_list_dir(&v, "DOCS", false, collect_name, &names), -ENOENT);
	CHECK_EQ_INT(iso_list_dir(&v, "docs/readme.txt", false, collect_name, &names), -ENOTDIR);
	CHECK_EQ_INT(iso_list_dir(&v, "linkdir", false, collect_name, &names), -ENOTDIR);
	CHECK_EQ_INT(iso_list_dir(&v, "linkdir/sub", false, collect_name, &names), -ENOTDIR);
	/* The callback stops the listing. */
	memset(&names, 0, sizeof(names));
	CHECK_EQ_INT(iso_list_dir(&v, "", false, stop_after_one, &names), 0);
	CHECK_EQ_INT(names.n, 1);

	char *text = NULL;
	size_t len = 0;
	CHECK_EQ_INT(iso_read_file(&v, "docs/readme.txt", false, 100, &text, &len), 0);
	CHECK_STR(text, "read me\n");
	CHECK_EQ_INT(len, 8);
	free(text);
	text = NULL;
	CHECK_EQ_INT(iso_read_file(&v, "docs/readme.txt", false, 8, &text, NULL), 0);
	free(text);
	text = NULL;
	CHECK_EQ_INT(iso_read_file(&v, "docs/readme.txt", false, 7, &text, &len), -EFBIG);
	CHECK_EQ_INT(iso_read_file(&v, "empty", false, 0, &text, &len), 0);
	CHECK_STR(text, "");
	CHECK_EQ_INT(len, 0);
	free(text);
	text = NULL;
	CHECK_EQ_INT(iso_read_file(&v, "big.bin", false, 4999, &text, &len), -EFBIG);
	CHECK_EQ_INT(iso_read_file(&v, "link", false, 100, &text, &len), -ELOOP);
	CHECK_EQ_INT(iso_read_file(&v, "escape", false, 100, &text, &len), -ELOOP);
	CHECK_EQ_INT(iso_read_file(&v, "docs", false, 100, &text, &len), -EISDIR);
	CHECK_EQ_INT(iso_read_file(&v, "linkdir/readme.txt", false, 100, &text, &len), -ENOTDIR);
	CHECK_EQ_INT(iso_read_file(&v, "nothere", false, 100, &text, &len), -ENOENT);
	CHECK(text == NULL);
	free(t.img);
}

static void test_names(void)
{
	CHECK_STR(iso_platform_to_string(ISO_PLATFORM_UEFI), "uefi");
	CHECK_EQ_INT(iso_platform_from_string("bios"), ISO_PLATFORM_BIOS);
	CHECK_EQ_INT(iso_emulation_from_string("floppy2880"), ISO_EMUL_FLOPPY_2880);
	CHECK_EQ_INT(iso_emulation_from_string("nope"), -EINVAL);
	CHECK_STR(iso_layout_to_string(ISO_LAYOUT_LIVEOS), "liveos");
	CHECK_EQ_INT(iso_layout_from_string("windows"), ISO_LAYOUT_WINDOWS);
}

int main(void)
{
	RUN(test_not_iso);
	RUN(test_plain);
	RUN(test_rock_ridge);
	RUN(test_rock_ridge_ce_loop);
	RUN(test_joliet);
	RUN(test_el_torito);
	RUN(test_lying_sizes);
	RUN(test_corrupt_records);
	RUN(test_hybrid);
	RUN(test_lookup_file);
	RUN(test_rock_ridge_kinds);
	RUN(test_multi_extent);
	RUN(test_multi_extent_broken);
	RUN(test_list_and_read);
	RUN(test_names);
	return tap_done();
}
