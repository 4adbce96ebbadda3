/* SPDX-License-Identifier: MIT */
#include "recipe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "medium.h"
#include "util.h"

#define MIB (1024ull * 1024ull)

/*
 * One family. An ISO belongs to it when the default entry of its own boot configuration
 * carries one of the marks (a parameter "key=..." by its "key=" prefix, or a whole word).
 */
struct recipe {
	const char *family;
	const char *const *marks;
	/* Or: the default entry's kernel is in this folder (Ubuntu's GRUB entries carry no
	 * boot=casper: its initrd boots casper by default). */
	const char *kernel_dir;
	/* And, when set: one of these files is in the ISO (an installer's package repository). */
	const char *const *requires;
	/* The file the initrd fetches into RAM: in directory dir (from dir_param, else
	 * dir_default), named by file_param, else file_default, else the largest file of the
	 * directory ending in file_suffix. */
	const char *dir_param, *dir_default;
	const char *dir_sub; /* a folder inside that one (archiso's architecture) */
	const char *file_param, *file_default;
	const char *file_suffix, *file_prefix; /* else the largest whose name has these */
	/* Before those: file_prefix and the kernel's flavour, the rest of its name after this
	 * ("vmlinuz-lts": "modloop-lts"). */
	const char *kernel_flavour;
	/* The initrd downloads the whole image ({iso}) instead of a file from inside it. */
	bool whole_iso;
	/* An installer that looks for its CD: these folders of the ISO go with its initrds, as
	 * its medium in RAM (medium.h), instead of a file that the initrd fetches. */
	const char *const *medium;
	const char *const *medium_needs; /* folders of it that must be there */
	/* Parameters that point at the local medium or fetch it some other way: replaced. */
	const char *const *drop;
	/* Added; each also replaces the ISO's own parameter of the same key. {fetch} is the
	 * fetched file's path in the ISO; the others are the menu's placeholders (recipe.h). */
	const char *add;
	/* RAM the client needs: a base for the running system, plus the fetched file (held
	 * in RAM) and the kernel and initrds. */
	unsigned ram_base_mib;
};

static const char *const live_boot_marks[] = {"boot=live", NULL};
static const char *const live_boot_drop[] = {
    "findiso=",
    "fromiso=",
    "iso-scan/filename=",
    "live-media=",
    "bootfrom=",
    "toram",
    "toram=",
    "fetch=",
    "httpfs=",
    "ftpfs=",
    "netboot=",
    "nfsroot=",
    "iscsi=",
    "initrd=",
    "BOOT_IMAGE=",
    "live-media-offset=",
    "plainroot",
    "nofastboot",
    NULL,
};

static const char *const dracut_marks[] = {"root=live:", "rd.live.image", NULL};
static const char *const dracut_drop[] = {
    "root=",   "rd.live.check", "rd.live.ram",	"iso-scan/filename=", "inst.stage2=",
    "initrd=", "BOOT_IMAGE=",	"rd.live.dir=", "rd.live.squashimg=", NULL,
};

static const char *const casper_marks[] = {"boot=casper", NULL};
static const char *const casper_drop[] = {
    "iso-scan/filename=",
    "findiso=",
    "toram",
    "toram=",
    "netboot=",
    "url=",
    "iso-url=",
    "nfsroot=",
    "initrd=",
    "BOOT_IMAGE=",
    "live-media=",
    "cdrom-detect/try-usb=",
    NULL,
};

static const char *const archiso_marks[] = {
    "archisobasedir=", "archisolabel=", "archisosearchuuid=", "archisosearchfilename=", NULL,
};
static const char *const archiso_drop[] = {
    "archisolabel=",	  "archisodevice=",
    "archisosearchuuid=", "archisosearchfilename=",
    "img_dev=",		  "img_loop=",
    "archiso_nbd_srv=",	  "archiso_nfs_srv=",
    "archiso_http_srv=",  "cow_label=",
    "cow_device=",	  "initrd=",
    "BOOT_IMAGE=",	  NULL,
};

static const char *const anaconda_marks[] = {"inst.stage2=", "inst.repo=", NULL};
static const char *const anaconda_drop[] = {
    "inst.stage2=",  "inst.repo=", "stage2=",	  "repo=",
    "rd.live.check", "initrd=",	   "BOOT_IMAGE=", NULL,
};
static const char *const anaconda_repos[] = {
    "repodata/repomd.xml",
    "BaseOS/repodata/repomd.xml",
    NULL,
};

static const char *const alpine_marks[] = {"modules=", "alpine_dev=", NULL};
static const char *const alpine_drop[] = {
    "alpine_dev=", "modloop=", "alpine_repo=", "apkovl=", "initrd=", "BOOT_IMAGE=", NULL,
};
static const char *const alpine_release[] = {".alpine-release", NULL};

static const char *const debian_installer_info[] = {".disk/info", NULL};
static const char *const debian_installer_medium[] = {".disk", "dists", "pool", "firmware", NULL};
static const char *const debian_installer_needs[] = {"dists", "pool", NULL};
static const char *const debian_installer_drop[] = {"initrd=", "BOOT_IMAGE=", NULL};

static const struct recipe recipes[] = {
    {
	/* Debian live-boot: Debian live, Kali, Grml, Tails. live-boot's fetch= downloads the
	 * squashfs into a ramfs and boots from it. */
	.family = "live-boot",
	.marks = live_boot_marks,
	.dir_param = "live-media-path=",
	.dir_default = "live",
	.file_default = "filesystem.squashfs",
	.file_suffix = ".squashfs",
	.drop = live_boot_drop,
	.add = "fetch={files}/{fetch}",
	.ram_base_mib = 512,
    },
    {
	/* dracut LiveOS (Fedora and the RHEL family): livenet downloads the image with curl
	 * into the initramfs and dmsquash-live runs it. */
	.family = "dracut",
	.marks = dracut_marks,
	.dir_param = "rd.live.dir=",
	.dir_default = "LiveOS",
	.file_param = "rd.live.squashimg=",
	.file_default = "squashfs.img",
	.drop = dracut_drop,
	.add = "root=live:{files}/{fetch} ip=dhcp",
	.ram_base_mib = 768,
    },
    {
	/* casper (Ubuntu and its flavours, Mint, Pop!_OS): with netboot=url, the initrd
	 * downloads the whole ISO into RAM and mounts it as its medium, so layered squashfs
	 * images (minimal.*.squashfs) work as from a disk. */
	.family = "casper",
	.marks = casper_marks,
	.kernel_dir = "casper/",
	.whole_iso = true,
	.drop = casper_drop,
	.add = "netboot=url url={iso} ip=dhcp",
	.ram_base_mib = 1024,
    },
    {
	/* archiso (Arch Linux and its derivatives): the archiso_pxe_http hook downloads
	 * ARCHISO_HTTP_SRV/<archisobasedir>/<arch>/airootfs.sfs into RAM. */
	.family = "archiso",
	.marks = archiso_marks,
	.dir_param = "archisobasedir=",
	.dir_default = "arch",
	.dir_sub = "x86_64",
	.file_default = "airootfs.sfs",
	.file_suffix = ".sfs",
	.drop = archiso_drop,
	.add = "archiso_http_srv={files}/ ip=dhcp",
	.ram_base_mib = 768,
    },
    {
	/* Alpine: its initramfs boots from the network with the kernel's modules (modloop)
	 * and the packages (the ISO's apks/ repository) over HTTP; the system runs from RAM. */
	.family = "alpine",
	.marks = alpine_marks,
	.requires = alpine_release,
	.dir_default = "boot",
	.file_prefix = "modloop-",
	.kernel_flavour = "vmlinuz-",
	.drop = alpine_drop,
	.add = "modloop={files}/{fetch} alpine_repo={files}/apks ip=dhcp",
	.ram_base_mib = 256,
    },
    {
	/* Debian's installer (netinst, DVD; Kali's and other derivatives' too): its initrd is
	 * the CD flavour, with no network of its own until it has loaded the network's udebs from
	 * the CD. So its medium goes with it: the ISO's .disk/, dists/ and pool/ (firmware/) in
	 * RAM as /cdrom/, where cdrom-detect and anna find them as on a CD. */
	.family = "debian-installer",
	.kernel_dir = "install.amd/",
	.requires = debian_installer_info,
	.medium = debian_installer_medium,
	.medium_needs = debian_installer_needs,
	.drop = debian_installer_drop,
	.add = "",
	.ram_base_mib = 512,
    },
    {
	/* anaconda, from a DVD (Fedora Server/Everything, RHEL, Alma, Rocky) with its own
	 * package repository: inst.repo= is the ISO's tree, which gives the installer its
	 * stage 2 (images/install.img, downloaded into RAM) and its packages. */
	.family = "anaconda",
	.marks = anaconda_marks,
	.requires = anaconda_repos,
	.dir_default = "images",
	.file_default = "install.img",
	.drop = anaconda_drop,
	.add = "inst.repo={files} ip=dhcp",
	.ram_base_mib = 1536,
    },
    {
	/* anaconda from a netinstall ISO: only its stage 2 from the ISO; the packages come
	 * from the distribution's mirrors, as when the ISO boots from a disk. */
	.family = "anaconda",
	.marks = anaconda_marks,
	.dir_default = "images",
	.file_default = "install.img",
	.drop = anaconda_drop,
	.add = "inst.stage2={files} ip=dhcp",
	.ram_base_mib = 1536,
    },
};

const char *const recipe_config_paths[] = {
    "isolinux/isolinux.cfg",
    "boot/isolinux/isolinux.cfg",
    "syslinux/syslinux.cfg",
    "boot/syslinux/syslinux.cfg",
    "isolinux.cfg",
    "syslinux.cfg",
    "boot/grub/grub.cfg",
    "boot/grub2/grub.cfg",
    "EFI/BOOT/grub.cfg",
    "boot/grub/loopback.cfg",
    NULL,
};

/* The next blank-separated token of *p into *t and *n; false at the end. */
static bool next_token(const char **p, const char **t, size_t *n)
{
	*p += strspn(*p, " \t");
	if (!**p)
		return false;
	*t = *p;
	*n = strcspn(*p, " \t");
	*p += *n;
	return true;
}

/* Whether token t (n bytes) is the parameter p: "key=" by prefix, anything else whole. */
static bool token_is(const char *t, size_t n, const char *p)
{
	size_t l = strlen(p);

	if (l > 0 && p[l - 1] == '=')
		return n >= l && memcmp(t, p, l) == 0;
	/* "toram" also covers "toram=...", a key without its value */
	return n == l ? memcmp(t, p, l) == 0 : (n > l && t[l] == '=' && memcmp(t, p, l) == 0);
}

static bool has_mark(const struct recipe *rc, const char *append)
{
	const char *t;
	size_t n;

	if (!rc->marks)
		return false;
	for (const char *p = append; next_token(&p, &t, &n);)
		for (const char *const *m = rc->marks; *m; m++)
			if (token_is(t, n, *m))
				return true;
	return false;
}

/* The value of the first "key=value" parameter, as a new string; NULL when absent. */
static char *param_value(const char *append, const char *key)
{
	const char *t;
	size_t n;

	if (!key)
		return NULL;
	size_t kl = strlen(key);
	for (const char *p = append; next_token(&p, &t, &n);)
		if (n >= kl && memcmp(t, key, kl) == 0)
			return strndup(t + kl, n - kl);
	return NULL;
}

/*
 * Whether a parameter is safe to hand to iPXE and to the kernel: printable ASCII without
 * backslashes, braces (the placeholders) or "${" (iPXE settings), and no token that iPXE reads
 * as a comment or a command separator.
 */
static bool token_safe(const char *t, size_t n)
{
	if (t[0] == '#' || (n == 1 && t[0] == ';') ||
	    (n == 2 && ((t[0] == '|' && t[1] == '|') || (t[0] == '&' && t[1] == '&'))))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '{' || c == '}' || c == '$')
			return false;
	}
	return true;
}

static bool dropped(const struct recipe *rc, const char *t, size_t n)
{
	const char *a;
	size_t an;

	for (const char *const *d = rc->drop; *d; d++)
		if (token_is(t, n, *d))
			return true;
	/* An added parameter replaces the ISO's own of the same key. */
	for (const char *p = rc->add; next_token(&p, &a, &an);) {
		const char *eq = memchr(a, '=', an);
		size_t kl = eq ? (size_t)(eq - a + 1) : an;
		if (n >= kl && memcmp(t, a, kl) == 0 && (eq || n == kl))
			return true;
	}
	return false;
}

/* The fetched file's path goes into the parameters as a URL, unencoded: plain characters only. */
static bool url_path_ok(const char *path)
{
	for (const char *c = path; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-' ||
		      *c == '+' || *c == '~' || *c == '/'))
			return false;
	return true;
}

/* A Linux kernel image: the x86 boot protocol's "HdrS" at 0x202 (bzImage, EFI stub too). */
static int is_linux_kernel(const struct iso_volume *v, const struct iso_file *f)
{
	uint8_t hdr[4];

	if (f->n_extents == 0 || f->extents[0].length < 0x206)
		return 0;
	ssize_t n = v->src->read(v->src->userdata, hdr, sizeof(hdr), f->extents[0].offset + 0x202);
	if (n < 0)
		return (int)n;
	return n == (ssize_t)sizeof(hdr) && memcmp(hdr, "HdrS", 4) == 0;
}

/*
 * A Linux kernel with an initrd: an operating system that will look for its medium once the
 * kernel starts. (memtest86+ also has the Linux boot header, but no initrd: it needs nothing.)
 */
static int is_distribution(const struct iso_volume *v, const struct bootcfg_entry *be)
{
	struct iso_file kf;

	if (be->n_initrd == 0 || !be->kernel || !catalog_iso_path_valid(be->kernel) ||
	    iso_lookup_file(v, be->kernel, false, &kf) < 0)
		return 0;
	return is_linux_kernel(v, &kf);
}

struct largest {
	const char *suffix, *prefix;
	char name[256];
	uint64_t size;
};

static int largest_cb(void *ud, const char *name, const struct iso_dirent *d)
{
	struct largest *l = ud;
	size_t n = strlen(name), sl = strlen(l->suffix);

	if (d->directory || n <= sl || n >= sizeof(l->name) ||
	    strcasecmp(name + n - sl, l->suffix) != 0 || (l->name[0] && d->size <= l->size))
		return 0;
	if (l->prefix && strncmp(name, l->prefix, strlen(l->prefix)) != 0)
		return 0;
	memcpy(l->name, name, n + 1);
	l->size = d->size;
	return 0;
}

/* Finds the file that the initrd fetches; its path in *out. */
static int find_fetched(const struct iso_volume *v, const struct recipe *rc,
			const struct bootcfg_entry *be, char **out, struct iso_file *f,
			const char **why)
{
	const char *append = be->append;
	_cleanup_free_ char *flavoured = NULL;
	if (rc->kernel_flavour && rc->file_prefix) {
		const char *kb = strrchr(be->kernel, '/');
		kb = kb ? kb + 1 : be->kernel;
		size_t kl = strlen(rc->kernel_flavour);
		if (strncmp(kb, rc->kernel_flavour, kl) == 0 && kb[kl] &&
		    asprintf(&flavoured, "%s%s", rc->file_prefix, kb + kl) < 0)
			return -ENOMEM;
	}
	_cleanup_free_ char *dir_arg = param_value(append, rc->dir_param);
	_cleanup_free_ char *file_arg = param_value(append, rc->file_param);
	_cleanup_free_ char *base =
	    bootcfg_path("", dir_arg && *dir_arg ? dir_arg : rc->dir_default);
	_cleanup_free_ char *dir = NULL;
	char *path = NULL;
	int r;

	if (base && rc->dir_sub) {
		if (asprintf(&dir, "%s/%s", base, rc->dir_sub) < 0)
			return -ENOMEM;
	} else {
		dir = TAKE_PTR(base);
	}
	if (!dir) {
		*why = "the live medium's folder is not a path in the ISO";
		return 0;
	}
	const char *names[] = {file_arg && *file_arg ? file_arg : NULL, flavoured,
			       rc->file_default};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!names[i])
			continue;
		/* From the root: a folder named "(x" is no GRUB device. */
		if (asprintf(&path, "/%s/%s", dir, names[i]) < 0)
			return -ENOMEM;
		char *norm = bootcfg_path("", path);
		free(path);
		path = norm;
		if (!path) /* the name took it out of everything ("..") */
			continue;
		r = iso_lookup_file(v, path, false, f);
		if (r == 0)
			break;
		free(path);
		path = NULL;
		if (r == -ENOMEM)
			return r;
	}
	if (!path && (rc->file_suffix || rc->file_prefix)) {
		struct largest l = {.suffix = rc->file_suffix ? rc->file_suffix : "",
				    .prefix = rc->file_prefix};
		r = iso_list_dir(v, dir, false, largest_cb, &l);
		if (r == -ENOMEM)
			return r;
		if (r == 0 && l.name[0]) {
			if (asprintf(&path, "%s/%s", dir, l.name) < 0)
				return -ENOMEM;
			if (iso_lookup_file(v, path, false, f) < 0) {
				free(path);
				path = NULL;
			}
		}
	}
	if (!path) {
		*why = "the file its initrd would fetch is not in the ISO";
		return 0;
	}
	*out = path;
	return 1;
}

/* The parameters: the ISO's own, less the dropped and unsafe ones, plus the recipe's. */
static char *make_append(const struct recipe *rc, const char *own, const char *fetched,
			 bool *too_long)
{
	size_t cap = strlen(own) + strlen(rc->add) + strlen(fetched) + 4, n;
	char *out = malloc(cap);
	size_t o = 0;
	const char *t;

	if (!out)
		return NULL;
	for (const char *p = own; next_token(&p, &t, &n);) {
		if (!token_safe(t, n) || dropped(rc, t, n))
			continue;
		if (o > 0)
			out[o++] = ' ';
		memcpy(out + o, t, n);
		o += n;
	}
	out[o] = '\0';
	for (const char *a = rc->add; *a;) {
		const char *ph = strstr(a, "{fetch}");
		size_t k = ph ? (size_t)(ph - a) : strlen(a);
		if (a == rc->add && o > 0)
			out[o++] = ' ';
		memcpy(out + o, a, k);
		o += k;
		a += k;
		if (ph) {
			memcpy(out + o, fetched, strlen(fetched));
			o += strlen(fetched);
			a += strlen("{fetch}");
		}
	}
	out[o] = '\0';
	*too_long = o > BOOTCFG_MAX_ARGS;
	return out;
}

/* Whether the ISO has one of the files the family requires (or it requires none). */
static bool has_required(const struct iso_volume *v, const struct recipe *rc)
{
	struct iso_file f;

	if (!rc->requires)
		return true;
	for (const char *const *p = rc->requires; *p; p++)
		if (iso_lookup_file(v, *p, false, &f) == 0)
			return true;
	return false;
}

/* The size of the recipe's medium in f->size: 1, or 0 with *why when it cannot be made. */
static int measure_medium(const struct iso_volume *v, const struct recipe *rc, struct iso_file *f,
			  const char **why)
{
	const struct medium_extra *extras;
	size_t n_extras = medium_extras(rc->family, &extras), n = 0;
	struct medium *m;

	for (const char *const *p = rc->medium_needs; p && *p; p++) {
		struct iso_dirent d;
		int r = iso_lookup(v, *p, true, &d);
		if (r == -ENOMEM)
			return r;
		if (r < 0 || !d.directory) {
			*why = "the installer's package folders (dists/, pool/) are not in the ISO";
			return 0;
		}
	}
	while (rc->medium[n])
		n++;
	int r = medium_build(v, rc->medium, n, extras, n_extras, &m);
	switch (r) {
	case 0:
		*f = (struct iso_file){.size = m->size};
		medium_free(m);
		return 1;
	case -ENOMEM:
		return r;
	case -ENOENT:
		*why = "the installer's package folders (dists/, pool/) are not in the ISO";
		return 0;
	case -EFBIG:
		*why = "a file of the installer's medium is 4 GiB or larger";
		return 0;
	case -E2BIG:
		*why = "the installer's medium has too many files";
		return 0;
	default:
		*why = "the installer's medium cannot be read from the ISO";
		return 0;
	}
}

static int add_fetch(struct catalog_entry *e, const char *path, uint64_t size)
{
	if (e->n_fetch >= CATALOG_MAX_FETCH)
		return 0;
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	e->fetch[e->n_fetch++] = (struct catalog_fetch){.path = p, .size = size};
	return 0;
}

int recipe_from_entry(const struct iso_volume *v, const struct bootcfg_entry *be,
		      struct catalog_entry *e, const char **why)
{
	const struct recipe *rc = NULL;
	struct iso_file kf, f;
	_cleanup_free_ char *fetched = NULL;
	uint64_t total = 0;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(recipes) && !rc; i++)
		if ((has_mark(&recipes[i], be->append) ||
		     (recipes[i].kernel_dir && be->kernel &&
		      strncmp(be->kernel, recipes[i].kernel_dir, strlen(recipes[i].kernel_dir)) ==
			  0)) &&
		    has_required(v, &recipes[i]))
			rc = &recipes[i];
	if (!rc) {
		*why = "its default entry belongs to no known family";
		r = is_distribution(v, be);
		if (r < 0)
			return r;
		e->unrecognised = r > 0;
		return 0;
	}
	if (!catalog_iso_path_valid(be->kernel) || !catalog_image_name_valid(be->kernel) ||
	    iso_lookup_file(v, be->kernel, false, &kf) < 0) {
		*why = "its default entry's kernel is not a file of the ISO";
		return 0;
	}
	r = is_linux_kernel(v, &kf);
	if (r <= 0) {
		*why = "its default entry's kernel is not a Linux kernel";
		return r == -ENOMEM ? r : 0;
	}
	for (size_t i = 0; i < be->n_initrd; i++)
		if (!catalog_iso_path_valid(be->initrd[i]) ||
		    !catalog_image_name_valid(be->initrd[i]) ||
		    iso_lookup_file(v, be->initrd[i], false, &f) < 0) {
			*why = "an initrd of its default entry is not a file of the ISO";
			return 0;
		}
	if (be->n_initrd == 0) {
		*why = "its default entry has no initrd";
		return 0;
	}
	if (rc->whole_iso || rc->medium) {
		fetched = strdup("");
		if (!fetched)
			return -ENOMEM;
		f = (struct iso_file){.size = e->size};
	} else {
		r = find_fetched(v, rc, be, &fetched, &f, why);
		if (r <= 0)
			return r;
	}
	if (rc->medium) {
		r = measure_medium(v, rc, &f, why);
		if (r <= 0)
			return r;
	} else if (!rc->whole_iso && (!catalog_iso_path_valid(fetched) || !url_path_ok(fetched))) {
		*why = "the file its initrd would fetch has an unusable name";
		return 0;
	}

	catalog_entry_clear_recipe(e);
	e->recipe = strdup(rc->family);
	e->kernel = strdup(be->kernel);
	bool too_long;
	e->append = make_append(rc, be->append, fetched, &too_long);
	if (!e->recipe || !e->kernel || !e->append)
		goto nomem;
	if (too_long) { /* longer than a kernel command line can be */
		catalog_entry_clear_recipe(e);
		*why = "its kernel parameters are too long";
		return 0;
	}
	if (add_fetch(e, be->kernel, kf.size) < 0)
		goto nomem;
	total += kf.size;
	for (size_t i = 0; i < be->n_initrd && i < CATALOG_MAX_INITRDS; i++) {
		struct iso_file inf;
		if (iso_lookup_file(v, be->initrd[i], false, &inf) < 0)
			continue;
		e->initrd[e->n_initrd] = strdup(be->initrd[i]);
		if (!e->initrd[e->n_initrd])
			goto nomem;
		e->n_initrd++;
		if (add_fetch(e, be->initrd[i], inf.size) < 0)
			goto nomem;
		/* An initrd is held twice for a while: as loaded and unpacked. */
		total += 2 * inf.size;
	}
	/* What the initrd downloads is held in RAM: a file of the ISO, or the whole image. */
	if (!rc->whole_iso && !rc->medium && add_fetch(e, fetched, f.size) < 0)
		goto nomem;
	total += f.size;
	/* The medium is held twice too: loaded by iPXE, then unpacked by the kernel. */
	for (size_t i = 0; rc->medium && rc->medium[i] && i < CATALOG_MAX_MEDIUM; i++) {
		struct iso_dirent d;
		if (iso_lookup(v, rc->medium[i], true, &d) < 0 || !d.directory)
			continue;
		e->medium[e->n_medium] = strdup(rc->medium[i]);
		if (!e->medium[e->n_medium])
			goto nomem;
		e->n_medium++;
	}
	if (rc->medium)
		total += f.size;
	e->ram = (uint64_t)rc->ram_base_mib * MIB + total;
	return 1;
nomem:
	catalog_entry_clear_recipe(e);
	return -ENOMEM;
}

struct iso_reader {
	const struct iso_volume *v;
};

static int read_cb(void *ud, const char *path, char **text, size_t *len)
{
	const struct iso_reader *ir = ud;

	/* Configuration file names are matched without case, as on a FAT or plain ISO. */
	return iso_read_file(ir->v, path, true, BOOTCFG_MAX_FILE, text, len);
}

int recipe_derive(const struct iso_volume *v, struct catalog_entry *e, const char **why)
{
	struct iso_reader ir = {v};
	struct bootcfg_reader rd = {read_cb, &ir};

	*why = "no isolinux, syslinux or GRUB configuration with a Linux entry";
	for (size_t i = 0; recipe_config_paths[i]; i++) {
		struct bootcfg_entry be;
		const char *p = recipe_config_paths[i];
		int r =
		    strstr(p, "grub") ? bootcfg_grub(&rd, p, &be) : bootcfg_syslinux(&rd, p, &be);

		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		r = recipe_from_entry(v, &be, e, why);
		bootcfg_entry_finish(&be);
		if (r > 0)
			e->unrecognised = false;
		if (r != 0)
			return r;
	}
	return 0;
}
