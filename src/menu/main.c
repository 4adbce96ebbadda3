/* SPDX-License-Identifier: MIT */
/*
 * isoboot-menu: the HTTP service iPXE talks to. It serves the boot menu (/boot.ipxe), the ISOs
 * (/iso/<id>/...) with byte ranges, and memdisk. Under systemd it takes the listening sockets of
 * isoboot-menu.socket and isoboot-menu-https.socket (Accept=no; the HTTPS one is named "https"
 * by FileDescriptorName=); with --listen and --listen-https it opens its own.
 */
#include <arpa/inet.h>
#include <sys/stat.h>

#include "config.h"
#include "daemon.h"
#include "listen.h"
#include "log.h"
#include "server.h"
#include "tls.h"
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
	    .https_example = "0.0.0.0:443",
	    .sotype = SOCK_STREAM,
	};
	struct isoboot_config cfg;
	struct menu_server *server = NULL;
	struct listen_fds l;
	struct tls_pair tls = {0};
	bool tls_fds[ARRAY_SIZE(l.fds)] = {0}, any_tls = false;
	_cleanup_close_ int sfd = -1;
	int r, sig, code;

	if (daemon_start(&spec, argc, argv, &cfg, &l, &code) != 0)
		return code;
	if (l.kind != LISTEN_SOCKET) {
		log_error("systemd passed a connection: isoboot-menu.socket needs Accept=no");
		listen_finish(&l);
		config_finish(&cfg);
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < l.n; i++)
		any_tls |= tls_fds[i] = listen_is(&l, i, "https");
	if (any_tls) {
		/* Under its unit the menu has no view of the host's interfaces (PrivateNetwork):
		 * a generated certificate names the addresses it knows clients use. */
		char addrs[ARRAY_SIZE(l.fds)][INET6_ADDRSTRLEN + 8];
		const char *names[ARRAY_SIZE(l.fds) + 2];
		size_t n = 0;
		if (!str_empty(cfg.server_address))
			names[n++] = cfg.server_address;
		for (size_t i = 0; i < l.n; i++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof(ss);
			if (getsockname(l.fds[i], (struct sockaddr *)&ss, &len) == 0 &&
			    !sockaddr_is_any((struct sockaddr *)&ss) &&
			    sockaddr_format((struct sockaddr *)&ss, len, addrs[i], sizeof(addrs[i]),
					    0) == 0)
				names[n++] = addrs[i];
		}
		names[n] = NULL;
		const struct tls_gen gen = {.type = TLS_KEY_RSA, .names = names};
		/* A generated pair is kept in a folder of its own, the only one the menu's unit
		 * may write to (ReadWritePaths): never where the ISOs or the catalog are. */
		_cleanup_free_ char *tls_dir = NULL;
		if (asprintf(&tls_dir, "%s/tls", cfg.state_dir) < 0) {
			r = log_error_errno(-ENOMEM, "Out of memory");
			goto fail;
		}
		if (str_empty(cfg.menu_certificate) && mkdir(tls_dir, 0700) < 0 &&
		    errno != EEXIST) {
			r = log_error_errno(neg_errno(), "Cannot create %s", tls_dir);
			goto fail;
		}
		r = tls_load(cfg.menu_certificate, cfg.menu_key, tls_dir, "menu", &gen, &tls);
		if (r < 0) {
			log_error_errno(r, "No certificate for HTTPS");
			goto fail;
		}
		if (tls.generated)
			log_notice("Made a self-signed certificate %s", tls.cert_path);
		log_full(LOG_INFO, 0, NULL,
			 (const struct log_field[]){{"ISOBOOT_TLS_FINGERPRINT", tls.fingerprint},
						    {NULL, NULL}},
			 "HTTPS certificate %s, SHA-256 fingerprint %s", tls.cert_path,
			 tls.fingerprint);
		if (!tls.rsa)
			log_warning("The HTTPS certificate %s has no RSA key: iPXE 1.21.1 cannot "
				    "verify it (its clients fall back to HTTP, or fail with "
				    "https = require)",
				    tls.cert_path);
		if (tls.not_after > 0 && tls.not_after < time(NULL) + 30 * 86400)
			log_warning("The HTTPS certificate %s expires in less than 30 days",
				    tls.cert_path);
	} else if (cfg.menu_https == MENU_HTTPS_REQUIRE) {
		log_error("[menu] https = require, but there is no HTTPS socket "
			  "(isoboot-menu-https.socket, or --listen-https)");
		goto fail;
	} else if (cfg.menu_https == MENU_HTTPS_PREFER) {
		log_warning("[menu] https = prefer, but there is no HTTPS socket "
			    "(isoboot-menu-https.socket, or --listen-https): plain HTTP only");
	}

	sfd = daemon_signals_open(false);
	if (sfd < 0) {
		log_error_errno(sfd, "Cannot take the signals");
		goto fail;
	}

	r = menu_server_start(&cfg, l.fds, tls_fds, l.n, tls.cert_pem, tls.key_pem, &server);
	l.n = 0; /* the server owns the sockets now */
	listen_finish(&l);
	if (r < 0)
		goto fail;
	log_info("Serving the boot menu and %s over HTTP%s%s", cfg.iso_dir,
		 any_tls ? " and HTTPS, https = " : "",
		 any_tls ? (const char *[]){"off", "prefer", "require"}[cfg.menu_https] : "");
	sig = daemon_signals_wait_stop(sfd);
	log_info("Stopping on signal %d", sig);
	menu_server_stop(server);
	tls_free(&tls);
	config_finish(&cfg);
	return EXIT_SUCCESS;
fail:
	listen_finish(&l);
	tls_free(&tls);
	config_finish(&cfg);
	return EXIT_FAILURE;
}
