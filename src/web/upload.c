/* SPDX-License-Identifier: MIT */
/*
 * Uploads: PUT /api/isos/[GROUP/]NAME.iso streams the body to a hidden file beside the target
 * (".NAME.iso.upload": isoboot-scan never catalogues a hidden file), checks that it is an ISO
 * with the scanner's own inspector, syncs it and renames it into place; only then does the
 * path unit (or our own rescan) see it. An upload cut off half-way keeps its hidden file, and a
 * PUT with "Content-Range: bytes N-LAST/TOTAL" continues it from N (GET /api/uploads/PATH says
 * how far it got). Every refusal and failure removes what the upload wrote.
 */
#include <dirent.h>
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

bool web_hidden_busy(int dir, const char *name, const char *suffix)
{
	char hidden[WEB_NAME_MAX + 16];

	snprintf(hidden, sizeof(hidden), ".%s%s", name, suffix);
	_cleanup_close_ int fd =
	    openat(dir, hidden, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0)
		return errno == EWOULDBLOCK;
	return false; /* left by an interrupted request; closing drops our lock */
}

/* Whether file is the hidden file of an ISO's upload or fetch: ".x.iso" suffix. */
static bool partial_name(const char *file, const char *suffix)
{
	size_t n = strlen(file), sl = strlen(suffix);

	return file[0] == '.' && n > sl + 5 && streq(file + n - sl, suffix) &&
	       strncasecmp(file + n - sl - 4, ".iso", 4) == 0;
}

/* A stream over dir from its start (a dup shares the position with dir). */
static DIR *dir_stream(int dir)
{
	int fd = dup(dir);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	rewinddir(d);
	return d;
}

static unsigned sweep_dir(int dir, const char *group, unsigned days, time_t now)
{
	_cleanup_closedir_ DIR *d = dir_stream(dir);
	unsigned removed = 0;
	struct dirent *de;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		bool upload = partial_name(de->d_name, ".upload");
		if (!upload && !partial_name(de->d_name, ".fetch"))
			continue;
		_cleanup_close_ int fd =
		    openat(dir, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		double age = difftime(now, st.st_mtime) / 86400.0;
		if (upload && (days == 0 || age < days))
			continue;
		/* A request writing it holds its lock; ours keeps a new request out while we
		 * unlink (it finds the file gone once it has the lock, see web_upload_begin). */
		if (flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		if (unlinkat(dir, de->d_name, 0) < 0) {
			log_warning_errno(neg_errno(), "Cannot remove %s%s%s", group,
					  *group ? "/" : "", de->d_name);
			continue;
		}
		removed++;
		if (upload)
			log_info("Removed %s%s%s: an upload interrupted %.0f days ago, %" PRIu64
				 " bytes ([web] keep_interrupted = %u)",
				 group, *group ? "/" : "", de->d_name, age, (uint64_t)st.st_size,
				 days);
		else
			log_info("Removed %s%s%s: what an interrupted fetch left, %" PRIu64
				 " bytes",
				 group, *group ? "/" : "", de->d_name, (uint64_t)st.st_size);
	}
	return removed;
}

void web_partials_sweep_maybe(struct web_server *s)
{
	time_t now = time(NULL);

	pthread_mutex_lock(&s->sweep_lock);
	if (s->swept == 0 || difftime(now, s->swept) >= 3600 || difftime(now, s->swept) < 0) {
		s->swept = now;
		(void)web_partials_sweep(s->cfg, now);
	}
	pthread_mutex_unlock(&s->sweep_lock);
}

unsigned web_partials_sweep(const struct isoboot_config *cfg, time_t now)
{
	_cleanup_close_ int top = web_group_dir(cfg->iso_dir, "", false);
	unsigned removed;

	if (top < 0)
		return 0;
	removed = sweep_dir(top, "", cfg->web_keep_interrupted, now);
	_cleanup_closedir_ DIR *d = dir_stream(top);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_close_ int g =
		    openat(top, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (g >= 0)
			removed += sweep_dir(g, de->d_name, cfg->web_keep_interrupted, now);
	}
	return removed;
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
	web_partials_sweep_maybe(s);
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
	if (web_hidden_busy(u->dir, u->name, ".fetch"))
		return refuse(rq, NULL, MHD_HTTP_CONFLICT, "A fetch of that name is in progress");

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
	if (st.st_nlink == 0) {
		/* Swept by web_partials_sweep() between our open and our lock: the name is no
		 * longer ours to remove. */
		u->keep = true;
		return web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE,
				       "The interrupted upload was just removed: try again");
	}

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
