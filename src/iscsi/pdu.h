/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iscsi.h"

/* A received PDU. ahs and data point into the caller's receive buffer. */
struct iscsi_pdu {
	uint8_t bhs[ISCSI_BHS_LEN];
	const uint8_t *ahs;
	size_t ahs_len;
	const uint8_t *data;
	uint32_t data_len;   /* DataSegmentLength as sent */
	bool data_oversized; /* data_len exceeded the limit: data is NULL, skip_len bytes follow */
	bool data_digest_bad;
	size_t skip_len;
};

struct pdu_limits {
	bool header_digest;
	bool data_digest;
	uint32_t max_data; /* our MaxRecvDataSegmentLength */
};

enum {
	PDU_NEED_MORE = 0,
	PDU_COMPLETE = 1,
};

/*
 * Parses one PDU from buf[0..len). Returns PDU_NEED_MORE (nothing consumed), PDU_COMPLETE with
 * *consumed set, or -EBADMSG for a header digest error (the stream cannot be resynchronised:
 * close the connection). A data segment over max_data is not stored: *consumed then covers the
 * header only, and skip_len more bytes must be discarded.
 */
int pdu_parse(const uint8_t *buf, size_t len, const struct pdu_limits *lim, struct iscsi_pdu *out,
	      size_t *consumed);

static inline uint8_t pdu_opcode(const uint8_t *bhs)
{
	return bhs[0] & BHS_OPCODE_MASK;
}

static inline uint32_t pdu_dsl(const uint8_t *bhs)
{
	return ((uint32_t)bhs[5] << 16) | ((uint32_t)bhs[6] << 8) | bhs[7];
}

static inline void pdu_set_dsl(uint8_t *bhs, uint32_t len)
{
	bhs[5] = (uint8_t)(len >> 16);
	bhs[6] = (uint8_t)(len >> 8);
	bhs[7] = (uint8_t)len;
}

static inline size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Serial number arithmetic (RFC 1982) on 32-bit sequence numbers. */
static inline bool sn_lt(uint32_t a, uint32_t b)
{
	return a != b && (uint32_t)(b - a) < 0x80000000u;
}

static inline bool sn_le(uint32_t a, uint32_t b)
{
	return a == b || sn_lt(a, b);
}
