/* SPDX-License-Identifier: MIT */
/*
 * The iPXE menu script. One script serves both firmwares: it branches on ${platform} into a
 * BIOS and a UEFI menu, each offering only what boots there and listing the rest as gap lines
 * that say why. Every boot command falls back to a message and the menu, never to a shell.
 */
#include "ipxe.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "url.h"
#include "util.h"

#define PROMPT_MS 10000

/* A menu of the script: one per firmware, and under UEFI one per CPU architecture. */
struct menu_fw {
	const char *label; /* of the menu and its entries: "bios", "efi", "efiarm64" */
	const char *title; /* in the menu's title */
	bool efi;
	unsigned arch; /* under UEFI, the ISO_EFI_ARCH_* bit whose loaders boot here */
};

static const struct menu_fw fw_bios = {"bios", "BIOS", false, 0};
static const struct menu_fw fw_efi = {"efi", "UEFI", true, ISO_EFI_ARCH_X64};
static const struct menu_fw fw_arm64 = {"efiarm64", "ARM64 UEFI", true, ISO_EFI_ARCH_ARM64};

/*
 * How an entry boots in a menu: the firmware's way, under UEFI only when the ISO has a loader
 * for the client's architecture, and a recipe only on x86 (its kernel is an x86 bzImage).
 */
static void entry_boot_on(const struct catalog_entry *e, const struct menu_fw *fw,
			  const struct menu_params *p, enum menu_boot *how, bool *recipe)
{
	*how = menu_entry_boot(e, fw->efi, p);
	*recipe = menu_recipe_usable(e, fw->efi) && (!fw->efi || fw->arch == ISO_EFI_ARCH_X64);
	if (fw->efi && !catalog_entry_efi_boots_on(e, fw->arch))
		*how = MENU_BOOT_NONE;
}

/* Where iPXE itself fetches from: over HTTPS when this script came over HTTPS. */
static const char *boot_base(const struct menu_params *p)
{
	return p->boot_base ? p->boot_base : p->http_base;
}

enum menu_boot menu_entry_boot(const struct catalog_entry *e, bool efi, const struct menu_params *p)
{
	bool emulated = false;

	/* The sidecar's "method = memdisk": memdisk on BIOS for any ISO that boots there. */
	if (!efi && e->method == CATALOG_METHOD_MEMDISK &&
	    catalog_entry_boots(e, ISO_PLATFORM_BIOS, NULL))
		return p->memdisk ? MENU_BOOT_MEMDISK : MENU_BOOT_NEEDS_MEMDISK;
	for (size_t i = 0; i < e->n_boot; i++) {
		const struct iso_boot_entry *b = &e->boot[i];
		if (efi && b->platform == ISO_PLATFORM_UEFI)
			return p->uefi_boot == MENU_UEFI_HTTP ? MENU_BOOT_HTTP : MENU_BOOT_SAN;
		if (!efi && b->platform == ISO_PLATFORM_BIOS) {
			if (b->emulation == ISO_EMUL_NONE)
				return MENU_BOOT_SAN;
			emulated = true;
		}
	}
	if (emulated)
		return p->memdisk ? MENU_BOOT_MEMDISK : MENU_BOOT_NEEDS_MEMDISK;
	return MENU_BOOT_NONE;
}

void menu_text_sanitize(const char *in, char *out, size_t size)
{
	size_t o = 0, limit = size - 1 < MENU_TEXT_MAX ? size - 1 : MENU_TEXT_MAX;

	for (const unsigned char *s = (const unsigned char *)in; *s && o < limit; s++) {
		char c = (char)*s;
		if (*s >= 0x80) {
			/* One '?' per UTF-8 sequence (continuation bytes are skipped). */
			while ((s[1] & 0xc0) == 0x80)
				s++;
			c = '?';
		} else if (*s <= 0x20 || *s == 0x7f) {
			c = ' ';
		} else if (c == '\\') {
			c = '/';
		} else if (c == '{' && o > 0 && out[o - 1] == '$') {
			c = '(';
		}
		if (c == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = c;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';

	/* Tokens iPXE gives a meaning to: comments and command separators. */
	for (char *t = out; *t;) {
		size_t n = strcspn(t, " ");
		if (t[0] == '#' || (n == 1 && t[0] == ';') ||
		    (n == 2 && ((t[0] == '|' && t[1] == '|') || (t[0] == '&' && t[1] == '&'))))
			t[0] = '_';
		t += n;
		if (*t == ' ')
			t++;
	}
}

static char *url_encode(const char *in, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(in) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *s = (const unsigned char *)in; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_' || *s == '~' ||
		    (keep_slash && *s == '/')) {
			*o++ = (char)*s;
		} else {
			*o++ = '%';
			*o++ = hex[*s >> 4];
			*o++ = hex[*s & 15];
		}
	}
	*o = '\0';
	return out;
}

char *menu_url_encode(const char *in)
{
	return url_encode(in, false);
}

char *menu_path_encode(const char *in)
{
	return url_encode(in, true);
}

/*
 * The file name put after the id in an ISO's URL (firmware likes one; the server ignores it):
 * the ISO's name, less what the server refuses in any URL (control characters, backslashes).
 */
char *menu_url_file_name(const struct catalog_entry *e)
{
	/* The file's own name (without ".iso"), not the display name, which may be the ISO's
	 * own or its settings file's. */
	const char *base = e->path ? strrchr(e->path, '/') : NULL;
	base = base ? base + 1 : e->path ? e->path : e->name;
	size_t n = strlen(base);
	if (n > 4 && strcasecmp(base + n - 4, ".iso") == 0)
		n -= 4;
	_cleanup_free_ char *clean = strndup(base, n);

	if (!clean)
		return NULL;
	for (char *c = clean; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
			*c = '_';
	return menu_url_encode(*clean ? clean : e->id);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The same rules isoboot-scan applies, checked again: the catalog is only a file. */
static bool append_safe(const char *a)
{
	for (const char *t = a; *t;) {
		size_t n = strcspn(t, " ");
		if (n > 0 &&
		    (t[0] == '#' || (n == 1 && t[0] == ';') ||
		     (n == 2 && ((t[0] == '|' && t[1] == '|') || (t[0] == '&' && t[1] == '&')))))
			return false;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)t[i];
			if (c < 0x21 || c >= 0x7f || c == '\\' || c == '$')
				return false;
		}
		t += n;
		if (*t == ' ')
			t++;
	}
	return true;
}

bool menu_recipe_usable(const struct catalog_entry *e, bool efi)
{
	if (!e->recipe || !e->kernel || !e->append || e->n_initrd == 0 ||
	    !catalog_entry_boots(e, efi ? ISO_PLATFORM_UEFI : ISO_PLATFORM_BIOS, NULL))
		return false;
	if (!catalog_image_name_valid(e->kernel) || !append_safe(e->append))
		return false;
	for (size_t i = 0; i < e->n_initrd; i++)
		if (!catalog_image_name_valid(e->initrd[i]))
			return false;
	return true;
}

/* "1.5 GiB", rounded up to a tenth. */
void menu_format_gib(uint64_t bytes, char *out, size_t size)
{
	uint64_t tenths = (bytes * 10 + (1ull << 30) - 1) >> 30;

	if (tenths % 10 == 0)
		snprintf(out, size, "%" PRIu64 " GiB", tenths / 10);
	else
		snprintf(out, size, "%" PRIu64 ".%" PRIu64 " GiB", tenths / 10, tenths % 10);
}

static bool ram_too_small(const struct catalog_entry *e, const struct menu_params *p)
{
	return p->memsize_mib > 0 && e->ram > (p->memsize_mib << 20);
}

bool menu_entry_usable(const struct catalog_entry *e)
{
	return e->id && menu_id_valid(e->id) && e->iqn && iqn_valid(e->iqn) && e->name;
}

bool menu_entry_is_default(const struct catalog_entry *e, const char *def)
{
	if (str_empty(def))
		return false;
	return streq(e->id, def) ||
	       (e->path && (streq(e->path, def) || streq(base_name(e->path), def)));
}

void menu_display_name(const struct catalog_entry *e, char *out, size_t size)
{
	menu_text_sanitize(e->name, out, size);
	if (!*out)
		snprintf(out, size, "%s", e->id);
}

static const char *san_suffix(enum menu_boot how)
{
	return how == MENU_BOOT_MEMDISK ? " (memdisk)" : " (boot from SAN)";
}

/* The recipe's item; its label suffix ("") when it can be chosen, NULL when it cannot. */
static const char *emit_recipe_item(FILE *f, const struct catalog_entry *e,
				    const struct menu_params *p, const char *fw, const char *text)
{
	char need[32], have[32];

	if (ram_too_small(e, p)) {
		menu_format_gib(e->ram, need, sizeof(need));
		menu_format_gib(p->memsize_mib << 20, have, sizeof(have));
		fprintf(f, "item --gap -- %s: needs %s of RAM, this machine has %s\n", text, need,
			have);
		return NULL;
	}
	fprintf(f, "item -- %s-%s %s\n", fw, e->id, text);
	return "";
}

/* Why an entry does not boot in a menu, in words. */
static const char *why_not(const struct catalog_entry *e, const struct menu_fw *fw)
{
	if (!fw->efi)
		return catalog_entry_boots(e, ISO_PLATFORM_UEFI, NULL) ? "UEFI only"
								       : "not bootable";
	if (catalog_entry_boots(e, ISO_PLATFORM_UEFI, NULL))
		return fw->arch == ISO_EFI_ARCH_ARM64 ? "no ARM64 UEFI loader"
						      : "no x86-64 UEFI loader";
	return catalog_entry_boots(e, ISO_PLATFORM_BIOS, NULL) ? "BIOS only" : "not bootable";
}

/* The item of the ISO's own boot loader (SAN or memdisk), or a line saying why there is none;
 * its label suffix when it can be chosen. */
static const char *emit_own_item(FILE *f, const struct catalog_entry *e, const char *fw,
				 const char *text, enum menu_boot how, bool recipe, const char *why)
{
	switch (how) {
	case MENU_BOOT_NONE:
		if (!recipe)
			fprintf(f, "item --gap -- %s (%s)\n", text, why);
		return NULL;
	case MENU_BOOT_NEEDS_MEMDISK:
		fprintf(f, "item --gap -- %s (needs memdisk on the server)\n", text);
		return NULL;
	default:
		if (recipe) {
			fprintf(f, "item -- %s-%s-san %s%s\n", fw, e->id, text, san_suffix(how));
			return "-san";
		}
		/* An operating system of an unknown family may stop after its kernel starts. */
		fprintf(f, "item -- %s-%s %s%s\n", fw, e->id, text,
			!e->unrecognised	   ? ""
			: how == MENU_BOOT_MEMDISK ? " (family not recognised: memdisk)"
						   : " (family not recognised: boot from SAN)");
		return "";
	}
}

static void emit_menu(FILE *f, const struct catalog *c, const struct menu_params *p,
		      const struct menu_fw *mf)
{
	const char *fw = mf->label;
	char title[MENU_TEXT_MAX + 1], text[MENU_TEXT_MAX + 1], group[MENU_TEXT_MAX + 1];
	const char *cur_group = "", *first = NULL, *first_sfx = "";
	const char *def = NULL, *def_sfx = "";
	size_t bootable = 0;

	menu_text_sanitize(p->title, title, sizeof(title));
	fprintf(f, ":%s-menu\nmenu -- %s (%s)\n", fw, *title ? title : "isoboot", mf->title);
	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		if (!menu_entry_usable(e) || e->hidden)
			continue;
		const char *g = e->group ? e->group : "";
		if (!streq(g, cur_group)) {
			menu_text_sanitize(g, group, sizeof(group));
			fprintf(f, "item --gap --\nitem --gap -- %s:\n", *group ? group : "?");
			cur_group = g;
		}
		menu_display_name(e, text, sizeof(text));
		enum menu_boot how;
		bool recipe;
		entry_boot_on(e, mf, p, &how, &recipe);
		/* The ISO's own kernel over HTTP comes first: it is what boots to userland; unless
		 * the ISO's settings file asks for its own boot loader (method sanboot, memdisk).
		 */
		bool own_first =
		    e->method == CATALOG_METHOD_SANBOOT || e->method == CATALOG_METHOD_MEMDISK;
		const char *sfx = NULL, *s;
		for (int pass = 0; pass < 2; pass++) {
			if ((pass == 0) == own_first)
				s = emit_own_item(f, e, fw, text, how, recipe, why_not(e, mf));
			else
				s = recipe ? emit_recipe_item(f, e, p, fw, text) : NULL;
			if (!sfx)
				sfx = s; /* the first item that can be chosen is the entry's */
		}
		if (!sfx)
			continue;
		bootable++;
		if (!first) {
			first = e->id;
			first_sfx = sfx;
		}
		if (!def && menu_entry_is_default(e, p->default_entry)) {
			def = e->id;
			def_sfx = sfx;
		}
	}
	if (c->n == 0)
		fprintf(f, "item --gap -- No ISOs yet: put images in the ISO folder\n");
	else if (bootable == 0)
		fprintf(f, "item --gap -- No ISO here can boot on %s\n", mf->title);
	fprintf(f,
		"item --gap --\n"
		"item -- %s-local Boot from the next device\n"
		"item -- %s-shell iPXE shell\n"
		"item -- %s-reboot Reboot\n",
		fw, fw, fw);
	fprintf(f, "choose");
	if (bootable > 0) {
		fprintf(f, " --default %s-%s%s", fw, def ? def : first, def ? def_sfx : first_sfx);
		if (p->timeout > 0)
			fprintf(f, " --timeout %u", p->timeout * 1000);
	}
	fprintf(f,
		" isoboot-target || goto start\n"
		"goto ${isoboot-target}\n"
		":%s-local\nexit\n"
		":%s-shell\nshell\ngoto start\n"
		":%s-reboot\nreboot\ngoto failed\n",
		fw, fw, fw);
}

/* Writes the recipe's parameters with the placeholders replaced. */
void menu_put_append(FILE *f, const char *a, const char *files, const char *iso, const char *server)
{
	while (*a) {
		const char *ph = strchr(a, '{');
		if (!ph) {
			fputs(a, f);
			return;
		}
		fwrite(a, 1, (size_t)(ph - a), f);
		if (strncmp(ph, "{files}", 7) == 0) {
			fputs(files, f);
			a = ph + 7;
		} else if (strncmp(ph, "{iso}", 5) == 0) {
			fputs(iso, f);
			a = ph + 5;
		} else if (strncmp(ph, "{server}", 8) == 0) {
			fputs(server, f);
			a = ph + 8;
		} else {
			fputc('{', f);
			a = ph + 1;
		}
	}
}

static int emit_recipe(FILE *f, const struct catalog_entry *e, const struct menu_params *p,
		       const char *fw, const char *text, const char *file)
{
	_cleanup_free_ char *files = NULL, *iso = NULL, *kernel = menu_path_encode(e->kernel);
	_cleanup_free_ char *boot_files = NULL;
	char need[32];

	/* iPXE fetches the kernel and initrds (over HTTPS when it reached us so); the booted
	 * system's own tools fetch {files} and {iso}, over plain HTTP: they have no CA to check
	 * a certificate against, and most have no TLS at all. */
	if (!kernel || asprintf(&files, "%s/iso/%s/files", p->http_base, e->id) < 0 ||
	    asprintf(&boot_files, "%s/iso/%s/files", boot_base(p), e->id) < 0 ||
	    asprintf(&iso, "%s/iso/%s/%s.iso", p->http_base, e->id, file) < 0)
		return -ENOMEM;
	menu_format_gib(e->ram, need, sizeof(need));
	/* imgfree: images of an earlier attempt would be handed to this kernel too. */
	fprintf(f,
		":%s-%s\n"
		"echo -- Booting %s: its own kernel over HTTP (%s), needs %s of RAM\n"
		"imgfree\n"
		"kernel %s/%s",
		fw, e->id, text, e->recipe, need, boot_files, kernel);
	for (size_t i = 0; i < e->n_initrd; i++)
		fprintf(f, " initrd=%s", base_name(e->initrd[i]));
	if (e->n_medium > 0)
		fputs(" initrd=" MENU_MEDIUM_NAME, f);
	fputc(' ', f);
	menu_put_append(f, e->append, files, iso, p->iscsi_host);
	if (!str_empty(e->extra)) { /* the ISO's settings file: after the recipe's, so they win */
		fputc(' ', f);
		menu_put_append(f, e->extra, files, iso, p->iscsi_host);
	}
	fprintf(f, " || goto failed\n");
	for (size_t i = 0; i < e->n_initrd; i++) {
		_cleanup_free_ char *initrd = menu_path_encode(e->initrd[i]);
		if (!initrd)
			return -ENOMEM;
		fprintf(f, "initrd %s/%s || goto failed\n", boot_files, initrd);
	}
	/* After the ISO's own initrds: the kernel unpacks them in order, into one file system. */
	if (e->n_medium > 0)
		fprintf(f, "initrd %s/iso/%s/medium/" MENU_MEDIUM_NAME " || goto failed\n",
			boot_base(p), e->id);
	fprintf(f, "boot || goto failed\ngoto failed\n");
	return 0;
}

static int emit_entries(FILE *f, const struct catalog *c, const struct menu_params *p,
			const struct menu_fw *mf)
{
	const char *fw = mf->label;
	char text[MENU_TEXT_MAX + 1];

	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		if (!menu_entry_usable(e) || e->hidden)
			continue;
		enum menu_boot how;
		bool recipe;
		entry_boot_on(e, mf, p, &how, &recipe);
		_cleanup_free_ char *file = menu_url_file_name(e);
		if (!file)
			return -ENOMEM;
		menu_display_name(e, text, sizeof(text));
		if (recipe && emit_recipe(f, e, p, fw, text, file) < 0)
			return -ENOMEM;
		if (how == MENU_BOOT_NONE || how == MENU_BOOT_NEEDS_MEMDISK)
			continue;
		fprintf(f, ":%s-%s%s\n", fw, e->id, recipe ? "-san" : "");
		switch (how) {
		case MENU_BOOT_SAN:
			fprintf(f,
				"echo -- Booting %s over iSCSI\n"
				"sanboot iscsi:%s::::%s || goto failed\n",
				text, p->iscsi_host, e->iqn);
			break;
		case MENU_BOOT_HTTP:
			fprintf(f,
				"echo -- Booting %s over HTTP\n"
				"sanboot --no-describe %s/iso/%s/%s.iso || goto failed\n",
				text, boot_base(p), e->id, file);
			break;
		default:
			fprintf(f,
				"echo -- Booting %s with memdisk\n"
				"kernel %s/boot/memdisk iso raw || goto failed\n"
				"initrd %s/iso/%s/%s.iso || goto failed\n"
				"boot || goto failed\n",
				text, boot_base(p), boot_base(p), e->id, file);
			break;
		}
		fprintf(f, "goto failed\n");
	}
	return 0;
}

/* Whether some entry's boot needs a known amount of RAM. */
static bool any_ram_need(const struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->entries[i].recipe && c->entries[i].ram > 0)
			return true;
	return false;
}

/*
 * The plain-HTTP script's first step when the menu offers HTTPS: the client's iPXE itself tries
 * the menu over HTTPS. An iPXE without HTTPS fails at once ("Operation not supported"), one
 * that cannot verify the certificate fails the handshake ("Permission denied"); only then does
 * the rest of this script, the HTTP menu, run, and only when the admin allows it.
 */
static void emit_https_first(FILE *f, const struct catalog *c, const struct menu_params *p)
{
	fprintf(f, "echo isoboot: fetching the menu over HTTPS\n");
	/* The RAM question rides along: the HTTPS menu does not ask it again. */
	if (p->memsize_asked)
		fprintf(f, "chain --replace %s/boot.ipxe?memsize=%" PRIu64 " ||\n", p->https_url,
			p->memsize_mib);
	else if (any_ram_need(c))
		fprintf(f,
			"isset ${memsize} && chain --replace %s/boot.ipxe?memsize=${memsize} ||\n"
			"isset ${memsize} || chain --replace %s/boot.ipxe ||\n",
			p->https_url, p->https_url);
	else
		fprintf(f, "chain --replace %s/boot.ipxe ||\n", p->https_url);
	if (!p->https_required) {
		fprintf(f, "echo isoboot: HTTPS failed (${errno}); the menu over plain HTTP\n");
		return;
	}
	fprintf(
	    f,
	    ":https-failed\n"
	    "echo isoboot: this server boots over HTTPS only, and this client's iPXE could not\n"
	    "echo fetch the menu over HTTPS (${errno}): it needs iPXE with HTTPS and the site's "
	    "CA\n"
	    "echo (see HTTPS in isoboot(7)).\n"
	    "prompt --timeout %u Press a key to try again ||\n"
	    "chain --replace %s/boot.ipxe || goto https-failed\n"
	    "goto https-failed\n",
	    PROMPT_MS, p->https_url);
}

int menu_script(const struct catalog *c, const struct menu_params *p, char **out, size_t *out_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = 0;

	if (!f)
		return -ENOMEM;
	fprintf(
	    f,
	    "#!ipxe\n"
	    "# Generated by isoboot-menu %s from the catalog (%zu ISOs); see isoboot-menu(8).\n",
	    ISOBOOT_VERSION, c->n);
	if (p->https_url) {
		emit_https_first(f, c, p);
		if (p->https_required)
			goto done;
	}
	/* An iPXE that knows the machine's RAM tells the menu, which then marks what does not
	 * fit; the others get the menu without that check. After a failed HTTPS attempt, that
	 * request says so, so that its answer does not try HTTPS again. */
	if (!p->memsize_asked && any_ram_need(c))
		fprintf(
		    f, "isset ${memsize} && chain --replace %s/boot.ipxe?memsize=${memsize}%s ||\n",
		    boot_base(p), p->https_url ? "&https=failed" : "");
	fprintf(f,
		":start\n"
		"iseq ${platform} efi && iseq ${buildarch} arm64 && goto efiarm64-menu ||\n"
		"iseq ${platform} efi && goto efi-menu ||\n"
		"iseq ${platform} pcbios && goto bios-menu ||\n"
		"echo isoboot: no menu for the ${platform} platform\n"
		"prompt --timeout %u Press a key for the iPXE shell ||\n"
		"shell\n"
		"goto start\n"
		":failed\n"
		"echo Boot failed (${errno}); back to the menu.\n"
		"prompt --timeout %u Press a key to return to the menu ||\n"
		"goto start\n",
		PROMPT_MS, PROMPT_MS);
	const struct menu_fw *const fws[] = {&fw_bios, &fw_efi, &fw_arm64};
	for (size_t i = 0; i < ARRAY_SIZE(fws); i++)
		emit_menu(f, c, p, fws[i]);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(fws); i++)
		r = emit_entries(f, c, p, fws[i]);
done:
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	if (out_len)
		*out_len = len;
	return 0;
}
