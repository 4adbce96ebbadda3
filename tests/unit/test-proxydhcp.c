/* SPDX-License-Identifier: MIT */
/* isoboot-proxydhcp: the DHCP parser and builder, and what is answered to whom. */
#include <arpa/inet.h>

#include "config.h"
#include "dhcp.h"
#include "log.h"
#include "proxy.h"
#include "tap.h"

#define LOCAL 0xc0000201u /* 192.0.2.1 */
#define UUID_BYTES "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x10"

/* A request under construction: header, magic cookie, options. */
struct rq {
	uint8_t buf[1600];
	size_t len;
};

static void rq_init(struct rq *r, uint8_t type)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	memset(r, 0, sizeof(*r));
	r->buf[0] = DHCP_BOOTREQUEST;
	r->buf[1] = 1;
	r->buf[2] = 6;
	put_be32(r->buf + 4, 0xdeadbeef);
	put_be16(r->buf + 10, 0x8000);
	memcpy(r->buf + 28, mac, 6);
	put_be32(r->buf + 236, DHCP_MAGIC);
	r->len = DHCP_MIN_LEN;
	if (type) {
		r->buf[r->len++] = DHCP_OPT_MSG_TYPE;
		r->buf[r->len++] = 1;
		r->buf[r->len++] = type;
	}
}

static void rq_opt(struct rq *r, uint8_t code, const void *data, size_t len)
{
	r->buf[r->len++] = code;
	r->buf[r->len++] = (uint8_t)len;
	memcpy(r->buf + r->len, data, len);
	r->len += len;
}

static void rq_str(struct rq *r, uint8_t code, const char *s)
{
	rq_opt(r, code, s, strlen(s));
}

static void rq_arch(struct rq *r, uint16_t arch)
{
	uint8_t v[2];
	put_be16(v, arch);
	rq_opt(r, DHCP_OPT_ARCH, v, 2);
}

static void rq_end(struct rq *r)
{
	r->buf[r->len++] = DHCP_OPT_END;
}

/* A DHCPDISCOVER whose vendor class and option 93 name the architecture, options left open. */
static void rq_discover(struct rq *r, const char *client, uint16_t arch, const char *undi)
{
	char cls[64];

	rq_init(r, DHCP_DISCOVER);
	snprintf(cls, sizeof(cls), "%s:Arch:%05u:UNDI:%s", client, arch, undi);
	rq_str(r, DHCP_OPT_CLASS_ID, cls);
	rq_arch(r, arch);
}

/* A PXE ROM's DHCPDISCOVER of the given architecture. */
static void rq_pxe(struct rq *r, uint16_t arch)
{
	rq_discover(r, "PXEClient", arch, "002001");
	rq_opt(r, DHCP_OPT_UUID, UUID_BYTES, 17);
	rq_end(r);
}

/* A UEFI HTTP Boot client's DHCPDISCOVER of the given architecture. */
static void rq_http(struct rq *r, uint16_t arch)
{
	rq_discover(r, "HTTPClient", arch, "003001");
	rq_end(r);
}

static int parse(const struct rq *r, struct dhcp_request *req)
{
	const char *why;
	int ret = dhcp_parse_request(r->buf, r->len, req, &why);
	if (ret == 0)
		CHECK(why == NULL);
	else
		CHECK(why != NULL);
	return ret;
}

static void test_parse(void)
{
	struct rq r;
	struct dhcp_request req;

	rq_pxe(&r, 7);
	CHECK_EQ_INT(parse(&r, &req), 0);
	CHECK_EQ_INT(req.msg_type, DHCP_DISCOVER);
	CHECK_EQ_INT(req.xid, 0xdeadbeef);
	CHECK_EQ_INT(req.flags, 0x8000);
	CHECK_STR(req.vendor_class, "PXEClient:Arch:00007:UNDI:002001");
	CHECK(req.has_arch);
	CHECK_EQ_INT(req.arch, 7);
	CHECK(req.has_uuid);
	CHECK(memcmp(req.uuid, UUID_BYTES, 17) == 0);
	CHECK(!req.has_server_id);
	CHECK(!dhcp_request_is_ipxe(&req));
	char mac[18];
	dhcp_format_mac(&req, mac);
	CHECK_STR(mac, "52:54:00:12:34:56");

	/* Padding, an unknown option of any length, a list of architectures (the first counts). */
	rq_init(&r, DHCP_REQUEST);
	r.buf[r.len++] = DHCP_OPT_PAD;
	rq_opt(&r, 250, "\x01\x02\x03", 3);
	rq_opt(&r, DHCP_OPT_ARCH, "\x00\x09\x00\x07", 4);
	rq_opt(&r, DHCP_OPT_SERVER_ID, "\xc0\x00\x02\x01", 4);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient");
	rq_end(&r);
	CHECK_EQ_INT(parse(&r, &req), 0);
	CHECK_EQ_INT(req.arch, 9);
	CHECK(req.has_server_id);
	CHECK_EQ_INT(req.server_id, LOCAL);

	/* iPXE: the bare user class, RFC 3004's form, or only option 175. */
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_USER_CLASS, "iPXE");
	rq_end(&r);
	CHECK_EQ_INT(parse(&r, &req), 0);
	CHECK(dhcp_request_is_ipxe(&req));
	rq_init(&r, DHCP_DISCOVER);
	rq_opt(&r, DHCP_OPT_USER_CLASS,
	       "\x03"
	       "abc\x04"
	       "iPXE",
	       9);
	rq_end(&r);
	CHECK_EQ_INT(parse(&r, &req), 0);
	CHECK(dhcp_request_is_ipxe(&req));
	rq_init(&r, DHCP_DISCOVER);
	rq_opt(&r, DHCP_OPT_IPXE, "\xb1\x05\x01\x80\x86\x10\x0e", 7);
	rq_end(&r);
	CHECK_EQ_INT(parse(&r, &req), 0);
	CHECK(dhcp_request_is_ipxe(&req));
	/* A user class that only starts like iPXE, or an RFC 3004 item running past the end. */
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_USER_CLASS, "iPXE-not");
	rq_end(&r);
	CHECK_EQ_INT(parse(&r, &req), 0);
	CHECK(!dhcp_request_is_ipxe(&req));
	rq_init(&r, DHCP_DISCOVER);
	rq_opt(&r, DHCP_OPT_USER_CLASS, "\x09iPXE", 5);
	rq_end(&r);
	CHECK_EQ_INT(parse(&r, &req), 0);
	CHECK(!dhcp_request_is_ipxe(&req));
}

/* Each malformed request is refused with a reason. */
static void test_parse_errors(void)
{
	struct rq r;
	struct dhcp_request req;

#define REFUSED(setup)                                                                             \
	do {                                                                                       \
		setup;                                                                             \
		CHECK_EQ_INT(parse(&r, &req), -EBADMSG);                                           \
	} while (0)

	REFUSED((rq_pxe(&r, 0), r.len = 239));
	REFUSED((rq_pxe(&r, 0), r.len = 0));
	REFUSED((rq_pxe(&r, 0), r.buf[0] = DHCP_BOOTREPLY));
	REFUSED((rq_pxe(&r, 0), r.buf[1] = 32)); /* InfiniBand */
	REFUSED((rq_pxe(&r, 0), r.buf[2] = 0));
	REFUSED((rq_pxe(&r, 0), r.buf[236] = 0));
	REFUSED((rq_pxe(&r, 0), r.len = 1473));
	/* No end option; an option without its length; one running past the end. */
	REFUSED((rq_pxe(&r, 0), r.len--));
	REFUSED((rq_init(&r, DHCP_DISCOVER), r.buf[r.len++] = 60));
	REFUSED((rq_init(&r, DHCP_DISCOVER), r.buf[r.len++] = 60, r.buf[r.len++] = 10,
		 r.buf[r.len++] = 'P', rq_end(&r)));
	/* BOOTP: no message type. */
	REFUSED((rq_init(&r, 0), rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient"), rq_end(&r)));
	/* Overloading, and repeated options. */
	REFUSED((rq_init(&r, DHCP_DISCOVER), rq_opt(&r, DHCP_OPT_OVERLOAD, "\x03", 1), rq_end(&r)));
	REFUSED((rq_init(&r, DHCP_DISCOVER), rq_opt(&r, DHCP_OPT_MSG_TYPE, "\x03", 1), rq_end(&r)));
	REFUSED((rq_init(&r, DHCP_DISCOVER), rq_arch(&r, 0), rq_arch(&r, 7), rq_end(&r)));
	/* Wrong lengths. */
	REFUSED((rq_init(&r, 0), rq_opt(&r, DHCP_OPT_MSG_TYPE, "\x01\x01", 2), rq_end(&r)));
	REFUSED((rq_init(&r, 0), rq_opt(&r, DHCP_OPT_MSG_TYPE, "", 0), rq_end(&r)));
	REFUSED((rq_init(&r, DHCP_REQUEST), rq_opt(&r, DHCP_OPT_SERVER_ID, "\xc0\x00\x02", 3),
		 rq_end(&r)));
	REFUSED((rq_init(&r, DHCP_DISCOVER), rq_opt(&r, DHCP_OPT_ARCH, "\x00", 1), rq_end(&r)));
	REFUSED(
	    (rq_init(&r, DHCP_DISCOVER), rq_opt(&r, DHCP_OPT_ARCH, "\x00\x00\x07", 3), rq_end(&r)));
	REFUSED(
	    (rq_init(&r, DHCP_DISCOVER), rq_opt(&r, DHCP_OPT_UUID, UUID_BYTES, 16), rq_end(&r)));
	REFUSED((rq_init(&r, DHCP_DISCOVER), rq_opt(&r, DHCP_OPT_CLASS_ID, "", 0), rq_end(&r)));
	REFUSED((rq_init(&r, DHCP_DISCOVER), rq_opt(&r, DHCP_OPT_USER_CLASS, "", 0), rq_end(&r)));
#undef REFUSED
}

/* A request cut short anywhere is refused: the end option is the last byte. */
static void test_parse_truncated(void)
{
	struct rq r;
	struct dhcp_request req;
	const char *why;
	unsigned accepted = 0;

	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00007:UNDI:003016");
	rq_arch(&r, 7);
	rq_str(&r, DHCP_OPT_USER_CLASS, "iPXE");
	rq_end(&r);
	CHECK_EQ_INT(dhcp_parse_request(r.buf, r.len, &req, &why), 0);
	for (size_t len = 0; len < r.len; len++)
		if (dhcp_parse_request(r.buf, len, &req, &why) == 0)
			accepted++;
	CHECK_EQ_INT(accepted, 0);
}

static void cfg_init(struct isoboot_config *c)
{
	CHECK_EQ_INT(config_init(c), 0);
}

/* What the ProxyDHCP decides for r on port, for a client whose Secure Boot choice is next (or
 * none). */
static enum proxy_action decide_chosen(const struct isoboot_config *cfg, const struct rq *r,
				       enum proxy_port port, const struct sbnext *next,
				       struct proxy_decision *d)
{
	struct dhcp_request req;
	struct proxy_origin o = {
	    .port = port, .local_addr = LOCAL, .ifname = "br0", .sb_next = next};

	CHECK_EQ_INT(parse(r, &req), 0);
	proxy_decide(cfg, &req, &o, d);
	if (d->action != PROXY_ANSWER)
		CHECK(d->reason != NULL);
	return d->action;
}

static enum proxy_action decide(const struct isoboot_config *cfg, const struct rq *r,
				enum proxy_port port, struct proxy_decision *d)
{
	return decide_chosen(cfg, r, port, NULL, d);
}

/* A BIOS PXE ROM: pxelinux.0 from us, offered as a PXEClient that may skip discovery. */
static void test_decide_firmware_bios(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_pxe(&r, 0);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "pxelinux.0");
	CHECK_STR(d.reply.boot_file, "pxelinux.0");
	CHECK_EQ_INT(d.reply.msg_type, DHCP_OFFER);
	CHECK_EQ_INT(d.reply.server_id, LOCAL);
	CHECK_EQ_INT(d.reply.siaddr, LOCAL);
	CHECK_EQ_INT(d.reply.ciaddr, 0);
	CHECK_STR(d.reply.vendor_class, "PXEClient");
	CHECK(d.reply.pxe_skip_discovery);
	CHECK(!d.ipxe);
	config_finish(&cfg);
}

/* x86-64 UEFI ROMs (architectures 7 and 9): snponly.efi. */
static void test_decide_firmware_efi64(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_pxe(&r, 7);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "snponly.efi");
	rq_pxe(&r, 9);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "snponly.efi");
	config_finish(&cfg);
}

/* ARM64 UEFI: the iPXE of Debian 13's ipxe package, by the name it has there. */
static void test_decide_firmware_arm64(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_pxe(&r, 11);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "ipxe-arm64.efi");
	CHECK_STR(d.reply.boot_file, "ipxe-arm64.efi");
	CHECK_EQ_INT(d.reply.siaddr, LOCAL);
	CHECK(d.reply.pxe_skip_discovery);
	CHECK_EQ_INT(d.arch, 11);
	config_finish(&cfg);
}

/* No IA32 iPXE in Debian: not served unless configured. */
static void test_decide_firmware_ia32_unserved(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_pxe(&r, 6);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_NOT_SERVED);
	rq_pxe(&r, 12);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_NOT_SERVED);
	CHECK_EQ_INT(d.arch, 12);
	config_finish(&cfg);
}

/* The *_boot keys of [proxydhcp] name the file of each architecture. */
static void test_decide_firmware_configured(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	CHECK_EQ_INT(config_load_string(&cfg, "t",
					"[proxydhcp]\narm64_boot = arm64/snp.efi\n"
					"efi32_boot = ipxe-ia32.efi\nbios_boot = "
					"undionly.kpxe\nefi64_boot = ipxe.efi\n"),
		     0);
	rq_pxe(&r, 11);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "arm64/snp.efi");
	rq_pxe(&r, 6);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "ipxe-ia32.efi");
	rq_pxe(&r, 0);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "undionly.kpxe");
	rq_pxe(&r, 7);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "ipxe.efi");
	config_finish(&cfg);
}

/* An empty *_boot key turns its architecture off. */
static void test_decide_firmware_turned_off(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	CHECK_EQ_INT(config_load_string(&cfg, "t", "[proxydhcp]\nbios_boot =\narm64_boot =\n"), 0);
	rq_pxe(&r, 0);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_NOT_SERVED);
	/* A site without an ARM64 iPXE (Debian 12) turns it off, and the log says which key. */
	rq_pxe(&r, 11);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_NOT_SERVED);
	CHECK(strstr(d.reason, "arm64_boot") != NULL);
	config_finish(&cfg);
}

/* arm64_boot is served whether the architecture comes from option 60 alone or the request
 * comes to port 4011. */
static void test_decide_firmware_arm64_requests(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	CHECK_EQ_INT(config_load_string(&cfg, "t", "[proxydhcp]\narm64_boot = ipxe-arm64.efi\n"),
		     0);
	/* The architecture from option 60 alone, as for the others. */
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00011:UNDI:003000");
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "ipxe-arm64.efi");
	/* Port 4011, where UEFI firmware that already has its lease asks. */
	rq_init(&r, DHCP_REQUEST);
	put_be32(r.buf + 12, 0xc0000264u); /* ciaddr 192.0.2.100 */
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00011:UNDI:003000");
	rq_arch(&r, 11);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_PXE, &d), PROXY_ANSWER);
	CHECK_EQ_INT(d.reply.msg_type, DHCP_ACK);
	CHECK_STR(d.boot, "ipxe-arm64.efi");
	config_finish(&cfg);
}

static void test_decide_ipxe(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	/* iPXE is sent to the menu whatever its architecture, so that it never loops. */
	for (uint16_t arch = 0; arch < 12; arch++) {
		rq_init(&r, DHCP_DISCOVER);
		rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00000:UNDI:002001");
		rq_arch(&r, arch);
		rq_str(&r, DHCP_OPT_USER_CLASS, "iPXE");
		rq_end(&r);
		CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
		CHECK_STR(d.boot, "http://192.0.2.1/boot.ipxe");
		CHECK(d.ipxe);
	}
	/* Option 175 alone marks iPXE as well. */
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00007:UNDI:003010");
	rq_arch(&r, 7);
	rq_opt(&r, DHCP_OPT_IPXE, "\x13\x01\x01", 3);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://192.0.2.1/boot.ipxe");

	/* [server] address: the URL, and next-server when it is an IPv4 address. Option 54 stays
	 * the interface's. */
	CHECK_EQ_INT(config_load_string(&cfg, "t", "[server]\naddress = 198.51.100.7\n"), 0);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://198.51.100.7/boot.ipxe");
	CHECK_EQ_INT(d.reply.siaddr, 0xc6336407u);
	CHECK_EQ_INT(d.reply.server_id, LOCAL);
	CHECK_EQ_INT(config_load_string(&cfg, "t", "[server]\naddress = boot.example.org\n"), 0);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://boot.example.org/boot.ipxe");
	CHECK_EQ_INT(d.reply.siaddr, LOCAL);
	CHECK_EQ_INT(config_load_string(&cfg, "t", "[server]\naddress = 2001:db8::5\n"), 0);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://[2001:db8::5]/boot.ipxe");
	CHECK_EQ_INT(d.reply.siaddr, LOCAL);
	config_finish(&cfg);
}

/* No vendor class, another vendor class, or one that merely contains PXEClient: ignored. */
static void test_decide_not_pxe_client(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_init(&r, DHCP_DISCOVER);
	rq_arch(&r, 0);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_IGNORE);
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "MSFT 5.0");
	rq_arch(&r, 0);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_IGNORE);
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "xPXEClient");
	rq_arch(&r, 0);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_IGNORE);
	config_finish(&cfg);
}

/* No option 93: the architecture of the vendor class, or none at all. */
static void test_decide_arch_from_class(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00007:UNDI:003016");
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "snponly.efi");
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient");
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_NOT_SERVED);
	CHECK(!d.has_arch);
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:0007x");
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_NOT_SERVED);
	config_finish(&cfg);
}

/* UEFI HTTP Boot: iPXE by URL from isoboot-menu, the offer naming itself HTTPClient. */
static void test_decide_http_boot(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_http(&r, 16);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://192.0.2.1/boot/ipxe-x64.efi");
	CHECK_STR(d.reply.vendor_class, "HTTPClient");
	CHECK(!d.reply.pxe_skip_discovery);
	CHECK(d.reply.bootfile_option);
	/* The architecture from the vendor class alone, as for PXEClient. */
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "HTTPClient:Arch:00019:UNDI:003001");
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_EQ_INT(d.arch, 19);
	CHECK_STR(d.boot, "http://192.0.2.1/boot/ipxe-arm64.efi");
	config_finish(&cfg);
}

/* A client that chose an ISO's own loader in the Secure Boot menu: PXE is left unanswered, so
 * that its firmware goes on to HTTP Boot, which gets the ISO's BOOTX64.EFI. */
static void test_decide_sb_next(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;
	struct sbnext next = {.id = "ubuntu-1234"};

	cfg_init(&cfg);
	rq_pxe(&r, 7);
	CHECK_EQ_INT(decide_chosen(&cfg, &r, PROXY_PORT_DHCP, &next, &d), PROXY_IGNORE);
	CHECK(!d.sb_next_answered);
	rq_http(&r, 16);
	CHECK_EQ_INT(decide_chosen(&cfg, &r, PROXY_PORT_DHCP, &next, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://192.0.2.1/sb/ubuntu-1234/EFI/BOOT/BOOTX64.EFI");
	CHECK_STR(d.reply.vendor_class, "HTTPClient");
	CHECK(d.reply.bootfile_option);
	CHECK(d.sb_next_answered);
	/* Not an x86-64 HTTP Boot client: as without a choice. */
	rq_http(&r, 19);
	CHECK_EQ_INT(decide_chosen(&cfg, &r, PROXY_PORT_DHCP, &next, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://192.0.2.1/boot/ipxe-arm64.efi");
	CHECK(!d.sb_next_answered);
	/* iPXE (Secure Boot off after all) still gets the menu. */
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00007:UNDI:003010");
	rq_str(&r, DHCP_OPT_USER_CLASS, "iPXE");
	rq_end(&r);
	CHECK_EQ_INT(decide_chosen(&cfg, &r, PROXY_PORT_DHCP, &next, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://192.0.2.1/boot.ipxe");
	config_finish(&cfg);
}

/* Once used, the choice answers the HTTP Boot request's retransmissions, and PXE as usual. */
static void test_decide_sb_next_used(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;
	struct sbnext next = {.id = "ubuntu-1234", .used = true};

	cfg_init(&cfg);
	rq_pxe(&r, 7);
	CHECK_EQ_INT(decide_chosen(&cfg, &r, PROXY_PORT_DHCP, &next, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "snponly.efi");
	rq_http(&r, 16);
	CHECK_EQ_INT(decide_chosen(&cfg, &r, PROXY_PORT_DHCP, &next, &d), PROXY_ANSWER);
	CHECK_STR(d.boot, "http://192.0.2.1/sb/ubuntu-1234/EFI/BOOT/BOOTX64.EFI");
	config_finish(&cfg);
}

/* x86 UEFI HTTP (15): no iPXE for it. */
static void test_decide_http_boot_ia32(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_http(&r, 15);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_NOT_SERVED);
	CHECK(strstr(d.reason, "HTTP Boot") != NULL);
	config_finish(&cfg);
}

/* [menu] efi64_file empty: the menu serves nothing, so neither does the ProxyDHCP. */
static void test_decide_http_boot_no_menu_file(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	char *saved = cfg.menu_efi64_file;
	cfg.menu_efi64_file = (char *)"";
	rq_http(&r, 16);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_NOT_SERVED);
	CHECK(strstr(d.reason, "efi64_file") != NULL);
	cfg.menu_efi64_file = saved;
	config_finish(&cfg);
}

/* Message types: REQUESTs on 67 only when addressed to us; INFORM, RELEASE never. */
static void test_decide_message_types(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_init(&r, DHCP_REQUEST);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00000:UNDI:002001");
	rq_arch(&r, 0);
	rq_opt(&r, DHCP_OPT_SERVER_ID, "\xc0\x00\x02\x02", 4);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_IGNORE);
	rq_init(&r, DHCP_REQUEST);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00000:UNDI:002001");
	rq_arch(&r, 0);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_IGNORE);
	rq_init(&r, DHCP_REQUEST);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00000:UNDI:002001");
	rq_arch(&r, 0);
	rq_opt(&r, DHCP_OPT_SERVER_ID, "\xc0\x00\x02\x01", 4);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_ANSWER);
	CHECK_EQ_INT(d.reply.msg_type, DHCP_ACK);
	for (uint8_t t = DHCP_DECLINE; t <= 18; t++) {
		rq_init(&r, t);
		rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00000:UNDI:002001");
		rq_arch(&r, 0);
		rq_end(&r);
		CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_DHCP, &d), PROXY_IGNORE);
	}
	config_finish(&cfg);
}

/* Port 4011: REQUESTs of clients with an address, answered with an ACK; DISCOVERs ignored. */
static void test_decide_port_pxe(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	rq_init(&r, DHCP_REQUEST);
	put_be32(r.buf + 12, 0xc0000264u); /* ciaddr 192.0.2.100 */
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00007:UNDI:003016");
	rq_arch(&r, 7);
	rq_end(&r);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_PXE, &d), PROXY_ANSWER);
	CHECK_EQ_INT(d.reply.msg_type, DHCP_ACK);
	CHECK_EQ_INT(d.reply.ciaddr, 0xc0000264u);
	CHECK_STR(d.boot, "snponly.efi");
	rq_pxe(&r, 7);
	CHECK_EQ_INT(decide(&cfg, &r, PROXY_PORT_PXE, &d), PROXY_IGNORE);
	config_finish(&cfg);
}

/* No address on the interface: nothing to offer, so ignored. */
static void test_decide_no_local_address(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct rq r;

	cfg_init(&cfg);
	/* The request the scenario before this one ended with. */
	rq_pxe(&r, 7);
	struct dhcp_request req;
	struct proxy_origin o = {.port = PROXY_PORT_DHCP, .local_addr = 0, .ifname = "eth9"};
	CHECK_EQ_INT(parse(&r, &req), 0);
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_IGNORE);
	config_finish(&cfg);
}

static void test_decide_restricted(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct dhcp_request req;
	struct rq r;

	cfg_init(&cfg);
	CHECK_EQ_INT(config_load_string(&cfg, "t", "[proxydhcp]\ninterfaces = eth1, br0\n"), 0);
	rq_pxe(&r, 0);
	CHECK_EQ_INT(parse(&r, &req), 0);
	struct proxy_origin o = {.port = PROXY_PORT_DHCP, .local_addr = LOCAL, .ifname = "br0"};
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_ANSWER);
	o.ifname = "eth0";
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_IGNORE);

	CHECK_EQ_INT(config_load_string(&cfg, "t",
					"[proxydhcp]\ninterfaces =\nsubnets = 198.51.100.0/24 "
					"192.0.2.0/25\n"),
		     0);
	o.ifname = "eth0";
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_ANSWER);
	o.local_addr = 0xc0000281u; /* 192.0.2.129: outside 192.0.2.0/25 */
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_IGNORE);
	/* A relayed request: the relay's network counts, not ours. */
	req.giaddr = 0xc6336401u;
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_ANSWER);
	req.giaddr = 0x0a000001u;
	o.local_addr = LOCAL;
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_IGNORE);
	/* Port 4011: the sender's address when ciaddr is empty. */
	rq_init(&r, DHCP_REQUEST);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient:Arch:00007:UNDI:003016");
	rq_end(&r);
	CHECK_EQ_INT(parse(&r, &req), 0);
	o = (struct proxy_origin){
	    .port = PROXY_PORT_PXE, .local_addr = LOCAL, .ifname = "br0", .src_addr = 0x0a000005u};
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_IGNORE);
	o.src_addr = 0xc0000205u;
	proxy_decide(&cfg, &req, &o, &d);
	CHECK_EQ_INT(d.action, PROXY_ANSWER);
	config_finish(&cfg);
}

/* The option CODE of a built reply, or NULL. */
static const uint8_t *reply_option(const uint8_t *buf, size_t len, uint8_t code, size_t *olen)
{
	for (size_t i = DHCP_MIN_LEN; i < len;) {
		uint8_t c = buf[i++];
		if (c == DHCP_OPT_PAD)
			continue;
		if (c == DHCP_OPT_END || i >= len)
			return NULL;
		size_t l = buf[i++];
		if (l > len - i)
			return NULL;
		if (c == code) {
			*olen = l;
			return buf + i;
		}
		i += l;
	}
	return NULL;
}

static void test_build(void)
{
	struct isoboot_config cfg;
	struct proxy_decision d;
	struct dhcp_request req;
	struct rq r;
	uint8_t out[DHCP_MAX_LEN];
	const uint8_t *o;
	size_t ol;

	cfg_init(&cfg);
	rq_pxe(&r, 7);
	put_be32(r.buf + 24, 0xc6336401u); /* giaddr */
	CHECK_EQ_INT(parse(&r, &req), 0);
	struct proxy_origin origin = {
	    .port = PROXY_PORT_DHCP, .local_addr = LOCAL, .ifname = "br0"};
	proxy_decide(&cfg, &req, &origin, &d);
	CHECK_EQ_INT(d.action, PROXY_ANSWER);
	ssize_t n = dhcp_build_reply(&req, &d.reply, out, sizeof(out));
	CHECK(n >= DHCP_REPLY_MIN_LEN);
	CHECK_EQ_INT(out[0], DHCP_BOOTREPLY);
	CHECK_EQ_INT(out[1], 1);
	CHECK_EQ_INT(out[2], 6);
	CHECK_EQ_INT(get_be32(out + 4), 0xdeadbeef);
	CHECK_EQ_INT(get_be16(out + 10), 0x8000);
	CHECK_EQ_INT(get_be32(out + 12), 0);	       /* ciaddr */
	CHECK_EQ_INT(get_be32(out + 16), 0);	       /* yiaddr: never an address */
	CHECK_EQ_INT(get_be32(out + 20), LOCAL);       /* siaddr */
	CHECK_EQ_INT(get_be32(out + 24), 0xc6336401u); /* giaddr */
	CHECK(memcmp(out + 28, r.buf + 28, 16) == 0);
	CHECK_STR((const char *)out + 108, "snponly.efi");
	CHECK_EQ_INT(get_be32(out + 236), DHCP_MAGIC);
	o = reply_option(out, (size_t)n, DHCP_OPT_MSG_TYPE, &ol);
	CHECK(o && ol == 1 && o[0] == DHCP_OFFER);
	o = reply_option(out, (size_t)n, DHCP_OPT_SERVER_ID, &ol);
	CHECK(o && ol == 4 && get_be32(o) == LOCAL);
	o = reply_option(out, (size_t)n, DHCP_OPT_CLASS_ID, &ol);
	CHECK(o && ol == 9 && memcmp(o, "PXEClient", 9) == 0);
	o = reply_option(out, (size_t)n, DHCP_OPT_VENDOR, &ol);
	CHECK(o && ol == 4 && memcmp(o, "\x06\x01\x08\xff", 4) == 0);
	o = reply_option(out, (size_t)n, DHCP_OPT_UUID, &ol);
	CHECK(o && ol == 17 && memcmp(o, UUID_BYTES, 17) == 0);
	CHECK(reply_option(out, (size_t)n, DHCP_OPT_BOOTFILE, &ol) == NULL);

	/* Without option 97 in the request, none in the reply; a boot file too long for the
	 * file field goes in option 67. */
	rq_init(&r, DHCP_DISCOVER);
	rq_str(&r, DHCP_OPT_CLASS_ID, "PXEClient");
	rq_str(&r, DHCP_OPT_USER_CLASS, "iPXE");
	rq_end(&r);
	CHECK_EQ_INT(parse(&r, &req), 0);
	char host[121]; /* the URL is longer than the 127 bytes of the file field */
	memset(host, 'a', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (size_t i = 60; i < sizeof(host) - 1; i += 61)
		host[i] = '.';
	char text[300];
	snprintf(text, sizeof(text), "[server]\naddress = %s\n", host);
	CHECK_EQ_INT(config_load_string(&cfg, "t", text), 0);
	proxy_decide(&cfg, &req, &origin, &d);
	CHECK_EQ_INT(d.action, PROXY_ANSWER);
	n = dhcp_build_reply(&req, &d.reply, out, sizeof(out));
	CHECK(n > 0);
	CHECK(reply_option(out, (size_t)n, DHCP_OPT_UUID, &ol) == NULL);
	CHECK_EQ_INT(out[108], 0);
	o = reply_option(out, (size_t)n, DHCP_OPT_BOOTFILE, &ol);
	CHECK(o && ol == strlen(d.boot) && memcmp(o, d.boot, ol) == 0);

	/* Too small a buffer, and too long a name. */
	CHECK_EQ_INT(dhcp_build_reply(&req, &d.reply, out, 299), -ENOSPC);
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	d.reply.boot_file = longname;
	CHECK_EQ_INT(dhcp_build_reply(&req, &d.reply, out, sizeof(out)), -EINVAL);
	config_finish(&cfg);
}

/* A relay agent's address is unicast: a request naming another giaddr is dropped. */
static void test_giaddr(void)
{
	static const uint32_t bad[] = {0xffffffffu, 0xe0000001u, 0xeffffffau,
				       0xf0000001u, 0x7f000001u, 0x00000001u};
	static const uint32_t good[] = {0xc6336401u, 0x0a000001u, 0xc0000201u};
	struct dhcp_request req;
	const char *why;
	struct rq r;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		rq_pxe(&r, 0);
		put_be32(r.buf + 24, bad[i]);
		CHECK(dhcp_parse_request(r.buf, r.len, &req, &why) < 0);
		CHECK(why && strstr(why, "giaddr"));
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		rq_pxe(&r, 0);
		put_be32(r.buf + 24, good[i]);
		CHECK_EQ_INT(dhcp_parse_request(r.buf, r.len, &req, &why), 0);
	}
}

static void test_seen(void)
{
	static struct proxy_seen s;
	const uint8_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 2, 3, 4, 5, 7};

	CHECK(!proxy_seen_check(&s, a, 1, DHCP_OFFER, 1000));
	CHECK(proxy_seen_check(&s, a, 1, DHCP_OFFER, 2000));
	CHECK(!proxy_seen_check(&s, a, 1, DHCP_ACK, 2000));
	CHECK(!proxy_seen_check(&s, a, 2, DHCP_OFFER, 2000));
	CHECK(!proxy_seen_check(&s, b, 1, DHCP_OFFER, 2000));
	CHECK(!proxy_seen_check(&s, a, 1, DHCP_OFFER, 1000 + PROXY_SEEN_MS));
	CHECK(proxy_seen_check(&s, a, 1, DHCP_OFFER, 1001 + PROXY_SEEN_MS));
	/* The table is bounded: old entries make room. */
	for (uint32_t x = 100; x < 100 + 2 * PROXY_SEEN_SLOTS; x++)
		CHECK(!proxy_seen_check(&s, b, x, DHCP_OFFER, 5000));
	CHECK(!proxy_seen_check(&s, b, 100, DHCP_OFFER, 5000));
}

static void test_names(void)
{
	char buf[32];

	CHECK_STR(dhcp_msg_type_name(DHCP_DISCOVER, buf, sizeof(buf)), "DHCPDISCOVER");
	CHECK_STR(dhcp_msg_type_name(DHCP_ACK, buf, sizeof(buf)), "DHCPACK");
	CHECK_STR(dhcp_msg_type_name(0, buf, sizeof(buf)), "DHCP message 0");
	CHECK_STR(dhcp_msg_type_name(200, buf, sizeof(buf)), "DHCP message 200");
	CHECK_STR(dhcp_arch_name(0), "BIOS");
	CHECK_STR(dhcp_arch_name(7), "x86-64 UEFI");
	CHECK_STR(dhcp_arch_name(11), "ARM64 UEFI");
	CHECK_STR(dhcp_arch_name(19), "ARM64 UEFI HTTP");
	CHECK(dhcp_arch_name(4242) == NULL);
}

int main(void)
{
	log_init("test-proxydhcp", LOG_TARGET_STDERR);
	RUN(test_parse);
	RUN(test_parse_errors);
	RUN(test_parse_truncated);
	RUN(test_decide_firmware_bios);
	RUN(test_decide_firmware_efi64);
	RUN(test_decide_firmware_arm64);
	RUN(test_decide_firmware_ia32_unserved);
	RUN(test_decide_firmware_configured);
	RUN(test_decide_firmware_turned_off);
	RUN(test_decide_firmware_arm64_requests);
	RUN(test_decide_ipxe);
	RUN(test_decide_not_pxe_client);
	RUN(test_decide_arch_from_class);
	RUN(test_decide_http_boot);
	RUN(test_decide_sb_next);
	RUN(test_decide_sb_next_used);
	RUN(test_decide_http_boot_ia32);
	RUN(test_decide_http_boot_no_menu_file);
	RUN(test_decide_message_types);
	RUN(test_decide_port_pxe);
	RUN(test_decide_no_local_address);
	RUN(test_decide_restricted);
	RUN(test_build);
	RUN(test_giaddr);
	RUN(test_seen);
	RUN(test_names);
	return tap_done();
}
