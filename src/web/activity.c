/* SPDX-License-Identifier: MIT */
/*
 * The recent boots, from the journal: walking back from the newest entry, the access entries of
 * isoboot-menu and the logins of isoboot-iscsi are gathered into boots, one per client, ISO and
 * method, while the sessions' end entries give the iSCSI byte counts and the ProxyDHCP answers
 * the MACs.
 */
#include "activity.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "log.h"
#include "parse.h"
#include "util.h"

/*
 * Session ends waiting for their login (met later in the walk back). Once full, the oldest
 * waiting is dropped: a session that outlived that many others reports no byte count.
 */
#define PENDING_MAX 1024

#define FIELD_MAX 256 /* longer than any field isoboot logs: an IQN is at most 223 bytes */

struct pending_end {
	char pid[16];
	char client[64];
	char target[FIELD_MAX];
	uint64_t bytes;
};

/* A boot being gathered. */
struct walk_boot {
	struct web_boot b;
	uint64_t mac_time; /* when the ProxyDHCP answer that gave b.mac was logged */
};

struct walk {
	struct walk_boot *boots;
	size_t n_boots, allocated;
	size_t *open; /* indexes of the boots a next (older) entry may still extend */
	size_t n_open, open_allocated;
	struct pending_end *pending;
	size_t n_pending;
};

static void boot_clear(struct web_boot *b)
{
	free(b->client);
	free(b->mac);
	free(b->iso);
}

void web_boots_free(struct web_boot *b, size_t n)
{
	if (!b)
		return;
	for (size_t i = 0; i < n; i++)
		boot_clear(&b[i]);
	free(b);
}

static void walk_finish(struct walk *w)
{
	for (size_t i = 0; i < w->n_boots; i++)
		boot_clear(&w->boots[i].b);
	free(w->boots);
	free(w->open);
	free(w->pending);
}

/*
 * The value of the current entry's field name, copied into buf (size bytes). -ENOENT when the
 * entry has none, -E2BIG when it is longer than any value isoboot writes, -EBADMSG when it holds
 * a NUL.
 */
static int get_field(sd_journal *j, const char *name, char *buf, size_t size)
{
	const void *data;
	size_t len, nl = strlen(name);
	int r = sd_journal_get_data(j, name, &data, &len);

	if (r < 0)
		return r;
	if (len < nl + 1 || memcmp(data, name, nl) != 0 || ((const char *)data)[nl] != '=')
		return -EBADMSG;
	len -= nl + 1;
	if (len >= size)
		return -E2BIG;
	memcpy(buf, (const char *)data + nl + 1, len);
	buf[len] = '\0';
	return strlen(buf) == len ? 0 : -EBADMSG;
}

/* Forgets the boots an entry at time t (or older) can no longer extend. */
static void close_boots(struct walk *w, uint64_t t)
{
	size_t k = 0;

	for (size_t i = 0; i < w->n_open; i++)
		if (w->boots[w->open[i]].b.time <= t + WEB_ACTIVITY_GAP_USEC)
			w->open[k++] = w->open[i];
	w->n_open = k;
}

/* Counts one request or login at time t into the open boot it continues, or starts one. */
static int add_event(struct walk *w, enum web_boot_method method, const char *client,
		     const char *iso, uint64_t t, uint64_t bytes, bool bytes_known)
{
	for (size_t i = 0; i < w->n_open; i++) {
		struct walk_boot *wb = &w->boots[w->open[i]];
		struct web_boot *b = &wb->b;
		if (b->method == method && streq(b->client, client) && streq(b->iso, iso)) {
			/* The walk goes back in time, but a clock set back can break that. */
			if (t < b->time)
				b->time = t;
			/* The MAC is the answer's just before the boot began: one met between
			 * its sessions or requests gives way to an older one. */
			if (b->mac && wb->mac_time > b->time) {
				free(b->mac);
				b->mac = NULL;
			}
			b->bytes += bytes;
			b->bytes_known |= bytes_known;
			return 0;
		}
	}
	if (w->n_boots == w->allocated) {
		size_t a = w->allocated ? w->allocated * 2 : 32;
		struct walk_boot *nb = realloc(w->boots, a * sizeof(*nb));
		if (!nb)
			return -ENOMEM;
		w->boots = nb;
		w->allocated = a;
	}
	if (w->n_open == w->open_allocated) {
		size_t a = w->open_allocated ? w->open_allocated * 2 : 32;
		size_t *no = realloc(w->open, a * sizeof(*no));
		if (!no)
			return -ENOMEM;
		w->open = no;
		w->open_allocated = a;
	}
	w->boots[w->n_boots] = (struct walk_boot){0};
	struct web_boot *b = &w->boots[w->n_boots].b;
	*b = (struct web_boot){
	    .time = t,
	    .client = strdup(client),
	    .iso = strdup(iso),
	    .method = method,
	    .bytes = bytes,
	    .bytes_known = bytes_known,
	};
	if (!b->client || !b->iso) {
		boot_clear(b);
		return -ENOMEM;
	}
	w->open[w->n_open++] = w->n_boots++;
	return 0;
}

static int on_http(struct walk *w, sd_journal *j, uint64_t t)
{
	char iso[FIELD_MAX], client[64], status[16], bytes[32];
	uint64_t st, nbytes = 0;

	/* Menus, memdisk: no ISO served. */
	if (get_field(j, "ISOBOOT_ISO", iso, sizeof(iso)) < 0 || !iso[0] ||
	    get_field(j, "ISOBOOT_CLIENT", client, sizeof(client)) < 0 ||
	    get_field(j, "ISOBOOT_HTTP_STATUS", status, sizeof(status)) < 0 ||
	    parse_u64(status, 0, 999, &st) < 0)
		return 0;
	/* A refused or failed request served no part of the ISO. */
	if (st < 200 || st >= 400)
		return 0;
	if (get_field(j, "ISOBOOT_BYTES", bytes, sizeof(bytes)) == 0)
		(void)parse_u64(bytes, 0, UINT64_MAX, &nbytes);
	return add_event(w, WEB_BOOT_HTTP, client, iso, t, nbytes, true);
}

/*
 * The fields that tie a session's end entry to its login: one isoboot-iscsi process serves one
 * connection (Accept=yes), so the process id, with the client and target, tells sessions apart.
 * -ENOENT for a discovery session (target "discovery", no ISO) or a login that found no ISO.
 */
static int session_key(sd_journal *j, struct pending_end *k)
{
	char iso[FIELD_MAX];

	if (get_field(j, "ISOBOOT_CLIENT", k->client, sizeof(k->client)) < 0 ||
	    get_field(j, "ISOBOOT_TARGET", k->target, sizeof(k->target)) < 0 ||
	    !strchr(k->target, ':') || get_field(j, "ISOBOOT_ISO", iso, sizeof(iso)) < 0 || !iso[0])
		return -ENOENT;
	if (get_field(j, "_PID", k->pid, sizeof(k->pid)) < 0)
		k->pid[0] = '\0';
	return 0;
}

static int on_session_end(struct walk *w, sd_journal *j)
{
	struct pending_end e;
	char bytes[32];

	/* A connection that ended before its login completed carries no byte count. */
	if (session_key(j, &e) < 0 || get_field(j, "ISOBOOT_BYTES", bytes, sizeof(bytes)) < 0 ||
	    parse_u64(bytes, 0, UINT64_MAX, &e.bytes) < 0)
		return 0;
	if (!w->pending) {
		w->pending = malloc(PENDING_MAX * sizeof(*w->pending));
		if (!w->pending)
			return -ENOMEM;
	}
	if (w->n_pending == PENDING_MAX) {
		memmove(w->pending, w->pending + 1, (PENDING_MAX - 1) * sizeof(*w->pending));
		w->n_pending--;
	}
	w->pending[w->n_pending++] = e;
	return 0;
}

static int on_login(struct walk *w, sd_journal *j, uint64_t t)
{
	struct pending_end k;
	char status[16];
	uint64_t bytes = 0;
	bool known = false;

	if (get_field(j, "ISOBOOT_LOGIN_STATUS", status, sizeof(status)) < 0 ||
	    !streq(status, "0000") || session_key(j, &k) < 0)
		return 0;
	/* The target is <iqn_prefix>:<id>, and an id has no ':' (catalog_make_id). */
	const char *id = strrchr(k.target, ':') + 1;
	if (!*id)
		return 0;
	/* Its end is the nearest one after it: the one the walk met last. */
	for (size_t i = w->n_pending; i-- > 0;) {
		const struct pending_end *e = &w->pending[i];
		if (streq(e->pid, k.pid) && streq(e->client, k.client) &&
		    streq(e->target, k.target)) {
			bytes = e->bytes;
			known = true;
			memmove(&w->pending[i], &w->pending[i + 1],
				(w->n_pending - i - 1) * sizeof(*w->pending));
			w->n_pending--;
			break;
		}
	}
	return add_event(w, WEB_BOOT_ISCSI, k.client, id, t, bytes, known);
}

static int on_dhcp(struct walk *w, sd_journal *j, uint64_t t)
{
	char client[64], mac[32];

	/* A broadcast from a client without an address yet comes from 0.0.0.0, which is no
	 * boot's client. */
	if (get_field(j, "ISOBOOT_CLIENT", client, sizeof(client)) < 0 ||
	    get_field(j, "ISOBOOT_MAC", mac, sizeof(mac)) < 0 || !mac[0])
		return 0;
	/* The boots that follow this answer closely enough to still be open. */
	for (size_t i = 0; i < w->n_open; i++) {
		struct walk_boot *wb = &w->boots[w->open[i]];
		if (!wb->b.mac && wb->b.time >= t && streq(wb->b.client, client)) {
			wb->b.mac = strdup(mac);
			if (!wb->b.mac)
				return -ENOMEM;
			wb->mac_time = t;
		}
	}
	return 0;
}

static int cmp_boots(const void *pa, const void *pb)
{
	const struct web_boot *a = &((const struct walk_boot *)pa)->b;
	const struct web_boot *b = &((const struct walk_boot *)pb)->b;
	int r;

	if (a->time != b->time)
		return a->time > b->time ? -1 : 1;
	/* Same microsecond: any fixed order, so that answers do not flicker. */
	if ((r = strcmp(a->client, b->client)) != 0)
		return r;
	if ((r = strcmp(a->iso, b->iso)) != 0)
		return r;
	return (int)a->method - (int)b->method;
}

static int open_journal(const char *journal_dir, sd_journal **j)
{
	int r = journal_dir ? sd_journal_open_directory(j, journal_dir, 0)
			    : sd_journal_open(j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	if (r < 0)
		return r;
	/*
	 * (access entries of isoboot-menu) or logins or session ends or ProxyDHCP answers: the
	 * index does the filtering, so isoboot-web's own access entries (the page polls) do not
	 * use up the entries read.
	 */
	if ((r = sd_journal_add_match(*j, "MESSAGE_ID=" MSGID_HTTP_ACCESS, 0)) < 0 ||
	    (r = sd_journal_add_match(*j, "SYSLOG_IDENTIFIER=isoboot-menu", 0)) < 0 ||
	    (r = sd_journal_add_disjunction(*j)) < 0 ||
	    (r = sd_journal_add_match(*j, "MESSAGE_ID=" MSGID_ISCSI_LOGIN, 0)) < 0 ||
	    (r = sd_journal_add_match(*j, "MESSAGE_ID=" MSGID_ISCSI_SESSION_END, 0)) < 0 ||
	    (r = sd_journal_add_match(*j, "MESSAGE_ID=" MSGID_DHCP_ANSWER, 0)) < 0 ||
	    (r = sd_journal_seek_tail(*j)) < 0) {
		sd_journal_close(*j);
		*j = NULL;
	}
	return r;
}

/* Reads back from the newest entry until max boots are settled or a bound is reached. */
static int walk_journal(struct walk *w, sd_journal *j, uint64_t since, size_t max)
{
	char msgid[40];
	uint64_t t;
	int r;

	for (size_t seen = 0; seen < WEB_ACTIVITY_SCAN_MAX; seen++) {
		r = sd_journal_previous(j);
		if (r == 0)
			break;
		if (r < 0) {
			log_debug_errno(r, "Stopped reading the journal for recent boots");
			break;
		}
		if (sd_journal_get_realtime_usec(j, &t) < 0)
			continue;
		if (t < since)
			break;
		close_boots(w, t);
		/* No older entry can change the closed boots, or start a later one. */
		if (w->n_boots - w->n_open >= max)
			break;
		if (get_field(j, "MESSAGE_ID", msgid, sizeof(msgid)) < 0)
			continue;
		if (streq(msgid, MSGID_HTTP_ACCESS))
			r = on_http(w, j, t);
		else if (streq(msgid, MSGID_ISCSI_LOGIN))
			r = on_login(w, j, t);
		else if (streq(msgid, MSGID_ISCSI_SESSION_END))
			r = on_session_end(w, j);
		else if (streq(msgid, MSGID_DHCP_ANSWER))
			r = on_dhcp(w, j, t);
		else
			r = 0;
		if (r < 0)
			return r;
	}
	return 0;
}

int web_activity_read(const char *journal_dir, uint64_t since, size_t max, struct web_boot **out,
		      size_t *n)
{
	struct walk w = {0};
	sd_journal *j = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if (max == 0)
		return 0;
	r = open_journal(journal_dir, &j);
	if (r < 0)
		return r;
	r = walk_journal(&w, j, since, max);
	sd_journal_close(j);
	if (r < 0) {
		walk_finish(&w);
		return r;
	}
	if (w.n_boots)
		qsort(w.boots, w.n_boots, sizeof(*w.boots), cmp_boots);
	size_t keep = w.n_boots < max ? w.n_boots : max;
	struct web_boot *b = keep ? calloc(keep, sizeof(*b)) : NULL;
	if (keep && !b) {
		walk_finish(&w);
		return -ENOMEM;
	}
	/* The kept boots' strings move over; walk_finish() frees the rest. */
	for (size_t i = 0; i < keep; i++) {
		b[i] = w.boots[i].b;
		w.boots[i].b = (struct web_boot){0};
	}
	walk_finish(&w);
	*out = b;
	*n = keep;
	return 0;
}

const struct web_boot *web_activity_last(const struct web_boot *b, size_t n, const char *iso_id)
{
	const struct web_boot *last = NULL;

	for (size_t i = 0; i < n; i++)
		if (streq(b[i].iso, iso_id) && (!last || b[i].time > last->time))
			last = &b[i];
	return last;
}

void web_activity_json(FILE *f, const struct web_boot *b, size_t n)
{
	char when[32];
	struct tm tm;

	fputc('[', f);
	for (size_t i = 0; i < n; i++) {
		time_t s = (time_t)(b[i].time / 1000000);
		if (!gmtime_r(&s, &tm) ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(when, sizeof(when), "1970-01-01T00:00:00Z");
		fprintf(f, "%s{\"time\":\"%s\",\"client\":", i ? ",\n" : "", when);
		json_string(f, b[i].client);
		fputs(",\"mac\":", f);
		if (b[i].mac)
			json_string(f, b[i].mac);
		else
			fputs("null", f);
		fputs(",\"iso\":", f);
		json_string(f, b[i].iso);
		fprintf(f, ",\"method\":\"%s\",\"bytes\":",
			b[i].method == WEB_BOOT_ISCSI ? "iSCSI" : "HTTP");
		if (b[i].bytes_known)
			fprintf(f, "%" PRIu64 "}", b[i].bytes);
		else
			fputs("null}", f);
	}
	fputs("]\n", f);
}
