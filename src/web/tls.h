/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * The certificate and key of the admin page: the administrator's own pair ([web] certificate
 * and key), or a self-signed pair that isoboot-web makes the first time it starts and keeps in
 * the state folder, so that browsers see the same certificate (and fingerprint) on every start.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define WEB_TLS_PEM_MAX (256u * 1024)
#define WEB_TLS_CERT_FILE "web-cert.pem"
#define WEB_TLS_KEY_FILE "web-key.pem"
#define WEB_TLS_FINGERPRINT_SIZE (32 * 3) /* "AB:CD:...", 32 bytes, NUL included */

struct web_tls {
	char *cert_pem;		    /* NUL-terminated, as MHD_OPTION_HTTPS_MEM_CERT wants it */
	char *key_pem;		    /* likewise for MHD_OPTION_HTTPS_MEM_KEY */
	char *cert_path, *key_path; /* the files they came from */
	/* SHA-256 of the (first) certificate, upper-case hex with colons, as
	 * "openssl x509 -noout -fingerprint -sha256" prints it */
	char fingerprint[WEB_TLS_FINGERPRINT_SIZE];
	time_t not_after; /* the certificate's expiry, for a warning */
	bool generated;	  /* a new self-signed pair was made just now */
};

/*
 * With cert_path and key_path both set (not empty): reads the two PEM files and checks that the
 * certificate and the key parse and belong together. With both empty: uses state_dir/web-cert.pem
 * and state_dir/web-key.pem, generating them when neither or only one of them exists (an ECDSA
 * P-256 key, mode 0600, and a self-signed certificate for this host name, "localhost", 127.0.0.1
 * and ::1, valid 10 years). Each problem is logged naming the file concerned; returns 0 or a
 * negative errno (-EINVAL for unusable contents). out is always left valid to web_tls_free().
 */
int web_tls_load(const char *cert_path, const char *key_path, const char *state_dir,
		 struct web_tls *out);

void web_tls_free(struct web_tls *t);
