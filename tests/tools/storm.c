/* SPDX-License-Identifier: MIT */
/*
 * Test and benchmark tool: a classroom powering on at once. Starts N iSCSI sessions (libiscsi,
 * an independent initiator) and M HTTP clients (plain sockets, keep-alive, each from its own
 * 127.0.0.x address as each PC of a lab has its own), all released together, each reading random
 * ranges of several images; every byte is compared with the image file.
 *
 *   storm [--iscsi PORTAL --sessions N] [--http HOST:PORT --clients M] [--reads R]
 *         [--max-read BYTES] [--seed S] IMAGE...
 *   IMAGE is FILE,IQN,URLPATH (IQN or URLPATH may be empty when that protocol is not used).
 *
 * Prints one line per protocol, then a "storm:" summary line, for scripts:
 *   iscsi clients=N ok=N errors=N bytes=B seconds=S mbps=X slowest=S
 *   http  clients=M ok=M errors=N bytes=B seconds=S mbps=X slowest=S
 * Exits 0 only when every client finished every read with the right bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_IMAGES 16
#define BLOCK 2048u

struct image {
	const char *file, *iqn, *url;
	int fd;
	uint64_t size;
};

struct options {
	const char *portal;
	char http_host[64];
	int http_port;
	unsigned sessions, clients, reads;
	uint32_t max_read;
	uint64_t seed;
	struct image img[MAX_IMAGES];
	unsigned n_img;
};

struct client {
	const struct options *o;
	unsigned index;
	bool http;
	uint64_t rng;
	uint64_t bytes;
	double seconds, end;
	bool ok, waited;
	char error[256];
	pthread_t thread;
};

static pthread_barrier_t start_line, all_connected;
static double connected_at;
static atomic_uint failures_reported;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t next_rand(uint64_t *s)
{
	/* splitmix64: reproducible from --seed, independent per client */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void set_error(struct client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	c->ok = false;
}

/* A random block-aligned range of the image: [*off, *off + *len). */
static void pick_range(struct client *c, const struct image *im, uint64_t *off, uint32_t *len)
{
	uint64_t blocks = im->size / BLOCK;
	uint64_t max_blocks = c->o->max_read / BLOCK;
	uint64_t n = 1 + next_rand(&c->rng) % max_blocks;
	if (n > blocks)
		n = blocks;
	uint64_t lba = next_rand(&c->rng) % (blocks - n + 1);
	*off = lba * BLOCK;
	*len = (uint32_t)(n * BLOCK);
}

/*
 * Every client waits here once, connected (logged in) or failed, so that all the sessions are
 * open at the same time before any reads: a storm, not a queue.
 */
static void wait_all_connected(struct client *c)
{
	if (c->waited)
		return;
	c->waited = true;
	if (pthread_barrier_wait(&all_connected) == PTHREAD_BARRIER_SERIAL_THREAD)
		connected_at = now_s();
}

static bool same_as_file(struct client *c, const struct image *im, uint64_t off, const void *data,
			 uint32_t len, unsigned char *expect)
{
	ssize_t r = pread(im->fd, expect, len, (off_t)off);
	if (r != (ssize_t)len) {
		set_error(c, "%s: cannot read %u bytes at %" PRIu64 " of the file", im->file, len,
			  off);
		return false;
	}
	if (memcmp(expect, data, len) != 0) {
		set_error(c, "%s: wrong bytes in %u at %" PRIu64, im->file, len, off);
		return false;
	}
	return true;
}

static void iscsi_client(struct client *c)
{
	const struct options *o = c->o;
	const struct image *im = &o->img[c->index % o->n_img];
	char initiator[96];
	snprintf(initiator, sizeof(initiator), "iqn.2025-01.org.isoboot:storm-%u", c->index);
	struct iscsi_context *iscsi = iscsi_create_context(initiator);
	unsigned char *expect = malloc(o->max_read);
	if (!iscsi || !expect) {
		set_error(c, "out of memory");
		goto out;
	}
	iscsi_set_targetname(iscsi, im->iqn);
	iscsi_set_session_type(iscsi, ISCSI_SESSION_NORMAL);
	iscsi_set_header_digest(iscsi, ISCSI_HEADER_DIGEST_NONE);
	if (iscsi_full_connect_sync(iscsi, o->portal, 0) != 0) {
		set_error(c, "login to %s failed: %s", im->iqn, iscsi_get_error(iscsi));
		goto out;
	}
	wait_all_connected(c);
	for (unsigned i = 0; i < o->reads; i++) {
		uint64_t off;
		uint32_t len;
		pick_range(c, im, &off, &len);
		struct scsi_task *t =
		    iscsi_read16_sync(iscsi, 0, off / BLOCK, len, BLOCK, 0, 0, 0, 0, 0);
		if (!t || t->status != SCSI_STATUS_GOOD || t->datain.size != (int)len) {
			set_error(c, "READ(16) of %u at %" PRIu64 " failed: %s", len, off,
				  iscsi_get_error(iscsi));
			if (t)
				scsi_free_scsi_task(t);
			goto out;
		}
		bool same = same_as_file(c, im, off, t->datain.data, len, expect);
		scsi_free_scsi_task(t);
		if (!same)
			goto out;
		c->bytes += len;
	}
	iscsi_logout_sync(iscsi);
out:
	wait_all_connected(c);
	if (iscsi)
		iscsi_destroy_context(iscsi);
	free(expect);
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Reads the response head into buf (NUL-terminated); any body bytes after it are in *extra. */
static ssize_t read_head(int fd, char *buf, size_t cap, size_t *extra)
{
	size_t have = 0;
	for (;;) {
		if (have + 1 >= cap)
			return -1;
		ssize_t r = recv(fd, buf + have, cap - 1 - have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end) {
			size_t head = (size_t)(end - buf) + 4;
			*extra = have - head;
			return (ssize_t)head;
		}
	}
}

static const char *header_value(const char *head, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
			return p + 3 + n + strspn(p + 3 + n, " ");
	return NULL;
}

static void http_client(struct client *c)
{
	const struct options *o = c->o;
	const struct image *im = &o->img[c->index % o->n_img];
	unsigned char *body = malloc(o->max_read), *expect = malloc(o->max_read);
	char head[4096];
	int fd = -1;
	if (!body || !expect) {
		set_error(c, "out of memory");
		goto out;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in src = {.sin_family = AF_INET};
	/* 127.0.0.10 on: a lab's PCs each have their own address */
	src.sin_addr.s_addr = htonl(0x7f00000au + (c->index % 240));
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->http_port)};
	if (fd < 0 || inet_pton(AF_INET, o->http_host, &dst.sin_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		set_error(c, "connect to %s:%d: %s", o->http_host, o->http_port, strerror(errno));
		goto out;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	wait_all_connected(c);
	for (unsigned i = 0; i < o->reads; i++) {
		uint64_t off;
		uint32_t len;
		pick_range(c, im, &off, &len);
		char req[1024];
		int n = snprintf(req, sizeof(req),
				 "GET %s HTTP/1.1\r\nHost: %s\r\nRange: bytes=%" PRIu64 "-%" PRIu64
				 "\r\nUser-Agent: isoboot-storm\r\n\r\n",
				 im->url, o->http_host, off, off + len - 1);
		if (n <= 0 || (size_t)n >= sizeof(req) || !write_all(fd, req, (size_t)n)) {
			set_error(c, "sending request %u: %s", i, strerror(errno));
			goto out;
		}
		size_t extra = 0;
		ssize_t hl = read_head(fd, head, sizeof(head), &extra);
		if (hl < 0) {
			set_error(c, "no response head for request %u", i);
			goto out;
		}
		const char *cl = header_value(head, "Content-Length");
		const char *cr = header_value(head, "Content-Range");
		char want_cr[96];
		snprintf(want_cr, sizeof(want_cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off,
			 off + len - 1, im->size);
		if (strncmp(head, "HTTP/1.1 206 ", 13) != 0 || !cl ||
		    strtoull(cl, NULL, 10) != len || !cr ||
		    strncmp(cr, want_cr, strlen(want_cr)) != 0) {
			set_error(c, "request %u for %s: unexpected head: %.*s", i, want_cr,
				  (int)strcspn(head, "\r"), head);
			goto out;
		}
		if (extra > len) {
			set_error(c, "request %u: more bytes than the range", i);
			goto out;
		}
		memcpy(body, head + hl, extra);
		for (size_t got = extra; got < len;) {
			ssize_t r = recv(fd, body + got, len - got, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				set_error(c, "request %u: body ended after %zu of %u bytes", i, got,
					  len);
				goto out;
			}
			got += (size_t)r;
		}
		if (!same_as_file(c, im, off, body, len, expect))
			goto out;
		c->bytes += len;
	}
out:
	wait_all_connected(c);
	if (fd >= 0)
		close(fd);
	free(body);
	free(expect);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	c->ok = true;
	pthread_barrier_wait(&start_line);
	double t0 = now_s();
	if (c->http)
		http_client(c);
	else
		iscsi_client(c);
	c->end = now_s();
	c->seconds = c->end - t0;
	/* a few failures tell what went wrong; hundreds of the same line would not */
	if (!c->ok && atomic_fetch_add(&failures_reported, 1) < 10)
		fprintf(stderr, "storm: %s client %u: %s\n", c->http ? "http" : "iscsi", c->index,
			c->error);
	return NULL;
}

static int parse_image(struct image *im, char *spec)
{
	char *iqn = strchr(spec, ',');
	char *url = iqn ? strchr(iqn + 1, ',') : NULL;
	if (!url)
		return -EINVAL;
	*iqn++ = '\0';
	*url++ = '\0';
	im->file = spec;
	im->iqn = iqn;
	im->url = url;
	im->fd = open(spec, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (im->fd < 0 || fstat(im->fd, &st) != 0)
		return -errno;
	im->size = (uint64_t)st.st_size;
	return im->size >= BLOCK ? 0 : -EINVAL;
}

static void report(const char *kind, const struct client *cl, unsigned n, double t0)
{
	unsigned ok = 0;
	uint64_t bytes = 0;
	double slowest = 0, wall = 0;
	for (unsigned i = 0; i < n; i++) {
		ok += cl[i].ok;
		bytes += cl[i].bytes;
		if (cl[i].seconds > slowest)
			slowest = cl[i].seconds;
		if (cl[i].end - t0 > wall)
			wall = cl[i].end - t0;
	}
	printf("%-5s clients=%u ok=%u errors=%u bytes=%" PRIu64 " seconds=%.2f mbps=%.1f "
	       "slowest=%.2f\n",
	       kind, n, ok, n - ok, bytes, wall, wall > 0 ? (double)bytes / wall / 1e6 : 0.0,
	       slowest);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"iscsi", required_argument, NULL, 'i'}, {"sessions", required_argument, NULL, 's'},
	    {"http", required_argument, NULL, 'h'},  {"clients", required_argument, NULL, 'c'},
	    {"reads", required_argument, NULL, 'r'}, {"max-read", required_argument, NULL, 'm'},
	    {"seed", required_argument, NULL, 'S'},  {0},
	};
	struct options o = {.reads = 8, .max_read = 256u << 10, .seed = 1};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
		switch (c) {
		case 'i':
			o.portal = optarg;
			break;
		case 's':
			o.sessions = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h': {
			const char *colon = strrchr(optarg, ':');
			if (!colon || (size_t)(colon - optarg) >= sizeof(o.http_host))
				return 2;
			memcpy(o.http_host, optarg, (size_t)(colon - optarg));
			o.http_port = atoi(colon + 1);
			break;
		}
		case 'c':
			o.clients = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o.reads = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			o.max_read = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'S':
			o.seed = strtoull(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (optind == argc || argc - optind > MAX_IMAGES || o.max_read < BLOCK ||
	    (o.sessions && !o.portal) || (o.clients && !o.http_port) ||
	    o.sessions + o.clients == 0) {
		fprintf(stderr, "usage: storm [--iscsi PORTAL --sessions N] [--http HOST:PORT "
				"--clients M] [--reads R] [--max-read BYTES] FILE,IQN,URL...\n");
		return 2;
	}
	o.max_read -= o.max_read % BLOCK;
	for (int i = optind; i < argc; i++) {
		int r = parse_image(&o.img[o.n_img], argv[i]);
		if (r < 0) {
			fprintf(stderr, "storm: %s: %s\n", argv[i], strerror(-r));
			return 2;
		}
		o.n_img++;
	}

	unsigned total = o.sessions + o.clients;
	struct client *cl = calloc(total, sizeof(*cl));
	if (!cl || pthread_barrier_init(&start_line, NULL, total + 1) != 0 ||
	    pthread_barrier_init(&all_connected, NULL, total) != 0)
		return 1;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256u << 10);
	for (unsigned i = 0; i < total; i++) {
		cl[i] = (struct client){.o = &o, .http = i >= o.sessions};
		cl[i].index = cl[i].http ? i - o.sessions : i;
		cl[i].rng = o.seed * 1000003u + i;
		if (pthread_create(&cl[i].thread, &attr, client_main, &cl[i]) != 0) {
			fprintf(stderr, "storm: cannot start client %u\n", i);
			return 1;
		}
	}
	double t0 = now_s();
	pthread_barrier_wait(&start_line);
	for (unsigned i = 0; i < total; i++)
		pthread_join(cl[i].thread, NULL);
	unsigned bad = 0;
	if (o.sessions)
		report("iscsi", cl, o.sessions, t0);
	if (o.clients)
		report("http", cl + o.sessions, o.clients, t0);
	uint64_t bytes = 0;
	for (unsigned i = 0; i < total; i++) {
		bad += !cl[i].ok;
		bytes += cl[i].bytes;
	}
	double wall = now_s() - t0;
	printf("connected: all %u clients at once after %.2f s\n", total, connected_at - t0);
	printf("storm: %u clients, %u errors, %" PRIu64 " bytes compared in %.2f s (%.1f MB/s)\n",
	       total, bad, bytes, wall, (double)bytes / wall / 1e6);
	free(cl);
	for (unsigned i = 0; i < o.n_img; i++)
		close(o.img[i].fd);
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&start_line);
	pthread_barrier_destroy(&all_connected);
	return bad ? 1 : 0;
}
