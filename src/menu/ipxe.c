/* SPDX-License-Identifier: MIT */
/*
 * The iPXE menu script. One script serves both firmwares: it branches on ${platform} into a
 * BIOS and a UEFI menu, each offering only what boots there and listing the rest as gap lines
 * that say why. Every boot command falls back to a message and the menu, never to a shell.
 */
#include "ipxe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "url.h"
#include "util.h"

#define PROMPT_MS 10000

enum menu_boot menu_entry_boot(const struct catalog_entry *e, bool efi, const struct menu_params *p)
{
	bool emulated = false;

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

char *menu_url_encode(const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(in) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *s = (const unsigned char *)in; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_' || *s == '~') {
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

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool entry_usable(const struct catalog_entry *e)
{
	return e->id && menu_id_valid(e->id) && e->iqn && iqn_valid(e->iqn) && e->name;
}

static bool is_default(const struct catalog_entry *e, const char *def)
{
	if (str_empty(def))
		return false;
	return streq(e->id, def) ||
	       (e->path && (streq(e->path, def) || streq(base_name(e->path), def)));
}

static void display_name(const struct catalog_entry *e, char *out, size_t size)
{
	menu_text_sanitize(e->name, out, size);
	if (!*out)
		snprintf(out, size, "%s", e->id);
}

static void emit_menu(FILE *f, const struct catalog *c, const struct menu_params *p, bool efi)
{
	const char *fw = efi ? "efi" : "bios", *other = efi ? "BIOS only" : "UEFI only";
	char title[MENU_TEXT_MAX + 1], text[MENU_TEXT_MAX + 1], group[MENU_TEXT_MAX + 1];
	const char *cur_group = "", *def = NULL, *first = NULL;
	size_t bootable = 0;

	menu_text_sanitize(p->title, title, sizeof(title));
	fprintf(f, ":%s-menu\nmenu -- %s (%s)\n", fw, *title ? title : "isoboot",
		efi ? "UEFI" : "BIOS");
	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		if (!entry_usable(e))
			continue;
		const char *g = e->group ? e->group : "";
		if (!streq(g, cur_group)) {
			menu_text_sanitize(g, group, sizeof(group));
			fprintf(f, "item --gap --\nitem --gap -- %s:\n", *group ? group : "?");
			cur_group = g;
		}
		display_name(e, text, sizeof(text));
		switch (menu_entry_boot(e, efi, p)) {
		case MENU_BOOT_NONE:
			fprintf(f, "item --gap -- %s (%s)\n", text,
				catalog_entry_boots(e, efi ? ISO_PLATFORM_BIOS : ISO_PLATFORM_UEFI,
						    NULL)
				    ? other
				    : "not bootable");
			break;
		case MENU_BOOT_NEEDS_MEMDISK:
			fprintf(f, "item --gap -- %s (needs memdisk on the server)\n", text);
			break;
		default:
			fprintf(f, "item -- %s-%s %s\n", fw, e->id, text);
			bootable++;
			if (!first)
				first = e->id;
			if (!def && is_default(e, p->default_entry))
				def = e->id;
			break;
		}
	}
	if (c->n == 0)
		fprintf(f, "item --gap -- No ISOs yet: put images in the ISO folder\n");
	else if (bootable == 0)
		fprintf(f, "item --gap -- No ISO here can boot on %s\n", efi ? "UEFI" : "BIOS");
	fprintf(f,
		"item --gap --\n"
		"item -- %s-local Boot from the next device\n"
		"item -- %s-shell iPXE shell\n"
		"item -- %s-reboot Reboot\n",
		fw, fw, fw);
	fprintf(f, "choose");
	if (bootable > 0) {
		fprintf(f, " --default %s-%s", fw, def ? def : first);
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

static int emit_entries(FILE *f, const struct catalog *c, const struct menu_params *p, bool efi)
{
	const char *fw = efi ? "efi" : "bios";
	char text[MENU_TEXT_MAX + 1];

	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		if (!entry_usable(e))
			continue;
		enum menu_boot how = menu_entry_boot(e, efi, p);
		if (how == MENU_BOOT_NONE || how == MENU_BOOT_NEEDS_MEMDISK)
			continue;
		_cleanup_free_ char *file = menu_url_encode(e->name);
		if (!file)
			return -ENOMEM;
		display_name(e, text, sizeof(text));
		fprintf(f, ":%s-%s\n", fw, e->id);
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
				text, p->http_base, e->id, *file ? file : e->id);
			break;
		default:
			fprintf(f,
				"echo -- Booting %s with memdisk\n"
				"kernel %s/boot/memdisk iso raw || goto failed\n"
				"initrd %s/iso/%s/%s.iso || goto failed\n"
				"boot || goto failed\n",
				text, p->http_base, p->http_base, e->id, *file ? file : e->id);
			break;
		}
		fprintf(f, "goto failed\n");
	}
	return 0;
}

int menu_script(const struct catalog *c, const struct menu_params *p, char **out, size_t *out_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		return -ENOMEM;
	fprintf(f,
		"#!ipxe\n"
		"# Generated by isoboot-menu %s from the catalog (%zu ISOs); see isoboot-menu(8).\n"
		":start\n"
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
		ISOBOOT_VERSION, c->n, PROMPT_MS, PROMPT_MS);
	emit_menu(f, c, p, false);
	emit_menu(f, c, p, true);
	r = emit_entries(f, c, p, false);
	if (r == 0)
		r = emit_entries(f, c, p, true);
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
