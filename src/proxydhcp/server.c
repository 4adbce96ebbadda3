/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "dhcp.h"
#include "log.h"
#include "proxy.h"
#include "util.h"

/* Packets handled per socket before the others get their turn. */
#define BATCH 64

static int socket_port(int fd, uint16_t *port, int *family)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return neg_errno();
	*family = ss.ss_family;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		return -EAFNOSUPPORT;
	return 0;
}

int proxy_sockets_setup(const int *fds, size_t n)
{
	int one = 1;

	if (n > PROXY_MAX_SOCKETS)
		return log_error_errno(-E2BIG, "More than %d sockets", PROXY_MAX_SOCKETS);
	for (size_t i = 0; i < n; i++) {
		uint16_t port;
		int family, v6only = 0;
		socklen_t l = sizeof(v6only);
		int r = socket_port(fds[i], &port, &family);

		if (r < 0)
			return log_error_errno(r, "Socket %zu is not an IP socket", i);
		if (family == AF_INET6 &&
		    (getsockopt(fds[i], IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &l) < 0 || v6only))
			return log_error_errno(-EAFNOSUPPORT,
					       "Socket on port %u is IPv6-only; DHCPv4 needs "
					       "0.0.0.0:%u or a dual-stack [::]:%u",
					       port, port, port);
		/* IP_PKTINFO tells which interface, and so which of our addresses, a broadcast
		 * arrived on; on a dual-stack socket it applies to the IPv4 packets. */
		if (setsockopt(fds[i], IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
			return log_error_errno(neg_errno(), "Cannot enable IP_PKTINFO on port %u",
					       port);
		if (setsockopt(fds[i], SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
			return log_error_errno(neg_errno(), "Cannot enable broadcasts on port %u",
					       port);
		log_debug("Socket %zu: port %u (%s)", i, port,
			  port == DHCP_PXE_PORT ? "PXE requests" : "DHCP broadcasts");
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct server {
	const struct isoboot_config *cfg;
	struct proxy_seen seen;
	bool sbnext_warned; /* a choice could not be read (sbnext.h): said once */
};

struct packet {
	int fd;
	int family; /* of the socket */
	enum proxy_port port;
	int ifindex;
	char ifname[IF_NAMESIZE];
	uint32_t local;	   /* host order */
	uint32_t src;	   /* host order */
	uint16_t src_port; /* host order */
	char src_text[INET_ADDRSTRLEN];
};

static void ipv4_text(uint32_t a, char *buf, size_t size)
{
	struct in_addr in = {.s_addr = htonl(a)};

	if (!inet_ntop(AF_INET, &in, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

/* Where the reply goes (RFC 2131 4.1, PXE 2.1 2.2). Host order. */
static void reply_destination(const struct packet *p, const struct dhcp_request *req,
			      uint32_t *addr, uint16_t *port, bool *broadcast)
{
	*broadcast = false;
	if (p->port == PROXY_PORT_PXE && p->src != 0) {
		/* The client has its address and waits on the port it sent from. */
		*addr = p->src;
		*port = p->src_port;
	} else if (req->giaddr != 0) {
		*addr = req->giaddr;
		*port = DHCP_SERVER_PORT;
	} else {
		/* No address yet: only a broadcast reaches it without raw sockets. */
		*addr = INADDR_BROADCAST;
		*port = DHCP_CLIENT_PORT;
		*broadcast = true;
	}
}

static int send_reply(const struct packet *p, const struct dhcp_request *req, const uint8_t *buf,
		      size_t len, char *dest_text, size_t dest_size, uint16_t *dest_port)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} control = {0};
	struct sockaddr_storage ss = {0};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {
	    .msg_name = &ss,
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf),
	};
	uint32_t addr;
	uint16_t port;
	bool broadcast;

	reply_destination(p, req, &addr, &port, &broadcast);
	ipv4_text(addr, dest_text, dest_size);
	*dest_port = port;
	if (p->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		put_be32(&s6->sin6_addr.s6_addr[12], addr);
		mh.msg_namelen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(addr);
		mh.msg_namelen = sizeof(*s4);
	}
	/* Out of the interface the request came in on, from our address there: a broadcast has
	 * no route to pick an interface by, and the client checks the server identifier. */
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi = {
	    .ipi_ifindex = broadcast ? p->ifindex : 0,
	    .ipi_spec_dst.s_addr = htonl(p->local),
	};
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));

	for (int tries = 0; tries < 3; tries++) {
		ssize_t n = sendmsg(p->fd, &mh, MSG_DONTWAIT);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return neg_errno();
	}
	return -EINTR;
}

/* "arch 7, x86-64 UEFI", "arch 12" or "arch unknown". */
static void arch_text(const struct proxy_decision *d, char *buf, size_t size)
{
	const char *name = d->has_arch ? dhcp_arch_name(d->arch) : NULL;

	if (!d->has_arch)
		snprintf(buf, size, "arch unknown");
	else if (name)
		snprintf(buf, size, "arch %u, %s", d->arch, name);
	else
		snprintf(buf, size, "arch %u", d->arch);
}

static const char *client_kind(const struct proxy_decision *d)
{
	return d->ipxe ? "iPXE" : d->http ? "HTTP Boot" : "PXE";
}

static void log_answer(struct server *s, const struct packet *p, const struct dhcp_request *req,
		       const struct proxy_decision *d, const char *dest, uint16_t dest_port)
{
	char mac[18], arch[8], adesc[48], next[INET_ADDRSTRLEN], tbuf[32];
	const char *reply = dhcp_msg_type_name(d->reply.msg_type, tbuf, sizeof(tbuf));
	const char *aname = d->has_arch ? dhcp_arch_name(d->arch) : NULL;
	int prio = LOG_INFO;

	dhcp_format_mac(req, mac);
	snprintf(arch, sizeof(arch), "%u", d->arch);
	arch_text(d, adesc, sizeof(adesc));
	ipv4_text(d->reply.siaddr, next, sizeof(next));
	if (proxy_seen_check(&s->seen, req->chaddr, req->xid, d->reply.msg_type, now_ms()))
		prio = LOG_DEBUG;
	const struct log_field fields[] = {
	    {"ISOBOOT_EVENT", "answered"},
	    {"ISOBOOT_MAC", mac},
	    {"ISOBOOT_ARCH", d->has_arch ? arch : "unknown"},
	    {"ISOBOOT_FIRMWARE", d->ipxe ? "iPXE"
				 : aname ? aname
					 : "unknown"},
	    {"ISOBOOT_BOOT", d->boot},
	    {"ISOBOOT_NEXT_SERVER", next},
	    {"ISOBOOT_INTERFACE", p->ifname},
	    {"ISOBOOT_DHCP_REPLY", reply},
	    {"ISOBOOT_CLIENT", p->src_text},
	    {NULL, NULL},
	};
	log_full(prio, 0, MSGID_DHCP_ANSWER, fields,
		 "%s client %s (%s) on %s: %s, next-server %s (%s to %s:%u)", client_kind(d), mac,
		 adesc, p->ifname, d->boot, next, reply, dest, dest_port);
}

static void log_not_served(struct server *s, const struct packet *p, const struct dhcp_request *req,
			   const struct proxy_decision *d)
{
	char mac[18], arch[8], adesc[48];
	int prio = LOG_NOTICE;

	dhcp_format_mac(req, mac);
	snprintf(arch, sizeof(arch), "%u", d->arch);
	arch_text(d, adesc, sizeof(adesc));
	/* 0xff: a kind of its own for the retransmission filter, apart from OFFER and ACK. */
	if (proxy_seen_check(&s->seen, req->chaddr, req->xid, 0xff, now_ms()))
		prio = LOG_DEBUG;
	const struct log_field fields[] = {
	    {"ISOBOOT_EVENT", "not-served"},
	    {"ISOBOOT_MAC", mac},
	    {"ISOBOOT_ARCH", d->has_arch ? arch : "unknown"},
	    {"ISOBOOT_INTERFACE", p->ifname},
	    {NULL, NULL},
	};
	log_full(prio, 0, NULL, fields, "%s client %s (%s) on %s not served: %s", client_kind(d),
		 mac, adesc, p->ifname, d->reason);
}

static void handle_packet(struct server *s, struct packet *p, const uint8_t *buf, size_t len)
{
	struct dhcp_request req;
	struct proxy_decision d;
	const char *why;
	char mac[18], tbuf[32];
	uint8_t out[DHCP_MAX_LEN];

	if (dhcp_parse_request(buf, len, &req, &why) < 0) {
		log_debug("Dropped %zu bytes from %s:%u on %s: %s", len, p->src_text, p->src_port,
			  p->ifname, why);
		return;
	}
	struct proxy_origin origin = {
	    .port = p->port,
	    .local_addr = p->local,
	    .ifname = p->ifname,
	    .src_addr = p->src,
	};
	struct sbnext next;
	dhcp_format_mac(&req, mac);
	if (req.htype == 1 && req.hlen == 6) {
		int r = sbnext_get(s->cfg->state_dir, req.chaddr, time(NULL), &next);
		if (r == 0)
			origin.sb_next = &next;
		else if (r != -ENOENT && !s->sbnext_warned) {
			/* Once: every DHCP packet would say it again. */
			log_warning_errno(
			    r, "Cannot read the Secure Boot choice of %s in %s/" SBNEXT_DIR, mac,
			    s->cfg->state_dir);
			s->sbnext_warned = true;
		}
	}
	proxy_decide(s->cfg, &req, &origin, &d);
	switch (d.action) {
	case PROXY_IGNORE:
		log_debug("Ignored %s from %s on %s (port %s): %s",
			  dhcp_msg_type_name(req.msg_type, tbuf, sizeof(tbuf)), mac, p->ifname,
			  p->port == PROXY_PORT_PXE ? "4011" : "67", d.reason);
		return;
	case PROXY_NOT_SERVED:
		log_not_served(s, p, &req, &d);
		return;
	case PROXY_ANSWER:
		break;
	}
	ssize_t n = dhcp_build_reply(&req, &d.reply, out, sizeof(out));
	if (n < 0) {
		log_warning_errno((int)n, "Cannot build the reply to %s", mac);
		return;
	}
	char dest[INET_ADDRSTRLEN];
	uint16_t dest_port = 0;
	int r = send_reply(p, &req, out, (size_t)n, dest, sizeof(dest), &dest_port);
	if (r < 0) {
		/* At most one warning a second: a client can ask as fast as it likes. */
		static time_t warned;
		time_t now = time(NULL);
		if (now != warned)
			log_warning_errno(r, "Cannot send the reply to %s on %s to %s", mac,
					  p->ifname, dest);
		else
			log_debug_errno(r, "Cannot send the reply to %s on %s to %s", mac,
					p->ifname, dest);
		warned = now;
		return;
	}
	log_answer(s, p, &req, &d, dest, dest_port);
	/* Used: from now on only this request's retransmissions get the ISO (sbnext.h). */
	if (d.sb_next_answered && !next.used) {
		r = sbnext_put(s->cfg->state_dir, req.chaddr, next.id, true);
		if (r < 0)
			log_warning_errno(
			    r, "Cannot update the Secure Boot choice of %s in %s/" SBNEXT_DIR, mac,
			    s->cfg->state_dir);
		else
			log_info(
			    "%s: UEFI HTTP Boot of the ISO %s's own boot loader, as chosen in the "
			    "Secure Boot menu",
			    mac, next.id);
	}
}

/* Reads one datagram; 1 when one was handled (or dropped), 0 when none is waiting. */
static int receive_one(struct server *s, int fd, int family, enum proxy_port port)
{
	uint8_t buf[DHCP_MAX_LEN + 1];
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + 256];
	} control;
	struct sockaddr_storage ss;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {
	    .msg_name = &ss,
	    .msg_namelen = sizeof(ss),
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = control.buf,
	    .msg_controllen = sizeof(control.buf),
	};
	struct packet p = {.fd = fd, .family = family, .port = port};

	/* MSG_TRUNC: the real length of an oversized datagram, so that it is told apart. */
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		log_debug_errno(neg_errno(), "recvmsg");
		return 0;
	}
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		p.src = ntohl(s4->sin_addr.s_addr);
		p.src_port = ntohs(s4->sin_port);
	} else if (ss.ss_family == AF_INET6 &&
		   IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)&ss)->sin6_addr)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		p.src = get_be32(&s6->sin6_addr.s6_addr[12]);
		p.src_port = ntohs(s6->sin6_port);
	} else {
		log_debug("Dropped a datagram that is not IPv4");
		return 1;
	}
	ipv4_text(p.src, p.src_text, sizeof(p.src_text));
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			p.ifindex = pi.ipi_ifindex;
			/* For a broadcast, the kernel's choice of our address on that interface. */
			p.local = ntohl(pi.ipi_spec_dst.s_addr);
		}
	}
	if (p.ifindex == 0 || !if_indextoname((unsigned)p.ifindex, p.ifname)) {
		/* Under socket activation, the datagram that started us was queued before
		 * IP_PKTINFO was on, unless the socket unit set PassPacketInfo=yes. */
		static bool told;
		log_full(
		    told ? LOG_DEBUG : LOG_NOTICE, 0, NULL, NULL,
		    "Dropped a datagram from %s without packet information (it arrived before "
		    "IP_PKTINFO was on; PassPacketInfo=yes in the socket unit avoids this), the "
		    "client will send it again",
		    p.src_text);
		told = true;
		return 1;
	}
	if ((size_t)n > DHCP_MAX_LEN || (mh.msg_flags & MSG_TRUNC)) {
		log_debug("Dropped %zd bytes from %s:%u on %s: oversized", n, p.src_text,
			  p.src_port, p.ifname);
		return 1;
	}
	handle_packet(s, &p, buf, (size_t)n);
	return 1;
}

int proxy_serve(const struct isoboot_config *cfg, const int *fds, size_t n, int stop_fd)
{
	struct pollfd pfd[PROXY_MAX_SOCKETS + 1];
	int family[PROXY_MAX_SOCKETS];
	enum proxy_port kind[PROXY_MAX_SOCKETS];
	struct server s = {.cfg = cfg};

	if (n > PROXY_MAX_SOCKETS)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		uint16_t port;
		int r = socket_port(fds[i], &port, &family[i]);
		if (r < 0)
			return log_error_errno(r, "getsockname");
		kind[i] = port == DHCP_PXE_PORT ? PROXY_PORT_PXE : PROXY_PORT_DHCP;
		pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
	}
	pfd[n] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
	for (;;) {
		if (poll(pfd, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return log_error_errno(neg_errno(), "poll");
		}
		if (pfd[n].revents)
			return 0;
		for (size_t i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			for (int b = 0; b < BATCH; b++)
				if (receive_one(&s, fds[i], family[i], kind[i]) == 0)
					break;
		}
	}
}
