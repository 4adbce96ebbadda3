/* SPDX-License-Identifier: MIT */
#include "catalog-fixture.h"
#include "catalog.h"
#include "helpers.h"
#include "tap.h"
#include "util.h"

static struct catalog_entry *add(struct catalog *c, const char *path, const char *group)
{
	return fixture_add(c, path, group, NULL);
}

static void test_ids(void)
{
	char a[CATALOG_ID_MAX], b[CATALOG_ID_MAX];

	CHECK_EQ_INT(catalog_make_id("memtest86+x64.iso", a), 0);
	CHECK(strncmp(a, "memtest86-x64-", 14) == 0);
	CHECK_EQ_INT(strlen(a), 14 + 12);
	/* Stable: the same path always gives the same id. */
	CHECK_EQ_INT(catalog_make_id("memtest86+x64.iso", b), 0);
	CHECK_STR(a, b);
	/* The folder is part of the identity. */
	CHECK_EQ_INT(catalog_make_id("tools/memtest86+x64.iso", b), 0);
	CHECK(strcmp(a, b) != 0);
	CHECK(strncmp(b, "memtest86-x64-", 14) == 0);
	/* Names with nothing usable still give a valid id. */
	CHECK_EQ_INT(catalog_make_id("+++.ISO", a), 0);
	CHECK(strncmp(a, "iso-", 4) == 0);
	/* Long names are cut so that the IQN stays short. */
	CHECK_EQ_INT(
	    catalog_make_id("a-very-long-name-that-goes-on-and-on-and-on-forever-and-ever.iso", a),
	    0);
	CHECK(strlen(a) <= 40 + 1 + 12);
	for (const char *p = a; *p; p++)
		CHECK((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-');
}

static void test_roundtrip(void)
{
	struct catalog c, d;
	char *buf = NULL;
	size_t len = 0;

	catalog_init(&c);
	struct catalog_entry *e = add(&c, "tools/memtest.iso", "tools");
	e->boot[0] = (struct iso_boot_entry){ISO_PLATFORM_BIOS, 0, ISO_EMUL_FLOPPY_1440, 35, 1};
	e->boot[1] = (struct iso_boot_entry){ISO_PLATFORM_UEFI, 0xEF, ISO_EMUL_NONE, 826, 8192};
	e->boot[2] = (struct iso_boot_entry){ISO_PLATFORM_OTHER, 0x42, ISO_EMUL_HDD, 1, 2};
	e->n_boot = 3;
	e->mbr = true;
	e->layouts = ISO_LAYOUT_CASPER | ISO_LAYOUT_WINDOWS;
	/* Hostile file names survive the trip unchanged. */
	e = add(&c, "we\\ird\nna\tme \x7f.iso", "");
	free(e->label);
	e->label = strdup("");
	e->mtime = -5;

	FILE *f = open_memstream(&buf, &len);
	CHECK_EQ_INT(catalog_format(&c, f), 0);
	fclose(f);
	CHECK(strncmp(buf, "ISOBOOT-CATALOG 1\n", 18) == 0);
	CHECK(strstr(buf, "boot bios floppy1440 35 1\n") != NULL);
	CHECK(strstr(buf, "boot uefi noemul 826 8192\n") != NULL);
	CHECK(strstr(buf, "path we\\\\ird\\x0ana\\x09me \\x7f.iso\n") != NULL);
	CHECK(strstr(buf, "end 2\n") != NULL);

	unsigned line = 0;
	CHECK_EQ_INT(catalog_parse(&d, buf, len, &line), 0);
	CHECK_EQ_INT(d.n, 2);
	for (size_t i = 0; i < d.n && i < c.n; i++) {
		CHECK_STR(d.entries[i].id, c.entries[i].id);
		CHECK_STR(d.entries[i].iqn, c.entries[i].iqn);
		CHECK_STR(d.entries[i].path, c.entries[i].path);
		CHECK_STR(d.entries[i].name, c.entries[i].name);
		CHECK_STR(d.entries[i].label, c.entries[i].label);
		CHECK_STR(d.entries[i].group ? d.entries[i].group : "", c.entries[i].group);
		CHECK_EQ_INT(d.entries[i].size, c.entries[i].size);
		CHECK_EQ_INT(d.entries[i].mtime, c.entries[i].mtime);
		CHECK_EQ_INT(d.entries[i].n_boot, c.entries[i].n_boot);
		CHECK(memcmp(d.entries[i].boot, c.entries[i].boot,
			     sizeof(struct iso_boot_entry) * c.entries[i].n_boot) == 0);
		CHECK_EQ_INT(d.entries[i].layouts, c.entries[i].layouts);
		CHECK_EQ_INT(d.entries[i].mbr, c.entries[i].mbr);
	}
	CHECK(catalog_find_id(&d, c.entries[0].id) == &d.entries[0]);
	CHECK(catalog_find_iqn(&d, c.entries[1].iqn) == &d.entries[1]);
	CHECK(catalog_find_id(&d, "nope") == NULL);
	enum iso_emulation em;
	CHECK(catalog_entry_boots(&d.entries[0], ISO_PLATFORM_BIOS, &em));
	CHECK_EQ_INT(em, ISO_EMUL_FLOPPY_1440);
	CHECK(!catalog_entry_boots(&d.entries[1], ISO_PLATFORM_UEFI, NULL));
	catalog_finish(&d);
	catalog_finish(&c);
	free(buf);
}

static void expect_bad(const char *text, unsigned want_line)
{
	struct catalog c;
	unsigned line = 0;

	int r = catalog_parse(&c, text, strlen(text), &line);
	CHECK_EQ_INT(r, -EBADMSG);
	CHECK_EQ_INT(line, want_line);
	CHECK_EQ_INT(c.n, 0);
}

#define HDR "ISOBOOT-CATALOG 1\n"
#define ENT(id) "iso " id "\niqn iqn.2025-01.x.y:" id "\npath " id ".iso\nname " id "\n"

static void test_parse_errors(void)
{
	struct catalog c;

	expect_bad("", 0);
	expect_bad("ISOBOOT-CATALOG 2\nend 0\n", 1);
	expect_bad("NOT-A-CATALOG 1\n", 1);
	expect_bad(HDR ENT("a"), 5);			/* truncated: no end line */
	expect_bad(HDR ENT("a") "end 2\n", 6);		/* count mismatch */
	expect_bad(HDR ENT("a") "end 1", 6);		/* last line unterminated */
	expect_bad(HDR ENT("a") "end 1\nx\n", 7);	/* after end */
	expect_bad(HDR ENT("a") ENT("a") "end 2\n", 6); /* duplicate id */
	expect_bad(HDR "iso BAD_ID\n", 2);
	expect_bad(HDR "iso a\npath ../etc/passwd\n", 3);
	expect_bad(HDR "iso a\npath /etc/passwd\n", 3);
	expect_bad(HDR "iso a\npath a/./b.iso\n", 3);
	expect_bad(HDR "iso a\npath a//b.iso\n", 3);
	expect_bad(HDR "iso a\npath a/\n", 3);
	expect_bad(HDR "iso a\npath a\\x00b\n", 3);
	expect_bad(HDR "iso a\npath a\\q\n", 3);
	expect_bad(HDR "iso a\npath a\\x4\n", 3);
	expect_bad(HDR "iso a\niqn x\niqn y\n", 4);
	expect_bad(HDR "iso a\nsize -1\n", 3);
	expect_bad(HDR "iso a\nsize 99999999999999999999\n", 3);
	expect_bad(HDR "iso a\nboot bios noemul 1\n", 3);
	expect_bad(HDR "iso a\nboot bios wrong 1 1\n", 3);
	expect_bad(HDR "iso a\nboot 0xZZ noemul 1 1\n", 3);
	expect_bad(HDR "iso a\nboot bios noemul 1 70000\n", 3);
	expect_bad(HDR "iso a\nend 1\n", 3); /* incomplete entry */
	/* NUL inside a line. */
	const char nul[] = HDR "iso a\0b\n";
	unsigned line;
	CHECK_EQ_INT(catalog_parse(&c, nul, sizeof(nul) - 1, &line), -EBADMSG);

	/* Forward compatibility: unknown keys and header lines are ignored. */
	const char *ok = HDR "generator future\n" ENT("a") "colour blue\nend 1\n";
	CHECK_EQ_INT(catalog_parse(&c, ok, strlen(ok), &line), 0);
	CHECK_EQ_INT(c.n, 1);
	catalog_finish(&c);
	const char *empty = HDR "end 0\n";
	CHECK_EQ_INT(catalog_parse(&c, empty, strlen(empty), &line), 0);
	CHECK_EQ_INT(c.n, 0);
	catalog_finish(&c);
}

/* The UEFI architectures: written in a fixed order, read back; absent or from a later version. */
static void test_efi_arch(void)
{
	struct catalog c, d;
	char *buf = NULL;
	size_t len = 0;
	unsigned line = 0;

	catalog_init(&c);
	add(&c, "old.iso", "")->efi_arches = 0;
	add(&c, "arm.iso", "")->efi_arches = ISO_EFI_ARCH_ARM64;
	add(&c, "all.iso", "")->efi_arches = ISO_EFI_ARCH_KNOWN;
	add(&c, "two.iso", "")->efi_arches = ISO_EFI_ARCH_ARM64 | ISO_EFI_ARCH_X64;
	FILE *f = open_memstream(&buf, &len);
	CHECK_EQ_INT(catalog_format(&c, f), 0);
	fclose(f);
	CHECK(strstr(buf, "efi-arch arm64\n") != NULL);
	CHECK(strstr(buf, "efi-arch ia32 x64 arm arm64 riscv64 loongarch64\n") != NULL);
	CHECK(strstr(buf, "efi-arch x64 arm64\n") != NULL);
	/* Nothing for an unknown set: older readers see what they saw before. */
	char *old = strstr(buf, "path old.iso\n"), *next = old ? strstr(old, "\niso ") : NULL;
	CHECK(old && next);
	if (old && next) {
		*next = '\0';
		CHECK(!strstr(old, "efi-arch"));
		*next = '\n';
	}
	CHECK_EQ_INT(catalog_parse(&d, buf, len, &line), 0);
	CHECK_EQ_INT(d.n, 4);
	for (size_t i = 0; i < d.n && i < c.n; i++)
		CHECK_EQ_INT(d.entries[i].efi_arches, c.entries[i].efi_arches);
	catalog_finish(&d);
	catalog_finish(&c);
	free(buf);

	/* An old catalog has no key: x64 only. Names of later versions still make it known; two
	 * lines add up. */
#define OLD ENT("old")
#define ARM ENT("arm") "efi-arch arm64\n"
#define LATER ENT("later") "efi-arch mips64 arm64\n"
#define FUTURE ENT("future") "efi-arch mips64\n"
#define SPLIT ENT("split") "efi-arch ia32\nefi-arch x64\n"
	static const char text[] = HDR OLD ARM LATER FUTURE SPLIT "end 5\n";
	CHECK_EQ_INT(catalog_parse(&d, text, strlen(text), &line), 0);
	CHECK_EQ_INT(d.n, 5);
	if (d.n == 5) {
		const struct catalog_entry *e = d.entries;
		CHECK_EQ_INT(e[0].efi_arches, 0);
		CHECK(catalog_entry_efi_boots_on(&e[0], ISO_EFI_ARCH_X64));
		CHECK(!catalog_entry_efi_boots_on(&e[0], ISO_EFI_ARCH_ARM64));
		CHECK(!catalog_entry_efi_boots_on(&e[0], ISO_EFI_ARCH_IA32));
		CHECK_EQ_INT(e[1].efi_arches, ISO_EFI_ARCH_ARM64);
		CHECK(catalog_entry_efi_boots_on(&e[1], ISO_EFI_ARCH_ARM64));
		CHECK(!catalog_entry_efi_boots_on(&e[1], ISO_EFI_ARCH_X64));
		CHECK_EQ_INT(e[2].efi_arches, ISO_EFI_ARCH_ARM64 | ISO_EFI_ARCH_OTHER);
		CHECK(catalog_entry_efi_boots_on(&e[2], ISO_EFI_ARCH_ARM64));
		CHECK(!catalog_entry_efi_boots_on(&e[2], ISO_EFI_ARCH_X64));
		CHECK_EQ_INT(e[3].efi_arches, ISO_EFI_ARCH_OTHER);
		CHECK(!catalog_entry_efi_boots_on(&e[3], ISO_EFI_ARCH_X64));
		CHECK(!catalog_entry_efi_boots_on(&e[3], ISO_EFI_ARCH_ARM64));
		CHECK_EQ_INT(e[4].efi_arches, ISO_EFI_ARCH_IA32 | ISO_EFI_ARCH_X64);
		CHECK(catalog_entry_efi_boots_on(&e[4], ISO_EFI_ARCH_IA32));
		CHECK(catalog_entry_efi_boots_on(&e[4], ISO_EFI_ARCH_X64));
	}
	catalog_finish(&d);
}

/* "unrecognised" is written for an entry without a recipe only, and read back. */
static void test_unrecognised(void)
{
	struct catalog c, d;
	char *buf = NULL;
	size_t len = 0;
	unsigned line = 0;

	catalog_init(&c);
	add(&c, "os.iso", "")->unrecognised = true;
	add(&c, "memtest.iso", "");
	FILE *f = open_memstream(&buf, &len);
	CHECK_EQ_INT(catalog_format(&c, f), 0);
	fclose(f);
	char *u = strstr(buf, "unrecognised yes\n");
	CHECK(u != NULL && strstr(u + 1, "unrecognised") == NULL);
	CHECK_EQ_INT(catalog_parse(&d, buf, len, &line), 0);
	CHECK_EQ_INT(d.n, 2);
	for (size_t i = 0; i < d.n && i < c.n; i++)
		CHECK_EQ_INT(d.entries[i].unrecognised, c.entries[i].unrecognised);
	catalog_finish(&d);
	catalog_finish(&c);
	free(buf);
}

/* Three entries: a live-boot recipe with every kind of line, one without a recipe, and a
 * recipe with no initrd and empty parameters. */
static void recipe_catalog(struct catalog *c)
{
	catalog_init(c);
	struct catalog_entry *e = add(c, "linux/debian-live.iso", "linux");
	e->boot[0] = (struct iso_boot_entry){ISO_PLATFORM_BIOS, 0, ISO_EMUL_NONE, 35, 4};
	e->n_boot = 1;
	e->layouts = ISO_LAYOUT_LIVE;
	e->recipe = strdup("live-boot");
	e->kernel = strdup("live/vmlinuz-6.1.0-18-amd64");
	e->initrd[0] = strdup("live/ucode.img");
	e->initrd[1] = strdup("live/initrd.img-6.1.0-18-amd64");
	e->n_initrd = 2;
	e->append =
	    strdup("boot=live components quiet splash fetch={files}/live/filesystem.squashfs");
	e->fetch[0] = (struct catalog_fetch){strdup("live/vmlinuz-6.1.0-18-amd64"), 8000000};
	e->fetch[1] = (struct catalog_fetch){strdup("live/ucode.img"), 4096};
	e->fetch[2] = (struct catalog_fetch){strdup("live/initrd.img-6.1.0-18-amd64"), 40000000};
	e->fetch[3] = (struct catalog_fetch){strdup("live/file with\\odd name ü"), 5ull << 30};
	e->n_fetch = 4;
	e->ram = (512ull << 20) + (6ull << 30);
	/* An entry without a recipe writes none of its lines. */
	add(c, "plain.iso", "");
	/* A recipe with no initrd and empty parameters is still whole. */
	e = add(c, "z/minimal.iso", "z");
	e->recipe = strdup("dracut");
	e->kernel = strdup("k");
	e->append = strdup("");
	/* An installer with its medium's folders. */
	e = add(c, "z/netinst.iso", "z");
	e->recipe = strdup("debian-installer");
	e->kernel = strdup("install.amd/vmlinuz");
	e->initrd[0] = strdup("install.amd/initrd.gz");
	e->n_initrd = 1;
	e->append = strdup("vga=788 --- quiet");
	e->medium[0] = strdup(".disk");
	e->medium[1] = strdup("pool");
	e->n_medium = 2;
	e->ram = 3ull << 30;
}

/* catalog_format() into a new buffer. */
static int format_catalog(const struct catalog *c, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	int r = catalog_format(c, f);

	fclose(f);
	return r;
}

/* The recipe catalog written to buf and read back into d; test_recipe_reparse checks each
 * step, so a failure here only marks the case failed. */
static bool recipe_reread(struct catalog *c, struct catalog *d, char **buf, size_t *len)
{
	unsigned line = 0;

	recipe_catalog(c);
	format_catalog(c, buf, len);
	if (catalog_parse(d, *buf, *len, &line) == 0 && d->n == 4)
		return true;
	printf("#   the recipe catalog does not read back\n");
	tap_case_failed = 1;
	return false;
}

/* Recipe lines are written in their order, only for entries with a recipe. */
static void test_recipe_format(void)
{
	struct catalog c;
	char *buf = NULL;
	size_t len = 0;

	recipe_catalog(&c);
	CHECK_EQ_INT(format_catalog(&c, &buf, &len), 0);
	CHECK(strstr(buf, "layout live\n"
			  "recipe live-boot\n"
			  "kernel live/vmlinuz-6.1.0-18-amd64\n"
			  "initrd live/ucode.img\n"
			  "initrd live/initrd.img-6.1.0-18-amd64\n"
			  "append boot=live components quiet splash "
			  "fetch={files}/live/filesystem.squashfs\n"
			  "fetch 8000000 live/vmlinuz-6.1.0-18-amd64\n"
			  "fetch 4096 live/ucode.img\n"
			  "fetch 40000000 live/initrd.img-6.1.0-18-amd64\n"
			  "fetch 5368709120 live/file with\\\\odd name \xc3\xbc\n"
			  "ram 6979321856\n") != NULL);
	/* Only two entries have recipe lines. */
	size_t recipes = 0;
	for (const char *q = buf; (q = strstr(q, "\nrecipe ")); q++)
		recipes++;
	CHECK_EQ_INT(recipes, 3);
	CHECK(
	    strstr(buf, "append vga=788 --- quiet\nmedium .disk\nmedium pool\nram 3221225472\n") !=
	    NULL);
	CHECK(strstr(buf, "recipe dracut\nkernel k\nappend \nram 0\n") != NULL);
	catalog_finish(&c);
	free(buf);
}

/* What was written reads back as the same recipes. */
static void test_recipe_reparse(void)
{
	struct catalog c, d;
	char *buf = NULL;
	size_t len = 0;

	recipe_catalog(&c);
	format_catalog(&c, &buf, &len);
	unsigned line = 0;
	CHECK_EQ_INT(catalog_parse(&d, buf, len, &line), 0);
	CHECK_EQ_INT(line, 0);
	CHECK_EQ_INT(d.n, 4);
	for (size_t i = 0; i < d.n && i < c.n; i++) {
		const struct catalog_entry *x = &d.entries[i], *y = &c.entries[i];
		CHECK_STR(x->id, y->id);
		CHECK_EQ_INT(x->recipe == NULL, y->recipe == NULL);
		if (!y->recipe)
			continue;
		CHECK_STR(x->recipe, y->recipe);
		CHECK_STR(x->kernel, y->kernel);
		CHECK_STR(x->append, y->append);
		CHECK_EQ_INT(x->n_initrd, y->n_initrd);
		for (size_t k = 0; k < x->n_initrd && k < y->n_initrd; k++)
			CHECK_STR(x->initrd[k], y->initrd[k]);
		CHECK_EQ_INT(x->n_fetch, y->n_fetch);
		for (size_t k = 0; k < x->n_fetch && k < y->n_fetch; k++) {
			CHECK_STR(x->fetch[k].path, y->fetch[k].path);
			CHECK_EQ_INT(x->fetch[k].size, y->fetch[k].size);
		}
		CHECK_EQ_INT(x->n_medium, y->n_medium);
		for (size_t k = 0; k < x->n_medium && k < y->n_medium; k++)
			CHECK_STR(x->medium[k], y->medium[k]);
		CHECK_EQ_INT(x->ram, y->ram);
	}
	catalog_finish(&d);
	catalog_finish(&c);
	free(buf);
}

/* The second write is the first. */
static void test_recipe_rewrite(void)
{
	struct catalog c, d;
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;

	if (recipe_reread(&c, &d, &buf, &len)) {
		CHECK_EQ_INT(format_catalog(&d, &buf2, &len2), 0);
		CHECK_EQ_INT(len2, len);
		CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
	}
	free(buf2);
	catalog_finish(&d);
	catalog_finish(&c);
	free(buf);
}

/* Clearing the recipe leaves the rest. */
static void test_recipe_clear(void)
{
	struct catalog c, d;
	char *buf = NULL;
	size_t len = 0;

	if (recipe_reread(&c, &d, &buf, &len)) {
		catalog_entry_clear_recipe(&d.entries[0]);
		CHECK(d.entries[0].recipe == NULL && d.entries[0].kernel == NULL);
		CHECK_EQ_INT(d.entries[0].n_initrd, 0);
		CHECK_EQ_INT(d.entries[0].n_fetch, 0);
		CHECK_EQ_INT(d.entries[0].ram, 0);
		CHECK_STR(d.entries[0].id, c.entries[0].id);
	}
	catalog_finish(&d);
	catalog_finish(&c);
	free(buf);
}

/* A recipe is whole: kernel and append, checked when the entry ends. */
static void test_recipe_incomplete(void)
{
	expect_bad(HDR ENT("a") "recipe live-boot\nappend x\nend 1\n", 8);
	expect_bad(HDR ENT("a") "recipe live-boot\nkernel k\nend 1\n", 8);
	expect_bad(HDR ENT("a") "recipe live-boot\n" ENT("b") "end 2\n", 7);
	expect_bad(HDR ENT("a") "recipe \nkernel k\nappend x\nend 1\n", 6);
	expect_bad(HDR ENT("a") "recipe\nkernel k\nappend x\nend 1\n", 6);
}

/* A recipe, kernel or append line given twice. */
static void test_recipe_duplicate_lines(void)
{
	expect_bad(HDR ENT("a") "recipe r\nrecipe r\n", 7);
	expect_bad(HDR ENT("a") "kernel k\nkernel k\n", 7);
	expect_bad(HDR ENT("a") "append a\nappend b\n", 7);
}

/* Paths of the kernel and initrds: relative, inside, printable. */
static void test_recipe_bad_paths(void)
{
	static const char *const bad_paths[] = {
	    "../k", "/k", "a/../k", "a/./k", "a//k", "a/", ".", "..", "", "a\\x01b", "a\\x7fb",
	};
	char text[256];
	for (size_t i = 0; i < ARRAY_SIZE(bad_paths); i++) {
		snprintf(text, sizeof(text), HDR ENT("a") "kernel %s\n", bad_paths[i]);
		expect_bad(text, 6);
		snprintf(text, sizeof(text), HDR ENT("a") "initrd %s\n", bad_paths[i]);
		expect_bad(text, 6);
		snprintf(text, sizeof(text), HDR ENT("a") "fetch 1 %s\n", bad_paths[i]);
		expect_bad(text, 6);
	}
}

/* More than CATALOG_MAX_INITRDS initrds, more than CATALOG_MAX_FETCH fetches. */
static void test_recipe_too_many(void)
{
	char many[2048];
	size_t o = (size_t)snprintf(many, sizeof(many), HDR ENT("a"));
	for (int i = 0; i <= CATALOG_MAX_INITRDS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "initrd i%d\n", i);
	expect_bad(many, 6 + CATALOG_MAX_INITRDS);
	o = (size_t)snprintf(many, sizeof(many), HDR ENT("a"));
	for (int i = 0; i <= CATALOG_MAX_FETCH; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "fetch %d f%d\n", i, i);
	expect_bad(many, 6 + CATALOG_MAX_FETCH);
}

/* Each line of an entry a, the line after its header, is refused. */
static void expect_bad_lines(const char *const *lines, size_t n)
{
	char text[256];

	for (size_t i = 0; i < n; i++) {
		snprintf(text, sizeof(text), HDR ENT("a") "%s", lines[i]);
		expect_bad(text, 6);
	}
}

/* Bad fetch lines. */
static void test_recipe_bad_fetch(void)
{
	static const char *const bad_fetch[] = {
	    "fetch\n",
	    "fetch \n",
	    "fetch 12\n",
	    "fetch 12 \n",
	    "fetch x a\n",
	    "fetch -1 a\n",
	    "fetch 1x a\n",
	    "fetch  1 a\n",
	    "fetch 99999999999999999999 a\n",
	    "fetch 9223372036854775808 a\n",
	    "fetch a 1\n",
	};
	expect_bad_lines(bad_fetch, ARRAY_SIZE(bad_fetch));
}

/* Bad ram lines. */
static void test_recipe_bad_ram(void)
{
	static const char *const bad_ram[] = {"ram\n", "ram x\n", "ram -1\n", "ram 1 2\n",
					      "ram 99999999999999999999\n"};
	expect_bad_lines(bad_ram, ARRAY_SIZE(bad_ram));
}

/* A medium's folder is one component of a valid path, at most CATALOG_MAX_MEDIUM of them. */
static void test_recipe_bad_medium(void)
{
	static const char *const bad[] = {"medium\n",	 "medium \n",	"medium a/b\n",
					  "medium ..\n", "medium /a\n", "medium a\\x01\n"};
	expect_bad_lines(bad, ARRAY_SIZE(bad));
	char many[1024];
	size_t o = (size_t)snprintf(many, sizeof(many), HDR ENT("a"));
	for (int i = 0; i <= CATALOG_MAX_MEDIUM; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "medium m%d\n", i);
	expect_bad(many, 6 + CATALOG_MAX_MEDIUM);
}

/* What is fine: exactly the maximum, the largest numbers, paths with blanks. */
static void test_recipe_limits(void)
{
	struct catalog c;
	unsigned line;
	char many[2048];

	size_t o =
	    (size_t)snprintf(many, sizeof(many), HDR ENT("a") "recipe r\nkernel k\nappend \n");
	for (int i = 0; i < CATALOG_MAX_INITRDS; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "initrd d/i %d\n", i);
	for (int i = 0; i < CATALOG_MAX_FETCH; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o,
				      "fetch 9223372036854775807 f %d\n", i);
	snprintf(many + o, sizeof(many) - o, "ram 9223372036854775807\nend 1\n");
	CHECK_EQ_INT(catalog_parse(&c, many, strlen(many), &line), 0);
	if (c.n == 1) {
		CHECK_EQ_INT(c.entries[0].n_initrd, CATALOG_MAX_INITRDS);
		CHECK_STR(c.entries[0].initrd[7], "d/i 7");
		CHECK_EQ_INT(c.entries[0].n_fetch, CATALOG_MAX_FETCH);
		CHECK_STR(c.entries[0].fetch[15].path, "f 15");
		CHECK_EQ_INT(c.entries[0].fetch[15].size, INT64_MAX);
		CHECK_EQ_INT(c.entries[0].ram, INT64_MAX);
		CHECK_STR(c.entries[0].append, "");
	}
	catalog_finish(&c);
}

/* Recipe lines without a recipe are read, and not written back. */
static void test_recipe_stray_lines(void)
{
	struct catalog c;
	unsigned line;

	const char *stray = HDR ENT("a") "kernel k\ninitrd i\nfetch 1 f\nram 5\nend 1\n";
	CHECK_EQ_INT(catalog_parse(&c, stray, strlen(stray), &line), 0);
	CHECK_EQ_INT(c.n, 1);
	char *buf = NULL;
	size_t len = 0;
	format_catalog(&c, &buf, &len);
	CHECK(strstr(buf, "kernel") == NULL && strstr(buf, "ram") == NULL);
	free(buf);
	catalog_finish(&c);
}

static void test_save(void)
{
	struct catalog c, d;
	char *dir = make_tmpdir();
	char path[256], cmd[512];

	snprintf(path, sizeof(path), "%s/catalog", dir);
	catalog_init(&c);
	add(&c, "b.iso", "");
	add(&c, "a.iso", "");
	catalog_sort(&c);
	CHECK_STR(c.entries[0].path, "a.iso");
	CHECK_EQ_INT(catalog_save(&c, path), 1);
	/* The same content is not rewritten. */
	struct stat st1, st2;
	stat(path, &st1);
	CHECK_EQ_INT(catalog_save(&c, path), 0);
	stat(path, &st2);
	CHECK_EQ_INT(st1.st_ino, st2.st_ino);
	CHECK_EQ_INT(st1.st_mode & 0777, 0644);
	/* A change replaces the file by rename: a new inode, never a partial rewrite. */
	add(&c, "c.iso", "");
	CHECK_EQ_INT(catalog_save(&c, path), 1);
	stat(path, &st2);
	CHECK(st1.st_ino != st2.st_ino);
	/* No temporary files are left behind. */
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	CHECK_EQ_INT(system(cmd), 0);
	unsigned line;
	CHECK_EQ_INT(catalog_load(&d, path, &line), 0);
	CHECK_EQ_INT(d.n, 3);
	catalog_finish(&d);
	/* A directory that does not exist. */
	snprintf(path, sizeof(path), "%s/missing/catalog", dir);
	CHECK_EQ_INT(catalog_save(&c, path), -ENOENT);
	CHECK_EQ_INT(catalog_load(&d, path, &line), -ENOENT);
	catalog_finish(&c);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	RUN(test_ids);
	RUN(test_roundtrip);
	RUN(test_parse_errors);
	RUN(test_efi_arch);
	RUN(test_unrecognised);
	RUN(test_recipe_format);
	RUN(test_recipe_reparse);
	RUN(test_recipe_rewrite);
	RUN(test_recipe_clear);
	RUN(test_recipe_incomplete);
	RUN(test_recipe_duplicate_lines);
	RUN(test_recipe_bad_paths);
	RUN(test_recipe_too_many);
	RUN(test_recipe_bad_fetch);
	RUN(test_recipe_bad_ram);
	RUN(test_recipe_bad_medium);
	RUN(test_recipe_limits);
	RUN(test_recipe_stray_lines);
	RUN(test_save);
	return tap_done();
}
