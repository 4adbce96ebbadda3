/* SPDX-License-Identifier: MIT */
/*
 * The recent boots read back from a journal: the test journal is written in the journal export
 * format and turned into a journal file by systemd-journal-remote, as no journald runs here.
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/wait.h>

#include "activity.h"
#include "helpers.h"
#include "log.h"
#include "tap.h"
#include "util.h"

#define T0 1700000000ull /* 2023-11-14T22:13:20Z */
#define SEC 1000000ull
#define BOOT_ID "0123456789abcdef0123456789abcdef"
#define WEB_ID "isoboot-web"
#define MENU_ID "isoboot-menu"
#define ISCSI_ID "isoboot-iscsi"
#define IQN "iqn.2024-01.org.example.isoboot:"

static char *dir, *jdir, *overlap_dir;
static const char *remote;
static unsigned long long seq;

/* Debian has it in /lib, others in /usr/lib. */
static const char *find_remote(void)
{
	static const char *const paths[] = {
	    "/lib/systemd/systemd-journal-remote",
	    "/usr/lib/systemd/systemd-journal-remote",
	};
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* One entry at T0 + secs, with the fields given as "KEY=value" strings up to NULL. */
static void entry(FILE *f, unsigned secs, const char *ident, const char *msgid, ...)
{
	va_list ap;
	const char *kv;

	seq++;
	fprintf(f, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%llu\n_BOOT_ID=%s\n",
		(T0 + secs) * SEC, seq * SEC, BOOT_ID);
	fprintf(f, "SYSLOG_IDENTIFIER=%s\nMESSAGE_ID=%s\nMESSAGE=entry %llu\n", ident, msgid, seq);
	va_start(ap, msgid);
	while ((kv = va_arg(ap, const char *)))
		fprintf(f, "%s\n", kv);
	va_end(ap);
	fputc('\n', f);
}

static void http(FILE *f, unsigned secs, const char *ident, const char *client, const char *iso,
		 const char *status, const char *bytes)
{
	char c[96], i[96], s[64], b[64];

	snprintf(c, sizeof(c), "ISOBOOT_CLIENT=%s", client);
	snprintf(i, sizeof(i), "ISOBOOT_ISO=%s", iso ? iso : "");
	snprintf(s, sizeof(s), "ISOBOOT_HTTP_STATUS=%s", status);
	snprintf(b, sizeof(b), "ISOBOOT_BYTES=%s", bytes);
	/* The menu's own pages carry no ISOBOOT_ISO at all. */
	entry(f, secs, ident, MSGID_HTTP_ACCESS, c, s, b, iso ? i : NULL, NULL);
}

static void dhcp(FILE *f, unsigned secs, const char *client, const char *mac)
{
	char c[96], m[96];

	snprintf(c, sizeof(c), "ISOBOOT_CLIENT=%s", client);
	snprintf(m, sizeof(m), "ISOBOOT_MAC=%s", mac);
	entry(f, secs, "isoboot-proxydhcp", MSGID_DHCP_ANSWER, "ISOBOOT_EVENT=answered", m, c,
	      NULL);
}

/* As src/iscsi/login.c logs them: the target is the IQN, ISOBOOT_ISO the image's path. */
static void login(FILE *f, unsigned secs, const char *pid, const char *client, const char *target,
		  const char *status)
{
	char p[64], c[96], t[160], s[64];
	bool disc = streq(target, "discovery");

	snprintf(p, sizeof(p), "_PID=%s", pid);
	snprintf(c, sizeof(c), "ISOBOOT_CLIENT=%s", client);
	snprintf(t, sizeof(t), "ISOBOOT_TARGET=%s%s", disc ? "" : IQN, target);
	snprintf(s, sizeof(s), "ISOBOOT_LOGIN_STATUS=%s", status);
	entry(f, secs, ISCSI_ID, MSGID_ISCSI_LOGIN, p, c,
	      "ISOBOOT_INITIATOR=iqn.2010-04.org.ipxe:x", t,
	      disc ? "ISOBOOT_ISO=" : "ISOBOOT_ISO=group/image.iso", s, NULL);
}

static void session_end(FILE *f, unsigned secs, const char *pid, const char *client,
			const char *target, const char *bytes)
{
	char p[64], c[96], t[160], b[64];

	snprintf(p, sizeof(p), "_PID=%s", pid);
	snprintf(c, sizeof(c), "ISOBOOT_CLIENT=%s", client);
	snprintf(t, sizeof(t), "ISOBOOT_TARGET=%s%s", IQN, target);
	snprintf(b, sizeof(b), "ISOBOOT_BYTES=%s", bytes);
	entry(f, secs, ISCSI_ID, MSGID_ISCSI_SESSION_END, p, c,
	      "ISOBOOT_INITIATOR=iqn.2010-04.org.ipxe:x", t, "ISOBOOT_ISO=group/image.iso", b,
	      "ISOBOOT_DURATION=1.000", "ISOBOOT_END_REASON=logout", NULL);
}

/*
 * The story, oldest first. Expected boots, newest first:
 *   T0+5000 iSCSI 192.0.2.13 ubuntu-cccc, no session end: bytes unknown
 *   T0+3000 HTTP  192.0.2.10 debian-aaaa 4000 (more than the gap after the first one)
 *   T0+400  iSCSI 192.0.2.11 win-bbbb 5000 + 7000000 (two sessions), MAC :0b
 *   T0+3    HTTP  192.0.2.10 debian-aaaa 1000 + 2000 + 3000000, MAC :0a
 */
/* A writer into the journal file of a new folder sub of dir (popen: close with pclose). */
static FILE *journal_begin(const char *sub, char **path)
{
	char cmd[1024];

	if (asprintf(path, "%s/%s", dir, sub) < 0)
		abort();
	if (mkdir(*path, 0755) < 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "'%s' --output='%s/test.journal' - 2>/dev/null", remote, *path);
	return popen(cmd, "w");
}

static int build_journal(void)
{
	FILE *f = journal_begin("main", &jdir);
	if (!f)
		return -errno;
	dhcp(f, 0, "0.0.0.0", "52:54:00:00:00:ff"); /* broadcast: no address to tie */
	dhcp(f, 1, "192.0.2.10", "52:54:00:00:00:0a");
	http(f, 2, MENU_ID, "192.0.2.10", NULL, "200", "900"); /* the menu: no ISO */
	http(f, 3, MENU_ID, "192.0.2.10", "debian-aaaa", "200", "1000");
	http(f, 5, MENU_ID, "192.0.2.10", "debian-aaaa", "200", "2000");
	http(f, 6, MENU_ID, "192.0.2.10", "debian-aaaa", "404", "50"); /* not counted */
	http(f, 7, WEB_ID, "192.0.2.99", "debian-aaaa", "204", "0");   /* a delete on the page */
	http(f, 300, MENU_ID, "192.0.2.10", "debian-aaaa", "206", "3000000");
	dhcp(f, 390, "192.0.2.11", "52:54:00:00:00:0b");
	login(f, 400, "100", "192.0.2.11", "win-bbbb", "0000");
	dhcp(f, 500, "192.0.2.11", "52:54:00:00:00:0c"); /* after the boot began: not its MAC */
	login(f, 600, "101", "192.0.2.11", "win-bbbb", "0000"); /* the booted OS logs in again */
	session_end(f, 700, "100", "192.0.2.11", "win-bbbb", "5000");
	login(f, 800, "102", "192.0.2.12", "win-bbbb", "0201"); /* refused */
	login(f, 810, "103", "192.0.2.11", "discovery", "0000");
	http(f, 3000, MENU_ID, "192.0.2.10", "debian-aaaa", "200", "4000");
	login(f, 5000, "200", "192.0.2.13", "ubuntu-cccc", "0000");
	session_end(f, 9000, "101", "192.0.2.11", "win-bbbb", "7000000");
	http(f, 10000, WEB_ID, "192.0.2.99", "ubuntu-cccc", "200", "100"); /* newest: the page */
	return pclose(f) == 0 ? 0 : -EIO;
}

/*
 * Two boots of one client to one target, the first session still running when the second
 * begins and ending after it: each login gets its own session's end, not the nearest.
 */
static int build_overlap_journal(void)
{
	FILE *f = journal_begin("overlap", &overlap_dir);
	if (!f)
		return -errno;
	login(f, 1000, "300", "192.0.2.14", "arch-dddd", "0000");
	login(f, 4000, "301", "192.0.2.14", "arch-dddd", "0000"); /* still running */
	session_end(f, 5000, "300", "192.0.2.14", "arch-dddd", "111");
	return pclose(f) == 0 ? 0 : -EIO;
}

static bool skip(const char *name)
{
	if (remote && jdir)
		return false;
	printf("ok %d - %s # SKIP systemd-journal-remote not installed\n", ++tap_count, name);
	return true;
}

static void check_boot(const struct web_boot *b, unsigned secs, const char *client, const char *mac,
		       const char *iso, enum web_boot_method m, long long bytes)
{
	CHECK_EQ_INT(b->time, (T0 + secs) * SEC);
	CHECK_STR(b->client, client);
	if (mac)
		CHECK_STR(b->mac, mac);
	else
		CHECK(b->mac == NULL);
	CHECK_STR(b->iso, iso);
	CHECK_EQ_INT(b->method, m);
	if (bytes < 0) {
		CHECK(!b->bytes_known);
	} else {
		CHECK(b->bytes_known);
		CHECK_EQ_INT(b->bytes, bytes);
	}
}

static void test_all(void)
{
	struct web_boot *b;
	size_t n;

	CHECK_EQ_INT(web_activity_read(jdir, 0, 100, &b, &n), 0);
	CHECK_EQ_INT(n, 4);
	if (n != 4) {
		web_boots_free(b, n);
		return;
	}
	check_boot(&b[0], 5000, "192.0.2.13", NULL, "ubuntu-cccc", WEB_BOOT_ISCSI, -1);
	check_boot(&b[1], 3000, "192.0.2.10", NULL, "debian-aaaa", WEB_BOOT_HTTP, 4000);
	check_boot(&b[2], 400, "192.0.2.11", "52:54:00:00:00:0b", "win-bbbb", WEB_BOOT_ISCSI,
		   7005000);
	check_boot(&b[3], 3, "192.0.2.10", "52:54:00:00:00:0a", "debian-aaaa", WEB_BOOT_HTTP,
		   3003000);

	CHECK(web_activity_last(b, n, "debian-aaaa") == &b[1]);
	CHECK(web_activity_last(b, n, "win-bbbb") == &b[2]);
	CHECK(web_activity_last(b, n, "nothing") == NULL);
	/* Whatever the order given. */
	struct web_boot swapped[2] = {b[3], b[1]};
	CHECK(web_activity_last(swapped, 2, "debian-aaaa") == &swapped[1]);
	web_boots_free(b, n);
}

/* Fewer than there are: the newest, the same as in the whole list (the walk stops early). */
static void test_max(void)
{
	struct web_boot *b;
	size_t n;

	CHECK_EQ_INT(web_activity_read(jdir, 0, 2, &b, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		check_boot(&b[0], 5000, "192.0.2.13", NULL, "ubuntu-cccc", WEB_BOOT_ISCSI, -1);
		check_boot(&b[1], 3000, "192.0.2.10", NULL, "debian-aaaa", WEB_BOOT_HTTP, 4000);
	}
	web_boots_free(b, n);

	CHECK_EQ_INT(web_activity_read(jdir, 0, 3, &b, &n), 0);
	CHECK_EQ_INT(n, 3);
	if (n == 3)
		check_boot(&b[2], 400, "192.0.2.11", "52:54:00:00:00:0b", "win-bbbb",
			   WEB_BOOT_ISCSI, 7005000);
	web_boots_free(b, n);

	CHECK_EQ_INT(web_activity_read(jdir, 0, 0, &b, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK(b == NULL);
}

/* Only what started since then: the iSCSI session that ended later but began before is out. */
static void test_since(void)
{
	struct web_boot *b;
	size_t n;

	CHECK_EQ_INT(web_activity_read(jdir, (T0 + 1000) * SEC, 100, &b, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		CHECK_STR(b[0].iso, "ubuntu-cccc");
		CHECK_STR(b[1].iso, "debian-aaaa");
		CHECK_EQ_INT(b[1].time, (T0 + 3000) * SEC);
	}
	web_boots_free(b, n);

	CHECK_EQ_INT(web_activity_read(jdir, (T0 + 20000) * SEC, 100, &b, &n), 0);
	CHECK_EQ_INT(n, 0);
	web_boots_free(b, n);
}

static char *json_of(const struct web_boot *b, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	web_activity_json(f, b, n);
	fclose(f);
	return buf;
}

static void test_json(void)
{
	struct web_boot *b;
	size_t n;

	CHECK_EQ_INT(web_activity_read(jdir, 0, 100, &b, &n), 0);
	char *j = json_of(b, n);
	CHECK_STR(j, "[{\"time\":\"2023-11-14T23:36:40Z\",\"client\":\"192.0.2.13\",\"mac\":null,"
		     "\"iso\":\"ubuntu-cccc\",\"method\":\"iSCSI\",\"bytes\":null},\n"
		     "{\"time\":\"2023-11-14T23:03:20Z\",\"client\":\"192.0.2.10\",\"mac\":null,"
		     "\"iso\":\"debian-aaaa\",\"method\":\"HTTP\",\"bytes\":4000},\n"
		     "{\"time\":\"2023-11-14T22:20:00Z\",\"client\":\"192.0.2.11\","
		     "\"mac\":\"52:54:00:00:00:0b\",\"iso\":\"win-bbbb\",\"method\":\"iSCSI\","
		     "\"bytes\":7005000},\n"
		     "{\"time\":\"2023-11-14T22:13:23Z\",\"client\":\"192.0.2.10\","
		     "\"mac\":\"52:54:00:00:00:0a\",\"iso\":\"debian-aaaa\",\"method\":\"HTTP\","
		     "\"bytes\":3003000}]\n");
	int r = python_check(j, "assert len(d) == 4 and d[0][\"bytes\"] is None\n"
				"assert d[3] == {\"time\": \"2023-11-14T22:13:23Z\", \"client\": "
				"\"192.0.2.10\", \"mac\": \"52:54:00:00:00:0a\", \"iso\": "
				"\"debian-aaaa\", \"method\": \"HTTP\", \"bytes\": 3003000}");
	if (r >= 0)
		CHECK_EQ_INT(r, 0);
	free(j);
	web_boots_free(b, n);

	/* Quotes and control characters from a journal field come out escaped. */
	struct web_boot odd = {.time = 0,
			       .client = (char *)"a\"b",
			       .iso = (char *)"x\ny",
			       .method = WEB_BOOT_HTTP,
			       .bytes_known = false};
	j = json_of(&odd, 1);
	CHECK_STR(j, "[{\"time\":\"1970-01-01T00:00:00Z\",\"client\":\"a\\\"b\",\"mac\":null,"
		     "\"iso\":\"x\\u000ay\",\"method\":\"HTTP\",\"bytes\":null}]\n");
	r = python_check(j, "assert d[0][\"client\"] == \"a\\\"b\"");
	if (r >= 0)
		CHECK_EQ_INT(r, 0);
	free(j);

	j = json_of(NULL, 0);
	CHECK_STR(j, "[]\n");
	free(j);
}

static void test_overlap(void)
{
	struct web_boot *b;
	size_t n;

	CHECK_EQ_INT(web_activity_read(overlap_dir, 0, 10, &b, &n), 0);
	CHECK_EQ_INT(n, 2);
	if (n == 2) {
		check_boot(&b[0], 4000, "192.0.2.14", NULL, "arch-dddd", WEB_BOOT_ISCSI, -1);
		check_boot(&b[1], 1000, "192.0.2.14", NULL, "arch-dddd", WEB_BOOT_ISCSI, 111);
	}
	web_boots_free(b, n);
}

static void test_no_journal(void)
{
	struct web_boot *b = (struct web_boot *)1;
	size_t n = 7;
	char *missing;

	if (asprintf(&missing, "%s/missing", dir) < 0)
		abort();
	CHECK(web_activity_read(missing, 0, 10, &b, &n) < 0);
	CHECK(b == NULL);
	CHECK_EQ_INT(n, 0);
	free(missing);

	/* A folder without journal files: no boots. */
	char *empty;
	if (asprintf(&empty, "%s/empty", dir) < 0)
		abort();
	mkdir(empty, 0755);
	CHECK_EQ_INT(web_activity_read(empty, 0, 10, &b, &n), 0);
	CHECK_EQ_INT(n, 0);
	web_boots_free(b, n);
	free(empty);
}

int main(void)
{
	log_init("test-activity", LOG_TARGET_STDERR);
	remote = find_remote();
	dir = make_tmpdir();
	if (!dir)
		return EXIT_FAILURE;
	if (remote && (build_journal() < 0 || build_overlap_journal() < 0)) {
		printf("# systemd-journal-remote could not write the test journal\n");
		rm_rf(dir);
		free(dir);
		return EXIT_FAILURE;
	}
	if (!skip("test_all"))
		RUN(test_all);
	if (!skip("test_max"))
		RUN(test_max);
	if (!skip("test_since"))
		RUN(test_since);
	if (!skip("test_json"))
		RUN(test_json);
	if (!skip("test_overlap"))
		RUN(test_overlap);
	RUN(test_no_journal);
	rm_rf(dir);
	free(dir);
	free(jdir);
	free(overlap_dir);
	return tap_done();
}
