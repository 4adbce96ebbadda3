/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "listen.h"
#include "tap.h"
#include "util.h"

static void test_parse(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[64];

	CHECK_EQ_INT(listen_parse_address("127.0.0.1:8080", &ss, &len), 0);
	CHECK_EQ_INT(ss.ss_family, AF_INET);
	sockaddr_format((struct sockaddr *)&ss, len, buf, sizeof(buf), 1);
	CHECK_STR(buf, "127.0.0.1:8080");
	CHECK_EQ_INT(listen_parse_address("[::1]:3260", &ss, &len), 0);
	CHECK_EQ_INT(ss.ss_family, AF_INET6);
	sockaddr_format((struct sockaddr *)&ss, len, buf, sizeof(buf), 1);
	CHECK_STR(buf, "[::1]:3260");
	CHECK_EQ_INT(listen_parse_address(":80", &ss, &len), 0);
	CHECK_EQ_INT(ss.ss_family, AF_INET6);
	CHECK_EQ_INT(listen_parse_address("*:69", &ss, &len), 0);
	CHECK_EQ_INT(listen_parse_address("127.0.0.1", &ss, &len), -EINVAL);
	CHECK_EQ_INT(listen_parse_address("127.0.0.1:0", &ss, &len), -EINVAL);
	CHECK_EQ_INT(listen_parse_address("127.0.0.1:65536", &ss, &len), -EINVAL);
	CHECK_EQ_INT(listen_parse_address("127.0.0.1:80x", &ss, &len), -EINVAL);
	CHECK_EQ_INT(listen_parse_address("::1:80", &ss, &len), -EINVAL);
	CHECK_EQ_INT(listen_parse_address("[::1]80", &ss, &len), -EINVAL);
	CHECK_EQ_INT(listen_parse_address("[127.0.0.1]:80", &ss, &len), -EINVAL);
	CHECK_EQ_INT(listen_parse_address("host.example:80", &ss, &len), -EINVAL);
	CHECK_EQ_INT(listen_parse_address("", &ss, &len), -EINVAL);

	/* v4-mapped clients are shown as IPv4, which is what goes into URLs. */
	struct sockaddr_in6 m = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &m.sin6_addr);
	sockaddr_format((struct sockaddr *)&m, sizeof(m), buf, sizeof(buf), 0);
	CHECK_STR(buf, "192.0.2.7");
}

/* Pretends to be systemd: fds from 3 on, LISTEN_PID and LISTEN_FDS. */
static void activate(int fd)
{
	char pid[32];

	dup2(fd, 3);
	if (fd != 3)
		close(fd);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", "1", 1);
}

static int open_loopback_listener(void)
{
	for (int port = 47000; port < 47100; port++) {
		char spec[32];
		snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
		int fd = listen_open(spec, SOCK_STREAM);
		if (fd >= 0)
			return fd;
	}
	return -1;
}

static void test_activation(void)
{
	struct listen_fds l;
	int sv[2];

	/* Nothing passed, nothing asked for. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	CHECK_EQ_INT(listen_acquire(NULL, SOCK_STREAM, &l), -ENOENT);

	/* A listening socket: Accept=no. */
	int fd = open_loopback_listener();
	CHECK(fd >= 0);
	activate(fd);
	CHECK_EQ_INT(listen_acquire(NULL, SOCK_STREAM, &l), 0);
	CHECK_EQ_INT(l.kind, LISTEN_SOCKET);
	CHECK_EQ_INT(l.n, 1);
	CHECK_EQ_INT(l.fds[0], 3);
	/* sd_listen_fds(1) unset the variables: a second call sees nothing. */
	CHECK(getenv("LISTEN_FDS") == NULL);
	listen_finish(&l);

	/* A connected socket: Accept=yes. */
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	activate(sv[0]);
	CHECK_EQ_INT(listen_acquire(NULL, SOCK_STREAM, &l), 0);
	CHECK_EQ_INT(l.kind, LISTEN_CONNECTION);
	listen_finish(&l);
	close(sv[1]);

	/* A datagram socket handed to a stream daemon is refused. */
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	activate(sv[0]);
	CHECK_EQ_INT(listen_acquire(NULL, SOCK_STREAM, &l), -EBADF);
	close(3);
	close(sv[1]);

	/* ... and accepted by a datagram daemon. */
	CHECK_EQ_INT(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	activate(sv[0]);
	CHECK_EQ_INT(listen_acquire(NULL, SOCK_DGRAM, &l), 0);
	CHECK_EQ_INT(l.kind, LISTEN_SOCKET);
	listen_finish(&l);
	close(sv[1]);

	/* A file is not a socket. */
	activate(dup(STDIN_FILENO));
	CHECK_EQ_INT(listen_acquire(NULL, SOCK_STREAM, &l), -EBADF);
	close(3);

	/* Fallback: --listen. */
	CHECK_EQ_INT(listen_acquire("127.0.0.1:65535", SOCK_STREAM, &l) == 0 ||
			 listen_acquire("127.0.0.1:65534", SOCK_STREAM, &l) == 0,
		     1);
	CHECK_EQ_INT(l.kind, LISTEN_SOCKET);
	listen_finish(&l);
	CHECK_EQ_INT(listen_acquire("not-an-address", SOCK_STREAM, &l), -EINVAL);

	/* Several --listen addresses, comma-separated (isoboot-proxydhcp: ports 67 and 4011). */
	CHECK_EQ_INT(listen_acquire("127.0.0.1:0,127.0.0.1:1", SOCK_DGRAM, &l), -EINVAL);
	int ok = -1;
	for (int port = 47100; port < 47200 && ok != 0; port += 2) {
		char spec[64];
		snprintf(spec, sizeof(spec), "127.0.0.1:%d,127.0.0.1:%d", port, port + 1);
		ok = listen_acquire(spec, SOCK_DGRAM, &l);
	}
	CHECK_EQ_INT(ok, 0);
	CHECK_EQ_INT(l.n, 2);
	listen_finish(&l);
	CHECK_EQ_INT(listen_acquire("127.0.0.1:47300,", SOCK_DGRAM, &l), -EINVAL);
	CHECK_EQ_INT(listen_acquire(",127.0.0.1:47300", SOCK_DGRAM, &l), -EINVAL);
	CHECK_EQ_INT(l.n, 0);
}

int main(void)
{
	RUN(test_parse);
	RUN(test_activation);
	return tap_done();
}
