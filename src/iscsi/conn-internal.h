/* SPDX-License-Identifier: MIT */
/*
 * What the files of one connection share: its state, and the functions each phase offers the
 * others. conn.c owns the life cycle and input, login.c and negotiate.c the login phase, ffp.c
 * and command.c the full feature phase, tx.c the output queue. Not for use outside src/iscsi.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

#include "chap.h"
#include "conn.h"
#include "iscsi.h"
#include "pdu.h"
#include "scsi.h"
#include "text.h"

struct catalog_entry;

/* What we accept in one data segment, and declare as MaxRecvDataSegmentLength. */
#define OUR_MAX_RECV_DSL 65536u
#define CMDSN_WINDOW 64u
#define OUTQ_MAX 128u
#define ARENA_SIZE (512u * 1024u)
#define IOV_BATCH 256
#define LOGIN_TEXT_MAX 65536u
#define MAX_DATA_OUT_TASKS 8

struct params {
	bool header_digest, data_digest;
	uint32_t peer_max_recv_dsl; /* the initiator's: what we may send in one PDU */
	uint32_t max_burst, first_burst;
	bool initial_r2t, immediate_data;
	uint32_t max_connections, error_recovery_level;
	uint32_t time2wait, time2retain, max_outstanding_r2t;
};

/* One queued response: a PDU with owned data, or a Data-In sequence read from the image. */
struct out_item {
	uint8_t bhs[ISCSI_BHS_LEN];
	bool digests; /* queued in the full feature phase: digests apply */
	bool data_in; /* generate Data-In PDUs from the fields below */
	/* Owned data (text, sense, small SCSI responses): */
	uint8_t *data;
	size_t data_len;
	/* Data-In: */
	bool from_file;
	uint64_t file_off; /* image offset of the next byte */
	uint32_t total;	   /* bytes in the whole sequence */
	uint32_t sent;
	uint32_t itt;
	uint32_t datasn;
	uint32_t burst_left;
	bool status_in_final;
	uint8_t final_flags; /* U/O bits */
	uint32_t residual;
	uint32_t stat_sn;
	bool late_sn; /* ExpCmdSN/MaxCmdSN filled at send time */
};

/* A VERIFY with BYTCHK waiting for its Data-Out, which is compared as it arrives. */
struct dout_task {
	bool used;
	uint32_t itt, ttt;
	uint32_t edtl, needed, received;
	uint32_t r2tsn;
	uint32_t burst_end; /* offset the current R2T asked for up to */
	bool miscompare;
	uint64_t miscompare_at;
	struct scsi_verify verify;
	uint8_t lun[8];
};

/* The iovecs of one flush, and what they point into. */
struct flush_state {
	const struct out_sink *sink;
	int n, ndig, nhdr;
	size_t arena_used;
	/* Storage the iovecs point into; not cleared, only used up to the counters. */
	struct iovec iov[IOV_BATCH];
	uint8_t digests[IOV_BATCH][4];
	uint8_t hdrs[IOV_BATCH][ISCSI_BHS_LEN];
};

struct conn {
	const struct iscsi_env *env;
	enum conn_state state;
	int stage;
	bool first_login_seen;
	bool discovery;
	bool auth_done;
	bool auth_chap;
	int chap_step; /* 0: AuthMethod, 1: CHAP_A sent back, 2: waiting CHAP_N/R */
	uint8_t chap_id;
	uint8_t chap_challenge[CHAP_CHALLENGE_LEN];
	bool sent_tpgt, sent_our_mrdsl;
	struct params p;
	uint8_t isid[6];
	uint16_t tsih;
	uint16_t cid;
	uint32_t stat_sn;
	uint32_t exp_cmd_sn;
	char initiator[256];
	const struct catalog_entry *entry;
	char target[256];
	char iso_path[4096];
	int image_fd;
	struct scsi_lun lun;
	struct scsi_result res;

	/* Login or text request split over several PDUs (C bit). */
	uint8_t *text_acc;
	size_t text_acc_len;
	/* A long Text Response being handed out in pieces. */
	char *text_pending;
	size_t text_pending_len, text_pending_off;
	uint32_t text_pending_ttt;
	uint32_t next_ttt;

	struct dout_task dout[MAX_DATA_OUT_TASKS];

	uint8_t *rbuf;
	size_t rbuf_len, rbuf_cap;
	size_t skip; /* bytes of an oversized data segment still to discard */

	struct out_item outq[OUTQ_MAX];
	size_t out_head, out_count;
	uint8_t *arena;
	struct flush_state *fs; /* allocated once: flushes happen after every command */

	uint64_t bytes_read;
	uint64_t commands;
	struct timespec start;
	const char *end_reason;
	bool logged_end;
};

/* ---- negotiate.c: keys and values (RFC 7143 sections 6 and 13) ---- */

/* A numeric value, decimal or 0x hex, within [min, max]. */
bool negotiate_number(const char *v, uint64_t min, uint64_t max, uint64_t *out);
/* Whether a comma-separated list holds item. */
bool negotiate_list_contains(const char *list, const char *item);
/* The first value of an initiator's list that we support, in its order of preference. */
const char *negotiate_list_choose(const char *list, const char *const *ours, size_t n);
/* The values in force before any negotiation. */
void negotiate_defaults(struct params *p);
/* Answers the keys no other code consumed. */
void negotiate_rest(struct conn *c, struct text_list *keys, struct text_out *out);

/* ---- conn.c ---- */

/* Ends the connection once what is queued has gone out; reason is what its log line says (the
 * first one given wins). */
void conn_close(struct conn *c, const char *reason);

/* ---- login.c: the security and operational stages ---- */

/* A Login Request: the only PDU the connection takes before the full feature phase. */
void login_handle(struct conn *c, const struct iscsi_pdu *req);

/* ---- ffp.c: the full feature phase ---- */

/* Any PDU once logged in; a Login Request then is a protocol error. */
void ffp_handle(struct conn *c, const struct iscsi_pdu *pdu);
/* Refuses a PDU with a Reject that carries its header. */
void ffp_reject(struct conn *c, const struct iscsi_pdu *pdu, uint8_t reason);
/* Checks CmdSN and moves the window on: true when the command is to be executed. */
bool ffp_cmdsn_accept(struct conn *c, const uint8_t *bhs);
/* Single-level LUN 0 in any addressing method: the only LUN a target has. */
bool ffp_lun_is_zero(const uint8_t *lun);

/* ---- command.c: SCSI commands, their Data-In, and Data-Out with R2T ---- */

void command_handle(struct conn *c, const struct iscsi_pdu *pdu);
/* Data-Out of a VERIFY that command_handle() started. */
void command_data_out(struct conn *c, const struct iscsi_pdu *pdu);

/* ---- tx.c: the output queue ---- */

/* StatSN of a response: the next one. */
void tx_set_stat_sn(struct conn *c, uint8_t *bhs);
/* ExpCmdSN and MaxCmdSN of a response; conn_flush() refreshes them when it goes out. */
void tx_set_cmd_window(const struct conn *c, uint8_t *bhs);
/* A cleared queue slot, or NULL when the queue is full. */
struct out_item *tx_push(struct conn *c);
/* Queues a PDU; takes ownership of data. */
void tx_queue_pdu(struct conn *c, const uint8_t bhs[ISCSI_BHS_LEN], void *data, size_t len);
