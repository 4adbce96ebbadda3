/* SPDX-License-Identifier: MIT */
/* What isoboot-proxydhcp answers to a request: the decision, apart from any socket. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dhcp.h"
#include "sbnext.h"

enum proxy_port {
	PROXY_PORT_DHCP, /* 67: broadcast DHCPDISCOVERs of clients without an address yet */
	PROXY_PORT_PXE,	 /* 4011: unicast DHCPREQUESTs of clients that have their lease */
};

/* Where a request came from. Addresses in host byte order. */
struct proxy_origin {
	enum proxy_port port;
	uint32_t local_addr; /* our address on the interface it arrived on (0: none) */
	const char *ifname;  /* that interface */
	uint32_t src_addr;   /* the sender's IP address */
	/* The client's Secure Boot choice of an ISO's own loader (sbnext.h), or NULL. */
	const struct sbnext *sb_next;
};

enum proxy_action {
	PROXY_IGNORE,	  /* not a request for a ProxyDHCP here: no answer, a debug line */
	PROXY_NOT_SERVED, /* a PXE client isoboot has nothing for: no answer, a log line */
	PROXY_ANSWER,
};

#define PROXY_BOOT_MAX 256

struct proxy_decision {
	enum proxy_action action;
	const char *reason; /* static text, for IGNORE and NOT_SERVED */
	bool ipxe;
	bool http; /* a UEFI HTTP Boot client (vendor class HTTPClient) */
	bool has_arch;
	uint16_t arch;
	bool sb_next_answered;	   /* the answer takes the client to its sb_next choice */
	char boot[PROXY_BOOT_MAX]; /* the boot file, or the menu URL for iPXE */
	struct dhcp_reply reply;   /* for PROXY_ANSWER; reply.boot_file points into boot */
};

/*
 * Decides the answer to req. The menu URL and next-server are the address the request arrived
 * on, unless [server] address is set: then the URL carries it, and so does next-server when it
 * is an IPv4 address. Option 54 is always the interface's address, where a client sends its
 * port-4011 request.
 */
void proxy_decide(const struct isoboot_config *cfg, const struct dhcp_request *req,
		  const struct proxy_origin *origin, struct proxy_decision *d);

/* A client retransmits the same request a few times; each answer is logged once. */
#define PROXY_SEEN_SLOTS 64
#define PROXY_SEEN_MS 60000u

struct proxy_seen {
	struct {
		uint8_t mac[6];
		uint32_t xid;
		uint8_t what;
		uint64_t at_ms;
		bool used;
	} slot[PROXY_SEEN_SLOTS];
	unsigned next;
};

/* True when (mac, xid, what) was recorded less than PROXY_SEEN_MS ago; records it otherwise. */
bool proxy_seen_check(struct proxy_seen *s, const uint8_t mac[6], uint32_t xid, uint8_t what,
		      uint64_t now_ms);
