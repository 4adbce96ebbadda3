/* SPDX-License-Identifier: MIT */
/* The one-shot Secure Boot choice that isoboot-menu writes and isoboot-proxydhcp reads. */
#include <sys/stat.h>
#include <time.h>
#include <utime.h>

#include "helpers.h"
#include "sbnext.h"
#include "tap.h"
#include "util.h"

static char *dir;

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};

static void test_mac_parse(void)
{
	uint8_t m[6];

	CHECK_EQ_INT(sbnext_mac_parse("52:54:00:ab:cd:ef", m), 0);
	CHECK(memcmp(m, mac, 6) == 0);
	CHECK_EQ_INT(sbnext_mac_parse("52-54-00-AB-CD-EF", m), 0);
	CHECK(memcmp(m, mac, 6) == 0);
	static const char *const bad[] = {
	    "",
	    "52:54:00:ab:cd",
	    "52:54:00:ab:cd:ef:",
	    "52:54:00:ab:cd:ef:00",
	    "5:54:00:ab:cd:ef",
	    "52:54:00:ab:cd:eg",
	    "525400abcdef",
	    "52:54:00:ab:cd:e",
	    "52;54:00:ab:cd:ef",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_EQ_INT(sbnext_mac_parse(bad[i], m), -EINVAL);
	CHECK_EQ_INT(sbnext_mac_parse(NULL, m), -EINVAL);
}

static void parse_is(const char *text, int want, const char *want_id, bool want_used)
{
	struct sbnext n = {{0}, false};
	int r = sbnext_parse(text, strlen(text), &n);

	if (r != want || (r == 0 && (strcmp(n.id, want_id) != 0 || n.used != want_used))) {
		printf("#   \"%s\": got %d \"%s\" %d\n", text, r, n.id, n.used);
		tap_case_failed = 1;
	}
}

static void test_parse(void)
{
	parse_is("ubuntu-12ab\n", 0, "ubuntu-12ab", false);
	parse_is("ubuntu-12ab", 0, "ubuntu-12ab", false);
	parse_is("ubuntu-12ab used\n", 0, "ubuntu-12ab", true);
	parse_is("", -EBADMSG, NULL, false);
	parse_is("\n", -EBADMSG, NULL, false);
	parse_is(" used\n", -EBADMSG, NULL, false);
	parse_is("Ubuntu\n", -EBADMSG, NULL, false);
	parse_is("a b\n", -EBADMSG, NULL, false);
	parse_is("a\n\n", -EBADMSG, NULL, false);
	parse_is("../x\n", -EBADMSG, NULL, false);
	parse_is("a used used\n", -EBADMSG, NULL, false);
	char longer[CATALOG_ID_MAX + 2];
	memset(longer, 'a', CATALOG_ID_MAX);
	longer[CATALOG_ID_MAX] = '\0';
	parse_is(longer, -EBADMSG, NULL, false);
}

static void set_age(time_t age)
{
	char path[4096];
	struct utimbuf t = {.actime = time(NULL) - age, .modtime = time(NULL) - age};

	snprintf(path, sizeof(path), "%s/" SBNEXT_DIR "/525400abcdef", dir);
	CHECK_EQ_INT(utime(path, &t), 0);
}

/* Written, read while fresh, forgotten when old, and removed once dropped. */
static void test_put_get(void)
{
	struct sbnext n;

	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), -ENOENT);
	CHECK_EQ_INT(sbnext_put(dir, mac, "debian-live-1", false), 0);
	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), 0);
	CHECK_STR(n.id, "debian-live-1");
	CHECK(!n.used);
	/* Another MAC has none. */
	const uint8_t other[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xee};
	CHECK_EQ_INT(sbnext_get(dir, other, time(NULL), &n), -ENOENT);
	/* Used: for its retransmissions only. */
	CHECK_EQ_INT(sbnext_put(dir, mac, "debian-live-1", true), 0);
	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), 0);
	CHECK(n.used);
	set_age(SBNEXT_USED_S + 1);
	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), -ENOENT);
	CHECK_EQ_INT(sbnext_drop(dir, mac), -ENOENT); /* the old one was removed */
	/* A second ahead (the kernel's finer clock): still fresh. */
	CHECK_EQ_INT(sbnext_put(dir, mac, "debian-live-1", false), 0);
	set_age(-1);
	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), 0);
	/* Unused but too old, or from well in the future: none. */
	CHECK_EQ_INT(sbnext_put(dir, mac, "debian-live-1", false), 0);
	set_age(SBNEXT_TTL_S + 1);
	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), -ENOENT);
	CHECK_EQ_INT(sbnext_put(dir, mac, "debian-live-1", false), 0);
	set_age(-3600);
	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), -ENOENT);
	CHECK_EQ_INT(sbnext_put(dir, mac, "debian-live-1", false), 0);
	CHECK_EQ_INT(sbnext_drop(dir, mac), 0);
	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), -ENOENT);
	/* A bad id is never written. */
	CHECK_EQ_INT(sbnext_put(dir, mac, "../../etc", false), -EINVAL);
}

/* A broken file counts as none and goes. */
static void test_broken_file(void)
{
	char path[4096];
	struct sbnext n;

	CHECK_EQ_INT(sbnext_put(dir, mac, "x", false), 0);
	snprintf(path, sizeof(path), "%s/" SBNEXT_DIR "/525400abcdef", dir);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("not an id\n", f);
		fclose(f);
	}
	CHECK_EQ_INT(sbnext_get(dir, mac, time(NULL), &n), -EBADMSG);
	CHECK(access(path, F_OK) < 0);
}

/* At most SBNEXT_MAX pending choices, old ones going first; a MAC may always replace its own. */
static void test_bounded(void)
{
	char path[4096];
	uint8_t m[6] = {0x02, 0, 0, 0, 0, 0};
	struct utimbuf old = {.actime = time(NULL) - SBNEXT_TTL_S - 5,
			      .modtime = time(NULL) - SBNEXT_TTL_S - 5};

	for (unsigned i = 0; i < SBNEXT_MAX; i++) {
		m[4] = (uint8_t)(i >> 8);
		m[5] = (uint8_t)i;
		CHECK_EQ_INT(sbnext_put(dir, m, "a", false), 0);
	}
	m[4] = 0xff;
	CHECK_EQ_INT(sbnext_put(dir, m, "a", false), -ENOSPC);
	m[4] = 0;
	m[5] = 7;
	CHECK_EQ_INT(sbnext_put(dir, m, "b", true), 0); /* its own */
	/* One ages out: room for one more. */
	snprintf(path, sizeof(path), "%s/" SBNEXT_DIR "/020000000003", dir);
	CHECK_EQ_INT(utime(path, &old), 0);
	m[4] = 0xff;
	CHECK_EQ_INT(sbnext_put(dir, m, "a", false), 0);
	CHECK(access(path, F_OK) < 0);
	m[5] = 8;
	CHECK_EQ_INT(sbnext_put(dir, m, "a", false), -ENOSPC);
	/* Marking a pending one used needs no room. */
	m[4] = 0;
	m[5] = 9;
	CHECK_EQ_INT(sbnext_put(dir, m, "a", true), 0);
}

int main(void)
{
	dir = make_tmpdir();
	if (!dir)
		return EXIT_FAILURE;
	RUN(test_mac_parse);
	RUN(test_parse);
	RUN(test_put_get);
	RUN(test_broken_file);
	RUN(test_bounded);
	rm_rf(dir);
	free(dir);
	return tap_done();
}
