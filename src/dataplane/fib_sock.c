/*
 * DOC: the FIB's own rtnetlink socket: large windows, one acknowledgement each.
 *
 * Learned routes come by the hundred thousand, so their requests avoid what
 * costs per message: they are written back to back into one buffer (no
 * allocation per route), sent FIB_SOCK_WINDOW at a time in one sendmsg(), and
 * only the last request of a window asks for an acknowledgement
 * (NLM_F_ACK). The kernel answers a request without NLM_F_ACK only when it
 * fails (netlink_rcv_skb acknowledges errors always), and handles the
 * messages of one sendmsg() in order, so once the last request's
 * acknowledgement arrived, every error of the window has arrived before it,
 * each matched to its request by sequence number. Errors come without a copy
 * of the request (NETLINK_CAP_ACK) and with the kernel's explanation
 * (NETLINK_EXT_ACK); the receive buffer is raised (SO_RCVBUFFORCE, as root)
 * so that a window of errors fits. Should errors be lost anyway (ENOBUFS),
 * every request of the window that got no answer is reported failed with
 * -ENOBUFS (the reconciliation puts things right).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "fib_sock.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define FIB_SOCK_BUF (8 << 20)

struct fib_sock {
	int fd;
	uint32_t seq;
	char rbuf[65536];
};

int fib_sock_open(struct fib_sock **out)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct fib_sock *s = calloc(1, sizeof(*s));
	int one = 1, size = FIB_SOCK_BUF, rc;

	if (!s)
		return -ENOMEM;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto fail;
	}
	/* FORCE needs CAP_NET_ADMIN; without it the capped SO_RCVBUF is still better. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	(void)setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	/* The kernel always answers; a bound on the wait all the same, never a hang. */
	(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){.tv_sec = 30},
	                 sizeof(struct timeval));
	s->seq = 1;
	*out = s;
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return rc;
}

void fib_sock_close(struct fib_sock *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

/* The kernel's text in an error (extended ACK, Linux 4.12+), into ext once. */
static void fib_sock_extack(struct nlmsghdr *h, char *ext, size_t ext_len)
{
	struct nlmsgerr *e = NLMSG_DATA(h);
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	struct nlattr *a;

	if (!ext || !ext_len || ext[0] || !(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	while (off + NLA_HDRLEN <= h->nlmsg_len) {
		a = (struct nlattr *)((char *)h + off);
		if (a->nla_len < NLA_HDRLEN || off + a->nla_len > h->nlmsg_len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
			snprintf(ext, ext_len, "%s (%.*s)", strerror(-e->error),
			         (int)(a->nla_len - NLA_HDRLEN), (char *)a + NLA_HDRLEN);
			return;
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

int fib_sock_send(struct fib_sock *s, char *buf, size_t len, size_t n, int *errs, char *ext,
                  size_t ext_len)
{
	struct nlmsghdr *h = (struct nlmsghdr *)buf, *last = NULL;
	uint32_t first = s->seq;
	size_t i, left = len;
	bool done = false;
	int rc = 0;

	if (ext && ext_len)
		ext[0] = '\0';
	for (i = 0; i < n; i++)
		errs[i] = 0;
	if (n == 0)
		return 0;
	for (i = 0; i < n && NLMSG_OK(h, left); i++, h = NLMSG_NEXT(h, left)) {
		h->nlmsg_seq = s->seq++;
		h->nlmsg_pid = 0;
		h->nlmsg_flags = (uint16_t)((h->nlmsg_flags & ~NLM_F_ACK) | NLM_F_REQUEST);
		last = h;
	}
	if (i != n || !last)
		return -EINVAL;
	last->nlmsg_flags |= NLM_F_ACK;
	while (send(s->fd, buf, len, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	while (!done) {
		ssize_t r = recv(s->fd, s->rbuf, sizeof(s->rbuf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			break;
		}
		left = (size_t)r;
		for (h = (struct nlmsghdr *)s->rbuf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			uint32_t k = h->nlmsg_seq - first;

			if (h->nlmsg_type != NLMSG_ERROR || k >= n)
				continue; /* a notification, a late answer */
			if (e->error) {
				errs[k] = e->error;
				fib_sock_extack(h, ext, ext_len);
			}
			if (k == n - 1)
				done = true;
		}
	}
	if (rc == -ENOBUFS) {
		/* Answers were lost: what failed is unknown. Drain, then report all unanswered. */
		while (recv(s->fd, s->rbuf, sizeof(s->rbuf), MSG_DONTWAIT) > 0)
			;
		for (i = 0; i < n; i++)
			if (!errs[i])
				errs[i] = -ENOBUFS;
		rc = 0;
	}
	return rc;
}
