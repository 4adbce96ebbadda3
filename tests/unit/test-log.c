/* SPDX-License-Identifier: MIT */
#include "helpers.h"
#include "log.h"
#include "tap.h"

static void test_fields(void)
{
	char *out[16];
	const struct log_field f[] = {
	    {"ISOBOOT_ISO", "a.iso"}, {"ISOBOOT_CLIENT", "192.0.2.9"}, {0}};

	int n = log_build_fields(LOG_WARNING, -ENOENT, "isoboot-scan", MSGID_SCAN_SKIP, f, "hello",
				 out, 16);
	CHECK_EQ_INT(n, 7);
	if (n == 7) {
		CHECK_STR(out[0], "MESSAGE=hello");
		CHECK_STR(out[1], "PRIORITY=4");
		CHECK_STR(out[2], "SYSLOG_IDENTIFIER=isoboot-scan");
		CHECK_STR(out[3], "MESSAGE_ID=" MSGID_SCAN_SKIP);
		CHECK_STR(out[4], "ERRNO=2");
		CHECK_STR(out[5], "ISOBOOT_ISO=a.iso");
		CHECK_STR(out[6], "ISOBOOT_CLIENT=192.0.2.9");
	}
	for (int i = 0; i < n; i++)
		free(out[i]);

	/* Malformed keys are refused rather than sent. */
	const struct log_field bad1[] = {{"lower", "x"}, {0}};
	CHECK_EQ_INT(log_build_fields(LOG_INFO, 0, "t", NULL, bad1, "m", out, 16), -EINVAL);
	const struct log_field bad2[] = {{"_TRUSTED", "x"}, {0}};
	CHECK_EQ_INT(log_build_fields(LOG_INFO, 0, "t", NULL, bad2, "m", out, 16), -EINVAL);
	CHECK_EQ_INT(log_build_fields(LOG_INFO, 0, "t", NULL, f, "m", out, 2), -E2BIG);
}

static void test_stderr(void)
{
	struct capture cap;

	log_init("isoboot-test", LOG_TARGET_STDERR);
	capture_begin(&cap);
	int r = log_error_errno(-ENOENT, "Cannot open %s", "x.iso");
	log_info("plain %d", 42);
	log_debug("hidden at the default level");
	const char *out = capture_end(&cap);
	CHECK_EQ_INT(r, -ENOENT);
	CHECK(strstr(out, "isoboot-test: error: Cannot open x.iso: No such file or directory\n") !=
	      NULL);
	CHECK(strstr(out, "isoboot-test: plain 42\n") != NULL);
	CHECK(strstr(out, "hidden") == NULL);
}

static void test_escaping(void)
{
	struct capture cap;
	char *out[16];
	const struct log_field f[] = {{"ISOBOOT_ISO", "a\nb\x1b[2Jc\x7f"}, {0}};

	/* A name from the network must not forge a line or reach the terminal raw. */
	log_init("isoboot-test", LOG_TARGET_STDERR);
	capture_begin(&cap);
	log_info("Login from %s", "iqn.x\nisoboot-test: forged\x1b[31m");
	const char *text = capture_end(&cap);
	CHECK(strstr(text, "isoboot-test: Login from iqn.x\\x0aisoboot-test: forged\\x1b[31m\n") !=
	      NULL);
	CHECK(strchr(text, '\x1b') == NULL);
	int n = log_build_fields(LOG_INFO, 0, "t", NULL, f, "m\r\n", out, 16);
	CHECK_EQ_INT(n, 4);
	if (n == 4) {
		CHECK_STR(out[0], "MESSAGE=m\\x0d\\x0a");
		CHECK_STR(out[3], "ISOBOOT_ISO=a\\x0ab\\x1b[2Jc\\x7f");
	}
	for (int i = 0; i < n; i++)
		free(out[i]);
}

static void test_auto_target(void)
{
	/* Without $JOURNAL_STREAM naming our stderr, messages go to stderr. */
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init("t", LOG_TARGET_AUTO);
	CHECK_EQ_INT(log_get_target(), LOG_TARGET_STDERR);
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	RUN(test_fields);
	RUN(test_stderr);
	RUN(test_escaping);
	RUN(test_auto_target);
	return tap_done();
}
