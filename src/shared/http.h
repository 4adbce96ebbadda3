/* SPDX-License-Identifier: MIT */
/*
 * The HTTP layer every isoboot web service shares, on libmicrohttpd: listening sockets from
 * systemd or --listen, a thread per connection, a route table, the checks every request gets
 * before its route runs (Host on HTTP/1.1, a raw NUL in the target, traversal and control
 * characters in the path, the method), a deadline for slow headers, files and ranges with
 * validators read piece by piece and checked against change, request bodies streamed to the
 * route, optional TLS, and one access entry in the journal per request.
 */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "iso9660.h"
#include "medium.h"

#define HTTP_PATH_MAX 1024
#define HTTP_WHAT_MAX 160
#define HTTP_TAG_MAX 64

struct http_server;

/* One request, from its request line to its access entry. */
struct http_request {
	struct MHD_Connection *conn;
	struct http_server *server;
	const char *url;	  /* the raw path, still percent-encoded, without the query */
	const char *method;	  /* as sent: "GET", "HEAD", "PUT", ... */
	char client[64];	  /* the client's address, for logs */
	char what[HTTP_WHAT_MAX]; /* what was asked, in the access entry (the route may rewrite) */
	char iso[HTTP_TAG_MAX];	  /* the ISO served (ISOBOOT_ISO=), or "" */
	char user[HTTP_TAG_MAX];  /* the account it was made as (ISOBOOT_USER=), or "" */
	bool tls;		  /* it came in over TLS (an HTTPS socket) */
	unsigned status;
	uint64_t bytes;
	/* The route's own state for a request with a body, freed by data_free when it ends. */
	void *data;
	void (*data_free)(void *data);
	/* private to http.c */
	const struct http_route *route;
	size_t uri_len;
	bool started;
	int body_err;	     /* body()'s error, for the handler */
	const char *refusal; /* the text of a refusal answered once the request is in */
	unsigned refusal_status;
	char allow[64];
	char method_s[8];
};

/*
 * A route: method and path. GET routes answer HEAD too. A path ending in '/' (other than "/"
 * itself) is a prefix. Without a body callback, a request body is read and dropped.
 */
struct http_route {
	const char *method;
	const char *path;
	/*
	 * Routes with a body: called once the headers are in, before any of the body. It may
	 * answer at once (a refusal: the rest of the body is not read and the connection is
	 * closed) and return what the answer returned, or return MHD_YES without answering to
	 * get the body.
	 */
	enum MHD_Result (*begin)(void *ctx, struct http_request *rq);
	/* Each piece of the body, in order. A negative errno stops the body (end() is still
	 * called, with the error). */
	int (*body)(void *ctx, struct http_request *rq, const char *data, size_t size);
	/* Answers: called once the whole request is in; err is 0 or body()'s error. */
	enum MHD_Result (*handler)(void *ctx, struct http_request *rq, int err);
	/* Empty path segments ("a//b") reach this route's handler, which decides; elsewhere
	 * they are 400. */
	bool empty_segments_ok;
};

struct http_options {
	const char *name; /* in messages: "isoboot-menu" */
	const struct http_route *routes;
	size_t n_routes;
	void *ctx; /* handed to every route */
	unsigned connection_limit;
	unsigned per_ip_limit;
	unsigned reserve;	 /* past limit - reserve, a new client evicts the slowest waiter */
	unsigned idle_timeout_s; /* libmicrohttpd's idle timeout */
	unsigned header_deadline_s; /* a request's headers must arrive whole within this */
	size_t connection_memory;
	/* TLS: both PEM texts, or NULL when no socket speaks TLS. */
	const char *tls_cert_pem;
	const char *tls_key_pem;
	/* Extra headers on every response (e.g. security headers), NULL-terminated pairs. */
	const char *const *headers;
};

/*
 * Starts serving on the listening sockets fds (ownership passes to the server, also on error).
 * tls_fds says which of them speak TLS (opt's certificate is then required); NULL: all of them
 * when opt has a certificate, else none. opt and what it points to must outlive the server.
 */
int http_server_start(const struct http_options *opt, const int *fds, const bool *tls_fds,
		      size_t n_fds, struct http_server **out);
/* Stops (open connections are closed) and frees. */
void http_server_stop(struct http_server *s);

/* Queues resp with status; bytes is the body's size for the access entry (0 for HEAD). */
enum MHD_Result http_queue(struct http_request *rq, unsigned status, struct MHD_Response *resp,
			   uint64_t bytes);
/* A text/plain answer from a constant string. */
enum MHD_Result http_reply_text(struct http_request *rq, unsigned status, const char *text);
/* An answer from a buffer of content_type; the buffer is freed (also on failure). */
enum MHD_Result http_reply_buffer(struct http_request *rq, unsigned status,
				  const char *content_type, char *buf, size_t len);

/* A header of the request, or NULL. */
const char *http_header(const struct http_request *rq, const char *name);
/* A query argument of the request, or NULL. */
const char *http_query(const struct http_request *rq, const char *name);
/* The local address the client reached (getsockname of its connection); len 0 if unknown. */
void http_local_address(const struct http_request *rq, struct sockaddr_storage *ss, socklen_t *len);
/* Whether the request is a HEAD (its answer carries no body). */
bool http_is_head(const struct http_request *rq);

/* What a response carries: a whole file, or the extents of a file inside an ISO. */
struct http_payload {
	int fd;		       /* consumed */
	const struct stat *st; /* of fd, as it was looked at for this request */
	uint64_t size;
	time_t mtime;
	const char *etag;
	const struct iso_file *file; /* NULL: the whole of fd */
	/* Or an archive made of pieces of fd and of memory (medium.h); the body owns it. */
	struct medium *medium;
	const char *content_type; /* NULL: application/octet-stream */
	const char *subject;	  /* in warnings: "The ISO <id>"; NULL: "The file" */
};

/* Serves a payload (its fd and medium are consumed) with validators and a single byte range. */
enum MHD_Result http_serve_payload(struct http_request *rq, const struct http_payload *pl);
/* Serves an open regular file (fd is consumed) whole or by ranges; tag names it in its ETag. */
enum MHD_Result http_serve_file(struct http_request *rq, int fd, const char *tag,
				const char *content_type);

/*
 * Checks a raw request path: -EINVAL (400) for what no honest client sends: no leading '/',
 * longer than HTTP_PATH_MAX, bad, NUL or control percent-escapes, raw control characters or
 * backslashes, empty, "." or ".." segments (a trailing '/' is allowed). On success, decoded
 * (when not NULL, HTTP_PATH_MAX + 1 bytes) holds the percent-decoded path.
 */
int http_path_check(const char *raw, char *decoded);

/* The same with flags: HTTP_PATH_EMPTY_OK lets empty segments through ("//", which shim
 * sends), never "." or "..". */
#define HTTP_PATH_EMPTY_OK 1u
int http_path_check_flags(const char *raw, char *decoded, unsigned flags);
