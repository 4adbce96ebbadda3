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

/* The id GRUB knows the entry by. A second entry of an ISO adds ".own" or ".kernel", which
 * no catalog id can end in: ids are [a-z0-9-]. */
static void put_entry_id(FILE *f, const struct catalog_entry *e)
{
	fprintf(f, "isoboot-%s", e->id);
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

/*
 * The commands that boot e's kernel and initrd by its recipe from server, and that say why
 * when that fails (indented by one tab, for a menuentry's body or a whole configuration).
 */
static int emit_recipe_boot(FILE *f, const struct catalog_entry *e, const struct menu_params *p,
			    const char *server)
{
	_cleanup_free_ char *file = menu_url_file_name(e), *kernel = menu_path_encode(e->kernel);
	_cleanup_free_ char *files = NULL, *iso = NULL;
	char text[MENU_TEXT_MAX + 1], need[32];

	if (!file || !kernel || asprintf(&files, "%s/iso/%s/files", p->http_base, e->id) < 0 ||
	    asprintf(&iso, "%s/iso/%s/%s.iso", p->http_base, e->id, file) < 0)
		return -ENOMEM;
	menu_display_name(e, text, sizeof(text));
	menu_format_gib(e->ram, need, sizeof(need));
	fputs("\techo ", f);
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
	if (e->n_medium > 0)
		fprintf(f, " (http,%s)/iso/%s/medium/" MENU_MEDIUM_NAME, server, e->id);
	fputs("\n\t\tboot\n\tfi\n", f);
	/* linux fails under Secure Boot when shim does not trust the kernel's signature. */
	fputs("\tif [ \"$lockdown\" = y ]; then\n"
	      "\t\techo 'isoboot: this kernel cannot boot with Secure Boot on: its signature is "
	      "not one this chain trusts (see SECURE BOOT in isoboot(7)).'\n"
	      "\telse\n"
	      "\t\techo 'isoboot: the kernel or its initrd could not be loaded.'\n"
	      "\tfi\n"
	      "\tsleep --interruptible 10\n",
	      f);
	return 0;
}

/* Whether the ISO's own signed loader may be offered: it has one for x86-64 UEFI. */
static bool own_loader_offered(const struct catalog_entry *e)
{
	return catalog_entry_efi_boots_on(e, ISO_EFI_ARCH_X64);
}

/* "menuentry 'GROUP / NAME<suffix>' --id isoboot-ID<id_suffix> {" and a newline. */
static void put_entry_head(FILE *f, const struct catalog_entry *e, const char *suffix,
			   const char *id_suffix)
{
	char text[MENU_TEXT_MAX + 1], label[MENU_TEXT_MAX * 2 + 96];

	menu_display_name(e, text, sizeof(text));
	entry_label(e, text, suffix, label, sizeof(label));
	fputs("menuentry ", f);
	put_quoted(f, label);
	fputs(" --id ", f);
	put_entry_id(f, e);
	fprintf(f, "%s {\n", id_suffix);
}

/* The entry that boots e's kernel through this chain (shim checks it against its vendor's key). */
static int emit_recipe_entry(FILE *f, const struct catalog_entry *e, const struct menu_params *p,
			     const char *server, const char *id_suffix, const char *suffix)
{
	put_entry_head(f, e, suffix, id_suffix);
	int r = emit_recipe_boot(f, e, p, server);
	fputs("}\n", f);
	return r;
}

/*
 * The entry that restarts the client into e's own signed loader (sbnext.h): GRUB asks the menu
 * to note the choice for its MAC address, and the answer restarts it (or says why not).
 */
static void emit_own_loader_entry(FILE *f, const struct catalog_entry *e, const char *server,
				  const char *id_suffix, const char *suffix)
{
	put_entry_head(f, e, suffix, id_suffix);
	fprintf(f,
		"\tsource (http,%s)/sbnext/$net_default_mac/%s\n"
		"\techo 'isoboot: the server did not answer; try again.'\n"
		"\tsleep --interruptible 10\n"
		"}\n",
		server, e->id);
}

/* Both ways for an ISO with a recipe: the sidecar's "method = sanboot" (its own boot loader)
 * puts the own loader first, under the ISO's id; else the kernel through this chain. */
static int emit_iso_entries(FILE *f, const struct catalog_entry *e, const struct menu_params *p,
			    const char *server)
{
	static const char own[] = " (its own signed boot loader: restarts)";
	bool offered = own_loader_offered(e);

	if (offered && e->method == CATALOG_METHOD_SANBOOT) {
		emit_own_loader_entry(f, e, server, "", own);
		return emit_recipe_entry(f, e, p, server, ".kernel",
					 " (its kernel through isoboot)");
	}
	int r = emit_recipe_entry(f, e, p, server, "", "");
	if (r == 0 && offered)
		emit_own_loader_entry(f, e, server, ".own", own);
	return r;
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
			r = emit_iso_entries(f, &c->entries[i], p, server);
	/* The others need iPXE (SAN boot, memdisk): say so rather than leave them out silently. */
	for (size_t i = 0; r == 0 && i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		if (grub_boots(e) || !menu_entry_usable(e) || e->hidden ||
		    !catalog_entry_boots(e, ISO_PLATFORM_UEFI, NULL))
			continue;
		put_entry_head(f, e, " (not with Secure Boot on)", "");
		fputs(
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

/*
 * The end of the ISO's own GRUB's configuration when it boots nothing: a restart. The choice is
 * used by now (sbnext.h), so the client's PXE gets the menu again; GRUB's exit would leave it
 * to the firmware's next boot option, often its setup screen.
 */
static const char back_to_menu[] =
    "echo 'isoboot: restarting, back to the menu.'\nsleep 3\nreboot\n";

/* A configuration that only says why and restarts. */
static void put_refusal(FILE *f, const char *why)
{
	fputs("echo ", f);
	put_quoted(f, why);
	fputs("\nsleep --interruptible 10\n", f);
	fputs(back_to_menu, f);
}

/* Closes the memory stream f of buf and len (its text is in them only then), and hands it out. */
static int finish(FILE *f, int r, char **buf, const size_t *len, char **out, size_t *out_len)
{
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(*buf);
		return r;
	}
	*out = *buf;
	if (out_len)
		*out_len = *len;
	return 0;
}

int menu_grub_own_config(const struct catalog *c, const struct menu_params *p, char **out,
			 size_t *out_len)
{
	const char *id = p->own_id;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct catalog_entry *e = catalog_find_id(c, id);
	int r = 0;

	if (!f)
		return -ENOMEM;
	fprintf(
	    f,
	    "# Generated by isoboot-menu %s for the ISO %s: its own signed GRUB boots its kernel\n"
	    "# by isoboot's recipe over HTTP; see isoboot-menu(8).\n",
	    ISOBOOT_VERSION, id);
	if (!e || !menu_entry_usable(e))
		put_refusal(f, "isoboot: this ISO is no longer in the catalog.");
	else if (!grub_boots(e))
		put_refusal(f,
			    "isoboot: isoboot has no way to boot this ISO's kernel (no recipe).");
	else {
		r = emit_recipe_boot(f, e, p, p->iscsi_host);
		fputs(back_to_menu, f);
	}
	return finish(f, r, &buf, &len, out, out_len);
}

int menu_grub_next_reply(const char *name, const char *problem, char **out, size_t *out_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char line[MENU_TEXT_MAX + 256];

	if (!f)
		return -ENOMEM;
	if (problem) {
		snprintf(line, sizeof(line), "isoboot: %s", problem);
		fputs("echo ", f);
		put_quoted(f, line);
		fputs("\nsleep --interruptible 10\n", f);
	} else {
		snprintf(line, sizeof(line),
			 "isoboot: restarting into the boot loader of %s (UEFI HTTP Boot)...",
			 name);
		fputs("echo ", f);
		put_quoted(f, line);
		fputs("\nsleep 2\nreboot\n", f);
	}
	return finish(f, 0, &buf, &len, out, out_len);
}
