/* SPDX-License-Identifier: MIT */
/*
 * The libmicrohttpd glue: request routing, the catalog kept fresh by a stat() per request, ISO
 * and memdisk files with ranges, read piece by piece and checked against change, and one access
 * entry in the journal per request.
 */
#include "server.h"

#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog.h"
#include "ipxe.h"
#include "listen.h"
#include "log.h"
#include "range.h"
#include "url.h"
#include "util.h"

#define MAX_DAEMONS 8
/* Looked-up files inside ISOs, kept per image (device, inode, size, mtime) and path. */
#define FILE_CACHE_SLOTS 256

struct file_slot {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char *path; /* NULL: a free slot */
	int result; /* 0, or the lookup's negative errno (misses are kept too) */
	struct iso_file file;
	uint64_t used; /* for least-recently-used eviction */
};

/*
 * Each open connection, for the guard against slow clients: libmicrohttpd's timeout is an idle
 * time, so a client trickling its headers a byte at a time keeps a connection (and a thread) for
 * ever, and 512 of them lock everyone out.
 */
struct client {
	int fd;
	int64_t waiting_since; /* ms: when its current request began; 0 while one is served */
	bool evicted;
	struct client *prev, *next;
};

struct menu_server {
	const struct isoboot_config *cfg;
	char *catalog_path;
	pthread_mutex_t lock; /* the catalog and what we know of its file */
	struct catalog catalog;
	struct stat catalog_st;
	bool catalog_seen; /* catalog_st is valid */
	int catalog_err;   /* the last error reported, so that it is reported once */
	struct MHD_Daemon *daemons[MAX_DAEMONS];
	size_t n_daemons;
	pthread_mutex_t cache_lock;
	struct file_slot cache[FILE_CACHE_SLOTS];
	uint64_t cache_tick;
	pthread_mutex_t clients_lock;
	struct client *clients; /* newest first */
	size_t n_clients;
	time_t evict_warned;
	pthread_t guard;
	bool guard_running;
	int guard_stop[2]; /* a pipe: written to stop the guard thread */
};

/* What one request was and became, for its access entry. */
struct request {
	char client[INET6_ADDRSTRLEN + 8];
	char method[8];
	char iso[CATALOG_ID_MAX];
	char what[160];
	unsigned status;
	uint64_t bytes;
	size_t uri_len; /* strlen() of the raw request target, before MHD splits it */
	bool started;
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Reloads the catalog when its file changed. Called with the lock held. */
static void catalog_refresh(struct menu_server *s)
{
	struct stat st;
	struct catalog fresh;
	unsigned line = 0;

	if (stat(s->catalog_path, &st) < 0) {
		int r = neg_errno();
		if (r != s->catalog_err) {
			if (r == -ENOENT)
				log_warning(
				    "%s does not exist (has isoboot-scan run?); the menu is "
				    "empty",
				    s->catalog_path);
			else
				log_warning_errno(r, "Cannot stat %s; the menu is empty",
						  s->catalog_path);
			s->catalog_err = r;
		}
		catalog_finish(&s->catalog);
		catalog_init(&s->catalog);
		s->catalog_seen = false;
		return;
	}
	if (s->catalog_seen && same_file(&st, &s->catalog_st))
		return;
	/* Whatever happens, this version of the file is not read again. */
	s->catalog_st = st;
	s->catalog_seen = true;
	int r = catalog_load(&fresh, s->catalog_path, &line);
	if (r < 0) {
		if (r == -EBADMSG)
			log_error("%s:%u: the catalog is not valid; keeping the previous one",
				  s->catalog_path, line);
		else
			log_error_errno(r, "Cannot read the catalog %s; keeping the previous one",
					s->catalog_path);
		s->catalog_err = r;
		return;
	}
	catalog_sort(&fresh);
	catalog_finish(&s->catalog);
	s->catalog = fresh;
	s->catalog_err = 0;
	log_info("Catalog %s loaded: %zu ISOs", s->catalog_path, s->catalog.n);
}

static void connection_address(struct MHD_Connection *conn, struct sockaddr_storage *ss,
			       socklen_t *len)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	*len = sizeof(*ss);
	if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)ss, len) < 0) {
		memset(ss, 0, sizeof(*ss));
		*len = 0;
	}
}

/* "http://HOST[:PORT]" and the iSCSI host, from the address the client reached us on. */
static void base_urls(const struct menu_server *s, struct MHD_Connection *conn, char *http,
		      size_t http_size, char *iscsi, size_t iscsi_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char addr[INET6_ADDRSTRLEN + 2] = "";
	unsigned port = 80;

	connection_address(conn, &ss, &len);
	if (ss.ss_family == AF_INET)
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	const char *a = s->cfg->server_address;
	if (str_empty(a)) {
		if (len == 0 ||
		    sockaddr_format((struct sockaddr *)&ss, len, addr + 1, sizeof(addr) - 2, 0) < 0)
			snprintf(addr + 1, sizeof(addr) - 2, "0.0.0.0");
		a = addr + 1;
	}
	if (strchr(a, ':'))
		snprintf(iscsi, iscsi_size, "[%s]", a);
	else
		snprintf(iscsi, iscsi_size, "%s", a);
	if (port == 80)
		snprintf(http, http_size, "http://%s", iscsi);
	else
		snprintf(http, http_size, "http://%s:%u", iscsi, port);
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct request *rq, unsigned status,
			     struct MHD_Response *resp, uint64_t bytes)
{
	if (!resp)
		return MHD_NO;
	rq->status = status;
	rq->bytes = streq(rq->method, "HEAD") ? 0 : bytes;
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, struct request *rq, unsigned status,
				  const char *text)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	if (resp) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					"text/plain; charset=utf-8");
		if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	}
	return queue(conn, rq, status, resp, strlen(text));
}

/* What a response carries: a whole file, or the extents of a file inside an ISO. */
struct payload {
	int fd;		       /* consumed */
	const struct stat *st; /* of fd, as it was looked at for this request */
	uint64_t size;
	time_t mtime;
	const char *etag;
	const struct iso_file *file; /* NULL: the whole of fd */
};

/* Bodies are read by pread() in chunks of this size. */
#define BODY_CHUNK (256u << 10)

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
	uint64_t start; /* the response's first byte, in the file (or the ISO file) */
	size_t n;	/* extents; one covering the whole file for plain files */
	struct iso_extent ext[ISO_MAX_EXTENTS];
	uint64_t *counted; /* the request's byte count, for its access entry */
	char what[CATALOG_ID_MAX + 16];
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
	struct stat now;
	const char *why = NULL;

	for (size_t i = 0; i < b->n; i++) {
		if (at >= b->ext[i].length) {
			at -= b->ext[i].length;
			continue;
		}
		size_t n = b->ext[i].length - at < max ? (size_t)(b->ext[i].length - at) : max;
		ssize_t got = pread_full(b->fd, buf, n, b->ext[i].offset + at);
		if (got < 0)
			why = "cannot be read";
		else if ((size_t)got < n)
			why = "shrank";
		else if (fstat(b->fd, &now) < 0 || !file_unchanged(&now, &b->st))
			why = "changed";
		if (!why) {
			*b->counted += (uint64_t)got;
			return got;
		}
		break;
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
	free(b);
}

/* A response for bytes [first, first + len) of the payload; takes pl->fd. */
static struct MHD_Response *payload_response(const struct payload *pl, struct request *rq,
					     uint64_t first, uint64_t len)
{
	const struct iso_file *f = pl->file;
	struct body *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	*b = (struct body){.fd = pl->fd, .st = *pl->st, .start = first, .counted = &rq->bytes};
	if (f) {
		b->n = f->n_extents;
		memcpy(b->ext, f->extents, f->n_extents * sizeof(f->extents[0]));
	} else {
		b->n = 1;
		b->ext[0] = (struct iso_extent){.offset = 0, .length = pl->size};
	}
	if (rq->iso[0])
		snprintf(b->what, sizeof(b->what), "The ISO %s", rq->iso);
	else
		snprintf(b->what, sizeof(b->what), "The file");
	struct MHD_Response *resp =
	    MHD_create_response_from_callback(len, BODY_CHUNK, body_read, b, body_free);
	if (!resp)
		free(b); /* the caller closes the fd */
	return resp;
}

/* Serves a payload (its fd is consumed) with validators and a single byte range. */
static enum MHD_Result serve_payload(struct MHD_Connection *conn, struct request *rq,
				     const struct payload *pl)
{
	char modified[40], crange[80];
	uint64_t first = 0, last = 0, size = pl->size;
	enum http_range kind = HTTP_RANGE_NONE;
	struct MHD_Response *resp;
	unsigned status;

	http_date_format(pl->mtime, modified, sizeof(modified));
	const char *range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Range");
	const char *if_range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-Range");
	if (range && http_if_range_matches(if_range, pl->etag, pl->mtime))
		kind = http_range_parse(range, size, &first, &last);

	if (kind == HTTP_RANGE_UNSATISFIABLE) {
		close(pl->fd);
		snprintf(crange, sizeof(crange), "bytes */%" PRIu64, size);
		snprintf(rq->what + strlen(rq->what), sizeof(rq->what) - strlen(rq->what),
			 " range %s unsatisfiable", range);
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_RANGE_NOT_SATISFIABLE;
	} else if (kind == HTTP_RANGE_OK) {
		snprintf(crange, sizeof(crange), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first,
			 last, size);
		snprintf(rq->what + strlen(rq->what), sizeof(rq->what) - strlen(rq->what),
			 " bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last, size);
		resp = payload_response(pl, rq, first, last - first + 1);
		status = MHD_HTTP_PARTIAL_CONTENT;
	} else {
		snprintf(rq->what + strlen(rq->what), sizeof(rq->what) - strlen(rq->what),
			 " whole %" PRIu64, size);
		resp = payload_response(pl, rq, 0, size);
		status = MHD_HTTP_OK;
	}
	if (!resp) {
		if (kind != HTTP_RANGE_UNSATISFIABLE)
			close(pl->fd);
		return MHD_NO;
	}
	if (kind != HTTP_RANGE_NONE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, crange);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, pl->etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, modified);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	/* The body counts its own bytes, as it hands them out. */
	return queue(conn, rq, status, resp, 0);
}

/* Serves an open file (fd is consumed) whole or by ranges. */
static enum MHD_Result serve_file(struct MHD_Connection *conn, struct request *rq, int fd,
				  const char *tag)
{
	struct stat st;
	char etag[CATALOG_ID_MAX + 48];

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return reply_text(conn, rq, MHD_HTTP_NOT_FOUND, "Not found\n");
	}
	snprintf(etag, sizeof(etag), "\"%s-%" PRIx64 "-%" PRIx64 "\"", tag, (uint64_t)st.st_size,
		 (uint64_t)st.st_mtime);
	struct payload pl = {
	    .fd = fd, .st = &st, .size = (uint64_t)st.st_size, .mtime = st.st_mtime, .etag = etag};
	return serve_payload(conn, rq, &pl);
}

/*
 * Opens the image of a catalogued ISO, inside iso_dir whatever symlinks say: its fd, or a
 * negative errno after the reply was queued (*ret).
 */
static int open_iso(struct menu_server *s, struct MHD_Connection *conn, struct request *rq,
		    const char *id, struct stat *st, enum MHD_Result *ret)
{
	_cleanup_free_ char *path = NULL;

	pthread_mutex_lock(&s->lock);
	catalog_refresh(s);
	const struct catalog_entry *e = catalog_find_id(&s->catalog, id);
	if (e && e->path)
		path = strdup(e->path);
	pthread_mutex_unlock(&s->lock);
	if (!e) {
		*ret = reply_text(conn, rq, MHD_HTTP_NOT_FOUND, "No such ISO\n");
		return -ENOENT;
	}
	if (!path) {
		*ret = MHD_NO;
		return -ENOMEM;
	}
	struct catalog_entry where = {.path = path};
	int fd = catalog_open_image(s->cfg->iso_dir, &where, st);
	if (fd < 0) {
		log_warning_errno(fd, "Cannot open the ISO %s (%s)", id, path);
		*ret = reply_text(conn, rq, MHD_HTTP_NOT_FOUND, "The ISO cannot be opened\n");
	}
	return fd;
}

static enum MHD_Result serve_iso(struct menu_server *s, struct MHD_Connection *conn,
				 struct request *rq, const char *id)
{
	enum MHD_Result ret = MHD_NO;
	struct stat st;

	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	snprintf(rq->what, sizeof(rq->what), "iso %s", id);
	int fd = open_iso(s, conn, rq, id, &st, &ret);
	if (fd < 0)
		return ret;
	return serve_file(conn, rq, fd, id);
}

static bool slot_matches(const struct file_slot *c, const struct stat *st, const char *path)
{
	return c->path && c->dev == st->st_dev && c->ino == st->st_ino && c->size == st->st_size &&
	       c->mtime.tv_sec == st->st_mtim.tv_sec && c->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       streq(c->path, path);
}

/*
 * Looks path up inside the image open at fd (st its fstat), through the cache: a boot fetches
 * the same few files again and again, by ranges, and each lookup would read directories.
 */
static int lookup_in_iso(struct menu_server *s, int fd, const struct stat *st, const char *path,
			 struct iso_file *out)
{
	struct file_slot *victim = NULL;
	int r;

	pthread_mutex_lock(&s->cache_lock);
	for (size_t i = 0; i < FILE_CACHE_SLOTS; i++) {
		struct file_slot *c = &s->cache[i];
		if (slot_matches(c, st, path)) {
			c->used = ++s->cache_tick;
			r = c->result;
			if (r == 0)
				*out = c->file;
			pthread_mutex_unlock(&s->cache_lock);
			return r;
		}
	}
	pthread_mutex_unlock(&s->cache_lock);

	struct iso_fd_source src;
	struct iso_volume v;
	const char *problem;
	iso_fd_source_init(&src, fd, (uint64_t)st->st_size);
	r = iso_volume_open(&v, &src.src, &problem);
	if (r == 0)
		r = iso_lookup_file(&v, path, true, out);
	if (r == -ENOMEM)
		return r;

	char *copy = strdup(path);
	if (!copy)
		return r;
	pthread_mutex_lock(&s->cache_lock);
	for (size_t i = 0; i < FILE_CACHE_SLOTS; i++) {
		struct file_slot *c = &s->cache[i];
		if (!victim || !c->path || (victim->path && c->used < victim->used))
			victim = c;
		if (!c->path)
			break;
	}
	free(victim->path);
	*victim = (struct file_slot){
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .size = st->st_size,
	    .mtime = st->st_mtim,
	    .path = copy,
	    .result = r,
	    .used = ++s->cache_tick,
	};
	if (r == 0)
		victim->file = *out;
	pthread_mutex_unlock(&s->cache_lock);
	return r;
}

/* A regular file inside a catalogued ISO, by its path in the ISO's own tree. */
static enum MHD_Result serve_iso_file(struct menu_server *s, struct MHD_Connection *conn,
				      struct request *rq, const char *id, const char *path)
{
	enum MHD_Result ret = MHD_NO;
	struct iso_file f;
	struct stat st;
	char etag[CATALOG_ID_MAX + 96], shown[MENU_TEXT_MAX + 1];

	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	menu_text_sanitize(path, shown, sizeof(shown));
	snprintf(rq->what, sizeof(rq->what), "file %s/%s", id, shown);
	int fd = open_iso(s, conn, rq, id, &st, &ret);
	if (fd < 0)
		return ret;
	int r = lookup_in_iso(s, fd, &st, path, &f);
	if (r < 0) {
		close(fd);
		if (r == -ENOMEM)
			return MHD_NO;
		/* Directories, links, special files and broken trees alike: not a file here. */
		return reply_text(conn, rq, MHD_HTTP_NOT_FOUND, "No such file in the ISO\n");
	}
	/* The file's place in the image names it; the image's size and time date it. */
	snprintf(etag, sizeof(etag), "\"%s-f%" PRIx64 "-%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", id,
		 f.n_extents ? f.extents[0].offset : 0, f.size, (uint64_t)st.st_size,
		 (uint64_t)st.st_mtime);
	struct payload pl = {
	    .fd = fd, .st = &st, .size = f.size, .mtime = st.st_mtime, .etag = etag, .file = &f};
	return serve_payload(conn, rq, &pl);
}

static enum MHD_Result serve_memdisk(struct menu_server *s, struct MHD_Connection *conn,
				     struct request *rq)
{
	snprintf(rq->what, sizeof(rq->what), "memdisk");
	int fd = open(s->cfg->menu_memdisk, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return reply_text(conn, rq, MHD_HTTP_NOT_FOUND, "memdisk is not installed\n");
	return serve_file(conn, rq, fd, "memdisk");
}

static enum MHD_Result serve_script(struct menu_server *s, struct MHD_Connection *conn,
				    struct request *rq)
{
	char http[INET6_ADDRSTRLEN + 320], iscsi[INET6_ADDRSTRLEN + 260];
	char *text = NULL;
	size_t len = 0;
	struct stat st;

	snprintf(rq->what, sizeof(rq->what), "menu");
	base_urls(s, conn, http, sizeof(http), iscsi, sizeof(iscsi));
	struct menu_params p = {
	    .title = s->cfg->menu_title,
	    .default_entry = s->cfg->menu_default,
	    .timeout = s->cfg->menu_timeout,
	    .http_base = http,
	    .iscsi_host = iscsi,
	    .uefi_boot = s->cfg->menu_uefi_boot,
	    .memdisk = stat(s->cfg->menu_memdisk, &st) == 0 && S_ISREG(st.st_mode),
	};
	/* "?memsize=N": the client's RAM in MiB, as its iPXE says (the menu asks for it). Any
	 * value, even a bad one, means it was asked: the script does not ask again. */
	const char *memsize = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "memsize");
	p.memsize_asked = memsize != NULL;
	if (memsize && parse_u64(memsize, 1, UINT64_MAX >> 21, &p.memsize_mib) < 0)
		p.memsize_mib = 0;
	pthread_mutex_lock(&s->lock);
	catalog_refresh(s);
	int r = menu_script(&s->catalog, &p, &text, &len);
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		log_error_errno(r, "Cannot generate the menu");
		return reply_text(conn, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory\n");
	}
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return queue(conn, rq, MHD_HTTP_OK, resp, len);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct client *client_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Marks when a connection starts waiting for a request (0: one is being served). */
static void client_waiting(struct menu_server *s, struct MHD_Connection *conn, bool waiting)
{
	struct client *c = client_of(conn);

	if (!c)
		return;
	pthread_mutex_lock(&s->clients_lock);
	c->waiting_since = waiting ? mono_ms() : 0;
	pthread_mutex_unlock(&s->clients_lock);
}

/* Ends a connection by its socket; libmicrohttpd sees the error and closes it. Locked. */
static void client_evict(struct menu_server *s, struct client *c, const char *why)
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
	struct menu_server *s = cls;
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
		 * longest without sending a whole request, so the menu stays reachable. */
		if (s->n_clients > MENU_CONNECTION_LIMIT - MENU_CONNECTION_RESERVE) {
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

/* Once a second: a request's headers have MENU_HEADER_DEADLINE_S from its start, in all. */
static void *guard_main(void *arg)
{
	struct menu_server *s = arg;
	struct pollfd pfd = {.fd = s->guard_stop[0], .events = POLLIN};

	while (poll(&pfd, 1, 1000) == 0) {
		int64_t now = mono_ms();
		pthread_mutex_lock(&s->clients_lock);
		for (struct client *c = s->clients; c; c = c->next)
			if (c->waiting_since &&
			    now - c->waiting_since > (int64_t)MENU_HEADER_DEADLINE_S * 1000)
				client_evict(s, c, "sent no whole request in time");
		pthread_mutex_unlock(&s->clients_lock);
	}
	return NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct menu_server *s = cls;
	struct request *rq = *req_cls;
	enum menu_url_kind kind;
	char id[CATALOG_ID_MAX], file[MENU_URL_MAX + 1];

	(void)upload_data;
	if (!rq)
		return MHD_NO; /* uri_logged() ran out of memory */
	if (!rq->started) {
		/* Answering before the whole request is in would make MHD close the connection:
		 * the first call only sets up, the answer comes with the last one. */
		rq->started = true;
		/* Known now, for the access entry of a request whose body never comes. */
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
		menu_text_sanitize(method, rq->method, sizeof(rq->method));
		menu_text_sanitize(url, rq->what, 64 < sizeof(rq->what) ? 64 : sizeof(rq->what));
		client_waiting(s, conn, false);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0; /* a body is never used */
		return MHD_YES;
	}
	if (rq->status)
		return MHD_YES;
	/*
	 * A raw NUL in the request target: MHD keeps the whole line but hands on a URL cut at the
	 * NUL, so "/iso/<id>/x.iso\0junk" would be served as "/iso/<id>/x.iso". The target and
	 * the version lie in MHD's read buffer, the one right after the other; when the target
	 * seen before MHD split it (uri_logged) is shorter than that span, it held a NUL. A
	 * version elsewhere (another MHD) skips the check rather than guess.
	 */
	if (version > url && (size_t)(version - url) <= 2 * MENU_CONNECTION_MEMORY &&
	    (size_t)(version - url) > rq->uri_len + 1)
		return reply_text(conn, rq, MHD_HTTP_BAD_REQUEST, "Bad request: NUL in the URL\n");
	/* RFC 9112 3.2: an HTTP/1.1 request without a Host header is answered 400. */
	if (streq(version, MHD_HTTP_VERSION_1_1) &&
	    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))
		return reply_text(conn, rq, MHD_HTTP_BAD_REQUEST, "Bad request: no Host header\n");
	if (!streq(method, MHD_HTTP_METHOD_GET) && !streq(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed\n");
	int r = menu_url_parse(url, &kind, id, file);
	if (r == -EINVAL)
		return reply_text(conn, rq, MHD_HTTP_BAD_REQUEST, "Bad request\n");
	if (r < 0)
		return reply_text(conn, rq, MHD_HTTP_NOT_FOUND, "Not found\n");
	switch (kind) {
	case MENU_URL_SCRIPT:
		return serve_script(s, conn, rq);
	case MENU_URL_MEMDISK:
		return serve_memdisk(s, conn, rq);
	case MENU_URL_ISO:
		return serve_iso(s, conn, rq, id);
	case MENU_URL_FILE:
		return serve_iso_file(s, conn, rq, id, file);
	}
	return reply_text(conn, rq, MHD_HTTP_NOT_FOUND, "Not found\n");
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *req_cls;
	char status[8], bytes[24];

	/* A kept-alive connection now waits for its next request. */
	client_waiting(cls, conn, true);
	if (!rq)
		return;
	*req_cls = NULL;
	snprintf(status, sizeof(status), "%u", rq->status);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, rq->bytes);
	const char *end = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ""
			  : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED
			      ? " (timed out)"
			      : " (connection closed before the end)";
	struct log_field fields[] = {
	    {"ISOBOOT_CLIENT", rq->client},
	    {"ISOBOOT_HTTP_STATUS", status},
	    {"ISOBOOT_BYTES", bytes},
	    {"ISOBOOT_ISO", rq->iso},
	    {NULL, NULL},
	};
	if (!rq->iso[0])
		fields[3] = (struct log_field){NULL, NULL};
	log_full(LOG_INFO, 0, MSGID_HTTP_ACCESS, fields, "%s %s %s: %u, %s bytes%s", rq->client,
		 rq->method, rq->what, rq->status, bytes, end);
	free(rq);
}

/* The request's record, made when MHD has read its request line: the target still whole. */
static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	struct request *rq = calloc(1, sizeof(*rq));
	if (rq)
		rq->uri_len = strlen(uri);
	return rq;
}

/* Raw paths: menu_url_parse() decodes, and refuses what it must. */
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

void menu_server_stop(struct menu_server *s)
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
	catalog_finish(&s->catalog);
	pthread_mutex_destroy(&s->lock);
	for (size_t i = 0; i < FILE_CACHE_SLOTS; i++)
		free(s->cache[i].path);
	pthread_mutex_destroy(&s->cache_lock);
	free(s->catalog_path);
	free(s);
}

int menu_server_start(const struct isoboot_config *cfg, const int *fds, size_t n_fds,
		      struct menu_server **out)
{
	struct menu_server *s = calloc(1, sizeof(*s));
	size_t i = 0;

	if (!s || n_fds > MAX_DAEMONS || !(s->catalog_path = config_catalog_path(cfg))) {
		for (; i < n_fds; i++)
			close(fds[i]);
		free(s);
		return !s || n_fds <= MAX_DAEMONS ? -ENOMEM : -E2BIG;
	}
	s->cfg = cfg;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->cache_lock, NULL);
	pthread_mutex_init(&s->clients_lock, NULL);
	s->guard_stop[0] = s->guard_stop[1] = -1;
	if (pipe2(s->guard_stop, O_CLOEXEC) < 0 ||
	    pthread_create(&s->guard, NULL, guard_main, s) != 0) {
		int r = log_error_errno(neg_errno(), "Cannot start the slow-client guard");
		for (; i < n_fds; i++)
			close(fds[i]);
		menu_server_stop(s);
		return r;
	}
	s->guard_running = true;
	catalog_init(&s->catalog);
	s->catalog_err = 1;
	pthread_mutex_lock(&s->lock);
	catalog_refresh(s);
	pthread_mutex_unlock(&s->lock);

	for (; i < n_fds; i++) {
		struct MHD_Daemon *d = MHD_start_daemon(
		    /* A thread per connection: a read from a cold disk stalls only its own client.
		     */
		    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			MHD_USE_ERROR_LOG,
		    0, NULL, NULL, handle, s, MHD_OPTION_LISTEN_SOCKET, fds[i],
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)MENU_CONNECTION_TIMEOUT_S,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MENU_CONNECTION_LIMIT,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)MENU_PER_IP_LIMIT,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MENU_CONNECTION_MEMORY,
		    MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_NOTIFY_CONNECTION,
		    notify_connection, s, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, s,
		    MHD_OPTION_URI_LOG_CALLBACK, uri_logged, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
		    s, MHD_OPTION_END);
		if (!d) {
			int r = log_error_errno(-EIO, "libmicrohttpd refused listening socket %d",
						fds[i]);
			for (size_t j = i; j < n_fds; j++)
				close(fds[j]);
			menu_server_stop(s);
			return r;
		}
		s->daemons[s->n_daemons++] = d;
	}
	*out = s;
	return 0;
}
