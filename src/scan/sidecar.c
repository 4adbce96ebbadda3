/* SPDX-License-Identifier: MIT */
#include "sidecar.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

struct sc_state {
	const char *file;
	struct ini_text text;
	unsigned line;
	unsigned errors;
	bool oom;
	bool seen_name, seen_method, seen_hidden;
	struct sidecar *out;
	char *problems;
	size_t used;
};

void sidecar_finish(struct sidecar *s)
{
	free(s->name);
	free(s->append);
	*s = (struct sidecar){0};
}

_printf_(2, 3) static void problem(struct sc_state *st, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->errors++;
	if (st->used + 1 >= SIDECAR_PROBLEMS_MAX)
		return;
	int n = snprintf(st->problems + st->used, SIDECAR_PROBLEMS_MAX - st->used, "%s%s:%u: %s",
			 st->used ? "; " : "", st->file, st->line, msg);
	if (n > 0)
		st->used += (size_t)n < SIDECAR_PROBLEMS_MAX - st->used
				? (size_t)n
				: SIDECAR_PROBLEMS_MAX - st->used - 1;
}

static bool bool_value(const char *v, bool *out)
{
	if (streq(v, "yes") || streq(v, "true") || streq(v, "1")) {
		*out = true;
		return true;
	}
	if (streq(v, "no") || streq(v, "false") || streq(v, "0")) {
		*out = false;
		return true;
	}
	return false;
}

static bool text_ok(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static void key_value(struct sc_state *st, const char *key, const char *v)
{
	struct sidecar *s = st->out;

	if (streq(key, "name")) {
		if (st->seen_name)
			problem(st, "name is given twice");
		else if (!*v || strlen(v) > SIDECAR_NAME_MAX || !text_ok(v))
			problem(st, "name must be 1 to %d bytes of text", SIDECAR_NAME_MAX);
		else if (!(s->name = strdup(v)))
			st->oom = true;
		st->seen_name = true;
	} else if (streq(key, "append")) {
		size_t have = s->append ? strlen(s->append) : 0, n = strlen(v);
		for (const char *p = v; *p; p++)
			if (!catalog_param_char_ok(*p)) {
				problem(st, "append: '%c' is not allowed in kernel parameters here",
					*p >= 0x20 && *p < 0x7f ? *p : '?');
				return;
			}
		if (n == 0)
			return;
		if (have + 1 + n > SIDECAR_APPEND_MAX) {
			problem(st, "append: more than %d bytes of kernel parameters",
				SIDECAR_APPEND_MAX);
			return;
		}
		char *a = realloc(s->append, have + n + 2);
		if (!a) {
			st->oom = true;
			return;
		}
		if (have)
			a[have++] = ' ';
		memcpy(a + have, v, n + 1);
		s->append = a;
	} else if (streq(key, "method")) {
		int m = catalog_method_from_string(v);
		if (st->seen_method)
			problem(st, "method is given twice");
		else if (m < 0)
			problem(st, "method must be auto, live, sanboot or memdisk, got '%.40s'",
				v);
		else
			s->method = (enum catalog_method)m;
		st->seen_method = true;
	} else if (streq(key, "hidden")) {
		if (st->seen_hidden)
			problem(st, "hidden is given twice");
		else if (!bool_value(v, &s->hidden))
			problem(st, "hidden must be yes or no, got '%.40s'", v);
		st->seen_hidden = true;
	} else {
		problem(st, "unknown key '%.40s' in section [iso]", key);
	}
}

static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct sc_state *st = user;

	if (!key)
		return 1; /* a section line alone (inih >= 51 reports them when asked) */
	if (!streq(section, "iso")) {
		if (*section)
			problem(st, "unknown section [%.40s], expected [iso]", section);
		else
			problem(st, "key '%.40s' outside of the [iso] section", key);
		return 1;
	}
	key_value(st, key, value ? value : "");
	return 1;
}

/* inih reads lines through this, so that the line number is known. */
static char *reader(char *str, int num, void *stream)
{
	struct sc_state *st = stream;
	bool complete;

	if (!ini_text_next(&st->text, str, num, &complete))
		return NULL;
	st->line++;
	if (!complete)
		problem(st, "line longer than %d bytes", num - 2);
	return str;
}

int sidecar_parse(const char *file, const char *text, size_t len, struct sidecar *out,
		  char problems[SIDECAR_PROBLEMS_MAX])
{
	struct sc_state st = {
	    .file = file, .text = {text, text + len}, .out = out, .problems = problems};

	*out = (struct sidecar){0};
	problems[0] = '\0';
	if (len > SIDECAR_MAX_BYTES) {
		problem(&st, "larger than %u bytes", SIDECAR_MAX_BYTES);
		return -EINVAL;
	}
	if (memchr(text, '\0', len)) {
		problem(&st, "not a text file (NUL bytes)");
		return -EINVAL;
	}
	int r = ini_parse_stream(reader, &st, handler, &st);
	if (r == -2 || st.oom) {
		sidecar_finish(out);
		return -ENOMEM;
	}
	if (r > 0) {
		/* inih's own: the handler never fails a line, so this is a syntax error. */
		st.line = (unsigned)r;
		problem(&st, "syntax error, expected 'key = value' or '[iso]'");
	}
	if (st.errors > 0) {
		sidecar_finish(out);
		return -EINVAL;
	}
	return 0;
}

void sidecar_apply(struct sidecar *s, struct catalog_entry *e)
{
	if (s->name) {
		free(e->name);
		e->name = TAKE_PTR(s->name);
	}
	free(e->extra);
	e->extra = TAKE_PTR(s->append);
	e->method = s->method;
	e->hidden = s->hidden;
}
