/* SPDX-License-Identifier: MIT */
#include <crypt.h>
#include <sys/stat.h>
#include <time.h>

#include "helpers.h"
#include "log.h"
#include "tap.h"
#include "users.h"

/* Hashes of "secret" made with crypt(3), one per accepted method. */
#define Y_HASH "$y$j9T$SBz0ahHB0lQzVQ2o8vBpc.$/EsmDd8I6QG8TVnSEYceWYvGE.0Nbug0gvs72VnKdW5"
#define B_HASH "$2b$05$CCCCCCCCCCCCCCCCCCCCC.pIKrLVkBX9/OvQMSygY1pWEVn72t6na"
#define S_HASH                                                                                     \
	"$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN."   \
	"Pq.H91p5"                                                                                 \
	"hVO1"

static char *dir;

static char *path_in(const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static char *slurp(const char *path)
{
	static char buf[USERS_FILE_MAX + 1];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Parses text and returns what was logged, in a static buffer. */
static const char *parse_err(const char *text, size_t len, int *r)
{
	static char out[16384];
	struct capture cap;
	struct users u;

	capture_begin(&cap);
	*r = users_parse(&u, "t/users", text, len);
	snprintf(out, sizeof(out), "%s", capture_end(&cap));
	if (*r == 0)
		users_free(&u);
	else if (u.n != 0 || u.accounts != NULL)
		*r = -999; /* a failed parse must leave nothing behind */
	return out;
}

static void test_names(void)
{
	CHECK(users_name_valid("admin"));
	CHECK(users_name_valid("a"));
	CHECK(users_name_valid("A.b_c-9"));
	CHECK(users_name_valid("_x"));
	CHECK(users_name_valid("0"));
	CHECK(users_name_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
	CHECK(!users_name_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	CHECK(!users_name_valid(""));
	CHECK(!users_name_valid(".hidden"));
	CHECK(!users_name_valid("-option"));
	CHECK(!users_name_valid("a b"));
	CHECK(!users_name_valid("a:b"));
	CHECK(!users_name_valid("\xc3\xa9t\xc3\xa9"));
	CHECK(!users_name_valid("a/b"));
}

static void test_parse_good(void)
{
	const char *text =
	    "# isoboot accounts\n"
	    "\n"
	    "admin:" Y_HASH "\n"
	    "   # an indented comment\n"
	    "\t\n"
	    "  bob:" B_HASH "  \n"
	    "carol.x:" S_HASH "\r\n"
	    "dave:$2y$05$CCCCCCCCCCCCCCCCCCCCC.pIKrLVkBX9/OvQMSygY1pWEVn72t6na\n"
	    "erin:$6$rounds=10000$s$8K4tup6e7ymsqqDygMP./5frMZcm683lP0oRNcG1WJz0/eXtyY/"
	    "MAzllobXymU/SxUN4br/WiQ7O3G/P5o7on/"; /* no final newline */
	struct users u;

	CHECK_EQ_INT(users_parse(&u, "t", text, strlen(text)), 0);
	CHECK_EQ_INT(u.n, 5);
	if (u.n == 5) {
		CHECK_STR(u.accounts[0].name, "admin");
		CHECK_STR(u.accounts[0].hash, Y_HASH);
		CHECK_EQ_INT(u.accounts[0].line, 3);
		CHECK_STR(u.accounts[1].name, "bob");
		CHECK_STR(u.accounts[1].hash, B_HASH);
		CHECK_EQ_INT(u.accounts[1].line, 6);
		CHECK_STR(u.accounts[2].name, "carol.x");
		CHECK_STR(u.accounts[2].hash, S_HASH);
		CHECK_STR(u.accounts[3].name, "dave");
		CHECK_STR(u.accounts[4].name, "erin");
		CHECK_EQ_INT(u.accounts[4].line, 9);
	}
	users_free(&u);
	CHECK(u.accounts == NULL && u.n == 0);

	/* Empty files, and files of comments only, hold no account. */
	CHECK_EQ_INT(users_parse(&u, "t", "", 0), 0);
	CHECK_EQ_INT(u.n, 0);
	users_free(&u);
	CHECK_EQ_INT(users_parse(&u, "t", "# x\n\n#y", 7), 0);
	CHECK_EQ_INT(u.n, 0);
	users_free(&u);
}

/* A line without a colon, naming its line. */
static void test_parse_no_colon(void)
{
	int r;
	const char *err = parse_err("admin\n", 6, &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:1: expected USER:HASH"));
}

/* A user name that is not one, naming its line. */
static void test_parse_bad_user_name(void)
{
	int r;
	const char *err =
	    parse_err("# ok\n.admin:" Y_HASH "\n", strlen("# ok\n.admin:" Y_HASH "\n"), &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:2: invalid user name '.admin'"));

	const char *long_name = "abcdefghijklmnopqrstuvwxyz0123456:" Y_HASH "\n";
	err = parse_err(long_name, strlen(long_name), &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:1: invalid user name 'abcdefghijklmnopqrstuvwxyz0123456'"));

	err = parse_err(":" Y_HASH "\n", strlen(":" Y_HASH "\n"), &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:1: invalid user name ''"));
}

/* An account without a password hash. */
static void test_parse_no_hash(void)
{
	int r;
	const char *err = parse_err("admin:\n", 7, &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:1: account 'admin' has no password hash"));
}

/* Everything that is not a whole hash of an accepted method. */
static void test_parse_bad_hashes(void)
{
	const char *err;
	int r;

	static const char *const bad_hashes[] = {
	    "secret",
	    "$1$salt$hash",		     /* MD5: too weak */
	    "$5$salt$hash",		     /* SHA-256: not accepted */
	    "$y$j9T$SBz0ahHB0lQzVQ2o8vBpc.", /* truncated */
	    "$y$j9T$$iWy0TVpaR5B",
	    "$y$j9T$a$b$c",
	    "$y$j9T$a b$c",
	    "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe",  /* 59 */
	    "$2b$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", /* cost 3 */
	    "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", /* buggy $2a$ */
	    "$6$saltsalt$short",
	    "$6$saltsaltsaltsalts$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq."
	    "qc.eoxqOmSuNp2xS0ktL3nh/",
	    "$6$rounds=$s$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc."
	    "eoxqOmSuNp2xS0ktL3nh/",
	    "!" Y_HASH,
	    "*",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_hashes); i++) {
		char line[512];
		snprintf(line, sizeof(line), "admin:%s\n", bad_hashes[i]);
		err = parse_err(line, strlen(line), &r);
		if (r != -EINVAL ||
		    !strstr(err, "t/users:1: the hash of 'admin' is not a yescrypt"))
			printf("#   refused wrongly or not at all: %s (%d)\n", bad_hashes[i], r);
		CHECK_EQ_INT(r, -EINVAL);
		CHECK(strstr(err, "t/users:1: the hash of 'admin' is not a yescrypt ($y$), bcrypt "
				  "($2b$) or SHA-512 ($6$) crypt(5) hash"));
		/* The hash itself is never logged. */
		CHECK(strlen(bad_hashes[i]) < 6 || !strstr(err, bad_hashes[i]));
	}
}

/* Every bad line is reported, not only the first. */
static void test_parse_several_errors(void)
{
	const char *err;
	int r;

	const char *several = "admin:" Y_HASH "\n"
			      "oops\n"
			      "admin:" B_HASH "\n"
			      "# fine\n"
			      "bo b:" Y_HASH "\n";
	err = parse_err(several, strlen(several), &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:2: expected USER:HASH"));
	CHECK(strstr(err, "t/users:3: duplicate account 'admin' (first on line 1)"));
	CHECK(strstr(err, "t/users:5: invalid user name 'bo b'"));
}

/* A NUL byte is refused, naming its line. */
static void test_parse_nul_byte(void)
{
	int r;
	const char *err = parse_err("# a\nadmin:\0x\n", 13, &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:2: NUL byte in the file"));
}

/* A long run of garbage is not reported line by line. */
static void test_parse_error_flood(void)
{
	const char *err;
	int r;

	static char garbage[4000];
	for (size_t i = 0; i < sizeof(garbage); i += 2) {
		garbage[i] = 'x';
		garbage[i + 1] = '\n';
	}
	err = parse_err(garbage, sizeof(garbage), &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:20: too many errors, giving up"));
	CHECK(!strstr(err, "t/users:21:"));
}

/* Bounded: at most USERS_MAX accounts. */
static void test_parse_too_many_accounts(void)
{
	const char *err;
	int r;

	static char many[USERS_FILE_MAX + 2];
	size_t len = 0;
	for (int i = 0; i <= USERS_MAX; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "u%d:" Y_HASH "\n", i);
	CHECK(len <= USERS_FILE_MAX);
	err = parse_err(many, len, &r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "t/users:257: more than 256 accounts"));
	struct users u;
	size_t len256 = len - strlen("u256:" Y_HASH "\n");
	CHECK_EQ_INT(users_parse(&u, "t", many, len256), 0);
	CHECK_EQ_INT(u.n, USERS_MAX);
	users_free(&u);
}

/* Bounded: at most USERS_FILE_MAX bytes. */
static void test_parse_file_size(void)
{
	static char many[USERS_FILE_MAX + 2];
	int r;

	memset(many, '#', sizeof(many));
	parse_err(many, USERS_FILE_MAX, &r);
	CHECK_EQ_INT(r, 0);
	parse_err(many, USERS_FILE_MAX + 1, &r);
	CHECK_EQ_INT(r, -EFBIG);
}

static char *make_hash(const char *prefix, unsigned long count, const char *password)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *d = calloc(1, sizeof(*d));
	char *h = NULL;

	if (d && crypt_gensalt_rn(prefix, count, NULL, 0, salt, sizeof(salt))) {
		const char *o = crypt_rn(password, salt, d, (int)sizeof(*d));
		h = o ? strdup(o) : NULL;
	}
	free(d);
	return h;
}

static void test_verify(void)
{
	char *by = make_hash("$y$", 0, "pass word"), *bb = make_hash("$2b$", 5, "pass word");
	char *bs = make_hash("$6$", 5000, "pass word");
	char text[2048];
	struct users u;

	CHECK(by && bb && bs);
	if (!by || !bb || !bs)
		return;
	snprintf(text, sizeof(text), "y:%s\nb:%s\ns:%s\n", by, bb, bs);
	CHECK_EQ_INT(users_parse(&u, "t", text, strlen(text)), 0);
	CHECK_EQ_INT(u.n, 3);

	CHECK_EQ_INT(users_verify(&u, "y", "pass word"), 0);
	CHECK_EQ_INT(users_verify(&u, "b", "pass word"), 0);
	CHECK_EQ_INT(users_verify(&u, "s", "pass word"), 0);
	CHECK_EQ_INT(users_verify(&u, "y", "pass wore"), -EACCES);
	CHECK_EQ_INT(users_verify(&u, "y", "pass word "), -EACCES);
	CHECK_EQ_INT(users_verify(&u, "y", "pass"), -EACCES);
	CHECK_EQ_INT(users_verify(&u, "b", "Pass word"), -EACCES);
	CHECK_EQ_INT(users_verify(&u, "s", ""), -EACCES);
	CHECK_EQ_INT(users_verify(&u, "s", NULL), -EACCES);
	CHECK_EQ_INT(users_verify(&u, "Y", "pass word"), -EACCES);
	CHECK_EQ_INT(users_verify(&u, "nobody", "pass word"), -EACCES);
	CHECK_EQ_INT(users_verify(&u, NULL, "pass word"), -EACCES);
	CHECK_EQ_INT(users_verify(&u, "", ""), -EACCES);
	/* The dummy hash's own password opens nothing. */
	CHECK_EQ_INT(users_verify(&u, "nobody", "dummy"), -EACCES);

	/* An unknown name costs a hash too (a skipped hash would be a thousand times faster). */
	double t0 = now_s();
	CHECK_EQ_INT(users_verify(&u, "y", "wrong"), -EACCES);
	double t_known = now_s() - t0;
	t0 = now_s();
	CHECK_EQ_INT(users_verify(&u, "nobody", "wrong"), -EACCES);
	double t_unknown = now_s() - t0;
	printf("# known user %.1f ms, unknown user %.1f ms\n", t_known * 1e3, t_unknown * 1e3);
	CHECK(t_unknown > t_known / 5);

	/* No account at all: every name is unknown. */
	struct users none = {0};
	CHECK_EQ_INT(users_verify(&none, "y", "pass word"), -EACCES);
	users_free(&u);

	/* The longest password that can be hashed works; longer ones are never accepted. */
	char long_pw[USERS_PASSWORD_MAX + 2];
	memset(long_pw, 'p', sizeof(long_pw));
	long_pw[USERS_PASSWORD_MAX] = '\0';
	char *bl = make_hash("$y$", 0, long_pw);
	CHECK(bl != NULL);
	snprintf(text, sizeof(text), "long:%s\n", bl ? bl : "");
	CHECK_EQ_INT(users_parse(&u, "t", text, strlen(text)), 0);
	CHECK_EQ_INT(users_verify(&u, "long", long_pw), 0);
	long_pw[USERS_PASSWORD_MAX] = 'p';
	long_pw[USERS_PASSWORD_MAX + 1] = '\0';
	CHECK_EQ_INT(users_verify(&u, "long", long_pw), -EACCES);
	users_free(&u);
	free(bl);
	free(by);
	free(bb);
	free(bs);
}

static int load_verify(const char *path, const char *user, const char *password)
{
	struct users u;
	int r = users_load(&u, path);

	if (r == 0)
		r = users_verify(&u, user, password);
	users_free(&u);
	return r;
}

static void test_set(void)
{
	char *p = path_in("users");
	const char *text;
	mode_t old_umask = umask(0);

	/* Created when missing, 0640 whatever the umask. */
	CHECK_EQ_INT(users_set(p, "admin", "first password"), 0);
	CHECK_EQ_INT(mode_of(p), 0640);
	text = slurp(p);
	CHECK(text && strncmp(text, "admin:$y$", 9) == 0);
	CHECK(text && strchr(text, '\n') == text + strlen(text) - 1);
	CHECK_EQ_INT(load_verify(p, "admin", "first password"), 0);

	/* The administrator's comments and other accounts stay as they were, in their order. */
	char before[4096];
	snprintf(before, sizeof(before),
		 "# Accounts of the isoboot admin page\n"
		 "\n"
		 "%s"
		 "   # bob is on holiday\n"
		 "bob:" B_HASH "\n"
		 "carol:" S_HASH,
		 slurp(p));
	write_text(p, before);
	umask(077);
	CHECK_EQ_INT(users_set(p, "admin", "second password"), 0);
	CHECK_EQ_INT(mode_of(p), 0640);
	text = slurp(p);
	CHECK(text && strncmp(text,
			      "# Accounts of the isoboot admin page\n"
			      "\n"
			      "admin:$y$",
			      45) == 0);
	CHECK(text && strstr(text, "\n   # bob is on holiday\nbob:" B_HASH "\ncarol:" S_HASH "\n"));
	CHECK(text && strlen(text) == strlen(before) + 1); /* same hash length, one newline */
	CHECK_EQ_INT(load_verify(p, "admin", "second password"), 0);
	CHECK_EQ_INT(load_verify(p, "admin", "first password"), -EACCES);
	CHECK_EQ_INT(load_verify(p, "bob", "secret"), 0);
	CHECK_EQ_INT(load_verify(p, "carol", "secret"), 0);

	/* A new account goes at the end; a password with spaces and symbols is kept whole. */
	CHECK_EQ_INT(users_set(p, "dave_2", "  a pass: phrase #1 \t"), 0);
	text = slurp(p);
	const char *dave = text ? strstr(text, "\ndave_2:$y$") : NULL;
	CHECK(dave && strchr(dave + 1, '\n') == text + strlen(text) - 1);
	CHECK_EQ_INT(load_verify(p, "dave_2", "  a pass: phrase #1 \t"), 0);
	CHECK_EQ_INT(load_verify(p, "dave_2", "a pass: phrase #1"), -EACCES);

	/* Replacing an account that carries blanks around it. */
	snprintf(before, sizeof(before), "# c\n  erin:" Y_HASH "  \n# d\n");
	write_text(p, before);
	CHECK_EQ_INT(users_set(p, "erin", "new"), 0);
	text = slurp(p);
	CHECK(text && strncmp(text, "# c\nerin:$y$", 12) == 0);
	CHECK(text && str_endswith(text, "\n# d\n"));
	CHECK_EQ_INT(load_verify(p, "erin", "new"), 0);
	umask(old_umask);

	/* Refused: bad names, empty or too long passwords. The file stays as it was. */
	char *saved = strdup(slurp(p));
	char long_pw[USERS_PASSWORD_MAX + 2];
	memset(long_pw, 'x', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	CHECK_EQ_INT(users_set(p, "abcdefghijklmnopqrstuvwxyz0123456", "pw"), -EINVAL);
	CHECK_EQ_INT(users_set(p, "", "pw"), -EINVAL);
	CHECK_EQ_INT(users_set(p, "-x", "pw"), -EINVAL);
	CHECK_EQ_INT(users_set(p, "a:b", "pw"), -EINVAL);
	CHECK_EQ_INT(users_set(p, "a\nb", "pw"), -EINVAL);
	CHECK_EQ_INT(users_set(p, "frank", ""), -EINVAL);
	CHECK_EQ_INT(users_set(p, "frank", long_pw), -EINVAL);
	CHECK_STR(slurp(p), saved);
	free(saved);

	/* The owner and group are kept: the daemon reads the file through its group. */
	if (geteuid() == 0) {
		struct stat st;
		CHECK_EQ_INT(chown(p, 4321, 4322), 0);
		CHECK_EQ_INT(users_set(p, "erin", "newer"), 0);
		CHECK(stat(p, &st) == 0 && st.st_uid == 4321 && st.st_gid == 4322);
		CHECK_EQ_INT(mode_of(p), 0640);
	} else {
		printf("# not root: owner and group kept, not checked\n");
	}

	/* The folder is not created. */
	char *nodir = path_in("nodir/users");
	CHECK_EQ_INT(users_set(nodir, "admin", "pw"), -ENOENT);
	CHECK(access(nodir, F_OK) != 0);
	free(nodir);

	/* No temporary file is left behind. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q tmp", dir);
	CHECK(system(cmd) != 0);
	free(p);
}

static void test_set_refuses_bad_file(void)
{
	char *p = path_in("bad-users");
	struct capture cap;
	const char *err;
	int r;

	write_text(p, "# c\nadmin:" Y_HASH "\nbroken line\n");
	capture_begin(&cap);
	r = users_set(p, "bob", "pw");
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "/bad-users:3: expected USER:HASH"));
	CHECK_STR(slurp(p), "# c\nadmin:" Y_HASH "\nbroken line\n");

	/* Full: a new account is refused, an existing one can still change. */
	static char many[USERS_FILE_MAX];
	size_t len = 0;
	for (int i = 0; i < USERS_MAX; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "u%d:" Y_HASH "\n", i);
	write_text(p, many);
	CHECK_EQ_INT(users_set(p, "newcomer", "pw"), -E2BIG);
	CHECK_EQ_INT(users_set(p, "u7", "pw"), 0);
	CHECK_EQ_INT(load_verify(p, "u7", "pw"), 0);
	CHECK_EQ_INT(load_verify(p, "u8", "secret"), 0);

	/* users_load() words no error of its own: the caller does. */
	struct users u;
	capture_begin(&cap);
	r = users_load(&u, "/nonexistent/users");
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -ENOENT);
	CHECK_STR(err, "");
	CHECK(u.n == 0 && u.accounts == NULL);
	CHECK_EQ_INT(users_load(&u, dir), -EBADFD);
	free(p);
}

static void test_edit(void)
{
	char *out = NULL;
	size_t len = 0;

	CHECK_EQ_INT(users_edit("t", "", 0, "a", Y_HASH, &out, &len), 0);
	CHECK_STR(out, "a:" Y_HASH "\n");
	CHECK_EQ_INT(len, strlen(out));
	free(out);

	const char *in = "#x\na:" B_HASH "\r\nb:" S_HASH;
	CHECK_EQ_INT(users_edit("t", in, strlen(in), "a", Y_HASH, &out, &len), 0);
	CHECK_STR(out, "#x\na:" Y_HASH "\nb:" S_HASH "\n");
	free(out);
	CHECK_EQ_INT(users_edit("t", in, strlen(in), "b", Y_HASH, &out, &len), 0);
	CHECK_STR(out, "#x\na:" B_HASH "\r\nb:" Y_HASH "\n");
	free(out);
	CHECK_EQ_INT(users_edit("t", in, strlen(in), "c", Y_HASH, &out, &len), 0);
	CHECK_STR(out, "#x\na:" B_HASH "\r\nb:" S_HASH "\nc:" Y_HASH "\n");
	free(out);
	CHECK_EQ_INT(users_edit("t", in, strlen(in), "c", "plain", &out, &len), -EINVAL);
	CHECK_EQ_INT(users_edit("t", in, strlen(in), ".c", Y_HASH, &out, &len), -EINVAL);

	/* The result must fit the bound the reader enforces. */
	static char big[USERS_FILE_MAX];
	memset(big, '#', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	CHECK_EQ_INT(users_edit("t", big, sizeof(big), "c", Y_HASH, &out, &len), -EFBIG);
}

static void test_reload(void)
{
	char *p = path_in("reload-users");
	struct capture cap;
	struct users u;
	const char *err;
	int r;

	CHECK_EQ_INT(users_load(&u, p), -ENOENT);
	CHECK_EQ_INT(users_reload_if_changed(&u, p), 0); /* still missing */
	write_text(p, "a:" Y_HASH "\n");
	CHECK_EQ_INT(users_reload_if_changed(&u, p), 1);
	CHECK_EQ_INT(u.n, 1);
	CHECK_EQ_INT(users_reload_if_changed(&u, p), 0);

	CHECK_EQ_INT(users_set(p, "b", "pw"), 0);
	CHECK_EQ_INT(users_reload_if_changed(&u, p), 1);
	CHECK_EQ_INT(u.n, 2);
	CHECK_EQ_INT(users_verify(&u, "b", "pw"), 0);

	/* A broken file: reported once, and no account is served from it, nor from the old one. */
	write_text(p, "a:" Y_HASH "\nb:" Y_HASH "\nnot an account\n");
	capture_begin(&cap);
	r = users_reload_if_changed(&u, p);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(strstr(err, "reload-users:3: expected USER:HASH"));
	CHECK_EQ_INT(u.n, 0);
	CHECK_EQ_INT(users_verify(&u, "b", "pw"), -EACCES);
	capture_begin(&cap);
	r = users_reload_if_changed(&u, p);
	err = capture_end(&cap);
	CHECK_EQ_INT(r, 0);
	CHECK_STR(err, "");
	CHECK_EQ_INT(u.n, 0);

	/* Fixed again: read again. */
	write_text(p, "c:" Y_HASH "\n");
	CHECK_EQ_INT(users_reload_if_changed(&u, p), 1);
	CHECK_EQ_INT(u.n, 1);
	CHECK_EQ_INT(users_verify(&u, "b", "pw"), -EACCES);

	unlink(p);
	CHECK_EQ_INT(users_reload_if_changed(&u, p), -ENOENT);
	CHECK_EQ_INT(u.n, 0);
	CHECK_EQ_INT(users_reload_if_changed(&u, p), 0);
	CHECK_EQ_INT(users_set(p, "d", "pw"), 0);
	CHECK_EQ_INT(users_reload_if_changed(&u, p), 1);
	CHECK_EQ_INT(users_verify(&u, "d", "pw"), 0);
	users_free(&u);
	free(p);
}

int main(void)
{
	log_init("test-users", LOG_TARGET_STDERR);
	dir = make_tmpdir();
	if (!dir)
		return EXIT_FAILURE;
	RUN(test_names);
	RUN(test_parse_good);
	RUN(test_parse_no_colon);
	RUN(test_parse_bad_user_name);
	RUN(test_parse_no_hash);
	RUN(test_parse_bad_hashes);
	RUN(test_parse_several_errors);
	RUN(test_parse_nul_byte);
	RUN(test_parse_error_flood);
	RUN(test_parse_too_many_accounts);
	RUN(test_parse_file_size);
	RUN(test_verify);
	RUN(test_set);
	RUN(test_set_refuses_bad_file);
	RUN(test_edit);
	RUN(test_reload);
	rm_rf(dir);
	free(dir);
	return tap_done();
}
