/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Sessions of the admin page (an HttpOnly cookie and a CSRF token each, in memory: a restart
 * logs everyone out) and the brake on password guessing (per client address).
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "users.h"

#define WEB_TOKEN_SIZE 44 /* 32 random bytes, base64url, NUL included */
#define WEB_SESSIONS_MAX 256
#define WEB_THROTTLE_SLOTS 256
/* Failed logins from one address before each further attempt must wait, and the longest wait. */
#define WEB_THROTTLE_FREE 3
#define WEB_THROTTLE_MAX_S 300

struct web_session {
	char token[WEB_TOKEN_SIZE]; /* "" = a free slot */
	char csrf[WEB_TOKEN_SIZE];
	char user[USERS_NAME_MAX + 1];
	time_t last_used;
};

struct web_throttle {
	char addr[64];
	unsigned failures;
	time_t last_failure;
	time_t not_before;
};

struct web_auth {
	pthread_mutex_t lock;
	unsigned timeout_s;
	struct web_session sessions[WEB_SESSIONS_MAX];
	struct web_throttle throttle[WEB_THROTTLE_SLOTS];
};

void web_auth_init(struct web_auth *a, unsigned session_timeout_s);
void web_auth_finish(struct web_auth *a);

/* A new session for user (the oldest one goes when all slots are taken); fills token and
 * csrf. -EIO when no random bytes could be had. */
int web_session_new(struct web_auth *a, const char *user, char *token, char *csrf);
/* The session of token, still valid: copies its user and csrf and marks it used; -ENOENT. */
int web_session_find(struct web_auth *a, const char *token, char *user, char *csrf);
void web_session_end(struct web_auth *a, const char *token);

/* 0 when addr may try a password now, else the seconds it must still wait. */
unsigned web_throttle_wait(struct web_auth *a, const char *addr, time_t now);
/* Records a failed or a successful attempt from addr. */
void web_throttle_failed(struct web_auth *a, const char *addr, time_t now);
void web_throttle_passed(struct web_auth *a, const char *addr);

/* Whether two NUL-terminated tokens are equal, in a time that does not depend on where they
 * differ. */
bool web_token_equal(const char *a, const char *b);
