/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void usage(const struct daemon_spec *spec, FILE *f)
{
	fprintf(f,
		"Usage: %s [--config FILE] [--listen ADDR:PORT]%s [--debug]\n"
		"\n"
		"%s\n"
		"\n"
		"  -c, --config FILE      configuration file (default " ISOBOOT_DEFAULT_CONFIG ")\n"
		"  -l, --listen ADDR:PORT listen without systemd, e.g. %s\n",
		spec->name, spec->https_example ? " [--listen-https ADDR:PORT]" : "", spec->summary,
		spec->listen_example);
	if (spec->https_example)
		fprintf(f,
			"      --listen-https ADDR:PORT\n"
			"                         listen for HTTPS without systemd, e.g. %s\n",
			spec->https_example);
	fprintf(f, "  -d, --debug            log details\n"
		   "  -h, --help             show this help\n"
		   "      --version          show the version\n");
}

int daemon_start(const struct daemon_spec *spec, int argc, char **argv, struct isoboot_config *cfg,
		 struct listen_fds *l, int *exit_code)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"listen", required_argument, NULL, 'l'},
	    {"debug", no_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"listen-https", required_argument, NULL, 'S'},
	    {0},
	};
	const char *config_path = ISOBOOT_DEFAULT_CONFIG, *listen_spec = NULL, *https_spec = NULL;
	bool explicit_config = false;
	int c, r;

	log_init(spec->name, LOG_TARGET_AUTO);
	while ((c = getopt_long(argc, argv, "c:l:dh", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config_path = optarg;
			explicit_config = true;
			break;
		case 'l':
			listen_spec = optarg;
			break;
		case 'S':
			if (!spec->https_example) {
				usage(spec, stderr);
				*exit_code = 2;
				return 1;
			}
			https_spec = optarg;
			break;
		case 'd':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			usage(spec, stdout);
			*exit_code = EXIT_SUCCESS;
			return 1;
		case 'V':
			printf("%s %s\n", spec->name, ISOBOOT_VERSION);
			*exit_code = EXIT_SUCCESS;
			return 1;
		default:
			usage(spec, stderr);
			*exit_code = 2;
			return 1;
		}
	}
	if (optind != argc) {
		usage(spec, stderr);
		*exit_code = 2;
		return 1;
	}
	*exit_code = EXIT_FAILURE;
	if (config_load_default(cfg, config_path, explicit_config) < 0)
		return 1;
	r = listen_acquire(listen_spec, spec->sotype, l);
	if (r == -ENOENT && https_spec)
		r = 0; /* --listen-https alone: HTTPS only */
	if (r == 0 && https_spec && !l->from_systemd) {
		r = listen_add(l, https_spec, "https", spec->sotype);
		if (r < 0)
			log_error_errno(r, "Cannot get the listening socket %s", https_spec);
	} else if (r == -ENOENT) {
		log_error("No socket: run under %s, or give --listen ADDR:PORT", spec->socket_unit);
	} else if (r < 0) {
		log_error_errno(r, "Cannot get the listening socket%s%s", listen_spec ? " " : "",
				listen_spec ? listen_spec : "");
	}
	if (r < 0)
		listen_finish(l);
	if (r < 0) {
		config_finish(cfg);
		return 1;
	}
	*exit_code = EXIT_SUCCESS;
	return 0;
}

static void signals_set(sigset_t *set, bool children)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	if (children)
		sigaddset(set, SIGCHLD);
}

int daemon_signals_open(bool children)
{
	sigset_t set;
	int r;

	signal(SIGPIPE, SIG_IGN);
	signals_set(&set, children);
	r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r != 0)
		return -r;
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? neg_errno() : fd;
}

int daemon_signals_next(int fd)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(fd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return 0;
		if (si.ssi_signo != SIGHUP)
			return (int)si.ssi_signo;
		log_info(
		    "SIGHUP ignored: the configuration is read at start (restart to apply it)");
	}
}

int daemon_signals_wait_stop(int fd)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int sig = daemon_signals_next(fd);

		if (sig == SIGTERM || sig == SIGINT)
			return sig;
		if (sig == 0)
			(void)poll(&p, 1, -1);
	}
}

void daemon_signals_reset(int fd)
{
	sigset_t set;

	signals_set(&set, true);
	close(fd);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGPIPE, SIG_DFL);
}
