/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the iSCSI connection engine: PDU framing, login and text key
 * negotiation, and every full-feature-phase handler. The first input byte picks a starting
 * point: a fresh connection, or one already logged in (normal or discovery session, with or
 * without digests), so that the fuzzer reaches deep states at once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../unit/catalog-fixture.h"
#include "catalog.h"
#include "conn.h"
#include "log.h"
#include "pdu.h"
#include "util.h"

#define TARGET "iqn.2025-01.org.isoboot:fuzz-0123456789ab"

static struct catalog cat;
static struct iscsi_env env;
static char dir[] = "/tmp/isoboot-fuzz-XXXXXX";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The image and its folder go when the process ends (libFuzzer and the seed replay alike). */
static void remove_image(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/image.iso", dir);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[256];
	(void)argc;
	(void)argv;
	log_init("fuzz", LOG_TARGET_STDERR);
	log_set_max_level(LOG_CRIT);
	if (!mkdtemp(dir))
		abort();
	atexit(remove_image);
	snprintf(path, sizeof(path), "%s/image.iso", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 64 * 2048 + 1000; i++) /* not a multiple of the block size */
		fputc(i & 0xff, f);
	fclose(f);
	catalog_init(&cat);
	fixture_entry(&cat, "fuzz-0123456789ab", "image.iso", "", "image", "FUZZ"); /* TARGET */
	env = (struct iscsi_env){
	    .catalog = &cat,
	    .iso_dir = dir,
	    .device_type = ISCSI_DEVICE_CDROM,
	    .portal = "192.0.2.1:3260",
	    .client = "fuzz",
	};
	return 0;
}

static int sink_writev(void *ctx, const struct iovec *iov, int n, bool more)
{
	uint8_t *sum = ctx;
	(void)more;
	/* Touch both ends of every buffer, so that ASan sees any out-of-bounds iovec. */
	for (int i = 0; i < n; i++)
		if (iov[i].iov_len)
			*sum ^= ((const uint8_t *)iov[i].iov_base)[0] ^
				((const uint8_t *)iov[i].iov_base)[iov[i].iov_len - 1];
	return 0;
}

static ssize_t sink_sendfile(void *ctx, int fd, uint64_t off, size_t len, bool more)
{
	uint8_t buf[4096];
	size_t done = 0;
	(void)ctx;
	(void)more;
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t r = pread_full(fd, buf, n, off + done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static void feed(struct conn *c, const uint8_t *p, size_t len)
{
	static uint8_t sum;
	struct out_sink sink = {sink_writev, sink_sendfile, &sum};
	int guard = 0;

	while (len && conn_state(c) != CONN_CLOSING) {
		size_t room = conn_rbuf_space(c);
		size_t n = len < room ? len : room;
		if (!n)
			break;
		memcpy(conn_rbuf(c) + conn_rbuf_len(c), p, n);
		conn_received(c, n);
		while (conn_has_output(c) && guard++ < 100000) {
			if (conn_flush(c, &sink) < 0)
				return;
			conn_received(c, 0);
		}
		p += n;
		len -= n;
	}
}

static void login(struct conn *c, const char *keys, size_t len)
{
	uint8_t pdu[ISCSI_BHS_LEN + 512] = {0};
	pdu[BHS_OPCODE] = OP_LOGIN_REQ | BHS_IMMEDIATE;
	pdu[BHS_FLAGS] = LOGIN_TRANSIT | STAGE_OPERATIONAL << 2 | STAGE_FULL_FEATURE;
	pdu_set_dsl(pdu, (uint32_t)len);
	memcpy(pdu + ISCSI_BHS_LEN, keys, len);
	feed(c, pdu, ISCSI_BHS_LEN + pad4(len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char normal[] = "InitiatorName=iqn.f:i\0TargetName=" TARGET
				     "\0MaxRecvDataSegmentLength=512\0MaxBurstLength=1024";
	static const char digests[] =
	    "InitiatorName=iqn.f:i\0TargetName=" TARGET "\0HeaderDigest=CRC32C\0DataDigest=CRC32C";
	static const char discovery[] = "InitiatorName=iqn.f:i\0SessionType=Discovery";

	if (size < 1)
		return 0;
	struct conn *c = conn_new(&env);
	if (!c)
		return 0;
	switch (data[0] & 3) {
	case 1:
		login(c, normal, sizeof(normal));
		break;
	case 2:
		login(c, digests, sizeof(digests));
		break;
	case 3:
		login(c, discovery, sizeof(discovery));
		break;
	default:
		break;
	}
	feed(c, data + 1, size - 1);
	conn_free(c);
	return 0;
}
