/* SPDX-License-Identifier: MIT */
#include "scsi.h"

#include <sys/stat.h>

#include "util.h"

#define VENDOR "ISOBOOT "
#define REVISION "0001"

/* Version descriptors (SPC-4 table E.1). */
#define VD_SAM5 0x00A0
#define VD_ISCSI 0x0960
#define VD_SPC4 0x0460
#define VD_SBC3 0x04C0
#define VD_MMC6 0x04E0

#define PERIPHERAL_DISK 0x00
#define PERIPHERAL_CDROM 0x05

struct cdb_view {
	const uint8_t *b;
	size_t len;
};

void scsi_set_sense(struct scsi_result *res, uint8_t key, uint16_t asc)
{
	res->status = SCSI_CHECK_CONDITION;
	memset(res->sense, 0, sizeof(res->sense));
	res->sense[0] = 0x70; /* current error, fixed format */
	res->sense[2] = key;
	res->sense[7] = SCSI_SENSE_LEN - 8;
	res->sense[12] = (uint8_t)(asc >> 8);
	res->sense[13] = (uint8_t)asc;
	res->sense_len = SCSI_SENSE_LEN;
	res->len = 0;
	res->from_file = false;
}

/* The sense-key-specific field pointing at the offending CDB byte (SPC-4 4.5.2.4.2). */
static void invalid_field(struct scsi_result *res, unsigned byte, int bit)
{
	scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	res->sense[15] = (uint8_t)(0x80 | 0x40 | (bit >= 0 ? 0x08 | (bit & 7) : 0));
	res->sense[16] = (uint8_t)(byte >> 8);
	res->sense[17] = (uint8_t)byte;
}

size_t scsi_cdb_len(uint8_t opcode)
{
	switch (opcode >> 5) {
	case 0:
		return 6;
	case 1:
	case 2:
		return 10;
	case 4:
		return 16;
	case 5:
		return 12;
	default:
		return 0;
	}
}

void scsi_lun_init(struct scsi_lun *lun, int fd, uint64_t size, enum iscsi_device_type type,
		   const char *id, const char *label, const char *target_name)
{
	const char *hash = strrchr(id, '-');
	uint64_t h = 0xcbf29ce484222325ull;

	memset(lun, 0, sizeof(*lun));
	lun->fd = fd;
	lun->size = size;
	lun->type = type;
	lun->block_size = type == ISCSI_DEVICE_CDROM ? 2048 : 512;
	lun->blocks = (size + lun->block_size - 1) / lun->block_size;
	snprintf(lun->target_name, sizeof(lun->target_name), "%s", target_name);
	/* The catalog id ends in 12 hex digits of SHA-256 of the path: unique and stable. */
	snprintf(lun->serial, sizeof(lun->serial), "%s", hash ? hash + 1 : id);
	snprintf(lun->vendor_id, sizeof(lun->vendor_id), "%s%s", VENDOR, id);
	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	/* NAA 3: locally assigned, 60 bits of our choosing. */
	put_be64(lun->naa, (h & 0x0fffffffffffffffull) | 0x3000000000000000ull);
	memset(lun->product, ' ', 16);
	const char *src = *label ? label : "ISO IMAGE";
	for (size_t i = 0; i < 16 && src[i]; i++)
		lun->product[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '_';
	lun->product[16] = '\0';
}

static uint8_t peripheral(const struct scsi_lun *lun)
{
	return lun->type == ISCSI_DEVICE_CDROM ? PERIPHERAL_CDROM : PERIPHERAL_DISK;
}

/* Copies at most alloc bytes of a built response. */
static void reply(struct scsi_result *res, const uint8_t *data, size_t len, size_t alloc)
{
	size_t n = len < alloc ? len : alloc;

	if (n > sizeof(res->buf))
		n = sizeof(res->buf);
	if (data != res->buf)
		memmove(res->buf, data, n);
	res->len = n;
}

/* ---- SPC ---- */

static void inquiry_standard(const struct scsi_lun *lun, uint8_t *b, size_t *len)
{
	memset(b, 0, 96);
	b[0] = peripheral(lun);
	b[1] = lun->type == ISCSI_DEVICE_CDROM ? 0x80 : 0x00; /* RMB */
	b[2] = 0x06;					      /* SPC-4 */
	b[3] = 0x10 | 0x02;				      /* HISUP, response data format 2 */
	b[4] = 96 - 5;
	b[7] = 0x02; /* CMDQUE */
	memcpy(b + 8, VENDOR, 8);
	memcpy(b + 16, lun->product, 16);
	memcpy(b + 32, REVISION, 4);
	put_be16(b + 58, VD_SAM5);
	put_be16(b + 60, VD_ISCSI);
	put_be16(b + 62, VD_SPC4);
	put_be16(b + 64, lun->type == ISCSI_DEVICE_CDROM ? VD_MMC6 : VD_SBC3);
	*len = 96;
}

static size_t add_designator(uint8_t *p, uint8_t code_set, uint8_t assoc_type, bool iscsi,
			     const void *id, size_t len, size_t padded)
{
	p[0] = (uint8_t)((iscsi ? 0x50 : 0x00) | code_set);
	p[1] = (uint8_t)((iscsi ? 0x80 : 0x00) | assoc_type);
	p[2] = 0;
	p[3] = (uint8_t)padded;
	memset(p + 4, 0, padded);
	memcpy(p + 4, id, len);
	return 4 + padded;
}

static void vpd_device_id(const struct scsi_lun *lun, uint8_t *b, size_t *len)
{
	size_t o = 4, l;
	char name[256];

	b[0] = peripheral(lun);
	b[1] = 0x83;
	/* Logical unit: NAA and T10 vendor id. */
	o += add_designator(b + o, 1, 0x03, false, lun->naa, 8, 8);
	l = strlen(lun->vendor_id);
	o += add_designator(b + o, 2, 0x01, false, lun->vendor_id, l, l);
	/* Target port: relative port 1, and its SCSI name string. */
	uint8_t rel[4] = {0, 0, 0, 1};
	o += add_designator(b + o, 1, 0x10 | 0x04, true, rel, 4, 4);
	snprintf(name, sizeof(name), "%s,t,0x0001", lun->target_name);
	l = strlen(name) + 1;
	o += add_designator(b + o, 3, 0x10 | 0x08, true, name, l - 1, (l + 3) & ~(size_t)3);
	/* Target device: its SCSI name string. */
	l = strlen(lun->target_name) + 1;
	o += add_designator(b + o, 3, 0x20 | 0x08, true, lun->target_name, l - 1,
			    (l + 3) & ~(size_t)3);
	put_be16(b + 2, (uint16_t)(o - 4));
	*len = o;
}

static void inquiry(struct scsi_lun *lun, struct cdb_view c, struct scsi_result *res)
{
	uint8_t *b = res->buf;
	size_t len = 0;
	size_t alloc = get_be16(c.b + 3);
	bool evpd = c.b[1] & 0x01;
	uint8_t page = c.b[2];

	if (c.b[1] & 0xfe) {
		invalid_field(res, 1, 1);
		return;
	}
	if (!evpd) {
		if (page != 0) {
			invalid_field(res, 2, -1);
			return;
		}
		inquiry_standard(lun, b, &len);
		reply(res, b, len, alloc);
		return;
	}
	memset(b, 0, 256);
	b[0] = peripheral(lun);
	b[1] = page;
	switch (page) {
	case 0x00: {
		static const uint8_t disk_pages[] = {0x00, 0x80, 0x83, 0xb0, 0xb1};
		static const uint8_t cd_pages[] = {0x00, 0x80, 0x83};
		const uint8_t *pp = lun->type == ISCSI_DEVICE_DISK ? disk_pages : cd_pages;
		size_t n = lun->type == ISCSI_DEVICE_DISK ? sizeof(disk_pages) : sizeof(cd_pages);
		memcpy(b + 4, pp, n);
		b[3] = (uint8_t)n;
		len = 4 + n;
		break;
	}
	case 0x80: {
		size_t n = strlen(lun->serial);
		memcpy(b + 4, lun->serial, n);
		b[3] = (uint8_t)n;
		len = 4 + n;
		break;
	}
	case 0x83:
		vpd_device_id(lun, b, &len);
		break;
	case 0xb0: /* block limits */
		if (lun->type != ISCSI_DEVICE_DISK)
			goto bad_page;
		b[3] = 0x3c;
		put_be16(b + 6, 1);	/* optimal transfer length granularity */
		put_be32(b + 8, 0);	/* maximum transfer length: no limit */
		put_be32(b + 12, 2048); /* optimal transfer length: 1 MiB */
		len = 64;
		break;
	case 0xb1: /* block device characteristics */
		if (lun->type != ISCSI_DEVICE_DISK)
			goto bad_page;
		b[3] = 0x3c;
		put_be16(b + 4, 1); /* non-rotating medium */
		len = 64;
		break;
	default:
		goto bad_page;
	}
	reply(res, b, len, alloc);
	return;
bad_page:
	invalid_field(res, 2, -1);
}

static void request_sense(struct cdb_view c, struct scsi_result *res)
{
	uint8_t *b = res->buf;
	size_t alloc = c.b[4];

	/* Sense is reported with each command (autosense): nothing is ever pending. */
	memset(b, 0, SCSI_SENSE_LEN);
	if (c.b[1] & 0x01) { /* DESC: descriptor format */
		b[0] = 0x72;
		reply(res, b, 8, alloc);
		return;
	}
	b[0] = 0x70;
	b[7] = SCSI_SENSE_LEN - 8;
	reply(res, b, SCSI_SENSE_LEN, alloc);
}

static void report_luns(struct cdb_view c, struct scsi_result *res)
{
	uint32_t alloc = get_be32(c.b + 6);
	uint8_t select = c.b[2];

	if (alloc < 16) {
		invalid_field(res, 6, -1);
		return;
	}
	if (select > 2 && select != 0x10 && select != 0x11 && select != 0x12) {
		invalid_field(res, 2, -1);
		return;
	}
	memset(res->buf, 0, 16);
	if (select == 0x01 || select == 0x10 || select == 0x12) {
		/* Well-known LUNs only, or administrative LUNs: we have none. */
		reply(res, res->buf, 8, alloc);
		return;
	}
	put_be32(res->buf, 8); /* one LUN: 0 */
	reply(res, res->buf, 16, alloc);
}

/* ---- mode pages ---- */

static size_t page_control(uint8_t *p, int pc)
{
	memset(p, 0, 12);
	p[0] = 0x0a;
	p[1] = 0x0a;
	if (pc == 1) /* changeable values: none */
		return 12;
	p[4] = 0x08;		 /* SWP: the medium is software write protected */
	put_be16(p + 8, 0xffff); /* busy timeout period: unlimited */
	return 12;
}

static size_t page_caching(uint8_t *p, int pc)
{
	memset(p, 0, 20);
	p[0] = 0x08;
	p[1] = 0x12;
	(void)pc; /* WCE off, read cache on: the same in every page control */
	return 20;
}

static size_t page_info_exceptions(uint8_t *p, int pc)
{
	memset(p, 0, 12);
	p[0] = 0x1c;
	p[1] = 0x0a;
	(void)pc;
	return 12;
}

static size_t page_read_error_recovery(uint8_t *p, int pc)
{
	memset(p, 0, 12);
	p[0] = 0x01;
	p[1] = 0x0a;
	(void)pc;
	return 12;
}

/* MMC-6 6.3.11 / the legacy CD capabilities page that Linux sr and Windows read. */
static size_t page_cd_capabilities(uint8_t *p, int pc)
{
	memset(p, 0, 28);
	p[0] = 0x2a;
	p[1] = 0x1a;
	if (pc == 1)
		return 28;
	p[2] = 0x3f;		 /* reads CD-R, CD-RW, method 2, DVD-ROM, DVD-R, DVD-RAM */
	p[3] = 0x00;		 /* writes nothing */
	p[4] = 0x71;		 /* multi-session, mode 2 form 1/2, audio play */
	p[5] = 0xff;		 /* CD-DA commands, accurate stream, R-W, C2 pointers, ISRC, UPC */
	p[6] = 0x29;		 /* tray loading mechanism, eject, lock */
	put_be16(p + 8, 0x2c2);	 /* obsolete max read speed: 706 kB/s (4x) */
	put_be16(p + 10, 0x100); /* volume levels */
	put_be16(p + 12, 0x800); /* buffer size, KiB */
	put_be16(p + 14, 0x2c2); /* obsolete current read speed */
	return 28;
}

typedef size_t (*page_fn)(uint8_t *p, int pc);

struct mode_page {
	uint8_t code;
	page_fn fn;
	bool disk, cdrom;
};

static const struct mode_page mode_pages[] = {
    {0x01, page_read_error_recovery, true, true},
    {0x08, page_caching, true, false},
    {0x0a, page_control, true, true},
    {0x1c, page_info_exceptions, true, true},
    {0x2a, page_cd_capabilities, false, true},
};

/* Mode parameter header: WP and DPOFUA for a disk (DPO/FUA are accepted and mean nothing for a
 * read-only image); MMC leaves the byte reserved. */
static uint8_t device_specific(const struct scsi_lun *lun)
{
	return lun->type == ISCSI_DEVICE_DISK ? 0x80 | 0x10 : 0x00;
}

static void mode_sense(struct scsi_lun *lun, struct cdb_view c, struct scsi_result *res)
{
	bool ten = c.b[0] == 0x5a;
	bool dbd = c.b[1] & 0x08;
	bool llbaa = ten && (c.b[1] & 0x10);
	int pc = c.b[2] >> 6;
	uint8_t page = c.b[2] & 0x3f, subpage = c.b[3];
	size_t alloc = ten ? get_be16(c.b + 7) : c.b[4];
	size_t hdr = ten ? 8 : 4, o, bd_len = 0;
	uint8_t *b = res->buf;

	if (pc == 3) {
		scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
		return;
	}
	if (subpage != 0 && subpage != 0xff) {
		invalid_field(res, 3, -1);
		return;
	}
	memset(b, 0, 512);
	/* Block descriptors describe disks; MMC devices return none. */
	if (!dbd && lun->type == ISCSI_DEVICE_DISK)
		bd_len = llbaa ? 16 : 8;
	o = hdr;
	if (bd_len == 8) {
		/* Density code 0, a 24-bit block count (all ones when larger), block length. */
		put_be32(b + o, lun->blocks > 0xffffffu ? 0xffffffu : (uint32_t)lun->blocks);
		put_be32(b + o + 4, lun->block_size);
	} else if (bd_len == 16) {
		put_be64(b + o, lun->blocks);
		put_be32(b + o + 12, lun->block_size);
	}
	o += bd_len;

	bool found = false;
	for (size_t i = 0; i < ARRAY_SIZE(mode_pages); i++) {
		const struct mode_page *mp = &mode_pages[i];
		if (!(lun->type == ISCSI_DEVICE_DISK ? mp->disk : mp->cdrom))
			continue;
		if (page != 0x3f && page != mp->code)
			continue;
		if (subpage == 0xff && page != 0x3f)
			continue; /* no subpages */
		o += mp->fn(b + o, pc);
		found = true;
	}
	if (!found) {
		invalid_field(res, 2, 5);
		return;
	}
	if (ten) {
		put_be16(b, (uint16_t)(o - 2));
		b[3] = device_specific(lun);
		b[4] = llbaa && bd_len ? 0x01 : 0x00;
		put_be16(b + 6, (uint16_t)bd_len);
	} else {
		b[0] = (uint8_t)(o - 1);
		b[2] = device_specific(lun);
		b[3] = (uint8_t)bd_len;
	}
	reply(res, b, o, alloc);
}

/* ---- SBC: capacity and reads ---- */

static void read_capacity10(struct scsi_lun *lun, struct cdb_view c, struct scsi_result *res)
{
	uint64_t last = lun->blocks ? lun->blocks - 1 : 0;

	if (!(c.b[8] & 0x01) && get_be32(c.b + 2) != 0) {
		invalid_field(res, 2, -1); /* an LBA without PMI */
		return;
	}
	put_be32(res->buf, last > 0xffffffffull ? 0xffffffffu : (uint32_t)last);
	put_be32(res->buf + 4, lun->block_size);
	res->len = 8;
}

static void read_capacity16(struct scsi_lun *lun, struct cdb_view c, struct scsi_result *res)
{
	uint32_t alloc = get_be32(c.b + 10);

	memset(res->buf, 0, 32);
	put_be64(res->buf, lun->blocks ? lun->blocks - 1 : 0);
	put_be32(res->buf + 8, lun->block_size);
	reply(res, res->buf, 32, alloc);
}

/* Checks that the image still holds what we serve: a truncated file is a medium error. */
static bool image_intact(const struct scsi_lun *lun, uint64_t end)
{
	struct stat st;

	if (fstat(lun->fd, &st) < 0)
		return false;
	return (uint64_t)st.st_size >= (end < lun->size ? end : lun->size);
}

static bool range_ok(const struct scsi_lun *lun, uint64_t lba, uint64_t count)
{
	return lba <= lun->blocks && count <= lun->blocks - lba;
}

static void do_read(struct scsi_lun *lun, uint64_t lba, uint64_t count, uint8_t flags_byte,
		    struct scsi_result *res)
{
	if (flags_byte & 0xe0) { /* RDPROTECT: no protection information here */
		invalid_field(res, 1, 7);
		return;
	}
	if (!range_ok(lun, lba, count)) {
		scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	uint64_t off = lba * lun->block_size, len = count * lun->block_size;
	if (count && !image_intact(lun, off + len)) {
		scsi_set_sense(res, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR);
		return;
	}
	res->from_file = true;
	res->file_off = off;
	res->len = len;
}

/* VERIFY: BYTCHK 00b checks the range only, 01b compares every block, 11b one block with each. */
static void do_verify(struct scsi_lun *lun, uint64_t lba, uint64_t count, uint8_t flags_byte,
		      struct scsi_result *res)
{
	uint8_t bytchk = (flags_byte >> 1) & 0x03;

	if (flags_byte & 0xe0) { /* VRPROTECT: no protection information here */
		invalid_field(res, 1, 7);
		return;
	}
	if (bytchk == 2) {
		invalid_field(res, 1, 2);
		return;
	}
	if (!range_ok(lun, lba, count)) {
		scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	if (bytchk == 0 || count == 0)
		return;
	uint64_t len = bytchk == 3 ? lun->block_size : count * lun->block_size;
	if (len > 64u * 1024 * 1024) {
		invalid_field(res, 7, -1);
		return;
	}
	res->verify.len = (uint32_t)len;
	res->verify.off = lba * lun->block_size;
	res->verify.repeat = bytchk == 3 ? (uint32_t)count : 0;
}

bool scsi_compare(const struct scsi_lun *lun, const struct scsi_verify *verify, uint64_t xfer_off,
		  const uint8_t *data, size_t len, uint64_t *at)
{
	uint8_t buf[16384];
	/* BYTCHK 11b: the single block is compared with each of the repeat blocks. */
	uint32_t reps = verify->repeat ? verify->repeat : 1;

	for (uint32_t rep = 0; rep < reps; rep++) {
		uint64_t base =
		    verify->off + (uint64_t)rep * (verify->repeat ? lun->block_size : 0);
		for (size_t done = 0; done < len;) {
			size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
			uint64_t off = base + xfer_off + done;
			uint64_t avail = off < lun->size ? lun->size - off : 0;
			size_t want = avail < n ? (size_t)avail : n;
			ssize_t got = want ? pread_full(lun->fd, buf, want, off) : 0;
			if (got < 0)
				got = 0;
			memset(buf + got, 0, n - (size_t)got);
			if (memcmp(buf, data + done, n) != 0) {
				for (size_t i = 0; i < n; i++)
					if (buf[i] != data[done + i]) {
						*at = xfer_off + done + i;
						return false;
					}
			}
			done += n;
		}
	}
	return true;
}

void scsi_set_miscompare(struct scsi_result *res, uint64_t at)
{
	scsi_set_sense(res, SENSE_MISCOMPARE, ASC_MISCOMPARE_DURING_VERIFY);
	res->sense[0] |= 0x80; /* INFORMATION is valid */
	put_be32(res->sense + 3, at > 0xffffffffu ? 0xffffffffu : (uint32_t)at);
}

static void do_range_only(struct scsi_lun *lun, uint64_t lba, uint64_t count,
			  struct scsi_result *res)
{
	if (!range_ok(lun, lba, count))
		scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
}

static bool is_write_opcode(uint8_t op)
{
	switch (op) {
	case SCSI_OP_FORMAT_UNIT:
	case SCSI_OP_REASSIGN_BLOCKS:
	case SCSI_OP_WRITE_6:
	case SCSI_OP_WRITE_10:
	case SCSI_OP_WRITE_AND_VERIFY_10:
	case SCSI_OP_WRITE_LONG_10:
	case SCSI_OP_WRITE_SAME_10:
	case SCSI_OP_UNMAP:
	case SCSI_OP_SANITIZE:
	case SCSI_OP_XDWRITEREAD_10: /* and RESERVE TRACK of MMC */
	case SCSI_OP_CLOSE_TRACK_SESSION:
	case SCSI_OP_SEND_CUE_SHEET:
	case SCSI_OP_COMPARE_AND_WRITE:
	case SCSI_OP_WRITE_16:
	case SCSI_OP_ORWRITE_16:
	case SCSI_OP_WRITE_AND_VERIFY_16:
	case SCSI_OP_WRITE_SAME_16:
	case SCSI_OP_WRITE_ATOMIC_16:
	case SCSI_OP_BLANK:
	case SCSI_OP_WRITE_12:
	case SCSI_OP_WRITE_AND_VERIFY_12:
		return true;
	default:
		return false;
	}
}

/* Commands that need the disc in the drive; the others describe the drive itself. */
static bool needs_medium(uint8_t op)
{
	switch (op) {
	case SCSI_OP_REQUEST_SENSE:
	case SCSI_OP_INQUIRY:
	case SCSI_OP_MODE_SENSE_6:
	case SCSI_OP_START_STOP_UNIT:
	case SCSI_OP_PREVENT_ALLOW_MEDIUM_REMOVAL:
	case SCSI_OP_GET_CONFIGURATION:
	case SCSI_OP_GET_EVENT_STATUS_NOTIFICATION:
	case SCSI_OP_MODE_SENSE_10:
	case SCSI_OP_REPORT_LUNS:
	case SCSI_OP_SET_CD_SPEED:
	case SCSI_OP_MECHANISM_STATUS:
		return false;
	default:
		return true;
	}
}

/* Eject and load move a virtual disc: the image stays open, the drive just reports no medium. */
static void start_stop(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res)
{
	uint8_t power = cdb[4] >> 4;
	bool loej = cdb[4] & 0x02, start = cdb[4] & 0x01;

	if (power != 0 || !loej || lun->type != ISCSI_DEVICE_CDROM)
		return;
	if (lun->prevent_removal) {
		scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED);
		return;
	}
	lun->medium_absent = !start;
}

void scsi_execute_no_lun(const uint8_t *cdb, size_t cdb_len, struct scsi_result *res)
{
	memset(res, 0, offsetof(struct scsi_result, buf));
	res->len = 0;
	if (cdb_len >= 6 && cdb[0] == SCSI_OP_INQUIRY) {
		/* INQUIRY of a LUN that is not there: qualifier 3, type 0x1f. */
		memset(res->buf, 0, 36);
		res->buf[0] = 0x7f;
		res->buf[2] = 0x06;
		res->buf[3] = 0x12;
		res->buf[4] = 31;
		reply(res, res->buf, 36, get_be16(cdb + 3));
		return;
	}
	scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
}

void scsi_execute(struct scsi_lun *lun, const uint8_t *cdb, size_t cdb_len, struct scsi_result *res)
{
	struct cdb_view c = {cdb, cdb_len};
	uint8_t op = cdb_len ? cdb[0] : 0xff;

	memset(res, 0, offsetof(struct scsi_result, buf));
	res->len = 0;
	if (cdb_len == 0 || scsi_cdb_len(op) == 0 || cdb_len < scsi_cdb_len(op)) {
		scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		return;
	}
	if (lun->medium_absent && needs_medium(op)) {
		scsi_set_sense(res, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
		return;
	}
	if (is_write_opcode(op)) {
		res->data_out = true;
		scsi_set_sense(res, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return;
	}
	switch (op) {
	case SCSI_OP_TEST_UNIT_READY:
		return;
	case SCSI_OP_REQUEST_SENSE:
		request_sense(c, res);
		return;
	case SCSI_OP_READ_6: { /* 21-bit LBA, 0 blocks means 256 */
		uint64_t lba = ((uint64_t)(cdb[1] & 0x1f) << 16) | get_be16(cdb + 2);
		do_read(lun, lba, cdb[4] ? cdb[4] : 256, 0, res);
		return;
	}
	case SCSI_OP_INQUIRY:
		inquiry(lun, c, res);
		return;
	case SCSI_OP_MODE_SENSE_6:
	case SCSI_OP_MODE_SENSE_10:
		mode_sense(lun, c, res);
		return;
	case SCSI_OP_START_STOP_UNIT:
		start_stop(lun, cdb, res);
		return;
	case SCSI_OP_PREVENT_ALLOW_MEDIUM_REMOVAL:
		lun->prevent_removal = (cdb[4] & 0x03) != 0;
		return;
	case SCSI_OP_READ_CAPACITY_10:
		read_capacity10(lun, c, res);
		return;
	case SCSI_OP_READ_10:
		do_read(lun, get_be32(cdb + 2), get_be16(cdb + 7), cdb[1], res);
		return;
	case SCSI_OP_VERIFY_10:
		do_verify(lun, get_be32(cdb + 2), get_be16(cdb + 7), cdb[1], res);
		return;
	case SCSI_OP_PRE_FETCH_10:
		do_range_only(lun, get_be32(cdb + 2), get_be16(cdb + 7), res);
		return;
	case SCSI_OP_SYNCHRONIZE_CACHE_10:
		do_range_only(lun, get_be32(cdb + 2), get_be16(cdb + 7), res);
		return;
	case SCSI_OP_READ_16:
		do_read(lun, get_be64(cdb + 2), get_be32(cdb + 10), cdb[1], res);
		return;
	case SCSI_OP_VERIFY_16:
		do_verify(lun, get_be64(cdb + 2), get_be32(cdb + 10), cdb[1], res);
		return;
	case SCSI_OP_PRE_FETCH_16:
	case SCSI_OP_SYNCHRONIZE_CACHE_16:
		do_range_only(lun, get_be64(cdb + 2), get_be32(cdb + 10), res);
		return;
	case SCSI_OP_SERVICE_ACTION_IN_16:
		if ((cdb[1] & 0x1f) == SAI_READ_CAPACITY_16) {
			read_capacity16(lun, c, res);
			return;
		}
		invalid_field(res, 1, 4);
		return;
	case SCSI_OP_REPORT_LUNS:
		report_luns(c, res);
		return;
	case SCSI_OP_READ_12:
		do_read(lun, get_be32(cdb + 2), get_be32(cdb + 6), cdb[1], res);
		return;
	case SCSI_OP_VERIFY_12:
		do_verify(lun, get_be32(cdb + 2), get_be32(cdb + 6), cdb[1], res);
		return;
	default:
		break;
	}
	if (lun->type == ISCSI_DEVICE_CDROM && scsi_mmc_handles(op)) {
		scsi_mmc_execute(lun, cdb, res);
		return;
	}
	scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
}
