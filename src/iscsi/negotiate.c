/* SPDX-License-Identifier: MIT */
/* Login and text key negotiation (RFC 7143 section 13): the rules of each key and our answers. */
#include <inttypes.h>

#include "conn-internal.h"
#include "text.h"
#include "util.h"

bool negotiate_number(const char *v, uint64_t min, uint64_t max, uint64_t *out)
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

bool negotiate_list_contains(const char *list, const char *item)
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

const char *negotiate_list_choose(const char *list, const char *const *ours, size_t n)
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
	size_t offset; /* into struct params, for numbers and booleans; or NOT_KEPT */
};

#define P(f) offsetof(struct params, f)
/* A key answered but not kept: we only ever send data in order. (Not 0: that is a field.) */
#define NOT_KEPT SIZE_MAX

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
    {"DataPDUInOrder", KEY_BOOL_OR, 0, 1, 1, true, NOT_KEPT},
    {"DataSequenceInOrder", KEY_BOOL_OR, 0, 1, 1, true, NOT_KEPT},
    {"ErrorRecoveryLevel", KEY_NUM_MIN, 0, 2, 0, false, P(error_recovery_level)},
};

void negotiate_defaults(struct params *p)
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
		const char *pick = negotiate_list_choose(v, ours, ARRAY_SIZE(ours));
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
		if (!negotiate_number(v, r->min, r->max, &n)) {
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
		if (r->offset != NOT_KEPT)
			*(bool *)((char *)&c->p + r->offset) = b;
		text_out_add(out, r->name, b ? "Yes" : "No");
		return;
	}
	case KEY_DECLARATIVE:
		if (!negotiate_number(v, r->min, r->max, &n)) {
			text_out_add(out, r->name, "Reject");
			return;
		}
		*(uint32_t *)((char *)&c->p + r->offset) = (uint32_t)n;
		return; /* declarations are not answered */
	}
}

void negotiate_rest(struct conn *c, struct text_list *keys, struct text_out *out)
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
			if (negotiate_number(kp->value, 0, 31, &n))
				text_out_add(out, kp->key, n >= 1 ? "1" : "0");
			else
				text_out_add(out, kp->key, "Reject");
		} else if (streq(kp->key, "TaskReporting"))
			text_out_add(out, kp->key,
				     negotiate_list_contains(kp->value, "RFC3720") ? "RFC3720"
										   : "Reject");
		else if (streq(kp->key, "SendTargets") || streq(kp->key, "TargetAddress") ||
			 streq(kp->key, "TargetPortalGroupTag") || streq(kp->key, "TargetAlias"))
			text_out_add(out, kp->key, "Irrelevant");
		else
			text_out_add(out, kp->key, "NotUnderstood");
	}
}
