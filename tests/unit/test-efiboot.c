/* SPDX-License-Identifier: MIT */
/*
 * The UEFI architectures of EFI system partitions: images made by mkfs.vfat and mtools (an
 * independent FAT implementation; mshowfat says where their clusters are, to break them), some
 * of them broken on purpose, and ISOs built in memory around them.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "efiboot.h"
#include "helpers.h"
#include "isobuild.h"
#include "tap.h"
#include "util.h"

#define TOOLS_PATH "PATH=\"$PATH:/usr/sbin:/sbin\"; "

static char *dir;
static char stub[512]; /* each file's content, before mcopy copies it in */
static bool have_tools;

enum {
	M_IA32 = 0x014c,
	M_X64 = 0x8664,
	M_ARM = 0x01c2,
	M_ARM64 = 0xaa64,
	M_RISCV64 = 0x5064,
	M_LOONGARCH64 = 0x6264,
	NOT_PE = 0, /* a text file instead of an image */
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	if (r != 0)
		printf("#   command failed (%d): %s\n", r, cmd);
	return r;
}

/* A path in the temporary folder, valid until eight more were asked for. */
static const char *tmp(const char *name)
{
	static char paths[8][512];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

/* A PE/COFF header stub of size bytes: what the parser reads of a boot loader. */
static void write_pe(const char *path, uint16_t machine, uint32_t lfanew, size_t size)
{
	uint8_t *b = calloc(1, size);
	FILE *f = fopen(path, "w");

	if (machine == NOT_PE) {
		memset(b, 'x', size);
	} else {
		b[0] = 'M';
		b[1] = 'Z';
		tiso_le32(b + 0x3c, lfanew);
		if (lfanew + 6 <= size) {
			memcpy(b + lfanew, "PE\0\0", 4);
			b[lfanew + 4] = (uint8_t)machine;
			b[lfanew + 5] = (uint8_t)(machine >> 8);
		}
	}
	fwrite(b, 1, size, f);
	fclose(f);
	free(b);
}

struct esp_file {
	const char *path; /* below ::/EFI/BOOT, or an mtools path "::/..." */
	uint16_t machine;
	uint32_t lfanew; /* 0: 0x80 */
};

/* An EFI system partition of kib KiB with 512-byte clusters, made by mkfs.vfat and mtools. */
static int make_esp(const char *img, int bits, unsigned kib, const struct esp_file *files, size_t n)
{
	unlink(img);
	if (sh(TOOLS_PATH "mkfs.vfat -C -F %d -s 1 -S 512 %s %u >/dev/null", bits, img, kib) ||
	    sh("mmd -i %s ::/EFI ::/EFI/BOOT", img))
		return -1;
	for (size_t i = 0; i < n; i++) {
		write_pe(stub, files[i].machine, files[i].lfanew ? files[i].lfanew : 0x80, 2048);
		if (sh("mcopy -i %s %s '%s%s'", img, stub,
		       strncmp(files[i].path, "::", 2) == 0 ? "" : "::/EFI/BOOT/", files[i].path))
			return -1;
	}
	return 0;
}

static int arches_of(const char *img, uint64_t offset, unsigned *arches, const char **problem)
{
	_cleanup_close_ int fd = open(img, O_RDONLY | O_CLOEXEC);
	struct iso_fd_source src;
	struct stat st;

	*arches = 0xdead;
	*problem = NULL;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -999;
	iso_fd_source_init(&src, fd, (uint64_t)st.st_size);
	int r = iso_efi_fat_arches(&src.src, offset, arches, problem);
	/* Every failure says why, in words. */
	if (r < 0 && str_empty(*problem)) {
		printf("#   %s: %d without a problem\n", img, r);
		tap_case_failed = 1;
	}
	return r;
}

static void check_problem(const char *problem, const char *part)
{
	if (!problem || !strstr(problem, part)) {
		printf("#   problem \"%s\" does not say \"%s\"\n", problem ? problem : "(null)",
		       part);
		tap_case_failed = 1;
	}
}

static uint8_t *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	uint8_t *b = NULL;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	b = malloc(*len);
	if (b && fread(b, 1, *len, f) != *len) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static void store(const char *path, const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "w");
	fwrite(b, 1, len, f);
	fclose(f);
}

/* The clusters of an mtools path, in chain order, from mshowfat ("::/EFI/BOOT <3> <64-65>"). */
static size_t clusters_of(const char *img, const char *path, uint32_t *out, size_t max)
{
	char cmd[1024], line[512];
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "mshowfat -i %s '%s'", img, path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	if (fgets(line, sizeof(line), p)) {
		for (char *s = strchr(line, '<'); s; s = strchr(s, '<')) {
			unsigned long a = strtoul(s + 1, &s, 10), b = a;
			if (*s == '-')
				b = strtoul(s + 1, &s, 10);
			for (unsigned long c = a; c <= b && n < max; c++)
				out[n++] = (uint32_t)c;
		}
	}
	pclose(p);
	return n;
}

/* Sets FAT entry c to v in FAT copy which (-1: all), from the boot sector's own numbers. */
static void fat_set(uint8_t *img, int bits, uint32_t c, uint32_t v, int which)
{
	uint32_t sector = get_le16(img + 11), reserved = get_le16(img + 14), n_fats = img[16];
	uint32_t fat_sectors = get_le16(img + 22) ? get_le16(img + 22) : get_le32(img + 36);

	for (uint32_t k = 0; k < n_fats; k++) {
		if (which >= 0 && (uint32_t)which != k)
			continue;
		uint8_t *fat = img + (size_t)(reserved + k * fat_sectors) * sector;
		if (bits == 12) {
			uint8_t *p = fat + c + c / 2;
			uint16_t old = get_le16(p),
				 val = (c & 1) ? (uint16_t)((old & 0x000F) | (v << 4))
					       : (uint16_t)((old & 0xF000) | v);
			p[0] = (uint8_t)val;
			p[1] = (uint8_t)(val >> 8);
		} else if (bits == 16) {
			fat[c * 2] = (uint8_t)v;
			fat[c * 2 + 1] = (uint8_t)(v >> 8);
		} else {
			tiso_le32(fat + c * 4, v);
		}
	}
}

/* ---- the cases ---- */

static void test_names(void)
{
	static const struct {
		unsigned bit;
		const char *name, *ipxe;
		uint16_t machine;
	} t[] = {
	    {ISO_EFI_ARCH_IA32, "ia32", "i386", M_IA32},
	    {ISO_EFI_ARCH_X64, "x64", "x86_64", M_X64},
	    {ISO_EFI_ARCH_ARM, "arm", "arm32", M_ARM},
	    {ISO_EFI_ARCH_ARM64, "arm64", "arm64", M_ARM64},
	    {ISO_EFI_ARCH_RISCV64, "riscv64", "riscv64", M_RISCV64},
	    {ISO_EFI_ARCH_LOONGARCH64, "loongarch64", "loong64", M_LOONGARCH64},
	};
	unsigned all = 0;

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		CHECK_STR(iso_efi_arch_to_string(t[i].bit), t[i].name);
		CHECK_EQ_INT(iso_efi_arch_from_string(t[i].name), t[i].bit);
		CHECK_EQ_INT(iso_efi_arch_from_ipxe(t[i].ipxe), t[i].bit);
		CHECK_EQ_INT(iso_efi_arch_from_machine(t[i].machine), t[i].bit);
		all |= t[i].bit;
	}
	CHECK_EQ_INT(all, ISO_EFI_ARCH_KNOWN);
	CHECK(!(ISO_EFI_ARCH_OTHER & ISO_EFI_ARCH_KNOWN));
	CHECK(iso_efi_arch_to_string(ISO_EFI_ARCH_OTHER) == NULL);
	CHECK(iso_efi_arch_to_string(ISO_EFI_ARCH_X64 | ISO_EFI_ARCH_ARM64) == NULL);
	CHECK_EQ_INT(iso_efi_arch_from_string("X64"), -EINVAL);
	CHECK_EQ_INT(iso_efi_arch_from_string("aa64"), -EINVAL);
	CHECK_EQ_INT(iso_efi_arch_from_ipxe("pcbios"), 0);
	CHECK_EQ_INT(iso_efi_arch_from_ipxe(NULL), 0);
	CHECK_EQ_INT(iso_efi_arch_from_machine(0x01c0), 0); /* ARM without Thumb: not UEFI's */
	CHECK_EQ_INT(iso_efi_arch_from_machine(0x0200), 0); /* Itanium */
}

static void test_fat12_x64(void)
{
	/* mtools keeps a lower-case 8.3 name as a short entry with case flags, no long name. */
	const struct esp_file f[] = {{"bootx64.efi", M_X64, 0}, {"grubx64.efi", M_X64, 0}};
	const char *img = tmp("fat12.img"), *problem;
	unsigned a;

	CHECK_EQ_INT(make_esp(img, 12, 1024, f, ARRAY_SIZE(f)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_X64);
}

static void test_fat16_arm64(void)
{
	const struct esp_file f[] = {{"BOOTAA64.EFI", M_ARM64, 0}};
	const char *img = tmp("fat16.img"), *problem;
	unsigned a;

	CHECK_EQ_INT(make_esp(img, 16, 4096, f, ARRAY_SIZE(f)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_ARM64);
}

static void test_fat32_all(void)
{
	const struct esp_file f[] = {
	    {"BOOTX64.EFI", M_X64, 0},	       {"BOOTAA64.EFI", M_ARM64, 0},
	    {"BOOTIA32.EFI", M_IA32, 0},       {"BootArm.efi", M_ARM, 0},
	    {"BOOTRISCV64.EFI", M_RISCV64, 0}, {"bootloongarch64.efi", M_LOONGARCH64, 0},
	};
	const char *img = tmp("fat32.img"), *problem;
	unsigned a;

	CHECK_EQ_INT(make_esp(img, 32, 34000, f, ARRAY_SIZE(f)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_KNOWN);
	/* Also x64 and arm64 alone, on FAT32. */
	CHECK_EQ_INT(make_esp(img, 32, 34000, f, 2), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_X64 | ISO_EFI_ARCH_ARM64);
}

/* BOOTRISCV64.EFI and BOOTLOONGARCH64.EFI are long names: their short ones are BOOTRI~1.EFI. */
static void test_long_names(void)
{
	const struct esp_file f[] = {{"BOOTRISCV64.EFI", M_RISCV64, 0},
				     {"BOOTLOONGARCH64.EFI", M_LOONGARCH64, 0}};
	const char *img = tmp("lfn.img"), *problem;
	static const uint8_t riscv[] = {'B', 0, 'O', 0, 'O', 0, 'T', 0, 'R', 0, 0x0F};
	unsigned a;
	size_t len;

	CHECK_EQ_INT(make_esp(img, 16, 4096, f, ARRAY_SIZE(f)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_RISCV64 | ISO_EFI_ARCH_LOONGARCH64);

	/* A long name whose checksum does not match its short entry is stale (written by a
	 * system that knows no long names): the file is then BOOTRI~1.EFI, which no firmware
	 * runs. Both of its entries, "FI" before "BOOTRISCV64.E", get the same wrong checksum. */
	uint8_t *b = load(img, &len);
	uint8_t *at = b ? memmem(b, len, riscv, sizeof(riscv)) : NULL;
	CHECK(at != NULL);
	if (!at) {
		free(b);
		return;
	}
	/* The entry starts one byte before its first character. */
	CHECK(at - b >= 33 && at[-1] == 0x01 && at[-33] == 0x42);
	at[-1 + 13] ^= 0x5A;
	at[-33 + 13] ^= 0x5A;
	store(img, b, len);
	free(b);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_LOONGARCH64);
}

static void test_none(void)
{
	const struct esp_file f[] = {{"grubx64.efi", M_X64, 0}, {"mmx64.efi", M_X64, 0}};
	const struct esp_file elsewhere[] = {{"::/EFI/BOOTX64.EFI", M_X64, 0},
					     {"::/BOOTX64.EFI", M_X64, 0}};
	const char *img = tmp("none.img"), *problem;
	unsigned a;

	CHECK_EQ_INT(make_esp(img, 12, 1024, f, ARRAY_SIZE(f)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -ENOENT);
	CHECK_EQ_INT(a, 0);
	check_problem(problem, "no BOOT<ARCH>.EFI");

	/* Nothing after a directory's end marker (an entry starting with 0) counts. */
	const struct esp_file after[] = {{"F.EFI", NOT_PE, 0}, {"BOOTX64.EFI", M_X64, 0}};
	size_t len;
	CHECK_EQ_INT(make_esp(img, 12, 1024, after, ARRAY_SIZE(after)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	uint8_t *b = load(img, &len);
	uint8_t *at = b ? memmem(b, len, "F       EFI", 11) : NULL;
	CHECK(at != NULL);
	if (at) {
		at[0] = 0x00;
		store(img, b, len);
		CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -ENOENT);
	}
	free(b);

	/* Loaders outside \EFI\BOOT\ are not what firmware looks for. */
	CHECK_EQ_INT(make_esp(img, 12, 1024, elsewhere, ARRAY_SIZE(elsewhere)), 0);
	CHECK_EQ_INT(sh("mrd -i %s ::/EFI/BOOT", img), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -ENOENT);
	CHECK_EQ_INT(a, 0);
	check_problem(problem, "no \\EFI\\BOOT folder");

	/* A file named BOOT where the folder should be. */
	CHECK_EQ_INT(sh("mcopy -i %s %s ::/EFI/BOOT", img, stub), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -ENOENT);
	check_problem(problem, "no \\EFI\\BOOT folder");
}

/* A loader counts only when its name's architecture is its PE machine's. */
static void test_not_loaders(void)
{
	const struct esp_file f[] = {
	    {"BOOTAA64.EFI", M_X64, 0},	    /* an x64 image under the arm64 name */
	    {"BOOTX64.EFI", NOT_PE, 0},	    /* text */
	    {"BOOTIA32.EFI", M_IA32, 4000}, /* its PE header past its end */
	};
	const struct esp_file g[] = {
	    {"BOOTIA32.EFI", M_IA32, 1022}, /* "PE\0\0" across the first cluster boundary */
	    {"BOOTX64.EFI", M_X64, 1536},   /* in the fourth cluster */
	};
	const char *img = tmp("bad.img"), *problem;
	unsigned a;

	CHECK_EQ_INT(make_esp(img, 12, 1024, f, ARRAY_SIZE(f)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -ENOENT);
	CHECK_EQ_INT(a, 0);
	check_problem(problem, "not PE images");

	CHECK_EQ_INT(make_esp(img, 12, 1024, g, ARRAY_SIZE(g)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_IA32 | ISO_EFI_ARCH_X64);
}

/*
 * \EFI\BOOT\ over three clusters (40 files before the loader): its chain made to loop, or to
 * run into a free cluster. Without a bound on the chain, the loop never ends.
 */
static void break_chain(int bits, unsigned kib)
{
	struct esp_file f[41];
	char names[40][16];
	const char *img = tmp("chain.img"), *problem;
	uint32_t c[16];
	unsigned a;
	size_t len;

	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "F%02d.EFI", i);
		f[i] = (struct esp_file){names[i], NOT_PE, 0};
	}
	f[40] = (struct esp_file){"BOOTX64.EFI", M_X64, 0};
	CHECK_EQ_INT(make_esp(img, bits, kib, f, ARRAY_SIZE(f)), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_X64);
	size_t n = clusters_of(img, "::/EFI/BOOT", c, ARRAY_SIZE(c));
	CHECK(n >= 3);
	uint8_t *b = load(img, &len);
	if (n < 3 || !b) {
		free(b);
		return;
	}

	fat_set(b, bits, c[1], c[0], -1);
	store(tmp("loop.img"), b, len);
	CHECK_EQ_INT(arches_of(tmp("loop.img"), 0, &a, &problem), -EBADMSG);
	CHECK_EQ_INT(a, 0);
	check_problem(problem, "loops");

	fat_set(b, bits, c[1], 0, -1);
	store(tmp("free.img"), b, len);
	CHECK_EQ_INT(arches_of(tmp("free.img"), 0, &a, &problem), -EBADMSG);
	check_problem(problem, "broken cluster chain");

	/* A chain that leaves the clusters there are. */
	fat_set(b, bits, c[1], bits == 12 ? 0xFF0 : bits == 16 ? 0xFFF0 : 0x0FFFFF00, -1);
	store(tmp("far.img"), b, len);
	CHECK_EQ_INT(arches_of(tmp("far.img"), 0, &a, &problem), -EBADMSG);
	free(b);
}

static void test_chain_fat12(void)
{
	break_chain(12, 1024);
}

static void test_chain_fat16(void)
{
	break_chain(16, 4096);
}

static void test_chain_fat32(void)
{
	break_chain(32, 34000);
}

/* FAT32 with mirroring off reads the FAT the boot sector names, not the first. */
static void test_fat32_active_fat(void)
{
	struct esp_file f[41];
	char names[40][16];
	const char *img = tmp("active.img"), *problem;
	uint32_t c[16];
	unsigned a;
	size_t len;

	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "F%02d.EFI", i);
		f[i] = (struct esp_file){names[i], NOT_PE, 0};
	}
	f[40] = (struct esp_file){"BOOTX64.EFI", M_X64, 0};
	CHECK_EQ_INT(make_esp(img, 32, 34000, f, ARRAY_SIZE(f)), 0);
	size_t n = clusters_of(img, "::/EFI/BOOT", c, ARRAY_SIZE(c));
	uint8_t *b = load(img, &len);
	CHECK(n >= 3 && b && b[16] == 2);
	if (n < 3 || !b) {
		free(b);
		return;
	}
	fat_set(b, 32, c[0], 0, 0); /* the first FAT is stale */
	store(img, b, len);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -EBADMSG);
	b[40] = 0x81; /* mirroring off, the second FAT active */
	store(img, b, len);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_X64);
	b[40] = 0x82; /* a FAT that is not there */
	store(img, b, len);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -EMEDIUMTYPE);
	free(b);
}

/* The size is the file system's own, cut at the end of the image. */
static void test_truncated(void)
{
	const struct esp_file f[] = {{"BOOTX64.EFI", M_X64, 0}};
	const char *img = tmp("trunc.img"), *problem;
	unsigned a;

	CHECK_EQ_INT(make_esp(img, 16, 4096, f, ARRAY_SIZE(f)), 0);
	/* What the loader needs lies in the first MiB. */
	CHECK_EQ_INT(truncate(img, 1 << 20), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_X64);
	/* Into the FATs: the root directory is gone. */
	CHECK_EQ_INT(truncate(img, 8192), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -EBADMSG);
	CHECK_EQ_INT(a, 0);
	check_problem(problem, "truncated");
	/* Not even a boot sector. */
	CHECK_EQ_INT(truncate(img, 300), 0);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -EBADMSG);
	CHECK_EQ_INT(arches_of(img, 1 << 20, &a, &problem), -EBADMSG);
}

static void test_not_fat(void)
{
	const struct esp_file f[] = {{"BOOTX64.EFI", M_X64, 0}};
	const char *img = tmp("notfat.img"), *problem;
	unsigned a;
	size_t len;

	CHECK_EQ_INT(make_esp(img, 12, 1024, f, ARRAY_SIZE(f)), 0);
	uint8_t *b = load(img, &len);
	if (!b)
		return;
	static const struct {
		size_t at, len;
		unsigned v;
	} breaks[] = {
	    {11, 2, 0},	   /* bytes per sector */
	    {11, 2, 768},  /* not a power of two */
	    {11, 2, 8192}, /* more than 4096 */
	    {13, 1, 3},	   /* sectors per cluster */
	    {13, 1, 0},	   /* none */
	    {14, 2, 0},	   /* no reserved sector */
	    {16, 1, 0},	   /* no FAT */
	    {17, 2, 0},	   /* FAT12 without root directory entries */
	    {19, 2, 0},	   /* no sectors (and none in the 32-bit count) */
	    {21, 1, 0x12}, /* media byte */
	    {22, 2, 0},	   /* FAT12 with a FAT32 layout (sectors per FAT 0) */
	};
	for (size_t i = 0; i < ARRAY_SIZE(breaks); i++) {
		uint8_t old[2] = {b[breaks[i].at], b[breaks[i].at + 1]};
		b[breaks[i].at] = (uint8_t)breaks[i].v;
		if (breaks[i].len == 2)
			b[breaks[i].at + 1] = (uint8_t)(breaks[i].v >> 8);
		store(img, b, len);
		int r = arches_of(img, 0, &a, &problem);
		if (r != -EMEDIUMTYPE)
			printf("#   %zu bytes at %zu = %u: %d\n", breaks[i].len, breaks[i].at,
			       breaks[i].v, r);
		CHECK_EQ_INT(r, -EMEDIUMTYPE);
		CHECK_EQ_INT(a, 0);
		memcpy(b + breaks[i].at, old, 2);
	}
	/* More FAT sectors than the file system has. */
	b[22] = 0xff;
	b[23] = 0x07;
	store(img, b, len);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -EBADMSG);
	free(b);

	uint8_t zeros[4096] = {0};
	store(tmp("zeros.img"), zeros, sizeof(zeros));
	CHECK_EQ_INT(arches_of(tmp("zeros.img"), 0, &a, &problem), -EMEDIUMTYPE);
	check_problem(problem, "not a FAT file system");
}

/* A hard disk image: an MBR whose partition is the FAT file system. */
static void test_mbr(void)
{
	const struct esp_file f[] = {{"BOOTAA64.EFI", M_ARM64, 0}};
	const char *img = tmp("part.img"), *problem;
	unsigned a;
	size_t len;

	CHECK_EQ_INT(make_esp(img, 12, 1024, f, ARRAY_SIZE(f)), 0);
	uint8_t *fat = load(img, &len);
	uint8_t *disk = calloc(1, len + 8 * 512);
	if (!fat || !disk) {
		free(fat);
		free(disk);
		return;
	}
	memcpy(disk + 8 * 512, fat, len);
	uint8_t *p = disk + 446 + 16; /* the second entry; the first is empty */
	p[4] = 0xEF;
	tiso_le32(p + 8, 8);
	tiso_le32(p + 12, (uint32_t)(len / 512));
	disk[510] = 0x55;
	disk[511] = 0xAA;
	store(img, disk, len + 8 * 512);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_ARM64);
	/* The partition's size bounds the file system. */
	tiso_le32(p + 12, 8);
	store(img, disk, len + 8 * 512);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -EBADMSG);
	/* Partitions of other types are not looked at. */
	p[4] = 0x83;
	store(img, disk, len + 8 * 512);
	CHECK_EQ_INT(arches_of(img, 0, &a, &problem), -EMEDIUMTYPE);
	free(fat);
	free(disk);
}

/* ---- whole ISOs, built in memory ---- */

/*
 * An ISO with the tree files (tiso_build()), the El Torito entries given (platform, image
 * index into fat[], or -1 for a block of garbage), and the FAT images after the volume, as
 * xorriso's appended partitions.
 */
struct iso_case {
	struct tiso t;
	struct iso_info info;
	struct iso_source src;
};

static int build_iso(struct iso_case *c, const struct tiso_file *files, size_t n_files,
		     const uint8_t platform[], const int image[], size_t n_entries,
		     const char *const fat[], size_t n_fat)
{
	uint8_t *data[4] = {0};
	size_t len[4] = {0}, extra = 2; /* the boot catalog and a block of garbage */

	if (tiso_build(&c->t, "EFITEST", files, n_files) < 0 || n_fat > 4)
		return -1;
	for (size_t i = 0; i < n_fat; i++) {
		data[i] = load(fat[i], &len[i]);
		if (!data[i])
			return -1;
		extra += (len[i] + 2047) / 2048;
	}
	uint32_t cat = c->t.blocks, garbage = cat + 1;
	uint32_t blocks = c->t.blocks + (uint32_t)extra;
	c->t.img = realloc(c->t.img, (size_t)blocks * 2048);
	memset(c->t.img + c->t.size, 0x5A, (size_t)blocks * 2048 - c->t.size);
	uint32_t at[4], next = garbage + 1;
	for (size_t i = 0; i < n_fat; i++) {
		at[i] = next;
		memcpy(tiso_block(&c->t, next), data[i], len[i]);
		next += (uint32_t)((len[i] + 2047) / 2048);
		free(data[i]);
	}
	c->t.size = (size_t)blocks * 2048;
	c->t.blocks = blocks;
	if (n_entries) {
		uint8_t *cb = tiso_block(&c->t, cat);
		memset(cb, 0, 2048);
		tiso_boot_record(&c->t, cat);
		tiso_validation(cb, platform[0]);
		/* An El Torito sector count of 1, as many images say: the FAT's own size counts. */
		tiso_boot_entry(cb + 32, 0, 1, image[0] < 0 ? garbage : at[image[0]]);
		for (size_t i = 1; i < n_entries; i++) {
			tiso_section_header(cb + 32 * (2 * i), i + 1 == n_entries, platform[i], 1);
			tiso_boot_entry(cb + 32 * (2 * i + 1), 0, 1,
					image[i] < 0 ? garbage : at[image[i]]);
		}
	}
	c->src = (struct iso_source){.read = tiso_read, .userdata = &c->t, .size = c->t.size};
	return iso_inspect(&c->src, &c->info);
}

static uint8_t pe_stub[2048];
/* A tree with an ARM64 loader (pe_stub, once fill_pe_stub() ran), and one without. */
static const struct tiso_file tree_arm64[] = {
    {"EFI/BOOT/bootaa64.efi", pe_stub, sizeof(pe_stub), NULL}, {"README", "x", 1, NULL}};
static const struct tiso_file plain[] = {{"README", "x", 1, NULL}};

/* Makes pe_stub an ARM64 PE image. */
static void fill_pe_stub(void)
{
	write_pe(tmp("pe"), M_ARM64, 0x80, sizeof(pe_stub));
	size_t len;
	uint8_t *pe = load(tmp("pe"), &len);
	CHECK(pe && len == sizeof(pe_stub));
	if (pe)
		memcpy(pe_stub, pe, sizeof(pe_stub));
	free(pe);
}

/* A FAT12 ESP with an x64 loader. */
static const char *esp_x64(void)
{
	const struct esp_file x64[] = {{"BOOTX64.EFI", M_X64, 0}};
	const char *fx = tmp("iso-x64.img");

	CHECK_EQ_INT(make_esp(fx, 12, 1024, x64, 1), 0);
	return fx;
}

/* A FAT16 ESP with an ARM64 loader. */
static const char *esp_arm64(void)
{
	const struct esp_file arm64[] = {{"bootaa64.efi", M_ARM64, 0}};
	const char *fa = tmp("iso-arm64.img");

	CHECK_EQ_INT(make_esp(fa, 16, 4096, arm64, 1), 0);
	return fa;
}

/* A FAT12 ESP with no default loader. */
static const char *esp_none(void)
{
	const struct esp_file nothing[] = {{"grubx64.efi", M_X64, 0}};
	const char *fn = tmp("iso-none.img");

	CHECK_EQ_INT(make_esp(fn, 12, 1024, nothing, 1), 0);
	return fn;
}

/* Two UEFI images and a BIOS entry: the union of the UEFI ones; the same image twice. */
static void test_iso_union(void)
{
	struct iso_case c;
	const char *problem;
	unsigned a;

	const char *fat[] = {esp_x64(), esp_arm64()};
	const uint8_t pl[] = {0x00, 0xEF, 0xEF, 0xEF};
	const int im[] = {0, 0, 1, 0};
	CHECK_EQ_INT(build_iso(&c, plain, 1, pl, im, 4, fat, 2), 0);
	CHECK_EQ_INT(c.info.n_boot, 4);
	CHECK_EQ_INT(iso_efi_arches(&c.src, &c.info, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_X64 | ISO_EFI_ARCH_ARM64);
	free(c.t.img);
}

/* The El Torito image decides: loaders only in the tree are not looked at then. */
static void test_iso_image_decides(void)
{
	struct iso_case c;
	const char *problem;
	unsigned a;

	fill_pe_stub();
	const char *fat[] = {esp_x64()};
	const uint8_t pl[] = {0xEF};
	const int im[] = {0};
	CHECK_EQ_INT(build_iso(&c, tree_arm64, 2, pl, im, 1, fat, 1), 0);
	CHECK_EQ_INT(iso_efi_arches(&c.src, &c.info, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_X64);
	free(c.t.img);
}

/* A hybrid image whose El Torito entry points at no FAT: the tree's loaders. */
static void test_iso_entry_not_fat(void)
{
	struct iso_case c;
	const char *problem;
	unsigned a;

	fill_pe_stub();
	const uint8_t pl[] = {0xEF};
	const int im[] = {-1};
	CHECK_EQ_INT(build_iso(&c, tree_arm64, 2, pl, im, 1, NULL, 0), 0);
	CHECK_EQ_INT(
	    iso_efi_fat_arches(&c.src, (uint64_t)c.info.boot[0].load_rba * 2048, &a, &problem),
	    -EMEDIUMTYPE);
	CHECK_EQ_INT(iso_efi_arches(&c.src, &c.info, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_ARM64);
	free(c.t.img);
}

/* No UEFI entry at all, loaders in the tree. */
static void test_iso_tree_only(void)
{
	struct iso_case c;
	const char *problem;
	unsigned a;

	fill_pe_stub();
	CHECK_EQ_INT(build_iso(&c, tree_arm64, 2, NULL, NULL, 0, NULL, 0), 0);
	CHECK_EQ_INT(c.info.n_boot, 0);
	CHECK_EQ_INT(iso_efi_arches(&c.src, &c.info, &a, &problem), 0);
	CHECK_EQ_INT(a, ISO_EFI_ARCH_ARM64);
	free(c.t.img);
}

/* Neither: unknown, and why. */
static void test_iso_no_uefi(void)
{
	struct iso_case c;
	const char *problem;
	unsigned a;

	const uint8_t pl[] = {0x00};
	const int im[] = {-1};
	CHECK_EQ_INT(build_iso(&c, plain, 1, pl, im, 1, NULL, 0), 0);
	CHECK_EQ_INT(iso_efi_arches(&c.src, &c.info, &a, &problem), -ENOENT);
	CHECK_EQ_INT(a, 0);
	check_problem(problem, "no UEFI El Torito entry");
	free(c.t.img);
}

/* A UEFI image without loaders, and none in the tree: the image's problem. */
static void test_iso_image_without_loader(void)
{
	struct iso_case c;
	const char *problem;
	unsigned a;

	const char *fat[] = {esp_none()};
	const uint8_t pl[] = {0xEF};
	const int im[] = {0};
	CHECK_EQ_INT(build_iso(&c, plain, 1, pl, im, 1, fat, 1), 0);
	CHECK_EQ_INT(iso_efi_arches(&c.src, &c.info, &a, &problem), -ENOENT);
	CHECK_EQ_INT(a, 0);
	check_problem(problem, "no BOOT<ARCH>.EFI");
	free(c.t.img);
}

/* The tree's loader must be a PE image of its architecture too. */
static void test_iso_tree_not_pe(void)
{
	struct iso_case c;
	const char *problem;
	unsigned a;

	const struct tiso_file tree_text[] = {{"EFI/BOOT/BOOTX64.EFI", "MZ nothing", 10, NULL}};
	CHECK_EQ_INT(build_iso(&c, tree_text, 1, NULL, NULL, 0, NULL, 0), 0);
	CHECK_EQ_INT(iso_efi_arches(&c.src, &c.info, &a, &problem), -ENOENT);
	check_problem(problem, "not PE images");
	free(c.t.img);
}

#define RUN_TOOLS(fn)                                                                              \
	do {                                                                                       \
		if (have_tools) {                                                                  \
			RUN(fn);                                                                   \
		} else {                                                                           \
			printf("ok %d - %s # SKIP needs mkfs.vfat and mtools\n", ++tap_count,      \
			       #fn);                                                               \
		}                                                                                  \
	} while (0)

/* A PE32+ (or PE32) header with n_dirs data directories, the certificate table at where, len. */
static void pe_head(uint8_t *b, size_t size, uint16_t magic, uint32_t n_dirs, uint32_t where,
		    uint32_t len)
{
	memset(b, 0, size);
	b[0] = 'M';
	b[1] = 'Z';
	tiso_le32(b + 0x3c, 0x80);
	memcpy(b + 0x80, "PE\0\0", 4);
	b[0x84] = 0x64;
	b[0x85] = 0x86;
	size_t opt = 0x80 + 24, dirs = opt + (magic == 0x20b ? 112 : 96);
	uint16_t opt_size = (uint16_t)(dirs - opt + 16 * 8);
	b[0x80 + 20] = (uint8_t)opt_size;
	b[0x80 + 21] = (uint8_t)(opt_size >> 8);
	b[opt] = (uint8_t)magic;
	b[opt + 1] = (uint8_t)(magic >> 8);
	tiso_le32(b + dirs - 4, n_dirs);
	tiso_le32(b + dirs + 4 * 8, where);
	tiso_le32(b + dirs + 4 * 8 + 4, len);
}

/* Whether a boot loader is signed: its certificate table, inside the file, after the headers. */
static void test_pe_signed(void)
{
	uint8_t b[1024];

	pe_head(b, sizeof(b), 0x20b, 16, 8192, 2000);
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 10192), 1);
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 10191), 0); /* past the end of the file */
	pe_head(b, sizeof(b), 0x10b, 16, 8192, 2000);
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 20000), 1);
	pe_head(b, sizeof(b), 0x20b, 16, 0, 0); /* no table */
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 20000), 0);
	pe_head(b, sizeof(b), 0x20b, 16, 8192, 4); /* shorter than a WIN_CERTIFICATE */
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 20000), 0);
	pe_head(b, sizeof(b), 0x20b, 16, 0x100, 2000); /* inside the headers */
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 20000), 0);
	pe_head(b, sizeof(b), 0x20b, 4, 8192, 2000); /* only four directories: none is it */
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 20000), 0);
	/* Not an image, or its header not in what was read. */
	pe_head(b, sizeof(b), 0x20b, 16, 8192, 2000);
	CHECK_EQ_INT(iso_efi_pe_signed(b, 0x100, 20000), -EBADMSG);
	CHECK_EQ_INT(iso_efi_pe_signed(b, 63, 20000), -EBADMSG);
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 100), -EBADMSG); /* head past the file */
	pe_head(b, sizeof(b), 0x107, 16, 8192, 2000);
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 20000), -EBADMSG);
	pe_head(b, sizeof(b), 0x20b, 16, 8192, 2000);
	b[0x80] = 'N';
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 20000), -EBADMSG);
	pe_head(b, sizeof(b), 0x20b, 16, 8192, 2000);
	tiso_le32(b + 0x3c, 0xfffffff0u);
	CHECK_EQ_INT(iso_efi_pe_signed(b, sizeof(b), 20000), -EBADMSG);
}

int main(void)
{
	dir = make_tmpdir();
	if (!dir)
		return EXIT_FAILURE;
	snprintf(stub, sizeof(stub), "%s/stub", dir);
	have_tools =
	    system(TOOLS_PATH "(command -v mkfs.vfat && command -v mmd && command -v mcopy "
			      "&& command -v mshowfat) >/dev/null") == 0;
	if (!have_tools && getenv("ISOBOOT_REQUIRE_ALL") &&
	    streq(getenv("ISOBOOT_REQUIRE_ALL"), "1")) {
		printf("Bail out! mkfs.vfat and mtools are required\n");
		return EXIT_FAILURE;
	}
	RUN(test_names);
	RUN(test_pe_signed);
	RUN_TOOLS(test_fat12_x64);
	RUN_TOOLS(test_fat16_arm64);
	RUN_TOOLS(test_fat32_all);
	RUN_TOOLS(test_long_names);
	RUN_TOOLS(test_none);
	RUN_TOOLS(test_not_loaders);
	RUN_TOOLS(test_chain_fat12);
	RUN_TOOLS(test_chain_fat16);
	RUN_TOOLS(test_chain_fat32);
	RUN_TOOLS(test_fat32_active_fat);
	RUN_TOOLS(test_truncated);
	RUN_TOOLS(test_not_fat);
	RUN_TOOLS(test_mbr);
	RUN_TOOLS(test_iso_union);
	RUN_TOOLS(test_iso_image_decides);
	RUN_TOOLS(test_iso_entry_not_fat);
	RUN_TOOLS(test_iso_tree_only);
	RUN_TOOLS(test_iso_no_uefi);
	RUN_TOOLS(test_iso_image_without_loader);
	RUN_TOOLS(test_iso_tree_not_pe);
	rm_rf(dir);
	free(dir);
	return tap_done();
}
