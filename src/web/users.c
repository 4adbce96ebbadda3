/* SPDX-License-Identifier: MIT */
#include "users.h"

#include <crypt.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

/* The group isoboot-web runs as (isoboot.sysusers). */
#define USERS_GROUP "isoboot"

/* After this many bad lines the rest of a file is not worth reading: it is not an accounts file. */
#define USERS_MAX_ERRORS 20

_Static_assert(USERS_PASSWORD_MAX < CRYPT_MAX_PASSPHRASE_SIZE, "crypt_rn() would refuse it");

/*
 * crypt_gensalt_rn("$y$", 0, ...) + crypt_rn("dummy"): unknown users are hashed against it, so
 * that it costs what a real account (written by users_set(), same default cost) costs.
 */
static const char dummy_hash[] =
    "$y$j9T$uCM4fYnjS71i2ZsUZQFWw0$ZPEz1wupBaCO32UXbJz6ouGK9os3QU6sFj3wBZAKLZ1";

bool users_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > USERS_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
		if (!ok)
			return false;
	}
	return true;
}

/* The alphabet of crypt(5) salts and hashes, for the three methods accepted. */
static bool b64_span(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '/';
		if (!ok)
			return false;
	}
	return true;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The structure of each accepted method is checked here, because crypt_checksalt() only looks at
 * the prefix: a truncated hash would otherwise load fine and then refuse every password, with
 * nothing telling the administrator why.
 */
static bool hash_valid(const char *h)
{
	size_t len = strlen(h), n;
	const char *p;

	if (len >= CRYPT_OUTPUT_SIZE)
		return false;
	if (strncmp(h, "$y$", 3) == 0) {
		/* $y$PARAMS$SALT$HASH */
		p = h + 3;
		for (int field = 0; field < 3; field++) {
			n = strcspn(p, "$");
			if (n == 0 || !b64_span(p, n))
				return false;
			p += n;
			if (field < 2) {
				if (*p != '$')
					return false;
				p++;
			}
		}
		if (*p)
			return false;
	} else if (strncmp(h, "$2b$", 4) == 0 || strncmp(h, "$2y$", 4) == 0) {
		/* $2b$CC$ + 22 characters of salt + 31 of hash; cost 4 to 31 */
		if (len != 60 || !is_digit(h[4]) || !is_digit(h[5]) || h[6] != '$' ||
		    !b64_span(h + 7, 53))
			return false;
		int cost = (h[4] - '0') * 10 + (h[5] - '0');
		if (cost < 4 || cost > 31)
			return false;
	} else if (strncmp(h, "$6$", 3) == 0) {
		/* $6$[rounds=N$]SALT$HASH, SALT up to 16 characters, HASH 86 */
		p = h + 3;
		if (strncmp(p, "rounds=", 7) == 0) {
			p += 7;
			n = strspn(p, "0123456789");
			if (n == 0 || n > 9 || p[n] != '$')
				return false;
			p += n + 1;
		}
		n = strcspn(p, "$");
		if (n == 0 || n > 16 || !b64_span(p, n) || p[n] != '$')
			return false;
		p += n + 1;
		if (strlen(p) != 86 || !b64_span(p, 86))
			return false;
	} else {
		return false;
	}
	return crypt_checksalt(h) == CRYPT_SALT_OK;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line of the file without its newline, and without the blanks an editor may leave around. */
struct line {
	const char *text; /* trimmed */
	size_t len;
	const char *colon; /* NULL when there is none */
};

/* False for comments and blank lines, which are no one's business but the reader's. */
static bool line_split(const char *p, size_t n, struct line *l)
{
	while (n > 0 && is_blank(*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_blank(p[n - 1]))
		n--;
	if (n == 0 || p[0] == '#')
		return false;
	*l = (struct line){.text = p, .len = n, .colon = memchr(p, ':', n)};
	return true;
}

/* Copies out the user name of an account line; false when it is not a valid one. */
static bool line_user(const struct line *l, char user[static USERS_NAME_MAX + 1])
{
	size_t n;

	if (!l->colon)
		return false;
	n = (size_t)(l->colon - l->text);
	if (n == 0 || n > USERS_NAME_MAX)
		return false;
	memcpy(user, l->text, n);
	user[n] = '\0';
	return users_name_valid(user);
}

static const struct users_account *find(const struct users *u, const char *user)
{
	for (size_t i = 0; i < u->n; i++)
		if (streq(u->accounts[i].name, user))
			return &u->accounts[i];
	return NULL;
}

/* Checks one line and adds its account; returns 0 or -EINVAL (logged) or -ENOMEM. */
static int parse_line(struct users *u, size_t *allocated, const char *name, unsigned lineno,
		      const char *p, size_t n)
{
	char user[USERS_NAME_MAX + 1];
	struct line l;
	const struct users_account *dup;

	if (!line_split(p, n, &l))
		return 0;
	if (!l.colon)
		return log_error("%s:%u: expected USER:HASH", name, lineno), -EINVAL;
	if (!line_user(&l, user))
		return log_error("%s:%u: invalid user name '%.*s': 1 to %d characters of A-Z a-z "
				 "0-9 . _ -, not starting with '.' or '-'",
				 name, lineno,
				 (int)((size_t)(l.colon - l.text) > 64 ? 64 : l.colon - l.text),
				 l.text, USERS_NAME_MAX),
		       -EINVAL;
	dup = find(u, user);
	if (dup)
		return log_error("%s:%u: duplicate account '%s' (first on line %u)", name, lineno,
				 user, dup->line),
		       -EINVAL;

	size_t hash_len = l.len - (size_t)(l.colon + 1 - l.text);
	_cleanup_free_ char *hash = strndup(l.colon + 1, hash_len);
	if (!hash)
		return -ENOMEM;
	if (hash_len == 0)
		return log_error("%s:%u: account '%s' has no password hash", name, lineno, user),
		       -EINVAL;
	if (!hash_valid(hash))
		return log_error(
			   "%s:%u: the hash of '%s' is not a yescrypt ($y$), bcrypt ($2b$) or "
			   "SHA-512 ($6$) crypt(5) hash",
			   name, lineno, user),
		       -EINVAL;
	if (u->n == USERS_MAX)
		return log_error("%s:%u: more than %d accounts", name, lineno, USERS_MAX), -EINVAL;

	if (u->n == *allocated) {
		size_t a = *allocated ? *allocated * 2 : 8;
		struct users_account *na = reallocarray(u->accounts, a, sizeof(*na));
		if (!na)
			return -ENOMEM;
		u->accounts = na;
		*allocated = a;
	}
	struct users_account *acc = &u->accounts[u->n++];
	memcpy(acc->name, user, sizeof(acc->name));
	acc->hash = TAKE_PTR(hash);
	acc->line = lineno;
	return 0;
}

int users_parse(struct users *u, const char *name, const char *text, size_t len)
{
	struct users t = {0};
	size_t allocated = 0;
	unsigned lineno = 0, errors = 0;
	const char *end = text + len, *nul;
	int r = 0;

	*u = (struct users){0};
	if (len > USERS_FILE_MAX)
		return -EFBIG;
	nul = memchr(text, '\0', len);
	if (nul) {
		lineno = 1;
		for (const char *p = text; p < nul; p++)
			lineno += *p == '\n';
		log_error("%s:%u: NUL byte in the file", name, lineno);
		return -EINVAL;
	}

	for (const char *p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		r = parse_line(&t, &allocated, name, lineno, p, n);
		if (r == -ENOMEM)
			break;
		if (r < 0 && ++errors >= USERS_MAX_ERRORS) {
			log_error("%s:%u: too many errors, giving up", name, lineno);
			break;
		}
		r = 0;
		p = nl ? nl + 1 : end;
	}
	if (r == 0 && errors > 0)
		r = -EINVAL;
	if (r < 0) {
		users_free(&t);
		return r;
	}
	*u = t;
	return 0;
}

static void file_id_from_stat(struct users_file_id *id, const struct stat *st)
{
	*id = (struct users_file_id){
	    .exists = true,
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .size = st->st_size,
	    .mtime = st->st_mtim,
	    .ctime = st->st_ctim,
	};
}

static bool file_id_equal(const struct users_file_id *a, const struct users_file_id *b)
{
	if (a->exists != b->exists)
		return false;
	if (!a->exists)
		return true;
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

int users_load(struct users *u, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	_cleanup_free_ char *text = NULL;
	struct users_file_id id;
	struct stat st;
	ssize_t n;
	int r;

	*u = (struct users){0};
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if ((uint64_t)st.st_size > USERS_FILE_MAX)
		return -EFBIG;
	/* One byte more than allowed, to see a file that grew since fstat(). */
	text = malloc(USERS_FILE_MAX + 1);
	if (!text)
		return -ENOMEM;
	n = pread_full(fd, text, USERS_FILE_MAX + 1, 0);
	if (n < 0)
		return (int)n;
	if ((size_t)n > USERS_FILE_MAX)
		return -EFBIG;
	file_id_from_stat(&id, &st);
	r = users_parse(u, path, text, (size_t)n);
	if (r < 0)
		return r;
	u->id = id;
	return 0;
}

int users_reload_if_changed(struct users *u, const char *path)
{
	struct users_file_id id = {0};
	struct users fresh;
	struct stat st;
	int r;

	if (stat(path, &st) == 0)
		file_id_from_stat(&id, &st);
	else if (errno != ENOENT)
		return neg_errno();
	if (file_id_equal(&id, &u->id))
		return 0;
	r = users_load(&fresh, path);
	if (r < 0) {
		users_free(u);
		u->id = id;
		return r;
	}
	users_free(u);
	*u = fresh;
	return 1;
}

void users_free(struct users *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->accounts[i].hash);
	free(u->accounts);
	*u = (struct users){0};
}

/* Compares without an early exit, so the time taken does not tell where the first difference is. */
static bool equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	volatile unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

int users_verify(const struct users *u, const char *user, const char *password)
{
	const struct users_account *a = user ? find(u, user) : NULL;
	bool usable = password && *password &&
		      strnlen(password, USERS_PASSWORD_MAX + 1) <= USERS_PASSWORD_MAX;
	struct crypt_data *d = calloc(1, sizeof(*d));
	const char *out;
	bool ok;

	if (!d)
		return -ENOMEM;
	/* A refused password still costs one hash, like any other wrong one. */
	out = crypt_rn(usable ? password : "-", a ? a->hash : dummy_hash, d, (int)sizeof(*d));
	ok = out && a && usable && equal_ct(out, a->hash);
	explicit_bzero(d, sizeof(*d));
	free(d);
	return ok ? 0 : -EACCES;
}

static int append(char **buf, size_t *len, size_t *size, const char *s, size_t n)
{
	if (*len + n + 1 > *size) {
		size_t ns = (*len + n + 1) * 2;
		char *nb = realloc(*buf, ns);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*size = ns;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int users_edit(const char *name, const char *text, size_t len, const char *user, const char *hash,
	       char **out, size_t *out_len)
{
	_cleanup_free_ char *buf = NULL;
	const char *end = text + len;
	size_t blen = 0, bsize = 0;
	struct users u;
	bool found;
	int r;

	if (!users_name_valid(user) || !hash_valid(hash))
		return -EINVAL;
	r = users_parse(&u, name, text, len);
	if (r < 0)
		return r;
	found = find(&u, user) != NULL;
	r = !found && u.n >= USERS_MAX ? -E2BIG : 0;
	users_free(&u);
	if (r < 0)
		return r;

	for (const char *p = text; p < end && r == 0;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char lu[USERS_NAME_MAX + 1];
		struct line l;

		if (line_split(p, n, &l) && line_user(&l, lu) && streq(lu, user)) {
			r = append(&buf, &blen, &bsize, user, strlen(user));
			if (r == 0)
				r = append(&buf, &blen, &bsize, ":", 1);
			if (r == 0)
				r = append(&buf, &blen, &bsize, hash, strlen(hash));
			if (r == 0 && nl)
				r = append(&buf, &blen, &bsize, "\n", 1);
		} else {
			r = append(&buf, &blen, &bsize, p, nl ? n + 1 : n);
		}
		p = nl ? nl + 1 : end;
	}
	if (r == 0 && !found) {
		if (len > 0 && text[len - 1] != '\n')
			r = append(&buf, &blen, &bsize, "\n", 1);
		if (r == 0)
			r = append(&buf, &blen, &bsize, user, strlen(user));
		if (r == 0)
			r = append(&buf, &blen, &bsize, ":", 1);
		if (r == 0)
			r = append(&buf, &blen, &bsize, hash, strlen(hash));
	}
	/* A file we wrote always ends with a newline, even if the one we read did not. */
	if (r == 0 && (blen == 0 || buf[blen - 1] != '\n'))
		r = append(&buf, &blen, &bsize, "\n", 1);
	if (r < 0)
		return r;
	if (blen > USERS_FILE_MAX)
		return -EFBIG;
	*out = TAKE_PTR(buf);
	*out_len = blen;
	return 0;
}

static int hash_password(const char *password, char **out)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *d;
	const char *h;
	int r = 0;

	if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)))
		return neg_errno();
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	h = crypt_rn(password, salt, d, (int)sizeof(*d));
	if (!h)
		r = neg_errno();
	else if (strncmp(h, "$y$", 3) != 0)
		r = -EINVAL;
	else if (!(*out = strdup(h)))
		r = -ENOMEM;
	explicit_bzero(d, sizeof(*d));
	free(d);
	return r;
}

static int write_replace(int dfd, const char *path, const char *text, size_t len,
			 const struct stat *old)
{
	_cleanup_free_ char *tmp = NULL;
	int r = 0;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fchmod(fd, 0640) < 0)
		r = neg_errno();
	/* The daemon reads the file through its group: a root-owned copy would lock it out. */
	if (r == 0 && old && (old->st_uid != geteuid() || old->st_gid != getegid()) &&
	    fchown(fd, old->st_uid, old->st_gid) < 0)
		r = neg_errno();
	/* A new file (root's, made with sudo) goes to the daemon's group when it exists. */
	if (r == 0 && !old) {
		struct group gr, *found = NULL;
		char buf[1024];
		if (getgrnam_r(USERS_GROUP, &gr, buf, sizeof(buf), &found) == 0 && found &&
		    found->gr_gid != getegid() && fchown(fd, (uid_t)-1, found->gr_gid) < 0)
			r = neg_errno();
	}
	if (r == 0)
		r = write_full(fd, text, len);
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	if (r == 0 && rename(tmp, path) < 0)
		r = neg_errno();
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return fsync(dfd) < 0 ? neg_errno() : 0;
}

int users_set(const char *path, const char *user, const char *password)
{
	_cleanup_free_ char *dir = NULL, *old = NULL, *hash = NULL, *text = NULL;
	size_t old_len = 0, len;
	struct stat st;
	bool exists;
	int r;

	if (!users_name_valid(user) || str_empty(password) ||
	    strnlen(password, USERS_PASSWORD_MAX + 1) > USERS_PASSWORD_MAX)
		return -EINVAL;
	dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	_cleanup_close_ int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return neg_errno();
	/* Two runs at once would each write the file they read, and one change would be lost. */
	if (flock(dfd, LOCK_EX) < 0)
		return neg_errno();

	r = read_file(path, USERS_FILE_MAX, &old, &old_len);
	if (r == -ENOENT) {
		exists = false;
	} else if (r < 0) {
		return r;
	} else {
		if (stat(path, &st) < 0)
			return neg_errno();
		exists = true;
	}

	r = hash_password(password, &hash);
	if (r < 0)
		return r;
	r = users_edit(path, old ? old : "", old_len, user, hash, &text, &len);
	if (r < 0)
		return r;
	return write_replace(dfd, path, text, len, exists ? &st : NULL);
}
