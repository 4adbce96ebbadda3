/* SPDX-License-Identifier: MIT */
/*
 * Fetches: POST /api/fetch names an http(s) URL and where the ISO goes; a thread downloads it
 * with libcurl into a hidden file beside the target (".NAME.iso.fetch", locked as uploads lock
 * theirs, and never catalogued by isoboot-scan), hashing it on the way, then checks it as an
 * upload is checked (the SHA-256 the admin gave, the scanner's own inspector), syncs it and
 * renames it into place. Every failure removes the hidden file and says why in the job, which
 * GET /api/jobs lists, and in the journal.
 *
 * Only http and https are spoken, redirects included (at most 5): a URL must not make the
 * service read its own files (file://) or talk other protocols on the admin's behalf.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include "checksum.h"
#include "iso9660.h"
#include "log.h"
#include "parse.h"
#include "util.h"
#include "web.h"

#define FETCH_MAX_REDIRECTS 5L
#define FETCH_LOW_SPEED 1024L /* bytes per second... */
#define FETCH_STALL_S 60L     /* ...for this long, and the transfer is given up */
#define FETCH_CONNECT_TIMEOUT_S 30L
#define FETCH_BUFFER (256L << 10)
#define FETCH_ERROR_MAX 256

enum job_state {
	JOB_RUNNING,
	JOB_DONE,
	JOB_FAILED,
};

static const char *const state_names[] = {"running", "done", "failed"};

struct job {
	/* Set before the thread starts, constant after. */
	struct web_fetches *owner;
	struct web_server *s;
	unsigned id;
	time_t started;
	char *url;   /* for libcurl: may hold a password */
	char *shown; /* for the page and the journal: without userinfo */
	char rel[2 * WEB_NAME_MAX + 2];
	char name[WEB_NAME_MAX + 1];
	char hidden[WEB_NAME_MAX + 16];
	char user[USERS_NAME_MAX + 1];
	char expected[WEB_SHA256_HEX]; /* "" when the admin gave none */
	bool replace;
	int dir; /* the folder the ISO goes to */
	int fd;	 /* the hidden file, locked */

	/* The thread's own. */
	CURL *curl;
	struct sha256_ctx hash;
	uint64_t written;
	int abort_err;			  /* why a callback stopped the transfer, or 0 */
	char abort_text[FETCH_ERROR_MAX]; /* and in words */

	/* Under owner->lock. */
	enum job_state state;
	uint64_t bytes;
	uint64_t total; /* UINT64_MAX: not known */
	char error[FETCH_ERROR_MAX];
	char actual[WEB_SHA256_HEX]; /* of the bytes received, once they are all in */
	bool joinable;
	pthread_t thread;
};

struct web_fetches {
	pthread_mutex_t lock;
	struct job *jobs[WEB_FETCH_MAX_JOBS]; /* oldest first */
	size_t n;
	unsigned next_id;
	unsigned running; /* reserved or running fetches */
	atomic_bool stopping;
	long stall_s;
};

/* --- URLs ------------------------------------------------------------------------------ */

/* A URL that may hold a password: wiped before it is freed. */
static void free_secretp(char **p)
{
	if (*p) {
		explicit_bzero(*p, strlen(*p));
		free(*p);
	}
}

/* Parses url: the URL libcurl gets (*full) and the one shown (*shown), or -EINVAL. */
static int url_parse(const char *url, char **full, char **shown)
{
	char *scheme = NULL, *host = NULL, *f = NULL, *sh = NULL;
	int r = -EINVAL;

	/* Printable ASCII only: anything else must be percent-encoded, and a URL that is logged
	 * cannot carry control characters into the journal. */
	size_t len = strlen(url);
	if (len == 0 || len > WEB_FETCH_URL_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
			return -EINVAL;
	/* libcurl would read "http:///x" as the host x: not what the admin wrote. */
	const char *sep = strstr(url, "://");
	if (!sep || sep[3] == '/')
		return -EINVAL;
	CURLU *u = curl_url();
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0] ||
	    (!streq(scheme, "http") && !streq(scheme, "https")))
		goto out;
	if (curl_url_get(u, CURLUPART_URL, &f, 0) != CURLUE_OK)
		goto out;
	/* A password in the URL's userinfo reaches the server, never a page or the journal. */
	if (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &sh, 0) != CURLUE_OK)
		goto out;
	*full = strdup(f);
	*shown = strdup(sh);
	if (!*full || !*shown) {
		free_secretp(full);
		free(*shown);
		*full = *shown = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = 0;
out:
	if (f) {
		explicit_bzero(f, strlen(f));
		curl_free(f);
	}
	curl_free(sh);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

/* --- The job list ---------------------------------------------------------------------- */

static void job_free(struct job *j)
{
	if (!j)
		return;
	free_secretp(&j->url);
	free(j->shown);
	if (j->fd >= 0) {
		(void)unlinkat(j->dir, j->hidden, 0);
		close(j->fd);
	}
	if (j->dir >= 0)
		close(j->dir);
	free(j);
}

/* Joins and frees a job that is no longer on the list. */
static void job_reap(struct job *j)
{
	if (j->joinable)
		pthread_join(j->thread, NULL);
	job_free(j);
}

/* A slot for one more fetch: -EAGAIN when WEB_FETCH_MAX_RUNNING run, -ESHUTDOWN when
 * stopping. */
static int slot_take(struct web_fetches *f)
{
	int r = 0;
	pthread_mutex_lock(&f->lock);
	if (atomic_load(&f->stopping))
		r = -ESHUTDOWN;
	else if (f->running >= WEB_FETCH_MAX_RUNNING)
		r = -EAGAIN;
	else
		f->running++;
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void slot_give(struct web_fetches *f)
{
	pthread_mutex_lock(&f->lock);
	f->running--;
	pthread_mutex_unlock(&f->lock);
}

/* Puts j on the list with a new id; an old finished job may make room (*evicted, to reap). */
static void job_add(struct web_fetches *f, struct job *j, struct job **evicted)
{
	*evicted = NULL;
	pthread_mutex_lock(&f->lock);
	if (f->n == WEB_FETCH_MAX_JOBS) {
		/* At most WEB_FETCH_MAX_RUNNING run: a finished one is there. */
		for (size_t i = 0; i < f->n; i++) {
			if (f->jobs[i]->state == JOB_RUNNING)
				continue;
			*evicted = f->jobs[i];
			memmove(f->jobs + i, f->jobs + i + 1, (f->n - i - 1) * sizeof(*f->jobs));
			f->n--;
			break;
		}
	}
	j->id = ++f->next_id;
	f->jobs[f->n++] = j;
	pthread_mutex_unlock(&f->lock);
}

/* --- The transfer ---------------------------------------------------------------------- */

/* A callback stops the transfer: err and the reason, in words, for the job. */
_printf_(3, 4) static void stop_transfer(struct job *j, int err, const char *fmt, ...)
{
	va_list ap;
	j->abort_err = err;
	va_start(ap, fmt);
	vsnprintf(j->abort_text, sizeof(j->abort_text), fmt, ap);
	va_end(ap);
}

static uint64_t free_bytes(int dir)
{
	struct statvfs v;
	if (fstatvfs(dir, &v) < 0)
		return UINT64_MAX; /* not known: the writes will tell */
	return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Each header line; at the end of a successful response's headers, its length is checked
 * against the free space before a byte of the body is written. */
static size_t on_header(char *buf, size_t size, size_t n, void *p)
{
	struct job *j = p;
	size_t len = size * n;
	long code = 0;
	curl_off_t length = -1;

	if (!(len <= 2 && (buf[0] == '\r' || buf[0] == '\n')))
		return len;
	/* The end of a header block: redirects and 1xx answers have theirs too. */
	if (curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code < 200 ||
	    code >= 300)
		return len;
	if (curl_easy_getinfo(j->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) != CURLE_OK ||
	    length < 0)
		return len;
	pthread_mutex_lock(&j->owner->lock);
	j->total = (uint64_t)length;
	pthread_mutex_unlock(&j->owner->lock);
	uint64_t room = free_bytes(j->dir);
	if ((uint64_t)length > room) {
		stop_transfer(j, -ENOSPC,
			      "no space: the ISO (%" PRIu64 " bytes) is larger than the free space "
			      "of the ISO folder (%" PRIu64 " bytes)",
			      (uint64_t)length, room);
		return 0;
	}
	return len;
}

static size_t on_data(char *data, size_t size, size_t n, void *p)
{
	struct job *j = p;
	size_t len = size * n, done = 0;

	while (done < len) {
		ssize_t w = pwrite(j->fd, data + done, len - done, (off_t)(j->written + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int r = w < 0 ? neg_errno() : -EIO;
			if (r == -ENOSPC || r == -EDQUOT)
				stop_transfer(
				    j, r, "no space left in the ISO folder after %" PRIu64 " bytes",
				    j->written + done);
			else
				stop_transfer(j, r, "cannot write the download: %s", strerror(-r));
			return 0;
		}
		done += (size_t)w;
	}
	sha256_update(&j->hash, len, (const uint8_t *)data);
	j->written += len;
	pthread_mutex_lock(&j->owner->lock);
	j->bytes = j->written;
	pthread_mutex_unlock(&j->owner->lock);
	return len;
}

/* libcurl calls it at least once a second, also while nothing arrives: the way to cancel. */
static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct job *j = p;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (atomic_load(&j->owner->stopping)) {
		stop_transfer(j, -ECANCELED, "cancelled: the service is stopping");
		return 1;
	}
	return 0;
}

/* What a failed transfer is called in the job. */
static void transfer_error(struct job *j, CURLcode rc, const char *errbuf, char *out, size_t size)
{
	long code = 0;

	if (j->abort_err) {
		snprintf(out, size, "%s", j->abort_text);
		return;
	}
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_HTTP_RETURNED_ERROR:
		(void)curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &code);
		snprintf(out, size, "the server answered HTTP status %ld", code);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		if (strstr(detail, "too slow"))
			snprintf(out, size, "stalled: less than %ld bytes/s for %ld s",
				 FETCH_LOW_SPEED, j->owner->stall_s);
		else
			snprintf(out, size, "timed out: %s", detail);
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		snprintf(out, size,
			 "refused: only http and https are fetched, redirects included (%s)",
			 detail);
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		snprintf(out, size, "more than %ld redirects", FETCH_MAX_REDIRECTS);
		break;
	default:
		snprintf(out, size, "%s", detail);
		break;
	}
}

static int setup(struct job *j, char *errbuf)
{
	CURL *h = j->curl;
	bool ok =
	    curl_easy_setopt(h, CURLOPT_URL, j->url) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_MAXREDIRS, FETCH_MAX_REDIRECTS) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, FETCH_CONNECT_TIMEOUT_S) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, FETCH_LOW_SPEED) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, j->owner->stall_s) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "isoboot-web/" ISOBOOT_VERSION) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, j) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, j) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_XFERINFODATA, j) == CURLE_OK;
	/* A larger buffer means fewer writes; libcurl may refuse it, which is fine. */
	(void)curl_easy_setopt(h, CURLOPT_BUFFERSIZE, FETCH_BUFFER);
	return ok ? 0 : -EINVAL;
}

/* Ends the job: failed with the reason (logged, the hidden file removed), or done. */
_printf_(2, 3) static void job_failed(struct job *j, const char *fmt, ...)
{
	char text[FETCH_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (j->fd >= 0) {
		/* Removed before the lock goes with the descriptor: a new fetch of the name
		 * then starts from a file of its own. */
		(void)unlinkat(j->dir, j->hidden, 0);
		close(j->fd);
		j->fd = -1;
	}
	log_full(LOG_WARNING, 0, NULL,
		 (const struct log_field[]){
		     {"ISOBOOT_USER", j->user}, {"ISOBOOT_URL", j->shown}, {NULL, NULL}},
		 "The fetch of %s from %s by %s failed after %" PRIu64 " bytes: %s", j->rel,
		 j->shown, j->user, j->written, text);
	pthread_mutex_lock(&j->owner->lock);
	snprintf(j->error, sizeof(j->error), "%s", text);
	j->state = JOB_FAILED;
	pthread_mutex_unlock(&j->owner->lock);
}

static void job_run(struct job *j)
{
	char errbuf[CURL_ERROR_SIZE] = "", hex[WEB_SHA256_HEX], text[FETCH_ERROR_MAX];
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct stat st;

	log_info("%s fetches %s from %s", j->user, j->rel, j->shown);
	sha256_init(&j->hash);
	j->curl = curl_easy_init();
	if (!j->curl || setup(j, errbuf) < 0) {
		job_failed(j, "cannot set up libcurl");
		return;
	}
	CURLcode rc = curl_easy_perform(j->curl);
	if (rc != CURLE_OK) {
		transfer_error(j, rc, errbuf, text, sizeof(text));
		job_failed(j, "%s", text);
		return;
	}
	long code = 0;
	(void)curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code >= 300) {
		/* A redirect without a Location, say: its body is not the ISO. */
		job_failed(j, "the server answered HTTP status %ld", code);
		return;
	}
	sha256_digest(&j->hash, sizeof(digest), digest);
	web_sha256_hex(digest, hex);
	pthread_mutex_lock(&j->owner->lock);
	memcpy(j->actual, hex, sizeof(hex));
	j->total = j->written;
	pthread_mutex_unlock(&j->owner->lock);
	if (j->expected[0] && !streq(j->expected, hex)) {
		job_failed(j, "checksum mismatch: expected SHA-256 %s, received %s", j->expected,
			   hex);
		return;
	}

	/* Is it an ISO, as the scanner sees ISOs? */
	struct iso_fd_source src;
	struct iso_info info;
	iso_fd_source_init(&src, j->fd, j->written);
	int r = iso_inspect(&src.src, &info);
	if (r < 0) {
		job_failed(j, "not an ISO image: %s", info.problem ? info.problem : strerror(-r));
		return;
	}
	if (fsync(j->fd) < 0) {
		r = neg_errno();
		job_failed(j, "%s: %s",
			   r == -ENOSPC || r == -EDQUOT ? "no space left in the ISO folder"
							: "cannot write the download",
			   strerror(-r));
		return;
	}
	(void)fchmod(j->fd, 0644);
	/* Into place in one step: a client booting the old ISO keeps reading its own file. */
	if (renameat2(j->dir, j->hidden, j->dir, j->name, j->replace ? 0 : RENAME_NOREPLACE) < 0) {
		r = neg_errno();
		if (r == -EEXIST)
			job_failed(
			    j, "an ISO of that name appeared meanwhile (replace was not asked)");
		else
			job_failed(j, "cannot rename the download into place: %s", strerror(-r));
		return;
	}
	(void)fsync(j->dir);
	if (fstat(j->fd, &st) == 0)
		web_checksum_note(j->s->checksums, j->rel, &st, hex);
	close(j->fd); /* and with it the lock */
	j->fd = -1;
	log_full(LOG_NOTICE, 0, NULL,
		 (const struct log_field[]){
		     {"ISOBOOT_USER", j->user}, {"ISOBOOT_URL", j->shown}, {NULL, NULL}},
		 "%s fetched %s from %s (%" PRIu64 " bytes, SHA-256 %s%s%s)", j->user, j->rel,
		 j->shown, j->written, hex, j->expected[0] ? ", as expected" : "",
		 j->replace ? ", replacing" : "");
	web_rescan(j->s);
	pthread_mutex_lock(&j->owner->lock);
	j->state = JOB_DONE;
	pthread_mutex_unlock(&j->owner->lock);
}

static void *job_main(void *p)
{
	struct job *j = p;

	job_run(j);
	if (j->curl) {
		curl_easy_cleanup(j->curl);
		j->curl = NULL;
	}
	/* The job stays on the list for a while: it must not keep a folder (a mount) busy. */
	close(j->dir);
	j->dir = -1;
	/* The last touch of the list: after this, the job may be reaped. */
	pthread_mutex_lock(&j->owner->lock);
	j->owner->running--;
	pthread_mutex_unlock(&j->owner->lock);
	return NULL;
}

/* --- The routes ------------------------------------------------------------------------ */

struct fetch_form {
	char buf[WEB_FETCH_BODY_MAX];
	size_t len;
	char user[USERS_NAME_MAX + 1];
};

static void fetch_form_free(void *p)
{
	/* The URL may hold a password. */
	explicit_bzero(p, sizeof(struct fetch_form));
	free(p);
}

enum MHD_Result web_fetch_begin(void *ctx, struct http_request *rq)
{
	struct web_server *s = ctx;
	char user[USERS_NAME_MAX + 1];
	enum MHD_Result ret;

	snprintf(rq->what, sizeof(rq->what), "fetch");
	if (web_authenticate(s, rq, true, user, &ret) < 0)
		return ret;
	struct fetch_form *b = calloc(1, sizeof(*b));
	if (!b)
		return MHD_NO;
	snprintf(b->user, sizeof(b->user), "%s", user);
	rq->data = b;
	rq->data_free = fetch_form_free;
	return MHD_YES;
}

int web_fetch_body(void *ctx, struct http_request *rq, const char *data, size_t size)
{
	struct fetch_form *b = rq->data;

	(void)ctx;
	if (size > sizeof(b->buf) - b->len)
		return -E2BIG;
	memcpy(b->buf + b->len, data, size);
	b->len += size;
	return 0;
}

/* "sha256" as given: "" (none), or 64 hex digits in any case, spaces around. */
static int sha256_arg(const char *in, char out[WEB_SHA256_HEX])
{
	while (*in == ' ' || *in == '\t' || *in == '\r' || *in == '\n')
		in++;
	size_t len = strlen(in);
	while (len > 0 && strchr(" \t\r\n", in[len - 1]))
		len--;
	if (len == 0) {
		out[0] = '\0';
		return 0;
	}
	if (len != 64)
		return -EINVAL;
	for (size_t i = 0; i < 64; i++) {
		int v = unhexchar(in[i]);
		if (v < 0)
			return -EINVAL;
		out[i] = "0123456789abcdef"[v];
	}
	out[64] = '\0';
	return 0;
}

/* The 202 answer's body for j, NULL on ENOMEM. Built while j runs: it cannot be reaped. */
static char *accepted_body(const struct job *j, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fprintf(f, "{\"job\":%u,\"kind\":\"fetch\",\"url\":", j->id);
	json_string(f, j->shown);
	fputs(",\"path\":", f);
	json_string(f, j->rel);
	fputs(",\"state\":\"running\"}\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

enum MHD_Result web_fetch_end(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	struct web_fetches *fs = s->fetches;
	struct fetch_form *b = rq->data;
	char url[WEB_FETCH_URL_MAX + 2], path[2 * WEB_NAME_MAX + 8], sha[160], replace[8];
	char group[WEB_NAME_MAX + 1], name[WEB_NAME_MAX + 1], expected[WEB_SHA256_HEX];
	_cleanup_(free_secretp) char *full = NULL;
	_cleanup_free_ char *shown = NULL;
	struct stat st;

	if (err == -E2BIG)
		return web_reply_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "Fetch form too large");
	if (err < 0)
		return web_reply_error(rq, MHD_HTTP_BAD_REQUEST, "Cannot read the form");
	int r = web_form_value(b->buf, b->len, "url", url, sizeof(url));
	int r2 = web_form_value(b->buf, b->len, "path", path, sizeof(path));
	if (r == -ENOENT || r2 == -ENOENT)
		return web_reply_error(
		    rq, MHD_HTTP_BAD_REQUEST,
		    "The form needs a url and a path (NAME.iso or GROUP/NAME.iso)");
	if (r == 0)
		r = url_parse(url, &full, &shown);
	explicit_bzero(url, sizeof(url));
	if (r == -ENOMEM)
		return MHD_NO;
	if (r < 0)
		return web_reply_error(rq, MHD_HTTP_BAD_REQUEST,
				       "Bad URL: only http:// and https:// URLs with a host");
	if (r2 < 0 || web_iso_path_check(path, group, name) < 0)
		return web_reply_error(rq, MHD_HTTP_BAD_REQUEST,
				       "Bad name: NAME.iso or GROUP/NAME.iso, no leading dot, no "
				       "control characters");
	r = web_form_value(b->buf, b->len, "sha256", sha, sizeof(sha));
	if (r == -ENOENT)
		sha[0] = '\0';
	if ((r < 0 && r != -ENOENT) || sha256_arg(sha, expected) < 0)
		return web_reply_error(rq, MHD_HTTP_BAD_REQUEST,
				       "Bad sha256: 64 hexadecimal digits, or nothing");
	bool repl = web_form_value(b->buf, b->len, "replace", replace, sizeof(replace)) == 0 &&
		    streq(replace, "1");
	snprintf(rq->what, sizeof(rq->what), "fetch %.60s%s%.80s", group, *group ? "/" : "", name);

	r = slot_take(fs);
	if (r == -EAGAIN) {
		log_info("Refused a fetch of %s by %s: %d fetches run already", rq->what + 6,
			 b->user, WEB_FETCH_MAX_RUNNING);
		return web_reply_error(rq, MHD_HTTP_TOO_MANY_REQUESTS,
				       "Too many fetches at once: wait for one to end");
	}
	if (r < 0)
		return web_reply_error(rq, MHD_HTTP_SERVICE_UNAVAILABLE, "The service is stopping");

	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		slot_give(fs);
		return MHD_NO;
	}
	j->owner = fs;
	j->s = s;
	j->dir = j->fd = -1;
	j->total = UINT64_MAX;
	j->replace = repl;
	j->started = time(NULL);
	j->url = TAKE_PTR(full);
	j->shown = TAKE_PTR(shown);
	snprintf(j->rel, sizeof(j->rel), "%s%s%s", group, *group ? "/" : "", name);
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->hidden, sizeof(j->hidden), ".%s.fetch", name);
	snprintf(j->user, sizeof(j->user), "%s", b->user);
	memcpy(j->expected, expected, sizeof(expected));

	unsigned status = 0;
	const char *text = NULL;
	j->dir = web_group_dir(s->cfg->iso_dir, group, true);
	if (j->dir < 0) {
		log_error_errno(j->dir, "Cannot open the folder for a fetch of %s", j->rel);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		text = "The ISO folder cannot be written to";
	} else if (!repl && fstatat(j->dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		status = MHD_HTTP_CONFLICT;
		text = "An ISO of that name exists: add replace=1 to replace it";
	} else if (web_hidden_busy(j->dir, name, ".upload")) {
		status = MHD_HTTP_CONFLICT;
		text = "An upload of that name is in progress";
	} else if ((j->fd = openat(j->dir, j->hidden, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				   0644)) < 0) {
		log_error_errno(neg_errno(), "Cannot create %s for a fetch", j->hidden);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		text = "The ISO folder cannot be written to";
	} else if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		/* Another fetch of this name holds it: its file is not ours to remove. */
		close(j->fd);
		j->fd = -1;
		status = MHD_HTTP_CONFLICT;
		text = "A fetch of that name is in progress";
	} else if (fstat(j->fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink == 0 ||
		   ftruncate(j->fd, 0) < 0) {
		/* (No link: swept by web_partials_sweep() between our open and our lock.) */
		log_error_errno(neg_errno(), "Cannot prepare %s for a fetch", j->hidden);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		text = "The ISO folder cannot be written to";
	}
	if (status) {
		if (status == MHD_HTTP_CONFLICT)
			log_info("Refused the fetch of %s by %s: %s", j->rel, j->user, text);
		job_free(j);
		slot_give(fs);
		return web_reply_error(rq, status, text);
	}

	struct job *evicted;
	job_add(fs, j, &evicted);
	if (evicted)
		job_reap(evicted);
	size_t len = 0;
	char *body = accepted_body(j, &len);
	/* Under the lock: the thread cannot finish (every way out takes it), so the job cannot be
	 * reaped before it is known to be joinable. */
	pthread_mutex_lock(&fs->lock);
	r = -pthread_create(&j->thread, NULL, job_main, j);
	j->joinable = r == 0;
	pthread_mutex_unlock(&fs->lock);
	if (r < 0) {
		log_error_errno(r, "Cannot start a thread to fetch %s", j->rel);
		free(body);
		/* Everything released first: once failed, the job may be reaped at any time. */
		(void)unlinkat(j->dir, j->hidden, 0);
		close(j->fd);
		j->fd = -1;
		close(j->dir);
		j->dir = -1;
		slot_give(fs);
		job_failed(j, "cannot start a thread");
		return web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "Cannot start the fetch");
	}
	/* The fetch runs whether or not this answer can be made. */
	return body ? http_reply_buffer(rq, MHD_HTTP_ACCEPTED, "application/json", body, len)
		    : MHD_NO;
}

static void json_hex_or_null(FILE *f, const char *hex)
{
	if (hex[0])
		fprintf(f, "\"%s\"", hex);
	else
		fputs("null", f);
}

enum MHD_Result web_jobs_list(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	struct web_fetches *fs = s->fetches;
	char user[USERS_NAME_MAX + 1], started[32];
	enum MHD_Result ret;

	(void)err;
	if (web_authenticate(s, rq, false, user, &ret) < 0)
		return ret;
	snprintf(rq->what, sizeof(rq->what), "jobs");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fputc('[', f);
	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->n; i++) {
		const struct job *j = fs->jobs[i];
		struct tm tm;
		time_t t = j->started;
		if (!gmtime_r(&t, &tm) ||
		    strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(started, sizeof(started), "1970-01-01T00:00:00Z");
		fprintf(f, "%s{\"id\":%u,\"kind\":\"fetch\",\"url\":", i ? ",\n" : "", j->id);
		json_string(f, j->shown);
		fputs(",\"path\":", f);
		json_string(f, j->rel);
		fputs(",\"user\":", f);
		json_string(f, j->user);
		fprintf(f, ",\"started\":\"%s\",\"state\":\"%s\",\"bytes\":%" PRIu64 ",\"total\":",
			started, state_names[j->state], j->bytes);
		if (j->total == UINT64_MAX)
			fputs("null", f);
		else
			fprintf(f, "%" PRIu64, j->total);
		fputs(",\"error\":", f);
		if (j->state == JOB_FAILED)
			json_string(f, j->error);
		else
			fputs("null", f);
		fputs(",\"sha256\":", f);
		json_hex_or_null(f, j->expected);
		fputs(",\"received_sha256\":", f);
		json_hex_or_null(f, j->actual);
		fputc('}', f);
	}
	pthread_mutex_unlock(&fs->lock);
	fputs("]\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	return http_reply_buffer(rq, MHD_HTTP_OK, "application/json", buf, len);
}

/* --- Start and stop -------------------------------------------------------------------- */

int web_fetches_start(struct web_fetches **out)
{
	struct web_fetches *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	/* Before any thread: curl_global_init() is not thread-safe. */
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		log_error("Cannot set up libcurl: %s", curl_easy_strerror(rc));
		free(f);
		return -EIO;
	}
	pthread_mutex_init(&f->lock, NULL);
	atomic_init(&f->stopping, false);
	f->stall_s = FETCH_STALL_S;
	/* For the tests only: a stalled server is given up on sooner. */
	const char *e = getenv("ISOBOOT_FETCH_STALL_SECONDS");
	uint64_t v;
	if (e && parse_u64(e, 1, 3600, &v) == 0) {
		f->stall_s = (long)v;
		log_notice("ISOBOOT_FETCH_STALL_SECONDS=%" PRIu64 ": a fetch stalls after %" PRIu64
			   " s (a setting for tests)",
			   v, v);
	} else if (e) {
		log_warning("Ignored ISOBOOT_FETCH_STALL_SECONDS=%s: not a number of seconds from "
			    "1 to 3600",
			    e);
	}
	*out = f;
	return 0;
}

void web_fetches_stop(struct web_fetches *f)
{
	if (!f)
		return;
	atomic_store(&f->stopping, true);
	/* Each running transfer sees it in its progress callback within a second, removes
	 * its hidden file and ends. */
	pthread_mutex_lock(&f->lock);
	size_t n = f->n;
	f->n = 0;
	pthread_mutex_unlock(&f->lock);
	for (size_t i = 0; i < n; i++)
		job_reap(f->jobs[i]);
	pthread_mutex_destroy(&f->lock);
	curl_global_cleanup();
	free(f);
}
