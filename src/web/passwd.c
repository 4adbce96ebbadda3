/* SPDX-License-Identifier: MIT */
/*
 * isoboot-passwd: sets the password of an account of the admin page. The password is read from
 * standard input or, on a terminal, typed twice without echo; never from the command line,
 * where ps and the shell history would show it.
 */
#include <getopt.h>
#include <signal.h>
#include <termios.h>

#include "config.h"
#include "log.h"
#include "users.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: isoboot-passwd [--config FILE] [--users FILE] USER\n"
		"\n"
		"Sets the password of an account of the isoboot admin page, adding the account\n"
		"if needed. The password is read from standard input (one line), or typed twice\n"
		"at a prompt when standard input is a terminal.\n"
		"\n"
		"  -c, --config FILE  configuration file (default " ISOBOOT_DEFAULT_CONFIG ")\n"
		"  -u, --users FILE   accounts file, instead of [web] users of the configuration\n"
		"  -h, --help         show this help\n"
		"      --version      show the version\n");
}

/* The terminal as found, put back on every way out, including a Ctrl-C at the prompt. */
static struct termios saved_tio;
static volatile sig_atomic_t tio_changed;

static void restore_tty(void)
{
	if (tio_changed) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
		tio_changed = 0;
	}
}

static void on_signal(int sig)
{
	restore_tty();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int echo_off(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = on_signal};
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return neg_errno();
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	/* TCSADRAIN, not TCSAFLUSH: a password typed ahead of the prompt is kept, not lost. */
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) < 0)
		return neg_errno();
	tio_changed = 1;
	return 0;
}

/*
 * Reads one line into buf (size USERS_PASSWORD_MAX + 1), without its newline. Returns its length,
 * -EMSGSIZE when longer than USERS_PASSWORD_MAX, -EBADMSG for a NUL byte. *eof tells whether the
 * input ended before a newline. Byte by byte, so that nothing after the line is consumed.
 */
static ssize_t read_line(char *buf, bool *eof)
{
	bool too_long = false, nul = false;
	size_t n = 0;

	*eof = false;
	for (;;) {
		char c;
		ssize_t k = read(STDIN_FILENO, &c, 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (k == 0) {
			*eof = true;
			break;
		}
		if (c == '\n')
			break;
		if (c == '\0')
			nul = true;
		if (n < USERS_PASSWORD_MAX)
			buf[n++] = c;
		else
			too_long = true;
	}
	buf[n] = '\0';
	if (nul)
		return -EBADMSG;
	return too_long ? -EMSGSIZE : (ssize_t)n;
}

static int password_problem(ssize_t r)
{
	if (r == -EMSGSIZE)
		return log_error("The password is longer than %d bytes", USERS_PASSWORD_MAX),
		       -EINVAL;
	if (r == -EBADMSG)
		return log_error("The password contains a NUL byte"), -EINVAL;
	if (r < 0)
		return log_error_errno((int)r, "Cannot read the password");
	if (r == 0)
		return log_error("Empty password refused"), -EINVAL;
	return 0;
}

static int read_from_stdin(char *pw)
{
	bool eof;
	ssize_t n = read_line(pw, &eof);
	int r = password_problem(n);
	char c;

	if (r < 0)
		return r;
	/* A second line is most likely a mistake (two passwords, a file of something else). */
	if (!eof && read(STDIN_FILENO, &c, 1) > 0)
		return log_error(
			   "Standard input holds more than one line; give the password alone"),
		       -EINVAL;
	return 0;
}

static int prompt(const char *text, char *pw)
{
	bool eof;
	ssize_t n;
	int r;

	/* Echo off first: whatever is typed once the prompt shows is never echoed. */
	r = echo_off();
	if (r < 0)
		return log_error_errno(r, "Cannot turn off the echo of the terminal");
	fputs(text, stderr);
	fflush(stderr);
	n = read_line(pw, &eof);
	restore_tty();
	/* The Enter the user typed was not echoed. */
	fputc('\n', stderr);
	if (eof && n >= 0)
		return log_error("No password given (end of input)"), -EINVAL;
	return password_problem(n);
}

static int read_from_tty(const char *user, char *pw, char *again)
{
	_cleanup_free_ char *first = NULL;
	int r;

	if (asprintf(&first, "New password for %s: ", user) < 0)
		return log_error_errno(-ENOMEM, "Cannot prompt");
	r = prompt(first, pw);
	if (r < 0)
		return r;
	r = prompt("Retype the new password: ", again);
	if (r < 0)
		return r;
	if (!streq(pw, again))
		return log_error("The passwords do not match; nothing changed"), -EINVAL;
	return 0;
}

static int save(const char *path, const char *user, const char *password)
{
	int r = users_set(path, user, password);

	if (r == -EINVAL)
		return log_error("%s: invalid accounts file, see the errors above; nothing changed",
				 path),
		       r;
	if (r == -E2BIG)
		return log_error("%s already holds %d accounts, the most it can", path, USERS_MAX),
		       r;
	if (r == -EFBIG)
		return log_error("%s: larger than %u bytes, the most an accounts file may be", path,
				 USERS_FILE_MAX),
		       r;
	if (r < 0)
		return log_error_errno(r, "Cannot save the account %s in %s", user, path);
	printf("isoboot-passwd: account %s saved in %s\n", user, path);
	return fflush(stdout) == 0 ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"users", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	static char pw[USERS_PASSWORD_MAX + 1], again[USERS_PASSWORD_MAX + 1];
	const char *config_path = ISOBOOT_DEFAULT_CONFIG, *users_path = NULL, *user;
	_cleanup_free_ char *path = NULL;
	bool explicit_config = false;
	int c, r;

	log_init("isoboot-passwd", LOG_TARGET_AUTO);
	while ((c = getopt_long(argc, argv, "c:u:h", opts, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config_path = optarg;
			explicit_config = true;
			break;
		case 'u':
			users_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("isoboot-passwd %s\n", ISOBOOT_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind == 2) {
		log_error("A password is never taken from the command line: give it on standard "
			  "input, or type it at the prompt");
		usage(stderr);
		return 2;
	}
	if (argc - optind != 1) {
		usage(stderr);
		return 2;
	}
	user = argv[optind];
	if (!users_name_valid(user)) {
		log_error("Invalid user name '%.64s': 1 to %d characters of A-Z a-z 0-9 . _ -, not "
			  "starting with '.' or '-'",
			  user, USERS_NAME_MAX);
		return 2;
	}

	if (users_path) {
		path = strdup(users_path);
	} else {
		struct isoboot_config cfg;
		if (config_load_default(&cfg, config_path, explicit_config) < 0)
			return EXIT_FAILURE;
		path = strdup(cfg.web_users);
		config_finish(&cfg);
	}
	if (!path)
		return log_error_errno(-ENOMEM, "Out of memory"), EXIT_FAILURE;
	if (!*path) {
		log_error("No accounts file: [web] users is empty in %s", config_path);
		return EXIT_FAILURE;
	}

	r = isatty(STDIN_FILENO) ? read_from_tty(user, pw, again) : read_from_stdin(pw);
	if (r == 0)
		r = save(path, user, pw);
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
