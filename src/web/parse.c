/* SPDX-License-Identifier: MIT */
#include "parse.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static int decimal(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

int web_content_range_parse(const char *value, uint64_t *first, uint64_t *last, uint64_t *total)
{
	const char *p = value;
	uint64_t f, l, t;

	if (!p || strncmp(p, "bytes ", 6) != 0)
		return -EINVAL;
	p += 6;
	if (decimal(&p, &f) < 0 || *p++ != '-' || decimal(&p, &l) < 0 || *p++ != '/' ||
	    decimal(&p, &t) < 0 || *p != '\0' || f > l || l >= t)
		return -EINVAL;
	*first = f;
	*last = l;
	*total = t;
	return 0;
}

int web_form_value(const char *body, size_t len, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);

	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end - i > nlen && memcmp(body + i, name, nlen) == 0 && body[i + nlen] == '=') {
			size_t o = 0;
			for (size_t j = i + nlen + 1; j < end; j++) {
				char c = body[j];
				if (c == '+') {
					c = ' ';
				} else if (c == '%') {
					int hi = j + 2 < end ? unhexchar(body[j + 1]) : -1;
					int lo = hi < 0 ? -1 : unhexchar(body[j + 2]);
					if (hi < 0 || lo < 0)
						return -EINVAL;
					c = (char)(hi * 16 + lo);
					j += 2;
				}
				if (c == '\0')
					return -EINVAL;
				if (o + 1 >= size)
					return -E2BIG;
				out[o++] = c;
			}
			out[o] = '\0';
			return 0;
		}
		if (end - i == nlen && memcmp(body + i, name, nlen) == 0) {
			/* "name" without '=': an empty value */
			if (size == 0)
				return -E2BIG;
			out[0] = '\0';
			return 0;
		}
		i = end + 1;
	}
	return -ENOENT;
}

/* The length of the UTF-8 sequence at s (at most n bytes), or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF are not UTF-8 */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static bool segment_valid(const char *s, size_t n)
{
	if (n == 0 || n > WEB_NAME_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			return false;
		size_t l = utf8_len((const unsigned char *)s + i, n - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

int web_iso_path_check(const char *path, char *group, char *name)
{
	const char *slash = strchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t glen = slash ? (size_t)(slash - path) : 0;
	size_t blen = strlen(base);

	if (strchr(base, '/') || (slash && !segment_valid(path, glen)) ||
	    !segment_valid(base, blen) || blen < 5 || strcasecmp(base + blen - 4, ".iso") != 0)
		return -EINVAL;
	memcpy(group, path, glen);
	group[glen] = '\0';
	memcpy(name, base, blen + 1);
	return 0;
}

void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else {
			size_t l = utf8_len(p + i, n - i);
			if (!l) {
				fputs("\\ufffd", f);
				i++;
			} else {
				fwrite(p + i, 1, l, f);
				i += l;
			}
		}
	}
	fputc('"', f);
}
