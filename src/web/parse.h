/* SPDX-License-Identifier: MIT */
#pragma once

/* What isoboot-web reads from requests, apart from libmicrohttpd's own parsing. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WEB_NAME_MAX 255 /* one path segment, as most file systems allow */
#define WEB_FORM_VALUE_MAX 1024

/*
 * A request's Content-Range (RFC 9110 14.4) as a resumed upload sends it: "bytes FIRST-LAST/TOTAL"
 * with FIRST <= LAST < TOTAL, decimal, no sign, no spaces inside. -EINVAL for anything else,
 * also an unknown total: an upload must say how large it is.
 */
int web_content_range_parse(const char *value, uint64_t *first, uint64_t *last, uint64_t *total);

/*
 * The value of name in an application/x-www-form-urlencoded body of len bytes (not
 * NUL-terminated), decoded ('+' is a space, %XX a byte) into out (size bytes, NUL-terminated).
 * The first occurrence counts. -ENOENT when absent, -EINVAL for a bad escape or a NUL, -E2BIG
 * when the value does not fit.
 */
int web_form_value(const char *body, size_t len, const char *name, char *out, size_t size);

/*
 * Checks where an upload may go, the request path after /api/isos/ already percent-decoded:
 * "NAME.iso" or "GROUP/NAME.iso" (a group is a subfolder of the ISO folder, as the menu shows
 * them). Every segment: 1 to WEB_NAME_MAX bytes, no leading '.', no '/' inside, no control
 * character, DEL or backslash, valid UTF-8; the name ends in ".iso" (any case). On success,
 * group (WEB_NAME_MAX + 1 bytes, "" at the top) and name are filled. -EINVAL otherwise.
 */
int web_iso_path_check(const char *path, char *group, char *name);

/* Writes s as a JSON string (quotes included), escaping what RFC 8259 requires and bytes that
 * are not valid UTF-8 (as U+FFFD). */
void json_string(FILE *f, const char *s);
