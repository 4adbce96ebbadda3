/* SPDX-License-Identifier: MIT */
/*
 * isoboot-menu's routes on the shared HTTP layer (http.h): the menu, memdisk, ISOs and files
 * inside them; the catalog kept fresh by a stat() per request, and lookups inside ISOs cached.
 */
#include "server.h"

#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "catalog.h"
#include "grub.h"
#include "http.h"
#include "ipxe.h"
#include "listen.h"
#include "log.h"
#include "sbnext.h"
#include "url.h"
#include "util.h"

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
 * A GRUB image with a built-in prefix (a CD image's /boot/grub) does not read its configuration
 * from its own folder, and asks outside /sb/<id>/ (for /grub.cfg, or PREFIX/grub.cfg). Its
 * client fetched that GRUB from /sb/<id>/ moments before, so the first such request from the
 * same address within OWN_WINDOW_S gets that ISO's configuration. Any configuration served to
 * it ends that, so that the menu's own GRUB, after a restart, gets the menu again.
 */
#define OWN_SLOTS 64
#define OWN_WINDOW_S 120
struct own_slot {
	char client[64];
	char id[CATALOG_ID_MAX];
	time_t at; /* 0: free */
};

struct menu_server {
	const struct isoboot_config *cfg;
	char *catalog_path;
	pthread_mutex_t lock; /* the catalog and what we know of its file */
	struct catalog catalog;
	struct stat catalog_st;
	bool catalog_seen; /* catalog_st is valid */
	int catalog_err;   /* the last error reported, so that it is reported once */
	struct http_server *http;
	struct http_options http_opt;
	/* The ports of the first plain and the first HTTPS socket (0: none), for the URLs of the
	 * other scheme than the one a client came in on. */
	unsigned http_port, https_port;
	pthread_mutex_t cache_lock;
	struct file_slot cache[FILE_CACHE_SLOTS];
	uint64_t cache_tick;
	/* Clients that loaded an ISO's own loader from /sb/<id>/ (under cache_lock). */
	struct own_slot own[OWN_SLOTS];
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

static unsigned sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* "SCHEME://HOST[:PORT]", the port left out when it is the scheme's own. */
static void format_base(char *buf, size_t size, bool tls, const char *host, unsigned port)
{
	if (port == (tls ? 443u : 80u))
		snprintf(buf, size, "%s://%s", tls ? "https" : "http", host);
	else
		snprintf(buf, size, "%s://%s:%u", tls ? "https" : "http", host, port);
}

/*
 * The bases of the script's URLs, on the address the client reached us on: http (plain, for
 * what the booted system fetches), https ("" without an HTTPS socket) and the iSCSI host.
 */
static void base_urls(const struct menu_server *s, const struct http_request *rq, char *http,
		      char *https, size_t size, char *iscsi, size_t iscsi_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char addr[INET6_ADDRSTRLEN + 2] = "";

	http_local_address(rq, &ss, &len);
	unsigned port = len ? sockaddr_port(&ss) : 0;
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
	unsigned http_port = rq->tls ? s->http_port : port ? port : 80;
	unsigned https_port = rq->tls ? (port ? port : 443) : s->https_port;
	/* HTTPS only: the booted system's fetches go there too (they need TLS then). */
	if (http_port)
		format_base(http, size, false, iscsi, http_port);
	else
		format_base(http, size, true, iscsi, https_port);
	https[0] = '\0';
	if (https_port)
		format_base(https, size, true, iscsi, https_port);
}

/* An ISO image, whole or by ranges (fd is consumed; st is its fstat). */
static enum MHD_Result serve_image(struct http_request *rq, int fd, const struct stat *st,
				   const char *id)
{
	char etag[CATALOG_ID_MAX + 48], subject[CATALOG_ID_MAX + 16];

	snprintf(etag, sizeof(etag), "\"%s-%" PRIx64 "-%" PRIx64 "\"", id, (uint64_t)st->st_size,
		 (uint64_t)st->st_mtime);
	snprintf(subject, sizeof(subject), "The ISO %s", id);
	struct http_payload pl = {.fd = fd,
				  .st = st,
				  .size = (uint64_t)st->st_size,
				  .mtime = st->st_mtime,
				  .etag = etag,
				  .subject = subject};
	return http_serve_payload(rq, &pl);
}

/* Opens the image of a catalogued ISO, inside iso_dir whatever symlinks say: its fd, -ENOENT
 * (not in the catalog) or another negative errno (logged). */
static int open_catalogued(struct menu_server *s, const char *id, struct stat *st)
{
	_cleanup_free_ char *path = NULL;

	pthread_mutex_lock(&s->lock);
	catalog_refresh(s);
	const struct catalog_entry *e = catalog_find_id(&s->catalog, id);
	if (e && e->path)
		path = strdup(e->path);
	pthread_mutex_unlock(&s->lock);
	if (!e)
		return -ENOENT;
	if (!path)
		return -ENOMEM;
	struct catalog_entry where = {.path = path};
	int fd = catalog_open_image(s->cfg->iso_dir, &where, st);
	if (fd < 0) {
		log_warning_errno(fd, "Cannot open the ISO %s (%s)", id, path);
		return fd == -ENOENT ? -EIO : fd;
	}
	return fd;
}

/* As open_catalogued(), with the reply to a failure queued (*ret). */
static int open_iso(struct menu_server *s, struct http_request *rq, const char *id, struct stat *st,
		    enum MHD_Result *ret)
{
	int fd = open_catalogued(s, id, st);

	if (fd == -ENOENT)
		*ret = http_reply_text(rq, MHD_HTTP_NOT_FOUND, "No such ISO\n");
	else if (fd == -ENOMEM)
		*ret = MHD_NO;
	else if (fd < 0)
		*ret = http_reply_text(rq, MHD_HTTP_NOT_FOUND, "The ISO cannot be opened\n");
	return fd;
}

static enum MHD_Result serve_iso(struct menu_server *s, struct http_request *rq, const char *id)
{
	enum MHD_Result ret = MHD_NO;
	struct stat st;

	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	snprintf(rq->what, sizeof(rq->what), "iso %s", id);
	int fd = open_iso(s, rq, id, &st, &ret);
	if (fd < 0)
		return ret;
	return serve_image(rq, fd, &st, id);
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
static enum MHD_Result serve_iso_file(struct menu_server *s, struct http_request *rq,
				      const char *id, const char *path)
{
	enum MHD_Result ret = MHD_NO;
	struct iso_file f;
	struct stat st;
	char etag[CATALOG_ID_MAX + 96], shown[MENU_TEXT_MAX + 1];

	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	menu_text_sanitize(path, shown, sizeof(shown));
	snprintf(rq->what, sizeof(rq->what), "file %s/%s", id, shown);
	int fd = open_iso(s, rq, id, &st, &ret);
	if (fd < 0)
		return ret;
	int r = lookup_in_iso(s, fd, &st, path, &f);
	if (r < 0) {
		close(fd);
		if (r == -ENOMEM)
			return MHD_NO;
		/* Directories, links, special files and broken trees alike: not a file here. */
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "No such file in the ISO\n");
	}
	/* The file's place in the image names it; the image's size and time date it. */
	snprintf(etag, sizeof(etag), "\"%s-f%" PRIx64 "-%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", id,
		 f.n_extents ? f.extents[0].offset : 0, f.size, (uint64_t)st.st_size,
		 (uint64_t)st.st_mtime);
	char subject[CATALOG_ID_MAX + 16];
	snprintf(subject, sizeof(subject), "The ISO %s", id);
	struct http_payload pl = {.fd = fd,
				  .st = &st,
				  .size = f.size,
				  .mtime = st.st_mtime,
				  .etag = etag,
				  .file = &f,
				  .subject = subject};
	return http_serve_payload(rq, &pl);
}

static enum MHD_Result serve_memdisk(void *ctx, struct http_request *rq, int err)
{
	struct menu_server *s = ctx;

	(void)err;
	snprintf(rq->what, sizeof(rq->what), "memdisk");
	int fd = open(s->cfg->menu_memdisk, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "memdisk is not installed\n");
	return http_serve_file(rq, fd, "memdisk", NULL);
}

/*
 * iPXE for UEFI HTTP Boot clients: the firmware loads it from the URL the ProxyDHCP (or the
 * site's DHCP server) gave, and it then asks DHCP again as iPXE, like any PXE client's.
 */
static enum MHD_Result serve_efi(struct http_request *rq, const char *path, const char *tag)
{
	snprintf(rq->what, sizeof(rq->what), "%s", tag);
	if (str_empty(path))
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "Not served\n");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		log_warning_errno(neg_errno(), "Cannot open %s for a UEFI HTTP Boot client", path);
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "Not installed\n");
	}
	return http_serve_file(rq, fd, tag, "application/efi");
}

static enum MHD_Result serve_efi64(void *ctx, struct http_request *rq, int err)
{
	const struct menu_server *s = ctx;

	(void)err;
	return serve_efi(rq, s->cfg->menu_efi64_file, "ipxe-x64.efi");
}

static enum MHD_Result serve_arm64(void *ctx, struct http_request *rq, int err)
{
	const struct menu_server *s = ctx;

	(void)err;
	return serve_efi(rq, s->cfg->menu_arm64_file, "ipxe-arm64.efi");
}

/* Answers with what generate makes of the fresh catalog (the iPXE script, the GRUB menu, an
 * ISO's own GRUB configuration). */
static enum MHD_Result
reply_generated(struct menu_server *s, struct http_request *rq, const struct menu_params *p,
		int (*generate)(const struct catalog *c, const struct menu_params *p, char **out,
				size_t *out_len))
{
	char *text = NULL;
	size_t len = 0;

	pthread_mutex_lock(&s->lock);
	catalog_refresh(s);
	int r = generate(&s->catalog, p, &text, &len);
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		log_error_errno(r, "Cannot generate %s", rq->what);
		return http_reply_text(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory\n");
	}
	return http_reply_buffer(rq, MHD_HTTP_OK, "text/plain; charset=utf-8", text, len);
}

static enum MHD_Result serve_script(void *ctx, struct http_request *rq, int err)
{
	struct menu_server *s = ctx;
	char http[INET6_ADDRSTRLEN + 320], https[INET6_ADDRSTRLEN + 320];
	char iscsi[INET6_ADDRSTRLEN + 260];
	struct stat st;

	(void)err;
	snprintf(rq->what, sizeof(rq->what), "menu");
	base_urls(s, rq, http, https, sizeof(http), iscsi, sizeof(iscsi));
	struct menu_params p = {
	    .title = s->cfg->menu_title,
	    .default_entry = s->cfg->menu_default,
	    .timeout = s->cfg->menu_timeout,
	    .http_base = http,
	    .boot_base = rq->tls ? https : NULL,
	    .iscsi_host = iscsi,
	    .uefi_boot = s->cfg->menu_uefi_boot,
	    .memdisk = stat(s->cfg->menu_memdisk, &st) == 0 && S_ISREG(st.st_mode),
	};
	/* "?memsize=N": the client's RAM in MiB, as its iPXE says (the menu asks for it). Any
	 * value, even a bad one, means it was asked: the script does not ask again. */
	const char *memsize = http_query(rq, "memsize");
	p.memsize_asked = memsize != NULL;
	if (memsize && parse_u64(memsize, 1, UINT64_MAX >> 21, &p.memsize_mib) < 0)
		p.memsize_mib = 0;
	/* A plain request tries HTTPS first, unless it comes from the HTTP menu that the client
	 * fell back to ("?https=failed", which require never allows). */
	const char *tried = http_query(rq, "https");
	if (!rq->tls && https[0] && s->cfg->menu_https != MENU_HTTPS_OFF &&
	    (s->cfg->menu_https == MENU_HTTPS_REQUIRE || !tried || !streq(tried, "failed"))) {
		p.https_url = https;
		p.https_required = s->cfg->menu_https == MENU_HTTPS_REQUIRE;
	}
	return reply_generated(s, rq, &p, menu_script);
}

/*
 * Maps the request's path (menu_url_parse()) to one of the kinds a and b: true, or false with
 * the refusal queued in *ret (400 for what no honest client sends, else 404).
 */
static bool url_kind_of(struct http_request *rq, enum menu_url_kind a, enum menu_url_kind b,
			enum menu_url_kind *kind, char id[CATALOG_ID_MAX],
			char file[MENU_URL_MAX + 1], enum MHD_Result *ret)
{
	int r = menu_url_parse(rq->url, kind, id, file);

	if (r == -EINVAL)
		*ret = http_reply_text(rq, MHD_HTTP_BAD_REQUEST, "Bad request\n");
	else if (r < 0 || (*kind != a && *kind != b))
		*ret = http_reply_text(rq, MHD_HTTP_NOT_FOUND, "Not found\n");
	else
		return true;
	return false;
}

/* What a GRUB configuration is made of; the buffers are the caller's (as in serve_script). */
static void grub_params(struct menu_server *s, struct http_request *rq, struct menu_params *p,
			char *http, char *https, size_t size, char *iscsi, size_t iscsi_size)
{
	base_urls(s, rq, http, https, size, iscsi, iscsi_size);
	*p = (struct menu_params){
	    .title = s->cfg->menu_title,
	    .default_entry = s->cfg->menu_default,
	    .timeout = s->cfg->menu_timeout,
	    .http_base = http,
	    .iscsi_host = iscsi,
	    .uefi_boot = s->cfg->menu_uefi_boot,
	};
}

static void own_note(struct menu_server *s, const char *client, const char *id)
{
	struct own_slot *slot = &s->own[0];

	pthread_mutex_lock(&s->cache_lock);
	for (size_t i = 0; i < OWN_SLOTS; i++) {
		if (streq(s->own[i].client, client)) {
			slot = &s->own[i];
			break;
		}
		if (s->own[i].at < slot->at)
			slot = &s->own[i];
	}
	snprintf(slot->client, sizeof(slot->client), "%s", client);
	snprintf(slot->id, sizeof(slot->id), "%s", id);
	slot->at = time(NULL);
	pthread_mutex_unlock(&s->cache_lock);
}

/* The ISO whose loader client fetched within OWN_WINDOW_S (into id), forgotten when end. */
static bool own_recent(struct menu_server *s, const char *client, bool end, char id[CATALOG_ID_MAX])
{
	bool found = false;
	time_t now = time(NULL);

	pthread_mutex_lock(&s->cache_lock);
	for (size_t i = 0; i < OWN_SLOTS; i++) {
		struct own_slot *o = &s->own[i];
		if (!o->at || !streq(o->client, client))
			continue;
		found = now >= o->at && now - o->at < OWN_WINDOW_S;
		if (found && id)
			memcpy(id, o->id, CATALOG_ID_MAX);
		if (end || !found)
			o->at = 0;
		break;
	}
	pthread_mutex_unlock(&s->cache_lock);
	return found;
}

/* The GRUB configuration for the ISO id's own GRUB (GET and HEAD); outside: asked for outside
 * /sb/<id>/, by a GRUB with a built-in prefix. */
static enum MHD_Result reply_own_config(struct menu_server *s, struct http_request *rq,
					const char *id, bool outside)
{
	char http[INET6_ADDRSTRLEN + 320], https[INET6_ADDRSTRLEN + 320];
	char iscsi[INET6_ADDRSTRLEN + 260];
	struct menu_params p;

	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	snprintf(rq->what, sizeof(rq->what), "grub.cfg of %s%s", id,
		 outside ? ", for its GRUB, outside /sb/" : "");
	/* GRUB asks HEAD before GET: the GET is the read. */
	if (!http_is_head(rq))
		own_recent(s, rq->client, true, NULL);
	grub_params(s, rq, &p, http, https, sizeof(http), iscsi, sizeof(iscsi));
	p.own_id = id;
	return reply_generated(s, rq, &p, menu_grub_own_config);
}

/* The GRUB configuration of the Secure Boot chain: over plain HTTP (GRUB has no TLS). */
static enum MHD_Result serve_grub(void *ctx, struct http_request *rq, int err)
{
	struct menu_server *s = ctx;
	char http[INET6_ADDRSTRLEN + 320], https[INET6_ADDRSTRLEN + 320];
	char iscsi[INET6_ADDRSTRLEN + 260];
	struct menu_params p;
	char id[CATALOG_ID_MAX];

	(void)err;
	/* A client just through /sb/: its ISO's GRUB, with a built-in prefix, asks here. */
	if (own_recent(s, rq->client, false, id))
		return reply_own_config(s, rq, id, true);
	snprintf(rq->what, sizeof(rq->what), "grub.cfg");
	grub_params(s, rq, &p, http, https, sizeof(http), iscsi, sizeof(iscsi));
	return reply_generated(s, rq, &p, menu_grub_script);
}

/* /boot/grub/...grub.cfg: a CD image GRUB's configuration, for a client just through /sb/. */
static enum MHD_Result serve_prefix_config(void *ctx, struct http_request *rq, int err)
{
	struct menu_server *s = ctx;
	char id[CATALOG_ID_MAX];

	(void)err;
	snprintf(rq->what, sizeof(rq->what), "grub.cfg outside /sb/");
	if (!str_endswith(rq->url, "/grub.cfg") || !own_recent(s, rq->client, false, id))
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "Not found\n");
	return reply_own_config(s, rq, id, true);
}

/*
 * /sb/<id>/...: the ISO's own files for its own signed loader (shim, then its GRUB), which the
 * firmware's HTTP Boot loaded from there; any grub.cfg below is isoboot's configuration for it.
 */
static enum MHD_Result serve_sb(void *ctx, struct http_request *rq, int err)
{
	struct menu_server *s = ctx;
	enum menu_url_kind kind;
	char id[CATALOG_ID_MAX], file[MENU_URL_MAX + 1];

	enum MHD_Result ret;

	(void)err;
	if (!url_kind_of(rq, MENU_URL_SB_FILE, MENU_URL_SB_CONFIG, &kind, id, file, &ret))
		return ret;
	if (kind == MENU_URL_SB_CONFIG)
		return reply_own_config(s, rq, id, false);
	own_note(s, rq->client, id);
	return serve_iso_file(s, rq, id, file);
}

/*
 * Why an ISO's own loader cannot start under Secure Boot, or NULL: the firmware would refuse an
 * unsigned \EFI\BOOT\BOOTX64.EFI, and the client would then hang on at its boot options.
 */
static const char *own_loader_problem(struct menu_server *s, const char *id)
{
	struct stat st;
	struct iso_file f;
	uint8_t head[4096];

	int fd = open_catalogued(s, id, &st);
	if (fd < 0)
		return "the ISO cannot be opened.";
	int r = lookup_in_iso(s, fd, &st, "EFI/BOOT/BOOTX64.EFI", &f);
	ssize_t n = -EIO;
	if (r == 0 && f.n_extents > 0)
		n = pread_full(fd, head,
			       f.extents[0].length < sizeof(head) ? f.extents[0].length
								  : sizeof(head),
			       f.extents[0].offset);
	close(fd);
	if (r < 0)
		return "the ISO has no \\EFI\\BOOT\\BOOTX64.EFI in its files.";
	if (n < 0)
		return "its \\EFI\\BOOT\\BOOTX64.EFI cannot be read.";
	r = iso_efi_pe_signed(head, (size_t)n, f.size);
	if (r < 0)
		return "its \\EFI\\BOOT\\BOOTX64.EFI is not a UEFI boot loader.";
	if (r == 0)
		return "its \\EFI\\BOOT\\BOOTX64.EFI is not signed: it cannot start with Secure "
		       "Boot on.";
	return NULL;
}

/* /sbnext/<mac>/<id>: the Secure Boot menu chose the ISO's own loader for that client. */
static enum MHD_Result serve_sbnext(void *ctx, struct http_request *rq, int err)
{
	struct menu_server *s = ctx;
	enum menu_url_kind kind;
	char id[CATALOG_ID_MAX], mac_text[MENU_URL_MAX + 1], name[MENU_TEXT_MAX + 1] = "";
	uint8_t mac[6];
	const char *problem = NULL;
	char *text = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	int r;

	(void)err;
	if (!url_kind_of(rq, MENU_URL_SB_NEXT, MENU_URL_SB_NEXT, &kind, id, mac_text, &ret))
		return ret;
	/* (menu_url_parse() checked it.) */
	if (sbnext_mac_parse(mac_text, mac) < 0)
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "Not found\n");
	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	snprintf(rq->what, sizeof(rq->what), "own loader of %s for %02x:%02x:%02x:%02x:%02x:%02x",
		 id, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);

	pthread_mutex_lock(&s->lock);
	catalog_refresh(s);
	const struct catalog_entry *e = catalog_find_id(&s->catalog, id);
	if (!e || !menu_entry_usable(e))
		problem = "this ISO is no longer in the catalog.";
	else if (!catalog_entry_efi_boots_on(e, ISO_EFI_ARCH_X64))
		problem = "this ISO has no boot loader for x86-64 UEFI.";
	else
		menu_display_name(e, name, sizeof(name));
	pthread_mutex_unlock(&s->lock);
	if (!problem)
		problem = own_loader_problem(s, id);
	if (!problem) {
		r = sbnext_put(s->cfg->state_dir, mac, id, false);
		if (r == -ENOSPC)
			problem = "too many machines chose in the last minutes; try again later.";
		else if (r < 0) {
			log_error_errno(r, "Cannot record the Secure Boot choice in %s/" SBNEXT_DIR,
					s->cfg->state_dir);
			problem = "the server cannot record the choice (see its journal).";
		}
	}
	if (problem)
		log_warning("Secure Boot: %s refused: %s", rq->what, problem);
	else
		log_info("Secure Boot: %s: the client restarts into it by UEFI HTTP Boot",
			 rq->what);
	r = menu_grub_next_reply(name, problem, &text, &len);
	if (r < 0)
		return http_reply_text(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory\n");
	return http_reply_buffer(rq, MHD_HTTP_OK, "text/plain; charset=utf-8", text, len);
}

/*
 * The medium of an installer that looks for a CD (medium.h): the folders the catalog names, as a
 * cpio archive made from the ISO's directories for each request (nothing of it is stored).
 */
static enum MHD_Result serve_medium(struct menu_server *s, struct http_request *rq, const char *id)
{
	enum MHD_Result ret = MHD_NO;
	_cleanup_free_ char *family = NULL;
	char *dirs[CATALOG_MAX_MEDIUM] = {0};
	size_t n = 0;
	struct stat st;
	bool nomem = false;

	snprintf(rq->iso, sizeof(rq->iso), "%s", id);
	snprintf(rq->what, sizeof(rq->what), "medium %s", id);
	pthread_mutex_lock(&s->lock);
	catalog_refresh(s);
	const struct catalog_entry *e = catalog_find_id(&s->catalog, id);
	if (e && e->recipe && e->n_medium > 0) {
		family = strdup(e->recipe);
		nomem = !family;
		for (size_t i = 0; i < e->n_medium && !nomem; i++) {
			dirs[n] = strdup(e->medium[i]);
			nomem = !dirs[n++];
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (nomem || !family) {
		for (size_t i = 0; i < n; i++)
			free(dirs[i]);
		return nomem ? MHD_NO : http_reply_text(rq, MHD_HTTP_NOT_FOUND, "No such medium\n");
	}

	struct medium *m = NULL;
	int fd = open_iso(s, rq, id, &st, &ret), r = fd;
	if (fd >= 0) {
		struct iso_fd_source src;
		struct iso_volume v;
		const struct medium_extra *extras;
		const char *problem;
		size_t n_extras = medium_extras(family, &extras);
		iso_fd_source_init(&src, fd, (uint64_t)st.st_size);
		r = iso_volume_open(&v, &src.src, &problem);
		if (r == 0)
			r = medium_build(&v, (const char *const *)dirs, n, extras, n_extras, &m);
	}
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	if (fd < 0)
		return ret;
	if (r < 0) {
		close(fd);
		if (r == -ENOMEM)
			return MHD_NO;
		log_warning_errno(r, "The ISO %s: its installer's medium cannot be made", id);
		return http_reply_text(rq, MHD_HTTP_NOT_FOUND, "The ISO's medium cannot be made\n");
	}
	char etag[CATALOG_ID_MAX + 96], subject[CATALOG_ID_MAX + 16];
	snprintf(etag, sizeof(etag), "\"%s-m%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"", id, m->size,
		 (uint64_t)st.st_size, (uint64_t)st.st_mtime);
	snprintf(subject, sizeof(subject), "The ISO %s", id);
	struct http_payload pl = {.fd = fd,
				  .st = &st,
				  .size = m->size,
				  .mtime = st.st_mtime,
				  .etag = etag,
				  .medium = m,
				  .subject = subject};
	return http_serve_payload(rq, &pl);
}

/* /iso/<id>/<name>, /iso/<id>/files/<path> and /iso/<id>/medium/<name>. */
static enum MHD_Result serve_under_iso(void *ctx, struct http_request *rq, int err)
{
	enum menu_url_kind kind;
	char id[CATALOG_ID_MAX], file[MENU_URL_MAX + 1];

	enum MHD_Result ret;

	(void)err;
	if (menu_url_parse(rq->url, &kind, id, file) == 0 && kind == MENU_URL_MEDIUM)
		return serve_medium(ctx, rq, id);
	if (!url_kind_of(rq, MENU_URL_ISO, MENU_URL_FILE, &kind, id, file, &ret))
		return ret;
	if (kind == MENU_URL_FILE)
		return serve_iso_file(ctx, rq, id, file);
	return serve_iso(ctx, rq, id);
}

static const struct http_route menu_routes[] = {
    {.method = MHD_HTTP_METHOD_GET, .path = "/", .handler = serve_script},
    {.method = MHD_HTTP_METHOD_GET, .path = "/boot.ipxe", .handler = serve_script},
    {.method = MHD_HTTP_METHOD_GET, .path = "/grub.cfg", .handler = serve_grub},
    {.method = MHD_HTTP_METHOD_GET, .path = "/boot/memdisk", .handler = serve_memdisk},
    {.method = MHD_HTTP_METHOD_GET, .path = "/boot/ipxe-x64.efi", .handler = serve_efi64},
    {.method = MHD_HTTP_METHOD_GET, .path = "/boot/ipxe-arm64.efi", .handler = serve_arm64},
    {.method = MHD_HTTP_METHOD_GET, .path = "/iso/", .handler = serve_under_iso},
    /* shim asks for "<folder>//grubx64.efi". */
    {.method = MHD_HTTP_METHOD_GET, .path = "/sb/", .handler = serve_sb, .empty_segments_ok = true},
    {.method = MHD_HTTP_METHOD_GET, .path = "/sbnext/", .handler = serve_sbnext},
    {.method = MHD_HTTP_METHOD_GET, .path = "/boot/grub/", .handler = serve_prefix_config},
};

void menu_server_stop(struct menu_server *s)
{
	if (!s)
		return;
	http_server_stop(s->http);
	catalog_finish(&s->catalog);
	pthread_mutex_destroy(&s->lock);
	for (size_t i = 0; i < FILE_CACHE_SLOTS; i++)
		free(s->cache[i].path);
	pthread_mutex_destroy(&s->cache_lock);
	free(s->catalog_path);
	free(s);
}

int menu_server_start(const struct isoboot_config *cfg, const int *fds, const bool *tls_fds,
		      size_t n_fds, const char *cert_pem, const char *key_pem,
		      struct menu_server **out)
{
	struct menu_server *s = calloc(1, sizeof(*s));

	if (!s || !(s->catalog_path = config_catalog_path(cfg))) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		free(s);
		return -ENOMEM;
	}
	s->cfg = cfg;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->cache_lock, NULL);
	catalog_init(&s->catalog);
	s->catalog_err = 1;
	pthread_mutex_lock(&s->lock);
	catalog_refresh(s);
	pthread_mutex_unlock(&s->lock);

	s->http_opt = (struct http_options){
	    .name = "isoboot-menu",
	    .routes = menu_routes,
	    .n_routes = ARRAY_SIZE(menu_routes),
	    .ctx = s,
	    .connection_limit = MENU_CONNECTION_LIMIT,
	    .per_ip_limit = MENU_PER_IP_LIMIT,
	    .reserve = MENU_CONNECTION_RESERVE,
	    .idle_timeout_s = MENU_CONNECTION_TIMEOUT_S,
	    .header_deadline_s = MENU_HEADER_DEADLINE_S,
	    .connection_memory = MENU_CONNECTION_MEMORY,
	    .tls_cert_pem = cert_pem,
	    .tls_key_pem = key_pem,
	};
	for (size_t i = 0; i < n_fds; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		unsigned *port = tls_fds && tls_fds[i] ? &s->https_port : &s->http_port;
		if (*port == 0 && getsockname(fds[i], (struct sockaddr *)&ss, &len) == 0)
			*port = sockaddr_port(&ss);
	}
	int r = http_server_start(&s->http_opt, fds, tls_fds, n_fds, &s->http);
	if (r < 0) {
		menu_server_stop(s);
		return r;
	}
	*out = s;
	return 0;
}
