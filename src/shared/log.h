/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "util.h"

/* MESSAGE_IDs of the key events (journalctl MESSAGE_ID=...). Never reuse one for another meaning.
 */
#define MSGID_SCAN_DONE "8f57714b24514b04a453382acdec223a"
#define MSGID_SCAN_SKIP "c5f41a2b67ad41c581c6e8f563105e0c"
#define MSGID_SCAN_ISO "41a0c576c083481b9582126317a9667d"
#define MSGID_CONFIG_ERROR "7652854c280a4c69b30c0c29b65537f2"
#define MSGID_ISCSI_LOGIN "47d53d5332e64c45978f9dd52068a218"
#define MSGID_ISCSI_SESSION_END "1dfacaa32ec14048a5c7db179359b0c5"
#define MSGID_HTTP_ACCESS "6169c2410cf3462b9ccdc2b885ad15ab"
#define MSGID_DHCP_ANSWER "a855c71467d2493c806e4162f106439f"

/* One structured journal field: KEY must be upper case, [A-Z0-9_], not starting with '_'. */
struct log_field {
	const char *key;
	const char *value;
};

enum log_target {
	LOG_TARGET_AUTO,
	LOG_TARGET_STDERR,
	LOG_TARGET_JOURNAL,
};

/* ident is the SYSLOG_IDENTIFIER and the stderr prefix. AUTO picks the journal when stderr is
 * connected to it (systemd sets $JOURNAL_STREAM) and stderr otherwise. */
void log_init(const char *ident, enum log_target target);
void log_set_max_level(int prio);
int log_get_max_level(void);
enum log_target log_get_target(void);

/*
 * Logs a message. With err != 0 (a negative errno), ": <strerror>" is appended, ERRNO= is set and
 * err is returned, so that `return log_error_errno(r, "...")` keeps the error convention.
 * fields is an array closed by {NULL, NULL}, or NULL. Always returns err.
 */
int log_full(int prio, int err, const char *msgid, const struct log_field *fields, const char *fmt,
	     ...) _printf_(5, 6);

#define log_debug(...) log_full(LOG_DEBUG, 0, NULL, NULL, __VA_ARGS__)
#define log_info(...) log_full(LOG_INFO, 0, NULL, NULL, __VA_ARGS__)
#define log_notice(...) log_full(LOG_NOTICE, 0, NULL, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, 0, NULL, NULL, __VA_ARGS__)
#define log_error(...) log_full(LOG_ERR, 0, NULL, NULL, __VA_ARGS__)
#define log_error_errno(err, ...) log_full(LOG_ERR, (err), NULL, NULL, __VA_ARGS__)
#define log_warning_errno(err, ...) log_full(LOG_WARNING, (err), NULL, NULL, __VA_ARGS__)
#define log_debug_errno(err, ...) log_full(LOG_DEBUG, (err), NULL, NULL, __VA_ARGS__)

/*
 * Builds the "KEY=value" strings sent to the journal. Exposed so that tests can check the field
 * set without a running journald. Returns the number of strings stored in out (at most max), or
 * -EINVAL for a malformed key. Each string must be freed.
 */
int log_build_fields(int prio, int err, const char *ident, const char *msgid,
		     const struct log_field *fields, const char *message, char **out, size_t max);
