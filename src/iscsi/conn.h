/* SPDX-License-Identifier: MIT */
/*
 * One iSCSI connection, which is one session (MaxConnections=1, ErrorRecoveryLevel=0): login,
 * discovery, full feature phase and logout. It consumes received bytes and produces PDUs into an
 * output queue that an out_sink writes; the socket itself belongs to the caller, so tests and
 * fuzzers drive the same code through memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "config.h"

struct catalog;
struct conn;

struct iscsi_env {
	const struct catalog *catalog;
	const char *iso_dir;
	enum iscsi_device_type device_type;
	const char *portal;    /* "ADDR:PORT" for TargetAddress: where the client reached us */
	const char *client;    /* the initiator's address, for logs */
	const char *chap_user; /* NULL or "": no CHAP */
	const char *chap_secret;
	const char *chap_mutual_user; /* NULL or "": one-way CHAP */
	const char *chap_mutual_secret;
};

/* Where output goes: a socket, or memory in tests. Both return 0 or a negative errno. */
struct out_sink {
	/* Writes all of iov; more means more data follows at once (MSG_MORE). */
	int (*writev)(void *ctx, const struct iovec *iov, int n, bool more);
	/* Writes len bytes of fd from off. Returns bytes written: fewer when the file is shorter.
	 */
	ssize_t (*sendfile)(void *ctx, int fd, uint64_t off, size_t len, bool more);
	void *ctx;
};

enum conn_state {
	CONN_LOGIN,
	CONN_FULL_FEATURE,
	CONN_CLOSING, /* flush what is queued, then close */
};

struct conn *conn_new(const struct iscsi_env *env);
void conn_free(struct conn *c);

/* The receive buffer: read into conn_rbuf(c) + conn_rbuf_len(c), up to conn_rbuf_space(c). */
uint8_t *conn_rbuf(struct conn *c);
size_t conn_rbuf_len(const struct conn *c);
size_t conn_rbuf_space(const struct conn *c);

/*
 * Accounts n newly received bytes and handles every complete PDU in the buffer, queueing
 * responses. Stops early when the output queue is full: flush and call again with n = 0.
 */
void conn_received(struct conn *c, size_t n);

/* Whether output is waiting. */
bool conn_has_output(const struct conn *c);

/* Writes the queued output. 0, or a negative errno from the sink (the connection is dead). */
int conn_flush(struct conn *c, const struct out_sink *sink);

enum conn_state conn_state(const struct conn *c);

/* Why the connection is ending (or NULL), for the session's last log entry. */
void conn_set_end_reason(struct conn *c, const char *reason);

/* Logs the end of the session: initiator, target, ISO, bytes read, duration, reason. */
void conn_log_end(struct conn *c);
