/* SPDX-License-Identifier: MIT */
/* isoboot-web's own request parsers (parse.c), with hostile input. */
#include <stdint.h>

#include "parse.h"
#include "tap.h"

static void test_content_range(void)
{
	uint64_t f, l, t;

	CHECK_EQ_INT(web_content_range_parse("bytes 0-99/1000", &f, &l, &t), 0);
	CHECK(f == 0 && l == 99 && t == 1000);
	CHECK_EQ_INT(web_content_range_parse("bytes 999-999/1000", &f, &l, &t), 0);
	const char *bad[] = {
	    "bytes */1000",
	    "bytes 0-99/*",
	    "bytes 100-99/1000",
	    "bytes 0-1000/1000",
	    "bytes -1-5/10",
	    "bytes 0-5/10 ",
	    " bytes 0-5/10",
	    "Bytes 0-5/10",
	    "bytes 0 -5/10",
	    "bytes 0-5",
	    "bytes +0-5/10",
	    "",
	    "bytes 0-5/99999999999999999999",
	    "bytes 18446744073709551615-0/1",
	    "items 0-5/10",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (web_content_range_parse(bad[i], &f, &l, &t) != -EINVAL) {
			printf("#   accepted: '%s'\n", bad[i]);
			CHECK(0);
		}
}

static void test_form(void)
{
	const char body[] = "user=ad%6Din&password=a+b%26c%3D&empty=&bare&user=second";
	char out[16];
	size_t n = sizeof(body) - 1;

	CHECK_EQ_INT(web_form_value(body, n, "user", out, sizeof(out)), 0);
	CHECK_STR(out, "admin");
	CHECK_EQ_INT(web_form_value(body, n, "password", out, sizeof(out)), 0);
	CHECK_STR(out, "a b&c=");
	CHECK_EQ_INT(web_form_value(body, n, "empty", out, sizeof(out)), 0);
	CHECK_STR(out, "");
	CHECK_EQ_INT(web_form_value(body, n, "bare", out, sizeof(out)), 0);
	CHECK_EQ_INT(web_form_value(body, n, "use", out, sizeof(out)), -ENOENT);
	CHECK_EQ_INT(web_form_value("a=%00", 5, "a", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(web_form_value("a=%4", 4, "a", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(web_form_value("a=%zz", 5, "a", out, sizeof(out)), -EINVAL);
	CHECK_EQ_INT(web_form_value("a=0123456789abcdef", 18, "a", out, sizeof(out)), -E2BIG);
	/* not NUL-terminated: the value ends at len, not at what follows */
	CHECK_EQ_INT(web_form_value("a=xyGARBAGE", 4, "a", out, sizeof(out)), 0);
	CHECK_STR(out, "xy");
}

static void test_iso_path(void)
{
	char g[WEB_NAME_MAX + 1], n[WEB_NAME_MAX + 1];

	CHECK_EQ_INT(web_iso_path_check("debian.iso", g, n), 0);
	CHECK_STR(g, "");
	CHECK_STR(n, "debian.iso");
	CHECK_EQ_INT(web_iso_path_check("linux/Caf\xc3\xa9 Live.ISO", g, n), 0);
	CHECK_STR(g, "linux");
	CHECK_STR(n, "Caf\xc3\xa9 Live.ISO");
	const char *bad[] = {
	    "",		".iso",	    ".hidden.iso", "../x.iso",	    "a/../x.iso",	"a/b/c.iso",
	    "/x.iso",	"g/",	    "x.img",	   "x\n.iso",	    "x\x1b.iso",	"x\x7f.iso",
	    "g\\x.iso", ".g/x.iso", "x\xff.iso",   "x\xc0\xaf.iso", "\xed\xa0\x80.iso", "g//x.iso",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (web_iso_path_check(bad[i], g, n) != -EINVAL) {
			printf("#   accepted: '%s'\n", bad[i]);
			CHECK(0);
		}
	char longname[WEB_NAME_MAX + 8];
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + WEB_NAME_MAX - 3, ".iso", 5);
	CHECK_EQ_INT(web_iso_path_check(longname, g, n), -EINVAL);
	longname[WEB_NAME_MAX - 4] = '\0';
	memcpy(longname + WEB_NAME_MAX - 8, ".iso", 5);
	CHECK_EQ_INT(web_iso_path_check(longname, g, n), 0);
}

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_string(f, "a\"b\\c\n\x01\x7f \xc3\xa9 \xff end");
	fclose(f);
	CHECK_STR(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f \xc3\xa9 \\ufffd end\"");
	free(buf);
}

int main(void)
{
	RUN(test_content_range);
	RUN(test_form);
	RUN(test_iso_path);
	RUN(test_json);
	return tap_done();
}
