/* SPDX-License-Identifier: MIT */
/*
 * The GRUB configuration for UEFI clients under Secure Boot (GET /grub.cfg): a signed chain
 * (Microsoft-signed shim, the distribution's signed GRUB) cannot run iPXE, so GRUB gets the
 * menu instead. It boots what it can verify: an ISO's own kernel and initrd by its recipe, which
 * shim checks against the vendor's key. The ISO's own boot loader (SAN boot) is iPXE's; GRUB
 * hands over to iPXE for those only when Secure Boot is off.
 *
 * Every word taken from the catalog is single-quoted (GRUB's quoting, not iPXE's): inside
 * single quotes GRUB expands nothing, and a quote is written '\''.
 */
#include "grub.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "url.h"
#include "util.h"

static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* The id GRUB knows the entry by: the catalog id is letters, digits, '-', '_' and '.'. */
static void put_entry_id(FILE *f, const struct catalog_entry *e)
{
	fprintf(f, "isoboot-%s", e->id);
}

/* "1.5 GiB", rounded up to a tenth. */
static void format_gib(uint64_t bytes, char *out, size_t size)
{
	uint64_t tenths = (bytes * 10 + (1ull << 30) - 1) >> 30;

	if (tenths % 10 == 0)
		snprintf(out, size, "%" PRIu64 " GiB", tenths / 10);
	else
		snprintf(out, size, "%" PRIu64 ".%" PRIu64 " GiB", tenths / 10, tenths % 10);
}

/* Whether GRUB boots the entry itself: its recipe, on an x86-64 UEFI client. */
static bool grub_boots(const struct catalog_entry *e)
{
	return menu_entry_usable(e) && !e->hidden && menu_recipe_usable(e, true);
}

/* The recipe's parameters, each word quoted; false when out of memory. */
static bool put_params(FILE *f, const struct catalog_entry *e, const struct menu_params *p,
		       const char *files, const char *iso)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return false;
	menu_put_append(m, e->append, files, iso, p->iscsi_host);
	if (!str_empty(e->extra)) {
		fputc(' ', m);
		menu_put_append(m, e->extra, files, iso, p->iscsi_host);
	}
	if (fclose(m) != 0) {
		free(buf);
		return false;
	}
	for (char *save = NULL, *w = strtok_r(buf, " \t", &save); w;
	     w = strtok_r(NULL, " \t", &save)) {
		fputc(' ', f);
		put_quoted(f, w);
	}
	free(buf);
	return true;
}

/* The entry's title: "GROUP / NAME" (a flat menu: GRUB's submenus would change the ids). */
static void entry_label(const struct catalog_entry *e, const char *text, const char *suffix,
			char *out, size_t size)
{
	char group[MENU_TEXT_MAX + 1];

	menu_text_sanitize(e->group ? e->group : "", group, sizeof(group));
	snprintf(out, size, "%s%s%s%s", group, *group ? " / " : "", text, suffix);
}

static int emit_recipe_entry(FILE *f, const struct catalog_entry *e, const struct menu_params *p,
			     const char *server)
{
	_cleanup_free_ char *file = menu_url_file_name(e), *kernel = menu_path_encode(e->kernel);
	_cleanup_free_ char *files = NULL, *iso = NULL;
	char text[MENU_TEXT_MAX + 1], need[32], label[MENU_TEXT_MAX * 2 + 8];

	if (!file || !kernel || asprintf(&files, "%s/iso/%s/files", p->http_base, e->id) < 0 ||
	    asprintf(&iso, "%s/iso/%s/%s.iso", p->http_base, e->id, file) < 0)
		return -ENOMEM;
	menu_display_name(e, text, sizeof(text));
	entry_label(e, text, "", label, sizeof(label));
	format_gib(e->ram, need, sizeof(need));
	fputs("menuentry ", f);
	put_quoted(f, label);
	fputs(" --id ", f);
	put_entry_id(f, e);
	fputs(" {\n\techo ", f);
	char line[MENU_TEXT_MAX * 2 + 96];
	snprintf(line, sizeof(line), "Booting %s: its own kernel over HTTP (%s), needs %s of RAM",
		 text, e->recipe, need);
	put_quoted(f, line);
	/* (http,HOST)/PATH: GRUB's own HTTP; it has no TLS. */
	fprintf(f, "\n\tif linux (http,%s)/iso/%s/files/%s", server, e->id, kernel);
	if (!put_params(f, e, p, files, iso))
		return -ENOMEM;
	fputs("; then\n\t\tinitrd", f);
	for (size_t i = 0; i < e->n_initrd; i++) {
		_cleanup_free_ char *initrd = menu_path_encode(e->initrd[i]);
		if (!initrd)
			return -ENOMEM;
		fprintf(f, " (http,%s)/iso/%s/files/%s", server, e->id, initrd);
	}
	fputs("\n\t\tboot\n\tfi\n", f);
	/* linux fails under Secure Boot when shim does not trust the kernel's signature. */
	fputs("\tif [ \"$lockdown\" = y ]; then\n"
	      "\t\techo 'isoboot: this kernel cannot boot with Secure Boot on: its signature is "
	      "not one this chain trusts (see SECURE BOOT in isoboot(7)).'\n"
	      "\telse\n"
	      "\t\techo 'isoboot: the kernel or its initrd could not be loaded.'\n"
	      "\tfi\n"
	      "\tsleep --interruptible 10\n"
	      "}\n",
	      f);
	return 0;
}

int menu_grub_script(const struct catalog *c, const struct menu_params *p, char **out,
		     size_t *out_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct catalog_entry *def = NULL, *first = NULL;
	int r = 0;

	if (!f)
		return -ENOMEM;
	/* GRUB's http device, "(http,HOST)", reaches port 80 only. */
	const char *server = p->iscsi_host;
	fprintf(f,
		"# Generated by isoboot-menu %s from the catalog (%zu ISOs); see isoboot-menu(8).\n"
		"# For UEFI clients under Secure Boot: GRUB boots the ISOs' own signed kernels.\n",
		ISOBOOT_VERSION, c->n);
	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		if (!grub_boots(e))
			continue;
		if (!first)
			first = e;
		if (!def && menu_entry_is_default(e, p->default_entry))
			def = e;
	}
	if (!def)
		def = first;
	/* 0 in isoboot.conf waits for ever, as -1 does in GRUB. */
	if (p->timeout > 0)
		fprintf(f, "set timeout=%u\n", p->timeout);
	else
		fputs("set timeout=-1\n", f);
	if (def) {
		fputs("set default=", f);
		put_entry_id(f, def);
		fputc('\n', f);
	}
	/* Secure Boot off (GRUB is not locked down): iPXE may run, with every ISO in its menu. */
	fprintf(f,
		"if [ \"$lockdown\" != y ]; then\n"
		"\tmenuentry 'All ISOs: the iPXE menu (Secure Boot is off)' --id isoboot-ipxe {\n"
		"\t\tchainloader (http,%s)/boot/ipxe-x64.efi\n"
		"\t}\n",
		server);
	if (!def || (!str_empty(p->default_entry) && !menu_entry_is_default(def, p->default_entry)))
		fputs("\tset default=isoboot-ipxe\n", f);
	fputs("fi\n", f);
	for (size_t i = 0; r == 0 && i < c->n; i++)
		if (grub_boots(&c->entries[i]))
			r = emit_recipe_entry(f, &c->entries[i], p, server);
	/* The others need iPXE (SAN boot, memdisk): say so rather than leave them out silently. */
	for (size_t i = 0; r == 0 && i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		char text[MENU_TEXT_MAX + 1], label[MENU_TEXT_MAX * 2 + 64];
		if (grub_boots(e) || !menu_entry_usable(e) || e->hidden ||
		    !catalog_entry_boots(e, ISO_PLATFORM_UEFI, NULL))
			continue;
		menu_display_name(e, text, sizeof(text));
		entry_label(e, text, " (not with Secure Boot on)", label, sizeof(label));
		fputs("menuentry ", f);
		put_quoted(f, label);
		fputs(" --id ", f);
		put_entry_id(f, e);
		fputs(
		    " {\n"
		    "\techo 'isoboot: this ISO boots only through its own boot loader, by iPXE, "
		    "which Secure Boot does not allow. Turn Secure Boot off to boot it (see SECURE "
		    "BOOT in isoboot(7)).'\n"
		    "\tsleep --interruptible 10\n"
		    "}\n",
		    f);
	}
	if (c->n == 0)
		fputs("menuentry 'No ISOs yet: put images in the ISO folder' { sleep 1 }\n", f);
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
