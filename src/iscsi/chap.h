/* SPDX-License-Identifier: MIT */
/* CHAP with MD5 (RFC 1994) as iSCSI uses it (RFC 7143 section 12.1.3). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAP_MD5 5
#define CHAP_CHALLENGE_LEN 16
#define CHAP_MAX_BINARY 1024

/* Decodes "0x<hex>" or "0b<base64>" (RFC 7143 6.1 binary values). Returns the length or -EINVAL. */
int chap_decode(const char *s, uint8_t *out, size_t max);

/* Encodes as "0x<hex>". out needs 2 * len + 3 bytes. */
void chap_encode_hex(const uint8_t *in, size_t len, char *out);

/* MD5(id || secret || challenge). */
void chap_response(uint8_t id, const char *secret, const uint8_t *challenge, size_t len,
		   uint8_t out[16]);

/* Fills buf with unpredictable bytes from the kernel's CSPRNG. 0 or -errno. */
int chap_random(void *buf, size_t len);

/* Constant-time comparison of two 16-byte digests. */
bool chap_digest_equal(const uint8_t a[16], const uint8_t b[16]);
