/* SPDX-License-Identifier: MIT */
/*
 * The unit states of the admin page. No systemd runs here: without a bus every state is
 * "unknown"; with dbus-daemon installed, a private bus and a stand-in for systemd's manager
 * check the answer is read, and that a manager that never answers costs the timeout, no more.
 */
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "helpers.h"
#include "log.h"
#include "tap.h"
#include "units.h"
#include "util.h"

#define ALL_UNKNOWN                                                                                \
	"[{\"name\":\"isoboot.target\",\"state\":\"unknown\"},"                                    \
	"{\"name\":\"isoboot-menu.socket\",\"state\":\"unknown\"},"                                \
	"{\"name\":\"isoboot-iscsi.socket\",\"state\":\"unknown\"},"                               \
	"{\"name\":\"isoboot-tftp.socket\",\"state\":\"unknown\"},"                                \
	"{\"name\":\"isoboot-scan.path\",\"state\":\"unknown\"},"                                  \
	"{\"name\":\"isoboot-scan.timer\",\"state\":\"unknown\"},"                                 \
	"{\"name\":\"isoboot-proxydhcp.socket\",\"state\":\"unknown\"},"                           \
	"{\"name\":\"isoboot-web.socket\",\"state\":\"unknown\"}]\n"

static char *dir;
static char bus_address[300];
static pid_t bus_daemon = -1;

/* web_units_json()'s output, what it logged (stderr, at debug level) and how long it took. */
static char *units_json(char *logged, size_t size, double *secs)
{
	struct capture c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	log_set_max_level(LOG_DEBUG);
	capture_begin(&c);
	double t = now_s();
	CHECK_EQ_INT(web_units_json(f), 0);
	*secs = now_s() - t;
	snprintf(logged, size, "%s", capture_end(&c));
	log_set_max_level(LOG_INFO);
	fclose(f);
	return buf;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_no_bus(void)
{
	char logged[4096];
	double secs;

	setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent", 1);
	char *j = units_json(logged, sizeof(logged), &secs);
	CHECK_STR(j, ALL_UNKNOWN);
	int r = python_check(j, "assert len(d) == 8\n"
				"assert all(u[\"state\"] == \"unknown\" for u in d)\n"
				"assert d[1] == {\"name\": \"isoboot-menu.socket\", \"state\": "
				"\"unknown\"}");
	if (r >= 0)
		CHECK_EQ_INT(r, 0);
	/* One debug line, nothing louder. */
	CHECK_EQ_INT(count_lines(logged), 1);
	CHECK(strstr(logged, "Unit states unknown") != NULL);
	free(j);

	/* Nor any noise at the usual level. */
	struct capture c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	capture_begin(&c);
	CHECK_EQ_INT(web_units_json(f), 0);
	CHECK_STR(capture_end(&c), "");
	fclose(f);
	CHECK_STR(buf, ALL_UNKNOWN);
	free(buf);
}

/* A socket that takes connections (into its backlog) and never says a word. */
static void test_mute_bus(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char logged[4096];
	double secs;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mute", dir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK_EQ_INT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ_INT(listen(fd, 16), 0);
	snprintf(bus_address, sizeof(bus_address), "unix:path=%s", sa.sun_path);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_address, 1);
	char *j = units_json(logged, sizeof(logged), &secs);
	CHECK_STR(j, ALL_UNKNOWN);
	CHECK_EQ_INT(count_lines(logged), 1);
	printf("# a mute bus took %.2f s\n", secs);
	CHECK(secs >= 1.5 && secs < 4);
	free(j);
	close(fd);
}

/* --- A stand-in for systemd on a private bus ---------------------------------------------- */

static size_t strv_length_(char **l)
{
	size_t n = 0;
	while (l[n])
		n++;
	return n;
}

static int list_units_by_names(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	sd_bus_message *reply = NULL;
	char **names = NULL;
	bool silent = *(bool *)userdata;
	int r;

	(void)error;
	if (silent)
		return 1; /* handled, and never answered: the caller's timeout must end the wait */
	r = sd_bus_message_read_strv(m, &names);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(ssssssouso)");
	/* Answers in an order of its own, and leaves out one unit, as a systemd might not. */
	for (size_t i = names ? strv_length_(names) : 0; r >= 0 && i-- > 0;) {
		const char *n = names[i];
		if (streq(n, "isoboot-tftp.socket"))
			continue;
		const char *state = streq(n, "isoboot-menu.socket")  ? "active"
				    : streq(n, "isoboot-web.socket") ? "failed"
				    : streq(n, "isoboot.target")     ? "active"
								     : "inactive";
		r = sd_bus_message_append(reply, "(ssssssouso)", n, "desc", "loaded", state,
					  "running", "", "/org/freedesktop/systemd1/unit/x", 0u, "",
					  "/");
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	sd_bus_message_unref(reply);
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
	return r < 0 ? r : 1;
}

static bool silent_mode;

static const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("ListUnitsByNames", "as", "a(ssssssouso)", list_units_by_names, 0),
    SD_BUS_VTABLE_END,
};

/* Serves org.freedesktop.systemd1 until killed; tells ready_fd once it owns the name. */
static _Noreturn void fake_systemd(int ready_fd, bool silent)
{
	sd_bus *bus = NULL;

	silent_mode = silent;
	if (sd_bus_open_system(&bus) < 0 ||
	    sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1",
				     "org.freedesktop.systemd1.Manager", manager_vtable,
				     &silent_mode) < 0 ||
	    sd_bus_request_name(bus, "org.freedesktop.systemd1", 0) < 0)
		_exit(1);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	for (;;) {
		int r = sd_bus_process(bus, NULL);
		if (r < 0)
			_exit(1);
		if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
			_exit(1);
	}
}

static pid_t start_fake(bool silent)
{
	int p[2];
	char c;

	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* Gone with the test, even when it crashes. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		fake_systemd(p[1], silent);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static void stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* A private dbus-daemon with the session policy (anyone may own any name); -1 without one. */
static pid_t start_bus_daemon(void)
{
	char path[256];

	if (system("command -v dbus-daemon >/dev/null 2>&1") != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/bus", dir);
	snprintf(bus_address, sizeof(bus_address), "unix:path=%s", path);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--nopidfile",
		       "--nosyslog", "--address", bus_address, (char *)NULL);
		_exit(127);
	}
	/* Ready once its socket is there. */
	for (int i = 0; pid > 0 && i < 500; i++) {
		if (access(path, F_OK) == 0)
			return pid;
		usleep(10000);
	}
	stop(pid);
	return -1;
}

static bool skip(const char *name)
{
	if (bus_daemon > 0)
		return false;
	printf("ok %d - %s # SKIP dbus-daemon not available\n", ++tap_count, name);
	return true;
}

static void test_fake_systemd(void)
{
	char logged[4096];
	double secs;

	setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_address, 1);
	pid_t fake = start_fake(false);
	CHECK(fake > 0);
	char *j = units_json(logged, sizeof(logged), &secs);
	CHECK_STR(j, "[{\"name\":\"isoboot.target\",\"state\":\"active\"},"
		     "{\"name\":\"isoboot-menu.socket\",\"state\":\"active\"},"
		     "{\"name\":\"isoboot-iscsi.socket\",\"state\":\"inactive\"},"
		     "{\"name\":\"isoboot-tftp.socket\",\"state\":\"unknown\"},"
		     "{\"name\":\"isoboot-scan.path\",\"state\":\"inactive\"},"
		     "{\"name\":\"isoboot-scan.timer\",\"state\":\"inactive\"},"
		     "{\"name\":\"isoboot-proxydhcp.socket\",\"state\":\"inactive\"},"
		     "{\"name\":\"isoboot-web.socket\",\"state\":\"failed\"}]\n");
	CHECK_STR(logged, "");
	free(j);
	stop(fake);
}

/* A manager that takes the call and never answers: the states are unknown after the timeout. */
static void test_silent_systemd(void)
{
	char logged[4096];
	double secs;

	setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_address, 1);
	pid_t fake = start_fake(true);
	CHECK(fake > 0);
	char *j = units_json(logged, sizeof(logged), &secs);
	CHECK_STR(j, ALL_UNKNOWN);
	CHECK_EQ_INT(count_lines(logged), 1);
	printf("# a silent manager took %.2f s\n", secs);
	CHECK(secs >= 1.5 && secs < 4);
	free(j);
	stop(fake);
}

int main(void)
{
	log_init("test-units", LOG_TARGET_STDERR);
	dir = make_tmpdir();
	if (!dir)
		return EXIT_FAILURE;
	RUN(test_no_bus);
	RUN(test_mute_bus);
	bus_daemon = start_bus_daemon();
	if (!skip("test_fake_systemd"))
		RUN(test_fake_systemd);
	if (!skip("test_silent_systemd"))
		RUN(test_silent_systemd);
	stop(bus_daemon);
	rm_rf(dir);
	free(dir);
	return tap_done();
}
