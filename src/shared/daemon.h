/* SPDX-License-Identifier: MIT */
/* The start-up every socket daemon shares: options, configuration, sockets. */
#pragma once

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
 * configuration and acquires the sockets (systemd's, or --listen's). Returns 0 to go on (cfg and l
 * to be finished by the caller), or the exit code to end with (> 0, or 0 after --help/--version);
 * every error is logged.
 */
int daemon_start(const struct daemon_spec *spec, int argc, char **argv, struct isoboot_config *cfg,
		 struct listen_fds *l, int *exit_code);
