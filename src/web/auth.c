/* SPDX-License-Identifier: MIT */
#include "auth.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "util.h"

void web_auth_init(struct web_auth *a, unsigned session_timeout_s)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	a->timeout_s = session_timeout_s;
}

void web_auth_finish(struct web_auth *a)
{
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a->sessions, sizeof(a->sessions));
}

static int random_token(char *out)
{
	static const char b64url[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[33];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -EIO;
	/* 33 bytes are 44 characters of base64, without padding: 264 bits, 256 of them used */
	size_t o = 0;
	for (size_t i = 0; i < sizeof(raw); i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
		for (int k = 18; k >= 0 && o < WEB_TOKEN_SIZE - 1; k -= 6)
			out[o++] = b64url[(v >> k) & 63];
	}
	out[o] = '\0';
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

bool web_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return diff == 0 && la > 0;
}

static bool expired(const struct web_auth *a, const struct web_session *s, time_t now)
{
	return now - s->last_used > (time_t)a->timeout_s;
}

int web_session_new(struct web_auth *a, const char *user, char *token, char *csrf)
{
	struct web_session fresh = {.last_used = time(NULL)};

	if (random_token(fresh.token) < 0 || random_token(fresh.csrf) < 0)
		return -EIO;
	snprintf(fresh.user, sizeof(fresh.user), "%s", user);
	pthread_mutex_lock(&a->lock);
	struct web_session *slot = &a->sessions[0];
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
		struct web_session *s = &a->sessions[i];
		if (!s->token[0] || expired(a, s, fresh.last_used)) {
			slot = s;
			break;
		}
		if (s->last_used < slot->last_used)
			slot = s;
	}
	*slot = fresh;
	pthread_mutex_unlock(&a->lock);
	memcpy(token, fresh.token, WEB_TOKEN_SIZE);
	memcpy(csrf, fresh.csrf, WEB_TOKEN_SIZE);
	explicit_bzero(&fresh, sizeof(fresh));
	return 0;
}

int web_session_find(struct web_auth *a, const char *token, char *user, char *csrf)
{
	time_t now = time(NULL);
	int r = -ENOENT;

	if (!token || strlen(token) != WEB_TOKEN_SIZE - 1)
		return -ENOENT;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++) {
		struct web_session *s = &a->sessions[i];
		if (!s->token[0] || !web_token_equal(s->token, token))
			continue;
		if (expired(a, s, now)) {
			*s = (struct web_session){0};
			break;
		}
		s->last_used = now;
		memcpy(user, s->user, sizeof(s->user));
		memcpy(csrf, s->csrf, WEB_TOKEN_SIZE);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&a->lock);
	return r;
}

void web_session_end(struct web_auth *a, const char *token)
{
	if (!token)
		return;
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < WEB_SESSIONS_MAX; i++)
		if (a->sessions[i].token[0] && web_token_equal(a->sessions[i].token, token))
			explicit_bzero(&a->sessions[i], sizeof(a->sessions[i]));
	pthread_mutex_unlock(&a->lock);
}

/* Locked. The slot of addr, or NULL. */
static struct web_throttle *throttle_of(struct web_auth *a, const char *addr)
{
	for (size_t i = 0; i < WEB_THROTTLE_SLOTS; i++)
		if (streq(a->throttle[i].addr, addr))
			return &a->throttle[i];
	return NULL;
}

unsigned web_throttle_wait(struct web_auth *a, const char *addr, time_t now)
{
	unsigned wait = 0;

	pthread_mutex_lock(&a->lock);
	struct web_throttle *t = throttle_of(a, addr);
	if (t && t->not_before > now)
		wait = (unsigned)(t->not_before - now);
	pthread_mutex_unlock(&a->lock);
	return wait;
}

void web_throttle_failed(struct web_auth *a, const char *addr, time_t now)
{
	pthread_mutex_lock(&a->lock);
	struct web_throttle *t = throttle_of(a, addr);
	if (!t) {
		/* a free slot, or the one whose last failure is oldest */
		t = &a->throttle[0];
		for (size_t i = 0; i < WEB_THROTTLE_SLOTS; i++) {
			if (!a->throttle[i].addr[0]) {
				t = &a->throttle[i];
				break;
			}
			if (a->throttle[i].last_failure < t->last_failure)
				t = &a->throttle[i];
		}
		*t = (struct web_throttle){0};
		snprintf(t->addr, sizeof(t->addr), "%s", addr);
	}
	/* A day without failures forgives the past ones. */
	if (now - t->last_failure > 24 * 3600)
		t->failures = 0;
	t->failures++;
	t->last_failure = now;
	if (t->failures > WEB_THROTTLE_FREE) {
		unsigned n = t->failures - WEB_THROTTLE_FREE;
		unsigned wait = n >= 9 ? WEB_THROTTLE_MAX_S : 1u << n;
		t->not_before = now + (wait > WEB_THROTTLE_MAX_S ? WEB_THROTTLE_MAX_S : wait);
	}
	pthread_mutex_unlock(&a->lock);
}

void web_throttle_passed(struct web_auth *a, const char *addr)
{
	pthread_mutex_lock(&a->lock);
	struct web_throttle *t = throttle_of(a, addr);
	if (t)
		*t = (struct web_throttle){0};
	pthread_mutex_unlock(&a->lock);
}
