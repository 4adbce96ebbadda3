/* SPDX-License-Identifier: MIT */
/*
 * Boot recipes: small ISOs built in memory with a kernel, initrds, a squashfs and the boot
 * configuration of a live-boot or dracut system, and what recipe_derive() makes of them.
 */
#include "catalog.h"
#include "isobuild.h"
#include "medium.h"
#include "recipe.h"
#include "tap.h"
#include "util.h"

#define MIB (1024ull * 1024ull)
#define KERNEL_SIZE 4096

static uint8_t kernel_img[KERNEL_SIZE], not_kernel[KERNEL_SIZE];

static void make_kernels(void)
{
	memset(kernel_img, 0x90, sizeof(kernel_img));
	memcpy(kernel_img + 0x202, "HdrS", 4);
	memset(not_kernel, 0x90, sizeof(not_kernel));
	memcpy(not_kernel + 0x202, "HdrX", 4);
}

#define CFG(path, text)                                                                            \
	{                                                                                          \
		path, text, sizeof(text) - 1, NULL                                                 \
	}
#define KERNEL(path)                                                                               \
	{                                                                                          \
		path, kernel_img, KERNEL_SIZE, NULL                                                \
	}
#define BLOB(path, size)                                                                           \
	{                                                                                          \
		path, NULL, size, NULL                                                             \
	}

struct built {
	struct tiso t;
	struct iso_source src;
	struct iso_volume v;
	struct catalog_entry e;
	const char *why;
	int r;
};

/* Builds the image and derives its recipe. */
static void derive(struct built *b, const struct tiso_file *files, size_t n)
{
	const char *problem;

	*b = (struct built){0};
	if (tiso_build(&b->t, "LIVE", files, n) < 0)
		abort();
	b->src = (struct iso_source){.read = tiso_read, .userdata = &b->t, .size = b->t.size};
	CHECK_EQ_INT(iso_volume_open(&b->v, &b->src, &problem), 0);
	b->why = NULL;
	b->r = recipe_derive(&b->v, &b->e, &b->why);
}

static void built_finish(struct built *b)
{
	catalog_entry_finish(&b->e);
	free(b->t.img);
}

#define DERIVE(b, files) derive((b), (files), ARRAY_SIZE(files))

/* No recipe, for the reason given. */
#define CHECK_NO_RECIPE(files, reason)                                                             \
	do {                                                                                       \
		struct built nr_b;                                                                 \
		DERIVE(&nr_b, files);                                                              \
		CHECK_EQ_INT(nr_b.r, 0);                                                           \
		CHECK(nr_b.e.recipe == NULL);                                                      \
		CHECK_EQ_INT(nr_b.e.n_fetch, 0);                                                   \
		CHECK_STR(nr_b.why, (reason));                                                     \
		built_finish(&nr_b);                                                               \
	} while (0)

static const char deb_isolinux[] = "include menu.cfg\n"
				   "default vesamenu.c32\n"
				   "prompt 0\n"
				   "timeout 0\n";
static const char deb_menu[] = "include stdmenu.cfg\n"
			       "include live.cfg\n";
static const char deb_live[] = "label live-amd64\n"
			       "\tmenu label ^Live system (amd64)\n"
			       "\tmenu default\n"
			       "\tlinux /live/vmlinuz\n"
			       "\tinitrd /live/initrd.img\n"
			       "\tappend boot=live components quiet splash findiso=${iso_path}\n";

static void test_live_boot(void)
{
	const struct tiso_file files[] = {
	    CFG("isolinux/isolinux.cfg", deb_isolinux),
	    CFG("isolinux/menu.cfg", deb_menu),
	    CFG("isolinux/live.cfg", deb_live),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 5000),
	    BLOB("live/filesystem.squashfs", 10000),
	    BLOB("live/other.squashfs", 20000), /* larger, but filesystem.squashfs is named */
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "live-boot");
	CHECK_STR(b.e.kernel, "live/vmlinuz");
	CHECK_EQ_INT(b.e.n_initrd, 1);
	CHECK_STR(b.e.initrd[0], "live/initrd.img");
	/* findiso= is dropped (it would look for the ISO on a local disk). */
	CHECK_STR(b.e.append,
		  "boot=live components quiet splash fetch={files}/live/filesystem.squashfs");
	CHECK_EQ_INT(b.e.n_fetch, 3);
	if (b.e.n_fetch == 3) {
		CHECK_STR(b.e.fetch[0].path, "live/vmlinuz");
		CHECK_EQ_INT(b.e.fetch[0].size, KERNEL_SIZE);
		CHECK_STR(b.e.fetch[1].path, "live/initrd.img");
		CHECK_EQ_INT(b.e.fetch[1].size, 5000);
		CHECK_STR(b.e.fetch[2].path, "live/filesystem.squashfs");
		CHECK_EQ_INT(b.e.fetch[2].size, 10000);
	}
	/* A base, the kernel, the initrd twice (loaded and unpacked) and the squashfs. */
	CHECK_EQ_INT(b.e.ram, 512 * MIB + KERNEL_SIZE + 2 * 5000 + 10000);
	built_finish(&b);
}

static void test_live_boot_grub(void)
{
	/* Only a GRUB configuration (as on an EFI-only image), findiso= in it. */
	static const char grub[] =
	    "source /boot/grub/config.cfg\n"
	    "menuentry \"Live system (amd64)\" --hotkey=l {\n"
	    "\tlinux\t/live/vmlinuz-6.1.0-18-amd64 boot=live components quiet splash "
	    "findiso=${iso_path} toram fetch=http://elsewhere/x.squashfs\n"
	    "\tinitrd\t/live/initrd.img-6.1.0-18-amd64\n"
	    "}\n";
	static const char config[] = "set default=0\nset timeout=30\n"
				     "if [ ${iso_path} ] ; then\n"
				     "set loopback=\"findiso=${iso_path}\"\n"
				     "export loopback\n"
				     "fi\n";
	const struct tiso_file files[] = {
	    CFG("boot/grub/grub.cfg", grub),	    CFG("boot/grub/config.cfg", config),
	    KERNEL("live/vmlinuz-6.1.0-18-amd64"),  BLOB("live/initrd.img-6.1.0-18-amd64", 3000),
	    BLOB("live/filesystem.squashfs", 7000),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "live-boot");
	CHECK_STR(b.e.kernel, "live/vmlinuz-6.1.0-18-amd64");
	CHECK_STR(b.e.initrd[0], "live/initrd.img-6.1.0-18-amd64");
	/* toram and the ISO's own fetch= go: the recipe's fetch= replaces them. */
	CHECK_STR(b.e.append,
		  "boot=live components quiet splash fetch={files}/live/filesystem.squashfs");
	CHECK_EQ_INT(b.e.ram, 512 * MIB + KERNEL_SIZE + 2 * 3000 + 7000);
	built_finish(&b);
}

static void test_live_media_path_largest(void)
{
	/* live-media-path= names the folder; without filesystem.squashfs in it, the largest
	 * *.squashfs there is the one (Grml). */
	static const char cfg[] =
	    "default grml\n"
	    "label grml\n"
	    "  kernel /boot/grml64/vmlinuz\n"
	    "  append initrd=/boot/grml64/initrd.img apm=power-off boot=live "
	    "live-media-path=/live/grml64-full/ bootid=grml64full202305 nomce\n";
	const struct tiso_file files[] = {
	    CFG("boot/isolinux/isolinux.cfg", cfg),
	    KERNEL("boot/grml64/vmlinuz"),
	    BLOB("boot/grml64/initrd.img", 6000),
	    BLOB("live/grml64-full/small.squashfs", 3000),
	    BLOB("live/grml64-full/grml64-full.squashfs", 9000),
	    BLOB("live/grml64-full/notes.txt", 50000),
	    BLOB("live/grml64-full/big.squashfs.txt", 60000),
	    BLOB("live/filesystem.squashfs", 90000), /* not in the folder named */
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.append, "apm=power-off boot=live live-media-path=/live/grml64-full/ "
			      "bootid=grml64full202305 nomce "
			      "fetch={files}/live/grml64-full/grml64-full.squashfs");
	CHECK_EQ_INT(b.e.n_fetch, 3);
	if (b.e.n_fetch == 3) {
		CHECK_STR(b.e.fetch[2].path, "live/grml64-full/grml64-full.squashfs");
		CHECK_EQ_INT(b.e.fetch[2].size, 9000);
	}
	CHECK_STR(b.e.initrd[0], "boot/grml64/initrd.img");
	built_finish(&b);
}

static void test_live_media_path_named(void)
{
	/* live-media-path=/live/sub/ with filesystem.squashfs in it: that one. */
	static const char cfg2[] = "label live\n"
				   "  linux /live/vmlinuz\n"
				   "  initrd /live/initrd.img\n"
				   "  append boot=live live-media-path=/live/sub/ quiet\n";
	const struct tiso_file files2[] = {
	    CFG("isolinux/isolinux.cfg", cfg2),	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),	    BLOB("live/sub/filesystem.squashfs", 2048),
	    BLOB("live/sub/bigger.squashfs", 4096), BLOB("live/filesystem.squashfs", 8192),
	};
	struct built b;

	DERIVE(&b, files2);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.append, "boot=live live-media-path=/live/sub/ quiet "
			      "fetch={files}/live/sub/filesystem.squashfs");
	built_finish(&b);
}

static void test_live_media_path_escape(void)
{
	/* A live-media-path= that escapes the root stays inside the ISO. */
	static const char cfg3[] = "label live\n"
				   "  linux /live/vmlinuz\n"
				   "  initrd /live/initrd.img\n"
				   "  append boot=live live-media-path=/../../live/./sub\n";
	const struct tiso_file files3[] = {
	    CFG("isolinux/isolinux.cfg", cfg3),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/sub/x.squashfs", 2048),
	};
	struct built b;

	DERIVE(&b, files3);
	CHECK_EQ_INT(b.r, 1);
	CHECK_EQ_INT(b.e.n_fetch, 3);
	if (b.e.n_fetch == 3)
		CHECK_STR(b.e.fetch[2].path, "live/sub/x.squashfs");
	built_finish(&b);
}

static const char fedora_isolinux[] =
    "default vesamenu.c32\n"
    "timeout 600\n"
    "menu title Fedora-Workstation-Live 39\n"
    "label linux\n"
    "  menu label ^Start Fedora-Workstation-Live 39\n"
    "  kernel vmlinuz\n"
    "  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-39-1-5 rd.live.image quiet "
    "rhgb\n"
    "label check\n"
    "  menu label Test this ^media & start Fedora-Workstation-Live 39\n"
    "  menu default\n"
    "  kernel vmlinuz\n"
    "  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-39-1-5 rd.live.image "
    "rd.live.check quiet\n";

static void test_dracut(void)
{
	const struct tiso_file files[] = {
	    CFG("isolinux/isolinux.cfg", fedora_isolinux),
	    KERNEL("isolinux/vmlinuz"),
	    BLOB("isolinux/initrd.img", 8000),
	    BLOB("LiveOS/squashfs.img", 12000),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "dracut");
	CHECK_STR(b.e.kernel, "isolinux/vmlinuz");
	CHECK_EQ_INT(b.e.n_initrd, 1);
	CHECK_STR(b.e.initrd[0], "isolinux/initrd.img");
	/* The media check and the CD label's root= go; root=live: over HTTP comes. */
	CHECK_STR(b.e.append, "rd.live.image quiet root=live:{files}/LiveOS/squashfs.img ip=dhcp");
	CHECK_EQ_INT(b.e.n_fetch, 3);
	if (b.e.n_fetch == 3)
		CHECK_STR(b.e.fetch[2].path, "LiveOS/squashfs.img");
	CHECK_EQ_INT(b.e.ram, 768 * MIB + KERNEL_SIZE + 2 * 8000 + 12000);
	built_finish(&b);
}

static void test_dracut_grub(void)
{
	/* Fedora's GRUB configuration, images/pxeboot, rd.live.dir and rd.live.squashimg. */
	static const char grub[] =
	    "set default=\"0\"\n"
	    "function load_video {\n  insmod all_video\n}\n"
	    "load_video\n"
	    "search --no-floppy --set=root -l 'Fedora-WS-Live-39-1-5'\n"
	    "menuentry 'Start Fedora-Workstation-Live 39' --class fedora --class gnu-linux {\n"
	    "\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-39-1-5 "
	    "rd.live.image rd.live.dir=/Other rd.live.squashimg=rootfs.img rd.live.ram "
	    "inst.stage2=hd:LABEL=x quiet rhgb\n"
	    "\tinitrd /images/pxeboot/initrd.img\n"
	    "}\n";
	const struct tiso_file files[] = {
	    CFG("EFI/BOOT/grub.cfg", grub),	     KERNEL("images/pxeboot/vmlinuz"),
	    BLOB("images/pxeboot/initrd.img", 8000), BLOB("LiveOS/squashfs.img", 12000),
	    BLOB("Other/rootfs.img", 13000),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "dracut");
	CHECK_STR(b.e.kernel, "images/pxeboot/vmlinuz");
	CHECK_STR(b.e.append,
		  "rd.live.image quiet rhgb root=live:{files}/Other/rootfs.img ip=dhcp");
	CHECK_EQ_INT(b.e.n_fetch, 3);
	if (b.e.n_fetch == 3) {
		CHECK_STR(b.e.fetch[2].path, "Other/rootfs.img");
		CHECK_EQ_INT(b.e.fetch[2].size, 13000);
	}
	built_finish(&b);
}

static void test_dracut_squashimg_missing(void)
{
	/* rd.live.squashimg= that is not there: the default name in that folder. */
	static const char grub2[] = "menuentry x {\n"
				    "  linux /images/pxeboot/vmlinuz root=live:CDLABEL=X "
				    "rd.live.image rd.live.squashimg=nothere.img\n"
				    "  initrd /images/pxeboot/initrd.img\n"
				    "}\n";
	const struct tiso_file files2[] = {
	    CFG("boot/grub2/grub.cfg", grub2),
	    KERNEL("images/pxeboot/vmlinuz"),
	    BLOB("images/pxeboot/initrd.img", 8000),
	    BLOB("LiveOS/squashfs.img", 12000),
	};
	struct built b;

	DERIVE(&b, files2);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.append, "rd.live.image root=live:{files}/LiveOS/squashfs.img ip=dhcp");
	built_finish(&b);
}

static void test_several_initrds(void)
{
	/* Microcode first, as Arch does; each is fetched, in order. */
	static const char cfg[] = "LABEL live\n"
				  "LINUX /live/vmlinuz\n"
				  "INITRD /live/ucode.img,/live/initrd.img\n"
				  "APPEND boot=live\n";
	const struct tiso_file files[] = {
	    CFG("syslinux/syslinux.cfg", cfg),	    KERNEL("live/vmlinuz"),
	    BLOB("live/ucode.img", 1000),	    BLOB("live/initrd.img", 2000),
	    BLOB("live/filesystem.squashfs", 3000),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_EQ_INT(b.e.n_initrd, 2);
	CHECK_STR(b.e.initrd[0], "live/ucode.img");
	CHECK_STR(b.e.initrd[1], "live/initrd.img");
	CHECK_EQ_INT(b.e.n_fetch, 4);
	if (b.e.n_fetch == 4) {
		CHECK_STR(b.e.fetch[1].path, "live/ucode.img");
		CHECK_STR(b.e.fetch[2].path, "live/initrd.img");
		CHECK_STR(b.e.fetch[3].path, "live/filesystem.squashfs");
	}
	CHECK_EQ_INT(b.e.ram, 512 * MIB + KERNEL_SIZE + 2 * 3000 + 3000);
	CHECK_STR(b.e.append, "boot=live fetch={files}/live/filesystem.squashfs");
	built_finish(&b);
}

/* A live-boot entry whose files the tests below leave out or replace. */
static const char live_cfg[] = "label live\n"
			       "  linux /live/vmlinuz\n"
			       "  initrd /live/initrd.img\n"
			       "  append boot=live quiet\n";

static void test_no_recipe_kernel_missing(void)
{
	/* No kernel file. */
	const struct tiso_file no_kernel[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(no_kernel, "its default entry's kernel is not a file of the ISO");

	/* The kernel is a directory, or a symbolic link (which may point anywhere). */
	const struct tiso_file kernel_dir[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),
	    BLOB("live/vmlinuz/x", 10),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(kernel_dir, "its default entry's kernel is not a file of the ISO");
	const struct tiso_file kernel_link[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),   KERNEL("live/vmlinuz-6.1"),
	    {"live/vmlinuz", NULL, 0, "vmlinuz-6.1"}, BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(kernel_link, "its default entry's kernel is not a file of the ISO");
}

static void test_no_recipe_not_linux(void)
{
	/* A kernel that is not Linux: no "HdrS", or too short to have it. */
	const struct tiso_file not_linux[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),
	    {"live/vmlinuz", not_kernel, KERNEL_SIZE, NULL},
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(not_linux, "its default entry's kernel is not a Linux kernel");
	const struct tiso_file short_kernel[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),
	    {"live/vmlinuz", kernel_img, 0x205, NULL},
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(short_kernel, "its default entry's kernel is not a Linux kernel");
}

static void test_no_recipe_initrd(void)
{
	/* No initrd in the configuration; an initrd that is not in the ISO. */
	static const char no_initrd_cfg[] = "label live\n"
					    "  linux /live/vmlinuz\n"
					    "  append boot=live quiet\n";
	const struct tiso_file no_initrd[] = {
	    CFG("isolinux/isolinux.cfg", no_initrd_cfg),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(no_initrd, "its default entry has no initrd");
	const struct tiso_file missing_initrd[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(missing_initrd, "an initrd of its default entry is not a file of the ISO");
}

static void test_no_recipe_fetched_missing(void)
{
	/* No squashfs. */
	const struct tiso_file no_squashfs[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.img", 100),
	};
	CHECK_NO_RECIPE(no_squashfs, "the file its initrd would fetch is not in the ISO");
	const struct tiso_file squashfs_dir[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs/x", 100),
	};
	CHECK_NO_RECIPE(squashfs_dir, "the file its initrd would fetch is not in the ISO");
	const struct tiso_file squashfs_link[] = {
	    CFG("isolinux/isolinux.cfg", live_cfg),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    {"live/filesystem.squashfs", NULL, 0, "/etc/shadow"},
	};
	CHECK_NO_RECIPE(squashfs_link, "the file its initrd would fetch is not in the ISO");
	const struct tiso_file no_dracut_img[] = {
	    CFG("isolinux/isolinux.cfg", fedora_isolinux),
	    KERNEL("isolinux/vmlinuz"),
	    BLOB("isolinux/initrd.img", 8000),
	    BLOB("LiveOS/rootfs.img", 12000),
	};
	CHECK_NO_RECIPE(no_dracut_img, "the file its initrd would fetch is not in the ISO");
	/* archiso without its root image. */
	static const char arch_cfg[] = "label arch\n"
				       "  linux /arch/boot/x86_64/vmlinuz-linux\n"
				       "  initrd /arch/boot/x86_64/initramfs-linux.img\n"
				       "  append archisobasedir=arch archisolabel=ARCH_202411\n";
	const struct tiso_file arch_no_sfs[] = {
	    CFG("syslinux/syslinux.cfg", arch_cfg),
	    KERNEL("arch/boot/x86_64/vmlinuz-linux"),
	    BLOB("arch/boot/x86_64/initramfs-linux.img", 100),
	    BLOB("arch/x86_64/airootfs.erofs", 100),
	};
	CHECK_NO_RECIPE(arch_no_sfs, "the file its initrd would fetch is not in the ISO");
}

static void test_no_recipe_unknown_family(void)
{
	/* A family not in the table: Alpine's. */
	static const char alpine_cfg[] =
	    "default lts\n"
	    "label lts\n"
	    "  kernel /boot/vmlinuz-lts\n"
	    "  initrd /boot/initramfs-lts\n"
	    "  append modules=loop,squashfs,sd-mod,usb-storage quiet\n";
	const struct tiso_file alpine[] = {
	    CFG("boot/syslinux/syslinux.cfg", alpine_cfg),
	    KERNEL("boot/vmlinuz-lts"),
	    BLOB("boot/initramfs-lts", 100),
	    BLOB("boot/modloop-lts", 100),
	};
	CHECK_NO_RECIPE(alpine, "its default entry belongs to no known family");
	/* A kernel in a folder merely called like casper's is not casper's. */
	static const char not_casper_cfg[] = "label x\n"
					     "  kernel /casperx/vmlinuz\n"
					     "  initrd /casperx/initrd\n"
					     "  append quiet\n";
	const struct tiso_file not_casper[] = {
	    CFG("isolinux/isolinux.cfg", not_casper_cfg),
	    KERNEL("casperx/vmlinuz"),
	    BLOB("casperx/initrd", 100),
	};
	CHECK_NO_RECIPE(not_casper, "its default entry belongs to no known family");
	/* "boot=live" must be a whole parameter. */
	static const char almost_cfg[] = "label live\n"
					 "  linux /live/vmlinuz\n"
					 "  initrd /live/initrd.img\n"
					 "  append xboot=live boot=lives boot=live-ish\n";
	const struct tiso_file almost[] = {
	    CFG("isolinux/isolinux.cfg", almost_cfg),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(almost, "its default entry belongs to no known family");
}

static void test_no_recipe_ipxe_names(void)
{
	/* Kernel and initrd names that iPXE cannot give to an image ("initrd=NAME"). */
	static const char bad_kernel_cfg[] = "label live\n"
					     "  linux /live/vmlinuz:6.1\n"
					     "  initrd /live/initrd.img\n"
					     "  append boot=live\n";
	const struct tiso_file bad_kernel[] = {
	    CFG("isolinux/isolinux.cfg", bad_kernel_cfg),
	    KERNEL("live/vmlinuz:6.1"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(bad_kernel, "its default entry's kernel is not a file of the ISO");
	static const char bad_initrd_cfg[] = "label live\n"
					     "  linux /live/vmlinuz\n"
					     "  initrd /live/initrd@1.img\n"
					     "  append boot=live\n";
	const struct tiso_file bad_initrd[] = {
	    CFG("isolinux/isolinux.cfg", bad_initrd_cfg),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd@1.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(bad_initrd, "an initrd of its default entry is not a file of the ISO");
}

static void test_no_recipe_no_config(void)
{
	/* No configuration at all, or one without a Linux entry. */
	const struct tiso_file nothing[] = {
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	CHECK_NO_RECIPE(nothing, "no isolinux, syslinux or GRUB configuration with a Linux entry");
	const struct tiso_file chain_only[] = {
	    CFG("isolinux/isolinux.cfg", "label hd\n  localboot 0x80\n"),
	    CFG("boot/grub/grub.cfg", "menuentry x { chainloader +1 }\n"),
	};
	CHECK_NO_RECIPE(chain_only,
			"no isolinux, syslinux or GRUB configuration with a Linux entry");
}

/* Ubuntu (casper): the whole ISO is downloaded into RAM, also from GRUB entries without
 * boot=casper (its initrd boots casper by default). */
static void test_casper_grub(void)
{
	static const char grub[] =
	    "set timeout=30\n"
	    "menuentry \"Try or Install Ubuntu\" {\n"
	    "\tset gfxpayload=keep\n"
	    "\tlinux\t/casper/vmlinuz  iso-scan/filename=${iso_path} --- quiet "
	    "splash\n"
	    "\tinitrd\t/casper/initrd\n"
	    "}\n";
	const struct tiso_file files[] = {
	    CFG("boot/grub/grub.cfg", grub),
	    KERNEL("casper/vmlinuz"),
	    BLOB("casper/initrd", 30000),
	    BLOB("casper/minimal.squashfs", 50000),
	    BLOB("casper/minimal.standard.squashfs", 60000),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "casper");
	CHECK_STR(b.e.kernel, "casper/vmlinuz");
	CHECK_STR(b.e.initrd[0], "casper/initrd");
	/* iso-scan/filename= would look for the ISO on a local disk: dropped. */
	CHECK_STR(b.e.append, "--- quiet splash netboot=url url={iso} ip=dhcp");
	/* The kernel and initrd come from inside the ISO; the ISO itself is not a file of it. */
	CHECK_EQ_INT(b.e.n_fetch, 2);
	built_finish(&b);
}

static void test_casper_isolinux(void)
{
	/* isolinux (older releases): boot=casper, and the ISO's own url= replaced. The RAM:
	 * 1 GiB, the whole image, the kernel and the initrd twice. */
	static const char isolinux[] = "default live\n"
				       "label live\n"
				       "  kernel /casper/vmlinuz\n"
				       "  append file=/cdrom/preseed/ubuntu.seed boot=casper "
				       "initrd=/casper/initrd url=http://example.org/x.iso toram "
				       "quiet splash ---\n";
	const struct tiso_file old[] = {
	    CFG("isolinux/isolinux.cfg", isolinux),
	    KERNEL("casper/vmlinuz"),
	    BLOB("casper/initrd", 30000),
	    BLOB("casper/filesystem.squashfs", 50000),
	};
	const char *problem;
	struct built b = {0};

	if (tiso_build(&b.t, "UBU", old, ARRAY_SIZE(old)) < 0)
		abort();
	b.src = (struct iso_source){.read = tiso_read, .userdata = &b.t, .size = b.t.size};
	CHECK_EQ_INT(iso_volume_open(&b.v, &b.src, &problem), 0);
	b.e.size = 3ull << 30; /* scan_entry_fill() sets the file's size before the recipe */
	b.r = recipe_derive(&b.v, &b.e, &b.why);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "casper");
	CHECK_STR(b.e.append, "file=/cdrom/preseed/ubuntu.seed boot=casper quiet splash --- "
			      "netboot=url url={iso} ip=dhcp");
	CHECK_EQ_INT(b.e.ram, 1024 * MIB + (3ull << 30) + KERNEL_SIZE + 2 * 30000);
	built_finish(&b);
}

/* Arch (archiso): the root image fetched by the archiso_pxe_http hook from the ISO's tree. */
static void test_archiso(void)
{
	static const char sys[] =
	    "LABEL arch64\n"
	    "MENU LABEL Arch Linux install medium (x86_64, BIOS)\n"
	    "LINUX /arch/boot/x86_64/vmlinuz-linux\n"
	    "INITRD /arch/boot/intel-ucode.img,/arch/boot/amd-ucode.img,"
	    "/arch/boot/x86_64/initramfs-linux.img\n"
	    "APPEND archisobasedir=arch archisosearchuuid=2024-11-01-10-00-00-00\n";
	const struct tiso_file files[] = {
	    CFG("syslinux/syslinux.cfg", sys),
	    KERNEL("arch/boot/x86_64/vmlinuz-linux"),
	    BLOB("arch/boot/intel-ucode.img", 1000),
	    BLOB("arch/boot/amd-ucode.img", 2000),
	    BLOB("arch/boot/x86_64/initramfs-linux.img", 30000),
	    BLOB("arch/x86_64/airootfs.sfs", 90000),
	    BLOB("arch/x86_64/airootfs.sha512", 200),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "archiso");
	CHECK_EQ_INT(b.e.n_initrd, 3);
	CHECK_STR(b.e.append, "archisobasedir=arch archiso_http_srv={files}/ ip=dhcp");
	CHECK_EQ_INT(b.e.n_fetch, 5);
	if (b.e.n_fetch == 5)
		CHECK_STR(b.e.fetch[4].path, "arch/x86_64/airootfs.sfs");
	CHECK_EQ_INT(b.e.ram, 768 * MIB + KERNEL_SIZE + 2 * (1000 + 2000 + 30000) + 90000);
	built_finish(&b);
}

static void test_archiso_basedir(void)
{
	/* Another base folder, named by archisobasedir=; the largest *.sfs when the usual name
	 * is absent. */
	static const char other[] = "LABEL x\n"
				    "LINUX /lab/boot/x86_64/vmlinuz-linux\n"
				    "INITRD /lab/boot/x86_64/initramfs-linux.img\n"
				    "APPEND archisobasedir=lab archisolabel=LAB cow_spacesize=4G\n";
	const struct tiso_file lab[] = {
	    CFG("syslinux/syslinux.cfg", other),
	    KERNEL("lab/boot/x86_64/vmlinuz-linux"),
	    BLOB("lab/boot/x86_64/initramfs-linux.img", 30000),
	    BLOB("lab/x86_64/small.sfs", 100),
	    BLOB("lab/x86_64/root.sfs", 9000),
	};
	struct built b;

	DERIVE(&b, lab);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.append,
		  "archisobasedir=lab cow_spacesize=4G archiso_http_srv={files}/ ip=dhcp");
	CHECK_EQ_INT(b.e.n_fetch, 3);
	if (b.e.n_fetch == 3)
		CHECK_STR(b.e.fetch[2].path, "lab/x86_64/root.sfs");
	built_finish(&b);
}

/* anaconda: the DVD's tree as inst.repo= (stage 2 and packages), a netinstall's as inst.stage2=. */
/* Debian 12's netinst: the graphical installer is the default, through menu.cfg and gtk.cfg. */
static const char di_isolinux[] = "path \ninclude menu.cfg\ndefault vesamenu.c32\nprompt 0\n";
static const char di_menu[] = "menu title Debian GNU/Linux installer menu (BIOS mode)\n"
			      "include gtk.cfg\ninclude txt.cfg\n";
static const char di_gtk[] =
    "default installgui\nlabel installgui\n\tmenu label ^Graphical install\n"
    "\tmenu default\n\tkernel /install.amd/vmlinuz\n"
    "\tappend vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet \n";
static const char di_txt[] = "label install\n\tmenu label ^Install\n\tkernel /install.amd/vmlinuz\n"
			     "\tappend vga=788 initrd=/install.amd/initrd.gz --- quiet \n";

/* Bytes of a newc entry: header and name, then data, each padded to 4. */
static uint64_t newc_bytes(const char *name, uint64_t size)
{
	return ((110 + strlen(name) + 1 + 3) & ~3ull) + ((size + 3) & ~3ull);
}

static void test_debian_installer(void)
{
	const struct tiso_file files[] = {
	    CFG("isolinux/isolinux.cfg", di_isolinux),
	    CFG("isolinux/menu.cfg", di_menu),
	    CFG("isolinux/gtk.cfg", di_gtk),
	    CFG("isolinux/txt.cfg", di_txt),
	    KERNEL("install.amd/vmlinuz"),
	    BLOB("install.amd/initrd.gz", 20000),
	    BLOB("install.amd/gtk/initrd.gz", 30000),
	    CFG(".disk/info", "Debian GNU/Linux 12.8.0"),
	    BLOB("dists/bookworm/Release", 300),
	    BLOB("pool/main/a/anna.udeb", 5001),
	};
	const struct medium_extra *x;
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "debian-installer");
	CHECK_STR(b.e.kernel, "install.amd/vmlinuz");
	CHECK_EQ_INT(b.e.n_initrd, 1);
	CHECK_STR(b.e.initrd[0], "install.amd/gtk/initrd.gz");
	/* Nothing to add: the medium goes with the initrds, where the installer looks for it. */
	CHECK_STR(b.e.append, "vga=788 --- quiet");
	CHECK_EQ_INT(b.e.n_fetch, 2);
	CHECK_EQ_INT(b.e.n_medium, 3); /* no firmware/ in this one */
	if (b.e.n_medium == 3) {
		CHECK_STR(b.e.medium[0], ".disk");
		CHECK_STR(b.e.medium[1], "dists");
		CHECK_STR(b.e.medium[2], "pool");
	}
	/* The archive: its folders and files, the hook, cpio's trailer; held twice, as an
	 * initrd. */
	uint64_t medium =
	    newc_bytes("cdrom", 0) + newc_bytes("cdrom/.disk", 0) +
	    newc_bytes("cdrom/.disk/info", 23) + newc_bytes("cdrom/dists", 0) +
	    newc_bytes("cdrom/dists/bookworm", 0) +
	    newc_bytes("cdrom/dists/bookworm/Release", 300) + newc_bytes("cdrom/pool", 0) +
	    newc_bytes("cdrom/pool/main", 0) + newc_bytes("cdrom/pool/main/a", 0) +
	    newc_bytes("cdrom/pool/main/a/anna.udeb", 5001) + newc_bytes("TRAILER!!!", 0);
	CHECK_EQ_INT(medium_extras("debian-installer", &x), 1);
	medium += newc_bytes(x[0].path, strlen(x[0].text));
	/* In a gzip stream of stored blocks: its header, a block's, its trailer. */
	medium += 10 + 5 * ((medium + 65534) / 65535) + 8;
	CHECK_EQ_INT(b.e.ram, 512 * MIB + KERNEL_SIZE + 2 * 30000 + 2 * medium);
	built_finish(&b);
}

static void test_debian_installer_no_medium(void)
{
	/* Installer images with no packages (as in a netboot tree copied into an ISO). */
	const struct tiso_file files[] = {
	    CFG("isolinux/isolinux.cfg", di_isolinux), CFG("isolinux/menu.cfg", di_menu),
	    CFG("isolinux/gtk.cfg", di_gtk),	       KERNEL("install.amd/vmlinuz"),
	    BLOB("install.amd/gtk/initrd.gz", 30000),  CFG(".disk/info", "Debian GNU/Linux 12.8.0"),
	};

	CHECK_NO_RECIPE(files,
			"the installer's package folders (dists/, pool/) are not in the ISO");
}

static void test_debian_installer_not_debian(void)
{
	/* install.amd/ without .disk/info: not a Debian CD; a Linux of no known family. */
	const struct tiso_file files[] = {
	    CFG("isolinux/isolinux.cfg", di_isolinux), CFG("isolinux/menu.cfg", di_menu),
	    CFG("isolinux/gtk.cfg", di_gtk),	       KERNEL("install.amd/vmlinuz"),
	    BLOB("install.amd/gtk/initrd.gz", 30000),  BLOB("pool/main/a/anna.udeb", 5001),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 0);
	CHECK(b.e.recipe == NULL);
	CHECK(b.e.unrecognised);
	built_finish(&b);
}

static const char anaconda_grub[] =
    "set default=\"1\"\n"
    "function load_video {\n  insmod all_video\n}\n"
    "menuentry 'Install Fedora 41' --class fedora --class gnu-linux --class gnu --class os "
    "{\n"
    "\tlinux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=Fedora-S-dvd-x86_64-41 quiet\n"
    "\tinitrd /images/pxeboot/initrd.img\n"
    "}\n"
    "menuentry 'Test this media & install Fedora 41' --class fedora {\n"
    "\tlinux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=Fedora-S-dvd-x86_64-41 "
    "rd.live.check quiet\n"
    "\tinitrd /images/pxeboot/initrd.img\n"
    "}\n";

static void test_anaconda_dvd(void)
{
	const struct tiso_file dvd[] = {
	    CFG("EFI/BOOT/grub.cfg", anaconda_grub),  KERNEL("images/pxeboot/vmlinuz"),
	    BLOB("images/pxeboot/initrd.img", 30000), BLOB("images/install.img", 80000),
	    BLOB("repodata/repomd.xml", 300),	      BLOB("Packages/b/bash-5.2.rpm", 3000),
	};
	struct built b;

	DERIVE(&b, dvd);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "anaconda");
	/* The media check is dropped with the local stage 2: the ISO is not a local medium. */
	CHECK_STR(b.e.append, "quiet inst.repo={files} ip=dhcp");
	CHECK_EQ_INT(b.e.n_fetch, 3);
	if (b.e.n_fetch == 3)
		CHECK_STR(b.e.fetch[2].path, "images/install.img");
	CHECK_EQ_INT(b.e.ram, 1536 * MIB + KERNEL_SIZE + 2 * 30000 + 80000);
	built_finish(&b);
}

static void test_anaconda_rhel(void)
{
	/* RHEL's layout: BaseOS/ and AppStream/, the repository found through .treeinfo. */
	const struct tiso_file rhel[] = {
	    CFG("EFI/BOOT/grub.cfg", anaconda_grub),  KERNEL("images/pxeboot/vmlinuz"),
	    BLOB("images/pxeboot/initrd.img", 30000), BLOB("images/install.img", 80000),
	    BLOB("BaseOS/repodata/repomd.xml", 300),  BLOB("AppStream/repodata/repomd.xml", 300),
	};
	struct built b;

	DERIVE(&b, rhel);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.append, "quiet inst.repo={files} ip=dhcp");
	built_finish(&b);
}

static void test_anaconda_netinstall(void)
{
	/* A netinstall ISO has no packages: only its stage 2 from the ISO. */
	const struct tiso_file netinst[] = {
	    CFG("EFI/BOOT/grub.cfg", anaconda_grub),
	    KERNEL("images/pxeboot/vmlinuz"),
	    BLOB("images/pxeboot/initrd.img", 30000),
	    BLOB("images/install.img", 80000),
	};
	struct built b;

	DERIVE(&b, netinst);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "anaconda");
	CHECK_STR(b.e.append, "quiet inst.stage2={files} ip=dhcp");
	built_finish(&b);
}

static void test_anaconda_no_stage2(void)
{
	/* Without images/install.img, no recipe. */
	const struct tiso_file no_stage2[] = {
	    CFG("EFI/BOOT/grub.cfg", anaconda_grub),
	    KERNEL("images/pxeboot/vmlinuz"),
	    BLOB("images/pxeboot/initrd.img", 30000),
	    BLOB("repodata/repomd.xml", 300),
	};
	CHECK_NO_RECIPE(no_stage2, "the file its initrd would fetch is not in the ISO");
}

/* Alpine: the kernel's modules (modloop of its flavour) and the ISO's package repository. */
static const char alpine_sys[] =
    "SERIAL 0 115200\n"
    "TIMEOUT 10\n"
    "PROMPT 1\n"
    "DEFAULT lts\n"
    "\n"
    "LABEL lts\n"
    "MENU LABEL Linux lts\n"
    "KERNEL /boot/vmlinuz-lts\n"
    "INITRD /boot/initramfs-lts\n"
    "FDTDIR /boot/dtbs-lts\n"
    "APPEND modules=loop,squashfs,sd-mod,usb-storage quiet console=tty0 "
    "console=ttyS0,115200\n";

static void test_alpine(void)
{
	const struct tiso_file files[] = {
	    CFG("boot/syslinux/syslinux.cfg", alpine_sys),
	    KERNEL("boot/vmlinuz-lts"),
	    BLOB("boot/initramfs-lts", 30000),
	    BLOB("boot/modloop-lts", 60000),
	    BLOB("boot/modloop-virt", 90000), /* larger, but not the kernel's flavour */
	    BLOB("apks/x86_64/APKINDEX.tar.gz", 500),
	    BLOB(".alpine-release", 10),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "alpine");
	CHECK_STR(b.e.append, "modules=loop,squashfs,sd-mod,usb-storage quiet console=tty0 "
			      "console=ttyS0,115200 modloop={files}/boot/modloop-lts "
			      "alpine_repo={files}/apks ip=dhcp");
	CHECK_EQ_INT(b.e.n_fetch, 3);
	if (b.e.n_fetch == 3)
		CHECK_STR(b.e.fetch[2].path, "boot/modloop-lts");
	CHECK_EQ_INT(b.e.ram, 256 * MIB + KERNEL_SIZE + 2 * 30000 + 60000);
	built_finish(&b);
}

static void test_alpine_other_modloop(void)
{
	/* Without a modloop of the kernel's flavour: the largest modloop-*. */
	const struct tiso_file other[] = {
	    CFG("boot/syslinux/syslinux.cfg", alpine_sys),
	    KERNEL("boot/vmlinuz-lts"),
	    BLOB("boot/initramfs-lts", 30000),
	    BLOB("boot/modloop-a", 600),
	    BLOB("boot/modloop-b", 900),
	    BLOB(".alpine-release", 10),
	};
	struct built b;

	DERIVE(&b, other);
	CHECK_EQ_INT(b.r, 1);
	if (b.e.n_fetch == 3)
		CHECK_STR(b.e.fetch[2].path, "boot/modloop-b");
	built_finish(&b);
}

static void test_alpine_no_release(void)
{
	/* "modules=" alone is no Alpine: without .alpine-release, no recipe. */
	const struct tiso_file not_alpine[] = {
	    CFG("boot/syslinux/syslinux.cfg", alpine_sys),
	    KERNEL("boot/vmlinuz-lts"),
	    BLOB("boot/initramfs-lts", 30000),
	    BLOB("boot/modloop-lts", 600),
	};
	CHECK_NO_RECIPE(not_alpine, "its default entry belongs to no known family");
}

static void test_alpine_no_modloop(void)
{
	/* No modloop at all. */
	const struct tiso_file no_modloop[] = {
	    CFG("boot/syslinux/syslinux.cfg", alpine_sys),
	    KERNEL("boot/vmlinuz-lts"),
	    BLOB("boot/initramfs-lts", 30000),
	    BLOB(".alpine-release", 10),
	};
	CHECK_NO_RECIPE(no_modloop, "the file its initrd would fetch is not in the ISO");
}

/* A configuration that gives no recipe does not stop the next one from giving one. */
static void test_next_config(void)
{
	static const char casper_cfg[] = "label live\n"
					 "  kernel /casper/vmlinuz\n"
					 "  append boot=casper initrd=/casper/initrd\n";
	static const char grub[] = "menuentry live {\n"
				   "  linux /live/vmlinuz boot=live components\n"
				   "  initrd /live/initrd.img\n"
				   "}\n";
	const struct tiso_file files[] = {
	    CFG("isolinux/isolinux.cfg", casper_cfg),
	    CFG("boot/grub/grub.cfg", grub),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	struct built b;

	DERIVE(&b, files);
	CHECK_EQ_INT(b.r, 1);
	CHECK_STR(b.e.recipe, "live-boot");
	CHECK_STR(b.e.append, "boot=live components fetch={files}/live/filesystem.squashfs");
	built_finish(&b);
}

static void test_upper_case_config(void)
{
	/* Upper-case ISO 9660 configuration names are found too (without Rock Ridge names the
	 * configuration is looked up without case). */
	const struct tiso_file upper[] = {
	    CFG("ISOLINUX/ISOLINUX.CFG", "label live\n  linux /live/vmlinuz\n"
					 "  initrd /live/initrd.img\n  append boot=live\n"),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	struct built b;

	DERIVE(&b, upper);
	CHECK_EQ_INT(b.r, 1);
	built_finish(&b);
}

/* The parameters: unsafe ones left out, length bounded; through recipe_from_entry(), with this
 * entry and its append= set by each test. */
static const struct bootcfg_entry param_entry = {
    .label = (char *)"x",
    .kernel = (char *)"live/vmlinuz",
    .initrd = {(char *)"live/initrd.img"},
    .n_initrd = 1,
};

/* No configuration: only the volume is used, with the files of both families. */
static void derive_param_volume(struct built *b)
{
	const struct tiso_file files[] = {
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	    BLOB("live/my file.squashfs", 100),
	    BLOB("LiveOS/squashfs.img", 100),
	};

	DERIVE(b, files);
}

static void test_parameters_unsafe_dropped(void)
{
	struct built b;
	struct bootcfg_entry be = param_entry;
	static const struct {
		const char *own, *want;
	} cases[] = {
	    {"boot=live", "boot=live fetch={files}/live/filesystem.squashfs"},
	    {"boot=live ${x} a=${y} || && ; #c d#e",
	     "boot=live d#e fetch={files}/live/filesystem.squashfs"},
	    {"boot=live a\\b {files} x={iso} q",
	     "boot=live q fetch={files}/live/filesystem.squashfs"},
	    {"boot=live \x01 \x7f caf\xc3\xa9 ok",
	     "boot=live ok fetch={files}/live/filesystem.squashfs"},
	    {"  boot=live\t\tquiet  ", "boot=live quiet fetch={files}/live/filesystem.squashfs"},
	    {"boot=live toram toram=filesystem.squashfs toramx",
	     "boot=live toramx fetch={files}/live/filesystem.squashfs"},
	    {"boot=live initrd=/x BOOT_IMAGE=/y nfsroot=1 netboot=nfs iscsi=z",
	     "boot=live fetch={files}/live/filesystem.squashfs"},
	    {"boot=live fetch=http://x/y fetch=z",
	     "boot=live fetch={files}/live/filesystem.squashfs"},
	    {"boot=live ip=frommedia",
	     "boot=live ip=frommedia fetch={files}/live/filesystem.squashfs"},
	    {"rd.live.image root=live:CDLABEL=X root=/dev/sda rd.live.check ip=dhcp",
	     "rd.live.image root=live:{files}/LiveOS/squashfs.img ip=dhcp"},
	    {"rd.live.image ip=eth0:dhcp6",
	     "rd.live.image root=live:{files}/LiveOS/squashfs.img ip=dhcp"},
	};
	derive_param_volume(&b);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		be.append = (char *)cases[i].own;
		const char *why = NULL;
		catalog_entry_clear_recipe(&b.e);
		int r = recipe_from_entry(&b.v, &be, &b.e, &why);
		CHECK_EQ_INT(r, 1);
		if (r == 1 && strcmp(b.e.append, cases[i].want) != 0) {
			printf("#   \"%s\": \"%s\", expected \"%s\"\n", cases[i].own, b.e.append,
			       cases[i].want);
			tap_case_failed = 1;
		}
	}
	built_finish(&b);
}

static void test_parameters_odd_paths(void)
{
	struct built b;
	struct bootcfg_entry be = param_entry;
	/* Odd folder and file names: no recipe, or the default name, never an error. */
	static const struct {
		const char *own, *why, *fetched;
	} odd[] = {
	    {"boot=live live-media-path=/(nothere",
	     "the file its initrd would fetch is not in the ISO", NULL},
	    {"boot=live live-media-path=(x)/live", NULL, "live/filesystem.squashfs"},
	    {"boot=live live-media-path=/", "the live medium's folder is not a path in the ISO",
	     NULL},
	    {"boot=live live-media-path=..", "the live medium's folder is not a path in the ISO",
	     NULL},
	    {"boot=live live-media-path=", NULL, "live/filesystem.squashfs"},
	    {"rd.live.image rd.live.squashimg=..", NULL, "LiveOS/squashfs.img"},
	    {"rd.live.image rd.live.squashimg=../../..", NULL, "LiveOS/squashfs.img"},
	    {"rd.live.image rd.live.squashimg=../live/filesystem.squashfs", NULL,
	     "live/filesystem.squashfs"},
	    {"rd.live.image rd.live.dir=/ rd.live.squashimg=x",
	     "the live medium's folder is not a path in the ISO", NULL},
	};
	derive_param_volume(&b);
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
		be.append = (char *)odd[i].own;
		const char *why = NULL;
		catalog_entry_clear_recipe(&b.e);
		int r = recipe_from_entry(&b.v, &be, &b.e, &why);
		CHECK_EQ_INT(r, odd[i].fetched ? 1 : 0);
		if (r == 0 && odd[i].why)
			CHECK_STR(why, odd[i].why);
		if (r == 1 && b.e.n_fetch == 3)
			CHECK_STR(b.e.fetch[2].path, odd[i].fetched);
		if (tap_case_failed) {
			printf("#   \"%s\"\n", odd[i].own);
			break;
		}
	}
	built_finish(&b);
}

static void test_parameters_too_long(void)
{
	struct built b;
	struct bootcfg_entry be = param_entry;

	derive_param_volume(&b);
	/* Too long for a kernel command line: no recipe. */
	char *longer = malloc(BOOTCFG_MAX_ARGS * 2);
	size_t o = (size_t)sprintf(longer, "boot=live");
	while (o < BOOTCFG_MAX_ARGS + 10)
		o += (size_t)sprintf(longer + o, " abcdefgh");
	be.append = longer;
	const char *why = NULL;
	catalog_entry_clear_recipe(&b.e);
	int r = recipe_from_entry(&b.v, &be, &b.e, &why);
	CHECK_EQ_INT(r, 0);
	CHECK(b.e.recipe == NULL);
	CHECK_STR(why, "its kernel parameters are too long");
	free(longer);
	built_finish(&b);
}

static void test_parameters_unusable_name(void)
{
	struct built b;
	struct bootcfg_entry be = param_entry;

	/* A fetched file whose name cannot go into a URL on the command line as it is. */
	be.append = (char *)"boot=live live-media-path=/live rd.x";
	const struct tiso_file spaced[] = {
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/my file.squashfs", 100),
	};
	DERIVE(&b, spaced);
	const char *why = NULL;
	int r = recipe_from_entry(&b.v, &be, &b.e, &why);
	CHECK_EQ_INT(r, 0);
	CHECK(b.e.recipe == NULL);
	CHECK_STR(why, "the file its initrd would fetch has an unusable name");
	built_finish(&b);
}

static const char unknown_cfg[] = "label os\n"
				  "  linux /os/vmlinuz\n"
				  "  initrd /os/initrd.img\n"
				  "  append root=/dev/sr0 quiet\n";

/* The result of an ISO of files: its recipe's return and whether it is marked unrecognised. */
static void check_unrecognised(const struct tiso_file *files, size_t n, int want_r, bool want)
{
	struct built b;

	derive(&b, files, n);
	CHECK_EQ_INT(b.r, want_r);
	CHECK_EQ_INT(b.e.unrecognised, want);
	built_finish(&b);
}

/* A Linux kernel with an initrd, of no known family: marked, for the menu to say so. */
static void test_unrecognised_linux(void)
{
	const struct tiso_file unknown[] = {
	    CFG("isolinux/isolinux.cfg", unknown_cfg),
	    KERNEL("os/vmlinuz"),
	    BLOB("os/initrd.img", 100),
	};
	check_unrecognised(unknown, ARRAY_SIZE(unknown), 0, true);
}

/* memtest86+ has the Linux boot header but no initrd: it needs nothing once started. */
static void test_unrecognised_not_memtest(void)
{
	static const char memtest_cfg[] = "label memtest\n"
					  "  linux /boot/memtest\n";
	const struct tiso_file memtest[] = {
	    CFG("isolinux/isolinux.cfg", memtest_cfg),
	    KERNEL("boot/memtest"),
	};
	check_unrecognised(memtest, ARRAY_SIZE(memtest), 0, false);
}

/* A kernel without the Linux boot header is not an operating system we could say much of. */
static void test_unrecognised_not_linux(void)
{
	const struct tiso_file not_linux[] = {
	    CFG("isolinux/isolinux.cfg", unknown_cfg),
	    {"os/vmlinuz", not_kernel, KERNEL_SIZE, NULL},
	    BLOB("os/initrd.img", 100),
	};
	check_unrecognised(not_linux, ARRAY_SIZE(not_linux), 0, false);
}

/* An unknown entry in one configuration, a known one in the next: a recipe, no mark. */
static void test_unrecognised_known_later(void)
{
	static const char known_grub[] = "menuentry 'Live' {\n"
					 "  linux /live/vmlinuz boot=live\n"
					 "  initrd /live/initrd.img\n"
					 "}\n";
	const struct tiso_file both[] = {
	    CFG("isolinux/isolinux.cfg", unknown_cfg),
	    CFG("boot/grub/grub.cfg", known_grub),
	    KERNEL("os/vmlinuz"),
	    BLOB("os/initrd.img", 100),
	    KERNEL("live/vmlinuz"),
	    BLOB("live/initrd.img", 100),
	    BLOB("live/filesystem.squashfs", 100),
	};
	check_unrecognised(both, ARRAY_SIZE(both), 1, false);
}

int main(void)
{
	make_kernels();
	RUN(test_live_boot);
	RUN(test_live_boot_grub);
	RUN(test_live_media_path_largest);
	RUN(test_live_media_path_named);
	RUN(test_live_media_path_escape);
	RUN(test_dracut);
	RUN(test_dracut_grub);
	RUN(test_dracut_squashimg_missing);
	RUN(test_several_initrds);
	RUN(test_no_recipe_kernel_missing);
	RUN(test_no_recipe_not_linux);
	RUN(test_no_recipe_initrd);
	RUN(test_no_recipe_fetched_missing);
	RUN(test_no_recipe_unknown_family);
	RUN(test_no_recipe_ipxe_names);
	RUN(test_no_recipe_no_config);
	RUN(test_casper_grub);
	RUN(test_casper_isolinux);
	RUN(test_archiso);
	RUN(test_archiso_basedir);
	RUN(test_debian_installer);
	RUN(test_debian_installer_no_medium);
	RUN(test_debian_installer_not_debian);
	RUN(test_anaconda_dvd);
	RUN(test_anaconda_rhel);
	RUN(test_anaconda_netinstall);
	RUN(test_anaconda_no_stage2);
	RUN(test_alpine);
	RUN(test_alpine_other_modloop);
	RUN(test_alpine_no_release);
	RUN(test_alpine_no_modloop);
	RUN(test_next_config);
	RUN(test_upper_case_config);
	RUN(test_parameters_unsafe_dropped);
	RUN(test_parameters_odd_paths);
	RUN(test_parameters_too_long);
	RUN(test_parameters_unusable_name);
	RUN(test_unrecognised_linux);
	RUN(test_unrecognised_not_memtest);
	RUN(test_unrecognised_not_linux);
	RUN(test_unrecognised_known_later);
	return tap_done();
}
