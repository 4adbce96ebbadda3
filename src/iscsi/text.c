/* SPDX-License-Identifier: MIT */
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static bool key_char_ok(char c)
{
	/* RFC 7143 6.1: letters, digits, '.', '-', '+', '@', '_'. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '+' || c == '@' || c == '_';
}

int text_parse(const uint8_t *data, size_t len, struct text_list *out)
{
	memset(out, 0, sizeof(*out));
	if (len > TEXT_MAX_BYTES)
		return -EBADMSG;
	out->buf = malloc(len + 1);
	if (!out->buf)
		return -ENOMEM;
	memcpy(out->buf, data, len);
	out->buf[len] = '\0';

	size_t p = 0;
	while (p < len) {
		char *s = out->buf + p;
		size_t l = strlen(s); /* up to the NUL, or the end we added */
		p += l + 1;
		if (l == 0)
			continue; /* padding or an empty pair */
		char *eq = strchr(s, '=');
		if (!eq || eq == s || (size_t)(eq - s) > TEXT_KEY_MAX) {
			text_list_finish(out);
			return -EBADMSG;
		}
		for (char *k = s; k < eq; k++)
			if (!key_char_ok(*k)) {
				text_list_finish(out);
				return -EBADMSG;
			}
		if (out->n >= TEXT_MAX_PAIRS) {
			text_list_finish(out);
			return -EBADMSG;
		}
		*eq = '\0';
		out->pairs[out->n++] = (struct text_pair){.key = s, .value = eq + 1};
	}
	return 0;
}

void text_list_finish(struct text_list *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

const char *text_get(const struct text_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (streq(l->pairs[i].key, key))
			return l->pairs[i].value;
	return NULL;
}

static void grow(struct text_out *o, size_t need)
{
	if (o->error || o->len + need <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 512;
	while (cap < o->len + need)
		cap *= 2;
	if (cap > 4 * TEXT_MAX_BYTES) {
		o->error = -E2BIG;
		return;
	}
	char *b = realloc(o->buf, cap);
	if (!b) {
		o->error = -ENOMEM;
		return;
	}
	o->buf = b;
	o->cap = cap;
}

void text_out_add(struct text_out *o, const char *key, const char *value)
{
	size_t kl = strlen(key), vl = strlen(value);

	grow(o, kl + vl + 2);
	if (o->error)
		return;
	memcpy(o->buf + o->len, key, kl);
	o->buf[o->len + kl] = '=';
	memcpy(o->buf + o->len + kl + 1, value, vl);
	o->buf[o->len + kl + 1 + vl] = '\0';
	o->len += kl + vl + 2;
}

void text_out_addf(struct text_out *o, const char *key, const char *fmt, ...)
{
	char v[TEXT_LONG_VALUE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	text_out_add(o, key, v);
}

void text_out_finish(struct text_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}
