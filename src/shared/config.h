/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Which URLs the menu hands to iPXE clients when it has an HTTPS socket. */
enum menu_https {
	MENU_HTTPS_OFF,	    /* plain HTTP (the HTTPS socket still serves whoever uses it) */
	MENU_HTTPS_PREFER,  /* HTTPS when the client's iPXE gets the menu over it, else HTTP */
	MENU_HTTPS_REQUIRE, /* HTTPS or nothing */
};

enum menu_uefi_boot {
	MENU_UEFI_ISCSI, /* sanboot iscsi:... */
	MENU_UEFI_HTTP,	 /* sanboot http://.../iso/<id>/<name>.iso */
};

enum iscsi_device_type {
	ISCSI_DEVICE_CDROM,
	ISCSI_DEVICE_DISK,
};

#define CONFIG_PROXYDHCP_MAX_INTERFACES 16
#define CONFIG_PROXYDHCP_MAX_SUBNETS 32
#define CONFIG_IFNAME_MAX 16	 /* IFNAMSIZ, NUL included */
#define CONFIG_BOOT_FILE_MAX 127 /* the BOOTP file field holds 128 bytes, NUL included */

/* An IPv4 network of [proxydhcp] subnets, host byte order. */
struct config_subnet {
	uint32_t network;
	uint32_t mask;
	unsigned prefix;
};

struct isoboot_config {
	char *iso_dir;	      /* [paths] iso_dir */
	char *state_dir;      /* [paths] state_dir */
	char *server_address; /* [server] address; "" = the address the client reached us on */
	char *iqn_prefix;     /* [iscsi] iqn_prefix */
	enum iscsi_device_type device_type; /* [iscsi] device_type */
	char *chap_user;		    /* [iscsi] chap_user: "" = no CHAP */
	char *chap_secret;		    /* [iscsi] chap_secret */
	char *chap_mutual_user;		    /* [iscsi] chap_mutual_user: "" = one-way CHAP */
	char *chap_mutual_secret;	    /* [iscsi] chap_mutual_secret */
	unsigned iscsi_login_timeout;	    /* [iscsi] login_timeout: seconds from connect to FFP */
	unsigned iscsi_max_connections;	    /* [iscsi] max_connections, with --listen */
	unsigned iscsi_max_per_source;	    /* [iscsi] max_connections_per_source, likewise */
	char *menu_title;		    /* [menu] title */
	char *menu_default;    /* [menu] default: an ISO id or file name, "" = first entry */
	unsigned menu_timeout; /* [menu] timeout, seconds; 0 = wait forever */
	enum menu_uefi_boot menu_uefi_boot; /* [menu] uefi_boot */
	char *menu_memdisk;		    /* [menu] memdisk: syslinux's memdisk, served to BIOS */
	enum menu_https menu_https;	    /* [menu] https */
	char *menu_certificate;		    /* [menu] certificate: PEM; "" = generated */
	char *menu_key;			    /* [menu] key: PEM; "" = generated */
	/* [menu] efi64_file, arm64_file: iPXE for UEFI HTTP Boot clients, served at
	 * /boot/ipxe-x64.efi and /boot/ipxe-arm64.efi; "" = not served */
	char *menu_efi64_file;
	char *menu_arm64_file;
	/* [proxydhcp] interfaces and subnets: empty lists answer everywhere. */
	char proxydhcp_interfaces[CONFIG_PROXYDHCP_MAX_INTERFACES][CONFIG_IFNAME_MAX];
	size_t n_proxydhcp_interfaces;
	struct config_subnet proxydhcp_subnets[CONFIG_PROXYDHCP_MAX_SUBNETS];
	size_t n_proxydhcp_subnets;
	char *proxydhcp_bios_boot;  /* [proxydhcp] bios_boot: client architecture 0; "" = none */
	char *proxydhcp_efi64_boot; /* [proxydhcp] efi64_boot: x86-64 UEFI, architectures 7 and 9 */
	char *proxydhcp_efi32_boot; /* [proxydhcp] efi32_boot: IA32 UEFI, architecture 6 */
	char *proxydhcp_arm64_boot; /* [proxydhcp] arm64_boot: ARM64 UEFI, architecture 11 */
	char *web_users;	    /* [web] users: the accounts file */
	char *web_certificate;	    /* [web] certificate: PEM; "" = generated in state_dir */
	char *web_key;		    /* [web] key: PEM; "" = generated in state_dir */
	char *web_assets;	    /* [web] assets: the page's static files */
	unsigned web_session_timeout;  /* [web] session_timeout: minutes of inactivity */
	unsigned web_keep_interrupted; /* [web] keep_interrupted: days; 0 = for ever */
};

#define CONFIG_MENU_TIMEOUT_MAX 3600
#define CONFIG_WEB_SESSION_TIMEOUT_MAX (7 * 24 * 60)
#define CONFIG_WEB_KEEP_INTERRUPTED_MAX 3650
#define CONFIG_ISCSI_LOGIN_TIMEOUT_MAX 3600
#define CONFIG_ISCSI_MAX_CONNECTIONS 65536
#define CONFIG_CHAP_SECRET_MIN 12 /* RFC 7143 9.2.1: at least 96 bits */
#define CONFIG_CHAP_MAX 255

/* Fills in the built-in defaults. */
int config_init(struct isoboot_config *c);
void config_finish(struct isoboot_config *c);

/*
 * Loads path over the current values. Each problem is logged as "path:line: message". A missing
 * file is -ENOENT (callers decide whether the default path may be absent); a file with errors is
 * -EINVAL after all of its errors were logged.
 */
int config_load(struct isoboot_config *c, const char *path);

/* Like config_load(), but from a string (tests); name is used in messages. */
int config_load_string(struct isoboot_config *c, const char *name, const char *text);

/*
 * A text in memory fed to inih (ini_parse_stream) line by line, for parsers that need the line
 * number: cursor to end, also ended by a NUL byte. ini_text_next() copies the next line into
 * str (num bytes, as inih gives them) and returns it, or NULL at the end. A line longer than
 * inih can take comes back as a comment (";"), with *complete false, so that its tail is never
 * parsed as a key of its own; the caller reports it.
 */
struct ini_text {
	const char *cursor, *end;
};
char *ini_text_next(struct ini_text *t, char *str, int num, bool *complete);

/*
 * The standard start-up of every binary: defaults, then the file. With explicit == false, a
 * missing default file means "defaults only". Returns 0 or a negative errno (already logged).
 */
int config_load_default(struct isoboot_config *c, const char *path, bool explicit);

/* The catalog file inside state_dir; caller frees. */
char *config_catalog_path(const struct isoboot_config *c);

bool iqn_valid(const char *iqn);

/* True when addr (host byte order) lies in s. */
bool config_subnet_contains(const struct config_subnet *s, uint32_t addr);

/* Checks the relations between keys once the whole file is read; logs and returns -EINVAL. */
int config_check(const struct isoboot_config *c, const char *path);
