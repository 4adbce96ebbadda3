/* SPDX-License-Identifier: MIT */
#include "pdu.h"

#include <errno.h>
#include <string.h>

#include "crc32c.h"
#include "util.h"

static uint32_t get_digest(const uint8_t *p)
{
	/* Digests travel in little-endian byte order (RFC 7143 13.1). */
	return get_le32(p);
}

int pdu_parse(const uint8_t *buf, size_t len, const struct pdu_limits *lim, struct iscsi_pdu *out,
	      size_t *consumed)
{
	size_t hdr, need;

	if (len < ISCSI_BHS_LEN)
		return PDU_NEED_MORE;
	memset(out, 0, sizeof(*out));
	memcpy(out->bhs, buf, ISCSI_BHS_LEN);
	out->ahs_len = (size_t)buf[BHS_TOTAL_AHS_LEN] * 4;
	out->data_len = pdu_dsl(buf);
	hdr = ISCSI_BHS_LEN + out->ahs_len + (lim->header_digest ? ISCSI_DIGEST_LEN : 0);
	if (len < hdr)
		return PDU_NEED_MORE;
	if (lim->header_digest &&
	    crc32c(buf, ISCSI_BHS_LEN + out->ahs_len) != get_digest(buf + hdr - ISCSI_DIGEST_LEN))
		return -EBADMSG;
	out->ahs = out->ahs_len ? buf + ISCSI_BHS_LEN : NULL;

	size_t data_total =
	    out->data_len ? pad4(out->data_len) + (lim->data_digest ? ISCSI_DIGEST_LEN : 0) : 0;
	if (out->data_len > lim->max_data) {
		out->data_oversized = true;
		out->skip_len = data_total;
		*consumed = hdr;
		return PDU_COMPLETE;
	}
	need = hdr + data_total;
	if (len < need)
		return PDU_NEED_MORE;
	if (out->data_len) {
		out->data = buf + hdr;
		if (lim->data_digest && crc32c(out->data, pad4(out->data_len)) !=
					    get_digest(buf + hdr + pad4(out->data_len)))
			out->data_digest_bad = true;
	}
	*consumed = need;
	return PDU_COMPLETE;
}
