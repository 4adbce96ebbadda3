/* SPDX-License-Identifier: MIT */
#include "config.h"
#include "helpers.h"
#include "log.h"
#include "tap.h"

static void test_defaults(void)
{
	struct isoboot_config c;

	CHECK_EQ_INT(config_init(&c), 0);
	CHECK_STR(c.iso_dir, "/var/lib/isoboot/iso");
	CHECK_STR(c.state_dir, "/var/lib/isoboot");
	CHECK_STR(c.server_address, "");
	CHECK(iqn_valid(c.iqn_prefix));
	CHECK_EQ_INT(c.device_type, ISCSI_DEVICE_CDROM);
	CHECK_STR(c.menu_title, "isoboot");
	CHECK_EQ_INT(c.menu_timeout, 10);
	CHECK_EQ_INT(c.menu_uefi_boot, MENU_UEFI_ISCSI);
	CHECK_EQ_INT(c.menu_https, MENU_HTTPS_OFF);
	CHECK_STR(c.menu_certificate, "");
	CHECK_STR(c.menu_key, "");
	CHECK_STR(c.menu_efi64_file, ISOBOOT_DEFAULT_SNPONLY);
	CHECK_STR(c.menu_arm64_file, ISOBOOT_DEFAULT_IPXE_ARM64);
	CHECK_STR(c.menu_memdisk, ISOBOOT_DEFAULT_MEMDISK);
	CHECK_EQ_INT(c.web_keep_interrupted, 7);
	CHECK_STR(c.chap_user, "");
	CHECK_STR(c.chap_secret, "");
	CHECK_STR(c.chap_mutual_user, "");
	CHECK_STR(c.chap_mutual_secret, "");
	CHECK_EQ_INT(c.n_proxydhcp_interfaces, 0);
	CHECK_EQ_INT(c.n_proxydhcp_subnets, 0);
	CHECK_STR(c.proxydhcp_bios_boot, "pxelinux.0");
	CHECK_STR(c.proxydhcp_efi64_boot, "snponly.efi");
	CHECK_STR(c.proxydhcp_efi32_boot, "");
	CHECK_STR(c.proxydhcp_arm64_boot, "ipxe-arm64.efi");
	/* Defaults pass the cross-key checks. */
	CHECK_EQ_INT(config_check(&c, "defaults"), 0);
	char *p = config_catalog_path(&c);
	CHECK_STR(p, "/var/lib/isoboot/catalog");
	free(p);
	config_finish(&c);
}

static void test_full_file(void)
{
	struct isoboot_config c;
	const char *text = "# comment\n"
			   "[paths]\n"
			   "iso_dir = /srv/iso\n"
			   "state_dir=/srv/state\n"
			   "\n"
			   "[server]\n"
			   "address = 192.0.2.1\n"
			   "[iscsi]\n"
			   "iqn_prefix = iqn.2024-12.com.example.lab\n"
			   "device_type = disk\n"
			   "chap_user = lab\n"
			   "chap_secret = twelve-chars-at-least\n"
			   "chap_mutual_user = isoboot\n"
			   "chap_mutual_secret = another-secret-here\n"
			   "[menu]\n"
			   "title = Lab boot menu\n"
			   "default = debian-12\n"
			   "timeout = 0\n"
			   "uefi_boot = http\n"
			   "memdisk = /opt/syslinux/memdisk\n"
			   "https = require\n"
			   "certificate = /etc/isoboot/menu.pem\n"
			   "key = /etc/isoboot/menu.key\n"
			   "efi64_file = /opt/ipxe/ipxe.efi\n"
			   "arm64_file =\n"
			   "[web]\n"
			   "session_timeout = 480\n"
			   "keep_interrupted = 0\n";

	config_init(&c);
	CHECK_EQ_INT(config_load_string(&c, "t.conf", text), 0);
	CHECK_STR(c.iso_dir, "/srv/iso");
	CHECK_STR(c.state_dir, "/srv/state");
	CHECK_STR(c.server_address, "192.0.2.1");
	CHECK_STR(c.iqn_prefix, "iqn.2024-12.com.example.lab");
	CHECK_EQ_INT(c.device_type, ISCSI_DEVICE_DISK);
	CHECK_STR(c.chap_user, "lab");
	CHECK_STR(c.chap_secret, "twelve-chars-at-least");
	CHECK_STR(c.chap_mutual_user, "isoboot");
	CHECK_STR(c.chap_mutual_secret, "another-secret-here");
	CHECK_STR(c.menu_title, "Lab boot menu");
	CHECK_STR(c.menu_default, "debian-12");
	CHECK_EQ_INT(c.menu_timeout, 0);
	CHECK_EQ_INT(c.menu_uefi_boot, MENU_UEFI_HTTP);
	CHECK_STR(c.menu_memdisk, "/opt/syslinux/memdisk");
	CHECK_EQ_INT(c.menu_https, MENU_HTTPS_REQUIRE);
	CHECK_STR(c.menu_certificate, "/etc/isoboot/menu.pem");
	CHECK_STR(c.menu_key, "/etc/isoboot/menu.key");
	CHECK_STR(c.menu_efi64_file, "/opt/ipxe/ipxe.efi");
	CHECK_STR(c.menu_arm64_file, "");
	CHECK_EQ_INT(c.web_session_timeout, 480);
	CHECK_EQ_INT(c.web_keep_interrupted, 0);
	config_finish(&c);
}

/* Each bad input must fail with a file:line: message naming the line. */
static void expect_error(const char *text, const char *needle)
{
	struct isoboot_config c;
	struct capture cap;

	config_init(&c);
	capture_begin(&cap);
	int r = config_load_string(&c, "bad.conf", text);
	const char *out = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	if (!strstr(out, needle)) {
		printf("#   expected '%s' in: %s\n", needle, out);
		tap_case_failed = 1;
	}
	config_finish(&c);
}

static void test_errors(void)
{
	expect_error("[paths]\nfoo = 1\n", "bad.conf:2: unknown key 'foo' in section [paths]");
	expect_error("[nope]\nx = 1\n", "bad.conf:2: unknown section [nope]");
	expect_error("x = 1\n", "bad.conf:1: key 'x' outside of a [section]");
	expect_error("[menu]\n\n\ntimeout = abc\n", "bad.conf:4: timeout must be");
	expect_error("[menu]\ntimeout = 3601\n", "bad.conf:2: timeout must be");
	expect_error("[menu]\ntimeout = -1\n", "bad.conf:2: timeout must be");
	expect_error("[paths]\niso_dir = relative/path\n",
		     "bad.conf:2: iso_dir must be an absolute");
	expect_error("[iscsi]\niqn_prefix = iqn.2024-13.com.x\n", "bad.conf:2: iqn_prefix");
	expect_error("[iscsi]\niqn_prefix = iqn.2024-01.Com.Example\n", "bad.conf:2: iqn_prefix");
	expect_error("[iscsi]\niqn_prefix = iqn.2024-01.com.x:y\n", "bad.conf:2: iqn_prefix");
	expect_error("[iscsi]\ndevice_type = tape\n", "bad.conf:2: device_type");
	expect_error("[server]\naddress = not an address\n", "bad.conf:2: address must be");
	expect_error("[menu]\ntitle = a\x01 b\n", "bad.conf:2: title must be");
	expect_error("[menu]\nthis line has no equals sign\n", "bad.conf:2: syntax error");
	expect_error("[menu]\nuefi_boot = tftp\n", "bad.conf:2: uefi_boot must be");
	expect_error("[menu]\n\nhttps = yes\n", "bad.conf:3: https must be");
	expect_error("[menu]\ncertificate = menu.pem\n", "bad.conf:2: certificate");
	expect_error("[menu]\nmemdisk = memdisk\n", "bad.conf:2: memdisk must be an absolute");
	expect_error("[web]\nkeep_interrupted = 3651\n",
		     "bad.conf:2: keep_interrupted must be a whole number from 0 to 3650 days");
	expect_error("[web]\nkeep_interrupted = -1\n",
		     "bad.conf:2: keep_interrupted must be a whole number from 0 to 3650 days");
	expect_error("[web]\nsession_timeout = 0\n",
		     "bad.conf:2: session_timeout must be a whole number from 1 to");
	/* A line longer than inih's buffer is one error, and its tail is not parsed as a key. */
	char longline[600];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "[menu]\ntitle = ", 15);
	memcpy(longline + 300, "\ntimeout=5", 10);
	longline[sizeof(longline) - 1] = '\0';
	expect_error(longline, "bad.conf:2: line longer than");
	expect_error("[iscsi]\nchap_secret = short\n", "bad.conf:2: chap_secret must be 12 to 255");
	expect_error("[iscsi]\nchap_user = a b\n", "bad.conf:2: chap_user must be printable");
	expect_error("[iscsi]\nchap_user = alice\n",
		     "bad.conf: chap_user and chap_secret go together");
	expect_error("[iscsi]\nchap_mutual_user = t\nchap_mutual_secret = 0123456789ab\n",
		     "bad.conf: mutual CHAP needs chap_user and chap_secret too");
	expect_error("[iscsi]\nchap_user = a\nchap_secret = 0123456789ab\nchap_mutual_user = t\n"
		     "chap_mutual_secret = 0123456789ab\n",
		     "bad.conf: chap_secret and chap_mutual_secret must differ");
	/* Errors on several lines are all reported. */
	expect_error("[menu]\nfoo = 1\nbar = 2\n", "bad.conf:3: unknown key 'bar'");
}

static void test_proxydhcp(void)
{
	struct isoboot_config c;
	const char *text = "[proxydhcp]\n"
			   "interfaces = eth0, br-lab\tvlan.12\n"
			   "subnets = 192.0.2.0/24,198.51.100.128/25 203.0.113.7 0.0.0.0/0\n"
			   "bios_boot = undionly.kpxe\n"
			   "efi64_boot = ipxe.efi\n"
			   "efi32_boot = i386/snponly.efi\n"
			   "arm64_boot = arm64/snponly.efi\n";

	config_init(&c);
	CHECK_EQ_INT(config_load_string(&c, "t.conf", text), 0);
	CHECK_EQ_INT(c.n_proxydhcp_interfaces, 3);
	CHECK_STR(c.proxydhcp_interfaces[0], "eth0");
	CHECK_STR(c.proxydhcp_interfaces[1], "br-lab");
	CHECK_STR(c.proxydhcp_interfaces[2], "vlan.12");
	CHECK_EQ_INT(c.n_proxydhcp_subnets, 4);
	CHECK_EQ_INT(c.proxydhcp_subnets[0].network, 0xc0000200u);
	CHECK_EQ_INT(c.proxydhcp_subnets[0].mask, 0xffffff00u);
	CHECK_EQ_INT(c.proxydhcp_subnets[1].prefix, 25);
	CHECK(config_subnet_contains(&c.proxydhcp_subnets[1], 0xc63364ffu));
	CHECK(!config_subnet_contains(&c.proxydhcp_subnets[1], 0xc633647fu));
	CHECK_EQ_INT(c.proxydhcp_subnets[2].mask, 0xffffffffu);
	CHECK(config_subnet_contains(&c.proxydhcp_subnets[2], 0xcb007107u));
	CHECK(!config_subnet_contains(&c.proxydhcp_subnets[2], 0xcb007108u));
	CHECK_EQ_INT(c.proxydhcp_subnets[3].mask, 0);
	CHECK(config_subnet_contains(&c.proxydhcp_subnets[3], 0x01020304u));
	CHECK_STR(c.proxydhcp_bios_boot, "undionly.kpxe");
	CHECK_STR(c.proxydhcp_efi64_boot, "ipxe.efi");
	CHECK_STR(c.proxydhcp_efi32_boot, "i386/snponly.efi");
	CHECK_STR(c.proxydhcp_arm64_boot, "arm64/snponly.efi");
	/* A later line replaces a list; an empty value empties it, and a boot file. */
	CHECK_EQ_INT(config_load_string(&c, "t.conf",
					"[proxydhcp]\ninterfaces = eth9\nsubnets =\nbios_boot =\n"
					"arm64_boot =\n"),
		     0);
	CHECK_EQ_INT(c.n_proxydhcp_interfaces, 1);
	CHECK_STR(c.proxydhcp_interfaces[0], "eth9");
	CHECK_EQ_INT(c.n_proxydhcp_subnets, 0);
	CHECK_STR(c.proxydhcp_bios_boot, "");
	CHECK_STR(c.proxydhcp_arm64_boot, "");
	config_finish(&c);

	expect_error("[proxydhcp]\nsubnets = 192.0.2.1/24\n",
		     "bad.conf:2: subnets: '192.0.2.1/24' has host bits set, the network is "
		     "192.0.2.0/24");
	expect_error("[proxydhcp]\nsubnets = 192.0.2.0/33\n",
		     "bad.conf:2: subnets: '192.0.2.0/33' is not an IPv4 network");
	expect_error("[proxydhcp]\nsubnets = 2001:db8::/32\n", "is not an IPv4 network");
	expect_error("[proxydhcp]\nsubnets = 192.0.2.0/\n", "is not an IPv4 network");
	expect_error("[proxydhcp]\nsubnets = lab\n", "is not an IPv4 network");
	expect_error("[proxydhcp]\ninterfaces = averyveryverylongname\n",
		     "bad.conf:2: interfaces: 'averyveryverylongname' is not an interface name");
	expect_error("[proxydhcp]\ninterfaces = eth0 a/b\n", "'a/b' is not an interface name");
	expect_error("[proxydhcp]\ninterfaces = ..\n", "'..' is not an interface name");
	expect_error("[proxydhcp]\ninterfaces = e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 e10 e11 e12 e13 e14 "
		     "e15 e16\n",
		     "bad.conf:2: interfaces: more than 16 interfaces");
	expect_error("[proxydhcp]\nbios_boot = pxe linux.0\n",
		     "bad.conf:2: bios_boot must be a file name");
	char longfile[200];
	memset(longfile, 'f', sizeof(longfile));
	memcpy(longfile, "[proxydhcp]\nefi64_boot = ", 25);
	longfile[sizeof(longfile) - 1] = '\0';
	expect_error(longfile, "bad.conf:2: efi64_boot must be a file name of at most 127 bytes");
	expect_error("[proxydhcp]\nboot = x\n",
		     "bad.conf:2: unknown key 'boot' in section [proxydhcp]");
}

static void test_files(void)
{
	struct isoboot_config c;
	struct capture cap;
	char *dir = make_tmpdir();
	char path[256];

	snprintf(path, sizeof(path), "%s/isoboot.conf", dir);
	/* Missing: an error only when the file was asked for explicitly. */
	capture_begin(&cap);
	CHECK_EQ_INT(config_load_default(&c, path, false), 0);
	capture_end(&cap);
	config_finish(&c);
	capture_begin(&cap);
	CHECK(config_load_default(&c, path, true) < 0);
	CHECK(strstr(capture_end(&cap), "cannot read the configuration file") != NULL);
	config_finish(&c);

	/* A directory is unreadable as a file. */
	capture_begin(&cap);
	CHECK(config_load_default(&c, dir, true) < 0);
	const char *out = capture_end(&cap);
	CHECK(strstr(out, dir) != NULL);
	config_finish(&c);

	write_text(path, "[menu]\ntitle = From a file\n[paths]\nwhat = 1\n");
	capture_begin(&cap);
	CHECK(config_load_default(&c, path, true) < 0);
	out = capture_end(&cap);
	char needle[300];
	snprintf(needle, sizeof(needle), "%s:4: unknown key 'what'", path);
	CHECK(strstr(out, needle) != NULL);
	config_finish(&c);

	write_text(path, "[menu]\ntitle = From a file\n");
	CHECK_EQ_INT(config_load_default(&c, path, true), 0);
	CHECK_STR(c.menu_title, "From a file");
	config_finish(&c);
	rm_rf(dir);
	free(dir);
}

static void test_iqn(void)
{
	CHECK(iqn_valid("iqn.2025-01.org.isoboot"));
	CHECK(iqn_valid("iqn.2025-01.org.isoboot:memtest-0123456789ab"));
	CHECK(!iqn_valid("iqn.2025-1.org.isoboot"));
	CHECK(!iqn_valid("iqn.2025-00.org.isoboot"));
	CHECK(!iqn_valid("eui.0123456789abcdef"));
	CHECK(!iqn_valid("iqn.2025-01.org.iso boot"));
	CHECK(!iqn_valid("iqn.2025-01."));
	char big[300];
	memset(big, 'a', sizeof(big));
	memcpy(big, "iqn.2025-01.", 12);
	big[sizeof(big) - 1] = '\0';
	CHECK(!iqn_valid(big));
}

int main(void)
{
	log_init("test", LOG_TARGET_STDERR);
	RUN(test_defaults);
	RUN(test_full_file);
	RUN(test_errors);
	RUN(test_proxydhcp);
	RUN(test_files);
	RUN(test_iqn);
	return tap_done();
}
