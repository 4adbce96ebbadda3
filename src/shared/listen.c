/* SPDX-License-Identifier: MIT */
#include "listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <systemd/sd-daemon.h>

#include "util.h"

int listen_parse_address(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s;
	uint64_t port;
	size_t hl;

	if (str_empty(spec))
		return -EINVAL;
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - spec - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec + 1, hl);
		host[hl] = '\0';
		port_s = end + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon)
			return -EINVAL;
		hl = (size_t)(colon - spec);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, spec, hl);
		host[hl] = '\0';
		port_s = colon + 1;
	}
	if (parse_u64(port_s, 1, 65535, &port) < 0)
		return -EINVAL;

	memset(ss, 0, sizeof(*ss));
	if (host[0] == '\0' || streq(host, "*")) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	if (spec[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (spec[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

int listen_open(const char *spec, int sotype)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, zero = 0;
	int r = listen_parse_address(spec, &ss, &len);

	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(ss.ss_family, sotype | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return neg_errno();
	/* "[::]:port" and ":port" mean every address, IPv4 included. */
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
		return neg_errno();
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return neg_errno();
	if (sotype == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)
		return neg_errno();
	return take_fd(&fd);
}

int listen_add(struct listen_fds *l, const char *listen_spec, const char *name, int sotype)
{
	size_t first = l->n;

	/* "A,B": one socket each, as a socket unit with several Listen lines passes them. */
	for (const char *p = listen_spec;;) {
		char one[128];
		size_t len = strcspn(p, ",");
		int fd = -EINVAL;

		if (len > 0 && len < sizeof(one) && l->n < ARRAY_SIZE(l->fds)) {
			memcpy(one, p, len);
			one[len] = '\0';
			fd = listen_open(one, sotype);
		}
		if (fd < 0) {
			while (l->n > first)
				close(l->fds[--l->n]);
			return fd;
		}
		l->kind = LISTEN_SOCKET;
		snprintf(l->names[l->n], sizeof(l->names[l->n]), "%s", name);
		l->fds[l->n++] = fd;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

bool listen_is(const struct listen_fds *l, size_t i, const char *name)
{
	return i < l->n && streq(l->names[i], name);
}

int listen_acquire(const char *listen_spec, int sotype, struct listen_fds *out)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);

	*out = (struct listen_fds){.kind = LISTEN_NONE};
	if (n > 0) {
		int r = 0;
		if ((size_t)n > ARRAY_SIZE(out->fds))
			r = -E2BIG;
		for (int i = 0; r == 0 && i < n; i++) {
			int fd = SD_LISTEN_FDS_START + i;
			enum listen_kind kind;

			if (sd_is_socket(fd, AF_UNSPEC, sotype, -1) <= 0) {
				r = -EBADF;
				break;
			}
			if (sotype != SOCK_STREAM || sd_is_socket(fd, AF_UNSPEC, sotype, 1) > 0)
				kind = LISTEN_SOCKET;
			else
				kind = LISTEN_CONNECTION;
			/* Accept=yes passes exactly one connection; never mix the two. */
			if (i > 0 && (kind != out->kind || kind == LISTEN_CONNECTION)) {
				r = -EBADF;
				break;
			}
			out->kind = kind;
			out->from_systemd = true;
			/* systemd's default name is "unknown" (or the socket unit's name). */
			if (names && names[i])
				snprintf(out->names[i], sizeof(out->names[i]), "%s", names[i]);
			out->fds[out->n++] = fd;
		}
		if (names)
			for (int i = 0; i < n; i++)
				free(names[i]);
		free(names);
		if (r < 0) /* systemd's sockets are not ours to close */
			*out = (struct listen_fds){.kind = LISTEN_NONE};
		return r;
	}
	if (n < 0)
		return n;
	if (!listen_spec)
		return -ENOENT;
	return listen_add(out, listen_spec, "", sotype);
}

void listen_finish(struct listen_fds *l)
{
	for (size_t i = 0; i < l->n; i++)
		close(l->fds[i]);
	*l = (struct listen_fds){.kind = LISTEN_NONE};
}

bool sockaddr_is_any(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr ==
		       INADDR_ANY;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return false;
}

int sockaddr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size, int with_port)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		if (with_port)
			snprintf(buf, size, "%s:%u", a, ntohs(s4->sin_port));
		else
			snprintf(buf, size, "%s", a);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		/* A v4 client on a dual-stack socket is shown, and addressed, as plain IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a, sizeof(a));
			if (with_port)
				snprintf(buf, size, "%s:%u", a, ntohs(s6->sin6_port));
			else
				snprintf(buf, size, "%s", a);
			return 0;
		}
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		if (with_port)
			snprintf(buf, size, "[%s]:%u", a, ntohs(s6->sin6_port));
		else
			snprintf(buf, size, "%s", a);
		return 0;
	}
	snprintf(buf, size, "unknown");
	return -EAFNOSUPPORT;
}
