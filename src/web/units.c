/* SPDX-License-Identifier: MIT */
/*
 * The state of isoboot's units, asked of systemd over the system bus: one ListUnitsByNames call
 * answers for all of them, also for units systemd has not loaded (it says "inactive").
 */
#include "units.h"

#include <errno.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "log.h"
#include "parse.h"
#include "util.h"

/* What starts isoboot's services: the services themselves come and go with these. */
static const char *const unit_names[] = {
    "isoboot.target",		"isoboot-menu.socket", "isoboot-iscsi.socket",
    "isoboot-tftp.socket",	"isoboot-scan.path",   "isoboot-scan.timer",
    "isoboot-proxydhcp.socket", "isoboot-web.socket",  NULL,
};
#define N_UNITS (ARRAY_SIZE(unit_names) - 1)

#define STATE_MAX 32 /* "deactivating", "reloading", ...: systemd's states are short */

static uint64_t now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/*
 * The system bus, once connected and greeted: sd_bus_call() alone would wait for the
 * authentication of a bus that accepted the connection but does not answer for far longer than
 * the page can wait.
 */
static int bus_open(sd_bus **ret)
{
	sd_bus *bus = NULL;
	uint64_t deadline = now_usec() + WEB_UNITS_TIMEOUT_USEC;
	int r = sd_bus_open_system(&bus);

	if (r < 0)
		return r;
	r = sd_bus_set_method_call_timeout(bus, WEB_UNITS_TIMEOUT_USEC);
	while (r >= 0) {
		r = sd_bus_is_ready(bus);
		if (r != 0)
			break;
		r = sd_bus_process(bus, NULL);
		if (r != 0)
			continue;
		uint64_t now = now_usec();
		r = now >= deadline ? -ETIMEDOUT : sd_bus_wait(bus, deadline - now);
	}
	if (r < 0) {
		/* Not sd_bus_flush_close_unref(): flushing waits for the authentication too. */
		sd_bus_close_unref(bus);
		return r;
	}
	*ret = bus;
	return 0;
}

/* Fills states (N_UNITS entries) with what systemd says of each unit; on failure, why (size
 * bytes) says what went wrong, as the bus error goes with the call. */
static int ask_systemd(char states[][STATE_MAX], char *why, size_t size)
{
	sd_bus *bus = NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *name, *active;
	int r;

	snprintf(why, size, "cannot connect to the system bus");
	r = bus_open(&bus);
	if (r < 0)
		return r;
	snprintf(why, size, "ListUnitsByNames failed");
	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
					   "/org/freedesktop/systemd1",
					   "org.freedesktop.systemd1.Manager", "ListUnitsByNames");
	if (r >= 0)
		r = sd_bus_message_append_strv(m, (char **)unit_names);
	if (r >= 0)
		r = sd_bus_call(bus, m, WEB_UNITS_TIMEOUT_USEC, &error, &reply);
	if (r < 0 && sd_bus_error_is_set(&error))
		snprintf(why, size, "ListUnitsByNames failed: %s",
			 error.message ? error.message : error.name);
	if (r >= 0) {
		snprintf(why, size, "unexpected answer to ListUnitsByNames");
		r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
	}
	/* name, description, load state, active state, sub state, following, object path, job
	 * id, job type, job path */
	while (r >= 0 && (r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active,
						  NULL, NULL, NULL, NULL, NULL, NULL)) > 0)
		for (size_t i = 0; i < N_UNITS; i++)
			if (streq(name, unit_names[i]))
				snprintf(states[i], STATE_MAX, "%s", active);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	sd_bus_error_free(&error);
	/* Nothing is left to send: the call had its answer, or gave up. */
	sd_bus_close_unref(bus);
	return r;
}

int web_units_json(FILE *f)
{
	char states[N_UNITS][STATE_MAX];
	char why[256];

	for (size_t i = 0; i < N_UNITS; i++)
		snprintf(states[i], STATE_MAX, "unknown");
	/* On a failure partway through the answer, the states read so far are still right. */
	int r = ask_systemd(states, why, sizeof(why));
	if (r < 0)
		log_debug_errno(r, "Unit states unknown: %s", why);
	fputc('[', f);
	for (size_t i = 0; i < N_UNITS; i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_string(f, unit_names[i]);
		fputs(",\"state\":", f);
		json_string(f, states[i]);
		fputc('}', f);
	}
	fputs("]\n", f);
	return 0;
}
