/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * An ISO image for the fuzzers that read one: the input is the image from block 16 on (the first
 * 32 KiB are the system area, which only the hybrid check reads, as zeros), so that seeds stay
 * small.
 */
#include <stdint.h>
#include <string.h>

#include "iso9660.h"

#define SYSTEM_AREA (16u * ISO_BLOCK_SIZE)

struct fuzz_image {
	const uint8_t *data;
	size_t len;
};

static inline ssize_t fuzz_image_read(void *userdata, void *buf, size_t len, uint64_t off)
{
	const struct fuzz_image *img = userdata;
	uint64_t size = SYSTEM_AREA + img->len;

	if (off >= size)
		return 0;
	if (len > size - off)
		len = (size_t)(size - off);
	for (size_t done = 0; done < len;) {
		uint64_t o = off + done;
		size_t n;
		if (o < SYSTEM_AREA) {
			n = (size_t)(SYSTEM_AREA - o) < len - done ? (size_t)(SYSTEM_AREA - o)
								   : len - done;
			memset((uint8_t *)buf + done, 0, n);
		} else {
			n = len - done;
			memcpy((uint8_t *)buf + done, img->data + (o - SYSTEM_AREA), n);
		}
		done += n;
	}
	return (ssize_t)len;
}

/* The iso_source over an input of the fuzzer. */
static inline struct iso_source fuzz_image_source(struct fuzz_image *img)
{
	return (struct iso_source){
	    .read = fuzz_image_read, .userdata = img, .size = SYSTEM_AREA + img->len};
}
