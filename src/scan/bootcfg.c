/* SPDX-License-Identifier: MIT */
#include "bootcfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

#define MAX_WORDS 64
#define MAX_VARS 64
#define MAX_NEST 64 /* GRUB blocks inside blocks; deeper ones are read as the enclosing one */
/* "set a=$a$a" doubles a value; a few dozen such lines would take all memory and time. What
 * "$var" expands to is cut beyond these (real configurations expand a few KiB in all). */
#define MAX_EXPANDED_WORD 8192u /* bytes a word grows to by expansions */
#define MAX_EXPANDED (1u << 20) /* bytes all expansions of one configuration produce */

void bootcfg_entry_finish(struct bootcfg_entry *e)
{
	free(e->label);
	free(e->kernel);
	for (size_t i = 0; i < e->n_initrd; i++)
		free(e->initrd[i]);
	free(e->append);
	*e = (struct bootcfg_entry){0};
}

char *bootcfg_path(const char *base, const char *p)
{
	/* GRUB: "(cd0)/x", "($root)/x", "(hd0,msdos1)/x" name a device first. */
	if (p[0] == '(') {
		const char *close = strchr(p, ')');
		if (!close)
			return NULL;
		p = close + 1;
		base = ""; /* the rest is a path from that device's root */
	}
	size_t cap = strlen(base) + strlen(p) + 2;
	_cleanup_free_ char *in = malloc(cap);
	char *out = malloc(cap);
	size_t o = 0;

	if (!in || !out) {
		free(out);
		return NULL;
	}
	if (p[0] == '/')
		snprintf(in, cap, "%s", p);
	else
		snprintf(in, cap, "%s/%s", base, p);
	for (char *c = in; *c;) {
		while (*c == '/')
			c++;
		size_t n = strcspn(c, "/");
		if (n == 0)
			break;
		if (n == 1 && c[0] == '.') {
			/* nothing */
		} else if (n == 2 && c[0] == '.' && c[1] == '.') {
			/* Inside the ISO, ".." of the root is the root. */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, c, n);
			o += n;
		}
		c += n;
	}
	out[o] = '\0';
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Whether bootcfg_path(base, p) gives a path (and not nothing), without building it. */
static bool path_nonempty(const char *base, const char *p)
{
	size_t depth = 0;

	if (p[0] == '(') {
		const char *close = strchr(p, ')');
		if (!close)
			return false;
		p = close + 1;
		base = "";
	}
	const char *const parts[] = {p[0] == '/' ? "" : base, p};
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		for (const char *c = parts[i]; *c;) {
			while (*c == '/')
				c++;
			size_t n = strcspn(c, "/");
			if (n == 2 && c[0] == '.' && c[1] == '.')
				depth -= depth > 0;
			else if (n > 0 && !(n == 1 && c[0] == '.'))
				depth++;
			c += n;
		}
	return depth > 0;
}

static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? strndup(path, (size_t)(s - path)) : strdup("");
}

/* Kernel files that are not Linux: syslinux modules, boot sectors, PXE images. */
static bool linux_kernel(const char *path)
{
	static const char *const not_linux[] = {".c32", ".com", ".cbt", ".bs", ".bss",
						".0",	".bin", ".efi", ".sys"};
	size_t l = strlen(path);

	if (l == 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(not_linux); i++) {
		size_t x = strlen(not_linux[i]);
		if (l >= x && strcasecmp(path + l - x, not_linux[i]) == 0)
			return false;
	}
	return true;
}

/* Adds the initrds of a comma-separated list (syslinux INITRD and initrd=). */
static int add_initrds(struct bootcfg_entry *e, const char *base, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");
		if (n > 0 && e->n_initrd < BOOTCFG_MAX_INITRDS) {
			_cleanup_free_ char *one = strndup(p, n);
			if (!one)
				return -ENOMEM;
			char *path = bootcfg_path(base, one);
			if (path)
				e->initrd[e->n_initrd++] = path;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

/*
 * Sets e->append from args, taking the syslinux "initrd=a,b" parameters out into e->initrd
 * (when the entry has no INITRD line: then they are ignored, as syslinux does).
 */
static int set_append(struct bootcfg_entry *e, const char *base, const char *args, bool take_initrd)
{
	size_t len = strlen(args);
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return -ENOMEM;
	for (const char *p = args; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t");
		if (n == 0)
			break;
		if (n > 7 && strncmp(p, "initrd=", 7) == 0) {
			if (take_initrd) {
				_cleanup_free_ char *list = strndup(p + 7, n - 7);
				if (!list || add_initrds(e, base, list) < 0) {
					free(out);
					return -ENOMEM;
				}
			}
		} else {
			if (o > 0)
				out[o++] = ' ';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	free(e->append);
	e->append = out;
	return 0;
}

/* ---- syslinux ---- */

struct sl_label {
	char *name;
	char *menu_label;
	char *kernel;
	char *initrd;
	char *append;
	bool is_linux;
	bool menu_default;
};

struct sl_state {
	const struct bootcfg_reader *rd;
	char *base; /* the working directory: the top configuration's */
	unsigned files;
	struct sl_label labels[BOOTCFG_MAX_ENTRIES];
	size_t n;
	char *def, *ontimeout;
	bool in_text;
};

static void sl_label_finish(struct sl_label *l)
{
	free(l->name);
	free(l->menu_label);
	free(l->kernel);
	free(l->initrd);
	free(l->append);
}

static int replace(char **dst, const char *src, size_t n)
{
	char *s = strndup(src, n);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The first word of s, as a new string. */
static char *first_word(const char *s)
{
	s = skip_ws(s);
	return strndup(s, strcspn(s, " \t"));
}

static int sl_file(struct sl_state *st, const char *path, unsigned depth);

static int sl_include(struct sl_state *st, const char *arg, unsigned depth)
{
	_cleanup_free_ char *w = first_word(arg);
	if (!w)
		return -ENOMEM;
	_cleanup_free_ char *p = bootcfg_path(st->base, w);
	if (!p || depth >= BOOTCFG_MAX_DEPTH)
		return 0;
	int r = sl_file(st, p, depth + 1);
	return r == -ENOMEM ? r : 0; /* an include that cannot be read is skipped */
}

static int sl_line(struct sl_state *st, const char *line, size_t len, unsigned depth)
{
	char kw[16], sub[16];
	struct sl_label *cur = st->n > 0 ? &st->labels[st->n - 1] : NULL;
	_cleanup_free_ char *copy = strndup(line, len);
	int r = 0;

	if (!copy)
		return -ENOMEM;
	/* Trailing blanks and CR (DOS line ends) are not part of a value. */
	for (size_t l = strlen(copy); l > 0 && isspace((unsigned char)copy[l - 1]); l--)
		copy[l - 1] = '\0';
	const char *p = skip_ws(copy);
	if (!*p || *p == '#')
		return 0;
	size_t n = strcspn(p, " \t");
	if (n >= sizeof(kw)) {
		if (!st->in_text)
			return 0;
		n = sizeof(kw) - 1;
	}
	memcpy(kw, p, n);
	kw[n] = '\0';
	const char *rest = skip_ws(p + n);
	if (st->in_text) {
		if (strcasecmp(kw, "endtext") == 0)
			st->in_text = false;
		return 0;
	}

	if (strcasecmp(kw, "menu") == 0) {
		n = strcspn(rest, " \t");
		if (n >= sizeof(sub))
			return 0;
		memcpy(sub, rest, n);
		sub[n] = '\0';
		const char *arg = skip_ws(rest + n);
		if (strcasecmp(sub, "label") == 0 && cur)
			r = replace(&cur->menu_label, arg, strlen(arg));
		else if (strcasecmp(sub, "default") == 0 && cur)
			cur->menu_default = true;
		else if (strcasecmp(sub, "include") == 0)
			r = sl_include(st, arg, depth);
		return r;
	}
	if (strcasecmp(kw, "label") == 0) {
		if (st->n >= BOOTCFG_MAX_ENTRIES)
			return 0;
		cur = &st->labels[st->n++];
		*cur = (struct sl_label){0};
		return replace(&cur->name, rest, strlen(rest));
	}
	if (strcasecmp(kw, "kernel") == 0 || strcasecmp(kw, "linux") == 0) {
		if (!cur)
			return 0;
		free(cur->kernel);
		cur->kernel = first_word(rest);
		if (!cur->kernel)
			return -ENOMEM;
		cur->is_linux = strcasecmp(kw, "linux") == 0 || linux_kernel(cur->kernel);
		return 0;
	}
	if (strcasecmp(kw, "boot") == 0 || strcasecmp(kw, "bss") == 0 ||
	    strcasecmp(kw, "pxe") == 0 || strcasecmp(kw, "fdimage") == 0 ||
	    strcasecmp(kw, "comboot") == 0 || strcasecmp(kw, "com32") == 0 ||
	    strcasecmp(kw, "localboot") == 0) {
		if (cur) {
			cur->is_linux = false;
			free(cur->kernel);
			cur->kernel = NULL;
		}
		return 0;
	}
	if (strcasecmp(kw, "config") == 0) {
		if (cur) { /* a label that restarts with another configuration */
			cur->is_linux = false;
			return 0;
		}
		return sl_include(st, rest, depth);
	}
	if (strcasecmp(kw, "initrd") == 0)
		return cur ? replace(&cur->initrd, rest, strlen(rest)) : 0;
	if (strcasecmp(kw, "append") == 0)
		return cur ? replace(&cur->append, streq(rest, "-") ? "" : rest,
				     streq(rest, "-") ? 0 : strlen(rest))
			   : 0;
	if (strcasecmp(kw, "default") == 0)
		return replace(&st->def, rest, strlen(rest));
	if (strcasecmp(kw, "ontimeout") == 0)
		return replace(&st->ontimeout, rest, strlen(rest));
	if (strcasecmp(kw, "include") == 0)
		return sl_include(st, rest, depth);
	if (strcasecmp(kw, "text") == 0 && strncasecmp(rest, "help", 4) == 0)
		st->in_text = true;
	return 0;
}

static int sl_file(struct sl_state *st, const char *path, unsigned depth)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (st->files >= BOOTCFG_MAX_FILES)
		return 0;
	st->files++;
	r = st->rd->read(st->rd->ud, path, &text, &len);
	if (r < 0)
		return r;
	st->in_text = false;
	for (size_t p = 0; p < len;) {
		const char *nl = memchr(text + p, '\n', len - p);
		size_t l = nl ? (size_t)(nl - (text + p)) : len - p;
		if (!memchr(text + p, '\0', l)) { /* binary garbage is no configuration */
			r = sl_line(st, text + p, l, depth);
			if (r < 0)
				return r;
		}
		p += l + 1;
	}
	st->in_text = false;
	return 0;
}

static struct sl_label *sl_find(struct sl_state *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->labels[i].name && streq(st->labels[i].name, name))
			return &st->labels[i];
	for (size_t i = 0; i < st->n; i++)
		if (st->labels[i].name && strcasecmp(st->labels[i].name, name) == 0)
			return &st->labels[i];
	return NULL;
}

static bool sl_usable(const struct sl_state *st, const struct sl_label *l)
{
	return l && l->is_linux && l->kernel && linux_kernel(l->kernel) &&
	       path_nonempty(st->base, l->kernel);
}

static int sl_entry(struct sl_state *st, const struct sl_label *l, struct bootcfg_entry *out)
{
	*out = (struct bootcfg_entry){0};
	out->label = strdup(l->menu_label ? l->menu_label : l->name ? l->name : "");
	out->kernel = bootcfg_path(st->base, l->kernel);
	if (!out->label || !out->kernel)
		goto fail;
	if (l->initrd && add_initrds(out, st->base, l->initrd) < 0)
		goto fail;
	if (set_append(out, st->base, l->append ? l->append : "", !l->initrd) < 0)
		goto fail;
	return 0;
fail:
	bootcfg_entry_finish(out);
	return -ENOMEM;
}

int bootcfg_syslinux(const struct bootcfg_reader *rd, const char *path, struct bootcfg_entry *out)
{
	struct sl_state *st = calloc(1, sizeof(*st));
	struct sl_label *pick = NULL;
	_cleanup_free_ char *def = NULL, *tmo = NULL;
	int r;

	if (!st)
		return -ENOMEM;
	st->rd = rd;
	st->base = dir_of(path);
	r = st->base ? sl_file(st, path, 0) : -ENOMEM;
	if (r < 0)
		goto done;

	for (size_t i = 0; i < st->n && !pick; i++)
		if (st->labels[i].menu_default && sl_usable(st, &st->labels[i]))
			pick = &st->labels[i];
	def = st->def ? first_word(st->def) : NULL;
	tmo = st->ontimeout ? first_word(st->ontimeout) : NULL;
	if (!pick && def && sl_usable(st, sl_find(st, def)))
		pick = sl_find(st, def);
	if (!pick && tmo && sl_usable(st, sl_find(st, tmo)))
		pick = sl_find(st, tmo);
	if (!pick && def && *def && !sl_find(st, def) && linux_kernel(def) &&
	    path_nonempty(st->base, def)) {
		/* "DEFAULT vmlinuz initrd=... args": a command line, not a label. */
		struct sl_label cmd = {.kernel = def, .is_linux = true, .name = (char *)"default"};
		const char *args = skip_ws(skip_ws(st->def) + strlen(def));
		cmd.append = (char *)args;
		r = sl_entry(st, &cmd, out);
		goto done;
	}
	for (size_t i = 0; i < st->n && !pick; i++)
		if (sl_usable(st, &st->labels[i]))
			pick = &st->labels[i];
	r = pick ? sl_entry(st, pick, out) : -ENOENT;
done:
	for (size_t i = 0; i < st->n; i++)
		sl_label_finish(&st->labels[i]);
	free(st->def);
	free(st->ontimeout);
	free(st->base);
	free(st);
	return r;
}

/* ---- GRUB ---- */

struct g_entry {
	char *title, *id;
	int top;       /* index among the top-level items */
	int sub;       /* index inside its submenu, -1 at the top level */
	char *kernel;  /* as written, variables expanded */
	char *args;    /* kernel parameters */
	char *initrds; /* initrd paths, space-separated */
};

struct g_var {
	char *name, *value;
};

struct g_state {
	const struct bootcfg_reader *rd;
	char *base; /* the directory of the top configuration, also $prefix */
	unsigned files;
	struct g_var vars[MAX_VARS];
	size_t n_vars;
	struct g_entry entries[BOOTCFG_MAX_ENTRIES];
	size_t n;
	int n_top;	 /* top-level items so far */
	unsigned nest;	 /* blocks open */
	size_t expanded; /* bytes produced by "$var" so far */
};

struct g_lexer {
	const char *p, *end;
};

struct g_cmd {
	char *w[MAX_WORDS];
	size_t n;
	bool open_brace; /* the command ended with a "{" word */
};

static void g_cmd_finish(struct g_cmd *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->w[i]);
	*c = (struct g_cmd){0};
}

static const char *g_var_get(const struct g_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_vars; i++)
		if (streq(st->vars[i].name, name))
			return st->vars[i].value;
	if (streq(name, "prefix") || streq(name, "config_directory"))
		return "";
	return NULL;
}

static int g_var_set(struct g_state *st, const char *name, const char *value)
{
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_vars; i++)
		if (streq(st->vars[i].name, name)) {
			free(st->vars[i].value);
			st->vars[i].value = v;
			return 0;
		}
	if (st->n_vars >= MAX_VARS) {
		free(v);
		return 0;
	}
	st->vars[st->n_vars].name = strdup(name);
	if (!st->vars[st->n_vars].name) {
		free(v);
		return -ENOMEM;
	}
	st->vars[st->n_vars++].value = v;
	return 0;
}

/* Appends to a growing word. */
struct g_word {
	char *s;
	size_t len, cap;
};

static int g_put(struct g_word *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		size_t cap = (w->len + n + 1) * 2;
		char *ns = realloc(w->s, cap);
		if (!ns)
			return -ENOMEM;
		w->s = ns;
		w->cap = cap;
	}
	memcpy(w->s + w->len, s, n);
	w->len += n;
	w->s[w->len] = '\0';
	return 0;
}

/* Expands "$name" or "${name}" at *pp (which points at '$'). */
static int g_expand(struct g_state *st, struct g_lexer *lx, struct g_word *w)
{
	char name[64];
	size_t n = 0;
	const char *p = lx->p + 1;

	if (p < lx->end && *p == '{') {
		const char *close = memchr(p, '}', (size_t)(lx->end - p));
		if (!close) {
			lx->p++;
			return g_put(w, "$", 1);
		}
		n = (size_t)(close - p - 1);
		if (n < sizeof(name))
			memcpy(name, p + 1, n);
		lx->p = close + 1;
	} else {
		while (p + n < lx->end && (isalnum((unsigned char)p[n]) || p[n] == '_' ||
					   (n == 0 && (p[n] == '?' || p[n] == '#'))))
			n++;
		if (n == 0) {
			lx->p++;
			return g_put(w, "$", 1);
		}
		if (n < sizeof(name))
			memcpy(name, p, n);
		lx->p = p + n;
	}
	if (n >= sizeof(name))
		return 0;
	name[n] = '\0';
	const char *v = g_var_get(st, name);
	if (!v || w->len >= MAX_EXPANDED_WORD || st->expanded >= MAX_EXPANDED)
		return 0;
	size_t vl = strlen(v);
	if (vl > MAX_EXPANDED_WORD - w->len)
		vl = MAX_EXPANDED_WORD - w->len;
	if (vl > MAX_EXPANDED - st->expanded)
		vl = MAX_EXPANDED - st->expanded;
	st->expanded += vl;
	return g_put(w, v, vl);
}

/*
 * Reads one command: words up to a newline, ';' or a "{" word. Returns 1 with a command, 0 at
 * the end of the input, or a negative errno.
 */
static int g_next(struct g_state *st, struct g_lexer *lx, struct g_cmd *c)
{
	*c = (struct g_cmd){0};
	for (;;) {
		while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'))
			lx->p++;
		if (lx->p >= lx->end)
			return c->n > 0 ? 1 : 0;
		char ch = *lx->p;
		if (ch == '\n' || ch == ';') {
			lx->p++;
			if (c->n > 0)
				return 1;
			continue;
		}
		if (ch == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		if (ch == '\\' && lx->p + 1 < lx->end && lx->p[1] == '\n') {
			lx->p += 2;
			continue;
		}
		/* A word. */
		struct g_word w = {0};
		bool quoted = false, plain = true, split = false;
		int r = g_put(&w, "", 0);
		while (r == 0 && lx->p < lx->end) {
			ch = *lx->p;
			if (ch == ' ' || ch == '\t' || ch == '\n' || ch == ';' || ch == '\r')
				break;
			if (ch != '\\' && ch != '\'' && ch != '"' && ch != '$') {
				r = g_put(&w, lx->p, 1);
				lx->p++;
				continue;
			}
			plain = false; /* escaped, quoted or expanded: no "{" or "}" of a block */
			if (ch == '\\') {
				if (lx->p + 1 < lx->end && lx->p[1] != '\n')
					r = g_put(&w, lx->p + 1, 1);
				lx->p += 2;
			} else if (ch == '\'') {
				const char *close =
				    memchr(lx->p + 1, '\'', (size_t)(lx->end - lx->p - 1));
				const char *stop = close ? close : lx->end;
				r = g_put(&w, lx->p + 1, (size_t)(stop - lx->p - 1));
				lx->p = close ? close + 1 : lx->end;
				quoted = true;
			} else if (ch == '"') {
				lx->p++;
				quoted = true;
				while (r == 0 && lx->p < lx->end && *lx->p != '"') {
					if (*lx->p == '\\' && lx->p + 1 < lx->end &&
					    strchr("\"\\$\n", lx->p[1])) {
						if (lx->p[1] != '\n')
							r = g_put(&w, lx->p + 1, 1);
						lx->p += 2;
					} else if (*lx->p == '$') {
						r = g_expand(st, lx, &w);
					} else {
						r = g_put(&w, lx->p, 1);
						lx->p++;
					}
				}
				if (lx->p < lx->end)
					lx->p++;
			} else {
				r = g_expand(st, lx, &w);
				split = true;
			}
		}
		if (r < 0) {
			free(w.s);
			g_cmd_finish(c);
			return r;
		}
		if (plain && streq(w.s, "{")) {
			free(w.s);
			c->open_brace = true;
			return 1;
		}
		if (plain && streq(w.s, "}") && c->n > 0) {
			/* "}" ends the block: give it back for the next call. */
			free(w.s);
			lx->p--;
			return 1;
		}
		if (split && !quoted) {
			/* An unquoted expansion is split into words, and is no word when empty. */
			for (const char *t = w.s; *(t += strspn(t, " \t\n"));) {
				size_t n = strcspn(t, " \t\n");
				if (c->n < MAX_WORDS && !(c->w[c->n] = strndup(t, n))) {
					free(w.s);
					g_cmd_finish(c);
					return -ENOMEM;
				}
				c->n += c->n < MAX_WORDS;
				t += n;
			}
			free(w.s);
			continue;
		}
		if (c->n < MAX_WORDS)
			c->w[c->n++] = w.s;
		else
			free(w.s);
		if (plain && c->n == 1 && streq(c->w[0], "}"))
			return 1;
	}
}

static int g_block(struct g_state *st, struct g_lexer *lx, unsigned depth, struct g_entry *entry,
		   int submenu, bool skip);

/* Reads a configuration file as commands in the context it is sourced from. */
static int g_file(struct g_state *st, const char *path, unsigned depth, struct g_entry *entry,
		  int submenu)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	if (st->files >= BOOTCFG_MAX_FILES || depth > BOOTCFG_MAX_DEPTH)
		return 0;
	st->files++;
	r = st->rd->read(st->rd->ud, path, &text, &len);
	if (r < 0)
		return r;
	if (memchr(text, '\0', len))
		return 0; /* binary garbage is no configuration */
	struct g_lexer lx = {text, text + len};
	return g_block(st, &lx, depth, entry, submenu, false);
}

/* "--id x", "--class x" and the like take a value; the first plain word is the title. */
static void g_title(const struct g_cmd *c, const char **title, const char **id)
{
	*title = NULL;
	*id = NULL;
	for (size_t i = 1; i < c->n; i++) {
		const char *w = c->w[i];
		if (strncmp(w, "--", 2) == 0) {
			bool value = streq(w, "--id") || streq(w, "--class") ||
				     streq(w, "--users") || streq(w, "--hotkey");
			if (value && i + 1 < c->n) {
				if (streq(w, "--id"))
					*id = c->w[i + 1];
				i++;
			}
			continue;
		}
		if (!*title)
			*title = w;
	}
}

/* Joins words [from, n) with spaces, quoting those that have blanks. */
static char *g_join(const struct g_cmd *c, size_t from)
{
	struct g_word w = {0};

	if (g_put(&w, "", 0) < 0)
		return NULL;
	for (size_t i = from; i < c->n; i++) {
		bool blank = strpbrk(c->w[i], " \t") != NULL;
		if ((w.len > 0 && g_put(&w, " ", 1) < 0) || (blank && g_put(&w, "\"", 1) < 0) ||
		    g_put(&w, c->w[i], strlen(c->w[i])) < 0 || (blank && g_put(&w, "\"", 1) < 0)) {
			free(w.s);
			return NULL;
		}
	}
	return w.s;
}

static int g_command(struct g_state *st, struct g_lexer *lx, unsigned depth, struct g_entry *entry,
		     int submenu, struct g_cmd *c)
{
	const char *cmd = c->w[0];

	if (streq(cmd, "menuentry") || streq(cmd, "submenu")) {
		const char *title, *id;
		bool is_sub = streq(cmd, "submenu");
		struct g_entry *e = NULL;
		int top = submenu >= 0 ? submenu : st->n_top;

		if (!c->open_brace)
			return 0; /* not a block we understand */
		g_title(c, &title, &id);
		if (submenu < 0)
			st->n_top++;
		if (!is_sub && st->n < BOOTCFG_MAX_ENTRIES) {
			e = &st->entries[st->n++];
			*e = (struct g_entry){.top = top, .sub = -1};
			if (submenu >= 0) {
				int k = 0;
				for (size_t i = 0; i + 1 < st->n; i++)
					k += st->entries[i].top == top && st->entries[i].sub >= 0;
				e->sub = k;
			}
			e->title = strdup(title ? title : "");
			e->id = id ? strdup(id) : NULL;
			if (!e->title || (id && !e->id))
				return -ENOMEM;
		}
		/* Inside a submenu, entries are numbered from 0 again ("N>M"). */
		return g_block(st, lx, depth, e, is_sub ? top : submenu, !is_sub && !e);
	}
	if (streq(cmd, "function"))
		return c->open_brace ? g_block(st, lx, depth, NULL, submenu, true) : 0;
	if (c->open_brace) /* some other block: look inside, in the same context */
		return g_block(st, lx, depth, entry, submenu, false);
	if (streq(cmd, "set")) {
		for (size_t i = 1; i < c->n; i++) {
			char *eq = strchr(c->w[i], '=');
			if (!eq || eq == c->w[i])
				continue;
			*eq = '\0';
			int r = g_var_set(st, c->w[i], eq + 1);
			*eq = '=';
			if (r < 0)
				return r;
		}
		return 0;
	}
	/* "name=value" alone is an assignment too (archiso: "default=archlinux"). */
	size_t nl = strspn(cmd, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
	if (c->n == 1 && nl > 0 && cmd[nl] == '=' && !isdigit((unsigned char)cmd[0])) {
		c->w[0][nl] = '\0';
		int r = g_var_set(st, c->w[0], cmd + nl + 1);
		c->w[0][nl] = '=';
		return r;
	}
	if (streq(cmd, "source") || streq(cmd, "configfile") || streq(cmd, ".")) {
		if (c->n < 2)
			return 0;
		_cleanup_free_ char *p = bootcfg_path(st->base, c->w[1]);
		if (!p)
			return 0;
		int r = g_file(st, p, depth + 1, entry, submenu);
		return r == -ENOMEM ? r : 0;
	}
	if (!entry)
		return 0;
	if ((streq(cmd, "linux") || streq(cmd, "linuxefi") || streq(cmd, "linux16") ||
	     streq(cmd, "kernel")) &&
	    c->n >= 2 && !entry->kernel) {
		entry->kernel = strdup(c->w[1]);
		entry->args = g_join(c, 2);
		return entry->kernel && entry->args ? 0 : -ENOMEM;
	}
	if ((streq(cmd, "initrd") || streq(cmd, "initrdefi") || streq(cmd, "initrd16")) &&
	    c->n >= 2 && !entry->initrds) {
		entry->initrds = g_join(c, 1);
		return entry->initrds ? 0 : -ENOMEM;
	}
	return 0;
}

static int g_block_inner(struct g_state *st, struct g_lexer *lx, unsigned depth,
			 struct g_entry *entry, int submenu, bool skip)
{
	struct g_cmd c;
	int r;

	while ((r = g_next(st, lx, &c)) > 0) {
		if (c.n == 1 && streq(c.w[0], "}")) {
			g_cmd_finish(&c);
			return 0;
		}
		/* Conditions are not evaluated: both branches are read, the test never run. */
		size_t shift = 0;
		while (shift < c.n && (streq(c.w[shift], "then") || streq(c.w[shift], "else") ||
				       streq(c.w[shift], "do")))
			shift++;
		if (shift > 0) {
			for (size_t i = 0; i < shift; i++)
				free(c.w[i]);
			memmove(c.w, c.w + shift, (c.n - shift) * sizeof(c.w[0]));
			c.n -= shift;
		}
		if (c.n == 0 && c.open_brace) {
			r = g_block(st, lx, depth, entry, submenu, skip);
		} else if (c.n == 0 || streq(c.w[0], "if") || streq(c.w[0], "elif") ||
			   streq(c.w[0], "while") || streq(c.w[0], "until") ||
			   streq(c.w[0], "for") || streq(c.w[0], "fi") || streq(c.w[0], "done")) {
			r = 0;
		} else if (skip) {
			r = c.open_brace ? g_block(st, lx, depth, NULL, submenu, true) : 0;
		} else {
			r = g_command(st, lx, depth, entry, submenu, &c);
		}
		g_cmd_finish(&c);
		if (r < 0)
			return r;
	}
	return r;
}

static int g_block(struct g_state *st, struct g_lexer *lx, unsigned depth, struct g_entry *entry,
		   int submenu, bool skip)
{
	if (st->nest >= MAX_NEST)
		return 0; /* bounded recursion: the block's words are read by the one around it */
	st->nest++;
	int r = g_block_inner(st, lx, depth, entry, submenu, skip);
	st->nest--;
	return r;
}

static bool g_usable(const struct g_state *st, const struct g_entry *e)
{
	return e && e->kernel && *e->kernel && linux_kernel(e->kernel) &&
	       path_nonempty(st->base, e->kernel);
}

static struct g_entry *g_default(struct g_state *st)
{
	const char *def = g_var_get(st, "default");
	uint64_t top = 0, sub = 0;

	if (str_empty(def))
		def = "0";
	_cleanup_free_ char *d = strdup(def);
	if (!d)
		return NULL;
	char *gt = strchr(d, '>');
	if (gt)
		*gt = '\0';
	if (parse_u64(d, 0, BOOTCFG_MAX_ENTRIES, &top) == 0 &&
	    (!gt || parse_u64(gt + 1, 0, BOOTCFG_MAX_ENTRIES, &sub) == 0)) {
		for (size_t i = 0; i < st->n; i++) {
			struct g_entry *e = &st->entries[i];
			if (e->top == (int)top && (e->sub < 0 || e->sub == (int)sub))
				return e;
		}
		return NULL;
	}
	for (size_t i = 0; i < st->n; i++)
		if (streq(st->entries[i].title, def) ||
		    (st->entries[i].id && streq(st->entries[i].id, def)))
			return &st->entries[i];
	return NULL;
}

static int g_entry_out(struct g_state *st, const struct g_entry *e, struct bootcfg_entry *out)
{
	*out = (struct bootcfg_entry){0};
	out->label = strdup(e->title);
	out->kernel = bootcfg_path(st->base, e->kernel);
	if (!out->label || !out->kernel)
		goto fail;
	for (const char *p = e->initrds ? e->initrds : ""; *p;) {
		p = skip_ws(p);
		size_t n = strcspn(p, " \t");
		if (n == 0)
			break;
		_cleanup_free_ char *one = strndup(p, n);
		if (!one)
			goto fail;
		char *path = bootcfg_path(st->base, one);
		if (path && out->n_initrd < BOOTCFG_MAX_INITRDS)
			out->initrd[out->n_initrd++] = path;
		else
			free(path);
		p += n;
	}
	out->append = strdup(e->args ? e->args : "");
	if (!out->append)
		goto fail;
	return 0;
fail:
	bootcfg_entry_finish(out);
	return -ENOMEM;
}

int bootcfg_grub(const struct bootcfg_reader *rd, const char *path, struct bootcfg_entry *out)
{
	struct g_state *st = calloc(1, sizeof(*st));
	_cleanup_free_ char *prefix = NULL;
	int r;

	if (!st)
		return -ENOMEM;
	st->rd = rd;
	st->base = dir_of(path);
	/* $prefix is absolute ("(cd0)/boot/grub" in GRUB): "$prefix/x.cfg" is not relative. */
	if (!st->base || asprintf(&prefix, "/%s", st->base) < 0) {
		prefix = NULL;
		r = -ENOMEM;
		goto done;
	}
	r = g_var_set(st, "prefix", prefix);
	if (r == 0)
		r = g_var_set(st, "config_directory", prefix);
	if (r == 0)
		r = g_file(st, path, 0, NULL, -1);
	if (r < 0)
		goto done;
	struct g_entry *pick = g_default(st);
	for (size_t i = 0; i < st->n && !g_usable(st, pick); i++)
		pick = &st->entries[i];
	r = g_usable(st, pick) ? g_entry_out(st, pick, out) : -ENOENT;
done:
	for (size_t i = 0; i < st->n; i++) {
		free(st->entries[i].title);
		free(st->entries[i].id);
		free(st->entries[i].kernel);
		free(st->entries[i].args);
		free(st->entries[i].initrds);
	}
	for (size_t i = 0; i < st->n_vars; i++) {
		free(st->vars[i].name);
		free(st->vars[i].value);
	}
	free(st->base);
	free(st);
	return r;
}
