/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>

#include "config.h"

#define PROXY_MAX_SOCKETS 8

/*
 * Checks and prepares the bound UDP sockets (IPv4, or IPv6 that also receives IPv4): packet
 * information and broadcasts on. A socket on port 4011 takes the requests of clients that have
 * their lease, any other the broadcasts of port 67. 0, or a negative errno (logged).
 */
int proxy_sockets_setup(const int *fds, size_t n);

/*
 * Answers requests on fds until stop_fd becomes readable (a signalfd). Returns 0, or a negative
 * errno (logged) when waiting fails.
 */
int proxy_serve(const struct isoboot_config *cfg, const int *fds, size_t n, int stop_fd);
