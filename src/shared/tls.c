/* SPDX-License-Identifier: MIT */
#include "tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

#define CERT_DAYS (10 * 365 + 3) /* ten years, leap days included */

static void crt_deinitp(gnutls_x509_crt_t *c)
{
	if (*c)
		gnutls_x509_crt_deinit(*c);
}

static void privkey_deinitp(gnutls_x509_privkey_t *k)
{
	if (*k)
		gnutls_x509_privkey_deinit(*k);
}

/* Zeroed first: one of them holds the private key. */
static void datum_freep(gnutls_datum_t *d)
{
	if (d->data)
		explicit_bzero(d->data, d->size);
	gnutls_free(d->data);
	d->data = NULL;
}

static void credentials_freep(gnutls_certificate_credentials_t *c)
{
	if (*c)
		gnutls_certificate_free_credentials(*c);
}

static int gnutls_to_errno(int r)
{
	return r == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO;
}

static void format_fingerprint(const unsigned char *md, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[3 * i] = hex[md[i] >> 4];
		out[3 * i + 1] = hex[md[i] & 15];
		out[3 * i + 2] = i + 1 < n ? ':' : '\0';
	}
}

/*
 * Checks what MHD will be given: every certificate of the file parses, the key parses and is the
 * one of the first certificate, and GnuTLS takes the pair as credentials. Fills in the
 * fingerprint and expiry of out.
 */
static int check_pair(const char *cert_name, const char *cert_pem, size_t cert_len,
		      const char *key_name, const char *key_pem, size_t key_len,
		      struct tls_pair *out)
{
	_cleanup_(privkey_deinitp) gnutls_x509_privkey_t key = NULL;
	_cleanup_(credentials_freep) gnutls_certificate_credentials_t cred = NULL;
	gnutls_datum_t cd = {.data = (unsigned char *)cert_pem, .size = (unsigned)cert_len};
	gnutls_datum_t kd = {.data = (unsigned char *)key_pem, .size = (unsigned)key_len};
	gnutls_x509_crt_t *list = NULL;
	unsigned n_list = 0;
	unsigned char cert_id[64], key_id[64], md[32];
	size_t cert_id_len = sizeof(cert_id), key_id_len = sizeof(key_id), md_len = sizeof(md);
	int r;

	/* MHD takes NUL-terminated strings: a NUL inside would silently cut the PEM short. */
	if (memchr(cert_pem, '\0', cert_len))
		return log_error("%s: not a PEM certificate (it holds a NUL byte)", cert_name),
		       -EINVAL;
	if (memchr(key_pem, '\0', key_len))
		return log_error("%s: not a PEM private key (it holds a NUL byte)", key_name),
		       -EINVAL;

	r = gnutls_x509_crt_list_import2(&list, &n_list, &cd, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0 || n_list == 0)
		return log_error("%s: not a PEM X.509 certificate: %s", cert_name,
				 r < 0 ? gnutls_strerror(r) : "no certificate in it"),
		       -EINVAL;
	r = gnutls_x509_crt_get_key_id(list[0], GNUTLS_KEYID_USE_SHA256, cert_id, &cert_id_len);
	if (r == 0)
		r = gnutls_x509_crt_get_fingerprint(list[0], GNUTLS_DIG_SHA256, md, &md_len);
	if (r == 0) {
		format_fingerprint(md, md_len, out->fingerprint);
		out->not_after = gnutls_x509_crt_get_expiration_time(list[0]);
		out->rsa = gnutls_x509_crt_get_pk_algorithm(list[0], NULL) == GNUTLS_PK_RSA;
	}
	for (unsigned i = 0; i < n_list; i++)
		gnutls_x509_crt_deinit(list[i]);
	gnutls_free(list);
	if (r < 0 || md_len != sizeof(md))
		return log_error("%s: cannot read the certificate's public key: %s", cert_name,
				 gnutls_strerror(r)),
		       -EINVAL;

	r = gnutls_x509_privkey_init(&key);
	if (r < 0)
		return gnutls_to_errno(r);
	r = gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0)
		return log_error("%s: not an unencrypted PEM private key: %s", key_name,
				 gnutls_strerror(r)),
		       -EINVAL;
	r = gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, key_id, &key_id_len);
	if (r < 0)
		return log_error("%s: cannot read the public part of the key: %s", key_name,
				 gnutls_strerror(r)),
		       -EINVAL;
	if (key_id_len != cert_id_len || memcmp(key_id, cert_id, key_id_len) != 0)
		return log_error("%s: this key is not the key of the certificate %s", key_name,
				 cert_name),
		       -EINVAL;

	/* The same call as MHD's, so that what passes here also starts there. */
	r = gnutls_certificate_allocate_credentials(&cred);
	if (r < 0)
		return gnutls_to_errno(r);
	r = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (r < 0)
		return log_error("%s, %s: GnuTLS refuses the pair: %s", cert_name, key_name,
				 gnutls_strerror(r)),
		       -EINVAL;
	return 0;
}

/* Absent is not an error: it is what makes a pair be generated. */
static int read_pem(const char *path, char **out, size_t *len)
{
	int r = read_file(path, TLS_PEM_MAX, out, len);

	if (r == -ENOENT)
		return 0;
	if (r == -EFBIG)
		return log_error("%s: larger than %u bytes, not a PEM file", path, TLS_PEM_MAX), r;
	if (r < 0)
		return log_error_errno(r, "Cannot read %s", path);
	return 1;
}

static int load_files(const char *cert_path, const char *key_path, struct tls_pair *out)
{
	size_t cert_len, key_len;
	int r;

	r = read_pem(cert_path, &out->cert_pem, &cert_len);
	if (r == 0)
		return log_error_errno(-ENOENT, "Cannot read %s", cert_path);
	if (r < 0)
		return r;
	r = read_pem(key_path, &out->key_pem, &key_len);
	if (r == 0)
		return log_error_errno(-ENOENT, "Cannot read %s", key_path);
	if (r < 0)
		return r;
	return check_pair(cert_path, out->cert_pem, cert_len, key_path, out->key_pem, key_len, out);
}

/* The host name when it is a valid DNS name (a certificate may only name those). */
static void host_name(char *buf, size_t size)
{
	size_t label = 0, len;

	if (gethostname(buf, size) < 0 || memchr(buf, '\0', size) == NULL)
		goto fallback;
	len = strlen(buf);
	if (len == 0 || len > 253 || buf[0] == '.' || buf[len - 1] == '.')
		goto fallback;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c == '.') {
			if (label == 0 || buf[i - 1] == '-')
				goto fallback;
			label = 0;
			continue;
		}
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || (c == '-' && label > 0);
		if (!ok || ++label > 63)
			goto fallback;
	}
	if (buf[len - 1] != '-')
		return;
fallback:
	snprintf(buf, size, "localhost");
}

/*
 * The host's own addresses as IP subject alternative names: a network-boot client reaches the
 * server by the address DHCP gave it, not by a name, and iPXE checks that address against them.
 * Loopback is named already; link-local IPv6 addresses are no use in a URL.
 */
static int add_interface_addresses(gnutls_x509_crt_t crt)
{
	struct ifaddrs *list = NULL;
	unsigned n = 0;

	if (getifaddrs(&list) < 0)
		return 0; /* the certificate still names localhost */
	for (struct ifaddrs *i = list; i && n < 32; i = i->ifa_next) {
		const void *a = NULL;
		unsigned len = 0;
		if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			a = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
			len = 4;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct in6_addr *a6 =
			    &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			a = a6;
			len = 16;
		} else {
			continue;
		}
		int r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, len,
							     GNUTLS_FSAN_APPEND);
		if (r < 0) {
			freeifaddrs(list);
			return r;
		}
		n++;
	}
	freeifaddrs(list);
	return 0;
}

/* A name the caller knows clients use: an IP address literal, or a DNS name. */
static int add_name(gnutls_x509_crt_t crt, const char *name)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, name, a) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, 4,
							    GNUTLS_FSAN_APPEND);
	if (inet_pton(AF_INET6, name, a) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a, 16,
							    GNUTLS_FSAN_APPEND);
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
						    (unsigned)strlen(name), GNUTLS_FSAN_APPEND);
}

static int make_pair(const struct tls_gen *gen, gnutls_datum_t *cert_pem, gnutls_datum_t *key_pem)
{
	_cleanup_(privkey_deinitp) gnutls_x509_privkey_t key = NULL;
	_cleanup_(crt_deinitp) gnutls_x509_crt_t crt = NULL;
	char host[HOST_NAME_MAX + 1];
	unsigned char serial[16], key_id[64], v4[4], v6[16];
	size_t key_id_len = sizeof(key_id);
	time_t now = time(NULL);
	int r;

	host_name(host, sizeof(host));
	inet_pton(AF_INET, "127.0.0.1", v4);
	inet_pton(AF_INET6, "::1", v6);

	r = gnutls_x509_privkey_init(&key);
	if (r == 0)
		r = gen && gen->type == TLS_KEY_RSA
			? gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, 2048, 0)
			: gnutls_x509_privkey_generate(
			      key, GNUTLS_PK_ECDSA,
			      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (r == 0)
		r = gnutls_x509_crt_init(&crt);
	if (r == 0)
		r = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	if (r < 0)
		return log_error("Cannot generate a TLS key: %s", gnutls_strerror(r)),
		       gnutls_to_errno(r);
	/* Positive and without a leading zero byte, so that DER keeps all 16 bytes. */
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);

	r = gnutls_x509_crt_set_version(crt, 3);
	if (r == 0)
		r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	/* An hour back, for clients whose clock is a little behind. */
	if (r == 0)
		r = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (r == 0)
		r = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)CERT_DAYS * 86400);
	if (r == 0)
		r = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, host,
						  (unsigned)strlen(host));
	if (r == 0 && !streq(host, "localhost"))
		r = gnutls_x509_crt_set_subject_alt_name(
		    crt, GNUTLS_SAN_DNSNAME, host, (unsigned)strlen(host), GNUTLS_FSAN_APPEND);
	if (r == 0)
		r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
							 GNUTLS_FSAN_APPEND);
	if (r == 0)
		r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v4, sizeof(v4),
							 GNUTLS_FSAN_APPEND);
	if (r == 0)
		r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v6, sizeof(v6),
							 GNUTLS_FSAN_APPEND);
	if (r == 0)
		r = add_interface_addresses(crt);
	for (size_t i = 0; r == 0 && gen && gen->names && gen->names[i]; i++)
		r = add_name(crt, gen->names[i]);
	if (r == 0)
		r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	if (r == 0)
		r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (r == 0)
		r = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (r == 0)
		r = gnutls_x509_crt_set_key(crt, key);
	if (r == 0)
		r = gnutls_x509_privkey_get_key_id(key, 0, key_id, &key_id_len);
	if (r == 0)
		r = gnutls_x509_crt_set_subject_key_id(crt, key_id, key_id_len);
	if (r == 0)
		r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (r == 0)
		r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, cert_pem);
	if (r == 0)
		r = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
						      GNUTLS_PKCS_PLAIN, key_pem);
	if (r < 0)
		return log_error("Cannot make a self-signed TLS certificate: %s",
				 gnutls_strerror(r)),
		       gnutls_to_errno(r);
	return 0;
}

static int write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = NULL;
	int r = 0;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	/* mkostemp() creates it 0600: the key is never readable by others, not even briefly. */
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fchmod(fd, mode) < 0)
		r = neg_errno();
	if (r == 0)
		r = write_full(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = neg_errno();
	if (r == 0 && rename(tmp, path) < 0)
		r = neg_errno();
	if (r < 0)
		unlink(tmp);
	return r;
}

static int generate(const char *state_dir, const struct tls_gen *gen, struct tls_pair *out)
{
	_cleanup_(datum_freep) gnutls_datum_t cert = {0};
	_cleanup_(datum_freep) gnutls_datum_t key = {0};
	int r;

	r = make_pair(gen, &cert, &key);
	if (r < 0)
		return r;
	/*
	 * The lone survivor of an old pair goes first, then the key, then the certificate: should
	 * we stop anywhere in between, what is left is nothing or a lone key, and the next start
	 * makes a new pair again; it never finds a certificate next to a key that is not its own.
	 */
	if (unlink(out->cert_path) < 0 && errno != ENOENT)
		return log_error_errno(neg_errno(), "Cannot remove %s", out->cert_path);
	r = write_atomic(out->key_path, key.data, key.size, 0600);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s", out->key_path);
	r = write_atomic(out->cert_path, cert.data, cert.size, 0644);
	if (r < 0)
		return log_error_errno(r, "Cannot write %s", out->cert_path);
	_cleanup_close_ int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return log_error_errno(neg_errno(), "Cannot sync %s", state_dir);

	out->cert_pem = strndup((const char *)cert.data, cert.size);
	out->key_pem = strndup((const char *)key.data, key.size);
	if (!out->cert_pem || !out->key_pem)
		return -ENOMEM;
	out->generated = true;
	return check_pair(out->cert_path, out->cert_pem, cert.size, out->key_path, out->key_pem,
			  key.size, out);
}

static int load_state(const char *state_dir, const char *stem, const struct tls_gen *gen,
		      struct tls_pair *out)
{
	size_t cert_len = 0, key_len = 0;
	int rc, rk;

	if (str_empty(state_dir))
		return log_error("No state folder to keep the generated TLS certificate in"),
		       -EINVAL;
	if (asprintf(&out->cert_path, "%s/%s-cert.pem", state_dir, stem) < 0) {
		out->cert_path = NULL;
		return -ENOMEM;
	}
	if (asprintf(&out->key_path, "%s/%s-key.pem", state_dir, stem) < 0) {
		out->key_path = NULL;
		return -ENOMEM;
	}
	rc = read_pem(out->cert_path, &out->cert_pem, &cert_len);
	if (rc < 0)
		return rc;
	rk = read_pem(out->key_path, &out->key_pem, &key_len);
	if (rk < 0)
		return rk;
	if (rc == 0 || rk == 0) {
		free(out->cert_pem);
		free(out->key_pem);
		out->cert_pem = out->key_pem = NULL;
		return generate(state_dir, gen, out);
	}
	/* Never replaced behind the administrator's back: browsers trusted its fingerprint. */
	if (check_pair(out->cert_path, out->cert_pem, cert_len, out->key_path, out->key_pem,
		       key_len, out) < 0)
		return log_error("Remove both %s and %s to have a new pair generated",
				 out->cert_path, out->key_path),
		       -EINVAL;
	return 0;
}

int tls_load(const char *cert_path, const char *key_path, const char *state_dir, const char *stem,
	     const struct tls_gen *gen, struct tls_pair *out)
{
	int r;

	*out = (struct tls_pair){0};
	if (str_empty(cert_path) != str_empty(key_path))
		return log_error("A TLS certificate and key go together: give both or neither "
				 "(certificate '%s', key '%s')",
				 cert_path ? cert_path : "", key_path ? key_path : ""),
		       -EINVAL;
	if (!str_empty(cert_path)) {
		out->cert_path = strdup(cert_path);
		out->key_path = strdup(key_path);
		r = out->cert_path && out->key_path ? load_files(cert_path, key_path, out)
						    : -ENOMEM;
	} else {
		r = load_state(state_dir, stem, gen, out);
	}
	if (r < 0)
		tls_free(out);
	return r;
}

void tls_free(struct tls_pair *t)
{
	if (t->key_pem)
		explicit_bzero(t->key_pem, strlen(t->key_pem));
	free(t->cert_pem);
	free(t->key_pem);
	free(t->cert_path);
	free(t->key_path);
	*t = (struct tls_pair){0};
}
