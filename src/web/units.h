/* SPDX-License-Identifier: MIT */
#pragma once

/* Which of isoboot's systemd units run, as the admin page shows them. */

#include <stdio.h>

/* Bounds each exchange with systemd: the page waits for the answer. */
#define WEB_UNITS_TIMEOUT_USEC (2ull * 1000000)

/*
 * Writes a JSON array [{"name": "isoboot-menu.socket", "state": "active"}, ...] for
 * isoboot.target and the sockets, path and timer that start isoboot's services, with each unit's
 * ActiveState from systemd over the system bus ("inactive" also for a unit systemd does not
 * know). Without a bus, or when systemd does not answer in time, every state is "unknown"
 * (logged at debug level only: a container or a test has no systemd). Returns 0.
 */
int web_units_json(FILE *f);
