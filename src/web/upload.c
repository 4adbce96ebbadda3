/* SPDX-License-Identifier: MIT */
/*
 * Uploads: PUT /api/isos/[GROUP/]NAME.iso streams the body to a hidden file beside the target
 * (".NAME.iso.upload": isoboot-scan never catalogues a hidden file), checks that it is an ISO
 * with the scanner's own inspector, syncs it and renames it into place; only then does the
 * path unit (or our own rescan) see it. An upload cut off half-way keeps its hidden file, and a
 * PUT with "Content-Range: bytes N-LAST/TOTAL" continues it from N (GET /api/uploads/PATH says
 * how far it got). Every refusal and failure removes what the upload wrote.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "catalog.h"
#include "iso9660.h"
#include "log.h"
#include "parse.h"
#include "util.h"
#include "web.h"

#define UPLOAD_PREFIX "/api/isos/"
/* The body is written in pieces of this size, and handed to the disk's write-back every
 * UPLOAD_SYNC_EVERY bytes, so that the fsync() before the rename has little left to do. */
#define UPLOAD_BUFFER (1u << 20)
#define UPLOAD_SYNC_EVERY (32u << 20)
#define UPLOADS_PREFIX "/api/uploads/"

struct upload {
	int dir;	/* the folder the ISO goes to */
	int fd;		/* the hidden file, locked */
	uint64_t at;	/* where the next byte goes (the last UPLOAD_BUFFER may be in buf) */
	uint64_t end;	/* where this request's bytes end (UINT64_MAX: unknown) */
	uint64_t total; /* the whole file's size (UINT64_MAX: unknown) */
	bool replace;
	bool keep; /* an interrupted upload keeps its bytes, to be resumed */
	char *buf;
	size_t buffered;
	uint64_t synced; /* where the last write-back started */
	char group[WEB_NAME_MAX + 1];
	char name[WEB_NAME_MAX + 1];
	char hidden[WEB_NAME_MAX + 16];
	char user[USERS_NAME_MAX + 1];
};

/* Writes out what is buffered; a negative errno when the file system refuses. */
static int upload_flush(struct upload *u)
{
	uint64_t at = u->at - u->buffered;
	const char *p = u->buf;

	while (u->buffered > 0) {
		ssize_t w = pwrite(u->fd, p, u->buffered, (off_t)at);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? neg_errno() : -EIO;
		p += w;
		at += (uint64_t)w;
		u->buffered -= (size_t)w;
	}
	if (u->at - u->synced >= UPLOAD_SYNC_EVERY) {
		(void)sync_file_range(u->fd, (off64_t)u->synced, (off64_t)(u->at - u->synced),
				      SYNC_FILE_RANGE_WRITE);
		u->synced = u->at;
	}
	return 0;
}

static void upload_free(void *p)
{
	struct upload *u = p;

	if (u->fd >= 0 && u->keep && u->buffered)
		(void)upload_flush(u); /* what arrived counts for a resume */
	free(u->buf);
	if (u->fd >= 0) {
		if (!u->keep)
			(void)unlinkat(u->dir, u->hidden, 0);
		close(u->fd); /* and with it the lock */
	}
	if (u->dir >= 0)
		close(u->dir);
	free(u);
}

int web_group_dir(const char *iso_dir, const char *group, bool create)
{
	_cleanup_close_ int top = open(iso_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return neg_errno();
	if (!*group)
		return take_fd(&top);
	int fd = openat(top, group, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(top, group, 0755) < 0 && errno != EEXIST)
			return neg_errno();
		fd = openat(top, group, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? neg_errno() : fd;
}

/* The decoded path after prefix; -EINVAL when it is not a place an ISO may go. */
static int upload_target(const struct http_request *rq, const char *prefix, char *group, char *name)
{
	char decoded[HTTP_PATH_MAX + 1];

	if (http_path_check(rq->url, decoded) < 0 || strncmp(decoded, prefix, strlen(prefix)) != 0)
		return -EINVAL;
	return web_iso_path_check(decoded + strlen(prefix), group, name);
}

static enum MHD_Result refuse(struct http_request *rq, struct upload *u, unsigned status,
			      const char *text)
{
	if (u)
		u->keep = false;
	return web_reply_error(rq, status, text);
}

enum MHD_Result web_upload_begin(void *ctx, struct http_request *rq)
{
	struct web_server *s = ctx;
	char user[USERS_NAME_MAX + 1];
	enum MHD_Result ret;
	struct stat st;

	if (web_authenticate(s, rq, true, user, &ret) < 0)
		return ret;
	struct upload *u = calloc(1, sizeof(*u));
	if (!u || !(u->buf = malloc(UPLOAD_BUFFER))) {
		free(u);
		return MHD_NO;
	}
	u->dir = u->fd = -1;
	u->end = u->total = UINT64_MAX;
	snprintf(u->user, sizeof(u->user), "%s", user);
	rq->data = u;
	rq->data_free = upload_free;
	if (upload_target(rq, UPLOAD_PREFIX, u->group, u->name) < 0)
		return refuse(rq, NULL, MHD_HTTP_BAD_REQUEST,
			      "Bad name: NAME.iso or GROUP/NAME.iso, no leading dot, no control "
			      "characters");
	snprintf(rq->what, sizeof(rq->what), "upload %.60s%s%.80s", u->group, *u->group ? "/" : "",
		 u->name);
	const char *replace = http_query(rq, "replace");
	u->replace = replace && streq(replace, "1");
	snprintf(u->hidden, sizeof(u->hidden), ".%s.upload", u->name);

	u->dir = web_group_dir(s->cfg->iso_dir, u->group, true);
	if (u->dir < 0) {
		log_error_errno(u->dir, "Cannot open the folder for an upload of %s", rq->what + 7);
		return refuse(rq, NULL, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "The ISO folder cannot be written to");
	}
	if (!u->replace && fstatat(u->dir, u->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return refuse(rq, NULL, MHD_HTTP_CONFLICT,
			      "An ISO of that name exists: add ?replace=1 to replace it");

	u->fd = openat(u->dir, u->hidden, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (u->fd < 0) {
		log_error_errno(neg_errno(), "Cannot create %s for an upload", u->hidden);
		return refuse(rq, NULL, MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "The ISO folder cannot be written to");
	}
	if (flock(u->fd, LOCK_EX | LOCK_NB) < 0) {
		/* Another upload of this name holds it: its file is not ours to remove. */
		close(u->fd);
		u->fd = -1;
		return refuse(rq, NULL, MHD_HTTP_CONFLICT, "An upload of that name is in progress");
	}
	if (fstat(u->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(rq, u, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot examine the upload");

	const char *range = http_header(rq, MHD_HTTP_HEADER_CONTENT_RANGE);
	const char *length = http_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t first, last, n;
	if (range) {
		if (web_content_range_parse(range, &first, &last, &u->total) < 0)
			return refuse(rq, u, MHD_HTTP_BAD_REQUEST,
				      "Bad Content-Range: bytes FIRST-LAST/TOTAL");
		if (first != (uint64_t)st.st_size) {
			/* Not where the upload stands: keep what is there, say where that is. */
			u->keep = true;
			char text[96];
			snprintf(text, sizeof(text), "The upload stands at %" PRIu64 " bytes",
				 (uint64_t)st.st_size);
			return web_reply_error(rq, MHD_HTTP_CONFLICT, text);
		}
		if (!length || parse_u64(length, 0, UINT64_MAX, &n) < 0 || n != last - first + 1)
			return refuse(rq, u, MHD_HTTP_BAD_REQUEST,
				      "Content-Length does not match Content-Range");
		u->at = u->synced = first;
		u->end = last + 1;
	} else {
		if (ftruncate(u->fd, 0) < 0)
			return refuse(rq, u, MHD_HTTP_INTERNAL_SERVER_ERROR,
				      "Cannot start the upload");
		if (length && parse_u64(length, 0, UINT64_MAX, &n) == 0)
			u->end = u->total = n;
	}

	/* Room for what is still to come, before a byte is written. */
	struct statvfs vfs;
	uint64_t need = u->end == UINT64_MAX ? 0 : u->end - u->at;
	if (fstatvfs(u->dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < need) {
		log_warning("Refused the upload of %s by %s: %" PRIu64 " bytes do not fit in the "
			    "%" PRIu64 " free",
			    rq->what + 7, u->user, need, (uint64_t)vfs.f_bavail * vfs.f_frsize);
		return refuse(rq, u, MHD_HTTP_INSUFFICIENT_STORAGE,
			      "Not enough free space in the ISO folder");
	}
	/* From here, a connection cut off keeps the bytes, for a resume. */
	u->keep = true;
	return MHD_YES;
}

int web_upload_body(void *ctx, struct http_request *rq, const char *data, size_t size)
{
	struct upload *u = rq->data;

	(void)ctx;
	if (u->end != UINT64_MAX && size > u->end - u->at)
		return -EFBIG;
	while (size > 0) {
		size_t n = UPLOAD_BUFFER - u->buffered < size ? UPLOAD_BUFFER - u->buffered : size;
		memcpy(u->buf + u->buffered, data, n);
		u->buffered += n;
		u->at += n;
		data += n;
		size -= n;
		if (u->buffered == UPLOAD_BUFFER) {
			int r = upload_flush(u);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static enum MHD_Result created(struct http_request *rq, const struct upload *u, const char *rel,
			       unsigned status)
{
	char id[CATALOG_ID_MAX] = "";
	char *buf = NULL;
	size_t len = 0;

	(void)u;
	(void)catalog_make_id(rel, id);
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fputs("{\"path\":", f);
	json_string(f, rel);
	fputs(",\"id\":", f);
	json_string(f, id);
	fputs("}\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	return http_reply_buffer(rq, status, "application/json", buf, len);
}

enum MHD_Result web_upload_end(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	struct upload *u = rq->data;
	char rel[2 * WEB_NAME_MAX + 2];
	struct stat st;

	snprintf(rel, sizeof(rel), "%s%s%s", u->group, *u->group ? "/" : "", u->name);
	if (err == 0)
		err = upload_flush(u);
	if (err == -ENOSPC || err == -EDQUOT) {
		log_warning("The upload of %s by %s ran out of space after %" PRIu64 " bytes", rel,
			    u->user, u->at);
		return refuse(rq, u, MHD_HTTP_INSUFFICIENT_STORAGE,
			      "The ISO folder ran out of space");
	}
	if (err == -EFBIG)
		return refuse(rq, u, MHD_HTTP_BAD_REQUEST, "More bytes than announced");
	if (err < 0) {
		log_error_errno(err, "Cannot write the upload of %s", rel);
		return refuse(rq, u, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot write the upload");
	}
	if (u->end != UINT64_MAX && u->at != u->end)
		return refuse(rq, u, MHD_HTTP_BAD_REQUEST, "Fewer bytes than announced");
	if (u->total != UINT64_MAX && u->at < u->total) {
		/* A part of a resumable upload: say where it stands. */
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			return MHD_NO;
		fprintf(f, "{\"path\":");
		json_string(f, rel);
		fprintf(f, ",\"offset\":%" PRIu64 ",\"total\":%" PRIu64 "}\n", u->at, u->total);
		if (fclose(f) != 0) {
			free(buf);
			return MHD_NO;
		}
		return http_reply_buffer(rq, MHD_HTTP_ACCEPTED, "application/json", buf, len);
	}

	/* Whole: is it an ISO, as the scanner sees ISOs? */
	struct iso_fd_source src;
	struct iso_info info;
	if (fstat(u->fd, &st) < 0)
		return refuse(rq, u, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot examine the upload");
	iso_fd_source_init(&src, u->fd, (uint64_t)st.st_size);
	int r = iso_inspect(&src.src, &info);
	if (r < 0) {
		char text[160];
		snprintf(text, sizeof(text), "Not an ISO image: %s",
			 info.problem ? info.problem : strerror(-r));
		log_warning("Refused the upload of %s by %s: %s", rel, u->user, text);
		return refuse(rq, u, MHD_HTTP_BAD_REQUEST, text);
	}
	if (fsync(u->fd) < 0) {
		r = neg_errno();
		log_error_errno(r, "Cannot sync the upload of %s", rel);
		return refuse(rq, u,
			      r == -ENOSPC || r == -EDQUOT ? MHD_HTTP_INSUFFICIENT_STORAGE
							   : MHD_HTTP_INTERNAL_SERVER_ERROR,
			      "Cannot write the upload");
	}
	(void)fchmod(u->fd, 0644);
	/* Into place in one step: a client booting the old ISO keeps reading its own file. */
	if (renameat2(u->dir, u->hidden, u->dir, u->name, u->replace ? 0 : RENAME_NOREPLACE) < 0) {
		r = neg_errno();
		if (r == -EEXIST)
			return refuse(rq, u, MHD_HTTP_CONFLICT,
				      "An ISO of that name appeared meanwhile: add ?replace=1");
		log_error_errno(r, "Cannot rename the upload of %s into place", rel);
		return refuse(rq, u, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot rename the upload");
	}
	(void)fsync(u->dir);
	close(u->fd);
	u->fd = -1;
	log_full(LOG_NOTICE, 0, NULL,
		 (const struct log_field[]){{"ISOBOOT_USER", u->user}, {NULL, NULL}},
		 "%s uploaded %s (%" PRIu64 " bytes%s)", u->user, rel, (uint64_t)st.st_size,
		 u->replace ? ", replacing" : "");
	web_rescan(s);
	return created(rq, u, rel, MHD_HTTP_CREATED);
}

enum MHD_Result web_upload_status(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	char user[USERS_NAME_MAX + 1], group[WEB_NAME_MAX + 1], name[WEB_NAME_MAX + 1];
	char hidden[WEB_NAME_MAX + 16];
	enum MHD_Result ret;
	struct stat st;

	(void)err;
	if (web_authenticate(s, rq, false, user, &ret) < 0)
		return ret;
	if (upload_target(rq, UPLOADS_PREFIX, group, name) < 0)
		return web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "Bad name");
	snprintf(hidden, sizeof(hidden), ".%s.upload", name);
	_cleanup_close_ int dir = web_group_dir(s->cfg->iso_dir, group, false);
	if (dir < 0 || fstatat(dir, hidden, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return web_reply_error(rq, MHD_HTTP_NOT_FOUND, "No upload of that name");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fprintf(f, "{\"offset\":%" PRIu64 "}\n", (uint64_t)st.st_size);
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	return http_reply_buffer(rq, MHD_HTTP_OK, "application/json", buf, len);
}
