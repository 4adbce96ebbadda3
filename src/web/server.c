/* SPDX-License-Identifier: MIT */
/*
 * isoboot-web's routes on the shared HTTP layer: the page's static files, the session (login,
 * logout), the list of ISOs with how the menu boots each, deletes, the server's status, and the
 * upload routes of upload.c. Everything under /api/ needs an account.
 */
#include "web.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "activity.h"
#include "catalog.h"
#include "checksum.h"
#include "fetch.h"
#include "ipxe.h"
#include "listen.h"
#include "log.h"
#include "parse.h"
#include "scan.h"
#include "units.h"
#include "url.h"
#include "util.h"

enum MHD_Result web_reply_error(struct http_request *rq, unsigned status, const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return MHD_NO;
	fputs("{\"error\":", f);
	json_string(f, text);
	fputs("}\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	return http_reply_buffer(rq, status, "application/json", buf, len);
}

/* Finishes a JSON body built in a memstream and answers it. */
static enum MHD_Result reply_json(struct http_request *rq, unsigned status, FILE *f, char **buf,
				  size_t *len)
{
	if (fclose(f) != 0) {
		free(*buf);
		return MHD_NO;
	}
	return http_reply_buffer(rq, status, "application/json", *buf, *len);
}

void web_rescan(struct web_server *s)
{
	pthread_mutex_lock(&s->scan_lock);
	(void)scan_update(s->cfg, false);
	pthread_mutex_unlock(&s->scan_lock);
	/* A new or replaced ISO gets its SHA-256 computed. */
	web_checksums_wake(s->checksums);
}

/* --- Accounts -------------------------------------------------------------------------- */

/* Locked. Rereads the accounts file when it changed; reports a problem once. */
static void users_refresh(struct web_server *s)
{
	int r = users_reload_if_changed(&s->users, s->cfg->web_users);
	if (r >= 0) {
		if (r > 0 || s->users_err) {
			log_info("Accounts %s: %zu loaded", s->cfg->web_users, s->users.n);
			if (s->users.n == 0)
				log_warning("No account in %s: every login is refused until "
					    "isoboot-passwd creates one",
					    s->cfg->web_users);
		}
		s->users_err = 0;
		return;
	}
	if (r != s->users_err) {
		if (r == -ENOENT)
			log_warning("%s does not exist: every login is refused until "
				    "isoboot-passwd creates an account",
				    s->cfg->web_users);
		else if (r != -EINVAL) /* bad lines were logged as file:line */
			log_error_errno(r, "Cannot read the accounts %s; every login is refused",
					s->cfg->web_users);
	}
	s->users_err = r;
}

/* 0 when the password is right; a failure is logged and counted against the address. */
static int check_password(struct web_server *s, struct http_request *rq, const char *user,
			  const char *password)
{
	pthread_mutex_lock(&s->users_lock);
	users_refresh(s);
	int r = users_verify(&s->users, user, password);
	pthread_mutex_unlock(&s->users_lock);
	if (r == 0) {
		web_throttle_passed(&s->auth, rq->client);
		return 0;
	}
	web_throttle_failed(&s->auth, rq->client, time(NULL));
	char shown[USERS_NAME_MAX + 1];
	snprintf(shown, sizeof(shown), "%s", user);
	log_full(LOG_WARNING, 0, NULL,
		 (const struct log_field[]){
		     {"ISOBOOT_CLIENT", rq->client}, {"ISOBOOT_USER", shown}, {NULL, NULL}},
		 "Failed login from %s as '%s'", rq->client, shown);
	/* Each wrong guess costs the guesser a second, on top of the growing waits. */
	sleep(1);
	return -EACCES;
}

static enum MHD_Result reply_unauthorized(struct http_request *rq)
{
	char *buf = strdup("{\"error\":\"Log in first\"}\n");
	if (!buf)
		return MHD_NO;
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(strlen(buf), buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	/* Scripts (curl -u) are told to use Basic; the page's own requests (fetch and XHR send
	 * Sec-Fetch-Mode) are not, or the browser would pop up its own login dialog. */
	if (!http_header(rq, "Sec-Fetch-Mode"))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"isoboot\", charset=\"UTF-8\"");
	return http_queue(rq, MHD_HTTP_UNAUTHORIZED, resp, 0);
}

static enum MHD_Result reply_throttled(struct http_request *rq, unsigned wait)
{
	char text[96], secs[16];
	snprintf(text, sizeof(text), "Too many failed logins: try again in %u s", wait);
	snprintf(secs, sizeof(secs), "%u", wait);
	enum MHD_Result ret = web_reply_error(rq, MHD_HTTP_TOO_MANY_REQUESTS, text);
	return ret;
}

/* Whether a state-changing request comes from another site (a browser tells, with
 * Sec-Fetch-Site or Origin): HTTP Basic credentials cached by a browser must not serve it. */
static bool cross_site(const struct http_request *rq)
{
	const char *site = http_header(rq, "Sec-Fetch-Site");
	if (site && !streq(site, "same-origin") && !streq(site, "none"))
		return true;
	const char *origin = http_header(rq, "Origin");
	const char *host = http_header(rq, MHD_HTTP_HEADER_HOST);
	if (origin && !streq(origin, "null")) {
		if (!host || strncmp(origin, "https://", 8) != 0 || !streq(origin + 8, host))
			return true;
	}
	return false;
}

/* HTTP Basic credentials. libmicrohttpd 0.9.77 deprecated MHD_basic_auth_get_username_password
 * for ..._password3, which gives the lengths too: Debian 12 has 0.9.75, Debian 13 1.0. */
struct basic_auth {
	const char *name;
	char *password; /* NULL when the client sent none */
#if MHD_VERSION >= 0x00097701
	struct MHD_BasicAuthInfo *info;
#else
	char *name_buf;
#endif
};

static void basic_auth_free(struct basic_auth *a)
{
#if MHD_VERSION >= 0x00097701
	if (a->info && a->info->password)
		explicit_bzero(a->info->password, a->info->password_len);
	MHD_free(a->info);
#else
	if (a->password)
		explicit_bzero(a->password, strlen(a->password));
	MHD_free(a->password);
	MHD_free(a->name_buf);
#endif
}

/* 0 with the request's credentials in a (basic_auth_free() wipes and frees them), -ENOENT when
 * it has none. */
static int basic_auth_get(struct MHD_Connection *conn, struct basic_auth *a)
{
	*a = (struct basic_auth){0};
#if MHD_VERSION >= 0x00097701
	a->info = MHD_basic_auth_get_username_password3(conn);
	if (!a->info)
		return -ENOENT;
	a->name = a->info->username;
	a->password = a->info->password;
	/* A NUL inside either would cut what the checks see: no such credentials are valid. */
	if (strlen(a->name) != a->info->username_len ||
	    (a->password && strlen(a->password) != a->info->password_len)) {
		basic_auth_free(a);
		return -ENOENT;
	}
#else
	a->name = a->name_buf = MHD_basic_auth_get_username_password(conn, &a->password);
	if (!a->name) {
		basic_auth_free(a);
		return -ENOENT;
	}
#endif
	return 0;
}

int web_authenticate(struct web_server *s, struct http_request *rq, bool changes, char *user,
		     enum MHD_Result *ret)
{
	const char *token = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, WEB_COOKIE);
	char csrf[WEB_TOKEN_SIZE];

	if (token && web_session_find(&s->auth, token, user, csrf) == 0) {
		const char *sent = http_header(rq, "X-CSRF-Token");
		if (changes && (!sent || !web_token_equal(sent, csrf) || cross_site(rq))) {
			log_warning("Refused a %s from %s as %s without its CSRF token", rq->method,
				    rq->client, user);
			*ret =
			    web_reply_error(rq, MHD_HTTP_FORBIDDEN, "Missing or wrong CSRF token");
			return -EPERM;
		}
		snprintf(rq->user, sizeof(rq->user), "%s", user);
		return 0;
	}

	struct basic_auth cred;
	if (basic_auth_get(rq->conn, &cred) < 0) {
		*ret = reply_unauthorized(rq);
		return -EACCES;
	}
	const char *name = cred.name, *password = cred.password;
	unsigned wait = web_throttle_wait(&s->auth, rq->client, time(NULL));
	int r = -EACCES;
	if (wait) {
		*ret = reply_throttled(rq, wait);
		r = -EAGAIN;
	} else if (!users_name_valid(name) || !password ||
		   check_password(s, rq, name, password) < 0) {
		if (!users_name_valid(name))
			web_throttle_failed(&s->auth, rq->client, time(NULL));
		*ret = reply_unauthorized(rq);
	} else if (changes && cross_site(rq)) {
		*ret = web_reply_error(rq, MHD_HTTP_FORBIDDEN, "Cross-site request refused");
		r = -EPERM;
	} else {
		snprintf(user, USERS_NAME_MAX + 1, "%s", name);
		snprintf(rq->user, sizeof(rq->user), "%s", name);
		r = 0;
	}
	basic_auth_free(&cred);
	return r;
}

/* --- The session ----------------------------------------------------------------------- */

struct login_body {
	char buf[WEB_LOGIN_BODY_MAX];
	size_t len;
};

static void login_body_free(void *p)
{
	explicit_bzero(p, sizeof(struct login_body));
	free(p);
}

static enum MHD_Result login_begin(void *ctx, struct http_request *rq)
{
	(void)ctx;
	struct login_body *b = calloc(1, sizeof(*b));
	if (!b)
		return MHD_NO;
	rq->data = b;
	rq->data_free = login_body_free;
	return MHD_YES;
}

static int login_body(void *ctx, struct http_request *rq, const char *data, size_t size)
{
	struct login_body *b = rq->data;

	(void)ctx;
	if (size > sizeof(b->buf) - b->len)
		return -E2BIG;
	memcpy(b->buf + b->len, data, size);
	b->len += size;
	return 0;
}

static enum MHD_Result session_answer(struct http_request *rq, unsigned status, const char *user,
				      const char *csrf, const char *cookie)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return MHD_NO;
	fputs("{\"user\":", f);
	json_string(f, user);
	fputs(",\"csrf\":", f);
	json_string(f, csrf);
	fputs("}\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return MHD_NO;
	}
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (cookie)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	return http_queue(rq, status, resp, len);
}

static enum MHD_Result login_end(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	struct login_body *b = rq->data;
	char user[USERS_NAME_MAX + 2], password[USERS_PASSWORD_MAX + 2];
	char token[WEB_TOKEN_SIZE], csrf[WEB_TOKEN_SIZE], cookie[WEB_TOKEN_SIZE + 96];

	snprintf(rq->what, sizeof(rq->what), "login");
	if (err == -E2BIG)
		return web_reply_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "Login form too large");
	if (cross_site(rq))
		return web_reply_error(rq, MHD_HTTP_FORBIDDEN, "Cross-site login refused");
	if (web_form_value(b->buf, b->len, "user", user, sizeof(user)) < 0 ||
	    web_form_value(b->buf, b->len, "password", password, sizeof(password)) < 0)
		return web_reply_error(rq, MHD_HTTP_BAD_REQUEST,
				       "The form needs a user and a password");
	unsigned wait = web_throttle_wait(&s->auth, rq->client, time(NULL));
	if (wait) {
		explicit_bzero(password, sizeof(password));
		return reply_throttled(rq, wait);
	}
	int r = users_name_valid(user) ? check_password(s, rq, user, password) : -EACCES;
	explicit_bzero(password, sizeof(password));
	if (r < 0) {
		if (!users_name_valid(user)) {
			web_throttle_failed(&s->auth, rq->client, time(NULL));
			log_warning("Failed login from %s with an invalid user name", rq->client);
		}
		return web_reply_error(rq, MHD_HTTP_UNAUTHORIZED, "Wrong user name or password");
	}
	if (web_session_new(&s->auth, user, token, csrf) < 0)
		return web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "No random numbers");
	snprintf(rq->user, sizeof(rq->user), "%s", user);
	log_info("%s logged in from %s", user, rq->client);
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; Secure; SameSite=Strict",
		 WEB_COOKIE, token);
	enum MHD_Result ret = session_answer(rq, MHD_HTTP_OK, user, csrf, cookie);
	explicit_bzero(token, sizeof(token));
	explicit_bzero(cookie, sizeof(cookie));
	return ret;
}

static enum MHD_Result session_get(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	const char *token = MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, WEB_COOKIE);
	char user[USERS_NAME_MAX + 1], csrf[WEB_TOKEN_SIZE];

	(void)err;
	if (!token || web_session_find(&s->auth, token, user, csrf) < 0)
		return web_reply_error(rq, MHD_HTTP_UNAUTHORIZED, "Log in first");
	snprintf(rq->user, sizeof(rq->user), "%s", user);
	return session_answer(rq, MHD_HTTP_OK, user, csrf, NULL);
}

static enum MHD_Result logout(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	char user[USERS_NAME_MAX + 1];
	enum MHD_Result ret;

	(void)err;
	if (web_authenticate(s, rq, true, user, &ret) < 0)
		return ret;
	web_session_end(&s->auth,
			MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, WEB_COOKIE));
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE,
				WEB_COOKIE
				"=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0");
	return http_queue(rq, MHD_HTTP_NO_CONTENT, resp, 0);
}

/* --- ISOs ------------------------------------------------------------------------------ */

/* The journal's clock: microseconds of real time. */
static uint64_t web_now_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void iso8601(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, size, "1970-01-01T00:00:00Z");
}

/* How the menu boots an entry on one firmware, in words; NULL when it does not. */
static const char *boot_words(const struct catalog_entry *e, bool efi, const struct menu_params *p,
			      char *buf, size_t size)
{
	enum menu_boot how = menu_entry_boot(e, efi, p);
	bool own_first =
	    (e->method == CATALOG_METHOD_SANBOOT || e->method == CATALOG_METHOD_MEMDISK) &&
	    how != MENU_BOOT_NONE && how != MENU_BOOT_NEEDS_MEMDISK;

	if (menu_recipe_usable(e, efi) && !own_first) {
		snprintf(buf, size, "%s over HTTP", e->recipe);
		return buf;
	}
	const char *unknown = e->unrecognised ? " (family not recognised)" : "";
	switch (how) {
	case MENU_BOOT_SAN:
		snprintf(buf, size, "iSCSI%s", unknown);
		return buf;
	case MENU_BOOT_HTTP:
		snprintf(buf, size, "HTTP SAN%s", unknown);
		return buf;
	case MENU_BOOT_MEMDISK:
		snprintf(buf, size, "memdisk%s", unknown);
		return buf;
	case MENU_BOOT_NEEDS_MEMDISK:
		return "memdisk (not installed)";
	case MENU_BOOT_NONE:
		break;
	}
	return NULL;
}

static void json_nullable(FILE *f, const char *s)
{
	if (s)
		json_string(f, s);
	else
		fputs("null", f);
}

static enum MHD_Result isos_list(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	char user[USERS_NAME_MAX + 1], added[32], b1[64], b2[64];
	struct catalog cat;
	unsigned line = 0;
	enum MHD_Result ret;
	struct stat st;

	(void)err;
	if (web_authenticate(s, rq, false, user, &ret) < 0)
		return ret;
	snprintf(rq->what, sizeof(rq->what), "list");
	int r = catalog_load(&cat, s->catalog_path, &line);
	if (r == -ENOENT) {
		catalog_init(&cat);
	} else if (r < 0) {
		log_error_errno(r, "Cannot read the catalog %s", s->catalog_path);
		return web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "The catalog cannot be read");
	}
	catalog_sort(&cat);
	struct menu_params p = {
	    .uefi_boot = s->cfg->menu_uefi_boot,
	    .memdisk = stat(s->cfg->menu_memdisk, &st) == 0 && S_ISREG(st.st_mode),
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		catalog_finish(&cat);
		return MHD_NO;
	}
	/* The last boot of each ISO, from the daemons' journal entries of the past 30 days. */
	struct web_boot *boots = NULL;
	size_t n_boots = 0;
	(void)web_activity_read(NULL, web_now_usec() - WEB_BOOTS_WINDOW_USEC, WEB_BOOTS_MAX, &boots,
				&n_boots);
	/* The SHA-256 shown is the one computed for the file as it is now. */
	_cleanup_close_ int dir = open(s->cfg->iso_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fputc('[', f);
	for (size_t i = 0; i < cat.n; i++) {
		const struct catalog_entry *e = &cat.entries[i];
		char sha[WEB_SHA256_HEX];
		bool known = dir >= 0 && fstatat(dir, e->path, &st, 0) == 0 &&
			     web_checksum_lookup(s->checksums, e->path, &st, sha);
		iso8601(e->mtime, added, sizeof(added));
		fputs(i ? ",\n{\"id\":" : "{\"id\":", f);
		json_string(f, e->id);
		fputs(",\"path\":", f);
		json_string(f, e->path);
		fputs(",\"group\":", f);
		json_string(f, e->group);
		fputs(",\"name\":", f);
		json_string(f, e->name);
		fputs(",\"label\":", f);
		json_string(f, e->label);
		fprintf(f, ",\"size\":%" PRIu64 ",\"added\":\"%s\",\"boot\":{\"bios\":", e->size,
			added);
		json_nullable(f, boot_words(e, false, &p, b1, sizeof(b1)));
		fputs(",\"uefi\":", f);
		json_nullable(f, boot_words(e, true, &p, b2, sizeof(b2)));
		fputs("},\"recipe\":", f);
		json_nullable(f, e->recipe);
		fprintf(f, ",\"ram\":%" PRIu64 ",\"sha256\":", e->ram);
		json_nullable(f, known ? sha : NULL);
		const struct web_boot *last = web_activity_last(boots, n_boots, e->id);
		char when[32];
		if (last)
			iso8601((int64_t)(last->time / 1000000), when, sizeof(when));
		fputs(",\"last_boot\":", f);
		json_nullable(f, last ? when : NULL);
		fprintf(f, ",\"hidden\":%s", e->hidden ? "true" : "false");
		fputc('}', f);
	}
	fputs("]\n", f);
	web_boots_free(boots, n_boots);
	catalog_finish(&cat);
	return reply_json(rq, MHD_HTTP_OK, f, &buf, &len);
}

/*
 * POST /api/isos/ID/move with "to=[GROUP/]NAME.iso": renames an ISO or moves it to another
 * group, in one rename (a client booting it keeps reading its file), never over another ISO.
 */
static enum MHD_Result iso_move(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	struct login_body *b = rq->data;
	char user[USERS_NAME_MAX + 1], to[WEB_FORM_VALUE_MAX], id[CATALOG_ID_MAX];
	char group[WEB_NAME_MAX + 1], name[WEB_NAME_MAX + 1];
	struct catalog cat;
	unsigned line = 0;
	enum MHD_Result ret;

	if (web_authenticate(s, rq, true, user, &ret) < 0)
		return ret;
	if (err == -E2BIG)
		return web_reply_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "Form too large");
	const char *rest = rq->url + strlen("/api/isos/");
	const char *slash = strchr(rest, '/');
	if (!slash || !streq(slash, "/move") || (size_t)(slash - rest) >= sizeof(id))
		return web_reply_error(rq, MHD_HTTP_NOT_FOUND, "Not found");
	memcpy(id, rest, (size_t)(slash - rest));
	id[slash - rest] = '\0';
	if (!menu_id_valid(id))
		return web_reply_error(rq, MHD_HTTP_NOT_FOUND, "No such ISO");
	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	snprintf(rq->what, sizeof(rq->what), "move %s", id);
	if (web_form_value(b->buf, b->len, "to", to, sizeof(to)) < 0 ||
	    web_iso_path_check(to, group, name) < 0)
		return web_reply_error(rq, MHD_HTTP_BAD_REQUEST,
				       "Bad name: NAME.iso or GROUP/NAME.iso, no leading dot, no "
				       "control characters");
	int r = catalog_load(&cat, s->catalog_path, &line);
	if (r < 0 && r != -ENOENT)
		return web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "The catalog cannot be read");
	if (r == -ENOENT)
		catalog_init(&cat);
	const struct catalog_entry *e = catalog_find_id(&cat, id);
	_cleanup_free_ char *from = e ? strdup(e->path) : NULL;
	catalog_finish(&cat);
	if (!e)
		return web_reply_error(rq, MHD_HTTP_NOT_FOUND, "No such ISO");
	if (!from)
		return MHD_NO;
	char *fslash = strrchr(from, '/');
	if (fslash)
		*fslash = '\0';
	_cleanup_close_ int src = web_group_dir(s->cfg->iso_dir, fslash ? from : "", false);
	_cleanup_close_ int dst = web_group_dir(s->cfg->iso_dir, group, true);
	const char *base = fslash ? fslash + 1 : from;
	if (src < 0 || dst < 0 || renameat2(src, base, dst, name, RENAME_NOREPLACE) < 0) {
		r = src < 0 ? src : dst < 0 ? dst : neg_errno();
		if (r == -EEXIST)
			return web_reply_error(rq, MHD_HTTP_CONFLICT, "An ISO of that name exists");
		log_error_errno(r, "%s could not move the ISO %s to %s", user, id, to);
		return web_reply_error(
		    rq, r == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "The ISO could not be moved");
	}
	(void)fsync(src);
	(void)fsync(dst);
	char rel[2 * WEB_NAME_MAX + 2], new_id[CATALOG_ID_MAX] = "";
	snprintf(rel, sizeof(rel), "%s%s%s", group, *group ? "/" : "", name);
	(void)catalog_make_id(rel, new_id);
	log_notice("%s moved the ISO %s (%s%s%s) to %s", user, id, fslash ? from : "",
		   fslash ? "/" : "", base, rel);
	web_rescan(s);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fputs("{\"path\":", f);
	json_string(f, rel);
	fputs(",\"id\":", f);
	json_string(f, new_id);
	fputs("}\n", f);
	return reply_json(rq, MHD_HTTP_OK, f, &buf, &len);
}

static enum MHD_Result iso_delete(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	char user[USERS_NAME_MAX + 1];
	const char *id = rq->url + strlen("/api/isos/");
	struct catalog cat;
	unsigned line = 0;
	enum MHD_Result ret;

	(void)err;
	if (web_authenticate(s, rq, true, user, &ret) < 0)
		return ret;
	if (!menu_id_valid(id))
		return web_reply_error(rq, MHD_HTTP_NOT_FOUND, "No such ISO");
	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	snprintf(rq->what, sizeof(rq->what), "delete %s", id);
	int r = catalog_load(&cat, s->catalog_path, &line);
	if (r < 0 && r != -ENOENT)
		return web_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "The catalog cannot be read");
	if (r == -ENOENT)
		catalog_init(&cat);
	const struct catalog_entry *e = catalog_find_id(&cat, id);
	_cleanup_free_ char *path = e ? strdup(e->path) : NULL;
	catalog_finish(&cat);
	if (!e)
		return web_reply_error(rq, MHD_HTTP_NOT_FOUND, "No such ISO");
	if (!path)
		return MHD_NO;

	/* Through the folder by descriptors, never following a link on the way; a client
	 * reading the ISO keeps its open file to the end. */
	char *slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	_cleanup_close_ int where = web_group_dir(s->cfg->iso_dir, slash ? path : "", false);
	const char *base = slash ? slash + 1 : path;
	if (where < 0 || unlinkat(where, base, 0) < 0) {
		r = where < 0 ? where : neg_errno();
		log_error_errno(r, "%s could not delete the ISO %s", user, id);
		return web_reply_error(
		    rq, r == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "The ISO could not be deleted");
	}
	(void)fsync(where);
	log_notice("%s deleted the ISO %s (%s%s%s)", user, id, slash ? path : "", slash ? "/" : "",
		   base);
	web_rescan(s);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	return http_queue(rq, MHD_HTTP_NO_CONTENT, resp, 0);
}

/* --- Status ---------------------------------------------------------------------------- */

static enum MHD_Result status_get(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	char user[USERS_NAME_MAX + 1];
	enum MHD_Result ret;
	struct statvfs vfs;
	struct ifaddrs *ifs = NULL;

	(void)err;
	if (web_authenticate(s, rq, false, user, &ret) < 0)
		return ret;
	snprintf(rq->what, sizeof(rq->what), "status");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return MHD_NO;
	fputs("{\"iso_dir\":", f);
	json_string(f, s->cfg->iso_dir);
	if (statvfs(s->cfg->iso_dir, &vfs) == 0)
		fprintf(f, ",\"free_bytes\":%" PRIu64 ",\"total_bytes\":%" PRIu64,
			(uint64_t)vfs.f_bavail * vfs.f_frsize,
			(uint64_t)vfs.f_blocks * vfs.f_frsize);
	fputs(",\"addresses\":[", f);
	char first_v4[INET6_ADDRSTRLEN + 8] = "";
	bool any = false;
	/* The address this client reached us on first: under PrivateNetwork= it is the only one
	 * the service can see. */
	struct sockaddr_storage here;
	socklen_t here_len;
	char here_s[INET6_ADDRSTRLEN + 8] = "";
	http_local_address(rq, &here, &here_len);
	if (here_len &&
	    sockaddr_format((struct sockaddr *)&here, here_len, here_s, sizeof(here_s), 0) == 0) {
		json_string(f, here_s);
		any = true;
		if (here.ss_family == AF_INET)
			snprintf(first_v4, sizeof(first_v4), "%s", here_s);
	}
	if (getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) ||
			    (i->ifa_addr->sa_family != AF_INET &&
			     i->ifa_addr->sa_family != AF_INET6))
				continue;
			char a[INET6_ADDRSTRLEN + 8];
			socklen_t l = i->ifa_addr->sa_family == AF_INET
					  ? (socklen_t)sizeof(struct sockaddr_in)
					  : (socklen_t)sizeof(struct sockaddr_in6);
			if (sockaddr_format(i->ifa_addr, l, a, sizeof(a), 0) < 0 ||
			    streq(a, here_s))
				continue;
			if (i->ifa_addr->sa_family == AF_INET && !first_v4[0])
				snprintf(first_v4, sizeof(first_v4), "%s", a);
			fputs(any ? "," : "", f);
			json_string(f, a);
			any = true;
		}
		freeifaddrs(ifs);
	}
	fputs("],\"dhcp\":", f);
	char dhcp[512];
	const char *srv = first_v4[0] ? first_v4 : "SERVER";
	snprintf(dhcp, sizeof(dhcp),
		 "next-server %s\n"
		 "BIOS (architecture 0): filename \"pxelinux.0\"\n"
		 "UEFI x86-64 (architectures 7, 9): filename \"snponly.efi\"\n"
		 "Or, with no access to the DHCP server: enable isoboot-proxydhcp.socket",
		 srv);
	json_string(f, dhcp);
	fputs(",\"units\":", f);
	web_units_json(f);
	fputs("}\n", f);
	return reply_json(rq, MHD_HTTP_OK, f, &buf, &len);
}

/* Recent boots: who booted what, when, how, from the daemons' journal entries. */
static enum MHD_Result activity_get(void *ctx, struct http_request *rq, int err)
{
	struct web_server *s = ctx;
	char user[USERS_NAME_MAX + 1];
	enum MHD_Result ret;
	struct web_boot *boots = NULL;
	size_t n = 0;

	(void)err;
	if (web_authenticate(s, rq, false, user, &ret) < 0)
		return ret;
	snprintf(rq->what, sizeof(rq->what), "activity");
	int r = web_activity_read(NULL, web_now_usec() - WEB_BOOTS_WINDOW_USEC, WEB_ACTIVITY_MAX,
				  &boots, &n);
	if (r < 0)
		log_debug_errno(r, "Cannot read the journal for recent boots");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		web_boots_free(boots, n);
		return MHD_NO;
	}
	web_activity_json(f, boots, n);
	fputc('\n', f);
	web_boots_free(boots, n);
	return reply_json(rq, MHD_HTTP_OK, f, &buf, &len);
}

/* --- The page -------------------------------------------------------------------------- */

static enum MHD_Result asset(struct web_server *s, struct http_request *rq, const char *file,
			     const char *type)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", s->cfg->web_assets, file) < 0)
		return MHD_NO;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		log_error_errno(neg_errno(), "Cannot open the page's file %s", path);
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "Not found\n");
	}
	return http_serve_file(rq, fd, "web", type);
}

static enum MHD_Result page_index(void *ctx, struct http_request *rq, int err)
{
	(void)err;
	return asset(ctx, rq, "index.html", "text/html; charset=utf-8");
}

static enum MHD_Result page_js(void *ctx, struct http_request *rq, int err)
{
	(void)err;
	return asset(ctx, rq, "app.js", "text/javascript; charset=utf-8");
}

static enum MHD_Result page_css(void *ctx, struct http_request *rq, int err)
{
	(void)err;
	return asset(ctx, rq, "style.css", "text/css; charset=utf-8");
}

static const struct http_route web_routes[] = {
    {.method = MHD_HTTP_METHOD_GET, .path = "/", .handler = page_index},
    {.method = MHD_HTTP_METHOD_GET, .path = "/index.html", .handler = page_index},
    {.method = MHD_HTTP_METHOD_GET, .path = "/app.js", .handler = page_js},
    {.method = MHD_HTTP_METHOD_GET, .path = "/style.css", .handler = page_css},
    {.method = MHD_HTTP_METHOD_GET, .path = "/api/session", .handler = session_get},
    {.method = MHD_HTTP_METHOD_POST,
     .path = "/api/login",
     .begin = login_begin,
     .body = login_body,
     .handler = login_end},
    {.method = MHD_HTTP_METHOD_POST, .path = "/api/logout", .handler = logout},
    {.method = MHD_HTTP_METHOD_GET, .path = "/api/isos", .handler = isos_list},
    {.method = MHD_HTTP_METHOD_PUT,
     .path = "/api/isos/",
     .begin = web_upload_begin,
     .body = web_upload_body,
     .handler = web_upload_end},
    {.method = MHD_HTTP_METHOD_DELETE, .path = "/api/isos/", .handler = iso_delete},
    {.method = MHD_HTTP_METHOD_POST,
     .path = "/api/isos/",
     .begin = login_begin,
     .body = login_body,
     .handler = iso_move},
    {.method = MHD_HTTP_METHOD_GET, .path = "/api/uploads/", .handler = web_upload_status},
    {.method = MHD_HTTP_METHOD_GET, .path = "/api/status", .handler = status_get},
    {.method = MHD_HTTP_METHOD_GET, .path = "/api/activity", .handler = activity_get},
    {.method = MHD_HTTP_METHOD_POST,
     .path = "/api/fetch",
     .begin = web_fetch_begin,
     .body = web_fetch_body,
     .handler = web_fetch_end},
    {.method = MHD_HTTP_METHOD_GET, .path = "/api/jobs", .handler = web_jobs_list},
};

/* On every answer: the page runs only its own files, in no frame, and sends no referrer. */
static const char *const web_headers[] = {
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'",
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "DENY",
    "Referrer-Policy",
    "no-referrer",
    NULL,
};

void web_server_stop(struct web_server *s)
{
	if (!s)
		return;
	http_server_stop(s->http);
	/* The fetches rescan and note checksums when they end: stopped first. */
	web_fetches_stop(s->fetches);
	web_checksums_stop(s->checksums);
	users_free(&s->users);
	pthread_mutex_destroy(&s->users_lock);
	pthread_mutex_destroy(&s->scan_lock);
	pthread_mutex_destroy(&s->sweep_lock);
	web_auth_finish(&s->auth);
	free(s->catalog_path);
	free(s);
}

int web_server_start(const struct isoboot_config *cfg, const char *cert_pem, const char *key_pem,
		     const int *fds, size_t n_fds, struct web_server **out)
{
	struct web_server *s = calloc(1, sizeof(*s));

	if (!s || !(s->catalog_path = config_catalog_path(cfg))) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		free(s);
		return -ENOMEM;
	}
	s->cfg = cfg;
	s->users_err = 1;
	pthread_mutex_init(&s->users_lock, NULL);
	pthread_mutex_init(&s->scan_lock, NULL);
	pthread_mutex_init(&s->sweep_lock, NULL);
	web_auth_init(&s->auth, cfg->web_session_timeout * 60u);
	pthread_mutex_lock(&s->users_lock);
	users_refresh(s);
	pthread_mutex_unlock(&s->users_lock);

	web_partials_sweep_maybe(s);
	int r = web_fetches_start(&s->fetches);
	if (r >= 0)
		r = web_checksums_start(cfg, &s->checksums);
	if (r < 0) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		web_server_stop(s);
		return r;
	}

	s->http_opt = (struct http_options){
	    .name = "isoboot-web",
	    .routes = web_routes,
	    .n_routes = ARRAY_SIZE(web_routes),
	    .ctx = s,
	    .connection_limit = WEB_CONNECTION_LIMIT,
	    .per_ip_limit = WEB_PER_IP_LIMIT,
	    .reserve = WEB_CONNECTION_RESERVE,
	    .idle_timeout_s = WEB_IDLE_TIMEOUT_S,
	    .header_deadline_s = WEB_HEADER_DEADLINE_S,
	    .connection_memory = WEB_CONNECTION_MEMORY,
	    .tls_cert_pem = cert_pem,
	    .tls_key_pem = key_pem,
	    .headers = web_headers,
	};
	r = http_server_start(&s->http_opt, fds, NULL, n_fds, &s->http);
	if (r < 0) {
		web_server_stop(s);
		return r;
	}
	*out = s;
	return 0;
}
