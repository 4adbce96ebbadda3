/* SPDX-License-Identifier: MIT */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static bool prefix_is(const struct dhcp_request *req, const char *prefix)
{
	size_t n = strlen(prefix);

	return req->vendor_class_len >= n && memcmp(req->vendor_class, prefix, n) == 0;
}

/* PXE clients also name their architecture in option 60: "PXEClient:Arch:00007:UNDI:003016". */
static bool arch_from_class(const struct dhcp_request *req, uint16_t *arch)
{
	const char *p = strstr(req->vendor_class, ":Arch:");
	unsigned v = 0;

	if (!p)
		return false;
	p += 6;
	for (int i = 0; i < 5; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > 0xffff || (p[5] != '\0' && p[5] != ':'))
		return false;
	*arch = (uint16_t)v;
	return true;
}

static bool interface_allowed(const struct isoboot_config *cfg, const char *ifname)
{
	if (cfg->n_proxydhcp_interfaces == 0)
		return true;
	for (size_t i = 0; i < cfg->n_proxydhcp_interfaces; i++)
		if (ifname && streq(cfg->proxydhcp_interfaces[i], ifname))
			return true;
	return false;
}

static bool subnet_allowed(const struct isoboot_config *cfg, uint32_t addr)
{
	if (cfg->n_proxydhcp_subnets == 0)
		return true;
	for (size_t i = 0; i < cfg->n_proxydhcp_subnets; i++)
		if (config_subnet_contains(&cfg->proxydhcp_subnets[i], addr))
			return true;
	return false;
}

/* The boot file of a firmware that is not iPXE yet, or NULL with *reason. */
static const char *boot_file_for(const struct isoboot_config *cfg, uint16_t arch,
				 const char **reason)
{
	const char *f;

	switch (arch) {
	case 0:
		f = cfg->proxydhcp_bios_boot;
		*reason = "no boot file for BIOS clients ([proxydhcp] bios_boot is empty)";
		break;
	case 7:
	case 9:
		f = cfg->proxydhcp_efi64_boot;
		*reason = "no boot file for x86-64 UEFI clients ([proxydhcp] efi64_boot is empty)";
		break;
	case 6:
		f = cfg->proxydhcp_efi32_boot;
		*reason = "no boot file for IA32 UEFI clients ([proxydhcp] efi32_boot is empty)";
		break;
	case 11:
		f = cfg->proxydhcp_arm64_boot;
		*reason = "no boot file for ARM64 UEFI clients ([proxydhcp] arm64_boot is empty)";
		break;
	default:
		*reason = "no boot file for this client architecture";
		return NULL;
	}
	return str_empty(f) ? NULL : f;
}

/*
 * The file isoboot-menu serves a UEFI HTTP Boot client of this architecture under /boot/, or NULL
 * with *reason. The menu and the ProxyDHCP read the same configuration, so the ProxyDHCP knows
 * what the menu serves.
 */
static const char *http_boot_file_for(const struct isoboot_config *cfg, uint16_t arch,
				      const char **reason)
{
	switch (arch) {
	case 16:
		*reason = "no iPXE for x86-64 UEFI HTTP Boot clients ([menu] efi64_file is empty)";
		return str_empty(cfg->menu_efi64_file) ? NULL : "ipxe-x64.efi";
	case 19:
		*reason = "no iPXE for ARM64 UEFI HTTP Boot clients ([menu] arm64_file is empty)";
		return str_empty(cfg->menu_arm64_file) ? NULL : "ipxe-arm64.efi";
	default:
		*reason = "no boot file for this UEFI HTTP Boot client architecture";
		return NULL;
	}
}

#define DECIDE(a, why)                                                                             \
	do {                                                                                       \
		d->action = (a);                                                                   \
		d->reason = (why);                                                                 \
		return;                                                                            \
	} while (0)

void proxy_decide(const struct isoboot_config *cfg, const struct dhcp_request *req,
		  const struct proxy_origin *origin, struct proxy_decision *d)
{
	struct in_addr configured;
	uint32_t client_net;
	const char *reason = NULL;

	memset(d, 0, sizeof(*d));
	d->ipxe = dhcp_request_is_ipxe(req);
	d->has_arch = req->has_arch;
	d->arch = req->arch;
	if (!d->has_arch)
		d->has_arch = arch_from_class(req, &d->arch);

	if (origin->port == PROXY_PORT_PXE) {
		if (req->msg_type != DHCP_REQUEST && req->msg_type != DHCP_INFORM)
			DECIDE(PROXY_IGNORE,
			       "only DHCPREQUEST and DHCPINFORM are answered on port 4011");
		d->reply.msg_type = DHCP_ACK;
	} else if (req->msg_type == DHCP_DISCOVER) {
		d->reply.msg_type = DHCP_OFFER;
	} else if (req->msg_type == DHCP_REQUEST) {
		/* Broadcast requests on port 67 go to the DHCP server the client chose. */
		if (!req->has_server_id || req->server_id != origin->local_addr)
			DECIDE(PROXY_IGNORE, "a DHCPREQUEST for another server");
		d->reply.msg_type = DHCP_ACK;
	} else {
		DECIDE(PROXY_IGNORE, "neither DHCPDISCOVER nor DHCPREQUEST");
	}

	bool http = d->http = prefix_is(req, "HTTPClient");
	if (!prefix_is(req, "PXEClient") && !http)
		DECIDE(PROXY_IGNORE, req->vendor_class_len ? "not a PXE client (vendor class)"
							   : "not a PXE client (no vendor class)");
	if (!interface_allowed(cfg, origin->ifname))
		DECIDE(PROXY_IGNORE, "interface not in [proxydhcp] interfaces");
	if (origin->local_addr == 0)
		DECIDE(PROXY_IGNORE, "no IPv4 address on the interface");
	/* The client's network: the relay's, the client's own address, or else ours. */
	client_net = req->giaddr ? req->giaddr : req->ciaddr ? req->ciaddr : origin->local_addr;
	if (!req->giaddr && !req->ciaddr && origin->port == PROXY_PORT_PXE && origin->src_addr)
		client_net = origin->src_addr;
	if (!subnet_allowed(cfg, client_net))
		DECIDE(PROXY_IGNORE, "subnet not in [proxydhcp] subnets");

	uint32_t next_server = origin->local_addr;
	char host[300];
	if (!str_empty(cfg->server_address)) {
		if (inet_pton(AF_INET, cfg->server_address, &configured) == 1)
			next_server = ntohl(configured.s_addr);
		if (strchr(cfg->server_address, ':'))
			snprintf(host, sizeof(host), "[%s]", cfg->server_address);
		else
			snprintf(host, sizeof(host), "%s", cfg->server_address);
	} else {
		struct in_addr a = {.s_addr = htonl(origin->local_addr)};
		inet_ntop(AF_INET, &a, host, sizeof(host));
	}

	const struct sbnext *next = origin->sb_next;
	if (next && !d->ipxe && !http && !next->used)
		DECIDE(PROXY_IGNORE, "the client chose an ISO's own boot loader: it waits for the "
				     "client's UEFI HTTP Boot request");
	if (next && http && d->has_arch && d->arch == 16) {
		/* The ISO's \EFI\BOOT\BOOTX64.EFI (isoboot-menu looks names up in any case); its
		 * shim then loads its second stage from the same folder. */
		if ((size_t)snprintf(d->boot, sizeof(d->boot),
				     "http://%s/sb/%s/EFI/BOOT/BOOTX64.EFI", host,
				     next->id) >= sizeof(d->boot))
			DECIDE(PROXY_NOT_SERVED, "the boot file URL is too long");
		d->sb_next_answered = true;
	} else if (http) {
		/* UEFI HTTP Boot: the firmware loads iPXE by URL from isoboot-menu, and that iPXE
		 * then asks DHCP again as iPXE, as a PXE client's would. */
		if (!d->has_arch)
			DECIDE(PROXY_NOT_SERVED,
			       "no client architecture (option 93 or HTTPClient:Arch:)");
		const char *f = http_boot_file_for(cfg, d->arch, &reason);
		if (!f)
			DECIDE(PROXY_NOT_SERVED, reason);
		if ((size_t)snprintf(d->boot, sizeof(d->boot), "http://%s/boot/%s", host, f) >=
		    sizeof(d->boot))
			DECIDE(PROXY_NOT_SERVED, "the boot file URL is too long");
	} else if (d->ipxe) {
		/* iPXE goes straight to the menu; a boot file would have it load itself again. */
		if ((size_t)snprintf(d->boot, sizeof(d->boot), "http://%s/boot.ipxe", host) >=
		    sizeof(d->boot))
			DECIDE(PROXY_NOT_SERVED, "the menu URL is too long");
	} else {
		if (!d->has_arch)
			DECIDE(PROXY_NOT_SERVED,
			       "no client architecture (option 93 or PXEClient:Arch:)");
		const char *f = boot_file_for(cfg, d->arch, &reason);
		if (!f)
			DECIDE(PROXY_NOT_SERVED, reason);
		snprintf(d->boot, sizeof(d->boot), "%s", f);
	}

	d->action = PROXY_ANSWER;
	d->reply.server_id = origin->local_addr;
	d->reply.siaddr = next_server;
	d->reply.ciaddr = d->reply.msg_type == DHCP_ACK ? req->ciaddr : 0;
	d->reply.boot_file = d->boot;
	/* An HTTP Boot client takes an offer only when it names itself so (UEFI 2.x, 24.7), and
	 * reads the URL from option 67. */
	d->reply.vendor_class = http ? "HTTPClient" : "PXEClient";
	d->reply.pxe_skip_discovery = !http;
	d->reply.bootfile_option = http;
}

bool proxy_seen_check(struct proxy_seen *s, const uint8_t mac[6], uint32_t xid, uint8_t what,
		      uint64_t now_ms)
{
	for (unsigned i = 0; i < PROXY_SEEN_SLOTS; i++) {
		if (!s->slot[i].used || s->slot[i].xid != xid || s->slot[i].what != what ||
		    memcmp(s->slot[i].mac, mac, 6) != 0)
			continue;
		if (now_ms - s->slot[i].at_ms < PROXY_SEEN_MS)
			return true;
		s->slot[i].at_ms = now_ms;
		return false;
	}
	unsigned i = s->next;
	s->next = (s->next + 1) % PROXY_SEEN_SLOTS;
	memcpy(s->slot[i].mac, mac, 6);
	s->slot[i].xid = xid;
	s->slot[i].what = what;
	s->slot[i].at_ms = now_ms;
	s->slot[i].used = true;
	return false;
}
