/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog.h"
#include "config.h"
#include "efiboot.h"
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
	if (r >= 0 && iso_efi_arches(&src.src, &info, &e->efi_arches, &problem) < 0)
		log_info("%s: UEFI architectures unknown (x64 assumed): %s", file, problem);
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
		r = scan_update(&cfg, to_stdout);
	config_finish(&cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
