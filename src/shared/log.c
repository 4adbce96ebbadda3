/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#define LOG_MAX_FIELDS 32

static const char *log_ident = "isoboot";
static enum log_target log_target = LOG_TARGET_STDERR;
static int log_max_level = LOG_INFO;

static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, enum log_target target)
{
	const char *lvl = getenv("ISOBOOT_LOG_LEVEL");

	log_ident = ident;
	if (target == LOG_TARGET_AUTO)
		target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
	log_target = target;
	if (lvl && streq(lvl, "debug"))
		log_max_level = LOG_DEBUG;
}

void log_set_max_level(int prio)
{
	log_max_level = prio;
}

int log_get_max_level(void)
{
	return log_max_level;
}

enum log_target log_get_target(void)
{
	return log_target;
}

/*
 * Control characters in what is logged become \xNN: names and values come from the network and
 * the file system, and a raw newline or escape sequence would forge lines or repaint terminals.
 */
static void escape_into(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < size; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

static char *escape_dup(const char *in)
{
	size_t size = strlen(in) * 4 + 1;
	char *out = malloc(size);

	if (out)
		escape_into(in, out, size);
	return out;
}

static bool field_key_valid(const char *k)
{
	if (str_empty(k) || k[0] == '_' || strlen(k) > 64)
		return false;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

int log_build_fields(int prio, int err, const char *ident, const char *msgid,
		     const struct log_field *fields, const char *message, char **out, size_t max)
{
	size_t n = 0;
	int r;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n >= max) {                                                                    \
			r = -E2BIG;                                                                \
			goto fail;                                                                 \
		}                                                                                  \
		if (asprintf(&out[n], __VA_ARGS__) < 0) {                                          \
			r = -ENOMEM;                                                               \
			goto fail;                                                                 \
		}                                                                                  \
		n++;                                                                               \
	} while (0)

	_cleanup_free_ char *m = escape_dup(message);
	if (!m) {
		r = -ENOMEM;
		goto fail;
	}
	ADD("MESSAGE=%s", m);
	ADD("PRIORITY=%d", prio);
	ADD("SYSLOG_IDENTIFIER=%s", ident);
	if (msgid)
		ADD("MESSAGE_ID=%s", msgid);
	if (err != 0)
		ADD("ERRNO=%d", err < 0 ? -err : err);
	for (const struct log_field *f = fields; f && f->key; f++) {
		if (!field_key_valid(f->key)) {
			r = -EINVAL;
			goto fail;
		}
		_cleanup_free_ char *v = escape_dup(f->value ? f->value : "");
		if (!v) {
			r = -ENOMEM;
			goto fail;
		}
		ADD("%s=%s", f->key, v);
	}
#undef ADD
	return (int)n;
fail:
	while (n > 0)
		free(out[--n]);
	return r;
}

int log_full(int prio, int err, const char *msgid, const struct log_field *fields, const char *fmt,
	     ...)
{
	char msg[2048], safe[4 * sizeof(msg)];
	va_list ap;
	int saved = errno;

	if (prio > log_max_level)
		return err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err != 0) {
		size_t l = strlen(msg);
		snprintf(msg + l, sizeof(msg) - l, ": %s", strerror(err < 0 ? -err : err));
	}

	if (log_target == LOG_TARGET_JOURNAL) {
		char *strs[LOG_MAX_FIELDS];
		struct iovec iov[LOG_MAX_FIELDS];
		int n = log_build_fields(prio, err, log_ident, msgid, fields, msg, strs,
					 LOG_MAX_FIELDS);
		if (n > 0) {
			for (int i = 0; i < n; i++)
				iov[i] =
				    (struct iovec){.iov_base = strs[i], .iov_len = strlen(strs[i])};
			int r = sd_journal_sendv(iov, n);
			for (int i = 0; i < n; i++)
				free(strs[i]);
			if (r >= 0) {
				errno = saved;
				return err;
			}
		}
		/* Fall through to stderr: a message must never be lost silently. */
	}

	static const char *const names[] = {"emerg",   "alert",	 "crit", "error",
					    "warning", "notice", "info", "debug"};
	escape_into(msg, safe, sizeof(safe));
	if (prio <= LOG_WARNING)
		fprintf(stderr, "%s: %s: %s\n", log_ident, names[prio & 7], safe);
	else
		fprintf(stderr, "%s: %s\n", log_ident, safe);
	errno = saved;
	return err;
}
