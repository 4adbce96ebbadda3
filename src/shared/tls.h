/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The certificate and key of a TLS service (isoboot-web's admin page, isoboot-menu's HTTPS): the
 * administrator's own pair ([web] or [menu] certificate and key), or a self-signed pair that the
 * service makes the first time it starts and keeps in the state folder, so that clients see the
 * same certificate (and fingerprint) on every start.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define TLS_PEM_MAX (256u * 1024)
#define TLS_FINGERPRINT_SIZE (32 * 3) /* "AB:CD:...", 32 bytes, NUL included */

struct tls_pair {
	char *cert_pem;		    /* NUL-terminated, as MHD_OPTION_HTTPS_MEM_CERT wants it */
	char *key_pem;		    /* likewise for MHD_OPTION_HTTPS_MEM_KEY */
	char *cert_path, *key_path; /* the files they came from */
	/* SHA-256 of the (first) certificate, upper-case hex with colons, as
	 * "openssl x509 -noout -fingerprint -sha256" prints it */
	char fingerprint[TLS_FINGERPRINT_SIZE];
	time_t not_after; /* the certificate's expiry, for a warning */
	bool generated;	  /* a new self-signed pair was made just now */
	bool rsa;	  /* the certificate's key is RSA */
};

/* The key of a generated pair. iPXE (1.21.1, Debian 13's) verifies RSA signatures only. */
enum tls_key_type {
	TLS_KEY_ECDSA, /* P-256: small and fast, for browsers */
	TLS_KEY_RSA,   /* 2048 bits, for iPXE */
};

/* How to make a pair when one is generated. */
struct tls_gen {
	enum tls_key_type type;
	/* Further names the certificate gives (IP literals or DNS names), NULL-terminated: the
	 * addresses the caller knows clients use, which a service without a view of the host's
	 * interfaces (PrivateNetwork=yes) cannot find itself. May be NULL. */
	const char *const *names;
};

/*
 * With cert_path and key_path both set (not empty): reads the two PEM files and checks that the
 * certificate and the key parse and belong together. With both empty: uses
 * state_dir/STEM-cert.pem and state_dir/STEM-key.pem, generating them when neither or only one
 * of them exists (a key of gen's type, mode 0600, and a self-signed certificate for this host
 * name, "localhost", 127.0.0.1, ::1, the addresses of the interfaces the process sees, and gen's
 * names, valid 10 years; gen NULL: ECDSA, no further names). Each problem is logged naming the file
 * concerned; returns 0 or a negative errno (-EINVAL for unusable contents). out is always left
 * valid to tls_free().
 */
int tls_load(const char *cert_path, const char *key_path, const char *state_dir, const char *stem,
	     const struct tls_gen *gen, struct tls_pair *out);

void tls_free(struct tls_pair *t);
