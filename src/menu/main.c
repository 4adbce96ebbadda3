/* SPDX-License-Identifier: MIT */
/*
 * isoboot-menu: the HTTP service iPXE talks to. It serves the boot menu (/boot.ipxe), the ISOs
 * (/iso/<id>/...) with byte ranges, and memdisk. Under systemd it takes the listening socket of
 * isoboot-menu.socket (Accept=no); with --listen it opens its own.
 */
#include <signal.h>

#include "config.h"
#include "daemon.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "util.h"

int main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
	    .name = "isoboot-menu",
	    .socket_unit = "isoboot-menu.socket",
	    .summary =
		"HTTP service for iPXE: the boot menu at /boot.ipxe, the ISOs of the isoboot\n"
		"catalog at /iso/<id>/, and memdisk. Under systemd (isoboot-menu.socket,\n"
		"Accept=no) it serves the socket it is given.",
	    .listen_example = "0.0.0.0:80 or [::]:80",
	    .sotype = SOCK_STREAM,
	};
	struct isoboot_config cfg;
	struct menu_server *server = NULL;
	struct listen_fds l;
	sigset_t stop;
	int r, sig, code;

	if (daemon_start(&spec, argc, argv, &cfg, &l, &code) != 0)
		return code;
	if (l.kind != LISTEN_SOCKET) {
		log_error("systemd passed a connection: isoboot-menu.socket needs Accept=no");
		listen_finish(&l);
		config_finish(&cfg);
		return EXIT_FAILURE;
	}

	/* A send() to a closed connection raises SIGPIPE; the daemon threads inherit the mask,
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
