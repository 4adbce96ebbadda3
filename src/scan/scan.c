/* SPDX-License-Identifier: MIT */
#include "scan.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog.h"
#include "config.h"
#include "efiboot.h"
#include "ident.h"
#include "iso9660.h"
#include "log.h"
#include "recipe.h"
#include "sidecar.h"
#include "util.h"

struct walk {
	const char *iso_dir;
	char *iso_real; /* iso_dir with symlinks resolved, for containment checks */
	const char *iqn_prefix;
	struct catalog *cat;
	struct scan_stats *stats;
};

/* Files that are still being written by common tools, or are not meant to be served. */
static const char *const partial_suffixes[] = {
    ".part", ".tmp", ".partial", ".crdownload", ".download", "~",
};

static void skip(struct walk *w, const char *rel, const char *why)
{
	w->stats->skipped++;
	log_full(
	    LOG_WARNING, 0, MSGID_SCAN_SKIP,
	    (const struct log_field[]){{"ISOBOOT_ISO", rel}, {"ISOBOOT_REASON", why}, {NULL, NULL}},
	    "Skipping %s: %s", rel, why);
}

static char *join(const char *a, const char *b)
{
	char *s;

	if (str_empty(a))
		return strdup(b);
	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

int scan_entry_fill(struct catalog_entry *e, const char *id, const char *rel, const char *group,
		    const char *iqn_prefix, const struct stat *st, const struct iso_info *info)
{
	const char *base = strrchr(rel, '/');

	base = base ? base + 1 : rel;
	size_t nlen = strlen(base);
	if (nlen > 4 && strcasecmp(base + nlen - 4, ".iso") == 0)
		nlen -= 4;
	e->id = strdup(id);
	e->path = strdup(rel);
	e->group = strdup(group);
	e->name = strndup(base, nlen);
	e->label = strdup(info->label);
	if (asprintf(&e->iqn, "%s:%s", iqn_prefix, id) < 0)
		e->iqn = NULL;
	if (!e->id || !e->path || !e->group || !e->name || !e->label || !e->iqn)
		return -ENOMEM;
	e->size = (uint64_t)st->st_size;
	e->mtime = st->st_mtim.tv_sec;
	e->volume_size = info->volume_size;
	memcpy(e->boot, info->boot, sizeof(e->boot));
	e->n_boot = info->n_boot;
	e->layouts = info->layouts;
	e->mbr = info->mbr;
	e->gpt = info->gpt;
	return 0;
}

/* The name the ISO gives itself, instead of its file name, and the boot recipe from its own
 * boot configuration, when its family is known. */
static int add_from_tree(struct catalog_entry *e, const struct iso_source *src, const char *rel)
{
	struct iso_volume v;
	const char *problem, *why = NULL;
	int r = iso_volume_open(&v, src, &problem);

	if (r == 0) {
		char *name = NULL;
		r = ident_name(&v, &name);
		if (r == -ENOMEM)
			return r;
		if (r > 0) {
			free(e->name);
			e->name = name;
		}
		r = recipe_derive(&v, e, &why);
	}
	if (r == -ENOMEM)
		return r;
	if (r > 0)
		log_full(LOG_DEBUG, 0, MSGID_SCAN_ISO,
			 (const struct log_field[]){
			     {"ISOBOOT_ISO", rel}, {"ISOBOOT_RECIPE", e->recipe}, {NULL, NULL}},
			 "%s boots as %s: kernel %s, %zu initrds, needs %" PRIu64 " MiB of RAM",
			 rel, e->recipe, e->kernel, e->n_initrd, e->ram >> 20);
	else
		log_full(LOG_DEBUG, 0, MSGID_SCAN_ISO,
			 (const struct log_field[]){{"ISOBOOT_ISO", rel}, {NULL, NULL}},
			 "%s has no boot recipe: %s", rel, why ? why : "its volume cannot be read");
	return 0;
}

/* The architectures of the ISO's UEFI boot loaders: the menu offers it where they run. */
static void add_efi_arches(struct catalog_entry *e, const struct iso_source *src,
			   const struct iso_info *info, const char *rel)
{
	const char *problem;

	if (iso_efi_arches(src, info, &e->efi_arches, &problem) == 0)
		return;
	log_full(LOG_DEBUG, 0, MSGID_SCAN_ISO,
		 (const struct log_field[]){{"ISOBOOT_ISO", rel}, {NULL, NULL}},
		 "%s: UEFI architectures unknown (x64 assumed): %s", rel, problem);
}

static int fill_entry(struct walk *w, const char *rel, const char *group, const struct stat *st,
		      const struct iso_info *info, const struct iso_source *src)
{
	char id[CATALOG_ID_MAX];
	int r = catalog_make_id(rel, id);

	if (r < 0)
		return r;
	if (catalog_find_id(w->cat, id)) {
		/* 48 bits of SHA-256 make this practically impossible; never serve the wrong ISO.
		 */
		skip(w, rel, "its id collides with another ISO's; rename it");
		return 0;
	}
	struct catalog_entry *e = catalog_add(w->cat);
	if (!e)
		return -ENOMEM;
	r = scan_entry_fill(e, id, rel, group, w->iqn_prefix, st, info);
	if (r == 0)
		r = add_from_tree(e, src, rel);
	if (r < 0)
		return r;
	add_efi_arches(e, src, info, rel);
	w->stats->isos++;
	log_full(LOG_DEBUG, 0, MSGID_SCAN_ISO,
		 (const struct log_field[]){{"ISOBOOT_ISO", rel}, {"ISOBOOT_ID", id}, {NULL, NULL}},
		 "Catalogued %s as %s (label '%s', %" PRIu64 " bytes, %zu boot entries)", rel, id,
		 info->label, e->size, e->n_boot);
	return 0;
}

/* The sidecar's text: 0, 1 with problems filled in, or -ENOMEM. */
static int read_sidecar(int dfd, const char *file, const char *sc_rel, char **text, size_t *len,
			char problems[SIDECAR_PROBLEMS_MAX])
{
	struct stat st;
	_cleanup_close_ int fd =
	    openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(problems, SIDECAR_PROBLEMS_MAX, "%s: cannot be read: %s", sc_rel,
			 strerror(errno));
		return 1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(problems, SIDECAR_PROBLEMS_MAX, "%s: not a regular file", sc_rel);
		return 1;
	}
	if ((uint64_t)st.st_size > SIDECAR_MAX_BYTES) {
		snprintf(problems, SIDECAR_PROBLEMS_MAX, "%s: larger than %u bytes", sc_rel,
			 SIDECAR_MAX_BYTES);
		return 1;
	}
	*len = (size_t)st.st_size;
	if (!(*text = malloc(*len + 1)))
		return -ENOMEM;
	ssize_t n = pread_full(fd, *text, *len, 0);
	if (n < 0 || (size_t)n != *len) {
		snprintf(problems, SIDECAR_PROBLEMS_MAX, "%s: cannot be read: %s", sc_rel,
			 n < 0 ? strerror((int)-n) : "it changed while being read");
		return 1;
	}
	(*text)[*len] = '\0';
	return 0;
}

/* Reads NAME.iso.isoboot beside the ISO into e, when there is one; only -ENOMEM is an error. */
static int add_sidecar(int dfd, const char *name, const char *rel, struct catalog_entry *e)
{
	_cleanup_free_ char *file = NULL, *sc_rel = NULL, *text = NULL;
	char problems[SIDECAR_PROBLEMS_MAX];
	struct sidecar sc;
	struct stat st;
	size_t len = 0;

	if (asprintf(&file, "%s%s", name, SIDECAR_SUFFIX) < 0 ||
	    asprintf(&sc_rel, "%s%s", rel, SIDECAR_SUFFIX) < 0)
		return -ENOMEM;
	if (fstatat(dfd, file, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
		return 0;
	int r = read_sidecar(dfd, file, sc_rel, &text, &len, problems);
	if (r == 0)
		r = sidecar_parse(sc_rel, text, len, &sc, problems);
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		sidecar_apply(&sc, e);
		sidecar_finish(&sc);
		log_full(LOG_DEBUG, 0, MSGID_SCAN_ISO,
			 (const struct log_field[]){{"ISOBOOT_ISO", rel}, {NULL, NULL}},
			 "%s: settings from %s (method %s%s%s%s)", rel, sc_rel,
			 catalog_method_to_string(e->method), e->hidden ? ", hidden" : "",
			 e->extra ? ", adds " : "", e->extra ? e->extra : "");
		return 0;
	}
	log_full(LOG_WARNING, 0, MSGID_SCAN_ISO,
		 (const struct log_field[]){
		     {"ISOBOOT_ISO", rel}, {"ISOBOOT_SIDECAR", sc_rel}, {NULL, NULL}},
		 "%s is catalogued without its settings file: %s", rel, problems);
	return 0;
}

static int scan_file(struct walk *w, int dfd, const char *name, const char *rel, const char *group,
		     const char *open_path)
{
	struct iso_fd_source src;
	struct iso_info info;
	struct stat st;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(partial_suffixes); i++)
		if (str_endswith(name, partial_suffixes[i])) {
			skip(w, rel, "name marks an unfinished copy or download");
			return 0;
		}

	/* O_NONBLOCK: a FIFO dropped into the folder must not hang the scan. */
	_cleanup_close_ int fd =
	    open_path
		? open(open_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
		: openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		char why[128];
		snprintf(why, sizeof(why), "cannot open: %s", strerror(errno));
		skip(w, rel, why);
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		skip(w, rel, "not a regular file");
		return 0;
	}
	iso_fd_source_init(&src, fd, (uint64_t)st.st_size);
	r = iso_inspect(&src.src, &info);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		char why[192];
		if (r == -EMEDIUMTYPE || r == -EBADMSG || r == -EOPNOTSUPP)
			snprintf(why, sizeof(why), "%s", info.problem ? info.problem : "corrupt");
		else
			snprintf(why, sizeof(why), "%s: %s", info.problem ? info.problem : "error",
				 strerror(-r));
		skip(w, rel, why);
		return 0;
	}
	size_t before = w->cat->n;
	r = fill_entry(w, rel, group, &st, &info, &src.src);
	if (r == 0 && w->cat->n > before)
		r = add_sidecar(dfd, name, rel, &w->cat->entries[w->cat->n - 1]);
	return r;
}

/* Resolves a symlink and checks that it stays inside the ISO folder. */
static int resolve_link(struct walk *w, const char *rel, char **out, struct stat *st)
{
	_cleanup_free_ char *full = join(w->iso_real, rel);
	char *real;
	size_t l = strlen(w->iso_real);

	if (!full)
		return -ENOMEM;
	real = realpath(full, NULL);
	if (!real)
		return neg_errno();
	if (strncmp(real, w->iso_real, l) != 0 || (real[l] != '/' && !streq(w->iso_real, "/"))) {
		free(real);
		return -EXDEV;
	}
	if (stat(real, st) < 0) {
		int r = neg_errno();
		free(real);
		return r;
	}
	*out = real;
	return 0;
}

static int walk_dir(struct walk *w, int dfd, const char *group, unsigned depth)
{
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	struct dirent *de;
	int r;

	if (!d) {
		r = neg_errno();
		close(dfd);
		return r;
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno != 0)
				return neg_errno();
			break;
		}
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;

		_cleanup_free_ char *rel = join(group, de->d_name);
		_cleanup_free_ char *target = NULL;
		struct stat st;
		if (!rel)
			return -ENOMEM;
		if (de->d_name[0] != '.' && str_endswith(de->d_name, SIDECAR_SUFFIX)) {
			/* Read with its ISO; alone, it is worth a word. */
			size_t n = strlen(de->d_name) - strlen(SIDECAR_SUFFIX);
			_cleanup_free_ char *iso = strndup(de->d_name, n);
			if (!iso)
				return -ENOMEM;
			struct stat ist;
			if (fstatat(dirfd(d), iso, &ist, AT_SYMLINK_NOFOLLOW) < 0)
				skip(w, rel, "settings file without an ISO of that name beside it");
			continue;
		}
		if (de->d_name[0] == '.') {
			skip(w, rel,
			     "hidden file (rsync and other tools write their temporary files "
			     "like this)");
			continue;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			skip(w, rel, "vanished or cannot be examined");
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			r = resolve_link(w, rel, &target, &st);
			if (r == -ENOMEM)
				return r;
			if (r == -EXDEV) {
				skip(w, rel, "symlink points outside the ISO folder");
				continue;
			}
			if (r < 0) {
				skip(w, rel, "dangling or unreadable symlink");
				continue;
			}
			if (S_ISDIR(st.st_mode)) {
				skip(w, rel,
				     "symlink to a directory (not followed, to avoid loops)");
				continue;
			}
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 > SCAN_MAX_DEPTH) {
				skip(w, rel, "folder nested too deep");
				continue;
			}
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			if (sub < 0) {
				skip(w, rel, "folder cannot be opened");
				continue;
			}
			r = walk_dir(w, sub, rel, depth + 1);
			if (r == -ENOMEM)
				return r;
			if (r < 0)
				skip(w, rel, "folder cannot be read");
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			skip(w, rel, "not a regular file");
			continue;
		}
		r = scan_file(w, dirfd(d), de->d_name, rel, group, target);
		if (r < 0)
			return r;
	}
	return 0;
}

int scan_directory(const char *iso_dir, const char *iqn_prefix, struct catalog *cat,
		   struct scan_stats *stats)
{
	_cleanup_free_ char *real = realpath(iso_dir, NULL);
	struct walk w = {
	    .iso_dir = iso_dir,
	    .iqn_prefix = iqn_prefix,
	    .cat = cat,
	    .stats = stats,
	};

	*stats = (struct scan_stats){0};
	if (!real)
		return neg_errno();
	w.iso_real = real;
	int dfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return neg_errno();
	int r = walk_dir(&w, dfd, "", 0);
	if (r < 0)
		return r;
	catalog_sort(cat);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Says which ISOs came and went since the last catalog, so that the journal tells the story. */
static void log_changes(const struct catalog *old, const struct catalog *cur, size_t *added,
			size_t *removed)
{
	*added = *removed = 0;
	for (size_t i = 0; i < cur->n; i++) {
		const struct catalog_entry *e = &cur->entries[i];
		if (catalog_find_id(old, e->id))
			continue;
		(*added)++;
		/* An admin adding a distribution isoboot cannot boot to its userland hears why. */
		log_full(LOG_INFO, 0, MSGID_SCAN_ISO,
			 (const struct log_field[]){{"ISOBOOT_ISO", e->path},
						    {"ISOBOOT_ID", e->id},
						    {"ISOBOOT_EVENT", "added"},
						    {NULL, NULL}},
			 "Added %s as %s (label '%s', %" PRIu64 " bytes)%s", e->path, e->id,
			 e->label, e->size,
			 e->unrecognised && !e->recipe
			     ? "; its Linux is of no family isoboot knows, so the menu offers its "
			       "own boot loader only, which may stop once the kernel starts"
			     : "");
	}
	for (size_t i = 0; i < old->n; i++) {
		const struct catalog_entry *e = &old->entries[i];
		if (catalog_find_id(cur, e->id))
			continue;
		(*removed)++;
		log_full(LOG_INFO, 0, MSGID_SCAN_ISO,
			 (const struct log_field[]){{"ISOBOOT_ISO", e->path},
						    {"ISOBOOT_ID", e->id},
						    {"ISOBOOT_EVENT", "removed"},
						    {NULL, NULL}},
			 "Removed %s (%s)", e->path, e->id);
	}
}

int scan_update(const struct isoboot_config *cfg, bool to_stdout)
{
	_cleanup_free_ char *path = NULL;
	struct catalog cat, old;
	struct scan_stats stats;
	size_t added, removed;
	unsigned line = 0;
	int64_t t0 = now_ms();
	int r;

	catalog_init(&cat);
	catalog_init(&old);
	r = scan_directory(cfg->iso_dir, cfg->iqn_prefix, &cat, &stats);
	if (r < 0) {
		log_error_errno(r, "Cannot scan the ISO folder %s", cfg->iso_dir);
		goto finish;
	}

	if (to_stdout) {
		r = catalog_format(&cat, stdout);
		if (r == 0 && fflush(stdout) != 0)
			r = -EIO;
		if (r < 0)
			log_error_errno(r, "Cannot write the catalog to stdout");
		goto finish;
	}

	path = config_catalog_path(cfg);
	if (!path) {
		r = log_error_errno(-ENOMEM, "Cannot build the catalog path");
		goto finish;
	}
	r = catalog_load(&old, path, &line);
	if (r == -EBADMSG)
		log_warning("%s:%u: previous catalog is not valid, replacing it", path, line);
	else if (r < 0 && r != -ENOENT)
		log_warning_errno(r, "Cannot read the previous catalog %s", path);

	log_changes(&old, &cat, &added, &removed);

	r = catalog_save(&cat, path);
	if (r < 0) {
		log_error_errno(r, "Cannot write the catalog %s", path);
		goto finish;
	}
	char n_isos[32], n_skipped[32];
	snprintf(n_isos, sizeof(n_isos), "%zu", stats.isos);
	snprintf(n_skipped, sizeof(n_skipped), "%zu", stats.skipped);
	log_full(LOG_INFO, 0, MSGID_SCAN_DONE,
		 (const struct log_field[]){{"ISOBOOT_ISOS", n_isos},
					    {"ISOBOOT_SKIPPED", n_skipped},
					    {"ISOBOOT_CATALOG", path},
					    {NULL, NULL}},
		 "Catalog %s: %zu ISOs (%zu added, %zu removed), %zu files skipped, %" PRId64
		 " ms%s",
		 path, stats.isos, added, removed, stats.skipped, now_ms() - t0,
		 r == 0 ? ", unchanged" : "");
	r = 0;
finish:
	catalog_finish(&cat);
	catalog_finish(&old);
	return r;
}
