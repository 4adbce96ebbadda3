/* SPDX-License-Identifier: MIT */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "auth.h"
#include "config.h"
#include "http.h"
#include "users.h"

#define WEB_CONNECTION_LIMIT 256
#define WEB_PER_IP_LIMIT 64
#define WEB_CONNECTION_RESERVE 32
#define WEB_IDLE_TIMEOUT_S 120
#define WEB_HEADER_DEADLINE_S 20
#define WEB_CONNECTION_MEMORY (256u << 10)
#define WEB_LOGIN_BODY_MAX 4096
#define WEB_COOKIE "isoboot_session"
/* Boots looked at: the past 30 days, at most this many for the list and the activity page. */
#define WEB_BOOTS_WINDOW_USEC (30ull * 24 * 3600 * 1000000)
#define WEB_BOOTS_MAX 2000
#define WEB_ACTIVITY_MAX 100

struct web_fetches;
struct web_checksums;

struct web_server {
	const struct isoboot_config *cfg;
	struct web_auth auth;
	pthread_mutex_t users_lock; /* users, and its reloads */
	struct users users;
	int users_err;		   /* the last problem reported with the accounts file */
	pthread_mutex_t scan_lock; /* one rescan at a time */
	char *catalog_path;
	struct http_server *http;
	struct http_options http_opt;
	struct web_fetches *fetches;	 /* downloads from URLs (fetch.c) */
	struct web_checksums *checksums; /* the ISOs' SHA-256 (checksum.c) */
	pthread_mutex_t sweep_lock;
	time_t swept; /* the last web_partials_sweep() */
};

/*
 * Starts serving on the listening sockets fds (ownership passes to the server, also on error),
 * over TLS with the given PEM pair. cfg must outlive the server.
 */
int web_server_start(const struct isoboot_config *cfg, const char *cert_pem, const char *key_pem,
		     const int *fds, size_t n_fds, struct web_server **out);
void web_server_stop(struct web_server *s);

/*
 * Who makes the request: 0 with user filled (USERS_NAME_MAX + 1 bytes), or a negative errno
 * after the refusal was queued in *ret: 401 without valid credentials (a session cookie or HTTP
 * Basic), 403 for a state-changing request (changes) without its CSRF token or from another
 * site, 429 while the client's address must wait after failed passwords.
 */
int web_authenticate(struct web_server *s, struct http_request *rq, bool changes, char *user,
		     enum MHD_Result *ret);

/* A JSON answer {"error": text} with status. */
enum MHD_Result web_reply_error(struct http_request *rq, unsigned status, const char *text);

/*
 * The folder of a group ("" = the ISO folder itself) by descriptors, never through a symlink;
 * made when missing with create. An fd, or a negative errno.
 */
int web_group_dir(const char *iso_dir, const char *group, bool create);
/* Whether another request or job holds the hidden file "." name suffix in dir right now. */
bool web_hidden_busy(int dir, const char *name, const char *suffix);
/*
 * Removes what interrupted uploads left in the ISO folder and its groups once no request holds
 * it: ".NAME.iso.upload" files untouched for [web] keep_interrupted days (0: kept for ever),
 * and ".NAME.iso.fetch" files at once (a fetch is never resumed). Returns how many it removed.
 */
unsigned web_partials_sweep(const struct isoboot_config *cfg, time_t now);
/* web_partials_sweep() when the last one is an hour old: on start, and before an upload. */
void web_partials_sweep_maybe(struct web_server *s);

/* Rescans the ISO folder into the catalog, as isoboot-scan does. */
void web_rescan(struct web_server *s);

/* The upload routes (upload.c). */
enum MHD_Result web_upload_begin(void *ctx, struct http_request *rq);
int web_upload_body(void *ctx, struct http_request *rq, const char *data, size_t size);
enum MHD_Result web_upload_end(void *ctx, struct http_request *rq, int err);
enum MHD_Result web_upload_status(void *ctx, struct http_request *rq, int err);
