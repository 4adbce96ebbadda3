/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <ini.h>
#include <inttypes.h>
#include <stdarg.h>

#include "log.h"
#include "util.h"

#define TITLE_MAX 128
/* An IQN may have 223 bytes (RFC 3720 3.2.6.1); keep room for ":" and an ISO id of up to 53. */
#define IQN_PREFIX_MAX 160

struct parse_state {
	struct isoboot_config *cfg;
	const char *name;
	unsigned line;
	unsigned errors;
	/* For ini_parse_stream() over a string. */
	struct ini_text text;
	FILE *file;
};

int config_init(struct isoboot_config *c)
{
	*c = (struct isoboot_config){
	    .iso_dir = strdup("/var/lib/isoboot/iso"),
	    .state_dir = strdup("/var/lib/isoboot"),
	    .server_address = strdup(""),
	    .iqn_prefix = strdup("iqn.2025-01.org.isoboot"),
	    .device_type = ISCSI_DEVICE_CDROM,
	    .menu_title = strdup("isoboot"),
	    .menu_default = strdup(""),
	    .menu_timeout = 10,
	    /* As isoboot-iscsi.socket: MaxConnections=512, MaxConnectionsPerSource=16. */
	    .iscsi_login_timeout = 30,
	    .iscsi_max_connections = 512,
	    .iscsi_max_per_source = 16,
	    .menu_uefi_boot = MENU_UEFI_ISCSI,
	    .menu_memdisk = strdup(ISOBOOT_DEFAULT_MEMDISK),
	    .menu_https = MENU_HTTPS_OFF,
	    .menu_efi64_file = strdup(ISOBOOT_DEFAULT_SNPONLY),
	    .menu_arm64_file = strdup(ISOBOOT_DEFAULT_IPXE_ARM64),
	    .menu_certificate = strdup(""),
	    .menu_key = strdup(""),
	    .chap_user = strdup(""),
	    .chap_secret = strdup(""),
	    .chap_mutual_user = strdup(""),
	    .chap_mutual_secret = strdup(""),
	    .proxydhcp_bios_boot = strdup("pxelinux.0"),
	    .proxydhcp_efi64_boot = strdup("snponly.efi"),
	    .proxydhcp_efi32_boot = strdup(""),
	    .proxydhcp_arm64_boot = strdup("ipxe-arm64.efi"),
	    .web_users = strdup(ISOBOOT_DEFAULT_USERS),
	    .web_certificate = strdup(""),
	    .web_key = strdup(""),
	    .web_assets = strdup(ISOBOOT_WEB_ASSETS),
	    .web_session_timeout = 60,
	    .web_keep_interrupted = 7,
	};
	if (!c->iso_dir || !c->state_dir || !c->menu_certificate || !c->menu_key ||
	    !c->menu_efi64_file || !c->menu_arm64_file || !c->server_address || !c->iqn_prefix ||
	    !c->menu_title || !c->menu_default || !c->menu_memdisk || !c->chap_user ||
	    !c->chap_secret || !c->chap_mutual_user || !c->chap_mutual_secret ||
	    !c->proxydhcp_bios_boot || !c->proxydhcp_efi64_boot || !c->proxydhcp_efi32_boot ||
	    !c->proxydhcp_arm64_boot || !c->web_users || !c->web_certificate || !c->web_key ||
	    !c->web_assets) {
		config_finish(c);
		return -ENOMEM;
	}
	return 0;
}

void config_finish(struct isoboot_config *c)
{
	free(c->iso_dir);
	free(c->state_dir);
	free(c->server_address);
	free(c->iqn_prefix);
	free(c->menu_title);
	free(c->menu_default);
	free(c->menu_memdisk);
	free(c->chap_user);
	free(c->chap_secret);
	free(c->chap_mutual_user);
	free(c->chap_mutual_secret);
	free(c->proxydhcp_bios_boot);
	free(c->proxydhcp_efi64_boot);
	free(c->proxydhcp_efi32_boot);
	free(c->proxydhcp_arm64_boot);
	free(c->menu_certificate);
	free(c->menu_efi64_file);
	free(c->menu_arm64_file);
	free(c->menu_key);
	free(c->web_users);
	free(c->web_certificate);
	free(c->web_key);
	free(c->web_assets);
	*c = (struct isoboot_config){0};
}

char *config_catalog_path(const struct isoboot_config *c)
{
	char *p;

	if (asprintf(&p, "%s/catalog", c->state_dir) < 0)
		return NULL;
	return p;
}

static bool is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* iqn.yyyy-mm.reversed.domain[:anything] with the character set RFC 3722 stringprep leaves. */
bool iqn_valid(const char *iqn)
{
	size_t len = strlen(iqn);

	if (len < 12 || len > 223 || strncmp(iqn, "iqn.", 4) != 0)
		return false;
	for (int i = 4; i < 8; i++)
		if (iqn[i] < '0' || iqn[i] > '9')
			return false;
	if (iqn[8] != '-' || iqn[9] < '0' || iqn[9] > '1' || iqn[10] < '0' || iqn[10] > '9')
		return false;
	int month = (iqn[9] - '0') * 10 + (iqn[10] - '0');
	if (month < 1 || month > 12 || iqn[11] != '.')
		return false;
	if (!is_lower_alnum(iqn[12]))
		return false;
	for (const char *p = iqn + 12; *p; p++)
		if (!is_lower_alnum(*p) && *p != '.' && *p != '-' && *p != ':')
			return false;
	return true;
}

static bool address_valid(const char *a)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, a, buf) == 1 || inet_pton(AF_INET6, a, buf) == 1)
		return true;
	/* A DNS name (RFC 1123 host name). */
	size_t len = strlen(a), label = 0;
	if (len == 0 || len > 253)
		return false;
	for (const char *p = a; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || (*p == '-' && label > 0);
		if (!ok || ++label > 63)
			return false;
	}
	return a[len - 1] != '-';
}

static bool text_valid(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len > max)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int set_string(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

bool config_subnet_contains(const struct config_subnet *s, uint32_t addr)
{
	return (addr & s->mask) == s->network;
}

/* Interface names as the kernel accepts them (dev_valid_name). */
static bool ifname_valid(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len >= CONFIG_IFNAME_MAX || streq(n, ".") || streq(n, ".."))
		return false;
	for (const char *p = n; *p; p++)
		if (*p == '/' || *p == ':' || (unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* "A.B.C.D/N", or a bare address for /32. -EINVAL, or -EDOM when host bits are set. */
static int subnet_parse(const char *s, struct config_subnet *out)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct in_addr a;
	uint64_t prefix = 32;

	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return -EINVAL;
	if (slash && parse_u64(slash + 1, 0, 32, &prefix) < 0)
		return -EINVAL;
	out->prefix = (unsigned)prefix;
	out->mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
	out->network = ntohl(a.s_addr);
	if (out->network & ~out->mask)
		return -EDOM;
	return 0;
}

_printf_(2, 3) static void syntax_error(struct parse_state *st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->errors++;
	log_full(LOG_ERR, 0, MSGID_CONFIG_ERROR,
		 (const struct log_field[]){{"ISOBOOT_CONFIG", st->name}, {NULL, NULL}},
		 "%s:%u: %s", st->name, st->line, msg);
}

/* Splits a list of words separated by spaces, tabs or commas; calls fn on each. */
static int for_each_word(struct parse_state *st, const char *key, const char *value,
			 int (*fn)(struct parse_state *st, const char *key, const char *word))
{
	const char *p = value;

	while (*p) {
		char word[64];
		size_t n = strcspn(p, " \t,");

		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof(word)) {
			syntax_error(st, "%s: '%.*s' is too long", key, (int)n, p);
			return -EINVAL;
		}
		memcpy(word, p, n);
		word[n] = '\0';
		int r = fn(st, key, word);
		if (r < 0)
			return r;
		p += n;
	}
	return 0;
}

static int add_interface(struct parse_state *st, const char *key, const char *word)
{
	struct isoboot_config *c = st->cfg;

	if (!ifname_valid(word)) {
		syntax_error(st, "%s: '%s' is not an interface name", key, word);
		return -EINVAL;
	}
	if (c->n_proxydhcp_interfaces >= CONFIG_PROXYDHCP_MAX_INTERFACES) {
		syntax_error(st, "%s: more than %d interfaces", key,
			     CONFIG_PROXYDHCP_MAX_INTERFACES);
		return -EINVAL;
	}
	snprintf(c->proxydhcp_interfaces[c->n_proxydhcp_interfaces++], CONFIG_IFNAME_MAX, "%s",
		 word);
	return 0;
}

static int add_subnet(struct parse_state *st, const char *key, const char *word)
{
	struct isoboot_config *c = st->cfg;
	struct config_subnet sn;
	int r = subnet_parse(word, &sn);

	if (r == -EDOM) {
		struct in_addr a = {.s_addr = htonl(sn.network & sn.mask)};
		char net[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &a, net, sizeof(net));
		syntax_error(st, "%s: '%s' has host bits set, the network is %s/%u", key, word, net,
			     sn.prefix);
		return -EINVAL;
	}
	if (r < 0) {
		syntax_error(st, "%s: '%s' is not an IPv4 network such as 192.0.2.0/24", key, word);
		return -EINVAL;
	}
	if (c->n_proxydhcp_subnets >= CONFIG_PROXYDHCP_MAX_SUBNETS) {
		syntax_error(st, "%s: more than %d subnets", key, CONFIG_PROXYDHCP_MAX_SUBNETS);
		return -EINVAL;
	}
	c->proxydhcp_subnets[c->n_proxydhcp_subnets++] = sn;
	return 0;
}

/* A boot file name as a TFTP client asks for it: printable, no spaces, fits the BOOTP field. */
static bool boot_file_valid(const char *s)
{
	if (strlen(s) > CONFIG_BOOT_FILE_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}

/*
 * The keys, one row each: section, key, the parser of its value and where it goes. A parser
 * reports a bad value itself (syntax_error, "KEY must be ...") and returns 0; only -ENOMEM stops
 * the parse.
 */
struct config_item;
typedef int (*config_parser)(struct parse_state *st, const struct config_item *it,
			     const char *value);

struct config_item {
	const char *section, *key;
	config_parser parse;
	size_t offset;		  /* of the field in struct isoboot_config */
	uint64_t min, max;	  /* numbers: the range; text: at most max bytes */
	const char *unit;	  /* numbers: said after the range ("seconds") */
	const char *const *words; /* word lists: the words, the value is the index */
};

#define FIELD(f) offsetof(struct isoboot_config, f)

static void *field(struct parse_state *st, const struct config_item *it)
{
	return (char *)st->cfg + it->offset;
}

static int parse_path(struct parse_state *st, const struct config_item *it, const char *value)
{
	if (value[0] != '/' || strlen(value) > 1024) {
		syntax_error(st, "%s must be an absolute path, got '%s'", it->key, value);
		return 0;
	}
	return set_string(field(st, it), value);
}

static int parse_path_or_empty(struct parse_state *st, const struct config_item *it,
			       const char *value)
{
	if ((value[0] != '/' && *value) || strlen(value) > 1024) {
		syntax_error(st, "%s must be an absolute path or empty, got '%s'", it->key, value);
		return 0;
	}
	return set_string(field(st, it), value);
}

static int parse_address(struct parse_state *st, const struct config_item *it, const char *value)
{
	if (*value && !address_valid(value)) {
		syntax_error(st, "%s must be empty, an IP address or a host name, got '%s'",
			     it->key, value);
		return 0;
	}
	return set_string(field(st, it), value);
}

static int parse_iqn_prefix(struct parse_state *st, const struct config_item *it, const char *value)
{
	if (!iqn_valid(value) || strlen(value) > IQN_PREFIX_MAX || strchr(value, ':')) {
		syntax_error(st,
			     "%s must look like iqn.YYYY-MM.reversed.domain (lower case, no ':', "
			     "at most %d characters), got '%s'",
			     it->key, IQN_PREFIX_MAX, value);
		return 0;
	}
	return set_string(field(st, it), value);
}

/* Printable text of at most max bytes. */
static int parse_text(struct parse_state *st, const struct config_item *it, const char *value)
{
	if (!text_valid(value, (size_t)it->max)) {
		syntax_error(st, "%s must be printable text of at most %" PRIu64 " bytes", it->key,
			     it->max);
		return 0;
	}
	return set_string(field(st, it), value);
}

/* A CHAP name: printable, no spaces. */
static int parse_chap_name(struct parse_state *st, const struct config_item *it, const char *value)
{
	if (!text_valid(value, CONFIG_CHAP_MAX) || strchr(value, ' ')) {
		syntax_error(st, "%s must be printable text without spaces, at most %d bytes",
			     it->key, CONFIG_CHAP_MAX);
		return 0;
	}
	return set_string(field(st, it), value);
}

/* A CHAP secret: empty (none), or long enough (RFC 7143 allows short ones; libiscsi does not). */
static int parse_chap_secret(struct parse_state *st, const struct config_item *it,
			     const char *value)
{
	size_t l = strlen(value);

	if (!text_valid(value, CONFIG_CHAP_MAX) || (l > 0 && l < CONFIG_CHAP_SECRET_MIN)) {
		syntax_error(st, "%s must be %d to %d printable characters", it->key,
			     CONFIG_CHAP_SECRET_MIN, CONFIG_CHAP_MAX);
		return 0;
	}
	return set_string(field(st, it), value);
}

static int parse_unsigned(struct parse_state *st, const struct config_item *it, const char *value)
{
	uint64_t u;

	if (parse_u64(value, it->min, it->max, &u) < 0) {
		syntax_error(
		    st, "%s must be a whole number from %" PRIu64 " to %" PRIu64 "%s%s, got '%s'",
		    it->key, it->min, it->max, it->unit ? " " : "", it->unit ? it->unit : "",
		    value);
		return 0;
	}
	*(unsigned *)field(st, it) = (unsigned)u;
	return 0;
}

/* One of it->words; the field (an enum) gets its index. */
static int parse_word(struct parse_state *st, const struct config_item *it, const char *value)
{
	char list[128] = "";
	size_t n = 0;

	for (size_t i = 0; it->words[i]; i++, n++)
		if (streq(value, it->words[i])) {
			*(int *)field(st, it) = (int)i;
			return 0;
		}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof(list) - l, "%s'%s'",
			 i == 0	      ? ""
			 : i + 1 == n ? " or "
				      : ", ",
			 it->words[i]);
	}
	syntax_error(st, "%s must be %s, got '%s'", it->key, list, value);
	return 0;
}

/* A boot file name as a TFTP client asks for it: printable, no spaces, fits the BOOTP field. */
static int parse_boot_file(struct parse_state *st, const struct config_item *it, const char *value)
{
	if (!boot_file_valid(value)) {
		syntax_error(st, "%s must be a file name of at most %d bytes without spaces",
			     it->key, CONFIG_BOOT_FILE_MAX);
		return 0;
	}
	return set_string(field(st, it), value);
}

/* A later line replaces the list; a bad word leaves it empty, and is an error. */
static int parse_interfaces(struct parse_state *st, const struct config_item *it, const char *value)
{
	st->cfg->n_proxydhcp_interfaces = 0;
	if (for_each_word(st, it->key, value, add_interface) < 0)
		st->cfg->n_proxydhcp_interfaces = 0;
	return 0;
}

static int parse_subnets(struct parse_state *st, const struct config_item *it, const char *value)
{
	st->cfg->n_proxydhcp_subnets = 0;
	if (for_each_word(st, it->key, value, add_subnet) < 0)
		st->cfg->n_proxydhcp_subnets = 0;
	return 0;
}

static const char *const device_types[] = {
    [ISCSI_DEVICE_CDROM] = "cdrom",
    [ISCSI_DEVICE_DISK] = "disk",
    NULL,
};
static const char *const uefi_boots[] = {
    [MENU_UEFI_ISCSI] = "iscsi",
    [MENU_UEFI_HTTP] = "http",
    NULL,
};
_Static_assert(sizeof(enum iscsi_device_type) == sizeof(int), "enum fields are ints");
static const char *const https_modes[] = {
    [MENU_HTTPS_OFF] = "off",
    [MENU_HTTPS_PREFER] = "prefer",
    [MENU_HTTPS_REQUIRE] = "require",
    NULL,
};
_Static_assert(sizeof(enum menu_uefi_boot) == sizeof(int), "enum fields are ints");
_Static_assert(sizeof(enum menu_https) == sizeof(int), "enum fields are ints");

static const struct config_item config_items[] = {
    {.section = "paths", .key = "iso_dir", .parse = parse_path, .offset = FIELD(iso_dir)},
    {.section = "paths", .key = "state_dir", .parse = parse_path, .offset = FIELD(state_dir)},
    {.section = "server",
     .key = "address",
     .parse = parse_address,
     .offset = FIELD(server_address)},
    {.section = "iscsi",
     .key = "iqn_prefix",
     .parse = parse_iqn_prefix,
     .offset = FIELD(iqn_prefix)},
    {.section = "iscsi",
     .key = "device_type",
     .parse = parse_word,
     .offset = FIELD(device_type),
     .words = device_types},
    {.section = "iscsi", .key = "chap_user", .parse = parse_chap_name, .offset = FIELD(chap_user)},
    {.section = "iscsi",
     .key = "chap_secret",
     .parse = parse_chap_secret,
     .offset = FIELD(chap_secret)},
    {.section = "iscsi",
     .key = "chap_mutual_user",
     .parse = parse_chap_name,
     .offset = FIELD(chap_mutual_user)},
    {.section = "iscsi",
     .key = "chap_mutual_secret",
     .parse = parse_chap_secret,
     .offset = FIELD(chap_mutual_secret)},
    {.section = "iscsi",
     .key = "login_timeout",
     .parse = parse_unsigned,
     .offset = FIELD(iscsi_login_timeout),
     .min = 1,
     .max = CONFIG_ISCSI_LOGIN_TIMEOUT_MAX,
     .unit = "seconds"},
    {.section = "iscsi",
     .key = "max_connections",
     .parse = parse_unsigned,
     .offset = FIELD(iscsi_max_connections),
     .min = 1,
     .max = CONFIG_ISCSI_MAX_CONNECTIONS},
    {.section = "iscsi",
     .key = "max_connections_per_source",
     .parse = parse_unsigned,
     .offset = FIELD(iscsi_max_per_source),
     .min = 1,
     .max = CONFIG_ISCSI_MAX_CONNECTIONS},
    {.section = "menu",
     .key = "title",
     .parse = parse_text,
     .offset = FIELD(menu_title),
     .max = TITLE_MAX},
    {.section = "menu",
     .key = "default",
     .parse = parse_text,
     .offset = FIELD(menu_default),
     .max = 255},
    {.section = "menu",
     .key = "timeout",
     .parse = parse_unsigned,
     .offset = FIELD(menu_timeout),
     .min = 0,
     .max = CONFIG_MENU_TIMEOUT_MAX,
     .unit = "seconds"},
    {.section = "menu",
     .key = "uefi_boot",
     .parse = parse_word,
     .offset = FIELD(menu_uefi_boot),
     .words = uefi_boots},
    {.section = "menu", .key = "memdisk", .parse = parse_path, .offset = FIELD(menu_memdisk)},
    {.section = "menu",
     .key = "https",
     .parse = parse_word,
     .offset = FIELD(menu_https),
     .words = https_modes},
    {.section = "menu",
     .key = "certificate",
     .parse = parse_path_or_empty,
     .offset = FIELD(menu_certificate)},
    {.section = "menu", .key = "key", .parse = parse_path_or_empty, .offset = FIELD(menu_key)},
    {.section = "menu",
     .key = "efi64_file",
     .parse = parse_path_or_empty,
     .offset = FIELD(menu_efi64_file)},
    {.section = "menu",
     .key = "arm64_file",
     .parse = parse_path_or_empty,
     .offset = FIELD(menu_arm64_file)},
    {.section = "proxydhcp", .key = "interfaces", .parse = parse_interfaces},
    {.section = "proxydhcp", .key = "subnets", .parse = parse_subnets},
    {.section = "proxydhcp",
     .key = "bios_boot",
     .parse = parse_boot_file,
     .offset = FIELD(proxydhcp_bios_boot)},
    {.section = "proxydhcp",
     .key = "efi64_boot",
     .parse = parse_boot_file,
     .offset = FIELD(proxydhcp_efi64_boot)},
    {.section = "proxydhcp",
     .key = "efi32_boot",
     .parse = parse_boot_file,
     .offset = FIELD(proxydhcp_efi32_boot)},
    {.section = "proxydhcp",
     .key = "arm64_boot",
     .parse = parse_boot_file,
     .offset = FIELD(proxydhcp_arm64_boot)},
    {.section = "web", .key = "users", .parse = parse_path, .offset = FIELD(web_users)},
    {.section = "web",
     .key = "certificate",
     .parse = parse_path_or_empty,
     .offset = FIELD(web_certificate)},
    {.section = "web", .key = "key", .parse = parse_path_or_empty, .offset = FIELD(web_key)},
    {.section = "web", .key = "assets", .parse = parse_path, .offset = FIELD(web_assets)},
    {.section = "web",
     .key = "session_timeout",
     .parse = parse_unsigned,
     .offset = FIELD(web_session_timeout),
     .min = 1,
     .max = CONFIG_WEB_SESSION_TIMEOUT_MAX,
     .unit = "minutes"},
    {.section = "web",
     .key = "keep_interrupted",
     .parse = parse_unsigned,
     .offset = FIELD(web_keep_interrupted),
     .min = 0,
     .max = CONFIG_WEB_KEEP_INTERRUPTED_MAX,
     .unit = "days"},
};

static int handle_key(struct parse_state *st, const char *section, const char *key,
		      const char *value)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_items); i++) {
		const struct config_item *it = &config_items[i];
		if (streq(section, it->section) && streq(key, it->key))
			return it->parse(st, it, value);
	}
	if (!*section)
		syntax_error(st, "key '%s' outside of a [section]", key);
	else
		syntax_error(st, "unknown key '%s' in section [%s]", key, section);
	return 0;
}

static int handle_ini_line(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *st = user;

	/* inih also calls us for a bare section header (key == NULL) when
	 * INI_CALL_HANDLER_ON_NEW_SECTION is on; there is nothing to check for that. */
	if (!key)
		return 1;
	if (!streq(section, "paths") && !streq(section, "server") && !streq(section, "iscsi") &&
	    !streq(section, "menu") && !streq(section, "proxydhcp") && !streq(section, "web") &&
	    *section) {
		syntax_error(st, "unknown section [%s]", section);
		return 1;
	}
	int r = handle_key(st, section, key, value ? value : "");
	if (r < 0) {
		syntax_error(st, "%s", strerror(-r));
		return 0;
	}
	return 1;
}

/*
 * Our own readers, so that the handler knows the current line number. inih reads at most
 * INI_MAX_LINE bytes at a time; an overlong line is reported here and handed on as a comment so
 * that its tail is never parsed as a key of its own.
 */
static char *accept_line(struct parse_state *st, char *str, int num, bool complete)
{
	st->line++;
	if (!complete) {
		syntax_error(st, "line longer than %d bytes", num - 2);
		snprintf(str, (size_t)num, ";\n");
	}
	return str;
}

static char *reader_file(char *str, int num, void *stream)
{
	struct parse_state *st = stream;

	if (!fgets(str, num, st->file))
		return NULL;
	size_t len = strlen(str);
	bool complete = (len > 0 && str[len - 1] == '\n') || feof(st->file);
	if (!complete) {
		int ch;
		while ((ch = fgetc(st->file)) != EOF && ch != '\n')
			;
	}
	return accept_line(st, str, num, complete);
}

char *ini_text_next(struct ini_text *t, char *str, int num, bool *complete)
{
	size_t n = 0;

	if (!t->cursor || t->cursor >= t->end || !*t->cursor || num < 3)
		return NULL;
	while (t->cursor + n < t->end && t->cursor[n] && t->cursor[n] != '\n')
		n++;
	*complete = n < (size_t)num - 1;
	if (*complete) {
		memcpy(str, t->cursor, n);
		str[n] = '\0';
	} else {
		snprintf(str, (size_t)num, ";\n");
	}
	t->cursor += n;
	if (t->cursor < t->end && *t->cursor == '\n')
		t->cursor++;
	return str;
}

static char *reader_string(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	bool complete;

	if (!ini_text_next(&st->text, str, num, &complete))
		return NULL;
	return accept_line(st, str, num, complete);
}

static int run_parser(struct parse_state *st, ini_reader reader)
{
	int r = ini_parse_stream(reader, st, handle_ini_line, st);

	if (r == -2)
		return -ENOMEM;
	if (r > 0 && st->errors == 0) {
		/* A syntax error inih found itself (no '=', unterminated section). */
		st->line = (unsigned)r;
		syntax_error(st, "syntax error, expected 'key = value' or '[section]'");
	}
	return st->errors > 0 ? -EINVAL : 0;
}

int config_check(const struct isoboot_config *c, const char *path)
{
	int r = 0;

	if (str_empty(c->chap_user) != str_empty(c->chap_secret)) {
		log_error("%s: chap_user and chap_secret go together", path);
		r = -EINVAL;
	}
	if (str_empty(c->chap_mutual_user) != str_empty(c->chap_mutual_secret)) {
		log_error("%s: chap_mutual_user and chap_mutual_secret go together", path);
		r = -EINVAL;
	}
	if (!str_empty(c->chap_mutual_user) && str_empty(c->chap_user)) {
		log_error("%s: mutual CHAP needs chap_user and chap_secret too", path);
		r = -EINVAL;
	}
	if (!str_empty(c->chap_secret) && streq(c->chap_secret, c->chap_mutual_secret)) {
		log_error("%s: chap_secret and chap_mutual_secret must differ (RFC 7143 9.2.1)",
			  path);
		r = -EINVAL;
	}
	return r;
}

int config_load(struct isoboot_config *c, const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	struct parse_state st = {.cfg = c, .name = path};

	if (!f)
		return neg_errno();
	st.file = f;
	int r = run_parser(&st, reader_file);
	if (r == 0 && ferror(f))
		return -EIO;
	if (r == 0)
		r = config_check(c, path);
	return r;
}

int config_load_string(struct isoboot_config *c, const char *name, const char *text)
{
	struct parse_state st = {
	    .cfg = c, .name = name, .text = {text, text ? text + strlen(text) : NULL}};
	int r = run_parser(&st, reader_string);

	return r < 0 ? r : config_check(c, name);
}

int config_load_default(struct isoboot_config *c, const char *path, bool explicit)
{
	int r = config_init(c);

	if (r < 0)
		return log_error_errno(r, "Failed to initialise the configuration");
	r = config_load(c, path);
	if (r == -ENOENT && !explicit) {
		log_debug("%s does not exist, using built-in defaults", path);
		return 0;
	}
	if (r == -EINVAL)
		log_full(LOG_ERR, 0, MSGID_CONFIG_ERROR,
			 (const struct log_field[]){{"ISOBOOT_CONFIG", path}, {NULL, NULL}},
			 "%s: invalid configuration, see the errors above", path);
	else if (r < 0)
		log_full(LOG_ERR, r, MSGID_CONFIG_ERROR,
			 (const struct log_field[]){{"ISOBOOT_CONFIG", path}, {NULL, NULL}},
			 "%s:0: cannot read the configuration file", path);
	if (r < 0)
		config_finish(c);
	return r;
}
