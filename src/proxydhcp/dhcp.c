/* SPDX-License-Identifier: MIT */
#include "dhcp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* Field offsets of the fixed BOOTP header (RFC 2131, figure 1). */
enum {
	OFF_OP = 0,
	OFF_HTYPE = 1,
	OFF_HLEN = 2,
	OFF_HOPS = 3,
	OFF_XID = 4,
	OFF_SECS = 8,
	OFF_FLAGS = 10,
	OFF_CIADDR = 12,
	OFF_YIADDR = 16,
	OFF_SIADDR = 20,
	OFF_GIADDR = 24,
	OFF_CHADDR = 28,
	OFF_SNAME = 44,
	OFF_FILE = 108,
	OFF_MAGIC = 236,
};

static bool interpreted(uint8_t code)
{
	switch (code) {
	case DHCP_OPT_OVERLOAD:
	case DHCP_OPT_MSG_TYPE:
	case DHCP_OPT_SERVER_ID:
	case DHCP_OPT_CLASS_ID:
	case DHCP_OPT_USER_CLASS:
	case DHCP_OPT_ARCH:
	case DHCP_OPT_UUID:
	case DHCP_OPT_IPXE:
		return true;
	default:
		return false;
	}
}

#define BAD(text)                                                                                  \
	do {                                                                                       \
		*why = (text);                                                                     \
		return -EBADMSG;                                                                   \
	} while (0)

/* The fixed header: a BOOTREQUEST from an Ethernet client, with a unicast relay if any. */
static int parse_header(const uint8_t *buf, size_t len, struct dhcp_request *req, const char **why)
{
	if (len < DHCP_MIN_LEN)
		BAD("truncated: shorter than the DHCP header");
	if (len > DHCP_MAX_LEN)
		BAD("oversized");
	if (buf[OFF_OP] != DHCP_BOOTREQUEST)
		BAD("not a BOOTREQUEST");
	req->htype = buf[OFF_HTYPE];
	req->hlen = buf[OFF_HLEN];
	/* PXE is Ethernet; the MAC address is what the journal line names the client by. */
	if (req->htype != 1 || req->hlen != 6)
		BAD("not an Ethernet client (htype 1, hlen 6)");
	if (get_be32(buf + OFF_MAGIC) != DHCP_MAGIC)
		BAD("no DHCP magic cookie");
	req->xid = get_be32(buf + OFF_XID);
	req->flags = get_be16(buf + OFF_FLAGS);
	req->ciaddr = get_be32(buf + OFF_CIADDR);
	req->giaddr = get_be32(buf + OFF_GIADDR);
	/* A relay agent has a unicast address: never answer "to" a broadcast, multicast,
	 * loopback or "this network" address. */
	if (req->giaddr != 0 &&
	    ((req->giaddr >> 24) == 0 || (req->giaddr >> 24) == 127 || (req->giaddr >> 28) >= 0xE))
		BAD("giaddr is not a relay agent's unicast address");
	memcpy(req->chaddr, buf + OFF_CHADDR, sizeof(req->chaddr));
	return 0;
}

/* One option of those a ProxyDHCP answer depends on (the others are skipped). */
static int parse_option(uint8_t code, const uint8_t *v, size_t olen, struct dhcp_request *req,
			const char **why)
{
	switch (code) {
	case DHCP_OPT_OVERLOAD:
		BAD("option overloading (option 52)");
	case DHCP_OPT_MSG_TYPE:
		if (olen != 1)
			BAD("option 53 (message type) is not 1 byte");
		req->msg_type = v[0];
		break;
	case DHCP_OPT_SERVER_ID:
		if (olen != 4)
			BAD("option 54 (server identifier) is not 4 bytes");
		req->has_server_id = true;
		req->server_id = get_be32(v);
		break;
	case DHCP_OPT_CLASS_ID:
		if (olen == 0)
			BAD("option 60 (vendor class) is empty");
		memcpy(req->vendor_class, v, olen);
		req->vendor_class[olen] = '\0';
		req->vendor_class_len = olen;
		break;
	case DHCP_OPT_USER_CLASS:
		if (olen == 0)
			BAD("option 77 (user class) is empty");
		memcpy(req->user_class, v, olen);
		req->user_class_len = olen;
		break;
	case DHCP_OPT_ARCH:
		if (olen == 0 || olen % 2 != 0)
			BAD("option 93 (client architecture) is not a list of 2-byte values");
		req->has_arch = true;
		req->arch = get_be16(v);
		break;
	case DHCP_OPT_UUID:
		if (olen != sizeof(req->uuid))
			BAD("option 97 (client UUID) is not 17 bytes");
		req->has_uuid = true;
		memcpy(req->uuid, v, olen);
		break;
	case DHCP_OPT_IPXE:
		req->has_ipxe_options = true;
		break;
	default:
		break;
	}
	return 0;
}

int dhcp_parse_request(const uint8_t *buf, size_t len, struct dhcp_request *req, const char **why)
{
	uint8_t seen[32] = {0};
	bool end = false;
	int r;

	memset(req, 0, sizeof(*req));
	*why = NULL;
	r = parse_header(buf, len, req, why);
	if (r < 0)
		return r;
	for (size_t i = DHCP_MIN_LEN; i < len;) {
		uint8_t code = buf[i++];

		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END) {
			end = true;
			break;
		}
		if (i >= len)
			BAD("truncated: an option without its length");
		size_t olen = buf[i++];
		if (olen > len - i)
			BAD("truncated: an option runs past the end of the packet");
		const uint8_t *v = buf + i;
		i += olen;

		if (interpreted(code)) {
			/* RFC 3396 splitting is not used by PXE clients for these; refusing it
			 * keeps a second copy from overriding what was checked. */
			if (seen[code / 8] & (1u << (code % 8)))
				BAD("an option appears twice");
			seen[code / 8] |= (uint8_t)(1u << (code % 8));
		}
		r = parse_option(code, v, olen, req, why);
		if (r < 0)
			return r;
	}
	if (!end)
		BAD("truncated: no end option");
	if (req->msg_type == 0)
		BAD("a BOOTP request: no DHCP message type");
	return 0;
}

/* Appends one option; false when it does not fit with room left for the end option. */
static bool put_option(uint8_t *buf, size_t size, size_t *off, uint8_t code, const void *data,
		       size_t len)
{
	if (len > 255 || *off + 2 + len + 1 > size)
		return false;
	buf[(*off)++] = code;
	buf[(*off)++] = (uint8_t)len;
	if (len)
		memcpy(buf + *off, data, len);
	*off += len;
	return true;
}

ssize_t dhcp_build_reply(const struct dhcp_request *req, const struct dhcp_reply *rep, uint8_t *buf,
			 size_t size)
{
	size_t blen = rep->boot_file ? strlen(rep->boot_file) : 0;
	size_t off = DHCP_MIN_LEN;
	uint8_t addr[4];

	if (size < DHCP_REPLY_MIN_LEN)
		return -ENOSPC;
	if (blen > 255)
		return -EINVAL;
	memset(buf, 0, size);
	buf[OFF_OP] = DHCP_BOOTREPLY;
	buf[OFF_HTYPE] = req->htype;
	buf[OFF_HLEN] = req->hlen;
	put_be32(buf + OFF_XID, req->xid);
	put_be16(buf + OFF_FLAGS, req->flags);
	put_be32(buf + OFF_CIADDR, rep->ciaddr);
	/* yiaddr stays 0: a ProxyDHCP never offers an address. */
	put_be32(buf + OFF_SIADDR, rep->siaddr);
	put_be32(buf + OFF_GIADDR, req->giaddr);
	memcpy(buf + OFF_CHADDR, req->chaddr, sizeof(req->chaddr));
	if (blen > 0 && blen < DHCP_FILE_LEN)
		memcpy(buf + OFF_FILE, rep->boot_file, blen);
	put_be32(buf + OFF_MAGIC, DHCP_MAGIC);

	put_be32(addr, rep->server_id);
	if (!put_option(buf, size, &off, DHCP_OPT_MSG_TYPE, &rep->msg_type, 1) ||
	    !put_option(buf, size, &off, DHCP_OPT_SERVER_ID, addr, 4) ||
	    !put_option(buf, size, &off, DHCP_OPT_CLASS_ID, rep->vendor_class,
			strlen(rep->vendor_class)))
		return -ENOSPC;
	if (rep->pxe_skip_discovery) {
		const uint8_t pxe[] = {PXE_DISCOVERY_CONTROL, 1, PXE_DISCOVERY_USE_BOOTFILE,
				       DHCP_OPT_END};
		if (!put_option(buf, size, &off, DHCP_OPT_VENDOR, pxe, sizeof(pxe)))
			return -ENOSPC;
	}
	if (req->has_uuid &&
	    !put_option(buf, size, &off, DHCP_OPT_UUID, req->uuid, sizeof(req->uuid)))
		return -ENOSPC;
	if ((blen >= DHCP_FILE_LEN || (blen > 0 && rep->bootfile_option)) &&
	    !put_option(buf, size, &off, DHCP_OPT_BOOTFILE, rep->boot_file, blen))
		return -ENOSPC;
	buf[off++] = DHCP_OPT_END;
	if (off < DHCP_REPLY_MIN_LEN)
		off = DHCP_REPLY_MIN_LEN;
	return (ssize_t)off;
}

const char *dhcp_msg_type_name(uint8_t type, char *buf, size_t size)
{
	static const char *const names[] = {
	    [DHCP_DISCOVER] = "DHCPDISCOVER", [DHCP_OFFER] = "DHCPOFFER",
	    [DHCP_REQUEST] = "DHCPREQUEST",   [DHCP_DECLINE] = "DHCPDECLINE",
	    [DHCP_ACK] = "DHCPACK",	      [DHCP_NAK] = "DHCPNAK",
	    [DHCP_RELEASE] = "DHCPRELEASE",   [DHCP_INFORM] = "DHCPINFORM",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	snprintf(buf, size, "DHCP message %u", type);
	return buf;
}

const char *dhcp_arch_name(uint16_t arch)
{
	switch (arch) {
	case 0:
		return "BIOS";
	case 6:
		return "IA32 UEFI";
	case 7:
		return "x86-64 UEFI";
	case 9:
		return "x86-64 UEFI (EBC)";
	case 10:
		return "ARM32 UEFI";
	case 11:
		return "ARM64 UEFI";
	case 15:
		return "IA32 UEFI HTTP";
	case 16:
		return "x86-64 UEFI HTTP";
	case 18:
		return "ARM32 UEFI HTTP";
	case 19:
		return "ARM64 UEFI HTTP";
	default:
		return NULL;
	}
}

void dhcp_format_mac(const struct dhcp_request *req, char buf[18])
{
	const uint8_t *m = req->chaddr;

	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

bool dhcp_request_is_ipxe(const struct dhcp_request *req)
{
	static const char ipxe[] = "iPXE";
	const size_t n = sizeof(ipxe) - 1;

	if (req->has_ipxe_options)
		return true;
	/* iPXE sends the bare string; RFC 3004 wants length-prefixed items. */
	if (req->user_class_len == n && memcmp(req->user_class, ipxe, n) == 0)
		return true;
	for (size_t i = 0; i < req->user_class_len;) {
		size_t l = req->user_class[i++];
		if (l > req->user_class_len - i)
			break;
		if (l == n && memcmp(req->user_class + i, ipxe, n) == 0)
			return true;
		i += l;
	}
	return false;
}
