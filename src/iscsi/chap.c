/* SPDX-License-Identifier: MIT */
#include "chap.h"

#include <errno.h>
#include <nettle/md5.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int chap_decode(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X' && s[1] != 'b' && s[1] != 'B'))
		return -EINVAL;
	const char *p = s + 2;
	size_t len = strlen(p);
	if (len == 0)
		return -EINVAL;
	if (s[1] == 'x' || s[1] == 'X') {
		/* An odd number of digits has an implied leading zero. */
		size_t i = 0;
		if (len % 2) {
			int v = unhexchar(p[0]);
			if (v < 0 || max < 1)
				return -EINVAL;
			out[n++] = (uint8_t)v;
			i = 1;
		}
		for (; i < len; i += 2) {
			int hi = unhexchar(p[i]), lo = unhexchar(p[i + 1]);
			if (hi < 0 || lo < 0 || n >= max)
				return -EINVAL;
			out[n++] = (uint8_t)(hi << 4 | lo);
		}
		return (int)n;
	}
	unsigned acc = 0, bits = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '=')
			break;
		int v = b64val(p[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= max)
				return -EINVAL;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n ? (int)n : -EINVAL;
}

void chap_encode_hex(const uint8_t *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	*out++ = '0';
	*out++ = 'x';
	for (size_t i = 0; i < len; i++) {
		*out++ = hex[in[i] >> 4];
		*out++ = hex[in[i] & 15];
	}
	*out = '\0';
}

void chap_response(uint8_t id, const char *secret, const uint8_t *challenge, size_t len,
		   uint8_t out[16])
{
	struct md5_ctx ctx;

	md5_init(&ctx);
	md5_update(&ctx, 1, &id);
	md5_update(&ctx, strlen(secret), (const uint8_t *)secret);
	md5_update(&ctx, len, challenge);
	md5_digest(&ctx, MD5_DIGEST_SIZE, out);
}

int chap_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

bool chap_digest_equal(const uint8_t a[16], const uint8_t b[16])
{
	uint8_t d = 0;

	for (int i = 0; i < 16; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}
