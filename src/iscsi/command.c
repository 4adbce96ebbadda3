/* SPDX-License-Identifier: MIT */
/*
 * SCSI Command PDUs in the full feature phase (RFC 7143 sections 11.3 to 11.8): the CDB run on
 * the logical unit, its data as a Data-In sequence, and a VERIFY's Data-Out asked for with R2Ts.
 */
#include "conn-internal.h"
#include "scsi.h"
#include "util.h"

/* The 16 bytes of the header and up to 244 of an Extended CDB AHS. */
#define CDB_MAX 260

static void queue_scsi_response(struct conn *c, uint32_t itt, uint8_t status, uint8_t flags,
				uint32_t residual, uint32_t datasn, const uint8_t *sense,
				size_t sense_len)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	uint8_t *data = NULL;
	size_t len = 0;

	if (sense_len) {
		data = malloc(sense_len + 2);
		if (data) {
			put_be16(data, (uint16_t)sense_len);
			memcpy(data + 2, sense, sense_len);
			len = sense_len + 2;
		}
	}
	bhs[BHS_OPCODE] = OP_SCSI_RSP;
	bhs[BHS_FLAGS] = (uint8_t)(BHS_FINAL | flags);
	bhs[BHS_RESPONSE] = 0x00; /* command completed at target */
	bhs[BHS_STATUS] = status;
	put_be32(bhs + BHS_ITT, itt);
	tx_set_stat_sn(c, bhs);
	tx_set_cmd_window(c, bhs);
	put_be32(bhs + BHS_EXPDATASN, datasn); /* Data-In PDUs sent */
	put_be32(bhs + BHS_RESIDUAL_COUNT, residual);
	tx_queue_pdu(c, bhs, data, len);
}

static void send_r2t(struct conn *c, struct dout_task *t)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	uint32_t want = t->needed - t->received;

	if (want > c->p.max_burst)
		want = c->p.max_burst;
	bhs[BHS_OPCODE] = OP_R2T;
	bhs[BHS_FLAGS] = BHS_FINAL;
	memcpy(bhs + BHS_LUN, t->lun, BHS_LUN_LEN);
	put_be32(bhs + BHS_ITT, t->itt);
	put_be32(bhs + BHS_TTT, t->ttt);
	put_be32(bhs + BHS_STATSN, c->stat_sn); /* R2T does not take a StatSN of its own */
	tx_set_cmd_window(c, bhs);
	put_be32(bhs + BHS_R2TSN, t->r2tsn++);
	put_be32(bhs + BHS_BUFFER_OFFSET, t->received);
	put_be32(bhs + BHS_DESIRED_DATA_LEN, want);
	t->burst_end = t->received + want;
	tx_queue_pdu(c, bhs, NULL, 0);
}

static void dout_complete(struct conn *c, struct dout_task *t)
{
	struct scsi_result *res = &c->res;
	uint8_t flags = 0;
	uint32_t residual = 0;

	memset(res, 0, offsetof(struct scsi_result, buf));
	if (t->miscompare)
		scsi_set_miscompare(res, t->miscompare_at);
	if (t->edtl > t->verify.len) {
		flags = RSP_UNDERFLOW;
		residual = t->edtl - t->verify.len;
	} else if (t->edtl < t->verify.len) {
		flags = RSP_OVERFLOW;
		residual = t->verify.len - t->edtl;
	}
	queue_scsi_response(c, t->itt, res->status, flags, residual, 0, res->sense, res->sense_len);
	t->used = false;
}

/* Takes Data-Out bytes at transfer offset off for task t. */
static void dout_take(struct conn *c, struct dout_task *t, const uint8_t *data, uint32_t len)
{
	uint64_t at;

	if (len > t->needed - t->received)
		len = t->needed - t->received;
	if (!t->miscompare && len &&
	    !scsi_compare(&c->lun, &t->verify, t->received, data, len, &at)) {
		t->miscompare = true;
		t->miscompare_at = at;
	}
	t->received += len;
}

void command_data_out(struct conn *c, const struct iscsi_pdu *pdu)
{
	uint32_t itt = get_be32(pdu->bhs + BHS_ITT), ttt = get_be32(pdu->bhs + BHS_TTT);
	uint32_t off = get_be32(pdu->bhs + BHS_BUFFER_OFFSET);
	struct dout_task *t = NULL;

	for (size_t i = 0; i < MAX_DATA_OUT_TASKS; i++)
		if (c->dout[i].used && c->dout[i].itt == itt)
			t = &c->dout[i];
	if (!t) {
		/* Data of a refused write, sent before our answer arrived: dropped. */
		if (ttt != ISCSI_RSVD_TAG)
			ffp_reject(c, pdu, REJECT_INVALID_PDU_FIELD);
		return;
	}
	if ((ttt != ISCSI_RSVD_TAG && ttt != t->ttt) || off != t->received ||
	    pdu->data_len > t->needed - t->received) {
		/* DataPDUInOrder=Yes: anything else is a protocol error for this task. */
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	dout_take(c, t, pdu->data, pdu->data_len);
	if (t->received == t->needed) {
		dout_complete(c, t);
		return;
	}
	if ((pdu->bhs[BHS_FLAGS] & BHS_FINAL) && t->received >= t->burst_end)
		send_r2t(c, t);
}

/* Starts a VERIFY's data transfer: immediate data first, then R2Ts for the rest. */
static void dout_start(struct conn *c, const struct iscsi_pdu *pdu, uint32_t edtl)
{
	struct dout_task *t = NULL;
	uint32_t itt = get_be32(pdu->bhs + BHS_ITT);

	for (size_t i = 0; i < MAX_DATA_OUT_TASKS && !t; i++)
		if (!c->dout[i].used)
			t = &c->dout[i];
	if (!t) {
		queue_scsi_response(c, itt, SCSI_TASK_SET_FULL, 0, 0, 0, NULL, 0);
		return;
	}
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->itt = itt;
	t->ttt = ++c->next_ttt == ISCSI_RSVD_TAG ? ++c->next_ttt : c->next_ttt;
	t->edtl = edtl;
	t->needed = edtl < c->res.verify.len ? edtl : c->res.verify.len;
	t->verify = c->res.verify;
	memcpy(t->lun, pdu->bhs + BHS_LUN, BHS_LUN_LEN);
	if (pdu->data_len)
		dout_take(c, t, pdu->data, pdu->data_len);
	if (t->received == t->needed)
		dout_complete(c, t);
	else
		send_r2t(c, t);
}

/* The CDB: 16 bytes in the header, the rest in an Extended CDB AHS. Returns its length. */
static size_t read_cdb(const struct iscsi_pdu *pdu, uint8_t cdb[CDB_MAX])
{
	size_t cdb_len = BHS_CDB_LEN;

	memcpy(cdb, pdu->bhs + BHS_CDB, BHS_CDB_LEN);
	for (size_t o = 0; pdu->ahs && o + 4 <= pdu->ahs_len;) {
		size_t al = get_be16(pdu->ahs + o);
		uint8_t type = pdu->ahs[o + 2];
		if (o + 3 + al > pdu->ahs_len)
			break;
		if (type == AHS_EXTENDED_CDB && al >= 1 && al - 1 <= CDB_MAX - BHS_CDB_LEN) {
			memcpy(cdb + BHS_CDB_LEN, pdu->ahs + o + 4, al - 1);
			cdb_len = BHS_CDB_LEN + al - 1;
		}
		o += pad4(3 + al);
	}
	return cdb_len;
}

/* The data of a GOOD command: a Data-In sequence with the status in its last PDU. */
static void queue_data_in(struct conn *c, uint32_t itt, uint32_t send, uint8_t rflags,
			  uint32_t residual)
{
	const struct scsi_result *res = &c->res;
	uint8_t *copy = NULL;

	/* The copy first: an item in the queue must have its data (send > 0 here). */
	if (!res->from_file) {
		copy = malloc(send);
		if (!copy) {
			conn_close(c, "out of memory");
			return;
		}
		memcpy(copy, res->buf, send);
	}
	struct out_item *it = tx_push(c);
	if (!it) {
		free(copy);
		conn_close(c, "internal error: output queue overflow");
		return;
	}
	it->data_in = true;
	it->itt = itt;
	it->total = send;
	it->burst_left = c->p.max_burst;
	it->status_in_final = true; /* saves the initiator a SCSI Response PDU (phase collapse) */
	it->final_flags = rflags;
	it->residual = residual;
	it->stat_sn = c->stat_sn++;
	if (copy) {
		it->data = copy;
		it->data_len = send;
	} else {
		it->from_file = true;
		it->file_off = res->file_off;
		c->bytes_read += send;
	}
}

void command_handle(struct conn *c, const struct iscsi_pdu *pdu)
{
	const uint8_t *b = pdu->bhs;
	uint32_t itt = get_be32(b + BHS_ITT), edtl = get_be32(b + BHS_EDTL);
	bool rd = b[BHS_FLAGS] & CMD_READ, wr = b[BHS_FLAGS] & CMD_WRITE;
	uint8_t cdb[CDB_MAX];
	struct scsi_result *res = &c->res;

	if (c->discovery) {
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	if (!ffp_cmdsn_accept(c, b))
		return;
	size_t cdb_len = read_cdb(pdu, cdb);
	c->commands++;
	if (ffp_lun_is_zero(b + BHS_LUN))
		scsi_execute(&c->lun, cdb, cdb_len, res);
	else
		scsi_execute_no_lun(cdb, cdb_len, res);

	if (res->status == SCSI_GOOD && res->verify.len) {
		if (!wr || edtl == 0) {
			scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
			queue_scsi_response(c, itt, res->status, edtl ? RSP_UNDERFLOW : 0, edtl, 0,
					    res->sense, res->sense_len);
			return;
		}
		dout_start(c, pdu, edtl);
		return;
	}

	/* Data the command produced, against what the initiator expects (RFC 7143 11.4.5). */
	uint32_t want = res->len > UINT32_MAX ? UINT32_MAX : (uint32_t)res->len;
	uint32_t send = 0, residual = 0;
	uint8_t rflags = 0;
	if (res->status == SCSI_GOOD && want > 0) {
		uint32_t room = rd ? edtl : 0;
		send = want < room ? want : room;
		if (want > room) {
			rflags = RSP_OVERFLOW;
			residual = want - room;
		} else if (want < edtl) {
			rflags = RSP_UNDERFLOW;
			residual = edtl - want;
		}
	} else if (edtl > 0) {
		rflags = RSP_UNDERFLOW;
		residual = edtl;
	}
	if (send == 0)
		queue_scsi_response(c, itt, res->status, rflags, residual, 0, res->sense,
				    res->sense_len);
	else
		queue_data_in(c, itt, send, rflags, residual);
}
