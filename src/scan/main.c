/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog.h"
#include "config.h"
#include "iso9660.h"
#include "log.h"
#include "recipe.h"
#include "scan.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: isoboot-scan [--config FILE] [--stdout] [--debug]\n"
		   "       isoboot-scan [--config FILE] --inspect FILE [PATH...]\n"
		   "\n"
		   "Rebuilds the isoboot catalog from the ISO folder.\n"
		   "\n"
		   "  -c, --config FILE  configuration file (default " ISOBOOT_DEFAULT_CONFIG ")\n"
		   "      --stdout       print the catalog instead of writing it\n"
		   "      --inspect FILE print what the scan sees in one image, and where each\n"
		   "                     PATH inside it lies\n"
		   "  -d, --debug        log every catalogued ISO\n"
		   "  -h, --help         show this help\n"
		   "      --version      show the version\n");
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
		log_full(LOG_INFO, 0, MSGID_SCAN_ISO,
			 (const struct log_field[]){{"ISOBOOT_ISO", e->path},
						    {"ISOBOOT_ID", e->id},
						    {"ISOBOOT_EVENT", "added"},
						    {NULL, NULL}},
			 "Added %s as %s (label '%s', %" PRIu64 " bytes)", e->path, e->id, e->label,
			 e->size);
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

static int inspect(const struct isoboot_config *cfg, const char *file, char **paths, int n_paths)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct iso_fd_source src;
	struct iso_info info;
	struct iso_volume vol;
	struct catalog cat;
	struct stat st;
	char id[CATALOG_ID_MAX];
	const char *problem;
	int r;

	if (fd < 0)
		return log_error_errno(neg_errno(), "Cannot open %s", file);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return log_error_errno(-EBADFD, "%s is not a regular file", file);
	iso_fd_source_init(&src, fd, (uint64_t)st.st_size);
	r = iso_inspect(&src.src, &info);
	if (r < 0)
		return log_error("%s: %s", file, info.problem ? info.problem : strerror(-r)), r;

	r = iso_volume_open(&vol, &src.src, &problem);
	if (r < 0)
		return log_error("%s: %s", file, problem), r;

	const char *base = strrchr(file, '/'), *why = NULL;
	base = base ? base + 1 : file;
	catalog_init(&cat);
	struct catalog_entry *e = catalog_add(&cat);
	r = e ? catalog_make_id(base, id) : -ENOMEM;
	if (r == 0)
		r = scan_entry_fill(e, id, base, "", cfg->iqn_prefix, &st, &info);
	if (r == 0)
		r = recipe_derive(&vol, e, &why);
	if (r == 0)
		log_info("%s: no boot recipe: %s", file, why);
	if (r >= 0)
		r = catalog_format(&cat, stdout);
	catalog_finish(&cat);
	if (r < 0)
		return log_error_errno(r, "Cannot describe %s", file);

	for (int i = 0; i < n_paths; i++) {
		struct iso_dirent d;
		r = iso_lookup(&vol, paths[i], false, &d);
		if (r < 0) {
			printf("missing %s %s\n", paths[i], strerror(-r));
			continue;
		}
		printf("%s %s %" PRIu64 " %" PRIu64 "\n", d.directory ? "dir" : "file", paths[i],
		       (uint64_t)d.extent * ISO_BLOCK_SIZE, d.size);
	}
	return fflush(stdout) == 0 ? 0 : -EIO;
}

static int run(const struct isoboot_config *cfg, bool to_stdout)
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"stdout", no_argument, NULL, 'S'},
	    {"inspect", required_argument, NULL, 'I'},
	    {"debug", no_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	const char *config_path = ISOBOOT_DEFAULT_CONFIG;
	const char *inspect_file = NULL;
	bool explicit_config = false, to_stdout = false;
	struct isoboot_config cfg = {0};
	int c, r;

	log_init("isoboot-scan", LOG_TARGET_AUTO);
	while ((c = getopt_long(argc, argv, "c:dh", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config_path = optarg;
			explicit_config = true;
			break;
		case 'S':
			to_stdout = true;
			break;
		case 'I':
			inspect_file = optarg;
			break;
		case 'd':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("isoboot-scan %s\n", ISOBOOT_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc && !inspect_file) {
		usage(stderr);
		return 2;
	}

	if (config_load_default(&cfg, config_path, explicit_config) < 0)
		return EXIT_FAILURE;
	if (inspect_file)
		r = inspect(&cfg, inspect_file, argv + optind, argc - optind);
	else
		r = run(&cfg, to_stdout);
	config_finish(&cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
