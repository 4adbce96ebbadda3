/* SPDX-License-Identifier: MIT */
/* The SCSI logical unit behind each target: a read-only CD-ROM (MMC) or disk (SBC) on an image. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define SCSI_GOOD 0x00
#define SCSI_CHECK_CONDITION 0x02

#define SENSE_NO_SENSE 0x00
#define SENSE_NOT_READY 0x02
#define SENSE_MEDIUM_ERROR 0x03
#define SENSE_ILLEGAL_REQUEST 0x05
#define SENSE_UNIT_ATTENTION 0x06
#define SENSE_DATA_PROTECT 0x07
#define SENSE_ABORTED_COMMAND 0x0b

/* ASC << 8 | ASCQ */
#define ASC_NONE 0x0000
#define ASC_UNRECOVERED_READ_ERROR 0x1100
#define ASC_PARAMETER_LIST_LENGTH_ERROR 0x1a00
#define ASC_INVALID_OPCODE 0x2000
#define ASC_LBA_OUT_OF_RANGE 0x2100
#define ASC_INVALID_FIELD_IN_CDB 0x2400
#define ASC_LUN_NOT_SUPPORTED 0x2500
#define ASC_INVALID_FIELD_IN_PARAMETER_LIST 0x2600
#define ASC_WRITE_PROTECTED 0x2700
#define ASC_SAVING_PARAMETERS_NOT_SUPPORTED 0x3900
#define ASC_MEDIUM_NOT_PRESENT 0x3a00
#define ASC_MEDIUM_REMOVAL_PREVENTED 0x5302
#define ASC_MISCOMPARE_DURING_VERIFY 0x1d00
#define SENSE_MISCOMPARE 0x0e

#define SCSI_SENSE_LEN 18
#define SCSI_BUF_MAX 4096 /* every response built in memory fits here */

struct scsi_lun {
	int fd;
	uint64_t size;	     /* bytes of the image when the session started */
	uint32_t block_size; /* 2048 for CD-ROM, 512 for disk */
	uint64_t blocks;     /* the last block is zero-padded when size is not a multiple */
	enum iscsi_device_type type;
	char serial[32];    /* VPD 0x80 */
	uint8_t naa[8];	    /* VPD 0x83, NAA 3 (locally assigned) */
	char vendor_id[64]; /* VPD 0x83 T10 vendor id: "ISOBOOT " + ISO id */
	char target_name[224];
	char product[17]; /* INQUIRY product: from the volume label */
	bool prevent_removal;
	bool medium_absent; /* ejected by START STOP UNIT; CD-ROM only */
};

/* What a VERIFY with BYTCHK compares its Data-Out with. */
struct scsi_verify {
	uint32_t len;	 /* bytes of Data-Out the command needs; 0 for none */
	uint64_t off;	 /* image offset of the first block */
	uint32_t repeat; /* BYTCHK 11b: one block compared with this many; 0 otherwise */
};

/* What a command produced. Data either sits in buf, or is a range of the image file. */
struct scsi_result {
	uint8_t status;
	uint8_t sense[SCSI_SENSE_LEN];
	size_t sense_len;
	size_t len;	/* bytes the command returns (buf, or the file range) */
	bool from_file; /* READ: len bytes of the image from file_off, zero-padded past EOF */
	uint64_t file_off;
	bool data_out; /* the command transfers data to the target (writes): refused */
	struct scsi_verify verify;
	uint8_t buf[SCSI_BUF_MAX]; /* last: scsi_execute() clears only what comes before */
};

/*
 * Sets the LUN up over an open, read-only image. id is the catalog id (stable identifiers are
 * derived from it), label the volume label.
 */
void scsi_lun_init(struct scsi_lun *lun, int fd, uint64_t size, enum iscsi_device_type type,
		   const char *id, const char *label, const char *target_name);

/* Executes a CDB. Always fills res (status and sense on errors). */
void scsi_execute(struct scsi_lun *lun, const uint8_t *cdb, size_t cdb_len,
		  struct scsi_result *res);

/* The response to any command addressed to a LUN that does not exist. */
void scsi_execute_no_lun(const uint8_t *cdb, size_t cdb_len, struct scsi_result *res);

/* Fixed-format sense data in res with CHECK CONDITION. */
void scsi_set_sense(struct scsi_result *res, uint8_t key, uint16_t asc);

/*
 * Compares len bytes of a VERIFY's Data-Out, at offset xfer_off of the transfer, with the image.
 * Returns true when they are equal; otherwise *at is the transfer offset of the first difference.
 */
bool scsi_compare(const struct scsi_lun *lun, const struct scsi_verify *verify, uint64_t xfer_off,
		  const uint8_t *data, size_t len, uint64_t *at);

/* MISCOMPARE sense, with the offset of the first differing byte in INFORMATION. */
void scsi_set_miscompare(struct scsi_result *res, uint64_t at);

/* Length of a CDB from its opcode's group code, or 0 for reserved groups. */
size_t scsi_cdb_len(uint8_t opcode);

/* MMC (CD-ROM) commands beyond SPC and SBC; scsi_mmc.c. */
bool scsi_mmc_handles(uint8_t opcode);
void scsi_mmc_execute(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res);
