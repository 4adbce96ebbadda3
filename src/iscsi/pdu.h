/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iscsi.h"

/*
 * Byte offsets of the Basic Header Segment's fields, named as in RFC 7143 section 11. An offset
 * holds a different field in each PDU type: the name says which one is meant, the comment where.
 */
#define BHS_OPCODE 0		/* I and the opcode: pdu_opcode() */
#define BHS_FLAGS 1		/* F and the opcode-specific flags */
#define BHS_RESPONSE 2		/* SCSI, Task Management and Logout Responses */
#define BHS_REJECT_REASON 2	/* Reject */
#define BHS_VERSION_MAX 2	/* Login Request and Response */
#define BHS_STATUS 3		/* SCSI Response, Data-In with S */
#define BHS_VERSION_MIN 3	/* Login Request */
#define BHS_VERSION_ACTIVE 3	/* Login Response */
#define BHS_TOTAL_AHS_LEN 4	/* TotalAHSLength, in 4-byte words */
#define BHS_DATA_SEGMENT_LEN 5	/* DataSegmentLength, 3 bytes: pdu_dsl() */
#define BHS_LUN 8		/* SCSI Command and Response, Data, R2T, NOP, Task Management */
#define BHS_ISID 8		/* Login */
#define BHS_TSIH 14		/* Login */
#define BHS_ITT 16		/* Initiator Task Tag */
#define BHS_TTT 20		/* Target Transfer Tag */
#define BHS_EDTL 20		/* SCSI Command: Expected Data Transfer Length */
#define BHS_CID 20		/* Login Request */
#define BHS_REF_TASK_TAG 20	/* Task Management Function Request: Referenced Task Tag */
#define BHS_CMDSN 24		/* initiator to target */
#define BHS_STATSN 24		/* target to initiator */
#define BHS_EXPSTATSN 28	/* initiator to target */
#define BHS_EXPCMDSN 28		/* target to initiator */
#define BHS_MAXCMDSN 32		/* target to initiator */
#define BHS_CDB 32		/* SCSI Command */
#define BHS_REFCMDSN 32		/* Task Management Function Request */
#define BHS_DATASN 36		/* Data-In, Data-Out */
#define BHS_R2TSN 36		/* R2T */
#define BHS_EXPDATASN 36	/* SCSI Response */
#define BHS_LOGIN_STATUS 36	/* Login Response: Status-Class, then Status-Detail */
#define BHS_BUFFER_OFFSET 40	/* Data-In, Data-Out, R2T */
#define BHS_TIME2WAIT 40	/* Logout Response */
#define BHS_TIME2RETAIN 42	/* Logout Response */
#define BHS_DESIRED_DATA_LEN 44 /* R2T: Desired Data Transfer Length */
#define BHS_RESIDUAL_COUNT 44	/* SCSI Response, Data-In with S */

/* Lengths of the fields longer than 4 bytes. */
#define BHS_LUN_LEN 8
#define BHS_ISID_LEN 6
#define BHS_CDB_LEN 16

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
	return bhs[BHS_OPCODE] & BHS_OPCODE_MASK;
}

static inline uint32_t pdu_dsl(const uint8_t *bhs)
{
	const uint8_t *p = bhs + BHS_DATA_SEGMENT_LEN;

	return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static inline void pdu_set_dsl(uint8_t *bhs, uint32_t len)
{
	uint8_t *p = bhs + BHS_DATA_SEGMENT_LEN;

	p[0] = (uint8_t)(len >> 16);
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
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
