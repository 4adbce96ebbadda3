/* SPDX-License-Identifier: MIT */
/* Test helpers: stderr capture, a temporary directory, files, a clock, JSON checked by python3. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Redirects stderr into a temporary file until capture_end(), which returns what was written. */
struct capture {
	int saved;
	FILE *tmp;
	char buf[16384];
};

static inline void capture_begin(struct capture *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	c->saved = dup(STDERR_FILENO);
	dup2(fileno(c->tmp), STDERR_FILENO);
}

static inline const char *capture_end(struct capture *c)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	rewind(c->tmp);
	n = fread(c->buf, 1, sizeof(c->buf) - 1, c->tmp);
	c->buf[n] = '\0';
	fclose(c->tmp);
	return c->buf;
}

static inline char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/isoboot-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

static inline void rm_rf(const char *dir)
{
	char cmd[512];
	if (dir && strncmp(dir, "/tmp/isoboot-test-", 18) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
}

static inline int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The permission bits of path; -1 when it cannot be stat()ed. */
static inline int mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* Seconds on the monotonic clock. */
static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The exit status of python3 json-loading text and running script on it as d; -1 without
 * python3. */
static inline int python_check(const char *text, const char *script)
{
	char cmd[1024];

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json, sys\nd = json.load(sys.stdin)\n%s'",
		 script);
	FILE *p = popen(cmd, "w");
	if (!p)
		return -1;
	fputs(text, p);
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}
