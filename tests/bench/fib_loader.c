/*
 * DOC: fib_loader - a raw batched-netlink route loader, the kernel's limit for
 * the FIB benchmark (tests/bench/bench_fib.sh).
 *
 * Benchmark tooling, not part of the product, and deliberately without any
 * library: it writes rtnetlink messages (RFC 3549 2.3.3.2, struct rtmsg with
 * RTA_DST and RTA_GATEWAY or RTA_NH_ID) straight into one large buffer and
 * sends up to -w requests per sendmsg(), each with NLM_F_ACK; the kernel
 * handles them in order and queues one acknowledgement per request, which are
 * read back and counted before the next window goes out (the receive buffer is
 * sized for a window of acknowledgements). It installs N IPv4 routes
 * 100.0.0.0/24, 100.0.1.0/24, ... (the prefixes bgp_inject announces) via one
 * gateway, then deletes them, and prints the time of each phase:
 *
 *   install_s=1.234 install_errors=0 delete_s=0.987 delete_errors=0
 *
 * With -x it first creates one kernel nexthop object (RTM_NEWNEXTHOP, Linux
 * 5.3+) for the gateway and adds the routes with RTA_NH_ID: the kernel's limit
 * for routes sharing a nexthop object. It runs in the caller's network
 * namespace (the harness puts it in one of its own).
 *
 * With -W it only watches: it joins RTNLGRP_IPV4_ROUTE and follows the
 * kernel's RTM_NEWROUTE / RTM_DELROUTE notifications for those N prefixes
 * (any protocol), and RTNLGRP_NEXTHOP's RTM_DELNEXTHOP (the routes through a
 * deleted object leave with it, unannounced), and prints all_present_realtime=SECONDS the first
 * time all N are in the main table and all_gone_realtime=SECONDS when they have all left again,
 * then exits. The harness times the BGP daemons with it: polling a count of a million-route table
 * (/proc/net/fib_triestat walks the trie under rcu_read_lock) would delay the daemons' own route
 * changes, whose trie resizes wait for RCU grace periods. Exits 3 if notifications were lost
 * (ENOBUFS).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define LOADER_MSG_MAX 64          /* bytes of one route request, aligned */
#define LOADER_NH_ID   0x46000001u /* 'F': the loader's nexthop object */

struct loader {
	int fd;
	uint32_t n, window, seq;
	uint8_t proto;
	struct in_addr gw;
	int oif;
	bool nh_object;
	int order;        /* 0 ascending, 1 descending, 2 bit-reversed, 3 scattered in chunks */
	uint32_t chunk;   /* order 3: prefixes per chunk (0: all) */
	unsigned busy_us; /* CPU work between windows, as a daemon's parsing */
	char *buf;
	char rbuf[1 << 16];
};

static double loader_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Append an attribute at *off; returns the new offset. */
static size_t loader_attr(char *msg, size_t off, uint16_t type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)(msg + off);

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	return off + RTA_ALIGN(rta->rta_len);
}

/*
 * The i-th index of the bit-reversed order over the smallest power of two >= n,
 * skipping values >= n (a permutation of 0..n-1, computed on the fly).
 */
static uint32_t loader_bitrev(struct loader *l, uint32_t i)
{
	static uint32_t next_k, next_i;
	unsigned bits = 0;
	uint32_t k, v;

	while ((1u << bits) < l->n)
		bits++;
	if (i == 0)
		next_k = next_i = 0;
	for (k = next_k;; k++) {
		v = 0;
		for (unsigned b = 0; b < bits; b++)
			if (k & (1u << b))
				v |= 1u << (bits - 1 - b);
		if (v < l->n)
			break;
	}
	next_k = k + 1;
	next_i = i + 1;
	return v;
}

/*
 * Scattered within consecutive chunks of l->chunk prefixes: the j-th of a chunk
 * of s is (j * 1000003) mod s, a permutation for any s < 1000003. The order a
 * daemon could use when it has a chunk of arrivals queued.
 */
static uint32_t loader_scatter(const struct loader *l, uint32_t i)
{
	uint32_t c = l->chunk ? l->chunk : l->n, base = i / c * c;
	uint64_t s = l->n - base < c ? l->n - base : c;

	return base + (uint32_t)((uint64_t)(i - base) * 1000003u % s);
}

/* One RTM_NEWROUTE / RTM_DELROUTE for prefix i at p; returns its aligned length. */
static size_t loader_route(struct loader *l, char *p, int cmd, uint32_t i)
{
	struct nlmsghdr *h = (struct nlmsghdr *)p;
	struct rtmsg *rtm = NLMSG_DATA(h);
	uint32_t dst;

	if (l->order == 1)
		i = l->n - 1 - i;
	else if (l->order == 2)
		i = loader_bitrev(l, i);
	else if (l->order == 3)
		i = loader_scatter(l, i);
	dst = htonl(0x64000000u + (i << 8));
	size_t off = NLMSG_LENGTH(sizeof(*rtm));

	memset(p, 0, LOADER_MSG_MAX);
	h->nlmsg_type = (uint16_t)cmd;
	h->nlmsg_flags =
	    NLM_F_REQUEST | NLM_F_ACK | (cmd == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	h->nlmsg_seq = ++l->seq;
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 24;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = l->proto;
	rtm->rtm_scope = cmd == RTM_NEWROUTE ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	rtm->rtm_type = RTN_UNICAST;
	off = loader_attr(p, off, RTA_DST, &dst, 4);
	if (cmd == RTM_NEWROUTE && l->nh_object) {
		uint32_t id = LOADER_NH_ID;

		off = loader_attr(p, off, RTA_NH_ID, &id, 4);
	} else if (cmd == RTM_NEWROUTE) {
		off = loader_attr(p, off, RTA_GATEWAY, &l->gw, 4);
	}
	h->nlmsg_len = (uint32_t)off;
	return NLMSG_ALIGN(off);
}

/*
 * Read acknowledgements until `want` arrived; count the errors. Returns 0 or
 * -errno if the socket failed (ENOBUFS: acknowledgements were lost).
 */
static int loader_acks(struct loader *l, uint32_t want, uint32_t *errors)
{
	uint32_t got = 0;

	while (got < want) {
		ssize_t r = recv(l->fd, l->rbuf, sizeof(l->rbuf), 0);
		struct nlmsghdr *h;
		size_t left;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		left = (size_t)r;
		for (h = (struct nlmsghdr *)l->rbuf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			got++;
			if (e->error) {
				if (*errors < 3)
					fprintf(stderr, "fib_loader: request %u: %s\n",
					        h->nlmsg_seq, strerror(-e->error));
				(*errors)++;
			}
		}
	}
	return 0;
}

/* All N routes of one command, window by window. */
static int loader_phase(struct loader *l, int cmd, uint32_t *errors)
{
	uint32_t i = 0;
	int rc;

	while (i < l->n) {
		uint32_t w = l->n - i < l->window ? l->n - i : l->window, k;
		size_t len = 0;

		for (k = 0; k < w; k++)
			len += loader_route(l, l->buf + len, cmd, i + k);
		if (send(l->fd, l->buf, len, 0) != (ssize_t)len)
			return -errno;
		rc = loader_acks(l, w, errors);
		if (rc < 0)
			return rc;
		i += w;
		if (l->busy_us) {
			double until = loader_now() + l->busy_us / 1e6;

			while (loader_now() < until)
				;
		}
	}
	return 0;
}

/* RTM_NEWNEXTHOP / RTM_DELNEXTHOP for the loader's one object. */
static int loader_nexthop(struct loader *l, int cmd)
{
	char msg[128] = {0};
	struct nlmsghdr *h = (struct nlmsghdr *)msg;
	struct nhmsg *nhm = NLMSG_DATA(h);
	uint32_t id = LOADER_NH_ID, oif = (uint32_t)l->oif, errors = 0;
	size_t off = NLMSG_LENGTH(sizeof(*nhm));
	int rc;

	h->nlmsg_type = (uint16_t)cmd;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (cmd == RTM_NEWNEXTHOP ? NLM_F_CREATE : 0);
	h->nlmsg_seq = ++l->seq;
	off = loader_attr(msg, off, NHA_ID, &id, 4);
	if (cmd == RTM_NEWNEXTHOP) {
		/* A deletion names the id only (nothing else in the header). */
		nhm->nh_family = AF_INET;
		nhm->nh_protocol = l->proto;
		off = loader_attr(msg, off, NHA_OIF, &oif, 4);
		off = loader_attr(msg, off, NHA_GATEWAY, &l->gw, 4);
	}
	h->nlmsg_len = (uint32_t)off;
	if (send(l->fd, msg, off, 0) != (ssize_t)off)
		return -errno;
	rc = loader_acks(l, 1, &errors);
	return rc < 0 ? rc : errors ? -EINVAL : 0;
}

static int loader_open(struct loader *l)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int one = 1, size = 32 << 20;

	l->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	/* Room for a window of acknowledgements (about 1 KiB of buffer each). */
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(l->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/* Errors without a copy of the request. */
	(void)setsockopt(l->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	l->buf = malloc((size_t)l->window * LOADER_MSG_MAX);
	return l->buf ? 0 : -ENOMEM;
}

static void loader_print_time(const char *key)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%s=%lld.%09ld\n", key, (long long)ts.tv_sec, ts.tv_nsec);
	fflush(stdout);
}

/* The index of a /24 among the N prefixes, or -1; *nh_id: its RTA_NH_ID (0: none). */
static long loader_index(const struct loader *l, struct nlmsghdr *h, uint32_t *nh_id)
{
	struct rtmsg *rtm = NLMSG_DATA(h);
	int len = (int)RTM_PAYLOAD(h);
	struct rtattr *a;

	long idx = -1;

	*nh_id = 0;
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 24 || rtm->rtm_table != RT_TABLE_MAIN)
		return -1;
	for (a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		uint32_t dst, i;

		if (a->rta_type == RTA_NH_ID && RTA_PAYLOAD(a) == 4)
			memcpy(nh_id, RTA_DATA(a), 4);
		if (a->rta_type != RTA_DST || RTA_PAYLOAD(a) != 4)
			continue;
		memcpy(&dst, RTA_DATA(a), 4);
		dst = ntohl(dst);
		if (dst < 0x64000000u)
			return -1;
		i = (dst - 0x64000000u) >> 8;
		idx = i < l->n ? (long)i : -1;
	}
	return idx;
}

/* The NHA_ID of an RTM_DELNEXTHOP, or 0. */
static uint32_t loader_nh_deleted(struct nlmsghdr *h)
{
	struct nhmsg *nhm = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*nhm));
	struct rtattr *a;
	uint32_t id = 0;

	for (a = (struct rtattr *)((char *)nhm + NLMSG_ALIGN(sizeof(*nhm))); RTA_OK(a, len);
	     a = RTA_NEXT(a, len))
		if (a->rta_type == NHA_ID && RTA_PAYLOAD(a) == 4)
			memcpy(&id, RTA_DATA(a), 4);
	return id;
}

/*
 * The kernel announces RTM_DELNEXTHOP before it removes the object's routes
 * (under the RTNL). A request that needs the RTNL too - deleting a route that
 * does not exist - is answered only once that removal is over.
 */
static void loader_rtnl_barrier(void)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg r;
		struct rtattr a;
		uint32_t dst;
	} req = {
	    .h = {.nlmsg_len = sizeof(req),
	          .nlmsg_type = RTM_DELROUTE,
	          .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
	          .nlmsg_seq = 1},
	    .r = {.rtm_family = AF_INET, .rtm_dst_len = 32, .rtm_table = RT_TABLE_MAIN},
	    .a = {.rta_len = RTA_LENGTH(4), .rta_type = RTA_DST},
	    .dst = htonl(0xc612ffffu), /* 198.18.255.255/32: never routed here */
	};
	char ack[256];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return;
	if (send(fd, &req, sizeof(req), 0) == (ssize_t)sizeof(req))
		(void)recv(fd, ack, sizeof(ack), 0);
	close(fd);
}

static int loader_watch(struct loader *l)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
	                         .nl_groups = 1u << (RTNLGRP_IPV4_ROUTE - 1)};
	uint8_t *present = calloc(l->n, 1);
	uint32_t *via = calloc(l->n, sizeof(*via)); /* each present route's nexthop object */
	uint32_t count = 0, grp = RTNLGRP_NEXTHOP;
	bool full = false;
	int size = 256 << 20, rc = 0;
	static char buf[1 << 16];

	l->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (!present || !via || l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(l->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		rc = -errno;
		goto out;
	}
	if (setsockopt(l->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(l->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	printf("watching=1\n");
	fflush(stdout);
	for (;;) {
		ssize_t r = recv(l->fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		size_t left;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		left = (size_t)r;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			uint32_t nh_id = 0;
			long i = (h->nlmsg_type == RTM_NEWROUTE || h->nlmsg_type == RTM_DELROUTE)
			             ? loader_index(l, h, &nh_id)
			             : -1;

			/*
			 * The kernel removes the routes using a deleted nexthop object
			 * without an RTM_DELROUTE each: only the RTM_DELNEXTHOP tells.
			 */
			if (h->nlmsg_type == RTM_DELNEXTHOP && (nh_id = loader_nh_deleted(h))) {
				uint32_t before = count;

				for (uint32_t j = 0; j < l->n; j++)
					if (present[j] && via[j] == nh_id) {
						present[j] = 0;
						count--;
					}
				if (count != before)
					loader_rtnl_barrier();
				continue;
			}
			if (i < 0)
				continue;
			if (h->nlmsg_type == RTM_NEWROUTE)
				via[i] = nh_id; /* a replace may move it to another object */
			if (h->nlmsg_type == RTM_NEWROUTE && !present[i]) {
				present[i] = 1;
				count++;
			} else if (h->nlmsg_type == RTM_DELROUTE && present[i]) {
				present[i] = 0;
				count--;
			}
		}
		if (!full && count == l->n) {
			full = true;
			loader_print_time("all_present_realtime");
		} else if (full && count == 0) {
			loader_print_time("all_gone_realtime");
			goto out;
		}
	}
out:
	free(present);
	free(via);
	if (rc == -ENOBUFS) {
		fprintf(stderr, "fib_loader: notifications lost (ENOBUFS)\n");
		return 3;
	}
	if (rc < 0)
		fprintf(stderr, "fib_loader: %s\n", strerror(-rc));
	return rc < 0 ? 1 : 0;
}

static void loader_usage(FILE *f)
{
	fprintf(f, "usage: fib_loader -n N -g GATEWAY [-d DEV] [-w WINDOW] [-p PROTO] [-x] "
	           "[-k add|del|both]\n"
	           "       fib_loader -W -n N   (watch the kernel's notifications)\n"
	           "  -w  requests per sendmsg() (default 512)\n"
	           "  -p  rtm_protocol of the routes (default 99)\n"
	           "  -x  add the routes through one kernel nexthop object (needs -d)\n"
	           "  -k  phases to run (default both: install, then delete)\n"
	           "  -o  order of the prefixes: asc (default), desc, bitrev, scatter[:CHUNK]\n"
	           "  -b  microseconds of CPU work between windows (a daemon's parsing)\n");
}

int main(int argc, char **argv)
{
	struct loader l = {.fd = -1, .window = 512, .proto = 99};
	const char *phases = "both";
	uint32_t ierr = 0, derr = 0;
	double t0, t_add = -1, t_del = -1;
	int c, rc = 0;

	bool watch = false;

	while ((c = getopt(argc, argv, "n:g:d:w:p:xk:o:b:Wh")) != -1) {
		switch (c) {
		case 'n':
			l.n = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'g':
			if (inet_pton(AF_INET, optarg, &l.gw) != 1)
				goto usage;
			break;
		case 'd':
			l.oif = (int)if_nametoindex(optarg);
			if (!l.oif)
				goto usage;
			break;
		case 'w':
			l.window = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			l.proto = (uint8_t)atoi(optarg);
			break;
		case 'x':
			l.nh_object = true;
			break;
		case 'k':
			phases = optarg;
			break;
		case 'o':
			l.order = strcmp(optarg, "desc") == 0          ? 1
			          : strcmp(optarg, "bitrev") == 0      ? 2
			          : strncmp(optarg, "scatter", 7) == 0 ? 3
			                                               : 0;
			if (l.order == 3 && optarg[7] == ':')
				l.chunk = (uint32_t)strtoul(optarg + 8, NULL, 10);
			break;
		case 'W':
			watch = true;
			break;
		case 'b':
			l.busy_us = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			loader_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (watch && l.n && l.n <= (1u << 24))
		return loader_watch(&l);
	if (!l.n || !l.gw.s_addr || !l.window || l.window > 65536 || l.n > (1u << 24) ||
	    (l.nh_object && !l.oif))
		goto usage;
	rc = loader_open(&l);
	if (rc < 0)
		goto out;
	if (l.nh_object) {
		rc = loader_nexthop(&l, RTM_NEWNEXTHOP);
		if (rc < 0)
			goto out;
	}
	if (strcmp(phases, "del") != 0) {
		t0 = loader_now();
		rc = loader_phase(&l, RTM_NEWROUTE, &ierr);
		t_add = loader_now() - t0;
		if (rc < 0)
			goto out;
	}
	if (strcmp(phases, "add") != 0) {
		t0 = loader_now();
		rc = loader_phase(&l, RTM_DELROUTE, &derr);
		t_del = loader_now() - t0;
		if (rc < 0)
			goto out;
	}
	if (l.nh_object && strcmp(phases, "add") != 0)
		rc = loader_nexthop(&l, RTM_DELNEXTHOP);
out:
	printf("install_s=%.4f install_errors=%u delete_s=%.4f delete_errors=%u\n", t_add, ierr,
	       t_del, derr);
	if (rc < 0)
		fprintf(stderr, "fib_loader: %s\n", strerror(-rc));
	if (l.fd >= 0)
		close(l.fd);
	free(l.buf);
	return rc < 0 || ierr || derr ? 1 : 0;
usage:
	loader_usage(stderr);
	return 2;
}
