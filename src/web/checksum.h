/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The SHA-256 of every catalogued ISO, computed once by a background thread at low priority
 * and kept in <state_dir>/checksums, so that the admin can compare it with the checksum a
 * distribution publishes.
 */

#include <stdbool.h>
#include <sys/stat.h>

#define WEB_SHA256_HEX 65 /* 64 lower-case hex digits and the NUL */

struct isoboot_config;
struct web_checksums;

/* Loads the cache file and starts the thread. cfg must outlive it. */
int web_checksums_start(const struct isoboot_config *cfg, struct web_checksums **out);
/* Stops the thread (an ISO half-way through is left for the next start) and frees. */
void web_checksums_stop(struct web_checksums *c);

/* Asks the thread to look at the catalog again (after a rescan). */
void web_checksums_wake(struct web_checksums *c);

/*
 * The SHA-256 of the ISO at rel (relative to the ISO folder), in hex, when it is known for the
 * file st describes (same inode, size and modification time); false otherwise.
 */
bool web_checksum_lookup(struct web_checksums *c, const char *rel, const struct stat *st,
			 char hex[WEB_SHA256_HEX]);

/*
 * Records a SHA-256 computed elsewhere (a download hashed while it was written) for the file st
 * describes, so that the thread need not read it again.
 */
void web_checksum_note(struct web_checksums *c, const char *rel, const struct stat *st,
		       const char hex[WEB_SHA256_HEX]);

/* The SHA-256 digest in lower-case hex. */
void web_sha256_hex(const unsigned char digest[32], char hex[WEB_SHA256_HEX]);
