/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Fetching an ISO from an http(s) URL into the ISO folder, in a background thread per job
 * (libcurl), and the list of recent jobs for the page.
 */

#include <microhttpd.h>

#include "http.h"

#define WEB_FETCH_MAX_RUNNING 4 /* fetches at once; more are answered 429 */
#define WEB_FETCH_MAX_JOBS 32	/* jobs remembered for GET /api/jobs */
#define WEB_FETCH_URL_MAX 4096
#define WEB_FETCH_BODY_MAX 8192

struct web_server;
struct web_fetches;

/* Sets up libcurl and the job list; call before the HTTP server starts. */
int web_fetches_start(struct web_fetches **out);
/* Cancels the running fetches (each removes its hidden file), waits for them, and frees. */
void web_fetches_stop(struct web_fetches *f);

/* POST /api/fetch: a form with url, path, and optionally sha256 and replace=1. */
enum MHD_Result web_fetch_begin(void *ctx, struct http_request *rq);
int web_fetch_body(void *ctx, struct http_request *rq, const char *data, size_t size);
enum MHD_Result web_fetch_end(void *ctx, struct http_request *rq, int err);

/* GET /api/jobs: the recent fetches, oldest first. */
enum MHD_Result web_jobs_list(void *ctx, struct http_request *rq, int err);
