/* SPDX-License-Identifier: MIT */
/*
 * isoboot-web: the admin page and its JSON API over HTTPS, to upload, list and delete ISOs.
 * Under systemd it takes the listening socket of isoboot-web.socket (Accept=no); with --listen
 * it opens its own. The certificate is the admin's ([web] certificate and key) or one made on
 * the first start and kept in the state folder.
 */

#include "config.h"
#include "daemon.h"
#include "listen.h"
#include "log.h"
#include "tls.h"
#include "util.h"
#include "web.h"

int main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
	    .name = "isoboot-web",
	    .socket_unit = "isoboot-web.socket",
	    .summary = "The admin page of isoboot over HTTPS: upload, list and delete ISOs, with\n"
		       "the accounts of isoboot-passwd. Under systemd (isoboot-web.socket,\n"
		       "Accept=no) it serves the socket it is given.",
	    .listen_example = "0.0.0.0:8443 or [::]:8443",
	    .sotype = SOCK_STREAM,
	};
	struct isoboot_config cfg;
	struct web_server *server = NULL;
	struct tls_pair tls = {0};
	struct listen_fds l;
	_cleanup_close_ int sfd = -1;
	int r, sig, code;

	if (daemon_start(&spec, argc, argv, &cfg, &l, &code) != 0)
		return code;
	if (l.kind != LISTEN_SOCKET) {
		log_error("systemd passed a connection: isoboot-web.socket needs Accept=no");
		listen_finish(&l);
		config_finish(&cfg);
		return EXIT_FAILURE;
	}
	r = tls_load(cfg.web_certificate, cfg.web_key, cfg.state_dir, "web", NULL, &tls);
	if (r < 0) {
		log_error_errno(r, "No usable certificate for HTTPS");
		goto fail;
	}
	if (tls.generated)
		log_notice("Made a self-signed certificate %s", tls.cert_path);
	log_full(
	    LOG_INFO, 0, NULL,
	    (const struct log_field[]){{"ISOBOOT_TLS_FINGERPRINT", tls.fingerprint}, {NULL, NULL}},
	    "HTTPS certificate %s, SHA-256 fingerprint %s (compare it with what the "
	    "browser shows)",
	    tls.cert_path, tls.fingerprint);

	sfd = daemon_signals_open(false);
	if (sfd < 0) {
		log_error_errno(sfd, "Cannot take the signals");
		goto fail;
	}

	r = web_server_start(&cfg, tls.cert_pem, tls.key_pem, l.fds, l.n, &server);
	l.n = 0; /* the server owns the sockets now */
	if (r < 0) {
		log_error_errno(r, "Cannot start the HTTPS server");
		goto fail;
	}
	listen_finish(&l);
	log_info("Serving the admin page for %s over HTTPS", cfg.iso_dir);
	sig = daemon_signals_wait_stop(sfd);
	log_info("Stopping on signal %d", sig);
	web_server_stop(server);
	tls_free(&tls);
	config_finish(&cfg);
	return EXIT_SUCCESS;
fail:
	listen_finish(&l);
	tls_free(&tls);
	config_finish(&cfg);
	return EXIT_FAILURE;
}
