/* SPDX-License-Identifier: MIT */
/*
 * Test helper, not a test: acquires its socket exactly as every isoboot daemon does and tells the
 * peer what it got, so that tests can start it under systemd-socket-activate.
 *   stream, listening:  accepts one connection and writes "socket\n" to it
 *   stream, connection: writes "connection\n" to it
 *   datagram:           answers one datagram with "datagram\n"
 */
#include <string.h>
#include <sys/socket.h>

#include "listen.h"
#include "log.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct listen_fds l;
	int sotype = SOCK_STREAM;
	const char *spec = NULL;
	char buf[512];

	log_init("listen-probe", LOG_TARGET_STDERR);
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--datagram"))
			sotype = SOCK_DGRAM;
		else if (streq(argv[i], "--listen") && i + 1 < argc)
			spec = argv[++i];
	}
	int r = listen_acquire(spec, sotype, &l);
	if (r < 0)
		return log_error_errno(r, "No socket"), 1;

	int fd = l.fds[0];
	if (sotype == SOCK_DGRAM) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl) < 0 ||
		    sendto(fd, "datagram\n", 9, 0, (struct sockaddr *)&ss, sl) < 0)
			return log_error_errno(neg_errno(), "datagram"), 1;
	} else if (l.kind == LISTEN_CONNECTION) {
		if (write_full(fd, "connection\n", 11) < 0)
			return 1;
	} else {
		_cleanup_close_ int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0 || write_full(c, "socket\n", 7) < 0)
			return 1;
	}
	listen_finish(&l);
	return 0;
}
