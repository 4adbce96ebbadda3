/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The recent boots, read back from the journal entries the boot daemons already write: no state
 * of its own, so nothing to keep in step with what the daemons did.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Requests (HTTP) or logins (iSCSI) of one client for one ISO no further apart than this are
 * one boot: a boot fetches a kernel, an initrd, then the image, or logs in again from the
 * booted OS. */
#define WEB_ACTIVITY_GAP_USEC (10ull * 60 * 1000000)
/* At most this many matching journal entries are read per call, however few boots they hold. */
#define WEB_ACTIVITY_SCAN_MAX 100000

enum web_boot_method {
	WEB_BOOT_HTTP,
	WEB_BOOT_ISCSI,
};

struct web_boot {
	uint64_t time; /* µs since the epoch: the boot's first request or login */
	char *client;  /* the client's address as the daemons log it */
	char *mac;     /* from the ProxyDHCP answer to that address just before, or NULL */
	char *iso;     /* the catalog id */
	enum web_boot_method method;
	uint64_t bytes;	  /* summed over the requests, or over the ended iSCSI sessions */
	bool bytes_known; /* false until a session of an iSCSI boot ends (in the entries read) */
};

/*
 * The most recent boots, newest first, at most max, from the entries logged at or after since
 * (µs since the epoch; 0 for all): in *out (free with web_boots_free) and *n.
 *
 * A boot is the successful (status below 400) HTTP requests of one client for one ISO, as
 * isoboot-menu logs them (isoboot-web's own access entries share the MESSAGE_ID and are left
 * out), or its successful iSCSI logins to one ISO's target, each gap at most
 * WEB_ACTIVITY_GAP_USEC. iSCSI bytes come from the sessions' end entries. A ProxyDHCP answer to
 * the client's address (on port 4011 a client asks from its leased address) up to the gap before
 * the boot gives the MAC.
 *
 * journal_dir NULL reads the local system journal (the caller needs to be allowed to, e.g. in the
 * systemd-journal group); otherwise the journal files in that folder (tests). A read error
 * partway ends the walk and keeps what was found. 0, or a negative errno when the journal cannot
 * be opened or memory runs out.
 */
int web_activity_read(const char *journal_dir, uint64_t since, size_t max, struct web_boot **out,
		      size_t *n);

/* Writes the boots as a JSON array of {"time": ISO 8601 UTC, "client", "mac" (or null), "iso",
 * "method" ("HTTP" or "iSCSI"), "bytes" (or null when not known)}. */
void web_activity_json(FILE *f, const struct web_boot *b, size_t n);

/* The latest boot of the ISO iso_id among b (as web_activity_read orders them), or NULL. */
const struct web_boot *web_activity_last(const struct web_boot *b, size_t n, const char *iso_id);

void web_boots_free(struct web_boot *b, size_t n);
