/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the ISO 9660 / El Torito / Rock Ridge / Joliet parser. The input is the
 * image from block 16 on (the first 32 KiB of an ISO are the system area, which only the hybrid
 * check reads), so that seeds stay small.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iso9660.h"

#define SYSTEM_AREA (16u * ISO_BLOCK_SIZE)

struct fuzz_image {
	const uint8_t *data;
	size_t len;
};

static ssize_t fuzz_read(void *userdata, void *buf, size_t len, uint64_t off)
{
	const struct fuzz_image *img = userdata;
	uint64_t size = SYSTEM_AREA + img->len;
	size_t done = 0;

	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	while (done < len) {
		uint64_t o = off + done;
		if (o < SYSTEM_AREA) {
			size_t n = (size_t)(SYSTEM_AREA - o) < len - done
				       ? (size_t)(SYSTEM_AREA - o)
				       : len - done;
			memset((uint8_t *)buf + done, 0, n);
			done += n;
		} else {
			size_t n = len - done;
			memcpy((uint8_t *)buf + done, img->data + (o - SYSTEM_AREA), n);
			done += n;
		}
	}
	return (ssize_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_image img = {data, size};
	struct iso_source src = {.read = fuzz_read, .userdata = &img, .size = SYSTEM_AREA + size};
	struct iso_info info;
	struct iso_volume v;
	struct iso_dirent d;
	const char *problem;

	iso_inspect(&src, &info);
	if (iso_volume_open(&v, &src, &problem) == 0) {
		iso_lookup(&v, "/boot/grub/grub.cfg", false, &d);
		iso_lookup(&v, "casper/vmlinuz", true, &d);
		iso_lookup(&v, "/", false, &d);
	}
	return 0;
}
