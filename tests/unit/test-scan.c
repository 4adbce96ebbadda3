/* SPDX-License-Identifier: MIT */
#include <sys/stat.h>

#include "catalog.h"
#include "helpers.h"
#include "isobuild.h"
#include "log.h"
#include "scan.h"
#include "tap.h"

static char *root;

static void write_iso(const char *rel, const char *label, uint32_t blocks, size_t truncate_to)
{
	struct tiso t;
	char path[512];

	tiso_init(&t, blocks, label, false);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	fwrite(t.img, 1, truncate_to ? truncate_to : t.size, f);
	fclose(f);
	free(t.img);
}

static void mk(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdir(path, 0755);
}

static const char *scan(struct catalog *c, struct scan_stats *st, struct capture *cap)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/iso", root);
	catalog_init(c);
	capture_begin(cap);
	int r = scan_directory(dir, "iqn.2025-01.org.isoboot", c, st);
	const char *out = capture_end(cap);
	CHECK_EQ_INT(r, 0);
	return out;
}

static void expect_skip(const char *out, const char *rel, const char *why)
{
	char needle[512];
	snprintf(needle, sizeof(needle), "Skipping %s: %s", rel, why);
	if (!strstr(out, needle)) {
		printf("#   missing '%s' in:\n%s\n", needle, out);
		tap_case_failed = 1;
	}
}

static void test_scan(void)
{
	struct catalog c;
	struct scan_stats st;
	struct capture cap;
	char path[512], target[512];

	mk("iso");
	mk("iso/linux");
	mk("iso/linux/deep");
	mk("outside");
	write_iso("iso/top.iso", "TOP", 40, 0);
	write_iso("iso/linux/debian.iso", "DEBIAN", 40, 0);
	write_iso("iso/linux/deep/tiny.img", "TINY", 40, 0);
	write_iso("iso/truncated.iso", "TRUNC", 40, 30 * 2048);
	write_iso("iso/copying.iso.part", "PART", 40, 0);
	write_iso("iso/copying.iso.tmp", "TMP", 40, 0);
	write_iso("iso/.rsync-temp.iso", "HIDDEN", 40, 0);
	write_iso("outside/secret.iso", "SECRET", 40, 0);
	snprintf(path, sizeof(path), "%s/iso/garbage.iso", root);
	write_text(path, "this is not an ISO image at all\n");
	snprintf(path, sizeof(path), "%s/iso/escape.iso", root);
	snprintf(target, sizeof(target), "%s/outside/secret.iso", root);
	CHECK_EQ_INT(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/iso/alias.iso", root);
	CHECK_EQ_INT(symlink("linux/debian.iso", path), 0);
	snprintf(path, sizeof(path), "%s/iso/dangling.iso", root);
	CHECK_EQ_INT(symlink("nowhere.iso", path), 0);
	snprintf(path, sizeof(path), "%s/iso/fifo.iso", root);
	CHECK_EQ_INT(mkfifo(path, 0644), 0);
	/* Unreadable even for root: a directory entry that is a socket-less dead end. */
	snprintf(path, sizeof(path), "%s/iso/linkdir", root);
	CHECK_EQ_INT(symlink("linux", path), 0);

	const char *out = scan(&c, &st, &cap);
	CHECK_EQ_INT(c.n, 4);
	CHECK_EQ_INT(st.isos, 4);
	CHECK_EQ_INT(st.skipped, 9);
	expect_skip(out, "truncated.iso", "truncated: the volume is larger than the file");
	expect_skip(out, "copying.iso.part", "name marks an unfinished copy or download");
	expect_skip(out, "copying.iso.tmp", "name marks an unfinished copy or download");
	expect_skip(out, ".rsync-temp.iso", "hidden file");
	expect_skip(out, "garbage.iso", "too small to be an ISO 9660 image");
	expect_skip(out, "escape.iso", "symlink points outside the ISO folder");
	expect_skip(out, "dangling.iso", "dangling or unreadable symlink");
	expect_skip(out, "fifo.iso", "not a regular file");
	expect_skip(out, "linkdir", "symlink to a directory");

	/* Sorted by group, then name; groups are the folders. */
	if (c.n == 4) {
		CHECK_STR(c.entries[0].path, "alias.iso");
		CHECK_STR(c.entries[0].label, "DEBIAN");
		CHECK_STR(c.entries[1].path, "top.iso");
		CHECK_STR(c.entries[1].group, "");
		CHECK_STR(c.entries[2].path, "linux/debian.iso");
		CHECK_STR(c.entries[2].group, "linux");
		CHECK_STR(c.entries[2].name, "debian");
		CHECK_STR(c.entries[3].path, "linux/deep/tiny.img");
		CHECK_STR(c.entries[3].group, "linux/deep");
		CHECK_STR(c.entries[3].name, "tiny.img");
		CHECK_EQ_INT(c.entries[1].size, 40 * 2048);
		CHECK_EQ_INT(c.entries[1].volume_size, 40 * 2048);
	}

	/* Ids and IQNs do not move when other ISOs come and go. */
	char *top_id = strdup(c.entries[1].id), *top_iqn = strdup(c.entries[1].iqn);
	CHECK(strncmp(top_iqn, "iqn.2025-01.org.isoboot:top-", 28) == 0);
	catalog_finish(&c);
	write_iso("iso/aaa-new.iso", "NEW", 40, 0);
	snprintf(path, sizeof(path), "%s/iso/linux/debian.iso", root);
	unlink(path);
	scan(&c, &st, &cap);
	const struct catalog_entry *e = catalog_find_id(&c, top_id);
	CHECK(e != NULL);
	if (e)
		CHECK_STR(e->iqn, top_iqn);
	CHECK_EQ_INT(c.n, 3); /* +aaa-new, -debian, -alias (now dangling) */
	catalog_finish(&c);
	free(top_id);
	free(top_iqn);
}

static void test_missing_dir(void)
{
	struct catalog c;
	struct scan_stats st;

	catalog_init(&c);
	CHECK_EQ_INT(scan_directory("/nonexistent/isoboot", "iqn.2025-01.x", &c, &st), -ENOENT);
	catalog_finish(&c);
}

int main(void)
{
	log_init("test", LOG_TARGET_STDERR);
	root = make_tmpdir();
	RUN(test_scan);
	RUN(test_missing_dir);
	rm_rf(root);
	free(root);
	return tap_done();
}
