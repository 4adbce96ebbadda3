/* SPDX-License-Identifier: MIT */
/* A minimal TAP producer: meson runs these with protocol 'tap'. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count, tap_failed, tap_case_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
			tap_case_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                         \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b) {                                                                    \
			printf("#   %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
			       #a, _a, #b, _b);                                                    \
			tap_case_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                           \
			printf("#   %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__,   \
			       #a, _a ? _a : "(null)", _b ? _b : "(null)");                        \
			tap_case_failed = 1;                                                       \
		}                                                                                  \
	} while (0)

#define RUN(fn)                                                                                    \
	do {                                                                                       \
		tap_case_failed = 0;                                                               \
		fn();                                                                              \
		tap_count++;                                                                       \
		if (tap_case_failed)                                                               \
			tap_failed++;                                                              \
		printf("%s %d - %s\n", tap_case_failed ? "not ok" : "ok", tap_count, #fn);         \
		fflush(stdout);                                                                    \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
