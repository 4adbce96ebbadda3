/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the accounts file of the admin page: the parser, and the editing that
 * isoboot-passwd does. Whatever is accepted holds only valid names and hashes, reads back the
 * same once rewritten, and every edit of it is accepted again with only that one account changed.
 * No password is hashed here: that is crypt(3)'s business, and far too slow to fuzz.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "users.h"
#include "util.h"

#define NEW_HASH "$y$j9T$SBz0ahHB0lQzVQ2o8vBpc.$/EsmDd8I6QG8TVnSEYceWYvGE.0Nbug0gvs72VnKdW5"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz-users", LOG_TARGET_STDERR);
	log_set_max_level(LOG_CRIT);
	return 0;
}

static bool same_accounts(const struct users *a, const struct users *b, const char *except)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct users_account *x = &a->accounts[i];
		if (except && streq(x->name, except))
			continue;
		size_t k = 0;
		while (k < b->n && !streq(b->accounts[k].name, x->name))
			k++;
		if (k == b->n || !streq(b->accounts[k].hash, x->hash))
			return false;
	}
	return true;
}

/* Sets user's hash in text; the result must parse, hold the change and nothing else. */
static void check_edit(const struct users *before, const char *text, size_t len, const char *user)
{
	struct users after;
	char *out = NULL;
	size_t out_len = 0;
	int r = users_edit("fuzz", text, len, user, NEW_HASH, &out, &out_len);

	if (r == -E2BIG || r == -EFBIG)
		return;
	if (r < 0 || out_len != strlen(out) || out_len > USERS_FILE_MAX || out[out_len - 1] != '\n')
		abort();
	if (users_parse(&after, "edited", out, out_len) < 0)
		abort();
	bool existed = false;
	for (size_t i = 0; i < before->n; i++)
		existed |= streq(before->accounts[i].name, user);
	if (after.n != before->n + !existed)
		abort();
	if (!same_accounts(before, &after, user))
		abort();
	for (size_t i = 0; i < after.n; i++)
		if (streq(after.accounts[i].name, user) && !streq(after.accounts[i].hash, NEW_HASH))
			abort();
	users_free(&after);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct users u, again;
	char *text = NULL;
	size_t len = 0;

	if (users_parse(&u, "fuzz", (const char *)data, size) < 0)
		return 0;
	if (u.n > USERS_MAX)
		abort();
	/* What was accepted, written plainly, reads back the same. */
	for (size_t i = 0; i < u.n; i++) {
		const struct users_account *a = &u.accounts[i];
		if (!users_name_valid(a->name) || !a->hash[0] || strpbrk(a->hash, ": \t\r\n#"))
			abort();
		size_t n = strlen(a->name) + 1 + strlen(a->hash) + 1;
		char *t = realloc(text, len + n + 1);
		if (!t)
			abort();
		text = t;
		snprintf(text + len, n + 1, "%s:%s\n", a->name, a->hash);
		len += n;
	}
	/* (One newline more than a full file without its last one would be too many.) */
	if (len <= USERS_FILE_MAX) {
		if (users_parse(&again, "rewritten", text ? text : "", len) < 0 || again.n != u.n ||
		    !same_accounts(&u, &again, NULL))
			abort();
		users_free(&again);
	}
	free(text);

	check_edit(&u, (const char *)data, size, "fuzz");
	if (u.n > 0)
		check_edit(&u, (const char *)data, size, u.accounts[u.n - 1].name);
	users_free(&u);
	return 0;
}
