/* SPDX-License-Identifier: MIT */
#include "range.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* 1*DIGIT, saturating at UINT64_MAX. Returns the characters used (0: none). */
static size_t parse_pos(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; is_digit(s[i]); i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			v = UINT64_MAX;
		else
			v = v * 10 + d;
	}
	*out = v;
	return i;
}

enum http_range http_range_parse(const char *value, uint64_t size, uint64_t *first, uint64_t *last)
{
	const char *p = value;
	uint64_t a = 0, b = UINT64_MAX;
	bool suffix = false;
	size_t n;

	if (!p || strncasecmp(p, "bytes=", 6) != 0)
		return HTTP_RANGE_NONE;
	p += 6;
	/* Empty list elements are allowed around the one range-spec (RFC 9110 5.6.1.2). */
	while (*p == ',' || is_ows(*p))
		p++;
	if (*p == '-') {
		suffix = true;
		p++;
		n = parse_pos(p, &b);
		if (n == 0)
			return HTTP_RANGE_NONE;
		p += n;
	} else {
		n = parse_pos(p, &a);
		if (n == 0)
			return HTTP_RANGE_NONE;
		p += n;
		if (*p++ != '-')
			return HTTP_RANGE_NONE;
		n = parse_pos(p, &b);
		p += n;
		if (n == 0)
			b = UINT64_MAX;
		else if (b < a)
			return HTTP_RANGE_NONE; /* invalid: last-pos before first-pos */
	}
	while (is_ows(*p) || *p == ',') {
		if (*p == ',') {
			/* Another range-spec after this one: several ranges, ignored. */
			const char *q = p;
			while (*q == ',' || is_ows(*q))
				q++;
			if (*q)
				return HTTP_RANGE_NONE;
		}
		p++;
	}
	if (*p)
		return HTTP_RANGE_NONE;

	if (suffix) {
		/* RFC 9110 14.1.1: a suffix-range is satisfiable when its length is not zero. */
		if (b == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		if (size == 0)
			return HTTP_RANGE_NONE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return HTTP_RANGE_OK;
	}
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return HTTP_RANGE_OK;
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void http_date_format(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, size, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int two_digits(const char *s)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int http_date_parse(const char *s, time_t *out)
{
	struct tm tm = {0};
	int wday = -1, mon = -1;

	/* "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 characters. */
	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
	    s[16] != ' ' || s[19] != ':' || s[22] != ':' || strcmp(s + 25, " GMT") != 0)
		return -EINVAL;
	for (int i = 0; i < 7; i++)
		if (strncmp(s, wdays[i], 3) == 0)
			wday = i;
	for (int i = 0; i < 12; i++)
		if (strncmp(s + 8, months[i], 3) == 0)
			mon = i;
	int day = two_digits(s + 5), y1 = two_digits(s + 12), y2 = two_digits(s + 14),
	    h = two_digits(s + 17), m = two_digits(s + 20), sec = two_digits(s + 23);
	if (wday < 0 || mon < 0 || day < 1 || day > 31 || y1 < 0 || y2 < 0 || h < 0 || h > 23 ||
	    m < 0 || m > 59 || sec < 0 || sec > 60)
		return -EINVAL;
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*out = t;
	return 0;
}

bool http_if_range_matches(const char *value, const char *etag, time_t last_modified)
{
	time_t t;

	if (!value)
		return true;
	if (value[0] == '"')
		return strcmp(value, etag) == 0;
	if (http_date_parse(value, &t) == 0)
		return t == last_modified;
	return false; /* a weak tag, or garbage: send the whole representation */
}
