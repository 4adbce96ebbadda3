/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum http_range {
	HTTP_RANGE_NONE,	  /* no usable Range: answer 200 with the whole representation */
	HTTP_RANGE_OK,		  /* answer 206 with bytes first..last (inclusive) */
	HTTP_RANGE_UNSATISFIABLE, /* answer 416 with Content-Range: bytes * / size */
};

/*
 * Interprets a Range header value (RFC 9110 14.2) against a representation of size bytes. Only
 * the "bytes" unit and a single range are honoured: a malformed header, another unit, or a list
 * of several ranges is HTTP_RANGE_NONE, as RFC 9110 allows a server to ignore Range. Positions
 * are 64-bit; digits beyond that saturate, so that a huge first-pos is unsatisfiable and a huge
 * last-pos or suffix-length means "to the end".
 */
enum http_range http_range_parse(const char *value, uint64_t size, uint64_t *first, uint64_t *last);

/* An IMF-fixdate (RFC 9110 5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
void http_date_format(time_t t, char *buf, size_t size);

/* Parses an IMF-fixdate only (the obsolete forms are not matched); 0 or -EINVAL. */
int http_date_parse(const char *s, time_t *out);

/*
 * Whether an If-Range value (RFC 9110 13.1.5) lets the Range through: a strong entity tag equal
 * to etag, or an HTTP date equal to last_modified. Weak tags and anything else do not.
 */
bool http_if_range_matches(const char *value, const char *etag, time_t last_modified);
