/* SPDX-License-Identifier: MIT */
/*
 * Test tool: reads a LUN (or a range of it) through libiscsi, an independent initiator, and
 * prints the SHA-256 of what it read, so that tests can compare it with the image file.
 *   iscsi-sha256 [--digest] [--lba LBA --blocks N] [--chunk BLOCKS] iscsi://host:port/iqn/lun
 * Prints "<hex> <bytes> <block size> <blocks in the LUN>".
 */
#include <getopt.h>
#include <inttypes.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"lba", required_argument, NULL, 'l'},
	    {"blocks", required_argument, NULL, 'n'},
	    {"chunk", required_argument, NULL, 'c'},
	    {"digest", no_argument, NULL, 'd'},
	    {0},
	};
	uint64_t lba = 0, count = UINT64_MAX, chunk = 0;
	int c, digest = 0;

	while ((c = getopt_long(argc, argv, "l:n:c:d", opts, NULL)) >= 0) {
		switch (c) {
		case 'l':
			lba = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			chunk = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			digest = 1;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: iscsi-sha256 [--digest] [--lba L --blocks N] URL\n");
		return 2;
	}
	struct iscsi_context *iscsi = iscsi_create_context("iqn.2025-01.org.isoboot:test-sha256");
	struct iscsi_url *url = iscsi ? iscsi_parse_full_url(iscsi, argv[optind]) : NULL;
	if (!url) {
		fprintf(stderr, "bad URL: %s\n", iscsi ? iscsi_get_error(iscsi) : "no context");
		return 1;
	}
	iscsi_set_targetname(iscsi, url->target);
	iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(iscsi,
				digest ? ISCSI_HEADER_DIGEST_CRC32C : ISCSI_HEADER_DIGEST_NONE);
	if (iscsi_full_connect_sync(iscsi, url->portal, url->lun) != 0) {
		fprintf(stderr, "login failed: %s\n", iscsi_get_error(iscsi));
		return 1;
	}
	struct scsi_task *t = iscsi_readcapacity16_sync(iscsi, url->lun);
	if (!t || t->status != SCSI_STATUS_GOOD) {
		fprintf(stderr, "READ CAPACITY(16) failed: %s\n", iscsi_get_error(iscsi));
		return 1;
	}
	struct scsi_readcapacity16 *rc = scsi_datain_unmarshall(t);
	uint32_t bs = rc->block_length;
	uint64_t nblocks = rc->returned_lba + 1;
	scsi_free_scsi_task(t);
	if (count == UINT64_MAX)
		count = nblocks - lba;
	if (!chunk)
		chunk = (1u << 20) / bs;

	struct sha256_ctx ctx;
	sha256_init(&ctx);
	uint64_t bytes = 0;
	for (uint64_t done = 0; done < count;) {
		uint64_t n = count - done < chunk ? count - done : chunk;
		t = iscsi_read16_sync(iscsi, url->lun, lba + done, (uint32_t)(n * bs), bs, 0, 0, 0,
				      0, 0);
		if (!t || t->status != SCSI_STATUS_GOOD || t->datain.size != (int)(n * bs)) {
			fprintf(stderr, "READ(16) at %" PRIu64 " failed: %s\n", lba + done,
				iscsi_get_error(iscsi));
			return 1;
		}
		sha256_update(&ctx, (size_t)t->datain.size, t->datain.data);
		bytes += (uint64_t)t->datain.size;
		scsi_free_scsi_task(t);
		done += n;
	}
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++)
		printf("%02x", d[i]);
	printf(" %" PRIu64 " %u %" PRIu64 "\n", bytes, bs, nblocks);
	iscsi_logout_sync(iscsi);
	iscsi_destroy_url(url);
	iscsi_destroy_context(iscsi);
	return 0;
}
