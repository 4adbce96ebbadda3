/* SPDX-License-Identifier: MIT */
#include "catalog.h"

#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <nettle/sha2.h>
#include <sys/stat.h>

#include "util.h"

#define SLUG_MAX 40
#define HASH_HEX 12

void catalog_init(struct catalog *c)
{
	*c = (struct catalog){0};
}

void catalog_entry_clear_recipe(struct catalog_entry *e)
{
	free(e->recipe);
	free(e->kernel);
	for (size_t i = 0; i < e->n_initrd; i++)
		free(e->initrd[i]);
	free(e->append);
	for (size_t i = 0; i < e->n_fetch; i++)
		free(e->fetch[i].path);
	for (size_t i = 0; i < e->n_medium; i++)
		free(e->medium[i]);
	e->recipe = e->kernel = e->append = NULL;
	e->n_initrd = e->n_fetch = e->n_medium = 0;
	e->ram = 0;
}

void catalog_entry_finish(struct catalog_entry *e)
{
	free(e->id);
	free(e->iqn);
	free(e->path);
	free(e->group);
	free(e->name);
	free(e->label);
	free(e->extra);
	catalog_entry_clear_recipe(e);
	*e = (struct catalog_entry){0};
}

void catalog_finish(struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		catalog_entry_finish(&c->entries[i]);
	free(c->entries);
	*c = (struct catalog){0};
}

struct catalog_entry *catalog_add(struct catalog *c)
{
	if (c->n >= CATALOG_MAX_ENTRIES)
		return NULL;
	if (c->n == c->allocated) {
		size_t na = c->allocated ? c->allocated * 2 : 16;
		struct catalog_entry *ne = realloc(c->entries, na * sizeof(*ne));
		if (!ne)
			return NULL;
		c->entries = ne;
		c->allocated = na;
	}
	struct catalog_entry *e = &c->entries[c->n++];
	*e = (struct catalog_entry){0};
	return e;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct catalog_entry *x = a, *y = b;
	int r = strcmp(x->group ? x->group : "", y->group ? y->group : "");

	if (r == 0)
		r = strcmp(x->name ? x->name : "", y->name ? y->name : "");
	if (r == 0)
		r = strcmp(x->path ? x->path : "", y->path ? y->path : "");
	return r;
}

void catalog_sort(struct catalog *c)
{
	if (c->n > 1)
		qsort(c->entries, c->n, sizeof(c->entries[0]), entry_cmp);
}

const struct catalog_entry *catalog_find_id(const struct catalog *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (streq(c->entries[i].id, id))
			return &c->entries[i];
	return NULL;
}

const struct catalog_entry *catalog_find_iqn(const struct catalog *c, const char *iqn)
{
	for (size_t i = 0; i < c->n; i++)
		if (streq(c->entries[i].iqn, iqn))
			return &c->entries[i];
	return NULL;
}

bool catalog_entry_boots(const struct catalog_entry *e, enum iso_platform p,
			 enum iso_emulation *emulation)
{
	for (size_t i = 0; i < e->n_boot; i++)
		if (e->boot[i].platform == p) {
			if (emulation)
				*emulation = e->boot[i].emulation;
			return true;
		}
	return false;
}

bool catalog_entry_efi_boots_on(const struct catalog_entry *e, unsigned arch)
{
	if (!e->efi_arches)
		return arch == ISO_EFI_ARCH_X64;
	return (e->efi_arches & arch) != 0;
}

int catalog_make_id(const char *rel, char out[CATALOG_ID_MAX])
{
	unsigned char digest[32];
	const char *base = strrchr(rel, '/');
	size_t o = 0, len;

	base = base ? base + 1 : rel;
	len = strlen(base);
	if (len > 4 && strcasecmp(base + len - 4, ".iso") == 0)
		len -= 4;
	for (size_t i = 0; i < len && o < SLUG_MAX; i++) {
		char ch = base[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			out[o++] = ch;
		else if (o > 0 && out[o - 1] != '-')
			out[o++] = '-';
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	if (o == 0) {
		memcpy(out, "iso", 3);
		o = 3;
	}
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, strlen(rel), (const uint8_t *)rel);
	sha256_digest(&ctx, sizeof(digest), digest);
	out[o++] = '-';
	for (size_t i = 0; i < HASH_HEX / 2; i++) {
		static const char hex[] = "0123456789abcdef";
		out[o++] = hex[digest[i] >> 4];
		out[o++] = hex[digest[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* ---- text format ---- */

static void put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

static void put_kv(FILE *f, const char *key, const char *value)
{
	fputs(key, f);
	fputc(' ', f);
	put_escaped(f, value ? value : "");
	fputc('\n', f);
}

static const char *const method_names[] = {
    [CATALOG_METHOD_AUTO] = "auto",
    [CATALOG_METHOD_LIVE] = "live",
    [CATALOG_METHOD_SANBOOT] = "sanboot",
    [CATALOG_METHOD_MEMDISK] = "memdisk",
};

const char *catalog_method_to_string(enum catalog_method m)
{
	return (size_t)m < ARRAY_SIZE(method_names) ? method_names[m] : "auto";
}

int catalog_method_from_string(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(method_names); i++)
		if (streq(s, method_names[i]))
			return (int)i;
	return -EINVAL;
}

bool catalog_param_char_ok(char c)
{
	return c >= 0x20 && c < 0x7f && !strchr("$|&;#\\\"'`", c);
}

static bool params_valid(const char *s)
{
	for (; *s; s++)
		if (!catalog_param_char_ok(*s))
			return false;
	return true;
}

static void put_platform(FILE *f, const struct iso_boot_entry *b)
{
	if (b->platform == ISO_PLATFORM_OTHER)
		fprintf(f, "0x%02x", b->platform_id);
	else
		fputs(iso_platform_to_string(b->platform), f);
}

int catalog_format(const struct catalog *c, FILE *f)
{
	fprintf(f, "%s %d\n", CATALOG_MAGIC, CATALOG_VERSION);
	fputs("# Written by isoboot-scan; see isoboot-catalog(5). Do not edit.\n", f);
	for (size_t i = 0; i < c->n; i++) {
		const struct catalog_entry *e = &c->entries[i];
		put_kv(f, "iso", e->id);
		put_kv(f, "iqn", e->iqn);
		put_kv(f, "path", e->path);
		if (!str_empty(e->group))
			put_kv(f, "group", e->group);
		put_kv(f, "name", e->name);
		put_kv(f, "label", e->label);
		fprintf(f, "size %" PRIu64 "\n", e->size);
		fprintf(f, "mtime %" PRId64 "\n", e->mtime);
		fprintf(f, "volume-size %" PRIu64 "\n", e->volume_size);
		for (size_t b = 0; b < e->n_boot; b++) {
			fputs("boot ", f);
			put_platform(f, &e->boot[b]);
			fprintf(f, " %s %" PRIu32 " %u\n",
				iso_emulation_to_string(e->boot[b].emulation), e->boot[b].load_rba,
				e->boot[b].sector_count);
		}
		if (e->mbr)
			fputs("hybrid mbr\n", f);
		if (e->gpt)
			fputs("hybrid gpt\n", f);
		for (unsigned bit = 1; bit; bit <<= 1)
			if ((e->layouts & bit) && iso_layout_to_string(bit))
				fprintf(f, "layout %s\n", iso_layout_to_string(bit));
		if (e->efi_arches & ISO_EFI_ARCH_KNOWN) {
			fputs("efi-arch", f);
			for (unsigned bit = 1; bit & ISO_EFI_ARCH_KNOWN; bit <<= 1)
				if (e->efi_arches & bit)
					fprintf(f, " %s", iso_efi_arch_to_string(bit));
			fputc('\n', f);
		}
		if (e->extra)
			put_kv(f, "extra", e->extra);
		if (e->method != CATALOG_METHOD_AUTO)
			put_kv(f, "method", catalog_method_to_string(e->method));
		if (e->hidden)
			put_kv(f, "hidden", "yes");
		if (e->unrecognised && !e->recipe)
			put_kv(f, "unrecognised", "yes");
		if (!e->recipe)
			continue;
		put_kv(f, "recipe", e->recipe);
		put_kv(f, "kernel", e->kernel);
		for (size_t k = 0; k < e->n_initrd; k++)
			put_kv(f, "initrd", e->initrd[k]);
		put_kv(f, "append", e->append);
		for (size_t k = 0; k < e->n_fetch; k++) {
			fprintf(f, "fetch %" PRIu64 " ", e->fetch[k].size);
			put_escaped(f, e->fetch[k].path);
			fputc('\n', f);
		}
		for (size_t k = 0; k < e->n_medium; k++)
			put_kv(f, "medium", e->medium[k]);
		fprintf(f, "ram %" PRIu64 "\n", e->ram);
	}
	fprintf(f, "end %zu\n", c->n);
	return ferror(f) ? -EIO : 0;
}

/* Unescapes value[0..len) into a new string; NUL bytes are refused. */
static int unescape(const char *v, size_t len, char **out)
{
	char *s = malloc(len + 1);
	size_t o = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (v[i] != '\\') {
			s[o++] = v[i];
			continue;
		}
		if (i + 1 < len && v[i + 1] == '\\') {
			s[o++] = '\\';
			i++;
		} else if (i + 3 < len && v[i + 1] == 'x' && unhexchar(v[i + 2]) >= 0 &&
			   unhexchar(v[i + 3]) >= 0) {
			int ch = unhexchar(v[i + 2]) * 16 + unhexchar(v[i + 3]);
			if (ch == 0) {
				free(s);
				return -EBADMSG;
			}
			s[o++] = (char)ch;
			i += 3;
		} else {
			free(s);
			return -EBADMSG;
		}
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

static bool id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= CATALOG_ID_MAX)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

/* Relative, no "." or ".." components, no empty components: safe to open below iso_dir. */
static bool rel_path_valid(const char *p)
{
	if (str_empty(p) || p[0] == '/' || strlen(p) > 4096)
		return false;
	for (const char *c = p; *c;) {
		const char *end = strchr(c, '/');
		size_t n = end ? (size_t)(end - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/')
			c++;
		if (end && !*c)
			return false;
	}
	return true;
}

static int parse_boot(const char *v, struct iso_boot_entry *b)
{
	char plat[16], emul[16];
	unsigned long long rba;
	unsigned cnt;
	int consumed = 0;

	if (sscanf(v, "%15s %15s %llu %u%n", plat, emul, &rba, &cnt, &consumed) != 4 ||
	    v[consumed] != '\0' || rba > UINT32_MAX || cnt > UINT16_MAX)
		return -EBADMSG;
	int p = iso_platform_from_string(plat);
	if (p >= 0 && p != ISO_PLATFORM_OTHER) {
		b->platform = (enum iso_platform)p;
		b->platform_id = p == ISO_PLATFORM_BIOS	  ? 0x00
				 : p == ISO_PLATFORM_UEFI ? 0xEF
				 : p == ISO_PLATFORM_PPC  ? 0x01
							  : 0x02;
	} else {
		unsigned id;
		int n = 0;
		if (sscanf(plat, "0x%2x%n", &id, &n) != 1 || plat[n] != '\0')
			return -EBADMSG;
		b->platform = ISO_PLATFORM_OTHER;
		b->platform_id = (uint8_t)id;
	}
	int e = iso_emulation_from_string(emul);
	if (e < 0)
		return -EBADMSG;
	b->emulation = (enum iso_emulation)e;
	b->load_rba = (uint32_t)rba;
	b->sector_count = (uint16_t)cnt;
	return 0;
}

bool catalog_iso_path_valid(const char *s)
{
	if (!rel_path_valid(s))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

bool catalog_image_name_valid(const char *path)
{
	const char *b = strrchr(path, '/');

	b = b ? b + 1 : path;
	if (!*b)
		return false;
	for (; *b; b++)
		if (!((*b >= 'a' && *b <= 'z') || (*b >= 'A' && *b <= 'Z') ||
		      (*b >= '0' && *b <= '9') || *b == '.' || *b == '_' || *b == '-' ||
		      *b == '+' || *b == '~'))
			return false;
	return true;
}

static int entry_complete(const struct catalog_entry *e)
{
	if (!e->iqn || !e->path || !e->name)
		return -EBADMSG;
	/* A recipe is whole or absent. */
	if (e->recipe && (!e->kernel || !e->append))
		return -EBADMSG;
	return 0;
}

static int parse_line(struct catalog *c, struct catalog_entry **cur, const char *key, size_t klen,
		      const char *val, size_t vlen, bool *ended, size_t *end_count)
{
	_cleanup_free_ char *v = NULL;
	struct catalog_entry *e = *cur;
	uint64_t u;
	int r = unescape(val, vlen, &v);

#define KEY(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
	if (r < 0)
		return r;
	if (KEY("iso")) {
		if (e && entry_complete(e) < 0)
			return -EBADMSG;
		if (!id_valid(v) || catalog_find_id(c, v))
			return -EBADMSG;
		e = catalog_add(c);
		if (!e)
			return -ENOMEM;
		e->id = TAKE_PTR(v);
		*cur = e;
		return 0;
	}
	if (KEY("end")) {
		if (e && entry_complete(e) < 0)
			return -EBADMSG;
		if (parse_u64(v, 0, CATALOG_MAX_ENTRIES, &u) < 0)
			return -EBADMSG;
		*ended = true;
		*end_count = (size_t)u;
		return 0;
	}
	if (!e)
		return 0; /* header keys of later versions */

	char **target = KEY("iqn")	? &e->iqn
			: KEY("path")	? &e->path
			: KEY("group")	? &e->group
			: KEY("name")	? &e->name
			: KEY("label")	? &e->label
			: KEY("recipe") ? &e->recipe
			: KEY("kernel") ? &e->kernel
			: KEY("append") ? &e->append
					: NULL;
	if (target) {
		if (*target)
			return -EBADMSG; /* duplicate */
		if (target == &e->path && !rel_path_valid(v))
			return -EBADMSG;
		if (target == &e->kernel && !catalog_iso_path_valid(v))
			return -EBADMSG;
		if (target == &e->recipe && !*v)
			return -EBADMSG;
		if (target == &e->group && *v && !rel_path_valid(v))
			return -EBADMSG;
		*target = TAKE_PTR(v);
		return 0;
	}
	if (KEY("size") || KEY("volume-size")) {
		if (parse_u64(v, 0, INT64_MAX, &u) < 0)
			return -EBADMSG;
		*(KEY("size") ? &e->size : &e->volume_size) = u;
		return 0;
	}
	if (KEY("mtime")) {
		bool neg = v[0] == '-';
		if (parse_u64(v + neg, 0, INT64_MAX, &u) < 0)
			return -EBADMSG;
		e->mtime = neg ? -(int64_t)u : (int64_t)u;
		return 0;
	}
	if (KEY("boot")) {
		struct iso_boot_entry b;
		if (parse_boot(v, &b) < 0)
			return -EBADMSG;
		if (e->n_boot < ISO_MAX_BOOT_ENTRIES)
			e->boot[e->n_boot++] = b;
		return 0;
	}
	if (KEY("hybrid")) {
		if (streq(v, "mbr"))
			e->mbr = true;
		else if (streq(v, "gpt"))
			e->gpt = true;
		return 0;
	}
	if (KEY("initrd")) {
		if (!catalog_iso_path_valid(v) || e->n_initrd >= CATALOG_MAX_INITRDS)
			return -EBADMSG;
		e->initrd[e->n_initrd++] = TAKE_PTR(v);
		return 0;
	}
	if (KEY("fetch")) {
		char *sp = strchr(v, ' ');
		if (!sp || e->n_fetch >= CATALOG_MAX_FETCH)
			return -EBADMSG;
		*sp = '\0';
		if (parse_u64(v, 0, INT64_MAX, &u) < 0 || !catalog_iso_path_valid(sp + 1))
			return -EBADMSG;
		char *path = strdup(sp + 1);
		if (!path)
			return -ENOMEM;
		e->fetch[e->n_fetch++] = (struct catalog_fetch){.path = path, .size = u};
		return 0;
	}
	if (KEY("medium")) {
		if (!catalog_iso_path_valid(v) || strchr(v, '/') ||
		    e->n_medium >= CATALOG_MAX_MEDIUM)
			return -EBADMSG;
		e->medium[e->n_medium++] = TAKE_PTR(v);
		return 0;
	}
	if (KEY("ram")) {
		if (parse_u64(v, 0, INT64_MAX, &u) < 0)
			return -EBADMSG;
		e->ram = u;
		return 0;
	}
	if (KEY("extra")) {
		if (e->extra || !params_valid(v))
			return -EBADMSG;
		e->extra = TAKE_PTR(v);
		return 0;
	}
	if (KEY("method")) {
		int m = catalog_method_from_string(v);
		if (m < 0)
			return -EBADMSG;
		e->method = (enum catalog_method)m;
		return 0;
	}
	if (KEY("hidden")) {
		e->hidden = streq(v, "yes");
		return 0;
	}
	if (KEY("unrecognised")) {
		e->unrecognised = streq(v, "yes");
		return 0;
	}
	if (KEY("efi-arch")) {
		/* Names a later isoboot-scan adds still say the architectures are known. */
		for (char *save = NULL, *w = strtok_r(v, " ", &save); w;
		     w = strtok_r(NULL, " ", &save)) {
			int a = iso_efi_arch_from_string(w);
			e->efi_arches |= a > 0 ? (unsigned)a : ISO_EFI_ARCH_OTHER;
		}
		return 0;
	}
	if (KEY("layout")) {
		int l = iso_layout_from_string(v);
		if (l > 0)
			e->layouts |= (unsigned)l;
		return 0;
	}
#undef KEY
	return 0; /* unknown keys: written by a newer isoboot-scan */
}

int catalog_parse(struct catalog *c, const char *text, size_t len, unsigned *err_line)
{
	struct catalog_entry *cur = NULL;
	bool ended = false;
	size_t end_count = 0;
	unsigned line = 0;
	size_t p = 0;
	int r;

	catalog_init(c);
	while (p < len) {
		const char *s = text + p;
		const char *nl = memchr(s, '\n', len - p);
		size_t l = nl ? (size_t)(nl - s) : len - p;

		line++;
		p += l + (nl ? 1 : 0);
		if (!nl) {
			r = -EBADMSG; /* every line, "end" included, is terminated */
			goto fail;
		}
		if (memchr(s, '\0', l)) {
			r = -EBADMSG;
			goto fail;
		}
		if (line == 1) {
			/* The input need not be NUL-terminated: compare a copy of the line. */
			char first[32];
			int ver, n = 0;
			if (l >= sizeof(first)) {
				r = -EBADMSG;
				goto fail;
			}
			memcpy(first, s, l);
			first[l] = '\0';
			if (sscanf(first, CATALOG_MAGIC " %d%n", &ver, &n) != 1 || (size_t)n != l ||
			    ver != CATALOG_VERSION) {
				r = -EBADMSG;
				goto fail;
			}
			continue;
		}
		if (ended) {
			r = -EBADMSG;
			goto fail;
		}
		if (l == 0 || s[0] == '#')
			continue;
		const char *sp = memchr(s, ' ', l);
		size_t klen = sp ? (size_t)(sp - s) : l;
		const char *val = sp ? sp + 1 : s + l;
		size_t vlen = sp ? l - klen - 1 : 0;
		r = parse_line(c, &cur, s, klen, val, vlen, &ended, &end_count);
		if (r < 0)
			goto fail;
	}
	if (line == 0 || !ended || end_count != c->n) {
		r = -EBADMSG;
		goto fail;
	}
	return 0;
fail:
	if (err_line)
		*err_line = line;
	catalog_finish(c);
	return r;
}

int catalog_load(struct catalog *c, const char *path, unsigned *err_line)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file(path, CATALOG_MAX_BYTES, &text, &len);

	catalog_init(c);
	if (r < 0)
		return r;
	return catalog_parse(c, text, len, err_line);
}

static int fsync_dir_of(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);

	if (!copy)
		return -ENOMEM;
	_cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return neg_errno();
	if (fsync(dfd) < 0)
		return neg_errno();
	return 0;
}

int catalog_save(const struct catalog *c, const char *path)
{
	_cleanup_free_ char *buf = NULL, *old = NULL, *tmp = NULL;
	size_t len = 0, old_len = 0;
	FILE *m = open_memstream(&buf, &len);
	int r;

	if (!m)
		return -ENOMEM;
	r = catalog_format(c, m);
	if (fclose(m) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0)
		return r;

	if (read_file(path, CATALOG_MAX_BYTES, &old, &old_len) == 0 && old_len == len &&
	    memcmp(old, buf, len) == 0)
		return 0;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	r = write_full(fd, buf, len);
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = neg_errno();
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	if (r == 0 && rename(tmp, path) < 0)
		r = neg_errno();
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	r = fsync_dir_of(path);
	return r < 0 ? r : 1;
}

int catalog_open_image(const char *iso_dir, const struct catalog_entry *e, struct stat *st)
{
	_cleanup_free_ char *full = NULL, *real_dir = NULL, *real = NULL;

	if (asprintf(&full, "%s/%s", iso_dir, e->path) < 0)
		return -ENOMEM;
	real_dir = realpath(iso_dir, NULL);
	real = realpath(full, NULL);
	if (!real_dir || !real)
		return -ENOENT;
	size_t l = strlen(real_dir);
	/* The catalog was checked by the scan, but the folder may have changed since. */
	if (strncmp(real, real_dir, l) != 0 || (real[l] != '/' && !streq(real_dir, "/")))
		return -EXDEV;
	_cleanup_close_ int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, st) < 0)
		return neg_errno();
	if (!S_ISREG(st->st_mode))
		return -EBADFD;
	return take_fd(&fd);
}

bool catalog_id_valid(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return n > 0 && n < CATALOG_ID_MAX;
}
