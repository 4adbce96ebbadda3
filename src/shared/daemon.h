/* SPDX-License-Identifier: MIT */
/* The start-up every socket daemon shares: options, configuration, sockets. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "listen.h"

struct daemon_spec {
	const char *name;	 /* "isoboot-iscsi": log identifier, --version */
	const char *socket_unit; /* named when no socket was passed */
	const char *summary;	 /* --help text between the usage line and the options */
	const char *listen_example;
	int sotype;
	/* Offers --listen-https ADDR:PORT: sockets named "https", as FileDescriptorName=https
	 * names systemd's. */
	const char *https_example;
};

/*
 * Parses --config, --listen (and --listen-https), --debug, --help and --version, loads the
 * configuration and acquires the sockets (systemd's, or --listen's and --listen-https's).
 * Returns 0 to go on: cfg and l are then the caller's to finish. Returns 1 to end at once with
 * *exit_code: 0 after --help or --version, 2 for a usage error (the usage printed), 1 when the
 * configuration or a socket fails (logged); nothing is left to finish then.
 */
int daemon_start(const struct daemon_spec *spec, int argc, char **argv, struct isoboot_config *cfg,
		 struct listen_fds *l, int *exit_code);

/*
 * Signals, one way for every daemon. SIGTERM and SIGINT stop it; SIGHUP is logged and ignored
 * (the configuration is read at start; the catalog and the accounts are reread by themselves);
 * with children, SIGCHLD says one has ended. They are blocked in every thread and read from a
 * signalfd in the daemon's own loop, so that none interrupts a system call or a library's
 * thread; SIGPIPE is ignored (a send() to a closed connection fails with EPIPE instead).
 * Call daemon_signals_open() before starting any thread: threads inherit the mask.
 */
/* The signalfd (non-blocking, close-on-exec), or a negative errno. */
int daemon_signals_open(bool children);
/* The next signal to act on: SIGTERM or SIGINT (stop), SIGCHLD; 0 when none is pending. */
int daemon_signals_next(int fd);
/* Waits for SIGTERM or SIGINT, and returns it. */
int daemon_signals_wait_stop(int fd);
/* In a child after fork(): the signals back to their defaults, fd closed. */
void daemon_signals_reset(int fd);
