/* SPDX-License-Identifier: MIT */
/* iSCSI text key=value data segments (RFC 7143 section 6). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_KEY_MAX 63
#define TEXT_VALUE_MAX 255
#define TEXT_LONG_VALUE_MAX 8192 /* CHAP_C, CHAP_R: hex of up to 4096 bytes */
#define TEXT_MAX_PAIRS 64
#define TEXT_MAX_BYTES 65536

struct text_pair {
	const char *key;
	const char *value;
	bool answered;
};

struct text_list {
	struct text_pair pairs[TEXT_MAX_PAIRS];
	size_t n;
	char *buf; /* owned copy of the data, NUL-terminated pairs */
};

/*
 * Splits data into pairs. -EBADMSG for a pair without '=', an empty or over-long key, a key with
 * characters RFC 7143 does not allow, or too many pairs. Over-long values are kept: the
 * negotiation answers them with Reject.
 */
int text_parse(const uint8_t *data, size_t len, struct text_list *out);
void text_list_finish(struct text_list *l);
const char *text_get(const struct text_list *l, const char *key);

/* A growing buffer of "key=value\0" pairs for responses. */
struct text_out {
	char *buf;
	size_t len, cap;
	int error;
};

void text_out_add(struct text_out *o, const char *key, const char *value);
void text_out_addf(struct text_out *o, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void text_out_finish(struct text_out *o);
