/* SPDX-License-Identifier: MIT */
/*
 * The full feature phase (RFC 7143 section 11): the CmdSN window, NOP, task management, text
 * (SendTargets) and logout; SCSI commands are command.c's.
 */
#include "catalog.h"
#include "conn-internal.h"
#include "log.h"
#include "scsi.h"
#include "text.h"
#include "util.h"

void ffp_reject(struct conn *c, const struct iscsi_pdu *pdu, uint8_t reason)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	uint8_t *copy = malloc(ISCSI_BHS_LEN);

	if (copy)
		memcpy(copy, pdu->bhs, ISCSI_BHS_LEN);
	bhs[BHS_OPCODE] = OP_REJECT;
	bhs[BHS_FLAGS] = BHS_FINAL;
	bhs[BHS_REJECT_REASON] = reason;
	put_be32(bhs + BHS_ITT, ISCSI_RSVD_TAG);
	tx_set_stat_sn(c, bhs);
	tx_set_cmd_window(c, bhs);
	tx_queue_pdu(c, bhs, copy, copy ? ISCSI_BHS_LEN : 0);
	log_debug("Rejected a PDU with opcode 0x%02x: reason 0x%02x", pdu_opcode(pdu->bhs), reason);
}

bool ffp_cmdsn_accept(struct conn *c, const uint8_t *bhs)
{
	uint32_t sn = get_be32(bhs + BHS_CMDSN);

	if (bhs[BHS_OPCODE] & BHS_IMMEDIATE)
		return true;
	/* Out of the window: silently dropped (RFC 7143 4.2.2.1). */
	if (!sn_le(c->exp_cmd_sn, sn) || !sn_le(sn, c->exp_cmd_sn + CMDSN_WINDOW - 1)) {
		log_debug("Dropped a command with CmdSN %u outside [%u, %u]", sn, c->exp_cmd_sn,
			  c->exp_cmd_sn + CMDSN_WINDOW - 1);
		return false;
	}
	c->exp_cmd_sn = sn + 1;
	return true;
}

bool ffp_lun_is_zero(const uint8_t *lun)
{
	return (lun[0] & 0x3f) == 0 && lun[1] == 0 && !lun[2] && !lun[3] && !lun[4] && !lun[5] &&
	       !lun[6] && !lun[7];
}

static void handle_nop_out(struct conn *c, const struct iscsi_pdu *pdu)
{
	uint32_t itt = get_be32(pdu->bhs + BHS_ITT);
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	if (!ffp_cmdsn_accept(c, pdu->bhs))
		return;
	if (itt == ISCSI_RSVD_TAG)
		return; /* a ping answer, or a CmdSN update: nothing to say */
	size_t len =
	    pdu->data_len < c->p.peer_max_recv_dsl ? pdu->data_len : c->p.peer_max_recv_dsl;
	void *echo = NULL;
	if (len && pdu->data) {
		echo = malloc(len);
		if (echo)
			memcpy(echo, pdu->data, len);
		else
			len = 0;
	} else {
		len = 0;
	}
	bhs[BHS_OPCODE] = OP_NOP_IN;
	bhs[BHS_FLAGS] = BHS_FINAL;
	memcpy(bhs + BHS_LUN, pdu->bhs + BHS_LUN, BHS_LUN_LEN);
	put_be32(bhs + BHS_ITT, itt);
	put_be32(bhs + BHS_TTT, ISCSI_RSVD_TAG);
	tx_set_stat_sn(c, bhs);
	tx_set_cmd_window(c, bhs);
	tx_queue_pdu(c, bhs, echo, len);
}

static void handle_tmf(struct conn *c, const struct iscsi_pdu *pdu)
{
	const uint8_t *b = pdu->bhs;
	uint8_t fn = b[BHS_FLAGS] & 0x7f, rsp;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	uint32_t cmdsn = get_be32(b + BHS_CMDSN), refcmdsn = get_be32(b + BHS_REFCMDSN);

	if (c->discovery) {
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	/* Before the TMF's own CmdSN moves the window: a non-immediate TMF must not hide the
	 * commands that were still to come before it. */
	uint32_t exp_cmd_sn = c->exp_cmd_sn;
	if (!ffp_cmdsn_accept(c, b))
		return;
	switch (fn) {
	case TMF_ABORT_TASK:
		/*
		 * Commands complete before the next PDU is read, so the task is gone. If its
		 * command never arrived (RefCmdSN still ahead of us), it counts as received and
		 * aborted (RFC 7143 11.5.1).
		 */
		if (!ffp_lun_is_zero(b + BHS_LUN))
			rsp = TMF_RSP_NO_LUN;
		else if (sn_le(exp_cmd_sn, refcmdsn) && sn_lt(refcmdsn, cmdsn))
			rsp = TMF_RSP_COMPLETE;
		else
			rsp = TMF_RSP_NO_TASK;
		break;
	case TMF_ABORT_TASK_SET:
	case TMF_CLEAR_TASK_SET:
	case TMF_CLEAR_ACA:
	case TMF_LUN_RESET:
		if (!ffp_lun_is_zero(b + BHS_LUN)) {
			rsp = TMF_RSP_NO_LUN;
			break;
		}
		if (fn == TMF_LUN_RESET)
			c->lun.prevent_removal = false;
		rsp = TMF_RSP_COMPLETE;
		break;
	case TMF_TARGET_WARM_RESET:
	case TMF_TARGET_COLD_RESET:
		c->lun.prevent_removal = false;
		rsp = TMF_RSP_COMPLETE;
		break;
	case TMF_TASK_REASSIGN:
		rsp = TMF_RSP_REASSIGN_UNSUPPORTED;
		break;
	default:
		rsp = TMF_RSP_NOT_SUPPORTED;
		break;
	}
	bhs[BHS_OPCODE] = OP_TMF_RSP;
	bhs[BHS_FLAGS] = BHS_FINAL;
	bhs[BHS_RESPONSE] = rsp;
	memcpy(bhs + BHS_ITT, b + BHS_ITT, 4);
	tx_set_stat_sn(c, bhs);
	tx_set_cmd_window(c, bhs);
	tx_queue_pdu(c, bhs, NULL, 0);
	log_debug("Task management function %u: response %u", fn, rsp);
	if (fn == TMF_TARGET_COLD_RESET && rsp == TMF_RSP_COMPLETE) {
		conn_close(c, "target cold reset"); /* a cold reset ends every session */
	}
}

static void send_targets(struct conn *c, const char *which, struct text_out *out)
{
	const struct catalog *cat = c->env->catalog;

	for (size_t i = 0; i < cat->n; i++) {
		const struct catalog_entry *e = &cat->entries[i];
		if (streq(which, "All") || streq(which, e->iqn) ||
		    (!*which && c->entry && streq(c->entry->iqn, e->iqn))) {
			text_out_add(out, "TargetName", e->iqn);
			text_out_addf(out, "TargetAddress", "%s,1", c->env->portal);
		}
	}
}

/* Sends the next piece of a pending Text Response. */
static void text_continue(struct conn *c, const uint8_t *req_bhs)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	size_t max = c->p.peer_max_recv_dsl;
	size_t left = c->text_pending_len - c->text_pending_off;
	size_t n = left < max ? left : max;
	bool last = n == left;
	uint8_t *data = NULL;

	if (n) {
		data = malloc(n);
		if (!data) {
			conn_close(c, "out of memory");
			return;
		}
		memcpy(data, c->text_pending + c->text_pending_off, n);
	}
	c->text_pending_off += n;
	bhs[BHS_OPCODE] = OP_TEXT_RSP;
	bhs[BHS_FLAGS] = last ? BHS_FINAL : TEXT_CONTINUE;
	memcpy(bhs + BHS_LUN, req_bhs + BHS_LUN, BHS_LUN_LEN);
	memcpy(bhs + BHS_ITT, req_bhs + BHS_ITT, 4);
	put_be32(bhs + BHS_TTT, last ? ISCSI_RSVD_TAG : c->text_pending_ttt);
	tx_set_stat_sn(c, bhs);
	tx_set_cmd_window(c, bhs);
	tx_queue_pdu(c, bhs, data, n);
	if (last) {
		free(c->text_pending);
		c->text_pending = NULL;
		c->text_pending_len = c->text_pending_off = 0;
	}
}

/* A piece of a request that continues in the next PDU: kept, and acknowledged empty. */
static void text_gather(struct conn *c, const struct iscsi_pdu *pdu)
{
	const uint8_t *b = pdu->bhs;

	if (c->text_acc_len + pdu->data_len > LOGIN_TEXT_MAX) {
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	uint8_t *n = realloc(c->text_acc, c->text_acc_len + pdu->data_len);
	if (!n) {
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	c->text_acc = n;
	if (pdu->data_len)
		memcpy(c->text_acc + c->text_acc_len, pdu->data, pdu->data_len);
	c->text_acc_len += pdu->data_len;
	c->text_pending = strdup("");
	c->text_pending_len = c->text_pending_off = 0;
	c->text_pending_ttt = ++c->next_ttt == ISCSI_RSVD_TAG ? ++c->next_ttt : c->next_ttt;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	bhs[BHS_OPCODE] = OP_TEXT_RSP;
	memcpy(bhs + BHS_LUN, b + BHS_LUN, BHS_LUN_LEN);
	memcpy(bhs + BHS_ITT, b + BHS_ITT, 4);
	put_be32(bhs + BHS_TTT, c->text_pending_ttt);
	tx_set_stat_sn(c, bhs);
	tx_set_cmd_window(c, bhs);
	tx_queue_pdu(c, bhs, NULL, 0);
}

/* Parses the whole request: the gathered pieces, then this PDU's data. */
static int text_parse_request(struct conn *c, const struct iscsi_pdu *pdu, struct text_list *keys)
{
	int r;

	if (c->text_acc) {
		uint8_t *n = realloc(c->text_acc, c->text_acc_len + pdu->data_len + 1);
		if (n && pdu->data_len)
			memcpy(n + c->text_acc_len, pdu->data, pdu->data_len);
		r = n ? text_parse(n, c->text_acc_len + pdu->data_len, keys) : -ENOMEM;
		free(n ? n : c->text_acc);
		c->text_acc = NULL;
		c->text_acc_len = 0;
	} else {
		r = text_parse(pdu->data ? pdu->data : (const uint8_t *)"", pdu->data_len, keys);
	}
	return r;
}

static void text_answer(struct conn *c, struct text_list *keys, struct text_out *out)
{
	for (size_t i = 0; i < keys->n; i++) {
		struct text_pair *kp = &keys->pairs[i];
		kp->answered = true;
		if (streq(kp->key, "SendTargets")) {
			if (streq(kp->value, "All") || !*kp->value ||
			    catalog_find_iqn(c->env->catalog, kp->value))
				send_targets(c, kp->value, out);
			/* An unknown name gets an empty answer, as RFC 7143 appendix C shows. */
		} else if (streq(kp->key, "MaxRecvDataSegmentLength")) {
			uint64_t n;
			if (negotiate_number(kp->value, 512, 16777215, &n))
				c->p.peer_max_recv_dsl = (uint32_t)n;
			else
				text_out_add(out, kp->key, "Reject");
		} else {
			text_out_add(out, kp->key, "NotUnderstood");
		}
	}
}

static void handle_text(struct conn *c, const struct iscsi_pdu *pdu)
{
	const uint8_t *b = pdu->bhs;
	uint32_t ttt = get_be32(b + BHS_TTT);
	struct text_list keys;
	struct text_out out = {0};

	if (!ffp_cmdsn_accept(c, b))
		return;
	if (ttt != ISCSI_RSVD_TAG) {
		if (!c->text_pending || ttt != c->text_pending_ttt) {
			ffp_reject(c, pdu, REJECT_INVALID_PDU_FIELD);
			return;
		}
		text_continue(c, b);
		return;
	}
	/* A new request replaces whatever was pending. */
	free(c->text_pending);
	c->text_pending = NULL;
	if (b[BHS_FLAGS] & TEXT_CONTINUE) {
		text_gather(c, pdu);
		return;
	}
	if (text_parse_request(c, pdu, &keys) < 0) {
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	text_answer(c, &keys, &out);
	text_list_finish(&keys);
	if (out.error) {
		text_out_finish(&out);
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	c->text_pending = out.buf ? out.buf : strdup("");
	c->text_pending_len = out.len;
	c->text_pending_off = 0;
	c->text_pending_ttt = ++c->next_ttt == ISCSI_RSVD_TAG ? ++c->next_ttt : c->next_ttt;
	text_continue(c, b);
}

static void handle_logout(struct conn *c, const struct iscsi_pdu *pdu)
{
	uint8_t reason = pdu->bhs[BHS_FLAGS] & 0x7f;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	if (!ffp_cmdsn_accept(c, pdu->bhs))
		return;
	bhs[BHS_OPCODE] = OP_LOGOUT_RSP;
	bhs[BHS_FLAGS] = BHS_FINAL;
	bhs[BHS_RESPONSE] =
	    reason == LOGOUT_REMOVE_FOR_RECOVERY ? LOGOUT_RSP_RECOVERY_UNSUPPORTED : LOGOUT_RSP_OK;
	memcpy(bhs + BHS_ITT, pdu->bhs + BHS_ITT, 4);
	tx_set_stat_sn(c, bhs);
	tx_set_cmd_window(c, bhs);
	put_be16(bhs + BHS_TIME2WAIT, (uint16_t)c->p.time2wait);
	put_be16(bhs + BHS_TIME2RETAIN, (uint16_t)c->p.time2retain);
	tx_queue_pdu(c, bhs, NULL, 0);
	if (bhs[BHS_RESPONSE] == LOGOUT_RSP_OK) {
		conn_close(c, "logout");
	}
}

void ffp_handle(struct conn *c, const struct iscsi_pdu *pdu)
{
	uint8_t op = pdu_opcode(pdu->bhs);

	if (pdu->data_oversized) {
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	if (pdu->data_digest_bad) {
		ffp_reject(c, pdu, REJECT_DATA_DIGEST);
		return;
	}
	switch (op) {
	case OP_SCSI_CMD:
		command_handle(c, pdu);
		return;
	case OP_NOP_OUT:
		handle_nop_out(c, pdu);
		return;
	case OP_TMF_REQ:
		handle_tmf(c, pdu);
		return;
	case OP_TEXT_REQ:
		handle_text(c, pdu);
		return;
	case OP_LOGOUT_REQ:
		handle_logout(c, pdu);
		return;
	case OP_DATA_OUT:
		command_data_out(c, pdu);
		return;
	case OP_LOGIN_REQ:
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	case OP_SNACK:
		ffp_reject(c, pdu, REJECT_PROTOCOL_ERROR); /* ErrorRecoveryLevel 0 */
		return;
	default:
		ffp_reject(c, pdu, REJECT_COMMAND_NOT_SUPPORTED);
		return;
	}
}
