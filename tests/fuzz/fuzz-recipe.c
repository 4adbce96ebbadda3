/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the boot recipes. A fixed Rock Ridge image (built in memory once) holds a
 * kernel, initrds and squashfs images; the input is the default entry of a boot configuration,
 * one field a line: the kernel parameters, the kernel's path, then up to 8 initrds. A recipe
 * derived must be safe on an iPXE and a kernel command line, name only files of the ISO by valid
 * paths, and survive the catalog's text format unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "recipe.h"

#include "../unit/isobuild.h"

static struct tiso image;
static struct iso_source source;
static struct iso_volume volume;

static void build(void)
{
	static uint8_t kernel[4096];
	memcpy(kernel + 0x202, "HdrS", 4);
	const struct tiso_file files[] = {
	    {"live/vmlinuz", kernel, sizeof(kernel), NULL},
	    {"live/initrd.img", NULL, 3000, NULL},
	    {"live/ucode.img", NULL, 100, NULL},
	    {"live/filesystem.squashfs", NULL, 5000, NULL},
	    {"live/sub/a.squashfs", NULL, 2048, NULL},
	    {"live/sub/b c.squashfs", NULL, 4096, NULL},
	    {"live/sub/x{files}.squashfs", NULL, 1, NULL},
	    {"live/link.squashfs", NULL, 0, "../../etc/shadow"},
	    {"live/not-a-kernel", NULL, 4096, NULL},
	    {"LiveOS/squashfs.img", NULL, 6000, NULL},
	    {"Other/root$fs.img", NULL, 100, NULL},
	    {"Other/rootfs.img", NULL, 100, NULL},
	    {"isolinux/vmlinuz", kernel, sizeof(kernel), NULL},
	    {"isolinux/initrd.img", NULL, 100, NULL},
	    {"casper/vmlinuz", kernel, sizeof(kernel), NULL},
	    {"casper/initrd", NULL, 100, NULL},
	    {"arch/boot/x86_64/vmlinuz-linux", kernel, sizeof(kernel), NULL},
	    {"arch/boot/x86_64/initramfs-linux.img", NULL, 100, NULL},
	    {"arch/x86_64/airootfs.sfs", NULL, 7000, NULL},
	    {"lab/x86_64/big.sfs", NULL, 700, NULL},
	    {"images/pxeboot/vmlinuz", kernel, sizeof(kernel), NULL},
	    {"images/pxeboot/initrd.img", NULL, 100, NULL},
	    {"images/install.img", NULL, 9000, NULL},
	    {"repodata/repomd.xml", NULL, 10, NULL},
	    {"boot/vmlinuz-lts", kernel, sizeof(kernel), NULL},
	    {"boot/initramfs-lts", NULL, 100, NULL},
	    {"boot/modloop-lts", NULL, 3000, NULL},
	    {"boot/modloop-virt", NULL, 4000, NULL},
	    {".alpine-release", NULL, 7, NULL},
	    {"install.amd/vmlinuz", kernel, sizeof(kernel), NULL},
	    {"install.amd/initrd.gz", NULL, 200, NULL},
	    {".disk/info", NULL, 20, NULL},
	    {"dists/trixie/Release", NULL, 30, NULL},
	    {"pool/main/a/a.udeb", NULL, 50, NULL},
	};
	const char *problem;
	if (tiso_build(&image, "FUZZ", files, sizeof(files) / sizeof(files[0])) < 0)
		abort();
	source = (struct iso_source){.read = tiso_read, .userdata = &image, .size = image.size};
	if (iso_volume_open(&volume, &source, &problem) < 0)
		abort();
}

/* The length of the menu's placeholder at p, or 0 when p is no placeholder. */
static size_t placeholder(const char *p)
{
	static const char *const ph[] = {"{files}", "{iso}", "{server}"};
	for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++)
		if (strncmp(p, ph[i], strlen(ph[i])) == 0)
			return strlen(ph[i]);
	return 0;
}

/* Every token printable ASCII, nothing iPXE or the kernel reads as syntax. */
static void check_append(const char *a)
{
	if (strlen(a) > BOOTCFG_MAX_ARGS)
		abort();
	for (const char *t = a; *t;) {
		size_t n = strcspn(t, " ");
		if (n == 0 || t[0] == '#' || (n == 1 && t[0] == ';') ||
		    (n == 2 && ((t[0] == '|' && t[1] == '|') || (t[0] == '&' && t[1] == '&'))))
			abort();
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)t[i];
			if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '$' || c == '}')
				abort();
			if (c == '{') {
				size_t l = placeholder(t + i);
				if (l == 0 || i + l > n)
					abort();
				i += l - 1; /* its '}' is part of it */
			}
		}
		t += n;
		if (*t == ' ' && !*++t)
			abort(); /* a trailing blank */
	}
}

static void check_name(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (!catalog_iso_path_valid(path) || !*b)
		abort();
	for (; *b; b++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+~",
			    *b))
			abort();
}

/* Written and read back, the recipe is the same. */
static void check_roundtrip(const struct catalog_entry *e)
{
	struct catalog c, d;
	char *buf = NULL;
	size_t len = 0;
	unsigned line;

	catalog_init(&c);
	struct catalog_entry *x = catalog_add(&c);
	if (!x)
		abort();
	*x = *e;
	x->id = (char *)"fuzz-0123456789ab";
	x->iqn = (char *)"iqn.2025-01.org.isoboot:fuzz-0123456789ab";
	x->path = (char *)"fuzz.iso";
	x->name = (char *)"fuzz";
	x->label = (char *)"FUZZ";
	FILE *f = open_memstream(&buf, &len);
	if (!f || catalog_format(&c, f) < 0)
		abort();
	fclose(f);
	free(c.entries); /* the fields belong to e */
	if (catalog_parse(&d, buf, len, &line) < 0 || d.n != 1)
		abort();
	const struct catalog_entry *y = &d.entries[0];
	if (strcmp(y->recipe, e->recipe) || strcmp(y->kernel, e->kernel) ||
	    strcmp(y->append, e->append) || y->n_initrd != e->n_initrd ||
	    y->n_fetch != e->n_fetch || y->ram != e->ram || y->n_medium != e->n_medium)
		abort();
	for (size_t i = 0; i < e->n_medium; i++)
		if (strcmp(y->medium[i], e->medium[i]))
			abort();
	for (size_t i = 0; i < e->n_initrd; i++)
		if (strcmp(y->initrd[i], e->initrd[i]))
			abort();
	for (size_t i = 0; i < e->n_fetch; i++)
		if (strcmp(y->fetch[i].path, e->fetch[i].path) ||
		    y->fetch[i].size != e->fetch[i].size)
			abort();
	catalog_finish(&d);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *lines[2 + BOOTCFG_MAX_INITRDS] = {0};
	size_t n = 0;
	struct bootcfg_entry be = {.label = (char *)"fuzz"};
	struct catalog_entry e = {0};
	const char *why = NULL;

	if (!image.img)
		build();
	char *text = strndup((const char *)data, size);
	if (!text)
		return 0;
	for (char *p = text; p && n < 2 + BOOTCFG_MAX_INITRDS; n++) {
		lines[n] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	be.append = lines[0] ? lines[0] : (char *)"";
	be.kernel = n > 1 ? lines[1] : (char *)"live/vmlinuz";
	for (size_t i = 2; i < n; i++)
		be.initrd[be.n_initrd++] = lines[i];
	if (n <= 2)
		be.initrd[be.n_initrd++] = (char *)"live/initrd.img";

	int r = recipe_from_entry(&volume, &be, &e, &why);
	if (r != 0 && r != 1)
		abort();
	if (r == 0 && (e.recipe || e.n_fetch || !why))
		abort();
	if (r == 1) {
		/* The kernel, the initrds and the file the initrd fetches; or the kernel and the
		 * initrds when the initrd downloads the whole image ({iso}: casper) or its medium
		 * goes with it (an installer's folders, each one component of a path). */
		size_t fetched = e.append && (strstr(e.append, "{iso}") || e.n_medium) ? 0 : 1;
		for (size_t i = 0; i < e.n_medium; i++)
			if (!catalog_iso_path_valid(e.medium[i]) || strchr(e.medium[i], '/'))
				abort();
		uint64_t total = 0;
		for (size_t i = 0; i < e.n_fetch; i++)
			total += e.fetch[i].size;
		if (!e.recipe || !e.kernel || !e.append || e.n_initrd == 0 ||
		    e.n_fetch != e.n_initrd + 1 + fetched || e.ram < total)
			abort();
		check_append(e.append);
		check_name(e.kernel);
		for (size_t i = 0; i < e.n_initrd; i++)
			check_name(e.initrd[i]);
		for (size_t i = 0; i < e.n_fetch; i++)
			if (!catalog_iso_path_valid(e.fetch[i].path))
				abort();
		check_roundtrip(&e);
	}
	catalog_entry_clear_recipe(&e);
	free(text);
	return 0;
}
