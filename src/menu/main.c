/* SPDX-License-Identifier: MIT */
/*
 * isoboot-menu: the HTTP service iPXE talks to. It serves the boot menu (/boot.ipxe), the ISOs
 * (/iso/<id>/...) with byte ranges, and memdisk. Under systemd it takes the listening socket of
 * isoboot-menu.socket (Accept=no); with --listen it opens its own.
 */
#include <getopt.h>
#include <signal.h>

#include "config.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: isoboot-menu [--config FILE] [--listen ADDR:PORT] [--debug]\n"
		"\n"
		"HTTP service for iPXE: the boot menu at /boot.ipxe, the ISOs of the isoboot\n"
		"catalog at /iso/<id>/, and memdisk. Under systemd (isoboot-menu.socket,\n"
		"Accept=no) it serves the socket it is given.\n"
		"\n"
		"  -c, --config FILE      configuration file (default " ISOBOOT_DEFAULT_CONFIG ")\n"
		"  -l, --listen ADDR:PORT listen without systemd, e.g. 0.0.0.0:80 or [::]:80\n"
		"  -d, --debug            log details\n"
		"  -h, --help             show this help\n"
		"      --version          show the version\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"listen", required_argument, NULL, 'l'},
	    {"debug", no_argument, NULL, 'd'},	      {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {0},
	};
	const char *config_path = ISOBOOT_DEFAULT_CONFIG, *listen_spec = NULL;
	bool explicit_config = false;
	struct isoboot_config cfg;
	struct menu_server *server = NULL;
	struct listen_fds l;
	sigset_t stop;
	int c, r, sig;

	log_init("isoboot-menu", LOG_TARGET_AUTO);
	while ((c = getopt_long(argc, argv, "c:l:dh", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config_path = optarg;
			explicit_config = true;
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case 'd':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("isoboot-menu %s\n", ISOBOOT_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (config_load_default(&cfg, config_path, explicit_config) < 0)
		return EXIT_FAILURE;

	r = listen_acquire(listen_spec, SOCK_STREAM, &l);
	if (r == -ENOENT) {
		log_error("No socket: run under isoboot-menu.socket, or give --listen ADDR:PORT");
		config_finish(&cfg);
		return EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "Cannot get the listening socket%s%s", listen_spec ? " " : "",
				listen_spec ? listen_spec : "");
		config_finish(&cfg);
		return EXIT_FAILURE;
	}
	if (l.kind != LISTEN_SOCKET) {
		log_error("systemd passed a connection: isoboot-menu.socket needs Accept=no");
		listen_finish(&l);
		config_finish(&cfg);
		return EXIT_FAILURE;
	}

	/* sendfile() to a closed connection raises SIGPIPE; the daemon threads inherit the mask,
	 * so only sigwait() below sees SIGTERM and SIGINT. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	r = menu_server_start(&cfg, l.fds, l.n, &server);
	l.n = 0; /* the server owns the sockets now */
	listen_finish(&l);
	if (r < 0) {
		config_finish(&cfg);
		return EXIT_FAILURE;
	}
	log_info("Serving the boot menu and %s over HTTP", cfg.iso_dir);
	for (;;) {
		if (sigwait(&stop, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			continue; /* the catalog is reloaded by itself */
		break;
	}
	log_info("Stopping on signal %d", sig);
	menu_server_stop(server);
	config_finish(&cfg);
	return EXIT_SUCCESS;
}
