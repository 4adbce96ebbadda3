/* SPDX-License-Identifier: MIT */
/*
 * The iSCSI connection engine driven through memory: login flows and refusals, CHAP, the full
 * feature phase, sequence numbers, and hostile input. Real initiators are tested elsewhere
 * (libiscsi, iPXE); this covers what they never send.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "catalog-fixture.h"
#include "catalog.h"
#include "chap.h"
#include "conn.h"
#include "crc32c.h"
#include "helpers.h"
#include "iscsi.h"
#include "log.h"
#include "pdu.h"
#include "scsi.h"
#include "tap.h"
#include "util.h"

#define IMAGE_BLOCKS 64
#define TARGET "iqn.2025-01.org.isoboot:test-0123456789ab"

static char *dir;
static char image_path[512];
static struct catalog cat;
static struct iscsi_env env;

/* ---- output capture ---- */

struct sink_buf {
	uint8_t *buf;
	size_t len, cap;
};

static void sb_add(struct sink_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 4096;
		b->buf = realloc(b->buf, b->cap);
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static int mem_writev(void *ctx, const struct iovec *iov, int n, bool more)
{
	(void)more;
	for (int i = 0; i < n; i++)
		sb_add(ctx, iov[i].iov_base, iov[i].iov_len);
	return 0;
}

static ssize_t mem_sendfile(void *ctx, int fd, uint64_t off, size_t len, bool more)
{
	uint8_t *tmp = malloc(len);
	ssize_t n = pread_full(fd, tmp, len, off);
	(void)more;
	if (n > 0)
		sb_add(ctx, tmp, (size_t)n);
	free(tmp);
	return n;
}

struct out_pdu {
	uint8_t bhs[ISCSI_BHS_LEN];
	uint8_t *data;
	uint32_t len;
};

struct session {
	struct conn *c;
	struct sink_buf out;
	size_t parsed;
	bool digests;
	uint32_t cmdsn, itt;
	uint32_t statsn, expcmdsn, maxcmdsn;
};

static void feed(struct session *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		size_t room = conn_rbuf_space(s->c);
		size_t n = len < room ? len : room;
		memcpy(conn_rbuf(s->c) + conn_rbuf_len(s->c), p, n);
		conn_received(s->c, n);
		struct out_sink sink = {mem_writev, mem_sendfile, &s->out};
		while (conn_has_output(s->c)) {
			conn_flush(s->c, &sink);
			conn_received(s->c, 0);
		}
		p += n;
		len -= n;
	}
}

/* Next PDU the target sent, or false. Data points into the capture buffer. */
static bool next_pdu(struct session *s, struct out_pdu *o)
{
	size_t dig = s->digests ? 4 : 0;
	if (s->out.len - s->parsed < ISCSI_BHS_LEN)
		return false;
	const uint8_t *h = s->out.buf + s->parsed;
	memcpy(o->bhs, h, ISCSI_BHS_LEN);
	o->len = pdu_dsl(h);
	size_t hdr = ISCSI_BHS_LEN + (size_t)h[BHS_TOTAL_AHS_LEN] * 4 + dig;
	if (dig) {
		uint32_t want = crc32c(h, ISCSI_BHS_LEN);
		if (get_le32(h + ISCSI_BHS_LEN) != want) {
			printf("#   bad header digest from the target\n");
			tap_case_failed = 1;
		}
	}
	o->data = (uint8_t *)h + hdr;
	s->parsed += hdr + (o->len ? pad4(o->len) + dig : 0);
	if (pdu_opcode(o->bhs) != OP_DATA_IN || (o->bhs[BHS_FLAGS] & DATA_IN_STATUS))
		s->statsn = get_be32(o->bhs + BHS_STATSN);
	s->expcmdsn = get_be32(o->bhs + BHS_EXPCMDSN);
	s->maxcmdsn = get_be32(o->bhs + BHS_MAXCMDSN);
	return true;
}

static bool no_more_pdus(struct session *s)
{
	return s->out.len == s->parsed;
}

/* ---- request builders ---- */

static void send_pdu(struct session *s, uint8_t *bhs, const void *data, size_t len)
{
	uint8_t pad[4] = {0};
	pdu_set_dsl(bhs, (uint32_t)len);
	feed(s, bhs, ISCSI_BHS_LEN);
	if (s->digests) {
		uint8_t d[4];
		uint32_t v = crc32c(bhs, ISCSI_BHS_LEN);
		memcpy(d, &v, 4);
		feed(s, d, 4);
	}
	if (len) {
		feed(s, data, len);
		feed(s, pad, pad4(len) - len);
		if (s->digests) {
			uint32_t v =
			    ~crc32c_update(crc32c_update(~0u, data, len), pad, pad4(len) - len);
			feed(s, &v, 4);
		}
	}
}

static void login(struct session *s, uint8_t csg, uint8_t nsg, bool transit, const char *keys,
		  size_t keys_len)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	bhs[BHS_OPCODE] = OP_LOGIN_REQ | BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = (uint8_t)((transit ? LOGIN_TRANSIT : 0) | csg << 2 | (transit ? nsg : 0));
	memcpy(bhs + BHS_ISID, "\x80\x12\x34\x56\x78\x9a", BHS_ISID_LEN);
	put_be32(bhs + BHS_ITT, s->itt);
	put_be32(bhs + BHS_CMDSN, s->cmdsn);
	send_pdu(s, bhs, keys, keys_len);
}

/* Keys are given with '\n' between pairs for readability. */
static size_t keys_of(const char *text, char *out)
{
	size_t n = strlen(text);
	for (size_t i = 0; i < n; i++)
		out[i] = text[i] == '\n' ? '\0' : text[i];
	out[n] = '\0';
	return n + 1;
}

static void login_keys(struct session *s, uint8_t csg, uint8_t nsg, bool t, const char *text)
{
	char buf[4096];
	login(s, csg, nsg, t, buf, keys_of(text, buf));
}

/* The value of key in a response's data, or NULL. */
static const char *key_in(const struct out_pdu *o, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);
	for (uint32_t p = 0; p < o->len;) {
		const char *s = (const char *)o->data + p;
		size_t l = strnlen(s, o->len - p);
		if (l > kl && !memcmp(s, key, kl) && s[kl] == '=') {
			snprintf(buf, size, "%.*s", (int)(l - kl - 1), s + kl + 1);
			return buf;
		}
		p += (uint32_t)l + 1;
	}
	return NULL;
}

#define CHECK_KEY(o, key, want)                                                                    \
	do {                                                                                       \
		char key_buf_[256];                                                                \
		CHECK_STR(key_in((o), (key), key_buf_, sizeof(key_buf_)), (want));                 \
	} while (0)

static void scsi_cmd(struct session *s, const uint8_t *cdb, size_t cdb_len, uint32_t edtl, bool rd,
		     bool wr, bool immediate, const void *data, size_t len)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	bhs[BHS_OPCODE] = OP_SCSI_CMD | (immediate ? BHS_IMMEDIATE : 0);
	bhs[BHS_FLAGS] = (uint8_t)(BHS_FINAL | (rd ? CMD_READ : 0) | (wr ? CMD_WRITE : 0));
	put_be32(bhs + BHS_ITT, ++s->itt);
	put_be32(bhs + BHS_EDTL, edtl);
	put_be32(bhs + BHS_CMDSN, s->cmdsn);
	if (!immediate)
		s->cmdsn++;
	memcpy(bhs + BHS_CDB, cdb, cdb_len);
	send_pdu(s, bhs, data, len);
}

static void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->c = conn_new(&env);
	s->cmdsn = 100;
	s->itt = 7;
}

static void session_finish(struct session *s)
{
	conn_free(s->c);
	free(s->out.buf);
}

/* Logs in straight to the full feature phase with the given operational keys. */
static void login_full(struct session *s, const char *extra)
{
	char text[2048];
	struct out_pdu o;
	snprintf(text, sizeof(text),
		 "InitiatorName=iqn.2025-01.test:init\nSessionType=Normal\nTargetName=" TARGET
		 "%s%s",
		 extra ? "\n" : "", extra ? extra : "");
	login_keys(s, STAGE_OPERATIONAL, STAGE_FULL_FEATURE, true, text);
	CHECK(next_pdu(s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_LOGIN_RSP);
	CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), 0);
	CHECK_EQ_INT(conn_state(s->c), CONN_FULL_FEATURE);
}

/* ---- tests ---- */

static void test_login_two_stages(void)
{
	struct session s;
	struct out_pdu o;

	session_init(&s);
	login_keys(&s, STAGE_SECURITY, STAGE_OPERATIONAL, true,
		   "InitiatorName=iqn.2025-01.test:init\nSessionType=Normal\nTargetName=" TARGET
		   "\nAuthMethod=None,CHAP");
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_LOGIN_RSP);
	CHECK_EQ_INT(o.bhs[BHS_FLAGS], LOGIN_TRANSIT | STAGE_SECURITY << 2 | STAGE_OPERATIONAL);
	CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), 0);
	CHECK(!memcmp(o.bhs + BHS_ISID, "\x80\x12\x34\x56\x78\x9a", BHS_ISID_LEN));
	CHECK_EQ_INT(get_be32(o.bhs + BHS_EXPCMDSN), 100); /* ExpCmdSN = the login's CmdSN */
	CHECK(sn_le(get_be32(o.bhs + BHS_EXPCMDSN), get_be32(o.bhs + BHS_MAXCMDSN)));
	CHECK_KEY(&o, "AuthMethod", "None");
	CHECK_KEY(&o, "TargetPortalGroupTag", "1");
	uint32_t first_statsn = get_be32(o.bhs + BHS_STATSN);

	char longv[400];
	memset(longv, 'v', sizeof(longv));
	longv[sizeof(longv) - 1] = '\0';
	char text[2048];
	snprintf(text, sizeof(text),
		 "HeaderDigest=CRC32C,None\nDataDigest=None\nMaxConnections=4\nInitialR2T=No\n"
		 "ImmediateData=Yes\nMaxRecvDataSegmentLength=8192\nMaxBurstLength=0x100000\n"
		 "FirstBurstLength=1048576\nDefaultTime2Wait=0\n"
		 "MaxOutstandingR2T=8\nDataPDUInOrder=No\nDataSequenceInOrder=Yes\n"
		 "ErrorRecoveryLevel=2\nIFMarker=No\nOFMarkInt=2048\nX-vendor.key=1\n"
		 "MaxBurstLength2=%s\nDefaultTime2Retain=%s",
		 longv, longv);
	login_keys(&s, STAGE_OPERATIONAL, STAGE_FULL_FEATURE, true, text);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(o.bhs[BHS_FLAGS], LOGIN_TRANSIT | STAGE_OPERATIONAL << 2 | STAGE_FULL_FEATURE);
	CHECK_EQ_INT(get_be32(o.bhs + BHS_STATSN), first_statsn + 1);
	CHECK(get_be16(o.bhs + BHS_TSIH) != 0); /* TSIH */
	CHECK_KEY(&o, "HeaderDigest", "CRC32C");
	CHECK_KEY(&o, "DataDigest", "None");
	CHECK_KEY(&o, "MaxConnections", "1");
	CHECK_KEY(&o, "InitialR2T", "Yes");
	CHECK_KEY(&o, "ImmediateData", "Yes");
	CHECK_KEY(&o, "MaxBurstLength", "1048576");
	CHECK_KEY(&o, "FirstBurstLength", "65536");
	CHECK_KEY(&o, "DefaultTime2Wait", "2");
	CHECK_KEY(&o, "DefaultTime2Retain", "Reject"); /* a value over 255 bytes */
	CHECK_KEY(&o, "MaxOutstandingR2T", "1");
	CHECK_KEY(&o, "DataPDUInOrder", "Yes");
	CHECK_KEY(&o, "ErrorRecoveryLevel", "0");
	CHECK_KEY(&o, "IFMarker", "No");
	CHECK_KEY(&o, "OFMarkInt", "Irrelevant");
	CHECK_KEY(&o, "X-vendor.key", "NotUnderstood");
	CHECK_KEY(&o, "MaxBurstLength2", "NotUnderstood");
	CHECK_KEY(&o, "MaxRecvDataSegmentLength", "65536");
	char b[8];
	CHECK(key_in(&o, "TargetPortalGroupTag", b, sizeof(b)) == NULL); /* only the first time */
	CHECK_EQ_INT(conn_state(s.c), CONN_FULL_FEATURE);

	/* Digests are on from here: a TEST UNIT READY with digests gets its answer. */
	s.digests = true;
	uint8_t tur[16] = {0};
	scsi_cmd(&s, tur, 6, 0, false, false, false, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_SCSI_RSP);
	CHECK_EQ_INT(o.bhs[BHS_STATUS], SCSI_GOOD);
	CHECK_EQ_INT(get_be32(o.bhs + BHS_EXPCMDSN), 101);
	session_finish(&s);
}

static void test_login_values_rejected(void)
{
	struct session s;
	struct out_pdu o;

	session_init(&s);
	login_keys(&s, STAGE_OPERATIONAL, STAGE_FULL_FEATURE, true,
		   "InitiatorName=iqn.2025-01.test:init\nTargetName=" TARGET
		   "\nMaxBurstLength=100\nHeaderDigest=MD5\nImmediateData=Perhaps\n"
		   "MaxConnections=99999999999999999999");
	CHECK(next_pdu(&s, &o));
	CHECK_KEY(&o, "MaxBurstLength", "Reject"); /* below 512 */
	CHECK_KEY(&o, "HeaderDigest", "Reject");
	CHECK_KEY(&o, "ImmediateData", "Reject");
	CHECK_KEY(&o, "MaxConnections", "Reject");
	session_finish(&s);
}

/* Sends one bad first login and checks the status it earns, and that the connection ends. */
static void expect_login_status(const void *keys, size_t len, uint8_t csg, uint8_t vmin,
				uint16_t tsih, uint16_t want)
{
	struct session s;
	struct out_pdu o;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	session_init(&s);
	bhs[BHS_OPCODE] = OP_LOGIN_REQ | BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = (uint8_t)(LOGIN_TRANSIT | csg << 2 | STAGE_FULL_FEATURE);
	bhs[BHS_VERSION_MIN] = vmin;
	memcpy(bhs + BHS_ISID, "\x80\x01\x02\x03\x04\x05", BHS_ISID_LEN);
	put_be16(bhs + BHS_TSIH, tsih);
	put_be32(bhs + BHS_ITT, 1);
	send_pdu(&s, bhs, keys, len);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_LOGIN_RSP);
	if (get_be16(o.bhs + BHS_LOGIN_STATUS) != want)
		printf("#   status %04x, expected %04x\n", get_be16(o.bhs + BHS_LOGIN_STATUS),
		       want);
	CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), want);
	CHECK_EQ_INT(o.len, 0);
	CHECK(!memcmp(o.bhs + BHS_ISID, "\x80\x01\x02\x03\x04\x05", BHS_ISID_LEN));
	CHECK_EQ_INT(conn_state(s.c), CONN_CLOSING);
	session_finish(&s);
}

static void test_login_refusals(void)
{
	char k[512];
	size_t n;

	n = keys_of("InitiatorName=i\nTargetName=iqn.2025-01.org.isoboot:nope", k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_NOT_FOUND);
	n = keys_of("TargetName=" TARGET, k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_MISSING_PARAMETER);
	n = keys_of("InitiatorName=i\nSessionType=Normal", k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_MISSING_PARAMETER);
	n = keys_of("InitiatorName=i\nTargetName=" TARGET, k);
	expect_login_status(k, n, 1, 1, 0, LOGIN_UNSUPPORTED_VERSION);
	expect_login_status(k, n, 1, 0, 0x1234, LOGIN_NO_SESSION);
	n = keys_of("InitiatorName=i\nSessionType=Bogus", k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_SESSION_TYPE_UNSUPPORTED);
	/* Text without '=', an empty key, a key with a forbidden character. */
	n = keys_of("InitiatorName=i\nTargetName=" TARGET "\nNoEqualsSign", k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_INITIATOR_ERROR);
	n = keys_of("InitiatorName=i\n=value", k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_INITIATOR_ERROR);
	n = keys_of("InitiatorName=i\nBad Key=1", k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_INITIATOR_ERROR);
	/* Security keys in the operational stage. */
	n = keys_of("InitiatorName=i\nTargetName=" TARGET "\nAuthMethod=None", k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_INITIATOR_ERROR);
	/* A transition to the full feature phase from stage 2 (reserved). */
	n = keys_of("InitiatorName=i\nTargetName=" TARGET, k);
	expect_login_status(k, n, 2, 0, 0, LOGIN_INITIATOR_ERROR);
}

static void test_login_continue(void)
{
	struct session s;
	struct out_pdu o;
	char k[512];
	size_t n = keys_of(
	    "InitiatorName=iqn.2025-01.test:init\nTargetName=" TARGET "\nMaxBurstLength=4096", k);
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	session_init(&s);
	/* The text split in the middle of a key, over two PDUs (C bit). */
	bhs[BHS_OPCODE] = OP_LOGIN_REQ | BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = LOGIN_CONTINUE | STAGE_OPERATIONAL << 2;
	memcpy(bhs + BHS_ISID, "\x80\x12\x34\x56\x78\x9a", BHS_ISID_LEN);
	send_pdu(&s, bhs, k, 20);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), 0);
	CHECK_EQ_INT(o.len, 0);
	CHECK_EQ_INT(o.bhs[BHS_FLAGS] & LOGIN_TRANSIT, 0);
	bhs[BHS_FLAGS] = LOGIN_TRANSIT | STAGE_OPERATIONAL << 2 | STAGE_FULL_FEATURE;
	send_pdu(&s, bhs, k + 20, n - 20);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), 0);
	CHECK_KEY(&o, "MaxBurstLength", "4096");
	CHECK_EQ_INT(conn_state(s.c), CONN_FULL_FEATURE);
	session_finish(&s);

	/* Login text that never ends is cut off. */
	session_init(&s);
	bhs[BHS_FLAGS] = LOGIN_CONTINUE | STAGE_OPERATIONAL << 2;
	char chunk[8192];
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 10 && conn_state(s.c) != CONN_CLOSING; i++)
		send_pdu(&s, bhs, chunk, sizeof(chunk));
	CHECK_EQ_INT(conn_state(s.c), CONN_CLOSING);
	session_finish(&s);
}

static void chap_respond(const struct out_pdu *o, const char *secret, char *hexr)
{
	char ib[16], cb[256];
	uint8_t chal[128], r[16];
	int cl = chap_decode(key_in(o, "CHAP_C", cb, sizeof(cb)), chal, sizeof(chal));
	chap_response((uint8_t)atoi(key_in(o, "CHAP_I", ib, sizeof(ib))), secret, chal, (size_t)cl,
		      r);
	chap_encode_hex(r, 16, hexr);
}

static void test_chap(void)
{
	struct session s;
	struct out_pdu o;
	char text[512], hexr[40];

	env.chap_user = "lab";
	env.chap_secret = "lab-secret-0123";

	/* One-way: right response. */
	session_init(&s);
	login_keys(&s, 0, 1, true, "InitiatorName=i\nTargetName=" TARGET "\nAuthMethod=CHAP,None");
	CHECK(next_pdu(&s, &o));
	CHECK_KEY(&o, "AuthMethod", "CHAP");
	CHECK_EQ_INT(o.bhs[BHS_FLAGS] & LOGIN_TRANSIT, 0); /* not before the exchange is done */
	login_keys(&s, 0, 1, false, "CHAP_A=7,5");
	CHECK(next_pdu(&s, &o));
	CHECK_KEY(&o, "CHAP_A", "5");
	char cb[256];
	CHECK(key_in(&o, "CHAP_C", cb, sizeof(cb)) && strlen(cb) == 34);
	chap_respond(&o, "lab-secret-0123", hexr);
	snprintf(text, sizeof(text), "CHAP_N=lab\nCHAP_R=%s", hexr);
	login_keys(&s, 0, 1, true, text);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), 0);
	CHECK_EQ_INT(o.bhs[BHS_FLAGS], LOGIN_TRANSIT | STAGE_OPERATIONAL);
	session_finish(&s);

	/* Wrong secret. */
	session_init(&s);
	login_keys(&s, 0, 1, true, "InitiatorName=i\nTargetName=" TARGET "\nAuthMethod=CHAP");
	next_pdu(&s, &o);
	login_keys(&s, 0, 1, false, "CHAP_A=5");
	next_pdu(&s, &o);
	chap_respond(&o, "not-the-secret", hexr);
	snprintf(text, sizeof(text), "CHAP_N=lab\nCHAP_R=%s", hexr);
	login_keys(&s, 0, 1, true, text);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), LOGIN_AUTH_FAILED);
	CHECK_EQ_INT(conn_state(s.c), CONN_CLOSING);
	session_finish(&s);

	/* Skipping the security stage, or offering only None, fails authentication. */
	char k[256];
	size_t n = keys_of("InitiatorName=i\nTargetName=" TARGET, k);
	expect_login_status(k, n, 1, 0, 0, LOGIN_AUTH_FAILED);
	n = keys_of("InitiatorName=i\nTargetName=" TARGET "\nAuthMethod=None", k);
	expect_login_status(k, n, 0, 0, 0, LOGIN_AUTH_FAILED);

	/* Mutual: the target proves it knows its own secret; a reflected challenge fails. */
	env.chap_mutual_user = "isoboot";
	env.chap_mutual_secret = "target-secret-456";
	for (int reflect = 0; reflect < 2; reflect++) {
		session_init(&s);
		login_keys(&s, 0, 1, true,
			   "InitiatorName=i\nTargetName=" TARGET "\nAuthMethod=CHAP");
		next_pdu(&s, &o);
		login_keys(&s, 0, 1, false, "CHAP_A=5");
		next_pdu(&s, &o);
		char their_c[64];
		key_in(&o, "CHAP_C", their_c, sizeof(their_c));
		chap_respond(&o, "lab-secret-0123", hexr);
		snprintf(text, sizeof(text), "CHAP_N=lab\nCHAP_R=%s\nCHAP_I=77\nCHAP_C=%s", hexr,
			 reflect ? their_c : "0x00112233445566778899aabbccddeeff");
		login_keys(&s, 0, 1, true, text);
		CHECK(next_pdu(&s, &o));
		if (reflect) {
			CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), LOGIN_AUTH_FAILED);
		} else {
			uint8_t chal[16], want[16];
			char wanthex[40];
			chap_decode("0x00112233445566778899aabbccddeeff", chal, sizeof(chal));
			chap_response(77, "target-secret-456", chal, 16, want);
			chap_encode_hex(want, 16, wanthex);
			CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), 0);
			CHECK_KEY(&o, "CHAP_N", "isoboot");
			CHECK_KEY(&o, "CHAP_R", wanthex);
		}
		session_finish(&s);
	}
	env.chap_user = env.chap_secret = env.chap_mutual_user = env.chap_mutual_secret = NULL;
}

static void test_read(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t cdb[16] = {SCSI_OP_READ_10};
	uint8_t want[5 * 2048];

	session_init(&s);
	login_full(&s, "MaxRecvDataSegmentLength=4096\nMaxBurstLength=8192");
	int fd = open(image_path, O_RDONLY);
	CHECK_EQ_INT(pread(fd, want, sizeof(want), 3 * 2048), (ssize_t)sizeof(want));
	close(fd);

	put_be32(cdb + 2, 3);
	put_be16(cdb + 7, 5);
	scsi_cmd(&s, cdb, 10, 5 * 2048 + 100, true, false, false, NULL, 0);
	uint32_t off = 0, datasn = 0;
	uint32_t statsn_before = s.statsn;
	while (next_pdu(&s, &o) && pdu_opcode(o.bhs) == OP_DATA_IN) {
		CHECK(o.len <= 4096); /* never above the initiator's MaxRecvDataSegmentLength */
		CHECK_EQ_INT(get_be32(o.bhs + BHS_DATASN), datasn++);
		CHECK_EQ_INT(get_be32(o.bhs + BHS_BUFFER_OFFSET), off);
		CHECK(!memcmp(o.data, want + off, o.len));
		off += o.len;
		/* F closes each MaxBurstLength sequence, and the last one. */
		CHECK_EQ_INT(!!(o.bhs[BHS_FLAGS] & BHS_FINAL),
			     off % 8192 == 0 || off == sizeof(want));
		if (o.bhs[BHS_FLAGS] & DATA_IN_STATUS) {
			CHECK_EQ_INT(off, sizeof(want));
			CHECK_EQ_INT(o.bhs[BHS_STATUS], SCSI_GOOD);
			CHECK(o.bhs[BHS_FLAGS] & DATA_IN_UNDERFLOW);
			CHECK_EQ_INT(get_be32(o.bhs + BHS_RESIDUAL_COUNT), 100);
			CHECK_EQ_INT(get_be32(o.bhs + BHS_STATSN), statsn_before + 1);
			break;
		}
	}
	CHECK_EQ_INT(off, sizeof(want));
	CHECK(no_more_pdus(&s));
	CHECK_EQ_INT(s.expcmdsn, 101);
	CHECK_EQ_INT(s.maxcmdsn, 101 + 63);
	session_finish(&s);
}

static void expect_sense(struct session *s, uint8_t key, uint16_t asc)
{
	struct out_pdu o;
	CHECK(next_pdu(s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_SCSI_RSP);
	CHECK_EQ_INT(o.bhs[BHS_STATUS], SCSI_CHECK_CONDITION);
	CHECK(o.len >= 2 + 14);
	if (o.len >= 16) {
		CHECK_EQ_INT(o.data[2 + 2] & 0x0f, key);
		CHECK_EQ_INT(get_be16(o.data + 2 + 12), asc);
	}
}

static void test_scsi_errors(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t cdb[16];

	session_init(&s);
	login_full(&s, NULL);
	memset(cdb, 0, 16);
	cdb[0] = SCSI_OP_READ_10;
	put_be32(cdb + 2, IMAGE_BLOCKS - 1);
	put_be16(cdb + 7, 2);
	scsi_cmd(&s, cdb, 10, 4096, true, false, false, NULL, 0);
	expect_sense(&s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	cdb[0] = SCSI_OP_READ_16; /* at 2^63 */
	memset(cdb + 1, 0, 15);
	put_be64(cdb + 2, 1ull << 63);
	put_be32(cdb + 10, 1);
	scsi_cmd(&s, cdb, 16, 2048, true, false, false, NULL, 0);
	expect_sense(&s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
	memset(cdb, 0, 16);
	cdb[0] = SCSI_OP_WRITE_10; /* with immediate data */
	put_be16(cdb + 7, 1);
	uint8_t block[2048] = {0xa6};
	scsi_cmd(&s, cdb, 10, 2048, false, true, false, block, sizeof(block));
	expect_sense(&s, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED);
	memset(cdb, 0, 16);
	cdb[0] = 0xe7; /* vendor-specific group: not ours */
	scsi_cmd(&s, cdb, 16, 0, false, false, false, NULL, 0);
	expect_sense(&s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	/* LUN 1 does not exist. */
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	bhs[BHS_OPCODE] = OP_SCSI_CMD;
	bhs[BHS_FLAGS] = BHS_FINAL;
	bhs[BHS_LUN + 1] = 1;
	put_be32(bhs + BHS_ITT, 999);
	put_be32(bhs + BHS_CMDSN, s.cmdsn++);
	send_pdu(&s, bhs, NULL, 0);
	expect_sense(&s, SENSE_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
	/* The connection survived it all. */
	memset(cdb, 0, 16);
	scsi_cmd(&s, cdb, 6, 0, false, false, false, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(o.bhs[BHS_STATUS], SCSI_GOOD);
	session_finish(&s);
}

static void test_cmdsn_window(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t tur[16] = {0};

	session_init(&s);
	login_full(&s, NULL);
	scsi_cmd(&s, tur, 6, 0, false, false, false, NULL, 0);
	CHECK(next_pdu(&s, &o));
	uint32_t exp = s.expcmdsn, max = s.maxcmdsn;
	CHECK_EQ_INT(max - exp + 1, 64); /* room for 64 queued commands */
	/* Beyond MaxCmdSN and behind ExpCmdSN: dropped without a word. */
	s.cmdsn = max + 1;
	scsi_cmd(&s, tur, 6, 0, false, false, false, NULL, 0);
	s.cmdsn = exp - 1;
	scsi_cmd(&s, tur, 6, 0, false, false, false, NULL, 0);
	CHECK(no_more_pdus(&s));
	s.cmdsn = exp;
	scsi_cmd(&s, tur, 6, 0, false, false, false, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(get_be32(o.bhs + BHS_EXPCMDSN), exp + 1);
	/* Immediate commands do not advance ExpCmdSN. */
	scsi_cmd(&s, tur, 6, 0, false, false, true, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(get_be32(o.bhs + BHS_EXPCMDSN), exp + 1);
	/* 40 pipelined commands are all answered in order, StatSN counting up. */
	uint32_t st = s.statsn;
	for (int i = 0; i < 40; i++)
		scsi_cmd(&s, tur, 6, 0, false, false, false, NULL, 0);
	for (int i = 0; i < 40; i++) {
		CHECK(next_pdu(&s, &o));
		CHECK_EQ_INT(get_be32(o.bhs + BHS_STATSN), st + 1 + (uint32_t)i);
	}
	session_finish(&s);
}

/* A NOP-Out is answered with its data, unless its ITT is the reserved one. */
static void test_nop_ping(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t bhs[ISCSI_BHS_LEN];

	session_init(&s);
	login_full(&s, NULL);
	memset(bhs, 0, ISCSI_BHS_LEN);
	bhs[BHS_OPCODE] = OP_NOP_OUT;
	bhs[BHS_FLAGS] = BHS_FINAL;
	put_be32(bhs + BHS_ITT, 0x55);
	put_be32(bhs + BHS_TTT, ISCSI_RSVD_TAG);
	put_be32(bhs + BHS_CMDSN, s.cmdsn++);
	send_pdu(&s, bhs, "nopping", 8);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_NOP_IN);
	CHECK_EQ_INT(get_be32(o.bhs + BHS_ITT), 0x55);
	CHECK_EQ_INT(o.len, 8);
	CHECK(!memcmp(o.data, "nopping", 8));
	/* ITT reserved: no answer. */
	put_be32(bhs + BHS_ITT, ISCSI_RSVD_TAG);
	bhs[BHS_OPCODE] |= BHS_IMMEDIATE;
	send_pdu(&s, bhs, NULL, 0);
	CHECK(no_more_pdus(&s));
	session_finish(&s);
}

/* Sends the TMF request bhs and checks its answer: a TMF response to its ITT, with want. */
static void tmf_answered(struct session *s, uint8_t *bhs, uint8_t want)
{
	struct out_pdu o;
	uint32_t itt = get_be32(bhs + BHS_ITT);

	send_pdu(s, bhs, NULL, 0);
	CHECK(next_pdu(s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_TMF_RSP);
	CHECK_EQ_INT(get_be32(o.bhs + BHS_ITT), itt);
	CHECK_EQ_INT(o.bhs[BHS_RESPONSE], want);
}

/* Immediate TMFs, each answered for the function and LUN it names. */
static void test_tmf_immediate(void)
{
	struct session s;
	uint8_t bhs[ISCSI_BHS_LEN];

	session_init(&s);
	login_full(&s, NULL);
	static const struct {
		uint8_t fn;
		uint8_t lun;
		uint8_t want;
	} tmfs[] = {
	    {TMF_ABORT_TASK, 0, TMF_RSP_NO_TASK},
	    {TMF_LUN_RESET, 0, TMF_RSP_COMPLETE},
	    {TMF_LUN_RESET, 3, TMF_RSP_NO_LUN},
	    {TMF_ABORT_TASK_SET, 0, TMF_RSP_COMPLETE},
	    {TMF_TASK_REASSIGN, 0, TMF_RSP_REASSIGN_UNSUPPORTED},
	    {TMF_TARGET_WARM_RESET, 0, TMF_RSP_COMPLETE},
	    {42, 0, TMF_RSP_NOT_SUPPORTED},
	};
	for (size_t i = 0; i < ARRAY_SIZE(tmfs); i++) {
		memset(bhs, 0, ISCSI_BHS_LEN);
		bhs[BHS_OPCODE] = OP_TMF_REQ | BHS_IMMEDIATE;
		bhs[BHS_FLAGS] = BHS_FINAL | tmfs[i].fn;
		bhs[BHS_LUN + 1] = tmfs[i].lun;
		put_be32(bhs + BHS_ITT, 0x900 + (uint32_t)i);
		put_be32(bhs + BHS_REF_TASK_TAG, 0x1); /* referenced task: long gone */
		put_be32(bhs + BHS_CMDSN, s.cmdsn);
		put_be32(bhs + BHS_REFCMDSN, s.cmdsn - 5);
		tmf_answered(&s, bhs, tmfs[i].want);
	}
	session_finish(&s);
}

/* Non-immediate ABORT TASK: RefCmdSN is compared with the window before its own CmdSN moved it. */
static void test_tmf_abort_task(void)
{
	struct session s;
	uint8_t bhs[ISCSI_BHS_LEN];

	session_init(&s);
	login_full(&s, NULL);
	/*
	 * Non-immediate ABORT TASKs, whose own CmdSN moves the window: one naming a command
	 * that never arrived (its CmdSN skipped, so it counts as received and aborted), then one
	 * naming a command long done.
	 */
	static const struct {
		uint32_t ref_back, skip;
		uint8_t want;
	} aborts[] = {{0, 1, TMF_RSP_COMPLETE}, {5, 0, TMF_RSP_NO_TASK}};
	for (size_t i = 0; i < ARRAY_SIZE(aborts); i++) {
		memset(bhs, 0, ISCSI_BHS_LEN);
		bhs[BHS_OPCODE] = OP_TMF_REQ;
		bhs[BHS_FLAGS] = BHS_FINAL | TMF_ABORT_TASK;
		put_be32(bhs + BHS_ITT, 0x950 + (uint32_t)i);
		put_be32(bhs + BHS_REF_TASK_TAG, 0x2);
		put_be32(bhs + BHS_REFCMDSN, s.cmdsn - aborts[i].ref_back);
		s.cmdsn += aborts[i].skip;
		put_be32(bhs + BHS_CMDSN, s.cmdsn++);
		tmf_answered(&s, bhs, aborts[i].want);
	}
	session_finish(&s);
}

static void test_logout_close(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t bhs[ISCSI_BHS_LEN];

	session_init(&s);
	login_full(&s, NULL);
	memset(bhs, 0, ISCSI_BHS_LEN);
	bhs[BHS_OPCODE] = OP_LOGOUT_REQ | BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = BHS_FINAL | LOGOUT_CLOSE_SESSION;
	put_be32(bhs + BHS_ITT, 0x77);
	put_be32(bhs + BHS_CMDSN, s.cmdsn);
	send_pdu(&s, bhs, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_LOGOUT_RSP);
	CHECK_EQ_INT(o.bhs[BHS_RESPONSE], LOGOUT_RSP_OK);
	CHECK_EQ_INT(conn_state(s.c), CONN_CLOSING);
	session_finish(&s);
}

static void test_rejects(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	session_init(&s);
	login_full(&s, NULL);
	/* An opcode nobody defined: Reject, carrying the offending header. */
	bhs[BHS_OPCODE] = 0x1b;
	bhs[BHS_FLAGS] = BHS_FINAL;
	put_be32(bhs + BHS_ITT, 0x4242);
	send_pdu(&s, bhs, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_REJECT);
	CHECK_EQ_INT(o.bhs[BHS_REJECT_REASON], REJECT_COMMAND_NOT_SUPPORTED);
	CHECK_EQ_INT(o.len, ISCSI_BHS_LEN);
	CHECK(o.len == ISCSI_BHS_LEN && get_be32(o.data + BHS_ITT) == 0x4242);
	/* SNACK at ErrorRecoveryLevel 0, and a Login in the full feature phase. */
	bhs[BHS_OPCODE] = OP_SNACK;
	send_pdu(&s, bhs, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(o.bhs[BHS_REJECT_REASON], REJECT_PROTOCOL_ERROR);
	bhs[BHS_OPCODE] = OP_LOGIN_REQ | BHS_IMMEDIATE;
	send_pdu(&s, bhs, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_REJECT);
	/* A data segment over our MaxRecvDataSegmentLength: rejected and skipped whole. */
	size_t big = 70000;
	uint8_t *junk = calloc(1, big);
	memset(bhs, 0, ISCSI_BHS_LEN);
	bhs[BHS_OPCODE] = OP_NOP_OUT | BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = BHS_FINAL;
	put_be32(bhs + BHS_ITT, 0x33);
	send_pdu(&s, bhs, junk, big);
	free(junk);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_REJECT);
	CHECK_EQ_INT(o.bhs[BHS_REJECT_REASON], REJECT_PROTOCOL_ERROR);
	CHECK(no_more_pdus(&s));
	/* ... and the stream is in step again. */
	uint8_t tur[16] = {0};
	scsi_cmd(&s, tur, 6, 0, false, false, false, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_SCSI_RSP);
	/* Unsolicited Data-Out of a refused write is dropped quietly; a made-up TTT is not. */
	memset(bhs, 0, ISCSI_BHS_LEN);
	bhs[BHS_OPCODE] = OP_DATA_OUT;
	bhs[BHS_FLAGS] = BHS_FINAL;
	put_be32(bhs + BHS_ITT, 0x12345);
	put_be32(bhs + BHS_TTT, ISCSI_RSVD_TAG);
	send_pdu(&s, bhs, "abcd", 4);
	CHECK(no_more_pdus(&s));
	put_be32(bhs + BHS_TTT, 0x99);
	send_pdu(&s, bhs, "abcd", 4);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(o.bhs[BHS_REJECT_REASON], REJECT_INVALID_PDU_FIELD);
	/* A command before login completes ends the connection. */
	session_finish(&s);
	session_init(&s);
	memset(bhs, 0, ISCSI_BHS_LEN);
	bhs[BHS_OPCODE] = OP_SCSI_CMD;
	send_pdu(&s, bhs, NULL, 0);
	CHECK_EQ_INT(conn_state(s.c), CONN_CLOSING);
	CHECK(no_more_pdus(&s));
	session_finish(&s);
}

static void test_digests(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	session_init(&s);
	login_full(&s, "HeaderDigest=CRC32C\nDataDigest=CRC32C");
	s.digests = true;
	/* Bad data digest: Reject with reason 2, connection kept. */
	bhs[BHS_OPCODE] = OP_NOP_OUT | BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = BHS_FINAL;
	put_be32(bhs + BHS_ITT, 0x21);
	pdu_set_dsl(bhs, 4);
	s.digests = false; /* send by hand */
	uint32_t hd = crc32c(bhs, ISCSI_BHS_LEN), bad = 0xdeadbeef;
	feed(&s, bhs, ISCSI_BHS_LEN);
	feed(&s, &hd, 4);
	feed(&s, "data", 4);
	feed(&s, &bad, 4);
	s.digests = true;
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_REJECT);
	CHECK_EQ_INT(o.bhs[BHS_REJECT_REASON], REJECT_DATA_DIGEST);
	/* With a good one, the echo comes back with its own data digest. */
	send_pdu(&s, bhs, "data", 4);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_NOP_IN);
	CHECK(o.len == 4 && get_le32(o.data + 4) == crc32c("data", 4));
	/* A header digest error cannot be recovered from: the connection ends. */
	feed(&s, bhs, ISCSI_BHS_LEN);
	feed(&s, &bad, 4);
	CHECK_EQ_INT(conn_state(s.c), CONN_CLOSING);
	session_finish(&s);
}

static void test_discovery(void)
{
	struct session s;
	struct out_pdu o;
	char all[64 * 1024];
	size_t got = 0;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	session_init(&s);
	login_keys(&s, 1, 3, true,
		   "InitiatorName=i\nSessionType=Discovery\nMaxRecvDataSegmentLength=512\n"
		   "MaxBurstLength=4096");
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(get_be16(o.bhs + BHS_LOGIN_STATUS), 0);
	CHECK_KEY(&o, "MaxBurstLength", "Irrelevant");
	/* A SCSI command has no place in a discovery session. */
	uint8_t tur[16] = {0};
	scsi_cmd(&s, tur, 6, 0, false, false, false, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_REJECT);

	bhs[BHS_OPCODE] = OP_TEXT_REQ | BHS_IMMEDIATE;
	bhs[BHS_FLAGS] = BHS_FINAL;
	put_be32(bhs + BHS_ITT, 0x61);
	put_be32(bhs + BHS_TTT, ISCSI_RSVD_TAG);
	send_pdu(&s, bhs, "SendTargets=All", 16);
	/* 30 targets do not fit in 512 bytes: the answer comes in pieces (C bit, TTT). */
	for (int rounds = 0; rounds < 100; rounds++) {
		CHECK(next_pdu(&s, &o));
		CHECK_EQ_INT(pdu_opcode(o.bhs), OP_TEXT_RSP);
		CHECK(o.len <= 512);
		memcpy(all + got, o.data, o.len);
		got += o.len;
		if (o.bhs[BHS_FLAGS] & BHS_FINAL) {
			CHECK_EQ_INT(get_be32(o.bhs + BHS_TTT), ISCSI_RSVD_TAG);
			break;
		}
		CHECK(o.bhs[BHS_FLAGS] & 0x40);
		put_be32(bhs + BHS_TTT, get_be32(o.bhs + BHS_TTT));
		send_pdu(&s, bhs, NULL, 0);
	}
	int names = 0;
	for (size_t p = 0; p < got; p += strlen(all + p) + 1) {
		if (!strncmp(all + p, "TargetName=", 11))
			names++;
		else
			CHECK(!strcmp(all + p, "TargetAddress=192.0.2.1:3260,1"));
	}
	CHECK_EQ_INT(names, (int)cat.n);
	session_finish(&s);
}

static void test_image_changes(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t cdb[16] = {SCSI_OP_READ_10};
	char copy[600], cmd[1300];

	/* Serve a copy, so that it can be removed and truncated under the session. */
	snprintf(copy, sizeof(copy), "%s/copy.iso", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", image_path, copy);
	CHECK_EQ_INT(system(cmd), 0);
	free(cat.entries[0].path);
	cat.entries[0].path = strdup("copy.iso");
	session_init(&s);
	login_full(&s, NULL);
	unlink(copy);
	put_be16(cdb + 7, 1);
	scsi_cmd(&s, cdb, 10, 2048, true, false, false, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_DATA_IN); /* the open file is still served */
	CHECK(o.bhs[BHS_FLAGS] & DATA_IN_STATUS);
	session_finish(&s);

	CHECK_EQ_INT(system(cmd), 0);
	session_init(&s);
	login_full(&s, NULL);
	CHECK_EQ_INT(truncate(copy, 10 * 2048), 0);
	put_be32(cdb + 2, 20);
	scsi_cmd(&s, cdb, 10, 2048, true, false, false, NULL, 0);
	expect_sense(&s, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
	put_be32(cdb + 2, 2); /* what is left still reads */
	scsi_cmd(&s, cdb, 10, 2048, true, false, false, NULL, 0);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_DATA_IN);
	session_finish(&s);
	unlink(copy);
	free(cat.entries[0].path);
	cat.entries[0].path = strdup("image.iso");
}

static void test_verify_data_out(void)
{
	struct session s;
	struct out_pdu o;
	uint8_t cdb[16] = {SCSI_OP_VERIFY_10, 0x02}; /* BYTCHK 01b */
	uint8_t data[40 * 2048];
	int fd = open(image_path, O_RDONLY);

	CHECK_EQ_INT(pread(fd, data, sizeof(data), 0), (ssize_t)sizeof(data));
	close(fd);
	session_init(&s);
	login_full(&s, "ImmediateData=Yes\nFirstBurstLength=65536\nMaxBurstLength=16384");
	/* All data immediate: compared at once. */
	put_be16(cdb + 7, 2);
	scsi_cmd(&s, cdb, 10, 4096, false, true, false, data, 4096);
	CHECK(next_pdu(&s, &o));
	CHECK_EQ_INT(o.bhs[BHS_STATUS], SCSI_GOOD);
	/* 40 blocks: 8 KiB immediate, the rest solicited by R2Ts of MaxBurstLength each. */
	data[50000] ^= 0xff;
	put_be16(cdb + 7, 40);
	scsi_cmd(&s, cdb, 10, sizeof(data), false, true, false, data, 8192);
	uint32_t itt = s.itt, received = 8192;
	for (int rounds = 0; rounds < 20 && next_pdu(&s, &o); rounds++) {
		if (pdu_opcode(o.bhs) != OP_R2T)
			break;
		uint32_t off = get_be32(o.bhs + BHS_BUFFER_OFFSET),
			 len = get_be32(o.bhs + BHS_DESIRED_DATA_LEN);
		CHECK_EQ_INT(off, received);
		CHECK(len <= 16384);
		for (uint32_t p = 0; p < len; p += 4096) {
			uint8_t bhs[ISCSI_BHS_LEN] = {0};
			bhs[BHS_OPCODE] = OP_DATA_OUT;
			bhs[BHS_FLAGS] = p + 4096 >= len ? BHS_FINAL : 0;
			put_be32(bhs + BHS_ITT, itt);
			put_be32(bhs + BHS_TTT, get_be32(o.bhs + BHS_TTT));
			put_be32(bhs + BHS_BUFFER_OFFSET, off + p);
			send_pdu(&s, bhs, data + off + p, 4096);
		}
		received += len;
	}
	CHECK_EQ_INT(received, sizeof(data));
	CHECK_EQ_INT(pdu_opcode(o.bhs), OP_SCSI_RSP);
	CHECK_EQ_INT(o.bhs[BHS_STATUS], SCSI_CHECK_CONDITION);
	CHECK(o.len >= 16 && (o.data[2 + 2] & 0x0f) == SENSE_MISCOMPARE);
	CHECK(o.len >= 16 && get_be32(o.data + 2 + 3) == 50000); /* offset of the difference */
	session_finish(&s);
}

static void test_garbage(void)
{
	struct session s;
	uint8_t junk[4096];
	uint32_t x = 12345;

	/* Noise on a fresh connection: it ends, nothing else. */
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			x = x * 1103515245 + 12345;
			junk[i] = (uint8_t)(x >> 16);
		}
		session_init(&s);
		feed(&s, junk, sizeof(junk));
		session_finish(&s);
	}
	/* And after login. */
	session_init(&s);
	login_full(&s, NULL);
	feed(&s, junk, sizeof(junk));
	session_finish(&s);
}

static int setup(void)
{
	dir = make_tmpdir();
	if (!dir)
		return -1;
	snprintf(image_path, sizeof(image_path), "%s/image.iso", dir);
	FILE *f = fopen(image_path, "w");
	for (int i = 0; i < IMAGE_BLOCKS * 2048; i++)
		fputc((i * 7 + i / 2048) & 0xff, f);
	fclose(f);
	catalog_init(&cat);
	for (int i = 0; i < 30; i++) {
		char id[64];
		snprintf(id, sizeof(id), "%s", i == 0 ? "test-0123456789ab" : "other");
		if (i)
			snprintf(id, sizeof(id), "other%02d-0123456789ab", i);
		struct catalog_entry *e =
		    fixture_entry(&cat, id, "image.iso", "", "image", "TESTLABEL");
		if (!e->iqn)
			return -1;
		e->size = IMAGE_BLOCKS * 2048;
	}
	env = (struct iscsi_env){
	    .catalog = &cat,
	    .iso_dir = dir,
	    .device_type = ISCSI_DEVICE_CDROM,
	    .portal = "192.0.2.1:3260",
	    .client = "192.0.2.99",
	};
	return 0;
}

int main(void)
{
	log_init("test-iscsi", LOG_TARGET_STDERR);
	log_set_max_level(LOG_ERR);
	if (setup() < 0)
		return 1;
	RUN(test_login_two_stages);
	RUN(test_login_values_rejected);
	RUN(test_login_refusals);
	RUN(test_login_continue);
	RUN(test_chap);
	RUN(test_read);
	RUN(test_scsi_errors);
	RUN(test_cmdsn_window);
	RUN(test_nop_ping);
	RUN(test_tmf_immediate);
	RUN(test_tmf_abort_task);
	RUN(test_logout_close);
	RUN(test_rejects);
	RUN(test_digests);
	RUN(test_discovery);
	RUN(test_image_changes);
	RUN(test_verify_data_out);
	RUN(test_garbage);
	catalog_finish(&cat);
	rm_rf(dir);
	free(dir);
	return tap_done();
}
