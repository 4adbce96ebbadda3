/* SPDX-License-Identifier: MIT */
/*
 * The SHA-256 of each catalogued ISO, for the admin to compare with the distribution's. A
 * single thread goes through the catalog when woken (after each of our rescans) and once a
 * minute (isoboot-scan runs in its own process when files are copied in by hand), and hashes
 * the ISOs it does not know yet, one at a time, at idle priority, 1 MiB at a time: an ISO is
 * never held in memory, and boot clients reading the folder go first.
 *
 * Results are kept in <state_dir>/checksums, so that a restart does not read every ISO again:
 *
 *	ISOBOOT-CHECKSUMS 1
 *	<sha256 hex> <size> <mtime in ns> <inode> <relative path, %-escaped>
 *
 * A line holds while the file keeps its inode, size and modification time; the device number is
 * left out on purpose, as it may change across reboots (disk order, device-mapper, btrfs) and
 * would make every ISO be read again. The file is only a cache: a line that does not parse is
 * dropped, and a missing or foreign file starts over.
 */
#include "checksum.h"

#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#include "catalog.h"
#include "config.h"
#include "log.h"
#include "util.h"

#define CHECKSUMS_MAGIC "ISOBOOT-CHECKSUMS 1"
#define CHECKSUMS_FILE "checksums"
#define CHECKSUMS_MAX_BYTES (64u << 20)
#define CHUNK (1u << 20)
#define RECHECK_S 60

struct sum {
	char *rel;
	char hex[WEB_SHA256_HEX]; /* "" when hashing it failed: not tried again while it holds */
	uint64_t size;
	int64_t mtime_ns;
	uint64_t ino;
};

struct web_checksums {
	const struct isoboot_config *cfg;
	char *path; /* <state_dir>/checksums */
	char *catalog_path;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	struct sum *sums; /* sorted by rel */
	size_t n, allocated;
	bool wake;    /* look at the catalog again */
	bool unsaved; /* sums changed since the file was written */
	atomic_bool stop;
	bool started;
	pthread_t thread;
	int save_err; /* the last error reported when writing the file, not repeated */
};

void web_sha256_hex(const unsigned char digest[32], char hex[WEB_SHA256_HEX])
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[64] = '\0';
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static bool sum_matches(const struct sum *x, const struct stat *st)
{
	return x->size == (uint64_t)st->st_size && x->mtime_ns == mtime_ns(st) &&
	       x->ino == (uint64_t)st->st_ino;
}

/* Locked. The index of rel, or where it would go (*found false). */
static size_t sum_find(const struct web_checksums *c, const char *rel, bool *found)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(c->sums[mid].rel, rel);
		if (d == 0) {
			*found = true;
			return mid;
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Locked. Sets (or replaces) the line of rel. */
static int sum_store(struct web_checksums *c, const char *rel, uint64_t size, int64_t mtime,
		     uint64_t ino, const char *hex)
{
	bool found;
	size_t i = sum_find(c, rel, &found);
	if (!found) {
		if (c->n == c->allocated) {
			size_t n = c->allocated ? 2 * c->allocated : 64;
			struct sum *p = realloc(c->sums, n * sizeof(*p));
			if (!p)
				return -ENOMEM;
			c->sums = p;
			c->allocated = n;
		}
		char *copy = strdup(rel);
		if (!copy)
			return -ENOMEM;
		memmove(c->sums + i + 1, c->sums + i, (c->n - i) * sizeof(*c->sums));
		c->n++;
		c->sums[i] = (struct sum){.rel = copy};
	}
	struct sum *x = &c->sums[i];
	x->size = size;
	x->mtime_ns = mtime;
	x->ino = ino;
	snprintf(x->hex, sizeof(x->hex), "%s", hex);
	return 0;
}

bool web_checksum_lookup(struct web_checksums *c, const char *rel, const struct stat *st,
			 char hex[WEB_SHA256_HEX])
{
	bool found, ok = false;

	if (!c)
		return false;
	pthread_mutex_lock(&c->lock);
	size_t i = sum_find(c, rel, &found);
	if (found && c->sums[i].hex[0] && sum_matches(&c->sums[i], st)) {
		memcpy(hex, c->sums[i].hex, WEB_SHA256_HEX);
		ok = true;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void web_checksum_note(struct web_checksums *c, const char *rel, const struct stat *st,
		       const char hex[WEB_SHA256_HEX])
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	/* Written on the thread's next pass, which the rescan that follows starts. */
	if (sum_store(c, rel, (uint64_t)st->st_size, mtime_ns(st), (uint64_t)st->st_ino, hex) == 0)
		c->unsaved = true;
	pthread_mutex_unlock(&c->lock);
}

void web_checksums_wake(struct web_checksums *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->wake = true;
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* --- The file ------------------------------------------------------------------------- */

/* Paths may hold any byte but NUL: those that would break the line (or be lost to an editor
 * trimming spaces) are written as %XX. */
static void escape_path(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == 0x7f || *p == '%')
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
}

static int unescape_path(const char *s, char *out, size_t size)
{
	size_t o = 0;
	for (const char *p = s; *p; p++) {
		int c = (unsigned char)*p;
		if (c == '%') {
			int hi = unhexchar(p[1]), lo = hi >= 0 ? unhexchar(p[2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = hi * 16 + lo;
			p += 2;
		} else if (c <= ' ' || c == 0x7f) {
			return -EINVAL;
		}
		if (o + 1 >= size)
			return -E2BIG;
		out[o++] = (char)c;
	}
	if (o == 0)
		return -EINVAL;
	out[o] = '\0';
	return 0;
}

static bool hex64_valid(const char *s)
{
	for (size_t i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

/* One line: 0, or -EINVAL when it does not parse. */
static int parse_line(struct web_checksums *c, char *line)
{
	char *field[5], *save = NULL;
	char rel[4096];
	uint64_t size, mtime, ino;

	for (size_t i = 0; i < 4; i++) {
		field[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!field[i])
			return -EINVAL;
	}
	field[4] = strtok_r(NULL, "", &save);
	if (!field[4] || !hex64_valid(field[0]) || parse_u64(field[1], 0, INT64_MAX, &size) < 0 ||
	    parse_u64(field[2], 0, INT64_MAX, &mtime) < 0 ||
	    parse_u64(field[3], 0, UINT64_MAX, &ino) < 0 ||
	    unescape_path(field[4], rel, sizeof(rel)) < 0)
		return -EINVAL;
	return sum_store(c, rel, size, (int64_t)mtime, ino, field[0]) == -ENOMEM ? -ENOMEM : 0;
}

static void load(struct web_checksums *c)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0, bad = 0;

	int r = read_file(c->path, CHECKSUMS_MAX_BYTES, &text, &len);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		log_warning_errno(r, "Cannot read the checksums %s; every ISO is hashed again",
				  c->path);
		return;
	}
	char *save = NULL;
	char *line = strtok_r(text, "\n", &save);
	if (!line || !streq(line, CHECKSUMS_MAGIC)) {
		log_warning("%s is not a checksums file of this version; every ISO is hashed again",
			    c->path);
		return;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		r = parse_line(c, line);
		if (r == -ENOMEM) {
			log_error_errno(r, "Cannot load the checksums %s", c->path);
			return;
		}
		if (r < 0)
			bad++;
	}
	if (bad)
		log_warning("%zu unusable line(s) in %s ignored; those ISOs are hashed again", bad,
			    c->path);
	log_debug("Loaded %zu checksum(s) from %s", c->n, c->path);
}

/* Writes the file atomically (temporary file, fsync, rename, fsync of the folder). */
static int save(struct web_checksums *c)
{
	_cleanup_free_ char *buf = NULL, *tmp = NULL, *dir = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	fputs(CHECKSUMS_MAGIC "\n", f);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n; i++) {
		const struct sum *x = &c->sums[i];
		if (!x->hex[0])
			continue; /* a failure is tried again after a restart */
		fprintf(f, "%s %" PRIu64 " %" PRId64 " %" PRIu64 " ", x->hex, x->size, x->mtime_ns,
			x->ino);
		escape_path(f, x->rel);
		fputc('\n', f);
	}
	c->unsaved = false;
	pthread_mutex_unlock(&c->lock);
	if (fclose(f) != 0)
		return -ENOMEM;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", c->path) < 0 || !(dir = strdup(c->path)))
		return -ENOMEM;
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	int r = write_full(fd, buf, len);
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = neg_errno();
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	if (r == 0 && rename(tmp, c->path) < 0)
		r = neg_errno();
	if (r < 0) {
		(void)unlink(tmp);
		return r;
	}
	/* c->path is <state_dir>/checksums: its folder is what precedes the last '/'. */
	char *slash = strrchr(dir, '/');
	*(slash == dir ? slash + 1 : slash) = '\0';
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return neg_errno();
	return 0;
}

static void save_logged(struct web_checksums *c)
{
	int r = save(c);
	if (r < 0 && r != c->save_err)
		log_error_errno(r,
				"Cannot write the checksums %s; they are computed again after a "
				"restart",
				c->path);
	else if (r == 0 && c->save_err)
		log_info("The checksums %s are written again", c->path);
	if (r < 0) {
		/* Try again on the next pass. */
		pthread_mutex_lock(&c->lock);
		c->unsaved = true;
		pthread_mutex_unlock(&c->lock);
	}
	c->save_err = r;
}

/* --- The thread ----------------------------------------------------------------------- */

/*
 * The SHA-256 of fd (st as it was opened) in hex. -ECANCELED when stopping, -ESTALE when the
 * file changed while it was read (it is tried again on a later pass).
 */
static int hash_file(struct web_checksums *c, int fd, const struct stat *st,
		     char hex[WEB_SHA256_HEX])
{
	_cleanup_free_ uint8_t *buf = malloc(CHUNK);
	struct sha256_ctx ctx;
	uint8_t digest[SHA256_DIGEST_SIZE];
	uint64_t size = (uint64_t)st->st_size;
	struct stat after;

	if (!buf)
		return -ENOMEM;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	sha256_init(&ctx);
	for (uint64_t off = 0; off < size;) {
		if (atomic_load(&c->stop))
			return -ECANCELED;
		size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		/* What is in the page cache already is being read by someone (a client booting
		 * the ISO): it is read as it is and left there. What this thread alone brings in
		 * is dropped again, so that hashing the folder does not push the boot clients'
		 * pages out of memory. */
		struct iovec iov = {.iov_base = buf, .iov_len = want};
		ssize_t cached = preadv2(fd, &iov, 1, (off_t)off, RWF_NOWAIT);
		if (cached < 0)
			cached = 0;
		ssize_t n = 0;
		if ((size_t)cached < want) {
			n = pread_full(fd, buf + cached, want - (size_t)cached,
				       off + (uint64_t)cached);
			if (n < 0)
				return (int)n;
			(void)posix_fadvise(fd, (off_t)(off + (uint64_t)cached), n,
					    POSIX_FADV_DONTNEED);
		}
		if ((size_t)cached + (size_t)n < want)
			return -ESTALE; /* it shrank */
		sha256_update(&ctx, want, buf);
		off += want;
	}
	if (fstat(fd, &after) < 0)
		return neg_errno();
	if (after.st_size != st->st_size || mtime_ns(&after) != mtime_ns(st) ||
	    after.st_ino != st->st_ino)
		return -ESTALE;
	sha256_digest(&ctx, sizeof(digest), digest);
	web_sha256_hex(digest, hex);
	return 0;
}

/* Whether the thread knows (or gave up on) the file st describes at rel. */
static bool known(struct web_checksums *c, const char *rel, const struct stat *st)
{
	bool found;
	pthread_mutex_lock(&c->lock);
	size_t i = sum_find(c, rel, &found);
	bool k = found && sum_matches(&c->sums[i], st);
	pthread_mutex_unlock(&c->lock);
	return k;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Forgets the files the catalog no longer has, unless the file is still there as it was: one
 * noted a moment ago (a fetch) that the rescan has not catalogued yet must not be read again.
 */
static void prune(struct web_checksums *c, const struct catalog *cat)
{
	_cleanup_free_ char **paths = calloc(cat->n + 1, sizeof(*paths));
	_cleanup_close_ int dir = open(c->cfg->iso_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (!paths)
		return;
	for (size_t i = 0; i < cat->n; i++)
		paths[i] = cat->entries[i].path;
	qsort(paths, cat->n, sizeof(*paths), cmp_str);
	pthread_mutex_lock(&c->lock);
	size_t o = 0;
	for (size_t i = 0; i < c->n; i++) {
		const char *key = c->sums[i].rel;
		if (bsearch(&key, paths, cat->n, sizeof(*paths), cmp_str) ||
		    (dir >= 0 && fstatat(dir, key, &st, 0) == 0 && sum_matches(&c->sums[i], &st))) {
			c->sums[o++] = c->sums[i];
		} else {
			free(c->sums[i].rel);
			c->unsaved = true;
		}
	}
	c->n = o;
	pthread_mutex_unlock(&c->lock);
}

static void pass(struct web_checksums *c)
{
	struct catalog cat;
	unsigned line = 0;

	int r = catalog_load(&cat, c->catalog_path, &line);
	if (r == -ENOENT) {
		catalog_init(&cat);
	} else if (r < 0) {
		log_warning_errno(r, "Cannot read the catalog %s for the checksums",
				  c->catalog_path);
		return;
	}
	prune(c, &cat);
	for (size_t i = 0; i < cat.n && !atomic_load(&c->stop); i++) {
		const struct catalog_entry *e = &cat.entries[i];
		struct stat st;
		char hex[WEB_SHA256_HEX];

		_cleanup_close_ int fd = catalog_open_image(c->cfg->iso_dir, e, &st);
		if (fd < 0) {
			/* Gone since the scan: the next scan drops it. */
			log_debug_errno(fd, "Cannot open %s to compute its SHA-256", e->path);
			continue;
		}
		if (known(c, e->path, &st))
			continue;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = hash_file(c, fd, &st, hex);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r == -ECANCELED)
			break;
		if (r == -ESTALE) {
			log_info("%s changed while its SHA-256 was computed; it is computed again "
				 "later",
				 e->path);
			continue;
		}
		if (r == -ENOMEM) {
			log_error_errno(r, "Cannot compute the SHA-256 of %s", e->path);
			continue;
		}
		if (r < 0) {
			/* A read error: not tried again until the file changes, or the service
			 * restarts. */
			log_warning_errno(r, "Cannot compute the SHA-256 of %s", e->path);
			hex[0] = '\0';
		} else {
			log_info("SHA-256 of %s: %s (%.1f s)", e->path, hex,
				 (double)(t1.tv_sec - t0.tv_sec) +
				     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		}
		pthread_mutex_lock(&c->lock);
		if (sum_store(c, e->path, (uint64_t)st.st_size, mtime_ns(&st), (uint64_t)st.st_ino,
			      hex) == 0 &&
		    r == 0)
			c->unsaved = true;
		bool write = c->unsaved;
		pthread_mutex_unlock(&c->lock);
		if (write)
			save_logged(c);
	}
	catalog_finish(&cat);
	pthread_mutex_lock(&c->lock);
	bool write = c->unsaved;
	pthread_mutex_unlock(&c->lock);
	if (write)
		save_logged(c);
}

/* The thread yields the CPU and the disk to everyone else: nice 19, I/O class idle. */
static void lower_priority(void)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	if (setpriority(PRIO_PROCESS, (id_t)tid, 19) < 0)
		log_debug_errno(neg_errno(), "Cannot lower the checksum thread's CPU priority");
	/* ioprio_set(IOPRIO_WHO_PROCESS, this thread, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0)):
	 * glibc has no wrapper. */
	if (syscall(SYS_ioprio_set, 1, (int)tid, 3 << 13) < 0)
		log_debug_errno(neg_errno(), "Cannot lower the checksum thread's I/O priority");
}

static void *thread_main(void *p)
{
	struct web_checksums *c = p;

	lower_priority();
	pthread_mutex_lock(&c->lock);
	while (!atomic_load(&c->stop)) {
		if (!c->wake) {
			struct timespec until;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += RECHECK_S;
			if (pthread_cond_timedwait(&c->cond, &c->lock, &until) == ETIMEDOUT)
				c->wake = true;
			continue;
		}
		c->wake = false;
		pthread_mutex_unlock(&c->lock);
		pass(c);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

void web_checksums_stop(struct web_checksums *c)
{
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->lock);
		atomic_store(&c->stop, true);
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
		/* A checksum noted by a fetch just before the stop is kept all the same. */
		if (c->unsaved)
			save_logged(c);
	}
	for (size_t i = 0; i < c->n; i++)
		free(c->sums[i].rel);
	free(c->sums);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c->catalog_path);
	free(c);
}

int web_checksums_start(const struct isoboot_config *cfg, struct web_checksums **out)
{
	struct web_checksums *c = calloc(1, sizeof(*c));
	pthread_condattr_t attr;

	if (!c)
		return -ENOMEM;
	c->cfg = cfg;
	c->wake = true;
	atomic_init(&c->stop, false);
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (asprintf(&c->path, "%s/" CHECKSUMS_FILE, cfg->state_dir) < 0) {
		c->path = NULL;
		web_checksums_stop(c);
		return -ENOMEM;
	}
	c->catalog_path = config_catalog_path(cfg);
	if (!c->catalog_path) {
		web_checksums_stop(c);
		return -ENOMEM;
	}
	load(c);
	int r = -pthread_create(&c->thread, NULL, thread_main, c);
	if (r < 0) {
		log_error_errno(r, "Cannot start the checksum thread");
		web_checksums_stop(c);
		return r;
	}
	c->started = true;
	*out = c;
	return 0;
}
