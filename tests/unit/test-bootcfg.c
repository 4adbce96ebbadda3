/* SPDX-License-Identifier: MIT */
/*
 * The boot configuration parsers (isolinux/syslinux and GRUB): configurations in the styles the
 * distributions ship, each checked for the entry chosen, and hostile ones, which must give an
 * entry or -ENOENT, never crash, and stay bounded.
 */
#include "bootcfg.h"
#include "tap.h"
#include "util.h"

/* ---- an in-memory ISO tree of configuration files ---- */

#define MFS_MAX 64

struct mfs {
	const char *path[MFS_MAX];
	const char *text[MFS_MAX];
	size_t len[MFS_MAX];
	size_t n;
	unsigned reads; /* calls of the reader */
	char *owned[2 * MFS_MAX];
	size_t n_owned;
};

static void mfs_add_len(struct mfs *m, const char *path, const char *text, size_t len)
{
	if (m->n >= MFS_MAX)
		abort();
	m->path[m->n] = path;
	m->text[m->n] = text;
	m->len[m->n++] = len;
}

static void mfs_add(struct mfs *m, const char *path, const char *text)
{
	mfs_add_len(m, path, text, strlen(text));
}

/* Keeps a generated string until mfs_finish(). */
static char *mfs_keep(struct mfs *m, char *s)
{
	if (!s || m->n_owned >= ARRAY_SIZE(m->owned))
		abort();
	m->owned[m->n_owned++] = s;
	return s;
}

/* Replaces the text of file i by a formatted one. */
_printf_(3, 4) static void set_text(struct mfs *m, size_t i, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	m->text[i] = mfs_keep(m, s);
	m->len[i] = strlen(s);
}

/* Replaces the first "from" in the text of file i by "to". */
static void edit_text(struct mfs *m, size_t i, const char *from, const char *to)
{
	const char *t = m->text[i], *at = strstr(t, from);

	if (!at)
		abort();
	set_text(m, i, "%.*s%s%s", (int)(at - t), t, to, at + strlen(from));
}

static void mfs_finish(struct mfs *m)
{
	for (size_t i = 0; i < m->n_owned; i++)
		free(m->owned[i]);
	*m = (struct mfs){0};
}

static int mfs_read(void *ud, const char *path, char **text, size_t *len)
{
	struct mfs *m = ud;

	m->reads++;
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->path[i], path) != 0)
			continue;
		if (m->len[i] > BOOTCFG_MAX_FILE)
			return -EFBIG;
		*text = malloc(m->len[i] + 1);
		if (!*text)
			return -ENOMEM;
		memcpy(*text, m->text[i], m->len[i]);
		(*text)[m->len[i]] = '\0';
		*len = m->len[i];
		return 0;
	}
	return -ENOENT;
}

enum kind { SYSLINUX, GRUB };

static int parse(struct mfs *m, enum kind k, const char *path, struct bootcfg_entry *e)
{
	struct bootcfg_reader rd = {mfs_read, m};

	*e = (struct bootcfg_entry){0};
	m->reads = 0;
	return k == SYSLINUX ? bootcfg_syslinux(&rd, path, e) : bootcfg_grub(&rd, path, e);
}

/* The entry's initrds, space-separated. */
static void initrds_of(const struct bootcfg_entry *e, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < e->n_initrd && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? " " : "", e->initrd[i]);
}

/* Parses path and checks the entry chosen: its kernel, initrds (space-separated) and append. */
#define CHECK_ENTRY(m, k, path, want_kernel, want_initrds, want_append)                            \
	do {                                                                                       \
		struct bootcfg_entry _e;                                                           \
		char _i[1024];                                                                     \
		int _r = parse((m), (k), (path), &_e);                                             \
		CHECK_EQ_INT(_r, 0);                                                               \
		if (_r == 0) {                                                                     \
			initrds_of(&_e, _i, sizeof(_i));                                           \
			CHECK_STR(_e.kernel, (want_kernel));                                       \
			CHECK_STR(_i, (want_initrds));                                             \
			CHECK_STR(_e.append, (want_append));                                       \
			CHECK(_e.label != NULL);                                                   \
		}                                                                                  \
		bootcfg_entry_finish(&_e);                                                         \
	} while (0)

/* Parses path and checks the label (title) of the entry chosen. */
#define CHECK_LABEL(m, k, path, want_label)                                                        \
	do {                                                                                       \
		struct bootcfg_entry _e;                                                           \
		int _r = parse((m), (k), (path), &_e);                                             \
		CHECK_EQ_INT(_r, 0);                                                               \
		if (_r == 0)                                                                       \
			CHECK_STR(_e.label, (want_label));                                         \
		bootcfg_entry_finish(&_e);                                                         \
	} while (0)

/* A path of an entry: not empty, relative, no "." or ".." component, no empty component. */
static bool path_sane(const char *p)
{
	if (!p || !*p || p[0] == '/')
		return false;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/')
			c++;
		if (!*c && c[-1] == '/')
			return false;
	}
	return true;
}

/* What every answer to a hostile configuration must be: an entry or -ENOENT. */
static void check_sane(int r, const struct bootcfg_entry *e)
{
	if (r != 0 && r != -ENOENT) {
		printf("#   returned %d\n", r);
		tap_case_failed = 1;
		return;
	}
	if (r != 0)
		return;
	CHECK(path_sane(e->kernel));
	CHECK(e->n_initrd <= BOOTCFG_MAX_INITRDS);
	for (size_t i = 0; i < e->n_initrd && i < BOOTCFG_MAX_INITRDS; i++)
		CHECK(path_sane(e->initrd[i]));
	CHECK(e->label != NULL);
	CHECK(e->append != NULL);
	if (e->append)
		CHECK(strlen(e->append) <= BOOTCFG_MAX_FILE);
}

/* Parses and checks only the invariants; returns the result. */
static int parse_sane(struct mfs *m, enum kind k, const char *path)
{
	struct bootcfg_entry e;
	int r = parse(m, k, path, &e);

	check_sane(r, &e);
	if (r == 0)
		bootcfg_entry_finish(&e);
	return r;
}

/* ---- paths ---- */

static void path_is(const char *base, const char *p, const char *want)
{
	char *got = bootcfg_path(base, p);

	if ((want == NULL) != (got == NULL) || (want && strcmp(got, want) != 0)) {
		printf("#   bootcfg_path(\"%s\", \"%s\") is \"%s\", expected \"%s\"\n", base, p,
		       got ? got : "(null)", want ? want : "(null)");
		tap_case_failed = 1;
	}
	free(got);
}

static void test_path(void)
{
	path_is("isolinux", "vmlinuz", "isolinux/vmlinuz");
	path_is("isolinux", "/live/vmlinuz", "live/vmlinuz");
	path_is("", "live/vmlinuz", "live/vmlinuz");
	path_is("", "/live/vmlinuz", "live/vmlinuz");
	path_is("boot/grub", "../../live//vmlinuz", "live/vmlinuz");
	path_is("boot/grub", "./x/./y/", "boot/grub/x/y");
	path_is("a/b", "c/../d", "a/b/d");
	/* ".." never leaves the ISO's root. */
	path_is("", "../../../etc/passwd", "etc/passwd");
	path_is("isolinux", "/../../etc/passwd", "etc/passwd");
	path_is("isolinux", "../../../../x", "x");
	path_is("a", "..//..//../b/../../c", "c");
	/* GRUB device prefixes name a device, not a directory. */
	path_is("boot/grub", "($root)/live/vmlinuz", "live/vmlinuz");
	path_is("boot/grub", "(cd0)/casper/vmlinuz", "casper/vmlinuz");
	path_is("boot/grub", "(hd0,msdos1)/boot/x86_64/loader/linux", "boot/x86_64/loader/linux");
	path_is("boot/grub", "()/x", "x");
	path_is("boot/grub", "(cd0)x", "x"); /* from the device's root */
	path_is("boot/grub", "(no-close/x", NULL);
	/* Nothing left: no path. */
	path_is("", "", NULL);
	path_is("", "/", NULL);
	path_is("", ".", NULL);
	path_is("", "..", NULL);
	path_is("a", "..", NULL);
	path_is("a/b", "../..", NULL);
	path_is("", "(cd0)", NULL);
	path_is("", "(cd0)/", NULL);
	/* Names are kept as they are. */
	path_is("", "a b/c\td", "a b/c\td");
	path_is("", "...", "...");
	path_is("", ".x/..y", ".x/..y");
}

/* ---- the distributions ---- */

/* Debian live-build (bookworm), isolinux. */
static const char deb_isolinux_cfg[] = "include menu.cfg\n"
				       "default vesamenu.c32\n"
				       "prompt 0\n"
				       "timeout 0\n";
static const char deb_menu_cfg[] = "menu hshift 0\n"
				   "menu width 82\n"
				   "\n"
				   "include stdmenu.cfg\n"
				   "include live.cfg\n"
				   "include install.cfg\n"
				   "menu begin advanced\n"
				   "\tmenu label ^Advanced install options\n"
				   "\tmenu title Advanced install options\n"
				   "\tinclude stdmenu.cfg\n"
				   "\tlabel mainmenu\n"
				   "\t\tmenu label ^Back..\n"
				   "\t\tmenu exit\n"
				   "\tinclude utilities.cfg\n"
				   "menu end\n"
				   "\n"
				   "menu clear\n";
static const char deb_stdmenu_cfg[] =
    "menu background splash.png\n"
    "menu color title\t* #FFFFFFFF *\n"
    "menu color border\t* #00000000 #00000000 none\n"
    "menu color sel\t\t* #ffffffff #76a1d0ff *\n"
    "menu color hotsel\t1;7;37;40 #ffffffff #76a1d0ff *\n"
    "menu color tabmsg\t* #ffffffff #00000000 *\n"
    "menu color help\t\t37;40 #ffdddd00 #00000000 none\n"
    "menu vshift 12\n"
    "menu rows 10\n"
    "menu helpmsgrow 15\n"
    "# The command line must be at least one line from the bottom.\n"
    "menu cmdlinerow 16\n"
    "menu timeoutrow 16\n"
    "menu tabmsgrow 18\n"
    "menu tabmsg Press ENTER to boot or TAB to edit a menu entry\n";
static const char deb_live_cfg[] =
    "label live-amd64\n"
    "\tmenu label ^Live system (amd64)\n"
    "\tmenu default\n"
    "\tlinux /live/vmlinuz-6.1.0-18-amd64\n"
    "\tinitrd /live/initrd.img-6.1.0-18-amd64\n"
    "\tappend boot=live components quiet splash\n"
    "\n"
    "label live-amd64-failsafe\n"
    "\tmenu label ^Live system (amd64 fail-safe mode)\n"
    "\tlinux /live/vmlinuz-6.1.0-18-amd64\n"
    "\tinitrd /live/initrd.img-6.1.0-18-amd64\n"
    "\tappend boot=live components memtest noapic noapm nodma nomce nolapic nosmp nosplash "
    "vga=788\n";
static const char deb_install_cfg[] = "label installstart\n"
				      "\tmenu label Start ^installer\n"
				      "\tlinux /install/vmlinuz\n"
				      "\tinitrd /install/gtk/initrd.gz\n"
				      "\tappend vga=788  --- quiet\n";
static const char deb_utilities_cfg[] = "label hdt\n"
					"\tmenu label ^Hardware Detection Tool (HDT)\n"
					"\tcom32 hdt.c32\n"
					"label memtest\n"
					"\tmenu label ^Memory Diagnostic Tool (memtest86+)\n"
					"\tlinux /live/memtest86+x64.bin\n";

/* Debian live-build (bookworm), GRUB. */
static const char deb_grub_cfg[] =
    "source /boot/grub/config.cfg\n"
    "\n"
    "# Live boot\n"
    "menuentry \"Live system (amd64)\" --hotkey=l {\n"
    "\tlinux\t/live/vmlinuz-6.1.0-18-amd64 boot=live components quiet splash "
    "findiso=${iso_path}\n"
    "\tinitrd\t/live/initrd.img-6.1.0-18-amd64\n"
    "}\n"
    "menuentry \"Live system (amd64 fail-safe mode)\" {\n"
    "\tlinux\t/live/vmlinuz-6.1.0-18-amd64 boot=live components memtest noapic noapm nodma "
    "nomce nolapic nosmp nosplash vga=788\n"
    "\tinitrd\t/live/initrd.img-6.1.0-18-amd64\n"
    "}\n"
    "\n"
    "# Installer (if any)\n"
    "source /boot/grub/install_start.cfg\n"
    "\n"
    "submenu 'Advanced install options ...' --hotkey=a {\n"
    "\n"
    "\tsource /boot/grub/theme.cfg\n"
    "\n"
    "\tsource /boot/grub/install.cfg\n"
    "\n"
    "}\n"
    "\n"
    "submenu 'Utilities...' --hotkey=u {\n"
    "\n"
    "\tsource /boot/grub/theme.cfg\n"
    "\n"
    "\t# Memtest (if any)\n"
    "\tif [ \"${grub_platform}\" = \"pc\" ] ; then\n"
    "\t\tmenuentry \"Memory Diagnostic Tool (memtest86+)\" --hotkey=m {\n"
    "\t\t\tlinux16 /live/memtest86+x64.bin\n"
    "\t\t}\n"
    "\tfi\n"
    "\t# Firmware setup (UEFI)\n"
    "\tif [ \"${grub_platform}\" = \"efi\" ] ; then\n"
    "\t\tmenuentry \"UEFI Firmware Settings\" {\n"
    "\t\t\tfwsetup\n"
    "\t\t}\n"
    "\tfi\n"
    "\n"
    "}\n";
static const char deb_config_cfg[] = "set default=0\n"
				     "\n"
				     "if [ x$feature_default_font_path = xy ] ; then\n"
				     "   font=unicode\n"
				     "else\n"
				     "   font=$prefix/unicode.pf2\n"
				     "fi\n"
				     "\n"
				     "# Copied from the netinst image\n"
				     "if loadfont $font ; then\n"
				     "  set gfxmode=800x600\n"
				     "  set gfxpayload=keep\n"
				     "  insmod efi_gop\n"
				     "  insmod efi_uga\n"
				     "  insmod video_bochs\n"
				     "  insmod video_cirrus\n"
				     "else\n"
				     "  set gfxmode=auto\n"
				     "  insmod all_video\n"
				     "fi\n"
				     "\n"
				     "insmod gfxterm\n"
				     "insmod png\n"
				     "\n"
				     "source /boot/grub/theme.cfg\n"
				     "\n"
				     "terminal_output gfxterm\n"
				     "\n"
				     "insmod play\n"
				     "play 960 440 1 0 4 440 1\n"
				     "\n"
				     "# Pass the ISO's path on when it is loop-mounted\n"
				     "if [ ${iso_path} ] ; then\n"
				     "set loopback=\"findiso=${iso_path}\"\n"
				     "export loopback\n"
				     "fi\n";
static const char deb_theme_cfg[] =
    "set color_normal=light-gray/black\n"
    "set color_highlight=white/black\n"
    "\n"
    "if [ -e /isolinux/splash.png ]; then\n"
    "    # binary_syslinux modifies the theme file to point to the correct\n"
    "    # background picture\n"
    "    set theme=/boot/grub/live-theme/theme.txt\n"
    "elif [ -e /boot/grub/splash.png ]; then\n"
    "    set theme=/boot/grub/live-theme/theme.txt\n"
    "else\n"
    "    set menu_color_normal=cyan/blue\n"
    "    set menu_color_highlight=white/blue\n"
    "fi\n";
static const char deb_install_start_cfg[] = "menuentry 'Start installer' --hotkey=i {\n"
					    "\tlinux\t/install/vmlinuz vga=788 --- quiet\n"
					    "\tinitrd\t/install/gtk/initrd.gz\n"
					    "}\n";
static const char deb_grub_install_cfg[] = "menuentry 'Automated install' {\n"
					   "\tlinux\t/install/vmlinuz auto=true priority=critical "
					   "vga=788 --- quiet\n"
					   "\tinitrd\t/install/gtk/initrd.gz\n"
					   "}\n";

static void add_debian(struct mfs *m)
{
	mfs_add(m, "isolinux/isolinux.cfg", deb_isolinux_cfg);
	mfs_add(m, "isolinux/menu.cfg", deb_menu_cfg);
	mfs_add(m, "isolinux/stdmenu.cfg", deb_stdmenu_cfg);
	mfs_add(m, "isolinux/live.cfg", deb_live_cfg);
	mfs_add(m, "isolinux/install.cfg", deb_install_cfg);
	mfs_add(m, "isolinux/utilities.cfg", deb_utilities_cfg);
	mfs_add(m, "boot/grub/grub.cfg", deb_grub_cfg);
	mfs_add(m, "boot/grub/config.cfg", deb_config_cfg);
	mfs_add(m, "boot/grub/theme.cfg", deb_theme_cfg);
	mfs_add(m, "boot/grub/install_start.cfg", deb_install_start_cfg);
	mfs_add(m, "boot/grub/install.cfg", deb_grub_install_cfg);
}

static void test_debian_live(void)
{
	struct mfs m = {0};

	add_debian(&m);
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "live/vmlinuz-6.1.0-18-amd64",
		    "live/initrd.img-6.1.0-18-amd64", "boot=live components quiet splash");
	CHECK_LABEL(&m, SYSLINUX, "isolinux/isolinux.cfg", "^Live system (amd64)");
	CHECK(m.reads >= 6 && m.reads <= BOOTCFG_MAX_FILES);
	/* GRUB: "set default=0" from config.cfg; ${iso_path} is not set. */
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "live/vmlinuz-6.1.0-18-amd64",
		    "live/initrd.img-6.1.0-18-amd64", "boot=live components quiet splash findiso=");
	CHECK_LABEL(&m, GRUB, "boot/grub/grub.cfg", "Live system (amd64)");
	mfs_finish(&m);

	/* Without MENU DEFAULT the first Linux label is the one, not vesamenu.c32. */
	add_debian(&m);
	edit_text(&m, 3, "\tmenu default\n", "");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "live/vmlinuz-6.1.0-18-amd64",
		    "live/initrd.img-6.1.0-18-amd64", "boot=live components quiet splash");
	/* "set default=1" in GRUB: the fail-safe entry. */
	set_text(&m, 7, "set default=1\n");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "live/vmlinuz-6.1.0-18-amd64",
		    "live/initrd.img-6.1.0-18-amd64",
		    "boot=live components memtest noapic noapm nodma nomce nolapic nosmp nosplash "
		    "vga=788");
	/* "set default=2": the installer's entry from install_start.cfg. */
	set_text(&m, 7, "set default=2\n");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "install/vmlinuz", "install/gtk/initrd.gz",
		    "vga=788 --- quiet");
	/* "3>0": the first entry of the first submenu. */
	set_text(&m, 7, "set default=\"3>0\"\n");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "install/vmlinuz", "install/gtk/initrd.gz",
		    "auto=true priority=critical vga=788 --- quiet");
	/* "4>1" is UEFI Firmware Settings, no kernel: the first Linux entry instead. */
	set_text(&m, 7, "set default=4>1\n");
	CHECK_LABEL(&m, GRUB, "boot/grub/grub.cfg", "Live system (amd64)");
	/* "4>0" is memtest86+ (linux16 of a .bin): not a Linux kernel either. */
	set_text(&m, 7, "set default=4>0\n");
	CHECK_LABEL(&m, GRUB, "boot/grub/grub.cfg", "Live system (amd64)");
	mfs_finish(&m);
}

/* Kali: the same family, several labels and noeject. */
static const char kali_isolinux_cfg[] =
    "# D-I config version 2.0\n"
    "# search path for the c32 support libraries (libcom32, libutil etc.)\n"
    "path \n"
    "include menu.cfg\n"
    "default vesamenu.c32\n"
    "prompt 0\n"
    "timeout 0\n";
static const char kali_menu_cfg[] = "menu hshift 0\n"
				    "menu width 82\n"
				    "menu title Boot menu\n"
				    "include stdmenu.cfg\n"
				    "include live.cfg\n"
				    "include install.cfg\n"
				    "menu begin install\n"
				    "\tmenu label ^Advanced install options\n"
				    "\tinclude stdmenu.cfg\n"
				    "\tlabel mainmenu\n"
				    "\t\tmenu label ^Back..\n"
				    "\t\tmenu exit\n"
				    "menu end\n";
static const char kali_live_cfg[] =
    "label live-amd64\n"
    "    menu label ^Live system (amd64)\n"
    "    menu default\n"
    "    linux /live/vmlinuz\n"
    "    initrd /live/initrd.img\n"
    "    append boot=live components quiet splash noeject findiso=${iso_path}\n"
    "\n"
    "label live-amd64-failsafe\n"
    "    menu label ^Live system (amd64 fail-safe mode)\n"
    "    linux /live/vmlinuz\n"
    "    initrd /live/initrd.img\n"
    "    append boot=live components noeject memtest noapic noapm nodma nomce nolapic nosmp "
    "nosplash vga=normal\n"
    "\n"
    "label live-forensic\n"
    "    menu label Live system (^forensic mode)\n"
    "    linux /live/vmlinuz\n"
    "    initrd /live/initrd.img\n"
    "    append boot=live components quiet splash noeject noswap noautomount\n"
    "\n"
    "label live-persistence\n"
    "    menu label ^Live USB Persistence              (check kali.org/prst)\n"
    "    linux /live/vmlinuz\n"
    "    initrd /live/initrd.img\n"
    "    append boot=live components quiet splash noeject persistence\n";
static const char kali_install_cfg[] = "label install\n"
				       "    menu label ^Start installer\n"
				       "    linux /install/vmlinuz\n"
				       "    initrd /install/initrd.gz\n"
				       "    append vga=788 -- quiet\n";
static const char kali_grub_cfg[] =
    "source /boot/grub/config.cfg\n"
    "\n"
    "# Live boot\n"
    "menuentry \"Live system (amd64)\" --hotkey=l {\n"
    "\tlinux\t/live/vmlinuz boot=live components quiet splash noeject findiso=${iso_path}\n"
    "\tinitrd\t/live/initrd.img\n"
    "}\n"
    "menuentry \"Live system (amd64 fail-safe mode)\" {\n"
    "\tlinux\t/live/vmlinuz boot=live components noeject memtest noapic noapm nodma nomce "
    "nolapic nosmp nosplash vga=normal\n"
    "\tinitrd\t/live/initrd.img\n"
    "}\n"
    "menuentry \"Live system (forensic mode)\" {\n"
    "\tlinux\t/live/vmlinuz boot=live components quiet splash noeject noswap noautomount\n"
    "\tinitrd\t/live/initrd.img\n"
    "}\n";

static void test_kali(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg", kali_isolinux_cfg);
	mfs_add(&m, "isolinux/menu.cfg", kali_menu_cfg);
	mfs_add(&m, "isolinux/stdmenu.cfg", deb_stdmenu_cfg);
	mfs_add(&m, "isolinux/live.cfg", kali_live_cfg);
	mfs_add(&m, "isolinux/install.cfg", kali_install_cfg);
	mfs_add(&m, "boot/grub/grub.cfg", kali_grub_cfg);
	mfs_add(&m, "boot/grub/config.cfg", deb_config_cfg);
	mfs_add(&m, "boot/grub/theme.cfg", deb_theme_cfg);
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "live/vmlinuz", "live/initrd.img",
		    "boot=live components quiet splash noeject findiso=${iso_path}");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "live/vmlinuz", "live/initrd.img",
		    "boot=live components quiet splash noeject findiso=");
	/* MENU DEFAULT moved to the third label. */
	edit_text(&m, 3, "    menu default\n", "");
	edit_text(&m, 3, "(^forensic mode)\n", "(^forensic mode)\n    MENU DEFAULT\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "live/vmlinuz", "live/initrd.img",
		    "boot=live components quiet splash noeject noswap noautomount");
	/* GRUB: by title. */
	set_text(&m, 6, "set default=\"Live system (forensic mode)\"\n");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "live/vmlinuz", "live/initrd.img",
		    "boot=live components quiet splash noeject noswap noautomount");
	mfs_finish(&m);
}

/* Ubuntu (casper) with isolinux, 20.04 and earlier. */
static const char ubu_isolinux_cfg[] =
    "# D-I config version 2.0\n"
    "# search path for the c32 support libraries (libcom32, libutil etc.)\n"
    "path \n"
    "include menu.cfg\n"
    "default vesamenu.c32\n"
    "prompt 0\n"
    "timeout 300\n"
    "ui gfxboot bootlogo\n";
static const char ubu_menu_cfg[] =
    "menu hshift 13\n"
    "menu width 49\n"
    "menu margin 8\n"
    "menu tabmsg\n"
    "\n"
    "menu title Installer boot menu\n"
    "include stdmenu.cfg\n"
    "include txt.cfg\n"
    "include gtk.cfg\n"
    "menu begin advanced\n"
    "\tmenu title Advanced options\n"
    "\tinclude stdmenu.cfg\n"
    "\tlabel mainmenu\n"
    "\t\tmenu label ^Back..\n"
    "\t\tmenu exit\n"
    "\tinclude adtxt.cfg\n"
    "\tinclude adgtk.cfg\n"
    "menu end\n"
    "label help\n"
    "\tmenu label ^Help\n"
    "\ttext help\n"
    "   Display help screens; type 'menu' at boot prompt to return to this "
    "menu\n"
    "\tendtext\n"
    "\tconfig prompt.cfg\n";
static const char ubu_txt_cfg[] =
    "default live\n"
    "label live\n"
    "  menu label ^Try Ubuntu without installing\n"
    "  kernel /casper/vmlinuz\n"
    "  append  file=/cdrom/preseed/ubuntu.seed boot=casper initrd=/casper/initrd quiet splash "
    "---\n"
    "label live-install\n"
    "  menu label ^Install Ubuntu\n"
    "  kernel /casper/vmlinuz\n"
    "  append  file=/cdrom/preseed/ubuntu.seed boot=casper only-ubiquity initrd=/casper/initrd "
    "quiet splash ---\n"
    "label check\n"
    "  menu label ^Check disc for defects\n"
    "  kernel /casper/vmlinuz\n"
    "  append  boot=casper integrity-check initrd=/casper/initrd quiet splash ---\n"
    "label memtest\n"
    "  menu label Test ^memory\n"
    "  kernel /install/mt86plus\n"
    "label hd\n"
    "  menu label ^Boot from first hard disk\n"
    "  localboot 0x80\n";

/* Ubuntu 22.04 and 24.04, GRUB only. */
static const char ubu2204_grub_cfg[] = "set timeout=30\n"
				       "\n"
				       "loadfont unicode\n"
				       "\n"
				       "set menu_color_normal=white/black\n"
				       "set menu_color_highlight=black/light-gray\n"
				       "\n"
				       "menuentry \"Try or Install Ubuntu\" {\n"
				       "\tset gfxpayload=keep\n"
				       "\tlinux\t/casper/vmlinuz  --- quiet splash\n"
				       "\tinitrd\t/casper/initrd\n"
				       "}\n"
				       "menuentry \"Ubuntu (safe graphics)\" {\n"
				       "\tset gfxpayload=keep\n"
				       "\tlinux\t/casper/vmlinuz  nomodeset  --- quiet splash\n"
				       "\tinitrd\t/casper/initrd\n"
				       "}\n"
				       "grub_platform\n"
				       "if [ \"$grub_platform\" = \"efi\" ]; then\n"
				       "menuentry 'Boot from next volume' {\n"
				       "\texit 1\n"
				       "}\n"
				       "menuentry 'UEFI Firmware Settings' {\n"
				       "\tfwsetup\n"
				       "}\n"
				       "else\n"
				       "menuentry 'Test memory' {\n"
				       "\tlinux16 /boot/memtest86+x64.bin\n"
				       "}\n"
				       "fi\n";

static void test_ubuntu(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg", ubu_isolinux_cfg);
	mfs_add(&m, "isolinux/menu.cfg", ubu_menu_cfg);
	mfs_add(&m, "isolinux/stdmenu.cfg", deb_stdmenu_cfg);
	mfs_add(&m, "isolinux/txt.cfg", ubu_txt_cfg);
	/* gtk.cfg, adtxt.cfg, adgtk.cfg and prompt.cfg are missing: skipped. */
	mfs_add(&m, "boot/grub/grub.cfg", ubu2204_grub_cfg);
	/* "default vesamenu.c32" came last; "default live" is the txt.cfg one, and the first. */
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "casper/vmlinuz", "casper/initrd",
		    "file=/cdrom/preseed/ubuntu.seed boot=casper quiet splash ---");
	CHECK_LABEL(&m, SYSLINUX, "isolinux/isolinux.cfg", "^Try Ubuntu without installing");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "casper/vmlinuz", "casper/initrd",
		    "--- quiet splash");
	CHECK_LABEL(&m, GRUB, "boot/grub/grub.cfg", "Try or Install Ubuntu");
	/* The isolinux DEFAULT naming a label counts when it is the last one. */
	set_text(&m, 0, "include menu.cfg\nprompt 0\n");
	set_text(&m, 3, "default check\n%s", ubu_txt_cfg + strlen("default live\n"));
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "casper/vmlinuz", "casper/initrd",
		    "boot=casper integrity-check quiet splash ---");
	mfs_finish(&m);

	/* 22.04.0 desktop: preseed and maybe-ubiquity. */
	mfs_add(&m, "boot/grub/grub.cfg",
		"set timeout=30\n"
		"loadfont unicode\n"
		"menuentry \"Try or Install Ubuntu\" {\n"
		"\tset gfxpayload=keep\n"
		"\tlinux\t/casper/vmlinuz file=/cdrom/preseed/ubuntu.seed maybe-ubiquity quiet "
		"splash ---\n"
		"\tinitrd\t/casper/initrd\n"
		"}\n");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "casper/vmlinuz", "casper/initrd",
		    "file=/cdrom/preseed/ubuntu.seed maybe-ubiquity quiet splash ---");
	mfs_finish(&m);
}

/* Fedora live: isolinux (up to 36) and GRUB. */
static const char fedora_isolinux_cfg[] =
    "serial 0 115200\n"
    "default vesamenu.c32\n"
    "timeout 600\n"
    "\n"
    "display boot.msg\n"
    "\n"
    "# Clear the screen when exiting the menu, instead of leaving the menu displayed.\n"
    "menu clear\n"
    "menu background splash.png\n"
    "menu title Fedora-Workstation-Live 39\n"
    "menu vshift 8\n"
    "menu rows 18\n"
    "menu margin 8\n"
    "#menu hidden\n"
    "menu helpmsgrow 15\n"
    "menu tabmsgrow 13\n"
    "\n"
    "# Border Area\n"
    "menu color border * #00000000 #00000000 none\n"
    "\n"
    "menu tabmsg Press Tab for full configuration options on menu items.\n"
    "\n"
    "menu separator # insert an empty line\n"
    "menu separator # insert an empty line\n"
    "\n"
    "label linux\n"
    "  menu label ^Start Fedora-Workstation-Live 39\n"
    "  kernel vmlinuz\n"
    "  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-39-1-5 rd.live.image quiet "
    "rhgb\n"
    "\n"
    "label check\n"
    "  menu label Test this ^media & start Fedora-Workstation-Live 39\n"
    "  menu default\n"
    "  kernel vmlinuz\n"
    "  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-39-1-5 rd.live.image "
    "rd.live.check quiet\n"
    "\n"
    "menu separator # insert an empty line\n"
    "\n"
    "# utilities submenu\n"
    "menu begin ^Troubleshooting\n"
    "  menu title Troubleshooting Fedora-Workstation-Live 39\n"
    "\n"
    "label basic0\n"
    "  menu indent count 5\n"
    "  menu label Start Fedora-Workstation-Live 39 in ^basic graphics mode\n"
    "  text help\n"
    "\tTry this option out if you're having trouble starting\n"
    "\tFedora-Workstation-Live 39.\n"
    "  endtext\n"
    "  kernel vmlinuz\n"
    "  append initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-39-1-5 rd.live.image "
    "nomodeset quiet rhgb\n"
    "\n"
    "label memtest\n"
    "  menu label Run a ^memory test\n"
    "  text help\n"
    "\tIf your system is having issues, a problem with your\n"
    "\tsystem's memory may be the reason.\n"
    "  endtext\n"
    "  kernel memtest\n"
    "\n"
    "label local\n"
    "  menu label Boot from ^local drive\n"
    "  localboot 0xffff\n"
    "\n"
    "menu separator # insert an empty line\n"
    "\n"
    "label returntomain\n"
    "  menu label Return to ^main menu\n"
    "  menu exit\n"
    "\n"
    "menu end\n";
static const char fedora_grub_cfg[] =
    "set default=\"1\"\n"
    "\n"
    "function load_video {\n"
    "  insmod all_video\n"
    "}\n"
    "\n"
    "load_video\n"
    "set gfxpayload=keep\n"
    "insmod gzio\n"
    "insmod part_gpt\n"
    "insmod ext2\n"
    "insmod chain\n"
    "\n"
    "set timeout=60\n"
    "### END /etc/grub.d/00_header ###\n"
    "\n"
    "search --no-floppy --set=root -l 'Fedora-WS-Live-39-1-5'\n"
    "\n"
    "### BEGIN /etc/grub.d/10_linux ###\n"
    "menuentry 'Start Fedora-Workstation-Live 39' --class fedora --class gnu-linux --class gnu "
    "--class os {\n"
    "\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-39-1-5  rd.live.image "
    "quiet rhgb\n"
    "\tinitrd /images/pxeboot/initrd.img\n"
    "}\n"
    "menuentry 'Test this media & start Fedora-Workstation-Live 39' --class fedora --class "
    "gnu-linux --class gnu --class os {\n"
    "\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-39-1-5  rd.live.image "
    "rd.live.check quiet\n"
    "\tinitrd /images/pxeboot/initrd.img\n"
    "}\n"
    "submenu 'Troubleshooting -->' {\n"
    "\tmenuentry 'Start Fedora-Workstation-Live 39 in basic graphics mode' --class fedora "
    "--class gnu-linux --class gnu --class os {\n"
    "\t\tlinux /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-39-1-5  rd.live.image "
    "nomodeset quiet rhgb\n"
    "\t\tinitrd /images/pxeboot/initrd.img\n"
    "\t}\n"
    "\tmenuentry 'Boot first drive' --class fedora --class gnu-linux --class gnu --class os {\n"
    "\t\tchainloader (hd0)+1\n"
    "\t}\n"
    "\tmenuentry 'Boot second drive' --class fedora --class gnu-linux --class gnu --class os {\n"
    "\t\tchainloader (hd1)+1\n"
    "\t}\n"
    "}\n";

static void test_fedora(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg", fedora_isolinux_cfg);
	mfs_add(&m, "EFI/BOOT/grub.cfg", fedora_grub_cfg);
	mfs_add(&m, "boot/grub2/grub.cfg", fedora_grub_cfg);
	/* MENU DEFAULT is the media check; relative names are in isolinux/. */
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "isolinux/vmlinuz",
		    "isolinux/initrd.img",
		    "root=live:CDLABEL=Fedora-WS-Live-39-1-5 rd.live.image rd.live.check quiet");
	CHECK_LABEL(&m, SYSLINUX, "isolinux/isolinux.cfg",
		    "Test this ^media & start Fedora-Workstation-Live 39");
	CHECK_ENTRY(&m, GRUB, "EFI/BOOT/grub.cfg", "images/pxeboot/vmlinuz",
		    "images/pxeboot/initrd.img",
		    "root=live:CDLABEL=Fedora-WS-Live-39-1-5 rd.live.image rd.live.check quiet");
	CHECK_LABEL(&m, GRUB, "boot/grub2/grub.cfg",
		    "Test this media & start Fedora-Workstation-Live 39");
	/* "2>0": inside the submenu (the last "set default" counts). */
	set_text(&m, 1, "%sset default=\"2>0\"\n", fedora_grub_cfg);
	CHECK_ENTRY(&m, GRUB, "EFI/BOOT/grub.cfg", "images/pxeboot/vmlinuz",
		    "images/pxeboot/initrd.img",
		    "root=live:CDLABEL=Fedora-WS-Live-39-1-5 rd.live.image nomodeset quiet rhgb");
	/* "2>1" chainloads a disk: the first Linux entry instead. */
	set_text(&m, 1, "%sset default=\"2>1\"\n", fedora_grub_cfg);
	CHECK_LABEL(&m, GRUB, "EFI/BOOT/grub.cfg", "Start Fedora-Workstation-Live 39");
	mfs_finish(&m);

	/* Older Fedora GRUB: linuxefi and initrdefi. */
	mfs_add(&m, "EFI/BOOT/grub.cfg",
		"set default=\"0\"\n"
		"menuentry 'Start Fedora-Workstation-Live 34' --class fedora --class gnu-linux "
		"--class gnu --class os {\n"
		"\tlinuxefi /images/pxeboot/vmlinuz root=live:CDLABEL=Fedora-WS-Live-34-1-2 "
		"rd.live.image quiet rhgb\n"
		"\tinitrdefi /images/pxeboot/initrd.img\n"
		"}\n");
	CHECK_ENTRY(&m, GRUB, "EFI/BOOT/grub.cfg", "images/pxeboot/vmlinuz",
		    "images/pxeboot/initrd.img",
		    "root=live:CDLABEL=Fedora-WS-Live-34-1-2 rd.live.image quiet rhgb");
	mfs_finish(&m);
}

/* Arch Linux (archiso): syslinux with upper-case keywords, GRUB with --id. */
static const char arch_syslinux_cfg[] = "DEFAULT select\n"
					"\n"
					"LABEL select\n"
					"COM32 whichsys.c32\n"
					"APPEND -pxe- pxe -sys- sys -iso- sys\n"
					"\n"
					"LABEL pxe\n"
					"CONFIG archiso_pxe.cfg\n"
					"\n"
					"LABEL sys\n"
					"CONFIG archiso_sys.cfg\n";
static const char arch_sys_cfg[] = "INCLUDE archiso_head.cfg\n"
				   "\n"
				   "DEFAULT arch64\n"
				   "TIMEOUT 150\n"
				   "\n"
				   "INCLUDE archiso_sys-linux.cfg\n"
				   "\n"
				   "INCLUDE archiso_tail.cfg\n";
static const char arch_head_cfg[] =
    "SERIAL 0 115200\n"
    "UI vesamenu.c32\n"
    "MENU TITLE Arch Linux\n"
    "MENU BACKGROUND splash.png\n"
    "\n"
    "MENU WIDTH 78\n"
    "MENU MARGIN 4\n"
    "MENU ROWS 7\n"
    "MENU VSHIFT 10\n"
    "MENU TABMSGROW 14\n"
    "MENU CMDLINEROW 14\n"
    "MENU HELPMSGROW 16\n"
    "MENU HELPMSGENDROW 29\n"
    "\n"
    "# Refer to https://wiki.syslinux.org/wiki/index.php/Comboot/menu.c32\n"
    "\n"
    "MENU COLOR border       30;44   #40ffffff #a0000000 std\n"
    "MENU COLOR title        1;36;44 #9033ccff #a0000000 std\n"
    "\n"
    "MENU CLEAR\n"
    "MENU IMMEDIATE\n";
static const char arch_sys_linux_cfg[] =
    "LABEL arch64\n"
    "TEXT HELP\n"
    "Boot the Arch Linux install medium on BIOS.\n"
    "It allows you to install Arch Linux or perform system maintenance.\n"
    "ENDTEXT\n"
    "MENU LABEL Arch Linux install medium (x86_64, BIOS)\n"
    "LINUX /arch/boot/x86_64/vmlinuz-linux\n"
    "INITRD "
    "/arch/boot/intel-ucode.img,/arch/boot/amd-ucode.img,/arch/boot/x86_64/initramfs-linux.img\n"
    "APPEND archisobasedir=arch archisosearchuuid=2024-01-01-00-00-00-00\n"
    "\n"
    "# Accessibility boot option\n"
    "LABEL arch64speech\n"
    "TEXT HELP\n"
    "Boot the Arch Linux install medium on BIOS with speakup screen reader.\n"
    "It allows you to install Arch Linux or perform system maintenance with speech feedback.\n"
    "ENDTEXT\n"
    "MENU LABEL Arch Linux install medium (x86_64, BIOS) with ^speech\n"
    "LINUX /arch/boot/x86_64/vmlinuz-linux\n"
    "INITRD "
    "/arch/boot/intel-ucode.img,/arch/boot/amd-ucode.img,/arch/boot/x86_64/initramfs-linux.img\n"
    "APPEND archisobasedir=arch archisosearchuuid=2024-01-01-00-00-00-00 accessibility=on\n";
static const char arch_tail_cfg[] = "LABEL existing\n"
				    "TEXT HELP\n"
				    "Boot an existing operating system.\n"
				    "Press TAB to edit the disk and partition number to boot.\n"
				    "ENDTEXT\n"
				    "MENU LABEL Boot existing OS\n"
				    "COM32 chain.c32\n"
				    "APPEND hd0 0\n"
				    "\n"
				    "# https://www.memtest.org/\n"
				    "LABEL memtest\n"
				    "MENU LABEL Run Memtest86+ (RAM test)\n"
				    "LINUX /boot/memtest86+/memtest\n"
				    "\n"
				    "LABEL hdt\n"
				    "MENU LABEL Hardware Information (HDT)\n"
				    "COM32 hdt.c32\n"
				    "APPEND modules_alias=hdt/modalias.gz pciids=hdt/pciids.gz\n"
				    "\n"
				    "LABEL reboot\n"
				    "TEXT HELP\n"
				    "Reboot computer.\n"
				    "The computer's firmware must support APM.\n"
				    "ENDTEXT\n"
				    "MENU LABEL Reboot\n"
				    "COM32 reboot.c32\n"
				    "\n"
				    "LABEL poweroff\n"
				    "MENU LABEL Power Off\n"
				    "COM32 poweroff.c32\n";
static const char arch_grub_cfg[] =
    "# Load partition table and file system modules\n"
    "insmod part_gpt\n"
    "insmod part_msdos\n"
    "insmod fat\n"
    "insmod iso9660\n"
    "\n"
    "# Use graphics-mode output\n"
    "if loadfont \"${prefix}/fonts/unicode.pf2\" ; then\n"
    "    insmod all_video\n"
    "    set gfxmode=\"auto\"\n"
    "    terminal_input console\n"
    "    terminal_output console\n"
    "fi\n"
    "\n"
    "# Enable serial console\n"
    "insmod serial\n"
    "insmod usbserial_common\n"
    "if serial --unit=0 --speed=115200; then\n"
    "    terminal_input --append serial\n"
    "    terminal_output --append serial\n"
    "fi\n"
    "\n"
    "# Get a human readable platform identifier\n"
    "if [ \"${grub_platform}\" == 'efi' ]; then\n"
    "    archiso_platform='UEFI'\n"
    "    if [ \"${grub_cpu}\" == 'x86_64' ]; then\n"
    "        archiso_platform=\"x64 ${archiso_platform}\"\n"
    "    elif [ \"${grub_cpu}\" == 'i386' ]; then\n"
    "        archiso_platform=\"IA32 ${archiso_platform}\"\n"
    "    else\n"
    "        archiso_platform=\"${grub_cpu} ${archiso_platform}\"\n"
    "    fi\n"
    "elif [ \"${grub_platform}\" == 'pc' ]; then\n"
    "    archiso_platform='BIOS'\n"
    "else\n"
    "    archiso_platform=\"${grub_cpu} ${grub_platform}\"\n"
    "fi\n"
    "\n"
    "# Set default menu entry\n"
    "default=archlinux\n"
    "timeout=15\n"
    "timeout_style=menu\n"
    "\n"
    "\n"
    "# Menu entries\n"
    "\n"
    "menuentry \"Arch Linux install medium (x86_64, ${archiso_platform})\" --class arch --class "
    "gnu-linux --class gnu --class os --id 'archlinux-accessibility' {\n"
    "    set gfxpayload=keep\n"
    "    linux /arch/boot/x86_64/vmlinuz-linux archisobasedir=arch "
    "archisosearchuuid=2024-01-01-00-00-00-00 accessibility=on\n"
    "    initrd /arch/boot/intel-ucode.img /arch/boot/amd-ucode.img "
    "/arch/boot/x86_64/initramfs-linux.img\n"
    "}\n"
    "\n"
    "menuentry \"Arch Linux install medium (x86_64, ${archiso_platform})\" --class arch --class "
    "gnu-linux --class gnu --class os --id 'archlinux' {\n"
    "    set gfxpayload=keep\n"
    "    linux /arch/boot/x86_64/vmlinuz-linux archisobasedir=arch "
    "archisosearchuuid=2024-01-01-00-00-00-00\n"
    "    initrd /arch/boot/intel-ucode.img /arch/boot/amd-ucode.img "
    "/arch/boot/x86_64/initramfs-linux.img\n"
    "}\n"
    "\n"
    "if [ \"${grub_platform}\" == 'efi' -a \"${grub_cpu}\" == 'x86_64' -a -f "
    "'/boot/memtest86+/memtest.efi' ]; then\n"
    "    menuentry 'Run Memtest86+ (RAM test)' --class memtest86 --class memtest --class gnu "
    "--class tool {\n"
    "        set gfxpayload=800x600,1024x768\n"
    "        linux /boot/memtest86+/memtest.efi\n"
    "    }\n"
    "fi\n"
    "if [ \"${grub_platform}\" == 'efi' ]; then\n"
    "    menuentry 'UEFI Shell' --class efi {\n"
    "        chainloader /shellx64.efi\n"
    "    }\n"
    "fi\n"
    "\n"
    "menuentry 'System shutdown' --class shutdown --class poweroff {\n"
    "    echo 'System shutting down...'\n"
    "    halt\n"
    "}\n";

static void test_arch(void)
{
	struct mfs m = {0};

	mfs_add(&m, "boot/syslinux/syslinux.cfg", arch_syslinux_cfg);
	mfs_add(&m, "boot/syslinux/archiso_sys.cfg", arch_sys_cfg);
	mfs_add(&m, "boot/syslinux/archiso_head.cfg", arch_head_cfg);
	mfs_add(&m, "boot/syslinux/archiso_sys-linux.cfg", arch_sys_linux_cfg);
	mfs_add(&m, "boot/syslinux/archiso_tail.cfg", arch_tail_cfg);
	mfs_add(&m, "boot/grub/grub.cfg", arch_grub_cfg);
	const char *initrds = "arch/boot/intel-ucode.img arch/boot/amd-ucode.img "
			      "arch/boot/x86_64/initramfs-linux.img";
	CHECK_ENTRY(&m, SYSLINUX, "boot/syslinux/archiso_sys.cfg", "arch/boot/x86_64/vmlinuz-linux",
		    initrds, "archisobasedir=arch archisosearchuuid=2024-01-01-00-00-00-00");
	CHECK_LABEL(&m, SYSLINUX, "boot/syslinux/archiso_sys.cfg",
		    "Arch Linux install medium (x86_64, BIOS)");
	/* The top file hands over to whichsys.c32 and CONFIG: nothing of it is Linux. */
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "boot/syslinux/syslinux.cfg"), -ENOENT);
	/* GRUB: "default=archlinux" (an assignment without "set") is the --id of the second
	 * entry here (archiso has it first; the accessibility entry was moved up). */
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "arch/boot/x86_64/vmlinuz-linux", initrds,
		    "archisobasedir=arch archisosearchuuid=2024-01-01-00-00-00-00");
	/* The same with "set default=archlinux" after the entries. */
	set_text(&m, 5, "%sset default=archlinux\n", arch_grub_cfg);
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "arch/boot/x86_64/vmlinuz-linux", initrds,
		    "archisobasedir=arch archisosearchuuid=2024-01-01-00-00-00-00");
	set_text(&m, 5, "%sset default=archlinux-accessibility\n", arch_grub_cfg);
	CHECK_ENTRY(
	    &m, GRUB, "boot/grub/grub.cfg", "arch/boot/x86_64/vmlinuz-linux", initrds,
	    "archisobasedir=arch archisosearchuuid=2024-01-01-00-00-00-00 accessibility=on");
	/* Titles have ${archiso_platform} expanded (every branch of its "if" was read). */
	struct bootcfg_entry e;
	if (parse(&m, GRUB, "boot/grub/grub.cfg", &e) == 0) {
		CHECK(strncmp(e.label, "Arch Linux install medium (x86_64, ", 35) == 0);
		CHECK(strstr(e.label, "$") == NULL);
		bootcfg_entry_finish(&e);
	}
	mfs_finish(&m);
}

/* openSUSE (kiwi): the commands are in variables, the paths on ($root). */
static const char suse_grub_cfg[] =
    "set btrfs_relative_path=\"yes\"\n"
    "search --file --set=root /boot/0xd8ab7dae\n"
    "set default=0\n"
    "if [ -n \"$extra_cmdline\" ]; then\n"
    "  submenu \"Bootable snapshot $snapshot_num\" {\n"
    "    menuentry \"If OK, run 'snapper rollback' and reboot.\" { true; }\n"
    "  }\n"
    "fi\n"
    "if [ -n \"$extra_cmdline\" ]; then\n"
    "  set default=1\n"
    "fi\n"
    "set font=($root)/boot/x86_64/loader/grub2/fonts/unicode.pf2\n"
    "if loadfont ($root)/boot/x86_64/loader/grub2/fonts/unicode.pf2;then\n"
    "    set gfxmode=auto\n"
    "    insmod gfxterm\n"
    "    terminal_input gfxterm\n"
    "    if terminal_output gfxterm;then true;else\n"
    "        terminal gfxterm\n"
    "    fi\n"
    "fi\n"
    "set timeout=10\n"
    "if [ \"${grub_platform}\" = \"efi\" ]; then\n"
    "    echo \"Please press 't' to show the boot menu on this console\"\n"
    "fi\n"
    "set linux=linux\n"
    "set initrd=initrd\n"
    "if [ \"${grub_cpu}\" = \"x86_64\" -o \"${grub_cpu}\" = \"i386\" ];then\n"
    "    if [ \"${grub_platform}\" = \"efi\" ]; then\n"
    "        set linux=linuxefi\n"
    "        set initrd=initrdefi\n"
    "    fi\n"
    "fi\n"
    "export linux initrd\n"
    "menuentry \"openSUSE-Tumbleweed-KDE-Live\" --class opensuse --class os {\n"
    "    set gfxpayload=keep\n"
    "    echo Loading kernel...\n"
    "    $linux ($root)/boot/x86_64/loader/linux ${extra_cmdline} splash=silent "
    "root=live:CDLABEL=openSUSE_Tumbleweed_KDE_Live rd.live.image rd.live.overlay.persistent "
    "rd.live.overlay.cowfs=ext4 quiet systemd.show_status=yes\n"
    "    echo Loading initrd...\n"
    "    $initrd ($root)/boot/x86_64/loader/initrd\n"
    "}\n"
    "menuentry \"Failsafe -- openSUSE-Tumbleweed-KDE-Live\" --class opensuse --class os {\n"
    "    set gfxpayload=keep\n"
    "    echo Loading kernel...\n"
    "    $linux ($root)/boot/x86_64/loader/linux ${extra_cmdline} splash=silent "
    "root=live:CDLABEL=openSUSE_Tumbleweed_KDE_Live rd.live.image ide=nodma apm=off noresume "
    "edd=off nomodeset 3 quiet systemd.show_status=yes\n"
    "    echo Loading initrd...\n"
    "    $initrd ($root)/boot/x86_64/loader/initrd\n"
    "}\n"
    "if [ \"${grub_platform}\" = \"efi\" ]; then\n"
    "    hiddenentry \"Text mode\" --hotkey \"t\" {\n"
    "        set textmode=true\n"
    "        terminal_output console\n"
    "    }\n"
    "fi\n";

static void test_opensuse(void)
{
	struct mfs m = {0};

	mfs_add(&m, "boot/grub2/grub.cfg", suse_grub_cfg);
	struct bootcfg_entry e;
	int r = parse(&m, GRUB, "boot/grub2/grub.cfg", &e);
	CHECK_EQ_INT(r, 0);
	if (r == 0) {
		CHECK_STR(e.label, "openSUSE-Tumbleweed-KDE-Live");
		CHECK_STR(e.kernel, "boot/x86_64/loader/linux");
		CHECK_EQ_INT(e.n_initrd, 1);
		CHECK_STR(e.initrd[0], "boot/x86_64/loader/initrd");
		/* The parameters, whatever the unset ${extra_cmdline} left between them. */
		const char *want[] = {"splash=silent",
				      "root=live:CDLABEL=openSUSE_Tumbleweed_KDE_Live",
				      "rd.live.image",
				      "rd.live.overlay.persistent",
				      "rd.live.overlay.cowfs=ext4",
				      "quiet",
				      "systemd.show_status=yes"};
		const char *p = e.append;
		for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
			p += strspn(p, " ");
			size_t n = strcspn(p, " ");
			CHECK(n == strlen(want[i]) && memcmp(p, want[i], n) == 0);
			p += n;
		}
		CHECK_EQ_INT(strspn(p, " "), strlen(p));
	}
	bootcfg_entry_finish(&e);
	mfs_finish(&m);
}

/* ---- the rules, one by one ---- */

/* DEFAULT as a command line: kernel, initrd= and parameters. */
static void test_syslinux_default_command_line(void)
{
	struct mfs m = {0};

	mfs_add(&m, "syslinux.cfg",
		"DEFAULT /casper/vmlinuz initrd=/casper/initrd boot=casper quiet\n"
		"PROMPT 0\n");
	CHECK_ENTRY(&m, SYSLINUX, "syslinux.cfg", "casper/vmlinuz", "casper/initrd",
		    "boot=casper quiet");
	CHECK_LABEL(&m, SYSLINUX, "syslinux.cfg", "default");
	mfs_finish(&m);
	mfs_add(&m, "isolinux/isolinux.cfg", "default vmlinuz\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "isolinux/vmlinuz", "", "");
	mfs_finish(&m);
}

/* DEFAULT naming a label that does not exist: the first Linux label. */
static void test_syslinux_default_unknown(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg",
		"default nothere\n"
		"label hd\n  localboot 0x80\n"
		"label one\n  kernel /k1\n  append initrd=/i1 a=1\n"
		"label two\n  kernel /k2\n  append initrd=/i2 a=2\n");
	/* "nothere" could be a kernel: it is one, as syslinux would try it. */
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "isolinux/nothere", "", "");
	set_text(&m, 0,
		 "default menu.c32\n"
		 "label hd\n  localboot 0x80\n"
		 "label one\n  kernel /k1\n  append initrd=/i1 a=1\n"
		 "label two\n  kernel /k2\n  append initrd=/i2 a=2\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k1", "i1", "a=1");
	mfs_finish(&m);
}

/* ONTIMEOUT when DEFAULT is a menu. */
static void test_syslinux_ontimeout(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg",
		"default vesamenu.c32\nontimeout two\n"
		"label one\n  kernel /k1\n  append initrd=/i1 a=1\n"
		"label two\n  kernel /k2\n  append initrd=/i2 a=2\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k2", "i2", "a=2");
	mfs_finish(&m);
}

/* Labels are found without case when there is no exact match. */
static void test_syslinux_label_case(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg",
		"DEFAULT TWO\n"
		"LABEL one\n  KERNEL /k1\n  APPEND initrd=/i1 a=1\n"
		"LABEL two\n  KERNEL /k2\n  APPEND initrd=/i2 a=2\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k2", "i2", "a=2");
	mfs_finish(&m);
}

/* MENU DEFAULT wins over DEFAULT, unless its label is not Linux. */
static void test_syslinux_menu_default(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg",
		"DEFAULT one\n"
		"LABEL one\n  KERNEL /k1\n"
		"LABEL two\n  MENU DEFAULT\n  KERNEL /k2\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k2", "", "");
	/* MENU DEFAULT on a label that is not Linux is passed over. */
	set_text(&m, 0,
		 "DEFAULT two\n"
		 "LABEL one\n  MENU DEFAULT\n  COM32 hdt.c32\n"
		 "LABEL two\n  KERNEL /k2\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k2", "", "");
	mfs_finish(&m);
}

/* INITRD wins over initrd=, and neither is left in the parameters. */
static void test_syslinux_initrd_keyword(void)
{
	struct mfs m = {0};

	/* INITRD wins over initrd= (syslinux ignores the parameter then), and is kept out of
	 * the parameters either way; APPEND - is no parameters. */
	mfs_add(&m, "isolinux/isolinux.cfg",
		"LABEL one\n  KERNEL /k1\n  INITRD /a.img,/b.img\n"
		"  APPEND x initrd=/c.img y\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k1", "a.img b.img", "x y");
	set_text(&m, 0, "LABEL one\n  KERNEL /k1\n  APPEND -\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k1", "", "");
	mfs_finish(&m);
}

/* initrd= with several files, empty items skipped, at most BOOTCFG_MAX_INITRDS. */
static void test_syslinux_initrd_list(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg", "LABEL one\n  KERNEL /k1\n  APPEND initrd=/a,,b, q\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k1", "a isolinux/b", "q");
	set_text(&m, 0, "LABEL one\n  KERNEL /k1\n  APPEND initrd=1,2,3,4,5,6,7,8,9,10 q\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k1",
		    "isolinux/1 isolinux/2 isolinux/3 isolinux/4 isolinux/5 isolinux/6 "
		    "isolinux/7 isolinux/8",
		    "q");
	mfs_finish(&m);
}

/* Labels whose kernel is not Linux are passed over. */
static void test_syslinux_not_linux(void)
{
	struct mfs m = {0};

	/* Kernels that are not Linux: modules, boot sectors, PXE images, EFI programs. */
	mfs_add(&m, "isolinux/isolinux.cfg",
		"DEFAULT a\n"
		"LABEL a\n  KERNEL menu.c32\n"
		"LABEL b\n  KERNEL /boot/grub/i386-pc/eltorito.bs\n"
		"LABEL c\n  KERNEL pxelinux.0\n"
		"LABEL d\n  KERNEL /EFI/BOOT/BOOTX64.EFI\n"
		"LABEL e\n  KERNEL memtest.bin\n"
		"LABEL f\n  KERNEL /isolinux/memdisk\n  APPEND iso raw\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "isolinux/memdisk", "", "iso raw");
	/* BOOT, LOCALBOOT and the like after a KERNEL: not Linux. */
	set_text(&m, 0, "LABEL a\n  KERNEL /k1\n  LOCALBOOT 0\nLABEL b\n  LINUX /k2\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k2", "", "");
	mfs_finish(&m);
}

/* CRLF line ends, tabs and trailing blanks. */
static void test_syslinux_blanks(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg",
		"DEFAULT live\r\n"
		"LABEL live\r\n"
		"\tKERNEL /live/vmlinuz \r\n"
		"\tINITRD /live/initrd.img\t\r\n"
		"\tAPPEND boot=live quiet  \r\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "live/vmlinuz", "live/initrd.img",
		    "boot=live quiet");
	mfs_finish(&m);
}

/* TEXT HELP ... ENDTEXT hides what looks like configuration. */
static void test_syslinux_text_help(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg",
		"LABEL a\n  TEXT HELP\n  LABEL b\n  KERNEL /evil\n  ENDTEXT\n  KERNEL /k1\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k1", "", "");
	mfs_finish(&m);
}

/* A file without a Linux label, an empty file, a missing file. */
static void test_syslinux_no_entry(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg", "LABEL hd\n  LOCALBOOT 0x80\n");
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/isolinux.cfg"), -ENOENT);
	m.text[0] = "";
	m.len[0] = 0;
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/isolinux.cfg"), -ENOENT);
	struct bootcfg_entry e;
	CHECK_EQ_INT(parse(&m, SYSLINUX, "isolinux/nothere.cfg", &e), -ENOENT);
	mfs_finish(&m);
}

/* KERNEL before any LABEL is ignored; so are keywords it does not know. */
static void test_syslinux_ignored_lines(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg",
		"KERNEL /k0\nAPPEND x\nFOO bar\nF1 help.txt\nLABEL a\n  KERNEL /k1\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k1", "", "");
	mfs_finish(&m);
}

/* CONFIG at the top level reads the other file; a label's CONFIG is no kernel. */
static void test_syslinux_config(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg", "CONFIG other.cfg\n");
	mfs_add(&m, "isolinux/other.cfg", "LABEL x\n  KERNEL /k9\n  APPEND o=1\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k9", "", "o=1");
	/* A label's CONFIG is another configuration, not this label's kernel. */
	set_text(&m, 0, "DEFAULT a\nLABEL a\n  CONFIG other.cfg\nLABEL b\n  KERNEL /k2\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k2", "", "");
	mfs_finish(&m);
}

/* The GRUB configuration of the rules below. */
static const char grub_cfg[] = "boot/grub/grub.cfg";

/* set default by --id, by title, by index; what names no entry falls back to the first. */
static void test_grub_default(void)
{
	struct mfs m = {0};

	static const char abc[] =
	    "menuentry A --id a-id { linux /ka a; initrd /ia; }\n"
	    "menuentry 'B' --class x --id b-id --unrestricted { linux /kb b; initrd /ib; }\n"
	    "menuentry \"C c\" { linux /kc c; initrd /ic1 /ic2; }\n";
	static const struct {
		const char *set, *kernel;
	} defaults[] = {
	    {"set default=b-id", "kb"},
	    {"set default=\"C c\"", "kc"},
	    {"set default='B'", "kb"},
	    {"set default=A", "ka"},
	    {"set default=a", "ka"}, /* titles and ids are exact */
	    {"set default=0002", "kc"},
	    {"set default=1", "kb"},
	    {"set default=3", "ka"},
	    {"set default=-1", "ka"},
	    {"set default=1>2", "kb"},
	    {"set default=9>9>9", "ka"},
	    {"set default=\"\"", "ka"},
	    {"set default", "ka"},
	    {"set default=2 default=1", "kb"},
	    {"set x=2\nset default=$x", "kc"},
	    {"set x=2; set default=\"${x}\"", "kc"},
	    {"set x=2 default=$x", "ka"}, /* expanded before x was set */
	    {"set default=${unset}", "ka"},
	    {"set default=$x\nset x=2", "ka"},
	    {"default=2", "kc"}, /* an assignment without "set" */
	};
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
		mfs_add(&m, grub_cfg, "");
		set_text(&m, 0, "%s\n%s", defaults[i].set, abc);
		struct bootcfg_entry e;
		int r = parse(&m, GRUB, grub_cfg, &e);
		CHECK_EQ_INT(r, 0);
		if (r == 0 && strcmp(e.kernel, defaults[i].kernel) != 0) {
			printf("#   \"%s\": %s, expected %s\n", defaults[i].set, e.kernel,
			       defaults[i].kernel);
			tap_case_failed = 1;
		}
		if (r == 0)
			bootcfg_entry_finish(&e);
		mfs_finish(&m);
	}
	mfs_add(&m, grub_cfg, abc);
	CHECK_ENTRY(&m, GRUB, grub_cfg, "ka", "ia", "a");
	set_text(&m, 0, "set default=\"C c\"\n%s", abc);
	CHECK_ENTRY(&m, GRUB, grub_cfg, "kc", "ic1 ic2", "c");
	mfs_finish(&m);
}

/* Variables: set, quoted, unset, in paths and in parameters; $prefix is the configuration's
 * folder. */
static void test_grub_variables(void)
{
	struct mfs m = {0};

	mfs_add(&m, grub_cfg,
		"set k=/live/vmlinuz\n"
		"set opts='boot=live  quiet'\n"
		"menuentry x {\n"
		"  linux $k $opts \"a b\" c=\"${unset}\"d ${unset} $unset 'it''s' \\$x e=\\\"\n"
		"  initrd $prefix/initrd.img ${nothing}/live/initrd2.img\n"
		"}\n");
	CHECK_ENTRY(&m, GRUB, grub_cfg, "live/vmlinuz", "boot/grub/initrd.img live/initrd2.img",
		    "boot=live quiet \"a b\" c=d its $x e=\"");
	mfs_finish(&m);
}

/* Line continuations, comments, semicolons, tabs, CRLF. */
static void test_grub_line_syntax(void)
{
	struct mfs m = {0};

	mfs_add(&m, grub_cfg,
		"# a comment { with a brace\r\n"
		"menuentry 'x' {\r\n"
		"\tlinux /vmlinuz \\\r\n"
		"\t  a=1 # the rest is a comment\r\n"
		"\tinitrd /initrd.img;\r\n"
		"}\r\n");
	struct bootcfg_entry e;
	int r = parse(&m, GRUB, grub_cfg, &e);
	CHECK_EQ_INT(r, 0);
	if (r == 0) {
		CHECK_STR(e.kernel, "vmlinuz");
		CHECK_EQ_INT(e.n_initrd, 1);
		CHECK_STR(e.initrd[0], "initrd.img");
		CHECK(strstr(e.append, "comment") == NULL);
		bootcfg_entry_finish(&e);
	}
	mfs_finish(&m);
	mfs_add(&m, grub_cfg,
		"menuentry 'x' {\n"
		"\tlinux /vmlinuz \\\n"
		"\t  a=1\n"
		"\tinitrd /initrd.img\n"
		"}\n");
	CHECK_ENTRY(&m, GRUB, grub_cfg, "vmlinuz", "initrd.img", "a=1");
	mfs_finish(&m);
}

/* Device prefixes; ".." never leaves the ISO. */
static void test_grub_device_prefixes(void)
{
	struct mfs m = {0};

	mfs_add(&m, grub_cfg,
		"menuentry x {\n"
		"  linux ($root)/../../boot/../live/vmlinuz a\n"
		"  initrd (cd0)/live/initrd.img (hd0,msdos1)/../x.img\n"
		"}\n");
	CHECK_ENTRY(&m, GRUB, grub_cfg, "live/vmlinuz", "live/initrd.img x.img", "a");
	mfs_finish(&m);
}

/* An entry without a kernel, or with one that is not Linux, gives way. */
static void test_grub_not_linux(void)
{
	struct mfs m = {0};

	mfs_add(&m, grub_cfg,
		"menuentry 'memtest' { linux16 /boot/memtest86+.bin }\n"
		"menuentry 'efi' { chainloader /EFI/BOOT/grubx64.efi }\n"
		"menuentry 'empty' { }\n"
		"menuentry 'real' { linux /k r; initrd /i }\n");
	CHECK_LABEL(&m, GRUB, grub_cfg, "real");
	mfs_finish(&m);
}

/* Only the first linux and initrd of an entry count; more than BOOTCFG_MAX_INITRDS initrds
 * are cut. */
static void test_grub_first_linux_initrd(void)
{
	struct mfs m = {0};

	mfs_add(&m, grub_cfg,
		"menuentry x {\n"
		"  linux /k1 one\n  linux /k2 two\n"
		"  initrd /1 /2 /3 /4 /5 /6 /7 /8 /9 /10\n  initrd /other\n"
		"}\n");
	CHECK_ENTRY(&m, GRUB, grub_cfg, "k1", "1 2 3 4 5 6 7 8", "one");
	mfs_finish(&m);
}

/* source and configfile, relative and absolute, missing ones skipped; functions are not
 * run. */
static void test_grub_source(void)
{
	struct mfs m = {0};

	mfs_add(&m, grub_cfg,
		"source missing.cfg\n"
		"function f { menuentry fake { linux /fake } }\n"
		"f\n"
		"configfile $prefix/x.cfg\n");
	mfs_add(&m, "boot/grub/x.cfg", ". /y.cfg\n");
	mfs_add(&m, "y.cfg", "menuentry y { linux /ky }\n");
	CHECK_ENTRY(&m, GRUB, grub_cfg, "ky", "", "");
	CHECK_EQ_INT(m.reads, 4);
	mfs_finish(&m);
}

/* No entry, an empty file, a missing file. */
static void test_grub_no_entry(void)
{
	struct mfs m = {0};

	mfs_add(&m, grub_cfg, "set timeout=5\n");
	CHECK_EQ_INT(parse_sane(&m, GRUB, grub_cfg), -ENOENT);
	m.text[0] = "";
	m.len[0] = 0;
	CHECK_EQ_INT(parse_sane(&m, GRUB, grub_cfg), -ENOENT);
	struct bootcfg_entry e;
	CHECK_EQ_INT(parse(&m, GRUB, "boot/grub/nothere.cfg", &e), -ENOENT);
	mfs_finish(&m);
}

/* ---- hostile configurations ---- */

/* A syslinux file that includes itself, and two that include each other. */
static void test_hostile_syslinux_include_loop(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/a.cfg", "include a.cfg\nlabel a\n  kernel /ka\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/a.cfg", "ka", "", "");
	CHECK(m.reads <= BOOTCFG_MAX_FILES);
	set_text(&m, 0, "include a.cfg\n");
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/a.cfg"), -ENOENT);
	CHECK(m.reads <= BOOTCFG_MAX_FILES);
	set_text(&m, 0, "include b.cfg\nlabel a\n  kernel /ka\n");
	mfs_add(&m, "isolinux/b.cfg", "menu include a.cfg\nlabel b\n  kernel /kb\n");
	/* The innermost file's label came first: a.cfg at the depth bound. */
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/a.cfg", "ka", "", "");
	CHECK(m.reads <= BOOTCFG_MAX_FILES);
	mfs_finish(&m);
}

/* A GRUB file that sources itself, two that source each other, and each more than once. */
static void test_hostile_grub_source_loop(void)
{
	struct mfs m = {0};

	mfs_add(&m, "boot/grub/a.cfg", "source /boot/grub/a.cfg\nmenuentry a { linux /ka }\n");
	CHECK_ENTRY(&m, GRUB, "boot/grub/a.cfg", "ka", "", "");
	CHECK(m.reads <= BOOTCFG_MAX_FILES);
	set_text(&m, 0, "source b.cfg\nmenuentry a { linux /ka }\n");
	mfs_add(&m, "boot/grub/b.cfg", "configfile a.cfg\nmenuentry b { linux /kb }\n");
	CHECK_EQ_INT(parse_sane(&m, GRUB, "boot/grub/a.cfg"), 0);
	CHECK(m.reads <= BOOTCFG_MAX_FILES);
	/* Sourcing twice per file: the file count still bounds the work. */
	set_text(&m, 0, "source a.cfg\nsource a.cfg\nsource b.cfg\nsource b.cfg\n");
	set_text(&m, 1, "source a.cfg\nsource b.cfg\nsource a.cfg\n");
	CHECK_EQ_INT(parse_sane(&m, GRUB, "boot/grub/a.cfg"), -ENOENT);
	CHECK(m.reads <= BOOTCFG_MAX_FILES);
	mfs_finish(&m);
}

/* Files dir/c0.cfg to dir/c20.cfg, each but the last one line "<link>c<next>.cfg", the last
 * one last. */
static void add_chain(struct mfs *m, const char *dir, const char *link, const char *last)
{
	for (int i = 0; i <= 20; i++) {
		char *path, *text;
		if (asprintf(&path, "%sc%d.cfg", dir, i) < 0)
			abort();
		if (i < 20 ? asprintf(&text, "%sc%d.cfg\n", link, i + 1) < 0
			   : (text = strdup(last)) == NULL)
			abort();
		mfs_add(m, mfs_keep(m, path), mfs_keep(m, text));
	}
}

/* A deep include chain: c0 includes c1 includes c2 ... the label sits in c20. */
static void test_hostile_syslinux_deep_chain(void)
{
	struct mfs m = {0};

	add_chain(&m, "isolinux/", "include ", "label deep\n  kernel /kdeep\n");
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/c0.cfg"), -ENOENT);
	CHECK(m.reads <= BOOTCFG_MAX_DEPTH + 1);
	/* Within the depth, the label is found. */
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/c15.cfg", "kdeep", "", "");
	mfs_finish(&m);
}

/* A deep source chain: c0 sources c1 sources c2 ... the entry sits in c20. */
static void test_hostile_grub_deep_chain(void)
{
	struct mfs m = {0};

	add_chain(&m, "g/", "source /g/", "menuentry deep { linux /kdeep }\n");
	CHECK_EQ_INT(parse_sane(&m, GRUB, "g/c0.cfg"), -ENOENT);
	CHECK(m.reads <= BOOTCFG_MAX_DEPTH + 2);
	CHECK_ENTRY(&m, GRUB, "g/c15.cfg", "kdeep", "", "");
	mfs_finish(&m);
}

/* More files than BOOTCFG_MAX_FILES: the ones past the bound are not read. */
static void test_hostile_many_includes(void)
{
	struct mfs m = {0};

	char *top = mfs_keep(&m, calloc(1, 40 * 32));
	size_t o = 0;
	for (int i = 0; i < 40; i++)
		o += (size_t)sprintf(top + o, "include f%d.cfg\n", i);
	mfs_add(&m, "isolinux/isolinux.cfg", top);
	for (int i = 0; i < 40; i++) {
		char *path, *text;
		if (asprintf(&path, "isolinux/f%d.cfg", i) < 0 ||
		    asprintf(&text, "label l%d\n%s  kernel /k%d\n", i,
			     i == 39 ? "  menu default\n" : "", i) < 0)
			abort();
		mfs_add(&m, mfs_keep(&m, path), mfs_keep(&m, text));
	}
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k0", "", "");
	CHECK_EQ_INT(m.reads, BOOTCFG_MAX_FILES);
	/* Within the bound, MENU DEFAULT is found. */
	set_text(&m, 0, "include f39.cfg\n%s", top);
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k39", "", "");
	mfs_finish(&m);
}

/* Includes that are missing, empty, directories of nothing, or escape the root. */
static void test_hostile_include_escape(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg",
		"include missing.cfg\n"
		"include empty.cfg\n"
		"include\n"
		"include /\n"
		"include ..\n"
		"include ../../../../etc/passwd\n"
		"label a\n  kernel ../../../../live/vmlinuz\n  append initrd=../../x.img q\n");
	mfs_add(&m, "isolinux/empty.cfg", "");
	mfs_add(&m, "etc/passwd",
		"root:x:0:0:root:/root:/bin/bash\nlabel evil\n  menu default\n"
		"  kernel /evil\n");
	struct bootcfg_entry e;
	int r = parse(&m, SYSLINUX, "isolinux/isolinux.cfg", &e);
	check_sane(r, &e);
	if (r == 0) {
		/* The include resolved inside the ISO: its etc/passwd, read as configuration. */
		CHECK_STR(e.kernel, "evil");
		bootcfg_entry_finish(&e);
	}
	set_text(&m, 0,
		 "label a\n  kernel ../../../../live/vmlinuz\n  append initrd=../../x.img q\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "live/vmlinuz", "x.img", "q");
	mfs_finish(&m);
}

/* Paths that normalise to nothing: no entry, and not an allocation failure. */
static void test_hostile_paths(void)
{
	struct mfs m = {0};

	mfs_add(&m, "isolinux/isolinux.cfg", "DEFAULT ..\n");
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/isolinux.cfg"), -ENOENT);
	set_text(&m, 0, "DEFAULT /\n");
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/isolinux.cfg"), -ENOENT);
	set_text(&m, 0, "DEFAULT (x\n");
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/isolinux.cfg"), -ENOENT);
	set_text(&m, 0, "LABEL a\n  KERNEL ../..\nLABEL b\n  KERNEL /kb\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "kb", "", "");
	set_text(&m, 0, "LABEL a\n  KERNEL /.\n");
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/isolinux.cfg"), -ENOENT);
	/* Initrds that are nothing are left out. */
	set_text(&m, 0, "LABEL a\n  KERNEL /k\n  INITRD /,..,/i,(cd0)\n");
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k", "i", "");
	mfs_finish(&m);

	mfs_add(&m, "boot/grub/grub.cfg", "menuentry a { linux / }\nmenuentry b { linux /kb }\n");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "kb", "", "");
	set_text(&m, 0, "menuentry a { linux ($root) x }\n");
	CHECK_EQ_INT(parse_sane(&m, GRUB, "boot/grub/grub.cfg"), -ENOENT);
	set_text(&m, 0, "menuentry a { linux ../../.. x }\n");
	CHECK_EQ_INT(parse_sane(&m, GRUB, "boot/grub/grub.cfg"), -ENOENT);
	set_text(&m, 0, "menuentry a { linux (hd0 x }\n");
	CHECK_EQ_INT(parse_sane(&m, GRUB, "boot/grub/grub.cfg"), -ENOENT);
	set_text(&m, 0, "menuentry a { linux /k; initrd / ../.. /i ($x) }\n");
	CHECK_ENTRY(&m, GRUB, "boot/grub/grub.cfg", "k", "i", "");
	mfs_finish(&m);
}

/* A huge line, then a label: syslinux finds the label, GRUB finds no entry. */
static void test_hostile_huge_line(void)
{
	struct mfs m = {0};
	const size_t big = BOOTCFG_MAX_FILE - 100;

	char *huge = malloc(big + 1);
	memset(huge, 'a', big);
	const char tail[] = "\nlabel a\n kernel /k\n";
	memcpy(huge + big - sizeof(tail) + 1, tail, sizeof(tail) - 1);
	huge[big] = '\0';
	mfs_add(&m, "isolinux/isolinux.cfg", mfs_keep(&m, huge));
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k", "", "");
	mfs_add(&m, "boot/grub/grub.cfg", huge);
	CHECK_EQ_INT(parse_sane(&m, GRUB, "boot/grub/grub.cfg"), -ENOENT);
	mfs_finish(&m);
}

/* A huge APPEND and a huge linux line still give their entry. */
static void test_hostile_huge_parameters(void)
{
	struct mfs m = {0};
	const size_t big = BOOTCFG_MAX_FILE - 100;

	char *h2 = mfs_keep(&m, malloc(big + 1));
	memcpy(h2, "label a\n kernel /k\n append ", 27);
	memset(h2 + 27, 'x', big - 27);
	h2[big] = '\0';
	mfs_add_len(&m, "isolinux/isolinux.cfg", h2, big);
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/isolinux.cfg"), 0);
	char *h3 = mfs_keep(&m, malloc(big + 1));
	memcpy(h3, "menuentry a { linux /k ", 23);
	memset(h3 + 23, 'x', big - 23);
	h3[big] = '\0';
	mfs_add_len(&m, "boot/grub/grub.cfg", h3, big);
	CHECK_EQ_INT(parse_sane(&m, GRUB, "boot/grub/grub.cfg"), 0);
	mfs_finish(&m);
}

/* A file over BOOTCFG_MAX_FILE is the reader's error. */
static void test_hostile_file_too_big(void)
{
	struct mfs m = {0};

	char *h4 = mfs_keep(&m, calloc(1, BOOTCFG_MAX_FILE + 2));
	memset(h4, '\n', BOOTCFG_MAX_FILE + 1);
	mfs_add_len(&m, "isolinux/isolinux.cfg", h4, BOOTCFG_MAX_FILE + 1);
	struct bootcfg_entry e;
	CHECK_EQ_INT(parse(&m, SYSLINUX, "isolinux/isolinux.cfg", &e), -EFBIG);
	mfs_finish(&m);
}

/* 10000 menuentries and 10000 labels: the first is the one. */
static void test_hostile_many_entries(void)
{
	struct mfs m = {0};

	char *many = mfs_keep(&m, malloc(10000 * 32));
	size_t o = 0;
	for (int i = 0; i < 10000; i++)
		o += (size_t)sprintf(many + o, "menuentry a { linux /k }\n");
	CHECK(o <= BOOTCFG_MAX_FILE);
	mfs_add(&m, "g.cfg", many);
	CHECK_ENTRY(&m, GRUB, "g.cfg", "k", "", "");
	set_text(&m, 0, "set default=9999\n%s", many);
	CHECK_ENTRY(&m, GRUB, "g.cfg", "k", "", "");
	char *labels = mfs_keep(&m, malloc(10000 * 32));
	o = 0;
	for (int i = 0; i < 10000; i++)
		o += (size_t)sprintf(labels + o, "label a\nkernel /k\n");
	CHECK(o <= BOOTCFG_MAX_FILE);
	mfs_add(&m, "s.cfg", labels);
	CHECK_ENTRY(&m, SYSLINUX, "s.cfg", "k", "", "");
	mfs_finish(&m);
}

/* Past BOOTCFG_MAX_ENTRIES, GRUB entries are not looked at by set default. */
static void test_hostile_grub_entries_bound(void)
{
	struct mfs m = {0};

	char *ids = mfs_keep(&m, malloc(300 * 64));
	size_t o = 0;
	for (int i = 0; i < 300; i++)
		o += (size_t)sprintf(ids + o, "menuentry e%d --id i%d { linux /k%d; }\n", i, i, i);
	mfs_add(&m, "g.cfg", ids);
	static const struct {
		const char *def, *kernel;
	} far[] = {
	    {"i299", "k0"}, {"i200", "k200"}, {"e255", "k255"}, {"255", "k255"},
	    {"256", "k0"},  {" 255", "k0"},   {"299", "k0"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(far); i++) {
		set_text(&m, 0, "set default=\"%s\"\n%s", far[i].def, ids);
		CHECK_ENTRY(&m, GRUB, "g.cfg", far[i].kernel, "", "");
	}
	mfs_finish(&m);
}

/* Past BOOTCFG_MAX_ENTRIES, syslinux labels are not looked at by DEFAULT. */
static void test_hostile_syslinux_labels_bound(void)
{
	struct mfs m = {0};

	char *sl = mfs_keep(&m, malloc(300 * 48));
	size_t o = 0;
	for (int i = 0; i < 300; i++)
		o += (size_t)sprintf(sl + o, "label l%d\n kernel /k%d\n", i, i);
	mfs_add(&m, "s.cfg", sl);
	set_text(&m, 0, "default l200\n%s", sl);
	CHECK_ENTRY(&m, SYSLINUX, "s.cfg", "k200", "", "");
	/* l299 is past the bound: not a label seen, so a kernel of that name. */
	set_text(&m, 0, "default l299\n%s", sl);
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "s.cfg"), 0);
	mfs_finish(&m);
}

/* A linux line of some 95000 words. */
static void test_hostile_many_words(void)
{
	struct mfs m = {0};

	char *words = mfs_keep(&m, malloc(200000));
	size_t o = (size_t)sprintf(words, "menuentry w { linux /kw");
	while (o < 190000)
		o += (size_t)sprintf(words + o, " w");
	sprintf(words + o, "; }\n");
	mfs_add(&m, "g.cfg", words);
	CHECK_EQ_INT(parse_sane(&m, GRUB, "g.cfg"), 0);
	mfs_finish(&m);
}

/* Many variables. */
static void test_hostile_many_variables(void)
{
	struct mfs m = {0};

	char *vars = mfs_keep(&m, malloc(1000 * 40 + 100));
	size_t o = 0;
	for (int i = 0; i < 1000; i++)
		o += (size_t)sprintf(vars + o, "set v%d=/k%d\n", i, i);
	sprintf(vars + o, "menuentry v { linux $v999 ; }\nmenuentry w { linux $v1 ; }\n");
	mfs_add(&m, "g.cfg", vars);
	CHECK_EQ_INT(parse_sane(&m, GRUB, "g.cfg"), 0);
	mfs_finish(&m);
}

/* "set a=$a$a" 60 times would make a value of 2^60 bytes: expansions are cut at 8 KiB a word
 * and 1 MiB a configuration, and the entry after them is still found. */
static void test_hostile_doubling_variable(void)
{
	struct mfs m = {0};

	char *dbl = mfs_keep(&m, malloc(60 * 16 + 200));
	size_t o = (size_t)sprintf(dbl, "set a=0123456789\n");
	for (int i = 0; i < 60; i++)
		o += (size_t)sprintf(dbl + o, "set a=$a$a\n");
	sprintf(dbl + o, "set k=/kd\nmenuentry d { linux $k \"$a\" ; }\n");
	mfs_add(&m, "g.cfg", dbl);
	struct bootcfg_entry de;
	CHECK_EQ_INT(parse(&m, GRUB, "g.cfg", &de), 0);
	CHECK_STR(de.kernel, "kd");
	CHECK(de.append && strlen(de.append) <= 8192 + 2 &&
	      strncmp(de.append, "0123456789", 10) == 0);
	bootcfg_entry_finish(&de);
	mfs_finish(&m);
}

/* A 200 KiB value referred to 20000 times (and the file sourced again and again). */
static void test_hostile_large_variable_fan_out(void)
{
	struct mfs m = {0};

	char *fan = malloc(BOOTCFG_MAX_FILE);
	if (!fan)
		abort();
	mfs_keep(&m, fan);
	size_t o = (size_t)sprintf(fan, "set b='");
	memset(fan + o, 'b', 200000);
	o += 200000;
	o += (size_t)sprintf(fan + o, "'\n");
	for (int i = 0; i < 20000 && o < BOOTCFG_MAX_FILE - 200; i++)
		o += (size_t)sprintf(fan + o, "$b\n");
	sprintf(fan + o, "source /g.cfg\nmenuentry f { linux /kf ; }\n");
	mfs_add(&m, "g.cfg", fan);
	CHECK_ENTRY(&m, GRUB, "g.cfg", "kf", "", "");
	mfs_finish(&m);
}

static void test_hostile_garbage(void)
{
	struct mfs m = {0};
	static const char bin[] = "label a\n\0kernel /evil\n kernel /k\n\x01\xff\xfe garbage\n"
				  " append \x80\x81 q\n";

	/* syslinux: a line with a NUL is no line; the rest counts. */
	mfs_add_len(&m, "isolinux/isolinux.cfg", bin, sizeof(bin) - 1);
	CHECK_EQ_INT(parse_sane(&m, SYSLINUX, "isolinux/isolinux.cfg"), 0);
	CHECK_ENTRY(&m, SYSLINUX, "isolinux/isolinux.cfg", "k", "", "\x80\x81 q");
	/* GRUB: a file with a NUL is no configuration. */
	static const char gbin[] = "menuentry a { linux /k }\n\0\0\0";
	mfs_add_len(&m, "boot/grub/grub.cfg", gbin, sizeof(gbin) - 1);
	CHECK_EQ_INT(parse_sane(&m, GRUB, "boot/grub/grub.cfg"), -ENOENT);
	mfs_finish(&m);

	/* Pseudo-random bytes, with and without NULs, through both parsers. */
	char *rnd = malloc(65536);
	uint32_t x = 2463534242u;
	for (int round = 0; round < 50; round++) {
		const char alphabet[] = "{}\"'\\$;\n #=abc/.()>-\t\r";
		for (size_t i = 0; i < 65536; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			rnd[i] = round % 2 ? (char)(x & 0xff)
					   : alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
		}
		mfs_add_len(&m, "r.cfg", rnd, 65536);
		parse_sane(&m, SYSLINUX, "r.cfg");
		parse_sane(&m, GRUB, "r.cfg");
		mfs_finish(&m);
	}
	free(rnd);
}

/* Unterminated quotes and blocks, stray braces, odd names: an entry or none, never worse. */
static void test_hostile_grub_texts(void)
{
	struct mfs m = {0};
	static const char *const texts[] = {
	    /* unterminated quotes and braces */
	    "menuentry \"x { linux /k }\n",
	    "menuentry 'x { linux /k }\n",
	    "menuentry x { linux /k \"a b\n",
	    "menuentry x { linux /k 'a b\n",
	    "menuentry x { linux /k ${unterminated\n",
	    "menuentry x { linux /k $\n",
	    "menuentry x { linux /k \\",
	    "menuentry x { linux /k",
	    "menuentry x {",
	    "menuentry x { linux /k; initrd /i\n",
	    "menuentry x { submenu y { menuentry z { linux /k\n",
	    "{ { { { menuentry x { linux /k } } }",
	    /* closing braces without opening ones */
	    "}\nmenuentry x { linux /k }\n",
	    "} } }\n}\n",
	    "menuentry x { linux /k } }\nmenuentry y { linux /k2 }\n",
	    "menuentry x } { linux /k }\n",
	    "menuentry x { linux /k }}}}}}}}}}}}}}\n",
	    "\\}\\{\\}menuentry x { linux \\} \\{ }\n",
	    "set x=}\nmenuentry a { linux /k $x ${x} }\n",
	    "set x={\nmenuentry a $x linux /k $x ${x} }\n",
	    /* odd names and odd blocks */
	    "menuentry { linux /k }\n",
	    "menuentry --id { linux /k }\n",
	    "menuentry --class\n{ linux /k }\n",
	    "submenu { menuentry { linux /k } }\n",
	    "if { menuentry a { linux /k } } fi\n",
	    "function { menuentry a { linux /k } }\n",
	    "function\nmenuentry a { linux /k }\n",
	    "linux /k\ninitrd /i\n",
	    "set\nset =\nset ==\nset a==b\nset ${x}=y\nmenuentry a { linux /k }\n",
	    "set default=${default}${default}\nmenuentry a { linux /k }\n",
	    "set default=\">\"\nmenuentry a { linux /k }\n",
	    "set default=0>\nmenuentry a { linux /k }\n",
	    "set default=>0\nmenuentry a { linux /k }\n",
	    "set default=1>2>3\nmenuentry a { linux /k }\n",
	    "set default=99999999999999999999999\nmenuentry a { linux /k }\n",
	    "source\nsource \"\"\nsource /\nsource ..\nsource ($root)\nmenuentry a { linux /k }\n",
	    "menuentry a { linux \"\" }\n",
	    "menuentry a { linux '' x }\n",
	    "menuentry a { linux $nothing x }\n",
	    "menuentry a { initrd /i }\n",
	    "menuentry a { linux /k.efi }\n",
	    "then else do fi done\n",
	    "then { menuentry a { linux /k } }\n",
	    ";;;;\n\n\n;",
	    "",
	};

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		mfs_add(&m, "g.cfg", texts[i]);
		int r = parse_sane(&m, GRUB, "g.cfg");
		if (tap_case_failed) {
			printf("#   in text %zu (%d)\n", i, r);
			break;
		}
		mfs_finish(&m);
	}
	mfs_finish(&m);
}

/* Braces, ifs and submenus nested very deep: bounded, not a stack overflow. */
static void test_hostile_grub_deep_nesting(void)
{
	struct mfs m = {0};
	const size_t depth = 100000;
	char *deep = malloc(depth * 2 + 64);
	size_t o = 0;
	for (size_t i = 0; i < depth; i++) {
		deep[o++] = '{';
		deep[o++] = '\n';
	}
	o += (size_t)sprintf(deep + o, "menuentry a { linux /k }\n");
	mfs_add_len(&m, "g.cfg", deep, o);
	parse_sane(&m, GRUB, "g.cfg");
	o = 0;
	for (size_t i = 0; o + 16 < depth * 2; i++)
		o += (size_t)sprintf(deep + o, "if x; then {\n");
	mfs_finish(&m);
	mfs_add_len(&m, "g.cfg", deep, o);
	parse_sane(&m, GRUB, "g.cfg");
	o = 0;
	while (o + 32 < depth * 2)
		o += (size_t)sprintf(deep + o, "submenu s { menuentry m {\n");
	mfs_finish(&m);
	mfs_add_len(&m, "g.cfg", deep, o);
	parse_sane(&m, GRUB, "g.cfg");
	mfs_finish(&m);
	free(deep);
}

/* Nesting in entries is bounded too, and the entry is still found before it. */
static void test_hostile_grub_nesting_after_entry(void)
{
	struct mfs m = {0};

	mfs_add(&m, "g.cfg",
		"menuentry a { linux /k }\n{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\n");
	CHECK_ENTRY(&m, GRUB, "g.cfg", "k", "", "");
	mfs_finish(&m);
}

int main(void)
{
	RUN(test_path);
	RUN(test_debian_live);
	RUN(test_kali);
	RUN(test_ubuntu);
	RUN(test_fedora);
	RUN(test_arch);
	RUN(test_opensuse);
	RUN(test_syslinux_default_command_line);
	RUN(test_syslinux_default_unknown);
	RUN(test_syslinux_ontimeout);
	RUN(test_syslinux_label_case);
	RUN(test_syslinux_menu_default);
	RUN(test_syslinux_initrd_keyword);
	RUN(test_syslinux_initrd_list);
	RUN(test_syslinux_not_linux);
	RUN(test_syslinux_blanks);
	RUN(test_syslinux_text_help);
	RUN(test_syslinux_no_entry);
	RUN(test_syslinux_ignored_lines);
	RUN(test_syslinux_config);
	RUN(test_grub_default);
	RUN(test_grub_variables);
	RUN(test_grub_line_syntax);
	RUN(test_grub_device_prefixes);
	RUN(test_grub_not_linux);
	RUN(test_grub_first_linux_initrd);
	RUN(test_grub_source);
	RUN(test_grub_no_entry);
	RUN(test_hostile_syslinux_include_loop);
	RUN(test_hostile_grub_source_loop);
	RUN(test_hostile_syslinux_deep_chain);
	RUN(test_hostile_grub_deep_chain);
	RUN(test_hostile_many_includes);
	RUN(test_hostile_include_escape);
	RUN(test_hostile_paths);
	RUN(test_hostile_huge_line);
	RUN(test_hostile_huge_parameters);
	RUN(test_hostile_file_too_big);
	RUN(test_hostile_many_entries);
	RUN(test_hostile_grub_entries_bound);
	RUN(test_hostile_syslinux_labels_bound);
	RUN(test_hostile_many_words);
	RUN(test_hostile_many_variables);
	RUN(test_hostile_doubling_variable);
	RUN(test_hostile_large_variable_fan_out);
	RUN(test_hostile_garbage);
	RUN(test_hostile_grub_texts);
	RUN(test_hostile_grub_deep_nesting);
	RUN(test_hostile_grub_nesting_after_entry);
	return tap_done();
}
