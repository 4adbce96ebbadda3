/* SPDX-License-Identifier: MIT */
#include "ident.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Printable text only (UTF-8 kept, control bytes end it), blanks squeezed, trimmed, and cut at
 * a word boundary to IDENT_MAX bytes. NULL when nothing is left. */
static char *clean(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t' || c == ' ') {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			break;
		out[o++] = (char)c;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (o > IDENT_MAX) {
		size_t cut = IDENT_MAX;
		while (cut > 0 && out[cut] != ' ')
			cut--;
		o = cut > 0 ? cut : IDENT_MAX;
		/* Not in the middle of a UTF-8 sequence. */
		while (o > 0 && ((unsigned char)out[o] & 0xc0) == 0x80)
			o--;
		while (o > 0 && out[o - 1] == ' ')
			o--;
	}
	out[o] = '\0';
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* "... 20241109-11:04" and "... (20240827)": a build stamp at the end says nothing to a user. */
static size_t strip_stamp(const char *s, size_t n)
{
	size_t e = n;

	if (e > 0 && s[e - 1] == ')') {
		size_t b = e - 1;
		while (b > 0 && s[b - 1] != '(')
			b--;
		if (b > 0 && e - 1 - b >= 8 && isdigit((unsigned char)s[b]) &&
		    isdigit((unsigned char)s[b + 7]))
			e = b - 1;
	} else {
		size_t b = e;
		while (b > 0 && s[b - 1] != ' ')
			b--;
		if (e - b >= 8 && isdigit((unsigned char)s[b]) && isdigit((unsigned char)s[b + 7]))
			e = b;
	}
	while (e > 0 && s[e - 1] == ' ')
		e--;
	return e > 0 ? e : n;
}

char *ident_from_disk_info(const char *text, size_t len)
{
	size_t n = 0;

	while (n < len && text[n] != '\n' && text[n] != '\r' && text[n] != '\0')
		n++;
	return clean(text, strip_stamp(text, n));
}

/* The value of key in section of an INI text, as a new string; NULL when absent. */
static char *ini_value(const char *text, size_t len, const char *section, const char *key)
{
	bool in = false;
	size_t sl = strlen(section), kl = strlen(key);

	for (size_t p = 0; p < len;) {
		size_t e = p;
		while (e < len && text[e] != '\n' && text[e] != '\0')
			e++;
		const char *l = text + p;
		size_t n = e - p;
		while (n > 0 && (*l == ' ' || *l == '\t')) {
			l++;
			n--;
		}
		while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			n--;
		if (n >= 2 && l[0] == '[' && l[n - 1] == ']')
			in = n - 2 == sl && memcmp(l + 1, section, sl) == 0;
		else if (in && n > kl && memcmp(l, key, kl) == 0) {
			size_t i = kl;
			while (i < n && (l[i] == ' ' || l[i] == '\t'))
				i++;
			if (i < n && l[i] == '=') {
				i++;
				while (i < n && (l[i] == ' ' || l[i] == '\t'))
					i++;
				return i < n ? clean(l + i, n - i) : NULL;
			}
		}
		if (e >= len || text[e] == '\0')
			break;
		p = e + 1;
	}
	return NULL;
}

char *ident_from_treeinfo(const char *text, size_t len)
{
	/* productmd's [release] and [tree], or the older [general] alone. */
	_cleanup_free_ char *name = ini_value(text, len, "release", "name");
	_cleanup_free_ char *version = ini_value(text, len, "release", "version");
	_cleanup_free_ char *variant = ini_value(text, len, "general", "variant");
	_cleanup_free_ char *arch = ini_value(text, len, "tree", "arch");
	char *s = NULL;

	if (!name)
		name = ini_value(text, len, "general", "family");
	if (!version)
		version = ini_value(text, len, "general", "version");
	if (!arch)
		arch = ini_value(text, len, "general", "arch");
	if (!name)
		return NULL;
	if (asprintf(&s, "%s%s%s%s%s%s%s", name, version ? " " : "", version ? version : "",
		     variant ? " " : "", variant ? variant : "", arch ? " " : "",
		     arch ? arch : "") < 0)
		return NULL;
	char *out = clean(s, strlen(s));
	free(s);
	return out;
}

int ident_name(const struct iso_volume *v, char **out)
{
	static const struct {
		const char *path;
		char *(*parse)(const char *, size_t);
	} sources[] = {
	    {".disk/info", ident_from_disk_info},
	    {".treeinfo", ident_from_treeinfo},
	};

	*out = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(sources); i++) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		int r = iso_read_file(v, sources[i].path, true, IDENT_FILE_MAX, &text, &len);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		*out = sources[i].parse(text, len);
		if (*out)
			return 1;
	}
	return 0;
}
