/* SPDX-License-Identifier: MIT */
/* The SCSI logical unit behind each target: a read-only CD-ROM (MMC) or disk (SBC) on an image. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define SCSI_GOOD 0x00
#define SCSI_CHECK_CONDITION 0x02
#define SCSI_TASK_SET_FULL 0x28

/* Operation codes, named as in SPC and SBC... */
#define SCSI_OP_TEST_UNIT_READY 0x00
#define SCSI_OP_REQUEST_SENSE 0x03
#define SCSI_OP_FORMAT_UNIT 0x04
#define SCSI_OP_REASSIGN_BLOCKS 0x07
#define SCSI_OP_READ_6 0x08
#define SCSI_OP_WRITE_6 0x0a
#define SCSI_OP_INQUIRY 0x12
#define SCSI_OP_MODE_SENSE_6 0x1a
#define SCSI_OP_START_STOP_UNIT 0x1b
#define SCSI_OP_PREVENT_ALLOW_MEDIUM_REMOVAL 0x1e
#define SCSI_OP_READ_CAPACITY_10 0x25
#define SCSI_OP_READ_10 0x28
#define SCSI_OP_WRITE_10 0x2a
#define SCSI_OP_WRITE_AND_VERIFY_10 0x2e
#define SCSI_OP_VERIFY_10 0x2f
#define SCSI_OP_PRE_FETCH_10 0x34
#define SCSI_OP_SYNCHRONIZE_CACHE_10 0x35
#define SCSI_OP_WRITE_LONG_10 0x3f
#define SCSI_OP_WRITE_SAME_10 0x41
#define SCSI_OP_UNMAP 0x42
#define SCSI_OP_SANITIZE 0x48
#define SCSI_OP_XDWRITEREAD_10 0x53
#define SCSI_OP_MODE_SENSE_10 0x5a
#define SCSI_OP_READ_16 0x88
#define SCSI_OP_COMPARE_AND_WRITE 0x89
#define SCSI_OP_WRITE_16 0x8a
#define SCSI_OP_ORWRITE_16 0x8b
#define SCSI_OP_WRITE_AND_VERIFY_16 0x8e
#define SCSI_OP_VERIFY_16 0x8f
#define SCSI_OP_PRE_FETCH_16 0x90
#define SCSI_OP_SYNCHRONIZE_CACHE_16 0x91
#define SCSI_OP_WRITE_SAME_16 0x93
#define SCSI_OP_WRITE_ATOMIC_16 0x9c
#define SCSI_OP_SERVICE_ACTION_IN_16 0x9e
#define SCSI_OP_REPORT_LUNS 0xa0
#define SCSI_OP_READ_12 0xa8
#define SCSI_OP_WRITE_12 0xaa
#define SCSI_OP_WRITE_AND_VERIFY_12 0xae
#define SCSI_OP_VERIFY_12 0xaf
/* ...and as in MMC (scsi_mmc.c). */
#define SCSI_OP_READ_TOC_PMA_ATIP 0x43
#define SCSI_OP_GET_CONFIGURATION 0x46
#define SCSI_OP_GET_EVENT_STATUS_NOTIFICATION 0x4a
#define SCSI_OP_READ_DISC_INFORMATION 0x51
#define SCSI_OP_READ_TRACK_INFORMATION 0x52
#define SCSI_OP_RESERVE_TRACK 0x53 /* XDWRITEREAD(10) in SBC */
#define SCSI_OP_CLOSE_TRACK_SESSION 0x5b
#define SCSI_OP_SEND_CUE_SHEET 0x5d
#define SCSI_OP_BLANK 0xa1
#define SCSI_OP_READ_DISC_STRUCTURE 0xad
#define SCSI_OP_SET_STREAMING 0xb6
#define SCSI_OP_SET_CD_SPEED 0xbb
#define SCSI_OP_MECHANISM_STATUS 0xbd

/* SERVICE ACTION IN(16) service actions. */
#define SAI_READ_CAPACITY_16 0x10

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
