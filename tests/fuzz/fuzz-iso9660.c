/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the ISO 9660 / El Torito / Rock Ridge / Joliet parser. The input is the
 * image from block 16 on (the first 32 KiB of an ISO are the system area, which only the hybrid
 * check reads), so that seeds stay small.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-image.h"
#include "iso9660.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_image img = {data, size};
	struct iso_source src = fuzz_image_source(&img);
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
