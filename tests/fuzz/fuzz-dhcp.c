/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for isoboot-proxydhcp: the DHCP request parser, the decision and the reply
 * builder, on every port and with and without restrictions. A packet is either refused with a
 * reason or parsed; an answer never offers an address, always names us as the server, and fits
 * a datagram.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dhcp.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct isoboot_config configs[2];
static bool ready;

static void setup(void)
{
	log_init("fuzz-dhcp", LOG_TARGET_STDERR);
	log_set_max_level(LOG_CRIT);
	if (config_init(&configs[0]) < 0 || config_init(&configs[1]) < 0 ||
	    config_load_string(&configs[1], "fuzz",
			       "[server]\naddress = boot.example.org\n"
			       "[proxydhcp]\ninterfaces = br0\nsubnets = 192.0.2.0/24\n"
			       "efi32_boot = ia32.efi\narm64_boot = arm64.efi\n") < 0)
		abort();
	ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_request req;
	const char *why;
	uint8_t out[DHCP_MAX_LEN];

	if (!ready)
		setup();
	int r = dhcp_parse_request(data, size, &req, &why);
	if (r != 0) {
		if (r != -EBADMSG || !why)
			abort();
		return 0;
	}
	if (why || size < DHCP_MIN_LEN || size > DHCP_MAX_LEN)
		abort();
	for (int c = 0; c < 2; c++)
		for (int port = PROXY_PORT_DHCP; port <= PROXY_PORT_PXE; port++) {
			struct proxy_origin o = {
			    .port = (enum proxy_port)port,
			    .local_addr = 0xc0000201u,
			    .ifname = "br0",
			    .src_addr = req.ciaddr,
			};
			struct proxy_decision d;
			proxy_decide(&configs[c], &req, &o, &d);
			if (d.action != PROXY_ANSWER) {
				if (!d.reason)
					abort();
				continue;
			}
			ssize_t n = dhcp_build_reply(&req, &d.reply, out, sizeof(out));
			if (n < DHCP_REPLY_MIN_LEN || n > (ssize_t)sizeof(out))
				abort();
			if (out[0] != DHCP_BOOTREPLY || get_be32(out + 16) != 0 ||
			    get_be32(out + 4) != req.xid || memcmp(out + 28, data + 28, 16) != 0)
				abort();
			if (d.reply.server_id != o.local_addr || strlen(d.boot) == 0)
				abort();
			if (d.ipxe != dhcp_request_is_ipxe(&req) ||
			    (d.ipxe && strncmp(d.boot, "http://", 7) != 0))
				abort();
		}
	return 0;
}
