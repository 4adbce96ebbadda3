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
	const char *cursor;
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
	    .chap_user = strdup(""),
	    .chap_secret = strdup(""),
	    .chap_mutual_user = strdup(""),
	    .chap_mutual_secret = strdup(""),
	    .proxydhcp_bios_boot = strdup("pxelinux.0"),
	    .proxydhcp_efi64_boot = strdup("snponly.efi"),
	    .proxydhcp_efi32_boot = strdup(""),
	    .proxydhcp_arm64_boot = strdup(""),
	    .web_users = strdup(ISOBOOT_DEFAULT_USERS),
	    .web_certificate = strdup(""),
	    .web_key = strdup(""),
	    .web_assets = strdup(ISOBOOT_WEB_ASSETS),
	    .web_session_timeout = 60,
	    .web_keep_interrupted = 7,
	};
	if (!c->iso_dir || !c->state_dir || !c->server_address || !c->iqn_prefix ||
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

static int handle_proxydhcp_key(struct parse_state *st, const char *key, const char *value)
{
	struct isoboot_config *c = st->cfg;
	char **boot = NULL;

	if (streq(key, "interfaces")) {
		/* A later line replaces the list; a bad word leaves it empty, and is an error. */
		c->n_proxydhcp_interfaces = 0;
		if (for_each_word(st, key, value, add_interface) < 0)
			c->n_proxydhcp_interfaces = 0;
		return 0;
	}
	if (streq(key, "subnets")) {
		c->n_proxydhcp_subnets = 0;
		if (for_each_word(st, key, value, add_subnet) < 0)
			c->n_proxydhcp_subnets = 0;
		return 0;
	}
	if (streq(key, "bios_boot"))
		boot = &c->proxydhcp_bios_boot;
	else if (streq(key, "efi64_boot"))
		boot = &c->proxydhcp_efi64_boot;
	else if (streq(key, "efi32_boot"))
		boot = &c->proxydhcp_efi32_boot;
	else if (streq(key, "arm64_boot"))
		boot = &c->proxydhcp_arm64_boot;
	if (!boot) {
		syntax_error(st, "unknown key '%s' in section [proxydhcp]", key);
		return 0;
	}
	if (!boot_file_valid(value)) {
		syntax_error(st, "%s must be a file name of at most %d bytes without spaces", key,
			     CONFIG_BOOT_FILE_MAX);
		return 0;
	}
	return set_string(boot, value);
}

static int handle_key(struct parse_state *st, const char *section, const char *key,
		      const char *value)
{
	struct isoboot_config *c = st->cfg;
	uint64_t u;

	if (streq(section, "paths") && (streq(key, "iso_dir") || streq(key, "state_dir"))) {
		if (value[0] != '/' || strlen(value) > 1024) {
			syntax_error(st, "%s must be an absolute path, got '%s'", key, value);
			return 0;
		}
		return set_string(streq(key, "iso_dir") ? &c->iso_dir : &c->state_dir, value);
	}
	if (streq(section, "server") && streq(key, "address")) {
		if (*value && !address_valid(value)) {
			syntax_error(
			    st, "address must be empty, an IP address or a host name, got '%s'",
			    value);
			return 0;
		}
		return set_string(&c->server_address, value);
	}
	if (streq(section, "iscsi") && streq(key, "iqn_prefix")) {
		if (!iqn_valid(value) || strlen(value) > IQN_PREFIX_MAX || strchr(value, ':')) {
			syntax_error(st,
				     "iqn_prefix must look like iqn.YYYY-MM.reversed.domain (lower "
				     "case, no ':', at most %d characters), got '%s'",
				     IQN_PREFIX_MAX, value);
			return 0;
		}
		return set_string(&c->iqn_prefix, value);
	}
	if (streq(section, "iscsi") && streq(key, "device_type")) {
		if (streq(value, "cdrom"))
			c->device_type = ISCSI_DEVICE_CDROM;
		else if (streq(value, "disk"))
			c->device_type = ISCSI_DEVICE_DISK;
		else
			syntax_error(st, "device_type must be 'cdrom' or 'disk', got '%s'", value);
		return 0;
	}
	if (streq(section, "iscsi") &&
	    (streq(key, "chap_user") || streq(key, "chap_mutual_user"))) {
		if (!text_valid(value, CONFIG_CHAP_MAX) || strchr(value, ' ')) {
			syntax_error(st,
				     "%s must be printable text without spaces, at most %d bytes",
				     key, CONFIG_CHAP_MAX);
			return 0;
		}
		return set_string(streq(key, "chap_user") ? &c->chap_user : &c->chap_mutual_user,
				  value);
	}
	if (streq(section, "iscsi") &&
	    (streq(key, "chap_secret") || streq(key, "chap_mutual_secret"))) {
		size_t l = strlen(value);
		if (!text_valid(value, CONFIG_CHAP_MAX) || (l > 0 && l < CONFIG_CHAP_SECRET_MIN)) {
			syntax_error(st, "%s must be %d to %d printable characters", key,
				     CONFIG_CHAP_SECRET_MIN, CONFIG_CHAP_MAX);
			return 0;
		}
		return set_string(
		    streq(key, "chap_secret") ? &c->chap_secret : &c->chap_mutual_secret, value);
	}
	if (streq(section, "menu") && streq(key, "title")) {
		if (!text_valid(value, TITLE_MAX)) {
			syntax_error(st, "title must be printable text of at most %d bytes",
				     TITLE_MAX);
			return 0;
		}
		return set_string(&c->menu_title, value);
	}
	if (streq(section, "menu") && streq(key, "default")) {
		if (!text_valid(value, 255)) {
			syntax_error(st, "default must be an ISO id or file name");
			return 0;
		}
		return set_string(&c->menu_default, value);
	}
	if (streq(section, "iscsi") &&
	    (streq(key, "login_timeout") || streq(key, "max_connections") ||
	     streq(key, "max_connections_per_source"))) {
		bool tmo = streq(key, "login_timeout");
		uint64_t max = tmo ? CONFIG_ISCSI_LOGIN_TIMEOUT_MAX : CONFIG_ISCSI_MAX_CONNECTIONS;
		if (parse_u64(value, 1, max, &u) < 0) {
			syntax_error(st,
				     "%s must be a whole number from 1 to %" PRIu64 ", got '%s'",
				     key, max, value);
			return 0;
		}
		*(tmo				  ? &c->iscsi_login_timeout
		  : streq(key, "max_connections") ? &c->iscsi_max_connections
						  : &c->iscsi_max_per_source) = (unsigned)u;
		return 0;
	}
	if (streq(section, "menu") && streq(key, "timeout")) {
		if (parse_u64(value, 0, CONFIG_MENU_TIMEOUT_MAX, &u) < 0) {
			syntax_error(st,
				     "timeout must be a whole number of seconds from 0 to %d, got "
				     "'%s'",
				     CONFIG_MENU_TIMEOUT_MAX, value);
			return 0;
		}
		c->menu_timeout = (unsigned)u;
		return 0;
	}
	if (streq(section, "menu") && streq(key, "uefi_boot")) {
		if (streq(value, "iscsi"))
			c->menu_uefi_boot = MENU_UEFI_ISCSI;
		else if (streq(value, "http"))
			c->menu_uefi_boot = MENU_UEFI_HTTP;
		else
			syntax_error(st, "uefi_boot must be 'iscsi' or 'http', got '%s'", value);
		return 0;
	}
	if (streq(section, "menu") && streq(key, "memdisk")) {
		if (value[0] != '/' || strlen(value) > 1024) {
			syntax_error(st, "memdisk must be an absolute path, got '%s'", value);
			return 0;
		}
		return set_string(&c->menu_memdisk, value);
	}
	if (streq(section, "proxydhcp"))
		return handle_proxydhcp_key(st, key, value);
	if (streq(section, "web") && (streq(key, "users") || streq(key, "certificate") ||
				      streq(key, "key") || streq(key, "assets"))) {
		bool may_be_empty = streq(key, "certificate") || streq(key, "key");
		if ((value[0] != '/' && !(may_be_empty && !*value)) || strlen(value) > 1024) {
			syntax_error(st, "%s must be an absolute path%s, got '%s'", key,
				     may_be_empty ? " or empty" : "", value);
			return 0;
		}
		return set_string(streq(key, "users")	      ? &c->web_users
				  : streq(key, "certificate") ? &c->web_certificate
				  : streq(key, "key")	      ? &c->web_key
							      : &c->web_assets,
				  value);
	}
	if (streq(section, "web") && streq(key, "keep_interrupted")) {
		if (parse_u64(value, 0, CONFIG_WEB_KEEP_INTERRUPTED_MAX, &u) < 0)
			syntax_error(st, "keep_interrupted must be 0 to %u days, got '%s'",
				     CONFIG_WEB_KEEP_INTERRUPTED_MAX, value);
		else
			c->web_keep_interrupted = (unsigned)u;
		return 0;
	}
	if (streq(section, "web") && streq(key, "session_timeout")) {
		if (parse_u64(value, 1, CONFIG_WEB_SESSION_TIMEOUT_MAX, &u) < 0)
			syntax_error(st, "session_timeout must be 1 to %u minutes, got '%s'",
				     CONFIG_WEB_SESSION_TIMEOUT_MAX, value);
		else
			c->web_session_timeout = (unsigned)u;
		return 0;
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

static char *reader_string(char *str, int num, void *stream)
{
	struct parse_state *st = stream;
	size_t n = 0;

	if (!st->cursor || !*st->cursor || num < 3)
		return NULL;
	while (st->cursor[n] && st->cursor[n] != '\n')
		n++;
	bool complete = n < (size_t)num - 1;
	size_t take = complete ? n : (size_t)num - 2;
	memcpy(str, st->cursor, take);
	str[take] = '\0';
	st->cursor += n;
	if (*st->cursor == '\n')
		st->cursor++;
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
	struct parse_state st = {.cfg = c, .name = name, .cursor = text};
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
