/* SPDX-License-Identifier: MIT */
/*
 * isoboot-proxydhcp: a PXE ProxyDHCP. It tells PXE and iPXE clients what to boot from isoboot
 * while the site's DHCP server, which knows nothing of PXE, hands out the addresses. Under
 * systemd it takes the datagram sockets of isoboot-proxydhcp.socket (ports 67 and 4011); with
 * --listen it opens its own.
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
	    .name = "isoboot-proxydhcp",
	    .socket_unit = "isoboot-proxydhcp.socket",
	    .summary =
		"PXE ProxyDHCP: answers the DHCP requests of PXE and iPXE clients with the boot\n"
		"file (pxelinux.0, snponly.efi) or, for iPXE, the isoboot menu URL, and the\n"
		"address of the interface the request came in on. It never offers an address.\n"
		"Under systemd (isoboot-proxydhcp.socket) it serves the UDP sockets it is given:\n"
		"port 67, and port 4011 for requests of clients that have their lease. --listen\n"
		"takes several addresses separated by commas.",
	    .listen_example = "0.0.0.0:67,0.0.0.0:4011",
	    .sotype = SOCK_DGRAM,
	};
	struct isoboot_config cfg;
	struct listen_fds l;
	int r, code;

	if (daemon_start(&spec, argc, argv, &cfg, &l, &code) != 0)
		return code;

	_cleanup_close_ int sfd = daemon_signals_open(false);
	if (sfd < 0) {
		r = log_error_errno(sfd, "Cannot take the signals");
		goto finish;
	}
	r = proxy_sockets_setup(l.fds, l.n);
	if (r < 0)
		goto finish;
	log_info("Answering PXE clients on %zu socket%s%s", l.n, l.n == 1 ? "" : "s",
		 cfg.n_proxydhcp_interfaces || cfg.n_proxydhcp_subnets
		     ? " (restricted by [proxydhcp] interfaces/subnets)"
		     : "");
	for (;;) {
		r = proxy_serve(&cfg, l.fds, l.n, sfd);
		if (r < 0)
			break;
		int sig = daemon_signals_next(sfd);
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("Stopping on signal %d", sig);
			break;
		}
	}
finish:
	listen_finish(&l);
	config_finish(&cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
