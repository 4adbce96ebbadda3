/* SPDX-License-Identifier: MIT */
/*
 * The login phase (RFC 7143 sections 6 and 11.12): the security stage with CHAP, the operational
 * stage, and the transition to the full feature phase.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "chap.h"
#include "conn-internal.h"
#include "log.h"
#include "text.h"
#include "util.h"

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

	bhs[BHS_OPCODE] = OP_LOGIN_RSP;
	if (status == LOGIN_OK) {
		bhs[BHS_FLAGS] = (uint8_t)((transit ? LOGIN_TRANSIT : 0) | (c->stage << 2) |
					   (transit ? nsg : 0));
		if (keys && keys->len) {
			data = TAKE_PTR(keys->buf);
			len = keys->len;
			keys->len = keys->cap = 0;
		}
	}
	bhs[BHS_VERSION_MAX] = 0x00;
	bhs[BHS_VERSION_ACTIVE] = 0x00;
	memcpy(bhs + BHS_ISID, c->isid, BHS_ISID_LEN);
	put_be16(bhs + BHS_TSIH, c->tsih);
	memcpy(bhs + BHS_ITT, req->bhs + BHS_ITT, 4);
	tx_set_stat_sn(c, bhs);
	tx_set_cmd_window(c, bhs);
	put_be16(bhs + BHS_LOGIN_STATUS, status);
	tx_queue_pdu(c, bhs, data, len);
}

static void login_fail(struct conn *c, const struct iscsi_pdu *req, uint16_t status,
		       const char *why)
{
	log_login(c, status, why);
	login_respond(c, req, status, false, 0, NULL);
	conn_close(c, "login refused");
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
		if (!negotiate_list_choose(a, md5, 1)) {
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
			if (!ii || !negotiate_number(ii, 0, 255, &id) || clen <= 0) {
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
			if (!negotiate_list_contains(am, "CHAP")) {
				text_out_add(out, "AuthMethod", "Reject");
				*why = "CHAP is required";
				return LOGIN_AUTH_FAILED;
			}
			text_out_add(out, "AuthMethod", "CHAP");
			c->auth_chap = true;
			c->chap_step = 1;
			return LOGIN_OK;
		}
		if (!negotiate_list_contains(am, "None")) {
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

	memcpy(c->isid, req->bhs + BHS_ISID, BHS_ISID_LEN);
	c->cid = get_be16(req->bhs + BHS_CID);
	c->exp_cmd_sn = get_be32(req->bhs + BHS_CMDSN);
	if (req->bhs[BHS_VERSION_MIN] > 0x00) { /* above what we speak (RFC 7143: 0x00) */
		*why = "version-min above 0";
		return LOGIN_UNSUPPORTED_VERSION;
	}
	if (!in || !*in) {
		*why = "no InitiatorName";
		return LOGIN_MISSING_PARAMETER;
	}
	snprintf(c->initiator, sizeof(c->initiator), "%s", in);
	if (get_be16(req->bhs + BHS_TSIH) != 0) {
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

/* The header's checks: NULL, or why the request is an initiator error. */
static const char *login_check_header(struct conn *c, const struct iscsi_pdu *req)
{
	uint8_t flags = req->bhs[BHS_FLAGS];
	bool transit = flags & LOGIN_TRANSIT, cont = flags & LOGIN_CONTINUE;
	int csg = LOGIN_CSG(flags), nsg = LOGIN_NSG(flags);

	if (!c->first_login_seen) {
		/* The first request sets the ISID, so that even a refusal echoes it. */
		memcpy(c->isid, req->bhs + BHS_ISID, BHS_ISID_LEN);
		c->exp_cmd_sn = get_be32(req->bhs + BHS_CMDSN);
	} else if (memcmp(c->isid, req->bhs + BHS_ISID, BHS_ISID_LEN) != 0) {
		return "ISID changed during login";
	}
	if (csg == 2 || csg == STAGE_FULL_FEATURE || (transit && (nsg == 2 || nsg <= csg)) ||
	    (transit && cont))
		return "invalid stage transition";
	if (c->first_login_seen && csg != c->stage)
		return "stage changed without a transition";
	return NULL;
}

/* Text split over several PDUs: appends this piece. LOGIN_OK or the status to fail with. */
static uint16_t login_gather_text(struct conn *c, const struct iscsi_pdu *req, const char **why)
{
	if (!req->data_len)
		return LOGIN_OK;
	if (c->text_acc_len + req->data_len > LOGIN_TEXT_MAX) {
		*why = "login text too long";
		return LOGIN_INITIATOR_ERROR;
	}
	uint8_t *n = realloc(c->text_acc, c->text_acc_len + req->data_len);
	if (!n) {
		*why = "out of memory";
		return LOGIN_OUT_OF_RESOURCES;
	}
	c->text_acc = n;
	memcpy(c->text_acc + c->text_acc_len, req->data, req->data_len);
	c->text_acc_len += req->data_len;
	return LOGIN_OK;
}

/* Parses the gathered text into keys, and drops it. NULL, or why it is an initiator error. */
static const char *login_parse_text(struct conn *c, struct text_list *keys)
{
	int r = text_parse(c->text_acc ? c->text_acc : (const uint8_t *)"", c->text_acc_len, keys);

	free(c->text_acc);
	c->text_acc = NULL;
	c->text_acc_len = 0;
	if (r < 0)
		return "malformed key=value text";
	/* RFC 7143 6.1: a key is not offered twice in one negotiation sequence. */
	for (size_t i = 0; i < keys->n; i++)
		for (size_t j = i + 1; j < keys->n; j++)
			if (streq(keys->pairs[i].key, keys->pairs[j].key)) {
				text_list_finish(keys);
				return "a key given twice";
			}
	return NULL;
}

/* The keys that only one stage takes: the first request's, and authentication's. */
static uint16_t login_stage_keys(struct conn *c, const struct iscsi_pdu *req, int csg,
				 struct text_list *keys, struct text_out *out, const char **why)
{
	uint16_t status = LOGIN_OK;

	if (!c->first_login_seen) {
		c->first_login_seen = true;
		c->stage = csg;
		status = login_first(c, req, keys, why);
		if (status == LOGIN_OK && csg == STAGE_OPERATIONAL &&
		    !str_empty(c->env->chap_user)) {
			status = LOGIN_AUTH_FAILED;
			*why = "CHAP is required, but the login skipped the security stage";
		}
		if (status == LOGIN_OK && csg == STAGE_OPERATIONAL)
			c->auth_done = true;
	}
	if (status != LOGIN_OK)
		return status;
	if (c->stage == STAGE_SECURITY)
		return login_security(c, keys, out, why);
	for (size_t i = 0; i < keys->n; i++)
		if (streq(keys->pairs[i].key, "AuthMethod") ||
		    !strncmp(keys->pairs[i].key, "CHAP_", 5)) {
			status = LOGIN_INITIATOR_ERROR;
			*why = "security keys outside the security stage";
		}
	return status;
}

/* What we declare once per login without being asked. */
static void login_declare(struct conn *c, struct text_out *out)
{
	if (!c->discovery && !c->sent_tpgt) {
		text_out_add(out, "TargetPortalGroupTag", "1");
		if (c->entry && c->entry->name)
			text_out_add(out, "TargetAlias", c->entry->name);
		c->sent_tpgt = true;
	}
	if (c->stage == STAGE_OPERATIONAL && !c->sent_our_mrdsl) {
		text_out_addf(out, "MaxRecvDataSegmentLength", "%u", OUR_MAX_RECV_DSL);
		c->sent_our_mrdsl = true;
	}
}

void login_handle(struct conn *c, const struct iscsi_pdu *req)
{
	uint8_t flags = req->bhs[BHS_FLAGS];
	bool transit = flags & LOGIN_TRANSIT, cont = flags & LOGIN_CONTINUE;
	int csg = LOGIN_CSG(flags), nsg = LOGIN_NSG(flags);
	struct text_list keys = {0};
	struct text_out out = {0};
	const char *why = login_check_header(c, req);
	uint16_t status = LOGIN_OK;

	if (why) {
		login_fail(c, req, LOGIN_INITIATOR_ERROR, why);
		return;
	}
	status = login_gather_text(c, req, &why);
	if (status != LOGIN_OK) {
		login_fail(c, req, status, why);
		return;
	}
	/* Each piece of a split text is acknowledged with an empty reply. */
	if (cont) {
		if (!c->first_login_seen)
			c->stage = csg;
		c->first_login_seen = true;
		login_respond(c, req, LOGIN_OK, false, 0, NULL);
		return;
	}
	why = login_parse_text(c, &keys);
	if (why) {
		login_fail(c, req, LOGIN_INITIATOR_ERROR, why);
		return;
	}
	status = login_stage_keys(c, req, csg, &keys, &out, &why);
	if (status != LOGIN_OK) {
		text_list_finish(&keys);
		text_out_finish(&out);
		login_fail(c, req, status, why);
		return;
	}
	/* Operational keys may come in either stage; the answers follow the same rules. */
	negotiate_rest(c, &keys, &out);
	text_list_finish(&keys);
	login_declare(c, &out);
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
