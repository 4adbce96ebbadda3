/* SPDX-License-Identifier: MIT */
/* DHCPv4 (RFC 2131, 2132) as a PXE ProxyDHCP needs it: parsing requests, building replies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
#define DHCP_PXE_PORT 4011 /* PXE boot servers and ProxyDHCP requests after the lease */

#define DHCP_HEADER_LEN 236
#define DHCP_MIN_LEN 240 /* the fixed header and the magic cookie */
/* What a 1500-byte Ethernet frame carries without IPv4 and UDP headers. */
#define DHCP_MAX_LEN 1472
/* BOOTP's packet size, which some PXE ROMs expect as the least. */
#define DHCP_REPLY_MIN_LEN 300
#define DHCP_FILE_LEN 128
#define DHCP_MAGIC 0x63825363u

enum {
	DHCP_BOOTREQUEST = 1,
	DHCP_BOOTREPLY = 2,
};

enum {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

enum {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_VENDOR = 43, /* PXE: encapsulated PXE options */
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_MAX_SIZE = 57,
	DHCP_OPT_CLASS_ID = 60,
	DHCP_OPT_BOOTFILE = 67,
	DHCP_OPT_USER_CLASS = 77,
	DHCP_OPT_ARCH = 93,  /* RFC 4578 client system architecture */
	DHCP_OPT_UUID = 97,  /* RFC 4578 client machine identifier */
	DHCP_OPT_IPXE = 175, /* iPXE's encapsulated options: present in every iPXE request */
	DHCP_OPT_END = 255,
};

/* PXE option 43, sub-option 6 (PXE_DISCOVERY_CONTROL), bit 3: boot the file of this offer. */
#define PXE_DISCOVERY_CONTROL 6
#define PXE_DISCOVERY_USE_BOOTFILE 0x08

/* What a ProxyDHCP reads from a request. Addresses in host byte order. */
struct dhcp_request {
	uint8_t htype, hlen;
	uint32_t xid;
	uint16_t flags;
	uint32_t ciaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t msg_type;
	bool has_server_id;
	uint32_t server_id;
	char vendor_class[256]; /* option 60, NUL-terminated copy */
	size_t vendor_class_len;
	uint8_t user_class[255]; /* option 77 as sent */
	size_t user_class_len;
	bool has_arch;
	uint16_t arch; /* the first architecture of option 93 */
	bool has_uuid;
	uint8_t uuid[17]; /* option 97: type 0 and a 16-byte GUID */
	bool has_ipxe_options;
};

/*
 * Parses a BOOTREQUEST of Ethernet clients with a DHCP message type. Returns 0, or -EBADMSG with
 * *why (static text) saying what is wrong: truncated or oversized packets, options running past
 * the end, wrong lengths of the options read here, any of them repeated, option overloading.
 */
int dhcp_parse_request(const uint8_t *buf, size_t len, struct dhcp_request *req, const char **why);

/* The reply of a ProxyDHCP. Addresses in host byte order. */
struct dhcp_reply {
	uint8_t msg_type;	  /* DHCP_OFFER or DHCP_ACK */
	uint32_t server_id;	  /* option 54 */
	uint32_t siaddr;	  /* next server */
	uint32_t ciaddr;	  /* the request's, in an ACK */
	const char *boot_file;	  /* in the file field; in option 67 as well when it does not fit */
	const char *vendor_class; /* option 60: "PXEClient" or "HTTPClient" */
	bool pxe_skip_discovery;  /* option 43: PXE_DISCOVERY_CONTROL = use the boot file */
	bool bootfile_option;	  /* option 67 even when the file field holds it (a URL) */
};

/*
 * Builds the reply to req in buf (size at least DHCP_REPLY_MIN_LEN): the client's xid, flags,
 * giaddr and chaddr, yiaddr 0, and option 97 echoed when the client sent one. Returns the length,
 * or -ENOSPC, or -EINVAL for a boot file longer than an option holds.
 */
ssize_t dhcp_build_reply(const struct dhcp_request *req, const struct dhcp_reply *rep, uint8_t *buf,
			 size_t size);

/* "DHCPDISCOVER" and so on, or "DHCP message N" in buf. */
const char *dhcp_msg_type_name(uint8_t type, char *buf, size_t size);

/* The RFC 4578 / IANA name of a client architecture, or NULL. */
const char *dhcp_arch_name(uint16_t arch);

/* "aa:bb:cc:dd:ee:ff": buf needs 18 bytes. */
void dhcp_format_mac(const struct dhcp_request *req, char buf[18]);

/* True for iPXE: user class "iPXE" (as iPXE sends it, or in RFC 3004 form), or option 175. */
bool dhcp_request_is_ipxe(const struct dhcp_request *req);
