/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>
#include <time.h>

#include "helpers.h"
#include "log.h"
#include "tap.h"
#include "tls.h"

static char *dir;

static char *path_in(const char *sub, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s%s%s", dir, sub, *sub ? "/" : "", name) < 0)
		abort();
	return p;
}

static char *make_subdir(const char *sub)
{
	char *p = path_in(sub, "");

	p[strlen(p) - 1] = '\0';
	mkdir(p, 0755);
	return p;
}

/* The output of a shell command, trailing newline removed; "" when it failed. */
static void run(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0;

	out[0] = '\0';
	if (!f)
		return;
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	if (pclose(f) != 0)
		out[0] = '\0';
	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
}

static bool fingerprint_well_formed(const char *fp)
{
	if (strlen(fp) != 95)
		return false;
	for (int i = 0; i < 95; i++) {
		char c = fp[i];
		if (i % 3 == 2 ? c != ':' : !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

static void test_generate_and_reuse(void)
{
	char *state = make_subdir("state"), out[16384], cmd[1024];
	char *cert = path_in("state", "web-cert.pem"), *key = path_in("state", "web-key.pem");
	struct tls_pair t, t2;

	CHECK_EQ_INT(tls_load("", "", state, "web", NULL, &t), 0);
	CHECK(t.generated);
	CHECK_STR(t.cert_path, cert);
	CHECK_STR(t.key_path, key);
	CHECK(t.cert_pem && strncmp(t.cert_pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	CHECK(t.key_pem && strncmp(t.key_pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	CHECK(fingerprint_well_formed(t.fingerprint));
	CHECK_EQ_INT(mode_of(key), 0600);
	CHECK_EQ_INT(mode_of(cert), 0644);
	/* Ten years, give or take the leap days. */
	CHECK(t.not_after > time(NULL) + 3650L * 86400 - 7200);
	CHECK(t.not_after < time(NULL) + 3654L * 86400);

	/* The same text openssl prints after "=". */
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in '%s'", cert);
	run(cmd, out, sizeof(out));
	const char *eq = strchr(out, '=');
	CHECK_STR(eq ? eq + 1 : out, t.fingerprint);

	/* What a browser looks at. */
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -text -in '%s'", cert);
	run(cmd, out, sizeof(out));
	CHECK(strstr(out, "Version: 3 (0x2)"));
	CHECK(strstr(out, "CA:FALSE"));
	CHECK(strstr(out, "Digital Signature"));
	CHECK(strstr(out, "Key Encipherment") == NULL);
	CHECK(strstr(out, "TLS Web Server Authentication"));
	CHECK(strstr(out, "DNS:localhost"));
	CHECK(strstr(out, "IP Address:127.0.0.1"));
	CHECK(strstr(out, "IP Address:0:0:0:0:0:0:0:1"));
	CHECK(strstr(out, "prime256v1") || strstr(out, "P-256"));
	CHECK(strstr(out, "ecdsa-with-SHA256"));
	CHECK(strstr(out, "Subject Key Identifier"));
	/* Sixteen bytes of serial, printed as "xx:xx:..." on its own line. */
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -serial -in '%s'", cert);
	run(cmd, out, sizeof(out));
	CHECK_EQ_INT(strlen(out), strlen("serial=") + 32);
	/* The certificate verifies against itself (self-signed, and for server use). */
	snprintf(cmd, sizeof(cmd),
		 "openssl verify -purpose sslserver -CAfile '%s' '%s' >/dev/null 2>&1 && echo yes",
		 cert, cert);
	run(cmd, out, sizeof(out));
	CHECK_STR(out, "yes");
	/* openssl agrees that the key is the certificate's. */
	snprintf(cmd, sizeof(cmd),
		 "a=$(openssl x509 -noout -pubkey -in '%s') && b=$(openssl pkey -pubout -in '%s') "
		 "&& [ \"$a\" = \"$b\" ] && echo same",
		 cert, key);
	run(cmd, out, sizeof(out));
	CHECK_STR(out, "same");

	/* Started again: the same pair, not a new one. */
	CHECK_EQ_INT(tls_load(NULL, NULL, state, "web", NULL, &t2), 0);
	CHECK(!t2.generated);
	CHECK_STR(t2.fingerprint, t.fingerprint);
	CHECK_STR(t2.cert_pem, t.cert_pem);
	CHECK_STR(t2.key_pem, t.key_pem);
	tls_free(&t2);

	/* The administrator's own pair: here, the files just generated. */
	CHECK_EQ_INT(tls_load(cert, key, "/nonexistent", "web", NULL, &t2), 0);
	CHECK(!t2.generated);
	CHECK_STR(t2.fingerprint, t.fingerprint);
	CHECK_STR(t2.cert_path, cert);
	tls_free(&t2);
	CHECK(t2.cert_pem == NULL && t2.key_pem == NULL);

	tls_free(&t);
	free(state);
	free(cert);
	free(key);
}

static void test_lone_file_regenerates(void)
{
	char *state = make_subdir("lone");
	char *cert = path_in("lone", "web-cert.pem"), *key = path_in("lone", "web-key.pem");
	char first[TLS_FINGERPRINT_SIZE];
	struct tls_pair t;

	CHECK_EQ_INT(tls_load("", "", state, "web", NULL, &t), 0);
	snprintf(first, sizeof(first), "%s", t.fingerprint);
	tls_free(&t);

	unlink(key);
	CHECK_EQ_INT(tls_load("", "", state, "web", NULL, &t), 0);
	CHECK(t.generated);
	CHECK(strcmp(t.fingerprint, first) != 0);
	CHECK_EQ_INT(mode_of(key), 0600);
	snprintf(first, sizeof(first), "%s", t.fingerprint);
	tls_free(&t);

	unlink(cert);
	CHECK_EQ_INT(tls_load("", "", state, "web", NULL, &t), 0);
	CHECK(t.generated);
	CHECK(strcmp(t.fingerprint, first) != 0);
	CHECK_EQ_INT(mode_of(cert), 0644);
	tls_free(&t);

	/* No temporary file left behind. */
	char cmd[512], out[256];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c tmp", state);
	run(cmd, out, sizeof(out));
	CHECK_STR(out, "");
	free(state);
	free(cert);
	free(key);
}

/* A pair made by openssl, in other formats than ours: RSA, and a traditional EC key. */
static void test_openssl_pairs(void)
{
	char *rc = path_in("", "rsa-cert.pem"), *rk = path_in("", "rsa-key.pem");
	char *ec = path_in("", "ec-cert.pem"), *ek = path_in("", "ec-key.pem");
	char cmd[2048], out[512];
	struct tls_pair t;

	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -subj /CN=rsa "
		 "-days 30 >/dev/null 2>&1 && "
		 "openssl ecparam -name prime256v1 -genkey -noout -out '%s' 2>/dev/null && "
		 "openssl req -x509 -key '%s' -out '%s' -subj /CN=ec -days 30 >/dev/null 2>&1 && "
		 "echo done",
		 rk, rc, ek, ek, ec);
	run(cmd, out, sizeof(out));
	CHECK_STR(out, "done");

	CHECK_EQ_INT(tls_load(rc, rk, NULL, "web", NULL, &t), 0);
	CHECK(!t.generated);
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in '%s'", rc);
	run(cmd, out, sizeof(out));
	CHECK_STR(strchr(out, '=') ? strchr(out, '=') + 1 : out, t.fingerprint);
	CHECK(t.not_after > time(NULL) + 29 * 86400 && t.not_after < time(NULL) + 31 * 86400);
	tls_free(&t);

	CHECK_EQ_INT(tls_load(ec, ek, NULL, "web", NULL, &t), 0);
	CHECK(t.key_pem && strstr(t.key_pem, "BEGIN EC PRIVATE KEY"));
	tls_free(&t);

	/* A chain: the leaf first, then another certificate; the fingerprint is the leaf's. */
	char *chain = path_in("", "chain.pem");
	snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s'", rc, ec, chain);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(tls_load(chain, rk, NULL, "web", NULL, &t), 0);
	snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in '%s'", rc);
	run(cmd, out, sizeof(out));
	CHECK_STR(strchr(out, '=') ? strchr(out, '=') + 1 : out, t.fingerprint);
	tls_free(&t);

	/* The mismatched pair: the RSA certificate with the EC key. */
	struct capture cap;
	capture_begin(&cap);
	int r = tls_load(rc, ek, NULL, "web", NULL, &t);
	const char *err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "ec-key.pem: this key is not the key of the certificate"));
	CHECK(strstr(err, "rsa-cert.pem"));
	CHECK(t.cert_pem == NULL && t.key_pem == NULL && t.cert_path == NULL);

	/* An encrypted key cannot be used by a daemon that starts alone. */
	char *enc = path_in("", "enc-key.pem");
	snprintf(cmd, sizeof(cmd),
		 "openssl pkey -in '%s' -aes256 -passout pass:secret -out '%s' 2>/dev/null && "
		 "echo done",
		 rk, enc);
	run(cmd, out, sizeof(out));
	CHECK_STR(out, "done");
	capture_begin(&cap);
	r = tls_load(rc, enc, NULL, "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "enc-key.pem: not an unencrypted PEM private key"));

	free(rc);
	free(rk);
	free(ec);
	free(ek);
	free(chain);
	free(enc);
}

static void test_bad_files(void)
{
	char *junk = path_in("", "junk.pem"), *nul = path_in("", "nul.pem");
	char *missing = path_in("", "missing.pem");
	char *state = make_subdir("state"); /* generated by test_generate_and_reuse */
	char *key = path_in("state", "web-key.pem");
	struct capture cap;
	struct tls_pair t;
	const char *err;
	int r;

	write_text(junk, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
	capture_begin(&cap);
	r = tls_load(junk, key, NULL, "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "junk.pem: not a PEM X.509 certificate"));

	capture_begin(&cap);
	r = tls_load(missing, key, NULL, "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -ENOENT);
	CHECK(strstr(err, "missing.pem: No such file or directory"));

	/* A NUL would cut the PEM short where MHD reads it as a string. */
	FILE *f = fopen(nul, "w");
	fwrite("-----BEGIN\0", 1, 11, f);
	fclose(f);
	capture_begin(&cap);
	r = tls_load(nul, key, NULL, "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "nul.pem: not a PEM certificate (it holds a NUL byte)"));

	/* A certificate without its key, or the reverse, is a configuration mistake. */
	capture_begin(&cap);
	r = tls_load(junk, "", "/tmp", "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "give both or neither"));

	/* Too large to be a PEM file. */
	char *big = path_in("", "big.pem");
	f = fopen(big, "w");
	for (int i = 0; i < 300; i++)
		fputs(
		    "----------------------------------------------------------------------------"
		    "--------------------------------------------------------------------------\n"
		    "----------------------------------------------------------------------------"
		    "--------------------------------------------------------------------------\n"
		    "----------------------------------------------------------------------------"
		    "--------------------------------------------------------------------------\n"
		    "----------------------------------------------------------------------------"
		    "--------------------------------------------------------------------------\n"
		    "----------------------------------------------------------------------------"
		    "--------------------------------------------------------------------------\n"
		    "----------------------------------------------------------------------------"
		    "--------------------------------------------------------------------------\n",
		    f);
	fclose(f);
	capture_begin(&cap);
	r = tls_load(big, key, NULL, "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EFBIG);
	CHECK(strstr(err, "big.pem: larger than"));

	free(junk);
	free(nul);
	free(missing);
	free(state);
	free(key);
	free(big);
}

/* Generated files that became unusable are reported, never silently replaced. */
static void test_broken_state(void)
{
	char *state = make_subdir("broken");
	char *cert = path_in("broken", "web-cert.pem"), *key = path_in("broken", "web-key.pem");
	char *other = make_subdir("other");
	struct capture cap;
	struct tls_pair t;
	const char *err;
	int r;

	/* Two valid halves of different pairs. */
	CHECK_EQ_INT(tls_load("", "", state, "web", NULL, &t), 0);
	tls_free(&t);
	CHECK_EQ_INT(tls_load("", "", other, "web", NULL, &t), 0);
	tls_free(&t);
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cp '%s/web-key.pem' '%s'", other, key);
	CHECK_EQ_INT(system(cmd), 0);

	capture_begin(&cap);
	r = tls_load("", "", state, "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "web-key.pem: this key is not the key of the certificate"));
	CHECK(strstr(err, "Remove both"));

	write_text(cert, "garbage\n");
	capture_begin(&cap);
	r = tls_load("", "", state, "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "web-cert.pem: not a PEM X.509 certificate"));
	CHECK(strstr(err, "Remove both"));

	capture_begin(&cap);
	r = tls_load("", "", "", "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "No state folder"));

	/* The state folder is not created. */
	char *gone = path_in("", "no-such-folder");
	capture_begin(&cap);
	r = tls_load("", "", gone, "web", NULL, &t);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -ENOENT);
	CHECK(strstr(err, "no-such-folder/web-key.pem: No such file or directory"));
	CHECK(access(gone, F_OK) != 0);

	free(state);
	free(cert);
	free(key);
	free(other);
	free(gone);
}

int main(void)
{
	log_init("test-webtls", LOG_TARGET_STDERR);
	dir = make_tmpdir();
	if (!dir)
		return EXIT_FAILURE;
	RUN(test_generate_and_reuse);
	RUN(test_lone_file_regenerates);
	RUN(test_openssl_pairs);
	RUN(test_bad_files);
	RUN(test_broken_state);
	rm_rf(dir);
	free(dir);
	return tap_done();
}
