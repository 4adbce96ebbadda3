/* SPDX-License-Identifier: MIT */
/*
 * Output: the queue of responses, and its flushing into the sink, with Data-In sequences cut
 * into PDUs as they are written (from memory, or read or sendfile()d from the image).
 */
#include "conn-internal.h"
#include "crc32c.h"
#include "log.h"
#include "util.h"

/* The most we put in one Data-In segment, whatever the initiator allows: bounds our memory. */
#define OUR_MAX_SEND_DSL (256u * 1024u)
#define SENDFILE_MIN 16384u /* smaller file segments are copied: one syscall for many PDUs */

void tx_set_stat_sn(struct conn *c, uint8_t *bhs)
{
	put_be32(bhs + BHS_STATSN, c->stat_sn++);
}

void tx_set_cmd_window(const struct conn *c, uint8_t *bhs)
{
	put_be32(bhs + BHS_EXPCMDSN, c->exp_cmd_sn);
	put_be32(bhs + BHS_MAXCMDSN, c->exp_cmd_sn + CMDSN_WINDOW - 1);
}

struct out_item *tx_push(struct conn *c)
{
	if (c->out_count >= OUTQ_MAX)
		return NULL;
	struct out_item *it = &c->outq[(c->out_head + c->out_count++) % OUTQ_MAX];
	memset(it, 0, sizeof(*it));
	return it;
}

void tx_queue_pdu(struct conn *c, const uint8_t bhs[ISCSI_BHS_LEN], void *data, size_t len)
{
	struct out_item *it = tx_push(c);

	if (!it) {
		/* conn_received() never lets the queue fill while PDUs are handled. */
		free(data);
		conn_close(c, "internal error: output queue overflow");
		return;
	}
	memcpy(it->bhs, bhs, ISCSI_BHS_LEN);
	/* Digests start with the first PDU after the final Login Response. */
	it->digests = c->state == CONN_FULL_FEATURE;
	it->data = data;
	it->data_len = len;
	pdu_set_dsl(it->bhs, (uint32_t)len);
}

static const uint8_t zeros[4096];

static int fs_push(struct flush_state *fs, const void *p, size_t len);

static int fs_drain(struct flush_state *fs, bool more)
{
	int r = 0;

	if (fs->n)
		r = fs->sink->writev(fs->sink->ctx, fs->iov, fs->n, more);
	fs->n = 0;
	fs->arena_used = 0;
	fs->ndig = 0;
	fs->nhdr = 0;
	return r;
}

static int fs_push(struct flush_state *fs, const void *p, size_t len)
{
	if (!len)
		return 0;
	if (fs->n == IOV_BATCH) {
		int r = fs_drain(fs, true);
		if (r < 0)
			return r;
	}
	fs->iov[fs->n++] = (struct iovec){.iov_base = (void *)p, .iov_len = len};
	return 0;
}

/* Pushes zeros; len may exceed the zero page. */
static int fs_push_zeros(struct flush_state *fs, size_t len)
{
	while (len) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		int r = fs_push(fs, zeros, n);
		if (r < 0)
			return r;
		len -= n;
	}
	return 0;
}

/* Reserves slots whose contents must stay valid until the next drain. */
static int fs_reserve(struct flush_state *fs, size_t arena_bytes)
{
	if (fs->n + 8 > IOV_BATCH || fs->ndig + 2 > IOV_BATCH || fs->nhdr + 1 > IOV_BATCH ||
	    fs->arena_used + arena_bytes > ARENA_SIZE)
		return fs_drain(fs, true);
	return 0;
}

static int emit_header(struct conn *c, struct flush_state *fs, const uint8_t *bhs, bool digests)
{
	uint8_t *h = fs->hdrs[fs->nhdr++];

	memcpy(h, bhs, ISCSI_BHS_LEN);
	int r = fs_push(fs, h, ISCSI_BHS_LEN);
	if (r == 0 && digests && c->p.header_digest) {
		uint8_t *d = fs->digests[fs->ndig++];
		uint32_t v = crc32c(h, ISCSI_BHS_LEN);
		d[0] = (uint8_t)v;
		d[1] = (uint8_t)(v >> 8);
		d[2] = (uint8_t)(v >> 16);
		d[3] = (uint8_t)(v >> 24);
		r = fs_push(fs, d, 4);
	}
	return r;
}

static int emit_data_digest(struct flush_state *fs, uint32_t crc)
{
	uint8_t *d = fs->digests[fs->ndig++];
	d[0] = (uint8_t)crc;
	d[1] = (uint8_t)(crc >> 8);
	d[2] = (uint8_t)(crc >> 16);
	d[3] = (uint8_t)(crc >> 24);
	return fs_push(fs, d, 4);
}

/* Reads image bytes, zero-filling past the end of the file. Short reads mean it shrank. */
static int read_image(struct conn *c, uint8_t *buf, uint64_t off, size_t len, bool *shrank)
{
	uint64_t avail = off < c->lun.size ? c->lun.size - off : 0;
	size_t want = avail < len ? (size_t)avail : len;
	ssize_t n = want ? pread_full(c->image_fd, buf, want, off) : 0;

	if (n < 0)
		return (int)n;
	if ((size_t)n < want)
		*shrank = true;
	memset(buf + n, 0, len - (size_t)n);
	return 0;
}

static void data_in_header(const struct conn *c, const struct out_item *it, uint32_t seg, bool last,
			   bool seq_end, uint8_t bhs[ISCSI_BHS_LEN])
{
	memset(bhs, 0, ISCSI_BHS_LEN);
	bhs[BHS_OPCODE] = OP_DATA_IN;
	bhs[BHS_FLAGS] = seq_end ? BHS_FINAL : 0;
	if (last && it->status_in_final) {
		bhs[BHS_FLAGS] |= DATA_IN_STATUS | it->final_flags;
		bhs[BHS_STATUS] = SCSI_GOOD;
		put_be32(bhs + BHS_STATSN, it->stat_sn);
		put_be32(bhs + BHS_RESIDUAL_COUNT, it->residual);
	}
	pdu_set_dsl(bhs, seg);
	put_be32(bhs + BHS_ITT, it->itt);
	put_be32(bhs + BHS_TTT, ISCSI_RSVD_TAG);
	tx_set_cmd_window(c, bhs);
	put_be32(bhs + BHS_DATASN, it->datasn);
	put_be32(bhs + BHS_BUFFER_OFFSET, it->sent);
}

/* Header and data leave together: MSG_MORE, then zero-copy from the page cache. */
static int data_in_sendfile(struct conn *c, struct flush_state *fs, const struct out_item *it,
			    uint32_t seg, size_t pad, bool *shrank)
{
	int r = fs_drain(fs, true);
	if (r < 0)
		return r;
	uint64_t avail = it->file_off < c->lun.size ? c->lun.size - it->file_off : 0;
	size_t from_file = avail < seg ? (size_t)avail : seg;
	ssize_t n = from_file ? fs->sink->sendfile(fs->sink->ctx, c->image_fd, it->file_off,
						   from_file, true)
			      : 0;
	if (n < 0)
		return (int)n;
	if ((size_t)n < from_file)
		*shrank = true;
	return fs_push_zeros(fs, seg - (size_t)n + pad);
}

/* The segment's data through the arena (image reads) or straight from the item's buffer. */
static int data_in_copy(struct conn *c, struct flush_state *fs, const struct out_item *it,
			uint32_t seg, size_t pad, bool *shrank)
{
	const uint8_t *src;
	int r;

	if (it->from_file) {
		uint8_t *dst = c->arena + fs->arena_used;
		r = read_image(c, dst, it->file_off, seg, shrank);
		if (r < 0)
			return r;
		fs->arena_used += seg;
		src = dst;
	} else {
		src = it->data + it->sent;
	}
	r = fs_push(fs, src, seg);
	if (r == 0 && pad)
		r = fs_push(fs, zeros, pad);
	if (r == 0 && c->p.data_digest) {
		uint32_t crc = crc32c_update(~0u, src, seg);
		crc = ~crc32c_update(crc, zeros, pad);
		r = emit_data_digest(fs, crc);
	}
	return r;
}

/*
 * The image lost bytes between the size check and the read. What went out was padded with zeros
 * and no status can say so any more: end the session rather than let the initiator take zeros
 * for data.
 */
static void close_on_shrink(struct conn *c)
{
	log_full(
	    LOG_ERR, 0, NULL,
	    (const struct log_field[]){
		{"ISOBOOT_ISO", c->iso_path}, {"ISOBOOT_CLIENT", c->env->client}, {NULL, NULL}},
	    "%s shrank while %s was reading it; closing the session", c->iso_path, c->env->client);
	conn_close(c, "ISO shrank during a read");
}

static int flush_data_in(struct conn *c, struct flush_state *fs, struct out_item *it)
{
	uint32_t maxseg =
	    c->p.peer_max_recv_dsl < OUR_MAX_SEND_DSL ? c->p.peer_max_recv_dsl : OUR_MAX_SEND_DSL;
	bool shrank = false;
	int r;

	while (it->sent < it->total) {
		uint32_t left = it->total - it->sent;
		uint32_t seg = left < maxseg ? left : maxseg;
		if (seg > it->burst_left)
			seg = it->burst_left;
		bool last = seg == left;
		bool seq_end = last || seg == it->burst_left;
		uint8_t bhs[ISCSI_BHS_LEN];

		data_in_header(c, it, seg, last, seq_end, bhs);
		size_t pad = pad4(seg) - seg;
		bool use_sendfile = it->from_file && !c->p.data_digest && seg >= SENDFILE_MIN;
		r = fs_reserve(fs, use_sendfile ? 0 : seg);
		if (r < 0)
			return r;
		r = emit_header(c, fs, bhs, true);
		if (r < 0)
			return r;
		if (use_sendfile)
			r = data_in_sendfile(c, fs, it, seg, pad, &shrank);
		else
			r = data_in_copy(c, fs, it, seg, pad, &shrank);
		if (r < 0)
			return r;
		it->sent += seg;
		it->file_off += seg;
		it->datasn++;
		it->burst_left -= seg;
		if (!it->burst_left)
			it->burst_left = c->p.max_burst;
		if (shrank) {
			close_on_shrink(c);
			return 0;
		}
	}
	return 0;
}

int conn_flush(struct conn *c, const struct out_sink *sink)
{
	struct flush_state *fs = c->fs;
	int r = 0;

	memset(fs, 0, offsetof(struct flush_state, iov));
	fs->sink = sink;
	while (c->out_count && r == 0) {
		struct out_item *it = &c->outq[c->out_head];
		if (it->data_in) {
			r = flush_data_in(c, fs, it);
		} else {
			size_t pad = pad4(it->data_len) - it->data_len;
			r = fs_reserve(fs, 0);
			if (r == 0) {
				/* Queued before the window moved on: refresh ExpCmdSN/MaxCmdSN. */
				if (pdu_opcode(it->bhs) != OP_LOGIN_RSP)
					tx_set_cmd_window(c, it->bhs);
				r = emit_header(c, fs, it->bhs, it->digests);
			}
			if (r == 0 && it->data_len) {
				r = fs_push(fs, it->data, it->data_len);
				if (r == 0 && pad)
					r = fs_push(fs, zeros, pad);
				if (r == 0 && it->digests && c->p.data_digest) {
					uint32_t crc = crc32c_update(~0u, it->data, it->data_len);
					r = emit_data_digest(fs, ~crc32c_update(crc, zeros, pad));
				}
			}
		}
		if (r < 0)
			break;
		/* Owned buffers are referenced by the iovecs until they are written. */
		r = fs_drain(fs, c->out_count > 1);
		free(it->data);
		it->data = NULL;
		c->out_head = (c->out_head + 1) % OUTQ_MAX;
		c->out_count--;
		if (c->state == CONN_CLOSING && it->data_in && it->sent < it->total)
			break;
	}
	if (r == 0)
		r = fs_drain(fs, false);
	return r;
}
