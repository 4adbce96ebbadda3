/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the reader of EFI system partitions (FAT12, FAT16, FAT32, long names,
 * PE headers). The input is the partition image; it is read directly, and as the image of two
 * UEFI El Torito entries (at its start and at its second 2048-byte block). The reader never asks
 * for bytes outside the image, and says either some known architectures or why there are none.
 * The input is also a boot loader's first bytes, for the check of its signature.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "efiboot.h"

struct fuzz_image {
	const uint8_t *data;
	size_t len;
};

static ssize_t fuzz_read(void *userdata, void *buf, size_t len, uint64_t off)
{
	const struct fuzz_image *img = userdata;

	if (off > img->len || len > img->len - off)
		abort(); /* a read past the end of the image */
	memcpy(buf, img->data + off, len);
	return (ssize_t)len;
}

static void check(int r, unsigned arches, const char *problem)
{
	if (r == 0 && (arches == 0 || (arches & ~(unsigned)ISO_EFI_ARCH_KNOWN)))
		abort();
	if (r < 0 && (arches != 0 || !problem || !*problem))
		abort();
	if (r != 0 && r != -ENOENT && r != -EMEDIUMTYPE && r != -EBADMSG)
		abort(); /* memory does not fail to read */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_image img = {data, size};
	struct iso_source src = {.read = fuzz_read, .userdata = &img, .size = size};
	struct iso_info info = {.n_boot = 2};
	const char *problem = NULL;
	unsigned arches = 0;
	int r;

	r = iso_efi_fat_arches(&src, 0, &arches, &problem);
	check(r, arches, problem);

	info.boot[0] = (struct iso_boot_entry){.platform = ISO_PLATFORM_UEFI, .load_rba = 0};
	info.boot[1] = (struct iso_boot_entry){.platform = ISO_PLATFORM_UEFI, .load_rba = 1};
	problem = NULL;
	r = iso_efi_arches(&src, &info, &arches, &problem);
	check(r, arches, problem);

	r = iso_efi_pe_signed(data, size, size + (size & 0xff));
	if (r != 0 && r != 1 && r != -EBADMSG)
		abort();
	return 0;
}
