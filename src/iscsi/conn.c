/* SPDX-License-Identifier: MIT */
#include "conn.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "chap.h"
#include "crc32c.h"
#include "iscsi.h"
#include "log.h"
#include "pdu.h"
#include "scsi.h"
#include "text.h"
#include "util.h"

/* What we accept in one data segment, and declare as MaxRecvDataSegmentLength. */
#define OUR_MAX_RECV_DSL 65536u
/* The most we put in one Data-In segment, whatever the initiator allows: bounds our memory. */
#define OUR_MAX_SEND_DSL (256u * 1024u)
#define CMDSN_WINDOW 64u
#define OUTQ_MAX 128u
#define ARENA_SIZE (512u * 1024u)
#define IOV_BATCH 256
#define SENDFILE_MIN 16384u /* smaller file segments are copied: one syscall for many PDUs */
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

/* ---- small helpers ---- */

static void set_status_sn(struct conn *c, uint8_t *bhs)
{
	put_be32(bhs + 24, c->stat_sn++);
}

static void set_cmd_window(const struct conn *c, uint8_t *bhs)
{
	put_be32(bhs + 28, c->exp_cmd_sn);
	put_be32(bhs + 32, c->exp_cmd_sn + CMDSN_WINDOW - 1);
}

static struct out_item *out_push(struct conn *c)
{
	if (c->out_count >= OUTQ_MAX)
		return NULL;
	struct out_item *it = &c->outq[(c->out_head + c->out_count++) % OUTQ_MAX];
	memset(it, 0, sizeof(*it));
	return it;
}

/* Queues a PDU; takes ownership of data. */
static void queue_pdu(struct conn *c, const uint8_t bhs[ISCSI_BHS_LEN], void *data, size_t len)
{
	struct out_item *it = out_push(c);

	if (!it) {
		/* conn_received() never lets the queue fill while PDUs are handled. */
		free(data);
		c->state = CONN_CLOSING;
		conn_set_end_reason(c, "internal error: output queue overflow");
		return;
	}
	memcpy(it->bhs, bhs, ISCSI_BHS_LEN);
	/* Digests start with the first PDU after the final Login Response. */
	it->digests = c->state == CONN_FULL_FEATURE;
	it->data = data;
	it->data_len = len;
	pdu_set_dsl(it->bhs, (uint32_t)len);
}

static void reject(struct conn *c, const struct iscsi_pdu *pdu, uint8_t reason)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	uint8_t *copy = malloc(ISCSI_BHS_LEN);

	if (copy)
		memcpy(copy, pdu->bhs, ISCSI_BHS_LEN);
	bhs[0] = OP_REJECT;
	bhs[1] = BHS_FINAL;
	bhs[2] = reason;
	put_be32(bhs + 16, ISCSI_RSVD_TAG);
	set_status_sn(c, bhs);
	set_cmd_window(c, bhs);
	queue_pdu(c, bhs, copy, copy ? ISCSI_BHS_LEN : 0);
	log_debug("Rejected a PDU with opcode 0x%02x: reason 0x%02x", pdu_opcode(pdu->bhs), reason);
}

static bool parse_number(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		if (!v[2] || strlen(v) > 18)
			return false;
		for (const char *p = v + 2; *p; p++) {
			int d = (*p >= '0' && *p <= '9')   ? *p - '0'
				: (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
				: (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
							   : -1;
			if (d < 0)
				return false;
			n = n << 4 | (uint64_t)d;
		}
	} else if (parse_u64(v, 0, UINT64_MAX, &n) < 0) {
		return false;
	}
	if (n < min || n > max)
		return false;
	*out = n;
	return true;
}

static bool list_contains(const char *list, const char *item)
{
	size_t il = strlen(item);

	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		if (l == il && memcmp(p, item, il) == 0)
			return true;
		p += l;
		if (*p == ',')
			p++;
	}
	return false;
}

/* The first value of an initiator's list that we support, in its order of preference. */
static const char *list_choose(const char *list, const char *const *ours, size_t n)
{
	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		for (size_t i = 0; i < n; i++)
			if (strlen(ours[i]) == l && memcmp(p, ours[i], l) == 0)
				return ours[i];
		p += l;
		if (*p == ',')
			p++;
	}
	return NULL;
}

/* ---- negotiation (RFC 7143 section 13) ---- */

enum key_kind {
	KEY_NUM_MIN,
	KEY_NUM_MAX,
	KEY_BOOL_AND,
	KEY_BOOL_OR,
	KEY_DIGEST,
	KEY_DECLARATIVE,
};

struct key_rule {
	const char *name;
	enum key_kind kind;
	uint32_t min, max;
	uint32_t ours; /* numeric keys: our value; booleans: 1 = Yes */
	bool discovery_irrelevant;
	size_t offset; /* into struct params, for numbers and booleans */
};

#define P(f) offsetof(struct params, f)

static const struct key_rule key_rules[] = {
    {"HeaderDigest", KEY_DIGEST, 0, 0, 0, false, P(header_digest)},
    {"DataDigest", KEY_DIGEST, 0, 0, 0, false, P(data_digest)},
    {"MaxConnections", KEY_NUM_MIN, 1, 65535, 1, true, P(max_connections)},
    {"InitialR2T", KEY_BOOL_OR, 0, 1, 1, true, P(initial_r2t)},
    {"ImmediateData", KEY_BOOL_AND, 0, 1, 1, true, P(immediate_data)},
    {"MaxRecvDataSegmentLength", KEY_DECLARATIVE, 512, 16777215, 0, false, P(peer_max_recv_dsl)},
    {"MaxBurstLength", KEY_NUM_MIN, 512, 16777215, 16776192, true, P(max_burst)},
    {"FirstBurstLength", KEY_NUM_MIN, 512, 16777215, 65536, true, P(first_burst)},
    {"DefaultTime2Wait", KEY_NUM_MAX, 0, 3600, 2, false, P(time2wait)},
    {"DefaultTime2Retain", KEY_NUM_MIN, 0, 3600, 0, false, P(time2retain)},
    {"MaxOutstandingR2T", KEY_NUM_MIN, 1, 65535, 1, true, P(max_outstanding_r2t)},
    {"DataPDUInOrder", KEY_BOOL_OR, 0, 1, 1, true, 0},
    {"DataSequenceInOrder", KEY_BOOL_OR, 0, 1, 1, true, 0},
    {"ErrorRecoveryLevel", KEY_NUM_MIN, 0, 2, 0, false, P(error_recovery_level)},
};

static void params_default(struct params *p)
{
	*p = (struct params){
	    .peer_max_recv_dsl = 8192,
	    .max_burst = 262144,
	    .first_burst = 65536,
	    .initial_r2t = true,
	    .immediate_data = true,
	    .max_connections = 1,
	    .time2wait = 2,
	    .time2retain = 20,
	    .max_outstanding_r2t = 1,
	};
}

static void answer_rule(struct conn *c, const struct key_rule *r, const char *v,
			struct text_out *out)
{
	uint64_t n;

	if (c->discovery && r->discovery_irrelevant) {
		text_out_add(out, r->name, "Irrelevant");
		return;
	}
	switch (r->kind) {
	case KEY_DIGEST: {
		static const char *const ours[] = {"None", "CRC32C"};
		const char *pick = list_choose(v, ours, ARRAY_SIZE(ours));
		if (!pick) {
			text_out_add(out, r->name, "Reject");
			return;
		}
		*(bool *)((char *)&c->p + r->offset) = streq(pick, "CRC32C");
		text_out_add(out, r->name, pick);
		return;
	}
	case KEY_NUM_MIN:
	case KEY_NUM_MAX:
		if (!parse_number(v, r->min, r->max, &n)) {
			text_out_add(out, r->name, "Reject");
			return;
		}
		if (r->kind == KEY_NUM_MIN)
			n = n < r->ours ? n : r->ours;
		else
			n = n > r->ours ? n : r->ours;
		*(uint32_t *)((char *)&c->p + r->offset) = (uint32_t)n;
		text_out_addf(out, r->name, "%" PRIu64, n);
		return;
	case KEY_BOOL_AND:
	case KEY_BOOL_OR: {
		bool b;
		if (streq(v, "Yes"))
			b = true;
		else if (streq(v, "No"))
			b = false;
		else {
			text_out_add(out, r->name, "Reject");
			return;
		}
		b = r->kind == KEY_BOOL_AND ? (b && r->ours) : (b || r->ours);
		if (r->offset)
			*(bool *)((char *)&c->p + r->offset) = b;
		text_out_add(out, r->name, b ? "Yes" : "No");
		return;
	}
	case KEY_DECLARATIVE:
		if (!parse_number(v, r->min, r->max, &n)) {
			text_out_add(out, r->name, "Reject");
			return;
		}
		*(uint32_t *)((char *)&c->p + r->offset) = (uint32_t)n;
		return; /* declarations are not answered */
	}
}

/* Answers the keys no other code consumed. */
static void negotiate_rest(struct conn *c, struct text_list *keys, struct text_out *out)
{
	for (size_t i = 0; i < keys->n; i++) {
		struct text_pair *kp = &keys->pairs[i];
		bool done = false;

		if (kp->answered)
			continue;
		kp->answered = true;
		for (size_t k = 0; k < ARRAY_SIZE(key_rules) && !done; k++)
			if (streq(kp->key, key_rules[k].name)) {
				if (strlen(kp->value) > TEXT_VALUE_MAX)
					text_out_add(out, kp->key, "Reject");
				else
					answer_rule(c, &key_rules[k], kp->value, out);
				done = true;
			}
		if (done)
			continue;
		/* Declarations that need no answer. */
		if (streq(kp->key, "InitiatorAlias") || streq(kp->key, "InitiatorName") ||
		    streq(kp->key, "SessionType") || streq(kp->key, "TargetName"))
			continue;
		/* RFC 3720 markers, gone from RFC 7143: say no rather than confuse old initiators.
		 */
		if (streq(kp->key, "IFMarker") || streq(kp->key, "OFMarker"))
			text_out_add(out, kp->key, "No");
		else if (streq(kp->key, "IFMarkInt") || streq(kp->key, "OFMarkInt"))
			text_out_add(out, kp->key, "Irrelevant");
		else if (streq(kp->key, "RDMAExtensions"))
			text_out_add(out, kp->key, "No");
		else if (streq(kp->key, "iSCSIProtocolLevel")) {
			uint64_t n;
			if (parse_number(kp->value, 0, 31, &n))
				text_out_add(out, kp->key, n >= 1 ? "1" : "0");
			else
				text_out_add(out, kp->key, "Reject");
		} else if (streq(kp->key, "TaskReporting"))
			text_out_add(out, kp->key,
				     list_contains(kp->value, "RFC3720") ? "RFC3720" : "Reject");
		else if (streq(kp->key, "SendTargets") || streq(kp->key, "TargetAddress") ||
			 streq(kp->key, "TargetPortalGroupTag") || streq(kp->key, "TargetAlias"))
			text_out_add(out, kp->key, "Irrelevant");
		else
			text_out_add(out, kp->key, "NotUnderstood");
	}
}

/* ---- login ---- */

static const char *login_status_text(uint16_t s)
{
	switch (s) {
	case LOGIN_OK:
		return "success";
	case LOGIN_AUTH_FAILED:
		return "authentication failure";
	case LOGIN_NOT_FOUND:
		return "target not found";
	case LOGIN_TARGET_REMOVED:
		return "target removed";
	case LOGIN_UNSUPPORTED_VERSION:
		return "unsupported version";
	case LOGIN_MISSING_PARAMETER:
		return "missing parameter";
	case LOGIN_SESSION_TYPE_UNSUPPORTED:
		return "session type not supported";
	case LOGIN_NO_SESSION:
		return "session does not exist";
	case LOGIN_INVALID_DURING_LOGIN:
		return "invalid request during login";
	case LOGIN_OUT_OF_RESOURCES:
		return "out of resources";
	case LOGIN_TARGET_ERROR:
		return "target error";
	default:
		return "initiator error";
	}
}

static void log_login(struct conn *c, uint16_t status, const char *why)
{
	char st[8];
	snprintf(st, sizeof(st), "%04x", status);
	struct log_field f[] = {
	    {"ISOBOOT_CLIENT", c->env->client},
	    {"ISOBOOT_INITIATOR", c->initiator},
	    {"ISOBOOT_TARGET", c->discovery ? "discovery" : c->target},
	    {"ISOBOOT_ISO", c->entry ? c->entry->path : ""},
	    {"ISOBOOT_LOGIN_STATUS", st},
	    {NULL, NULL},
	};
	if (status == LOGIN_OK)
		log_full(LOG_INFO, 0, MSGID_ISCSI_LOGIN, f, "Login from %s (%s): %s session%s%s%s",
			 c->env->client, c->initiator[0] ? c->initiator : "?",
			 c->discovery ? "discovery" : "normal", c->entry ? " to " : "",
			 c->entry ? c->entry->path : "", c->auth_chap ? ", CHAP" : "");
	else
		log_full(LOG_WARNING, 0, MSGID_ISCSI_LOGIN, f,
			 "Login from %s (%s) refused: %s (%04x)%s%s", c->env->client,
			 c->initiator[0] ? c->initiator : "?", login_status_text(status), status,
			 why ? ": " : "", why ? why : "");
}

static void login_respond(struct conn *c, const struct iscsi_pdu *req, uint16_t status,
			  bool transit, int nsg, struct text_out *keys)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	void *data = NULL;
	size_t len = 0;

	bhs[0] = OP_LOGIN_RSP;
	if (status == LOGIN_OK) {
		bhs[1] = (uint8_t)((transit ? LOGIN_TRANSIT : 0) | (c->stage << 2) |
				   (transit ? nsg : 0));
		if (keys && keys->len) {
			data = TAKE_PTR(keys->buf);
			len = keys->len;
			keys->len = keys->cap = 0;
		}
	}
	bhs[2] = 0x00; /* version max */
	bhs[3] = 0x00; /* version active */
	memcpy(bhs + 8, c->isid, 6);
	put_be16(bhs + 14, c->tsih);
	memcpy(bhs + 16, req->bhs + 16, 4); /* ITT */
	set_status_sn(c, bhs);
	set_cmd_window(c, bhs);
	bhs[36] = (uint8_t)(status >> 8);
	bhs[37] = (uint8_t)status;
	queue_pdu(c, bhs, data, len);
}

static void login_fail(struct conn *c, const struct iscsi_pdu *req, uint16_t status,
		       const char *why)
{
	log_login(c, status, why);
	login_respond(c, req, status, false, 0, NULL);
	c->state = CONN_CLOSING;
	conn_set_end_reason(c, "login refused");
}

static int open_target(struct conn *c)
{
	struct stat st;
	int fd = catalog_open_image(c->env->iso_dir, c->entry, &st);

	if (fd < 0)
		return fd;
	c->image_fd = fd;
	snprintf(c->iso_path, sizeof(c->iso_path), "%s", c->entry->path);
	scsi_lun_init(&c->lun, fd, (uint64_t)st.st_size, c->env->device_type, c->entry->id,
		      c->entry->label ? c->entry->label : "", c->entry->iqn);
	return 0;
}

/* CHAP, in the security stage. Returns a login status; LOGIN_OK while all is well. */
static uint16_t login_chap(struct conn *c, struct text_list *keys, struct text_out *out,
			   const char **why)
{
	const struct iscsi_env *e = c->env;
	const char *a = text_get(keys, "CHAP_A"), *n = text_get(keys, "CHAP_N"),
		   *r = text_get(keys, "CHAP_R"), *ii = text_get(keys, "CHAP_I"),
		   *ic = text_get(keys, "CHAP_C");

	for (size_t i = 0; i < keys->n; i++)
		if (!strncmp(keys->pairs[i].key, "CHAP_", 5))
			keys->pairs[i].answered = true;

	if (c->chap_step == 1) {
		if (!a) {
			*why = "CHAP_A missing";
			return LOGIN_AUTH_FAILED;
		}
		static const char *const md5[] = {"5"};
		if (!list_choose(a, md5, 1)) {
			text_out_add(out, "CHAP_A", "Reject");
			*why = "no CHAP algorithm in common (MD5 only)";
			return LOGIN_AUTH_FAILED;
		}
		char hex[2 * CHAP_CHALLENGE_LEN + 3];
		if (chap_random(&c->chap_id, 1) < 0 ||
		    chap_random(c->chap_challenge, sizeof(c->chap_challenge)) < 0) {
			*why = "no random numbers";
			return LOGIN_TARGET_ERROR;
		}
		chap_encode_hex(c->chap_challenge, sizeof(c->chap_challenge), hex);
		text_out_add(out, "CHAP_A", "5");
		text_out_addf(out, "CHAP_I", "%u", c->chap_id);
		text_out_add(out, "CHAP_C", hex);
		c->chap_step = 2;
		return LOGIN_OK;
	}
	if (c->chap_step == 2) {
		uint8_t got[CHAP_MAX_BINARY], want[16];
		if (!n || !r) {
			*why = "CHAP_N or CHAP_R missing";
			return LOGIN_AUTH_FAILED;
		}
		int glen = chap_decode(r, got, sizeof(got));
		chap_response(c->chap_id, e->chap_secret, c->chap_challenge,
			      sizeof(c->chap_challenge), want);
		if (!streq(n, e->chap_user) || glen != 16 || !chap_digest_equal(got, want)) {
			*why = "wrong CHAP name or response";
			return LOGIN_AUTH_FAILED;
		}
		bool mutual = !str_empty(e->chap_mutual_user);
		if (ii || ic) {
			uint8_t chal[CHAP_MAX_BINARY], resp[16];
			uint64_t id;
			int clen = ic ? chap_decode(ic, chal, sizeof(chal)) : -1;
			if (!mutual) {
				*why = "initiator asked for mutual CHAP, which is not configured";
				return LOGIN_AUTH_FAILED;
			}
			if (!ii || !parse_number(ii, 0, 255, &id) || clen <= 0) {
				*why = "bad CHAP_I or CHAP_C from the initiator";
				return LOGIN_AUTH_FAILED;
			}
			/* A reflected challenge would let an attacker use us as an oracle. */
			if ((size_t)clen == sizeof(c->chap_challenge) &&
			    !memcmp(chal, c->chap_challenge, (size_t)clen)) {
				*why = "initiator reflected our CHAP challenge";
				return LOGIN_AUTH_FAILED;
			}
			char hex[2 * 16 + 3];
			chap_response((uint8_t)id, e->chap_mutual_secret, chal, (size_t)clen, resp);
			chap_encode_hex(resp, 16, hex);
			text_out_add(out, "CHAP_N", e->chap_mutual_user);
			text_out_add(out, "CHAP_R", hex);
		} else if (mutual) {
			*why = "mutual CHAP is required";
			return LOGIN_AUTH_FAILED;
		}
		c->auth_done = true;
		c->chap_step = 3;
		return LOGIN_OK;
	}
	return LOGIN_OK;
}

/* Keys of the security stage; LOGIN_OK or the status to fail with. */
static uint16_t login_security(struct conn *c, struct text_list *keys, struct text_out *out,
			       const char **why)
{
	const char *am = text_get(keys, "AuthMethod");
	bool want_chap = !str_empty(c->env->chap_user);

	if (am) {
		for (size_t i = 0; i < keys->n; i++)
			if (streq(keys->pairs[i].key, "AuthMethod"))
				keys->pairs[i].answered = true;
		if (c->chap_step != 0) {
			*why = "AuthMethod offered twice";
			return LOGIN_INITIATOR_ERROR;
		}
		if (want_chap) {
			if (!list_contains(am, "CHAP")) {
				text_out_add(out, "AuthMethod", "Reject");
				*why = "CHAP is required";
				return LOGIN_AUTH_FAILED;
			}
			text_out_add(out, "AuthMethod", "CHAP");
			c->auth_chap = true;
			c->chap_step = 1;
			return LOGIN_OK;
		}
		if (!list_contains(am, "None")) {
			text_out_add(out, "AuthMethod", "Reject");
			*why = "no authentication method in common (CHAP is not configured)";
			return LOGIN_AUTH_FAILED;
		}
		text_out_add(out, "AuthMethod", "None");
		c->auth_done = true;
		c->chap_step = 3;
		return LOGIN_OK;
	}
	if (c->auth_chap && c->chap_step < 3)
		return login_chap(c, keys, out, why);
	for (size_t i = 0; i < keys->n; i++)
		if (!strncmp(keys->pairs[i].key, "CHAP_", 5)) {
			*why = "CHAP keys without AuthMethod=CHAP";
			return LOGIN_INITIATOR_ERROR;
		}
	return LOGIN_OK;
}

/* The first Login Request names the initiator, the session type and the target. */
static uint16_t login_first(struct conn *c, const struct iscsi_pdu *req, struct text_list *keys,
			    const char **why)
{
	const char *in = text_get(keys, "InitiatorName"), *st = text_get(keys, "SessionType"),
		   *tn = text_get(keys, "TargetName");

	memcpy(c->isid, req->bhs + 8, 6);
	c->cid = get_be16(req->bhs + 20);
	c->exp_cmd_sn = get_be32(req->bhs + 24);
	if (req->bhs[3] > 0x00) { /* Version-min above what we speak (RFC 7143: 0x00) */
		*why = "version-min above 0";
		return LOGIN_UNSUPPORTED_VERSION;
	}
	if (!in || !*in) {
		*why = "no InitiatorName";
		return LOGIN_MISSING_PARAMETER;
	}
	snprintf(c->initiator, sizeof(c->initiator), "%s", in);
	if (get_be16(req->bhs + 14) != 0) {
		/* We never hand out a session to add connections to or to reinstate. */
		*why = "TSIH of an existing session";
		return LOGIN_NO_SESSION;
	}
	if (!st || streq(st, "Normal")) {
		c->discovery = false;
	} else if (streq(st, "Discovery")) {
		c->discovery = true;
	} else {
		*why = "unknown SessionType";
		return LOGIN_SESSION_TYPE_UNSUPPORTED;
	}
	if (c->discovery)
		return LOGIN_OK;
	if (!tn || !*tn) {
		*why = "no TargetName";
		return LOGIN_MISSING_PARAMETER;
	}
	snprintf(c->target, sizeof(c->target), "%s", tn);
	c->entry = catalog_find_iqn(c->env->catalog, tn);
	if (!c->entry) {
		*why = "no such target in the catalog";
		return LOGIN_NOT_FOUND;
	}
	int r = open_target(c);
	if (r < 0) {
		c->entry = NULL;
		*why = "its ISO cannot be opened";
		log_warning_errno(r, "Cannot open the ISO of %s", tn);
		return LOGIN_TARGET_REMOVED;
	}
	return LOGIN_OK;
}

static void handle_login(struct conn *c, const struct iscsi_pdu *req)
{
	uint8_t flags = req->bhs[1];
	bool transit = flags & LOGIN_TRANSIT, cont = flags & LOGIN_CONTINUE;
	int csg = LOGIN_CSG(flags), nsg = LOGIN_NSG(flags);
	struct text_list keys = {0};
	struct text_out out = {0};
	const char *why = NULL;
	uint16_t status = LOGIN_OK;

	if (!c->first_login_seen) {
		/* The first request sets the ISID, so that even a refusal echoes it. */
		memcpy(c->isid, req->bhs + 8, 6);
		c->exp_cmd_sn = get_be32(req->bhs + 24);
	} else if (memcmp(c->isid, req->bhs + 8, 6) != 0) {
		login_fail(c, req, LOGIN_INITIATOR_ERROR, "ISID changed during login");
		return;
	}
	if (csg == 2 || csg == STAGE_FULL_FEATURE || (transit && (nsg == 2 || nsg <= csg)) ||
	    (transit && cont)) {
		login_fail(c, req, LOGIN_INITIATOR_ERROR, "invalid stage transition");
		return;
	}
	if (c->first_login_seen && csg != c->stage) {
		login_fail(c, req, LOGIN_INITIATOR_ERROR, "stage changed without a transition");
		return;
	}

	/* Text split over several PDUs: gather it, acknowledge each piece with an empty reply. */
	if (req->data_len) {
		if (c->text_acc_len + req->data_len > LOGIN_TEXT_MAX) {
			login_fail(c, req, LOGIN_INITIATOR_ERROR, "login text too long");
			return;
		}
		uint8_t *n = realloc(c->text_acc, c->text_acc_len + req->data_len);
		if (!n) {
			login_fail(c, req, LOGIN_OUT_OF_RESOURCES, "out of memory");
			return;
		}
		c->text_acc = n;
		memcpy(c->text_acc + c->text_acc_len, req->data, req->data_len);
		c->text_acc_len += req->data_len;
	}
	if (cont) {
		if (!c->first_login_seen)
			c->stage = csg;
		c->first_login_seen = true;
		login_respond(c, req, LOGIN_OK, false, 0, NULL);
		return;
	}
	int r = text_parse(c->text_acc ? c->text_acc : (const uint8_t *)"", c->text_acc_len, &keys);
	free(c->text_acc);
	c->text_acc = NULL;
	c->text_acc_len = 0;
	if (r < 0) {
		login_fail(c, req, LOGIN_INITIATOR_ERROR, "malformed key=value text");
		return;
	}
	/* RFC 7143 6.1: a key is not offered twice in one negotiation sequence. */
	for (size_t i = 0; i < keys.n; i++)
		for (size_t j = i + 1; j < keys.n; j++)
			if (streq(keys.pairs[i].key, keys.pairs[j].key)) {
				text_list_finish(&keys);
				login_fail(c, req, LOGIN_INITIATOR_ERROR, "a key given twice");
				return;
			}

	if (!c->first_login_seen) {
		c->first_login_seen = true;
		c->stage = csg;
		status = login_first(c, req, &keys, &why);
		if (status == LOGIN_OK && csg == STAGE_OPERATIONAL &&
		    !str_empty(c->env->chap_user)) {
			status = LOGIN_AUTH_FAILED;
			why = "CHAP is required, but the login skipped the security stage";
		}
		if (status == LOGIN_OK && csg == STAGE_OPERATIONAL)
			c->auth_done = true;
	}
	if (status == LOGIN_OK) {
		if (c->stage == STAGE_SECURITY) {
			status = login_security(c, &keys, &out, &why);
		} else {
			for (size_t i = 0; i < keys.n; i++)
				if (streq(keys.pairs[i].key, "AuthMethod") ||
				    !strncmp(keys.pairs[i].key, "CHAP_", 5)) {
					status = LOGIN_INITIATOR_ERROR;
					why = "security keys outside the security stage";
				}
		}
	}
	if (status != LOGIN_OK) {
		text_list_finish(&keys);
		text_out_finish(&out);
		login_fail(c, req, status, why);
		return;
	}
	/* Operational keys may come in either stage; the answers follow the same rules. */
	negotiate_rest(c, &keys, &out);
	text_list_finish(&keys);

	if (!c->discovery && !c->sent_tpgt) {
		text_out_add(&out, "TargetPortalGroupTag", "1");
		if (c->entry && c->entry->name)
			text_out_add(&out, "TargetAlias", c->entry->name);
		c->sent_tpgt = true;
	}
	if (c->stage == STAGE_OPERATIONAL && !c->sent_our_mrdsl) {
		text_out_addf(&out, "MaxRecvDataSegmentLength", "%u", OUR_MAX_RECV_DSL);
		c->sent_our_mrdsl = true;
	}
	if (out.error) {
		text_out_finish(&out);
		login_fail(c, req, LOGIN_OUT_OF_RESOURCES, "response too large");
		return;
	}
	if (out.len > c->p.peer_max_recv_dsl && out.len > 8192) {
		text_out_finish(&out);
		login_fail(c, req, LOGIN_TARGET_ERROR,
			   "response larger than the initiator accepts");
		return;
	}

	/* Transit when asked, unless authentication still has steps to go. */
	bool go = transit && (c->stage != STAGE_SECURITY || c->auth_done);
	if (go && nsg == STAGE_FULL_FEATURE) {
		uint16_t t = (uint16_t)(getpid() & 0xffff);
		c->tsih = t ? t : 1;
	}
	login_respond(c, req, LOGIN_OK, go, nsg, &out);
	text_out_finish(&out);
	if (go) {
		c->stage = nsg;
		if (nsg == STAGE_FULL_FEATURE) {
			c->state = CONN_FULL_FEATURE;
			log_login(c, LOGIN_OK, NULL);
		}
	}
}

/* ---- full feature phase ---- */

/* Checks CmdSN: true when the command is to be executed. */
static bool cmdsn_accept(struct conn *c, const uint8_t *bhs)
{
	uint32_t sn = get_be32(bhs + 24);

	if (bhs[0] & BHS_IMMEDIATE)
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

static bool lun_is_zero(const uint8_t *lun)
{
	/* Single-level LUN 0 in any addressing method. */
	return (lun[0] & 0x3f) == 0 && lun[1] == 0 && !lun[2] && !lun[3] && !lun[4] && !lun[5] &&
	       !lun[6] && !lun[7];
}

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
	bhs[0] = OP_SCSI_RSP;
	bhs[1] = (uint8_t)(BHS_FINAL | flags);
	bhs[2] = 0x00; /* command completed at target */
	bhs[3] = status;
	put_be32(bhs + 16, itt);
	set_status_sn(c, bhs);
	set_cmd_window(c, bhs);
	put_be32(bhs + 36, datasn); /* ExpDataSN: Data-In PDUs sent */
	put_be32(bhs + 44, residual);
	queue_pdu(c, bhs, data, len);
}

static void send_r2t(struct conn *c, struct dout_task *t)
{
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	uint32_t want = t->needed - t->received;

	if (want > c->p.max_burst)
		want = c->p.max_burst;
	bhs[0] = OP_R2T;
	bhs[1] = BHS_FINAL;
	memcpy(bhs + 8, t->lun, 8);
	put_be32(bhs + 16, t->itt);
	put_be32(bhs + 20, t->ttt);
	put_be32(bhs + 24, c->stat_sn); /* R2T does not take a StatSN of its own */
	set_cmd_window(c, bhs);
	put_be32(bhs + 36, t->r2tsn++);
	put_be32(bhs + 40, t->received);
	put_be32(bhs + 44, want);
	t->burst_end = t->received + want;
	queue_pdu(c, bhs, NULL, 0);
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

static void handle_data_out(struct conn *c, const struct iscsi_pdu *pdu)
{
	uint32_t itt = get_be32(pdu->bhs + 16), ttt = get_be32(pdu->bhs + 20);
	uint32_t off = get_be32(pdu->bhs + 40);
	struct dout_task *t = NULL;

	for (size_t i = 0; i < MAX_DATA_OUT_TASKS; i++)
		if (c->dout[i].used && c->dout[i].itt == itt)
			t = &c->dout[i];
	if (!t) {
		/* Data of a refused write, sent before our answer arrived: dropped. */
		if (ttt != ISCSI_RSVD_TAG)
			reject(c, pdu, REJECT_INVALID_PDU_FIELD);
		return;
	}
	if ((ttt != ISCSI_RSVD_TAG && ttt != t->ttt) || off != t->received ||
	    pdu->data_len > t->needed - t->received) {
		/* DataPDUInOrder=Yes: anything else is a protocol error for this task. */
		reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	dout_take(c, t, pdu->data, pdu->data_len);
	if (t->received == t->needed) {
		dout_complete(c, t);
		return;
	}
	if ((pdu->bhs[1] & BHS_FINAL) && t->received >= t->burst_end)
		send_r2t(c, t);
}

/* Starts a VERIFY's data transfer: immediate data first, then R2Ts for the rest. */
static void dout_start(struct conn *c, const struct iscsi_pdu *pdu, uint32_t edtl)
{
	struct dout_task *t = NULL;
	uint32_t itt = get_be32(pdu->bhs + 16);

	for (size_t i = 0; i < MAX_DATA_OUT_TASKS && !t; i++)
		if (!c->dout[i].used)
			t = &c->dout[i];
	if (!t) {
		queue_scsi_response(c, itt, 0x28 /* TASK SET FULL */, 0, 0, 0, NULL, 0);
		return;
	}
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->itt = itt;
	t->ttt = ++c->next_ttt == ISCSI_RSVD_TAG ? ++c->next_ttt : c->next_ttt;
	t->edtl = edtl;
	t->needed = edtl < c->res.verify.len ? edtl : c->res.verify.len;
	t->verify = c->res.verify;
	memcpy(t->lun, pdu->bhs + 8, 8);
	if (pdu->data_len)
		dout_take(c, t, pdu->data, pdu->data_len);
	if (t->received == t->needed)
		dout_complete(c, t);
	else
		send_r2t(c, t);
}

static void handle_scsi_cmd(struct conn *c, const struct iscsi_pdu *pdu)
{
	const uint8_t *b = pdu->bhs;
	uint32_t itt = get_be32(b + 16), edtl = get_be32(b + 20);
	bool rd = b[1] & CMD_READ, wr = b[1] & CMD_WRITE;
	uint8_t cdb[260];
	size_t cdb_len = 16;
	struct scsi_result *res = &c->res;

	if (c->discovery) {
		reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	if (!cmdsn_accept(c, b))
		return;
	memcpy(cdb, b + 32, 16);
	/* An Extended CDB AHS carries the bytes past the 16th. */
	for (size_t o = 0; pdu->ahs && o + 4 <= pdu->ahs_len;) {
		size_t al = get_be16(pdu->ahs + o);
		uint8_t type = pdu->ahs[o + 2];
		if (o + 3 + al > pdu->ahs_len)
			break;
		if (type == 1 && al >= 1 && al - 1 <= sizeof(cdb) - 16) {
			memcpy(cdb + 16, pdu->ahs + o + 4, al - 1);
			cdb_len = 16 + al - 1;
		}
		o += pad4(3 + al);
	}
	c->commands++;
	if (lun_is_zero(b + 8))
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
	if (send == 0) {
		queue_scsi_response(c, itt, res->status, rflags, residual, 0, res->sense,
				    res->sense_len);
		return;
	}
	struct out_item *it = out_push(c);
	if (!it) {
		c->state = CONN_CLOSING;
		conn_set_end_reason(c, "internal error: output queue overflow");
		return;
	}
	it->data_in = true;
	it->itt = itt;
	it->total = send;
	it->burst_left = c->p.max_burst;
	it->status_in_final = true; /* GOOD status: phase collapse into the last Data-In */
	it->final_flags = rflags;
	it->residual = residual;
	it->stat_sn = c->stat_sn++;
	if (res->from_file) {
		it->from_file = true;
		it->file_off = res->file_off;
		c->bytes_read += send;
	} else {
		it->data = malloc(send);
		if (!it->data) {
			c->state = CONN_CLOSING;
			conn_set_end_reason(c, "out of memory");
			return;
		}
		memcpy(it->data, res->buf, send);
		it->data_len = send;
	}
}

static void handle_nop_out(struct conn *c, const struct iscsi_pdu *pdu)
{
	uint32_t itt = get_be32(pdu->bhs + 16);
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	if (!cmdsn_accept(c, pdu->bhs))
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
	bhs[0] = OP_NOP_IN;
	bhs[1] = BHS_FINAL;
	memcpy(bhs + 8, pdu->bhs + 8, 8);
	put_be32(bhs + 16, itt);
	put_be32(bhs + 20, ISCSI_RSVD_TAG);
	set_status_sn(c, bhs);
	set_cmd_window(c, bhs);
	queue_pdu(c, bhs, echo, len);
}

static void handle_tmf(struct conn *c, const struct iscsi_pdu *pdu)
{
	const uint8_t *b = pdu->bhs;
	uint8_t fn = b[1] & 0x7f, rsp;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};
	uint32_t cmdsn = get_be32(b + 24), refcmdsn = get_be32(b + 32);

	if (c->discovery) {
		reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	if (!cmdsn_accept(c, b))
		return;
	switch (fn) {
	case TMF_ABORT_TASK:
		/*
		 * Commands complete before the next PDU is read, so the task is gone. If its
		 * command never arrived (RefCmdSN still ahead of us), it counts as received and
		 * aborted (RFC 7143 11.5.1).
		 */
		if (!lun_is_zero(b + 8))
			rsp = TMF_RSP_NO_LUN;
		else if (sn_le(c->exp_cmd_sn, refcmdsn) && sn_lt(refcmdsn, cmdsn))
			rsp = TMF_RSP_COMPLETE;
		else
			rsp = TMF_RSP_NO_TASK;
		break;
	case TMF_ABORT_TASK_SET:
	case TMF_CLEAR_TASK_SET:
	case TMF_CLEAR_ACA:
	case TMF_LUN_RESET:
		if (!lun_is_zero(b + 8)) {
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
	bhs[0] = OP_TMF_RSP;
	bhs[1] = BHS_FINAL;
	bhs[2] = rsp;
	memcpy(bhs + 16, b + 16, 4);
	set_status_sn(c, bhs);
	set_cmd_window(c, bhs);
	queue_pdu(c, bhs, NULL, 0);
	log_debug("Task management function %u: response %u", fn, rsp);
	if (fn == TMF_TARGET_COLD_RESET && rsp == TMF_RSP_COMPLETE) {
		c->state = CONN_CLOSING; /* a cold reset ends every session */
		conn_set_end_reason(c, "target cold reset");
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
			c->state = CONN_CLOSING;
			return;
		}
		memcpy(data, c->text_pending + c->text_pending_off, n);
	}
	c->text_pending_off += n;
	bhs[0] = OP_TEXT_RSP;
	bhs[1] = last ? BHS_FINAL : 0x40; /* C: more follows */
	memcpy(bhs + 8, req_bhs + 8, 8);
	memcpy(bhs + 16, req_bhs + 16, 4);
	put_be32(bhs + 20, last ? ISCSI_RSVD_TAG : c->text_pending_ttt);
	set_status_sn(c, bhs);
	set_cmd_window(c, bhs);
	queue_pdu(c, bhs, data, n);
	if (last) {
		free(c->text_pending);
		c->text_pending = NULL;
		c->text_pending_len = c->text_pending_off = 0;
	}
}

static void handle_text(struct conn *c, const struct iscsi_pdu *pdu)
{
	const uint8_t *b = pdu->bhs;
	uint32_t ttt = get_be32(b + 20);
	struct text_list keys;
	struct text_out out = {0};

	if (!cmdsn_accept(c, b))
		return;
	if (ttt != ISCSI_RSVD_TAG) {
		if (!c->text_pending || ttt != c->text_pending_ttt) {
			reject(c, pdu, REJECT_INVALID_PDU_FIELD);
			return;
		}
		text_continue(c, b);
		return;
	}
	/* A new request replaces whatever was pending. */
	free(c->text_pending);
	c->text_pending = NULL;
	if (b[1] & 0x40) { /* C: the request continues in the next PDU */
		if (c->text_acc_len + pdu->data_len > LOGIN_TEXT_MAX) {
			reject(c, pdu, REJECT_PROTOCOL_ERROR);
			return;
		}
		uint8_t *n = realloc(c->text_acc, c->text_acc_len + pdu->data_len);
		if (!n) {
			reject(c, pdu, REJECT_PROTOCOL_ERROR);
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
		bhs[0] = OP_TEXT_RSP;
		memcpy(bhs + 8, b + 8, 8);
		memcpy(bhs + 16, b + 16, 4);
		put_be32(bhs + 20, c->text_pending_ttt);
		set_status_sn(c, bhs);
		set_cmd_window(c, bhs);
		queue_pdu(c, bhs, NULL, 0);
		return;
	}
	int r;
	if (c->text_acc) {
		uint8_t *n = realloc(c->text_acc, c->text_acc_len + pdu->data_len + 1);
		if (n && pdu->data_len)
			memcpy(n + c->text_acc_len, pdu->data, pdu->data_len);
		r = n ? text_parse(n, c->text_acc_len + pdu->data_len, &keys) : -ENOMEM;
		free(n ? n : c->text_acc);
		c->text_acc = NULL;
		c->text_acc_len = 0;
	} else {
		r = text_parse(pdu->data ? pdu->data : (const uint8_t *)"", pdu->data_len, &keys);
	}
	if (r < 0) {
		reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	for (size_t i = 0; i < keys.n; i++) {
		struct text_pair *kp = &keys.pairs[i];
		kp->answered = true;
		if (streq(kp->key, "SendTargets")) {
			if (streq(kp->value, "All") || !*kp->value ||
			    catalog_find_iqn(c->env->catalog, kp->value))
				send_targets(c, kp->value, &out);
			/* An unknown name gets an empty answer, as RFC 7143 appendix C shows. */
		} else if (streq(kp->key, "MaxRecvDataSegmentLength")) {
			uint64_t n;
			if (parse_number(kp->value, 512, 16777215, &n))
				c->p.peer_max_recv_dsl = (uint32_t)n;
			else
				text_out_add(&out, kp->key, "Reject");
		} else {
			text_out_add(&out, kp->key, "NotUnderstood");
		}
	}
	text_list_finish(&keys);
	if (out.error) {
		text_out_finish(&out);
		reject(c, pdu, REJECT_PROTOCOL_ERROR);
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
	uint8_t reason = pdu->bhs[1] & 0x7f;
	uint8_t bhs[ISCSI_BHS_LEN] = {0};

	if (!cmdsn_accept(c, pdu->bhs))
		return;
	bhs[0] = OP_LOGOUT_RSP;
	bhs[1] = BHS_FINAL;
	bhs[2] =
	    reason == LOGOUT_REMOVE_FOR_RECOVERY ? LOGOUT_RSP_RECOVERY_UNSUPPORTED : LOGOUT_RSP_OK;
	memcpy(bhs + 16, pdu->bhs + 16, 4);
	set_status_sn(c, bhs);
	set_cmd_window(c, bhs);
	put_be16(bhs + 40, (uint16_t)c->p.time2wait);
	put_be16(bhs + 42, (uint16_t)c->p.time2retain);
	queue_pdu(c, bhs, NULL, 0);
	if (bhs[2] == LOGOUT_RSP_OK) {
		c->state = CONN_CLOSING;
		conn_set_end_reason(c, "logout");
	}
}

static void handle_pdu(struct conn *c, const struct iscsi_pdu *pdu)
{
	uint8_t op = pdu_opcode(pdu->bhs);

	if (c->state == CONN_LOGIN) {
		if (op != OP_LOGIN_REQ || pdu->data_oversized || pdu->data_digest_bad) {
			/* Nothing but Login is allowed before the full feature phase (RFC
			 * 7143 6.3). */
			log_warning("Login from %s: protocol error (opcode 0x%02x during login)",
				    c->env->client, op);
			c->state = CONN_CLOSING;
			conn_set_end_reason(c, "protocol error during login");
			return;
		}
		handle_login(c, pdu);
		return;
	}
	if (pdu->data_oversized) {
		reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	}
	if (pdu->data_digest_bad) {
		reject(c, pdu, REJECT_DATA_DIGEST);
		return;
	}
	switch (op) {
	case OP_SCSI_CMD:
		handle_scsi_cmd(c, pdu);
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
		handle_data_out(c, pdu);
		return;
	case OP_LOGIN_REQ:
		reject(c, pdu, REJECT_PROTOCOL_ERROR);
		return;
	case OP_SNACK:
		reject(c, pdu, REJECT_PROTOCOL_ERROR); /* ErrorRecoveryLevel 0 */
		return;
	default:
		reject(c, pdu, REJECT_COMMAND_NOT_SUPPORTED);
		return;
	}
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
	params_default(&c->p);
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
			c->state = CONN_CLOSING;
			conn_set_end_reason(c, "header digest error");
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

/* ---- output ---- */

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

static int flush_data_in(struct conn *c, struct flush_state *fs, struct out_item *it)
{
	bool digests = c->p.data_digest;
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
		uint8_t bhs[ISCSI_BHS_LEN] = {0};

		bhs[0] = OP_DATA_IN;
		bhs[1] = seq_end ? BHS_FINAL : 0;
		if (last && it->status_in_final) {
			bhs[1] |= DATA_IN_STATUS | it->final_flags;
			bhs[3] = SCSI_GOOD;
			put_be32(bhs + 24, it->stat_sn);
			put_be32(bhs + 44, it->residual);
		}
		pdu_set_dsl(bhs, seg);
		put_be32(bhs + 16, it->itt);
		put_be32(bhs + 20, ISCSI_RSVD_TAG);
		set_cmd_window(c, bhs);
		put_be32(bhs + 36, it->datasn);
		put_be32(bhs + 40, it->sent);

		size_t pad = pad4(seg) - seg;
		bool use_sendfile = it->from_file && !digests && seg >= SENDFILE_MIN;
		r = fs_reserve(fs, use_sendfile ? 0 : seg);
		if (r < 0)
			return r;
		r = emit_header(c, fs, bhs, true);
		if (r < 0)
			return r;
		if (use_sendfile) {
			/* Header and data leave together: MSG_MORE, then zero-copy from the cache.
			 */
			r = fs_drain(fs, true);
			if (r < 0)
				return r;
			uint64_t avail =
			    it->file_off < c->lun.size ? c->lun.size - it->file_off : 0;
			size_t from_file = avail < seg ? (size_t)avail : seg;
			ssize_t n = from_file ? fs->sink->sendfile(fs->sink->ctx, c->image_fd,
								   it->file_off, from_file, true)
					      : 0;
			if (n < 0)
				return (int)n;
			if ((size_t)n < from_file)
				shrank = true;
			r = fs_push_zeros(fs, seg - (size_t)n + pad);
			if (r < 0)
				return r;
		} else {
			const uint8_t *src;
			if (it->from_file) {
				uint8_t *dst = c->arena + fs->arena_used;
				r = read_image(c, dst, it->file_off, seg, &shrank);
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
			if (r == 0 && digests) {
				uint32_t crc = crc32c_update(~0u, src, seg);
				crc = ~crc32c_update(crc, zeros, pad);
				r = emit_data_digest(fs, crc);
			}
			if (r < 0)
				return r;
		}
		it->sent += seg;
		it->file_off += seg;
		it->datasn++;
		it->burst_left -= seg;
		if (!it->burst_left)
			it->burst_left = c->p.max_burst;
		if (shrank) {
			/*
			 * The image lost bytes between the size check and the read. What went out
			 * was padded with zeros and no status can say so any more: end the session
			 * rather than let the initiator take zeros for data.
			 */
			log_full(LOG_ERR, 0, NULL,
				 (const struct log_field[]){{"ISOBOOT_ISO", c->iso_path},
							    {"ISOBOOT_CLIENT", c->env->client},
							    {NULL, NULL}},
				 "%s shrank while %s was reading it; closing the session",
				 c->iso_path, c->env->client);
			c->state = CONN_CLOSING;
			conn_set_end_reason(c, "ISO shrank during a read");
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
					set_cmd_window(c, it->bhs);
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
