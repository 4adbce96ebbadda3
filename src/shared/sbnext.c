/* SPDX-License-Identifier: MIT */
#include "sbnext.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define SBNEXT_FILE_MAX 256
/* A file's time may be a little ahead of time(): the kernel stamps files with a finer clock
 * than time() reads (multigrain timestamps), so a file written now can read as the next
 * second. Only further ahead than this is a clock that went back. */
#define SBNEXT_SKEW_S 5

/* Whether a file of time t is older than max seconds at now, or from well in the future. */
static bool too_old(time_t t, time_t now, time_t max)
{
	return t > now + SBNEXT_SKEW_S || now - t >= max;
}

int sbnext_mac_parse(const char *s, uint8_t mac[6])
{
	if (!s)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = unhexchar(s[0]), lo = hi < 0 ? -1 : unhexchar(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi * 16 + lo);
		s += 2;
		if (i < 5) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			s++;
		}
	}
	return *s ? -EINVAL : 0;
}

int sbnext_parse(const char *text, size_t len, struct sbnext *out)
{
	static const char used[] = " used";
	char buf[CATALOG_ID_MAX];

	if (len > 0 && text[len - 1] == '\n')
		len--;
	bool is_used = len >= sizeof(used) - 1 &&
		       memcmp(text + len - (sizeof(used) - 1), used, sizeof(used) - 1) == 0;
	if (is_used)
		len -= sizeof(used) - 1;
	if (len == 0 || len >= CATALOG_ID_MAX)
		return -EBADMSG;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (!catalog_id_valid(buf))
		return -EBADMSG;
	memcpy(out->id, buf, len + 1);
	out->used = is_used;
	return 0;
}

/*
 * Whether another choice may be written to dir: fewer than SBNEXT_MAX files there once those
 * older than SBNEXT_TTL_S (and stale temporary files) are removed. mine, the file of this MAC,
 * does not count: it is replaced.
 */
static int make_room(const char *dir, const char *mine, time_t now)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return neg_errno();
	while ((de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || streq(de->d_name, mine))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (too_old(st.st_mtime, now, SBNEXT_TTL_S)) {
			unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		n++;
	}
	return n >= SBNEXT_MAX ? -ENOSPC : 0;
}

static void file_of(const char *state_dir, const uint8_t mac[6], char *out, size_t size)
{
	snprintf(out, size, "%s/" SBNEXT_DIR "/%02x%02x%02x%02x%02x%02x", state_dir, mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

int sbnext_put(const char *state_dir, const uint8_t mac[6], const char *id, bool used)
{
	char path[4096], tmp[4200], line[CATALOG_ID_MAX + 8];

	if (!catalog_id_valid(id))
		return -EINVAL;
	file_of(state_dir, mac, path, sizeof(path));
	int n = snprintf(line, sizeof(line), "%s%s\n", id, used ? " used" : "");
	/* systemd-tmpfiles makes it (isoboot.tmpfiles); a server run by hand may not have it. */
	snprintf(tmp, sizeof(tmp), "%s/" SBNEXT_DIR, state_dir);
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return neg_errno();
	/* Marking one used replaces it: no room needed. */
	int r = used ? 0 : make_room(tmp, strrchr(path, '/') + 1, time(NULL));
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	_cleanup_close_ int fd =
	    open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return neg_errno();
	r = write_full(fd, line, (size_t)n);
	/* The rename makes the choice whole or absent for the ProxyDHCP's reader. */
	if (r == 0 && rename(tmp, path) < 0)
		r = neg_errno();
	if (r < 0)
		unlink(tmp);
	return r;
}

int sbnext_get(const char *state_dir, const uint8_t mac[6], time_t now, struct sbnext *out)
{
	char path[4096], buf[SBNEXT_FILE_MAX];
	struct stat st;

	file_of(state_dir, mac, path, sizeof(path));
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	/* A choice is for the restart that follows it, not for a boot days later. */
	if (too_old(st.st_mtime, now, SBNEXT_TTL_S)) {
		unlink(path);
		return -ENOENT;
	}
	ssize_t n = pread_full(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return (int)n;
	int r = sbnext_parse(buf, (size_t)n, out);
	if (r == 0 && out->used && too_old(st.st_mtime, now, SBNEXT_USED_S))
		r = -ENOENT;
	if (r < 0)
		unlink(path);
	return r;
}

int sbnext_drop(const char *state_dir, const uint8_t mac[6])
{
	char path[4096];

	file_of(state_dir, mac, path, sizeof(path));
	return unlink(path) < 0 ? neg_errno() : 0;
}
