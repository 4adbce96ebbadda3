/* SPDX-License-Identifier: MIT */
/*
 * Per-ISO settings files (NAME.iso.isoboot): what they set, the errors they report (as
 * FILE:LINE: message), and that a file with any error sets nothing; the settings' round trip
 * through the catalog's text format.
 */
#include "catalog-fixture.h"
#include "sidecar.h"
#include "tap.h"
#include "util.h"

static int parse(const char *text, struct sidecar *s, char *problems)
{
	return sidecar_parse("lab/x.iso.isoboot", text, strlen(text), s, problems);
}

static void test_valid(void)
{
	struct sidecar s;
	char problems[SIDECAR_PROBLEMS_MAX];

	CHECK_EQ_INT(parse("# the lab's Debian\n"
			   "[iso]\n"
			   "name = Debian 12 live (lab 3) ü\n"
			   "append = nomodeset\n"
			   "append = preseed/url={files}/p.cfg  console=ttyS0,115200n8\n"
			   "method = sanboot\n"
			   "hidden = no\n",
			   &s, problems),
		     0);
	CHECK_STR(problems, "");
	CHECK_STR(s.name, "Debian 12 live (lab 3) ü");
	CHECK_STR(s.append, "nomodeset preseed/url={files}/p.cfg  console=ttyS0,115200n8");
	CHECK_EQ_INT(s.method, CATALOG_METHOD_SANBOOT);
	CHECK(!s.hidden);
	sidecar_finish(&s);

	/* Empty, comments only, a byte order mark, CRLF, an inline comment. */
	CHECK_EQ_INT(parse("", &s, problems), 0);
	CHECK(!s.name && !s.append && s.method == CATALOG_METHOD_AUTO && !s.hidden);
	CHECK_EQ_INT(parse("; nothing\n# at all\n\n", &s, problems), 0);
	CHECK_EQ_INT(
	    parse("\xef\xbb\xbf[iso]\r\nhidden = yes\r\nmethod = memdisk ; why\r\n", &s, problems),
	    0);
	CHECK(s.hidden);
	CHECK_EQ_INT(s.method, CATALOG_METHOD_MEMDISK);
	sidecar_finish(&s);
	static const char *const methods[] = {"auto", "live", "sanboot", "memdisk"};
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		char text[64];
		snprintf(text, sizeof(text), "[iso]\nmethod=%s\n", methods[i]);
		CHECK_EQ_INT(parse(text, &s, problems), 0);
		CHECK_EQ_INT(s.method, (int)i);
		CHECK_STR(catalog_method_to_string(s.method), methods[i]);
	}
	/* 1024 bytes of parameters over several lines are allowed, one more is not. */
	char big[2048];
	size_t o = (size_t)snprintf(big, sizeof(big), "[iso]\n");
	for (int i = 0; i < 10; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "append = %0101d\n", i);
	/* 10 * 101 + 9 spaces = 1019; "+ 1234" makes 1024. */
	snprintf(big + o, sizeof(big) - o, "append = 1234\n");
	CHECK_EQ_INT(parse(big, &s, problems), 0);
	CHECK_EQ_INT(strlen(s.append), 1024);
	sidecar_finish(&s);
	snprintf(big + o, sizeof(big) - o, "append = 12345\n");
	CHECK_EQ_INT(parse(big, &s, problems), -EINVAL);
	CHECK(strstr(problems, "lab/x.iso.isoboot:12: append: more than 1024 bytes") != NULL);
}

/* Each bad file: -EINVAL, nothing set, and the message with its line. */
static void bad(const char *text, const char *want)
{
	struct sidecar s = {.name = (char *)"stale"};
	char problems[SIDECAR_PROBLEMS_MAX];

	CHECK_EQ_INT(parse(text, &s, problems), -EINVAL);
	CHECK(!s.name && !s.append && s.method == CATALOG_METHOD_AUTO && !s.hidden);
	if (!strstr(problems, want)) {
		printf("#   expected '%s' in: %s\n", want, problems);
		tap_case_failed = 1;
	}
}

static void test_errors(void)
{
	bad("[iso]\nnmae = x\n", "lab/x.iso.isoboot:2: unknown key 'nmae' in section [iso]");
	bad("name = x\n", "lab/x.iso.isoboot:1: key 'name' outside of the [iso] section");
	bad("[menu]\nname = x\n", "lab/x.iso.isoboot:2: unknown section [menu], expected [iso]");
	bad("[iso]\n\nmethod = pxe\n",
	    "lab/x.iso.isoboot:3: method must be auto, live, sanboot or memdisk, got 'pxe'");
	bad("[iso]\nhidden = maybe\n", "lab/x.iso.isoboot:2: hidden must be yes or no");
	bad("[iso]\nname = a\nname = b\n", "lab/x.iso.isoboot:3: name is given twice");
	bad("[iso]\nmethod = live\nmethod = live\n", ":3: method is given twice");
	bad("[iso]\nhidden = no\nhidden = yes\n", ":3: hidden is given twice");
	bad("[iso]\nname =\n", ":2: name must be 1 to 128 bytes of text");
	bad("[iso]\nname = tab\there\n", ":2: name must be 1 to 128 bytes of text");
	bad("[iso]\nthis line has no equals sign\n", ":2: syntax error");
	bad("[iso\nname = x\n", ":1: syntax error");
	/* What iPXE would read as its own syntax, or expand. */
	static const char *const unsafe[] = {
	    "a=${net0/ip}", "a||reboot", "a&&shell", "a;b",   "a#b",
	    "a\\b",	    "a=\"b c\"", "a='b'",    "a=`b`", "a\x01",
	};
	for (size_t i = 0; i < ARRAY_SIZE(unsafe); i++) {
		char text[128];
		snprintf(text, sizeof(text), "[iso]\nappend = ok %s\n", unsafe[i]);
		bad(text, ":2: append: '");
	}
	/* Good keys before an error are not applied either. */
	bad("[iso]\nname = fine\nhidden = yes\nappend = $x\n", ":4: append");
	/* Several errors, each with its line. */
	bad("[iso]\nfoo = 1\nbar = 2\n", ":2: unknown key 'foo' in section [iso]; "
					 "lab/x.iso.isoboot:3: unknown key 'bar'");
	/* A line longer than inih's buffer is one error; its tail is no key of its own. */
	char longline[1000];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "[iso]\nname = ", 13);
	memcpy(longline + 500, "\nhidden=yes", 11);
	longline[sizeof(longline) - 1] = '\0';
	bad(longline, ":2: line longer than");
	/* NUL bytes and oversized files. */
	struct sidecar s;
	char problems[SIDECAR_PROBLEMS_MAX];
	CHECK_EQ_INT(sidecar_parse("f", "[iso]\0name=x\n", 14, &s, problems), -EINVAL);
	CHECK(strstr(problems, "NUL") != NULL);
	char *huge = calloc(1, SIDECAR_MAX_BYTES + 2);
	memset(huge, '\n', SIDECAR_MAX_BYTES + 1);
	CHECK_EQ_INT(sidecar_parse("f", huge, SIDECAR_MAX_BYTES + 1, &s, problems), -EINVAL);
	CHECK(strstr(problems, "larger than") != NULL);
	free(huge);
	/* Thousands of errors: the text stays bounded and terminated. */
	char *many = malloc(40000);
	size_t o = (size_t)sprintf(many, "[iso]\n");
	while (o < 39000)
		o += (size_t)sprintf(many + o, "k%zu = v\n", o);
	CHECK_EQ_INT(sidecar_parse("f", many, o, &s, problems), -EINVAL);
	CHECK(strlen(problems) < SIDECAR_PROBLEMS_MAX);
	free(many);
}

/* The settings go into the catalog entry and come back from the catalog's text unchanged. */
static void test_catalog(void)
{
	struct sidecar s;
	char problems[SIDECAR_PROBLEMS_MAX];
	struct catalog c, back;
	char *text = NULL;
	size_t len = 0;
	unsigned line = 0;

	catalog_init(&c);
	struct catalog_entry *e = fixture_add(&c, "lab/x.iso", "lab", "x");
	CHECK_EQ_INT(parse("[iso]\nname = Lab X\nappend = quiet a={server}\nmethod = memdisk\n"
			   "hidden = yes\n",
			   &s, problems),
		     0);
	sidecar_apply(&s, e);
	sidecar_finish(&s);
	CHECK_STR(e->name, "Lab X");
	FILE *f = open_memstream(&text, &len);
	CHECK_EQ_INT(catalog_format(&c, f), 0);
	fclose(f);
	CHECK(strstr(text, "\nextra quiet a={server}\n") != NULL);
	CHECK(strstr(text, "\nmethod memdisk\n") != NULL);
	CHECK(strstr(text, "\nhidden yes\n") != NULL);
	CHECK_EQ_INT(catalog_parse(&back, text, len, &line), 0);
	CHECK_EQ_INT(back.n, 1);
	if (back.n == 1) {
		CHECK_STR(back.entries[0].name, "Lab X");
		CHECK_STR(back.entries[0].extra, "quiet a={server}");
		CHECK_EQ_INT(back.entries[0].method, CATALOG_METHOD_MEMDISK);
		CHECK(back.entries[0].hidden);
	}
	catalog_finish(&back);
	free(text);
	catalog_finish(&c);

	/* A catalog with unsafe extra parameters or an unknown method is refused (the menu
	 * writes extra into iPXE scripts). */
	static const char *const evil[] = {"extra a=${x}", "extra a||shell", "method pxe",
					   "extra a\\x", "extra 1\nextra 2"};
	for (size_t i = 0; i < ARRAY_SIZE(evil); i++) {
		char cat[512];
		int n = snprintf(cat, sizeof(cat),
				 "ISOBOOT-CATALOG 1\niso x-0123456789ab\niqn iqn.2025-01.org."
				 "isoboot:x-0123456789ab\npath x.iso\nname x\nlabel X\n%s\nend 1\n",
				 evil[i]);
		CHECK_EQ_INT(catalog_parse(&back, cat, (size_t)n, &line), -EBADMSG);
		catalog_finish(&back);
	}
}

int main(void)
{
	RUN(test_valid);
	RUN(test_errors);
	RUN(test_catalog);
	return tap_done();
}
