/* SPDX-License-Identifier: MIT */
/* The connection's life cycle and input: receive buffer, PDU framing, hand-off to each phase. */
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "conn-internal.h"
#include "log.h"
#include "util.h"

static void handle_pdu(struct conn *c, const struct iscsi_pdu *pdu)
{
	uint8_t op = pdu_opcode(pdu->bhs);

	if (c->state == CONN_LOGIN) {
		if (op != OP_LOGIN_REQ || pdu->data_oversized || pdu->data_digest_bad) {
			/* Nothing but Login is allowed before the full feature phase (RFC
			 * 7143 6.3). */
			log_warning("Login from %s: protocol error (opcode 0x%02x during login)",
				    c->env->client, op);
			conn_close(c, "protocol error during login");
			return;
		}
		login_handle(c, pdu);
		return;
	}
	ffp_handle(c, pdu);
}

/* ---- public: life cycle and input ---- */

struct conn *conn_new(const struct iscsi_env *env)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->env = env;
	c->image_fd = -1;
	c->rbuf_cap =
	    ISCSI_BHS_LEN + ISCSI_MAX_AHS_LEN + 2 * ISCSI_DIGEST_LEN + OUR_MAX_RECV_DSL + 4;
	c->rbuf = malloc(c->rbuf_cap);
	c->arena = malloc(ARENA_SIZE);
	c->fs = malloc(sizeof(*c->fs));
	if (!c->rbuf || !c->arena || !c->fs) {
		conn_free(c);
		return NULL;
	}
	c->stat_sn = 1;
	c->next_ttt = 0x1000;
	negotiate_defaults(&c->p);
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	return c;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	while (c->out_count) {
		free(c->outq[c->out_head].data);
		c->out_head = (c->out_head + 1) % OUTQ_MAX;
		c->out_count--;
	}
	if (c->image_fd >= 0)
		close(c->image_fd);
	free(c->text_acc);
	free(c->text_pending);
	free(c->rbuf);
	free(c->arena);
	free(c->fs);
	free(c);
}

uint8_t *conn_rbuf(struct conn *c)
{
	return c->rbuf;
}

size_t conn_rbuf_len(const struct conn *c)
{
	return c->rbuf_len;
}

size_t conn_rbuf_space(const struct conn *c)
{
	return c->rbuf_cap - c->rbuf_len;
}

enum conn_state conn_state(const struct conn *c)
{
	return c->state;
}

bool conn_has_output(const struct conn *c)
{
	return c->out_count > 0;
}

void conn_set_end_reason(struct conn *c, const char *reason)
{
	if (!c->end_reason)
		c->end_reason = reason;
}

void conn_close(struct conn *c, const char *reason)
{
	c->state = CONN_CLOSING;
	conn_set_end_reason(c, reason);
}

void conn_received(struct conn *c, size_t n)
{
	size_t pos = 0;

	c->rbuf_len += n;
	/* Discard the rest of an oversized data segment. */
	if (c->skip) {
		size_t d = c->skip < c->rbuf_len ? c->skip : c->rbuf_len;
		pos += d;
		c->skip -= d;
	}
	while (c->state != CONN_CLOSING && c->out_count + 4 < OUTQ_MAX && !c->skip) {
		struct pdu_limits lim = {
		    .header_digest = c->state == CONN_FULL_FEATURE && c->p.header_digest,
		    .data_digest = c->state == CONN_FULL_FEATURE && c->p.data_digest,
		    .max_data = c->state == CONN_LOGIN ? 8192 : OUR_MAX_RECV_DSL,
		};
		struct iscsi_pdu pdu;
		size_t used = 0;
		int r = pdu_parse(c->rbuf + pos, c->rbuf_len - pos, &lim, &pdu, &used);
		if (r == PDU_NEED_MORE)
			break;
		if (r < 0) {
			log_warning("Connection from %s: header digest error, closing",
				    c->env->client);
			conn_close(c, "header digest error");
			break;
		}
		pos += used;
		if (pdu.data_oversized) {
			size_t d =
			    pdu.skip_len < c->rbuf_len - pos ? pdu.skip_len : c->rbuf_len - pos;
			pos += d;
			c->skip = pdu.skip_len - d;
		}
		handle_pdu(c, &pdu);
	}
	if (pos > 0) {
		memmove(c->rbuf, c->rbuf + pos, c->rbuf_len - pos);
		c->rbuf_len -= pos;
	}
}

void conn_log_end(struct conn *c)
{
	struct timespec now;
	char bytes[32], secs[32];

	if (c->logged_end)
		return;
	c->logged_end = true;
	if (!c->tsih) {
		/* Never reached the full feature phase: say how far it got. */
		log_full(
		    LOG_INFO, 0, MSGID_ISCSI_SESSION_END,
		    (const struct log_field[]){
			{"ISOBOOT_CLIENT", c->env->client},
			{"ISOBOOT_INITIATOR", c->initiator},
			{"ISOBOOT_END_REASON", c->end_reason ? c->end_reason : "connection closed"},
			{NULL, NULL}},
		    "Connection from %s%s%s%s ended before login completed: %s", c->env->client,
		    c->initiator[0] ? " (" : "", c->initiator, c->initiator[0] ? ")" : "",
		    c->end_reason ? c->end_reason : "connection closed");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	double d =
	    (double)(now.tv_sec - c->start.tv_sec) + (double)(now.tv_nsec - c->start.tv_nsec) / 1e9;
	snprintf(bytes, sizeof(bytes), "%" PRIu64, c->bytes_read);
	snprintf(secs, sizeof(secs), "%.3f", d);
	const char *reason = c->end_reason ? c->end_reason : "connection closed";
	log_full(
	    LOG_INFO, 0, MSGID_ISCSI_SESSION_END,
	    (const struct log_field[]){{"ISOBOOT_CLIENT", c->env->client},
				       {"ISOBOOT_INITIATOR", c->initiator},
				       {"ISOBOOT_TARGET", c->discovery ? "discovery" : c->target},
				       {"ISOBOOT_ISO", c->entry ? c->iso_path : ""},
				       {"ISOBOOT_BYTES", bytes},
				       {"ISOBOOT_DURATION", secs},
				       {"ISOBOOT_END_REASON", reason},
				       {NULL, NULL}},
	    "Session of %s (%s) %s%s ended: %s; %" PRIu64 " bytes read in %.1f s, %" PRIu64
	    " commands",
	    c->env->client, c->initiator, c->discovery ? "discovery" : "to ",
	    c->discovery ? "" : c->iso_path, reason, c->bytes_read, d, c->commands);
}
