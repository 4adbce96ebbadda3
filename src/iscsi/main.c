/* SPDX-License-Identifier: MIT */
/*
 * isoboot-iscsi: a read-only iSCSI target serving every catalogued ISO. Under systemd each
 * connection is its own process (Accept=yes); with --listen it accepts and forks by itself.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "catalog.h"
#include "config.h"
#include "conn.h"
#include "daemon.h"
#include "listen.h"
#include "log.h"
#include "util.h"

#define SEND_TIMEOUT_S 60
#define USER_TIMEOUT_MS 120000
#define SPIN_NS 50000

static int sock_writev(void *ctx, const struct iovec *iov, int n, bool more)
{
	int fd = *(int *)ctx;
	struct iovec local[256];
	struct msghdr mh = {.msg_iov = local, .msg_iovlen = (size_t)n};

	if (n > (int)ARRAY_SIZE(local))
		return -EINVAL;
	memcpy(local, iov, sizeof(*iov) * (size_t)n);
	while (mh.msg_iovlen > 0) {
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		while (w > 0 && mh.msg_iovlen > 0) {
			if ((size_t)w >= mh.msg_iov->iov_len) {
				w -= (ssize_t)mh.msg_iov->iov_len;
				mh.msg_iov++;
				mh.msg_iovlen--;
			} else {
				mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base + w;
				mh.msg_iov->iov_len -= (size_t)w;
				w = 0;
			}
		}
	}
	return 0;
}

static ssize_t sock_sendfile(void *ctx, int fd, uint64_t off, size_t len, bool more)
{
	int sock = *(int *)ctx;
	off_t o = (off_t)off;
	size_t done = 0;

	(void)more;
	while (done < len) {
		ssize_t n = sendfile(sock, fd, &o, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			break; /* end of file: the image shrank */
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static void tune_socket(int fd)
{
	int one = 1, idle = 60, intvl = 10, cnt = 6;
	struct timeval tv = {.tv_sec = SEND_TIMEOUT_S};

	/* Requests are small and latency-bound; a dead initiator must not pin a process. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/*
	 * A client that vanishes with our data unacknowledged (a booted VM powering off never
	 * ACKs the last read) would otherwise hold this process through ~15 minutes of
	 * retransmissions, with keepalive never starting.
	 */
	unsigned user_timeout = USER_TIMEOUT_MS;
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof(user_timeout));
}

/* Where the client reached us, as "ADDR:PORT"; the configured address wins. */
static void portal_of(int fd, const struct isoboot_config *cfg, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[96];

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(buf, size, "%s:3260",
			 str_empty(cfg->server_address) ? "0.0.0.0" : cfg->server_address);
		return;
	}
	if (str_empty(cfg->server_address)) {
		sockaddr_format((struct sockaddr *)&ss, len, buf, size, 1);
		return;
	}
	uint16_t port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
						 : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (strchr(cfg->server_address, ':'))
		snprintf(addr, sizeof(addr), "[%s]", cfg->server_address);
	else
		snprintf(addr, sizeof(addr), "%s", cfg->server_address);
	snprintf(buf, size, "%s:%u", addr, port);
}

static void client_of(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const char *env = getenv("REMOTE_ADDR");

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		sockaddr_format((struct sockaddr *)&ss, len, buf, size, 0);
	else
		snprintf(buf, size, "%s", env ? env : "unknown");
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Right after a response, the next command of an initiator that keeps one command in flight
 * is tens of microseconds away: polling for it briefly saves a sleep and a wake-up, which at
 * queue depth 1 is a large part of the round trip. Past SPIN_NS, recv() sleeps as usual, and
 * spinning stays off until a command again arrives within SPIN_NS of going to sleep: slow or
 * idle initiators (iPXE over a real network, a booted OS) cost no CPU.
 */
static ssize_t spin_recv(int fd, void *buf, size_t len)
{
	uint64_t end = now_ns() + SPIN_NS;

	do {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			return n;
	} while (now_ns() < end);
	errno = EAGAIN;
	return -1;
}

/* Serves one connection to its end. */
static int serve(int fd, const struct isoboot_config *cfg)
{
	char portal[128], client[96];
	struct catalog cat;
	unsigned line = 0;
	int r;

	tune_socket(fd);
	portal_of(fd, cfg, portal, sizeof(portal));
	client_of(fd, client, sizeof(client));

	_cleanup_free_ char *path = config_catalog_path(cfg);
	r = path ? catalog_load(&cat, path, &line) : -ENOMEM;
	if (r == -EBADMSG)
		log_error("%s:%u: the catalog is not valid; serving no targets", path, line);
	else if (r == -ENOENT)
		log_warning("%s does not exist yet (has isoboot-scan run?); serving no targets",
			    path);
	else if (r < 0)
		log_error_errno(r, "Cannot read the catalog %s; serving no targets", path);
	if (r < 0)
		catalog_init(&cat);

	struct iscsi_env env = {
	    .catalog = &cat,
	    .iso_dir = cfg->iso_dir,
	    .device_type = cfg->device_type,
	    .portal = portal,
	    .client = client,
	    .chap_user = cfg->chap_user,
	    .chap_secret = cfg->chap_secret,
	    .chap_mutual_user = cfg->chap_mutual_user,
	    .chap_mutual_secret = cfg->chap_mutual_secret,
	};
	struct out_sink sink = {.writev = sock_writev, .sendfile = sock_sendfile, .ctx = &fd};
	struct conn *c = conn_new(&env);
	if (!c) {
		catalog_finish(&cat);
		return log_error_errno(-ENOMEM, "Cannot set up the connection from %s", client);
	}

	/* The login has a deadline from the connection's start: a client trickling a byte now and
	 * then must not keep a process for ever. */
	uint64_t login_deadline = now_ns() + (uint64_t)cfg->iscsi_login_timeout * 1000000000ull;
	bool rcv_timeout_set = false, spin = true;
	for (;;) {
		if (conn_has_output(c)) {
			r = conn_flush(c, &sink);
			if (r < 0) {
				conn_set_end_reason(c, r == -EAGAIN
							   ? "send timeout"
							   : "connection lost while sending");
				break;
			}
			/* Input may be waiting for room in the output queue. */
			conn_received(c, 0);
			if (conn_has_output(c))
				continue;
		}
		if (conn_state(c) == CONN_CLOSING)
			break;
		/* A blocking recv() straight away: at queue depth 1 every syscall is latency.
		 * During login SO_RCVTIMEO bounds the wait. */
		bool login = conn_state(c) == CONN_LOGIN;
		if (login) {
			uint64_t now = now_ns();
			if (now >= login_deadline) {
				log_warning("Connection from %s: login timed out", client);
				conn_set_end_reason(c, "login timeout");
				break;
			}
			uint64_t left_us = (login_deadline - now) / 1000 + 1;
			struct timeval tv = {.tv_sec = (time_t)(left_us / 1000000),
					     .tv_usec = (suseconds_t)(left_us % 1000000)};
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			rcv_timeout_set = true;
		} else if (rcv_timeout_set) {
			struct timeval tv = {0};
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			rcv_timeout_set = false;
		}
		ssize_t n = -1;
		errno = EAGAIN;
		if (!login && spin)
			n = spin_recv(fd, conn_rbuf(c) + conn_rbuf_len(c), conn_rbuf_space(c));
		if (n < 0 && errno == EAGAIN) {
			/* Spin again only for an initiator whose commands come back that fast. */
			uint64_t idle_from = now_ns();
			n = recv(fd, conn_rbuf(c) + conn_rbuf_len(c), conn_rbuf_space(c), 0);
			spin = now_ns() - idle_from < SPIN_NS;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && login)
			continue; /* the deadline is checked above */
		if (n <= 0) {
			conn_set_end_reason(c, n == 0 ? "connection closed by the initiator"
						      : "connection error");
			break;
		}
		conn_received(c, (size_t)n);
	}
	conn_log_end(c);
	conn_free(c);
	catalog_finish(&cat);
	return 0;
}

/* The connections being served by children, and where from, for the caps. */
struct child {
	pid_t pid;
	struct sockaddr_storage from;
};

static bool same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return true;
}

static void reap(struct child *kids, size_t *n)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (size_t i = 0; i < *n; i++)
			if (kids[i].pid == pid) {
				kids[i] = kids[--*n];
				break;
			}
}

/*
 * Without systemd: a child per connection, at most [iscsi] max_connections at once and
 * max_connections_per_source from one address, as isoboot-iscsi.socket limits them. A
 * connection over a cap is closed at once, with a warning (one a second at most).
 */
static int accept_loop(int lfd, const struct isoboot_config *cfg)
{
	_cleanup_close_ int sfd = daemon_signals_open(true);
	_cleanup_free_ struct child *kids = calloc(cfg->iscsi_max_connections, sizeof(*kids));
	size_t n = 0;
	time_t warned = 0;

	if (sfd < 0)
		return log_error_errno(sfd, "Cannot take the signals");
	if (!kids)
		return log_error_errno(-ENOMEM, "Cannot track the connections");
	/* poll() says when to accept; a connection reset in between must not block accept(). */
	if (fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) < 0)
		return log_error_errno(neg_errno(),
				       "Cannot make the listening socket non-blocking");
	for (;;) {
		struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		int sig;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(neg_errno(), "poll() failed");
		}
		while ((sig = daemon_signals_next(sfd)) != 0) {
			if (sig == SIGCHLD)
				reap(kids, &n);
			if (sig == SIGTERM || sig == SIGINT) {
				/* As under systemd: the connections being served go on. */
				log_info("Stopping on signal %d; %zu connection%s go%s on", sig, n,
					 n == 1 ? "" : "s", n == 1 ? "es" : "");
				return 0;
			}
		}
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(lfd, (struct sockaddr *)&from, &len, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			return log_error_errno(neg_errno(), "accept() failed");
		}
		reap(kids, &n);
		size_t same = 0;
		for (size_t i = 0; i < n; i++)
			same += same_source(&kids[i].from, &from);
		if (n >= cfg->iscsi_max_connections || same >= cfg->iscsi_max_per_source) {
			char addr[INET6_ADDRSTRLEN + 8] = "?";
			sockaddr_format((struct sockaddr *)&from, len, addr, sizeof(addr), 0);
			if (time(NULL) != warned)
				log_warning("Refusing a connection from %s: %s connections", addr,
					    n >= cfg->iscsi_max_connections
						? "already max_connections"
						: "already its "
						  "max_connections_per_source");
			warned = time(NULL);
			close(fd);
			continue;
		}
		pid_t pid = fork();
		if (pid < 0) {
			log_error_errno(neg_errno(), "Cannot fork for a new connection");
			close(fd);
			continue;
		}
		if (pid == 0) {
			close(lfd);
			daemon_signals_reset(sfd);
			_exit(serve(fd, cfg) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
		}
		kids[n++] = (struct child){.pid = pid, .from = from};
		close(fd);
	}
}

int main(int argc, char **argv)
{
	static const struct daemon_spec spec = {
	    .name = "isoboot-iscsi",
	    .socket_unit = "isoboot-iscsi.socket",
	    .summary =
		"Read-only iSCSI target for every ISO in the isoboot catalog. Under systemd\n"
		"(isoboot-iscsi.socket, Accept=yes) it serves the connection it is given;\n"
		"with --listen it accepts connections itself, one process each.",
	    .listen_example = "0.0.0.0:3260 or [::]:3260",
	    .sotype = SOCK_STREAM,
	};
	struct isoboot_config cfg;
	struct listen_fds l;
	int r, code;

	if (daemon_start(&spec, argc, argv, &cfg, &l, &code) != 0)
		return code;
	if (l.kind == LISTEN_CONNECTION)
		r = serve(l.fds[0], &cfg);
	else
		r = accept_loop(l.fds[0], &cfg);
	listen_finish(&l);
	config_finish(&cfg);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
