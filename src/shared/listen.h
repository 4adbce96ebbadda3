/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum listen_kind {
	LISTEN_NONE,
	LISTEN_SOCKET,	   /* a listening (or, for datagrams, bound) socket */
	LISTEN_CONNECTION, /* an accepted connection, systemd Accept=yes */
};

#define LISTEN_NAME_MAX 32

struct listen_fds {
	enum listen_kind kind;
	int fds[8];
	/* What each socket is for: systemd's FileDescriptorName= ("http", "https"), or the name
	 * of the option that opened it; "" when systemd names none. */
	char names[8][LISTEN_NAME_MAX];
	size_t n;
	bool from_systemd; /* systemd's, not ours to close on an error */
};

/*
 * Parses "ADDR:PORT", "[ADDR6]:PORT", ":PORT" or "*:PORT" (any address, dual stack). 0 or -EINVAL.
 */
int listen_parse_address(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

/*
 * Acquires the sockets of a daemon: the ones systemd passed (sd_listen_fds), told apart as
 * listening sockets or one accepted connection, or else, with listen_spec set, a socket bound to
 * that address, or one per address of a comma-separated list ("0.0.0.0:67,0.0.0.0:4011").
 * sotype is SOCK_STREAM or SOCK_DGRAM. -ENOENT when there is nothing to use; -EBADF when systemd
 * passed something else than sockets of that type.
 */
int listen_acquire(const char *listen_spec, int sotype, struct listen_fds *out);

/*
 * Adds the sockets of listen_spec (as listen_acquire's), each named name. 0 or a negative errno
 * (out is then left as it was).
 */
int listen_add(struct listen_fds *l, const char *listen_spec, const char *name, int sotype);

/* Whether the socket at index i is named name. */
bool listen_is(const struct listen_fds *l, size_t i, const char *name);

void listen_finish(struct listen_fds *l);

/* Opens a socket bound to spec (listening, for SOCK_STREAM). Returns the fd or -errno. */
int listen_open(const char *spec, int sotype);

/* Whether a socket address is the wildcard (0.0.0.0 or ::). */
bool sockaddr_is_any(const struct sockaddr *sa);

/* "ADDR:PORT" / "[ADDR]:PORT" of a socket address, for logs and for URLs. */
int sockaddr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size,
		    int with_port);
