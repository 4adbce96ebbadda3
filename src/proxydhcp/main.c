/* SPDX-License-Identifier: MIT */
/*
 * isoboot-proxydhcp: a PXE ProxyDHCP. It tells PXE and iPXE clients what to boot from isoboot
 * while the site's DHCP server, which knows nothing of PXE, hands out the addresses. Under
 * systemd it takes the datagram sockets of isoboot-proxydhcp.socket (ports 67 and 4011); with
 * --listen it opens its own.
 */
#include <signal.h>
#include <sys/signalfd.h>

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
	sigset_t stop;
	int r, code;

	if (daemon_start(&spec, argc, argv, &cfg, &l, &code) != 0)
		return code;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		r = log_error_errno(neg_errno(), "signalfd");
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
		struct signalfd_siginfo si = {0};

		r = proxy_serve(&cfg, l.fds, l.n, sfd);
		if (r < 0)
			break;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP ignored: the configuration is read at start, restart to "
				 "apply it");
			continue;
		}
		log_info("Stopping on signal %u", si.ssi_signo);
		break;
	}
finish:
	listen_finish(&l);
	config_finish(&cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
