/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The accounts of the admin page, /etc/isoboot/users: one "USER:HASH" per line, HASH a crypt(5)
 * string (yescrypt "$y$" as isoboot-passwd writes it; bcrypt "$2b$"/"$2y$" and SHA-512 "$6$"
 * are accepted too, for hashes made elsewhere). Lines starting with '#' and blank lines are
 * kept as they are by users_set(). The format is described in isoboot-passwd(8).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define USERS_NAME_MAX 32
#define USERS_MAX 256
#define USERS_FILE_MAX (64u * 1024)
/* libxcrypt hashes passphrases of up to CRYPT_MAX_PASSPHRASE_SIZE - 1 bytes (crypt.h). */
#define USERS_PASSWORD_MAX 511

struct users_account {
	char name[USERS_NAME_MAX + 1];
	char *hash;
	unsigned line;
};

/* What the file looked like when it was last read, so a reload can be skipped cheaply. */
struct users_file_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct users {
	struct users_account *accounts;
	size_t n;
	struct users_file_id id; /* users_load() and users_reload_if_changed() only */
};

/* 1 to 32 of [A-Za-z0-9._-], not starting with '.' or '-'. */
bool users_name_valid(const char *name);

/*
 * Parses an accounts file held in memory; name is used in messages. Every bad line is logged as
 * "name:line: message" and the result is then -EINVAL with u empty; text longer than
 * USERS_FILE_MAX is -EFBIG. u needs no initialisation and must be freed with users_free() on
 * success.
 */
int users_parse(struct users *u, const char *name, const char *text, size_t len);

/*
 * Reads and parses path. Bad lines are logged as for users_parse() (-EINVAL); any other error
 * (-ENOENT for a missing file, -EFBIG, -EACCES...) is returned without a message, for the
 * caller to word. u is always left valid (empty on failure).
 */
int users_load(struct users *u, const char *path);

/*
 * Rereads path when it changed since u was loaded (another inode, size, mtime or ctime: it
 * costs one stat() when nothing changed). Returns 0 when unchanged since the last call, 1 when
 * reloaded, or a negative errno as users_load() (-ENOENT when the file was removed). On failure
 * u is left without accounts, so that every login is refused rather than served from a file
 * that no longer says so; the failed file is remembered, so that it is not reread (nor its bad
 * lines logged again) until it changes. Calling users_free() after a failure forgets that too.
 * Not thread-safe: the caller locks around it and users_verify().
 */
int users_reload_if_changed(struct users *u, const char *path);

void users_free(struct users *u);

/*
 * 0 when password is the password of user, otherwise -EACCES (also for an unknown user, after
 * hashing against a dummy yescrypt hash so the time taken does not tell which names exist), or
 * -ENOMEM. Thread-safe: u is only read.
 */
int users_verify(const struct users *u, const char *user, const char *password);

/*
 * Sets the password of user in the file at path, adding the account or replacing its hash;
 * every other line stays as it was. The new file is written next to the old one with mode 0640
 * (the owner and group of the old file are kept), synced and renamed over it; the file is
 * created when missing, its folder is not. Concurrent callers are serialised with flock() on the
 * folder. Returns 0, -EINVAL for a bad name or password (nothing logged) or an existing file
 * with errors (logged as "path:line: message"), -E2BIG when the file already holds USERS_MAX
 * accounts, or another negative errno.
 */
int users_set(const char *path, const char *user, const char *password);

/*
 * The text editing part of users_set(), in memory, for tests and the fuzzer: text (an accounts
 * file, checked as by users_parse() under name) with the account of user set to hash. *out is
 * NUL-terminated and must be freed. -EINVAL for a bad file, name or hash, -E2BIG for one
 * account too many, -EFBIG when the result would exceed USERS_FILE_MAX.
 */
int users_edit(const char *name, const char *text, size_t len, const char *user, const char *hash,
	       char **out, size_t *out_len);
