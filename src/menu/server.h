/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define MENU_CONNECTION_TIMEOUT_S 60
#define MENU_CONNECTION_LIMIT 512
#define MENU_PER_IP_LIMIT 128
/* Past MENU_CONNECTION_LIMIT - MENU_CONNECTION_RESERVE connections, a new one evicts the one that
 * has waited longest for a whole request. */
#define MENU_CONNECTION_RESERVE 64
/* Seconds a request may take to arrive whole (also the idle time between two requests). */
#define MENU_HEADER_DEADLINE_S 15
/* Per connection: the request line and headers must fit, with room for MHD's own buffers. */
#define MENU_CONNECTION_MEMORY (32u << 10)

struct menu_server;

/*
 * Starts serving on the listening sockets fds (ownership passes to the server, also on error),
 * one libmicrohttpd daemon with its own thread each; those marked in tls_fds (NULL: none) speak
 * TLS with the PEM pair given. cfg and the PEM texts must outlive the server.
 */
int menu_server_start(const struct isoboot_config *cfg, const int *fds, const bool *tls_fds,
		      size_t n_fds, const char *cert_pem, const char *key_pem,
		      struct menu_server **out);

/* Stops the daemons (open connections are closed) and frees everything. */
void menu_server_stop(struct menu_server *s);
