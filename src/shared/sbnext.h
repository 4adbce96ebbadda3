/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "catalog.h"

/*
 * The one-shot Secure Boot choice of a client, by its MAC address: "start this ISO's own signed
 * boot loader at the next boot". A signed GRUB cannot run another vendor's shim over the network
 * (its chainloader needs GRUB's own network stack, which firmware HTTP does not give it), so
 * the client restarts instead, and its firmware's UEFI HTTP Boot loads the ISO's
 * \EFI\BOOT\BOOTX64.EFI from isoboot-menu (/sb/<id>/...). isoboot-menu writes the choice when
 * the Secure Boot menu asks for it; isoboot-proxydhcp then stays silent to that client's PXE
 * requests (so that the firmware goes on to HTTP Boot) and answers its HTTP Boot requests with
 * the ISO's URL. Once used, the choice holds for the HTTP Boot request's retransmissions only
 * (SBNEXT_USED_S), and PXE is answered again: when the ISO's loader gives up and the firmware
 * goes on with its boot options, or the booted system restarts, the client is back at the menu.
 * One file per MAC address in SBNEXT_DIR under the state folder: "<id>\n", or "<id> used\n"
 * once used (its time then is when); an old one counts as none.
 */
#define SBNEXT_DIR "sb-next"
#define SBNEXT_TTL_S 600
#define SBNEXT_USED_S 60
/* Choices kept at once: anyone on the LAN may ask for one, for any MAC address. */
#define SBNEXT_MAX 256

struct sbnext {
	char id[CATALOG_ID_MAX];
	bool used;
};

/* "52:54:00:ab:cd:ef" (GRUB's $net_default_mac), '-' also as separator, any case. */
int sbnext_mac_parse(const char *s, uint8_t mac[6]);

/* A choice file's text: a catalog id, then " used" or nothing, a newline optional; 0 or
 * -EBADMSG. */
int sbnext_parse(const char *text, size_t len, struct sbnext *out);

/* Records the choice (replacing an earlier one of the same MAC), used or not: 0 or -errno;
 * a new one (not used) -ENOSPC when SBNEXT_MAX others are pending (old ones are removed
 * first). */
int sbnext_put(const char *state_dir, const uint8_t mac[6], const char *id, bool used);

/*
 * The choice of mac, if any, made less than SBNEXT_TTL_S seconds before now (used less than
 * SBNEXT_USED_S before): 0 with *out, -ENOENT (none, or too old: then it is removed), -EBADMSG
 * (a broken file, removed) or another -errno.
 */
int sbnext_get(const char *state_dir, const uint8_t mac[6], time_t now, struct sbnext *out);

/* Forgets the choice of mac: 0, or -errno (-ENOENT: there was none). */
int sbnext_drop(const char *state_dir, const uint8_t mac[6]);
