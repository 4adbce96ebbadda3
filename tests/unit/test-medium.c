/* SPDX-License-Identifier: MIT */
/*
 * An installer's medium (medium.h): folders of an ISO built in memory, as a newc cpio archive in
 * a gzip stream of stored blocks. The stream is read back through its pieces, unwrapped and
 * parsed here on its own terms (RFC 1952 and 1951 3.2.4; the archive as the kernel's initramfs
 * unpacker reads it); GNU gzip and cpio read the real thing in
 * tests/integration/scan-families.sh.
 */
#include "isobuild.h"
#include "medium.h"
#include "tap.h"
#include "util.h"

struct built {
	struct tiso t;
	struct iso_source src;
	struct iso_volume v;
};

static void build(struct built *b, const struct tiso_file *files, size_t n)
{
	const char *problem;

	*b = (struct built){0};
	if (tiso_build(&b->t, "MEDIUM", files, n) < 0)
		abort();
	b->src = (struct iso_source){.read = tiso_read, .userdata = &b->t, .size = b->t.size};
	CHECK_EQ_INT(iso_volume_open(&b->v, &b->src, &problem), 0);
}

static uint8_t pattern[5000];

/* One entry of a newc archive as the kernel reads it. */
struct entry {
	char name[256];
	unsigned mode, ino;
	uint32_t size;
	const uint8_t *data;
};

static unsigned hex8(const uint8_t *p)
{
	char s[9];
	memcpy(s, p, 8);
	s[8] = '\0';
	return (unsigned)strtoul(s, NULL, 16);
}

/* Parses the whole archive a into at most max entries; their count, or -1 if malformed. */
static int parse(const uint8_t *a, size_t len, struct entry *out, size_t max)
{
	size_t o = 0;
	int n = 0;

	while (o + 110 <= len && (size_t)n < max) {
		struct entry *e = &out[n];
		if (memcmp(a + o, "070701", 6) != 0 || o % 4 != 0)
			return -1;
		e->ino = hex8(a + o + 6);
		e->mode = hex8(a + o + 14);
		e->size = hex8(a + o + 54);
		unsigned namesize = hex8(a + o + 94);
		if (namesize == 0 || namesize > sizeof(e->name) || o + 110 + namesize > len ||
		    a[o + 110 + namesize - 1] != '\0')
			return -1;
		memcpy(e->name, a + o + 110, namesize);
		o = (o + 110 + namesize + 3) & ~(size_t)3;
		if (o + e->size > len)
			return -1;
		e->data = a + o;
		o = (o + e->size + 3) & ~(size_t)3;
		n++;
		if (streq(e->name, "TRAILER!!!"))
			return o == len ? n : -1;
	}
	return -1;
}

/* CRC-32 bit by bit (RFC 1952 8), apart from medium.c's table. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The archive inside a gzip stream of stored blocks (a new buffer, *len), or NULL. */
static uint8_t *gunzip_stored(const uint8_t *g, size_t glen, size_t *len, size_t *blocks)
{
	uint8_t *out = malloc(glen);
	size_t o = 0, i = 10;

	*blocks = 0;
	if (!out || glen < 18 || g[0] != 0x1f || g[1] != 0x8b || g[2] != 8 || g[3] != 0)
		goto bad;
	for (bool last = false; !last;) {
		if (i + 5 > glen || (g[i] & 0xfe) != 0)
			goto bad;
		last = g[i] & 1;
		unsigned n = g[i + 1] | g[i + 2] << 8, nn = g[i + 3] | g[i + 4] << 8;
		if ((n ^ nn) != 0xffff || i + 5 + n > glen)
			goto bad;
		memcpy(out + o, g + i + 5, n);
		o += n;
		i += 5 + n;
		++*blocks;
	}
	if (i + 8 != glen || le32(g + i) != crc32_bitwise(out, o) || le32(g + i + 4) != (uint32_t)o)
		goto bad;
	*len = o;
	return out;
bad:
	free(out);
	return NULL;
}

static const struct tiso_file tree[] = {
    {"boot/vmlinuz", pattern, 4096, NULL},
    {"dists/bookworm/Release", pattern + 1, 101, NULL},
    {"dists/stable", NULL, 0, "bookworm"},
    {"pool/main/a/anna.udeb", pattern + 2, 4097, NULL},
    {"pool/main/e/empty.udeb", NULL, 0, NULL},
    {"pool/main/z/zebra_1.deb", pattern + 3, 2, NULL},
    {".disk/info", "Debian GNU/Linux 12", 19, NULL},
};

static const struct medium_extra extras[] = {
    {"lib/hooks.d/S31hook", 0755, "#!/bin/sh\necho hi\n"},
};

static const char *const dirs[] = {".disk", "dists", "missing", "pool", "a/b"};

static void test_archive(void)
{
	struct built b;
	struct medium *m = NULL;
	struct entry e[64];

	build(&b, tree, ARRAY_SIZE(tree));
	CHECK_EQ_INT(medium_build(&b.v, dirs, ARRAY_SIZE(dirs), extras, 1, &m), 0);
	if (!m)
		return;
	uint8_t *g = malloc(m->size);
	CHECK_EQ_INT(medium_read(m, &b.src, g, m->size, 0), 0);
	size_t alen = 0, blocks;
	uint8_t *a = gunzip_stored(g, m->size, &alen, &blocks);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_EQ_INT(alen, m->raw_size);
	CHECK_EQ_INT(blocks, 1);
	int n = parse(a, alen, e, ARRAY_SIZE(e));
	/* Parents first, in the directories' order; the link, boot/ and the folders that are
	 * not there (or not one component) left out; the extra without its folders, which are
	 * the initrd's own (Debian 13's installer has /lib as a link). */
	static const char *const names[] = {
	    "cdrom",
	    "cdrom/.disk",
	    "cdrom/.disk/info",
	    "cdrom/dists",
	    "cdrom/dists/bookworm",
	    "cdrom/dists/bookworm/Release",
	    "cdrom/pool",
	    "cdrom/pool/main",
	    "cdrom/pool/main/a",
	    "cdrom/pool/main/a/anna.udeb",
	    "cdrom/pool/main/e",
	    "cdrom/pool/main/e/empty.udeb",
	    "cdrom/pool/main/z",
	    "cdrom/pool/main/z/zebra_1.deb",
	    "lib/hooks.d/S31hook",
	    "TRAILER!!!",
	};
	CHECK_EQ_INT(n, (int)ARRAY_SIZE(names));
	for (int i = 0; i < n && i < (int)ARRAY_SIZE(names); i++) {
		CHECK_STR(e[i].name, names[i]);
		for (int j = 0; j < i; j++)
			CHECK(e[j].ino != e[i].ino);
	}
	if (n == (int)ARRAY_SIZE(names)) {
		CHECK_EQ_INT(e[0].mode, 0040755);
		CHECK_EQ_INT(e[9].mode, 0100644);
		CHECK_EQ_INT(e[9].size, 4097);
		CHECK(memcmp(e[9].data, pattern + 2, 4097) == 0);
		CHECK_EQ_INT(e[5].size, 101);
		CHECK(memcmp(e[5].data, pattern + 1, 101) == 0);
		CHECK_EQ_INT(e[11].size, 0);
		CHECK_EQ_INT(e[13].size, 2);
		CHECK(memcmp(e[13].data, pattern + 3, 2) == 0);
		CHECK(memcmp(e[2].data, "Debian GNU/Linux 12", 19) == 0);
		CHECK_EQ_INT(e[14].mode, 0100755);
		CHECK_EQ_INT(e[14].size, strlen(extras[0].text));
		CHECK(memcmp(e[14].data, extras[0].text, e[14].size) == 0);
	}
	CHECK_EQ_INT(m->files, 5);
	CHECK_EQ_INT(m->payload, 19 + 101 + 4097 + 0 + 2);

	free(a);
	free(g);
	medium_free(m);
	free(b.t.img);
}

/* Any range reads the same bytes as the whole, the trailer too when read out of order. */
static void test_ranges(void)
{
	struct built b;
	struct medium *m = NULL, *whole = NULL;

	build(&b, tree, ARRAY_SIZE(tree));
	CHECK_EQ_INT(medium_build(&b.v, dirs, ARRAY_SIZE(dirs), extras, 1, &whole), 0);
	CHECK_EQ_INT(medium_build(&b.v, dirs, ARRAY_SIZE(dirs), extras, 1, &m), 0);
	if (!m || !whole)
		return;
	uint8_t *g = malloc(whole->size), part[700];
	CHECK_EQ_INT(medium_read(whole, &b.src, g, whole->size, 0), 0);
	/* The trailer first, then everything backwards. */
	CHECK_EQ_INT(medium_read(m, &b.src, part, 8, m->size - 8), 0);
	CHECK(memcmp(part, g + m->size - 8, 8) == 0);
	for (uint64_t end = m->size; end > 0;) {
		size_t n = end < sizeof(part) ? (size_t)end : sizeof(part);
		end -= n;
		CHECK_EQ_INT(medium_read(m, &b.src, part, n, end), 0);
		CHECK(memcmp(part, g + end, n) == 0);
	}
	CHECK_EQ_INT(medium_read(m, &b.src, part, 2, m->size - 1), -EINVAL);
	CHECK_EQ_INT(medium_pieces_find(m->pieces, m->n_pieces, m->size - 1), m->n_pieces - 1);
	CHECK_EQ_INT(medium_pieces_find(m->pieces, m->n_pieces, 0), 0);
	free(g);
	medium_free(m);
	medium_free(whole);
	free(b.t.img);
}

/* An archive over 64 KiB: several stored blocks, files split across them. */
static void test_blocks(void)
{
	static uint8_t big[150000];
	const struct tiso_file files[] = {
	    {".disk/info", "x", 1, NULL},
	    {"pool/big.udeb", big, sizeof(big), NULL},
	    {"pool/small.udeb", pattern, 3, NULL},
	};
	struct built b;
	struct medium *m = NULL;
	struct entry e[16];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13 + i / 251);
	build(&b, files, ARRAY_SIZE(files));
	CHECK_EQ_INT(medium_build(&b.v, dirs, ARRAY_SIZE(dirs), NULL, 0, &m), 0);
	if (!m)
		return;
	uint8_t *g = malloc(m->size);
	CHECK_EQ_INT(medium_read(m, &b.src, g, m->size, 0), 0);
	size_t alen = 0, blocks;
	uint8_t *a = gunzip_stored(g, m->size, &alen, &blocks);
	CHECK(a != NULL);
	CHECK_EQ_INT(blocks, (m->raw_size + 65534) / 65535);
	CHECK_EQ_INT(m->size, 10 + m->raw_size + 5 * blocks + 8);
	int n = a ? parse(a, alen, e, ARRAY_SIZE(e)) : -1;
	CHECK_EQ_INT(n, 7);
	if (n == 7) {
		CHECK_STR(e[4].name, "cdrom/pool/big.udeb");
		CHECK_EQ_INT(e[4].size, sizeof(big));
		CHECK(memcmp(e[4].data, big, sizeof(big)) == 0);
		CHECK_STR(e[5].name, "cdrom/pool/small.udeb");
	}
	free(a);
	free(g);
	medium_free(m);
	free(b.t.img);
}

static void test_none_there(void)
{
	static const char *const none[] = {"missing", "boot/vmlinuz"};
	struct built b;
	struct medium *m = NULL;

	build(&b, tree, ARRAY_SIZE(tree));
	CHECK_EQ_INT(medium_build(&b.v, none, ARRAY_SIZE(none), NULL, 0, &m), -ENOENT);
	CHECK(!m);
	free(b.t.img);
}

static void test_directory_loop(void)
{
	/* A hostile tree: pool/main's record points at pool itself, for ever deeper. */
	static const struct tiso_file looped[] = {
	    {"pool/main/a.udeb", pattern, 10, NULL},
	    {".disk/info", "x", 1, NULL},
	};
	struct built b;
	struct medium *m = NULL;

	build(&b, looped, ARRAY_SIZE(looped));
	struct iso_dirent pool;
	CHECK_EQ_INT(iso_lookup(&b.v, "pool", false, &pool), 0);
	uint8_t *blk = tiso_block(&b.t, pool.extent);
	size_t p = blk[0];
	p += blk[p]; /* past "." and ".." */
	tiso_both32(blk + p + 2, pool.extent);
	CHECK_EQ_INT(medium_build(&b.v, dirs, ARRAY_SIZE(dirs), NULL, 0, &m), -ELOOP);
	CHECK(!m);
	free(b.t.img);
}

static void test_family_extras(void)
{
	const struct medium_extra *x;

	CHECK_EQ_INT(medium_extras("debian-installer", &x), 1);
	CHECK_STR(x[0].path, "lib/debian-installer-startup.d/S31isoboot-medium");
	CHECK_EQ_INT(x[0].mode, 0755);
	CHECK(strncmp(x[0].text, "#!/bin/sh\n", 10) == 0);
	CHECK_EQ_INT(medium_extras("live-boot", &x), 0);
	CHECK_EQ_INT(medium_extras(NULL, &x), 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	RUN(test_archive);
	RUN(test_ranges);
	RUN(test_blocks);
	RUN(test_none_there);
	RUN(test_directory_loop);
	RUN(test_family_extras);
	return tap_done();
}
