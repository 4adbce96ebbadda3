/* SPDX-License-Identifier: MIT */
/*
 * MMC commands of the CD-ROM logical unit: what Linux sr and Windows cdrom.sys ask before they
 * accept a drive and mount its disc. The disc is a finished, read-only data disc with one track
 * in one session: a CD-ROM up to CD sizes, a DVD-ROM beyond.
 */
#include "scsi.h"
#include "util.h"

#define PROFILE_CD_ROM 0x0008
#define PROFILE_DVD_ROM 0x0010
#define CD_MAX_BLOCKS 450000u /* about 880 MiB: no CD is larger */

static bool is_dvd(const struct scsi_lun *lun)
{
	return lun->blocks > CD_MAX_BLOCKS;
}

static uint16_t current_profile(const struct scsi_lun *lun)
{
	if (lun->medium_absent)
		return 0;
	return is_dvd(lun) ? PROFILE_DVD_ROM : PROFILE_CD_ROM;
}

static void bad_field(struct scsi_result *res, unsigned byte)
{
	scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB);
	res->sense[15] = 0xc0;
	res->sense[16] = (uint8_t)(byte >> 8);
	res->sense[17] = (uint8_t)byte;
}

static void done(struct scsi_result *res, size_t len, size_t alloc)
{
	res->len = len < alloc ? len : alloc;
}

/* Logical block address as minutes, seconds, frames, with the 2-second pregap. */
static void lba_to_msf(uint64_t lba, uint8_t *p)
{
	uint64_t f = lba + 150;

	p[0] = 0;
	p[1] = (uint8_t)(f / (75 * 60) > 255 ? 255 : f / (75 * 60));
	p[2] = (uint8_t)((f / 75) % 60);
	p[3] = (uint8_t)(f % 75);
}

static void put_address(uint8_t *p, uint64_t lba, bool msf)
{
	if (msf)
		lba_to_msf(lba, p);
	else
		put_be32(p, (uint32_t)(lba > 0xffffffffu ? 0xffffffffu : lba));
}

static void read_toc(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res)
{
	bool msf = cdb[1] & 0x02;
	uint8_t format = cdb[2] & 0x0f, track = cdb[6];
	size_t alloc = get_be16(cdb + 7), o = 4;
	uint8_t *b = res->buf;

	/* Old drives put the format in the top bits of the control byte. */
	if (format == 0 && (cdb[9] >> 6))
		format = cdb[9] >> 6;
	memset(b, 0, 64);
	switch (format) {
	case 0: /* formatted TOC */
		if (track > 1 && track != 0xaa) {
			bad_field(res, 6);
			return;
		}
		b[2] = 1;
		b[3] = 1;
		if (track <= 1) {
			b[o + 1] = 0x14; /* ADR 1, data track */
			b[o + 2] = 1;
			put_address(b + o + 4, 0, msf);
			o += 8;
		}
		b[o + 1] = 0x14;
		b[o + 2] = 0xaa; /* lead-out */
		put_address(b + o + 4, lun->blocks, msf);
		o += 8;
		break;
	case 1: /* session information */
		b[2] = 1;
		b[3] = 1;
		b[5] = 0x14;
		b[6] = 1;
		put_address(b + 8, 0, msf);
		o = 12;
		break;
	case 2: { /* full TOC: points A0, A1, A2 and track 1 */
		static const uint8_t points[] = {0xa0, 0xa1, 0xa2, 0x01};
		b[2] = 1;
		b[3] = 1;
		for (size_t i = 0; i < sizeof(points); i++, o += 11) {
			uint8_t *d = b + o;
			d[0] = 1;    /* session */
			d[1] = 0x14; /* ADR 1, data */
			d[3] = points[i];
			if (points[i] == 0xa0)
				d[8] = 1; /* first track; disc type 0: CD-ROM */
			else if (points[i] == 0xa1)
				d[8] = 1; /* last track */
			else if (points[i] == 0xa2)
				lba_to_msf(lun->blocks, d + 7);
			else
				lba_to_msf(0, d + 7);
		}
		break;
	}
	default:
		bad_field(res, 2);
		return;
	}
	put_be16(b, (uint16_t)(o - 2));
	done(res, o, alloc);
}

struct feature {
	uint16_t code;
	bool current;
	size_t (*fill)(const struct scsi_lun *lun, uint8_t *p);
};

static size_t feat_header(uint8_t *p, uint16_t code, uint8_t flags, uint8_t len)
{
	put_be16(p, code);
	p[2] = flags;
	p[3] = len;
	return 4;
}

static size_t f_profiles(const struct scsi_lun *lun, uint8_t *p)
{
	size_t o = feat_header(p, 0x0000, 0x03, 4);
	put_be16(p + o, is_dvd(lun) ? PROFILE_DVD_ROM : PROFILE_CD_ROM);
	p[o + 2] = lun->medium_absent ? 0x00 : 0x01; /* current */
	return o + 4;
}

static size_t f_core(const struct scsi_lun *lun, uint8_t *p)
{
	(void)lun;
	size_t o = feat_header(p, 0x0001, 0x03, 4);
	put_be32(p + o, 1); /* physical interface: SCSI family */
	return o + 4;
}

static size_t f_morphing(const struct scsi_lun *lun, uint8_t *p)
{
	(void)lun;
	size_t o = feat_header(p, 0x0002, 0x03, 4);
	memset(p + o, 0, 4);
	return o + 4;
}

static size_t f_removable(const struct scsi_lun *lun, uint8_t *p)
{
	size_t o = feat_header(p, 0x0003, 0x03, 4);
	memset(p + o, 0, 4);
	p[o] = 0x29 | (lun->prevent_removal ? 0x04 : 0); /* tray, eject, lock */
	return o + 4;
}

static size_t f_random_readable(const struct scsi_lun *lun, uint8_t *p)
{
	size_t o = feat_header(p, 0x0010, lun->medium_absent ? 0x00 : 0x01, 8);
	put_be32(p + o, 2048);
	put_be16(p + o + 4, is_dvd(lun) ? 16 : 1);
	p[o + 6] = 0x01; /* PP: reports errors as they are */
	p[o + 7] = 0;
	return o + 8;
}

static size_t f_cd_read(const struct scsi_lun *lun, uint8_t *p)
{
	size_t o = feat_header(p, 0x001e, lun->medium_absent ? 0x00 : 0x01, 4);
	memset(p + o, 0, 4);
	return o + 4;
}

static size_t f_dvd_read(const struct scsi_lun *lun, uint8_t *p)
{
	return feat_header(p, 0x001f, lun->medium_absent ? 0x00 : 0x01, 0);
}

static size_t f_power(const struct scsi_lun *lun, uint8_t *p)
{
	(void)lun;
	return feat_header(p, 0x0100, 0x03, 0);
}

static size_t f_timeout(const struct scsi_lun *lun, uint8_t *p)
{
	(void)lun;
	size_t o = feat_header(p, 0x0105, 0x03, 4);
	memset(p + o, 0, 4);
	return o + 4;
}

static void get_configuration(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res)
{
	uint8_t rt = cdb[1] & 0x03;
	uint16_t start = get_be16(cdb + 2);
	size_t alloc = get_be16(cdb + 7), o = 8;
	uint8_t *b = res->buf;
	const struct feature features[] = {
	    {0x0000, true, f_profiles},	       {0x0001, true, f_core},
	    {0x0002, true, f_morphing},	       {0x0003, true, f_removable},
	    {0x0010, true, f_random_readable}, {0x001e, !is_dvd(lun), f_cd_read},
	    {0x001f, is_dvd(lun), f_dvd_read}, {0x0100, true, f_power},
	    {0x0105, true, f_timeout},
	};

	if (rt == 3) {
		bad_field(res, 1);
		return;
	}
	memset(b, 0, 256);
	put_be16(b + 6, current_profile(lun));
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		const struct feature *f = &features[i];
		/* Features this drive does not have are left out, whatever RT says. */
		if (f->code == 0x001e && is_dvd(lun))
			continue;
		if (f->code == 0x001f && !is_dvd(lun))
			continue;
		if (rt == 2 ? f->code != start : f->code < start)
			continue;
		if (rt == 1 && !f->current)
			continue;
		o += f->fill(lun, b + o);
	}
	put_be32(b, (uint32_t)(o - 4)); /* the full length, even when alloc cuts it */
	done(res, o, alloc);
}

static void get_event_status(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res)
{
	size_t alloc = get_be16(cdb + 7);
	uint8_t *b = res->buf;

	if (!(cdb[1] & 0x01)) { /* only polled operation */
		bad_field(res, 1);
		return;
	}
	memset(b, 0, 8);
	b[3] = 0x10; /* supported: media events */
	if (!(cdb[4] & 0x10)) {
		put_be16(b, 2);
		b[2] = 0x80; /* NEA: no event of a requested class is available */
		done(res, 4, alloc);
		return;
	}
	put_be16(b, 6);
	b[2] = 0x04; /* media class */
	b[4] = 0x00; /* no change: the disc never changes under a session */
	b[5] = lun->medium_absent ? 0x00 : 0x02; /* media present, door closed */
	done(res, 8, alloc);
}

static void read_disc_information(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res)
{
	size_t alloc = get_be16(cdb + 7);
	uint8_t *b = res->buf;

	(void)lun;
	if (cdb[1] & 0x07) { /* only standard disc information */
		bad_field(res, 1);
		return;
	}
	memset(b, 0, 34);
	put_be16(b, 32);
	b[2] = 0x0e;		 /* last session complete, disc finalized, not erasable */
	b[3] = 1;		 /* first track */
	b[4] = 1;		 /* sessions */
	b[5] = 1;		 /* first track of the last session */
	b[6] = 1;		 /* last track of the last session */
	b[8] = 0x00;		 /* CD-DA or CD-ROM */
	memset(b + 16, 0xff, 8); /* lead-in and lead-out of a finished disc: none left */
	done(res, 34, alloc);
}

static void read_track_information(struct scsi_lun *lun, const uint8_t *cdb,
				   struct scsi_result *res)
{
	uint8_t type = cdb[1] & 0x03;
	uint32_t addr = get_be32(cdb + 2);
	size_t alloc = get_be16(cdb + 7);
	uint8_t *b = res->buf;

	if ((type == 0 && addr >= lun->blocks) || (type == 1 && addr != 1) ||
	    (type == 2 && addr != 1) || type == 3) {
		bad_field(res, type == 3 ? 1 : 2);
		return;
	}
	memset(b, 0, 48);
	put_be16(b, 46);
	b[2] = 1;    /* track */
	b[3] = 1;    /* session */
	b[5] = 0x04; /* data track, recorded uninterrupted */
	b[6] = 0x01; /* data mode 1 */
	b[7] = 0x02; /* last recorded address valid */
	put_be32(b + 24, (uint32_t)lun->blocks);
	put_be32(b + 28, (uint32_t)(lun->blocks ? lun->blocks - 1 : 0));
	done(res, 48, alloc);
}

static void read_disc_structure(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res)
{
	uint8_t layer = cdb[6], format = cdb[7];
	size_t alloc = get_be16(cdb + 8);
	uint8_t *b = res->buf;

	if (!is_dvd(lun) && format != 0xff) {
		scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, 0x3002); /* incompatible medium */
		return;
	}
	memset(b, 0, 2052);
	switch (format) {
	case 0x00: /* physical format information */
		if (layer) {
			bad_field(res, 6);
			return;
		}
		put_be16(b, 2050);
		b[4] = 0x01; /* DVD-ROM, part version 1 */
		b[5] = 0x02; /* 120 mm, 10.08 Mbit/s */
		b[6] = 0x01; /* one layer, embossed */
		put_be32(b + 8, 0x030000);
		put_be32(b + 12, (uint32_t)(0x030000 + lun->blocks - 1));
		done(res, 2052, alloc);
		return;
	case 0x01: /* copyright: no protection, all regions */
		if (layer) {
			bad_field(res, 6);
			return;
		}
		put_be16(b, 6);
		done(res, 8, alloc);
		return;
	case 0xff: /* the list of structures we return */
		put_be16(b, 10);
		b[4] = 0x00;
		b[5] = 0x40;
		put_be16(b + 6, 2052);
		b[8] = 0x01;
		b[9] = 0x40;
		put_be16(b + 10, 8);
		done(res, 12, alloc);
		return;
	default:
		bad_field(res, 7);
		return;
	}
}

static void mechanism_status(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res)
{
	size_t alloc = get_be16(cdb + 8);

	(void)lun;
	memset(res->buf, 0, 8); /* idle, no changer, door closed, no slots */
	done(res, 8, alloc);
}

bool scsi_mmc_handles(uint8_t opcode)
{
	switch (opcode) {
	case SCSI_OP_READ_TOC_PMA_ATIP:
	case SCSI_OP_GET_CONFIGURATION:
	case SCSI_OP_GET_EVENT_STATUS_NOTIFICATION:
	case SCSI_OP_READ_DISC_INFORMATION:
	case SCSI_OP_READ_TRACK_INFORMATION:
	case SCSI_OP_READ_DISC_STRUCTURE:
	case SCSI_OP_SET_STREAMING:
	case SCSI_OP_SET_CD_SPEED:
	case SCSI_OP_MECHANISM_STATUS:
		return true;
	default:
		return false;
	}
}

void scsi_mmc_execute(struct scsi_lun *lun, const uint8_t *cdb, struct scsi_result *res)
{
	switch (cdb[0]) {
	case SCSI_OP_READ_TOC_PMA_ATIP:
		read_toc(lun, cdb, res);
		return;
	case SCSI_OP_GET_CONFIGURATION:
		get_configuration(lun, cdb, res);
		return;
	case SCSI_OP_GET_EVENT_STATUS_NOTIFICATION:
		get_event_status(lun, cdb, res);
		return;
	case SCSI_OP_READ_DISC_INFORMATION:
		read_disc_information(lun, cdb, res);
		return;
	case SCSI_OP_READ_TRACK_INFORMATION:
		read_track_information(lun, cdb, res);
		return;
	case SCSI_OP_READ_DISC_STRUCTURE:
		read_disc_structure(lun, cdb, res);
		return;
	case SCSI_OP_SET_STREAMING:
	case SCSI_OP_SET_CD_SPEED: /* reads are as fast as the network */
		return;
	case SCSI_OP_MECHANISM_STATUS:
		mechanism_status(lun, cdb, res);
		return;
	default:
		scsi_set_sense(res, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
	}
}
