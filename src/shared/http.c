/* SPDX-License-Identifier: MIT */
#include "http.h"

#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>

#include "listen.h"
#include "log.h"
#include "range.h"
#include "util.h"

#define HTTP_MAX_DAEMONS 8
/* Bodies are read by pread() in chunks of this size. */
#define BODY_CHUNK (256u << 10)

/*
 * Each open connection, for the guard against slow clients: libmicrohttpd's timeout is an idle
 * time, so a client trickling its headers a byte at a time keeps a connection (and a thread) for
 * ever, and enough of them lock everyone out.
 */
struct client {
	int fd;
	int64_t waiting_since; /* ms: when it began to wait for a request; 0 while one is served */
	bool kept_alive;       /* it has been answered before: the wait may be an idle one */
	bool evicted;
	struct client *prev, *next;
};

struct http_server {
	const struct http_options *opt;
	struct MHD_Daemon *daemons[HTTP_MAX_DAEMONS];
	bool daemon_tls[HTTP_MAX_DAEMONS];
	bool all_tls; /* every socket is HTTPS (isoboot-web): not worth saying in each entry */
	size_t n_daemons;
	pthread_mutex_t clients_lock;
	struct client *clients; /* newest first */
	size_t n_clients;
	time_t evict_warned;
	pthread_t guard;
	bool guard_running;
	int guard_stop[2];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Printable ASCII only, for what the access entry repeats of a request. */
static void text_copy(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; in && *in && o + 1 < size; in++)
		out[o++] = (unsigned char)*in < 0x20 || (unsigned char)*in >= 0x7f ? '?' : *in;
	out[o] = '\0';
}

int http_path_check(const char *raw, char *decoded)
{
	return http_path_check_flags(raw, decoded, 0);
}

int http_path_check_flags(const char *raw, char *decoded, unsigned flags)
{
	char path[HTTP_PATH_MAX + 1];
	size_t o = 0;

	if (!raw || raw[0] != '/')
		return -EINVAL;
	for (size_t i = 0; raw[i]; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (o >= HTTP_PATH_MAX)
			return -EINVAL;
		if (c == '%') {
			int hi = unhexchar(raw[i + 1]), lo = hi < 0 ? -1 : unhexchar(raw[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '\\')
			return -EINVAL;
		path[o++] = (char)c;
	}
	path[o] = '\0';
	/* Segments: a trailing '/' is allowed, other empty ones, "." and ".." are not. */
	for (const char *p = path + 1; *p;) {
		size_t n = strcspn(p, "/");
		if ((n == 0 && !(flags & HTTP_PATH_EMPTY_OK)) || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		p += n;
		if (*p == '/')
			p++;
	}
	if (decoded)
		memcpy(decoded, path, o + 1);
	return 0;
}

const char *http_header(const struct http_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *http_query(const struct http_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

bool http_is_head(const struct http_request *rq)
{
	return streq(rq->method, MHD_HTTP_METHOD_HEAD);
}

void http_local_address(const struct http_request *rq, struct sockaddr_storage *ss, socklen_t *len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	*len = sizeof(*ss);
	if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)ss, len) < 0) {
		memset(ss, 0, sizeof(*ss));
		*len = 0;
	}
}

enum MHD_Result http_queue(struct http_request *rq, unsigned status, struct MHD_Response *resp,
			   uint64_t bytes)
{
	if (!resp)
		return MHD_NO;
	for (const char *const *h = rq->server->opt->headers; h && h[0]; h += 2)
		MHD_add_response_header(resp, h[0], h[1]);
	rq->status = status;
	rq->bytes = http_is_head(rq) ? 0 : bytes;
	enum MHD_Result ret = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result http_reply_text(struct http_request *rq, unsigned status, const char *text)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	if (resp)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; charset=utf-8");
	return http_queue(rq, status, resp, strlen(text));
}

enum MHD_Result http_reply_buffer(struct http_request *rq, unsigned status,
				  const char *content_type, char *buf, size_t len)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);

	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return http_queue(rq, status, resp, len);
}

/*
 * Every body is read here, chunk by chunk, and each chunk is handed out only if the file is still
 * the one the response started from (same inode, size and modification time, checked after the
 * read): an image that shrinks or is rewritten during a download ends the response, and
 * libmicrohttpd closes the connection, instead of sending old and new bytes under one ETag, or
 * spinning on a sendfile() that keeps returning 0 at a premature end of file (libmicrohttpd
 * 0.9.75 does that).
 */
struct body {
	int fd;
	struct stat st;
	uint64_t start; /* the response's first byte, in the payload */
	/* What the payload is made of: the file's extents (file pieces only), or a medium read
	 * from the image. */
	size_t n;
	struct medium_piece pieces[ISO_MAX_EXTENTS];
	struct medium *medium;
	struct iso_fd_source image;
	uint64_t *counted; /* the request's byte count, for its access entry */
	char what[HTTP_TAG_MAX + 16];
};

static bool file_unchanged(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body *b = cls;
	uint64_t at = b->start + pos;
	size_t done = 0;
	bool read_file = false;
	struct stat now;
	const char *why = NULL;

	if (b->medium) {
		size_t n = b->medium->size - at < max ? (size_t)(b->medium->size - at) : max;
		int r = medium_read(b->medium, &b->image.src, buf, n, at);
		read_file = true;
		if (r == -EIO)
			why = "shrank";
		else if (r < 0)
			why = "cannot be read";
		else
			done = n;
	}
	for (size_t i = b->n ? medium_pieces_find(b->pieces, b->n, at) : 0; i < b->n && done < max;
	     i++) {
		const struct medium_piece *p = &b->pieces[i];
		if (at < p->at || at - p->at >= p->length)
			continue;
		uint64_t in = at - p->at;
		size_t n = p->length - in < max - done ? (size_t)(p->length - in) : max - done;
		ssize_t got = pread_full(b->fd, buf + done, n, p->offset + in);
		read_file = true;
		if (got < 0)
			why = "cannot be read";
		else if ((size_t)got < n)
			why = "shrank";
		if (why)
			break;
		done += n;
		at += n;
	}
	/* The bytes read go out only if the file is still the one the response started from. */
	if (!why && read_file) {
		if (fstat(b->fd, &now) < 0)
			why = "cannot be read";
		/* A truncation that lands between the read and the fstat() is still a shrink. */
		else if (now.st_size < b->st.st_size)
			why = "shrank";
		else if (!file_unchanged(&now, &b->st))
			why = "changed";
	}
	if (!why && done > 0) {
		*b->counted += (uint64_t)done;
		return (ssize_t)done;
	}
	if (!why)
		why = "ended early";
	log_warning("%s %s during a download, after %" PRIu64 " bytes: closing the connection",
		    b->what, why, *b->counted);
	return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void body_free(void *cls)
{
	struct body *b = cls;

	close(b->fd);
	medium_free(b->medium);
	free(b);
}

/* A response for bytes [first, first + len) of the payload; takes pl->fd and pl->medium. */
static struct MHD_Response *payload_response(const struct http_payload *pl, struct http_request *rq,
					     uint64_t first, uint64_t len)
{
	const struct iso_file *f = pl->file;
	struct body *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	*b = (struct body){.fd = pl->fd, .st = *pl->st, .start = first, .counted = &rq->bytes};
	if (pl->medium) {
		b->medium = pl->medium;
		iso_fd_source_init(&b->image, pl->fd, (uint64_t)pl->st->st_size);
	} else if (f) {
		uint64_t at = 0;
		for (size_t i = 0; i < f->n_extents; i++) {
			b->pieces[b->n++] = (struct medium_piece){.at = at,
								  .length = f->extents[i].length,
								  .offset = f->extents[i].offset};
			at += f->extents[i].length;
		}
	} else {
		b->n = 1;
		b->pieces[0] = (struct medium_piece){.length = pl->size};
	}
	snprintf(b->what, sizeof(b->what), "%s", pl->subject ? pl->subject : "The file");
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(len, BODY_CHUNK, body_read, b, body_free);
	if (!resp)
		free(b); /* the caller closes the fd and frees the medium */
	return resp;
}

static void what_append(struct http_request *rq, const char *fmt, ...) _printf_(2, 3);
static void what_append(struct http_request *rq, const char *fmt, ...)
{
	size_t l = strlen(rq->what);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rq->what + l, sizeof(rq->what) - l, fmt, ap);
	va_end(ap);
}

enum MHD_Result http_serve_payload(struct http_request *rq, const struct http_payload *pl)
{
	char modified[40], crange[80];
	uint64_t first = 0, last = 0, size = pl->size;
	enum http_range kind = HTTP_RANGE_NONE;
	struct MHD_Response *resp;
	unsigned status;

	http_date_format(pl->mtime, modified, sizeof(modified));
	const char *range = http_header(rq, "Range");
	const char *if_range = http_header(rq, "If-Range");
	if (range && http_if_range_matches(if_range, pl->etag, pl->mtime))
		kind = http_range_parse(range, size, &first, &last);

	if (kind == HTTP_RANGE_UNSATISFIABLE) {
		close(pl->fd);
		medium_free(pl->medium);
		snprintf(crange, sizeof(crange), "bytes */%" PRIu64, size);
		what_append(rq, " range %s unsatisfiable", range);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
	} else if (kind == HTTP_RANGE_OK) {
		snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
			 last, size);
		what_append(rq, " bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, size);
		resp = payload_response(pl, rq, first, last - first + 1);
		status = MHD_HTTP_PARTIAL_CONTENT;
	} else {
		what_append(rq, " whole %" PRIu64, size);
		resp = payload_response(pl, rq, 0, size);
		status = MHD_HTTP_OK;
	}
	if (!resp) {
		if (kind != HTTP_RANGE_UNSATISFIABLE) {
			close(pl->fd);
			medium_free(pl->medium);
		}
		return MHD_NO;
	}
	if (kind != HTTP_RANGE_NONE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, pl->etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, modified);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				pl->content_type ? pl->content_type : "application/octet-stream");
	/* The body counts its own bytes, as it hands them out. */
	return http_queue(rq, status, resp, 0);
}

enum MHD_Result http_serve_file(struct http_request *rq, int fd, const char *tag,
				const char *content_type)
{
	struct stat st;
	char etag[HTTP_TAG_MAX + 48];

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "Not found\n");
	}
	snprintf(etag, sizeof(etag), "\"%s-%" PRIx64 "-%" PRIx64 "\"", tag, (uint64_t)st.st_size,
		 (uint64_t)st.st_mtime);
	struct http_payload pl = {.fd = fd,
				  .st = &st,
				  .size = (uint64_t)st.st_size,
				  .mtime = st.st_mtime,
				  .etag = etag,
				  .content_type = content_type};
	return http_serve_payload(rq, &pl);
}

/* --- Slow clients ---------------------------------------------------------------------- */

static struct client *client_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Marks when a connection starts waiting for a request (0: one is being served). */
static void client_waiting(struct http_server *s, struct MHD_Connection *conn, bool waiting)
{
	struct client *c = client_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&s->clients_lock);
	c->waiting_since = waiting ? mono_ms() : 0;
	c->kept_alive = c->kept_alive || waiting;
	pthread_mutex_unlock(&s->clients_lock);
}

/*
 * How long a waiting connection may go without a whole request (ms). A new connection gets the
 * header deadline. A kept-alive one is idle between requests, not slow: a client still busy
 * with its last answer (a loaded PC checking 256 KiB) starts the next one late through no fault
 * of its own. libmicrohttpd closes a silent one at its idle timeout, without a word; a trickle
 * resets that timeout with every byte, and libmicrohttpd cannot say when the request's first
 * byte came, so the guard ends a trickle that long plus the header deadline after the answer.
 */
static int64_t client_deadline_ms(const struct http_server *s, const struct client *c)
{
	unsigned sec = s->opt->header_deadline_s;

	if (c->kept_alive)
		sec += s->opt->idle_timeout_s;
	return (int64_t)sec * 1000;
}

/* Ends a connection by its socket; libmicrohttpd sees the error and closes it. Locked. */
static void client_evict(struct http_server *s, struct client *c, const char *why)
{
	if (c->evicted)
		return;
	c->evicted = true;
	shutdown(c->fd, SHUT_RDWR);
	time_t now = time(NULL);
	if (now != s->evict_warned)
		log_warning("Closing a connection that %s (%zu connections open)", why,
			    s->n_clients);
	s->evict_warned = now;
}

static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;
	struct client *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		c = calloc(1, sizeof(*c));
		if (!c || !ci) {
			free(c);
			return;
		}
		*c = (struct client){.fd = ci->connect_fd, .waiting_since = mono_ms()};
		pthread_mutex_lock(&s->clients_lock);
		c->next = s->clients;
		if (s->clients)
			s->clients->prev = c;
		s->clients = c;
		s->n_clients++;
		/* Near the limit, a new client takes the place of the one that has waited
		 * longest without sending a whole request, so the service stays reachable. */
		if (s->n_clients > s->opt->connection_limit - s->opt->reserve) {
			struct client *oldest = NULL;
			for (struct client *o = c->next; o; o = o->next)
				if (o->waiting_since && !o->evicted &&
				    (!oldest || o->waiting_since <= oldest->waiting_since))
					oldest = o;
			if (oldest)
				client_evict(s, oldest, "sent no whole request, to make room");
		}
		pthread_mutex_unlock(&s->clients_lock);
		*socket_context = c;
		return;
	}
	if (!c)
		return;
	pthread_mutex_lock(&s->clients_lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->n_clients--;
	pthread_mutex_unlock(&s->clients_lock);
	free(c);
	*socket_context = NULL;
}

/* Once a second: a request's headers have client_deadline_ms() from its start, in all. */
static void *guard_main(void *arg)
{
	struct http_server *s = arg;
	struct pollfd pfd = {.fd = s->guard_stop[0], .events = POLLIN};

	while (poll(&pfd, 1, 1000) == 0) {
		int64_t now = mono_ms();
		pthread_mutex_lock(&s->clients_lock);
		for (struct client *c = s->clients; c; c = c->next)
			if (c->waiting_since && now - c->waiting_since > client_deadline_ms(s, c))
				client_evict(s, c, "sent no whole request in time");
		pthread_mutex_unlock(&s->clients_lock);
	}
	return NULL;
}

/* --- Requests -------------------------------------------------------------------------- */

static bool route_matches_path(const struct http_route *r, const char *url)
{
	size_t n = strlen(r->path);

	if (n > 1 && r->path[n - 1] == '/')
		return strncmp(url, r->path, n) == 0;
	return streq(url, r->path);
}

static bool route_matches_method(const struct http_route *r, const char *method)
{
	return streq(r->method, method) ||
	       (streq(r->method, MHD_HTTP_METHOD_GET) && streq(method, MHD_HTTP_METHOD_HEAD));
}

/* The route for the request, or NULL with the status to answer (404, or 405 with allow). */
static const struct http_route *route_find(const struct http_server *s, const char *url,
					   const char *method, unsigned *status, char *allow,
					   size_t allow_size)
{
	bool path_known = false;

	allow[0] = '\0';
	for (size_t i = 0; i < s->opt->n_routes; i++) {
		const struct http_route *r = &s->opt->routes[i];
		if (!route_matches_path(r, url))
			continue;
		if (route_matches_method(r, method))
			return r;
		path_known = true;
		size_t l = strlen(allow);
		snprintf(allow + l, allow_size - l, "%s%s%s", l ? ", " : "", r->method,
			 streq(r->method, MHD_HTTP_METHOD_GET) ? ", HEAD" : "");
	}
	*status = path_known ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND;
	return NULL;
}

/* The checks every request gets; 0, or the status of the refusal (its text in *text). */
static unsigned request_check(struct http_request *rq, const char *version, const char **text)
{
	/*
	 * A raw NUL in the request target: MHD keeps the whole line but hands on a URL cut at the
	 * NUL, so "/iso/<id>/x.iso\0junk" would be served as "/iso/<id>/x.iso". The target and
	 * the version lie in MHD's read buffer, the one right after the other; when the target
	 * seen before MHD split it (uri_logged) is shorter than that span, it held a NUL. A
	 * version elsewhere (another MHD) skips the check rather than guess.
	 */
	if (version > rq->url &&
	    (size_t)(version - rq->url) <= 2 * rq->server->opt->connection_memory &&
	    (size_t)(version - rq->url) > rq->uri_len + 1) {
		*text = "Bad request: NUL in the URL\n";
		return MHD_HTTP_BAD_REQUEST;
	}
	/* RFC 9112 3.2: an HTTP/1.1 request without a Host header is answered 400. */
	if (streq(version, MHD_HTTP_VERSION_1_1) && !http_header(rq, MHD_HTTP_HEADER_HOST)) {
		*text = "Bad request: no Host header\n";
		return MHD_HTTP_BAD_REQUEST;
	}
	/* Empty segments are for the route to judge (struct http_route). */
	if (http_path_check_flags(rq->url, NULL, HTTP_PATH_EMPTY_OK) < 0) {
		*text = "Bad request\n";
		return MHD_HTTP_BAD_REQUEST;
	}
	return 0;
}

static enum MHD_Result refuse(struct http_request *rq, unsigned status, const char *text,
			      const char *allow)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	if (resp) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; charset=utf-8");
		if (allow && allow[0])
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	return http_queue(rq, status, resp, strlen(text));
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct http_server *s = cls;
	struct http_request *rq = *req_cls;

	if (!rq)
		return MHD_NO; /* uri_logged() ran out of memory */
	if (!rq->started) {
		rq->started = true;
		rq->conn = conn;
		rq->url = url;
		rq->method = method;
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr)
			sockaddr_format(ci->client_addr,
					ci->client_addr->sa_family == AF_INET6
					    ? (socklen_t)sizeof(struct sockaddr_in6)
					    : (socklen_t)sizeof(struct sockaddr_in),
					rq->client, sizeof(rq->client), 0);
		if (!rq->client[0])
			snprintf(rq->client, sizeof(rq->client), "unknown");
		text_copy(method, rq->method_s, sizeof(rq->method_s));
		text_copy(url, rq->what, 64 < sizeof(rq->what) ? 64 : sizeof(rq->what));
		client_waiting(s, conn, false);

		const char *text = NULL;
		unsigned status = request_check(rq, version, &text);
		if (!status) {
			rq->route =
			    route_find(s, url, method, &status, rq->allow, sizeof(rq->allow));
			text = status == MHD_HTTP_METHOD_NOT_ALLOWED ? "Method not allowed\n"
								     : "Not found\n";
			if ((!rq->route || !rq->route->empty_segments_ok) &&
			    http_path_check(url, NULL) < 0) {
				rq->route = NULL;
				status = MHD_HTTP_BAD_REQUEST;
				text = "Bad request\n";
			}
		}
		if (!rq->route) {
			/* Answered once the request is in: a body is read and dropped. */
			rq->refusal = text;
			rq->refusal_status = status;
			return MHD_YES;
		}
		if (rq->route->begin)
			return rq->route->begin(s->opt->ctx, rq);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (rq->route && rq->route->body && rq->body_err == 0 && !rq->status)
			rq->body_err =
			    rq->route->body(s->opt->ctx, rq, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->status)
		return MHD_YES; /* answered already */
	if (rq->refusal)
		return refuse(rq, rq->refusal_status, rq->refusal, rq->allow);
	return rq->route->handler(s->opt->ctx, rq, rq->body_err);
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct http_request *rq = *req_cls;
	char status[8], bytes[24];

	/* A kept-alive connection now waits for its next request. */
	client_waiting(cls, conn, true);
	if (!rq)
		return;
	*req_cls = NULL;
	if (rq->data && rq->data_free)
		rq->data_free(rq->data);
	if (!rq->started) {
		free(rq);
		return;
	}
	snprintf(status, sizeof(status), "%u", rq->status);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, rq->bytes);
	const char *end = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
			  : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED
			      ? " (timed out)"
			      : " (connection closed before the end)";
	struct log_field fields[6] = {
	    {"ISOBOOT_CLIENT", rq->client},
	    {"ISOBOOT_HTTP_STATUS", status},
	    {"ISOBOOT_BYTES", bytes},
	};
	size_t n = 3;
	if (rq->iso[0])
		fields[n++] = (struct log_field){"ISOBOOT_ISO", rq->iso};
	if (rq->user[0])
		fields[n++] = (struct log_field){"ISOBOOT_USER", rq->user};
	fields[n] = (struct log_field){NULL, NULL};
	log_full(LOG_INFO, 0, MSGID_HTTP_ACCESS, fields, "%s %s %s%s: %u, %s bytes%s", rq->client,
		 rq->method_s, rq->what, rq->tls && !rq->server->all_tls ? " (https)" : "",
		 rq->status, bytes, end);
	free(rq);
}

/* The request's record, made when MHD has read its request line: the target still whole. */
static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_request *rq = calloc(1, sizeof(*rq));
	struct http_server *s = cls;

	if (rq) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
		rq->server = s;
		rq->uri_len = strlen(uri);
		for (size_t i = 0; ci && i < s->n_daemons; i++)
			if (s->daemons[i] == ci->daemon)
				rq->tls = s->daemon_tls[i];
	}
	return rq;
}

/* Raw paths: routes decode what they use, and http_path_check() refuses what it must. */
static size_t no_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t l = strlen(msg);
	while (l > 0 && (msg[l - 1] == '\n' || msg[l - 1] == '\r'))
		msg[--l] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_daemons; i++)
		MHD_stop_daemon(s->daemons[i]);
	if (s->guard_running) {
		(void)!write(s->guard_stop[1], "x", 1);
		pthread_join(s->guard, NULL);
	}
	if (s->guard_stop[0] >= 0) {
		close(s->guard_stop[0]);
		close(s->guard_stop[1]);
	}
	pthread_mutex_destroy(&s->clients_lock);
	free(s);
}

int http_server_start(const struct http_options *opt, const int *fds, const bool *tls_fds,
		      size_t n_fds, struct http_server **out)
{
	struct http_server *s = calloc(1, sizeof(*s));
	size_t i = 0;

	if (!s || n_fds > HTTP_MAX_DAEMONS) {
		for (; i < n_fds; i++)
			close(fds[i]);
		free(s);
		return !s ? -ENOMEM : -E2BIG;
	}
	s->opt = opt;
	pthread_mutex_init(&s->clients_lock, NULL);
	s->guard_stop[0] = s->guard_stop[1] = -1;
	if (pipe2(s->guard_stop, O_CLOEXEC) < 0 ||
	    pthread_create(&s->guard, NULL, guard_main, s) != 0) {
		int r = log_error_errno(neg_errno(), "Cannot start the slow-client guard");
		for (; i < n_fds; i++)
			close(fds[i]);
		http_server_stop(s);
		return r;
	}
	s->guard_running = true;

	/* A thread per connection: a read from a cold disk stalls only its own client. */
	unsigned flags =
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	/* TLS: the key and certificate, and only modern protocol versions. */
	struct MHD_OptionItem tls_opts[] = {
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opt->tls_key_pem},
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)opt->tls_cert_pem},
	    {MHD_OPTION_HTTPS_PRIORITIES, 0,
	     (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"},
	    {MHD_OPTION_END, 0, NULL},
	};
	bool have_tls = opt->tls_cert_pem && opt->tls_key_pem;
	for (; i < n_fds; i++) {
		bool tls = have_tls && (!tls_fds || tls_fds[i]);
		if (tls_fds && tls_fds[i] && !have_tls) {
			int r =
			    log_error_errno(-EINVAL, "No certificate for HTTPS socket %d", fds[i]);
			for (size_t j = i; j < n_fds; j++)
				close(fds[j]);
			http_server_stop(s);
			return r;
		}
		tls_opts[0].option = tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END;
		struct MHD_Daemon *d = MHD_start_daemon(
		    flags | (tls ? MHD_USE_TLS : 0), 0, NULL, NULL, handle, s,
		    MHD_OPTION_LISTEN_SOCKET, fds[i], MHD_OPTION_CONNECTION_TIMEOUT,
		    opt->idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT, opt->connection_limit,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, opt->per_ip_limit,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, opt->connection_memory,
		    MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_NOTIFY_CONNECTION,
		    notify_connection, s, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_logged, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		    s, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
		if (!d) {
			int r = log_error_errno(-EIO, "libmicrohttpd refused listening socket %d",
						fds[i]);
			for (size_t j = i; j < n_fds; j++)
				close(fds[j]);
			http_server_stop(s);
			return r;
		}
		s->daemon_tls[s->n_daemons] = tls;
		s->all_tls = (s->n_daemons == 0 || s->all_tls) && tls;
		s->daemons[s->n_daemons++] = d;
	}
	*out = s;
	return 0;
}
