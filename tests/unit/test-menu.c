/* SPDX-License-Identifier: MIT */
/* isoboot-menu logic: Range parsing, URL mapping, and the iPXE script. */
#include "catalog-fixture.h"
#include "catalog.h"
#include "grub.h"
#include "ipxe.h"
#include "range.h"
#include "tap.h"
#include "url.h"
#include "util.h"

#define RG_NONE HTTP_RANGE_NONE
#define RG_OK HTTP_RANGE_OK
#define RG_416 HTTP_RANGE_UNSATISFIABLE

static void range_is(const char *h, uint64_t size, enum http_range want, uint64_t f, uint64_t l)
{
	uint64_t first = 12345, last = 12345;
	enum http_range r = http_range_parse(h, size, &first, &last);

	if (r != want || (want == RG_OK && (first != f || last != l))) {
		printf("#   range \"%s\" of %llu: got %d %llu-%llu, expected %d %llu-%llu\n", h,
		       (unsigned long long)size, r, (unsigned long long)first,
		       (unsigned long long)last, want, (unsigned long long)f,
		       (unsigned long long)l);
		tap_case_failed = 1;
	}
}

static void test_range_basic(void)
{
	range_is("bytes=0-0", 1000, RG_OK, 0, 0);
	range_is("bytes=0-499", 1000, RG_OK, 0, 499);
	range_is("bytes=999-999", 1000, RG_OK, 999, 999);
	range_is("bytes=500-", 1000, RG_OK, 500, 999);
	range_is("bytes=0-", 1000, RG_OK, 0, 999);
	range_is("bytes=-1", 1000, RG_OK, 999, 999);
	range_is("bytes=-500", 1000, RG_OK, 500, 999);
	range_is("bytes=-1000", 1000, RG_OK, 0, 999);
	range_is("bytes=-5000", 1000, RG_OK, 0, 999);
	range_is("bytes=900-5000", 1000, RG_OK, 900, 999);
	range_is("BYTES=1-2", 1000, RG_OK, 1, 2); /* the unit is case-insensitive */
	range_is("bytes=1-2 ", 1000, RG_OK, 1, 2);
	range_is("bytes=1-2,", 1000, RG_OK, 1, 2); /* empty list elements are allowed */
	range_is("bytes=,1-2", 1000, RG_OK, 1, 2);
	range_is("bytes=007-008", 1000, RG_OK, 7, 8);
}

static void test_range_unsatisfiable(void)
{
	range_is("bytes=1000-", 1000, RG_416, 0, 0);
	range_is("bytes=1000-2000", 1000, RG_416, 0, 0);
	range_is("bytes=-0", 1000, RG_416, 0, 0);
	range_is("bytes=0-0", 0, RG_416, 0, 0);
	range_is("bytes=99999999999999999999999999-", 1000, RG_416, 0, 0);
}

static void test_range_ignored(void)
{
	/* Malformed: RFC 9110 says to ignore the header and send everything. */
	const char *bad[] = {
	    "",		 "bytes",	"bytes=",      "bytes=-",     "bytes=a-b",
	    "bytes=1",	 "bytes=1-2-3", "bytes=5-1",   "bytes= 1-2x", "items=0-1",
	    "bytes 0-1", "bytes=0x10-", "bytes=+1-2",  "bytes=1 -2",  "bytes=1- 2",
	    "bytes=--1", "bytes=-1-",	"bytes=1-2;3", "bytes=\t",    "bytes=1-2\n",
	    "byte=1-2",	 "=1-2",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		range_is(bad[i], 1000, RG_NONE, 0, 0);
	/* Several ranges: answered with the whole file. */
	range_is("bytes=0-1,5-6", 1000, RG_NONE, 0, 0);
	range_is("bytes=0-1, -5", 1000, RG_NONE, 0, 0);
	range_is("bytes=2000-3000,0-1", 1000, RG_NONE, 0, 0);
	range_is("bytes=-5", 0, RG_NONE, 0, 0); /* an empty file has no suffix to give */
	uint64_t f, l;
	CHECK_EQ_INT(http_range_parse(NULL, 10, &f, &l), RG_NONE);
}

static void test_range_64bit(void)
{
	const uint64_t big = (5ull << 30) + 12345; /* over 4 GiB */
	const uint64_t max = UINT64_MAX;

	range_is("bytes=4294967296-4294967297", big, RG_OK, 1ull << 32, (1ull << 32) + 1);
	range_is("bytes=4294967295-", big, RG_OK, 0xffffffffull, big - 1);
	range_is("bytes=-4294967296", big, RG_OK, big - (1ull << 32), big - 1);
	char h[64];
	snprintf(h, sizeof(h), "bytes=%llu-", (unsigned long long)(big - 7));
	range_is(h, big, RG_OK, big - 7, big - 1);
	snprintf(h, sizeof(h), "bytes=%llu-", (unsigned long long)big);
	range_is(h, big, RG_416, 0, 0);
	snprintf(h, sizeof(h), "bytes=%llu-%llu", (unsigned long long)(big - 1),
		 (unsigned long long)(big - 1));
	range_is(h, big, RG_OK, big - 1, big - 1);
	/* The largest values, and one past them: saturating, never wrapping. */
	range_is("bytes=0-18446744073709551615", big, RG_OK, 0, big - 1);
	range_is("bytes=0-18446744073709551616", big, RG_OK, 0, big - 1);
	range_is("bytes=0-99999999999999999999999999999999", big, RG_OK, 0, big - 1);
	range_is("bytes=-18446744073709551615", big, RG_OK, 0, big - 1);
	range_is("bytes=-184467440737095516160", big, RG_OK, 0, big - 1);
	range_is("bytes=18446744073709551615-", max, RG_416, 0, 0);
	range_is("bytes=18446744073709551614-", max, RG_OK, max - 1, max - 1);
	range_is("bytes=18446744073709551615-18446744073709551614", max, RG_NONE, 0, 0);
	/* 18446744073709551616 wraps to 0 with naive arithmetic: it must not. */
	range_is("bytes=18446744073709551616-", big, RG_416, 0, 0);
}

static void test_dates_and_if_range(void)
{
	char buf[40];
	time_t t;

	http_date_format(784111777, buf, sizeof(buf));
	CHECK_STR(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK_EQ_INT(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	CHECK_EQ_INT(t, 784111777);
	CHECK(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t) < 0);
	CHECK(http_date_parse("Sun Nov  6 08:49:37 1994", &t) < 0);
	CHECK(http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", &t) < 0);
	CHECK(http_date_parse("Sun, 06 Xyz 1994 08:49:37 GMT", &t) < 0);
	CHECK(http_date_parse("Sun, 06 Nov 1994 25:49:37 GMT", &t) < 0);
	CHECK(http_date_parse("", &t) < 0);

	CHECK(http_if_range_matches(NULL, "\"a-1-2\"", 5));
	CHECK(http_if_range_matches("\"a-1-2\"", "\"a-1-2\"", 5));
	CHECK(!http_if_range_matches("\"a-1-3\"", "\"a-1-2\"", 5));
	CHECK(!http_if_range_matches("W/\"a-1-2\"", "\"a-1-2\"", 5)); /* weak: never */
	CHECK(http_if_range_matches("Sun, 06 Nov 1994 08:49:37 GMT", "\"x\"", 784111777));
	CHECK(!http_if_range_matches("Sun, 06 Nov 1994 08:49:38 GMT", "\"x\"", 784111777));
	CHECK(!http_if_range_matches("yesterday", "\"x\"", 784111777));
}

static void url_is(const char *url, int want, enum menu_url_kind want_kind, const char *want_id)
{
	enum menu_url_kind kind = MENU_URL_SCRIPT;
	char id[CATALOG_ID_MAX] = "";
	int r = menu_url_parse(url, &kind, id, NULL);

	if (r != want || (r == 0 && kind != want_kind) ||
	    (r == 0 && want_id && strcmp(id, want_id) != 0)) {
		printf("#   url \"%s\": got %d kind %d id \"%s\", expected %d kind %d id \"%s\"\n",
		       url, r, kind, id, want, want_kind, want_id ? want_id : "");
		tap_case_failed = 1;
	}
}

static void test_url(void)
{
	url_is("/", 0, MENU_URL_SCRIPT, NULL);
	url_is("/boot.ipxe", 0, MENU_URL_SCRIPT, NULL);
	url_is("/boot/memdisk", 0, MENU_URL_MEMDISK, NULL);
	url_is("/iso/memtest-0123456789ab", 0, MENU_URL_ISO, "memtest-0123456789ab");
	url_is("/iso/memtest-0123456789ab/", 0, MENU_URL_ISO, "memtest-0123456789ab");
	url_is("/iso/memtest-0123456789ab/memtest86%2Bx64.iso", 0, MENU_URL_ISO,
	       "memtest-0123456789ab");
	url_is("/iso/abc/any/thing/at/all.iso", 0, MENU_URL_ISO, "abc");
	url_is("/iso/%61bc/x.iso", 0, MENU_URL_ISO, "abc"); /* escapes decode before matching */
	url_is("/iso/abc/medium/" MENU_MEDIUM_NAME, 0, MENU_URL_MEDIUM, "abc");
	url_is("/iso/abc/medium/", 0, MENU_URL_MEDIUM, "abc");
	url_is("/iso/abc/medium.iso", 0, MENU_URL_ISO, "abc");
	url_is("/iso/abc/files/medium/x", 0, MENU_URL_FILE, "abc");

	/* Not served. */
	url_is("/iso", -ENOENT, 0, NULL);
	url_is("/iso/", -ENOENT, 0, NULL);
	url_is("/iso/ABC", -ENOENT, 0, NULL);
	url_is("/iso/a_b", -ENOENT, 0, NULL);
	url_is("/iso/a b", -ENOENT, 0, NULL);
	url_is("/etc/passwd", -ENOENT, 0, NULL);
	url_is("/boot.ipxe/x", -ENOENT, 0, NULL);
	url_is("/boot", -ENOENT, 0, NULL);
	url_is("/iso/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -ENOENT, 0,
	       NULL); /* 64 characters: longer than any id */

	/* Refused outright. */
	const char *bad[] = {
	    "",
	    "iso/abc",
	    "http://host/iso/abc",
	    "/iso/../etc/passwd",
	    "/iso/abc/../../etc/passwd",
	    "/iso/abc/..",
	    "/iso/./abc",
	    "/../boot.ipxe",
	    "/iso/%2e%2e/%2e%2e/etc/passwd",
	    "/iso/%2E%2E/x",
	    "/iso/abc/%2e%2e",
	    "/iso/abc%00.iso",
	    "/iso/abc/x%00",
	    "/iso/abc/%0a",
	    "/iso/abc/%",
	    "/iso/abc/%4",
	    "/iso/abc/%zz",
	    "/iso/abc\\..\\x",
	    "/iso/abc/%5c..",
	    "//etc/passwd",
	    "/iso//abc",
	    "/iso/abc\x01",
	    "/iso/abc\x7f",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		url_is(bad[i], -EINVAL, 0, NULL);
	url_is(NULL, -EINVAL, 0, NULL);

	/* Overlong. */
	char longurl[MENU_URL_MAX + 64];
	memcpy(longurl, "/iso/abc/", 9);
	memset(longurl + 9, 'x', sizeof(longurl) - 10);
	longurl[sizeof(longurl) - 1] = '\0';
	url_is(longurl, -EINVAL, 0, NULL);
	longurl[MENU_URL_MAX] = '\0';
	url_is(longurl, 0, MENU_URL_ISO, "abc");

	CHECK(menu_id_valid("a"));
	CHECK(!menu_id_valid(""));
	CHECK(!menu_id_valid("A"));
	CHECK(!menu_id_valid("a/b"));
}

/* A file inside an ISO: kind MENU_URL_FILE, id and the decoded path. */
static void file_url_is(const char *url, int want, const char *want_id, const char *want_file)
{
	enum menu_url_kind kind = MENU_URL_SCRIPT;
	char id[CATALOG_ID_MAX] = "", file[MENU_URL_MAX + 1] = "";
	int r = menu_url_parse(url, &kind, id, file);

	if (r != want || (r == 0 && (kind != MENU_URL_FILE || strcmp(id, want_id) != 0 ||
				     strcmp(file, want_file) != 0))) {
		printf(
		    "#   url \"%s\": got %d kind %d id \"%s\" file \"%s\", expected %d id \"%s\" "
		    "file \"%s\"\n",
		    url, r, kind, id, file, want, want_id ? want_id : "",
		    want_file ? want_file : "");
		tap_case_failed = 1;
	}
}

static void test_url_file(void)
{
	file_url_is("/iso/abc/files/live/vmlinuz", 0, "abc", "live/vmlinuz");
	file_url_is("/iso/abc/files/live/vmlinuz/", 0, "abc", "live/vmlinuz");
	file_url_is("/iso/abc/files/x", 0, "abc", "x");
	file_url_is("/iso/debian-live-0123456789ab/files/live/filesystem.squashfs", 0,
		    "debian-live-0123456789ab", "live/filesystem.squashfs");
	/* Escapes decode: "%2F" is a '/' like any other, blanks and UTF-8 are kept. */
	file_url_is("/iso/abc/files/live%2Fvmlinuz", 0, "abc", "live/vmlinuz");
	file_url_is("/iso/abc%2Ffiles%2Flive%2Fvmlinuz", 0, "abc", "live/vmlinuz");
	file_url_is("/iso/abc/files/dir%20with%20space/file%20%C3%BC.txt", 0, "abc",
		    "dir with space/file \xc3\xbc.txt");
	file_url_is("/iso/abc/files/memtest86%2Bx64.bin", 0, "abc", "memtest86+x64.bin");
	file_url_is("/iso/abc/files/a+b", 0, "abc", "a+b");
	file_url_is("/iso/abc/files/.hidden/..x/...", 0, "abc", ".hidden/..x/...");
	file_url_is("/iso/abc/files/files/files", 0, "abc", "files/files");
	file_url_is("/iso/abc/files/a?b", 0, "abc", "a?b");
	/* Not a file: the ISO itself, or no id. */
	url_is("/iso/abc/files", 0, MENU_URL_ISO, "abc");
	url_is("/iso/abc/files/", 0, MENU_URL_ISO, "abc");
	url_is("/iso/abc/Files/x", 0, MENU_URL_ISO, "abc");
	url_is("/iso/abc/file/x", 0, MENU_URL_ISO, "abc");
	url_is("/iso/ABC/files/x", -ENOENT, 0, NULL);
	url_is("/iso/a_b/files/x", -ENOENT, 0, NULL);
	url_is("/isos/abc/files/x", -ENOENT, 0, NULL);
	/* Nothing leaves the ISO's tree, escaped or not. */
	static const char *const bad[] = {
	    "/iso/abc/files/../x",	  "/iso/abc/files/..",
	    "/iso/abc/files/a/../../x",	  "/iso/abc/files/./x",
	    "/iso/abc/files/a/.",	  "/iso/abc/files/%2e%2e/x",
	    "/iso/abc/files/%2E%2e",	  "/iso/abc/files/a%2F..%2Fb",
	    "/iso/abc/files/a%2F%2E%2E",  "/iso/abc/files/%2F%2Fetc/passwd",
	    "/iso/abc/files//etc/passwd", "/iso/abc/files/a//b",
	    "/iso/abc/files/a%2F%2Fb",	  "/iso/abc/files/a%5C..%5Cb",
	    "/iso/abc/files/a\\b",	  "/iso/abc/files/a%00b",
	    "/iso/abc/files/a%0ab",	  "/iso/abc/files/a%7f",
	    "/iso/abc/files/a%",	  "/iso/abc/files/a%g0",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		file_url_is(bad[i], -EINVAL, NULL, NULL);

	/* The longest path that fits. */
	char longurl[MENU_URL_MAX + 64];
	memcpy(longurl, "/iso/abc/files/", 15);
	memset(longurl + 15, 'x', sizeof(longurl) - 16);
	longurl[MENU_URL_MAX] = '\0';
	file_url_is(longurl, 0, "abc", longurl + 15);
	longurl[MENU_URL_MAX] = 'x';
	longurl[MENU_URL_MAX + 1] = '\0';
	file_url_is(longurl, -EINVAL, NULL, NULL);
}

static void sanitized_is(const char *in, const char *want)
{
	char out[MENU_TEXT_MAX + 1];

	menu_text_sanitize(in, out, sizeof(out));
	if (strcmp(out, want) != 0) {
		printf("#   sanitize \"%s\": got \"%s\", expected \"%s\"\n", in, out, want);
		tap_case_failed = 1;
	}
}

static void test_sanitize(void)
{
	sanitized_is("Debian 12", "Debian 12");
	sanitized_is("a\nb\r\nc", "a b c");
	sanitized_is("  lots   of\tspace  ", "lots of space");
	sanitized_is("${root-path}", "$(root-path}");
	sanitized_is("$${x}", "$$(x}");
	sanitized_is("price $5", "price $5");
	sanitized_is("#1 tool", "_1 tool");
	sanitized_is("tool #1", "tool _1");
	sanitized_is("C# sharp", "C# sharp");
	sanitized_is("a || b", "a _| b");
	sanitized_is("a && b", "a _& b");
	sanitized_is("a ; b", "a _ b");
	sanitized_is("a;b a||b", "a;b a||b");
	sanitized_is("ends with \\", "ends with /");
	sanitized_is("caf\xc3\xa9", "caf?");
	sanitized_is("\xe2\x82\xac 5", "? 5");
	sanitized_is("\x01\x02", "");
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	char out[MENU_TEXT_MAX + 1];
	menu_text_sanitize(longname, out, sizeof(out));
	CHECK_EQ_INT(strlen(out), MENU_TEXT_MAX);

	char *e = menu_url_encode("memtest86+x64 (v7) ü");
	CHECK_STR(e, "memtest86%2Bx64%20%28v7%29%20%C3%BC");
	free(e);
}

static struct catalog_entry *add(struct catalog *c, const char *path, const char *group,
				 const char *name)
{
	return fixture_add(c, path, group, name);
}

static struct catalog_entry *by_name(struct catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->entries[i].name, name) == 0)
			return &c->entries[i];
	abort();
}

static void boot(struct catalog_entry *e, enum iso_platform p, enum iso_emulation em)
{
	e->boot[e->n_boot++] = (struct iso_boot_entry){p, 0, em, 20, 4};
}

/* The text between ":<label>\n" and the next label line. */
static char *section(const char *script, const char *label)
{
	char key[128];
	snprintf(key, sizeof(key), "\n:%s\n", label);
	const char *s = strstr(script, key);
	if (!s)
		return strdup("");
	s += strlen(key);
	const char *end = strstr(s, "\n:");
	return strndup(s, end ? (size_t)(end - s) + 1 : strlen(s));
}

static bool line_in(const char *text, const char *line)
{
	size_t l = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[l] == '\n' || !p[l]))
			return true;
	return false;
}

#define CHECK_LINE(text, line)                                                                     \
	do {                                                                                       \
		if (!line_in((text), (line))) {                                                    \
			printf("#   %s:%d: no line \"%s\"\n", __FILE__, __LINE__, (line));         \
			tap_case_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_NO_LINE(text, line)                                                                  \
	do {                                                                                       \
		if (line_in((text), (line))) {                                                     \
			printf("#   %s:%d: unexpected line \"%s\"\n", __FILE__, __LINE__, (line)); \
			tap_case_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

/* A catalog of every kind of boot, and of names and ids that must not reach the script as they
 * are; the tests find its entries by name, as sorting moves them. */
static void script_catalog(struct catalog *c)
{
	catalog_init(c);
	struct catalog_entry *bios = add(c, "grub.iso", "", "grub-rescue");
	boot(bios, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	struct catalog_entry *both = add(c, "linux/debian.iso", "linux", "debian-12");
	boot(both, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	boot(both, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	struct catalog_entry *uefi = add(c, "linux/efi-only.iso", "linux", "efi-only");
	boot(uefi, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	struct catalog_entry *mt = add(c, "tools/memtest86+x64.iso", "tools", "memtest86+x64");
	boot(mt, ISO_PLATFORM_BIOS, ISO_EMUL_FLOPPY_1440);
	boot(mt, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	struct catalog_entry *fd = add(c, "tools/fdos.iso", "tools", "floppy-only");
	boot(fd, ISO_PLATFORM_BIOS, ISO_EMUL_HDD);
	add(c, "data.iso", "", "data disc");
	struct catalog_entry *ppc = add(c, "ppc.iso", "", "ppc");
	boot(ppc, ISO_PLATFORM_PPC, ISO_EMUL_NONE);
	struct catalog_entry *evil =
	    add(c, "evil/x.iso", "evil\n:bios-menu", "x\nchain http://evil/${x} || shell\\");
	boot(evil, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	struct catalog_entry *badid = add(c, "bad.iso", "", "bad id");
	free(badid->id);
	badid->id = strdup("../../etc");
	boot(badid, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	catalog_sort(c);
}

/* UEFI over HTTP, no memdisk, no timeout, IPv6. */
static const struct menu_params http_v6_params = {
    .title = "Lab ${x}\nmenu",
    .http_base = "http://[2001:db8::1]",
    .iscsi_host = "[2001:db8::1]",
    .uefi_boot = MENU_UEFI_HTTP,
};

static void test_script(void)
{
	struct catalog c;
	char *s = NULL, line[512];
	size_t len;

	script_catalog(&c);
	struct catalog_entry *bios = by_name(&c, "grub-rescue");
	struct catalog_entry *both = by_name(&c, "debian-12");
	struct catalog_entry *uefi = by_name(&c, "efi-only");
	struct catalog_entry *mt = by_name(&c, "memtest86+x64");
	struct catalog_entry *fd = by_name(&c, "floppy-only");

	struct menu_params p = {
	    .title = "Lab ${x}\nmenu",
	    .default_entry = "debian.iso",
	    .timeout = 15,
	    .http_base = "http://192.0.2.1:8080",
	    .iscsi_host = "192.0.2.1",
	    .uefi_boot = MENU_UEFI_ISCSI,
	    .memdisk = true,
	};
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	CHECK_EQ_INT(strlen(s), len);
	CHECK(strncmp(s, "#!ipxe\n", 7) == 0);
	/* Nothing from the catalog expands or ends a line early. */
	size_t dollars = 0;
	for (const char *q = s; (q = strstr(q, "${")); q++)
		dollars++;
	/* the script's own: platform x4, buildarch, errno, target x3 */
	CHECK_EQ_INT(dollars, 9);
	CHECK(!strstr(s, "evil/${"));
	CHECK(!strstr(s, "../"));
	CHECK(!strstr(s, "chain http://evil/\n"));
	CHECK_LINE(s, "iseq ${platform} efi && goto efi-menu ||");
	CHECK_LINE(s, "iseq ${platform} pcbios && goto bios-menu ||");

	char *bm = section(s, "bios-menu"), *em = section(s, "efi-menu");
	CHECK_LINE(bm, "menu -- Lab $(x} menu (BIOS)");
	snprintf(line, sizeof(line), "item -- bios-%s grub-rescue", bios->id);
	CHECK_LINE(bm, line);
	snprintf(line, sizeof(line), "item -- bios-%s debian-12", both->id);
	CHECK_LINE(bm, line);
	CHECK_LINE(bm, "item --gap -- efi-only (UEFI only)");
	snprintf(line, sizeof(line), "item -- bios-%s memtest86+x64", mt->id);
	CHECK_LINE(bm, line);
	snprintf(line, sizeof(line), "item -- bios-%s floppy-only", fd->id);
	CHECK_LINE(bm, line);
	CHECK_LINE(bm, "item --gap -- data disc (not bootable)");
	CHECK_LINE(bm, "item --gap -- ppc (not bootable)");
	CHECK_LINE(bm, "item --gap -- linux:");
	CHECK_LINE(bm, "item --gap -- tools:");
	CHECK_LINE(bm, "item --gap -- evil :bios-menu:");
	CHECK(!strstr(s, "bad id"));
	snprintf(line, sizeof(line),
		 "choose --default bios-%s --timeout 15000 isoboot-target || goto start", both->id);
	CHECK_LINE(bm, line);

	CHECK_LINE(em, "item --gap -- grub-rescue (BIOS only)");
	CHECK_LINE(em, "item --gap -- floppy-only (BIOS only)");
	snprintf(line, sizeof(line), "item -- efi-%s efi-only", uefi->id);
	CHECK_LINE(em, line);
	snprintf(line, sizeof(line), "item -- efi-%s memtest86+x64", mt->id);
	CHECK_LINE(em, line);
	snprintf(line, sizeof(line),
		 "choose --default efi-%s --timeout 15000 isoboot-target || goto start", both->id);
	CHECK_LINE(em, line);

	/* How each boots. */
	snprintf(line, sizeof(line), "bios-%s", both->id);
	char *sec = section(s, line);
	snprintf(line, sizeof(line), "sanboot iscsi:192.0.2.1::::%s || goto failed", both->iqn);
	CHECK_LINE(sec, line);
	free(sec);
	snprintf(line, sizeof(line), "bios-%s", mt->id);
	sec = section(s, line);
	CHECK_LINE(sec, "kernel http://192.0.2.1:8080/boot/memdisk iso raw || goto failed");
	snprintf(line, sizeof(line),
		 "initrd http://192.0.2.1:8080/iso/%s/memtest86%%2Bx64.iso || goto failed", mt->id);
	CHECK_LINE(sec, line);
	CHECK_LINE(sec, "boot || goto failed");
	free(sec);
	snprintf(line, sizeof(line), "efi-%s", mt->id);
	sec = section(s, line);
	snprintf(line, sizeof(line), "sanboot iscsi:192.0.2.1::::%s || goto failed", mt->iqn);
	CHECK_LINE(sec, line);
	free(sec);
	/* Failures come back to the menu. */
	sec = section(s, "failed");
	CHECK(strstr(sec, "prompt --timeout") != NULL);
	CHECK_LINE(sec, "goto start");
	free(sec);
	free(bm);
	free(em);
	free(s);
	catalog_finish(&c);
}

/* UEFI over HTTP, no memdisk, no timeout, IPv6, a default that only boots on BIOS. */
static void test_script_http_v6(void)
{
	struct catalog c;
	char *s = NULL, line[512];
	size_t len;

	script_catalog(&c);
	struct catalog_entry *bios = by_name(&c, "grub-rescue");
	struct catalog_entry *both = by_name(&c, "debian-12");
	struct catalog_entry *mt = by_name(&c, "memtest86+x64");
	struct menu_params p = http_v6_params;
	p.default_entry = bios->id;
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	char *bm = section(s, "bios-menu");
	char *em = section(s, "efi-menu");
	CHECK_LINE(bm, "item --gap -- memtest86+x64 (needs memdisk on the server)");
	snprintf(line, sizeof(line), "choose --default bios-%s isoboot-target || goto start",
		 bios->id);
	CHECK_LINE(bm, line);
	snprintf(line, sizeof(line), "choose --default efi-%s isoboot-target || goto start",
		 both->id);
	CHECK_LINE(em, line);
	snprintf(line, sizeof(line), "efi-%s", mt->id);
	char *sec = section(s, line);
	snprintf(line, sizeof(line),
		 "sanboot --no-describe http://[2001:db8::1]/iso/%s/memtest86%%2Bx64.iso || goto "
		 "failed",
		 mt->id);
	CHECK_LINE(sec, line);
	free(sec);
	snprintf(line, sizeof(line), "bios-%s", bios->id);
	sec = section(s, line);
	snprintf(line, sizeof(line), "sanboot iscsi:[2001:db8::1]::::%s || goto failed", bios->iqn);
	CHECK_LINE(sec, line);
	free(sec);
	free(bm);
	free(em);
	free(s);
	catalog_finish(&c);
}

/* An empty catalog is a menu that says so. */
static void test_script_empty(void)
{
	struct catalog c;
	char *s = NULL;
	size_t len;
	struct menu_params p = http_v6_params;

	catalog_init(&c);
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	CHECK_LINE(s, "item --gap -- No ISOs yet: put images in the ISO folder");
	CHECK_LINE(s, "choose isoboot-target || goto start");
	free(s);
	catalog_finish(&c);
}

static void give_recipe(struct catalog_entry *e, const char *append, uint64_t ram)
{
	e->recipe = strdup("live-boot");
	e->kernel = strdup("live/vmlinuz");
	e->initrd[0] = strdup("live/initrd.img");
	e->n_initrd = 1;
	e->append = strdup(append);
	e->fetch[0] = (struct catalog_fetch){strdup("live/vmlinuz"), 8 << 20};
	e->fetch[1] = (struct catalog_fetch){strdup("live/initrd.img"), 40 << 20};
	e->fetch[2] = (struct catalog_fetch){strdup("live/filesystem.squashfs"), 900 << 20};
	e->n_fetch = 3;
	e->ram = ram;
}

/* Whether line b directly follows line a. */
static bool lines_follow(const char *text, const char *a, const char *b)
{
	char both[1024];

	snprintf(both, sizeof(both), "%s\n%s", a, b);
	return line_in(text, both);
}

/* Every URL the menu writes is one the server accepts, whatever the ISO's file name. */
static void test_script_urls_accepted(void)
{
	static const char *const names[] = {
	    "tab\there", "new\nline", "cr\rx",	"esc\x1b[2J",  "del\x7f", "back\\slash",
	    "per%cent",	 "space d",   "ü-utf8", "q?uery#frag", "..",	  ".",
	};
	struct catalog c;
	char *s = NULL;
	size_t len, urls = 0;

	catalog_init(&c);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		/* The URL carries the file's name; the display name is another. */
		char path[64];
		snprintf(path, sizeof(path), "%s.iso", names[i]);
		struct catalog_entry *e = add(&c, path, "", "display name");
		boot(e, ISO_PLATFORM_BIOS, ISO_EMUL_FLOPPY_1440); /* memdisk: the URL is used */
		boot(e, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	}
	struct menu_params p = {
	    .title = "t",
	    .http_base = "http://192.0.2.1",
	    .iscsi_host = "192.0.2.1",
	    .uefi_boot = MENU_UEFI_HTTP,
	    .memdisk = true,
	};
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	for (const char *u = s; s && (u = strstr(u, "http://192.0.2.1/iso/"));) {
		u += strlen("http://192.0.2.1");
		size_t n = strcspn(u, " \n");
		char url[MENU_URL_MAX + 1], id[CATALOG_ID_MAX];
		enum menu_url_kind kind;
		snprintf(url, sizeof(url), "%.*s", (int)n, u);
		int r = menu_url_parse(url, &kind, id, NULL);
		if (r != 0 || kind != MENU_URL_ISO) {
			printf("#   the server refuses its own URL %s (%d)\n", url, r);
			tap_case_failed = 1;
		}
		urls++;
		u += n;
	}
	/* Each name: memdisk's initrd on BIOS, HTTP sanboot on UEFI. */
	CHECK_EQ_INT((int)urls, (int)(2 * ARRAY_SIZE(names)));
	free(s);
	catalog_finish(&c);
}

/* debian-live with a recipe that needs 1.5 GiB of RAM, and "another", which sorts first. */
static void recipe_catalog(struct catalog *c)
{
	const uint64_t ram = 3ull << 29; /* 1.5 GiB */

	catalog_init(c);
	struct catalog_entry *live = add(c, "linux/debian-live.iso", "linux", "debian-live");
	boot(live, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	boot(live, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(live,
		    "boot=live components quiet splash fetch={files}/live/filesystem.squashfs "
		    "iso={iso} srv={server} keep={other} {",
		    ram);
	struct catalog_entry *plain = add(c, "linux/another.iso", "linux", "another");
	boot(plain, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	catalog_sort(c);
}

static const struct menu_params recipe_params = {
    .title = "Lab",
    .timeout = 5,
    .http_base = "http://192.0.2.1:8080",
    .iscsi_host = "192.0.2.1",
    .uefi_boot = MENU_UEFI_ISCSI,
};

/* The answer to the script's question for ${memsize}, and debian-live the default. */
static struct menu_params recipe_params_answered(uint64_t memsize_mib)
{
	struct menu_params p = recipe_params;

	p.memsize_asked = true;
	p.memsize_mib = memsize_mib;
	p.default_entry = "debian-live.iso";
	return p;
}

static void test_script_recipe(void)
{
	struct catalog c;
	char *s = NULL, line[1024];
	size_t len;

	recipe_catalog(&c);
	struct catalog_entry *live = by_name(&c, "debian-live");
	struct catalog_entry *plain = by_name(&c, "another");
	const char *id = live->id;
	struct menu_params p = recipe_params;

	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	/* iPXE is asked for its ${memsize}, once, before anything else. */
	CHECK(lines_follow(s,
			   "isset ${memsize} && chain --replace "
			   "http://192.0.2.1:8080/boot.ipxe?memsize=${memsize} ||",
			   ":start"));
	char *bm = section(s, "bios-menu"), *em = section(s, "efi-menu");
	/* The recipe first, the SAN boot under it; the recipe is the default. */
	char a[256], b[256];
	snprintf(a, sizeof(a), "item -- bios-%s debian-live", id);
	snprintf(b, sizeof(b), "item -- bios-%s-san debian-live (boot from SAN)", id);
	CHECK(lines_follow(bm, a, b));
	snprintf(line, sizeof(line), "item -- bios-%s another", plain->id);
	CHECK_LINE(bm, line);
	snprintf(line, sizeof(line),
		 "choose --default bios-%s --timeout 5000 isoboot-target || goto start",
		 plain->id); /* the first bootable entry: "another" sorts first */
	CHECK_LINE(bm, line);
	snprintf(a, sizeof(a), "item -- efi-%s debian-live", id);
	snprintf(b, sizeof(b), "item -- efi-%s-san debian-live (boot from SAN)", id);
	CHECK(lines_follow(em, a, b));
	snprintf(line, sizeof(line),
		 "choose --default efi-%s --timeout 5000 isoboot-target || goto start", id);
	CHECK_LINE(em, line);

	/* The recipe's boot: its kernel and initrd over HTTP, placeholders filled in. */
	snprintf(line, sizeof(line), "bios-%s", id);
	char *sec = section(s, line);
	CHECK_LINE(sec,
		   "echo -- Booting debian-live: its own kernel over HTTP (live-boot), needs 1.5 "
		   "GiB of RAM");
	CHECK_LINE(sec, "imgfree");
	snprintf(
	    line, sizeof(line),
	    "kernel http://192.0.2.1:8080/iso/%s/files/live/vmlinuz initrd=initrd.img boot=live "
	    "components quiet splash fetch=http://192.0.2.1:8080/iso/%s/files/live/"
	    "filesystem.squashfs iso=http://192.0.2.1:8080/iso/%s/debian-live.iso "
	    "srv=192.0.2.1 keep={other} { || goto failed",
	    id, id, id);
	CHECK_LINE(sec, line);
	snprintf(line, sizeof(line),
		 "initrd http://192.0.2.1:8080/iso/%s/files/live/initrd.img || goto failed", id);
	CHECK_LINE(sec, line);
	CHECK(lines_follow(sec, "boot || goto failed", "goto failed"));
	CHECK(strstr(sec, "imgfree\nkernel ") != NULL);
	free(sec);
	snprintf(line, sizeof(line), "bios-%s-san", id);
	sec = section(s, line);
	snprintf(line, sizeof(line), "sanboot iscsi:192.0.2.1::::%s || goto failed", live->iqn);
	CHECK_LINE(sec, line);
	free(sec);
	snprintf(line, sizeof(line), "efi-%s", id);
	sec = section(s, line);
	CHECK(strstr(sec, "imgfree\nkernel http://192.0.2.1:8080/iso/") != NULL);
	free(sec);
	free(bm);
	free(em);
	free(s);
	catalog_finish(&c);
}

/* An installer's medium: one more initrd after the ISO's own, from /iso/<id>/medium/. */
static void test_script_recipe_medium(void)
{
	struct catalog c;
	char *s = NULL, line[1024];
	size_t len;

	catalog_init(&c);
	struct catalog_entry *e = add(&c, "debian-12.8.0-amd64-netinst.iso", "", "netinst");
	boot(e, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	boot(e, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	e->recipe = strdup("debian-installer");
	e->kernel = strdup("install.amd/vmlinuz");
	e->initrd[0] = strdup("install.amd/gtk/initrd.gz");
	e->n_initrd = 1;
	e->append = strdup("vga=788 --- quiet");
	e->medium[0] = strdup(".disk");
	e->medium[1] = strdup("pool");
	e->n_medium = 2;
	e->ram = 2ull << 30;
	struct menu_params p = recipe_params_answered(4096);
	p.default_entry = NULL;

	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	for (int efi = 0; efi < 2; efi++) {
		snprintf(line, sizeof(line), "%s-%s", efi ? "efi" : "bios", e->id);
		char *sec = section(s, line);
		snprintf(line, sizeof(line),
			 "kernel http://192.0.2.1:8080/iso/%s/files/install.amd/vmlinuz "
			 "initrd=initrd.gz initrd=" MENU_MEDIUM_NAME
			 " vga=788 --- quiet || goto failed",
			 e->id);
		CHECK_LINE(sec, line);
		char a[512], b[512];
		snprintf(a, sizeof(a),
			 "initrd http://192.0.2.1:8080/iso/%s/files/install.amd/gtk/initrd.gz || "
			 "goto failed",
			 e->id);
		snprintf(b, sizeof(b),
			 "initrd http://192.0.2.1:8080/iso/%s/medium/" MENU_MEDIUM_NAME
			 " || goto failed",
			 e->id);
		CHECK(lines_follow(sec, a, b));
		free(sec);
	}
	free(s);
	s = NULL;
	/* GRUB (Secure Boot through Debian's chain): the same, after the ISO's initrd. */
	CHECK_EQ_INT(menu_grub_script(&c, &p, &s, &len), 0);
	snprintf(line, sizeof(line),
		 "initrd (http,192.0.2.1)/iso/%s/files/install.amd/gtk/initrd.gz "
		 "(http,192.0.2.1)/iso/%s/medium/" MENU_MEDIUM_NAME,
		 e->id, e->id);
	CHECK(s && strstr(s, line) != NULL);
	free(s);
	catalog_finish(&c);
}

/* The answer to the question: no question again; enough RAM, the recipe is offered. */
static void test_script_recipe_enough_ram(void)
{
	struct catalog c;
	char *s = NULL, line[1024];
	size_t len;

	recipe_catalog(&c);
	const char *id = by_name(&c, "debian-live")->id;
	struct menu_params p = recipe_params_answered(2048);

	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	CHECK(strstr(s, "isset ${memsize}") == NULL);
	CHECK(strstr(s, "needs 1.5 GiB of RAM, this machine") == NULL);
	char *bm = section(s, "bios-menu");
	snprintf(line, sizeof(line), "item -- bios-%s debian-live", id);
	CHECK_LINE(bm, line);
	snprintf(line, sizeof(line),
		 "choose --default bios-%s --timeout 5000 isoboot-target || goto start", id);
	CHECK_LINE(bm, line);
	free(bm);
	free(s);
	catalog_finish(&c);
}

/* Too little RAM: said so, and the default falls to the SAN boot. */
static void test_script_recipe_too_little_ram(void)
{
	struct catalog c;
	char *s = NULL, line[1024], a[256], b[256];
	size_t len;

	recipe_catalog(&c);
	const char *id = by_name(&c, "debian-live")->id;
	struct menu_params p = recipe_params_answered(1024);

	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	char *bm = section(s, "bios-menu");
	char *em = section(s, "efi-menu");
	snprintf(a, sizeof(a),
		 "item --gap -- debian-live: needs 1.5 GiB of RAM, this machine has 1 GiB");
	snprintf(b, sizeof(b), "item -- bios-%s-san debian-live (boot from SAN)", id);
	CHECK(lines_follow(bm, a, b));
	snprintf(line, sizeof(line), "item -- bios-%s debian-live", id);
	CHECK_NO_LINE(bm, line);
	snprintf(line, sizeof(line),
		 "choose --default bios-%s-san --timeout 5000 isoboot-target || goto start", id);
	CHECK_LINE(bm, line);
	snprintf(line, sizeof(line),
		 "choose --default efi-%s-san --timeout 5000 isoboot-target || goto start", id);
	CHECK_LINE(em, line);
	free(bm);
	free(em);
	free(s);
	catalog_finish(&c);
}

/* Exactly enough is enough; 1 MiB less is not. */
static void test_script_recipe_ram_boundary(void)
{
	struct catalog c;
	char *s = NULL;
	size_t len;

	recipe_catalog(&c);
	struct menu_params p = recipe_params_answered(1536);

	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	CHECK(strstr(s, "this machine has") == NULL);
	free(s);
	p.memsize_mib = 1535;
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	CHECK(strstr(s, "needs 1.5 GiB of RAM, this machine has 1.5 GiB") != NULL);
	free(s);
	catalog_finish(&c);
}

/* Not asked (an iPXE without ${memsize}): offered, no question asked again. */
static void test_script_recipe_memsize_unknown(void)
{
	struct catalog c;
	char *s = NULL;
	size_t len;

	recipe_catalog(&c);
	struct menu_params p = recipe_params_answered(0);

	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	CHECK(strstr(s, "this machine has") == NULL);
	CHECK(strstr(s, "isset ${memsize}") == NULL);
	free(s);
	catalog_finish(&c);
}

/* UEFI over HTTP: the second entry is the HTTP SAN boot. */
static void test_script_recipe_uefi_http(void)
{
	struct catalog c;
	char *s = NULL, line[1024];
	size_t len;

	recipe_catalog(&c);
	const char *id = by_name(&c, "debian-live")->id;
	struct menu_params p = recipe_params_answered(0);

	p.uefi_boot = MENU_UEFI_HTTP;
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	snprintf(line, sizeof(line), "efi-%s-san", id);
	char *sec = section(s, line);
	snprintf(
	    line, sizeof(line),
	    "sanboot --no-describe http://192.0.2.1:8080/iso/%s/debian-live.iso || goto failed",
	    id);
	CHECK_LINE(sec, line);
	free(sec);
	free(s);
	catalog_finish(&c);
}

static const struct menu_params plain_params = {
    .title = "T",
    .http_base = "http://192.0.2.1",
    .iscsi_host = "192.0.2.1",
    .uefi_boot = MENU_UEFI_ISCSI,
};

/* A catalog of one BIOS ISO with a recipe, booting as the emulation says. */
static struct catalog_entry *one_recipe(struct catalog *c, const char *path, const char *name,
					enum iso_emulation em)
{
	catalog_init(c);
	struct catalog_entry *e = add(c, path, "", name);
	boot(e, ISO_PLATFORM_BIOS, em);
	give_recipe(e, "boot=live", 1);
	return e;
}

static void test_script_recipe_refused(void)
{
	struct catalog c;
	char *s = NULL, line[512];
	size_t len;
	static const char *const unsafe[] = {
	    "boot=live x=${x}",	 "boot=live || shell",	  "boot=live && shell",
	    "boot=live ; shell", "boot=live #comment",	  "boot=live a\\b",
	    "boot=live \x01",	 "boot=live caf\xc3\xa9", "boot=live $x",
	    "boot=live\ta",
	};
	static const char *const bad_kernels[] = {
	    "live/vm linuz", "live/vm@linuz", "live/", "live/vmlinuz?x", "live/vm%20linuz",
	};
	struct menu_params p = plain_params;

	for (size_t i = 0; i < ARRAY_SIZE(unsafe) + ARRAY_SIZE(bad_kernels) + 3; i++) {
		catalog_init(&c);
		struct catalog_entry *e = add(&c, "x.iso", "", "x");
		boot(e, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
		give_recipe(e, i < ARRAY_SIZE(unsafe) ? unsafe[i] : "boot=live", 1);
		if (i >= ARRAY_SIZE(unsafe) && i < ARRAY_SIZE(unsafe) + ARRAY_SIZE(bad_kernels)) {
			free(e->kernel);
			e->kernel = strdup(bad_kernels[i - ARRAY_SIZE(unsafe)]);
		} else if (i == ARRAY_SIZE(unsafe) + ARRAY_SIZE(bad_kernels)) {
			free(e->initrd[0]);
			e->initrd[0] = strdup("live/initrd img");
		} else if (i == ARRAY_SIZE(unsafe) + ARRAY_SIZE(bad_kernels) + 1) {
			free(e->initrd[0]); /* no initrd */
			e->n_initrd = 0;
		} else if (i == ARRAY_SIZE(unsafe) + ARRAY_SIZE(bad_kernels) + 2) {
			free(e->append); /* no parameters */
			e->append = NULL;
		}
		CHECK(!menu_recipe_usable(e, false));
		CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
		char *bm = section(s, "bios-menu");
		/* The plain SAN entry remains, under its plain label. */
		snprintf(line, sizeof(line), "item -- bios-%s x", e->id);
		CHECK_LINE(bm, line);
		snprintf(line, sizeof(line),
			 "choose --default bios-%s isoboot-target || goto start", e->id);
		CHECK_LINE(bm, line);
		CHECK(strstr(s, "-san") == NULL);
		CHECK(strstr(s, "imgfree") == NULL);
		CHECK(strstr(s, "/files/") == NULL);
		snprintf(line, sizeof(line), "bios-%s", e->id);
		char *sec = section(s, line);
		CHECK(strstr(sec, "sanboot iscsi:") != NULL);
		free(sec);
		free(bm);
		free(s);
		if (tap_case_failed) {
			printf("#   case %zu\n", i);
			catalog_finish(&c);
			break;
		}
		catalog_finish(&c);
	}
}

/* A recipe is offered only where the ISO boots at all: not on UEFI for a BIOS-only ISO. */
static void test_script_recipe_bios_only(void)
{
	struct catalog c;
	char *s = NULL, line[512];
	size_t len;
	struct menu_params p = plain_params;
	struct catalog_entry *e = one_recipe(&c, "x.iso", "x", ISO_EMUL_NONE);

	CHECK(menu_recipe_usable(e, false));
	CHECK(!menu_recipe_usable(e, true));
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	char *em = section(s, "efi-menu");
	CHECK_LINE(em, "item --gap -- x (BIOS only)");
	free(em);
	snprintf(line, sizeof(line), "efi-%s", e->id);
	char *sec = section(s, line);
	CHECK_STR(sec, "");
	free(sec);
	free(s);
	catalog_finish(&c);
}

/* A floppy-emulated BIOS boot: the recipe, then memdisk. */
static void test_script_recipe_floppy_memdisk(void)
{
	struct catalog c;
	char *s = NULL;
	size_t len;
	struct menu_params p = plain_params;
	struct catalog_entry *e = one_recipe(&c, "fd.iso", "fd", ISO_EMUL_FLOPPY_1440);

	p.memdisk = true;
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	char *bm = section(s, "bios-menu");
	char a[256], b[256];
	snprintf(a, sizeof(a), "item -- bios-%s fd", e->id);
	snprintf(b, sizeof(b), "item -- bios-%s-san fd (memdisk)", e->id);
	CHECK(lines_follow(bm, a, b));
	free(bm);
	free(s);
	catalog_finish(&c);
}

/* Without memdisk on the server: the recipe and a gap line. */
static void test_script_recipe_floppy_no_memdisk(void)
{
	struct catalog c;
	char *s = NULL, line[512], a[256];
	size_t len;
	struct menu_params p = plain_params;
	struct catalog_entry *e = one_recipe(&c, "fd.iso", "fd", ISO_EMUL_FLOPPY_1440);

	snprintf(a, sizeof(a), "item -- bios-%s fd", e->id);
	p.memdisk = false;
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	char *bm = section(s, "bios-menu");
	CHECK(lines_follow(bm, a, "item --gap -- fd (needs memdisk on the server)"));
	snprintf(line, sizeof(line), "choose --default bios-%s isoboot-target || goto start",
		 e->id);
	CHECK_LINE(bm, line);
	free(bm);
	free(s);
	catalog_finish(&c);
}

/* The settings of an ISO's sidecar file: extra parameters, the method first, hidden. */
static void settings_catalog(struct catalog *c)
{
	catalog_init(c);
	struct catalog_entry *live = add(c, "a-live.iso", "", "Lab live");
	boot(live, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	boot(live, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(live, "boot=live fetch={files}/live/filesystem.squashfs", 1);
	live->extra = strdup("nomodeset preseed/url={files}/preseed.cfg srv={server}");
	struct catalog_entry *san = add(c, "b-san.iso", "", "b-san");
	boot(san, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	boot(san, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(san, "boot=live", 1);
	san->extra = strdup("not-for-sanboot");
	san->method = CATALOG_METHOD_SANBOOT;
	struct catalog_entry *md = add(c, "c-md.iso", "", "c-md");
	boot(md, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	boot(md, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	md->method = CATALOG_METHOD_MEMDISK;
	struct catalog_entry *hid = add(c, "d-hidden.iso", "hidden-group", "d-hidden");
	boot(hid, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	hid->hidden = true;
	catalog_sort(c);
}

static const struct menu_params settings_params = {
    .title = "Lab",
    .http_base = "http://192.0.2.1",
    .iscsi_host = "192.0.2.1",
    .uefi_boot = MENU_UEFI_ISCSI,
    .memdisk = true,
    .memsize_asked = true,
    .memsize_mib = 4096,
    .default_entry = "b-san.iso",
};

static void test_script_settings(void)
{
	struct catalog c;
	char *s = NULL, line[1024], a[256], b[256];
	size_t len;

	settings_catalog(&c);
	struct catalog_entry *live = by_name(&c, "Lab live");
	struct catalog_entry *san = by_name(&c, "b-san");
	struct catalog_entry *md = by_name(&c, "c-md");
	struct catalog_entry *hid = by_name(&c, "d-hidden");
	struct menu_params p = settings_params;

	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	char *bm = section(s, "bios-menu"), *em = section(s, "efi-menu");
	/* The display name; the recipe first (auto). */
	snprintf(a, sizeof(a), "item -- bios-%s Lab live", live->id);
	snprintf(b, sizeof(b), "item -- bios-%s-san Lab live (boot from SAN)", live->id);
	CHECK(lines_follow(bm, a, b));
	/* The extra parameters after the recipe's, with the placeholders filled in. */
	snprintf(line, sizeof(line), "bios-%s", live->id);
	char *sec = section(s, line);
	snprintf(line, sizeof(line),
		 "kernel http://192.0.2.1/iso/%s/files/live/vmlinuz initrd=initrd.img boot=live "
		 "fetch=http://192.0.2.1/iso/%s/files/live/filesystem.squashfs nomodeset "
		 "preseed/url=http://192.0.2.1/iso/%s/files/preseed.cfg srv=192.0.2.1 || goto "
		 "failed",
		 live->id, live->id, live->id);
	CHECK_LINE(sec, line);
	free(sec);
	/* method = sanboot: the SAN item first, and it is what the default starts. */
	snprintf(a, sizeof(a), "item -- bios-%s-san b-san (boot from SAN)", san->id);
	snprintf(b, sizeof(b), "item -- bios-%s b-san", san->id);
	CHECK(lines_follow(bm, a, b));
	snprintf(line, sizeof(line), "choose --default bios-%s-san isoboot-target || goto start",
		 san->id);
	CHECK_LINE(bm, line);
	snprintf(line, sizeof(line), "choose --default efi-%s-san isoboot-target || goto start",
		 san->id);
	CHECK_LINE(em, line);
	/* method = memdisk: memdisk on BIOS although the ISO boots without emulation; SAN on
	 * UEFI, where memdisk does not run. */
	snprintf(line, sizeof(line), "item -- bios-%s c-md", md->id);
	CHECK_LINE(bm, line);
	snprintf(line, sizeof(line), "bios-%s", md->id);
	sec = section(s, line);
	CHECK(strstr(sec, "kernel http://192.0.2.1/boot/memdisk iso raw") != NULL);
	free(sec);
	snprintf(line, sizeof(line), "efi-%s", md->id);
	sec = section(s, line);
	snprintf(line, sizeof(line), "sanboot iscsi:192.0.2.1::::%s || goto failed", md->iqn);
	CHECK_LINE(sec, line);
	free(sec);
	/* hidden: not in the menu, nor its group, nor a label of its own. */
	CHECK(strstr(s, hid->id) == NULL);
	CHECK(strstr(s, "hidden-group") == NULL);
	free(bm);
	free(em);
	free(s);
	catalog_finish(&c);
}

/* Without memdisk on the server, method = memdisk says so on BIOS. */
static void test_script_settings_no_memdisk(void)
{
	struct catalog c;
	char *s = NULL;
	size_t len;
	struct menu_params p = settings_params;

	settings_catalog(&c);
	p.memdisk = false;
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	char *bm = section(s, "bios-menu");
	CHECK_LINE(bm, "item --gap -- c-md (needs memdisk on the server)");
	free(bm);
	free(s);
	catalog_finish(&c);
}

/* Under UEFI, each client architecture gets the ISOs with a loader for it (efi-arch). */
static void test_script_efi_arch(void)
{
	struct catalog c;
	char *s = NULL, line[512];
	size_t len;

	catalog_init(&c);
	struct catalog_entry *e;
	e = add(&c, "x64.iso", "", "x64-only");
	boot(e, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	e->efi_arches = ISO_EFI_ARCH_X64;
	e = add(&c, "arm.iso", "", "arm64-only");
	boot(e, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	e->efi_arches = ISO_EFI_ARCH_ARM64;
	e = add(&c, "both.iso", "", "both");
	boot(e, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	e->efi_arches = ISO_EFI_ARCH_X64 | ISO_EFI_ARCH_ARM64;
	e = add(&c, "old.iso", "", "unknown"); /* a catalog from before efi-arch: x64 */
	boot(e, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	e = add(&c, "pc.iso", "", "bios-only");
	boot(e, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	e = add(&c, "live.iso", "", "live-arm");
	boot(e, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	e->efi_arches = ISO_EFI_ARCH_X64 | ISO_EFI_ARCH_ARM64;
	give_recipe(e, "boot=live fetch={files}/live/filesystem.squashfs", 1ull << 30);
	catalog_sort(&c);

	struct menu_params p = {
	    .title = "Lab",
	    .default_entry = "arm.iso",
	    .timeout = 5,
	    .http_base = "http://192.0.2.1",
	    .iscsi_host = "192.0.2.1",
	    .uefi_boot = MENU_UEFI_ISCSI,
	    .memsize_asked = true,
	};
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	/* ARM64 iPXE (${buildarch} arm64) goes to its own menu before the x86-64 one. */
	CHECK(lines_follow(
	    s, "iseq ${platform} efi && iseq ${buildarch} arm64 && goto efiarm64-menu ||",
	    "iseq ${platform} efi && goto efi-menu ||"));
	char *am = section(s, "efiarm64-menu"), *em = section(s, "efi-menu");
	CHECK_LINE(am, "menu -- Lab (ARM64 UEFI)");
	const char *arm = by_name(&c, "arm64-only")->id, *both = by_name(&c, "both")->id;
	const char *x64 = by_name(&c, "x64-only")->id, *old = by_name(&c, "unknown")->id;
	const char *live = by_name(&c, "live-arm")->id;
	snprintf(line, sizeof(line), "item -- efiarm64-%s arm64-only", arm);
	CHECK_LINE(am, line);
	snprintf(line, sizeof(line), "item -- efiarm64-%s both", both);
	CHECK_LINE(am, line);
	CHECK_LINE(am, "item --gap -- x64-only (no ARM64 UEFI loader)");
	CHECK_LINE(am, "item --gap -- unknown (no ARM64 UEFI loader)");
	CHECK_LINE(am, "item --gap -- bios-only (BIOS only)");
	/* A recipe boots an x86 kernel: ARM64 gets the ISO's own loader only, as its item. */
	snprintf(line, sizeof(line), "item -- efiarm64-%s live-arm", live);
	CHECK_LINE(am, line);
	snprintf(line, sizeof(line), ":efiarm64-%s-san", live);
	CHECK(!strstr(s, line));
	snprintf(line, sizeof(line), "choose --default efiarm64-%s --timeout 5000", arm);
	CHECK(strstr(am, line) != NULL);
	/* x86-64: the reverse, and the unknown as before. */
	CHECK_LINE(em, "item --gap -- arm64-only (no x86-64 UEFI loader)");
	snprintf(line, sizeof(line), "item -- efi-%s x64-only", x64);
	CHECK_LINE(em, line);
	snprintf(line, sizeof(line), "item -- efi-%s unknown", old);
	CHECK_LINE(em, line);
	snprintf(line, sizeof(line), "item -- efi-%s-san live-arm (boot from SAN)", live);
	CHECK_LINE(em, line);
	/* Its boot: the SAN of that ISO. */
	snprintf(line, sizeof(line), ":efiarm64-%s", arm);
	CHECK(strstr(s, line) != NULL);
	free(am);
	free(em);
	free(s);
	catalog_finish(&c);
}

/* The GRUB menu of the Secure Boot chain: recipes only, GRUB's quoting, the same default. */
static void test_grub_script(void)
{
	struct catalog c;
	char *s = NULL, line[1024];
	size_t len;

	catalog_init(&c);
	struct catalog_entry *live = add(&c, "linux/debian-live.iso", "linux", "Debian's live");
	boot(live, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	boot(live, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(live, "boot=live fetch={files}/live/filesystem.squashfs iso={iso}", 3ull << 29);
	free(live->extra);
	live->extra = strdup("console=ttyS0,115200 x='y'");
	struct catalog_entry *evil =
	    add(&c, "evil.iso", "", "x' ; reboot ; echo '$(rm) ${y} \\ }\nmenuentry z {");
	boot(evil, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(evil, "boot=live", 1ull << 30);
	struct catalog_entry *san = add(&c, "tools/grub.iso", "tools", "grub-rescue");
	boot(san, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	struct catalog_entry *bios = add(&c, "old.iso", "", "bios live");
	boot(bios, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	give_recipe(bios, "boot=live", 1ull << 30); /* no UEFI entry: not on UEFI */
	struct catalog_entry *hid = add(&c, "hidden.iso", "", "hidden");
	boot(hid, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(hid, "boot=live", 1ull << 30);
	hid->hidden = true;
	catalog_sort(&c);
	live = by_name(&c, "Debian's live");
	san = by_name(&c, "grub-rescue");

	struct menu_params p = {
	    .title = "Lab",
	    .default_entry = "debian-live.iso",
	    .timeout = 7,
	    .http_base = "http://192.0.2.1",
	    .iscsi_host = "192.0.2.1",
	};
	CHECK_EQ_INT(menu_grub_script(&c, &p, &s, &len), 0);
	CHECK_EQ_INT(strlen(s), len);
	CHECK_LINE(s, "set timeout=7");
	snprintf(line, sizeof(line), "set default=isoboot-%s", live->id);
	CHECK_LINE(s, line);
	/* The recipe entry: title and every parameter single-quoted, GRUB's HTTP device. */
	snprintf(line, sizeof(line), "menuentry 'linux / Debian'\\''s live' --id isoboot-%s {",
		 live->id);
	CHECK_LINE(s, line);
	snprintf(line, sizeof(line),
		 "\tif linux (http,192.0.2.1)/iso/%s/files/live/vmlinuz 'boot=live' "
		 "'fetch=http://192.0.2.1/iso/%s/files/live/filesystem.squashfs' "
		 "'iso=http://192.0.2.1/iso/%s/debian-live.iso' 'console=ttyS0,115200' "
		 "'x='\\''y'\\'''; then",
		 live->id, live->id, live->id);
	CHECK_LINE(s, line);
	snprintf(line, sizeof(line), "\t\tinitrd (http,192.0.2.1)/iso/%s/files/live/initrd.img",
		 live->id);
	CHECK_LINE(s, line);
	/* A hostile name stays one quoted word: no line of it starts a command or an entry. */
	CHECK(!strstr(s, "\nmenuentry z"));
	CHECK(!strstr(s, "\nreboot"));
	/* (menu_text_sanitize made it one line, and iPXE-safe besides.) */
	CHECK(strstr(s, "menuentry 'x'\\'' _ reboot _ echo '\\''$(rm) $(y} / } menuentry z {'") !=
	      NULL);
	/* Without a recipe: an entry that says why, not a silent gap. */
	snprintf(line, sizeof(line),
		 "menuentry 'tools / grub-rescue (not with Secure Boot on)' --id isoboot-%s {",
		 san->id);
	CHECK_LINE(s, line);
	/* Not on UEFI, or hidden: absent. */
	CHECK(!strstr(s, "bios live"));
	CHECK(!strstr(s, "hidden"));
	/* Secure Boot off: iPXE, with every ISO, over HTTP. */
	CHECK(lines_follow(s, "if [ \"$lockdown\" != y ]; then",
			   "\tmenuentry 'All ISOs: the iPXE menu (Secure Boot is off)' --id "
			   "isoboot-ipxe {"));
	CHECK_LINE(s, "\t\tchainloader (http,192.0.2.1)/boot/ipxe-x64.efi");
	/* The refusal's message under Secure Boot. */
	CHECK(strstr(s, "cannot boot with Secure Boot on") != NULL);
	free(s);

	/* A default GRUB cannot boot: iPXE's when Secure Boot is off, else the first recipe. */
	p.default_entry = "tools/grub.iso";
	p.timeout = 0;
	CHECK_EQ_INT(menu_grub_script(&c, &p, &s, &len), 0);
	CHECK_LINE(s, "set timeout=-1");
	CHECK_LINE(s, "\tset default=isoboot-ipxe");
	CHECK(strstr(s, "\nset default=isoboot-") != NULL);
	free(s);
	catalog_finish(&c);

	/* Empty. */
	catalog_init(&c);
	CHECK_EQ_INT(menu_grub_script(&c, &p, &s, &len), 0);
	CHECK(strstr(s, "No ISOs yet") != NULL);
	free(s);
	catalog_finish(&c);
}

/* What a URL under /sb/ or /sbnext/ maps to: kind, id and the path (or the MAC's text). */
static void sb_url_is(const char *url, int want, enum menu_url_kind want_kind, const char *want_id,
		      const char *want_file)
{
	enum menu_url_kind kind = MENU_URL_SCRIPT;
	char id[CATALOG_ID_MAX] = "", file[MENU_URL_MAX + 1] = "";
	int r = menu_url_parse(url, &kind, id, file);

	if (r != want || (r == 0 && (kind != want_kind || strcmp(id, want_id) != 0 ||
				     strcmp(file, want_file) != 0))) {
		printf("#   url \"%s\": got %d kind %d id \"%s\" file \"%s\", expected %d kind %d "
		       "id \"%s\" file \"%s\"\n",
		       url, r, kind, id, file, want, want_kind, want_id ? want_id : "",
		       want_file ? want_file : "");
		tap_case_failed = 1;
	}
}

/* The ISO's own loader's requests: shim's "//", any case, grub.cfg anywhere is isoboot's. */
static void test_url_sb(void)
{
	sb_url_is("/sb/abc/EFI/BOOT/BOOTX64.EFI", 0, MENU_URL_SB_FILE, "abc",
		  "EFI/BOOT/BOOTX64.EFI");
	sb_url_is("/sb/abc/EFI/BOOT//grubx64.efi", 0, MENU_URL_SB_FILE, "abc",
		  "EFI/BOOT/grubx64.efi");
	sb_url_is("/sb//abc///EFI//x/", 0, MENU_URL_SB_FILE, "abc", "EFI/x");
	sb_url_is("/sb/abc/EFI/BOOT/grub.cfg", 0, MENU_URL_SB_CONFIG, "abc", "EFI/BOOT/grub.cfg");
	sb_url_is("/sb/abc/EFI/BOOT/GRUB.CFG", 0, MENU_URL_SB_CONFIG, "abc", "EFI/BOOT/GRUB.CFG");
	sb_url_is("/sb/abc//grub.cfg", 0, MENU_URL_SB_CONFIG, "abc", "grub.cfg");
	sb_url_is("/sb/abc/boot/grub/x86_64-efi/grub.cfg", 0, MENU_URL_SB_CONFIG, "abc",
		  "boot/grub/x86_64-efi/grub.cfg");
	sb_url_is("/sb/abc/EFI/BOOT/mygrub.cfg", 0, MENU_URL_SB_FILE, "abc", "EFI/BOOT/mygrub.cfg");
	sb_url_is("/sb/abc", -ENOENT, 0, NULL, NULL);
	sb_url_is("/sb/abc/", -ENOENT, 0, NULL, NULL);
	sb_url_is("/sb/ABC/x", -ENOENT, 0, NULL, NULL);
	sb_url_is("/sb/abc/../x", -EINVAL, 0, NULL, NULL);
	sb_url_is("/sb/abc/%2E%2E/x", -EINVAL, 0, NULL, NULL);
	sb_url_is("/sb/abc/a\\b", -EINVAL, 0, NULL, NULL);
	/* Elsewhere "//" stays what no honest client sends. */
	url_is("/iso//abc", -EINVAL, 0, NULL);
	url_is("/iso/abc//files/x", -EINVAL, 0, NULL);
	/* The choice: a MAC address as GRUB's $net_default_mac has it, and an id. */
	sb_url_is("/sbnext/52:54:00:ab:cd:ef/abc", 0, MENU_URL_SB_NEXT, "abc", "52:54:00:ab:cd:ef");
	sb_url_is("/sbnext/52-54-00-AB-CD-EF/abc", 0, MENU_URL_SB_NEXT, "abc", "52-54-00-AB-CD-EF");
	sb_url_is("/sbnext/52:54:00:ab:cd/abc", -ENOENT, 0, NULL, NULL);
	sb_url_is("/sbnext/52:54:00:ab:cd:ef:01/abc", -ENOENT, 0, NULL, NULL);
	sb_url_is("/sbnext/52:54:00:ab:cd:eg/abc", -ENOENT, 0, NULL, NULL);
	sb_url_is("/sbnext/52:54:00:ab:cd:ef/Abc", -ENOENT, 0, NULL, NULL);
	sb_url_is("/sbnext/52:54:00:ab:cd:ef", -ENOENT, 0, NULL, NULL);
	sb_url_is("/sbnext/52:54:00:ab:cd:ef/abc/x", -ENOENT, 0, NULL, NULL);
}

/* A recipe ISO that carries an x86-64 UEFI loader also gets the entry that restarts into it. */
static void test_grub_own_loader_entries(void)
{
	struct catalog c;
	char *s = NULL, line[1024];
	size_t len;

	catalog_init(&c);
	struct catalog_entry *ubu = add(&c, "ubuntu.iso", "", "Ubuntu");
	boot(ubu, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(ubu, "boot=casper", 1ull << 30);
	ubu->efi_arches = ISO_EFI_ARCH_X64;
	struct catalog_entry *arm = add(&c, "arm.iso", "", "Arm only");
	boot(arm, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(arm, "boot=live", 1ull << 30);
	arm->efi_arches = ISO_EFI_ARCH_ARM64;
	catalog_sort(&c);
	ubu = by_name(&c, "Ubuntu");
	arm = by_name(&c, "Arm only");

	struct menu_params p = {.http_base = "http://192.0.2.1", .iscsi_host = "192.0.2.1"};
	CHECK_EQ_INT(menu_grub_script(&c, &p, &s, &len), 0);
	snprintf(line, sizeof(line), "menuentry 'Ubuntu' --id isoboot-%s {", ubu->id);
	CHECK_LINE(s, line);
	snprintf(line, sizeof(line),
		 "menuentry 'Ubuntu (its own signed boot loader: restarts)' --id isoboot-%s.own {",
		 ubu->id);
	CHECK_LINE(s, line);
	snprintf(line, sizeof(line), "\tsource (http,192.0.2.1)/sbnext/$net_default_mac/%s",
		 ubu->id);
	CHECK_LINE(s, line);
	/* No x86-64 loader in the ISO: no such entry. */
	snprintf(line, sizeof(line), "isoboot-%s.own", arm->id);
	CHECK(!strstr(s, line));
	free(s);

	/* "method = sanboot" (its own boot loader first): that entry takes the ISO's id. */
	ubu->method = CATALOG_METHOD_SANBOOT;
	p.default_entry = "ubuntu.iso";
	CHECK_EQ_INT(menu_grub_script(&c, &p, &s, &len), 0);
	snprintf(line, sizeof(line),
		 "menuentry 'Ubuntu (its own signed boot loader: restarts)' --id isoboot-%s {",
		 ubu->id);
	CHECK_LINE(s, line);
	snprintf(line, sizeof(line),
		 "menuentry 'Ubuntu (its kernel through isoboot)' --id isoboot-%s.kernel {",
		 ubu->id);
	CHECK_LINE(s, line);
	snprintf(line, sizeof(line), "set default=isoboot-%s", ubu->id);
	CHECK_LINE(s, line);
	free(s);
	catalog_finish(&c);
}

/* What the ISO's own GRUB reads as its grub.cfg: the recipe; failing that, a restart. */
static void test_grub_own_config(void)
{
	struct catalog c;
	char *s = NULL, line[1024];
	size_t len;

	catalog_init(&c);
	struct catalog_entry *live = add(&c, "live.iso", "", "it's live");
	boot(live, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	give_recipe(live, "boot=live fetch={files}/live/filesystem.squashfs", 1ull << 30);
	struct catalog_entry *san = add(&c, "san.iso", "", "san");
	boot(san, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	catalog_sort(&c);
	live = by_name(&c, "it's live");
	san = by_name(&c, "san");

	struct menu_params p = {.http_base = "http://192.0.2.1", .iscsi_host = "192.0.2.1"};
	p.own_id = live->id;
	CHECK_EQ_INT(menu_grub_own_config(&c, &p, &s, &len), 0);
	CHECK_EQ_INT(strlen(s), len);
	snprintf(line, sizeof(line),
		 "\tif linux (http,192.0.2.1)/iso/%s/files/live/vmlinuz 'boot=live' "
		 "'fetch=http://192.0.2.1/iso/%s/files/live/filesystem.squashfs'; then",
		 live->id, live->id);
	CHECK_LINE(s, line);
	CHECK(strstr(s, "\techo 'Booting it'\\''s live: its own kernel") != NULL);
	CHECK(strstr(s, "cannot boot with Secure Boot on") != NULL);
	CHECK(str_endswith(s, "\nreboot\n"));
	CHECK(!strstr(s, "menuentry"));
	free(s);

	/* No recipe, or not in the catalog: said, then a restart. */
	p.own_id = san->id;
	CHECK_EQ_INT(menu_grub_own_config(&c, &p, &s, &len), 0);
	CHECK_LINE(s,
		   "echo 'isoboot: isoboot has no way to boot this ISO'\\''s kernel (no recipe).'");
	CHECK(str_endswith(s, "\nreboot\n"));
	CHECK(!strstr(s, "linux"));
	free(s);
	p.own_id = "gone-0123";
	CHECK_EQ_INT(menu_grub_own_config(&c, &p, &s, &len), 0);
	CHECK_LINE(s, "echo 'isoboot: this ISO is no longer in the catalog.'");
	free(s);
	catalog_finish(&c);
}

/* The answer to the choice: a restart, or the reason in GRUB's quoting and back to the menu. */
static void test_grub_next_reply(void)
{
	char *s = NULL;
	size_t len;

	CHECK_EQ_INT(menu_grub_next_reply("Ubuntu 'x'", NULL, &s, &len), 0);
	CHECK_LINE(s, "echo 'isoboot: restarting into the boot loader of Ubuntu '\\''x'\\'' (UEFI "
		      "HTTP Boot)...'");
	CHECK(str_endswith(s, "\nreboot\n"));
	free(s);
	CHECK_EQ_INT(menu_grub_next_reply("", "it's not signed", &s, &len), 0);
	CHECK_LINE(s, "echo 'isoboot: it'\\''s not signed'");
	CHECK(!strstr(s, "reboot"));
	free(s);
}

/* An ISO whose Linux is of no known family keeps its own boot loader, and the item says so. */
static void test_script_unrecognised(void)
{
	struct catalog c;
	char *s = NULL, line[512];
	size_t len;

	catalog_init(&c);
	struct catalog_entry *os = add(&c, "os.iso", "", "Some OS");
	boot(os, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	boot(os, ISO_PLATFORM_UEFI, ISO_EMUL_NONE);
	os->unrecognised = true;
	struct catalog_entry *mt = add(&c, "memtest.iso", "", "memtest");
	boot(mt, ISO_PLATFORM_BIOS, ISO_EMUL_NONE);
	catalog_sort(&c);
	os = by_name(&c, "Some OS");
	mt = by_name(&c, "memtest");

	struct menu_params p = {
	    .title = "Lab",
	    .http_base = "http://192.0.2.1",
	    .iscsi_host = "192.0.2.1",
	    .uefi_boot = MENU_UEFI_HTTP,
	};
	CHECK_EQ_INT(menu_script(&c, &p, &s, &len), 0);
	snprintf(line, sizeof(line),
		 "item -- bios-%s Some OS (family not recognised: boot from SAN)", os->id);
	CHECK_LINE(s, line);
	snprintf(line, sizeof(line),
		 "item -- efi-%s Some OS (family not recognised: boot from SAN)", os->id);
	CHECK_LINE(s, line);
	snprintf(line, sizeof(line), "item -- bios-%s memtest", mt->id);
	CHECK_LINE(s, line);
	free(s);
	catalog_finish(&c);
}

int main(void)
{
	RUN(test_range_basic);
	RUN(test_range_unsatisfiable);
	RUN(test_range_ignored);
	RUN(test_range_64bit);
	RUN(test_dates_and_if_range);
	RUN(test_url);
	RUN(test_url_file);
	RUN(test_url_sb);
	RUN(test_sanitize);
	RUN(test_script);
	RUN(test_script_http_v6);
	RUN(test_script_empty);
	RUN(test_script_urls_accepted);
	RUN(test_script_recipe);
	RUN(test_script_recipe_medium);
	RUN(test_script_recipe_enough_ram);
	RUN(test_script_recipe_too_little_ram);
	RUN(test_script_recipe_ram_boundary);
	RUN(test_script_recipe_memsize_unknown);
	RUN(test_script_recipe_uefi_http);
	RUN(test_script_recipe_refused);
	RUN(test_script_recipe_bios_only);
	RUN(test_script_recipe_floppy_memdisk);
	RUN(test_script_recipe_floppy_no_memdisk);
	RUN(test_script_settings);
	RUN(test_script_settings_no_memdisk);
	RUN(test_script_efi_arch);
	RUN(test_grub_script);
	RUN(test_grub_own_loader_entries);
	RUN(test_grub_own_config);
	RUN(test_grub_next_reply);
	RUN(test_script_unrecognised);
	return tap_done();
}
