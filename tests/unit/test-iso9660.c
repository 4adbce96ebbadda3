/* SPDX-License-Identifier: MIT */
#include "iso9660.h"
#include "isobuild.h"
#include "tap.h"

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
	RUN(test_names);
	return tap_done();
}
