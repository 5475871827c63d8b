/*
 * DOC: repair of learned routes on the kernel's route notifications (routing_fib.c).
 *
 * Besides the periodic reconciliation, the FIB listens to the kernel: a
 * socket joined to RTNLGRP_IPV4_ROUTE and RTNLGRP_IPV6_ROUTE, with a classic
 * BPF filter so that the kernel queues only RTM_DELROUTE of protocol 84 (not
 * the million RTM_NEWROUTE of our own installs). When a route we want and
 * installed is deleted by someone else (by hand, another tool), a
 * reconciliation runs ROUTING_FIB_REPAIR_MS later (one for a burst of
 * deletions), so it is back at once rather than at the next period. A
 * reconciliation lists every learned route, so with a large table the delay
 * grows to four times what the last repair took: a tool deleting routes in a
 * loop cannot keep tabbyd busy more than a fifth of the time. Our own
 * deletions concern prefixes that are no longer in the table: ignored. Lost
 * notifications (ENOBUFS) also ask for a reconciliation. Routes the kernel
 * removes itself (their link went down, their nexthop object deleted) come
 * with no notification: the periodic reconciliation covers them.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include <tabby/log.h>

#include "routing_fib_int.h"
#include "tabbyd.h"

#define ROUTING_FIB_REPAIR_MS 100

struct routing_fib_watch {
	struct routing_fib *f;
	struct nl_sock *sk;
	struct event *ev, *repair;
	uint64_t last_cost_us; /* how long the last repair's reconciliation took */
};

static uint64_t routing_fib_watch_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Only RTM_DELROUTE with rtm_protocol TABBY_RTPROT reaches the socket. */
static int routing_fib_watch_filter(int fd)
{
	uint16_t type = RTM_DELROUTE;
	uint8_t t[2];
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_type)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 5),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_type) + 1),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NLMSG_HDRLEN + offsetof(struct rtmsg, rtm_protocol)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TABBY_RTPROT, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0xffff),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	/* Netlink headers are in host order; the filter reads bytes. */
	memcpy(t, &type, sizeof(t));
	code[1].k = t[0];
	code[3].k = t[1];
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

static void routing_fib_watch_repair_cb(evutil_socket_t fd, short what, void *arg)
{
	struct routing_fib_watch *w = arg;
	uint64_t t0 = routing_fib_watch_now_us();

	(void)fd;
	(void)what;
	log_info("fib: learned routes were deleted outside tabbyd; reconciling");
	routing_fib_reconcile(w->f, false);
	w->last_cost_us = routing_fib_watch_now_us() - t0;
}

static void routing_fib_watch_schedule(struct routing_fib_watch *w)
{
	uint64_t us = ROUTING_FIB_REPAIR_MS * 1000u + 4 * w->last_cost_us;
	struct timeval tv = {.tv_sec = (time_t)(us / 1000000u),
	                     .tv_usec = (suseconds_t)(us % 1000000u)};

	if (!evtimer_pending(w->repair, NULL))
		evtimer_add(w->repair, &tv);
}

/* A deleted route: is it one we want in the kernel? */
static int routing_fib_watch_msg_cb(struct nl_msg *msg, void *arg)
{
	struct routing_fib_watch *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct routing_fib_route *r;
	struct rtmsg *rtm;
	struct nlattr *a;
	struct prefix p;
	size_t alen;

	if (h->nlmsg_type != RTM_DELROUTE || !nlmsg_valid_hdr(h, sizeof(*rtm)))
		return NL_OK;
	rtm = nlmsg_data(h);
	alen = rtm->rtm_family == AF_INET ? 4 : rtm->rtm_family == AF_INET6 ? 16 : 0;
	a = nlmsg_find_attr(h, sizeof(*rtm), RTA_DST);
	if (!alen || !a || (size_t)nla_len(a) != alen || rtm->rtm_dst_len > alen * 8)
		return NL_OK;
	memset(&p, 0, sizeof(p));
	p.addr.family = rtm->rtm_family;
	memcpy(p.addr.bytes, nla_data(a), alen);
	p.len = rtm->rtm_dst_len;
	r = *routing_fib_slot(w->f, &p);
	if (r && r->installed && !r->suppressed && !r->doomed && !r->stale)
		routing_fib_watch_schedule(w);
	return NL_OK;
}

static void routing_fib_watch_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct routing_fib_watch *w = arg;
	int rc, i;

	(void)fd;
	(void)what;
	for (i = 0; i < 64; i++) { /* a bounded share of the loop */
		rc = nl_recvmsgs_default(w->sk);
		if (rc == -NLE_AGAIN)
			return;
		if (rc == -NLE_NOMEM) {
			log_warn("fib: route notifications lost; reconciling");
			routing_fib_watch_schedule(w);
		} else if (rc < 0) {
			return;
		}
	}
}

int routing_fib_watch_start(struct routing_fib *f, struct routing_fib_watch **out)
{
	struct routing_fib_watch *w = calloc(1, sizeof(*w));
	int rc = -ENOMEM;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->f = f;
	w->sk = nl_socket_alloc();
	if (!w->sk)
		goto fail;
	nl_socket_disable_seq_check(w->sk);
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, routing_fib_watch_msg_cb, w);
	rc = nl_connect(w->sk, NETLINK_ROUTE);
	if (rc < 0) {
		rc = -EIO;
		goto fail;
	}
	rc = routing_fib_watch_filter(nl_socket_get_fd(w->sk));
	if (rc < 0)
		goto fail;
	if (nl_socket_add_memberships(w->sk, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, 0) < 0 ||
	    nl_socket_set_nonblocking(w->sk) < 0) {
		rc = -EIO;
		goto fail;
	}
	rc = -ENOMEM;
	w->ev = event_new(f->d->base, nl_socket_get_fd(w->sk), EV_READ | EV_PERSIST,
	                  routing_fib_watch_read_cb, w);
	w->repair = evtimer_new(f->d->base, routing_fib_watch_repair_cb, w);
	if (!w->ev || !w->repair || event_add(w->ev, NULL) < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	routing_fib_watch_stop(w);
	return rc;
}

void routing_fib_watch_stop(struct routing_fib_watch *w)
{
	if (!w)
		return;
	if (w->ev)
		event_free(w->ev);
	if (w->repair)
		event_free(w->repair);
	if (w->sk)
		nl_socket_free(w->sk);
	free(w);
}
