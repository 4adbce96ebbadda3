/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for CDB handling: every command of the CD-ROM and disk logical units, and
 * the VERIFY compare. Byte 0 picks the type and the state; then comes the CDB, then data.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scsi.h"

static int image_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	image_fd = memfd_create("image", MFD_CLOEXEC);
	if (image_fd < 0)
		abort();
	uint8_t buf[4096];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	for (int i = 0; i < 20; i++)
		if (write(image_fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			abort();
	if (write(image_fd, buf, 777) != 777) /* a partial last block */
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct scsi_result res;
	struct scsi_lun lun;
	uint64_t at;

	if (size < 2)
		return 0;
	uint64_t img = 20 * 4096 + 777;
	scsi_lun_init(&lun, image_fd, img, (data[0] & 1) ? ISCSI_DEVICE_DISK : ISCSI_DEVICE_CDROM,
		      "fuzz-0123456789ab", (data[0] & 2) ? "" : "LABEL",
		      "iqn.2025-01.org.isoboot:fuzz-0123456789ab");
	lun.medium_absent = data[0] & 4;
	lun.prevent_removal = data[0] & 8;
	size_t cdb_len = 1 + (data[1] & 0x0f) + ((data[1] & 0x10) ? 16 : 0);
	if (cdb_len > size - 2)
		cdb_len = size - 2;
	const uint8_t *cdb = data + 2;
	if (data[0] & 0x10)
		scsi_execute_no_lun(cdb, cdb_len, &res);
	else
		scsi_execute(&lun, cdb, cdb_len, &res);
	if (res.len > sizeof(res.buf) && !res.from_file)
		abort(); /* in-memory answers never exceed the buffer */
	if (res.from_file && (res.file_off > lun.blocks * lun.block_size ||
			      res.len > lun.blocks * lun.block_size - res.file_off))
		abort(); /* reads stay inside the capacity */
	if (res.verify.len) {
		const uint8_t *d = cdb + cdb_len;
		size_t dl = size - 2 - cdb_len;
		if (dl > res.verify.len)
			dl = res.verify.len;
		scsi_compare(&lun, &res.verify, 0, d, dl, &at);
	}
	return 0;
}
